//! `loket report daily|range`: builds the pack and sends it to the screen, CSV, PDF, the thermal
//! slip, a flash drive or the e-mail outbox.

use super::pack::{self, Pack};
use crate::branch::Branch;
use crate::day::BusinessDay;
use crate::delivery::cli::Source;
use crate::error::LoketError;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Paket harian satu hari kerja (bawaan: hari ini).
    Daily {
        /// Hari kerja, TTTT-BB-HH.
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        out: Outputs,
    },
    /// Paket gabungan beberapa hari (persentil dihitung ulang atas semua nomor antrean).
    Range {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[command(flatten)]
        out: Outputs,
    },
}

#[derive(Debug, Args)]
pub struct Outputs {
    /// Tulis satu berkas CSV per bagian ke folder ini.
    #[arg(long, value_name = "FOLDER")]
    pub csv: Option<PathBuf>,
    /// Tulis laporan PDF (A4) ke berkas ini.
    #[arg(long, value_name = "BERKAS")]
    pub pdf: Option<PathBuf>,
    /// Cetak ringkasan di printer termal (bawaan: printer loket 1).
    #[arg(long)]
    pub print: bool,
    /// Printer untuk --print, nama dari [printers].
    #[arg(long)]
    pub printer: Option<String>,
    /// Keluaran JSON (kontrak mesin).
    #[arg(long)]
    pub json: bool,
    /// Salin PDF (dan CSV) ke flash disk di titik kait ini.
    #[arg(long, value_name = "TITIK_KAIT")]
    pub to_drive: Option<PathBuf>,
    /// Kirim PDF (dan CSV) ke alamat e-mail ini lewat kotak keluar.
    #[arg(long, value_name = "ALAMAT")]
    pub mail: Option<String>,
    /// Tanyakan kuota ke penyedia e-Meterai (bila tidak terjangkau, laporan tetap jadi).
    #[arg(long)]
    pub check_provider: bool,
}

fn day_arg(text: &str) -> Result<BusinessDay, LoketError> {
    BusinessDay::parse(text).map_err(|_| crate::cli::CliError::NotADay(text.to_string()).into())
}

pub fn run(data: &Path, actor: &str, cmd: ReportCommand) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    let (mut p, out) = match cmd {
        ReportCommand::Daily { date, out } => {
            let day = match date {
                Some(d) => day_arg(&d)?,
                None => branch.store().today(),
            };
            // The pack leaves the branch (mail, drive, paper): it carries the head it anchored.
            let p = pack::daily_anchored(&mut branch, actor, day)?;
            (p, out)
        }
        ReportCommand::Range { from, to, out } => {
            let (from, to) = (day_arg(&from)?, day_arg(&to)?);
            (pack::range(&mut branch, from, to)?, out)
        }
    };
    if out.check_provider {
        match crate::stamping::peruri::PeruriProvider::from_config(&branch.config().stamping) {
            Ok(Some(provider)) => pack::check_provider(&mut p, &provider),
            Ok(None) => {}
            Err(e) => {
                p.stamps.provider = pack::ProviderCheck::Unreachable {
                    message: e.to_string(),
                }
            }
        }
    }
    deliver(&mut branch, actor, &p, &out)
}

/// The printer a supervisor's summary goes to when none is named: counter 1's, else the first one
/// configured.
fn default_printer(branch: &Branch) -> Result<String, LoketError> {
    branch
        .config()
        .counters
        .iter()
        .find_map(|c| c.printer.as_ref().map(|p| p.get_ref().clone()))
        .or_else(|| branch.config().printers.keys().next().cloned())
        .ok_or_else(|| LoketError::from(crate::cli::CliError::NoReportPrinter))
}

/// Writes the requested outputs of a built pack and prints it (text or JSON).
pub fn deliver(
    branch: &mut Branch,
    actor: &str,
    p: &Pack,
    out: &Outputs,
) -> Result<ExitCode, LoketError> {
    let tz = branch.config().branch.timezone;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if let Some(dir) = &out.csv {
        let written = super::csv::write(p, dir, tz)?;
        notes.push(crate::words::current().csv_written(written.len(), &dir.display()));
        files.extend(written);
    }
    let wants_pdf = out.pdf.is_some() || out.to_drive.is_some() || out.mail.is_some();
    if wants_pdf {
        let path = match &out.pdf {
            Some(path) => path.clone(),
            None => reports_dir(branch)?.join(format!("{}.pdf", p.file_stem())),
        };
        let bytes = super::pdf::render(p, tz)?;
        write_file(&path, &bytes)?;
        notes.push(crate::words::current().pdf_written(&path.display()));
        files.insert(0, path);
    }
    if out.print {
        let summary = super::thermal::summary(p, branch.config(), actor, tz);
        let printer = match &out.printer {
            Some(name) => name.clone(),
            None => default_printer(branch)?,
        };
        let payload = crate::printing::PrintPayload::Daily(summary);
        let outcome = branch
            .printing()
            .print_payload(&printer, &p.file_stem(), &payload, actor)?;
        notes.push(outcome.message.clone());
        if !outcome.printed {
            return Err(crate::cli::CliError::NotPrinted(Box::new(outcome)).into());
        }
    }
    if let Some(mount) = &out.to_drive {
        for f in &files {
            let source = Source::from_file(f, None, actor)?;
            let done = crate::delivery::cli::export_source(branch, &source, mount)?;
            notes.push(crate::words::current().copied_to(&done.path.display()));
        }
    }
    if let Some(to) = &out.mail {
        let docs = named(&files);
        let id = branch
            .delivery()
            .queue_mail(to, &docs, &crate::delivery::Context::by(actor))?;
        notes.push(crate::words::current().pack_mailed(to, &id));
    }
    if out.json {
        let mut value = serde_json::to_value(p).map_err(crate::cli::CliError::ReportJson)?;
        crate::when::json_moments(&mut value, tz);
        crate::cli::print_json_plain(&value);
    } else {
        print!("{}", super::text::render(p, tz));
        for n in notes {
            println!("{n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each file with the name it is attached under (its own).
pub(crate) fn named(files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|f| {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "laporan.pdf".into());
            (f.clone(), name)
        })
        .collect()
}

pub(crate) fn reports_dir(branch: &Branch) -> Result<PathBuf, LoketError> {
    let dir = branch.data_dir().join("reports");
    std::fs::create_dir_all(&dir).map_err(|source| LoketError::Io {
        what: crate::error::IoWhat::CreateFolder,
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), LoketError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| LoketError::Io {
            what: crate::error::IoWhat::CreateFolder,
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| LoketError::Io {
        what: crate::error::IoWhat::WriteFile,
        path: path.to_path_buf(),
        source,
    })
}
