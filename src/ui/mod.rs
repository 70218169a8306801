//! The terminal screens: the clerk's counter (`loket`, `loket counter`), the hall display
//! (`loket display`) and the supervisor console (`loket supervisor`).
//!
//! One event loop (`app`) turns keys, ticks and worker results into [`state::Action`]s; the pure
//! [`update::update`] changes [`state::State`] and returns [`state::Effect`]s; the [`worker`] runs
//! every effect that touches the branch on its own `Branch` and sends the outcome back. Screens in
//! [`view`] only draw the state. The UI thread never runs SQL.

pub mod app;
pub mod console_worker;
pub mod flow;
pub mod flow_worker;
pub mod state;
pub mod strings;
pub mod update;
pub mod view;
pub mod worker;

use crate::branch::Branch;
use crate::config;
use crate::error::LoketError;
use crate::users::Role;
use std::io::IsTerminal;
use std::path::Path;

pub use app::Options;
pub use state::Mode;
pub use strings::Lang;

/// What can stop the screens.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    Terminal(#[source] std::io::Error),
    Thread(#[source] std::io::Error),
    WorkerStopped,
    NotATerminal,
}

/// Environment variable naming a folder the counter treats as the customer's flash drive
/// (training without a USB port, and the end-to-end tests).
pub const DRIVE_DIR_VAR: &str = "LOKET_DRIVE_DIR";

/// The name the demo's training clerk carries; the login screen shows the demo PINs while it exists.
pub const DEMO_CLERK_NAME: &str = "Petugas Latihan (demo)";

/// Adds the demo's training users — clerk `petugas` PIN 1234 and supervisor `kepala` PIN 9999 — to
/// a branch that has no users yet. Returns whether it added them.
pub fn seed_demo_users(branch: &mut Branch) -> Result<bool, LoketError> {
    if !branch.users().list()?.is_empty() {
        return Ok(false);
    }
    branch
        .users()
        .add_user("system", "petugas", DEMO_CLERK_NAME, Role::Clerk, "1234")?;
    branch.users().add_user(
        "system",
        "kepala",
        "Kepala Loket Latihan (demo)",
        Role::Supervisor,
        "9999",
    )?;
    Ok(true)
}

/// Opens the branch in `data` and runs the screens of `mode` until the user quits. A data folder
/// without configuration gets the demo configuration and its training users, so a bare `loket`
/// runs anywhere.
pub fn run(data: &Path, mode: Mode, lang: Lang, counter: u32) -> Result<(), LoketError> {
    if !std::io::stdout().is_terminal() {
        return Err(UiError::NotATerminal.into());
    }
    let fresh = !data.join(config::FILE_NAME).exists();
    let mut branch = Branch::open_or_init(data)?;
    if fresh {
        seed_demo_users(&mut branch)?;
    }
    if mode == Mode::Counter && branch.config().counter(counter).is_none() {
        return Err(crate::cli::CliError::NoSuchCounter {
            counter,
            config: data.join(config::FILE_NAME),
        }
        .into());
    }
    app::run(
        branch,
        Options {
            mode,
            lang,
            counter,
            drive_dir: std::env::var_os(DRIVE_DIR_VAR).map(std::path::PathBuf::from),
        },
    )?;
    Ok(())
}
