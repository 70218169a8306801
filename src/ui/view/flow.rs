//! The e-Meterai flow's panels: the customer's documents, the checked document with the stamp's
//! place on a page preview, the quote, the payment form, the QRIS code, stamping and delivery.

use crate::money::Rupiah;
use crate::stamping::Sn;
use crate::till::Tender;
use crate::ui::flow::{Flow, Placement, Stage, TenderKind};
use crate::ui::state::{Session, SessionStep, State, StepProgress, TillState};
use crate::ui::strings::{FlowStrings, Strings};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Wrap};

/// Whether the flow has started and takes the counter's body.
pub fn active(state: &State) -> bool {
    crate::ui::flow::flow(state).is_some_and(|f| f.stage != Stage::Idle)
}

/// The session's steps and the current stage's panel, over the whole body.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let Some(session) = &state.session else {
        return;
    };
    let s = state.lang.strings();
    let steps_width = if area.width >= 110 { 34 } else { 25 };
    let [left, right] =
        Layout::horizontal([Constraint::Length(steps_width), Constraint::Fill(1)]).areas(area);
    steps(frame, left, s, session, state);
    let f = &session.flow;
    let fs = s.flow;
    let title = match f.stage {
        Stage::Idle => "",
        Stage::Choose => fs.t_choose,
        Stage::Password => fs.t_password,
        Stage::Place => fs.t_place,
        Stage::Quote => fs.t_quote,
        Stage::Pay => fs.t_pay,
        Stage::Qris => fs.t_qris,
        Stage::Stamping => fs.t_stamping,
        Stage::Deliver => fs.t_deliver,
        Stage::Done => fs.t_done,
    };
    let block = Block::bordered()
        .title(format!(" {title} "))
        .title_style(Style::new().bold())
        .border_style(Style::new().fg(Color::Cyan));
    let inner = block.inner(right);
    frame.render_widget(block, right);
    let mut lines: Vec<Line> = Vec::new();
    match f.stage {
        Stage::Idle => {}
        Stage::Choose => choose(&mut lines, fs, f, inner.height),
        Stage::Password => password(&mut lines, fs, f),
        Stage::Place => return place(frame, inner, fs, f),
        Stage::Quote => quote(&mut lines, fs, f),
        Stage::Pay => pay(
            &mut lines,
            fs,
            f,
            matches!(state.till, TillState::Closed | TillState::Counting),
        ),
        Stage::Qris => return qris(frame, inner, fs, f),
        Stage::Stamping | Stage::Deliver | Stage::Done => {
            return finish(frame, inner, fs, f);
        }
    }
    if let Some(e) = &f.error {
        lines.push(Line::raw(""));
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn steps(frame: &mut Frame, area: Rect, s: &Strings, session: &Session, state: &State) {
    let name = state
        .setup
        .service(&session.service)
        .map_or("", |x| x.name.as_str());
    let lines: Vec<Line> = session
        .steps
        .iter()
        .map(|(step, progress)| {
            let label = super::counter::step_label(s, *step);
            let (mark, style) = match progress {
                StepProgress::Unavailable => ("–", Style::new().fg(Color::DarkGray)),
                StepProgress::Pending => ("○", Style::new().fg(Color::Gray)),
                StepProgress::Active { .. } => ("▶", Style::new().fg(Color::Yellow).bold()),
                StepProgress::Done(_) => ("✓", Style::new().fg(Color::Green)),
                StepProgress::Failed(_) => ("✗", Style::new().fg(Color::Red).bold()),
            };
            let mut spans = vec![Span::styled(format!("{mark} {label}"), style)];
            if let StepProgress::Active {
                percent: Some(p), ..
            } = progress
                && *step != SessionStep::Finish
            {
                spans.push(Span::styled(format!(" {p}%"), style));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" {} {} ", session.ticket, name))
                .title_style(Style::new().bold()),
        ),
        area,
    );
}

/// The last two parts of a path: the drive's name and the file, without the machine's mount
/// folders.
pub fn short(path: &std::path::Path) -> String {
    let parts: Vec<_> = path.iter().map(|p| p.to_string_lossy()).collect();
    parts[parts.len().saturating_sub(2)..].join("/")
}

/// A folder's own name: the drive's label as the customer knows it.
pub fn folder_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn kb(bytes: u64) -> String {
    format!("{} KB", bytes.div_ceil(1024))
}

/// The locked document's password: one bullet per character typed, never the characters.
fn password(lines: &mut Vec<Line>, fs: &FlowStrings, f: &Flow) {
    let name = f
        .locked_path
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| f.check.as_ref().map(|c| c.name.clone()))
        .unwrap_or_default();
    lines.push(Line::from((fs.password_prompt)(&name)));
    lines.push(Line::raw(""));
    let dots = "●".repeat(f.password.expose().chars().count());
    lines.push(Line::from(vec![
        Span::raw("▶ "),
        Span::raw(format!("{:<22}", fs.f_password)).bold(),
        Span::styled(
            format!("{dots}▏"),
            Style::new().fg(Color::Black).bg(Color::White),
        ),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::from(fs.password_not_kept).fg(Color::Gray));
}

fn choose(lines: &mut Vec<Line>, fs: &FlowStrings, f: &Flow, height: u16) {
    if let Some(src) = &f.source {
        lines.push(Line::from((fs.from_source)(&folder_name(src))).fg(Color::Gray));
    }
    if f.busy {
        lines.push(Line::from(fs.reading).fg(Color::Yellow));
        return;
    }
    let room = usize::from(height.saturating_sub(4)).max(1);
    let start = f.cursor.saturating_sub(room - 1);
    for (i, file) in f.files.iter().enumerate().skip(start).take(room) {
        let text = format!("{:<40} {:>8}", file.name, kb(file.bytes));
        lines.push(if i == f.cursor {
            Line::styled(
                format!("▶ {text}"),
                Style::new().fg(Color::Black).bg(Color::White),
            )
        } else {
            Line::raw(format!("  {text}"))
        });
    }
}

/// Draws the page as text on a grid, with the stamp's square highlighted.
pub fn preview_lines(p: &Placement, cols: u16, rows: u16) -> Vec<Line<'static>> {
    let Some(page) = p.preview() else {
        return Vec::new();
    };
    let (cols, rows) = (i32::from(cols.max(8)), i32::from(rows.max(4)));
    // One cell is twice as tall as wide, so a row covers twice the millimetres of a column.
    let scale = (page.width_mm * 10 / cols)
        .max(page.height_mm * 10 / (2 * rows))
        .max(1);
    let w = (page.width_mm * 10 / scale).clamp(1, cols);
    let h = (page.height_mm * 10 / (2 * scale)).clamp(1, rows);
    if let Some(raster) = &page.raster {
        return picture_lines(p, raster, scale, w, h);
    }
    // Both at least 1: the clamps above.
    let (w_cells, h_cells) = (
        usize::try_from(w).unwrap_or(1),
        usize::try_from(h).unwrap_or(1),
    );
    let mut grid = vec![vec!['·'; w_cells]; h_cells];
    for (r, text) in &page.lines {
        let row = r.y * 10 / (2 * scale);
        let col = r.x * 10 / scale;
        let len = (r.w * 10 / scale).max(1);
        if !(0..h).contains(&row) {
            continue;
        }
        let Ok(row) = usize::try_from(row) else {
            continue;
        };
        let mut chars = text.chars().filter(|c| !c.is_control());
        for c in col.max(0)..(col + len).min(w) {
            let Ok(c) = usize::try_from(c) else {
                continue;
            };
            grid[row][c] = chars.next().unwrap_or(' ');
        }
    }
    let st = p.rect();
    let (c0, c1) = (st.x * 10 / scale, ((st.x + st.w) * 10 + scale - 1) / scale);
    let (r0, r1) = (
        st.y * 10 / (2 * scale),
        ((st.y + st.h) * 10 + 2 * scale - 1) / (2 * scale),
    );
    (0i32..)
        .zip(grid)
        .map(|(y, row)| {
            let spans: Vec<Span> = (0i32..)
                .zip(row)
                .map(|(x, c)| {
                    if (c0..c1).contains(&x) && (r0..r1).contains(&y) {
                        Span::styled(
                            if c == '·' || c == ' ' {
                                "▒".to_string()
                            } else {
                                c.to_string()
                            },
                            Style::new().fg(Color::Black).bg(Color::Yellow),
                        )
                    } else {
                        Span::styled(c.to_string(), Style::new().fg(Color::Gray))
                    }
                })
                .collect();
            Line::from(spans)
        })
        .collect()
}

/// Darkness above which half a cell is drawn as ink: small type at preview size is a light grey
/// smudge, and it must still show as a line; paper tints and faint scan noise stay white.
const INK: u8 = 48;

/// The page's picture in half-blocks (a cell is two pixels tall), black ink on white paper, with
/// the stamp's place in yellow.
fn picture_lines(
    p: &Placement,
    raster: &crate::ui::flow::Raster,
    scale: i32,
    w: i32,
    h: i32,
) -> Vec<Line<'static>> {
    let Some(page) = p.preview() else {
        return Vec::new();
    };
    let (pw, ph) = (
        i64::from(page.width_mm) * 10,
        i64::from(page.height_mm) * 10,
    );
    let st = p.rect();
    let (c0, c1) = (st.x * 10 / scale, ((st.x + st.w) * 10 + scale - 1) / scale);
    let (r0, r1) = (
        st.y * 10 / (2 * scale),
        ((st.y + st.h) * 10 + 2 * scale - 1) / (2 * scale),
    );
    let scale = i64::from(scale);
    (0..h)
        .map(|y| {
            let spans: Vec<Span> = (0..w)
                .map(|x| {
                    let (x0, x1) = (i64::from(x) * scale, i64::from(x + 1) * scale);
                    let top = i64::from(y) * 2 * scale;
                    let ink = |y0: i64| raster.darkest(x0, x1, y0, y0 + scale, pw, ph) > INK;
                    let glyph = match (ink(top), ink(top + scale)) {
                        (true, true) => "█",
                        (true, false) => "▀",
                        (false, true) => "▄",
                        (false, false) => " ",
                    };
                    if (c0..c1).contains(&x) && (r0..r1).contains(&y) {
                        let glyph = if glyph == " " { "▒" } else { glyph };
                        Span::styled(glyph, Style::new().fg(Color::Black).bg(Color::Yellow))
                    } else {
                        Span::styled(glyph, Style::new().fg(Color::Black).bg(Color::White))
                    }
                })
                .collect();
            Line::from(spans)
        })
        .collect()
}

fn place(frame: &mut Frame, area: Rect, fs: &FlowStrings, f: &Flow) {
    let Some(p) = &f.placement else {
        return;
    };
    let preview_w = (area.width / 2).max(16);
    let [pv, info] =
        Layout::horizontal([Constraint::Length(preview_w), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(preview_lines(p, pv.width.saturating_sub(1), pv.height)),
        pv,
    );
    let mut lines = Vec::new();
    if let Some(c) = &f.check {
        lines.push(Line::from(c.name.clone()).bold());
        lines.push(Line::from((fs.doc_facts)(
            c.pages,
            &kb(c.size_bytes),
            &c.version,
            c.signatures,
        )));
        if c.encrypted {
            lines.push(Line::from(fs.encrypted).fg(Color::Yellow));
        }
        for w in &c.warnings {
            lines.push(Line::from(format!("! {w}")).fg(Color::Yellow));
        }
        if let Some(job) = c.earlier_job {
            lines.push(Line::from((fs.take_up_hint)(job)).fg(Color::Yellow).bold());
        }
        lines.push(Line::raw(""));
    }
    lines.push(
        Line::from((fs.position)(
            p.page,
            p.pages.len(),
            p.x_mm,
            p.y_mm,
            p.size_mm,
        ))
        .bold(),
    );
    lines.push(Line::from((fs.proposed)(&p.basis)).fg(Color::Gray));
    let covered = p.covered();
    if let Some(first) = covered.first() {
        lines.push(Line::from((fs.covers_text)(first.trim())).fg(Color::Yellow));
    }
    if let Some(e) = &f.error {
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), info);
}

/// The sale's number and its lines (name, quantity, amount).
fn bill_lines(lines: &mut Vec<Line>, fs: &FlowStrings, q: &crate::ui::flow::Quote) {
    lines.push(Line::from((fs.sale_no)(q.sale)).fg(Color::Gray));
    for (name, qty, amount) in &q.lines {
        lines.push(Line::raw(format!(
            "{:<28} {:>3} × {:>12}",
            name,
            qty,
            amount.to_string()
        )));
    }
}

fn quote(lines: &mut Vec<Line>, fs: &FlowStrings, f: &Flow) {
    let Some(q) = &f.quote else {
        lines.push(Line::from(fs.reading));
        return;
    };
    bill_lines(lines, fs, q);
    lines.push(Line::raw(""));
    lines.push(Line::from(format!("{:<34} {:>12}", fs.total, q.total.to_string())).bold());
    lines.push(Line::raw(""));
    lines.push(Line::from(fs.quote_hint).fg(Color::Gray));
}

fn tender_text(fs: &FlowStrings, t: &Tender) -> String {
    match t {
        Tender::Cash { tendered } => (fs.tender_cash_line)(&tendered.to_string()),
        Tender::Debit { amount, last4, .. } => (fs.tender_debit_line)(&amount.to_string(), last4),
        Tender::Qris { amount } => (fs.tender_qris_line)(&amount.to_string()),
    }
}

fn pay(lines: &mut Vec<Line>, fs: &FlowStrings, f: &Flow, till_closed: bool) {
    let Some(q) = &f.quote else {
        return;
    };
    let remaining = f.remaining();
    // The bill itself, so that the clerk and the customer see what is paid for before any money.
    bill_lines(lines, fs, q);
    lines.push(Line::from(format!("{:<20}{}", fs.total, q.total)).bold());
    for t in &f.pay.tenders {
        lines.push(Line::from(format!("  {}", tender_text(fs, t))).fg(Color::Gray));
    }
    lines.push(
        Line::from(format!("{:<20}{}", fs.remaining, remaining))
            .bold()
            .fg(Color::Yellow),
    );
    lines.push(Line::raw(""));
    let tabs: Vec<Span> = TenderKind::ALL
        .iter()
        .map(|k| {
            let name = match k {
                TenderKind::Cash => fs.cash,
                TenderKind::Debit => fs.debit,
                TenderKind::Qris => fs.qris,
            };
            if *k == f.pay.kind {
                Span::styled(
                    format!("[{name}]"),
                    Style::new().fg(Color::Black).bg(Color::White),
                )
            } else {
                Span::raw(format!(" {name} "))
            }
        })
        .flat_map(|s| [s, Span::raw(" ")])
        .collect();
    lines.push(Line::from(tabs));
    let field = |label: &str, value: &str, focused: bool| {
        let cursor = if focused { "▏" } else { "" };
        Line::from(vec![
            Span::raw(if focused { "▶ " } else { "  " }),
            Span::raw(format!("{label:<22}")).bold(),
            Span::styled(
                format!("{value}{cursor}"),
                if focused {
                    Style::new().fg(Color::Black).bg(Color::White)
                } else {
                    Style::new().underlined()
                },
            ),
        ])
    };
    let amount_label = if f.pay.kind == TenderKind::Cash {
        fs.f_tendered
    } else {
        fs.f_amount
    };
    let shown = if f.pay.amount.is_empty() {
        remaining.to_string()
    } else {
        Rupiah::parse(&f.pay.amount).map_or(f.pay.amount.clone(), |a| a.to_string())
    };
    lines.push(field(amount_label, &shown, f.pay.focus == 0));
    if f.pay.kind == TenderKind::Debit {
        lines.push(field(fs.f_approval, &f.pay.approval, f.pay.focus == 1));
        lines.push(field(fs.f_last4, &f.pay.last4, f.pay.focus == 2));
    }
    if f.pay.kind == TenderKind::Cash {
        let given = Rupiah::parse(&f.pay.amount).unwrap_or(remaining);
        if let Ok(change) = given.checked_sub(remaining)
            && change.is_positive()
        {
            lines.push(
                Line::from(format!("  {:<22}{change}", fs.change))
                    .bold()
                    .fg(Color::Green),
            );
        }
        let quick: Vec<String> = q.quick.iter().map(Rupiah::to_string).collect();
        if !quick.is_empty() {
            lines.push(Line::from(format!("  {} {}", fs.quick, quick.join("  "))).fg(Color::Gray));
        }
        if till_closed && f.pay.error.is_none() {
            lines.push(Line::from(fs.cash_needs_till).fg(Color::Yellow));
        }
    }
    if let Some(e) = &f.pay.error {
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
}

fn qris(frame: &mut Frame, area: Rect, fs: &FlowStrings, f: &Flow) {
    let Some(q) = &f.qris else {
        return;
    };
    let code = crate::qris::half_blocks(&q.payload).unwrap_or_default();
    let code_lines: Vec<&str> = code.lines().collect();
    let code_w = super::common::cells(code_lines.first().map_or(0, |l| l.chars().count()));
    let fits = super::common::cells(code_lines.len()) <= area.height && code_w + 24 <= area.width;
    let mut info = vec![
        Line::from(format!("{} {}", fs.qris_amount, q.amount)).bold(),
        Line::from(format!("{} {}", fs.qris_reference, q.reference)),
        Line::raw(""),
        Line::from(vec![
            Span::raw(format!("{} ", fs.f_payer_ref)).bold(),
            Span::styled(
                format!("{}▏", q.payer_ref),
                Style::new().fg(Color::Black).bg(Color::White),
            ),
        ]),
        Line::raw(""),
        Line::from(fs.qris_hint).fg(Color::Gray),
    ];
    if !fits {
        info.insert(0, Line::from(fs.qris_too_small).fg(Color::Yellow));
    }
    if let Some(e) = &f.error {
        info.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    if fits {
        let [left, right] =
            Layout::horizontal([Constraint::Length(code_w + 1), Constraint::Fill(1)]).areas(area);
        // Dark modules on a light background, as phone cameras expect.
        frame.render_widget(
            Paragraph::new(code.clone()).style(Style::new().fg(Color::Black).bg(Color::White)),
            Rect {
                width: code_w,
                ..left
            },
        );
        frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), right);
    } else {
        frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), area);
    }
}

fn finish(frame: &mut Frame, area: Rect, fs: &FlowStrings, f: &Flow) {
    let mut lines = Vec::new();
    if let Some(p) = &f.paid {
        lines.push(Line::from(fs.paid_in_full).fg(Color::Green).bold());
        for t in &p.tenders {
            lines.push(Line::from(format!("  {t}")));
        }
        if p.change.is_positive() {
            lines.push(Line::from((fs.change_given)(&p.change.to_string())).bold());
        }
    }
    if let Some(st) = &f.stamped {
        lines.push(Line::raw(""));
        lines.push(Line::from(format!("{} {}", fs.sn, Sn::list(&st.sns))).bold());
        lines.push(Line::from(st.verified.clone()).fg(Color::Green));
        lines.push(Line::from(st.file_name.clone()));
    }
    if let Some(d) = &f.delivered {
        let shown = if d.starts_with("e-mail") || d.starts_with("WhatsApp") {
            d.clone()
        } else {
            short(std::path::Path::new(d))
        };
        lines.push(Line::from((fs.delivered_to)(&shown)).fg(Color::Green));
    } else if f.stage == Stage::Deliver && f.progress.is_none() {
        let to = f.source.as_deref().map(folder_name).unwrap_or_default();
        lines.push(Line::raw(""));
        lines.push(Line::from((fs.copy_hint)(&to)).bold());
        lines.push(Line::from(vec![
            Span::raw(format!("{} ", fs.f_email)).bold(),
            Span::styled(
                format!("{}▏", f.email),
                Style::new().fg(Color::Black).bg(Color::White),
            ),
        ]));
        lines.push(Line::from(fs.email_hint).fg(Color::Gray));
    }
    if let Some(r) = &f.receipt {
        lines.push(Line::from(r.clone()));
    }
    if f.stage == Stage::Done {
        lines.push(Line::raw(""));
        lines.push(Line::from(fs.finish_hint).bold());
    }
    if let Some(e) = &f.error {
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    let gauge_rows = if f.progress.is_some() { 2 } else { 0 };
    let [g, rest] =
        Layout::vertical([Constraint::Length(gauge_rows), Constraint::Fill(1)]).areas(area);
    if let Some((p, note)) = &f.progress {
        frame.render_widget(
            Gauge::default()
                .percent(u16::from(*p).min(100))
                .label(format!("{p}% {note}"))
                .gauge_style(Style::new().fg(Color::Green).bg(Color::DarkGray)),
            Rect { height: 1, ..g },
        );
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
}
