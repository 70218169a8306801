//! A fake Peruri e-Meterai service on loopback, with state and switchable faults, for tests and `loket dev fake-peruri` (test builds only).
//!
//! It speaks the endpoints and bodies of `shared/reference/emeterai.md` (login, jenisdoc, chanel/stampv2,
//! the on-prem adapter and the cloud keystamp docSigningZ, uploaddoc2, getfile3, saldopos, SN status and
//! list, snqr/qrimage) on one port; point every base URL of `[stamping.peruri]` at it.
//!
//! The HTTP/1.1 server is written here over `std::net::TcpListener`, one thread per connection, rather
//! than taken from a crate: the faults need control no server library gives — closing the socket after
//! the SN is recorded but before a byte of the reply is written, or holding a request open past the
//! client's timeout — and pulling tokio and axum into the app for a test fake would double the build.
//! It handles what reqwest sends: keep-alive, `Content-Length` and chunked bodies, multipart forms.
//!
//! Stamping calls a [`Signer`] callback with the input PDF, SN, page, box, reason and password; the
//! default appends a marker comment to the PDF, and tests can plug in loket's real PDF signer.

use base64::Engine;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// A 1×1 PNG, the stamp image the fake hands out.
pub const STAMP_PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// The signing profile the fake adapter knows.
pub const PROFILE: &str = "emeteraicertificateSigner";

/// What the fake's signer is asked to do.
#[derive(Debug, Clone)]
pub struct SignCall {
    pub input: Vec<u8>,
    pub sn: String,
    pub page: u32,
    /// `[llx, lly, urx, ury]` as sent.
    pub rect: [f64; 4],
    /// The signature reason as the adapter writes it: `"[<SN>] <reason>"`.
    pub reason: String,
    pub location: String,
    pub password: Option<String>,
    pub image: Option<Vec<u8>>,
}

/// Stamps a document: the output PDF, or an adapter error code and message (e.g. `"82"`).
pub type Signer = Arc<dyn Fn(&SignCall) -> Result<Vec<u8>, (String, String)> + Send + Sync>;

/// The default signer: the input with a marker comment appended (`%%loket-fake-peruri SN=... page=...`).
pub fn marker_signer() -> Signer {
    Arc::new(|call: &SignCall| {
        let mut out = call.input.clone();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(
            format!(
                "%%loket-fake-peruri SN={} page={} box={:?} reason={}\n",
                call.sn, call.page, call.rect, call.reason
            )
            .as_bytes(),
        );
        Ok(out)
    })
}

/// The endpoints, for counting requests and aiming faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    Welcome,
    Login,
    DocumentTypes,
    IssueSerial,
    AdapterSign,
    Upload,
    CloudSign,
    Download,
    Quota,
    SerialStatus,
    SerialList,
    QrImage,
    Unknown,
}

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Reply with this HTTP status (e.g. 500, 502, 503) and a JSON error body.
    Status(u16),
    /// 429 with `Retry-After: <seconds>`.
    TooManyRequests { retry_after_s: u64 },
    /// Read the request, say nothing for this long, then close (longer than the client's timeout).
    Hang(Duration),
    /// Reply normally after this delay.
    Slow(Duration),
    /// Signing replies `status:"False"` with this adapter error code (92, 97, 82, …).
    AdapterCode(String),
    /// SN generation records and charges the SN, then closes the connection without a reply.
    DropAfterIssue,
    /// Any call is carried out in full, then the connection is closed without a reply.
    DropReply,
    /// Reply 401 "Token expired" and forget every token issued so far.
    TokenExpired,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub route: Route,
    pub method: String,
    pub path: String,
    /// `X-Request-Id` header.
    pub request_id: Option<String>,
    /// `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    pub bearer: Option<String>,
    /// The JSON body, or a multipart form's text fields and file names.
    pub body: Value,
    /// When the request was read.
    pub at: std::time::Instant,
}

/// A serial number the fake issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeSerial {
    pub sn: String,
    /// `NOTSTAMP` or `STAMP`.
    pub status: String,
    pub file: String,
    pub nodoc: String,
    pub namadoc: String,
    pub request_id: Option<String>,
    pub idfile: Option<String>,
}

/// Start-up settings.
#[derive(Clone)]
pub struct FakeOptions {
    pub user: String,
    pub password: String,
    pub user_id: String,
    pub quota: u64,
    pub token_lifetime: Duration,
    /// The adapter's shared folder (on-prem signing reads and writes here).
    pub shared_folder: Option<PathBuf>,
    pub signer: Signer,
}

impl std::fmt::Debug for FakeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOptions")
            .field("user", &self.user)
            .field("quota", &self.quota)
            .field("shared_folder", &self.shared_folder)
            .finish_non_exhaustive()
    }
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            user: "loket@pos.test".into(),
            password: "rahasia-uji".into(),
            user_id: "USR-0001".into(),
            quota: 100,
            token_lifetime: Duration::from_secs(86_400),
            shared_folder: None,
            signer: marker_signer(),
        }
    }
}

struct State {
    quota: u64,
    serials: Vec<FakeSerial>,
    /// token → expiry.
    tokens: HashMap<String, SystemTime>,
    uploads: HashMap<String, Vec<u8>>,
    outputs: HashMap<String, Vec<u8>>,
    faults: Vec<(Option<Route>, Fault, u32)>,
    log: Vec<Logged>,
    counts: BTreeMap<Route, usize>,
    logins: usize,
    next_id: u64,
}

struct Shared {
    opts: FakeOptions,
    base: String,
    state: Mutex<State>,
    stop: AtomicBool,
}

/// A running fake; stops when dropped.
pub struct FakePeruri {
    shared: Arc<Shared>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakePeruri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePeruri")
            .field("addr", &self.addr)
            .finish()
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // Test state stays usable if a handler thread panicked.
    shared.state.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakePeruri {
    /// Starts on `127.0.0.1:0`.
    pub fn start(opts: FakeOptions) -> std::io::Result<FakePeruri> {
        FakePeruri::start_on("127.0.0.1:0", opts)
    }

    pub fn start_on(listen: &str, opts: FakeOptions) -> std::io::Result<FakePeruri> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let quota = opts.quota;
        let shared = Arc::new(Shared {
            opts,
            base: format!("http://{addr}"),
            state: Mutex::new(State {
                quota,
                serials: Vec::new(),
                tokens: HashMap::new(),
                uploads: HashMap::new(),
                outputs: HashMap::new(),
                faults: Vec::new(),
                log: Vec::new(),
                counts: BTreeMap::new(),
                logins: 0,
                next_id: 1000,
            }),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-peruri".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if s.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = conn {
                        let s = s.clone();
                        let _ = std::thread::Builder::new()
                            .name("fake-peruri-conn".into())
                            .spawn(move || serve(&s, stream));
                    }
                }
            })?;
        Ok(FakePeruri {
            shared,
            addr,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the base URL of every service.
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// A client configuration pointing every service at this fake, with timeouts, backoff and breaker
    /// settings small enough for tests, and a two-entry SN list page so reconciliation pages.
    pub fn config(&self, mode: crate::config::PeruriMode) -> crate::config::PeruriConfig {
        let mut c = crate::config::PeruriConfig::new(&self.shared.opts.user, &self.base_url());
        c.mode = mode;
        c.password = Some(self.shared.opts.password.clone());
        c.shared_folder = self.shared.opts.shared_folder.clone();
        c.connect_timeout_ms = 500;
        c.timeout_ms = 1_000;
        c.stamp_timeout_ms = 2_000;
        c.retries = 3;
        c.backoff_base_ms = 5;
        c.backoff_max_ms = 40;
        c.retry_after_max_ms = 2_000;
        c.breaker_failures = 5;
        c.breaker_cooldown_ms = 60_000;
        c.list_page_size = 2;
        c
    }

    /// Arms a fault for the next `times` requests to `route` (any route when `None`).
    pub fn inject(&self, route: Option<Route>, fault: Fault, times: u32) {
        lock(&self.shared).faults.push((route, fault, times));
    }

    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    pub fn set_quota(&self, quota: u64) {
        lock(&self.shared).quota = quota;
    }

    pub fn quota(&self) -> u64 {
        lock(&self.shared).quota
    }

    /// Makes every token issued so far expired.
    pub fn expire_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for exp in lock(&self.shared).tokens.values_mut() {
            *exp = past;
        }
    }

    /// Requests that reached the fake for a route.
    pub fn count(&self, route: Route) -> usize {
        lock(&self.shared).counts.get(&route).copied().unwrap_or(0)
    }

    pub fn total_requests(&self) -> usize {
        lock(&self.shared).counts.values().sum()
    }

    /// Successful logins.
    pub fn logins(&self) -> usize {
        lock(&self.shared).logins
    }

    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared).log.clone()
    }

    pub fn serials(&self) -> Vec<FakeSerial> {
        lock(&self.shared).serials.clone()
    }

    /// Marks an SN as stamped (or back), as if stamped elsewhere.
    pub fn set_serial_status(&self, sn: &str, status: &str) {
        for s in lock(&self.shared).serials.iter_mut().filter(|s| s.sn == sn) {
            s.status = status.to_string();
        }
    }

    /// Serves until the process is stopped (for `loket dev fake-peruri`).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FakePeruri {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    fn bearer(&self) -> Option<String> {
        self.header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    content_type: &'static str,
    body: Vec<u8>,
}

fn reply(status: u16, v: Value) -> Response {
    Response {
        status,
        headers: Vec::new(),
        content_type: "application/json",
        body: v.to_string().into_bytes(),
    }
}

enum Outcome {
    Respond(Response),
    /// Close the connection without a reply.
    Drop,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Serves one connection: requests in a row (keep-alive) until the peer closes or the fake stops.
fn serve(shared: &Shared, mut stream: TcpStream) {
    // A short read timeout lets an idle keep-alive connection notice that the fake is stopping.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let request = match read_request(shared, &mut stream, &mut buf) {
            Some(r) => r,
            None => return,
        };
        match handle(shared, request) {
            Outcome::Drop => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Outcome::Respond(r) => {
                let mut head = format!(
                    "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                    r.status,
                    reason(r.status),
                    r.content_type,
                    r.body.len()
                );
                for (k, v) in &r.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if stream.write_all(head.as_bytes()).is_err()
                    || stream.write_all(&r.body).is_err()
                    || stream.flush().is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Reads more bytes into `buf`; false when the peer closed or the fake stops.
fn fill(shared: &Shared, stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return true;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return false,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn read_request(shared: &Shared, stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if !fill(shared, stream, buf) {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                if !fill(shared, stream, buf) {
                    return None;
                }
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                if !fill(shared, stream, buf) {
                    return None;
                }
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break body;
            }
        }
    } else {
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            if !fill(shared, stream, buf) {
                return None;
            }
        }
        buf.drain(..len).collect()
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (target, BTreeMap::new()),
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Multipart form: text fields, and file parts as (field name → (file name, bytes)).
type Form = (
    BTreeMap<String, String>,
    BTreeMap<String, (String, Vec<u8>)>,
);

fn parse_multipart(req: &Request) -> Option<Form> {
    let ct = req.header("content-type")?;
    let boundary = ct.split("boundary=").nth(1)?.trim_matches('"');
    let delim = format!("--{boundary}");
    let mut fields = BTreeMap::new();
    let mut files = BTreeMap::new();
    let body = &req.body;
    let mut pos = find(body, delim.as_bytes())? + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        pos += 2; // CRLF after the delimiter
        let head_end = pos + find(&body[pos..], b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_string();
        let content_start = head_end + 4;
        let next = content_start + find(&body[content_start..], format!("\r\n{delim}").as_bytes())?;
        let content = body[content_start..next].to_vec();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .unwrap_or_default();
        let attr = |name: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(|v| v.trim_matches('"').to_string())
        };
        let name = attr("name").unwrap_or_default();
        match attr("filename") {
            Some(file_name) => {
                files.insert(name, (file_name, content));
            }
            None => {
                fields.insert(name, String::from_utf8_lossy(&content).to_string());
            }
        }
        pos = next + 2 + delim.len();
    }
    Some((fields, files))
}

fn route_of(method: &str, path: &str) -> Route {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (_, "") => Route::Welcome,
        ("POST", "/api/users/login") => Route::Login,
        ("GET", "/jenisdoc") => Route::DocumentTypes,
        ("POST", "/chanel/stampv2") => Route::IssueSerial,
        ("POST", "/adapter/pdfsigning/rest/docSigningZ") => Route::AdapterSign,
        ("POST", "/uploaddoc2") => Route::Upload,
        ("POST", "/keystamp/adapter/docSigningZ") => Route::CloudSign,
        ("GET", p) if p.starts_with("/getfile3/") => Route::Download,
        (_, "/function/saldopos") => Route::Quota,
        ("GET", "/api/chanel/stamp/ext") => Route::SerialStatus,
        ("GET", p) if p.starts_with("/chanel/sale/stamp/ext/") => Route::SerialList,
        ("POST", "/snqr/qrimage") => Route::QrImage,
        _ => Route::Unknown,
    }
}

/// Takes one use of the first armed fault for `route` that `accept` wants.
fn take_fault(state: &mut State, route: Route, accept: impl Fn(&Fault) -> bool) -> Option<Fault> {
    let i = state
        .faults
        .iter()
        .position(|(r, f, n)| *n > 0 && r.is_none_or(|r| r == route) && accept(f))?;
    let entry = &mut state.faults[i];
    entry.2 -= 1;
    let fault = entry.1.clone();
    if entry.2 == 0 {
        state.faults.remove(i);
    }
    Some(fault)
}

fn is_pre_fault(f: &Fault) -> bool {
    matches!(
        f,
        Fault::Status(_)
            | Fault::TooManyRequests { .. }
            | Fault::Hang(_)
            | Fault::Slow(_)
            | Fault::TokenExpired
    )
}

fn sleep_unless_stopped(shared: &Shared, d: Duration) {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end && !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10).min(end - std::time::Instant::now()));
    }
}

fn handle(shared: &Shared, req: Request) -> Outcome {
    let route = route_of(&req.method, &req.path);
    let outcome = carry_out(shared, route, req);
    if take_fault(&mut lock(shared), route, |f| *f == Fault::DropReply).is_some() {
        return Outcome::Drop;
    }
    outcome
}

fn carry_out(shared: &Shared, route: Route, req: Request) -> Outcome {
    let pre = {
        let mut st = lock(shared);
        let body = if req
            .header("content-type")
            .is_some_and(|c| c.starts_with("multipart/"))
        {
            match parse_multipart(&req) {
                Some((fields, files)) => json!({
                    "fields": fields,
                    "files": files.iter().map(|(k, (n, b))| (k.clone(), json!({"name": n, "size": b.len()}))).collect::<serde_json::Map<_, _>>(),
                }),
                None => Value::Null,
            }
        } else {
            req.json()
        };
        st.log.push(Logged {
            route,
            method: req.method.clone(),
            path: req.path.clone(),
            request_id: req.header("x-request-id").map(str::to_string),
            idempotency_key: req.header("idempotency-key").map(str::to_string),
            bearer: req.bearer(),
            body,
            at: std::time::Instant::now(),
        });
        *st.counts.entry(route).or_default() += 1;
        take_fault(&mut st, route, is_pre_fault)
    };
    match pre {
        Some(Fault::Status(code)) => {
            return Outcome::Respond(reply(
                code,
                json!({"statusCode": code.to_string(), "message": "service error (injected)"}),
            ));
        }
        Some(Fault::TooManyRequests { retry_after_s }) => {
            let mut r = reply(
                429,
                json!({"statusCode": "429", "message": "too many requests"}),
            );
            r.headers
                .push(("Retry-After".into(), retry_after_s.to_string()));
            return Outcome::Respond(r);
        }
        Some(Fault::Hang(d)) => {
            sleep_unless_stopped(shared, d);
            return Outcome::Drop;
        }
        Some(Fault::Slow(d)) => sleep_unless_stopped(shared, d),
        Some(Fault::TokenExpired) => {
            lock(shared).tokens.clear();
            return Outcome::Respond(reply(
                401,
                json!({"statusCode": "01", "message": "Token expired"}),
            ));
        }
        _ => {}
    }
    match route {
        Route::Welcome => Outcome::Respond(reply(
            200,
            json!({"message": "welcome to signadapter v2.0.9 (fake)", "documentationUrl": "/docs"}),
        )),
        Route::Login => Outcome::Respond(login(shared, &req)),
        Route::Unknown => Outcome::Respond(reply(
            404,
            json!({"statusCode": "404", "message": format!("no route {} {}", req.method, req.path)}),
        )),
        _ => {
            // Every other call needs a live token: Bearer, or `jwToken` in the adapter's body, or the
            // upload form's `token` field.
            let body = req.json();
            let form_token = (route == Route::Upload)
                .then(|| parse_multipart(&req))
                .flatten()
                .and_then(|(f, _)| f.get("token").cloned());
            let token = req
                .bearer()
                .or_else(|| {
                    body.get("jwToken")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .or(form_token);
            if !token_valid(shared, token.as_deref()) {
                return Outcome::Respond(reply(
                    401,
                    json!({"statusCode": "01", "message": "Token expired or invalid"}),
                ));
            }
            match route {
                Route::DocumentTypes => Outcome::Respond(reply(
                    200,
                    json!({"statusCode": "00", "message": "success", "result":
                        crate::stamping::peruri::fallback_document_types().iter().enumerate().map(|(i, t)| json!({
                            "id": format!("00000000-0000-4000-8000-{i:012}"), "kode": t.kode, "nama": t.nama
                        })).collect::<Vec<_>>()}),
                )),
                Route::IssueSerial => issue(shared, &req, &body),
                Route::AdapterSign => Outcome::Respond(sign_onprem(shared, &body)),
                Route::CloudSign => Outcome::Respond(sign_cloud(shared, &body)),
                Route::Upload => Outcome::Respond(upload(shared, &req)),
                Route::Download => {
                    let name = req.path.trim_start_matches("/getfile3/");
                    match lock(shared).outputs.get(name) {
                        Some(bytes) => Outcome::Respond(Response {
                            status: 200,
                            headers: Vec::new(),
                            content_type: "application/pdf",
                            body: bytes.clone(),
                        }),
                        None => Outcome::Respond(reply(
                            404,
                            json!({"statusCode": "404", "message": "file not found"}),
                        )),
                    }
                }
                Route::Quota => {
                    let st = lock(shared);
                    let notstamp = st.serials.iter().filter(|s| s.status == "NOTSTAMP").count();
                    Outcome::Respond(reply(
                        200,
                        json!({"statusCode": "00", "message": "success",
                               "result": {"status": "00", "saldo": st.quota, "notstamp": notstamp}}),
                    ))
                }
                Route::SerialStatus => {
                    let filter = req.query.get("filter").cloned().unwrap_or_default();
                    let st = lock(shared);
                    let data: Vec<Value> = st
                        .serials
                        .iter()
                        .filter(|s| s.sn == filter)
                        .map(serial_json)
                        .collect();
                    Outcome::Respond(reply(
                        200,
                        json!({"statusCode": "00", "message": "success", "result": {"total": data.len(), "data": data}}),
                    ))
                }
                Route::SerialList => {
                    let user = req.path.trim_start_matches("/chanel/sale/stamp/ext/");
                    if user != shared.opts.user_id {
                        return Outcome::Respond(reply(
                            200,
                            json!({"statusCode": "99", "message": "user not found"}),
                        ));
                    }
                    let start: usize = req
                        .query
                        .get("start")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let length: usize = req
                        .query
                        .get("length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(10);
                    let status = req.query.get("status").cloned();
                    let st = lock(shared);
                    // Newest first, as a sales list is shown.
                    let matching: Vec<&FakeSerial> = st
                        .serials
                        .iter()
                        .rev()
                        .filter(|s| status.as_ref().is_none_or(|w| &s.status == w))
                        .collect();
                    let data: Vec<Value> = matching
                        .iter()
                        .skip(start)
                        .take(length)
                        .map(|s| serial_json(s))
                        .collect();
                    Outcome::Respond(reply(
                        200,
                        json!({"statusCode": "00", "message": "success",
                               "result": {"total": matching.len(), "data": data}}),
                    ))
                }
                Route::QrImage => {
                    let sn = body
                        .get("serialnumber")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if lock(shared).serials.iter().any(|s| s.sn == sn) {
                        Outcome::Respond(reply(
                            200,
                            json!({"statusCode": "00", "message": "success", "result": {"image": STAMP_PNG_BASE64}}),
                        ))
                    } else {
                        Outcome::Respond(reply(
                            200,
                            json!({"statusCode": "99", "message": "serial number not found"}),
                        ))
                    }
                }
                Route::Welcome | Route::Login | Route::Unknown => Outcome::Drop,
            }
        }
    }
}

fn serial_json(s: &FakeSerial) -> Value {
    json!({"serialnumber": s.sn, "status": s.status, "file": s.file,
           "tgl": "2026-01-01 08:00:00", "tglupdate": "2026-01-01 08:00:00", "email": "loket@pos.test"})
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn login(shared: &Shared, req: &Request) -> Response {
    let body = req.json();
    let user = body.get("user").and_then(Value::as_str).unwrap_or_default();
    let password = body
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if user != shared.opts.user || password != shared.opts.password {
        return reply(
            200,
            json!({"statusCode": "99", "message": "Email atau password salah"}),
        );
    }
    let now = SystemTime::now();
    let iat = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let exp = now + shared.opts.token_lifetime;
    let mut st = lock(shared);
    st.logins += 1;
    st.next_id += 1;
    let claims = json!({"iss": "emeterai", "sub": user, "iat": iat,
                        "exp": iat + shared.opts.token_lifetime.as_secs(), "jti": st.next_id});
    let token = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes()),
        b64url(format!("fake-signature-{}", fastrand::u64(..)).as_bytes())
    );
    st.tokens.insert(token.clone(), exp);
    reply(
        200,
        json!({"statusCode": "00", "message": "success", "token": token,
               "result": {"data": {"login": {"token": token,
                   "user": {"id": shared.opts.user_id, "email": user, "firstName": "Loket"}}}}}),
    )
}

fn token_valid(shared: &Shared, token: Option<&str>) -> bool {
    let Some(token) = token else { return false };
    lock(shared)
        .tokens
        .get(token)
        .is_some_and(|exp| SystemTime::now() < *exp)
}

fn new_serial() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..22)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

fn issue(shared: &Shared, req: &Request, body: &Value) -> Outcome {
    let field = |k: &str| {
        body.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let missing: Vec<&str> = ["namadoc", "namafile", "nodoc", "tgldoc"]
        .into_iter()
        .filter(|k| field(k).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        return Outcome::Respond(reply(
            200,
            json!({"statusCode": "99", "message": "failed", "result": {"err": format!("{} wajib diisi", missing.join(", "))}}),
        ));
    }
    let is_upload = body
        .get("isUpload")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut st = lock(shared);
    let idfile = field("idfile");
    if is_upload
        && idfile
            .as_ref()
            .is_none_or(|id| !st.uploads.contains_key(id))
    {
        return Outcome::Respond(reply(
            200,
            json!({"statusCode": "99", "message": "failed", "result": {"err": "idfile tidak ditemukan"}}),
        ));
    }
    if st.quota == 0 {
        return Outcome::Respond(reply(
            200,
            json!({"statusCode": "93", "message": "Saldo tidak mencukupi", "result": {"err": "saldo tidak mencukupi"}}),
        ));
    }
    st.quota -= 1;
    let sn = new_serial();
    st.serials.push(FakeSerial {
        sn: sn.clone(),
        status: "NOTSTAMP".into(),
        file: field("namafile").unwrap_or_default(),
        nodoc: field("nodoc").unwrap_or_default(),
        namadoc: field("namadoc").unwrap_or_default(),
        request_id: req.header("x-request-id").map(str::to_string),
        idfile: idfile.clone(),
    });
    if take_fault(&mut st, Route::IssueSerial, |f| *f == Fault::DropAfterIssue).is_some() {
        return Outcome::Drop;
    }
    let result = if is_upload {
        json!({"sn": sn, "filenameQR": format!("{sn}.png")})
    } else {
        json!({"sn": sn, "image": STAMP_PNG_BASE64, "filenameQR": format!("{sn}.png")})
    };
    Outcome::Respond(reply(
        200,
        json!({"statusCode": "00", "message": "success", "result": result}),
    ))
}

fn adapter_reply(code: &str, message: &str) -> Response {
    reply(
        200,
        json!({"status": if code == "00" { "True" } else { "False" }, "errorCode": code,
               "errorMessage": if code == "00" { "-" } else { message }}),
    )
}

/// The path inside the shared folder that the adapter was given, whatever its path style
/// (`/sharefolder/…`, `sharefolder/…`, `/app/sharefolder/…`).
fn in_share(root: &Path, adapter_path: &str) -> PathBuf {
    let rel = adapter_path
        .trim_start_matches('/')
        .trim_start_matches("app/")
        .trim_start_matches("sharefolder")
        .trim_start_matches('/');
    root.join(rel)
}

/// Checks shared by both signing endpoints; returns the SN and the sign call without input.
fn check_sign(shared: &Shared, body: &Value, route: Route) -> Result<SignCall, Response> {
    let s = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let n = |k: &str| body.get(k).and_then(Value::as_f64);
    for k in ["profileName", "src", "dest", "jwToken", "refToken"] {
        if s(k).is_empty() {
            return Err(adapter_reply(
                "90",
                "Mandatory field(s) should not be empty",
            ));
        }
    }
    if s("profileName") != PROFILE {
        return Err(adapter_reply("91", "Profile name not found"));
    }
    let rect = match (n("visLLX"), n("visLLY"), n("visURX"), n("visURY")) {
        (Some(a), Some(b), Some(c), Some(d)) if (a - c).abs() > 0.0 && (b - d).abs() > 0.0 => {
            [a, b, c, d]
        }
        _ => {
            return Err(adapter_reply(
                "90",
                "Mandatory field(s) should not be empty",
            ));
        }
    };
    let sn = s("refToken");
    let mut st = lock(shared);
    let Some(serial) = st.serials.iter().find(|x| x.sn == sn) else {
        return Err(adapter_reply("92", "serial number not found"));
    };
    if serial.status == "STAMP" {
        return Err(adapter_reply("92", "serial number already used"));
    }
    if let Some(Fault::AdapterCode(code)) =
        take_fault(&mut st, route, |f| matches!(f, Fault::AdapterCode(_)))
    {
        return Err(adapter_reply(&code, "injected signing failure"));
    }
    Ok(SignCall {
        input: Vec::new(),
        sn: sn.clone(),
        page: body
            .get("visSignaturePage")
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(1),
        rect,
        reason: format!("[{sn}] {}", s("reason")),
        location: s("location"),
        password: Some(s("docpass")).filter(|p| !p.is_empty()),
        image: None,
    })
}

fn run_signer(shared: &Shared, call: &SignCall) -> Result<Vec<u8>, Response> {
    if !call.input.starts_with(b"%PDF-") {
        return Err(adapter_reply(
            "82",
            "Cannot upgrade document version, document is not a readable PDF",
        ));
    }
    (shared.opts.signer)(call).map_err(|(code, message)| adapter_reply(&code, &message))
}

fn mark_stamped(shared: &Shared, sn: &str) {
    for s in lock(shared).serials.iter_mut().filter(|s| s.sn == sn) {
        s.status = "STAMP".into();
    }
}

fn sign_onprem(shared: &Shared, body: &Value) -> Response {
    let mut call = match check_sign(shared, body, Route::AdapterSign) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(root) = shared.opts.shared_folder.as_deref() else {
        return adapter_reply("90", "shared folder not configured");
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let src = in_share(root, s("src"));
    let dest = in_share(root, s("dest"));
    call.input = match std::fs::read(&src) {
        Ok(b) => b,
        Err(e) => return adapter_reply("90", &format!("source {}: {e}", src.display())),
    };
    call.image = body
        .get("spesimenPath")
        .and_then(Value::as_str)
        .and_then(|p| std::fs::read(in_share(root, p)).ok());
    if call.image.is_none() {
        return adapter_reply("90", "spesimen image not found");
    }
    let out = match run_signer(shared, &call) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(e) = std::fs::write(&dest, out) {
        return adapter_reply("90", &format!("dest {}: {e}", dest.display()));
    }
    mark_stamped(shared, &call.sn);
    adapter_reply("00", "-")
}

fn sign_cloud(shared: &Shared, body: &Value) -> Response {
    let mut call = match check_sign(shared, body, Route::CloudSign) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let doc_id = body
        .get("docId")
        .and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .unwrap_or_default();
    match lock(shared).uploads.get(&doc_id) {
        Some(b) => call.input = b.clone(),
        None => return adapter_reply("90", "docId not found"),
    }
    call.image = Some(
        base64::engine::general_purpose::STANDARD
            .decode(STAMP_PNG_BASE64)
            .unwrap_or_default(),
    );
    let out = match run_signer(shared, &call) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name = format!("final_{doc_id}.pdf");
    lock(shared).outputs.insert(name.clone(), out);
    mark_stamped(shared, &call.sn);
    reply(
        200,
        json!({"status": "True", "errorCode": "00", "errorMessage": "-",
               "urlFile": format!("{}/getfile3/{name}", shared.base)}),
    )
}

fn upload(shared: &Shared, req: &Request) -> Response {
    let Some((fields, files)) = parse_multipart(req) else {
        return reply(
            400,
            json!({"statusCode": "99", "message": "multipart form expected"}),
        );
    };
    if fields.get("token").is_none_or(|t| t.is_empty()) {
        return reply(
            200,
            json!({"statusCode": "99", "message": "token field missing"}),
        );
    }
    let Some((name, bytes)) = files.get("file") else {
        return reply(
            200,
            json!({"statusCode": "99", "message": "file part missing"}),
        );
    };
    let mut st = lock(shared);
    st.next_id += 1;
    let id = st.next_id.to_string();
    st.uploads.insert(id.clone(), bytes.clone());
    reply(
        200,
        json!({"statusCode": "00", "message": "success", "id": id, "name": name}),
    )
}

/// `loket dev fake-peruri`: options of the command.
#[derive(Debug, clap::Args)]
pub struct FakeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7777")]
    pub listen: String,
    /// Folder bersama adapter (mode onprem).
    #[arg(long)]
    pub shared_folder: Option<PathBuf>,
    #[arg(long, default_value = "loket@pos.test")]
    pub user: String,
    #[arg(long, default_value = "rahasia-uji")]
    pub password: String,
    /// Kuota awal.
    #[arg(long, default_value_t = 100)]
    pub quota: u64,
}

/// Runs the fake until the process is stopped, printing the configuration to use it.
pub fn run_cli(args: &FakeArgs) -> Result<std::process::ExitCode, crate::LoketError> {
    let fake = FakePeruri::start_on(
        &args.listen,
        FakeOptions {
            user: args.user.clone(),
            password: args.password.clone(),
            quota: args.quota,
            shared_folder: args.shared_folder.clone(),
            ..FakeOptions::default()
        },
    )
    .map_err(|source| crate::LoketError::Io {
        what: crate::error::IoWhat::FakePeruriListen,
        path: PathBuf::from(&args.listen),
        source,
    })?;
    let base = fake.base_url();
    println!("Peruri tiruan mendengarkan di {base}. Konfigurasi untuk memakainya:");
    println!();
    println!("[stamping.peruri]");
    println!("mode = \"onprem\"");
    println!("user = \"{}\"", args.user);
    println!("password = \"{}\"", args.password);
    for key in [
        "backend_url",
        "stampv2_url",
        "fileupload_url",
        "stampservice_url",
        "adapter_url",
    ] {
        println!("{key} = \"{base}\"");
    }
    if let Some(dir) = &args.shared_folder {
        println!("shared_folder = \"{}\"", dir.display());
    }
    let _ = std::io::stdout().flush();
    fake.wait();
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_folder_paths_in_every_style_land_in_the_share() {
        let root = Path::new("/srv/share");
        for p in [
            "/sharefolder/UNSIGNED/a.pdf",
            "sharefolder/UNSIGNED/a.pdf",
            "/app/sharefolder/UNSIGNED/a.pdf",
        ] {
            assert_eq!(
                in_share(root, p),
                Path::new("/srv/share/UNSIGNED/a.pdf"),
                "{p}"
            );
        }
    }

    #[test]
    fn serial_numbers_look_like_peruris() {
        for _ in 0..100 {
            assert!(crate::stamping::provider::is_serial_number(&new_serial()));
        }
    }

    #[test]
    fn query_strings_are_decoded() {
        let q = parse_query("filter=AB%2FC&start=0&x=a+b&flag");
        assert_eq!(q.get("filter").map(String::as_str), Some("AB/C"));
        assert_eq!(q.get("x").map(String::as_str), Some("a b"));
        assert_eq!(q.get("flag").map(String::as_str), Some(""));
    }
}
