//! Intake: a document received, unlocked, placed, quoted and paid, or an earlier job taken up.

use super::StampingService;
use super::run::new_request_id;
use super::settle::paying_line;
use super::{JobView, StampingError, apply_step, job_subject, load, place_json};
use crate::crash;
use crate::journal::Entry;
use crate::pdf::placement::PlacementOptions;
use crate::pdf::{self, IntakeOptions};
use crate::queue::CounterNo;
use crate::stamping::job::JobId;
use crate::stamping::job::{JobError, Place, State, Step};
use crate::store::StoreError;
use crate::store::sql::{OptionalExtension, params};
use crate::till::TillError;
use serde_json::json;

/// A document handed over at the counter.
#[derive(Debug, Clone)]
pub struct ReceiveDocument {
    pub bytes: Vec<u8>,
    pub name: String,
    pub ticket: Option<String>,
    pub counter: u32,
    pub clerk: String,
    pub password: Option<String>,
}

/// The sentence for a document that already carries an e-Meterai (a signature field named like
/// loket's `eMeterai_<SN>`, or one whose reason or signer names a meterai), with its serial when
/// the field name carries one.
fn earlier_emeterai(signatures: &[crate::pdf::intake::ExistingSignature]) -> Option<String> {
    let found: Vec<String> = signatures
        .iter()
        .filter(|s| {
            let named = |t: &Option<String>| {
                t.as_deref()
                    .is_some_and(|t| t.to_ascii_lowercase().contains("meterai"))
            };
            s.field.to_ascii_lowercase().contains("meterai") || named(&s.reason) || named(&s.signer)
        })
        .map(|s| {
            s.field
                .rsplit(['.', '_'])
                .next()
                .filter(|sn| sn.len() >= 10 && sn.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map_or_else(|| s.field.clone(), |sn| format!("SN {sn}"))
        })
        .collect();
    (!found.is_empty()).then(|| crate::words::current().already_stamped(&found.join(", ")))
}

impl StampingService<'_> {
    /// Intake checks, stores the document by SHA-256 and creates the job (`received`) with the
    /// proposed place. A refused document creates no job.
    pub fn receive_document(&mut self, req: ReceiveDocument) -> Result<JobView, StampingError> {
        let name = req.name.trim().to_string();
        if name.is_empty() {
            return Err(StampingError::NoName);
        }
        let opts = IntakeOptions {
            max_bytes: u64::from(self.config.stamping.max_pdf_mb) * 1024 * 1024,
            password: req.password.clone(),
            ..IntakeOptions::default()
        };
        let locked = req.password.as_deref().is_some_and(|p| !p.is_empty());
        let size = req.bytes.len() as u64;
        let prepared = pdf::intake(req.bytes, &opts).map_err(StampingError::from)?;
        let report = prepared.report.clone();
        let placement = pdf::propose(
            &prepared,
            &PlacementOptions {
                size_pt: pdf::mm_to_pt(f64::from(self.config.stamping.stamp_size_mm)),
                ..PlacementOptions::default()
            },
        );
        let proposed = Place {
            page: placement.page,
            x: placement.rect.x0,
            y: placement.rect.y0,
            width: placement.rect.width(),
            height: placement.rect.height(),
        };
        let sha = self
            .documents()
            .put(prepared.bytes())
            .map_err(StampingError::from)?;
        let mut warnings: Vec<String> = report.warnings.iter().map(|w| w.message()).collect();
        if let Some(earlier) = self.paid_before(&sha)? {
            warnings.insert(0, earlier);
        }
        if let Some(stamped) = earlier_emeterai(&report.signatures) {
            warnings.insert(0, stamped);
        }
        let ticket = req
            .ticket
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let id = self.store.write(|tx| {
            let now = tx.now_ms();
            tx.execute(
                "INSERT INTO documents (sha256, bytes, stored_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![sha, size, now],
            )?;
            // A document stored again is kept again (its purge is cancelled).
            tx.execute(
                "UPDATE documents SET purge_after_ms = NULL, purged_ms = NULL WHERE sha256 = ?1",
                [&sha],
            )?;
            let id: i64 = tx.query_row(
                "INSERT INTO stamp_jobs (state, ticket, counter, clerk, document_sha256, document_name, locked,
                     pages, warnings, proposed, created_ms, updated_ms)
                 VALUES ('received', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id",
                params![
                    ticket,
                    req.counter,
                    req.clerk,
                    sha,
                    name,
                    locked,
                    report.pages,
                    serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into()),
                    place_json(&proposed),
                    now
                ],
                |r| r.get(0),
            )?;
            tx.journal(Entry::new(
                &req.clerk,
                "job.received",
                job_subject(crate::stamping::JobId(id)),
                json!({"document": sha, "name": name, "bytes": size, "pages": report.pages,
                       "ticket": ticket, "counter": req.counter, "warnings": warnings, "proposed": proposed}),
            ))?;
            Ok::<_, StampingError>(id)
        })?;
        if let Some(p) = req.password.filter(|p| !p.is_empty()) {
            self.passwords.remember(id, p);
        }
        self.job(crate::stamping::JobId(id))
    }

    /// Gives a locked job's password again (the customer typed it at the counter after a restart or
    /// a move): it is checked against the stored document and kept in this process's memory only.
    pub fn unlock_job(&mut self, job: JobId, password: &str) -> Result<(), StampingError> {
        let row = self.job_row(job)?;
        let bytes = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        pdf::intake(
            bytes,
            &IntakeOptions {
                password: Some(password.to_string()),
                max_bytes: u64::from(self.config.stamping.max_pdf_mb) * 1024 * 1024,
                ..IntakeOptions::default()
            },
        )
        .map_err(StampingError::from)?;
        self.passwords.remember(job.get(), password.to_string());
        Ok(())
    }

    /// Whether the job's document is locked and this process does not hold its password.
    pub fn job_needs_password(&mut self, job: JobId) -> Result<bool, StampingError> {
        let row = self.job_row(job)?;
        Ok(row.locked && self.passwords.get(job.get()).is_none())
    }

    /// When the same document (by SHA-256) was paid for in the last `keep_days`: the sentence the
    /// clerk reads before billing it again.
    fn paid_before(&mut self, sha: &str) -> Result<Option<String>, StampingError> {
        let since = crate::store::to_ms(self.store.now())
            - i64::from(self.config.stamping.keep_days.max(1)) * 86_400_000;
        let found: Option<(i64, i64, Option<String>, i64, String)> = self.store.read(|c| {
            c.query_row(
                "SELECT j.id, j.counter, j.sn, s.paid_ms, j.state FROM stamp_jobs j
                 JOIN sale_lines l ON l.job = j.id JOIN sales s ON s.id = l.sale
                 WHERE j.document_sha256 = ?1 AND s.status IN ('paid', 'partly_refunded')
                   AND s.paid_ms >= ?2 AND j.state NOT IN ('cancelled', 'refunded')
                 ORDER BY s.paid_ms DESC LIMIT 1",
                params![sha, since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(StoreError::from)
        })?;
        let tz = self.config.branch.timezone;
        Ok(found.map(|(job, counter, sn, paid_ms, state)| {
            let when = crate::when::When::ms(paid_ms, tz).full();
            crate::words::current().already_paid(
                &when,
                counter,
                job,
                sn.as_deref(),
                state == "delivered",
            )
        }))
    }

    /// A paid job for the same document as `job` (by SHA-256) in the last `keep_days` that was not
    /// handed over yet: the visit can take it up instead of billing again.
    pub fn earlier_paid_job(&mut self, job: JobId) -> Result<Option<i64>, StampingError> {
        let since = crate::store::to_ms(self.store.now())
            - i64::from(self.config.stamping.keep_days.max(1)) * 86_400_000;
        Ok(self.store.read(|c| {
            c.query_row(
                "SELECT j.id FROM stamp_jobs j
                 JOIN stamp_jobs me ON me.id = ?1 AND me.document_sha256 = j.document_sha256
                 JOIN sale_lines l ON l.job = j.id JOIN sales s ON s.id = l.sale
                 WHERE j.id != ?1 AND s.status IN ('paid', 'partly_refunded') AND s.paid_ms >= ?2
                   AND j.state IN ('paid', 'serial_issued', 'held', 'stamped')
                 ORDER BY s.paid_ms DESC LIMIT 1",
                params![job, since],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)
        })?)
    }

    /// The visit of `ticket` at `counter` takes up `earlier`, a paid job for the same document not
    /// handed over yet, instead of `received` (the copy just brought, cancelled: nothing was paid
    /// for it). Refused when `earlier`'s own visit is still open at another counter (a supervisor
    /// moves that visit instead).
    pub fn take_up_earlier_job(
        &mut self,
        received: JobId,
        earlier: JobId,
        ticket: &str,
        counter: CounterNo,
        clerk: &str,
    ) -> Result<JobView, StampingError> {
        self.store.write(|tx| {
            let row = load(tx, earlier)?;
            if !matches!(
                row.job.state,
                State::Paid | State::SerialIssued | State::Held | State::Stamped
            ) {
                return Err(StampingError::Job(JobError::WrongState {
                    id: earlier.get(),
                    state: row.job.state,
                }));
            }
            let open_elsewhere: Option<u32> = tx
                .query_row(
                    "SELECT t.counter FROM stamp_jobs j
                     JOIN tickets t ON t.counter = j.counter AND t.status IN ('called', 'serving')
                       AND t.issued_service || '-' || CASE WHEN t.number < 10 THEN '00' WHEN t.number < 100 THEN '0' ELSE '' END || t.number = j.ticket
                     WHERE j.id = ?1 AND t.counter != ?2
                     ORDER BY t.id DESC LIMIT 1",
                    params![earlier, counter],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = open_elsewhere {
                return Err(StampingError::OpenElsewhere {
                    job: earlier.get(),
                    counter: other,
                });
            }
            let now = tx.now_ms();
            tx.execute(
                "UPDATE stamp_jobs SET ticket = ?2, counter = ?3, adopted_ms = ?4, updated_ms = ?4 WHERE id = ?1",
                params![earlier, ticket, counter, now],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.taken_up",
                job_subject(earlier),
                json!({"ticket": ticket, "counter": counter, "from_ticket": row.job.ticket, "instead_of": received}),
            ))?;
            Ok(())
        })?;
        // The copy just brought was never billed: it goes (a failure leaves it for the purge).
        let _ = self.cancel_job(received, clerk);
        self.job(earlier)
    }

    /// Sets where the stamp goes (`placed`).
    pub fn place_job(
        &mut self,
        job: JobId,
        clerk: &str,
        place: Place,
    ) -> Result<JobView, StampingError> {
        self.store.write(|tx| {
            let row = load(tx, job)?;
            if place.page > row.pages && row.pages > 0 {
                return Err(StampingError::PageOutOfRange {
                    page: place.page,
                    pages: row.pages,
                });
            }
            apply_step(tx, clerk, job, &Step::Place(place), json!({"place": place}))
        })?;
        crash::point("placed");
        self.job(job)
    }

    /// Adds one `meterai` line linked to the job to `sale` (or a new sale for the job's ticket at
    /// `counter`) and returns the sale id. A job already on a live sale line is not charged again.
    pub fn quote_job(
        &mut self,
        job: JobId,
        counter: CounterNo,
        clerk: &str,
        sale: Option<i64>,
    ) -> Result<i64, StampingError> {
        let row = self.job_row(job)?;
        if !matches!(row.job.state, State::Received | State::Placed) {
            return Err(StampingError::Job(JobError::WrongState {
                id: job.get(),
                state: row.job.state,
            }));
        }
        if let Some((existing, _, _)) = self
            .store
            .read(|c| paying_line(c, job).map_err(StoreError::from))?
        {
            return Ok(existing);
        }
        let sale = match sale {
            Some(s) => s,
            None => {
                // The job's ticket as stored (it came from the counter or `--ticket`).
                let ticket = row
                    .job
                    .ticket
                    .as_deref()
                    .map(|t| t.parse().map_err(|_| TillError::BadTicket(t.to_string())))
                    .transpose()?;
                (self
                    .parts()
                    .till()
                    .new_sale(counter, clerk, ticket.as_ref())?
                    .id)
                    .get()
            }
        };
        self.parts().till().add_to_sale(
            crate::till::SaleId(sale),
            clerk,
            "meterai",
            1,
            Some(job.get()),
        )?;
        Ok(sale)
    }

    /// After the sale is paid: checks it and moves the job to `paid`, storing the serial request's
    /// idempotency key before any provider call.
    pub fn job_paid(&mut self, job: JobId, clerk: &str) -> Result<JobView, StampingError> {
        self.store.write(|tx| {
            let row = load(tx, job)?;
            let (sale, line, status) =
                paying_line(tx, job)?.ok_or(StampingError::NotQuoted(job))?;
            if row.job.state != State::Placed && row.job.sale_id == Some(sale) {
                // Paid already (a repeated call): nothing to do.
                tx.unchanged();
                return Ok(());
            }
            if status != "paid" {
                return Err(StampingError::NotPaid { job, sale });
            }
            let request_id = new_request_id(job, 1);
            apply_step(
                tx,
                clerk,
                job,
                &Step::Paid {
                    sale_id: sale,
                    request_id: request_id.clone(),
                },
                json!({"sale": sale, "line": line, "request_id": request_id}),
            )?;
            Ok(())
        })?;
        crash::point("paid");
        self.job(job)
    }

    /// A page of the job's document as the reader shows it (its box and turn), for a place the
    /// clerk gives in millimetres from the shown top-left corner.
    pub fn job_page_frame(
        &mut self,
        job: JobId,
        page: u32,
    ) -> Result<pdf::PageFrame, StampingError> {
        let row = self.job_row(job)?;
        let bytes = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        let prepared = pdf::intake(
            bytes,
            &IntakeOptions {
                password: self.passwords.get(job.get()),
                ..IntakeOptions::default()
            },
        )
        .map_err(StampingError::from)?;
        let frame = prepared
            .page_frame(page)
            .ok_or(StampingError::PageOutOfRange {
                page,
                pages: row.pages,
            })?;
        Ok(frame)
    }
}
