//! WhatsApp through the outbox: a stamped document queued for a number, the pass that sends it
//! (upload, then the template or a document message, exactly once), and the status webhooks that
//! say what became of it.
//!
//! Exactly once: before the send call the row is marked (`wa_send_started_ms`) in its own
//! transaction, and the idempotency key (`message_id`) travels as `biz_opaque_callback_data`. A
//! send whose answer is lost (timeout, dropped connection, a process killed) is never repeated by
//! itself: a status webhook carrying the key settles it, else the clerk is told to ask the customer
//! and resend by hand. Uploads are repeated freely: nothing reaches the customer before the send.

use super::DeliveryService;
use super::outbox::{self, Channel, DUE_AT_ONCE};
use super::whatsapp::{self, Api, Failure, Message, WaError};
use super::{Context, DeliveryError, names};
use crate::branch::Branch;
use crate::journal::Entry;
use crate::stamping::JobId;
use crate::store::StoreError;
use crate::store::sql::{OptionalExtension, params};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

/// WhatsApp's limit for a document.
pub const MAX_DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;
/// An uploaded media id is used again only this long (Meta keeps uploads 30 days).
const MEDIA_REUSE_MS: i64 = 29 * 86_400_000;
/// A customer who wrote this recently is inside the 24-hour window (an hour kept in hand).
const WINDOW_MS: i64 = 23 * 3_600_000;
/// How long a send with a lost answer waits for a status webhook to settle it.
pub const RECONCILE_MS: i64 = 10 * 60_000;
/// The longest server-asked wait honoured before the next try.
const MAX_RETRY_AFTER_MS: i64 = 3_600_000;

/// What the clerk is told when a send's answer was lost and nothing settled it, in Indonesian: the
/// outbox reason as the Indonesian table words it (`words::current().wa_unsure()`), kept here as a
/// public name for callers that compare a stored reason against it.
pub const UNSURE: &str = "Jawaban WhatsApp hilang setelah pesan dikirim; pesan mungkin sudah sampai. \
     Tanyakan pelanggan: bila belum menerima, kirim ulang dari kotak keluar.";

/// What one WhatsApp pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaSummary {
    pub configured: bool,
    pub sent: Vec<i64>,
    pub retry: Vec<i64>,
    pub failed: Vec<i64>,
    /// Why the pass could not run at all (a token variable missing), in the process's language.
    pub problem: Option<String>,
}

/// One claimed WhatsApp row.
struct Row {
    id: i64,
    to: String,
    pdf: Vec<u8>,
    filename: String,
    key: String,
    params: Vec<String>,
    caption: String,
    force_template: bool,
    media_id: Option<String>,
    media_ms: Option<i64>,
    send_started_ms: Option<i64>,
    attempts: i64,
}

fn wa_err(e: WaError) -> DeliveryError {
    DeliveryError::from(e)
}

impl DeliveryService<'_> {
    /// Whether `[whatsapp]` is set (without it rows wait in the outbox).
    pub fn whatsapp_configured(&self) -> bool {
        self.config.whatsapp.is_some()
    }

    /// Puts one document in the outbox for a WhatsApp number (as typed; it is normalised or
    /// refused here). Returns the outbox id. Without `[whatsapp]` the row waits.
    pub fn queue_whatsapp(
        &mut self,
        to: &str,
        document: &(PathBuf, String),
        context: &Context,
    ) -> Result<i64, DeliveryError> {
        let number = whatsapp::normalize_number(to).map_err(wa_err)?;
        let (path, name) = document;
        let io = |source| DeliveryError::Io {
            what: crate::error::IoWhat::ReadDocument,
            path: path.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_DOCUMENT_BYTES {
            return Err(DeliveryError::TooLargeForWhatsApp {
                size,
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        let pdf = std::fs::read(path).map_err(io)?;
        let filename = names::SafeName::new(name)
            .map_err(|e| DeliveryError::BadDocumentName {
                name: name.clone(),
                reason: e.to_string(),
            })?
            .candidate(1);
        let owned = self.template_values(context, std::slice::from_ref(&filename), " ");
        let values: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let caption_template = self
            .config
            .whatsapp
            .as_ref()
            .map(|w| w.caption.clone())
            // The branch's customer-facing words when no caption is configured, not the process
            // language: the customer reads it.
            .unwrap_or_else(|| {
                "Dokumen bermeterai dari {branch}: {document} (SN {sns}).".to_string()
            });
        let caption = super::settings::render(&caption_template, &values)
            .map_err(|m| DeliveryError::CaptionTemplate(m.to_string()))?;
        let branch_name = self.config.branch.name.clone();
        let sns = owned[3].1.clone();
        let key = format!("wa-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let from = self
            .config
            .whatsapp
            .as_ref()
            .map(|w| w.phone_number_id.get_ref().clone())
            .unwrap_or_default();
        let documents = json!([{
            "name": filename,
            "path": path.display().to_string(),
            "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf)),
            "bytes": pdf.len(),
        }]);
        let wa_params = json!({
            // Which number, after the number itself is masked (finding a repeat of this delivery).
            "to_sha256": whatsapp::number_key(&number),
            "filename": filename,
            "caption": caption,
            "params": [branch_name, sns],
        });
        let masked = whatsapp::mask_number(&number);
        self.store
            .write(|tx| {
                let id: i64 = tx.query_row(
                "INSERT INTO outbox (message_id, created_ms, created_by, env_from, env_to, subject,
                    documents, job, message, bytes, status, next_attempt_ms, channel, wa_params)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, 'whatsapp', ?12) RETURNING id",
                params![
                    key,
                    tx.now_ms(),
                    context.actor,
                    from,
                    number,
                    filename,
                    documents.to_string(),
                    context.job,
                    pdf,
                    pdf.len(),
                    DUE_AT_ONCE,
                    wa_params.to_string(),
                ],
                |r| r.get(0),
            )?;
                tx.journal(Entry::new(
                    &context.actor,
                    Channel::Whatsapp.kind("queued"),
                    format!("outbox/{id}"),
                    json!({"to": masked, "key": key, "documents": documents, "job": context.job}),
                ))?;
                Ok::<_, StoreError>(id)
            })
            .map_err(DeliveryError::from)
    }

    /// Queues a stamped job's document for a WhatsApp number and marks the job delivered (the
    /// outbox keeps trying). A job already queued to the same number is not queued twice.
    pub fn whatsapp_job(&mut self, job: i64, to: &str, clerk: &str) -> Result<i64, DeliveryError> {
        let number = whatsapp::normalize_number(to).map_err(wa_err)?;
        let out = self
            .parts()
            .stamping()
            .job_output(crate::stamping::JobId(job))?;
        let key = whatsapp::number_key(&number);
        let existing: Option<i64> = self.store.read(|c| {
            let queued: Vec<(i64, Option<String>)> = c
                .prepare(
                    "SELECT id, wa_params FROM outbox WHERE channel = 'whatsapp' AND job = ?1
                     AND status <> 'failed' ORDER BY id DESC",
                )?
                .query_map(params![JobId(job)], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok::<_, StoreError>(queued.into_iter().find_map(|(id, params)| {
                let params: serde_json::Value = serde_json::from_str(params.as_deref()?).ok()?;
                (params.get("to_sha256")?.as_str()? == key).then_some(id)
            }))
        })?;
        let id = match existing {
            Some(id) => id,
            None => self.queue_whatsapp(
                &number,
                &(out.path.clone(), out.file_name.clone()),
                &Context {
                    actor: clerk.to_string(),
                    job: Some(JobId(job)),
                    sns: out.sns.clone(),
                },
            )?,
        };
        self.parts().stamping().mark_delivered(
            crate::stamping::JobId(job),
            clerk,
            "whatsapp",
            json!({"outbox": id, "to": whatsapp::mask_number(&number)}),
            Some(id),
        )?;
        Ok(id)
    }

    /// One pass over the due WhatsApp rows.
    pub fn send_due_whatsapp(&mut self, now: OffsetDateTime) -> Result<WaSummary, DeliveryError> {
        let now_ms = crate::store::to_ms(now);
        let mut summary = WaSummary::default();
        let Some(settings) = self.config.whatsapp.clone() else {
            return Ok(summary);
        };
        summary.configured = true;
        let stale_ms = i64::try_from(
            settings
                .timeout_seconds
                .saturating_mul(4)
                .saturating_add(60)
                .saturating_mul(1000),
        )
        .unwrap_or(i64::MAX);
        outbox::recover_stuck(self.store, now_ms, stale_ms)?;
        if outbox::next_due(self.store, Channel::Whatsapp, now_ms)?.is_none() {
            return Ok(summary);
        }
        let api = match Api::new(&settings) {
            Ok(api) => api,
            Err(e) => {
                summary.problem = Some(e.to_string());
                return Ok(summary);
            }
        };
        let webhooks = settings.webhook_listen.is_some();
        let (first_ms, max_ms) = self.config.delivery.retry_bounds_ms();
        for _ in 0..200 {
            let Some(id) = outbox::next_due(self.store, Channel::Whatsapp, now_ms)? else {
                break;
            };
            if outbox::claim(self.store, id, now_ms)?.is_none() {
                continue;
            }
            let row = self.wa_row(id)?;
            match self.attempt(&api, &row) {
                Ok(sent) => {
                    self.wa_mark_sent(id, &sent.message_id, !webhooks)?;
                    summary.sent.push(id);
                }
                Err(Failure::Retry { reason, after }) => {
                    let wait = after
                        .and_then(|d| i64::try_from(d.as_millis()).ok())
                        .map(|ms| ms.clamp(1_000, MAX_RETRY_AFTER_MS))
                        .unwrap_or_else(|| outbox::backoff_ms(row.attempts, first_ms, max_ms));
                    outbox::mark_retry(self.store, id, &reason, now_ms + wait)?;
                    summary.retry.push(id);
                }
                Err(Failure::Unsure(reason)) => {
                    let started = self.wa_row(id)?.send_started_ms.unwrap_or(now_ms);
                    if webhooks && now_ms < started + RECONCILE_MS {
                        let waiting = crate::words::current().wa_awaiting_status(&reason);
                        outbox::mark_retry(self.store, id, &waiting, started + RECONCILE_MS)?;
                        summary.retry.push(id);
                    } else {
                        outbox::mark_failed(self.store, id, crate::words::current().wa_unsure())?;
                        summary.failed.push(id);
                    }
                }
                Err(other) => {
                    outbox::mark_failed(self.store, id, other.reason())?;
                    summary.failed.push(id);
                }
            }
        }
        Ok(summary)
    }

    /// Upload (or reuse the media), then the template or, inside the window, a document message.
    fn attempt(&mut self, api: &Api, row: &Row) -> Result<whatsapp::Sent, Failure> {
        let now_ms = crate::store::to_ms(self.store.now());
        if row.send_started_ms.is_some() {
            // An earlier send of this row got no answer (or its process died): not again.
            return Err(Failure::Unsure(
                crate::words::current().wa_previous_unanswered().into(),
            ));
        }
        let mut media = row
            .media_id
            .clone()
            .filter(|_| row.media_ms.is_some_and(|t| now_ms - t < MEDIA_REUSE_MS));
        let mut template = row.force_template || !self.in_window(&row.to);
        for round in 0..2 {
            let media_id = match media.clone() {
                Some(m) => m,
                None => {
                    let id = api.upload(row.pdf.clone(), &row.filename)?;
                    self.wa_set_media(row.id, Some(&id))
                        .map_err(|e| store_failure(&e))?;
                    crate::crash::point("whatsapp.uploaded");
                    id
                }
            };
            self.wa_send_started(row.id, true)
                .map_err(|e| store_failure(&e))?;
            let message = Message {
                to: &row.to,
                media_id: &media_id,
                filename: &row.filename,
                params: &row.params,
                caption: &row.caption,
                key: &row.key,
            };
            crate::crash::point("whatsapp.send_started");
            let result = if template {
                api.send_template(&message)
            } else {
                api.send_document(&message)
            };
            match result {
                Ok(sent) => {
                    crate::crash::point("whatsapp.sent_unrecorded");
                    return Ok(sent);
                }
                Err(Failure::Unsure(r)) => return Err(Failure::Unsure(r)),
                Err(failure) => {
                    // A refused send is a definite answer: nothing went out.
                    self.wa_send_started(row.id, false)
                        .map_err(|e| store_failure(&e))?;
                    match failure {
                        Failure::MediaGone(_) if round == 0 => {
                            self.wa_set_media(row.id, None)
                                .map_err(|e| store_failure(&e))?;
                            media = None;
                        }
                        Failure::OutsideWindow(_) if round == 0 && !template => template = true,
                        other => return Err(other),
                    }
                }
            }
        }
        Err(Failure::Permanent(
            crate::words::current().wa_refused_twice().into(),
        ))
    }

    fn in_window(&mut self, number: &str) -> bool {
        let key = whatsapp::number_key(number);
        let now = crate::store::to_ms(self.store.now());
        self.store
            .read(|c| {
                c.query_row(
                    "SELECT last_ms FROM wa_inbound WHERE number_sha256 = ?1",
                    [&key],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map_err(StoreError::from)
            })
            .ok()
            .flatten()
            .is_some_and(|last| now - last < WINDOW_MS)
    }

    fn wa_row(&mut self, id: i64) -> Result<Row, DeliveryError> {
        let row = self.store.read(|c| {
            c.query_row(
                "SELECT env_to, message, subject, message_id, COALESCE(wa_params, '{}'), wa_media_id,
                        wa_media_ms, wa_send_started_ms, attempts
                 FROM outbox WHERE id = ?1 AND channel = 'whatsapp'",
                [id],
                |r| {
                    let params: String = r.get(4)?;
                    let params: Value = serde_json::from_str(&params).unwrap_or(Value::Null);
                    let subject: String = r.get(2)?;
                    Ok(Row {
                        id,
                        to: r.get(0)?,
                        pdf: r.get(1)?,
                        filename: params["filename"]
                            .as_str()
                            .map_or(subject, str::to_string),
                        key: r.get(3)?,
                        params: params["params"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|v| v.as_str().unwrap_or("-").to_string())
                                    .collect()
                            })
                            .unwrap_or_default(),
                        caption: params["caption"].as_str().unwrap_or("").to_string(),
                        force_template: params["force_template"].as_bool().unwrap_or(false),
                        media_id: r.get(5)?,
                        media_ms: r.get(6)?,
                        send_started_ms: r.get(7)?,
                        attempts: r.get(8)?,
                    })
                },
            )
            .map_err(StoreError::from)
        })?;
        Ok(row)
    }

    fn wa_set_media(&mut self, id: i64, media: Option<&str>) -> Result<(), DeliveryError> {
        self.store.write(|tx| {
            tx.execute(
                "UPDATE outbox SET wa_media_id = ?2, wa_media_ms = CASE WHEN CAST(?2 AS TEXT) IS NULL THEN NULL ELSE CAST(?3 AS BIGINT) END
                 WHERE id = ?1",
                params![id, media, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                outbox::SENDER,
                Channel::Whatsapp.kind(if media.is_some() {
                    "uploaded"
                } else {
                    "media_expired"
                }),
                format!("outbox/{id}"),
                json!({ "media": media }),
            ))?;
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }

    /// Marks (or clears) "a send of this row is on its way", in its own transaction.
    fn wa_send_started(&mut self, id: i64, started: bool) -> Result<(), DeliveryError> {
        self.store.write(|tx| {
            tx.execute(
                "UPDATE outbox SET wa_send_started_ms = CASE WHEN ?2 THEN CAST(?3 AS BIGINT) ELSE NULL END WHERE id = ?1",
                params![id, started, tx.now_ms()],
            )?;
            // Bookkeeping of the send in flight; the journal records its outcome.
            tx.unchanged();
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }

    fn wa_mark_sent(&mut self, id: i64, wamid: &str, last: bool) -> Result<(), DeliveryError> {
        self.store.write(|tx| {
            // A status report can overtake the API's own answer: one that already settled the row
            // (sent, failed, or put back for the template) is not undone by this late answer.
            let changed = tx.execute(
                "UPDATE outbox SET status = 'sent', sent_ms = ?2, server_reply = ?3, wa_message_id = ?3,
                    last_error = NULL, claimed_by = NULL WHERE id = ?1 AND status = 'sending'",
                params![id, tx.now_ms(), wamid],
            )?;
            if changed == 0 {
                tx.unchanged();
                return Ok::<_, StoreError>(());
            }
            if last {
                mask(tx, id)?;
            }
            tx.journal(Entry::new(
                outbox::SENDER,
                Channel::Whatsapp.kind("sent"),
                format!("outbox/{id}"),
                json!({ "message_id": wamid }),
            ))?;
            Ok::<_, StoreError>(())
        })?;
        Ok(())
    }

    /// Applies one webhook delivery from Meta: message statuses (sent, delivered, read, failed,
    /// matched by message id or by the idempotency key) and customers' own messages (which open
    /// their 24-hour window). `signature` is the `X-Hub-Signature-256` header.
    pub fn apply_whatsapp_webhook(
        &mut self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<WebhookApplied, WebhookError> {
        let settings = self
            .config
            .whatsapp
            .clone()
            .ok_or(WebhookError::NotConfigured)?;
        let secret = settings
            .app_secret()
            .map_err(|e| WebhookError::Config(e.to_string()))?
            .ok_or_else(|| {
                WebhookError::Config(crate::words::current().wa_no_app_secret().into())
            })?;
        check_signature(secret.expose().as_bytes(), body, signature)?;
        let value: Value = serde_json::from_slice(body).map_err(|_| WebhookError::Malformed)?;
        let mut applied = WebhookApplied::default();
        let changes = value["entry"]
            .as_array()
            .ok_or(WebhookError::Malformed)?
            .iter()
            .filter_map(|e| e["changes"].as_array())
            .flatten()
            .map(|c| &c["value"]);
        for change in changes {
            for status in change["statuses"].as_array().into_iter().flatten() {
                if self.apply_status(status).map_err(WebhookError::Branch)? {
                    applied.statuses += 1;
                } else {
                    applied.unknown += 1;
                }
            }
            for message in change["messages"].as_array().into_iter().flatten() {
                if let Some(from) = message["from"].as_str()
                    && let Ok(number) = whatsapp::normalize_number(&format!("+{from}"))
                {
                    let key = whatsapp::number_key(&number);
                    self.store
                        .write(|tx| {
                            tx.execute(
                                "INSERT INTO wa_inbound (number_sha256, last_ms) VALUES (?1, ?2)
                                 ON CONFLICT (number_sha256) DO UPDATE SET last_ms = excluded.last_ms",
                                params![key, tx.now_ms()],
                            )?;
                            tx.journal(Entry::new(
                                outbox::SENDER,
                                Channel::Whatsapp.kind("inbound"),
                                "whatsapp",
                                json!({ "from": whatsapp::mask_number(&number) }),
                            ))?;
                            Ok::<_, StoreError>(())
                        })
                        .map_err(|e| WebhookError::Branch(e.into()))?;
                    applied.inbound += 1;
                }
            }
        }
        Ok(applied)
    }

    /// One status; false when it names no row of this branch.
    fn apply_status(&mut self, status: &Value) -> Result<bool, DeliveryError> {
        let wamid = status["id"].as_str().unwrap_or("");
        let key = status["biz_opaque_callback_data"].as_str().unwrap_or("");
        let what = status["status"].as_str().unwrap_or("");
        let rank = |s: Option<&str>| match s {
            Some("sent") => 1,
            Some("delivered") => 2,
            Some("read") => 3,
            _ => 0,
        };
        let reason = status["errors"][0].as_object().map(|e| {
            let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
            let body = json!({"error": {"code": code, "message": e.get("title"),
                "error_data": e.get("error_data")}});
            whatsapp::classify(400, &body.to_string(), None)
        });
        self.store
            .write(|tx| {
                let found: Option<(i64, String, Option<String>, Option<String>)> = tx
                    .query_row(
                        "SELECT id, status, wa_status, wa_message_id FROM outbox
                         WHERE channel = 'whatsapp' AND (wa_message_id = ?1 OR (?2 <> '' AND message_id = ?2))
                         ORDER BY CASE WHEN wa_message_id = ?1 THEN 1 ELSE 0 END DESC LIMIT 1",
                        params![wamid, key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let Some((id, row_status, wa_status, known)) = found else {
                    tx.unchanged();
                    return Ok::<_, StoreError>(false);
                };
                if known.is_none() && !wamid.is_empty() {
                    // The answer to our send was lost; the webhook settles it: it went.
                    tx.execute(
                        "UPDATE outbox SET status = 'sent', sent_ms = COALESCE(sent_ms, ?2),
                            wa_message_id = ?3, server_reply = ?3, last_error = NULL, claimed_by = NULL
                         WHERE id = ?1",
                        params![id, tx.now_ms(), wamid],
                    )?;
                    tx.journal(Entry::new(
                        outbox::SENDER,
                        Channel::Whatsapp.kind("reconciled"),
                        format!("outbox/{id}"),
                        json!({ "message_id": wamid, "was": row_status }),
                    ))?;
                }
                match what {
                    "failed" => {
                        let failure = reason.clone().unwrap_or_else(|| {
                            Failure::Permanent(crate::words::current().wa_reported_failed().into())
                        });
                        if let Failure::OutsideWindow(_) = failure {
                            // A document message outside the window: the template goes instead,
                            // under a key of its own (late reports of the refused message then
                            // match nothing).
                            let stored: Option<String> = tx.query_row(
                                "SELECT wa_params FROM outbox WHERE id = ?1",
                                [id],
                                |r| r.get(0),
                            )?;
                            let mut wa_params = stored
                                .and_then(|p| serde_json::from_str::<Value>(&p).ok())
                                .filter(Value::is_object)
                                .unwrap_or_else(|| json!({}));
                            wa_params["force_template"] = json!(true);
                            tx.execute(
                                "UPDATE outbox SET status = 'queued', next_attempt_ms = ?2,
                                    message_id = message_id || '-t',
                                    wa_message_id = NULL, wa_send_started_ms = NULL, wa_status = NULL,
                                    wa_params = ?4, last_error = ?3
                                 WHERE id = ?1",
                                params![id, DUE_AT_ONCE, failure.reason(), wa_params.to_string()],
                            )?;
                        } else {
                            tx.execute(
                                "UPDATE outbox SET status = 'failed', wa_status = 'failed',
                                    wa_status_ms = ?2, last_error = ?3 WHERE id = ?1",
                                params![id, tx.now_ms(), failure.reason()],
                            )?;
                        }
                        tx.journal(Entry::new(
                            outbox::SENDER,
                            Channel::Whatsapp.kind("failed"),
                            format!("outbox/{id}"),
                            json!({ "message_id": wamid, "reason": failure.reason() }),
                        ))?;
                    }
                    "sent" | "delivered" | "read"
                        if rank(Some(what)) > rank(wa_status.as_deref()) =>
                    {
                        tx.execute(
                            "UPDATE outbox SET wa_status = ?2, wa_status_ms = ?3 WHERE id = ?1",
                            params![id, what, tx.now_ms()],
                        )?;
                        if what != "sent" {
                            mask(tx, id)?;
                        }
                        tx.journal(Entry::new(
                            outbox::SENDER,
                            Channel::Whatsapp.kind(what),
                            format!("outbox/{id}"),
                            json!({ "message_id": wamid }),
                        ))?;
                    }
                    _ => {
                        if known.is_some() {
                            tx.unchanged();
                        }
                    }
                }
                Ok(true)
            })
            .map_err(DeliveryError::from)
    }
}

/// Replaces the row's number by its masked form: the delivery no longer needs it.
fn mask(tx: &crate::store::Tx<'_>, id: i64) -> Result<(), StoreError> {
    let to: Option<String> = tx
        .query_row(
            "SELECT env_to FROM outbox WHERE id = ?1 AND channel = 'whatsapp'",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(to) = to.filter(|t| !t.contains('*')) {
        tx.execute(
            "UPDATE outbox SET env_to = ?2 WHERE id = ?1",
            params![id, whatsapp::mask_number(&to)],
        )?;
    }
    Ok(())
}

fn store_failure(e: &DeliveryError) -> Failure {
    Failure::Retry {
        reason: crate::words::current().outbox_store_failed(e),
        after: None,
    }
}

/// What a webhook delivery changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WebhookApplied {
    pub statuses: usize,
    /// Statuses for messages this branch does not know (another system on the same number).
    pub unknown: usize,
    pub inbound: usize,
}

/// Why a webhook delivery was not applied.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    NotConfigured,
    Config(String),
    Signature,
    Malformed,
    Branch(#[source] DeliveryError),
}

/// Checks `sha256=<hex>` against the HMAC-SHA256 of the raw body under the app secret.
pub fn check_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), WebhookError> {
    let given = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
        .ok_or(WebhookError::Signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| WebhookError::Signature)?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| WebhookError::Signature)
}

/// The largest webhook body read.
const MAX_WEBHOOK_BYTES: u64 = 1024 * 1024;

/// Serves Meta's webhook on `listen` until `stop` is set: `GET` answers the subscription check
/// (`hub.verify_token`), `POST` applies statuses and inbound messages. Runs on its own connection
/// to the branch database.
pub fn serve_webhook(
    data_dir: &Path,
    clock: Arc<dyn crate::clock::Clock>,
    listen: &str,
    stop: Arc<AtomicBool>,
    ready: impl FnOnce(std::net::SocketAddr),
) -> Result<(), DeliveryError> {
    let mut branch = Branch::open_with_clock(data_dir, clock)?;
    let server = tiny_http::Server::http(listen).map_err(|e| DeliveryError::WebhookAddress {
        listen: listen.to_string(),
        reason: e.to_string(),
    })?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or(DeliveryError::WebhookNotIp)?;
    ready(addr);
    while !stop.load(Ordering::SeqCst) {
        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let (code, text) = handle(&mut branch, &mut request);
        let mut response = tiny_http::Response::from_string(text).with_status_code(code);
        for (name, value) in [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("X-Content-Type-Options", "nosniff"),
        ] {
            if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response = response.with_header(h);
            }
        }
        let _ = request.respond(response);
    }
    Ok(())
}

fn handle(branch: &mut Branch, request: &mut tiny_http::Request) -> (u16, String) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    if path != "/webhook" {
        return (404, "not found".into());
    }
    match request.method() {
        tiny_http::Method::Get => {
            let param = |name: &str| {
                query.split('&').find_map(|kv| {
                    kv.split_once('=')
                        .filter(|(k, _)| *k == name)
                        .map(|(_, v)| v.to_string())
                })
            };
            let expected = branch
                .config()
                .whatsapp
                .as_ref()
                .and_then(|w| w.verify_token().ok().flatten());
            match (
                param("hub.mode").as_deref(),
                param("hub.verify_token"),
                expected,
            ) {
                (Some("subscribe"), Some(given), Some(expected)) if given == expected.expose() => {
                    (200, param("hub.challenge").unwrap_or_default())
                }
                _ => (403, "forbidden".into()),
            }
        }
        tiny_http::Method::Post => {
            if request
                .body_length()
                .is_some_and(|n| n as u64 > MAX_WEBHOOK_BYTES)
            {
                return (413, "too large".into());
            }
            let signature = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("X-Hub-Signature-256"))
                .map(|h| h.value.as_str().to_string());
            let mut body = Vec::new();
            use std::io::Read;
            if request
                .as_reader()
                .take(MAX_WEBHOOK_BYTES + 1)
                .read_to_end(&mut body)
                .is_err()
                || body.len() as u64 > MAX_WEBHOOK_BYTES
            {
                return (400, "unreadable".into());
            }
            match branch
                .delivery()
                .apply_whatsapp_webhook(&body, signature.as_deref())
            {
                Ok(_) => (200, "ok".into()),
                Err(WebhookError::Signature) => (401, "bad signature".into()),
                Err(WebhookError::Malformed) => (400, "malformed".into()),
                // Meta retries a failed delivery: a store that is busy only delays the status.
                Err(e) => (503, e.to_string()),
            }
        }
        _ => (405, "method not allowed".into()),
    }
}
