//! The display server as a child process, and a small WebDriver client for Debian's chromedriver
//! (blocking reqwest; five commands are all these tests need).

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound and let go; the server takes it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `loket display --web 127.0.0.1:PORT` on the test's clock; killed when dropped.
pub struct DisplayServer {
    child: Child,
    pub port: u16,
}

impl DisplayServer {
    pub fn start(data: &Path, fake_now: &str, port: u16) -> DisplayServer {
        let mut child = Command::new(crate::common::loket_bin())
            .arg("--data")
            .arg(data)
            .args(["display", "--web", &format!("127.0.0.1:{port}")])
            .env(loket::clock::FAKE_NOW_VAR, fake_now)
            .env_remove("LOKET_DATA")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start loket display --web");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        assert!(
            line.contains(&format!("127.0.0.1:{port}")),
            "loket display --web did not start: {line:?}"
        );
        DisplayServer { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DisplayServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn need(program: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(program);
    assert!(
        path.exists(),
        "{program} is missing; install it with: apt-get install -y {package} (or run bash .ci/test as root)"
    );
    path
}

/// chromedriver with one headless Chromium session on a fresh profile; both end when dropped.
pub struct Browser {
    driver: Child,
    http: reqwest::blocking::Client,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser whose page area is `width`×`height`.
    pub fn start(width: u32, height: u32) -> Browser {
        let chromium = need("/usr/bin/chromium", "chromium");
        let chromedriver = need("/usr/bin/chromedriver", "chromium-driver");
        let port = free_port();
        // The browser runs on the real clock even in the suite's run a year ahead: libfaketime
        // breaks Chromium, and the page shows the branch's clock from the server anyway.
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .env_remove("LD_PRELOAD")
            .env_remove("FAKETIME")
            .env_remove("FAKETIME_DONT_FAKE_MONOTONIC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}});
        let mut browser = Browser {
            driver,
            http,
            base,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.post("/session", &caps);
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        browser.set_viewport(width, height);
        browser
    }

    /// Sizes the window so that the page area is exactly `width`×`height`.
    fn set_viewport(&self, width: u32, height: u32) {
        let frame = self.eval("return [outerWidth - innerWidth, outerHeight - innerHeight];");
        let dx = frame[0]
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(0);
        let dy = frame[1]
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(0);
        self.post(
            &self.session_path("/window/rect"),
            &json!({ "width": width + dx, "height": height + dy }),
        );
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let reply: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        if reply["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", reply["value"]);
        }
        reply["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn open(&self, url: &str) {
        self.post(&self.session_path("/url"), &json!({ "url": url }));
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub fn eval(&self, script: &str) -> Value {
        self.post(
            &self.session_path("/execute/sync"),
            &json!({ "script": script, "args": [] }),
        )
    }

    /// The text of the element with `id` ("" when there is none).
    pub fn text(&self, id: &str) -> String {
        self.eval(&format!(
            "var e = document.getElementById('{id}'); return e ? e.textContent : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits (up to `limit`) until `check` holds for the page; panics with `what` otherwise.
    pub fn wait_for(&self, what: &str, limit: Duration, check: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + limit;
        while !check(self) {
            assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A PNG of the page as it is now.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let reply: Value = self
            .http
            .get(format!("{}{}", self.base, self.session_path("/screenshot")))
            .send()
            .and_then(|r| r.json())
            .expect("screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(reply["value"].as_str().expect("base64 PNG"))
            .expect("PNG")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}{}", self.base, self.session_path("")))
                .send();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Width and height from a PNG's header.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[1..4], b"PNG", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

/// Where test artefacts (screenshots) are kept after the run.
pub fn artefact_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hall-artefacts");
    std::fs::create_dir_all(&dir).expect("artefact dir");
    dir
}
