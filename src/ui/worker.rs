//! The worker thread: owns its own `Branch` on the data folder, carries out effects one at a time
//! through `Branch` methods (the screens run no SQL of their own) and sends what happened back to
//! the event loop as actions.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::queue::TicketNo;
use crate::ui::console_worker as console;
use crate::ui::state::{Action, Effect, Outcome, QueueOp};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// A handle to the running worker; dropping the sender ends it.
#[derive(Debug)]
pub struct Worker {
    effects: Option<Sender<Effect>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker on `branch`; results go to `actions`.
    pub fn spawn(branch: Branch, actions: Sender<Action>) -> std::io::Result<Worker> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("loket-ui-worker".into())
            .spawn(move || serve(branch, rx, actions))?;
        Ok(Worker {
            effects: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues an effect; returns false when the worker has gone.
    pub fn send(&self, effect: Effect) -> bool {
        self.effects
            .as_ref()
            .is_some_and(|t| t.send(effect).is_ok())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.effects.take();
        if let Some(t) = self.thread.take() {
            // The worker finishes the effect it is on (a transaction is never cut halfway).
            let _ = t.join();
        }
    }
}

fn serve(mut branch: Branch, effects: Receiver<Effect>, actions: Sender<Action>) {
    while let Ok(effect) = effects.recv() {
        let mut report = |o: Outcome| {
            let _ = actions.send(Action::Worker(o));
        };
        if let Some(outcome) = run_reporting(&mut branch, effect, &mut report)
            && actions.send(Action::Worker(outcome)).is_err()
        {
            break;
        }
    }
}

/// An engine refusal as a sentence for the screen: capital first letter, full stop at the end.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn words(e: &dyn std::fmt::Display) -> String {
    sentence(&e.to_string())
}

/// Carries out one effect on the branch, dropping progress reports.
pub fn run(branch: &mut Branch, effect: Effect) -> Option<Outcome> {
    run_reporting(branch, effect, &mut |_| {})
}

/// Carries out one effect on the branch; long work (stamping, copying) sends progress to `report`
/// before the final outcome is returned.
pub fn run_reporting(
    branch: &mut Branch,
    effect: Effect,
    report: &mut dyn FnMut(Outcome),
) -> Option<Outcome> {
    Some(match effect {
        Effect::Flow(e) => return crate::ui::flow_worker::run(branch, e, report),
        Effect::Startup => {
            let list = branch.users().list().unwrap_or_default();
            Outcome::Started {
                users: list.len(),
                demo: list
                    .iter()
                    .any(|u| u.id == "petugas" && u.name == crate::ui::DEMO_CLERK_NAME),
            }
        }
        Effect::Authenticate { id, pin } => match branch.users().authenticate(&id, &pin) {
            Ok(user) => Outcome::LoggedIn(user),
            Err(e) => Outcome::LoginRefused(sentence(&e.to_string())),
        },
        Effect::LoadApprovals => Outcome::Approvals(
            branch
                .users()
                .approvals_today()
                .map_err(|e| words(&LoketError::from(e))),
        ),
        Effect::LoadDaily => {
            Outcome::Daily(crate::ui::view::daily::load(branch).map_err(|e| words(&e)))
        }
        Effect::LoadStatus => match branch.queue().queue_status() {
            Ok(status) => Outcome::Status(Box::new(status)),
            Err(e) => Outcome::StatusFailed(words(&e)),
        },
        Effect::Queue { counter, clerk, op } => {
            let result = queue_op(branch, counter, &clerk, &op).map_err(|e| words(&e));
            Outcome::Queue { op, result }
        }
        Effect::Reactivate {
            ticket,
            supervisor,
            pin,
            reason,
            requested_by,
        } => {
            // The approval names the ticket as written everywhere; text that is not a ticket
            // number is refused after the PIN is checked, as before.
            let no = ticket.parse::<TicketNo>();
            let subject = no.as_ref().map_or(ticket, ToString::to_string);
            let result = branch
                .users()
                .approve(
                    &supervisor,
                    &pin,
                    &requested_by,
                    "ticket.reactivate",
                    &subject,
                    &reason,
                )
                .map_err(LoketError::from)
                .and_then(|approval| Ok(branch.queue().reactivate(&no?, approval.id)?))
                .map(|()| subject)
                .map_err(|e| words(&e));
            Outcome::Reactivated(result)
        }
        Effect::LoadEmeterai => Outcome::Emeterai(
            console::emeterai(branch)
                .map(Box::new)
                .map_err(|e| words(&e)),
        ),
        Effect::LoadOutbox => Outcome::Outbox(console::outbox(branch).map_err(|e| words(&e))),
        Effect::LoadDrawers => Outcome::Drawers(
            console::drawers(branch)
                .map(Box::new)
                .map_err(|e| words(&e)),
        ),
        Effect::RetryMail { id, actor } => {
            Outcome::ConsoleDone(console::retry_mail(branch, &actor, id))
        }
        Effect::ReprintZ { number, actor: _ } => {
            Outcome::ConsoleDone(console::reprint_z(branch, number))
        }
        Effect::SettleJob {
            job,
            choice,
            counter,
            supervisor,
            pin,
            reason,
        } => Outcome::Settled {
            job,
            result: console::settle_job(branch, job, choice, counter, &supervisor, &pin, &reason),
        },
        Effect::LoadUnfinished => {
            Outcome::Unfinished(console::unfinished(branch).map_err(|e| words(&e)))
        }
        Effect::Unfinished {
            subject,
            act,
            supervisor,
            pin,
            reason,
        } => Outcome::UnfinishedDone {
            subject,
            result: console::act_on_unfinished(branch, subject, act, &supervisor, &pin, &reason),
        },
        Effect::LoadHealth => Outcome::Health {
            server: branch.store_mut().server_health(),
            emeterai: console::service_health(branch),
            outbox: console::outbox_counts(branch).map_err(|e| words(&e)),
            backup: Some(branch.backup_check()),
            dispenser: crate::dispenser::running(branch.data_dir()),
        },
        Effect::LoadTill { counter } => {
            Outcome::Till(console::till_state(branch, counter).map_err(|e| words(&e)))
        }
        Effect::OpenTill {
            counter,
            clerk,
            count,
        } => {
            let result = console::open_till(branch, counter, &clerk, &count);
            crate::ui::flow_worker::printer_state(branch, counter, report);
            Outcome::TillOpened(result)
        }
        Effect::Bell | Effect::Quit => return None,
    })
}

fn queue_op(
    branch: &mut Branch,
    counter: u32,
    clerk: &str,
    op: &QueueOp,
) -> Result<Option<crate::queue::CallView>, LoketError> {
    Ok(match op {
        QueueOp::CallNext => branch
            .queue()
            .call_next(crate::queue::CounterNo(counter), clerk)?,
        QueueOp::CallTicket(t) => Some(branch.queue().call_ticket(
            crate::queue::CounterNo(counter),
            clerk,
            &t.parse()?,
        )?),
        QueueOp::Step(step) => Some(branch.queue().counter_step(
            crate::queue::CounterNo(counter),
            clerk,
            *step,
        )?),
        QueueOp::Transfer { to, to_counter } => Some(branch.queue().transfer(
            crate::queue::CounterNo(counter),
            clerk,
            to,
            *to_counter,
        )?),
        QueueOp::WalkIn(service) => Some(branch.queue().walk_in(
            crate::queue::CounterNo(counter),
            clerk,
            service,
        )?),
        QueueOp::SetState { state, reason } => {
            branch.queue().set_counter_state(
                crate::queue::CounterNo(counter),
                clerk,
                *state,
                reason.as_deref(),
            )?;
            None
        }
        QueueOp::Unpark(t) => {
            branch.queue().unpark(clerk, &t.parse()?)?;
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn refusals_become_sentences() {
        let check = |raw: &str, want: &str| assert_eq!(sentence(raw), want, "{raw:?}");
        check(
            "loket 1 tutup; buka loket dulu",
            "Loket 1 tutup; buka loket dulu.",
        );
        check("PIN harus 4–12 angka", "PIN harus 4–12 angka.");
        check("sudah berakhir.", "Sudah berakhir.");
        check("  apa?  ", "Apa?");
        check("", "");
    }
}
