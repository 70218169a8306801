//! Change notices: a [`ChangeWatch`] tells whoever shows the branch's state (the hall display, the
//! counters' waiting lists, the supervisor's console) that a state change may have been committed,
//! by any PC, so it reads again. On the branch server it is a connection of its own that LISTENs on
//! `loket_changes`, which the journal's insert trigger notifies at every commit; on the SQLite file
//! it reads `PRAGMA data_version` on a read connection of its own every 50 ms.

use super::pg::PgSession;
use super::{ServerAddress, Store, StoreError};
use postgres::fallible_iterator::FallibleIterator;
use rusqlite::OpenFlags;
use std::path::Path;
use std::time::{Duration, Instant};

/// The channel the journal's insert trigger notifies (`src/server/schema.sql`).
const CHANNEL: &str = "loket_changes";
/// How often the SQLite file's `data_version` is read.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// After the server connection was lost, a failed attempt to connect again waits this long before
/// the next one, doubling with each failure…
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// …up to this, so a server that is down costs an attempt every few seconds, not a busy loop.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Wakes its owner when the branch's state may have changed. Obtained from [`Store::watch`]; it
/// holds a connection of its own, so it can wait on one thread while the store works on another.
pub struct ChangeWatch {
    source: Source,
}

enum Source {
    File {
        conn: rusqlite::Connection,
        /// The `data_version` last reported; `None` after a failed read.
        seen: Option<i64>,
    },
    Server {
        address: ServerAddress,
        /// `None` while the connection is lost.
        client: Option<Box<postgres::Client>>,
        /// The wait after the next failed attempt to connect again.
        retry_in: Duration,
        /// No attempt to connect again before this moment.
        retry_at: Instant,
    },
}

impl std::fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Source::File { seen, .. } => f
                .debug_struct("ChangeWatch::File")
                .field("seen", seen)
                .finish_non_exhaustive(),
            Source::Server {
                address, client, ..
            } => f
                .debug_struct("ChangeWatch::Server")
                .field("address", address)
                .field("connected", &client.is_some())
                .finish_non_exhaustive(),
        }
    }
}

impl Store {
    /// A watch on this branch's changes, with a connection of its own to the same store.
    pub fn watch(&self) -> Result<ChangeWatch, StoreError> {
        if let Some(address) = self.server_address() {
            return ChangeWatch::server(address);
        }
        let path = self.conn.lite().and_then(|c| c.path()).unwrap_or("");
        if path.is_empty() {
            // A database in memory has no file another connection could watch.
            return Err(StoreError::Open {
                path: path.into(),
                source: rusqlite::Error::InvalidPath(path.into()),
            });
        }
        ChangeWatch::file(Path::new(path))
    }
}

impl ChangeWatch {
    fn file(path: &Path) -> Result<ChangeWatch, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(POLL_EVERY).map_err(open_err)?;
        let seen = Some(data_version(&conn).map_err(open_err)?);
        Ok(ChangeWatch {
            source: Source::File { conn, seen },
        })
    }

    fn server(address: ServerAddress) -> Result<ChangeWatch, StoreError> {
        let client = listen(&address)?;
        Ok(ChangeWatch {
            source: Source::Server {
                address,
                client: Some(Box::new(client)),
                retry_in: RETRY_FIRST,
                retry_at: Instant::now(),
            },
        })
    }

    /// Waits up to `timeout` for a change. `true`: something may have changed (a commit was
    /// notified or seen, the connection was lost or made again, or the check failed), so the caller
    /// reads again; `false`: nothing changed within `timeout`. The commits that arrived since the
    /// last call are reported together, once.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        match &mut self.source {
            Source::File { conn, seen } => wait_file(conn, seen, timeout),
            Source::Server {
                address,
                client,
                retry_in,
                retry_at,
            } => match client {
                Some(c) => match wait_notice(c, timeout) {
                    Notice::Came => true,
                    Notice::Quiet => false,
                    Notice::Lost => {
                        // The server restarted, the cable was pulled, the session was ended: the
                        // caller reads again, and the next wait connects again.
                        *client = None;
                        *retry_in = RETRY_FIRST;
                        *retry_at = Instant::now();
                        true
                    }
                },
                None => {
                    let now = Instant::now();
                    if *retry_at > now {
                        std::thread::sleep((*retry_at - now).min(timeout));
                        if Instant::now() < *retry_at {
                            return false;
                        }
                    }
                    match listen(address) {
                        Ok(c) => {
                            *client = Some(Box::new(c));
                            *retry_in = RETRY_FIRST;
                        }
                        Err(_) => {
                            *retry_at = Instant::now() + *retry_in;
                            *retry_in = (*retry_in * 2).min(RETRY_MAX);
                        }
                    }
                    // Made again: whatever was committed meanwhile was not notified. Failed: the
                    // caller's read fails too and says so.
                    true
                }
            },
        }
    }
}

/// A connection of its own to the branch server that listens on [`CHANNEL`].
fn listen(address: &ServerAddress) -> Result<postgres::Client, StoreError> {
    let mut client = PgSession::client(address)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// What a wait on the server connection found.
enum Notice {
    /// One or more notices (every one already waiting is taken with the first).
    Came,
    /// None within the timeout.
    Quiet,
    /// The connection ended.
    Lost,
}

fn wait_notice(client: &mut postgres::Client, timeout: Duration) -> Notice {
    let first = client.notifications().timeout_iter(timeout).next();
    match first {
        Ok(Some(_)) => {
            let mut notices = client.notifications();
            while let Ok(Some(_)) = notices.iter().next() {}
            Notice::Came
        }
        Ok(None) if !client.is_closed() => Notice::Quiet,
        // An error from the connection ends it.
        Ok(None) | Err(_) => Notice::Lost,
    }
}

fn data_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "data_version", |r| r.get(0))
}

/// Reads `data_version` every [`POLL_EVERY`] until it differs from `seen` or `timeout` passes.
fn wait_file(conn: &rusqlite::Connection, seen: &mut Option<i64>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match data_version(conn) {
            Ok(version) if Some(version) != *seen => {
                *seen = Some(version);
                return true;
            }
            Ok(_) => {}
            Err(_) => {
                // Never a busy loop, even for a caller that waits with no timeout.
                *seen = None;
                std::thread::sleep(POLL_EVERY);
                return true;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(POLL_EVERY));
    }
}
