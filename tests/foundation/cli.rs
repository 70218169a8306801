//! The command line as scripts use it: outputs, exit codes (0 ok, 1 refused, 2 usage) and messages.

use crate::common::{loket, loket_bin, loket_ok};
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn init_then_a_day_at_the_counter() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let out = loket(d, &["queue", "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("jalankan `loket init`"));

    assert!(loket_ok(d, &["init"]).contains("Kantor Pos Demo"));
    let again = loket(d, &["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    loket_ok(d, &["init", "--force"]);

    assert_eq!(loket_ok(d, &["queue", "issue", "A"]), "A-001");
    assert_eq!(loket_ok(d, &["queue", "issue", "c", "--priority"]), "C-001");
    assert_eq!(
        loket_ok(d, &["queue", "call", "--counter", "3"]),
        "C-001",
        "priority first"
    );
    assert_eq!(loket_ok(d, &["queue", "call", "-c", "1"]), "A-001");
    assert_eq!(
        loket_ok(d, &["queue", "call", "-c", "2"]),
        "",
        "nobody left: empty output"
    );
    let busy = loket(d, &["queue", "call", "-c", "1"]);
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&busy.stderr)
            .starts_with("galat: loket 1 masih memegang tiket A-001")
    );
    assert_eq!(loket_ok(d, &["queue", "serve", "-c", "1"]), "A-001");
    assert_eq!(loket_ok(d, &["queue", "done", "-c", "1"]), "A-001");

    let status: serde_json::Value =
        serde_json::from_str(&loket_ok(d, &["queue", "status", "--json"])).expect("json");
    assert_eq!(status["branch"], "Kantor Pos Demo");
    assert_eq!(status["counters"][2]["ticket"], "C-001");
    assert_eq!(status["counters"][2]["ticket_status"], "called");
    assert_eq!(status["services"][0]["last_issued"], "A-001");
    assert_eq!(status["recent_calls"][0]["ticket"], "A-001");
    let info: serde_json::Value =
        serde_json::from_str(&loket_ok(d, &["queue", "issue", "B", "--json"])).expect("json");
    assert_eq!(
        (info["ticket"].as_str(), info["ahead"].as_u64()),
        (Some("B-001"), Some(0))
    );
    assert!(loket_ok(d, &["journal", "verify"]).starts_with("Jurnal utuh"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    for args in [
        &["queue", "frobnicate"][..],
        &["queue", "call"],
        &["queue", "issue"],
        &["--nope"],
    ] {
        let out = loket(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_typo_in_the_configuration_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    loket_ok(d, &["init"]);
    let path = d.join("loket.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let line = text
        .lines()
        .position(|l| l.starts_with("sla_minutes"))
        .expect("line")
        + 1;
    std::fs::write(&path, text.replacen("sla_minutes", "sla_minuts", 1)).expect("write");
    let out = loket(d, &["queue", "status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("loket.toml:{line}: kunci 'sla_minuts'")),
        "{err}"
    );
    assert!(
        err.contains("sla_minutes"),
        "suggests the known keys: {err}"
    );
}

#[test]
fn the_main_command_runs_on_the_embedded_default() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("baru");
    let out = Command::new(loket_bin())
        .arg("--data")
        .arg(&data)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kantor Pos Demo"), "{text}");
    assert!(text.contains("Loket 4"), "{text}");
    assert!(data.join("loket.toml").exists() && data.join("loket.db").exists());
}

#[test]
fn users_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    loket_ok(d, &["init"]);
    let mut child = Command::new(loket_bin())
        .args(["--data"])
        .arg(d)
        .args([
            "users",
            "add",
            "kepala",
            "--name",
            "Sri Wahyuni",
            "--role",
            "supervisor",
        ])
        .env_remove("LOKET_PIN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"246810\n")
        .expect("pin");
    assert!(child.wait().expect("wait").success());
    loket_ok(
        d,
        &[
            "users", "add", "budi", "--name", "Budi", "--role", "clerk", "--pin", "1357",
        ],
    );
    let list: serde_json::Value =
        serde_json::from_str(&loket_ok(d, &["users", "list", "--json"])).expect("json");
    assert_eq!(list[0]["id"], "budi");
    assert_eq!(list[1]["role"], "supervisor");
    loket_ok(d, &["users", "disable", "budi"]);
    let list: serde_json::Value =
        serde_json::from_str(&loket_ok(d, &["users", "list", "--json"])).expect("json");
    assert_eq!(list[0]["active"], false);
    assert_eq!(
        loket(
            d,
            &[
                "users", "add", "x", "--name", "X", "--role", "boss", "--pin", "1234"
            ]
        )
        .status
        .code(),
        Some(2)
    );

    // A no-show reactivated with the supervisor's PIN.
    assert_eq!(loket_ok(d, &["queue", "issue", "A"]), "A-001");
    loket_ok(d, &["queue", "call", "-c", "1"]);
    let noshow = Command::new(loket_bin())
        .arg("--data")
        .arg(d)
        .args(["queue", "noshow", "-c", "1"])
        .env("LOKET_FAKE_NOW", fake_now_plus_minutes(2))
        .output()
        .expect("run");
    assert!(
        noshow.status.success(),
        "{}",
        String::from_utf8_lossy(&noshow.stderr)
    );
    let wrong = loket(
        d,
        &[
            "queue",
            "reactivate",
            "A-001",
            "--supervisor",
            "kepala",
            "--pin",
            "000000",
            "--reason",
            "terlambat",
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("PIN salah"));
    assert_eq!(
        loket_ok(
            d,
            &[
                "queue",
                "reactivate",
                "a1",
                "--supervisor",
                "kepala",
                "--pin",
                "246810",
                "--reason",
                "terlambat"
            ]
        ),
        "A-001"
    );
    assert_eq!(loket_ok(d, &["queue", "call", "-c", "2"]), "A-001");
}

/// The current time plus some minutes, as `LOKET_FAKE_NOW` wants it.
fn fake_now_plus_minutes(minutes: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// A fresh demo branch in `dir`, ready for queue commands.
fn initialised(dir: &std::path::Path) {
    loket_ok(dir, &["init"]);
}

#[test]
fn lang_en_words_errors_in_english() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    initialised(d);
    let en = loket(d, &["--lang", "en", "queue", "ticket", "Z-999"]);
    assert_eq!(en.status.code(), Some(1));
    let en = String::from_utf8_lossy(&en.stderr);
    assert!(en.starts_with("error: "), "{en}");
    assert!(en.contains("does not exist"), "{en}");
    assert!(!en.contains("tidak"), "Indonesian left in: {en}");

    let id = loket(d, &["queue", "ticket", "Z-999"]);
    assert_eq!(id.status.code(), Some(1));
    let id = String::from_utf8_lossy(&id.stderr);
    assert!(id.starts_with("galat: "), "{id}");
    assert!(id.contains("tidak ada"), "{id}");

    // The environment variable does the same as the flag, and the flag wins over it.
    let by_env = Command::new(loket_bin())
        .args([
            "--data",
            d.to_str().expect("utf-8"),
            "queue",
            "ticket",
            "Z-999",
        ])
        .env("LOKET_LANG", "en")
        .output()
        .expect("run loket");
    assert_eq!(String::from_utf8_lossy(&by_env.stderr), en);
    let flag_wins = Command::new(loket_bin())
        .args([
            "--data",
            d.to_str().expect("utf-8"),
            "--lang",
            "id",
            "queue",
            "ticket",
            "Z-999",
        ])
        .env("LOKET_LANG", "en")
        .output()
        .expect("run loket");
    assert_eq!(String::from_utf8_lossy(&flag_wins.stderr), id);
}

#[test]
fn lang_en_words_command_output_in_english() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let init = loket_ok(d, &["--lang", "en", "init"]);
    assert!(
        init.starts_with("Demo branch 'Kantor Pos Demo' set up in"),
        "{init}"
    );
    loket_ok(d, &["queue", "issue", "A"]);
    let status = loket_ok(d, &["--lang", "en", "queue", "status"]);
    assert!(status.contains("business day"), "{status}");
    assert!(status.contains("Waiting"), "{status}");
    assert!(status.contains("Counter 1"), "{status}");
    let status_id = loket_ok(d, &["queue", "status"]);
    assert!(
        status_id.contains("Menunggu") && status_id.contains("Loket 1"),
        "{status_id}"
    );
    assert!(loket_ok(d, &["--lang", "en", "journal", "verify"]).starts_with("Journal intact"));
    // An anchor read off paper that is not one is refused in the process's language.
    let bad = loket(d, &["--lang", "en", "journal", "verify", "--anchor", "zz"]);
    let bad = String::from_utf8_lossy(&bad.stderr);
    assert!(bad.contains("is not valid: write NUMBER:HASH"), "{bad}");
    assert!(!bad.contains("tidak sah"), "{bad}");
    let bad = loket(d, &["journal", "verify", "--anchor", "zz"]);
    let bad = String::from_utf8_lossy(&bad.stderr);
    assert!(bad.contains("tidak sah: tulis NOMOR:HASH"), "{bad}");
}

#[test]
fn lang_en_describes_commands_in_english() {
    let dir = tempfile::tempdir().expect("tmp");
    let en = loket_ok(dir.path(), &["--lang", "en", "queue", "ticket", "--help"]);
    assert!(
        en.contains("One ticket's position and estimated wait"),
        "{en}"
    );
    let id = loket_ok(dir.path(), &["queue", "ticket", "--help"]);
    assert!(
        id.contains("Posisi dan perkiraan waktu tunggu satu tiket"),
        "{id}"
    );
    let top = loket_ok(dir.path(), &["--help", "--lang", "en"]);
    assert!(
        top.contains("Queue: take a number, call, serve, park, transfer"),
        "{top}"
    );
}

/// The till, stamping, outbox, doctor and backup commands speak English under `--lang en` and keep
/// their Indonesian sentences by default.
#[test]
fn lang_en_words_till_stamping_outbox_doctor_and_backup_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    initialised(d);

    let id = loket_ok(d, &["till", "open", "-c", "1", "--float", "100000"]);
    assert!(
        id.starts_with("Sesi kas ") && id.contains("dengan modal Rp100.000.\nLaci dibuka."),
        "{id}"
    );
    let en = loket_ok(
        d,
        &[
            "--lang", "en", "till", "open", "-c", "2", "--float", "100000",
        ],
    );
    assert!(
        en.starts_with("Cash session ")
            && en.contains("opened at counter 2 with a float of Rp100.000.\nDrawer opened."),
        "{en}"
    );

    // The X report of counter 2's drawer: its title, head, sections and lines in English, and in
    // Indonesian by default.
    let x_en = loket_ok(d, &["--lang", "en", "till", "x-report", "-c", "2"]);
    for line in [
        "X REPORT (INTERIM)",
        "Counter 2 — session ",
        "Business day ",
        "Cash in the drawer",
        "Opening float",
        "Expected cash",
        "Takings by method",
        "Net sales",
        "Drawer opened",
        "\nPrinted ",
    ] {
        assert!(x_en.contains(line), "{line:?} missing from: {x_en}");
    }
    for word in ["LAPORAN", "Kas di laci", "Modal awal", "Dicetak", "bersih"] {
        assert!(!x_en.contains(word), "{word:?} left in: {x_en}");
    }
    let x_id = loket_ok(d, &["till", "x-report", "-c", "2"]);
    for line in [
        "LAPORAN X (SEMENTARA)",
        "Loket 2 — sesi ",
        "Kas di laci",
        "Modal awal",
        "Penjualan bersih",
        "\nDicetak ",
    ] {
        assert!(x_id.contains(line), "{line:?} missing from: {x_id}");
    }

    assert_eq!(
        loket_ok(d, &["job", "list"]),
        "Tidak ada pekerjaan meterai."
    );
    assert_eq!(
        loket_ok(d, &["--lang", "en", "job", "list"]),
        "No stamping jobs."
    );
    assert_eq!(
        loket_ok(d, &["--lang", "en", "stamps", "claims"]),
        "No spoiled serial number needs claiming."
    );
    assert_eq!(
        loket_ok(d, &["--lang", "en", "outbox", "list"]),
        "The outbox is empty."
    );

    // A CLI refusal that used to be a bare string is a typed error worded in both languages.
    let bad = loket(
        d,
        &["--lang", "en", "report", "daily", "--date", "21-11-2026"],
    );
    assert_eq!(bad.status.code(), Some(1));
    let bad = String::from_utf8_lossy(&bad.stderr);
    assert!(
        bad.starts_with("error: the date '21-11-2026' is not recognised"),
        "{bad}"
    );
    let bad = loket(d, &["report", "daily", "--date", "21-11-2026"]);
    let bad = String::from_utf8_lossy(&bad.stderr);
    assert!(
        bad.starts_with("galat: tanggal '21-11-2026' tidak dikenali; tulis sebagai TTTT-BB-HH"),
        "{bad}"
    );

    let doctor_en = loket(d, &["--lang", "en", "doctor"]);
    let doctor_en = String::from_utf8_lossy(&doctor_en.stdout);
    assert!(doctor_en.contains("✓ configuration valid: "), "{doctor_en}");
    assert!(doctor_en.contains("✓ journal intact: "), "{doctor_en}");
    assert!(doctor_en.contains(" checks"), "{doctor_en}");
    assert!(!doctor_en.contains("pemeriksaan"), "{doctor_en}");
    let doctor_id = loket(d, &["doctor"]);
    let doctor_id = String::from_utf8_lossy(&doctor_id.stdout);
    assert!(doctor_id.contains("✓ konfigurasi sah: "), "{doctor_id}");
    assert!(doctor_id.contains(" pemeriksaan "), "{doctor_id}");

    let to = tempfile::tempdir().expect("tmp");
    let to = to.path().to_str().expect("utf-8");
    let en = loket_ok(d, &["--lang", "en", "backup", "--to", to]);
    assert!(en.starts_with("Backup done and read back: "), "{en}");
    assert!(en.contains(" seconds)."), "{en}");
    let id = loket_ok(d, &["backup", "--to", to]);
    assert!(
        id.starts_with("Cadangan selesai dan sudah dibaca ulang: "),
        "{id}"
    );
    assert!(id.contains(" detik)."), "{id}");
}
