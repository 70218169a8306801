//! The till persisted: each operation is one immediate transaction that loads the sale or session,
//! applies the rules of `domain`, writes rows and ledger movements, and appends its journal entry.

use super::domain::{
    CashCount, Line, LineKind, Method, MoveKind, Movement, QrisState, RefundRequest, Sale,
    SaleStatus, Summary, Tender, quick_amounts, summarize,
};
use super::report::{
    self, CloseFacts, EventRow, ReportKind, SessionEvents, SessionFacts, TillReport,
};
use super::{TillError, actions};
use crate::branch::{Branch, BranchError};
use crate::config::Config;
use crate::day::TimeZone;
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::qris;
use crate::queue::TicketNo;
use crate::store::Tx;
use crate::users;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn approval_subject_sale(sale: i64) -> String {
    format!("sale/{sale}")
}

pub fn approval_subject_counter(counter: u32) -> String {
    format!("counter/{counter}")
}

pub fn approval_subject_session(session: i64) -> String {
    format!("till/{session}")
}

pub fn approval_subject_qris(reference: &str) -> String {
    format!("qris/{reference}")
}

/// Local wall-clock time of a stored timestamp, e.g. `23 November 2026 08.05 WIB`.
fn local_time(ms: i64, tz: TimeZone) -> String {
    crate::when::When::ms(ms, tz).full()
}

fn reason_ok(reason: &str) -> Result<String, TillError> {
    let r = reason.trim();
    if r.chars().count() < 3 {
        return Err(TillError::ReasonRequired);
    }
    Ok(r.to_string())
}

/// A drawer session as stored.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: i64,
    pub counter: u32,
    pub clerk: String,
    pub business_day: String,
    pub opened_ms: i64,
    pub state: String,
    pub float: Rupiah,
    pub float_count: CashCount,
    pub counted: Option<CashCount>,
    pub counted_total: Option<Rupiah>,
    pub expected_total: Option<Rupiah>,
    pub variance: Option<Rupiah>,
    pub variance_reason: Option<String>,
    pub supervisor: Option<String>,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub z_number: Option<i64>,
}

const SESSION_COLUMNS: &str = "s.id, s.counter, s.clerk, s.business_day, s.opened_ms, s.state, s.float_count, s.counted, \
    s.counted_total, s.expected_total, s.variance, s.variance_reason, a.supervisor, s.closed_ms, s.closed_by, s.z_number";

fn json_err(col: usize, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn row_to_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionView> {
    let float_text: String = r.get(6)?;
    let float_count: CashCount = serde_json::from_str(&float_text).map_err(|e| json_err(6, e))?;
    let counted: Option<String> = r.get(7)?;
    let counted = counted
        .map(|t| serde_json::from_str::<CashCount>(&t))
        .transpose()
        .map_err(|e| json_err(7, e))?;
    Ok(SessionView {
        id: r.get(0)?,
        counter: r.get(1)?,
        clerk: r.get(2)?,
        business_day: r.get(3)?,
        opened_ms: r.get(4)?,
        state: r.get(5)?,
        float: float_count.total().unwrap_or_default(),
        float_count,
        counted,
        counted_total: r.get(8)?,
        expected_total: r.get(9)?,
        variance: r.get(10)?,
        variance_reason: r.get(11)?,
        supervisor: r.get(12)?,
        closed_ms: r.get(13)?,
        closed_by: r.get(14)?,
        z_number: r.get(15)?,
    })
}

fn session_by(conn: &Connection, filter: &str, arg: i64) -> rusqlite::Result<Option<SessionView>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM till_sessions s LEFT JOIN approvals a ON a.id = s.approval WHERE {filter}"
    ))?
    .query_row([arg], row_to_session)
    .optional()
}

/// The counter's session that is not closed yet (open or being counted).
fn current_session(conn: &Connection, counter: u32) -> rusqlite::Result<Option<SessionView>> {
    session_by(
        conn,
        "s.counter = ?1 AND s.state != 'closed'",
        i64::from(counter),
    )
}

/// The counter's open session, required for any cash.
fn cash_session(conn: &Connection, counter: u32) -> Result<i64, TillError> {
    match current_session(conn, counter).map_err(|_| TillError::NoSession(counter))? {
        Some(s) if s.state == "open" => Ok(s.id),
        Some(_) => Err(TillError::SessionCounting(counter)),
        None => Err(TillError::NoSession(counter)),
    }
}

/// The counter's open session when there is one; card and QRIS money is booked to it.
fn optional_session(conn: &Connection, counter: u32) -> rusqlite::Result<Option<i64>> {
    Ok(current_session(conn, counter)?
        .filter(|s| s.state == "open")
        .map(|s| s.id))
}

#[allow(clippy::too_many_arguments)]
fn movement(
    tx: &Tx<'_>,
    session: Option<i64>,
    counter: u32,
    kind: MoveKind,
    method: Method,
    amount: Rupiah,
    sale: Option<i64>,
    reason: Option<&str>,
    actor: &str,
    approval: Option<&users::Approval>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO till_movements (session, counter, at_ms, kind, method, amount, sale, reason, actor, supervisor, approval)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        session,
        counter,
        tx.now_ms(),
        kind.as_str(),
        method.as_str(),
        amount,
        sale,
        reason,
        actor,
        approval.map(|a| a.supervisor.clone()),
        approval.map(|a| a.id),
    ])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn drawer_open(
    tx: &Tx<'_>,
    counter: u32,
    session: Option<i64>,
    clerk: &str,
    cause: &str,
    sale: Option<i64>,
    reason: Option<&str>,
    approval: Option<&users::Approval>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO drawer_opens (at_ms, counter, session, clerk, cause, sale, reason, approval, supervisor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        tx.now_ms(),
        counter,
        session,
        clerk,
        cause,
        sale,
        reason,
        approval.map(|a| a.id),
        approval.map(|a| a.supervisor.clone()),
    ])?;
    Ok(())
}

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
) -> Result<(Vec<(Method, Rupiah)>, Option<i64>, bool), BranchError> {
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
            }
            .into());
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

/// The stored facts of a sale beside its rules view.
#[derive(Debug, Clone)]
struct SaleRow {
    business_day: String,
    counter: u32,
    clerk: String,
    session: Option<i64>,
    ticket: Option<String>,
    created_ms: i64,
    paid_ms: Option<i64>,
    void_reason: Option<String>,
}

fn load_sale(conn: &Connection, id: i64, now_ms: i64) -> Result<(SaleRow, Sale), BranchError> {
    let found = conn
        .prepare_cached(
            "SELECT id, business_day, counter, clerk, session, ticket, status, created_ms, paid_ms, void_reason
             FROM sales WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                SaleRow {
                    business_day: r.get(1)?,
                    counter: r.get(2)?,
                    clerk: r.get(3)?,
                    session: r.get(4)?,
                    ticket: r.get(5)?,
                    created_ms: r.get(7)?,
                    paid_ms: r.get(8)?,
                    void_reason: r.get(9)?,
                },
                r.get::<_, String>(6)?,
            ))
        })
        .optional()?;
    let Some((row, status)) = found else {
        return Err(TillError::UnknownSale(id).into());
    };
    let mut sale = Sale::new(id);
    sale.status = SaleStatus::parse(&status).unwrap_or(SaleStatus::Open);
    let mut stmt = conn.prepare_cached(
        "SELECT line_no, item, name, kind, quantity, unit_price, refunded_qty, job FROM sale_lines
         WHERE sale = ?1 ORDER BY line_no",
    )?;
    sale.lines = stmt
        .query_map([id], |r| {
            Ok(Line {
                no: r.get(0)?,
                item: r.get(1)?,
                name: r.get(2)?,
                kind: if r.get::<_, String>(3)? == "fee" {
                    LineKind::Fee
                } else {
                    LineKind::Item
                },
                quantity: r.get(4)?,
                unit_price: r.get(5)?,
                refunded_qty: r.get(6)?,
                job: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt =
        conn.prepare_cached("SELECT method, SUM(amount) FROM payments WHERE sale = ?1 AND kind = 'payment' GROUP BY method")?;
    for r in stmt.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Rupiah>(1)?))
    })? {
        let (m, a) = r?;
        if let Some(m) = Method::parse(&m) {
            sale.paid.insert(m, a);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT method, SUM(amount) FROM refunds WHERE sale = ?1 GROUP BY method",
    )?;
    for r in stmt.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Rupiah>(1)?))
    })? {
        let (m, a) = r?;
        if let Some(m) = Method::parse(&m) {
            sale.refunded.insert(m, a);
        }
    }
    sale.pending_qris = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(amount), 0) FROM qris_payments
             WHERE sale = ?1 AND state IN ('created', 'shown') AND expires_ms > ?2",
        )?
        .query_row(params![id, now_ms], |r| r.get(0))?;
    Ok((row, sale))
}

/// A line as shown.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub no: u32,
    pub item: String,
    pub name: String,
    pub kind: LineKind,
    pub quantity: i64,
    pub unit_price: Rupiah,
    pub amount: Rupiah,
    pub refunded_qty: i64,
    pub job: Option<i64>,
}

/// A tender, reversal or refund as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentView {
    pub at_ms: i64,
    pub kind: String,
    pub method: Method,
    pub amount: Rupiah,
    pub tendered: Option<Rupiah>,
    pub change: Option<Rupiah>,
    pub approval_code: Option<String>,
    pub last4: Option<String>,
    pub qris_reference: Option<String>,
}

/// A QRIS code of a sale.
#[derive(Debug, Clone, Serialize)]
pub struct QrisView {
    pub id: i64,
    pub sale: i64,
    pub reference: String,
    pub amount: Rupiah,
    pub payload: String,
    /// As of now: a code past its expiry reads as expired even before the sweep records it.
    pub state: QrisState,
    pub expires_ms: i64,
    pub applied: Rupiah,
    pub excess: Rupiah,
    /// Paid late, or paid after the sale was settled: the supervisor must look at it.
    pub flagged: bool,
    pub resolved: bool,
}

/// A sale with everything a screen or script needs.
#[derive(Debug, Clone, Serialize)]
pub struct SaleView {
    pub id: i64,
    pub status: SaleStatus,
    pub status_label: String,
    pub business_day: String,
    pub counter: u32,
    pub clerk: String,
    pub session: Option<i64>,
    pub ticket: Option<String>,
    pub created_ms: i64,
    pub paid_ms: Option<i64>,
    pub lines: Vec<LineView>,
    pub total: Rupiah,
    pub paid: Rupiah,
    pub refunded: Rupiah,
    pub pending_qris: Rupiah,
    pub due: Rupiah,
    /// Amounts the customer is likely to hand over for what is due.
    pub quick_amounts: Vec<Rupiah>,
    pub payments: Vec<PaymentView>,
    pub qris: Vec<QrisView>,
    pub void_reason: Option<String>,
}

fn row_to_qris(r: &rusqlite::Row<'_>, now_ms: i64) -> rusqlite::Result<QrisView> {
    let mut state: QrisState = r.get(5)?;
    let expires_ms: i64 = r.get(6)?;
    if state.is_open() && expires_ms <= now_ms {
        state = QrisState::Expired;
    }
    let excess: Rupiah = r.get(8)?;
    let resolved = r.get::<_, Option<i64>>(9)?.is_some();
    Ok(QrisView {
        id: r.get(0)?,
        sale: r.get(1)?,
        reference: r.get(2)?,
        amount: r.get(3)?,
        payload: r.get(4)?,
        flagged: (state == QrisState::PaidLate || excess.is_positive()) && !resolved,
        state,
        expires_ms,
        applied: r.get(7)?,
        excess,
        resolved,
    })
}

const QRIS_COLUMNS: &str =
    "id, sale, reference, amount, payload, state, expires_ms, applied, excess, resolved_ms";

fn sale_view(conn: &Connection, id: i64, now_ms: i64) -> Result<SaleView, BranchError> {
    let (row, sale) = load_sale(conn, id, now_ms)?;
    let total = sale.total()?;
    let paid = sale.paid_total()?;
    let due = if sale.status == SaleStatus::Open {
        sale.due()?.max(Rupiah::ZERO)
    } else {
        Rupiah::ZERO
    };
    let lines = sale
        .lines
        .iter()
        .map(|l| {
            Ok(LineView {
                no: l.no,
                item: l.item.clone(),
                name: l.name.clone(),
                kind: l.kind,
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.amount()?,
                refunded_qty: l.refunded_qty,
                job: l.job,
            })
        })
        .collect::<Result<Vec<_>, TillError>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT p.at_ms, p.kind, p.method, p.amount, p.tendered, p.change, p.approval_code, p.last4, q.reference
         FROM payments p LEFT JOIN qris_payments q ON q.id = p.qris WHERE p.sale = ?1 ORDER BY p.id",
    )?;
    let payments = stmt
        .query_map([id], |r| {
            Ok(PaymentView {
                at_ms: r.get(0)?,
                kind: r.get(1)?,
                method: Method::parse(&r.get::<_, String>(2)?).unwrap_or(Method::Cash),
                amount: r.get(3)?,
                tendered: r.get(4)?,
                change: r.get(5)?,
                approval_code: r.get(6)?,
                last4: r.get(7)?,
                qris_reference: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {QRIS_COLUMNS} FROM qris_payments WHERE sale = ?1 ORDER BY id"
    ))?;
    let qris = stmt
        .query_map([id], |r| row_to_qris(r, now_ms))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SaleView {
        id,
        status: sale.status,
        status_label: sale.status.label().to_string(),
        business_day: row.business_day,
        counter: row.counter,
        clerk: row.clerk,
        session: row.session,
        ticket: row.ticket,
        created_ms: row.created_ms,
        paid_ms: row.paid_ms,
        lines,
        total,
        paid,
        refunded: sale.refunded_total()?,
        pending_qris: sale.pending_qris,
        due,
        quick_amounts: if sale.status == SaleStatus::Open {
            quick_amounts(due)
        } else {
            Vec::new()
        },
        payments,
        qris,
        void_reason: row.void_reason,
    })
}

/// Marks QRIS codes past their expiry as expired, one journal entry each.
fn expire_qris_codes(tx: &mut Tx<'_>) -> Result<usize, BranchError> {
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

/// What paying did.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentOutcome {
    pub sale: SaleView,
    pub change: Rupiah,
    /// QRIS codes created by this payment, to be shown to the customer.
    pub qris: Vec<QrisView>,
    /// Pulse the cash drawer (cash was taken).
    pub open_drawer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QrisOutcome {
    pub qris: QrisView,
    pub sale: SaleView,
    /// The payment came after the code expired (or was cancelled): recorded, and flagged.
    pub late: bool,
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

/// A pay-out, drop, float or no-sale: the drawer opens.
#[derive(Debug, Clone, Serialize)]
pub struct DrawerOutcome {
    pub session: Option<i64>,
    pub counter: u32,
    pub amount: Rupiah,
    pub expected_cash: Option<Rupiah>,
    pub open_drawer: bool,
}

/// The result of counting a drawer at close, and of finishing the close.
#[derive(Debug, Clone, Serialize)]
pub struct CloseOutcome {
    pub session: i64,
    pub counter: u32,
    pub counted: Rupiah,
    pub expected: Rupiah,
    /// counted − expected: negative when short, positive when over.
    pub variance: Rupiah,
    pub tolerance: Rupiah,
    /// The variance is over the tolerance and the close waits for a reason and a supervisor.
    pub needs_approval: bool,
    /// The Z report, once closed.
    pub z: Option<TillReport>,
    pub open_drawer: bool,
    /// What this counter left half-done (belum selesai), in words: the close warns about it.
    pub unfinished: Vec<String>,
}

fn ledger_movements(conn: &Connection, session: i64) -> rusqlite::Result<Vec<Movement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, method, amount, sale FROM till_movements WHERE session = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([session], |r| {
        let kind: String = r.get(0)?;
        let method: String = r.get(1)?;
        Ok(Movement {
            kind: MoveKind::parse(&kind).unwrap_or(MoveKind::Sale),
            method: Method::parse(&method).unwrap_or(Method::Cash),
            amount: r.get(2)?,
            sale: r.get(3)?,
        })
    })?;
    rows.collect()
}

fn session_events(conn: &Connection, session: i64, now_ms: i64) -> rusqlite::Result<SessionEvents> {
    let mut ev = SessionEvents::default();
    let events = |sql: &str| -> rusqlite::Result<Vec<EventRow>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([session], |r| {
            Ok(EventRow {
                what: r.get(0)?,
                amount: r.get(1)?,
                reason: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                actor: r.get(3)?,
                supervisor: r.get(4)?,
            })
        })?;
        rows.collect()
    };
    ev.voids = events(
        "SELECT 'Penjualan ' || s.id, COALESCE((SELECT -SUM(amount) FROM till_movements m WHERE m.sale = s.id AND m.kind = 'void'), 0),
                s.void_reason, COALESCE(a.requested_by, s.clerk), a.supervisor
         FROM sales s LEFT JOIN approvals a ON a.id = s.void_approval
         WHERE s.status = 'voided' AND (s.session = ?1 OR EXISTS (SELECT 1 FROM till_movements m WHERE m.sale = s.id AND m.kind = 'void' AND m.session = ?1))
         ORDER BY s.voided_ms",
    )?;
    ev.refunds = events(
        "SELECT 'Penjualan ' || sale || ' (' || method || ')', amount, reason, clerk, supervisor FROM refunds WHERE session = ?1 ORDER BY id",
    )?;
    ev.payouts = events(
        "SELECT 'Pengeluaran', -amount, reason, actor, supervisor FROM till_movements WHERE session = ?1 AND kind = 'payout' ORDER BY id",
    )?;
    ev.drops = events(
        "SELECT 'Setoran', -amount, reason, actor, supervisor FROM till_movements WHERE session = ?1 AND kind = 'drop' ORDER BY id",
    )?;
    ev.no_sale_opens = events(
        "SELECT 'Tanpa penjualan', 0, reason, clerk, supervisor FROM drawer_opens WHERE session = ?1 AND cause = 'no_sale' ORDER BY id",
    )?;
    let count = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<i64> {
        conn.prepare_cached(sql)?.query_row(args, |r| r.get(0))
    };
    ev.drawer_opens = count(
        "SELECT COUNT(*) FROM drawer_opens WHERE session = ?1",
        &[&session],
    )?;
    ev.sales_paid = count(
        "SELECT COUNT(DISTINCT sale) FROM till_movements WHERE session = ?1 AND kind = 'sale'",
        &[&session],
    )?;
    ev.sales_open = count(
        "SELECT COUNT(*) FROM sales WHERE session = ?1 AND status = 'open'",
        &[&session],
    )?;
    let qris = |states: &str, live: Option<bool>| -> rusqlite::Result<i64> {
        let time = match live {
            Some(true) => " AND expires_ms > ?2",
            Some(false) => " AND expires_ms <= ?2",
            None => " AND ?2 = ?2",
        };
        count(
            &format!(
                "SELECT COUNT(*) FROM qris_payments q JOIN sales s ON s.id = q.sale
                 WHERE s.session = ?1 AND q.state IN ({states}){time}"
            ),
            &[&session, &now_ms],
        )
    };
    ev.qris_paid = qris("'paid'", None)?;
    ev.qris_paid_late = qris("'paid_late'", None)?;
    ev.qris_expired = qris("'expired'", None)? + qris("'created', 'shown'", Some(false))?;
    ev.qris_cancelled = qris("'cancelled'", None)?;
    ev.qris_pending = qris("'created', 'shown'", Some(true))?;
    Ok(ev)
}

fn session_facts(s: &SessionView, tz: TimeZone) -> SessionFacts {
    let close = match (
        s.closed_ms,
        &s.counted,
        s.counted_total,
        s.expected_total,
        s.variance,
    ) {
        (Some(closed), Some(counted), Some(total), Some(expected), Some(variance)) => {
            Some(CloseFacts {
                closed_at: local_time(closed, tz),
                closed_by: s.closed_by.clone().unwrap_or_default(),
                counted: counted.clone(),
                counted_total: total,
                expected,
                variance,
                reason: s.variance_reason.clone(),
                supervisor: s.supervisor.clone(),
            })
        }
        _ => None,
    };
    SessionFacts {
        id: s.id,
        counter: s.counter,
        clerk: s.clerk.clone(),
        business_day: s.business_day.clone(),
        opened_at: local_time(s.opened_ms, tz),
        float: s.float_count.clone(),
        close,
    }
}

fn build_report(
    conn: &Connection,
    config: &Config,
    tz: TimeZone,
    session: &SessionView,
    kind: ReportKind,
    number: Option<i64>,
    now_ms: i64,
) -> Result<TillReport, BranchError> {
    let summary = summarize(&ledger_movements(conn, session.id)?)?;
    let events = session_events(conn, session.id, now_ms)?;
    let facts = session_facts(session, tz);
    Ok(report::build(
        kind,
        number,
        &config.branch.code,
        &config.branch.name,
        &facts,
        &summary,
        &events,
        &local_time(now_ms, tz),
    )?)
}

fn expected_cash(conn: &Connection, session: i64) -> Result<Rupiah, BranchError> {
    Ok(summarize(&ledger_movements(conn, session)?)?.expected_cash)
}

fn z_document(
    conn: &Connection,
    filter: &str,
    arg: i64,
) -> Result<Option<(i64, TillReport)>, BranchError> {
    let found: Option<(i64, String)> = conn
        .prepare_cached(&format!(
            "SELECT number, document FROM z_reports WHERE {filter} ORDER BY number DESC LIMIT 1"
        ))?
        .query_row([arg], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    found
        .map(|(n, doc)| Ok((n, read_z(conn, n, &doc)?)))
        .transpose()
}

/// A stored Z document read back, with its slip figures.
fn read_z(conn: &Connection, number: i64, doc: &str) -> Result<TillReport, BranchError> {
    let mut doc =
        serde_json::from_str::<TillReport>(doc).map_err(|e| TillError::StoredZDamaged {
            number,
            reason: e.to_string(),
        })?;
    if doc.figures.is_none() {
        doc.figures = Some(stored_figures(conn, number)?);
    }
    Ok(doc)
}

/// The slip's figures of a Z document stored before they were kept in it, read from what the
/// store froze at its close: the session's count, its events as of the Z, and the anchor the Z
/// made.
fn stored_figures(conn: &Connection, number: i64) -> Result<report::SlipFigures, BranchError> {
    let (session, created_ms): (i64, i64) = conn.query_row(
        "SELECT session, created_ms FROM z_reports WHERE number = ?1",
        [number],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let s = session_by(conn, "s.id = ?1", session)?.ok_or(TillError::UnknownZ(number))?;
    let close = match (s.counted_total, s.variance) {
        (Some(counted), Some(variance)) => Some(report::ClosingFigures {
            counted,
            variance,
            supervisor: s.supervisor.clone(),
        }),
        _ => None,
    };
    let events = session_events(conn, session, created_ms)?;
    let journal_head = conn
        .prepare_cached(
            "SELECT seq, hash FROM journal_anchors WHERE reason = ?1 ORDER BY seq LIMIT 1",
        )?
        .query_row([crate::journal::anchor::Reason::Z(number).code()], |r| {
            Ok(crate::journal::anchor::Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .optional()?;
    Ok(report::SlipFigures {
        close,
        journal_head,
        ..report::SlipFigures::of(&events, None)
    })
}

impl Branch {
    pub(crate) fn check_counter(&self, counter: u32) -> Result<(), TillError> {
        self.config
            .counter(counter)
            .map(|_| ())
            .ok_or(TillError::UnknownCounter(counter))
    }

    fn tz(&self) -> TimeZone {
        self.config.branch.timezone
    }

    /// Opens a drawer session on `counter` with a counted float. One session per counter at a time.
    pub fn open_till(
        &mut self,
        counter: u32,
        clerk: &str,
        float: &CashCount,
    ) -> Result<SessionView, BranchError> {
        self.check_counter(counter)?;
        let total = float.total()?;
        if total.is_negative() {
            return Err(TillError::NotPositive.into());
        }
        let float_json =
            serde_json::to_string(float).map_err(|e| TillError::Encode(e.to_string()))?;
        self.store.write(|tx| {
            if let Some(s) = current_session(tx, counter)? {
                return Err(if s.state == "counted" {
                    TillError::SessionCounting(counter)
                } else {
                    TillError::SessionOpen(counter)
                }
                .into());
            }
            tx.execute(
                "INSERT INTO till_sessions (counter, clerk, business_day, opened_ms, float_count, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open')",
                params![counter, clerk, tx.day().to_string(), tx.now_ms(), float_json],
            )?;
            let id = tx.last_insert_rowid();
            movement(tx, Some(id), counter, MoveKind::Float, Method::Cash, total, None, Some("modal awal"), clerk, None)?;
            drawer_open(tx, counter, Some(id), clerk, "float", None, None, None)?;
            tx.journal(Entry::new(
                clerk,
                "till.opened",
                approval_subject_session(id),
                json!({"counter": counter, "float": total, "count": float, "open_drawer": true}),
            ))?;
            Ok(session_by(tx, "s.id = ?1", id)?.ok_or(TillError::NoSession(counter))?)
        })
    }

    /// The counter's session that is not closed yet.
    pub fn till_session(&mut self, counter: u32) -> Result<Option<SessionView>, BranchError> {
        self.store.read(|c| Ok(current_session(c, counter)?))
    }

    /// A drawer session by id.
    pub fn till_session_by_id(&mut self, id: i64) -> Result<Option<SessionView>, BranchError> {
        self.store.read(|c| Ok(session_by(c, "s.id = ?1", id)?))
    }

    /// Every drawer session of a business day, oldest first (for the daily report).
    pub fn till_sessions_of_day(
        &mut self,
        day: &str,
    ) -> Result<Vec<(SessionView, Summary)>, BranchError> {
        self.store.read(|c| {
            let ids: Vec<i64> = c
                .prepare("SELECT id FROM till_sessions WHERE business_day = ?1 ORDER BY id")?
                .query_map([day], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(s) = session_by(c, "s.id = ?1", id)? {
                    let summary = summarize(&ledger_movements(c, id)?)?;
                    out.push((s, summary));
                }
            }
            Ok(out)
        })
    }

    /// The X report of the counter's current session: read-only, a pure fold of its ledger.
    pub fn x_report(&mut self, counter: u32) -> Result<TillReport, BranchError> {
        self.check_counter(counter)?;
        let now = crate::store::to_ms(self.store.now());
        let tz = self.tz();
        let config = &self.config;
        self.store.read(|c| {
            let s = current_session(c, counter)?.ok_or(TillError::NoSession(counter))?;
            build_report(c, config, tz, &s, ReportKind::X, None, now)
        })
    }

    /// Cash paid out of the drawer for an expense, with a reason.
    pub fn pay_out(
        &mut self,
        counter: u32,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
    ) -> Result<DrawerOutcome, BranchError> {
        self.cash_out(counter, clerk, amount, reason, MoveKind::PayOut)
    }

    /// Cash taken from the drawer to the safe, with a reason.
    pub fn cash_drop(
        &mut self,
        counter: u32,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
    ) -> Result<DrawerOutcome, BranchError> {
        self.cash_out(counter, clerk, amount, reason, MoveKind::Drop)
    }

    fn cash_out(
        &mut self,
        counter: u32,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
        kind: MoveKind,
    ) -> Result<DrawerOutcome, BranchError> {
        self.check_counter(counter)?;
        let reason = reason_ok(reason)?;
        if !amount.is_positive() {
            return Err(TillError::NotPositive.into());
        }
        self.store.write(|tx| {
            let session = cash_session(tx, counter)?;
            let in_drawer = expected_cash(tx, session)?;
            if amount > in_drawer {
                return Err(TillError::NotEnoughCash {
                    asked: amount,
                    in_drawer,
                }
                .into());
            }
            movement(
                tx,
                Some(session),
                counter,
                kind,
                Method::Cash,
                amount.checked_neg().map_err(TillError::from)?,
                None,
                Some(&reason),
                clerk,
                None,
            )?;
            drawer_open(
                tx,
                counter,
                Some(session),
                clerk,
                kind.as_str(),
                None,
                Some(&reason),
                None,
            )?;
            let verb = if kind == MoveKind::Drop {
                "till.drop"
            } else {
                "till.payout"
            };
            tx.journal(Entry::new(
                clerk,
                verb,
                approval_subject_session(session),
                json!({"counter": counter, "amount": amount, "reason": reason, "open_drawer": true}),
            ))?;
            Ok(DrawerOutcome {
                session: Some(session),
                counter,
                amount,
                expected_cash: Some(expected_cash(tx, session)?),
                open_drawer: true,
            })
        })
    }

    /// Opens the drawer without a sale, with a supervisor's approval for `drawer.no_sale` on
    /// `counter/N`; the approval's reason is recorded.
    pub fn open_drawer_no_sale(
        &mut self,
        counter: u32,
        clerk: &str,
        approval: i64,
    ) -> Result<DrawerOutcome, BranchError> {
        self.check_counter(counter)?;
        self.store.write(|tx| {
            let ok = users::consume_approval(tx, approval, actions::NO_SALE, &approval_subject_counter(counter))?;
            let session = optional_session(tx, counter)?;
            drawer_open(tx, counter, session, clerk, "no_sale", None, Some(&ok.reason), Some(&ok))?;
            tx.journal(Entry::new(
                clerk,
                "drawer.no_sale",
                approval_subject_counter(counter),
                json!({"session": session, "approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "open_drawer": true}),
            ))?;
            Ok(DrawerOutcome {
                session,
                counter,
                amount: Rupiah::ZERO,
                expected_cash: None,
                open_drawer: true,
            })
        })
    }

    /// The blind count at close: the clerk's count by denomination is recorded before the
    /// expected cash is shown. Within the tolerance the session closes at once with its Z report;
    /// over it, the close waits for [`Branch::finish_close`] with a supervisor's approval. Never
    /// blocked: the short or over is recorded either way.
    pub fn count_till(
        &mut self,
        counter: u32,
        clerk: &str,
        counted: &CashCount,
    ) -> Result<CloseOutcome, BranchError> {
        self.check_counter(counter)?;
        let counted_total = counted.total()?;
        let counted_json =
            serde_json::to_string(counted).map_err(|e| TillError::Encode(e.to_string()))?;
        let tolerance = self.config.till.variance_tolerance;
        let tz = self.tz();
        let config = &self.config;
        let out: Result<CloseOutcome, BranchError> = self.store.write(|tx| {
            let s = current_session(tx, counter)?.ok_or(TillError::NoSession(counter))?;
            if s.state != "open" {
                return Err(TillError::SessionCounting(counter).into());
            }
            expire_qris_codes(tx)?;
            let expected = expected_cash(tx, s.id)?;
            let variance = counted_total.checked_sub(expected).map_err(TillError::from)?;
            tx.execute(
                "UPDATE till_sessions SET state = 'counted', counted = ?2, counted_total = ?3, counted_ms = ?4,
                 counted_by = ?5, expected_total = ?6, variance = ?7 WHERE id = ?1",
                params![s.id, counted_json, counted_total, tx.now_ms(), clerk, expected, variance],
            )?;
            drawer_open(tx, counter, Some(s.id), clerk, "close", None, None, None)?;
            tx.journal(Entry::new(
                clerk,
                "till.counted",
                approval_subject_session(s.id),
                json!({"counter": counter, "counted": counted_total, "count": counted, "expected": expected, "variance": variance, "open_drawer": true}),
            ))?;
            let over = variance.value().unsigned_abs() > tolerance.value().unsigned_abs();
            let z = if over { None } else { Some(close_session(tx, config, tz, s.id, clerk, None)?) };
            Ok(CloseOutcome {
                session: s.id,
                counter,
                counted: counted_total,
                expected,
                variance,
                tolerance,
                needs_approval: over,
                z,
                open_drawer: true,
                unfinished: Vec::new(),
            })
        });
        let mut out = out?;
        self.stamp_anchor_after_z(out.z.is_some());
        out.unfinished = self.unfinished_at(counter)?;
        Ok(out)
    }

    /// Everything left half-done now, oldest first (the daily pack's "belum selesai" list).
    pub fn unfinished(&mut self) -> Result<Vec<crate::report::pack::Unfinished>, BranchError> {
        self.store.read(crate::report::pack::unfinished)
    }

    /// What counter `counter` left half-done, one line each (the belum selesai list, this counter's).
    pub fn unfinished_at(&mut self, counter: u32) -> Result<Vec<String>, BranchError> {
        let tz = self.config.branch.timezone;
        let all = self.unfinished()?;
        Ok(all
            .iter()
            .filter(|u| u.counter == Some(counter))
            .map(|u| crate::report::text::unfinished_line(u, tz))
            .collect())
    }

    /// Stamps the anchor a Z just recorded. A TSA that is down must not stop the close: the anchor
    /// stays pending (verify counts it) and the worker stamps it on a later round. Nothing is
    /// printed: the counter's screen may be the terminal.
    fn stamp_anchor_after_z(&mut self, closed: bool) {
        if closed {
            let _ = crate::journal::anchor::stamp_pending_anchors(self);
        }
    }

    /// Finishes a close whose variance was over the tolerance, with a supervisor's approval for
    /// `till.close` on `till/<session>` (its reason is the recorded explanation).
    pub fn finish_close(
        &mut self,
        counter: u32,
        clerk: &str,
        approval: Option<i64>,
    ) -> Result<CloseOutcome, BranchError> {
        self.check_counter(counter)?;
        let tolerance = self.config.till.variance_tolerance;
        let tz = self.tz();
        let config = &self.config;
        let out: Result<CloseOutcome, BranchError> = self.store.write(|tx| {
            let s = current_session(tx, counter)?.ok_or(TillError::NoSession(counter))?;
            if s.state != "counted" {
                return Err(TillError::NotCounted(counter).into());
            }
            let variance = s.variance.unwrap_or_default();
            let over = variance.value().unsigned_abs() > tolerance.value().unsigned_abs();
            let ok = match approval {
                Some(id) => Some(users::consume_approval(
                    tx,
                    id,
                    actions::CLOSE_VARIANCE,
                    &approval_subject_session(s.id),
                )?),
                None if over => {
                    return Err(TillError::VarianceNeedsApproval {
                        variance,
                        tolerance,
                    }
                    .into());
                }
                None => None,
            };
            let z = close_session(tx, config, tz, s.id, clerk, ok.as_ref())?;
            Ok(CloseOutcome {
                session: s.id,
                counter,
                counted: s.counted_total.unwrap_or_default(),
                expected: s.expected_total.unwrap_or_default(),
                variance,
                tolerance,
                needs_approval: false,
                z: Some(z),
                open_drawer: false,
                unfinished: Vec::new(),
            })
        });
        let mut out = out?;
        self.stamp_anchor_after_z(true);
        out.unfinished = self.unfinished_at(counter)?;
        Ok(out)
    }

    /// Reprints a stored Z report (by number, else the newest, of `counter` when given), marked
    /// SALINAN and counted. The stored document itself never changes.
    pub fn reprint_z(
        &mut self,
        number: Option<i64>,
        counter: Option<u32>,
        actor: &str,
    ) -> Result<TillReport, BranchError> {
        self.store.write(|tx| {
            let found = match (number, counter) {
                (Some(n), _) => z_document(tx, "number = ?1", n)?.ok_or(TillError::UnknownZ(n))?,
                (None, Some(c)) => {
                    z_document(tx, "counter = ?1", i64::from(c))?.ok_or(TillError::NoZ)?
                }
                (None, None) => z_document(tx, "?1 = ?1", 0)?.ok_or(TillError::NoZ)?,
            };
            let (n, mut doc) = found;
            tx.execute(
                "INSERT INTO z_reprints (number, at_ms, actor) VALUES (?1, ?2, ?3)",
                params![n, tx.now_ms(), actor],
            )?;
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM z_reprints WHERE number = ?1",
                [n],
                |r| r.get(0),
            )?;
            tx.journal(Entry::new(
                actor,
                "z.reprinted",
                format!("z/{n}"),
                json!({"reprint": count}),
            ))?;
            doc.copy_mark = Some(report::COPY_MARK.to_string());
            doc.reprint = u32::try_from(count).unwrap_or(u32::MAX);
            Ok(doc)
        })
    }

    /// The stored Z document exactly as frozen at close, with its SHA-256 (for checks and the
    /// daily report; printing it goes through [`Branch::reprint_z`]).
    pub fn stored_z(&mut self, number: i64) -> Result<(TillReport, String), BranchError> {
        self.store.read(|c| {
            let (doc, sha): (String, String) = c
                .query_row(
                    "SELECT document, sha256 FROM z_reports WHERE number = ?1",
                    [number],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(TillError::UnknownZ(number))?;
            Ok((read_z(c, number, &doc)?, sha))
        })
    }

    /// Starts a sale at `counter`, optionally for a queue ticket (e.g. `C-003`).
    pub fn new_sale(
        &mut self,
        counter: u32,
        clerk: &str,
        ticket: Option<&TicketNo>,
    ) -> Result<SaleView, BranchError> {
        self.check_counter(counter)?;
        self.store.write(|tx| {
            let session = optional_session(tx, counter)?;
            tx.execute(
                "INSERT INTO sales (business_day, counter, clerk, session, ticket, status, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)",
                params![tx.day().to_string(), counter, clerk, session, ticket, tx.now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            tx.journal(Entry::new(
                clerk,
                "sale.created",
                approval_subject_sale(id),
                json!({"counter": counter, "ticket": ticket, "session": session}),
            ))?;
            sale_view(tx, id, tx.now_ms())
        })
    }

    /// Adds `quantity` of the price-list item `code` (and its service-fee line when the item has
    /// one), optionally for a stamping job.
    pub fn add_to_sale(
        &mut self,
        sale: i64,
        clerk: &str,
        code: &str,
        quantity: i64,
        job: Option<i64>,
    ) -> Result<SaleView, BranchError> {
        let item = self
            .config
            .prices
            .item(code)
            .ok_or_else(|| TillError::UnknownItem(code.to_string()))?
            .clone();
        self.store.write(|tx| {
            let (_, s) = load_sale(tx, sale, tx.now_ms())?;
            let lines = s.plan_add(item.code(), &item.name, item.price(), item.service_fee(), quantity, job)?;
            for l in &lines {
                tx.execute(
                    "INSERT INTO sale_lines (sale, line_no, item, name, kind, quantity, unit_price, job)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        sale,
                        l.no,
                        l.item,
                        l.name,
                        if l.kind == LineKind::Fee { "fee" } else { "item" },
                        l.quantity,
                        l.unit_price,
                        l.job
                    ],
                )?;
            }
            tx.journal(Entry::new(
                clerk,
                "sale.line_added",
                approval_subject_sale(sale),
                json!({"item": item.code(), "quantity": quantity, "unit_price": item.price(), "service_fee": item.service_fee(), "job": job}),
            ))?;
            sale_view(tx, sale, tx.now_ms())
        })
    }

    /// Links a sale line to a stamping job (used by the stamping service).
    pub fn link_sale_line_job(
        &mut self,
        sale: i64,
        line: u32,
        job: i64,
        actor: &str,
    ) -> Result<(), BranchError> {
        self.store.write(|tx| {
            let n = tx.execute(
                "UPDATE sale_lines SET job = ?3 WHERE sale = ?1 AND line_no = ?2",
                params![sale, line, job],
            )?;
            if n == 0 {
                return Err(TillError::UnknownLine(line).into());
            }
            tx.journal(Entry::new(
                actor,
                "sale.line_linked",
                approval_subject_sale(sale),
                json!({"line": line, "job": job}),
            ))?;
            Ok(())
        })
    }

    /// A sale as it stands now.
    pub fn sale(&mut self, id: i64) -> Result<SaleView, BranchError> {
        let now = crate::store::to_ms(self.store.now());
        self.store.read(|c| sale_view(c, id, now))
    }

    /// Pays a sale with one or more tenders in one step. Card and QRIS never exceed what is due;
    /// cash may, and the change is returned. Cash needs an open drawer session on the sale's
    /// counter. QRIS tenders create codes that count once confirmed.
    pub fn pay_sale(
        &mut self,
        sale: i64,
        clerk: &str,
        tenders: &[Tender],
    ) -> Result<PaymentOutcome, BranchError> {
        let qris_config = self.config.qris.clone();
        let branch_code: String = self
            .config
            .branch
            .code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(10)
            .collect();
        let edc = self.config.till.edc_terminal.clone();
        if tenders.iter().any(|t| matches!(t, Tender::Qris { .. })) && qris_config.is_none() {
            return Err(TillError::QrisNotConfigured.into());
        }
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let now = tx.now_ms();
            let (row, s) = load_sale(tx, sale, now)?;
            let plan = s.plan_payment(tenders)?;
            let has_cash = plan.settled.iter().any(|p| p.method == Method::Cash);
            let session = if has_cash { Some(cash_session(tx, row.counter)?) } else { optional_session(tx, row.counter)? };
            let mut change = Rupiah::ZERO;
            for p in &plan.settled {
                tx.execute(
                    "INSERT INTO payments (sale, session, at_ms, kind, method, amount, tendered, change, edc_terminal, approval_code, last4, clerk)
                     VALUES (?1, ?2, ?3, 'payment', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        sale,
                        session,
                        now,
                        p.method.as_str(),
                        p.amount,
                        p.tendered,
                        p.change,
                        (p.method == Method::Debit).then_some(edc.as_str()),
                        p.approval_code,
                        p.last4,
                        clerk
                    ],
                )?;
                movement(tx, session, row.counter, MoveKind::Sale, p.method, p.tendered, Some(sale), None, clerk, None)?;
                if p.change.is_positive() {
                    movement(tx, session, row.counter, MoveKind::Change, Method::Cash, p.change.checked_neg().map_err(TillError::from)?, Some(sale), None, clerk, None)?;
                    change = p.change;
                }
            }
            let mut created = Vec::new();
            if let Some(q) = &qris_config {
                let merchant = q.merchant();
                for amount in &plan.qris {
                    let next: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM qris_payments", [], |r| r.get(0))?;
                    let reference = format!("{branch_code}-{next:06}");
                    let payload = qris::build(&merchant, *amount, &reference, &format!("LOKET{:02}", row.counter))
                        .map_err(TillError::from)?;
                    let expires = now + i64::from(q.expiry_minutes) * 60_000;
                    tx.execute(
                        "INSERT INTO qris_payments (id, sale, counter, reference, amount, payload, state, created_ms, expires_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'created', ?7, ?8)",
                        params![next, sale, row.counter, reference, amount, payload, now, expires],
                    )?;
                    created.push(next);
                }
            }
            if plan.paid_now {
                tx.execute("UPDATE sales SET status = 'paid', paid_ms = ?2 WHERE id = ?1", params![sale, now])?;
            }
            if has_cash {
                drawer_open(tx, row.counter, session, clerk, "sale", Some(sale), None, None)?;
            }
            tx.journal(Entry::new(
                clerk,
                if plan.paid_now { "sale.paid" } else { "sale.payment" },
                approval_subject_sale(sale),
                json!({
                    "session": session,
                    "tenders": plan.settled.iter().map(|p| json!({
                        "method": p.method, "amount": p.amount, "tendered": p.tendered, "change": p.change,
                        "approval_code": p.approval_code, "last4": p.last4,
                    })).collect::<Vec<_>>(),
                    "qris": plan.qris,
                    "open_drawer": has_cash,
                    "due_after": plan.due_after,
                }),
            ))?;
            let view = sale_view(tx, sale, now)?;
            let qris = view.qris.iter().filter(|q| created.contains(&q.id)).cloned().collect();
            Ok(PaymentOutcome { sale: view, change, qris, open_drawer: has_cash })
        })
    }

    /// Records that a QRIS code is on the customer's screen or receipt.
    pub fn qris_shown(&mut self, reference: &str, clerk: &str) -> Result<QrisView, BranchError> {
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
    pub fn cancel_qris(&mut self, reference: &str, clerk: &str) -> Result<SaleView, BranchError> {
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let q = find_qris(tx, reference)?;
            if !q.state.is_open() {
                return Err(TillError::QrisEnded {
                    reference: q.reference,
                    state: q.state.label().into(),
                }
                .into());
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
    pub fn expire_qris(&mut self) -> Result<usize, BranchError> {
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
    ) -> Result<QrisOutcome, BranchError> {
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let now = tx.now_ms();
            let q = find_qris(tx, reference)?;
            let late = match q.state {
                s if s.is_open() => false,
                s if s.ended_unpaid() => true,
                s => {
                    return Err(TillError::QrisEnded { reference: q.reference, state: s.label().into() }.into());
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
    pub fn qris_flagged(&mut self) -> Result<Vec<QrisView>, BranchError> {
        let now = crate::store::to_ms(self.store.now());
        self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {QRIS_COLUMNS} FROM qris_payments WHERE (state = 'paid_late' OR excess > 0) AND resolved_ms IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([], |r| row_to_qris(r, now))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The supervisor settles a flagged QRIS payment: gives back its excess (by `method`: `qris`
    /// through the acquirer, or `cash` from the drawer of `counter`) and clears the flag. Needs an
    /// approval for `qris.refund` on `qris/<reference>`.
    pub fn resolve_qris(
        &mut self,
        reference: &str,
        counter: u32,
        clerk: &str,
        method: Method,
        approval: i64,
    ) -> Result<QrisView, BranchError> {
        self.check_counter(counter)?;
        self.store.write(|tx| {
            let q = find_qris(tx, reference)?;
            if q.resolved || !(q.state == QrisState::PaidLate || q.excess.is_positive()) {
                return Err(TillError::QrisNoExcess(q.reference).into());
            }
            let ok = users::consume_approval(tx, approval, actions::QRIS_EXCESS, &approval_subject_qris(&q.reference))?;
            let mut open = false;
            if q.excess.is_positive() {
                let session = if method == Method::Cash { Some(cash_session(tx, counter)?) } else { optional_session(tx, counter)? };
                if let (Method::Cash, Some(session)) = (method, session) {
                    let in_drawer = expected_cash(tx, session)?;
                    if q.excess > in_drawer {
                        return Err(TillError::NotEnoughCash { asked: q.excess, in_drawer }.into());
                    }
                }
                movement(tx, session, counter, MoveKind::QrisExcess, method, q.excess.checked_neg().map_err(TillError::from)?, Some(q.sale), Some(&ok.reason), clerk, Some(&ok))?;
                if method == Method::Cash {
                    drawer_open(tx, counter, session, clerk, "refund", Some(q.sale), Some(&ok.reason), Some(&ok))?;
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

    /// Voids a sale (open, or paid and not refunded) with a supervisor's approval for `sale.void`
    /// on `sale/<id>`: every settled tender is given back, pending QRIS codes are cancelled.
    /// Cash given back comes out of the drawer of `counter`.
    pub fn void_sale(
        &mut self,
        sale: i64,
        counter: u32,
        clerk: &str,
        approval: i64,
    ) -> Result<VoidOutcome, BranchError> {
        self.check_counter(counter)?;
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let ok = users::consume_approval(tx, approval, actions::VOID, &approval_subject_sale(sale))?;
            let (reversed, session, open_drawer) = void_in(tx, sale, counter, clerk, &ok.reason, Some(&ok))?;
            tx.journal(Entry::new(
                clerk,
                "sale.voided",
                approval_subject_sale(sale),
                json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "reversed": reversed, "session": session, "open_drawer": open_drawer}),
            ))?;
            Ok(VoidOutcome {
                sale: sale_view(tx, sale, tx.now_ms())?,
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
        sale: i64,
        counter: u32,
        clerk: &str,
    ) -> Result<VoidOutcome, BranchError> {
        self.check_counter(counter)?;
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let (_, s) = load_sale(tx, sale, tx.now_ms())?;
            if s.status != SaleStatus::Open {
                return Err(TillError::ReturnAfterPaid(sale).into());
            }
            let (reversed, session, open_drawer) =
                void_in(tx, sale, counter, clerk, RETURNED_BEFORE_PAID, None)?;
            tx.journal(Entry::new(
                clerk,
                "sale.tenders_returned",
                approval_subject_sale(sale),
                json!({"reversed": reversed, "session": session, "open_drawer": open_drawer}),
            ))?;
            Ok(VoidOutcome {
                sale: sale_view(tx, sale, tx.now_ms())?,
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
        sale: i64,
        counter: u32,
        clerk: &str,
        request: &RefundRequest,
        method: Method,
        approval: i64,
    ) -> Result<RefundOutcome, BranchError> {
        self.check_counter(counter)?;
        self.store
            .write(|tx| refund_in(tx, sale, counter, clerk, request, method, approval))
    }

    /// What the receipt of a sale says.
    pub fn sale_receipt(&mut self, sale: i64) -> Result<report::SaleReceipt, BranchError> {
        let v = self.sale(sale)?;
        let tz = self.tz();
        let lines = v
            .lines
            .iter()
            .map(|l| report::ReceiptLine {
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price.to_string(),
                amount: l.amount.to_string(),
                note: (l.refunded_qty > 0).then(|| format!("dikembalikan {}", l.refunded_qty)),
            })
            .collect();
        let mut payments = Vec::new();
        let mut refunds = Vec::new();
        let mut change = Rupiah::ZERO;
        for p in &v.payments {
            let detail = match p.method {
                Method::Cash => p
                    .tendered
                    .filter(|t| *t != p.amount)
                    .map(|t| format!("Diterima {t}")),
                Method::Debit => Some(format!(
                    "Appr {}, kartu **** {}",
                    p.approval_code.as_deref().unwrap_or("-"),
                    p.last4.as_deref().unwrap_or("----")
                )),
                Method::Qris => p.qris_reference.as_ref().map(|r| format!("Ref {r}")),
            };
            let entry = report::ReceiptPayment {
                label: match p.kind.as_str() {
                    "void" => format!("Batal {}", p.method.label()),
                    "refund" => format!("Pengembalian {}", p.method.label()),
                    _ => p.method.label().to_string(),
                },
                amount: p.amount.to_string(),
                detail,
                tendered: p
                    .tendered
                    .filter(|t| p.method == Method::Cash && *t != p.amount)
                    .map(|t| t.to_string()),
                approval: p.approval_code.clone(),
                reference: p.qris_reference.clone(),
            };
            if p.kind == "payment" {
                if let Some(c) = p.change {
                    change = change.checked_add(c).map_err(TillError::from)?;
                }
                payments.push(entry);
            } else {
                refunds.push(entry);
            }
        }
        Ok(report::SaleReceipt {
            branch_name: self.config.branch.name.clone(),
            branch_address: self.config.branch.address.clone(),
            sale_no: format!("{:06}", v.id),
            ticket: v.ticket.clone(),
            counter: v.counter,
            clerk: v.clerk.clone(),
            at: local_time(v.paid_ms.unwrap_or(v.created_ms), tz),
            status: v.status_label.clone(),
            lines,
            total: v.total.to_string(),
            payments,
            change: change.is_positive().then(|| change.to_string()),
            refunds,
            voided: (v.status == SaleStatus::Voided)
                .then(|| format!("DIBATALKAN — {}", v.void_reason.clone().unwrap_or_default())),
            due: (v.status == SaleStatus::Open && v.due.is_positive()).then(|| v.due.to_string()),
        })
    }
}

fn find_qris(conn: &Connection, reference: &str) -> Result<QrisView, BranchError> {
    let now = i64::MIN; // the state as stored: the sweep has already run in every write
    conn.prepare_cached(&format!(
        "SELECT {QRIS_COLUMNS} FROM qris_payments WHERE reference = ?1 COLLATE NOCASE"
    ))?
    .query_row([reference.trim()], |r| row_to_qris(r, now))
    .optional()?
    .ok_or_else(|| TillError::QrisUnknown(reference.to_string()).into())
}

/// Closes a counted session: numbers and freezes its Z report in the same transaction.
fn close_session(
    tx: &mut Tx<'_>,
    config: &Config,
    tz: TimeZone,
    session: i64,
    clerk: &str,
    approval: Option<&users::Approval>,
) -> Result<TillReport, BranchError> {
    let now = tx.now_ms();
    let number: i64 = tx.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM z_reports",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE till_sessions SET state = 'closed', closed_ms = ?2, closed_by = ?3, z_number = ?4,
         approval = ?5, variance_reason = ?6 WHERE id = ?1",
        params![
            session,
            now,
            clerk,
            number,
            approval.map(|a| a.id),
            approval.map(|a| a.reason.clone())
        ],
    )?;
    let s = session_by(tx, "s.id = ?1", session)?.ok_or(TillError::NoZ)?;
    // The head as the Z slip carries it out of the database: a later rewrite of anything up to
    // here contradicts the paper (and the anchor's timestamp).
    let anchored = crate::journal::anchor::record(tx, crate::journal::anchor::Reason::Z(number))?;
    let mut doc = build_report(tx, config, tz, &s, ReportKind::Z, Some(number), now)?;
    if let (Some(head), Some(closing)) = (
        anchored,
        doc.sections
            .iter_mut()
            .find(|s| s.title.starts_with("Penutupan")),
    ) {
        closing.rows.push(crate::till::report::ReportRow {
            label: format!("Jurnal s.d. {}", head.short()),
            count: None,
            amount: None,
        });
        if let Some(figures) = doc.figures.as_mut() {
            figures.journal_head = Some(head);
        }
    }
    let text = serde_json::to_string(&doc).map_err(|e| TillError::Encode(e.to_string()))?;
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    tx.execute(
        "INSERT INTO z_reports (number, session, counter, business_day, created_ms, document, sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![number, session, s.counter, s.business_day, now, text, sha],
    )?;
    tx.journal(Entry::new(
        clerk,
        "till.closed",
        approval_subject_session(session),
        json!({
            "counter": s.counter, "z": number, "sha256": sha,
            "expected": s.expected_total, "counted": s.counted_total, "variance": s.variance,
            "approval": approval.map(|a| a.id), "supervisor": approval.map(|a| a.supervisor.clone()),
            "reason": approval.map(|a| a.reason.clone()),
        }),
    ))?;
    Ok(doc)
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
) -> Result<RefundOutcome, BranchError> {
    let now = tx.now_ms();
    let (_, s) = load_sale(tx, sale, now)?;
    let plan = s.plan_refund(request, method)?;
    let ok = users::consume_approval(tx, approval, actions::REFUND, &approval_subject_sale(sale))?;
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
            }
            .into());
        }
    }
    tx.execute(
            "INSERT INTO refunds (sale, session, at_ms, method, amount, reason, approval, supervisor, clerk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![sale, session, now, method.as_str(), plan.amount, ok.reason, ok.id, ok.supervisor, clerk],
        )?;
    let refund = tx.last_insert_rowid();
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
            approval_subject_sale(sale),
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

/// One stored Z report as a list shows it (the document itself stays in `z_reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZListing {
    pub number: i64,
    pub session: i64,
    pub counter: u32,
    pub business_day: String,
    pub created_ms: i64,
    /// How many counted copies have been printed since the close.
    pub reprints: i64,
}

impl Branch {
    /// The newest stored Z reports, newest first (the supervisor console's list).
    pub fn recent_z_reports(&mut self, limit: u32) -> Result<Vec<ZListing>, BranchError> {
        self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT z.number, z.session, z.counter, z.business_day, z.created_ms,
                        (SELECT COUNT(*) FROM z_reprints r WHERE r.number = z.number)
                 FROM z_reports z ORDER BY z.number DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(ZListing {
                    number: r.get(0)?,
                    session: r.get(1)?,
                    counter: r.get(2)?,
                    business_day: r.get(3)?,
                    created_ms: r.get(4)?,
                    reprints: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
