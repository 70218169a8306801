//! The command line: argument definitions and the glue from each command to the branch API.

use crate::branch::Branch;
use crate::day::BusinessDay;
use crate::error::LoketError;
use crate::journal;
use crate::lang::Lang;
use crate::queue::{CounterState, QueueStatus, Step};
use crate::users::{self, Role};
use crate::words;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "loket",
    version,
    about = "Terminal loket Kantor Pos: antrean, kasir, e-Meterai dan pengiriman dokumen"
)]
pub struct Cli {
    /// Folder data cabang (konfigurasi, database, dokumen).
    #[arg(long, global = true, env = "LOKET_DATA", default_value = "loket-data")]
    pub data: PathBuf,
    /// Siapa yang menjalankan perintah, untuk jurnal.
    #[arg(long = "by", global = true, default_value = "admin")]
    pub actor: String,
    /// Bahasa layar: id (Indonesia) atau en (English).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "LOKET_LANG",
        default_value = "id"
    )]
    pub lang: Lang,
    /// Server cabang (PostgreSQL) yang dipakai bersama semua PC cabang:
    /// postgresql://peran:sandi@host:port/basisdata. Tanpa ini: LOKET_STORE, lalu `[store] url`
    /// di loket.toml, lalu berkas SQLite di folder data.
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tulis konfigurasi contoh dan siapkan database.
    Init {
        /// Timpa konfigurasi yang sudah ada.
        #[arg(long)]
        force: bool,
    },
    /// Tampilan loket untuk petugas (bawaan bila tanpa perintah).
    Counter {
        /// Nomor loket ini.
        #[arg(long, short = 'c', default_value_t = 1)]
        counter: u32,
    },
    /// Layar ruang tunggu: nomor yang dipanggil dan antrean per layanan.
    Display {
        /// Sajikan layar ruang tunggu sebagai halaman web untuk peramban TV (bawaan
        /// 127.0.0.1:8080; 0.0.0.0:8080 agar terjangkau dari LAN), dengan panggilan bersuara dan
        /// halaman tiket di ponsel. Hanya-baca.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = crate::hall::DEFAULT_ADDRESS)]
        web: Option<String>,
    },
    /// Cadangan cabang yang konsisten (basis data, dokumen, manifes SHA-256) ke folder atau flash
    /// disk, dibaca ulang dan diperiksa sebelum dinyatakan selesai.
    Backup {
        /// Folder tujuan (atau titik kait flash disk).
        #[arg(long)]
        to: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Pulihkan cadangan ke folder data yang kosong: manifes diperiksa, jurnal diperiksa.
    Restore {
        /// Folder cadangan (yang berisi MANIFEST.json).
        from: PathBuf,
        /// Folder data baru yang kosong.
        #[arg(long = "into")]
        into: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Pemeriksaan PC cabang untuk teknisi: setiap pemeriksaan ✓ atau ✗ dengan perbaikannya.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Pekerja latar cabang: membubuhkan e-Meterai yang tertunda menurut jadwal coba-ulang tiap
    /// pekerjaan, mengantrekan e-mail hasil, menghapus dokumen yang masa simpannya habis. Berjalan
    /// sampai dihentikan (layanan systemd atau terminal supervisor).
    Worker {
        /// Satu putaran saja, lalu keluar.
        #[arg(long)]
        once: bool,
    },
    /// Konsol supervisor: keadaan cabang dan persetujuan.
    Supervisor,
    /// Antrean: ambil nomor, panggil, layani, tunda, alihkan.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Jurnal bertaut hash.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Petugas dan supervisor.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Kas: buka laci, laporan X, tutup (hitung buta) dan laporan Z.
    #[command(subcommand)]
    Till(crate::till::cli::TillCommand),
    /// Penjualan: buat, tambah barang, bayar, batalkan, kembalikan.
    #[command(subcommand)]
    Sale(crate::till::cli::SaleCommand),
    /// Bubuhkan e-Meterai pada PDF (tingkat mesin, untuk teknisi).
    Stamp(crate::pdf::cli::StampArgs),
    /// Periksa semua tanda tangan pada PDF; keluar 0 bila semuanya sah.
    Verify(crate::pdf::cli::VerifyArgs),
    /// Flash disk pelanggan yang terpasang (dan melepasnya dengan aman).
    Drives(crate::delivery::cli::DrivesArgs),
    /// Salin dokumen ke flash disk pelanggan dengan verifikasi baca-ulang.
    Export(crate::delivery::cli::ExportArgs),
    /// Kirim dokumen ke e-mail pelanggan lewat kotak keluar.
    Mail(crate::delivery::cli::MailArgs),
    /// Kirim dokumen ke WhatsApp pelanggan lewat kotak keluar (API WhatsApp Business resmi).
    Wa(crate::delivery::cli::WaArgs),
    /// Terima laporan status WhatsApp (webhook Meta) di alamat [whatsapp] webhook_listen.
    WaWebhook(crate::delivery::cli::WaWebhookArgs),
    /// Kotak keluar e-mail dan WhatsApp: daftar (bawaan), kirim ulang, simpan .eml, kirim.
    Outbox(crate::delivery::cli::OutboxArgs),
    /// Paket harian supervisor: antrean, kas, e-Meterai, pengiriman, perangkat, jurnal.
    #[command(subcommand)]
    Report(crate::report::cli::ReportCommand),
    /// Alat pengembang dan pengujian beban.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
    /// Buku nomor seri e-Meterai: stok, klaim, rekonsiliasi, muat lot.
    #[command(subcommand)]
    Stamps(crate::stamping::cli::StampsCommand),
    /// Pekerjaan meterai: terima dokumen, tetapkan letak, bayar, bubuhkan.
    #[command(subcommand)]
    Job(crate::stamping::cli::JobCommand),
    /// Printer: daftar perangkat, slip uji, printer virtual.
    #[command(subcommand)]
    Printers(crate::printing::cli::PrintersCommand),
    /// Pratinjau struk dan tiket dengan data contoh.
    #[command(subcommand)]
    Receipts(crate::printing::cli::ReceiptsCommand),
    /// Dispenser nomor antrean: tombol layanan menerbitkan dan mencetak tiket.
    Dispenser(crate::printing::cli::DispenserArgs),
    /// Server cabang PostgreSQL, yang dipakai bersama semua PC cabang lewat `[store] url`.
    #[command(subcommand)]
    Server(crate::server::cli::ServerCommand),
    /// Penyimpanan cabang: pindahkan cabang satu-PC (SQLite) ke server cabang.
    #[command(subcommand)]
    Store(crate::server::cli::StoreCommand),
}

#[derive(Debug, Args)]
pub struct CounterArg {
    /// Nomor loket.
    #[arg(long, short = 'c')]
    pub counter: u32,
    /// ID petugas.
    #[arg(long, default_value = "petugas")]
    pub clerk: String,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Ambil nomor antrean untuk layanan (awalan, mis. A); mencetak nomornya, mis. A-007.
    Issue {
        service: String,
        /// Tiket prioritas (lansia, disabilitas, ibu hamil).
        #[arg(long)]
        priority: bool,
        #[arg(long)]
        json: bool,
    },
    /// Panggil berikutnya (atau --ticket tertentu); mencetak nomor yang dipanggil, kosong bila tak ada.
    Call {
        #[command(flatten)]
        at: CounterArg,
        /// Panggil nomor tertentu (dicatat sebagai panggilan di luar urutan).
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Panggil ulang tiket yang sedang dipanggil.
    Recall(CounterArg),
    /// Mulai melayani tiket yang dipanggil.
    Serve(CounterArg),
    /// Selesai melayani.
    Done(CounterArg),
    /// Nyatakan tidak hadir (setelah waktu tunggu minimum).
    Noshow(CounterArg),
    /// Tunda tiket; dipanggil kembali nanti (otomatis setelah --minutes, atau dengan unpark/call --ticket).
    Park {
        #[command(flatten)]
        at: CounterArg,
        #[arg(long)]
        minutes: Option<u32>,
    },
    /// Kembalikan tiket yang ditunda ke antrean.
    Unpark {
        ticket: String,
        #[arg(long, default_value = "petugas")]
        clerk: String,
    },
    /// Alihkan tiket ke layanan lain atau ke loket tertentu; waktu datangnya tetap.
    Transfer {
        #[command(flatten)]
        at: CounterArg,
        /// Layanan tujuan (awalan).
        #[arg(long)]
        to: String,
        /// Loket tujuan.
        #[arg(long)]
        to_counter: Option<u32>,
    },
    /// Layani pelanggan tanpa tiket.
    WalkIn {
        #[command(flatten)]
        at: CounterArg,
        #[arg(long)]
        service: String,
    },
    /// Pindahkan kunjungan yang dipegang sebuah loket ke loket lain (perlu supervisor); dibuka di
    /// sana apa adanya saat petugas masuk.
    MoveVisit {
        #[arg(long)]
        from: crate::queue::CounterNo,
        #[arg(long)]
        to: crate::queue::CounterNo,
        #[arg(long)]
        supervisor: String,
        /// PIN supervisor (atau dari LOKET_PIN / masukan standar).
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Aktifkan kembali tiket tidak hadir (perlu supervisor).
    Reactivate {
        ticket: String,
        #[arg(long)]
        supervisor: String,
        /// PIN supervisor (atau dari LOKET_PIN / masukan standar).
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Buka loket, istirahat (dengan alasan) atau tutup.
    State {
        #[command(flatten)]
        at: CounterArg,
        #[arg(value_parser = ["open", "break", "closed"])]
        state: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Keadaan antrean.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Posisi dan perkiraan waktu tunggu satu tiket.
    Ticket {
        ticket: String,
        #[arg(long)]
        json: bool,
    },
    /// Cetak ulang tiket dengan nomor yang sama (mis. setelah kertas dispenser habis).
    Reprint { ticket: String },
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Periksa rantai hash dan jangkarnya; keluar 0 bila utuh, 1 dengan entri atau jangkar pertama yang rusak.
    Verify {
        /// Hanya hari kerja ini (TTTT-BB-HH).
        #[arg(long)]
        date: Option<String>,
        /// Kepala rantai dari slip Z atau e-mail, NOMOR:HASH (hash utuh atau 16 digit pertama); boleh berulang.
        #[arg(long = "anchor", value_name = "NOMOR:HASH")]
        anchors: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Tambah petugas atau supervisor.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["clerk", "supervisor"])]
        role: String,
        /// PIN 4–12 angka (atau dari LOKET_PIN / masukan standar).
        #[arg(long, env = "LOKET_PIN", hide_env_values = true)]
        pin: Option<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Disable {
        id: String,
    },
    Enable {
        id: String,
    },
    /// Buka kunci akun setelah PIN salah berulang.
    Unlock {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Proses pekerja untuk uji beban: menerbitkan tiket atau memanggil dari satu loket.
    Stress(crate::stress::StressArgs),
    /// Layanan e-Meterai Peruri tiruan untuk pengujian (berjalan sampai dihentikan).
    // Only in builds made for tests (feature `testing`): a release binary does not know the command.
    #[cfg(feature = "testing")]
    FakePeruri(crate::testing::fake_peruri::FakeArgs),
    /// Tulis halaman manual loket.1 (dari definisi perintah ini) ke sebuah folder, untuk paket Debian.
    Man {
        /// Folder tujuan.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Writes `loket.1` (and one page per subcommand, `loket-queue.1`, …) into `out`, generated from the
/// clap definitions above, so the manual never drifts from the program.
fn write_man_pages(out: &std::path::Path) -> Result<Vec<PathBuf>, LoketError> {
    use clap::CommandFactory;
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| LoketError::Io {
            what: crate::error::IoWhat::WriteManPage,
            path,
            source,
        }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let root = Cli::command();
    let mut written = Vec::new();
    let mut pages = vec![(String::from("loket"), root.clone())];
    for sub in root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "dev")
    {
        pages.push((format!("loket-{}", sub.get_name()), sub.clone()));
    }
    for (name, cmd) in pages {
        let path = out.join(format!("{name}.1"));
        let mut bytes = Vec::new();
        clap_mangen::Man::new(cmd)
            .title(name.clone())
            .render(&mut bytes)
            .map_err(io(&path))?;
        std::fs::write(&path, bytes).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// What the command line itself refuses, worded in `crate::words`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `users add --role` names no role loket knows.
    UnknownRole(String),
    /// The PIN was to come from standard input, which could not be read.
    PinUnreadable(#[source] std::io::Error),
    /// A date argument that is not `YYYY-MM-DD` (as typed).
    NotADay(String),
    /// A `--anchor` that is not `NUMBER:HASH` (as typed).
    NotAnAnchor(String),
    /// `sale refund --line` that is not `LINE[:QUANTITY]`.
    RefundLine(String),
    /// A payment method other than cash or QRIS.
    UnknownPayMethod(String),
    /// A refund method other than cash, debit or QRIS.
    UnknownRefundMethod(String),
    /// `job settle --refund` with a method other than cash, debit or QRIS.
    UnknownSettleRefund(String),
    /// `job settle` without `--new-serial` or `--refund`.
    ChooseSettle,
    /// Neither `--file` nor a job number was given.
    NoSource,
    /// `whatsapp webhook` without an address to listen on.
    NoWebhookListen,
    /// `whatsapp webhook` without the app secret that proves a status report came from Meta.
    NoWebhookSecret,
    /// The daily summary has no printer to go to.
    NoReportPrinter,
    /// The daily summary was sent to the printer, which did not print it.
    NotPrinted(Box<crate::printing::PrintOutcome>),
    /// The daily pack could not be turned into JSON.
    ReportJson(#[source] serde_json::Error),
    /// `stamps load-lot` price that is not an amount.
    LotPrice(#[source] crate::money::MoneyError),
    /// `job pay --cash` that is not an amount.
    CashAmount(#[source] crate::money::MoneyError),
    /// `stamps load-lot` approved by someone who is not a supervisor (their user id).
    LotNeedsSupervisor(String),
    /// `job place` without `--at` on a job that has no proposed place.
    NoProposal,
    /// `--at` that is not `X,Y` in millimetres.
    BadAt,
    /// `printer emulate --status` that names no printer state.
    UnknownPrinterState(loket_drivers::UnknownState),
    /// `printer emulate --tcp` that is not `IP:PORT`.
    BadTcpAddress(String),
    /// `receipts preview` of a kind of slip loket does not print.
    UnknownReceiptKind(String),
    /// The sample slip could not be drawn as text.
    Preview(#[source] loket_receipts::RenderError),
    /// The sample slip could not be encoded for the printer.
    ReceiptEncode(#[source] loket_receipts::EncodeError),
    /// `--counter` names a counter the configuration lacks.
    NoSuchCounter { counter: u32, config: PathBuf },
    /// `dev stress`: a counter ran out of time.
    StressGaveUp {
        counter: u32,
        issued: u32,
        open: u32,
    },
}

/// Parses the process's arguments and runs the command, with the help text, the output and the
/// errors in the language `--lang` or `LOKET_LANG` asks for.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The language is read before clap parses, so `--help` and clap's usage lines can follow it.
    let lang = Lang::from_args(&args);
    crate::lang::set(lang);
    let matches = command(lang).get_matches_from(args);
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => run(cli),
        Err(e) => e.exit(),
    }
}

/// The clap definition with loket's descriptions in `lang`: the doc comments above are the
/// Indonesian text, `crate::words` holds the others.
pub fn command(lang: Lang) -> clap::Command {
    describe(Cli::command(), "", words::of(lang))
}

/// Replaces the description of `cmd` (at `path`, e.g. `queue ticket`) and of its options and
/// subcommands with the words' text where it has one.
fn describe(cmd: clap::Command, path: &str, words: &dyn words::Words) -> clap::Command {
    let cmd = match words.help(path) {
        Some(text) => cmd.about(text).long_about(None),
        None => cmd,
    };
    let cmd = cmd.mut_args(|arg| {
        let key = help_key(path, arg.get_id().as_str());
        match words.help(&key) {
            Some(text) => arg.help(text).long_help(None),
            None => arg,
        }
    });
    cmd.mut_subcommands(|sub| {
        let key = help_key(path, sub.get_name());
        describe(sub, &key, words)
    })
}

fn help_key(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path} {name}")
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    crate::lang::set(cli.lang);
    if let Some(url) = &cli.store {
        crate::store::set_store_override(url.clone());
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}: {e}", words::current().error_prefix());
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, LoketError> {
    let data = cli.data.clone();
    let actor = cli.actor.clone();
    match cli.command {
        Some(Command::Init { force }) => {
            let branch = Branch::init(&data, force)?;
            println!(
                "{}",
                words::current().init_done(
                    &branch.config().branch.name,
                    &data.display().to_string(),
                    branch.config().services.len(),
                    branch.config().counters.len()
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        None => ui_mode(&data, crate::ui::Mode::Counter, cli.lang, 1),
        Some(Command::Counter { counter }) => {
            ui_mode(&data, crate::ui::Mode::Counter, cli.lang, counter)
        }
        Some(Command::Display { web: None }) => {
            ui_mode(&data, crate::ui::Mode::Display, cli.lang, 1)
        }
        Some(Command::Display { web: Some(address) }) => {
            crate::hall::serve(&data, &address)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { to, json }) => crate::backup::cli_backup(&data, &actor, &to, json),
        Some(Command::Restore { from, into, json }) => {
            crate::backup::cli_restore(&from, &into, &actor, json)
        }
        Some(Command::Doctor { json }) => crate::doctor::cli_doctor(&data, json),
        Some(Command::Worker { once }) => {
            crate::stamping::worker::run_foreground(&data, once)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Supervisor) => ui_mode(&data, crate::ui::Mode::Supervisor, cli.lang, 1),
        Some(Command::Queue(q)) => queue(&data, &actor, q),
        Some(Command::Journal(JournalCommand::Verify {
            date,
            anchors,
            json,
        })) => {
            use crate::journal::anchor;
            let mut branch = Branch::open(&data)?;
            let day = date
                .as_deref()
                .map(|d| BusinessDay::parse(d).map_err(|_| CliError::NotADay(d.to_string())))
                .transpose()?;
            let claims = anchors
                .iter()
                .map(|a| {
                    a.parse::<anchor::Claim>()
                        .map_err(|_| CliError::NotAnAnchor(a.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let w = words::current();
            let roots = anchor::roots(branch.config(), branch.data_dir());
            let report = branch.store_mut().read(|c| journal::verify(c, day))?;
            let anchored = branch
                .store_mut()
                .read(|c| anchor::verify(c, &roots, &claims))?;
            if json {
                #[derive(serde::Serialize)]
                struct Verified<'a> {
                    #[serde(flatten)]
                    chain: &'a journal::Report,
                    anchors: &'a anchor::AnchorReport,
                }
                print_json(
                    &Verified {
                        chain: &report,
                        anchors: &anchored,
                    },
                    branch.config().branch.timezone,
                );
            } else if let Some(t) = &report.tamper {
                println!("{}", w.journal_broken(&t.to_string()));
            } else if let Some(p) = &anchored.problem {
                println!("{}", w.journal_broken(&p.to_string()));
            } else {
                println!(
                    "{}",
                    w.journal_intact(
                        report.entries,
                        day.map(|d| crate::when::date(d.date()).to_string())
                    )
                );
                match (anchored.anchored_from, anchored.anchored_to) {
                    (Some(from), Some(to)) => println!(
                        "{}",
                        w.journal_anchored(
                            anchored.anchors,
                            anchored.stamped,
                            anchored.pending,
                            from,
                            to
                        )
                    ),
                    _ => println!("{}", w.journal_not_anchored()),
                }
                let now_ms = crate::store::to_ms(branch.store().now());
                for d in &anchored.delays {
                    println!("{}", w.journal_note(&d.sentence(now_ms)));
                }
                if anchored.claims > 0 {
                    println!("{}", w.journal_claims_match(anchored.claims));
                }
            }
            Ok(if report.intact() && anchored.intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Some(Command::Users(u)) => users_cmd(&data, &actor, u),
        Some(Command::Till(t)) => crate::till::cli::run_till(&data, &actor, t),
        Some(Command::Sale(s)) => crate::till::cli::run_sale(&data, &actor, s),
        Some(Command::Stamp(args)) => {
            let mut out = std::io::stdout().lock();
            crate::pdf::cli::run_stamp(&data, &args, &mut out)
                .map(|()| ExitCode::SUCCESS)
                .map_err(LoketError::from)
        }
        Some(Command::Verify(args)) => {
            let mut out = std::io::stdout().lock();
            crate::pdf::cli::run_verify(&data, &args, &mut out)
                .map(|r| {
                    if r.all_valid() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                })
                .map_err(LoketError::from)
        }
        Some(Command::Dev(DevCommand::Stress(args))) => crate::stress::run(&data, &args),
        Some(Command::Drives(args)) => crate::delivery::cli::drives(&data, args),
        Some(Command::Export(args)) => crate::delivery::cli::export(&data, &actor, args),
        Some(Command::Mail(args)) => crate::delivery::cli::mail(&data, &actor, args),
        Some(Command::Wa(args)) => crate::delivery::cli::whatsapp(&data, &actor, args),
        Some(Command::WaWebhook(args)) => crate::delivery::cli::wa_webhook(&data, args),
        Some(Command::Outbox(c)) => crate::delivery::cli::outbox(
            &data,
            &actor,
            c.command
                .unwrap_or(crate::delivery::cli::OutboxCommand::List { json: false }),
        ),
        Some(Command::Stamps(c)) => crate::stamping::cli::run_stamps(&data, &actor, c),
        Some(Command::Job(c)) => crate::stamping::cli::run_job(&data, &actor, c),
        Some(Command::Report(c)) => crate::report::cli::run(&data, &actor, c),
        #[cfg(feature = "testing")]
        Some(Command::Dev(DevCommand::FakePeruri(args))) => {
            crate::testing::fake_peruri::run_cli(&args)
        }
        Some(Command::Dev(DevCommand::Man { out })) => {
            for page in write_man_pages(&out)? {
                println!("{}", page.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Printers(c)) => crate::printing::cli::printers(&data, &actor, c),
        Some(Command::Receipts(c)) => crate::printing::cli::receipts(c),
        Some(Command::Dispenser(args)) => crate::printing::cli::dispenser(&data, args),
        Some(Command::Server(c)) => crate::server::cli::run(&data, c),
        Some(Command::Store(c)) => crate::server::cli::store(&data, &cli.actor, c),
    }
}

fn ui_mode(
    data: &std::path::Path,
    mode: crate::ui::Mode,
    lang: Lang,
    counter: u32,
) -> Result<ExitCode, LoketError> {
    if !std::io::stdout().is_terminal() {
        // Piped or scripted: print the queue instead of drawing a screen nobody sees.
        let mut branch = Branch::open_or_init(data)?;
        print_status(&branch.queue().queue_status()?, &branch);
        println!();
        println!("{}", words::current().needs_terminal());
        return Ok(ExitCode::SUCCESS);
    }
    crate::ui::run(data, mode, lang, counter)?;
    Ok(ExitCode::SUCCESS)
}

fn queue(
    data: &std::path::Path,
    actor: &str,
    command: QueueCommand,
) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        QueueCommand::Issue {
            service,
            priority,
            json,
        } => {
            let t = branch.queue().issue_ticket(&service, priority, actor)?;
            if json {
                print_json(&t, branch.config().branch.timezone);
            } else {
                println!("{}", t.ticket);
            }
        }
        QueueCommand::Call { at, ticket, json } => {
            let called = match ticket {
                Some(label) => Some(branch.queue().call_ticket(
                    crate::queue::CounterNo(at.counter),
                    &at.clerk,
                    &label.parse()?,
                )?),
                None => branch
                    .queue()
                    .call_next(crate::queue::CounterNo(at.counter), &at.clerk)?,
            };
            match (called, json) {
                (Some(c), true) => print_json(&c, branch.config().branch.timezone),
                (Some(c), false) => println!("{}", c.ticket),
                (None, true) => println!("null"),
                (None, false) => {}
            }
        }
        QueueCommand::Recall(at) => step(&mut branch, at, Step::Recall)?,
        QueueCommand::Serve(at) => step(&mut branch, at, Step::Serve)?,
        QueueCommand::Done(at) => step(&mut branch, at, Step::Done)?,
        QueueCommand::Noshow(at) => step(&mut branch, at, Step::NoShow)?,
        QueueCommand::Park { at, minutes } => step(&mut branch, at, Step::Park { minutes })?,
        QueueCommand::Unpark { ticket, clerk } => {
            branch.queue().unpark(&clerk, &ticket.parse()?)?;
            println!("{ticket}");
        }
        QueueCommand::Transfer { at, to, to_counter } => {
            let t = branch.queue().transfer(
                crate::queue::CounterNo(at.counter),
                &at.clerk,
                &to,
                to_counter,
            )?;
            println!("{}", t.ticket);
        }
        QueueCommand::WalkIn { at, service } => {
            let t =
                branch
                    .queue()
                    .walk_in(crate::queue::CounterNo(at.counter), &at.clerk, &service)?;
            println!("{}", t.ticket);
        }
        QueueCommand::Reactivate {
            ticket,
            supervisor,
            pin,
            reason,
        } => {
            let pin = pin_from(pin)?;
            // As at the counter: text that is not a ticket number is refused after the PIN.
            let no = ticket.parse::<crate::queue::TicketNo>();
            let label = no.as_ref().map_or(ticket.clone(), ToString::to_string);
            let approval = branch.users().approve(
                &supervisor,
                &pin,
                actor,
                "ticket.reactivate",
                &label,
                &reason,
            )?;
            branch.queue().reactivate(&no?, approval.id)?;
            println!("{label}");
        }
        QueueCommand::MoveVisit {
            from,
            to,
            supervisor,
            pin,
            reason,
        } => {
            let pin = pin_from(pin)?;
            let status = branch.queue().queue_status()?;
            let label = status
                .counters
                .iter()
                .find(|c| c.number == from.get())
                .and_then(|c| c.ticket.as_ref().map(ToString::to_string))
                .ok_or(crate::queue::QueueError::NoVisitHeld {
                    counter: from.get(),
                })?;
            let approval =
                branch
                    .users()
                    .approve(&supervisor, &pin, actor, "visit.move", &label, &reason)?;
            let moved = branch.queue().move_visit(from, to, approval.id)?;
            println!(
                "{}",
                words::current().visit_moved(&moved.to_string(), to.get())
            );
        }
        QueueCommand::State { at, state, reason } => {
            let state = match state.as_str() {
                "break" => CounterState::Break,
                "closed" => CounterState::Closed,
                _ => CounterState::Open,
            };
            branch.queue().set_counter_state(
                crate::queue::CounterNo(at.counter),
                &at.clerk,
                state,
                reason.as_deref(),
            )?;
        }
        QueueCommand::Status { json } => {
            let status = branch.queue().queue_status()?;
            if json {
                print_json(&status, branch.config().branch.timezone);
            } else {
                print_status(&status, &branch);
            }
        }
        QueueCommand::Ticket { ticket, json } => {
            let t = branch.queue().ticket_info(&ticket.parse()?)?;
            if json {
                print_json(&t, branch.config().branch.timezone);
            } else {
                println!(
                    "{}",
                    words::current().ticket_position(
                        &t.ticket.to_string(),
                        &t.service_name,
                        t.status.label(),
                        t.ahead,
                        t.wait.low_min,
                        t.wait.high_min
                    )
                );
            }
        }
        QueueCommand::Reprint { ticket } => {
            return crate::printing::cli::queue_reprint(&mut branch, actor, &ticket);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn step(branch: &mut Branch, at: CounterArg, step: Step) -> Result<(), LoketError> {
    let t = branch
        .queue()
        .counter_step(crate::queue::CounterNo(at.counter), &at.clerk, step)?;
    println!("{}", t.ticket);
    Ok(())
}

fn users_cmd(
    data: &std::path::Path,
    actor: &str,
    command: UsersCommand,
) -> Result<ExitCode, LoketError> {
    let mut branch = Branch::open(data)?;
    match command {
        UsersCommand::Add {
            id,
            name,
            role,
            pin,
        } => {
            let role = Role::parse(&role).ok_or(CliError::UnknownRole(role))?;
            let pin = pin_from(pin)?;
            let user = users::add(branch.store_mut(), actor, &id, &name, role, &pin)?;
            println!(
                "{}",
                words::current().user_added(&user.id, &user.name, role.as_str())
            );
        }
        UsersCommand::List { json } => {
            let list = users::list(branch.store_mut())?;
            if json {
                print_json(&list, branch.config().branch.timezone);
            } else {
                for u in list {
                    println!(
                        "{:<16} {:<24} {:<10} {}",
                        u.id,
                        u.name,
                        u.role.as_str(),
                        words::current().user_active(u.active)
                    );
                }
            }
        }
        UsersCommand::Disable { id } => users::set_active(branch.store_mut(), actor, &id, false)?,
        UsersCommand::Enable { id } => users::set_active(branch.store_mut(), actor, &id, true)?,
        UsersCommand::Unlock { id } => users::unlock(branch.store_mut(), actor, &id)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A PIN from the flag or environment, else one line of standard input (prompted with `prompt` on a
/// terminal).
pub(crate) fn pin_from(pin: Option<String>) -> Result<String, LoketError> {
    pin_with_prompt(pin, "PIN: ")
}

pub(crate) fn pin_with_prompt(pin: Option<String>, prompt: &str) -> Result<String, LoketError> {
    if let Some(pin) = pin {
        return Ok(pin.trim().to_string());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(CliError::PinUnreadable)?;
    Ok(line.trim().to_string())
}

/// Prints a value as pretty JSON: the machine-readable `--json` outputs, with every moment in
/// ISO 8601 in the branch's zone `tz` (`crate::when::json_moments`).
pub(crate) fn print_json<T: serde::Serialize>(value: &T, tz: crate::day::TimeZone) {
    match serde_json::to_value(value) {
        Ok(mut v) => {
            crate::when::json_moments(&mut v, tz);
            print_json_plain(&v);
        }
        Err(e) => eprintln!("{}: json: {e}", words::current().error_prefix()),
    }
}

/// Prints a value that holds no moment (a device list) as pretty JSON.
pub(crate) fn print_json_plain<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("{}: json: {e}", words::current().error_prefix()),
    }
}

fn print_status(s: &QueueStatus, branch: &Branch) {
    let tz = branch.config().branch.timezone;
    let w = words::current();
    println!(
        "{}",
        w.status_head(
            &s.branch,
            &crate::when::day_text(&s.business_day),
            &crate::when::When::ms(s.now_ms, tz).time_zone().to_string()
        )
    );
    println!();
    let [service, waiting, priority, longest] = w.status_columns();
    println!(
        "{:<6} {:<26} {:>8} {:>10} {:>12}",
        service, "", waiting, priority, longest
    );
    for svc in &s.services {
        println!(
            "{:<6} {:<26} {:>8} {:>10} {:>9} {}",
            svc.prefix,
            svc.name,
            svc.waiting,
            svc.priority_waiting,
            svc.longest_wait_ms / 60_000,
            w.minutes_short()
        );
    }
    println!();
    for c in &s.counters {
        let state = match c.state {
            CounterState::Open => w.counter_open().to_string(),
            CounterState::Break => w.counter_break(c.reason.as_deref().unwrap_or_default()),
            CounterState::Closed => w.counter_closed().to_string(),
        };
        let ticket = match (&c.ticket, c.ticket_status) {
            (Some(t), Some(st)) => format!("{t} {}", st.label()),
            _ => "—".to_string(),
        };
        println!("{}", w.counter_line(c.number, &state, &ticket));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and option of `cmd` (at `path`) that has a description, with that description.
    fn described(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        if let Some(about) = cmd.get_about() {
            out.push((path.to_string(), about.to_string()));
        }
        for arg in cmd.get_arguments() {
            if let Some(help) = arg.get_help() {
                out.push((help_key(path, arg.get_id().as_str()), help.to_string()));
            }
        }
        for sub in cmd.get_subcommands() {
            described(sub, &help_key(path, sub.get_name()), out);
        }
    }

    #[test]
    fn every_description_has_english() {
        let mut all = Vec::new();
        described(&Cli::command(), "", &mut all);
        let en = words::of(Lang::En);
        let missing: Vec<String> = all
            .iter()
            .filter(|(key, _)| en.help(key).is_none())
            .map(|(key, text)| format!("{key:?}: {text:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "no English for:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn english_help_names_only_real_commands_and_options() {
        let mut all = Vec::new();
        described(&Cli::command(), "", &mut all);
        let en = words::of(Lang::En);
        for key in words::english_help_keys() {
            assert!(
                all.iter().any(|(k, _)| k == key),
                "HELP names '{key}', which has no description"
            );
            assert!(en.help(key).is_some());
        }
    }

    #[test]
    fn lang_is_read_from_the_arguments_before_parsing() {
        let check = |args: &[&str], lang| assert_eq!(Lang::from_args(args), lang, "{args:?}");
        check(&["loket", "--lang", "en", "queue", "status"], Lang::En);
        check(&["loket", "queue", "status", "--lang=en"], Lang::En);
        check(&["loket", "--lang", "id"], Lang::Id);
        check(&["loket", "--", "--lang", "en"], Lang::Id);
    }
}
