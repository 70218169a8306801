//! The till persisted: each operation is one immediate transaction that loads the sale or session,
//! applies the rules of `domain`, writes rows and ledger movements, and appends its journal entry.

use super::TillError;
use super::domain::{
    CashCount, Line, LineKind, Method, MoveKind, QrisState, Sale, SaleStatus, quick_amounts,
};
use crate::day::TimeZone;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::store::Tx;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::till::SaleId;
use crate::users;
use serde::Serialize;

mod qris_codes;
mod refund;
mod sale;
mod session;
mod z;

pub use qris_codes::QrisOutcome;
pub(crate) use refund::refund_in;
pub use refund::{RETURNED_BEFORE_PAID, RefundOutcome, VoidOutcome};
pub use sale::PaymentOutcome;
pub use session::{CloseOutcome, DrawerOutcome};
pub use z::ZListing;

crate::branch::service!(
    /// The till: drawer sessions, sales, QRIS codes, refunds and X/Z reports.
    TillService,
    till
);

pub fn approval_subject_sale(sale: SaleId) -> String {
    format!("sale/{sale}")
}

pub fn approval_subject_counter(counter: CounterNo) -> String {
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

fn json_err(col: usize, e: serde_json::Error) -> crate::store::sql::Error {
    crate::store::sql::Error::FromSqlConversionFailure(
        col,
        crate::store::sql::Type::Text,
        Box::new(e),
    )
}

fn row_to_session(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<SessionView> {
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

fn session_by(
    conn: &Connection,
    filter: &str,
    arg: i64,
) -> crate::store::sql::Result<Option<SessionView>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM till_sessions s LEFT JOIN approvals a ON a.id = s.approval WHERE {filter}"
    ))?
    .query_row([arg], row_to_session)
    .optional()
}

/// The counter's session that is not closed yet (open or being counted).
fn current_session(
    conn: &Connection,
    counter: u32,
) -> crate::store::sql::Result<Option<SessionView>> {
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
fn optional_session(conn: &Connection, counter: u32) -> crate::store::sql::Result<Option<i64>> {
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
) -> crate::store::sql::Result<()> {
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
) -> crate::store::sql::Result<()> {
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

fn load_sale(conn: &Connection, id: i64, now_ms: i64) -> Result<(SaleRow, Sale), TillError> {
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
        return Err(TillError::UnknownSale(id));
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
    pub id: SaleId,
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

fn row_to_qris(r: &crate::store::sql::Row<'_>, now_ms: i64) -> crate::store::sql::Result<QrisView> {
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

fn sale_view(conn: &Connection, id: i64, now_ms: i64) -> Result<SaleView, TillError> {
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
        id: crate::till::SaleId(id),
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

impl TillService<'_> {
    pub(crate) fn check_counter(&self, counter: u32) -> Result<(), TillError> {
        self.config
            .counter(counter)
            .map(|_| ())
            .ok_or(TillError::UnknownCounter(counter))
    }

    fn tz(&self) -> TimeZone {
        self.config.branch.timezone
    }
}
