//! `loket store migrate`: a one-PC branch moved onto the branch server. Every table of the SQLite
//! file is copied row by row, in one server transaction, into the empty schema `loket server init`
//! made; the identity counters are set past the copied ids; then the row counts are compared table
//! by table and the journal's hash chain is verified on the server, and the move itself is
//! journalled there. A server that already holds a branch's rows is refused: a move runs once.
//!
//! The documents' content goes first (the server's shared content, `store::content`): every
//! document not yet purged and every stamped output a crashed run left, each read back from the
//! server after the move and checked against its SHA-256. A document the rows name but the folder
//! lacks is reported, not a reason to leave the branch behind.

use super::content::{ContentStore, Found};
use super::sql::Value;
use super::{Location, ServerAddress, Store, StoreError};
use crate::journal::{self, Entry};
use crate::stamping::documents::{self, Documents};
use std::path::Path;
use std::sync::Arc;

/// What a move copied and checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Moved {
    /// Rows per table, equal on both sides.
    pub tables: Vec<(String, i64)>,
    /// Journal entries verified on the server.
    pub journal_entries: u64,
    /// Documents copied to the server and read back with the same hash.
    pub documents: usize,
    /// Documents the rows name that the data folder lacked or held damaged.
    pub documents_missing: Vec<String>,
}

/// Why a move did not happen. Nothing is left on the server when it fails: one transaction.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The data folder's store is already a server.
    NotAFile,
    /// The server already holds a branch's rows (`table` has `rows`).
    NotEmpty {
        table: String,
        rows: i64,
    },
    /// The SQLite journal is broken: a broken history is not moved.
    JournalBroken(journal::Tamper),
    /// After the copy, a table's rows differ.
    CountDiffers {
        table: String,
        file: i64,
        server: i64,
    },
    /// After the copy, the journal does not verify on the server.
    ServerJournalBroken(journal::Tamper),
    /// After the copy, a document read back from the server does not have its hash.
    DocumentDiffers {
        sha256: String,
    },
    Store(#[from] StoreError),
}

impl From<super::sql::Error> for MigrateError {
    fn from(e: super::sql::Error) -> Self {
        MigrateError::Store(StoreError::from(e))
    }
}

/// The file's tables, each after the tables it refers to, with their columns.
fn tables(file: &Store) -> Result<Vec<(String, Vec<String>)>, MigrateError> {
    let conn = file.conn();
    let mut left: Vec<(String, Vec<String>)> = Vec::new();
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY rowid",
        )?
        .query_map((), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for name in names {
        let parents: Vec<String> = conn
            .prepare(&format!(
                "SELECT \"table\" FROM pragma_foreign_key_list('{name}')"
            ))?
            .query_map((), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        left.push((name, parents));
    }
    let mut ordered: Vec<String> = Vec::new();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|(name, parents)| {
            let ready = parents.iter().all(|p| p == name || ordered.contains(p));
            if ready {
                ordered.push(name.clone());
            }
            !ready
        });
        if left.len() == before {
            // A cycle of references: the rest in the order they were made.
            ordered.extend(left.drain(..).map(|(name, _)| name));
        }
    }
    let mut out = Vec::new();
    for name in ordered {
        let columns: Vec<String> = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{name}') ORDER BY cid"
            ))?
            .query_map((), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.push((name, columns));
    }
    Ok(out)
}

/// Moves the SQLite branch in `data_dir` onto the server at `to`, reporting each table as it goes.
pub fn migrate(
    data_dir: &Path,
    to: &ServerAddress,
    actor: &str,
    progress: &mut dyn FnMut(&str, i64),
) -> Result<Moved, MigrateError> {
    let config = crate::config::Config::load(&data_dir.join(crate::config::FILE_NAME))
        .map_err(|e| StoreError::Journal(e.to_string()))?;
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
    let tz = config.branch.timezone;
    let Location::File(path) = Location::of(data_dir, &crate::config::StoreSettings::default())
    else {
        return Err(MigrateError::NotAFile);
    };
    let mut file = Store::open(&path, clock.clone(), tz)?;
    let report = file.read(|c| journal::verify(c, None))?;
    if let Some(t) = report.tamper {
        return Err(MigrateError::JournalBroken(t));
    }
    let tables = tables(&file)?;
    let mut server = Store::connect(to, clock, tz)?;
    for (table, _) in &tables {
        let rows: i64 =
            server
                .conn()
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))?;
        if rows > 0 {
            return Err(MigrateError::NotEmpty {
                table: table.clone(),
                rows,
            });
        }
    }

    let (documents, documents_missing) = copy_documents(data_dir, &file, to)?;

    let mut counts = Vec::new();
    server.write(|tx| {
        // Counted afresh should the server run the move again.
        counts.clear();
        for (table, columns) in &tables {
            let list = columns.join(", ");
            let rows: Vec<Vec<Value>> = file
                .conn()
                .prepare(&format!("SELECT {list} FROM {table}"))?
                .query_map((), |r| {
                    (0..columns.len()).map(|i| r.get::<_, Value>(i)).collect()
                })?
                .collect::<Result<_, _>>()?;
            tx.copy_in(table, columns, &rows)?;
            if table == "journal" || table == "journal_head" {
                tx.journal_copied();
            }
            // Identity columns go on from the highest copied id (a text id has none).
            if columns.iter().any(|c| c == "id") {
                let sequence: Option<String> = tx.query_row(
                    "SELECT pg_get_serial_sequence(?1, 'id')",
                    [format!("{}.{table}", crate::server::SCHEMA)],
                    |r| r.get(0),
                )?;
                if let Some(sequence) = sequence {
                    tx.query_row(
                        &format!(
                            "SELECT setval(CAST(CAST(?1 AS TEXT) AS regclass), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
                        ),
                        [sequence],
                        |r| r.get::<_, i64>(0),
                    )?;
                }
            }
            let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            progress(table, n);
            counts.push((table.clone(), n));
        }
        tx.journal(Entry::new(
            actor,
            "store.migrated",
            "store",
            serde_json::json!({
                "from": path.display().to_string(),
                "tables": counts.len(),
                "journal_entries": report.entries,
            }),
        ))?;
        Ok::<_, MigrateError>(())
    })?;

    // The check, table by table, then the whole chain on the server.
    for (table, n) in &counts {
        let on_server: i64 =
            server
                .conn()
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))?;
        // The move's own journal entry is the one row the file does not have.
        let expected = if table == "journal" { n + 1 } else { *n };
        if on_server != expected {
            return Err(MigrateError::CountDiffers {
                table: table.clone(),
                file: *n,
                server: on_server,
            });
        }
    }
    let verified = server.read(|c| journal::verify(c, None))?;
    if let Some(t) = verified.tamper {
        return Err(MigrateError::ServerJournalBroken(t));
    }
    let content = ContentStore::new(to.clone());
    for sha256 in &documents {
        let same = match content.get(sha256, u64::MAX)? {
            Found::Bytes(bytes) => documents::sha256_hex(&bytes) == *sha256,
            Found::Absent | Found::TooLarge(_) => false,
        };
        if !same {
            return Err(MigrateError::DocumentDiffers {
                sha256: sha256.clone(),
            });
        }
    }
    Ok(Moved {
        tables: counts,
        journal_entries: verified.entries,
        documents: documents.len(),
        documents_missing,
    })
}

/// Copies the content of every unpurged document and every pending stamped output of the folder to
/// the server. Returns the hashes copied and those the folder lacked.
fn copy_documents(
    data_dir: &Path,
    file: &Store,
    to: &ServerAddress,
) -> Result<(Vec<String>, Vec<String>), MigrateError> {
    let folder = Documents::new(data_dir);
    let content = ContentStore::new(to.clone());
    let named: Vec<String> = file
        .conn()
        .prepare("SELECT sha256 FROM documents WHERE purged_ms IS NULL ORDER BY sha256")?
        .query_map((), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let (mut copied, mut missing) = (Vec::new(), Vec::new());
    for sha256 in named {
        match folder.get(&sha256) {
            Ok(bytes) => {
                content.put(&sha256, &bytes)?;
                copied.push(sha256);
            }
            Err(_) => missing.push(sha256),
        }
    }
    let jobs: Vec<i64> = file
        .conn()
        .prepare("SELECT id FROM stamp_jobs WHERE state IN ('paid', 'serial_issued')")?
        .query_map((), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for job in jobs {
        if let Some(bytes) = folder.pending(crate::stamping::JobId(job)) {
            let sha256 = documents::sha256_hex(&bytes);
            content.put_pending(job, &sha256, &bytes)?;
            copied.push(sha256);
        }
    }
    Ok((copied, missing))
}
