//! The stamping service end to end: jobs from a received document to a delivered stamped file,
//! with the SN ledger, the cashier and the providers.

mod cli;
mod crash;
mod flow;
mod local;
mod many;
mod peruri;
mod settle;
mod shared;
pub(crate) mod support;
mod tsa;
pub mod visit;
mod worker;
