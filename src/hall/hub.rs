//! The display server's view of the branch: one read-only connection and a [`ChangeWatch`] (the
//! server's change notices, or SQLite's `data_version` every 50 ms); on a commit it reads the new
//! calls and the hall's state once and wakes every page's stream. Pages never poll the database;
//! they wait on this hub.

use super::voice;
use crate::branch::Branch;
use crate::config::{Config, VoiceNumbers};
use crate::error::LoketError;
use crate::queue::TicketNo;
use crate::queue::domain;
use crate::store::ChangeWatch;
use crate::store::sql::params;
use crate::store::to_ms;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The hall state is read again at least this often, so the day's rollover shows without a commit.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// A read that failed is tried again after this long, change or not.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Calls kept for pages that reconnect and catch up.
const KEPT_CALLS: usize = 50;
/// A reconnecting page is sent the calls it missed from this far back at most…
const CATCH_UP_MS: i64 = 5 * 60_000;
/// …and no more than this many of them.
const CATCH_UP_CALLS: usize = 5;

/// One call or recall, as pushed to the hall page.
#[derive(Debug, Clone, Serialize)]
pub struct CallEvent {
    pub id: i64,
    pub kind: String,
    pub ticket: TicketNo,
    pub service: String,
    pub counter: u32,
    pub counter_name: String,
    pub at_ms: i64,
    /// The audio segments the page plays, in order.
    pub segments: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Recent {
    ticket: TicketNo,
    counter: u32,
    counter_name: String,
}

#[derive(Debug, Clone, Serialize)]
struct Waiting {
    prefix: String,
    name: String,
    waiting: usize,
}

#[derive(Debug, Clone, Serialize)]
struct VoiceSettings {
    on: bool,
    volume: u8,
    numbers: VoiceNumbers,
}

/// What the hall page shows.
#[derive(Debug, Clone, Serialize)]
struct HallState {
    branch: String,
    code: String,
    day: String,
    now_ms: i64,
    utc_offset_minutes: i32,
    timezone: &'static str,
    running_text: String,
    voice: VoiceSettings,
    newest: Option<Recent>,
    recent: Vec<Recent>,
    services: Vec<Waiting>,
    last_call_id: i64,
}

/// What a customer's phone shows for their ticket.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct PhoneView {
    ticket: TicketNo,
    service_name: String,
    status: domain::Status,
    ahead: usize,
    wait_low_min: u32,
    wait_high_min: u32,
    counter: Option<u32>,
    counter_name: Option<String>,
}

/// A call's event id and its JSON.
pub type CallJson = (i64, Arc<String>);

/// A change as a stream sees it: the version, the hall state, and the calls it has not sent yet.
pub type Change = (u64, Arc<String>, Vec<CallJson>);

/// A phone view cached at a version (`None`: no such ticket today).
type CachedTicket = (u64, Option<Arc<String>>);

/// A row of a call read from `ticket_events`.
struct CallRow {
    id: i64,
    kind: String,
    prefix: String,
    number: u32,
    service: String,
    counter: Option<u32>,
    at_ms: i64,
}

/// What every stream waits on.
#[derive(Debug)]
pub struct Shared {
    /// Bumped on every change; a stream sends when it differs from what it last sent.
    pub version: u64,
    /// The hall state as JSON.
    pub state: Arc<String>,
    /// The latest calls, oldest first, each with its JSON.
    /// With each call's time on the branch clock (ms), for the catch-up's age limit.
    pub calls: VecDeque<(i64, CallJson)>,
    pub last_call_id: i64,
}

/// The hub: shared state, the condition streams wait on, and the read-only branch.
#[derive(Debug)]
pub struct Hub {
    shared: Mutex<Shared>,
    changed: Condvar,
    reader: Mutex<Branch>,
    tickets: Mutex<HashMap<TicketNo, CachedTicket>>,
    pub config: Config,
    pub data_dir: std::path::PathBuf,
    pub secret: super::token::Secret,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicked stream thread cannot leave this state half-written (every update is one
    // assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    /// Reads the branch once through `reader` (read-only) and starts the watcher thread.
    pub fn start(reader: Branch, secret: super::token::Secret) -> Result<Arc<Hub>, LoketError> {
        // Watching before the first read: a commit between the two is not missed.
        let changes = reader.store().watch()?;
        let config = reader.config().clone();
        let data_dir = reader.data_dir().to_path_buf();
        let hub = Arc::new(Hub {
            shared: Mutex::new(Shared {
                version: 0,
                state: Arc::new(String::new()),
                calls: VecDeque::new(),
                last_call_id: 0,
            }),
            changed: Condvar::new(),
            reader: Mutex::new(reader),
            tickets: Mutex::new(HashMap::new()),
            config,
            data_dir,
            secret,
        });
        hub.refresh(true)?;
        let watcher = Arc::clone(&hub);
        std::thread::Builder::new()
            .name("hall-watch".into())
            .spawn(move || watcher.watch(changes))
            .map_err(|source| LoketError::Io {
                what: crate::error::IoWhat::HallWatcher,
                path: hub.data_dir.clone(),
                source,
            })?;
        Ok(hub)
    }

    fn watch(&self, mut changes: ChangeWatch) {
        let mut due = Instant::now() + REFRESH_EVERY;
        loop {
            let changed = changes.wait(due.saturating_duration_since(Instant::now()));
            if changed || Instant::now() >= due {
                due = match self.refresh(false) {
                    Ok(()) => Instant::now() + REFRESH_EVERY,
                    Err(e) => {
                        eprintln!("hall display: could not read the queue: {e}");
                        Instant::now() + RETRY_EVERY
                    }
                };
            }
        }
    }

    /// Reads new calls and the hall state, and wakes the streams.
    fn refresh(&self, first: bool) -> Result<(), LoketError> {
        let after = if first {
            None
        } else {
            Some(lock(&self.shared).last_call_id)
        };
        let (calls, state) = {
            let mut reader = lock(&self.reader);
            let calls = read_calls(&mut reader, &self.config, after)?;
            let status = reader.queue().queue_status()?;
            (calls, status)
        };
        let mut shared = lock(&self.shared);
        for call in calls {
            shared.last_call_id = shared.last_call_id.max(call.id);
            let json = serde_json::to_string(&call).unwrap_or_default();
            shared
                .calls
                .push_back((call.at_ms, (call.id, Arc::new(json))));
            if shared.calls.len() > KEPT_CALLS {
                shared.calls.pop_front();
            }
        }
        let recent: Vec<Recent> = state
            .recent_calls
            .iter()
            .map(|c| Recent {
                ticket: c.ticket.clone(),
                counter: c.counter,
                counter_name: voice::counter_name(&self.config, c.counter),
            })
            .collect();
        let tz = self.config.branch.timezone;
        let display = &self.config.display;
        let hall = HallState {
            branch: self.config.branch.name.clone(),
            code: self.config.branch.code.clone(),
            day: state.business_day.clone(),
            now_ms: state.now_ms,
            utc_offset_minutes: i32::from(tz.offset().whole_minutes()),
            timezone: tz.name(),
            running_text: display.running_text.clone(),
            voice: VoiceSettings {
                on: display.voice,
                volume: *display.voice_volume.get_ref(),
                numbers: display.voice_numbers,
            },
            newest: recent.first().cloned(),
            recent,
            services: state
                .services
                .iter()
                .map(|s| Waiting {
                    prefix: s.prefix.clone(),
                    name: s.name.clone(),
                    waiting: s.waiting,
                })
                .collect(),
            last_call_id: shared.last_call_id,
        };
        shared.state = Arc::new(serde_json::to_string(&hall).unwrap_or_default());
        shared.version += 1;
        drop(shared);
        self.changed.notify_all();
        Ok(())
    }

    /// The shared state now.
    pub fn snapshot(&self) -> (u64, Arc<String>, i64) {
        let s = lock(&self.shared);
        (s.version, Arc::clone(&s.state), s.last_call_id)
    }

    /// Waits until the version differs from `seen` or `timeout` passes; returns the version, the
    /// state, and the calls after `after_call` (oldest first).
    pub fn wait_change(&self, seen: u64, after_call: i64, timeout: Duration) -> Option<Change> {
        let guard = lock(&self.shared);
        let (guard, result) = self
            .changed
            .wait_timeout_while(guard, timeout, |s| s.version == seen)
            .unwrap_or_else(|e| e.into_inner());
        if result.timed_out() && guard.version == seen {
            return None;
        }
        Some((
            guard.version,
            Arc::clone(&guard.state),
            calls_after(&guard, after_call),
        ))
    }

    /// The calls a reconnecting page missed: after `after_call`, made within `CATCH_UP_MS` of
    /// now, at most `CATCH_UP_CALLS` (the newest), oldest first. A TV that was off overnight does
    /// not read out the whole morning.
    pub fn missed_calls(&self, after_call: i64) -> Vec<CallJson> {
        let since = self.now_ms() - CATCH_UP_MS;
        let shared = lock(&self.shared);
        let missed: Vec<CallJson> = shared
            .calls
            .iter()
            .filter(|(at, (id, _))| *id > after_call && *at >= since)
            .map(|(_, call)| call.clone())
            .collect();
        let skip = missed.len().saturating_sub(CATCH_UP_CALLS);
        missed.into_iter().skip(skip).collect()
    }

    /// The phone view of today's ticket `no` at the current version, as JSON; `None` when
    /// there is no such ticket today.
    pub fn ticket(&self, no: &TicketNo) -> Option<Arc<String>> {
        let version = lock(&self.shared).version;
        if let Some((v, view)) = lock(&self.tickets).get(no)
            && *v == version
        {
            return view.clone();
        }
        let view = {
            let mut reader = lock(&self.reader);
            reader.queue().ticket_info(no).ok()
        }
        .map(|v| {
            let phone = PhoneView {
                counter_name: v.counter.map(|n| voice::counter_name(&self.config, n)),
                ticket: v.ticket,
                service_name: v.service_name,
                status: v.status,
                ahead: v.ahead,
                wait_low_min: v.wait.low_min,
                wait_high_min: v.wait.high_min,
                counter: v.counter,
            };
            Arc::new(serde_json::to_string(&phone).unwrap_or_default())
        });
        let mut cache = lock(&self.tickets);
        if cache.len() > 20_000 {
            cache.clear();
        }
        cache.insert(no.clone(), (version, view.clone()));
        view
    }

    /// Today's business day and the branch code, as tokens are bound to them.
    pub fn token_scope(&self) -> (String, String) {
        let reader = lock(&self.reader);
        (
            self.config.branch.code.clone(),
            reader.store().today().to_string(),
        )
    }

    /// The branch clock now, in milliseconds.
    pub fn now_ms(&self) -> i64 {
        to_ms(lock(&self.reader).store().now())
    }
}

fn calls_after(shared: &Shared, after: i64) -> Vec<CallJson> {
    shared
        .calls
        .iter()
        .filter(|(_, (id, _))| *id > after)
        .map(|(_, call)| call.clone())
        .collect()
}

/// Today's calls and recalls after event `after` (with `None`: the latest few, for catching up
/// pages after a restart), oldest first.
fn read_calls(
    branch: &mut Branch,
    config: &Config,
    after: Option<i64>,
) -> Result<Vec<CallEvent>, LoketError> {
    let day = branch.store().today().to_string();
    let rows: Vec<CallRow> = branch.store_mut().read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT e.id, e.kind, t.issued_service, t.number, t.service, e.counter, e.at_ms
             FROM ticket_events e JOIN tickets t ON t.id = e.ticket
             WHERE t.business_day = ?1 AND e.kind IN ('call', 'recall') AND e.id > ?2
             ORDER BY e.id DESC LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![day, after.unwrap_or(0), KEPT_CALLS], |r| {
                Ok(CallRow {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    prefix: r.get(2)?,
                    number: r.get(3)?,
                    service: r.get(4)?,
                    counter: r.get(5)?,
                    at_ms: r.get(6)?,
                })
            })?
            .collect::<crate::store::sql::Result<Vec<_>>>()?;
        Ok::<_, LoketError>(rows)
    })?;
    Ok(rows
        .into_iter()
        .rev()
        .filter_map(|row| {
            let counter = row.counter?;
            Some(CallEvent {
                id: row.id,
                kind: row.kind,
                ticket: TicketNo::new(&row.prefix, row.number),
                service: row.service,
                counter,
                counter_name: voice::counter_name(config, counter),
                at_ms: row.at_ms,
                segments: voice::call_segments(config, &row.prefix, row.number, counter),
            })
        })
        .collect())
}
