//! The supervisor console's daily-pack tab: today's pack as the same Indonesian text `loket report
//! daily` prints, scrolled to its start.

use crate::branch::{Branch, BranchError};
use crate::ui::state::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Paragraph};

/// Builds today's pack and renders it as text (called on the worker thread).
pub fn load(branch: &mut Branch) -> Result<String, BranchError> {
    let day = branch.store.today();
    let pack = crate::report::pack::daily(branch, day)?;
    Ok(crate::report::text::render(
        &pack,
        branch.config.branch.timezone,
    ))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let s = state.lang.strings();
    let block = Block::bordered()
        .title(format!(" {} ", s.tab_daily))
        .title_style(Style::new().bold());
    let text = state.daily.as_deref().unwrap_or(s.connecting);
    frame.render_widget(Paragraph::new(text).block(block), area);
}
