//! Device-file transport (`/dev/usb/lp0` through the kernel's usblp driver, or any file or FIFO).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::transport::{Transport, TransportError, write_all_io};

fn default_write_timeout_ms() -> u64 {
    5000
}

/// A printer reached through a device file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSettings {
    /// The device file, such as `/dev/usb/lp0`.
    pub path: PathBuf,
    /// How long a write may make no progress.
    #[serde(default = "default_write_timeout_ms")]
    pub write_timeout_ms: u64,
}

impl FileSettings {
    /// `path` with the default write timeout.
    pub fn new(path: impl Into<PathBuf>) -> FileSettings {
        FileSettings {
            path: path.into(),
            write_timeout_ms: default_write_timeout_ms(),
        }
    }
}

/// An open device file, non-blocking so reads and writes can time out.
#[derive(Debug)]
pub struct FileTransport {
    file: File,
    settings: FileSettings,
    readable: bool,
}

impl FileTransport {
    /// Opens the file for reading and appending (usblp is bidirectional); falls back to
    /// write-only for files that cannot be read, where status reads then time out.
    pub fn open(settings: &FileSettings) -> Result<FileTransport, TransportError> {
        let open = |read: bool| {
            OpenOptions::new()
                .read(read)
                .append(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&settings.path)
        };
        let (file, readable) = match open(true) {
            Ok(f) => (f, true),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => (open(false)?, false),
            Err(e) => return Err(e.into()),
        };
        Ok(FileTransport {
            file,
            settings: settings.clone(),
            readable,
        })
    }
}

impl Transport for FileTransport {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        write_all_io(
            &mut self.file,
            data,
            Duration::from_millis(self.settings.write_timeout_ms.max(1)),
        )
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if !self.readable {
            return Err(TransportError::Timeout);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.file.read(buf) {
                Ok(n) if n > 0 => return Ok(n),
                // End of a regular file or nothing from the device yet: wait and look again.
                Ok(_) => {}
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
            if Instant::now() >= deadline {
                return Err(TransportError::Timeout);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn describe(&self) -> String {
        format!("file {}", self.settings.path.display())
    }
}
