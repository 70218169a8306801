//! The Peruri provider path through the stamping service, against the fake Peruri on loopback
//! with loket's real signer behind the fake adapter: every fault leaves every serial accounted for
//! and nobody charged twice.

use super::support::paid_job;
use crate::common::TestBranch;
use loket::config::PeruriMode;
use loket::pdf::pki::{TrainingPkiPaths, generate_training_pki};
use loket::pdf::{AppearanceOptions, IntakeOptions, SerialNumber, SignatureProfile, Signer};
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::{State, service};
use loket::testing::fake_peruri::{self, FakeOptions, FakePeruri, Fault, Route, SignCall};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The fake adapter signs with loket's engine and a training certificate: outputs are real
/// stamped PDFs the service verifies.
pub fn real_signer(dir: &std::path::Path) -> fake_peruri::Signer {
    let paths: TrainingPkiPaths = generate_training_pki(dir, "Peruri Tiruan").expect("pki");
    let signer = Signer::from_files(&paths.signer_key, &paths.signer_chain).expect("signer");
    Arc::new(move |call: &SignCall| {
        let fail = |e: String| ("82".to_string(), e);
        let prepared = loket::pdf::intake(
            call.input.clone(),
            &IntakeOptions {
                password: call.password.clone(),
                ..IntakeOptions::default()
            },
        )
        .map_err(|e| fail(e.to_string()))?;
        let serial = SerialNumber::parse(&call.sn).map_err(|e| fail(e.to_string()))?;
        let reason = call
            .reason
            .split_once("] ")
            .map_or(call.reason.as_str(), |(_, r)| r)
            .to_string();
        let [a, b, c, d] = call.rect;
        let spec = loket::pdf::StampSpec {
            page: call.page,
            rect: loket::pdf::Rect::new(a, b, c, d),
            serial,
            reason,
            location: call.location.clone(),
            signing_time: time::OffsetDateTime::now_utc(),
            appearance: AppearanceOptions {
                specimen: false,
                ..AppearanceOptions::default()
            },
            profile: SignatureProfile::Pkcs7Detached,
        };
        loket::pdf::stamp(prepared, &spec, &signer, None)
            .map(|s| s.to_vec())
            .map_err(|e| fail(e.to_string()))
    })
}

pub struct PeruriBranch {
    pub t: TestBranch,
    pub fake: FakePeruri,
    _share: tempfile::TempDir,
    _pki: tempfile::TempDir,
}

/// A branch configured for Peruri, stamping through the fake (on-prem mode, quick retries, a
/// breaker that cools down at once so the test can go on).
pub fn peruri_branch(quota: u64) -> PeruriBranch {
    peruri_branch_in(quota, PeruriMode::Onprem)
}

/// [`peruri_branch`] in the given mode.
pub fn peruri_branch_in(quota: u64, mode: PeruriMode) -> PeruriBranch {
    let share = tempfile::tempdir().expect("share");
    let pki = tempfile::tempdir().expect("pki");
    let fake = FakePeruri::start(FakeOptions {
        shared_folder: Some(share.path().to_path_buf()),
        quota,
        signer: real_signer(pki.path()),
        ..FakeOptions::default()
    })
    .expect("fake peruri");
    let cfg = quick_config(&fake, mode);
    let t = TestBranch::with_config(|text| {
        on_peruri(
            text,
            &cfg,
            share.path(),
            &TrainingPkiPaths::in_dir(pki.path()).ca_cert,
        )
    });
    service::install_provider(
        t.path(),
        Arc::new(PeruriProvider::isolated(cfg).expect("provider")),
    );
    PeruriBranch {
        t,
        fake,
        _share: share,
        _pki: pki,
    }
}

/// The fake's provider settings with quick retries and a breaker that cools down at once.
pub fn quick_config(fake: &FakePeruri, mode: PeruriMode) -> loket::config::PeruriConfig {
    let mut cfg = fake.config(mode);
    cfg.breaker_cooldown_ms = 1;
    cfg.retries = 1;
    cfg
}

/// The configuration `text` stamping through Peruri as `cfg` says, with the fake's shared folder
/// and CA.
pub fn on_peruri(
    text: &str,
    cfg: &loket::config::PeruriConfig,
    share: &std::path::Path,
    ca: &std::path::Path,
) -> String {
    let mut text = text.replace("provider = \"local\"", "provider = \"peruri\"");
    text.push_str(&format!(
        "\n[stamping.peruri]\nuser = \"{}\"\npassword = \"x\"\nshared_folder = \"{}\"\nroot_certs = [\"{}\"]\n",
        cfg.user,
        share.display(),
        ca.display()
    ));
    text
}

/// Every SN the fake issued is in loket's ledger: on exactly one job's stamped document, or spoiled
/// with a reason. Every job holds one paid sale line.
pub fn check_accounted(p: &mut PeruriBranch) {
    let b = &mut p.t.branch;
    let ledger: HashMap<String, (String, Option<i64>, Option<String>)> = b
        .store_mut()
        .read(|c| {
            let mut stmt = c.prepare("SELECT sn, status, job_id, reason FROM serials")?;
            let rows = stmt
                .query_map((), |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
                .collect::<Result<HashMap<_, _>, _>>()?;
            Ok::<_, loket::store::StoreError>(rows)
        })
        .expect("ledger");
    for s in p.fake.serials() {
        let (status, job, reason) = ledger
            .get(&s.sn)
            .unwrap_or_else(|| panic!("SN {} issued by Peruri is missing from the ledger", s.sn));
        assert!(job.is_some(), "SN {} belongs to a job", s.sn);
        match status.as_str() {
            "stamped" => {}
            "spoiled" => assert!(reason.as_deref().is_some_and(|r| !r.is_empty()), "{}", s.sn),
            "issued" => {
                let v = b
                    .stamping()
                    .job(loket::stamping::JobId(job.expect("job")))
                    .expect("job");
                assert!(
                    v.state.is_unfinished(),
                    "SN {} issued for job {} in {:?}",
                    s.sn,
                    v.id,
                    v.state
                );
            }
            other => panic!("SN {} is {other}", s.sn),
        }
    }
    let stamped_twice: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM (SELECT job_id FROM serials WHERE status = 'stamped' GROUP BY job_id HAVING COUNT(*) > 1) AS twice",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("count");
    assert_eq!(stamped_twice, 0, "no job carries two stamped serials");
    let double_charged: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM (SELECT job FROM sale_lines WHERE job IS NOT NULL AND kind = 'item' GROUP BY job HAVING COUNT(*) > 1) AS twice",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("count");
    assert_eq!(double_charged, 0, "nobody charged twice");
}

/// Runs the job until it leaves the unfinished states (at most `tries` runs).
pub fn run_until_done(b: &mut loket::Branch, job: i64, tries: u32) -> loket::stamping::JobView {
    let mut v = b.stamping().job(loket::stamping::JobId(job)).expect("job");
    for _ in 0..tries {
        v = b
            .stamping()
            .run_job(loket::stamping::JobId(job), &mut |_| {})
            .expect("run");
        if !v.state.is_unfinished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    v
}

#[test]
fn each_fault_ends_stamped_with_every_serial_accounted_for() {
    let faults: Vec<(&str, Option<Route>, Fault, u32)> = vec![
        ("5xx", Some(Route::IssueSerial), Fault::Status(503), 4),
        (
            "429",
            Some(Route::IssueSerial),
            Fault::TooManyRequests { retry_after_s: 1 },
            3,
        ),
        (
            "timeout",
            Some(Route::AdapterSign),
            Fault::Hang(Duration::from_millis(2_500)),
            1,
        ),
        (
            "92",
            Some(Route::AdapterSign),
            Fault::AdapterCode("92".into()),
            1,
        ),
        (
            "97",
            Some(Route::AdapterSign),
            Fault::AdapterCode("97".into()),
            2,
        ),
        ("token expired", None, Fault::TokenExpired, 1),
        (
            "drop after SN issued",
            Some(Route::IssueSerial),
            Fault::DropAfterIssue,
            1,
        ),
        (
            "drop stamping reply",
            Some(Route::AdapterSign),
            Fault::DropReply,
            1,
        ),
    ];
    for (name, route, fault, times) in faults {
        let mut p = peruri_branch(100);
        let job = paid_job(&mut p.t.branch, 1);
        p.fake.inject(route, fault, times);
        let first =
            p.t.branch
                .stamping()
                .run_job(job.id, &mut |_| {})
                .expect("run");
        if first.state.is_unfinished() {
            assert!(first.next_attempt_ms.is_some(), "{name}: retry scheduled");
            assert!(
                first.message.contains("tanda terima klaim"),
                "{name}: {}",
                first.message
            );
        }
        check_accounted(&mut p);
        let v = run_until_done(&mut p.t.branch, job.id.get(), 10);
        assert_eq!(v.state, State::Stamped, "{name}: {}", v.message);
        check_accounted(&mut p);
        let out = p.t.branch.stamping().job_output(job.id).expect("output");
        let report = loket::pdf::verify_pdf(&std::fs::read(&out.path).expect("file"), None, None)
            .expect("verify");
        assert!(report.all_valid(), "{name}");
        assert_eq!(report.signatures[0].serial, v.sn, "{name}");
        service::forget_provider(p.t.path());
    }
}

#[test]
fn quota_exhausted_waits_until_quota_is_added() {
    let mut p = peruri_branch(0);
    let job = paid_job(&mut p.t.branch, 2);
    let v =
        p.t.branch
            .stamping()
            .run_job(job.id, &mut |_| {})
            .expect("run");
    assert_eq!(v.state, State::Paid);
    assert!(v.message.contains("Kuota"), "{}", v.message);
    check_accounted(&mut p);
    p.fake.set_quota(5);
    let v = run_until_done(&mut p.t.branch, job.id.get(), 5);
    assert_eq!(v.state, State::Stamped, "{}", v.message);
    check_accounted(&mut p);
    service::forget_provider(p.t.path());
}

#[test]
fn three_spoiled_serials_in_a_row_make_the_job_wait_with_all_on_the_claims_list() {
    let mut p = peruri_branch(100);
    let job = paid_job(&mut p.t.branch, 3);
    // Every signing attempt says 92: after three spoiled serials the job waits.
    p.fake
        .inject(Some(Route::AdapterSign), Fault::AdapterCode("92".into()), 3);
    let v =
        p.t.branch
            .stamping()
            .run_job(job.id, &mut |_| {})
            .expect("run");
    assert!(v.state.is_unfinished(), "{:?}", v.state);
    check_accounted(&mut p);
    let claims =
        p.t.branch
            .store_mut()
            .read(|c| loket::stamping::ledger::claims(c).map_err(loket::store::StoreError::from))
            .expect("claims");
    assert_eq!(claims.len(), 3, "three spoiled serials to claim");
    assert!(
        claims
            .iter()
            .all(|c| c.job_id == Some(job.id.get()) && c.reason.contains("92"))
    );
    let v = run_until_done(&mut p.t.branch, job.id.get(), 3);
    assert_eq!(v.state, State::Stamped);
    service::forget_provider(p.t.path());
}

#[test]
fn a_failed_job_is_settled_by_the_supervisor_with_a_new_serial_or_a_refund() {
    use loket::stamping::Settle;
    use loket::till::{Method, actions, approval_subject_sale};
    use loket::users::{self, Role};
    let mut p = peruri_branch(100);
    let b = &mut p.t.branch;
    users::add(
        b.store_mut(),
        "admin",
        "kepala",
        "Kepala Kantor",
        Role::Supervisor,
        "9999",
    )
    .expect("supervisor");
    let lockout = b.lockout();
    for (n, choice) in [(4, Settle::NewSerial), (5, Settle::Refund(Method::Cash))] {
        let job = paid_job(b, n);
        // Adapter code 82: the document is refused; the issued serial is recorded spoiled.
        p.fake
            .inject(Some(Route::AdapterSign), Fault::AdapterCode("82".into()), 1);
        let failed = b.stamping().run_job(job.id, &mut |_| {}).expect("run");
        assert_eq!(failed.state, State::Held, "{}", failed.message);
        assert!(failed.message.contains("supervisor"), "{}", failed.message);
        let (action, subject) = match choice {
            Settle::NewSerial => (
                service::ACTION_REISSUE.to_string(),
                service::job_subject(job.id),
            ),
            Settle::Refund(_) => (
                actions::REFUND.to_string(),
                approval_subject_sale(loket::till::SaleId((failed.sale_id.expect("sale")).get())),
            ),
        };
        let approval = users::approve(
            b.store_mut(),
            lockout,
            "kepala",
            "9999",
            "petugas",
            &action,
            &subject,
            "dokumen ditolak adapter",
        )
        .expect("approve");
        let settled = b
            .stamping()
            .settle_failed_job(
                job.id,
                approval.id,
                choice,
                loket::queue::CounterNo(1),
                "petugas",
            )
            .expect("settle");
        match choice {
            Settle::NewSerial => {
                assert_eq!(settled.state, State::Paid);
                let v = run_until_done(b, job.id.get(), 3);
                assert_eq!(v.state, State::Stamped, "{}", v.message);
            }
            Settle::Refund(_) => {
                assert_eq!(settled.state, State::Refunded);
                let sale = b
                    .till()
                    .sale(loket::till::SaleId((failed.sale_id.expect("sale")).get()))
                    .expect("sale");
                assert_eq!(sale.refunded, loket::money::Rupiah::new(10_000));
            }
        }
        // The approval is used up: settling again is refused.
        assert!(
            b.stamping()
                .settle_failed_job(
                    job.id,
                    approval.id,
                    choice,
                    loket::queue::CounterNo(1),
                    "petugas"
                )
                .is_err()
        );
    }
    check_accounted(&mut p);
    service::forget_provider(p.t.path());
}

#[test]
fn cloud_recovery_after_a_restart_stamps_on_the_stored_upload() {
    let mut p = peruri_branch_in(10, PeruriMode::Cloud);
    let job = paid_job(&mut p.t.branch, 31);
    // The SN is issued but its reply is lost, and the list that would find it is down: the run
    // ends waiting, with the upload's handle stored with the request id.
    p.fake
        .inject(Some(Route::IssueSerial), Fault::DropAfterIssue, 1);
    p.fake
        .inject(Some(Route::SerialList), Fault::Status(503), u32::MAX);
    let waiting =
        p.t.branch
            .stamping()
            .run_job(job.id, &mut |_| {})
            .expect("run");
    assert_eq!(waiting.state, State::Paid, "{}", waiting.message);
    assert_eq!(p.fake.count(Route::Upload), 1);
    assert_eq!(p.fake.serials().len(), 1, "the SN was issued");
    let stored: Option<String> =
        p.t.branch
            .store_mut()
            .read(|c| {
                c.query_row(
                    "SELECT handle FROM stamp_jobs WHERE id = ?1",
                    [job.id],
                    |r| r.get(0),
                )
                .map_err(loket::store::StoreError::from)
            })
            .expect("handle");
    assert!(stored.is_some(), "the upload handle is stored with the job");

    // A restart: a new provider that never saw this request, and a new connection.
    p.fake.clear_faults();
    let mut cfg = p.fake.config(PeruriMode::Cloud);
    cfg.breaker_cooldown_ms = 1;
    cfg.retries = 1;
    service::install_provider(
        p.t.path(),
        Arc::new(PeruriProvider::isolated(cfg).expect("provider")),
    );
    let mut b = p.t.reopen();
    let done = b
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect("run after restart");
    assert_eq!(done.state, State::Stamped, "{}", done.message);
    assert_eq!(
        p.fake.count(Route::Upload),
        1,
        "the stored upload was used, not a second one"
    );
    assert_eq!(p.fake.serials().len(), 1, "the issued SN was recovered");
    assert_eq!(done.sn.as_deref(), Some(p.fake.serials()[0].sn.as_str()));
    check_accounted(&mut p);
    service::forget_provider(p.t.path());
}

#[test]
fn reconciliation_pages_through_the_providers_list_and_names_every_unknown_serial() {
    let mut p = peruri_branch(500);
    // One job stamped through loket: known, not a discrepancy.
    let job = paid_job(&mut p.t.branch, 1);
    let done = run_until_done(&mut p.t.branch, job.id.get(), 5);
    assert_eq!(done.state, State::Stamped);
    // 103 serials issued outside loket (another system on the same account): more than one page
    // of the provider's list (100 by default).
    let provider = p.t.branch.stamping().stamping_provider().expect("provider");
    let mut outside = Vec::new();
    for n in 0..103 {
        let issued = provider
            .issue_serial_once(&crate::peruri::issue_request(1_000 + n))
            .expect("issued outside loket");
        outside.push(issued.sn);
    }
    let rec =
        p.t.branch
            .stamping()
            .reconcile_serials()
            .expect("reconcile");
    for sn in &outside {
        let line = format!("nomor seri {sn} tercatat di penyedia tetapi tidak di loket");
        assert!(
            rec.discrepancies.contains(&line),
            "missing: {line}\n{rec:#?}"
        );
    }
    let unknown = rec
        .discrepancies
        .iter()
        .filter(|d| d.contains("tidak di loket"))
        .count();
    assert_eq!(
        unknown,
        outside.len(),
        "only the outside serials are unknown"
    );
    assert_eq!(rec.provider_unstamped, 103, "{rec:#?}");
    assert_eq!(rec.loket_issued_unstamped, 0);
    assert!(
        rec.discrepancies
            .iter()
            .any(|d| d.contains("penyedia mencatat 103")),
        "the count difference is flagged too: {rec:#?}"
    );
}
