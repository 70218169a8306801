//! Maps loket's own records (tickets, sales, QRIS codes, till reports) to the receipt layouts' plain data.

use loket_receipts as rc;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::day::TimeZone;
use crate::money::Rupiah;
use crate::queue::TicketView;
use crate::till::domain::Method;
use crate::till::report::{SaleReceipt, TillReport};
use crate::when::When;

/// `21 November 2026` on the branch clock.
pub fn long_date(ms: i64, tz: TimeZone) -> String {
    When::ms(ms, tz).date()
}

/// `09.14 WIB` on the branch clock.
pub fn clock(ms: i64, tz: TimeZone) -> String {
    When::ms(ms, tz).time_zone()
}

/// `21 November 2026 09.14 WIB` on the branch clock.
pub fn date_time(ms: i64, tz: TimeZone) -> String {
    When::ms(ms, tz).full()
}

/// The branch as printed at the top of every slip.
pub fn branch_header(config: &Config) -> rc::Branch {
    rc::Branch {
        name: format!("{} {}", config.branch.name, config.branch.code),
        address: config.branch.address.clone(),
        logo: None,
    }
}

/// A queue ticket from the queue engine's view of it; `status_url` is the phone link printed as a
/// QR code (`[display] ticket_qr`).
pub fn ticket(config: &Config, view: &TicketView, status_url: Option<String>) -> rc::QueueTicket {
    let tz = config.branch.timezone;
    let wait = (view.ahead > 0).then_some((view.wait.low_min, view.wait.high_min));
    rc::QueueTicket {
        branch: branch_header(config),
        number: view.ticket.to_string(),
        service: view.service_name.clone(),
        date: long_date(view.issued_at_ms, tz),
        time: clock(view.issued_at_ms, tz),
        people_ahead: u32::try_from(view.ahead).unwrap_or(u32::MAX),
        wait_minutes: wait,
        footer: None,
        status_url,
    }
}

/// A sale receipt from the till's receipt data.
pub fn sale(config: &Config, r: &SaleReceipt, copy: bool, open_drawer: bool) -> rc::SaleSlip {
    let qris_reference = r.payments.iter().find_map(|p| p.reference.clone());
    // Each tender as it was taken: cash shows what the customer handed over (the change below is
    // the difference), a card its approval code.
    let mut tenders: Vec<rc::Tender> = r
        .payments
        .iter()
        .map(|p| rc::Tender {
            label: p.label.clone(),
            amount: p.tendered.unwrap_or(p.amount).to_string(),
            approval: p.approval.clone(),
        })
        .collect();
    tenders.extend(r.refunds.iter().map(|p| rc::Tender {
        label: p.label.clone(),
        amount: format!("-{}", p.amount),
        approval: None,
    }));
    rc::SaleSlip {
        branch: branch_header(config),
        receipt_no: r.sale_no.clone(),
        date_time: r.at.clone(),
        items: r
            .lines
            .iter()
            .map(|l| rc::SaleItem {
                name: match &l.note {
                    Some(note) => format!("{} ({note})", l.name),
                    None => l.name.clone(),
                },
                qty: u32::try_from(l.quantity).unwrap_or(u32::MAX),
                unit_price: l.unit_price.to_string(),
                line_total: l.amount.to_string(),
            })
            .collect(),
        total: r.total.to_string(),
        tenders,
        change: r.change.map(|c| c.to_string()),
        qris_reference,
        clerk: r.clerk.clone(),
        counter: r.counter.to_string(),
        ticket: r.ticket.clone(),
        copy,
        open_drawer,
    }
}

/// An X or Z report from the till's report: every figure comes from the till as a value
/// (`summary` and `figures`), none is read back out of the report's words.
pub fn till_report(config: &Config, r: &TillReport, copy: bool) -> rc::TillSlip {
    use crate::till::report::ReportKind;
    let s = &r.summary;
    let figures = r.figures.clone().unwrap_or_default();
    let tender = |method: Method| {
        let t = s.tender(method);
        rc::TenderTotal {
            label: method.label().to_string(),
            count: u32::try_from(t.count).unwrap_or(0),
            amount: t.net.to_string(),
        }
    };
    let neg = |a: Rupiah| {
        if a.is_positive() {
            format!("-{a}")
        } else {
            a.to_string()
        }
    };
    let close = figures.close.as_ref();
    // The supervisor's slip, not the customer's: its movements are worded like the report's.
    let word = |w: crate::till::report::TillWord| crate::words::current().till_word(w).to_string();
    rc::TillSlip {
        kind: match r.kind {
            ReportKind::X => rc::TillSlipKind::X,
            ReportKind::Z => rc::TillSlipKind::Z {
                number: u32::try_from(r.number.unwrap_or(0)).unwrap_or(0),
            },
        },
        copy,
        branch: branch_header(config),
        counter: r.counter.to_string(),
        clerk: r.clerk.clone(),
        opened_at: r.opened_at.clone(),
        closed_at: r.closed_at.clone(),
        printed_at: r.printed_at.clone(),
        takings: Method::ALL.into_iter().map(tender).collect(),
        takings_total: s.net_sales.to_string(),
        movements: vec![
            rc::Amount {
                label: word(crate::till::report::TillWord::Float),
                amount: s.float.to_string(),
            },
            rc::Amount {
                label: word(crate::till::report::TillWord::Drops),
                amount: neg(s.drops),
            },
            rc::Amount {
                label: word(crate::till::report::TillWord::Payouts),
                amount: neg(s.payouts),
            },
            rc::Amount {
                label: word(crate::till::report::TillWord::CashRefunds),
                amount: neg(s.cash_refunds),
            },
        ],
        expected_cash: s.expected_cash.to_string(),
        counted_cash: close.map(|c| c.counted.to_string()),
        variance: close.map(|c| c.variance.to_string()),
        voids: figures.voids,
        refunds: figures.refunds,
        supervisor: close.and_then(|c| c.supervisor.clone()),
        journal_head: figures.journal_head.as_ref().map(|h| h.short()),
    }
}

/// What a stamping proof says, filled by the stamping service or the counter screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampProofData {
    /// Counter the proof is printed at (its printer is used).
    pub counter: u32,
    pub clerk: String,
    pub ticket: Option<String>,
    /// File name of the stamped document.
    pub document_name: String,
    /// SHA-256 of the stamped document, hex.
    pub sha256: String,
    /// e-Meterai serial numbers on the document.
    pub serials: Vec<String>,
    /// Verification link (printed as a QR code).
    pub verify_url: String,
    /// Where it went: `Flash disk (KINGSTON)`, `e-mail a***@gmail.com`.
    pub delivered_to: Vec<String>,
}

/// What a claim receipt (document taken in, collected later) says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimData {
    pub counter: u32,
    pub clerk: String,
    pub ticket: Option<String>,
    /// The code the customer shows to collect.
    pub claim_code: String,
    pub document_name: String,
    pub sha256: String,
    /// Stamps paid for.
    pub stamps: u32,
    /// Amount paid, formatted (`Rp10.000`).
    pub paid: String,
    pub email: Option<String>,
    /// The WhatsApp number the result goes to (E.164; printed masked).
    pub whatsapp: Option<String>,
    pub status_url: Option<String>,
}

/// A stamping proof printed now.
pub fn stamp_proof(config: &Config, d: &StampProofData, now_ms: i64) -> rc::StampingProof {
    rc::StampingProof {
        branch: branch_header(config),
        date_time: date_time(now_ms, config.branch.timezone),
        document_name: d.document_name.clone(),
        sha256: d.sha256.clone(),
        serials: d.serials.clone(),
        verification_url: d.verify_url.clone(),
        delivered_to: d.delivered_to.clone(),
        clerk: d.clerk.clone(),
        counter: d.counter.to_string(),
        ticket: d.ticket.clone(),
        copy: false,
    }
}

/// A claim receipt printed now.
pub fn claim(config: &Config, d: &ClaimData, now_ms: i64) -> rc::ClaimReceipt {
    rc::ClaimReceipt {
        branch: branch_header(config),
        date_time: date_time(now_ms, config.branch.timezone),
        claim_code: d.claim_code.clone(),
        document_name: d.document_name.clone(),
        sha256: d.sha256.clone(),
        stamps: d.stamps,
        paid: d.paid.clone(),
        email: d.email.clone(),
        whatsapp: d
            .whatsapp
            .as_deref()
            .map(crate::delivery::whatsapp::mask_number),
        whatsapp_link: config
            .whatsapp
            .as_ref()
            .and_then(|w| w.business_number.as_ref())
            .and_then(|n| crate::delivery::whatsapp::normalize_number(n.get_ref()).ok())
            .map(|n| {
                format!(
                    "https://wa.me/{}?text=Klaim%20{}",
                    n.trim_start_matches('+'),
                    d.claim_code
                )
            }),
        status_url: d.status_url.clone(),
        clerk: d.clerk.clone(),
        counter: d.counter.to_string(),
        ticket: d.ticket.clone(),
    }
}
