//! Settling a failed job with a refund: the cashier's refund and the job's move to `refunded` are
//! one transaction, so neither is ever stored without the other.

use super::peruri::{PeruriBranch, peruri_branch};
use super::support::paid_job;
use loket::money::Rupiah;
use loket::stamping::{Settle, State, service};
use loket::testing::fake_peruri::{Fault, Route};
use loket::till::{Method, actions, approval_subject_sale};
use loket::users::{self, Role};

/// A job that failed for good (the adapter refuses the document) and a supervisor's approval to
/// refund its sale. Returns (job, sale, approval).
fn failed_job_with_approval(p: &mut PeruriBranch, n: u32) -> (i64, i64, i64) {
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
    let job = paid_job(b, n);
    p.fake
        .inject(Some(Route::AdapterSign), Fault::AdapterCode("82".into()), 1);
    let failed = b.stamping().run_job(job.id, &mut |_| {}).expect("run");
    assert_eq!(failed.state, State::Held, "{}", failed.message);
    let sale = failed.sale_id.expect("sale");
    let lockout = b.lockout();
    let approval = users::approve(
        b.store_mut(),
        lockout,
        "kepala",
        "9999",
        "petugas",
        actions::REFUND,
        &approval_subject_sale(sale),
        "dokumen ditolak adapter",
    )
    .expect("approve");
    (job.id.get(), sale.get(), approval.id)
}

/// (refund rows of the sale, refunded quantity of its lines, journal kinds about the job or sale).
fn refund_facts(p: &mut PeruriBranch, job: i64, sale: i64) -> (i64, i64, Vec<String>) {
    p.t.branch
        .store_mut()
        .read(|c| {
            let refunds: i64 =
                c.query_row("SELECT COUNT(*) FROM refunds WHERE sale = ?1", [sale], |r| {
                    r.get(0)
                })?;
            let refunded: i64 = c.query_row(
                "SELECT COALESCE(SUM(refunded_qty), 0) FROM sale_lines WHERE sale = ?1",
                [sale],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(
                "SELECT kind FROM journal WHERE subject IN (?1, ?2) AND kind IN ('sale.refunded', 'job.refunded')
                 ORDER BY seq",
            )?;
            let kinds = stmt
                .query_map(
                    [service::job_subject(loket::stamping::JobId(job)), approval_subject_sale(loket::till::SaleId(sale))],
                    |r| r.get(0),
                )?
                .collect::<Result<Vec<String>, _>>()?;
            Ok::<_, loket::store::StoreError>((refunds, refunded, kinds))
        })
        .expect("facts")
}

#[test]
fn a_refund_and_the_job_refunded_are_stored_together_or_not_at_all() {
    let mut p = peruri_branch(100);
    let (job, sale, approval) = failed_job_with_approval(&mut p, 21);

    // The job's half fails inside the transaction (a trigger refuses the state change, as a crash
    // or a full disk would stop it): the refund made before it in the same transaction is gone too.
    let conn = p.t.branch.store().conn();
    let obstacle = if conn.is_server() {
        "CREATE FUNCTION refuse_refunded() RETURNS trigger LANGUAGE plpgsql
             AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$;
         CREATE TRIGGER refuse_refunded BEFORE UPDATE OF state ON stamp_jobs
             FOR EACH ROW WHEN (NEW.state = 'refunded') EXECUTE FUNCTION refuse_refunded();"
    } else {
        "CREATE TRIGGER refuse_refunded BEFORE UPDATE OF state ON stamp_jobs
         WHEN NEW.state = 'refunded' BEGIN SELECT RAISE(ABORT, 'refused by test'); END;"
    };
    conn.execute_batch(obstacle).expect("trigger");
    let err =
        p.t.branch
            .stamping()
            .settle_failed_job(
                loket::stamping::JobId(job),
                approval,
                Settle::Refund(Method::Cash),
                loket::queue::CounterNo(1),
                "petugas",
            )
            .expect_err("the job's half was refused");
    assert!(err.to_string().contains("refused by test"), "{err}");
    assert_eq!(refund_facts(&mut p, job, sale), (0, 0, vec![]));
    let b = &mut p.t.branch;
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(job))
            .expect("job")
            .state,
        State::Held
    );
    assert_eq!(
        b.till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .refunded,
        Rupiah::ZERO
    );

    // The refund's half fails (cash refund at a counter whose drawer is not open): the job stays
    // failed and the approval stays unused.
    let err = b
        .stamping()
        .settle_failed_job(
            loket::stamping::JobId(job),
            approval,
            Settle::Refund(Method::Cash),
            loket::queue::CounterNo(2),
            "petugas",
        )
        .expect_err("no drawer open at counter 2");
    assert!(!err.to_string().is_empty());
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(job))
            .expect("job")
            .state,
        State::Held
    );

    // Without the obstacle both halves commit, with both journal entries.
    b.store()
        .conn()
        .execute_batch(if b.store().is_server() {
            "DROP TRIGGER refuse_refunded ON stamp_jobs;"
        } else {
            "DROP TRIGGER refuse_refunded;"
        })
        .expect("drop trigger");
    let settled = b
        .stamping()
        .settle_failed_job(
            loket::stamping::JobId(job),
            approval,
            Settle::Refund(Method::Cash),
            loket::queue::CounterNo(1),
            "petugas",
        )
        .expect("settle");
    assert_eq!(settled.state, State::Refunded);
    assert_eq!(
        b.till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .refunded,
        Rupiah::new(10_000),
        "the meterai line is refunded in full"
    );
    assert_eq!(
        refund_facts(&mut p, job, sale),
        (1, 1, vec!["sale.refunded".into(), "job.refunded".into()])
    );
    service::forget_provider(p.t.path());
}
