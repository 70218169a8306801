//! `loket backup` and `loket restore` on real files: a backup taken while four processes work the
//! queue and a job is stamped restores to the backup's own tables with an intact journal; a damaged
//! backup, a full target and a non-empty target are refused; the worker keeps `keep` daily backups.

use crate::common::{TestBranch, loket_at, loket_bin};
use crate::stamping::support::{letter, paid_job};
use loket::stamping::{State, ledger, worker};
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs `loket backup --to DIR --json` on the test's clock.
fn backup(t: &TestBranch, to: &Path) -> Output {
    t.cli(&["backup", "--to", &to.display().to_string(), "--json"])
}

/// A backup that must succeed cleanly; its JSON report.
fn backup_ok(t: &TestBranch, to: &Path) -> Value {
    let out = backup(t, to);
    assert!(
        out.status.success(),
        "backup failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("backup JSON")
}

fn restore(t: &TestBranch, from: &Path, into: &Path) -> Output {
    loket_at(
        t.path(),
        &t.fake_now(),
        &[
            "restore",
            &from.display().to_string(),
            "--into",
            &into.display().to_string(),
            "--json",
        ],
    )
}

fn folder_of(report: &Value) -> PathBuf {
    PathBuf::from(report["folder"].as_str().expect("folder"))
}

fn open_ro(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open database")
}

/// Per table: row count and a SHA-256 over every value of every row in rowid order. `journal` is
/// cut at `journal_upto` when given (a restore appends its own entry after the backup's head).
fn tables(c: &Connection, journal_upto: Option<i64>) -> BTreeMap<String, (i64, String)> {
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("tables")
        .query_map((), |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("tables");
    let mut out = BTreeMap::new();
    for name in names {
        if name == "journal_head" && journal_upto.is_some() {
            continue;
        }
        let filter = match (name.as_str(), journal_upto) {
            ("journal", Some(seq)) => format!(" WHERE seq <= {seq}"),
            _ => String::new(),
        };
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{name}\"{filter} ORDER BY rowid"))
            .expect("select");
        let columns = stmt.column_count();
        let mut rows = stmt.query(()).expect("rows");
        let (mut n, mut h) = (0i64, Sha256::new());
        while let Some(row) = rows.next().expect("row") {
            n += 1;
            for i in 0..columns {
                match row.get_ref(i).expect("value") {
                    ValueRef::Null => h.update(b"n"),
                    ValueRef::Integer(v) => {
                        h.update(b"i");
                        h.update(v.to_be_bytes());
                    }
                    ValueRef::Real(v) => {
                        h.update(b"r");
                        h.update(v.to_be_bytes());
                    }
                    ValueRef::Text(v) | ValueRef::Blob(v) => {
                        h.update(b"t");
                        h.update((v.len() as u64).to_be_bytes());
                        h.update(v);
                    }
                }
            }
        }
        out.insert(name, (n, hex::encode(h.finalize())));
    }
    out
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, (), |r| r.get(0)).expect(sql)
}

/// Every file of the document store holds what its SHA-256 name says; how many there are.
fn documents_match_their_names(data: &Path) -> usize {
    let mut n = 0;
    let Ok(fans) = std::fs::read_dir(data.join("documents")) else {
        return 0;
    };
    for fan in fans {
        let fan = fan.expect("fan").path();
        for file in std::fs::read_dir(&fan).expect("fan folder") {
            let path = file.expect("file").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let expected = format!(
                "{}{}",
                fan.file_name().expect("fan name").to_string_lossy(),
                name.strip_suffix(".pdf").expect("a .pdf name")
            );
            let bytes = std::fs::read(&path).expect("read document");
            assert_eq!(sha256_hex(&bytes), expected, "{}", path.display());
            n += 1;
        }
    }
    n
}

fn load_lot(t: &mut TestBranch, count: u32) {
    t.branch
        .store_mut()
        .write(|tx| ledger::load_lot(tx, "kepala", "LOT-A", count, 0))
        .expect("lot");
}

/// Flips one bit of the byte at `at` (from the end when negative).
fn flip(path: &Path, at: i64) {
    let mut bytes = std::fs::read(path).expect("read");
    let i = if at < 0 {
        bytes.len() - usize::try_from(at.unsigned_abs()).expect("an offset in the file")
    } else {
        usize::try_from(at).expect("an offset in the file")
    };
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).expect("write");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_backup_under_load_restores_to_the_backup_s_own_tables_with_an_intact_journal() {
    let mut t = TestBranch::new();
    load_lot(&mut t, 20);
    // Something to back up already: a stamped job (its letter and output in the store).
    let first = paid_job(&mut t.branch, 1);
    assert_eq!(
        t.branch
            .stamping()
            .run_job(first.id, &mut |_| {})
            .expect("run")
            .state,
        State::Stamped
    );
    let target = tempfile::tempdir().expect("target");
    let now = t.fake_now();
    let spawn = |args: Vec<String>| {
        Command::new(loket_bin())
            .arg("--data")
            .arg(t.path())
            .args(["dev", "stress"])
            .args(args)
            .env(loket::clock::FAKE_NOW_VAR, &now)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn loket dev stress")
    };
    const PER_ISSUER: u32 = 600;
    let mut load = Vec::new();
    for seed in 1..=2 {
        load.push(spawn(vec![
            "--role".into(),
            "issue".into(),
            "--count".into(),
            PER_ISSUER.to_string(),
            "--seed".into(),
            seed.to_string(),
        ]));
    }
    for counter in 1..=2 {
        load.push(spawn(vec![
            "--role".into(),
            "call".into(),
            "--counter".into(),
            counter.to_string(),
            "--until-total".into(),
            (2 * PER_ISSUER).to_string(),
        ]));
    }
    let tickets = |b: &mut loket::Branch| -> i64 {
        b.store_mut()
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM tickets", (), |r| r.get(0))
                    .map_err(loket::store::StoreError::from)
            })
            .expect("count tickets")
    };
    let mut watcher = t.reopen();
    let started = Instant::now();
    while tickets(&mut watcher) < 100 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load never got going"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // A stamping job runs beside the queue load and the backup (local provider).
    let mut stamper = t.reopen();
    let (report, stamped) = std::thread::scope(|s| {
        let job = s.spawn(move || {
            let mut ids = Vec::new();
            for n in 2..=4 {
                let v = paid_job(&mut stamper, n);
                let after = stamper
                    .stamping()
                    .run_job(v.id, &mut |_| {})
                    .expect("run job");
                assert_eq!(after.state, State::Stamped, "{}", after.message);
                ids.push(v.id);
            }
            ids
        });
        let report = backup_ok(&t, target.path());
        (report, job.join().expect("stamping thread"))
    });
    let issued_after_backup = tickets(&mut watcher);
    for w in load {
        let out = w.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "load process failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(stamped.len(), 3);

    let folder = folder_of(&report);
    assert!(
        folder
            .file_name()
            .expect("name")
            .to_string_lossy()
            .starts_with("loket-backup-20261123-"),
        "{}",
        folder.display()
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("MANIFEST.json")).expect("manifest"))
            .expect("manifest JSON");
    let head_seq = manifest["journal_head"]["seq"].as_i64().expect("head seq");
    let head_hash = manifest["journal_head"]["hash"]
        .as_str()
        .expect("head hash");
    assert_eq!(manifest["branch_code"], report["branch_code"]);
    assert!(manifest["schema_version"].as_i64().expect("schema") >= 1);
    // The manifest vouches for every file in the folder, and each matches.
    let mut listed = 0;
    for f in manifest["files"].as_array().expect("files") {
        let path = folder.join(f["path"].as_str().expect("path"));
        let bytes = std::fs::read(&path).expect("listed file");
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().expect("bytes"));
        assert_eq!(sha256_hex(&bytes), f["sha256"].as_str().expect("sha"));
        listed += 1;
    }
    assert_eq!(
        listed,
        usize::try_from(report["files"].as_u64().expect("files")).expect("a file count")
    );

    let backup_db = open_ro(&folder.join("loket.db"));
    let source = open_ro(&t.path().join("loket.db"));
    // Taken under load: some tickets were in before the snapshot, more came after it.
    let backed_up_tickets = count(&backup_db, "SELECT COUNT(*) FROM tickets");
    assert!(backed_up_tickets >= 100, "{backed_up_tickets}");
    assert!(
        backed_up_tickets < count(&source, "SELECT COUNT(*) FROM tickets"),
        "the load went on after the snapshot"
    );
    assert!(issued_after_backup <= i64::from(2 * PER_ISSUER));
    // The snapshot is one moment of the source: its journal is exactly the source's first
    // `head_seq` entries, and its head is the one the manifest names.
    assert_eq!(count(&backup_db, "SELECT MAX(seq) FROM journal"), head_seq);
    let source_hash: String = source
        .query_row("SELECT hash FROM journal WHERE seq = ?1", [head_seq], |r| {
            r.get(0)
        })
        .expect("head in source");
    assert_eq!(source_hash, head_hash);
    assert_eq!(
        tables(&backup_db, Some(head_seq))["journal"],
        tables(&source, Some(head_seq))["journal"],
        "the backup's journal is a prefix of the source's"
    );

    // Restore into a new folder: the same tables as the backup, journal intact, documents whole.
    let parent = tempfile::tempdir().expect("parent");
    let new = parent.path().join("cabang-baru");
    let out = restore(&t, &folder, &new);
    assert!(out.status.success(), "restore failed: {}", stderr(&out));
    let restored: Value = serde_json::from_slice(&out.stdout).expect("restore JSON");
    assert_eq!(restored["journal_intact"], true);
    assert_eq!(
        restored["tickets"].as_i64(),
        Some(backed_up_tickets),
        "{restored}"
    );
    assert_eq!(
        restored["stamp_jobs"].as_i64(),
        Some(count(&backup_db, "SELECT COUNT(*) FROM stamp_jobs"))
    );
    assert_eq!(
        restored["sales"].as_i64(),
        Some(count(&backup_db, "SELECT COUNT(*) FROM sales"))
    );
    let restored_db = Connection::open(new.join("loket.db")).expect("open restored");
    assert_eq!(
        tables(&restored_db, Some(head_seq)),
        tables(&backup_db, Some(head_seq)),
        "every table of the restore equals the backup's"
    );
    let (last_seq, last_kind): (i64, String) = restored_db
        .query_row(
            "SELECT seq, kind FROM journal ORDER BY seq DESC LIMIT 1",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("last entry");
    assert_eq!(
        (last_seq, last_kind.as_str()),
        (head_seq + 1, "backup.restored"),
        "the restore is the one entry after the backup's head"
    );
    drop(restored_db);
    let verify = loket_at(&new, &t.fake_now(), &["journal", "verify"]);
    assert!(
        verify.status.success(),
        "journal verify of the restore: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        stderr(&verify)
    );
    let documents = documents_match_their_names(&new);
    assert!(documents >= 2, "the first job's letter and output at least");
    assert_eq!(
        restored["documents"].as_u64(),
        Some(documents as u64),
        "{restored}"
    );
    assert_eq!(documents, documents_match_their_names(&folder));
    for f in ["loket.toml", "pki"] {
        assert!(new.join(f).exists(), "{f} restored");
    }
    // The source's own journal records the backup.
    let completed: String = source
        .query_row(
            "SELECT detail FROM journal WHERE kind = 'backup.completed'",
            (),
            |r| r.get(0),
        )
        .expect("backup.completed entry");
    let detail: Value = serde_json::from_str(&completed).expect("detail");
    assert_eq!(
        detail["folder"].as_str(),
        Some(folder.to_str().expect("utf-8"))
    );
    assert_eq!(detail["files"], report["files"]);
    assert_eq!(detail["bytes"], report["bytes"]);
    // `--json` writes the moment as ISO 8601 in the branch's zone; the journal keeps milliseconds.
    let at_ms = detail["at_ms"].as_i64().expect("journal at_ms");
    assert_eq!(
        report["at"].as_str(),
        Some(
            loket::when::When::ms(at_ms, loket::day::TimeZone::Wib)
                .iso()
                .as_str()
        )
    );
    assert!(report.get("at_ms").is_none(), "{report}");
}

#[test]
fn a_flipped_byte_in_a_backed_up_document_or_database_refuses_the_restore_naming_the_file() {
    let mut t = TestBranch::new();
    load_lot(&mut t, 2);
    let job = paid_job(&mut t.branch, 7);
    t.branch
        .stamping()
        .run_job(job.id, &mut |_| {})
        .expect("run");
    let target = tempfile::tempdir().expect("target");
    let folder = folder_of(&backup_ok(&t, target.path()));
    let document = std::fs::read_dir(folder.join("documents"))
        .expect("documents")
        .flat_map(|fan| std::fs::read_dir(fan.expect("fan").path()).expect("fan folder"))
        .map(|f| f.expect("file").path())
        .next()
        .expect("a backed-up document");
    let rel = document
        .strip_prefix(&folder)
        .expect("inside")
        .to_string_lossy()
        .into_owned();
    let parent = tempfile::tempdir().expect("parent");
    let new = parent.path().join("baru");

    for (file, at) in [(rel.as_str(), -10), ("loket.db", 5000)] {
        let path = folder.join(file);
        flip(&path, at);
        let out = restore(&t, &folder, &new);
        assert!(!out.status.success(), "a damaged {file} was restored");
        let err = stderr(&out);
        assert!(err.contains(file), "names {file}: {err}");
        assert!(err.contains("rusak"), "{err}");
        assert!(!new.exists(), "nothing restored");
        assert_eq!(
            std::fs::read_dir(parent.path()).expect("list").count(),
            0,
            "no temporary folder left beside the target"
        );
        flip(&path, at);
    }
    // Undamaged again, it restores.
    let out = restore(&t, &folder, &new);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_store_document_that_no_longer_matches_its_name_is_reported_not_backed_up_as_good() {
    let mut t = TestBranch::new();
    paid_job(&mut t.branch, 3);
    let sha = sha256_hex(&letter(3));
    let rel = format!("documents/{}/{}.pdf", &sha[..2], &sha[2..]);
    let stored = t.path().join(&rel);
    assert!(stored.is_file(), "the letter is stored as {rel}");
    flip(&stored, -20);
    let target = tempfile::tempdir().expect("target");
    let out = backup(&t, target.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        report["damaged_documents"][0]["path"].as_str(),
        Some(rel.as_str())
    );
    let folder = folder_of(&report);
    assert!(!folder.join(&rel).exists(), "not copied as if it were good");
    let manifest = std::fs::read_to_string(folder.join("MANIFEST.json")).expect("manifest");
    assert!(manifest.contains("damaged_documents") && manifest.contains(&rel));
    // The text form says so in a sentence.
    let text = t.cli(&["backup", "--to", &target.path().display().to_string()]);
    assert_eq!(text.status.code(), Some(2));
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains("PERINGATAN") && said.contains(&rel), "{said}");
}

/// A tmpfs of a few KiB mounted for one test, unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => SmallDisk(dir),
            Ok(o) => panic!(
                "this test needs a small full disk: `mount -t tmpfs -o size={size} tmpfs DIR` failed ({}); run the tests as root (the CI container is)",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!(
                "this test needs `mount` (util-linux) and root to mount a small tmpfs: {e}; install with `apt-get install util-linux`"
            ),
        }
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_backup_target_without_room_is_refused_before_anything_is_written() {
    let t = TestBranch::new();
    let disk = SmallDisk::mount("64k");
    // The database as the backup copies it: its pages, wherever they are (file or WAL).
    let db: i64 = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            (),
            |r| r.get(0),
        )
        .expect("database size");
    assert!(
        db > 64 * 1024,
        "the database ({db} bytes) must not fit the 64 KiB disk"
    );
    let out = backup(&t, disk.path());
    assert!(!out.status.success(), "a backup that cannot fit succeeded");
    let err = stderr(&out);
    assert!(
        err.contains("tidak cukup") && err.contains("perlu sekitar") && err.contains("tersedia"),
        "{err}"
    );
    assert!(
        err.contains("KB") || err.contains("MB"),
        "sizes are stated: {err}"
    );
    assert_eq!(
        std::fs::read_dir(disk.path()).expect("list").count(),
        0,
        "nothing was written to the full target"
    );
    let journal: i64 = t
        .reopen()
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'backup.completed'",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("journal");
    assert_eq!(journal, 0);
}

#[test]
fn restore_into_a_folder_that_is_not_empty_is_refused() {
    let t = TestBranch::new();
    let target = tempfile::tempdir().expect("target");
    let folder = folder_of(&backup_ok(&t, target.path()));
    let busy = tempfile::tempdir().expect("busy");
    std::fs::write(busy.path().join("catatan.txt"), b"jangan ditimpa").expect("write");
    let out = restore(&t, &folder, busy.path());
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("tidak kosong") && err.contains("catatan.txt"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(busy.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("catatan.txt")]);
    // An empty existing folder is fine.
    let empty = tempfile::tempdir().expect("empty");
    let out = restore(&t, &folder, empty.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(empty.path().join("loket.db").is_file());
}

#[test]
fn the_worker_makes_one_backup_a_day_and_keeps_keep_of_them() {
    let target = tempfile::tempdir().expect("target");
    let keep = 5;
    let mut t = TestBranch::with_config(|text| {
        format!(
            "{text}\n[backup]\nfolder = \"{}\"\nkeep = {keep}\n",
            target.path().display()
        )
    });
    let backups = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut made = Vec::new();
    for day in 0..15 {
        let round = worker::round(&mut t.branch, false).expect("round");
        assert!(round.errors.is_empty(), "day {day}: {:?}", round.errors);
        // A second round the same day finds the backup fresh.
        let again = worker::round(&mut t.branch, false).expect("round");
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        let now = backups(target.path());
        let newest = now.last().expect("a backup").clone();
        assert!(!made.contains(&newest), "day {day} made a new one");
        made.push(newest);
        assert_eq!(now.len(), (day + 1).min(keep), "day {day}: {now:?}");
        assert_eq!(
            loket::backup::last_backup_ms(&mut t.branch).expect("last"),
            Some(loket::store::to_ms(t.clock_now()))
        );
        t.clock.advance(time::Duration::days(1));
    }
    assert_eq!(backups(target.path()), made[made.len() - keep..].to_vec());
    let entries: i64 = t
        .branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM journal WHERE kind = 'backup.completed' AND actor = 'system'",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("journal");
    assert_eq!(entries, 15);
    // Each kept backup is whole.
    for name in backups(target.path()) {
        loket::backup::verify_backup(&target.path().join(name)).expect("verifies");
    }
}
