//! The clerk's screen: the queue per service, the ticket at this counter, the customer session, the
//! device bar and the F-keys.

use crate::queue::{CounterState, QueueStatus, Status};
use crate::ui::state::{SessionStep, State, StepProgress};
use crate::ui::strings::Strings;
use crate::ui::view::common;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    let keys = common::key_lines(state, area.width);
    let devices = common::device_lines(state, area.width);
    let msg_len = state
        .message
        .as_ref()
        .map_or(0, |m| m.text.chars().count() + 1);
    let msg_rows = if msg_len > usize::from(area.width) {
        2
    } else {
        1
    };
    let [head, body, msg, dev, key] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(msg_rows),
        Constraint::Length(common::cells(devices.len())),
        Constraint::Length(common::cells(keys.len())),
    ])
    .areas(area);
    common::header(frame, head, state);
    if super::flow::active(state) {
        super::flow::draw(frame, body, state);
        common::message(frame, msg, state);
        frame.render_widget(
            Paragraph::new(devices).style(Style::new().bg(Color::Black)),
            dev,
        );
        frame.render_widget(Paragraph::new(keys), key);
        return;
    }
    let left_width = if area.width >= 110 { 54 } else { 46 };
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
    let table_rows = common::cells(state.setup.services.len()) + 3;
    let [table, rest] =
        Layout::vertical([Constraint::Length(table_rows), Constraint::Fill(1)]).areas(left);
    queue_table(frame, table, state);
    // Tall terminals also list who waits; short ones keep the room for the ticket at hand.
    if rest.height >= 16 {
        let [current, waiting] =
            Layout::vertical([Constraint::Length(9), Constraint::Fill(1)]).areas(rest);
        current_ticket(frame, current, state);
        waiting_list(frame, waiting, state);
    } else {
        current_ticket(frame, rest, state);
    }
    session(frame, right, state);
    common::message(frame, msg, state);
    frame.render_widget(
        Paragraph::new(devices).style(Style::new().bg(Color::Black)),
        dev,
    );
    frame.render_widget(Paragraph::new(keys), key);
}

/// The colour of a wait against its service-level target: red when over, yellow when close.
pub fn wait_style(waited_ms: i64, sla_minutes: u32) -> Style {
    let sla_ms = i64::from(sla_minutes) * 60_000;
    if waited_ms > sla_ms {
        Style::new().fg(Color::White).bg(Color::Red).bold()
    } else if waited_ms * 5 > sla_ms * 4 {
        Style::new().fg(Color::Yellow).bold()
    } else {
        Style::new()
    }
}

/// Waiting per service with priority counts and the longest wait against the target.
pub fn services_table<'a>(s: &'a Strings, status: Option<&'a QueueStatus>) -> Table<'a> {
    let rows: Vec<Row> = status
        .map(|st| st.services.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|svc| {
            let longest = svc.longest_wait_ms / 60_000;
            Row::new(vec![
                Cell::from(format!("{} {}", svc.prefix, svc.name)),
                Cell::from(format!("{:>8}", svc.waiting)),
                Cell::from(format!("{:>9}", svc.priority_waiting)),
                Cell::from(format!(
                    "{:>14}",
                    format!("{longest}/{}", (s.minutes)(i64::from(svc.sla_minutes)))
                ))
                .style(wait_style(svc.longest_wait_ms, svc.sla_minutes)),
            ])
        })
        .collect();
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(14),
        ],
    )
    .header(
        Row::new(vec![
            Cell::from(s.col_service),
            Cell::from(format!("{:>8}", s.col_waiting)),
            Cell::from(format!("{:>9}", s.col_priority)),
            Cell::from(format!(
                "{:>14}",
                format!("{}/{}", s.col_longest, s.col_target.to_lowercase())
            )),
        ])
        .style(Style::new().bold().underlined()),
    )
}

fn queue_table(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    frame.render_widget(
        services_table(s, state.status.as_ref()).block(
            Block::bordered()
                .title(format!(" {} ", s.queue_title))
                .title_style(Style::new().bold()),
        ),
        area,
    );
}

fn current_ticket(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let mut lines = Vec::new();
    match state.current() {
        Some((ticket, status)) => {
            // The service the ticket is in now (a transferred ticket's new one).
            let service = state
                .current_service()
                .and_then(|p| state.setup.service(p))
                .map(|x| x.name.clone())
                .unwrap_or_default();
            let (what, style) = if status == Status::Serving {
                (s.ticket_serving, Style::new().fg(Color::Green).bold())
            } else {
                (s.ticket_called, Style::new().fg(Color::Yellow).bold())
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {ticket} "),
                    Style::new().fg(Color::Black).bg(Color::Yellow).bold(),
                ),
                Span::raw(format!("  {service}")),
            ]));
            lines.push(Line::raw(""));
            lines.push(Line::styled(what.to_string(), style));
            let call = state.status.as_ref().and_then(|st| {
                st.recent_calls
                    .iter()
                    .find(|c| &c.ticket == ticket && c.counter == state.setup.counter)
            });
            if let Some(c) = call {
                lines.push(Line::from((s.waited_before_call)(
                    c.waited_ms / 60_000,
                    c.priority,
                )));
            }
            lines.push(Line::raw(""));
            let stamping = state.session.as_ref().is_some_and(|x| x.stamping);
            lines.push(Line::from(if status == Status::Serving {
                s.finish_hint
            } else if stamping {
                s.serve_or_take_hint
            } else {
                s.serve_first_hint
            }));
        }
        None => match state.counter_state() {
            (CounterState::Break, reason) => {
                lines.push(Line::from((s.counter_break)(reason.unwrap_or(""))).fg(Color::Yellow));
            }
            (CounterState::Closed, _) => {
                lines.push(Line::from(s.counter_closed).fg(Color::Yellow));
            }
            (CounterState::Open, _) => {
                lines.push(Line::from(s.no_ticket));
                let waiting: usize = state
                    .status
                    .as_ref()
                    .map_or(0, |st| st.services.iter().map(|x| x.waiting).sum());
                lines.push(Line::raw(""));
                if waiting == 0 {
                    lines.push(Line::from(s.nobody_waiting).fg(Color::Gray));
                } else {
                    lines.push(Line::from(s.press_call).bold());
                }
            }
        },
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(format!(" {} ", s.current_title))
                .title_style(Style::new().bold()),
        ),
        area,
    );
}

pub fn step_label(s: &Strings, step: SessionStep) -> &'static str {
    match step {
        SessionStep::Document => s.step_document,
        SessionStep::Intake => s.step_intake,
        SessionStep::Placement => s.step_placement,
        SessionStep::Quote => s.step_quote,
        SessionStep::Payment => s.step_payment,
        SessionStep::Stamping => s.step_stamping,
        SessionStep::Delivery => s.step_delivery,
        SessionStep::Receipts => s.step_receipts,
        SessionStep::Finish => s.step_finish,
    }
}

fn session(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let Some(session) = &state.session else {
        frame.render_widget(
            Paragraph::new(Line::from(s.session_none).fg(Color::Gray))
                .wrap(Wrap { trim: true })
                .block(Block::bordered()),
            area,
        );
        return;
    };
    let service = state.setup.service(&session.service);
    let name = service.map_or("", |x| x.name.as_str());
    let block = Block::bordered()
        .title(format!(" {} ", (s.session_title)(&session.ticket, name)))
        .title_style(Style::new().bold());
    let inner = block.inner(area);
    let mut lines = Vec::new();
    if !session.stamping {
        lines.push(Line::from((s.session_plain)(name)));
    } else {
        let wide = inner.width >= 62;
        let mut any_unavailable = false;
        for (step, progress) in &session.steps {
            let label = step_label(s, *step);
            let (mark, style, note) = match progress {
                StepProgress::Unavailable => {
                    any_unavailable = true;
                    (
                        "–",
                        Style::new().fg(Color::DarkGray),
                        s.not_in_this_version.to_string(),
                    )
                }
                StepProgress::Pending => ("○", Style::new(), String::new()),
                StepProgress::Active { percent, note } => (
                    "▶",
                    Style::new().fg(Color::Yellow).bold(),
                    percent.map_or(note.clone(), |p| format!("{p:>3}% {note}")),
                ),
                StepProgress::Done(note) => ("✓", Style::new().fg(Color::Green), note.clone()),
                StepProgress::Failed(why) => ("✗", Style::new().fg(Color::Red).bold(), why.clone()),
            };
            let mut spans = vec![Span::styled(format!("{mark} {label}"), style)];
            if note.is_empty() {
                lines.push(Line::from(spans));
            } else if wide {
                let pad = 33usize.saturating_sub(label.chars().count() + 2);
                spans.push(Span::styled(format!("{}{note}", " ".repeat(pad)), style));
                lines.push(Line::from(spans));
            } else {
                // Narrow: the note goes under its step, except the shared "not available" one,
                // which is said once below the list.
                lines.push(Line::from(spans));
                if !matches!(progress, StepProgress::Unavailable) {
                    lines.push(Line::styled(format!("  {note}"), style));
                }
            }
        }
        if session.flow.stage == crate::ui::flow::Stage::Idle {
            lines.push(Line::raw(""));
            lines.push(Line::from(s.flow.idle_hint).bold());
        }
        if any_unavailable && !wide {
            lines.push(Line::raw(""));
            lines.push(Line::from(format!("– {}", s.not_in_this_version)).fg(Color::DarkGray));
        }
    }
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Who waits, oldest first, with priority and parked marks; waits past the target in colour.
pub fn waiting_list(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let sla = |svc: &str| state.setup.service(svc).map_or(15, |x| x.sla_minutes);
    let lines: Vec<Line> = state
        .status
        .as_ref()
        .map(|st| st.waiting.as_slice())
        .unwrap_or_default()
        .iter()
        .take(usize::from(area.height.saturating_sub(2)))
        .map(|w| {
            let mut tags = Vec::new();
            if w.priority {
                tags.push(s.priority_mark.to_string());
            }
            if w.status == Status::Parked {
                tags.push(s.parked_mark.to_string());
            }
            // A transferred ticket keeps its number; the list says where it waits now.
            if w.ticket.service != w.service || w.target_counter.is_some() {
                tags.push((s.moved_mark)(&w.service, w.target_counter));
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!("  {}", tags.join(", "))
            };
            Line::styled(
                format!(
                    "{:<8}{:>8}{tags}",
                    w.ticket,
                    (s.minutes)(w.waited_ms / 60_000)
                ),
                wait_style(w.waited_ms, sla(&w.service)),
            )
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(" {} ", s.waiting_list_title))
                .title_style(Style::new().bold()),
        ),
        area,
    );
}
