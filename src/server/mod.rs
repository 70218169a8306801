//! The branch server on PostgreSQL: the branch schema, its append-only triggers and one login role
//! per kind of PC, made once by `loket server init`.
//!
//! The services run on it through `store::sql` when a PC's `[store] url` names it; this module
//! makes what they stand on: the schema (`schema.sql`), the roles and their grants, the branch's
//! own CA and server certificate (`tls`), and the rule that a plaintext connection goes only to
//! this machine.

pub mod cli;
pub mod tls;
pub mod upgrade;

use postgres::config::Host;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// The branch schema: tables, triggers and grants, with `@counter@`-style placeholders for the
/// branch's role names.
pub const SCHEMA_SQL: &str = include_str!("schema.sql");

/// The PostgreSQL schema (namespace) that holds loket's tables.
pub const SCHEMA: &str = "loket";

/// How long `server init` waits for the server to answer before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Random bytes in each generated password (written as hex).
const PASSWORD_BYTES: usize = 24;

/// The kinds of PC in a branch, each with its own login role and grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcKind {
    /// A clerk's counter PC: queue, till, stamping, delivery.
    Counter,
    /// The ticket kiosk: issues tickets and records its print jobs.
    Dispenser,
    /// The hall screen: reads the queue, writes nothing.
    Display,
    /// The supervisor's console.
    Supervisor,
    /// The background worker.
    Worker,
}

impl PcKind {
    pub const ALL: [PcKind; 5] = [
        PcKind::Counter,
        PcKind::Dispenser,
        PcKind::Display,
        PcKind::Supervisor,
        PcKind::Worker,
    ];

    /// The kind as it ends a role name (`loket_40000_counter`).
    pub fn as_str(self) -> &'static str {
        match self {
            PcKind::Counter => "counter",
            PcKind::Dispenser => "dispenser",
            PcKind::Display => "display",
            PcKind::Supervisor => "supervisor",
            PcKind::Worker => "worker",
        }
    }
}

/// A branch's code (nopend) as it goes into role names: 1 to 20 lowercase ASCII letters, digits
/// or underscores, so role names stay plain identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchCode(String);

impl BranchCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The role that owns the schema (no login).
    pub fn owner_role(&self) -> String {
        format!("loket_{}_owner", self.0)
    }

    /// The login role of one kind of PC.
    pub fn role(&self, kind: PcKind) -> String {
        format!("loket_{}_{}", self.0, kind.as_str())
    }

    /// The schema file, then every revision written after it in a file of its own, with this
    /// branch's role names in place of the placeholders.
    pub fn schema_sql(&self) -> String {
        let mut sql = SCHEMA_SQL.to_string();
        for revision in upgrade::REVISIONS
            .iter()
            .filter(|r| r.id > upgrade::IN_SCHEMA_FILE)
        {
            sql.push('\n');
            sql.push_str(revision.sql);
        }
        self.filled_in(&sql)
    }

    /// `sql` with this branch's code and role names in place of `@branch@`, `@owner@`,
    /// `@counter@`, ….
    pub fn filled_in(&self, sql: &str) -> String {
        PcKind::ALL.iter().fold(
            sql.replace("@owner@", &self.owner_role())
                .replace("@branch@", &self.0),
            |sql, &kind| sql.replace(&format!("@{}@", kind.as_str()), &self.role(kind)),
        )
    }
}

impl FromStr for BranchCode {
    type Err = ServerError;

    fn from_str(text: &str) -> Result<BranchCode, ServerError> {
        let code = text.trim().to_ascii_lowercase();
        let plain = code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if code.is_empty() || code.len() > 20 || !plain {
            return Err(ServerError::BadBranchCode(text.to_string()));
        }
        Ok(BranchCode(code))
    }
}

/// What `loket server` refuses or meets, worded in `crate::words`.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The URL is not a PostgreSQL connection string.
    BadUrl(#[source] postgres::Error),
    /// A plaintext connection to a host that is not this machine (TLS is not there yet).
    Plaintext { host: String },
    /// `--branch` that cannot be part of a role name (as typed).
    BadBranchCode(String),
    /// No `--branch`, and the branch configuration that would name it cannot be read.
    NoBranchCode {
        config: std::path::PathBuf,
        #[source]
        source: crate::config::ConfigError,
    },
    /// The server could not be reached or refused the login.
    Connect(#[source] postgres::Error),
    /// The database already holds loket's schema.
    AlreadyInitialised { database: String },
    /// The database holds no loket schema (`server upgrade` before `server init`).
    NotInitialised { database: String },
    /// Roles with the branch's names exist already on this server (another database of the same
    /// branch, or an earlier attempt).
    RolesTaken { roles: Vec<String> },
    /// A statement failed; nothing was created (one transaction).
    Sql(#[source] postgres::Error),
    /// A statement of `server upgrade` failed; nothing was changed (one transaction).
    Upgrade(#[source] postgres::Error),
    /// The branch's certificates could not be made or written.
    Tls(String),
}

impl From<postgres::Error> for ServerError {
    fn from(e: postgres::Error) -> Self {
        ServerError::Sql(e)
    }
}

/// One PC kind's login: its role and the connection URL with its password.
#[derive(Debug, Clone)]
pub struct Login {
    pub kind: PcKind,
    pub role: String,
    pub url: String,
}

/// What `server init` made.
#[derive(Debug, Clone)]
pub struct Initialised {
    pub branch: BranchCode,
    pub database: String,
    pub owner: String,
    pub logins: Vec<Login>,
}

/// Parses a connection URL (`postgresql://user:password@host:port/database`) or key=value string.
pub fn parse_url(url: &str) -> Result<postgres::Config, ServerError> {
    postgres::Config::from_str(url).map_err(ServerError::BadUrl)
}

/// Refuses a plaintext connection unless every host it may go to is this machine: a Unix socket,
/// `localhost` or a loopback address. Checked before any connection is tried.
pub fn check_plaintext(config: &postgres::Config) -> Result<(), ServerError> {
    for addr in config.get_hostaddrs() {
        if !addr.is_loopback() {
            return Err(ServerError::Plaintext {
                host: addr.to_string(),
            });
        }
    }
    for host in config.get_hosts() {
        if let Host::Tcp(name) = host {
            let local = name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !local {
                return Err(ServerError::Plaintext { host: name.clone() });
            }
        }
    }
    Ok(())
}

/// Creates the branch schema, its triggers and the roles of every PC kind with generated passwords,
/// in one transaction, on the database `url` names. Run as the database's owner (a role that may
/// create roles). Refuses a database that already holds the schema.
pub fn init(url: &str, branch: &BranchCode) -> Result<Initialised, ServerError> {
    init_for(url, branch, None)
}

/// [`init`], with the PCs' URLs naming the server as `pc_host` (its name on the LAN) instead of
/// the host `url` reached it by.
pub fn init_for(
    url: &str,
    branch: &BranchCode,
    pc_host: Option<&str>,
) -> Result<Initialised, ServerError> {
    let OwnerSession {
        config,
        mut client,
        database,
        has_schema,
    } = OwnerSession::connect(url)?;
    if has_schema {
        return Err(ServerError::AlreadyInitialised { database });
    }
    let owner = branch.owner_role();
    let mut names = vec![owner.clone()];
    names.extend(PcKind::ALL.iter().map(|&k| branch.role(k)));
    let taken: Vec<String> = client
        .query(
            "SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1",
            &[&names],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if !taken.is_empty() {
        return Err(ServerError::RolesTaken { roles: taken });
    }

    let mut logins = Vec::new();
    let mut tx = client.transaction()?;
    // The server hashes each password with SCRAM-SHA-256 before storing it; the plaintext is only
    // printed once, for the PCs' configuration.
    tx.batch_execute("SET LOCAL password_encryption = 'scram-sha-256'")?;
    tx.batch_execute(&format!("CREATE ROLE {} NOLOGIN", ident(&owner)))?;
    for kind in PcKind::ALL {
        let role = branch.role(kind);
        let password = password();
        tx.batch_execute(&format!(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '{password}'",
            ident(&role)
        ))?;
        let url = login_url_on(&config, pc_host, &role, &password, &database);
        logins.push(Login { kind, url, role });
    }
    // Whoever runs init may act as the owner (to make and later migrate the schema); the PCs never
    // log in as it.
    tx.batch_execute(&format!("GRANT {} TO CURRENT_USER", ident(&owner)))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA {SCHEMA} AUTHORIZATION {}",
        ident(&owner)
    ))?;
    tx.batch_execute(&format!("SET LOCAL ROLE {}", ident(&owner)))?;
    tx.batch_execute(&branch.schema_sql())?;
    tx.execute(
        "INSERT INTO loket.branch_server (id, code, schema_version) VALUES (1, $1, $2)",
        &[&branch.as_str(), &crate::store::LATEST_VERSION],
    )?;
    upgrade::record_all(&mut tx)?;
    tx.batch_execute("RESET ROLE")?;
    for login in &logins {
        tx.batch_execute(&format!(
            "ALTER ROLE {} SET search_path = {SCHEMA}",
            ident(&login.role)
        ))?;
    }
    tx.commit()?;
    Ok(Initialised {
        branch: branch.clone(),
        database,
        owner,
        logins,
    })
}

/// A connection as the database's owner (for `server init` and `server upgrade`): plaintext only to
/// this machine, and what it found there.
pub(crate) struct OwnerSession {
    pub config: postgres::Config,
    pub client: postgres::Client,
    pub database: String,
    /// Whether the database holds loket's schema already.
    pub has_schema: bool,
}

impl OwnerSession {
    pub fn connect(url: &str) -> Result<OwnerSession, ServerError> {
        let mut config = parse_url(url)?;
        check_plaintext(&config)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut client = config
            .connect(postgres::NoTls)
            .map_err(ServerError::Connect)?;
        let database: String = client.query_one("SELECT current_database()", &[])?.get(0);
        let has_schema: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[&SCHEMA],
            )?
            .get(0);
        Ok(OwnerSession {
            config,
            client,
            database,
            has_schema,
        })
    }
}

/// What the server said (its message and SQLSTATE), or the client's own error, for a sentence.
pub(crate) fn detail(e: &postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        (None, Some(cause)) => format!("{e} ({cause})"),
        (None, None) => e.to_string(),
    }
}

/// A role name as an SQL identifier. Role names are made from a checked [`BranchCode`], so they
/// hold no quote; quoting keeps them exact.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A password of [`PASSWORD_BYTES`] random bytes from the operating system, as hex (nothing to
/// escape in SQL or in a URL). Like the hall's link secret, it panics if the system has no random
/// source: nothing else in loket could work then either.
fn password() -> String {
    let mut bytes = [0u8; PASSWORD_BYTES];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// The URL a PC of one kind connects with: the same host and port `server init` used.
pub fn login_url(config: &postgres::Config, role: &str, password: &str, database: &str) -> String {
    login_url_on(config, None, role, password, database)
}

/// [`login_url`] naming the server as `host` (its LAN name) when given.
pub fn login_url_on(
    config: &postgres::Config,
    host: Option<&str>,
    role: &str,
    password: &str,
    database: &str,
) -> String {
    let named = host.map(|h| {
        if h.contains(':') && !h.starts_with('[') {
            format!("[{h}]")
        } else {
            h.to_string()
        }
    });
    let host = match (named, config.get_hosts().first()) {
        (Some(h), _) => h,
        (None, first) => match first {
            Some(Host::Tcp(name)) if name.contains(':') && !name.starts_with('[') => {
                format!("[{name}]")
            }
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => encode(&path.to_string_lossy()),
            None => config
                .get_hostaddrs()
                .first()
                .map_or_else(|| "localhost".to_string(), ToString::to_string),
        },
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgresql://{}:{}@{host}:{port}/{}",
        encode(role),
        encode(password),
        encode(database)
    )
}

/// Percent-encodes everything but unreserved URL characters (a socket folder's slashes, a
/// database name's spaces).
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_goes_only_to_this_machine() {
        let check = |url: &str, allowed: bool| {
            let config = parse_url(url).expect("a URL");
            assert_eq!(check_plaintext(&config).is_ok(), allowed, "{url}");
        };
        check("postgresql://u:p@127.0.0.1:5432/db", true);
        check("postgresql://u:p@127.9.9.9/db", true);
        check("postgresql://u:p@localhost/db", true);
        check("postgresql://u:p@[::1]:5433/db", true);
        check("postgresql://u@%2Frun%2Fpostgresql/db", true);
        check("host=/run/postgresql user=u dbname=db", true);
        check("postgresql://u:p@192.168.1.10/db", false);
        check("postgresql://u:p@server-cabang.local/db", false);
        check("postgresql://u:p@127.0.0.1,10.0.0.2/db", false);
        check("host=localhost hostaddr=10.0.0.2 user=u", false);
    }

    #[test]
    fn branch_codes_become_plain_role_names() {
        let code: BranchCode = "40000".parse().expect("a code");
        assert_eq!(code.role(PcKind::Display), "loket_40000_display");
        assert_eq!(code.owner_role(), "loket_40000_owner");
        for bad in ["", "40 000", "a\"b", "kantor-pos", "123456789012345678901"] {
            assert!(bad.parse::<BranchCode>().is_err(), "{bad:?}");
        }
        assert!(!code.schema_sql().contains('@'), "a placeholder was left");
    }

    #[test]
    fn login_urls_keep_host_port_and_encode_sockets() {
        let config = parse_url("postgresql://o:p@127.0.0.1:6543/db").expect("a URL");
        assert_eq!(
            login_url(&config, "loket_1_counter", "ab12", "t_1"),
            "postgresql://loket_1_counter:ab12@127.0.0.1:6543/t_1"
        );
        let socket = parse_url("host='/tmp/pg x' port=5433 user=o").expect("a URL");
        let url = login_url(&socket, "r", "p", "my db");
        assert_eq!(url, "postgresql://r:p@%2Ftmp%2Fpg%20x:5433/my%20db");
        let back = parse_url(&url).expect("the URL parses back");
        assert_eq!(
            back.get_hosts(),
            &[Host::Unix(std::path::PathBuf::from("/tmp/pg x"))]
        );
    }
}
