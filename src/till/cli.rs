//! The `loket till` and `loket sale` commands: enough to script a whole shift, with `--json` where a script reads the result.

use crate::cli::{pin_with_prompt, print_json};
use crate::day::TimeZone;
use crate::queue::CounterNo;
use crate::till::SaleId;

use super::domain::{CashCount, Method, RefundRequest, Tender};
use super::service::{
    CloseOutcome, SaleView, approval_subject_counter, approval_subject_qris, approval_subject_sale,
    approval_subject_session,
};
use super::{TillError, TillReport, actions};
use crate::branch::Branch;
use crate::error::LoketError;
use crate::money::Rupiah;
use crate::words;
use clap::{Args, Subcommand};
use std::path::Path;
use std::process::ExitCode;

/// A supervisor's PIN approval, given on the command line.
#[derive(Debug, Args)]
pub struct Approve {
    /// ID supervisor yang menyetujui.
    #[arg(long)]
    pub supervisor: String,
    /// PIN supervisor (atau dari LOKET_PIN / masukan standar).
    #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
    pub pin: Option<String>,
    /// Alasan (wajib).
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum TillCommand {
    /// Buka sesi kas (laci) di loket dengan modal awal yang dihitung.
    Open {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        /// Modal awal per pecahan, mis. "100000x1,50000x2,5000x10", atau jumlahnya saja.
        #[arg(long = "float")]
        float: String,
        #[arg(long)]
        json: bool,
    },
    /// Laporan X (sementara) sesi kas yang sedang berjalan; tidak mengubah apa pun.
    XReport {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        #[arg(long)]
        json: bool,
    },
    /// Tutup sesi kas: hitung buta (--count) lalu laporan Z; selisih di atas toleransi perlu supervisor.
    Close {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        /// Hitungan uang di laci per pecahan, mis. "100000x3,50000x1", atau jumlahnya saja.
        #[arg(long)]
        count: Option<String>,
        /// Supervisor yang menyetujui selisih.
        #[arg(long)]
        supervisor: Option<String>,
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: Option<String>,
        /// Penjelasan selisih.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cetak laporan Z yang tersimpan (selalu sebagai SALINAN); tanpa --number yang terbaru.
    ZReport {
        #[arg(long)]
        number: Option<i64>,
        #[arg(long, short = 'c')]
        counter: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Keluarkan uang dari laci untuk pengeluaran, dengan alasan.
    Payout {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Setor uang dari laci ke brankas, dengan alasan.
    Drop {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Buka laci tanpa penjualan (perlu supervisor).
    NoSale {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        #[command(flatten)]
        approve: Approve,
    },
    /// Daftar harga.
    Prices {
        #[arg(long)]
        json: bool,
    },
    /// Cetak laporan Z nomor N di printer loketnya (sebagai SALINAN, dihitung).
    PrintZ { number: i64 },
}

#[derive(Debug, Subcommand)]
pub enum SaleCommand {
    /// Cetak struk penjualan di printer loketnya; --copy menandainya SALINAN.
    Print {
        sale: SaleId,
        #[arg(long)]
        copy: bool,
    },
    /// Buat penjualan baru; mencetak nomornya.
    New {
        #[arg(long, short = 'c')]
        counter: CounterNo,
        /// Nomor antrean pelanggan, mis. C-003.
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Tambah barang dari daftar harga.
    Add {
        sale: SaleId,
        item: String,
        #[arg(default_value_t = 1)]
        quantity: i64,
        /// Pekerjaan pembubuhan e-Meterai yang dibayar baris ini.
        #[arg(long)]
        job: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Bayar: tunai, debit (EDC) dan/atau QRIS; boleh beberapa sekaligus.
    Pay {
        sale: SaleId,
        /// Uang tunai yang diterima (boleh lebih; ada kembalian).
        #[arg(long)]
        cash: Option<String>,
        /// Jumlah yang didebit lewat EDC.
        #[arg(long)]
        debit: Option<String>,
        /// Kode persetujuan (approval) dari struk EDC.
        #[arg(long, requires = "debit")]
        approval: Option<String>,
        /// Empat angka terakhir kartu.
        #[arg(long, requires = "debit")]
        last4: Option<String>,
        /// Jumlah yang dibayar dengan QRIS (kode QR ditampilkan).
        #[arg(long)]
        qris: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Konfirmasi pembayaran QRIS dengan nomor referensinya.
    QrisConfirm {
        #[arg(long = "ref")]
        reference: String,
        /// Nomor referensi dari aplikasi pembayar (bila ada).
        #[arg(long)]
        payer_ref: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Batalkan kode QRIS yang tidak jadi dibayar.
    QrisCancel {
        #[arg(long = "ref")]
        reference: String,
    },
    /// Daftar QRIS yang perlu diperiksa supervisor (terlambat atau kelebihan bayar).
    QrisFlagged {
        #[arg(long)]
        json: bool,
    },
    /// Selesaikan QRIS bermasalah: kembalikan kelebihan bayarnya (perlu supervisor).
    QrisResolve {
        #[arg(long = "ref")]
        reference: String,
        #[arg(long, short = 'c')]
        counter: CounterNo,
        /// Cara mengembalikan: qris (lewat pengakuisisi) atau cash (dari laci).
        #[arg(long, default_value = "qris")]
        method: String,
        #[command(flatten)]
        approve: Approve,
    },
    /// Batalkan penjualan (perlu supervisor); semua pembayaran dikembalikan.
    Void {
        sale: SaleId,
        /// Loket tempat uang dikembalikan (bawaan: loket penjualan).
        #[arg(long, short = 'c')]
        counter: Option<u32>,
        #[command(flatten)]
        approve: Approve,
        #[arg(long)]
        json: bool,
    },
    /// Kembalikan barang dari penjualan lunas (perlu supervisor).
    Refund {
        sale: SaleId,
        /// Baris dan jumlah, mis. --line 1:2 (tanpa jumlah: seluruh sisa baris); tanpa --line: semuanya.
        #[arg(long = "line")]
        lines: Vec<String>,
        /// Cara mengembalikan uang: cash, debit atau qris.
        #[arg(long, default_value = "cash")]
        method: String,
        #[arg(long, short = 'c')]
        counter: Option<u32>,
        #[command(flatten)]
        approve: Approve,
        #[arg(long)]
        json: bool,
    },
    /// Tampilkan penjualan (--receipt: isi struknya).
    Show {
        sale: SaleId,
        #[arg(long)]
        receipt: bool,
        #[arg(long)]
        json: bool,
    },
}

fn approve(
    branch: &mut Branch,
    actor: &str,
    a: Approve,
    action: &str,
    subject: &str,
) -> Result<i64, LoketError> {
    let pin = pin_with_prompt(a.pin, "PIN supervisor: ")?;
    Ok(branch
        .users()
        .approve(&a.supervisor, &pin, actor, action, subject, &a.reason)?
        .id)
}

fn money(text: &str) -> Result<Rupiah, LoketError> {
    Ok(Rupiah::parse(text).map_err(TillError::from)?)
}

fn drawer_note(open: bool) {
    if open {
        println!("{}", words::current().drawer_opened());
    }
}

fn print_sale(v: &SaleView) {
    let w = words::current();
    println!(
        "{}",
        w.sale_head(&v.id, v.counter, v.ticket.as_deref(), &v.status_label)
    );
    for l in &v.lines {
        let refunded = if l.refunded_qty > 0 {
            w.sale_line_refunded(l.refunded_qty)
        } else {
            String::new()
        };
        println!(
            "  {:>2}. {:<30} {:>3} x {:>10} = {:>12}{refunded}",
            l.no,
            l.name,
            l.quantity,
            l.unit_price.to_string(),
            l.amount.to_string()
        );
    }
    println!("{}", w.sale_totals(&v.total, &v.paid, &v.due));
    if v.refunded.is_positive() {
        println!("{}", w.sale_refunded(&v.refunded));
    }
    if v.pending_qris.is_positive() {
        println!("{}", w.sale_pending_qris(&v.pending_qris));
    }
    for q in &v.qris {
        println!("  QRIS {} {} — {}", q.reference, q.amount, q.state);
    }
    if !v.quick_amounts.is_empty() {
        let quick: Vec<String> = v.quick_amounts.iter().map(Rupiah::to_string).collect();
        println!("{}", w.sale_exact(&v.due, &quick.join(", ")));
    }
    if let Some(r) = &v.void_reason {
        println!("{}", w.sale_void_reason(r));
    }
}

fn print_report(r: &TillReport, json: bool, tz: TimeZone) {
    if json {
        print_json(r, tz);
    } else {
        print!("{}", r.to_text());
    }
}

fn print_close(o: &CloseOutcome, json: bool, tz: TimeZone) {
    if json {
        print_json(o, tz);
        return;
    }
    let w = words::current();
    println!("{}", w.close_counted(&o.counted, &o.expected, &o.variance));
    if o.needs_approval {
        println!("{}", w.close_needs_approval(&o.tolerance, o.counter));
    }
    if !o.unfinished.is_empty() {
        println!("{}", w.close_unfinished(o.counter));
        for u in &o.unfinished {
            println!("  {u}");
        }
    }
    if let Some(z) = &o.z {
        println!();
        print!("{}", z.to_text());
    }
}

/// Runs a `loket till` command.
pub fn run_till(data: &Path, actor: &str, command: TillCommand) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        TillCommand::PrintZ { number } => {
            return crate::printing::cli::till_print_z(&mut branch, number);
        }
        TillCommand::Open {
            counter,
            float,
            json,
        } => {
            let count = CashCount::parse(&float)?;
            let s = branch.till().open_till(counter, actor, &count)?;
            if json {
                print_json(&s, branch.config().branch.timezone);
            } else {
                println!(
                    "{}",
                    words::current().till_opened(&s.id, s.counter, &s.float)
                );
                drawer_note(true);
            }
        }
        TillCommand::XReport { counter, json } => print_report(
            &branch.till().x_report(counter)?,
            json,
            branch.config().branch.timezone,
        ),
        TillCommand::Close {
            counter,
            count,
            supervisor,
            pin,
            reason,
            json,
        } => {
            let mut outcome = None;
            if let Some(count) = count {
                let count = CashCount::parse(&count)?;
                let o = branch.till().count_till(counter, actor, &count)?;
                if !o.needs_approval || supervisor.is_none() {
                    print_close(&o, json, branch.config().branch.timezone);
                    return Ok(ExitCode::SUCCESS);
                }
                outcome = Some(o);
            }
            let session = match &outcome {
                Some(o) => o.session,
                None => {
                    branch
                        .till()
                        .till_session(counter)?
                        .ok_or(TillError::NoSession(counter.get()))?
                        .id
                }
            };
            let approval = match supervisor {
                Some(supervisor) => {
                    let reason = reason.ok_or(TillError::ReasonRequired)?;
                    let a = Approve {
                        supervisor,
                        pin,
                        reason,
                    };
                    Some(approve(
                        &mut branch,
                        actor,
                        a,
                        actions::CLOSE_VARIANCE,
                        &approval_subject_session(session),
                    )?)
                }
                None => None,
            };
            let o = branch.till().finish_close(counter, actor, approval)?;
            print_close(&o, json, branch.config().branch.timezone);
        }
        TillCommand::ZReport {
            number,
            counter,
            json,
        } => print_report(
            &branch.till().reprint_z(number, counter, actor)?,
            json,
            branch.config().branch.timezone,
        ),
        TillCommand::Payout {
            counter,
            amount,
            reason,
        } => {
            let o = branch
                .till()
                .pay_out(counter, actor, money(&amount)?, &reason)?;
            println!(
                "{}",
                words::current().payout_recorded(&o.amount, &o.expected_cash.unwrap_or_default())
            );
            drawer_note(o.open_drawer);
        }
        TillCommand::Drop {
            counter,
            amount,
            reason,
        } => {
            let o = branch
                .till()
                .cash_drop(counter, actor, money(&amount)?, &reason)?;
            println!(
                "{}",
                words::current().drop_recorded(&o.amount, &o.expected_cash.unwrap_or_default())
            );
            drawer_note(o.open_drawer);
        }
        TillCommand::NoSale {
            counter,
            approve: a,
        } => {
            let id = approve(
                &mut branch,
                actor,
                a,
                actions::NO_SALE,
                &approval_subject_counter(counter),
            )?;
            let o = branch.till().open_drawer_no_sale(counter, actor, id)?;
            drawer_note(o.open_drawer);
        }
        TillCommand::Prices { json } => {
            let items: Vec<serde_json::Value> = branch
                .config()
                .prices
                .items
                .iter()
                .map(|i| serde_json::json!({"code": i.code(), "name": i.name, "price": i.price(), "service_fee": i.service_fee()}))
                .collect();
            if json {
                print_json(&items, branch.config().branch.timezone);
            } else {
                for i in &branch.config().prices.items {
                    let fee = if i.service_fee().is_positive() {
                        words::current().price_fee(&i.service_fee())
                    } else {
                        String::new()
                    };
                    println!(
                        "{:<12} {:<28} {:>10}{fee}",
                        i.code(),
                        i.name,
                        i.price().to_string()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn refund_request(lines: &[String], sale: &SaleView) -> Result<RefundRequest, LoketError> {
    if lines.is_empty() {
        return Ok(RefundRequest::All);
    }
    let mut out = Vec::new();
    for l in lines {
        let bad = || LoketError::from(crate::cli::CliError::RefundLine(l.to_string()));
        let (no, qty) = match l.split_once(':') {
            Some((n, q)) => (
                n.trim().parse::<u32>().map_err(|_| bad())?,
                Some(q.trim().parse::<i64>().map_err(|_| bad())?),
            ),
            None => (l.trim().parse::<u32>().map_err(|_| bad())?, None),
        };
        let qty = match qty {
            Some(q) => q,
            None => sale
                .lines
                .iter()
                .find(|x| x.no == no)
                .map(|x| x.quantity - x.refunded_qty)
                .ok_or(TillError::UnknownLine(no))?,
        };
        out.push((no, qty));
    }
    Ok(RefundRequest::Lines(out))
}

/// Runs a `loket sale` command.
pub fn run_sale(data: &Path, actor: &str, command: SaleCommand) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        SaleCommand::Print { sale, copy } => {
            return crate::printing::cli::sale_print(&mut branch, sale.get(), copy);
        }
        SaleCommand::New {
            counter,
            ticket,
            json,
        } => {
            let ticket = ticket
                .map(|t| t.parse().map_err(|_| TillError::BadTicket(t)))
                .transpose()?;
            let v = branch.till().new_sale(counter, actor, ticket.as_ref())?;
            if json {
                print_json(&v, branch.config().branch.timezone);
            } else {
                println!("{}", v.id);
            }
        }
        SaleCommand::Add {
            sale,
            item,
            quantity,
            job,
            json,
        } => {
            let v = branch
                .till()
                .add_to_sale(sale, actor, &item, quantity, job)?;
            if json {
                print_json(&v, branch.config().branch.timezone);
            } else {
                print_sale(&v);
            }
        }
        SaleCommand::Pay {
            sale,
            cash,
            debit,
            approval,
            last4,
            qris,
            json,
        } => {
            let mut tenders = Vec::new();
            if let Some(d) = debit {
                tenders.push(Tender::Debit {
                    amount: money(&d)?,
                    approval_code: approval.unwrap_or_default(),
                    last4: last4.unwrap_or_default(),
                });
            }
            if let Some(q) = qris {
                tenders.push(Tender::Qris { amount: money(&q)? });
            }
            if let Some(c) = cash {
                tenders.push(Tender::Cash {
                    tendered: money(&c)?,
                });
            }
            let mut o = branch.till().pay_sale(sale, actor, &tenders)?;
            for q in &mut o.qris {
                *q = branch.till().qris_shown(&q.reference, actor)?;
            }
            if json {
                print_json(&o, branch.config().branch.timezone);
                return Ok(ExitCode::SUCCESS);
            }
            print_sale(&o.sale);
            if o.change.is_positive() {
                println!("{}", words::current().change_due(&o.change));
            }
            let tz = branch.config().branch.timezone;
            for q in &o.qris {
                let until = crate::when::When::ms(q.expires_ms, tz).time_zone();
                println!(
                    "{}",
                    words::current().qris_shown(&q.reference, &q.amount, &until)
                );
                print!(
                    "{}",
                    crate::qris::half_blocks(&q.payload).map_err(TillError::from)?
                );
                println!("{}", q.payload);
            }
            drawer_note(o.open_drawer);
        }
        SaleCommand::QrisConfirm {
            reference,
            payer_ref,
            json,
        } => {
            let o = branch
                .till()
                .confirm_qris(&reference, actor, payer_ref.as_deref())?;
            if json {
                print_json(&o, branch.config().branch.timezone);
            } else {
                if o.late {
                    println!("{}", words::current().qris_late(&o.qris.reference));
                }
                if o.qris.excess.is_positive() {
                    println!("{}", words::current().qris_excess(&o.qris.excess));
                }
                print_sale(&o.sale);
            }
        }
        SaleCommand::QrisCancel { reference } => {
            let v = branch.till().cancel_qris(&reference, actor)?;
            print_sale(&v);
        }
        SaleCommand::QrisFlagged { json } => {
            let list = branch.till().qris_flagged()?;
            if json {
                print_json(&list, branch.config().branch.timezone);
            } else if list.is_empty() {
                println!("{}", words::current().qris_none_flagged());
            } else {
                for q in list {
                    println!(
                        "{}",
                        words::current().qris_flagged_line(
                            &q.reference,
                            &q.sale,
                            &q.amount,
                            &q.state,
                            &q.excess
                        )
                    );
                }
            }
        }
        SaleCommand::QrisResolve {
            reference,
            counter,
            method,
            approve: a,
        } => {
            let method = Method::parse(&method).ok_or_else(|| {
                LoketError::from(crate::cli::CliError::UnknownPayMethod(method.clone()))
            })?;
            let id = approve(
                &mut branch,
                actor,
                a,
                actions::QRIS_EXCESS,
                &approval_subject_qris(reference.trim()),
            )?;
            let q = branch
                .till()
                .resolve_qris(&reference, counter, actor, method, id)?;
            println!(
                "{}",
                words::current().qris_resolved(&q.reference, &q.excess, &method)
            );
        }
        SaleCommand::Void {
            sale,
            counter,
            approve: a,
            json,
        } => {
            let counter = match counter {
                Some(c) => c,
                None => branch.till().sale(sale)?.counter,
            };
            let id = approve(
                &mut branch,
                actor,
                a,
                actions::VOID,
                &approval_subject_sale(sale),
            )?;
            let o = branch
                .till()
                .void_sale(sale, crate::queue::CounterNo(counter), actor, id)?;
            if json {
                print_json(&o, branch.config().branch.timezone);
            } else {
                println!("{}", words::current().sale_voided(&sale, &o.supervisor));
                for (m, a) in &o.reversed {
                    println!("{}", words::current().void_returned(a, m));
                }
                drawer_note(o.open_drawer);
            }
        }
        SaleCommand::Refund {
            sale,
            lines,
            method,
            counter,
            approve: a,
            json,
        } => {
            let view = branch.till().sale(sale)?;
            let counter = counter.unwrap_or(view.counter);
            let method = Method::parse(&method).ok_or_else(|| {
                LoketError::from(crate::cli::CliError::UnknownRefundMethod(method.clone()))
            })?;
            let request = refund_request(&lines, &view)?;
            let id = approve(
                &mut branch,
                actor,
                a,
                actions::REFUND,
                &approval_subject_sale(sale),
            )?;
            let o = branch.till().refund_sale(
                sale,
                crate::queue::CounterNo(counter),
                actor,
                &request,
                method,
                id,
            )?;
            if json {
                print_json(&o, branch.config().branch.timezone);
            } else {
                println!(
                    "{}",
                    words::current().refund_done(&o.amount, &o.method, &sale, &o.supervisor)
                );
                drawer_note(o.open_drawer);
            }
        }
        SaleCommand::Show {
            sale,
            receipt,
            json,
        } => {
            if receipt {
                let r = branch.till().sale_receipt(sale)?;
                print_json(&r, branch.config().branch.timezone);
            } else {
                let v = branch.till().sale(sale)?;
                if json {
                    print_json(&v, branch.config().branch.timezone);
                } else {
                    print_sale(&v);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
