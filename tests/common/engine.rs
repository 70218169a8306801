//! The engine this run of the suite stands on. By default every test branch keeps its store in the
//! SQLite file of its data folder. When `LOKET_TEST_PG` names a PostgreSQL cluster (the second pass
//! of `.ci/test`, which starts one with `.ci/pg-cluster`), every data folder a test makes gets a
//! database of its own on that cluster instead, copied from a template that `loket server init`
//! made, and its configuration says `[store] url = …`: the same tests then run on the branch server.
//!
//! The databases of a test process are dropped when it ends, however it ends, by a watcher process
//! that waits for end-of-file on a pipe only the test process holds (as `pg.rs` stops its clusters).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// The cluster of the server pass: `postgresql://user:password@127.0.0.1:port`, without a database.
pub const PG_VAR: &str = "LOKET_TEST_PG";
/// The template database every test database is copied from.
const TEMPLATE: &str = "loket_template";
/// The branch code of the demo configuration, which the template's rows default to.
const BRANCH: &str = "40000";

/// The cluster of this run, when it is the server pass.
pub fn server() -> Option<String> {
    std::env::var(PG_VAR)
        .ok()
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty())
}

static DATABASES: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
static NEXT: AtomicU32 = AtomicU32::new(1);
static WATCHER: OnceLock<Mutex<Child>> = OnceLock::new();

/// The store URL of the data folder `data` on this run's engine: `None` on SQLite; on the server,
/// the database made for this folder (made on the first ask, the same one afterwards).
pub fn store_url(data: &Path) -> Option<String> {
    let base = server()?;
    let mut dbs = DATABASES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, url)) = dbs.iter().find(|(d, _)| d == data) {
        return Some(url.clone());
    }
    WATCHER.get_or_init(|| Mutex::new(watcher(&base)));
    template(&base);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = connect(&format!("{base}/postgres"));
    // Two tests copying the template at the same moment make the server refuse one (SQLSTATE
    // 55006, the template is in use): wait a moment and copy again.
    let mut tries = 0;
    loop {
        match admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")) {
            Ok(()) => break,
            Err(e) if tries < 100 && e.code().is_some_and(|c| c.code() == "55006") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("create the test database {name}: {e}"),
        }
    }
    let url = format!("{base}/{name}");
    dbs.push((data.to_path_buf(), url.clone()));
    Some(url)
}

/// The store of a folder a `loket` process is started on: the folder's own database when a test
/// branch made it or when the folder has no configuration yet (`loket init` writes it there); none
/// when the test wrote the folder's configuration itself (its own `[store]`, or a branch that must
/// stay on its SQLite file).
pub fn store_url_for_process(data: &Path) -> Option<String> {
    server()?;
    let known = DATABASES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(d, _)| d == data)
        .map(|(_, url)| url.clone());
    match known {
        Some(url) => Some(url),
        None if !data.join(loket::config::FILE_NAME).exists() => store_url(data),
        None => None,
    }
}

/// `text` (a configuration) with this run's store for `data`.
pub fn with_store(text: &str, data: &Path) -> String {
    match store_url(data) {
        Some(url) => format!(
            "{}\n\n[store]\nurl = {}\n",
            text.trim_end(),
            toml::Value::String(url)
        ),
        None => text.to_string(),
    }
}

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the test cluster: {e}"))
}

/// Makes the template once per cluster: the first test process to get the lock runs
/// `loket server init` on it; the others find it made.
fn template(base: &str) {
    static MADE: OnceLock<()> = OnceLock::new();
    MADE.get_or_init(|| {
        let lock_path = std::env::temp_dir().join(format!(
            "loket-template-{}.lock",
            base.rsplit(':').next().unwrap_or("pg")
        ));
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .expect("open the template lock");
        lock.lock().expect("take the template lock");
        let mut admin = connect(&format!("{base}/postgres"));
        let exists = admin
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&TEMPLATE],
            )
            .expect("look for the template")
            .get::<_, bool>(0);
        if !exists {
            admin
                .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
                .expect("create the template");
            let code: loket::server::BranchCode = BRANCH.parse().expect("the demo branch code");
            loket::server::init(&format!("{base}/{TEMPLATE}"), &code)
                .unwrap_or_else(|e| panic!("server init of the template: {e}"));
        }
        let _ = lock.unlock();
    });
}

/// The process that drops this test process's databases once it has ended.
fn watcher(base: &str) -> Child {
    let psql = Path::new(super::pg::BIN).join("psql");
    let script = format!(
        "cat >/dev/null; printf '%s\\n' \"SELECT format('DROP DATABASE %I WITH (FORCE)', datname) \
         FROM pg_database WHERE datname LIKE 't\\_{pid}\\_%' \\gexec\" | '{psql}' -q '{base}/postgres' \
         >/dev/null 2>&1",
        pid = std::process::id(),
        psql = psql.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the database watcher")
}
