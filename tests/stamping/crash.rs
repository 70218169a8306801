//! Crash safety: the real binary aborts right after each transition's commit
//! (`LOKET_CRASH_AT=<point>`), is started again, and the job ends stamped with its money and serial
//! numbers accounted for exactly once.

use super::support::letter;
use crate::common::{loket, loket_ok};
use loket::Branch;
use loket::stamping::State;
use std::path::Path;
use std::process::Command;

/// Points after whose commit the process aborts (see `stamping::service::crash_point`).
const POINTS: &[&str] = &[
    "paid",
    "serial_requested",
    "serial_received",
    "serial_issued",
    "stamp_written",
    "stamped",
];

fn loket_crashing(data: &Path, point: &str, args: &[&str]) -> std::process::Output {
    Command::new(crate::common::loket_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .env("LOKET_CRASH_AT", point)
        .env_remove("LOKET_DATA")
        .output()
        .expect("run loket")
}

/// The invariants after recovery, read by an independent connection.
fn check_invariants(data: &Path, job: i64, point: &str) {
    let mut b = Branch::open(data).expect("open");
    let v = b.job(job).expect("job");
    assert_eq!(v.state, State::Stamped, "{point}: {}", v.message);
    let (stamped, issued, spoiled): (i64, i64, i64) = b
        .store
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(status = 'stamped'), 0), COALESCE(SUM(status = 'issued'), 0),
                        COALESCE(SUM(status = 'spoiled'), 0) FROM serials WHERE job_id = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(loket::store::StoreError::Sql)
        })
        .expect("serials");
    assert_eq!(
        (stamped, issued, spoiled),
        (1, 0, 0),
        "{point}: one SN, stamped"
    );
    let orphans: i64 = b
        .store
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM serials s LEFT JOIN stamp_jobs j ON j.id = s.job_id
                 WHERE s.status = 'issued' AND (j.id IS NULL OR j.state NOT IN ('paid', 'serial_issued'))",
                [],
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::Sql)
        })
        .expect("orphans");
    assert_eq!(
        orphans, 0,
        "{point}: no SN left issued without a job in progress"
    );
    let (lines, paid): (i64, i64) = b
        .store
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(s.status = 'paid'), 0) FROM sale_lines l JOIN sales s ON s.id = l.sale
                 WHERE l.job = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(loket::store::StoreError::Sql)
        })
        .expect("sale lines");
    assert_eq!((lines, paid), (1, 1), "{point}: charged exactly once");
    let out = b.job_output(job).expect("output");
    let bytes = std::fs::read(&out.path).expect("stamped file");
    let report = loket::pdf::verify_pdf(&bytes, None, None).expect("verify");
    assert!(report.all_valid(), "{point}: {report:?}");
    assert_eq!(report.signatures[0].serial, v.sn, "{point}");
    let journal = loket_ok(data, &["journal", "verify", "--json"]);
    assert!(journal.contains("\"tamper\": null"), "{point}: {journal}");
}

#[test]
fn a_crash_after_any_transition_resumes_to_one_stamp_and_one_charge() {
    for point in POINTS {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path();
        loket_ok(data, &["init"]);
        loket_ok(data, &["till", "open", "-c", "1", "--float", "100000"]);
        let pdf = data.join("surat.pdf");
        std::fs::write(&pdf, letter(7)).expect("letter");
        let job: i64 = loket_ok(data, &["job", "new", pdf.to_str().expect("utf-8")])
            .parse()
            .expect("job id");
        let id = job.to_string();
        loket_ok(data, &["job", "place", &id]);
        let pay = loket_crashing(data, point, &["job", "pay", &id, "--cash", "10000"]);
        if *point == "paid" {
            assert!(!pay.status.success(), "aborted after paid");
        } else {
            assert!(
                pay.status.success(),
                "{}",
                String::from_utf8_lossy(&pay.stderr)
            );
            let run = loket_crashing(data, point, &["job", "run", &id]);
            assert!(
                !run.status.success(),
                "{point}: the run should have aborted: {}",
                String::from_utf8_lossy(&run.stdout)
            );
        }
        // Started again: the clerk runs the job (the worker does the same at start-up).
        let again = loket(data, &["job", "run", &id, "--json"]);
        assert!(
            again.status.success(),
            "{point}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        check_invariants(data, job, point);
    }
}
