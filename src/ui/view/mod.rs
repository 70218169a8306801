//! Drawing: each screen is a function of `State` alone; screens never call each other.

pub mod common;
pub mod console;
pub mod counter;
pub mod daily;
pub mod display;
pub mod flow;
pub mod login;
pub mod supervisor;

use crate::ui::state::{Mode, State};
use ratatui::Frame;

/// Draws the whole screen for `state`.
pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < common::MIN_WIDTH || area.height < common::MIN_HEIGHT {
        common::too_small(frame, state.lang.strings());
        return;
    }
    match state.mode {
        Mode::Display => display::draw(frame, state),
        _ if state.user.is_none() => login::draw(frame, state),
        Mode::Counter => counter::draw(frame, state),
        Mode::Supervisor => supervisor::draw(frame, state),
    }
    common::dialog(frame, state);
    common::help(frame, state);
}
