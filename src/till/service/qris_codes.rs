//! QRIS codes of a sale: shown, confirmed, cancelled, expired, and excess payments resolved.

use super::TillService;
use super::z::expected_cash;
use super::{
    QRIS_COLUMNS, QrisView, SaleView, approval_subject_qris, cash_session, drawer_open, load_sale,
    movement, optional_session, row_to_qris, sale_view,
};
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::store::Tx;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::till::domain::{Method, MoveKind, QrisState, SaleStatus};
use crate::till::{TillError, actions};
use crate::users;
use serde::Serialize;
use serde_json::json;

/// Marks QRIS codes past their expiry as expired, one journal entry each.
pub(super) fn expire_qris_codes(tx: &mut Tx<'_>) -> Result<usize, TillError> {
    let now = tx.now_ms();
    let due: Vec<(i64, String, i64)> = tx
        .prepare_cached("SELECT id, reference, sale FROM qris_payments WHERE state IN ('created', 'shown') AND expires_ms <= ?1")?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, reference, sale) in &due {
        tx.execute(
            "UPDATE qris_payments SET state = 'expired', ended_ms = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        tx.journal(Entry::new(
            "loket",
            "qris.expired",
            approval_subject_qris(reference),
            json!({"sale": sale}),
        ))?;
    }
    Ok(due.len())
}

#[derive(Debug, Clone, Serialize)]
pub struct QrisOutcome {
    pub qris: QrisView,
    pub sale: SaleView,
    /// The payment came after the code expired (or was cancelled): recorded, and flagged.
    pub late: bool,
}

impl TillService<'_> {
    /// Records that a QRIS code is on the customer's screen or receipt.
    pub fn qris_shown(&mut self, reference: &str, clerk: &str) -> Result<QrisView, TillError> {
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let q = find_qris(tx, reference)?;
            if q.state == QrisState::Created {
                tx.execute(
                    "UPDATE qris_payments SET state = 'shown', shown_ms = ?2 WHERE id = ?1",
                    params![q.id, tx.now_ms()],
                )?;
                tx.journal(Entry::new(
                    clerk,
                    "qris.shown",
                    approval_subject_qris(&q.reference),
                    json!({"sale": q.sale}),
                ))?;
            } else {
                tx.unchanged();
            }
            find_qris(tx, reference)
        })
    }

    /// Cancels a QRIS code the customer will not pay (they pay another way instead).
    pub fn cancel_qris(&mut self, reference: &str, clerk: &str) -> Result<SaleView, TillError> {
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let q = find_qris(tx, reference)?;
            if !q.state.is_open() {
                return Err(TillError::QrisEnded {
                    reference: q.reference,
                    state: q.state.label().into(),
                });
            }
            tx.execute(
                "UPDATE qris_payments SET state = 'cancelled', ended_ms = ?2 WHERE id = ?1",
                params![q.id, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                clerk,
                "qris.cancelled",
                approval_subject_qris(&q.reference),
                json!({"sale": q.sale}),
            ))?;
            sale_view(tx, q.sale, tx.now_ms())
        })
    }

    /// Marks QRIS codes past their expiry as expired (the UI calls this on its tick).
    pub fn expire_qris(&mut self) -> Result<usize, TillError> {
        self.store.write(|tx| {
            let n = expire_qris_codes(tx)?;
            if n == 0 {
                tx.unchanged();
            }
            Ok(n)
        })
    }

    /// The clerk confirms a QRIS payment by its reference (seen on the merchant notification).
    /// In time: it counts toward the sale. After expiry or cancellation: recorded as paid late and
    /// flagged for the supervisor; it still settles what the sale owes, and whatever the customer
    /// paid beyond that (they had paid another way) is recorded as money to give back.
    pub fn confirm_qris(
        &mut self,
        reference: &str,
        clerk: &str,
        payer_ref: Option<&str>,
    ) -> Result<QrisOutcome, TillError> {
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let now = tx.now_ms();
            let q = find_qris(tx, reference)?;
            let late = match q.state {
                s if s.is_open() => false,
                s if s.ended_unpaid() => true,
                s => {
                    return Err(TillError::QrisEnded { reference: q.reference, state: s.label().into() });
                }
            };
            let (row, s) = load_sale(tx, q.sale, now)?;
            // What the sale still owes without this code (it is no longer pending).
            let pending_other = if late { s.pending_qris } else { s.pending_qris.checked_sub(q.amount).map_err(TillError::from)? };
            let owed = if s.status == SaleStatus::Open {
                s.total()?.checked_sub(s.paid_total()?).and_then(|v| v.checked_sub(pending_other)).map_err(TillError::from)?.max(Rupiah::ZERO)
            } else {
                Rupiah::ZERO
            };
            let applied = q.amount.min(owed);
            let excess = q.amount.checked_sub(applied).map_err(TillError::from)?;
            let session = optional_session(tx, row.counter)?;
            let state = if late { QrisState::PaidLate } else { QrisState::Paid };
            tx.execute(
                "UPDATE qris_payments SET state = ?2, ended_ms = ?3, payer_ref = ?4, applied = ?5, excess = ?6 WHERE id = ?1",
                params![q.id, state, now, payer_ref, applied, excess],
            )?;
            if applied.is_positive() {
                tx.execute(
                    "INSERT INTO payments (sale, session, at_ms, kind, method, amount, tendered, change, qris, clerk)
                     VALUES (?1, ?2, ?3, 'payment', 'qris', ?4, ?4, 0, ?5, ?6)",
                    params![q.sale, session, now, applied, q.id, clerk],
                )?;
                movement(tx, session, row.counter, MoveKind::Sale, Method::Qris, applied, Some(q.sale), None, clerk, None)?;
            }
            if excess.is_positive() {
                movement(tx, session, row.counter, MoveKind::QrisExcess, Method::Qris, excess, Some(q.sale), Some("QRIS dibayar setelah penjualan lunas"), clerk, None)?;
            }
            let (_, after) = load_sale(tx, q.sale, now)?;
            let paid_now = after.status == SaleStatus::Open && after.due()?.is_zero() && after.pending_qris.is_zero();
            if paid_now {
                tx.execute("UPDATE sales SET status = 'paid', paid_ms = ?2 WHERE id = ?1", params![q.sale, now])?;
            }
            tx.journal(Entry::new(
                clerk,
                if late { "qris.paid_late" } else { "qris.paid" },
                approval_subject_qris(&q.reference),
                json!({"sale": q.sale, "amount": q.amount, "applied": applied, "excess": excess, "payer_ref": payer_ref,
                       "flagged": late || excess.is_positive(), "sale_paid": paid_now}),
            ))?;
            Ok(QrisOutcome { qris: find_qris(tx, reference)?, sale: sale_view(tx, q.sale, now)?, late })
        })
    }

    /// QRIS payments the supervisor must look at: paid late, or paid beyond what the sale owed.
    pub fn qris_flagged(&mut self) -> Result<Vec<QrisView>, TillError> {
        let now = crate::store::to_ms(self.store.now());
        self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {QRIS_COLUMNS} FROM qris_payments WHERE (state = 'paid_late' OR excess > 0) AND resolved_ms IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map((), |r| row_to_qris(r, now))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The supervisor settles a flagged QRIS payment: gives back its excess (by `method`: `qris`
    /// through the acquirer, or `cash` from the drawer of `counter`) and clears the flag. Needs an
    /// approval for `qris.refund` on `qris/<reference>`.
    pub fn resolve_qris(
        &mut self,
        reference: &str,
        counter: CounterNo,
        clerk: &str,
        method: Method,
        approval: i64,
    ) -> Result<QrisView, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            let q = find_qris(tx, reference)?;
            if q.resolved || !(q.state == QrisState::PaidLate || q.excess.is_positive()) {
                return Err(TillError::QrisNoExcess(q.reference));
            }
            let ok = users::consume_approval(tx, approval, actions::QRIS_EXCESS, &approval_subject_qris(&q.reference))?;
            let mut open = false;
            if q.excess.is_positive() {
                let session = if method == Method::Cash { Some(cash_session(tx, counter.get())?) } else { optional_session(tx, counter.get())? };
                if let (Method::Cash, Some(session)) = (method, session) {
                    let in_drawer = expected_cash(tx, session)?;
                    if q.excess > in_drawer {
                        return Err(TillError::NotEnoughCash { asked: q.excess, in_drawer });
                    }
                }
                movement(tx, session, counter.get(), MoveKind::QrisExcess, method, q.excess.checked_neg().map_err(TillError::from)?, Some(q.sale), Some(&ok.reason), clerk, Some(&ok))?;
                if method == Method::Cash {
                    drawer_open(tx, counter.get(), session, clerk, "refund", Some(q.sale), Some(&ok.reason), Some(&ok))?;
                    open = true;
                }
            }
            tx.execute("UPDATE qris_payments SET resolved_ms = ?2, resolved_approval = ?3 WHERE id = ?1", params![q.id, tx.now_ms(), ok.id])?;
            tx.journal(Entry::new(
                clerk,
                "qris.resolved",
                approval_subject_qris(&q.reference),
                json!({"sale": q.sale, "excess": q.excess, "method": method, "approval": ok.id, "supervisor": ok.supervisor, "open_drawer": open}),
            ))?;
            find_qris(tx, reference)
        })
    }
}

fn find_qris(conn: &Connection, reference: &str) -> Result<QrisView, TillError> {
    let now = i64::MIN; // the state as stored: the sweep has already run in every write
    conn.prepare_cached(&format!(
        "SELECT {QRIS_COLUMNS} FROM qris_payments WHERE UPPER(reference) = UPPER(?1)"
    ))?
    .query_row([reference.trim()], |r| row_to_qris(r, now))
    .optional()?
    .ok_or_else(|| TillError::QrisUnknown(reference.to_string()))
}
