//! Command-line handlers for printers, receipt previews and printing sales, Z reports and tickets.

use crate::cli::print_json;
use crate::error::IoWhat;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use loket_drivers::{
    TransportError, VirtualConfig, VirtualPrinter, VirtualState, list_serial_ports,
    list_usb_devices, serve_pty, serve_tcp,
};
use loket_receipts::{Kind, encode, preview, sample};

use super::PrintOutcome;
use super::registry::profile_by_config_name;
use crate::branch::Branch;
use crate::error::LoketError;
use crate::words;

#[derive(Debug, Subcommand)]
pub enum PrintersCommand {
    /// Perangkat USB (VID/PID, kelas) dan port serial yang terlihat.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Cetak slip uji pada printer dari [printers] dan laporkan keadaannya.
    Test {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Jalankan printer virtual (jaringan atau serial) sampai dihentikan.
    Emulate(EmulateArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "link")]
pub struct EmulateLink {
    /// Dengarkan TCP di alamat ini, mis. 127.0.0.1:9100.
    #[arg(long, group = "link")]
    pub tcp: Option<String>,
    /// Buka pseudo-terminal (printer serial); jalurnya dicetak.
    #[arg(long, group = "link")]
    pub pty: bool,
}

#[derive(Debug, Args)]
pub struct EmulateArgs {
    #[command(flatten)]
    pub link: EmulateLink,
    /// Keadaan awal: ok, paper-near-end, paper-out, cover-open, offline, unresponsive.
    #[arg(long, default_value = "ok")]
    pub status: String,
    /// Folder untuk hasil cetak (NNNN.txt, NNNN.png); tanpa ini hanya di memori.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Lebar kepala dalam titik: 384 (58 mm) atau 576 (80 mm).
    #[arg(long, default_value_t = 576)]
    pub dots: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    Text,
    Escpos,
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCommand {
    /// Contoh struk: ticket, sale, sale-copy, qris, stamp-proof, claim, x-report, z-report, z-report-copy, daily.
    Preview {
        kind: String,
        /// 58mm, 80mm (48 kolom) atau 80mm-42.
        #[arg(long, default_value = "80mm")]
        profile: String,
        /// text (pratinjau) atau escpos (byte mentah ke stdout).
        #[arg(long, value_enum, default_value = "text")]
        format: PreviewFormat,
    },
}

/// Arguments of `loket dispenser`.
#[derive(Debug, Args)]
pub struct DispenserArgs {
    /// serial (kotak tombol) atau keys (tombol keyboard); bawaan dari [dispenser] input.
    #[arg(long, value_parser = ["serial", "keys"])]
    pub input: Option<String>,
    /// Port serial kotak tombol, mis. /dev/ttyUSB0; bawaan dari [dispenser] port.
    #[arg(long)]
    pub port: Option<String>,
}

/// Prints an outcome; exit 1 when it did not print.
pub fn report(o: &PrintOutcome, what: &str) -> ExitCode {
    if o.printed {
        println!(
            "{}",
            words::current().slip_printed(what, &o.printer, &o.job)
        );
        if o.condition.is_some() {
            println!("{}", o.message);
        }
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{}",
            words::current().slip_not_printed(what, &o.printer, &o.message)
        );
        ExitCode::FAILURE
    }
}

/// `loket printers …`.
pub fn printers(data: &Path, actor: &str, cmd: PrintersCommand) -> Result<ExitCode, LoketError> {
    match cmd {
        PrintersCommand::List { json } => list(json),
        PrintersCommand::Test { name, json } => {
            let mut branch = Branch::open(data)?;
            let o = branch.printing().print_test(&name, actor)?;
            let state = branch.printing().named_printer_status(&name)?;
            if json {
                print_json(
                    &serde_json::json!({"outcome": o, "state": state}),
                    branch.config().branch.timezone,
                );
                return Ok(if o.printed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            let w = words::current();
            let code = report(&o, w.slip_test());
            println!("{}", w.printer_state(&name, &state.text()));
            Ok(code)
        }
        PrintersCommand::Emulate(args) => emulate(args),
    }
}

fn list(json: bool) -> Result<ExitCode, LoketError> {
    let usb = list_usb_devices();
    let serial = list_serial_ports();
    if json {
        crate::cli::print_json_plain(&serde_json::json!({
            "usb": usb.as_ref().ok(),
            "usb_error": usb.as_ref().err().map(|e| e.to_string()),
            "serial": serial.as_ref().ok(),
            "serial_error": serial.as_ref().err().map(|e| e.to_string()),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let w = words::current();
    println!("USB:");
    match &usb {
        Ok(devs) if devs.is_empty() => println!("{}", w.usb_none()),
        Ok(devs) => {
            for d in devs {
                let classes: Vec<String> = d
                    .interfaces
                    .iter()
                    .map(|i| match i.class {
                        7 => format!("if{} printer", i.number),
                        0xFF => format!("if{} vendor", i.number),
                        c => w.usb_class(&i.number, c),
                    })
                    .collect();
                println!(
                    "{}",
                    w.usb_device(
                        d.bus,
                        d.address,
                        &format!("{:04x}:{:04x}", d.vid, d.pid),
                        &classes.join(", ")
                    )
                );
            }
        }
        Err(TransportError::NoUsb(_)) => println!("{}", w.usb_absent()),
        Err(e) => println!("{}", w.usb_unreadable(e)),
    }
    println!("Serial:");
    match &serial {
        Ok(ports) if ports.is_empty() => println!("{}", w.serial_none()),
        Ok(ports) => {
            for p in ports {
                println!("  {}  ({})", p.path, p.kind);
            }
        }
        Err(e) => println!("{}", w.serial_unreadable(e)),
    }
    Ok(ExitCode::SUCCESS)
}

fn emulate(args: EmulateArgs) -> Result<ExitCode, LoketError> {
    let state: VirtualState = args
        .status
        .parse()
        .map_err(crate::cli::CliError::UnknownPrinterState)?;
    let mut config = match &args.out {
        Some(dir) => VirtualConfig::writing_to(args.dots, dir),
        None => VirtualConfig::in_memory(args.dots),
    };
    config.state = state;
    let io = |what: IoWhat| {
        move |source| LoketError::Io {
            what,
            path: PathBuf::from("-"),
            source,
        }
    };
    let vp = VirtualPrinter::new(config).map_err(io(IoWhat::VirtualPrinterFolder))?;
    // Keep the server alive for the life of the loop.
    let _server: Box<dyn std::any::Any> = if let Some(addr) = &args.link.tcp {
        let addr = addr
            .parse()
            .map_err(|_| LoketError::from(crate::cli::CliError::BadTcpAddress(addr.clone())))?;
        let s = serve_tcp(vp.clone(), addr).map_err(io(IoWhat::ListenTcp))?;
        println!("{}", words::current().virtual_tcp(&s.addr(), &state));
        Box::new(s)
    } else {
        let s = serve_pty(vp.clone()).map_err(io(IoWhat::OpenPty))?;
        println!(
            "{}",
            words::current().virtual_serial(&s.path().display(), &state)
        );
        Box::new(s)
    };
    let _ = std::io::stdout().flush();
    let mut seen = 0;
    loop {
        let jobs = vp.wait_for_jobs(seen + 1, Duration::from_secs(3600));
        let total = vp.jobs_printed();
        if total > seen {
            for job in jobs.iter().rev().take(total - seen).rev() {
                println!(
                    "{}",
                    words::current().virtual_job(
                        job.number,
                        job.text.lines().count(),
                        job.complete
                    )
                );
            }
            seen = total;
            let _ = std::io::stdout().flush();
        }
    }
}

/// `loket receipts preview KIND`.
pub fn receipts(cmd: ReceiptsCommand) -> Result<ExitCode, LoketError> {
    match cmd {
        ReceiptsCommand::Preview {
            kind,
            profile,
            format,
        } => {
            let k: Kind = match kind.as_str() {
                "stamp-proof" => Kind::Proof,
                "daily" => Kind::DailySummary,
                other => other.parse().map_err(|_| {
                    LoketError::from(crate::cli::CliError::UnknownReceiptKind(kind.clone()))
                })?,
            };
            let profile = profile_by_config_name(&profile)?;
            let doc = sample(k);
            match format {
                PreviewFormat::Text => {
                    let text = preview(&doc, &profile).map_err(crate::cli::CliError::Preview)?;
                    print!("{text}");
                }
                PreviewFormat::Escpos => {
                    let bytes =
                        encode(&doc, &profile).map_err(crate::cli::CliError::ReceiptEncode)?;
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)
                        .and_then(|()| out.flush())
                        .map_err(|source| LoketError::Io {
                            what: crate::error::IoWhat::WriteStdout,
                            path: PathBuf::from("-"),
                            source,
                        })?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `loket queue reprint TICKET`: the ticket again, same number.
pub fn queue_reprint(
    branch: &mut Branch,
    actor: &str,
    ticket: &str,
) -> Result<ExitCode, LoketError> {
    let o = branch.printing().reprint_ticket(&ticket.parse()?, actor)?;
    Ok(report(
        &o,
        &words::current().slip_ticket(&ticket.trim().to_ascii_uppercase()),
    ))
}

/// `loket sale print SALE [--copy]`.
pub fn sale_print(branch: &mut Branch, sale: i64, copy: bool) -> Result<ExitCode, LoketError> {
    let o = branch.printing().print_sale_receipt(sale, copy)?;
    Ok(report(&o, &words::current().slip_sale(&sale)))
}

/// `loket till print-z N`: a counted copy of a stored Z report.
pub fn till_print_z(branch: &mut Branch, number: i64) -> Result<ExitCode, LoketError> {
    let o = branch.printing().print_z_report(number, true)?;
    Ok(report(&o, &words::current().slip_z_copy(&number)))
}

/// `loket dispenser`.
pub fn dispenser(data: &Path, args: DispenserArgs) -> Result<ExitCode, LoketError> {
    Ok(crate::dispenser::run_cli(
        data,
        args.input.as_deref(),
        args.port.as_deref(),
    )?)
}
