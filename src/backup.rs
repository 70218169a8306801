//! Backups a supervisor can trust: a consistent copy of the branch (database and document store)
//! with a SHA-256 manifest, read back before it is called done; restore into an empty data folder.
//!
//! A backup is a folder `loket-backup-YYYYMMDD-HHMMSS` (branch time) holding `loket.db` (copied
//! with SQLite's online backup API from one read snapshot, so counters keep working), the
//! document store, `stamping-pending/`, `loket.toml`, `pki/`, the root certificates the
//! configuration names inside the data folder, and `MANIFEST.json` (size and SHA-256 of every
//! other file, schema version, journal head of the snapshot, branch code, time). It is written
//! under a temporary name, fsynced, read back from the device, and only then renamed into place
//! and journalled (`backup.completed`).

use crate::branch::{Branch, PKI_FOLDER};
use crate::config;
use crate::delivery::copy::human_bytes;
use crate::error::IoWhat;
use crate::error::LoketError;
use crate::journal::{self, Entry, Tamper};
use crate::stamping::documents;
use crate::store::sql::OptionalExtension;
use crate::store::{self, StoreError};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The manifest's file name inside a backup folder.
pub const MANIFEST: &str = "MANIFEST.json";
/// Backup folders are named this followed by `YYYYMMDD-HHMMSS` (branch time).
pub const FOLDER_PREFIX: &str = "loket-backup-";
/// Journal kind of a finished, checked backup.
pub const COMPLETED: &str = "backup.completed";
/// Journal kind, in the restored branch, of the restore that made it.
pub const RESTORED: &str = "backup.restored";

/// Manifest layout version; a reader refuses a newer one rather than misread it.
const FORMAT: u32 = 1;
/// Pages copied per backup step (4 MiB at SQLite's default 4 KiB page).
const PAGES_PER_STEP: i32 = 1024;
/// Pause between steps. The copy reads one snapshot in WAL mode, where a reader never blocks a
/// writer; the pause is there to hand the two cores and the disk back to the counters between
/// chunks of a large database.
const STEP_PAUSE: Duration = Duration::from_millis(2);
/// The daily backup is due once the last one is this old. Less than a day, so a PC switched on a
/// little earlier each morning still makes one that morning instead of skipping to the next.
const DAILY_AFTER_MS: i64 = 23 * 3_600_000;
/// After a failed daily backup (drive missing, full, failing) the worker waits this long before
/// trying again, rather than rewriting a failing drive every round.
const RETRY_AFTER_MS: i64 = 30 * 60_000;
/// Copy and hash buffer.
const CHUNK: usize = 1 << 20;
/// Exit status of `loket backup` when the backup was written and checked but the store held
/// damaged or missing documents: done, but a person must look.
const EXIT_WITH_WARNINGS: u8 = 2;

/// What a backup or restore can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The branch's store is its PostgreSQL server: the server's own backups (`pg_dump`,
    /// `pg_basebackup`) keep it, not a copy of a SQLite file.
    OnServer,
    TargetMissing {
        path: PathBuf,
    },
    NoRoom {
        path: PathBuf,
        needed: u64,
        free: u64,
    },
    AlreadyRunning,
    ReadBack {
        file: String,
        reason: Mismatch,
    },
    NotABackup {
        path: PathBuf,
    },
    BadManifest {
        path: PathBuf,
        reason: String,
    },
    Damaged {
        file: String,
        reason: Mismatch,
    },
    TargetNotEmpty {
        path: PathBuf,
        first: String,
    },
    TooNew {
        found: i64,
        supported: i64,
    },
    JournalBroken {
        tamper: Tamper,
    },
    Open(Box<crate::branch::BranchError>),
    Io {
        what: IoWhat,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    Store(#[from] StoreError),
}

impl From<crate::store::sql::Error> for BackupError {
    fn from(e: crate::store::sql::Error) -> Self {
        BackupError::Store(StoreError::from(e))
    }
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Store(StoreError::from(e))
    }
}

// Store, open and I/O failures keep the composition root's own variants; a refusal of the
// backup itself travels typed, as `LoketError::Backup`.
impl From<BackupError> for LoketError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Store(e) => LoketError::Store(e),
            BackupError::Open(e) => LoketError::Branch(*e),
            BackupError::Io { what, path, source } => LoketError::Io { what, path, source },
            other => LoketError::Backup(Box::new(other)),
        }
    }
}

/// How a file differs from what the manifest says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Mismatch {
    Missing,
    Size { expected: u64, found: u64 },
    Sha256 { expected: String, found: String },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::words::current().backup_mismatch(self))
    }
}

/// `MANIFEST.json`: what the backup holds and the state of the branch it was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub program: String,
    pub branch_code: String,
    pub branch_name: String,
    /// The snapshot's moment, RFC 3339 in the branch time zone.
    pub created: String,
    pub created_ms: i64,
    pub schema_version: i64,
    /// The newest journal entry in the copied database; none for an empty journal.
    pub journal_head: Option<JournalHead>,
    /// Every file of the backup except the manifest, `loket.db` first.
    pub files: Vec<FileEntry>,
    /// Store documents whose content no longer matched their SHA-256 name: not copied.
    #[serde(default)]
    pub damaged_documents: Vec<DamagedDocument>,
    /// Documents the database lists as kept whose file was not in the data folder.
    #[serde(default)]
    pub missing_documents: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHead {
    pub seq: i64,
    pub hash: String,
}

/// One file of a backup: its path inside the backup folder (with `/`), size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamagedDocument {
    /// Path inside the data folder, e.g. `documents/ab/cd….pdf`.
    pub path: String,
    /// SHA-256 of what the file holds now.
    pub found_sha256: String,
}

/// The result of `loket backup`.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub folder: PathBuf,
    /// Files in the backup (every manifest entry; the manifest itself not counted).
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub branch_code: String,
    pub created: String,
    pub at_ms: i64,
    pub schema_version: i64,
    pub journal_head: Option<JournalHead>,
    pub damaged_documents: Vec<DamagedDocument>,
    pub missing_documents: Vec<String>,
    /// Older backups removed by the daily rotation.
    pub removed: Vec<PathBuf>,
    pub seconds: f64,
}

/// The result of `loket restore`.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub folder: PathBuf,
    pub from: PathBuf,
    pub branch_code: String,
    /// When the restored backup was taken (RFC 3339, branch time).
    pub backup_created: String,
    pub files: usize,
    pub bytes: u64,
    pub schema_version: i64,
    pub tickets: i64,
    pub sales: i64,
    pub stamp_jobs: i64,
    pub documents: usize,
    pub journal_intact: bool,
    pub journal: journal::Report,
    pub seconds: f64,
}

fn io_err(what: IoWhat, path: &Path) -> impl FnOnce(io::Error) -> BackupError + use<> {
    let path = path.to_path_buf();
    move |source| BackupError::Io { what, path, source }
}

// ---------------------------------------------------------------------------------------------
// Backup

/// What a file of the data folder is, for the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A store document: its content must hash to the name it is stored under.
    Document {
        sha256: String,
    },
    Other,
}

/// A file of the data folder to copy.
#[derive(Debug, Clone)]
struct Source {
    rel: String,
    path: PathBuf,
    bytes: u64,
    kind: Kind,
}

/// Takes a backup of `branch` into a new folder under `to`, reads it back, journals it.
pub fn backup(branch: &mut Branch, actor: &str, to: &Path) -> Result<BackupReport, BackupError> {
    let lock = BackupLock::take(branch.data_dir())?.ok_or(BackupError::AlreadyRunning)?;
    let report = backup_locked(branch, actor, to, &mut |_| {})?;
    drop(lock);
    Ok(report)
}

/// The backup proper, with this branch's backup lock held. `before_read_back` sees the finished
/// temporary folder before it is read back (the tests damage a file there).
fn backup_locked(
    branch: &mut Branch,
    actor: &str,
    to: &Path,
    before_read_back: &mut dyn FnMut(&Path),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if branch.store().is_server() {
        return Err(BackupError::OnServer);
    }
    let to = std::path::absolute(to).map_err(io_err(IoWhat::TargetUnknown, to))?;
    if !to.is_dir() {
        return Err(BackupError::TargetMissing { path: to });
    }
    let tz = branch.store().timezone();
    let now = branch.store().now();
    let at_ms = store::to_ms(now);
    let name = folder_name(now, tz);
    let db_path = branch.data_dir().join(store::FILE_NAME);

    // One read snapshot of the database: the copy, the journal head and the schema version in
    // the manifest, and the list of documents the database expects all come from it.
    let src = Connection::open_with_flags(
        &db_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(15))?;
    src.execute_batch("BEGIN")?;
    // This first read opens the snapshot; it stays open until the copy is done.
    let journal_head = src
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
            Ok(JournalHead {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .map_or_else(
            |e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            },
            |h| Ok(Some(h)),
        )?;
    let page_count: i64 = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let page_size: i64 = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let schema_version: i64 = src.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let kept_documents: HashSet<String> = {
        let mut stmt = src.prepare("SELECT sha256 FROM documents WHERE purged_ms IS NULL")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    // Listed after the snapshot began: every document it records is already on disk.
    let sources = data_files(branch)?;
    let db_bytes = u64::try_from(page_count.saturating_mul(page_size)).unwrap_or(0);

    let needed = estimate(db_bytes, sources.iter().map(|s| s.bytes), block_size(&to));
    let free = crate::delivery::drives::free_space(&to)
        .map_err(io_err(IoWhat::FreeSpaceUnreadable, &to))?;
    if needed > free {
        return Err(BackupError::NoRoom {
            path: to,
            needed,
            free,
        });
    }

    let partial = Partial::create(&to, &name)?;
    let tmp = partial.path.clone();
    let mut buf = vec![0u8; CHUNK];
    let mut files = Vec::with_capacity(sources.len() + 1);
    let mut written = vec![tmp.join(store::FILE_NAME)];
    copy_database(&src, &tmp.join(store::FILE_NAME))?;
    src.execute_batch("COMMIT")?;
    drop(src);
    let (bytes, sha256) = hash_file(&tmp.join(store::FILE_NAME), &mut buf, false)
        .map_err(io_err(IoWhat::DbCopyUnreadable, &tmp))?;
    files.push(FileEntry {
        path: store::FILE_NAME.to_string(),
        bytes,
        sha256,
    });

    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut damaged = Vec::new();
    let mut damaged_names = HashSet::new();
    let mut copied_documents = HashSet::new();
    for s in &sources {
        let dst = tmp.join(&s.rel);
        if let Some(parent) = dst.parent()
            && dirs.insert(parent.to_path_buf())
        {
            make_private_dirs(parent)?;
        }
        let (bytes, sha256) = match copy_hashing(&s.path, &dst, &mut buf) {
            Ok(done) => done,
            // Purged or swept since it was listed: the database snapshot still says whether it
            // should be there (see `missing_documents`).
            Err(CopyFailure::Source(e)) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(CopyFailure::Source(e)) => {
                return Err(io_err(IoWhat::DataFileUnreadable, &s.path)(e));
            }
            Err(CopyFailure::Target(e)) => {
                return Err(io_err(IoWhat::BackupUnwritable, &dst)(e));
            }
        };
        if let Kind::Document { sha256: expected } = &s.kind {
            if *expected != sha256 {
                // Not copied as if it were good: a restore would store it under a name its
                // content no longer has. It is named in the manifest and the report instead.
                fs::remove_file(&dst).map_err(io_err(IoWhat::FileUnremovable, &dst))?;
                damaged.push(DamagedDocument {
                    path: s.rel.clone(),
                    found_sha256: sha256,
                });
                damaged_names.insert(expected.clone());
                continue;
            }
            copied_documents.insert(expected.clone());
        }
        written.push(dst);
        files.push(FileEntry {
            path: s.rel.clone(),
            bytes,
            sha256,
        });
    }
    let mut missing: Vec<String> = kept_documents
        .into_iter()
        .filter(|d| !copied_documents.contains(d) && !damaged_names.contains(d))
        .collect();
    missing.sort();

    let manifest = Manifest {
        format: FORMAT,
        program: format!("loket {}", env!("CARGO_PKG_VERSION")),
        branch_code: branch.config().branch.code.clone(),
        branch_name: branch.config().branch.name.clone(),
        created: rfc3339(tz.local(now)),
        created_ms: at_ms,
        schema_version,
        journal_head: journal_head.clone(),
        files,
        damaged_documents: damaged.clone(),
        missing_documents: missing.clone(),
    };
    let manifest_path = tmp.join(MANIFEST);
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::BadManifest {
        path: manifest_path.clone(),
        reason: e.to_string(),
    })?;
    write_new(&manifest_path, &text).map_err(io_err(IoWhat::ManifestUnwritable, &manifest_path))?;
    written.push(manifest_path);
    sync_all(&tmp, &written, &dirs)?;

    // Read back from the device, the manifest included, before anything is called done.
    before_read_back(&tmp);
    let mut expected = manifest.files.clone();
    expected.push(FileEntry {
        path: MANIFEST.to_string(),
        bytes: text.len() as u64,
        sha256: hex::encode(Sha256::digest(&text)),
    });
    check_files(&tmp, &expected, true)
        .map_err(|(file, reason)| BackupError::ReadBack { file, reason })?;

    let folder = partial.finish(&to, &name)?;
    let folder_label = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.clone());
    let files = manifest.files.len();
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    let documents = copied_documents.len();
    branch.store_mut().write(|tx| {
        tx.journal(Entry::new(
            actor,
            COMPLETED,
            &folder_label,
            serde_json::json!({
                "folder": folder.display().to_string(),
                "files": files,
                "bytes": bytes,
                "at_ms": at_ms,
                "damaged_documents": damaged.iter().map(|d| &d.path).collect::<Vec<_>>(),
                "missing_documents": &missing,
            }),
        ))?;
        Ok::<_, StoreError>(())
    })?;
    Ok(BackupReport {
        folder,
        files,
        bytes,
        documents,
        branch_code: manifest.branch_code,
        created: manifest.created,
        at_ms,
        schema_version,
        journal_head,
        damaged_documents: damaged,
        missing_documents: missing,
        removed: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Copies the snapshot `src` is reading into a new database file at `dst`, in steps.
fn copy_database(src: &Connection, dst: &Path) -> Result<(), BackupError> {
    // Created first so the copy of the branch's data is private from its first byte.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dst)
        .map_err(io_err(IoWhat::DbCopyUnmade, dst))?;
    let mut out = Connection::open_with_flags(
        dst,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    {
        let backup = Backup::new(src, &mut out)?;
        loop {
            match backup.step(PAGES_PER_STEP)? {
                StepResult::Done => break,
                StepResult::More => std::thread::sleep(STEP_PAUSE),
                // Only the destination can be locked (the source snapshot is already held).
                StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => std::thread::sleep(STEP_PAUSE),
            }
        }
    }
    // The copied header says WAL; an archive is one self-contained file, readable without
    // creating -wal and -shm files beside it. `Store::open` turns WAL back on after a restore.
    out.pragma_update(None, "journal_mode", "DELETE")?;
    out.close().map_err(|(_, e)| BackupError::from(e))?;
    Ok(())
}

/// The files of the data folder a backup holds besides the database, in manifest order.
fn data_files(branch: &Branch) -> Result<Vec<Source>, BackupError> {
    let data = &branch.data_dir();
    let config_path = data.join(config::FILE_NAME);
    let mut out = vec![Source {
        rel: config::FILE_NAME.to_string(),
        bytes: fs::metadata(&config_path)
            .map_err(io_err(IoWhat::DataFileUnreadable, &config_path))?
            .len(),
        path: config_path,
        kind: Kind::Other,
    }];
    for folder in [PKI_FOLDER, documents::FOLDER, documents::PENDING_FOLDER] {
        for (rel, path, bytes) in walk(data, folder)? {
            let kind = match document_name(&rel) {
                Some(sha256) if folder == documents::FOLDER => Kind::Document { sha256 },
                _ => Kind::Other,
            };
            out.push(Source {
                rel,
                path,
                bytes,
                kind,
            });
        }
    }
    // Root certificates the configuration names inside the data folder: a restored branch needs
    // them to trust Peruri's output and to reach a private mail server.
    let mut referenced: Vec<PathBuf> = branch
        .config()
        .stamping
        .peruri
        .as_ref()
        .map(|p| p.root_certs.clone())
        .unwrap_or_default();
    if let Some(smtp) = &branch.config().smtp
        && let Some(cert) = &smtp.root_certificate
    {
        referenced.push(cert.clone());
    }
    let mut seen: HashSet<String> = out.iter().map(|s| s.rel.clone()).collect();
    for r in referenced {
        let Some(rel) = safe_relative(&r) else {
            continue; // outside the data folder: not the branch's to back up
        };
        let path = data.join(&r);
        if path.is_file() && seen.insert(rel.clone()) {
            out.push(Source {
                bytes: fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                rel,
                path,
                kind: Kind::Other,
            });
        }
    }
    Ok(out)
}

/// Files under `data/folder` (recursively, sorted), as (path with `/` relative to `data`, path,
/// size). Names starting with a dot are temporary files of writes in progress and are left out,
/// and so is a file removed while the folder is listed (a document purged meanwhile).
fn walk(data: &Path, folder: &str) -> Result<Vec<(String, PathBuf, u64)>, BackupError> {
    let mut out = Vec::new();
    let mut stack = vec![(folder.to_string(), data.join(folder))];
    while let Some((rel, dir)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(IoWhat::DataFolderUnreadable, &dir)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(IoWhat::DataFolderUnreadable, &dir))?;
            names.push(entry.file_name());
        }
        names.sort();
        for name in names.into_iter().rev() {
            let Some(text) = name.to_str() else { continue };
            if text.starts_with('.') {
                continue;
            }
            let path = dir.join(&name);
            let child = format!("{rel}/{text}");
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(IoWhat::DataFileUnreadable, &path)(e)),
            };
            if meta.is_dir() {
                stack.push((child, path));
            } else if meta.is_file() {
                out.push((child, path, meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The SHA-256 a store document's path names (`documents/ab/cdef….pdf` → `abcdef…`).
fn document_name(rel: &str) -> Option<String> {
    let rest = rel.strip_prefix(documents::FOLDER)?.strip_prefix('/')?;
    let (fan, file) = rest.split_once('/')?;
    let stem = file.strip_suffix(".pdf")?;
    let sha = format!("{fan}{stem}");
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
}

/// A relative path that stays inside its folder, written with `/`; `None` for anything else
/// (absolute, `..`, empty).
fn safe_relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Bytes the backup will take: every file rounded up to the target's block, plus 10 %.
fn estimate(db_bytes: u64, files: impl Iterator<Item = u64>, block: u64) -> u64 {
    let block = block.max(1);
    let round = |n: u64| n.div_ceil(block).saturating_mul(block);
    // The manifest: about 200 bytes a file.
    let mut count = 1u64;
    let mut total = round(db_bytes);
    for f in files {
        total = total.saturating_add(round(f));
        count += 1;
    }
    total = total.saturating_add(round(count.saturating_mul(200)));
    total.saturating_add(total / 10)
}

fn block_size(path: &Path) -> u64 {
    rustix::fs::statvfs(path)
        .map(|st| st.f_frsize.max(512))
        .unwrap_or(4096)
}

/// `loket-backup-YYYYMMDD-HHMMSS` for a moment, on the branch's wall clock.
fn folder_name(at: OffsetDateTime, tz: crate::day::TimeZone) -> String {
    let t = tz.local(at);
    format!(
        "{FOLDER_PREFIX}{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 3339 to the second.
fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// `6 Desember 2026 18.30 WIB` for a moment a manifest recorded; the text itself if it does not
/// parse.
fn when_text(rfc: &str) -> String {
    match OffsetDateTime::parse(rfc, &time::format_description::well_known::Rfc3339) {
        Ok(at) => crate::when::When::in_own_offset(at).full(),
        Err(_) => rfc.to_string(),
    }
}

/// A backup folder being written under a temporary name; removed unless [`Partial::finish`]
/// renamed it into place, so a failed backup leaves nothing that looks like one.
#[derive(Debug)]
struct Partial {
    path: PathBuf,
    done: bool,
}

impl Partial {
    fn create(to: &Path, name: &str) -> Result<Partial, BackupError> {
        let path = to.join(format!(".{name}.partial-{}", std::process::id()));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(io_err(IoWhat::BackupFolderUnmade, &path))?;
        Ok(Partial { path, done: false })
    }

    /// Renames the checked folder to `name` (or `name-2`, … if a backup of the same second is
    /// there) and makes the rename durable.
    fn finish(mut self, to: &Path, name: &str) -> Result<PathBuf, BackupError> {
        for n in 1..100u32 {
            let target = if n == 1 {
                to.join(name)
            } else {
                to.join(format!("{name}-{n}"))
            };
            if rename_no_replace(&self.path, &target)
                .map_err(io_err(IoWhat::BackupUnnamed, &target))?
            {
                self.done = true;
                sync_dir(to).map_err(io_err(IoWhat::TargetUnsynced, to))?;
                return Ok(target);
            }
        }
        Err(BackupError::Io {
            what: crate::error::IoWhat::TooManyBackups,
            path: to.join(name),
            source: io::Error::from(io::ErrorKind::AlreadyExists),
        })
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Renames without replacing; `Ok(false)` when the target name is taken.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST | Errno::NOTEMPTY) => Ok(false),
        // File systems without renameat2 (some FUSE drives): look, then rename. Only this backup
        // (holding the branch's backup lock) names folders here meanwhile.
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            if to.exists() {
                return Ok(false);
            }
            fs::rename(from, to)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// The branch's backup lock (`DATA/locks/backup.lock`): one backup at a time per branch, even
/// with a worker in every counter. Released by the kernel if the process dies.
#[derive(Debug)]
struct BackupLock(File);

impl BackupLock {
    /// `None` when another process holds it.
    fn take(data_dir: &Path) -> Result<Option<BackupLock>, BackupError> {
        let dir = data_dir.join(crate::stamping::service::LOCK_FOLDER);
        fs::create_dir_all(&dir).map_err(io_err(IoWhat::LockFolderUnmade, &dir))?;
        let path = dir.join("backup.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(IoWhat::BackupLockUnopened, &path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(BackupLock(file))),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(io_err(IoWhat::BackupLockFailed, &path)(e)),
        }
    }
}

impl Drop for BackupLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

// ---------------------------------------------------------------------------------------------
// Files

/// Which side of a copy failed: a source that vanished is expected, a target that fails is not.
#[derive(Debug)]
enum CopyFailure {
    Source(io::Error),
    Target(io::Error),
}

/// Copies `src` to a new file `dst` (0600), hashing what was read; not synced (the caller syncs
/// all files together).
fn copy_hashing(src: &Path, dst: &Path, buf: &mut [u8]) -> Result<(u64, String), CopyFailure> {
    let mut input = File::open(src).map_err(CopyFailure::Source)?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dst)
        .map_err(CopyFailure::Target)?;
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match input.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyFailure::Source(e)),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(CopyFailure::Target)?;
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// Size and SHA-256 of a file; with `uncached` its cached pages are dropped first so the bytes
/// come from the device (they are clean: the file was fsynced), not from memory.
fn hash_file(path: &Path, buf: &mut [u8], uncached: bool) -> io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    if uncached {
        // Advice only: a file system that ignores it (tmpfs) has no device to read from anyway.
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    }
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// Checks every listed file in `dir`; the first that differs, with how. Two readers share the
/// list (the database on one, documents on the other), since a read-back from the device waits
/// on the disk far more than it hashes.
fn check_files(dir: &Path, files: &[FileEntry], uncached: bool) -> Result<(), (String, Mismatch)> {
    let next = AtomicUsize::new(0);
    let bad: Mutex<Option<(usize, String, Mismatch)>> = Mutex::new(None);
    let work = || {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = files.get(i) else { break };
            if bad.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
                break;
            }
            if let Err(reason) = check_file(dir, f, uncached, &mut buf) {
                let mut slot = bad.lock().unwrap_or_else(|p| p.into_inner());
                if slot.as_ref().is_none_or(|(j, _, _)| i < *j) {
                    *slot = Some((i, f.path.clone(), reason));
                }
                break;
            }
        }
    };
    std::thread::scope(|s| {
        // Without a second thread the work is all done on this one.
        let _helper = std::thread::Builder::new()
            .name("loket-read-back".into())
            .spawn_scoped(s, work);
        work();
    });
    match bad.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some((_, file, reason)) => Err((file, reason)),
        None => Ok(()),
    }
}

fn check_file(dir: &Path, f: &FileEntry, uncached: bool, buf: &mut [u8]) -> Result<(), Mismatch> {
    let Some(rel) = safe_relative(Path::new(&f.path)) else {
        return Err(Mismatch::Missing);
    };
    match hash_file(&dir.join(rel), buf, uncached) {
        Err(_) => Err(Mismatch::Missing),
        Ok((bytes, _)) if bytes != f.bytes => Err(Mismatch::Size {
            expected: f.bytes,
            found: bytes,
        }),
        Ok((_, sha256)) if sha256 != f.sha256 => Err(Mismatch::Sha256 {
            expected: f.sha256.clone(),
            found: sha256,
        }),
        Ok(_) => Ok(()),
    }
}

/// Writes `bytes` to a new private file (synced with the rest by [`sync_all`]).
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

/// Makes every file in `written` and every folder in `dirs` (all under `root`) durable. One
/// `syncfs` of the target's file system writes and flushes them all at once, where an fsync per
/// file costs a journal commit per small document (2,000 of them took longer than the whole copy);
/// a file system that refuses `syncfs` gets an fsync per file. A write-back error that `syncfs`
/// of an older kernel would not report is still caught: the read-back reads from the device.
/// The folders are fsynced one by one as well (a few hundred at most).
fn sync_all(root: &Path, written: &[PathBuf], dirs: &BTreeSet<PathBuf>) -> Result<(), BackupError> {
    let synced = File::open(root).and_then(|d| rustix::fs::syncfs(&d).map_err(io::Error::from));
    if synced.is_err() {
        for path in written {
            sync_file(path)?;
        }
    }
    for dir in dirs.iter().rev() {
        sync_dir(dir).map_err(io_err(IoWhat::FolderUnsynced, dir))?;
    }
    sync_dir(root).map_err(io_err(IoWhat::FolderUnsynced, root))
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(IoWhat::BackupFileUnsynced, path))
}

/// fsync of a folder; file systems that cannot (EINVAL) write their entries with their own sync.
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir)?.sync_all() {
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => Ok(()),
        other => other,
    }
}

/// Creates `dir` and its missing parents, each 0700 (the store's own mode: customer documents and
/// keys are readable only by loket's user).
fn make_private_dirs(dir: &Path) -> Result<(), BackupError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err(IoWhat::FolderUnmade, dir))
}

// ---------------------------------------------------------------------------------------------
// Restore

/// Reads and checks the manifest of the backup in `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::NotABackup {
                path: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(IoWhat::ManifestUnreadable, &path)(e)),
    };
    let bad = |reason: String| BackupError::BadManifest {
        path: path.clone(),
        reason,
    };
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if manifest.format > FORMAT {
        return Err(bad(
            crate::words::current().backup_format_newer(manifest.format, FORMAT)
        ));
    }
    let mut seen = HashSet::new();
    for f in &manifest.files {
        // A manifest names files inside its own folder only: a restore never writes elsewhere.
        if safe_relative(Path::new(&f.path)).as_deref() != Some(f.path.as_str())
            || f.path == MANIFEST
        {
            return Err(bad(crate::words::current().backup_bad_path(&f.path)));
        }
        if !seen.insert(f.path.as_str()) {
            return Err(bad(crate::words::current().backup_listed_twice(&f.path)));
        }
    }
    for needed in [store::FILE_NAME, config::FILE_NAME] {
        if !seen.contains(needed) {
            return Err(bad(crate::words::current().backup_not_listed(needed)));
        }
    }
    Ok(manifest)
}

/// Checks every file of the backup in `dir` against its manifest; the manifest when all match.
pub fn verify_backup(dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(dir)?;
    check_files(dir, &manifest.files, false)
        .map_err(|(file, reason)| BackupError::Damaged { file, reason })?;
    Ok(manifest)
}

/// Restores the backup in `from` into `into` (absent or empty): checks it whole first, copies it
/// into a temporary folder beside `into`, opens it, checks the journal, and only then renames it
/// to `into`. Nothing is ever half-restored.
pub fn restore(from: &Path, into: &Path, actor: &str) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let into = std::path::absolute(into).map_err(io_err(IoWhat::TargetUnknown, into))?;
    let from = std::path::absolute(from).map_err(io_err(IoWhat::BackupFolderUnknown, from))?;
    check_empty_target(&into)?;
    let manifest = read_manifest(&from)?;
    if manifest.schema_version > store::LATEST_VERSION {
        return Err(BackupError::TooNew {
            found: manifest.schema_version,
            supported: store::LATEST_VERSION,
        });
    }
    check_files(&from, &manifest.files, false)
        .map_err(|(file, reason)| BackupError::Damaged { file, reason })?;

    let parent = into
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    fs::create_dir_all(&parent).map_err(io_err(IoWhat::FolderUnmade, &parent))?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    let needed = estimate(
        0,
        manifest.files.iter().map(|f| f.bytes),
        block_size(&parent),
    );
    let free = crate::delivery::drives::free_space(&parent)
        .map_err(io_err(IoWhat::FreeSpaceUnreadable, &parent))?;
    if needed > free {
        return Err(BackupError::NoRoom {
            path: parent,
            needed,
            free,
        });
    }
    let base = into
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "loket-data".into());
    let partial = Partial::create(&parent, &format!("{base}.restore"))?;
    let tmp = partial.path.clone();
    let mut buf = vec![0u8; CHUNK];
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut written = Vec::with_capacity(manifest.files.len());
    for f in &manifest.files {
        let dst = tmp.join(&f.path);
        if let Some(dir) = dst.parent()
            && dirs.insert(dir.to_path_buf())
        {
            make_private_dirs(dir)?;
        }
        let (n, sha256) = match copy_hashing(&from.join(&f.path), &dst, &mut buf) {
            Ok(done) => done,
            Err(CopyFailure::Source(e)) => {
                return Err(io_err(IoWhat::BackupFileUnreadable, &from.join(&f.path))(e));
            }
            Err(CopyFailure::Target(e)) => {
                return Err(io_err(IoWhat::FileUnwritable, &dst)(e));
            }
        };
        // Checked again as copied: a backup changing under the restore is damaged too.
        if n != f.bytes || sha256 != f.sha256 {
            return Err(BackupError::Damaged {
                file: f.path.clone(),
                reason: Mismatch::Sha256 {
                    expected: f.sha256.clone(),
                    found: sha256,
                },
            });
        }
        written.push(dst);
    }
    sync_all(&tmp, &written, &dirs)?;

    let mut branch = Branch::open(&tmp).map_err(|e| BackupError::Open(Box::new(e)))?;
    let report = branch.store_mut().read(|c| journal::verify(c, None))?;
    if let Some(tamper) = report.tamper.clone() {
        return Err(BackupError::JournalBroken { tamper });
    }
    let count = |c: &crate::store::Connection, table: &str| -> crate::store::sql::Result<i64> {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))
    };
    let (tickets, sales, stamp_jobs) = branch.store_mut().read(|c| {
        Ok::<_, StoreError>((
            count(c, "tickets")?,
            count(c, "sales")?,
            count(c, "stamp_jobs")?,
        ))
    })?;
    let schema_version = branch.store_mut().version()?;
    let documents = manifest
        .files
        .iter()
        .filter(|f| document_name(&f.path).is_some())
        .count();
    // The restored branch's own history says where it came from.
    branch.store_mut().write(|tx| {
        tx.journal(Entry::new(
            actor,
            RESTORED,
            &manifest.branch_code,
            serde_json::json!({
                "from": from.display().to_string(),
                "backup_at_ms": manifest.created_ms,
                "journal_head_seq": manifest.journal_head.as_ref().map(|h| h.seq),
                "files": manifest.files.len(),
            }),
        ))?;
        Ok::<_, StoreError>(())
    })?;
    drop(branch);
    sync_dir(&tmp).map_err(io_err(IoWhat::FolderUnsynced, &tmp))?;
    move_into(partial, &into, &parent)?;
    Ok(RestoreReport {
        folder: into,
        from,
        branch_code: manifest.branch_code,
        backup_created: manifest.created,
        files: manifest.files.len(),
        bytes,
        schema_version,
        tickets,
        sales,
        stamp_jobs,
        documents,
        journal_intact: true,
        journal: report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses a restore target that exists and is not an empty folder.
fn check_empty_target(into: &Path) -> Result<(), BackupError> {
    match fs::symlink_metadata(into) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(IoWhat::TargetUnreadable, into)(e)),
        Ok(meta) if !meta.is_dir() => Err(BackupError::TargetNotEmpty {
            path: into.to_path_buf(),
            first: crate::words::current().backup_target_is_file().into(),
        }),
        Ok(_) => {
            let mut entries = fs::read_dir(into).map_err(io_err(IoWhat::TargetUnreadable, into))?;
            match entries.next() {
                None => Ok(()),
                Some(entry) => {
                    let entry = entry.map_err(io_err(IoWhat::TargetUnreadable, into))?;
                    Err(BackupError::TargetNotEmpty {
                        path: into.to_path_buf(),
                        first: entry.file_name().to_string_lossy().into_owned(),
                    })
                }
            }
        }
    }
}

/// Puts the finished restore in place: `into` is absent, or an empty folder the rename replaces.
fn move_into(mut partial: Partial, into: &Path, parent: &Path) -> Result<(), BackupError> {
    // Looked at again: something written into the target meanwhile is not thrown away.
    check_empty_target(into)?;
    match fs::rename(&partial.path, into) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            return check_empty_target(into);
        }
        Err(e) => {
            return Err(io_err(IoWhat::RestoredFolderUnnamed, into)(e));
        }
    }
    partial.done = true;
    sync_dir(parent).map_err(io_err(IoWhat::FolderUnsynced, parent))
}

// ---------------------------------------------------------------------------------------------
// The worker's daily backup

/// When the daily backup of a data folder may be tried again after a failure (branch clock, ms).
static RETRY_AT: Mutex<Vec<(PathBuf, i64)>> = Mutex::new(Vec::new());

fn retry_at(data_dir: &Path) -> Option<i64> {
    RETRY_AT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(d, _)| d == data_dir)
        .map(|(_, t)| *t)
}

fn set_retry_at(data_dir: &Path, at: Option<i64>) {
    let mut all = RETRY_AT.lock().unwrap_or_else(|p| p.into_inner());
    all.retain(|(d, _)| d != data_dir);
    if let Some(at) = at {
        all.push((data_dir.to_path_buf(), at));
    }
}

/// The worker's daily duty: with `[backup] folder` set and the last backup older than about a day
/// (branch clock), makes one there and then removes the oldest `loket-backup-*` folders beyond
/// `keep`. `None` when nothing was due or another process is making it.
pub fn daily(branch: &mut Branch) -> Result<Option<BackupReport>, LoketError> {
    let Some(folder) = branch.config().backup.folder.clone() else {
        return Ok(None);
    };
    if branch.store().is_server() {
        // The branch server is backed up on the server (see `BackupError::OnServer`).
        return Ok(None);
    }
    // Relative to the data folder, like every other path in loket.toml.
    let folder = branch.data_dir().join(folder);
    let now = store::to_ms(branch.store().now());
    if retry_at(branch.data_dir()).is_some_and(|t| now < t) {
        return Ok(None);
    }
    let due = |last: Option<i64>| last.is_none_or(|t| now - t >= DAILY_AFTER_MS);
    if !due(last_backup_ms(branch)?) {
        return Ok(None);
    }
    let Some(lock) = BackupLock::take(branch.data_dir())? else {
        return Ok(None);
    };
    // Another process may have finished one between the look above and the lock.
    if !due(last_backup_ms(branch)?) {
        return Ok(None);
    }
    let result = backup_locked(branch, "system", &folder, &mut |_| {}).and_then(|mut report| {
        report.removed = rotate(&folder, branch.config().backup.keep)?;
        Ok(report)
    });
    drop(lock);
    match result {
        Ok(report) => {
            set_retry_at(branch.data_dir(), None);
            Ok(Some(report))
        }
        Err(e) => {
            set_retry_at(branch.data_dir(), Some(now + RETRY_AFTER_MS));
            Err(e.into())
        }
    }
}

/// Removes the oldest backup folders in `folder` beyond `keep` (at least the newest stays), and
/// temporary folders of backups that died more than a day ago.
fn rotate(folder: &Path, keep: u32) -> Result<Vec<PathBuf>, BackupError> {
    let entries = fs::read_dir(folder).map_err(io_err(IoWhat::BackupFolderUnreadable, folder))?;
    let mut backups = Vec::new();
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(IoWhat::BackupFolderUnreadable, folder))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if let Some(key) = backup_key(&name) {
            // Only folders that are loket backups (they carry a manifest) are ever removed.
            if path.join(MANIFEST).is_file() {
                backups.push((key, path));
            }
        } else if name.starts_with(&format!(".{FOLDER_PREFIX}")) && name.contains(".partial-") {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(24 * 3600));
            if old {
                stale.push(path);
            }
        }
    }
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1) as usize);
    let old = backups.into_iter().take(excess).map(|(_, path)| path);
    let mut removed = Vec::new();
    for path in old.chain(stale) {
        fs::remove_dir_all(&path).map_err(io_err(IoWhat::OldBackupUnremovable, &path))?;
        removed.push(path);
    }
    if !removed.is_empty() {
        sync_dir(folder).map_err(io_err(IoWhat::BackupFolderUnsynced, folder))?;
    }
    Ok(removed)
}

/// Sort key of a backup folder name: its `YYYYMMDD-HHMMSS` and same-second number; `None` for
/// any other name.
fn backup_key(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix(FOLDER_PREFIX)?;
    let (stamp, n) = match rest.get(15..) {
        Some("") => (rest, 1),
        Some(suffix) => (&rest[..15], suffix.strip_prefix('-')?.parse().ok()?),
        None => return None,
    };
    let b = stamp.as_bytes();
    let shape = b.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    shape.then(|| (stamp.to_string(), n))
}

/// When the newest good backup's snapshot was taken (Unix ms, from the journal); `None` if
/// the branch was never backed up. For the doctor and the status bars.
pub fn last_backup_ms(branch: &mut Branch) -> Result<Option<i64>, LoketError> {
    Ok(last_backup_in(branch.store_mut())?)
}

/// [`last_backup_ms`] on a store alone (the doctor opens no `Branch`).
pub fn last_backup_in(store: &mut crate::store::Store) -> Result<Option<i64>, StoreError> {
    store.read(|c| {
        let last: Option<(String, i64)> = c
            .query_row(
                "SELECT detail, at_ms FROM journal WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
                [COMPLETED],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)?;
        // The snapshot's own moment when the entry records it, else the entry's.
        Ok(last.map(|(detail, at_ms)| {
            serde_json::from_str::<serde_json::Value>(&detail)
                .ok()
                .and_then(|d| d.get("at_ms").and_then(serde_json::Value::as_i64))
                .unwrap_or(at_ms)
        }))
    })
}

// ---------------------------------------------------------------------------------------------
// Command line

/// `loket backup --to DIR`.
pub fn cli_backup(data: &Path, actor: &str, to: &Path, json: bool) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    let report = backup(&mut branch, actor, to)?;
    if json {
        crate::cli::print_json(&report, branch.config().branch.timezone);
    } else {
        let w = crate::words::current();
        println!(
            "{}",
            w.backup_done(
                report.files as u64,
                report.documents as u64,
                &human_bytes(report.bytes),
                &report.folder.display(),
                report.seconds
            )
        );
        for d in &report.damaged_documents {
            println!("{}", w.backup_damaged(&d.path));
        }
        for sha in &report.missing_documents {
            println!("{}", w.backup_missing(sha));
        }
    }
    Ok(
        if report.damaged_documents.is_empty() && report.missing_documents.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_WITH_WARNINGS)
        },
    )
}

/// `loket restore FROM --into NEW`.
pub fn cli_restore(
    from: &Path,
    into: &Path,
    actor: &str,
    json: bool,
) -> Result<ExitCode, LoketError> {
    let report = restore(from, into, actor)?;
    if json {
        // The restored branch's zone, as its manifest wrote the moment.
        let tz = OffsetDateTime::parse(
            &report.backup_created,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
        .and_then(|at| crate::day::TimeZone::of_offset(at.offset()))
        .unwrap_or(crate::day::TimeZone::Wib);
        crate::cli::print_json(&report, tz);
    } else {
        let summary = crate::words::RestoreSummary {
            branch: &report.branch_code,
            created: &when_text(&report.backup_created),
            folder: &report.folder.display(),
            tickets: u64::try_from(report.tickets).unwrap_or(0),
            sales: u64::try_from(report.sales).unwrap_or(0),
            stamp_jobs: u64::try_from(report.stamp_jobs).unwrap_or(0),
            documents: report.documents as u64,
            entries: report.journal.entries,
            files: report.files as u64,
            size: &human_bytes(report.bytes),
            seconds: report.seconds,
        };
        println!("{}", crate::words::current().restore_done(&summary));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn folder_names_sort_by_time_and_same_second_number() {
        let at = datetime!(2026-11-23 01:02:03 UTC);
        assert_eq!(
            folder_name(at, crate::day::TimeZone::Wib),
            "loket-backup-20261123-080203"
        );
        let check = |name: &str, expect: Option<(&str, u32)>| {
            assert_eq!(
                backup_key(name),
                expect.map(|(s, n)| (s.to_string(), n)),
                "{name}"
            );
        };
        check("loket-backup-20261123-080203", Some(("20261123-080203", 1)));
        check(
            "loket-backup-20261123-080203-2",
            Some(("20261123-080203", 2)),
        );
        check(
            "loket-backup-20261123-080203-10",
            Some(("20261123-080203", 10)),
        );
        check("loket-backup-20261123-0802", None);
        check("loket-backup-20261123x080203", None);
        check("loket-backup-20261123-080203-x", None);
        check(".loket-backup-20261123-080203.partial-12", None);
        check("foto-liburan", None);
        assert_eq!(
            when_text("2026-11-23T08:05:09+07:00"),
            "23 November 2026 08.05 WIB"
        );
        assert_eq!(when_text("kemarin"), "kemarin");
        assert_eq!(
            rfc3339(datetime!(2026-11-23 08:05:09.123 +08:00)),
            "2026-11-23T08:05:09+08:00"
        );
        assert!(
            backup_key("loket-backup-20261123-080203-2")
                < backup_key("loket-backup-20261123-080203-10")
        );
    }

    #[test]
    fn paths_stay_inside_their_folder() {
        let check = |p: &str, expect: Option<&str>| {
            assert_eq!(safe_relative(Path::new(p)).as_deref(), expect, "{p}");
        };
        check("documents/ab/cd.pdf", Some("documents/ab/cd.pdf"));
        check("./pki/ca.pem", Some("pki/ca.pem"));
        check("../etc/passwd", None);
        check("documents/../../x", None);
        check("/etc/passwd", None);
        check("", None);
        let sha = "ab".to_string() + &"c".repeat(62);
        assert_eq!(
            document_name(&format!("documents/ab/{}.pdf", &sha[2..])),
            Some(sha.clone())
        );
        assert_eq!(document_name("documents/ab/cd.pdf"), None);
        assert_eq!(document_name(&format!("pki/ab/{}.pdf", &sha[2..])), None);
    }

    #[test]
    fn the_estimate_rounds_to_blocks_and_adds_a_tenth() {
        // 10 files of 1 byte on 4 KiB blocks take 10 blocks, not 10 bytes.
        assert_eq!(
            estimate(0, std::iter::repeat_n(1, 10), 4096),
            (11 * 4096) * 11 / 10
        );
        assert_eq!(
            estimate(1_000_000, std::iter::empty(), 1),
            (1_000_000 + 200) * 11 / 10
        );
    }

    /// A damaged file found by the read-back fails the backup, names the file, and leaves no
    /// partial folder and no journal entry.
    #[test]
    fn a_read_back_mismatch_removes_the_partial_backup() {
        let data = tempfile::tempdir().expect("tmp");
        let to = tempfile::tempdir().expect("tmp");
        fs::write(data.path().join(config::FILE_NAME), config::DEFAULT_TOML).expect("config");
        let clock = crate::clock::ManualClock::new(datetime!(2026-11-23 08:00 +07:00));
        let mut branch =
            Branch::open_with_clock(data.path(), std::sync::Arc::new(clock)).expect("branch");
        let docs = documents::Documents::new(data.path());
        docs.put(b"%PDF-1.7 surat").expect("document");
        let mut flip = |tmp: &Path| {
            let path = tmp.join(store::FILE_NAME);
            let mut bytes = fs::read(&path).expect("read copy");
            bytes[100] ^= 0x01;
            fs::write(&path, bytes).expect("damage copy");
        };
        let err =
            backup_locked(&mut branch, "admin", to.path(), &mut flip).expect_err("damaged copy");
        match &err {
            BackupError::ReadBack { file, .. } => assert_eq!(file, store::FILE_NAME),
            other => panic!("unexpected error: {other}"),
        }
        assert!(err.to_string().contains("loket.db"), "{err}");
        assert_eq!(
            fs::read_dir(to.path()).expect("list").count(),
            0,
            "nothing left in the target"
        );
        assert_eq!(last_backup_ms(&mut branch).expect("journal"), None);
        // And without damage the same call succeeds and is journalled.
        let report = backup_locked(&mut branch, "admin", to.path(), &mut |_| {}).expect("backup");
        assert_eq!(report.documents, 1);
        assert_eq!(
            last_backup_ms(&mut branch).expect("journal"),
            Some(report.at_ms)
        );
        verify_backup(&report.folder).expect("verifies");
    }
}
