//! The queue engine persisted: each operation is one immediate transaction that reads the tickets it
//! needs, applies the pure rules of `domain`, writes the result and appends its journal entry.

use super::domain::{
    self, Command, Ms, OpenDocument, QueueError, Rules, Status, Ticket, TicketAct, TicketNo,
    WaitRange,
};
use crate::config::Config;
use crate::journal::Entry;
use crate::queue::CounterNo;
use crate::store::Tx;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::users;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

crate::branch::service!(
    /// The queue: tickets, calls, counters and the waiting line.
    QueueService,
    queue
);

/// The ticket each counter holds as this process last wrote it. On the branch server a counter's
/// next step (serve, done, …) then starts from it instead of reading it: one round trip instead
/// of two. The step's writes check that the ticket still stands so and that no paid job of the
/// visit appeared; when another PC moved it, the step runs again and reads it (see
/// [`crate::store::Store::write_late`]). Memory only, forgotten whenever a change fails.
#[derive(Debug, Default)]
pub struct HeldTickets(HashMap<u32, Ticket>);

impl HeldTickets {
    /// Remembers `t` as what `counter` holds, if it does hold it.
    fn remember(&mut self, counter: u32, t: &Ticket) {
        if matches!(t.status, Status::Called | Status::Serving) && t.counter == Some(counter) {
            self.0.insert(counter, t.clone());
        } else {
            self.0.remove(&counter);
        }
    }

    fn forget(&mut self, counter: u32) {
        self.0.remove(&counter);
    }

    /// What `counter` holds as this process last wrote it, once: a step that finds it moved
    /// reads afresh.
    fn take(&mut self, counter: u32) -> Option<Ticket> {
        self.0.remove(&counter)
    }
}

const TICKET_COLUMNS: &str = "id, issued_service, number, service, priority, walk_in, status, arrived_ms, \
    queued_ms, target_counter, counter, clerk, first_called_ms, called_ms, serve_ms, done_ms, calls, \
    park_until_ms, out_of_order";

fn row_to_ticket(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<Ticket> {
    let status: String = r.get(6)?;
    Ok(Ticket {
        id: r.get(0)?,
        issued_service: r.get(1)?,
        number: r.get(2)?,
        service: r.get(3)?,
        priority: r.get::<_, i64>(4)? != 0,
        walk_in: r.get::<_, i64>(5)? != 0,
        status: Status::parse(&status).ok_or_else(|| {
            crate::store::sql::Error::FromSqlConversionFailure(
                6,
                crate::store::sql::Type::Text,
                status.into(),
            )
        })?,
        arrived: r.get(7)?,
        queued: r.get(8)?,
        target_counter: r.get(9)?,
        counter: r.get(10)?,
        clerk: r.get(11)?,
        first_called: r.get(12)?,
        called: r.get(13)?,
        serve_started: r.get(14)?,
        done: r.get(15)?,
        calls: r.get(16)?,
        park_until: r.get(17)?,
        out_of_order: r.get::<_, i64>(18)? != 0,
    })
}

fn load_tickets(
    conn: &Connection,
    filter: &str,
    args: impl crate::store::sql::Params,
) -> crate::store::sql::Result<Vec<Ticket>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE {filter} ORDER BY arrived_ms, id"
    ))?;
    let rows = stmt.query_map(args, row_to_ticket)?;
    rows.collect()
}

/// Writes a ticket's state (held back on the branch server to travel with the next statement or
/// the commit: nothing reads its answer).
fn save_ticket(conn: &Connection, t: &Ticket) -> crate::store::sql::Result<()> {
    conn.execute_held(
        "UPDATE tickets SET service = ?2, status = ?3, queued_ms = ?4, target_counter = ?5, counter = ?6,
            clerk = ?7, first_called_ms = ?8, called_ms = ?9, serve_ms = ?10, done_ms = ?11, calls = ?12,
            park_until_ms = ?13, out_of_order = ?14
         WHERE id = ?1",
        params![
        t.id,
        t.service,
        t.status.as_str(),
        t.queued,
        t.target_counter,
        t.counter,
        t.clerk,
        t.first_called,
        t.called,
        t.serve_started,
        t.done,
        t.calls,
        t.park_until,
        i64::from(t.out_of_order),
    ])?;
    Ok(())
}

/// Writes `next`, the new state of `was`, only while the ticket still stands as `was` did when the
/// change read it (its state, line, counter and count of calls): a ticket another PC moved in
/// the meantime makes the change run again (see [`crate::store::Store::write_late`]).
fn save_ticket_over(
    conn: &Connection,
    was: &Ticket,
    next: &Ticket,
) -> crate::store::sql::Result<()> {
    conn.execute_guarded(
        "UPDATE tickets SET service = ?2, status = ?3, queued_ms = ?4, target_counter = ?5, counter = ?6,
            clerk = ?7, first_called_ms = ?8, called_ms = ?9, serve_ms = ?10, done_ms = ?11, calls = ?12,
            park_until_ms = ?13, out_of_order = ?14
         WHERE id = ?1 AND status = ?15 AND service = ?16 AND queued_ms = ?17 AND calls = ?18
           AND counter IS NOT DISTINCT FROM ?19",
        params![
            next.id,
            next.service,
            next.status.as_str(),
            next.queued,
            next.target_counter,
            next.counter,
            next.clerk,
            next.first_called,
            next.called,
            next.serve_started,
            next.done,
            next.calls,
            next.park_until,
            i64::from(next.out_of_order),
            was.status.as_str(),
            was.service,
            was.queued,
            was.calls,
            was.counter,
        ],
        1,
    )
}

fn event(
    tx: &Tx<'_>,
    t: &Ticket,
    kind: &str,
    counter: Option<u32>,
    clerk: Option<&str>,
    detail: serde_json::Value,
) -> crate::store::sql::Result<()> {
    // Held back on the branch server like the ticket's state: nothing reads its answer.
    tx.execute_held(
        "INSERT INTO ticket_events (ticket, at_ms, kind, counter, clerk, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![t.id, tx.now_ms(), kind, counter, clerk, detail.to_string()],
    )
}

fn rules(config: &Config) -> Rules {
    let q = &config.queue;
    Rules {
        normal_calls_per_priority: q.normal_calls_per_priority,
        normal_max_wait_ms: i64::from(q.normal_max_wait_minutes) * 60_000,
        noshow_min_wait_ms: i64::from(q.noshow_min_wait_seconds) * 1000,
    }
}

/// What a newly issued ticket tells the customer.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub ticket: TicketNo,
    pub service: String,
    pub service_name: String,
    pub priority: bool,
    pub status: Status,
    pub business_day: String,
    pub issued_at_ms: Ms,
    pub ahead: usize,
    pub wait: WaitRange,
    /// The counter that called it, while it is called or served.
    pub counter: Option<u32>,
}

/// A ticket called to a counter.
#[derive(Debug, Clone, Serialize)]
pub struct CallView {
    pub ticket: TicketNo,
    pub service: String,
    pub counter: u32,
    pub status: Status,
    pub priority: bool,
    pub pick: Option<domain::Pick>,
    pub waited_ms: Ms,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterState {
    Open,
    Break,
    Closed,
}

impl CounterState {
    pub fn as_str(self) -> &'static str {
        match self {
            CounterState::Open => "open",
            CounterState::Break => "break",
            CounterState::Closed => "closed",
        }
    }

    fn parse(text: &str) -> CounterState {
        match text {
            "break" => CounterState::Break,
            "closed" => CounterState::Closed,
            _ => CounterState::Open,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub prefix: String,
    pub name: String,
    pub waiting: usize,
    pub priority_waiting: usize,
    pub parked: usize,
    pub longest_wait_ms: Ms,
    pub sla_minutes: u32,
    pub last_issued: Option<TicketNo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CounterStatus {
    pub number: u32,
    pub state: CounterState,
    pub reason: Option<String>,
    pub clerk: Option<String>,
    pub ticket: Option<TicketNo>,
    pub ticket_status: Option<Status>,
    /// The service the held ticket is in now: after a transfer, not the one its number was
    /// issued for.
    pub ticket_service: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaitingTicket {
    pub ticket: TicketNo,
    pub service: String,
    pub priority: bool,
    pub waited_ms: Ms,
    pub status: Status,
    pub target_counter: Option<u32>,
}

/// The whole queue at one moment; `loket queue status --json` prints this.
#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub branch: String,
    pub business_day: String,
    pub now_ms: Ms,
    pub services: Vec<ServiceStatus>,
    pub counters: Vec<CounterStatus>,
    pub waiting: Vec<WaitingTicket>,
    pub recent_calls: Vec<CallView>,
}

impl QueueService<'_> {
    fn queue_rules(&self) -> Rules {
        rules(self.config)
    }

    /// Issues the next ticket of `service` (a prefix). Numbers are per service per business day,
    /// without gaps or duplicates across processes.
    pub fn issue_ticket(
        &mut self,
        service: &str,
        priority: bool,
        actor: &str,
    ) -> Result<TicketView, QueueError> {
        self.issue_ticket_then(service, priority, actor, |_, _| Ok(()))
            .map(|(view, ())| view)
    }

    /// Issues a ticket and runs `then` in the same transaction (e.g. to queue its print job), so
    /// both are committed together or not at all.
    pub fn issue_ticket_then<T, E>(
        &mut self,
        service: &str,
        priority: bool,
        actor: &str,
        mut then: impl FnMut(&mut Tx<'_>, &TicketView) -> Result<T, E>,
    ) -> Result<(TicketView, T), E>
    where
        E: From<QueueError> + From<crate::store::StoreError> + From<crate::store::sql::Error>,
    {
        let svc = self
            .config
            .service(service)
            .ok_or_else(|| QueueError::UnknownService {
                service: service.to_string(),
            })?
            .clone();
        if priority && !svc.priority {
            return Err(QueueError::NoPriorityLine {
                service: svc.name.clone(),
            }
            .into());
        }
        let rules = self.queue_rules();
        let config = &self.config;
        // On the branch server the service's last number and the slip's figures are read ahead of
        // the branch's lock, in one message with the `BEGIN`; the next number is drawn only while
        // the last is still the one read, and the draw, the ticket, its event and its journal entry
        // travel with the `COMMIT`. (The slip's figures may miss a ticket issued a moment before;
        // the place in line it prints is an estimate anyway.)
        self.store.write_late(|tx| {
            expire_earlier_days(tx)?;
            let day = tx.day().to_string();
            let now = tx.now_ms();
            let slip = slip_values(&day, svc.prefix(), now, None);
            let last = params![day, svc.prefix()];
            tx.queue_behind(ISSUES_OF_A_SERVICE, svc.prefix())?;
            let read = tx.query_before_lock(&[(LAST_NUMBER, &last), (SLIP_FIGURES, &slip)])?;
            let last: Option<u32> = read
                .first()
                .map(|rows| rows.map(|r| r.get(0)))
                .transpose()?
                .and_then(|numbers| numbers.into_iter().next());
            let ticket = draw_next(tx, &svc, priority, last)?;
            let mut figures = read_slip(read.get(1))?;
            figures.line.push(domain::InLine {
                id: ticket.id,
                priority,
                arrived: now,
            });
            let view = ticket_view_of(config, &rules, &ticket, &day, now, figures);
            tx.execute_held(
                "INSERT INTO ticket_events (ticket, at_ms, kind, detail)
                 VALUES ((SELECT id FROM tickets WHERE business_day = ?1 AND service = ?2
                            AND priority = ?3 AND arrived_ms = ?4 AND issued_service = ?2
                            AND number = ?5), ?4, 'issued', ?6)",
                params![
                    day,
                    svc.prefix(),
                    i64::from(priority),
                    now,
                    ticket.number,
                    json!({"priority": priority}).to_string()
                ],
            )?;
            tx.journal(Entry::new(
                actor,
                "ticket.issued",
                ticket.label(),
                json!({"service": svc.prefix(), "priority": priority}),
            ))?;
            let extra = then(tx, &view)?;
            Ok((view, extra))
        })
    }

    /// Calls the next customer to `counter` following the fairness policy; `None` when nobody waits.
    pub fn call_next(
        &mut self,
        counter: CounterNo,
        clerk: &str,
    ) -> Result<Option<CallView>, QueueError> {
        let serves = self.counter_services(counter.get())?;
        let rules = self.queue_rules();
        // On the branch server everything is read ahead of the branch's lock; the call is written
        // only while the ticket still waits as read, the service's streak is as read and the
        // counter still holds nothing and is open. (A ticket that joined another line meanwhile is
        // not weighed: the call counts as made before it.)
        let called = self.store.write_late(|tx| {
            expire_earlier_days(tx)?;
            let day = tx.day().to_string();
            let now = tx.now_ms();
            // The counter's own ticket, every line's head, the counter's state and the day's
            // streaks in two statements of one message.
            let (heads, heads_values) = held_and_line_heads(&day, &serves, counter.get(), now);
            let state_values = params![day, counter.get()];
            tx.queue_behind(CALLS, "")?;
            let read = tx.query_before_lock(&[
                (&heads, &heads_values),
                (COUNTER_STATE_AND_STREAKS, &state_values),
            ])?;
            let (held, line) = read_held_and_heads(read.first())?;
            let (state, streaks) = read_counter_state_and_streaks(read.get(1))?;
            open_counter(tx, counter.get(), clerk, held, state)?;
            let Some((picked, pick)) =
                domain::choose_next(&line, counter.get(), &serves, &streaks, &rules, now)
            else {
                tx.unchanged();
                return Ok(None);
            };
            tx.guard(COUNTER_FREE_AND_OPEN, params![counter.get()])?;
            let called = domain::apply(
                picked,
                &Command::Call {
                    counter: counter.get(),
                    clerk: clerk.to_string(),
                    specific: false,
                },
                now,
                &rules,
            )?;
            record_call(
                tx,
                &day,
                &streaks,
                (picked, &called),
                counter.get(),
                clerk,
                Some(pick),
            )?;
            Ok(Some((
                call_view(&called, counter.get(), Some(pick)),
                called,
            )))
        });
        self.held_after(counter.get(), called.as_ref().ok().and_then(|c| c.as_ref()));
        called.map(|c| c.map(|(view, _)| view))
    }

    /// Remembers what `counter` holds after a change, or forgets it (the change failed or left
    /// the counter free).
    fn held_after(&mut self, counter: u32, written: Option<&(CallView, Ticket)>) {
        match written {
            Some((_, t)) => self.held.remember(counter, t),
            None => self.held.forget(counter),
        }
    }

    /// Calls a specific ticket (the clerk picked it); recorded as an out-of-order call.
    pub fn call_ticket(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        no: &TicketNo,
    ) -> Result<CallView, QueueError> {
        let serves = self.counter_services(counter.get())?;
        let rules = self.queue_rules();
        let called = self.store.write(|tx| {
            expire_earlier_days(tx)?;
            ensure_counter_free(tx, counter.get(), clerk)?;
            let t = find_ticket(tx, no)?;
            if !serves.contains(&t.service) && t.target_counter != Some(counter.get()) {
                return Err(QueueError::NotServedHere {
                    ticket: t.label(),
                    service: t.service.clone(),
                    counter: counter.get(),
                });
            }
            let day = tx.day().to_string();
            let streaks = load_streaks(tx, &day)?;
            let called = domain::apply(
                &t,
                &Command::Call {
                    counter: counter.get(),
                    clerk: clerk.to_string(),
                    specific: true,
                },
                tx.now_ms(),
                &rules,
            )?;
            record_call(
                tx,
                &day,
                &streaks,
                (&t, &called),
                counter.get(),
                clerk,
                None,
            )?;
            Ok((call_view(&called, counter.get(), None), called))
        });
        self.held_after(counter.get(), called.as_ref().ok());
        called.map(|(view, _)| view)
    }

    /// A customer served without a ticket: a number is issued and the customer is at once being served.
    pub fn walk_in(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        service: &str,
    ) -> Result<CallView, QueueError> {
        self.counter_services(counter.get())?;
        let svc = self
            .config
            .service(service)
            .ok_or_else(|| QueueError::UnknownService {
                service: service.to_string(),
            })?
            .clone();
        let walked = self.store.write(|tx| {
            expire_earlier_days(tx)?;
            ensure_counter_free(tx, counter.get(), clerk)?;
            let mut t = insert_ticket(tx, &svc, false, true)?;
            let now = tx.now_ms();
            t.status = Status::Serving;
            t.counter = Some(counter.get());
            t.clerk = Some(clerk.to_string());
            t.first_called = Some(now);
            t.called = Some(now);
            t.serve_started = Some(now);
            t.calls = 1;
            save_ticket(tx, &t)?;
            event(
                tx,
                &t,
                "walk_in",
                Some(counter.get()),
                Some(clerk),
                json!({}),
            )?;
            tx.journal(Entry::new(
                clerk,
                "ticket.walk_in",
                t.label(),
                json!({"counter": counter, "service": svc.prefix()}),
            ))?;
            Ok((call_view(&t, counter.get(), None), t))
        });
        self.held_after(counter.get(), walked.as_ref().ok());
        walked.map(|(view, _)| view)
    }

    /// Applies a step to the ticket the counter holds (recall, serve, done, no-show, park).
    pub fn counter_step(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        step: Step,
    ) -> Result<CallView, QueueError> {
        self.counter_services(counter.get())?;
        let rules = self.queue_rules();
        // On the branch server the ticket is read ahead of the branch's lock; the step is written
        // only while the ticket stands as read, and a visit is finished only while no paid job
        // of it waits.
        let mut known = self.held.take(counter.get());
        let stepped = self.store.write_late(|tx| {
            let finishing = matches!(step, Step::Done | Step::NoShow);
            // On the server, the ticket this process last wrote for the counter, on the first run
            // only (the checks below catch one that moved, and the run after reads it).
            let (t, open_job) = match known.take().filter(|_| tx.is_late()) {
                Some(t) => (t, None),
                None => {
                    let (held, open_job) = held_ticket_and_open_job(tx, counter.get(), finishing)?;
                    let t = held.ok_or(QueueError::CounterIdle {
                        counter: counter.get(),
                    })?;
                    (t, open_job)
                }
            };
            let now = tx.now_ms();
            if let Some(job) = open_job {
                return Err(open_visit_refusal(&t, job, TicketAct::Finish));
            }
            let (command, kind) = match step {
                Step::Recall => (
                    Command::Recall {
                        counter: counter.get(),
                    },
                    "recall",
                ),
                Step::Serve => (
                    Command::Serve {
                        counter: counter.get(),
                    },
                    "serve",
                ),
                Step::Done => (
                    Command::Done {
                        counter: counter.get(),
                    },
                    "done",
                ),
                Step::NoShow => (
                    Command::NoShow {
                        counter: counter.get(),
                    },
                    "noshow",
                ),
                Step::Park { minutes } => (
                    Command::Park {
                        counter: counter.get(),
                        until: minutes.map(|m| now + i64::from(m) * 60_000),
                    },
                    "park",
                ),
            };
            let next = domain::apply(&t, &command, now, &rules)?;
            if finishing {
                tx.guard(
                    &format!("NOT EXISTS ({OPEN_VISIT_JOBS})"),
                    params![t.label(), t.arrived],
                )?;
            }
            save_ticket_over(tx, &t, &next)?;
            event(tx, &next, kind, Some(counter.get()), Some(clerk), json!({}))?;
            tx.journal(Entry::new(
                clerk,
                format!("ticket.{kind}"),
                next.label(),
                json!({"counter": counter, "park_until_ms": next.park_until}),
            ))?;
            Ok((call_view(&next, counter.get(), None), next))
        });
        self.held_after(counter.get(), stepped.as_ref().ok());
        stepped.map(|(view, _)| view)
    }

    /// Sends the ticket the counter holds to another service's line, or to one counter; it keeps its
    /// arrival time and so its place.
    pub fn transfer(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        to_service: &str,
        to_counter: Option<u32>,
    ) -> Result<CallView, QueueError> {
        // The ticket leaves the counter (or, refused, stays as it is).
        self.held.forget(counter.get());
        self.counter_services(counter.get())?;
        let svc = self
            .config
            .service(to_service)
            .ok_or_else(|| QueueError::UnknownService {
                service: to_service.to_string(),
            })?
            .prefix()
            .to_string();
        if let Some(target) = to_counter
            && !self.config.counter_services(target).contains(&svc)
        {
            return Err(QueueError::TransferTargetDoesNotServe {
                counter: target,
                service: svc,
            });
        }
        let rules = self.queue_rules();
        self.store.write(|tx| {
            let t = held_ticket(tx, counter.get())?.ok_or(QueueError::NoTicketHeld { counter: counter.get() })?;
            refuse_open_visit(tx, &t, TicketAct::Transfer)?;
            let next = domain::apply(&t, &Command::Transfer { service: svc.clone(), counter: to_counter }, tx.now_ms(), &rules)?;
            save_ticket(tx, &next)?;
            event(tx, &next, "transfer", Some(counter.get()), Some(clerk), json!({"from": t.service, "to": svc, "to_counter": to_counter}))?;
            tx.journal(Entry::new(
                clerk,
                "ticket.transferred",
                next.label(),
                json!({"from_counter": counter, "from": t.service, "to": svc, "to_counter": to_counter}),
            ))?;
            Ok(call_view(&next, counter.get(), None))
        })
    }

    /// Puts a parked ticket back in its line.
    pub fn unpark(&mut self, clerk: &str, no: &TicketNo) -> Result<(), QueueError> {
        let rules = self.queue_rules();
        self.store.write(|tx| {
            let t = find_ticket(tx, no)?;
            if t.status != Status::Parked {
                return Err(QueueError::NotParked { ticket: t.label() });
            }
            let next = domain::apply(&t, &Command::Requeue, tx.now_ms(), &rules)?;
            save_ticket(tx, &next)?;
            event(tx, &next, "unpark", None, Some(clerk), json!({}))?;
            tx.journal(Entry::new(
                clerk,
                "ticket.unparked",
                next.label(),
                json!({}),
            ))?;
            Ok(())
        })
    }

    /// A supervisor puts a no-show ticket back in line, with an approval for `ticket.reactivate`.
    pub fn reactivate(&mut self, no: &TicketNo, approval: i64) -> Result<(), QueueError> {
        let rules = self.queue_rules();
        self.store.write(|tx| {
            let t = find_ticket(tx, no)?;
            if t.status != Status::NoShow {
                return Err(QueueError::NotNoShow { ticket: t.label() });
            }
            let ok = users::consume_approval(tx, approval, "ticket.reactivate", &t.label())?;
            let next = domain::apply(&t, &Command::Requeue, tx.now_ms(), &rules)?;
            save_ticket(tx, &next)?;
            event(
                tx,
                &next,
                "reactivate",
                None,
                Some(&ok.supervisor),
                json!({"approval": approval}),
            )?;
            tx.journal(Entry::new(
                ok.supervisor.clone(),
                "ticket.reactivated",
                next.label(),
                json!({"approval": approval, "reason": ok.reason}),
            ))?;
            Ok(())
        })
    }

    /// A supervisor moves the visit counter `from` holds (its ticket, open sale and stamping jobs)
    /// to counter `to`, with an approval for `visit.move` on the ticket: it reopens there as it
    /// stood. Tenders already taken stay in the drawer that took them; the rest is taken at `to`.
    pub fn move_visit(
        &mut self,
        from: CounterNo,
        to: CounterNo,
        approval: i64,
    ) -> Result<String, QueueError> {
        if from == to {
            return Err(QueueError::SameCounter {
                counter: from.get(),
            });
        }
        let target_serves = self.counter_services(to.get())?;
        self.store.write(|tx| {
            let t = held_ticket(tx, from.get())?.ok_or(QueueError::NoVisitHeld { counter: from.get() })?;
            if !target_serves.contains(&t.service) {
                return Err(QueueError::MoveTargetDoesNotServe {
                    counter: to.get(),
                    service: t.service.clone(),
                });
            }
            if let Some(busy) = held_ticket(tx, to.get())? {
                return Err(QueueError::MoveTargetBusy {
                    counter: to.get(),
                    ticket: busy.label(),
                });
            }
            let ok = users::consume_approval(tx, approval, "visit.move", &t.label())?;
            let label = t.label();
            tx.execute(
                "UPDATE tickets SET counter = ?2 WHERE id = ?1",
                params![t.id, to],
            )?;
            let sales = tx.execute(
                "UPDATE sales SET counter = ?3 WHERE ticket = ?1 AND status = 'open' AND created_ms >= ?2",
                params![label, t.arrived, to],
            )?;
            let jobs = tx.execute(
                "UPDATE stamp_jobs SET counter = ?3 WHERE ticket = ?1 AND created_ms >= ?2
                   AND state NOT IN ('delivered', 'cancelled', 'refunded')",
                params![label, t.arrived, to],
            )?;
            event(
                tx,
                &t,
                "moved",
                Some(to.get()),
                Some(&ok.supervisor),
                json!({"from": from, "to": to, "approval": approval}),
            )?;
            tx.journal(Entry::new(
                ok.supervisor.clone(),
                "visit.moved",
                label.clone(),
                json!({"from": from, "to": to, "approval": approval, "reason": ok.reason,
                       "open_sales": sales, "jobs": jobs}),
            ))?;
            Ok(label)
        })
    }

    /// Opens a counter, puts it on a break (a reason is required) or closes it.
    pub fn set_counter_state(
        &mut self,
        counter: CounterNo,
        clerk: &str,
        state: CounterState,
        reason: Option<&str>,
    ) -> Result<(), QueueError> {
        self.counter_services(counter.get())?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if state == CounterState::Break && reason.is_none() {
            return Err(QueueError::BreakNeedsReason);
        }
        self.store.write(|tx| {
            if state != CounterState::Open
                && let Some(t) = held_ticket(tx, counter.get())?
            {
                return Err(QueueError::CounterBusy {
                    counter: counter.get(),
                    ticket: t.label(),
                });
            }
            set_state(tx, counter.get(), clerk, state, reason)?;
            Ok(())
        })
    }

    /// The queue now, for screens and `loket queue status`.
    pub fn queue_status(&mut self) -> Result<QueueStatus, QueueError> {
        let config = self.config.clone();
        let now = self.store.now();
        let day = self.store.today().to_string();
        let now_ms = crate::store::to_ms(now);
        self.store.read(|c| {
            let open = load_tickets(c, "business_day = ?1 AND status IN ('waiting', 'parked', 'called', 'serving')", [&day])?;
            let mut services = Vec::new();
            for svc in &config.services {
                let line: Vec<&Ticket> = open.iter().filter(|t| t.service == svc.prefix() && domain::in_line(t, now_ms)).collect();
                let last: Option<u32> = c
                    .query_row(
                        "SELECT last_number FROM ticket_numbers WHERE business_day = ?1 AND service = ?2",
                        params![day, svc.prefix()],
                        |r| r.get(0),
                    )
                    .optional()?;
                services.push(ServiceStatus {
                    prefix: svc.prefix().to_string(),
                    name: svc.name.clone(),
                    waiting: line.len(),
                    priority_waiting: line.iter().filter(|t| t.priority).count(),
                    parked: open.iter().filter(|t| t.service == svc.prefix() && t.status == Status::Parked).count(),
                    longest_wait_ms: line.iter().map(|t| now_ms - t.arrived).max().unwrap_or(0),
                    sla_minutes: svc.sla_minutes,
                    last_issued: last.map(|n| TicketNo::new(svc.prefix(), n)),
                });
            }
            let states = load_counter_states(c)?;
            let counters = config
                .counters
                .iter()
                .map(|k| {
                    let n = k.number();
                    let held = open.iter().find(|t| t.counter == Some(n) && matches!(t.status, Status::Called | Status::Serving));
                    let (state, reason, clerk) = states.get(&n).cloned().unwrap_or((CounterState::Open, None, None));
                    CounterStatus {
                        number: n,
                        state,
                        reason,
                        clerk: held.and_then(|t| t.clerk.clone()).or(clerk),
                        ticket: held.map(Ticket::no),
                        ticket_status: held.map(|t| t.status),
                        ticket_service: held.map(|t| t.service.clone()),
                    }
                })
                .collect();
            let waiting = open
                .iter()
                .filter(|t| matches!(t.status, Status::Waiting | Status::Parked))
                .map(|t| WaitingTicket {
                    ticket: t.no(),
                    service: t.service.clone(),
                    priority: t.priority,
                    waited_ms: now_ms - t.arrived,
                    status: t.status,
                    target_counter: t.target_counter,
                })
                .collect();
            let recent_calls = recent_calls(c, &day, 10)?;
            Ok(QueueStatus {
                branch: config.branch.name.clone(),
                business_day: day.clone(),
                now_ms,
                services,
                counters,
                waiting,
                recent_calls,
            })
        })
    }

    /// One ticket of today with its place in line and estimated wait.
    pub fn ticket_info(&mut self, no: &TicketNo) -> Result<TicketView, QueueError> {
        let config = self.config.clone();
        let rules = self.queue_rules();
        let now = crate::store::to_ms(self.store.now());
        let day = self.store.today();
        self.store.read(|c| {
            let day = day.to_string();
            let t = find_ticket_on(c, &day, no)?;
            ticket_view(c, &config, &rules, &t, &day, now)
        })
    }

    fn counter_services(&self, counter: u32) -> Result<Vec<String>, QueueError> {
        if self.config.counter(counter).is_none() {
            return Err(QueueError::UnknownCounter { counter });
        }
        Ok(self.config.counter_services(counter))
    }
}

/// A step on the ticket a counter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Recall,
    Serve,
    Done,
    NoShow,
    Park { minutes: Option<u32> },
}

fn call_view(t: &Ticket, counter: u32, pick: Option<domain::Pick>) -> CallView {
    CallView {
        ticket: t.no(),
        service: t.service.clone(),
        counter,
        status: t.status,
        priority: t.priority,
        pick,
        waited_ms: t.called.unwrap_or(t.arrived) - t.arrived,
    }
}

fn insert_ticket(
    tx: &Tx<'_>,
    svc: &crate::config::Service,
    priority: bool,
    walk_in: bool,
) -> Result<Ticket, QueueError> {
    let (sql, values) = draw_and_insert(tx, svc, priority, walk_in)?;
    let rows = tx.query_together(&[(sql, &values)])?;
    inserted_ticket(svc, priority, walk_in, tx.now_ms(), rows.first())
}

/// The kinds of change that wait behind one another on the branch server before they read (see
/// [`Connection::queue_behind`]): the issues of one service, which all draw its next number, and
/// the calls, which all take the heads of the same lines.
const ISSUES_OF_A_SERVICE: i32 = 7306;
const CALLS: i32 = 7307;

/// The day's last number of a service (`?1` the day, `?2` the service), if it has drawn one.
const LAST_NUMBER: &str =
    "SELECT last_number FROM ticket_numbers WHERE business_day = ?1 AND service = ?2";

/// The id a ticket has before its insert has reached the branch server: larger than any real one,
/// so it stands last among the tickets of its arrival.
const NOT_INSERTED_YET: i64 = i64::MAX;

/// Draws the number after `last` (the day's last number of `svc` as read, or none yet), only
/// while it still is the last, and holds the insert of the waiting ticket that takes it. The
/// ticket's id is not known until the change commits ([`NOT_INSERTED_YET`]).
fn draw_next(
    tx: &Tx<'_>,
    svc: &crate::config::Service,
    priority: bool,
    last: Option<u32>,
) -> Result<Ticket, QueueError> {
    let day = tx.day().to_string();
    let now = tx.now_ms();
    let number = last.map_or(svc.first_number(), |n| n.saturating_add(1));
    if number > svc.last_number() {
        return Err(QueueError::NumbersUsedUp {
            service: svc.name.clone(),
            last: TicketNo::new(svc.prefix(), svc.last_number()),
        });
    }
    match last {
        Some(last) => tx.execute_guarded(
            "UPDATE ticket_numbers SET last_number = ?3
             WHERE business_day = ?1 AND service = ?2 AND last_number = ?4",
            params![day, svc.prefix(), number, last],
            1,
        )?,
        None => tx.execute_guarded(
            "INSERT INTO ticket_numbers (business_day, service, last_number) VALUES (?1, ?2, ?3)
             ON CONFLICT (business_day, service) DO NOTHING",
            params![day, svc.prefix(), number],
            1,
        )?,
    }
    tx.execute_held(
        "INSERT INTO tickets (business_day, issued_service, number, service, priority, walk_in,
             status, arrived_ms, queued_ms)
         VALUES (?1, ?2, ?3, ?2, ?4, 0, 'waiting', ?5, ?5)",
        params![day, svc.prefix(), number, i64::from(priority), now],
    )?;
    Ok(Ticket::waiting(
        NOT_INSERTED_YET,
        svc.prefix(),
        number,
        priority,
        false,
        now,
    ))
}

/// The ticket's insert, which takes the number drawn for it. The draw itself is held: it travels
/// with the insert (and whatever else is read with it) in one round trip to the branch server.
const INSERT_TICKET: &str =
    "INSERT INTO tickets (business_day, issued_service, number, service, priority, walk_in, status, arrived_ms, queued_ms)
     VALUES (?1, ?2, (SELECT last_number FROM ticket_numbers WHERE business_day = ?1 AND service = ?2),
             ?2, ?3, ?4, 'waiting', ?5, ?5)
     RETURNING id, number";

/// Draws the day's next number of `svc` (counted in the same statement) and gives the insert of
/// the ticket that takes it, to be read with [`inserted_ticket`].
fn draw_and_insert(
    tx: &Tx<'_>,
    svc: &crate::config::Service,
    priority: bool,
    walk_in: bool,
) -> Result<(&'static str, Vec<crate::store::sql::Value>), QueueError> {
    let day = tx.day().to_string();
    tx.execute_held(
        "INSERT INTO ticket_numbers (business_day, service, last_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (business_day, service)
             DO UPDATE SET last_number = ticket_numbers.last_number + 1",
        params![day, svc.prefix(), svc.first_number()],
    )?;
    Ok((
        INSERT_TICKET,
        vec![
            day.into(),
            svc.prefix().into(),
            i64::from(priority).into(),
            i64::from(walk_in).into(),
            tx.now_ms().into(),
        ],
    ))
}

/// The ticket [`INSERT_TICKET`] inserted; a number past the service's last is refused, and the
/// whole change, the count with it, rolled back.
fn inserted_ticket(
    svc: &crate::config::Service,
    priority: bool,
    walk_in: bool,
    now: Ms,
    rows: Option<&crate::store::sql::Rows>,
) -> Result<Ticket, QueueError> {
    let (id, number): (i64, u32) = rows
        .map(|r| r.map(|r| Ok((r.get(0)?, r.get(1)?))))
        .transpose()?
        .and_then(|r| r.into_iter().next())
        .ok_or(crate::store::sql::Error::QueryReturnedNoRows)?;
    if number > svc.last_number() {
        return Err(QueueError::NumbersUsedUp {
            service: svc.name.clone(),
            last: TicketNo::new(svc.prefix(), svc.last_number()),
        });
    }
    Ok(Ticket::waiting(
        id,
        svc.prefix(),
        number,
        priority,
        walk_in,
        now,
    ))
}

/// Tickets still open from an earlier business day are closed as expired, each journalled, so the
/// new day starts with numbers from 1 and yesterday's customers appear in yesterday's report.
fn expire_earlier_days(tx: &mut Tx<'_>) -> Result<(), QueueError> {
    const SWEEP: &str = "queue.expire_earlier_days";
    // A kiosk on the branch server may not read the stamping jobs that keep a visit open, so it
    // leaves closing earlier days to the counters' and the supervisor's PCs; its own lines are
    // the day's anyway.
    if tx.swept_today(SWEEP) || !tx.sees_stamping_jobs() {
        return Ok(());
    }
    let day = tx.day().to_string();
    let stale = load_tickets(
        tx,
        "business_day < ?1 AND status IN ('waiting', 'called', 'serving', 'parked')",
        [&day],
    )?;
    let now = tx.now_ms();
    let rules = Rules {
        normal_calls_per_priority: 1,
        normal_max_wait_ms: 0,
        noshow_min_wait_ms: 0,
    };
    let mut kept_open = false;
    for t in stale {
        // A customer whose paid document was not handed over keeps the visit open: the
        // supervisor's list shows it, and its counter resumes it.
        if let Some(job) = open_visit_job(tx, &t)? {
            kept_open = true;
            tx.journal(Entry::new(
                "system",
                "ticket.kept_open",
                t.label(),
                json!({"job": job.id, "state": job.state, "day_ended": true}),
            ))?;
            continue;
        }
        let next = domain::apply(&t, &Command::Expire, now, &rules)?;
        // Two changes on the server may sweep at once: the one that writes second finds the
        // ticket moved and runs again, finding nothing left to sweep.
        save_ticket_over(tx, &t, &next)?;
        event(
            tx,
            &next,
            "expired",
            t.counter,
            None,
            json!({"was": t.status.as_str()}),
        )?;
        tx.journal(Entry::new(
            "system",
            "ticket.expired",
            next.label(),
            json!({"was": t.status.as_str(), "day_ended": true}),
        ))?;
    }
    if !kept_open {
        tx.sweep_done(SWEEP);
    }
    Ok(())
}

/// A paid stamping job of a ticket's visit that nobody else answers for yet: paid (or further)
/// but not handed over, with no claim receipt printed for it and no address to send it to.
#[derive(Debug, Clone)]
struct OpenJob {
    id: i64,
    state: String,
    sn: Option<String>,
}

/// The paid jobs of the visit of ticket `?1` (arrived at `?2`) that nobody else answers for yet.
const OPEN_VISIT_JOBS: &str = "SELECT j.id, j.state, j.sn FROM stamp_jobs j
     WHERE j.ticket = ?1 AND j.created_ms >= ?2
       AND j.state IN ('paid', 'serial_issued', 'stamped', 'held')
       AND j.email IS NULL AND j.whatsapp IS NULL
       AND NOT EXISTS (SELECT 1 FROM print_jobs p
                       WHERE p.subject = 'claim/' || j.ticket || '-J' || j.id)";

fn open_visit_job(c: &Connection, t: &Ticket) -> Result<Option<OpenJob>, QueueError> {
    Ok(c.query_row(
        &format!("{OPEN_VISIT_JOBS} ORDER BY j.id LIMIT 1"),
        params![t.label(), t.arrived],
        |r| {
            Ok(OpenJob {
                id: r.get(0)?,
                state: r.get(1)?,
                sn: r.get(2)?,
            })
        },
    )
    .optional()?)
}

/// The ticket `counter` holds and, when `finishing`, the first paid job of its visit that nobody
/// else answers for yet (as [`open_visit_job`] finds it): one round trip to the branch server.
fn held_ticket_and_open_job(
    c: &Connection,
    counter: u32,
    finishing: bool,
) -> Result<(Option<Ticket>, Option<OpenJob>), QueueError> {
    let held = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE counter = ?1 AND status IN ('called', 'serving')
         ORDER BY arrived_ms, id"
    );
    // The open jobs made since the held ticket arrived, of any ticket (the ticket's label is
    // compared here, not in SQL: the two engines spell numbers differently).
    let jobs = "SELECT j.id, j.state, j.sn, j.ticket FROM stamp_jobs j, tickets t
         WHERE t.counter = ?1 AND t.status IN ('called', 'serving')
           AND j.state IN ('paid', 'serial_issued', 'stamped', 'held') AND j.created_ms >= t.arrived_ms
           AND j.email IS NULL AND j.whatsapp IS NULL
           AND NOT EXISTS (SELECT 1 FROM print_jobs p
                           WHERE p.subject = 'claim/' || j.ticket || '-J' || j.id)
         ORDER BY j.id";
    let values = params![counter];
    let read = if finishing {
        c.query_before_lock(&[(&held, &values), (jobs, &values)])?
    } else {
        c.query_before_lock(&[(&held, &values)])?
    };
    let Some(t) = read
        .first()
        .map(|rows| rows.map(row_to_ticket))
        .transpose()?
        .and_then(|ts| ts.into_iter().next())
    else {
        return Ok((None, None));
    };
    let label = t.label();
    let job = read
        .get(1)
        .map(|rows| {
            rows.map(|r| {
                Ok((
                    r.get::<_, String>(3)?,
                    OpenJob {
                        id: r.get(0)?,
                        state: r.get(1)?,
                        sn: r.get(2)?,
                    },
                ))
            })
        })
        .transpose()?
        .into_iter()
        .flatten()
        .find(|(ticket, _)| *ticket == label)
        .map(|(_, job)| job);
    Ok((Some(t), job))
}

/// Refuses to end or move a ticket whose customer paid for a document not yet handed over.
fn refuse_open_visit(c: &Connection, t: &Ticket, verb: TicketAct) -> Result<(), QueueError> {
    match open_visit_job(c, t)? {
        Some(job) => Err(open_visit_refusal(t, job, verb)),
        None => Ok(()),
    }
}

/// The refusal to end or move `t` while `job`, paid, is not handed over.
fn open_visit_refusal(t: &Ticket, job: OpenJob, verb: TicketAct) -> QueueError {
    let what = match (job.state.as_str(), &job.sn) {
        ("stamped", Some(sn)) => OpenDocument::Stamped { sn: sn.clone() },
        ("held", _) => OpenDocument::Held,
        _ => OpenDocument::Paid,
    };
    QueueError::DocumentNotHandedOver {
        ticket: t.label(),
        verb,
        what,
        job: job.id,
    }
}

fn ensure_counter_free(tx: &mut Tx<'_>, counter: u32, clerk: &str) -> Result<(), QueueError> {
    let held = held_ticket(tx, counter)?;
    let state = load_counter_states(tx)?.remove(&counter);
    open_counter(tx, counter, clerk, held, state)
}

/// Refuses a call to a counter that still holds a ticket (`held`), is on a break or closed; a
/// counter used for the first time (no `state` yet) opens with its first call.
fn open_counter(
    tx: &mut Tx<'_>,
    counter: u32,
    clerk: &str,
    held: Option<Ticket>,
    state: Option<CounterRow>,
) -> Result<(), QueueError> {
    if let Some(t) = held {
        return Err(QueueError::CounterHolds {
            counter,
            ticket: t.label(),
            state: t.status.label(),
        });
    }
    match state {
        Some((CounterState::Break, reason, _)) => Err(QueueError::CounterOnBreak {
            counter,
            reason: reason.unwrap_or_default(),
        }),
        Some((CounterState::Closed, _, _)) => Err(QueueError::CounterClosed { counter }),
        Some((CounterState::Open, _, _)) => Ok(()),
        None => {
            // A counter used for the first time opens with its first call.
            set_state(tx, counter, clerk, CounterState::Open, None)?;
            Ok(())
        }
    }
}

fn set_state(
    tx: &mut Tx<'_>,
    counter: u32,
    clerk: &str,
    state: CounterState,
    reason: Option<&str>,
) -> Result<(), QueueError> {
    let now = tx.now_ms();
    tx.execute(
        "INSERT INTO counters (number, state, reason, clerk, since_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (number) DO UPDATE SET state = excluded.state, reason = excluded.reason,
             clerk = excluded.clerk, since_ms = excluded.since_ms",
        params![counter, state.as_str(), reason, clerk, now],
    )?;
    tx.execute(
        "INSERT INTO counter_events (counter, at_ms, state, reason, clerk) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![counter, now, state.as_str(), reason, clerk],
    )?;
    tx.journal(Entry::new(
        clerk,
        format!("counter.{}", state.as_str()),
        format!("loket {counter}"),
        json!({"reason": reason}),
    ))?;
    Ok(())
}

/// A counter's state, the reason for it, and the clerk who set it.
type CounterRow = (CounterState, Option<String>, Option<String>);

fn load_counter_states(c: &Connection) -> crate::store::sql::Result<HashMap<u32, CounterRow>> {
    let mut stmt = c.prepare_cached("SELECT number, state, reason, clerk FROM counters")?;
    let rows = stmt.query_map((), |r| {
        Ok((
            r.get::<_, u32>(0)?,
            (
                CounterState::parse(&r.get::<_, String>(1)?),
                r.get(2)?,
                r.get(3)?,
            ),
        ))
    })?;
    rows.collect()
}

fn held_ticket(c: &Connection, counter: u32) -> crate::store::sql::Result<Option<Ticket>> {
    Ok(load_tickets(
        c,
        "counter = ?1 AND status IN ('called', 'serving')",
        [counter],
    )?
    .into_iter()
    .next())
}

fn find_ticket(tx: &Tx<'_>, no: &TicketNo) -> Result<Ticket, QueueError> {
    find_ticket_on(tx, &tx.day().to_string(), no)
}

fn find_ticket_on(c: &Connection, day: &str, no: &TicketNo) -> Result<Ticket, QueueError> {
    load_tickets(
        c,
        "business_day = ?1 AND issued_service = ?2 AND number = ?3",
        params![day, no.service, no.number],
    )?
    .into_iter()
    .next()
    .ok_or_else(|| QueueError::UnknownTicket {
        ticket: no.to_string(),
    })
}

/// The statement reading the ticket `counter` holds (called or being served), and the oldest
/// ticket in line of each class (normal, priority) in each service the counter serves. The policy only ever compares the oldest
/// ticket of a class, so choosing among these heads picks the same ticket as choosing among the
/// whole line, without reading it.
fn held_and_line_heads(
    day: &str,
    serves: &[String],
    counter: u32,
    now: Ms,
) -> (String, Vec<crate::store::sql::Value>) {
    // All in one statement: the held ticket as line -1, then each line's head through its own
    // ordered, limited subquery, in the order of `serves`, normal before priority.
    let mut lines = vec![format!(
        "SELECT * FROM (SELECT {TICKET_COLUMNS}, -1 AS line FROM tickets
         WHERE counter = ?3 AND status IN ('called', 'serving')
         ORDER BY arrived_ms, id LIMIT 1) AS held"
    )];
    for (i, _) in serves.iter().enumerate() {
        for priority in [0usize, 1] {
            lines.push(format!(
                "SELECT * FROM (SELECT {TICKET_COLUMNS}, {line} AS line FROM tickets
                 WHERE business_day = ?1 AND service = ?{param} AND priority = {priority}
                   AND status IN ('waiting', 'parked')
                   AND (status = 'waiting' OR park_until_ms <= ?2)
                   AND (target_counter IS NULL OR target_counter = ?3)
                 ORDER BY arrived_ms, id LIMIT 1) AS head{line}",
                line = i * 2 + priority,
                param = i + 4,
            ));
        }
    }
    let sql = format!("{} ORDER BY line", lines.join(" UNION ALL "));
    let mut values: Vec<crate::store::sql::Value> =
        vec![day.into(), now.into(), i64::from(counter).into()];
    values.extend(serves.iter().map(|s| s.as_str().into()));
    (sql, values)
}

/// The held ticket and the line heads from the rows of [`held_and_line_heads`].
fn read_held_and_heads(
    rows: Option<&crate::store::sql::Rows>,
) -> crate::store::sql::Result<(Option<Ticket>, Vec<Ticket>)> {
    let mut held = None;
    let mut heads = Vec::new();
    let Some(rows) = rows else {
        return Ok((held, heads));
    };
    for row in rows.map(|r| Ok((r.get::<_, i64>(19)?, row_to_ticket(r)?)))? {
        match row {
            (-1, t) => held = Some(t),
            (_, t) => heads.push(t),
        }
    }
    Ok((held, heads))
}

/// A counter's state row, if it has one, and the day's fairness streaks, in one statement (rows
/// of kind 0 are counters, 1 streaks).
const COUNTER_STATE_AND_STREAKS: &str =
    "SELECT 0, state, reason, clerk, 0 FROM counters WHERE number = ?2
     UNION ALL
     SELECT 1, service, NULL, NULL, normal_streak FROM fairness WHERE business_day = ?1";

/// The counter's state and the streaks from the rows of [`COUNTER_STATE_AND_STREAKS`].
fn read_counter_state_and_streaks(
    rows: Option<&crate::store::sql::Rows>,
) -> crate::store::sql::Result<(Option<CounterRow>, HashMap<String, u32>)> {
    let mut state = None;
    let mut streaks = HashMap::new();
    let Some(rows) = rows else {
        return Ok((state, streaks));
    };
    let rows = rows.map(|r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, u32>(4)?,
        ))
    })?;
    for row in rows {
        match row {
            (0, text, reason, clerk, _) => {
                state = Some((CounterState::parse(&text), reason, clerk));
            }
            (_, service, _, _, streak) => {
                streaks.insert(service, streak);
            }
        }
    }
    Ok((state, streaks))
}

fn load_streaks(c: &Connection, day: &str) -> crate::store::sql::Result<HashMap<String, u32>> {
    let mut stmt =
        c.prepare_cached("SELECT service, normal_streak FROM fairness WHERE business_day = ?1")?;
    let rows = stmt.query_map([day], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// A counter that holds no ticket and is open, for a call's check (`?1`: the counter).
const COUNTER_FREE_AND_OPEN: &str =
    "NOT EXISTS (SELECT 1 FROM tickets WHERE counter = ?1 AND status IN ('called', 'serving'))
     AND EXISTS (SELECT 1 FROM counters WHERE number = ?1 AND state = 'open')";

/// Records the call of `was` (now `called`): the service's fairness streak moved on from the one
/// read in `streaks`, the ticket's state, its event and its journal entry; the streak and the
/// ticket are written only while they stand as read.
fn record_call(
    tx: &mut Tx<'_>,
    day: &str,
    streaks: &HashMap<String, u32>,
    (was, called): (&Ticket, &Ticket),
    counter: u32,
    clerk: &str,
    pick: Option<domain::Pick>,
) -> Result<(), QueueError> {
    let read = streaks.get(&called.service).copied();
    let streak = domain::next_streak(read.unwrap_or(0), called);
    match read {
        Some(read) => tx.execute_guarded(
            "UPDATE fairness SET normal_streak = ?3
             WHERE business_day = ?1 AND service = ?2 AND normal_streak = ?4",
            params![day, called.service, streak, read],
            1,
        )?,
        None => tx.execute_guarded(
            "INSERT INTO fairness (business_day, service, normal_streak) VALUES (?1, ?2, ?3)
             ON CONFLICT (business_day, service) DO NOTHING",
            params![day, called.service, streak],
            1,
        )?,
    }
    save_ticket_over(tx, was, called)?;
    event(
        tx,
        called,
        "call",
        Some(counter),
        Some(clerk),
        json!({"pick": pick, "specific": pick.is_none()}),
    )?;
    tx.journal(Entry::new(
        clerk,
        "ticket.called",
        called.label(),
        json!({"counter": counter, "pick": pick, "out_of_order": pick.is_none()}),
    ))?;
    Ok(())
}

fn ticket_view(
    c: &Connection,
    config: &Config,
    rules: &Rules,
    t: &Ticket,
    day: &str,
    now: Ms,
) -> Result<TicketView, QueueError> {
    let figures = slip_figures(c, day, t, now)?;
    Ok(ticket_view_of(config, rules, t, day, now, figures))
}

/// A ticket's view from its slip's figures.
fn ticket_view_of(
    config: &Config,
    rules: &Rules,
    t: &Ticket,
    day: &str,
    now: Ms,
    figures: SlipFigures,
) -> TicketView {
    let ahead = domain::position(&figures.line, t.id, figures.streak, rules, now);
    let open = config
        .counters
        .iter()
        .filter(|k| k.services.iter().any(|s| *s.get_ref() == t.service))
        .filter(|k| !figures.not_open.contains(&k.number()))
        .count();
    let recent = figures.recent;
    let default_ms = i64::from(config.queue.default_service_minutes) * 60_000;
    let svc = config.service(&t.service);
    TicketView {
        ticket: t.no(),
        service: t.service.clone(),
        service_name: svc.map(|s| s.name.clone()).unwrap_or_default(),
        priority: t.priority,
        status: t.status,
        business_day: day.to_string(),
        issued_at_ms: t.arrived,
        ahead,
        wait: domain::estimate_wait(ahead, &recent, open, default_ms),
        counter: t
            .counter
            .filter(|_| matches!(t.status, Status::Called | Status::Serving)),
    }
}

/// What a ticket's slip says rests on: the line it stands in, its service's fairness streak, the
/// service's recent service times and which counters are not open.
struct SlipFigures {
    line: Vec<domain::InLine>,
    streak: u32,
    recent: Vec<Ms>,
    not_open: std::collections::HashSet<u32>,
}

/// Reads [`SlipFigures`] in one statement, so on the branch server an issue holds the branch's lock
/// for one round trip of reading, not four. Each row says what it is in its first column:
/// 0 a ticket in the line `t` stands in (same service, same counter reservation, in line now:
/// id, priority, arrival), 1 the streak, 2 a recent service time (the last 20 served), 3 a counter
/// that is on a break or closed.
fn slip_figures(
    c: &Connection,
    day: &str,
    t: &Ticket,
    now: Ms,
) -> crate::store::sql::Result<SlipFigures> {
    let values = slip_values(day, &t.service, now, t.target_counter);
    let read = c.query_together(&[(SLIP_FIGURES, &values)])?;
    read_slip(read.first())
}

/// A slip's figures in one statement: each row says in its first column what it is (0: a ticket
/// in the line, 1: the streak, 2: a recent service time, 3: a counter not open).
const SLIP_FIGURES: &str = "SELECT 0, id, priority, arrived_ms FROM tickets
     WHERE business_day = ?1 AND service = ?2 AND status IN ('waiting', 'parked')
       AND (status = 'waiting' OR park_until_ms <= ?3)
       AND target_counter IS NOT DISTINCT FROM ?4
     UNION ALL
     SELECT 1, normal_streak, 0, 0 FROM fairness WHERE business_day = ?1 AND service = ?2
     UNION ALL
     SELECT 2, took, 0, 0 FROM (
         SELECT done_ms - serve_ms AS took FROM tickets
         WHERE service = ?2 AND status = 'done' AND serve_ms IS NOT NULL
         ORDER BY done_ms DESC LIMIT 20) AS recent
     UNION ALL
     SELECT 3, number, 0, 0 FROM counters WHERE state IN ('break', 'closed')";

/// The values [`SLIP_FIGURES`] binds for a ticket of `service` (sent to `target`, if any).
fn slip_values(
    day: &str,
    service: &str,
    now: Ms,
    target: Option<u32>,
) -> Vec<crate::store::sql::Value> {
    vec![
        day.into(),
        service.into(),
        now.into(),
        target.map_or(crate::store::sql::Value::Null, |t| i64::from(t).into()),
    ]
}

/// The figures from the rows of [`SLIP_FIGURES`].
fn read_slip(rows: Option<&crate::store::sql::Rows>) -> crate::store::sql::Result<SlipFigures> {
    let mut figures = SlipFigures {
        line: Vec::new(),
        streak: 0,
        recent: Vec::new(),
        not_open: std::collections::HashSet::new(),
    };
    let Some(rows) = rows else {
        return Ok(figures);
    };
    let rows = rows.map(|r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        match row {
            (0, id, priority, arrived) => figures.line.push(domain::InLine {
                id,
                priority: priority != 0,
                arrived,
            }),
            (1, streak, _, _) => figures.streak = u32::try_from(streak).unwrap_or(0),
            (2, took, _, _) => figures.recent.push(took),
            (_, counter, _, _) => {
                if let Ok(counter) = u32::try_from(counter) {
                    figures.not_open.insert(counter);
                }
            }
        }
    }
    Ok(figures)
}

/// The newest calls of the day, one line per ticket (a recalled ticket is listed once, at its
/// newest call).
fn recent_calls(
    c: &Connection,
    day: &str,
    limit: usize,
) -> crate::store::sql::Result<Vec<CallView>> {
    let mut seen = std::collections::HashSet::new();
    Ok(recent_call_events(c, day, limit.saturating_mul(4))?
        .into_iter()
        .filter(|v| seen.insert(v.ticket.clone()))
        .take(limit)
        .collect())
}

fn recent_call_events(
    c: &Connection,
    day: &str,
    limit: usize,
) -> crate::store::sql::Result<Vec<CallView>> {
    let mut stmt = c.prepare_cached(
        "SELECT t.issued_service, t.number, t.service, e.counter, t.status, t.priority, e.at_ms - t.arrived_ms
         FROM ticket_events e JOIN tickets t ON t.id = e.ticket
         WHERE t.business_day = ?1 AND e.kind IN ('call', 'recall', 'walk_in')
         ORDER BY e.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![day, limit], |r| {
        let status: String = r.get(4)?;
        Ok(CallView {
            ticket: TicketNo::new(&r.get::<_, String>(0)?, r.get(1)?),
            service: r.get(2)?,
            counter: r.get(3)?,
            status: Status::parse(&status).unwrap_or(Status::Called),
            priority: r.get::<_, i64>(5)? != 0,
            pick: None,
            waited_ms: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// When a moment was, on the branch clock, as `HH.MM`.
pub fn clock_time(ms: Ms, tz: crate::day::TimeZone) -> String {
    crate::when::When::ms(ms, tz).time()
}
