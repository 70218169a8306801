//! Money given back: voids, tenders returned before a sale is paid, and refunds of paid sales.

use super::TillService;
use super::qris_codes::expire_qris_codes;
use super::z::expected_cash;
use super::{
    SaleView, approval_subject_sale, cash_session, drawer_open, load_sale, movement,
    optional_session, sale_view,
};
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::store::Tx;
use crate::store::sql::params;
use crate::till::SaleId;
use crate::till::domain::{Method, MoveKind, RefundRequest, SaleStatus};
use crate::till::{TillError, actions};
use crate::users;
use serde::Serialize;
use serde_json::json;

/// Why a sale given back at the counter before it was paid in full is closed.
pub const RETURNED_BEFORE_PAID: &str = "uang dikembalikan sebelum lunas";

/// Voids `sale` inside `tx`: every settled tender is reversed in the payments and the drawer ledger
/// (cash out of `counter`'s open drawer, refused when the drawer holds less), pending QRIS codes
/// are cancelled and the sale is marked voided for `reason`. Returns what was given back, the
/// drawer session and whether the drawer opens.
#[allow(clippy::type_complexity)]
fn void_in(
    tx: &Tx<'_>,
    sale: i64,
    counter: u32,
    clerk: &str,
    reason: &str,
    approval: Option<&users::Approval>,
) -> Result<(Vec<(Method, Rupiah)>, Option<i64>, bool), TillError> {
    let now = tx.now_ms();
    let (_, s) = load_sale(tx, sale, now)?;
    let plan = s.plan_void()?;
    let has_cash = plan.reversals.iter().any(|(m, _)| *m == Method::Cash);
    let session = if has_cash {
        Some(cash_session(tx, counter)?)
    } else {
        optional_session(tx, counter)?
    };
    if let (Some(session), Some((_, cash))) = (
        session,
        plan.reversals.iter().find(|(m, _)| *m == Method::Cash),
    ) {
        let in_drawer = expected_cash(tx, session)?;
        if *cash > in_drawer {
            return Err(TillError::NotEnoughCash {
                asked: *cash,
                in_drawer,
            });
        }
    }
    for (method, amount) in &plan.reversals {
        tx.execute(
            "INSERT INTO payments (sale, session, at_ms, kind, method, amount, clerk) VALUES (?1, ?2, ?3, 'void', ?4, ?5, ?6)",
            params![sale, session, now, method.as_str(), amount, clerk],
        )?;
        let back = amount.checked_neg().map_err(TillError::from)?;
        movement(
            tx,
            session,
            counter,
            MoveKind::Void,
            *method,
            back,
            Some(sale),
            Some(reason),
            clerk,
            approval,
        )?;
    }
    tx.execute(
        "UPDATE qris_payments SET state = 'cancelled', ended_ms = ?2 WHERE sale = ?1 AND state IN ('created', 'shown')",
        params![sale, now],
    )?;
    tx.execute(
        "UPDATE sales SET status = 'voided', voided_ms = ?2, void_reason = ?3, void_approval = ?4 WHERE id = ?1",
        params![sale, now, reason, approval.map(|a| a.id)],
    )?;
    if has_cash {
        drawer_open(
            tx,
            counter,
            session,
            clerk,
            "void",
            Some(sale),
            Some(reason),
            approval,
        )?;
    }
    Ok((plan.reversals, session, has_cash))
}

#[derive(Debug, Clone, Serialize)]
pub struct VoidOutcome {
    pub sale: SaleView,
    /// Given back per method.
    pub reversed: Vec<(Method, Rupiah)>,
    pub supervisor: String,
    pub open_drawer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefundOutcome {
    pub sale: SaleView,
    pub refund: i64,
    pub method: Method,
    pub amount: Rupiah,
    pub supervisor: String,
    pub open_drawer: bool,
}

impl TillService<'_> {
    /// Voids a sale (open, or paid and not refunded) with a supervisor's approval for `sale.void`
    /// on `sale/<id>`: every settled tender is given back, pending QRIS codes are cancelled.
    /// Cash given back comes out of the drawer of `counter`.
    pub fn void_sale(
        &mut self,
        sale: SaleId,
        counter: CounterNo,
        clerk: &str,
        approval: i64,
    ) -> Result<VoidOutcome, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let ok = users::consume_approval(tx, approval, actions::VOID, &approval_subject_sale(sale))?;
            let (reversed, session, open_drawer) = void_in(tx, sale.get(), counter.get(), clerk, &ok.reason, Some(&ok))?;
            tx.journal(Entry::new(
                clerk,
                "sale.voided",
                approval_subject_sale(sale),
                json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "reversed": reversed, "session": session, "open_drawer": open_drawer}),
            ))?;
            Ok(VoidOutcome {
                sale: sale_view(tx, sale.get(), tx.now_ms())?,
                reversed,
                supervisor: ok.supervisor,
                open_drawer,
            })
        })
    }

    /// Gives back what was taken on a sale that is not paid in full, when the customer leaves the
    /// payment half-way: every settled tender is reversed (cash out of `counter`'s drawer, which
    /// opens), pending QRIS codes are cancelled, and the sale is closed as voided with the reason
    /// "uang dikembalikan sebelum lunas". Nothing was sold, so no approval is asked; the journal
    /// (`sale.tenders_returned`), the drawer ledger and the Z report show it. A paid sale is refused:
    /// its money comes back only by a supervisor's void or refund.
    pub fn return_tenders(
        &mut self,
        sale: SaleId,
        counter: CounterNo,
        clerk: &str,
    ) -> Result<VoidOutcome, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let (_, s) = load_sale(tx, sale.get(), tx.now_ms())?;
            if s.status != SaleStatus::Open {
                return Err(TillError::ReturnAfterPaid(sale.get()));
            }
            let (reversed, session, open_drawer) = void_in(
                tx,
                sale.get(),
                counter.get(),
                clerk,
                RETURNED_BEFORE_PAID,
                None,
            )?;
            tx.journal(Entry::new(
                clerk,
                "sale.tenders_returned",
                approval_subject_sale(sale),
                json!({"reversed": reversed, "session": session, "open_drawer": open_drawer}),
            ))?;
            Ok(VoidOutcome {
                sale: sale_view(tx, sale.get(), tx.now_ms())?,
                reversed,
                supervisor: String::new(),
                open_drawer,
            })
        })
    }

    /// Refunds lines (or quantities of them) of a paid sale with a supervisor's approval for
    /// `sale.refund` on `sale/<id>`, never more than was paid for a line. Cash comes out of the
    /// drawer of `counter`.
    pub fn refund_sale(
        &mut self,
        sale: SaleId,
        counter: CounterNo,
        clerk: &str,
        request: &RefundRequest,
        method: Method,
        approval: i64,
    ) -> Result<RefundOutcome, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            refund_in(
                tx,
                sale.get(),
                counter.get(),
                clerk,
                request,
                method,
                approval,
            )
        })
    }
}

/// The refund of `refund_sale` inside a caller's transaction, so that a caller can commit it
/// together with its own change (the stamping service refunds a failed job's line and moves the
/// job to `refunded` in one commit). The caller checks `counter` exists.
#[allow(clippy::too_many_arguments)]
pub(crate) fn refund_in(
    tx: &mut Tx<'_>,
    sale: i64,
    counter: u32,
    clerk: &str,
    request: &RefundRequest,
    method: Method,
    approval: i64,
) -> Result<RefundOutcome, TillError> {
    let now = tx.now_ms();
    let (_, s) = load_sale(tx, sale, now)?;
    let plan = s.plan_refund(request, method)?;
    let ok = users::consume_approval(
        tx,
        approval,
        actions::REFUND,
        &approval_subject_sale(crate::till::SaleId(sale)),
    )?;
    let session = if method == Method::Cash {
        Some(cash_session(tx, counter)?)
    } else {
        optional_session(tx, counter)?
    };
    if let (Method::Cash, Some(session)) = (method, session) {
        let in_drawer = expected_cash(tx, session)?;
        if plan.amount > in_drawer {
            return Err(TillError::NotEnoughCash {
                asked: plan.amount,
                in_drawer,
            });
        }
    }
    let refund: i64 = tx.query_row(
            "INSERT INTO refunds (sale, session, at_ms, method, amount, reason, approval, supervisor, clerk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            params![sale, session, now, method.as_str(), plan.amount, ok.reason, ok.id, ok.supervisor, clerk],
            |r| r.get(0),
        )?;
    for (no, qty, amount) in &plan.lines {
        let line_id: i64 = tx.query_row(
            "SELECT id FROM sale_lines WHERE sale = ?1 AND line_no = ?2",
            params![sale, no],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO refund_lines (refund, line, quantity, amount) VALUES (?1, ?2, ?3, ?4)",
            params![refund, line_id, qty, amount],
        )?;
        tx.execute(
            "UPDATE sale_lines SET refunded_qty = refunded_qty + ?2 WHERE id = ?1",
            params![line_id, qty],
        )?;
    }
    tx.execute(
            "INSERT INTO payments (sale, session, at_ms, kind, method, amount, refund, clerk) VALUES (?1, ?2, ?3, 'refund', ?4, ?5, ?6, ?7)",
            params![sale, session, now, method.as_str(), plan.amount, refund, clerk],
        )?;
    movement(
        tx,
        session,
        counter,
        MoveKind::Refund,
        method,
        plan.amount.checked_neg().map_err(TillError::from)?,
        Some(sale),
        Some(&ok.reason),
        clerk,
        Some(&ok),
    )?;
    tx.execute(
        "UPDATE sales SET status = ?2 WHERE id = ?1",
        params![sale, plan.status_after.as_str()],
    )?;
    let open = method == Method::Cash;
    if open {
        drawer_open(
            tx,
            counter,
            session,
            clerk,
            "refund",
            Some(sale),
            Some(&ok.reason),
            Some(&ok),
        )?;
    }
    tx.journal(Entry::new(
            clerk,
            "sale.refunded",
            approval_subject_sale(crate::till::SaleId(sale)),
            json!({"refund": refund, "method": method, "amount": plan.amount, "lines": plan.lines,
                   "approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "session": session, "open_drawer": open}),
        ))?;
    Ok(RefundOutcome {
        sale: sale_view(tx, sale, now)?,
        refund,
        method,
        amount: plan.amount,
        supervisor: ok.supervisor,
        open_drawer: open,
    })
}
