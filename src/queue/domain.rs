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
        matches!(
            self,
            Status::Waiting | Status::Called | Status::Serving | Status::Parked
        )
    }

    /// The state in the process's language, for screens and messages.
    pub fn label(self) -> &'static str {
        crate::words::current().ticket_status(self)
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
    /// A ticket of `service` just issued, waiting in line since `arrived`.
    pub fn waiting(
        id: i64,
        service: &str,
        number: u32,
        priority: bool,
        walk_in: bool,
        arrived: Ms,
    ) -> Ticket {
        Ticket {
            id,
            issued_service: service.to_string(),
            number,
            service: service.to_string(),
            priority,
            walk_in,
            status: Status::Waiting,
            arrived,
            queued: arrived,
            target_counter: None,
            counter: None,
            clerk: None,
            first_called: None,
            called: None,
            serve_started: None,
            done: None,
            calls: 0,
            park_until: None,
            out_of_order: false,
        }
    }

    /// The ticket's number, as issued: the service prefix it was issued for and its number.
    pub fn no(&self) -> TicketNo {
        TicketNo::new(&self.issued_service, self.number)
    }

    /// The number as printed: `A-007`.
    pub fn label(&self) -> String {
        self.no().to_string()
    }
}

/// A counter's number as the branch configuration gives it (`[[counter]] number`), `loket 2` on
/// screens and slips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterNo(pub u32);

crate::store::typed::integer_id!(CounterNo, u32);

/// A ticket's number: the prefix of the service that issued it and its number that day. Written
/// `A-007` everywhere (printed, on screens, in the journal and in the database); this is the one
/// place that writes and reads that form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketNo {
    pub service: String,
    pub number: u32,
}

impl TicketNo {
    pub fn new(service: &str, number: u32) -> TicketNo {
        TicketNo {
            service: service.to_string(),
            number,
        }
    }
}

impl std::fmt::Display for TicketNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad` so that `{:<8}` lines tickets up in lists.
        f.pad(&format!("{}-{:03}", self.service, self.number))
    }
}

/// Text that is not a ticket number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct NotTicketNo(pub String);

impl std::str::FromStr for TicketNo {
    type Err = NotTicketNo;

    /// Reads `A-007` loosely, as people type it: `a7`, `A007`, ` BC012 `.
    fn from_str(text: &str) -> Result<TicketNo, NotTicketNo> {
        let bad = || NotTicketNo(text.to_string());
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let (prefix, number) = trimmed.split_at(split);
        let service = prefix.trim_end_matches('-').to_ascii_uppercase();
        if service.is_empty() || !service.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(bad());
        }
        Ok(TicketNo {
            service,
            number: number.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for TicketNo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl crate::store::sql::ToSql for TicketNo {
    fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

impl crate::store::sql::FromSql for TicketNo {
    fn column_result(
        value: crate::store::sql::ValueRef<'_>,
    ) -> crate::store::sql::FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e| crate::store::sql::FromSqlError::Other(Box::new(e)))
    }
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
    Call {
        counter: u32,
        clerk: String,
        specific: bool,
    },
    Recall {
        counter: u32,
    },
    Serve {
        counter: u32,
    },
    Done {
        counter: u32,
    },
    NoShow {
        counter: u32,
    },
    Park {
        counter: u32,
        until: Option<Ms>,
    },
    /// Back into its line (a parked ticket, or a no-show reactivated by a supervisor).
    Requeue,
    Transfer {
        service: String,
        counter: Option<u32>,
    },
    Expire,
}

/// What a ticket was to do when its visit's paid document stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAct {
    Finish,
    Transfer,
}

/// Where the paid document of an open visit stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenDocument {
    /// Stamped, not handed over.
    Stamped { sn: String },
    /// Waiting for a supervisor's decision.
    Held,
    /// Paid, not stamped yet.
    Paid,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    Store(#[from] crate::store::StoreError),
    User(#[from] crate::users::UserError),
    WrongState {
        ticket: String,
        state: &'static str,
    },
    OtherCounter {
        ticket: String,
        holder: u32,
        counter: u32,
    },
    Reserved {
        ticket: String,
        target: u32,
    },
    NoShowTooSoon {
        ticket: String,
        waited_s: i64,
        left_s: i64,
    },
    SameService {
        ticket: String,
        service: String,
    },
    UnknownService {
        service: String,
    },
    NoPriorityLine {
        service: String,
    },
    NumbersUsedUp {
        service: String,
        last: TicketNo,
    },
    UnknownTicket {
        ticket: String,
    },
    NotServedHere {
        ticket: String,
        service: String,
        counter: u32,
    },
    NotParked {
        ticket: String,
    },
    NotNoShow {
        ticket: String,
    },
    DocumentNotHandedOver {
        ticket: String,
        verb: TicketAct,
        what: OpenDocument,
        job: i64,
    },
    UnknownCounter {
        counter: u32,
    },
    CounterIdle {
        counter: u32,
    },
    NoTicketHeld {
        counter: u32,
    },
    NoVisitHeld {
        counter: u32,
    },
    CounterBusy {
        counter: u32,
        ticket: String,
    },
    CounterHolds {
        counter: u32,
        ticket: String,
        state: &'static str,
    },
    CounterOnBreak {
        counter: u32,
        reason: String,
    },
    CounterClosed {
        counter: u32,
    },
    BreakNeedsReason,
    TransferTargetDoesNotServe {
        counter: u32,
        service: String,
    },
    SameCounter {
        counter: u32,
    },
    MoveTargetDoesNotServe {
        counter: u32,
        service: String,
    },
    MoveTargetBusy {
        counter: u32,
        ticket: String,
    },
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
        Command::Call {
            counter,
            clerk,
            specific,
        } => {
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
            // The counter stays recorded: it spent that time calling (reports count it). Holding a
            // ticket is decided by its status, so the counter is free again.
            next.status = Status::NoShow;
            next.done = Some(now);
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
            if !matches!(
                t.status,
                Status::Waiting | Status::Called | Status::Serving | Status::Parked
            ) {
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
            && serves.contains(&t.service)
            && t.target_counter.is_none_or(|c| c == counter)
    });
    let key = |t: &&Ticket| (t.arrived, t.id);
    let mut best: [Option<&Ticket>; 4] = [None; 4];
    for t in eligible {
        let slot = if t.priority {
            let streak = streaks.get(&t.service).copied().unwrap_or(0);
            if streak >= rules.normal_calls_per_priority {
                0
            } else {
                2
            }
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
    let picks = [
        Pick::PriorityTurn,
        Pick::Overdue,
        Pick::Priority,
        Pick::Normal,
    ];
    best.iter()
        .zip(picks)
        .find_map(|(t, pick)| t.map(|t| (t, pick)))
}

/// The streak after calling `t` by policy or by number.
pub fn next_streak(streak: u32, t: &Ticket) -> u32 {
    if t.priority {
        0
    } else {
        streak.saturating_add(1)
    }
}

/// A ticket standing in one line, as much as its place depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InLine {
    pub id: i64,
    pub priority: bool,
    pub arrived: Ms,
}

/// How many tickets of one line would be called before ticket `target` if nobody else arrived,
/// following the policy as a counter serving that line would. With one line the policy merges two
/// arrival-ordered lists (priority and normal), so this runs in one pass.
pub fn position(line: &[InLine], target: i64, streak: u32, rules: &Rules, now: Ms) -> usize {
    if !line.iter().any(|t| t.id == target) {
        return 0;
    }
    let mut line = line.to_vec();
    line.sort_by_key(|t| (t.arrived, t.id));
    let (priority, normal): (Vec<InLine>, Vec<InLine>) = line.into_iter().partition(|t| t.priority);
    let (mut p, mut n, mut streak, mut ahead) = (0, 0, streak, 0);
    loop {
        let overdue = normal
            .get(n)
            .is_some_and(|t| now - t.arrived >= rules.normal_max_wait_ms);
        let take_priority =
            p < priority.len() && (streak >= rules.normal_calls_per_priority || !overdue);
        let next = if take_priority {
            p += 1;
            streak = 0;
            priority[p - 1]
        } else if n < normal.len() {
            n += 1;
            streak = streak.saturating_add(1);
            normal[n - 1]
        } else {
            return ahead;
        };
        if next.id == target {
            return ahead;
        }
        ahead += 1;
    }
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
pub fn estimate_wait(
    ahead: usize,
    recent_ms: &[Ms],
    open_counters: usize,
    default_ms: Ms,
) -> WaitRange {
    let counters = i64::try_from(open_counters.max(1)).unwrap_or(i64::MAX);
    let (low_each, high_each) = if recent_ms.len() >= 5 {
        let mut sorted = recent_ms.to_vec();
        sorted.sort_unstable();
        let at = |q: usize| sorted[(sorted.len() - 1) * q / 100];
        (at(25), at(75))
    } else {
        (default_ms / 2, default_ms * 3 / 2)
    };
    // Earliest: everyone ahead is quick. Latest: everyone ahead and the one being served now are slow.
    let ahead = i64::try_from(ahead).unwrap_or(i64::MAX);
    let low = ahead * low_each / counters / 60_000;
    let divisor = counters * 60_000;
    let high = ((ahead + 1) * high_each + divisor - 1) / divisor;
    let clamp = |m: i64| u32::try_from(m).unwrap_or(u32::MAX);
    WaitRange {
        low_min: clamp(low),
        high_min: clamp(high.max(low + 1)),
    }
}

impl From<crate::store::sql::Error> for QueueError {
    fn from(e: crate::store::sql::Error) -> Self {
        QueueError::Store(crate::store::StoreError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULES: Rules = Rules {
        normal_calls_per_priority: 2,
        normal_max_wait_ms: 45 * 60_000,
        noshow_min_wait_ms: 60_000,
    };

    fn ticket(id: i64, service: &str, priority: bool, arrived: Ms) -> Ticket {
        let number = u32::try_from(id).expect("test ids are small");
        Ticket::waiting(id, service, number, priority, false, arrived)
    }

    fn in_state(status: Status, counter: Option<u32>) -> Ticket {
        let mut t = ticket(1, "A", false, 0);
        t.status = status;
        t.counter = counter;
        if status != Status::Waiting {
            t.called = Some(1_000);
            t.first_called = Some(1_000);
        }
        t
    }

    fn call(counter: u32) -> Command {
        Command::Call {
            counter,
            clerk: "budi".into(),
            specific: false,
        }
    }

    /// Applies `cmd` to a ticket in `from` held by counter 1 (when held) at t = 100 s, and checks the
    /// resulting state, or that it is refused.
    fn check(from: Status, cmd: Command, expect: Result<Status, &str>) {
        let held = matches!(from, Status::Called | Status::Serving).then_some(1);
        let t = in_state(from, held);
        let got = apply(&t, &cmd, 100_000, &RULES);
        match (got, expect) {
            (Ok(next), Ok(status)) => assert_eq!(next.status, status, "{from:?} + {cmd:?}"),
            (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{from:?} + {cmd:?}: {e}"),
            (got, expect) => panic!("{from:?} + {cmd:?}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn transitions() {
        use Status::*;
        let park = Command::Park {
            counter: 1,
            until: None,
        };
        let transfer = Command::Transfer {
            service: "B".into(),
            counter: None,
        };
        let refused = Err("tidak bisa dilakukan");
        // Calling.
        check(Waiting, call(1), Ok(Called));
        check(Parked, call(1), Ok(Called));
        check(Called, call(2), refused);
        check(Serving, call(1), refused);
        check(Done, call(1), refused);
        check(NoShow, call(1), refused);
        check(Expired, call(1), refused);
        // Recall, serve, done.
        check(Called, Command::Recall { counter: 1 }, Ok(Called));
        check(Serving, Command::Recall { counter: 1 }, refused);
        check(
            Called,
            Command::Recall { counter: 2 },
            Err("dipegang loket 1"),
        );
        check(Waiting, Command::Recall { counter: 1 }, refused);
        check(Called, Command::Serve { counter: 1 }, Ok(Serving));
        check(Serving, Command::Serve { counter: 1 }, refused);
        check(Called, Command::Serve { counter: 3 }, Err("bukan loket 3"));
        check(Serving, Command::Done { counter: 1 }, Ok(Done));
        check(Called, Command::Done { counter: 1 }, refused);
        check(Done, Command::Done { counter: 1 }, refused);
        // No-show only after the minimum wait (called at 1 s, now 100 s: 99 s ≥ 60 s).
        check(Called, Command::NoShow { counter: 1 }, Ok(NoShow));
        check(Serving, Command::NoShow { counter: 1 }, refused);
        // Park and back.
        check(Called, park.clone(), Ok(Parked));
        check(Serving, park.clone(), Ok(Parked));
        check(Waiting, park, refused);
        check(Parked, Command::Requeue, Ok(Waiting));
        check(NoShow, Command::Requeue, Ok(Waiting));
        check(Waiting, Command::Requeue, refused);
        check(Done, Command::Requeue, refused);
        // Transfer.
        check(Waiting, transfer.clone(), Ok(Waiting));
        check(Called, transfer.clone(), Ok(Waiting));
        check(Serving, transfer.clone(), Ok(Waiting));
        check(Parked, transfer.clone(), Ok(Waiting));
        check(Done, transfer.clone(), refused);
        check(
            Waiting,
            Command::Transfer {
                service: "A".into(),
                counter: None,
            },
            Err("sudah berada"),
        );
        // Day end.
        for open in [Waiting, Called, Serving, Parked] {
            check(open, Command::Expire, Ok(Expired));
        }
        for closed in [Done, NoShow, Expired] {
            check(closed, Command::Expire, refused);
        }
    }

    #[test]
    fn noshow_needs_the_minimum_wait() {
        let t = in_state(Status::Called, Some(1));
        let err = apply(&t, &Command::NoShow { counter: 1 }, 31_000, &RULES).expect_err("too soon");
        assert_eq!(
            format!("{err:?}"),
            format!(
                "{:?}",
                QueueError::NoShowTooSoon {
                    ticket: "A-001".into(),
                    waited_s: 30,
                    left_s: 30
                }
            )
        );
        assert!(apply(&t, &Command::NoShow { counter: 1 }, 61_000, &RULES).is_ok());
    }

    #[test]
    fn transfer_keeps_the_arrival_and_reserves_for_a_counter() {
        let t = in_state(Status::Serving, Some(1));
        let moved = apply(
            &t,
            &Command::Transfer {
                service: "C".into(),
                counter: Some(3),
            },
            500_000,
            &RULES,
        )
        .expect("transfer");
        assert_eq!(
            (moved.arrived, moved.queued, moved.service.as_str()),
            (0, 500_000, "C")
        );
        assert_eq!(moved.target_counter, Some(3));
        let err = apply(&moved, &call(2), 600_000, &RULES).expect_err("reserved for counter 3");
        assert_eq!(
            format!("{err:?}"),
            format!(
                "{:?}",
                QueueError::Reserved {
                    ticket: "A-001".into(),
                    target: 3
                }
            )
        );
        assert!(apply(&moved, &call(3), 600_000, &RULES).is_ok());
    }

    #[test]
    fn ticket_numbers_parse_loosely() {
        let parse = |text: &str| text.parse::<TicketNo>().ok();
        assert_eq!(parse("A-007"), Some(TicketNo::new("A", 7)));
        assert_eq!(parse("a7"), Some(TicketNo::new("A", 7)));
        assert_eq!(parse(" BC012 "), Some(TicketNo::new("BC", 12)));
        assert_eq!(parse("007"), None);
        assert_eq!(parse("A-"), None);
        assert_eq!(TicketNo::new("A", 7).to_string(), "A-007");
        assert_eq!(TicketNo::new("A", 1234).to_string(), "A-1234");
        assert_eq!(format!("{:<7}|", TicketNo::new("A", 7)), "A-007  |");
    }

    #[test]
    fn policy_in_order() {
        let serves = vec!["A".to_string(), "B".to_string()];
        let minute = 60_000;
        let tickets = vec![
            ticket(1, "A", false, 0),
            ticket(2, "B", false, 5 * minute),
            ticket(3, "A", true, 10 * minute),
        ];
        let pick = |tickets: &[Ticket], streak: u32, now: Ms| {
            let streaks = HashMap::from([("A".to_string(), streak)]);
            choose_next(tickets, 1, &serves, &streaks, &RULES, now).map(|(t, p)| (t.id, p))
        };
        // Priority goes before the older normal tickets.
        assert_eq!(pick(&tickets, 0, 20 * minute), Some((3, Pick::Priority)));
        // Once a normal ticket waited 45 minutes, it goes first...
        assert_eq!(pick(&tickets, 0, 45 * minute), Some((1, Pick::Overdue)));
        // ...unless two normal calls already happened in a row while priority waited.
        assert_eq!(
            pick(&tickets, 2, 45 * minute),
            Some((3, Pick::PriorityTurn))
        );
        // Without priority, first come first served across the counter's services.
        assert_eq!(pick(&tickets[..2], 0, 20 * minute), Some((1, Pick::Normal)));
        // A service the counter does not serve is never picked.
        let only_c = vec![ticket(9, "C", true, 0)];
        assert_eq!(pick(&only_c, 0, minute), None);
    }

    #[test]
    fn wait_estimates_widen_without_history() {
        let five_min = 5 * 60_000;
        assert_eq!(
            estimate_wait(0, &[], 1, five_min),
            WaitRange {
                low_min: 0,
                high_min: 8
            }
        );
        assert_eq!(
            estimate_wait(4, &[], 2, five_min),
            WaitRange {
                low_min: 5,
                high_min: 19
            }
        );
        let steady = [4 * 60_000; 10];
        assert_eq!(
            estimate_wait(6, &steady, 3, five_min),
            WaitRange {
                low_min: 8,
                high_min: 10
            }
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Arrive { service: usize, priority: bool },
        Call { counter: u32 },
        Wait { minutes: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3usize, prop::bool::weighted(0.3)).prop_map(|(service, priority)| Op::Arrive { service, priority }),
            4 => (1..4u32).prop_map(|counter| Op::Call { counter }),
            1 => (1..30i64).prop_map(|minutes| Op::Wait { minutes }),
        ]
    }

    proptest! {
        /// While a priority ticket a counter could call is waiting in a service, that service never
        /// sees more than `normal_calls_per_priority` normal calls in a row; and an overdue normal
        /// ticket is never passed over by a priority ticket that had no turn.
        #[test]
        fn fairness_bounds_hold(ops in prop::collection::vec(op(), 1..200)) {
            let services = ["A", "B", "C"];
            let counters: HashMap<u32, Vec<String>> = HashMap::from([
                (1, vec!["A".into(), "B".into(), "C".into()]),
                (2, vec!["A".into(), "B".into()]),
                (3, vec!["C".into()]),
            ]);
            let mut now: Ms = 0;
            let mut line: Vec<Ticket> = Vec::new();
            let mut streaks: HashMap<String, u32> = HashMap::new();
            let mut run: HashMap<String, u32> = HashMap::new();
            let mut next_id = 1;
            for op in ops {
                match op {
                    Op::Arrive { service, priority } => {
                        line.push(ticket(next_id, services[service], priority, now));
                        next_id += 1;
                        now += 1_000;
                    }
                    Op::Wait { minutes } => now += minutes * 60_000,
                    Op::Call { counter } => {
                        let serves = &counters[&counter];
                        let Some((picked, pick)) = choose_next(&line, counter, serves, &streaks, &RULES, now) else {
                            prop_assert!(line.iter().all(|t| !serves.contains(&t.service)));
                            continue;
                        };
                        let picked = picked.clone();
                        let priority_waiting = line.iter().any(|t| t.priority && t.service == picked.service);
                        if !picked.priority {
                            let overdue_or_none = pick == Pick::Overdue || !priority_waiting;
                            prop_assert!(overdue_or_none || pick == Pick::Normal && !priority_waiting);
                            if priority_waiting {
                                let r = run.entry(picked.service.clone()).or_default();
                                *r += 1;
                                prop_assert!(*r <= RULES.normal_calls_per_priority,
                                    "{} normal calls in a row in {} while priority waited", r, picked.service);
                            }
                        } else {
                            run.insert(picked.service.clone(), 0);
                            let overdue_passed = line.iter().any(|t| !t.priority && serves.contains(&t.service)
                                && now - t.arrived >= RULES.normal_max_wait_ms);
                            prop_assert!(!overdue_passed || pick == Pick::PriorityTurn);
                        }
                        let s = next_streak(streaks.get(&picked.service).copied().unwrap_or(0), &picked);
                        streaks.insert(picked.service.clone(), s);
                        line.retain(|t| t.id != picked.id);
                        now += 1_000;
                    }
                }
            }
        }

        /// The position of every ticket is its index in the order one counter would call them.
        #[test]
        fn position_matches_the_call_order(ops in prop::collection::vec((prop::bool::weighted(0.3), 0..20i64), 1..25)) {
            let mut line = Vec::new();
            for (i, (priority, gap)) in ops.iter().enumerate() {
                let arrived = line.last().map_or(0, |t: &Ticket| t.arrived) + gap * 60_000;
                line.push(ticket(i64::try_from(i).expect("at most 25") + 1, "A", *priority, arrived));
            }
            let now = line.last().map_or(0, |t| t.arrived) + 60_000;
            let serves = vec!["A".to_string()];
            let mut order = Vec::new();
            let mut rest = line.clone();
            let mut streaks = HashMap::new();
            while let Some((t, _)) = choose_next(&rest, 1, &serves, &streaks, &RULES, now) {
                let t = t.clone();
                streaks.insert("A".to_string(), next_streak(streaks.get("A").copied().unwrap_or(0), &t));
                order.push(t.id);
                rest.retain(|x| x.id != t.id);
            }
            let light: Vec<InLine> = line.iter().map(|t| InLine { id: t.id, priority: t.priority, arrived: t.arrived }).collect();
            for t in &line {
                let expected = order.iter().position(|id| *id == t.id).expect("every ticket is called");
                prop_assert_eq!(position(&light, t.id, 0, &RULES, now), expected);
            }
        }
    }
}
