//! The real `loket` binary in a pseudo-terminal, its screen read through a vt100 parser. Shared by
//! the end-to-end tests and the whole-program benchmark.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counts the audible bells the program rings.
#[derive(Debug, Default)]
pub struct Bells(pub usize);

impl vt100::Callbacks for Bells {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.0 += 1;
    }
}

pub type Screen = Arc<Mutex<vt100::Parser<Bells>>>;

/// A running program in a pseudo-terminal.
pub struct Pty {
    pub screen: Screen,
    child: Box<dyn Child + Send + Sync>,
    writer: Option<Box<dyn Write + Send>>,
    master: Option<Box<dyn MasterPty + Send>>,
    reader: Option<JoinHandle<()>>,
}

impl Pty {
    /// Starts `program args` in a `cols`×`rows` terminal with TERM=xterm-256color.
    pub fn spawn(program: &Path, args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("LOKET_DATA");
        cmd.env_remove("LOKET_PIN");
        cmd.env_remove("LOKET_LANG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let screen: Screen = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            NonZeroU16::new(rows).expect("rows > 0"),
            NonZeroU16::new(cols).expect("cols > 0"),
            0,
            Bells::default(),
        )));
        let feed = screen.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => feed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .process(&buf[..n]),
                }
            }
        });
        Pty {
            screen,
            child,
            writer: Some(writer),
            master: Some(pair.master),
            reader: Some(reader),
        }
    }

    pub fn contents(&self) -> String {
        self.screen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .screen()
            .contents()
    }

    pub fn bells(&self) -> usize {
        self.screen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .callbacks()
            .0
    }

    /// Polls the screen until `pred` holds; `None` after `timeout`.
    pub fn poll(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<Duration> {
        let start = Instant::now();
        loop {
            if pred(&self.contents()) {
                return Some(start.elapsed());
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits until the screen shows `text`, failing the test with the screen when it does not.
    pub fn wait_for(&self, text: &str) {
        if self
            .poll(Duration::from_secs(20), |s| s.contains(text))
            .is_none()
        {
            panic!(
                "the screen never showed {text:?}; it shows:\n{}",
                self.contents()
            );
        }
    }

    /// Resizes the terminal as a user dragging the window would (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.screen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set_size(
                NonZeroU16::new(rows).expect("rows > 0"),
                NonZeroU16::new(cols).expect("cols > 0"),
            );
        self.master
            .as_ref()
            .expect("master open")
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize pty");
    }

    pub fn send(&mut self, bytes: &str) {
        let w = self.writer.as_mut().expect("writer open");
        w.write_all(bytes.as_bytes()).expect("write to pty");
        w.flush().expect("flush pty");
    }

    /// Kills the program with SIGKILL, as a power cut or `kill -9` would: no clean-up runs.
    pub fn kill9(&mut self) {
        if let Some(pid) = self.child.process_id() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
        let _ = self.child.wait();
    }

    /// Waits for the program to end; kills it when it does not end within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<portable_pty::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.writer.take();
        self.master.take();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// xterm's bytes for the function keys.
pub fn f_key(n: u8) -> &'static str {
    match n {
        1 => "\x1bOP",
        2 => "\x1bOQ",
        3 => "\x1bOR",
        4 => "\x1bOS",
        5 => "\x1b[15~",
        6 => "\x1b[17~",
        7 => "\x1b[18~",
        8 => "\x1b[19~",
        9 => "\x1b[20~",
        10 => "\x1b[21~",
        11 => "\x1b[23~",
        _ => "\x1b[24~",
    }
}
