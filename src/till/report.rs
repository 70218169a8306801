//! What a sale receipt, an X report and a Z report say, with their figures as values; `printing::data` turns them into the `receipts` crate's slips.
#![deny(clippy::float_arithmetic)]

use super::TillError;
use super::domain::{CashCount, Method, Summary};
use crate::money::Rupiah;
use serde::{Deserialize, Serialize};

/// The words of an X or Z report, worded in the process's language (`Words::till_word`) when the
/// report is built: a Z is frozen in the words it was printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TillWord {
    CashInDrawer,
    Float,
    CashReceived,
    Change,
    CashRefunds,
    CashVoids,
    Payouts,
    Drops,
    ExpectedCash,
    ByMethod,
    GrossSales,
    Refunds,
    Voids,
    NetSales,
    VoidList,
    RefundList,
    Drawer,
    DrawerOpened,
    NoSale,
    QrisPaid,
    QrisPaidLate,
    QrisExpired,
    QrisCancelled,
    QrisPending,
    QrisExcess,
    Attention,
    SalesOpen,
    NoDenominations,
    CountedTotal,
    VarianceShort,
    VarianceOver,
    Variance,
    BlindClose,
    /// The copy marking on every reprint of a Z report (`SALINAN`).
    CopyMark,
}

impl TillWord {
    /// Every word, for the tests that check each language has them all.
    pub const ALL: &'static [TillWord] = &[
        TillWord::CashInDrawer,
        TillWord::Float,
        TillWord::CashReceived,
        TillWord::Change,
        TillWord::CashRefunds,
        TillWord::CashVoids,
        TillWord::Payouts,
        TillWord::Drops,
        TillWord::ExpectedCash,
        TillWord::ByMethod,
        TillWord::GrossSales,
        TillWord::Refunds,
        TillWord::Voids,
        TillWord::NetSales,
        TillWord::VoidList,
        TillWord::RefundList,
        TillWord::Drawer,
        TillWord::DrawerOpened,
        TillWord::NoSale,
        TillWord::QrisPaid,
        TillWord::QrisPaidLate,
        TillWord::QrisExpired,
        TillWord::QrisCancelled,
        TillWord::QrisPending,
        TillWord::QrisExcess,
        TillWord::Attention,
        TillWord::SalesOpen,
        TillWord::NoDenominations,
        TillWord::CountedTotal,
        TillWord::VarianceShort,
        TillWord::VarianceOver,
        TillWord::Variance,
        TillWord::BlindClose,
        TillWord::CopyMark,
    ];
}

fn w(word: TillWord) -> &'static str {
    crate::words::current().till_word(word)
}

/// The copy marking on every reprint of a Z report, in the process's language.
pub fn copy_mark() -> &'static str {
    w(TillWord::CopyMark)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportKind {
    /// Read at any time; changes nothing.
    X,
    /// Printed once at close, numbered and frozen.
    Z,
}

/// One line of a report: a label, an optional count and an optional amount, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub label: String,
    pub count: Option<String>,
    pub amount: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSection {
    pub title: String,
    pub rows: Vec<ReportRow>,
}

/// An X or Z report of one drawer session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillReport {
    pub kind: ReportKind,
    pub title: String,
    /// The Z number (per branch); none on an X report.
    pub number: Option<i64>,
    /// `SALINAN` on a reprint of a Z report.
    pub copy_mark: Option<String>,
    /// How many times this Z has been reprinted, this one included (0 on the original).
    pub reprint: u32,
    pub branch_code: String,
    pub branch_name: String,
    pub counter: u32,
    pub session: i64,
    pub clerk: String,
    pub business_day: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub printed_at: String,
    pub sections: Vec<ReportSection>,
    /// The raw figures, for the daily report and for checks.
    pub summary: Summary,
    /// What the slip prints beyond `summary`, typed: the printer reads these, never the words in
    /// `sections`. Absent only in Z documents stored before the figures were kept; the till
    /// fills those from the store when it reads them back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<SlipFigures>,
}

/// The figures of a till report that its slip prints beside the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlipFigures {
    /// Voided sales listed in the report.
    pub voids: u32,
    /// Refunds listed in the report.
    pub refunds: u32,
    /// The blind count, once the session is closed.
    pub close: Option<ClosingFigures>,
    /// The journal's head this Z anchored.
    pub journal_head: Option<crate::journal::anchor::Head>,
}

/// The close of a session as figures: what was counted, the variance and who approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingFigures {
    pub counted: Rupiah,
    /// Counted minus expected: negative when short.
    pub variance: Rupiah,
    pub supervisor: Option<String>,
}

impl SlipFigures {
    /// The figures of a session's events and close (no journal head: the caller anchors).
    pub fn of(events: &SessionEvents, close: Option<&CloseFacts>) -> SlipFigures {
        SlipFigures {
            voids: u32::try_from(events.voids.len()).unwrap_or(u32::MAX),
            refunds: u32::try_from(events.refunds.len()).unwrap_or(u32::MAX),
            close: close.map(|c| ClosingFigures {
                counted: c.counted_total,
                variance: c.variance,
                supervisor: c.supervisor.clone(),
            }),
            journal_head: None,
        }
    }
}

/// Void, refund, pay-out, drop or drawer-open records of a session, for the report's lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvents {
    pub voids: Vec<EventRow>,
    pub refunds: Vec<EventRow>,
    pub payouts: Vec<EventRow>,
    pub drops: Vec<EventRow>,
    pub no_sale_opens: Vec<EventRow>,
    pub drawer_opens: i64,
    pub sales_paid: i64,
    pub sales_open: i64,
    pub qris_paid: i64,
    pub qris_paid_late: i64,
    pub qris_expired: i64,
    pub qris_cancelled: i64,
    pub qris_pending: i64,
}

/// What a listed event is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventWhat {
    /// A voided sale.
    Sale(i64),
    /// A refund of a sale, by the tender method it went back by (as stored: `cash`, `debit`, …).
    SaleBy {
        sale: i64,
        method: String,
    },
    Payout,
    Drop,
    NoSale,
}

/// A listed event: what, how much, why, who did it and who approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub what: EventWhat,
    pub amount: Rupiah,
    pub reason: String,
    pub actor: String,
    pub supervisor: Option<String>,
}

/// The session facts a report heads with and closes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub id: i64,
    pub counter: u32,
    pub clerk: String,
    pub business_day: String,
    pub opened_at: String,
    pub float: CashCount,
    pub close: Option<CloseFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFacts {
    pub closed_at: String,
    pub closed_by: String,
    pub counted: CashCount,
    pub counted_total: Rupiah,
    pub expected: Rupiah,
    pub variance: Rupiah,
    pub reason: Option<String>,
    pub supervisor: Option<String>,
}

fn row(label: impl Into<String>, count: Option<i64>, amount: Option<Rupiah>) -> ReportRow {
    ReportRow {
        label: label.into(),
        count: count.map(|c| c.to_string()),
        amount: amount.map(|a| a.to_string()),
    }
}

fn event_rows(events: &[EventRow]) -> Vec<ReportRow> {
    events
        .iter()
        .map(|e| {
            let words = crate::words::current();
            row(
                words.till_event(
                    &words.till_event_what(&e.what),
                    &e.reason,
                    &e.actor,
                    e.supervisor.as_deref(),
                ),
                None,
                Some(e.amount),
            )
        })
        .collect()
}

/// Builds an X or Z report from a session's figures and events. Pure: the same input gives the
/// same document, which is why a stored Z can be compared with a rebuilt one.
#[allow(clippy::too_many_arguments)]
pub fn build(
    kind: ReportKind,
    number: Option<i64>,
    branch_code: &str,
    branch_name: &str,
    facts: &SessionFacts,
    summary: &Summary,
    events: &SessionEvents,
    printed_at: &str,
) -> Result<TillReport, TillError> {
    let mut sections = Vec::new();
    sections.push(ReportSection {
        title: w(TillWord::CashInDrawer).into(),
        rows: vec![
            row(w(TillWord::Float), None, Some(summary.float)),
            row(
                w(TillWord::CashReceived),
                Some(summary.cash.count),
                Some(summary.cash_received),
            ),
            row(
                w(TillWord::Change),
                None,
                Some(summary.change_given.checked_neg()?),
            ),
            row(
                w(TillWord::CashRefunds),
                None,
                Some(summary.cash_refunds.checked_neg()?),
            ),
            row(
                w(TillWord::CashVoids),
                None,
                Some(summary.cash_voids.checked_neg()?),
            ),
            row(
                w(TillWord::Payouts),
                Some(summary.payout_count),
                Some(summary.payouts.checked_neg()?),
            ),
            row(
                w(TillWord::Drops),
                Some(summary.drop_count),
                Some(summary.drops.checked_neg()?),
            ),
            row(w(TillWord::ExpectedCash), None, Some(summary.expected_cash)),
        ],
    });
    let mut tenders = Vec::new();
    for m in Method::ALL {
        let t = summary.tender(m);
        tenders.push(row(
            crate::words::current().till_net(m.label()),
            Some(t.count),
            Some(t.net),
        ));
    }
    tenders.push(row(
        w(TillWord::GrossSales),
        Some(events.sales_paid),
        Some(summary.gross_sales),
    ));
    tenders.push(row(
        w(TillWord::Refunds),
        Some(i64::try_from(events.refunds.len()).unwrap_or(i64::MAX)),
        Some(summary.refunds.checked_neg()?),
    ));
    tenders.push(row(
        w(TillWord::Voids),
        Some(i64::try_from(events.voids.len()).unwrap_or(i64::MAX)),
        Some(summary.voids.checked_neg()?),
    ));
    tenders.push(row(w(TillWord::NetSales), None, Some(summary.net_sales)));
    sections.push(ReportSection {
        title: w(TillWord::ByMethod).into(),
        rows: tenders,
    });
    for (title, list) in [
        (w(TillWord::VoidList), &events.voids),
        (w(TillWord::RefundList), &events.refunds),
        (w(TillWord::Payouts), &events.payouts),
        (w(TillWord::Drops), &events.drops),
    ] {
        if !list.is_empty() {
            sections.push(ReportSection {
                title: title.into(),
                rows: event_rows(list),
            });
        }
    }
    let mut drawer = vec![row(
        w(TillWord::DrawerOpened),
        Some(events.drawer_opens),
        None,
    )];
    drawer.push(row(
        w(TillWord::NoSale),
        Some(i64::try_from(events.no_sale_opens.len()).unwrap_or(i64::MAX)),
        None,
    ));
    drawer.extend(events.no_sale_opens.iter().map(|e| {
        row(
            crate::words::current().till_no_sale(&e.reason, &e.actor, e.supervisor.as_deref()),
            None,
            None,
        )
    }));
    sections.push(ReportSection {
        title: w(TillWord::Drawer).into(),
        rows: drawer,
    });
    sections.push(ReportSection {
        title: "QRIS".into(),
        rows: vec![
            row(w(TillWord::QrisPaid), Some(events.qris_paid), None),
            row(w(TillWord::QrisPaidLate), Some(events.qris_paid_late), None),
            row(w(TillWord::QrisExpired), Some(events.qris_expired), None),
            row(
                w(TillWord::QrisCancelled),
                Some(events.qris_cancelled),
                None,
            ),
            row(w(TillWord::QrisPending), Some(events.qris_pending), None),
            row(w(TillWord::QrisExcess), None, Some(summary.qris_excess)),
        ],
    });
    if events.sales_open > 0 {
        sections.push(ReportSection {
            title: w(TillWord::Attention).into(),
            rows: vec![row(w(TillWord::SalesOpen), Some(events.sales_open), None)],
        });
    }
    let mut closed_at = None;
    if let Some(close) = &facts.close {
        let mut rows: Vec<ReportRow> = close
            .counted
            .rows()
            .into_iter()
            .map(|(d, n, a)| row(format!("{d} ×"), Some(n), Some(a)))
            .collect();
        if !close.counted.other.is_zero() {
            rows.push(row(
                w(TillWord::NoDenominations),
                None,
                Some(close.counted.other),
            ));
        }
        rows.push(row(
            w(TillWord::CountedTotal),
            None,
            Some(close.counted_total),
        ));
        rows.push(row(w(TillWord::ExpectedCash), None, Some(close.expected)));
        let label = if close.variance.is_negative() {
            w(TillWord::VarianceShort)
        } else if close.variance.is_positive() {
            w(TillWord::VarianceOver)
        } else {
            w(TillWord::Variance)
        };
        rows.push(row(label, None, Some(close.variance)));
        if let Some(reason) = &close.reason {
            rows.push(row(crate::words::current().till_reason(reason), None, None));
        }
        if let Some(s) = &close.supervisor {
            rows.push(row(crate::words::current().till_approved(s), None, None));
        }
        rows.push(row(
            crate::words::current().till_closed_by(&close.closed_by),
            None,
            None,
        ));
        sections.push(ReportSection {
            title: w(TillWord::BlindClose).into(),
            rows,
        });
        closed_at = Some(close.closed_at.clone());
    }
    let title = crate::words::current().till_title(kind, number.unwrap_or_default());
    Ok(TillReport {
        kind,
        title,
        number,
        copy_mark: None,
        reprint: 0,
        branch_code: branch_code.to_string(),
        branch_name: branch_name.to_string(),
        counter: facts.counter,
        session: facts.id,
        clerk: facts.clerk.clone(),
        business_day: facts.business_day.clone(),
        opened_at: facts.opened_at.clone(),
        closed_at,
        printed_at: printed_at.to_string(),
        sections,
        summary: summary.clone(),
        figures: Some(SlipFigures::of(events, facts.close.as_ref())),
    })
}

impl TillReport {
    /// Plain text, for the command line and previews (the receipt printer uses `receipts`).
    pub fn to_text(&self) -> String {
        let words = crate::words::current();
        let mut out = String::new();
        if let Some(mark) = &self.copy_mark {
            out.push_str(&words.till_reprint(mark, self.reprint));
        }
        out.push_str(&format!(
            "{}\n{} ({})\n",
            self.title, self.branch_name, self.branch_code
        ));
        out.push_str(&words.till_head(
            self.counter,
            self.session,
            &self.clerk,
            &crate::when::day_text(&self.business_day),
            &self.opened_at,
        ));
        if let Some(closed) = &self.closed_at {
            out.push_str(&words.till_closed_at(closed));
        }
        for section in &self.sections {
            out.push_str(&format!("\n{}\n", section.title));
            for r in &section.rows {
                let count = r
                    .count
                    .as_deref()
                    .map(|c| format!("{c:>5}"))
                    .unwrap_or_else(|| " ".repeat(5));
                let amount = r.amount.as_deref().unwrap_or("");
                out.push_str(&format!("  {:<44}{count} {amount:>16}\n", r.label));
            }
        }
        out.push_str(&words.till_printed_at(&self.printed_at));
        if let Some(mark) = &self.copy_mark {
            out.push_str(&format!("*** {mark} ***\n"));
        }
        out
    }
}

/// One line on a sale receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub name: String,
    /// Written as text (`"3"`) in the JSON `loket sale show --receipt` prints, as it always was.
    #[serde(with = "quantity_text")]
    pub quantity: i64,
    #[serde(serialize_with = "money_text::one")]
    pub unit_price: Rupiah,
    #[serde(serialize_with = "money_text::one")]
    pub amount: Rupiah,
    /// "dikembalikan 1" when part of the line was refunded.
    pub note: Option<String>,
}

/// A tender, refund or reversal on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptPayment {
    pub label: String,
    /// What the tender paid of the bill.
    #[serde(serialize_with = "money_text::one")]
    pub amount: Rupiah,
    /// E.g. "Appr 123ABC, kartu **** 1234", "Ref 40000-000012", "Diterima Rp50.000".
    pub detail: Option<String>,
    /// Cash handed over, when more than the amount (the change is the difference).
    #[serde(default, serialize_with = "money_text::maybe")]
    pub tendered: Option<Rupiah>,
    /// A card payment's approval code.
    #[serde(default)]
    pub approval: Option<String>,
    /// A QRIS payment's reference.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Everything a sale receipt says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleReceipt {
    pub branch_name: String,
    pub branch_address: String,
    pub sale_no: String,
    pub ticket: Option<String>,
    pub counter: u32,
    pub clerk: String,
    pub at: String,
    pub status: String,
    pub lines: Vec<ReceiptLine>,
    #[serde(serialize_with = "money_text::one")]
    pub total: Rupiah,
    pub payments: Vec<ReceiptPayment>,
    #[serde(serialize_with = "money_text::maybe")]
    pub change: Option<Rupiah>,
    pub refunds: Vec<ReceiptPayment>,
    /// "DIBATALKAN — reason" on a voided sale.
    pub voided: Option<String>,
    #[serde(serialize_with = "money_text::maybe")]
    pub due: Option<Rupiah>,
}

/// Amounts of a receipt are values in the program and `Rp10.000` in its JSON, as they always were
/// (`Rupiah` reads either form back).
mod money_text {
    use crate::money::Rupiah;
    use serde::Serializer;

    pub fn one<S: Serializer>(r: &Rupiah, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(r)
    }

    pub fn maybe<S: Serializer>(r: &Option<Rupiah>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Some(r) => s.collect_str(r),
            None => s.serialize_none(),
        }
    }
}

/// A receipt line's quantity is a number in the program and text in its JSON.
mod quantity_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(q: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(q)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}
