//! Whole-program benchmark of `loket backup` on a generated year of a busy branch plus 2,000 stored
//! documents: its time against `cp -a` + `sha256sum` of the same files on the same disk, and the
//! latency of counter state changes (`loket dev stress`) while backups run against without.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/report/generator.rs"]
#[allow(dead_code)]
mod generator;
// Shared with the stamping benchmarks; this one only needs the letters, not the paid jobs.
#[allow(dead_code)]
#[path = "support/letter.rs"]
mod letter;

/// Timed runs of each side; the median is reported.
const RUNS: usize = 5;
const DOCUMENTS: u32 = 2_000;
/// Tickets each of two dispenser processes issues in a latency run (two counters call them).
const TICKETS_PER_ISSUER: u32 = 1_200;

fn loket() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loket"));
    cmd.env_remove("LOKET_DATA")
        .env_remove(loket::clock::FAKE_NOW_VAR);
    cmd
}

fn sh(script: &str) -> Duration {
    let t = Instant::now();
    let status = Command::new("sh")
        .args(["-c", script])
        .status()
        .expect("run sh");
    assert!(status.success(), "{script}");
    t.elapsed()
}

/// Lets the disk settle after a copy was removed, so the next timed run starts from the same
/// quiet state whichever side it measures (removing 2,000 files keeps ext4's journal busy).
fn settle() {
    sh("sync");
    std::thread::sleep(Duration::from_millis(500));
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

// fits: a bench has a few thousand samples (exact as f64), and the rank is between 0 and len - 1.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bytes_under(path: &Path) -> (u64, u64) {
    let meta = std::fs::metadata(path).expect("metadata");
    if meta.is_file() {
        return (1, meta.len());
    }
    let mut total = (0, 0);
    for e in std::fs::read_dir(path).expect("read dir") {
        let (n, b) = bytes_under(&e.expect("entry").path());
        total = (total.0 + n, total.1 + b);
    }
    total
}

/// One `loket backup` into a fresh folder under `scratch`; its time, then the copy is removed and
/// the disk settles.
fn time_backup(data: &Path, scratch: &Path, run: usize) -> Duration {
    let took = run_backup(data, scratch, run);
    settle();
    took
}

/// One `loket backup` into a fresh folder under `scratch`; its time, then the copy is removed.
fn run_backup(data: &Path, scratch: &Path, run: usize) -> Duration {
    let to = scratch.join(format!("loket-{run}"));
    std::fs::create_dir(&to).expect("target");
    let t = Instant::now();
    let out = loket()
        .arg("--data")
        .arg(data)
        .args(["backup", "--json", "--to"])
        .arg(&to)
        .output()
        .expect("run loket backup");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "loket backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&to).expect("remove backup");
    took
}

/// The same files with `cp -a`, then `sha256sum` of the copies (`fsync` of each copy between them
/// when `sync`); the copy is removed afterwards.
fn time_cp(data: &Path, scratch: &Path, run: usize, sync: bool) -> Duration {
    let to = scratch.join(format!("cp-{run}"));
    std::fs::create_dir(&to).expect("target");
    let sync_step = if sync {
        "find . -type f -print0 | xargs -0 sync && sync . &&"
    } else {
        ""
    };
    // What the backup holds besides its manifest (the generated year has no `pki/`).
    let items: Vec<&str> = ["loket.db", "loket.toml", "pki", "documents"]
        .into_iter()
        .filter(|i| data.join(i).exists())
        .collect();
    let took = sh(&format!(
        "cd '{data}' && cp -a {items} '{to}/' && cd '{to}' && {sync_step} find . -type f -print0 | xargs -0 sha256sum > /dev/null",
        data = data.display(),
        items = items.join(" "),
        to = to.display()
    ));
    std::fs::remove_dir_all(&to).expect("remove copy");
    settle();
    took
}

fn stress(data: &Path, now: &str, args: &[String], latency: &Path) -> Child {
    loket()
        .arg("--data")
        .arg(data)
        .args(["dev", "stress"])
        .args(args)
        .arg("--latency-out")
        .arg(latency)
        .env(loket::clock::FAKE_NOW_VAR, now)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn loket dev stress")
}

/// Two dispensers and two counters on the branch (on business day `now`); every state change's
/// latency in µs, sorted, and the number of backups made meanwhile when `with_backups`.
fn load(data: &Path, scratch: &Path, now: &str, with_backups: bool) -> (Vec<u64>, usize) {
    let existing: u32 = {
        let c = rusqlite::Connection::open(data.join("loket.db")).expect("open");
        c.query_row("SELECT COUNT(*) FROM tickets", (), |r| r.get(0))
            .expect("count")
    };
    let dir = tempfile::tempdir_in(scratch).expect("latency dir");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut children = Vec::new();
    for seed in 1..=2u32 {
        let f = dir.path().join(format!("issue-{seed}"));
        let args = [
            "--role",
            "issue",
            "--count",
            &TICKETS_PER_ISSUER.to_string(),
            "--seed",
            &seed.to_string(),
        ]
        .map(String::from);
        children.push(stress(data, now, &args, &f));
        files.push(f);
    }
    for counter in 1..=2u32 {
        let f = dir.path().join(format!("call-{counter}"));
        let args = [
            "--role",
            "call",
            "--counter",
            &counter.to_string(),
            "--until-total",
            &(existing + 2 * TICKETS_PER_ISSUER).to_string(),
        ]
        .map(String::from);
        children.push(stress(data, now, &args, &f));
        files.push(f);
    }
    let mut backups = 0;
    if with_backups {
        let mut run = 1_000;
        loop {
            let running = children
                .iter_mut()
                .any(|c| c.try_wait().expect("wait").is_none());
            if !running {
                break;
            }
            run_backup(data, scratch, run);
            run += 1;
            backups += 1;
        }
    }
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "stress: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut all: Vec<u64> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .expect("latencies")
                .lines()
                .map(|l| l.parse::<u64>().expect("µs"))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_unstable();
    (all, backups)
}

fn main() {
    let started = Instant::now();
    let year = generator::year();
    let data = year.path();
    println!(
        "generated {} days in {:.1} s",
        year.days.len(),
        started.elapsed().as_secs_f64()
    );
    let docs = loket::stamping::documents::Documents::new(data);
    for n in 0..DOCUMENTS {
        docs.put(&letter::letter(n)).expect("store document");
    }
    {
        // Everything into the database file, so `cp` copies the same data the backup does.
        let c = rusqlite::Connection::open(data.join("loket.db")).expect("open");
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    let (_, db_bytes) = bytes_under(&data.join("loket.db"));
    let (doc_files, doc_bytes) = bytes_under(&data.join("documents"));
    // fits: sizes below 2^53 bytes (9 PB) are exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let (db_mb, doc_mb) = (db_bytes as f64 / 1e6, doc_bytes as f64 / 1e6);
    println!("data: loket.db {db_mb:.1} MB, {doc_files} documents {doc_mb:.1} MB");
    // Same disk as the data folder.
    let scratch =
        tempfile::tempdir_in(data.parent().unwrap_or(Path::new("/tmp"))).expect("scratch");

    let (mut backup, mut cp, mut cp_sync) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        backup.push(time_backup(data, scratch.path(), run));
        cp.push(time_cp(data, scratch.path(), run, false));
        cp_sync.push(time_cp(data, scratch.path(), run, true));
    }
    let (b, c, cs) = (median(backup), median(cp), median(cp_sync));
    println!(
        "loket backup (copy, fsync, uncached read-back, journal): median {:.3} s of {RUNS}",
        b.as_secs_f64()
    );
    println!(
        "cp -a + sha256sum:                                       median {:.3} s  -> ratio {:.2}x",
        c.as_secs_f64(),
        b.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "cp -a + fsync each + sha256sum:                          median {:.3} s  -> ratio {:.2}x",
        cs.as_secs_f64(),
        b.as_secs_f64() / cs.as_secs_f64()
    );

    // A fresh business day for each load, after the generated year.
    let day = |n: i64| {
        let at = generator::FIRST + time::Duration::days(generator::DAYS + n);
        at.format(&time::format_description::well_known::Rfc3339)
            .expect("RFC 3339")
    };
    let (quiet, _) = load(data, scratch.path(), &day(1), false);
    let (busy, backups) = load(data, scratch.path(), &day(2), true);
    for (name, v) in [("without backup", &quiet), ("during backups", &busy)] {
        println!(
            "counter state changes {name}: n={} p50 {} µs, p99 {} µs, max {} µs",
            v.len(),
            percentile(v, 50.0),
            percentile(v, 99.0),
            v.last().copied().unwrap_or(0)
        );
    }
    println!("backups made during the second load: {backups}");
}
