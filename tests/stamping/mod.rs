//! The stamping service end to end: jobs from a received document to a delivered stamped file,
//! with the SN ledger, the cashier and the providers.

mod crash;
mod flow;
mod support;
