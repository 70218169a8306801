//! HTTP/1.1 request heads as pure functions over bytes: what the display server accepts (GET and
//! HEAD of a short path, a bounded head) and the 4xx it answers otherwise. The socket is in
//! `server.rs`.

/// The largest request head accepted; a longer one is answered 431.
pub const MAX_HEAD: usize = 8 * 1024;
/// The longest request target accepted; a longer one is answered 414.
pub const MAX_TARGET: usize = 1024;

/// A parsed request head: only what the routes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub head_only: bool,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub last_event_id: Option<String>,
}

impl Request {
    /// The first value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request head is refused, each with its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadRequest,
    MethodNotAllowed,
    UriTooLong,
    HeadTooLarge,
    VersionNotSupported,
}

impl Refusal {
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Refusal::BadRequest => (400, "Bad Request"),
            Refusal::MethodNotAllowed => (405, "Method Not Allowed"),
            Refusal::UriTooLong => (414, "URI Too Long"),
            Refusal::HeadTooLarge => (431, "Request Header Fields Too Large"),
            Refusal::VersionNotSupported => (505, "HTTP Version Not Supported"),
        }
    }
}

/// Where the head ends in `buf` (the index after the blank line), if it has ended.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Parses a complete request head (up to and including the blank line).
pub fn parse(head: &[u8]) -> Result<Request, Refusal> {
    if head.len() > MAX_HEAD {
        return Err(Refusal::HeadTooLarge);
    }
    let text = std::str::from_utf8(head).map_err(|_| Refusal::BadRequest)?;
    let mut lines = text.split("\r\n");
    let first = lines.next().ok_or(Refusal::BadRequest)?;
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::BadRequest);
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(if version.starts_with("HTTP/") {
            Refusal::VersionNotSupported
        } else {
            Refusal::BadRequest
        });
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        m if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) => {
            return Err(Refusal::MethodNotAllowed);
        }
        _ => return Err(Refusal::BadRequest),
    };
    if target.len() > MAX_TARGET {
        return Err(Refusal::UriTooLong);
    }
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Refusal::BadRequest);
    }
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(raw_path).ok_or(Refusal::BadRequest)?;
    let query = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(Refusal::BadRequest)?;
    let mut last_event_id = None;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(Refusal::BadRequest)?;
        if name.is_empty() || name.bytes().any(|b| b <= b' ') {
            return Err(Refusal::BadRequest);
        }
        if name.eq_ignore_ascii_case("last-event-id") {
            last_event_id = Some(value.trim().to_string());
        }
    }
    Ok(Request {
        head_only,
        path,
        query,
        last_event_id,
    })
}

/// `%XX` and `+` decoded; `None` for a broken escape or text that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Headers every answer carries: no framing, no sniffing, nothing loaded from elsewhere, no
/// referrer leaving the hall.
pub const SAFETY_HEADERS: &str = "X-Frame-Options: DENY\r\n\
X-Content-Type-Options: nosniff\r\n\
Content-Security-Policy: default-src 'self'; media-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n\
Referrer-Policy: no-referrer\r\n\
Cross-Origin-Resource-Policy: same-origin\r\n\
Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n";

/// A whole response head with a body of `len` bytes.
pub fn response_head(
    status: u16,
    reason: &str,
    content_type: &str,
    len: usize,
    extra: &str,
) -> String {
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\
         Connection: close\r\n{SAFETY_HEADERS}{extra}\r\n"
    )
}

/// The head of an event stream.
pub fn event_stream_head() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
         Cache-Control: no-store\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n{SAFETY_HEADERS}\r\n"
    )
}

/// One server-sent event; `data` may hold newlines (each becomes its own `data:` line).
pub fn sse_event(event: &str, id: Option<i64>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str("event: ");
    out.push_str(event);
    out.push('\n');
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected<'a> = Result<(&'a str, &'a [(&'a str, &'a str)]), Refusal>;

    fn check(head: &str, expected: Expected<'_>) {
        let got = parse(head.as_bytes());
        match (got, expected) {
            (Ok(r), Ok((path, query))) => {
                assert_eq!(r.path, path, "{head:?}");
                let q: Vec<(&str, &str)> = r
                    .query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                assert_eq!(q, query, "{head:?}");
            }
            (got, expected) => assert_eq!(got.map(|_| ()), expected.map(|_| ()), "{head:?}"),
        }
    }

    #[test]
    fn request_heads() {
        check("GET / HTTP/1.1\r\nHost: x\r\n\r\n", Ok(("/", &[])));
        check(
            "GET /t/A-007?k=ab%20c HTTP/1.1\r\n\r\n",
            Ok(("/t/A-007", &[("k", "ab c")])),
        );
        check("POST / HTTP/1.1\r\n\r\n", Err(Refusal::MethodNotAllowed));
        check("get / HTTP/1.1\r\n\r\n", Err(Refusal::BadRequest));
        check("GET / HTTP/2.0\r\n\r\n", Err(Refusal::VersionNotSupported));
        check("GET / FTP\r\n\r\n", Err(Refusal::BadRequest));
        check("GET  / HTTP/1.1\r\n\r\n", Err(Refusal::BadRequest));
        check("GET x HTTP/1.1\r\n\r\n", Err(Refusal::BadRequest));
        check("GET /%zz HTTP/1.1\r\n\r\n", Err(Refusal::BadRequest));
        check("GET /%ff HTTP/1.1\r\n\r\n", Err(Refusal::BadRequest));
        check(
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            Err(Refusal::BadRequest),
        );
        check(
            &format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(2000)),
            Err(Refusal::UriTooLong),
        );
        check(
            &format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(9000)),
            Err(Refusal::HeadTooLarge),
        );
        let r = parse(b"HEAD /events HTTP/1.1\r\nLast-Event-ID: 42\r\n\r\n").expect("parsed");
        assert!(r.head_only);
        assert_eq!(r.last_event_id.as_deref(), Some("42"));
    }

    #[test]
    fn events_are_framed() {
        assert_eq!(
            sse_event("call", Some(7), "{\"a\":1}\nx"),
            "id: 7\nevent: call\ndata: {\"a\":1}\ndata: x\n\n"
        );
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
