//! X and Z reports: a session's figures built from the ledger, and stored Z documents read back.

use super::TillService;
use super::{SessionView, current_session, local_time, session_by};
use crate::config::Config;
use crate::day::TimeZone;
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::till::TillError;
use crate::till::domain::{Method, MoveKind, Movement, summarize};
use crate::till::report::{
    self, CloseFacts, EventRow, EventWhat, ReportKind, SessionEvents, SessionFacts, TillReport,
};
use serde::Serialize;
use serde_json::json;

pub(super) fn ledger_movements(
    conn: &Connection,
    session: i64,
) -> crate::store::sql::Result<Vec<Movement>> {
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

fn session_events(
    conn: &Connection,
    session: i64,
    now_ms: i64,
) -> crate::store::sql::Result<SessionEvents> {
    let mut ev = SessionEvents::default();
    // Each query reads: the sale (or none), the tender method (or none), the amount, the reason,
    // who did it and who approved.
    let events = |sql: &str,
                  what: fn(Option<i64>, Option<String>) -> EventWhat|
     -> crate::store::sql::Result<Vec<EventRow>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([session], |r| {
            Ok(EventRow {
                what: what(r.get(0)?, r.get(1)?),
                amount: r.get(2)?,
                reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                actor: r.get(4)?,
                supervisor: r.get(5)?,
            })
        })?;
        rows.collect()
    };
    ev.voids = events(
        "SELECT s.id, NULL, COALESCE((SELECT -SUM(amount) FROM till_movements m WHERE m.sale = s.id AND m.kind = 'void'), 0),
                s.void_reason, COALESCE(a.requested_by, s.clerk), a.supervisor
         FROM sales s LEFT JOIN approvals a ON a.id = s.void_approval
         WHERE s.status = 'voided' AND (s.session = ?1 OR EXISTS (SELECT 1 FROM till_movements m WHERE m.sale = s.id AND m.kind = 'void' AND m.session = ?1))
         ORDER BY s.voided_ms",
        |sale, _| EventWhat::Sale(sale.unwrap_or_default()),
    )?;
    ev.refunds = events(
        "SELECT sale, method, amount, reason, clerk, supervisor FROM refunds WHERE session = ?1 ORDER BY id",
        |sale, method| EventWhat::SaleBy {
            sale: sale.unwrap_or_default(),
            method: method.unwrap_or_default(),
        },
    )?;
    ev.payouts = events(
        "SELECT NULL, NULL, -amount, reason, actor, supervisor FROM till_movements WHERE session = ?1 AND kind = 'payout' ORDER BY id",
        |_, _| EventWhat::Payout,
    )?;
    ev.drops = events(
        "SELECT NULL, NULL, -amount, reason, actor, supervisor FROM till_movements WHERE session = ?1 AND kind = 'drop' ORDER BY id",
        |_, _| EventWhat::Drop,
    )?;
    ev.no_sale_opens = events(
        "SELECT NULL, NULL, 0, reason, clerk, supervisor FROM drawer_opens WHERE session = ?1 AND cause = 'no_sale' ORDER BY id",
        |_, _| EventWhat::NoSale,
    )?;
    let count =
        |sql: &str, args: &[&dyn crate::store::sql::ToSql]| -> crate::store::sql::Result<i64> {
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
    let qris = |states: &str, live: Option<bool>| -> crate::store::sql::Result<i64> {
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

pub(super) fn build_report(
    conn: &Connection,
    config: &Config,
    tz: TimeZone,
    session: &SessionView,
    kind: ReportKind,
    number: Option<i64>,
    now_ms: i64,
) -> Result<TillReport, TillError> {
    let summary = summarize(&ledger_movements(conn, session.id)?)?;
    let events = session_events(conn, session.id, now_ms)?;
    let facts = session_facts(session, tz);
    report::build(
        kind,
        number,
        &config.branch.code,
        &config.branch.name,
        &facts,
        &summary,
        &events,
        &local_time(now_ms, tz),
    )
}

pub(super) fn expected_cash(conn: &Connection, session: i64) -> Result<Rupiah, TillError> {
    Ok(summarize(&ledger_movements(conn, session)?)?.expected_cash)
}

fn z_document(
    conn: &Connection,
    filter: &str,
    arg: i64,
) -> Result<Option<(i64, TillReport)>, TillError> {
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
fn read_z(conn: &Connection, number: i64, doc: &str) -> Result<TillReport, TillError> {
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
fn stored_figures(conn: &Connection, number: i64) -> Result<report::SlipFigures, TillError> {
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

impl TillService<'_> {
    /// The X report of the counter's current session: read-only, a pure fold of its ledger.
    pub fn x_report(&mut self, counter: CounterNo) -> Result<TillReport, TillError> {
        self.check_counter(counter.get())?;
        let now = crate::store::to_ms(self.store.now());
        let tz = self.tz();
        let config = &self.config;
        self.store.read(|c| {
            let s =
                current_session(c, counter.get())?.ok_or(TillError::NoSession(counter.get()))?;
            build_report(c, config, tz, &s, ReportKind::X, None, now)
        })
    }

    /// Stamps the anchor a Z just recorded. A TSA that is down must not stop the close: the anchor
    /// stays pending (verify counts it) and the worker stamps it on a later round. Nothing is
    /// printed: the counter's screen may be the terminal.
    pub(super) fn stamp_anchor_after_z(&mut self, closed: bool) {
        if closed {
            let _ = crate::journal::anchor::stamp_pending_anchors(&mut self.parts());
        }
    }

    /// Reprints a stored Z report (by number, else the newest, of `counter` when given), marked
    /// SALINAN and counted. The stored document itself never changes.
    pub fn reprint_z(
        &mut self,
        number: Option<i64>,
        counter: Option<u32>,
        actor: &str,
    ) -> Result<TillReport, TillError> {
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
            doc.copy_mark = Some(report::copy_mark().to_string());
            doc.reprint = u32::try_from(count).unwrap_or(u32::MAX);
            Ok(doc)
        })
    }

    /// The stored Z document exactly as frozen at close, with its SHA-256 (for checks and the
    /// daily report; printing it goes through [`Branch::reprint_z`]).
    pub fn stored_z(&mut self, number: i64) -> Result<(TillReport, String), TillError> {
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

impl TillService<'_> {
    /// The newest stored Z reports, newest first (the supervisor console's list).
    pub fn recent_z_reports(&mut self, limit: u32) -> Result<Vec<ZListing>, TillError> {
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
