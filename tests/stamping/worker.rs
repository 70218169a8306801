//! The background worker: resumes unfinished jobs at start-up, e-mails the result to a customer who
//! left, and purges documents `keep_days` after delivery.

use super::support::{CLERK, eventually, paid_job};
use crate::common::TestBranch;
use loket::stamping::{State, ledger, worker};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn a_job_waiting_for_serials_is_finished_mailed_and_later_purged_by_the_worker() {
    let mut t = TestBranch::new();
    // A lot of one serial: the first job takes it, the second finds the inventory empty.
    t.branch
        .store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", "LOT-KECIL", 1, 10_000))
        .expect("lot");
    let first = paid_job(&mut t.branch, 1);
    assert_eq!(
        t.branch
            .stamping()
            .run_job(first.id, &mut |_| {})
            .expect("run")
            .state,
        State::Stamped
    );
    let second = paid_job(&mut t.branch, 2);
    let waiting = t
        .branch
        .stamping()
        .run_job(second.id, &mut |_| {})
        .expect("run");
    assert_eq!(waiting.state, State::Paid);
    assert!(waiting.message.contains("load-lot"), "{}", waiting.message);
    assert!(
        waiting.message.contains("tanda terima klaim"),
        "{}",
        waiting.message
    );
    t.branch
        .stamping()
        .set_job_email(second.id, "budi@contoh.test", CLERK)
        .expect("email");
    // The supervisor loads a lot; the retry is not yet due (manual clock), but a worker starting
    // up resumes every unfinished job.
    t.branch
        .store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", "LOT-2", 10, 100_000))
        .expect("lot 2");
    let handle = worker::start(t.path(), Arc::new(t.clock.clone())).expect("worker");
    let mut b = t.reopen();
    eventually("the waiting job is stamped and mailed", || {
        b.stamping().job(second.id).expect("job").state == State::Delivered
    });
    let outbox = b.delivery().outbox_list().expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, "budi@contoh.test");
    let out = b.stamping().job_output(second.id).expect("output");
    assert!(out.path.exists());
    // Three days later the documents stay; after keep_days they are purged, with a journal entry.
    t.clock.advance(time::Duration::days(2));
    let before = handle.rounds();
    handle.wake();
    eventually("a round ran", || handle.rounds() > before);
    assert_eq!(handle.last_round().expect("round").purged, 0);
    assert!(out.path.exists(), "kept until keep_days have passed");
    t.clock.advance(time::Duration::days(2));
    handle.wake();
    eventually("the delivered documents are purged", || !out.path.exists());
    handle.stop();
    let purged: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'document.purged'",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("journal");
    assert_eq!(
        purged, 2,
        "the original and the stamped file of the delivered job"
    );
    assert!(
        b.stamping()
            .job_output(first.id)
            .expect("first")
            .path
            .exists(),
        "the first job was never delivered: its output stays"
    );
}

#[test]
fn files_a_crash_left_in_the_document_store_are_swept_at_start_up() {
    use loket::stamping::documents::Documents;
    use std::time::SystemTime;
    let mut t = TestBranch::new();
    let job = paid_job(&mut t.branch, 70);
    let letter_sha: String = t
        .branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT document_sha256 FROM stamp_jobs WHERE id = ?1",
                [job.id],
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("letter");
    let docs = Documents::new(t.path());
    // Written, but the commit that would record them never happened.
    let orphan = docs.put(b"%PDF-1.7 yatim").expect("orphan");
    let fresh = docs.put(b"%PDF-1.7 baru").expect("fresh orphan");
    let tmp = docs
        .path_of(&orphan)
        .with_file_name(".0123456789abcdef.1.tmp");
    std::fs::write(&tmp, b"%PDF-1.7 setengah").expect("temporary file");
    // Aged on the file system's own clock (the one the sweep measures by), whatever the process
    // clock says.
    for path in [
        docs.path_of(&orphan),
        docs.path_of(&letter_sha),
        tmp.clone(),
    ] {
        let written: SystemTime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("file time");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(written - Duration::from_secs(7_200)))
            .expect("age the file");
    }

    let round = worker::round(&mut t.branch, true).expect("start-up round");
    assert_eq!(round.swept, 2, "{round:?}");
    assert!(!docs.path_of(&orphan).exists());
    assert!(!tmp.exists());
    assert!(
        docs.path_of(&fresh).exists(),
        "younger than an hour: it may belong to a commit in progress"
    );
    assert!(
        docs.path_of(&letter_sha).exists(),
        "the job's letter stays, however old"
    );
    let entries: i64 = t
        .branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'document.orphan_removed'",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("journal");
    assert_eq!(entries, 2);
    // The same round resumed the paid job from its (old) letter.
    assert_eq!(
        t.branch.stamping().job(job.id).expect("job").state,
        State::Stamped
    );
    // A later round sweeps nothing more.
    assert_eq!(worker::round(&mut t.branch, true).expect("again").swept, 0);
}
