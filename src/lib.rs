//! loket: the counter terminal of a Pos Indonesia branch — queue, till, e-Meterai stamping and delivery.

pub mod backup;
pub mod branch;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crash;
pub mod day;
pub mod delivery;
pub mod dispenser;
pub mod doctor;
pub mod error;
pub mod hall;
pub mod io_what;
pub mod journal;
pub mod lang;
pub mod money;
pub mod pdf;
pub mod printing;
pub mod qris;
pub mod queue;
pub mod report;
pub mod secret;
pub mod server;
pub mod stamping;
pub mod store;
pub mod stress;
#[cfg(feature = "testing")]
pub mod testing;
pub mod till;
pub mod ui;
pub mod unfinished;
pub mod users;
pub mod when;
pub mod words;

pub use branch::{Branch, BranchError};
pub use error::LoketError;
