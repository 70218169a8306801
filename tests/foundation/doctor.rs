//! `loket doctor` end to end: the real binary on real data folders, real SMTP and Peruri ports on
//! loopback, and its pure verdicts (time zone, backup age, disk kinds) table-driven.

use crate::common::{MORNING, TestBranch, loket_bin, rfc3339};
use loket::config::BackupSettings;
use loket::day::TimeZone;
use loket::doctor::{
    BackupCheck, DiskKind, Finding, TimeZoneCheck, Verdict, backup_age, compare_time_zone,
    file_system, parse_reply_line, parse_utc_offset, space_is_low,
};
use loket::journal::Entry;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The machine's zone as a POSIX `TZ` string (no tz database needed): WIB is UTC+7.
const TZ_WIB: &str = "<+07>-7";
const TZ_UTC: &str = "UTC0";

/// The checks of the demo configuration, in report order.
const DEMO_CHECKS: &[&str] = &[
    "config",
    "data_folder",
    "disk_space",
    "local_disk",
    "database",
    "journal",
    "printer.dispenser",
    "printer.loket1",
    "printer.loket2",
    "printer.loket3",
    "printer.loket4",
    "dispenser",
    "drives",
    "smtp",
    "whatsapp",
    "peruri",
    "tsa",
    "peruri_roots",
    "time_zone",
    "backup",
];

/// `loket --data DATA doctor [--json]` at `now`, with the machine in zone `tz` and the given
/// extra environment.
fn doctor_with(data: &Path, now: &str, tz: &str, json: bool, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(loket_bin());
    cmd.arg("--data")
        .arg(data)
        .arg("doctor")
        .env_remove("LOKET_DATA")
        .env_remove(loket::delivery::DRIVE_ROOT_VAR)
        .env(loket::clock::FAKE_NOW_VAR, now)
        .env("TZ", tz);
    if json {
        cmd.arg("--json");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run loket doctor")
}

fn doctor(t: &TestBranch, json: bool) -> Output {
    doctor_with(t.path(), &t.fake_now(), TZ_WIB, json, &[])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `--json` report of a run (which must not have failed to start).
fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json is JSON ({e}): {}\n{}",
            stdout(out),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn ids(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["check"].as_str().expect("check id").to_string())
        .collect()
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["check"].as_str().expect("check id").to_string())
        .collect()
}

/// A port on loopback nobody listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A data folder on the build's own disk: the system's temporary folder may be tmpfs, which the
/// doctor rightly refuses for a branch.
fn local_tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir in target")
}

#[test]
fn a_fresh_demo_branch_passes_every_check_and_a_wrong_zone_fails_one() {
    let dir = local_tempdir();
    let data = dir.path().join("cabang");
    let now = rfc3339(MORNING);
    let init = Command::new(loket_bin())
        .arg("--data")
        .arg(&data)
        .arg("init")
        .env(loket::clock::FAKE_NOW_VAR, &now)
        .output()
        .expect("loket init");
    assert!(init.status.success(), "{init:?}");

    let out = doctor_with(&data, &now, TZ_WIB, false, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), DEMO_CHECKS.len() + 1, "{text}");
    assert!(
        lines[..DEMO_CHECKS.len()]
            .iter()
            .all(|l| l.starts_with("✓ ")),
        "{text}"
    );
    for expected in [
        "✓ konfigurasi sah: ",
        "✓ folder data dapat ditulis: ",
        "✓ ruang disk cukup: ",
        "✓ folder data di disk lokal",
        "✓ basis data terbuka, skema ",
        "✓ jurnal utuh: ",
        "✓ printer dispenser (virtual, 58mm) menjawab",
        "✓ printer loket1 (virtual, 80mm",
        "✓ dispenser memakai tombol keyboard",
        "✓ flash disk terbaca",
        "✓ e-mail (SMTP): tidak diatur",
        "✓ Peruri: tidak diatur (provider \"local\")",
        "✓ TSA (stempel waktu): tidak diatur",
        "✓ zona waktu komputer UTC+07:00 sesuai cabang (WIB)",
        "✓ cadangan harian: tidak diatur",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected:?} in\n{text}"
        );
    }
    assert_eq!(
        lines.last().copied(),
        Some(format!("Semua {} pemeriksaan lulus.", DEMO_CHECKS.len()).as_str())
    );

    let json = doctor_with(&data, &now, TZ_WIB, true, &[]);
    assert_eq!(json.status.code(), Some(0));
    let r = report(&json);
    assert_eq!(ids(&r), DEMO_CHECKS, "one entry per check, in order");
    for c in r["checks"].as_array().expect("checks") {
        let fields: Vec<&str> = c
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["check", "detail", "fix", "ok"], "{c}");
        assert!(c["fix"].is_null(), "{c}");
    }
    assert_eq!(
        r["summary"],
        serde_json::json!({"ok": true, "total": DEMO_CHECKS.len(), "passed": DEMO_CHECKS.len(), "failed": 0})
    );

    // The same PC set to UTC: only the zone fails, and it says how to fix it.
    let utc = doctor_with(&data, &now, TZ_UTC, false, &[]);
    assert_eq!(utc.status.code(), Some(1));
    let text = stdout(&utc);
    let crosses: Vec<&str> = text.lines().filter(|l| l.starts_with("✗")).collect();
    assert_eq!(
        crosses,
        [
            "✗ zona waktu komputer UTC+00:00 tidak sesuai cabang WIB (UTC+07:00) — atur zona waktu komputer: `sudo timedatectl set-timezone Asia/Jakarta`"
        ],
        "{text}"
    );
    assert!(text.ends_with(&format!(
        "1 dari {} pemeriksaan gagal; perbaiki yang bertanda ✗ lalu jalankan ulang `loket doctor`.\n",
        DEMO_CHECKS.len()
    )));
}

#[test]
fn a_missing_data_folder_and_a_typo_in_the_configuration_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let none = doctor_with(
        &dir.path().join("belum"),
        &rfc3339(MORNING),
        TZ_WIB,
        true,
        &[],
    );
    assert_eq!(none.status.code(), Some(1));
    let r = report(&none);
    let config = finding(&r, "config");
    assert_eq!(config["ok"], false);
    assert!(
        config["fix"]
            .as_str()
            .expect("fix")
            .starts_with("jalankan `loket init`"),
        "{config}"
    );
    assert!(
        finding(&r, "database")["fix"]
            .as_str()
            .expect("fix")
            .contains("loket init")
    );

    let t = TestBranch::new();
    let path = t.path().join(loket::config::FILE_NAME);
    let text = std::fs::read_to_string(&path).expect("config");
    let at = text.find("sla_minutes = 15").expect("demo has sla_minutes");
    let line = text[..at].lines().count() + 1;
    std::fs::write(
        &path,
        text.replacen("sla_minutes = 15", "sla_minute = 15", 1),
    )
    .expect("write typo");

    let out = doctor(&t, false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let first = text.lines().next().expect("a first line");
    assert!(
        first.starts_with(&format!(
            "✗ konfigurasi tidak dapat dipakai: {}:{line}: kunci 'sla_minute': ",
            path.display()
        )),
        "{first}"
    );
    assert!(
        first.ends_with(&format!(
            " — perbaiki baris {line} di {}, lalu jalankan ulang `loket doctor`",
            path.display()
        )),
        "{first}"
    );
    // What does not need the configuration is still checked.
    let r = report(&doctor(&t, true));
    for id in ["data_folder", "database", "journal", "drives"] {
        assert_eq!(finding(&r, id)["ok"], true, "{id}: {r:#}");
    }
    let printers = finding(&r, "printers");
    assert_eq!(printers["ok"], false);
    assert_eq!(
        printers["detail"],
        "printer tidak diperiksa: konfigurasi belum sah"
    );
}

#[test]
fn a_tampered_journal_row_fails_the_journal_check() {
    let mut t = TestBranch::new();
    for service in ["A", "B", "C"] {
        t.branch
            .queue()
            .issue_ticket(service, false, "dispenser")
            .expect("issue");
    }
    let before = report(&doctor(&t, true));
    assert_eq!(finding(&before, "journal")["ok"], true);
    assert_eq!(
        finding(&before, "journal")["detail"],
        "jurnal utuh: 3 entri diperiksa"
    );

    // What an attacker with the database's keys does: turn the guards off, edit a row.
    let c = t.branch.store().conn();
    crate::common::unguard(
        c,
        "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
    );
    c.execute("UPDATE journal SET actor = 'penyusup' WHERE seq = 2", ())
        .expect("tamper");

    let out = doctor(&t, false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("JURNAL"))
        .expect("journal line");
    assert!(
        line.starts_with("✗ JURNAL RUSAK: entri #2 telah diubah — jangan ubah apa pun"),
        "{line}"
    );
    assert!(line.contains("`loket journal verify`"), "{line}");
    let r = report(&doctor(&t, true));
    assert_eq!(finding(&r, "journal")["ok"], false);
}

/// A one-connection SMTP server on loopback: greets, answers EHLO with `ehlo` lines, and hands
/// back what the client said.
fn smtp_server(ehlo: &'static [&'static str]) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        writer.write_all(b"220 uji.test ESMTP\r\n").expect("greet");
        let mut heard = Vec::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let said = line.trim_end().to_string();
            line.clear();
            if said.starts_with("EHLO") {
                for reply in ehlo {
                    writer.write_all(reply.as_bytes()).expect("reply");
                }
            } else if said == "QUIT" {
                let _ = writer.write_all(b"221 sampai jumpa\r\n");
                heard.push(said);
                break;
            }
            heard.push(said);
        }
        heard
    });
    (port, server)
}

fn with_smtp(port: u16, security: &str) -> TestBranch {
    TestBranch::with_config(|text| {
        format!(
            "{text}\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\nfrom = \"Kantor Pos Demo <loket@contoh.test>\"\ntimeout_seconds = 30\n"
        )
    })
}

#[test]
fn smtp_is_reached_with_ehlo_and_a_closed_or_silent_port_fails() {
    let (port, server) = smtp_server(&["250-uji.test\r\n", "250-8BITMIME\r\n", "250 STARTTLS\r\n"]);
    let t = with_smtp(port, "starttls");
    let r = report(&doctor(&t, true));
    let smtp = finding(&r, "smtp");
    assert_eq!(
        smtp["detail"],
        format!("server e-mail 127.0.0.1:{port} menjawab (220, EHLO 250)")
    );
    assert_eq!(smtp["ok"], true);
    assert_eq!(
        server.join().expect("server"),
        ["EHLO [127.0.0.1]", "QUIT"],
        "EHLO only, no mail"
    );

    // A server without STARTTLS while loket would insist on it.
    let (port, server) = smtp_server(&["250 uji.test\r\n"]);
    let r = report(&doctor(&with_smtp(port, "starttls"), true));
    let smtp = finding(&r, "smtp");
    assert_eq!(smtp["ok"], false);
    assert!(
        smtp["fix"]
            .as_str()
            .expect("fix")
            .contains("security = \"tls\""),
        "{smtp}"
    );
    server.join().expect("server");

    let port = closed_port();
    let out = doctor(&with_smtp(port, "starttls"), false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("server e-mail"))
        .expect("smtp line");
    assert_eq!(
        line,
        format!(
            "✗ server e-mail 127.0.0.1:{port} tidak dapat dipakai: koneksi ditolak — periksa host dan port di [smtp], jaringan dan firewall ke server itu; sementara itu e-mail menunggu di kotak keluar"
        )
    );

    // Accepts and never greets: the doctor gives up after its short budget, not the configured 30 s.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let t = with_smtp(port, "starttls");
    let started = Instant::now();
    let r = report(&doctor(&t, true));
    let took = started.elapsed();
    let smtp = finding(&r, "smtp");
    assert_eq!(smtp["ok"], false);
    assert!(
        smtp["detail"]
            .as_str()
            .expect("detail")
            .ends_with("salam pembuka tidak datang dalam 3 detik"),
        "{smtp}"
    );
    assert!(took < Duration::from_secs(8), "doctor took {took:?}");
    drop(silent);
}

#[test]
fn peruri_and_tsa_on_closed_ports_fail_by_name() {
    let up = TcpListener::bind("127.0.0.1:0").expect("bind");
    let up_port = up.local_addr().expect("addr").port();
    let down = closed_port();
    let tsa = closed_port();
    let t = TestBranch::with_config(|text| {
        let text = text
            .replace("provider = \"local\"", "provider = \"peruri\"")
            .replace(
                "# tsa_url = \"http://tsa.contoh.test/tsr\"",
                &format!("tsa_url = \"http://127.0.0.1:{tsa}/tsr\""),
            );
        format!(
            "{text}\n[stamping.peruri]\nuser = \"loket@contoh.test\"\npassword_env = \"LOKET_PERURI_PASSWORD\"\nshared_folder = \"/srv/signadapter/sharefolder\"\nbackend_url = \"http://127.0.0.1:{up_port}\"\nstampv2_url = \"http://127.0.0.1:{up_port}\"\nadapter_url = \"http://127.0.0.1:{down}\"\n"
        )
    });
    let out = doctor(&t, false);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let line = |start: &str| {
        text.lines()
            .find(|l| l.contains(start))
            .unwrap_or_else(|| panic!("{start:?} in\n{text}"))
            .to_string()
    };
    assert_eq!(
        line("layanan Peruri"),
        format!(
            "✗ layanan Peruri tidak terjangkau: adapter_url (http://127.0.0.1:{down}): koneksi ditolak — periksa alamat di [stamping.peruri], jaringan dan firewall ke Peruri; pastikan Sign Adapter berjalan (`docker ps`, port 7777); pekerjaan yang sudah dibayar menunggu dan dilanjutkan otomatis"
        )
    );
    assert!(
        line("TSA").starts_with(&format!(
            "✗ TSA http://127.0.0.1:{tsa}/tsr tidak terjangkau: koneksi ditolak — "
        )),
        "{text}"
    );
    assert!(
        line("sertifikat akar Peruri").starts_with("✗ sertifikat akar Peruri belum diatur"),
        "{text}"
    );

    // The adapter comes up: Peruri passes; the roots are still missing.
    let adapter = TcpListener::bind(("127.0.0.1", down)).expect("bind the adapter's port");
    let r = report(&doctor(&t, true));
    assert_eq!(
        finding(&r, "peruri")["detail"],
        "layanan Peruri terjangkau (2 server)"
    );
    assert_eq!(failed(&r), ["tsa", "peruri_roots"], "{r:#}");
    drop((up, adapter));
}

#[test]
fn a_dispenser_port_that_is_missing_and_unreadable_drives_fail() {
    let t = TestBranch::with_config(|text| {
        text.replace(
            "input = \"keys\"",
            "input = \"serial\"\nport = \"/dev/loket-tidak-ada\"",
        )
    });
    let empty = tempfile::tempdir().expect("tmp");
    let out = doctor_with(
        t.path(),
        &t.fake_now(),
        TZ_WIB,
        true,
        &[(loket::delivery::DRIVE_ROOT_VAR, empty.path())],
    );
    let r = report(&out);
    assert_eq!(failed(&r), ["dispenser", "drives"], "{r:#}");
    let dispenser = finding(&r, "dispenser");
    assert!(
        dispenser["detail"]
            .as_str()
            .expect("detail")
            .starts_with("port dispenser /dev/loket-tidak-ada tidak dapat dibuka"),
        "{dispenser}"
    );
    assert!(
        finding(&r, "drives")["fix"]
            .as_str()
            .expect("fix")
            .contains("LOKET_DRIVE_ROOT")
    );
}

#[test]
fn the_backup_check_reads_the_journal_entry_at_its_time() {
    let mut t = TestBranch::with_config(|text| {
        format!("{text}\n[backup]\nfolder = \"/mnt/cadangan\"\nmax_age_hours = 26\n")
    });
    let r = report(&doctor(&t, true));
    let never = finding(&r, "backup");
    assert_eq!(never["ok"], false);
    assert_eq!(
        never["fix"],
        "buat cadangan sekarang: `loket backup --to /mnt/cadangan`, lalu periksa pekerja latar yang membuat cadangan harian (`loket worker`, layanan systemd-nya)"
    );

    t.branch
        .store_mut()
        .write(|tx| {
            tx.journal(Entry::new(
                "worker",
                "backup.completed",
                "backup/1",
                serde_json::json!({"to": "/mnt/cadangan"}),
            ))
        })
        .expect("journal a backup");
    t.clock.advance(time::Duration::hours(2));
    let r = report(&doctor(&t, true));
    assert_eq!(
        finding(&r, "backup")["detail"],
        "cadangan terakhir 2 jam lalu"
    );
    assert_eq!(finding(&r, "backup")["ok"], true);

    t.clock.advance(time::Duration::hours(28));
    let out = doctor(&t, false);
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l.starts_with(
            "✗ cadangan terakhir 30 jam lalu, lebih lama dari batas 26 jam — buat cadangan sekarang: `loket backup --to /mnt/cadangan`"
        )),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pure verdicts.

fn verdict(v: &dyn Verdict) -> Finding {
    Finding::of("x", v)
}

#[test]
fn time_zone_verdicts() {
    const H: i32 = 3600;
    #[track_caller]
    fn check(machine_s: i32, zone: TimeZone, ok: bool, detail: &str, fix_has: &[&str]) {
        let result = compare_time_zone(machine_s, zone);
        assert_eq!(
            matches!(result, TimeZoneCheck::Matches { .. }),
            ok,
            "{result:?}"
        );
        let f = verdict(&result);
        assert_eq!(f.ok, ok);
        assert_eq!(f.detail, detail);
        let fix = f.fix.unwrap_or_default();
        for part in fix_has {
            assert!(fix.contains(part), "{fix:?} has {part:?}");
        }
    }
    check(
        7 * H,
        TimeZone::Wib,
        true,
        "zona waktu komputer UTC+07:00 sesuai cabang (WIB)",
        &[],
    );
    check(
        8 * H,
        TimeZone::Wita,
        true,
        "zona waktu komputer UTC+08:00 sesuai cabang (WITA)",
        &[],
    );
    check(
        9 * H,
        TimeZone::Wit,
        true,
        "zona waktu komputer UTC+09:00 sesuai cabang (WIT)",
        &[],
    );
    check(
        8 * H,
        TimeZone::Wib,
        false,
        "zona waktu komputer UTC+08:00 (WITA) tidak sesuai cabang WIB (UTC+07:00)",
        &[
            "`sudo timedatectl set-timezone Asia/Jakarta`",
            "bila cabang memang di WITA, ubah timezone = \"WITA\" di [branch]",
        ],
    );
    check(
        7 * H,
        TimeZone::Wit,
        false,
        "zona waktu komputer UTC+07:00 (WIB) tidak sesuai cabang WIT (UTC+09:00)",
        &["Asia/Jayapura", "timezone = \"WIB\""],
    );
    check(
        9 * H,
        TimeZone::Wita,
        false,
        "zona waktu komputer UTC+09:00 (WIT) tidak sesuai cabang WITA (UTC+08:00)",
        &["Asia/Makassar"],
    );
    check(
        0,
        TimeZone::Wib,
        false,
        "zona waktu komputer UTC+00:00 tidak sesuai cabang WIB (UTC+07:00)",
        &["Asia/Jakarta"],
    );
    check(
        5 * H + 1800,
        TimeZone::Wib,
        false,
        "zona waktu komputer UTC+05:30 tidak sesuai cabang WIB (UTC+07:00)",
        &["Asia/Jakarta"],
    );
    check(
        -3 * H,
        TimeZone::Wita,
        false,
        "zona waktu komputer UTC-03:00 tidak sesuai cabang WITA (UTC+08:00)",
        &["Asia/Makassar"],
    );
    let foreign = verdict(&compare_time_zone(0, TimeZone::Wib));
    assert!(
        !foreign.fix.unwrap_or_default().contains("ubah timezone"),
        "no other Indonesian zone to suggest at UTC"
    );

    for (text, seconds) in [
        ("+0700", Some(7 * H)),
        ("+0800\n", Some(8 * H)),
        ("-0330", Some(-3 * H - 1800)),
        ("+07:00", Some(7 * H)),
        ("+0000", Some(0)),
        ("0700", None),
        ("+07", None),
        ("+2500", None),
        ("+07x0", None),
        ("", None),
    ] {
        assert_eq!(parse_utc_offset(text), seconds, "{text:?}");
    }
}

#[test]
fn backup_age_verdicts() {
    const HOUR: i64 = 3_600_000;
    let now = 1_000 * HOUR;
    let with = BackupSettings {
        folder: Some(PathBuf::from("/mnt/cadangan")),
        ..BackupSettings::default()
    };
    let without = BackupSettings::default();
    assert_eq!(without.max_age_hours, 26);
    #[track_caller]
    fn check(result: BackupCheck, expected: BackupCheck, ok: bool) {
        assert_eq!(verdict(&result).ok, ok, "{result:?}");
        assert_eq!(result, expected);
    }
    check(
        backup_age(now, None, &without),
        BackupCheck::NotConfigured,
        true,
    );
    check(
        backup_age(now, None, &with),
        BackupCheck::Never {
            folder: PathBuf::from("/mnt/cadangan"),
        },
        false,
    );
    check(
        backup_age(now, Some(now - HOUR), &with),
        BackupCheck::Recent { age_ms: HOUR },
        true,
    );
    check(
        backup_age(now, Some(now - 26 * HOUR), &with),
        BackupCheck::Recent { age_ms: 26 * HOUR },
        true,
    );
    check(
        backup_age(now, Some(now - 26 * HOUR - 1), &with),
        BackupCheck::TooOld {
            age_ms: 26 * HOUR + 1,
            max_age_hours: 26,
            folder: Some(PathBuf::from("/mnt/cadangan")),
        },
        false,
    );
    check(
        backup_age(now, Some(now - 27 * HOUR), &without),
        BackupCheck::TooOld {
            age_ms: 27 * HOUR,
            max_age_hours: 26,
            folder: None,
        },
        false,
    );
    // A backup stamped after now (the clock was set back) counts as just made.
    check(
        backup_age(now, Some(now + HOUR), &with),
        BackupCheck::Recent { age_ms: 0 },
        true,
    );
    let short = BackupSettings {
        max_age_hours: 1,
        ..with.clone()
    };
    check(
        backup_age(now, Some(now - 2 * HOUR), &short),
        BackupCheck::TooOld {
            age_ms: 2 * HOUR,
            max_age_hours: 1,
            folder: Some(PathBuf::from("/mnt/cadangan")),
        },
        false,
    );
    assert_eq!(
        verdict(&backup_age(now, Some(now - 3 * 24 * HOUR), &with)).detail,
        "cadangan terakhir 3 hari lalu, lebih lama dari batas 26 jam"
    );
}

#[test]
fn disk_kinds_space_and_smtp_replies() {
    for (magic, mount, kind, name) in [
        (0xEF53, Some("ext4"), DiskKind::Local, "ext4"),
        (0xEF53, None, DiskKind::Local, "ext4"),
        (0x5846_5342, None, DiskKind::Local, "xfs"),
        (0x6969, Some("nfs4"), DiskKind::Network, "nfs4"),
        (0xFF53_4D42, Some("cifs"), DiskKind::Network, "cifs"),
        (0xFE53_4D42, None, DiskKind::Network, "smb2"),
        (0x0102_1994, Some("tmpfs"), DiskKind::Memory, "tmpfs"),
        (
            0x6573_5546,
            Some("fuse.sshfs"),
            DiskKind::Fuse,
            "fuse.sshfs",
        ),
        (0x6573_5546, Some("fuseblk"), DiskKind::Local, "fuseblk"),
        (0x1234, None, DiskKind::Local, "jenis 0x1234"),
    ] {
        let fs = file_system(magic, mount);
        assert_eq!((fs.kind, fs.name.as_str()), (kind, name), "{magic:#x}");
    }

    const GIB: u64 = 1 << 30;
    for (free, total, low) in [
        (66 * GIB, 252 * GIB, false),
        (GIB - 1, 500 * GIB, true),
        (20 * GIB, 250 * GIB, true),
        (25 * GIB, 250 * GIB, false),
        (2 * GIB, 8 * GIB, false),
        (0, 0, true),
    ] {
        assert_eq!(space_is_low(free, total), low, "{free} of {total}");
    }

    for (line, parsed) in [
        (
            "220 uji.test ESMTP\r\n",
            Some((220, false, "uji.test ESMTP")),
        ),
        ("250-STARTTLS\r\n", Some((250, true, "STARTTLS"))),
        ("250\r\n", Some((250, false, ""))),
        ("HTTP/1.1 400 Bad Request\r\n", None),
        ("25", None),
        ("250x\r\n", None),
    ] {
        assert_eq!(parse_reply_line(line), parsed, "{line:?}");
    }
}
