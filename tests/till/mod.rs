//! The till end to end: sale and tender transitions, ledger invariants, QRIS payloads, Z reports and a whole shift through the CLI.

mod cli;
mod ledger;
mod qris;
mod transitions;
mod zreport;

use crate::common::TestBranch;
use loket::Branch;
use loket::journal;
use loket::users::{self, Role};

pub const SUPERVISOR: &str = "spv";
pub const SUPERVISOR_PIN: &str = "2468";
pub const CLERK: &str = "petugas";

/// A demo branch with a supervisor, on the given configuration edit.
pub fn branch_with(edit: impl FnOnce(&str) -> String) -> TestBranch {
    let mut tb = TestBranch::with_config(edit);
    users::add(
        tb.branch.store_mut(),
        "admin",
        SUPERVISOR,
        "Supervisor",
        Role::Supervisor,
        SUPERVISOR_PIN,
    )
    .expect("add supervisor");
    tb
}

pub fn branch() -> TestBranch {
    branch_with(|t| t.to_string())
}

/// A supervisor's approval for `action` on `subject`.
pub fn approval(branch: &mut Branch, action: &str, subject: &str) -> i64 {
    let lockout = branch.lockout();
    users::approve(
        branch.store_mut(),
        lockout,
        SUPERVISOR,
        SUPERVISOR_PIN,
        CLERK,
        action,
        subject,
        "pelanggan batal",
    )
    .expect("supervisor approves")
    .id
}

pub fn journal_intact(branch: &mut Branch) {
    let report = branch
        .store_mut()
        .read(|c| journal::verify(c, None))
        .expect("journal verifies");
    assert!(report.intact(), "journal intact: {:?}", report.tamper);
}

pub fn rp(v: i64) -> loket::money::Rupiah {
    loket::money::Rupiah::new(v)
}
