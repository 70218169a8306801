//! The stamping job as pure logic: its states, the steps between them, and the rules that keep every
//! paid stamp accounted for. No I/O here; `service` persists it.
//!
//! `received → placed → paid → serial_issued → stamped → delivered`, with `held` (a person must
//! decide: the document was refused, or the serial was used with no output to show for it),
//! `cancelled` (before payment) and `refunded` on the side. **A paid job ends stamped or settled by a
//! person, never failed by a machine**: an outage, an unreadable reply or an unknown refusal keeps
//! the job's state and it waits for the worker; a person may settle a waiting job at any time.

use serde::Serialize;

/// Milliseconds since the Unix epoch.
pub type Ms = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Placed,
    Paid,
    SerialIssued,
    Stamped,
    Delivered,
    /// Waiting for a person's decision (new serial at no charge, or refund); the machine stops.
    Held,
    Cancelled,
    Refunded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Placed => "placed",
            State::Paid => "paid",
            State::SerialIssued => "serial_issued",
            State::Stamped => "stamped",
            State::Delivered => "delivered",
            State::Held => "held",
            State::Cancelled => "cancelled",
            State::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        Some(match text {
            "received" => State::Received,
            "placed" => State::Placed,
            "paid" => State::Paid,
            "serial_issued" => State::SerialIssued,
            "stamped" => State::Stamped,
            "delivered" => State::Delivered,
            // Rows written before `held` existed called the same state `failed`.
            "held" | "failed" => State::Held,
            "cancelled" => State::Cancelled,
            "refunded" => State::Refunded,
            _ => return None,
        })
    }

    /// Whether the background worker still has something to do for a job in this state.
    pub fn is_unfinished(self) -> bool {
        matches!(self, State::Paid | State::SerialIssued)
    }

    /// Paid for and not yet stamped: the worker's jobs and those held for a person. Every such job
    /// is listed as unfinished and counted in the daily pack.
    pub fn is_open_paid(self) -> bool {
        matches!(self, State::Paid | State::SerialIssued | State::Held)
    }

    /// Whether a person may settle the job now (new serial or refund): it is held, or it waits.
    pub fn can_settle(self) -> bool {
        self.is_open_paid()
    }

    /// The state in the process's language, for screens, receipts and reports.
    pub fn label(self) -> &'static str {
        crate::words::current().job_state(self)
    }
}

/// Where the stamp goes: page (1-based) and rectangle in PDF points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Place {
    pub page: u32,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// A stamping job's number (`stamp_jobs.id`), as the CLI, the outbox and the drive copies name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub i64);

crate::store::typed::integer_id!(JobId, i64);

/// A serial number of an e-Meterai (SN), as Peruri or the local inventory issued it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sn(pub String);

impl Sn {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Several serials as one line for people (`SN1, SN2`); never read back.
    pub fn list(sns: &[Sn]) -> String {
        sns.iter().map(Sn::as_str).collect::<Vec<_>>().join(", ")
    }
}

impl PartialEq<String> for Sn {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl std::fmt::Display for Sn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

impl crate::store::sql::ToSql for Sn {
    fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl crate::store::sql::FromSql for Sn {
    fn column_result(
        value: crate::store::sql::ValueRef<'_>,
    ) -> crate::store::sql::FromSqlResult<Self> {
        String::column_result(value).map(Sn)
    }
}

/// A job as the domain sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub state: State,
    pub ticket: Option<String>,
    pub document_sha256: String,
    pub document_name: String,
    pub place: Option<Place>,
    pub sale_id: Option<i64>,
    /// The idempotency key of the serial request, stored before the request is sent and reused on
    /// every retry; a new one only when a spoiled serial has to be replaced.
    pub request_id: Option<String>,
    pub sn: Option<String>,
    pub stamped_sha256: Option<String>,
    pub attempts: u32,
    pub next_attempt: Option<Ms>,
    pub last_error: Option<String>,
}

/// What happens to a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Place(Place),
    /// The sale that pays for the stamp is settled.
    Paid {
        sale_id: i64,
        request_id: String,
    },
    SerialIssued {
        sn: String,
    },
    Stamped {
        sha256: String,
    },
    Delivered,
    /// A provider call failed but may work later (outage, timeout, 429).
    Wait {
        error: String,
        next_attempt: Ms,
    },
    /// The serial cannot be used (e.g. adapter error 92): it is recorded as spoiled and the job asks
    /// for a new one, at no charge to the customer.
    SerialSpoiled {
        new_request_id: String,
    },
    /// A failure no retry will fix (the document itself is refused, the serial was used with no
    /// output): the job waits for a person's decision.
    Hold {
        reason: String,
    },
    /// Before payment the customer may walk away.
    Cancel,
    /// Money back, settled by a supervisor for a job that is held or waits (a serial already
    /// issued is recorded as spoiled in the same transaction).
    Refund,
    /// The supervisor settles a held or waiting job with a new serial at no charge.
    Reissue {
        new_request_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    WrongState { id: i64, state: State },
    NotPlaced,
    BadPlace { page: u32 },
}

/// Applies `step` to `job`, returning its next form or why the step is refused.
pub fn apply(job: &Job, step: &Step) -> Result<Job, JobError> {
    use State::*;
    let wrong = || JobError::WrongState {
        id: job.id.get(),
        state: job.state,
    };
    let mut next = job.clone();
    match step {
        Step::Place(place) => {
            if !matches!(job.state, Received | Placed) {
                return Err(wrong());
            }
            let ok = place.page >= 1
                && place.width > 0.0
                && place.height > 0.0
                && place.x.is_finite()
                && place.y.is_finite();
            if !ok {
                return Err(JobError::BadPlace { page: place.page });
            }
            next.place = Some(*place);
            next.state = Placed;
        }
        Step::Paid {
            sale_id,
            request_id,
        } => {
            match job.state {
                Placed => {}
                Received => return Err(JobError::NotPlaced),
                _ => return Err(wrong()),
            }
            next.sale_id = Some(*sale_id);
            next.request_id = Some(request_id.clone());
            next.state = Paid;
        }
        Step::SerialIssued { sn } => {
            if job.state != Paid {
                return Err(wrong());
            }
            next.sn = Some(sn.clone());
            next.state = SerialIssued;
            next.attempts = 0;
            next.next_attempt = None;
            next.last_error = None;
        }
        Step::Stamped { sha256 } => {
            if job.state != SerialIssued {
                return Err(wrong());
            }
            next.stamped_sha256 = Some(sha256.clone());
            next.state = Stamped;
            next.next_attempt = None;
            next.last_error = None;
        }
        Step::Delivered => {
            if !matches!(job.state, Stamped | Delivered) {
                return Err(wrong());
            }
            next.state = Delivered;
        }
        Step::Wait {
            error,
            next_attempt,
        } => {
            if !job.state.is_unfinished() {
                return Err(wrong());
            }
            next.attempts += 1;
            next.next_attempt = Some(*next_attempt);
            next.last_error = Some(error.clone());
        }
        Step::SerialSpoiled { new_request_id } => {
            if job.state != SerialIssued {
                return Err(wrong());
            }
            next.sn = None;
            next.request_id = Some(new_request_id.clone());
            next.state = Paid;
            next.next_attempt = None;
        }
        Step::Hold { reason } => {
            if !job.state.is_unfinished() {
                return Err(wrong());
            }
            next.state = Held;
            next.last_error = Some(reason.clone());
            next.next_attempt = None;
        }
        Step::Cancel => {
            if !matches!(job.state, Received | Placed) {
                return Err(wrong());
            }
            next.state = Cancelled;
        }
        Step::Refund => {
            // Once paid, the customer is refunded only through a supervisor's settlement, never
            // silently; the service records an issued serial as spoiled in the same commit.
            if !job.state.can_settle() {
                return Err(wrong());
            }
            next.state = Refunded;
            next.next_attempt = None;
        }
        Step::Reissue { new_request_id } => {
            if !job.state.can_settle() {
                return Err(wrong());
            }
            next.sn = None;
            next.request_id = Some(new_request_id.clone());
            next.state = Paid;
            next.attempts = 0;
            next.next_attempt = None;
            next.last_error = None;
        }
    }
    Ok(next)
}

/// When to try again after `attempts` failed tries: exponential from 5 s, capped at 10 minutes, with
/// full jitter from `random` (a fraction in [0, 1) scaled to thousandths).
pub fn backoff_ms(attempts: u32, random_per_mille: u32) -> Ms {
    let base: Ms = 5_000;
    let cap: Ms = 600_000;
    let exp = base.saturating_mul(1 << attempts.min(16)).min(cap);
    // Never retry sooner than one second: a storm of retries helps nobody.
    (exp * Ms::from(random_per_mille.min(999)) / 1000).max(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: State) -> Job {
        Job {
            id: JobId(7),
            state,
            ticket: Some("C-003".into()),
            document_sha256: "ab".repeat(32),
            document_name: "surat.pdf".into(),
            place: Some(PLACE),
            sale_id: None,
            request_id: None,
            sn: (state == State::SerialIssued).then(|| "SN".into()),
            stamped_sha256: None,
            attempts: 0,
            next_attempt: None,
            last_error: None,
        }
    }

    const PLACE: Place = Place {
        page: 1,
        x: 400.0,
        y: 100.0,
        width: 85.0,
        height: 85.0,
    };

    fn check(from: State, step: Step, expect: Result<State, JobError>) {
        let got = apply(&job(from), &step).map(|j| j.state);
        let expect = expect.map_err(|e| match e {
            JobError::WrongState { .. } => JobError::WrongState { id: 7, state: from },
            other => other,
        });
        assert_eq!(got, expect, "{from:?} + {step:?}");
    }

    #[test]
    fn every_step_from_every_state() {
        use State::*;
        let wrong = Err(JobError::WrongState {
            id: 0,
            state: Received,
        });
        let paid = || Step::Paid {
            sale_id: 1,
            request_id: "r1".into(),
        };
        let wait = || Step::Wait {
            error: "down".into(),
            next_attempt: 10,
        };
        let spoiled = || Step::SerialSpoiled {
            new_request_id: "r2".into(),
        };
        let hold = || Step::Hold {
            reason: "kode 83".into(),
        };
        let reissue = || Step::Reissue {
            new_request_id: "r3".into(),
        };
        let table: Vec<(State, Step, Result<State, JobError>)> = vec![
            (Received, Step::Place(PLACE), Ok(Placed)),
            (Placed, Step::Place(PLACE), Ok(Placed)),
            (Paid, Step::Place(PLACE), wrong.clone()),
            (Received, paid(), Err(JobError::NotPlaced)),
            (Placed, paid(), Ok(Paid)),
            (Paid, paid(), wrong.clone()),
            (
                Paid,
                Step::SerialIssued { sn: "X".into() },
                Ok(SerialIssued),
            ),
            (Placed, Step::SerialIssued { sn: "X".into() }, wrong.clone()),
            (
                SerialIssued,
                Step::Stamped { sha256: "s".into() },
                Ok(Stamped),
            ),
            (Paid, Step::Stamped { sha256: "s".into() }, wrong.clone()),
            (Stamped, Step::Delivered, Ok(Delivered)),
            (Delivered, Step::Delivered, Ok(Delivered)),
            (SerialIssued, Step::Delivered, wrong.clone()),
            (Paid, wait(), Ok(Paid)),
            (SerialIssued, wait(), Ok(SerialIssued)),
            (Stamped, wait(), wrong.clone()),
            (SerialIssued, spoiled(), Ok(Paid)),
            (Paid, spoiled(), wrong.clone()),
            (Paid, hold(), Ok(Held)),
            (SerialIssued, hold(), Ok(Held)),
            (Placed, hold(), wrong.clone()),
            (Held, hold(), wrong.clone()),
            (Held, wait(), wrong.clone()),
            (Received, Step::Cancel, Ok(Cancelled)),
            (Placed, Step::Cancel, Ok(Cancelled)),
            (Paid, Step::Cancel, wrong.clone()),
            (Paid, Step::Refund, Ok(Refunded)),
            (Held, Step::Refund, Ok(Refunded)),
            (SerialIssued, Step::Refund, Ok(Refunded)),
            (Placed, Step::Refund, wrong.clone()),
            (Stamped, Step::Refund, wrong.clone()),
            (Held, reissue(), Ok(Paid)),
            (Paid, reissue(), Ok(Paid)),
            (SerialIssued, reissue(), Ok(Paid)),
            (Placed, reissue(), wrong.clone()),
            (Stamped, reissue(), wrong.clone()),
        ];
        for (from, step, expect) in table {
            check(from, step, expect);
        }
        for closed in [Cancelled, Refunded, Delivered] {
            check(closed, Step::Cancel, wrong.clone());
            check(closed, Step::Refund, wrong.clone());
        }
    }

    #[test]
    fn a_bad_place_is_refused() {
        let mut place = PLACE;
        place.page = 0;
        assert_eq!(
            apply(&job(State::Received), &Step::Place(place)),
            Err(JobError::BadPlace { page: 0 })
        );
        place = PLACE;
        place.width = -1.0;
        assert!(apply(&job(State::Received), &Step::Place(place)).is_err());
    }

    #[test]
    fn a_spoiled_serial_gets_a_new_request_id() {
        let j = apply(
            &job(State::SerialIssued),
            &Step::SerialSpoiled {
                new_request_id: "r2".into(),
            },
        )
        .expect("spoiled");
        assert_eq!(
            (j.state, j.sn.as_deref(), j.request_id.as_deref()),
            (State::Paid, None, Some("r2"))
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_ms(0, 999), 4_995);
        assert_eq!(backoff_ms(3, 500), 20_000);
        assert_eq!(backoff_ms(30, 999), 599_400);
        assert_eq!(backoff_ms(5, 0), 1_000, "never sooner than a second");
    }
}
