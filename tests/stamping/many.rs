//! Two hundred jobs through the Peruri path with about one call in five failing in assorted ways
//! (seeded): every job ends stamped, or failed and refunded, with every serial accounted for.

use super::peruri::{check_accounted, peruri_branch, run_until_done};
use super::support::paid_job;
use loket::stamping::{Settle, State, service};
use loket::testing::fake_peruri::{Fault, Route};
use loket::till::{Method, actions, approval_subject_sale};
use loket::users::{self, Role};

#[test]
fn two_hundred_jobs_with_one_call_in_five_failing_are_all_accounted_for() {
    let mut p = peruri_branch(1_000);
    let mut rng = fastrand::Rng::with_seed(20_261_123);
    users::add(
        p.t.branch.store_mut(),
        "admin",
        "kepala",
        "Kepala Kantor",
        Role::Supervisor,
        "9999",
    )
    .expect("supervisor");
    let (mut stamped, mut refunded, mut faults) = (0, 0, 0);
    for n in 0..200u32 {
        let job = paid_job(&mut p.t.branch, 1_000 + n);
        // Issue and sign are the two calls of a job: each fails with probability 1/5.
        for route in [Route::IssueSerial, Route::AdapterSign] {
            if rng.u32(..5) == 0 {
                faults += 1;
                let fault = match rng.u32(..9) {
                    0 => Fault::Status(500),
                    1 => Fault::Status(503),
                    2 => Fault::Status(502),
                    3 => Fault::TokenExpired,
                    4 => Fault::DropReply,
                    5 if route == Route::IssueSerial => Fault::DropAfterIssue,
                    6 | 5 => Fault::AdapterCode("92".into()),
                    7 => Fault::AdapterCode("97".into()),
                    _ => Fault::AdapterCode("82".into()),
                };
                let fault = match (route, fault) {
                    (Route::IssueSerial, Fault::AdapterCode(_)) => Fault::Status(504),
                    (_, f) => f,
                };
                p.fake.inject(Some(route), fault, 1);
            }
        }
        let b = &mut p.t.branch;
        let v = run_until_done(b, job.id.get(), 10);
        p.fake.clear_faults();
        match v.state {
            State::Stamped => stamped += 1,
            State::Held => {
                let sale = v.sale_id.expect("sale");
                let lockout = b.lockout();
                let approval = users::approve(
                    b.store_mut(),
                    lockout,
                    "kepala",
                    "9999",
                    "petugas",
                    actions::REFUND,
                    &approval_subject_sale(sale),
                    "dokumen ditolak",
                )
                .expect("approve");
                let r = b
                    .stamping()
                    .settle_failed_job(
                        job.id,
                        approval.id,
                        Settle::Refund(Method::Cash),
                        loket::queue::CounterNo(1),
                        "petugas",
                    )
                    .expect("refund");
                assert_eq!(r.state, State::Refunded);
                refunded += 1;
            }
            other => panic!("job {} ended {other:?}: {}", job.id, v.message),
        }
    }
    assert_eq!(stamped + refunded, 200);
    assert!(faults >= 50, "the seed injects faults ({faults})");
    assert!(stamped >= 150, "most jobs stamp ({stamped})");
    check_accounted(&mut p);
    // Every job ended on a document or refunded: no serial is left merely issued.
    let issued: i64 =
        p.t.branch
            .store_mut()
            .read(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM serials WHERE status = 'issued'",
                    (),
                    |r| r.get(0),
                )
                .map_err(loket::store::StoreError::from)
            })
            .expect("issued");
    assert_eq!(issued, 0);
    assert_eq!(
        i64::try_from(p.fake.serials().len()).expect("a count"),
        p.t.branch
            .store_mut()
            .read(|c| c
                .query_row("SELECT COUNT(*) FROM serials", (), |r| r.get::<_, i64>(0))
                .map_err(loket::store::StoreError::from))
            .expect("ledger")
    );
    service::forget_provider(p.t.path());
}
