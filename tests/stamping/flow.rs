//! The counter's flow with the local provider: receive, place, charge, pay, stamp, deliver.

use super::support::{CLERK, letter, new_branch, paid_job};
use loket::pdf::verify_pdf;
use loket::stamping::job;
use loket::stamping::ledger;
use loket::stamping::{JobFilter, JobStage, ReceiveDocument, State};

fn inventory(b: &mut loket::Branch) -> ledger::Inventory {
    b.store_mut()
        .read(|c| ledger::inventory(c).map_err(loket::store::StoreError::from))
        .expect("inventory")
}

#[test]
fn a_letter_goes_from_the_counter_to_a_verified_stamped_file() {
    let mut t = new_branch();
    let b = &mut t.branch;
    let job = paid_job(b, 1);
    assert_eq!(job.state, State::Paid);
    assert_eq!(job.pages, 1);
    let mut stages = Vec::new();
    let done = b
        .stamping()
        .run_job(job.id, &mut |s| stages.push(s))
        .expect("run job");
    assert_eq!(done.state, State::Stamped, "{}", done.message);
    assert_eq!(
        stages,
        vec![
            JobStage::IssuingSerial,
            JobStage::Stamping,
            JobStage::Verifying,
            JobStage::Stored
        ]
    );
    let sn = done.sn.clone().expect("sn");
    assert!(ledger::is_serial(&sn), "{sn}");
    let out = b.stamping().job_output(job.id).expect("output");
    assert_eq!(out.sns, vec![sn.clone()]);
    assert_eq!(out.file_name, "surat-1-emeterai.pdf");
    let bytes = std::fs::read(&out.path).expect("stamped file");
    assert!(
        bytes.starts_with(&letter(1)),
        "the original revision is kept"
    );
    let report = verify_pdf(&bytes, None, None).expect("verify");
    assert!(report.all_valid(), "{report:?}");
    assert_eq!(report.signatures[0].serial.as_deref(), Some(sn.as_str()));
    // The demo's training lot was loaded on first use; one serial now stands on this document.
    let inv = inventory(b);
    assert_eq!((inv.stamped, inv.issued, inv.spoiled), (1, 0, 0));
    assert_eq!(inv.lots[0].lot_id, "LATIHAN-1");
    assert_eq!(inv.available, 99);
    // Running it again changes nothing.
    assert_eq!(
        b.stamping().run_job(job.id, &mut |_| {}).expect("again").sn,
        Some(sn)
    );
    assert_eq!(inventory(b).stamped, 1);
    assert!(
        b.stamping()
            .jobs(&JobFilter::Unfinished)
            .expect("jobs")
            .is_empty()
    );
    assert_eq!(
        b.stamping()
            .jobs(&JobFilter::Day("2026-11-23".into()))
            .expect("day")
            .len(),
        1
    );
}

#[test]
fn a_stamped_job_is_delivered_to_a_drive_and_by_mail() {
    let mut t = new_branch();
    let drive = tempfile::tempdir().expect("drive");
    let b = &mut t.branch;
    let job = paid_job(b, 2);
    b.stamping().run_job(job.id, &mut |_| {}).expect("run");
    let mut seen = 0;
    let d = b
        .stamping()
        .deliver_job_to_drive(job.id, drive.path(), CLERK, &mut |done, _| seen = done)
        .expect("to drive");
    assert!(seen > 0);
    assert_eq!(
        std::fs::read(&d.path).expect("copy"),
        std::fs::read(b.stamping().job_output(job.id).expect("out").path).expect("stored")
    );
    assert_eq!(
        b.stamping().job(job.id).expect("job").state,
        State::Delivered
    );
    let first = b
        .stamping()
        .mail_job(job.id, "budi@contoh.test", CLERK)
        .expect("mail");
    let again = b
        .stamping()
        .mail_job(job.id, "budi@contoh.test", CLERK)
        .expect("mail again");
    assert_eq!(first, again, "one e-mail per address");
    assert_eq!(b.delivery().outbox_list().expect("outbox").len(), 1);
}

#[test]
fn a_refused_document_creates_no_job() {
    let mut t = new_branch();
    let b = &mut t.branch;
    let err = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: b"bukan pdf".to_vec(),
            name: "foto.jpg".into(),
            ticket: Some("C-001".into()),
            counter: 1,
            clerk: CLERK.into(),
            password: None,
        })
        .expect_err("refused");
    assert!(!err.to_string().is_empty());
    assert!(
        b.stamping()
            .jobs(&JobFilter::Recent(10))
            .expect("jobs")
            .is_empty()
    );
}

#[test]
fn steps_out_of_order_are_refused_and_nobody_is_charged_twice() {
    let mut t = new_branch();
    let b = &mut t.branch;
    super::support::open_till(b);
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(3),
            name: "surat.pdf".into(),
            ticket: Some("C-002".into()),
            counter: 1,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("receive");
    // Not yet charged: cannot be marked paid.
    assert!(b.stamping().job_paid(job.id, CLERK).is_err());
    let bad = job::Place {
        page: 5,
        ..job.proposed.expect("proposed")
    };
    assert!(
        b.stamping().place_job(job.id, CLERK, bad).is_err(),
        "page 5 of 1"
    );
    b.stamping()
        .place_job(job.id, CLERK, job.proposed.expect("proposed"))
        .expect("place");
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(1), CLERK, None)
        .expect("quote");
    assert_eq!(
        b.stamping()
            .quote_job(job.id, loket::queue::CounterNo(1), CLERK, None)
            .expect("quote again"),
        sale
    );
    assert_eq!(
        b.till()
            .sale(loket::till::SaleId(sale))
            .expect("sale")
            .lines
            .len(),
        1
    );
    let unpaid = b
        .stamping()
        .job_paid(job.id, CLERK)
        .expect_err("not paid yet");
    assert!(unpaid.to_string().contains("belum lunas"), "{unpaid}");
    let cancelled = b.stamping().cancel_job(job.id, CLERK).expect("cancel");
    assert_eq!(cancelled.state, State::Cancelled);
    assert!(
        b.stamping()
            .run_job(job.id, &mut |_| {})
            .expect("run")
            .state
            == State::Cancelled
    );
}
