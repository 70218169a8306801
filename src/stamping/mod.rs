//! The stamping service: persistent jobs, serial-number accounting and the providers that issue and
//! apply e-Meterai stamps.

pub mod documents;
pub mod job;
pub mod ledger;
