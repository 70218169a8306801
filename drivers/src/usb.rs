//! USB printers through rusb (libusb built from source): discovery, interface choice, claiming, bulk I/O.
//!
//! Every call goes through a `rusb::Context` created here: rusb's global helpers panic on
//! machines without `/dev/bus/usb` (containers, CI), where loket reports
//! [`TransportError::NoUsb`] instead.

use std::time::{Duration, Instant};

use rusb::{Context, Device, DeviceHandle, TransferType, UsbContext};
use serde::{Deserialize, Serialize};

use crate::transport::{Transport, TransportError};

/// USB interface class of printers.
pub const CLASS_PRINTER: u8 = 0x07;
/// Vendor-specific interface class.
pub const CLASS_VENDOR: u8 = 0xFF;
/// Seiko Epson's vendor id.
pub const EPSON_VID: u16 = 0x04B8;
/// The product id Epson TM printers use in their vendor-class USB mode.
pub const EPSON_VENDOR_MODE_PID: u16 = 0x0202;

/// Epson TM product ids in printer-class mode that loket knows by name.
pub const KNOWN_EPSON_PIDS: &[(u16, &str)] = &[
    (0x0202, "TM series (vendor-class mode)"),
    (0x0E03, "TM-T20"),
    (0x0E11, "TM-T82"),
    (0x0E15, "TM-T20II"),
    (0x0E21, "TM-T88VI"),
    (0x0E27, "TM-T20IIIL"),
    (0x0E28, "TM-T20III"),
    (0x0E2A, "TM-L100"),
];

/// One endpoint of an interface setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// Endpoint address; bit 7 set means IN.
    pub address: u8,
    /// Bulk transfer type.
    pub bulk: bool,
}

impl EndpointInfo {
    /// Device-to-host endpoint.
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }
}

/// One alternate setting of one interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceInfo {
    /// Interface number.
    pub number: u8,
    /// Alternate setting.
    pub alt: u8,
    /// Interface class (7 printer, 0xFF vendor).
    pub class: u8,
    /// Interface subclass (1 for printers).
    pub subclass: u8,
    /// Interface protocol (printers: 1 unidirectional, 2 bidirectional, 3 IEEE 1284.4).
    pub protocol: u8,
    /// Endpoints.
    pub endpoints: Vec<EndpointInfo>,
}

/// What loket knows about a USB device, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbDeviceInfo {
    /// Bus number.
    pub bus: u8,
    /// Address on the bus.
    pub address: u8,
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Interface settings of the active (or first) configuration.
    pub interfaces: Vec<InterfaceInfo>,
}

/// Which devices to use. Empty means "any printer-class device or Epson in vendor mode".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbSettings {
    /// Vendor id to match.
    #[serde(default)]
    pub vid: Option<u16>,
    /// Product id to match.
    #[serde(default)]
    pub pid: Option<u16>,
    /// Bus number to match, when two identical printers are attached.
    #[serde(default)]
    pub bus: Option<u8>,
    /// Address to match, when two identical printers are attached.
    #[serde(default)]
    pub address: Option<u8>,
    /// Bulk transfer timeout in milliseconds (0 means 5000; libusb blocks forever below 1 ms).
    #[serde(default)]
    pub timeout_ms: u64,
}

/// The interface and endpoints chosen for a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbSelection {
    /// Interface number to claim.
    pub interface: u8,
    /// Alternate setting to select.
    pub alt: u8,
    /// Bulk OUT endpoint for jobs.
    pub out_ep: u8,
    /// Bulk IN endpoint for status replies, if the interface is bidirectional.
    pub in_ep: Option<u8>,
    /// Whether this is a printer-class interface (GET_PORT_STATUS applies).
    pub printer_class: bool,
}

/// Chooses the interface to print through, or `None` when the device is not a printer loket
/// should use. Pure: the rules are tested without hardware.
///
/// - vid, pid, bus and address in `settings` must match when given;
/// - a printer-class (7) interface with a bulk OUT endpoint is preferred, bidirectional first;
/// - a vendor-class (0xFF) interface is used for Epson's vendor mode (04b8:0202) or when the
///   settings name both vid and pid;
/// - endpoints come from the descriptors (Citizen uses 0x81/0x02, others 0x82/0x01).
pub fn select_interface(dev: &UsbDeviceInfo, settings: &UsbSettings) -> Option<UsbSelection> {
    let matches = |want: Option<u16>, have: u16| want.is_none_or(|w| w == have);
    if !matches(settings.vid, dev.vid)
        || !matches(settings.pid, dev.pid)
        || !matches(settings.bus.map(u16::from), u16::from(dev.bus))
        || !matches(settings.address.map(u16::from), u16::from(dev.address))
    {
        return None;
    }
    let named = settings.vid.is_some() && settings.pid.is_some();
    let epson_vendor_mode = dev.vid == EPSON_VID && dev.pid == EPSON_VENDOR_MODE_PID;
    let endpoints = |i: &InterfaceInfo| {
        let out = i.endpoints.iter().find(|e| e.bulk && !e.is_in())?.address;
        let inp = i
            .endpoints
            .iter()
            .find(|e| e.bulk && e.is_in())
            .map(|e| e.address);
        Some((out, inp))
    };
    let mut best: Option<(u8, UsbSelection)> = None;
    for i in &dev.interfaces {
        let Some((out_ep, in_ep)) = endpoints(i) else {
            continue;
        };
        let rank = match i.class {
            CLASS_PRINTER if in_ep.is_some() => 4,
            CLASS_PRINTER => 3,
            CLASS_VENDOR if epson_vendor_mode || named => {
                if in_ep.is_some() {
                    2
                } else {
                    1
                }
            }
            _ => continue,
        };
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((
                rank,
                UsbSelection {
                    interface: i.number,
                    alt: i.alt,
                    out_ep,
                    in_ep,
                    printer_class: i.class == CLASS_PRINTER,
                },
            ));
        }
    }
    best.map(|(_, s)| s)
}

fn usb_error(e: rusb::Error) -> TransportError {
    match e {
        rusb::Error::Timeout => TransportError::Timeout,
        rusb::Error::Access => TransportError::Access,
        rusb::Error::Busy => TransportError::Busy,
        rusb::Error::NoDevice => TransportError::Disconnected,
        rusb::Error::NotFound => TransportError::NoDevice,
        other => TransportError::Usb(other),
    }
}

fn context() -> Result<Context, TransportError> {
    Context::new().map_err(TransportError::NoUsb)
}

fn device_info<T: UsbContext>(device: &Device<T>) -> Result<UsbDeviceInfo, rusb::Error> {
    let desc = device.device_descriptor()?;
    let config = device
        .active_config_descriptor()
        .or_else(|_| device.config_descriptor(0))?;
    let mut interfaces = Vec::new();
    for interface in config.interfaces() {
        for d in interface.descriptors() {
            interfaces.push(InterfaceInfo {
                number: d.interface_number(),
                alt: d.setting_number(),
                class: d.class_code(),
                subclass: d.sub_class_code(),
                protocol: d.protocol_code(),
                endpoints: d
                    .endpoint_descriptors()
                    .map(|e| EndpointInfo {
                        address: e.address(),
                        bulk: e.transfer_type() == TransferType::Bulk,
                    })
                    .collect(),
            });
        }
    }
    Ok(UsbDeviceInfo {
        bus: device.bus_number(),
        address: device.address(),
        vid: desc.vendor_id(),
        pid: desc.product_id(),
        interfaces,
    })
}

/// Every USB device on this machine, with its interfaces; [`TransportError::NoUsb`] where the
/// machine has no USB subsystem. Use [`select_interface`] to see which ones loket would print to.
pub fn list_usb_devices() -> Result<Vec<UsbDeviceInfo>, TransportError> {
    let ctx = context()?;
    let devices = ctx.devices().map_err(usb_error)?;
    // A device that vanishes or refuses descriptors while we look is simply not listed.
    Ok(devices
        .iter()
        .filter_map(|d| device_info(&d).ok())
        .collect())
}

/// A claimed USB printer interface.
pub struct UsbTransport {
    handle: DeviceHandle<Context>,
    selection: UsbSelection,
    reattach: bool,
    timeout: Duration,
    describe: String,
}

impl std::fmt::Debug for UsbTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbTransport")
            .field("device", &self.describe)
            .field("selection", &self.selection)
            .finish()
    }
}

impl UsbTransport {
    /// Finds the first matching printer, detaches the kernel driver (usblp) if it holds the
    /// interface, and claims it.
    pub fn open(settings: &UsbSettings) -> Result<UsbTransport, TransportError> {
        let ctx = context()?;
        let devices = ctx.devices().map_err(usb_error)?;
        for device in devices.iter() {
            let Ok(info) = device_info(&device) else {
                continue;
            };
            let Some(selection) = select_interface(&info, settings) else {
                continue;
            };
            let handle = device.open().map_err(usb_error)?;
            let iface = selection.interface;
            // Linux's usblp claims class-7 interfaces: take it over now, give it back on drop.
            let reattach = match handle.kernel_driver_active(iface) {
                Ok(true) => {
                    handle.detach_kernel_driver(iface).map_err(usb_error)?;
                    true
                }
                _ => false,
            };
            let claimed = handle.claim_interface(iface).and_then(|()| {
                if selection.alt != 0 {
                    handle.set_alternate_setting(iface, selection.alt)
                } else {
                    Ok(())
                }
            });
            if let Err(e) = claimed {
                if reattach {
                    let _ = handle.attach_kernel_driver(iface);
                }
                return Err(usb_error(e));
            }
            let timeout_ms = if settings.timeout_ms == 0 {
                5000
            } else {
                settings.timeout_ms
            };
            return Ok(UsbTransport {
                handle,
                selection,
                reattach,
                timeout: Duration::from_millis(timeout_ms),
                describe: format!(
                    "usb {:04x}:{:04x} bus {} addr {}",
                    info.vid, info.pid, info.bus, info.address
                ),
            });
        }
        Err(TransportError::NoDevice)
    }
}

impl Drop for UsbTransport {
    fn drop(&mut self) {
        // Best effort: the device may already be unplugged.
        let _ = self.handle.release_interface(self.selection.interface);
        if self.reattach {
            let _ = self.handle.attach_kernel_driver(self.selection.interface);
        }
    }
}

impl Transport for UsbTransport {
    fn write_all(&mut self, mut data: &[u8]) -> Result<(), TransportError> {
        let mut last_progress = Instant::now();
        while !data.is_empty() {
            // write_bulk returns Ok(n < len) when a timeout cut the transfer short.
            match self
                .handle
                .write_bulk(self.selection.out_ep, data, self.timeout)
            {
                Ok(n) if n > 0 => {
                    data = &data[n..];
                    last_progress = Instant::now();
                }
                Ok(_) | Err(rusb::Error::Timeout) if last_progress.elapsed() < self.timeout => {}
                Ok(_) => return Err(TransportError::Timeout),
                Err(rusb::Error::Pipe) => {
                    // A stalled endpoint: clear it so the next job can go, and report this one.
                    let _ = self.handle.clear_halt(self.selection.out_ep);
                    return Err(TransportError::Protocol("usb endpoint stalled".into()));
                }
                Err(rusb::Error::Interrupted) => {}
                Err(e) => return Err(usb_error(e)),
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let Some(ep) = self.selection.in_ep else {
            return Err(TransportError::Timeout);
        };
        let timeout = timeout.max(Duration::from_millis(1));
        match self.handle.read_bulk(ep, buf, timeout) {
            Ok(0) => Err(TransportError::Timeout),
            Ok(n) => Ok(n),
            Err(e) => Err(usb_error(e)),
        }
    }

    fn port_status(&mut self) -> Result<Option<u8>, TransportError> {
        if !self.selection.printer_class {
            return Ok(None);
        }
        // GET_PORT_STATUS: class request to the interface, one byte back.
        let mut byte = [0u8; 1];
        let n = self
            .handle
            .read_control(
                0xA1,
                1,
                0,
                u16::from(self.selection.interface),
                &mut byte,
                self.timeout,
            )
            .map_err(usb_error)?;
        Ok((n == 1).then_some(byte[0]))
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(address: u8) -> EndpointInfo {
        EndpointInfo {
            address,
            bulk: true,
        }
    }

    fn iface(number: u8, class: u8, protocol: u8, endpoints: Vec<EndpointInfo>) -> InterfaceInfo {
        InterfaceInfo {
            number,
            alt: 0,
            class,
            subclass: 1,
            protocol,
            endpoints,
        }
    }

    fn dev(vid: u16, pid: u16, interfaces: Vec<InterfaceInfo>) -> UsbDeviceInfo {
        UsbDeviceInfo {
            bus: 1,
            address: 4,
            vid,
            pid,
            interfaces,
        }
    }

    fn check(d: &UsbDeviceInfo, settings: &UsbSettings, want: Option<(u8, u8, Option<u8>)>) {
        let got = select_interface(d, settings).map(|s| (s.interface, s.out_ep, s.in_ep));
        assert_eq!(got, want, "{d:?} with {settings:?}");
    }

    #[test]
    fn interface_selection() {
        let any = UsbSettings::default();
        // Bidirectional printer class, endpoints as Epson and as Citizen number them.
        check(
            &dev(
                0x04B8,
                0x0E28,
                vec![iface(0, 7, 2, vec![ep(0x01), ep(0x82)])],
            ),
            &any,
            Some((0, 0x01, Some(0x82))),
        );
        check(
            &dev(
                0x1D90,
                0x2060,
                vec![iface(0, 7, 2, vec![ep(0x81), ep(0x02)])],
            ),
            &any,
            Some((0, 0x02, Some(0x81))),
        );
        // Unidirectional printer class: no IN endpoint.
        check(
            &dev(0x0416, 0x5011, vec![iface(0, 7, 1, vec![ep(0x03)])]),
            &any,
            Some((0, 0x03, None)),
        );
        // Epson vendor-class mode is taken without naming it.
        check(
            &dev(
                EPSON_VID,
                EPSON_VENDOR_MODE_PID,
                vec![iface(0, 0xFF, 0, vec![ep(0x01), ep(0x82)])],
            ),
            &any,
            Some((0, 0x01, Some(0x82))),
        );
        // Another vendor-class device only when named by vid and pid.
        let vendor = dev(
            0x0FE6,
            0x811E,
            vec![iface(0, 0xFF, 0, vec![ep(0x02), ep(0x81)])],
        );
        check(&vendor, &any, None);
        let named = UsbSettings {
            vid: Some(0x0FE6),
            pid: Some(0x811E),
            ..UsbSettings::default()
        };
        check(&vendor, &named, Some((0, 0x02, Some(0x81))));
        // A keyboard is never a printer, even with bulk endpoints.
        check(
            &dev(0x046D, 0xC31C, vec![iface(0, 3, 1, vec![ep(0x81)])]),
            &any,
            None,
        );
        // Composite device: the printer interface wins over a vendor one, bidirectional first.
        let composite = dev(
            0x04B8,
            0x0202,
            vec![
                iface(0, 0xFF, 0, vec![ep(0x05), ep(0x86)]),
                iface(1, 7, 1, vec![ep(0x03)]),
                iface(2, 7, 2, vec![ep(0x01), ep(0x82)]),
            ],
        );
        check(&composite, &any, Some((2, 0x01, Some(0x82))));
        // Interrupt-only endpoints do not count.
        let interrupt = dev(
            0x04B8,
            0x0E28,
            vec![iface(
                0,
                7,
                2,
                vec![EndpointInfo {
                    address: 0x01,
                    bulk: false,
                }],
            )],
        );
        check(&interrupt, &any, None);
        // Filters: wrong vid, wrong bus.
        check(
            &dev(0x04B8, 0x0E28, vec![iface(0, 7, 2, vec![ep(0x01)])]),
            &UsbSettings {
                vid: Some(0x1D90),
                ..UsbSettings::default()
            },
            None,
        );
        check(
            &dev(0x04B8, 0x0E28, vec![iface(0, 7, 2, vec![ep(0x01)])]),
            &UsbSettings {
                bus: Some(2),
                ..UsbSettings::default()
            },
            None,
        );
    }

    #[test]
    fn without_usb_the_error_is_typed() {
        // This machine kind has no /dev/bus/usb; where one exists, listing must work instead.
        let has_usb = std::path::Path::new("/dev/bus/usb").exists();
        match list_usb_devices() {
            Err(TransportError::NoUsb(_)) => assert!(!has_usb, "usb present but context failed"),
            Ok(_) => assert!(has_usb, "listing worked without /dev/bus/usb"),
            Err(other) => panic!("unexpected error {other:?}"),
        }
        match UsbTransport::open(&UsbSettings::default()) {
            Err(TransportError::NoUsb(_)) => assert!(!has_usb),
            Err(TransportError::NoDevice)
            | Err(TransportError::Access)
            | Err(TransportError::Busy)
            | Ok(_) => {
                assert!(has_usb)
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
}

#[cfg(test)]
mod udev_tests {
    use super::KNOWN_EPSON_PIDS;

    #[test]
    fn the_udev_rules_cover_every_known_epson_id_and_printer_class() {
        let rules = include_str!("../udev/60-loket-printers.rules");
        for (pid, model) in KNOWN_EPSON_PIDS {
            let line = format!(
                "ATTR{{idVendor}}==\"04b8\", ATTR{{idProduct}}==\"{pid:04x}\", MODE=\"0664\", GROUP=\"lp\""
            );
            assert!(
                rules.contains(&line),
                "{model} ({pid:04x}) missing from the udev rules"
            );
        }
        assert!(rules.contains("ENV{ID_USB_INTERFACES}==\"*:0701*\""));
        assert!(rules.contains("udevadm control --reload-rules"));
    }
}
