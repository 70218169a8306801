//! `loket stamps …` (SN accounting) and `loket job …` (stamping jobs from the command line).

use crate::cli::print_json;
use crate::queue::CounterNo;
use crate::stamping::JobId;

use super::ledger;
use super::service::{JobFilter, JobView, ReceiveDocument};
use crate::branch::Branch;
use crate::error::LoketError;
use crate::journal::Entry;
use crate::money::Rupiah;
use crate::store::StoreError;
use crate::till::Tender;
use crate::users::{self, Role};
use crate::words;
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum StampsCommand {
    /// Stok nomor seri: tersedia, terbit, terbubuh, rusak, per lot.
    Inventory {
        #[arg(long)]
        json: bool,
    },
    /// Nomor seri rusak yang diklaim ke Peruri (SN, tanggal, lot/faktur, alasan).
    Claims {
        #[arg(long)]
        csv: bool,
    },
    /// Bandingkan kuota penyedia dengan buku nomor seri loket.
    Reconcile {
        #[arg(long)]
        json: bool,
    },
    /// Muat satu lot nomor seri ke stok lokal (supervisor).
    LoadLot {
        /// Nomor lot atau faktur pembelian.
        #[arg(long)]
        lot: String,
        #[arg(long)]
        count: u32,
        /// Harga yang dibayar untuk seluruh lot, mis. 1000000.
        #[arg(long)]
        price: String,
        /// ID supervisor.
        #[arg(long, default_value = "kepala")]
        supervisor: String,
        /// PIN supervisor (atau variabel lingkungan LOKET_PIN).
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Terima dokumen PDF pelanggan; mencetak nomor pekerjaan.
    New {
        file: PathBuf,
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long, default_value_t = CounterNo(1))]
        counter: CounterNo,
        /// Kata sandi PDF terkunci.
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Tetapkan letak e-Meterai (bawaan: letak yang diusulkan).
    Place {
        job: JobId,
        #[arg(long)]
        page: Option<u32>,
        /// Pojok kiri atas dalam milimeter dari pojok kiri atas halaman, X,Y.
        #[arg(long)]
        at: Option<String>,
        /// Sisi meterai dalam milimeter.
        #[arg(long)]
        size: Option<f64>,
    },
    /// Tagih dan bayar tunai sekaligus (kasir), lalu tandai pekerjaan dibayar.
    Pay {
        job: JobId,
        #[arg(long)]
        cash: String,
        #[arg(long, default_value_t = CounterNo(1))]
        counter: CounterNo,
    },
    /// Terbitkan nomor seri dan bubuhkan (atau lanjutkan pekerjaan yang tertunda). Bila pekerjaan
    /// harus menunggu, tanda terima klaim dicetak di printer loket.
    Run {
        job: JobId,
        /// Loket yang mencetak tanda terima klaim bila pekerjaan harus menunggu.
        #[arg(long, short = 'c', default_value_t = CounterNo(1))]
        counter: CounterNo,
        /// Jangan cetak tanda terima klaim.
        #[arg(long)]
        no_claim: bool,
        /// Kata sandi dokumen terkunci (tidak disimpan; bawaan: variabel LOKET_PDF_PASSWORD).
        #[arg(long, env = "LOKET_PDF_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Keputusan supervisor atas pekerjaan yang dibayar tetapi menunggu atau ditahan: nomor seri
    /// baru tanpa biaya, atau pengembalian dana. Nomor seri yang sudah terbit dicatat rusak untuk
    /// klaim ke Peruri.
    Settle {
        job: JobId,
        /// Bubuhkan ulang dengan nomor seri baru, tanpa biaya bagi pelanggan.
        #[arg(long, conflicts_with = "refund", required_unless_present = "refund")]
        new_serial: bool,
        /// Kembalikan dana pelanggan (tunai, debit atau qris).
        #[arg(long, value_name = "CARA")]
        refund: Option<String>,
        #[arg(long)]
        supervisor: String,
        /// PIN supervisor (atau dari LOKET_PIN / masukan standar).
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: Option<String>,
        #[arg(long)]
        reason: String,
        #[arg(long, short = 'c', default_value_t = CounterNo(1))]
        counter: CounterNo,
    },
    /// Tampilkan satu pekerjaan.
    Show {
        job: JobId,
        #[arg(long)]
        json: bool,
    },
    /// Daftar pekerjaan (bawaan: 50 terakhir).
    List {
        /// Hanya yang dibayar dan belum bermeterai: yang menunggu layanan e-Meterai dan yang
        /// menunggu keputusan supervisor.
        #[arg(long)]
        unfinished: bool,
        #[arg(long)]
        json: bool,
    },
    /// Alamat e-mail untuk mengirim hasil bila pelanggan sudah pulang.
    Email { job: JobId, to: String },
    /// Nomor WhatsApp untuk mengirim hasil bila pelanggan sudah pulang (mis. 0812-3456-7890).
    Whatsapp { job: JobId, to: String },
}

fn print_job(v: &JobView) {
    let w = words::current();
    println!(
        "{}",
        w.job_head(
            &v.id,
            v.ticket.as_deref(),
            &v.document_name,
            v.pages,
            v.state_label
        )
    );
    if let Some(sn) = &v.sn {
        println!("{}", w.job_serial(sn));
    }
    for warning in &v.warnings {
        println!("{}", w.job_warning(warning));
    }
    println!("{}", v.message);
}

fn store_err(e: crate::store::sql::Error) -> StoreError {
    StoreError::from(e)
}

pub fn run_stamps(
    data: &std::path::Path,
    actor: &str,
    command: StampsCommand,
) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        StampsCommand::Inventory { json } => {
            let inv = branch
                .store_mut()
                .read(|c| ledger::inventory(c).map_err(store_err))?;
            if json {
                print_json(&inv, branch.config().branch.timezone);
            } else {
                let w = words::current();
                println!(
                    "{}",
                    w.stamps_inventory(&inv.available, &inv.issued, &inv.stamped, &inv.spoiled)
                );
                for l in &inv.lots {
                    println!(
                        "{}",
                        w.stamps_lot(
                            &l.lot_id,
                            &l.count,
                            &Rupiah::new(l.price_paid),
                            &l.available,
                            &l.used,
                            &l.spoiled,
                        )
                    );
                }
            }
        }
        StampsCommand::Claims { csv } => {
            let claims = branch
                .store_mut()
                .read(|c| ledger::claims(c).map_err(store_err))?;
            let tz = branch.store().timezone();
            // ISO 8601 in the CSV, `23 November 2026 08.05 WIB` for people.
            let when = |ms: i64| crate::when::When::ms(ms, tz);
            if csv {
                println!("sn,waktu,penyedia,lot,pekerjaan,tiket,alasan");
                for c in &claims {
                    println!(
                        "{},{},{},{},{},{},\"{}\"",
                        c.sn,
                        when(c.spoiled_ms).iso(),
                        c.provider,
                        c.lot_id.as_deref().unwrap_or(""),
                        c.job_id.map(|j| j.to_string()).unwrap_or_default(),
                        c.ticket.as_deref().unwrap_or(""),
                        c.reason.replace('"', "\"\"")
                    );
                }
            } else if claims.is_empty() {
                println!("{}", words::current().stamps_no_claims());
            } else {
                for c in &claims {
                    println!(
                        "{}  {}  {}  {}",
                        c.sn,
                        when(c.spoiled_ms).full(),
                        c.lot_id.as_deref().unwrap_or(&c.provider),
                        c.reason
                    );
                }
            }
        }
        StampsCommand::Reconcile { json } => {
            let rec = branch.stamping().reconcile_serials()?;
            if json {
                print_json(&rec, branch.config().branch.timezone);
            } else {
                let w = words::current();
                println!(
                    "{}",
                    w.stamps_reconciled(
                        &rec.loket_issued_unstamped,
                        &rec.loket_available,
                        &rec.provider_unstamped,
                        rec.provider_remaining
                    )
                );
                if rec.discrepancies.is_empty() {
                    println!("{}", w.stamps_match());
                }
                for d in &rec.discrepancies {
                    println!("{}", w.stamps_discrepancy(&d.to_string()));
                }
            }
            return Ok(if rec.discrepancies.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        StampsCommand::LoadLot {
            lot,
            count,
            price,
            supervisor,
            pin,
        } => {
            let price = Rupiah::parse(&price).map_err(crate::cli::CliError::LotPrice)?;
            let lockout = branch.lockout();
            let user = users::authenticate(branch.store_mut(), lockout, &supervisor, &pin)?;
            if user.role != Role::Supervisor {
                return Err(crate::cli::CliError::LotNeedsSupervisor(user.id).into());
            }
            branch
                .store_mut()
                .write(|tx| {
                    ledger::load_lot(tx, &supervisor, &lot, count, price.value())?;
                    tx.journal(Entry::new(
                        actor,
                        "serial.lot_approved",
                        &lot,
                        json!({"supervisor": supervisor}),
                    ))?;
                    Ok::<_, ledger::LedgerError>(())
                })
                .map_err(|e| match e {
                    ledger::LedgerError::Store(s) => LoketError::Store(s),
                    other => LoketError::Ledger(other),
                })?;
            println!("{}", words::current().lot_loaded(&lot, &count, &price));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_at(text: &str) -> Result<(f64, f64), LoketError> {
    let bad = || LoketError::from(crate::cli::CliError::BadAt);
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(x.is_finite() && y.is_finite() && x >= 0.0 && y >= 0.0) {
        return Err(bad());
    }
    Ok((x, y))
}

pub fn run_job(
    data: &std::path::Path,
    actor: &str,
    command: JobCommand,
) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        JobCommand::New {
            file,
            ticket,
            counter,
            password,
            json,
        } => {
            let limit = u64::from(branch.config().stamping.max_pdf_mb) * 1024 * 1024;
            let bytes = crate::pdf::io::read_input(&file, limit)?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dokumen.pdf".into());
            let v = branch.stamping().receive_document(ReceiveDocument {
                bytes,
                name,
                ticket,
                counter: counter.get(),
                clerk: actor.to_string(),
                password,
            })?;
            if json {
                print_json(&v, branch.config().branch.timezone);
            } else {
                println!("{}", v.id);
            }
        }
        JobCommand::Place {
            job,
            page,
            at,
            size,
        } => {
            let v = branch.stamping().job(job)?;
            let proposed = v
                .proposed
                .ok_or(LoketError::from(crate::cli::CliError::NoProposal))?;
            let size_pt = size.map_or(proposed.width, crate::pdf::mm_to_pt);
            let place = match at {
                Some(at) => {
                    let (x_mm, y_mm) = parse_at(&at)?;
                    let page = page.unwrap_or(proposed.page);
                    // Measured on the page as the reader shows it, like `loket stamp --at`.
                    let frame = branch.stamping().job_page_frame(job, page)?;
                    let r = frame.square_from_top_left_mm(x_mm, y_mm, size_pt);
                    super::Place {
                        page,
                        x: r.x0,
                        y: r.y0,
                        width: r.width(),
                        height: r.height(),
                    }
                }
                None => super::Place {
                    page: page.unwrap_or(proposed.page),
                    width: size_pt,
                    height: size_pt,
                    ..proposed
                },
            };
            // A square larger than the page, or off it, is refused now rather than after payment.
            let frame = branch.stamping().job_page_frame(job, place.page)?;
            let rect =
                crate::pdf::Rect::from_origin_size(place.x, place.y, place.width, place.height);
            crate::pdf::stamp::check_fits(&frame, place.page, &rect)?;
            let v = branch.stamping().place_job(job, actor, place)?;
            print_job(&v);
        }
        JobCommand::Pay { job, cash, counter } => {
            let tendered = Rupiah::parse(&cash).map_err(crate::cli::CliError::CashAmount)?;
            let sale = branch.stamping().quote_job(job, counter, actor, None)?;
            if branch
                .till()
                .sale(crate::till::SaleId(sale))?
                .due
                .is_positive()
            {
                let paid = branch.till().pay_sale(
                    crate::till::SaleId(sale),
                    actor,
                    &[Tender::Cash { tendered }],
                )?;
                if paid.change.is_positive() {
                    println!("{}", words::current().job_change(&paid.change));
                }
            }
            let v = branch.stamping().job_paid(job, actor)?;
            print_job(&v);
        }
        JobCommand::Run {
            job,
            counter,
            no_claim,
            password,
            json,
        } => {
            if let Some(p) = password.filter(|p| !p.is_empty()) {
                branch.stamping().unlock_job(job, &p)?;
            }
            let v = branch.stamping().run_job(job, &mut |_| {})?;
            if json {
                print_json(&v, branch.config().branch.timezone);
            } else {
                print_job(&v);
            }
            // The customer leaves with a claim receipt when the job must wait (the message says
            // so); a job stamped or settled needs none.
            let waits =
                v.state == super::State::Held || (v.state.is_unfinished() && v.attempts > 0);
            if waits && !no_claim {
                let claim = branch.stamping().job_claim(job, counter, actor)?;
                let out = branch.printing().print_claim_receipt(&claim)?;
                let line = if out.printed {
                    words::current().claim_printed(&claim.claim_code, &out.printer)
                } else {
                    out.message
                };
                if json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
        }
        JobCommand::Settle {
            job,
            new_serial,
            refund,
            supervisor,
            pin,
            reason,
            counter,
        } => {
            let pin = crate::cli::pin_from(pin)?;
            let choice = match (new_serial, refund.as_deref()) {
                (true, _) => super::service::Settle::NewSerial,
                (false, Some(method)) => super::service::Settle::Refund(
                    crate::till::Method::parse(method).ok_or_else(|| {
                        LoketError::from(crate::cli::CliError::UnknownSettleRefund(
                            method.to_string(),
                        ))
                    })?,
                ),
                (false, None) => {
                    return Err(crate::cli::CliError::ChooseSettle.into());
                }
            };
            let v = branch
                .stamping()
                .settle_job_approved(job, choice, counter, actor, &supervisor, &pin, &reason)?
                .job;
            print_job(&v);
            if v.state == super::State::Paid {
                let v = branch.stamping().run_job(job, &mut |_| {})?;
                print_job(&v);
            }
        }
        JobCommand::Show { job, json } => {
            let v = branch.stamping().job(job)?;
            if json {
                print_json(&v, branch.config().branch.timezone);
            } else {
                print_job(&v);
            }
        }
        JobCommand::List { unfinished, json } => {
            let list = branch.stamping().jobs(&if unfinished {
                JobFilter::OpenPaid
            } else {
                JobFilter::Recent(50)
            })?;
            if json {
                print_json(&list, branch.config().branch.timezone);
            } else if list.is_empty() {
                println!("{}", words::current().no_jobs());
            } else {
                for v in &list {
                    println!(
                        "#{:<5} {:<8} {:<40} {}{}",
                        v.id,
                        v.ticket.as_deref().unwrap_or("-"),
                        v.document_name,
                        v.state_label,
                        v.sn.as_deref()
                            .map(|s| format!("  SN {s}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        JobCommand::Email { job, to } => {
            let v = branch.stamping().set_job_email(job, &to, actor)?;
            print_job(&v);
        }
        JobCommand::Whatsapp { job, to } => {
            let v = branch.stamping().set_job_whatsapp(job, &to, actor)?;
            print_job(&v);
            if !branch.delivery().whatsapp_configured() {
                println!("{}", crate::delivery::whatsapp::WaError::NotConfigured);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
