//! The durable e-mail outbox in SQLite: rows move queued → sending → sent, or to retry (with
//! capped, jittered backoff) or failed; each row is claimed atomically so two processes never send
//! it at once, and a row left in `sending` by a dead process goes back to retry.

use super::DeliveryError;
use crate::journal::Entry;
use crate::stamping::JobId;
use crate::store::Store;
use crate::store::sql::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use std::sync::OnceLock;

/// Who the background sender journals as.
pub const SENDER: &str = "sistem";

/// How a row leaves the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Mail,
    Whatsapp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "mail" => Some(Channel::Mail),
            "whatsapp" => Some(Channel::Whatsapp),
            _ => None,
        }
    }

    /// `e-mail` or `WhatsApp`, as the clerk reads it.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Mail => "e-mail",
            Channel::Whatsapp => "WhatsApp",
        }
    }

    /// The journal kind of `what` happening to a row of this channel: `mail.sent`, `whatsapp.sent`.
    pub fn kind(self, what: &str) -> String {
        format!("{}.{what}", self.as_str())
    }
}

/// The channel of row `id` (e-mail when the row is gone: only the journal kind depends on it).
fn channel_of(c: &crate::store::sql::Connection, id: i64) -> crate::store::sql::Result<Channel> {
    let text: Option<String> = c
        .query_row("SELECT channel FROM outbox WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(text
        .as_deref()
        .and_then(Channel::parse)
        .unwrap_or(Channel::Mail))
}

/// Where an e-mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Sending,
    Sent,
    Retry,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Retry => "retry",
            Status::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "queued" => Status::Queued,
            "sending" => Status::Sending,
            "sent" => Status::Sent,
            "retry" => Status::Retry,
            "failed" => Status::Failed,
            _ => return None,
        })
    }

    /// The status as the clerk reads it, in the process's language.
    pub fn label(self) -> &'static str {
        crate::words::current().outbox_status(self)
    }
}

/// One outbox row as shown to clerk and supervisor (the message bytes left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub message_id: String,
    pub created_ms: i64,
    pub created_by: String,
    pub to: String,
    pub subject: String,
    pub documents: serde_json::Value,
    pub job: Option<JobId>,
    pub bytes: i64,
    pub status: Status,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    /// Why the last attempt did not succeed, in Indonesian.
    pub last_error: Option<String>,
    pub server_reply: Option<String>,
    pub sent_ms: Option<i64>,
    pub channel: Channel,
    /// WhatsApp only: the latest status a webhook reported (`delivered`, `read`, `failed`).
    pub wa_status: Option<String>,
}

impl OutboxEntry {
    /// The row's state as the clerk reads it, WhatsApp's own words included.
    pub fn state_label(&self) -> &'static str {
        match (self.channel, self.status) {
            (Channel::Whatsapp, Status::Sent) => {
                crate::words::current().whatsapp_sent(self.wa_status.as_deref())
            }
            (_, status) => status.label(),
        }
    }
}

const COLUMNS: &str = "id, message_id, created_ms, created_by, env_to, subject, documents, job, bytes, status, \
    attempts, next_attempt_ms, last_error, server_reply, sent_ms, channel, wa_status";

fn row_to_entry(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<OutboxEntry> {
    let status: String = r.get(9)?;
    let documents: String = r.get(6)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        message_id: r.get(1)?,
        created_ms: r.get(2)?,
        created_by: r.get(3)?,
        to: r.get(4)?,
        subject: r.get(5)?,
        documents: serde_json::from_str(&documents).unwrap_or(serde_json::Value::Null),
        job: r.get(7)?,
        bytes: r.get(8)?,
        status: Status::parse(&status).ok_or_else(|| {
            crate::store::sql::Error::FromSqlConversionFailure(
                9,
                crate::store::sql::Type::Text,
                status.into(),
            )
        })?,
        attempts: r.get(10)?,
        next_attempt_ms: r.get(11)?,
        last_error: r.get(12)?,
        server_reply: r.get(13)?,
        sent_ms: r.get(14)?,
        channel: {
            let text: String = r.get(15)?;
            Channel::parse(&text).ok_or_else(|| {
                crate::store::sql::Error::FromSqlConversionFailure(
                    15,
                    crate::store::sql::Type::Text,
                    text.into(),
                )
            })?
        },
        wa_status: r.get(16)?,
    })
}

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub documents: serde_json::Value,
    pub job: Option<JobId>,
    pub message: Vec<u8>,
}

/// `next_attempt_ms` of a row that is due at once, whatever any process's clock says: a new mail, a
/// retry asked for by hand, a send cut off by a stopped process. A wall-clock "now" from one process
/// is not "now" for another whose clock differs (a training clock, a PC a little behind).
pub const DUE_AT_ONCE: i64 = 0;

pub(crate) fn insert(store: &mut Store, actor: &str, mail: &NewMail) -> Result<i64, DeliveryError> {
    store.write(|tx| {
        let id: i64 = tx.query_row(
            "INSERT INTO outbox (message_id, created_ms, created_by, env_from, env_to, subject, documents, job,
                message, bytes, status, next_attempt_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11) RETURNING id",
            params![
                mail.message_id,
                tx.now_ms(),
                actor,
                mail.from,
                mail.to,
                mail.subject,
                mail.documents.to_string(),
                mail.job,
                mail.message,
                mail.message.len(),
                DUE_AT_ONCE,
            ],
            |r| r.get(0),
        )?;
        tx.journal(Entry::new(
            actor,
            "mail.queued",
            format!("outbox/{id}"),
            json!({
                "to": mail.to,
                "message_id": mail.message_id,
                "subject": mail.subject,
                "documents": mail.documents,
                "job": mail.job,
                "bytes": mail.message.len(),
            }),
        ))?;
        Ok(id)
    })
}

/// The newest rows first (at most `limit`).
pub fn list(store: &mut Store, limit: u32) -> Result<Vec<OutboxEntry>, DeliveryError> {
    store.read(|c| {
        let mut stmt = c.prepare(&format!(
            "SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], row_to_entry)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

pub fn get(store: &mut Store, id: i64) -> Result<Option<OutboxEntry>, DeliveryError> {
    store.read(|c| {
        Ok(c.query_row(
            &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
            [id],
            row_to_entry,
        )
        .optional()?)
    })
}

/// This process's name in `claimed_by`: its pid (to tell whether it still runs), a random token
/// (so a reused pid is not mistaken for it) and its machine (`pid:token@host`: on the branch server
/// the workers of several PCs share the outbox).
pub fn claimer() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        format!(
            "{}:{:08x}@{}",
            std::process::id(),
            fastrand::u32(..),
            this_host()
        )
    })
}

/// This machine's name, as the kernel has it.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Whether the claimer still runs, as far as this machine can tell: a process of this machine is
/// looked up; one of another PC is taken to run until its claim is `stale_ms` old.
fn claimer_alive(claimed_by: &str) -> bool {
    if claimed_by == claimer() {
        return true;
    }
    let (process, host) = claimed_by.split_once('@').unwrap_or((claimed_by, ""));
    if !host.is_empty() && host != this_host() {
        return true;
    }
    process
        .split(':')
        .next()
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// A claimed row: what to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub message: Vec<u8>,
    pub attempts: i64,
}

/// The oldest due row of `channel`, if any.
pub(crate) fn next_due(
    store: &mut Store,
    channel: Channel,
    now_ms: i64,
) -> Result<Option<i64>, DeliveryError> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT id FROM outbox WHERE status IN ('queued', 'retry') AND next_attempt_ms <= ?1
             AND channel = ?2 ORDER BY next_attempt_ms, id LIMIT 1",
            params![now_ms, channel.as_str()],
            |r| r.get(0),
        )
        .optional()?)
    })
}

/// When the next row of `channel` is due (for the worker's sleep).
pub fn next_due_ms(store: &mut Store, channel: Channel) -> Result<Option<i64>, DeliveryError> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE status IN ('queued', 'retry') AND channel = ?1",
            [channel.as_str()],
            |r| r.get(0),
        )?)
    })
}

/// Moves a due row to `sending` for this process, unless another process got there first.
pub(crate) fn claim(
    store: &mut Store,
    id: i64,
    now_ms: i64,
) -> Result<Option<Claimed>, DeliveryError> {
    store.write(|tx| {
        let changed = tx.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?2, claimed_ms = ?3
             WHERE id = ?1 AND status IN ('queued', 'retry') AND next_attempt_ms <= ?4",
            params![id, claimer(), tx.now_ms(), now_ms],
        )?;
        if changed == 0 {
            tx.unchanged();
            return Ok(None);
        }
        let claimed = tx.query_row(
            "SELECT env_from, env_to, message, attempts FROM outbox WHERE id = ?1",
            [id],
            |r| {
                Ok(Claimed {
                    id,
                    from: r.get(0)?,
                    to: r.get(1)?,
                    message: r.get(2)?,
                    attempts: r.get(3)?,
                })
            },
        )?;
        tx.journal(Entry::new(
            SENDER,
            channel_of(tx, id)?.kind("sending"),
            format!("outbox/{id}"),
            json!({ "attempt": claimed.attempts, "by": claimer() }),
        ))?;
        Ok(Some(claimed))
    })
}

pub(crate) fn mark_sent(store: &mut Store, id: i64, reply: &str) -> Result<(), DeliveryError> {
    store.write(|tx| {
        // Sent is recorded even if another process meanwhile took the row back as stuck: the
        // server has it, and sending it again would only make a duplicate.
        tx.execute(
            "UPDATE outbox SET status = 'sent', sent_ms = ?2, server_reply = ?3, last_error = NULL,
                claimed_by = NULL WHERE id = ?1",
            params![id, tx.now_ms(), reply],
        )?;
        tx.journal(Entry::new(
            SENDER,
            channel_of(tx, id)?.kind("sent"),
            format!("outbox/{id}"),
            json!({ "reply": reply }),
        ))?;
        Ok(())
    })
}

pub(crate) fn mark_retry(
    store: &mut Store,
    id: i64,
    reason: &str,
    next_ms: i64,
) -> Result<(), DeliveryError> {
    store.write(|tx| {
        let changed = tx.execute(
            "UPDATE outbox SET status = 'retry', next_attempt_ms = ?2, last_error = ?3, claimed_by = NULL
             WHERE id = ?1 AND status = 'sending' AND claimed_by = ?4",
            params![id, next_ms, reason, claimer()],
        )?;
        if changed == 0 {
            tx.unchanged();
            return Ok(());
        }
        tx.journal(Entry::new(
            SENDER,
            channel_of(tx, id)?.kind("retry"),
            format!("outbox/{id}"),
            json!({ "reason": reason, "next_attempt_ms": next_ms }),
        ))?;
        Ok(())
    })
}

pub(crate) fn mark_failed(store: &mut Store, id: i64, reason: &str) -> Result<(), DeliveryError> {
    store.write(|tx| {
        let changed = tx.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?2, claimed_by = NULL
             WHERE id = ?1 AND status = 'sending' AND claimed_by = ?3",
            params![id, reason, claimer()],
        )?;
        if changed == 0 {
            tx.unchanged();
            return Ok(());
        }
        tx.journal(Entry::new(
            SENDER,
            channel_of(tx, id)?.kind("failed"),
            format!("outbox/{id}"),
            json!({ "reason": reason }),
        ))?;
        Ok(())
    })
}

/// Rows left in `sending` by a process that no longer runs, or claimed longer ago than
/// `stale_ms`, go back to retry, due at once. Delivery is at-least-once: the server may already have the
/// message, and the fixed Message-ID lets the duplicate be recognised.
pub fn recover_stuck(
    store: &mut Store,
    now_ms: i64,
    stale_ms: i64,
) -> Result<usize, DeliveryError> {
    let stuck: Vec<(i64, String, i64)> = store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, COALESCE(claimed_by, ''), COALESCE(claimed_ms, 0) FROM outbox WHERE status = 'sending'",
        )?;
        let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok::<_, DeliveryError>(rows.collect::<Result<Vec<_>, _>>()?)
    })?;
    let mut recovered = 0;
    for (id, by, at) in stuck {
        if claimer_alive(&by) && now_ms - at < stale_ms {
            continue;
        }
        recovered += store.write(|tx| {
            let changed = tx.execute(
                "UPDATE outbox SET status = 'retry', next_attempt_ms = ?2, claimed_by = NULL, last_error = ?3
                 WHERE id = ?1 AND status = 'sending' AND COALESCE(claimed_by, '') = ?4",
                params![id, DUE_AT_ONCE, INTERRUPTED, by],
            )?;
            if changed == 0 {
                tx.unchanged();
                return Ok::<_, DeliveryError>(0);
            }
            tx.journal(Entry::new(
                SENDER,
                channel_of(tx, id)?.kind("recovered"),
                format!("outbox/{id}"),
                json!({ "claimed_by": by, "claimed_ms": at }),
            ))?;
            Ok(1)
        })?;
    }
    Ok(recovered)
}

const INTERRUPTED: &str = "Pengiriman sebelumnya terputus karena loket berhenti; pesan dikirim ulang (penerima mungkin menerimanya dua kali).";

/// Puts a failed or waiting row back in the queue, due now.
pub fn retry_now(store: &mut Store, actor: &str, id: i64) -> Result<(), DeliveryError> {
    store.write(|tx| {
        let status: Option<String> = tx
            .query_row("SELECT status FROM outbox WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(status) = status.as_deref().and_then(Status::parse) else {
            return Err(super::DeliveryError::UnknownOutboxEntry { id });
        };
        if !matches!(status, Status::Failed | Status::Retry | Status::Queued) {
            return Err(super::DeliveryError::NothingToResend {
                id,
                state: status.label(),
            });
        }
        // A WhatsApp send whose reply was lost is sent again only this way: the clerk asked the
        // customer, who did not get it.
        tx.execute(
            "UPDATE outbox SET status = 'queued', next_attempt_ms = ?2, wa_send_started_ms = NULL
             WHERE id = ?1",
            params![id, DUE_AT_ONCE],
        )?;
        tx.journal(Entry::new(
            actor,
            channel_of(tx, id)?.kind("retry_requested"),
            format!("outbox/{id}"),
            json!({ "from_status": status.as_str() }),
        ))?;
        Ok(())
    })
}

/// Rows not yet sent, with their message bytes, oldest first.
pub(crate) fn unsent(store: &mut Store) -> Result<Vec<(i64, Vec<u8>)>, DeliveryError> {
    store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, message FROM outbox WHERE status IN ('queued', 'retry', 'failed')
             AND channel = 'mail' ORDER BY id",
        )?;
        let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Counts by status, for the health line of the counter and supervisor screens.
pub fn counts(store: &mut Store) -> Result<Vec<(Status, i64)>, DeliveryError> {
    store.read(|c| {
        let mut stmt =
            c.prepare("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")?;
        let rows = stmt.query_map((), |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (status, n) = row?;
            if let Some(s) = Status::parse(&status) {
                out.push((s, n));
            }
        }
        Ok(out)
    })
}

/// The wait before attempt `attempts + 1`: doubling from `first_ms`, capped at `max_ms`, with the
/// upper half jittered so that many messages failing together do not retry together.
pub fn backoff_ms(attempts: i64, first_ms: i64, max_ms: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = first_ms
        .saturating_mul(1i64 << doublings)
        .min(max_ms)
        .max(1);
    base / 2 + fastrand::i64(0..=base - base / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        for _ in 0..200 {
            let first = backoff_ms(1, 60_000, 1_800_000);
            assert!((30_000..=60_000).contains(&first), "{first}");
            let third = backoff_ms(3, 60_000, 1_800_000);
            assert!((120_000..=240_000).contains(&third), "{third}");
            let late = backoff_ms(40, 60_000, 1_800_000);
            assert!((900_000..=1_800_000).contains(&late), "{late}");
        }
        let spread: std::collections::BTreeSet<i64> =
            (0..50).map(|_| backoff_ms(2, 60_000, 1_800_000)).collect();
        assert!(spread.len() > 1, "retries are jittered");
    }
}
