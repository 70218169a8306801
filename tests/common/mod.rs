//! Shared test fixtures: a fresh branch in a temporary data folder, a movable clock, and the real
//! `loket` binary.

pub mod engine;
pub mod pg;
pub mod tsa;

use loket::Branch;
use loket::clock::ManualClock;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;

/// A demo branch in its own temporary data folder, on a clock the test moves.
pub struct TestBranch {
    pub dir: TempDir,
    pub clock: ManualClock,
    pub branch: Branch,
}

/// 08:00 WIB on a working day.
pub const MORNING: OffsetDateTime = datetime!(2026-11-23 08:00 +07:00);

impl TestBranch {
    /// The demo configuration, optionally edited by `edit`, with the clock at [`MORNING`].
    pub fn new() -> TestBranch {
        TestBranch::with_config(|text| text.to_string())
    }

    pub fn with_config(edit: impl FnOnce(&str) -> String) -> TestBranch {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = engine::with_store(&edit(loket::config::DEFAULT_TOML), dir.path());
        std::fs::write(dir.path().join(loket::config::FILE_NAME), text).expect("write config");
        let clock = ManualClock::new(MORNING);
        let branch =
            Branch::open_with_clock(dir.path(), Arc::new(clock.clone())).expect("open branch");
        TestBranch { dir, clock, branch }
    }

    /// The moment the test clock shows.
    pub fn clock_now(&self) -> OffsetDateTime {
        use loket::clock::Clock;
        self.clock.now()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The test clock's moment as `LOKET_FAKE_NOW` wants it (RFC 3339), for child processes.
    pub fn fake_now(&self) -> String {
        rfc3339(self.clock_now())
    }

    /// `loket --data DIR ARGS...` as a separate process whose clock starts where the test clock is,
    /// so what it stores (due times, days) agrees with what this test's branch reads.
    pub fn cli(&self, args: &[&str]) -> Output {
        loket_at(self.path(), &self.fake_now(), args)
    }

    /// Standard output of a successful [`TestBranch::cli`] run, trimmed; panics with stderr when it
    /// failed.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        succeeded(args, self.cli(args))
    }

    /// Another connection to the same branch (as a second process would have), on the same clock.
    pub fn reopen(&self) -> Branch {
        Branch::open_with_clock(self.dir.path(), Arc::new(self.clock.clone()))
            .expect("reopen branch")
    }
}

/// The `loket` binary built for these tests.
pub fn loket_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loket"))
}

/// A moment as RFC 3339 text, the form `LOKET_FAKE_NOW` takes.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 time")
}

/// `loket --data DIR ARGS...` on the machine's clock (for tests whose branch lives only in child
/// processes, all on the same clock).
pub fn loket(data: &Path, args: &[&str]) -> Output {
    command(data, args).output().expect("run loket")
}

/// `loket --data DIR ARGS...` with the process's clock placed at `now` (RFC 3339).
pub fn loket_at(data: &Path, now: &str, args: &[&str]) -> Output {
    command(data, args)
        .env(loket::clock::FAKE_NOW_VAR, now)
        .output()
        .expect("run loket")
}

fn command(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(loket_bin());
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env_remove("LOKET_DATA")
        .env_remove("LOKET_PIN")
        .env_remove("LOKET_LANG")
        .env_remove(loket::clock::FAKE_NOW_VAR);
    // On the server pass a folder's processes share its database; `init` writes it into the
    // folder's configuration.
    match engine::store_url_for_process(data) {
        Some(url) => cmd.env(loket::store::STORE_VAR, url),
        None => cmd.env_remove(loket::store::STORE_VAR),
    };
    cmd
}

/// Standard output of a successful run, trimmed; panics with stderr when it failed.
pub fn loket_ok(data: &Path, args: &[&str]) -> String {
    succeeded(args, loket(data, args))
}

fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "loket {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A ticket number as a person writes it (`A-001`, `c1`).
pub fn no(text: &str) -> loket::queue::TicketNo {
    text.parse().expect("a ticket number")
}

/// Turns the store's guards off as an insider with the database's keys would: on SQLite by running
/// `drop_triggers` (its `DROP TRIGGER` statements), on the branch server, as its superuser, by
/// turning every trigger off for this connection's session.
pub fn unguard(c: &loket::store::Connection, drop_triggers: &str) {
    let sql = if c.is_server() {
        "SET session_replication_role = replica"
    } else {
        drop_triggers
    };
    c.execute_batch(sql).expect("turn the guards off");
}

/// A PC's data folder on the branch server: the demo configuration with `extra` sections, a
/// `[store]` section with `url`, and `ca` when given (copied in as `branch-ca.pem`).
pub fn server_pc(url: &str, extra: &str, ca: Option<&Path>) -> TempDir {
    let data = tempfile::tempdir().expect("temp dir");
    let ca_line = match ca {
        Some(ca) => {
            std::fs::copy(ca, data.path().join("branch-ca.pem")).expect("copy the branch CA");
            "ca = \"branch-ca.pem\"\n"
        }
        None => "",
    };
    std::fs::write(
        data.path().join(loket::config::FILE_NAME),
        format!(
            "{}{extra}\n[store]\nurl = {}\n{ca_line}",
            loket::config::DEFAULT_TOML,
            toml::Value::String(url.to_string())
        ),
    )
    .expect("write loket.toml");
    data
}
