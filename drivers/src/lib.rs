//! Moves bytes to and from devices: transports, printer status, dispenser buttons, the virtual printer.
//!
//! - [`Transport`]: one small trait over USB ([`UsbTransport`]), serial ([`SerialTransport`]),
//!   TCP ([`TcpTransport`]), device files ([`FileTransport`]), memory ([`MemoryTransport`]), a
//!   scripted fake ([`ScriptedTransport`]) and the in-process virtual printer
//!   ([`VirtualTransport`]); errors are typed ([`TransportError`]).
//! - [`Printer`]: sends a job as one buffer between two status reads (`DLE EOT 1, 2, 4`), and
//!   says what happened ([`Printed`] or [`PrintError`]: paper out, cover open, offline, timeout,
//!   disconnected); it re-opens its transport after an unplug.
//! - [`dispenser`]: the button box's serial line protocol and keyboard-wedge buttons.
//! - [`VirtualPrinter`]: interprets ESC/POS into text and PNG, answers status from a state that
//!   tests (and technicians) can change while it runs; on a pty, on TCP or in process.
//!
//! This crate knows nothing of receipts or of the app: it only moves bytes.
//!
//! ```
//! use loket_drivers::{Printer, VirtualConfig, VirtualPrinter};
//! let vp = VirtualPrinter::new(VirtualConfig::in_memory(384)).unwrap();
//! let mut printer = Printer::virtual_in_process(vp.clone());
//! printer.print(b"\x1b@Halo\n\x1dVB\x00").unwrap();
//! assert_eq!(vp.jobs()[0].text, "Halo\n");
//! ```

pub mod dispenser;
mod file;
mod printer;
mod scripted;
mod serial;
mod status;
mod tcp;
mod transport;
mod usb;
mod virtual_printer;

pub use dispenser::{
    BoxMessage, ButtonEvent, ButtonSource, DispenserNotice, DispenserPort, ErrReason, KeyMap,
    LineError, LineReader, Reply, parse_line,
};
pub use file::{FileSettings, FileTransport};
pub use printer::{
    Cut, DrawerKick, PrintError, Printed, Printer, PrinterOptions, PrinterSettings, StatusMode,
    TransportFactory, Warning, read_status,
};
pub use scripted::{ReadStep, Script, ScriptedTransport, WriteStep};
pub use serial::{
    FlowControl, Parity, SerialPortSummary, SerialSettings, SerialTransport, list_serial_ports,
};
pub use status::{
    BadStatusByte, PrinterStatus, Problem, RawStatus, STATUS_REQUESTS, decode_port_status,
    decode_status, is_status_reply, status_request,
};
pub use tcp::{TcpSettings, TcpTransport};
pub use transport::{MemoryTransport, Transport, TransportError};
pub use usb::{
    EPSON_VENDOR_MODE_PID, EPSON_VID, EndpointInfo, InterfaceInfo, KNOWN_EPSON_PIDS, UsbDeviceInfo,
    UsbSelection, UsbSettings, UsbTransport, list_usb_devices, select_interface,
};
pub use virtual_printer::{
    Job, KEPT_JOBS, Kick, Picture, PtyPrinter, TcpPrinter, UnknownState, VirtualConfig,
    VirtualPrinter, VirtualSettings, VirtualState, VirtualTransport, interpret_file, serve_pty,
    serve_tcp,
};
