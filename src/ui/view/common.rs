//! Pieces every screen shares: header, message line, device bar, key bar, dialogs, help and the
//! too-small notice.

use crate::clock::from_ms;
use crate::day::BusinessDay;
use crate::ui::state::{
    Choice, DeviceState, FieldKind, Mode, State, Subject, UnfinishedActKind, UnfinishedKind,
};
use crate::ui::strings::Strings;
use crate::ui::update::{keys, label_of, state_word};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn too_small(frame: &mut Frame, s: &Strings) {
    let area = frame.area();
    let text = (s.too_small)(area.width, area.height);
    let [mid] = Layout::vertical([Constraint::Length(3)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .style(Style::new().fg(Color::Yellow).bold()),
        mid,
    );
}

/// `08.00 WIB`.
pub fn clock(state: &State) -> String {
    crate::when::When::ms(state.now_ms, state.setup.timezone).time_zone()
}

/// `23 November 2026`.
pub fn business_day(state: &State) -> String {
    let day = state
        .status
        .as_ref()
        .and_then(|s| BusinessDay::parse(&s.business_day).ok())
        .unwrap_or_else(|| BusinessDay::of(from_ms(state.now_ms), state.setup.timezone));
    crate::when::date_in(day.date(), &state.lang.strings().months)
}

/// Branch, counter, clerk, business day and clock on one reversed line.
pub fn header(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let mut parts = vec![format!(" {}", state.setup.branch)];
    match state.mode {
        Mode::Counter => parts.push(format!("{} {}", s.counter, state.setup.counter)),
        Mode::Supervisor if state.user.is_none() => parts.push(s.supervisor.to_string()),
        Mode::Supervisor => {}
        Mode::Display => {}
    }
    if let Some(u) = &state.user {
        let who = if state.mode == Mode::Supervisor {
            s.supervisor
        } else {
            s.clerk
        };
        parts.push(format!("{who}: {}", u.id));
    }
    let right = format!("{} ", clock(state));
    let with_label = format!("{} {}", s.business_day, business_day(state));
    let used: usize = parts.iter().map(|p| p.chars().count() + 3).sum();
    // Narrow terminals keep the date and drop its label rather than run into the clock.
    if used + with_label.chars().count() + right.chars().count() + 2 < usize::from(area.width) {
        parts.push(with_label);
    } else {
        parts.push(business_day(state));
    }
    let left = parts.join(" │ ");
    let pad = (area.width as usize).saturating_sub(left.chars().count() + right.chars().count());
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::raw(right).bold(),
    ]);
    frame.render_widget(
        Paragraph::new(line).style(Style::new().fg(Color::Black).bg(Color::Cyan)),
        area,
    );
}

/// The message line: the last outcome, a refusal in red, or the queue reading's failure.
pub fn message(frame: &mut Frame, area: Rect, state: &State) {
    let (text, style) = if let Some(m) = &state.message {
        let style = if m.error {
            Style::new().fg(Color::White).bg(Color::Red).bold()
        } else {
            Style::new().fg(Color::Green).bold()
        };
        (m.text.clone(), style)
    } else if let Some(e) = &state.status_error {
        (e.clone(), Style::new().fg(Color::Yellow))
    } else {
        (String::new(), Style::new())
    };
    frame.render_widget(
        Paragraph::new(format!(" {text}"))
            .style(style)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// Lays out labelled items left to right, starting a new line when one would not fit.
pub fn wrap_items(items: Vec<Vec<Span<'static>>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let len: usize = item.iter().map(|s| s.content.chars().count()).sum();
        if used > 0 && used + 2 + len > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if used > 0 {
            line.push(Span::raw("  "));
            used += 2;
        }
        used += len;
        line.extend(item);
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

pub fn key_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let items = keys(state)
        .into_iter()
        .map(|(k, what)| {
            vec![
                Span::styled(
                    k.to_string(),
                    Style::new().fg(Color::Black).bg(Color::White),
                ),
                Span::raw(format!(" {what}")),
            ]
        })
        .collect();
    wrap_items(items, width)
}

fn device_item(name: &str, state: &DeviceState, s: &Strings) -> Vec<Span<'static>> {
    let (text, style) = match state {
        DeviceState::NotConnected => (
            s.dev_not_connected.to_string(),
            Style::new().fg(Color::Gray),
        ),
        DeviceState::NotConfigured => (
            s.dev_not_configured.to_string(),
            Style::new().fg(Color::Gray),
        ),
        DeviceState::Ready(how) if how.is_empty() => {
            (s.dev_ok.to_string(), Style::new().fg(Color::Green))
        }
        DeviceState::Ready(how) => (how.clone(), Style::new().fg(Color::Green)),
        DeviceState::Problem { what, next } => (
            format!("{what} — {next}"),
            Style::new().fg(Color::White).bg(Color::Red).bold(),
        ),
    };
    vec![
        Span::raw(format!("{name}: ")).bold(),
        Span::styled(text, style),
    ]
}

pub fn device_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let s = state.lang.strings();
    let d = &state.devices;
    let mut items = vec![
        device_item(s.dev_printer, &d.printer, s),
        device_item(s.dev_dispenser, &d.dispenser, s),
        device_item(s.dev_emeterai, &d.emeterai, s),
        device_item(s.dev_outbox, &d.outbox, s),
        device_item(s.dev_drive, &d.drive, s),
    ];
    // The backup is named only when something must be done about it.
    if matches!(d.backup, DeviceState::Problem { .. }) {
        items.push(device_item(s.dev_backup, &d.backup, s));
    }
    // So is the branch server: first, since nothing can be saved without it.
    if matches!(d.server, DeviceState::Problem { .. }) {
        items.insert(0, device_item(s.dev_server, &d.server, s));
    }
    wrap_items(items, width)
}

/// `text` in at most `max` characters, with an ellipsis when it was longer.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A count of lines or characters as terminal cells. No terminal has 65 535 rows or columns, so a
/// larger count is as good as `u16::MAX`: the layout cuts it to the screen either way.
pub fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A box of `width`×`height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(h);
    v
}

fn dialog_title(s: &Strings, kind: crate::ui::state::DialogKind) -> &'static str {
    use crate::ui::state::DialogKind as K;
    match kind {
        K::Transfer => s.dlg_transfer,
        K::CallNumber => s.dlg_call_number,
        K::WalkIn => s.dlg_walk_in,
        K::CounterState => s.dlg_counter_state,
        K::Reactivate => s.dlg_reactivate,
        K::Unpark => s.dlg_unpark,
        K::OpenTill => s.dlg_open_till,
        K::SettleJob { refund: false, .. } => s.dlg_settle_new_serial,
        K::SettleJob { refund: true, .. } => s.dlg_settle_refund,
        K::Unfinished { act, .. } => match act {
            UnfinishedActKind::Resume => s.dlg_uf_resume,
            UnfinishedActKind::Cancel => s.dlg_uf_cancel,
            UnfinishedActKind::Refund => s.dlg_uf_refund,
        },
    }
}

/// The open form, over whatever screen is below it.
pub fn dialog(frame: &mut Frame, state: &State) {
    use crate::ui::state::DialogKind as K;
    let Some(d) = &state.dialog else {
        return;
    };
    let s = state.lang.strings();
    let mut lines: Vec<Line> = Vec::new();
    match d.kind {
        K::Transfer | K::WalkIn => {
            let names = state
                .setup
                .services
                .iter()
                .map(|x| format!("{} {}", x.prefix, x.name))
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(Line::from((s.services_hint)(&names)).fg(Color::Gray));
        }
        K::Reactivate => lines.push(Line::from(s.approval_note).fg(Color::Gray)),
        K::CounterState => {
            let (now, reason) = state.counter_state();
            let word = match reason {
                Some(r) => format!("{} ({r})", state_word(s, now)),
                None => state_word(s, now).to_string(),
            };
            lines.push(Line::from((s.counter_state_now)(&word)).fg(Color::Gray));
        }
        K::OpenTill => lines.push(Line::from(s.float_hint).fg(Color::Gray)),
        K::SettleJob { job, refund } => {
            let c = s.console;
            let row = state
                .emeterai
                .as_ref()
                .and_then(|p| p.open_jobs.iter().find(|j| j.id == job));
            // Opened from the unfinished tab, the job is found in its list.
            let listed = state.unfinished.as_ref().and_then(|r| {
                r.iter()
                    .find(|r| r.subject == Subject::Job(crate::stamping::JobId(job)))
            });
            let ticket = row
                .and_then(|j| j.ticket.as_deref())
                .or_else(|| listed.and_then(|r| r.item.ticket.as_deref()));
            let note = if refund {
                let paid = row.and_then(|j| j.paid).map(|r| r.to_string());
                (c.settle_note_refund)(job, ticket, paid.as_deref())
            } else {
                (c.settle_note_new_serial)(job, ticket)
            };
            lines.push(Line::from(note).fg(Color::Gray));
            if let Some(why) = row.and_then(|j| j.reason.as_deref()) {
                lines.push(Line::from((c.settle_note_reason)(&cut(why, 160))).fg(Color::Gray));
            } else if let Some(r) = listed {
                lines.push(Line::from((c.uf_what)(r)).fg(Color::Gray));
            }
        }
        K::Unfinished { subject, act } => {
            let c = s.console;
            let what = (c.uf_subject)(subject);
            let listed = state
                .unfinished
                .as_ref()
                .and_then(|r| r.iter().find(|r| r.subject == subject));
            let counter = listed.and_then(|r| r.item.counter).unwrap_or(0);
            let note = match act {
                UnfinishedActKind::Resume => {
                    let ticket = listed.and_then(|r| r.item.ticket.as_deref()).unwrap_or("—");
                    (c.uf_note_resume)(&what, ticket, counter)
                }
                UnfinishedActKind::Cancel => (c.uf_note_cancel)(&what),
                UnfinishedActKind::Refund => {
                    let paid = match listed.map(|r| r.kind) {
                        Some(UnfinishedKind::Sale { paid, .. }) => paid.to_string(),
                        _ => String::new(),
                    };
                    (c.uf_note_refund)(&what, &paid, counter)
                }
            };
            lines.push(Line::from(note).fg(Color::Gray));
            if let Some(r) = listed {
                lines.push(Line::from((c.uf_what)(r)).fg(Color::Gray));
            }
        }
        _ => {}
    }
    lines.push(Line::raw(""));
    for (i, f) in d.fields.iter().enumerate() {
        let focused = i == d.focus;
        let value = match &f.kind {
            FieldKind::Pin => "•".repeat(f.value.chars().count()),
            FieldKind::Choice(options) => options
                .iter()
                .enumerate()
                .map(|(j, o)| {
                    let word = match o {
                        Choice::CounterState(c) => state_word(s, *c),
                        Choice::Method(m) => (s.console.method_word)(*m),
                    };
                    if j == f.choice {
                        format!("[{word}]")
                    } else {
                        format!(" {word} ")
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => f.value.clone(),
        };
        let cursor = if focused && !matches!(f.kind, FieldKind::Choice(_)) {
            "▏"
        } else {
            ""
        };
        let marker = if focused { "▶ " } else { "  " };
        lines.push(Line::from(vec![
            Span::raw(marker),
            Span::raw(format!("{:<24}", label_of(s, f.id))).bold(),
            Span::styled(
                format!("{value}{cursor}"),
                if focused {
                    Style::new().fg(Color::Black).bg(Color::White)
                } else {
                    Style::new().add_modifier(Modifier::UNDERLINED)
                },
            ),
        ]));
    }
    lines.push(Line::raw(""));
    if let Some(e) = &d.error {
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    let area = frame.area();
    let width = 66.min(area.width.saturating_sub(4));
    let inner = width.saturating_sub(2).max(1);
    let rows: u16 = lines
        .iter()
        .map(|l| cells(l.width()).div_ceil(inner).max(1))
        .sum();
    let key_line = key_lines(state, inner);
    let height = rows + cells(key_line.len()) + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" {} ", dialog_title(s, d.kind)))
        .title_style(Style::new().bold())
        .border_style(Style::new().fg(Color::Yellow));
    let inside = block.inner(rect);
    frame.render_widget(block, rect);
    let [body, foot] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(cells(key_line.len())),
    ])
    .areas(inside);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(Paragraph::new(key_line), foot);
}

/// F1: every key of the screen below.
pub fn help(frame: &mut Frame, state: &State) {
    if !state.help {
        return;
    }
    let s = state.lang.strings();
    let keys = keys(state);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::raw(format!("  {k:<9}")).bold(),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(format!("  {}", s.help_close)).fg(Color::Gray));
    let area = frame.area();
    let rect = centered(
        area,
        56.min(area.width.saturating_sub(2)),
        cells(lines.len()) + 2,
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" {} ", s.help_title))
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        rect,
    );
}
