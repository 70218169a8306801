//! A whole shift through the real `loket` binary: open, sales in every tender and a split, a void, a refund, a pay-out, a blind close with a short and a supervisor, the Z report.

use crate::common::{TestBranch, loket_bin};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-23T09:00:00+07:00";

fn run(data: &Path, pin: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(loket_bin());
    cmd.arg("--data")
        .arg(data)
        .arg("--by")
        .arg("petugas1")
        .args(args);
    cmd.env_remove("LOKET_DATA")
        .env_remove("LOKET_PIN")
        .env("LOKET_FAKE_NOW", NOW);
    if let Some(pin) = pin {
        cmd.env("LOKET_PIN", pin);
    }
    cmd.output().expect("run loket")
}

fn ok(data: &Path, pin: Option<&str>, args: &[&str]) -> String {
    let out = run(data, pin, args);
    assert!(
        out.status.success(),
        "loket {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn json(data: &Path, pin: Option<&str>, args: &[&str]) -> Value {
    let text = ok(data, pin, args);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("loket {args:?} printed no JSON ({e}): {text}"))
}

/// `loket sale new` then `sale add` for each item; returns the sale id.
fn sale(data: &Path, items: &[(&str, &str)]) -> String {
    let id = ok(data, None, &["sale", "new", "--counter", "1"]);
    assert!(
        id.parse::<i64>().is_ok(),
        "sale new prints the id, got {id:?}"
    );
    for (item, qty) in items {
        ok(data, None, &["sale", "add", &id, item, qty]);
    }
    id
}

fn refused(data: &Path, pin: Option<&str>, args: &[&str], says: &str) {
    let out = run(data, pin, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "loket {args:?} is refused: {err}"
    );
    assert!(
        err.starts_with("galat: ") && err.contains(says),
        "loket {args:?}: {err}"
    );
}

#[test]
fn a_whole_shift_from_the_command_line() {
    let tb = TestBranch::new();
    let d = tb.path();
    ok(
        d,
        Some("2468"),
        &[
            "users",
            "add",
            "spv",
            "--name",
            "Supervisor",
            "--role",
            "supervisor",
        ],
    );

    // Cash before the drawer is open is refused, with what to do next.
    let early = sale(d, &[("amplop", "1")]);
    refused(
        d,
        None,
        &["sale", "pay", &early, "--cash", "2000"],
        "till open --counter 1",
    );
    ok(
        d,
        Some("2468"),
        &[
            "sale",
            "void",
            &early,
            "--supervisor",
            "spv",
            "--reason",
            "uji coba",
        ],
    );

    let opened = ok(
        d,
        None,
        &[
            "till",
            "open",
            "--counter",
            "1",
            "--float",
            "100000x1,50000x2,20000x2,5000x4",
        ],
    );
    assert!(opened.contains("modal Rp260.000"), "{opened}");

    // A: cash with change (Rp37.000 paid with Rp50.000).
    let a = ok(
        d,
        None,
        &["sale", "new", "--counter", "1", "--ticket", "C-001"],
    );
    ok(d, None, &["sale", "add", &a, "meterai", "3"]);
    let added = ok(d, None, &["sale", "add", &a, "fotokopi", "14"]);
    assert!(
        added.contains("Rp40.000, Rp50.000, Rp100.000"),
        "quick amounts: {added}"
    );
    let paid = json(
        d,
        None,
        &["sale", "pay", &a, "--cash", "Rp50.000", "--json"],
    );
    assert_eq!(
        (paid["change"].as_i64(), paid["open_drawer"].as_bool()),
        (Some(13_000), Some(true))
    );
    assert_eq!(paid["sale"]["status"], "paid");

    // B: debit.
    let b = sale(d, &[("meterai", "2")]);
    refused(
        d,
        None,
        &[
            "sale",
            "pay",
            &b,
            "--debit",
            "25000",
            "--approval",
            "123ABC",
            "--last4",
            "4321",
        ],
        "melebihi sisa tagihan",
    );
    let human = ok(
        d,
        None,
        &[
            "sale",
            "pay",
            &b,
            "--debit",
            "20000",
            "--approval",
            "123ABC",
            "--last4",
            "4321",
        ],
    );
    assert!(human.contains("lunas"), "{human}");

    // C: QRIS, confirmed by its reference.
    let c = sale(d, &[("meterai", "1")]);
    let pending = json(d, None, &["sale", "pay", &c, "--qris", "10000", "--json"]);
    let reference = pending["qris"][0]["reference"]
        .as_str()
        .expect("reference")
        .to_string();
    assert_eq!(pending["qris"][0]["state"], "shown");
    let payload = pending["qris"][0]["payload"].as_str().expect("payload");
    assert!(loket::qris::parse(payload).is_ok(), "a valid QRIS payload");
    let confirmed = json(
        d,
        None,
        &["sale", "qris-confirm", "--ref", &reference, "--json"],
    );
    assert_eq!(
        (
            confirmed["sale"]["status"].as_str(),
            confirmed["late"].as_bool()
        ),
        (Some("paid"), Some(false))
    );

    // D: split across all three: Rp50.000 = debit 20.000 + QRIS 10.000 + cash 50.000 for the last 20.000.
    let split = sale(d, &[("meterai", "5")]);
    let out = json(
        d,
        None,
        &[
            "sale",
            "pay",
            &split,
            "--debit",
            "20000",
            "--approval",
            "9Z8Y7X",
            "--last4",
            "0042",
            "--qris",
            "10000",
            "--cash",
            "50000",
            "--json",
        ],
    );
    assert_eq!(out["change"].as_i64(), Some(30_000));
    assert_eq!(out["sale"]["status"], "open", "waits for the QRIS part");
    let r = out["qris"][0]["reference"]
        .as_str()
        .expect("reference")
        .to_string();
    let shown = json(d, None, &["sale", "qris-confirm", "--ref", &r, "--json"]);
    assert_eq!(shown["sale"]["status"], "paid");

    // E: voided with a supervisor (cash given back).
    let e = sale(d, &[("amplop", "2")]);
    ok(d, None, &["sale", "pay", &e, "--cash", "5000"]);
    refused(
        d,
        Some("0000"),
        &[
            "sale",
            "void",
            &e,
            "--supervisor",
            "spv",
            "--reason",
            "salah input",
        ],
        "PIN salah",
    );
    let voided = ok(
        d,
        Some("2468"),
        &[
            "sale",
            "void",
            &e,
            "--supervisor",
            "spv",
            "--reason",
            "salah input",
        ],
    );
    assert!(
        voided.contains("dibatalkan, disetujui spv") && voided.contains("Rp4.000 (Tunai)"),
        "{voided}"
    );
    refused(
        d,
        None,
        &["sale", "pay", &e, "--cash", "5000"],
        "sudah dibatalkan",
    );

    // A refund of 4 copies of sale A, and a pay-out.
    refused(
        d,
        Some("2468"),
        &[
            "sale",
            "refund",
            &a,
            "--line",
            "2:15",
            "--supervisor",
            "spv",
            "--reason",
            "salah cetak",
        ],
        "masih dapat dikembalikan 14",
    );
    let refund = json(
        d,
        Some("2468"),
        &[
            "sale",
            "refund",
            &a,
            "--line",
            "2:4",
            "--supervisor",
            "spv",
            "--reason",
            "salah cetak",
            "--json",
        ],
    );
    assert_eq!(
        (refund["amount"].as_i64(), refund["sale"]["status"].as_str()),
        (Some(2_000), Some("partly_refunded"))
    );
    ok(
        d,
        None,
        &[
            "till",
            "payout",
            "--counter",
            "1",
            "--amount",
            "15.000",
            "--reason",
            "beli tinta printer",
        ],
    );

    // X report: 260.000 + 105.000 received − 44.000 change − 4.000 void − 2.000 refund − 15.000 pay-out.
    let x = json(d, None, &["till", "x-report", "--counter", "1", "--json"]);
    let s = &x["summary"];
    assert_eq!(s["expected_cash"].as_i64(), Some(300_000));
    assert_eq!(s["cash_received"].as_i64(), Some(105_000));
    assert_eq!(s["change_given"].as_i64(), Some(44_000));
    assert_eq!(s["debit"]["net"].as_i64(), Some(40_000));
    assert_eq!(s["qris"]["net"].as_i64(), Some(20_000));
    assert_eq!(s["cash"]["net"].as_i64(), Some(55_000));
    assert_eq!(
        s["net_sales"].as_i64(),
        Some(115_000),
        "35.000 + 20.000 + 10.000 + 50.000"
    );

    // Blind close, Rp5.000 short: recorded, then explained and approved.
    let counted = ok(
        d,
        None,
        &[
            "till",
            "close",
            "--counter",
            "1",
            "--count",
            "100000x2,50000x1,20000x2,5000x1",
        ],
    );
    assert!(
        counted.contains("Dihitung Rp295.000, seharusnya Rp300.000, selisih -Rp5.000."),
        "{counted}"
    );
    assert!(
        counted.contains("menunggu alasan dan persetujuan supervisor"),
        "{counted}"
    );
    refused(
        d,
        None,
        &["till", "close", "--counter", "1"],
        "minta supervisor",
    );
    let closed = json(
        d,
        Some("2468"),
        &[
            "till",
            "close",
            "--counter",
            "1",
            "--supervisor",
            "spv",
            "--reason",
            "kembalian salah",
            "--json",
        ],
    );
    assert_eq!(closed["z"]["number"].as_i64(), Some(1));
    assert_eq!(closed["variance"].as_i64(), Some(-5_000));

    // The Z report, reprinted from storage: marked SALINAN, same figures.
    let z = json(d, None, &["till", "z-report", "--number", "1", "--json"]);
    assert_eq!(z["copy_mark"], "SALINAN");
    assert_eq!(z["summary"], closed["z"]["summary"]);
    assert_eq!(z["sections"], closed["z"]["sections"]);
    let text = ok(d, None, &["till", "z-report"]);
    assert!(
        text.starts_with("*** SALINAN (cetak ulang ke-2) ***"),
        "{text}"
    );
    for needle in [
        "LAPORAN Z No. 1",
        "Kas seharusnya",
        "Rp300.000",
        "Selisih (kurang)",
        "-Rp5.000",
        "Alasan: kembalian salah",
        "Disetujui: spv",
    ] {
        assert!(text.contains(needle), "Z report shows {needle:?}:\n{text}");
    }
    refused(
        d,
        None,
        &["till", "x-report", "--counter", "1"],
        "belum dibuka",
    );
    let verify = ok(d, None, &["journal", "verify"]);
    assert!(verify.starts_with("Jurnal utuh"), "{verify}");
}
