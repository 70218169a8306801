//! The queue as pure logic: ticket states and transitions, the fairness policy that picks who is
//! called next, and the position and wait estimate of a ticket. No I/O here.

use serde::Serialize;
use std::collections::HashMap;

/// Milliseconds since the Unix epoch.
pub type Ms = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In line for its service.
    Waiting,
    /// Called to a counter; the customer is on the way.
    Called,
    /// At the counter, being served.
    Serving,
    /// Set aside by the clerk, to be called back later.
    Parked,
    Done,
    /// Called but did not come.
    NoShow,
    /// Still open when its business day ended.
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Called => "called",
            Status::Serving => "serving",
            Status::Parked => "parked",
            Status::Done => "done",
            Status::NoShow => "noshow",
            Status::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "waiting" => Status::Waiting,
            "called" => Status::Called,
            "serving" => Status::Serving,
            "parked" => Status::Parked,
            "done" => Status::Done,
            "noshow" => Status::NoShow,
            "expired" => Status::Expired,
            _ => return None,
        })
    }

    /// Whether the ticket still needs something from a counter.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Waiting | Status::Called | Status::Serving | Status::Parked)
    }

    /// Indonesian word for the state, for screens and messages.
    pub fn label(self) -> &'static str {
        match self {
            Status::Waiting => "menunggu",
            Status::Called => "dipanggil",
            Status::Serving => "dilayani",
            Status::Parked => "ditunda",
            Status::Done => "selesai",
            Status::NoShow => "tidak hadir",
            Status::Expired => "kedaluwarsa",
        }
    }
}

/// A ticket as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: i64,
    /// Prefix of the service that issued the number; the number belongs to it for the whole day.
    pub issued_service: String,
    pub number: u32,
    /// Service whose line the ticket is in now (differs after a transfer).
    pub service: String,
    pub priority: bool,
    pub walk_in: bool,
    pub status: Status,
    /// When the customer arrived; kept across transfers so nobody loses their place.
    pub arrived: Ms,
    /// When the ticket entered its current line.
    pub queued: Ms,
    /// A transfer to one counter: only that counter may call it.
    pub target_counter: Option<u32>,
    /// The counter holding the ticket while called or served.
    pub counter: Option<u32>,
    pub clerk: Option<String>,
    pub first_called: Option<Ms>,
    pub called: Option<Ms>,
    pub serve_started: Option<Ms>,
    pub done: Option<Ms>,
    pub calls: u32,
    pub park_until: Option<Ms>,
    pub out_of_order: bool,
}

impl Ticket {
    /// The number as printed: `A-007`.
    pub fn label(&self) -> String {
        label(&self.issued_service, self.number)
    }
}

pub fn label(prefix: &str, number: u32) -> String {
    format!("{prefix}-{number:03}")
}

/// Splits `A-007` (or `a7`, `A007`) into prefix and number.
pub fn parse_label(text: &str) -> Option<(String, u32)> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (prefix, number) = text.split_at(split);
    let prefix = prefix.trim_end_matches('-').to_ascii_uppercase();
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some((prefix, number.parse().ok()?))
}

/// The queue rules that transitions need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub normal_calls_per_priority: u32,
    pub normal_max_wait_ms: Ms,
    pub noshow_min_wait_ms: Ms,
}

/// What a counter can do to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Call to `counter`; `specific` when the clerk picked this ticket rather than "next".
    Call { counter: u32, clerk: String, specific: bool },
    Recall { counter: u32 },
    Serve { counter: u32 },
    Done { counter: u32 },
    NoShow { counter: u32 },
    Park { counter: u32, until: Option<Ms> },
    /// Back into its line (a parked ticket, or a no-show reactivated by a supervisor).
    Requeue,
    Transfer { service: String, counter: Option<u32> },
    Expire,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("tiket {ticket} sedang {state}; tindakan ini tidak bisa dilakukan sekarang")]
    WrongState { ticket: String, state: &'static str },
    #[error("tiket {ticket} dipegang loket {holder}, bukan loket {counter}")]
    OtherCounter { ticket: String, holder: u32, counter: u32 },
    #[error("tiket {ticket} dialihkan khusus ke loket {target}")]
    Reserved { ticket: String, target: u32 },
    #[error("tiket {ticket} baru dipanggil {waited_s} detik lalu; tunggu {left_s} detik lagi sebelum menyatakannya tidak hadir")]
    NoShowTooSoon { ticket: String, waited_s: i64, left_s: i64 },
    #[error("tiket {ticket} sudah berada di layanan {service}")]
    SameService { ticket: String, service: String },
}

/// Applies `command` at `now`, returning the ticket's new state or why the step is refused.
pub fn apply(t: &Ticket, command: &Command, now: Ms, rules: &Rules) -> Result<Ticket, QueueError> {
    let wrong = || QueueError::WrongState {
        ticket: t.label(),
        state: t.status.label(),
    };
    let holder = |counter: u32| -> Result<(), QueueError> {
        match t.counter {
            Some(h) if h == counter => Ok(()),
            Some(h) => Err(QueueError::OtherCounter {
                ticket: t.label(),
                holder: h,
                counter,
            }),
            None => Err(wrong()),
        }
    };
    let mut next = t.clone();
    match command {
        Command::Call { counter, clerk, specific } => {
            let parked_due = t.status == Status::Parked;
            if !(t.status == Status::Waiting || parked_due) {
                return Err(wrong());
            }
            if let Some(target) = t.target_counter.filter(|target| target != counter) {
                return Err(QueueError::Reserved {
                    ticket: t.label(),
                    target,
                });
            }
            next.status = Status::Called;
            next.counter = Some(*counter);
            next.clerk = Some(clerk.clone());
            next.first_called = t.first_called.or(Some(now));
            next.called = Some(now);
            next.calls += 1;
            next.park_until = None;
            next.out_of_order = t.out_of_order || *specific;
        }
        Command::Recall { counter } => {
            holder(*counter)?;
            if t.status != Status::Called {
                return Err(wrong());
            }
            // After a recall only the last call counts for walk time.
            next.called = Some(now);
            next.calls += 1;
        }
        Command::Serve { counter } => {
            holder(*counter)?;
            if t.status != Status::Called {
                return Err(wrong());
            }
            next.status = Status::Serving;
            next.serve_started = Some(now);
        }
        Command::Done { counter } => {
            holder(*counter)?;
            if t.status != Status::Serving {
                return Err(wrong());
            }
            next.status = Status::Done;
            next.done = Some(now);
        }
        Command::NoShow { counter } => {
            holder(*counter)?;
            if t.status != Status::Called {
                return Err(wrong());
            }
            let waited = now - t.called.unwrap_or(now);
            if waited < rules.noshow_min_wait_ms {
                return Err(QueueError::NoShowTooSoon {
                    ticket: t.label(),
                    waited_s: waited / 1000,
                    left_s: (rules.noshow_min_wait_ms - waited + 999) / 1000,
                });
            }
            next.status = Status::NoShow;
            next.done = Some(now);
            next.counter = None;
        }
        Command::Park { counter, until } => {
            holder(*counter)?;
            if !matches!(t.status, Status::Called | Status::Serving) {
                return Err(wrong());
            }
            next.status = Status::Parked;
            next.counter = None;
            next.park_until = *until;
            next.serve_started = None;
        }
        Command::Requeue => {
            if !matches!(t.status, Status::Parked | Status::NoShow) {
                return Err(wrong());
            }
            next.status = Status::Waiting;
            next.counter = None;
            next.park_until = None;
            next.done = None;
        }
        Command::Transfer { service, counter } => {
            if !matches!(t.status, Status::Waiting | Status::Called | Status::Serving | Status::Parked) {
                return Err(wrong());
            }
            if *service == t.service && counter.is_none() {
                return Err(QueueError::SameService {
                    ticket: t.label(),
                    service: service.clone(),
                });
            }
            next.status = Status::Waiting;
            next.service = service.clone();
            next.target_counter = *counter;
            next.counter = None;
            next.queued = now;
            next.park_until = None;
            next.serve_started = None;
        }
        Command::Expire => {
            if !t.status.is_open() {
                return Err(wrong());
            }
            next.status = Status::Expired;
            next.counter = None;
            next.done = Some(now);
        }
    }
    Ok(next)
}

/// Why the policy picked a ticket; shown to supervisors and checked by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// A priority ticket whose turn came: the normal-call limit was reached.
    PriorityTurn,
    /// A normal ticket that waited past the maximum wait.
    Overdue,
    Priority,
    Normal,
}

/// Whether a ticket can be called by "next" at `now` (waiting, or parked with its time up).
pub fn in_line(t: &Ticket, now: Ms) -> bool {
    t.status == Status::Waiting
        || (t.status == Status::Parked && t.park_until.is_some_and(|u| u <= now))
}

/// The fairness policy. Among the tickets a counter may call (its services, not reserved for
/// another counter, in line):
///
/// 1. a priority ticket goes first in a service where `normal_calls_per_priority` normal calls have
///    been made since the last priority call — so while a priority ticket waits, at most that many
///    normal calls happen in a row;
/// 2. otherwise a normal ticket that has waited `normal_max_wait` or longer goes first;
/// 3. otherwise priority tickets go before normal ones;
/// 4. within each rule the earliest arrival goes first (ties by issue order).
///
/// `streaks` holds normal calls since the last priority call, per service.
pub fn choose_next<'a>(
    tickets: &'a [Ticket],
    counter: u32,
    serves: &[String],
    streaks: &HashMap<String, u32>,
    rules: &Rules,
    now: Ms,
) -> Option<(&'a Ticket, Pick)> {
    let eligible = tickets.iter().filter(|t| {
        in_line(t, now)
            && serves.iter().any(|s| *s == t.service)
            && t.target_counter.is_none_or(|c| c == counter)
    });
    let key = |t: &&Ticket| (t.arrived, t.id);
    let mut best: [Option<&Ticket>; 4] = [None; 4];
    for t in eligible {
        let slot = if t.priority {
            let streak = streaks.get(&t.service).copied().unwrap_or(0);
            if streak >= rules.normal_calls_per_priority { 0 } else { 2 }
        } else if now - t.arrived >= rules.normal_max_wait_ms {
            1
        } else {
            3
        };
        if best[slot].is_none_or(|b| key(&t) < key(&b)) {
            best[slot] = Some(t);
        }
        // A priority ticket whose turn came also counts as an ordinary priority candidate.
        if slot == 0 && best[2].is_none_or(|b| key(&t) < key(&b)) {
            best[2] = Some(t);
        }
    }
    let picks = [Pick::PriorityTurn, Pick::Overdue, Pick::Priority, Pick::Normal];
    best.iter()
        .zip(picks)
        .find_map(|(t, pick)| t.map(|t| (t, pick)))
}

/// The streak after calling `t` by policy or by number.
pub fn next_streak(streak: u32, t: &Ticket) -> u32 {
    if t.priority { 0 } else { streak.saturating_add(1) }
}

/// How many tickets of the same line would be called before `target` if nobody else arrived,
/// following the policy as one counter serving that service would.
pub fn position(tickets: &[Ticket], target: &Ticket, streak: u32, rules: &Rules, now: Ms) -> usize {
    let mut line: Vec<Ticket> = tickets
        .iter()
        .filter(|t| t.service == target.service && in_line(t, now) && t.target_counter == target.target_counter)
        .cloned()
        .collect();
    if !line.iter().any(|t| t.id == target.id) {
        return 0;
    }
    let serves = [target.service.clone()];
    let mut streaks = HashMap::from([(target.service.clone(), streak)]);
    let counter = target.target_counter.unwrap_or(0);
    let mut ahead = 0;
    while let Some((picked, _)) = choose_next(&line, counter, &serves, &streaks, rules, now) {
        if picked.id == target.id {
            break;
        }
        let (id, s) = (picked.id, next_streak(streaks[&target.service], picked));
        streaks.insert(target.service.clone(), s);
        line.retain(|t| t.id != id);
        ahead += 1;
    }
    ahead
}

/// An estimated wait as a range of whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitRange {
    pub low_min: u32,
    pub high_min: u32,
}

/// Estimates the wait of someone with `ahead` people before them, from recent service durations
/// (milliseconds) and the counters open for the service. With few recent services the configured
/// default is assumed, with a wider range.
pub fn estimate_wait(ahead: usize, recent_ms: &[Ms], open_counters: usize, default_ms: Ms) -> WaitRange {
    let counters = open_counters.max(1) as i64;
    let (low_each, high_each) = if recent_ms.len() >= 5 {
        let mut sorted = recent_ms.to_vec();
        sorted.sort_unstable();
        let at = |q: usize| sorted[(sorted.len() - 1) * q / 100];
        (at(25), at(75))
    } else {
        (default_ms / 2, default_ms * 3 / 2)
    };
    let ahead = ahead as i64;
    let minutes = |ms: i64| u32::try_from(ms / 60_000).unwrap_or(u32::MAX);
    let low = minutes(ahead * low_each / counters);
    let high = minutes(((ahead + 1) * high_each + counters - 1) / counters).max(low + 1);
    WaitRange {
        low_min: low,
        high_min: if ahead == 0 { minutes(high_each).max(1) } else { high },
    }
}
