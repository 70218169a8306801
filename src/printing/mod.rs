//! Printing for the app: opens configured printers, prints slips, records print jobs and device incidents.
//!
//! The flow of every print: the slip's data (a `loket_receipts` layout input) is stored with a
//! `print_jobs` row in state `pending`, laid out and encoded for the printer's profile, sent with
//! `loket_drivers::Printer::print` (status read before and after), and the row becomes `printed`
//! or `failed` with the error. What the printer reported opens or closes `device_incidents` rows
//! in the same transaction. The outcome ([`PrintOutcome`]) carries the Indonesian sentence for the
//! clerk.
//!
//! Printers are kept open per data folder and name for the life of the process ([`registry`]),
//! so the virtual printer keeps its state and numbering and a network printer its connection.

pub mod cli;
pub mod data;
mod registry;
mod service;

pub use data::{ClaimData, StampProofData};
pub use registry::PrinterHandle;
pub use service::PrintPayload;

use loket_drivers::{PrintError, PrinterStatus, Problem, Warning};
use serde::Serialize;

/// Anything printing can refuse or fail with (a failed print is not an error: it is a
/// [`PrintOutcome`] with `printed == false`).
#[derive(Debug, thiserror::Error)]
pub enum PrintingError {
    Store(#[from] crate::store::StoreError),
    Queue(#[from] crate::queue::QueueError),
    Till(#[from] crate::till::TillError),
    HallSecret(#[from] crate::hall::token::TokenError),
    NoCounterPrinter(u32),
    UnknownCounter(u32),
    NoDispenserPrinter,
    UnknownPrinter(String),
    BadPrinterConfig {
        name: String,
        what: String,
    },
    UnknownProfile(String),
    Open {
        name: String,
        #[source]
        source: PrintError,
    },
    Encode {
        name: String,
        #[source]
        source: loket_receipts::EncodeError,
    },
    UnknownJob(i64),
    UnknownTicket(String),
    BadPayload {
        id: i64,
        #[source]
        source: serde_json::Error,
    },
    UnknownQris(String),
}

/// A condition of a device worth an incident row; `kind` is what `device_incidents.kind` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    PaperOut,
    CoverOpen,
    Offline,
    Timeout,
    Disconnected,
    Unavailable,
    /// A warning: it still prints.
    PaperNearEnd,
}

impl Condition {
    /// The value stored in `device_incidents.kind`.
    pub fn kind(self) -> &'static str {
        match self {
            Condition::PaperOut => "paper_out",
            Condition::CoverOpen => "cover_open",
            Condition::Offline => "offline",
            Condition::Timeout => "timeout",
            Condition::Disconnected => "disconnected",
            Condition::Unavailable => "unavailable",
            Condition::PaperNearEnd => "paper_near_end",
        }
    }

    /// Whether the printer still prints.
    pub fn is_warning(self) -> bool {
        self == Condition::PaperNearEnd
    }

    /// What is wrong, for the clerk, in the process's language.
    pub fn what(self) -> &'static str {
        crate::words::current().printer_condition(self)
    }

    /// What the clerk does next, in the process's language.
    pub fn next_step(self) -> &'static str {
        crate::words::current().printer_next_step(self)
    }

    pub(crate) fn of_error(e: &PrintError) -> Condition {
        match e {
            PrintError::PaperOut { .. } => Condition::PaperOut,
            PrintError::CoverOpen { .. } => Condition::CoverOpen,
            PrintError::Offline { .. } => Condition::Offline,
            PrintError::Timeout { .. } => Condition::Timeout,
            PrintError::Disconnected { .. } => Condition::Disconnected,
            PrintError::Unavailable { .. } => Condition::Unavailable,
        }
    }

    pub(crate) fn of_status(s: &PrinterStatus) -> Vec<Condition> {
        match s.problem() {
            Some(Problem::PaperOut) => vec![Condition::PaperOut],
            Some(Problem::CoverOpen) => vec![Condition::CoverOpen],
            Some(Problem::Offline) => vec![Condition::Offline],
            None if s.paper_near_end => vec![Condition::PaperNearEnd],
            None => Vec::new(),
        }
    }

    pub(crate) fn of_warnings(w: &[Warning]) -> Vec<Condition> {
        w.iter()
            .map(|w| match w {
                Warning::PaperNearEnd => Condition::PaperNearEnd,
            })
            .collect()
    }
}

/// What happened to one print, for the screen and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintOutcome {
    /// The `print_jobs` row; `reprint(job)` prints it again.
    pub job: i64,
    /// Printer name in `[printers]`.
    pub printer: String,
    /// Whether the printer confirmed the slip.
    pub printed: bool,
    /// The problem that stopped it (or the warning it printed with).
    pub condition: Option<Condition>,
    /// Full Indonesian sentence for the clerk: what happened and what to do next.
    pub message: String,
}

impl PrintOutcome {
    /// The problem in two parts (what, next step) when it did not print.
    pub fn problem(&self) -> Option<(String, String)> {
        match self.condition {
            Some(c) if !self.printed => Some((c.what().to_string(), c.next_step().to_string())),
            _ => None,
        }
    }
}

/// A printer as the counter's status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceState {
    /// Not configured for this counter.
    NotConfigured,
    /// Ready; `detail` says which printer, e.g. "loket1 (virtual, 80mm)".
    Ok { detail: String },
    /// Prints, but needs attention soon.
    Warning { what: String, next: String },
    /// Does not print.
    Problem { what: String, next: String },
}

impl DeviceState {
    pub(crate) fn from_conditions(detail: String, conditions: &[Condition]) -> DeviceState {
        match conditions.iter().find(|c| !c.is_warning()) {
            Some(c) => DeviceState::Problem {
                what: c.what().into(),
                next: c.next_step().into(),
            },
            None => match conditions.first() {
                Some(c) => DeviceState::Warning {
                    what: c.what().into(),
                    next: c.next_step().into(),
                },
                None => DeviceState::Ok { detail },
            },
        }
    }

    /// One line for the status bar.
    pub fn text(&self) -> String {
        match self {
            DeviceState::NotConfigured => crate::words::current().printer_none().into(),
            DeviceState::Ok { detail } => crate::words::current().printer_ready(detail),
            DeviceState::Warning { what, next } | DeviceState::Problem { what, next } => {
                format!("{what} — {next}")
            }
        }
    }
}

impl From<crate::store::sql::Error> for PrintingError {
    fn from(e: crate::store::sql::Error) -> Self {
        PrintingError::Store(crate::store::StoreError::from(e))
    }
}
