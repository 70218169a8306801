//! Stamping service throughput and outage latency, as a release binary (no criterion: whole jobs).
//!
//! `cargo bench --bench stamping_service`. Two measurements in one run:
//! 1. jobs per second through the service with the local provider: receive a 1-page letter, accept
//!    the proposed place, charge, pay (debit), mark paid, issue + stamp + verify + store; on a
//!    durable SQLite file (WAL, every commit's WAL fsynced before it returns) and the fsynced
//!    document store; one, two and four threads (each its own `Branch` on the same data folder, as
//!    counters working at once), with the mean time of each step. Reference measured in the same
//!    run: the engine alone (`pdf::intake` + `pdf::stamp` of the same letter in memory).
//! 2. while Peruri is down (fake answering 503) and the breaker is open: time from a clerk's
//!    `run_job` to the view whose message says "sedang gangguan", p50/p99.

use loket::Branch;
use loket::config::PeruriMode;
use loket::money::Rupiah;
use loket::pdf::placement::PlacementOptions;
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::{ReceiveDocument, State, service};
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Fault};
use loket::till::Tender;
use std::path::Path;

#[path = "support/letter.rs"]
mod letter;
use letter::{letter, paid_by_debit};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The steps of one job, in order, for the time breakdown.
const STEPS: [&str; 6] = [
    "receive",
    "place",
    "quote",
    "pay",
    "paid",
    "run (serial, stamp, verify, store)",
];

/// Runs one job through the counter flow; adds each step's time to `spent`.
fn one_job(b: &mut Branch, n: u32, counter: u32, spent: &mut [Duration; 6]) -> State {
    let mut t = Instant::now();
    let mut lap = |i: usize| {
        spent[i] += t.elapsed();
        t = Instant::now();
    };
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(n),
            name: format!("surat-{n}.pdf"),
            ticket: None,
            counter,
            clerk: "petugas".into(),
            password: None,
        })
        .expect("receive");
    lap(0);
    b.stamping()
        .place_job(job.id, "petugas", job.proposed.expect("proposed"))
        .expect("place");
    lap(1);
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(counter), "petugas", None)
        .expect("quote");
    lap(2);
    b.till()
        .pay_sale(
            loket::till::SaleId(sale),
            "petugas",
            &[Tender::Debit {
                amount: Rupiah::new(10_000),
                approval_code: "A1B2C3".into(),
                last4: "4321".into(),
            }],
        )
        .expect("pay");
    lap(3);
    b.stamping().job_paid(job.id, "petugas").expect("paid");
    lap(4);
    let state = b
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect("run")
        .state;
    lap(5);
    state
}

fn branch(dir: &Path) -> Branch {
    let b = Branch::init(dir, false).expect("init");
    drop(b);
    let mut b = Branch::open(dir).expect("open");
    b.store_mut()
        .write(|tx| loket::stamping::ledger::load_lot(tx, "kepala", "BENCH", 100_000, 0))
        .expect("lot");
    b
}

/// Jobs per second with `threads` threads (each its own `Branch` on the same data folder), and the
/// mean time per job of each step.
fn throughput(threads: u32, jobs_per_thread: u32) -> (f64, [Duration; 6]) {
    let dir = tempfile::tempdir().expect("dir");
    drop(branch(dir.path()));
    // Warm the provider (PKI load) outside the timing.
    {
        let mut b = Branch::open(dir.path()).expect("open");
        assert_eq!(
            one_job(&mut b, 0, 1, &mut [Duration::ZERO; 6]),
            State::Stamped
        );
    }
    let start = Instant::now();
    let spent = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let dir = dir.path();
                s.spawn(move || {
                    let mut spent = [Duration::ZERO; 6];
                    let mut b = Branch::open(dir).expect("open");
                    for i in 0..jobs_per_thread {
                        let state = one_job(&mut b, 1 + t * 1_000_000 + i, t + 1, &mut spent);
                        assert_eq!(state, State::Stamped);
                    }
                    spent
                })
            })
            .collect();
        let mut total = [Duration::ZERO; 6];
        for w in workers {
            for (sum, d) in total.iter_mut().zip(w.join().expect("worker")) {
                *sum += d;
            }
        }
        total
    });
    let elapsed = start.elapsed();
    let jobs = threads * jobs_per_thread;
    (
        f64::from(jobs) / elapsed.as_secs_f64(),
        spent.map(|d| d / jobs),
    )
}

fn print_steps(spent: &[Duration; 6]) {
    for (name, d) in STEPS.iter().zip(spent) {
        println!("    {name}: {:.2} ms per job", d.as_secs_f64() * 1000.0);
    }
}

fn engine_alone(n: u32) -> f64 {
    let dir = tempfile::tempdir().expect("dir");
    let paths = loket::pdf::pki::generate_training_pki(dir.path(), "Bench").expect("pki");
    let signer =
        loket::pdf::Signer::from_files(&paths.signer_key, &paths.signer_chain).expect("signer");
    let start = Instant::now();
    for i in 0..n {
        let prepared =
            loket::pdf::intake(letter(i), &loket::pdf::IntakeOptions::default()).expect("intake");
        let place = loket::pdf::propose(&prepared, &PlacementOptions::default());
        let spec = loket::pdf::StampSpec {
            page: place.page,
            rect: place.rect,
            serial: loket::pdf::SerialNumber::training(),
            reason: "Dokumen lain-lain".into(),
            location: "BANDUNG".into(),
            signing_time: time::OffsetDateTime::now_utc(),
            appearance: loket::pdf::AppearanceOptions::default(),
            profile: loket::pdf::SignatureProfile::CadesDetached,
        };
        let stamped = loket::pdf::stamp(prepared, &spec, &signer, None).expect("stamp");
        assert!(!stamped.is_empty());
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn outage_latency(samples: usize) -> (Duration, Duration, Duration) {
    let share = tempfile::tempdir().expect("share");
    let fake = FakePeruri::start(FakeOptions {
        shared_folder: Some(share.path().to_path_buf()),
        ..FakeOptions::default()
    })
    .expect("fake");
    fake.inject(None, Fault::Status(503), u32::MAX);
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join(loket::config::FILE_NAME),
        loket::config::DEFAULT_TOML.replace("provider = \"local\"", "provider = \"peruri\"")
            + &format!(
                "\n[stamping.peruri]\nuser = \"loket@pos.test\"\npassword = \"x\"\nshared_folder = \"{}\"\n",
                share.path().display()
            ),
    )
    .expect("config");
    let mut b = Branch::open(dir.path()).expect("open");
    // Production retry/breaker settings, except the cool-down, long enough to stay open here.
    let mut cfg = fake.config(PeruriMode::Onprem);
    let prod = loket::config::PeruriConfig::new("loket@pos.test", &fake.base_url());
    cfg.retries = prod.retries;
    cfg.backoff_base_ms = prod.backoff_base_ms;
    cfg.backoff_max_ms = prod.backoff_max_ms;
    cfg.breaker_failures = prod.breaker_failures;
    cfg.breaker_cooldown_ms = 3_600_000;
    service::install_provider(
        dir.path(),
        Arc::new(PeruriProvider::isolated(cfg).expect("provider")),
    );
    let mut jobs = Vec::new();
    for n in 0..samples + 10 {
        jobs.push(paid_by_debit(
            &mut b,
            u32::try_from(n).expect("a few hundred jobs"),
        ));
    }
    // Open the breaker: the first calls fail through retries.
    for id in &jobs[..10] {
        b.stamping().run_job(*id, &mut |_| {}).expect("run");
    }
    let before = fake.total_requests();
    let mut times = Vec::new();
    for id in &jobs[10..] {
        let start = Instant::now();
        let v = b.stamping().run_job(*id, &mut |_| {}).expect("run");
        times.push(start.elapsed());
        assert!(v.message.contains("sedang gangguan"), "{}", v.message);
        assert_eq!(v.state, State::Paid);
    }
    assert_eq!(fake.total_requests(), before, "breaker open: nothing sent");
    times.sort();
    // fits: a few hundred samples are exact as f64, and the rank is between 0 and len - 1.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let p = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.99), times[times.len() - 1])
}

fn main() {
    let engine = engine_alone(300);
    println!("engine alone (intake + propose + stamp, in memory): {engine:.0} documents/s");
    // One thread, then two and four counters at once (each its own `Branch` and connection; the
    // default configuration has four counters).
    for (threads, jobs) in [(1, 300), (2, 200), (4, 100)] {
        let (rate, spent) = throughput(threads, jobs);
        println!(
            "service, {threads} thread(s), {} jobs: {rate:.0} jobs/s ({:.2} of the engine alone)",
            threads * jobs,
            rate / engine
        );
        print_steps(&spent);
    }
    let (p50, p99, max) = outage_latency(200);
    println!(
        "run_job to 'sedang gangguan' with the breaker open: p50={p50:?} p99={p99:?} max={max:?}"
    );
}
