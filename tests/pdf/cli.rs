//! The `loket stamp` / `loket verify` handlers, end to end on files.

use clap::Parser;
use loket::pdf::cli::{CliError, StampArgs, VerifyArgs, run_stamp, run_verify};

use super::support::*;

#[derive(Debug, Parser)]
struct StampCli {
    #[command(flatten)]
    args: StampArgs,
}

#[derive(Debug, Parser)]
struct VerifyCli {
    #[command(flatten)]
    args: VerifyArgs,
}

fn stamp_args(argv: &[&str]) -> StampArgs {
    StampCli::try_parse_from(std::iter::once("stamp").chain(argv.iter().copied()))
        .expect("arguments")
        .args
}

#[test]
fn stamp_at_a_given_place_then_verify_as_json() {
    let dir = scratch("cli-at");
    let data = dir.join("data");
    // Use the test PKI, which the validators trust.
    let pki_dir = pki().paths.ca_cert.parent().expect("pki dir");
    std::fs::create_dir_all(data.join("pki")).expect("pki dir");
    for entry in std::fs::read_dir(pki_dir).expect("read pki") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), data.join("pki").join(entry.file_name())).expect("copy");
    }
    let input = corpus().path("letter.pdf");
    let output = dir.join("out.pdf");
    let sn = "ABCDE12345FGHIJ67890KL";
    let args = stamp_args(&[
        input.to_str().expect("utf-8"),
        output.to_str().expect("utf-8"),
        "--page",
        "1",
        "--at",
        "140,200",
        "--size",
        "25",
        "--sn",
        sn,
        "--reason",
        "Surat Pernyataan",
        "--location",
        "Yogyakarta",
        "--timestamp",
    ]);
    let mut text = Vec::new();
    run_stamp(&data, &args, &mut text).expect("stamp");
    let text = String::from_utf8(text).expect("utf-8");
    assert!(
        text.contains(&format!("SN {sn}")) && text.contains("sah"),
        "{text}"
    );
    assert_validators_accept(&output, None, 1);

    let vargs = VerifyCli::try_parse_from(["verify", output.to_str().expect("utf-8"), "--json"])
        .expect("args")
        .args;
    let mut json = Vec::new();
    let report = run_verify(&data, &vargs, &mut json).expect("verify");
    assert!(report.all_valid());
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json");
    let sig = &v["signatures"][0];
    assert_eq!(sig["serial"], sn);
    assert_eq!(sig["valid"], true);
    assert_eq!(sig["trusted"], true);
    assert_eq!(sig["timestamp_valid"], true);
    assert_eq!(sig["reason"], format!("[{sn}] Surat Pernyataan"));
    // ISO 8601 with the signature's own offset, like every `--json` moment.
    let signed = sig["signing_time"].as_str().expect("signing time");
    let shape: String = signed
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-ddTdd:dd:dd+dd:dd", "{sig}");
    assert!(signed.ends_with("+07:00"), "{sig}");

    // For people: "6 Desember 2026 15.54 WIB", the signature's and the timestamp's alike.
    let vargs = VerifyCli::try_parse_from(["verify", output.to_str().expect("utf-8")])
        .expect("args")
        .args;
    let mut text = Vec::new();
    run_verify(&data, &vargs, &mut text).expect("verify");
    let text = String::from_utf8(text).expect("utf-8");
    let months = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    let human = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.len() >= 5
            && words[0].parse::<u8>().is_ok()
            && months.contains(&words[1])
            && words[2].len() == 4
            && words[3].len() == 5
            && words[3].as_bytes()[2] == b'.'
            && words[4] == "WIB"
    };
    for label in ["  Waktu: ", "  Stempel waktu: "] {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} in {text}"));
        assert!(human(line), "{label}{line}");
    }
    // 140 mm from the left, 200 mm from the top, 25 mm square.
    let range = report.signatures[0].byte_range.clone();
    assert_eq!(range[0], 0);
    let placement_pdf = std::fs::read(&output).expect("read");
    let rect_text = String::from_utf8_lossy(&placement_pdf);
    let x0 = loket::pdf::mm_to_pt(140.0);
    // lopdf writes reals as f32; the test looks for the same digits.
    #[allow(clippy::cast_possible_truncation)]
    let x0 = x0 as f32;
    assert!(
        rect_text.contains(&format!("/Rect[{x0}")),
        "widget rectangle not at 140 mm"
    );
}

#[test]
fn proposed_place_and_training_serial_by_default() {
    let dir = scratch("cli-default");
    let output = dir.join("out.pdf");
    let args = stamp_args(&[
        corpus().path("letter.pdf").to_str().expect("utf-8"),
        output.to_str().expect("utf-8"),
    ]);
    let mut text = Vec::new();
    run_stamp(&dir.join("data"), &args, &mut text).expect("stamp");
    let text = String::from_utf8(text).expect("utf-8");
    assert!(
        text.contains("Hormat saya") && text.contains("SN TRN"),
        "{text}"
    );
    assert!(
        dir.join("data/pki/ca.pem").is_file(),
        "the training PKI is created on first use"
    );
    let report =
        loket::pdf::verify_pdf(&std::fs::read(&output).expect("read"), None, None).expect("verify");
    let sn = report.signatures[0].serial.clone().expect("serial");
    assert!(sn.starts_with("TRN") && sn.len() == 22);
}

#[test]
fn verify_reports_a_tampered_file_and_refusals_are_typed() {
    let dir = scratch("cli-tamper");
    let data = dir.join("data");
    let output = dir.join("out.pdf");
    let args = stamp_args(&[
        corpus().path("letter.pdf").to_str().expect("utf-8"),
        output.to_str().expect("utf-8"),
    ]);
    run_stamp(&data, &args, &mut Vec::new()).expect("stamp");
    let mut bytes = std::fs::read(&output).expect("read");
    bytes[300] ^= 0x20;
    std::fs::write(&output, &bytes).expect("write");
    let vargs = VerifyCli::try_parse_from(["verify", output.to_str().expect("utf-8")])
        .expect("args")
        .args;
    let mut text = Vec::new();
    let report = run_verify(&data, &vargs, &mut text).expect("verify");
    assert!(!report.all_valid());
    assert!(String::from_utf8_lossy(&text).contains("TIDAK SAH"));

    let refused = stamp_args(&[
        corpus()
            .path("letter-enc-user.pdf")
            .to_str()
            .expect("utf-8"),
        dir.join("never.pdf").to_str().expect("utf-8"),
    ]);
    let err = run_stamp(&data, &refused, &mut Vec::new()).expect_err("needs a password");
    assert!(
        matches!(
            err,
            CliError::Intake(loket::pdf::IntakeError::PasswordRequired)
        ),
        "{err:?}"
    );
    assert!(!dir.join("never.pdf").exists());

    let bad_sn = stamp_args(&[
        corpus().path("letter.pdf").to_str().expect("utf-8"),
        dir.join("never.pdf").to_str().expect("utf-8"),
        "--sn",
        "abc",
    ]);
    assert!(matches!(
        run_stamp(&data, &bad_sn, &mut Vec::new()),
        Err(CliError::Serial(_))
    ));
}

/// `loket stamp` and `loket verify` run as the binary under `--lang en`: the stamping notes and a
/// changed document's signature problem are English, with no Indonesian left.
#[test]
fn lang_en_stamp_then_verify_a_changed_document() {
    let dir = scratch("cli-lang-en");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let input = dir.join("in.pdf");
    let page: PageText = vec![(72.0, 700.0, 12.0, "Statement of the applicant".to_string())];
    std::fs::write(&input, text_pdf(&[page], (595.0, 842.0), true, "1.7")).expect("write pdf");
    let output = dir.join("out.pdf");
    let (i, o) = (
        input.to_str().expect("utf-8"),
        output.to_str().expect("utf-8"),
    );

    let stamped = crate::common::loket(&data, &["--lang", "en", "stamp", i, o]);
    let text = String::from_utf8_lossy(&stamped.stdout);
    assert!(
        stamped.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&stamped.stderr)
    );
    for word in ["halaman", "berkas", "dibubuhi", "tidak"] {
        assert!(!text.contains(word), "{word:?} left in: {text}");
    }

    // One byte of the signed part changes, the file's shape does not.
    let mut bytes = std::fs::read(&output).expect("read stamped");
    let at = bytes
        .windows(9)
        .position(|w| w == b"Helvetica")
        .expect("the font's name");
    bytes[at + 8] = b'e';
    std::fs::write(&output, &bytes).expect("write changed");

    let verified = crate::common::loket(&data, &["--lang", "en", "verify", o]);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(
        text.contains("Problem: The document changed after it was signed (digest does not match)."),
        "{text}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    for word in ["Isi dokumen", "tidak", "Tanda tangan", "Masalah"] {
        assert!(!text.contains(word), "{word:?} left in: {text}");
    }
    let id = crate::common::loket(&data, &["verify", o]);
    let id = String::from_utf8_lossy(&id.stdout);
    assert!(
        id.contains("Isi dokumen berubah setelah ditandatangani (digest tidak cocok)."),
        "{id}"
    );
}
