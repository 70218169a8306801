//! Users: PIN checks, lockout after repeated wrong PINs, and supervisor approvals used once.

use crate::common::TestBranch;
use loket::users::{self, Role, UserError};
use time::Duration;

#[test]
fn wrong_pins_lock_the_account_for_a_while() {
    let mut t = TestBranch::new();
    let rules = t.branch.lockout();
    let store = t.branch.store_mut();
    users::add(store, "admin", "budi", "Budi Santoso", Role::Clerk, "1357").expect("add");
    assert!(users::authenticate(store, rules, "budi", "1357").is_ok());
    for remaining in (1..5).rev() {
        match users::authenticate(store, rules, "budi", "0000") {
            Err(UserError::WrongPin { remaining: r }) => assert_eq!(r, remaining),
            other => panic!("expected a wrong-PIN error, got {other:?}"),
        }
    }
    let locked = users::authenticate(store, rules, "budi", "0000").expect_err("locked");
    assert!(matches!(locked, UserError::Locked { .. }), "{locked:?}");
    assert!(locked.to_string().contains("08.15 WIB"), "{locked}");
    // Even the right PIN is refused while locked.
    assert!(matches!(
        users::authenticate(store, rules, "budi", "1357"),
        Err(UserError::Locked { .. })
    ));
    t.clock.advance(Duration::minutes(16));
    let store = t.branch.store_mut();
    assert!(users::authenticate(store, rules, "budi", "1357").is_ok());
    let kinds: Vec<String> = {
        let mut s = store
            .conn()
            .prepare("SELECT kind FROM journal ORDER BY seq")
            .expect("prepare");
        s.query_map((), |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(kinds.iter().filter(|k| *k == "user.pin_wrong").count(), 4);
    assert_eq!(kinds.iter().filter(|k| *k == "user.locked").count(), 1);
}

#[test]
fn checks_on_ids_pins_and_roles() {
    let mut t = TestBranch::new();
    let rules = t.branch.lockout();
    let store = t.branch.store_mut();
    assert!(matches!(
        users::add(store, "a", "Budi!", "B", Role::Clerk, "1357"),
        Err(UserError::InvalidId(_))
    ));
    assert!(matches!(
        users::add(store, "a", "budi", "B", Role::Clerk, "12"),
        Err(UserError::InvalidPin)
    ));
    assert!(matches!(
        users::add(store, "a", "budi", "B", Role::Clerk, "12ab"),
        Err(UserError::InvalidPin)
    ));
    users::add(store, "a", "budi", "B", Role::Clerk, "1357").expect("add");
    assert!(matches!(
        users::add(store, "a", "budi", "B", Role::Clerk, "1357"),
        Err(UserError::Exists(_))
    ));
    users::add(store, "a", "kepala", "K", Role::Supervisor, "2468").expect("add");
    users::set_active(store, "a", "budi", false).expect("disable");
    assert!(matches!(
        users::authenticate(store, rules, "budi", "1357"),
        Err(UserError::Disabled(_))
    ));
    assert!(matches!(
        users::authenticate(store, rules, "nobody", "1357"),
        Err(UserError::Unknown(_))
    ));
    assert!(matches!(
        users::approve(
            store,
            rules,
            "kepala",
            "2468",
            "budi",
            "sale.void",
            "S-1",
            "  "
        ),
        Err(UserError::ReasonRequired)
    ));
    let approval = users::approve(
        store,
        rules,
        "kepala",
        "2468",
        "budi",
        "sale.void",
        "S-1",
        "salah input",
    )
    .expect("approve");
    // An approval is for one action on one subject, once.
    let used = store.write(|tx| {
        tx.journal(loket::journal::Entry::new(
            "budi",
            "test.use",
            "S-1",
            serde_json::json!({}),
        ))?;
        assert!(users::consume_approval(tx, approval.id, "sale.refund", "S-1").is_err());
        assert!(users::consume_approval(tx, approval.id, "sale.void", "S-2").is_err());
        users::consume_approval(tx, approval.id, "sale.void", "S-1")
    });
    assert_eq!(used.expect("first use").supervisor, "kepala");
    let again = store.write(|tx| {
        tx.journal(loket::journal::Entry::new(
            "budi",
            "test.use",
            "S-1",
            serde_json::json!({}),
        ))?;
        users::consume_approval(tx, approval.id, "sale.void", "S-1")
    });
    assert!(matches!(again, Err(UserError::ApprovalInvalid(_))));
}
