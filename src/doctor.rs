//! `loket doctor`: one command a branch technician runs on any PC; each check ✓ or ✗ with the fix.
//!
//! Every check is a function returning its own typed result; [`Verdict`] words a result in
//! Indonesian (what was found, and the fix when it failed) and [`render_line`] / [`DoctorReport`]
//! are the only places that print. Checks run on their own threads so a dead server costs its
//! own timeout once, not one after another; lines still come out in a fixed order, each as soon
//! as it and those above it are done. The doctor records nothing: it writes and removes one
//! probe file, asks printers for status without printing, and opens the database as every
//! `loket` command does (an older schema is migrated then, as the next counter would do).

use crate::branch::Branch;
use crate::clock::Clock;
use crate::config::{self, BackupSettings, Config, ConfigError, PeruriConfig, PeruriMode};
use crate::day::TimeZone;
use crate::delivery::drives;
use crate::error::LoketError;
use crate::journal::{self, Tamper};
use crate::pdf::io::RootsError;
use crate::printing::PrinterHandle;
use crate::store::{self, Store, StoreError};
use crate::words;
use loket_drivers::{PrintError, Problem, SerialSettings, SerialTransport, TransportError};
use serde::Serialize;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Longest wait for one server (name lookup, connect, greeting, EHLO together): with every
/// server down the doctor still answers in a few seconds.
pub const NET_BUDGET: Duration = Duration::from_secs(3);

/// Longest wait for one printer's status reply (a network printer that is off needs the
/// connect timeout and a second try before it says so).
pub const PRINTER_BUDGET: Duration = Duration::from_secs(4);

/// A safety net over all checks: one that still has no answer is reported as unfinished. Only
/// local work (a very long journal, a hung network file system) can come near it.
pub const OVERALL_LIMIT: Duration = Duration::from_secs(20);

/// Free space below this is too little for a day of documents and the database's growth.
pub const LOW_SPACE_BYTES: u64 = 1 << 30;

/// Free space below this share of the disk (in percent) is reported too.
pub const LOW_SPACE_PERCENT: u64 = 10;

/// What one check found, as `--json` gives it (field names are stable for monitoring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id: `config`, `data_folder`, `disk_space`, `local_disk`, `database`, `journal`,
    /// `printer.NAME` (or `printers` when none are configured), `dispenser`, `drives`, `smtp`,
    /// `whatsapp`, `peruri`, `tsa`, `peruri_roots`, `time_zone`, `backup`.
    pub check: String,
    pub ok: bool,
    /// What was found, in the process's language (`crate::words`).
    pub detail: String,
    /// What to do, in the process's language; `null` when the check passed.
    pub fix: Option<String>,
}

/// A check's result in words. A failed check always carries a fix: `ok` is `fix.is_none()`.
pub trait Verdict {
    /// What was found.
    fn detail(&self) -> String;
    /// What the technician does; `None` when all is well.
    fn fix(&self) -> Option<String>;
}

impl Finding {
    pub fn of(check: impl Into<String>, verdict: &dyn Verdict) -> Finding {
        let fix = verdict.fix();
        Finding {
            check: check.into(),
            ok: fix.is_none(),
            detail: verdict.detail(),
            fix,
        }
    }
}

/// The `--json` output: every finding, then the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub checks: Vec<Finding>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Every check passed (the exit code is 0 exactly then).
    pub ok: bool,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
}

impl DoctorReport {
    pub fn new(checks: Vec<Finding>) -> DoctorReport {
        let passed = checks.iter().filter(|f| f.ok).count();
        let total = checks.len();
        DoctorReport {
            summary: Summary {
                ok: passed == total,
                total,
                passed,
                failed: total - passed,
            },
            checks,
        }
    }
}

/// One line of the report: `✓ what` or `✗ what — fix`.
pub fn render_line(f: &Finding) -> String {
    match &f.fix {
        None => format!("✓ {}", f.detail),
        Some(fix) => format!("✗ {} — {fix}", f.detail),
    }
}

/// The closing line of the text report.
pub fn render_summary(s: &Summary) -> String {
    let w = words::current();
    if s.ok {
        w.doctor_all_passed(s.total)
    } else {
        w.doctor_failed(s.failed, s.total)
    }
}

/// `loket doctor [--json]`: exit 0 only when every check passed.
pub fn cli_doctor(data: &Path, json: bool) -> Result<ExitCode, LoketError> {
    let clock = crate::clock::from_env().map_err(crate::branch::BranchError::Clock)?;
    // Written without `println!`: a closed pipe (`loket doctor | head`) must neither stop the
    // remaining checks nor turn into a panic; the exit code still tells the result.
    let say = |text: &str| {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    let mut progress = |f: &Finding| {
        if !json {
            say(&render_line(f));
        }
    };
    let report = DoctorReport::new(run(data, clock, &mut progress));
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => say(&text),
            Err(e) => eprintln!("{}: json: {e}", words::current().error_prefix()),
        }
    } else {
        say(&render_summary(&report.summary));
    }
    Ok(if report.summary.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line of the report before its result is known.
#[derive(Debug, Clone)]
struct Slot {
    id: String,
    /// What it is about, for a line that never got a result.
    label: String,
}

type Results = mpsc::Sender<(usize, Finding)>;

/// Runs every check on `data` and returns the findings in report order, handing each to
/// `progress` as soon as it and every finding above it are known.
pub fn run(data: &Path, clock: Arc<dyn Clock>, progress: &mut dyn FnMut(&Finding)) -> Vec<Finding> {
    let started = Instant::now();
    let mut slots: Vec<Slot> = Vec::new();
    let mut add = |id: String| {
        let label = crate::words::current().doctor_label(&id);
        slots.push(Slot { id, label });
        slots.len() - 1
    };
    let (tx, rx) = mpsc::channel::<(usize, Finding)>();
    let send = |tx: &Results, i: usize, f: Finding| {
        let _ = tx.send((i, f));
    };

    let config_check = check_config(data);
    let config = match &config_check {
        ConfigCheck::Valid { config, .. } => Some((**config).clone()),
        _ => None,
    };
    let i_config = add("config".into());
    send(&tx, i_config, Finding::of("config", &config_check));

    let i_folder = add("data_folder".into());
    let i_space = add("disk_space".into());
    let i_local = add("local_disk".into());
    let i_db = add("database".into());
    let i_journal = add("journal".into());
    let mut printers: Vec<(usize, String)> = Vec::new();
    match &config {
        Some(c) if !c.printers.is_empty() => {
            for name in c.printers.keys() {
                let i = add(format!("printer.{name}"));
                printers.push((i, name.clone()));
            }
        }
        Some(_) => {
            let i = add("printers".into());
            send(&tx, i, Finding::of("printers", &NoPrinters));
        }
        None => {
            let i = add("printers".into());
            let what = crate::words::current().doctor_label("printers");
            send(&tx, i, Finding::of("printers", &NotChecked::config(&what)));
        }
    }
    let i_dispenser = add("dispenser".into());
    let i_drives = add("drives".into());
    let i_smtp = add("smtp".into());
    let i_whatsapp = add("whatsapp".into());
    let i_peruri = add("peruri".into());
    let i_tsa = add("tsa".into());
    let i_roots = add("peruri_roots".into());
    let i_tz = add("time_zone".into());
    let i_backup = add("backup".into());

    let dir = data.to_path_buf();
    spawn_check(&tx, i_folder, "data_folder", move || check_writable(&dir));
    let dir = data.to_path_buf();
    spawn_check(&tx, i_space, "disk_space", move || check_space(&dir));
    let dir = data.to_path_buf();
    spawn_check(&tx, i_local, "local_disk", move || check_local_disk(&dir));
    spawn_check(&tx, i_drives, "drives", check_drives);

    // The database, then what needs it: the printers (opened through the branch), the journal
    // and the last backup. One thread, one connection.
    {
        let tx = tx.clone();
        let dir = data.to_path_buf();
        let config = config.clone();
        let printers = printers.clone();
        // Without a thread these lines stay unfinished, and the report says so.
        let _ = thread::Builder::new()
            .name("doctor-database".into())
            .spawn(move || {
                database_chain(
                    &dir,
                    clock,
                    config,
                    &printers,
                    [i_db, i_journal, i_backup],
                    &tx,
                )
            });
    }

    match &config {
        Some(c) => {
            let cfg = c.clone();
            spawn_check(&tx, i_dispenser, "dispenser", move || {
                check_dispenser(cfg.dispenser.as_ref())
            });
            let cfg = c.clone();
            spawn_check(&tx, i_smtp, "smtp", move || check_smtp(cfg.smtp.as_ref()));
            let cfg = c.clone();
            spawn_check(&tx, i_whatsapp, "whatsapp", move || {
                check_whatsapp(cfg.whatsapp.as_ref())
            });
            let cfg = c.clone();
            spawn_check(&tx, i_peruri, "peruri", move || {
                check_peruri(&cfg.stamping.provider, cfg.stamping.peruri.as_ref())
            });
            let cfg = c.clone();
            spawn_check(&tx, i_tsa, "tsa", move || {
                check_tsa(cfg.stamping.tsa_url.as_deref())
            });
            let cfg = c.clone();
            let dir = data.to_path_buf();
            spawn_check(&tx, i_roots, "peruri_roots", move || {
                check_peruri_roots(&cfg.stamping.provider, cfg.stamping.peruri.as_ref(), &dir)
            });
            let zone = c.branch.timezone;
            spawn_check(&tx, i_tz, "time_zone", move || check_time_zone(zone));
        }
        None => {
            for i in [
                i_dispenser,
                i_smtp,
                i_whatsapp,
                i_peruri,
                i_tsa,
                i_roots,
                i_tz,
            ] {
                let what = &slots[i].label;
                send(&tx, i, Finding::of(&slots[i].id, &NotChecked::config(what)));
            }
        }
    }
    // Only the checks hold senders now: when the last one ends, waiting stops at once.
    drop(tx);

    let deadline = started + OVERALL_LIMIT;
    let mut pending: Vec<Option<Finding>> = vec![None; slots.len()];
    let mut out: Vec<Finding> = Vec::with_capacity(slots.len());
    loop {
        while let Some(f) = pending.get_mut(out.len()).and_then(Option::take) {
            progress(&f);
            out.push(f);
        }
        if out.len() == slots.len() {
            break;
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok((i, f)) => {
                if let Some(p) = pending.get_mut(i) {
                    *p = Some(f);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                finish_unanswered(&slots, &mut pending, &mut out, progress, Why::TooSlow);
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                finish_unanswered(&slots, &mut pending, &mut out, progress, Why::Stopped);
                break;
            }
        }
    }
    out
}

/// The lines that never got a result: reported, in order, after those that did.
fn finish_unanswered(
    slots: &[Slot],
    pending: &mut [Option<Finding>],
    out: &mut Vec<Finding>,
    progress: &mut dyn FnMut(&Finding),
    why: Why,
) {
    for i in out.len()..slots.len() {
        let f = pending[i].take().unwrap_or_else(|| {
            Finding::of(
                &slots[i].id,
                &NotChecked {
                    what: slots[i].label.clone(),
                    why,
                },
            )
        });
        progress(&f);
        out.push(f);
    }
}

/// Runs `check` on its own thread and reports its verdict as line `index`.
fn spawn_check<V: Verdict>(
    tx: &Results,
    index: usize,
    id: &'static str,
    check: impl FnOnce() -> V + Send + 'static,
) {
    let tx = tx.clone();
    // A thread that cannot be started leaves its line unfinished, which the report says.
    let _ = thread::Builder::new()
        .name(format!("doctor-{id}"))
        .spawn(move || {
            let verdict = check();
            let _ = tx.send((index, Finding::of(id, &verdict)));
        });
}

fn database_chain(
    data: &Path,
    clock: Arc<dyn Clock>,
    config: Option<Config>,
    printers: &[(usize, String)],
    [i_db, i_journal, i_backup]: [usize; 3],
    tx: &Results,
) {
    let send = |i: usize, id: &str, v: &dyn Verdict| {
        let _ = tx.send((i, Finding::of(id, v)));
    };
    // The zone only dates what a connection writes; the doctor writes nothing, so a branch whose
    // configuration is broken can still have its database and journal checked.
    let zone = config.as_ref().map_or(TimeZone::Wib, |c| c.branch.timezone);
    let settings = config.as_ref().map(|c| c.store.clone()).unwrap_or_default();
    let (db, store) = check_database(data, &settings, clock, zone);
    send(i_db, "database", &db);
    let Some(mut store) = store else {
        for (i, name) in printers {
            send(
                *i,
                &format!("printer.{name}"),
                &NotChecked::database(&format!("printer {name}")),
            );
        }
        send(i_journal, "journal", &NotChecked::database("jurnal"));
        send(i_backup, "backup", &NotChecked::database("cadangan"));
        return;
    };
    let backup_settings = config.as_ref().map(|c| c.backup.clone());
    if let Some(config) = config {
        let mut branch = Branch::from_parts(data, config, store);
        for (i, name) in printers {
            let opened = branch.printing().printer(name);
            let (i, name) = (*i, name.clone());
            let tx = tx.clone();
            let _ = thread::Builder::new()
                .name("doctor-printer".into())
                .spawn(move || {
                    let result = match opened {
                        Ok(handle) => check_printer(&name, handle),
                        Err(error) => PrinterCheck::NotOpened {
                            name: name.clone(),
                            error,
                        },
                    };
                    let _ = tx.send((i, Finding::of(format!("printer.{name}"), &result)));
                });
        }
        store = branch.into_store();
    }
    send(i_journal, "journal", &check_journal(&mut store));
    match backup_settings {
        Some(settings) => send(i_backup, "backup", &check_backup(&mut store, &settings)),
        None => send(i_backup, "backup", &NotChecked::config("cadangan")),
    }
}

// ---------------------------------------------------------------------------------------------
// Lines that could not be checked.

/// Why a line has no result of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The configuration could not be read, so what it names is unknown.
    Config,
    /// The database did not open; the check needs it.
    Database,
    /// No answer within [`OVERALL_LIMIT`].
    TooSlow,
    /// The check stopped without a result (a bug).
    Stopped,
}

/// A line that was not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotChecked {
    pub what: String,
    pub why: Why,
}

impl NotChecked {
    fn config(what: &str) -> NotChecked {
        NotChecked {
            what: what.to_string(),
            why: Why::Config,
        }
    }

    fn database(what: &str) -> NotChecked {
        NotChecked {
            what: what.to_string(),
            why: Why::Database,
        }
    }
}

impl Verdict for NotChecked {
    fn detail(&self) -> String {
        words::current().doctor_not_checked(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_not_checked_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Configuration.

#[derive(Debug)]
pub enum ConfigCheck {
    Valid {
        path: PathBuf,
        config: Box<Config>,
    },
    NoDataFolder {
        path: PathBuf,
    },
    NoConfig {
        path: PathBuf,
    },
    /// Unreadable or wrong, with file and line as every command reports it.
    Unusable(ConfigError),
}

/// Loads the configuration as `Branch::open` does.
pub fn check_config(data: &Path) -> ConfigCheck {
    if !data.is_dir() {
        return ConfigCheck::NoDataFolder {
            path: data.to_path_buf(),
        };
    }
    let path = data.join(config::FILE_NAME);
    if !path.exists() {
        return ConfigCheck::NoConfig { path };
    }
    match Config::load(&path) {
        Ok(config) => ConfigCheck::Valid {
            path,
            config: Box::new(config),
        },
        Err(e) => ConfigCheck::Unusable(e),
    }
}

impl Verdict for ConfigCheck {
    fn detail(&self) -> String {
        words::current().doctor_config_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_config_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The data folder: writable, free space, on a local disk.

/// Which step of the probe write failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStep {
    Create,
    Write,
    Fsync,
    Remove,
}

#[derive(Debug)]
pub enum WritableCheck {
    Writable {
        path: PathBuf,
    },
    Missing {
        path: PathBuf,
    },
    Failed {
        path: PathBuf,
        step: ProbeStep,
        source: io::Error,
    },
}

/// Writes, fsyncs and removes a probe file in the data folder: what every commit needs.
pub fn check_writable(data: &Path) -> WritableCheck {
    if !data.is_dir() {
        return WritableCheck::Missing {
            path: data.to_path_buf(),
        };
    }
    let probe = data.join(format!(".loket-doctor-{}.probe", std::process::id()));
    let failed = |step: ProbeStep| {
        let path = data.to_path_buf();
        move |source| WritableCheck::Failed { path, step, source }
    };
    let attempt = || -> Result<(), WritableCheck> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&probe)
            .map_err(failed(ProbeStep::Create))?;
        file.write_all(b"loket doctor\n")
            .map_err(failed(ProbeStep::Write))?;
        file.sync_all().map_err(failed(ProbeStep::Fsync))?;
        drop(file);
        std::fs::remove_file(&probe).map_err(failed(ProbeStep::Remove))?;
        // The folder's entry changed twice; it must reach the disk like every commit's does.
        std::fs::File::open(data)
            .and_then(|d| d.sync_all())
            .map_err(failed(ProbeStep::Fsync))
    };
    match attempt() {
        Ok(()) => WritableCheck::Writable {
            path: data.to_path_buf(),
        },
        Err(e) => {
            let _ = std::fs::remove_file(&probe);
            e
        }
    }
}

impl Verdict for WritableCheck {
    fn detail(&self) -> String {
        words::current().doctor_writable_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_writable_check_fix(self)
    }
}

#[derive(Debug)]
pub enum SpaceCheck {
    Enough { free: u64, total: u64 },
    Low { free: u64, total: u64 },
    Unknown { path: PathBuf, source: io::Error },
}

/// Whether `free` of `total` bytes is too little: under [`LOW_SPACE_BYTES`] or under
/// [`LOW_SPACE_PERCENT`] of the disk.
pub fn space_is_low(free: u64, total: u64) -> bool {
    free < LOW_SPACE_BYTES
        || u128::from(free) * 100 < u128::from(total) * u128::from(LOW_SPACE_PERCENT)
}

/// The folder itself, or the nearest folder above it that exists: where `loket init` would
/// create a missing data folder, so its disk can be judged before it exists.
fn existing_folder(data: &Path) -> &Path {
    data.ancestors().find(|p| p.is_dir()).unwrap_or(data)
}

/// Free space on the disk holding the data folder.
pub fn check_space(data: &Path) -> SpaceCheck {
    match rustix::fs::statvfs(existing_folder(data)) {
        Ok(st) => {
            let free = st.f_bavail.saturating_mul(st.f_frsize);
            let total = st.f_blocks.saturating_mul(st.f_frsize);
            if space_is_low(free, total) {
                SpaceCheck::Low { free, total }
            } else {
                SpaceCheck::Enough { free, total }
            }
        }
        Err(e) => SpaceCheck::Unknown {
            path: data.to_path_buf(),
            source: e.into(),
        },
    }
}

/// `66,1 GiB`, `512,0 MiB`: sizes as the technician reads them, with a decimal comma.
pub fn size_text(bytes: u64) -> String {
    let (unit, name) = if bytes >= 1 << 30 {
        (1u64 << 30, "GiB")
    } else {
        (1u64 << 20, "MiB")
    };
    let tenths = u128::from(bytes) * 10 / u128::from(unit);
    format!("{},{} {name}", tenths / 10, tenths % 10)
}

pub(crate) fn percent(part: u64, whole: u64) -> u128 {
    if whole == 0 {
        return 0;
    }
    u128::from(part) * 100 / u128::from(whole)
}

impl Verdict for SpaceCheck {
    fn detail(&self) -> String {
        words::current().doctor_space_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_space_check_fix(self)
    }
}

/// Where a file system keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskKind {
    /// A disk in this PC.
    Local,
    /// Another machine (NFS, SMB/CIFS, …): locks and fsync are not what SQLite needs.
    Network,
    /// A user-space file system (sshfs, rclone, …): fsync and locks depend on the program.
    Fuse,
    /// Memory (tmpfs, ramfs): gone at the next restart.
    Memory,
}

/// A file system by its `statfs` magic number, named for the technician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSystem {
    pub kind: DiskKind,
    pub name: String,
}

/// Classifies a file system by its magic number (`statfs` `f_type`, see statfs(2)) and, for
/// FUSE, the type in the mount table: `fuseblk` (ntfs-3g, exfat-fuse) is a local disk.
pub fn file_system(magic: u64, mount_type: Option<&str>) -> FileSystem {
    let (kind, name) = match magic {
        0xEF53 => (DiskKind::Local, "ext4"),
        0x5846_5342 => (DiskKind::Local, "xfs"),
        0x9123_683E => (DiskKind::Local, "btrfs"),
        0xF2F5_2010 => (DiskKind::Local, "f2fs"),
        0x2FC1_2FC1 => (DiskKind::Local, "zfs"),
        0x794C_7630 => (DiskKind::Local, "overlay"),
        0x4D44 => (DiskKind::Local, "vfat"),
        0x2011_BAB0 => (DiskKind::Local, "exfat"),
        0x5346_544E | 0x7366_746E => (DiskKind::Local, "ntfs"),
        0x6969 => (DiskKind::Network, "nfs"),
        0x517B => (DiskKind::Network, "smb"),
        0xFF53_4D42 => (DiskKind::Network, "cifs"),
        0xFE53_4D42 => (DiskKind::Network, "smb2"),
        0x00C3_6400 => (DiskKind::Network, "ceph"),
        0x5346_414F => (DiskKind::Network, "afs"),
        0x7375_7245 => (DiskKind::Network, "coda"),
        0x0102_1997 => (DiskKind::Network, "9p"),
        0x564C => (DiskKind::Network, "ncp"),
        0x0102_1994 => (DiskKind::Memory, "tmpfs"),
        0x8584_58F6 => (DiskKind::Memory, "ramfs"),
        0x6573_5546 => match mount_type {
            Some("fuseblk") => (DiskKind::Local, "fuseblk"),
            _ => (DiskKind::Fuse, "fuse"),
        },
        // Anything else is some local disk file system loket has no name for.
        _ => (DiskKind::Local, ""),
    };
    let name = match (mount_type, name) {
        (Some(t), _) if !t.is_empty() => t.to_string(),
        (_, "") => format!("jenis {magic:#x}"),
        (_, n) => n.to_string(),
    };
    FileSystem { kind, name }
}

#[derive(Debug)]
pub enum LocalDiskCheck {
    Found { path: PathBuf, fs: FileSystem },
    Unknown { path: PathBuf, source: io::Error },
}

/// The file system under the data folder, by `statfs` and the mount table.
pub fn check_local_disk(data: &Path) -> LocalDiskCheck {
    let data = existing_folder(data);
    match rustix::fs::statfs(data) {
        Ok(st) => {
            // f_type is a 32-bit magic number in a field whose width and sign vary by
            // architecture; only its low 32 bits are meaningful.
            #[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
            let magic = (st.f_type as u64) & 0xFFFF_FFFF;
            let mount_type = mount_type_of(data);
            LocalDiskCheck::Found {
                path: data.to_path_buf(),
                fs: file_system(magic, mount_type.as_deref()),
            }
        }
        Err(e) => LocalDiskCheck::Unknown {
            path: data.to_path_buf(),
            source: e.into(),
        },
    }
}

/// The type the mount table gives the mount holding `path` (the deepest mount point above it).
fn mount_type_of(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    drives::parse_mountinfo(&text)
        .into_iter()
        .filter(|m| path.starts_with(&m.mount_point))
        // Later lines are mounted over earlier ones on the same point.
        .max_by_key(|m| m.mount_point.components().count())
        .map(|m| m.fs_type)
}

impl Verdict for LocalDiskCheck {
    fn detail(&self) -> String {
        words::current().doctor_local_disk_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_local_disk_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 3. The database and its schema; 4. the journal.

#[derive(Debug)]
pub enum DatabaseCheck {
    Current {
        version: i64,
    },
    /// Older than this loket; brought up to date on opening, as any loket command does.
    Migrated {
        from: i64,
        to: i64,
    },
    TooNew {
        found: i64,
        supported: i64,
    },
    Missing {
        path: PathBuf,
    },
    Failed {
        path: PathBuf,
        error: StoreError,
    },
    /// The branch server answered with this loket's schema; `skew` is how far its clock is ahead
    /// of this PC's (a PC more than two minutes off is told to set its clock).
    Server {
        server: String,
        version: i64,
        skew: time::Duration,
    },
    /// The branch server could not be reached, or refused.
    ServerFailed {
        server: String,
        error: StoreError,
    },
}

/// Opens the database as every command does (an older schema is migrated, a newer one refused)
/// but never creates one. The open store is handed back for the checks that read it.
pub fn check_database(
    data: &Path,
    settings: &crate::config::StoreSettings,
    clock: Arc<dyn Clock>,
    zone: TimeZone,
) -> (DatabaseCheck, Option<Store>) {
    if let store::Location::Server(address) = store::Location::of(data, settings) {
        let server = store::redacted(&address.url);
        return match Store::connect(&address, clock, zone) {
            Ok(store) => {
                let check = DatabaseCheck::Server {
                    server,
                    version: store::LATEST_VERSION,
                    skew: store.clock_skew().unwrap_or(time::Duration::ZERO),
                };
                (check, Some(store))
            }
            Err(StoreError::TooNew { found, supported }) => {
                (DatabaseCheck::TooNew { found, supported }, None)
            }
            Err(error) => (DatabaseCheck::ServerFailed { server, error }, None),
        };
    }
    let path = data.join(store::FILE_NAME);
    if !path.is_file() {
        return (DatabaseCheck::Missing { path }, None);
    }
    // The version before opening, only to say whether opening migrated it; without
    // SQLITE_OPEN_CREATE, so a file that vanished meanwhile is not recreated empty.
    let before = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)))
    .ok();
    match Store::open(&path, clock, zone) {
        Ok(store) => match store.version() {
            Ok(version) => {
                let check = match before {
                    Some(from) if from < version => DatabaseCheck::Migrated { from, to: version },
                    _ => DatabaseCheck::Current { version },
                };
                (check, Some(store))
            }
            Err(error) => (DatabaseCheck::Failed { path, error }, None),
        },
        Err(StoreError::TooNew { found, supported }) => {
            (DatabaseCheck::TooNew { found, supported }, None)
        }
        Err(error) => (DatabaseCheck::Failed { path, error }, None),
    }
}

impl Verdict for DatabaseCheck {
    fn detail(&self) -> String {
        words::current().doctor_database_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_database_check_fix(self)
    }
}

#[derive(Debug)]
pub enum JournalCheck {
    Intact { entries: u64 },
    Tampered { tamper: Tamper },
    Failed(StoreError),
}

/// The whole hash chain, exactly as `loket journal verify` checks it.
pub fn check_journal(store: &mut Store) -> JournalCheck {
    match store.read(|c| journal::verify(c, None)) {
        Ok(report) => match report.tamper {
            None => JournalCheck::Intact {
                entries: report.entries,
            },
            Some(tamper) => JournalCheck::Tampered { tamper },
        },
        Err(e) => JournalCheck::Failed(e),
    }
}

impl Verdict for JournalCheck {
    fn detail(&self) -> String {
        words::current().doctor_journal_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_journal_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Printers and the dispenser's button box.

/// What a printer's status query came to.
#[derive(Debug)]
pub enum PrinterCheck {
    /// It answered and can print; `near_end` when the roll is nearly used up.
    Ready {
        name: String,
        detail: String,
        near_end: bool,
    },
    /// Another program holds it (a running counter does): it exists, loket cannot ask now.
    InUse { name: String },
    /// It answered, and what it said stops printing.
    Stopped { name: String, problem: Problem },
    /// It did not answer or could not be reached.
    Failed { name: String, error: PrintError },
    /// No answer within [`PRINTER_BUDGET`].
    Silent { name: String },
    /// `[printers.NAME]` could not be turned into a printer.
    NotOpened {
        name: String,
        error: crate::printing::PrintingError,
    },
}

/// Asks printer `name` for its status (`DLE EOT`), waiting at most [`PRINTER_BUDGET`]. Nothing is
/// printed and no incident is recorded.
pub fn check_printer(name: &str, handle: PrinterHandle) -> PrinterCheck {
    let (tx, rx) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name("doctor-printer-status".into())
        .spawn(move || {
            let mut slot = handle.lock();
            let status = slot.printer.status();
            let _ = tx.send((slot.detail.clone(), status));
        });
    if spawned.is_err() {
        return PrinterCheck::Silent {
            name: name.to_string(),
        };
    }
    let name = name.to_string();
    match rx.recv_timeout(PRINTER_BUDGET) {
        Ok((detail, Ok(status))) => match status.problem() {
            None => PrinterCheck::Ready {
                name,
                detail,
                near_end: status.paper_near_end,
            },
            Some(problem) => PrinterCheck::Stopped { name, problem },
        },
        Ok((
            _,
            Err(PrintError::Unavailable {
                source: TransportError::Busy,
                ..
            }),
        )) => PrinterCheck::InUse { name },
        Ok((_, Err(error))) => PrinterCheck::Failed { name, error },
        Err(_) => PrinterCheck::Silent { name },
    }
}

impl Verdict for PrinterCheck {
    fn detail(&self) -> String {
        words::current().doctor_printer_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_printer_check_fix(self)
    }
}

/// No `[printers]` at all: nothing to ask.
#[derive(Debug, Clone, Copy)]
pub struct NoPrinters;

impl Verdict for NoPrinters {
    fn detail(&self) -> String {
        words::current().doctor_no_printers(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_no_printers_fix(self)
    }
}

#[derive(Debug)]
pub enum DispenserCheck {
    NotConfigured,
    /// Keyboard-wedge buttons: no port to open.
    Keys,
    Opened {
        port: String,
    },
    /// Held by another process, which is the running dispenser when all is well.
    InUse {
        port: String,
    },
    NoPort,
    UnknownInput(String),
    Failed {
        port: String,
        source: TransportError,
    },
}

/// Opens (and closes) the dispenser's serial button box when `[dispenser]` uses one.
pub fn check_dispenser(dispenser: Option<&config::Dispenser>) -> DispenserCheck {
    let Some(d) = dispenser else {
        return DispenserCheck::NotConfigured;
    };
    match d.input.as_str() {
        "keys" => DispenserCheck::Keys,
        "serial" => {
            let Some(port) = d.port.clone() else {
                return DispenserCheck::NoPort;
            };
            let mut settings = SerialSettings::new(port.clone());
            if let Some(b) = d.baud {
                settings.baud = b;
            }
            match SerialTransport::open(&settings) {
                Ok(_) => DispenserCheck::Opened { port },
                Err(TransportError::Busy) => DispenserCheck::InUse { port },
                Err(source) => DispenserCheck::Failed { port, source },
            }
        }
        other => DispenserCheck::UnknownInput(other.to_string()),
    }
}

impl Verdict for DispenserCheck {
    fn detail(&self) -> String {
        words::current().doctor_dispenser_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_dispenser_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Removable drives.

#[derive(Debug)]
pub enum DrivesCheck {
    Readable {
        /// Labels of the mounted drives.
        mounted: Vec<String>,
        /// Inserted but not mounted.
        waiting: usize,
    },
    Failed(io::Error),
}

/// Reads the drives as `loket drives` does; none inserted is fine.
pub fn check_drives() -> DrivesCheck {
    let roots = crate::delivery::drive_roots();
    let mounted = match drives::detect(&roots) {
        Ok(list) => list.into_iter().map(|d| d.label).collect(),
        Err(e) => return DrivesCheck::Failed(e),
    };
    match drives::unmounted(&roots) {
        Ok(waiting) => DrivesCheck::Readable {
            mounted,
            waiting: waiting.len(),
        },
        Err(e) => DrivesCheck::Failed(e),
    }
}

impl Verdict for DrivesCheck {
    fn detail(&self) -> String {
        words::current().doctor_drives_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_drives_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// Reaching servers: name lookup and connect, both bounded.

/// A server as host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why a server could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    BadUrl {
        url: String,
    },
    Resolve {
        host: String,
        #[source]
        source: io::Error,
    },
    NoAddress {
        host: String,
    },
    Refused,
    Timeout {
        secs: u64,
    },
    Io(#[source] io::Error),
}

/// Host and port of an `http(s)://` URL (the scheme's port when none is written).
pub fn endpoint_of(url: &str) -> Result<Endpoint, NetError> {
    let bad = || NetError::BadUrl {
        url: url.to_string(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
    let host = parsed
        .host_str()
        .ok_or_else(bad)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().ok_or_else(bad)?;
    Ok(Endpoint { host, port })
}

/// Connects to `to` before `deadline`. The name lookup runs on its own thread: a dead DNS
/// server can hold `getaddrinfo` for far longer than the doctor waits.
pub fn connect(to: &Endpoint, deadline: Instant) -> Result<TcpStream, NetError> {
    let budget_secs = NET_BUDGET.as_secs();
    let timeout = NetError::Timeout { secs: budget_secs };
    let (tx, rx) = mpsc::channel();
    let target = (to.host.clone(), to.port);
    thread::Builder::new()
        .name("doctor-resolve".into())
        .spawn(move || {
            let _ = tx.send(target.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(NetError::Io)?;
    let addrs: Vec<SocketAddr> =
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Ok(addrs)) => addrs,
            Ok(Err(source)) => {
                return Err(NetError::Resolve {
                    host: to.host.clone(),
                    source,
                });
            }
            Err(_) => return Err(timeout),
        };
    let mut last = NetError::NoAddress {
        host: to.host.clone(),
    };
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timeout);
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                last = match e.kind() {
                    io::ErrorKind::ConnectionRefused => NetError::Refused,
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                        NetError::Timeout { secs: budget_secs }
                    }
                    _ => NetError::Io(e),
                }
            }
        }
    }
    Err(last)
}

/// Connects to every endpoint at once, each within `budget`; results in the order given.
fn connect_all(targets: &[Endpoint], budget: Duration) -> Vec<Result<(), NetError>> {
    let deadline = Instant::now() + budget;
    thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| s.spawn(move || connect(t, deadline).map(drop)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(NetError::Io(io::Error::other(
                        crate::words::current().doctor_check_stopped(),
                    )))
                })
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// 7. SMTP: connect and EHLO, no mail.

/// Which part of the SMTP conversation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStage {
    Greeting,
    Ehlo,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpFailure {
    Net(NetError),
    Timeout(SmtpStage),
    Closed(SmtpStage),
    Garbled { stage: SmtpStage, line: String },
    Unexpected { stage: SmtpStage, reply: String },
    NoStartTls,
    Io(#[source] io::Error),
}

/// One reply line: its code, whether more lines follow (`250-`), and its text.
pub fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = code.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, line.get(4..).unwrap_or(""))),
        Some(b'-') => Some((code, true, line.get(4..).unwrap_or(""))),
        Some(_) => None,
    }
}

/// A whole (possibly multi-line) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    code: u16,
    lines: Vec<String>,
}

fn read_reply(
    reader: &mut BufReader<TcpStream>,
    stage: SmtpStage,
    deadline: Instant,
) -> Result<Reply, SmtpFailure> {
    let mut lines = Vec::new();
    // A reply longer than this is not a mail server talking.
    for _ in 0..64 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SmtpFailure::Timeout(stage));
        }
        reader
            .get_ref()
            .set_read_timeout(Some(left))
            .map_err(SmtpFailure::Io)?;
        let mut line = String::new();
        match reader.by_ref().take(1024).read_line(&mut line) {
            Ok(0) => return Err(SmtpFailure::Closed(stage)),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(SmtpFailure::Timeout(stage));
            }
            Err(e) => return Err(SmtpFailure::Io(e)),
        }
        let Some((code, more, text)) = parse_reply_line(&line) else {
            return Err(SmtpFailure::Garbled {
                stage,
                line: line.trim_end().chars().take(80).collect(),
            });
        };
        lines.push(text.to_string());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
    Err(SmtpFailure::Garbled {
        stage,
        line: crate::words::current().smtp_too_many_lines().into(),
    })
}

/// What the server did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpReach {
    /// Greeted with 220 and answered EHLO with 250.
    Answered { starttls: bool },
    /// Implicit TLS: the port accepted the connection (the TLS handshake is the sender's job).
    Connected,
}

/// Connects to the server, reads its 220, sends `EHLO` and reads 250 (then `QUIT`); with
/// implicit TLS (`security = "tls"`) only connects.
pub fn smtp_probe(
    to: &Endpoint,
    security: &str,
    budget: Duration,
) -> Result<SmtpReach, SmtpFailure> {
    let deadline = Instant::now() + budget;
    let stream = connect(to, deadline).map_err(SmtpFailure::Net)?;
    if security == "tls" {
        return Ok(SmtpReach::Connected);
    }
    let mut writer = stream.try_clone().map_err(SmtpFailure::Io)?;
    // EHLO names the client; its own address as a literal is always a valid name (RFC 5321 4.1.3).
    let me = match writer.local_addr() {
        Ok(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
        Ok(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
        Err(_) => "[127.0.0.1]".to_string(),
    };
    let mut reader = BufReader::new(stream);
    let greeting = read_reply(&mut reader, SmtpStage::Greeting, deadline)?;
    if greeting.code != 220 {
        return Err(SmtpFailure::Unexpected {
            stage: SmtpStage::Greeting,
            reply: format!("{} {}", greeting.code, greeting.lines.join(" ")),
        });
    }
    writer
        .write_all(format!("EHLO {me}\r\n").as_bytes())
        .map_err(SmtpFailure::Io)?;
    let ehlo = read_reply(&mut reader, SmtpStage::Ehlo, deadline)?;
    if ehlo.code != 250 {
        return Err(SmtpFailure::Unexpected {
            stage: SmtpStage::Ehlo,
            reply: format!("{} {}", ehlo.code, ehlo.lines.join(" ")),
        });
    }
    let _ = writer.write_all(b"QUIT\r\n");
    // The first line is the server's name; extensions follow, one per line.
    let starttls = ehlo.lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if security == "starttls" && !starttls {
        return Err(SmtpFailure::NoStartTls);
    }
    Ok(SmtpReach::Answered { starttls })
}

#[derive(Debug)]
pub enum SmtpCheck {
    NotConfigured,
    Reached {
        server: Endpoint,
        reach: SmtpReach,
    },
    Failed {
        server: Endpoint,
        failure: SmtpFailure,
    },
}

/// `[smtp]` reachable: see [`smtp_probe`], within [`NET_BUDGET`] (or the configured timeout
/// when shorter).
pub fn check_smtp(smtp: Option<&config::Smtp>) -> SmtpCheck {
    let Some(smtp) = smtp else {
        return SmtpCheck::NotConfigured;
    };
    let server = Endpoint {
        host: smtp.host.clone(),
        port: smtp.port,
    };
    let budget = NET_BUDGET.min(Duration::from_secs(smtp.timeout_seconds.max(1)));
    match smtp_probe(&server, smtp.security.get_ref(), budget) {
        Ok(reach) => SmtpCheck::Reached { server, reach },
        Err(failure) => SmtpCheck::Failed { server, failure },
    }
}

impl Verdict for SmtpCheck {
    fn detail(&self) -> String {
        words::current().doctor_smtp_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_smtp_check_fix(self)
    }
}

/// `[whatsapp]`: the token is there and the Cloud API answers for the phone-number id (a read of
/// the number's record; no message is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsappCheck {
    NotConfigured,
    NoToken(String),
    Answered { number: String, name: String },
    Failed(String),
}

pub fn check_whatsapp(settings: Option<&crate::delivery::whatsapp::Settings>) -> WhatsappCheck {
    use crate::delivery::whatsapp::Api;
    let Some(settings) = settings else {
        return WhatsappCheck::NotConfigured;
    };
    let mut settings = settings.clone();
    settings.timeout_seconds = settings.timeout_seconds.min(NET_BUDGET.as_secs().max(1));
    let api = match Api::new(&settings) {
        Ok(api) => api,
        Err(e) => return WhatsappCheck::NoToken(e.to_string()),
    };
    match api.check() {
        Ok((number, name)) => WhatsappCheck::Answered { number, name },
        Err(f) => WhatsappCheck::Failed(f.reason().to_string()),
    }
}

impl Verdict for WhatsappCheck {
    fn detail(&self) -> String {
        words::current().doctor_whatsapp_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_whatsapp_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Peruri, the TSA and Peruri's root certificates.

/// The base URLs loket calls in this mode, with their configuration keys.
pub fn peruri_urls(p: &PeruriConfig) -> Vec<(&'static str, &str)> {
    let mut urls = vec![
        ("backend_url", p.backend_url.as_str()),
        ("stampv2_url", p.stampv2_url.as_str()),
    ];
    match p.mode {
        PeruriMode::Onprem => urls.push(("adapter_url", p.adapter_url.as_str())),
        PeruriMode::Cloud => {
            urls.push(("fileupload_url", p.fileupload_url.as_str()));
            urls.push(("stampservice_url", p.stampservice_url.as_str()));
        }
    }
    urls
}

/// One configured server that could not be reached.
#[derive(Debug)]
pub struct Unreached {
    /// The configuration keys naming it.
    pub keys: Vec<&'static str>,
    pub url: String,
    pub error: NetError,
}

#[derive(Debug)]
pub enum PeruriCheck {
    /// `provider` is not `peruri`.
    NotUsed {
        provider: String,
    },
    Reachable {
        servers: usize,
    },
    Unreachable {
        failed: Vec<Unreached>,
    },
}

/// TCP-connects to every Peruri base URL of the configured mode (no request, no serial).
pub fn check_peruri(provider: &str, peruri: Option<&PeruriConfig>) -> PeruriCheck {
    let p = match (provider, peruri) {
        ("peruri", Some(p)) => p,
        _ => {
            return PeruriCheck::NotUsed {
                provider: provider.to_string(),
            };
        }
    };
    let budget = NET_BUDGET.min(Duration::from_millis(p.connect_timeout_ms.max(1)));
    // Several keys usually share a host: each server is tried once and named with all its keys.
    let mut servers: Vec<(Endpoint, String, Vec<&'static str>)> = Vec::new();
    let mut failed = Vec::new();
    for (key, url) in peruri_urls(p) {
        match endpoint_of(url) {
            Ok(e) => match servers.iter_mut().find(|(known, _, _)| *known == e) {
                Some((_, _, keys)) => keys.push(key),
                None => servers.push((e, url.to_string(), vec![key])),
            },
            Err(error) => failed.push(Unreached {
                keys: vec![key],
                url: url.to_string(),
                error,
            }),
        }
    }
    let targets: Vec<Endpoint> = servers.iter().map(|(e, _, _)| e.clone()).collect();
    for ((_, url, keys), result) in servers.into_iter().zip(connect_all(&targets, budget)) {
        if let Err(error) = result {
            failed.push(Unreached { keys, url, error });
        }
    }
    if failed.is_empty() {
        PeruriCheck::Reachable {
            servers: targets.len(),
        }
    } else {
        PeruriCheck::Unreachable { failed }
    }
}

pub(crate) fn unreached_text(failed: &[Unreached]) -> String {
    failed
        .iter()
        .map(|u| format!("{} ({}): {}", u.keys.join(", "), u.url, u.error))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Verdict for PeruriCheck {
    fn detail(&self) -> String {
        words::current().doctor_peruri_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_peruri_check_fix(self)
    }
}

#[derive(Debug)]
pub enum TsaCheck {
    NotConfigured,
    Reachable { url: String },
    Unreachable { url: String, error: NetError },
}

/// TCP-connects to `[stamping] tsa_url` (no timestamp is requested).
pub fn check_tsa(tsa_url: Option<&str>) -> TsaCheck {
    let Some(url) = tsa_url else {
        return TsaCheck::NotConfigured;
    };
    let url = url.to_string();
    let result = endpoint_of(&url).and_then(|e| {
        connect_all(std::slice::from_ref(&e), NET_BUDGET)
            .pop()
            .unwrap_or(Err(NetError::NoAddress { host: e.host }))
    });
    match result {
        Ok(()) => TsaCheck::Reachable { url },
        Err(error) => TsaCheck::Unreachable { url, error },
    }
}

impl Verdict for TsaCheck {
    fn detail(&self) -> String {
        words::current().doctor_tsa_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_tsa_check_fix(self)
    }
}

#[derive(Debug)]
pub enum RootsCheck {
    NotUsed { provider: String },
    NoneConfigured,
    Loaded { files: usize, certificates: usize },
    Failed(RootsError),
}

/// Reads every `[stamping.peruri] root_certs` file (relative to the data folder) as the
/// stamping service does before trusting an output.
pub fn check_peruri_roots(
    provider: &str,
    peruri: Option<&PeruriConfig>,
    data: &Path,
) -> RootsCheck {
    let p = match (provider, peruri) {
        ("peruri", Some(p)) => p,
        _ => {
            return RootsCheck::NotUsed {
                provider: provider.to_string(),
            };
        }
    };
    if p.root_certs.is_empty() {
        return RootsCheck::NoneConfigured;
    }
    let mut certificates = 0;
    for file in &p.root_certs {
        match crate::pdf::load_roots(&data.join(file)) {
            Ok(roots) => certificates += roots.len(),
            Err(e) => return RootsCheck::Failed(e),
        }
    }
    RootsCheck::Loaded {
        files: p.root_certs.len(),
        certificates,
    }
}

impl Verdict for RootsCheck {
    fn detail(&self) -> String {
        words::current().doctor_roots_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_roots_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 9. The machine's time zone against the branch's.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZoneCheck {
    Matches {
        zone: TimeZone,
    },
    /// The machine is at `machine_s` seconds from UTC; the branch is in `zone`.
    Mismatch {
        machine_s: i32,
        zone: TimeZone,
    },
    Unknown {
        reason: String,
    },
}

/// Compares the machine's UTC offset (seconds) with the branch's zone.
pub fn compare_time_zone(machine_s: i32, zone: TimeZone) -> TimeZoneCheck {
    if machine_s == zone.offset().whole_seconds() {
        TimeZoneCheck::Matches { zone }
    } else {
        TimeZoneCheck::Mismatch { machine_s, zone }
    }
}

/// `+0700`, `-0330`, `+07:00` (what `date +%z` and friends print) as seconds from UTC.
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// The machine's UTC offset now, as `date +%z` prints it (which honours `TZ` and
/// /etc/localtime). The `time` crate's own local-offset lookup refuses to run once a program
/// has threads, and the doctor has several.
pub fn machine_utc_offset() -> Result<i32, String> {
    let out = std::process::Command::new("date")
        .arg("+%z")
        .output()
        .map_err(|e| crate::words::current().date_not_run(&e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_utc_offset(&text).ok_or_else(|| crate::words::current().date_answered(text.trim()))
}

/// The machine's zone against the branch's.
pub fn check_time_zone(zone: TimeZone) -> TimeZoneCheck {
    match machine_utc_offset() {
        Ok(s) => compare_time_zone(s, zone),
        Err(reason) => TimeZoneCheck::Unknown { reason },
    }
}

/// `UTC+07:00`.
pub fn utc_offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// The Indonesian zone at this offset, if any.
pub(crate) fn zone_at(seconds: i32) -> Option<TimeZone> {
    [TimeZone::Wib, TimeZone::Wita, TimeZone::Wit]
        .into_iter()
        .find(|z| z.offset().whole_seconds() == seconds)
}

/// The tz database name `timedatectl` takes for a zone.
pub fn tz_database_name(zone: TimeZone) -> &'static str {
    match zone {
        TimeZone::Wib => "Asia/Jakarta",
        TimeZone::Wita => "Asia/Makassar",
        TimeZone::Wit => "Asia/Jayapura",
    }
}

impl Verdict for TimeZoneCheck {
    fn detail(&self) -> String {
        words::current().doctor_time_zone_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_time_zone_check_fix(self)
    }
}

// ---------------------------------------------------------------------------------------------
// 10. The last good backup.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupCheck {
    Recent {
        age_ms: i64,
    },
    TooOld {
        age_ms: i64,
        max_age_hours: u32,
        folder: Option<PathBuf>,
    },
    /// None made, though `[backup] folder` says the worker should make one daily.
    Never {
        folder: PathBuf,
    },
    /// None made and none expected.
    NotConfigured,
    Failed(String),
}

/// The backup verdict at `now_ms` for the newest `backup.completed` at `last_ms`.
pub fn backup_age(now_ms: i64, last_ms: Option<i64>, settings: &BackupSettings) -> BackupCheck {
    let Some(last) = last_ms else {
        return match &settings.folder {
            Some(folder) => BackupCheck::Never {
                folder: folder.clone(),
            },
            None => BackupCheck::NotConfigured,
        };
    };
    // A backup stamped later than now (a clock set back) is as fresh as one made now.
    let age_ms = now_ms.saturating_sub(last).max(0);
    if age_ms > i64::from(settings.max_age_hours) * 3_600_000 {
        BackupCheck::TooOld {
            age_ms,
            max_age_hours: settings.max_age_hours,
            folder: settings.folder.clone(),
        }
    } else {
        BackupCheck::Recent { age_ms }
    }
}

/// The age of the last good backup against `[backup] max_age_hours`, on the store's clock.
pub fn check_backup(store: &mut Store, settings: &BackupSettings) -> BackupCheck {
    let now_ms = store::to_ms(store.now());
    match crate::backup::last_backup_in(store) {
        Ok(last) => backup_age(now_ms, last, settings),
        Err(e) => BackupCheck::Failed(e.to_string()),
    }
}

impl crate::branch::Branch {
    /// The age of the branch's last good backup against its `[backup]` settings.
    pub fn backup_check(&mut self) -> BackupCheck {
        let settings = self.config().backup.clone();
        check_backup(self.store_mut(), &settings)
    }
}

impl Verdict for BackupCheck {
    fn detail(&self) -> String {
        words::current().doctor_backup_check(self)
    }

    fn fix(&self) -> Option<String> {
        words::current().doctor_backup_check_fix(self)
    }
}
