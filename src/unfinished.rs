//! Unfinished work: what is left half-done across the branch (the daily pack's "belum selesai"
//! list), where each thing stands, and what a supervisor may do to it with their own approval —
//! move the visit that holds it to another counter, cancel what nothing was paid for, or void a
//! half-paid sale. Every rule is checked on what the thing is now, before an approval is recorded,
//! so an approval is never spent on something that can no longer be done.

use crate::money::Rupiah;
use crate::queue::{CounterNo, QueueError};
use crate::stamping::{JobId, StampingError};
use crate::store::StoreError;
use crate::till::{Method, SaleId, TillError};
use crate::users::UserError;

pub use crate::report::pack::{Subject, Unfinished};

crate::branch::service!(
    /// Unfinished work: the half-done list with where each thing stands, and a supervisor's
    /// actions on it.
    UnfinishedService,
    unfinished
);

/// What a supervisor does to a half-done thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Move the visit holding it to counter `to` (`visit.move`), where it reopens at its step.
    Resume { to: CounterNo },
    /// Cancel what nothing was paid for: a job before payment (`job.cancel`), a sale with no
    /// tender (`sale.void`).
    Cancel,
    /// Void a half-paid sale (`sale.void`): every tender taken goes back to the customer.
    Refund,
}

/// How a supervisor's action on a half-done thing went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Moved {
        ticket: String,
        from: CounterNo,
        to: CounterNo,
    },
    JobCancelled(JobId),
    /// The sale was voided; what went back to the customer, by method, out of `counter`'s drawer.
    SaleVoided {
        sale: SaleId,
        returned: Vec<(Method, Rupiah)>,
        counter: CounterNo,
    },
}

/// Where a half-done thing stands, for the keys that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An open sale, its total and what has been paid on it so far.
    Sale {
        total: Rupiah,
        paid: Rupiah,
    },
    Job(crate::stamping::State),
}

/// One half-done thing: the daily pack's line and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub subject: Subject,
    pub kind: Kind,
    /// Counter, clerk, ticket and age, as the daily pack lists it.
    pub item: Unfinished,
    /// A job's document name and serial number, once issued.
    pub document: Option<String>,
    pub sn: Option<String>,
}

/// What listing or acting on unfinished work can fail with. The refusals are checked before any
/// approval is recorded.
#[derive(Debug, thiserror::Error)]
pub enum UnfinishedError {
    Store(#[from] StoreError),
    Queue(#[source] QueueError),
    Till(#[source] TillError),
    Stamping(#[source] StampingError),
    User(#[source] UserError),
    /// The visit has no ticket or no counter holding it.
    NoVisitHolder,
    /// The counter the visit was at no longer holds its ticket.
    NotHolding {
        counter: CounterNo,
        ticket: String,
    },
    /// The visit is already at the counter it was to move to.
    AlreadyThere {
        ticket: String,
        counter: CounterNo,
    },
    /// The counter to move to is serving another ticket.
    CounterHolding {
        counter: CounterNo,
        ticket: String,
    },
    /// A job past placement cannot be cancelled, only refunded.
    JobTooFar {
        job: JobId,
        state: crate::stamping::State,
    },
    /// The sale is no longer open (its status label).
    SaleNotOpen {
        sale: SaleId,
        status: String,
    },
    /// A paid sale is refunded, not cancelled.
    SalePaid {
        sale: SaleId,
        paid: Rupiah,
    },
    /// An unpaid sale has nothing to refund.
    SaleUnpaid {
        sale: SaleId,
    },
    /// A job's money comes back through settling the paid job.
    JobRefundBySettle {
        job: JobId,
    },
}

// A store failure stays a store failure whichever service met it.
macro_rules! from_service {
    ($($variant:ident($error:ident)),*) => {$(
        impl From<$error> for UnfinishedError {
            fn from(e: $error) -> Self {
                match e {
                    $error::Store(s) => UnfinishedError::Store(s),
                    other => UnfinishedError::$variant(other),
                }
            }
        }
    )*};
}
from_service!(
    Queue(QueueError),
    Till(TillError),
    Stamping(StampingError),
    User(UserError)
);

impl UnfinishedService<'_> {
    /// Everything left half-done now, oldest first (the daily pack's "belum selesai" list).
    pub fn items(&mut self) -> Result<Vec<Unfinished>, StoreError> {
        self.store.read(crate::report::pack::unfinished)
    }

    /// What counter `counter` left half-done, one line each (this counter's belum selesai list).
    pub fn lines_at(&mut self, counter: CounterNo) -> Result<Vec<String>, StoreError> {
        let tz = self.config.branch.timezone;
        Ok(self
            .items()?
            .iter()
            .filter(|u| u.counter == Some(counter.get()))
            .map(|u| crate::report::text::unfinished_line(u, tz))
            .collect())
    }

    /// Everything left half-done now, oldest first, each with where it stands: what has been paid
    /// on a sale, the state of a job.
    pub fn list(&mut self) -> Result<Vec<Row>, UnfinishedError> {
        let items = self.items()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let subject = item.subject;
            let (kind, document, sn) = match subject {
                Subject::Sale(id) => {
                    let s = self.parts().till().sale(id)?;
                    (
                        Kind::Sale {
                            total: s.total,
                            paid: s.paid,
                        },
                        None,
                        None,
                    )
                }
                Subject::Job(id) => {
                    let j = self.parts().stamping().job(id)?;
                    (Kind::Job(j.state), Some(j.document_name), j.sn)
                }
            };
            out.push(Row {
                subject,
                kind,
                item,
                document,
                sn,
            });
        }
        Ok(out)
    }

    /// A supervisor acts on a half-done thing with their own approval, asked for here from their
    /// PIN: moves the visit that holds it to another counter (`visit.move` on the ticket), cancels
    /// what nothing was paid for (`stamping.cancel` on the job, `sale.void` on the sale), or voids
    /// a half-paid sale, giving every tender back (`sale.void`). What it is now is read again
    /// first, so an approval is never recorded for something that can no longer be done.
    pub fn act(
        &mut self,
        subject: Subject,
        act: Act,
        supervisor: &str,
        pin: &str,
        reason: &str,
    ) -> Result<Done, UnfinishedError> {
        let approve = |this: &mut Self, action: &str, on: &str| {
            this.parts()
                .users()
                .approve(supervisor, pin, supervisor, action, on, reason)
                .map(|a| a.id)
                .map_err(UnfinishedError::from)
        };
        match (act, subject) {
            (Act::Resume { to }, _) => {
                let (ticket, from) = self.holder(subject)?;
                let (Some(ticket), Some(from)) = (ticket, from) else {
                    return Err(UnfinishedError::NoVisitHolder);
                };
                self.check_move(&ticket, from, to)?;
                let approval = approve(self, "visit.move", &ticket)?;
                let ticket = self.parts().queue().move_visit(from, to, approval)?;
                Ok(Done::Moved { ticket, from, to })
            }
            (Act::Cancel, Subject::Job(id)) => {
                let state = self.parts().stamping().job(id)?.state;
                if !matches!(
                    state,
                    crate::stamping::State::Received | crate::stamping::State::Placed
                ) {
                    return Err(UnfinishedError::JobTooFar { job: id, state });
                }
                let approval = approve(
                    self,
                    crate::stamping::service::ACTION_CANCEL,
                    &crate::stamping::service::job_subject(id),
                )?;
                self.parts()
                    .stamping()
                    .cancel_job_approved(id, approval, supervisor)?;
                Ok(Done::JobCancelled(id))
            }
            (Act::Cancel | Act::Refund, Subject::Sale(id)) => {
                let sale = self.parts().till().sale(id)?;
                if sale.status != crate::till::SaleStatus::Open {
                    return Err(UnfinishedError::SaleNotOpen {
                        sale: id,
                        status: sale.status_label.clone(),
                    });
                }
                let paid = sale.paid.is_positive();
                if act == Act::Cancel && paid {
                    return Err(UnfinishedError::SalePaid {
                        sale: id,
                        paid: sale.paid,
                    });
                }
                if act == Act::Refund && !paid {
                    return Err(UnfinishedError::SaleUnpaid { sale: id });
                }
                let approval = approve(
                    self,
                    crate::till::actions::VOID,
                    &crate::till::approval_subject_sale(id),
                )?;
                let counter = CounterNo(sale.counter);
                let out = self
                    .parts()
                    .till()
                    .void_sale(id, counter, supervisor, approval)?;
                if out.open_drawer {
                    // The cash goes back out of the drawer that took it; a drawer that stays shut
                    // is the printer's matter, not a reason to undo the void.
                    let _ = self.parts().printing().open_drawer(counter, supervisor);
                }
                Ok(Done::SaleVoided {
                    sale: id,
                    returned: out.reversed,
                    counter,
                })
            }
            (Act::Refund, Subject::Job(job)) => Err(UnfinishedError::JobRefundBySettle { job }),
        }
    }

    /// The ticket of the visit a half-done thing belongs to, and the counter it was at.
    fn holder(
        &mut self,
        subject: Subject,
    ) -> Result<(Option<String>, Option<CounterNo>), UnfinishedError> {
        Ok(match subject {
            Subject::Sale(id) => {
                let s = self.parts().till().sale(id)?;
                (s.ticket, Some(CounterNo(s.counter)))
            }
            Subject::Job(id) => {
                let j = self.parts().stamping().job(id)?;
                let counter = self.parts().stamping().job_counter(id)?;
                (j.ticket, counter.map(CounterNo))
            }
        })
    }

    /// Whether the visit of `ticket` can move from counter `from` to `to` now: `from` still holds
    /// it and `to` is another counter that holds nothing. Said before the approval is recorded, so
    /// a refused move leaves no approval unused.
    fn check_move(
        &mut self,
        ticket: &str,
        from: CounterNo,
        to: CounterNo,
    ) -> Result<(), UnfinishedError> {
        let status = self.parts().queue().queue_status()?;
        let held = status
            .counters
            .iter()
            .find(|c| c.number == from.get())
            .and_then(|c| c.ticket.as_ref().map(ToString::to_string));
        if held.as_deref() != Some(ticket) {
            return Err(UnfinishedError::NotHolding {
                counter: from,
                ticket: ticket.to_string(),
            });
        }
        if from == to {
            return Err(UnfinishedError::AlreadyThere {
                ticket: ticket.to_string(),
                counter: to,
            });
        }
        if let Some(busy) = status
            .counters
            .iter()
            .find(|c| c.number == to.get())
            .and_then(|c| c.ticket.as_ref())
        {
            return Err(UnfinishedError::CounterHolding {
                counter: to,
                ticket: busy.to_string(),
            });
        }
        Ok(())
    }
}
