//! The local provider's one-commit path: serials drawn in the order lots were loaded, a serial
//! another process drew meanwhile let go with its output, and counters stamping at once never
//! sharing a serial.

use super::support::paid_job;
use crate::common::TestBranch;
use loket::stamping::documents::{Documents, FOLDER};
use loket::stamping::ledger;
use loket::stamping::{JobStage, State};
use std::collections::HashSet;
use std::path::Path;

/// Files under `dir`, in every subfolder.
fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    let path = e.expect("entry").path();
                    if path.is_dir() { files_in(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn load_lot(t: &mut TestBranch, lot: &str, count: u32) {
    t.branch
        .store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", lot, count, 0))
        .expect("lot");
}

/// The serials of a lot, in draw order.
fn lot_serials(t: &mut TestBranch, lot: &str) -> Vec<String> {
    t.branch
        .store_mut()
        .read(|c| {
            let mut stmt = c.prepare("SELECT sn FROM serials WHERE lot_id = ?1 ORDER BY sn")?;
            let rows = stmt
                .query_map([lot], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok::<_, loket::store::StoreError>(rows)
        })
        .expect("serials")
}

#[test]
fn serials_are_drawn_oldest_lot_first_in_one_commit_with_every_journal_entry() {
    let mut t = TestBranch::new();
    load_lot(&mut t, "LOT-A", 3);
    t.clock.advance(time::Duration::minutes(1));
    load_lot(&mut t, "LOT-B", 3);
    let a = lot_serials(&mut t, "LOT-A");
    let b = lot_serials(&mut t, "LOT-B");
    let mut drawn = Vec::new();
    for n in 0..4 {
        let job = paid_job(&mut t.branch, 40 + n);
        let mut stages = Vec::new();
        let v = t
            .branch
            .stamping()
            .run_job(job.id, &mut |s| stages.push(s))
            .expect("run");
        assert_eq!(v.state, State::Stamped, "{}", v.message);
        assert_eq!(
            stages,
            vec![
                JobStage::IssuingSerial,
                JobStage::Stamping,
                JobStage::Verifying,
                JobStage::Stored
            ]
        );
        drawn.push(v.sn.expect("sn"));
        // Every transition has its entry, all four written by the one commit after the output.
        let kinds: Vec<String> = t
            .branch
            .store_mut()
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT kind FROM journal WHERE seq > (SELECT MAX(seq) FROM journal WHERE kind = 'job.paid')
                     ORDER BY seq",
                )?;
                let rows = stmt
                    .query_map((), |r| r.get(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok::<_, loket::store::StoreError>(rows)
            })
            .expect("journal");
        assert_eq!(
            kinds,
            [
                "job.serial_requested",
                "serial.drawn",
                "job.serial_issued",
                "job.stamped"
            ]
        );
    }
    assert_eq!(
        drawn,
        [&a[..], &b[..1]].concat(),
        "LOT-A in order, then LOT-B"
    );
}

#[test]
fn a_serial_drawn_elsewhere_meanwhile_is_let_go_with_its_output() {
    let mut t = TestBranch::new();
    load_lot(&mut t, "LOT-A", 5);
    let serials = lot_serials(&mut t, "LOT-A");
    let job = paid_job(&mut t.branch, 50);
    // Another process draws the serial this job holds between its stamping and its commit: the
    // trigger takes it (once) at the moment the job's own draw would, and skips the job's update.
    t.branch
        .store()
        .conn()
        .execute_batch(
            "CREATE TABLE taken_elsewhere (sn TEXT);
             CREATE TRIGGER draw_elsewhere BEFORE UPDATE OF status ON serials
             WHEN OLD.status = 'available' AND NEW.status = 'issued'
                  AND NOT EXISTS (SELECT 1 FROM taken_elsewhere)
             BEGIN
                 INSERT INTO taken_elsewhere VALUES (OLD.sn);
                 UPDATE serials SET status = 'issued', issued_ms = 0 WHERE sn = OLD.sn;
                 SELECT RAISE(IGNORE);
             END;",
        )
        .expect("trigger");
    let v = t
        .branch
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect("run");
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    let taken: String = t
        .branch
        .store()
        .conn()
        .query_row("SELECT sn FROM taken_elsewhere", (), |r| r.get(0))
        .expect("the trigger fired");
    assert_eq!(taken, serials[0], "the first serial was taken elsewhere");
    assert_eq!(v.sn.as_deref(), Some(serials[1].as_str()), "the next one");
    // The output stamped with the lost serial was removed: the store holds the letter and the one
    // output that carries the job's serial.
    let docs = Documents::new(t.path());
    assert_eq!(files_in(&t.path().join(FOLDER)), 2);
    let out = t.branch.stamping().job_output(job.id).expect("output");
    let bytes = docs.get(&out.sha256).expect("stored output");
    let report = loket::pdf::verify_pdf(&bytes, None, None).expect("verify");
    assert_eq!(report.signatures[0].serial, v.sn);
}

#[test]
fn two_counters_stamping_at_once_never_share_a_serial() {
    let mut t = TestBranch::new();
    load_lot(&mut t, "LOT-A", 100);
    let mut jobs = Vec::new();
    for n in 0..12 {
        jobs.push(paid_job(&mut t.branch, 60 + n).id);
    }
    let (left, right) = jobs.split_at(jobs.len() / 2);
    let sns: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = [left, right]
            .into_iter()
            .map(|mine| {
                let mut b = t.reopen();
                s.spawn(move || {
                    mine.iter()
                        .map(|id| {
                            let v = b.stamping().run_job(*id, &mut |_| {}).expect("run");
                            assert_eq!(v.state, State::Stamped, "{}", v.message);
                            v.sn.expect("sn")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let distinct: HashSet<&String> = sns.iter().collect();
    assert_eq!(distinct.len(), jobs.len(), "{sns:?}");
    let inv = t
        .branch
        .store_mut()
        .read(|c| ledger::inventory(c).map_err(loket::store::StoreError::from))
        .expect("inventory");
    assert_eq!((inv.stamped, inv.issued, inv.available), (12, 0, 88));
    // One letter and one output per job, no output of a lost race left behind.
    assert_eq!(files_in(&t.path().join(FOLDER)), 2 * jobs.len());
}
