//! Fixtures for the stamping service tests: letters, a paid job, ledger invariants.

use crate::common::TestBranch;
use loket::Branch;
use loket::money::Rupiah;
use loket::stamping::{JobView, ReceiveDocument};
use loket::till::{CashCount, Tender};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

pub const CLERK: &str = "petugas";

/// A one-page A4 letter with "Hormat saya," and a name near the bottom; `n` varies its text (and
/// so its SHA-256).
pub fn letter(n: u32) -> Vec<u8> {
    letter_in_version(n, "1.7")
}

/// [`letter`] written as PDF `version` (e.g. "1.4", which Peruri's adapter would re-copy).
pub fn letter_in_version(n: u32, version: &str) -> Vec<u8> {
    let mut doc = Document::with_version(version);
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut content = String::new();
    content.push_str("BT /F1 12 Tf 72 700 Td (SURAT PERNYATAAN) Tj ET\n");
    content.push_str(&format!(
        "BT /F1 11 Tf 72 660 Td (Surat nomor {n} untuk keperluan seleksi.) Tj ET\n"
    ));
    content.push_str("BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET\n");
    content.push_str("BT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET\n");
    let content_id = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), Object::Real(595.276), Object::Real(841.89)],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![Object::Reference(page_id)], "Count" => 1 },
        ),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save letter");
    out
}

pub fn rp(n: i64) -> Rupiah {
    Rupiah::new(n)
}

/// Opens the till of counter 1 with a float, once.
pub fn open_till(b: &mut Branch) {
    if b.till()
        .till_session(loket::queue::CounterNo(1))
        .expect("session")
        .is_none()
    {
        b.till()
            .open_till(
                loket::queue::CounterNo(1),
                CLERK,
                &CashCount::total_only(rp(100_000)),
            )
            .expect("open till");
    }
}

/// Receives letter `n`, accepts the proposed place, charges and takes cash: the job is `paid`.
pub fn paid_job(b: &mut Branch, n: u32) -> JobView {
    paid_job_of(b, letter(n), &format!("surat-{n}.pdf"))
}

/// Receives `bytes` as `name`, accepts the proposed place, charges and takes cash: `paid`.
pub fn paid_job_of(b: &mut Branch, bytes: Vec<u8>, name: &str) -> JobView {
    paid_job_for(b, bytes, name, None)
}

/// [`paid_job_of`] for the visit of `ticket`.
pub fn paid_job_for(b: &mut Branch, bytes: Vec<u8>, name: &str, ticket: Option<&str>) -> JobView {
    open_till(b);
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes,
            name: name.to_string(),
            ticket: ticket.map(str::to_string),
            counter: 1,
            clerk: CLERK.into(),
            password: None,
        })
        .expect("receive");
    let place = job.proposed.expect("proposed place");
    b.stamping().place_job(job.id, CLERK, place).expect("place");
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(1), CLERK, None)
        .expect("quote");
    b.till()
        .pay_sale(
            loket::till::SaleId(sale),
            CLERK,
            &[Tender::Cash {
                tendered: rp(10_000),
            }],
        )
        .expect("pay");
    b.stamping().job_paid(job.id, CLERK).expect("job paid")
}

pub fn new_branch() -> TestBranch {
    TestBranch::new()
}

/// Polls `check` until it holds; fails with `what` after a generous limit (a hung worker).
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
