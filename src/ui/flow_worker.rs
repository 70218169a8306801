//! The worker's half of the e-Meterai flow: reads the customer's drive, checks and places the
//! document, runs the sale and payment, stamps, copies and prints, reporting progress as it goes.

use crate::branch::Branch;
use crate::error::LoketError;
use crate::pdf::intake::{IntakeOptions, intake};
use crate::pdf::placement::{PlacementOptions, page_text};
use crate::pdf::{DEFAULT_STAMP_MM, PageFrame, Rect, mm_to_pt, propose, pt_to_mm};
use crate::stamping::{JobId, Sn};
use crate::till::{SaleStatus, TillError};
use crate::ui::flow::{
    DocCheck, DocFile, FlowEffect, FlowOutcome, MmRect, PagePreview, Paid, PaymentResult,
    Placement, QrisShown, Quote, Resumed, Stage, Stamped,
};
use crate::ui::state::Outcome;
use crate::ui::worker::sentence;
use std::path::{Path, PathBuf};

fn words(e: &dyn std::fmt::Display) -> String {
    sentence(&e.to_string())
}

fn mm(pt: f64) -> i32 {
    // Whole millimetres are what the clerk moves the stamp by.
    whole(pt_to_mm(pt))
}

/// A length in points or millimetres rounded to a whole number for the placement screen. Page
/// lengths are a few thousand points at most; NaN gives 0 and a length past the `i32` range
/// saturates (Rust's float to integer conversion).
#[allow(clippy::cast_possible_truncation)]
fn whole(x: f64) -> i32 {
    x.round() as i32
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
pub fn run(
    branch: &mut Branch,
    effect: FlowEffect,
    report: &mut dyn FnMut(Outcome),
) -> Option<Outcome> {
    let mut progress = |p: u8, note: &str| {
        report(Outcome::Flow(FlowOutcome::Progress(p, note.to_string())));
    };
    Some(Outcome::Flow(match effect {
        FlowEffect::ListDocuments { dir } => FlowOutcome::Documents(list(branch, dir)),
        FlowEffect::Check {
            path,
            counter,
            clerk,
            ticket,
            password,
        } => match receive(branch, &path, counter, &clerk, &ticket, password) {
            Ok(done) => FlowOutcome::Checked(Ok(done)),
            Err(Refusal::Locked { wrong }) => FlowOutcome::Locked { path, wrong },
            Err(Refusal::Said(why)) => FlowOutcome::Checked(Err(why)),
        },
        FlowEffect::Unlock { job, password } => FlowOutcome::Unlocked(
            match branch
                .stamping()
                .unlock_job(crate::stamping::JobId(job), password.expose())
            {
                Ok(()) => Ok(()),
                Err(crate::stamping::StampingError::Intake(
                    crate::pdf::intake::IntakeError::WrongPassword
                    | crate::pdf::intake::IntakeError::PasswordRequired,
                )) => Err((true, String::new())),
                Err(e) => Err((false, words(&e))),
            },
        ),
        FlowEffect::CancelJob { job, clerk } => {
            // Nothing was paid; a job that cannot be cancelled any more is left for the supervisor's list.
            let _ = branch
                .stamping()
                .cancel_job(crate::stamping::JobId(job), &clerk);
            return None;
        }
        FlowEffect::Quote {
            job,
            place,
            sale,
            counter,
            clerk,
        } => FlowOutcome::Quoted(
            (|| {
                branch
                    .stamping()
                    .place_job(crate::stamping::JobId(job), &clerk, place)?;
                let sale = branch.stamping().quote_job(
                    crate::stamping::JobId(job),
                    crate::queue::CounterNo(counter),
                    &clerk,
                    sale,
                )?;
                quote(branch, sale)
            })()
            .map_err(|e| words(&e)),
        ),
        FlowEffect::ReturnTenders {
            sale,
            counter,
            clerk,
        } => FlowOutcome::Returned((|| {
            let out = branch
                .till()
                .return_tenders(
                    crate::till::SaleId(sale),
                    crate::queue::CounterNo(counter),
                    &clerk,
                )
                .map_err(|e| words(&e))?;
            if out.open_drawer {
                // The cash goes back out of the drawer; a drawer that stays shut is said, not fatal.
                let _ = branch
                    .printing()
                    .open_drawer(crate::queue::CounterNo(counter), &clerk);
                printer_state(branch, counter, report);
            }
            Ok(out.reversed)
        })()),
        FlowEffect::Pay {
            sale,
            clerk,
            tenders,
        } => FlowOutcome::Payment((|| {
            let out = match branch
                .till()
                .pay_sale(crate::till::SaleId(sale), &clerk, &tenders)
            {
                Err(TillError::NoSession(_)) => {
                    return Err(crate::ui::strings::FLOW_ID.cash_needs_till.to_string());
                }
                other => other.map_err(|e| words(&e))?,
            };
            // Cash went into the drawer: open it on the counter's printer, and say so.
            let drawer = out.open_drawer.then(|| {
                let said = match branch
                    .printing()
                    .open_drawer(crate::queue::CounterNo(out.sale.counter), &clerk)
                {
                    Ok(o) => o.message,
                    Err(e) => words(&e),
                };
                printer_state(branch, out.sale.counter, report);
                said
            });
            let qris = match out.qris.first() {
                Some(q) => {
                    branch
                        .till()
                        .qris_shown(&q.reference, &clerk)
                        .map_err(|e| words(&e))?;
                    Some(QrisShown {
                        reference: q.reference.clone(),
                        amount: q.amount,
                        payload: q.payload.clone(),
                        payer_ref: String::new(),
                    })
                }
                None => None,
            };
            Ok(PaymentResult {
                paid: out.sale.status == SaleStatus::Paid,
                change: out.change,
                qris,
                due: out.sale.due,
                drawer,
            })
        })()),
        FlowEffect::ConfirmQris {
            reference,
            clerk,
            payer_ref,
        } => FlowOutcome::QrisConfirmed(
            branch
                .till()
                .confirm_qris(&reference, &clerk, payer_ref.as_deref())
                .map(|o| (o.sale.status == SaleStatus::Paid, o.sale.due))
                .map_err(|e| words(&e)),
        ),
        FlowEffect::CancelQris { reference, clerk } => FlowOutcome::QrisCancelled(
            branch
                .till()
                .cancel_qris(&reference, &clerk)
                .map(|sale| sale.due)
                .map_err(|e| words(&e)),
        ),
        FlowEffect::PrintQris { reference } => FlowOutcome::QrisPrinted(
            branch
                .printing()
                .print_qris_slip(&reference)
                .map_err(|e| words(&e))
                .and_then(|o| {
                    if o.printed {
                        Ok(o.message)
                    } else {
                        Err(o.message)
                    }
                }),
        ),
        FlowEffect::Resume {
            ticket,
            counter,
            clerk,
            dir,
        } => FlowOutcome::Resumed(
            resume(branch, &ticket, counter, &clerk, dir).map_err(|e| words(&e)),
        ),
        FlowEffect::TakeUp {
            received,
            earlier,
            ticket,
            counter,
            clerk,
            dir,
        } => FlowOutcome::Resumed(
            branch
                .stamping()
                .take_up_earlier_job(
                    crate::stamping::JobId(received),
                    crate::stamping::JobId(earlier),
                    &ticket,
                    crate::queue::CounterNo(counter),
                    &clerk,
                )
                .map_err(LoketError::from)
                .and_then(|_| resume(branch, &ticket, counter, &clerk, dir))
                .map_err(|e| words(&e)),
        ),
        FlowEffect::Stamp { job, clerk } => {
            FlowOutcome::Stamped(stamp(branch, job, &clerk, &mut progress))
        }
        FlowEffect::Deliver {
            ticket: _,
            clerk,
            stamped,
            to,
        } => FlowOutcome::Delivered({
            let mut on_copy = |done: u64, total: u64| {
                let pct = done
                    .saturating_mul(100)
                    .checked_div(total)
                    .map_or(100, |v| v.min(100) as u8);
                progress(pct, fs().w_copying);
            };
            match stamped.job {
                Some(job) => branch
                    .stamping()
                    .deliver_job_to_drive(job, &to, &clerk, &mut on_copy)
                    .map(|d| d.path.display().to_string())
                    .map_err(|e| words(&e)),
                None => Err(fs().w_not_a_job.to_string()),
            }
        }),
        FlowEffect::WhatsApp { clerk, stamped, to } => FlowOutcome::Delivered(match stamped.job {
            Some(job) => branch
                .delivery()
                .whatsapp_job(job.get(), &to, &clerk)
                .map(|id| {
                    let number = crate::delivery::whatsapp::normalize_number(&to)
                        .map(|n| crate::delivery::whatsapp::mask_number(&n))
                        .unwrap_or_default();
                    if branch.delivery().whatsapp_configured() {
                        format!("WhatsApp #{id} → {number}")
                    } else {
                        (fs().w_wa_unset)(&format!("WhatsApp #{id} → {number}"))
                    }
                })
                .map_err(|e| words(&e)),
            None => Err(fs().w_not_a_job.to_string()),
        }),
        FlowEffect::Mail { clerk, stamped, to } => FlowOutcome::Delivered(match stamped.job {
            Some(job) => branch
                .stamping()
                .mail_job(job, &to, &clerk)
                .map(|id| format!("e-mail #{id} → {to}"))
                .map_err(|e| words(&e)),
            None => Err(fs().w_not_a_job.to_string()),
        }),
        FlowEffect::PrintReceipt {
            sale,
            clerk,
            counter,
            ticket,
            stamped,
            delivered,
        } => {
            let (result, jobs) =
                print_slips(branch, sale, &clerk, counter, &ticket, stamped, delivered);
            printer_state(branch, counter, report);
            FlowOutcome::Receipt(result, jobs)
        }
        FlowEffect::Claim {
            job,
            clerk,
            counter,
            ticket,
            document,
            name,
            paid,
        } => {
            let claim_code = format!("{ticket}-J{job}");
            let sha256 = crate::delivery::copy::sha256_file(&document).unwrap_or_default();
            let email = branch
                .stamping()
                .job(crate::stamping::JobId(job))
                .ok()
                .and_then(|j| j.email);
            let whatsapp = branch.stamping().job_whatsapp(crate::stamping::JobId(job));
            let data = crate::printing::ClaimData {
                counter,
                clerk,
                ticket: Some(ticket),
                claim_code: claim_code.clone(),
                document_name: name,
                sha256,
                stamps: 1,
                paid: paid.to_string(),
                email,
                whatsapp,
                status_url: None,
            };
            let result = branch.printing().print_claim_receipt(&data);
            printer_state(branch, counter, report);
            match result {
                Ok(o) if o.printed => {
                    FlowOutcome::Claimed(Ok((fs().w_claim_printed)(&claim_code)), vec![o.job])
                }
                Ok(o) => FlowOutcome::Claimed(Err(o.message), vec![o.job]),
                Err(e) => FlowOutcome::Claimed(Err(words(&e)), Vec::new()),
            }
        }
        FlowEffect::PrinterStatus { counter } => {
            printer_state(branch, counter, report);
            return None;
        }
        FlowEffect::Reprint {
            jobs,
            clerk,
            counter,
            proof,
        } => {
            let (result, jobs) = reprint(branch, jobs, &clerk, counter, proof);
            printer_state(branch, counter, report);
            FlowOutcome::Receipt(result, jobs)
        }
    }))
}

fn list(branch: &mut Branch, dir: Option<PathBuf>) -> Result<(PathBuf, Vec<DocFile>), String> {
    let dir = match dir {
        Some(d) => d,
        None => branch
            .delivery()
            .drives()
            .map_err(|e| words(&e))?
            .into_iter()
            .next()
            .map(|d| d.mount_point)
            .ok_or_else(|| fs().w_drive_unread.to_string())?,
    };
    let files = branch
        .delivery()
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

/// Why a document was not received.
enum Refusal {
    /// Locked with a password: none was given, or (`wrong`) not the right one.
    Locked {
        wrong: bool,
    },
    Said(String),
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal::Said(why)
    }
}

fn receive(
    branch: &mut Branch,
    path: &Path,
    counter: u32,
    clerk: &str,
    ticket: &str,
    password: Option<crate::secret::Secret>,
) -> Result<(DocCheck, Placement), Refusal> {
    let password = password.map(|p| p.expose().to_string());
    let (mut check, placement) = check(path, password.clone())?;
    let bytes = crate::pdf::io::read_input(path, IntakeOptions::default().max_bytes)
        .map_err(|e| sentence(&e.to_string()))?;
    let job = branch
        .stamping()
        .receive_document(crate::stamping::ReceiveDocument {
            bytes,
            name: check.name.clone(),
            ticket: Some(ticket.to_string()),
            counter,
            clerk: clerk.to_string(),
            password,
        })
        .map_err(|e| words(&e))?;
    check.job = job.id.get();
    check.warnings = job.warnings;
    check.earlier_job = branch.stamping().earlier_paid_job(job.id).unwrap_or(None);
    Ok((check, placement))
}

/// Records the payment on the job, then stamps it through the configured provider.
fn stamp(
    branch: &mut Branch,
    job: i64,
    clerk: &str,
    progress: &mut dyn FnMut(u8, &str),
) -> Result<Stamped, String> {
    use crate::stamping::JobStage;
    progress(5, fs().w_recording_payment);
    branch
        .stamping()
        .job_paid(crate::stamping::JobId(job), clerk)
        .map_err(|e| words(&e))?;
    // After a restart the background worker may already be stamping this paid job: wait for it
    // (the clerk sees why) rather than report a delay that is not one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while branch
        .stamping()
        .job_running_elsewhere(crate::stamping::JobId(job))
        .map_err(|e| words(&e))?
        && std::time::Instant::now() < deadline
    {
        progress(20, fs().w_stamping_elsewhere);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let view = branch
        .stamping()
        .run_job(crate::stamping::JobId(job), &mut |stage| match stage {
            JobStage::IssuingSerial => progress(25, fs().w_issuing_serial),
            JobStage::Stamping => progress(50, fs().w_stamping),
            JobStage::Verifying => progress(80, fs().w_verifying),
            JobStage::Stored => progress(100, fs().w_stored),
        })
        .map_err(|e| words(&e))?;
    let out = branch
        .stamping()
        .job_output(crate::stamping::JobId(job))
        .map_err(|_| sentence(&view.message))?;
    Ok(Stamped {
        sns: out.sns,
        path: out.path,
        sha256: out.sha256,
        file_name: out.file_name,
        job: Some(JobId(job)),
        verified: fs().w_verified_again.into(),
    })
}

/// Reads a counter's visit back from the database (the stamping service says where it stands) and
/// reopens the flow at that step.
/// The flow's words in the process's language.
fn fs() -> &'static crate::ui::strings::FlowStrings {
    crate::lang::current().strings().flow
}

fn resume(
    branch: &mut Branch,
    ticket: &str,
    counter: u32,
    clerk: &str,
    dir: Option<PathBuf>,
) -> Result<Option<Box<Resumed>>, LoketError> {
    use crate::stamping::VisitStep;
    let Some(visit) =
        branch
            .stamping()
            .resume_visit(crate::queue::CounterNo(counter), ticket, clerk)?
    else {
        return Ok(None);
    };
    let job = &visit.job;
    let check = DocCheck {
        job: job.id.get(),
        size_bytes: std::fs::metadata(&visit.document)
            .map(|m| m.len())
            .unwrap_or(0),
        path: visit.document.clone(),
        name: job.document_name.clone(),
        pages: job.pages,
        version: String::new(),
        encrypted: false,
        signatures: 0,
        warnings: job.warnings.clone(),
        earlier_job: None,
    };
    let place = job.place.or(job.proposed);
    let placement = Placement {
        page: place.as_ref().map_or(1, |p| p.page),
        x_mm: place.as_ref().map_or(0, |p| mm(p.x)),
        y_mm: place.as_ref().map_or(0, |p| mm(p.y)),
        size_mm: whole(
            place
                .as_ref()
                .map_or(DEFAULT_STAMP_MM, |p| pt_to_mm(p.width)),
        ),
        basis: fs().w_place_fixed.into(),
        pages: Vec::new(),
    };
    let quote = quote(branch, visit.sale)?;
    let taken: Vec<String> = visit
        .tenders
        .iter()
        .map(|(method, amount)| format!("{} {amount}", method.label()))
        .collect();
    let paid = visit.paid_in_full.then(|| Paid {
        change: visit.change,
        tenders: taken.clone(),
    });
    let delivered = (visit.step == VisitStep::Done).then(|| fs().w_already_delivered.to_string());
    let stamped = visit.output.map(|out| Stamped {
        sns: out.sns,
        path: out.path,
        sha256: out.sha256,
        file_name: out.file_name,
        job: Some(JobId(job.id.get())),
        verified: fs().w_verified_again.into(),
    });
    let sn = stamped
        .as_ref()
        .map(|s| Sn::list(&s.sns))
        .unwrap_or_default();
    let f = fs();
    let paid_with = taken.join(" + ");
    let due = quote.due.to_string();
    let (stage, note) = match visit.step {
        VisitStep::Done => (Stage::Done, (f.w_resumed_done)(ticket, &sn)),
        VisitStep::Deliver => (Stage::Deliver, (f.w_resumed_deliver)(ticket, &sn)),
        VisitStep::StampPaidJob => (Stage::Stamping, (f.w_resumed_job_paid)(ticket, &paid_with)),
        VisitStep::StampPaidSale => (Stage::Stamping, (f.w_resumed_sale_paid)(ticket, &paid_with)),
        VisitStep::Pay if taken.is_empty() => (Stage::Pay, (f.w_resumed_pay)(ticket, &due)),
        VisitStep::Pay => (Stage::Pay, (f.w_resumed_pay_part)(ticket, &paid_with, &due)),
    };
    let source = list(branch, dir).ok().map(|(dir, _)| dir);
    Ok(Some(Box::new(Resumed {
        stage,
        check,
        placement,
        locked: visit.locked,
        money_taken: !taken.is_empty(),
        quote: Some(quote),
        paid,
        stamped,
        delivered,
        source,
        note,
    })))
}

fn check(path: &Path, password: Option<String>) -> Result<(DocCheck, Placement), Refusal> {
    let given = password.is_some();
    let opts = IntakeOptions {
        password,
        ..IntakeOptions::default()
    };
    let bytes =
        crate::pdf::io::read_input(path, opts.max_bytes).map_err(|e| sentence(&e.to_string()))?;
    let prepared = intake(bytes, &opts).map_err(|e| match e {
        crate::pdf::intake::IntakeError::PasswordRequired
        | crate::pdf::intake::IntakeError::WrongPassword => Refusal::Locked { wrong: given },
        other => Refusal::Said(sentence(&other.to_string())),
    })?;
    let r = &prepared.report;
    let name = path.file_name().map_or_else(
        || "dokumen.pdf".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let check = DocCheck {
        job: 0,
        path: path.to_path_buf(),
        name,
        pages: r.pages,
        size_bytes: r.size_bytes,
        version: r.version.clone(),
        encrypted: r.encrypted,
        signatures: r.signatures.len(),
        warnings: r.warnings.iter().map(|w| w.message()).collect(),
        earlier_job: None,
    };
    let popts = PlacementOptions {
        size_pt: mm_to_pt(DEFAULT_STAMP_MM),
        ..PlacementOptions::default()
    };
    let proposal = propose(&prepared, &popts);
    let mut pictures = crate::pdf::picture::pages(prepared.shared_bytes()).into_iter();
    let mut pages = Vec::new();
    // Everything the clerk sees is measured on the page as shown: a turned page is drawn turned
    // (as the rasterizer draws it), with its lines and the stamp's place turned alike.
    let shown_box = |f: &PageFrame| {
        let (w, h) = f.display_size();
        Rect::new(0.0, 0.0, w, h)
    };
    for page in 1..=r.pages {
        let picture = pictures.next().flatten();
        let Some(frame) = prepared.page_frame(page) else {
            continue;
        };
        let b = frame.page_box;
        let shown = shown_box(&frame);
        let lines = prepared
            .page_id(page)
            .map(|id| page_text(prepared.document(), id, popts.max_decompressed_size))
            .unwrap_or_default()
            .into_iter()
            .map(|l| (to_mm(&frame.to_display(&l.rect), &shown), l.text))
            .collect();
        pages.push(PagePreview {
            box_pt: [whole(b.x0), whole(b.y0), whole(b.x1), whole(b.y1)],
            rotate: frame.rotate,
            width_mm: mm(shown.width()),
            height_mm: mm(shown.height()),
            lines,
            raster: picture,
        });
    }
    let frame = prepared
        .page_frame(proposal.page)
        .unwrap_or(PageFrame::new(Rect::new(0.0, 0.0, 595.0, 842.0), 0));
    let at = to_mm(&frame.to_display(&proposal.rect), &shown_box(&frame));
    let basis = proposal.basis.describe();
    Ok((
        check,
        Placement {
            page: proposal.page,
            x_mm: at.x,
            y_mm: at.y,
            // Smaller than the default on a small page (the proposal fits the stamp to it).
            size_mm: mm(proposal.rect.width()),
            basis,
            pages,
        },
    ))
}

fn quote(branch: &mut Branch, sale: i64) -> Result<Quote, LoketError> {
    let view = branch.till().sale(crate::till::SaleId(sale))?;
    Ok(Quote {
        sale: view.id.get(),
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

/// Prints the sale receipt, then the stamping proof. Returns what the printer said and the print
/// jobs made (for F8).
fn print_slips(
    branch: &mut Branch,
    sale: i64,
    clerk: &str,
    counter: u32,
    ticket: &str,
    stamped: Option<Stamped>,
    delivered: Option<String>,
) -> (Result<String, String>, Vec<i64>) {
    let mut jobs = Vec::new();
    let receipt = match branch.printing().print_sale_receipt(sale, false) {
        Ok(o) => o,
        Err(e) => return (Err(words(&e)), jobs),
    };
    jobs.push(receipt.job);
    if !receipt.printed {
        return (Err(receipt.message), jobs);
    }
    let Some(st) = stamped else {
        return (Ok(receipt.message), jobs);
    };
    let proof = proof_data(branch, counter, clerk, ticket, &st, delivered);
    match branch.printing().print_stamp_proof(&proof) {
        Ok(o) => {
            jobs.push(o.job);
            if o.printed {
                (Ok(fs().w_slips_printed.to_string()), jobs)
            } else {
                (Err(o.message), jobs)
            }
        }
        Err(e) => (Err(words(&e)), jobs),
    }
}

/// What the stamping proof of `st` says.
fn proof_data(
    branch: &Branch,
    counter: u32,
    clerk: &str,
    ticket: &str,
    st: &Stamped,
    delivered: Option<String>,
) -> crate::printing::StampProofData {
    crate::printing::StampProofData {
        counter,
        clerk: clerk.to_string(),
        ticket: Some(ticket.to_string()),
        document_name: st.file_name.clone(),
        sha256: st.sha256.clone(),
        serials: st.sns.iter().map(ToString::to_string).collect(),
        verify_url: branch
            .config()
            .stamping
            .verify_url
            .replace("{sn}", st.sns.first().map_or("", Sn::as_str)),
        delivered_to: delivered.into_iter().collect(),
    }
}

/// F8: every slip of the flow again, in order, stopping at the first the printer refuses; then the
/// stamping proof when it never reached the printer. Returns what happened and the jobs a later F8
/// prints again (the new jobs for the slips printed now, the old ones for those not reached).
fn reprint(
    branch: &mut Branch,
    jobs: Vec<i64>,
    clerk: &str,
    counter: u32,
    proof: Option<crate::ui::flow::ProofSlip>,
) -> (Result<String, String>, Vec<i64>) {
    let mut now = Vec::new();
    let mut said = Vec::new();
    let mut has_proof = false;
    for (i, &job) in jobs.iter().enumerate() {
        if let Ok((_, _, payload)) = branch.printing().print_job(job) {
            has_proof |= matches!(payload, crate::printing::PrintPayload::StampProof(_));
        }
        let failed = match branch.printing().print_again(job, clerk) {
            Ok(o) => {
                now.push(o.job);
                if o.printed {
                    said.push(o.message);
                    None
                } else {
                    Some(o.message)
                }
            }
            Err(e) => {
                now.push(job);
                Some(words(&e))
            }
        };
        if let Some(why) = failed {
            now.extend_from_slice(&jobs[i + 1..]);
            return (Err(why), now);
        }
    }
    let Some(p) = proof.filter(|_| !has_proof) else {
        return (Ok(said.join(" ")), now);
    };
    let data = proof_data(branch, counter, clerk, &p.ticket, &p.stamped, p.delivered);
    match branch.printing().print_stamp_proof(&data) {
        Ok(o) => {
            now.push(o.job);
            if o.printed {
                (Ok(fs().w_slips_printed.to_string()), now)
            } else {
                (Err(o.message), now)
            }
        }
        Err(e) => (Err(words(&e)), now),
    }
}

/// Reads the counter printer's state for the status bar.
pub fn printer_state(branch: &mut Branch, counter: u32, report: &mut dyn FnMut(Outcome)) {
    use crate::printing::DeviceState as P;
    use crate::ui::state::{Device, DeviceState};
    let state = match branch
        .printing()
        .printer_status(crate::queue::CounterNo(counter))
    {
        Ok(P::NotConfigured) => DeviceState::NotConfigured,
        Ok(P::Ok { detail }) => DeviceState::Ready(detail),
        Ok(P::Warning { what, next }) | Ok(P::Problem { what, next }) => {
            DeviceState::Problem { what, next }
        }
        Err(e) => DeviceState::Problem {
            what: words(&e),
            next: String::new(),
        },
    };
    report(Outcome::Device(Device::Printer, state));
}
