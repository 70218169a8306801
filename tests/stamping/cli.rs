//! `loket stamps …` and `loket job …` through the real binary.

use super::support::letter;
use crate::common::{loket, loket_ok};

#[test]
fn the_accounting_commands_show_inventory_claims_and_reconciliation() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    loket_ok(data, &["init"]);
    loket_ok(
        data,
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
        data,
        &[
            "users", "add", "petugas", "--name", "Petugas", "--role", "clerk", "--pin", "1234",
        ],
    );
    // Only a supervisor loads lots.
    let refused = loket(
        data,
        &[
            "stamps",
            "load-lot",
            "--lot",
            "INV-1",
            "--count",
            "5",
            "--price",
            "50000",
            "--supervisor",
            "petugas",
            "--pin",
            "1234",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("bukan supervisor"));
    let loaded = loket_ok(
        data,
        &[
            "stamps", "load-lot", "--lot", "INV-1", "--count", "5", "--price", "50000", "--pin",
            "9999",
        ],
    );
    assert!(
        loaded.contains("Lot INV-1 dimuat: 5 nomor seri"),
        "{loaded}"
    );
    let again = loket(
        data,
        &[
            "stamps", "load-lot", "--lot", "INV-1", "--count", "5", "--price", "50000", "--pin",
            "9999",
        ],
    );
    assert!(!again.status.success(), "a lot loads once");

    loket_ok(data, &["till", "open", "-c", "1", "--float", "100000"]);
    let pdf = data.join("surat.pdf");
    std::fs::write(&pdf, letter(11)).expect("letter");
    let id = loket_ok(
        data,
        &[
            "job",
            "new",
            pdf.to_str().expect("utf-8"),
            "--ticket",
            "C-001",
        ],
    );
    let placed = loket_ok(
        data,
        &[
            "job", "place", &id, "--page", "1", "--at", "120,200", "--size", "25",
        ],
    );
    assert!(placed.contains("posisi ditetapkan"), "{placed}");
    let paid = loket_ok(data, &["job", "pay", &id, "--cash", "20000"]);
    assert!(paid.contains("Kembalian: Rp10.000"), "{paid}");
    let run = loket_ok(data, &["job", "run", &id]);
    assert!(run.contains("bermeterai"), "{run}");
    let show: serde_json::Value =
        serde_json::from_str(&loket_ok(data, &["job", "show", &id, "--json"])).expect("json");
    assert_eq!(show["state"], "stamped");
    assert_eq!(show["ticket"], "C-001");
    let place = &show["place"];
    let mm = |pt: f64| pt * 25.4 / 72.0;
    assert!((mm(place["width"].as_f64().expect("w")) - 25.0).abs() < 0.01);
    assert!((mm(place["x"].as_f64().expect("x")) - 120.0).abs() < 0.01);
    let list = loket_ok(data, &["job", "list"]);
    assert!(list.contains("surat.pdf"), "{list}");

    let inv: serde_json::Value =
        serde_json::from_str(&loket_ok(data, &["stamps", "inventory", "--json"])).expect("json");
    assert_eq!(inv["stamped"], 1);
    assert_eq!(inv["available"], 4);
    assert_eq!(inv["lots"][0]["lot_id"], "INV-1");
    let reconcile = loket_ok(data, &["stamps", "reconcile"]);
    assert!(reconcile.contains("Cocok"), "{reconcile}");
    let claims = loket_ok(data, &["stamps", "claims", "--csv"]);
    assert_eq!(claims, "sn,waktu,penyedia,lot,pekerjaan,tiket,alasan");

    // The stamped file goes to a "drive" (a folder) by job number, and the job is delivered.
    let drive = tempfile::tempdir().expect("drive");
    loket_ok(
        data,
        &[
            "export",
            &id,
            "--to-drive",
            drive.path().to_str().expect("utf-8"),
        ],
    );
    assert!(drive.path().join("surat-emeterai.pdf").exists());
    let show: serde_json::Value =
        serde_json::from_str(&loket_ok(data, &["job", "show", &id, "--json"])).expect("json");
    assert_eq!(show["state"], "delivered");
    let mailed = loket_ok(data, &["mail", &id, "--to", "budi@contoh.test"]);
    assert!(mailed.contains("budi@contoh.test"), "{mailed}");
}

#[test]
fn with_lang_en_a_jobs_state_is_listed_in_english() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path();
    loket_ok(data, &["init"]);
    let pdf = data.join("surat.pdf");
    std::fs::write(&pdf, letter(11)).expect("letter");
    let id = loket_ok(data, &["job", "new", pdf.to_str().expect("utf-8")]);
    loket_ok(
        data,
        &[
            "job", "place", &id, "--page", "1", "--at", "120,200", "--size", "25",
        ],
    );
    let en = loket_ok(data, &["--lang", "en", "job", "list"]);
    assert!(en.contains("surat.pdf") && en.contains("placed"), "{en}");
    assert!(!en.contains("posisi ditetapkan"), "{en}");
    let id = loket_ok(data, &["job", "list"]);
    assert!(id.contains("posisi ditetapkan"), "{id}");
}
