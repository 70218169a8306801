//! Settling a job that will not be delivered: cancelled, or refunded through its sale line.

use super::StampingService;
use super::run::{new_request_id, request_number};
use super::{ACTION_CANCEL, ACTION_REISSUE, JobView, StampingError, apply_step, job_subject, load};
use crate::crash;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::stamping::job::JobId;
use crate::stamping::job::{JobError, State, Step};
use crate::stamping::ledger;
use crate::store::sql::{Connection, OptionalExtension};
use crate::store::{StoreError, Tx};
use crate::till::domain::{Method, RefundRequest};
use serde_json::json;

/// How a supervisor settles a job that failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Stamp again under a new serial, at no charge.
    NewSerial,
    /// Refund the job's sale line (approval for `sale.refund` on `sale/<id>`).
    Refund(Method),
}

/// The sale line paying for a job: (sale, line number, sale status), newest first; voided sales
/// and refunded lines do not count.
pub(super) fn paying_line(
    c: &Connection,
    job: JobId,
) -> crate::store::sql::Result<Option<(i64, u32, String)>> {
    c.query_row(
        "SELECT s.id, l.line_no, s.status FROM sale_lines l JOIN sales s ON s.id = l.sale
         WHERE l.job = ?1 AND l.kind = 'item' AND s.status != 'voided' AND l.refunded_qty < l.quantity
         ORDER BY s.id DESC, l.line_no DESC LIMIT 1",
        [job],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// What settling a paid job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The job is paid again under a new request: the stamping worker stamps it by itself.
    NewSerial,
    /// The job's sale line was refunded: `amount` went back by `method`, out of `counter`'s
    /// drawer when in cash.
    Refunded {
        amount: Rupiah,
        method: Method,
        counter: CounterNo,
    },
}

/// A settled job and what the settlement did.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub job: JobView,
    pub settled: Settled,
}

impl StampingService<'_> {
    /// The sale that bills a job (quoted, paid or partly paid), if any.
    pub fn job_sale(&mut self, job: JobId) -> Result<Option<crate::till::SaleId>, StampingError> {
        let found = self
            .store
            .read(|c| paying_line(c, job).map_err(StoreError::from))?;
        Ok((found.map(|(sale, _, _)| sale)).map(crate::till::SaleId))
    }

    /// What the claim receipt of a paid job that must wait says: the code the customer shows to
    /// collect (`<ticket>-J<job>`), the document's name and SHA-256, and what was paid for it.
    pub fn job_claim(
        &mut self,
        job: JobId,
        counter: CounterNo,
        clerk: &str,
    ) -> Result<crate::printing::ClaimData, StampingError> {
        let row = self.job_row(job)?;
        let paid: i64 = self.store.read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM sale_lines l
                 JOIN sales s ON s.id = l.sale WHERE l.job = ?1 AND s.status != 'voided'",
                [job],
                |r| r.get(0),
            )
            .map_err(StoreError::from)
        })?;
        Ok(crate::printing::ClaimData {
            counter: counter.get(),
            clerk: clerk.to_string(),
            ticket: row.job.ticket.clone(),
            claim_code: format!("{}-J{job}", row.job.ticket.as_deref().unwrap_or("TANPA")),
            document_name: row.job.document_name.clone(),
            sha256: row.job.document_sha256.clone(),
            stamps: 1,
            paid: crate::money::Rupiah::new(paid).to_string(),
            email: row.email.clone(),
            whatsapp: row.whatsapp.clone(),
            status_url: None,
        })
    }

    /// Cancels a job before payment.
    pub fn cancel_job(&mut self, job: JobId, clerk: &str) -> Result<JobView, StampingError> {
        self.store.write(|tx| {
            apply_step(tx, clerk, job, &Step::Cancel, json!({}))?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("cancelled");
        self.job(job)
    }

    /// A supervisor cancels a job left before payment (received or placed) with an approval for
    /// `stamping.cancel` on `job/<id>`: the approval is consumed and the job cancelled in one
    /// transaction, the journal entry naming who approved and why. A paid job is refused; its
    /// money comes back only by a settlement.
    pub fn cancel_job_approved(
        &mut self,
        job: JobId,
        approval: i64,
        clerk: &str,
    ) -> Result<JobView, StampingError> {
        self.store.write(|tx| {
            let ok =
                crate::users::consume_approval(tx, approval, ACTION_CANCEL, &job_subject(job))?;
            apply_step(
                tx,
                clerk,
                job,
                &Step::Cancel,
                json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("cancelled");
        self.job(job)
    }

    /// [`Branch::settle_failed_job`] with the supervisor's approval taken here, from their ID and
    /// PIN: for `stamping.reissue` on the job (a new serial) or `sale.refund` on its sale (a
    /// refund). A job that can no longer be settled is refused before any approval is recorded.
    /// The one path for the command line and the supervisor's console; says what the settlement
    /// did (a refund: how much went back, how, from which drawer).
    #[allow(clippy::too_many_arguments)]
    pub fn settle_job_approved(
        &mut self,
        job: JobId,
        choice: Settle,
        counter: CounterNo,
        requested_by: &str,
        supervisor: &str,
        pin: &str,
        reason: &str,
    ) -> Result<Settlement, StampingError> {
        let before = self.job(job)?;
        if !before.state.can_settle() {
            return Err(StampingError::Job(JobError::WrongState {
                id: job.get(),
                state: before.state,
            }));
        }
        let sale = before.sale_id.ok_or(StampingError::NotQuoted(job))?;
        let (action, subject) = match choice {
            Settle::NewSerial => (ACTION_REISSUE, job_subject(job)),
            Settle::Refund(_) => (
                crate::till::actions::REFUND,
                crate::till::approval_subject_sale(sale),
            ),
        };
        let approval = self.parts().users().approve(
            supervisor,
            pin,
            requested_by,
            action,
            &subject,
            reason,
        )?;
        let refunded_before = self.parts().till().sale(sale)?.refunded;
        let view = self.settle_failed_job(job, approval.id, choice, counter, requested_by)?;
        let settled = match choice {
            Settle::NewSerial => Settled::NewSerial,
            Settle::Refund(method) => {
                let refunded = self.parts().till().sale(sale)?.refunded;
                Settled::Refunded {
                    amount: refunded.checked_sub(refunded_before).unwrap_or(refunded),
                    method,
                    counter,
                }
            }
        };
        Ok(Settlement { job: view, settled })
    }

    /// A paid job a person settles, held or still waiting: a new serial at no charge (approval for
    /// `stamping.reissue` on `job/<id>`), or a refund of its sale line (approval for `sale.refund`
    /// on `sale/<id>`, the cashier's rule). A serial already issued to the job and not yet spoiled
    /// is recorded as spoiled (claimable) in the same transaction as the job's move.
    pub fn settle_failed_job(
        &mut self,
        job: JobId,
        approval: i64,
        choice: Settle,
        counter: CounterNo,
        clerk: &str,
    ) -> Result<JobView, StampingError> {
        let row = self.job_row(job)?;
        if !row.job.state.can_settle() {
            return Err(StampingError::Job(JobError::WrongState {
                id: job.get(),
                state: row.job.state,
            }));
        }
        let issued_sn = match (row.job.state, &row.job.sn) {
            (State::SerialIssued, Some(sn)) => Some(sn.clone()),
            _ => None,
        };
        let spoil = |tx: &mut Tx<'_>, by: &str| -> Result<(), StampingError> {
            if let Some(sn) = &issued_sn {
                // Only this job's own serial; the documents kept in the shared folder no longer
                // matter once the job is settled.
                ledger::mark_spoiled(tx, sn, &format!("settled by {by} before stamping"))?;
            }
            Ok(())
        };
        match choice {
            Settle::NewSerial => {
                let request_id =
                    new_request_id(job, request_number(row.job.request_id.as_deref()) + 1);
                self.store.write(|tx| {
                    let ok = crate::users::consume_approval(
                        tx,
                        approval,
                        ACTION_REISSUE,
                        &job_subject(job),
                    )?;
                    spoil(tx, &ok.supervisor)?;
                    tx.execute(
                        "UPDATE stamp_jobs SET sn_requested_ms = NULL, stamp_image = NULL, handle = NULL WHERE id = ?1",
                        [job],
                    )?;
                    apply_step(
                        tx,
                        clerk,
                        job,
                        &Step::Reissue {
                            new_request_id: request_id.clone(),
                        },
                        json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "request_id": request_id}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
            }
            Settle::Refund(method) => {
                self.parts()
                    .till()
                    .check_counter(counter.get())
                    .map_err(StampingError::from)?;
                self.store.write(|tx| {
                    let row = load(tx, job)?;
                    let sale = row.job.sale_id.ok_or(StampingError::NotQuoted(job))?;
                    spoil(tx, clerk)?;
                    // The refund and the job's move to `refunded` commit together: neither is ever
                    // on disk without the other. A line already refunded (by a version that did
                    // this in two steps) is not refunded again; the job just moves.
                    let refund = match paying_line(tx, job)? {
                        Some((s, no, _)) => Some(
                            crate::till::refund_in(
                                tx,
                                s,
                                counter.get(),
                                clerk,
                                &RefundRequest::Lines(vec![(no, 1)]),
                                method,
                                approval,
                            )?
                            .refund,
                        ),
                        None => None,
                    };
                    apply_step(
                        tx,
                        clerk,
                        job,
                        &Step::Refund,
                        json!({"sale": sale, "approval": approval, "method": method.as_str(), "refund": refund}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
                crash::point("refunded");
            }
        }
        self.job(job)
    }
}
