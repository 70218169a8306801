//! A one-page A4 letter with a signature block, the document the stamping benchmarks stamp (`n`
//! varies its text and so its SHA-256), and a job paid for it.

use lopdf::{Dictionary, Document, Object, Stream, dictionary};

pub fn letter(n: u32) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let content = format!(
        "BT /F1 12 Tf 72 700 Td (SURAT PERNYATAAN) Tj ET\nBT /F1 11 Tf 72 660 Td (Surat nomor {n}.) Tj ET\n\
         BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET\nBT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET\n"
    );
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

/// Receives letter `n` on counter 1, accepts the proposed place, charges and pays by debit (no
/// drawer needed), and marks the job paid: the job's id.
pub fn paid_by_debit(b: &mut loket::Branch, n: u32) -> loket::stamping::JobId {
    let job = b
        .stamping()
        .receive_document(loket::stamping::ReceiveDocument {
            bytes: letter(n),
            name: format!("surat-{n}.pdf"),
            ticket: None,
            counter: 1,
            clerk: "petugas".into(),
            password: None,
        })
        .expect("receive");
    b.stamping()
        .place_job(job.id, "petugas", job.proposed.expect("proposed"))
        .expect("place");
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(1), "petugas", None)
        .expect("quote");
    b.till()
        .pay_sale(
            loket::till::SaleId(sale),
            "petugas",
            &[loket::till::Tender::Debit {
                amount: loket::money::Rupiah::new(10_000),
                approval_code: "A1B2C3".into(),
                last4: "4321".into(),
            }],
        )
        .expect("pay");
    b.stamping().job_paid(job.id, "petugas").expect("paid");
    job.id
}
