//! Delivery of stamped documents: verified copies to the customer's flash drive and e-mail through
//! a durable outbox, as methods on [`Branch`] that the CLI, the counter UI and the stamping service call.

pub mod cli;
pub mod copy;
pub mod drives;
pub mod mail;
pub mod names;
pub mod outbox;
pub mod settings;
pub mod wa_outbox;
pub mod whatsapp;

pub use copy::{CopyError, Delivered, Phase, Progress};
pub use drives::{Drive, DriveRoots, EjectError, Ejected, PdfFile};
pub use mail::MailError;
pub use outbox::{Channel, OutboxEntry, Status};

use crate::branch::Branch;
use crate::clock::Clock;
use crate::journal::Entry;
use crate::stamping::{JobId, Sn};
use lettre::Transport;
use lettre::address::Envelope;
use serde::Serialize;
use serde_json::json;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;
use time::OffsetDateTime;

crate::branch::service!(
    /// Delivery: the customer's flash drive and the e-mail/WhatsApp outbox.
    DeliveryService,
    delivery
);

/// Anything delivery can fail with; every message tells the clerk what to do next.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    Branch(#[from] crate::branch::BranchError),
    Io {
        what: crate::error::IoWhat,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    Store(#[from] crate::store::StoreError),
    /// Delivery and stamping call each other (a delivered copy settles its job), so one side boxes.
    Stamping(Box<crate::stamping::StampingError>),
    Copy(#[from] CopyError),
    Mail(#[from] MailError),
    Eject(#[from] EjectError),
    WhatsApp(#[from] whatsapp::WaError),
    TooLargeForWhatsApp {
        size: u64,
        limit: u64,
    },
    BadDocumentName {
        name: String,
        reason: String,
    },
    CaptionTemplate(String),
    WebhookAddress {
        listen: String,
        reason: String,
    },
    WebhookNotIp,
    UnknownOutboxEntry {
        id: i64,
    },
    NothingToResend {
        id: i64,
        state: &'static str,
    },
    Detect {
        #[source]
        source: io::Error,
    },
    List {
        mount: PathBuf,
        #[source]
        source: io::Error,
    },
    NoSuchDrive {
        mount: PathBuf,
    },
    Eml {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Who delivers, for which stamping job, and what the e-mail should say about it.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The clerk (journal actor).
    pub actor: String,
    /// The stamping job delivered, when there is one.
    pub job: Option<JobId>,
    /// e-Meterai serial numbers on the documents, for the e-mail text.
    pub sns: Vec<Sn>,
}

impl Context {
    pub fn by(actor: &str) -> Context {
        Context {
            actor: actor.to_string(),
            ..Context::default()
        }
    }
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendSummary {
    pub smtp_configured: bool,
    pub sent: Vec<i64>,
    pub retry: Vec<i64>,
    pub failed: Vec<i64>,
    /// Rows taken back from a process that died while sending.
    pub recovered: usize,
}

/// Environment variable that points drive detection at another root holding `proc/self/mountinfo`,
/// `sys/` and `dev/` (training machines and whole-program tests).
pub const DRIVE_ROOT_VAR: &str = "LOKET_DRIVE_ROOT";

/// Where drives are looked for: the real system, or the tree named by [`DRIVE_ROOT_VAR`].
pub fn drive_roots() -> DriveRoots {
    match std::env::var_os(DRIVE_ROOT_VAR) {
        Some(root) => {
            let root = PathBuf::from(root);
            DriveRoots {
                mountinfo: root.join("proc/self/mountinfo"),
                sys: root.join("sys"),
                dev: root.join("dev"),
            }
        }
        None => DriveRoots::default(),
    }
}

impl DeliveryService<'_> {
    /// The mounted removable USB drives.
    pub fn drives(&self) -> Result<Vec<Drive>, DeliveryError> {
        drives::detect(&drive_roots()).map_err(|source| DeliveryError::Detect { source })
    }

    /// The PDFs on a drive (or folder), sorted, with sizes.
    pub fn list_pdfs(&self, drive: &Path) -> Result<Vec<PdfFile>, DeliveryError> {
        drives::list_pdfs(drive).map_err(|source| DeliveryError::List {
            mount: drive.to_path_buf(),
            source,
        })
    }

    /// Copies a stored document to the customer's drive with read-back verification, then records
    /// the copy. On failure nothing is recorded, the stored file is untouched, and the clerk may
    /// retry on any drive.
    pub fn copy_to_drive(
        &mut self,
        source: &Path,
        expected_sha256: &str,
        file_name: &str,
        drive_mount: &Path,
        context: &Context,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Delivered, DeliveryError> {
        let delivered =
            copy::copy_verified(source, expected_sha256, file_name, drive_mount, progress)
                .map_err(DeliveryError::from)?;
        let label = drives::detect(&drive_roots())
            .ok()
            .and_then(|list| {
                list.into_iter()
                    .find(|d| drive_mount.starts_with(&d.mount_point))
            })
            .map(|d| d.label);
        self.store.write(|tx| {
            let id: i64 = tx.query_row(
                "INSERT INTO drive_copies (at_ms, actor, job, source, sha256, bytes, target, drive_label, already)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                crate::params![
                    tx.now_ms(),
                    context.actor,
                    context.job,
                    source.display().to_string(),
                    delivered.sha256,
                    delivered.bytes,
                    delivered.path.display().to_string(),
                    label,
                    i64::from(delivered.already_there),
                ],
                |r| r.get(0),
            )?;
            tx.journal(Entry::new(
                &context.actor,
                "delivery.copied",
                context
                    .job
                    .map_or_else(|| format!("copy/{id}"), |job| job.to_string()),
                json!({
                    "source": source.display().to_string(),
                    "target": delivered.path.display().to_string(),
                    "sha256": delivered.sha256,
                    "bytes": delivered.bytes,
                    "drive": label,
                    "already_there": delivered.already_there,
                }),
            ))?;
            Ok::<_, DeliveryError>(())
        })?;
        Ok(delivered)
    }

    /// Unmounts and powers off the drive (udisks), or flushes it; the message says what to tell
    /// the customer.
    pub fn eject(&self, drive: &Drive) -> Result<Ejected, DeliveryError> {
        drives::eject(drive).map_err(DeliveryError::from)
    }

    /// Inserted USB drives that are not mounted yet (`/dev/NAME`), for [`Branch::mount_drive`].
    pub fn unmounted_drives(&self) -> Result<Vec<String>, DeliveryError> {
        drives::unmounted(&drive_roots()).map_err(|source| DeliveryError::Detect { source })
    }

    /// Mounts an inserted drive through udisks and returns it.
    pub fn mount_drive(&self, device: &str) -> Result<Drive, DeliveryError> {
        let at = drives::mount(device).map_err(DeliveryError::from)?;
        self.drive_at(&at)
    }

    /// The drive mounted at `mount`.
    pub fn drive_at(&self, mount: &Path) -> Result<Drive, DeliveryError> {
        self.drives()?
            .into_iter()
            .find(|d| d.mount_point == mount)
            .ok_or_else(|| DeliveryError::NoSuchDrive {
                mount: mount.to_path_buf(),
            })
    }

    /// The sender of e-mails: `[smtp] from`, else `[delivery] mail_from`, else a name for the branch.
    fn mail_from(&self) -> Result<lettre::message::Mailbox, DeliveryError> {
        let configured = self
            .config
            .smtp
            .as_ref()
            .map(|s| s.from.get_ref().clone())
            .or_else(|| {
                self.config
                    .delivery
                    .mail_from
                    .as_ref()
                    .map(|f| f.get_ref().clone())
            });
        let text = configured.unwrap_or_else(|| {
            format!(
                "{} <loket-{}@kantorpos.invalid>",
                self.config.branch.name, self.config.branch.code
            )
        });
        mail::parse_mailbox(&text).map_err(DeliveryError::from)
    }

    /// The markers of the message templates (`[delivery]` mail, `[whatsapp]` caption): branch,
    /// date (on the branch's calendar), documents, serial numbers and their check addresses (joined
    /// by `verify_sep`); `-` for an empty list.
    pub(crate) fn template_values(
        &self,
        context: &Context,
        documents: &[String],
        verify_sep: &str,
    ) -> [(&'static str, String); 5] {
        let or_dash = |list: &[String], sep: &str| {
            if list.is_empty() {
                "-".to_string()
            } else {
                list.join(sep)
            }
        };
        let verify: Vec<String> = context
            .sns
            .iter()
            .map(|sn| self.config.stamping.verify_url.replace("{sn}", sn.as_str()))
            .collect();
        let now = self.store.now();
        [
            ("branch", self.config.branch.name.clone()),
            ("date", indonesian_date(self.store.timezone().local(now))),
            ("document", or_dash(documents, ", ")),
            (
                "sns",
                if context.sns.is_empty() {
                    "-".to_string()
                } else {
                    Sn::list(&context.sns)
                },
            ),
            ("verify", or_dash(&verify, verify_sep)),
        ]
    }

    /// Builds the e-mail with the documents attached and puts it in the outbox; returns its id.
    /// Sending happens in [`Branch::send_due_mail`] (the background sender).
    pub fn queue_mail(
        &mut self,
        to: &str,
        documents: &[(PathBuf, String)],
        context: &Context,
    ) -> Result<i64, DeliveryError> {
        let err = |e: MailError| DeliveryError::from(e);
        let to = mail::check_address(to).map_err(err)?;
        let from = self.mail_from()?;
        let limit = u64::from(self.config.delivery.max_mail_mb) * 1_000_000;
        // Refuse early what cannot fit once base64 (4/3, plus line breaks) is applied.
        let mut raw = 0u64;
        for (path, _) in documents {
            raw += std::fs::metadata(path)
                .map_err(|source| {
                    err(MailError::Attachment {
                        path: path.display().to_string(),
                        source,
                    })
                })?
                .len();
        }
        if raw / 3 * 4 > limit {
            return Err(err(MailError::TooLarge {
                bytes: raw / 3 * 4,
                limit,
            }));
        }
        let mut docs = Vec::new();
        let mut listed = Vec::new();
        for (path, name) in documents {
            let bytes = std::fs::read(path).map_err(|source| {
                err(MailError::Attachment {
                    path: path.display().to_string(),
                    source,
                })
            })?;
            let name = names::SafeName::new(name)
                .map_err(|e| {
                    err(MailError::AttachmentName {
                        name: name.clone(),
                        reason: e.to_string(),
                    })
                })?
                .candidate(1);
            listed.push(json!({
                "name": name,
                "path": path.display().to_string(),
                "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                "bytes": bytes.len(),
            }));
            docs.push(mail::Document { name, bytes });
        }
        let now = self.store.now();
        let document_names: Vec<String> = docs.iter().map(|d| d.name.clone()).collect();
        let owned = self.template_values(context, &document_names, "\n");
        let values: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let subject = settings::render(self.config.delivery.mail_subject.get_ref(), &values)
            .map_err(|m| err(MailError::Template(m)))?;
        let body = settings::render(self.config.delivery.mail_body.get_ref(), &values)
            .map_err(|m| err(MailError::Template(m)))?;
        let message_id = mail::new_message_id(from.email.domain());
        let message = mail::compose(&from, &to, &subject, &body, &docs, &message_id, now.into())
            .map_err(err)?;
        if message.len() as u64 > limit {
            return Err(err(MailError::TooLarge {
                bytes: message.len() as u64,
                limit,
            }));
        }
        outbox::insert(
            self.store,
            &context.actor,
            &outbox::NewMail {
                message_id,
                from: from.email.to_string(),
                to: to.to_string(),
                subject,
                documents: serde_json::Value::Array(listed),
                job: context.job,
                message,
            },
        )
    }

    /// The outbox, newest first.
    pub fn outbox_list(&mut self) -> Result<Vec<OutboxEntry>, DeliveryError> {
        self.outbox_newest(1000)
    }

    /// The newest `limit` e-mails of the outbox, newest first.
    pub fn outbox_newest(&mut self, limit: u32) -> Result<Vec<OutboxEntry>, DeliveryError> {
        outbox::list(self.store, limit)
    }

    /// How many e-mails the outbox holds in each status.
    pub fn outbox_counts(&mut self) -> Result<Vec<(outbox::Status, i64)>, DeliveryError> {
        outbox::counts(self.store)
    }

    pub fn outbox_entry(&mut self, id: i64) -> Result<Option<OutboxEntry>, DeliveryError> {
        outbox::get(self.store, id)
    }

    /// Puts a failed or waiting e-mail back in the queue, due now.
    pub fn outbox_retry(&mut self, actor: &str, id: i64) -> Result<(), DeliveryError> {
        outbox::retry_now(self.store, actor, id)
    }

    /// Writes every e-mail not yet sent as `loket-<id>.eml` into `dir` (for sending by hand while
    /// no SMTP server is configured); the rows stay in the outbox.
    pub fn outbox_write_eml(
        &mut self,
        actor: &str,
        dir: &Path,
    ) -> Result<Vec<PathBuf>, DeliveryError> {
        let eml_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DeliveryError::Eml { path, source }
        };
        std::fs::create_dir_all(dir).map_err(eml_err(dir))?;
        let rows = outbox::unsent(self.store)?;
        let mut written = Vec::new();
        for (id, message) in &rows {
            let path = dir.join(format!("loket-{id:06}.eml"));
            let temp = dir.join(format!(".loket-{id:06}.eml.part"));
            std::fs::write(&temp, message).map_err(eml_err(&temp))?;
            std::fs::File::open(&temp)
                .and_then(|f| f.sync_all())
                .map_err(eml_err(&temp))?;
            std::fs::rename(&temp, &path).map_err(eml_err(&path))?;
            written.push(path);
        }
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        self.store.write(|tx| {
            tx.journal(Entry::new(
                actor,
                "mail.eml_written",
                "outbox",
                json!({ "dir": dir.display().to_string(), "ids": ids }),
            ))?;
            Ok::<_, DeliveryError>(())
        })?;
        Ok(written)
    }

    /// One pass of the sender: takes back rows of dead senders, then sends every due row (each
    /// claimed atomically). Stops early when the server cannot be reached at all.
    pub fn send_due_mail(&mut self, now: OffsetDateTime) -> Result<SendSummary, DeliveryError> {
        let now_ms = crate::store::to_ms(now);
        let timeout_s = self.config.smtp.as_ref().map_or(30, |s| s.timeout_seconds);
        let stale_ms = i64::try_from(
            timeout_s
                .saturating_mul(4)
                .saturating_add(60)
                .saturating_mul(1000),
        )
        .unwrap_or(i64::MAX);
        let mut summary = SendSummary {
            recovered: outbox::recover_stuck(self.store, now_ms, stale_ms)?,
            ..SendSummary::default()
        };
        let Some(smtp) = self.config.smtp.clone() else {
            return Ok(summary);
        };
        summary.smtp_configured = true;
        let transport = mail::transport(&smtp, self.data_dir).map_err(DeliveryError::from)?;
        let (first_ms, max_ms) = self.config.delivery.retry_bounds_ms();
        // A bound on one pass, so a long queue cannot keep the sender from noticing a stop request.
        for _ in 0..200 {
            let Some(id) = outbox::next_due(self.store, outbox::Channel::Mail, now_ms)? else {
                break;
            };
            let Some(claimed) = outbox::claim(self.store, id, now_ms)? else {
                continue;
            };
            let outcome = match envelope(&claimed) {
                Ok(envelope) => match transport.send_raw(&envelope, &claimed.message) {
                    Ok(reply) => {
                        let text = reply.message().collect::<Vec<_>>().join(" ");
                        mail::Outcome::Sent(format!("{} {text}", reply.code()))
                    }
                    Err(e) => mail::classify(&e),
                },
                Err(reason) => mail::Outcome::Failed(reason),
            };
            match outcome {
                mail::Outcome::Sent(reply) => {
                    outbox::mark_sent(self.store, id, &reply)?;
                    summary.sent.push(id);
                }
                mail::Outcome::Retry { reason, connection } => {
                    let next = now_ms + outbox::backoff_ms(claimed.attempts, first_ms, max_ms);
                    outbox::mark_retry(self.store, id, &reason, next)?;
                    summary.retry.push(id);
                    if connection {
                        break;
                    }
                }
                mail::Outcome::Failed(reason) => {
                    outbox::mark_failed(self.store, id, &reason)?;
                    summary.failed.push(id);
                }
            }
        }
        Ok(summary)
    }
}

impl DeliveryService<'_> {
    /// One pass of every channel of the outbox: e-mail, then WhatsApp.
    pub fn send_outbox(
        &mut self,
        now: OffsetDateTime,
    ) -> Result<(SendSummary, wa_outbox::WaSummary), DeliveryError> {
        let mail = self.send_due_mail(now)?;
        let wa = self.send_due_whatsapp(now)?;
        Ok((mail, wa))
    }

    /// When the outbox next needs a pass for a channel that can send (none: nothing waits, or
    /// only for a channel not configured), never sooner than `floor_ms`.
    pub fn outbox_next_due_ms(&mut self, floor_ms: i64) -> Result<Option<i64>, DeliveryError> {
        let mut channels = Vec::new();
        if self.config.smtp.is_some() {
            channels.push(Channel::Mail);
        }
        if self.config.whatsapp.is_some() {
            channels.push(Channel::Whatsapp);
        }
        let mut due: Option<i64> = None;
        for channel in channels {
            if let Some(t) = outbox::next_due_ms(self.store, channel)? {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        }
        Ok(due.map(|t| t.max(floor_ms)))
    }
}

fn envelope(claimed: &outbox::Claimed) -> Result<Envelope, String> {
    let parse = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|e| crate::words::current().outbox_bad_address(a, &e))
    };
    Envelope::new(Some(parse(&claimed.from)?), vec![parse(&claimed.to)?])
        .map_err(|e| crate::words::current().outbox_bad_envelope(&e))
}

/// `23 November 2026`.
pub fn indonesian_date(at: OffsetDateTime) -> String {
    crate::when::date(at.date())
}

/// The background sender: a thread with its own connection to the branch database that runs
/// [`Branch::send_due_mail`] every `[delivery] send_interval_seconds`, or at once when woken.
#[derive(Debug)]
pub struct Sender {
    signal: mpsc::Sender<Signal>,
    handle: Option<JoinHandle<()>>,
}

#[derive(Debug)]
enum Signal {
    Wake,
    Stop,
}

impl Sender {
    /// Starts the thread; `report` receives the outcome of every pass (for the status line).
    pub fn start(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        report: impl Fn(Result<SendSummary, DeliveryError>) + Send + 'static,
    ) -> Result<Sender, DeliveryError> {
        let mut branch = Branch::open_with_clock(data_dir, clock)?;
        let interval = Duration::from_secs(branch.config().delivery.send_interval_seconds);
        let (signal, inbox) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("loket-mail".into())
            .spawn(move || {
                loop {
                    let now = branch.clock().now();
                    report(branch.delivery().send_due_mail(now));
                    match inbox.recv_timeout(interval) {
                        Ok(Signal::Wake) | Err(RecvTimeoutError::Timeout) => {}
                        Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            })
            .map_err(|source| DeliveryError::Io {
                what: crate::error::IoWhat::StartMailSender,
                path: data_dir.to_path_buf(),
                source,
            })?;
        Ok(Sender {
            signal,
            handle: Some(handle),
        })
    }

    /// Runs a pass now (after queueing a message).
    pub fn wake(&self) {
        let _ = self.signal.send(Signal::Wake);
    }

    /// Stops the thread after its current pass.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.signal.send(Signal::Stop);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl From<crate::stamping::StampingError> for DeliveryError {
    fn from(e: crate::stamping::StampingError) -> Self {
        DeliveryError::Stamping(Box::new(e))
    }
}

impl From<crate::store::sql::Error> for DeliveryError {
    fn from(e: crate::store::sql::Error) -> Self {
        DeliveryError::Store(crate::store::StoreError::from(e))
    }
}
