//! The one error every edge (the CLI, the counter screens, the workers' logs) turns into words:
//! each service's own error, kept whole, plus what only the edges meet.

use crate::branch::BranchError;
use crate::config::ConfigError;
use crate::store::StoreError;
use std::path::PathBuf;

/// Any error a command, a screen or a worker round can end with.
#[derive(Debug, thiserror::Error)]
pub enum LoketError {
    Branch(#[from] BranchError),
    Config(#[from] ConfigError),
    Store(#[from] StoreError),
    Queue(#[source] crate::queue::QueueError),
    User(#[source] crate::users::UserError),
    Till(#[source] crate::till::TillError),
    Delivery(#[source] crate::delivery::DeliveryError),
    Ui(#[from] crate::ui::UiError),
    Stamping(#[source] crate::stamping::StampingError),
    Printing(#[source] crate::printing::PrintingError),
    Dispenser(#[source] crate::dispenser::DispenserError),
    Report(#[source] crate::report::ReportError),
    Unfinished(#[source] crate::unfinished::UnfinishedError),
    Backup(#[source] Box<crate::backup::BackupError>),
    /// A ticket number typed by a person that is not one (CLI argument, counter dialog).
    NotTicketNo(#[from] crate::queue::NotTicketNo),
    Cli(#[from] crate::cli::CliError),
    /// `loket stamp` / `loket verify` (the PDF engine's own command line).
    Pdf(#[from] crate::pdf::cli::CliError),
    /// A PDF named on the command line that cannot be read.
    File(#[from] crate::pdf::io::FileError),
    /// A stamp that does not fit where it was asked to go.
    Stamp(#[from] crate::pdf::stamp::StampError),
    /// The serial-number ledger refused a lot.
    Ledger(#[source] crate::stamping::ledger::LedgerError),
    /// The hall display's link secret could not be read or made.
    Token(#[from] crate::hall::token::TokenError),
    /// The branch server (`loket server`).
    Server(#[from] crate::server::ServerError),
    Migrate(#[from] crate::store::migrate::MigrateError),
    Io {
        what: IoWhat,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub use crate::io_what::IoWhat;

impl From<crate::store::sql::Error> for LoketError {
    fn from(e: crate::store::sql::Error) -> Self {
        LoketError::Store(StoreError::from(e))
    }
}

// A store failure keeps its own variant whichever service met it, and a refusal keeps the variant
// of the service that refused, however many services it passed through: the edges match on them.
impl From<crate::stamping::StampingError> for LoketError {
    fn from(e: crate::stamping::StampingError) -> Self {
        use crate::stamping::StampingError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Delivery(d) => d.into(),
            E::Till(t) => t.into(),
            other => LoketError::Stamping(other),
        }
    }
}

impl From<crate::queue::QueueError> for LoketError {
    fn from(e: crate::queue::QueueError) -> Self {
        use crate::queue::QueueError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::User(u) => u.into(),
            other => LoketError::Queue(other),
        }
    }
}

impl From<crate::users::UserError> for LoketError {
    fn from(e: crate::users::UserError) -> Self {
        match e {
            crate::users::UserError::Store(s) => LoketError::Store(s),
            other => LoketError::User(other),
        }
    }
}

impl From<crate::till::TillError> for LoketError {
    fn from(e: crate::till::TillError) -> Self {
        use crate::till::TillError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::User(u) => u.into(),
            other => LoketError::Till(other),
        }
    }
}

impl From<crate::printing::PrintingError> for LoketError {
    fn from(e: crate::printing::PrintingError) -> Self {
        use crate::printing::PrintingError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Queue(q) => q.into(),
            E::Till(t) => t.into(),
            other => LoketError::Printing(other),
        }
    }
}

impl From<crate::delivery::DeliveryError> for LoketError {
    fn from(e: crate::delivery::DeliveryError) -> Self {
        use crate::delivery::DeliveryError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Stamping(s) => (*s).into(),
            E::Branch(b) => LoketError::Branch(b),
            E::Io { what, path, source } => LoketError::Io { what, path, source },
            other => LoketError::Delivery(other),
        }
    }
}

impl From<crate::dispenser::DispenserError> for LoketError {
    fn from(e: crate::dispenser::DispenserError) -> Self {
        use crate::dispenser::DispenserError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Queue(q) => q.into(),
            E::Printing(p) => p.into(),
            E::Branch(b) => LoketError::Branch(b),
            E::Io { what, path, source } => LoketError::Io { what, path, source },
            other => LoketError::Dispenser(other),
        }
    }
}

impl From<crate::report::ReportError> for LoketError {
    fn from(e: crate::report::ReportError) -> Self {
        use crate::report::ReportError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Till(t) => t.into(),
            E::Delivery(d) => d.into(),
            other => LoketError::Report(other),
        }
    }
}

impl From<crate::unfinished::UnfinishedError> for LoketError {
    fn from(e: crate::unfinished::UnfinishedError) -> Self {
        use crate::unfinished::UnfinishedError as E;
        match e {
            E::Store(s) => LoketError::Store(s),
            E::Queue(q) => q.into(),
            E::Till(t) => t.into(),
            E::Stamping(s) => s.into(),
            E::User(u) => u.into(),
            other => LoketError::Unfinished(other),
        }
    }
}
