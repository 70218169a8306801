//! Drawer sessions: opened, cash moved in and out of the ledger, counted, and closed with a Z.

use super::TillService;
use super::qris_codes::expire_qris_codes;
use super::z::{build_report, expected_cash, ledger_movements};
use super::{
    SessionView, approval_subject_counter, approval_subject_session, cash_session, current_session,
    drawer_open, movement, optional_session, reason_ok, session_by,
};
use crate::config::Config;
use crate::day::TimeZone;
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::queue::CounterNo;
use crate::store::Tx;
use crate::store::sql::params;
use crate::till::domain::{CashCount, Method, MoveKind, Summary, summarize};
use crate::till::report::{ReportKind, TillReport};
use crate::till::{TillError, actions};
use crate::users;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

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

impl TillService<'_> {
    /// Opens a drawer session on `counter` with a counted float. One session per counter at a time.
    pub fn open_till(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        float: &CashCount,
    ) -> Result<SessionView, TillError> {
        self.check_counter(counter.get())?;
        let total = float.total()?;
        if total.is_negative() {
            return Err(TillError::NotPositive);
        }
        let float_json =
            serde_json::to_string(float).map_err(|e| TillError::Encode(e.to_string()))?;
        self.store.write(|tx| {
            if let Some(s) = current_session(tx, counter.get())? {
                return Err(if s.state == "counted" {
                    TillError::SessionCounting(counter.get())
                } else {
                    TillError::SessionOpen(counter.get())
                });
            }
            let id: i64 = tx.query_row(
                "INSERT INTO till_sessions (counter, clerk, business_day, opened_ms, float_count, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open') RETURNING id",
                params![counter, clerk, tx.day().to_string(), tx.now_ms(), float_json],
                |r| r.get(0),
            )?;
            movement(tx, Some(id), counter.get(), MoveKind::Float, Method::Cash, total, None, Some("modal awal"), clerk, None)?;
            drawer_open(tx, counter.get(), Some(id), clerk, "float", None, None, None)?;
            tx.journal(Entry::new(
                clerk,
                "till.opened",
                approval_subject_session(id),
                json!({"counter": counter, "float": total, "count": float, "open_drawer": true}),
            ))?;
            session_by(tx, "s.id = ?1", id)?.ok_or(TillError::NoSession(counter.get()))
        })
    }

    /// The counter's session that is not closed yet.
    pub fn till_session(&mut self, counter: CounterNo) -> Result<Option<SessionView>, TillError> {
        self.store.read(|c| Ok(current_session(c, counter.get())?))
    }

    /// A drawer session by id.
    pub fn till_session_by_id(&mut self, id: i64) -> Result<Option<SessionView>, TillError> {
        self.store.read(|c| Ok(session_by(c, "s.id = ?1", id)?))
    }

    /// Every drawer session of a business day, oldest first (for the daily report).
    pub fn till_sessions_of_day(
        &mut self,
        day: &str,
    ) -> Result<Vec<(SessionView, Summary)>, TillError> {
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

    /// Cash paid out of the drawer for an expense, with a reason.
    pub fn pay_out(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
    ) -> Result<DrawerOutcome, TillError> {
        self.cash_out(counter.get(), clerk, amount, reason, MoveKind::PayOut)
    }

    /// Cash taken from the drawer to the safe, with a reason.
    pub fn cash_drop(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
    ) -> Result<DrawerOutcome, TillError> {
        self.cash_out(counter.get(), clerk, amount, reason, MoveKind::Drop)
    }

    fn cash_out(
        &mut self,
        counter: u32,
        clerk: &str,
        amount: Rupiah,
        reason: &str,
        kind: MoveKind,
    ) -> Result<DrawerOutcome, TillError> {
        self.check_counter(counter)?;
        let reason = reason_ok(reason)?;
        if !amount.is_positive() {
            return Err(TillError::NotPositive);
        }
        self.store.write(|tx| {
            let session = cash_session(tx, counter)?;
            let in_drawer = expected_cash(tx, session)?;
            if amount > in_drawer {
                return Err(TillError::NotEnoughCash {
                    asked: amount,
                    in_drawer,
                });
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
        counter: CounterNo,
        clerk: &str,
        approval: i64,
    ) -> Result<DrawerOutcome, TillError> {
        self.check_counter(counter.get())?;
        self.store.write(|tx| {
            let ok = users::consume_approval(tx, approval, actions::NO_SALE, &approval_subject_counter(counter))?;
            let session = optional_session(tx, counter.get())?;
            drawer_open(tx, counter.get(), session, clerk, "no_sale", None, Some(&ok.reason), Some(&ok))?;
            tx.journal(Entry::new(
                clerk,
                "drawer.no_sale",
                approval_subject_counter(counter),
                json!({"session": session, "approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "open_drawer": true}),
            ))?;
            Ok(DrawerOutcome {
                session,
                counter: counter.get(),
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
        counter: CounterNo,
        clerk: &str,
        counted: &CashCount,
    ) -> Result<CloseOutcome, TillError> {
        self.check_counter(counter.get())?;
        let counted_total = counted.total()?;
        let counted_json =
            serde_json::to_string(counted).map_err(|e| TillError::Encode(e.to_string()))?;
        let tolerance = self.config.till.variance_tolerance;
        let tz = self.tz();
        let config = &self.config;
        let out: Result<CloseOutcome, TillError> = self.store.write(|tx| {
            let s = current_session(tx, counter.get())?.ok_or(TillError::NoSession(counter.get()))?;
            if s.state != "open" {
                return Err(TillError::SessionCounting(counter.get()));
            }
            expire_qris_codes(tx)?;
            let expected = expected_cash(tx, s.id)?;
            let variance = counted_total.checked_sub(expected).map_err(TillError::from)?;
            tx.execute(
                "UPDATE till_sessions SET state = 'counted', counted = ?2, counted_total = ?3, counted_ms = ?4,
                 counted_by = ?5, expected_total = ?6, variance = ?7 WHERE id = ?1",
                params![s.id, counted_json, counted_total, tx.now_ms(), clerk, expected, variance],
            )?;
            drawer_open(tx, counter.get(), Some(s.id), clerk, "close", None, None, None)?;
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
                counter: counter.get(),
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
        out.unfinished = self.parts().unfinished().lines_at(counter)?;
        Ok(out)
    }

    /// Finishes a close whose variance was over the tolerance, with a supervisor's approval for
    /// `till.close` on `till/<session>` (its reason is the recorded explanation).
    pub fn finish_close(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        approval: Option<i64>,
    ) -> Result<CloseOutcome, TillError> {
        self.check_counter(counter.get())?;
        let tolerance = self.config.till.variance_tolerance;
        let tz = self.tz();
        let config = &self.config;
        let out: Result<CloseOutcome, TillError> = self.store.write(|tx| {
            let s =
                current_session(tx, counter.get())?.ok_or(TillError::NoSession(counter.get()))?;
            if s.state != "counted" {
                return Err(TillError::NotCounted(counter.get()));
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
                    });
                }
                None => None,
            };
            let z = close_session(tx, config, tz, s.id, clerk, ok.as_ref())?;
            Ok(CloseOutcome {
                session: s.id,
                counter: counter.get(),
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
        out.unfinished = self.parts().unfinished().lines_at(counter)?;
        Ok(out)
    }
}

/// Closes a counted session: numbers and freezes its Z report in the same transaction.
fn close_session(
    tx: &mut Tx<'_>,
    config: &Config,
    tz: TimeZone,
    session: i64,
    clerk: &str,
    approval: Option<&users::Approval>,
) -> Result<TillReport, TillError> {
    let now = tx.now_ms();
    let number: i64 = tx.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM z_reports",
        (),
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
