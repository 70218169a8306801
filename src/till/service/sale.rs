//! Sales: a new sale, its lines, paying it with tenders, and its receipt.

use super::TillService;
use super::qris_codes::expire_qris_codes;
use super::{
    QrisView, SaleView, approval_subject_sale, cash_session, drawer_open, load_sale, local_time,
    movement, optional_session, sale_view,
};
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::qris;
use crate::queue::CounterNo;
use crate::queue::TicketNo;
use crate::store::sql::params;
use crate::till::SaleId;
use crate::till::domain::{LineKind, Method, MoveKind, SaleStatus, Tender};
use crate::till::{TillError, report};
use serde::Serialize;
use serde_json::json;

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

impl TillService<'_> {
    /// Starts a sale at `counter`, optionally for a queue ticket (e.g. `C-003`).
    pub fn new_sale(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        ticket: Option<&TicketNo>,
    ) -> Result<SaleView, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            let session = optional_session(tx, counter.get())?;
            let id: i64 = tx.query_row(
                "INSERT INTO sales (business_day, counter, clerk, session, ticket, status, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6) RETURNING id",
                params![tx.day().to_string(), counter, clerk, session, ticket, tx.now_ms()],
                |r| r.get(0),
            )?;
            tx.journal(Entry::new(
                clerk,
                "sale.created",
                approval_subject_sale(crate::till::SaleId(id)),
                json!({"counter": counter, "ticket": ticket, "session": session}),
            ))?;
            sale_view(tx, id, tx.now_ms())
        })
    }

    /// Adds `quantity` of the price-list item `code` (and its service-fee line when the item has
    /// one), optionally for a stamping job.
    pub fn add_to_sale(
        &mut self,
        sale: SaleId,
        clerk: &str,
        code: &str,
        quantity: i64,
        job: Option<i64>,
    ) -> Result<SaleView, TillError> {
        let item = self
            .config
            .prices
            .item(code)
            .ok_or_else(|| TillError::UnknownItem(code.to_string()))?
            .clone();
        self.store.write(|tx| {
            let (_, s) = load_sale(tx, sale.get(), tx.now_ms())?;
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
            sale_view(tx, sale.get(), tx.now_ms())
        })
    }

    /// Links a sale line to a stamping job (used by the stamping service).
    pub fn link_sale_line_job(
        &mut self,
        sale: SaleId,
        line: u32,
        job: i64,
        actor: &str,
    ) -> Result<(), TillError> {
        self.store.write(|tx| {
            let n = tx.execute(
                "UPDATE sale_lines SET job = ?3 WHERE sale = ?1 AND line_no = ?2",
                params![sale, line, job],
            )?;
            if n == 0 {
                return Err(TillError::UnknownLine(line));
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
    pub fn sale(&mut self, id: SaleId) -> Result<SaleView, TillError> {
        let now = crate::store::to_ms(self.store.now());
        self.store.read(|c| sale_view(c, id.get(), now))
    }

    /// Pays a sale with one or more tenders in one step. Card and QRIS never exceed what is due;
    /// cash may, and the change is returned. Cash needs an open drawer session on the sale's
    /// counter. QRIS tenders create codes that count once confirmed.
    pub fn pay_sale(
        &mut self,
        sale: SaleId,
        clerk: &str,
        tenders: &[Tender],
    ) -> Result<PaymentOutcome, TillError> {
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
            return Err(TillError::QrisNotConfigured);
        }
        self.store.write(|tx| {
            expire_qris_codes(tx)?;
            let now = tx.now_ms();
            let (row, s) = load_sale(tx, sale.get(), now)?;
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
                movement(tx, session, row.counter, MoveKind::Sale, p.method, p.tendered, Some(sale.get()), None, clerk, None)?;
                if p.change.is_positive() {
                    movement(tx, session, row.counter, MoveKind::Change, Method::Cash, p.change.checked_neg().map_err(TillError::from)?, Some(sale.get()), None, clerk, None)?;
                    change = p.change;
                }
            }
            let mut created = Vec::new();
            if let Some(q) = &qris_config {
                let merchant = q.merchant();
                for amount in &plan.qris {
                    let next: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM qris_payments", (), |r| r.get(0))?;
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
                drawer_open(tx, row.counter, session, clerk, "sale", Some(sale.get()), None, None)?;
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
            let view = sale_view(tx, sale.get(), now)?;
            let qris = view.qris.iter().filter(|q| created.contains(&q.id)).cloned().collect();
            Ok(PaymentOutcome { sale: view, change, qris, open_drawer: has_cash })
        })
    }

    /// What the receipt of a sale says.
    pub fn sale_receipt(&mut self, sale: SaleId) -> Result<report::SaleReceipt, TillError> {
        let v = self.sale(sale)?;
        let tz = self.tz();
        let lines = v
            .lines
            .iter()
            .map(|l| report::ReceiptLine {
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.amount,
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
                amount: p.amount,
                detail,
                tendered: p
                    .tendered
                    .filter(|t| p.method == Method::Cash && *t != p.amount),
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
            total: v.total,
            payments,
            change: change.is_positive().then_some(change),
            refunds,
            voided: (v.status == SaleStatus::Voided)
                .then(|| format!("DIBATALKAN — {}", v.void_reason.clone().unwrap_or_default())),
            due: (v.status == SaleStatus::Open && v.due.is_positive()).then_some(v.due),
        })
    }
}
