//! The display server's sockets: one listener, a small thread per connection, per-address limits,
//! and the read-only routes (hall page, its event stream, voice segments, the phone page and its
//! stream). Everything else is a 4xx.

use super::http::{self, Refusal, Request};
use super::hub::Hub;
use super::voice;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests an address may make in a burst, and how fast its allowance refills (per second).
pub const BURST: f64 = 300.0;
pub const REFILL_PER_SECOND: f64 = 30.0;
/// Open connections one address may hold (a hall TV holds one; a phone one).
pub const PER_ADDRESS: usize = 256;
/// Open connections in all.
pub const TOTAL: usize = 4096;
/// A stream with nothing to say sends a comment this often, so dead peers are noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// Largest custom recording served.
const MAX_RECORDING: u64 = 4 * 1024 * 1024;

const HALL_HTML: &str = include_str!("assets/hall.html");
const HALL_JS: &str = include_str!("assets/hall.js");
const HALL_CSS: &str = include_str!("assets/hall.css");
const PHONE_HTML: &str = include_str!("assets/phone.html");
const PHONE_JS: &str = include_str!("assets/phone.js");
const PHONE_CSS: &str = include_str!("assets/phone.css");
const FONT_REGULAR: &[u8] = include_bytes!("assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("assets/fonts/DejaVuSans-Bold.ttf");

#[derive(Debug)]
struct Allowance {
    tokens: f64,
    at: Instant,
    open: usize,
}

/// Per-address request budget and connection counts.
#[derive(Debug, Default)]
struct Limits {
    by_address: HashMap<IpAddr, Allowance>,
    open: usize,
}

/// Why a connection was turned away.
enum Turned {
    TooMany,
}

impl Limits {
    fn admit(&mut self, ip: IpAddr) -> Result<(), Turned> {
        let now = Instant::now();
        if self.by_address.len() > 10_000 {
            self.by_address.retain(|_, a| a.open > 0);
        }
        let a = self.by_address.entry(ip).or_insert(Allowance {
            tokens: BURST,
            at: now,
            open: 0,
        });
        a.tokens =
            (a.tokens + now.duration_since(a.at).as_secs_f64() * REFILL_PER_SECOND).min(BURST);
        a.at = now;
        if a.tokens < 1.0 || a.open >= PER_ADDRESS || self.open >= TOTAL {
            return Err(Turned::TooMany);
        }
        a.tokens -= 1.0;
        a.open += 1;
        self.open += 1;
        Ok(())
    }

    fn release(&mut self, ip: IpAddr) {
        self.open = self.open.saturating_sub(1);
        if let Some(a) = self.by_address.get_mut(&ip) {
            a.open = a.open.saturating_sub(1);
        }
    }
}

/// Releases a connection's place when its thread ends, however it ends.
struct Admitted {
    limits: Arc<Mutex<Limits>>,
    ip: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.limits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .release(self.ip);
    }
}

/// Accepts connections on `listener` until the process ends.
pub fn run(listener: TcpListener, hub: Arc<Hub>) {
    let limits = Arc::new(Mutex::new(Limits::default()));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        let ip = peer.ip();
        let admitted = limits.lock().unwrap_or_else(|e| e.into_inner()).admit(ip);
        match admitted {
            Err(Turned::TooMany) => {
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let body = "Terlalu banyak permintaan; coba lagi sebentar lagi.\n";
                let head = http::response_head(
                    429,
                    "Too Many Requests",
                    "text/plain; charset=utf-8",
                    body.len(),
                    "Retry-After: 2\r\n",
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
                continue;
            }
            Ok(()) => {}
        }
        let guard = Admitted {
            limits: Arc::clone(&limits),
            ip,
        };
        let hub = Arc::clone(&hub);
        let spawned = std::thread::Builder::new()
            .name("hall-conn".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let _guard = guard;
                let _ = handle(stream, &hub);
            });
        if let Err(e) = spawned {
            eprintln!("hall display: could not start a connection thread: {e}");
        }
    }
}

fn handle(mut stream: TcpStream, hub: &Hub) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = http::head_end(&buf) {
            break end;
        }
        if buf.len() > http::MAX_HEAD {
            return refuse(&mut stream, Refusal::HeadTooLarge);
        }
    };
    let request = match http::parse(&buf[..end]) {
        Ok(r) => r,
        Err(refusal) => return refuse(&mut stream, refusal),
    };
    route(&mut stream, hub, &request)
}

fn refuse(stream: &mut TcpStream, refusal: Refusal) -> std::io::Result<()> {
    let (status, reason) = refusal.status();
    let body = format!("{status} {reason}\n");
    let extra = if refusal == Refusal::MethodNotAllowed {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let head = http::response_head(
        status,
        reason,
        "text/plain; charset=utf-8",
        body.len(),
        extra,
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()?;
    // Closing with unread bytes would reset the connection and could lose the answer before the
    // client reads it: stop sending, then read (and drop) what is still coming, for a moment.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 4096];
    let mut left: usize = 1024 * 1024;
    while left > 0 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
    Ok(())
}

fn send(
    stream: &mut TcpStream,
    request: &Request,
    content_type: &str,
    body: &[u8],
    cache: &str,
) -> std::io::Result<()> {
    let head = http::response_head(
        200,
        "OK",
        content_type,
        body.len(),
        &format!("Cache-Control: {cache}\r\n"),
    );
    stream.write_all(head.as_bytes())?;
    if !request.head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn not_found(stream: &mut TcpStream) -> std::io::Result<()> {
    let body = "Tidak ditemukan.\n";
    let head = http::response_head(
        404,
        "Not Found",
        "text/plain; charset=utf-8",
        body.len(),
        "Cache-Control: no-store\r\n",
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}

fn route(stream: &mut TcpStream, hub: &Hub, request: &Request) -> std::io::Result<()> {
    const HTML: &str = "text/html; charset=utf-8";
    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    const ASSET_CACHE: &str = "no-cache";
    match request.path.as_str() {
        "/" => send(stream, request, HTML, HALL_HTML.as_bytes(), "no-cache"),
        "/assets/hall.js" => send(stream, request, JS, HALL_JS.as_bytes(), ASSET_CACHE),
        "/assets/hall.css" => send(stream, request, CSS, HALL_CSS.as_bytes(), ASSET_CACHE),
        "/assets/phone.js" => send(stream, request, JS, PHONE_JS.as_bytes(), ASSET_CACHE),
        "/assets/phone.css" => send(stream, request, CSS, PHONE_CSS.as_bytes(), ASSET_CACHE),
        "/assets/sans.ttf" => send(stream, request, "font/ttf", FONT_REGULAR, "max-age=86400"),
        "/assets/sans-bold.ttf" => send(stream, request, "font/ttf", FONT_BOLD, "max-age=86400"),
        "/state" => {
            let (_, state, _) = hub.snapshot();
            send(
                stream,
                request,
                "application/json",
                state.as_bytes(),
                "no-store",
            )
        }
        "/events" => hall_events(stream, hub, request),
        path => {
            if let Some(name) = path.strip_prefix("/voice/") {
                return voice_segment(stream, hub, request, name);
            }
            if let Some(rest) = path.strip_prefix("/t/") {
                let (label, events) = match rest.strip_suffix("/events") {
                    Some(label) => (label, true),
                    None => (rest, false),
                };
                return phone(stream, hub, request, label, events);
            }
            not_found(stream)
        }
    }
}

fn voice_segment(
    stream: &mut TcpStream,
    hub: &Hub,
    request: &Request,
    name: &str,
) -> std::io::Result<()> {
    match voice::find(&hub.data_dir, name) {
        Some(voice::Audio::Default(bytes)) => {
            send(stream, request, "audio/ogg", bytes, "max-age=300")
        }
        Some(voice::Audio::Custom { path, content_type }) => {
            let bytes = std::fs::File::open(&path).and_then(|f| {
                let mut out = Vec::new();
                f.take(MAX_RECORDING).read_to_end(&mut out)?;
                Ok(out)
            });
            match bytes {
                Ok(bytes) => send(stream, request, content_type, &bytes, "max-age=300"),
                Err(_) => not_found(stream),
            }
        }
        None => not_found(stream),
    }
}

/// The hall page's stream: on connect the calls it missed (after `Last-Event-ID`, or `?last=` for
/// a page that opened a new stream) and the state; then each change as it happens.
fn hall_events(stream: &mut TcpStream, hub: &Hub, request: &Request) -> std::io::Result<()> {
    stream.set_read_timeout(None)?;
    let resume = request
        .last_event_id
        .as_deref()
        .or(request.param("last"))
        .and_then(|id| id.parse::<i64>().ok());
    stream.write_all(http::event_stream_head().as_bytes())?;
    if request.head_only {
        return Ok(());
    }
    let (mut seen, state, last) = hub.snapshot();
    let mut out = String::from("retry: 1000\n\n");
    if let Some(after) = resume {
        for (id, json) in hub.missed_calls(after) {
            out.push_str(&http::sse_event("call", Some(id), &json));
        }
    }
    out.push_str(&http::sse_event("state", Some(last), &state));
    stream.write_all(out.as_bytes())?;
    stream.flush()?;
    let mut after = last;
    loop {
        match hub.wait_change(seen, after, KEEPALIVE) {
            None => stream.write_all(b"event: ping\ndata: {}\n\n")?,
            Some((version, state, calls)) => {
                let mut out = String::new();
                for (id, json) in &calls {
                    out.push_str(&http::sse_event("call", Some(*id), json));
                    after = after.max(*id);
                }
                out.push_str(&http::sse_event("state", Some(after), &state));
                stream.write_all(out.as_bytes())?;
                seen = version;
            }
        }
        stream.flush()?;
    }
}

/// The phone page of ticket `label` and its stream; without the right token, 404 as for a ticket
/// that does not exist, so a number alone reveals nothing.
fn phone(
    stream: &mut TcpStream,
    hub: &Hub,
    request: &Request,
    label: &str,
    events: bool,
) -> std::io::Result<()> {
    let Ok(no) = label.parse::<crate::queue::TicketNo>() else {
        return not_found(stream);
    };
    let label = no.to_string();
    let (code, day) = hub.token_scope();
    let token = request.param("k").unwrap_or("");
    if !hub.secret.check(&code, &day, &label, token) {
        return not_found(stream);
    }
    let Some(view) = hub.ticket(&no) else {
        return not_found(stream);
    };
    if !events {
        return send(
            stream,
            request,
            "text/html; charset=utf-8",
            PHONE_HTML.as_bytes(),
            "no-store",
        );
    }
    stream.set_read_timeout(None)?;
    stream.write_all(http::event_stream_head().as_bytes())?;
    if request.head_only {
        return Ok(());
    }
    let mut out = String::from("retry: 2000\n\n");
    out.push_str(&http::sse_event("ticket", None, &view));
    stream.write_all(out.as_bytes())?;
    stream.flush()?;
    let mut sent = view;
    let (mut seen, _, _) = hub.snapshot();
    loop {
        match hub.wait_change(seen, i64::MAX, KEEPALIVE) {
            None => stream.write_all(b": ping\n\n")?,
            Some((version, _, _)) => {
                seen = version;
                match hub.ticket(&no) {
                    Some(view) if view != sent => {
                        stream.write_all(http::sse_event("ticket", None, &view).as_bytes())?;
                        sent = view;
                    }
                    Some(_) => {}
                    // A new business day: yesterday's ticket is gone.
                    None => {
                        stream.write_all(http::sse_event("gone", None, "{}").as_bytes())?;
                        return stream.flush();
                    }
                }
            }
        }
        stream.flush()?;
    }
}
