//! loket: the counter terminal of a Pos Indonesia branch — queue, till, e-Meterai stamping and delivery.

pub mod branch;
pub mod clock;
pub mod config;
pub mod day;
pub mod journal;
pub mod queue;
pub mod cli;
pub mod stress;
pub mod store;
pub mod users;
pub mod money;
pub mod qris;
pub mod till;

pub use branch::{Branch, BranchError};
