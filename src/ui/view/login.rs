//! The sign-in screen of the counter and the supervisor console: user id, masked PIN, refusals in words.

use crate::ui::state::{Mode, State};
use crate::ui::view::common;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, state: &State) {
    let s = state.lang.strings();
    let [head, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(2),
    ])
    .areas(frame.area());
    common::header(frame, head, state);

    let form = &state.login;
    let field = |label: &str, value: String, focused: bool| {
        let cursor = if focused { "▏" } else { "" };
        Line::from(vec![
            Span::raw(if focused { "▶ " } else { "  " }),
            Span::raw(format!("{label:<14}")).bold(),
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
    let mut lines = vec![
        Line::raw(""),
        field(s.user_id, form.id.clone(), form.focus == 0),
        Line::raw(""),
        field(s.pin, "•".repeat(form.pin.len()), form.focus == 1),
        Line::raw(""),
    ];
    if form.checking {
        lines.push(Line::from(s.checking_pin).fg(Color::Yellow));
    } else if let Some(e) = &form.error {
        lines.push(Line::from(e.clone()).fg(Color::Red).bold());
    }
    lines.push(Line::raw(""));
    if state.users_exist == Some(false) {
        lines.push(Line::from(s.no_users).fg(Color::Yellow));
    } else if state.demo {
        lines.push(Line::from(s.demo_users).fg(Color::Gray));
    }
    let title = if state.mode == Mode::Supervisor {
        s.login_supervisor_title
    } else {
        s.login_title
    };
    let width = 64.min(body.width.saturating_sub(2));
    let rect = common::centered(body, width, 14);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .padding(Padding::horizontal(1))
                .title(format!(" {title} "))
                .title_style(Style::new().bold())
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        rect,
    );
    frame.render_widget(Paragraph::new(common::key_lines(state, keys.width)), keys);
}
