//! The printing commands through the real binary: previews, device list, test slips, the emulator, sale and Z prints.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use loket_receipts::{Kind, Profile, encode, preview, sample};

use super::{CLERK, cash_sale, rp};
use crate::common::{TestBranch, loket_bin};

#[test]
fn receipts_preview_prints_the_sample_as_text_or_raw_escpos() {
    let tb = TestBranch::new();
    for (arg, kind, profile) in [
        ("sale", Kind::Sale, Profile::mm58()),
        ("stamp-proof", Kind::Proof, Profile::mm80_48()),
        ("daily", Kind::DailySummary, Profile::mm80_42()),
        ("z-report", Kind::ZReport, Profile::mm80_48()),
    ] {
        let name = match profile.name.as_str() {
            "80mm-48" => "80mm",
            other => other,
        }
        .to_string();
        let out = tb.cli(&["receipts", "preview", arg, "--profile", &name]);
        assert!(out.status.success(), "{arg}: {out:?}");
        let expected = preview(&sample(kind), &profile).expect("preview");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{arg}");
        let raw = tb.cli(&[
            "receipts",
            "preview",
            arg,
            "--profile",
            &name,
            "--format",
            "escpos",
        ]);
        assert!(raw.status.success());
        assert_eq!(
            raw.stdout,
            encode(&sample(kind), &profile).expect("encode"),
            "{arg}"
        );
    }
    let bad = tb.cli(&["receipts", "preview", "struk"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.starts_with("galat: jenis struk 'struk' tidak dikenal"),
        "{err}"
    );
    let bad = tb.cli(&["receipts", "preview", "sale", "--profile", "57mm"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("57mm"));
}

#[test]
fn printers_list_names_usb_and_serial_or_says_there_is_no_usb() {
    let tb = TestBranch::new();
    let out = tb.cli_ok(&["printers", "list"]);
    assert!(out.starts_with("USB:"), "{out}");
    assert!(out.contains("Serial:"), "{out}");
    if !std::path::Path::new("/dev/bus/usb").exists() {
        assert!(out.contains("tidak menyediakan USB"), "{out}");
    }
    let json = tb.cli_ok(&["printers", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert!(v.get("serial").is_some() && v.get("usb").is_some(), "{v}");
}

#[test]
fn printers_test_prints_a_slip_on_the_virtual_printer_and_reports_a_problem() {
    let tb = TestBranch::new();
    let out = tb.cli_ok(&["printers", "test", "loket2"]);
    assert!(out.contains("Slip uji tercetak di printer loket2"), "{out}");
    assert!(out.contains("Keadaan printer loket2: siap"), "{out}");
    let slip = std::fs::read_to_string(tb.path().join("printer/loket2/0001.txt")).expect("slip");
    assert!(slip.contains("Printer siap dipakai loket."), "{slip}");
    let unknown = tb.cli(&["printers", "test", "gudang"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("printer 'gudang' tidak ada"));
}

/// The number in "(cetakan N)", as the command printed it.
fn cetakan(out: &str) -> u32 {
    out.split("(cetakan ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no (cetakan N) in {out:?}"))
}

#[test]
fn the_cetakan_number_names_the_virtual_printers_file_whichever_process_printed() {
    let mut tb = TestBranch::new();
    // Another printer's slip first: the print job numbers are the branch's, not one printer's.
    let first = cetakan(&tb.cli_ok(&["printers", "test", "loket2"]));
    let second = cetakan(&tb.cli_ok(&["printers", "test", "loket1"]));
    assert_eq!((first, second), (1, 2));
    let folder = tb.path().join("printer/loket1");
    let file = |n: i64| folder.join(format!("{n:04}.txt"));
    let slip = std::fs::read_to_string(file(2)).expect("(cetakan 2) is file 0002.txt");
    assert!(slip.contains("Printer siap dipakai loket."), "{slip}");
    assert!(!file(1).exists(), "loket1 printed no job 1");

    // This process keeps its own virtual printer open while the command line prints beside it:
    // neither overwrites the other's file, and each slip is in the file of its own number.
    let sale = cash_sale(&mut tb.branch);
    let receipt = tb
        .branch
        .printing()
        .print_sale_receipt(sale, false)
        .expect("print");
    assert!(receipt.printed, "{receipt:?}");
    let third = cetakan(&tb.cli_ok(&["printers", "test", "loket1"]));
    let copy = tb
        .branch
        .printing()
        .reprint(receipt.job, CLERK)
        .expect("reprint");
    assert!(copy.printed, "{copy:?}");
    assert!(i64::from(third) > receipt.job && copy.job > i64::from(third));
    let text = |n: i64| std::fs::read_to_string(file(n)).expect("job file");
    assert!(
        text(receipt.job).contains("Rp20.000"),
        "{}",
        text(receipt.job)
    );
    assert!(!text(receipt.job).contains("S A L I N A N"));
    assert!(text(i64::from(third)).contains("Printer siap dipakai loket."));
    assert!(
        text(copy.job).contains("S A L I N A N"),
        "{}",
        text(copy.job)
    );
}

#[test]
fn the_emulator_serves_a_network_printer_that_loket_prints_to() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (mut child, _stdout, first, tb) = paper_out_printer(out_dir.path());
    assert!(first.contains("paper-out"), "{first}");
    let failed = tb.cli(&["printers", "test", "loket1"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        failed.status.code(),
        Some(1),
        "paper out fails the test slip"
    );
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("Kertas printer habis"), "{err}");
}

#[test]
fn sale_print_and_till_print_z_use_the_counter_printer() {
    let mut tb = TestBranch::new();
    let sale = cash_sale(&mut tb.branch);
    let z = tb
        .branch
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &loket::till::CashCount::total_only(rp(120_000)),
        )
        .expect("close")
        .z
        .expect("z")
        .number
        .expect("number");
    let out = tb.cli_ok(&["sale", "print", &sale.to_string()]);
    assert!(out.contains("tercetak di printer loket1"), "{out}");
    let out = tb.cli_ok(&["sale", "print", &sale.to_string(), "--copy"]);
    assert!(out.contains("tercetak"), "{out}");
    let out = tb.cli_ok(&["till", "print-z", &z.to_string()]);
    assert!(out.contains("Laporan Z 1 (salinan) tercetak"), "{out}");
    let dir = tb.path().join("printer/loket1");
    let read = |n: u32| std::fs::read_to_string(dir.join(format!("{n:04}.txt"))).expect("job");
    assert!(!read(1).contains("S A L I N A N"));
    // The Z slip carries the journal's head as it stood at the close, as `journal verify
    // --anchor` takes it back.
    let z_slip = read(3);
    let head = z_slip
        .lines()
        .find_map(|l| l.trim().strip_prefix("Jurnal s.d."))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no journal head on the Z slip:\n{z_slip}"))
        .to_string();
    let (number, hash) = head
        .strip_prefix('#')
        .and_then(|h| h.split_once(' '))
        .unwrap_or_else(|| panic!("head {head:?}"));
    assert_eq!(hash.len(), 16, "{head}");
    let checked = tb.cli_ok(&["journal", "verify", "--anchor", &format!("{number}:{hash}")]);
    assert!(checked.contains("utuh"), "{checked}");
    assert!(read(2).contains("S A L I N A N"));
    assert!(read(3).contains("S A L I N A N"));
    let reprints: i64 = tb
        .branch
        .store_mut()
        .read(|c| {
            c.query_row("SELECT COUNT(*) FROM z_reprints", (), |r| r.get(0))
                .map_err(loket::LoketError::from)
        })
        .expect("count");
    assert_eq!(reprints, 1, "the Z copy is counted");
    let missing = tb.cli(&["sale", "print", "999"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn with_lang_en_a_printer_out_of_paper_is_said_in_english() {
    let out_dir = tempfile::tempdir().expect("temp dir");
    let (mut child, _stdout, _, tb) = paper_out_printer(out_dir.path());
    let en = tb.cli(&["--lang", "en", "printers", "test", "loket1"]);
    let id = tb.cli(&["printers", "test", "loket1"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(en.status.code(), Some(1), "paper out fails the test slip");
    let en = String::from_utf8_lossy(&en.stderr);
    assert!(
        en.contains("The printer is out of paper — change the roll, then press F8 to print again."),
        "{en}"
    );
    let id = String::from_utf8_lossy(&id.stderr);
    assert!(
        id.contains("Kertas printer habis — ganti gulungan lalu tekan F8 untuk cetak ulang."),
        "{id}"
    );
}

/// The emulator's standard output, kept open while the test runs so the emulator can go on writing.
type EmulatorOut = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// Starts `loket printers emulate` as a network printer out of paper (its slips in `out`) and a
/// branch whose counter-1 printer is that emulator; returns the emulator, its output, its first
/// line and the branch.
fn paper_out_printer(
    out: &std::path::Path,
) -> (std::process::Child, EmulatorOut, String, TestBranch) {
    let mut child = Command::new(loket_bin())
        .args([
            "printers",
            "emulate",
            "--tcp",
            "127.0.0.1:0",
            "--status",
            "paper-out",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("read");
    let addr = first
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .expect("address printed")
        .to_string();
    let tb = TestBranch::with_config(|t| {
        t.replace(
            "[printers.loket1]\nconnection = \"virtual\"\nprofile = \"80mm\"\noutput = \"printer/loket1\"",
            &format!("[printers.loket1]\nconnection = \"tcp\"\naddress = \"{addr}\"\nprofile = \"80mm\""),
        )
    });
    (child, lines, first, tb)
}
