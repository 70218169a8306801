//! Button press to the last byte of the ticket at the printer, through the real dispenser loop on pseudo-terminals.
//!
//! A button box on one pty pair, the dispenser's printer as loket's virtual printer on another
//! (a serial printer), the branch database with its durable commits (WAL, synchronous=FULL). Each
//! press goes through `serve_port`: the queue issues the ticket, the print job is recorded,
//! the ticket is encoded, sent between two status reads, the result recorded, the box answered.
//! Timed: from writing `BTN` on the box's end until the virtual printer has the whole ticket (its
//! cut), and until the box has its `OK` answer. Reference in the same run: `issue_ticket` alone
//! (one durable commit). Run: `cargo bench --bench dispenser`.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use loket::Branch;
use loket::clock::ManualClock;
use loket_drivers::{
    DispenserPort, SerialSettings, SerialTransport, VirtualConfig, VirtualPrinter, serve_pty,
};
use serialport::{SerialPort, TTYPort};
use time::macros::datetime;

const WARM_UP: usize = 30;
const TIMED: usize = 600;
const SERVICES: [&str; 3] = ["A", "B", "C"];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    println!(
        "{name:<46} n={:<4} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?} max={:>8.2?} mean={:>8.2?}",
        v.len(),
        percentile(&v, 0.50),
        percentile(&v, 0.90),
        percentile(&v, 0.99),
        v[v.len() - 1],
        mean
    );
}

fn branch_in(dir: &std::path::Path, printer_port: &str) -> Branch {
    let config = loket::config::DEFAULT_TOML.replace(
        "[printers.dispenser]\nconnection = \"virtual\"\nprofile = \"58mm\"\noutput = \"printer/dispenser\"",
        &format!(
            "[printers.dispenser]\nconnection = \"serial\"\nprofile = \"58mm\"\nport = \"{printer_port}\"\nbaud = 115200"
        ),
    );
    assert!(config.contains(printer_port), "dispenser printer replaced");
    std::fs::write(dir.join(loket::config::FILE_NAME), config).expect("config");
    let clock = ManualClock::new(datetime!(2026-11-23 08:00 +07:00));
    Branch::open_with_clock(dir, Arc::new(clock)).expect("open branch")
}

fn read_line(master: &mut TTYPort, pending: &mut Vec<u8>) -> String {
    let mut buf = [0u8; 64];
    loop {
        if let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            return String::from_utf8_lossy(&line).trim().to_string();
        }
        let n = master.read(&mut buf).expect("box reads an answer");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vp = VirtualPrinter::new(VirtualConfig {
        pictures: false,
        ..VirtualConfig::in_memory(384)
    })
    .expect("virtual printer");
    let printer = serve_pty(vp.clone()).expect("printer pty");
    let mut branch = branch_in(dir.path(), &printer.path().display().to_string());

    let (mut master, slave) = TTYPort::pair().expect("box pty pair");
    master
        .set_timeout(Duration::from_secs(10))
        .expect("timeout");
    let name = slave.name().unwrap_or_default();
    let transport = SerialTransport::from_port(Box::new(slave), SerialSettings::new(name));
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let worker = std::thread::spawn(move || {
        let mut port = DispenserPort::new(transport);
        loket::dispenser::serve_port(&mut branch, &mut port, &stop2, &mut |p| {
            assert!(p.printed, "{}", p.message)
        })
        .expect("dispenser loop");
    });

    let mut to_printer = Vec::new();
    let mut to_answer = Vec::new();
    let mut pending = Vec::new();
    for i in 0..WARM_UP + TIMED {
        let service = SERVICES[i % SERVICES.len()];
        let t0 = Instant::now();
        master
            .write_all(format!("BTN {service} {}\n", i % 60_000).as_bytes())
            .expect("press");
        let jobs = vp.wait_for_jobs(i + 1, Duration::from_secs(10));
        let t1 = Instant::now();
        assert!(vp.jobs_printed() > i, "ticket {i} reached the printer");
        assert!(jobs.last().is_some_and(|j| j.complete));
        let answer = read_line(&mut master, &mut pending);
        let t2 = Instant::now();
        assert!(answer.starts_with("OK "), "{answer}");
        if i >= WARM_UP {
            to_printer.push(t1 - t0);
            to_answer.push(t2 - t0);
        }
    }
    stop.store(true, Ordering::Relaxed);
    worker.join().expect("dispenser thread");

    // Reference: the queue's durable issue alone, on its own branch folder.
    let ref_dir = tempfile::tempdir().expect("temp dir");
    let mut plain = branch_in(ref_dir.path(), "/dev/null");
    let mut issue = Vec::new();
    for i in 0..WARM_UP + TIMED {
        let t0 = Instant::now();
        plain
            .queue()
            .issue_ticket(SERVICES[i % SERVICES.len()], false, "bench")
            .expect("issue");
        if i >= WARM_UP {
            issue.push(t0.elapsed());
        }
    }

    println!("dispenser: {TIMED} presses after {WARM_UP} warm-up, services A/B/C in turn");
    summary(
        "press -> last ticket byte at the printer",
        to_printer.clone(),
    );
    summary("press -> OK answer at the box", to_answer);
    summary("reference: issue_ticket alone (durable)", issue.clone());
    let mut a = to_printer;
    a.sort();
    let mut b = issue;
    b.sort();
    println!(
        "ratio press->printer / issue_ticket: p50 {:.1}x, p99 {:.1}x",
        percentile(&a, 0.5).as_secs_f64() / percentile(&b, 0.5).as_secs_f64(),
        percentile(&a, 0.99).as_secs_f64() / percentile(&b, 0.99).as_secs_f64()
    );
    let p99 = percentile(&a, 0.99);
    println!(
        "target p99 < 20 ms: {}",
        if p99 < Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        }
    );
}
