//! The stamping service on `Branch`: a customer's document from intake to a verified stamped file,
//! each transition one store transaction with its journal entry and SN-ledger change.

use super::documents::{DocumentError, Documents};
use super::job::{self, JobError, Place, State, Step};
use super::ledger::LedgerError;
use super::provider::{Provider, ProviderError};
use crate::journal::Entry;
use crate::pdf::IntakeError;
use crate::stamping::job::JobId;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::store::{self, StoreError, Tx};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

mod deliver;
mod receive;
mod run;
mod settle;
mod visit;

pub use deliver::JobOutput;
pub use receive::ReceiveDocument;
pub use settle::{Settle, Settled, Settlement};
pub use visit::{VisitResume, VisitStep};

crate::branch::service!(
    /// Stamping jobs: intake, payment, serials, stamping, delivery and settling.
    StampingService,
    stamping
);

/// Approval action for settling a failed job with a new serial at no charge (subject `job/<id>`).
pub const ACTION_REISSUE: &str = "stamping.reissue";

/// A supervisor's approval to cancel a job left before payment, on `job/<id>`.
pub const ACTION_CANCEL: &str = "stamping.cancel";

/// The approval subject of a job.
pub fn job_subject(id: JobId) -> String {
    format!("job/{id}")
}

/// A job as screens, receipts and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: JobId,
    pub state: State,
    pub state_label: &'static str,
    pub ticket: Option<String>,
    pub document_name: String,
    pub pages: u32,
    pub warnings: Vec<String>,
    pub place: Option<Place>,
    pub proposed: Option<Place>,
    pub sale_id: Option<crate::till::SaleId>,
    pub sn: Option<String>,
    pub stamped_sha256: Option<String>,
    /// Indonesian: what happens next.
    pub message: String,
    pub attempts: u32,
    pub next_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    pub email: Option<String>,
    pub created_ms: i64,
    /// The document is locked with a password (which is never stored).
    pub locked: bool,
}

/// Progress of `run_job`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage {
    IssuingSerial,
    Stamping,
    Verifying,
    Stored,
}

/// Which jobs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFilter {
    /// Paid and not yet stamped, waiting for the provider (what the worker retries).
    Unfinished,
    /// Every paid job not yet stamped: those the worker retries and those held for a person.
    OpenPaid,
    /// Created on this business day (`YYYY-MM-DD`).
    Day(String),
    Ticket(String),
    /// The most recent `n`.
    Recent(u32),
}

#[derive(Debug, thiserror::Error)]
pub enum StampingError {
    Intake(#[from] IntakeError),
    Job(#[from] JobError),
    Document(#[from] DocumentError),
    Ledger(#[from] LedgerError),
    Provider(#[from] ProviderError),
    Store(#[from] StoreError),
    User(#[from] crate::users::UserError),
    Delivery(#[from] crate::delivery::DeliveryError),
    Io {
        what: crate::error::IoWhat,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Till(#[from] crate::till::TillError),
    UnknownJob(JobId),
    NotQuoted(JobId),
    PasswordNeeded(JobId),
    OpenElsewhere {
        job: i64,
        counter: u32,
    },
    NotPaid {
        job: JobId,
        sale: i64,
    },
    NoOutput(JobId),
    PageOutOfRange {
        page: u32,
        pages: u32,
    },
    BadOutput {
        sn: String,
        why: String,
    },
    NoName,
}

impl From<crate::store::sql::Error> for StampingError {
    fn from(e: crate::store::sql::Error) -> Self {
        StampingError::Store(StoreError::Sql(e))
    }
}

type ProviderCache = Mutex<Vec<(PathBuf, Arc<dyn Provider>)>>;

fn providers() -> &'static ProviderCache {
    static CACHE: OnceLock<ProviderCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Vec::new()))
}

fn cache_key(data_dir: &Path) -> PathBuf {
    data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf())
}

/// Makes every `Branch` of `data_dir` in this process stamp through `provider` (tests, and a
/// process that keeps one provider's circuit breaker across branches).
pub fn install_provider(data_dir: &Path, provider: Arc<dyn Provider>) {
    let key = cache_key(data_dir);
    let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(k, _)| *k != key);
    cache.push((key, provider));
}

/// Forgets the provider of `data_dir` (the next call builds one from the configuration).
pub fn forget_provider(data_dir: &Path) {
    let key = cache_key(data_dir);
    let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(k, _)| *k != key);
}

pub use crate::branch::DocPasswords;

/// One job row with the columns the domain type does not carry.
#[derive(Debug, Clone)]
struct Row {
    job: job::Job,
    /// The document needs its password (kept only in memory: [`DocPasswords`]).
    locked: bool,
    pages: u32,
    warnings: Vec<String>,
    proposed: Option<Place>,
    sn_requested_ms: Option<i64>,
    stamp_image: Option<Vec<u8>>,
    handle: Option<String>,
    email: Option<String>,
    whatsapp: Option<String>,
    created_ms: i64,
}

const ROW_COLUMNS: &str = "id, state, ticket, document_sha256, document_name, page, x, y, width, height, sale_id,
     request_id, sn, stamped_sha256, attempts, next_attempt_ms, last_error, locked, pages, warnings, proposed,
     sn_requested_ms, stamp_image, handle, email, created_ms, whatsapp";

fn read_row(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<Row> {
    let state: String = r.get(1)?;
    let page: Option<u32> = r.get(5)?;
    let place = match page {
        Some(page) => Some(Place {
            page,
            x: r.get(6)?,
            y: r.get(7)?,
            width: r.get(8)?,
            height: r.get(9)?,
        }),
        None => None,
    };
    let warnings: Option<String> = r.get(19)?;
    let proposed: Option<String> = r.get(20)?;
    Ok(Row {
        job: job::Job {
            id: r.get(0)?,
            state: State::parse(&state).unwrap_or(State::Held),
            ticket: r.get(2)?,
            document_sha256: r.get(3)?,
            document_name: r.get(4)?,
            place,
            sale_id: r.get(10)?,
            request_id: r.get(11)?,
            sn: r.get(12)?,
            stamped_sha256: r.get(13)?,
            attempts: r.get(14)?,
            next_attempt: r.get(15)?,
            last_error: r.get(16)?,
        },
        locked: r.get(17)?,
        pages: r.get::<_, Option<u32>>(18)?.unwrap_or(0),
        warnings: warnings
            .and_then(|w| serde_json::from_str(&w).ok())
            .unwrap_or_default(),
        proposed: proposed.and_then(|p| place_from_json(&p)),
        sn_requested_ms: r.get(21)?,
        stamp_image: r.get(22)?,
        handle: r.get(23)?,
        email: r.get(24)?,
        created_ms: r.get(25)?,
        whatsapp: r.get(26)?,
    })
}

fn place_json(p: &Place) -> String {
    json!({"page": p.page, "x": p.x, "y": p.y, "width": p.width, "height": p.height}).to_string()
}

fn place_from_json(text: &str) -> Option<Place> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(Place {
        page: u32::try_from(v.get("page")?.as_u64()?).ok()?,
        x: v.get("x")?.as_f64()?,
        y: v.get("y")?.as_f64()?,
        width: v.get("width")?.as_f64()?,
        height: v.get("height")?.as_f64()?,
    })
}

fn load(c: &Connection, id: JobId) -> Result<Row, StampingError> {
    c.query_row(
        &format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE id = ?1"),
        [id],
        read_row,
    )
    .optional()?
    .ok_or(StampingError::UnknownJob(id))
}

fn verb(step: &Step) -> &'static str {
    match step {
        Step::Place(_) => "placed",
        Step::Paid { .. } => "paid",
        Step::SerialIssued { .. } => "serial_issued",
        Step::Stamped { .. } => "stamped",
        Step::Delivered => "delivered",
        Step::Wait { .. } => "waiting",
        Step::SerialSpoiled { .. } => "serial_spoiled",
        Step::Hold { .. } => "held",
        Step::Cancel => "cancelled",
        Step::Refund => "refunded",
        Step::Reissue { .. } => "reissued",
    }
}

/// Applies `step` to the job inside `tx`: the pure rule decides, the row is written, the journal
/// gets `job.<verb>` with `detail`.
fn apply_step(
    tx: &mut Tx<'_>,
    actor: &str,
    id: JobId,
    step: &Step,
    detail: serde_json::Value,
) -> Result<job::Job, StampingError> {
    let row = load(tx, id)?;
    let next = job::apply(&row.job, step)?;
    let (page, x, y, w, h) = match next.place {
        Some(p) => (
            Some(p.page),
            Some(p.x),
            Some(p.y),
            Some(p.width),
            Some(p.height),
        ),
        None => (None, None, None, None, None),
    };
    tx.execute(
        "UPDATE stamp_jobs SET state = ?2, page = ?3, x = ?4, y = ?5, width = ?6, height = ?7, sale_id = ?8,
             request_id = ?9, sn = ?10, stamped_sha256 = ?11, attempts = ?12, next_attempt_ms = ?13,
             last_error = ?14, updated_ms = ?15 WHERE id = ?1",
        params![
            id,
            next.state.as_str(),
            page,
            x,
            y,
            w,
            h,
            next.sale_id,
            next.request_id,
            next.sn,
            next.stamped_sha256,
            next.attempts,
            next.next_attempt,
            next.last_error,
            tx.now_ms()
        ],
    )?;
    let mut detail = detail;
    if let Some(map) = detail.as_object_mut() {
        map.insert("from".into(), json!(row.job.state.as_str()));
        map.insert("to".into(), json!(next.state.as_str()));
    }
    tx.journal(Entry::new(
        actor,
        format!("job.{}", verb(step)),
        job_subject(id),
        detail,
    ))?;
    Ok(next)
}

/// What the clerk is told about a job where it stands, as values; worded in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobNote<'a> {
    Received,
    Placed,
    /// Paid, and an attempt failed with `error` (the provider's words as stored).
    Retrying {
        error: &'a str,
    },
    /// Paid; the document is locked and only the counter holding its password can stamp it.
    PaidLocked,
    Paid,
    Stamped {
        sn: &'a str,
    },
    Delivered,
    Held {
        reason: Option<&'a str>,
        job: JobId,
    },
    Cancelled,
    Refunded,
}

fn message(row: &Row) -> String {
    let j = &row.job;
    let note = match j.state {
        State::Received => JobNote::Received,
        State::Placed => JobNote::Placed,
        State::Paid | State::SerialIssued => match (&j.last_error, j.attempts) {
            (Some(error), n) if n > 0 => JobNote::Retrying { error },
            _ if row.locked => JobNote::PaidLocked,
            _ => JobNote::Paid,
        },
        State::Stamped => JobNote::Stamped {
            sn: j.sn.as_deref().unwrap_or(""),
        },
        State::Delivered => JobNote::Delivered,
        State::Held => JobNote::Held {
            reason: j.last_error.as_deref(),
            job: j.id,
        },
        State::Cancelled => JobNote::Cancelled,
        State::Refunded => JobNote::Refunded,
    };
    crate::words::current().job_note(&note)
}

fn view(row: &Row) -> JobView {
    let j = &row.job;
    JobView {
        id: j.id,
        state: j.state,
        state_label: j.state.label(),
        ticket: j.ticket.clone(),
        document_name: j.document_name.clone(),
        pages: row.pages,
        warnings: row.warnings.clone(),
        place: j.place,
        proposed: row.proposed,
        sale_id: j.sale_id.map(crate::till::SaleId),
        sn: j.sn.clone(),
        stamped_sha256: j.stamped_sha256.clone(),
        message: message(row),
        attempts: j.attempts,
        next_attempt_ms: j.next_attempt,
        last_error: j.last_error.clone(),
        email: row.email.clone(),
        created_ms: row.created_ms,
        locked: row.locked,
    }
}

impl StampingService<'_> {
    /// The counter whose visit holds job `id` (`None`: no counter holds it).
    pub fn job_counter(&mut self, id: JobId) -> Result<Option<u32>, StampingError> {
        self.store.read(|c| {
            c.query_row("SELECT counter FROM stamp_jobs WHERE id = ?1", [id], |r| {
                r.get::<_, Option<u32>>(0)
            })
            .map_err(StampingError::from)
        })
    }

    fn documents(&self) -> Documents {
        Documents::at(self.data_dir, self.store.server_address())
    }

    fn job_row(&mut self, id: JobId) -> Result<Row, StampingError> {
        self.store.read(|c| load(c, id))
    }

    pub fn job(&mut self, job: JobId) -> Result<JobView, StampingError> {
        Ok(view(&self.job_row(job)?))
    }

    pub fn jobs(&mut self, filter: &JobFilter) -> Result<Vec<JobView>, StampingError> {
        let tz = self.store.timezone();
        let rows: Vec<Row> = self.store.read(|c| {
            let (sql, arg): (String, crate::store::sql::Value) = match filter {
                JobFilter::Unfinished => (
                    format!(
                        "SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE state IN ('paid', 'serial_issued') ORDER BY COALESCE(next_attempt_ms, 0), id LIMIT ?1"
                    ),
                    i64::MAX.into(),
                ),
                JobFilter::OpenPaid => (
                    format!(
                        "SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE state IN ('paid', 'serial_issued', 'held', 'failed') ORDER BY id LIMIT ?1"
                    ),
                    i64::MAX.into(),
                ),
                JobFilter::Ticket(t) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE ticket = ?1 ORDER BY id"),
                    t.clone().into(),
                ),
                JobFilter::Recent(n) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs ORDER BY id DESC LIMIT ?1"),
                    i64::from(*n).into(),
                ),
                JobFilter::Day(_) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE ?1 ORDER BY id"),
                    1i64.into(),
                ),
            };
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map([arg], read_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, StampingError>(rows)
        })?;
        Ok(rows
            .iter()
            .filter(|r| match filter {
                JobFilter::Day(day) => {
                    crate::day::BusinessDay::of(store::from_ms(r.created_ms), tz).to_string()
                        == *day
                }
                _ => true,
            })
            .map(view)
            .collect())
    }
}

/// Folder of the per-job run locks in the data folder.
pub const LOCK_FOLDER: &str = "locks";

/// A paid job not yet stamped, as the supervisor's console lists it: the counter and amount of
/// the sale that paid for it, and why it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub id: i64,
    pub ticket: Option<String>,
    pub document: String,
    /// Held for a supervisor's decision (the document was refused, or the serial was used with no
    /// output); otherwise the stamping worker retries it on its own.
    pub held: bool,
    /// When the worker tries a waiting job again.
    pub next_attempt_ms: Option<i64>,
    pub attempts: u32,
    /// Why it is not stamped, in the service's words.
    pub reason: Option<String>,
    /// The counter whose sale took the money: a cash refund comes out of its drawer by default.
    pub counter: Option<u32>,
    /// What the customer paid for this stamp.
    pub paid: Option<crate::money::Rupiah>,
}

impl StampingService<'_> {
    /// Every paid job not yet stamped, with the counter and amount of the sale that paid for it.
    pub fn open_paid_jobs(&mut self) -> Result<Vec<OpenJob>, StampingError> {
        let jobs = self.jobs(&JobFilter::OpenPaid)?;
        let mut out = Vec::with_capacity(jobs.len());
        for v in jobs {
            let sale = match v.sale_id {
                Some(id) => Some(self.parts().till().sale(id)?),
                None => None,
            };
            let paid = sale.as_ref().and_then(|s| {
                crate::money::Rupiah::sum(
                    s.lines
                        .iter()
                        .filter(|l| l.job == Some(v.id.get()))
                        .map(|l| l.amount),
                )
                .ok()
            });
            out.push(OpenJob {
                id: v.id.get(),
                ticket: v.ticket,
                document: v.document_name,
                held: v.state == State::Held,
                next_attempt_ms: v.next_attempt_ms,
                attempts: v.attempts,
                // A locked document waiting for its password says so (it never failed: it waits).
                reason: if v.locked && v.last_error.is_none() {
                    Some(v.message)
                } else {
                    v.last_error
                },
                counter: sale.as_ref().map(|s| s.counter),
                paid,
            });
        }
        Ok(out)
    }
}
