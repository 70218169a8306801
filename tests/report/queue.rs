//! The queue section of the daily pack on a scripted morning.

use crate::common::TestBranch;
use loket::day::BusinessDay;
use loket::queue::{CounterState, Step};
use loket::report::queue::daily;
use time::Duration;

#[test]
fn a_scripted_morning_adds_up() {
    let mut t = TestBranch::new();
    let minutes = |m| Duration::minutes(m);
    let b = &mut t.branch;
    // 08:00 three customers for A, one priority for C.
    b.queue().issue_ticket("A", false, "d").expect("A-001");
    b.queue().issue_ticket("A", false, "d").expect("A-002");
    b.queue().issue_ticket("A", false, "d").expect("A-003");
    b.queue().issue_ticket("C", true, "d").expect("C-001");
    // 08:10 counter 1 calls the priority ticket first, serves it 6 minutes.
    t.clock.advance(minutes(10));
    let b = &mut t.branch;
    assert_eq!(
        b.queue()
            .call_next(loket::queue::CounterNo(1), "budi")
            .expect("call")
            .map(|c| c.ticket),
        Some(crate::common::no("C-001"))
    );
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve)
        .expect("serve");
    t.clock.advance(minutes(6));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Done)
        .expect("done");
    // 08:16 counter 2 calls A-002 out of order; A-001 by counter 1 (waited 16 minutes: over the SLA of 15).
    b.queue()
        .call_ticket(
            loket::queue::CounterNo(2),
            "sri",
            &crate::common::no("A-002"),
        )
        .expect("specific");
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call A-001");
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Serve)
        .expect("serve");
    b.queue()
        .counter_step(loket::queue::CounterNo(2), "sri", Step::Serve)
        .expect("serve");
    t.clock.advance(minutes(4));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::Done)
        .expect("done");
    b.queue()
        .counter_step(
            loket::queue::CounterNo(2),
            "sri",
            Step::Park { minutes: None },
        )
        .expect("park");
    // 08:20 counter 1 calls A-003, who does not come.
    b.queue()
        .call_next(loket::queue::CounterNo(1), "budi")
        .expect("call A-003");
    t.clock.advance(minutes(2));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), "budi", Step::NoShow)
        .expect("noshow");
    b.queue()
        .set_counter_state(
            loket::queue::CounterNo(1),
            "budi",
            CounterState::Break,
            Some("sholat"),
        )
        .expect("break");
    // 08:52 back from a 30-minute break.
    t.clock.advance(minutes(30));
    let b = &mut t.branch;
    b.queue()
        .set_counter_state(loket::queue::CounterNo(1), "budi", CounterState::Open, None)
        .expect("open");
    t.clock.advance(minutes(8));
    // 09:00: report.
    let day = BusinessDay::parse("2026-11-23").expect("day");
    let now = loket::store::to_ms(t.clock_now());
    let config = t.branch.config().clone();
    let r = t
        .branch
        .store_mut()
        .read(|c| daily(c, &config, day, now).map_err(loket::LoketError::from))
        .expect("report");

    assert_eq!(r.totals.issued, 4);
    assert_eq!(
        (
            r.totals.served,
            r.totals.no_show,
            r.totals.parked,
            r.totals.still_open
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(r.totals.priority, 1);
    let a = &r.services[0];
    assert_eq!(a.prefix, "A");
    // Waits: A-001 16 min, A-002 16 min, A-003 20 min.
    assert_eq!(a.wait.count, 3);
    assert_eq!(
        (a.wait.median_ms, a.wait.max_ms),
        (16 * 60_000, 20 * 60_000)
    );
    assert_eq!((a.over_sla, a.over_sla_permille), (3, 1000));
    assert_eq!(a.service.count, 1);
    assert_eq!(a.service.mean_ms, 4 * 60_000);
    let c = &r.services[2];
    assert_eq!(
        (c.wait.max_ms, c.service.max_ms, c.over_sla),
        (10 * 60_000, 6 * 60_000, 0)
    );

    let k1 = &r.counters[0];
    assert_eq!((k1.counter, k1.served), (1, 2));
    // Open 08:10–08:22 and 08:52–09:00 = 20 min; busy: C-001 6 min + A-001 4 min + A-003 2 min.
    assert_eq!(k1.open_ms, 20 * 60_000);
    assert_eq!(k1.break_ms, 30 * 60_000);
    assert_eq!(k1.idle_ms, 8 * 60_000);
    assert_eq!(r.counters[1].out_of_order_calls, 1);
    let budi = r.clerks.iter().find(|c| c.clerk == "budi").expect("budi");
    assert_eq!(
        (budi.served, budi.no_shows, budi.out_of_order_calls),
        (2, 1, 0)
    );
    // At 08:00 four waited (issued at 08:00 exactly count as waiting), none at 09:00 but the parked one.
    assert_eq!(r.waiting_by_hour, vec![(8, 4)]);
}

#[test]
fn waiting_per_hour_counts_only_hours_that_have_happened() {
    let mut t = TestBranch::new();
    // Two customers arrive at 08:00 and are still waiting at 10:30.
    for _ in 0..2 {
        t.branch
            .queue()
            .issue_ticket("A", false, "dispenser")
            .expect("issue");
    }
    t.clock.advance(Duration::minutes(150));
    let day = BusinessDay::parse("2026-11-23").expect("day");
    let now = loket::store::to_ms(t.clock_now());
    let config = t.branch.config().clone();
    let r = t
        .branch
        .store_mut()
        .read(|c| daily(c, &config, day, now).map_err(loket::LoketError::from))
        .expect("report");
    // 08.00, 09.00 and 10.00 have happened; 11.00 onwards have not and show nobody.
    assert_eq!(r.waiting_by_hour, vec![(8, 2), (9, 2), (10, 2)]);
}
