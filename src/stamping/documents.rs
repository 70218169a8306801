//! Customer documents and stamped outputs, stored in the data folder by SHA-256: written once,
//! readable only by loket's user, purged a set time after delivery.

use crate::stamping::job::JobId;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Folder of the document store inside the data folder.
pub const FOLDER: &str = "documents";

/// Folder, beside the store, of stamped outputs received but not yet recorded.
pub const PENDING_FOLDER: &str = "stamping-pending";

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Missing {
        sha256: String,
        #[source]
        source: std::io::Error,
    },
    Corrupt {
        sha256: String,
    },
}

/// The content-addressed store under `DATA/documents`.
#[derive(Debug, Clone)]
pub struct Documents {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Documents {
    pub fn new(data_dir: &Path) -> Documents {
        Documents {
            root: data_dir.join(FOLDER),
        }
    }

    /// Where the document with this hash lives (two-level fan-out keeps folders small).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let (a, rest) = sha256.split_at(2.min(sha256.len()));
        self.root.join(a).join(format!("{rest}.pdf"))
    }

    /// Stores `bytes` and returns their SHA-256. Writing the same content twice is a no-op. The file
    /// is written to a temporary name, synced, then renamed, so a crash never leaves half a file
    /// under a hash name.
    pub fn put(&self, bytes: &[u8]) -> Result<String, DocumentError> {
        let sha256 = sha256_hex(bytes);
        let path = self.path_of(&sha256);
        if path.exists() {
            // Stored again: its time is renewed, so the start-up sweep of files no row names (see
            // `worker::sweep_orphans`) leaves it to the commit that is about to record it.
            if let Ok(f) = OpenOptions::new().write(true).open(&path) {
                let _ = f.set_modified(std::time::SystemTime::now());
            }
            return Ok(sha256);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DocumentError::Write { path, source }
        };
        fs::create_dir_all(&dir).map_err(err(&dir))?;
        for d in [&self.root, &dir] {
            fs::set_permissions(d, fs::Permissions::from_mode(0o700)).map_err(err(d))?;
        }
        let tmp = dir.join(format!(".{}.{}.tmp", &sha256[..16], std::process::id()));
        write_durably(&tmp, &path, bytes)?;
        Ok(sha256)
    }

    /// Reads a stored document, checking it still has the hash it is stored under.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, DocumentError> {
        let bytes = fs::read(self.path_of(sha256)).map_err(|source| DocumentError::Missing {
            sha256: sha256.to_string(),
            source,
        })?;
        if sha256_hex(&bytes) != sha256 {
            return Err(DocumentError::Corrupt {
                sha256: sha256.to_string(),
            });
        }
        Ok(bytes)
    }

    /// Where a job's stamped output waits between the provider's reply and its record:
    /// `DATA/stamping-pending/<job>.pdf`, outside the store so the sweep of unnamed files leaves it.
    fn pending_path(&self, job: JobId) -> PathBuf {
        let data = self.root.parent().unwrap_or(&self.root);
        data.join(PENDING_FOLDER).join(format!("{job}.pdf"))
    }

    /// Keeps a job's stamped output durably under the job's id before anything else happens to
    /// it: a crash before the output is recorded then finds it again (see [`Documents::pending`])
    /// instead of asking the provider to stamp with the same serial a second time.
    pub fn put_pending(&self, job: JobId, bytes: &[u8]) -> Result<(), DocumentError> {
        let path = self.pending_path(job);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DocumentError::Write { path, source }
        };
        fs::create_dir_all(&dir).map_err(err(&dir))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(err(&dir))?;
        let tmp = dir.join(format!(".{job}.{}.tmp", std::process::id()));
        write_durably(&tmp, &path, bytes)
    }

    /// The stamped output a crashed run left for `job`, if any (the caller checks it).
    pub fn pending(&self, job: JobId) -> Option<Vec<u8>> {
        fs::read(self.pending_path(job)).ok()
    }

    /// Forgets a job's pending output once it is recorded (or found unusable).
    pub fn clear_pending(&self, job: JobId) {
        let _ = fs::remove_file(self.pending_path(job));
    }

    /// Deletes a stored document; an already missing one is fine.
    pub fn remove(&self, sha256: &str) -> Result<(), DocumentError> {
        let path = self.path_of(sha256);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(DocumentError::Write { path, source }),
        }
    }
}

/// Writes `bytes` to `tmp` (0600), syncs it, renames it to `path` and syncs the folder: a crash
/// never leaves half a file under the final name, and a returned Ok is on disk.
fn write_durably(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), DocumentError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DocumentError::Write { path, source }
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(tmp)
        .map_err(err(tmp))?;
    file.write_all(bytes).map_err(err(tmp))?;
    file.sync_all().map_err(err(tmp))?;
    fs::rename(tmp, path).map_err(err(path))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_once_private_and_checked() {
        let dir = tempfile::tempdir().expect("tmp");
        let docs = Documents::new(dir.path());
        let sha = docs.put(b"%PDF-1.7 surat").expect("put");
        assert_eq!(sha, sha256_hex(b"%PDF-1.7 surat"));
        assert_eq!(docs.put(b"%PDF-1.7 surat").expect("again"), sha);
        let path = docs.path_of(&sha);
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let folder = fs::metadata(dir.path().join(FOLDER))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(folder, 0o700);
        assert_eq!(docs.get(&sha).expect("get"), b"%PDF-1.7 surat");
        fs::write(&path, b"diubah").expect("tamper");
        assert!(matches!(docs.get(&sha), Err(DocumentError::Corrupt { .. })));
        docs.remove(&sha).expect("remove");
        docs.remove(&sha).expect("remove twice");
        assert!(matches!(docs.get(&sha), Err(DocumentError::Missing { .. })));
    }
}
