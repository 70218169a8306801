//! A throwaway PostgreSQL 15 cluster for the tests of one process, stopped when that process ends
//! however it ends, and one database per test.
//!
//! Rust runs no destructor of a static at exit, so the cluster is stopped by a watcher: a small
//! shell started in its own process group whose standard input is a pipe this process holds open
//! until it ends. When the test process exits (normally, by panic or by SIGKILL) the pipe closes,
//! the watcher reads end-of-file, stops the server with `pg_ctl -m fast stop` and removes the
//! folder. Every cluster has its own temporary folder and a free port found at start, so a run that
//! crashed harder than that (the watcher killed too) cannot get in the next run's way.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where Debian's PostgreSQL 15 keeps its programs.
pub const BIN: &str = "/usr/lib/postgresql/15/bin";
/// The cluster's superuser, which the tests use as the database owner.
pub const OWNER: &str = "loket_owner";
const INSTALL: &str =
    "PostgreSQL 15 is needed: run `sh .ci/install.d/postgresql.sh` (apt-get install -y postgresql)";

/// A running cluster on 127.0.0.1.
#[derive(Debug)]
pub struct Cluster {
    pub port: u16,
    /// The cluster's folder (owned by the `postgres` user when the tests run as root).
    dir: std::path::PathBuf,
    /// The owner's password (SCRAM over TCP, as the PCs will log in).
    password: String,
    /// The watcher, with its standard input: never written to, never waited for (it outlives this
    /// process on purpose), and its pipe closed only when this process ends.
    _watcher: Mutex<Child>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(1);

/// The cluster of this test process, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(Cluster::start)
}

/// A database of its own for one test (`t_<n>`), dropped with the roles of its branch code when the
/// test ends. Roles belong to the whole cluster, so each test database comes with its own branch
/// code too.
#[derive(Debug)]
pub struct TestDb {
    pub name: String,
    /// A branch code no other test of this process uses (`b<n>`).
    pub code: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let cluster = cluster();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let db = TestDb {
            name: format!("t_{n}"),
            code: format!("b{n}"),
        };
        cluster
            .connect("postgres")
            .batch_execute(&format!("CREATE DATABASE {}", db.name))
            .expect("create the test database");
        db
    }

    /// The owner's URL for this database.
    pub fn owner_url(&self) -> String {
        cluster().url(OWNER, &cluster().password, &self.name)
    }

    /// A connection as the owner.
    pub fn owner(&self) -> postgres::Client {
        cluster().connect(&self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(cluster) = CLUSTER.get() else { return };
        let Ok(mut client) = postgres::Client::connect(
            &cluster.url(OWNER, &cluster.password, "postgres"),
            postgres::NoTls,
        ) else {
            return;
        };
        let _ = client.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        for kind in [
            "owner",
            "counter",
            "dispenser",
            "display",
            "supervisor",
            "worker",
        ] {
            let _ =
                client.batch_execute(&format!("DROP ROLE IF EXISTS loket_{}_{kind}", self.code));
        }
    }
}

impl Cluster {
    fn start() -> Cluster {
        let initdb = Path::new(BIN).join("initdb");
        assert!(
            initdb.exists(),
            "{} is missing. {INSTALL}",
            initdb.display()
        );
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("loket-pg-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("make the cluster folder");
        let data = dir.join("data");

        // The watcher first, so even a cluster that fails half-way is stopped and removed.
        let watcher = Mutex::new(watcher(&data, &dir));

        let password = format!("{stamp:x}{:x}", std::process::id());
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, &password).expect("write the owner's password");
        if is_root() {
            let out = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .output()
                .expect("run chown");
            assert!(out.status.success(), "chown: {}", text(&out));
        }
        let out = as_postgres("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", OWNER, "-E", "UTF8", "--locale=C", "--no-sync"])
            .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", text(&out));

        // A free port can be taken by someone else before the server binds it: try a few.
        let mut last = String::new();
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let out = as_postgres("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("log"))
                .args(["-w", "-t", "60", "start", "-o"])
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
                    dir.display()
                ))
                .output()
                .expect("run pg_ctl start");
            if out.status.success() {
                return Cluster {
                    port,
                    dir: dir.clone(),
                    password,
                    _watcher: watcher,
                };
            }
            last = format!(
                "{}\n{}",
                text(&out),
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start: {last}");
    }

    /// A TCP URL on this cluster.
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgresql://{user}:{password}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// Turns TLS on with this server certificate and key (copied into the cluster's folder, where
    /// the server may read them), as a branch technician sets `ssl_cert_file` and `ssl_key_file`.
    pub fn use_tls(&self, cert: &Path, key: &Path) {
        let tls = self.dir.join("tls");
        std::fs::create_dir_all(&tls).expect("a folder for the certificate");
        let (cert_to, key_to) = (tls.join("server.crt"), tls.join("server.key"));
        std::fs::copy(cert, &cert_to).expect("copy the server certificate");
        std::fs::copy(key, &key_to).expect("copy the server key");
        if is_root() {
            let out = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&tls)
                .output()
                .expect("run chown");
            assert!(out.status.success(), "chown: {}", text(&out));
        }
        let mut c = self.connect("postgres");
        for sql in [
            format!("ALTER SYSTEM SET ssl_cert_file = '{}'", cert_to.display()),
            format!("ALTER SYSTEM SET ssl_key_file = '{}'", key_to.display()),
            "ALTER SYSTEM SET ssl = on".to_string(),
            "SELECT pg_reload_conf()".to_string(),
        ] {
            c.batch_execute(&sql).expect("configure TLS");
        }
        // The reload is asynchronous: wait until new sessions see it.
        for _ in 0..100 {
            let on: String = self
                .connect("postgres")
                .query_one("SHOW ssl", &[])
                .expect("SHOW ssl")
                .get(0);
            if on == "on" {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!(
            "the server did not turn TLS on: {}",
            self.dir.join("log").display()
        );
    }

    /// A connection as the owner to database `db`.
    pub fn connect(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(OWNER, &self.password, db), postgres::NoTls)
            .expect("connect as the owner")
    }
}

/// The process that stops the cluster in `data` and removes `dir` once this process has ended: it
/// waits for end-of-file on a pipe only this process holds.
fn watcher(data: &Path, dir: &Path) -> Child {
    Command::new("sh")
        .arg("-c")
        .arg(
            r#"cat >/dev/null; $4 "$1/pg_ctl" -D "$2" -m fast -w stop >/dev/null 2>&1; rm -rf "$3""#,
        )
        .args(["watcher", BIN])
        .arg(data)
        .arg(dir)
        .arg(if is_root() { "runuser -u postgres --" } else { "" })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the cluster's watcher")
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
/// Whether this test process's cluster runs on the machine's own clock (see [`on_the_real_clock`]).
static REAL_CLOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Starts this test process's cluster on the machine's own clock even when the test runs with the
/// clock shifted (`.ci/ahead`): PostgreSQL's timers (the deadlock check, `lock_timeout`) do not
/// fire under libfaketime. Called before the process's first [`TestDb`]; a test that needs the
/// server to break a deadlock calls it.
pub fn on_the_real_clock() {
    REAL_CLOCK.store(true, std::sync::atomic::Ordering::SeqCst);
}

fn as_postgres(program: &str) -> Command {
    let path = Path::new(BIN).join(program);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    if REAL_CLOCK.load(std::sync::atomic::Ordering::SeqCst) {
        cmd.env_remove("LD_PRELOAD")
            .env_remove("FAKETIME")
            .env_remove("FAKETIME_DONT_FAKE_MONOTONIC");
    }
    // Its own process group: a signal meant for the test process does not reach the server.
    cmd.process_group(0);
    cmd
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
