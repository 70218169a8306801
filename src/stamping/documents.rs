//! Customer documents and stamped outputs, stored by SHA-256: written once, readable only by
//! loket's user, checked against their hash on every read, purged a set time after delivery.
//!
//! On the embedded store they live in the data folder. On the branch server their content lives
//! in the server (`store::content`), so a job received at one counter is resumed, stamped,
//! delivered or mailed from any PC; the data folder then keeps a private copy of what this PC
//! used, which a read checks like the server's and which goes when the document is purged.

use crate::stamping::job::JobId;
use crate::store::content::{ContentStore, Found};
use crate::store::{ServerAddress, StoreError};
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
    /// The branch server holds no content under this hash.
    NotOnServer {
        sha256: String,
    },
    /// The stored content is larger than a document may be.
    TooLarge {
        sha256: String,
        bytes: u64,
    },
    /// The branch server could not be asked.
    Server(#[source] StoreError),
}

/// The content-addressed store: `DATA/documents`, and on the branch server its shared content.
#[derive(Debug, Clone)]
pub struct Documents {
    root: PathBuf,
    shared: Option<ContentStore>,
}

/// The largest document a read from the branch server accepts: past any PDF limit a branch sets.
const READ_LIMIT: u64 = 512 * 1024 * 1024;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Documents {
    /// The data folder's store alone (the embedded store, backups, tests of the folder).
    pub fn new(data_dir: &Path) -> Documents {
        Documents {
            root: data_dir.join(FOLDER),
            shared: None,
        }
    }

    /// The store of a branch whose store is at `server` (`None`: the embedded file).
    pub fn at(data_dir: &Path, server: Option<ServerAddress>) -> Documents {
        Documents {
            root: data_dir.join(FOLDER),
            shared: server.map(ContentStore::new),
        }
    }

    /// Whether the content lives on the branch server.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
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
        let sha256 = self.put_local(bytes)?;
        if let Some(shared) = &self.shared {
            shared.put(&sha256, bytes).map_err(DocumentError::Server)?;
        }
        Ok(sha256)
    }

    fn put_local(&self, bytes: &[u8]) -> Result<String, DocumentError> {
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

    /// Reads a stored document, checking it still has the hash it is stored under. On the branch
    /// server a copy this PC does not hold (or holds damaged) is read from the server, checked,
    /// and kept for the next read.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, DocumentError> {
        let local = fs::read(self.path_of(sha256)).map_err(|source| DocumentError::Missing {
            sha256: sha256.to_string(),
            source,
        });
        let local = local.and_then(|bytes| {
            if sha256_hex(&bytes) == sha256 {
                Ok(bytes)
            } else {
                Err(DocumentError::Corrupt {
                    sha256: sha256.to_string(),
                })
            }
        });
        match (&self.shared, local) {
            (_, Ok(bytes)) => Ok(bytes),
            (None, Err(e)) => Err(e),
            (Some(shared), Err(_)) => {
                let bytes = self.fetch(shared, sha256)?;
                // The copy is for the next read only: a full disk costs this PC a second fetch.
                let _ = self.put_local(&bytes);
                Ok(bytes)
            }
        }
    }

    /// Reads `sha256` from the branch server and checks it.
    fn fetch(&self, shared: &ContentStore, sha256: &str) -> Result<Vec<u8>, DocumentError> {
        match shared
            .get(sha256, READ_LIMIT)
            .map_err(DocumentError::Server)?
        {
            Found::Bytes(bytes) if sha256_hex(&bytes) == sha256 => Ok(bytes),
            Found::Bytes(_) => Err(DocumentError::Corrupt {
                sha256: sha256.to_string(),
            }),
            Found::Absent => Err(DocumentError::NotOnServer {
                sha256: sha256.to_string(),
            }),
            Found::TooLarge(bytes) => Err(DocumentError::TooLarge {
                sha256: sha256.to_string(),
                bytes,
            }),
        }
    }

    /// The path of a stored document's checked copy in the data folder, for what reads files (a
    /// copy to a flash drive, a mail attachment): on the branch server it is fetched first when
    /// this PC does not hold it.
    pub fn local_file(&self, sha256: &str) -> Result<PathBuf, DocumentError> {
        let path = self.path_of(sha256);
        if self.shared.is_none() {
            return Ok(path);
        }
        match self.get(sha256) {
            Ok(bytes) if !path.exists() => {
                self.put_local(&bytes)?;
            }
            Ok(_) => {}
            // Purged: no file, as in the data folder of a one-PC branch.
            Err(DocumentError::NotOnServer { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(path)
    }

    /// Removes this PC's copy of a document (purged by another PC); an absent copy is fine.
    pub fn forget_local(&self, sha256: &str) -> Result<(), DocumentError> {
        let path = self.path_of(sha256);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(DocumentError::Write { path, source }),
        }
    }

    /// The branch server's content, when the branch runs on one.
    pub fn shared(&self) -> Option<&ContentStore> {
        self.shared.as_ref()
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
        write_durably(&tmp, &path, bytes)?;
        // On the branch server the run that resumes the job may be another PC's.
        if let Some(shared) = &self.shared {
            shared
                .put_pending(job.get(), &sha256_hex(bytes), bytes)
                .map_err(DocumentError::Server)?;
        }
        Ok(())
    }

    /// The stamped output a crashed run left for `job`, if any (the caller checks it): this PC's,
    /// else, on the branch server, the one another PC's run left.
    pub fn pending(&self, job: JobId) -> Option<Vec<u8>> {
        if let Ok(bytes) = fs::read(self.pending_path(job)) {
            return Some(bytes);
        }
        let shared = self.shared.as_ref()?;
        let sha256 = shared.pending(job.get()).ok()??;
        self.fetch(shared, &sha256).ok()
    }

    /// Forgets a job's pending output once it is recorded (or found unusable).
    pub fn clear_pending(&self, job: JobId) {
        let _ = fs::remove_file(self.pending_path(job));
        if let Some(shared) = &self.shared {
            // Left behind, the pointer is only looked at by a later run of a job already
            // recorded, which does not look for it.
            let _ = shared.clear_pending(job.get());
        }
    }

    /// Deletes a stored document (here and, on the branch server, its shared content); an
    /// already missing one is fine.
    pub fn remove(&self, sha256: &str) -> Result<(), DocumentError> {
        if let Some(shared) = &self.shared {
            shared.remove(sha256).map_err(DocumentError::Server)?;
        }
        self.forget_local(sha256)
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
