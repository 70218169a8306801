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
    Report(#[from] crate::report::ReportError),
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
    Io {
        what: IoWhat,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What could not be done with a file, folder or socket, said inside an I/O error in the process's
/// language (`Words::io_what`). Most are a clause before the path (`tidak dapat membuat folder …`);
/// those a flash-drive copy or a report file fails at are a verb after "could not" (`menulis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoWhat {
    CreateFolder,
    WriteFile,
    ReadDocument,
    HallAddress,
    HallWatcher,
    DispenserMark,
    StartMailSender,
    ReadDocumentStore,
    RemoveOrphan,
    StartStampWorker,
    WriteStdout,
    VirtualPrinterFolder,
    ListenTcp,
    OpenPty,
    WriteManPage,
    WriteLatencies,
    FakePeruriListen,
    TargetUnknown,
    FreeSpaceUnreadable,
    DbCopyUnreadable,
    DataFileUnreadable,
    BackupUnwritable,
    FileUnremovable,
    ManifestUnwritable,
    DbCopyUnmade,
    DataFolderUnreadable,
    BackupFolderUnmade,
    BackupUnnamed,
    TargetUnsynced,
    TooManyBackups,
    LockFolderUnmade,
    BackupLockUnopened,
    BackupLockFailed,
    FolderUnsynced,
    BackupFileUnsynced,
    FolderUnmade,
    ManifestUnreadable,
    BackupFolderUnknown,
    FileUnwritable,
    TargetUnreadable,
    BackupFolderUnreadable,
    OldBackupUnremovable,
    BackupFolderUnsynced,
    CheckFreeSpace,
    Write,
    SaveFsync,
    RenameFile,
    SaveFolder,
    ReadBackCopy,
    ReadFolder,
    CreateTempFile,
    MakeFolder,
    Compose,
    Document,
    BackupFileUnreadable,
    RestoredFolderUnnamed,
    ReadSigned,
}

impl IoWhat {
    /// Every one, for the tests that check each language words them all.
    #[cfg(test)]
    pub const ALL: &'static [IoWhat] = &[
        IoWhat::CreateFolder,
        IoWhat::WriteFile,
        IoWhat::ReadDocument,
        IoWhat::HallAddress,
        IoWhat::HallWatcher,
        IoWhat::DispenserMark,
        IoWhat::StartMailSender,
        IoWhat::ReadDocumentStore,
        IoWhat::RemoveOrphan,
        IoWhat::StartStampWorker,
        IoWhat::WriteStdout,
        IoWhat::VirtualPrinterFolder,
        IoWhat::ListenTcp,
        IoWhat::OpenPty,
        IoWhat::WriteManPage,
        IoWhat::WriteLatencies,
        IoWhat::FakePeruriListen,
        IoWhat::TargetUnknown,
        IoWhat::FreeSpaceUnreadable,
        IoWhat::DbCopyUnreadable,
        IoWhat::DataFileUnreadable,
        IoWhat::BackupUnwritable,
        IoWhat::FileUnremovable,
        IoWhat::ManifestUnwritable,
        IoWhat::DbCopyUnmade,
        IoWhat::DataFolderUnreadable,
        IoWhat::BackupFolderUnmade,
        IoWhat::BackupUnnamed,
        IoWhat::TargetUnsynced,
        IoWhat::TooManyBackups,
        IoWhat::LockFolderUnmade,
        IoWhat::BackupLockUnopened,
        IoWhat::BackupLockFailed,
        IoWhat::FolderUnsynced,
        IoWhat::BackupFileUnsynced,
        IoWhat::FolderUnmade,
        IoWhat::ManifestUnreadable,
        IoWhat::BackupFolderUnknown,
        IoWhat::FileUnwritable,
        IoWhat::TargetUnreadable,
        IoWhat::BackupFolderUnreadable,
        IoWhat::OldBackupUnremovable,
        IoWhat::BackupFolderUnsynced,
        IoWhat::CheckFreeSpace,
        IoWhat::Write,
        IoWhat::SaveFsync,
        IoWhat::RenameFile,
        IoWhat::SaveFolder,
        IoWhat::ReadBackCopy,
        IoWhat::ReadFolder,
        IoWhat::CreateTempFile,
        IoWhat::MakeFolder,
        IoWhat::Compose,
        IoWhat::Document,
        IoWhat::BackupFileUnreadable,
        IoWhat::RestoredFolderUnnamed,
        IoWhat::ReadSigned,
    ];
}

impl std::fmt::Display for IoWhat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::words::current().io_what(*self))
    }
}

impl From<rusqlite::Error> for LoketError {
    fn from(e: rusqlite::Error) -> Self {
        LoketError::Store(StoreError::Sql(e))
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
