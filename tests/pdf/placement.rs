//! Placement: millimetre helpers, text positions, the proposed place and overlap reports; the appearance drawn.

use std::process::Command;

use loket::pdf::geometry::{Rect, mm_to_pt, pt_to_mm};
use loket::pdf::intake::{IntakeOptions, intake};
use loket::pdf::placement::{
    Overlap, PlacementBasis, PlacementOptions, check_overlaps, page_text, propose,
};
use loket::pdf::{AppearanceOptions, appearance::stamp_content};

use super::support::*;

#[test]
fn millimetre_conversions() {
    let check = |mm: f64, pt: f64| {
        assert!(
            (mm_to_pt(mm) - pt).abs() < 1e-9,
            "{mm} mm -> {} pt, expected {pt}",
            mm_to_pt(mm)
        );
        assert!((pt_to_mm(pt) - mm).abs() < 1e-9);
    };
    check(0.0, 0.0);
    check(25.4, 72.0);
    check(210.0, 595.275_590_551_181_1);
    check(30.0, 85.039_370_078_740_16);
    let r = Rect::from_mm(150.0, 20.0, 30.0, 30.0);
    assert!(
        (r.width() - 85.039_370_078_740_16).abs() < 1e-9
            && (r.x0 - 425.196_850_393_700_8).abs() < 1e-9
    );
}

fn prepared(name: &str) -> loket::pdf::PreparedDocument {
    intake(corpus().bytes(name), &IntakeOptions::default()).expect(name)
}

#[test]
fn text_positions_follow_the_content_stream() {
    let p = prepared("letter.pdf");
    let page = p.page_id(1).expect("page 1");
    let lines = page_text(p.document(), page, 1 << 20);
    let hormat = lines
        .iter()
        .find(|l| l.text.contains("Hormat saya"))
        .expect("Hormat saya line");
    assert!(
        (hormat.rect.x0 - 360.0).abs() < 0.01 && hormat.rect.y0 < 300.0 && hormat.rect.y1 > 300.0,
        "{hormat:?}"
    );
    assert!((hormat.font_size - 11.0).abs() < 0.01);
    assert_eq!(lines.len(), letter_text().len());
}

#[test]
fn proposal_sits_next_to_the_signature_block_without_covering_text() {
    let p = prepared("letter.pdf");
    let opts = PlacementOptions::default();
    let placement = propose(&p, &opts);
    assert_eq!(placement.page, 1);
    match &placement.basis {
        PlacementBasis::Anchor { keyword, line } => {
            assert_eq!(keyword, "hormat saya");
            assert!(line.starts_with("Hormat saya"));
        }
        other => panic!("expected an anchor, got {other:?}"),
    }
    assert!((placement.rect.width() - opts.size_pt).abs() < 1e-9);
    assert!(
        check_overlaps(&p, 1, &placement.rect, 1 << 20).is_empty(),
        "{placement:#?}"
    );
    // Near the anchor: within two stamp sizes of "Hormat saya," at (360, 300).
    assert!(
        (placement.rect.x0 - 360.0).abs() < 2.0 * opts.size_pt
            && (placement.rect.y0 - 300.0).abs() < 2.0 * opts.size_pt
    );
}

#[test]
fn proposal_on_the_last_page_of_a_long_document() {
    let placement = propose(&prepared("hundred.pdf"), &PlacementOptions::default());
    assert_eq!(placement.page, 100);
    assert!(
        matches!(&placement.basis, PlacementBasis::Anchor { keyword, .. } if keyword == "tanda tangan"),
        "{placement:?}"
    );
}

#[test]
fn signer_name_is_an_anchor_too() {
    let text = vec![(300.0, 150.0, 11.0, "Siti Rahmawati".to_string())];
    let bytes = text_pdf(&[text], A4, true, "1.7");
    let p = intake(bytes, &IntakeOptions::default()).expect("intake");
    let opts = PlacementOptions {
        signer_name: Some("siti rahmawati".into()),
        ..Default::default()
    };
    let placement = propose(&p, &opts);
    assert!(
        matches!(&placement.basis, PlacementBasis::Anchor { keyword, .. } if keyword == "siti rahmawati"),
        "{placement:?}"
    );
}

#[test]
fn fallback_is_the_lower_right_corner_inside_the_margins() {
    let p = prepared("blank.pdf");
    let opts = PlacementOptions::default();
    let placement = propose(&p, &opts);
    assert_eq!(placement.basis, PlacementBasis::Fallback);
    assert!(
        (placement.rect.x1 - (A4.0 - opts.margin_pt)).abs() < 1e-6,
        "{placement:?}"
    );
    assert!(
        (placement.rect.y0 - opts.margin_pt).abs() < 1e-6,
        "{placement:?}"
    );
    assert!(placement.overlaps.is_empty());
}

#[test]
fn overlaps_with_existing_signature_fields_are_reported_and_avoided() {
    let p = prepared("letter-signed.pdf");
    // pyHanko's visible field sits at 360,210 – 520,290.
    let overlaps = check_overlaps(
        &p,
        1,
        &Rect::from_origin_size(400.0, 250.0, 85.0, 85.0),
        1 << 20,
    );
    assert!(
        overlaps
            .iter()
            .any(|o| matches!(o, Overlap::SignatureField { name, .. } if name == "TTD_Pelamar")),
        "{overlaps:#?}"
    );
    let outside = check_overlaps(
        &p,
        1,
        &Rect::from_origin_size(560.0, 10.0, 85.0, 85.0),
        1 << 20,
    );
    assert!(
        outside
            .iter()
            .any(|o| matches!(o, Overlap::OutsidePage { .. })),
        "{outside:#?}"
    );
    let placement = propose(&p, &PlacementOptions::default());
    assert!(
        check_overlaps(&p, placement.page, &placement.rect, 1 << 20).is_empty(),
        "{placement:#?}"
    );
}

#[test]
fn appearance_holds_the_stamp_texts_and_a_vector_qr() {
    let sn = "TRN0123456789ABCDEFGHI";
    let with =
        String::from_utf8(stamp_content(sn, &AppearanceOptions::default()).expect("content"))
            .expect("ascii");
    for needle in [
        "(METERAI ELEKTRONIK)",
        "(10000)",
        "(SEPULUH RIBU RUPIAH)",
        &format!("({sn})"),
        "(SPESIMEN)",
    ] {
        assert!(with.contains(needle), "missing {needle}");
    }
    assert!(
        with.matches(" re\n").count() > 50,
        "the QR code is drawn with re operators"
    );
    let real = AppearanceOptions {
        specimen: false,
        ..Default::default()
    };
    let without = String::from_utf8(stamp_content(sn, &real).expect("content")).expect("ascii");
    assert!(!without.contains("SPESIMEN"));
}

/// Render the stamped page with poppler and look at the pixels: the stamp is pink inside its rectangle and the
/// page stays white elsewhere in the corner it sits in.
#[test]
fn stamp_renders_pink_where_it_was_placed() {
    let dir = scratch("render");
    let rect = Rect::from_origin_size(400.0, 100.0, 85.0, 85.0);
    let stamped = stamp_with(corpus().bytes("blank.pdf"), None, &spec(1, rect), false);
    let out = write(&dir, "out.pdf", &stamped);
    let prefix = dir.join("page");
    let (rc, text) = run(Command::new(tool("pdftoppm"))
        .args(["-r", "72", "-f", "1", "-l", "1"])
        .arg(&out)
        .arg(&prefix));
    assert_eq!(rc, 0, "{text}");
    let ppm = std::fs::read(dir.join("page-1.ppm")).expect("ppm");
    let (w, h, pixels) = parse_ppm(&ppm);
    let at = |x: f64, y_pdf: f64| {
        // fits: points on a 72 dpi picture of the page, inside it.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (px, py) = (x as usize, h - 1 - y_pdf as usize);
        let i = (py * w + px) * 3;
        (pixels[i], pixels[i + 1], pixels[i + 2])
    };
    // The frame's light pink just inside the border, left of the QR code.
    let (r, g, b) = at(rect.x0 + 12.0, rect.y0 + 50.0);
    assert!(
        r > 240 && g < 245 && b > 225 && r > g,
        "expected light pink, got {:?}",
        (r, g, b)
    );
    // The border is dark pink.
    let (r, g, b) = at(rect.x0 + 1.0, rect.y0 + 50.0);
    assert!(
        r > 120 && g < 100 && b < 150,
        "expected the dark pink frame, got {:?}",
        (r, g, b)
    );
    assert_eq!(at(rect.x0 - 20.0, rect.y0 + 50.0), (255, 255, 255));
}

fn parse_ppm(data: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let w: usize = fields[1].parse().expect("width");
    let h: usize = fields[2].parse().expect("height");
    (w, h, &data[i + 1..])
}
