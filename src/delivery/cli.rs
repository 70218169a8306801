//! Command-line handlers for `loket drives`, `loket export`, `loket mail` and `loket outbox`.
//!
//! Each handler first resolves what to deliver into a [`Source`] (today from `--file`; a stamping
//! job argument only has to add another way to build one), then calls the branch API.

use crate::cli::print_json;

use super::{Context, Delivered, Phase, Progress};
use crate::branch::Branch;
use crate::error::LoketError;
use crate::stamping::{JobId, Sn};
use crate::words;
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DrivesArgs {
    /// Keluaran JSON.
    #[arg(long)]
    pub json: bool,
    /// Lepaskan flash disk di titik kait ini dengan aman.
    #[arg(long, value_name = "TITIK_KAIT")]
    pub eject: Option<PathBuf>,
    /// Pasang flash disk yang belum terpasang (mis. /dev/sdb1) lewat udisks.
    #[arg(long, value_name = "PERANGKAT")]
    pub mount: Option<String>,
    /// Tampilkan juga berkas PDF di setiap flash disk.
    #[arg(long)]
    pub pdfs: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Pekerjaan meterai yang hasilnya diserahkan (pengganti --file).
    #[arg(conflicts_with = "file")]
    pub job: Option<i64>,
    /// Dokumen yang disalin.
    #[arg(long, required_unless_present = "job")]
    pub file: Option<PathBuf>,
    /// Titik kait flash disk pelanggan (atau folder tujuan).
    #[arg(long, value_name = "TITIK_KAIT")]
    pub to_drive: PathBuf,
    /// Nama berkas di flash disk (bawaan: nama dokumen).
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MailArgs {
    /// Pekerjaan meterai yang hasilnya dikirim (pengganti --file).
    #[arg(conflicts_with = "file")]
    pub job: Option<i64>,
    /// Dokumen yang dilampirkan (boleh lebih dari satu).
    #[arg(long, required_unless_present = "job")]
    pub file: Vec<PathBuf>,
    /// Alamat e-mail pelanggan.
    #[arg(long)]
    pub to: String,
    /// Hanya masukkan ke kotak keluar; jangan kirim sekarang.
    #[arg(long)]
    pub no_send: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WaArgs {
    /// Pekerjaan meterai yang hasilnya dikirim (pengganti --file).
    #[arg(conflicts_with = "file")]
    pub job: Option<i64>,
    /// Dokumen yang dikirim.
    #[arg(long, required_unless_present = "job")]
    pub file: Option<PathBuf>,
    /// Nomor WhatsApp pelanggan: 0812-3456-7890, 62812… atau +62 812 …
    #[arg(long)]
    pub to: String,
    /// Hanya masukkan ke kotak keluar; jangan kirim sekarang.
    #[arg(long)]
    pub no_send: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WaWebhookArgs {
    /// Alamat:port (bawaan: [whatsapp] webhook_listen).
    #[arg(long)]
    pub listen: Option<String>,
}

/// `loket outbox [COMMAND]`: without a command, the list.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Daftar e-mail di kotak keluar.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Kirim ulang e-mail yang gagal atau menunggu, sekarang.
    Retry { id: i64 },
    /// Simpan e-mail yang belum terkirim sebagai berkas .eml di folder ini.
    Eml { dir: PathBuf },
    /// Kirim e-mail yang sudah waktunya (satu putaran).
    Send {
        #[arg(long)]
        json: bool,
    },
}

/// What is being delivered: a stored file with its known hash and the name the customer sees.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub sha256: String,
    pub name: String,
    pub context: Context,
}

impl Source {
    /// A file given on the command line; its hash is taken now, as nothing recorded one.
    pub fn from_file(path: &Path, name: Option<&str>, actor: &str) -> Result<Source, LoketError> {
        let sha256 = super::copy::sha256_file(path).map_err(|source| LoketError::Io {
            what: crate::error::IoWhat::ReadDocument,
            path: path.to_path_buf(),
            source,
        })?;
        let name = name.map(str::to_string).unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dokumen.pdf".to_string())
        });
        Ok(Source {
            path: path.to_path_buf(),
            sha256,
            name,
            context: Context::by(actor),
        })
    }

    /// The verified stamped file of a stamping job, with its recorded hash and serial numbers.
    pub fn from_job(branch: &mut Branch, job: i64, actor: &str) -> Result<Source, LoketError> {
        let out = branch.stamping().job_output(crate::stamping::JobId(job))?;
        Ok(Source {
            path: out.path,
            sha256: out.sha256,
            name: out.file_name,
            context: Context {
                actor: actor.to_string(),
                job: Some(JobId(job)),
                sns: out.sns,
            },
        })
    }
}

pub fn drives(data: &Path, args: DrivesArgs) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    if let Some(mount) = args.eject {
        let drive = branch.delivery().drive_at(&mount)?;
        let done = branch.delivery().eject(&drive)?;
        println!("{}", done.message());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(device) = args.mount {
        let drive = branch.delivery().mount_drive(&device)?;
        println!(
            "{}",
            words::current().drive_mounted(&drive.label, &drive.mount_point.display())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let list = branch.delivery().drives()?;
    let waiting = branch.delivery().unmounted_drives()?;
    if args.json {
        let mut out = Vec::new();
        for d in &list {
            let mut value = serde_json::to_value(d).unwrap_or_default();
            if args.pdfs {
                value["pdfs"] = serde_json::to_value(branch.delivery().list_pdfs(&d.mount_point)?)
                    .unwrap_or_default();
            }
            out.push(value);
        }
        print_json(&out, branch.config().branch.timezone);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() && waiting.is_empty() {
        println!("{}", words::current().no_drives());
    }
    for device in &waiting {
        println!("{}", words::current().drive_not_mounted(device));
    }
    for d in &list {
        println!(
            "{}",
            words::current().drive_line(
                &d.mount_point.display().to_string(),
                &d.label,
                &d.free_bytes
                    .map_or_else(|| "?".to_string(), super::copy::human_bytes),
                &super::copy::human_bytes(d.size_bytes),
                d.read_only,
                &format!("{}, {}", d.device, d.fs_type),
            )
        );
        if args.pdfs {
            for pdf in branch.delivery().list_pdfs(&d.mount_point)? {
                println!(
                    "    {}  ({})",
                    pdf.relative,
                    super::copy::human_bytes(pdf.bytes)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(data: &Path, actor: &str, args: ExportArgs) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    let delivered = match (args.job, &args.file) {
        (Some(job), _) => {
            // The job form also marks the job delivered (stamping service).
            let source = Source::from_job(&mut branch, job, actor)?;
            eprintln!(
                "{}",
                words::current()
                    .copying_job(&source.name, &Sn::list(&source.context.sns).to_string())
            );
            branch.stamping().deliver_job_to_drive(
                crate::stamping::JobId(job),
                &args.to_drive,
                actor,
                &mut |_, _| {},
            )?
        }
        (None, Some(file)) => {
            let source = Source::from_file(file, args.name.as_deref(), actor)?;
            export_source(&mut branch, &source, &args.to_drive)?
        }
        (None, None) => {
            return Err(crate::cli::CliError::NoSource.into());
        }
    };
    if args.json {
        print_json(&delivered, branch.config().branch.timezone);
    } else if delivered.already_there {
        println!(
            "{}",
            words::current().copy_already_there(&delivered.path.display())
        );
    } else {
        println!(
            "{}",
            words::current().copy_done(
                &delivered.path.display(),
                &super::copy::human_bytes(delivered.bytes),
                &delivered.sha256
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies a resolved source to a drive, with a progress line on a terminal.
pub fn export_source(
    branch: &mut Branch,
    source: &Source,
    drive: &Path,
) -> Result<Delivered, LoketError> {
    let show = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if show && p.total > 0 {
            let what = words::current().copy_phase(matches!(p.phase, Phase::Verifying));
            eprint!("\r{what} {:>3}%", p.done * 100 / p.total);
            let _ = std::io::stderr().flush();
        }
    };
    let result = branch.delivery().copy_to_drive(
        &source.path,
        &source.sha256,
        &source.name,
        drive,
        &source.context,
        &mut progress,
    );
    if show {
        eprint!("\r              \r");
    }
    Ok(result?)
}

pub fn mail(data: &Path, actor: &str, args: MailArgs) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    if let Some(job) = args.job {
        let id = branch
            .stamping()
            .mail_job(crate::stamping::JobId(job), &args.to, actor)?;
        if !args.no_send && branch.config().smtp.is_some() {
            let now = branch.store().now();
            branch.delivery().send_due_mail(now)?;
        }
        return mail_report(&mut branch, id, args.json);
    }
    let sources = args
        .file
        .iter()
        .map(|f| Source::from_file(f, None, actor))
        .collect::<Result<Vec<_>, _>>()?;
    let documents: Vec<(PathBuf, String)> = sources
        .iter()
        .map(|s| (s.path.clone(), s.name.clone()))
        .collect();
    let id = branch
        .delivery()
        .queue_mail(&args.to, &documents, &Context::by(actor))?;
    if !args.no_send && branch.config().smtp.is_some() {
        let now = branch.store().now();
        branch.delivery().send_due_mail(now)?;
    }
    mail_report(&mut branch, id, args.json)
}

fn mail_report(branch: &mut Branch, id: i64, json: bool) -> Result<ExitCode, LoketError> {
    let entry = branch.delivery().outbox_entry(id)?;
    if json {
        print_json(&entry, branch.config().branch.timezone);
        return Ok(ExitCode::SUCCESS);
    }
    match entry {
        Some(e) => {
            println!(
                "{}",
                words::current().mail_entry(&e.id, &e.to, e.status.label())
            );
            if let Some(reason) = &e.last_error {
                println!("{reason}");
            }
            if branch.config().smtp.is_none() {
                println!("{}", words::current().mail_no_smtp_waiting());
            }
        }
        None => println!("{}", words::current().mail_queued(&id)),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn whatsapp(data: &Path, actor: &str, args: WaArgs) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    let id = match (args.job, &args.file) {
        (Some(job), _) => branch.delivery().whatsapp_job(job, &args.to, actor)?,
        (None, Some(file)) => {
            let source = Source::from_file(file, None, actor)?;
            branch.delivery().queue_whatsapp(
                &args.to,
                &(source.path.clone(), source.name.clone()),
                &source.context,
            )?
        }
        (None, None) => {
            return Err(crate::cli::CliError::NoSource.into());
        }
    };
    if !args.no_send && branch.delivery().whatsapp_configured() {
        let now = branch.store().now();
        let pass = branch.delivery().send_due_whatsapp(now)?;
        if let Some(problem) = pass.problem {
            eprintln!("{problem}");
        }
    }
    let entry = branch.delivery().outbox_entry(id)?;
    if args.json {
        print_json(&entry, branch.config().branch.timezone);
        return Ok(ExitCode::SUCCESS);
    }
    match entry {
        Some(e) => {
            println!(
                "{}",
                words::current().wa_entry(
                    &e.id,
                    &super::whatsapp::mask_number(&e.to),
                    e.state_label()
                )
            );
            if let Some(reason) = &e.last_error {
                println!("{reason}");
            }
            if !branch.delivery().whatsapp_configured() {
                println!("{}", super::whatsapp::WaError::NotConfigured);
            }
            Ok(if e.status == super::Status::Failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

pub fn wa_webhook(data: &Path, args: WaWebhookArgs) -> Result<ExitCode, LoketError> {
    let branch = Branch::open(data)?;
    let Some(settings) = branch.config().whatsapp.clone() else {
        return Err(super::DeliveryError::from(super::whatsapp::WaError::NotConfigured).into());
    };
    let listen = args
        .listen
        .or_else(|| {
            settings
                .webhook_listen
                .as_ref()
                .map(|l| l.get_ref().clone())
        })
        .ok_or_else(|| LoketError::from(crate::cli::CliError::NoWebhookListen))?;
    // Refuse to listen when statuses could not be checked.
    settings
        .app_secret()
        .map_err(|e| LoketError::from(super::DeliveryError::from(e)))?
        .ok_or_else(|| LoketError::from(crate::cli::CliError::NoWebhookSecret))?;
    let clock = branch.clock().clone();
    drop(branch);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    super::wa_outbox::serve_webhook(data, clock, &listen, stop, |addr| {
        println!("{}", words::current().webhook_listening(&addr));
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn outbox(data: &Path, actor: &str, command: OutboxCommand) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        OutboxCommand::List { json } => {
            let list = branch.delivery().outbox_list()?;
            if json {
                print_json(&list, branch.config().branch.timezone);
            } else if list.is_empty() {
                println!("{}", words::current().outbox_empty());
            } else {
                let tz = branch.config().branch.timezone;
                let now = branch.store().now();
                for e in &list {
                    let to = match e.channel {
                        super::Channel::Mail => e.to.clone(),
                        super::Channel::Whatsapp => super::whatsapp::mask_number(&e.to),
                    };
                    println!(
                        "#{:<5} {}  {:<8} {:<32} {:<20} {} {}  {}",
                        e.id,
                        crate::when::When::ms(e.created_ms, tz).on_day_of(now),
                        e.channel.label(),
                        to,
                        e.state_label(),
                        words::current().outbox_attempts(),
                        e.attempts,
                        e.subject
                    );
                    if let Some(reason) = e
                        .last_error
                        .as_ref()
                        .filter(|_| e.status != super::Status::Sent)
                    {
                        println!("       {reason}");
                    }
                }
            }
        }
        OutboxCommand::Retry { id } => {
            branch.delivery().outbox_retry(actor, id)?;
            println!("{}", words::current().mail_retry(&id));
        }
        OutboxCommand::Eml { dir } => {
            let written = branch.delivery().outbox_write_eml(actor, &dir)?;
            println!(
                "{}",
                words::current().eml_written(written.len(), &dir.display())
            );
        }
        OutboxCommand::Send { json } => {
            let now = branch.store().now();
            let (summary, wa) = branch.delivery().send_outbox(now)?;
            if json {
                print_json(
                    &serde_json::json!({
                        "smtp_configured": summary.smtp_configured,
                        "sent": summary.sent,
                        "retry": summary.retry,
                        "failed": summary.failed,
                        "recovered": summary.recovered,
                        "whatsapp": wa,
                    }),
                    branch.config().branch.timezone,
                );
            } else {
                if !summary.smtp_configured {
                    println!("{}", words::current().mail_no_smtp());
                } else {
                    println!(
                        "{}",
                        words::current().mail_sent_summary(
                            summary.sent.len(),
                            summary.retry.len(),
                            summary.failed.len()
                        )
                    );
                }
                if wa.configured {
                    println!(
                        "{}",
                        words::current().wa_sent_summary(
                            wa.sent.len(),
                            wa.retry.len(),
                            wa.failed.len()
                        )
                    );
                }
                if let Some(problem) = wa.problem {
                    println!("{problem}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
