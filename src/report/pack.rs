//! The daily pack: every section (queue, till, stamps, deliveries, devices, journal) of one business
//! day or a range of days, read from the store in one place for the screen, CSV, PDF and printer.

use super::ReportError;
use super::queue::{self, QueueReport};
use crate::day::BusinessDay;
use crate::journal;
use crate::stamping::JobId;
use crate::store::sql::{Connection, params};
use crate::till::{Method, MoveKind, Movement, SaleId, summarize};
use serde::Serialize;

const DAY_MS: i64 = 86_400_000;

/// The whole pack. Amounts are whole rupiah.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pack {
    pub branch: String,
    pub from: String,
    pub to: String,
    /// When the pack was made (Unix ms); open incidents and counters count until then.
    pub made_ms: i64,
    pub queue: QueueReport,
    pub till: TillSection,
    pub stamps: StampSection,
    pub deliveries: DeliverySection,
    pub devices: Vec<Incident>,
    pub journal: Vec<JournalDay>,
    /// The journal's head anchored for this pack (`#1234 9f86d081884c7d65`), when the pack was made
    /// by `loket report daily`; the copy that leaves the branch carries it.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "short_head")]
    pub journal_head: Option<crate::journal::anchor::Head>,
    /// How the anchors' timestamps stand: this pack's own when it waits for the TSA, and every
    /// anchor of the period stamped late (how late), in Indonesian sentences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub anchor_notes: Vec<String>,
    /// What is left half-done when the pack is made (belum selesai): unpaid and half-paid sales,
    /// documents placed but not paid, paid but not handed over — each with its counter and age.
    pub unfinished: Vec<Unfinished>,
}

/// The anchored head in the pack's JSON as people copy it off paper.
fn short_head<S: serde::Serializer>(
    head: &Option<crate::journal::anchor::Head>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match head {
        Some(h) => s.serialize_str(&h.short()),
        None => s.serialize_none(),
    }
}

/// What is left half-done: a sale or a stamping job. Written `sale/12` or `job/34`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Sale(SaleId),
    Job(JobId),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Sale(id) => write!(f, "sale/{id}"),
            Subject::Job(id) => write!(f, "job/{id}"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing left half-done, with who owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unfinished {
    pub subject: Subject,
    pub counter: Option<u32>,
    pub clerk: String,
    pub ticket: Option<String>,
    pub since_ms: i64,
    /// What it is, in Indonesian ("dibayar sebagian Rp5.000 dari Rp10.000").
    pub what: String,
    /// What to do, in Indonesian.
    pub next: String,
}

/// Where a half-done thing stands, as values; its `what` and `next` sentences are worded in
/// `src/words` when the list is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stands {
    SalePartPaid {
        paid: crate::money::Rupiah,
        total: crate::money::Rupiah,
    },
    SaleUnpaid {
        total: crate::money::Rupiah,
    },
    JobUnpaid {
        name: String,
    },
    JobUndelivered {
        name: String,
        sn: Option<String>,
    },
    JobHeld {
        name: String,
    },
    JobPaid {
        name: String,
    },
}

/// Everything half-done now, oldest first (the "belum selesai" list of the console and the pack).
pub fn unfinished(c: &Connection) -> Result<Vec<Unfinished>, crate::store::StoreError> {
    let mut out = Vec::new();
    let mut stmt = c.prepare_cached(
        "SELECT s.id, s.counter, s.clerk, s.ticket, s.created_ms,
                COALESCE((SELECT SUM(l.quantity * l.unit_price) FROM sale_lines l WHERE l.sale = s.id), 0),
                COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.sale = s.id AND p.kind = 'payment'), 0)
         FROM sales s WHERE s.status = 'open' ORDER BY s.created_ms, s.id",
    )?;
    let rows = stmt.query_map((), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    for row in rows {
        let (id, counter, clerk, ticket, since_ms, total, paid) = row?;
        let (total, paid) = (
            crate::money::Rupiah::new(total),
            crate::money::Rupiah::new(paid),
        );
        let stands = if paid.is_positive() {
            Stands::SalePartPaid { paid, total }
        } else {
            Stands::SaleUnpaid { total }
        };
        let words = crate::words::current();
        let (what, next) = (
            words.unfinished_what(&stands),
            words.unfinished_next(&stands).to_string(),
        );
        out.push(Unfinished {
            subject: Subject::Sale(SaleId(id)),
            counter: Some(counter),
            clerk,
            ticket,
            since_ms,
            what,
            next,
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, j.counter, j.clerk, j.ticket, j.created_ms, j.state, j.sn, j.document_name
         FROM stamp_jobs j
         WHERE j.state IN ('received', 'placed', 'paid', 'serial_issued', 'stamped', 'held')
         ORDER BY j.created_ms, j.id",
    )?;
    let rows = stmt.query_map((), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<u32>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    for row in rows {
        let (id, counter, clerk, ticket, since_ms, state, sn, name) = row?;
        let stands = match state.as_str() {
            "received" | "placed" => Stands::JobUnpaid { name },
            "stamped" => Stands::JobUndelivered { name, sn },
            "held" => Stands::JobHeld { name },
            _ => Stands::JobPaid { name },
        };
        let words = crate::words::current();
        let (what, next) = (
            words.unfinished_what(&stands),
            words.unfinished_next(&stands),
        );
        out.push(Unfinished {
            subject: Subject::Job(JobId(id)),
            counter,
            clerk,
            ticket,
            since_ms,
            what,
            next: next.to_string(),
        });
    }
    out.sort_by_key(|u| u.since_ms);
    Ok(out)
}

impl Pack {
    pub fn is_range(&self) -> bool {
        self.from != self.to
    }

    /// `2026-11-21` or `2026-11-01 s.d. 2026-11-30`.
    pub fn period(&self) -> String {
        let day = |d: &str| crate::when::day_text(d);
        if self.is_range() {
            crate::words::current().period_range(&day(&self.from), &day(&self.to))
        } else {
            day(&self.from)
        }
    }

    /// `laporan-harian-2026-11-21` or `laporan-2026-11-01_2026-11-30`: the stem of file names.
    pub fn file_stem(&self) -> String {
        if self.is_range() {
            format!("laporan-{}_{}", self.from, self.to)
        } else {
            format!("laporan-harian-{}", self.from)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TillSection {
    pub tenders: Vec<Tender>,
    pub gross_sales: i64,
    pub refunds_total: i64,
    pub voids_total: i64,
    pub net_sales: i64,
    pub sales_paid: u64,
    pub voids: Vec<Void>,
    pub refunds: Vec<Refund>,
    pub no_sale_opens: Vec<DrawerOpen>,
    pub sessions: Vec<Session>,
    pub qris: QrisFigures,
}

/// Takings of one tender, from the cashier's ledger summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tender {
    pub method: String,
    pub label: String,
    pub count: i64,
    pub sales: i64,
    pub refunds: i64,
    pub voids: i64,
    pub net: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Void {
    pub sale: i64,
    pub at_ms: i64,
    pub counter: u32,
    pub clerk: String,
    pub amount: i64,
    pub reason: String,
    pub approver: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub sale: i64,
    pub at_ms: i64,
    pub method: String,
    pub amount: i64,
    pub clerk: String,
    pub reason: String,
    pub approver: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrawerOpen {
    pub at_ms: i64,
    pub counter: u32,
    pub clerk: String,
    pub reason: String,
    pub approver: String,
}

/// One drawer session: expected, counted and variance exactly as the cashier's ledger has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: i64,
    pub day: String,
    pub counter: u32,
    pub clerk: String,
    pub state: String,
    pub float: i64,
    pub expected: i64,
    pub counted: Option<i64>,
    pub variance: Option<i64>,
    pub reason: Option<String>,
    pub approver: Option<String>,
    pub z_number: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QrisFigures {
    pub created: u64,
    pub paid: u64,
    pub paid_amount: i64,
    /// Still created or shown.
    pub pending: u64,
    pub pending_amount: i64,
    pub expired: u64,
    pub cancelled: u64,
    pub paid_late: u64,
    pub paid_late_amount: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StampSection {
    /// Stamps on paid sales (sale lines `meterai`), net of refunds.
    pub sold: u64,
    pub refunded: u64,
    /// Serial numbers stamped on a document in the period.
    pub used: u64,
    /// Serial numbers spoiled in the period.
    pub failed: u64,
    /// Paid jobs waiting for a serial number or the stamp (now, not only the period's).
    pub waiting_jobs: u64,
    /// Paid jobs held for a supervisor's decision (now, not only the period's).
    pub held_jobs: u64,
    /// Paid jobs a supervisor settled in the period (a new serial at no charge, or a refund).
    pub settled_jobs: u64,
    /// Spoiled serials not claimed back yet (all, not only the period's).
    pub awaiting_claim: Vec<crate::stamping::ledger::Claim>,
    /// The ledger now.
    pub inventory: crate::stamping::ledger::Inventory,
    pub provider: ProviderCheck,
}

/// The provider's own count, when it could be asked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProviderCheck {
    #[default]
    NotChecked,
    Checked {
        remaining: u64,
        not_stamped: u64,
        discrepancies: Vec<String>,
    },
    Unreachable {
        message: String,
    },
}

impl ProviderCheck {
    /// A one-liner for the screen and the printer, in the process's language.
    pub fn describe(&self) -> String {
        crate::words::current().provider_check(self)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySection {
    pub drive_copies: u64,
    /// Copies where the same file was already on the drive.
    pub drive_already: u64,
    pub drive_bytes: i64,
    pub mail_sent: u64,
    pub mail_failed: u64,
    /// Queued, being sent or waiting for a retry.
    pub mail_waiting: u64,
    /// WhatsApp messages accepted by the API (of those, reported delivered or read by a webhook).
    pub whatsapp_sent: u64,
    pub whatsapp_delivered: u64,
    pub whatsapp_failed: u64,
    pub whatsapp_waiting: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub device: String,
    pub kind: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    /// How long it lasted within the period (open ones until now or the period's end).
    pub duration_ms: i64,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalDay {
    pub day: String,
    pub report: journal::Report,
}

/// The days from `from` to `to` inclusive.
pub fn days(from: BusinessDay, to: BusinessDay) -> Vec<BusinessDay> {
    let mut out = Vec::new();
    let mut d = from.date();
    while d <= to.date() {
        out.push(BusinessDay::from_date(d));
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

impl super::ReportService<'_> {
    /// The pack of one business day.
    pub fn daily(&mut self, day: BusinessDay) -> Result<Pack, ReportError> {
        self.range(day, day)
    }

    /// The daily pack of `day` as it leaves the branch (mail, drive, paper): the journal's head is
    /// anchored for it, time-stamped when the TSA answers, and the pack carries that head and how
    /// the period's anchors were stamped.
    pub fn daily_anchored(&mut self, actor: &str, day: BusinessDay) -> Result<Pack, ReportError> {
        let mut p = self.daily(day)?;
        let head = crate::journal::anchor::anchor_daily(&mut self.parts(), actor, day)?;
        p.journal_head = Some(head.clone());
        p.anchor_notes = self.anchor_notes(day, Some(head.seq))?;
        Ok(p)
    }

    /// The pack of `day` for a screen in the branch: it stays here, so it does not anchor (the
    /// packs that leave do) and shows how the day's anchors were stamped.
    pub fn daily_in_branch(&mut self, day: BusinessDay) -> Result<Pack, ReportError> {
        let mut p = self.daily(day)?;
        p.anchor_notes = self.anchor_notes(day, None)?;
        Ok(p)
    }

    /// Sentences on the anchors of `day` (and the anchor at `own`) stamped late or still waiting.
    pub fn anchor_notes(
        &mut self,
        day: BusinessDay,
        own: Option<i64>,
    ) -> Result<Vec<String>, ReportError> {
        let tz = self.config.branch.timezone;
        let (start, end) = (
            crate::store::to_ms(day.start(tz)),
            crate::store::to_ms(day.next().start(tz)),
        );
        let now = crate::store::to_ms(self.store.now());
        let delays = self.store.read(crate::journal::anchor::delays)?;
        Ok(delays
            .iter()
            .filter(|d| Some(d.anchored.seq) == own || (start..end).contains(&d.made_ms))
            .map(|d| d.sentence(now))
            .collect())
    }

    /// The pack of the days `from` to `to` inclusive; figures are recomputed over all the period's
    /// rows.
    pub fn range(&mut self, from: BusinessDay, to: BusinessDay) -> Result<Pack, ReportError> {
        if to < from {
            return Err(ReportError::RangeBackwards { from, to });
        }
        let days = days(from, to);
        let mut sessions = Vec::new();
        for d in &days {
            for (s, summary) in self.parts().till().till_sessions_of_day(&d.to_string())? {
                sessions.push(Session {
                    id: s.id,
                    day: s.business_day.clone(),
                    counter: s.counter,
                    clerk: s.clerk.clone(),
                    state: s.state.clone(),
                    float: s.float.value(),
                    // A closed session keeps the expected total it was closed with; an open one
                    // is the ledger's running figure.
                    expected: s.expected_total.unwrap_or(summary.expected_cash).value(),
                    counted: s.counted_total.map(|r| r.value()),
                    variance: s.variance.map(|r| r.value()),
                    reason: s.variance_reason.clone(),
                    approver: s.supervisor.clone(),
                    z_number: s.z_number,
                });
            }
        }
        let config = self.config;
        let tz = config.branch.timezone;
        let start = crate::store::to_ms(from.start(tz));
        let end = crate::store::to_ms(to.start(tz)) + DAY_MS;
        let now = crate::store::to_ms(self.store.now());
        let (f, t) = (from.to_string(), to.to_string());
        let mut pack = self.store.read(|c| -> Result<Pack, ReportError> {
            let queue = queue::range(c, config, from, to, now)?;
            let mut till = till_section(c, &f, &t, start, end)?;
            till.sessions = sessions;
            let journal = days
                .iter()
                .map(|d| {
                    Ok(JournalDay {
                        day: d.to_string(),
                        report: journal::verify(c, Some(*d))?,
                    })
                })
                .collect::<Result<Vec<_>, ReportError>>()?;
            Ok(Pack {
                branch: config.branch.name.clone(),
                from: f.clone(),
                to: t.clone(),
                made_ms: now,
                queue,
                till,
                stamps: stamp_section(c, &f, &t, start, end)?,
                deliveries: delivery_section(c, start, end)?,
                devices: incidents(c, start, end, now)?,
                journal,
                journal_head: None,
                anchor_notes: Vec::new(),
                unfinished: unfinished(c)?,
            })
        })?;
        pack.till.sessions.sort_by_key(|s| s.id);
        Ok(pack)
    }
}

fn till_section(
    c: &Connection,
    from: &str,
    to: &str,
    start: i64,
    end: i64,
) -> Result<TillSection, ReportError> {
    // The period's ledger: movements of its drawer sessions, and card/QRIS takings of its sales
    // taken without a session.
    let mut stmt = c.prepare_cached(
        "SELECT m.kind, m.method, m.amount, m.sale FROM till_movements m
         LEFT JOIN till_sessions s ON s.id = m.session
         LEFT JOIN sales x ON x.id = m.sale
         WHERE (m.session IS NOT NULL AND s.business_day BETWEEN ?1 AND ?2)
            OR (m.session IS NULL AND x.business_day BETWEEN ?1 AND ?2)
         ORDER BY m.id",
    )?;
    let movements: Vec<Movement> = stmt
        .query_map([from, to], |r| {
            let kind: String = r.get(0)?;
            let method: String = r.get(1)?;
            Ok(Movement {
                kind: MoveKind::parse(&kind).unwrap_or(MoveKind::Sale),
                method: Method::parse(&method).unwrap_or(Method::Cash),
                amount: crate::money::Rupiah::new(r.get(2)?),
                sale: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let summary = summarize(&movements)?;
    let tenders = Method::ALL
        .iter()
        .map(|&m| {
            let t = summary.tender(m);
            Tender {
                method: m.as_str().into(),
                label: m.label().into(),
                count: t.count,
                sales: t.sales.value(),
                refunds: t.refunds.value(),
                voids: t.voids.value(),
                net: t.net.value(),
            }
        })
        .collect();
    let sales_paid: u64 = c.query_row(
        "SELECT COUNT(*) FROM sales WHERE business_day BETWEEN ?1 AND ?2 AND paid_ms IS NOT NULL",
        [from, to],
        |r| r.get::<_, u64>(0),
    )?;
    let voids = c
        .prepare_cached(
            "SELECT s.id, s.voided_ms, s.counter, s.clerk,
                    COALESCE((SELECT SUM(quantity * unit_price) FROM sale_lines WHERE sale = s.id), 0),
                    COALESCE(s.void_reason, ''), COALESCE(a.supervisor, '')
             FROM sales s LEFT JOIN approvals a ON a.id = s.void_approval
             WHERE s.status = 'voided' AND s.voided_ms >= ?1 AND s.voided_ms < ?2 ORDER BY s.voided_ms, s.id",
        )?
        .query_map(params![start, end], |r| {
            Ok(Void {
                sale: r.get(0)?,
                at_ms: r.get(1)?,
                counter: r.get(2)?,
                clerk: r.get(3)?,
                amount: r.get(4)?,
                reason: r.get(5)?,
                approver: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let refunds = c
        .prepare_cached(
            "SELECT sale, at_ms, method, amount, clerk, reason, supervisor FROM refunds
             WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, id",
        )?
        .query_map(params![start, end], |r| {
            Ok(Refund {
                sale: r.get(0)?,
                at_ms: r.get(1)?,
                method: r.get(2)?,
                amount: r.get(3)?,
                clerk: r.get(4)?,
                reason: r.get(5)?,
                approver: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let no_sale_opens = c
        .prepare_cached(
            "SELECT d.at_ms, d.counter, d.clerk, COALESCE(d.reason, ''),
                    COALESCE(d.supervisor, a.supervisor, '')
             FROM drawer_opens d LEFT JOIN approvals a ON a.id = d.approval
             WHERE d.cause = 'no_sale' AND d.at_ms >= ?1 AND d.at_ms < ?2 ORDER BY d.at_ms, d.id",
        )?
        .query_map(params![start, end], |r| {
            Ok(DrawerOpen {
                at_ms: r.get(0)?,
                counter: r.get(1)?,
                clerk: r.get(2)?,
                reason: r.get(3)?,
                approver: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut qris = QrisFigures::default();
    let mut q = c.prepare_cached(
        "SELECT state, COUNT(*), COALESCE(SUM(amount), 0) FROM qris_payments
         WHERE created_ms >= ?1 AND created_ms < ?2 GROUP BY state",
    )?;
    for row in q.query_map(params![start, end], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (state, n, amount) = row?;
        qris.created += n;
        match state.as_str() {
            "paid" => {
                qris.paid += n;
                qris.paid_amount += amount;
            }
            "paid_late" => {
                qris.paid_late += n;
                qris.paid_late_amount += amount;
            }
            "expired" => qris.expired += n,
            "cancelled" => qris.cancelled += n,
            _ => {
                qris.pending += n;
                qris.pending_amount += amount;
            }
        }
    }
    Ok(TillSection {
        tenders,
        gross_sales: summary.gross_sales.value(),
        refunds_total: summary.refunds.value(),
        voids_total: summary.voids.value(),
        net_sales: summary.net_sales.value(),
        sales_paid,
        voids,
        refunds,
        no_sale_opens,
        sessions: Vec::new(),
        qris,
    })
}

fn stamp_section(
    c: &Connection,
    from: &str,
    to: &str,
    start: i64,
    end: i64,
) -> Result<StampSection, ReportError> {
    let (sold, refunded): (u64, u64) = c.query_row(
        "SELECT COALESCE(SUM(l.quantity - l.refunded_qty), 0), COALESCE(SUM(l.refunded_qty), 0)
         FROM sale_lines l JOIN sales s ON s.id = l.sale
         WHERE l.item = 'meterai' AND s.business_day BETWEEN ?1 AND ?2 AND s.paid_ms IS NOT NULL
           AND s.status != 'voided'",
        [from, to],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let count = |sql: &str| -> crate::store::sql::Result<u64> {
        c.query_row(sql, params![start, end], |r| r.get::<_, u64>(0))
    };
    Ok(StampSection {
        sold,
        refunded,
        used: count("SELECT COUNT(*) FROM serials WHERE stamped_ms >= ?1 AND stamped_ms < ?2")?,
        failed: count("SELECT COUNT(*) FROM serials WHERE spoiled_ms >= ?1 AND spoiled_ms < ?2")?,
        waiting_jobs: c.query_row(
            "SELECT COUNT(*) FROM stamp_jobs WHERE state IN ('paid', 'serial_issued')",
            (),
            |r| r.get::<_, u64>(0),
        )?,
        held_jobs: c.query_row(
            "SELECT COUNT(*) FROM stamp_jobs WHERE state IN ('held', 'failed')",
            (),
            |r| r.get::<_, u64>(0),
        )?,
        settled_jobs: count(
            "SELECT COUNT(*) FROM journal WHERE kind IN ('job.refunded', 'job.reissued') AND at_ms >= ?1 AND at_ms < ?2",
        )?,
        awaiting_claim: crate::stamping::ledger::claims(c)?,
        inventory: ledger_counts(c)?,
        provider: ProviderCheck::NotChecked,
    })
}

/// The ledger's counts by status, as `ledger::inventory` gives them, without its per-lot figures:
/// those join every lot with every serial (no index on `serials.lot_id`), which takes seconds
/// after a year of lots.
fn ledger_counts(c: &Connection) -> crate::store::sql::Result<crate::stamping::ledger::Inventory> {
    let mut inv = crate::stamping::ledger::Inventory::default();
    let mut stmt = c.prepare_cached("SELECT status, COUNT(*) FROM serials GROUP BY status")?;
    for row in stmt.query_map((), |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
        let (status, n) = row?;
        match status.as_str() {
            "available" => inv.available = n,
            "issued" => inv.issued = n,
            "stamped" => inv.stamped = n,
            _ => inv.spoiled = n,
        }
    }
    Ok(inv)
}

fn delivery_section(c: &Connection, start: i64, end: i64) -> Result<DeliverySection, ReportError> {
    let mut d = DeliverySection::default();
    let (n, already, bytes): (u64, u64, i64) = c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(already), 0), COALESCE(SUM(bytes), 0) FROM drive_copies
         WHERE at_ms >= ?1 AND at_ms < ?2",
        params![start, end],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    d.drive_copies = n;
    d.drive_already = already;
    d.drive_bytes = bytes;
    let mut stmt = c.prepare_cached(
        "SELECT channel, status, COALESCE(wa_status, ''), COUNT(*) FROM outbox
         WHERE created_ms >= ?1 AND created_ms < ?2 GROUP BY channel, status, wa_status",
    )?;
    for row in stmt.query_map(params![start, end], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, u64>(3)?,
        ))
    })? {
        let (channel, status, wa, n) = row?;
        match (channel.as_str(), status.as_str()) {
            ("whatsapp", "sent") => {
                d.whatsapp_sent += n;
                if wa == "delivered" || wa == "read" {
                    d.whatsapp_delivered += n;
                }
            }
            ("whatsapp", "failed") => d.whatsapp_failed += n,
            ("whatsapp", _) => d.whatsapp_waiting += n,
            (_, "sent") => d.mail_sent += n,
            (_, "failed") => d.mail_failed += n,
            _ => d.mail_waiting += n,
        }
    }
    Ok(d)
}

fn incidents(c: &Connection, start: i64, end: i64, now: i64) -> Result<Vec<Incident>, ReportError> {
    let mut stmt = c.prepare_cached(
        "SELECT device, kind, started_ms, ended_ms, detail FROM device_incidents
         WHERE started_ms < ?2 AND (ended_ms IS NULL OR ended_ms > ?1) ORDER BY started_ms, id",
    )?;
    let rows = stmt
        .query_map(params![start, end], |r| {
            let started: i64 = r.get(2)?;
            let ended: Option<i64> = r.get(3)?;
            let until = ended.unwrap_or_else(|| now.min(end)).min(end);
            Ok(Incident {
                device: r.get(0)?,
                kind: r.get(1)?,
                started_ms: started,
                ended_ms: ended,
                duration_ms: (until - started.max(start)).max(0),
                detail: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Asks the stamping provider for its quota and compares it with the ledger. Any failure is
/// reported in the pack, never raised: the pack does not wait on the network.
pub fn check_provider(pack: &mut Pack, provider: &dyn crate::stamping::provider::Provider) {
    pack.stamps.provider = match provider.quota() {
        Ok(q) => {
            let r = crate::stamping::ledger::reconcile(
                &pack.stamps.inventory,
                q.not_stamped,
                Some(q.remaining),
            );
            ProviderCheck::Checked {
                remaining: q.remaining,
                not_stamped: q.not_stamped,
                discrepancies: r.discrepancies,
            }
        }
        Err(e) => ProviderCheck::Unreachable {
            message: e.to_string(),
        },
    };
}
