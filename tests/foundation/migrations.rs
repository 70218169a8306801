//! Migrations from an empty database and from every earlier schema version end in the same schema,
//! keeping the data written under the older one.

use loket::clock::ManualClock;
use loket::day::TimeZone;
use loket::store::{LATEST_VERSION, MIGRATIONS, Store};
use std::sync::Arc;

fn schema(store: &Store) -> Vec<(String, String, String)> {
    let mut stmt = store
        .conn()
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .expect("prepare");
    let rows = stmt
        .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query");
    rows.collect::<Result<Vec<_>, _>>().expect("rows")
}

fn open(path: &std::path::Path, version: i64) -> Store {
    let clock = Arc::new(ManualClock::new(crate::common::MORNING));
    Store::open_at_version(path, clock, TimeZone::Wib, version).expect("open")
}

#[test]
fn versions_are_consecutive_from_one() {
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert_eq!(
            m.version,
            i64::try_from(i).expect("a few migrations") + 1,
            "migration '{}'",
            m.name
        );
    }
    assert_eq!(
        LATEST_VERSION,
        i64::try_from(MIGRATIONS.len()).expect("a few migrations")
    );
}

#[test]
fn from_empty_and_from_every_earlier_version() {
    let dir = tempfile::tempdir().expect("tmp");
    let fresh = open(&dir.path().join("fresh.db"), LATEST_VERSION);
    assert_eq!(fresh.version().expect("version"), LATEST_VERSION);
    let expected = schema(&fresh);
    assert!(expected.iter().any(|(_, name, _)| name == "journal"));

    for from in 0..LATEST_VERSION {
        let path = dir.path().join(format!("from-{from}.db"));
        let old = open(&path, from);
        assert_eq!(old.version().expect("version"), from);
        // Something written under the old schema must survive the upgrade.
        let marker = if from >= 1 {
            old.conn()
                .execute(
                    "INSERT INTO users (id, name, role, pin_hash, created_ms) VALUES ('lama', 'Lama', 'clerk', 'x', 0)",
                    (),
                )
                .expect("insert under old schema");
            true
        } else {
            false
        };
        drop(old);
        let upgraded = open(&path, LATEST_VERSION);
        assert_eq!(
            upgraded.version().expect("version"),
            LATEST_VERSION,
            "from version {from}"
        );
        assert_eq!(
            schema(&upgraded),
            expected,
            "schema after migrating from version {from}"
        );
        if marker {
            let n: i64 = upgraded
                .conn()
                .query_row("SELECT COUNT(*) FROM users WHERE id = 'lama'", (), |r| {
                    r.get(0)
                })
                .expect("count");
            assert_eq!(n, 1, "data from version {from} kept");
        }
    }
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("new.db");
    let store = open(&path, LATEST_VERSION);
    store
        .conn()
        .execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
        .expect("bump");
    drop(store);
    let clock = Arc::new(ManualClock::new(crate::common::MORNING));
    let err = Store::open(&path, clock, TimeZone::Wib).expect_err("refused");
    assert!(err.to_string().contains("perbarui loket"), "{err}");
}

#[test]
fn job_columns_written_as_text_become_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v12.db");
    let old = open(&path, 12);
    // As loket up to schema 12 wrote them: the job's number as text, or nothing; an empty string
    // stands for text that names no job.
    for (id, job) in [
        (1, Some("7")),
        (2, None),
        (3, Some("")),
        (4, Some("123456789012")),
    ] {
        old.conn()
            .execute(
                "INSERT INTO outbox (id, message_id, created_ms, created_by, env_from, env_to, subject,
                    documents, job, message, bytes, status, next_attempt_ms, channel, wa_message_id)
                 VALUES (?1, ?2, 0, 'petugas', 'loket@contoh.test', 'budi@contoh.test', 'Dokumen',
                    '[]', ?3, x'00', 1, 'sent', 0, ?4, ?5)",
                loket::params![
                    id,
                    format!("<{id}@loket>"),
                    job,
                    if id == 4 { "whatsapp" } else { "mail" },
                    (id == 4).then_some("wamid.4"),
                ],
            )
            .expect("outbox row under schema 12");
        old.conn()
            .execute(
                "INSERT INTO drive_copies (id, at_ms, actor, job, source, sha256, bytes, target)
                 VALUES (?1, 0, 'petugas', ?2, '/data/a.pdf', 'ab', 1, '/media/usb/a.pdf')",
                loket::params![id, job],
            )
            .expect("drive copy under schema 12");
    }
    let typed_before: String = old
        .conn()
        .query_row("SELECT typeof(job) FROM outbox WHERE id = 1", (), |r| {
            r.get(0)
        })
        .expect("type");
    assert_eq!(typed_before, "text");
    drop(old);

    let upgraded = open(&path, LATEST_VERSION);
    for table in ["outbox", "drive_copies"] {
        let mut stmt = upgraded
            .conn()
            .prepare(&format!(
                "SELECT id, job, typeof(job) FROM {table} ORDER BY id"
            ))
            .expect("prepare");
        let rows = stmt
            .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<Vec<(i64, Option<i64>, String)>, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            vec![
                (1, Some(7), "integer".to_string()),
                (2, None, "null".to_string()),
                (3, None, "null".to_string()),
                (4, Some(123_456_789_012), "integer".to_string()),
            ],
            "{table} after the upgrade"
        );
    }
    // The rest of each row came along, and the outbox's indexes are back.
    let kept: (String, String, String) = upgraded
        .conn()
        .query_row(
            "SELECT message_id, channel, wa_message_id FROM outbox WHERE id = 4",
            (),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row 4");
    assert_eq!(
        kept,
        (
            "<4@loket>".to_string(),
            "whatsapp".to_string(),
            "wamid.4".to_string()
        )
    );
    let target: String = upgraded
        .conn()
        .query_row("SELECT target FROM drive_copies WHERE id = 2", (), |r| {
            r.get(0)
        })
        .expect("copy 2");
    assert_eq!(target, "/media/usb/a.pdf");
    let indexes: Vec<String> = upgraded
        .conn()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL ORDER BY name")
        .expect("prepare")
        .query_map((), |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    assert_eq!(indexes, ["outbox_by_wamid", "outbox_due"]);
    // Typed values go in and come out as numbers.
    let job: Option<loket::stamping::JobId> = upgraded
        .conn()
        .query_row("SELECT job FROM outbox WHERE id = 1", (), |r| r.get(0))
        .expect("typed read");
    assert_eq!(job, Some(loket::stamping::JobId(7)));
}
