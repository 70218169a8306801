//! The supervisor console's e-Meterai tab (serial stock by lot, reconciliation, paid jobs not yet
//! stamped, claims), outbox tab (e-mails with attempts and last error) and drawers tab (today's
//! sessions, X of open drawers, stored Z reports).

use crate::money::Rupiah;
use crate::queue::clock_time;
use crate::ui::state::{DrawersPanel, OpenJob, State, UnfinishedKind, UnfinishedRow};
use crate::ui::strings::ConsoleStrings;
use crate::ui::view::common::{cells, cut};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

fn block(title: &str) -> Block<'static> {
    Block::bordered()
        .title(format!(" {title} "))
        .title_style(Style::new().bold())
}

fn header(cells: Vec<&'static str>) -> Row<'static> {
    Row::new(cells).style(Style::new().bold().underlined())
}

/// A list with its selected row highlighted and kept in view.
fn selectable(frame: &mut Frame, area: Rect, table: Table, selected: usize) {
    let table = table
        .row_highlight_style(Style::new().fg(Color::Black).bg(Color::White))
        .highlight_symbol("▶ ");
    let mut at = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, area, &mut at);
}

fn loading(frame: &mut Frame, area: Rect, state: &State, title: &str) {
    let s = state.lang.strings();
    frame.render_widget(Paragraph::new(s.connecting).block(block(title)), area);
}

fn date(state: &State, ms: i64) -> String {
    crate::when::When::ms(ms, state.setup.timezone).date_in(&state.lang.strings().months)
}

pub fn emeterai(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let c = s.console;
    let Some(panel) = &state.emeterai else {
        return loading(frame, area, state, c.inventory_title);
    };
    let inv = &panel.inventory;
    let lots = cells(inv.lots.len().max(1));
    let mut reconcile: Vec<Line> = Vec::new();
    match &panel.reconcile {
        Ok(r) => {
            reconcile.push(Line::from((c.reconcile_line)(
                r.loket_issued_unstamped,
                r.loket_available,
                r.provider_unstamped,
                r.provider_remaining,
            )));
            if r.discrepancies.is_empty() {
                reconcile.push(Line::from(c.reconcile_ok).fg(Color::Green));
            }
            for d in &r.discrepancies {
                reconcile.push(Line::from((c.reconcile_diff)(d)).fg(Color::Red).bold());
            }
        }
        Err(why) => reconcile.push(Line::from((c.reconcile_failed)(why)).fg(Color::Yellow)),
    }
    let reconcile_rows: u16 = reconcile
        .iter()
        .map(|l| {
            cells(l.width())
                .div_ceil(area.width.saturating_sub(2).max(1))
                .max(1)
        })
        .sum();
    // Paid jobs not yet stamped are money waiting: their list gets its rows first, then the
    // reconciliation (a difference is money too), then the stock (at least its two summary
    // lines); the claims take what is left.
    let h = area.height;
    let jobs = cells(panel.open_jobs.len());
    let jobs_box = if jobs == 0 {
        (0, 0)
    } else {
        ((jobs + 3).min(5), (jobs + 3).min((h / 2).max(5)))
    };
    let heights = stack(
        h,
        &[
            (4, (lots + 5).min(h / 2).max(4)),
            (3, reconcile_rows + 2),
            jobs_box,
        ],
        &[2, 1, 0],
    );
    let [top, mid, jobs_area, bottom] = Layout::vertical([
        Constraint::Length(heights[0]),
        Constraint::Length(heights[1]),
        Constraint::Length(heights[2]),
        Constraint::Fill(1),
    ])
    .areas(area);

    let service = match &state.devices.emeterai {
        crate::ui::state::DeviceState::Ready(how) => how.clone(),
        crate::ui::state::DeviceState::Problem { what, next } => format!("{what} — {next}"),
        _ => s.dev_not_connected.to_string(),
    };
    let inner = block(c.inventory_title).inner(top);
    frame.render_widget(block(c.inventory_title), top);
    let [line1, line2, table_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new((c.inventory_line)(
            inv.available,
            inv.issued,
            inv.stamped,
            inv.spoiled,
        ))
        .bold(),
        line1,
    );
    frame.render_widget(Paragraph::new((c.service_line)(&service)), line2);
    if inv.lots.is_empty() {
        frame.render_widget(Paragraph::new(c.no_lots).fg(Color::Gray), table_area);
    } else {
        let rows: Vec<Row> = inv
            .lots
            .iter()
            .map(|l| {
                Row::new(vec![
                    Cell::from(l.lot_id.clone()),
                    Cell::from(l.count.to_string()),
                    Cell::from(Rupiah::new(l.price_paid).to_string()),
                    Cell::from(l.available.to_string()),
                    Cell::from(l.used.to_string()),
                    Cell::from(l.spoiled.to_string()),
                ])
            })
            .collect();
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Fill(2),
                    Constraint::Length(7),
                    Constraint::Length(13),
                    Constraint::Length(9),
                    Constraint::Length(9),
                    Constraint::Length(6),
                ],
            )
            .header(header(vec![
                c.col_lot,
                c.col_count,
                c.col_price,
                c.col_available,
                c.col_used,
                c.col_spoiled,
            ])),
            table_area,
        );
    }

    frame.render_widget(
        Paragraph::new(reconcile)
            .wrap(Wrap { trim: true })
            .block(block(c.reconcile_title)),
        mid,
    );

    if !panel.open_jobs.is_empty() {
        open_jobs(frame, jobs_area, state, &panel.open_jobs);
    }
    // A box with no room for a row says nothing; the open jobs above matter more.
    if bottom.height < 3 {
        return;
    }
    if panel.claims.is_empty() {
        frame.render_widget(
            Paragraph::new(c.no_claims).block(block(c.claims_title)),
            bottom,
        );
        return;
    }
    let rows: Vec<Row> = panel
        .claims
        .iter()
        .map(|cl| {
            Row::new(vec![
                Cell::from(cl.sn.clone()),
                Cell::from(date(state, cl.spoiled_ms)),
                Cell::from(cl.ticket.clone().unwrap_or_else(|| "—".into())),
                Cell::from(cl.reason.clone()),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(22),
                // `30 September 2026`.
                Constraint::Length(17),
                Constraint::Length(6),
                Constraint::Fill(1),
            ],
        )
        .header(header(vec![
            c.col_sn,
            c.col_date,
            c.col_ticket,
            c.col_reason,
        ]))
        .block(block(c.claims_title)),
        bottom,
    );
}

/// Heights of boxes stacked in `total` rows, for all but the last box (which takes the rest):
/// in `priority` order each box first gets its minimum, then grows towards what it wants.
fn stack(total: u16, boxes: &[(u16, u16)], priority: &[usize]) -> Vec<u16> {
    let mut got = vec![0u16; boxes.len()];
    let mut left = total;
    for pass in 0..2 {
        for &i in priority {
            let Some(&(min, want)) = boxes.get(i) else {
                continue;
            };
            let goal = if pass == 0 { min } else { want.max(min) };
            let more = goal.saturating_sub(got[i]).min(left);
            got[i] += more;
            left -= more;
        }
    }
    got
}

/// The width of a column: its widest text or its header.
fn col_width(texts: impl Iterator<Item = String>, header: &str) -> u16 {
    let w = texts
        .map(|t| t.chars().count().max(1))
        .max()
        .unwrap_or(1)
        .max(header.chars().count());
    u16::try_from(w).unwrap_or(u16::MAX)
}

/// Paid jobs not yet stamped: number, ticket, whether the worker retries it (and when) or it is
/// held for a supervisor, and why, cut to the width; document and amount when the screen is wide.
fn open_jobs(frame: &mut Frame, area: Rect, state: &State, jobs: &[OpenJob]) {
    let s = state.lang.strings();
    let c = s.console;
    let status = |j: &OpenJob| match j.next_attempt_ms {
        _ if j.held => c.job_held.to_string(),
        Some(ms) if ms > state.now_ms => (c.job_waiting_at)(
            &crate::when::When::ms(ms, state.setup.timezone)
                .on_day_of(crate::clock::from_ms(state.now_ms)),
        ),
        _ => c.job_waiting_now.to_string(),
    };
    let no_w = col_width(jobs.iter().map(|j| format!("#{}", j.id)), c.col_id);
    let ticket_w = col_width(
        jobs.iter().map(|j| j.ticket.clone().unwrap_or_default()),
        c.col_ticket,
    );
    let status_w = col_width(jobs.iter().map(status), c.col_status);
    let paid_w = col_width(
        jobs.iter()
            .map(|j| j.paid.map(|r| r.to_string()).unwrap_or_default()),
        c.col_paid,
    );
    let wide = area.width >= 110;
    // Inside the borders, less the selection mark and one space between columns.
    let columns: u16 = if wide { 6 } else { 4 };
    let fixed = no_w + ticket_w + status_w + if wide { paid_w } else { 0 };
    let rest = area
        .width
        .saturating_sub(2 + 2 + (columns - 1) + fixed)
        .max(8);
    let (doc_w, reason_w) = if wide {
        let doc_w =
            col_width(jobs.iter().map(|j| j.document.clone()), c.col_document).min(rest / 3);
        (doc_w, rest - doc_w)
    } else {
        (0, rest)
    };
    let none = "—".to_string();
    let rows: Vec<Row> = jobs
        .iter()
        .map(|j| {
            let style = if j.held {
                Style::new().fg(Color::Red).bold()
            } else {
                Style::new().fg(Color::Yellow)
            };
            let mut cells = vec![
                Cell::from(format!("#{}", j.id)),
                Cell::from(j.ticket.clone().unwrap_or_else(|| none.clone())),
                Cell::from(status(j)).style(style),
            ];
            if wide {
                cells.push(Cell::from(cut(&j.document, usize::from(doc_w))));
                cells.push(Cell::from(
                    j.paid.map_or_else(|| none.clone(), |r| r.to_string()),
                ));
            }
            cells.push(Cell::from(cut(
                j.reason.as_deref().unwrap_or("—"),
                usize::from(reason_w),
            )));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(no_w),
        Constraint::Length(ticket_w),
        Constraint::Length(status_w),
    ];
    let mut head = vec![c.col_id, c.col_ticket, c.col_status];
    if wide {
        widths.extend([Constraint::Length(doc_w), Constraint::Length(paid_w)]);
        head.extend([c.col_document, c.col_paid]);
    }
    widths.push(Constraint::Fill(1));
    head.push(c.col_reason);
    let title = format!("{} ({})", c.jobs_title, jobs.len());
    let table = Table::new(rows, widths)
        .header(header(head))
        .block(block(&title).border_style(Style::new().fg(Color::Yellow)));
    selectable(frame, area, table, state.cursor);
}

pub fn outbox(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let c = s.console;
    // Why messages wait, when a channel is not set up: said above the list.
    let mut why = Vec::new();
    if !state.setup.mail_configured {
        why.push(c.outbox_no_smtp);
    }
    if !state.setup.whatsapp_configured {
        why.push(c.outbox_no_whatsapp);
    }
    let area = if why.is_empty() {
        area
    } else {
        let [note, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        frame.render_widget(
            Paragraph::new(why.join(" ")).style(Style::new().fg(Color::Yellow)),
            note,
        );
        rest
    };
    let Some(list) = &state.outbox else {
        return loading(frame, area, state, c.outbox_title);
    };
    if list.is_empty() {
        frame.render_widget(
            Paragraph::new(c.outbox_none).block(block(c.outbox_title)),
            area,
        );
        return;
    }
    // The time of today's mail, date and time of older mail still waiting.
    let now = crate::clock::from_ms(state.now_ms);
    let made = |ms: i64| crate::when::When::ms(ms, state.setup.timezone).on_day_of(now);
    let made_width = list
        .iter()
        .map(|m| made(m.created_ms).chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let rows: Vec<Row> = list
        .iter()
        .map(|m| {
            // WhatsApp's own states (delivered, read) where a webhook reported them.
            let word = match (m.status, m.wa_status.as_deref()) {
                (crate::delivery::outbox::Status::Sent, Some(w @ ("delivered" | "read"))) => w,
                _ => m.status.as_str(),
            };
            let status = (c.status_word)(word);
            let to = match m.channel {
                crate::delivery::Channel::Mail => m.to.clone(),
                crate::delivery::Channel::Whatsapp => {
                    format!("WA {}", crate::delivery::whatsapp::mask_number(&m.to))
                }
            };
            let style = match m.status {
                crate::delivery::outbox::Status::Sent => Style::new().fg(Color::Green),
                crate::delivery::outbox::Status::Failed => Style::new().fg(Color::Red).bold(),
                _ => Style::new().fg(Color::Yellow),
            };
            Row::new(vec![
                Cell::from(m.id.to_string()),
                Cell::from(made(m.created_ms)),
                Cell::from(to),
                Cell::from(status).style(style),
                Cell::from(m.attempts.to_string()),
                Cell::from(m.last_error.clone().unwrap_or_else(|| "—".into())),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(u16::try_from(made_width).unwrap_or(5)),
            Constraint::Fill(2),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Fill(3),
        ],
    )
    .header(header(vec![
        c.col_id,
        s.col_time,
        c.col_to,
        c.col_status,
        c.col_attempts,
        c.col_last_error,
    ]))
    .block(block(c.outbox_title));
    selectable(frame, area, table, state.cursor);
}

pub fn drawers(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let c = s.console;
    let Some(panel) = &state.drawers else {
        return loading(frame, area, state, c.sessions_title);
    };
    let sessions = cells(panel.sessions.len().max(1));
    let [top, bottom] = Layout::vertical([
        Constraint::Length((sessions + 3).min(area.height / 2)),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(bottom);

    let none = "—".to_string();
    if panel.sessions.is_empty() {
        frame.render_widget(
            Paragraph::new(c.no_sessions).block(block(c.sessions_title)),
            top,
        );
    } else {
        let rows: Vec<Row> = panel
            .sessions
            .iter()
            .map(|d| {
                let variance_style = match d.variance {
                    Some(v) if v != Rupiah::ZERO => Style::new().fg(Color::Red).bold(),
                    _ => Style::new(),
                };
                Row::new(vec![
                    Cell::from(d.counter.to_string()),
                    Cell::from(d.clerk.clone()),
                    Cell::from((c.session_state)(&d.state)),
                    Cell::from(d.float.to_string()),
                    Cell::from(d.expected.to_string()),
                    Cell::from(d.counted.map_or_else(|| none.clone(), |r| r.to_string())),
                    Cell::from(d.variance.map_or_else(|| none.clone(), |r| r.to_string()))
                        .style(variance_style),
                    Cell::from(d.z.map_or_else(|| none.clone(), |z| z.to_string())),
                ])
            })
            .collect();
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(5),
                    Constraint::Fill(1),
                    Constraint::Length(8),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(9),
                    Constraint::Length(3),
                ],
            )
            .header(header(vec![
                s.col_counter,
                s.col_clerk,
                s.col_state,
                c.col_float,
                c.col_expected,
                c.col_counted,
                c.col_variance,
                c.col_z,
            ]))
            .block(block(c.sessions_title)),
            top,
        );
    }

    let x = x_report_text(panel, usize::from(left.width.saturating_sub(2)), c);
    let shown = usize::from(left.height.saturating_sub(2));
    let top_line = usize::from(state.scroll).min(x.len().saturating_sub(shown));
    frame.render_widget(
        Paragraph::new(x)
            .block(block(s.tab_drawers))
            .scroll((u16::try_from(top_line).unwrap_or(u16::MAX), 0)),
        left,
    );

    if panel.z_reports.is_empty() {
        frame.render_widget(Paragraph::new(c.no_z).block(block(c.z_title)), right);
        return;
    }
    let rows: Vec<Row> = panel
        .z_reports
        .iter()
        .map(|z| {
            Row::new(vec![
                Cell::from(z.number.to_string()),
                Cell::from(z.counter.to_string()),
                Cell::from(z.business_day.clone()),
                Cell::from(z.reprints.to_string()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Length(5),
            Constraint::Length(10),
            Constraint::Length(7),
        ],
    )
    .header(header(vec![
        c.col_z,
        s.col_counter,
        c.col_day,
        c.col_copies,
    ]))
    .block(block(c.z_title));
    selectable(frame, right, table, state.cursor);
}

/// How many lines the drawers tab's X reports take (the supervisor scrolls through them).
pub fn x_report_lines(panel: &DrawersPanel) -> usize {
    let lines: usize = panel
        .x_reports
        .iter()
        .map(|r| 1 + r.sections.iter().map(|s| 1 + s.rows.len()).sum::<usize>())
        .sum();
    lines.max(1)
}

/// The X report of each open drawer: its sections, label and amount, fitted to `width`.
fn x_report_text(panel: &DrawersPanel, width: usize, c: &ConsoleStrings) -> Vec<Line<'static>> {
    let mut x: Vec<Line> = Vec::new();
    for report in &panel.x_reports {
        x.push(Line::from((c.x_title)(report.counter, report.session)).bold());
        for section in &report.sections {
            x.push(Line::from(section.title.clone()).fg(Color::Cyan));
            for r in &section.rows {
                let amount = r.amount.clone().unwrap_or_default();
                let count = r
                    .count
                    .clone()
                    .map(|n| format!("{n}× "))
                    .unwrap_or_default();
                let right_part = format!("{count}{amount}");
                let label_w = width.saturating_sub(right_part.chars().count() + 1);
                let label: String = r.label.chars().take(label_w).collect();
                x.push(Line::from(format!("{label:<label_w$} {right_part}")));
            }
        }
    }
    if x.is_empty() {
        x.push(Line::from(c.no_open_drawer).fg(Color::Gray));
    }
    x
}

/// What is left half-done (belum selesai), oldest first: counter, clerk, ticket, age, what it is
/// and the keys that settle it; below, the selected row in full.
pub fn unfinished(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let c = s.console;
    let Some(rows) = &state.unfinished else {
        return loading(frame, area, state, c.uf_title);
    };
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(c.uf_none)
                .wrap(Wrap { trim: true })
                .block(block(c.uf_title)),
            area,
        );
        return;
    }
    let none = "—".to_string();
    let age = |r: &UnfinishedRow| (c.uf_age)((state.now_ms - r.item.since_ms).max(0) / 60_000);
    let counter = |r: &UnfinishedRow| {
        r.item
            .counter
            .map_or_else(|| none.clone(), |n| n.to_string())
    };
    let ticket = |r: &UnfinishedRow| r.item.ticket.clone().unwrap_or_else(|| none.clone());
    let counter_w = col_width(rows.iter().map(counter), s.col_counter);
    let clerk_w = col_width(rows.iter().map(|r| r.item.clerk.clone()), s.col_clerk);
    let ticket_w = col_width(rows.iter().map(ticket), s.col_ticket);
    let age_w = col_width(rows.iter().map(age), c.col_age);
    let wide = area.width >= 110;
    let columns: u16 = if wide { 6 } else { 5 };
    let rest = area
        .width
        .saturating_sub(2 + 2 + (columns - 1) + counter_w + clerk_w + ticket_w + age_w)
        .max(8);
    let (what_w, next_w) = if wide {
        let next_w = col_width(rows.iter().map(|r| (c.uf_next)(r)), c.col_next).min(rest / 2);
        (rest - next_w, next_w)
    } else {
        (rest, 0)
    };
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            let money = match r.kind {
                UnfinishedKind::Sale { paid, .. } => paid.is_positive(),
                UnfinishedKind::Job(j) => j.can_settle() || j == crate::stamping::State::Stamped,
            };
            let style = if money {
                Style::new().fg(Color::Red).bold()
            } else {
                Style::new().fg(Color::Yellow)
            };
            let mut cells = vec![
                Cell::from(counter(r)),
                Cell::from(r.item.clerk.clone()),
                Cell::from(ticket(r)),
                Cell::from(age(r)),
                Cell::from(cut(&(c.uf_what)(r), usize::from(what_w))).style(style),
            ];
            if wide {
                cells.push(Cell::from(cut(&(c.uf_next)(r), usize::from(next_w))));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(counter_w),
        Constraint::Length(clerk_w),
        Constraint::Length(ticket_w),
        Constraint::Length(age_w),
    ];
    let mut head = vec![
        s.col_counter,
        s.col_clerk,
        s.col_ticket,
        c.col_age,
        c.col_what,
    ];
    if wide {
        widths.extend([Constraint::Length(what_w), Constraint::Fill(1)]);
        head.push(c.col_next);
    } else {
        widths.push(Constraint::Fill(1));
    }
    // The list takes the room; the selected row in full below it when there is room for both.
    let detail_h = if area.height >= 12 { 5 } else { 0 };
    let [list, detail] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(area);
    let title = format!("{} ({})", c.uf_title, rows.len());
    let table = Table::new(table_rows, widths)
        .header(header(head))
        .block(block(&title).border_style(Style::new().fg(Color::Yellow)));
    selectable(frame, list, table, state.cursor);

    let Some(r) = rows.get(state.cursor) else {
        return;
    };
    if detail.height < 3 {
        return;
    }
    let mut lines = vec![
        Line::from((c.uf_what)(r)).bold(),
        Line::from((c.uf_next)(r)).fg(Color::Cyan),
    ];
    let ticket_part = r
        .item
        .ticket
        .as_ref()
        .map(|t| format!("{} {t} · ", s.col_ticket))
        .unwrap_or_default();
    lines.push(Line::from(format!(
        "{ticket_part}{} {} · {} · {}",
        s.col_counter,
        counter(r),
        r.item.clerk,
        clock_time(r.item.since_ms, state.setup.timezone)
    )));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(&(c.uf_subject)(r.subject))),
        detail,
    );
}
