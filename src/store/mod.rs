//! The SQLite store: one database file per branch, forward-only migrations, and write transactions that
//! always append their journal entry.

pub mod content;
pub mod migrate;
mod migrations;
pub(crate) mod pg;
pub use pg::{JobLock, redacted};
pub mod sql;
pub(crate) mod typed;
mod watch;
pub use watch::ChangeWatch;

pub use migrations::{LATEST_VERSION, MIGRATIONS, Migration};

use crate::clock::Clock;
use crate::day::{BusinessDay, TimeZone};
use crate::journal::{self, Entry};
use rusqlite::OpenFlags;
pub use sql::Connection;
use sql::OptionalExtension;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// File name of the database inside the data folder.
pub const FILE_NAME: &str = "loket.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    TooNew {
        found: i64,
        supported: i64,
    },
    Busy,
    /// The branch server could not be reached or refused the login (`server` is the URL without
    /// its password).
    Server {
        server: String,
        #[source]
        source: sql::Error,
    },
    /// The store URL is not a PostgreSQL URL.
    BadUrl(String),
    /// A server that is not this machine, and no branch CA to verify it with (`[store] ca`).
    NeedsCa {
        server: String,
    },
    /// The branch CA file cannot be read or holds no certificate.
    Ca {
        path: PathBuf,
        why: String,
    },
    /// The connection to the branch server broke during a state change; nothing of it was kept.
    Unreachable,
    /// The server's schema is older than this loket's (run `loket store migrate`).
    TooOld {
        found: i64,
        supported: i64,
    },
    Sql(#[source] sql::Error),
    Journal(String),
    Durability(String),
}

impl StoreError {
    fn from_sql(e: sql::Error) -> StoreError {
        if e.is_busy() {
            StoreError::Busy
        } else if e.is_unreachable() {
            StoreError::Unreachable
        } else {
            StoreError::Sql(e)
        }
    }
}

/// Every failed statement becomes a store error here, so a lost server reads as
/// [`StoreError::Unreachable`] and a locked SQLite file as [`StoreError::Busy`] wherever it happened.
impl From<sql::Error> for StoreError {
    fn from(e: sql::Error) -> Self {
        StoreError::from_sql(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::from_sql(sql::Error::Sqlite(e))
    }
}

/// Where a branch's store is: the SQLite file in its data folder, or the branch's PostgreSQL
/// server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Server(ServerAddress),
}

/// How a PC reaches the branch server: its URL, and the branch CA its certificate must chain to
/// (required unless the server is this machine).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerAddress {
    pub url: String,
    pub ca: Option<PathBuf>,
}

impl std::fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL holds the role's password.
        f.debug_struct("ServerAddress")
            .field("url", &redacted(&self.url))
            .field("ca", &self.ca)
            .finish()
    }
}

impl ServerAddress {
    /// A server on this machine, reached without TLS (tests, `server init`'s own checks).
    pub fn plain(url: &str) -> ServerAddress {
        ServerAddress {
            url: url.to_string(),
            ca: None,
        }
    }
}

/// The environment variable that points every loket process of a PC at the branch server.
pub const STORE_VAR: &str = "LOKET_STORE";
/// The environment variable naming the branch CA, beside [`STORE_VAR`].
pub const STORE_CA_VAR: &str = "LOKET_STORE_CA";

/// `--store URL` of this process, which comes before [`STORE_VAR`] and `[store] url`.
static STORE_OVERRIDE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Records `--store URL` for every store this process opens.
pub fn set_store_override(url: String) {
    let _ = STORE_OVERRIDE.set(url);
}

impl Location {
    /// The store of the branch in `data_dir`: `--store`, then `LOKET_STORE`, then `[store] url` in
    /// its configuration, else the SQLite file in the folder.
    pub fn of(data_dir: &Path, settings: &crate::config::StoreSettings) -> Location {
        let env = |var: &str| std::env::var(var).ok().filter(|u| !u.trim().is_empty());
        match STORE_OVERRIDE
            .get()
            .cloned()
            .or_else(|| env(STORE_VAR))
            .or_else(|| settings.url.clone())
        {
            Some(url) => Location::Server(ServerAddress {
                url: url.trim().to_string(),
                // Relative to the data folder, like every other path of loket.toml.
                ca: env(STORE_CA_VAR)
                    .map(PathBuf::from)
                    .or_else(|| settings.ca.clone())
                    .map(|ca| data_dir.join(ca)),
            }),
            None => Location::File(data_dir.join(FILE_NAME)),
        }
    }
}

/// What a PC's status bar says about the branch server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerHealth {
    /// It answered; `skew` is how far its clock is ahead of this PC's.
    Reachable { skew: time::Duration },
    /// It did not answer: state changes are refused until it does, and loket connects again.
    Unreachable,
    /// It answered but turned this PC away; trying again will not help until someone acts.
    Refused(Refusal),
}

/// Why the branch server turned a PC away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The login was refused: the role's password was changed on the server, or the role is gone.
    Login,
    /// The server's certificate is not one the branch CA signed for the name in the URL.
    Certificate,
}

impl StoreError {
    /// Whether this is the branch server turning the PC away rather than not answering.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            StoreError::Server {
                source: sql::Error::Postgres(e),
                ..
            } => refusal_of(e),
            _ => None,
        }
    }
}

fn refusal_of(e: &postgres::Error) -> Option<Refusal> {
    use postgres::error::SqlState;
    if let Some(code) = e.code()
        && (*code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    {
        return Some(Refusal::Login);
    }
    // A failed handshake arrives as an I/O error carrying rustls' own, whose `source` skips it.
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if matches!(tls, Some(rustls::Error::InvalidCertificate(_))) {
            return Some(Refusal::Certificate);
        }
        next = err.source();
    }
    None
}

/// How long a measurement of the server's clock is trusted before it is taken again.
const SERVER_CLOCK_FRESH: Duration = Duration::from_secs(600);

/// A PC whose clock differs from the branch server's by more than this is warned.
pub const CLOCK_SKEW_WARN: time::Duration = time::Duration::minutes(2);

/// The branch server's clock as this PC sees it.
#[derive(Debug, Clone, Copy)]
struct ServerClock {
    /// How far the server's clock is ahead of this machine's (negative: behind), in milliseconds.
    ahead_ms: i64,
    measured: std::time::Instant,
}

/// A connection to the branch database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    clock: Arc<dyn Clock>,
    /// On the server: its clock, which this PC's business days and journal times follow.
    server_clock: Option<ServerClock>,
    tz: TimeZone,
    wal_path: PathBuf,
    /// The WAL file, kept open for fsync. SQLite never deletes it while this connection is open.
    wal: Option<std::fs::File>,
    /// The writers' queue: an exclusive `flock` on `loket.db-writer` taken before `BEGIN IMMEDIATE`.
    /// `None` when the lock file cannot be created; writers then rely on the busy handler alone.
    writer_lock: Option<Arc<std::fs::File>>,
    writer_lock_path: PathBuf,
    /// How long a write waits for its turn before it gives up with [`StoreError::Busy`].
    writer_wait: Duration,
    /// The once-a-day sweeps this process has done, each with the business day it was done for
    /// (see [`Tx::swept_today`]).
    swept: Vec<(&'static str, BusinessDay)>,
}

/// How long after a business day begins a once-a-day sweep keeps running on every change: until
/// then a PC whose clock is a little behind may still add to what it sweeps (a ticket of the day
/// before); after it, nothing can.
const SWEEP_SETTLES: time::Duration = time::Duration::minutes(5);

/// How many times a state change runs when it keeps meeting a deadlock or a serialization failure.
const CONFLICT_TRIES: u32 = 4;

/// How many times a change of [`Store::write_late`] runs with its reads ahead of the branch's lock
/// before it takes the lock first: each run that found a row it read moved has lost to another
/// PC's change, which did commit, so the branch goes on; the run after the last takes the lock
/// first and cannot lose.
pub const LATE_TRIES: u32 = 3;

/// How a state change begins on the branch server.
const SERVER_BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";
/// The branch's two locks on the server. A state change takes the first alone before it reads,
/// and then the second, as SQLite's one writer does: it runs alone. A change of
/// [`Store::write_late`] takes the first shared, with its writes, beside the other such changes in
/// flight, and the second only to append its journal entry at its end (`journal_append`, schema
/// revision 2, takes it): only that append and the commit after it run one at a time. The order
/// is fixed (first, then second), so the two kinds never wait for each other in a circle; a change
/// taking the first alone waits until every shared holder has committed, so it never meets their
/// rows half-written.
const CHANGES_ALONE: &str = "SELECT pg_advisory_xact_lock(7305218654)";
const CHANGES_BESIDE: &str = "SELECT pg_advisory_xact_lock_shared(7305218654)";
const BRANCH_LOCK: &str = "SELECT pg_advisory_xact_lock(7305218655)";

/// The pause before run `attempt + 1` of a conflicted state change: 10, 20, 40 ms, with jitter so
/// two PCs that met do not meet again.
fn conflict_pause(attempt: u32) -> Duration {
    let base = 10u64 << attempt.saturating_sub(1).min(4);
    Duration::from_millis(base + fastrand::u64(..base))
}

/// How long a write waits in the writers' queue: as long as the busy handler waits for SQLite.
const WRITER_WAIT: Duration = Duration::from_secs(15);

/// SQLite's own busy handler sleeps in steps of up to 100 ms, which makes latency under contention
/// jumpy; this one retries in short, growing naps (50 µs up to 2 ms) so a waiting writer gets in
/// soon after the lock frees. It gives up after about 15 seconds.
fn busy_handler(attempt: i32) -> bool {
    const GIVE_UP_AFTER: i32 = 7_600; // ~100 short naps (~0.1 s), then 7,500 naps of 2 ms
    if attempt > GIVE_UP_AFTER {
        return false;
    }
    let nap_us = (50 + u64::try_from(attempt).unwrap_or(0) * 20).min(2_000);
    std::thread::sleep(Duration::from_micros(nap_us));
    true
}

impl Store {
    /// Opens the store at `location`: the SQLite file (created and migrated as needed) or the
    /// branch server (whose schema `loket server init` made).
    pub fn open_at(
        location: &Location,
        clock: Arc<dyn Clock>,
        tz: TimeZone,
    ) -> Result<Store, StoreError> {
        match location {
            Location::File(path) => Store::open(path, clock, tz),
            Location::Server(address) => Store::connect(address, clock, tz),
        }
    }

    /// Connects to the branch server. Plaintext goes only to this machine (a Unix socket or
    /// loopback); any other server is reached over TLS and must show a certificate of the branch
    /// CA. The server's schema must be the one this program knows.
    pub fn connect(
        address: &ServerAddress,
        clock: Arc<dyn Clock>,
        tz: TimeZone,
    ) -> Result<Store, StoreError> {
        let session = pg::PgSession::connect(address)?;
        let mut store = Store {
            conn: Connection::postgres(session),
            clock,
            tz,
            wal_path: PathBuf::new(),
            wal: None,
            writer_lock: None,
            writer_lock_path: PathBuf::new(),
            writer_wait: WRITER_WAIT,
            swept: Vec::new(),
            server_clock: None,
        };
        store.server_clock = Some(store.measure_server_clock()?);
        let found = store.version()?;
        if found > LATEST_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        if found < LATEST_VERSION {
            return Err(StoreError::TooOld {
                found,
                supported: LATEST_VERSION,
            });
        }
        Ok(store)
    }

    /// On the server: connects again when the last connection broke.
    fn reconnect_if_closed(&self) -> Result<(), StoreError> {
        match self.conn.pg() {
            Some(session) => session.borrow_mut().reconnect_if_closed(),
            None => Ok(()),
        }
    }

    /// On the server: whether it answers now (connecting again first when the connection broke),
    /// and how far its clock is from this PC's. `None` on the embedded file.
    pub fn server_health(&mut self) -> Option<ServerHealth> {
        if !self.is_server() {
            return None;
        }
        let answered = self.read(|c| {
            c.query_row("SELECT 1", (), |r| r.get::<_, i64>(0))
                .map_err(StoreError::from)
        });
        Some(match answered {
            Ok(_) => ServerHealth::Reachable {
                skew: self.clock_skew().unwrap_or(time::Duration::ZERO),
            },
            Err(e) => match e.refusal() {
                Some(why) => ServerHealth::Refused(why),
                None => ServerHealth::Unreachable,
            },
        })
    }

    /// Where the branch server is, when the store is one.
    pub fn server_address(&self) -> Option<ServerAddress> {
        self.conn.pg().map(|s| s.borrow().address().clone())
    }

    /// Whether this store is the branch's PostgreSQL server.
    pub fn is_server(&self) -> bool {
        self.conn.is_server()
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path, clock: Arc<dyn Clock>, tz: TimeZone) -> Result<Store, StoreError> {
        Store::open_at_version(path, clock, tz, LATEST_VERSION)
    }

    /// Opens the database and migrates it up to `version` only (tests of older schemas use this).
    pub fn open_at_version(
        path: &Path,
        clock: Arc<dyn Clock>,
        tz: TimeZone,
        version: i64,
    ) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_handler(Some(busy_handler)).map_err(open_err)?;
        // WAL lets readers (the display, reports) run beside one writer. Durability: SQLite with
        // synchronous=FULL fsyncs the WAL while it still holds the write lock, so every other process
        // queues behind each fsync. Instead the commit runs with NORMAL (no fsync under the lock) and
        // `write` fsyncs the WAL file itself after the commit and before it returns, outside the lock:
        // a write that returned Ok is on disk, exactly as with FULL, and fsyncs of several processes
        // overlap (one fsync covers every commit before it). See `sync_wal`.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let wal_path = {
            let mut p = path.as_os_str().to_owned();
            p.push("-wal");
            PathBuf::from(p)
        };
        // The WAL's directory entry must survive a power cut too.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        let writer_lock_path = {
            let mut p = path.as_os_str().to_owned();
            p.push("-writer");
            PathBuf::from(p)
        };
        let writer_lock = open_writer_lock(&writer_lock_path);
        let mut store = Store {
            conn: Connection::sqlite(conn),
            clock,
            tz,
            wal_path,
            wal: None,
            writer_lock,
            writer_lock_path,
            writer_wait: WRITER_WAIT,
            swept: Vec::new(),
            server_clock: None,
        };
        let found = store.version()?;
        if found > LATEST_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        store.migrate_to(version)?;
        Ok(store)
    }

    /// Opens an existing database read-only, for the hall display server: no migration, no writer
    /// lock, and SQLite itself refuses any write (`SQLITE_OPEN_READ_ONLY`, `query_only`). The schema
    /// must be the one this program knows.
    pub fn open_read_only(
        path: &Path,
        clock: Arc<dyn Clock>,
        tz: TimeZone,
    ) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_handler(Some(busy_handler)).map_err(open_err)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
        let with_suffix = |suffix: &str| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        };
        let store = Store {
            conn: Connection::sqlite(conn),
            clock,
            tz,
            wal_path: with_suffix("-wal"),
            wal: None,
            writer_lock: None,
            writer_lock_path: with_suffix("-writer"),
            writer_wait: WRITER_WAIT,
            swept: Vec::new(),
            server_clock: None,
        };
        let found = store.version()?;
        if found != LATEST_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        Ok(store)
    }

    /// SQLite's `data_version`: it changes whenever another connection commits, so a reader can
    /// notice new data cheaply without reading it.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        match self.conn.lite() {
            Some(c) => Ok(c.pragma_query_value(None, "data_version", |r| r.get(0))?),
            // On the server, the journal's head moves with every committed state change.
            None => Ok(self
                .conn
                .query_row("SELECT seq FROM journal_head WHERE id = 1", (), |r| {
                    r.get(0)
                })
                .optional()?
                .unwrap_or(0)),
        }
    }

    /// The schema version recorded in the database.
    pub fn version(&self) -> Result<i64, StoreError> {
        match self.conn.lite() {
            Some(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
            None => Ok(self.conn.query_row(
                "SELECT schema_version FROM branch_server WHERE id = 1",
                (),
                |r| r.get(0),
            )?),
        }
    }

    /// Applies every migration up to `version`, each in its own immediate transaction, so several
    /// processes starting together migrate once.
    pub fn migrate_to(&mut self, version: i64) -> Result<(), StoreError> {
        let Some(conn) = self.conn.lite_mut() else {
            // The server's schema is made whole by `loket server init`.
            return Ok(());
        };
        for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(StoreError::from)?;
            let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current < m.version {
                tx.execute_batch(m.sql)?;
                tx.pragma_update(None, "user_version", m.version)?;
            }
            tx.commit().map_err(StoreError::from)?;
        }
        Ok(())
    }

    pub fn timezone(&self) -> TimeZone {
        self.tz
    }

    /// The branch's time: this PC's clock, or on the server the server's (unless the clock was
    /// placed on purpose, see [`Clock::follows_system`]).
    pub fn now(&self) -> OffsetDateTime {
        let own = self.clock.now();
        match self.server_clock {
            Some(server) if self.clock.follows_system() => {
                own + time::Duration::milliseconds(server.ahead_ms)
            }
            _ => own,
        }
    }

    pub fn today(&self) -> BusinessDay {
        BusinessDay::of(self.now(), self.tz)
    }

    /// On the server: how far the server's clock is ahead of this machine's (negative: behind).
    /// The status bar and `loket doctor` warn past [`CLOCK_SKEW_WARN`].
    pub fn clock_skew(&self) -> Option<time::Duration> {
        self.server_clock
            .map(|s| time::Duration::milliseconds(s.ahead_ms))
    }

    /// Reads the server's clock, taking the middle of the round trip as the moment it answered.
    fn measure_server_clock(&self) -> Result<ServerClock, StoreError> {
        let before = OffsetDateTime::now_utc();
        let server_ms: i64 = self.conn.query_row(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
            (),
            |r| r.get(0),
        )?;
        let after = OffsetDateTime::now_utc();
        let middle = to_ms(before) + (to_ms(after) - to_ms(before)) / 2;
        Ok(ServerClock {
            ahead_ms: server_ms - middle,
            measured: std::time::Instant::now(),
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Read-only access. Reads see a consistent snapshot of the last commit.
    pub fn read<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.reconnect_if_closed().map_err(E::from)?;
        let begin = if self.conn.is_server() {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        } else {
            "BEGIN DEFERRED"
        };
        let open = Open::begin(&self.conn, &[begin], false).map_err(E::from)?;
        let out = f(&self.conn)?;
        open.commit().map_err(E::from)?;
        Ok(out)
    }

    /// One state change: runs `f` inside `BEGIN IMMEDIATE`, commits only when `f` succeeded and it
    /// appended at least one journal entry. An error rolls everything back.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnMut(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write_as(false, f)
    }

    /// One state change, as [`Store::write`], whose reads on the branch server may go ahead of the
    /// branch's locks: `f` reads first ([`Connection::query_before_lock`]), then checks what it
    /// decided on ([`Connection::execute_guarded`], [`Connection::guard`]) with its writes, which
    /// take the changes lock shared (beside other such changes, see [`CHANGES_ALONE`]) and travel
    /// with the `COMMIT` in one message, the journal entries last, chained by the server. No lock
    /// is held for a round trip of this PC's. When a row it read moved before it wrote, the change
    /// runs again at once; after [`LATE_TRIES`] such runs it takes the locks first, as every other
    /// change does. On SQLite it is [`Store::write`].
    pub fn write_late<T, E: From<StoreError>>(
        &mut self,
        f: impl FnMut(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write_as(true, f)
    }

    fn write_as<T, E: From<StoreError>>(
        &mut self,
        late: bool,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        // Writers wait in the kernel's queue for the lock file instead of polling SQLite's lock:
        // a blocked writer sleeps until the lock is released and then gets in at once, and the
        // holder is not crowded off the CPU by processes retrying. The lock covers only the
        // transaction; the fsync below runs after it is released. The kernel drops the lock when
        // its holder dies, so a killed process never leaves it held.
        let turn = match WriterTurn::take(self.writer_lock.as_ref(), self.writer_wait) {
            Ok(turn) => turn,
            Err(e) => {
                // The abandoned wait still owns a request on this descriptor; later writes use a
                // fresh one so that request can never release a lock they hold.
                self.writer_lock = open_writer_lock(&self.writer_lock_path);
                return Err(E::from(e));
            }
        };
        if let Err(e) = self.reconnect_if_closed() {
            return Err(E::from(e));
        }
        if self
            .server_clock
            .is_some_and(|c| c.measured.elapsed() > SERVER_CLOCK_FRESH)
        {
            self.server_clock = Some(self.measure_server_clock().map_err(E::from)?);
        }
        let now = self.now();
        let day = BusinessDay::of(now, self.tz);
        // On the server a state change takes the branch's locks first (see [`CHANGES_ALONE`]), as
        // SQLite's single writer does: the journal's hash chain orders them anyway, so loket's own
        // changes rarely meet a deadlock or a serialization failure half-way. One that does (with
        // something else on the server, such as a technician's session holding a row, or two
        // changes of `write_late` meeting on rows) is rolled back and run again, a few times.
        let begin: &[&str] = if self.conn.is_server() {
            &[SERVER_BEGIN, CHANGES_ALONE, BRANCH_LOCK]
        } else {
            &["BEGIN IMMEDIATE"]
        };
        let settled = now - day.start(self.tz) >= SWEEP_SETTLES;
        let mut attempt = 0;
        let mut late_runs = if late && self.conn.can_write_late() {
            LATE_TRIES
        } else {
            0
        };
        self.conn.take_conflict();
        self.conn.take_moved();
        let (out, changed, swept) = loop {
            attempt += 1;
            let run_late = late_runs > 0;
            let open = if run_late {
                Open::begin_late(&self.conn)
            } else {
                Open::begin(&self.conn, begin, true)
            }
            .map_err(E::from)?;
            let mut wrapped = Tx {
                conn: &self.conn,
                now,
                day,
                journalled: 0,
                unchanged: false,
                head: journal::KnownHead::default(),
                swept: &self.swept,
                settled,
                sweeps_done: Vec::new(),
            };
            let result = f(&mut wrapped).and_then(|out| {
                if wrapped.journalled == 0 && !wrapped.unchanged {
                    return Err(E::from(StoreError::Journal(
                        "a state change must append a journal entry".into(),
                    )));
                }
                let changed = wrapped.journalled > 0;
                if changed {
                    open.commit_then_sync().map_err(E::from)?;
                } else {
                    open.commit().map_err(E::from)?;
                }
                Ok((out, changed, std::mem::take(&mut wrapped.sweeps_done)))
            });
            match result {
                Err(_) if self.conn.take_moved() && run_late => {
                    // Another PC's change moved a row this one read: read again, at once.
                    late_runs -= 1;
                    attempt -= 1;
                }
                Err(_) if self.conn.take_conflict() && attempt < CONFLICT_TRIES => {
                    std::thread::sleep(conflict_pause(attempt));
                }
                done => break done?,
            }
        };
        drop(turn);
        for what in swept {
            self.swept.retain(|(done, _)| *done != what);
            self.swept.push((what, day));
        }
        if changed && !self.conn.is_server() {
            sync_wal(&mut self.wal, &self.wal_path).map_err(E::from)?;
        }
        Ok(out)
    }

    /// How long a write waits for its turn in the writers' queue before it gives up with
    /// [`StoreError::Busy`] (15 s unless changed; tests shorten it).
    pub fn set_writer_wait(&mut self, wait: Duration) {
        self.writer_wait = wait;
    }

    /// The raw connection, for reports and tests that read across tables.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn open_writer_lock(path: &Path) -> Option<Arc<std::fs::File>> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()
        .map(Arc::new)
}

/// This process's turn to write: holds the exclusive lock on the writer lock file until dropped.
struct WriterTurn(Option<Arc<std::fs::File>>);

/// Where a contended wait for the writers' lock stands; the waiting thread and the writer agree
/// through it on who releases a lock that came too late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Waiting,
    Acquired,
    Failed,
    Abandoned,
}

impl WriterTurn {
    /// Takes the lock: at once when it is free; otherwise a helper thread sleeps in the kernel's
    /// queue for it while this thread waits at most `patience`, so a stuck holder costs a clear
    /// [`StoreError::Busy`] instead of a hang. A lock that cannot be taken at all (a file system
    /// without `flock`) only costs the queueing: SQLite's lock still serialises the writes.
    fn take(
        file: Option<&Arc<std::fs::File>>,
        patience: Duration,
    ) -> Result<WriterTurn, StoreError> {
        let Some(file) = file else {
            return Ok(WriterTurn(None));
        };
        match file.try_lock() {
            Ok(()) => return Ok(WriterTurn(Some(file.clone()))),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(_)) => return Ok(WriterTurn(None)),
        }
        let shared = Arc::new((
            std::sync::Mutex::new(Wait::Waiting),
            std::sync::Condvar::new(),
        ));
        let (waiter_file, waiter_shared) = (file.clone(), shared.clone());
        let spawned = std::thread::Builder::new()
            .name("loket-writer-wait".into())
            .spawn(move || {
                let got = waiter_file.lock().is_ok();
                let (state, wake) = &*waiter_shared;
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                if *state == Wait::Abandoned {
                    // The writer gave up: the lock came too late and goes straight back.
                    if got {
                        let _ = waiter_file.unlock();
                    }
                } else {
                    *state = if got { Wait::Acquired } else { Wait::Failed };
                    wake.notify_one();
                }
            });
        if spawned.is_err() {
            // No thread to wait with: fall back to SQLite's own lock and busy handler.
            return Ok(WriterTurn(None));
        }
        let (state, wake) = &*shared;
        let guard = state.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = wake
            .wait_timeout_while(guard, patience, |s| *s == Wait::Waiting)
            .unwrap_or_else(|p| p.into_inner());
        match *guard {
            Wait::Acquired => Ok(WriterTurn(Some(file.clone()))),
            Wait::Failed => Ok(WriterTurn(None)),
            Wait::Waiting | Wait::Abandoned => {
                *guard = Wait::Abandoned;
                Err(StoreError::Busy)
            }
        }
    }
}

impl Drop for WriterTurn {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// Makes every commit so far durable: fsync of the WAL file, outside SQLite's lock. fsync works
/// on the file, not the descriptor, so it also covers other processes' earlier commits; a
/// checkpoint that moved them into the database file already synced them there.
fn sync_wal(wal: &mut Option<std::fs::File>, wal_path: &Path) -> Result<(), StoreError> {
    if wal.is_none() {
        *wal = Some(std::fs::File::open(wal_path).map_err(|e| {
            StoreError::Durability(format!("cannot open {} for fsync: {e}", wal_path.display()))
        })?);
    }
    if let Some(wal) = wal {
        wal.sync_data().map_err(|e| {
            StoreError::Durability(format!("fsync of {} failed: {e}", wal_path.display()))
        })?;
    }
    Ok(())
}

/// An open write transaction, with the moment and business day it happens on.
#[derive(Debug)]
pub struct Tx<'c> {
    conn: &'c Connection,
    now: OffsetDateTime,
    day: BusinessDay,
    journalled: usize,
    unchanged: bool,
    /// The journal's head as this transaction knows it.
    head: journal::KnownHead,
    /// The once-a-day sweeps done by this process, and for which day.
    swept: &'c [(&'static str, BusinessDay)],
    /// Whether the business day began long enough ago that a sweep done now stays done.
    settled: bool,
    /// The sweeps this transaction did, recorded as done when it commits.
    sweeps_done: Vec<&'static str>,
}

impl Tx<'_> {
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// `now` as Unix milliseconds, the form timestamps are stored in.
    pub fn now_ms(&self) -> i64 {
        to_ms(self.now)
    }

    pub fn day(&self) -> BusinessDay {
        self.day
    }

    /// Declares that this transaction found nothing to change (e.g. nobody to call), so it may
    /// commit without a journal entry. Anything it did write is still journalled as usual.
    pub fn unchanged(&mut self) {
        self.unchanged = true;
    }

    /// Says the journal was written other than through [`Tx::journal`] (a bulk copy of a moved
    /// branch): its head is read again at the next append.
    pub fn journal_copied(&mut self) {
        self.head = journal::KnownHead::default();
        self.conn.take_begun_head();
    }

    /// Whether the once-a-day sweep `what` (closing what earlier days left open) was already done
    /// by this process for today, late enough in the day that nothing can have been added to it
    /// since: then the change skips it, and a read while the branch's lock is held.
    pub fn swept_today(&self, what: &'static str) -> bool {
        self.swept
            .iter()
            .any(|(done, day)| *done == what && *day == self.day)
    }

    /// Records that this change did the sweep `what`; it counts once the change commits, and only
    /// when the day has settled.
    pub fn sweep_done(&mut self, what: &'static str) {
        if self.settled {
            self.sweeps_done.push(what);
        }
    }

    /// Appends a journal entry in this transaction.
    pub fn journal(&mut self, entry: Entry) -> Result<(), StoreError> {
        self.append(entry, false).map(|_| ())
    }

    /// Appends a journal entry in this transaction and returns its sequence number (in a change
    /// that reads before the branch's lock, this costs a round trip under the lock).
    pub fn journal_seq(&mut self, entry: Entry) -> Result<i64, StoreError> {
        self.append(entry, true)?
            .ok_or_else(|| StoreError::Journal("the new entry has no sequence number".into()))
    }

    fn append(&mut self, entry: Entry, numbered: bool) -> Result<Option<i64>, StoreError> {
        if !self.head.is_known()
            && let Some(head) = self.conn.take_begun_head()
        {
            self.head = journal::KnownHead::read(head);
        }
        let seq = journal::append(
            self.conn,
            self.now,
            self.day,
            &entry,
            &mut self.head,
            numbered,
        )?;
        self.journalled += 1;
        Ok(seq)
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// An open transaction: rolled back when dropped before [`Open::commit`], so an error or a panic
/// inside it leaves nothing half-done.
struct Open<'c> {
    conn: &'c Connection,
    done: bool,
}

impl<'c> Open<'c> {
    /// Opens a transaction with `statements`; on the server they travel with its first statement,
    /// the journal's head read with them when `read_head`.
    fn begin(
        conn: &'c Connection,
        statements: &[&str],
        read_head: bool,
    ) -> Result<Open<'c>, StoreError> {
        conn.begin(statements, read_head)
            .map_err(StoreError::from_sql)?;
        Ok(Open { conn, done: false })
    }

    /// Opens a transaction that reads before it takes the branch's lock ([`Store::write_late`]).
    fn begin_late(conn: &'c Connection) -> Result<Open<'c>, StoreError> {
        conn.begin_late(SERVER_BEGIN, CHANGES_BESIDE)
            .map_err(StoreError::from_sql)?;
        Ok(Open { conn, done: false })
    }

    /// Commits a state change and returns once it is durable, with the branch's lock released
    /// before the disk is waited for, on both engines. On the server the commit itself does not
    /// wait for the disk (`synchronous_commit` off for this transaction); a logical-decoding
    /// message in a transaction of its own, in the same message, then does: its commit flushes
    /// the WAL up to itself, so past this change's commit too. SQLite's writer syncs its WAL
    /// after its lock is released ([`sync_wal`]). A login the server does not let run that
    /// message commits the plain way, waiting for the disk under the lock.
    fn commit_then_sync(mut self) -> Result<(), StoreError> {
        if !self.conn.flushes_after_commit() {
            return self.commit();
        }
        let result = self
            .conn
            .execute_batch(&format!(
                "{}; SELECT pg_logical_emit_message(true, 'loket', '')",
                pg::COMMIT_THEN_FLUSH
            ))
            .map_err(StoreError::from_sql);
        self.done = result.is_ok();
        result
    }

    fn commit(mut self) -> Result<(), StoreError> {
        let result = self
            .conn
            .execute_batch("COMMIT")
            .map_err(StoreError::from_sql);
        // A COMMIT that failed left the transaction open on SQLite; dropping rolls it back.
        self.done = result.is_ok();
        result
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Unix milliseconds of a moment.
pub fn to_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The moment of a stored Unix-milliseconds timestamp.
pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
