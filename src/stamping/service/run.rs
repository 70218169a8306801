//! Running a paid job: a serial issued, the document stamped and checked, failures recorded.

use super::StampingService;
use super::{
    JobStage, JobView, LOCK_FOLDER, Row, StampingError, apply_step, cache_key, job_subject,
    providers,
};
use crate::journal::Entry;
use crate::stamping::job::JobId;
use crate::stamping::job::{self, JobError, Place, State, Step};
use crate::stamping::ledger;
use crate::stamping::provider::{
    self, IssueRequest, NextStep, Provider, ProviderError, ProviderSetup, StampRequest,
};
use crate::stamping::request_id::RequestId;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::store::{StoreError, Tx};
use crate::{crash, pdf};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most spoiled serials replaced within one `run_job` before the job waits for the worker.
const MAX_SPOILED_PER_RUN: u32 = 3;

/// Serials the local path tries before it leaves the job to the two-step path (another process
/// drawing the same serial at the same moment is the only reason to try again).
const LOCAL_DRAW_TRIES: u32 = 4;

/// How the local provider's one-commit path ended.
enum Local {
    Stamped,
    /// The job stays `paid`; what failed decides between waiting and failing for good.
    Failed(ProviderError),
    /// Not this way (no serial to hold): the two-step path takes the job.
    TwoStep,
}

/// Records a stored, checked output in `tx`: its document row, the serial as stamped in the
/// ledger, and the job's `stamped` step.
fn record_stamped(
    tx: &mut Tx<'_>,
    id: JobId,
    sn: &str,
    sha: &str,
    bytes: usize,
) -> Result<(), StampingError> {
    tx.execute(
        "INSERT INTO documents (sha256, bytes, stored_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![sha, bytes, tx.now_ms()],
    )?;
    ledger::mark_stamped(tx, sn)?;
    apply_step(
        tx,
        "system",
        id,
        &Step::Stamped {
            sha256: sha.to_string(),
        },
        json!({"sn": sn, "output": sha, "bytes": bytes}),
    )?;
    Ok(())
}

pub(super) fn new_request_id(job: JobId, n: u32) -> String {
    RequestId::new(job, n).to_string()
}

/// The request number of a stored request id, to number its successor (0 when there is none).
pub(super) fn request_number(request_id: Option<&str>) -> u32 {
    request_id
        .and_then(|r| r.parse::<RequestId>().ok())
        .map_or(0, |r| r.n)
}

fn retry_message(e: &ProviderError, local: bool) -> String {
    match e {
        ProviderError::QuotaExhausted { .. } if local => {
            crate::words::current().local_stock_empty().into()
        }
        other => other.to_string(),
    }
}

impl StampingService<'_> {
    /// The serial ledger's counts, by status and by lot.
    pub fn serial_inventory(&mut self) -> Result<ledger::Inventory, StampingError> {
        self.store
            .read(|c| ledger::inventory(c).map_err(StampingError::from))
    }

    /// The spoiled serials to claim back from the provider.
    pub fn serial_claims(&mut self) -> Result<Vec<ledger::Claim>, StampingError> {
        self.store
            .read(|c| ledger::claims(c).map_err(StampingError::from))
    }

    /// What the provider is asked to stamp: `original` with `sn` in the job's box, the branch's
    /// reason and location; no stamp image or upload handle (the Peruri path adds its own).
    fn stamp_request(
        &self,
        row: &Row,
        place: Place,
        request_id: String,
        sn: &str,
        original: &[u8],
    ) -> StampRequest {
        StampRequest {
            request_id,
            sn: sn.to_string(),
            document: provider::Document::Bytes(original.to_vec()),
            page: place.page,
            // fits: page coordinates (at most 14 400 pt) keep well under a thousandth of a point
            // as f32, the precision the provider's API carries.
            #[allow(clippy::cast_possible_truncation)]
            rect: provider::Rect {
                llx: place.x as f32,
                lly: place.y as f32,
                urx: (place.x + place.width) as f32,
                ury: (place.y + place.height) as f32,
            },
            reason: self.config.stamping.doc_type_name.clone(),
            location: self.config.stamping.location.clone(),
            password: self.passwords.get(row.job.id.get()),
            stamp_image: None,
            handle: None,
        }
    }

    fn is_local_provider(&self) -> bool {
        self.config.stamping.provider != "peruri"
    }

    /// The roots a stamped output must chain to: the branch's training CA for the local provider,
    /// `[stamping.peruri] root_certs` for Peruri (none configured: nothing is trusted, and the
    /// jobs wait saying so).
    fn trust_roots(&self) -> Result<Vec<x509_cert::Certificate>, ProviderError> {
        let files: Vec<PathBuf> = if self.is_local_provider() {
            vec![
                pdf::pki::TrainingPkiPaths::in_dir(&self.data_dir.join(crate::branch::PKI_FOLDER))
                    .ca_cert,
            ]
        } else {
            self.config
                .stamping
                .peruri
                .as_ref()
                .map(|p| p.root_certs.iter().map(|f| self.data_dir.join(f)).collect())
                .unwrap_or_default()
        };
        let mut roots = Vec::new();
        for file in files {
            roots.extend(pdf::load_roots(&file).map_err(|e| {
                ProviderError::Config(ProviderSetup::RootCertificates {
                    file: file.display().to_string(),
                    why: e.to_string(),
                })
            })?);
        }
        Ok(roots)
    }

    /// Compares loket's ledger with the provider: counts of issued-but-unstamped serials and the
    /// remaining quota, and every serial the provider lists as issued-not-stamped that loket does
    /// not know, read page by page. A provider that cannot be asked is an error; a list that
    /// breaks off halfway is a discrepancy saying so (the counts still stand).
    pub fn reconcile_serials(&mut self) -> Result<ledger::Reconciliation, StampingError> {
        // Enough pages for any branch's unstamped serials; a list that never ends is not followed.
        const MAX_PAGES: u64 = 1_000;
        let page_size = self
            .config
            .stamping
            .peruri
            .as_ref()
            .map_or(500, |p| p.list_page_size.max(1));
        let provider = self.stamping_provider()?;
        let inventory = self.serial_inventory()?;
        let quota = provider.quota().map_err(StampingError::from)?;
        let mut rec = ledger::reconcile(&inventory, quota.not_stamped, Some(quota.remaining));
        // The provider's count of issued-unused serials includes those loket recorded as spoiled
        // (refused by the adapter, settled by a supervisor) that Peruri still shows unused: they
        // are expected, and claimable. So the count is compared after the list is read.
        rec.discrepancies.clear();
        let mut spoiled_listed = 0u64;
        let mut listed = 0u64;
        let mut complete = false;
        for n in 0..MAX_PAGES {
            let filter = provider::ListFilter {
                state: Some(provider::SerialState::NotStamped),
                start: n * u64::from(page_size),
                length: page_size,
            };
            let page = match provider.list_serials(&filter) {
                Ok(page) => page,
                Err(e) => {
                    rec.discrepancies.push(
                        crate::words::current()
                            .serial_list_unreadable(filter.start, &e.to_string()),
                    );
                    break;
                }
            };
            listed += page.items.len() as u64;
            // What loket knows of each listed serial; one it does not know was issued for a
            // request whose reply came too late: it is recorded as spoiled, to be claimed.
            // Counted inside the change: a change the server runs again counts afresh.
            let (notes, spoiled): (Vec<String>, u64) = self.store.write(|tx| {
                let mut notes = Vec::new();
                let mut spoiled_listed = 0u64;
                let mut recorded = false;
                for entry in &page.items {
                    let status: Option<String> = tx
                        .query_row(
                            "SELECT status FROM serials WHERE sn = ?1",
                            [&entry.sn],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match status.as_deref() {
                        Some("issued") => {}
                        Some("spoiled") => spoiled_listed += 1,
                        Some(other) => notes
                            .push(crate::words::current().serial_status_mismatch(&entry.sn, other)),
                        None if !is_own_request(tx, entry.file.as_deref())? => {
                            // Another system on the same account, or a request loket never made.
                            notes.push(crate::words::current().serial_unknown_here(&entry.sn));
                        }
                        None => {
                            spoiled_listed += 1;
                            if ledger::record_orphan(tx, &entry.sn, "peruri", ORPHAN_REASON)
                                .map_err(StampingError::from)?
                            {
                                recorded = true;
                                tx.journal(Entry::new(
                                    "system",
                                    "serial.orphan_recorded",
                                    &entry.sn,
                                    json!({"file": entry.file, "issued": entry.issued}),
                                ))?;
                            }
                            notes.push(crate::words::current().serial_orphan_recorded(&entry.sn));
                        }
                    }
                }
                if !recorded {
                    tx.unchanged();
                }
                Ok::<_, StampingError>((notes, spoiled_listed))
            })?;
            spoiled_listed += spoiled;
            rec.discrepancies.extend(notes);
            let read = filter.start + page.items.len() as u64;
            if page.items.len() < page_size as usize || read >= page.total {
                complete = true;
                break;
            }
        }
        // Only a list read to its end says what the provider's count should be.
        let expected = inventory.issued + spoiled_listed;
        if complete && quota.not_stamped != expected {
            rec.discrepancies
                .push(crate::words::current().serial_count_mismatch(
                    quota.not_stamped,
                    listed,
                    inventory.issued,
                    spoiled_listed,
                ));
        }
        Ok(rec)
    }

    /// The provider this branch stamps with; built once per data folder and process so that the
    /// circuit breaker and token cache survive between calls.
    pub fn stamping_provider(&self) -> Result<Arc<dyn Provider>, StampingError> {
        let key = cache_key(self.data_dir);
        let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, p)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(p.clone());
        }
        let provider: Arc<dyn Provider> = if self.is_local_provider() {
            Arc::new(
                crate::stamping::local::LocalProvider::open(
                    self.data_dir,
                    self.config,
                    self.clock().clone(),
                )
                .map_err(StampingError::from)?,
            )
        } else {
            Arc::new(
                crate::stamping::peruri::PeruriProvider::from_config(&self.config.stamping)
                    .map_err(StampingError::from)?
                    .ok_or_else(|| {
                        StampingError::Provider(ProviderError::Config(
                            ProviderSetup::PeruriSectionUnfilled,
                        ))
                    })?,
            )
        };
        cache.push((key, provider.clone()));
        Ok(provider)
    }

    /// Whether another runner (the background worker, another process) is stamping the job right
    /// now: its per-job lock is held.
    pub fn job_running_elsewhere(&self, job: JobId) -> Result<bool, StampingError> {
        Ok(lock_job(self.data_dir, self.store.server_address(), job)?.is_none())
    }

    /// Issues the serial (once per job) and stamps, verifies and stores the output: `stamped`. A
    /// provider that is down or busy leaves the job `paid`/`serial_issued` with its next attempt
    /// scheduled; the returned view's `message` says the customer can leave with a claim receipt.
    pub fn run_job(
        &mut self,
        job: JobId,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<JobView, StampingError> {
        let provider = self.stamping_provider()?;
        self.run_job_with(job, provider.as_ref(), progress)
    }

    /// [`Branch::run_job`] with a given provider. A job another process is running right now (a
    /// counter, the supervisor console, `loket worker`) is left to it: its view is returned as it
    /// stands.
    pub fn run_job_with(
        &mut self,
        job: JobId,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<JobView, StampingError> {
        let Some(_running) = lock_job(self.data_dir, self.store.server_address(), job)? else {
            return self.job(job);
        };
        let mut spoiled = 0;
        loop {
            let row = self.job_row(job)?;
            // A locked document is stamped only by a process that was given its password (it is
            // never stored): before any serial is asked for, not half-way.
            if row.locked
                && matches!(row.job.state, State::Paid | State::SerialIssued)
                && self.passwords.get(job.get()).is_none()
            {
                return Err(StampingError::PasswordNeeded(job));
            }
            match row.job.state {
                State::Paid => {
                    // A job whose serial was asked for before (an earlier run went the two-step
                    // way) goes on that way: the request is looked up, never drawn twice.
                    if let Some(local) = provider.as_local()
                        && row.sn_requested_ms.is_none()
                    {
                        match self.run_local(&row, local, progress)? {
                            Local::Stamped => return self.job(job),
                            Local::Failed(e) => return self.provider_failed(&row, e),
                            Local::TwoStep => {}
                        }
                    }
                    if let Err(e) = self.issue_serial(&row, provider, progress)? {
                        return self.provider_failed(&row, e);
                    }
                }
                State::SerialIssued => match self.stamp_job(&row, provider, progress)? {
                    Ok(()) => return self.job(job),
                    Err(e) if e.next_step() == NextStep::NewSerial => {
                        self.serial_spoiled(&row, &e)?;
                        spoiled += 1;
                        if spoiled >= MAX_SPOILED_PER_RUN {
                            let row = self.job_row(job)?;
                            return self.provider_failed(&row, e);
                        }
                    }
                    Err(e) => return self.provider_failed(&row, e),
                },
                _ => return self.job(job),
            }
        }
    }

    /// The local provider's path from `paid` to `stamped` with one commit. The next available
    /// serial is held in memory (not drawn), the document is stamped with it, checked and stored
    /// (file and folder synced), and then ONE transaction draws the serial, if it is still
    /// available, and records `job.serial_requested`, `serial.drawn`, `job.serial_issued` and
    /// `job.stamped`. Before that commit nothing is drawn: a crash leaves the job `paid` and the
    /// inventory whole (at most an output file no job points at). A serial another process drew
    /// meanwhile is let go with its output, and the next one is tried.
    fn run_local(
        &mut self,
        row: &Row,
        local: &crate::stamping::local::LocalProvider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Local, StampingError> {
        let id = row.job.id;
        let request_id = row
            .job
            .request_id
            .clone()
            .ok_or(StampingError::NotQuoted(id))?;
        let place = row
            .job
            .place
            .ok_or(StampingError::Job(JobError::NotPlaced))?;
        let original = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        for attempt in 0..LOCAL_DRAW_TRIES {
            let look = local.held() + 1;
            let candidates = self
                .store
                .read(|c| ledger::next_available(c, look).map_err(StampingError::from))?;
            // An empty inventory (or a first run that still has to load the training lot) is the
            // two-step path's to handle: it loads the lot or reports the empty inventory.
            let Some(held) = local.reserve(&candidates) else {
                return Ok(Local::TwoStep);
            };
            let sn = held.sn().to_string();
            if attempt == 0 {
                progress(JobStage::IssuingSerial);
            }
            crash::point("serial_received");
            progress(JobStage::Stamping);
            let request = self.stamp_request(row, place, request_id.clone(), &sn, &original);
            let stamped = match local.stamp(&request) {
                Ok(b) => b,
                Err(e) => return Ok(Local::Failed(e)),
            };
            progress(JobStage::Verifying);
            let roots = self.trust_roots().map_err(StampingError::from)?;
            let password = self.passwords.get(id.get());
            if let Err(why) = check_output(&original, &stamped, &sn, password.as_deref(), &roots) {
                return Ok(Local::Failed(ProviderError::Protocol {
                    detail: format!("stamped output failed its check: {why}"),
                }));
            }
            let docs = self.documents();
            let sha = docs.put(&stamped).map_err(StampingError::from)?;
            progress(JobStage::Stored);
            crash::point("stamp_written");
            let drawn = self.store.write(|tx| {
                if !ledger::draw(tx, &sn, id, &row.job.document_sha256)? {
                    tx.unchanged();
                    return Ok::<_, StampingError>(false);
                }
                tx.execute(
                    "UPDATE serials SET request_id = ?2 WHERE sn = ?1",
                    params![sn, request_id],
                )?;
                tx.execute(
                    "UPDATE stamp_jobs SET sn_requested_ms = ?2 WHERE id = ?1",
                    params![id, tx.now_ms()],
                )?;
                tx.journal(Entry::new(
                    "system",
                    "job.serial_requested",
                    job_subject(id),
                    json!({"request_id": request_id}),
                ))?;
                tx.journal(Entry::new(
                    "system",
                    "serial.drawn",
                    &sn,
                    json!({"job": id, "request_id": request_id, "document": row.job.document_sha256}),
                ))?;
                apply_step(
                    tx,
                    "system",
                    id,
                    &Step::SerialIssued { sn: sn.clone() },
                    json!({"sn": sn, "request_id": request_id, "reconciled": false, "provider": "local"}),
                )?;
                record_stamped(tx, id, &sn, &sha, stamped.len())?;
                Ok(true)
            })?;
            drop(held);
            if drawn {
                // One commit holds all three transitions; a crash test naming any of them stops here.
                for point in ["serial_requested", "serial_issued", "stamped"] {
                    crash::point(point);
                }
                return Ok(Local::Stamped);
            }
            // The output carries a serial that is not ours: it must never be delivered.
            docs.remove(&sha).map_err(StampingError::from)?;
        }
        Ok(Local::TwoStep)
    }

    fn issue_serial(
        &mut self,
        row: &Row,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Result<(), ProviderError>, StampingError> {
        let id = row.job.id;
        let request_id = row
            .job
            .request_id
            .clone()
            .ok_or(StampingError::NotQuoted(id))?;
        let attempted_before = row.sn_requested_ms.is_some();
        let document = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        let request = IssueRequest {
            request_id: request_id.clone(),
            doc_type: self.config.stamping.doc_type.clone(),
            file_name: row.job.document_name.clone(),
            doc_date: self
                .store
                .now()
                .to_offset(self.store.timezone().offset())
                .date(),
            value: 0,
            sha256: row.job.document_sha256.clone(),
            document: Some(document),
            attempted_before,
        };
        if !attempted_before {
            // An upload the provider needs first (Peruri's cloud mode) is stored with the request
            // id, so that after a restart the serial is recovered and stamped on that upload.
            let upload = match provider.upload_document(&request) {
                Ok(u) => u,
                Err(e) => return Ok(Err(e)),
            };
            self.store.write(|tx| {
                tx.execute(
                    "UPDATE stamp_jobs SET sn_requested_ms = ?2, handle = COALESCE(?3, handle) WHERE id = ?1",
                    params![id, tx.now_ms(), upload],
                )?;
                tx.journal(Entry::new(
                    "system",
                    "job.serial_requested",
                    job_subject(id),
                    json!({"request_id": request_id, "upload": upload}),
                ))?;
                Ok::<_, StoreError>(())
            })?;
            crash::point("serial_requested");
        } else if let Some(handle) = &row.handle {
            provider.resume_upload(&request_id, handle);
        }
        progress(JobStage::IssuingSerial);
        let issued = match provider.issue_serial_once(&request) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        crash::point("serial_received");
        let provider_name = if self.is_local_provider() {
            "local"
        } else {
            "peruri"
        };
        self.store.write(|tx| {
            ledger::record_issued(tx, &issued.sn, provider_name, id, &row.job.document_sha256)?;
            tx.execute(
                "UPDATE serials SET job_id = ?2, document_sha256 = ?3, request_id = ?4 WHERE sn = ?1",
                params![issued.sn, id, row.job.document_sha256, request_id],
            )?;
            tx.execute(
                "UPDATE stamp_jobs SET stamp_image = ?2, handle = ?3 WHERE id = ?1",
                params![id, issued.stamp_image, issued.handle],
            )?;
            apply_step(
                tx,
                "system",
                id,
                &Step::SerialIssued {
                    sn: issued.sn.clone(),
                },
                json!({"sn": issued.sn, "request_id": request_id, "reconciled": issued.reconciled, "provider": provider_name}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("serial_issued");
        Ok(Ok(()))
    }

    fn stamp_job(
        &mut self,
        row: &Row,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Result<(), ProviderError>, StampingError> {
        let id = row.job.id;
        let sn = row.job.sn.clone().unwrap_or_default();
        let place = row
            .job
            .place
            .ok_or(StampingError::Job(JobError::NotPlaced))?;
        progress(JobStage::Stamping);
        let original = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        // Peruri's adapter re-copies an unsigned PDF older than 1.6 into a new 1.7 file before it
        // signs, and that output no longer contains the customer's file. loket sends such a file
        // as 1.7 itself (the header rewritten in place, nothing moved), and the upgraded file is
        // the revision the output must contain.
        let original = if self.is_local_provider() {
            original
        } else {
            pdf::upgraded_to_1_7(&original).unwrap_or(original)
        };
        let request = StampRequest {
            stamp_image: row.stamp_image.clone(),
            handle: row.handle.clone(),
            ..self.stamp_request(
                row,
                place,
                row.job.request_id.clone().unwrap_or_default(),
                &sn,
                &original,
            )
        };
        let roots = match self.trust_roots() {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let password = self.passwords.get(id.get());
        // A run that crashed after the provider stamped but before the output was recorded left
        // it under the job's id: use it rather than stamp again with the same serial (Peruri
        // refuses a serial that already stamped, and the serial would be spoiled).
        let docs = self.documents();
        let left_over = docs.pending(id).filter(|bytes| {
            let usable = check_output(&original, bytes, &sn, password.as_deref(), &roots).is_ok();
            if !usable {
                docs.clear_pending(id);
            }
            usable
        });
        let resumed = left_over.is_some();
        let stamped = match left_over {
            Some(bytes) => bytes,
            None => match provider.stamp(&request) {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            },
        };
        progress(JobStage::Verifying);
        if !resumed
            && let Err(why) = check_output(&original, &stamped, &sn, password.as_deref(), &roots)
        {
            // Not delivered, not recorded. An untrusted output stays with the provider (the right
            // root may still be configured) and the job waits, the supervisor told why. A wrong
            // one is let go: the next attempt stamps again with the same serial, and if Peruri
            // counts that serial as used, the job is held for a person, never retried forever.
            let e = StampingError::BadOutput {
                sn: sn.clone(),
                why: why.to_string(),
            };
            return Ok(Err(match why {
                OutputProblem::Untrusted(detail) => ProviderError::Untrusted {
                    sn: sn.clone(),
                    detail,
                },
                OutputProblem::Bad(why) => {
                    provider.release(&sn);
                    ProviderError::Protocol {
                        detail: format!("stamped output failed its check: {why} ({e})"),
                    }
                }
            }));
        }
        if !resumed {
            docs.put_pending(id, &stamped)
                .map_err(StampingError::from)?;
            crash::point("stamp_received");
        }
        provider.release(&sn);
        let sha = docs.put(&stamped).map_err(StampingError::from)?;
        // No read-back: `put` hashed exactly the checked bytes, and every later read (delivery,
        // e-mail) checks the file against that hash.
        progress(JobStage::Stored);
        crash::point("stamp_written");
        self.store
            .write(|tx| record_stamped(tx, id, &sn, &sha, stamped.len()))?;
        docs.clear_pending(id);
        crash::point("stamped");
        Ok(Ok(()))
    }

    fn serial_spoiled(&mut self, row: &Row, e: &ProviderError) -> Result<(), StampingError> {
        let id = row.job.id;
        let sn = row.job.sn.clone().unwrap_or_default();
        let new_request_id = new_request_id(id, request_number(row.job.request_id.as_deref()) + 1);
        self.store.write(|tx| {
            ledger::mark_spoiled(tx, &sn, &e.detail())?;
            tx.execute(
                "UPDATE stamp_jobs SET sn_requested_ms = NULL, stamp_image = NULL, handle = NULL WHERE id = ?1",
                [id],
            )?;
            apply_step(
                tx,
                "system",
                id,
                &Step::SerialSpoiled {
                    new_request_id: new_request_id.clone(),
                },
                json!({"sn": sn, "reason": e.detail(), "new_request_id": new_request_id}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("serial_spoiled");
        Ok(())
    }

    /// A provider call failed: wait and retry later, or hold the job for a person's decision (a
    /// serial already issued is then recorded as spoiled, so it stays accounted for). Never a
    /// machine's "failed".
    fn provider_failed(&mut self, row: &Row, e: ProviderError) -> Result<JobView, StampingError> {
        let id = row.job.id;
        let local = self.is_local_provider();
        match e.next_step() {
            NextStep::RetryLater | NextStep::NewSerial => {
                let after = match &e {
                    ProviderError::RetryLater { after } => {
                        i64::try_from(after.as_millis()).unwrap_or(i64::MAX)
                    }
                    _ => 0,
                };
                let delay = job::backoff_ms(row.job.attempts, fastrand::u32(..1000)).max(after);
                let text = retry_message(&e, local);
                self.store.write(|tx| {
                    let next_attempt = tx.now_ms().saturating_add(delay);
                    apply_step(
                        tx,
                        "system",
                        id,
                        &Step::Wait {
                            error: text.clone(),
                            next_attempt,
                        },
                        json!({"error": e.detail(), "next_attempt_ms": next_attempt}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
            }
            NextStep::AskPerson => {
                let text = e.to_string();
                self.store.write(|tx| {
                    // A serial Peruri counts as used is accounted for: spoiled, to be claimed.
                    if row.job.state == State::SerialIssued
                        && let Some(sn) = &row.job.sn
                    {
                        ledger::mark_spoiled(tx, sn, &e.detail())?;
                    }
                    apply_step(
                        tx,
                        "system",
                        id,
                        &Step::Hold {
                            reason: text.clone(),
                        },
                        json!({"error": e.detail(), "sn": row.job.sn}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
                crash::point("held");
            }
        }
        self.job(id)
    }
}

/// Whether a file name from Peruri's SN list is one of this branch's requests (named after a
/// [`RequestId`], see `peruri_file_name`) for a job this branch has.
fn is_own_request(c: &Connection, file: Option<&str>) -> crate::store::sql::Result<bool> {
    let Some(job) = file.and_then(RequestId::of_file_name).map(|r| r.job) else {
        return Ok(false);
    };
    c.query_row("SELECT 1 FROM stamp_jobs WHERE id = ?1", [job], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Why an SN Peruri issued that no job holds is in the claims list.
const ORPHAN_REASON: &str = "terbit di Peruri tanpa pekerjaan (balasan terlambat); tidak terpakai";

/// A job's run lock, held while it runs; released when dropped or when its process dies.
enum RunLock {
    /// On the embedded file: an exclusive `flock`.
    File(#[expect(dead_code, reason = "held for its lock, never read")] std::fs::File),
    /// On the branch server: a session lock on a connection of its own, for every PC at once.
    Server(#[expect(dead_code, reason = "held for its lock, never read")] crate::store::JobLock),
}

/// Takes the run lock of job `id`, so two processes never run one job at once (never ask for its
/// serial twice, never sign it twice): on one PC an exclusive `flock` on
/// `DATA/locks/job-<id>.lock`; on the branch server a session lock every PC sees, on a connection
/// of its own. `None` when another process holds it. The kernel (or the server, when the
/// connection goes) releases it when the process dies, so a killed worker never leaves a job
/// locked.
fn lock_job(
    data_dir: &Path,
    server: Option<crate::store::ServerAddress>,
    id: JobId,
) -> Result<Option<RunLock>, StampingError> {
    if let Some(address) = server {
        return Ok(crate::store::JobLock::try_take(&address, id.get())?.map(RunLock::Server));
    }
    Ok(lock_job_file(data_dir, id)?.map(RunLock::File))
}

fn lock_job_file(data_dir: &Path, id: JobId) -> Result<Option<std::fs::File>, StampingError> {
    let dir = data_dir.join(LOCK_FOLDER);
    let path = dir.join(format!("job-{id}.lock"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StampingError::Io {
            what: crate::error::IoWhat::JobLockUnmade,
            path,
            source,
        }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// Why a stamped output is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OutputProblem {
    /// A valid signature with the job's serial that does not chain to a configured root: kept
    /// where it is (it may be fine once the right root is configured) and the job waits.
    Untrusted(String),
    /// Not the customer's document stamped with the job's serial.
    Bad(String),
}

impl std::fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputProblem::Untrusted(why) => write!(f, "not trusted: {why}"),
            OutputProblem::Bad(why) => f.write_str(why),
        }
    }
}

/// Checks a stamped output before it is stored: the original revision unchanged at its start, and
/// a valid signature carrying the job's serial number that chains to one of `roots`.
fn check_output(
    original: &[u8],
    stamped: &[u8],
    sn: &str,
    password: Option<&str>,
    roots: &[x509_cert::Certificate],
) -> Result<(), OutputProblem> {
    if !stamped.starts_with(original) {
        return Err(OutputProblem::Bad(
            "the original revision was changed".into(),
        ));
    }
    let report = pdf::verify_pdf_with_roots(stamped, password, roots)
        .map_err(|e| OutputProblem::Bad(e.to_string()))?;
    let last = report
        .signatures
        .last()
        .ok_or_else(|| OutputProblem::Bad("no signature".to_string()))?;
    if !last.valid {
        return Err(OutputProblem::Bad(
            last.problem
                .clone()
                .unwrap_or_else(|| "signature not valid".into()),
        ));
    }
    if last.serial.as_deref() != Some(sn) {
        return Err(OutputProblem::Bad(format!(
            "signature carries serial {:?}, expected {sn}",
            last.serial
        )));
    }
    if last.trusted != Some(true) {
        return Err(OutputProblem::Untrusted(
            match (&last.trust_problem, roots.is_empty()) {
                (_, true) => "no root certificate configured".to_string(),
                (Some(p), false) => p.to_string(),
                (None, false) => "no chain to a configured root".to_string(),
            },
        ));
    }
    Ok(())
}
