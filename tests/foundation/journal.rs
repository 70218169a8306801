//! The journal on a real database: any single edited, removed or swapped entry is caught, by the
//! library and by `loket journal verify`.

use crate::common::TestBranch;
use loket::journal::{Tamper, verify};
use loket::queue::Step;
use loket::store::Connection;
use proptest::prelude::*;

/// A branch with some history: tickets issued, called and served.
fn busy_branch(n: usize) -> TestBranch {
    let mut t = TestBranch::new();
    for i in 0..n {
        let service = ["A", "B", "C"][i % 3];
        t.branch
            .queue()
            .issue_ticket(service, i % 4 == 0, "dispenser")
            .expect("issue");
    }
    for counter in 1..=2 {
        if t.branch
            .queue()
            .call_next(loket::queue::CounterNo(counter), "budi")
            .expect("call")
            .is_some()
        {
            t.branch
                .queue()
                .counter_step(loket::queue::CounterNo(counter), "budi", Step::Serve)
                .expect("serve");
        }
    }
    t
}

/// What an attacker with the sqlite3 shell does first: remove the append-only guards.
fn unguard(c: &Connection) {
    crate::common::unguard(
        c,
        "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
    );
}

#[derive(Debug, Clone)]
enum Attack {
    Edit(usize),
    EditAndRehash(usize),
    Delete(usize),
    Swap(usize, usize),
}

fn apply(c: &Connection, attack: &Attack) {
    unguard(c);
    match attack {
        Attack::Edit(seq) => {
            c.execute(
                "UPDATE journal SET actor = 'penyusup' WHERE seq = ?1",
                [i64::try_from(*seq).expect("a small seq")],
            )
            .expect("edit");
        }
        Attack::EditAndRehash(seq) => {
            let mut row = loket::journal::entries_of_day(
                c,
                loket::day::BusinessDay::parse("2026-11-23").expect("day"),
            )
            .expect("rows")
            .into_iter()
            .find(|r| usize::try_from(r.seq).is_ok_and(|s| s == *seq))
            .expect("row");
            row.detail = "{\"forged\":true}".into();
            row.hash = row.computed_hash();
            c.execute(
                "UPDATE journal SET detail = ?2, hash = ?3 WHERE seq = ?1",
                loket::params![row.seq, row.detail, row.hash],
            )
            .expect("rehash");
        }
        Attack::Delete(seq) => {
            c.execute(
                "DELETE FROM journal WHERE seq = ?1",
                [i64::try_from(*seq).expect("a small seq")],
            )
            .expect("delete");
        }
        Attack::Swap(a, b) => {
            c.execute_batch(&format!(
                "UPDATE journal SET seq = -1 WHERE seq = {a}; UPDATE journal SET seq = {a} WHERE seq = {b}; UPDATE journal SET seq = {b} WHERE seq = -1;"
            ))
            .expect("swap");
        }
    }
}

#[test]
fn the_guards_refuse_edits() {
    let t = busy_branch(3);
    let c = t.branch.store().conn();
    let err = c
        .execute("UPDATE journal SET actor = 'x' WHERE seq = 1", ())
        .expect_err("guarded");
    assert!(err.to_string().contains("append-only"));
    assert!(c.execute("DELETE FROM journal", ()).is_err());
}

#[test]
fn each_attack_is_named() {
    let cases = [
        (Attack::Edit(3), Tamper::Edited { seq: 3 }),
        (Attack::EditAndRehash(4), Tamper::Edited { seq: 4 }),
        (Attack::Delete(5), Tamper::Removed { seq: 5 }),
        (Attack::Delete(9), Tamper::Removed { seq: 9 }),
        (Attack::Swap(2, 6), Tamper::Reordered { seq: 2 }),
        (Attack::Swap(7, 8), Tamper::Reordered { seq: 7 }),
    ];
    for (attack, expected) in cases {
        let t = busy_branch(6);
        let total: i64 = t
            .branch
            .store()
            .conn()
            .query_row("SELECT COUNT(*) FROM journal", (), |r| r.get(0))
            .expect("count");
        assert_eq!(
            total, 12,
            "6 issued; two counters each opened, called, served"
        );
        apply(t.branch.store().conn(), &attack);
        let report = verify(t.branch.store().conn(), None).expect("verify");
        assert_eq!(report.tamper, Some(expected.clone()), "{attack:?}");

        // The command line says the same and exits 1.
        let out = t.cli(&["journal", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{attack:?}");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&expected.to_string()), "{attack:?}: {said}");
    }
}

#[test]
fn verify_by_date_checks_that_day() {
    let mut t = busy_branch(3);
    t.clock.advance(time::Duration::days(1));
    t.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("next day");
    let day1 = loket::day::BusinessDay::parse("2026-11-23").expect("day");
    let day2 = loket::day::BusinessDay::parse("2026-11-24").expect("day");
    let c = t.branch.store().conn();
    assert!(verify(c, Some(day1)).expect("v").intact());
    let r2 = verify(c, Some(day2)).expect("v");
    assert!(r2.intact());
    assert_eq!(
        r2.entries, 4,
        "three tickets left open expire, one is issued"
    );
    apply(c, &Attack::Edit(2));
    assert_eq!(
        verify(c, Some(day1)).expect("v").tamper,
        Some(Tamper::Edited { seq: 2 })
    );
    assert!(
        verify(c, Some(day2)).expect("v").intact(),
        "the next day's chain is anchored on its own"
    );
    let out = t.cli(&["journal", "verify", "--date", "2026-11-24"]);
    assert!(out.status.success());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn any_single_attack_is_caught(tickets in 2..12usize, pick in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(), kind in 0..4u8) {
        let t = busy_branch(tickets);
        let c = t.branch.store().conn();
        let total: usize = c.query_row("SELECT COUNT(*) FROM journal", (), |r| r.get::<_, usize>(0)).expect("count");
        let a = pick.index(total) + 1;
        let b = other.index(total) + 1;
        let attack = match kind {
            0 => Attack::Edit(a),
            1 => Attack::EditAndRehash(a),
            2 => Attack::Delete(a),
            _ if a != b => Attack::Swap(a.min(b), a.max(b)),
            _ => Attack::Delete(a),
        };
        apply(c, &attack);
        let report = verify(c, None).expect("verify");
        prop_assert!(!report.intact(), "{:?} went unnoticed", attack);
    }
}
