//! The dispenser end to end on a pseudo-terminal pair: button lines in, tickets in the database and on the printer, failures kept for reprint.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use loket::dispenser::{Press, serve_port};
use loket_drivers::{DispenserPort, SerialSettings, SerialTransport, VirtualState};
use serialport::{SerialPort, TTYPort};

use super::{incidents, journal_intact};
use crate::common::TestBranch;

/// The box's end of the line: writes button lines, reads loket's answers.
struct ButtonBox {
    master: TTYPort,
    pending: Vec<u8>,
}

impl ButtonBox {
    fn press(&mut self, line: &str) -> String {
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("box writes");
        self.answer()
    }

    fn answer(&mut self) -> String {
        let mut buf = [0u8; 64];
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return String::from_utf8_lossy(&line).trim().to_string();
            }
            match self.master.read(&mut buf) {
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    panic!("no answer from loket within the box's timeout")
                }
                Err(e) => panic!("box read failed: {e}"),
            }
        }
    }
}

struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<Press>>>,
}

impl Running {
    fn finish(mut self) -> Vec<Press> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("running")
            .join()
            .expect("dispenser thread")
    }
}

fn start(tb: &TestBranch) -> (ButtonBox, Running) {
    let (mut master, slave) = TTYPort::pair().expect("pty pair");
    master
        .set_timeout(Duration::from_secs(10))
        .expect("box timeout");
    let path = slave.name().unwrap_or_default();
    let transport = SerialTransport::from_port(Box::new(slave), SerialSettings::new(path));
    let mut branch = tb.reopen();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut port = DispenserPort::new(transport);
        let mut seen = Vec::new();
        serve_port(&mut branch, &mut port, &stop2, &mut |p| {
            seen.push(p.clone())
        })
        .expect("dispenser loop");
        seen
    });
    (
        ButtonBox {
            master,
            pending: Vec::new(),
        },
        Running {
            stop,
            thread: Some(thread),
        },
    )
}

fn print_status(tb: &mut TestBranch, label: &str) -> String {
    let no: loket::queue::TicketNo = label.parse().expect("label");
    tb.branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT print_status FROM tickets WHERE issued_service = ?1 AND number = ?2",
                loket::params![no.service, no.number],
                |r| r.get(0),
            )
            .map_err(loket::LoketError::from)
        })
        .expect("ticket row")
}

#[test]
fn button_presses_on_a_pty_issue_and_print_tickets_and_a_paper_out_keeps_the_ticket_for_reprint() {
    let mut tb = TestBranch::new();
    let vp = tb
        .branch
        .printing()
        .printer("dispenser")
        .expect("dispenser printer")
        .virtual_printer()
        .expect("virtual");
    let (mut bx, running) = start(&tb);

    assert_eq!(bx.press("BTN A 1"), "OK A-001");
    assert_eq!(bx.press("BTN B 2"), "OK B-001");
    // A repeated line (same seq) gets the same answer and no second ticket.
    assert_eq!(bx.press("BTN B 2"), "OK B-001");
    assert_eq!(bx.press("BTN Z 3"), "ERR UNKNOWN");
    assert_eq!(bx.press("BTN A 4*00"), "ERR INVALID", "bad checksum");

    vp.set_state(VirtualState::PaperOut);
    assert_eq!(bx.press("BTN A 5"), "ERR PAPER");
    assert_eq!(bx.press("BTN C 6"), "ERR PAPER", "the loop keeps serving");
    vp.set_state(VirtualState::Ok);
    // Recovery is picked up on the next press, for another service.
    assert_eq!(bx.press("BTN B 7"), "OK B-002");
    let presses = running.finish();

    let issued: Vec<_> = presses.iter().filter_map(|p| p.ticket.clone()).collect();
    assert_eq!(issued, ["A-001", "B-001", "A-002", "C-001", "B-002"]);
    assert_eq!(
        presses.iter().filter(|p| p.printed).count(),
        3,
        "{presses:?}"
    );
    let failed = presses
        .iter()
        .find(|p| p.ticket.as_deref() == Some("A-002"))
        .expect("A-002 press");
    assert!(
        failed.message.contains("loket queue reprint A-002"),
        "{}",
        failed.message
    );

    // On paper: the three good tickets, each with its number and service, in the file named by
    // its print job.
    let dir = tb.path().join("printer/dispenser");
    let text = |n: i64| std::fs::read_to_string(dir.join(format!("{n:04}.txt"))).expect("job");
    let job_of = |label: &str| {
        presses
            .iter()
            .find(|p| p.ticket.as_deref() == Some(label))
            .and_then(|p| p.job)
            .expect("print job of the press")
    };
    // The number is printed four times as large, so its letters stand apart in the text.
    let number_on = |t: &str| t.split_whitespace().collect::<String>();
    let job = job_of("A-001");
    let first = text(job);
    assert_eq!(first, super::preview_of_job(&mut tb.branch, job));
    for needle in ["Kantor Pos Demo", "23 November 2026", "08.00 WIB"] {
        assert!(first.contains(needle), "ticket shows {needle}:\n{first}");
    }
    assert!(number_on(&first).contains("A-001"), "{first}");
    assert!(number_on(&text(job_of("B-001"))).contains("B-001"));
    assert!(number_on(&text(job_of("B-002"))).contains("B-002"));
    assert!(
        !dir.join(format!("{:04}.txt", job_of("A-002"))).exists(),
        "no paper, no file"
    );

    for (label, status) in [
        ("A-001", "printed"),
        ("A-002", "failed"),
        ("C-001", "failed"),
        ("B-002", "printed"),
    ] {
        assert_eq!(print_status(&mut tb, label), status, "{label}");
    }
    assert_eq!(
        incidents(&mut tb.branch, "dispenser"),
        vec![("paper_out".into(), false)]
    );

    // The failed ticket is reprinted with its own number, never reissued.
    let out = tb.cli_ok(&["queue", "reprint", "A-002"]);
    assert!(out.contains("A-002"), "{out}");
    assert_eq!(print_status(&mut tb, "A-002"), "printed");
    let cetakan: i64 = out
        .split("(cetakan ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse().ok())
        .expect("(cetakan N)");
    let reprinted = text(cetakan);
    assert!(number_on(&reprinted).contains("A-002"), "{reprinted}");
    assert!(!reprinted.contains("SALINAN"));
    let next = tb
        .branch
        .queue()
        .issue_ticket("A", false, "test")
        .expect("next ticket");
    assert_eq!(next.ticket.to_string(), "A-003", "numbers are never reused");
    journal_intact(&mut tb.branch);
}
