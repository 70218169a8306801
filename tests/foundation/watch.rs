//! Change notices (`Store::watch`): a commit through any connection wakes a watch once, reads and
//! silence do not, and on the branch server a watch whose connection was ended comes back by
//! itself and is woken by the next commit.

use crate::common::TestBranch;
use crate::common::pg::TestDb;
use loket::queue::CounterNo;
use std::time::Duration;

/// Long enough for a change that should not come to show up if it did.
const QUIET: Duration = Duration::from_millis(300);
/// A bound on a wait that must end with a change (never reached when it works).
const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn a_watch_is_woken_by_each_commit_of_any_connection_and_by_nothing_else() {
    let mut tb = TestBranch::new();
    let mut other = tb.reopen();
    let mut watch = tb.branch.store().watch().expect("watch the branch");
    assert!(!watch.wait(QUIET), "nothing was committed");

    other
        .queue()
        .issue_ticket("A", false, "kiosk")
        .expect("issue");
    assert!(watch.wait(PATIENCE), "another connection's commit wakes it");
    assert!(!watch.wait(QUIET), "one commit wakes it once");

    other.queue().queue_status().expect("read the queue");
    assert!(!watch.wait(QUIET), "a read is no change");

    // The store it came from commits through another connection than the watch's own.
    let called = tb
        .branch
        .queue()
        .call_next(CounterNo(1), "budi")
        .expect("call");
    assert!(called.is_some(), "the ticket was waiting");
    assert!(watch.wait(PATIENCE), "its own store's commit wakes it");
    assert!(!watch.wait(QUIET));
}

/// The sessions listening for change notices as `role`, by backend pid.
fn listeners(owner: &mut postgres::Client, role: &str) -> Vec<i32> {
    owner
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND usename = $1 AND query = 'LISTEN loket_changes' ORDER BY pid",
            &[&role],
        )
        .expect("read pg_stat_activity")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn on_the_server_a_watch_comes_back_after_its_connection_is_ended() {
    use loket::server::PcKind;
    let db = TestDb::new();
    let code: loket::server::BranchCode = db.code.parse().expect("a branch code");
    let made = loket::server::init(&db.owner_url(), &code).expect("server init");
    let url = |kind: PcKind| {
        made.logins
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| l.url.clone())
            .expect("a login of each kind")
    };
    let clock = || -> std::sync::Arc<dyn loket::clock::Clock> {
        std::sync::Arc::new(loket::clock::ManualClock::new(crate::common::MORNING))
    };
    // The hall screen's role listens, a counter's role commits: neither owns the schema the
    // journal's trigger belongs to.
    let display = loket::store::Store::connect(
        &loket::store::ServerAddress::plain(&url(PcKind::Display)),
        clock(),
        loket::day::TimeZone::Wib,
    )
    .expect("connect as the display");
    let mut watch = display.watch().expect("watch the server");
    let counter_pc = crate::common::server_pc(&url(PcKind::Counter), "", None);
    let mut counter =
        loket::Branch::open_with_clock(counter_pc.path(), clock()).expect("the counter PC");
    assert!(!watch.wait(QUIET), "nothing was committed");
    counter
        .queue()
        .issue_ticket("A", false, "budi")
        .expect("issue");
    assert!(watch.wait(PATIENCE), "the counter's commit is notified");
    assert!(!watch.wait(QUIET), "one commit, one notice");

    let display_role = code.role(PcKind::Display);
    let mut owner = db.owner();
    let before = listeners(&mut owner, &display_role);
    assert_eq!(
        before.len(),
        1,
        "the watch listens on a connection of its own"
    );
    let ended: bool = owner
        .query_one("SELECT pg_terminate_backend($1)", &[&before[0]])
        .expect("end the watch's session")
        .get(0);
    assert!(ended, "the server ended the session");
    assert!(watch.wait(PATIENCE), "the lost connection is reported");
    let settled = (0..50).any(|_| !watch.wait(QUIET));
    assert!(settled, "the watch connected again and went quiet");
    let after = listeners(&mut owner, &display_role);
    assert!(
        after.len() == 1 && after != before,
        "listening again on a new session: {before:?} then {after:?}"
    );

    let called = counter
        .queue()
        .call_next(CounterNo(1), "budi")
        .expect("call");
    assert!(called.is_some(), "the ticket was waiting");
    assert!(watch.wait(PATIENCE), "the next commit is notified");
    assert!(!watch.wait(QUIET));
}
