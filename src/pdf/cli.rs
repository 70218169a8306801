//! `loket stamp` and `loket verify`: argument structs and handlers for the technicians' command line.
//!
//! The handlers take the data folder (the training PKI lives in `DATA/pki/`) and a writer for their report, so the
//! top-level CLI only parses and hands over.

use std::io::Write;
use std::path::{Path, PathBuf};

use time::{OffsetDateTime, UtcOffset};

use super::appearance::AppearanceOptions;
use super::geometry::{DEFAULT_STAMP_MM, Rect, mm_to_pt, pt_to_mm};
use super::intake::{IntakeError, IntakeOptions, intake};
use super::io::{FileError, RootsError, load_roots, read_input, write_stamped};
use super::pki::{PkiError, TrainingPkiPaths, generate_training_pki};
use super::placement::{PlacementOptions, check_overlaps, propose};
use super::serial::{InvalidSerial, SerialNumber};
use super::sign::{SignatureProfile, Signer, SignerError};
use super::stamp::{StampError, StampSpec, stamp};
use super::trust::certificates_from_pem;
use super::tsa::{LocalTsa, TimestampSource};
use super::verify::{VerifyError, VerifyReport, verify_pdf_with_roots};
use crate::when::When;
use crate::words;

/// `loket stamp IN OUT`: stamp a PDF with the training signer (engine level, for technicians).
#[derive(Debug, Clone, clap::Args)]
pub struct StampArgs {
    /// The PDF to stamp.
    pub input: PathBuf,
    /// Where to write the stamped PDF.
    pub output: PathBuf,
    /// Page (1-based); default: the proposed page.
    #[arg(long)]
    pub page: Option<u32>,
    /// Top-left corner of the stamp in millimetres from the page's top-left corner, as X,Y; default: the
    /// proposed place next to the signature block.
    #[arg(long, value_parser = parse_mm_pair)]
    pub at: Option<(f64, f64)>,
    /// Stamp edge in millimetres.
    #[arg(long, default_value_t = DEFAULT_STAMP_MM)]
    pub size: f64,
    /// Serial number; default: a training serial (TRN…). Real serials come from the SN inventory.
    #[arg(long)]
    pub sn: Option<String>,
    /// Password of an encrypted PDF.
    #[arg(long)]
    pub password: Option<String>,
    // The default is Peruri's document type name, written into the signed document: the stamp's
    // words, not the process language.
    /// Signature reason (document type); written as "[SN] reason".
    #[arg(long, default_value = "Dokumen lain-lain")]
    pub reason: String,
    /// Signature location (branch city).
    #[arg(long, default_value = "Indonesia")]
    pub location: String,
    /// The branch's UTC offset for the signing time: +07:00 (WIB), +08:00 (WITA) or +09:00 (WIT).
    #[arg(long, default_value = "+07:00", value_parser = parse_offset)]
    pub utc_offset: UtcOffset,
    /// Add an RFC 3161 timestamp from the branch's training TSA (PAdES B-T).
    #[arg(long)]
    pub timestamp: bool,
    /// Use adbe.pkcs7.detached (Peruri's adapter profile) instead of ETSI.CAdES.detached.
    #[arg(long)]
    pub pkcs7: bool,
}

/// `loket verify FILE`: list and check every signature of a PDF.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The PDF to check.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Password of an encrypted PDF.
    #[arg(long)]
    pub password: Option<String>,
    /// A PEM file of root certificates to trust besides the branch's training CA (one or more roots per file;
    /// repeat the option for several files).
    #[arg(long = "trust", value_name = "FILE")]
    pub trust: Vec<PathBuf>,
}

/// A command failed; `Display` is the sentence, in the process's language, for the technician.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Reading or writing files.
    File(#[from] FileError),
    /// The input cannot be stamped.
    Intake(#[from] IntakeError),
    /// Stamping failed.
    Stamp(#[from] StampError),
    /// The signer or TSA keys could not be loaded.
    Signer(#[from] SignerError),
    /// The training PKI could not be created.
    Pki(#[from] PkiError),
    /// The file could not be checked.
    Verify(#[from] VerifyError),
    /// A `--trust` file could not be loaded.
    Roots(#[from] RootsError),
    /// `--sn` is not a serial number.
    Serial(#[from] InvalidSerial),
    /// Writing the report to the terminal failed.
    Output(#[source] std::io::Error),
}

fn parse_mm_pair(s: &str) -> Result<(f64, f64), String> {
    let (x, y) = s
        .split_once(',')
        .ok_or_else(|| crate::words::current().mm_pair_format().to_string())?;
    let parse = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
    };
    match (parse(x), parse(y)) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(crate::words::current().mm_pair_negative().to_string()),
    }
}

fn parse_offset(s: &str) -> Result<UtcOffset, String> {
    let bad = || crate::words::current().offset_unknown(s);
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1i8, &s[1..]),
        Some(b'-') => (-1i8, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

/// The training signer from `DATA/pki/`, created on first use.
fn training_keys(data_dir: &Path) -> Result<(Signer, TrainingPkiPaths, bool), CliError> {
    let dir = data_dir.join("pki");
    let mut paths = TrainingPkiPaths::in_dir(&dir);
    let created = !paths.exists();
    if created {
        paths = generate_training_pki(&dir, "Cabang")?;
    }
    Ok((
        Signer::from_files(&paths.signer_key, &paths.signer_chain)?,
        paths,
        created,
    ))
}

fn out_err(e: std::io::Error) -> CliError {
    CliError::Output(e)
}

/// Handle `loket stamp`. Writes a short report, in the process's language, to `out`.
pub fn run_stamp(data_dir: &Path, args: &StampArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (signer, paths, created) = training_keys(data_dir)?;
    if created {
        writeln!(
            out,
            "{}",
            words::current()
                .training_ca_made(&paths.ca_cert.parent().unwrap_or(data_dir).display())
        )
        .map_err(out_err)?;
    }
    let opts = IntakeOptions {
        password: args.password.clone(),
        ..IntakeOptions::default()
    };
    let bytes = read_input(&args.input, opts.max_bytes)?;
    let prepared = intake(bytes, &opts)?;
    let report = prepared.report.clone();
    writeln!(
        out,
        "{}",
        words::current().pdf_summary(
            report.pages,
            report.size_bytes.div_ceil(1024),
            &report.version,
            report.encrypted,
            report.signatures.len()
        )
    )
    .map_err(out_err)?;
    for w in &report.warnings {
        writeln!(out, "{}", words::current().pdf_warning(&w.message())).map_err(out_err)?;
    }

    let size_pt = mm_to_pt(args.size);
    let placement_opts = PlacementOptions {
        size_pt,
        ..PlacementOptions::default()
    };
    let (page, rect, basis) = match args.at {
        Some((x_mm, y_mm)) => {
            let page = args.page.unwrap_or(report.pages);
            let frame = prepared
                .page_frame(page)
                .ok_or(StampError::PageOutOfRange {
                    page,
                    pages: report.pages,
                })?;
            // Measured on the page as the reader shows it (a turned page is measured turned).
            (
                page,
                frame.square_from_top_left_mm(x_mm, y_mm, size_pt),
                words::current().place_requested().to_string(),
            )
        }
        None => {
            let proposal = propose(&prepared, &placement_opts);
            let page = args.page.unwrap_or(proposal.page);
            if page == proposal.page {
                let basis = proposal.basis.describe();
                (page, proposal.rect, basis)
            } else {
                let frame = prepared
                    .page_frame(page)
                    .ok_or(StampError::PageOutOfRange {
                        page,
                        pages: report.pages,
                    })?;
                let m = placement_opts.margin_pt;
                let (w, _) = frame.display_size();
                (
                    page,
                    frame.to_user(&Rect::new(w - m - size_pt, m, w - m, m + size_pt)),
                    words::current().place_lower_right().to_string(),
                )
            }
        }
    };
    for o in check_overlaps(&prepared, page, &rect, placement_opts.max_decompressed_size) {
        writeln!(
            out,
            "{}",
            words::current().stamp_overlaps(&describe_overlap(&o))
        )
        .map_err(out_err)?;
    }

    let frame_rotation = prepared.page_frame(page).map_or(0, |f| f.rotate);
    let serial = match &args.sn {
        Some(s) => SerialNumber::parse(s)?,
        None => SerialNumber::training(),
    };
    let spec = StampSpec {
        page,
        rect,
        serial: serial.clone(),
        reason: args.reason.clone(),
        location: args.location.clone(),
        signing_time: OffsetDateTime::now_utc().to_offset(args.utc_offset),
        appearance: AppearanceOptions {
            specimen: true,
            ..AppearanceOptions::default()
        },
        profile: if args.pkcs7 {
            SignatureProfile::Pkcs7Detached
        } else {
            SignatureProfile::CadesDetached
        },
    };
    let tsa = if args.timestamp {
        Some(LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain)?)
    } else {
        None
    };
    let stamped = stamp(
        prepared,
        &spec,
        &signer,
        tsa.as_ref().map(|t| t as &dyn TimestampSource),
    )?;
    write_stamped(&args.output, &stamped, true)?;
    let basis = match frame_rotation {
        0 => basis,
        r => words::current().basis_rotated(&basis, r),
    };
    writeln!(
        out,
        "{}",
        words::current().stamped(
            &serial.to_string(),
            page,
            &basis,
            pt_to_mm(rect.width()),
            pt_to_mm(rect.height()),
            &args.output.display()
        )
    )
    .map_err(out_err)?;
    Ok(())
}

fn describe_overlap(o: &super::placement::Overlap) -> String {
    use super::placement::Overlap;
    let w = words::current();
    match o {
        Overlap::SignatureField { name, .. } => w.overlap_field(name),
        Overlap::Annotation { name, .. } => w.overlap_annotation(name),
        Overlap::Text { text, .. } => w.overlap_text(text.trim()),
        Overlap::Rule { .. } => w.overlap_rule().to_string(),
        Overlap::OutsidePage { .. } => w.overlap_outside().to_string(),
    }
}

/// Handle `loket verify`. Returns the report so the caller can choose the exit code
/// ([`VerifyReport::all_valid`]).
pub fn run_verify(
    data_dir: &Path,
    args: &VerifyArgs,
    out: &mut dyn Write,
) -> Result<VerifyReport, CliError> {
    let bytes = read_input(&args.file, u64::MAX)?;
    // The training CA is trusted when the data folder has one; a branch that never ran `loket init` has none, which
    // is not an error (the report then says nothing about trust unless `--trust` names roots).
    let ca_path = data_dir.join("pki").join(super::pki::CA_CERT_FILE);
    let mut roots = std::fs::read(&ca_path)
        .ok()
        .and_then(|pem| certificates_from_pem(&pem).ok())
        .unwrap_or_default();
    for path in &args.trust {
        roots.extend(load_roots(path)?);
    }
    let report = verify_pdf_with_roots(&bytes, args.password.as_deref(), &roots)?;
    // Moments in the branch's zone when the data folder has a configuration; otherwise in the
    // zone the first signature gives its own time in.
    let zone = crate::config::Config::load(&data_dir.join(crate::config::FILE_NAME))
        .ok()
        .map(|c| c.branch.timezone)
        .or_else(|| {
            report
                .signatures
                .iter()
                .find_map(|s| s.signing_time.as_deref().and_then(pdf_moment))
                .and_then(|at| crate::day::TimeZone::of_offset(at.offset()))
        });
    let human = |at: OffsetDateTime| match zone {
        Some(tz) => When::at(at, tz).full(),
        None => When::in_own_offset(at).full(),
    };
    if args.json {
        // The signing time as ISO 8601 with its offset, like every other `--json` moment.
        let mut value = serde_json::to_value(&report).map_err(|e| CliError::Output(e.into()))?;
        if let Some(sigs) = value["signatures"].as_array_mut() {
            for sig in sigs {
                let iso = sig["signing_time"]
                    .as_str()
                    .and_then(pdf_moment)
                    .map(|at| When::in_own_offset(at).iso());
                if let Some(iso) = iso {
                    sig["signing_time"] = serde_json::Value::String(iso);
                }
            }
        }
        let text = serde_json::to_string_pretty(&value).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out, "{text}").map_err(out_err)?;
        return Ok(report);
    }
    let w = words::current();
    if report.signatures.is_empty() {
        writeln!(out, "{}", w.no_signatures()).map_err(out_err)?;
    }
    for (i, s) in report.signatures.iter().enumerate() {
        writeln!(out, "{}", w.signature_head(i + 1, &s.field, s.valid)).map_err(out_err)?;
        if let Some(sn) = &s.serial {
            writeln!(out, "{}", w.signature_serial(sn)).map_err(out_err)?;
        }
        writeln!(
            out,
            "{}",
            w.signature_signer(s.signer.as_deref().unwrap_or("-"))
        )
        .map_err(out_err)?;
        let signed = s
            .signing_time
            .as_deref()
            .map(|t| pdf_moment(t).map_or(t.to_string(), human));
        writeln!(
            out,
            "{}",
            w.signature_time(signed.as_deref().unwrap_or("-"))
        )
        .map_err(out_err)?;
        if let Some(ts) = &s.timestamp_time {
            let ts = OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
                .map_or(ts.to_string(), human);
            writeln!(
                out,
                "{}",
                w.signature_timestamp(&ts, s.timestamp_valid == Some(true))
            )
            .map_err(out_err)?;
        }
        match (s.trusted, &s.trust_problem) {
            (Some(true), _) => writeln!(out, "{}", w.signature_trusted()).map_err(out_err)?,
            (Some(false), problem) => writeln!(
                out,
                "{}",
                w.signature_untrusted(
                    problem
                        .as_ref()
                        .map(|p| w.trust_problem_sentence(p))
                        .as_deref()
                )
            )
            .map_err(out_err)?,
            (None, _) => {}
        }
        writeln!(out, "{}", w.signature_document(s.modified_after)).map_err(out_err)?;
        if let Some(p) = &s.problem {
            writeln!(out, "{}", w.signature_problem(p)).map_err(out_err)?;
        }
    }
    Ok(report)
}

/// A PDF date (`D:20261206155409+07'00'`, `D:20261206085409Z`; seconds and zone optional).
fn pdf_moment(text: &str) -> Option<OffsetDateTime> {
    let t = text.trim().strip_prefix("D:").unwrap_or(text.trim());
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (d, zone) = t.split_at(digits);
    let num = |from: usize, len: usize, default: u32| -> Option<u32> {
        match d.get(from..from + len) {
            Some(s) => s.parse().ok(),
            None if from >= d.len() => Some(default),
            None => None,
        }
    };
    let year = i32::try_from(num(0, 4, 0)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(4, 2, 1)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(year, month, u8::try_from(num(6, 2, 1)?).ok()?).ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(8, 2, 0)?).ok()?,
        u8::try_from(num(10, 2, 0)?).ok()?,
        u8::try_from(num(12, 2, 0)?).ok()?,
    )
    .ok()?;
    let offset = match zone.chars().next() {
        None | Some('Z') => UtcOffset::UTC,
        Some(sign @ ('+' | '-')) => {
            let z: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = z.get(0..2)?.parse().ok()?;
            let m: i8 = z.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
            let (h, m) = if sign == '-' { (-h, -m) } else { (h, m) };
            UtcOffset::from_hms(h, m, 0).ok()?
        }
        Some(_) => return None,
    };
    Some(time::PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::pdf_moment;
    use time::macros::datetime;

    #[test]
    fn pdf_dates_are_read_with_their_zone() {
        let check = |text: &str, at| assert_eq!(pdf_moment(text), at, "{text}");
        check(
            "D:20261206155409+07'00'",
            Some(datetime!(2026-12-06 15:54:09 +07:00)),
        );
        check(
            "D:20261206085409Z",
            Some(datetime!(2026-12-06 08:54:09 UTC)),
        );
        check("D:202612061554", Some(datetime!(2026-12-06 15:54 UTC)));
        check(
            "D:20261206155409-03'30'",
            Some(datetime!(2026-12-06 15:54:09 -03:30)),
        );
        check("D:2026", Some(datetime!(2026-01-01 0:00 UTC)));
        check("kemarin", None);
        check("D:20261306", None);
    }
}
