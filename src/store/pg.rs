//! The PostgreSQL engine under [`super::sql`]: one session to the branch server, its prepared
//! statements, and the translation of values between the server's types and the five storage
//! classes the services read and bind.

use super::sql::{Error, Result, ToSqlOutput, Value, ValueRef};
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
    /// Statements of the open transaction whose answers nobody reads (the journal append, a
    /// ticket's new state), held back to travel with the next statement or with `COMMIT`: a state
    /// change's last round trips become one.
    held: Option<String>,
    /// Statements prepared by name for holding (`PREPARE`), by their SQLite text, with the order
    /// their parameters bind in: held, they are `EXECUTE`d with literal values and keep their plan.
    held_names: HashMap<String, (String, Vec<usize>)>,
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
        Ok(PgSession {
            address: address.clone(),
            client: PgSession::client(address)?,
            statements: HashMap::new(),
            conflicted: false,
            held: None,
            held_names: HashMap::new(),
        })
    }

    /// Connects again when the connection broke (the server restarted, the cable was pulled): the
    /// prepared statements went with it. One attempt; the caller's state change waits for none.
    pub fn reconnect_if_closed(&mut self) -> std::result::Result<(), super::StoreError> {
        if self.client.is_closed() {
            self.client = PgSession::client(&self.address)?;
            self.statements.clear();
            self.held = None;
            self.held_names.clear();
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

    /// Holds `sql` with `args` back until the next statement or the transaction's end: `COMMIT`
    /// carries it, `ROLLBACK` drops it. It is prepared by name once per session (a prepared
    /// statement outlives a rolled-back transaction) and held as `EXECUTE name(values…)`.
    pub fn hold(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<()> {
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
        let statement = if values.is_empty() {
            format!("EXECUTE {name}")
        } else {
            format!("EXECUTE {name}({})", values.join(", "))
        };
        self.held = Some(match self.held.take() {
            Some(before) => format!("{before}; {statement}"),
            None => statement,
        });
        Ok(())
    }

    /// Sends what [`PgSession::hold`] kept back, before a statement that may depend on it.
    fn send_held(&mut self) -> Result<()> {
        match self.held.take() {
            Some(sql) => {
                let done = self.client.batch_execute(&sql);
                self.noted(done)
            }
            None => Ok(()),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<(postgres::Statement, Vec<usize>)> {
        self.send_held()?;
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

    /// Notes whether a failed statement was a conflict between transactions.
    fn noted<T>(&mut self, result: std::result::Result<T, postgres::Error>) -> Result<T> {
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

    pub fn execute(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<usize> {
        let (stmt, order) = self.statement(sql)?;
        let bound = PgSession::bind(args, &order)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            bound.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let n = self.client.execute(&stmt, &refs);
        let n = self.noted(n)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub fn query(&mut self, sql: &str, args: &[ToSqlOutput<'_>]) -> Result<Vec<postgres::Row>> {
        let (stmt, order) = self.statement(sql)?;
        let bound = PgSession::bind(args, &order)?;
        let refs: Vec<&(dyn PgToSql + Sync)> =
            bound.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let rows = self.client.query(&stmt, &refs);
        self.noted(rows)
    }

    /// Loads `rows` into `table` with `COPY … FROM STDIN` (text format): one round trip for a whole
    /// table, as `store migrate` needs for a year of history.
    pub fn copy_in(&mut self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<u64> {
        use std::io::Write as _;
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

    /// Runs `sql` (a `BEGIN` and what goes with it) followed by the read of the journal's head, in
    /// one round trip; returns the head's sequence number and hash, if the journal has entries.
    pub fn begin_reading_head(&mut self, sql: &str) -> Result<Option<(i64, String)>> {
        self.held = None;
        let messages = self.client.simple_query(&format!(
            "{sql}; SELECT seq, hash FROM journal_head WHERE id = 1"
        ));
        let messages = self.noted(messages)?;
        for message in messages {
            if let postgres::SimpleQueryMessage::Row(row) = message
                && row.len() == 2
            {
                let seq = row
                    .get(0)
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| Error::ToSqlConversionFailure("journal head seq".into()))?;
                let hash = row.get(1).unwrap_or_default().to_string();
                return Ok(Some((seq, hash)));
            }
        }
        Ok(None)
    }

    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let sql = match (sql.trim(), self.held.take()) {
            ("ROLLBACK", _) | (_, None) => sql.to_string(),
            (_, Some(held)) => format!("{held}; {sql}"),
        };
        let done = self.client.batch_execute(&sql);
        self.noted(done)
    }
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
    fn numeric_writes_whole_numbers() {
        let mut out = bytes::BytesMut::new();
        assert!(encode_numeric(-123_456_789, &mut out).is_ok());
        assert_eq!(
            &out[..],
            &[0, 3, 0, 2, 0x40, 0, 0, 0, 0, 1, 0x09, 0x29, 0x1A, 0x85]
        );
    }
}
