//! Finding the customer's flash drive without udev: mounted file systems from mountinfo whose block
//! device sits behind a USB controller and is removable, with label, size, free space and its PDFs;
//! and handing the drive back (udisksctl where present, else a file-system sync).

use serde::Serialize;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where drive detection looks; tests point these at a fabricated tree.
#[derive(Debug, Clone)]
pub struct DriveRoots {
    /// `/proc/self/mountinfo`.
    pub mountinfo: PathBuf,
    /// `/sys`, holding `dev/block/MAJ:MIN` links into `devices/`.
    pub sys: PathBuf,
    /// `/dev`, holding `disk/by-label/` links.
    pub dev: PathBuf,
}

impl Default for DriveRoots {
    fn default() -> Self {
        DriveRoots {
            mountinfo: PathBuf::from("/proc/self/mountinfo"),
            sys: PathBuf::from("/sys"),
            dev: PathBuf::from("/dev"),
        }
    }
}

/// A mounted removable USB drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drive {
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The block device as named in the mount table, e.g. `/dev/sdb1`.
    pub device: String,
    /// Kernel name of the mounted device, e.g. `sdb1`.
    pub kernel_name: String,
    /// Kernel name of the whole disk, e.g. `sdb`.
    pub disk: String,
    pub fs_type: String,
    /// The volume label, or the mount point's folder name when the label is unknown.
    pub label: String,
    /// Size of the device in bytes.
    pub size_bytes: u64,
    /// Space the clerk can still write, in bytes (None when the file system does not answer).
    pub free_bytes: Option<u64>,
    pub read_only: bool,
}

/// One line of mountinfo, the parts loket needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub major_minor: String,
    pub mount_point: PathBuf,
    pub options: String,
    pub fs_type: String,
    pub source: String,
}

/// Parses `/proc/self/mountinfo` text (see proc(5)); malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut l = left.split(' ');
            let _id = l.next()?;
            let _parent = l.next()?;
            let major_minor = l.next()?.to_string();
            let _root = l.next()?;
            let mount_point = PathBuf::from(unescape(l.next()?));
            let options = l.next()?.to_string();
            let mut r = right.split(' ');
            let fs_type = unescape(r.next()?);
            let source = unescape(r.next()?);
            Some(MountEntry {
                major_minor,
                mount_point,
                options,
                fs_type,
                source,
            })
        })
        .collect()
}

/// Mountinfo writes space, tab, newline and backslash as `\040`, `\011`, `\012` and `\134`.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = bytes[i + 1..i + 4]
                .iter()
                .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mounted removable USB drives, in mount-table order, one entry per device.
pub fn detect(roots: &DriveRoots) -> io::Result<Vec<Drive>> {
    let text = std::fs::read_to_string(&roots.mountinfo)?;
    let labels = labels(&roots.dev);
    let mut seen = BTreeSet::new();
    let mut drives = Vec::new();
    for entry in parse_mountinfo(&text) {
        let Some(dev) = usb_block_device(&roots.sys, &entry.major_minor) else {
            continue;
        };
        if !seen.insert(entry.major_minor.clone()) {
            continue;
        }
        let label = labels
            .iter()
            .find(|(_, target)| *target == dev.kernel_name)
            .map(|(label, _)| label.clone())
            .unwrap_or_else(|| {
                entry
                    .mount_point
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| entry.mount_point.display().to_string())
            });
        let free_bytes = free_space(&entry.mount_point).ok();
        drives.push(Drive {
            read_only: entry.options.split(',').any(|o| o == "ro"),
            mount_point: entry.mount_point,
            device: entry.source,
            kernel_name: dev.kernel_name,
            disk: dev.disk,
            fs_type: entry.fs_type,
            label,
            size_bytes: dev.size_bytes,
            free_bytes,
        });
    }
    Ok(drives)
}

struct BlockDevice {
    kernel_name: String,
    disk: String,
    size_bytes: u64,
}

/// The block device behind `MAJ:MIN` when it is a removable disk (or a partition of one) attached
/// through USB; `None` for everything else (virtual file systems, internal disks, loop devices).
fn usb_block_device(sys: &Path, major_minor: &str) -> Option<BlockDevice> {
    let link = sys.join("dev/block").join(major_minor);
    usb_device_at(std::fs::canonicalize(&link).ok()?)
}

/// The same test on a device folder under `sys/devices`.
fn usb_device_at(path: PathBuf) -> Option<BlockDevice> {
    let through_usb = path
        .components()
        .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with("usb")));
    if !through_usb {
        return None;
    }
    let disk_path = if path.join("partition").exists() {
        path.parent()?.to_path_buf()
    } else {
        path.clone()
    };
    let removable = std::fs::read_to_string(disk_path.join("removable")).ok()?;
    if removable.trim() != "1" {
        return None;
    }
    let sectors: u64 = std::fs::read_to_string(path.join("size"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Some(BlockDevice {
        kernel_name: name_of(&path)?,
        disk: name_of(&disk_path)?,
        size_bytes: sectors.saturating_mul(512),
    })
}

fn name_of(path: &Path) -> Option<String> {
    path.file_name().and_then(OsStr::to_str).map(str::to_string)
}

/// Removable USB partitions (or whole disks without a partition table) that are inserted but not
/// mounted, as `/dev/NAME`: the clerk can mount them with [`mount`].
pub fn unmounted(roots: &DriveRoots) -> io::Result<Vec<String>> {
    let mounted: BTreeSet<String> = std::fs::read_to_string(&roots.mountinfo)
        .map(|t| {
            parse_mountinfo(&t)
                .into_iter()
                .map(|e| e.major_minor)
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    let Ok(disks) = std::fs::read_dir(roots.sys.join("block")) else {
        return Ok(found);
    };
    let mut disks: Vec<_> = disks.filter_map(Result::ok).map(|e| e.path()).collect();
    disks.sort();
    for disk in disks {
        let Ok(path) = std::fs::canonicalize(&disk) else {
            continue;
        };
        if usb_device_at(path.clone()).is_none() {
            continue;
        }
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&path)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("partition").exists())
            .collect();
        parts.sort();
        if parts.is_empty() {
            parts.push(path.clone());
        }
        for part in parts {
            let Some(mm) = std::fs::read_to_string(part.join("dev")).ok() else {
                continue;
            };
            if !mounted.contains(mm.trim())
                && let Some(name) = name_of(&part)
            {
                found.push(format!("/dev/{name}"));
            }
        }
    }
    Ok(found)
}

/// Mounts an inserted drive through udisks and returns where it was mounted.
pub fn mount(device: &str) -> Result<PathBuf, EjectError> {
    let tool = udisksctl().ok_or(EjectError::NoUdisks)?;
    let out = run(&tool, &["mount", "-b", device])?;
    // "Mounted /dev/sdb1 at /media/user/LABEL" (older versions end with a dot).
    out.split_once(" at ")
        .map(|(_, at)| PathBuf::from(at.trim().trim_end_matches('.')))
        .ok_or(EjectError::Refused {
            command: format!("udisksctl mount -b {device}"),
            output: out.clone(),
        })
}

/// Volume labels from `/dev/disk/by-label`, as (label, kernel name of the device).
fn labels(dev: &Path) -> Vec<(String, String)> {
    let Ok(dir) = std::fs::read_dir(dev.join("disk/by-label")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| {
            let target = std::fs::read_link(e.path()).ok()?;
            let label = decode_udev_label(&e.file_name().to_string_lossy());
            Some((label, name_of(&target)?))
        })
        .collect()
}

/// udev writes unsafe characters of a label as `\xNN`.
fn decode_udev_label(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(v) = name
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bytes an unprivileged writer can still use on the file system holding `path`.
pub fn free_space(path: &Path) -> io::Result<u64> {
    let st = rustix::fs::statvfs(path).map_err(io::Error::from)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// A PDF found on a drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfFile {
    pub path: PathBuf,
    /// Path relative to the drive, with `/` between folders, as shown to the clerk.
    pub relative: String,
    pub bytes: u64,
}

/// How deep and how many PDFs [`list_pdfs`] looks for: customers keep documents at the top or one
/// or two folders down, and a drive full of backups must not stall the counter.
pub const LIST_MAX_DEPTH: usize = 3;
pub const LIST_MAX_FILES: usize = 500;

/// The PDFs on a drive (hidden and system folders skipped), sorted by path ignoring case.
pub fn list_pdfs(root: &Path) -> io::Result<Vec<PdfFile>> {
    let mut found = Vec::new();
    walk(root, root, 1, &mut found)?;
    found.sort_by(|a, b| {
        a.relative
            .to_lowercase()
            .cmp(&b.relative.to_lowercase())
            .then_with(|| a.relative.cmp(&b.relative))
    });
    Ok(found)
}

fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<PdfFile>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if found.len() >= LIST_MAX_FILES {
            return Ok(());
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('$') || name == "System Volume Information" {
            continue;
        }
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            if depth < LIST_MAX_DEPTH {
                // A folder that cannot be read (permissions) is skipped, not fatal; a drive that
                // vanished fails the top-level read instead.
                let _ = walk(root, &path, depth + 1, found);
            }
        } else if kind.is_file()
            && name.len() > 4
            && name
                .get(name.len() - 4..)
                .is_some_and(|e| e.eq_ignore_ascii_case(".pdf"))
        {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            found.push(PdfFile {
                bytes: entry.metadata()?.len(),
                path,
                relative,
            });
        }
    }
    Ok(())
}

/// What handing back the drive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Ejected {
    /// Unmounted and powered off through udisks: the drive can be pulled.
    PoweredOff,
    /// Unmounted through udisks; powering off was not possible (the drive may blink on).
    Unmounted,
    /// No udisks here: the file system was flushed, so pulling the drive loses nothing.
    Synced,
}

impl Ejected {
    /// What to tell the clerk.
    pub fn message(&self) -> &'static str {
        crate::words::current().ejected(self)
    }
}

/// `udisksctl` when it is on `PATH`.
pub fn udisksctl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("udisksctl"))
        .find(|p| p.is_file())
}

/// Unmounts and powers off the drive through udisks, or flushes it when udisks is absent.
pub fn eject(drive: &Drive) -> Result<Ejected, EjectError> {
    match udisksctl() {
        Some(tool) => {
            run(&tool, &["unmount", "-b", &drive.device])?;
            let disk = Path::new(&drive.device)
                .parent()
                .map(|d| d.join(&drive.disk).display().to_string())
                .unwrap_or_else(|| format!("/dev/{}", drive.disk));
            Ok(match run(&tool, &["power-off", "-b", &disk]) {
                Ok(_) => Ejected::PoweredOff,
                Err(_) => Ejected::Unmounted,
            })
        }
        None => {
            sync_fs(&drive.mount_point).map_err(|source| EjectError::Sync {
                mount_point: drive.mount_point.clone(),
                source,
            })?;
            Ok(Ejected::Synced)
        }
    }
}

/// Flushes every dirty page of the file system holding `path`.
pub fn sync_fs(path: &Path) -> io::Result<()> {
    let dir = std::fs::File::open(path)?;
    rustix::fs::syncfs(&dir).map_err(io::Error::from)
}

fn run(tool: &Path, args: &[&str]) -> Result<String, EjectError> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .map_err(|source| EjectError::Spawn {
            tool: tool.to_path_buf(),
            source,
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(EjectError::Refused {
            command: format!("udisksctl {}", args.join(" ")),
            output: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// The drive could not be mounted or handed back.
#[derive(Debug, thiserror::Error)]
pub enum EjectError {
    NoUdisks,
    Spawn {
        tool: PathBuf,
        #[source]
        source: io::Error,
    },
    Refused {
        command: String,
        output: String,
    },
    Sync {
        mount_point: PathBuf,
        #[source]
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_are_parsed_and_unescaped() {
        let text = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n\
                    60 22 8:17 / /media/budi/FLASH\\040DISK rw,nosuid shared:5 - exfat /dev/sdb1 rw\n\
                    garbage line\n\
                    61 22 0:50 / /run/user/0 rw - tmpfs tmpfs rw,size=1m\n";
        let entries = parse_mountinfo(text);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].major_minor, "8:17");
        assert_eq!(
            entries[1].mount_point,
            PathBuf::from("/media/budi/FLASH DISK")
        );
        assert_eq!(entries[1].fs_type, "exfat");
        assert_eq!(entries[1].source, "/dev/sdb1");
        assert_eq!(unescape("a\\011b\\012c\\134d"), "a\tb\nc\\d");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[test]
    fn udev_labels_are_decoded() {
        assert_eq!(decode_udev_label("POS\\x20USB"), "POS USB");
        assert_eq!(decode_udev_label("A\\x2fB"), "A/B");
        assert_eq!(decode_udev_label("plain"), "plain");
        assert_eq!(decode_udev_label("bad\\xZZ"), "bad\\xZZ");
    }
}
