//! The short daily summary for the thermal printer: the pack's headline figures in the receipts
//! crate's `daily_summary` layout.

use super::ReportError;
use super::pack::Pack;
use super::text::{duration, journal_line, rp};
use crate::config::Config;
use crate::day::TimeZone;
use loket_receipts::{Amount, DailySummary, Document, Profile, ServiceCount};

fn n(v: impl TryInto<u32>) -> u32 {
    v.try_into().unwrap_or(u32::MAX)
}

/// The slip's data from the pack.
pub fn summary(p: &Pack, config: &Config, supervisor: &str, tz: TimeZone) -> DailySummary {
    let q = &p.queue;
    let called: u64 = q.services.iter().map(|s| s.wait.count).sum();
    let weighted: i128 = q
        .services
        .iter()
        .map(|s| i128::from(s.wait.mean_ms) * i128::from(s.wait.count))
        .sum();
    let mean = i64::try_from(weighted.checked_div(i128::from(called)).unwrap_or(0)).unwrap_or(0);
    let longest = q.services.iter().map(|s| s.wait.max_ms).max().unwrap_or(0);
    let over: u64 = q.services.iter().map(|s| s.over_sla).sum();
    let within = ((called - over.min(called)) * 100)
        .checked_div(called)
        .unwrap_or(100);
    DailySummary {
        branch: loket_receipts::Branch {
            name: config.branch.name.clone(),
            address: config.branch.address.clone(),
            logo: None,
        },
        business_day: p.period(),
        printed_at: crate::when::When::ms(p.made_ms, tz).full(),
        supervisor: supervisor.to_string(),
        tickets_issued: n(q.totals.issued),
        tickets_served: n(q.totals.served),
        no_shows: n(q.totals.no_show),
        average_wait: duration(mean),
        longest_wait: duration(longest),
        within_target: format!("{within}%"),
        per_service: q
            .services
            .iter()
            .map(|s| ServiceCount {
                service: s.name.clone(),
                issued: n(s.outcomes.issued),
                served: n(s.outcomes.served),
            })
            .collect(),
        takings: p
            .till
            .tenders
            .iter()
            .map(|t| Amount {
                label: t.label.clone(),
                amount: rp(t.net),
            })
            .collect(),
        takings_total: rp(p.till.net_sales),
        stamps_sold: n(p.stamps.sold),
        stamps_used: n(p.stamps.used),
        stamps_failed: n(p.stamps.failed),
        stamps_waiting: n(p.stamps.waiting_jobs),
        to_drive: n(p.deliveries.drive_copies),
        to_email: n(p.deliveries.mail_sent),
        email_pending: n(p.deliveries.mail_waiting),
        z_reports: p
            .till
            .sessions
            .iter()
            .filter_map(|s| {
                s.z_number.map(|z| Amount {
                    label: format!("Z {z:04} Loket {}", s.counter),
                    amount: rp(s.counted.unwrap_or(s.expected)),
                })
            })
            .collect(),
        journal: p.journal.iter().find(|j| !j.report.intact()).map_or_else(
            || {
                let entries: u64 = p.journal.iter().map(|j| j.report.entries).sum();
                format!("utuh ({} entri)", super::text::thousands(entries))
            },
            |j| format!("{} {}", j.day, journal_line(&j.report)),
        ),
        journal_head: p.journal_head.as_ref().map(|h| h.short()),
    }
}

/// The printer profile of the first counter printer in the configuration (80 mm otherwise).
pub fn profile(config: &Config) -> Profile {
    let name = config
        .counters
        .iter()
        .filter_map(|c| c.printer.as_ref())
        .filter_map(|p| config.printers.get(p.get_ref()))
        .map(|p| p.profile.clone())
        .next()
        .unwrap_or_default();
    let name = if name == "80mm" {
        "80mm-48".into()
    } else {
        name
    };
    Profile::by_name(&name).unwrap_or_else(Profile::mm80_48)
}

/// The slip as a document, its on-screen preview and its ESC/POS bytes.
pub fn slip(
    p: &Pack,
    config: &Config,
    supervisor: &str,
    tz: TimeZone,
) -> Result<(String, Vec<u8>), ReportError> {
    let doc: Document = loket_receipts::daily_summary(&summary(p, config, supervisor, tz));
    let profile = profile(config);
    let preview =
        loket_receipts::preview(&doc, &profile).map_err(|e| ReportError::Receipt(e.to_string()))?;
    let bytes =
        loket_receipts::encode(&doc, &profile).map_err(|e| ReportError::Receipt(e.to_string()))?;
    Ok((preview, bytes))
}
