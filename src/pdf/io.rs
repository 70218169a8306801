//! File edge of the stamping engine: read the customer's file, write the stamped file and read it back.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::intake::IntakeError;
use super::stamp::StampedPdf;
use super::verify::{StampCheckError, check_stamp};

/// Reading or writing a file failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The input could not be read.
    #[error("Berkas {path} tidak dapat dibaca. Periksa apakah berkas masih ada dan dapat dibuka.")]
    Read {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The input is refused before reading it whole.
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// The output could not be written.
    #[error(
        "Berkas hasil {path} tidak dapat ditulis. Periksa ruang kosong dan izin folder, lalu ulangi."
    )]
    Write {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The written file failed its read-back check; it has been removed.
    #[error(transparent)]
    Check(#[from] StampCheckError),
}

/// Read an input file, refusing files over `max_bytes` before loading them.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    let err = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = fs::metadata(path).map_err(err)?.len();
    if size > max_bytes {
        return Err(IntakeError::TooLarge {
            size,
            limit: max_bytes,
        }
        .into());
    }
    fs::read(path).map_err(err)
}

/// Write `stamped` to `path` (through a temporary file and a rename, so a crash never leaves half a file under
/// the final name), optionally fsync it, then read it back and check it with [`check_stamp`]: the same bytes as
/// written (the original revision unchanged), a byte range covering the file except the signature hole, and a
/// valid CMS whose digest matches. A file that fails the check is removed.
pub fn write_stamped(path: &Path, stamped: &StampedPdf, sync: bool) -> Result<(), FileError> {
    let werr = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stamped.pdf".into());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(stamped.prefix())?;
        f.write_all(stamped.tail())?;
        if sync {
            f.sync_all()?;
        }
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(werr(e));
    }
    let checked = same_bytes(path, stamped).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    });
    let outcome = match checked {
        Ok(true) => check_stamp(stamped).map_err(FileError::from),
        Ok(false) => Err(StampCheckError::BytesDiffer.into()),
        Err(e) => Err(e),
    };
    if outcome.is_err() {
        let _ = fs::remove_file(path);
    }
    outcome
}

/// Compare the file with the stamped buffers in 1 MiB chunks (no second copy of a large file in memory).
fn same_bytes(path: &Path, stamped: &StampedPdf) -> io::Result<bool> {
    let mut f = File::open(path)?;
    if f.metadata()?.len() != stamped.len() as u64 {
        return Ok(false);
    }
    let mut buf = vec![0u8; 1 << 20];
    for part in [stamped.prefix(), stamped.tail()] {
        let mut rest = part;
        while !rest.is_empty() {
            let n = rest.len().min(buf.len());
            f.read_exact(&mut buf[..n])?;
            if buf[..n] != rest[..n] {
                return Ok(false);
            }
            rest = &rest[n..];
        }
    }
    Ok(f.read(&mut buf[..1])? == 0)
}
