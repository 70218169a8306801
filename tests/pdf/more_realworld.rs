//! More classes of real-world files from issue 17: a place given with `loket job place --at` on a
//! turned page, a Word-made cross-reference table with two entries for one offset, earlier
//! signatures kept valid by the update, small pages and English signature blocks, a trailer
//! `/Encrypt` written as a direct dictionary, and `verify` bounded on a file of many fields.

use std::path::Path;
use std::process::Command;

use loket::pdf::Rect;

use super::realworld::{render, rotated, stamp_on_picture, tail};
use super::support::*;
use crate::common::loket_ok;

/// `loket job place --at X,Y` measures from the top-left corner of the page as shown, like
/// `loket stamp --at`: on a page turned 90° (inherited from the page tree) the stamp lands 10 mm
/// from the shown top-left corner, upright.
#[test]
fn job_place_at_measures_on_the_page_as_shown() {
    let dir = scratch("job-place-at-rotated");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    loket_ok(&data, &["init"]);
    loket_ok(
        &data,
        &[
            "users",
            "add",
            "kepala",
            "--name",
            "Kepala",
            "--role",
            "supervisor",
            "--pin",
            "9999",
        ],
    );
    loket_ok(
        &data,
        &[
            "stamps", "load-lot", "--lot", "ROT-1", "--count", "1", "--price", "10000", "--pin",
            "9999",
        ],
    );
    loket_ok(&data, &["till", "open", "-c", "1", "--float", "100000"]);
    let pdf = dir.join("diputar.pdf");
    std::fs::write(&pdf, rotated("blank.pdf", 90, true)).expect("write");
    let id = loket_ok(&data, &["job", "new", pdf.to_str().expect("utf-8")]);
    // The shown page is 297 mm wide: a 25 mm square 290 mm from its left edge lies off it, and is
    // refused before payment.
    let off = crate::common::loket(
        &data,
        &[
            "job", "place", &id, "--page", "1", "--at", "290,10", "--size", "25",
        ],
    );
    let said = String::from_utf8_lossy(&off.stderr);
    assert!(
        !off.status.success() && said.contains("di luar halaman"),
        "{said}"
    );
    loket_ok(
        &data,
        &[
            "job", "place", &id, "--page", "1", "--at", "10,10", "--size", "25",
        ],
    );
    let show: serde_json::Value =
        serde_json::from_str(&loket_ok(&data, &["job", "show", &id, "--json"])).expect("json");
    let place = &show["place"];
    let mm = |key: &str| place[key].as_f64().expect(key) * 25.4 / 72.0;
    // A4 portrait turned clockwise: the shown top-left corner is the user space's lower left, so
    // the square starts 10 mm from the left and 10 mm from the bottom there.
    assert!(
        (mm("x") - 10.0).abs() < 0.01 && (mm("y") - 10.0).abs() < 0.01,
        "{place}"
    );
    loket_ok(&data, &["job", "pay", &id, "--cash", "10000"]);
    loket_ok(&data, &["job", "run", &id]);
    let drive = dir.join("drive");
    std::fs::create_dir_all(&drive).expect("drive");
    loket_ok(
        &data,
        &["export", &id, "--to-drive", drive.to_str().expect("utf-8")],
    );
    let out = drive.join("diputar-emeterai.pdf");
    let (w, h, rgb) = render(&out);
    assert!(w > h, "the page is shown landscape ({w}×{h})");
    let ((x0, y0, x1, y1), (qx, qy)) = stamp_on_picture(w, h, &rgb);
    // 10 mm is 28 pixels at 72 dpi; 25 mm is 71.
    assert!(
        x0.abs_diff(28) <= 2 && y0.abs_diff(28) <= 2 && (x1 - x0).abs_diff(71) <= 3,
        "stamp at ({x0}, {y0})–{x1} on a {w}×{h} picture"
    );
    let (cx, cy) = (px_f64(x0 + x1) / 2.0, px_f64(y0 + y1) / 2.0);
    assert!(
        (qx - cx).abs() < 3.0 && cy - qy > 2.0,
        "the stamp is not upright: QR centre ({qx}, {qy}), stamp centre ({cx}, {cy})"
    );
}

/// A one-page letter laid out as Word's "Save as PDF" writes it (CRLF line ends, a binary comment,
/// `/Lang`, `/MarkInfo`, an `/Info` with the producer, a classic cross-reference table), whose
/// table lists the catalog's offset twice: as object 1 and again as object 7, the last number of
/// the table, which no object has. Readers read object 1 there and never look at entry 7.
fn word_two_entries_one_offset() -> Vec<u8> {
    let content = "BT /F1 11 Tf 72 740 Td (Kepada Yth. Panitia Seleksi) Tj ET\r\n\
                   BT /F1 12 Tf 72 690 Td (SURAT PERNYATAAN) Tj ET\r\n\
                   BT /F1 11 Tf 72 660 Td (Dengan ini saya menyatakan bersedia mengikuti seleksi.) Tj ET\r\n\
                   BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET\r\n\
                   BT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET";
    let objects = [
        "<</Type/Catalog/Pages 2 0 R/Lang(id-ID) /MarkInfo<</Marked true>>>>".to_string(),
        "<</Type/Pages/Count 1/Kids[ 3 0 R] >>".to_string(),
        "<</Type/Page/Parent 2 0 R/Resources<</Font<</F1 5 0 R>>/ProcSet[/PDF/Text]>>\
         /MediaBox[ 0 0 595.32 841.92] /Contents 4 0 R/Group<</Type/Group/S/Transparency/CS/DeviceRGB>>\
         /Tabs/S>>"
            .to_string(),
        format!(
            "<</Length {}>>\r\nstream\r\n{content}\r\nendstream",
            content.len()
        ),
        "<</Type/Font/Subtype/Type1/Name/F1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"
            .to_string(),
        "<</Author(Budi Santoso) /Creator(Microsoft\\256 Word 2016) \
         /CreationDate(D:20240902101500+07'00') /Producer(Microsoft\\256 Word 2016) >>"
            .to_string(),
    ];
    let mut out = b"%PDF-1.7\r\n%\xb5\xb5\xb5\xb5\r\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\r\n{body}\r\nendobj\r\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\r\n0 8\r\n0000000000 65535 f\r\n");
    for offset in offsets.iter().chain(std::iter::once(&offsets[0])) {
        out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\r\n<</Size 8/Root 1 0 R/Info 6 0 R/ID[<5A1B0E8C3F2D4B7A9C6E1F0A2B3C4D5E><5A1B0E8C3F2D4B7A9C6E1F0A2B3C4D5E>] >>\r\n\
             startxref\r\n{xref}\r\n%%EOF\r\n"
        )
        .as_bytes(),
    );
    out
}

/// Issue 17, class 6: in a Word file whose table lists one offset under two numbers, a stamp is
/// found again by `verify`, a second stamp keeps the first in `/Fields`, and every validator
/// accepts both.
#[test]
fn a_word_table_with_two_entries_for_one_offset_keeps_every_stamp() {
    let dir = scratch("word-two-entries");
    let original = dir.join("word.pdf");
    std::fs::write(&original, word_two_entries_one_offset()).expect("write");
    // qpdf checks every entry of the table and warns about entry 7 (rc 3); it reads the file.
    let (rc, text) = qpdf_check(&original, None);
    assert!(
        rc == 3 && text.contains("expected 7 0 obj"),
        "qpdf on the fixture: {text}"
    );
    let box_at = |y: f64| Rect::from_origin_size(440.0, y, 85.0, 85.0);

    let first = stamp_with(
        std::fs::read(&original).expect("read"),
        None,
        &spec(1, box_at(330.0)),
        false,
    );
    let once = write(&dir, "word-1.pdf", &first);
    let report =
        loket::pdf::verify_pdf(&std::fs::read(&once).expect("read"), None, None).expect("verify");
    assert!(
        report.signatures.len() == 1 && report.all_valid(),
        "{report:#?}"
    );
    assert_validators_accept(&once, None, 1);

    let second = stamp_with(
        std::fs::read(&once).expect("read"),
        None,
        &spec(1, box_at(100.0)),
        false,
    );
    let twice = write(&dir, "word-2.pdf", &second);
    let report =
        loket::pdf::verify_pdf(&std::fs::read(&twice).expect("read"), None, None).expect("verify");
    assert!(
        report.signatures.len() == 2 && report.all_valid(),
        "{report:#?}"
    );
    assert_validators_accept(&twice, None, 2);
    // Both fields are in the catalog's /Fields as qpdf reads it.
    let (rc, json) = run(Command::new(tool("qpdf"))
        .args(["--json", "--json-key=acroform"])
        .arg(&twice));
    assert_eq!(rc, 0, "{json}");
    assert_eq!(
        json.matches("\"fullname\": \"eMeterai_").count(),
        2,
        "{json}"
    );
}

/// The text of a qpdf-encrypted file's `/Encrypt` object, written in place of the trailer's
/// reference to it (a direct dictionary, which qpdf and poppler read and some producers write);
/// the object itself is left in the file, unreferenced. Classic table, no object streams, so no
/// offset moves: the trailer follows everything it could shift.
fn with_direct_encrypt(encrypted: &[u8]) -> Vec<u8> {
    let find = |from: usize, what: &[u8]| {
        encrypted[from..]
            .windows(what.len())
            .position(|w| w == what)
            .map(|p| p + from)
    };
    let trailer = encrypted
        .windows(7)
        .rposition(|w| w == b"trailer")
        .expect("classic trailer");
    let reference_at = find(trailer, b"/Encrypt ").expect("/Encrypt") + 9;
    let reference_end = find(reference_at, b"R").expect("reference") + 1;
    let reference = String::from_utf8_lossy(&encrypted[reference_at..reference_end]).into_owned();
    let number = reference.split_whitespace().next().expect("number");
    let header = format!("\n{number} 0 obj\n");
    let start = find(0, header.as_bytes()).expect("encrypt object") + header.len();
    let end = find(start, b"\nendobj").expect("endobj");
    let mut out = encrypted[..reference_at].to_vec();
    out.extend_from_slice(&encrypted[start..end]);
    out.extend_from_slice(&encrypted[reference_end..]);
    out
}

/// A trailer `/Encrypt` written as a direct dictionary is read (decrypted) and stamped, for
/// AES-256 and RC4 with an empty user password and for AES-256 with a user password; the update
/// keeps the dictionary direct. pyHanko's strict reader refuses the original itself ("Encryption
/// settings must be an indirect reference"), so the output goes through its lenient one, besides
/// pdfsig, qpdf and loket's own read-back.
#[test]
fn a_direct_encrypt_dictionary_is_read_and_stamped() {
    let dir = scratch("direct-encrypt");
    let source = dir.join("letter-plain.pdf");
    let (rc, text) = run(Command::new(tool("qpdf"))
        .args(["--object-streams=disable"])
        .arg(corpus().path("letter.pdf"))
        .arg(&source));
    assert!(rc == 0, "{text}");
    for (name, user, args) in [
        ("aes256", "", vec!["256"]),
        ("rc4", "", vec!["128", "--use-aes=n"]),
        ("aes256-user", USER_PASSWORD, vec!["256"]),
    ] {
        let encrypted = dir.join(format!("{name}-indirect.pdf"));
        let mut cmd = Command::new(tool("qpdf"));
        cmd.args(["--allow-weak-crypto", "--encrypt", user, "pemilik"])
            .args(&args)
            .args(["--", "--object-streams=disable"])
            .arg(&source)
            .arg(&encrypted);
        let (rc, text) = run(&mut cmd);
        assert!(rc == 0, "{name}: {text}");
        let direct = with_direct_encrypt(&std::fs::read(&encrypted).expect("read"));
        let original = dir.join(format!("{name}.pdf"));
        std::fs::write(&original, &direct).expect("write");
        let password = (!user.is_empty()).then_some(user);
        let (rc, text) = qpdf_check(&original, password);
        assert_eq!(rc, 0, "{name}: qpdf reads the hand-made file: {text}");
        let (rc, text) = pyhanko_validate(&original, password, true);
        assert!(
            rc != 0 && text.contains("must be an indirect reference"),
            "{name}: pyHanko's strict reader now takes a direct /Encrypt; validate strictly here: {text}"
        );
        if password.is_some() {
            let refused = loket::pdf::intake::intake(
                direct.clone(),
                &loket::pdf::intake::IntakeOptions::default(),
            )
            .expect_err("a user password is asked for");
            assert!(
                matches!(refused, loket::pdf::intake::IntakeError::PasswordRequired),
                "{name}: {refused:?}"
            );
        }

        let stamped = stamp_with(direct, password, &spec(1, letter_box()), false);
        let out = write(&dir, &format!("{name}-stamped.pdf"), &stamped);
        let bytes = std::fs::read(&out).expect("read");
        let tail_text = String::from_utf8_lossy(stamped.tail());
        let last_trailer = tail_text.rfind("trailer").expect("classic update");
        assert!(
            tail_text[last_trailer..].contains("/Encrypt<<")
                || tail_text[last_trailer..].contains("/Encrypt <<"),
            "{name}: the update's trailer keeps the dictionary direct: {}",
            &tail_text[last_trailer..]
        );
        let sigs = pdfsig(&out, password);
        assert!(
            sigs.len() == 1 && sigs[0].0 && sigs[0].1,
            "{name}: {sigs:#?}"
        );
        let (rc, text) = qpdf_check(&out, password);
        assert_eq!(rc, 0, "{name}: {text}");
        // Lenient, as the original fails pyHanko's strict reader (above).
        let (rc, text) = pyhanko_validate(&out, password, false);
        assert_eq!(rc, 0, "{name}: pyHanko (lenient): {}", tail(&text));
        let report = loket::pdf::verify_pdf(&bytes, password, None).expect("verify");
        assert!(report.all_valid(), "{name}: {report:#?}");
        // The page still reads as the letter (the file was decrypted, not taken for plain text).
        let (rc, text) = run(Command::new(tool("pdftotext"))
            .args(["-upw", user])
            .arg(&out)
            .arg("-"));
        assert!(rc == 0 && text.contains("Hormat saya,"), "{name}: {text}");
    }
}

/// Beside "Hormat saya," in the corpus letter.
fn letter_box() -> Rect {
    Rect::from_origin_size(360.0, 320.0, 85.0, 85.0)
}

/// `stamped` with an incremental update adding `extra` signature fields whose `/V` is the stamp's
/// own signature dictionary (a hostile file: every field names one signature).
pub(super) fn many_fields_sharing_one_signature(stamped: &[u8], extra: usize) -> Vec<u8> {
    use lopdf::{Dictionary, Document, IncrementalDocument, Object};
    let doc = Document::load_mem(stamped).expect("load stamped");
    let root_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .expect("root");
    let mut catalog = doc.get_dictionary(root_id).expect("catalog").clone();
    let mut acroform = catalog
        .get(b"AcroForm")
        .and_then(Object::as_dict)
        .expect("direct AcroForm in the stamped letter")
        .clone();
    let mut fields = acroform
        .get(b"Fields")
        .and_then(Object::as_array)
        .expect("fields")
        .clone();
    let widget_id = fields[0].as_reference().expect("widget reference");
    let sig_ref = doc
        .get_dictionary(widget_id)
        .and_then(|w| w.get(b"V"))
        .expect("/V")
        .clone();
    let mut inc = IncrementalDocument::create_from(stamped.to_vec(), doc);
    for i in 0..extra {
        let mut field = Dictionary::new();
        field.set("FT", Object::Name(b"Sig".to_vec()));
        field.set("T", Object::string_literal(format!("Salinan_{i}")));
        field.set("V", sig_ref.clone());
        fields.push(Object::Reference(inc.new_document.add_object(field)));
    }
    acroform.set("Fields", Object::Array(fields));
    catalog.set("AcroForm", Object::Dictionary(acroform));
    inc.new_document
        .set_object(root_id, Object::Dictionary(catalog));
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("save");
    out
}

/// Peak resident memory (KiB) and wall time (s) of `loket ARGS` under /usr/bin/time.
pub(super) fn loket_measured(
    data: &std::path::Path,
    args: &[&std::ffi::OsStr],
) -> (u64, f64, String) {
    let (rc, text) = run(Command::new(tool("time"))
        .args(["-f", "peak_kib=%M wall_s=%e"])
        .arg(crate::common::loket_bin())
        .arg("--data")
        .arg(data)
        .args(args));
    assert_eq!(rc, 0, "loket {args:?}: {text}");
    let field = |key: &str| -> String {
        let at = text.rfind(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
        text[at..]
            .split_whitespace()
            .next()
            .expect("value")
            .to_string()
    };
    (
        field("peak_kib=").parse().expect("kib"),
        field("wall_s=").parse().expect("seconds"),
        text,
    )
}

/// Issue 17, class 9: `loket verify` of a 25 MB file with 5,000 signature fields sharing one
/// signature dictionary checks the signature once (the byte range is hashed once, not 5,000
/// times) and stays within twice the file's size plus 50 MB of memory. Time is not asserted on a
/// shared machine; BENCHMARKS.md has it.
#[test]
fn verify_of_many_fields_sharing_one_signature_is_bounded() {
    let dir = scratch("many-fields");
    let scan = std::fs::read(scanned_25mb()).expect("scan");
    let stamped = stamp_with(
        scan,
        None,
        &spec(1, Rect::from_origin_size(400.0, 60.0, 85.0, 85.0)),
        false,
    );
    let hostile = many_fields_sharing_one_signature(&stamped.to_vec(), 4_999);
    let path = dir.join("many-fields.pdf");
    std::fs::write(&path, &hostile).expect("write");

    let report = loket::pdf::verify_pdf(&hostile, None, None).expect("verify");
    assert_eq!(report.signatures.len(), 5_000);
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.digest_matches && s.signature_valid && s.modified_after),
        "{:#?}",
        &report.signatures[..2]
    );

    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let (peak_kib, wall, text) = loket_measured(
        &data,
        &["verify".as_ref(), path.as_os_str(), "--json".as_ref()],
    );
    let limit_kib = (2 * hostile.len() as u64 + (50 << 20)) / 1024;
    assert!(
        peak_kib <= limit_kib,
        "loket verify used {peak_kib} KiB (limit {limit_kib} KiB) in {wall} s: {}",
        tail(&text)
    );
}

/// A one-page PDF of `media` (points) whose content stream is `content` (font `/F1` is Helvetica).
fn page_pdf(media: (f64, f64), content: &str) -> Vec<u8> {
    use lopdf::{Dictionary, Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let content_id = doc.add_object(Stream::new(Dictionary::new(), content.as_bytes().to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "MediaBox" => vec![0.into(), 0.into(), Object::from(media.0), Object::from(media.1)],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

fn text_at(x: f64, y: f64, text: &str) -> String {
    format!("BT /F1 11 Tf {x} {y} Td ({text}) Tj ET\n")
}

fn prepare(bytes: Vec<u8>) -> loket::pdf::PreparedDocument {
    loket::pdf::intake(bytes, &loket::pdf::IntakeOptions::default()).expect("intake")
}

/// Issue 17, class 8: on A5, A6, a 58 mm receipt and a 25 mm label the proposal fits on the page
/// (shrunk on the label, never below 20 mm) and the stamped file passes every validator; on a
/// 15 mm label, and for a stamp chosen larger than the page, stamping is refused with the reason
/// and the size that would fit.
#[test]
fn small_pages_get_a_stamp_that_fits_or_a_clear_refusal() {
    use loket::pdf::placement::{MIN_STAMP_MM, Overlap, PlacementOptions, propose};
    use loket::pdf::{StampError, mm_to_pt, pt_to_mm};
    let dir = scratch("small-pages");
    let mm = mm_to_pt;
    for (name, w, h, expect_mm) in [
        ("a5", 148.0, 210.0, 30.0),
        ("a6", 105.0, 148.0, 30.0),
        ("struk-58mm", 58.0, 120.0, 30.0),
        ("label-25mm", 25.0, 25.0, 22.0),
    ] {
        let (wp, hp) = (mm(w), mm(h));
        let content = if h > 100.0 {
            text_at(mm(8.0), hp * 0.45, "Hormat saya,") + &text_at(mm(8.0), hp * 0.2, "Budi")
        } else {
            // A blank label: the stamp takes most of it.
            String::new()
        };
        let bytes = page_pdf((wp, hp), &content);
        let prepared = prepare(bytes.clone());
        let placement = propose(&prepared, &PlacementOptions::default());
        let page = Rect::new(0.0, 0.0, wp, hp);
        assert!(
            page.contains(&placement.rect) && placement.overlaps.is_empty(),
            "{name}: {placement:?}"
        );
        let edge = pt_to_mm(placement.rect.width());
        assert!(
            (edge - expect_mm).abs() < 0.5 && edge >= MIN_STAMP_MM,
            "{name}: a {edge} mm stamp"
        );
        let stamped = stamp_with(bytes, None, &spec(placement.page, placement.rect), false);
        let out = write(&dir, &format!("{name}.pdf"), &stamped);
        assert_validators_accept(&out, None, 1);
    }

    // Smaller than the smallest legible stamp: the proposal says it leaves the page, stamping
    // refuses and says why.
    let tiny = page_pdf((mm(15.0), mm(15.0)), &text_at(1.0, 20.0, "X"));
    let placement = propose(&prepare(tiny.clone()), &PlacementOptions::default());
    assert!(
        placement
            .overlaps
            .iter()
            .any(|o| matches!(o, Overlap::OutsidePage { .. })),
        "{placement:?}"
    );
    let err = loket::pdf::stamp(prepare(tiny), &spec(1, placement.rect), &pki().signer, None)
        .expect_err("a 15 mm page takes no stamp");
    assert!(
        matches!(err, StampError::PageTooSmall { .. })
            && err.to_string().contains("terlalu kecil")
            && err.to_string().contains("kertas yang lebih besar"),
        "{err}"
    );
    // A 30 mm stamp chosen for the 25 mm label: refused, naming the size that fits.
    let label = page_pdf((mm(25.0), mm(25.0)), "");
    let err = loket::pdf::stamp(
        prepare(label),
        &spec(1, Rect::from_origin_size(0.0, 0.0, mm(30.0), mm(30.0))),
        &pki().signer,
        None,
    )
    .expect_err("a 30 mm stamp does not fit a 25 mm page");
    assert!(
        err.to_string()
            .contains("Pilih ukuran e-Meterai 22 mm atau lebih kecil"),
        "{err}"
    );
    // Partly off an A4 page: refused, not stamped half outside.
    let err = loket::pdf::stamp(
        prepare(corpus().bytes("letter.pdf")),
        &spec(1, Rect::from_origin_size(560.0, 300.0, 85.0, 85.0)),
        &pki().signer,
        None,
    )
    .expect_err("off the page");
    assert!(matches!(err, StampError::BadPlacement), "{err:?}");
}

/// Issue 17, class 8: English closings and signature labels anchor the proposal like "Hormat
/// saya," does; "signed" inside another word does not.
#[test]
fn english_closings_anchor_the_proposal() {
    use loket::pdf::PlacementBasis;
    use loket::pdf::placement::{PlacementOptions, page_text, propose};
    for (line, keyword) in [
        ("Yours faithfully,", Some("yours faithfully")),
        ("Sincerely,", Some("sincerely")),
        ("Yours sincerely,", Some("yours sincerely")),
        ("Signature:", Some("signature")),
        ("Signed by the applicant", Some("signed")),
        ("Designed by Studio Rupa", None),
    ] {
        let content = text_at(72.0, 700.0, "Dear Sir or Madam,")
            + &text_at(72.0, 660.0, "I am writing to apply for the position.")
            + &text_at(320.0, 320.0, line)
            + &text_at(320.0, 220.0, "John Smith");
        let prepared = prepare(page_pdf((595.0, 842.0), &content));
        let placement = propose(&prepared, &PlacementOptions::default());
        match keyword {
            Some(k) => {
                assert!(
                    matches!(&placement.basis, PlacementBasis::Anchor { keyword, .. } if keyword == k),
                    "{line}: {placement:?}"
                );
                let page_id = prepared.page_id(1).expect("page");
                let text = page_text(prepared.document(), page_id, 1 << 20);
                let anchor = text.iter().find(|l| l.text == line).expect("anchor line");
                let near = (placement.rect.x0 - anchor.rect.x0).abs() < 200.0
                    && (placement.rect.y1 - anchor.rect.y0).abs() < 200.0;
                assert!(near, "{line}: {placement:?} far from {anchor:?}");
                assert!(
                    text.iter().all(|l| !l.rect.intersects(&placement.rect)),
                    "{line}: covers text"
                );
            }
            None => assert!(
                matches!(placement.basis, PlacementBasis::Fallback),
                "{line}: {placement:?}"
            ),
        }
    }
}

/// Issue 17, class 8 and issue 21 ("it covered 15 mm of the line beside 'Hormat saya,'"): a
/// signature line drawn near the closing, with the signer's name under it, is never under the
/// proposed stamp, whether drawn as a stroked path, as a thin filled rectangle (as Word draws it)
/// or as a row of underscores; a drawn line with a name and no closing anchors the proposal
/// itself. In "line-under-closing" the proposal used to slide right along the space under the
/// closing onto 75 pt of the line, clear of the name's text but not of the line. The stamped page
/// with the line beside the closing is rendered and the line's pixels are checked uncovered.
#[test]
fn a_drawn_signature_line_and_its_name_are_never_covered() {
    use loket::pdf::PlacementBasis;
    use loket::pdf::placement::{PlacementOptions, page_rules, page_text, propose};
    let dir = scratch("signature-line");
    let hormat = text_at(360.0, 300.0, "Hormat saya,");
    let cases = [
        (
            "line-under-closing",
            hormat.clone()
                + "0.8 w 360 240 m 520 240 l S\n"
                + &text_at(360.0, 226.0, "Budi Santoso"),
        ),
        (
            "line-beside-closing",
            text_at(300.0, 300.0, "Hormat saya,")
                + "0 0 0 RG 0.6 w 372 298 m 540 298 l S\n"
                + &text_at(380.0, 284.0, "Budi Santoso")
                + &text_at(300.0, 210.0, "Lampiran: fotokopi KTP"),
        ),
        (
            "word-filled-rule",
            hormat.clone()
                + "0 0 0 rg 360 239.6 160 0.75 re f\n"
                + &text_at(360.0, 226.0, "Budi Santoso"),
        ),
        (
            "underscores",
            hormat.clone()
                + &text_at(360.0, 240.0, "____________________________")
                + &text_at(360.0, 226.0, "Budi Santoso"),
        ),
        (
            "line-and-name-only",
            text_at(
                72.0,
                700.0,
                "Pernyataan bersedia ditempatkan di seluruh wilayah.",
            ) + "0.5 w 330 180 m 500 180 l S\n"
                + &text_at(350.0, 166.0, "Budi Santoso"),
        ),
    ];
    for (name, content) in cases {
        let bytes = page_pdf((595.0, 842.0), &content);
        let prepared = prepare(bytes.clone());
        let page_id = prepared.page_id(1).expect("page");
        let rules = page_rules(prepared.document(), page_id, 1 << 20);
        let text = page_text(prepared.document(), page_id, 1 << 20);
        if name != "underscores" {
            assert_eq!(rules.len(), 1, "{name}: {rules:?}");
        }
        let placement = propose(&prepared, &PlacementOptions::default());
        assert!(
            matches!(placement.basis, PlacementBasis::Anchor { .. }),
            "{name}: {placement:?}"
        );
        for rule in &rules {
            assert!(
                !rule.intersects(&placement.rect),
                "{name}: covers the line {rule:?}: {placement:?}"
            );
        }
        for line in &text {
            assert!(
                !line.rect.intersects(&placement.rect),
                "{name}: covers \"{}\": {placement:?}",
                line.text
            );
        }
        if name == "line-beside-closing" {
            // Rendered: no pixel of the drawn line is under the stamp.
            let stamped = stamp_with(bytes, None, &spec(1, placement.rect), false);
            let out = write(&dir, &format!("{name}.pdf"), &stamped);
            let (w, h, rgb) = render(&out);
            let ((x0, y0, x1, y1), _) = stamp_on_picture(w, h, &rgb);
            let line_row = h - 298;
            let dark = |x: usize, y: usize| rgb[(y * w + x) * 3] < 100;
            let drawn = (372..540)
                .filter(|&x| (line_row - 1..=line_row + 1).any(|y| dark(x, y)))
                .count();
            assert!(
                drawn > 150,
                "{name}: the line is drawn ({drawn} dark pixels)"
            );
            assert!(
                y1 < line_row - 1 || y0 > line_row + 1 || x1 < 372 || x0 > 540,
                "{name}: the stamp ({x0}, {y0})–({x1}, {y1}) lies on the line at row {line_row}"
            );
        }
    }
}

/// A classic-table PDF of `objects` (bodies of objects 1, 2, …; object 1 the catalog), LF line
/// ends.
fn classic_pdf(objects: &[&str]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R/ID[<8F3A61C2D4E5F60718293A4B5C6D7E8F><8F3A61C2D4E5F60718293A4B5C6D7E8F>]>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A letter as office suites write one: reals with more digits than `f32` holds in the page's
/// boxes and resources and in the catalog's open action, and a direct `/AcroForm` with default
/// appearance strings in the catalog.
fn letter_with_precise_reals() -> Vec<u8> {
    let content = "q /GS1 gs 0.498039215686 g BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET Q\n\
                   BT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET\n\
                   BT /F1 12 Tf 72 690 Td (SURAT PERNYATAAN) Tj ET";
    let stream = format!(
        "<</Length {}>>\nstream\n{content}\nendstream",
        content.len()
    );
    classic_pdf(&[
        "<</Type/Catalog/Pages 2 0 R/OpenAction[3 0 R/XYZ 0 841.8897637795 0.9999999]\
         /AcroForm<</Fields[]/DA(/Helv 0 Tf 0 g )/DR<</Font<</Helv 6 0 R>>>>>>/Lang(id-ID)>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.2755905512 841.8897637795]\
         /CropBox[0 0 595.2755905512 841.8897637795]/Resources<</Font<</F1 5 0 R>>\
         /ExtGState<</GS1<</Type/ExtGState/CA 0.298039215686/ca 0.298039215686/LW 0.283464566929>>>>\
         /ProcSet[/PDF/Text]>>/Contents 4 0 R>>",
        &stream,
        "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Name/Helv/Encoding/WinAnsiEncoding>>",
    ])
}

/// Issue 17, class 7: a stamp over a file signed by another signer (pyHanko) changes only the
/// page's `/Annots` and the form's `/Fields` and `/SigFlags`: the page, its resources and the
/// catalog keep every value as written (lopdf holds reals as `f32`, and writing them back rounded
/// them), so pyHanko's diff analysis still calls the applicant's signature intact with form
/// filling only, strictly, and pdfsig and qpdf accept both.
#[test]
fn earlier_signatures_stay_valid_after_the_stamp() {
    let dir = scratch("earlier-signature");
    let original = dir.join("precise.pdf");
    std::fs::write(&original, letter_with_precise_reals()).expect("write");
    let (rc, text) = qpdf_check(&original, None);
    assert_eq!(rc, 0, "{text}");
    let signed = dir.join("precise-signed.pdf");
    pyhanko_sign(
        &original,
        &signed,
        "TTD_Pelamar",
        "sign",
        Some("1/360,210,520,290"),
    );
    assert_validators_accept(&signed, None, 1);

    let stamped = stamp_with(
        std::fs::read(&signed).expect("read"),
        None,
        &spec(1, Rect::from_origin_size(440.0, 330.0, 85.0, 85.0)),
        false,
    );
    let out = write(&dir, "precise-stamped.pdf", &stamped);
    assert_validators_accept(&out, None, 2);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pdf/pyhanko_diff.py");
    let (rc, levels) = run(Command::new(tool("python")).arg(script).arg(&out));
    assert_eq!(rc, 0, "{levels}");
    assert!(
        levels.contains("TTD_Pelamar FORM_FILLING"),
        "pyHanko's diff analysis of the applicant's signature: {levels}"
    );
    // The values are in the update as the file wrote them.
    let tail_text = String::from_utf8_lossy(stamped.tail());
    for written in [
        "595.2755905512",
        "0.298039215686",
        "841.8897637795 0.9999999",
    ] {
        assert!(
            tail_text.contains(written),
            "{written} not kept: {tail_text}"
        );
    }
    let report =
        loket::pdf::verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
    assert!(
        report.signatures.len() == 2 && report.all_valid(),
        "{report:#?}"
    );
}
