//! End-to-end tests of loket-drivers with real parts: pseudo-terminal pairs, TCP on loopback, files.

mod dispenser;
mod file;
mod roundtrip;
mod serial;
mod tcp;

use loket_drivers::PrinterOptions;

/// A ticket-sized job as loket sends it: init, code page, centred big number, cut.
pub const JOB: &[u8] = b"\x1b@\x1bt\x13\x1ba\x01\x1bE\x01POS INDONESIA\n\x1bE\x00\x1d!\x33A-007\n\x1d!\x00Meterai\n\x1bd\x03\x1dVB\x00";

/// What the virtual printer prints for [`JOB`] on 58 mm paper.
pub fn job_text() -> String {
    format!(
        "{}POS INDONESIA\n{}A   -   0   0   7\n{}Meterai\n",
        " ".repeat(9),
        " ".repeat(6),
        " ".repeat(12)
    )
}

/// Short status timeouts keep the failure cases quick.
pub fn options() -> PrinterOptions {
    PrinterOptions {
        status_timeout_ms: 300,
        ..PrinterOptions::default()
    }
}
