//! The hall display: the newest call in large block letters, the latest calls, waiting per service
//! and the running text.

use crate::ui::state::State;
use crate::ui::view::common;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// How long the newest call stays highlighted.
const HIGHLIGHT_MS: i64 = 10_000;

/// Rows of each glyph of the block font, `#` for a filled cell.
fn glyph(c: char) -> [&'static str; 5] {
    match c {
        '0' => ["####", "#  #", "#  #", "#  #", "####"],
        '1' => ["  # ", " ## ", "  # ", "  # ", " ###"],
        '2' => ["####", "   #", "####", "#   ", "####"],
        '3' => ["####", "   #", " ###", "   #", "####"],
        '4' => ["#  #", "#  #", "####", "   #", "   #"],
        '5' => ["####", "#   ", "####", "   #", "####"],
        '6' => ["####", "#   ", "####", "#  #", "####"],
        '7' => ["####", "   #", "  # ", " #  ", " #  "],
        '8' => ["####", "#  #", "####", "#  #", "####"],
        '9' => ["####", "#  #", "####", "   #", "####"],
        'A' => [" ## ", "#  #", "####", "#  #", "#  #"],
        'B' => ["### ", "#  #", "### ", "#  #", "### "],
        'C' => [" ###", "#   ", "#   ", "#   ", " ###"],
        'D' => ["### ", "#  #", "#  #", "#  #", "### "],
        'E' => ["####", "#   ", "### ", "#   ", "####"],
        'F' => ["####", "#   ", "### ", "#   ", "#   "],
        'G' => [" ###", "#   ", "# ##", "#  #", " ###"],
        'H' => ["#  #", "#  #", "####", "#  #", "#  #"],
        'I' => [" ###", "  # ", "  # ", "  # ", " ###"],
        'J' => ["   #", "   #", "   #", "#  #", " ## "],
        'K' => ["#  #", "# # ", "##  ", "# # ", "#  #"],
        'L' => ["#   ", "#   ", "#   ", "#   ", "####"],
        'M' => ["#  #", "####", "####", "#  #", "#  #"],
        'N' => ["#  #", "## #", "# ##", "#  #", "#  #"],
        'O' => [" ## ", "#  #", "#  #", "#  #", " ## "],
        'P' => ["### ", "#  #", "### ", "#   ", "#   "],
        'Q' => [" ## ", "#  #", "#  #", "# ##", " ###"],
        'R' => ["### ", "#  #", "### ", "# # ", "#  #"],
        'S' => [" ###", "#   ", " ## ", "   #", "### "],
        'T' => ["####", " #  ", " #  ", " #  ", " #  "],
        'U' => ["#  #", "#  #", "#  #", "#  #", " ## "],
        'V' => ["#  #", "#  #", "#  #", " ## ", " ## "],
        'W' => ["#  #", "#  #", "####", "####", "#  #"],
        'X' => ["#  #", "#  #", " ## ", "#  #", "#  #"],
        'Y' => ["#  #", "#  #", " ## ", " #  ", " #  "],
        'Z' => ["####", "   #", " ## ", "#   ", "####"],
        '-' => ["    ", "    ", "### ", "    ", "    "],
        _ => ["    ", "    ", "    ", "    ", "    "],
    }
}

/// `text` in block characters `scale` times the size of [`big_text`] (each cell repeated across and
/// down), for large hall screens.
pub fn big_text_scaled(text: &str, scale: usize) -> Vec<String> {
    let scale = scale.max(1);
    big_text(text)
        .iter()
        .flat_map(|row| {
            let wide: String = row
                .chars()
                .flat_map(|c| std::iter::repeat_n(c, scale))
                .collect();
            std::iter::repeat_n(wide, scale)
        })
        .collect()
}

/// `text` as five lines of block characters (each glyph four cells wide plus a gap).
pub fn big_text(text: &str) -> [String; 5] {
    let mut rows: [String; 5] = Default::default();
    for c in text.to_uppercase().chars() {
        let g = glyph(c);
        for (row, part) in rows.iter_mut().zip(g) {
            if !row.is_empty() {
                row.push(' ');
            }
            row.extend(part.chars().map(|x| if x == '#' { '█' } else { ' ' }));
        }
    }
    rows
}

pub fn draw(frame: &mut Frame, state: &State) {
    let s = state.lang.strings();
    let area = frame.area();
    let [head, body, ticker] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    common::header(frame, head, state);
    let [main, side] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
    newest(frame, main, state);
    let calls_rows = (side.height / 2).max(6);
    let [recent, waiting] =
        Layout::vertical([Constraint::Length(calls_rows), Constraint::Fill(1)]).areas(side);

    let calls = state
        .status
        .as_ref()
        .map(|st| st.recent_calls.as_slice())
        .unwrap_or_default();
    let recent_lines: Vec<Line> = calls
        .iter()
        .skip(1)
        .take(usize::from(calls_rows.saturating_sub(2)))
        .map(|c| {
            Line::from(vec![
                Span::raw(format!(" {:<8}", c.ticket)).bold(),
                Span::raw(format!("→ {} {}", s.counter, c.counter)),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(recent_lines).block(
            Block::bordered()
                .title(format!(" {} ", s.display_recent))
                .title_style(Style::new().bold()),
        ),
        recent,
    );
    let name_width = usize::from(waiting.width).saturating_sub(16).max(4);
    let waiting_lines: Vec<Line> = state
        .status
        .as_ref()
        .map(|st| st.services.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|svc| {
            let name: String = svc.name.chars().take(name_width).collect();
            Line::from(vec![
                Span::raw(format!(" {} {name:<name_width$} ", svc.prefix)),
                Span::raw((s.display_people)(svc.waiting)).bold(),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(waiting_lines).block(
            Block::bordered()
                .title(format!(" {} ", s.display_waiting))
                .title_style(Style::new().bold()),
        ),
        waiting,
    );
    running_text(frame, ticker, state);
}

fn newest(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let block = Block::bordered();
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(call) = state.status.as_ref().and_then(|st| st.recent_calls.first()) else {
        // "No calls yet" only once the queue has been read: until then nothing is known.
        let text = if state.status.is_some() {
            s.display_no_calls
        } else {
            s.connecting
        };
        frame.render_widget(
            Paragraph::new(text).alignment(Alignment::Center),
            common::centered(inner, inner.width, 1),
        );
        return;
    };
    let fresh = state.now_ms - state.announced.newest_at_ms < HIGHLIGHT_MS
        && state.announced.newest_at_ms > 0;
    let style = if fresh {
        Style::new().fg(Color::Yellow).bold()
    } else {
        Style::new().fg(Color::White).bold()
    };
    // Twice the size when the screen has room for both lines of big text (a TV terminal usually does).
    let ticket = call.ticket.to_string();
    let ticket_width = big_text(&ticket)[0].chars().count();
    let scale = if usize::from(inner.width) >= ticket_width * 2 + 2 && inner.height >= 28 {
        2
    } else {
        1
    };
    let mut lines = vec![
        Line::raw(""),
        Line::from(s.display_now_calling).bold(),
        Line::raw(""),
    ];
    lines.extend(
        big_text_scaled(&ticket, scale)
            .into_iter()
            .map(|r| Line::styled(r, style)),
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(s.display_to_counter).bold());
    lines.push(Line::raw(""));
    lines.extend(
        big_text_scaled(&call.counter.to_string(), scale)
            .into_iter()
            .map(|r| Line::styled(r, style)),
    );
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
}

/// The configured running text, moving one cell every 150 ms.
fn running_text(frame: &mut Frame, area: Rect, state: &State) {
    let text: Vec<char> = format!("{}     •     ", state.setup.running_text)
        .chars()
        .collect();
    if text.is_empty() {
        return;
    }
    let offset = usize::try_from(state.now_ms.max(0) / 150).unwrap_or(0) % text.len();
    let shown: String = text
        .iter()
        .cycle()
        .skip(offset)
        .take(usize::from(area.width))
        .collect();
    frame.render_widget(
        Paragraph::new(shown).style(Style::new().fg(Color::Black).bg(Color::Yellow)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::{big_text, big_text_scaled, glyph};

    #[test]
    fn every_glyph_is_four_by_five() {
        for c in ('0'..='9').chain('A'..='Z').chain(['-', ' ']) {
            for row in glyph(c) {
                assert_eq!(row.chars().count(), 4, "{c:?}");
            }
        }
    }

    #[test]
    fn big_text_lays_glyphs_out_with_gaps() {
        let rows = big_text("a-1");
        assert_eq!(rows[0], " ██         █ ");
        assert_eq!(rows[2], "████ ███    █ ");
        assert!(rows.iter().all(|r| r.chars().count() == 14));
        let twice = big_text_scaled("1", 2);
        assert_eq!(twice.len(), 10);
        assert_eq!(twice[0], "    ██  ");
        assert_eq!(twice[0], twice[1]);
    }
}
