//! The web hall display under load: 200 open connections (100 hall pages, 100 phone pages) to one
//! `loket display --web`, a call committed by a counter, and the time until every page has it; the
//! same rounds once with the branch on the SQLite file and once on a branch server (a throwaway
//! PostgreSQL 15 cluster made by `.ci/pg-cluster` and `loket server init`), side by side.
//!
//! The release `loket` binary serves; this process holds the branch (calls through `Branch`, as a
//! counter does) and 200 reader threads, each a plain HTTP client reading its event stream. A hall
//! page counts a round when its `call` event arrives; a phone page (each watching its own waiting
//! ticket of the called service) when its `ticket` event with one fewer ahead arrives. Timed from
//! just before the call's transaction begins. Reference in the same run: the same call to one hall
//! page alone. Also: the server's resident memory per open connection, and its CPU while idle with
//! the 200 connections open. On the branch server the benchmark's branch logs in as the counter
//! role and the display as the display role, as a branch's PCs do. Run: `cargo bench --bench hall`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loket::Branch;
use loket::clock::ManualClock;
use loket::queue::Step;
use time::macros::datetime;

const HALL_PAGES: usize = 100;
const PHONE_PAGES: usize = 100;
const ROUNDS: usize = 60;
const WARM_UP: usize = 5;

// fits: a bench has a few thousand samples (exact as f64), and the rank is between 0 and len - 1.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Prints one line of figures and returns the median and the 99th percentile.
fn summary(name: &str, v: &[Duration]) -> (Duration, Duration) {
    let mut v = v.to_vec();
    v.sort();
    let mean = v.iter().sum::<Duration>() / u32::try_from(v.len()).expect("a few hundred samples");
    let p99 = percentile(&v, 0.99);
    println!(
        "{name:<52} n={:<5} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?} max={:>8.2?} mean={:>8.2?}",
        v.len(),
        percentile(&v, 0.50),
        percentile(&v, 0.90),
        p99,
        v[v.len() - 1],
        mean
    );
    (percentile(&v, 0.50), p99)
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the branch of one run keeps its store.
enum Engine {
    /// The SQLite file in the data folder.
    File,
    /// The branch server: the counter's login for the benchmark's branch, the display's for
    /// `loket display --web`.
    Server { counter: String, display: String },
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::File => "SQLite file",
            Engine::Server { .. } => "PostgreSQL 15, loopback",
        }
    }
}

/// A throwaway PostgreSQL cluster (`.ci/pg-cluster`), stopped and removed when dropped.
struct Cluster {
    dir: std::path::PathBuf,
    base: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!("loket-bench-hall-pg-{}", std::process::id()));
        let out = Command::new(Cluster::script())
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run .ci/pg-cluster (PostgreSQL 15: sh .ci/install.d/postgresql.sh)");
        assert!(
            out.status.success(),
            "the cluster did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let base = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Cluster { dir, base }
    }

    fn script() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/pg-cluster")
    }

    /// `loket server init` on a fresh database: the counter's and the display's logins.
    fn branch(&self, code: &str) -> Engine {
        let code: loket::server::BranchCode = code.parse().expect("the demo branch code");
        let made = loket::server::init(&format!("{}/postgres", self.base), &code)
            .unwrap_or_else(|e| panic!("server init: {e}"));
        let url = |kind| {
            made.logins
                .iter()
                .find(|l| l.kind == kind)
                .map(|l| l.url.clone())
                .expect("a login of each kind")
        };
        Engine::Server {
            counter: url(loket::server::PcKind::Counter),
            display: url(loket::server::PcKind::Display),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(Cluster::script())
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

fn start_server(dir: &std::path::Path, engine: &Engine) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut command = Command::new(env!("CARGO_BIN_EXE_loket"));
    command
        .arg("--data")
        .arg(dir)
        .args(["display", "--web", &format!("127.0.0.1:{port}")])
        .env(loket::clock::FAKE_NOW_VAR, "2026-11-23T08:00:00+07:00");
    match engine {
        Engine::File => command.env_remove(loket::store::STORE_VAR),
        Engine::Server { display, .. } => command.env(loket::store::STORE_VAR, display),
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start loket display --web");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    assert!(line.contains("http://"), "{line}");
    Server { child, port }
}

/// Opens `path` as an event stream and reports every `event: <counted>` after the first one of
/// that kind the stream sends on connect (when `skip_first`).
fn reader(
    port: u16,
    path: String,
    counted: &'static str,
    skip_first: bool,
    ready: mpsc::Sender<()>,
    seen: mpsc::Sender<Instant>,
) {
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
            .expect("request");
        let mut lines = BufReader::new(s);
        let mut line = String::new();
        let mut skip = skip_first;
        let mut signalled = false;
        loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = line.trim_end();
            if !signalled && text.starts_with("event: ") {
                let _ = ready.send(());
                signalled = true;
            }
            if text == format!("event: {counted}") {
                if skip {
                    skip = false;
                    continue;
                }
                let _ = seen.send(Instant::now());
            }
        }
    });
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = after.split_whitespace().collect();
            // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// Before a round: the counter that calls next finishes its previous customer (not timed; the
/// pages see it as a state change, and anything it sends is drained before the clock starts).
fn prepare(branch: &mut Branch, round: usize) -> u32 {
    let counter = u32::try_from(round % 4).expect("below 4") + 1;
    let _ = branch
        .queue()
        .counter_step(loket::queue::CounterNo(counter), "bench", Step::Serve);
    let _ = branch
        .queue()
        .counter_step(loket::queue::CounterNo(counter), "bench", Step::Done);
    std::thread::sleep(Duration::from_millis(200));
    counter
}

fn measure(
    branch: &mut Branch,
    rounds: std::ops::Range<usize>,
    expected: usize,
    seen: &mpsc::Receiver<Instant>,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut every = Vec::new();
    let mut all = Vec::new();
    for round in rounds {
        let counter = prepare(branch, round);
        while seen.try_recv().is_ok() {}
        let start = Instant::now();
        let called = branch
            .queue()
            .call_next(loket::queue::CounterNo(counter), "bench")
            .expect("call");
        assert!(called.is_some(), "somebody waits");
        let mut last = start;
        for _ in 0..expected {
            let at = seen
                .recv_timeout(Duration::from_secs(10))
                .expect("every page updated within 10 s");
            every.push(at.saturating_duration_since(start));
            last = last.max(at);
        }
        all.push(last.saturating_duration_since(start));
    }
    (every, all)
}

/// What one engine's run measured.
struct Run {
    /// Call → the one reference hall page, per call.
    one: Vec<Duration>,
    /// Call → each of the 200 pages.
    every: Vec<Duration>,
    /// Call → the last of the 200 pages, per call.
    all: Vec<Duration>,
    idle_rss: u64,
    open_rss: u64,
    idle_cpu_pct: f64,
}

fn run(engine: &Engine) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = match engine {
        Engine::File => loket::config::DEFAULT_TOML.to_string(),
        Engine::Server { counter, .. } => format!(
            "{}\n\n[store]\nurl = {}\n",
            loket::config::DEFAULT_TOML.trim_end(),
            toml::Value::String(counter.clone())
        ),
    };
    std::fs::write(dir.path().join(loket::config::FILE_NAME), config).expect("config");
    let clock = ManualClock::new(datetime!(2026-11-23 08:00 +07:00));
    let mut branch =
        Branch::open_with_clock(dir.path(), Arc::new(clock.clone())).expect("open branch");
    let tickets = 2 * (ROUNDS + WARM_UP) + PHONE_PAGES + 10;
    let mut labels = Vec::new();
    for _ in 0..tickets {
        clock.advance(time::Duration::seconds(5));
        labels.push(
            branch
                .queue()
                .issue_ticket("A", false, "bench")
                .expect("issue")
                .ticket
                .to_string(),
        );
    }
    let day = branch.store().today().to_string();
    let code = branch.config().branch.code.clone();
    let server = start_server(dir.path(), engine);
    let pid = server.child.id();
    let secret = loket::hall::token::Secret::load_or_create(dir.path()).expect("secret");
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = rss_kib(pid);

    // Reference: one hall page.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (seen_tx, seen_rx) = mpsc::channel();
    reader(
        server.port,
        "/events".into(),
        "call",
        false,
        ready_tx,
        seen_tx,
    );
    ready_rx.recv().expect("reference page ready");
    let _ = measure(&mut branch, 0..WARM_UP, 1, &seen_rx);
    let (one, _) = measure(&mut branch, WARM_UP..WARM_UP + ROUNDS, 1, &seen_rx);
    drop(seen_rx);

    // 100 hall pages and 100 phones, each phone on a ticket still waiting after every round.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (seen_tx, seen_rx) = mpsc::channel();
    for _ in 0..HALL_PAGES {
        reader(
            server.port,
            "/events".into(),
            "call",
            false,
            ready_tx.clone(),
            seen_tx.clone(),
        );
    }
    for label in labels.iter().rev().take(PHONE_PAGES) {
        let token = secret.token(&code, &day, label);
        reader(
            server.port,
            format!("/t/{label}/events?k={token}"),
            "ticket",
            true,
            ready_tx.clone(),
            seen_tx.clone(),
        );
    }
    for _ in 0..HALL_PAGES + PHONE_PAGES {
        ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("every page connected");
    }
    std::thread::sleep(Duration::from_millis(500));
    let open_rss = rss_kib(pid);

    // Idle: nothing happens for 10 s with every page connected.
    let before = cpu_ticks(pid);
    let idle_for = Duration::from_secs(10);
    std::thread::sleep(idle_for);
    let ticks = cpu_ticks(pid) - before;
    // USER_HZ is 100 on Linux.
    // fits: ten seconds of ticks are exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let idle_cpu_pct = ticks as f64 / idle_for.as_secs_f64();

    let pages = HALL_PAGES + PHONE_PAGES;
    let first = 2 * WARM_UP + ROUNDS;
    let _ = measure(&mut branch, first..first + WARM_UP, pages, &seen_rx);
    let (every, all) = measure(
        &mut branch,
        first + WARM_UP..first + WARM_UP + ROUNDS,
        pages,
        &seen_rx,
    );

    Run {
        one,
        every,
        all,
        idle_rss,
        open_rss,
        idle_cpu_pct,
    }
}

fn report(engine: &Engine, run: &Run) -> [(Duration, Duration); 3] {
    let pages = HALL_PAGES + PHONE_PAGES;
    println!(
        "{}: hall display, {pages} connections ({HALL_PAGES} hall + {PHONE_PAGES} phone), {ROUNDS} calls:",
        engine.name()
    );
    let one = summary("reference: call -> 1 hall page", &run.one);
    let every = summary("call -> each of 200 pages", &run.every);
    let all = summary("call -> all 200 pages updated (per call)", &run.all);
    println!(
        "ratio p50 (each of 200) / p50 (1 page): {:.2}x",
        every.0.as_secs_f64() / one.0.as_secs_f64()
    );
    // fits: kibibytes of memory and a count of pages, both far below 2^52, are exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let per_page = (run.open_rss.saturating_sub(run.idle_rss)) as f64 / pages as f64;
    println!(
        "server RSS: {} KiB with no page, {} KiB with {pages} open: {per_page:.1} KiB per connection",
        run.idle_rss, run.open_rss
    );
    println!(
        "server CPU while idle with {pages} open: {:.2} % of one core over 10 s",
        run.idle_cpu_pct
    );
    println!();
    [one, every, all]
}

fn main() {
    let lite = run(&Engine::File);
    let cluster = Cluster::start();
    let server = cluster.branch("40000");
    let pg = run(&server);
    drop(cluster);

    let lite_figures = report(&Engine::File, &lite);
    let pg_figures = report(&server, &pg);
    println!("side by side (p50 / p99; PostgreSQL / SQLite of this run):");
    println!(
        "{:<42} {:>22} {:>22} {:>16}",
        "", "SQLite file", "PostgreSQL 15", "ratio p50 / p99"
    );
    let names = [
        "call -> 1 hall page",
        "call -> each of 200 pages",
        "call -> all 200 pages updated",
    ];
    for ((name, l), p) in names.iter().zip(lite_figures).zip(pg_figures) {
        println!(
            "{name:<42} {:>22} {:>22} {:>16}",
            format!("{:.1?} / {:.1?}", l.0, l.1),
            format!("{:.1?} / {:.1?}", p.0, p.1),
            format!(
                "{:.2}x / {:.2}x",
                p.0.as_secs_f64() / l.0.as_secs_f64(),
                p.1.as_secs_f64() / l.1.as_secs_f64()
            )
        );
    }
    let verdict = |p99: Duration| {
        if p99 < Duration::from_millis(300) {
            "below 300 ms, target met"
        } else {
            "NOT below 300 ms, target missed"
        }
    };
    for (engine, figures) in [(&Engine::File, lite_figures), (&server, pg_figures)] {
        println!(
            "{}: call -> 1 hall page p99 {:.1?} ({}); call -> all 200 pages p99 {:.1?} ({})",
            engine.name(),
            figures[0].1,
            verdict(figures[0].1),
            figures[2].1,
            verdict(figures[2].1)
        );
    }
}
