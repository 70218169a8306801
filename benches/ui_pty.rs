//! Whole-program timings of the counter screen in a pseudo-terminal: launch to first frame (target
//! < 200 ms) and keystroke to redrawn frame (target p99 < 20 ms), with `loket queue status` (a
//! whole-program run that opens the same database) as the reference measured in the same run.

// Shared with the end-to-end tests, which use more of it than this benchmark.
#[allow(dead_code)]
#[path = "../tests/ui/harness.rs"]
mod harness;

use harness::{Pty, f_key};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loket"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<4} min {:>7.2} ms  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
        samples.len(),
        samples[0].as_secs_f64() * 1e3,
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    );
}

fn data_dir(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 temp path")
}

fn main() {
    // `cargo bench` passes flags such as --bench; this harness takes none.
    let runs = 20;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path()).to_string();
    // First run creates the demo branch and its users, outside the timings.
    let status = Command::new(bin())
        .args(["--data", &data, "init"])
        .output()
        .expect("init");
    assert!(status.status.success());
    {
        let mut branch = loket::Branch::open(dir.path()).expect("open");
        loket::ui::seed_demo_users(&mut branch).expect("users");
        for _ in 0..30 {
            branch.issue_ticket("A", false, "bench").expect("issue");
        }
    }

    let mut reference = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new(bin())
            .args(["--data", &data, "queue", "status"])
            .output()
            .expect("queue status");
        assert!(out.status.success());
        reference.push(start.elapsed());
    }

    let mut first_frame = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let mut pty = Pty::spawn(&bin(), &["--data", &data, "counter"], &[], 100, 30);
        pty.poll(Duration::from_secs(10), |s| {
            s.contains("Kantor Pos Demo") && s.contains("Masuk petugas loket")
        })
        .expect("first frame");
        first_frame.push(start.elapsed());
        pty.send("\x11");
        pty.wait_exit(Duration::from_secs(5));
    }

    // Keystroke to redrawn frame: F1 opens the help overlay, Esc closes it; each press is timed
    // from the write until the screen shows its effect.
    let mut pty = Pty::spawn(&bin(), &["--data", &data, "counter"], &[], 100, 30);
    pty.poll(Duration::from_secs(10), |s| {
        s.contains("Masuk petugas loket")
    })
    .expect("login screen");
    pty.send("petugas\t1234\r");
    pty.poll(Duration::from_secs(10), |s| s.contains("Selamat bekerja"))
        .expect("signed in");
    let mut keystroke = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        pty.send(f_key(1));
        pty.poll(Duration::from_secs(5), |s| s.contains("Bantuan — tombol"))
            .expect("help opens");
        keystroke.push(start.elapsed());
        let start = Instant::now();
        pty.send("\x1b");
        pty.poll(Duration::from_secs(5), |s| !s.contains("Bantuan — tombol"))
            .expect("help closes");
        keystroke.push(start.elapsed());
    }
    pty.send("\x11");
    pty.wait_exit(Duration::from_secs(5));

    println!();
    report("reference: loket queue status", reference);
    report("counter: launch to first frame", first_frame);
    report("counter: keystroke to redrawn frame", keystroke);
}
