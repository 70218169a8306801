//! The virtual printer: interprets loket's ESC/POS, answers status from a settable state, writes jobs as text and PNG.
//!
//! It serves as the default device (in process, see [`VirtualTransport`]), as a serial printer on
//! a pseudo-terminal ([`serve_pty`]) and as a network printer ([`serve_tcp`]). Each job — the
//! bytes up to a cut — becomes `NNNN.txt` (and `NNNN.png` when it holds pictures) in the output
//! folder. Drawer kicks are appended to `drawer.log` there.
//!
//! The state can change while it runs: [`VirtualPrinter::set_state`] (the cover opens, the
//! printer goes offline) and [`VirtualPrinter::run_out_of_paper_after`] (paper ends after so
//! many more bytes, in the middle of a job). While stopped the printer answers `DLE EOT` but
//! prints nothing; the interrupted job is written with a marker line such as `[KERTAS HABIS]`.

mod codepage;
mod page;
mod parse;
mod serve;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use page::Picture;
pub use parse::{Cmd, parse};
pub use serve::{PtyPrinter, TcpPrinter, serve_pty, serve_tcp};

use crate::transport::{Transport, TransportError, lock};
use page::{Page, render_png};

/// How many jobs a virtual printer keeps in memory; a long-running emulator must not grow.
pub const KEPT_JOBS: usize = 64;

/// What the virtual printer reports and whether it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VirtualState {
    /// Healthy.
    #[default]
    Ok,
    /// Prints, and reports the roll nearly used up.
    PaperNearEnd,
    /// No paper: stops printing.
    PaperOut,
    /// Cover open: stops printing.
    CoverOpen,
    /// Offline with an error: stops printing.
    Offline,
    /// Accepts the connection but never reads or answers (a hung printer).
    Unresponsive,
}

impl VirtualState {
    /// Every state, for command-line help.
    pub const ALL: [VirtualState; 6] = [
        VirtualState::Ok,
        VirtualState::PaperNearEnd,
        VirtualState::PaperOut,
        VirtualState::CoverOpen,
        VirtualState::Offline,
        VirtualState::Unresponsive,
    ];

    /// Name on the command line: `ok`, `paper-near-end`, `paper-out`, `cover-open`, `offline`, `unresponsive`.
    pub fn name(self) -> &'static str {
        match self {
            VirtualState::Ok => "ok",
            VirtualState::PaperNearEnd => "paper-near-end",
            VirtualState::PaperOut => "paper-out",
            VirtualState::CoverOpen => "cover-open",
            VirtualState::Offline => "offline",
            VirtualState::Unresponsive => "unresponsive",
        }
    }

    fn stops_printing(self) -> bool {
        matches!(
            self,
            VirtualState::PaperOut
                | VirtualState::CoverOpen
                | VirtualState::Offline
                | VirtualState::Unresponsive
        )
    }

    fn marker(self) -> &'static str {
        match self {
            VirtualState::PaperOut => "[KERTAS HABIS]",
            VirtualState::CoverOpen => "[PENUTUP TERBUKA]",
            _ => "[PRINTER OFFLINE]",
        }
    }

    /// The reply to `DLE EOT n`.
    pub fn status_reply(self, n: u8) -> u8 {
        let offline = self.stops_printing();
        match n {
            1 => 0x16 | if offline { 0x08 } else { 0 },
            2 => {
                0x12 | match self {
                    VirtualState::CoverOpen => 0x04,
                    VirtualState::PaperOut => 0x20,
                    VirtualState::Offline | VirtualState::Unresponsive => 0x40,
                    _ => 0,
                }
            }
            4 => {
                0x12 | match self {
                    VirtualState::PaperNearEnd => 0x0C,
                    VirtualState::PaperOut => 0x60,
                    _ => 0,
                }
            }
            _ => 0x12,
        }
    }

    /// The reply to `GS r n` (1: paper sensor, 2: drawer).
    pub fn transmit_status_reply(self, n: u8) -> u8 {
        match (n, self) {
            (1 | 49, VirtualState::PaperNearEnd) => 0x03,
            (1 | 49, VirtualState::PaperOut) => 0x0C,
            _ => 0x00,
        }
    }
}

impl fmt::Display for VirtualState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown state name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown printer state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for VirtualState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VirtualState::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

fn default_dots() -> u16 {
    576
}

/// Configuration of the in-process virtual printer (`kind = "virtual"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualSettings {
    /// Where jobs are written.
    pub out_dir: PathBuf,
    /// Head width in dots: 384 (58 mm) or 576 (80 mm).
    #[serde(default = "default_dots")]
    pub dots: u16,
    /// State at start.
    #[serde(default)]
    pub state: VirtualState,
}

impl VirtualSettings {
    /// The printer configuration.
    pub fn config(&self) -> VirtualConfig {
        VirtualConfig {
            dots: self.dots,
            out_dir: Some(self.out_dir.clone()),
            state: self.state,
            pictures: true,
        }
    }
}

/// How to build a virtual printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualConfig {
    /// Head width in dots.
    pub dots: u16,
    /// Where to write jobs; `None` keeps them in memory only.
    pub out_dir: Option<PathBuf>,
    /// State at start.
    pub state: VirtualState,
    /// Draw QR codes and images (for the PNG); without, they only leave their text placeholder.
    pub pictures: bool,
}

impl VirtualConfig {
    /// A printer `dots` wide keeping jobs in memory, drawing pictures.
    pub fn in_memory(dots: u16) -> VirtualConfig {
        VirtualConfig {
            dots,
            out_dir: None,
            state: VirtualState::Ok,
            pictures: true,
        }
    }

    /// The same printer writing its jobs to `dir`.
    pub fn writing_to(dots: u16, dir: impl Into<PathBuf>) -> VirtualConfig {
        VirtualConfig {
            out_dir: Some(dir.into()),
            ..VirtualConfig::in_memory(dots)
        }
    }
}

/// A drawer kick the printer carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kick {
    /// Connector pin, 2 or 5.
    pub pin: u8,
    /// On time in ms.
    pub on_ms: u16,
    /// Off time in ms.
    pub off_ms: u16,
}

/// One job: what came out between two cuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Sequence number (also the file name).
    pub number: u32,
    /// The printed text.
    pub text: String,
    /// Pictures (raster images and QR codes).
    pub pictures: Vec<Picture>,
    /// The PNG of the pictures, when there are any.
    pub png: Option<Vec<u8>>,
    /// The `m` of the cut that ended it; `None` when it was not ended by a cut.
    pub cut: Option<u8>,
    /// Whether it printed to the end (false when paper ran out, the cover opened, …).
    pub complete: bool,
    /// Drawer kicks sent during the job.
    pub kicks: Vec<Kick>,
}

struct Inner {
    dots: u16,
    out_dir: Option<PathBuf>,
    state: VirtualState,
    paper_left: Option<u64>,
    page: Page,
    pending: Vec<u8>,
    interrupted: bool,
    kicks: Vec<Kick>,
    all_kicks: Vec<Kick>,
    jobs: std::collections::VecDeque<Job>,
    jobs_total: usize,
    next_number: u32,
    /// The number of the last job finished (0 before the first), for the drawer log.
    last_number: u32,
    bytes_in: u64,
    write_error: Option<String>,
}

/// A virtual ESC/POS printer. Clones share the same printer (one can run it while another
/// changes its state or reads its jobs).
#[derive(Clone)]
pub struct VirtualPrinter {
    inner: Arc<(Mutex<Inner>, Condvar)>,
}

impl fmt::Debug for VirtualPrinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner.0);
        f.debug_struct("VirtualPrinter")
            .field("state", &inner.state)
            .field("jobs", &inner.jobs.len())
            .finish()
    }
}

fn next_number_in(dir: &Path) -> io::Result<u32> {
    let mut max = 0;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.split('.').next().and_then(|s| s.parse::<u32>().ok()) {
            max = max.max(n);
        }
    }
    Ok(max + 1)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

impl VirtualPrinter {
    /// A virtual printer; creates the output folder and continues its numbering.
    pub fn new(config: VirtualConfig) -> io::Result<VirtualPrinter> {
        let next_number = match &config.out_dir {
            Some(dir) => {
                fs::create_dir_all(dir)?;
                next_number_in(dir)?
            }
            None => 1,
        };
        Ok(VirtualPrinter {
            inner: Arc::new((
                Mutex::new(Inner {
                    dots: config.dots,
                    out_dir: config.out_dir,
                    state: config.state,
                    paper_left: None,
                    page: Page::new(config.dots, config.pictures),
                    pending: Vec::new(),
                    interrupted: false,
                    kicks: Vec::new(),
                    all_kicks: Vec::new(),
                    jobs: Default::default(),
                    jobs_total: 0,
                    next_number,
                    last_number: next_number.saturating_sub(1),
                    bytes_in: 0,
                    write_error: None,
                }),
                Condvar::new(),
            )),
        })
    }

    /// Gives the next job `number` (and its files `NNNN.txt`, `NNNN.png`); later jobs count on
    /// from it. A caller with its own numbering (loket's print job ids) sets it before each job, so
    /// the file a slip lands in carries the number the caller reports, and two processes printing
    /// to one folder never write the same file.
    ///
    /// ```
    /// use loket_drivers::{VirtualConfig, VirtualPrinter};
    /// let p = VirtualPrinter::new(VirtualConfig::in_memory(384)).unwrap();
    /// p.number_next_job(41);
    /// p.feed(b"slip\n\x1dV\x00");
    /// assert_eq!(p.jobs()[0].number, 41);
    /// ```
    pub fn number_next_job(&self, number: u32) {
        lock(&self.inner.0).next_number = number;
    }

    /// The current state.
    pub fn state(&self) -> VirtualState {
        lock(&self.inner.0).state
    }

    /// Changes the state now (the cover opens, paper is loaded again, …).
    pub fn set_state(&self, state: VirtualState) {
        let mut inner = lock(&self.inner.0);
        inner.state = state;
        if !state.stops_printing() {
            inner.interrupted = false;
            inner.paper_left = None;
        }
    }

    /// The paper ends after `bytes` more bytes of print data: the state then becomes
    /// [`VirtualState::PaperOut`] in the middle of whatever job is arriving.
    pub fn run_out_of_paper_after(&self, bytes: u64) {
        lock(&self.inner.0).paper_left = Some(bytes);
    }

    /// The jobs kept in memory: all of them, up to the last [`KEPT_JOBS`] (the files in the
    /// output folder keep everything).
    pub fn jobs(&self) -> Vec<Job> {
        lock(&self.inner.0).jobs.iter().cloned().collect()
    }

    /// How many jobs were printed since start.
    pub fn jobs_printed(&self) -> usize {
        lock(&self.inner.0).jobs_total
    }

    /// Every drawer kick so far, in or outside jobs.
    pub fn kicks(&self) -> Vec<Kick> {
        lock(&self.inner.0).all_kicks.clone()
    }

    /// Bytes received so far.
    pub fn bytes_received(&self) -> u64 {
        lock(&self.inner.0).bytes_in
    }

    /// The last error writing a job file, if any (the printer keeps running without its files).
    pub fn write_error(&self) -> Option<String> {
        lock(&self.inner.0).write_error.clone()
    }

    /// Waits until at least `count` jobs were printed or `timeout` passes; returns the jobs kept.
    pub fn wait_for_jobs(&self, count: usize, timeout: Duration) -> Vec<Job> {
        let deadline = Instant::now() + timeout;
        let (mutex, cond) = &*self.inner;
        let mut inner = lock(mutex);
        while inner.jobs_total < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            inner = cond
                .wait_timeout(inner, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        inner.jobs.iter().cloned().collect()
    }

    /// Feeds received bytes through the interpreter; returns the bytes to send back.
    pub fn feed(&self, bytes: &[u8]) -> Vec<u8> {
        let (mutex, cond) = &*self.inner;
        let mut inner = lock(mutex);
        let before = inner.jobs_total;
        let replies = inner.feed(bytes);
        if inner.jobs_total != before {
            cond.notify_all();
        }
        replies
    }

    /// The sender went away: a job without a closing cut (printers without a cutter) is
    /// written as it is.
    pub fn end_of_stream(&self) {
        let (mutex, cond) = &*self.inner;
        let mut inner = lock(mutex);
        inner.pending.clear();
        if inner.page.has_content() && !inner.state.stops_printing() {
            inner.finish_job(None, true, None);
            cond.notify_all();
        }
    }
}

impl Inner {
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.bytes_in += bytes.len() as u64;
        if self.state == VirtualState::Unresponsive {
            return Vec::new();
        }
        self.pending.extend_from_slice(bytes);
        let pending = std::mem::take(&mut self.pending);
        let mut replies = Vec::new();
        let mut at = 0;
        while at < pending.len() {
            let Some((cmd, len)) = parse(&pending[at..]) else {
                break;
            };
            at += len;
            if cmd.is_real_time() {
                self.real_time(&cmd, &mut replies);
                continue;
            }
            if let Some(left) = self.paper_left {
                let len = len as u64;
                if left < len {
                    self.paper_left = None;
                    self.state = VirtualState::PaperOut;
                } else {
                    self.paper_left = Some(left - len);
                }
            }
            if self.state.stops_printing() {
                if !self.interrupted && self.page.has_content() {
                    let marker = self.state.marker();
                    self.finish_job(None, false, Some(marker));
                }
                self.interrupted = true;
                continue;
            }
            match cmd {
                Cmd::Cut { m } => self.finish_job(Some(m), true, None),
                Cmd::DrawerKick { m, t1, t2 } => self.kick(Kick {
                    pin: if m & 1 == 1 { 5 } else { 2 },
                    on_ms: u16::from(t1) * 2,
                    off_ms: u16::from(t2) * 2,
                }),
                Cmd::TransmitStatus(n) => replies.push(self.state.transmit_status_reply(n)),
                other => self.page.apply(&other),
            }
        }
        self.pending = pending[at..].to_vec();
        replies
    }

    fn real_time(&mut self, cmd: &Cmd<'_>, replies: &mut Vec<u8>) {
        match cmd {
            Cmd::StatusRequest(n) => replies.push(self.state.status_reply(*n)),
            Cmd::RealTimeKick { m, t } => self.kick(Kick {
                pin: if m & 1 == 1 { 5 } else { 2 },
                on_ms: u16::from(*t) * 100,
                off_ms: u16::from(*t) * 100,
            }),
            _ => {}
        }
    }

    fn kick(&mut self, kick: Kick) {
        self.kicks.push(kick);
        self.all_kicks.push(kick);
        if let Some(dir) = &self.out_dir {
            use std::io::Write as _;
            let line = format!(
                "kick pin {} on {} ms off {} ms after job {}\n",
                kick.pin, kick.on_ms, kick.off_ms, self.last_number
            );
            let result = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("drawer.log"))
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if let Err(e) = result {
                self.write_error = Some(format!("could not append drawer.log: {e}"));
            }
        }
    }

    fn finish_job(&mut self, cut: Option<u8>, complete: bool, marker: Option<&str>) {
        let rendered = self.page.take_job(complete, marker);
        let kicks = std::mem::take(&mut self.kicks);
        if rendered.text.is_empty() && rendered.pictures.is_empty() {
            // A cut with nothing printed (a bare cut command) is not a job.
            return;
        }
        let png = if rendered.pictures.is_empty() {
            None
        } else {
            match render_png(&rendered.pictures, self.dots) {
                Ok(png) => Some(png),
                Err(e) => {
                    self.write_error = Some(format!("could not encode png: {e}"));
                    None
                }
            }
        };
        let job = Job {
            number: self.next_number,
            text: rendered.text,
            pictures: rendered.pictures,
            png,
            cut,
            complete,
            kicks,
        };
        self.last_number = job.number;
        self.next_number = job.number.saturating_add(1);
        if let Some(dir) = &self.out_dir {
            let base = dir.join(format!("{:04}", job.number));
            let mut result = write_atomically(&base.with_extension("txt"), job.text.as_bytes());
            if let (Ok(()), Some(png)) = (&result, &job.png) {
                result = write_atomically(&base.with_extension("png"), png);
            }
            if let Err(e) = result {
                self.write_error = Some(format!("could not write job {}: {e}", job.number));
            }
        }
        if self.jobs.len() == KEPT_JOBS {
            self.jobs.pop_front();
        }
        self.jobs.push_back(job);
        self.jobs_total += 1;
    }
}

/// The in-process link to a [`VirtualPrinter`]: the default device when no hardware is configured.
#[derive(Debug, Clone)]
pub struct VirtualTransport {
    printer: VirtualPrinter,
    replies: std::collections::VecDeque<u8>,
}

impl VirtualTransport {
    /// A link to `printer`.
    pub fn new(printer: VirtualPrinter) -> VirtualTransport {
        VirtualTransport {
            printer,
            replies: Default::default(),
        }
    }
}

impl Transport for VirtualTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let replies = self.printer.feed(data);
        self.replies.extend(replies);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        // Replies are produced synchronously by `write_all`: none now means none ever.
        if self.replies.is_empty() {
            return Err(TransportError::Timeout);
        }
        let n = buf.len().min(self.replies.len());
        for (slot, b) in buf.iter_mut().zip(self.replies.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }

    fn drain(&mut self) -> Result<usize, TransportError> {
        let n = self.replies.len();
        self.replies.clear();
        Ok(n)
    }

    fn describe(&self) -> String {
        "virtual printer".into()
    }
}

/// Interprets a file of captured ESC/POS (a print-to-file sink) and returns its jobs; with an
/// output folder in `config`, they are written there too.
pub fn interpret_file(path: &Path, config: VirtualConfig) -> io::Result<Vec<Job>> {
    let bytes = fs::read(path)?;
    let vp = VirtualPrinter::new(config)?;
    vp.feed(&bytes);
    vp.end_of_stream();
    Ok(vp.jobs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICKET: &[u8] = b"\x1b@\x1bt\x13\x1ba\x01A-007\n\x1bp\x00\x19\xfa\x1bd\x03\x1dVB\x00";

    #[test]
    fn jobs_split_at_cuts_and_number_on_from_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("0041.txt"), "older job").expect("seed");
        let vp = VirtualPrinter::new(VirtualConfig::writing_to(384, dir.path())).expect("creates");
        vp.feed(&[TICKET, TICKET].concat());
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].number, 42);
        assert_eq!(jobs[0].text, format!("{}A-007\n", " ".repeat(13)));
        assert_eq!(jobs[0].cut, Some(66));
        assert_eq!(
            jobs[0].kicks,
            [Kick {
                pin: 2,
                on_ms: 50,
                off_ms: 500
            }]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("0043.txt")).expect("written"),
            jobs[1].text
        );
        let log = fs::read_to_string(dir.path().join("drawer.log")).expect("drawer log");
        assert_eq!(log.lines().count(), 2);
    }

    #[test]
    fn status_follows_the_state_and_bytes_may_arrive_split() {
        let vp = VirtualPrinter::new(VirtualConfig::in_memory(576)).expect("creates");
        assert_eq!(vp.feed(b"\x10"), b"");
        assert_eq!(vp.feed(b"\x04"), b"");
        assert_eq!(vp.feed(b"\x01\x10\x04\x02\x10\x04\x04"), [0x16, 0x12, 0x12]);
        vp.set_state(VirtualState::CoverOpen);
        assert_eq!(
            vp.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"),
            [0x1E, 0x16, 0x12]
        );
        vp.set_state(VirtualState::PaperOut);
        assert_eq!(
            vp.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"),
            [0x1E, 0x32, 0x72]
        );
        vp.set_state(VirtualState::PaperNearEnd);
        assert_eq!(
            vp.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04\x1dr\x01"),
            [0x16, 0x12, 0x1E, 0x03]
        );
        vp.set_state(VirtualState::Unresponsive);
        assert_eq!(vp.feed(b"\x10\x04\x01"), b"");
        for s in VirtualState::ALL {
            for n in [1, 2, 3, 4] {
                assert!(crate::status::is_status_reply(s.status_reply(n)), "{s} {n}");
            }
        }
    }

    #[test]
    fn paper_running_out_mid_job_cuts_the_job_short() {
        let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).expect("creates");
        let job = b"\x1b@line one\nline two\nline three\n\x1dVB\x00";
        vp.run_out_of_paper_after(22);
        let replies = vp.feed(job);
        assert!(replies.is_empty());
        assert_eq!(vp.state(), VirtualState::PaperOut);
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].text, "line one\nline two\n[KERTAS HABIS]\n");
        assert!(!jobs[0].complete);
        // Status still answers; after new paper the next job prints whole.
        assert_eq!(vp.feed(b"\x10\x04\x04"), [0x72]);
        vp.set_state(VirtualState::Ok);
        vp.feed(job);
        assert_eq!(vp.jobs()[1].text, "line one\nline two\nline three\n");
    }

    #[test]
    fn state_names_parse() {
        for s in VirtualState::ALL {
            assert_eq!(s.name().parse::<VirtualState>(), Ok(s));
        }
        assert!("jammed".parse::<VirtualState>().is_err());
    }
}
