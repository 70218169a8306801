//! The queue engine persisted: flows, refusals, rollover at the end of a business day, and numbering.

use crate::common::{MORNING, TestBranch};
use loket::params;
use loket::queue::{CounterState, Status, Step};
use loket::{Branch, LoketError};
use proptest::prelude::*;
use time::Duration;

fn statuses(b: &mut Branch) -> Vec<(String, String)> {
    b.store_mut()
        .read(|c| {
            let mut s =
                c.prepare("SELECT issued_service, number, status FROM tickets ORDER BY id")?;
            let rows = s.query_map((), |r| {
                Ok((
                    format!("{}-{:03}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?),
                    r.get(2)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(LoketError::from)
        })
        .expect("read tickets")
}

#[test]
fn a_customer_goes_from_ticket_to_done() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    let issued = b
        .queue()
        .issue_ticket("A", false, "dispenser")
        .expect("issue");
    assert_eq!(issued.ticket.to_string(), "A-001");
    assert_eq!(issued.ahead, 0);
    assert_eq!(
        b.queue()
            .issue_ticket("a", false, "dispenser")
            .expect("issue")
            .ticket
            .to_string(),
        "A-002"
    );
    let second = b
        .queue()
        .ticket_info(&crate::common::no("A-002"))
        .expect("info");
    assert_eq!(second.ahead, 1);

    t.clock.advance(Duration::minutes(3));
    let called = b
        .queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call")
        .expect("someone waits");
    assert_eq!(
        (
            called.ticket.to_string().as_str(),
            called.counter,
            called.waited_ms
        ),
        ("A-001", 1, 180_000)
    );
    assert_eq!(
        b.queue()
            .ticket_info(&crate::common::no("A-002"))
            .expect("info")
            .ahead,
        0
    );
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve)
        .expect("serve");
    t.clock.advance(Duration::minutes(4));
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Done)
        .expect("done");
    assert_eq!(
        statuses(b),
        vec![
            ("A-001".into(), "done".into()),
            ("A-002".into(), "waiting".into())
        ]
    );

    let (serve_ms, done_ms): (i64, i64) = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT serve_ms, done_ms FROM tickets WHERE number = 1",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(LoketError::from)
        })
        .expect("times");
    assert_eq!(done_ms - serve_ms, 240_000, "service time is recorded");
    let report = b
        .store_mut()
        .read(|c| loket::journal::verify(c, None))
        .expect("verify");
    assert!(report.intact());
    assert_eq!(
        report.entries, 6,
        "2 issued, counter opened, called, served, done"
    );
}

fn err<T: std::fmt::Debug, E: std::fmt::Display + std::fmt::Debug>(r: Result<T, E>) -> String {
    r.expect_err("refused").to_string()
}

#[test]
fn refusals_say_what_to_do() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    b.queue().issue_ticket("A", false, "d").expect("issue");
    b.queue().issue_ticket("B", false, "d").expect("issue");
    assert!(err(b.queue().issue_ticket("X", false, "d")).contains("tidak ada"));
    assert!(
        err(b.queue().call_next(loket::queue::CounterNo(9), "budi")).contains("loket 9 tidak ada")
    );
    assert!(
        err(b
            .queue()
            .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve))
        .contains("tidak sedang")
    );
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call");
    assert!(
        err(b.queue().call_next(loket::queue::CounterNo(1), "budi"))
            .contains("masih memegang tiket A-001")
    );
    assert!(
        err(b
            .queue()
            .counter_step(loket::queue::CounterNo(1), "budi", Step::NoShow))
        .contains("tunggu 60 detik")
    );
    assert!(
        err(b
            .queue()
            .counter_step(loket::queue::CounterNo(2), "sri", Step::Serve))
        .contains("tidak sedang")
    );
    assert!(
        err(b.queue().set_counter_state(
            loket::queue::CounterNo(1),
            "budi",
            CounterState::Closed,
            None
        ))
        .contains("masih memegang")
    );
    assert!(
        err(b.queue().set_counter_state(
            loket::queue::CounterNo(2),
            "sri",
            CounterState::Break,
            None
        ))
        .contains("alasan")
    );
    b.queue()
        .set_counter_state(
            loket::queue::CounterNo(2),
            "sri",
            CounterState::Break,
            Some("makan siang"),
        )
        .expect("break");
    assert!(
        err(b.queue().call_next(loket::queue::CounterNo(2), "sri"))
            .contains("istirahat (makan siang)")
    );
    t.clock.advance(Duration::minutes(2));
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::NoShow)
        .expect("no-show after the minimum wait");
    let status = b.queue().queue_status().expect("status");
    assert_eq!(status.counters[1].state, CounterState::Break);
    assert_eq!(status.services[1].waiting, 1);
}

#[test]
fn park_transfer_and_specific_calls() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    for _ in 0..3 {
        b.queue().issue_ticket("A", false, "d").expect("issue");
    }
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call");
    b.queue()
        .counter_step(
            loket::queue::CounterNo(1),
            "budi",
            Step::Park { minutes: Some(10) },
        )
        .expect("park");
    // Parked for 10 minutes: not called by "next" before then.
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(2), "sri")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-002"))
    );
    t.clock.advance(Duration::minutes(11));
    // Its time is up and it arrived first, so it is next again.
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(1), "budi")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-001"))
    );
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve)
        .expect("serve");
    b.queue()
        .transfer(loket::queue::CounterNo(1), "budi", "C", Some(3))
        .expect("transfer to counter 3");
    b.queue().issue_ticket("C", false, "d").expect("issue");
    // Counter 4 also serves C, but A-001 (the oldest) is reserved for counter 3.
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(4), "ani")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-003"))
    );
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(3), "eko")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-001"))
    );
    let out_of_order = b
        .queue()
        .call_ticket(loket::queue::CounterNo(1), "budi", &crate::common::no("c1"))
        .expect("specific call");
    assert_eq!(out_of_order.ticket.to_string(), "C-001");
    let flagged: i64 = b
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT out_of_order FROM tickets WHERE issued_service = 'C'",
                (),
                |r| r.get(0),
            )
            .map_err(LoketError::from)
        })
        .expect("flag");
    assert_eq!(flagged, 1, "a picked ticket is reported as out of order");
    assert!(
        b.queue()
            .call_next(loket::queue::CounterNo(2), "sri")
            .is_err(),
        "counter 2 still holds A-002"
    );
}

#[test]
fn walk_in_and_reactivate_need_the_right_people() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    let lockout = b.lockout();
    loket::users::add(
        b.store_mut(),
        "admin",
        "kepala",
        "Bu Kepala",
        loket::users::Role::Supervisor,
        "2468",
    )
    .expect("add");
    loket::users::add(
        b.store_mut(),
        "admin",
        "budi",
        "Budi",
        loket::users::Role::Clerk,
        "1357",
    )
    .expect("add");
    let walk = b
        .queue()
        .walk_in(loket::queue::CounterNo(2), "budi", "B")
        .expect("walk-in");
    assert_eq!(
        (walk.ticket.to_string().as_str(), walk.status),
        ("B-001", Status::Serving)
    );
    b.queue()
        .counter_step(loket::queue::CounterNo(2), "budi", Step::Done)
        .expect("done");
    b.queue().issue_ticket("A", false, "d").expect("issue");
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call");
    t.clock.advance(Duration::minutes(2));
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::NoShow)
        .expect("noshow");
    let clerk = loket::users::approve(
        b.store_mut(),
        lockout,
        "budi",
        "1357",
        "budi",
        "ticket.reactivate",
        "A-001",
        "datang terlambat",
    );
    assert!(matches!(
        clerk,
        Err(loket::users::UserError::NotSupervisor(_))
    ));
    let ok = loket::users::approve(
        b.store_mut(),
        lockout,
        "kepala",
        "2468",
        "budi",
        "ticket.reactivate",
        "A-001",
        "datang terlambat",
    )
    .expect("approve");
    b.queue()
        .reactivate(&crate::common::no("A-001"), ok.id)
        .expect("reactivate");
    assert!(
        b.queue()
            .reactivate(&crate::common::no("A-001"), ok.id)
            .is_err(),
        "an approval is used once"
    );
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(3), "eko")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-001"))
    );
}

#[test]
fn a_new_day_expires_what_was_left_open_and_numbers_restart() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    for _ in 0..3 {
        b.queue().issue_ticket("A", false, "d").expect("issue");
    }
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call");
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve)
        .expect("serve");
    // 23:59 WIB, then past midnight.
    t.clock.advance(Duration::hours(15) + Duration::minutes(59));
    assert_eq!(
        b.queue()
            .issue_ticket("A", false, "d")
            .expect("issue")
            .ticket
            .to_string(),
        "A-004"
    );
    t.clock.advance(Duration::minutes(2));
    let fresh = b
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue on the new day");
    assert_eq!(
        (
            fresh.ticket.to_string().as_str(),
            fresh.business_day.as_str()
        ),
        ("A-001", "2026-11-24")
    );
    let old = statuses(b);
    assert_eq!(
        old.iter().filter(|(_, s)| s == "expired").count(),
        4,
        "{old:?}"
    );
    let expired_entries: i64 = b
        .store_mut()
        .read(|c| c.query_row("SELECT COUNT(*) FROM journal WHERE kind = 'ticket.expired' AND business_day = '2026-11-24'", (), |r| r.get(0)).map_err(LoketError::from))
        .expect("count");
    assert_eq!(expired_entries, 4, "each expired ticket is journalled");
    // Counter 1 is free again on the new day.
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(1), "budi")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("A-001"))
    );
    assert!(
        b.queue().ticket_info(&crate::common::no("A-004")).is_err(),
        "yesterday's numbers are not today's"
    );
}

#[test]
fn an_earlier_days_ticket_is_closed_until_the_new_day_settles_then_at_the_next_day() {
    let mut t = TestBranch::new();
    // 00:01 on the new day: the first change sweeps (nothing is left open yet).
    t.clock.advance(Duration::hours(16) + Duration::minutes(1));
    let first = t
        .branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    assert_eq!(first.business_day, "2026-11-24");
    // A PC whose clock is two minutes behind still issues a ticket of the day before.
    let behind =
        loket::clock::ManualClock::new(MORNING + Duration::hours(15) + Duration::minutes(59));
    let mut late =
        Branch::open_with_clock(t.dir.path(), std::sync::Arc::new(behind)).expect("open");
    let stale = late
        .queue()
        .issue_ticket("B", false, "d")
        .expect("issue late");
    assert_eq!(stale.business_day, "2026-11-23");
    // The day's first minutes: the next change sweeps again and closes it.
    t.clock.advance(Duration::minutes(1));
    t.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    let swept = |b: &mut Branch| -> Vec<String> {
        statuses(b)
            .into_iter()
            .filter(|(no, _)| no == "B-001")
            .map(|(_, status)| status)
            .collect()
    };
    assert_eq!(swept(&mut t.branch), ["expired"]);
    // Past the first five minutes a sweep is done once for the day: a ticket of the day before
    // written after it (a clock far behind) stays in line until the next day's first change.
    t.clock.advance(Duration::minutes(10));
    t.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    late.queue()
        .issue_ticket("B", false, "d")
        .expect("issue late again");
    t.clock.advance(Duration::minutes(1));
    t.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    assert_eq!(swept(&mut t.branch), ["expired"]);
    let later = statuses(&mut t.branch);
    assert!(
        later.contains(&("B-002".to_string(), "waiting".to_string())),
        "{later:?}"
    );
    t.clock.advance(Duration::days(1));
    t.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue next day");
    let next_day = statuses(&mut t.branch);
    assert!(
        next_day.contains(&("B-002".to_string(), "expired".to_string())),
        "{next_day:?}"
    );
}

#[test]
fn a_service_runs_out_of_numbers_without_reusing_one() {
    let mut t = TestBranch::with_config(|s| s.replacen("range = [1, 999]", "range = [5, 7]", 1));
    let b = &mut t.branch;
    let got: Vec<String> = (0..3)
        .map(|_| {
            b.queue()
                .issue_ticket("A", false, "d")
                .expect("issue")
                .ticket
                .to_string()
        })
        .collect();
    assert_eq!(got, ["A-005", "A-006", "A-007"]);
    let err = b
        .queue()
        .issue_ticket("A", false, "d")
        .expect_err("range exhausted");
    assert!(err.to_string().contains("sudah habis (A-007)"), "{err}");
}

#[derive(Debug, Clone)]
enum Op {
    Issue(usize, bool),
    Call(u32),
    Serve(u32),
    Done(u32),
    NoShow(u32),
    Park(u32),
    Transfer(u32, usize),
    Minutes(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, any::<bool>()).prop_map(|(s, p)| Op::Issue(s, p)),
        3 => (1..5u32).prop_map(Op::Call),
        2 => (1..5u32).prop_map(Op::Serve),
        2 => (1..5u32).prop_map(Op::Done),
        1 => (1..5u32).prop_map(Op::NoShow),
        1 => (1..5u32).prop_map(Op::Park),
        1 => (1..5u32, 0..3usize).prop_map(|(c, s)| Op::Transfer(c, s)),
        2 => (1..400i64).prop_map(Op::Minutes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Whatever happens, numbers are unique and gapless per service per day, every ticket ever
    /// issued is still there, and the journal is intact.
    #[test]
    fn numbering_is_unique_and_gapless(ops in prop::collection::vec(op(), 1..80)) {
        let mut t = TestBranch::new();
        let services = ["A", "B", "C"];
        let mut issued = 0;
        for op in ops {
            let b = &mut t.branch;
            // Refusals are part of the game; only the invariants matter.
            let _ = match op {
                Op::Issue(s, p) => b.queue().issue_ticket(services[s], p, "d").map(|_| { issued += 1; }),
                Op::Call(c) => b.queue().call_next(loket::queue::CounterNo(c), "x").map(|_| ()),
                Op::Serve(c) => b.queue().counter_step(loket::queue::CounterNo(c), "x", Step::Serve).map(|_| ()),
                Op::Done(c) => b.queue().counter_step(loket::queue::CounterNo(c), "x", Step::Done).map(|_| ()),
                Op::NoShow(c) => b.queue().counter_step(loket::queue::CounterNo(c), "x", Step::NoShow).map(|_| ()),
                Op::Park(c) => b.queue().counter_step(loket::queue::CounterNo(c), "x", Step::Park { minutes: Some(5) }).map(|_| ()),
                Op::Transfer(c, s) => b.queue().transfer(loket::queue::CounterNo(c), "x", services[s], None).map(|_| ()),
                Op::Minutes(m) => { t.clock.advance(Duration::minutes(m)); Ok(()) }
            };
        }
        let b = &mut t.branch;
        let rows: Vec<(String, String, u32)> = b.store_mut().read(|c| {
            let mut s = c.prepare("SELECT business_day, issued_service, number FROM tickets ORDER BY business_day, issued_service, number")?;
            let rows = s.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(LoketError::from)
        }).expect("tickets");
        prop_assert_eq!(rows.len(), issued);
        let mut i = 0;
        while i < rows.len() {
            let (day, svc) = (&rows[i].0, &rows[i].1);
            let mut expected = 1;
            while i < rows.len() && &rows[i].0 == day && &rows[i].1 == svc {
                prop_assert_eq!(rows[i].2, expected, "{} {} numbers", day, svc);
                expected += 1;
                i += 1;
            }
        }
        let report = b.store_mut().read(|c| loket::journal::verify(c, None)).expect("verify");
        prop_assert!(report.intact(), "{:?}", report);
    }
}

#[test]
fn two_connections_share_one_line() {
    let mut t = TestBranch::new();
    let mut other = t.reopen();
    assert_eq!(
        t.branch
            .queue()
            .issue_ticket("B", false, "d")
            .expect("issue")
            .ticket
            .to_string(),
        "B-001"
    );
    assert_eq!(
        other
            .queue()
            .issue_ticket("B", false, "d")
            .expect("issue")
            .ticket
            .to_string(),
        "B-002"
    );
    assert_eq!(
        other
            .queue()
            .call_next(loket::queue::CounterNo(2), "sri")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("B-001"))
    );
    assert_eq!(
        t.branch
            .queue()
            .call_next(loket::queue::CounterNo(1), "budi")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("B-002"))
    );
}

#[test]
fn a_recalled_number_is_listed_once_at_its_newest_call() {
    let mut t = TestBranch::new();
    let b = &mut t.branch;
    b.queue()
        .issue_ticket("A", false, "dispenser")
        .expect("A-001");
    b.queue()
        .issue_ticket("A", false, "dispenser")
        .expect("A-002");
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call A-001");
    b.queue()
        .call_next(loket::queue::CounterNo(2), "sri")
        .expect("call A-002");
    t.clock.advance(Duration::minutes(1));
    t.branch
        .queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Recall)
        .expect("recall A-001");
    let recent: Vec<String> = t
        .branch
        .queue()
        .queue_status()
        .expect("status")
        .recent_calls
        .iter()
        .map(|c| c.ticket.to_string())
        .collect();
    assert_eq!(
        recent,
        ["A-001", "A-002"],
        "the recall first, each number once"
    );
}
