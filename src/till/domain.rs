//! The till's pure rules: cash counts, the sale state machine (lines, tenders, voids, refunds) and the drawer ledger fold behind X and Z.
#![deny(clippy::float_arithmetic)]

use super::TillError;
use crate::money::Rupiah;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Notes and coins a drawer is counted in, largest first.
pub const DENOMINATIONS: [i64; 10] = [
    100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100,
];

/// A counted amount of cash: pieces per denomination, plus an amount given only as a total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashCount {
    /// Denomination (rupiah) → number of pieces.
    pub pieces: BTreeMap<i64, i64>,
    /// Cash given as a plain total instead of by denomination.
    pub other: Rupiah,
}

impl CashCount {
    /// A count given only as a total.
    pub fn total_only(amount: Rupiah) -> CashCount {
        CashCount {
            pieces: BTreeMap::new(),
            other: amount,
        }
    }

    /// Parses `100000x1,50000x2,500x4` (also `×`, `*` or `:`), a plain total (`350000`, `Rp350.000`),
    /// or a mix of both separated by commas or spaces.
    pub fn parse(text: &str) -> Result<CashCount, TillError> {
        let bad = |why: String| TillError::BadCount(why);
        let mut count = CashCount::default();
        let entries: Vec<&str> = text
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries.is_empty() {
            return Err(bad(crate::words::current().count_empty()));
        }
        for entry in entries {
            if let Some((denom, pieces)) = entry.split_once(['x', 'X', '×', '*', ':']) {
                let denom = Rupiah::parse(denom)
                    .map_err(|e| bad(e.to_string()))?
                    .value();
                if !DENOMINATIONS.contains(&denom) {
                    return Err(bad(
                        crate::words::current().count_denomination(&Rupiah::new(denom))
                    ));
                }
                let pieces: i64 = pieces
                    .trim()
                    .parse()
                    .ok()
                    .filter(|p| (0..=100_000).contains(p))
                    .ok_or_else(|| bad(crate::words::current().count_pieces(pieces)))?;
                let slot = count.pieces.entry(denom).or_insert(0);
                *slot += pieces;
            } else {
                let amount = Rupiah::parse(entry).map_err(|e| bad(e.to_string()))?;
                if amount.is_negative() {
                    return Err(bad(crate::words::current().count_negative()));
                }
                count.other = count.other.checked_add(amount)?;
            }
        }
        count.pieces.retain(|_, n| *n > 0);
        count.total()?;
        Ok(count)
    }

    pub fn total(&self) -> Result<Rupiah, TillError> {
        let mut total = self.other;
        for (&denom, &n) in &self.pieces {
            total = total.checked_add(Rupiah::new(denom).checked_mul(n)?)?;
        }
        Ok(total)
    }

    /// Rows "Rp100.000 × 2 = Rp200.000" for a report, largest first.
    pub fn rows(&self) -> Vec<(Rupiah, i64, Rupiah)> {
        DENOMINATIONS
            .iter()
            .filter_map(|d| {
                let n = *self.pieces.get(d)?;
                Some((Rupiah::new(*d), n, Rupiah::new(*d).checked_mul(n).ok()?))
            })
            .collect()
    }
}

/// How a tender is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Cash,
    Debit,
    Qris,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Cash, Method::Debit, Method::Qris];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Debit => "debit",
            Method::Qris => "qris",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cash" | "tunai" => Some(Method::Cash),
            "debit" | "edc" | "kartu" => Some(Method::Debit),
            "qris" => Some(Method::Qris),
            _ => None,
        }
    }

    /// The method's name in the process's language, for receipts and reports.
    pub fn label(self) -> &'static str {
        crate::words::current().method(self)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    Open,
    Paid,
    PartlyRefunded,
    Refunded,
    Voided,
}

impl SaleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleStatus::Open => "open",
            SaleStatus::Paid => "paid",
            SaleStatus::PartlyRefunded => "partly_refunded",
            SaleStatus::Refunded => "refunded",
            SaleStatus::Voided => "voided",
        }
    }

    pub fn parse(text: &str) -> Option<SaleStatus> {
        Some(match text {
            "open" => SaleStatus::Open,
            "paid" => SaleStatus::Paid,
            "partly_refunded" => SaleStatus::PartlyRefunded,
            "refunded" => SaleStatus::Refunded,
            "voided" => SaleStatus::Voided,
            _ => return None,
        })
    }

    /// The status in the process's language.
    pub fn label(self) -> &'static str {
        crate::words::current().sale_status(self)
    }
}

/// Where a QRIS code is in its life: made, on the customer's screen or slip, then paid (in time or
/// after it ended), expired or cancelled. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QrisState {
    Created,
    Shown,
    Paid,
    PaidLate,
    Expired,
    Cancelled,
}

impl QrisState {
    const ALL: [QrisState; 6] = [
        QrisState::Created,
        QrisState::Shown,
        QrisState::Paid,
        QrisState::PaidLate,
        QrisState::Expired,
        QrisState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QrisState::Created => "created",
            QrisState::Shown => "shown",
            QrisState::Paid => "paid",
            QrisState::PaidLate => "paid_late",
            QrisState::Expired => "expired",
            QrisState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<QrisState> {
        QrisState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The customer may still pay it (until its expiry).
    pub fn is_open(self) -> bool {
        matches!(self, QrisState::Created | QrisState::Shown)
    }

    /// It ended unpaid: a payment that still comes is late.
    pub fn ended_unpaid(self) -> bool {
        matches!(self, QrisState::Expired | QrisState::Cancelled)
    }

    /// The state in the process's language.
    pub fn label(self) -> &'static str {
        crate::words::current().qris_state(self)
    }
}

impl fmt::Display for QrisState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl crate::store::sql::ToSql for QrisState {
    fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl crate::store::sql::FromSql for QrisState {
    fn column_result(
        value: crate::store::sql::ValueRef<'_>,
    ) -> crate::store::sql::FromSqlResult<Self> {
        let text = value.as_str()?;
        QrisState::parse(text).ok_or_else(|| {
            crate::store::sql::FromSqlError::Other(format!("unknown QRIS state {text:?}").into())
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Item,
    /// The service fee for the line before it.
    Fee,
}

/// One line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub no: u32,
    pub item: String,
    pub name: String,
    pub kind: LineKind,
    pub quantity: i64,
    pub unit_price: Rupiah,
    pub refunded_qty: i64,
    pub job: Option<i64>,
}

impl Line {
    pub fn amount(&self) -> Result<Rupiah, TillError> {
        Ok(self.unit_price.checked_mul(self.quantity)?)
    }
}

/// A sale as the rules see it.
/// A sale's number (`sales.id`), as receipts, the CLI and the daily pack name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SaleId(pub i64);

crate::store::typed::integer_id!(SaleId, i64);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    pub id: i64,
    pub status: SaleStatus,
    pub lines: Vec<Line>,
    /// Settled payments per method (what counts toward the total).
    pub paid: BTreeMap<Method, Rupiah>,
    /// Refunded so far per method.
    pub refunded: BTreeMap<Method, Rupiah>,
    /// QRIS codes shown and not yet paid, expired or cancelled.
    pub pending_qris: Rupiah,
}

/// A tender the clerk enters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Tender {
    /// Cash handed over; may exceed what is due (change is given).
    Cash { tendered: Rupiah },
    /// A debit card on the branch EDC, with the approval code and last four card digits it printed.
    Debit {
        amount: Rupiah,
        approval_code: String,
        last4: String,
    },
    /// A dynamic QRIS code for this amount; it counts once the payment is confirmed.
    Qris { amount: Rupiah },
}

/// What a payment will do, decided before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPlan {
    pub settled: Vec<Settled>,
    pub qris: Vec<Rupiah>,
    pub paid_now: bool,
    pub due_after: Rupiah,
}

/// A tender that settles part of the sale now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub method: Method,
    /// Counted toward the sale.
    pub amount: Rupiah,
    /// Cash handed over (cash only).
    pub tendered: Rupiah,
    /// Change given back (cash only).
    pub change: Rupiah,
    pub approval_code: Option<String>,
    pub last4: Option<String>,
}

/// Items a refund gives back: line number → quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRequest {
    /// Everything not yet refunded.
    All,
    Lines(Vec<(u32, i64)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan {
    pub method: Method,
    pub amount: Rupiah,
    /// (line number, quantity, amount)
    pub lines: Vec<(u32, i64, Rupiah)>,
    pub status_after: SaleStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidPlan {
    /// Money to give back per method (what was settled).
    pub reversals: Vec<(Method, Rupiah)>,
}

/// The approval code an EDC prints: 6 letters or digits (ISO 8583 field 38).
pub fn valid_approval_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn valid_last4(last4: &str) -> bool {
    last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit())
}

impl Tender {
    /// The money the tender brings: the cash handed over (change included), or the card or QRIS
    /// amount.
    pub fn amount(&self) -> Rupiah {
        match self {
            Tender::Cash { tendered } => *tendered,
            Tender::Debit { amount, .. } | Tender::Qris { amount } => *amount,
        }
    }
}

/// The tender a payment form is filling in, before its amount is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderDraft<'a> {
    Cash,
    /// The EDC's approval code and the card's last four digits as typed so far.
    Debit {
        approval_code: &'a str,
        last4: &'a str,
    },
    Qris,
}

/// Why a payment form cannot take a tender yet. The form words it; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderRefusal {
    /// The amount typed is not a positive amount of rupiah.
    BadAmount,
    /// Cash goes into a drawer, and the counter has no open drawer session.
    CashNeedsDrawer,
    /// A debit tender without its approval code or the card's last four digits.
    DebitDetailsMissing,
    /// Card and QRIS never pay more than is still owed (cash may: the rest is change).
    OverDue { amount: Rupiah, remaining: Rupiah },
}

/// A sale on the payment form: what is due, and what the tenders already put aside (recorded on
/// the sale one by one) leave to pay. Decides whether the next tender may go to the till; the
/// till's [`Sale::plan_payment`] then decides how it settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentPreview {
    /// The money the tenders put aside bring.
    pub taken: Rupiah,
    /// What is still owed after them (never below zero).
    pub remaining: Rupiah,
}

impl PaymentPreview {
    pub fn new(due: Rupiah, tenders: &[Tender]) -> PaymentPreview {
        // Figures past i64 are not money a counter takes: an overflowing sum keeps what it had,
        // an overflowing difference leaves nothing owed.
        let taken = tenders
            .iter()
            .fold(Rupiah::ZERO, |a, t| a.checked_add(t.amount()).unwrap_or(a));
        let mut left = due;
        for t in tenders {
            left = left.checked_sub(t.amount()).unwrap_or(Rupiah::ZERO);
        }
        PaymentPreview {
            taken,
            remaining: left.max(Rupiah::ZERO),
        }
    }

    /// The tender the form may record next, from its draft and the amount as typed (blank: what
    /// is still owed). `drawer_open` is false when the counter's drawer session is closed or
    /// being counted.
    pub fn next_tender(
        &self,
        draft: TenderDraft<'_>,
        typed: &str,
        drawer_open: bool,
    ) -> Result<Tender, TenderRefusal> {
        let typed = typed.trim();
        let amount = if typed.is_empty() {
            self.remaining
        } else {
            match Rupiah::parse(typed) {
                Ok(a) if a.is_positive() => a,
                _ => return Err(TenderRefusal::BadAmount),
            }
        };
        let fits = || {
            if amount > self.remaining {
                Err(TenderRefusal::OverDue {
                    amount,
                    remaining: self.remaining,
                })
            } else {
                Ok(())
            }
        };
        match draft {
            TenderDraft::Cash if !drawer_open => Err(TenderRefusal::CashNeedsDrawer),
            TenderDraft::Cash => Ok(Tender::Cash { tendered: amount }),
            TenderDraft::Debit {
                approval_code,
                last4,
            } => {
                // The full check of the code and digits is the till's when it records the tender;
                // here only whether the clerk has typed them.
                if approval_code.len() < 4 || last4.len() != 4 {
                    return Err(TenderRefusal::DebitDetailsMissing);
                }
                fits()?;
                Ok(Tender::Debit {
                    amount,
                    approval_code: approval_code.to_string(),
                    last4: last4.to_string(),
                })
            }
            TenderDraft::Qris => {
                fits()?;
                Ok(Tender::Qris { amount })
            }
        }
    }
}

impl Sale {
    pub fn new(id: i64) -> Sale {
        Sale {
            id,
            status: SaleStatus::Open,
            lines: Vec::new(),
            paid: BTreeMap::new(),
            refunded: BTreeMap::new(),
            pending_qris: Rupiah::ZERO,
        }
    }

    pub fn total(&self) -> Result<Rupiah, TillError> {
        let mut total = Rupiah::ZERO;
        for line in &self.lines {
            total = total.checked_add(line.amount()?)?;
        }
        Ok(total)
    }

    pub fn paid_total(&self) -> Result<Rupiah, TillError> {
        Ok(Rupiah::sum(self.paid.values().copied())?)
    }

    pub fn refunded_total(&self) -> Result<Rupiah, TillError> {
        Ok(Rupiah::sum(self.refunded.values().copied())?)
    }

    /// What is still to be paid, not counting QRIS codes that are being paid right now.
    pub fn due(&self) -> Result<Rupiah, TillError> {
        Ok(self
            .total()?
            .checked_sub(self.paid_total()?)?
            .checked_sub(self.pending_qris)?)
    }

    fn must_be_open(&self) -> Result<(), TillError> {
        match self.status {
            SaleStatus::Open => Ok(()),
            SaleStatus::Voided => Err(TillError::SaleVoided(self.id)),
            _ => Err(TillError::SaleAlreadyPaid(self.id)),
        }
    }

    /// The lines that adding `quantity` of an item (and its service fee, if any) appends.
    pub fn plan_add(
        &self,
        code: &str,
        name: &str,
        price: Rupiah,
        service_fee: Rupiah,
        quantity: i64,
        job: Option<i64>,
    ) -> Result<Vec<Line>, TillError> {
        self.must_be_open()?;
        if !(1..=999).contains(&quantity) {
            return Err(TillError::BadQuantity(quantity));
        }
        let mut next = self.lines.iter().map(|l| l.no).max().unwrap_or(0);
        let mut out = Vec::new();
        next += 1;
        out.push(Line {
            no: next,
            item: code.to_string(),
            name: name.to_string(),
            kind: LineKind::Item,
            quantity,
            unit_price: price,
            refunded_qty: 0,
            job,
        });
        if service_fee.is_positive() {
            next += 1;
            out.push(Line {
                no: next,
                item: code.to_string(),
                // The line's name is printed on the customer's receipt and stored with the sale: the
                // branch's customer words, like the item names in `loket.toml`, not the process language.
                name: format!("Biaya layanan {name}"),
                kind: LineKind::Fee,
                quantity,
                unit_price: service_fee,
                refunded_qty: 0,
                job,
            });
        }
        // The new total must still be computable.
        let mut after = self.clone();
        after.lines.extend(out.iter().cloned());
        after.total()?;
        Ok(out)
    }

    /// Decides how tenders settle the sale. Card and QRIS are applied first and may never exceed
    /// what is due; cash is applied last and may exceed it, the rest being change.
    pub fn plan_payment(&self, tenders: &[Tender]) -> Result<PaymentPlan, TillError> {
        self.must_be_open()?;
        if self.lines.is_empty() || self.total()?.is_zero() {
            return Err(TillError::EmptySale(self.id));
        }
        if tenders.is_empty() {
            return Err(TillError::NoTender);
        }
        let mut due = self.due()?;
        let mut settled = Vec::new();
        let mut qris = Vec::new();
        for tender in tenders.iter().filter(|t| !matches!(t, Tender::Cash { .. })) {
            let (method, amount) = match tender {
                Tender::Debit { amount, .. } => (Method::Debit, *amount),
                Tender::Qris { amount } => (Method::Qris, *amount),
                Tender::Cash { .. } => continue,
            };
            if !amount.is_positive() {
                return Err(TillError::ZeroAmount(method));
            }
            if amount > due {
                return Err(TillError::Overpay {
                    method,
                    amount,
                    due,
                });
            }
            due = due.checked_sub(amount)?;
            match tender {
                Tender::Debit {
                    approval_code,
                    last4,
                    ..
                } => {
                    let code = approval_code.trim().to_ascii_uppercase();
                    if !valid_approval_code(&code) {
                        return Err(TillError::BadApprovalCode(approval_code.clone()));
                    }
                    if !valid_last4(last4.trim()) {
                        return Err(TillError::BadLast4(last4.clone()));
                    }
                    settled.push(Settled {
                        method,
                        amount,
                        tendered: amount,
                        change: Rupiah::ZERO,
                        approval_code: Some(code),
                        last4: Some(last4.trim().to_string()),
                    });
                }
                _ => qris.push(amount),
            }
        }
        let cash: Vec<Rupiah> = tenders
            .iter()
            .filter_map(|t| match t {
                Tender::Cash { tendered } => Some(*tendered),
                _ => None,
            })
            .collect();
        if cash.len() > 1 {
            return Err(TillError::TwoCashTenders);
        }
        if let Some(&tendered) = cash.first() {
            if !tendered.is_positive() {
                return Err(TillError::ZeroAmount(Method::Cash));
            }
            if due.is_zero() {
                return Err(TillError::NothingDue(self.id));
            }
            let amount = tendered.min(due);
            let change = tendered.checked_sub(amount)?;
            due = due.checked_sub(amount)?;
            settled.push(Settled {
                method: Method::Cash,
                amount,
                tendered,
                change,
                approval_code: None,
                last4: None,
            });
        }
        let paid_now = due.is_zero() && qris.is_empty() && self.pending_qris.is_zero();
        Ok(PaymentPlan {
            settled,
            qris,
            paid_now,
            due_after: due,
        })
    }

    /// A void gives back everything settled, per method. Only a sale without refunds can be voided;
    /// one that was partly refunded is refunded for the rest instead.
    pub fn plan_void(&self) -> Result<VoidPlan, TillError> {
        match self.status {
            SaleStatus::Open | SaleStatus::Paid => {}
            SaleStatus::Voided => return Err(TillError::SaleVoided(self.id)),
            SaleStatus::PartlyRefunded | SaleStatus::Refunded => {
                return Err(TillError::VoidAfterRefund(self.id));
            }
        }
        let reversals = self
            .paid
            .iter()
            .filter(|(_, a)| a.is_positive())
            .map(|(m, a)| (*m, *a))
            .collect();
        Ok(VoidPlan { reversals })
    }

    /// A refund of whole lines or quantities of them, never more than was paid for a line, and to
    /// a card or QRIS never more than was paid that way.
    pub fn plan_refund(
        &self,
        request: &RefundRequest,
        method: Method,
    ) -> Result<RefundPlan, TillError> {
        match self.status {
            SaleStatus::Paid | SaleStatus::PartlyRefunded => {}
            SaleStatus::Open => return Err(TillError::RefundUnpaid(self.id)),
            SaleStatus::Voided => return Err(TillError::SaleVoided(self.id)),
            SaleStatus::Refunded => return Err(TillError::AlreadyRefunded(self.id)),
        }
        let wanted: Vec<(u32, i64)> = match request {
            RefundRequest::All => self
                .lines
                .iter()
                .filter(|l| l.quantity > l.refunded_qty)
                .map(|l| (l.no, l.quantity - l.refunded_qty))
                .collect(),
            RefundRequest::Lines(lines) => lines.clone(),
        };
        if wanted.is_empty() {
            return Err(TillError::AlreadyRefunded(self.id));
        }
        let mut left: BTreeMap<u32, i64> = self
            .lines
            .iter()
            .map(|l| (l.no, l.quantity - l.refunded_qty))
            .collect();
        let mut lines = Vec::new();
        let mut amount = Rupiah::ZERO;
        for (no, qty) in wanted {
            let line = self
                .lines
                .iter()
                .find(|l| l.no == no)
                .ok_or(TillError::UnknownLine(no))?;
            let remaining = left.get_mut(&no).ok_or(TillError::UnknownLine(no))?;
            if qty <= 0 || qty > *remaining {
                return Err(TillError::RefundAboveLine {
                    line: no,
                    asked: qty,
                    left: *remaining,
                });
            }
            *remaining -= qty;
            let a = line.unit_price.checked_mul(qty)?;
            amount = amount.checked_add(a)?;
            lines.push((no, qty, a));
        }
        if method != Method::Cash {
            let paid = self.paid.get(&method).copied().unwrap_or_default();
            let refunded = self.refunded.get(&method).copied().unwrap_or_default();
            let available = paid.checked_sub(refunded)?;
            if amount > available {
                return Err(TillError::RefundAboveMethod {
                    method,
                    asked: amount,
                    available,
                });
            }
        }
        // The whole refund can never exceed what was paid for the sale.
        let available = self.paid_total()?.checked_sub(self.refunded_total()?)?;
        if amount > available {
            return Err(TillError::RefundAboveMethod {
                method,
                asked: amount,
                available,
            });
        }
        let status_after = if left.values().all(|&n| n == 0) {
            SaleStatus::Refunded
        } else {
            SaleStatus::PartlyRefunded
        };
        Ok(RefundPlan {
            method,
            amount,
            lines,
            status_after,
        })
    }
}

/// Amounts a customer is likely to hand over for `total`: the next round amounts above it in
/// Rp5.000, Rp10.000, Rp20.000, Rp50.000 and Rp100.000 steps (for Rp37.000: Rp40.000, Rp50.000,
/// Rp100.000). The exact amount ("uang pas") is not repeated here.
pub fn quick_amounts(total: Rupiah) -> Vec<Rupiah> {
    let mut out: Vec<Rupiah> = Vec::new();
    if !total.is_positive() {
        return out;
    }
    let t = total.value();
    for step in [5_000i64, 10_000, 20_000, 50_000, 100_000] {
        // The total rounded up to this step; when that is the total itself it is the exact amount.
        let Some(up) = t.checked_add(step - 1).map(|v| v / step * step) else {
            continue;
        };
        let candidate = Rupiah::new(up);
        if up > t && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out.sort();
    out.truncate(4);
    out
}

/// What a movement in the drawer ledger is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// The counted float at opening.
    Float,
    /// Money taken for a sale (cash: the amount handed over).
    Sale,
    /// Change given back (negative).
    Change,
    /// Money given back for refunded items (negative).
    Refund,
    /// Money given back for a voided sale (negative).
    Void,
    /// Cash paid out of the drawer for an expense (negative).
    PayOut,
    /// Cash taken to the safe (negative).
    Drop,
    /// A QRIS payment that arrived after its sale was settled another way: money to give back.
    QrisExcess,
}

impl MoveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Float => "float",
            MoveKind::Sale => "sale",
            MoveKind::Change => "change",
            MoveKind::Refund => "refund",
            MoveKind::Void => "void",
            MoveKind::PayOut => "payout",
            MoveKind::Drop => "drop",
            MoveKind::QrisExcess => "qris_excess",
        }
    }

    pub fn parse(text: &str) -> Option<MoveKind> {
        Some(match text {
            "float" => MoveKind::Float,
            "sale" => MoveKind::Sale,
            "change" => MoveKind::Change,
            "refund" => MoveKind::Refund,
            "void" => MoveKind::Void,
            "payout" => MoveKind::PayOut,
            "drop" => MoveKind::Drop,
            "qris_excess" => MoveKind::QrisExcess,
            _ => return None,
        })
    }
}

/// One signed movement of money in a drawer session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub kind: MoveKind,
    pub method: Method,
    pub amount: Rupiah,
    pub sale: Option<i64>,
}

/// Takings of one tender in a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTotal {
    pub method: Option<Method>,
    /// Sales settled with it (cash: net of change), and how many payments.
    pub sales: Rupiah,
    pub count: i64,
    pub refunds: Rupiah,
    pub voids: Rupiah,
    /// sales − refunds − voids
    pub net: Rupiah,
}

/// The figures of a drawer session, folded from its ledger alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub float: Rupiah,
    /// Cash handed over by customers (before change).
    pub cash_received: Rupiah,
    pub change_given: Rupiah,
    pub cash_refunds: Rupiah,
    pub cash_voids: Rupiah,
    pub payouts: Rupiah,
    pub payout_count: i64,
    pub drops: Rupiah,
    pub drop_count: i64,
    /// float + cash received − change − cash refunds − cash voids − pay-outs − drops.
    pub expected_cash: Rupiah,
    pub cash: TenderTotal,
    pub debit: TenderTotal,
    pub qris: TenderTotal,
    /// Sales across tenders, refunds and voids (positive numbers), and what remains.
    pub gross_sales: Rupiah,
    pub refunds: Rupiah,
    pub voids: Rupiah,
    pub net_sales: Rupiah,
    /// QRIS money that arrived late for sales already settled: to be given back.
    pub qris_excess: Rupiah,
}

impl Summary {
    pub fn tender(&self, method: Method) -> &TenderTotal {
        match method {
            Method::Cash => &self.cash,
            Method::Debit => &self.debit,
            Method::Qris => &self.qris,
        }
    }

    fn tender_mut(&mut self, method: Method) -> &mut TenderTotal {
        match method {
            Method::Cash => &mut self.cash,
            Method::Debit => &mut self.debit,
            Method::Qris => &mut self.qris,
        }
    }
}

/// Folds a session's ledger into its figures: the X report and the Z report are this, and nothing
/// else. The expected cash is the signed sum of the cash movements.
pub fn summarize(movements: &[Movement]) -> Result<Summary, TillError> {
    let mut s = Summary::default();
    for m in Method::ALL {
        s.tender_mut(m).method = Some(m);
    }
    let add = |acc: &mut Rupiah, v: Rupiah| -> Result<(), TillError> {
        *acc = acc.checked_add(v)?;
        Ok(())
    };
    for mv in movements {
        let cash = mv.method == Method::Cash;
        let out = mv.amount.checked_neg()?;
        if cash {
            let expected = s.expected_cash;
            s.expected_cash = expected.checked_add(mv.amount)?;
        }
        match mv.kind {
            MoveKind::Float => add(&mut s.float, mv.amount)?,
            MoveKind::Sale => {
                if cash {
                    add(&mut s.cash_received, mv.amount)?;
                }
                let t = s.tender_mut(mv.method);
                add(&mut t.sales, mv.amount)?;
                t.count += 1;
                add(&mut s.gross_sales, mv.amount)?;
            }
            MoveKind::Change => {
                add(&mut s.change_given, out)?;
                let t = s.tender_mut(mv.method);
                add(&mut t.sales, mv.amount)?;
                add(&mut s.gross_sales, mv.amount)?;
            }
            MoveKind::Refund => {
                if cash {
                    add(&mut s.cash_refunds, out)?;
                }
                add(&mut s.tender_mut(mv.method).refunds, out)?;
                add(&mut s.refunds, out)?;
            }
            MoveKind::Void => {
                if cash {
                    add(&mut s.cash_voids, out)?;
                }
                add(&mut s.tender_mut(mv.method).voids, out)?;
                add(&mut s.voids, out)?;
            }
            MoveKind::PayOut => {
                add(&mut s.payouts, out)?;
                s.payout_count += 1;
            }
            MoveKind::Drop => {
                add(&mut s.drops, out)?;
                s.drop_count += 1;
            }
            MoveKind::QrisExcess => add(&mut s.qris_excess, mv.amount)?,
        }
    }
    for m in Method::ALL {
        let t = s.tender_mut(m);
        t.net = t.sales.checked_sub(t.refunds)?.checked_sub(t.voids)?;
    }
    s.net_sales = s.gross_sales.checked_sub(s.refunds)?.checked_sub(s.voids)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_amounts_are_the_next_round_notes() {
        let r = |v| Rupiah::new(v);
        assert_eq!(
            quick_amounts(r(37_000)),
            vec![r(40_000), r(50_000), r(100_000)]
        );
        assert_eq!(
            quick_amounts(r(12_000)),
            vec![r(15_000), r(20_000), r(50_000), r(100_000)]
        );
        assert_eq!(quick_amounts(r(40_000)), vec![r(50_000), r(100_000)]);
        assert_eq!(
            quick_amounts(r(137_000)),
            vec![r(140_000), r(150_000), r(200_000)]
        );
        assert_eq!(
            quick_amounts(r(500)),
            vec![r(5_000), r(10_000), r(20_000), r(50_000)]
        );
        assert_eq!(quick_amounts(r(0)), Vec::<Rupiah>::new());
    }

    #[test]
    fn payment_preview_counts_what_the_tenders_bring() {
        let r = Rupiah::new;
        let check = |due: i64, tenders: &[Tender], taken: i64, remaining: i64| {
            let p = PaymentPreview::new(r(due), tenders);
            assert_eq!(
                (p.taken, p.remaining),
                (r(taken), r(remaining)),
                "{due} {tenders:?}"
            );
        };
        let cash = |v| Tender::Cash { tendered: r(v) };
        let qris = |v| Tender::Qris { amount: r(v) };
        let debit = |v| Tender::Debit {
            amount: r(v),
            approval_code: "A1B2C3".into(),
            last4: "1234".into(),
        };
        check(12_000, &[], 0, 12_000);
        check(12_000, &[qris(5_000)], 5_000, 7_000);
        check(12_000, &[debit(2_000), qris(5_000)], 7_000, 5_000);
        // Cash over the bill: nothing owed, the rest is change.
        check(12_000, &[cash(20_000)], 20_000, 0);
        check(0, &[], 0, 0);
    }

    #[test]
    fn payment_preview_decides_the_next_tender() {
        use TenderDraft::{Cash, Qris};
        use TenderRefusal::*;
        let r = Rupiah::new;
        let debit = |approval_code, last4| TenderDraft::Debit {
            approval_code,
            last4,
        };
        let card = debit("A1B2C3", "1234");
        let cash = |v| Ok(Tender::Cash { tendered: r(v) });
        let qris = |v| Ok(Tender::Qris { amount: r(v) });
        let check = |remaining: i64,
                     draft: TenderDraft<'_>,
                     typed: &str,
                     drawer_open: bool,
                     want: Result<Tender, TenderRefusal>| {
            let p = PaymentPreview {
                taken: Rupiah::ZERO,
                remaining: r(remaining),
            };
            assert_eq!(
                p.next_tender(draft, typed, drawer_open),
                want,
                "{remaining} {draft:?} {typed:?} drawer open {drawer_open}"
            );
        };
        // Blank pays what is still owed; typed amounts are read as rupiah.
        check(12_000, Cash, "", true, cash(12_000));
        check(12_000, Cash, " 50.000 ", true, cash(50_000));
        check(12_000, Qris, "Rp5.000", true, qris(5_000));
        let paid_by_card = Tender::Debit {
            amount: r(12_000),
            approval_code: "A1B2C3".into(),
            last4: "1234".into(),
        };
        check(12_000, card, "12000", false, Ok(paid_by_card));
        // A bad amount is said first, whatever the tender.
        for typed in ["0", "-5000", "abc", "5.00"] {
            check(12_000, Cash, typed, false, Err(BadAmount));
            check(12_000, Qris, typed, true, Err(BadAmount));
        }
        // Cash needs an open drawer; card and QRIS do not.
        check(12_000, Cash, "", false, Err(CashNeedsDrawer));
        check(12_000, Qris, "", false, qris(12_000));
        // Card details come before the amount check.
        for (code, last4) in [("", "1234"), ("A1B", "1234"), ("A1B2", "123"), ("A1B2", "")] {
            check(
                12_000,
                debit(code, last4),
                "99999",
                true,
                Err(DebitDetailsMissing),
            );
        }
        // Card and QRIS never over what is owed; cash may be (change).
        let over = OverDue {
            amount: r(12_001),
            remaining: r(12_000),
        };
        check(12_000, card, "12001", true, Err(over));
        check(12_000, Qris, "12001", true, Err(over));
        check(12_000, Cash, "12001", true, cash(12_001));
        // Nothing owed and nothing typed: the zero tender goes on, for the till to refuse.
        check(0, Qris, "", true, qris(0));
    }

    #[test]
    fn counts_parse_by_denomination_or_total() {
        let c = CashCount::parse("100000x1, 50000x2,500x4").expect("valid count");
        assert_eq!(c.total().expect("small"), Rupiah::new(202_000));
        assert_eq!(c.rows()[0], (Rupiah::new(100_000), 1, Rupiah::new(100_000)));
        assert_eq!(
            CashCount::parse("Rp350.000")
                .expect("total")
                .total()
                .expect("small"),
            Rupiah::new(350_000)
        );
        for bad in ["", "7000x1", "100000x-1", "abc", "-5000"] {
            assert!(CashCount::parse(bad).is_err(), "{bad:?}");
        }
    }
}
