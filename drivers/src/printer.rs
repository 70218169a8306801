//! A printer over any transport: status before and after each one-buffer job, typed outcomes, reconnects, drawer kicks.

use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::file::{FileSettings, FileTransport};
use crate::serial::{SerialSettings, SerialTransport};
use crate::status::{
    PrinterStatus, Problem, RawStatus, STATUS_REQUESTS, decode_port_status, decode_status,
    is_status_reply, status_request,
};
use crate::tcp::{TcpSettings, TcpTransport};
use crate::transport::{Transport, TransportError};
use crate::usb::{UsbSettings, UsbTransport};
use crate::virtual_printer::{VirtualPrinter, VirtualSettings, VirtualTransport};

/// Opens (and re-opens, after an unplug) the transport of one printer.
pub trait TransportFactory: Send {
    /// Opens a fresh transport.
    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError>;
}

impl<F> TransportFactory for F
where
    F: FnMut() -> Result<Box<dyn Transport>, TransportError> + Send,
{
    fn open(&mut self) -> Result<Box<dyn Transport>, TransportError> {
        self()
    }
}

/// How loket reaches a printer: the `[printer]` table of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PrinterSettings {
    /// USB through libusb.
    Usb(UsbSettings),
    /// A serial port.
    Serial(SerialSettings),
    /// A network printer.
    Tcp(TcpSettings),
    /// A device file such as `/dev/usb/lp0`.
    File(FileSettings),
    /// loket's virtual printer in this process, writing jobs to a folder.
    Virtual(VirtualSettings),
}

/// Whether to read status around jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusMode {
    /// `DLE EOT 1, 2, 4` before and after each job (USB GET_PORT_STATUS when they go unanswered).
    #[default]
    DleEot,
    /// No status: for one-way links; "printed" then only means "sent".
    None,
}

fn default_status_timeout_ms() -> u64 {
    1000
}

/// Printer behaviour that does not depend on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterOptions {
    /// Status mode.
    #[serde(default)]
    pub status: StatusMode,
    /// How long to wait for each status reply.
    #[serde(default = "default_status_timeout_ms")]
    pub status_timeout_ms: u64,
}

impl Default for PrinterOptions {
    fn default() -> Self {
        PrinterOptions {
            status: StatusMode::DleEot,
            status_timeout_ms: default_status_timeout_ms(),
        }
    }
}

/// Cash drawer kick: `ESC p m t1 t2`, always all five bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerKick {
    /// Connector pin, 2 or 5.
    pub pin: u8,
    /// On time in 2 ms units.
    pub on: u8,
    /// Off time in 2 ms units.
    pub off: u8,
}

impl Default for DrawerKick {
    fn default() -> Self {
        DrawerKick {
            pin: 2,
            on: 25,
            off: 250,
        }
    }
}

impl DrawerKick {
    /// The five bytes.
    ///
    /// ```
    /// use loket_drivers::DrawerKick;
    /// assert_eq!(DrawerKick::default().command(), [0x1B, 0x70, 0x00, 25, 250]);
    /// ```
    pub fn command(&self) -> [u8; 5] {
        [0x1B, b'p', u8::from(self.pin == 5), self.on, self.off]
    }
}

/// Cut types for [`Printer::cut`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cut {
    /// `GS V 65 0`.
    Full,
    /// `GS V 66 0`.
    Partial,
}

/// Something the clerk should know although the job printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Warning {
    /// The roll is nearly used up.
    PaperNearEnd,
}

impl Warning {
    /// The message for the clerk, in Indonesian.
    pub fn user_message(&self) -> &'static str {
        match self {
            Warning::PaperNearEnd => "Kertas printer hampir habis. Siapkan gulungan kertas baru.",
        }
    }
}

/// A job that printed: the status after it was fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Status read after the job (`None` with [`StatusMode::None`]).
    pub status: Option<PrinterStatus>,
    /// Conditions worth telling the clerk.
    pub warnings: Vec<Warning>,
}

/// Why a job (or drawer kick) did not print. `sent` says whether any of its bytes went out:
/// when it is false nothing was printed, when true part of it may have been.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No paper.
    #[error("printer out of paper")]
    PaperOut {
        /// Whether job bytes went out.
        sent: bool,
    },
    /// Cover open.
    #[error("printer cover open")]
    CoverOpen {
        /// Whether job bytes went out.
        sent: bool,
    },
    /// Offline for another reason (error, feed button).
    #[error("printer offline")]
    Offline {
        /// Whether job bytes went out.
        sent: bool,
    },
    /// The printer stopped answering.
    #[error("printer timed out")]
    Timeout {
        /// Whether job bytes went out.
        sent: bool,
    },
    /// The link went away (unplugged, connection closed); the next job re-opens it.
    #[error("printer disconnected")]
    Disconnected {
        /// Whether job bytes went out.
        sent: bool,
    },
    /// The printer could not be reached or answered nonsense.
    #[error("printer unavailable")]
    Unavailable {
        /// Whether job bytes went out.
        sent: bool,
        /// What the transport said.
        #[source]
        source: TransportError,
    },
}

impl PrintError {
    fn from_transport(e: TransportError, sent: bool) -> PrintError {
        match e {
            TransportError::Timeout => PrintError::Timeout { sent },
            TransportError::Disconnected => PrintError::Disconnected { sent },
            source => PrintError::Unavailable { sent, source },
        }
    }

    fn from_problem(p: Problem, sent: bool) -> PrintError {
        match p {
            Problem::PaperOut => PrintError::PaperOut { sent },
            Problem::CoverOpen => PrintError::CoverOpen { sent },
            Problem::Offline => PrintError::Offline { sent },
        }
    }

    /// Whether any byte of the job went out (so a reprint may be needed).
    pub fn job_sent(&self) -> bool {
        match self {
            PrintError::PaperOut { sent }
            | PrintError::CoverOpen { sent }
            | PrintError::Offline { sent }
            | PrintError::Timeout { sent }
            | PrintError::Disconnected { sent }
            | PrintError::Unavailable { sent, .. } => *sent,
        }
    }

    /// What to tell the clerk, in Indonesian, with what to do next.
    pub fn user_message(&self) -> String {
        let retry = if self.job_sent() {
            "lalu cetak ulang."
        } else {
            "lalu coba lagi."
        };
        match self {
            PrintError::PaperOut { .. } => {
                format!(
                    "Kertas printer habis. Pasang gulungan kertas baru dan tutup penutupnya, {retry}"
                )
            }
            PrintError::CoverOpen { .. } => {
                format!("Penutup printer terbuka. Tutup sampai terkunci, {retry}")
            }
            PrintError::Offline { .. } => {
                format!(
                    "Printer sedang offline. Periksa lampu error dan tombol FEED pada printer, {retry}"
                )
            }
            PrintError::Timeout { .. } => {
                format!("Printer tidak menjawab. Periksa kabel dan daya printer, {retry}")
            }
            PrintError::Disconnected { .. } => {
                format!("Sambungan ke printer terputus. Pasang kembali kabelnya, {retry}")
            }
            PrintError::Unavailable { source, .. } => match source {
                TransportError::Busy => {
                    format!("Printer sedang dipakai program lain. Tutup program itu, {retry}")
                }
                TransportError::Access => {
                    "loket tidak punya izin memakai printer. Minta teknisi memasang aturan \
                                           udev loket (drivers/udev/60-loket-printers.rules)."
                        .into()
                }
                TransportError::NoDevice => {
                    format!(
                        "Printer tidak ditemukan. Periksa kabel, daya dan pengaturan printer, {retry}"
                    )
                }
                TransportError::NoUsb(_) => {
                    "Komputer ini tidak menyediakan USB untuk loket. Pakai printer \
                                             jaringan atau serial, atau hubungi teknisi."
                        .into()
                }
                TransportError::Protocol(_) => {
                    format!(
                        "Printer memberi jawaban yang tidak dikenal. Matikan lalu nyalakan printer, {retry}"
                    )
                }
                _ => {
                    format!("Sambungan printer terganggu. Jika berulang, hubungi teknisi; {retry}")
                }
            },
        }
    }
}

/// A printer: one transport (re-opened through its factory after an unplug) and its options.
pub struct Printer {
    factory: Box<dyn TransportFactory>,
    transport: Option<Box<dyn Transport>>,
    options: PrinterOptions,
    virtual_printer: Option<VirtualPrinter>,
}

impl fmt::Debug for Printer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Printer")
            .field("transport", &self.transport)
            .field("options", &self.options)
            .finish()
    }
}

impl Printer {
    /// A printer whose transport comes from `factory`; nothing is opened until the first use.
    pub fn new(factory: impl TransportFactory + 'static, options: PrinterOptions) -> Printer {
        Printer {
            factory: Box::new(factory),
            transport: None,
            options,
            virtual_printer: None,
        }
    }

    /// A printer from configuration. For [`PrinterSettings::Virtual`] this creates the virtual
    /// printer (and its output folder) now; see [`Printer::virtual_printer`].
    pub fn from_settings(
        settings: &PrinterSettings,
        options: PrinterOptions,
    ) -> Result<Printer, PrintError> {
        let factory: Box<dyn TransportFactory> = match settings.clone() {
            PrinterSettings::Usb(s) => {
                Box::new(move || Ok(Box::new(UsbTransport::open(&s)?) as Box<dyn Transport>))
            }
            PrinterSettings::Serial(s) => {
                Box::new(move || Ok(Box::new(SerialTransport::open(&s)?) as Box<dyn Transport>))
            }
            PrinterSettings::Tcp(s) => {
                Box::new(move || Ok(Box::new(TcpTransport::connect(&s)?) as Box<dyn Transport>))
            }
            PrinterSettings::File(s) => {
                Box::new(move || Ok(Box::new(FileTransport::open(&s)?) as Box<dyn Transport>))
            }
            PrinterSettings::Virtual(s) => {
                let vp = VirtualPrinter::new(s.config())
                    .map_err(|e| PrintError::from_transport(TransportError::Io(e), false))?;
                let mut printer = Printer::virtual_in_process(vp);
                printer.options = options;
                return Ok(printer);
            }
        };
        Ok(Printer {
            factory,
            transport: None,
            options,
            virtual_printer: None,
        })
    }

    /// A printer talking to `vp` in this process (the embedded default device).
    pub fn virtual_in_process(vp: VirtualPrinter) -> Printer {
        let for_factory = vp.clone();
        let mut printer = Printer::new(
            move || Ok(Box::new(VirtualTransport::new(for_factory.clone())) as Box<dyn Transport>),
            PrinterOptions::default(),
        );
        printer.virtual_printer = Some(vp);
        printer
    }

    /// The virtual printer behind this printer, if it is one: to change its state or read its jobs.
    pub fn virtual_printer(&self) -> Option<&VirtualPrinter> {
        self.virtual_printer.as_ref()
    }

    /// Drops the transport; the next operation re-opens it.
    pub fn disconnect(&mut self) {
        self.transport = None;
    }

    fn transport(&mut self) -> Result<&mut Box<dyn Transport>, TransportError> {
        match &mut self.transport {
            Some(t) => Ok(t),
            slot @ None => Ok(slot.insert(self.factory.open()?)),
        }
    }

    /// Runs `op` on the transport; a stale handle (unplugged and plugged back) is re-opened
    /// once. Only for operations that send nothing the printer would print.
    fn with_reopen<T>(
        &mut self,
        mut op: impl FnMut(&mut dyn Transport) -> Result<T, TransportError>,
    ) -> Result<T, TransportError> {
        let first = self.transport().and_then(|t| op(t.as_mut()));
        match first {
            Err(e) if e.needs_reopen() => {
                self.transport = None;
                let second = self.transport().and_then(|t| op(t.as_mut()));
                if let Err(e) = &second
                    && e.needs_reopen()
                {
                    self.transport = None;
                }
                second
            }
            other => other,
        }
    }

    /// Reads the printer's status (`DLE EOT 1, 2, 4` after draining stale input).
    pub fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        let timeout = Duration::from_millis(self.options.status_timeout_ms);
        self.with_reopen(|t| read_status(t, timeout))
            .map_err(|e| PrintError::from_transport(e, false))
    }

    fn check_before(&mut self) -> Result<(), PrintError> {
        if self.options.status == StatusMode::None {
            // Still open the link now so "no device" is reported before anything is sent.
            return self
                .with_reopen(|_| Ok(()))
                .map_err(|e| PrintError::from_transport(e, false));
        }
        let status = self.status()?;
        match status.problem() {
            Some(p) => Err(PrintError::from_problem(p, false)),
            None => Ok(()),
        }
    }

    /// Sends `job` as one buffer (one `write_all`). The status is read before (a problem then
    /// means nothing was sent) and after (a problem then means the job may be incomplete).
    pub fn print(&mut self, job: &[u8]) -> Result<Printed, PrintError> {
        self.check_before()?;
        let written = self.transport().and_then(|t| t.write_all(job));
        if let Err(e) = written {
            if e.needs_reopen() {
                self.transport = None;
            }
            return Err(PrintError::from_transport(e, true));
        }
        if self.options.status == StatusMode::None {
            return Ok(Printed {
                status: None,
                warnings: Vec::new(),
            });
        }
        let timeout = Duration::from_millis(self.options.status_timeout_ms);
        let after = self
            .transport()
            .and_then(|t| read_status(t.as_mut(), timeout));
        let status = match after {
            Ok(s) => s,
            Err(e) => {
                if e.needs_reopen() {
                    self.transport = None;
                }
                return Err(PrintError::from_transport(e, true));
            }
        };
        if let Some(p) = status.problem() {
            return Err(PrintError::from_problem(p, true));
        }
        let mut warnings = Vec::new();
        if status.paper_near_end {
            warnings.push(Warning::PaperNearEnd);
        }
        Ok(Printed {
            status: Some(status),
            warnings,
        })
    }

    /// Opens the cash drawer with the full five-byte `ESC p m t1 t2`. An offline printer does
    /// not carry out `ESC p`, so the status is checked first.
    pub fn pulse_drawer(&mut self, kick: DrawerKick) -> Result<(), PrintError> {
        self.print(&kick.command()).map(|_| ())
    }

    /// Feeds `feed_lines` and cuts.
    pub fn cut(&mut self, cut: Cut, feed_lines: u8) -> Result<Printed, PrintError> {
        let m = match cut {
            Cut::Full => 65,
            Cut::Partial => 66,
        };
        self.print(&[0x1B, b'd', feed_lines, 0x1D, b'V', m, 0])
    }
}

/// Drains stale input, then asks `DLE EOT 1, 2, 4` and decodes the replies. When the printer
/// does not answer the first request and the link has a USB port status, that is used instead.
pub fn read_status(
    t: &mut dyn Transport,
    timeout: Duration,
) -> Result<PrinterStatus, TransportError> {
    t.drain()?;
    let mut replies = [0u8; 3];
    for (i, n) in STATUS_REQUESTS.into_iter().enumerate() {
        t.write_all(&status_request(n))?;
        match read_reply(t, timeout) {
            Ok(b) => replies[i] = b,
            Err(TransportError::Timeout) if i == 0 => {
                return match t.port_status()? {
                    Some(byte) => Ok(decode_port_status(byte)),
                    None => Err(TransportError::Timeout),
                };
            }
            Err(e) => return Err(e),
        }
    }
    decode_status(RawStatus {
        printer: replies[0],
        offline_cause: replies[1],
        paper: replies[2],
    })
    .map_err(|e| TransportError::Protocol(e.to_string()))
}

/// Reads one status byte, skipping XON/XOFF and line noise until `timeout`.
fn read_reply(t: &mut dyn Transport, timeout: Duration) -> Result<u8, TransportError> {
    let deadline = Instant::now() + timeout;
    let mut noise = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut byte = [0u8; 1];
        match t.read(&mut byte, left) {
            Ok(_) if is_status_reply(byte[0]) => return Ok(byte[0]),
            Ok(_) => noise.push(byte[0]),
            Err(TransportError::Timeout) if !noise.iter().all(|b| *b == 0x11 || *b == 0x13) => {
                return Err(TransportError::Protocol(format!(
                    "no status reply, got {noise:02x?}"
                )));
            }
            Err(e) => return Err(e),
        }
        if left.is_zero() {
            return Err(TransportError::Timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripted::{ReadStep, Script, ScriptedTransport, WriteStep};
    use crate::transport::MemoryTransport;
    use std::sync::{Arc, Mutex};

    fn options() -> PrinterOptions {
        PrinterOptions {
            status: StatusMode::DleEot,
            status_timeout_ms: 50,
        }
    }

    /// A factory handing out scripted transports in order, keeping clones for inspection.
    fn scripted(
        scripts: Vec<Script>,
    ) -> (impl TransportFactory, Arc<Mutex<Vec<ScriptedTransport>>>) {
        let opened = Arc::new(Mutex::new(Vec::new()));
        let seen = opened.clone();
        let mut scripts = scripts.into_iter();
        let factory = move || -> Result<Box<dyn Transport>, TransportError> {
            let script = scripts.next().ok_or(TransportError::NoDevice)?;
            let t = ScriptedTransport::new(script);
            seen.lock().expect("test lock").push(t.clone());
            Ok(Box::new(t))
        };
        (factory, opened)
    }

    const JOB: &[u8] = b"\x1b@A-007\n\x1dVB\x00";

    fn status_bytes() -> Vec<u8> {
        [1u8, 2, 4]
            .iter()
            .flat_map(|n| status_request(*n))
            .collect()
    }

    #[test]
    fn a_healthy_job_is_one_write_between_two_status_reads() {
        let (factory, opened) = scripted(vec![Script::new().status_ok().status_ok()]);
        let mut p = Printer::new(factory, options());
        let printed = p.print(JOB).expect("prints");
        assert_eq!(printed.warnings, []);
        let t = &opened.lock().expect("test lock")[0];
        let expected: Vec<u8> = [status_bytes(), JOB.to_vec(), status_bytes()].concat();
        assert_eq!(t.accepted(), expected);
        // The job went out as one transfer (3-byte status requests around it).
        assert_eq!(t.transfers(), [3, 3, 3, JOB.len(), 3, 3, 3]);
    }

    #[test]
    fn paper_out_before_the_job_sends_nothing() {
        let script = Script::new().reply(0x1E).reply(0x32).reply(0x72);
        let (factory, opened) = scripted(vec![script]);
        let mut p = Printer::new(factory, options());
        let err = p.print(JOB).expect_err("paper out");
        assert!(
            matches!(err, PrintError::PaperOut { sent: false }),
            "{err:?}"
        );
        assert_eq!(
            opened.lock().expect("test lock")[0].accepted(),
            status_bytes()
        );
        assert!(err.user_message().contains("Kertas printer habis"));
    }

    #[test]
    fn near_end_is_a_warning_and_the_job_prints() {
        let script = Script::new()
            .status_ok()
            .reply(0x16)
            .reply(0x12)
            .reply(0x1E);
        let (factory, _) = scripted(vec![script]);
        let mut p = Printer::new(factory, options());
        let printed = p.print(JOB).expect("prints");
        assert_eq!(printed.warnings, [Warning::PaperNearEnd]);
    }

    #[test]
    fn partial_writes_are_completed() {
        let script = Script::new()
            .status_ok()
            .write(WriteStep::Accept(9))
            .write(WriteStep::Partial {
                chunk: 2,
                total: 64,
            })
            .status_ok();
        let (factory, opened) = scripted(vec![script]);
        let mut p = Printer::new(factory, options());
        p.print(JOB).expect("prints despite partial writes");
        let t = &opened.lock().expect("test lock")[0];
        assert!(t.accepted().windows(JOB.len()).any(|w| w == JOB));
        assert!(t.transfers().iter().filter(|n| **n == 2).count() >= 4);
    }

    #[test]
    fn a_stalled_write_is_a_timeout_after_sending() {
        let script = Script::new()
            .status_ok()
            .write(WriteStep::Accept(9 + 4))
            .write(WriteStep::Timeout);
        let (factory, _) = scripted(vec![script]);
        let mut p = Printer::new(factory, options());
        let err = p.print(JOB).expect_err("stalls");
        assert!(matches!(err, PrintError::Timeout { sent: true }), "{err:?}");
        assert!(err.user_message().ends_with("cetak ulang."));
    }

    #[test]
    fn a_silent_printer_times_out_before_anything_is_sent() {
        let (factory, opened) = scripted(vec![Script::new()]);
        let mut p = Printer::new(factory, options());
        let err = p.print(JOB).expect_err("no answer");
        assert!(
            matches!(err, PrintError::Timeout { sent: false }),
            "{err:?}"
        );
        assert_eq!(
            opened.lock().expect("test lock")[0].accepted(),
            status_request(1)
        );
    }

    #[test]
    fn unplug_mid_job_then_replug_reopens_and_prints() {
        let first = Script::new()
            .status_ok()
            .write(WriteStep::Accept(9 + 5))
            .write(WriteStep::Disconnect);
        let second = Script::new().status_ok().status_ok();
        let (factory, opened) = scripted(vec![first, second]);
        let mut p = Printer::new(factory, options());
        let err = p.print(JOB).expect_err("unplugged");
        assert!(
            matches!(err, PrintError::Disconnected { sent: true }),
            "{err:?}"
        );
        p.print(JOB).expect("prints after replug");
        let opened = opened.lock().expect("test lock");
        assert_eq!(opened.len(), 2);
        assert!(opened[1].accepted().windows(JOB.len()).any(|w| w == JOB));
    }

    #[test]
    fn a_stale_handle_found_by_the_status_read_is_reopened_once() {
        let first = Script::new().read(ReadStep::Disconnect);
        let second = Script::new().status_ok().status_ok();
        let (factory, opened) = scripted(vec![first, second]);
        let mut p = Printer::new(factory, options());
        p.print(JOB)
            .expect("re-opened transparently: nothing had been sent");
        assert_eq!(opened.lock().expect("test lock").len(), 2);
    }

    #[test]
    fn device_gone_for_good_is_reported() {
        let (factory, _) = scripted(vec![]);
        let mut p = Printer::new(factory, options());
        let err = p.print(JOB).expect_err("nothing there");
        assert!(
            matches!(
                err,
                PrintError::Unavailable {
                    sent: false,
                    source: TransportError::NoDevice
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn xon_xoff_are_skipped_and_noise_is_a_protocol_error() {
        let script = Script::new()
            .read(ReadStep::Reply(vec![0x11, 0x16]))
            .reply(0x12)
            .read(ReadStep::Reply(vec![0x13, 0x12]));
        let mut t = ScriptedTransport::new(script);
        let status = read_status(&mut t, Duration::from_millis(10)).expect("skips flow control");
        assert_eq!(status.problem(), None);
        let mut t = ScriptedTransport::new(Script::new().read(ReadStep::Reply(vec![0xFF])));
        assert!(matches!(
            read_status(&mut t, Duration::from_millis(10)),
            Err(TransportError::Protocol(_))
        ));
    }

    #[test]
    fn drawer_kick_is_five_bytes() {
        let (factory, opened) = scripted(vec![Script::new().status_ok().status_ok()]);
        let mut p = Printer::new(factory, options());
        p.pulse_drawer(DrawerKick {
            pin: 5,
            on: 50,
            off: 250,
        })
        .expect("kicks");
        let sent = opened.lock().expect("test lock")[0].accepted();
        assert_eq!(&sent[9..14], &[0x1B, 0x70, 0x01, 50, 250]);
    }

    #[test]
    fn without_status_printing_only_sends() {
        let mem = MemoryTransport::new();
        let handle = mem.clone();
        let mut p = Printer::new(
            move || Ok(Box::new(mem.clone()) as Box<dyn Transport>),
            PrinterOptions {
                status: StatusMode::None,
                status_timeout_ms: 10,
            },
        );
        let printed = p.cut(Cut::Partial, 3).expect("sends");
        assert_eq!(printed.status, None);
        assert_eq!(handle.written(), [0x1B, b'd', 3, 0x1D, b'V', 66, 0]);
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn parse(text: &str) -> PrinterSettings {
        toml::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn configuration_reads_every_kind_with_defaults() {
        let PrinterSettings::Tcp(t) = parse("kind = \"tcp\"\nhost = \"192.168.1.50\"") else {
            panic!("tcp")
        };
        assert_eq!((t.port, t.connect_timeout_ms), (9100, 3000));
        let PrinterSettings::Usb(u) = parse("kind = \"usb\"\nvid = 0x04b8") else {
            panic!("usb")
        };
        assert_eq!((u.vid, u.pid), (Some(0x04B8), None));
        let PrinterSettings::Serial(s) = parse(
            "kind = \"serial\"\npath = \"/dev/ttyUSB0\"\nbaud = 19200\nflow_control = \"hardware\"",
        ) else {
            panic!("serial")
        };
        assert_eq!((s.baud, s.data_bits, s.stop_bits), (19200, 8, 1));
        assert_eq!(s.flow_control, crate::serial::FlowControl::Hardware);
        let PrinterSettings::File(f) = parse("kind = \"file\"\npath = \"/dev/usb/lp0\"") else {
            panic!("file")
        };
        assert_eq!(f.path, std::path::Path::new("/dev/usb/lp0"));
        let PrinterSettings::Virtual(v) =
            parse("kind = \"virtual\"\nout_dir = \"out\"\nstate = \"paper-out\"")
        else {
            panic!("virtual")
        };
        assert_eq!(
            (v.dots, v.state),
            (576, crate::virtual_printer::VirtualState::PaperOut)
        );
        assert!(toml::from_str::<PrinterSettings>("kind = \"bluetooth\"").is_err());
    }
}
