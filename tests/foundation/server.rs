//! The branch server on a real PostgreSQL 15: `loket server init` through the binary, each PC
//! kind's grants, append-only held by privileges and by triggers, the plaintext rule, and the
//! server schema against a fresh SQLite store's.

use crate::common::loket;
use crate::common::pg::TestDb;
use postgres::error::SqlState;
use std::collections::BTreeMap;

const KINDS: [&str; 5] = ["counter", "dispenser", "display", "supervisor", "worker"];

/// `loket server init URL --branch CODE` in an empty data folder.
fn server_init(db: &TestDb) -> std::process::Output {
    let data = tempfile::tempdir().expect("temp dir");
    loket(
        data.path(),
        &["server", "init", &db.owner_url(), "--branch", &db.code],
    )
}

/// The URL of every `url = "…"` line of a printed `[store]` section, by the role it logs in as.
fn store_urls(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("url = \""))
        .map(|rest| {
            let url = rest.strip_suffix('"').expect("a closing quote").to_string();
            let role = url
                .strip_prefix("postgresql://")
                .and_then(|r| r.split(':').next())
                .expect("a role in the URL")
                .to_string();
            (role, url)
        })
        .collect()
}

/// Initialises `db` through the binary and returns the logins it printed.
fn initialised(db: &TestDb) -> BTreeMap<String, String> {
    let out = server_init(db);
    assert!(
        out.status.success(),
        "server init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    store_urls(&String::from_utf8_lossy(&out.stdout))
}

fn login(urls: &BTreeMap<String, String>, db: &TestDb, kind: &str) -> postgres::Client {
    let url = &urls[&format!("loket_{}_{kind}", db.code)];
    postgres::Client::connect(url, postgres::NoTls).expect("log in with the printed URL")
}

fn state(result: Result<u64, postgres::Error>) -> SqlState {
    match result {
        Ok(n) => panic!("the server accepted the statement ({n} rows)"),
        Err(e) => e.code().cloned().expect("a server error with a SQLSTATE"),
    }
}

const JOURNAL_ROW: &str = "INSERT INTO journal (at_ms, business_day, actor, kind, subject, detail, prev_hash, hash) \
     VALUES (1, '2026-11-23', 'budi', 'test', 's', '{}', 'p', 'h')";

#[test]
fn server_init_prints_a_store_line_per_pc_kind_and_refuses_a_second_run() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let expected: Vec<String> = KINDS
        .iter()
        .map(|k| format!("loket_{}_{k}", db.code))
        .collect();
    assert_eq!(
        urls.keys().cloned().collect::<Vec<_>>(),
        {
            let mut e = expected.clone();
            e.sort();
            e
        },
        "one [store] line per PC kind"
    );
    for role in &expected {
        let mut client =
            postgres::Client::connect(&urls[role], postgres::NoTls).expect("the printed URL works");
        let row = client
            .query_one(
                "SELECT current_user::text, current_setting('search_path')",
                &[],
            )
            .expect("who am I");
        assert_eq!(row.get::<_, String>(0), *role);
        assert_eq!(row.get::<_, String>(1), "loket");
    }
    // The passwords are stored as SCRAM-SHA-256 verifiers, never as text or MD5.
    let stored: Vec<(String, String)> = db
        .owner()
        .query(
            "SELECT rolname::text, coalesce(rolpassword, '') FROM pg_authid WHERE rolname = ANY($1)",
            &[&expected],
        )
        .expect("read pg_authid")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(stored.len(), 5);
    for (role, verifier) in &stored {
        assert!(verifier.starts_with("SCRAM-SHA-256$"), "{role}: {verifier}");
    }

    let again = server_init(&db);
    assert!(!again.status.success(), "a second init must be refused");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains(&format!("Basis data {} sudah berisi skema loket", db.name)),
        "{stderr}"
    );
    assert!(
        store_urls(&String::from_utf8_lossy(&again.stdout)).is_empty(),
        "no new passwords on a refused run"
    );
}

#[test]
fn the_display_role_reads_the_queue_and_may_change_nothing() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let mut display = login(&urls, &db, "display");
    let waiting: i64 = display
        .query_one("SELECT count(*) FROM tickets", &[])
        .expect("the display reads tickets")
        .get(0);
    assert_eq!(waiting, 0);
    assert_eq!(
        state(display.execute("UPDATE tickets SET status = 'done'", &[])),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
    assert_eq!(
        state(display.execute("DELETE FROM journal", &[])),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
    assert_eq!(
        state(display.execute(JOURNAL_ROW, &[])),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
}

#[test]
fn the_journal_ledger_and_z_reports_are_append_only_by_grants_and_by_triggers() {
    let db = TestDb::new();
    let urls = initialised(&db);

    // The counter appends to the journal; the row carries the branch's code.
    let mut counter = login(&urls, &db, "counter");
    let row = counter
        .query_one(&format!("{JOURNAL_ROW} RETURNING branch, seq"), &[])
        .expect("the counter appends to the journal");
    assert_eq!(row.get::<_, String>(0), db.code);
    assert_eq!(
        state(counter.execute("UPDATE journal SET actor = 'siti'", &[])),
        SqlState::INSUFFICIENT_PRIVILEGE
    );
    assert_eq!(
        state(counter.execute("DELETE FROM journal", &[])),
        SqlState::INSUFFICIENT_PRIVILEGE
    );

    // No PC kind holds UPDATE, DELETE or TRUNCATE on the three append-only tables.
    let mut owner = db.owner();
    for kind in KINDS {
        for table in ["journal", "till_movements", "z_reports"] {
            for privilege in ["UPDATE", "DELETE", "TRUNCATE"] {
                let held: bool = owner
                    .query_one(
                        "SELECT has_table_privilege($1::name, $2::text, $3::text)",
                        &[
                            &format!("loket_{}_{kind}", db.code),
                            &format!("loket.{table}"),
                            &privilege,
                        ],
                    )
                    .expect("ask for the privilege")
                    .get(0);
                assert!(!held, "{kind} holds {privilege} on {table}");
            }
        }
    }

    // The owner (a superuser here) is refused by the triggers.
    owner
        .batch_execute(
            "SET search_path = loket;
             INSERT INTO till_movements (counter, at_ms, kind, method, amount, actor)
                 VALUES (1, 0, 'sale', 'debit', 10000, 'budi');
             INSERT INTO till_sessions (id, counter, clerk, business_day, opened_ms, float_count, state)
                 VALUES (7, 1, 'budi', '2026-11-23', 0, '{}', 'closed');
             INSERT INTO z_reports (session, counter, business_day, created_ms, document, sha256)
                 VALUES (7, 1, '2026-11-23', 0, '{}', 'ab');",
        )
        .expect("the owner inserts");
    for statement in [
        "UPDATE journal SET actor = 'siti'",
        "DELETE FROM journal",
        "UPDATE till_movements SET amount = 1",
        "DELETE FROM till_movements",
        "UPDATE z_reports SET sha256 = 'cd'",
        "DELETE FROM z_reports",
        "TRUNCATE journal",
    ] {
        match owner.execute(statement, &[]) {
            Ok(n) => panic!("{statement}: accepted ({n} rows)"),
            Err(e) => {
                let db_error = e.as_db_error().expect("a server error");
                assert_eq!(db_error.code(), &SqlState::RAISE_EXCEPTION, "{statement}");
                assert!(
                    db_error.message().contains("append-only"),
                    "{statement}: {e}"
                );
            }
        }
    }
    let actor: String = owner
        .query_one("SELECT actor FROM journal", &[])
        .expect("the journal row")
        .get(0);
    assert_eq!(actor, "budi", "the row is as the counter wrote it");
}

#[test]
fn a_plaintext_url_to_another_machine_is_refused_before_connecting() {
    let data = tempfile::tempdir().expect("temp dir");
    // `.invalid` never resolves: had loket tried to connect, it would say the server cannot be
    // reached instead of refusing the plaintext connection.
    let out = loket(
        data.path(),
        &[
            "server",
            "init",
            "postgresql://loket_owner:rahasia@server-cabang.invalid:5432/loket",
            "--branch",
            "40000",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Sambungan tanpa enkripsi ke server-cabang.invalid ditolak"),
        "{stderr}"
    );
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(!stderr.contains("tidak dapat dihubungi"), "{stderr}");

    let out = loket(
        data.path(),
        &[
            "--lang",
            "en",
            "server",
            "init",
            "postgresql://loket_owner:rahasia@192.168.10.5/loket",
            "--branch",
            "40000",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("An unencrypted connection to 192.168.10.5 is refused"),
        "{stderr}"
    );
}

/// SQLite's declared type as the server's `information_schema` names its translation.
fn server_type(sqlite: &str) -> &'static str {
    match sqlite {
        "INTEGER" => "bigint",
        "TEXT" => "text",
        "BLOB" => "bytea",
        "REAL" => "double precision",
        other => panic!("no translation for SQLite type {other}"),
    }
}

#[test]
fn the_server_schema_has_every_sqlite_table_and_column() {
    // The SQLite side is always the embedded file, whichever engine this run's branches use.
    let dir = tempfile::tempdir().expect("tmp");
    let sqlite = loket::store::Store::open(
        &dir.path().join(loket::store::FILE_NAME),
        std::sync::Arc::new(loket::clock::ManualClock::new(crate::common::MORNING)),
        loket::day::TimeZone::Wib,
    )
    .expect("a fresh SQLite store");
    let conn = sqlite.conn();
    let mut columns = Vec::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| {
            s.query_map((), |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .expect("list the SQLite tables");
    for table in &tables {
        let mut info = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .expect("table_info");
        let rows = info
            .query_map((), |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)? == 1,
                ))
            })
            .expect("read table_info");
        for row in rows {
            let (column, kind, not_null) = row.expect("a column");
            columns.push((table.clone(), column, kind, not_null));
        }
    }
    assert!(tables.len() >= 30, "only {} SQLite tables", tables.len());

    let db = TestDb::new();
    let code = db.code.parse().expect("a branch code");
    loket::server::init(&db.owner_url(), &code).expect("server init");
    let server: BTreeMap<(String, String), (String, bool)> = db
        .owner()
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO'
             FROM information_schema.columns WHERE table_schema = 'loket'",
            &[],
        )
        .expect("read the server's columns")
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect();

    let mut drift = Vec::new();
    for (table, column, kind, not_null) in &columns {
        match server.get(&(table.clone(), column.clone())) {
            None => drift.push(format!("{table}.{column} is missing on the server")),
            Some((server_kind, server_not_null)) => {
                if server_kind != server_type(kind) {
                    drift.push(format!("{table}.{column}: {kind} became {server_kind}"));
                }
                if *not_null && !server_not_null {
                    drift.push(format!("{table}.{column} is NOT NULL only on SQLite"));
                }
            }
        }
    }
    assert!(
        drift.is_empty(),
        "the schemas drifted:\n{}",
        drift.join("\n")
    );

    // Rows that leave the branch carry its code.
    for table in [
        "journal",
        "tickets",
        "sales",
        "payments",
        "till_movements",
        "z_reports",
        "serials",
        "stamp_jobs",
        "outbox",
        "drive_copies",
    ] {
        assert_eq!(
            server.get(&(table.to_string(), "branch".to_string())),
            Some(&("text".to_string(), true)),
            "{table}.branch"
        );
    }
}

/// A clock for stores these tests open themselves.
fn clock() -> std::sync::Arc<dyn loket::clock::Clock> {
    std::sync::Arc::new(loket::clock::ManualClock::new(crate::common::MORNING))
}

#[test]
fn a_pc_on_the_lan_reaches_the_server_only_over_tls_checked_against_the_branch_ca() {
    let db = TestDb::new();
    let data = tempfile::tempdir().expect("temp dir");
    let tls = data.path().join("tls");
    let tls_arg = tls.display().to_string();
    let out = loket(
        data.path(),
        &[
            "server",
            "init",
            &db.owner_url(),
            "--branch",
            &db.code,
            "--tls-dir",
            &tls_arg,
            "--host",
            "127.0.0.1",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ssl = on"), "{stdout}");
    assert!(stdout.contains("ca = \"branch-ca.pem\""), "{stdout}");
    let key_mode = std::fs::metadata(tls.join("server.key"))
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .expect("the server key");
    assert_eq!(key_mode, 0o600, "keys are readable by their owner only");
    crate::common::pg::cluster().use_tls(&tls.join("server.crt"), &tls.join("server.key"));

    let urls = store_urls(&stdout);
    let counter = urls[&format!("loket_{}_counter", db.code)].clone();
    let address = |url: &str, ca: Option<std::path::PathBuf>| loket::store::ServerAddress {
        url: url.to_string(),
        ca,
    };
    // With the branch CA: TLS, as the server itself reports for this session.
    let store = loket::store::Store::connect(
        &address(&counter, Some(tls.join("branch-ca.pem"))),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect("connect over TLS");
    let ssl: i64 = store
        .conn()
        .query_row(
            "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            (),
            |r| r.get(0),
        )
        .expect("the session's TLS state");
    assert_eq!(ssl, 1, "the session is encrypted");

    // Another CA's certificate is refused, and so is a name the certificate does not carry.
    let other = tempfile::tempdir().expect("temp dir");
    let foreign = loket::server::tls::generate("99999", &["127.0.0.1".into()]).expect("a CA");
    std::fs::write(other.path().join("ca.pem"), foreign.ca_cert_pem).expect("write");
    let refused = loket::store::Store::connect(
        &address(&counter, Some(other.path().join("ca.pem"))),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect_err("a certificate of another CA");
    assert!(
        matches!(refused, loket::store::StoreError::Server { .. }),
        "{refused:?}"
    );
    assert_eq!(
        refused.refusal(),
        Some(loket::store::Refusal::Certificate),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("[store] ca"), "{refused}");
    let by_name = counter.replace("@127.0.0.1:", "@localhost:");
    let refused = loket::store::Store::connect(
        &address(&by_name, Some(tls.join("branch-ca.pem"))),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect_err("a name the certificate does not carry");
    assert!(
        matches!(refused, loket::store::StoreError::Server { .. }),
        "{refused:?}"
    );
    assert_eq!(
        refused.refusal(),
        Some(loket::store::Refusal::Certificate),
        "{refused:?}"
    );

    // Another machine without a CA is refused before any connection is tried (`.invalid` never
    // resolves, so a connection attempt would have said so instead).
    let refused = loket::store::Store::connect(
        &address(
            "postgresql://loket_1_counter:x@server-cabang.invalid/loket",
            None,
        ),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect_err("no CA for another machine");
    assert!(
        matches!(refused, loket::store::StoreError::NeedsCa { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("ca = "), "{refused}");
}

#[test]
fn pcs_set_up_from_the_printed_lines_share_one_queue_and_the_display_changes_nothing() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let url = |kind: &str| urls[&format!("loket_{}_{kind}", db.code)].clone();
    let pc = |kind: &str| crate::common::server_pc(&url(kind), "", None);
    let (kiosk, counter, display, supervisor) = (
        pc("dispenser"),
        pc("counter"),
        pc("display"),
        pc("supervisor"),
    );
    // Each PC runs loket with its own role; the kiosk issues, the counter sees the line.
    let run = |data: &tempfile::TempDir, args: &[&str]| {
        let out = loket(data.path(), args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = run(&kiosk, &["queue", "issue", "A"]);
    assert!(ok, "the kiosk issues: {said}");
    let (ok, said) = run(&kiosk, &["queue", "issue", "A"]);
    assert!(
        ok && said.contains("A-002"),
        "numbers continue on the server: {said}"
    );
    let (ok, said) = run(&display, &["queue", "issue", "A"]);
    assert!(!ok, "the display may not issue: {said}");
    let (ok, said) = run(&counter, &["queue", "status"]);
    let waiting_in_a = said
        .lines()
        .find(|l| l.starts_with("A "))
        .and_then(|l| l.split_whitespace().rev().nth(3))
        .map(str::to_string);
    assert!(
        ok && waiting_in_a.as_deref() == Some("2"),
        "the counter sees both tickets waiting: {said}"
    );
    let (ok, said) = run(&supervisor, &["journal", "verify"]);
    assert!(ok && said.contains("Jurnal utuh"), "{said}");
    // Backups of a server branch are the server's own.
    let target = tempfile::tempdir().expect("temp dir");
    let (ok, said) = run(
        &supervisor,
        &["backup", "--to", &target.path().display().to_string()],
    );
    assert!(!ok && said.contains("pg_dump"), "{said}");
}

#[test]
fn a_busy_year_moves_onto_the_server_once_with_equal_rows_and_its_journal_intact() {
    let year = crate::report::generator::year();
    let db = TestDb::new();
    let code: loket::server::BranchCode = db.code.parse().expect("a branch code");
    loket::server::init(&db.owner_url(), &code).expect("server init");
    let out = loket(year.path(), &["store", "migrate", "--to", &db.owner_url()]);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("jurnal utuh di server"), "{said}");

    // Counted again here, table by table, and the documents' hashes compared.
    let file = year.branch();
    let mut server = loket::store::Store::connect(
        &loket::store::ServerAddress::plain(&db.owner_url()),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect("connect as the owner");
    let count = |c: &loket::store::Connection, table: &str| -> i64 {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))
            .expect("count")
    };
    for table in [
        "tickets",
        "ticket_events",
        "sales",
        "sale_lines",
        "payments",
        "till_sessions",
        "till_movements",
        "z_reports",
        "serials",
        "stamp_jobs",
        "documents",
        "users",
    ] {
        assert_eq!(
            count(server.conn(), table),
            count(file.store().conn(), table),
            "{table}"
        );
    }
    assert_eq!(
        count(server.conn(), "journal"),
        count(file.store().conn(), "journal") + 1,
        "the move is journalled on the server"
    );
    let hashes = |c: &loket::store::Connection| -> Vec<String> {
        c.prepare("SELECT sha256 FROM documents ORDER BY sha256")
            .and_then(|mut s| s.query_map((), |r| r.get(0))?.collect())
            .expect("document hashes")
    };
    assert_eq!(hashes(server.conn()), hashes(file.store().conn()));
    let report = server
        .read(|c| loket::journal::verify(c, None))
        .expect("verify on the server");
    assert!(report.intact(), "{:?}", report.tamper);

    // The branch goes on on the server: a new ticket takes an id after the copied ones.
    let pc = crate::common::server_pc(&db.owner_url(), "", None);
    let out = loket(pc.path(), &["queue", "issue", "A"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A second move into a server that holds a branch is refused, and changes nothing.
    let before = count(server.conn(), "journal");
    let again = loket(year.path(), &["store", "migrate", "--to", &db.owner_url()]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(said.contains("sudah berisi data cabang"), "{said}");
    assert_eq!(count(server.conn(), "journal"), before);
}

#[test]
fn a_pc_whose_clock_is_off_the_servers_is_told_and_the_branch_keeps_the_servers_time() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let counter = urls[&format!("loket_{}_counter", db.code)].clone();
    let data = crate::common::server_pc(&counter, "", None);
    // This PC's own clock seven minutes fast (libfaketime under the loket process only; the
    // server keeps the machine's time).
    let lib = std::process::Command::new("sh")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/libfaketime-path"))
        .output()
        .expect("find libfaketime");
    assert!(
        lib.status.success(),
        "libfaketime is needed: apt-get install faketime"
    );
    let lib = String::from_utf8_lossy(&lib.stdout).trim().to_string();
    // Seven minutes on top of whatever offset this test process runs at (the year-ahead pass
    // runs it under libfaketime too, and the server with it).
    let parent = std::env::var("FAKETIME").unwrap_or_default();
    let parent_secs: i64 = parent
        .strip_prefix('+')
        .map(|rest| {
            let (n, unit) = rest.split_at(
                rest.find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len()),
            );
            let n: i64 = n.parse().unwrap_or(0);
            n * match unit {
                "d" => 86_400,
                "h" => 3_600,
                "m" => 60,
                _ => 1,
            }
        })
        .unwrap_or(0);
    let offset = format!("+{}", parent_secs + 7 * 60);
    let fast = |args: &[&str]| {
        std::process::Command::new(crate::common::loket_bin())
            .arg("--data")
            .arg(data.path())
            .args(args)
            .env("LD_PRELOAD", &lib)
            .env("FAKETIME", &offset)
            .env_remove(loket::clock::FAKE_NOW_VAR)
            .env_remove(loket::store::STORE_VAR)
            .output()
            .expect("run loket")
    };
    let out = fast(&["doctor", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the doctor's report");
    let database = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["check"] == "database"))
        .cloned()
        .expect("the database check");
    assert_eq!(database["ok"], false, "{database}");
    let detail = database["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("selisih 7 menit") || detail.contains("selisih 6 menit"),
        "{detail}"
    );
    // A ticket issued from that PC carries the server's time, not the PC's.
    let out = fast(&["queue", "issue", "A"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut owner = db.owner();
    let drift: f64 = owner
        .query_one(
            "SELECT CAST(abs(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 - arrived_ms) / 60000.0 \
             AS float8) FROM loket.tickets ORDER BY id DESC LIMIT 1",
            &[],
        )
        .expect("the ticket's time")
        .get::<_, f64>(0);
    assert!(
        drift < 1.0,
        "the ticket is {drift:.1} minutes off the server's clock"
    );
}

/// A branch server made in `db`, and the owner's store on it (on the test clock).
fn owner_store(db: &TestDb) -> loket::store::Store {
    let code: loket::server::BranchCode = db.code.parse().expect("a branch code");
    loket::server::init(&db.owner_url(), &code).expect("server init");
    let address = loket::store::ServerAddress::plain(&db.owner_url());
    loket::store::Store::connect(&address, clock(), loket::day::TimeZone::Wib).expect("connect")
}

/// A change through `store` that reads the WAL's insert position after its journal entry reached
/// the server; whether the server's flush position is past it once the change returned.
fn durable_change(store: &mut loket::store::Store, db: &TestDb, subject: &str) -> bool {
    let before: String = store
        .write(|tx| {
            tx.journal(loket::journal::Entry::new(
                "petugas",
                "test.durable",
                subject,
                serde_json::json!({}),
            ))?;
            // Read after the entry's row reached the server: the commit's record comes after.
            Ok::<_, loket::store::StoreError>(tx.query_row(
                "SELECT pg_current_wal_insert_lsn()::text",
                (),
                |r| r.get::<_, String>(0),
            )?)
        })
        .expect("a change");
    db.owner()
        .query_one(
            "SELECT pg_current_wal_flush_lsn() > $1::text::pg_lsn",
            &[&before],
        )
        .expect("the server's flush position")
        .get(0)
}

/// `count` changes through `store`, each on disk when it returns, each in the journal once.
fn changes_each_on_disk_once(store: &mut loket::store::Store, db: &TestDb, count: i64) {
    for n in 0..count {
        assert!(
            durable_change(store, db, &n.to_string()),
            "change {n} returned before its commit was on disk"
        );
    }
    let entries: i64 = db
        .owner()
        .query_one(
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'test.durable'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(entries, count, "each change landed once");
}

#[test]
fn a_state_change_on_the_server_returns_only_once_its_commit_is_on_disk() {
    // The change's commit does not wait for the disk while it holds the branch's lock; the store
    // waits for it after, before the change counts as done.
    let db = TestDb::new();
    let mut store = owner_store(&db);
    changes_each_on_disk_once(&mut store, &db, 10);
}

#[test]
fn a_server_that_revoked_the_wal_flush_message_still_gets_every_change_on_disk() {
    // A hardened server may take `pg_logical_emit_message` from PUBLIC: a counter's login then
    // commits the plain way, waiting for the disk under the lock, and never reports a committed
    // change as failed.
    let db = TestDb::new();
    let urls = initialised(&db);
    db.owner()
        .batch_execute(
            "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_logical_emit_message(boolean, text, text) FROM PUBLIC",
        )
        .expect("revoke");
    let address = loket::store::ServerAddress::plain(&urls[&format!("loket_{}_counter", db.code)]);
    let mut store = loket::store::Store::connect(&address, clock(), loket::day::TimeZone::Wib)
        .expect("connect");
    changes_each_on_disk_once(&mut store, &db, 5);
}

#[test]
fn a_state_change_that_meets_a_deadlock_on_the_server_runs_again_and_lands_once() {
    // The server breaks the deadlock on its own timer, which needs the machine's clock.
    crate::common::pg::on_the_real_clock();
    let db = TestDb::new();
    let mut store = owner_store(&db);
    store
        .write(|tx| {
            tx.journal(loket::journal::Entry::new(
                "teknisi",
                "test.first",
                "x",
                serde_json::json!({}),
            ))
        })
        .expect("a first entry, so the journal's head row exists");

    // A technician's session holds the journal's head row; the PC's change takes the branch lock,
    // then waits for that row; the session then asks for the branch lock: a deadlock, which the
    // server breaks by failing the change that waited longer.
    let mut technician = db.owner();
    let mut session = technician.transaction().expect("begin");
    session
        .execute("SELECT seq FROM loket.journal_head FOR UPDATE", &[])
        .expect("hold the head row");
    let runs = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|s| {
        let change = s.spawn(|| {
            store.write(|tx| {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tx.journal(loket::journal::Entry::new(
                    "petugas",
                    "test.change",
                    "x",
                    serde_json::json!({}),
                ))
            })
        });
        let mut watcher = db.owner();
        let started = std::time::Instant::now();
        loop {
            let waiting: i64 = watcher
                .query_one(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                     AND datname = current_database() AND pid <> pg_backend_pid()",
                    &[],
                )
                .expect("activity")
                .get(0);
            if waiting > 0 {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "the change never waited for the row"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        session
            .execute("SELECT pg_advisory_xact_lock(7305218655)", &[])
            .expect("the session gets the branch lock once the change gave way");
        session.commit().expect("commit");
        let landed = change.join().expect("the change's thread");
        assert!(landed.is_ok(), "{landed:?}");
    });
    assert_eq!(
        runs.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "run once, failed by the deadlock, run again"
    );
    let entries: i64 = db
        .owner()
        .query_one(
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'test.change'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(entries, 1, "the change landed once");
    let report = store
        .read(|c| loket::journal::verify(c, None))
        .expect("verify");
    assert!(report.intact(), "{:?}", report.tamper);
}

#[test]
fn a_journal_entry_with_quotes_backslashes_and_placeholders_lands_on_the_server_as_written() {
    let db = TestDb::new();
    let mut store = owner_store(&db);
    let subjects = [
        "O'Brien \\ surat ke-2",
        "'); DELETE FROM loket.journal; --",
        "$1 ?2 $$ \\x00 ' ''",
        "Dokumen “akta” — ümlaut 日本",
    ];
    for subject in subjects {
        // Two entries in one change: the second travels after the first. Chained by loket, then
        // by the server (a change that reads ahead of the branch's lock): one hash on both sides.
        let change = |tx: &mut loket::store::Tx<'_>| {
            tx.journal(loket::journal::Entry::new(
                "petugas ü",
                "test.quoted",
                subject,
                serde_json::json!({"name": subject}),
            ))?;
            tx.journal(loket::journal::Entry::new(
                "petugas",
                "test.quoted",
                subject,
                serde_json::json!({}),
            ))
        };
        store.write(change).expect("write");
        store
            .write_late(change)
            .expect("write, chained by the server");
    }
    let stored: Vec<String> = db
        .owner()
        .query(
            "SELECT subject FROM loket.journal WHERE kind = 'test.quoted' ORDER BY seq",
            &[],
        )
        .expect("read")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<String> = subjects
        .iter()
        .flat_map(|s| [s.to_string(), s.to_string(), s.to_string(), s.to_string()])
        .collect();
    assert_eq!(stored, expected);
    let report = store
        .read(|c| loket::journal::verify(c, None))
        .expect("verify");
    assert!(report.intact(), "{:?}", report.tamper);
    assert_eq!(report.entries, 16);
}

#[test]
fn the_display_role_reads_everything_the_hall_and_the_phone_pages_show() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let url = |kind: &str| urls[&format!("loket_{}_{kind}", db.code)].clone();
    let kiosk = crate::common::server_pc(&url("dispenser"), "", None);
    let out = loket(kiosk.path(), &["queue", "issue", "A"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // As `loket display --web` opens the branch: the queue's state for the hall page, a ticket's
    // place in line for its phone page.
    let display = crate::common::server_pc(&url("display"), "", None);
    let mut reader = loket::Branch::open_read_only(display.path()).expect("open as the display");
    let status = reader.queue().queue_status().expect("the hall's state");
    let waiting = status
        .services
        .iter()
        .find(|s| s.prefix == "A")
        .map(|s| s.waiting);
    assert_eq!(waiting, Some(1));
    let view = reader
        .queue()
        .ticket_info(&crate::common::no("A-001"))
        .expect("the phone page's view");
    assert_eq!(view.ahead, 0);
}

/// The schema's state the revisions change: the ticket indexes' definitions, `branch_code()`'s
/// volatility (revision 1), and the journal and check functions with their grants (revision 2),
/// as the catalog has them.
fn revisions_state(owner: &mut postgres::Client) -> (Vec<String>, String, Vec<String>) {
    let indexes = owner
        .query(
            "SELECT indexname::text || ': ' || indexdef FROM pg_indexes
             WHERE schemaname = 'loket' AND indexname IN ('tickets_held', 'tickets_open')
             ORDER BY 1",
            &[],
        )
        .expect("read the indexes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let volatility: String = owner
        .query_one(
            "SELECT provolatile::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'loket' AND p.proname = 'branch_code'",
            &[],
        )
        .expect("read branch_code()")
        .get(0);
    let functions = owner
        .query(
            "SELECT p.oid::regprocedure::text || ' ' || p.prosrc || ' ' || COALESCE(p.proacl::text, '')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'loket' AND p.proname IN ('guard', 'journal_append')
             ORDER BY 1",
            &[],
        )
        .expect("read the functions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    (indexes, volatility, functions)
}

#[test]
fn a_server_made_before_a_revision_is_brought_up_to_it_once_by_server_upgrade() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let mut owner = db.owner();
    let made_now = revisions_state(&mut owner);
    assert_eq!(made_now.1, "i", "a new server has the constant branch code");
    assert_eq!(
        made_now.2.len(),
        2,
        "a new server chains the journal itself"
    );
    // Back to how a server made before revision 1 looked: no record of revisions, the open
    // tickets' partial index, no index of held tickets, the branch code read per row; and no
    // journal chaining on the server, so every change takes the branch's lock first.
    owner
        .batch_execute(&format!(
            "SET ROLE loket_{code}_owner; SET search_path = loket;
             DROP TABLE server_revisions; DROP INDEX tickets_held; DROP INDEX tickets_open;
             CREATE INDEX tickets_open ON tickets (business_day)
                 WHERE status IN ('waiting', 'called', 'serving', 'parked');
             CREATE OR REPLACE FUNCTION branch_code() RETURNS text LANGUAGE sql STABLE
                 AS $$ SELECT code FROM loket.branch_server WHERE id = 1 $$;
             DROP FUNCTION journal_append(bigint, text, text, text, text, text);
             DROP FUNCTION guard(boolean);
             RESET ROLE; RESET search_path",
            code = db.code
        ))
        .expect("make the server as it was");
    let data = tempfile::tempdir().expect("temp dir");
    let pc = crate::common::server_pc(&urls[&format!("loket_{}_dispenser", db.code)], "", None);
    let issue = || {
        let out = loket(pc.path(), &["queue", "issue", "A"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    issue();

    let out = loket(data.path(), &["server", "upgrade", &db.owner_url()]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && said.contains("revisi 1") && said.contains("revisi 2"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        revisions_state(&mut owner),
        made_now,
        "the upgraded server is the one server init makes now"
    );
    let recorded: i64 = owner
        .query_one("SELECT COUNT(*) FROM loket.server_revisions", &[])
        .expect("count revisions")
        .get(0);
    assert_eq!(recorded, 2);

    // A second run changes nothing and says so; the PCs go on as before, rows with the code.
    let again = loket(data.path(), &["server", "upgrade", &db.owner_url()]);
    let said = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(
        again.status.success() && said.contains("sudah memakai skema terbaru"),
        "{said}"
    );
    issue();
    let rows: Vec<(i64, String)> = owner
        .query("SELECT number, branch FROM loket.tickets ORDER BY id", &[])
        .expect("read tickets")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(1, db.code.clone()), (2, db.code.clone())]);
    let supervisor =
        crate::common::server_pc(&urls[&format!("loket_{}_supervisor", db.code)], "", None);
    let report = loket(supervisor.path(), &["journal", "verify"]);
    assert!(
        String::from_utf8_lossy(&report.stdout).contains("Jurnal utuh"),
        "the chain spans the entry loket chained and the one the server chained: {}",
        String::from_utf8_lossy(&report.stderr)
    );
}

#[test]
fn server_upgrade_by_a_pcs_role_changes_nothing_and_says_whose_job_it_is() {
    let db = TestDb::new();
    let urls = initialised(&db);
    let data = tempfile::tempdir().expect("temp dir");
    let counter = &urls[&format!("loket_{}_counter", db.code)];
    let out = loket(data.path(), &["server", "upgrade", counter]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && said.contains("pemilik basis data"),
        "{said}"
    );
    let recorded: i64 = db
        .owner()
        .query_one("SELECT COUNT(*) FROM loket.server_revisions", &[])
        .expect("count revisions")
        .get(0);
    assert_eq!(
        recorded,
        i64::try_from(loket::server::upgrade::REVISIONS.len()).expect("a few"),
        "the revisions init recorded, and no more"
    );
}

#[test]
fn server_upgrade_refuses_a_database_without_loket() {
    let db = TestDb::new();
    let data = tempfile::tempdir().expect("temp dir");
    let out = loket(data.path(), &["server", "upgrade", &db.owner_url()]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && said.contains("loket server init"),
        "{said}"
    );
}

#[test]
fn a_pc_whose_role_password_was_changed_is_told_so_not_left_reconnecting() {
    use loket::store::{Refusal, ServerHealth};
    let db = TestDb::new();
    let urls = initialised(&db);
    let role = format!("loket_{}_counter", db.code);
    let url = urls[&role].clone();
    let mut store = loket::store::Store::connect(
        &loket::store::ServerAddress::plain(&url),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect("connect");
    assert!(
        matches!(store.server_health(), Some(ServerHealth::Reachable { .. })),
        "the PC is in"
    );
    // The technician rotates the counter role's password; the PC's session ends.
    let mut owner = db.owner();
    owner
        .batch_execute(&format!("ALTER ROLE {role} PASSWORD 'diganti-2026'"))
        .expect("rotate the password");
    owner
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
            &[&role],
        )
        .expect("end the PC's session");
    // The first look finds the session gone; the next connects again and is turned away.
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(store.server_health());
    }
    assert_eq!(
        seen.last().copied().flatten(),
        Some(ServerHealth::Refused(Refusal::Login)),
        "{seen:?}"
    );
    assert!(
        !seen.contains(&Some(ServerHealth::Refused(Refusal::Certificate))),
        "{seen:?}"
    );
    // A change tried meanwhile is refused with the same next step, not "check the cable".
    let refused = store
        .read(|c| {
            c.query_row("SELECT 1", (), |r| r.get::<_, i64>(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect_err("the login is refused");
    let said = refused.to_string();
    assert!(
        said.contains("[store]") && !said.contains("kabel"),
        "{said}"
    );
}

/// A technician's session holding the lock that orders the journal (as a long change would)
/// while `changes` start one after another, each once the one before waits for a lock; then it
/// lets go. What each change waited for, in order (`advisory`: one of the branch's locks;
/// `transactionid`: a row another change wrote and has not committed). A change that runs alone
/// waits for the branch's locks at once; one that reads ahead of them has read before it waits,
/// and one that writes beside other such changes has written up to its journal entry.
fn line_up_behind_the_branch_lock(
    db: &TestDb,
    changes: Vec<Box<dyn FnOnce() + Send + '_>>,
) -> Vec<String> {
    let mut technician = db.owner();
    let mut session = technician.transaction().expect("begin");
    session
        .execute("SELECT pg_advisory_xact_lock(7305218655)", &[])
        .expect("hold the branch's lock");
    let mut watcher = db.owner();
    let mut waits: Vec<(i32, String)> = Vec::new();
    std::thread::scope(|s| {
        let mut running = Vec::new();
        for (n, change) in changes.into_iter().enumerate() {
            running.push(s.spawn(change));
            let started = std::time::Instant::now();
            loop {
                let waiting: Vec<(i32, String)> = watcher
                    .query(
                        "SELECT pid, wait_event FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                         AND datname = current_database() AND pid <> pg_backend_pid()",
                        &[],
                    )
                    .expect("the server's waits")
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect();
                if waiting.len() == n + 1 {
                    let new: Vec<(i32, String)> = waiting
                        .into_iter()
                        .filter(|(pid, _)| waits.iter().all(|(seen, _)| seen != pid))
                        .collect();
                    waits.extend(new);
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(30)
                        && running.iter().all(|r| !r.is_finished()),
                    "change {n} never waited for a lock"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        session.commit().expect("let go of the lock");
        for r in running {
            r.join().expect("a change's thread");
        }
    });
    waits.into_iter().map(|(_, what)| what).collect()
}

/// A PC of `kind` on the branch server `made` in `db`, on the test clock.
fn pc_of(
    made: &loket::server::Initialised,
    kind: loket::server::PcKind,
) -> (tempfile::TempDir, loket::Branch) {
    pc_at(made, kind, clock())
}

/// A PC of `kind` on the branch server `made` in `db`, on `clock`.
fn pc_at(
    made: &loket::server::Initialised,
    kind: loket::server::PcKind,
    clock: std::sync::Arc<dyn loket::clock::Clock>,
) -> (tempfile::TempDir, loket::Branch) {
    let url = made
        .logins
        .iter()
        .find(|l| l.kind == kind)
        .map(|l| l.url.clone())
        .expect("a login of the kind");
    let data = crate::common::server_pc(&url, "", None);
    let branch = loket::Branch::open_with_clock(data.path(), clock).expect("open the PC");
    (data, branch)
}

fn made(db: &TestDb) -> loket::server::Initialised {
    let code: loket::server::BranchCode = db.code.parse().expect("a branch code");
    loket::server::init(&db.owner_url(), &code).expect("server init")
}

fn verified(db: &TestDb) {
    let mut store = loket::store::Store::connect(
        &loket::store::ServerAddress::plain(&db.owner_url()),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect("connect");
    let report = store
        .read(|c| loket::journal::verify(c, None))
        .expect("verify");
    assert!(report.intact(), "{:?}", report.tamper);
}

#[test]
fn a_kiosk_whose_read_number_another_pc_drew_meanwhile_issues_the_next_one() {
    use loket::server::PcKind;
    let db = TestDb::new();
    let made = made(&db);
    let (_k, mut kiosk) = pc_of(&made, PcKind::Dispenser);
    let (_c, mut counter) = pc_of(&made, PcKind::Counter);
    // Each PC's first change of the day also closes what earlier days left open.
    kiosk
        .queue()
        .issue_ticket("A", false, "kios")
        .expect("issue");
    let walk_in = counter
        .queue()
        .walk_in(loket::queue::CounterNo(1), "petugas", "A")
        .expect("a walk-in");
    counter
        .queue()
        .counter_step(
            loket::queue::CounterNo(1),
            "petugas",
            loket::queue::Step::Done,
        )
        .expect("done");
    assert_eq!(walk_in.ticket.to_string(), "A-002");
    // The counter's walk-in waits for the branch's lock first; the kiosk then reads A-002 as the
    // last number and waits behind it; the walk-in draws A-003.
    let (walked, issued) = (std::sync::Mutex::new(None), std::sync::Mutex::new(None));
    line_up_behind_the_branch_lock(
        &db,
        vec![
            Box::new(|| {
                let view = counter
                    .queue()
                    .walk_in(loket::queue::CounterNo(1), "petugas", "A");
                *walked.lock().expect("lock") = Some(view.map(|v| v.ticket.to_string()));
            }),
            Box::new(|| {
                let view = kiosk.queue().issue_ticket("A", false, "kios");
                *issued.lock().expect("lock") = Some(view.map(|v| v.ticket.to_string()));
            }),
        ],
    );
    let walked = walked
        .into_inner()
        .expect("lock")
        .expect("ran")
        .expect("the walk-in");
    let issued = issued
        .into_inner()
        .expect("lock")
        .expect("ran")
        .expect("the issue");
    assert_eq!(
        (walked.as_str(), issued.as_str()),
        ("A-003", "A-004"),
        "the kiosk read A-002 as the last number, then issued after the walk-in"
    );
    let numbers: Vec<i64> = db
        .owner()
        .query("SELECT number FROM loket.tickets ORDER BY number", &[])
        .expect("tickets")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4], "no gap, no number twice");
    verified(&db);
}

#[test]
fn a_counter_whose_head_of_the_line_another_counter_called_meanwhile_calls_the_next() {
    use loket::queue::{CounterNo, Step};
    use loket::server::PcKind;
    let db = TestDb::new();
    let made = made(&db);
    let (_one, mut one) = pc_of(&made, PcKind::Counter);
    let (_two, mut two) = pc_of(&made, PcKind::Counter);
    for _ in 0..4 {
        one.queue().issue_ticket("A", false, "kios").expect("issue");
    }
    // Each counter's first call of the day, served and finished, so both start free.
    for (counter, pc) in [(1, &mut one), (2, &mut two)] {
        pc.queue()
            .call_next(CounterNo(counter), "petugas")
            .expect("call")
            .expect("a customer");
        for step in [Step::Serve, Step::Done] {
            pc.queue()
                .counter_step(CounterNo(counter), "petugas", step)
                .expect("step");
        }
    }
    // Counter 1 picks A-003 by hand and waits for the branch's lock; counter 2 then reads A-003
    // at the head of the line and waits behind it.
    let (picked, next) = (std::sync::Mutex::new(None), std::sync::Mutex::new(None));
    line_up_behind_the_branch_lock(
        &db,
        vec![
            Box::new(|| {
                let view =
                    one.queue()
                        .call_ticket(CounterNo(1), "petugas", &crate::common::no("A-003"));
                *picked.lock().expect("lock") = Some(view.map(|v| v.ticket.to_string()));
            }),
            Box::new(|| {
                let view = two.queue().call_next(CounterNo(2), "petugas");
                *next.lock().expect("lock") = Some(view.map(|v| v.map(|v| v.ticket.to_string())));
            }),
        ],
    );
    let picked = picked
        .into_inner()
        .expect("lock")
        .expect("ran")
        .expect("call A-003");
    let next = next
        .into_inner()
        .expect("lock")
        .expect("ran")
        .expect("call next");
    assert_eq!(picked, "A-003");
    assert_eq!(
        next.as_deref(),
        Some("A-004"),
        "counter 2 read A-003 at the head, then called after counter 1 took it"
    );
    let called: Vec<(i64, i64)> = db
        .owner()
        .query(
            "SELECT number, counter FROM loket.tickets WHERE status = 'called' ORDER BY number",
            &[],
        )
        .expect("tickets")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        called,
        [(3, 1), (4, 2)],
        "each ticket called to one counter"
    );
    verified(&db);
}

#[test]
fn a_step_on_a_ticket_another_pc_finished_meanwhile_is_refused_not_undone() {
    use loket::queue::{CounterNo, QueueError, Step};
    use loket::server::PcKind;
    let db = TestDb::new();
    let made = made(&db);
    // The clerk of counter 1 called A-001 on one PC, then finished it on another (a second
    // terminal of the same desk); the first PC still remembers A-001 as the counter's.
    let (_a, mut first) = pc_of(&made, PcKind::Counter);
    let (_b, mut second) = pc_of(&made, PcKind::Counter);
    first
        .queue()
        .issue_ticket("A", false, "kios")
        .expect("issue");
    first
        .queue()
        .call_next(CounterNo(1), "petugas")
        .expect("call")
        .expect("a customer");
    for step in [Step::Serve, Step::Done] {
        second
            .queue()
            .counter_step(CounterNo(1), "petugas", step)
            .expect("served and finished on the second PC");
    }
    let refused = first
        .queue()
        .counter_step(CounterNo(1), "petugas", Step::Serve)
        .expect_err("nothing left to serve");
    assert!(
        matches!(refused, QueueError::CounterIdle { counter: 1 }),
        "{refused:?}"
    );
    let status: String = db
        .owner()
        .query_one("SELECT status FROM loket.tickets WHERE number = 1", &[])
        .expect("the ticket")
        .get(0);
    assert_eq!(status, "done", "the finished visit stays finished");
    verified(&db);
}

#[test]
fn two_pcs_closing_the_same_earlier_days_ticket_at_once_close_it_once() {
    use loket::server::PcKind;
    let db = TestDb::new();
    let made = made(&db);
    // A ticket of the day before, never called.
    let (_y, mut yesterday) = pc_of(&made, PcKind::Dispenser);
    yesterday
        .queue()
        .issue_ticket("A", false, "kios")
        .expect("issue");
    let next_morning = || -> std::sync::Arc<dyn loket::clock::Clock> {
        std::sync::Arc::new(loket::clock::ManualClock::new(
            crate::common::MORNING + time::Duration::days(1),
        ))
    };
    // The next morning the kiosk hands out the day's first ticket. Its login may not read the
    // stamping jobs that keep a visit open, so it leaves yesterday's ticket to the counters.
    let (_k, mut kiosk) = pc_at(&made, PcKind::Dispenser, next_morning());
    let first = kiosk
        .queue()
        .issue_ticket("A", false, "kios")
        .expect("the kiosk issues the morning after a day that left a ticket open");
    assert_eq!(first.ticket.to_string(), "A-001");
    let mut owner = db.owner();
    let yesterdays = |owner: &mut postgres::Client| -> String {
        owner
            .query_one(
                "SELECT status FROM loket.tickets WHERE business_day = '2026-11-23'",
                &[],
            )
            .expect("yesterday's ticket")
            .get(0)
    };
    assert_eq!(yesterdays(&mut owner), "waiting");
    // Two counters then issue at once, each its PC's first change of the day, so each closes what
    // the day before left open. The first writes the ticket closed and waits to append its journal
    // entry; the second, writing beside it (another service's line), reaches the same ticket and
    // waits for the first's commit, then finds it closed and runs again.
    let (_a, mut counter_a) = pc_at(&made, PcKind::Counter, next_morning());
    let (_b, mut counter_b) = pc_at(&made, PcKind::Counter, next_morning());
    let (issued_a, issued_b) = (std::sync::Mutex::new(None), std::sync::Mutex::new(None));
    let waits = line_up_behind_the_branch_lock(
        &db,
        vec![
            Box::new(|| {
                let view = counter_a.queue().issue_ticket("A", false, "petugas");
                *issued_a.lock().expect("lock") = Some(view.map(|v| v.ticket.to_string()));
            }),
            Box::new(|| {
                let view = counter_b.queue().issue_ticket("B", false, "petugas");
                *issued_b.lock().expect("lock") = Some(view.map(|v| v.ticket.to_string()));
            }),
        ],
    );
    assert_eq!(
        waits,
        ["advisory", "transactionid"],
        "the second counter wrote beside the first up to the ticket the first holds"
    );
    let issued = |m: std::sync::Mutex<Option<Result<String, loket::queue::QueueError>>>| {
        m.into_inner()
            .expect("lock")
            .expect("ran")
            .expect("the issue")
    };
    assert_eq!(
        (issued(issued_a).as_str(), issued(issued_b).as_str()),
        ("A-002", "B-001")
    );
    let count = |owner: &mut postgres::Client, sql: &str| -> i64 {
        owner.query_one(sql, &[]).expect("count").get(0)
    };
    assert_eq!(
        count(
            &mut owner,
            "SELECT COUNT(*) FROM loket.ticket_events WHERE kind = 'expired'"
        ),
        1,
        "the ticket is closed once"
    );
    assert_eq!(
        count(
            &mut owner,
            "SELECT COUNT(*) FROM loket.journal WHERE kind = 'ticket.expired'"
        ),
        1,
        "and journalled once"
    );
    assert_eq!(yesterdays(&mut owner), "expired");
    verified(&db);
}
