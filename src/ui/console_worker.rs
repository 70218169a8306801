//! The worker's reads and actions for the supervisor console's tabs (e-Meterai ledger, paid jobs
//! not yet stamped and their settlement, outbox, drawers and Z reports), the status bar's
//! e-Meterai and outbox states, and the counter's drawer session. Runs on the worker thread only.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::money::Rupiah;
use crate::stamping::provider::Health;
use crate::stamping::{JobFilter, Settle, StampingError};
use crate::till::CashCount;
use crate::ui::UiError;
use crate::ui::state::{
    ConsoleDone, DrawerRow, DrawersPanel, EmeteraiPanel, OpenJob, OutboxCounts, ServiceHealth,
    Settled, Subject, TillState, UnfinishedAct, UnfinishedDone, UnfinishedKind, UnfinishedRow,
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
    let open_jobs = open_jobs(branch)?;
    let reconcile = branch.stamping().reconcile_serials().map_err(|e| words(&e));
    Ok(EmeteraiPanel {
        inventory,
        claims,
        reconcile,
        service,
        open_jobs,
    })
}

/// Every paid job not yet stamped, with the counter and amount of the sale that paid for it.
fn open_jobs(branch: &mut Branch) -> Result<Vec<OpenJob>, LoketError> {
    let jobs = branch.stamping().jobs(&JobFilter::OpenPaid)?;
    let mut out = Vec::with_capacity(jobs.len());
    for v in jobs {
        let sale = match v.sale_id {
            Some(id) => Some(branch.till().sale(id)?),
            None => None,
        };
        let paid = sale.as_ref().and_then(|s| {
            Rupiah::sum(
                s.lines
                    .iter()
                    .filter(|l| l.job == Some(v.id.get()))
                    .map(|l| l.amount),
            )
            .ok()
        });
        out.push(OpenJob {
            id: v.id.get(),
            ticket: v.ticket,
            document: v.document_name,
            held: v.state == crate::stamping::State::Held,
            next_attempt_ms: v.next_attempt_ms,
            attempts: v.attempts,
            // A locked document waiting for its password says so (it never failed: it waits).
            reason: if v.locked && v.last_error.is_none() {
                Some(v.message)
            } else {
                v.last_error
            },
            counter: sale.as_ref().map(|s| s.counter),
            paid,
        });
    }
    Ok(out)
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
    settle(branch, job, choice, counter, supervisor, pin, reason).map_err(|e| words(&e))
}

fn settle(
    branch: &mut Branch,
    job: i64,
    choice: Settle,
    counter: u32,
    supervisor: &str,
    pin: &str,
    reason: &str,
) -> Result<Settled, LoketError> {
    // Settled elsewhere meanwhile (another console, the CLI, or stamped by the worker) is refused
    // by the service before the supervisor's approval is recorded for nothing.
    let sale = branch
        .stamping()
        .job(crate::stamping::JobId(job))?
        .sale_id
        .ok_or(StampingError::NotQuoted(crate::stamping::JobId(job)))?;
    let refunded_before = branch.till().sale(sale)?.refunded;
    branch.stamping().settle_job_approved(
        crate::stamping::JobId(job),
        choice,
        crate::queue::CounterNo(counter),
        supervisor,
        supervisor,
        pin,
        reason,
    )?;
    Ok(match choice {
        Settle::NewSerial => Settled::NewSerial,
        Settle::Refund(method) => {
            let refunded = branch.till().sale(sale)?.refunded;
            Settled::Refunded {
                amount: refunded.checked_sub(refunded_before).unwrap_or(refunded),
                method,
                counter,
            }
        }
    })
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

/// Everything left half-done now, oldest first (the daily pack's "belum selesai" list), each with
/// where it stands: what has been paid on a sale, the state of a job.
pub fn unfinished(branch: &mut Branch) -> Result<Vec<UnfinishedRow>, LoketError> {
    let items = branch.till().unfinished()?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let subject = Subject::from(item.subject);
        let (kind, document, sn) = match subject {
            Subject::Sale(id) => {
                let s = branch.till().sale(id)?;
                (
                    UnfinishedKind::Sale {
                        total: s.total,
                        paid: s.paid,
                    },
                    None,
                    None,
                )
            }
            Subject::Job(id) => {
                let j = branch.stamping().job(crate::stamping::JobId(id))?;
                (UnfinishedKind::Job(j.state), Some(j.document_name), j.sn)
            }
        };
        out.push(UnfinishedRow {
            subject,
            kind,
            item,
            document,
            sn,
        });
    }
    Ok(out)
}

/// A supervisor acts on a half-done thing with their own approval, asked for here from their PIN:
/// moves the visit that holds it to another counter (`visit.move` on the ticket), cancels what
/// nothing was paid for (`stamping.cancel` on the job, `sale.void` on the sale), or voids a
/// half-paid sale, giving every tender back (`sale.void`). What it is now is read again first, so
/// an approval is never recorded for something that can no longer be done.
pub fn act_on_unfinished(
    branch: &mut Branch,
    subject: Subject,
    act: UnfinishedAct,
    supervisor: &str,
    pin: &str,
    reason: &str,
) -> Result<UnfinishedDone, String> {
    act_on(branch, subject, act, supervisor, pin, reason).map_err(|e| words(&e))
}

fn act_on(
    branch: &mut Branch,
    subject: Subject,
    act: UnfinishedAct,
    supervisor: &str,
    pin: &str,
    reason: &str,
) -> Result<UnfinishedDone, LoketError> {
    let refused = |e: UiError| Err(LoketError::Ui(e));
    let approve = |branch: &mut Branch, action: &str, on: &str| {
        branch
            .users()
            .approve(supervisor, pin, supervisor, action, on, reason)
            .map(|a| a.id)
            .map_err(LoketError::from)
    };
    match (act, subject) {
        (UnfinishedAct::Resume { to }, _) => {
            let (ticket, from) = match subject {
                Subject::Sale(id) => {
                    let s = branch.till().sale(id)?;
                    (s.ticket, Some(s.counter))
                }
                Subject::Job(id) => {
                    let j = branch.stamping().job(crate::stamping::JobId(id))?;
                    let counter = branch.stamping().job_counter(crate::stamping::JobId(id))?;
                    (j.ticket, counter)
                }
            };
            let (Some(ticket), Some(from)) = (ticket, from) else {
                return refused(UiError::NoVisitHolder);
            };
            let status = branch.queue().queue_status()?;
            let held = status
                .counters
                .iter()
                .find(|c| c.number == from)
                .and_then(|c| c.ticket.as_ref().map(ToString::to_string));
            if held.as_deref() != Some(ticket.as_str()) {
                return refused(UiError::NotHolding {
                    counter: from,
                    ticket: ticket.to_string(),
                });
            }
            // Said before the approval is recorded, so a refused move leaves no approval unused.
            if from == to {
                return refused(UiError::AlreadyThere {
                    ticket: ticket.to_string(),
                    counter: to,
                });
            }
            if let Some(busy) = status
                .counters
                .iter()
                .find(|c| c.number == to)
                .and_then(|c| c.ticket.as_ref())
            {
                return refused(UiError::CounterHolding {
                    counter: to,
                    ticket: busy.to_string(),
                });
            }
            let approval = approve(branch, "visit.move", &ticket)?;
            let ticket = branch.queue().move_visit(from, to, approval)?;
            Ok(UnfinishedDone::Moved { ticket, from, to })
        }
        (UnfinishedAct::Cancel, Subject::Job(id)) => {
            let state = branch.stamping().job(crate::stamping::JobId(id))?.state;
            if !matches!(
                state,
                crate::stamping::State::Received | crate::stamping::State::Placed
            ) {
                return refused(UiError::JobTooFar { job: id, state });
            }
            let approval = approve(
                branch,
                crate::stamping::service::ACTION_CANCEL,
                &crate::stamping::service::job_subject(crate::stamping::JobId(id)),
            )?;
            branch.stamping().cancel_job_approved(
                crate::stamping::JobId(id),
                approval,
                supervisor,
            )?;
            Ok(UnfinishedDone::JobCancelled(id))
        }
        (UnfinishedAct::Cancel | UnfinishedAct::Refund, Subject::Sale(id)) => {
            let sale = branch.till().sale(id)?;
            if sale.status != crate::till::SaleStatus::Open {
                return refused(UiError::SaleNotOpen {
                    sale: id,
                    status: sale.status_label.clone(),
                });
            }
            let paid = sale.paid.is_positive();
            if act == UnfinishedAct::Cancel && paid {
                return refused(UiError::SalePaid {
                    sale: id,
                    paid: sale.paid,
                });
            }
            if act == UnfinishedAct::Refund && !paid {
                return refused(UiError::SaleUnpaid { sale: id });
            }
            let approval = approve(
                branch,
                crate::till::actions::VOID,
                &crate::till::approval_subject_sale(id),
            )?;
            let out = branch.till().void_sale(
                id,
                crate::queue::CounterNo(sale.counter),
                supervisor,
                approval,
            )?;
            if out.open_drawer {
                // The cash goes back out of the drawer that took it; a drawer that stays shut is
                // the printer's matter, not a reason to undo the void.
                let _ = branch
                    .printing()
                    .open_drawer(crate::queue::CounterNo(sale.counter), supervisor);
            }
            Ok(UnfinishedDone::SaleVoided {
                sale: id,
                returned: out.reversed,
                counter: sale.counter,
            })
        }
        (UnfinishedAct::Refund, Subject::Job(id)) => {
            refused(UiError::JobRefundBySettle { job: id })
        }
    }
}
