//! A customer's e-Meterai visit read back from the store, for a counter that reopens it (after a
//! crash, a restart, or a move from another counter): its job, what was paid on its sale, and the
//! step it stands at.

use super::{JobOutput, JobView, StampingError, StampingService};
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::stamping::State;
use crate::till::Method;
use std::path::PathBuf;

/// The step a reopened visit stands at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStep {
    /// The bill is not paid in full yet (some tenders may be taken).
    Pay,
    /// The job is paid and waits for its stamp (or a supervisor's decision).
    StampPaidJob,
    /// The bill is paid in full; the job has not been marked paid yet.
    StampPaidSale,
    /// Stamped and not handed over yet.
    Deliver,
    /// Handed over; only the ticket is left to finish.
    Done,
}

/// Where a reopened visit stands.
#[derive(Debug, Clone)]
pub struct VisitResume {
    pub job: JobView,
    /// The sale that bills the job.
    pub sale: i64,
    /// Where the received document is kept.
    pub document: PathBuf,
    /// Each tender taken, as it was taken (cash: what the customer handed over).
    pub tenders: Vec<(Method, Rupiah)>,
    /// The change given back on the tenders.
    pub change: Rupiah,
    pub paid_in_full: bool,
    pub step: VisitStep,
    /// The stamped document, once stamped.
    pub output: Option<JobOutput>,
    /// The document is locked and this process does not hold its password.
    pub locked: bool,
}

impl StampingService<'_> {
    /// The e-Meterai visit of `ticket` that counter `counter` holds, read back from the store.
    /// `None` when it has no job, or a job without a bill: nothing was paid, so the clerk takes the
    /// document again; such a job (received or placed) is cancelled here, so a visit never holds
    /// two jobs for one document.
    pub fn resume_visit(
        &mut self,
        counter: CounterNo,
        ticket: &str,
        clerk: &str,
    ) -> Result<Option<VisitResume>, StampingError> {
        let Some(job) = self.visit_job(counter, ticket)? else {
            return Ok(None);
        };
        let Some(sale) = job.sale_id.or(self.job_sale(job.id)?) else {
            if matches!(job.state, State::Received | State::Placed) {
                self.cancel_job(job.id, clerk)?;
            }
            return Ok(None);
        };
        let document = self.job_document_path(job.id)?;
        let view = self.parts().till().sale(sale)?;
        let tenders: Vec<(Method, Rupiah)> = view
            .payments
            .iter()
            .filter(|p| p.kind == "payment")
            .map(|p| (p.method, p.tendered.unwrap_or(p.amount)))
            .collect();
        let change = view
            .payments
            .iter()
            .filter_map(|p| p.change)
            .fold(Rupiah::ZERO, |a, c| a.checked_add(c).unwrap_or(a));
        let paid_in_full = !view.due.is_positive() && !tenders.is_empty();
        let step = match job.state {
            State::Delivered => VisitStep::Done,
            State::Stamped => VisitStep::Deliver,
            State::Paid | State::SerialIssued | State::Held => VisitStep::StampPaidJob,
            _ if paid_in_full => VisitStep::StampPaidSale,
            _ => VisitStep::Pay,
        };
        let output = match step {
            VisitStep::Deliver | VisitStep::Done => Some(self.job_output(job.id)?),
            _ => None,
        };
        let locked = self.job_needs_password(job.id)?;
        Ok(Some(VisitResume {
            job,
            sale: sale.get(),
            document,
            tenders,
            change,
            paid_in_full,
            step,
            output,
            locked,
        }))
    }
}
