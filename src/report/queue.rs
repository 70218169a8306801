//! The queue part of the daily pack: tickets by outcome, waits and service times per service against
//! the service level, and per counter and clerk: served, service time, idle and break time, and calls
//! out of order.

use super::stats::{Summary, summarise};
use crate::config::Config;
use crate::day::BusinessDay;
use crate::store::sql::{Connection, params};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueReport {
    pub day: String,
    pub totals: Outcomes,
    pub services: Vec<ServiceReport>,
    pub counters: Vec<CounterReport>,
    pub clerks: Vec<ClerkReport>,
    /// Customers waiting at the start of each hour with anyone waiting (local hour → count).
    pub waiting_by_hour: Vec<(u8, u64)>,
}

/// Tickets of a day by what happened to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub issued: u64,
    pub priority: u64,
    pub walk_in: u64,
    pub served: u64,
    pub no_show: u64,
    /// Set aside at least once.
    pub parked: u64,
    pub transferred: u64,
    pub expired: u64,
    pub still_open: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceReport {
    pub prefix: String,
    pub name: String,
    pub outcomes: Outcomes,
    /// Arrival to first call.
    pub wait: Summary,
    /// Start to end of service.
    pub service: Summary,
    pub sla_minutes: u32,
    /// Called tickets that waited longer than the service level.
    pub over_sla: u64,
    /// Share of called tickets over the service level, in tenths of a percent (125 = 12.5 %).
    pub over_sla_permille: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounterReport {
    pub counter: u32,
    pub served: u64,
    pub service: Summary,
    pub open_ms: i64,
    /// Open with nobody called or served.
    pub idle_ms: i64,
    pub break_ms: i64,
    pub out_of_order_calls: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClerkReport {
    pub clerk: String,
    pub served: u64,
    pub no_shows: u64,
    pub service: Summary,
    pub out_of_order_calls: u64,
}

struct Row {
    service: String,
    status: String,
    priority: bool,
    walk_in: bool,
    arrived: i64,
    first_called: Option<i64>,
    serve: Option<i64>,
    done: Option<i64>,
    counter: Option<u32>,
    clerk: Option<String>,
    day: String,
}

/// The queue figures of `day`; `now_ms` ends the intervals of counters still open today.
pub fn daily(
    c: &Connection,
    config: &Config,
    day: BusinessDay,
    now_ms: i64,
) -> crate::store::sql::Result<QueueReport> {
    range(c, config, day, day, now_ms)
}

/// The queue figures of the days `from` to `to` inclusive, computed over all their tickets at once:
/// percentiles are of every ticket, not averages of daily figures. `waiting_by_hour` sums the
/// customers waiting at each hour over the days.
pub fn range(
    c: &Connection,
    config: &Config,
    from: BusinessDay,
    to: BusinessDay,
    now_ms: i64,
) -> crate::store::sql::Result<QueueReport> {
    let tz = config.branch.timezone;
    let day_start = crate::store::to_ms(from.start(tz));
    let day_end = crate::store::to_ms(to.start(tz)) + 86_400_000;
    let d = from.to_string();
    let d_to = to.to_string();
    let mut stmt = c.prepare_cached(
        "SELECT service, status, priority, walk_in, arrived_ms, first_called_ms, serve_ms, done_ms, counter, clerk
         , business_day FROM tickets WHERE business_day BETWEEN ?1 AND ?2",
    )?;
    let rows: Vec<Row> = stmt
        .query_map([&d, &d_to], |r| {
            Ok(Row {
                service: r.get(0)?,
                status: r.get(1)?,
                priority: r.get::<_, i64>(2)? != 0,
                walk_in: r.get::<_, i64>(3)? != 0,
                arrived: r.get(4)?,
                first_called: r.get(5)?,
                serve: r.get(6)?,
                done: r.get(7)?,
                counter: r.get(8)?,
                clerk: r.get(9)?,
                day: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    // Parks and transfers are events: a ticket counts once however often it happened.
    let flagged =
        |kind: &str| -> crate::store::sql::Result<std::collections::HashSet<(String, i64)>> {
            let mut s = c.prepare_cached(
            "SELECT DISTINCT t.service, t.id FROM ticket_events e JOIN tickets t ON t.id = e.ticket
             WHERE t.business_day BETWEEN ?1 AND ?3 AND e.kind = ?2",
        )?;
            s.query_map(params![d, kind, d_to], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        };
    // Calls of a ticket the clerk picked, by counter and by clerk.
    let mut picked_stmt = c.prepare_cached(
        "SELECT e.counter, COALESCE(e.clerk, ''), e.detail FROM ticket_events e JOIN tickets t ON t.id = e.ticket
         WHERE t.business_day BETWEEN ?1 AND ?2 AND e.kind = 'call'",
    )?;
    let calls: Vec<(Option<u32>, String, Option<String>)> = picked_stmt
        .query_map([&d, &d_to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    // A call's detail says `"specific": true` when the clerk picked the ticket.
    let picked: Vec<(Option<u32>, String)> = calls
        .into_iter()
        .filter(|(_, _, detail)| {
            detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d.get("specific").cloned())
                .is_some_and(|v| v == serde_json::json!(true) || v == serde_json::json!(1))
        })
        .map(|(counter, clerk, _)| (counter, clerk))
        .collect();
    let parked_by_service = count_by_first(flagged("park")?);
    let transferred_by_service = count_by_first(flagged("transfer")?);

    let outcomes_of = |rows: &[&Row], service: Option<&str>| {
        let key = service.unwrap_or("");
        let mut o = Outcomes::default();
        for r in rows {
            o.issued += 1;
            o.priority += u64::from(r.priority);
            o.walk_in += u64::from(r.walk_in);
            match r.status.as_str() {
                "done" => o.served += 1,
                "noshow" => o.no_show += 1,
                "expired" => o.expired += 1,
                _ => o.still_open += 1,
            }
        }
        if service.is_some() {
            o.parked = parked_by_service.get(key).copied().unwrap_or(0);
            o.transferred = transferred_by_service.get(key).copied().unwrap_or(0);
        } else {
            o.parked = parked_by_service.values().sum();
            o.transferred = transferred_by_service.values().sum();
        }
        o
    };
    let all: Vec<&Row> = rows.iter().collect();
    let totals = outcomes_of(&all, None);

    let services = config
        .services
        .iter()
        .map(|svc| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.service == svc.prefix()).collect();
            let mut waits: Vec<i64> = mine
                .iter()
                .filter_map(|r| r.first_called.map(|c| c - r.arrived))
                .collect();
            let mut services: Vec<i64> = mine
                .iter()
                .filter(|r| r.status == "done")
                .filter_map(|r| Some(r.done? - r.serve?))
                .collect();
            let sla_ms = i64::from(svc.sla_minutes) * 60_000;
            let over = waits.iter().filter(|&&w| w > sla_ms).count() as u64;
            let called = waits.len() as u64;
            ServiceReport {
                prefix: svc.prefix().to_string(),
                name: svc.name.clone(),
                outcomes: outcomes_of(&mine, Some(svc.prefix())),
                wait: summarise(&mut waits),
                service: summarise(&mut services),
                sla_minutes: svc.sla_minutes,
                over_sla: over,
                over_sla_permille: (over * 1000).checked_div(called).unwrap_or(0),
            }
        })
        .collect();

    // Counter time: open and break intervals from the counter's state changes, clipped to the day.
    let mut ev = c.prepare_cached(
        "SELECT counter, at_ms, state FROM counter_events WHERE at_ms < ?2 ORDER BY counter, at_ms, id",
    )?;
    let mut intervals: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    let mut last: BTreeMap<u32, (i64, String)> = BTreeMap::new();
    let events: Vec<(u32, i64, String)> = ev
        .query_map(params![day_start, day_end], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let close = |counter: u32,
                 from: i64,
                 to: i64,
                 state: &str,
                 intervals: &mut BTreeMap<u32, (i64, i64)>| {
        let (a, b) = (from.max(day_start), to.min(day_end));
        if b > a {
            let slot = intervals.entry(counter).or_default();
            match state {
                "open" => slot.0 += b - a,
                "break" => slot.1 += b - a,
                _ => {}
            }
        }
    };
    for (counter, at, state) in events {
        if let Some((from, prev)) = last.insert(counter, (at, state)) {
            close(counter, from, at, &prev, &mut intervals);
        }
    }
    for (counter, (from, state)) in &last {
        // A counter still open at the end of the day (or now, for today) counts until then.
        close(
            *counter,
            *from,
            day_end.min(now_ms.max(*from)),
            state,
            &mut intervals,
        );
    }

    let counters = config
        .counters
        .iter()
        .map(|k| {
            let n = k.number();
            let mine: Vec<&Row> = rows.iter().filter(|r| r.counter == Some(n)).collect();
            let mut times: Vec<i64> = mine
                .iter()
                .filter(|r| r.status == "done")
                .filter_map(|r| Some(r.done? - r.serve?))
                .collect();
            let busy: i64 = mine
                .iter()
                .filter_map(|r| Some(r.done? - r.first_called.or(r.serve)?))
                .sum();
            let (open_ms, break_ms) = intervals.get(&n).copied().unwrap_or((0, 0));
            CounterReport {
                counter: n,
                served: mine.iter().filter(|r| r.status == "done").count() as u64,
                service: summarise(&mut times),
                open_ms,
                idle_ms: (open_ms - busy).max(0),
                break_ms,
                out_of_order_calls: picked.iter().filter(|(k, _)| *k == Some(n)).count() as u64,
            }
        })
        .collect();

    let mut by_clerk: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        if let Some(clerk) = &r.clerk {
            by_clerk.entry(clerk.clone()).or_default().push(r);
        }
    }
    let clerks = by_clerk
        .into_iter()
        .map(|(clerk, mine)| {
            let mut times: Vec<i64> = mine
                .iter()
                .filter(|r| r.status == "done")
                .filter_map(|r| Some(r.done? - r.serve?))
                .collect();
            ClerkReport {
                served: mine.iter().filter(|r| r.status == "done").count() as u64,
                no_shows: mine.iter().filter(|r| r.status == "noshow").count() as u64,
                service: summarise(&mut times),
                out_of_order_calls: picked.iter().filter(|(_, c)| *c == clerk).count() as u64,
                clerk,
            }
        })
        .collect();

    // Each ticket counts at the hours of its own business day.
    let mut starts: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut by_hour = [0u64; 24];
    for r in &rows {
        let start = match starts.get(r.day.as_str()) {
            Some(&s) => s,
            None => {
                let s = BusinessDay::parse(&r.day)
                    .map(|d| crate::store::to_ms(d.start(tz)))
                    .unwrap_or(day_start);
                starts.insert(&r.day, s);
                s
            }
        };
        let left = r.first_called.or(r.done);
        for (hour, slot) in (0i64..).zip(by_hour.iter_mut()) {
            let at = start + hour * 3_600_000;
            // Hours that have not happened yet count nobody (a ticket still waiting is not
            // waiting at 17.00 when it is 10.00 now).
            if at <= now_ms && r.arrived <= at && left.is_none_or(|c| c > at) {
                *slot += 1;
            }
        }
    }
    let waiting_by_hour = (0..24u8).zip(by_hour).filter(|(_, n)| *n > 0).collect();

    Ok(QueueReport {
        day: if d == d_to { d } else { format!("{d}..{d_to}") },
        totals,
        services,
        counters,
        clerks,
        waiting_by_hour,
    })
}

fn count_by_first(set: std::collections::HashSet<(String, i64)>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (service, _) in set {
        *out.entry(service).or_default() += 1;
    }
    out
}
