//! The worker's half of the e-Meterai flow: reads the customer's drive, checks and places the
//! document, runs the sale and payment, stamps, copies and prints, reporting progress as it goes.

use crate::branch::{Branch, BranchError};
use crate::delivery::Context;
use crate::pdf::intake::{IntakeOptions, intake};
use crate::pdf::placement::{PlacementOptions, page_text};
use crate::pdf::{DEFAULT_STAMP_MM, PlacementBasis, Rect, mm_to_pt, propose, pt_to_mm};
use crate::till::SaleStatus;
use crate::ui::flow::{
    DocCheck, DocFile, FlowEffect, FlowOutcome, MmRect, PagePreview, PaymentResult, Placement,
    QrisShown, Quote, Stamped,
};
use crate::ui::state::Outcome;
use crate::ui::worker::sentence;
use std::path::{Path, PathBuf};

fn words(e: &BranchError) -> String {
    sentence(&e.to_string())
}

fn mm(pt: f64) -> i32 {
    // Whole millimetres are what the clerk moves the stamp by.
    pt_to_mm(pt).round() as i32
}

/// A rectangle in points as millimetres from the page box's top-left corner.
fn to_mm(r: &Rect, page: &Rect) -> MmRect {
    MmRect {
        x: mm(r.x0 - page.x0),
        y: mm(page.y1 - r.y1),
        w: mm(r.x1 - r.x0).max(1),
        h: mm(r.y1 - r.y0).max(1),
    }
}

/// Carries out one flow effect; `report` gets progress on the way.
pub fn run(branch: &mut Branch, effect: FlowEffect, report: &mut dyn FnMut(Outcome)) -> Outcome {
    let mut progress = |p: u8, note: &str| {
        report(Outcome::Flow(FlowOutcome::Progress(p, note.to_string())));
    };
    Outcome::Flow(match effect {
        FlowEffect::ListDocuments { dir } => FlowOutcome::Documents(list(branch, dir)),
        FlowEffect::Check { path } => FlowOutcome::Checked(check(&path)),
        FlowEffect::Quote {
            sale,
            counter,
            clerk,
            ticket,
        } => FlowOutcome::Quoted(
            quote(branch, sale, counter, &clerk, &ticket).map_err(|e| words(&e)),
        ),
        FlowEffect::Pay {
            sale,
            clerk,
            tenders,
        } => FlowOutcome::Payment(
            (|| {
                let out = branch.pay_sale(sale, &clerk, &tenders)?;
                let qris = match out.qris.first() {
                    Some(q) => {
                        branch.qris_shown(&q.reference, &clerk)?;
                        Some(QrisShown {
                            reference: q.reference.clone(),
                            amount: q.amount,
                            payload: q.payload.clone(),
                            payer_ref: String::new(),
                        })
                    }
                    None => None,
                };
                Ok::<_, BranchError>(PaymentResult {
                    paid: out.sale.status == SaleStatus::Paid,
                    change: out.change,
                    qris,
                    due: out.sale.due,
                })
            })()
            .map_err(|e| words(&e)),
        ),
        FlowEffect::ConfirmQris {
            reference,
            clerk,
            payer_ref,
        } => FlowOutcome::QrisConfirmed(
            branch
                .confirm_qris(&reference, &clerk, payer_ref.as_deref())
                .map(|o| (o.sale.status == SaleStatus::Paid, o.sale.due))
                .map_err(|e| words(&e)),
        ),
        FlowEffect::CancelQris { reference, clerk } => FlowOutcome::QrisCancelled(
            branch
                .cancel_qris(&reference, &clerk)
                .map(|sale| sale.due)
                .map_err(|e| words(&e)),
        ),
        FlowEffect::Stamp {
            ticket,
            clerk,
            sale,
            document,
            name,
            page,
            rect,
        } => FlowOutcome::Stamped(stamp_local(
            branch,
            &ticket,
            &clerk,
            sale,
            &document,
            &name,
            page,
            rect,
            &mut progress,
        )),
        FlowEffect::Deliver {
            ticket: _,
            clerk,
            stamped,
            to,
        } => FlowOutcome::Delivered({
            let context = Context {
                actor: clerk,
                job: stamped.job.clone(),
                sns: vec![stamped.sn.clone()],
            };
            let mut on_copy = |p: crate::delivery::copy::Progress| {
                let pct = p
                    .done
                    .saturating_mul(100)
                    .checked_div(p.total)
                    .map_or(100, |v| v.min(100) as u8);
                progress(pct, "menyalin dan membaca ulang");
            };
            branch
                .copy_to_drive(
                    &stamped.path,
                    &stamped.sha256,
                    &stamped.file_name,
                    &to,
                    &context,
                    &mut on_copy,
                )
                .map(|d| d.path.display().to_string())
                .map_err(|e| words(&e))
        }),
        FlowEffect::Mail { clerk, stamped, to } => FlowOutcome::Delivered(
            branch
                .queue_mail(
                    &to,
                    &[(stamped.path.clone(), stamped.file_name.clone())],
                    &Context {
                        actor: clerk,
                        job: stamped.job.clone(),
                        sns: vec![stamped.sn.clone()],
                    },
                )
                .map(|id| format!("e-mail #{id} → {to}"))
                .map_err(|e| words(&e)),
        ),
        FlowEffect::PrintReceipt { sale, clerk: _ } => FlowOutcome::Receipt(
            branch
                .sale_receipt(sale)
                .map_err(|e| words(&e))
                .and_then(|_| {
                    Err(
                        "Struk belum dapat dicetak: printer belum terpasang pada versi ini."
                            .to_string(),
                    )
                }),
        ),
    })
}

fn list(branch: &mut Branch, dir: Option<PathBuf>) -> Result<(PathBuf, Vec<DocFile>), String> {
    let dir = match dir {
        Some(d) => d,
        None => branch
            .drives()
            .map_err(|e| words(&e))?
            .into_iter()
            .next()
            .map(|d| d.mount_point)
            .ok_or_else(|| {
                "Flashdisk pelanggan belum terbaca. Colokkan flashdisk, tunggu sebentar, lalu tekan Enter lagi."
                    .to_string()
            })?,
    };
    let files = branch
        .list_pdfs(&dir)
        .map_err(|e| words(&e))?
        .into_iter()
        .map(|f| DocFile {
            path: f.path,
            name: f.relative,
            bytes: f.bytes,
        })
        .collect();
    Ok((dir, files))
}

fn check(path: &Path) -> Result<(DocCheck, Placement), String> {
    let opts = IntakeOptions::default();
    let bytes =
        crate::pdf::io::read_input(path, opts.max_bytes).map_err(|e| sentence(&e.to_string()))?;
    let prepared = intake(bytes, &opts).map_err(|e| sentence(&e.to_string()))?;
    let r = &prepared.report;
    let name = path.file_name().map_or_else(
        || "dokumen.pdf".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let check = DocCheck {
        path: path.to_path_buf(),
        name,
        pages: r.pages,
        size_bytes: r.size_bytes,
        version: r.version.clone(),
        encrypted: r.encrypted,
        signatures: r.signatures.len(),
        warnings: r.warnings.iter().map(|w| w.message()).collect(),
    };
    let popts = PlacementOptions {
        size_pt: mm_to_pt(DEFAULT_STAMP_MM),
        ..PlacementOptions::default()
    };
    let proposal = propose(&prepared, &popts);
    let mut pages = Vec::new();
    for page in 1..=r.pages {
        let Some(b) = prepared.page_box(page) else {
            continue;
        };
        let lines = prepared
            .page_id(page)
            .map(|id| page_text(prepared.document(), id, popts.max_decompressed_size))
            .unwrap_or_default()
            .into_iter()
            .map(|l| (to_mm(&l.rect, &b), l.text))
            .collect();
        pages.push(PagePreview {
            width_mm: mm(b.x1 - b.x0),
            height_mm: mm(b.y1 - b.y0),
            lines,
        });
    }
    let b = prepared
        .page_box(proposal.page)
        .unwrap_or(Rect::new(0.0, 0.0, 595.0, 842.0));
    let at = to_mm(&proposal.rect, &b);
    let basis = match &proposal.basis {
        PlacementBasis::Anchor { line, .. } => format!("di dekat \"{}\"", line.trim()),
        PlacementBasis::Fallback => "kanan bawah halaman terakhir".to_string(),
    };
    Ok((
        check,
        Placement {
            page: proposal.page,
            x_mm: at.x,
            y_mm: at.y,
            size_mm: DEFAULT_STAMP_MM.round() as i32,
            basis,
            pages,
        },
    ))
}

fn quote(
    branch: &mut Branch,
    sale: Option<i64>,
    counter: u32,
    clerk: &str,
    ticket: &str,
) -> Result<Quote, BranchError> {
    let view = match sale {
        Some(id) => branch.sale(id)?,
        None => {
            let s = branch.new_sale(counter, clerk, Some(ticket))?;
            branch.add_to_sale(s.id, clerk, "meterai", 1, None)?
        }
    };
    Ok(Quote {
        sale: view.id,
        lines: view
            .lines
            .iter()
            .map(|l| (l.name.clone(), l.quantity, l.amount))
            .collect(),
        total: view.total,
        due: view.due,
        quick: view.quick_amounts.clone(),
    })
}

/// Stamps with the branch's training signer (the local provider) and keeps the result under
/// `DATA/stamped/`.
#[allow(clippy::too_many_arguments)]
fn stamp_local(
    branch: &mut Branch,
    ticket: &str,
    _clerk: &str,
    sale: i64,
    document: &Path,
    name: &str,
    page: u32,
    rect: MmRect,
    progress: &mut dyn FnMut(u8, &str),
) -> Result<Stamped, String> {
    use crate::pdf::pki::{TrainingPkiPaths, generate_training_pki};
    use crate::pdf::{AppearanceOptions, SerialNumber, SignatureProfile, Signer, StampSpec};
    let err = |e: &dyn std::fmt::Display| sentence(&e.to_string());
    progress(10, "memeriksa dokumen");
    let opts = IntakeOptions::default();
    let bytes = crate::pdf::io::read_input(document, opts.max_bytes).map_err(|e| err(&e))?;
    let prepared = intake(bytes, &opts).map_err(|e| err(&e))?;
    let b = prepared
        .page_box(page)
        .ok_or_else(|| format!("Halaman {page} tidak ada pada dokumen."))?;
    let x0 = b.x0 + mm_to_pt(f64::from(rect.x));
    let y1 = b.y1 - mm_to_pt(f64::from(rect.y));
    let pt = Rect::new(
        x0,
        y1 - mm_to_pt(f64::from(rect.h)),
        x0 + mm_to_pt(f64::from(rect.w)),
        y1,
    );
    progress(30, "menyiapkan nomor seri");
    let dir = branch.data_dir.join("pki");
    let mut paths = TrainingPkiPaths::in_dir(&dir);
    if !paths.exists() {
        paths = generate_training_pki(&dir, &branch.config.branch.name).map_err(|e| err(&e))?;
    }
    let signer = Signer::from_files(&paths.signer_key, &paths.signer_chain).map_err(|e| err(&e))?;
    // A training serial numbered by the sale, so the same sale always carries the same serial.
    let serial = SerialNumber::parse(&format!("TRN{:0>19}", sale)).map_err(|e| err(&e))?;
    let offset = branch.config.branch.timezone.offset();
    let spec = StampSpec {
        page,
        rect: pt,
        serial: serial.clone(),
        reason: "Dokumen lain-lain".into(),
        location: branch.config.branch.name.clone(),
        signing_time: branch.store.now().to_offset(offset),
        appearance: AppearanceOptions {
            specimen: true,
            ..AppearanceOptions::default()
        },
        profile: SignatureProfile::CadesDetached,
    };
    progress(60, "membubuhkan e-Meterai");
    let stamped = crate::pdf::stamp(prepared, &spec, &signer, None).map_err(|e| err(&e))?;
    let stem = Path::new(name)
        .file_stem()
        .map_or_else(|| "dokumen".into(), |s| s.to_string_lossy().into_owned());
    let file_name = format!("{stem}-emeterai.pdf");
    let out_dir = branch.data_dir.join("stamped").join(ticket);
    std::fs::create_dir_all(&out_dir).map_err(|e| err(&e))?;
    let out = out_dir.join(&file_name);
    progress(85, "menyimpan dan memeriksa tanda tangan");
    crate::pdf::io::write_stamped(&out, &stamped, true).map_err(|e| err(&e))?;
    let sha256 = crate::delivery::copy::sha256_file(&out).map_err(|e| err(&e))?;
    progress(100, "selesai");
    Ok(Stamped {
        sn: serial.to_string(),
        path: out,
        sha256,
        file_name,
        job: None,
        verified: "tanda tangan sah (diperiksa ulang)".into(),
    })
}
