//! Eight processes on one branch store (the SQLite file, or the branch server on the server pass):
//! four dispensers issue 1,600 tickets while four counters call and serve them. No number is
//! duplicated or skipped, every ticket is called exactly once, and the journal stays intact.

use crate::common::{loket_bin, loket_ok};
use std::process::{Command, Stdio};

#[test]
fn eight_processes_share_one_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    loket_ok(d, &["init"]);
    let spawn = |args: Vec<String>| {
        Command::new(loket_bin())
            .arg("--data")
            .arg(d)
            .args(["dev", "stress"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn worker")
    };
    let mut workers = Vec::new();
    for seed in 1..=4 {
        workers.push(spawn(vec![
            "--role".into(),
            "issue".into(),
            "--count".into(),
            "400".into(),
            "--seed".into(),
            seed.to_string(),
        ]));
    }
    for counter in 1..=4 {
        workers.push(spawn(vec![
            "--role".into(),
            "call".into(),
            "--counter".into(),
            counter.to_string(),
            "--until-total".into(),
            "1600".into(),
        ]));
    }
    for w in workers {
        let out = w.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "worker failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let branch = loket::Branch::open(d).expect("open the branch");
    let c = branch.store().conn();
    let one = |sql: &str| -> i64 { c.query_row(sql, (), |r| r.get(0)).expect(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM tickets"), 1600);
    assert_eq!(
        one("SELECT COUNT(DISTINCT business_day || issued_service || number) FROM tickets"),
        1600,
        "no duplicate number"
    );
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM (SELECT issued_service, MAX(number) - MIN(number) + 1 - COUNT(*) AS gap FROM tickets GROUP BY business_day, issued_service) AS services WHERE gap != 0"
        ),
        0,
        "no gap in any service"
    );
    assert_eq!(one("SELECT MIN(number) FROM tickets"), 1);
    assert_eq!(
        one("SELECT COUNT(*) FROM tickets WHERE status != 'done'"),
        0,
        "every ticket served"
    );
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM (SELECT ticket FROM ticket_events WHERE kind = 'call' GROUP BY ticket HAVING COUNT(*) = 1) AS called_once"
        ),
        1600,
        "every ticket called exactly once"
    );
    assert_eq!(
        one("SELECT COUNT(DISTINCT counter) FROM ticket_events WHERE kind = 'call'"),
        4,
        "all four counters called"
    );
    assert!(loket_ok(d, &["journal", "verify"]).starts_with("Jurnal utuh"));
    assert_eq!(
        one("SELECT COUNT(*) FROM journal WHERE kind = 'ticket.called'"),
        1600
    );
}
