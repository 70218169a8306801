//! The worker's reads and actions for the supervisor console's tabs (e-Meterai ledger, paid jobs
//! not yet stamped and their settlement, outbox, drawers and Z reports), the status bar's
//! e-Meterai and outbox states, and the counter's drawer session. Runs on the worker thread only.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::stamping::Settle;
use crate::stamping::provider::Health;
use crate::till::CashCount;
use crate::ui::state::{
    ConsoleDone, DrawerRow, DrawersPanel, EmeteraiPanel, OutboxCounts, ServiceHealth, Settled,
    Subject, TillState, UnfinishedAct, UnfinishedDone, UnfinishedRow,
};
use crate::ui::worker::sentence;

/// How many e-mails and Z reports the console lists.
const LIST_LIMIT: u32 = 200;

fn words(e: &dyn std::fmt::Display) -> String {
    sentence(&e.to_string())
}

/// The e-Meterai service's state, without a network call (the breaker's memory of recent calls).
/// Paid jobs that wait (for the service, or for a supervisor) are what the clerk must hear about
/// first: they take the status bar, with the next retry time.
pub fn service_health(branch: &mut Branch) -> ServiceHealth {
    if !branch.config().services.iter().any(|s| s.emeterai) {
        return ServiceHealth::NotUsed;
    }
    if let Ok(Some(line)) = crate::stamping::worker::waiting_line(branch) {
        return ServiceHealth::Waiting(line);
    }
    let local = branch.config().stamping.provider != "peruri";
    match branch.stamping().stamping_provider() {
        Err(e) => ServiceHealth::Broken(words(&e)),
        Ok(p) => match p.health() {
            Health::Up if local => ServiceHealth::Local,
            Health::Up => ServiceHealth::Up,
            Health::Probing => ServiceHealth::Probing,
            Health::Down { retry_in } => ServiceHealth::Down {
                retry_s: retry_in.as_secs().max(1),
            },
        },
    }
}

/// E-mails in the outbox by where they are.
pub fn outbox_counts(branch: &mut Branch) -> Result<OutboxCounts, LoketError> {
    use crate::delivery::outbox::Status;
    let mut out = OutboxCounts::default();
    for (status, n) in branch.delivery().outbox_counts()? {
        match status {
            Status::Sent => out.sent += n,
            Status::Failed => out.failed += n,
            Status::Queued | Status::Sending | Status::Retry => out.waiting += n,
        }
    }
    Ok(out)
}

/// The ledger by lot, the serials to claim, the paid jobs not yet stamped, and the ledger against
/// the provider's own count (asked once per load; a provider that is down says so instead).
pub fn emeterai(branch: &mut Branch) -> Result<EmeteraiPanel, LoketError> {
    let inventory = branch.stamping().serial_inventory()?;
    let claims = branch.stamping().serial_claims()?;
    let service = service_health(branch);
    let open_jobs = branch.stamping().open_paid_jobs()?;
    let reconcile = branch.stamping().reconcile_serials().map_err(|e| words(&e));
    Ok(EmeteraiPanel {
        inventory,
        claims,
        reconcile,
        service,
        open_jobs,
    })
}

/// A supervisor settles paid job `job` the way `loket job settle` does: their approval for this
/// job (a new serial) or for its sale (a refund), then the settlement in one transaction. The
/// signed-in supervisor both asks and approves. After a new serial the job is `paid` again and the
/// stamping worker thread of this console (or of any counter) stamps it; nothing runs here.
pub fn settle_job(
    branch: &mut Branch,
    job: i64,
    choice: Settle,
    counter: u32,
    supervisor: &str,
    pin: &str,
    reason: &str,
) -> Result<Settled, String> {
    branch
        .stamping()
        .settle_job_approved(
            crate::stamping::JobId(job),
            choice,
            crate::queue::CounterNo(counter),
            supervisor,
            supervisor,
            pin,
            reason,
        )
        .map(|s| s.settled)
        .map_err(|e| words(&LoketError::from(e)))
}

pub fn outbox(
    branch: &mut Branch,
) -> Result<Vec<crate::delivery::outbox::OutboxEntry>, LoketError> {
    Ok(branch.delivery().outbox_newest(LIST_LIMIT)?)
}

/// Today's drawer sessions with their figures, the X report of each open drawer, and the newest
/// stored Z reports.
pub fn drawers(branch: &mut Branch) -> Result<DrawersPanel, LoketError> {
    let day = branch.today().to_string();
    let mut sessions = Vec::new();
    let mut x_reports = Vec::new();
    for (s, summary) in branch.till().till_sessions_of_day(&day)? {
        if s.state == "open" {
            x_reports.push(branch.till().x_report(crate::queue::CounterNo(s.counter))?);
        }
        sessions.push(DrawerRow {
            session: s.id,
            counter: s.counter,
            clerk: s.clerk,
            state: s.state,
            opened_ms: s.opened_ms,
            float: s.float,
            expected: summary.expected_cash,
            net_sales: summary.net_sales,
            counted: s.counted_total,
            variance: s.variance,
            z: s.z_number,
        });
    }
    let z_reports = branch.till().recent_z_reports(LIST_LIMIT)?;
    Ok(DrawersPanel {
        sessions,
        x_reports,
        z_reports,
    })
}

/// Puts e-mail `id` back in line for the sender.
pub fn retry_mail(branch: &mut Branch, actor: &str, id: i64) -> Result<ConsoleDone, String> {
    branch
        .delivery()
        .outbox_retry(actor, id)
        .map(|()| ConsoleDone::MailRequeued(id))
        .map_err(|e| words(&e))
}

/// Prints a counted copy of Z report `number` on its counter's printer.
pub fn reprint_z(branch: &mut Branch, number: i64) -> Result<ConsoleDone, String> {
    match branch.printing().print_z_report(number, true) {
        Ok(o) => Ok(ConsoleDone::ZCopy {
            number,
            printer: o.printer,
            printed: o.printed,
            why: o.message,
        }),
        Err(e) => Err(words(&e)),
    }
}

/// This counter's drawer session.
pub fn till_state(branch: &mut Branch, counter: u32) -> Result<TillState, LoketError> {
    Ok(
        match branch
            .till()
            .till_session(crate::queue::CounterNo(counter))?
        {
            None => TillState::Closed,
            Some(s) if s.state == "open" => TillState::Open {
                session: s.id,
                float: s.float,
            },
            Some(_) => TillState::Counting,
        },
    )
}

/// Opens the drawer session with the float as the clerk typed it, then opens the drawer so the
/// float can go in. Returns the session and what the drawer did, in words.
pub fn open_till(
    branch: &mut Branch,
    counter: u32,
    clerk: &str,
    count: &str,
) -> Result<(TillState, String), String> {
    let count = CashCount::parse(count).map_err(|e| sentence(&e.to_string()))?;
    let session = branch
        .till()
        .open_till(crate::queue::CounterNo(counter), clerk, &count)
        .map_err(|e| words(&e))?;
    let drawer = match branch
        .printing()
        .open_drawer(crate::queue::CounterNo(counter), clerk)
    {
        Ok(o) => o.message,
        Err(e) => words(&e),
    };
    Ok((
        TillState::Open {
            session: session.id,
            float: session.float,
        },
        drawer,
    ))
}

/// Everything left half-done now, oldest first, each with where it stands.
pub fn unfinished(branch: &mut Branch) -> Result<Vec<UnfinishedRow>, LoketError> {
    Ok(branch.unfinished().list()?)
}

/// A supervisor acts on a half-done thing with their own approval (the unfinished-work service
/// checks what it is now before the approval is recorded).
pub fn act_on_unfinished(
    branch: &mut Branch,
    subject: Subject,
    act: UnfinishedAct,
    supervisor: &str,
    pin: &str,
    reason: &str,
) -> Result<UnfinishedDone, String> {
    branch
        .unfinished()
        .act(subject, act, supervisor, pin, reason)
        .map_err(|e| words(&LoketError::from(e)))
}
