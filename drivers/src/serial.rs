//! Serial transport over `serialport` (built without libudev): line settings from a plain struct.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serialport::{ClearBuffer, SerialPort};

use crate::transport::{Transport, TransportError, read_io, write_all_io};

/// Parity bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// No parity (the usual).
    #[default]
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
}

/// Flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    /// None: only safe when the printer's buffer is larger than any job.
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS (DTR/DSR printers need a cable that maps it).
    Hardware,
}

fn default_baud() -> u32 {
    9600
}
fn default_data_bits() -> u8 {
    8
}
fn default_stop_bits() -> u8 {
    1
}
fn default_write_timeout_ms() -> u64 {
    5000
}

/// Serial line settings; they must match the printer's DIP switches or its self-test page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialSettings {
    /// Device path: `/dev/ttyUSB0`, `/dev/ttyS0`, a pty.
    pub path: String,
    /// Baud rate.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Data bits, 5 to 8.
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    /// Parity.
    #[serde(default)]
    pub parity: Parity,
    /// Stop bits, 1 or 2.
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    /// Flow control.
    #[serde(default)]
    pub flow_control: FlowControl,
    /// How long a write may make no progress before it times out.
    #[serde(default = "default_write_timeout_ms")]
    pub write_timeout_ms: u64,
}

impl SerialSettings {
    /// 9600 8N1 without flow control on `path`.
    pub fn new(path: impl Into<String>) -> SerialSettings {
        SerialSettings {
            path: path.into(),
            baud: default_baud(),
            data_bits: default_data_bits(),
            parity: Parity::None,
            stop_bits: default_stop_bits(),
            flow_control: FlowControl::None,
            write_timeout_ms: default_write_timeout_ms(),
        }
    }
}

/// A serial port.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    settings: SerialSettings,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport")
            .field("settings", &self.settings)
            .finish()
    }
}

impl SerialTransport {
    /// Opens and configures the port.
    pub fn open(settings: &SerialSettings) -> Result<SerialTransport, TransportError> {
        let data_bits = match settings.data_bits {
            5 => serialport::DataBits::Five,
            6 => serialport::DataBits::Six,
            7 => serialport::DataBits::Seven,
            8 => serialport::DataBits::Eight,
            other => {
                return Err(TransportError::Protocol(format!(
                    "unsupported data bits {other}"
                )));
            }
        };
        let stop_bits = match settings.stop_bits {
            1 => serialport::StopBits::One,
            2 => serialport::StopBits::Two,
            other => {
                return Err(TransportError::Protocol(format!(
                    "unsupported stop bits {other}"
                )));
            }
        };
        let parity = match settings.parity {
            Parity::None => serialport::Parity::None,
            Parity::Odd => serialport::Parity::Odd,
            Parity::Even => serialport::Parity::Even,
        };
        let flow = match settings.flow_control {
            FlowControl::None => serialport::FlowControl::None,
            FlowControl::Software => serialport::FlowControl::Software,
            FlowControl::Hardware => serialport::FlowControl::Hardware,
        };
        let port = serialport::new(&settings.path, settings.baud)
            .data_bits(data_bits)
            .stop_bits(stop_bits)
            .parity(parity)
            .flow_control(flow)
            .timeout(Duration::from_millis(settings.write_timeout_ms))
            .open()?;
        Ok(SerialTransport {
            port,
            settings: settings.clone(),
        })
    }

    /// Wraps an already open port (a pty from `TTYPort::pair`, for instance).
    pub fn from_port(port: Box<dyn SerialPort>, settings: SerialSettings) -> SerialTransport {
        SerialTransport { port, settings }
    }
}

/// An error from an operation on a port that was open: whatever serialport calls it (often
/// "Unknown: I/O error" for EIO), the port no longer works and must be re-opened.
fn on_open_port(e: serialport::Error) -> TransportError {
    match TransportError::from(e) {
        TransportError::Serial(_) | TransportError::NoDevice => TransportError::Disconnected,
        other => other,
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let timeout = Duration::from_millis(self.settings.write_timeout_ms);
        self.port.set_timeout(timeout).map_err(on_open_port)?;
        write_all_io(&mut self.port, data, timeout)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        // serialport treats a zero timeout as "wait forever" on some platforms: keep it positive.
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))?;
        match read_io(&mut self.port, buf) {
            // A tty read that returns nothing is a timeout, not a hang-up.
            Err(TransportError::Disconnected) => Err(TransportError::Timeout),
            other => other,
        }
    }

    fn drain(&mut self) -> Result<usize, TransportError> {
        let waiting = self.port.bytes_to_read().map_err(on_open_port)? as usize;
        self.port.clear(ClearBuffer::Input).map_err(on_open_port)?;
        Ok(waiting)
    }

    fn describe(&self) -> String {
        format!("serial {} {} baud", self.settings.path, self.settings.baud)
    }
}

/// A serial port found on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialPortSummary {
    /// Device path.
    pub path: String,
    /// `usb`, `pci`, `bluetooth` or `unknown` (without libudev, mostly `unknown`).
    pub kind: String,
}

/// Serial ports on this machine (scanned from `/sys/class/tty`).
pub fn list_serial_ports() -> Result<Vec<SerialPortSummary>, TransportError> {
    let ports = serialport::available_ports()?;
    Ok(ports
        .into_iter()
        .map(|p| SerialPortSummary {
            path: p.port_name,
            kind: match p.port_type {
                serialport::SerialPortType::UsbPort(_) => "usb",
                serialport::SerialPortType::PciPort => "pci",
                serialport::SerialPortType::BluetoothPort => "bluetooth",
                serialport::SerialPortType::Unknown => "unknown",
            }
            .into(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_ports_works_without_libudev() {
        // Scans /sys/class/tty; a container may list nothing, but the scan itself must succeed.
        let ports = list_serial_ports().expect("scan /sys/class/tty");
        assert!(
            ports.iter().all(|p| p.path.starts_with("/dev/")),
            "{ports:?}"
        );
    }
}
