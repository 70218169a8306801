//! Layouts: pure functions from plain data (amounts already formatted) to documents.

use serde::{Deserialize, Serialize};

use crate::model::{Align, Document, Raster, Style};
use crate::strings as s;

/// The branch printed at the top of every slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    /// Branch name, such as `KCU Bandung 40000`.
    pub name: String,
    /// One-line address.
    pub address: String,
    /// Optional logo, printed above the brand line.
    #[serde(default)]
    pub logo: Option<Raster>,
}

fn header(doc: &mut Document, branch: &Branch) {
    if let Some(logo) = &branch.logo {
        doc.image(logo.clone());
    }
    doc.text(s::BRAND, Style::BOLD, Align::Center)
        .text(&branch.name, Style::NORMAL, Align::Center);
    if !branch.address.trim().is_empty() {
        doc.text(&branch.address, Style::NORMAL, Align::Center);
    }
    doc.separator('-');
}

fn copy_banner(doc: &mut Document) {
    doc.text(format!("*** {} ***", s::COPY), Style::DOUBLE, Align::Center);
}

fn copy_footer(doc: &mut Document) {
    doc.separator('-')
        .text(s::COPY_NOTE, Style::BOLD, Align::Center);
}

fn end(doc: &mut Document) {
    doc.feed(1).cut();
}

// ---------------------------------------------------------------- queue ticket

/// A queue ticket from the dispenser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTicket {
    /// The branch.
    pub branch: Branch,
    /// The number, with its service prefix: `A-007`.
    pub number: String,
    /// Service name.
    pub service: String,
    /// Date as printed: `Kamis, 21 November 2026`.
    pub date: String,
    /// Time as printed: `09:14 WIB`.
    pub time: String,
    /// Tickets of this service waiting before this one.
    pub people_ahead: u32,
    /// Estimated wait in minutes, low and high end.
    pub wait_minutes: Option<(u32, u32)>,
    /// Footer; `None` prints the standard one.
    pub footer: Option<String>,
    /// Live-status link, printed as a QR code.
    pub status_url: Option<String>,
}

/// Lays out a queue ticket.
pub fn queue_ticket(t: &QueueTicket) -> Document {
    let mut doc = Document::new();
    header(&mut doc, &t.branch);
    doc.text(s::TICKET_TITLE, Style::BOLD, Align::Center)
        .feed(1)
        .text(&t.number, Style::size(4, 4), Align::Center)
        .feed(1)
        .text(&t.service, Style::TALL, Align::Center)
        .separator('-')
        .row(s::DATE, &t.date, Style::NORMAL)
        .row(s::TIME, &t.time, Style::NORMAL);
    let ahead = if t.people_ahead == 0 {
        s::NEXT_IN_LINE.to_string()
    } else {
        t.people_ahead.to_string()
    };
    doc.row(s::PEOPLE_AHEAD, ahead, Style::BOLD);
    if let Some((lo, hi)) = t.wait_minutes {
        doc.row(s::ESTIMATED_WAIT, s::wait_range(lo, hi), Style::NORMAL);
    }
    doc.separator('-').text(
        t.footer.as_deref().unwrap_or(s::TICKET_FOOTER),
        Style::NORMAL,
        Align::Center,
    );
    if let Some(url) = &t.status_url {
        doc.feed(1)
            .qr(url, 4)
            .text(s::TICKET_STATUS_QR, Style::NORMAL, Align::Center);
    }
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- sale receipt

/// One line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleItem {
    /// What was sold.
    pub name: String,
    /// Quantity.
    pub qty: u32,
    /// Unit price, formatted: `Rp10.000`.
    pub unit_price: String,
    /// Line total, formatted.
    pub line_total: String,
}

/// One tender (payment method) of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    /// `Tunai`, `QRIS`, `Debit BRI`, …
    pub label: String,
    /// Amount tendered, formatted.
    pub amount: String,
    /// Approval code for card payments.
    pub approval: Option<String>,
}

/// What a printed sale receipt says (the till's own record of a sale is `loket::till::SaleReceipt`;
/// this is its printed form, amounts formatted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleSlip {
    /// The branch.
    pub branch: Branch,
    /// Transaction number.
    pub receipt_no: String,
    /// Date and time as printed.
    pub date_time: String,
    /// Items sold.
    pub items: Vec<SaleItem>,
    /// Total, formatted.
    pub total: String,
    /// How it was paid.
    pub tenders: Vec<Tender>,
    /// Change given, formatted (cash only).
    pub change: Option<String>,
    /// QRIS transaction reference.
    pub qris_reference: Option<String>,
    /// Clerk name.
    pub clerk: String,
    /// Counter name or number.
    pub counter: String,
    /// Queue ticket served.
    pub ticket: Option<String>,
    /// A reprint: marked `SALINAN`, and never opens the drawer.
    pub copy: bool,
    /// Open the cash drawer as printing starts (cash sales).
    pub open_drawer: bool,
}

/// Lays out a sale receipt. A copy never carries a drawer pulse, whatever `open_drawer` says.
pub fn sale_receipt(r: &SaleSlip) -> Document {
    let mut doc = Document::new();
    if r.open_drawer && !r.copy {
        doc.drawer_pulse();
    }
    header(&mut doc, &r.branch);
    if r.copy {
        copy_banner(&mut doc);
    }
    doc.text(s::SALE_TITLE, Style::BOLD, Align::Center)
        .row(s::RECEIPT_NO, &r.receipt_no, Style::NORMAL)
        .row(s::DATE_TIME, &r.date_time, Style::NORMAL)
        .row(s::COUNTER, &r.counter, Style::NORMAL)
        .row(s::CLERK, &r.clerk, Style::NORMAL);
    if let Some(ticket) = &r.ticket {
        doc.row(s::TICKET, ticket, Style::NORMAL);
    }
    doc.separator('-');
    for item in &r.items {
        doc.text(&item.name, Style::NORMAL, Align::Left).row(
            format!("  {}", s::quantity_times(item.qty, &item.unit_price)),
            &item.line_total,
            Style::NORMAL,
        );
    }
    doc.separator('-').row(s::TOTAL, &r.total, Style::DOUBLE);
    for tender in &r.tenders {
        doc.row(&tender.label, &tender.amount, Style::NORMAL);
        if let Some(code) = &tender.approval {
            doc.row(format!("  {}", s::APPROVAL), code, Style::NORMAL);
        }
    }
    if let Some(change) = &r.change {
        doc.row(s::CHANGE, change, Style::BOLD);
    }
    if let Some(reference) = &r.qris_reference {
        doc.row(s::QRIS_REFERENCE, reference, Style::NORMAL);
    }
    doc.separator('-')
        .text(s::SALE_FOOTER, Style::NORMAL, Align::Center)
        .text(s::THANKS, Style::BOLD, Align::Center);
    if r.copy {
        copy_footer(&mut doc);
    }
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- QRIS slip

/// A QRIS payment slip: the dynamic QR code for the customer to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrisSlip {
    /// The branch.
    pub branch: Branch,
    /// Merchant name as registered.
    pub merchant: String,
    /// National merchant id.
    pub nmid: Option<String>,
    /// Amount, formatted.
    pub amount: String,
    /// The EMVCo payload to encode.
    pub payload: String,
    /// Expiry as printed: `09:35 WIB`.
    pub expires_at: String,
    /// loket's payment reference.
    pub reference: String,
    /// Counter name or number.
    pub counter: String,
}

/// Lays out a QRIS payment slip.
pub fn qris_slip(q: &QrisSlip) -> Document {
    let mut doc = Document::new();
    header(&mut doc, &q.branch);
    doc.text(s::QRIS_TITLE, Style::BOLD, Align::Center).row(
        s::MERCHANT,
        &q.merchant,
        Style::NORMAL,
    );
    if let Some(nmid) = &q.nmid {
        doc.row(s::NMID, nmid, Style::NORMAL);
    }
    doc.row(s::COUNTER, &q.counter, Style::NORMAL)
        .feed(1)
        .qr(&q.payload, 8)
        .feed(1)
        .text(s::AMOUNT, Style::NORMAL, Align::Center)
        .text(&q.amount, Style::DOUBLE, Align::Center)
        .text(
            format!("{} {}", s::VALID_UNTIL, q.expires_at),
            Style::BOLD,
            Align::Center,
        )
        .separator('-')
        .text(s::QRIS_SCAN, Style::NORMAL, Align::Center)
        .text(s::QRIS_EXPIRY_NOTE, Style::NORMAL, Align::Center)
        .row(s::REFERENCE, &q.reference, Style::NORMAL);
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- stamping proof

/// Proof that a document was stamped with e-Meterai.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampingProof {
    /// The branch.
    pub branch: Branch,
    /// Date and time as printed.
    pub date_time: String,
    /// File name of the stamped document.
    pub document_name: String,
    /// SHA-256 of the stamped document, hex.
    pub sha256: String,
    /// Serial numbers placed on the document.
    pub serials: Vec<String>,
    /// Verification link, printed as a QR code.
    pub verification_url: String,
    /// Where the document went: `Flashdisk (KINGSTON)`, `e-mail a***@gmail.com`.
    pub delivered_to: Vec<String>,
    /// Clerk name.
    pub clerk: String,
    /// Counter name or number.
    pub counter: String,
    /// Queue ticket served.
    pub ticket: Option<String>,
    /// A reprint.
    pub copy: bool,
}

/// Lays out a stamping proof.
pub fn stamping_proof(p: &StampingProof) -> Document {
    let mut doc = Document::new();
    header(&mut doc, &p.branch);
    if p.copy {
        copy_banner(&mut doc);
    }
    doc.text(s::PROOF_TITLE, Style::BOLD, Align::Center)
        .row(s::DATE_TIME, &p.date_time, Style::NORMAL)
        .row(s::COUNTER, &p.counter, Style::NORMAL)
        .row(s::CLERK, &p.clerk, Style::NORMAL);
    if let Some(ticket) = &p.ticket {
        doc.row(s::TICKET, ticket, Style::NORMAL);
    }
    doc.separator('-')
        .text(format!("{}:", s::DOCUMENT), Style::BOLD, Align::Left)
        .text(&p.document_name, Style::NORMAL, Align::Left)
        .text(format!("{}:", s::SHA256), Style::BOLD, Align::Left)
        .text(&p.sha256, Style::NORMAL, Align::Left)
        .text(s::SERIALS, Style::BOLD, Align::Left);
    for (i, sn) in p.serials.iter().enumerate() {
        doc.text(format!("{}. {sn}", i + 1), Style::NORMAL, Align::Left);
    }
    doc.text(s::DELIVERED_TO, Style::BOLD, Align::Left);
    if p.delivered_to.is_empty() {
        doc.text(
            format!("- {}", s::NOT_DELIVERED),
            Style::NORMAL,
            Align::Left,
        );
    }
    for target in &p.delivered_to {
        doc.text(format!("- {target}"), Style::NORMAL, Align::Left);
    }
    doc.feed(1)
        .qr(&p.verification_url, 5)
        .text(s::VERIFY_SCAN, Style::NORMAL, Align::Center);
    if p.copy {
        copy_footer(&mut doc);
    }
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- claim receipt

/// The receipt for a paid job still waiting on the e-Meterai service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimReceipt {
    /// The branch.
    pub branch: Branch,
    /// Date and time as printed.
    pub date_time: String,
    /// The code the customer shows to collect.
    pub claim_code: String,
    /// File name of the document received.
    pub document_name: String,
    /// SHA-256 of the document received, hex.
    pub sha256: String,
    /// Stamps paid for.
    pub stamps: u32,
    /// Amount paid, formatted.
    pub paid: String,
    /// Where the result will be e-mailed, if anywhere.
    pub email: Option<String>,
    /// Where the result will go by WhatsApp (the number masked), if anywhere.
    #[serde(default)]
    pub whatsapp: Option<String>,
    /// A `wa.me` link to the branch's WhatsApp number with the claim code, printed as a QR code:
    /// the customer who writes first opens the conversation window the document is sent in.
    #[serde(default)]
    pub whatsapp_link: Option<String>,
    /// Status link, printed as a QR code.
    pub status_url: Option<String>,
    /// Clerk name.
    pub clerk: String,
    /// Counter name or number.
    pub counter: String,
    /// Queue ticket served.
    pub ticket: Option<String>,
}

/// Lays out a claim receipt.
pub fn claim_receipt(c: &ClaimReceipt) -> Document {
    let mut doc = Document::new();
    header(&mut doc, &c.branch);
    doc.text(s::CLAIM_TITLE, Style::BOLD, Align::Center)
        .text(s::CLAIM_CODE, Style::NORMAL, Align::Center)
        .text(&c.claim_code, Style::DOUBLE, Align::Center)
        .separator('-')
        .text(s::CLAIM_EXPLAIN, Style::NORMAL, Align::Left)
        .separator('-')
        .row(s::DATE_TIME, &c.date_time, Style::NORMAL)
        .row(s::COUNTER, &c.counter, Style::NORMAL)
        .row(s::CLERK, &c.clerk, Style::NORMAL);
    if let Some(ticket) = &c.ticket {
        doc.row(s::TICKET, ticket, Style::NORMAL);
    }
    doc.row(s::STAMP_COUNT, c.stamps.to_string(), Style::NORMAL)
        .row(s::PAID, &c.paid, Style::BOLD)
        .text(format!("{}:", s::DOCUMENT), Style::BOLD, Align::Left)
        .text(&c.document_name, Style::NORMAL, Align::Left)
        .text(format!("{}:", s::SHA256), Style::BOLD, Align::Left)
        .text(&c.sha256, Style::NORMAL, Align::Left)
        .separator('-');
    if let Some(email) = &c.email {
        doc.text(s::CLAIM_EMAIL, Style::NORMAL, Align::Left)
            .text(email, Style::BOLD, Align::Left);
    }
    if let Some(number) = &c.whatsapp {
        doc.text(s::CLAIM_WHATSAPP, Style::NORMAL, Align::Left)
            .text(number, Style::BOLD, Align::Left);
    }
    if c.email.is_none() && c.whatsapp.is_none() {
        doc.text(s::CLAIM_PICKUP, Style::BOLD, Align::Left);
    }
    if let Some(link) = &c.whatsapp_link {
        doc.feed(1)
            .qr(link, 5)
            .text(s::CLAIM_WHATSAPP_QR, Style::NORMAL, Align::Center);
    }
    if let Some(url) = &c.status_url {
        doc.feed(1)
            .qr(url, 5)
            .text(s::CLAIM_STATUS_QR, Style::NORMAL, Align::Center);
    }
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- X and Z reports

/// Which till report a slip is, with the Z's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TillSlipKind {
    /// Interim report; the drawer session stays open.
    X,
    /// Closing report with its number; the session is closed.
    Z {
        /// Z number, consecutive per branch.
        number: u32,
    },
}

/// Takings of one tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTotal {
    /// Tender name.
    pub label: String,
    /// Number of transactions.
    pub count: u32,
    /// Amount, formatted.
    pub amount: String,
}

/// A labelled amount: cash movements, totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// What it is: `Modal awal`, `Setoran ke brankas`, …
    pub label: String,
    /// Signed amount, formatted: `-Rp500.000`.
    pub amount: String,
}

/// What a printed X or Z report of one drawer session says (the till's report, stored frozen for a
/// Z, is `loket::till::TillReport`; this is its slip, amounts formatted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillSlip {
    /// X or Z (with number).
    pub kind: TillSlipKind,
    /// A reprint.
    pub copy: bool,
    /// The branch.
    pub branch: Branch,
    /// Counter name or number.
    pub counter: String,
    /// Clerk name.
    pub clerk: String,
    /// Session opened, as printed.
    pub opened_at: String,
    /// Session closed, as printed (Z).
    pub closed_at: Option<String>,
    /// When this report was printed.
    pub printed_at: String,
    /// Takings per tender.
    pub takings: Vec<TenderTotal>,
    /// Total takings, formatted.
    pub takings_total: String,
    /// Cash movements (float, drops, paid-outs, cash refunds).
    pub movements: Vec<Amount>,
    /// Cash that should be in the drawer, formatted.
    pub expected_cash: String,
    /// Cash counted, formatted (required for Z).
    pub counted_cash: Option<String>,
    /// Counted minus expected, formatted and signed.
    pub variance: Option<String>,
    /// Voided sales.
    pub voids: u32,
    /// Refunds.
    pub refunds: u32,
    /// Supervisor who approved the close.
    pub supervisor: Option<String>,
    /// The journal's head when the Z was made, short form (`#1234 9f86d081884c7d65`): evidence
    /// on paper that a later rewrite of the journal cannot match.
    pub journal_head: Option<String>,
}

/// Lays out an X or Z report.
pub fn till_report(r: &TillSlip) -> Document {
    let mut doc = Document::new();
    header(&mut doc, &r.branch);
    if r.copy {
        copy_banner(&mut doc);
    }
    match r.kind {
        TillSlipKind::X => {
            doc.text(s::X_TITLE, Style::DOUBLE, Align::Center).text(
                s::X_SUBTITLE,
                Style::NORMAL,
                Align::Center,
            );
        }
        TillSlipKind::Z { number } => {
            doc.text(s::Z_TITLE, Style::DOUBLE, Align::Center).row(
                s::Z_NUMBER,
                format!("{number:04}"),
                Style::BOLD,
            );
        }
    }
    doc.row(s::COUNTER, &r.counter, Style::NORMAL)
        .row(s::CLERK, &r.clerk, Style::NORMAL)
        .row(s::OPENED, &r.opened_at, Style::NORMAL);
    if let Some(closed) = &r.closed_at {
        doc.row(s::CLOSED, closed, Style::NORMAL);
    }
    doc.row(s::PRINTED, &r.printed_at, Style::NORMAL)
        .separator('-')
        .text(s::TAKINGS, Style::BOLD, Align::Left);
    for t in &r.takings {
        doc.row(
            format!("{} ({})", t.label, s::transactions(t.count)),
            &t.amount,
            Style::NORMAL,
        );
    }
    doc.row(s::TAKINGS_TOTAL, &r.takings_total, Style::BOLD)
        .row(s::VOIDS, r.voids.to_string(), Style::NORMAL)
        .row(s::REFUNDS, r.refunds.to_string(), Style::NORMAL)
        .separator('-')
        .text(s::MOVEMENTS, Style::BOLD, Align::Left);
    for m in &r.movements {
        doc.row(&m.label, &m.amount, Style::NORMAL);
    }
    doc.separator('-')
        .text(s::CASH, Style::BOLD, Align::Left)
        .row(s::EXPECTED, &r.expected_cash, Style::NORMAL)
        .row(
            s::COUNTED,
            r.counted_cash.as_deref().unwrap_or(s::NOT_COUNTED),
            Style::NORMAL,
        );
    if let Some(v) = &r.variance {
        doc.row(s::VARIANCE, v, Style::BOLD);
    }
    if let Some(sup) = &r.supervisor {
        doc.row(s::SUPERVISOR, sup, Style::NORMAL);
    }
    if let Some(head) = &r.journal_head {
        doc.row(s::JOURNAL_HEAD, head, Style::NORMAL);
    }
    if matches!(r.kind, TillSlipKind::Z { .. }) {
        doc.feed(2)
            .text(format!("{}:", s::SIGN_CLERK), Style::NORMAL, Align::Left)
            .feed(2)
            .separator('.')
            .text(
                format!("{}:", s::SIGN_SUPERVISOR),
                Style::NORMAL,
                Align::Left,
            )
            .feed(2)
            .separator('.');
    }
    if r.copy {
        copy_footer(&mut doc);
    }
    end(&mut doc);
    doc
}

// ---------------------------------------------------------------- daily summary

/// One service's queue figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCount {
    /// Service name.
    pub service: String,
    /// Tickets issued.
    pub issued: u32,
    /// Tickets served.
    pub served: u32,
}

/// The supervisor's end-of-day summary slip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySummary {
    /// The branch.
    pub branch: Branch,
    /// Business day as printed.
    pub business_day: String,
    /// When it was printed.
    pub printed_at: String,
    /// Supervisor name.
    pub supervisor: String,
    /// Tickets issued.
    pub tickets_issued: u32,
    /// Tickets served.
    pub tickets_served: u32,
    /// No-shows.
    pub no_shows: u32,
    /// Average wait, formatted: `12 menit`.
    pub average_wait: String,
    /// Longest wait, formatted.
    pub longest_wait: String,
    /// Share served within the service-level target, formatted: `87%`.
    pub within_target: String,
    /// Per service.
    pub per_service: Vec<ServiceCount>,
    /// Takings per tender, formatted.
    pub takings: Vec<Amount>,
    /// Total takings, formatted.
    pub takings_total: String,
    /// Stamps sold.
    pub stamps_sold: u32,
    /// Stamps placed on documents.
    pub stamps_used: u32,
    /// Stamps spoiled (claimed back from Peruri).
    pub stamps_failed: u32,
    /// Paid jobs waiting for the upstream service.
    pub stamps_waiting: u32,
    /// Deliveries to flash drives.
    pub to_drive: u32,
    /// Deliveries by e-mail.
    pub to_email: u32,
    /// E-mails not yet sent.
    pub email_pending: u32,
    /// Z reports of the day: `Z 0042 Loket 1 Rp1.250.000`.
    pub z_reports: Vec<Amount>,
    /// Journal check result as printed: `utuh (4.213 entri)`.
    pub journal: String,
    /// The journal's head this summary anchored, short form (`#1234 9f86d081884c7d65`).
    pub journal_head: Option<String>,
}

/// Lays out the supervisor's daily summary.
pub fn daily_summary(d: &DailySummary) -> Document {
    let n = |v: u32| v.to_string();
    let mut doc = Document::new();
    header(&mut doc, &d.branch);
    doc.text(s::SUMMARY_TITLE, Style::DOUBLE, Align::Center)
        .row(s::BUSINESS_DAY, &d.business_day, Style::BOLD)
        .row(s::PRINTED, &d.printed_at, Style::NORMAL)
        .row(s::SUPERVISOR, &d.supervisor, Style::NORMAL)
        .separator('-')
        .text(s::QUEUE, Style::BOLD, Align::Left)
        .row(s::ISSUED, n(d.tickets_issued), Style::NORMAL)
        .row(s::SERVED, n(d.tickets_served), Style::NORMAL)
        .row(s::NO_SHOW, n(d.no_shows), Style::NORMAL)
        .row(s::AVERAGE_WAIT, &d.average_wait, Style::NORMAL)
        .row(s::LONGEST_WAIT, &d.longest_wait, Style::NORMAL)
        .row(s::WITHIN_TARGET, &d.within_target, Style::NORMAL)
        .text(s::PER_SERVICE, Style::BOLD, Align::Left);
    for sc in &d.per_service {
        doc.row(
            format!("  {}", sc.service),
            format!("{}/{}", sc.issued, sc.served),
            Style::NORMAL,
        );
    }
    doc.separator('-')
        .text(s::TAKINGS, Style::BOLD, Align::Left);
    for t in &d.takings {
        doc.row(&t.label, &t.amount, Style::NORMAL);
    }
    doc.row(s::TAKINGS_TOTAL, &d.takings_total, Style::BOLD)
        .separator('-')
        .text(s::STAMPS, Style::BOLD, Align::Left)
        .row(s::STAMPS_SOLD, n(d.stamps_sold), Style::NORMAL)
        .row(s::STAMPS_USED, n(d.stamps_used), Style::NORMAL)
        .row(s::STAMPS_FAILED, n(d.stamps_failed), Style::NORMAL)
        .row(s::STAMPS_WAITING, n(d.stamps_waiting), Style::NORMAL)
        .separator('-')
        .text(s::DELIVERIES, Style::BOLD, Align::Left)
        .row(s::TO_DRIVE, n(d.to_drive), Style::NORMAL)
        .row(s::TO_EMAIL, n(d.to_email), Style::NORMAL)
        .row(s::EMAIL_PENDING, n(d.email_pending), Style::NORMAL)
        .separator('-')
        .text(s::Z_REPORTS, Style::BOLD, Align::Left);
    for z in &d.z_reports {
        doc.row(&z.label, &z.amount, Style::NORMAL);
    }
    doc.row(s::JOURNAL, &d.journal, Style::NORMAL);
    if let Some(head) = &d.journal_head {
        doc.row(s::JOURNAL_HEAD, head, Style::NORMAL);
    }
    doc.feed(2)
        .text(
            format!("{}:", s::SIGN_SUPERVISOR),
            Style::NORMAL,
            Align::Left,
        )
        .feed(2)
        .separator('.');
    end(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Block;
    use crate::samples::{Kind, sample_data};

    #[test]
    fn a_copy_never_opens_the_drawer() {
        let crate::samples::SampleData::Sale(mut sale) = sample_data(Kind::Sale) else {
            panic!("sale sample is a sale");
        };
        assert!(sale.open_drawer);
        assert!(sale_receipt(&sale).blocks().contains(&Block::DrawerPulse));
        sale.copy = true;
        let doc = sale_receipt(&sale);
        assert!(!doc.blocks().contains(&Block::DrawerPulse));
        assert!(
            doc.blocks()
                .iter()
                .any(|b| matches!(b, Block::Text { text, .. } if text.contains(s::COPY)))
        );
    }

    #[test]
    fn every_layout_ends_with_one_cut() {
        for kind in Kind::ALL {
            let doc = crate::samples::sample(kind);
            let cuts = doc.blocks().iter().filter(|b| **b == Block::Cut).count();
            assert_eq!(cuts, 1, "{kind:?}");
            assert_eq!(doc.blocks().last(), Some(&Block::Cut), "{kind:?}");
        }
    }
}
