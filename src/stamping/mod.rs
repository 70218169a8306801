//! The stamping service: persistent jobs, serial-number accounting, and the providers that issue and
//! apply e-Meterai stamps — the provider seam and Peruri's API client with its failure handling
//! (the fake Peruri the tests use is in `crate::testing`).

pub mod cli;
pub mod documents;
pub mod job;
pub mod ledger;
pub mod local;
pub mod peruri;
pub mod provider;
pub mod request_id;
pub mod resilience;
pub mod service;
pub mod tsa_http;
pub mod worker;

pub use job::{JobId, Place, Sn, State};
pub use service::{
    DocPasswords, JobFilter, JobOutput, JobStage, JobView, OpenJob, ReceiveDocument, Settle,
    Settled, Settlement, StampingError, VisitResume, VisitStep,
};
