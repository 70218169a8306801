//! Real parts for the delivery tests: a Postfix on loopback shared by the test run, exFAT images
//! mounted through FUSE on loop devices, size-capped tmpfs, and a fabricated sysfs tree.

use rustix::fs::{FlockOperation, flock};
use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const INSTALL: &str = "install with `sh .ci/install.d/delivery.sh` (apt-get install postfix libsasl2-modules sasl2-bin exfat-fuse exfatprogs fuse3 openssl)";
pub const SMTP_USER: &str = "loket1@kantorpos.test";
pub const SMTP_PASSWORD: &str = "rahasia-uji-123";

fn fixture_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Runs a command, panicking with its output (and what to install) when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}); {INSTALL}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The Postfix of this test run. Holding it keeps a shared lock (or an exclusive one, for the test
/// that stops and restarts the server) on its usage lock file.
pub struct Postfix {
    pub work: PathBuf,
    pub submission: u16,
    pub smtps: u16,
    _usage: File,
}

fn lock(path: &Path, op: FlockOperation) -> File {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .expect("open lock file");
    flock(&file, op).expect("take lock");
    file
}

impl Postfix {
    /// The shared server, started once for all test processes of this run.
    pub fn shared() -> Postfix {
        Postfix::get(FlockOperation::LockShared)
    }

    /// The server for a test that stops and restarts it; other mail tests wait meanwhile.
    pub fn exclusive() -> Postfix {
        Postfix::get(FlockOperation::LockExclusive)
    }

    fn get(op: FlockOperation) -> Postfix {
        assert!(
            is_root(),
            "the SMTP tests start Postfix and need root; run them as root (CI does)"
        );
        let work =
            std::env::temp_dir().join(format!("loket-postfix-{}", env!("CARGO_PKG_VERSION")));
        std::fs::create_dir_all(&work).expect("postfix work folder");
        let setup = lock(&work.join("setup.lock"), FlockOperation::LockExclusive);
        let ports_file = work.join("ports");
        let pf = work.join("pf");
        let running = Command::new("postfix")
            .arg("-c")
            .arg(&pf)
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success());
        let ports = std::fs::read_to_string(&ports_file).ok().and_then(|t| {
            let (a, b) = t.trim().split_once(' ')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        });
        // A changed setup script means a changed server configuration: set it up again.
        let script = std::fs::read(fixture_script("postfix-test.sh")).expect("read postfix script");
        let stamp_file = work.join("script.sha256");
        let current = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == sha256(&script));
        let (submission, smtps) = match (running && current, ports) {
            (true, Some(ports)) => ports,
            (_, old) => {
                let ports = old
                    .filter(|_| running)
                    .unwrap_or_else(|| (free_port(), free_port()));
                run(Command::new("sh")
                    .arg(fixture_script("postfix-test.sh"))
                    .arg(&work)
                    .arg(ports.0.to_string())
                    .arg(ports.1.to_string())
                    .arg(SMTP_PASSWORD));
                std::fs::write(&ports_file, format!("{} {}", ports.0, ports.1))
                    .expect("write ports");
                std::fs::write(&stamp_file, sha256(&script)).expect("write stamp");
                ports
            }
        };
        wait_for_port(submission);
        drop(setup);
        let usage = lock(&work.join("usage.lock"), op);
        let postfix = Postfix {
            work,
            submission,
            smtps,
            _usage: usage,
        };
        // A test that held the server exclusively may have left it stopped when it failed.
        if !postfix.is_running() {
            postfix.start();
        }
        postfix
    }

    pub fn pf(&self) -> PathBuf {
        self.work.join("pf")
    }

    pub fn ca(&self) -> PathBuf {
        self.pf().join("ca.pem")
    }

    pub fn is_running(&self) -> bool {
        Command::new("postfix")
            .arg("-c")
            .arg(self.pf())
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    pub fn stop(&self) {
        run(Command::new("postfix").arg("-c").arg(self.pf()).arg("stop"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.submission)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "postfix still accepts after stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn start(&self) {
        run(Command::new("postfix")
            .arg("-c")
            .arg(self.pf())
            .arg("start"));
        wait_for_port(self.submission);
    }

    /// The `[smtp]` section for this server; `security` is `starttls` or `tls`.
    pub fn smtp_toml(&self, security: &str, password: &str) -> String {
        let port = if security == "tls" {
            self.smtps
        } else {
            self.submission
        };
        format!(
            "\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\n\
             username = \"{SMTP_USER}\"\npassword = \"{password}\"\n\
             from = \"Kantor Pos Demo <loket@kantorpos.test>\"\nroot_certificate = \"{}\"\n\
             tls_name = \"localhost\"\ntimeout_seconds = 20\n",
            self.ca().display()
        )
    }

    /// Makes the server answer `reply` (e.g. `451 4.3.0 ...`) to RCPT TO `address`; `None` removes it.
    pub fn set_recipient_reply(&self, address: &str, reply: Option<&str>) {
        let path = self.pf().join("rcpt_access");
        let _guard = lock(
            &self.work.join("access.lock"),
            FlockOperation::LockExclusive,
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.split_whitespace().next() != Some(address))
            .map(str::to_string)
            .collect();
        if let Some(reply) = reply {
            lines.push(format!("{address} {reply}"));
        }
        let temp = path.with_extension("new");
        std::fs::write(&temp, lines.join("\n") + "\n").expect("write access map");
        std::fs::rename(&temp, &path).expect("replace access map");
    }

    /// The delivered message carrying this Message-ID, waiting up to 30 s for Postfix to deliver it.
    pub fn delivered(&self, message_id: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.find_all(message_id);
            if let Some(first) = found.into_iter().next() {
                return first;
            }
            assert!(
                Instant::now() < deadline,
                "message {message_id} not delivered to the Maildir in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many delivered copies each of `message_ids` has, once every one has at least one
    /// (waiting up to 60 s): the Maildir is read once per look, not once per message.
    pub fn delivered_counts(&self, message_ids: &[String]) -> Vec<usize> {
        let new = self.work.join("mail/Maildir/new");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut counts = std::collections::HashMap::<String, usize>::new();
            for entry in std::fs::read_dir(&new).into_iter().flatten().flatten() {
                let Ok(bytes) = std::fs::read(entry.path()) else {
                    continue;
                };
                let text = String::from_utf8_lossy(&bytes);
                if let Some(id) = text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
                    l.strip_prefix("Message-ID: ")
                        .or_else(|| l.strip_prefix("Message-Id: "))
                }) {
                    *counts.entry(id.trim().to_string()).or_default() += 1;
                }
            }
            let found: Vec<usize> = message_ids
                .iter()
                .map(|id| counts.get(id).copied().unwrap_or(0))
                .collect();
            if found.iter().all(|&n| n > 0) || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every delivered copy of this Message-ID.
    pub fn find_all(&self, message_id: &str) -> Vec<Vec<u8>> {
        let new = self.work.join("mail/Maildir/new");
        let needle = format!("Message-ID: {message_id}");
        std::fs::read_dir(&new)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .filter(|bytes| {
                        let head_end = bytes
                            .windows(4)
                            .position(|w| w == b"\r\n\r\n" || w == b"\n\n\n\n")
                            .unwrap_or(bytes.len());
                        let head = String::from_utf8_lossy(&bytes[..head_end.min(bytes.len())]);
                        head.lines().any(|l| l.eq_ignore_ascii_case(&needle))
                            || String::from_utf8_lossy(bytes).contains(&needle)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "postfix does not accept on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A mounted test medium, unmounted (and its loop device freed) on drop.
pub struct Medium {
    _dir: tempfile::TempDir,
    pub mount: PathBuf,
    pub loop_device: Option<String>,
}

impl Medium {
    /// An exFAT image on a loop device, mounted through exfat-fuse, as a customer's flash drive.
    pub fn exfat(size_mb: u32, label: &str) -> Medium {
        assert!(
            is_root(),
            "mounting an exFAT image needs root (losetup, FUSE); run the tests as root (CI does)"
        );
        for tool in ["mkfs.exfat", "mount.exfat-fuse", "losetup", "fusermount"] {
            assert!(
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("command -v {tool}"))
                    .output()
                    .is_ok_and(|o| o.status.success()),
                "{tool} is missing; {INSTALL}"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let image = dir.path().join("drive.img");
        let mount = dir.path().join(label);
        std::fs::create_dir(&mount).expect("mount point");
        run(Command::new("truncate")
            .arg("-s")
            .arg(format!("{size_mb}M"))
            .arg(&image));
        run(Command::new("mkfs.exfat").arg("-L").arg(label).arg(&image));
        let device = run(Command::new("losetup")
            .arg("--find")
            .arg("--show")
            .arg(&image));
        run(Command::new("mount.exfat-fuse").arg(&device).arg(&mount));
        Medium {
            _dir: dir,
            mount,
            loop_device: Some(device),
        }
    }

    /// A tmpfs capped at `size` (e.g. `1m`), optionally read-only: a full or write-protected drive.
    pub fn tmpfs(size: &str, read_only: bool) -> Medium {
        assert!(
            is_root(),
            "mounting tmpfs needs root; run the tests as root (CI does)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let mount = dir.path().join("USBKECIL");
        std::fs::create_dir(&mount).expect("mount point");
        let options = format!(
            "size={size},mode=0777{}",
            if read_only { ",ro" } else { "" }
        );
        run(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "usbsim"])
            .arg(&mount));
        Medium {
            _dir: dir,
            mount,
            loop_device: None,
        }
    }

    /// The pid of the exfat-fuse process serving this mount.
    pub fn fuse_pid(&self) -> i32 {
        let device = self.loop_device.as_deref().expect("an exFAT medium");
        let mount = self.mount.to_string_lossy().into_owned();
        for entry in std::fs::read_dir("/proc")
            .expect("read /proc")
            .filter_map(Result::ok)
        {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if args.iter().any(|a| a.contains("exfat"))
                && args.contains(&device.to_string())
                && args.contains(&mount)
            {
                return pid;
            }
        }
        panic!("no exfat-fuse process serves {mount}");
    }

    /// Unmounts and mounts again, so that later reads cannot come from any cache of the old mount.
    pub fn remount(&mut self) {
        let device = self.loop_device.clone().expect("an exFAT medium");
        run(Command::new("umount").arg(&self.mount));
        run(Command::new("mount.exfat-fuse")
            .arg(&device)
            .arg(&self.mount));
    }
}

impl Drop for Medium {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).output();
        let _ = Command::new("umount").arg("-l").arg(&self.mount).output();
        if let Some(device) = &self.loop_device {
            let _ = Command::new("losetup").arg("-d").arg(device).output();
        }
    }
}

/// Bytes that look like a PDF and differ per seed.
pub fn pdf_bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.extend((bytes.len()..size.saturating_sub(6)).map(|_| rng.u8(..)));
    bytes.extend_from_slice(b"%%EOF\n");
    bytes
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
