//! The supervisor console's daily-pack tab: today's pack as the same Indonesian text `loket report
//! daily` prints, scrolled with PgUp/PgDn.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::ui::state::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Builds today's pack and renders it as text (called on the worker thread).
pub fn load(branch: &mut Branch) -> Result<String, LoketError> {
    let day = branch.today();
    let pack = branch.reports().daily_in_branch(day)?;
    Ok(crate::report::text::render(
        &pack,
        branch.config().branch.timezone,
    ))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let block = Block::bordered()
        .title(format!(" {} ", s.tab_daily))
        .title_style(Style::new().bold());
    let text = state.daily.as_deref().unwrap_or(s.connecting);
    // Long lines (the belum selesai list, notes) wrap; PgUp/PgDn scroll (the update keeps
    // `scroll` inside the text), never past the last screenful.
    let shown = area.height.saturating_sub(2);
    let lines =
        u16::try_from(wrapped_lines(text, area.width.saturating_sub(2))).unwrap_or(u16::MAX);
    let top = state.scroll.min(lines.saturating_sub(shown));
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((top, 0)),
        area,
    );
}

/// How many rows `text` takes wrapped at `width` columns (each line at least one).
pub fn wrapped_lines(text: &str, width: u16) -> usize {
    let width = usize::from(width.max(1));
    text.lines()
        .map(|l| l.chars().count().div_ceil(width).max(1))
        .sum()
}
