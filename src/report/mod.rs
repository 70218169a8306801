//! The supervisor's daily pack: figures for one business day (or a range), read from the store.
//! Reports only read; they never change state.

pub mod cli;
pub mod csv;
pub mod model;
pub mod pack;
pub mod pdf;
pub mod queue;
pub mod send;
pub mod stats;
pub mod term;
pub mod text;
pub mod thermal;

use std::path::PathBuf;

/// What writing the pack's files can fail with; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Csv {
        path: PathBuf,
        #[source]
        source: ::csv::Error,
    },
    Receipt(String),
    Anchor(crate::journal::anchor::AnchorError),
    RangeBackwards {
        from: crate::day::BusinessDay,
        to: crate::day::BusinessDay,
    },
}
