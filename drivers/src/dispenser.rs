//! Ticket dispenser input: the serial line protocol of the button box, and keyboard-wedge buttons.
//!
//! # The line protocol
//!
//! A microcontroller in the dispenser sends one line per event and loket answers each button
//! with one line the box can show or speak. Lines are ASCII, end with LF, CR or CR LF, and are at
//! most [`MAX_LINE`] bytes; keywords are case-insensitive.
//!
//! | box → loket | meaning |
//! |---|---|
//! | `BTN <service> [<seq>]` | a button was pressed; `<service>` is the service code (1–8 letters or digits), `<seq>` an optional counter 0–65535 the box increases per press |
//! | `PING` | are you there? |
//! | `HELLO <text>` | the box started (firmware name and version) |
//!
//! | loket → box | meaning |
//! |---|---|
//! | `OK <ticket>` | ticket printed, for example `OK A-007` |
//! | `ERR <reason>` | no ticket: `PAPER` (printer needs attention), `CLOSED` (service closed now), `UNKNOWN` (no such service), `BUSY` (try again), `INVALID` (line not understood) |
//! | `PONG` | answer to `PING` |
//!
//! Any line may end with `*HH`, the XOR of all bytes before the `*` in two hex digits, as NMEA
//! does; a line whose checksum does not match is rejected, so line noise never prints a ticket.
//!
//! A box that gets no answer repeats the same line with the same `<seq>`. loket answers a repeat
//! with the reply it already gave, without printing a second ticket ([`DispenserPort`] does this).
//! Bytes that are not printable ASCII, and lines that are too long, are dropped up to the next
//! line end and reported as noise.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::transport::{Transport, TransportError};

/// Longest line accepted, terminator excluded.
pub const MAX_LINE: usize = 64;

/// A message from the button box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoxMessage {
    /// A button press.
    Button {
        /// Service code, upper-cased.
        service: String,
        /// The box's press counter, if it sends one.
        seq: Option<u16>,
    },
    /// Liveness check.
    Ping,
    /// The box started.
    Hello {
        /// What it says about itself.
        firmware: String,
    },
}

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Empty after trimming (a lone CR LF pair is not an error; it is skipped silently).
    #[error("empty line")]
    Empty,
    /// Longer than [`MAX_LINE`].
    #[error("line longer than {MAX_LINE} bytes")]
    TooLong,
    /// Contains bytes that are not printable ASCII.
    #[error("line contains non-printable bytes")]
    Noise,
    /// The `*HH` checksum does not match.
    #[error("checksum mismatch")]
    Checksum,
    /// Unknown keyword or wrong arguments.
    #[error("unrecognised line {0:?}")]
    Unrecognised(String),
}

/// A reply to the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Ticket printed.
    Ok {
        /// The ticket number, `A-007`.
        ticket: String,
    },
    /// No ticket.
    Err(ErrReason),
    /// Answer to `PING`.
    Pong,
}

/// Why no ticket was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrReason {
    /// The printer needs attention (paper, cover).
    Paper,
    /// The service is closed now.
    Closed,
    /// No such service.
    Unknown,
    /// Try again.
    Busy,
    /// The line was not understood.
    Invalid,
}

impl ErrReason {
    /// The word on the wire.
    pub fn token(self) -> &'static str {
        match self {
            ErrReason::Paper => "PAPER",
            ErrReason::Closed => "CLOSED",
            ErrReason::Unknown => "UNKNOWN",
            ErrReason::Busy => "BUSY",
            ErrReason::Invalid => "INVALID",
        }
    }
}

impl Reply {
    /// The line to send, with LF.
    ///
    /// ```
    /// use loket_drivers::{ErrReason, Reply};
    /// assert_eq!(Reply::Ok { ticket: "A-007".into() }.to_line(), b"OK A-007\n");
    /// assert_eq!(Reply::Err(ErrReason::Paper).to_line(), b"ERR PAPER\n");
    /// ```
    pub fn to_line(&self) -> Vec<u8> {
        let text = match self {
            Reply::Ok { ticket } => {
                // A ticket number is printable ASCII by construction; anything else is replaced
                // so the reply stays one line.
                let clean: String = ticket
                    .chars()
                    .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                    .collect();
                format!("OK {clean}")
            }
            Reply::Err(reason) => format!("ERR {}", reason.token()),
            Reply::Pong => "PONG".into(),
        };
        format!("{text}\n").into_bytes()
    }
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// Parses one line (without its terminator).
///
/// ```
/// use loket_drivers::{parse_line, BoxMessage};
/// assert_eq!(parse_line(b"btn a 17").unwrap(), BoxMessage::Button { service: "A".into(), seq: Some(17) });
/// assert_eq!(parse_line(b"BTN B*3A").unwrap(), BoxMessage::Button { service: "B".into(), seq: None });
/// assert!(parse_line(b"BTN B*3B").is_err());
/// ```
pub fn parse_line(line: &[u8]) -> Result<BoxMessage, LineError> {
    if line.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    if line
        .iter()
        .any(|b| !(0x20..0x7F).contains(b) && *b != b'\t')
    {
        return Err(LineError::Noise);
    }
    let mut body = line;
    if let Some(star) = line.iter().rposition(|b| *b == b'*') {
        let (head, tail) = (&line[..star], &line[star + 1..]);
        let hex = std::str::from_utf8(tail)
            .map_err(|_| LineError::Noise)?
            .trim();
        let want = u8::from_str_radix(hex, 16).map_err(|_| LineError::Checksum)?;
        if hex.len() != 2 || checksum(head) != want {
            return Err(LineError::Checksum);
        }
        body = head;
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| LineError::Noise)?
        .trim();
    if text.is_empty() {
        return Err(LineError::Empty);
    }
    let mut words = text.split_whitespace();
    let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
    let args: Vec<&str> = words.collect();
    let unrecognised = || LineError::Unrecognised(text.to_string());
    match (keyword.as_str(), args.as_slice()) {
        ("BTN", [service, rest @ ..]) if rest.len() <= 1 => {
            let valid = (1..=8).contains(&service.len())
                && service.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return Err(unrecognised());
            }
            let seq = match rest {
                [s] => Some(s.parse::<u16>().map_err(|_| unrecognised())?),
                _ => None,
            };
            Ok(BoxMessage::Button {
                service: service.to_ascii_uppercase(),
                seq,
            })
        }
        ("PING", []) => Ok(BoxMessage::Ping),
        ("HELLO", rest) => Ok(BoxMessage::Hello {
            firmware: rest.join(" "),
        }),
        _ => Err(unrecognised()),
    }
}

/// Collects bytes into lines, whatever chunks they arrive in.
#[derive(Debug, Default)]
pub struct LineReader {
    buf: Vec<u8>,
    overflow: bool,
}

impl LineReader {
    /// An empty reader.
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// Takes received bytes; returns every line they complete, parsed. Empty lines (the LF of
    /// a CR LF pair) are skipped.
    ///
    /// ```
    /// use loket_drivers::{BoxMessage, LineReader};
    /// let mut r = LineReader::new();
    /// assert!(r.push(b"BT").is_empty());
    /// let got = r.push(b"N A\r\nPING\n");
    /// assert_eq!(got.len(), 2);
    /// assert_eq!(got[1], Ok(BoxMessage::Ping));
    /// ```
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<BoxMessage, LineError>> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.buf);
                if std::mem::take(&mut self.overflow) {
                    out.push(Err(LineError::TooLong));
                } else if !line.is_empty() {
                    match parse_line(&line) {
                        Err(LineError::Empty) => {}
                        other => out.push(other),
                    }
                }
            } else if self.buf.len() > MAX_LINE {
                // Keep memory bounded: remember the line is bad and drop the rest of it.
                self.overflow = true;
            } else {
                self.buf.push(b);
            }
        }
        out
    }
}

/// Where a button press came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonSource {
    /// The serial button box.
    Serial,
    /// A keyboard-wedge button (USB HID box that types keys).
    Keyboard,
}

/// A button press for the queue engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonEvent {
    /// Service code.
    pub service: String,
    /// Where it came from.
    pub source: ButtonSource,
    /// The box's press counter.
    pub seq: Option<u16>,
}

/// What [`DispenserPort::poll`] saw besides button presses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispenserNotice {
    /// The box announced itself.
    Hello(String),
    /// A line was rejected (it was answered `ERR INVALID`).
    Rejected(LineError),
    /// A repeated press was answered again without a new event.
    Repeat(u16),
}

/// A serial button box: reads lines, answers `PING` and repeats by itself, hands out presses.
#[derive(Debug)]
pub struct DispenserPort<T: Transport> {
    transport: T,
    reader: LineReader,
    answered: Option<(String, u16, Reply)>,
}

impl<T: Transport> DispenserPort<T> {
    /// A box on `transport`.
    pub fn new(transport: T) -> DispenserPort<T> {
        DispenserPort {
            transport,
            reader: LineReader::new(),
            answered: None,
        }
    }

    /// Waits up to `timeout` for input; returns the new presses and any notices. The caller
    /// must [`reply`](Self::reply) to every press.
    pub fn poll(
        &mut self,
        timeout: Duration,
    ) -> Result<(Vec<ButtonEvent>, Vec<DispenserNotice>), TransportError> {
        let mut buf = [0u8; 256];
        let n = match self.transport.read(&mut buf, timeout) {
            Ok(n) => n,
            Err(TransportError::Timeout) => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(e),
        };
        let mut events = Vec::new();
        let mut notices = Vec::new();
        for message in self.reader.push(&buf[..n]) {
            match message {
                Ok(BoxMessage::Button { service, seq }) => {
                    if let (Some(seq), Some((last_service, last_seq, reply))) =
                        (seq, &self.answered)
                        && *last_seq == seq
                        && *last_service == service
                    {
                        let line = reply.to_line();
                        self.transport.write_all(&line)?;
                        notices.push(DispenserNotice::Repeat(seq));
                        continue;
                    }
                    events.push(ButtonEvent {
                        service,
                        source: ButtonSource::Serial,
                        seq,
                    });
                }
                Ok(BoxMessage::Ping) => self.transport.write_all(&Reply::Pong.to_line())?,
                Ok(BoxMessage::Hello { firmware }) => {
                    notices.push(DispenserNotice::Hello(firmware))
                }
                Err(e) => {
                    self.transport
                        .write_all(&Reply::Err(ErrReason::Invalid).to_line())?;
                    notices.push(DispenserNotice::Rejected(e));
                }
            }
        }
        Ok((events, notices))
    }

    /// Answers a press and remembers the answer for repeats of the same `seq`.
    pub fn reply(&mut self, event: &ButtonEvent, reply: &Reply) -> Result<(), TransportError> {
        self.transport.write_all(&reply.to_line())?;
        if let Some(seq) = event.seq {
            self.answered = Some((event.service.clone(), seq, reply.clone()));
        }
        Ok(())
    }

    /// The transport, for tests and diagnostics.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

/// Keyboard-wedge buttons: which key stands for which service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMap {
    keys: HashMap<String, String>,
}

/// A key map entry that does not read `KEY=SERVICE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key mapping {0:?} is not KEY=SERVICE")]
pub struct BadKeyMapping(pub String);

impl KeyMap {
    /// Parses `F1=A,F2=B,1=A`: key names as the terminal reports them (`F1`, `a`, `1`, `Enter`),
    /// compared without regard to case.
    ///
    /// ```
    /// use loket_drivers::{ButtonSource, KeyMap};
    /// let map = KeyMap::parse("F1=A, f2=b").unwrap();
    /// let e = map.event("f1").unwrap();
    /// assert_eq!((e.service.as_str(), e.source), ("A", ButtonSource::Keyboard));
    /// assert_eq!(map.event("F2").unwrap().service, "B");
    /// assert!(map.event("F3").is_none());
    /// ```
    pub fn parse(spec: &str) -> Result<KeyMap, BadKeyMapping> {
        let mut keys = HashMap::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, service) = part
                .split_once('=')
                .ok_or_else(|| BadKeyMapping(part.to_string()))?;
            let (key, service) = (key.trim(), service.trim());
            if key.is_empty()
                || service.is_empty()
                || !service.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(BadKeyMapping(part.to_string()));
            }
            keys.insert(key.to_ascii_lowercase(), service.to_ascii_uppercase());
        }
        Ok(KeyMap { keys })
    }

    /// The press a key stands for.
    pub fn event(&self, key: &str) -> Option<ButtonEvent> {
        self.keys
            .get(&key.to_ascii_lowercase())
            .map(|service| ButtonEvent {
                service: service.clone(),
                source: ButtonSource::Keyboard,
                seq: None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MemoryTransport;

    fn check(line: &[u8], want: Result<BoxMessage, LineError>) {
        assert_eq!(
            parse_line(line),
            want,
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }

    fn button(service: &str, seq: Option<u16>) -> Result<BoxMessage, LineError> {
        Ok(BoxMessage::Button {
            service: service.into(),
            seq,
        })
    }

    #[test]
    fn parsing() {
        check(b"BTN A", button("A", None));
        check(b"  btn   meterai2  65535 ", button("METERAI2", Some(65535)));
        check(
            b"BTN A 65536",
            Err(LineError::Unrecognised("BTN A 65536".into())),
        );
        check(b"BTN", Err(LineError::Unrecognised("BTN".into())));
        check(b"BTN A-1", Err(LineError::Unrecognised("BTN A-1".into())));
        check(
            b"BTN ABCDEFGHI",
            Err(LineError::Unrecognised("BTN ABCDEFGHI".into())),
        );
        check(
            b"BTN A 1 2",
            Err(LineError::Unrecognised("BTN A 1 2".into())),
        );
        check(b"PING", Ok(BoxMessage::Ping));
        check(b"ping*10", Ok(BoxMessage::Ping));
        check(b"PING*00", Err(LineError::Checksum));
        check(b"PING*1", Err(LineError::Checksum));
        check(b"PING*zz", Err(LineError::Checksum));
        check(
            b"HELLO loket-box 1.2",
            Ok(BoxMessage::Hello {
                firmware: "loket-box 1.2".into(),
            }),
        );
        check(b"BTN \xffA", Err(LineError::Noise));
        check(b"BTN \x07A", Err(LineError::Noise));
        check(&[b'A'; 65], Err(LineError::TooLong));
        check(b"   ", Err(LineError::Empty));
        check(b"PRINT A", Err(LineError::Unrecognised("PRINT A".into())));
    }

    #[test]
    fn checksum_is_xor_of_the_body() {
        let body = b"BTN A 7";
        let line = format!("BTN A 7*{:02X}", checksum(body));
        check(line.as_bytes(), button("A", Some(7)));
    }

    #[test]
    fn reader_handles_chunks_cr_lf_and_noise() {
        let mut r = LineReader::new();
        let mut got = Vec::new();
        for chunk in [
            &b"\r\nBTN"[..],
            b" A 1\r",
            b"\n\x00\x00garbage\xfe\nBT",
            b"N B 2\n",
        ] {
            got.extend(r.push(chunk));
        }
        assert_eq!(
            got,
            vec![
                button("A", Some(1)),
                Err(LineError::Noise),
                button("B", Some(2))
            ]
        );
        // An endless line is reported once, at its end, and the next line parses.
        let mut long = vec![b'X'; 500];
        long.extend_from_slice(b"\nPING\n");
        assert_eq!(
            r.push(&long),
            vec![Err(LineError::TooLong), Ok(BoxMessage::Ping)]
        );
    }

    #[test]
    fn port_answers_pings_noise_and_repeats() {
        let mem = MemoryTransport::new();
        let mut port = DispenserPort::new(mem.clone());
        mem.queue_input(b"PING\nBTN A 5\n");
        let (events, notices) = port.poll(Duration::ZERO).expect("reads");
        assert_eq!(
            events,
            [ButtonEvent {
                service: "A".into(),
                source: ButtonSource::Serial,
                seq: Some(5)
            }]
        );
        assert!(notices.is_empty());
        port.reply(
            &events[0],
            &Reply::Ok {
                ticket: "A-007".into(),
            },
        )
        .expect("answers");
        // The box did not hear us and repeats: same answer, no second ticket.
        mem.queue_input(b"BTN A 5\r\n~~\n");
        let (events, notices) = port.poll(Duration::ZERO).expect("reads");
        assert!(events.is_empty());
        assert_eq!(notices[0], DispenserNotice::Repeat(5));
        assert!(matches!(notices[1], DispenserNotice::Rejected(_)));
        assert_eq!(mem.written(), b"PONG\nOK A-007\nOK A-007\nERR INVALID\n");
        // The next press (seq 6) is new.
        mem.queue_input(b"BTN A 6\n");
        assert_eq!(port.poll(Duration::ZERO).expect("reads").0.len(), 1);
    }

    #[test]
    fn key_map_rejects_bad_entries() {
        assert!(KeyMap::parse("F1").is_err());
        assert!(KeyMap::parse("F1=").is_err());
        assert!(KeyMap::parse("F1=A-B").is_err());
        assert_eq!(KeyMap::parse("").expect("empty is fine"), KeyMap::default());
    }
}
