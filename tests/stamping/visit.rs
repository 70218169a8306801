//! The rules of a customer's visit live in the services: a ticket whose paid document was not handed
//! over cannot be finished, marked absent or transferred — from any caller — and the day rollover
//! keeps it open instead of expiring it.

use super::support::{CLERK, letter, open_till, rp};
use crate::common::TestBranch;
use loket::queue::Step;
use loket::stamping::{ReceiveDocument, State};
use loket::till::Tender;

/// Issues a C ticket, calls it at counter 1 and takes letter `n` for it up to `stamped`.
fn visit_with_stamped_job(t: &mut TestBranch, n: u32) -> (String, i64) {
    let b = &mut t.branch;
    open_till(b);
    b.queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let call = b
        .queue()
        .call_next(loket::queue::CounterNo(1), CLERK)
        .expect("call")
        .expect("a ticket");
    let label = call.ticket.to_string();
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Serve)
        .expect("serve");
    let job = super::support::paid_job_for(b, letter(n), &format!("surat-{n}.pdf"), Some(&label));
    let done = b.stamping().run_job(job.id, &mut |_| {}).expect("stamp");
    assert_eq!(done.state, State::Stamped);
    (label, job.id.get())
}

#[test]
fn a_ticket_with_a_paid_document_not_handed_over_cannot_be_finished_by_anyone() {
    let mut t = TestBranch::new();
    let (label, job) = visit_with_stamped_job(&mut t, 1);
    for step in [Step::Done, Step::NoShow] {
        let err = t
            .branch
            .queue()
            .counter_step(loket::queue::CounterNo(1), CLERK, step)
            .expect_err("refused");
        let said = err.to_string();
        assert!(
            said.contains(&label)
                && said.contains("belum diserahkan")
                && said.contains(&format!("#{job}")),
            "{said}"
        );
    }
    let err = t
        .branch
        .queue()
        .transfer(loket::queue::CounterNo(1), CLERK, "A", None)
        .expect_err("no transfer");
    assert!(err.to_string().contains("tidak dapat dialihkan"), "{err}");
    // The command line is refused the same way.
    let out = t.cli(&["queue", "done", "--counter", "1"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("belum diserahkan"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Handed over: now it can be finished.
    let drive = tempfile::tempdir().expect("drive");
    t.branch
        .stamping()
        .deliver_job_to_drive(
            loket::stamping::JobId(job),
            drive.path(),
            CLERK,
            &mut |_, _| {},
        )
        .expect("copy");
    t.branch
        .queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Done)
        .expect("finished after hand-over");
}

#[test]
fn the_day_rollover_keeps_an_undelivered_visit_open() {
    let mut t = TestBranch::new();
    let (label, _job) = visit_with_stamped_job(&mut t, 2);
    // A plain ticket left waiting expires as before.
    t.branch
        .queue()
        .issue_ticket("A", false, "dispenser")
        .expect("issue");
    t.clock.advance(time::Duration::hours(24));
    t.branch
        .queue()
        .issue_ticket("A", false, "dispenser")
        .expect("next day");
    let (status, kept): (String, i64) = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT (SELECT status FROM tickets WHERE issued_service = 'C' ORDER BY id LIMIT 1),
                    (SELECT COUNT(*) FROM journal WHERE kind = 'ticket.kept_open' AND subject = ?1)",
            [&label],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("state");
    assert_eq!(status, "serving");
    assert_eq!(kept, 1);
    let expired: i64 = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM tickets WHERE status = 'expired' AND issued_service = 'A'",
            (),
            |r| r.get(0),
        )
        .expect("expired");
    assert_eq!(expired, 1);
}

#[test]
fn the_same_document_brought_again_says_when_and_where_it_was_paid() {
    let mut t = TestBranch::new();
    let first = super::support::paid_job(&mut t.branch, 7);
    let again = t
        .branch
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(7),
            name: "surat-7-lagi.pdf".into(),
            ticket: None,
            counter: 2,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("receive");
    let said = again.warnings.first().cloned().unwrap_or_default();
    assert!(
        said.contains("sudah dibayar pada 23 November 2026 08.")
            && said.contains("di loket 1")
            && said.contains(&format!("pekerjaan #{}", first.id))
            && said.contains("jangan menagih lagi"),
        "{said}"
    );
    // Another document says nothing of the kind.
    let other = t
        .branch
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(8),
            name: "surat-8.pdf".into(),
            ticket: None,
            counter: 2,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("receive");
    assert!(
        other.warnings.iter().all(|w| !w.contains("sudah dibayar")),
        "{:?}",
        other.warnings
    );
}

#[test]
fn the_daily_pack_lists_what_is_left_half_done_with_its_counter() {
    let mut t = TestBranch::new();
    let (_label, job) = visit_with_stamped_job(&mut t, 3);
    // A second bill with only part of it taken.
    let b = &mut t.branch;
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 2, None)
        .expect("add");
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(5_000),
            }],
        )
        .expect("part");
    let text = t.cli_ok(&["report", "daily", "--date", "2026-11-23"]);
    let section: String = text
        .split("BELUM SELESAI")
        .nth(1)
        .and_then(|rest| rest.split("JURNAL").next())
        .unwrap_or_default()
        .to_string();
    assert!(
        section.contains("loket 1") && section.contains("dibayar sebagian Rp5.000 dari Rp20.000"),
        "{section}"
    );
    assert!(section.contains("belum diserahkan"), "{section}");
    let today = t.branch.store().today();
    let p = t.branch.reports().daily(today).expect("pack");
    assert!(
        p.unfinished
            .iter()
            .any(|u| u.subject.to_string() == format!("job/{job}"))
    );
    assert!(
        p.unfinished
            .iter()
            .any(|u| u.subject.to_string() == format!("sale/{}", s.id))
    );
    // Handed over and paid in full, nothing is left.
    let drive = tempfile::tempdir().expect("drive");
    t.branch
        .stamping()
        .deliver_job_to_drive(
            loket::stamping::JobId(job),
            drive.path(),
            CLERK,
            &mut |_, _| {},
        )
        .expect("copy");
    t.branch
        .till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(15_000),
            }],
        )
        .expect("rest");
    let today = t.branch.store().today();
    let p = t.branch.reports().daily(today).expect("pack");
    assert!(p.unfinished.is_empty(), "{:?}", p.unfinished);
}

#[test]
fn a_document_that_already_carries_an_emeterai_says_so_with_its_serial() {
    let mut t = TestBranch::new();
    let first = super::support::paid_job(&mut t.branch, 9);
    t.branch
        .stamping()
        .run_job(first.id, &mut |_| {})
        .expect("stamp");
    let out = t.branch.stamping().job_output(first.id).expect("output");
    let stamped = std::fs::read(&out.path).expect("stamped file");
    let again = t
        .branch
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: stamped,
            name: "surat-9-emeterai.pdf".into(),
            ticket: None,
            counter: 1,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("receive");
    let said = again.warnings.first().cloned().unwrap_or_default();
    assert!(
        said.contains("sudah memuat e-Meterai") && said.contains(out.sns[0].as_str()),
        "{said}"
    );
    // The place proposed for a second stamp never lands on the first.
    let first_place = t
        .branch
        .stamping()
        .job(first.id)
        .expect("job")
        .place
        .expect("placed");
    let second = again.proposed.expect("proposed");
    let apart = second.page != first_place.page
        || second.x + second.width <= first_place.x
        || first_place.x + first_place.width <= second.x
        || second.y + second.height <= first_place.y
        || first_place.y + first_place.height <= second.y;
    assert!(apart, "first {first_place:?}, second {second:?}");
}

#[test]
fn closing_the_till_warns_about_what_the_counter_left_half_done() {
    let mut t = TestBranch::new();
    let (label, _job) = visit_with_stamped_job(&mut t, 4);
    let o = t
        .branch
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &loket::till::CashCount::total_only(rp(110_000)),
        )
        .expect("count");
    assert!(
        o.unfinished
            .iter()
            .any(|u| u.contains(&label) && u.contains("belum diserahkan")),
        "{:?}",
        o.unfinished
    );
    assert!(o.unfinished.iter().all(|u| u.contains("loket 1")));
}

/// `letter(n)` locked by qpdf (AES-256) with the user password `password`.
pub fn locked_letter(n: u32, password: &str) -> Vec<u8> {
    locked_letter_from(letter(n), password)
}

/// `bytes` locked by qpdf (AES-256) with the user password `password`.
pub fn locked_letter_from(bytes: Vec<u8>, password: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp");
    let plain = dir.path().join("plain.pdf");
    let locked = dir.path().join("locked.pdf");
    std::fs::write(&plain, bytes).expect("write");
    let out = std::process::Command::new("qpdf")
        .args(["--encrypt", password, "pemilik-kantor", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .output()
        .expect("qpdf (apt-get install qpdf)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&locked).expect("read")
}

/// Every byte loket wrote in the data folder except the customer's documents (which are the locked
/// file itself): the database, its WAL, logs and configuration.
fn written_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in walkdir(dir) {
        let name = entry.to_string_lossy().to_string();
        if name.contains("/documents/") || name.ends_with(".pdf") {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&entry) {
            all.extend_from_slice(&bytes);
        }
    }
    all
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A locked PDF's password opens and stamps the document in the process it was given to and is
/// never stored: another process (the worker, a restarted counter) finds the job waiting for it,
/// draws no serial, and goes on once the password is given again; a wrong one is refused.
#[test]
fn a_locked_documents_password_is_never_stored_and_is_asked_again_after_a_restart() {
    const SECRET: &str = "Kunci-Rahasia-77";
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    open_till(b);
    let bytes = locked_letter(5, SECRET);
    let refused = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: bytes.clone(),
            name: "terkunci.pdf".into(),
            ticket: None,
            counter: 1,
            clerk: CLERK.into(),
            password: None,
        })
        .expect_err("a locked file needs its password");
    assert!(refused.to_string().contains("kata sandi"), "{refused}");
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes,
            name: "terkunci.pdf".into(),
            ticket: None,
            counter: 1,
            clerk: CLERK.into(),
            password: Some(SECRET.into()),
        })
        .expect("received with its password");
    assert!(job.locked);
    let place = job.proposed.expect("proposed place");
    b.stamping().place_job(job.id, CLERK, place).expect("place");
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(1), CLERK, None)
        .expect("quote");
    b.till()
        .pay_sale(
            loket::till::SaleId(sale),
            CLERK,
            &[Tender::Cash {
                tendered: rp(10_000),
            }],
        )
        .expect("pay");
    b.stamping().job_paid(job.id, CLERK).expect("paid");

    // Another process: the password is not there.
    let mut other = t.reopen();
    let err = other
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect_err("waits for the password");
    assert!(
        err.to_string().contains("ketik lagi kata sandinya"),
        "{err}"
    );
    let waiting = other.stamping().job(job.id).expect("job");
    assert!(
        waiting.message.contains("kata sandinya"),
        "{}",
        waiting.message
    );
    let round = loket::stamping::worker::round(&mut other, true).expect("worker round");
    assert_eq!(round.attempted, 0, "the worker leaves it to the counter");
    assert!(round.errors.is_empty(), "{:?}", round.errors);
    let drawn: i64 = other
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM serials WHERE job_id = ?1",
            [job.id],
            |r| r.get(0),
        )
        .expect("serials");
    assert_eq!(
        drawn, 0,
        "no serial is drawn for a job that cannot be stamped"
    );
    let wrong = other
        .stamping()
        .unlock_job(job.id, "salah")
        .expect_err("wrong password");
    assert!(wrong.to_string().contains("salah"), "{wrong}");
    other
        .stamping()
        .unlock_job(job.id, SECRET)
        .expect("the right one");
    let done = other
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect("stamp");
    assert_eq!(done.state, State::Stamped, "{}", done.message);
    let out = other.stamping().job_output(job.id).expect("output");
    let stamped = std::fs::read(&out.path).expect("stamped file");
    let report = loket::pdf::verify_pdf(&stamped, Some(SECRET), None).expect("verify");
    assert!(report.signatures.iter().any(|s| s.valid), "{report:?}");

    // Nowhere in what loket wrote: database, WAL, journal, logs.
    drop(other);
    let written = written_bytes(t.path());
    assert!(!written.is_empty());
    assert!(
        !written
            .windows(SECRET.len())
            .any(|w| w == SECRET.as_bytes()),
        "the password was written somewhere in the data folder"
    );
}

/// A paid job whose own visit is still open at another counter is not taken up by a second visit:
/// the refusal names that counter and the supervisor's move.
#[test]
fn a_paid_job_still_open_at_another_counter_is_not_taken_up() {
    let mut t = TestBranch::new();
    let (_, job) = visit_with_stamped_job(&mut t, 3);
    let b = &mut t.branch;
    b.queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let second = b
        .queue()
        .call_next(loket::queue::CounterNo(2), CLERK)
        .expect("call")
        .expect("a ticket");
    let again = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(3),
            name: "surat-3.pdf".into(),
            ticket: Some(second.ticket.to_string()),
            counter: 2,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("received again");
    assert_eq!(
        b.stamping().earlier_paid_job(again.id).expect("lookup"),
        Some(job)
    );
    let err = b
        .stamping()
        .take_up_earlier_job(
            again.id,
            loket::stamping::JobId(job),
            &second.ticket.to_string(),
            loket::queue::CounterNo(2),
            CLERK,
        )
        .expect_err("open at counter 1");
    let said = err.to_string();
    assert!(
        said.contains("loket 1") && said.contains("move-visit"),
        "{said}"
    );
    assert_eq!(
        b.stamping().job(again.id).expect("job").state,
        State::Received
    );
}
