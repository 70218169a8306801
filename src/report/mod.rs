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
pub mod text;
pub mod thermal;

use std::path::PathBuf;

/// What writing the pack's files can fail with; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("Gagal {what} {path}: {source}. Periksa folder tujuan lalu ulangi.")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Gagal menulis CSV {path}: {source}. Periksa folder tujuan lalu ulangi.")]
    Csv {
        path: PathBuf,
        #[source]
        source: ::csv::Error,
    },
    #[error("Gagal menyusun ringkasan untuk printer: {0}. Laporkan ke teknisi.")]
    Receipt(String),
    #[error("{0}")]
    Anchor(crate::journal::anchor::AnchorError),
    #[error("Tanggal akhir {to} sebelum tanggal awal {from}; tukar urutannya lalu ulangi.")]
    RangeBackwards {
        from: crate::day::BusinessDay,
        to: crate::day::BusinessDay,
    },
}
