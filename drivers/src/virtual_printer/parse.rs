//! Splits a byte stream into ESC/POS commands; pure, works on whatever prefix has arrived.

/// One ESC/POS command, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd<'a> {
    /// Printable bytes (0x20 and above).
    Text(&'a [u8]),
    /// LF: print the line.
    LineFeed,
    /// HT.
    Tab,
    /// `ESC @`.
    Init,
    /// `ESC t n`.
    CodePage(u8),
    /// `ESC E n`.
    Bold(bool),
    /// `ESC ! n`.
    PrintMode(u8),
    /// `ESC a n`.
    Justify(u8),
    /// `ESC d n`.
    FeedLines(u8),
    /// `ESC J n`: print and feed dots.
    FeedDots,
    /// `ESC p m t1 t2`.
    DrawerKick {
        /// Pin selector m.
        m: u8,
        /// On time.
        t1: u8,
        /// Off time.
        t2: u8,
    },
    /// `DLE DC4 1 m t`: real-time drawer pulse.
    RealTimeKick {
        /// Pin selector m.
        m: u8,
        /// Pulse time.
        t: u8,
    },
    /// `GS ! n`.
    Size(u8),
    /// `GS L nL nH`.
    LeftMargin(u16),
    /// `GS W nL nH`.
    AreaWidth(u16),
    /// `GS v 0 m xL xH yL yH d…`.
    Raster {
        /// Bytes per row.
        row_bytes: u16,
        /// Rows.
        rows: u16,
        /// Packed rows.
        data: &'a [u8],
    },
    /// `GS ( k` for QR (cn = 49): function and its parameters.
    Qr {
        /// Function number (65 model, 67 size, 69 level, 80 store, 81 print).
        function: u8,
        /// Bytes after the function number.
        params: &'a [u8],
    },
    /// `GS V m [n]`.
    Cut {
        /// Mode m.
        m: u8,
    },
    /// `DLE EOT n`: real-time status.
    StatusRequest(u8),
    /// `GS r n`: status after preceding data.
    TransmitStatus(u8),
    /// A known command without effect on the virtual printer.
    Ignored,
    /// A command the virtual printer does not know; it skipped `ESC`/`GS`/`FS` and the next byte.
    Unknown(u8, u8),
}

impl Cmd<'_> {
    /// Real-time commands are carried out even while the printer is stopped.
    pub fn is_real_time(&self) -> bool {
        matches!(self, Cmd::StatusRequest(_) | Cmd::RealTimeKick { .. })
    }
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const DLE: u8 = 0x10;
const FS: u8 = 0x1C;

/// Parses the command at the start of `buf`: `Some((command, length))`, or `None` when `buf`
/// holds only the beginning of a command (wait for more bytes). `buf` must not be empty.
pub fn parse(buf: &[u8]) -> Option<(Cmd<'_>, usize)> {
    let b0 = *buf.first()?;
    let at = |i: usize| buf.get(i).copied();
    let need = |n: usize| (buf.len() >= n).then_some(());
    Some(match b0 {
        0x20..=0xFF => {
            let n = buf.iter().position(|b| *b < 0x20).unwrap_or(buf.len());
            (Cmd::Text(&buf[..n]), n)
        }
        b'\n' => (Cmd::LineFeed, 1),
        b'\t' => (Cmd::Tab, 1),
        ESC => {
            let b1 = at(1)?;
            match b1 {
                b'@' => (Cmd::Init, 2),
                b't' => (Cmd::CodePage(at(2)?), 3),
                b'E' => (Cmd::Bold(at(2)? & 1 == 1), 3),
                b'!' => (Cmd::PrintMode(at(2)?), 3),
                b'a' => (Cmd::Justify(at(2)?), 3),
                b'd' => (Cmd::FeedLines(at(2)?), 3),
                b'J' => {
                    need(3)?;
                    (Cmd::FeedDots, 3)
                }
                b'p' => {
                    need(5)?;
                    (
                        Cmd::DrawerKick {
                            m: buf[2],
                            t1: buf[3],
                            t2: buf[4],
                        },
                        5,
                    )
                }
                b'2' | b'<' => (Cmd::Ignored, 2),
                b'-' | b'G' | b'M' | b'R' | b'V' | b'{' | b'3' | b'=' | b' ' | b'U' | b'r' => {
                    need(3)?;
                    (Cmd::Ignored, 3)
                }
                b'c' => {
                    need(4)?;
                    (Cmd::Ignored, 4)
                }
                b'$' | b'\\' => {
                    need(4)?;
                    (Cmd::Ignored, 4)
                }
                b'D' => {
                    // Tab stops, up to NUL.
                    let end = buf[2..].iter().position(|b| *b == 0)?;
                    (Cmd::Ignored, 2 + end + 1)
                }
                b'*' => {
                    // Column bit image: m nL nH, then width × (1 or 3) bytes.
                    need(5)?;
                    let width = usize::from(u16::from_le_bytes([buf[3], buf[4]]));
                    let per_column = if buf[2] >= 32 { 3 } else { 1 };
                    let len = 5 + width * per_column;
                    need(len)?;
                    (Cmd::Ignored, len)
                }
                other => (Cmd::Unknown(ESC, other), 2),
            }
        }
        GS => {
            let b1 = at(1)?;
            match b1 {
                b'!' => (Cmd::Size(at(2)?), 3),
                b'L' => {
                    need(4)?;
                    (Cmd::LeftMargin(u16::from_le_bytes([buf[2], buf[3]])), 4)
                }
                b'W' => {
                    need(4)?;
                    (Cmd::AreaWidth(u16::from_le_bytes([buf[2], buf[3]])), 4)
                }
                b'V' => {
                    let m = at(2)?;
                    if m >= 65 {
                        need(4)?;
                        (Cmd::Cut { m }, 4)
                    } else {
                        (Cmd::Cut { m }, 3)
                    }
                }
                b'v' => {
                    // GS v 0 m xL xH yL yH d…
                    need(8)?;
                    let row_bytes = u16::from_le_bytes([buf[4], buf[5]]);
                    let rows = u16::from_le_bytes([buf[6], buf[7]]);
                    let len = 8 + usize::from(row_bytes) * usize::from(rows);
                    need(len)?;
                    (
                        Cmd::Raster {
                            row_bytes,
                            rows,
                            data: &buf[8..len],
                        },
                        len,
                    )
                }
                b'(' => {
                    // GS ( fn pL pH …: the length covers everything after pH.
                    need(5)?;
                    let len = 5 + usize::from(u16::from_le_bytes([buf[3], buf[4]]));
                    need(len)?;
                    if buf[2] == b'k' && len >= 7 && buf[5] == 49 {
                        (
                            Cmd::Qr {
                                function: buf[6],
                                params: &buf[7..len],
                            },
                            len,
                        )
                    } else {
                        (Cmd::Ignored, len)
                    }
                }
                b'r' => (Cmd::TransmitStatus(at(2)?), 3),
                b'B' | b'H' | b'h' | b'w' | b'f' | b'a' | b'b' | b'I' | b'/' | b'E' => {
                    need(3)?;
                    (Cmd::Ignored, 3)
                }
                b'P' => {
                    need(4)?;
                    (Cmd::Ignored, 4)
                }
                b'k' => {
                    // Barcodes: m 0..6 data up to NUL; m 65.. n data.
                    let m = at(2)?;
                    if m <= 6 {
                        let end = buf[3..].iter().position(|b| *b == 0)?;
                        (Cmd::Ignored, 3 + end + 1)
                    } else {
                        let n = usize::from(at(3)?);
                        need(4 + n)?;
                        (Cmd::Ignored, 4 + n)
                    }
                }
                other => (Cmd::Unknown(GS, other), 2),
            }
        }
        DLE => {
            let b1 = at(1)?;
            match b1 {
                0x04 => {
                    let n = at(2)?;
                    if n == 7 || n == 8 || n == 18 {
                        need(4)?;
                        (Cmd::Ignored, 4)
                    } else {
                        (Cmd::StatusRequest(n), 3)
                    }
                }
                0x05 => {
                    need(3)?;
                    (Cmd::Ignored, 3)
                }
                0x14 => {
                    let f = at(2)?;
                    match f {
                        1 => {
                            need(5)?;
                            (
                                Cmd::RealTimeKick {
                                    m: buf[3],
                                    t: buf[4],
                                },
                                5,
                            )
                        }
                        8 => {
                            need(10)?;
                            (Cmd::Ignored, 10)
                        }
                        _ => {
                            need(5)?;
                            (Cmd::Ignored, 5)
                        }
                    }
                }
                // A lone DLE is just a control byte.
                _ => (Cmd::Ignored, 1),
            }
        }
        FS => {
            let b1 = at(1)?;
            match b1 {
                b'.' | b'&' => (Cmd::Ignored, 2),
                b'!' | b'C' | b'-' => {
                    need(3)?;
                    (Cmd::Ignored, 3)
                }
                b'p' => {
                    need(4)?;
                    (Cmd::Ignored, 4)
                }
                other => (Cmd::Unknown(FS, other), 2),
            }
        }
        // CR and the other control bytes do nothing here.
        _ => (Cmd::Ignored, 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], cmd: Cmd<'_>, len: usize) {
        assert_eq!(parse(bytes), Some((cmd, len)), "{bytes:02x?}");
        // Every strict prefix is incomplete (except for text, which can be cut anywhere).
        if !matches!(parse(bytes), Some((Cmd::Text(_), _))) {
            for cut in 1..len {
                assert_eq!(parse(&bytes[..cut]), None, "prefix {cut} of {bytes:02x?}");
            }
        }
    }

    #[test]
    fn commands() {
        check(b"AB\n", Cmd::Text(b"AB"), 2);
        check(b"\n", Cmd::LineFeed, 1);
        check(b"\x1b@", Cmd::Init, 2);
        check(b"\x1bt\x13", Cmd::CodePage(19), 3);
        check(b"\x1bE\x01", Cmd::Bold(true), 3);
        check(b"\x1ba\x01", Cmd::Justify(1), 3);
        check(b"\x1bd\x03", Cmd::FeedLines(3), 3);
        check(
            b"\x1bp\x00\x19\xfa",
            Cmd::DrawerKick {
                m: 0,
                t1: 25,
                t2: 250,
            },
            5,
        );
        check(b"\x10\x14\x01\x00\x05", Cmd::RealTimeKick { m: 0, t: 5 }, 5);
        check(b"\x1d!\x33", Cmd::Size(0x33), 3);
        check(b"\x1dL\x24\x00", Cmd::LeftMargin(36), 4);
        check(b"\x1dW\xf8\x01", Cmd::AreaWidth(504), 4);
        check(b"\x1dVB\x00", Cmd::Cut { m: 66 }, 4);
        check(b"\x1dV\x01", Cmd::Cut { m: 1 }, 3);
        check(b"\x10\x04\x04", Cmd::StatusRequest(4), 3);
        check(b"\x1dr\x01", Cmd::TransmitStatus(1), 3);
        check(
            b"\x1dv0\x00\x01\x00\x02\x00\xff\x81",
            Cmd::Raster {
                row_bytes: 1,
                rows: 2,
                data: &[0xff, 0x81],
            },
            10,
        );
        check(
            b"\x1d(k\x04\x001A2\x00",
            Cmd::Qr {
                function: 65,
                params: &[50, 0],
            },
            9,
        );
        check(
            b"\x1d(k\x05\x001P0AB",
            Cmd::Qr {
                function: 80,
                params: b"0AB",
            },
            10,
        );
        check(b"\x1d(L\x02\x0001", Cmd::Ignored, 7);
        check(b"\x1bD\x08\x10\x00", Cmd::Ignored, 5);
        check(b"\x1dk\x04ABC\x00", Cmd::Ignored, 7);
        check(b"\x1dkI\x03ABC", Cmd::Ignored, 7);
        check(b"\x1b*\x21\x02\x00abcdef", Cmd::Ignored, 11);
        check(b"\x1b\x7f", Cmd::Unknown(0x1B, 0x7F), 2);
        check(b"\r", Cmd::Ignored, 1);
    }

    #[test]
    fn real_time_commands_are_marked() {
        assert!(Cmd::StatusRequest(1).is_real_time());
        assert!(!Cmd::Cut { m: 66 }.is_real_time());
    }
}
