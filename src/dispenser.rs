//! The ticket dispenser: button presses issue queue tickets and print them on the dispenser's printer.
//!
//! A press ([`Branch::dispense`]) issues a ticket through the queue engine, then prints it. The
//! ticket exists from the moment it is issued: when the print fails it keeps
//! `print_status = 'failed'`, the box is answered `ERR PAPER`, and `loket queue reprint` prints it
//! with the same number later. One service's failure never stops the loop; the printer is asked
//! again on the next press, so a reloaded roll is picked up without a restart.
//!
//! Buttons come from a serial button box ([`serve_port`], the line protocol of
//! `loket_drivers::dispenser`) or from keyboard-wedge keys ([`run_keys`]).
//!
//! While it runs, `loket dispenser` holds an exclusive `flock` on `DATA/locks/dispenser.lock`
//! (which says how buttons come in): the counters' status bars ask [`running`] and show the
//! dispenser as running. The kernel lets go of the lock when the process ends, however it ends, so
//! a dead dispenser is never shown as running and nothing has to write a heartbeat to the database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use loket_drivers::{
    DispenserNotice, DispenserPort, ErrReason, KeyMap, Reply, SerialSettings, SerialTransport,
    Transport, TransportError,
};
use serde::Serialize;
use serde_json::json;

use crate::branch::Branch;
use crate::journal::Entry;
use crate::queue::QueueError;

crate::branch::service!(
    /// The ticket dispenser: button presses to printed tickets.
    DispenserService,
    dispenser
);

/// Who the dispenser's journal entries are by.
pub const ACTOR: &str = "dispenser";

/// Why the dispenser loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum DispenserError {
    Branch(#[from] crate::branch::BranchError),
    Io {
        what: crate::error::IoWhat,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    Store(#[from] crate::store::StoreError),
    Queue(crate::queue::QueueError),
    Printing(crate::printing::PrintingError),
    Port {
        path: String,
        #[source]
        source: TransportError,
    },
    NotConfigured,
    Keys(String),
    NoPort,
    UnknownInput(String),
    Terminal(#[source] std::io::Error),
    AlreadyRunning,
}

/// What one button press did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Press {
    /// Service code pressed.
    pub service: String,
    /// The ticket issued, if any (also when its print failed).
    pub ticket: Option<String>,
    /// Whether the ticket came out of the printer.
    pub printed: bool,
    /// The print job, for a reprint.
    pub job: Option<i64>,
    /// What the box is told.
    #[serde(skip)]
    pub reply: Reply,
    /// A sentence for the screen.
    pub message: String,
}

impl DispenserService<'_> {
    /// One button press: issues a ticket of `service` and prints it on the dispenser's printer.
    /// Device problems are part of the [`Press`]; only a failing database is an error.
    pub fn dispense(&mut self, service: &str) -> Result<Press, DispenserError> {
        let service = service.trim().to_ascii_uppercase();
        let refused = |reason: ErrReason, message: String| Press {
            service: service.clone(),
            ticket: None,
            printed: false,
            job: None,
            reply: Reply::Err(reason),
            message,
        };
        if self.config.service(&service).is_none() {
            return Ok(refused(
                ErrReason::Unknown,
                crate::words::current().dispenser_unknown_service(&service),
            ));
        }
        // The usual path: ticket and print job in one commit, then the paper.
        if let Err(e) = self
            .parts()
            .printing()
            .dispenser_printer()
            .and_then(|n| self.parts().printing().printer(&n))
        {
            return self.dispense_without_printer(service, &e.to_string());
        }
        let (view, o) = match self
            .parts()
            .printing()
            .issue_and_print_ticket(&service, ACTOR)
        {
            Ok(x) => x,
            Err(e) => return not_issued(service, e.into()),
        };
        let label = view.ticket.to_string();
        if o.printed {
            return Ok(Press {
                service,
                ticket: Some(label.clone()),
                printed: true,
                job: Some(o.job),
                reply: Reply::Ok { ticket: label },
                message: o.message,
            });
        }
        Ok(Press {
            service,
            message: crate::words::current().dispenser_not_printed(&label, &o.message),
            ticket: Some(label),
            printed: false,
            job: Some(o.job),
            reply: Reply::Err(ErrReason::Paper),
        })
    }

    /// A press while the dispenser's printer cannot even be opened (its configuration): the
    /// ticket is still issued and marked unprinted, so it is reprinted rather than lost.
    fn dispense_without_printer(
        &mut self,
        service: String,
        why: &str,
    ) -> Result<Press, DispenserError> {
        let view = match self.parts().queue().issue_ticket(&service, false, ACTOR) {
            Ok(v) => v,
            Err(e) => return not_issued(service, e.into()),
        };
        self.mark_ticket_unprinted(&view.business_day, &view.ticket, why)?;
        let label = view.ticket.to_string();
        Ok(Press {
            service,
            message: crate::words::current().dispenser_not_printed(&label, &format!("{why}.")),
            ticket: Some(label),
            printed: false,
            job: None,
            reply: Reply::Err(ErrReason::Paper),
        })
    }

    fn mark_ticket_unprinted(
        &mut self,
        day: &str,
        no: &crate::queue::TicketNo,
        why: &str,
    ) -> Result<(), DispenserError> {
        self.store.write(|tx| {
            tx.execute(
                "UPDATE tickets SET print_status = 'failed'
                 WHERE business_day = ?1 AND issued_service = ?2 AND number = ?3",
                crate::params![day, no.service, no.number],
            )?;
            tx.journal(Entry::new(
                ACTOR,
                "ticket.print_failed",
                no.to_string(),
                json!({"error": why}),
            ))?;
            Ok::<_, DispenserError>(())
        })
    }
}

/// The answer to a press whose ticket could not be issued: refused by the queue (closed, range
/// used up) or a busy database, both said to the box; anything else is the caller's error.
fn not_issued(service: String, e: DispenserError) -> Result<Press, DispenserError> {
    let (reason, message) = match e {
        DispenserError::Queue(
            why @ (QueueError::UnknownService { .. }
            | QueueError::NoPriorityLine { .. }
            | QueueError::NumbersUsedUp { .. }),
        ) => (
            ErrReason::Closed,
            crate::words::current().dispenser_not_issued(&why),
        ),
        // The branch server does not answer: no number was recorded, so none is given.
        DispenserError::Store(
            e @ (crate::store::StoreError::Unreachable | crate::store::StoreError::Server { .. }),
        ) => (ErrReason::Busy, crate::words::current().dispenser_wait(&e)),
        DispenserError::Store(e) => (ErrReason::Busy, crate::words::current().dispenser_busy(&e)),
        e => return Err(e),
    };
    Ok(Press {
        service,
        ticket: None,
        printed: false,
        job: None,
        reply: Reply::Err(reason),
        message,
    })
}

/// Serves a button box until `stop` is set: every press is issued, printed and answered;
/// `report` sees each press (for the screen). Returns when the port fails or `stop` is set.
pub fn serve_port<T: Transport>(
    branch: &mut Branch,
    port: &mut DispenserPort<T>,
    stop: &AtomicBool,
    report: &mut dyn FnMut(&Press),
) -> Result<(), DispenserError> {
    while !stop.load(Ordering::Relaxed) {
        let (events, notices) = match port.poll(Duration::from_millis(100)) {
            Ok(x) => x,
            Err(e) => {
                return Err(DispenserError::Port {
                    path: "serial".into(),
                    source: e,
                });
            }
        };
        for n in notices {
            if let DispenserNotice::Hello(firmware) = n {
                // Noted for technicians; the journal is for state changes only.
                eprintln!("dispenser box started: {firmware}");
            }
        }
        for event in events {
            let press = branch.dispenser().dispense(&event.service)?;
            if let Err(e) = port.reply(&event, &press.reply) {
                return Err(DispenserError::Port {
                    path: "serial".into(),
                    source: e,
                });
            }
            report(&press);
        }
    }
    Ok(())
}

/// Opens the button box on `path` and serves it until `stop`, re-opening the port after it
/// fails (a box unplugged and plugged back).
pub fn run_serial(
    branch: &mut Branch,
    path: &str,
    baud: Option<u32>,
    stop: &AtomicBool,
    report: &mut dyn FnMut(&Press),
) -> Result<(), DispenserError> {
    let mut settings = SerialSettings::new(path);
    if let Some(b) = baud {
        settings.baud = b;
    }
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        match SerialTransport::open(&settings) {
            Ok(t) => {
                first = false;
                let mut port = DispenserPort::new(t);
                match serve_port(branch, &mut port, stop, report) {
                    Ok(()) => return Ok(()),
                    Err(
                        e @ (DispenserError::Port { .. }
                        | DispenserError::Terminal(_)
                        | DispenserError::Io { .. }),
                    ) => eprintln!("button box lost: {e}"),
                    Err(e) => return Err(e),
                }
            }
            Err(source) if first => {
                return Err(DispenserError::Port {
                    path: path.to_string(),
                    source,
                });
            }
            Err(_) => {}
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

/// The key map of `[dispenser] keys`.
pub fn key_map(branch: &Branch) -> Result<KeyMap, DispenserError> {
    let d = branch
        .config()
        .dispenser
        .as_ref()
        .ok_or(DispenserError::NotConfigured)?;
    let spec = d
        .keys
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    KeyMap::parse(&spec).map_err(|e| DispenserError::Keys(e.to_string()))
}

/// Key names as [`KeyMap`] compares them: `F1`, `a`, `1`, `Enter`.
fn key_name(code: ratatui::crossterm::event::KeyCode) -> Option<String> {
    use ratatui::crossterm::event::KeyCode;
    match code {
        KeyCode::F(n) => Some(format!("F{n}")),
        KeyCode::Char(c) => Some(c.to_string()),
        KeyCode::Enter => Some("Enter".into()),
        _ => None,
    }
}

/// Keyboard-wedge buttons: reads keys from the terminal in raw mode until Esc or Ctrl-C; a key
/// that issues nothing is told to `unknown` by name.
pub fn run_keys(
    branch: &mut Branch,
    report: &mut dyn FnMut(&Press),
    unknown: &mut dyn FnMut(&str),
) -> Result<(), DispenserError> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use ratatui::crossterm::terminal;
    let map = key_map(branch)?;
    let term = |e| DispenserError::Terminal(e);
    terminal::enable_raw_mode().map_err(term)?;
    let result = (|| loop {
        let ev = event::read().map_err(term)?;
        let Event::Key(key) = ev else { continue };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc || ctrl_c {
            return Ok(());
        }
        let Some(name) = key_name(key.code) else {
            unknown(&format!("{:?}", key.code));
            continue;
        };
        match map.event(&name) {
            Some(press) => {
                let p = branch.dispenser().dispense(&press.service)?;
                report(&p);
            }
            None => unknown(&name),
        }
    })();
    let restored = terminal::disable_raw_mode().map_err(term);
    result.and(restored)
}

/// The dispenser's run lock in the data folder.
fn lock_path(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir
        .join(crate::stamping::service::LOCK_FOLDER)
        .join("dispenser.lock")
}

/// How a running dispenser takes its buttons, as its run lock says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Running {
    /// Keyboard-wedge keys.
    Keys,
    /// A serial button box on this port.
    Serial(String),
}

impl Running {
    fn to_line(&self) -> String {
        match self {
            Running::Keys => "keys".to_string(),
            Running::Serial(port) => format!("serial {port}"),
        }
    }

    fn from_line(line: &str) -> Running {
        match line.trim().strip_prefix("serial") {
            Some(port) => Running::Serial(port.trim().to_string()),
            None => Running::Keys,
        }
    }
}

/// Marks the dispenser of `data_dir` as running for as long as the returned file is open: an
/// exclusive lock on its run lock, which says how buttons come in. `None` when another
/// dispenser already runs.
pub fn hold_running(
    data_dir: &std::path::Path,
    how: &Running,
) -> Result<Option<std::fs::File>, DispenserError> {
    use std::io::Write;
    let path = lock_path(data_dir);
    let io = |source| DispenserError::Io {
        what: crate::error::IoWhat::DispenserMark,
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.write_all(format!("{}\n", how.to_line()).as_bytes())
        .map_err(io)?;
    Ok(Some(file))
}

/// Whether a dispenser runs on the branch of `data_dir`, and how it takes its buttons: its run
/// lock is held. A quick shared try that lets go at once, so it never holds a dispenser up.
pub fn running(data_dir: &std::path::Path) -> Option<Running> {
    let path = lock_path(data_dir);
    let file = std::fs::File::open(&path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(std::fs::TryLockError::WouldBlock) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Some(Running::from_line(&text))
        }
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// The service a key stands for, with its name, in the configuration's order of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLegend {
    pub key: String,
    pub service: String,
    /// The service's name; empty when the configuration has no such service.
    pub name: String,
}

/// Which key issues which service (`[dispenser] keys`), for the dispenser's screen.
pub fn legend(config: &crate::config::Config) -> Vec<KeyLegend> {
    config
        .dispenser
        .iter()
        .flat_map(|d| d.keys.iter())
        .map(|(key, service)| {
            let service = service.trim().to_ascii_uppercase();
            KeyLegend {
                key: key.clone(),
                name: config
                    .service(&service)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                service,
            }
        })
        .collect()
}

/// The legend as lines: `  1  →  A  Surat & Paket`.
pub fn legend_lines(legend: &[KeyLegend]) -> Vec<String> {
    let width = legend
        .iter()
        .map(|l| l.key.chars().count())
        .max()
        .unwrap_or(0);
    legend
        .iter()
        .map(|l| {
            let name = if l.name.is_empty() {
                crate::words::current().dispenser_legend_unknown()
            } else {
                l.name.as_str()
            };
            format!("  {:<width$}  →  {}  {name}", l.key, l.service)
        })
        .collect()
}

/// What the dispenser's screen says after a press: the number just issued and its service, or why
/// there is none.
pub fn press_line(config: &crate::config::Config, p: &Press) -> String {
    let name = config
        .service(&p.service)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    match (&p.ticket, p.printed) {
        (Some(t), true) => crate::words::current().dispenser_printed(t, &name),
        _ => p.message.clone(),
    }
}

/// What the screen says for a key that issues nothing.
pub fn unknown_key_line(key: &str, legend: &[KeyLegend]) -> String {
    let keys: Vec<String> = legend
        .iter()
        .map(|l| format!("{} = {}", l.key, l.service))
        .collect();
    crate::words::current().dispenser_unknown_key(key, &keys)
}

/// `loket dispenser`: serves the configured (or given) input until stopped.
pub fn run_cli(
    data: &std::path::Path,
    input: Option<&str>,
    port: Option<&str>,
) -> Result<std::process::ExitCode, DispenserError> {
    let mut branch = Branch::open(data)?;
    let cfg = branch
        .config()
        .dispenser
        .clone()
        .ok_or(DispenserError::NotConfigured)?;
    let input = input.unwrap_or(&cfg.input).to_string();
    let config = branch.config().clone();
    let say = |line: &str| {
        // Raw mode needs an explicit carriage return.
        print!("{line}\r\n");
        use std::io::Write;
        let _ = std::io::stdout().flush();
    };
    let mut report = |p: &Press| say(&press_line(&config, p));
    let how = match input.as_str() {
        "serial" => Running::Serial(
            port.map(str::to_string)
                .or(cfg.port.clone())
                .ok_or(DispenserError::NoPort)?,
        ),
        "keys" => Running::Keys,
        other => {
            return Err(DispenserError::UnknownInput(other.to_string()));
        }
    };
    // Held until the loop ends: the counters see the dispenser running meanwhile.
    let Some(_running) = hold_running(data, &how)? else {
        return Err(DispenserError::AlreadyRunning);
    };
    match &how {
        Running::Serial(path) => {
            println!("{}", crate::words::current().dispenser_ready_serial(path));
            let stop = AtomicBool::new(false);
            run_serial(&mut branch, path, cfg.baud, &stop, &mut report)?;
        }
        Running::Keys => {
            let legend = legend(&config);
            say(crate::words::current().dispenser_ready_keys());
            for line in legend_lines(&legend) {
                say(&line);
            }
            run_keys(&mut branch, &mut report, &mut |key| {
                say(&unknown_key_line(key, &legend))
            })?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

// A ticket the queue refused, or a busy store, reaches the box the same way whether the dispenser
// asked the queue or the printing service (which asks the queue).
impl From<crate::printing::PrintingError> for DispenserError {
    fn from(e: crate::printing::PrintingError) -> Self {
        use crate::printing::PrintingError as E;
        match e {
            E::Store(s) => DispenserError::Store(s),
            E::Queue(q) => q.into(),
            other => DispenserError::Printing(other),
        }
    }
}

impl From<crate::queue::QueueError> for DispenserError {
    fn from(e: crate::queue::QueueError) -> Self {
        match e {
            crate::queue::QueueError::Store(s) => DispenserError::Store(s),
            other => DispenserError::Queue(other),
        }
    }
}

impl From<crate::store::sql::Error> for DispenserError {
    fn from(e: crate::store::sql::Error) -> Self {
        DispenserError::Store(crate::store::StoreError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> crate::config::Config {
        crate::config::Config::parse(
            crate::config::DEFAULT_TOML,
            std::path::Path::new("loket.toml"),
        )
        .expect("the demo configuration")
    }

    #[test]
    fn the_screen_says_which_key_issues_what_and_what_a_press_did() {
        let config = demo();
        let legend = legend(&config);
        assert_eq!(
            legend_lines(&legend),
            [
                "  1  →  A  Surat dan Paket",
                "  2  →  B  Pembayaran dan Keuangan",
                "  3  →  C  e-Meterai",
            ]
        );
        assert_eq!(
            unknown_key_line("F5", &legend),
            "Tombol F5 tidak dipakai. Tombol layanan: 1 = A, 2 = B, 3 = C."
        );
        assert_eq!(
            unknown_key_line("x", &[]),
            "Tombol x tidak dipakai: belum ada tombol layanan di [dispenser] keys."
        );
        let press = |ticket: Option<&str>, printed: bool, message: &str| Press {
            service: "B".into(),
            ticket: ticket.map(str::to_string),
            printed,
            job: None,
            reply: Reply::Err(ErrReason::Paper),
            message: message.into(),
        };
        assert_eq!(
            press_line(&config, &press(Some("B-004"), true, "Tercetak.")),
            "Nomor B-004 — Pembayaran dan Keuangan: tiket tercetak."
        );
        assert_eq!(
            press_line(
                &config,
                &press(Some("B-005"), false, "Nomor B-005 tercatat …")
            ),
            "Nomor B-005 tercatat …"
        );
        assert_eq!(
            Running::from_line(&Running::Serial("/dev/ttyUSB0".into()).to_line()),
            Running::Serial("/dev/ttyUSB0".into())
        );
        assert_eq!(Running::from_line("keys\n"), Running::Keys);
    }
}
