//! The PostgreSQL engine under [`super::sql`]: one session to the branch server, its prepared
//! statements, and the translation of values between the server's types and the five storage
//! classes the services read and bind.

use super::sql::{Error, Result, Rows, ToSqlOutput, Value, ValueRef};
use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type as PgType};
use std::collections::HashMap;

/// One connection to the branch server, with its prepared statements.
pub struct PgSession {
    /// Where it connected, to connect again after the server or the network went away.
    address: super::ServerAddress,
    client: postgres::Client,
    /// Prepared statements by their SQLite text, with the order their parameters bind in.
    statements: HashMap<String, (postgres::Statement, Vec<usize>)>,
    /// A statement of the open transaction failed as a serialization failure or a deadlock: the
    /// whole state change may simply run again.
    conflicted: bool,
    /// Statements of the open transaction not sent yet: its `BEGIN` and the branch's lock, and
    /// those whose answers nobody reads (the journal append, a ticket's new state). They travel
    /// with the next statement or with `COMMIT`, in one message: a state change's first round
    /// trip carries its `BEGIN`, its last its writes.
    held: Vec<Held>,
    /// How many of the held statements, from the first, open the transaction: while they are
    /// unsent, the server has no transaction yet, and `COMMIT` or `ROLLBACK` has nothing to send.
    begin_held: usize,
    /// The journal's head as the transaction's opening message read it, until taken.
    begun_head: Option<Option<(i64, String)>>,
    /// What this login may do on the server, asked once at connect.
    may: MayRun,
    /// Statements prepared by name for holding (`PREPARE`), by their SQLite text, with the order
    /// their parameters bind in: held, they are `EXECUTE`d with literal values and keep their plan.
    held_names: HashMap<String, (String, Vec<usize>)>,
    /// The open transaction reads before it takes the branch's lock ([`PgSession::defer_begin_late`]).
    late: bool,
    /// The lock such a transaction has not taken yet: held in front of its first statement that
    /// is not a read sent with [`PgSession::query_before_lock`].
    late_lock: Option<&'static str>,
    /// A statement of the open transaction found that a row it read had changed since (`guard`,
    /// SQLSTATE LK001): the change may run again at once.
    moved: bool,
    /// Statements held for the message that commits, after every other: the journal entries of a
    /// change that reads before the branch's lock, whose append takes the lock that orders the
    /// journal, so that lock is held for the append and the commit alone and never while the
    /// change waits for a row.
    at_commit: Vec<Held>,
}

impl std::fmt::Debug for PgSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSession")
            .field("address", &self.address)
            .field("statements", &self.statements.len())
            .finish_non_exhaustive()
    }
}

/// How long a connection attempt to the branch server waits before it gives up.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// TCP keepalives on the server connection: the first probe after 5 s idle, then every 2 s; three
/// unanswered probes close it, so a pulled cable is noticed in seconds, not after TCP's minutes.
const KEEPALIVE_IDLE: std::time::Duration = std::time::Duration::from_secs(5);
const KEEPALIVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
const KEEPALIVE_RETRIES: u32 = 3;
/// Data sent and not acknowledged for this long (a cable pulled while a statement is on its way)
/// closes the connection: keepalives only probe an idle one.
const TCP_USER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The server ends a session of this PC that sits in a transaction for this long (its PC lost the
/// cable half-way), so the branch's write lock it held is free again for every other PC.
const IDLE_IN_TRANSACTION: &str = "10s";
/// How long a state change waits for the branch's write lock before it is refused as busy, as
/// SQLite's writers wait for theirs.
const LOCK_TIMEOUT: &str = "15s";

/// TLS that trusts only the branch CA in `ca` (PEM) and checks the server's certificate against
/// the host the URL names.
fn tls_connector(
    ca: &std::path::Path,
) -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, super::StoreError> {
    let bad = |why: String| super::StoreError::Ca {
        path: ca.to_path_buf(),
        why,
    };
    let pem = std::fs::read(ca).map_err(|e| bad(e.to_string()))?;
    let certs = x509_cert::Certificate::load_pem_chain(&pem).map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate".into()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        let der = der::Encode::to_der(&cert).map_err(|e| bad(e.to_string()))?;
        roots
            .add(rustls::pki_types::CertificateDer::from(der))
            .map_err(|e| bad(e.to_string()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A job's run lock on the branch server: a session advisory lock on a connection of its own, so it
/// outlives no process (the server drops it with the connection) and every PC sees it.
pub struct JobLock {
    _client: Box<postgres::Client>,
}

impl std::fmt::Debug for JobLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobLock").finish_non_exhaustive()
    }
}

/// The first key of every job's run lock (the second is the job's id).
const JOB_LOCK_CLASS: i32 = 7305;

impl JobLock {
    /// Takes job `id`'s run lock; `None` when another process on any PC holds it.
    pub fn try_take(
        address: &super::ServerAddress,
        id: i64,
    ) -> std::result::Result<Option<JobLock>, super::StoreError> {
        let mut client = PgSession::client(address)?;
        let key = i32::try_from(id)
            .map_err(|e| super::StoreError::from(Error::ToSqlConversionFailure(Box::new(e))))?;
        let taken: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[&JOB_LOCK_CLASS, &key],
            )
            .map_err(|e| super::StoreError::from(Error::Postgres(e)))?
            .get(0);
        Ok(taken.then(|| JobLock {
            _client: Box::new(client),
        }))
    }
}

impl PgSession {
    pub fn address(&self) -> &super::ServerAddress {
        &self.address
    }

    /// Connects to the branch server (TLS unless it is this machine), loket's schema first on the
    /// search path.
    pub fn connect(
        address: &super::ServerAddress,
    ) -> std::result::Result<PgSession, super::StoreError> {
        let mut client = PgSession::client(address)?;
        let may = MayRun::ask(&mut client);
        Ok(PgSession {
            address: address.clone(),
            client,
            may,
            statements: HashMap::new(),
            conflicted: false,
            held: Vec::new(),
            begin_held: 0,
            begun_head: None,
            held_names: HashMap::new(),
            late: false,
            late_lock: None,
            moved: false,
            at_commit: Vec::new(),
        })
    }

    /// Connects again when the connection broke (the server restarted, the cable was pulled): the
    /// prepared statements went with it. One attempt; the caller's state change waits for none.
    pub fn reconnect_if_closed(&mut self) -> std::result::Result<(), super::StoreError> {
        if self.client.is_closed() {
            self.client = PgSession::client(&self.address)?;
            self.may = MayRun::ask(&mut self.client);
            self.statements.clear();
            self.held.clear();
            self.begin_held = 0;
            self.begun_head = None;
            self.held_names.clear();
            self.late = false;
            self.late_lock = None;
            self.at_commit.clear();
        }
        Ok(())
    }

    /// A new connection to the branch server, set up as every session of loket is (TLS, keepalives,
    /// search path, timeouts).
    pub(crate) fn client(
        address: &super::ServerAddress,
    ) -> std::result::Result<postgres::Client, super::StoreError> {
        let url = &address.url;
        let mut config =
            crate::server::parse_url(url).map_err(|_| super::StoreError::BadUrl(redacted(url)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES)
            .tcp_user_timeout(TCP_USER_TIMEOUT);
        let server_err = |source: postgres::Error| super::StoreError::Server {
            server: redacted(url),
            source: Error::Postgres(source),
        };
        let mut client = match &address.ca {
            Some(ca) => {
                config.ssl_mode(postgres::config::SslMode::Require);
                config.connect(tls_connector(ca)?).map_err(server_err)?
            }
            None if crate::server::check_plaintext(&config).is_ok() => {
                config.connect(postgres::NoTls).map_err(server_err)?
            }
            None => {
                return Err(super::StoreError::NeedsCa {
                    server: redacted(url),
                });
            }
        };
        client
            .batch_execute(&format!(
                "SET search_path = {}; SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'; \
                 SET lock_timeout = '{LOCK_TIMEOUT}'; SET standard_conforming_strings = on",
                crate::server::SCHEMA
            ))
            .map_err(server_err)?;
        Ok(client)
    }

    /// Holds the statements that open a transaction (`BEGIN`, the branch's lock) until its first
    /// statement, which they travel with; `read_head`: the journal's head is read with them, for
    /// [`PgSession::take_begun_head`].
    pub fn defer_begin(&mut self, statements: &[&str], read_head: bool) {
        self.held.clear();
        self.at_commit.clear();
        self.begun_head = None;
        self.late = false;
        self.late_lock = None;
        self.held.extend(statements.iter().map(|sql| Held {
            sql: (*sql).to_string(),
            head: false,
        }));
        if read_head {
            self.held.push(Held {
                sql: HEAD.to_string(),
                head: true,
            });
        }
        self.begin_held = self.held.len();
    }

    /// Holds `begin` until the transaction's first statement, as [`PgSession::defer_begin`] does,
    /// and `lock` (the branch's) until its first statement that is not a read sent with
    /// [`PgSession::query_before_lock`]: a change whose writes all travel with its `COMMIT` holds
    /// the lock for no round trip at all.
    pub fn defer_begin_late(&mut self, begin: &str, lock: &'static str) {
        self.defer_begin(&[begin], false);
        self.late = true;
        self.late_lock = Some(lock);
    }

    /// Whether the open transaction reads before it takes the branch's lock.
    pub fn is_late(&self) -> bool {
        self.late
    }

    /// Whether the open transaction reads before it takes the branch's lock and has not taken it
    /// yet.
    pub fn lock_pending(&self) -> bool {
        self.late_lock.is_some()
    }

    /// Whether a change may read before it takes the branch's lock (see [`MayRun::chains`]).
    pub fn chains(&self) -> bool {
        self.may.chains
    }

    /// Puts the branch's lock, if the open transaction has not taken it yet, in front of what
    /// follows.
    fn lock_now(&mut self) {
        if let Some(lock) = self.late_lock.take() {
            self.held.push(Held {
                sql: lock.to_string(),
                head: false,
            });
        }
    }

    /// Whether this login may read the stamping jobs (see [`MayRun::sees_jobs`]).
    pub fn sees_jobs(&self) -> bool {
        self.may.sees_jobs
    }

    /// Whether a state change's commit may leave its disk wait until after the lock (see
    /// [`MayRun::flushes`]).
    pub fn flushes(&self) -> bool {
        self.may.flushes
    }

    /// The journal's head as the open transaction's first message read it, once.
    pub fn take_begun_head(&mut self) -> Option<Option<(i64, String)>> {
        self.begun_head.take()
    }

    /// Holds `sql` with `args` back until the next statement or the transaction's end: `COMMIT`
    /// carries it, `ROLLBACK` drops it.
    pub fn hold(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<()> {
        self.lock_now();
        self.hold_ahead(sql, args)
    }

    /// Holds `sql` with `args` as [`PgSession::hold`] does, but for the message that commits, after
    /// every statement held or sent before that message.
    pub fn hold_at_commit(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<()> {
        self.lock_now();
        let sql = self.executable(sql, args)?;
        self.at_commit.push(Held { sql, head: false });
        Ok(())
    }

    /// Sends what is held for the message that commits with the next statement instead, for a
    /// statement that must follow it.
    pub fn release_at_commit(&mut self) {
        let mut last = std::mem::take(&mut self.at_commit);
        self.held.append(&mut last);
    }

    /// Holds `sql` as [`PgSession::hold`] does, but ahead of the branch's lock when the open
    /// transaction has not taken it yet (a lock of its own kind of change, see
    /// `Connection::queue_behind`).
    pub fn hold_ahead(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<()> {
        let sql = self.executable(sql, args)?;
        self.held.push(Held { sql, head: false });
        Ok(())
    }

    /// `sql` with `args` as one statement to send whole: prepared by name once per session (a
    /// prepared statement outlives a rolled-back transaction) and run as `EXECUTE name(values…)`,
    /// keeping its plan.
    fn executable(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<String> {
        let (name, order) = match self.held_names.get(sql) {
            Some(known) => known.clone(),
            None => {
                let (text, order) = numbered_parameters(sql);
                let name = format!("loket_held_{}", self.held_names.len());
                let done = self
                    .client
                    .batch_execute(&format!("PREPARE {name} AS {text}"));
                self.noted(done).map_err(|e| match e {
                    Error::Postgres(source) => Error::Prepare {
                        sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
                        source,
                    },
                    other => other,
                })?;
                self.held_names
                    .insert(sql.to_string(), (name.clone(), order.clone()));
                (name, order)
            }
        };
        let mut values = Vec::with_capacity(order.len());
        for i in &order {
            let arg = args.get(*i).ok_or_else(|| {
                Error::ToSqlConversionFailure(format!("parameter ?{} has no value", i + 1).into())
            })?;
            values.push(literal(arg.value()));
        }
        Ok(if values.is_empty() {
            format!("EXECUTE {name}")
        } else {
            format!("EXECUTE {name}({})", values.join(", "))
        })
    }

    /// Sends what is held, then `tail`, in one message. The rows and the count of each statement
    /// of `tail`; the journal's head, when a held statement read it, is kept for
    /// [`PgSession::take_begun_head`].
    fn send(&mut self, tail: &[&str]) -> Result<Vec<(Vec<postgres::SimpleQueryRow>, u64)>> {
        let held = std::mem::take(&mut self.held);
        self.begin_held = 0;
        let mut text = String::new();
        for statement in held
            .iter()
            .map(|h| h.sql.as_str())
            .chain(tail.iter().copied())
        {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(statement);
        }
        let messages = self.client.simple_query(&text);
        let messages = self.noted(messages)?;
        let mut k = 0;
        let mut rows = Vec::new();
        let mut answers = Vec::with_capacity(tail.len());
        for message in messages {
            match message {
                postgres::SimpleQueryMessage::Row(row) => rows.push(row),
                postgres::SimpleQueryMessage::CommandComplete(n) => {
                    let done = std::mem::take(&mut rows);
                    match held.get(k) {
                        Some(h) if h.head => self.begun_head = Some(read_head(done.first())?),
                        Some(_) => {}
                        None => answers.push((done, n)),
                    }
                    k += 1;
                }
                _ => {}
            }
        }
        Ok(answers)
    }

    /// Queries whose parameters do not depend on one another's answers, sent whole with what is
    /// held in one message; each one's rows, read from the server's text by the types of its
    /// prepared columns.
    pub fn query_together(
        &mut self,
        queries: &[(&str, Vec<ToSqlOutput<'_>>)],
    ) -> Result<Vec<Rows>> {
        self.lock_now();
        self.query_before_lock(queries)
    }

    /// Reads sent as [`PgSession::query_together`] sends them, but ahead of the branch's lock when
    /// the transaction has not taken it yet: what they read may change before the change commits,
    /// so the change checks it with its writes (`guard`).
    pub fn query_before_lock(
        &mut self,
        queries: &[(&str, Vec<ToSqlOutput<'_>>)],
    ) -> Result<Vec<Rows>> {
        let mut columns = Vec::with_capacity(queries.len());
        let mut texts = Vec::with_capacity(queries.len());
        for (sql, args) in queries {
            let (stmt, _) = self.prepared(sql)?;
            columns.push(stmt);
            texts.push(self.executable(sql, args)?);
        }
        let tail: Vec<&str> = texts.iter().map(String::as_str).collect();
        let answers = self.send(&tail)?;
        let mut out = Vec::with_capacity(queries.len());
        for (stmt, (rows, _)) in columns.iter().zip(answers) {
            out.push(text_rows(stmt.columns(), rows)?);
        }
        Ok(out)
    }

    /// Sends what [`PgSession::hold`] kept back, before a statement that may depend on it.
    fn send_held(&mut self) -> Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        self.send(&[]).map(|_| ())
    }

    /// Whether `sql` with `args` may travel whole with what is held: something is held, and no
    /// argument is a large blob (a document's content goes bound, not spelled out in hex).
    fn rides_with_held(&self, args: &[ToSqlOutput<'_>]) -> bool {
        !self.held.is_empty()
            && args
                .iter()
                .all(|a| !matches!(a.value(), ValueRef::Blob(b) if b.len() > SPELLED_OUT_BLOB))
    }

    /// `sql` prepared on the connection (its parameters' and columns' types), without sending
    /// what is held.
    fn prepared(&mut self, sql: &str) -> Result<(postgres::Statement, Vec<usize>)> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let (text, order) = numbered_parameters(sql);
        let prepared = self
            .client
            .prepare(&text)
            .map_err(|source| Error::Prepare {
                sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
                source,
            })?;
        self.statements
            .insert(sql.to_owned(), (prepared.clone(), order.clone()));
        Ok((prepared, order))
    }

    fn statement(&mut self, sql: &str) -> Result<(postgres::Statement, Vec<usize>)> {
        self.send_held()?;
        self.prepared(sql)
    }

    /// The arguments in the order the prepared statement binds them.
    fn bind<'a>(args: &'a [ToSqlOutput<'a>], order: &[usize]) -> Result<Vec<PgArg<'a>>> {
        order
            .iter()
            .map(|&i| {
                args.get(i).map(PgArg).ok_or_else(|| {
                    Error::ToSqlConversionFailure(
                        format!("parameter ?{} has no value", i + 1).into(),
                    )
                })
            })
            .collect()
    }

    /// Notes whether a failed statement was a conflict between transactions, or found a row it
    /// read moved.
    fn noted<T>(&mut self, result: std::result::Result<T, postgres::Error>) -> Result<T> {
        if let Err(e) = &result
            && e.code().is_some_and(|c| c.code() == MOVED)
        {
            self.moved = true;
        }
        if let Err(e) = &result
            && matches!(
                e.code(),
                Some(&postgres::error::SqlState::T_R_SERIALIZATION_FAILURE)
                    | Some(&postgres::error::SqlState::T_R_DEADLOCK_DETECTED)
            )
        {
            self.conflicted = true;
        }
        Ok(result?)
    }

    /// Whether a statement since the last call failed as a serialization failure or a deadlock
    /// (then the transaction is lost and may be run again from its start).
    pub fn take_conflict(&mut self) -> bool {
        std::mem::take(&mut self.conflicted)
    }

    /// Whether a statement since the last call found that a row its transaction read before the
    /// branch's lock had changed since (then the change may run again at once).
    pub fn take_moved(&mut self) -> bool {
        std::mem::take(&mut self.moved)
    }

    pub fn execute(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<usize> {
        self.lock_now();
        if self.rides_with_held(args) {
            let exec = self.executable(sql, args)?;
            let n = self.send(&[&exec])?.first().map_or(0, |(_, n)| *n);
            return Ok(usize::try_from(n).unwrap_or(usize::MAX));
        }
        let (stmt, order) = self.statement(sql)?;
        let bound = PgSession::bind(args, &order)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            bound.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let n = self.client.execute(&stmt, &refs);
        let n = self.noted(n)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The rows of a query: bound and read in binary when it travels alone; sent whole with what
    /// is held and read from the server's text, by the types its prepared columns have, when it
    /// travels with it.
    pub fn query(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<PgRows> {
        self.lock_now();
        if self.rides_with_held(args) {
            let (stmt, _) = self.prepared(sql)?;
            let exec = self.executable(sql, args)?;
            let rows = self
                .send(&[&exec])?
                .pop()
                .map(|(rows, _)| rows)
                .unwrap_or_default();
            return text_rows(stmt.columns(), rows).map(PgRows::Text);
        }
        let (stmt, order) = self.statement(sql)?;
        let bound = PgSession::bind(args, &order)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            bound.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let rows = self.client.query(&stmt, &refs);
        self.noted(rows).map(PgRows::Binary)
    }

    /// Loads `rows` into `table` with `COPY … FROM STDIN` (text format): one round trip for a whole
    /// table, as `store migrate` needs for a year of history.
    pub fn copy_in(&mut self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<u64> {
        use std::io::Write as _;
        self.lock_now();
        self.send_held()?;
        let mut writer = self
            .client
            .copy_in(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))?;
        let mut line = String::new();
        for row in rows {
            line.clear();
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                copy_text(&mut line, value);
            }
            line.push('\n');
            writer
                .write_all(line.as_bytes())
                .map_err(|e| Error::ToSqlConversionFailure(Box::new(e)))?;
        }
        Ok(writer.finish()?)
    }

    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let commit = sql.trim() == "COMMIT";
        if sql.trim() == "ROLLBACK" {
            // Nothing held is sent; what reached the server is rolled back there.
            let reached = self.begin_held == 0;
            self.held.clear();
            self.at_commit.clear();
            self.begin_held = 0;
            if !reached {
                return Ok(());
            }
        } else if commit || sql.starts_with(COMMIT_THEN_FLUSH) {
            self.release_at_commit();
            if commit && self.begin_held > 0 && self.held.len() == self.begin_held {
                // The transaction never reached the server: there is nothing to end.
                self.held.clear();
                self.begin_held = 0;
                return Ok(());
            }
        } else {
            self.lock_now();
        }
        if self.held.is_empty() {
            let done = self.client.batch_execute(sql);
            return self.noted(done);
        }
        self.send(&[sql]).map(|_| ())
    }
}

/// What a session's login may do on the server, asked once at connect. A server that cannot say
/// counts as no.
#[derive(Debug, Clone, Copy)]
struct MayRun {
    /// Run the WAL flush that lets a state change's commit leave the disk wait until after the
    /// branch's lock is released (`pg_logical_emit_message`, PUBLIC unless a server revoked it);
    /// without it every commit waits for the disk itself.
    flushes: bool,
    /// Run the server's journal chaining and row checks (`journal_append`, `guard`: schema
    /// revision 2; a server not upgraded has none); without, every change takes the branch's
    /// locks first.
    chains: bool,
    /// Read the stamping jobs (the kiosk's login may not), which closing an earlier day's tickets
    /// weighs.
    sees_jobs: bool,
}

impl MayRun {
    fn ask(client: &mut postgres::Client) -> MayRun {
        client
            .query_one(
                "SELECT has_function_privilege('pg_catalog.pg_logical_emit_message(boolean, text, text)', 'EXECUTE'),
                        COALESCE(has_function_privilege(
                            to_regprocedure('loket.journal_append(bigint, text, text, text, text, text)'),
                            'EXECUTE'), false)
                        AND COALESCE(has_function_privilege(to_regprocedure('loket.guard(boolean)'),
                            'EXECUTE'), false),
                        COALESCE(has_table_privilege(to_regclass('loket.stamp_jobs'), 'SELECT'), false)",
                &[],
            )
            .and_then(|row| {
                Ok(MayRun {
                    flushes: row.try_get(0)?,
                    chains: row.try_get(1)?,
                    sees_jobs: row.try_get(2)?,
                })
            })
            .unwrap_or(MayRun {
                flushes: false,
                chains: false,
                sees_jobs: false,
            })
    }
}

/// The SQLSTATE `guard` raises when a row a change read before the branch's lock has changed.
const MOVED: &str = "LK001";

/// How the message that commits a journalled state change begins (see `Store::write`).
pub(crate) const COMMIT_THEN_FLUSH: &str = "SET LOCAL synchronous_commit = off; COMMIT";

/// The read of the journal's head that travels with a state change's `BEGIN`.
const HEAD: &str = "SELECT seq, hash FROM journal_head WHERE id = 1";

/// A blob longer than this is bound in binary rather than spelled out in a held message.
const SPELLED_OUT_BLOB: usize = 16 * 1024;

/// A statement held back to travel with the next one.
#[derive(Debug)]
struct Held {
    sql: String,
    /// Its answer is the journal's head.
    head: bool,
}

/// The rows of a query: read in binary, or from the server's text when the query travelled
/// whole with held statements.
pub enum PgRows {
    Binary(Vec<postgres::Row>),
    Text(Rows),
}

/// `rows` read by the types of `columns`.
fn text_rows(columns: &[postgres::Column], rows: Vec<postgres::SimpleQueryRow>) -> Result<Rows> {
    let mut read = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            let text = row.try_get(i)?;
            values.push(
                text_value(column.type_(), text).map_err(|why| {
                    Error::FromSqlConversionFailure(i, super::sql::Type::Text, why)
                })?,
            );
        }
        read.push(values);
    }
    Ok(Rows {
        columns: columns.iter().map(|c| c.name().to_string()).collect(),
        rows: read,
    })
}

/// The journal's head from the row of [`HEAD`] (none before the first entry).
fn read_head(row: Option<&postgres::SimpleQueryRow>) -> Result<Option<(i64, String)>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let seq = row
        .try_get(0)?
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| Error::ToSqlConversionFailure("journal head seq".into()))?;
    let hash = row.try_get(1)?.unwrap_or_default().to_string();
    Ok(Some((seq, hash)))
}

/// A column the server sent as text, read into the storage class its type reads into in binary
/// ([`PgValue`]).
fn text_value(ty: &PgType, text: Option<&str>) -> std::result::Result<Value, BoxError> {
    let Some(t) = text else {
        return Ok(Value::Null);
    };
    Ok(match *ty {
        PgType::INT8 | PgType::INT4 | PgType::INT2 | PgType::OID => Value::Integer(t.parse()?),
        PgType::BOOL => Value::Integer(i64::from(t == "t")),
        PgType::FLOAT8 | PgType::FLOAT4 => Value::Real(t.parse()?),
        PgType::NUMERIC => match t.split_once('.') {
            None => t
                .parse::<i64>()
                .map(Value::Integer)
                .or_else(|_| t.parse::<f64>().map(Value::Real))?,
            Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole
                .parse::<i64>()
                .map(Value::Integer)
                .or_else(|_| t.parse::<f64>().map(Value::Real))?,
            Some(_) => Value::Real(t.parse()?),
        },
        PgType::TEXT | PgType::VARCHAR | PgType::BPCHAR | PgType::NAME | PgType::UNKNOWN => {
            Value::Text(t.to_string())
        }
        PgType::JSON | PgType::JSONB => {
            Value::Text(serde_json::from_str::<serde_json::Value>(t)?.to_string())
        }
        PgType::BYTEA => {
            let digits = t
                .strip_prefix("\\x")
                .ok_or_else(|| -> BoxError { "bytea not in hex".into() })?;
            Value::Blob(hex::decode(digits)?)
        }
        _ => {
            return Err(format!("a column of type {} has no storage class here", ty.name()).into());
        }
    })
}

/// `value` written as an SQL literal for a statement sent whole. Every value is a quoted literal
/// of no stated type, which the server reads as the column's type, as a bound parameter is: a
/// whole number bound to a text column stays text. Quotes are doubled (the session keeps
/// `standard_conforming_strings` on, so a backslash is an ordinary character); NULL is NULL.
pub fn literal(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(i) => format!("'{i}'"),
        ValueRef::Real(f) => format!("'{f:?}'"),
        ValueRef::Text(t) => format!("'{}'", t.replace('\'', "''")),
        ValueRef::Blob(b) => format!("'\\x{}'::bytea", hex::encode(b)),
    }
}

/// A store URL without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match crate::server::parse_url(url) {
        Ok(config) => {
            let host = match config.get_hosts().first() {
                Some(postgres::config::Host::Tcp(h)) => h.clone(),
                Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
                None => "localhost".to_string(),
            };
            let port = config.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgresql://{}@{host}:{port}/{}",
                config.get_user().unwrap_or(""),
                config.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "(not a PostgreSQL URL)".to_string(),
    }
}

/// A value in COPY's text format: `\N` for NULL, backslash escapes, bytea as `\\x…` hex.
fn copy_text(out: &mut String, value: &Value) {
    use std::fmt::Write as _;
    match value {
        Value::Null => out.push_str("\\N"),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Real(r) => {
            let _ = write!(out, "{r:?}");
        }
        Value::Text(t) => {
            for c in t.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Value::Blob(b) => {
            out.push_str("\\\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
    }
}

/// SQLite's parameters (`?1`, `?`) as PostgreSQL's (`$1`), numbered in the order they are first
/// used, with the SQLite index (from 0) each `$k` binds: PostgreSQL must see every number from `$1`
/// up, while a SQLite statement may use `?2` alone. Quoted text and identifiers are left as they are.
pub fn numbered_parameters(sql: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut order: Vec<usize> = Vec::new();
    let mut next = 1usize;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                let sqlite_index = if digits.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                let original = sqlite_index.saturating_sub(1);
                let position = order
                    .iter()
                    .position(|&o| o == original)
                    .unwrap_or_else(|| {
                        order.push(original);
                        order.len() - 1
                    });
                out.push('$');
                out.push_str(&(position + 1).to_string());
            }
            None => out.push(c),
        }
    }
    (out, order)
}

/// A bound value, written as the type the server expects for its parameter.
#[derive(Debug)]
struct PgArg<'a>(&'a ToSqlOutput<'a>);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl PgToSql for PgArg<'_> {
    fn to_sql(
        &self,
        ty: &PgType,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        let v = self.0.value();
        let mismatch = || -> BoxError {
            format!(
                "a {:?} value cannot be bound as {}",
                v.data_type(),
                ty.name()
            )
            .into()
        };
        match v {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Integer(i) => match *ty {
                PgType::INT8 => i.to_sql(ty, out),
                PgType::INT4 => i32::try_from(i)?.to_sql(ty, out),
                PgType::INT2 => i16::try_from(i)?.to_sql(ty, out),
                PgType::BOOL => (i != 0).to_sql(ty, out),
                #[expect(clippy::cast_precision_loss, reason = "as SQLite converts it")]
                PgType::FLOAT8 => (i as f64).to_sql(ty, out),
                PgType::NUMERIC => encode_numeric(i, out),
                PgType::TEXT
                | PgType::VARCHAR
                | PgType::BPCHAR
                | PgType::NAME
                | PgType::UNKNOWN => i.to_string().as_str().to_sql(&PgType::TEXT, out),
                _ => Err(mismatch()),
            },
            ValueRef::Real(r) => match *ty {
                PgType::FLOAT8 => r.to_sql(ty, out),
                #[expect(clippy::cast_possible_truncation, reason = "the column is float4")]
                PgType::FLOAT4 => (r as f32).to_sql(ty, out),
                _ => Err(mismatch()),
            },
            ValueRef::Text(t) => match *ty {
                PgType::TEXT
                | PgType::VARCHAR
                | PgType::BPCHAR
                | PgType::NAME
                | PgType::UNKNOWN => t.to_sql(&PgType::TEXT, out),
                PgType::JSON | PgType::JSONB => {
                    let json: serde_json::Value = serde_json::from_str(t)?;
                    postgres::types::Json(json).to_sql(ty, out)
                }
                // As SQLite's column affinity does: text that is a whole number binds to an
                // integer parameter as that number (anything else is refused, never guessed).
                PgType::INT8 | PgType::INT4 | PgType::INT2 => {
                    let i: i64 = t.trim().parse().map_err(|_| mismatch())?;
                    PgArg(&ToSqlOutput::Owned(Value::Integer(i))).to_sql(ty, out)
                }
                _ => Err(mismatch()),
            },
            ValueRef::Blob(b) => match *ty {
                PgType::BYTEA => b.to_sql(ty, out),
                _ => Err(mismatch()),
            },
        }
    }

    fn accepts(_: &PgType) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// PostgreSQL's binary `numeric` for a whole number: base-10000 digits, most significant first.
fn encode_numeric(i: i64, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, BoxError> {
    use bytes::BufMut;
    let mut n = i.unsigned_abs();
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(u16::try_from(n % 10_000)?);
        n /= 10_000;
    }
    digits.reverse();
    let ndigits = u16::try_from(digits.len())?;
    let weight = i16::try_from(digits.len())? - 1;
    out.put_u16(ndigits);
    out.put_i16(weight.max(0));
    out.put_u16(if i < 0 { 0x4000 } else { 0 });
    out.put_u16(0);
    for d in digits {
        out.put_u16(d);
    }
    Ok(IsNull::No)
}

/// A column read into one of the five storage classes.
pub struct PgValue(pub Value);

impl<'a> PgFromSql<'a> for PgValue {
    fn from_sql(ty: &PgType, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let v = match *ty {
            PgType::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            PgType::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            PgType::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            PgType::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            PgType::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            PgType::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            PgType::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            PgType::NUMERIC => decode_numeric(raw)?,
            PgType::TEXT | PgType::VARCHAR | PgType::BPCHAR | PgType::NAME | PgType::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            PgType::JSON | PgType::JSONB => {
                let postgres::types::Json(j) =
                    postgres::types::Json::<serde_json::Value>::from_sql(ty, raw)?;
                Value::Text(j.to_string())
            }
            PgType::BYTEA => Value::Blob(raw.to_vec()),
            _ => {
                return Err(
                    format!("a column of type {} has no storage class here", ty.name()).into(),
                );
            }
        };
        Ok(PgValue(v))
    }

    fn from_sql_null(_: &PgType) -> std::result::Result<Self, BoxError> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(_: &PgType) -> bool {
        true
    }
}

/// PostgreSQL's binary `numeric` (a `SUM` of bigints, an `AVG`): an integer when it has no
/// fraction and fits, a real otherwise.
fn decode_numeric(raw: &[u8]) -> std::result::Result<Value, BoxError> {
    let word = |i: usize| -> std::result::Result<u16, BoxError> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a numeric value is cut short".into())
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(i16::from_be_bytes(word(2)?.to_be_bytes()));
    let sign = word(4)?;
    let scale = word(6)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let negative = sign == 0x4000;
    let mut digits = Vec::with_capacity(ndigits);
    for k in 0..ndigits {
        digits.push(word(8 + 2 * k)?);
    }
    // Whole part: digits at positions with weight >= 0.
    let whole_only = digits
        .iter()
        .enumerate()
        .all(|(k, d)| weight - i32::try_from(k).unwrap_or(i32::MAX) >= 0 || *d == 0);
    if scale == 0 || whole_only {
        let mut acc: i128 = 0;
        for k in 0..=weight.max(-1) {
            let d = usize::try_from(k)
                .ok()
                .and_then(|k| digits.get(k))
                .copied()
                .unwrap_or(0);
            acc = acc * 10_000 + i128::from(d);
        }
        let acc = if negative { -acc } else { acc };
        if let Ok(i) = i64::try_from(acc) {
            return Ok(Value::Integer(i));
        }
    }
    let mut f = 0f64;
    for (k, d) in digits.iter().enumerate() {
        let power = weight - i32::try_from(k).unwrap_or(i32::MAX);
        f += f64::from(*d) * 10_000f64.powi(power);
    }
    Ok(Value::Real(if negative { -f } else { f }))
}

impl From<postgres::Error> for super::StoreError {
    fn from(e: postgres::Error) -> Self {
        super::StoreError::from(Error::Postgres(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_parameters_become_numbered_ones() {
        // Numbered in the order first used; each `$k` says which SQLite parameter it binds.
        assert_eq!(
            numbered_parameters(
                "SELECT a FROM t WHERE b = ?2 AND c = ?1 AND d = '?' AND \"e?\" = ?2"
            ),
            (
                "SELECT a FROM t WHERE b = $1 AND c = $2 AND d = '?' AND \"e?\" = $1".to_string(),
                vec![1, 0]
            )
        );
        // A statement may use `?2` alone; the server must see `$1`.
        assert_eq!(
            numbered_parameters("SELECT a FROM t WHERE at_ms < ?2"),
            ("SELECT a FROM t WHERE at_ms < $1".to_string(), vec![1])
        );
        // Anonymous parameters count up.
        assert_eq!(
            numbered_parameters("INSERT INTO t VALUES (?, ?)"),
            ("INSERT INTO t VALUES ($1, $2)".to_string(), vec![0, 1])
        );
    }

    #[test]
    fn numeric_reads_whole_numbers_as_integers() {
        // 123456789 = 1|2345|6789, weight 2, positive, scale 0.
        let raw = [0, 3, 0, 2, 0, 0, 0, 0, 0, 1, 0x09, 0x29, 0x1A, 0x85];
        assert_eq!(decode_numeric(&raw).ok(), Some(Value::Integer(123_456_789)));
        // -2.5 = 2|5000, weight 0, negative, scale 1.
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(decode_numeric(&raw).ok(), Some(Value::Real(-2.5)));
        // zero: no digits.
        let raw = [0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode_numeric(&raw).ok(), Some(Value::Integer(0)));
    }

    #[test]
    fn text_the_server_sends_reads_as_binary_would() {
        let read = |ty: &PgType, t: &str| text_value(ty, Some(t)).ok();
        assert_eq!(read(&PgType::INT8, "-42"), Some(Value::Integer(-42)));
        assert_eq!(read(&PgType::INT4, "7"), Some(Value::Integer(7)));
        assert_eq!(read(&PgType::BOOL, "t"), Some(Value::Integer(1)));
        assert_eq!(read(&PgType::BOOL, "f"), Some(Value::Integer(0)));
        assert_eq!(read(&PgType::FLOAT8, "2.5"), Some(Value::Real(2.5)));
        // A numeric with no fraction, or a zero one, is whole; otherwise real.
        assert_eq!(
            read(&PgType::NUMERIC, "123456789"),
            Some(Value::Integer(123_456_789))
        );
        assert_eq!(read(&PgType::NUMERIC, "-3.000"), Some(Value::Integer(-3)));
        assert_eq!(read(&PgType::NUMERIC, "-2.5"), Some(Value::Real(-2.5)));
        assert_eq!(
            read(&PgType::NUMERIC, "99999999999999999999"),
            Some(Value::Real(1e20))
        );
        assert_eq!(
            read(&PgType::TEXT, "it's"),
            Some(Value::Text("it's".to_string()))
        );
        // jsonb's text has spaces the binary path's JSON has not.
        assert_eq!(
            read(&PgType::JSONB, r#"{"a": 1, "b": [true, null]}"#),
            Some(Value::Text(r#"{"a":1,"b":[true,null]}"#.to_string()))
        );
        assert_eq!(
            read(&PgType::BYTEA, "\\x00ff10"),
            Some(Value::Blob(vec![0, 255, 16]))
        );
        assert_eq!(text_value(&PgType::INT8, None).ok(), Some(Value::Null));
        assert!(
            text_value(&PgType::BYTEA, Some("00ff")).is_err(),
            "bytea is hex"
        );
        assert!(text_value(&PgType::TIMESTAMPTZ, Some("2026-12-07")).is_err());
        assert!(text_value(&PgType::INT8, Some("x")).is_err());
    }

    #[test]
    fn numeric_writes_whole_numbers() {
        let mut out = bytes::BytesMut::new();
        assert!(encode_numeric(-123_456_789, &mut out).is_ok());
        assert_eq!(
            &out[..],
            &[0, 3, 0, 2, 0x40, 0, 0, 0, 0, 1, 0x09, 0x29, 0x1A, 0x85]
        );
    }
}
