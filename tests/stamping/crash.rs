//! Crash safety: the real binary aborts right after each transition's commit
//! (`LOKET_CRASH_AT=<point>`), is started again, and the job ends stamped (or delivered) with its
//! money and serial numbers accounted for exactly once.
//!
//! With the local provider `serial_requested`, `serial_issued` and `stamped` are one commit (the
//! serial is drawn in the transaction that records the stored output), `serial_received` is the
//! moment the serial is held and on the stamped bytes but nothing is recorded, and `stamp_written`
//! the moment the output file is durable but not yet recorded. `serial_spoiled` runs through the
//! fake Peruri (the only provider that spoils serials), `delivered` after a copy to a drive and
//! after an e-mail is queued. The Peruri path is crashed at the same points and at
//! `stamp_received` (the output kept under the job's id, not yet stored): Peruri never issues a
//! second serial, and a stamped output is never asked for twice.

use super::peruri::real_signer;
use super::support::letter;
use crate::common::{loket, loket_ok};
use loket::Branch;
use loket::pdf::pki::TrainingPkiPaths;
use loket::stamping::State;
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Fault, Route};
use std::path::Path;
use std::process::Command;

/// Points after whose commit the process aborts (see `loket::crash::point`).
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
        .env(loket::crash::ENV, point)
        .env_remove("LOKET_DATA")
        .output()
        .expect("run loket")
}

/// `loket job run JOB` aborted right after the commit named `point`.
fn run_aborts_at(data: &Path, point: &str, job: &str) {
    let run = loket_crashing(data, point, &["job", "run", job]);
    assert!(
        !run.status.success(),
        "{point}: the run should have aborted: {} {}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Started again: the clerk runs the job (the worker does the same at start-up) and it succeeds.
fn run_again(data: &Path, point: &str, job: &str) {
    let again = loket(data, &["job", "run", job, "--json"]);
    assert!(
        again.status.success(),
        "{point}: {}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// The invariants after recovery, read by an independent connection: the job in `state`, one
/// serial stamped on its document and `spoiled` more on the claims list, none left issued.
fn check_invariants(data: &Path, job: i64, point: &str, state: State, spoiled: i64) {
    let mut b = Branch::open(data).expect("open");
    let v = b.stamping().job(loket::stamping::JobId(job)).expect("job");
    assert_eq!(v.state, state, "{point}: {}", v.message);
    let (stamped, issued, spoilt): (i64, i64, i64) = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(CASE WHEN status = 'stamped' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'issued' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN status = 'spoiled' THEN 1 ELSE 0 END), 0) FROM serials WHERE job_id = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("serials");
    assert_eq!(
        (stamped, issued, spoilt),
        (1, 0, spoiled),
        "{point}: one SN stamped, {spoiled} spoiled"
    );
    let orphans: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM serials s LEFT JOIN stamp_jobs j ON j.id = s.job_id
                 WHERE s.status = 'issued' AND (j.id IS NULL OR j.state NOT IN ('paid', 'serial_issued'))",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("orphans");
    assert_eq!(
        orphans, 0,
        "{point}: no SN left issued without a job in progress"
    );
    let (lines, paid): (i64, i64) = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.status = 'paid' THEN 1 ELSE 0 END), 0) FROM sale_lines l JOIN sales s ON s.id = l.sale
                 WHERE l.job = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("sale lines");
    assert_eq!((lines, paid), (1, 1), "{point}: charged exactly once");
    let out = b
        .stamping()
        .job_output(loket::stamping::JobId(job))
        .expect("output");
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
            run_aborts_at(data, point, &id);
        }
        run_again(data, point, &id);
        check_invariants(data, job, point, State::Stamped, 0);
    }
}

/// A branch folder with an open till and a paid job for letter 7; returns the job id.
fn paid_job(data: &Path) -> i64 {
    loket_ok(data, &["till", "open", "-c", "1", "--float", "100000"]);
    let pdf = data.join("surat.pdf");
    std::fs::write(&pdf, letter(7)).expect("letter");
    let job: i64 = loket_ok(data, &["job", "new", pdf.to_str().expect("utf-8")])
        .parse()
        .expect("job id");
    let id = job.to_string();
    loket_ok(data, &["job", "place", &id]);
    loket_ok(data, &["job", "pay", &id, "--cash", "10000"]);
    job
}

#[test]
fn a_crash_after_delivery_leaves_the_job_delivered_with_one_copy_and_one_mail() {
    let dir = tempfile::tempdir().expect("dir");
    let drive = tempfile::tempdir().expect("drive");
    let data = dir.path();
    loket_ok(data, &["init"]);
    let job = paid_job(data);
    let id = job.to_string();
    loket_ok(data, &["job", "run", &id]);

    let to = drive.path().to_str().expect("utf-8");
    let copy = loket_crashing(data, "delivered", &["export", &id, "--to-drive", to]);
    assert!(
        !copy.status.success(),
        "the copy should have aborted after `delivered`: {}",
        String::from_utf8_lossy(&copy.stdout)
    );
    // Started again: the clerk repeats the copy; the file is there already and stays one file.
    loket_ok(data, &["export", &id, "--to-drive", to]);
    check_invariants(data, job, "delivered (drive)", State::Delivered, 0);
    let out = Branch::open(data)
        .expect("open")
        .stamping()
        .job_output(loket::stamping::JobId(job))
        .expect("output");
    let on_drive: Vec<_> = std::fs::read_dir(drive.path())
        .expect("drive")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(on_drive.len(), 1, "{on_drive:?}");
    assert_eq!(
        std::fs::read(&on_drive[0]).expect("copy"),
        std::fs::read(&out.path).expect("stored output")
    );

    let mail = loket_crashing(
        data,
        "delivered",
        &["mail", &id, "--to", "budi@contoh.test", "--no-send"],
    );
    assert!(!mail.status.success(), "the mail should have aborted");
    loket_ok(
        data,
        &["mail", &id, "--to", "budi@contoh.test", "--no-send"],
    );
    check_invariants(data, job, "delivered (mail)", State::Delivered, 0);
    let mut b = Branch::open(data).expect("open");
    let queued: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE job = ?1",
                [job.to_string()],
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("outbox");
    assert_eq!(queued, 1, "one e-mail queued for the address, not two");
}

#[test]
fn a_crash_after_a_spoiled_serial_resumes_with_a_new_one_and_claims_the_old() {
    let (fake, share, pki) = fake_peruri();
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    peruri_folder(data, &fake, share.path(), pki.path());
    let job = paid_job(data);
    let id = job.to_string();
    // The adapter answers 92 once: the serial is spoiled, and the process dies right after that
    // commit, before it asks for the next serial.
    fake.inject(Some(Route::AdapterSign), Fault::AdapterCode("92".into()), 1);
    run_aborts_at(data, "serial_spoiled", &id);
    run_again(data, "serial_spoiled", &id);
    check_invariants(data, job, "serial_spoiled", State::Stamped, 1);
    // Both serials Peruri issued are in the ledger; the spoiled one is on the claims list.
    let issued = fake.serials();
    assert_eq!(issued.len(), 2, "one spoiled, one stamped: {issued:?}");
    let claims = loket_ok(data, &["stamps", "claims", "--csv"]);
    let mut b = Branch::open(data).expect("open");
    let spoiled: String = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT sn FROM serials WHERE job_id = ?1 AND status = 'spoiled'",
                [job],
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("spoiled serial");
    assert!(issued.iter().any(|s| s.sn == spoiled));
    assert!(claims.contains(&spoiled), "{claims}");
}

/// The fake Peruri with a quota of 10 and loket's real signer behind its adapter; the shared folder
/// and the signer's keys live as long as the returned folders.
fn fake_peruri() -> (FakePeruri, tempfile::TempDir, tempfile::TempDir) {
    let share = tempfile::tempdir().expect("share");
    let pki = tempfile::tempdir().expect("pki");
    let fake = FakePeruri::start(FakeOptions {
        shared_folder: Some(share.path().to_path_buf()),
        quota: 10,
        signer: real_signer(pki.path()),
        ..FakeOptions::default()
    })
    .expect("fake peruri");
    (fake, share, pki)
}

/// A branch folder set up to stamp through `fake` (on-prem adapter, quick retries).
fn peruri_folder(data: &Path, fake: &FakePeruri, share: &Path, pki: &Path) {
    loket_ok(data, &["init"]);
    let config = data.join(loket::config::FILE_NAME);
    let cfg = fake.config(loket::config::PeruriMode::Onprem);
    let url = fake.base_url();
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("provider = \"local\"", "provider = \"peruri\"")
        + &format!(
            "\n[stamping.peruri]\nuser = \"{}\"\npassword = \"{}\"\nbackend_url = \"{url}\"\n\
             stampv2_url = \"{url}\"\nfileupload_url = \"{url}\"\nstampservice_url = \"{url}\"\n\
             adapter_url = \"{url}\"\nshared_folder = \"{}\"\nretries = 1\nbackoff_base_ms = 5\n\
             backoff_max_ms = 20\nroot_certs = [\"{}\"]\n",
            cfg.user,
            cfg.password.clone().unwrap_or_default(),
            share.display(),
            TrainingPkiPaths::in_dir(pki).ca_cert.display()
        );
    std::fs::write(&config, text).expect("peruri config");
}

/// The same crash points on the Peruri path, where the serial comes from the (fake) service: after
/// the restart the job is stamped with exactly one serial Peruri issued — a serial whose reply was
/// received but not yet recorded (`serial_received`) is found again through the request id and the
/// serial list, never requested twice.
#[test]
fn a_crash_on_the_peruri_path_resumes_without_a_second_serial() {
    // `stamp_received`: the provider's output is kept under the job's id, not yet in the store.
    let points = POINTS
        .iter()
        .copied()
        .filter(|p| *p != "paid")
        .chain(["stamp_received"]);
    for point in points {
        let (fake, share, pki) = fake_peruri();
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path();
        peruri_folder(data, &fake, share.path(), pki.path());
        let job = paid_job(data);
        let id = job.to_string();
        run_aborts_at(data, point, &id);
        run_again(data, point, &id);
        check_invariants(data, job, point, State::Stamped, 0);
        let issued = fake.serials();
        assert_eq!(
            issued.len(),
            1,
            "{point}: Peruri issued more than one serial for one job: {issued:?}"
        );
        let pending = data.join(loket::stamping::documents::PENDING_FOLDER);
        let left: Vec<_> = std::fs::read_dir(&pending)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "{point}: pending outputs left behind: {left:?}"
        );
    }
}
