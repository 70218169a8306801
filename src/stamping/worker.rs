//! The stamping worker: a background thread with its own `Branch` that finishes paid jobs the
//! counter could not (provider down, process restarted), e-mails the results to customers who left,
//! and purges stored documents a set time after delivery.

use super::documents::Documents;
use super::service::{JobFilter, JobView, StampingError};
use super::{State, job};
use crate::branch::Branch;
use crate::clock::Clock;
use crate::error::LoketError;
use crate::journal::Entry;
use crate::store::sql::params;
use crate::store::{self, StoreError};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest sleep between rounds: due jobs are found even without a wake-up.
const MAX_SLEEP: Duration = Duration::from_secs(5);

/// A file in the document store that no `documents` row names was left by a crash between writing
/// it and the commit that records it (a letter before its job existed, an output before its job was
/// stamped). Younger than this it may belong to a commit in progress in another process.
pub const ORPHAN_AGE: Duration = Duration::from_secs(3600);

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Jobs attempted, and of those now stamped.
    pub attempted: usize,
    pub stamped: usize,
    /// Stamped jobs whose e-mail was queued (the customer had left).
    pub mailed: usize,
    /// Documents removed from the data folder.
    pub purged: usize,
    /// Files no job points at (left by a crash), removed at start-up.
    pub swept: usize,
    /// Closed days whose daily pack was mailed to `[report] mail_to`.
    pub packs_mailed: usize,
    /// Outbox messages (e-mail and WhatsApp) that left in this round.
    pub sent: usize,
    /// Next due retry, if any job waits.
    pub next_due_ms: Option<i64>,
    /// Errors met (lowercase English), the round went on past them.
    pub errors: Vec<String>,
}

/// One round of the worker's duties. `resume_all` (at start-up) runs every unfinished job,
/// whatever its schedule says: the process may have stopped in the middle of it.
pub fn round(branch: &mut Branch, resume_all: bool) -> Result<Round, LoketError> {
    let mut out = Round::default();
    let now = store::to_ms(branch.store().now());
    for v in branch.stamping().jobs(&JobFilter::Unfinished)? {
        let due = resume_all || v.next_attempt_ms.is_none_or(|t| t <= now);
        if !due {
            out.next_due_ms = Some(
                out.next_due_ms
                    .map_or(v.next_attempt_ms.unwrap_or(now), |d| {
                        d.min(v.next_attempt_ms.unwrap_or(now))
                    }),
            );
            continue;
        }
        // A locked document waits for the counter, where the customer types its password again
        // (it is never stored); the supervisor's list says so.
        if v.locked && branch.stamping().job_needs_password(v.id)? {
            continue;
        }
        out.attempted += 1;
        match branch.stamping().run_job(v.id, &mut |_| {}) {
            Ok(after) if after.state == State::Stamped => out.stamped += 1,
            Ok(after) => {
                if let Some(t) = after.next_attempt_ms {
                    out.next_due_ms = Some(out.next_due_ms.map_or(t, |d| d.min(t)));
                }
            }
            Err(e) => out.errors.push(format!("job {}: {e}", v.id)),
        }
    }
    out.mailed = mail_waiting(branch, &mut out.errors)?;
    // Journal anchors made while the TSA was unreachable are stamped once it answers.
    if let Err(e) = crate::journal::anchor::stamp_pending_anchors(&mut branch.parts()) {
        out.errors.push(format!("journal anchors: {e}"));
    }
    match branch.reports().mail_due() {
        Ok(mailed) => out.packs_mailed = mailed.len(),
        Err(e) => out.errors.push(format!("daily pack mail: {e}")),
    }
    // The outbox goes out from here: the counter only queues (a customer never waits on a server).
    let outbox_now = branch.store().now();
    match branch.delivery().send_outbox(outbox_now) {
        Ok((mail, wa)) => {
            out.sent = mail.sent.len() + wa.sent.len();
            if let Some(problem) = wa.problem {
                out.errors.push(format!("whatsapp: {problem}"));
            }
        }
        Err(e) => out.errors.push(format!("outbox: {e}")),
    }
    let floor = store::to_ms(branch.store().now())
        + i64::try_from(
            branch
                .config()
                .delivery
                .send_interval_seconds
                .saturating_mul(1000),
        )
        .unwrap_or(i64::MAX / 2);
    if let Some(due) = branch.delivery().outbox_next_due_ms(floor)? {
        out.next_due_ms = Some(out.next_due_ms.map_or(due, |d| d.min(due)));
    }
    out.purged = purge(branch, now)?;
    if let Err(e) = crate::backup::daily(branch) {
        out.errors.push(format!("daily backup: {e}"));
    }
    if resume_all {
        out.swept = sweep_orphans(branch, ORPHAN_AGE)?;
    }
    Ok(out)
}

/// "Now" as the file system that holds `dir` stamps files: the modification time of a probe file
/// written there. File ages are measured on the clock that set them, so a process whose clock
/// differs (a training clock, a clock corrected since, a network share's server) never sees a
/// file being written this moment as an hour old. The process clock when no probe can be written.
fn file_system_now(dir: &Path) -> std::time::SystemTime {
    let probe = dir.join(format!(".clock-probe-{}", std::process::id()));
    let stamped = std::fs::write(&probe, b"")
        .and_then(|()| std::fs::metadata(&probe))
        .and_then(|m| m.modified());
    let _ = std::fs::remove_file(&probe);
    stamped.unwrap_or_else(|_| std::time::SystemTime::now())
}

/// Removes files of the document store that no unpurged `documents` row names and that are older
/// than `age` (by the file's own time), each with a journal entry; on the branch server also the
/// shared content no row names. Run at start-up: a customer's document must not stay in the data
/// folder or on the server, unpurged, because a crash cut its commit off.
pub fn sweep_orphans(branch: &mut Branch, age: Duration) -> Result<usize, LoketError> {
    let on_server = sweep_server_orphans(branch, age)?;
    Ok(on_server + sweep_local_orphans(branch, age)?)
}

/// The branch server's share of [`sweep_orphans`].
fn sweep_server_orphans(branch: &mut Branch, age: Duration) -> Result<usize, LoketError> {
    let server = branch.store_mut().server_address();
    let docs = Documents::at(branch.data_dir(), server);
    let Some(shared) = docs.shared() else {
        return Ok(0);
    };
    let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
    let swept = shared.sweep(age_ms)?;
    if swept.is_empty() {
        return Ok(0);
    }
    branch.store_mut().write(|tx| {
        for (sha, bytes) in &swept {
            tx.journal(Entry::new(
                "system",
                "document.orphan_removed",
                sha,
                json!({"bytes": bytes, "on": "server"}),
            ))?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(swept.len())
}

/// The data folder's share of [`sweep_orphans`]. On the branch server the folder holds this PC's
/// copies; a copy of a document purged meanwhile goes too.
fn sweep_local_orphans(branch: &mut Branch, age: Duration) -> Result<usize, LoketError> {
    let root = branch.data_dir().join(super::documents::FOLDER);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LoketError::Io {
            what: crate::error::IoWhat::ReadDocumentStore,
            path,
            source,
        }
    };
    let Ok(fans) = std::fs::read_dir(&root) else {
        return Ok(0);
    };
    let cutoff = file_system_now(&root)
        .checked_sub(age)
        .unwrap_or(std::time::UNIX_EPOCH);
    // (sha256 or temporary name, path, bytes)
    let mut old = Vec::new();
    for fan in fans {
        let fan = fan.map_err(io(&root))?.path();
        if !fan.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&fan).map_err(io(&fan))? {
            let file = file.map_err(io(&fan))?;
            let meta = file.metadata().map_err(io(&file.path()))?;
            if !meta.is_file() || meta.modified().map_err(io(&file.path()))? > cutoff {
                continue;
            }
            let name = file.file_name().to_string_lossy().into_owned();
            let prefix = fan
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = match name.strip_suffix(".pdf") {
                Some(rest) if !name.starts_with('.') => format!("{prefix}{rest}"),
                // A temporary file of a write that never finished.
                _ => name,
            };
            old.push((key, file.path(), meta.len()));
        }
    }
    let orphans: Vec<(String, PathBuf, u64)> = branch.store_mut().read(|c| {
        let mut known =
            c.prepare("SELECT 1 FROM documents WHERE sha256 = ?1 AND purged_ms IS NULL")?;
        let mut out = Vec::new();
        for (key, path, bytes) in old {
            if !known.exists([&key])? {
                out.push((key, path, bytes));
            }
        }
        Ok::<_, StoreError>(out)
    })?;
    if orphans.is_empty() {
        return Ok(0);
    }
    let mut removed = Vec::new();
    for (key, path, bytes) in orphans {
        // Looked at again just before: a file stored again meanwhile has a new time.
        let still_old = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t <= cutoff);
        if !still_old {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(LoketError::Io {
                    what: crate::error::IoWhat::RemoveOrphan,
                    path,
                    source,
                });
            }
        }
        removed.push((key, bytes));
    }
    if removed.is_empty() {
        return Ok(0);
    }
    branch.store_mut().write(|tx| {
        for (key, bytes) in &removed {
            tx.journal(Entry::new(
                "system",
                "document.orphan_removed",
                key,
                json!({"bytes": bytes}),
            ))?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(removed.len())
}

/// Stamped jobs with an e-mail address whose customer left: their e-mail is queued and the job
/// marked delivered (the outbox keeps trying).
fn mail_waiting(branch: &mut Branch, errors: &mut Vec<String>) -> Result<usize, LoketError> {
    type Waiting = (i64, Option<String>, Option<String>);
    let waiting: Vec<Waiting> = branch.store_mut().read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, email, whatsapp FROM stamp_jobs WHERE state = 'stamped'
             AND (email IS NOT NULL OR whatsapp IS NOT NULL) ORDER BY id",
        )?;
        let rows = stmt
            .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, StoreError>(rows)
    })?;
    let mut mailed = 0;
    for (id, email, whatsapp) in waiting {
        // Both when both were left: each queue is idempotent per job and address.
        if let Some(number) = whatsapp {
            match branch.delivery().whatsapp_job(id, &number, "system") {
                Ok(_) => mailed += 1,
                Err(e) => errors.push(format!("whatsapp job {id}: {e}")),
            }
        }
        if let Some(to) = email {
            match branch
                .stamping()
                .mail_job(crate::stamping::JobId(id), &to, "system")
            {
                Ok(_) => mailed += 1,
                Err(e) => errors.push(format!("mail job {id}: {e}")),
            }
        }
    }
    Ok(mailed)
}

/// Removes documents whose keep time after delivery has passed; each removal is journalled.
fn purge(branch: &mut Branch, now: i64) -> Result<usize, LoketError> {
    let due: Vec<String> = branch.store_mut().read(|c| {
        let mut stmt = c.prepare(
            "SELECT sha256 FROM documents WHERE purge_after_ms IS NOT NULL AND purge_after_ms <= ?1
             AND purged_ms IS NULL
             AND NOT EXISTS (SELECT 1 FROM stamp_jobs j WHERE (j.document_sha256 = documents.sha256
                 OR j.stamped_sha256 = documents.sha256) AND j.state NOT IN ('delivered', 'cancelled', 'refunded'))",
        )?;
        let rows = stmt
            .query_map([now], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, StoreError>(rows)
    })?;
    let server = branch.store_mut().server_address();
    let docs = Documents::at(branch.data_dir(), server);
    if docs.is_shared() {
        forget_purged_copies(branch, &docs)?;
    }
    let keep_days = branch.config().stamping.keep_days;
    let mut purged = 0;
    for sha in &due {
        docs.remove(sha).map_err(StampingError::from)?;
        // The purge is recorded once: another PC's worker that purged the same document meanwhile
        // has marked it, and this round then records nothing.
        let marked = branch.store_mut().write(|tx| {
            let marked = tx.execute(
                "UPDATE documents SET purged_ms = ?2 WHERE sha256 = ?1 AND purged_ms IS NULL",
                params![sha, tx.now_ms()],
            )?;
            if marked == 0 {
                tx.unchanged();
                return Ok::<_, StoreError>(false);
            }
            tx.journal(Entry::new(
                "system",
                "document.purged",
                sha,
                json!({"keep_days": keep_days}),
            ))?;
            Ok(true)
        })?;
        purged += usize::from(marked);
    }
    Ok(purged)
}

/// The newest purge time whose documents this process has already removed from its data folder.
static COPIES_PURGED_THROUGH: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// On the branch server: removes this PC's copies of documents another PC purged since the last
/// look (this PC's own purges remove theirs at once).
fn forget_purged_copies(branch: &mut Branch, docs: &Documents) -> Result<(), LoketError> {
    let since = COPIES_PURGED_THROUGH.load(Ordering::Relaxed);
    let purged: Vec<(String, i64)> = branch.store_mut().read(|c| {
        let mut stmt = c.prepare(
            "SELECT sha256, purged_ms FROM documents WHERE purged_ms IS NOT NULL AND purged_ms >= ?1",
        )?;
        let rows = stmt
            .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, StoreError>(rows)
    })?;
    let mut through = since;
    for (sha, at) in purged {
        docs.forget_local(&sha).map_err(StampingError::from)?;
        through = through.max(at);
    }
    COPIES_PURGED_THROUGH.store(through, Ordering::Relaxed);
    Ok(())
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    wake: Mutex<bool>,
    bell: Condvar,
    last: Mutex<Option<Round>>,
    /// The last round's error, if it failed (cleared by the next good round).
    failure: Mutex<Option<String>>,
    rounds: AtomicU64,
}

/// The running worker.
#[derive(Debug)]
pub struct Handle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// Run a round now (e.g. a job was just paid while the provider was down).
    pub fn wake(&self) {
        let mut w = self.shared.wake.lock().unwrap_or_else(|p| p.into_inner());
        *w = true;
        self.shared.bell.notify_all();
    }

    /// The last round's report.
    pub fn last_round(&self) -> Option<Round> {
        self.shared
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Why the last round failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Rounds completed so far.
    pub fn rounds(&self) -> u64 {
        self.shared.rounds.load(Ordering::SeqCst)
    }

    /// Stops the thread after its current round.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Starts the worker for the branch in `data_dir`. Its first round resumes every unfinished job.
pub fn start(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Handle, LoketError> {
    let mut branch = Branch::open_with_clock(data_dir, clock)?;
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        wake: Mutex::new(false),
        bell: Condvar::new(),
        last: Mutex::new(None),
        failure: Mutex::new(None),
        rounds: AtomicU64::new(0),
    });
    let s = shared.clone();
    let dir: PathBuf = data_dir.to_path_buf();
    let thread = std::thread::Builder::new()
        .name("stamping-worker".into())
        .spawn(move || {
            let mut first = true;
            while !s.stop.load(Ordering::SeqCst) {
                let result = round(&mut branch, first);
                first = false;
                let sleep = match &result {
                    Ok(r) => r
                        .next_due_ms
                        .map(|due| {
                            let now = store::to_ms(branch.store().now());
                            Duration::from_millis(u64::try_from(due - now).unwrap_or(0))
                        })
                        .unwrap_or(MAX_SLEEP)
                        .clamp(Duration::from_millis(50), MAX_SLEEP),
                    // Kept for the status bar rather than printed: the worker also runs under
                    // the counter's full-screen UI, where a stray line would garble the screen.
                    Err(e) => {
                        *s.failure.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(format!("pekerja meterai {}: {e}", dir.display()));
                        MAX_SLEEP
                    }
                };
                if let Ok(r) = result {
                    *s.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                    *s.failure.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                s.rounds.fetch_add(1, Ordering::SeqCst);
                let mut woken = s.wake.lock().unwrap_or_else(|p| p.into_inner());
                if !*woken && !s.stop.load(Ordering::SeqCst) {
                    woken = s
                        .bell
                        .wait_timeout(woken, sleep)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                *woken = false;
            }
        })
        .map_err(|source| LoketError::Io {
            what: crate::error::IoWhat::StartStampWorker,
            path: data_dir.to_path_buf(),
            source,
        })?;
    Ok(Handle {
        shared,
        thread: Some(thread),
    })
}

/// Whether a job view is one the worker still has to finish.
pub fn is_pending(v: &JobView) -> bool {
    v.state.is_unfinished() || (v.state == job::State::Stamped && v.email.is_some())
}

/// What waits for the stamping worker now, in one line for status bars and `loket worker`:
/// "12 dokumen menunggu e-Meterai — dicoba lagi 14.32 WIB". `None` when nothing waits.
pub fn waiting_line(branch: &mut Branch) -> Result<Option<String>, LoketError> {
    let waiting = branch.stamping().jobs(&JobFilter::Unfinished)?;
    let held = branch
        .stamping()
        .jobs(&JobFilter::OpenPaid)?
        .into_iter()
        .filter(|v| v.state == State::Held)
        .count();
    let mut parts = Vec::new();
    if !waiting.is_empty() {
        let tz = branch.store().timezone();
        let next = waiting.iter().filter_map(|v| v.next_attempt_ms).min();
        let when = match next {
            Some(ms) if ms > store::to_ms(branch.store().now()) => {
                crate::words::current().waiting_retry_at(&crate::when::When::ms(ms, tz).time_zone())
            }
            _ => crate::words::current().waiting_retrying().to_string(),
        };
        parts.push(crate::words::current().waiting_docs(waiting.len(), &when));
    }
    if held > 0 {
        // The supervisor decides in the console's e-Meterai tab (or `loket job settle`).
        parts.push(crate::words::current().waiting_held(held));
    }
    Ok((!parts.is_empty()).then(|| parts.join("; ")))
}

/// `loket worker`: the worker's rounds in the foreground until the process is stopped (a systemd
/// service, a terminal on the supervisor's PC), or one round with `once`. Each round that did
/// something prints a line; so does a change in what waits.
pub fn run_foreground(data_dir: &Path, once: bool) -> Result<Round, LoketError> {
    let mut branch = Branch::open(data_dir)?;
    // WhatsApp status webhooks are received beside the worker when `[whatsapp] webhook_listen` is
    // set (the thread ends with the process).
    if !once
        && let Some(listen) = branch
            .config()
            .whatsapp
            .as_ref()
            .and_then(|w| w.webhook_listen.as_ref())
            .map(|l| l.get_ref().clone())
    {
        let dir = data_dir.to_path_buf();
        let clock = branch.clock().clone();
        let stop = Arc::new(AtomicBool::new(false));
        let _ = std::thread::Builder::new()
            .name("wa-webhook".into())
            .spawn(move || {
                let served =
                    crate::delivery::wa_outbox::serve_webhook(&dir, clock, &listen, stop, |addr| {
                        println!(
                            "{}",
                            crate::words::current().webhook_listening(&addr.to_string())
                        )
                    });
                if let Err(e) = served {
                    eprintln!("galat: webhook WhatsApp: {e}");
                }
            });
    }
    let mut first = true;
    let mut said = None;
    loop {
        let r = round(&mut branch, first)?;
        first = false;
        if r.attempted + r.mailed + r.purged + r.swept + r.packs_mailed + r.sent > 0
            || !r.errors.is_empty()
        {
            println!("{}", crate::words::current().worker_round(&r));
            for e in &r.errors {
                eprintln!("galat: {e}");
            }
        }
        let line = waiting_line(&mut branch)?;
        if line != said {
            println!(
                "{}",
                line.as_deref()
                    .unwrap_or(crate::words::current().worker_nothing_waiting())
            );
            said = line;
        }
        if once {
            return Ok(r);
        }
        let sleep = r
            .next_due_ms
            .map(|due| {
                let now = store::to_ms(branch.store().now());
                Duration::from_millis(u64::try_from(due - now).unwrap_or(0))
            })
            .unwrap_or(MAX_SLEEP)
            .clamp(Duration::from_millis(50), MAX_SLEEP);
        std::thread::sleep(sleep);
    }
}
