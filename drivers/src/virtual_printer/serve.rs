//! Runs the virtual printer as a serial printer on a pseudo-terminal or as a network printer on TCP.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use super::{VirtualPrinter, VirtualState};

/// How often the serving threads look at the stop flag and the state.
const TICK: Duration = Duration::from_millis(20);

/// A serving thread and the flag that stops it. Stopping (or dropping) sets the flag and waits for
/// the thread.
#[derive(Debug)]
struct Serving {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Serving {
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // A panic in the serving thread has already been reported on stderr.
            let _ = t.join();
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A virtual printer answering on a pseudo-terminal; open [`PtyPrinter::path`] as a serial port.
#[derive(Debug)]
pub struct PtyPrinter {
    printer: VirtualPrinter,
    path: PathBuf,
    serving: Serving,
}

impl PtyPrinter {
    /// The device path of the printer's end (`/dev/pts/N`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The printer, to change its state or read its jobs.
    pub fn printer(&self) -> &VirtualPrinter {
        &self.printer
    }

    /// Stops serving and waits for the thread.
    pub fn stop(mut self) {
        self.serving.shutdown();
    }
}

/// Serves `printer` on a new pseudo-terminal pair. The printer reads the master side; loket
/// opens the slave path like any serial port (baud rate and flow control are not emulated).
pub fn serve_pty(printer: VirtualPrinter) -> io::Result<PtyPrinter> {
    let (mut master, slave) = TTYPort::pair().map_err(io::Error::other)?;
    let path = PathBuf::from(
        slave
            .name()
            .ok_or_else(|| io::Error::other("pseudo-terminal has no name"))?,
    );
    master.set_timeout(TICK).map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let printer = printer.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("virtual-printer-pty".into())
            .spawn(move || {
                // Holding the slave open keeps the master readable while loket closes and
                // re-opens the port between jobs (otherwise the master reports EIO).
                let _slave = slave;
                let mut buf = vec![0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    if printer.state() == VirtualState::Unresponsive {
                        std::thread::sleep(TICK);
                        continue;
                    }
                    match master.read(&mut buf) {
                        Ok(0) => std::thread::sleep(TICK),
                        Ok(n) => {
                            let replies = printer.feed(&buf[..n]);
                            if !replies.is_empty() && master.write_all(&replies).is_err() {
                                std::thread::sleep(TICK);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                        Err(_) => std::thread::sleep(TICK),
                    }
                }
            })?
    };
    Ok(PtyPrinter {
        printer,
        path,
        serving: Serving {
            stop,
            thread: Some(thread),
        },
    })
}

/// A virtual printer listening on TCP, one connection at a time like a real port 9100.
#[derive(Debug)]
pub struct TcpPrinter {
    printer: VirtualPrinter,
    addr: SocketAddr,
    serving: Serving,
}

impl TcpPrinter {
    /// The address it listens on (useful after binding port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The printer, to change its state or read its jobs.
    pub fn printer(&self) -> &VirtualPrinter {
        &self.printer
    }

    /// Stops serving and waits for the thread.
    pub fn stop(mut self) {
        self.serving.shutdown();
    }
}

/// Serves `printer` on `addr` (such as `127.0.0.1:9100`, or port 0 for any free port).
pub fn serve_tcp(printer: VirtualPrinter, addr: SocketAddr) -> io::Result<TcpPrinter> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let printer = printer.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("virtual-printer-tcp".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => serve_connection(&printer, stream, &stop),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
                        Err(_) => std::thread::sleep(TICK),
                    }
                }
            })?
    };
    Ok(TcpPrinter {
        printer,
        addr,
        serving: Serving {
            stop,
            thread: Some(thread),
        },
    })
}

fn serve_connection(printer: &VirtualPrinter, mut stream: TcpStream, stop: &AtomicBool) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        if printer.state() == VirtualState::Unresponsive {
            // Hold the connection without reading: the sender's buffers fill and its status
            // reads time out, as with a hung printer.
            std::thread::sleep(TICK);
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let replies = printer.feed(&buf[..n]);
                if !replies.is_empty() && stream.write_all(&replies).is_err() {
                    break;
                }
            }
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            }
            Err(_) => break,
        }
    }
    printer.end_of_stream();
}
