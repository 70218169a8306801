//! The supervisor console: the live branch (queues against their targets, counters and clerks, who
//! waits), approvals, and the tabs of `console` and `daily`.

use crate::queue::CounterState;
use crate::ui::state::{State, Tab};
use crate::ui::strings::Strings;
use crate::ui::update::state_word;
use crate::ui::view::{common, counter};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Tabs};

pub fn tab_title(s: &Strings, tab: Tab) -> &'static str {
    match tab {
        Tab::Live => s.tab_live,
        Tab::Approvals => s.tab_approvals,
        Tab::Emeterai => s.tab_emeterai,
        Tab::Outbox => s.tab_outbox,
        Tab::Drawers => s.tab_drawers,
        Tab::Daily => s.tab_daily,
        Tab::Unfinished => s.tab_unfinished,
    }
}

pub fn draw(frame: &mut Frame, state: &State) {
    let s = state.lang.strings();
    let area = frame.area();
    let keys = common::key_lines(state, area.width);
    let devices = common::device_lines(state, area.width);
    let [head, tabs, body, msg, dev, key] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(common::cells(devices.len())),
        Constraint::Length(common::cells(keys.len())),
    ])
    .areas(area);
    common::header(frame, head, state);
    // Every tab by number and name; on a narrow screen the others by number only, so all stay in
    // reach of their digit key.
    let full: usize = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, tab_title(s, *t)).chars().count() + 3)
        .sum();
    let titles: Vec<String> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if full <= usize::from(tabs.width) || *t == state.tab {
                format!("{} {}", i + 1, tab_title(s, *t))
            } else {
                format!("{}", i + 1)
            }
        })
        .collect();
    let selected = Tab::ALL.iter().position(|t| *t == state.tab);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(Style::new().fg(Color::Black).bg(Color::Cyan).bold()),
        tabs,
    );
    match state.tab {
        Tab::Live => live(frame, body, state),
        Tab::Approvals => approvals(frame, body, state),
        Tab::Daily => super::daily::draw(frame, body, state),
        Tab::Emeterai => super::console::emeterai(frame, body, state),
        Tab::Outbox => super::console::outbox(frame, body, state),
        Tab::Drawers => super::console::drawers(frame, body, state),
        Tab::Unfinished => super::console::unfinished(frame, body, state),
    }
    common::message(frame, msg, state);
    frame.render_widget(
        Paragraph::new(devices).style(Style::new().bg(Color::Black)),
        dev,
    );
    frame.render_widget(Paragraph::new(keys), key);
}

fn live(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let services = common::cells(state.setup.services.len()) + 3;
    let counters = state
        .status
        .as_ref()
        .map_or(0, |st| common::cells(st.counters.len()))
        + 3;
    let [left, right] = Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(area);
    let [svc_area, counter_area] = Layout::vertical([
        Constraint::Length(services),
        Constraint::Min(counters.min(8)),
    ])
    .areas(left);
    frame.render_widget(
        counter::services_table(s, state.status.as_ref()).block(
            Block::bordered()
                .title(format!(" {} ", s.queue_title))
                .title_style(Style::new().bold()),
        ),
        svc_area,
    );

    let rows: Vec<Row> = state
        .status
        .as_ref()
        .map(|st| st.counters.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let st = match (c.state, &c.reason) {
                (CounterState::Break, Some(r)) => format!("{} ({r})", state_word(s, c.state)),
                (other, _) => state_word(s, other).to_string(),
            };
            let style = match c.state {
                CounterState::Open => Style::new().fg(Color::Green),
                CounterState::Break => Style::new().fg(Color::Yellow),
                CounterState::Closed => Style::new().fg(Color::DarkGray),
            };
            let ticket = match (&c.ticket, c.ticket_status) {
                (Some(t), Some(status)) => format!("{t} {}", status.label()),
                _ => "—".to_string(),
            };
            Row::new(vec![
                Cell::from(format!("{}", c.number)),
                Cell::from(st).style(style),
                Cell::from(c.clerk.clone().unwrap_or_else(|| "—".into())),
                Cell::from(ticket),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Fill(2),
                Constraint::Fill(1),
                Constraint::Fill(2),
            ],
        )
        .header(
            Row::new(vec![s.col_counter, s.col_state, s.col_clerk, s.col_ticket])
                .style(Style::new().bold().underlined()),
        )
        .block(
            Block::bordered()
                .title(format!(" {} ", s.counters_title))
                .title_style(Style::new().bold()),
        ),
        counter_area,
    );

    counter::waiting_list(frame, right, state);
}

/// Today's approvals: who approved what for whom and why, and whether it was used.
fn approvals(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let block = Block::bordered()
        .title(format!(" {} ", s.approvals_title))
        .title_style(Style::new().bold());
    let rows = state.approvals.as_deref().unwrap_or_default();
    if rows.is_empty() {
        let text = if state.approvals.is_some() {
            s.approvals_none
        } else {
            s.connecting
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|a| {
            Row::new(vec![
                Cell::from(crate::queue::clock_time(a.at_ms, state.setup.timezone)),
                Cell::from(a.supervisor.clone()),
                Cell::from((s.action_name)(&a.action)),
                Cell::from(a.subject.clone()),
                Cell::from(a.requested_by.clone()),
                Cell::from(a.reason.clone()),
                Cell::from(if a.used { s.yes } else { s.no }),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            table_rows,
            [
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Length(16),
                Constraint::Length(8),
                Constraint::Length(9),
                Constraint::Fill(1),
                Constraint::Length(8),
            ],
        )
        .header(
            Row::new(vec![
                s.col_time,
                s.supervisor,
                s.col_action,
                s.col_subject,
                s.col_requested_by,
                s.col_reason,
                s.col_used,
            ])
            .style(Style::new().bold().underlined()),
        )
        .block(block),
        area,
    );
}
