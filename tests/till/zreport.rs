//! Z reports: numbered, frozen, reprinted only as SALINAN, one per session; blind close with variance approval.

use super::{CLERK, SUPERVISOR, approval, branch, branch_with, journal_intact, rp};
use loket::till::{
    CashCount, Method, RefundRequest, Tender, actions, approval_subject_sale,
    approval_subject_session,
};
use sha2::Digest;

/// A short shift on counter 1: float Rp200.000, a cash sale with change, a card sale, a refund and
/// a pay-out. Expected cash at the end: 200.000 + 50.000 − 13.000 − 10.000 − 15.000 = 212.000.
fn shift(b: &mut loket::Branch) {
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x1,50000x1,20000x2,5000x2").expect("count"),
        )
        .expect("open");
    let s = b
        .till()
        .new_sale(
            loket::queue::CounterNo(1),
            CLERK,
            Some(&crate::common::no("C-001")),
        )
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 3, None)
        .expect("add");
    b.till()
        .add_to_sale(s.id, CLERK, "fotokopi", 14, None)
        .expect("add");
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(50_000),
            }],
        )
        .expect("cash");
    let s2 = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(loket::till::SaleId(s2.id.get()), CLERK, "meterai", 2, None)
        .expect("add");
    b.till()
        .pay_sale(
            loket::till::SaleId(s2.id.get()),
            CLERK,
            &[Tender::Debit {
                amount: rp(20_000),
                approval_code: "777AAA".into(),
                last4: "4242".into(),
            }],
        )
        .expect("card");
    let a = approval(b, actions::REFUND, &approval_subject_sale(s.id));
    b.till()
        .refund_sale(
            s.id,
            loket::queue::CounterNo(1),
            CLERK,
            &RefundRequest::Lines(vec![(1, 1)]),
            Method::Cash,
            a,
        )
        .expect("refund");
    b.till()
        .pay_out(
            loket::queue::CounterNo(1),
            CLERK,
            rp(15_000),
            "beli kertas struk",
        )
        .expect("pay-out");
}

fn stored_doc(b: &mut loket::Branch, number: i64) -> (String, String) {
    b.store_mut()
        .read(|c| {
            c.query_row(
                "SELECT document, sha256 FROM z_reports WHERE number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("stored z")
}

#[test]
fn a_z_report_is_numbered_frozen_and_reprinted_as_salinan() {
    let mut tb = branch();
    let b = &mut tb.branch;
    shift(b);
    let x = b.till().x_report(loket::queue::CounterNo(1)).expect("x");
    assert_eq!(x.summary.expected_cash, rp(212_000));
    let before = b
        .till()
        .till_session(loket::queue::CounterNo(1))
        .expect("read")
        .expect("open session");
    assert_eq!(
        before.expected_total, None,
        "nothing tells the clerk the expected cash before the count"
    );
    let closed = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2,10000x1,1000x2").expect("count"),
        )
        .expect("close");
    assert_eq!(
        (closed.counted, closed.expected, closed.variance),
        (rp(212_000), rp(212_000), rp(0))
    );
    assert!(!closed.needs_approval);
    let z = closed.z.expect("closed with a Z");
    assert_eq!(z.number, Some(1));
    assert_eq!(z.copy_mark, None);
    assert_eq!(
        z.summary, x.summary,
        "the Z figures are the X figures of the same ledger"
    );
    let cash = &z.sections[0].rows;
    let row = |label: &str| {
        cash.iter()
            .find(|r| r.label == label)
            .and_then(|r| r.amount.clone())
            .expect(label)
    };
    assert_eq!(row("Modal awal"), "Rp200.000");
    assert_eq!(row("Tunai diterima"), "Rp50.000");
    assert_eq!(row("Kembalian"), "-Rp13.000");
    assert_eq!(row("Pengembalian tunai"), "-Rp10.000");
    assert_eq!(row("Pengeluaran"), "-Rp15.000");
    assert_eq!(row("Kas seharusnya"), "Rp212.000");

    let (doc, sha) = stored_doc(b, 1);
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(doc.as_bytes())));
    let first = b
        .till()
        .reprint_z(Some(1), None, SUPERVISOR)
        .expect("reprint");
    let second = b
        .till()
        .reprint_z(None, Some(1), SUPERVISOR)
        .expect("reprint newest of counter 1");
    assert_eq!(
        (first.copy_mark.as_deref(), first.reprint),
        (Some("SALINAN"), 1)
    );
    assert_eq!(
        (second.copy_mark.as_deref(), second.reprint),
        (Some("SALINAN"), 2)
    );
    assert!(first.to_text().starts_with("*** SALINAN"));
    let unmarked = |mut r: loket::till::TillReport| {
        r.copy_mark = None;
        r.reprint = 0;
        r
    };
    assert_eq!(unmarked(first), z, "a reprint is the stored Z, marked");
    assert_eq!(unmarked(second), z);

    // Nothing done afterwards touches the stored document, and the database refuses edits.
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale after close");
    b.till()
        .add_to_sale(s.id, CLERK, "amplop", 1, None)
        .expect("add");
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Debit {
                amount: rp(2_000),
                approval_code: "777AAB".into(),
                last4: "4242".into(),
            }],
        )
        .expect("card after close");
    let a = approval(b, actions::VOID, &approval_subject_sale(s.id));
    b.till()
        .void_sale(s.id, loket::queue::CounterNo(1), CLERK, a)
        .expect("void after close");
    assert_eq!(stored_doc(b, 1), (doc.clone(), sha.clone()));
    for sql in [
        "UPDATE z_reports SET document = '{}' WHERE number = 1",
        "DELETE FROM z_reports WHERE number = 1",
        "UPDATE till_movements SET amount = 0",
        "DELETE FROM till_movements",
    ] {
        let err = b
            .store()
            .conn()
            .execute(sql, ())
            .expect_err("refused by the database");
        assert!(
            err.to_string().contains("immutable") || err.to_string().contains("append-only"),
            "{sql}: {err}"
        );
    }
    assert_eq!(stored_doc(b, 1), (doc.clone(), sha.clone()));
    // A second process sees the same frozen document.
    let mut other = tb.reopen();
    assert_eq!(stored_doc(&mut other, 1), (doc, sha));
    journal_intact(&mut tb.branch);
}

#[test]
fn a_z_stored_before_its_slip_figures_were_kept_reads_back_with_them_from_the_store() {
    let mut tb = branch();
    let b = &mut tb.branch;
    shift(b);
    let closed = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2,10000x1,1000x2").expect("count"),
        )
        .expect("close");
    let z = closed.z.expect("closed with a Z");
    let figures = z.figures.clone().expect("a new Z keeps its figures");
    assert_eq!(
        (figures.voids, figures.refunds),
        (0, 1),
        "the refund of the shift is counted"
    );
    let close = figures.close.clone().expect("closed");
    assert_eq!((close.counted, close.variance), (rp(212_000), rp(0)));
    assert!(figures.journal_head.is_some(), "the Z anchored the journal");

    // A document written before the figures were kept: the same words, no figures.
    let conn = b.store().conn();
    conn.execute_batch(
        "DROP TRIGGER z_reports_no_update;
         UPDATE z_reports SET document = json_remove(document, '$.figures') WHERE number = 1;",
    )
    .expect("write an older document");
    let (older, _) = b.till().stored_z(1).expect("read back");
    assert_eq!(older, z, "the figures come back from the store");
    let reprint = b
        .till()
        .reprint_z(Some(1), None, SUPERVISOR)
        .expect("reprint");
    assert_eq!(reprint.figures, z.figures);
}

#[test]
fn a_second_close_the_same_day_covers_only_its_own_session() {
    let mut tb = branch();
    let b = &mut tb.branch;
    shift(b);
    let z1 = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(212_000)),
        )
        .expect("close")
        .z
        .expect("z");
    let err = b
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect_err("no session after close");
    assert!(err.to_string().contains("belum dibuka"), "{err}");
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(100_000)),
        )
        .expect("second shift");
    let err = b
        .till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(100_000)),
        )
        .expect_err("one session per counter");
    assert!(err.to_string().contains("masih terbuka"), "{err}");
    b.till()
        .open_till(
            loket::queue::CounterNo(2),
            CLERK,
            &CashCount::total_only(rp(50_000)),
        )
        .expect("another counter opens its own");
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "map", 2, None)
        .expect("add");
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(10_000),
            }],
        )
        .expect("cash");
    let z2 = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(106_000)),
        )
        .expect("close")
        .z
        .expect("z");
    assert_eq!(z2.number, Some(2));
    assert_eq!(z2.summary.float, rp(100_000));
    assert_eq!(z2.summary.cash_received, rp(10_000));
    assert_eq!(
        z2.summary.net_sales,
        rp(6_000),
        "only the second session's sale"
    );
    assert_eq!(z2.summary.expected_cash, rp(106_000));
    assert_eq!(
        z1.summary.net_sales,
        rp(47_000),
        "37.000 + 20.000 − 10.000 refunded"
    );
    let day = b.till().till_sessions_of_day("2026-11-23").expect("day");
    assert_eq!(day.len(), 3);
    assert_eq!(
        day.iter().map(|(s, _)| s.z_number).collect::<Vec<_>>(),
        vec![Some(1), Some(2), None]
    );
}

#[test]
fn a_variance_over_the_tolerance_needs_a_reason_and_a_supervisor() {
    let mut tb =
        branch_with(|t| t.replacen("variance_tolerance = 0", "variance_tolerance = 1000", 1));
    let b = &mut tb.branch;
    shift(b);
    // Rp5.000 short: recorded at once, the close waits.
    let counted = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2,5000x1,1000x2").expect("count"),
        )
        .expect("count");
    assert_eq!(
        (counted.expected, counted.variance),
        (rp(212_000), rp(-5_000))
    );
    assert!(counted.needs_approval && counted.z.is_none());
    let late = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale")
        .id;
    b.till()
        .add_to_sale(late, CLERK, "amplop", 1, None)
        .expect("add");
    let err = b
        .till()
        .pay_sale(
            late,
            CLERK,
            &[Tender::Cash {
                tendered: rp(2_000),
            }],
        )
        .expect_err("no cash while closing");
    assert!(err.to_string().contains("sedang ditutup"), "{err}");
    let err = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(212_000)),
        )
        .expect_err("no second count");
    assert!(err.to_string().contains("sedang ditutup"), "{err}");
    let err = b
        .till()
        .finish_close(loket::queue::CounterNo(1), CLERK, None)
        .expect_err("needs a supervisor");
    assert!(
        err.to_string().contains("melebihi toleransi Rp1.000"),
        "{err}"
    );
    let session = b
        .till()
        .till_session(loket::queue::CounterNo(1))
        .expect("read")
        .expect("counted session")
        .id;
    let lockout = b.lockout();
    let a = loket::users::approve(
        b.store_mut(),
        lockout,
        SUPERVISOR,
        super::SUPERVISOR_PIN,
        CLERK,
        actions::CLOSE_VARIANCE,
        &approval_subject_session(session),
        "uang kembalian salah hitung",
    )
    .expect("approve")
    .id;
    let done = b
        .till()
        .finish_close(loket::queue::CounterNo(1), CLERK, Some(a))
        .expect("closed");
    let z = done.z.expect("z");
    let close = z
        .sections
        .iter()
        .find(|s| s.title.starts_with("Penutupan"))
        .expect("close section");
    let labels: Vec<String> = close
        .rows
        .iter()
        .map(|r| format!("{} {}", r.label, r.amount.clone().unwrap_or_default()))
        .collect();
    assert!(
        labels.contains(&"Selisih (kurang) -Rp5.000".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"Alasan: uang kembalian salah hitung ".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&format!("Disetujui: {SUPERVISOR} ")),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"Rp100.000 × Rp200.000".to_string()),
        "{labels:?}"
    );
    let s = b
        .till()
        .till_session_by_id(session)
        .expect("read")
        .expect("session");
    assert_eq!(
        (s.state.as_str(), s.variance, s.supervisor.as_deref()),
        ("closed", Some(rp(-5_000)), Some(SUPERVISOR))
    );
    journal_intact(b);
}
