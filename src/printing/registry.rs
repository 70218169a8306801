//! Printers from the configuration, opened once per process and data folder and shared by every `Branch` there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use loket_drivers::{
    FileSettings, FlowControl, Parity, Printer, PrinterOptions, PrinterSettings, SerialSettings,
    TcpSettings, UsbSettings, VirtualPrinter, VirtualSettings,
};
use loket_receipts::Profile;

use super::{DeviceState, PrintingError};
use crate::config::{Config, Connection};

/// One open printer with what loket knows about it.
pub struct Slot {
    pub name: String,
    pub printer: Printer,
    pub profile: Profile,
    /// "virtual, 80mm" and the like, for the status bar.
    pub detail: String,
    /// The last state seen, and when.
    pub last: Option<(Instant, DeviceState)>,
}

impl Slot {
    /// Records what a job or pulse just observed as the printer's state, now.
    pub fn remember(&mut self, observed: &[super::Condition]) {
        let state = DeviceState::from_conditions(self.detail.clone(), observed);
        self.last = Some((Instant::now(), state));
    }
}

/// A shared open printer.
#[derive(Clone)]
pub struct PrinterHandle(Arc<Mutex<Slot>>);

impl std::fmt::Debug for PrinterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PrinterHandle")
            .field(&self.lock().name)
            .finish()
    }
}

impl PrinterHandle {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Slot> {
        // A panic while printing leaves the printer usable: the next job re-reads its status.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The virtual printer behind this printer, when it is the in-process one.
    pub fn virtual_printer(&self) -> Option<VirtualPrinter> {
        self.lock().printer.virtual_printer().cloned()
    }

    /// The receipt profile the printer uses.
    pub fn profile(&self) -> Profile {
        self.lock().profile.clone()
    }
}

type Key = (PathBuf, String);

fn registry() -> &'static Mutex<HashMap<Key, PrinterHandle>> {
    static REGISTRY: OnceLock<Mutex<HashMap<Key, PrinterHandle>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The receipt profile for a configuration name: `58mm`, `80mm` (48 columns), `80mm-42`.
pub fn profile_by_config_name(name: &str) -> Result<Profile, PrintingError> {
    let builtin = match name {
        "80mm" | "80mm-48" => "80mm-48",
        other => other,
    };
    Profile::by_name(builtin).ok_or_else(|| PrintingError::UnknownProfile(name.to_string()))
}

fn bad(name: &str, what: &str) -> PrintingError {
    PrintingError::BadPrinterConfig {
        name: name.to_string(),
        what: what.to_string(),
    }
}

/// Maps `[printers.NAME]` to the drivers' settings; relative virtual output goes under `data_dir`.
pub fn settings_of(
    config: &Config,
    data_dir: &Path,
    name: &str,
) -> Result<(PrinterSettings, PrinterOptions, Profile), PrintingError> {
    let p = config
        .printers
        .get(name)
        .ok_or_else(|| PrintingError::UnknownPrinter(name.to_string()))?;
    let profile = profile_by_config_name(&p.profile)?;
    let mut options = PrinterOptions::default();
    if let Some(ms) = p.status_timeout_ms {
        options.status_timeout_ms = ms;
    }
    let settings = match p.connection {
        Connection::Virtual => {
            let out = p
                .output
                .clone()
                .unwrap_or_else(|| PathBuf::from("printer").join(name));
            PrinterSettings::Virtual(VirtualSettings {
                out_dir: if out.is_absolute() {
                    out
                } else {
                    data_dir.join(out)
                },
                dots: profile.dots,
                state: Default::default(),
            })
        }
        Connection::Usb => PrinterSettings::Usb(UsbSettings {
            vid: p.vendor_id,
            pid: p.product_id,
            ..UsbSettings::default()
        }),
        Connection::Serial => {
            let port = p
                .port
                .clone()
                .ok_or_else(|| bad(name, crate::words::current().printer_needs_port()))?;
            let mut s = SerialSettings::new(port);
            if let Some(b) = p.baud {
                s.baud = b;
            }
            s.parity = match p.parity.as_deref() {
                None | Some("none") => Parity::None,
                Some("odd") => Parity::Odd,
                Some("even") => Parity::Even,
                Some(_) => return Err(bad(name, crate::words::current().printer_parity())),
            };
            s.flow_control = match p.flow_control.as_deref() {
                None | Some("none") => FlowControl::None,
                Some("software") => FlowControl::Software,
                Some("hardware") => FlowControl::Hardware,
                Some(_) => {
                    return Err(bad(name, crate::words::current().printer_flow_control()));
                }
            };
            PrinterSettings::Serial(s)
        }
        Connection::Tcp => {
            let address = p
                .address
                .clone()
                .ok_or_else(|| bad(name, crate::words::current().printer_needs_address()))?;
            let (host, port) = match address.rsplit_once(':') {
                Some((h, port)) if !h.is_empty() => (
                    h.to_string(),
                    port.parse::<u16>()
                        .map_err(|_| bad(name, crate::words::current().printer_address_port()))?,
                ),
                _ => (address.clone(), 9100),
            };
            let mut s = TcpSettings::new(host);
            s.port = port;
            PrinterSettings::Tcp(s)
        }
        Connection::File => {
            let path = p
                .path
                .clone()
                .ok_or_else(|| bad(name, crate::words::current().printer_needs_path()))?;
            PrinterSettings::File(FileSettings {
                path,
                write_timeout_ms: 5000,
            })
        }
    };
    Ok((settings, options, profile))
}

fn connection_name(c: Connection) -> &'static str {
    match c {
        Connection::Virtual => "virtual",
        Connection::Usb => "usb",
        Connection::Serial => "serial",
        Connection::Tcp => "tcp",
        Connection::File => "file",
    }
}

/// The open printer `name` of the branch in `data_dir`, opening it on first use.
pub fn open(config: &Config, data_dir: &Path, name: &str) -> Result<PrinterHandle, PrintingError> {
    let root = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let key = (root, name.to_string());
    let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(h) = map.get(&key) {
        return Ok(h.clone());
    }
    let (settings, options, profile) = settings_of(config, data_dir, name)?;
    let printer =
        Printer::from_settings(&settings, options).map_err(|source| PrintingError::Open {
            name: name.to_string(),
            source,
        })?;
    let connection = config
        .printers
        .get(name)
        .map(|p| connection_name(p.connection))
        .unwrap_or("?");
    let handle = PrinterHandle(Arc::new(Mutex::new(Slot {
        name: name.to_string(),
        printer,
        detail: format!("{name} ({connection}, {})", profile.name),
        profile,
        last: None,
    })));
    map.insert(key, handle.clone());
    Ok(handle)
}
