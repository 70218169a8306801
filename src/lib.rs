//! loket: the counter terminal of a Pos Indonesia branch — queue, till, e-Meterai stamping and delivery.

pub mod branch;
pub mod clock;
pub mod config;
pub mod day;
pub mod delivery;
pub mod journal;
pub mod queue;
pub mod cli;
pub mod stress;
pub mod store;
pub mod users;

pub use branch::{Branch, BranchError};
