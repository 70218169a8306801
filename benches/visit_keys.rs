//! Keys per customer at the counter, and the program's own time for each step, for the common
//! e-Meterai visit: one PDF on the customer's drive, the stamp where proposed, exact cash, the copy
//! back to the same drive, slips printed. The real release binary runs in a 120×40 pseudo-terminal;
//! each key is timed from its write until the screen shows the step's result, so the figures hold
//! no human think time. Reference in the same run: `loket queue status`, a whole-program run that
//! opens the same database.

// Shared with the end-to-end tests, which use more of it than this benchmark.
#[allow(dead_code)]
#[path = "../tests/ui/harness.rs"]
mod harness;
#[path = "support/letter.rs"]
#[allow(dead_code)]
mod letter;
#[path = "support/stats.rs"]
mod stats;

use harness::{Pty, f_key};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const CUSTOMERS: u32 = 10;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loket"))
}

/// One key of the visit: what it is called, what is sent, and what the screen shows once the
/// program has done its part (`{t}` stands for the ticket).
struct Step {
    name: &'static str,
    key: &'static str,
    shows: &'static str,
}

/// The common visit as the counter takes it.
fn visit() -> Vec<Step> {
    vec![
        Step {
            name: "F2 panggil berikutnya",
            key: f_key(2),
            shows: "{t} dipanggil",
        },
        Step {
            name: "Enter ambil dokumen (dilayani, satu PDF diperiksa)",
            key: "\r",
            shows: "Usulan:",
        },
        Step {
            name: "Enter letak → tagihan di layar bayar",
            key: "\r",
            shows: "Uang diterima",
        },
        Step {
            name: "Enter bayar uang pas → dibubuhkan",
            key: "\r",
            shows: "Nomor seri e-Meterai",
        },
        Step {
            name: "Enter salin ke flash disk → struk",
            key: "\r",
            shows: "Struk dan bukti pembubuhan tercetak.",
        },
        Step {
            name: "F5 selesai",
            key: f_key(5),
            shows: "{t} selesai dilayani",
        },
    ]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 temp path").to_string();
    let out = Command::new(bin())
        .args(["--data", &data, "init"])
        .output()
        .expect("init");
    assert!(out.status.success());
    let usb = dir.path().join("FLASHDISK");
    std::fs::create_dir_all(&usb).expect("drive folder");
    {
        let mut branch = loket::Branch::open(dir.path()).expect("open");
        loket::ui::seed_demo_users(&mut branch).expect("users");
        branch
            .till()
            .open_till(
                loket::queue::CounterNo(1),
                "petugas",
                &loket::till::CashCount::total_only(loket::money::Rupiah::new(500_000)),
            )
            .expect("open till");
        for _ in 0..CUSTOMERS {
            branch
                .queue()
                .issue_ticket("C", false, "bench")
                .expect("issue");
        }
    }

    let mut reference = Vec::new();
    for _ in 0..CUSTOMERS {
        let start = Instant::now();
        let out = Command::new(bin())
            .args(["--data", &data, "queue", "status"])
            .output()
            .expect("queue status");
        assert!(out.status.success());
        reference.push(start.elapsed());
    }

    let usb_text = usb.to_str().expect("utf-8").to_string();
    let mut pty = Pty::spawn(
        &bin(),
        &["--data", &data, "counter"],
        &[("LOKET_DRIVE_DIR", &usb_text)],
        120,
        40,
    );
    let wait = |pty: &Pty, text: &str| {
        if pty
            .poll(Duration::from_secs(120), |s| s.contains(text))
            .is_none()
        {
            panic!("never showed {text:?}:\n{}", pty.contents());
        }
    };
    wait(&pty, "Masuk petugas loket");
    pty.send("petugas\t1234\r");
    wait(&pty, "Selamat bekerja");

    let steps = visit();
    let mut per_step: Vec<Vec<Duration>> = steps.iter().map(|_| Vec::new()).collect();
    let mut whole = Vec::new();
    for n in 1..=CUSTOMERS {
        let ticket = format!("C-{n:03}");
        // Each customer brings the same letter with another number in it (another SHA-256).
        let _ = std::fs::remove_dir_all(&usb);
        std::fs::create_dir_all(&usb).expect("drive folder");
        std::fs::write(usb.join("surat.pdf"), letter::letter(n)).expect("letter");
        let visit_start = Instant::now();
        for (i, step) in steps.iter().enumerate() {
            let shows = step.shows.replace("{t}", &ticket);
            let start = Instant::now();
            pty.send(step.key);
            wait(&pty, &shows);
            per_step[i].push(start.elapsed());
        }
        whole.push(visit_start.elapsed());
    }
    pty.send("\x11");
    pty.wait_exit(Duration::from_secs(5));

    println!();
    println!("keys per customer: {}", steps.len());
    stats::report("reference: loket queue status", reference);
    for (step, samples) in steps.iter().zip(per_step) {
        stats::report(step.name, samples);
    }
    stats::report("whole visit (program time only)", whole);
}
