//! Classes of real-world files that stamped wrongly (issue 17), each generated here from the corpus:
//! an encryption dictionary with indirect crypt filters, bytes before `%PDF-`, a cross-reference
//! stream left out of `/Size`.

use std::path::Path;
use std::process::Command;

use loket::pdf::Rect;
use loket::pdf::intake::{IntakeOptions, IntakeWarning, intake};
use loket::pdf::verify::verify_pdf;

use super::support::*;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The integer after `key` in `text` (first occurrence from `from`).
fn number_after(text: &[u8], key: &[u8]) -> usize {
    let at = find(text, key).unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(key)))
        + key.len();
    let digits: String = text[at..]
        .iter()
        .skip_while(|c| c.is_ascii_whitespace())
        .take_while(|c| c.is_ascii_digit())
        .map(|&c| char::from(c))
        .collect();
    digits.parse().expect("number")
}

/// The text of `key` up to the end of its value, for copying a trailer entry (`/ID [...]`, `/Root 1 0 R`).
fn entry(text: &[u8], key: &[u8], end: u8) -> Vec<u8> {
    let at = find(text, key).unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(key)));
    let stop = text[at + key.len()..]
        .iter()
        .position(|&c| c == end)
        .expect("entry end");
    text[at..=at + key.len() + stop].to_vec()
}

/// The dictionary starting at `at` (`<<`), through its matching `>>`.
fn dict_at(text: &[u8], at: usize) -> &[u8] {
    let mut depth = 0;
    let mut i = at;
    while i + 1 < text.len() {
        if &text[i..i + 2] == b"<<" {
            depth += 1;
            i += 2;
        } else if &text[i..i + 2] == b">>" {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return &text[at..i];
            }
        } else {
            i += 1;
        }
    }
    panic!("unterminated dictionary")
}

/// Where the crypt filter dictionary goes in [`indirect_crypt_filters`].
#[derive(Clone, Copy)]
enum Indirect {
    /// `/CF << /StdCF 9 0 R >>`
    Filter,
    /// `/CF 9 0 R`
    Whole,
}

/// An AES-256 (R6) file by qpdf with an incremental update that moves its crypt filter dictionary
/// (or the whole `/CF`) into an object of its own, as some producers write it. Classic xref table,
/// no object streams, so the update can be written by hand.
fn indirect_crypt_filters(name: &str, how: Indirect, user_password: &str) -> Vec<u8> {
    let dir = scratch(&format!("indirect-cf-{name}"));
    let plain = dir.join("plain.pdf");
    let enc = dir.join("enc.pdf");
    std::fs::write(&plain, corpus().bytes("letter.pdf")).expect("write");
    let (rc, out) = run(Command::new(tool("qpdf")).args([
        "--object-streams=disable",
        "--encrypt",
        user_password,
        "pemilik",
        "256",
        "--",
        plain.to_str().expect("utf-8"),
        enc.to_str().expect("utf-8"),
    ]));
    assert_eq!(rc, 0, "{out}");
    let mut bytes = std::fs::read(&enc).expect("read");
    let trailer_at = rfind(&bytes, b"trailer").expect("classic trailer");
    let trailer = bytes[trailer_at..].to_vec();
    let encrypt_id = number_after(&trailer, b"/Encrypt");
    let size = number_after(&trailer, b"/Size");
    let startxref = number_after(
        &bytes[rfind(&bytes, b"startxref").expect("startxref")..],
        b"startxref",
    );
    let header = format!("\n{encrypt_id} 0 obj");
    let obj_at = find(&bytes, header.as_bytes()).expect("encrypt object") + 1;
    let dict_start = obj_at + find(&bytes[obj_at..], b"<<").expect("dict");
    let encrypt = dict_at(&bytes, dict_start).to_vec();
    let cf_at = find(&encrypt, b"/CF").expect("/CF");
    let cf_dict_at = cf_at + find(&encrypt[cf_at..], b"<<").expect("cf dict");
    let cf = dict_at(&encrypt, cf_dict_at).to_vec();
    let (moved, replaced_range, reference) = match how {
        Indirect::Whole => (
            cf.clone(),
            cf_dict_at..cf_dict_at + cf.len(),
            format!("{size} 0 R"),
        ),
        Indirect::Filter => {
            let inner_at = cf_dict_at + 2 + find(&cf[2..], b"<<").expect("filter dict");
            let inner = dict_at(&encrypt, inner_at).to_vec();
            (
                inner.clone(),
                inner_at..inner_at + inner.len(),
                format!("{size} 0 R"),
            )
        }
    };
    let mut new_encrypt = encrypt[..replaced_range.start].to_vec();
    new_encrypt.extend_from_slice(reference.as_bytes());
    new_encrypt.extend_from_slice(&encrypt[replaced_range.end..]);

    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    let filter_at = bytes.len();
    bytes.extend_from_slice(format!("{size} 0 obj\n").as_bytes());
    bytes.extend_from_slice(&moved);
    bytes.extend_from_slice(b"\nendobj\n");
    let encrypt_at = bytes.len();
    bytes.extend_from_slice(format!("{encrypt_id} 0 obj\n").as_bytes());
    bytes.extend_from_slice(&new_encrypt);
    bytes.extend_from_slice(b"\nendobj\n");
    let xref_at = bytes.len();
    let root = entry(&trailer, b"/Root", b'R');
    let id = entry(&trailer, b"/ID", b']');
    bytes.extend_from_slice(
        format!(
            "xref\n0 1\n0000000000 65535 f\r\n{encrypt_id} 1\n{encrypt_at:010} 00000 n\r\n{size} 1\n{filter_at:010} 00000 n\r\ntrailer\n<< /Size {} ",
            size + 1
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&root);
    bytes.extend_from_slice(format!(" /Encrypt {encrypt_id} 0 R ").as_bytes());
    bytes.extend_from_slice(&id);
    bytes.extend_from_slice(
        format!(" /Prev {startxref} >>\nstartxref\n{xref_at}\n%%EOF\n").as_bytes(),
    );
    bytes
}

/// The last lines of a tool's long answer (a Python traceback), for a readable failure.
pub(super) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
}

/// The text poppler reads from `path`.
fn poppler_text(path: &Path, password: Option<&str>) -> String {
    let mut cmd = Command::new(tool("pdftotext"));
    if let Some(pw) = password {
        cmd.arg("-upw").arg(pw);
    }
    let (rc, text) = run(cmd.arg(path).arg("-"));
    assert_eq!(rc, 0, "pdftotext: {text}");
    text
}

/// qpdf's decryption of `path`, uncompressed, as text a test can search.
fn decrypted(path: &Path, password: Option<&str>) -> String {
    let out = path.with_extension("plain.pdf");
    let mut cmd = Command::new(tool("qpdf"));
    if let Some(pw) = password {
        cmd.arg(format!("--password={pw}"));
    }
    let (rc, text) = run(cmd
        .args(["--decrypt", "--qdf", "--object-streams=disable"])
        .arg(path)
        .arg(&out));
    assert!(rc == 0 || rc == 3, "qpdf --decrypt rc {rc}: {text}");
    String::from_utf8_lossy(&std::fs::read(&out).expect("decrypted")).into_owned()
}

/// Whether pyHanko's reader (strict or lenient) opens `path` and reads its pages.
fn pyhanko_reads(path: &Path, password: Option<&str>, strict: bool) -> (bool, String) {
    let script = "import sys\n\
from pyhanko.pdf_utils.reader import PdfFileReader\n\
r = PdfFileReader(open(sys.argv[1], 'rb'), strict=sys.argv[3] == 'strict')\n\
if r.encrypted:\n    r.decrypt(sys.argv[2].encode())\n\
print(len(r.root['/Pages']['/Kids']))\n";
    let (rc, text) = run(Command::new(tool("python"))
        .arg("-c")
        .arg(script)
        .arg(path)
        .arg(password.unwrap_or(""))
        .arg(if strict { "strict" } else { "lenient" }));
    (rc == 0, text)
}

/// pyHanko validates the stamped `out` strictly when its strict reader opens the `original`, else
/// leniently when its lenient reader does. When pyHanko cannot read the original at all (bytes
/// before the header, an encrypted file without `/ID`), it is no judge of the output, and this
/// returns the reason for the caller to assert on.
fn assert_pyhanko_accepts(
    original: &Path,
    out: &Path,
    password: Option<&str>,
    name: &str,
) -> Option<String> {
    let (strict, why_strict) = pyhanko_reads(original, password, true);
    let (lenient, why_lenient) = pyhanko_reads(original, password, false);
    if !strict && !lenient {
        return Some(why_lenient);
    }
    let why_strict = tail(&why_strict);
    let (rc, text) = pyhanko_validate(out, password, strict);
    assert_eq!(
        rc,
        0,
        "{name}: pyHanko ({}) refuses the output:\n{text}\n(original in strict mode: {why_strict})",
        if strict {
            "strict"
        } else {
            "lenient: the original fails strict"
        }
    );
    None
}

fn letter_box() -> Rect {
    Rect::from_origin_size(360.0, 320.0, 85.0, 85.0)
}

/// Class A: every string and stream of the update decrypts to what was written (field name,
/// signing time, reason, the stamp's picture), checked by qpdf's own decryption and by the
/// validators; `loket verify` reads the same values.
#[test]
fn aes256_with_indirect_crypt_filters_encrypts_the_update_correctly() {
    for (name, how, password) in [
        ("filter", Indirect::Filter, ""),
        ("whole", Indirect::Whole, ""),
        ("user", Indirect::Filter, USER_PASSWORD),
    ] {
        let input = indirect_crypt_filters(name, how, password);
        let dir = scratch(&format!("class-a-{name}"));
        let original = dir.join("in.pdf");
        std::fs::write(&original, &input).expect("write");
        let pw = (!password.is_empty()).then_some(password);
        assert_eq!(
            qpdf_check(&original, pw).0,
            0,
            "{name}: the fixture is valid"
        );
        assert!(
            decrypted(&original, pw).contains("Hormat saya"),
            "{name}: the fixture decrypts"
        );
        let sp = spec(1, letter_box());
        let stamped = stamp_with(input, pw, &sp, false);
        let out = write(&dir, "out.pdf", &stamped);
        let plain = decrypted(&out, pw);
        assert!(
            plain.contains(&format!("/T ({})", stamped.field_name)),
            "{name}: the field name does not decrypt"
        );
        assert!(
            plain.contains(&format!(
                "/M ({})",
                loket::pdf::stamp::pdf_date(sp.signing_time)
            )),
            "{name}: the signing time does not decrypt"
        );
        assert!(
            plain.contains(&format!("[{}] Surat Pernyataan", sp.serial)),
            "{name}: the reason does not decrypt"
        );
        let sigs = pdfsig(&out, pw);
        assert_eq!(sigs.len(), 1, "{name}: {sigs:#?}");
        assert!(sigs[0].0 && sigs[0].1, "{name}: {}", sigs[0].2);
        assert!(
            sigs[0]
                .2
                .contains(&format!("Signature Field Name: {}", stamped.field_name)),
            "{name}: {}",
            sigs[0].2
        );
        let (rc, text) = qpdf_check(&out, pw);
        assert_eq!(rc, 0, "{name}: {text}");
        // pyHanko has lopdf's old trouble: it reads no crypt filter held in an object of its own,
        // so it opens neither the original nor the output; pdfsig and qpdf judge these.
        let refused = assert_pyhanko_accepts(&original, &out, pw, name);
        assert!(
            refused
                .as_deref()
                .is_some_and(|t| t.contains("IndirectObject") || t.contains("RecursionError")),
            "{name}: pyHanko reads the original now; validate the output with it: {}",
            tail(refused.as_deref().unwrap_or_default())
        );
        let report = verify_pdf(&std::fs::read(&out).expect("read"), pw, None).expect("verify");
        let sig = &report.signatures[0];
        assert!(sig.valid, "{name}: {sig:#?}");
        assert_eq!(sig.field, stamped.field_name);
        assert_eq!(sig.serial.as_deref(), Some(sp.serial.as_str()));
        assert_eq!(sig.location.as_deref(), Some("Jakarta"));
    }
}

/// Class B: a file with bytes before `%PDF-` (a mail gateway's header): the update's offsets count
/// from the header like the original's, so qpdf finds nothing wrong and a second stamp is taken.
#[test]
fn bytes_before_the_header_keep_offsets_consistent() {
    for name in ["letter.pdf", "letter-xrefstream.pdf", "letter-objstm.pdf"] {
        let dir = scratch(&format!("class-b-{name}"));
        let mut input = b"Content-Type: application/pdf\r\nX-Gateway: scanned\r\n\r\n".to_vec();
        input.extend_from_slice(&corpus().bytes(name));
        let original = dir.join("in.pdf");
        std::fs::write(&original, &input).expect("write");
        assert_eq!(
            qpdf_check(&original, None).0,
            0,
            "{name}: the fixture is clean"
        );

        let first = stamp_with(input.clone(), None, &spec(1, letter_box()), false);
        let once = write(&dir, "once.pdf", &first);
        let (rc, text) = qpdf_check(&once, None);
        assert_eq!(rc, 0, "{name}: qpdf after one stamp: {text}");

        let prepared = intake(first.to_vec(), &IntakeOptions::default())
            .unwrap_or_else(|e| panic!("{name}: second intake refused: {e}"));
        assert!(
            !prepared.report.repaired && prepared.report.warnings.is_empty(),
            "{name}: {:#?}",
            prepared.report
        );
        let second = stamp_with(
            first.to_vec(),
            None,
            &spec(1, Rect::from_origin_size(460.0, 320.0, 85.0, 85.0)),
            false,
        );
        assert_eq!(&second.to_vec()[..first.len()], &first.to_vec()[..]);
        let twice = write(&dir, "twice.pdf", &second);
        let (rc, text) = qpdf_check(&twice, None);
        assert_eq!(rc, 0, "{name}: qpdf after two stamps: {text}");
        let sigs = pdfsig(&twice, None);
        assert_eq!(sigs.len(), 2, "{name}: {sigs:#?}");
        assert!(sigs.iter().all(|s| s.0), "{name}: {sigs:#?}");
        // pyHanko reads no file with bytes before its header, not even the original
        // ("Illegal PDF header"); pdfsig and qpdf judge these.
        let refused = assert_pyhanko_accepts(&original, &twice, None, name);
        assert!(
            refused
                .as_deref()
                .is_some_and(|t| t.contains("Illegal PDF header")),
            "{name}: pyHanko reads the original now; validate the output with it: {}",
            tail(refused.as_deref().unwrap_or_default())
        );
        let report = verify_pdf(&std::fs::read(&twice).expect("read"), None, None).expect("verify");
        assert!(
            report.all_valid() && report.signatures.len() == 2,
            "{name}: {report:#?}"
        );
    }
}

/// A one-page file with a cross-reference stream whose own object number equals `/Size` (the
/// writer left it out), written byte by byte.
fn xref_stream_outside_size() -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let content = "BT /F1 12 Tf 72 700 Td (Hormat saya,) Tj ET";
    let bodies = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            A4.0, A4.1
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut offsets = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    // Entries 0..=5 with W [1 4 2]; the stream itself is object 6 and /Size says 6.
    let mut entries = vec![0u8, 0, 0, 0, 0, 0xff, 0xff];
    for off in &offsets {
        entries.push(1);
        entries.extend_from_slice(&u32::try_from(*off).expect("a small file").to_be_bytes());
        entries.extend_from_slice(&[0, 0]);
    }
    let xref_at = out.len();
    out.extend_from_slice(
        format!(
            "6 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length {} >>\nstream\n",
            entries.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&entries);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// Class C: new objects never take the number of the original's cross-reference stream, which
/// pyHanko strict refuses ("XRef stream objects must not be clobbered").
#[test]
fn new_objects_do_not_clobber_an_xref_stream_left_out_of_size() {
    let dir = scratch("class-c");
    let input = xref_stream_outside_size();
    let original = dir.join("in.pdf");
    std::fs::write(&original, &input).expect("write");
    let (reads, text) = pyhanko_reads(&original, None, true);
    assert!(reads, "strict pyHanko reads the fixture: {text}");
    let stamped = stamp_with(input, None, &spec(1, letter_box()), false);
    assert!(
        !stamped.tail().windows(8).any(|w| w == b"\n6 0 obj")
            && !stamped.tail().starts_with(b"6 0 obj"),
        "the update redefines object 6"
    );
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, None, 1);
}

/// Class C, after a whole-file rewrite: the rewritten hybrid file lists no object twice and no
/// generation other than the one its object has.
#[test]
fn a_rewritten_hybrid_file_has_one_generation_per_object() {
    let prepared = intake(
        corpus().bytes("letter-hybrid.pdf"),
        &IntakeOptions::default(),
    )
    .expect("intake");
    assert!(
        prepared
            .report
            .warnings
            .contains(&IntakeWarning::HybridRewritten)
    );
    let dir = scratch("class-c-hybrid");
    let rewritten = dir.join("rewritten.pdf");
    std::fs::write(&rewritten, prepared.bytes()).expect("write");
    let (rc, xref) = run(Command::new(tool("qpdf"))
        .arg("--show-xref")
        .arg(&rewritten));
    assert_eq!(rc, 0, "{xref}");
    for line in xref.lines() {
        let id = line.split(':').next().unwrap_or_default();
        assert!(
            id.ends_with("/0"),
            "an object keeps a generation of the hybrid file: {line}\n{xref}"
        );
    }
    let stamped =
        loket::pdf::stamp(prepared, &spec(1, letter_box()), &pki().signer, None).expect("stamp");
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, None, 1);
}

/// An RC4 (V2, 128-bit) file with an empty user password whose key was derived from an empty
/// `/ID`, written with `id` as its trailer's `/ID` (`None`: no `/ID` at all), as some producers do.
fn rc4_with_id(id: Option<lopdf::Object>) -> Vec<u8> {
    use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
    use lopdf::{Document, Object, StringFormat};
    let mut doc = Document::load_mem(&corpus().bytes("letter.pdf")).expect("letter");
    let empty = Object::String(Vec::new(), StringFormat::Hexadecimal);
    doc.trailer
        .set("ID", Object::Array(vec![empty.clone(), empty]));
    let template = doc.clone();
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &template,
        owner_password: "pemilik",
        user_password: "",
        key_length: 128,
        permissions: Permissions::default(),
    })
    .expect("rc4 state");
    doc.encrypt(&state).expect("encrypt");
    match id {
        Some(id) => doc.trailer.set("ID", id),
        None => {
            doc.trailer.remove(b"ID");
        }
    }
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// `bytes` with `from` replaced by `to` once, where both have the same length (no offset moves).
fn same_length_edit(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at =
        find(bytes, from).unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(from)));
    let mut out = bytes.to_vec();
    out[at..at + from.len()].copy_from_slice(to);
    out
}

/// Class D: files readers open are opened, stamped and validated; the password is asked for only
/// when there is one.
#[test]
fn files_readers_open_are_not_refused() {
    use lopdf::Object;
    let letter = corpus().bytes("letter.pdf");
    let trailer_at = rfind(&letter, b"trailer").expect("trailer");
    let dict_at = trailer_at + find(&letter[trailer_at..], b"<<").expect("trailer dict") + 2;
    let mut empty_encrypt = letter[..dict_at].to_vec();
    empty_encrypt.extend_from_slice(b"/Encrypt [] ");
    empty_encrypt.extend_from_slice(&letter[dict_at..]);

    let dir = scratch("class-d-aes");
    let (rc, out) = run(Command::new(tool("qpdf"))
        .args([
            "--object-streams=disable",
            "--encrypt",
            USER_PASSWORD,
            "pemilik",
            "256",
            "--",
        ])
        .arg(corpus().path("letter.pdf"))
        .arg(dir.join("aes.pdf")));
    assert_eq!(rc, 0, "{out}");
    let aes = std::fs::read(dir.join("aes.pdf")).expect("aes");
    // A V5 handler whose /Length counts bytes, not bits: V5 keys are 256 bits whatever it says.
    let length_in_bytes = same_length_edit(&aes, b"/Length 256", b"/Length 32 ");

    // (name, bytes, password, encrypted after intake)
    let cases: Vec<(&str, Vec<u8>, Option<&str>, bool)> = vec![
        ("rc4-no-id", rc4_with_id(None), None, true),
        (
            "rc4-no-id-empty-password",
            rc4_with_id(None),
            Some(""),
            true,
        ),
        (
            "rc4-id-empty-array",
            rc4_with_id(Some(Object::Array(vec![]))),
            None,
            true,
        ),
        (
            "rc4-id-not-an-array",
            rc4_with_id(Some(Object::Integer(7))),
            None,
            true,
        ),
        ("encrypt-empty-array", empty_encrypt, None, false),
        (
            "aes256-length-in-bytes",
            length_in_bytes,
            Some(USER_PASSWORD),
            true,
        ),
    ];
    for (name, bytes, password, encrypted) in cases {
        let dir = scratch(&format!("class-d-{name}"));
        let original = dir.join("in.pdf");
        std::fs::write(&original, &bytes).expect("write");
        // Readers open the original: poppler reads its text.
        assert!(
            poppler_text(&original, password).contains("Hormat saya"),
            "{name}: poppler cannot read the fixture"
        );
        let prepared = intake(
            bytes.clone(),
            &IntakeOptions {
                password: password.map(str::to_string),
                ..IntakeOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: refused: {e} ({e:?})"));
        assert_eq!(prepared.report.encrypted, encrypted, "{name}");
        assert_eq!(prepared.report.pages, 1, "{name}");
        let sp = spec(1, letter_box());
        let stamped = stamp_with(bytes, password, &sp, false);
        let out = write(&dir, "out.pdf", &stamped);
        let sigs = pdfsig(&out, password);
        assert_eq!(sigs.len(), 1, "{name}: {sigs:#?}");
        assert!(sigs[0].0 && sigs[0].1, "{name}: {}", sigs[0].2);
        assert!(
            sigs[0]
                .2
                .contains(&format!("Signature Field Name: {}", stamped.field_name)),
            "{name}: the field name does not read back: {}",
            sigs[0].2
        );
        assert!(
            poppler_text(&out, password).contains("Hormat saya"),
            "{name}: poppler cannot read the output"
        );
        // qpdf finds the output no worse than the original (it refuses `/Encrypt []` itself).
        let rank = |rc: i32| match rc {
            0 => 0,
            3 => 1,
            _ => 2,
        };
        let (rc_in, text_in) = qpdf_check(&original, password);
        let (rc_out, text_out) = qpdf_check(&out, password);
        assert!(
            rank(rc_out) <= rank(rc_in),
            "{name}: qpdf judges the output worse than the original:\n{text_in}\n{text_out}"
        );
        // pyHanko cannot open an encrypted file without an /ID array, not even the original;
        // pdfsig and qpdf judge those.
        if let Some(why) = assert_pyhanko_accepts(&original, &out, password, name) {
            assert!(
                name.starts_with("rc4-") || name == "encrypt-empty-array",
                "{name}: pyHanko cannot read the original: {}",
                tail(&why)
            );
        }
        let report = verify_pdf(&std::fs::read(&out).expect("read"), password, None)
            .unwrap_or_else(|e| panic!("{name}: verify: {e}"));
        assert!(report.all_valid(), "{name}: {report:#?}");
    }
}

/// Class D: the true reason is named. A file locked to a recipient's certificate is not "locked
/// with a password"; a real user password is still asked for, and a wrong one still called wrong.
#[test]
fn refusals_name_the_true_reason() {
    use loket::pdf::intake::IntakeError;
    let dir = scratch("class-d-pubsec");
    let locked = dir.join("pubsec.pdf");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pdf/pyhanko_pubkey.py");
    let (rc, out) = run(Command::new(tool("python"))
        .arg(script)
        .arg(corpus().path("letter.pdf"))
        .arg(&locked));
    assert_eq!(rc, 0, "{out}");
    let bytes = std::fs::read(&locked).expect("read");
    assert!(find(&bytes, b"/Adobe.PubSec").is_some());
    for password in [None, Some(""), Some("rahasia")] {
        let err = intake(
            bytes.clone(),
            &IntakeOptions {
                password: password.map(str::to_string),
                ..IntakeOptions::default()
            },
        )
        .expect_err("a certificate-locked file cannot be opened here");
        assert!(
            matches!(err, IntakeError::CertificateProtected),
            "{password:?}: {err:?}"
        );
        assert!(err.to_string().contains("sertifikat"), "{err}");
    }
    assert!(matches!(
        verify_pdf(&bytes, None, None),
        Err(loket::pdf::verify::VerifyError::CertificateProtected)
    ));

    let user = corpus().bytes("letter-enc-user.pdf");
    let err = intake(user.clone(), &IntakeOptions::default()).expect_err("needs its password");
    assert!(matches!(err, IntakeError::PasswordRequired), "{err:?}");
    let err = intake(
        user,
        &IntakeOptions {
            password: Some("salah".into()),
            ..IntakeOptions::default()
        },
    )
    .expect_err("wrong password");
    assert!(matches!(err, IntakeError::WrongPassword), "{err:?}");
}

/// `name` from the corpus with `/Rotate rotate` on its first page, or on the page tree's root when
/// `inherited` (the page then has none of its own).
pub(super) fn rotated(name: &str, rotate: i64, inherited: bool) -> Vec<u8> {
    use lopdf::{Document, Object};
    let mut doc = Document::load_mem(&corpus().bytes(name)).expect("load");
    let page_id = *doc.get_pages().get(&1).expect("page 1");
    let target = if inherited {
        doc.catalog()
            .and_then(|c| c.get(b"Pages"))
            .and_then(Object::as_reference)
            .expect("page tree")
    } else {
        page_id
    };
    doc.get_object_mut(target)
        .and_then(Object::as_dict_mut)
        .expect("dict")
        .set("Rotate", Object::Integer(rotate));
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// The first page of `pdf` drawn by pdftoppm at 72 dpi: (width, height, RGB rows from the top).
pub(super) fn render(pdf: &Path) -> (usize, usize, Vec<u8>) {
    let prefix = pdf.with_extension("render");
    let (rc, text) = run(Command::new(tool("pdftoppm"))
        .args(["-r", "72", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix));
    assert_eq!(rc, 0, "pdftoppm: {text}");
    let ppm = std::fs::read(format!("{}.ppm", prefix.display())).expect("ppm");
    // P6 <w> <h> <max>\n<rgb…>
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&ppm[start..at]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().expect("w"), fields[2].parse().expect("h"));
    (w, h, ppm[at + 1..].to_vec())
}

/// Where the stamp is drawn on a rendered page: its box (pink pixels) and the centre of the white
/// square behind its QR code, which sits above the stamp's middle when the stamp is upright.
pub(super) fn stamp_on_picture(
    w: usize,
    h: usize,
    rgb: &[u8],
) -> ((usize, usize, usize, usize), (f64, f64)) {
    let px = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (
            i32::from(rgb[i]),
            i32::from(rgb[i + 1]),
            i32::from(rgb[i + 2]),
        )
    };
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            let (r, g, _) = px(x, y);
            if r > 150 && r - g > 12 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    assert!(x0 < x1 && y0 < y1, "no stamp on the picture");
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for y in y0 + 3..y1 - 2 {
        for x in x0 + 3..x1 - 2 {
            if px(x, y) == (255, 255, 255) {
                sx += px_f64(x);
                sy += px_f64(y);
                n += 1.0;
            }
        }
    }
    assert!(n > 0.0, "no QR code inside the stamp");
    ((x0, y0, x1, y1), (sx / n, sy / n))
}

/// Class E: on a turned page (its own `/Rotate` or one inherited from the page tree) the proposal
/// is the lower right of the page as shown, the stamp is drawn upright there, and the counter's
/// picture and the report line say the same.
#[test]
fn rotated_pages_get_the_stamp_upright_in_the_shown_lower_right() {
    use loket::pdf::{PlacementBasis, propose};
    for (rotate, inherited) in [(90, false), (180, false), (270, true), (90, true)] {
        let name = format!(
            "rotate-{rotate}{}",
            if inherited { "-inherited" } else { "" }
        );
        let dir = scratch(&format!("class-e-{name}"));
        let input = rotated("blank.pdf", rotate, inherited);
        let prepared = intake(input.clone(), &IntakeOptions::default()).expect("intake");
        let frame = prepared.page_frame(1).expect("frame");
        assert_eq!(i64::from(frame.rotate), rotate, "{name}");
        let proposal = propose(&prepared, &Default::default());
        assert_eq!(proposal.basis, PlacementBasis::Fallback, "{name}");
        let stamped = loket::pdf::stamp(prepared, &spec(1, proposal.rect), &pki().signer, None)
            .expect("stamp");
        let out = write(&dir, "out.pdf", &stamped);
        assert_validators_accept(&out, None, 1);

        let (w, h, rgb) = render(&out);
        assert_eq!(
            w > h,
            rotate % 180 == 90,
            "{name}: the page is not shown turned"
        );
        let ((x0, y0, x1, y1), (qx, qy)) = stamp_on_picture(w, h, &rgb);
        let (cx, cy) = (px_f64(x0 + x1) / 2.0, px_f64(y0 + y1) / 2.0);
        assert!(
            cx > px_f64(w) * 0.75 && cy > px_f64(h) * 0.75,
            "{name}: stamp at ({cx}, {cy}) on a {w}×{h} picture, not in the lower right"
        );
        let edge = px_f64(x1 - x0);
        assert!(
            (qx - cx).abs() < edge * 0.04 && cy - qy > edge * 0.04,
            "{name}: the stamp is not upright (QR centre ({qx}, {qy}), stamp centre ({cx}, {cy}))"
        );
    }
}

/// Class E through `loket stamp`: the report line names the turn, and the place given with `--at`
/// is measured on the page as shown.
#[test]
fn the_cli_measures_and_reports_on_the_page_as_shown() {
    use clap::Parser;
    use loket::pdf::cli::{StampArgs, run_stamp};
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: StampArgs,
    }
    let dir = scratch("class-e-cli");
    let data = dir.join("data");
    let pki_dir = pki().paths.ca_cert.parent().expect("pki dir");
    std::fs::create_dir_all(data.join("pki")).expect("pki dir");
    for entry in std::fs::read_dir(pki_dir).expect("read pki") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), data.join("pki").join(entry.file_name())).expect("copy");
    }
    let input = dir.join("in.pdf");
    std::fs::write(&input, rotated("blank.pdf", 90, true)).expect("write");
    for (argv, shown_at) in [
        (
            vec![],
            "kanan bawah halaman terakhir (halaman tampil diputar 90°)",
        ),
        (
            vec!["--at", "10,10"],
            "posisi yang diminta (halaman tampil diputar 90°)",
        ),
    ] {
        let output = dir.join(format!("out-{}.pdf", argv.len()));
        let mut all = vec![
            input.to_str().expect("utf-8"),
            output.to_str().expect("utf-8"),
        ];
        all.extend(argv.iter().copied());
        let args = Cli::try_parse_from(std::iter::once("stamp").chain(all))
            .expect("arguments")
            .args;
        let mut text = Vec::new();
        run_stamp(&data, &args, &mut text).expect("stamp");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains(shown_at), "{text}");
        let (w, h, rgb) = render(&output);
        let ((x0, y0, x1, y1), _) = stamp_on_picture(w, h, &rgb);
        if argv.is_empty() {
            assert!(x0 > w / 2 && y0 > h / 2, "{text}: ({x0}, {y0})");
        } else {
            // 10 mm from the shown top-left corner is 28 pixels at 72 dpi.
            assert!(
                x0.abs_diff(28) <= 2 && y0.abs_diff(28) <= 2,
                "({x0}, {y0}, {x1}, {y1})"
            );
        }
    }
}

/// `letter.pdf` signed by pyHanko in signature kind `kind` (see tests/pdf/pyhanko_sign_kinds.py).
fn signed_by_pyhanko(kind: &str, dir: &Path) -> std::path::PathBuf {
    let other = &pki().other;
    let out = dir.join(format!("{kind}.pdf"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pdf/pyhanko_sign_kinds.py");
    let (rc, text) = run(Command::new(tool("python"))
        .arg(script)
        .arg(&other.signer_key)
        .arg(&other.signer_chain)
        .arg(&other.ca_cert)
        .arg(corpus().path("letter.pdf"))
        .arg(&out)
        .arg(kind));
    assert_eq!(rc, 0, "pyHanko signing ({kind}) failed: {}", tail(&text));
    out
}

/// `bytes` with its (only or first) signature's CMS re-encoded in BER: every element whose DER
/// header is four bytes (tag, 0x82, two length bytes) gets an indefinite length and an
/// end-of-contents marker instead, down to `depth` levels. The lengths add up the same, so the
/// file keeps its size and byte range and the signature stays valid.
fn with_ber_cms(bytes: &[u8]) -> Vec<u8> {
    fn indefinite(der: &[u8], depth: usize) -> Vec<u8> {
        let four_byte_header = der.len() >= 4 && der[1] == 0x82 && der[0] & 0x20 != 0;
        if depth == 0 || !four_byte_header {
            return der.to_vec();
        }
        let len = usize::from(der[2]) << 8 | usize::from(der[3]);
        let content = &der[4..4 + len];
        let mut out = vec![der[0], 0x80];
        let mut at = 0;
        while at < content.len() {
            let child_len = match content[at + 1] {
                n if n < 0x80 => 2 + usize::from(n),
                0x81 => 3 + usize::from(content[at + 2]),
                0x82 => 4 + (usize::from(content[at + 2]) << 8 | usize::from(content[at + 3])),
                other => panic!("length form {other:#x} in the test CMS"),
            };
            out.extend(indefinite(&content[at..at + child_len], depth - 1));
            at += child_len;
        }
        out.extend_from_slice(&[0, 0]);
        out
    }
    let start = find(bytes, b"/Contents <")
        .map(|p| p + 11)
        .or_else(|| find(bytes, b"/Contents<").map(|p| p + 10))
        .expect("signature contents");
    let end = start + find(&bytes[start..], b">").expect("end of contents");
    let der = hex::decode(&bytes[start..end]).expect("hex");
    let len = 4 + (usize::from(der[2]) << 8 | usize::from(der[3]));
    let ber = indefinite(&der[..len], 4);
    assert_eq!(ber.len(), len, "the BER form must keep the length");
    assert_ne!(ber, der[..len].to_vec());
    let mut out = bytes.to_vec();
    let hex_ber = hex::encode(&ber);
    out[start..start + hex_ber.len()].copy_from_slice(hex_ber.as_bytes());
    out
}

/// pyHanko's strict validation of `path` trusting the certificate file `trust` (the signers made
/// by tests/pdf/pyhanko_sign_kinds.py sign with self-signed certificates) besides the test PKI.
fn pyhanko_validate_trusting(path: &Path, trust: &Path) -> (i32, String) {
    run(Command::new(tool("pyhanko"))
        .args([
            "sign",
            "validate",
            "--no-revocation-check",
            "--trust-replace",
        ])
        .arg("--trust")
        .arg(trust)
        .arg("--trust")
        .arg(&pki().paths.ca_cert)
        .arg("--trust")
        .arg(&pki().other.ca_cert)
        .arg(path))
}

/// Class F: `loket verify` reads what pdfsig and pyHanko accept: SHA-384 and SHA-512 digests,
/// RSA with SHA-512, RSASSA-PSS, ECDSA P-384, Ed25519, a CMS without signed attributes and a CMS
/// in BER; a stamp over each leaves it valid.
#[test]
fn verify_reads_signature_kinds_other_signers_make() {
    let dir = scratch("class-f");
    let kinds = [
        "sha384",
        "sha512",
        "rsa-sha512",
        "rsa-pss",
        "p384",
        "ed25519",
        "rsa-no-attrs",
    ];
    let mut files: Vec<(String, std::path::PathBuf)> = kinds
        .into_iter()
        .map(|k| (k.to_string(), signed_by_pyhanko(k, &dir)))
        .collect();
    let ber = dir.join("ber.pdf");
    std::fs::write(
        &ber,
        with_ber_cms(&std::fs::read(&files[1].1).expect("read")),
    )
    .expect("write");
    files.push(("ber".into(), ber));
    for (kind, path) in files {
        let own_cert = std::path::PathBuf::from(format!("{}.cert.pem", path.display()));
        let trust = if own_cert.exists() {
            own_cert
        } else {
            pki().other.ca_cert.clone()
        };
        // poppler 22.12 (NSS 3.87) has no Ed25519; pyHanko is the judge there.
        let pdfsig_reads = kind != "ed25519";
        if pdfsig_reads {
            let sigs = pdfsig(&path, None);
            assert!(sigs.len() == 1 && sigs[0].0, "{kind}: pdfsig: {sigs:#?}");
        }
        let (rc, text) = pyhanko_validate_trusting(&path, &trust);
        assert_eq!(rc, 0, "{kind}: pyHanko: {}", tail(&text));
        let bytes = std::fs::read(&path).expect("read");
        let report = verify_pdf(&bytes, None, None).expect("verify");
        let sig = &report.signatures[0];
        assert!(
            sig.valid && sig.digest_matches && sig.signature_valid,
            "{kind}: {sig:#?}"
        );
        // Tampering is still noticed with these kinds.
        let mut bad = bytes.clone();
        bad[400] ^= 0x01;
        let report = verify_pdf(&bad, None, None).expect("verify");
        assert!(!report.signatures[0].valid, "{kind}: a flipped byte passed");

        let stamped = stamp_with(bytes, None, &spec(1, letter_box()), false);
        let out = write(&dir, &format!("{kind}-stamped.pdf"), &stamped);
        let report = verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
        assert!(
            report.all_valid() && report.signatures.len() == 2,
            "{kind}: {report:#?}"
        );
        if pdfsig_reads {
            let sigs = pdfsig(&out, None);
            assert!(
                sigs.len() == 2 && sigs.iter().all(|s| s.0),
                "{kind}: {sigs:#?}"
            );
        }
        assert_eq!(qpdf_check(&out, None).0, 0, "{kind}");
        let (rc, text) = pyhanko_validate_trusting(&out, &trust);
        assert_eq!(
            rc,
            0,
            "{kind}: pyHanko on the stamped file: {}",
            tail(&text)
        );
    }
}
