//! Whole-program timings of the counter screen in a pseudo-terminal: launch to first frame (target
//! < 200 ms) and keystroke to redrawn frame (target p99 < 20 ms), with `loket queue status` (a
//! whole-program run that opens the same database) as the reference measured in the same run.

// Shared with the end-to-end tests, which use more of it than this benchmark.
#[allow(dead_code)]
#[path = "../tests/ui/harness.rs"]
mod harness;
#[path = "support/scanned.rs"]
mod scanned;
#[path = "support/stats.rs"]
mod stats;

use harness::{Pty, f_key};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loket"))
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
            branch
                .queue()
                .issue_ticket("A", false, "bench")
                .expect("issue");
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

    let (during_stamping, stamp_runs) = while_stamping(dir.path(), &data);

    println!();
    stats::report("reference: loket queue status", reference);
    stats::report("counter: launch to first frame", first_frame);
    stats::report("counter: keystroke to redrawn frame", keystroke);
    stats::report("counter: keystroke while stamping", during_stamping);
    stats::report("stamping: payment to serial shown", stamp_runs);
}

/// A scanned-looking PDF: a letter page and `pages` pages each carrying a 1 MB grey image of noise,
/// so stamping (hash, write, read back, verify) takes long enough to type during it.
fn big_letter(pages: usize) -> Vec<u8> {
    scanned::letter_with_scans(
        "BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET BT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET",
        pages,
        1000,
        1000,
    )
}

/// Keystroke to redrawn frame while the worker stamps: customers of the e-Meterai service are taken
/// through the flow to payment, and F1/Esc are timed from payment until the serial shows.
fn while_stamping(dir: &Path, data: &str) -> (Vec<Duration>, Vec<Duration>) {
    let usb = dir.join("FLASHDISK");
    std::fs::create_dir_all(&usb).expect("drive folder");
    std::fs::write(usb.join("lamaran.pdf"), big_letter(40)).expect("big letter");
    {
        let mut branch = loket::Branch::open(dir).expect("open");
        branch
            .till()
            .open_till(
                loket::queue::CounterNo(1),
                "petugas",
                &loket::till::CashCount::total_only(loket::money::Rupiah::new(500_000)),
            )
            .expect("open till");
        // The queue keeps A tickets waiting; the counter calls C tickets by number.
        for _ in 0..8 {
            branch
                .queue()
                .issue_ticket("C", false, "bench")
                .expect("issue");
        }
    }
    let usb_text = usb.to_str().expect("utf-8").to_string();
    let mut pty = Pty::spawn(
        &bin(),
        &["--data", data, "counter"],
        &[("LOKET_DRIVE_DIR", &usb_text)],
        120,
        40,
    );
    let wait = |pty: &Pty, text: &str| {
        if pty
            .poll(Duration::from_secs(60), |s| s.contains(text))
            .is_none()
        {
            panic!("never showed {text:?}:\n{}", pty.contents());
        }
    };
    wait(&pty, "Masuk petugas loket");
    pty.send("petugas\t1234\r");
    wait(&pty, "Selamat bekerja");
    let mut samples = Vec::new();
    let mut runs = Vec::new();
    for n in 1..=8 {
        pty.send(f_key(10));
        wait(&pty, "Nomor tiket");
        pty.send(&format!("C-{n:03}\r"));
        wait(&pty, &format!("C-{n:03} dipanggil"));
        pty.send(f_key(4));
        wait(&pty, &format!("Mulai melayani C-{n:03}"));
        pty.send("\r");
        wait(&pty, "lamaran.pdf");
        pty.send("\r");
        wait(&pty, "Usulan:");
        pty.send("\r");
        wait(&pty, "Belum ada uang diterima");
        pty.send("\r");
        wait(&pty, "Uang diterima");
        let paid = Instant::now();
        pty.send("\r");
        wait(&pty, "Pembubuhan e-Meterai");
        while !pty.contents().contains("Nomor seri e-Meterai") {
            let start = Instant::now();
            pty.send(f_key(1));
            wait(&pty, "Bantuan — tombol");
            samples.push(start.elapsed());
            let start = Instant::now();
            pty.send("\x1b");
            pty.poll(Duration::from_secs(5), |s| !s.contains("Bantuan — tombol"))
                .expect("help closes");
            samples.push(start.elapsed());
        }
        runs.push(paid.elapsed());
        pty.send("\r");
        wait(&pty, "Tersalin ke");
        wait(&pty, "Struk dan bukti pembubuhan tercetak.");
        pty.send(f_key(5));
        wait(&pty, &format!("C-{n:03} selesai dilayani"));
        let _ = std::fs::remove_file(usb.join("lamaran-emeterai.pdf"));
    }
    pty.send("\x11");
    pty.wait_exit(Duration::from_secs(5));
    (samples, runs)
}
