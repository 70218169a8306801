//! The supervisor's daily pack: figures for one business day (or a range), read from the store.
//! Reports only read, except to journal what leaves the branch (the anchored head of a pack, a
//! pack put in the outbox).

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

use crate::error::IoWhat;
use std::path::{Path, PathBuf};

crate::branch::service!(
    /// Reports: the daily pack of a day or a range, anchored when it leaves the branch, and the
    /// packs mailed by themselves once a day is closed.
    ReportService,
    reports
);

impl ReportService<'_> {
    /// The branch's folder of report files (`DATA/reports`), made when missing.
    pub fn folder(&self) -> Result<PathBuf, ReportError> {
        let dir = self.data_dir.join("reports");
        std::fs::create_dir_all(&dir).map_err(|source| ReportError::Io {
            what: IoWhat::MakeFolder,
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }
}

/// Writes a report file, making its folder when missing.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
            what: IoWhat::MakeFolder,
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| ReportError::Io {
        what: IoWhat::Write,
        path: path.to_path_buf(),
        source,
    })
}

/// Each file with the name it is attached under (its own).
pub fn named(files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|f| {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "laporan.pdf".into());
            (f.clone(), name)
        })
        .collect()
}

/// What building, writing or mailing a pack can fail with; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    Store(#[from] crate::store::StoreError),
    /// The till's figures of the period could not be read.
    Till(#[source] crate::till::TillError),
    /// The pack could not be put in the outbox.
    Delivery(#[source] crate::delivery::DeliveryError),
    Io {
        what: IoWhat,
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
    Anchor(#[source] crate::journal::anchor::AnchorError),
    RangeBackwards {
        from: crate::day::BusinessDay,
        to: crate::day::BusinessDay,
    },
}

impl From<crate::store::sql::Error> for ReportError {
    fn from(e: crate::store::sql::Error) -> Self {
        ReportError::Store(crate::store::StoreError::from(e))
    }
}

impl From<crate::till::TillError> for ReportError {
    fn from(e: crate::till::TillError) -> Self {
        match e {
            crate::till::TillError::Store(s) => ReportError::Store(s),
            other => ReportError::Till(other),
        }
    }
}

impl From<crate::delivery::DeliveryError> for ReportError {
    fn from(e: crate::delivery::DeliveryError) -> Self {
        match e {
            crate::delivery::DeliveryError::Store(s) => ReportError::Store(s),
            other => ReportError::Delivery(other),
        }
    }
}

impl From<crate::journal::anchor::AnchorError> for ReportError {
    fn from(e: crate::journal::anchor::AnchorError) -> Self {
        match e {
            crate::journal::anchor::AnchorError::Store(s) => ReportError::Store(s),
            other => ReportError::Anchor(other),
        }
    }
}
