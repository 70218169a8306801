//! Printer status: `DLE EOT n` requests and pure decoding of the replies and of USB port status.

use serde::{Deserialize, Serialize};

/// `DLE EOT n`: real-time status request.
pub fn status_request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// The requests loket sends before and after each job: printer (1), offline cause (2), paper (4).
pub const STATUS_REQUESTS: [u8; 3] = [1, 2, 4];

/// Whether `byte` has the fixed bits of a `DLE EOT` reply: `0xx1xx10`.
///
/// ```
/// use loket_drivers::is_status_reply;
/// assert!(is_status_reply(0x16));
/// assert!(is_status_reply(0x12));
/// assert!(!is_status_reply(0x11)); // XON
/// assert!(!is_status_reply(0x92));
/// ```
pub fn is_status_reply(byte: u8) -> bool {
    byte & 0b1001_0011 == 0b0001_0010
}

/// A reply byte that does not follow `0xx1xx10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("status reply {byte:#04x} to dle eot {request} does not match 0xx1xx10")]
pub struct BadStatusByte {
    /// The `n` of the request.
    pub request: u8,
    /// What came back.
    pub byte: u8,
}

/// The three raw replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawStatus {
    /// Reply to `DLE EOT 1`.
    pub printer: u8,
    /// Reply to `DLE EOT 2`.
    pub offline_cause: u8,
    /// Reply to `DLE EOT 4`.
    pub paper: u8,
}

/// What the printer reported, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrinterStatus {
    /// Not offline.
    pub online: bool,
    /// The cover is open.
    pub cover_open: bool,
    /// The paper has run out (or printing stopped because of it).
    pub paper_out: bool,
    /// The roll is nearly used up; printing still works.
    pub paper_near_end: bool,
    /// An error (cutter jam, head overheat, …) stopped the printer.
    pub error: bool,
    /// The feed button is held.
    pub feed_button: bool,
    /// Drawer-kick connector pin 3 is high (meaning depends on the drawer).
    pub drawer_pin3: bool,
}

/// A condition that stops printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    /// The cover is open.
    CoverOpen,
    /// No paper.
    PaperOut,
    /// Offline for another reason (error, feed button, switched off-line).
    Offline,
}

impl PrinterStatus {
    /// A healthy printer.
    pub const OK: PrinterStatus = PrinterStatus {
        online: true,
        cover_open: false,
        paper_out: false,
        paper_near_end: false,
        error: false,
        feed_button: false,
        drawer_pin3: false,
    };

    /// What stops printing, most actionable first: a cover to close before paper to load.
    pub fn problem(&self) -> Option<Problem> {
        if self.cover_open {
            Some(Problem::CoverOpen)
        } else if self.paper_out {
            Some(Problem::PaperOut)
        } else if !self.online || self.error {
            Some(Problem::Offline)
        } else {
            None
        }
    }
}

/// Decodes the replies to `DLE EOT 1, 2, 4` (Epson TM and compatibles):
/// - 1: bit 2 drawer pin 3, bit 3 offline;
/// - 2: bit 2 cover open, bit 3 feed button, bit 5 stopped for paper end, bit 6 error;
/// - 4: bits 2–3 paper near end, bits 5–6 paper end.
///
/// ```
/// use loket_drivers::{decode_status, RawStatus, Problem};
/// let s = decode_status(RawStatus { printer: 0x1E, offline_cause: 0x32, paper: 0x72 }).unwrap();
/// assert!(s.paper_out && !s.online);
/// assert_eq!(s.problem(), Some(Problem::PaperOut));
/// ```
pub fn decode_status(raw: RawStatus) -> Result<PrinterStatus, BadStatusByte> {
    for (request, byte) in [(1, raw.printer), (2, raw.offline_cause), (4, raw.paper)] {
        if !is_status_reply(byte) {
            return Err(BadStatusByte { request, byte });
        }
    }
    Ok(PrinterStatus {
        online: raw.printer & 0x08 == 0,
        drawer_pin3: raw.printer & 0x04 != 0,
        cover_open: raw.offline_cause & 0x04 != 0,
        feed_button: raw.offline_cause & 0x08 != 0,
        error: raw.offline_cause & 0x40 != 0,
        paper_out: raw.offline_cause & 0x20 != 0 || raw.paper & 0x60 != 0,
        paper_near_end: raw.paper & 0x0C != 0,
    })
}

/// Decodes the USB printer-class GET_PORT_STATUS byte (bit 5 paper empty, bit 4 selected,
/// bit 3 not error). It cannot tell an open cover from other errors, so those come out as offline.
///
/// ```
/// use loket_drivers::{decode_port_status, Problem};
/// assert_eq!(decode_port_status(0x18).problem(), None);
/// assert_eq!(decode_port_status(0x38).problem(), Some(Problem::PaperOut));
/// assert_eq!(decode_port_status(0x10).problem(), Some(Problem::Offline));
/// ```
pub fn decode_port_status(byte: u8) -> PrinterStatus {
    PrinterStatus {
        online: byte & 0x10 != 0,
        paper_out: byte & 0x20 != 0,
        error: byte & 0x08 == 0,
        ..PrinterStatus::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(printer: u8, offline_cause: u8, paper: u8, problem: Option<Problem>, near_end: bool) {
        let raw = RawStatus {
            printer,
            offline_cause,
            paper,
        };
        let s = decode_status(raw).expect("valid bytes");
        assert_eq!(s.problem(), problem, "{raw:x?} → {s:?}");
        assert_eq!(s.paper_near_end, near_end, "{raw:x?}");
    }

    #[test]
    fn decoding_table() {
        check(0x16, 0x12, 0x12, None, false);
        check(0x12, 0x12, 0x12, None, false);
        check(0x16, 0x12, 0x1E, None, true);
        // Paper out: offline, paper-end stop, paper-end sensor (some printers add near-end too).
        check(0x1E, 0x32, 0x72, Some(Problem::PaperOut), false);
        check(0x1E, 0x32, 0x7E, Some(Problem::PaperOut), true);
        // Cover open wins over paper out: it has to be closed first anyway.
        check(0x1E, 0x36, 0x72, Some(Problem::CoverOpen), false);
        check(0x1E, 0x16, 0x12, Some(Problem::CoverOpen), false);
        // Offline with an error (cutter jam) and with the feed button held.
        check(0x1E, 0x52, 0x12, Some(Problem::Offline), false);
        check(0x1E, 0x1A, 0x12, Some(Problem::Offline), false);
        // Drawer pin 3 does not make a problem.
        check(0x16 | 0x04, 0x12, 0x12, None, false);
    }

    #[test]
    fn bytes_outside_the_pattern_are_rejected() {
        let bad = RawStatus {
            printer: 0x16,
            offline_cause: 0x13, // XOFF
            paper: 0x12,
        };
        assert_eq!(
            decode_status(bad),
            Err(BadStatusByte {
                request: 2,
                byte: 0x13
            })
        );
        for b in [0x00, 0x11, 0x13, 0x80 | 0x12, 0x10, 0x02, 0x17] {
            assert!(!is_status_reply(b), "{b:#04x}");
        }
        for b in [0x12, 0x16, 0x1E, 0x32, 0x72, 0x7E, 0x52] {
            assert!(is_status_reply(b), "{b:#04x}");
        }
    }

    #[test]
    fn requests_are_three_bytes() {
        assert_eq!(status_request(4), [0x10, 0x04, 0x04]);
    }
}
