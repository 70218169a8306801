//! Delivery of a stamped job: its output, to a drive, by mail or WhatsApp, and the visit.

use super::StampingService;
use super::{JobView, StampingError, apply_step, job_subject, load};
use crate::crash;
use crate::delivery::Context;
use crate::journal::Entry;
use crate::queue::CounterNo;
use crate::stamping::job::{JobId, Sn, State, Step};
use crate::store::StoreError;
use crate::store::sql::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The verified stamped file of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobOutput {
    /// In the document store.
    pub path: PathBuf,
    pub sha256: String,
    /// The name the customer gets.
    pub file_name: String,
    pub sns: Vec<Sn>,
}

fn output_name(document_name: &str) -> String {
    let stem = document_name
        .strip_suffix(".pdf")
        .or_else(|| document_name.strip_suffix(".PDF"))
        .unwrap_or(document_name);
    format!("{stem}-emeterai.pdf")
}

impl StampingService<'_> {
    /// The verified stamped file of a stamped or delivered job.
    pub fn job_output(&mut self, job: JobId) -> Result<JobOutput, StampingError> {
        let row = self.job_row(job)?;
        let (Some(sha), true) = (
            row.job.stamped_sha256.clone(),
            matches!(row.job.state, State::Stamped | State::Delivered),
        ) else {
            return Err(StampingError::NoOutput(job));
        };
        let path = self
            .documents()
            .local_file(&sha)
            .map_err(StampingError::from)?;
        Ok(JobOutput {
            path,
            sha256: sha,
            file_name: output_name(&row.job.document_name),
            sns: row.job.sn.into_iter().map(Sn).collect(),
        })
    }

    pub(crate) fn mark_delivered(
        &mut self,
        job: JobId,
        clerk: &str,
        how: &str,
        detail: serde_json::Value,
        outbox: Option<i64>,
    ) -> Result<(), StampingError> {
        let keep_ms = i64::from(self.config.stamping.keep_days) * 86_400_000;
        self.store.write(|tx| {
            let row = load(tx, job)?;
            let now = tx.now_ms();
            tx.execute(
                "UPDATE stamp_jobs SET delivered_ms = ?2, delivery = CASE WHEN delivery IS NULL THEN ?3
                     WHEN delivery LIKE '%' || ?3 || '%' THEN delivery ELSE delivery || ',' || ?3 END,
                     outbox_id = COALESCE(?4, outbox_id) WHERE id = ?1",
                params![job, now, how, outbox],
            )?;
            tx.execute(
                "UPDATE documents SET purge_after_ms = ?3 WHERE sha256 IN (?1, ?2) AND purged_ms IS NULL",
                params![row.job.document_sha256, row.job.stamped_sha256, now + keep_ms],
            )?;
            apply_step(tx, clerk, job, &Step::Delivered, detail.clone())?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("delivered");
        Ok(())
    }

    /// Copies the stamped file to the customer's drive (read back and checked), then `delivered`.
    pub fn deliver_job_to_drive(
        &mut self,
        job: JobId,
        mount: &Path,
        clerk: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<crate::delivery::Delivered, StampingError> {
        let out = self.job_output(job)?;
        let context = Context {
            actor: clerk.to_string(),
            job: Some(job),
            sns: out.sns.clone(),
        };
        let delivered = self.parts().delivery().copy_to_drive(
            &out.path,
            &out.sha256,
            &out.file_name,
            mount,
            &context,
            &mut |p| progress(p.done, p.total),
        )?;
        // On the drive, not yet recorded: a copy started again finds it there (same SHA-256).
        crash::point("copied");
        self.mark_delivered(
            job,
            clerk,
            "drive",
            json!({"drive": delivered.path, "sha256": delivered.sha256, "already_there": delivered.already_there}),
            None,
        )?;
        Ok(delivered)
    }

    /// Queues the stamped file for e-mail and marks the job `delivered`: the outbox stores the
    /// message and keeps trying, so the job is done from the counter's side once it is queued.
    /// Returns the outbox id; a job already queued to the same address is not queued twice.
    pub fn mail_job(&mut self, job: JobId, to: &str, clerk: &str) -> Result<i64, StampingError> {
        let out = self.job_output(job)?;
        let existing: Option<i64> = self.store.read(|c| {
            c.query_row(
                "SELECT id FROM outbox WHERE job = ?1 AND lower(env_to) = lower(?2) ORDER BY id DESC LIMIT 1",
                params![job, to.trim()],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)
        })?;
        let id = match existing {
            Some(id) => id,
            None => self.parts().delivery().queue_mail(
                to,
                &[(out.path.clone(), out.file_name.clone())],
                &Context {
                    actor: clerk.to_string(),
                    job: Some(job),
                    sns: out.sns.clone(),
                },
            )?,
        };
        let state = self.job_row(job)?.job.state;
        self.mark_delivered(
            job,
            clerk,
            "email",
            json!({"outbox": id, "to": to.trim(), "was_delivered": state == State::Delivered}),
            Some(id),
        )?;
        Ok(id)
    }

    /// Records the address a job's document goes to when it is finished after the customer left.
    pub fn set_job_email(
        &mut self,
        job: JobId,
        to: &str,
        clerk: &str,
    ) -> Result<JobView, StampingError> {
        let to = crate::delivery::mail::check_address(to)
            .map_err(|e| StampingError::from(crate::delivery::DeliveryError::from(e)))?;
        let to = to.to_string();
        self.store.write(|tx| {
            load(tx, job)?;
            tx.execute(
                "UPDATE stamp_jobs SET email = ?2, updated_ms = ?3 WHERE id = ?1",
                params![job, to, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.email_set",
                job_subject(job),
                json!({"email": to}),
            ))?;
            Ok::<_, StampingError>(())
        })?;
        self.job(job)
    }

    /// The stamping job of the visit counter `counter` holds now: the newest job of its ticket made
    /// since the customer arrived and not cancelled. What a counter reopens after a crash.
    pub fn visit_job(
        &mut self,
        counter: CounterNo,
        ticket: &str,
    ) -> Result<Option<JobView>, StampingError> {
        let id: Option<i64> = self.store.read(|c| {
            c.query_row(
                "SELECT j.id FROM stamp_jobs j
                 JOIN tickets t ON t.counter = ?1 AND t.status IN ('called', 'serving')
                 WHERE j.ticket = ?2 AND (j.created_ms >= t.arrived_ms OR j.adopted_ms >= t.arrived_ms)
                   AND j.state NOT IN ('cancelled', 'refunded')
                 ORDER BY j.id DESC LIMIT 1",
                params![counter, ticket],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)
        })?;
        id.map(|id| self.job(crate::stamping::JobId(id)))
            .transpose()
    }

    /// Where a job's received document is kept (for a visit reopened after a crash).
    pub fn job_document_path(&mut self, job: JobId) -> Result<PathBuf, StampingError> {
        let row = self.job_row(job)?;
        self.documents()
            .local_file(&row.job.document_sha256)
            .map_err(StampingError::from)
    }

    /// The WhatsApp number a job's document goes to when it is finished, if one was left.
    pub fn job_whatsapp(&mut self, job: JobId) -> Option<String> {
        self.job_row(job).ok().and_then(|r| r.whatsapp)
    }

    /// Records the WhatsApp number a job's document goes to when it is finished after the
    /// customer left (normalised to E.164; the journal keeps it masked).
    pub fn set_job_whatsapp(
        &mut self,
        job: JobId,
        to: &str,
        clerk: &str,
    ) -> Result<JobView, StampingError> {
        let number = crate::delivery::whatsapp::normalize_number(to)
            .map_err(|e| StampingError::from(crate::delivery::DeliveryError::from(e)))?;
        self.store.write(|tx| {
            load(tx, job)?;
            tx.execute(
                "UPDATE stamp_jobs SET whatsapp = ?2, updated_ms = ?3 WHERE id = ?1",
                params![job, number, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.whatsapp_set",
                job_subject(job),
                json!({"whatsapp": crate::delivery::whatsapp::mask_number(&number)}),
            ))?;
            Ok::<_, StampingError>(())
        })?;
        self.job(job)
    }
}
