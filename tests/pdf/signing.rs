//! Stamping signs the document so that independent validators accept it, across xref kinds and encryption.

use loket::pdf::Rect;
use loket::pdf::verify::verify_pdf;

use super::support::*;

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
