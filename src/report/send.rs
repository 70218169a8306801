//! The daily pack mailed by itself: once for each closed business day, to `[report] mail_to`,
//! through the outbox. The copy that leaves the branch carries the journal's anchored head, so a
//! day rewritten later contradicts a mail nobody at the branch can recall.

use super::ReportError;
use crate::day::BusinessDay;
use crate::journal::Entry;
use crate::store::StoreError;
use crate::store::sql::OptionalExtension;

/// How many closed days back a pack not yet mailed is still mailed (a PC switched off over a long
/// weekend sends them when it is on again).
pub const LOOKBACK_DAYS: usize = 7;

/// Who the worker's journal entries name.
const ACTOR: &str = "system";

/// One day's pack put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailed {
    pub day: BusinessDay,
    /// The journal head the pack carries (`#1234 9f86d081884c7d65`).
    pub head: String,
    /// One outbox message per address.
    pub outbox: Vec<i64>,
}

impl super::ReportService<'_> {
    /// Mails the pack of every closed day (up to [`LOOKBACK_DAYS`] back) that had work in it and
    /// has not been mailed yet, oldest first. Nothing without `[report] mail_to`.
    ///
    /// The outbox row is written before the day is marked mailed: a crash between the two sends
    /// the pack twice, never not at all.
    pub fn mail_due(&mut self) -> Result<Vec<Mailed>, ReportError> {
        let to: Vec<String> = self
            .config
            .report
            .mail_to
            .iter()
            .map(|a| a.get_ref().clone())
            .collect();
        if to.is_empty() {
            return Ok(Vec::new());
        }
        let mut days = Vec::with_capacity(LOOKBACK_DAYS);
        let mut day = self.today();
        for _ in 0..LOOKBACK_DAYS {
            day = day.previous();
            days.push(day);
        }
        days.reverse();
        let tz = self.config.branch.timezone;
        let mut out = Vec::new();
        for day in days {
            if !self.due(day)? {
                continue;
            }
            let p = self.daily_anchored(ACTOR, day)?;
            let dir = self.folder()?;
            let pdf = dir.join(format!("{}.pdf", p.file_stem()));
            super::write_file(&pdf, &super::pdf::render(&p, tz)?)?;
            let mut files = vec![pdf];
            files.extend(super::csv::write(
                &p,
                &dir.join(format!("{}-csv", p.file_stem())),
                tz,
            )?);
            let docs = super::named(&files);
            let mut outbox = Vec::with_capacity(to.len());
            for address in &to {
                outbox.push(self.parts().delivery().queue_mail(
                    address,
                    &docs,
                    &crate::delivery::Context::by(ACTOR),
                )?);
            }
            let head = p
                .journal_head
                .as_ref()
                .map(|h| h.short())
                .unwrap_or_default();
            self.store.write(|tx| {
                tx.journal(Entry::new(
                    ACTOR,
                    "report.mailed",
                    day.to_string(),
                    serde_json::json!({ "to": to, "outbox": outbox, "head": head }),
                ))?;
                tx.execute(
                    "INSERT INTO pack_mailings (day, made_ms, outbox) VALUES (?1, ?2, ?3)",
                    crate::params![
                        day.to_string(),
                        tx.now_ms(),
                        serde_json::json!(outbox).to_string()
                    ],
                )?;
                Ok::<_, StoreError>(())
            })?;
            out.push(Mailed { day, head, outbox });
        }
        Ok(out)
    }

    /// Whether `day`'s pack should be mailed: someone worked that day (the worker's own entries do
    /// not count) and it was not mailed yet.
    fn due(&mut self, day: BusinessDay) -> Result<bool, ReportError> {
        let key = day.to_string();
        Ok(self.store.read(|c| {
            let mailed = c
                .query_row("SELECT 1 FROM pack_mailings WHERE day = ?1", [&key], |_| {
                    Ok(())
                })
                .optional()?
                .is_some();
            if mailed {
                return Ok::<_, StoreError>(false);
            }
            let worked = c
                .query_row(
                    "SELECT 1 FROM journal WHERE business_day = ?1 AND actor <> ?2 LIMIT 1",
                    [&key, ACTOR],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            Ok(worked)
        })?)
    }
}
