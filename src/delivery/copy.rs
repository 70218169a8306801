//! The safe copy to a flash drive: space check, exclusive temporary file, chunked write with
//! progress, fsync, no-overwrite rename, folder fsync, and a read-back from the device (page cache
//! dropped) compared by SHA-256 with the stored file's known hash.

use super::drives::free_space;
use super::names::{SafeName, same_name};
use crate::error::IoWhat;
use rustix::io::Errno;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Size of one read/write step; large enough for full device speed, small enough for smooth progress.
const CHUNK: usize = 1 << 20;
/// Head room kept free beyond the file itself: FAT/exFAT need clusters for the folder entry and
/// the allocation bitmap, and a drive filled to the last byte misbehaves on some readers.
const MARGIN: u64 = 64 * 1024;
/// Collision numbering stops here; a folder with a thousand copies of one name needs a human.
pub(crate) const MAX_CANDIDATES: u32 = 999;

/// Where a copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Writing the file to the drive.
    Writing,
    /// Reading it back from the drive to compare.
    Verifying,
}

/// Progress of a copy, reported after each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// A document that is on the drive and was read back intact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// An identical file was already there under this name (an earlier delivery); nothing written.
    pub already_there: bool,
}

/// Why a copy failed. The stored document is never touched; the clerk can retry on any drive.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    DriveFull {
        mount: PathBuf,
        needed: u64,
        free: Option<u64>,
        #[source]
        source: Option<io::Error>,
    },
    DriveRemoved {
        mount: PathBuf,
        #[source]
        source: io::Error,
    },
    ReadOnly {
        mount: PathBuf,
        #[source]
        source: io::Error,
    },
    NameInvalid {
        name: String,
        reason: String,
    },
    VerifyMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    SourceChanged {
        path: PathBuf,
        expected: String,
        found: String,
    },
    Source {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    NoTarget {
        path: PathBuf,
        #[source]
        source: Option<io::Error>,
    },
    TooManyCopies {
        name: String,
    },
    Io {
        mount: PathBuf,
        what: IoWhat,
        #[source]
        source: io::Error,
    },
}

/// `12,3 MB`, `512 KB`, `800 B` — sizes as the clerk reads them.
pub fn human_bytes(n: u64) -> String {
    const KB: u64 = 1000;
    let tenths = |unit: u64| {
        let t = n.saturating_mul(10) / unit;
        format!("{},{}", t / 10, t % 10)
    };
    if n >= KB * KB * KB {
        format!("{} GB", tenths(KB * KB * KB))
    } else if n >= KB * KB {
        format!("{} MB", tenths(KB * KB))
    } else if n >= KB {
        format!("{} KB", n / KB)
    } else {
        format!("{n} B")
    }
}

/// The target folder, remembered by device so that a drive pulled and its mount point left empty
/// is noticed instead of writing to the computer's own disk.
struct Target {
    dir: PathBuf,
    dev: u64,
}

impl Target {
    fn present(&self) -> bool {
        std::fs::metadata(&self.dir).is_ok_and(|m| m.dev() == self.dev)
    }

    /// Turns an I/O failure into what the clerk can act on.
    fn classify(&self, what: IoWhat, source: io::Error, needed: u64) -> CopyError {
        let mount = self.dir.clone();
        let errno = Errno::from_io_error(&source);
        let is = |list: &[Errno]| errno.is_some_and(|e| list.contains(&e));
        if is(&[Errno::NOSPC, Errno::DQUOT, Errno::FBIG]) {
            return CopyError::DriveFull {
                free: free_space(&self.dir).ok(),
                mount,
                needed,
                source: Some(source),
            };
        }
        if is(&[
            Errno::IO,
            Errno::NOTCONN,
            Errno::NODEV,
            Errno::NXIO,
            Errno::SHUTDOWN,
        ]) || !self.present()
        {
            return CopyError::DriveRemoved { mount, source };
        }
        if is(&[Errno::ROFS, Errno::ACCESS, Errno::PERM]) {
            return CopyError::ReadOnly { mount, source };
        }
        CopyError::Io {
            mount,
            what,
            source,
        }
    }
}

/// Copies `source` (whose SHA-256 must be `expected_sha256`) into `target_dir` as a FAT-safe
/// version of `file_name`, never overwriting a different file, and verifies the copy on the device.
pub fn copy_verified(
    source: &Path,
    expected_sha256: &str,
    file_name: &str,
    target_dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Delivered, CopyError> {
    let expected = expected_sha256.trim().to_ascii_lowercase();
    let name = SafeName::new(file_name).map_err(|e| CopyError::NameInvalid {
        name: file_name.to_string(),
        reason: e.to_string(),
    })?;
    let meta = std::fs::metadata(target_dir).map_err(|e| CopyError::NoTarget {
        path: target_dir.to_path_buf(),
        source: Some(e),
    })?;
    if !meta.is_dir() {
        return Err(CopyError::NoTarget {
            path: target_dir.to_path_buf(),
            source: None,
        });
    }
    let target = Target {
        dir: target_dir.to_path_buf(),
        dev: meta.dev(),
    };
    remove_orphans(&target.dir);
    let source_err = |e| CopyError::Source {
        path: source.to_path_buf(),
        source: e,
    };
    let mut input = File::open(source).map_err(source_err)?;
    let total = input.metadata().map_err(source_err)?.len();

    let free =
        free_space(target_dir).map_err(|e| target.classify(IoWhat::CheckFreeSpace, e, total))?;
    let needed = total.saturating_add(MARGIN);

    let mut n = 1;
    loop {
        let final_name = match pick_name(&target, &name, &mut n, total, &expected)? {
            Pick::Free(final_name) => final_name,
            Pick::AlreadyThere(path) => {
                return Ok(Delivered {
                    path,
                    sha256: expected,
                    bytes: total,
                    already_there: true,
                });
            }
        };
        if free < needed {
            return Err(CopyError::DriveFull {
                mount: target_dir.to_path_buf(),
                needed,
                free: Some(free),
                source: None,
            });
        }
        let final_path = target_dir.join(&final_name);
        let (temp_path, temp) = create_temp(&target, total)?;
        let written = write_and_sync(&mut input, temp, total, progress)
            .map_err(|e| match e {
                Fail::Read(e) => source_err(e),
                Fail::Write(what, e) => target.classify(what, e, needed),
            })
            .and_then(|sha| {
                if sha == expected {
                    Ok(())
                } else {
                    Err(CopyError::SourceChanged {
                        path: source.to_path_buf(),
                        expected: expected.clone(),
                        found: sha,
                    })
                }
            })
            .and_then(|()| {
                rename_no_replace(&temp_path, &final_path)
                    .map_err(|e| target.classify(IoWhat::RenameFile, e, needed))
            });
        match written {
            Ok(true) => {}
            Ok(false) => {
                // Someone wrote the same name meanwhile: try the next number with a fresh read.
                remove_quietly(&target, &temp_path);
                input = File::open(source).map_err(source_err)?;
                n += 1;
                continue;
            }
            Err(e) => {
                remove_quietly(&target, &temp_path);
                return Err(e);
            }
        }
        sync_dir(target_dir).map_err(|e| target.classify(IoWhat::SaveFolder, e, needed))?;
        let found = read_back(&final_path, total, progress)
            .map_err(|e| target.classify(IoWhat::ReadBackCopy, e, needed))?;
        if found != expected {
            remove_quietly(&target, &final_path);
            return Err(CopyError::VerifyMismatch {
                path: final_path,
                expected,
                found,
            });
        }
        return Ok(Delivered {
            path: final_path,
            sha256: found,
            bytes: total,
            already_there: false,
        });
    }
}

enum Pick {
    Free(String),
    AlreadyThere(PathBuf),
}

/// The first candidate name, from attempt `n` on, that no file in the folder has (ignoring case),
/// or the existing file that already holds exactly this document.
fn pick_name(
    target: &Target,
    name: &SafeName,
    n: &mut u32,
    size: u64,
    expected: &str,
) -> Result<Pick, CopyError> {
    let existing: Vec<(String, PathBuf)> = std::fs::read_dir(&target.dir)
        .and_then(|d| {
            d.map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
                .collect()
        })
        .map_err(|e| target.classify(IoWhat::ReadFolder, e, size))?;
    while *n <= MAX_CANDIDATES {
        let candidate = name.candidate(*n);
        match existing
            .iter()
            .find(|(other, _)| same_name(other, &candidate))
        {
            None => return Ok(Pick::Free(candidate)),
            Some((_, path)) => {
                let same = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == size)
                    && sha256_uncached(path).is_ok_and(|h| h == expected);
                if same {
                    return Ok(Pick::AlreadyThere(path.clone()));
                }
            }
        }
        *n += 1;
    }
    Err(CopyError::TooManyCopies {
        name: name.candidate(1),
    })
}

/// An exclusively created temporary file in the target folder, hidden and FAT-safe.
fn create_temp(target: &Target, size: u64) -> Result<(PathBuf, File), CopyError> {
    for _ in 0..16 {
        let path = target.dir.join(format!(
            ".loket-{}-{:08x}.part",
            std::process::id(),
            fastrand::u32(..)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(match Errno::from_io_error(&e) {
                    Some(Errno::NAMETOOLONG | Errno::INVAL | Errno::ILSEQ) => {
                        CopyError::NameInvalid {
                            name: path.display().to_string(),
                            reason: e.to_string(),
                        }
                    }
                    _ => target.classify(IoWhat::CreateTempFile, e, size),
                });
            }
        }
    }
    Err(CopyError::Io {
        mount: target.dir.clone(),
        what: crate::error::IoWhat::CreateTempFile,
        source: io::Error::from(io::ErrorKind::AlreadyExists),
    })
}

enum Fail {
    Read(io::Error),
    Write(IoWhat, io::Error),
}

/// Writes everything in chunks, hashing what was read, then fsyncs; returns the hex SHA-256.
fn write_and_sync(
    input: &mut File,
    mut out: File,
    total: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, Fail> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    progress(Progress {
        phase: Phase::Writing,
        done,
        total,
    });
    loop {
        let n = read_full(input, &mut buf).map_err(Fail::Read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| Fail::Write(IoWhat::Write, e))?;
        done += n as u64;
        progress(Progress {
            phase: Phase::Writing,
            done,
            total,
        });
    }
    out.sync_all()
        .map_err(|e| Fail::Write(IoWhat::SaveFsync, e))?;
    // close() can report a deferred write error on network and FUSE file systems.
    drop(out);
    Ok(hex::encode(hasher.finalize()))
}

/// Reads until the buffer is full or the file ends, so chunks stay whole.
fn read_full(input: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Renames without replacing; `Ok(false)` when the target name appeared meanwhile.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        // FUSE file systems without rename2 (exfat-fuse among them) refuse the flag: check, then
        // rename. The name was free a moment ago, and only loket writes to the drive meanwhile.
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            let dir = to.parent().unwrap_or(Path::new("."));
            let name = to
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let taken = std::fs::read_dir(dir)?
                .filter_map(Result::ok)
                .any(|e| same_name(&e.file_name().to_string_lossy(), &name));
            if taken {
                return Ok(false);
            }
            std::fs::rename(from, to)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes the new folder entry durable. File systems that cannot fsync a folder say so with
/// EINVAL/ENOSYS; their entries are written with the file system's own sync.
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir)?.sync_all() {
        Err(e) if matches!(Errno::from_io_error(&e), Some(Errno::INVAL | Errno::NOSYS)) => Ok(()),
        other => other,
    }
}

/// Reads the file back from the device (its cached pages dropped first) and hashes it. A reader
/// thread keeps the device busy while this thread hashes the previous chunk.
fn read_back(path: &Path, total: u64, progress: &mut dyn FnMut(Progress)) -> io::Result<String> {
    let mut file = File::open(path)?;
    drop_cache(&file)?;
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = empty_tx.send(vec![0u8; CHUNK]);
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                let read = read_full(&mut file, &mut buf);
                let last = !matches!(read, Ok(n) if n > 0);
                if full_tx.send(read.map(|n| (buf, n))).is_err() || last {
                    break;
                }
            }
        });
        // Owned here, so that leaving early (error or panic) unblocks the reader.
        let full_rx = full_rx;
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        for chunk in full_rx.iter() {
            let (buf, n) = chunk?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            done += n as u64;
            progress(Progress {
                phase: Phase::Verifying,
                done,
                total,
            });
            let _ = empty_tx.send(buf);
        }
        // Dropping the sender ends the reader if it still waits for a buffer.
        drop(empty_tx);
        Ok(hex::encode(hasher.finalize()))
    })
}

/// Drops the file's cached pages so the next read comes from the device. The pages are clean
/// because the file was fsynced before; without this the read-back would only prove the cache.
fn drop_cache(file: &File) -> io::Result<()> {
    rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed).map_err(io::Error::from)
}

/// SHA-256 of a file as read from its device.
pub fn sha256_uncached(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    sha256_reader(&mut file)
}

/// SHA-256 of a file (cache allowed), for files loket itself stores.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    sha256_reader(&mut File::open(path)?)
}

fn sha256_reader(file: &mut File) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_full(file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Removes temporary files that earlier copies left when the drive was pulled (FAT has no journal,
/// so they survive): `.loket-<pid>-<random>.part` of processes that no longer run.
fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(pid) = name
            .strip_prefix(".loket-")
            .and_then(|rest| rest.strip_suffix(".part"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn remove_quietly(target: &Target, path: &Path) {
    if target.present() {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_bytes(800), "800 B");
        assert_eq!(human_bytes(64_000), "64 KB");
        assert_eq!(human_bytes(25_165_824), "25,1 MB");
        assert_eq!(human_bytes(4_000_000_000), "4,0 GB");
    }
}
