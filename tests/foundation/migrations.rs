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
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
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
        assert_eq!(m.version, i as i64 + 1, "migration '{}'", m.name);
    }
    assert_eq!(LATEST_VERSION, MIGRATIONS.len() as i64);
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
                    [],
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
                .query_row("SELECT COUNT(*) FROM users WHERE id = 'lama'", [], |r| {
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
        .pragma_update(None, "user_version", LATEST_VERSION + 1)
        .expect("bump");
    drop(store);
    let clock = Arc::new(ManualClock::new(crate::common::MORNING));
    let err = Store::open(&path, clock, TimeZone::Wib).expect_err("refused");
    assert!(err.to_string().contains("update loket"), "{err}");
}
