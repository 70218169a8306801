//! Stamping signs the document so that independent validators accept it, across xref kinds and encryption.

use loket::pdf::Rect;
use loket::pdf::verify::verify_pdf;

use super::support::*;
use std::process::Command;

fn box_on_letter() -> Rect {
    Rect::from_origin_size(360.0, 320.0, 85.0, 85.0)
}

fn stamp_and_validate(name: &str, password: Option<&str>, expected_sigs: usize) {
    let dir = scratch(&format!("variant-{name}"));
    let sp = spec(1, box_on_letter());
    let stamped = stamp_with(corpus().bytes(name), password, &sp, false);
    let input = corpus().bytes(name);
    assert_eq!(
        &stamped.to_vec()[..input.len()],
        &input[..],
        "original bytes are not the prefix of the output"
    );
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, password, expected_sigs);
    let report = verify_pdf(&std::fs::read(&out).expect("read"), password, None).expect("verify");
    assert_eq!(report.signatures.len(), expected_sigs);
    let last = report.signatures.last().expect("a signature");
    assert!(last.valid, "{last:#?}");
    assert!(!last.modified_after);
    assert_eq!(last.serial.as_deref(), Some(sp.serial.as_str()));
}

#[test]
fn classic_xref_letter_validates() {
    stamp_and_validate("letter.pdf", None, 1);
}

#[test]
fn xref_stream_letter_validates() {
    stamp_and_validate("letter-xrefstream.pdf", None, 1);
}

#[test]
fn hybrid_xref_letter_is_rewritten_then_stamped() {
    // The fixture is what it claims: qpdf reads it cleanly and finds the font only through
    // /XRefStm, compressed in object stream 6.
    let input = corpus().path("letter-hybrid.pdf");
    assert_eq!(
        qpdf_check(&input, None).0,
        0,
        "the hybrid fixture itself is valid"
    );
    let (code, xref) = run(Command::new(tool("qpdf")).arg("--show-xref").arg(&input));
    assert_eq!(code, 0, "{xref}");
    assert!(
        xref.contains("5/0: compressed; stream = 6, index = 0"),
        "font not reached through /XRefStm: {xref}"
    );
    let dir = scratch("hybrid");
    let prepared = loket::pdf::intake(corpus().bytes("letter-hybrid.pdf"), &Default::default())
        .expect("intake");
    assert!(
        prepared
            .report
            .warnings
            .contains(&loket::pdf::IntakeWarning::HybridRewritten),
        "{:#?}",
        prepared.report
    );
    let sp = spec(1, box_on_letter());
    let stamped = loket::pdf::stamp(prepared, &sp, &pki().signer, None).expect("stamp");
    let out = write(&dir, "out.pdf", &stamped);
    let bytes = std::fs::read(&out).expect("read");
    assert!(
        !bytes.windows(8).any(|w| w == b"/XRefStm"),
        "the stamped file is still hybrid"
    );
    // Strict pyHanko refuses any signature in a hybrid file; this one it must accept.
    assert_validators_accept(&out, None, 1);
    let report = verify_pdf(&bytes, None, None).expect("verify");
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(
        report.signatures[0].serial.as_deref(),
        Some(sp.serial.as_str())
    );
    // The page kept its text (placement still finds the closing line) and its font.
    let again = loket::pdf::intake(bytes, &Default::default()).expect("stamped file reads back");
    let placement = loket::pdf::propose(&again, &Default::default());
    assert!(
        matches!(&placement.basis, loket::pdf::PlacementBasis::Anchor { line, .. } if line.contains("Hormat saya")),
        "{placement:#?}"
    );
}

#[test]
fn signed_hybrid_xref_is_kept_stamped_and_flagged() {
    // Signed by pyHanko on top of the hybrid fixture: the original section stays hybrid, so the
    // file cannot be rewritten without breaking that signature.
    let name = "letter-hybrid-signed.pdf";
    let input = corpus().bytes(name);
    let prepared = loket::pdf::intake(input.clone(), &Default::default()).expect("intake");
    assert!(
        prepared
            .report
            .warnings
            .contains(&loket::pdf::IntakeWarning::HybridKept),
        "{:#?}",
        prepared.report
    );
    let stamped =
        loket::pdf::stamp(prepared, &spec(1, box_on_letter()), &pki().signer, None).expect("stamp");
    let bytes = stamped.to_vec();
    assert_eq!(
        &bytes[..input.len()],
        &input[..],
        "the signed original must stay the prefix"
    );
    let out = write(&scratch("hybrid-signed"), "out.pdf", &stamped);
    let sigs = pdfsig(&out, None);
    assert_eq!(sigs.len(), 2, "{sigs:#?}");
    assert!(sigs.iter().all(|s| s.0), "pdfsig: {sigs:#?}");
    assert_eq!(qpdf_check(&out, None).0, 0);
    // Strict validators refuse every signature in a hybrid file (hence the warning); lenient
    // pyHanko accepts both.
    let (rc, text) = pyhanko_validate(&out, None, false);
    assert_eq!(rc, 0, "{text}");
    let (rc, text) = pyhanko_validate(&out, None, true);
    assert_ne!(
        rc, 0,
        "strict pyHanko accepted a hybrid file; the warning is then wrong: {text}"
    );
}

#[test]
fn object_streams_validate() {
    stamp_and_validate("letter-objstm.pdf", None, 1);
}

#[test]
fn linearized_validates() {
    stamp_and_validate("letter-linearized.pdf", None, 1);
}

#[test]
fn hundred_pages_linearized_with_object_streams_validates() {
    stamp_and_validate("hundred-linearized-objstm.pdf", None, 1);
}

#[test]
fn encrypted_with_empty_user_password_stays_encrypted_and_validates() {
    stamp_and_validate("letter-enc-empty.pdf", None, 1);
    let stamped = stamp_with(
        corpus().bytes("letter-enc-empty.pdf"),
        None,
        &spec(1, box_on_letter()),
        false,
    );
    assert!(
        stamped.tail().windows(8).any(|w| w == b"/Encrypt"),
        "the update must keep /Encrypt in its trailer"
    );
}

#[test]
fn encrypted_with_user_password_validates() {
    stamp_and_validate("letter-enc-user.pdf", Some(USER_PASSWORD), 1);
}

#[test]
fn encrypted_rc4_validates() {
    stamp_and_validate("letter-enc-rc4.pdf", None, 1);
}

#[test]
fn earlier_pyhanko_signature_stays_valid() {
    stamp_and_validate("letter-signed.pdf", None, 2);
    let dir = scratch("earlier-signature");
    let stamped = stamp_with(
        corpus().bytes("letter-signed.pdf"),
        None,
        &spec(1, box_on_letter()),
        false,
    );
    let out = write(&dir, "out.pdf", &stamped);
    let report = verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
    let first = &report.signatures[0];
    assert_eq!(first.field, "TTD_Pelamar");
    assert!(first.valid && first.modified_after, "{first:#?}");
    let sigs = pdfsig(&out, None);
    assert!(
        !sigs[0].1,
        "the earlier signature must not claim to cover the whole file"
    );
}

/// A document certified with DocMDP P=2 (form filling and signing allowed) takes the stamp. pyHanko's CLI forbids
/// any new *visible* signature field after a certification signature (stricter than Acrobat), so its verdict is
/// read with Acrobat's rule through its API: the stamp must be judged FORM_FILLING, which P=2 permits.
#[test]
fn certified_form_filling_allows_the_stamp() {
    let dir = scratch("certified-p2");
    let stamped = stamp_with(
        corpus().bytes("letter-certified-p2.pdf"),
        None,
        &spec(1, box_on_letter()),
        false,
    );
    let out = write(&dir, "out.pdf", &stamped);
    let sigs = pdfsig(&out, None);
    assert_eq!(sigs.len(), 2);
    assert!(sigs.iter().all(|s| s.0), "{sigs:#?}");
    assert_eq!(qpdf_check(&out, None).0, 0);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pdf/pyhanko_diff.py");
    let (rc, text) = run(std::process::Command::new(tool("python"))
        .arg(script)
        .arg(&out));
    assert_eq!(rc, 0, "{text}");
    assert!(
        text.contains("Sertifikasi FORM_FILLING"),
        "pyHanko's diff analysis: {text}"
    );
    let report = verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
}

#[test]
fn two_stamps_get_unique_fields_and_both_validate() {
    let dir = scratch("two-stamps");
    let first_spec = spec(1, box_on_letter());
    let first = stamp_with(corpus().bytes("letter.pdf"), None, &first_spec, false);
    let mut second_spec = spec(1, Rect::from_origin_size(460.0, 320.0, 85.0, 85.0));
    second_spec.serial = first_spec.serial.clone();
    let second = stamp_with(first.to_vec(), None, &second_spec, false);
    assert_ne!(first.field_name, second.field_name);
    assert_eq!(&second.to_vec()[..first.len()], &first.to_vec()[..]);
    let out = write(&dir, "out.pdf", &second);
    assert_validators_accept(&out, None, 2);
    let report = verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
    assert!(report.all_valid(), "{report:#?}");
    assert!(report.signatures[0].modified_after && !report.signatures[1].modified_after);
}

#[test]
fn timestamped_signature_is_pades_b_t() {
    let dir = scratch("timestamp");
    let stamped = stamp_with(
        corpus().bytes("letter.pdf"),
        None,
        &spec(1, box_on_letter()),
        true,
    );
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, None, 1);
    let (_, text) = pyhanko_validate(&out, None, true);
    assert!(
        text.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"),
        "pyHanko did not see a trusted timestamp:\n{text}"
    );
    let report = verify_pdf(&std::fs::read(&out).expect("read"), None, None).expect("verify");
    assert_eq!(report.signatures[0].timestamp_valid, Some(true));
    assert!(report.signatures[0].timestamp_time.is_some());
}

#[test]
fn pkcs7_profile_for_the_peruri_adapter_validates() {
    let dir = scratch("pkcs7");
    let mut sp = spec(1, box_on_letter());
    sp.profile = loket::pdf::SignatureProfile::Pkcs7Detached;
    let stamped = stamp_with(corpus().bytes("letter.pdf"), None, &sp, false);
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, None, 1);
    assert!(pdfsig(&out, None)[0].2.contains("adbe.pkcs7.detached"));
}

#[test]
fn damaged_xref_is_rewritten_then_stamped() {
    for name in ["letter-shifted.pdf", "letter-badstartxref.pdf"] {
        let dir = scratch(&format!("damaged-{name}"));
        let prepared =
            loket::pdf::intake(corpus().bytes(name), &Default::default()).expect("intake");
        let report = prepared.report.clone();
        let stamped = loket::pdf::stamp(prepared, &spec(1, box_on_letter()), &pki().signer, None)
            .expect("stamp");
        let out = write(&dir, "out.pdf", &stamped);
        assert_validators_accept(&out, None, 1);
        assert!(
            report.repaired,
            "{name}: the rewrite must be reported: {report:#?}"
        );
        assert!(
            report
                .warnings
                .contains(&loket::pdf::IntakeWarning::Repaired)
        );
    }
}

#[test]
fn scanned_25mb_document_validates() {
    let dir = scratch("scan");
    let input = std::fs::read(scanned_25mb()).expect("scan");
    assert!(input.len() > 24_000_000);
    let stamped = stamp_with(
        input,
        None,
        &spec(10, Rect::from_origin_size(450.0, 60.0, 85.0, 85.0)),
        false,
    );
    let out = write(&dir, "out.pdf", &stamped);
    assert_validators_accept(&out, None, 1);
}

#[test]
fn flipped_byte_is_reported_by_verify_and_pdfsig() {
    let dir = scratch("tamper");
    let stamped = stamp_with(
        corpus().bytes("letter.pdf"),
        None,
        &spec(1, box_on_letter()),
        false,
    );
    let mut bytes = stamped.to_vec();
    // Inside the first signed range, in the original revision's content stream area.
    let at = 400;
    assert!((at as u64) < stamped.byte_range[1]);
    bytes[at] ^= 0x01;
    let out = dir.join("tampered.pdf");
    std::fs::write(&out, &bytes).expect("write");
    let report = verify_pdf(&bytes, None, None).expect("verify");
    assert!(
        !report.signatures[0].valid && !report.signatures[0].digest_matches,
        "{report:#?}"
    );
    let sigs = pdfsig(&out, None);
    assert!(
        !sigs[0].0,
        "pdfsig must not call the tampered signature valid: {}",
        sigs[0].2
    );
    let (rc, _) = pyhanko_validate(&out, None, false);
    assert_ne!(rc, 0, "pyHanko must reject the tampered file");
}
