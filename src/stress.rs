//! A load worker for the multi-process test and benchmark: one process issues tickets or works one
//! counter against the shared database, timing every state change.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::queue::Step;
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct StressArgs {
    /// `issue` (a dispenser) or `call` (a counter: call next, serve, done).
    #[arg(long, value_parser = ["issue", "call"])]
    pub role: String,
    /// Tickets to issue (role issue).
    #[arg(long, default_value_t = 100)]
    pub count: u32,
    /// Counter to work (role call).
    #[arg(long, default_value_t = 1)]
    pub counter: u32,
    /// Role call stops once this many tickets were issued today and none is left open.
    #[arg(long, default_value_t = 0)]
    pub until_total: u32,
    /// Seed for the service and priority choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File to write each state change's latency to, in microseconds, one per line.
    #[arg(long)]
    pub latency_out: Option<PathBuf>,
    /// Pace, in milliseconds: role issue hands out one ticket every so often (a kiosk's stream of
    /// customers); role call takes this long with each customer after serving starts (a clerk's
    /// service time) and looks for the next one a quarter as often when nobody waits. 0: as fast
    /// as the store allows.
    #[arg(long, default_value_t = 0)]
    pub every_ms: u64,
    /// Role call gives up after this many seconds without reaching `until_total`.
    #[arg(long, default_value_t = 300)]
    pub give_up_after_s: u64,
}

#[derive(Debug, Serialize)]
struct Summary {
    role: String,
    state_changes: usize,
    seconds: f64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

pub fn run(data: &Path, args: &StressArgs) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    let mut latencies: Vec<u64> = Vec::new();
    let started = Instant::now();
    let timed = |latencies: &mut Vec<u64>, f: &mut dyn FnMut() -> Result<bool, LoketError>| {
        let t = Instant::now();
        let out = f();
        latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
        out
    };
    if args.role == "issue" {
        let services: Vec<String> = branch
            .config()
            .services
            .iter()
            .map(|s| s.prefix().to_string())
            .collect();
        let mut rng = fastrand::Rng::with_seed(args.seed);
        let every = Duration::from_millis(args.every_ms);
        for n in 0..args.count {
            // On schedule, not after a pause: a slow change does not slow the stream down.
            if let Some(wait) = (started + every * n).checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let service = &services[rng.usize(..services.len())];
            let priority = rng.u8(..10) == 0;
            let actor = format!("dispenser-{}", args.seed);
            timed(&mut latencies, &mut || {
                let prio = priority && branch.config().service(service).is_some_and(|s| s.priority);
                branch
                    .queue()
                    .issue_ticket(service, prio, &actor)
                    .map(|_| true)
                    .map_err(LoketError::from)
            })?;
        }
    } else {
        let clerk = format!("petugas{}", args.counter);
        let deadline = Instant::now() + Duration::from_secs(args.give_up_after_s);
        let service_time = Duration::from_millis(args.every_ms);
        let idle_look = (service_time / 4).max(Duration::from_millis(2));
        loop {
            let called = {
                let t = Instant::now();
                let c = branch
                    .queue()
                    .call_next(crate::queue::CounterNo(args.counter), &clerk)?;
                // A look that found nobody waiting changed nothing: it is not a state change.
                if c.is_some() {
                    latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                }
                c
            };
            if called.is_some() {
                for step in [Step::Serve, Step::Done] {
                    if step == Step::Done {
                        std::thread::sleep(service_time);
                    }
                    timed(&mut latencies, &mut || {
                        branch
                            .queue()
                            .counter_step(crate::queue::CounterNo(args.counter), &clerk, step)
                            .map(|_| true)
                            .map_err(LoketError::from)
                    })?;
                }
                continue;
            }
            let (issued, open) = branch.store_mut().read(|c| {
                c.query_row(
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('waiting', 'called', 'serving', 'parked') THEN 1 ELSE 0 END), 0) FROM tickets",
                    (),
                    |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?)),
                )
                .map_err(LoketError::from)
            })?;
            if issued >= args.until_total && open == 0 {
                break;
            }
            if Instant::now() > deadline {
                return Err(crate::cli::CliError::StressGaveUp {
                    counter: args.counter,
                    issued,
                    open,
                }
                .into());
            }
            std::thread::sleep(idle_look);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.latency_out {
        let text: String = latencies.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(path, text).map_err(|source| LoketError::Io {
            what: crate::error::IoWhat::WriteLatencies,
            path: path.clone(),
            source,
        })?;
    }
    let mut sorted = latencies.clone();
    sorted.sort_unstable();
    let pct = |q: usize| {
        sorted
            .get((sorted.len().saturating_sub(1)) * q / 100)
            .copied()
            .unwrap_or(0)
    };
    let summary = Summary {
        role: args.role.clone(),
        state_changes: latencies.len(),
        seconds,
        p50_us: pct(50),
        p99_us: pct(99),
        max_us: sorted.last().copied().unwrap_or(0),
    };
    println!("{}", serde_json::to_string(&summary).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}
