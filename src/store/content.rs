//! Documents' content on the branch server, shared by every PC: each document in parts of
//! [`PART_BYTES`], written in one transaction, read back part by part. Its own connections (a small
//! pool per process), apart from the session that carries state changes: a 20 MB upload never
//! holds the branch's write lock or sits between two payments.
//!
//! Content is addressed by its SHA-256; the caller checks the hash of what it reads
//! (`stamping::documents`). Times are the server's, so every PC ages content on one clock.

use super::pg::PgSession;
use super::{ServerAddress, StoreError};
use std::sync::Mutex;

/// Size of one stored part: a read or write holds at most one part in flight besides the
/// document itself.
pub const PART_BYTES: usize = 1024 * 1024;

/// The server's clock in milliseconds, in SQL.
const SERVER_MS: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint)";

/// Idle connections to the branch server, by URL, kept for the next read or write.
static IDLE: Mutex<Vec<(String, postgres::Client)>> = Mutex::new(Vec::new());
/// At most this many idle connections are kept per process.
const IDLE_KEPT: usize = 2;

/// The shared content of one branch server.
#[derive(Debug, Clone)]
pub struct ContentStore {
    address: ServerAddress,
}

/// What [`ContentStore::get`] found.
#[derive(Debug)]
pub enum Found {
    Bytes(Vec<u8>),
    /// No part is stored under that hash.
    Absent,
    /// The stored parts add up to more than the reader allows.
    TooLarge(u64),
}

impl ContentStore {
    pub fn new(address: ServerAddress) -> ContentStore {
        ContentStore { address }
    }

    /// Runs `f` on an idle connection (or a new one), keeping it for the next call if it is
    /// still open afterwards.
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let url = &self.address.url;
        let idle = {
            let mut pool = IDLE
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool.iter()
                .position(|(u, _)| u == url)
                .map(|i| pool.swap_remove(i).1)
        };
        let mut client = match idle {
            Some(c) if !c.is_closed() => c,
            _ => PgSession::client(&self.address)?,
        };
        let out = f(&mut client).map_err(StoreError::from);
        if !client.is_closed() && out.is_ok() {
            let mut pool = IDLE
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if pool.iter().filter(|(u, _)| u == url).count() < IDLE_KEPT {
                pool.push((url.clone(), client));
            }
        }
        out
    }

    /// Stores `bytes` under `sha256` in one transaction. Storing it again renews its time (so
    /// the sweep of unnamed content leaves it to the commit about to name it) and writes nothing
    /// else.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let renewed = tx.execute(
                &format!("UPDATE document_parts SET written_ms = {SERVER_MS} WHERE sha256 = $1"),
                &[&sha256],
            )?;
            let parts = bytes.len().div_ceil(PART_BYTES).max(1);
            if usize::try_from(renewed).unwrap_or(0) != parts {
                // Another PC storing the same content at this moment stores the same parts.
                let insert = tx.prepare(&format!(
                    "INSERT INTO document_parts (sha256, part, data, written_ms)
                     VALUES ($1, $2, $3, {SERVER_MS}) ON CONFLICT DO NOTHING"
                ))?;
                for (n, chunk) in bytes.chunks(PART_BYTES).enumerate() {
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    tx.execute(&insert, &[&sha256, &n, &chunk])?;
                }
                if bytes.is_empty() {
                    tx.execute(&insert, &[&sha256, &0i64, &bytes])?;
                }
            }
            tx.commit()
        })
    }

    /// Reads the content stored under `sha256`, part by part, refusing more than `limit` bytes.
    pub fn get(&self, sha256: &str, limit: u64) -> Result<Found, StoreError> {
        self.with_client(|c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let row = tx.query_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(octet_length(data)), 0) AS bigint)
                 FROM document_parts WHERE sha256 = $1",
                &[&sha256],
            )?;
            let (parts, total): (i64, i64) = (row.get(0), row.get(1));
            if parts == 0 {
                return Ok(Found::Absent);
            }
            let total = u64::try_from(total).unwrap_or(u64::MAX);
            if total > limit {
                return Ok(Found::TooLarge(total));
            }
            let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            let read =
                tx.prepare("SELECT data FROM document_parts WHERE sha256 = $1 AND part = $2")?;
            for n in 0..parts {
                let row = tx.query_opt(&read, &[&sha256, &n])?;
                match row {
                    Some(row) => out.extend_from_slice(row.get::<_, &[u8]>(0)),
                    // A part missing: the caller's hash check reports the damage.
                    None => break,
                }
            }
            tx.commit()?;
            Ok(Found::Bytes(out))
        })
    }

    /// Deletes the content stored under `sha256` (a purged document); absent content is fine.
    pub fn remove(&self, sha256: &str) -> Result<(), StoreError> {
        self.with_client(|c| {
            c.execute("DELETE FROM document_parts WHERE sha256 = $1", &[&sha256])
                .map(|_| ())
        })
    }

    /// Keeps job `job`'s stamped output until it is recorded: its content and the job's pointer
    /// to it, in one transaction.
    pub fn put_pending(&self, job: i64, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.put(sha256, bytes)?;
        self.with_client(|c| {
            c.execute(
                &format!(
                    "INSERT INTO stamp_pending (job, sha256, written_ms) VALUES ($1, $2, {SERVER_MS})
                     ON CONFLICT (branch, job) DO UPDATE SET sha256 = EXCLUDED.sha256,
                         written_ms = EXCLUDED.written_ms"
                ),
                &[&job, &sha256],
            )
            .map(|_| ())
        })
    }

    /// The hash of job `job`'s stamped output kept by [`ContentStore::put_pending`], if any.
    pub fn pending(&self, job: i64) -> Result<Option<String>, StoreError> {
        self.with_client(|c| {
            Ok(
                c.query_opt("SELECT sha256 FROM stamp_pending WHERE job = $1", &[&job])?
                    .map(|r| r.get(0)),
            )
        })
    }

    /// Forgets job `job`'s pending output (recorded, or found unusable). Its content stays for
    /// the document row that names it; unnamed content is swept later.
    pub fn clear_pending(&self, job: i64) -> Result<(), StoreError> {
        self.with_client(|c| {
            c.execute("DELETE FROM stamp_pending WHERE job = $1", &[&job])
                .map(|_| ())
        })
    }

    /// Deletes content written more than `age_ms` ago (by the server's clock) that no document
    /// row and no pending output names: a crash cut off the commit that was to name it. Returns
    /// each swept hash with its size.
    pub fn sweep(&self, age_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.with_client(|c| {
            let rows = c.query(
                &format!(
                    "DELETE FROM document_parts p WHERE p.written_ms < {SERVER_MS} - $1
                     AND NOT EXISTS (SELECT 1 FROM documents d
                         WHERE d.sha256 = p.sha256 AND d.purged_ms IS NULL)
                     AND NOT EXISTS (SELECT 1 FROM stamp_pending s WHERE s.sha256 = p.sha256)
                     RETURNING p.sha256, octet_length(p.data)"
                ),
                &[&age_ms],
            )?;
            let mut swept: Vec<(String, i64)> = Vec::new();
            for row in rows {
                let (sha, bytes): (String, i32) = (row.get(0), row.get(1));
                match swept.iter_mut().find(|(s, _)| *s == sha) {
                    Some((_, total)) => *total += i64::from(bytes),
                    None => swept.push((sha, i64::from(bytes))),
                }
            }
            Ok(swept)
        })
    }
}
