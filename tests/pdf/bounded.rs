//! Issue 17, the last classes: cost bounded by the file on a million objects nothing refers to and
//! on a page tree nested thousands deep (peak memory measured on the real binary with
//! /usr/bin/time; time is for BENCHMARKS.md, not asserted on a shared machine), and the stamp on a
//! scan without a text layer placed on the emptiest part of its lower half, checked on a page
//! poppler draws.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::hostile_files::{SCAN_PX, million_objects, nested_page_tree, scanned_page};
use super::more_realworld::loket_measured;
use super::realworld::{render, stamp_on_picture, tail};
use super::support::*;

/// Twice the file plus 50 MB, in KiB: the bound on peak memory.
fn limit_kib(file: &[u8]) -> u64 {
    (2 * file.len() as u64 + (50 << 20)) / 1024
}

/// `loket stamp` of `bytes` (written to `dir`) under /usr/bin/time, its peak memory within
/// [`limit_kib`]: the stamped file's path and what loket said.
fn stamp_within_bound(dir: &Path, bytes: &[u8]) -> (PathBuf, String) {
    let input = dir.join("input.pdf");
    let output = dir.join("stamped.pdf");
    std::fs::write(&input, bytes).expect("write");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    let (peak_kib, wall, text) = loket_measured(
        &data,
        &["stamp".as_ref(), input.as_os_str(), output.as_os_str()],
    );
    assert!(
        peak_kib <= limit_kib(bytes),
        "loket stamp used {peak_kib} KiB (limit {} KiB) in {wall} s: {}",
        limit_kib(bytes),
        tail(&text)
    );
    (output, text)
}

/// pdfsig, `qpdf --check` and pyHanko in strict mode accept `path`, stamped with the training
/// signer of the data folder `data`.
fn assert_validators_accept(path: &Path, data: &Path) {
    let (_, text) = run(Command::new(tool("pdfsig")).arg(path));
    assert!(
        text.contains("Signature is Valid") && !text.contains("Signature is Invalid"),
        "pdfsig on {}: {text}",
        path.display()
    );
    let (rc, text) = qpdf_check(path, None);
    assert_eq!(rc, 0, "qpdf --check: {}", tail(&text));
    let ca = loket::pdf::pki::TrainingPkiPaths::in_dir(&data.join("pki")).ca_cert;
    let (rc, text) = run(Command::new(tool("pyhanko"))
        .args([
            "sign",
            "validate",
            "--no-revocation-check",
            "--trust-replace",
        ])
        .arg("--trust")
        .arg(ca)
        .arg(path));
    assert!(
        rc == 0 && text.contains("INTACT:TRUSTED"),
        "pyHanko (strict) rc {rc}: {}",
        tail(&text)
    );
}

/// Stamping (intake, proposal, stamp, write and the read-back check) and verifying a 54 MB file
/// whose million small objects nothing refers to stay within twice the file plus 50 MB: only the
/// objects the trailer reaches are kept (lopdf kept all of them, 980 MB). The stamp is still next
/// to the letter's closing, and pdfsig, `qpdf --check` and pyHanko (strict) accept the output.
#[test]
fn a_million_objects_nothing_refers_to_cost_memory_bounded_by_the_file() {
    let dir = scratch("million-objects");
    let (output, text) = stamp_within_bound(&dir, &million_objects(1_000_000));
    assert!(text.contains("Hormat saya"), "{text}");
    assert_validators_accept(&output, &dir.join("data"));

    let stamped = std::fs::read(&output).expect("read");
    let (peak_kib, wall, text) = loket_measured(
        &dir.join("data"),
        &["verify".as_ref(), output.as_os_str(), "--json".as_ref()],
    );
    assert!(
        peak_kib <= limit_kib(&stamped),
        "loket verify used {peak_kib} KiB (limit {} KiB) in {wall} s: {}",
        limit_kib(&stamped),
        tail(&text)
    );
    let report = loket::pdf::verify_pdf(&stamped, None, None).expect("verify");
    assert_eq!(report.signatures.len(), 1);
    assert!(report.all_valid(), "{report:#?}");
}

/// A page under 3,000 nested `/Pages` nodes inherits its media box, rotation and fonts from the
/// outermost one: loket finds the page (lopdf's own walk stops at 256 levels and finds none) and
/// reads what it inherits as poppler does, in bounded memory. The stamp goes next to the closing
/// on the page as shown (turned 90°), drawn upright, and pdfsig, qpdf and pyHanko (strict) accept the output.
#[test]
fn a_page_tree_nested_thousands_deep_is_stamped_with_what_the_page_inherits() {
    let dir = scratch("nested-page-tree");
    let (output, text) = stamp_within_bound(&dir, &nested_page_tree(3_000, 90));
    assert!(
        text.contains("di dekat \"Hormat saya,\"") && text.contains("diputar 90"),
        "the closing found with the inherited font, the inherited turn reported: {text}"
    );
    assert_validators_accept(&output, &dir.join("data"));
    // Shown turned: 842 wide and 595 high at 72 dpi (the inherited media box and rotation); the
    // stamp upright on it (the QR code's white square above the stamp's middle).
    let (w, h, rgb) = render(&output);
    assert_eq!((w, h), (842, 595), "the page is shown turned");
    let ((x0, y0, x1, y1), (_, qr_y)) = stamp_on_picture(w, h, &rgb);
    assert!(
        x1 < w && y1 < h && x1 - x0 > 60,
        "stamp at ({x0},{y0})-({x1},{y1}) on {w}x{h}"
    );
    assert!(
        qr_y < px_f64(y0 + y1) / 2.0,
        "the stamp is drawn upright (QR centre {qr_y} above the middle of {y0}..{y1})"
    );
}

/// The empty part of the scan, in pixels of the picture as shown: a block in the lower left.
/// Everything else below the top margin is lines of "type", the lower right included (where the
/// old proposal put the stamp, on the applicant's writing).
const EMPTY: (usize, usize, usize, usize) = (60, 560, 300, 780);

fn scan_ink(x: usize, y: usize) -> bool {
    let (ex0, ey0, ex1, ey1) = EMPTY;
    let in_empty = (ex0..ex1).contains(&x) && (ey0..ey1).contains(&y);
    let typed_line = (60..820).contains(&y) && (y - 60) % 24 < 8 && (40..560).contains(&x);
    typed_line && !in_empty
}

/// Issue 17, class 8: a scan without a text layer has no anchor and no text to keep clear, so the
/// stamp goes on the emptiest part of the lower half of the page as shown (found on the rendered
/// page), not on the lower right corner that the scan covers with writing. Checked on the page
/// poppler draws from the stamped file, upright, on a page as stored and on one turned 90°; the
/// report line says why it is there.
#[test]
fn a_scan_without_text_gets_the_stamp_on_the_emptiest_part_of_its_lower_half() {
    for rotate in [0, 90] {
        let dir = scratch(&format!("scan-emptiest-{rotate}"));
        let (output, text) = stamp_within_bound(&dir, &scanned_page(rotate, scan_ink));
        assert!(
            text.contains("bagian terkosong di paruh bawah halaman terakhir"),
            "rotate {rotate}: {text}"
        );
        assert_validators_accept(&output, &dir.join("data"));

        let (w, h, rgb) = render(&output);
        assert_eq!(
            (w, h),
            (595, 842),
            "rotate {rotate}: shown upright, portrait"
        );
        let ((x0, y0, x1, y1), (_, qr_y)) = stamp_on_picture(w, h, &rgb);
        // The empty block in the picture's pixels, scaled to the rendered page (1 px = 1 pt).
        let sx = |px: usize| px_f64(px) * px_f64(w) / px_f64(SCAN_PX.0);
        let sy = |px: usize| px_f64(px) * px_f64(h) / px_f64(SCAN_PX.1);
        let (ex0, ey0, ex1, ey1) = EMPTY;
        let inside = px_f64(x0) >= sx(ex0) - 1.0
            && px_f64(x1) <= sx(ex1) + 1.0
            && px_f64(y0) >= sy(ey0) - 1.0
            && px_f64(y1) <= sy(ey1) + 1.0;
        assert!(
            inside,
            "rotate {rotate}: stamp at ({x0},{y0})-({x1},{y1}), the empty part is ({:.0},{:.0})-({:.0},{:.0})",
            sx(ex0),
            sy(ey0),
            sx(ex1),
            sy(ey1)
        );
        assert!(
            qr_y < px_f64(y0 + y1) / 2.0,
            "rotate {rotate}: the stamp is drawn upright"
        );
    }
}
