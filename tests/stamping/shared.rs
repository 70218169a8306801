//! Documents on the branch server: a job received at one counter is stamped, delivered and purged
//! from other PCs, every read checked against the document's hash; content a crash left unnamed is
//! swept; a one-PC branch's documents move to the server with `loket store migrate`. Each test has
//! its own database on a real PostgreSQL 15 and PCs with data folders of their own.

use super::peruri::{on_peruri, quick_config, real_signer};
use super::support::{CLERK, eventually, letter, paid_job};
use crate::common::pg::TestDb;
use crate::common::{MORNING, loket, server_pc};
use loket::Branch;
use loket::clock::ManualClock;
use loket::config::PeruriMode;
use loket::pdf::pki::TrainingPkiPaths;
use loket::server::PcKind;
use loket::stamping::documents::{Documents, sha256_hex};
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::{JobId, State, ledger, service, worker};
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Fault, Route};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A branch server for `db` and the login URL of each PC kind.
fn server(db: &TestDb) -> impl Fn(PcKind) -> String {
    let code = db.code.parse().expect("a branch code");
    let made = loket::server::init(&db.owner_url(), &code).expect("server init");
    move |kind| {
        made.logins
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| l.url.clone())
            .expect("a login of every kind")
    }
}

fn open(data: &Path, clock: &ManualClock) -> Branch {
    Branch::open_with_clock(data, Arc::new(clock.clone())).expect("open the PC's branch")
}

/// Parts stored on the server under `sha256`.
fn parts_on_server(db: &TestDb, sha256: &str) -> i64 {
    db.owner()
        .query_one(
            "SELECT COUNT(*) FROM loket.document_parts WHERE sha256 = $1",
            &[&sha256],
        )
        .expect("count the parts")
        .get(0)
}

/// The job's received document and stamped output, as the store names them.
fn hashes(b: &mut Branch, job: JobId) -> (String, Option<String>) {
    b.store_mut()
        .read(|c| {
            c.query_row(
                "SELECT document_sha256, stamped_sha256 FROM stamp_jobs WHERE id = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("the job's hashes")
}

#[test]
fn a_job_received_at_one_counter_is_stamped_delivered_and_purged_from_other_pcs() {
    let db = TestDb::new();
    let login = server(&db);
    let clock = ManualClock::new(MORNING);
    let (owner, counter, worker_pc) = (
        server_pc(&db.owner_url(), "", None),
        server_pc(&login(PcKind::Counter), "", None),
        server_pc(&login(PcKind::Worker), "", None),
    );
    open(owner.path(), &clock)
        .store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", "LOT-1", 10, 10_000))
        .expect("a lot of serials");

    // Counter 1 receives the letter and takes the payment; the customer leaves an e-mail address.
    let mut at_counter = open(counter.path(), &clock);
    let job = paid_job(&mut at_counter, 5);
    at_counter
        .stamping()
        .set_job_email(job.id, "budi@contoh.test", CLERK)
        .expect("e-mail");
    let (original, _) = hashes(&mut at_counter, job.id);
    assert_eq!(original, sha256_hex(&letter(5)));
    assert!(parts_on_server(&db, &original) > 0, "stored on the server");
    let worker_docs = Documents::new(worker_pc.path());
    assert!(!worker_docs.path_of(&original).exists());

    // The worker PC, which never saw the letter, stamps it and mails it.
    let handle = worker::start(worker_pc.path(), Arc::new(clock.clone())).expect("worker");
    let mut at_worker = open(worker_pc.path(), &clock);
    eventually("the worker PC stamps and mails the job", || {
        at_worker.stamping().job(job.id).expect("job").state == State::Delivered
    });
    let (_, stamped) = hashes(&mut at_worker, job.id);
    let stamped = stamped.expect("a stamped output");
    assert!(parts_on_server(&db, &stamped) > 0);
    assert_eq!(
        std::fs::read(worker_docs.path_of(&original)).expect("the worker's copy"),
        letter(5),
        "the worker read the letter from the server"
    );

    // Back at the counter, the stamped file is there to copy to the customer's drive.
    let out = at_counter.stamping().job_output(job.id).expect("output");
    assert!(
        out.path.starts_with(counter.path()),
        "{}",
        out.path.display()
    );
    let bytes = std::fs::read(&out.path).expect("the counter's copy");
    assert_eq!(sha256_hex(&bytes), stamped);

    // Content damaged on the server is refused, never handed on.
    std::fs::remove_file(&out.path).expect("drop the counter's copy");
    db.owner()
        .execute(
            "UPDATE loket.document_parts SET data = '\\x00'::bytea WHERE sha256 = $1",
            &[&stamped],
        )
        .expect("damage the stored output");
    let refused = at_counter.stamping().job_output(job.id);
    let said = match refused {
        Ok(out) => panic!("a damaged output was handed on: {}", out.path.display()),
        Err(e) => e.to_string(),
    };
    assert!(said.contains("rusak"), "{said}");
    assert!(!out.path.exists());

    // After the keeping time the worker PC purges both, on the server and in its folder; the
    // counter's own copy of the letter goes at its next round.
    let keep_days = at_worker.config().stamping.keep_days;
    clock.advance(time::Duration::days(i64::from(keep_days) + 1));
    handle.wake();
    eventually("the documents leave the server", || {
        parts_on_server(&db, &original) == 0 && parts_on_server(&db, &stamped) == 0
    });
    eventually("the worker PC's copies go", || {
        !worker_docs.path_of(&original).exists() && !worker_docs.path_of(&stamped).exists()
    });
    handle.stop();
    let counter_docs = Documents::new(counter.path());
    assert!(counter_docs.path_of(&original).exists());
    let counter_round = worker::start(counter.path(), Arc::new(clock.clone())).expect("worker");
    eventually("the counter's copy of the purged letter goes", || {
        !counter_docs.path_of(&original).exists()
    });
    counter_round.stop();
    // Each document's purge is recorded once, whichever PCs' workers looked at it.
    let purges: i64 = db
        .owner()
        .query_one(
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'document.purged'",
            &[],
        )
        .expect("journal")
        .get(0);
    assert_eq!(purges, 2, "the letter and its stamped output");
}

#[test]
fn content_a_crash_left_unnamed_on_the_server_is_swept_and_named_content_stays() {
    let db = TestDb::new();
    let login = server(&db);
    let clock = ManualClock::new(MORNING);
    let counter = server_pc(&login(PcKind::Counter), "", None);
    let mut b = open(counter.path(), &clock);
    let job = paid_job(&mut b, 8);
    let (named, _) = hashes(&mut b, job.id);
    // Stored, then the process died before the commit that would have named it.
    let docs = Documents::at(counter.path(), b.store_mut().server_address());
    let orphan = docs.put(&letter(9)).expect("put");
    assert!(parts_on_server(&db, &orphan) > 0);

    // Younger than the age: left alone.
    assert_eq!(
        worker::sweep_orphans(&mut b, Duration::from_secs(3_600)).expect("sweep"),
        0
    );
    assert!(parts_on_server(&db, &orphan) > 0);
    let swept = worker::sweep_orphans(&mut b, Duration::ZERO).expect("sweep");
    assert!(swept >= 1, "swept {swept}");
    assert_eq!(parts_on_server(&db, &orphan), 0);
    assert!(parts_on_server(&db, &named) > 0, "the job's letter stays");
    let journalled: i64 = db
        .owner()
        .query_one(
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'document.orphan_removed'
             AND subject = $1 AND detail LIKE '%\"server\"%'",
            &[&orphan],
        )
        .expect("journal")
        .get(0);
    assert_eq!(journalled, 1);
    assert_eq!(
        b.stamping().job(job.id).expect("job").state,
        State::Paid,
        "the job is untouched"
    );
}

#[test]
fn the_display_and_the_kiosk_cannot_read_a_document() {
    let db = TestDb::new();
    let login = server(&db);
    for kind in [PcKind::Display, PcKind::Dispenser] {
        let mut c = postgres::Client::connect(&login(kind), postgres::NoTls)
            .unwrap_or_else(|e| panic!("log in as {kind:?}: {e}"));
        let refused = c
            .query("SELECT data FROM loket.document_parts", &[])
            .expect_err("no document for this PC kind");
        assert_eq!(
            refused.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{kind:?}: {refused}"
        );
    }
}

#[test]
fn a_one_pc_branch_moves_its_documents_to_the_server_and_reports_the_missing_one() {
    // The one-PC branch: its own SQLite file, whichever engine this run's branches use.
    let file_pc = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        file_pc.path().join(loket::config::FILE_NAME),
        loket::config::DEFAULT_TOML,
    )
    .expect("config");
    let clock = ManualClock::new(MORNING);
    let mut b = open(file_pc.path(), &clock);
    assert!(!b.store_mut().is_server());
    b.store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", "LOT-1", 10, 10_000))
        .expect("lot");
    let stamped_job = paid_job(&mut b, 11);
    b.stamping()
        .run_job(stamped_job.id, &mut |_| {})
        .expect("stamp");
    let waiting = paid_job(&mut b, 12);
    let lost = paid_job(&mut b, 13);
    let (lost_sha, _) = hashes(&mut b, lost.id);
    let (_, stamped) = hashes(&mut b, stamped_job.id);
    let stamped = stamped.expect("stamped");
    drop(b);
    std::fs::remove_file(Documents::new(file_pc.path()).path_of(&lost_sha)).expect("lose one");

    let db = TestDb::new();
    let _ = server(&db);
    let out = loket(
        file_pc.path(),
        &["store", "migrate", "--to", &db.owner_url()],
    );
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    // Three letters and one stamped output, less the lost letter.
    assert!(said.contains("3 dokumen disalin"), "{said}");
    assert!(
        said.contains(&format!("dokumen {lost_sha} tidak ada")),
        "{said}"
    );

    // A new PC on the server, with an empty data folder, has every document the folder held.
    let pc = server_pc(&db.owner_url(), "", None);
    let mut on_server = open(pc.path(), &clock);
    let out = on_server
        .stamping()
        .job_output(stamped_job.id)
        .expect("output");
    assert_eq!(
        sha256_hex(&std::fs::read(&out.path).expect("read")),
        stamped
    );
    let letter_path = on_server
        .stamping()
        .job_document_path(waiting.id)
        .expect("letter");
    assert_eq!(std::fs::read(letter_path).expect("read"), letter(12));
    assert!(parts_on_server(&db, &lost_sha) == 0);
}

/// A PC's data folder on the branch server at `url`, stamping through the fake Peruri.
fn peruri_pc(
    url: &str,
    fake: &FakePeruri,
    share: &Path,
    ca: &Path,
) -> (tempfile::TempDir, loket::config::PeruriConfig) {
    let cfg = quick_config(fake, PeruriMode::Onprem);
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        data.path().join(loket::config::FILE_NAME),
        format!(
            "{}\n[store]\nurl = {}\n",
            on_peruri(loket::config::DEFAULT_TOML, &cfg, share, ca),
            toml::Value::String(url.to_string())
        ),
    )
    .expect("write loket.toml");
    // Each PC logs in to Peruri on its own and keeps breakers of its own.
    service::install_provider(
        data.path(),
        Arc::new(PeruriProvider::isolated(cfg.clone()).expect("provider")),
    );
    (data, cfg)
}

#[test]
fn the_workers_of_two_pcs_stamp_fifty_retried_jobs_each_once() {
    const JOBS: u32 = 50;
    let db = TestDb::new();
    let login = server(&db);
    let share = tempfile::tempdir().expect("share");
    let pki = tempfile::tempdir().expect("pki");
    let fake = FakePeruri::start(FakeOptions {
        shared_folder: Some(share.path().to_path_buf()),
        quota: 1_000,
        signer: real_signer(pki.path()),
        ..FakeOptions::default()
    })
    .expect("fake peruri");
    let ca = TrainingPkiPaths::in_dir(pki.path()).ca_cert;
    let clock = ManualClock::new(MORNING);
    let (counter, _) = peruri_pc(&login(PcKind::Counter), &fake, share.path(), &ca);
    let (first, _) = peruri_pc(&login(PcKind::Worker), &fake, share.path(), &ca);
    let (second, _) = peruri_pc(&login(PcKind::Worker), &fake, share.path(), &ca);

    // The counter takes fifty paid letters while Peruri's adapter is down: each waits for a retry
    // (with its serial, or before one once the counter's breaker opened).
    let mut at_counter = open(counter.path(), &clock);
    fake.inject(Some(Route::AdapterSign), Fault::Status(503), u32::MAX);
    let mut jobs = Vec::new();
    for n in 0..JOBS {
        let job = paid_job(&mut at_counter, 300 + n);
        let v = at_counter
            .stamping()
            .run_job(job.id, &mut |_| {})
            .expect("run");
        assert!(v.state.is_unfinished(), "{:?}: {}", v.state, v.message);
        jobs.push(job.id);
    }
    let refused = fake.count(Route::AdapterSign);
    assert!(refused > 0, "the counter's tries reached Peruri's adapter");
    fake.clear_faults();

    // Later, two PCs' workers retry them at once.
    clock.advance(time::Duration::hours(1));
    let handles = [
        worker::start(first.path(), Arc::new(clock.clone())).expect("worker 1"),
        worker::start(second.path(), Arc::new(clock.clone())).expect("worker 2"),
    ];
    eventually("every job is stamped", || {
        handles.iter().for_each(worker::Handle::wake);
        jobs.iter()
            .all(|id| at_counter.stamping().job(*id).expect("job").state == State::Stamped)
    });
    for h in handles {
        h.stop();
    }

    // One serial per job, stamped once: on Peruri's side and in the branch's ledger and journal.
    let serials = fake.serials();
    assert_eq!(serials.len(), jobs.len(), "one serial drawn per job");
    assert!(serials.iter().all(|s| s.status == "STAMP"));
    let mut owner = db.owner();
    let per_job = owner
        .query(
            "SELECT job_id, COUNT(*) FROM loket.serials WHERE status = 'stamped' GROUP BY job_id",
            &[],
        )
        .expect("ledger");
    assert_eq!(per_job.len(), jobs.len());
    assert!(per_job.iter().all(|r| r.get::<_, i64>(1) == 1));
    let stamped_entries: i64 = owner
        .query_one(
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'job.stamped'",
            &[],
        )
        .expect("journal")
        .get(0);
    assert_eq!(stamped_entries, i64::from(JOBS), "each job stamped once");
    // Every output is on the server for whichever PC delivers it.
    for id in &jobs {
        let (_, stamped) = hashes(&mut at_counter, *id);
        assert!(parts_on_server(&db, &stamped.expect("stamped")) > 0);
    }
}
