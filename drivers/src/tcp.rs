//! TCP transport for network printers (raw port 9100), with connect, write and read timeouts.

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::transport::{Transport, TransportError, read_io, write_all_io};

fn default_port() -> u16 {
    9100
}
fn default_connect_timeout_ms() -> u64 {
    3000
}
fn default_write_timeout_ms() -> u64 {
    5000
}

/// Where a network printer listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSettings {
    /// Host name or address.
    pub host: String,
    /// Port, 9100 by default.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Connect timeout.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long a write may make no progress.
    #[serde(default = "default_write_timeout_ms")]
    pub write_timeout_ms: u64,
}

impl TcpSettings {
    /// `host` on port 9100 with default timeouts.
    pub fn new(host: impl Into<String>) -> TcpSettings {
        TcpSettings {
            host: host.into(),
            port: default_port(),
            connect_timeout_ms: default_connect_timeout_ms(),
            write_timeout_ms: default_write_timeout_ms(),
        }
    }
}

/// A TCP connection to a printer.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    settings: TcpSettings,
    peer: String,
}

impl TcpTransport {
    /// Resolves the host and connects to the first address that answers in time.
    pub fn connect(settings: &TcpSettings) -> Result<TcpTransport, TransportError> {
        let addrs = (settings.host.as_str(), settings.port)
            .to_socket_addrs()
            .map_err(|_| TransportError::NoDevice)?;
        let timeout = Duration::from_millis(settings.connect_timeout_ms.max(1));
        let mut last = TransportError::NoDevice;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    // Status requests are three bytes: send them now, not after 40 ms of Nagle.
                    stream.set_nodelay(true)?;
                    return Ok(TcpTransport {
                        stream,
                        settings: settings.clone(),
                        peer: addr.to_string(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    last = TransportError::NoDevice
                }
                Err(e) => last = e.into(),
            }
        }
        Err(last)
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        // Tell the printer the job is over; it may already be gone, which is fine.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let timeout = Duration::from_millis(self.settings.write_timeout_ms.max(1));
        self.stream.set_write_timeout(Some(timeout))?;
        write_all_io(&mut self.stream, data, timeout)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        read_io(&mut self.stream, buf)
    }

    fn drain(&mut self) -> Result<usize, TransportError> {
        // Take only what is already here: waiting for more would cost every status read a delay.
        self.stream.set_nonblocking(true)?;
        let mut dropped = 0;
        let mut buf = [0u8; 256];
        let result = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break Err(TransportError::Disconnected),
                Ok(n) => dropped += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(dropped),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e.into()),
            }
        };
        self.stream.set_nonblocking(false)?;
        result
    }

    fn describe(&self) -> String {
        format!("tcp {}", self.peer)
    }
}
