//! The short daily summary for the thermal printer: the report model's headline figures
//! (`model::Summary`) written into the receipts crate's `daily_summary` layout.

use super::ReportError;
use super::model::{self, Cell, Piece, Report};
use super::pack::Pack;
use super::text::{pieces, written};
use crate::config::Config;
use crate::day::TimeZone;
use loket_receipts::{Amount, DailySummary, Document, Profile, ServiceCount};

fn n(v: u64) -> u32 {
    v.try_into().unwrap_or(u32::MAX)
}

/// The slip's data from the pack's report model.
pub fn summary(p: &Pack, config: &Config, supervisor: &str, tz: TimeZone) -> DailySummary {
    write(&model::build(p), config, supervisor, tz)
}

/// The slip's data from a report: each cell written as people read it.
pub fn write(r: &Report, config: &Config, supervisor: &str, tz: TimeZone) -> DailySummary {
    let cell = |c: &Cell| written(c, r.range, tz, "—");
    let line = |ps: &[Piece]| pieces(ps, r.range, tz, "—");
    let s = &r.summary;
    DailySummary {
        branch: loket_receipts::Branch {
            name: config.branch.name.clone(),
            address: config.branch.address.clone(),
            logo: None,
        },
        business_day: r.period.clone(),
        printed_at: cell(&s.made),
        supervisor: supervisor.to_string(),
        tickets_issued: n(s.issued),
        tickets_served: n(s.served),
        no_shows: n(s.no_shows),
        average_wait: cell(&s.mean_wait),
        longest_wait: cell(&s.longest_wait),
        within_target: cell(&s.within_target),
        per_service: s
            .services
            .iter()
            .map(|x| ServiceCount {
                service: cell(&x.name),
                issued: n(x.issued),
                served: n(x.served),
            })
            .collect(),
        takings: s
            .takings
            .iter()
            .map(|(label, amount)| Amount {
                label: cell(label),
                amount: cell(amount),
            })
            .collect(),
        takings_total: cell(&s.takings_total),
        stamps_sold: n(s.stamps_sold),
        stamps_used: n(s.stamps_used),
        stamps_failed: n(s.stamps_failed),
        stamps_waiting: n(s.stamps_waiting),
        to_drive: n(s.to_drive),
        to_email: n(s.to_email),
        email_pending: n(s.email_pending),
        z_reports: s
            .z_reports
            .iter()
            .map(|(label, amount)| Amount {
                label: line(label),
                amount: cell(amount),
            })
            .collect(),
        journal: line(&s.journal),
        journal_head: s.journal_head.as_ref().map(cell),
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
