//! After a Peruri outage: how long until the paid jobs that waited are stamped, against the same
//! number of jobs on a day without an outage, in one run (release build, no criterion).
//!
//! `cargo bench --bench peruri_outage` (`LOKET_BENCH_JOBS`, default 200). Peruri is the reference
//! fake (`tests/peruri_ref/fake_peruri.py`, pyHanko signing behind its adapter) on loopback; the
//! branch is a durable SQLite data folder; the worker is the one a counter or `loket worker` runs
//! (`stamping::worker::start`, on the machine's clock, honouring each job's next-attempt time).
//! 1. A day without an outage: N jobs are paid, then the worker starts; time until all are stamped.
//! 2. The worst day: Peruri is down while N customers pay (each job runs once and waits, as at the
//!    counter); Peruri returns and the worker starts; time until all are stamped, which includes
//!    the waiting jobs' backoff.

#[path = "support/letter.rs"]
mod letter;

use letter::paid_by_debit;
use loket::Branch;
use loket::stamping::service::JobFilter;
use loket::stamping::{State, worker};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Fake {
    child: Child,
    url: String,
    root: String,
    share: tempfile::TempDir,
    _state: tempfile::TempDir,
}

impl Fake {
    fn start() -> Fake {
        let share = tempfile::tempdir().expect("share");
        let state = tempfile::tempdir().expect("state");
        for d in ["UNSIGNED", "SIGNED", "STAMP"] {
            std::fs::create_dir_all(share.path().join(d)).expect("share");
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peruri_ref/fake_peruri.py");
        let mut child = Command::new("/opt/loket-venv/bin/python")
            .arg(script)
            .args(["--port", "0", "--quota", "100000", "--share"])
            .arg(share.path())
            .arg("--state")
            .arg(state.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reference fake (bash .ci/install.d/pdf.sh installs its venv)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let hello: Value = serde_json::from_str(line.trim()).expect("json");
        Fake {
            child,
            url: format!("http://127.0.0.1:{}", hello["port"]),
            root: hello["root_pem"].as_str().expect("root").to_string(),
            share,
            _state: state,
        }
    }

    fn control(&self, body: Value) {
        let status = reqwest::blocking::Client::new()
            .post(format!("{}/_control", self.url))
            .json(&body)
            .send()
            .expect("control")
            .status();
        assert!(status.is_success());
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn branch(dir: &Path, fake: &Fake) -> Branch {
    drop(Branch::init(dir, false).expect("init"));
    let config = dir.join(loket::config::FILE_NAME);
    let url = &fake.url;
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("provider = \"local\"", "provider = \"peruri\"")
        + &format!(
            "\n[stamping.peruri]\nuser = \"loket@kantorpos.test\"\npassword = \"rahasia\"\n\
             backend_url = \"{url}\"\nstampv2_url = \"{url}\"\nfileupload_url = \"{url}\"\n\
             stampservice_url = \"{url}\"\nadapter_url = \"{url}\"\nshared_folder = \"{}\"\n\
             root_certs = [\"{}\"]\nretries = 1\nbreaker_cooldown_ms = 2000\n",
            fake.share.path().display(),
            fake.root
        );
    std::fs::write(&config, text).expect("config");
    Branch::open(dir).expect("open")
}

/// A customer pays for job `n` (debit: no drawer needed); at the counter the job runs once.
fn pay(b: &mut Branch, n: u32, run_once: bool) {
    let job = paid_by_debit(b, n);
    if run_once {
        let v = b
            .stamping()
            .run_job(loket::stamping::JobId(job.get()), &mut |_| {})
            .expect("run");
        assert!(v.state.is_unfinished(), "Peruri is down: the job waits");
    }
}

/// Starts the worker and waits until no paid job is left unstamped; the time it took.
fn drain(b: &mut Branch, dir: &Path, jobs: u32) -> Duration {
    let start = Instant::now();
    let handle = worker::start(dir, Arc::new(loket::clock::SystemClock)).expect("worker");
    while !b
        .stamping()
        .jobs(&JobFilter::Unfinished)
        .expect("jobs")
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(1800),
            "stuck: {:?}",
            handle.last_round()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = start.elapsed();
    handle.stop();
    let stamped = b
        .stamping()
        .jobs(&JobFilter::Recent(jobs + 10))
        .expect("jobs")
        .iter()
        .filter(|v| v.state == State::Stamped)
        .count();
    assert_eq!(stamped, jobs as usize, "every job stamped");
    took
}

fn scenario(outage: bool, jobs: u32) -> Duration {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("dir");
    let mut b = branch(dir.path(), &fake);
    if outage {
        fake.control(json!({"outage": true}));
    }
    for n in 0..jobs {
        pay(&mut b, n, outage);
    }
    if outage {
        fake.control(json!({"outage": false}));
    }
    drain(&mut b, dir.path(), jobs)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let jobs: u32 = std::env::var("LOKET_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let normal = scenario(false, jobs);
    let after = scenario(true, jobs);
    println!(
        "peruri_outage: {jobs} paid jobs through the reference fake, worker on the machine's clock"
    );
    println!(
        "  no outage:           {:>8.1} s  ({:.0} ms per job)",
        normal.as_secs_f64(),
        normal.as_secs_f64() * 1000.0 / f64::from(jobs)
    );
    println!(
        "  after Peruri returns: {:>7.1} s  ({:.0} ms per job)",
        after.as_secs_f64(),
        after.as_secs_f64() * 1000.0 / f64::from(jobs)
    );
    println!(
        "  ratio (after outage / no outage): {:.2}",
        after.as_secs_f64() / normal.as_secs_f64()
    );
}
