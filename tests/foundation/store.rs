//! The store's writer queue: a write waits for the lock file's holder and goes ahead once it lets go,
//! and the lock dies with the process that held it.

use loket::clock::ManualClock;
use loket::day::TimeZone;
use loket::journal::Entry;
use loket::store::{Store, StoreError};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

fn open(path: &std::path::Path) -> Store {
    let clock = Arc::new(ManualClock::new(crate::common::MORNING));
    Store::open(path, clock, TimeZone::Wib).expect("open")
}

fn one_write(store: &mut Store, subject: &str) -> Result<i64, StoreError> {
    store.write(|tx| {
        tx.journal_seq(Entry::new(
            "uji",
            "test.write",
            subject,
            serde_json::json!({}),
        ))
    })
}

#[test]
fn a_writer_waits_for_the_lock_holder_and_then_commits() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("loket.db");
    let mut first = open(&db);
    one_write(&mut first, "pertama").expect("first write");
    let lock_path = dir.path().join("loket.db-writer");
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(&lock_path)
        .expect("the store created its writer lock file");
    holder.lock().expect("take the writers' lock");

    let (done_tx, done_rx) = mpsc::channel();
    let db2 = db.clone();
    let writer = std::thread::spawn(move || {
        let mut second = open(&db2);
        let out = one_write(&mut second, "kedua").map_err(|e| e.to_string());
        done_tx.send(()).expect("send");
        out
    });
    // While the lock is held the second writer cannot have committed; the wait is generous so a
    // slow machine cannot make a commit that ignored the lock look like one that waited.
    assert!(
        done_rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "a write went ahead while another held the writers' lock"
    );
    holder.unlock().expect("release");
    let seq = writer
        .join()
        .expect("join")
        .expect("second write after release");
    assert_eq!(seq, 2, "the waiting write is the second journal entry");
}

#[test]
fn a_lock_left_by_a_killed_process_does_not_block_writers() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("loket.db");
    let mut store = open(&db);
    // A child process takes the lock and is killed while holding it.
    // `--close`: the lock stays with `flock` itself, not with the `sleep` it runs.
    let mut child = std::process::Command::new("flock")
        .arg("--close")
        .arg(dir.path().join("loket.db-writer"))
        .args(["sleep", "20"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("flock(1) from util-linux runs the holder; apt-get install util-linux");
    // Wait until the child holds the lock before killing it.
    let probe = std::fs::File::open(dir.path().join("loket.db-writer")).expect("lock file");
    let mut held = false;
    for _ in 0..500 {
        if probe.try_lock().is_err() {
            held = true;
            break;
        }
        probe.unlock().expect("unlock probe");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(held, "the child never took the writers' lock");
    child.kill().expect("kill");
    child.wait().expect("reap");
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(one_write(&mut store, "setelah").map_err(|e| e.to_string()));
    });
    let out = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the write still waits for a lock whose holder was killed");
    out.expect("write after the holder died");
}

#[test]
fn a_stuck_lock_holder_costs_a_clear_busy_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("loket.db");
    let mut store = open(&db);
    one_write(&mut store, "pertama").expect("first write");
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("loket.db-writer"))
        .expect("lock file");
    holder.lock().expect("a holder that never lets go");
    store.set_writer_wait(Duration::from_millis(200));
    let err = one_write(&mut store, "kedua").expect_err("the write must give up");
    assert!(matches!(err, StoreError::Busy), "{err:?}");
    assert!(
        err.to_string().contains("tunggu sebentar lalu ulangi"),
        "the clerk is told what to do: {err}"
    );
    // Nothing of the refused write was kept.
    let entries: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM journal", (), |r| r.get(0))
        .expect("count");
    assert_eq!(entries, 1);
    // Once the holder lets go, the abandoned wait hands the lock straight back, and writing works.
    holder.unlock().expect("release");
    let probe = std::fs::File::open(dir.path().join("loket.db-writer")).expect("lock file");
    let mut free = false;
    for _ in 0..500 {
        if probe.try_lock().is_ok() {
            probe.unlock().expect("unlock probe");
            free = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(free, "the abandoned wait kept the writers' lock");
    assert_eq!(
        one_write(&mut store, "ketiga").expect("write after release"),
        2
    );
}
