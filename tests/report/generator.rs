//! A deterministic year of a busy branch (about 400 tickets, 300 sales and 250 stampings a day),
//! written straight into a real branch database once per test run, with the generator's own
//! records kept for an independent recount.
//!
//! Rows go in with direct SQL, one transaction per day through `Store::write`, so each day also
//! carries one journal entry (`dev.generate`, dated that day by the test clock): the journal chain
//! is genuine and `journal::verify` of any generated day checks that entry. The rows themselves are
//! not individually journalled, as the real services would do; the journal section is therefore
//! checked for intactness and entry count only.

use loket::branch::Branch;
use loket::clock::ManualClock;
use loket::day::BusinessDay;
use loket::journal::Entry;
use loket::params;
use loket::store::StoreError;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const SERVICES: [(&str, i64); 3] = [("A", 15), ("B", 15), ("C", 20)];
pub const COUNTERS: u32 = 4;
pub const TICKETS: usize = 400;
pub const SALES: usize = 300;
pub const STAMPINGS: usize = 250;
pub const DAYS: i64 = 365;
pub const FIRST: OffsetDateTime = datetime!(2025-01-01 08:00 +07:00);

#[derive(Debug, Clone)]
pub struct Ticket {
    pub service: usize,
    pub arrived: i64,
    pub called: i64,
    pub served: Option<(i64, i64)>,
    pub counter: u32,
}

#[derive(Debug, Clone)]
pub struct Sale {
    pub method: &'static str,
    pub stamps: i64,
    pub amount: i64,
    pub voided: bool,
    pub counter: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Day {
    pub day: String,
    pub tickets: Vec<Ticket>,
    pub sales: Vec<Sale>,
    pub stamped: u64,
    pub spoiled: u64,
    pub drive_copies: u64,
    pub mail: [u64; 3],
    pub incidents: Vec<i64>,
}

pub struct Year {
    pub dir: tempfile::TempDir,
    pub days: Vec<Day>,
}

impl Year {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A branch on the generated data, its clock on the evening of the last day.
    pub fn branch(&self) -> Branch {
        let clock = ManualClock::new(FIRST + Duration::days(DAYS) + Duration::hours(12));
        Branch::open_with_clock(self.path(), Arc::new(clock)).expect("open generated branch")
    }

    pub fn day(&self, d: &str) -> &Day {
        self.days
            .iter()
            .find(|x| x.day == d)
            .expect("generated day")
    }
}

static YEAR: OnceLock<Year> = OnceLock::new();

/// The year, generated on first use.
pub fn year() -> &'static Year {
    YEAR.get_or_init(generate)
}

fn generate() -> Year {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(loket::config::FILE_NAME),
        loket::config::DEFAULT_TOML,
    )
    .expect("config");
    let clock = ManualClock::new(FIRST);
    let mut branch =
        Branch::open_with_clock(dir.path(), Arc::new(clock.clone())).expect("open branch");
    loket::users::add(
        branch.store_mut(),
        "admin",
        "kepala",
        "Kepala Kantor",
        loket::users::Role::Supervisor,
        "9999",
    )
    .expect("supervisor");
    let mut rng = fastrand::Rng::with_seed(20_250_101);
    let mut days = Vec::new();
    let mut serial = 0u64;
    for n in 0..DAYS {
        let start = FIRST + Duration::days(n);
        clock.set(start);
        let day = BusinessDay::of(start, loket::day::TimeZone::Wib).to_string();
        let g = plan_day(&mut rng, &day, loket::store::to_ms(start));
        branch
            .store_mut()
            .write(|tx| -> Result<(), StoreError> {
                write_day(tx, &g, &mut serial, loket::store::to_ms(start))?;
                tx.journal(Entry::new(
                    "generator",
                    "dev.generate",
                    &day,
                    serde_json::json!({"tickets": g.tickets.len(), "sales": g.sales.len()}),
                ))?;
                Ok(())
            })
            .expect("write generated day");
        days.push(g);
    }
    Year { dir, days }
}

fn plan_day(rng: &mut fastrand::Rng, day: &str, open: i64) -> Day {
    let min = 60_000i64;
    let mut d = Day {
        day: day.to_string(),
        ..Day::default()
    };
    for _ in 0..TICKETS {
        let arrived = open + rng.i64(0..8 * 60 * min);
        let called = arrived + rng.i64(0..40 * min);
        let counter = rng.u32(1..=COUNTERS);
        let served = if rng.u32(0..100) < 93 {
            let serve = called + rng.i64(10_000..60_000);
            Some((serve, serve + rng.i64(2 * min..12 * min)))
        } else {
            None
        };
        d.tickets.push(Ticket {
            service: rng.usize(0..SERVICES.len()),
            arrived,
            called,
            served,
            counter,
        });
    }
    for _ in 0..SALES {
        let stamps = rng.i64(0..3);
        let fee = if stamps == 0 { 5_000 } else { 0 };
        d.sales.push(Sale {
            method: ["cash", "cash", "debit", "qris"][rng.usize(0..4)],
            stamps,
            amount: stamps * 10_000 + fee,
            voided: rng.u32(0..200) == 0,
            counter: rng.u32(1..=COUNTERS),
        });
    }
    d.spoiled = rng.u64(0..6);
    d.stamped = STAMPINGS as u64 - d.spoiled;
    d.drive_copies = rng.u64(5..25);
    d.mail = [rng.u64(10..30), rng.u64(0..3), rng.u64(0..3)];
    for _ in 0..rng.usize(0..3) {
        d.incidents.push(rng.i64(min..90 * min));
    }
    d
}

fn write_day(
    tx: &loket::store::Tx<'_>,
    g: &Day,
    serial: &mut u64,
    open: i64,
) -> Result<(), StoreError> {
    let min = 60_000i64;
    let mut number = [0i64; 3];
    {
        let mut t = tx.prepare_cached(
            "INSERT INTO tickets (business_day, issued_service, number, service, status, arrived_ms,
             queued_ms, counter, clerk, first_called_ms, called_ms, serve_ms, done_ms, calls)
             VALUES (?1, ?2, ?3, ?2, ?4, ?5, ?5, ?6, ?7, ?8, ?8, ?9, ?10, 1)",
        )?;
        for k in &g.tickets {
            number[k.service] += 1;
            let status = if k.served.is_some() { "done" } else { "noshow" };
            let (serve, done) = match k.served {
                Some((s, e)) => (Some(s), e),
                None => (None, k.called + 2 * min),
            };
            t.execute(params![
                g.day,
                SERVICES[k.service].0,
                number[k.service],
                status,
                k.arrived,
                k.counter,
                format!("petugas{}", k.counter),
                k.called,
                serve,
                done
            ])?;
        }
    }
    for c in 1..=COUNTERS {
        tx.prepare_cached(
            "INSERT INTO counter_events (counter, at_ms, state, clerk) VALUES (?1, ?2, 'open', ?3), (?1, ?4, 'closed', ?3)",
        )?
        .execute(params![c, open, format!("petugas{c}"), open + 9 * 60 * min])?;
    }
    // One drawer session per counter, closed with a small variance.
    let float_json = serde_json::to_string(&loket::till::CashCount::total_only(
        loket::money::Rupiah::new(500_000),
    ))
    .expect("cash count as json");
    let mut sessions = Vec::new();
    for c in 1..=COUNTERS {
        let id = tx.prepare_cached(
            "INSERT INTO till_sessions (counter, clerk, business_day, opened_ms, float_count, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open') RETURNING id",
        )?
        .query_row(params![c, format!("petugas{c}"), g.day, open, float_json], |r| r.get::<_, i64>(0))?;
        tx.prepare_cached(
            "INSERT INTO till_movements (session, counter, at_ms, kind, method, amount, actor)
             VALUES (?1, ?2, ?3, 'float', 'cash', 500000, 'generator')",
        )?
        .execute(params![id, c, open])?;
        sessions.push(id);
    }
    let mut cash = [500_000i64; COUNTERS as usize];
    for (i, s) in g.sales.iter().enumerate() {
        let at = open + i64::try_from(i).expect("a day's sales") * min;
        let session = sessions[(s.counter - 1) as usize];
        let status = if s.voided { "voided" } else { "paid" };
        let approval = if s.voided {
            tx.prepare_cached(
                "INSERT INTO approvals (at_ms, supervisor, requested_by, action, subject, reason, used_ms)
                 VALUES (?1, 'kepala', 'petugas', 'sale.void', 'x', 'salah input', ?1) RETURNING id",
            )?
            .query_row([at], |r| r.get::<_, i64>(0))
            .map(Some)?
        } else {
            None
        };
        let sale = tx.prepare_cached(
            "INSERT INTO sales (business_day, counter, clerk, session, status, created_ms, paid_ms, voided_ms,
             void_reason, void_approval) VALUES (?1, ?2, 'petugas', ?3, ?4, ?5, ?5, ?6, ?7, ?8) RETURNING id",
        )?
        .query_row(params![
                g.day,
                s.counter,
                session,
                status,
                at,
                s.voided.then_some(at + 1000),
                s.voided.then_some("salah input"),
                approval
            ], |r| r.get::<_, i64>(0))?;

        if s.stamps > 0 {
            tx.prepare_cached(
                "INSERT INTO sale_lines (sale, line_no, item, name, kind, quantity, unit_price)
                 VALUES (?1, 1, 'meterai', 'e-Meterai', 'item', ?2, 10000)",
            )?
            .execute(params![sale, s.stamps])?;
        } else {
            tx.prepare_cached(
                "INSERT INTO sale_lines (sale, line_no, item, name, kind, quantity, unit_price)
                 VALUES (?1, 1, 'fotokopi', 'Fotokopi', 'item', 1, 5000)",
            )?
            .execute([sale])?;
        }
        tx.prepare_cached(
            "INSERT INTO till_movements (session, counter, at_ms, kind, method, amount, sale, actor)
             VALUES (?1, ?2, ?3, 'sale', ?4, ?5, ?6, 'petugas')",
        )?
        .execute(params![session, s.counter, at, s.method, s.amount, sale])?;
        if s.voided {
            tx.prepare_cached(
                "INSERT INTO till_movements (session, counter, at_ms, kind, method, amount, sale, actor, approval)
                 VALUES (?1, ?2, ?3, 'void', ?4, ?5, ?6, 'petugas', ?7)",
            )?
            .execute(params![session, s.counter, at + 1000, s.method, -s.amount, sale, approval])?;
        }
        if s.method == "cash" && !s.voided {
            cash[(s.counter - 1) as usize] += s.amount;
        }
    }
    for (i, id) in sessions.iter().enumerate() {
        let expected = cash[i];
        let variance = if i == 0 { -2_000 } else { 0 };
        tx.prepare_cached(
            "UPDATE till_sessions SET state = 'closed', counted_total = ?2, counted_ms = ?3, counted_by = 'petugas',
             expected_total = ?4, variance = ?5, closed_ms = ?3, closed_by = 'petugas' WHERE id = ?1",
        )?
        .execute(params![id, expected + variance, open + 9 * 60 * min, expected, variance])?;
    }
    let lot = format!("LOT-{}", g.day);
    tx.prepare_cached(
        "INSERT INTO serial_lots (lot_id, count, price_paid, loaded_ms, loaded_by) VALUES (?1, ?2, 2500000, ?3, 'kepala')",
    )?
    .execute(params![lot, STAMPINGS, open])?;
    {
        let mut s = tx.prepare_cached(
            "INSERT INTO serials (sn, provider, lot_id, status, issued_ms, stamped_ms, spoiled_ms, reason)
             VALUES (?1, 'local', ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for i in 0..STAMPINGS as u64 {
            *serial += 1;
            let at = open + i64::try_from(i).expect("below STAMPINGS") * 100_000;
            let spoiled = i < g.spoiled;
            s.execute(params![
                format!("GEN{:019}", *serial),
                lot,
                if spoiled { "spoiled" } else { "stamped" },
                at,
                (!spoiled).then_some(at + 5_000),
                spoiled.then_some(at + 5_000),
                spoiled.then_some("gagal bubuh")
            ])?;
        }
    }
    for i in 0..g.drive_copies {
        tx.prepare_cached(
            "INSERT INTO drive_copies (at_ms, actor, source, sha256, bytes, target) VALUES (?1, 'petugas', 's', 'h', 1000, 't')",
        )?
        .execute([open + i64::try_from(i).expect("a day's copies") * min])?;
    }
    for (status, n) in ["sent", "failed", "queued"].iter().zip(g.mail) {
        for i in 0..n {
            tx.prepare_cached(
                "INSERT INTO outbox (message_id, created_ms, created_by, env_from, env_to, subject, documents,
                 message, bytes, status, next_attempt_ms) VALUES (?1, ?2, 'petugas', 'a@b', 'c@d', 's', '[]', x'00', 1, ?3, ?2)",
            )?
            .execute(params![format!("<{}-{status}-{i}@gen>", g.day), open + i64::try_from(i).expect("a day's mail") * min, status])?;
        }
    }
    for (i, len) in g.incidents.iter().enumerate() {
        let at = open + (i64::try_from(i).expect("a day's incidents") + 1) * 60 * min;
        tx.prepare_cached(
            "INSERT INTO device_incidents (device, kind, started_ms, ended_ms) VALUES ('printer-1', 'paper_out', ?1, ?2)",
        )?
        .execute(params![at, at + len])?;
    }
    Ok(())
}

/// Nearest-rank percentile, written here independently of the report's statistics.
pub fn percentile(values: &[i64], p: usize) -> i64 {
    let mut v = values.to_vec();
    v.sort();
    let rank = (p * v.len()).div_ceil(100);
    v[rank.max(1) - 1]
}
