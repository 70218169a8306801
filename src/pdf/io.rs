//! File edge of the stamping engine: read the customer's file, write the stamped file and read it back.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use x509_cert::Certificate;

use super::intake::IntakeError;
use super::stamp::StampedPdf;
use super::trust::certificates_from_pem;
use super::verify::{StampCheckError, check_stamp};

/// Reading or writing a file failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The input could not be read.
    Read {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The input is refused before reading it whole.
    Intake(#[from] IntakeError),
    /// The output could not be written.
    Write {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The written file failed its read-back check; it has been removed.
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
    let checked =
        same_bytes(path, stamped.prefix(), stamped.tail()).map_err(|source| FileError::Read {
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

/// Compare the file with the stamped buffers in 1 MiB chunks (no second copy of a large file in memory). Large
/// files are compared in two halves on two threads: the read-back is the stamp's main cost over a plain copy.
fn same_bytes(path: &Path, prefix: &[u8], tail: &[u8]) -> io::Result<bool> {
    const PARALLEL_FROM: usize = 8 << 20;
    let f = File::open(path)?;
    if f.metadata()?.len() != (prefix.len() + tail.len()) as u64 {
        return Ok(false);
    }
    if prefix.len() < PARALLEL_FROM {
        return Ok(range_matches(&f, 0, prefix)? && range_matches(&f, prefix.len() as u64, tail)?);
    }
    let mid = prefix.len() / 2;
    std::thread::scope(|s| {
        let first = s.spawn(|| range_matches(&f, 0, &prefix[..mid]));
        let second = range_matches(&f, mid as u64, &prefix[mid..])?
            && range_matches(&f, prefix.len() as u64, tail)?;
        // A panic in the comparing thread is reported as a failed read-back, never as a pass.
        let first = first
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("read-back thread failed")))?;
        Ok(first && second)
    })
}

/// Whether the file holds `expected` at `offset` (positioned reads, so two threads can share the file).
fn range_matches(f: &File, offset: u64, expected: &[u8]) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; expected.len().min(1 << 20)];
    let mut at = offset;
    for want in expected.chunks(buf.len().max(1)) {
        let got = &mut buf[..want.len()];
        f.read_exact_at(got, at)?;
        if got != want {
            return Ok(false);
        }
        at += want.len() as u64;
    }
    Ok(true)
}

/// A file of root certificates could not be loaded; `Display` is the Indonesian sentence, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    /// The file could not be read.
    Read {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A `CERTIFICATE` block in it is not a certificate.
    Pem {
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: der::Error,
    },
    /// It holds no certificate at all.
    Empty {
        /// Which file.
        path: PathBuf,
    },
}

/// The root certificates in a PEM file (one or more).
pub fn load_roots(path: &Path) -> Result<Vec<Certificate>, RootsError> {
    let text = fs::read(path).map_err(|source| RootsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let roots = certificates_from_pem(&text).map_err(|source| RootsError::Pem {
        path: path.to_path_buf(),
        source,
    })?;
    if roots.is_empty() {
        return Err(RootsError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every place a byte can differ is noticed: either half of a large prefix (two threads), the
    /// tail, a small file (one thread), and a length mismatch.
    #[test]
    fn read_back_notices_any_changed_byte() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("out.pdf");
        for prefix_len in [4096usize, 20 << 20] {
            let prefix: Vec<u8> = (0..prefix_len)
                .map(|i| u8::try_from(i % 251).expect("below 251"))
                .collect();
            let tail = b"\n% update\n%%EOF\n".to_vec();
            let mut whole = prefix.clone();
            whole.extend_from_slice(&tail);
            fs::write(&path, &whole).expect("write");
            assert!(
                same_bytes(&path, &prefix, &tail).expect("read"),
                "{prefix_len}: intact file"
            );
            for at in [
                0,
                prefix_len / 2 - 1,
                prefix_len / 2,
                prefix_len - 1,
                whole.len() - 1,
            ] {
                let mut bad = whole.clone();
                bad[at] ^= 0x20;
                fs::write(&path, &bad).expect("write");
                assert!(
                    !same_bytes(&path, &prefix, &tail).expect("read"),
                    "{prefix_len}: byte {at} changed but the read-back passed"
                );
            }
            fs::write(&path, &whole[..whole.len() - 1]).expect("write");
            assert!(
                !same_bytes(&path, &prefix, &tail).expect("read"),
                "short file passed"
            );
        }
    }
}
