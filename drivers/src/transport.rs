//! The transport trait every device link implements, its typed errors, and the in-memory transport.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Why a transport operation failed. Variants are what a caller can act on; sources are kept.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Nothing moved within the time allowed.
    #[error("timed out")]
    Timeout,
    /// The device went away (unplugged, connection closed); re-open it.
    #[error("device disconnected")]
    Disconnected,
    /// Another driver or process holds the device (usblp, CUPS, another loket).
    #[error("device busy")]
    Busy,
    /// Permission denied: a udev rule or group membership is missing.
    #[error("access denied")]
    Access,
    /// No device matches the settings.
    #[error("no such device")]
    NoDevice,
    /// This machine has no USB subsystem loket can use (no `/dev/bus/usb`).
    #[error("no usb available")]
    NoUsb(#[source] rusb::Error),
    /// The device answered something that does not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Any other USB failure.
    #[error("usb error")]
    Usb(#[source] rusb::Error),
    /// Any other serial-port failure.
    #[error("serial port error")]
    Serial(#[source] serialport::Error),
    /// Any other I/O failure.
    #[error("i/o error")]
    Io(#[source] io::Error),
}

impl TransportError {
    /// Whether re-opening the device may help (unplugged and plugged back, stale handle).
    pub fn needs_reopen(&self) -> bool {
        matches!(
            self,
            TransportError::Disconnected | TransportError::NoDevice | TransportError::Io(_)
        )
    }
}

impl From<io::Error> for TransportError {
    /// Sorts I/O errors into the variants a caller acts on.
    fn from(e: io::Error) -> Self {
        use io::ErrorKind as K;
        match e.kind() {
            K::TimedOut | K::WouldBlock => return TransportError::Timeout,
            K::BrokenPipe
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::UnexpectedEof => {
                return TransportError::Disconnected;
            }
            K::PermissionDenied => return TransportError::Access,
            K::NotFound => return TransportError::NoDevice,
            K::ResourceBusy => return TransportError::Busy,
            _ => {}
        }
        match e.raw_os_error() {
            // EIO: pty master gone or device error; ENODEV/ENXIO: unplugged USB printer (usblp).
            Some(libc::EIO) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
                TransportError::Disconnected
            }
            Some(libc::EBUSY) => TransportError::Busy,
            _ => TransportError::Io(e),
        }
    }
}

impl From<serialport::Error> for TransportError {
    fn from(e: serialport::Error) -> Self {
        match e.kind {
            serialport::ErrorKind::NoDevice => TransportError::NoDevice,
            serialport::ErrorKind::Io(kind) => {
                let mapped = TransportError::from(io::Error::new(kind, e.description.clone()));
                match mapped {
                    TransportError::Io(_) => TransportError::Serial(e),
                    other => other,
                }
            }
            _ => TransportError::Serial(e),
        }
    }
}

/// A byte link to a device: whole writes, reads with a timeout, and discarding stale input.
pub trait Transport: Send + fmt::Debug {
    /// Writes all of `data`, looping over partial writes.
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError>;

    /// Reads at least one byte into `buf`, waiting at most `timeout`; [`TransportError::Timeout`]
    /// when nothing arrived.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Discards input that is already waiting (late status replies, noise); returns how many
    /// bytes were dropped.
    fn drain(&mut self) -> Result<usize, TransportError> {
        let mut dropped = 0;
        let mut buf = [0u8; 256];
        // Bounded so a device that streams garbage cannot keep us here.
        for _ in 0..64 {
            match self.read(&mut buf, Duration::from_millis(5)) {
                Ok(n) => dropped += n,
                Err(TransportError::Timeout) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(dropped)
    }

    /// The USB printer-class port status byte (GET_PORT_STATUS), where the link has one.
    fn port_status(&mut self) -> Result<Option<u8>, TransportError> {
        Ok(None)
    }

    /// A short description for logs: `tcp 127.0.0.1:9100`, `serial /dev/ttyUSB0`.
    fn describe(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        (**self).write_all(data)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).read(buf, timeout)
    }
    fn drain(&mut self) -> Result<usize, TransportError> {
        (**self).drain()
    }
    fn port_status(&mut self) -> Result<Option<u8>, TransportError> {
        (**self).port_status()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Writes all of `data` to an `io::Write`, looping over partial writes and interruptions, and
/// giving up with [`TransportError::Timeout`] once `deadline` has passed without progress.
pub(crate) fn write_all_io<W: Write + ?Sized>(
    w: &mut W,
    mut data: &[u8],
    deadline: Duration,
) -> Result<(), TransportError> {
    let mut last_progress = Instant::now();
    while !data.is_empty() {
        match w.write(data) {
            Ok(0) => return Err(TransportError::Disconnected),
            Ok(n) => {
                data = &data[n..];
                last_progress = Instant::now();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock && last_progress.elapsed() < deadline =>
            {
                // Non-blocking device files (usblp) say "not now" while the printer is busy.
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
    match w.flush() {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Reads from an `io::Read` whose own timeout is already set; `Ok(0)` (end of stream) means the
/// peer went away.
pub(crate) fn read_io<R: Read + ?Sized>(
    r: &mut R,
    buf: &mut [u8],
) -> Result<usize, TransportError> {
    loop {
        match r.read(buf) {
            Ok(0) => return Err(TransportError::Disconnected),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind, still usable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An in-memory transport: records what is written, returns what a test queued for reading.
///
/// ```
/// use std::time::Duration;
/// use loket_drivers::{MemoryTransport, Transport, TransportError};
/// let mut t = MemoryTransport::new();
/// t.write_all(b"\x10\x04\x01").unwrap();
/// assert_eq!(t.written(), b"\x10\x04\x01");
/// t.queue_input(&[0x16]);
/// let mut buf = [0u8; 4];
/// assert_eq!(t.read(&mut buf, Duration::ZERO).unwrap(), 1);
/// assert!(matches!(t.read(&mut buf, Duration::ZERO), Err(TransportError::Timeout)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    written: Arc<Mutex<Vec<u8>>>,
    input: Arc<Mutex<VecDeque<u8>>>,
}

impl MemoryTransport {
    /// An empty transport; clones share the same buffers.
    pub fn new() -> MemoryTransport {
        MemoryTransport::default()
    }

    /// Everything written so far.
    pub fn written(&self) -> Vec<u8> {
        lock(&self.written).clone()
    }

    /// Makes `bytes` available to `read`.
    pub fn queue_input(&self, bytes: &[u8]) {
        lock(&self.input).extend(bytes);
    }
}

impl Transport for MemoryTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        lock(&self.written).extend_from_slice(data);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        let mut input = lock(&self.input);
        if input.is_empty() {
            return Err(TransportError::Timeout);
        }
        let n = buf.len().min(input.len());
        for (slot, b) in buf.iter_mut().zip(input.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `chunk` bytes per call and says WouldBlock every other call.
    struct Stingy {
        got: Vec<u8>,
        chunk: usize,
        calls: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.chunk);
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_all_io_loops_over_partial_writes() {
        let mut w = Stingy {
            got: Vec::new(),
            chunk: 3,
            calls: 0,
        };
        let data: Vec<u8> = (0..20).collect();
        write_all_io(&mut w, &data, Duration::from_secs(1)).expect("all bytes go out");
        assert_eq!(w.got, data);
        assert!(w.calls >= 7);
    }

    #[test]
    fn io_errors_become_actionable_variants() {
        let check = |e: io::Error, want: &str| {
            let got = format!("{:?}", TransportError::from(e));
            assert!(got.starts_with(want), "{got} is not {want}");
        };
        check(io::ErrorKind::TimedOut.into(), "Timeout");
        check(io::ErrorKind::BrokenPipe.into(), "Disconnected");
        check(io::Error::from_raw_os_error(libc::EIO), "Disconnected");
        check(io::Error::from_raw_os_error(libc::ENODEV), "Disconnected");
        check(io::Error::from_raw_os_error(libc::EBUSY), "Busy");
        check(io::ErrorKind::PermissionDenied.into(), "Access");
        check(io::ErrorKind::NotFound.into(), "NoDevice");
        check(io::ErrorKind::InvalidData.into(), "Io");
    }
}
