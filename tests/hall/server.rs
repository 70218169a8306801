//! The display server on a hall network: safety headers, a 4xx (never a crash) for malformed,
//! oversized or writing requests, per-address limits, and no write to the database.

use super::support::{DisplayServer, free_port};
use crate::common::TestBranch;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `bytes` and returns the status line's code and the whole answer.
fn raw(port: u16, bytes: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    // The server may answer (and close) before it has read everything of a huge request.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[test]
fn hall_server_answers_hostile_requests_with_4xx_and_keeps_serving() {
    let tb = TestBranch::new();
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let port = server.port;

    let (code, page) = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(code, 200);
    for header in [
        "X-Frame-Options: DENY",
        "X-Content-Type-Options: nosniff",
        "frame-ancestors 'none'",
        "Referrer-Policy: no-referrer",
    ] {
        assert!(page.contains(header), "missing {header}");
    }
    assert!(page.contains("<html lang=\"id\">"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing loaded from elsewhere"
    );

    let cases: [(&[u8], u16); 8] = [
        (
            b"POST /events HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            405,
        ),
        (b"DELETE / HTTP/1.1\r\n\r\n", 405),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
        (b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 404),
        (b"GET /voice/..%2f..%2floket.toml HTTP/1.1\r\n\r\n", 404),
        (b"GET /%ZZ HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 505),
        (b"GET /t/A-001 HTTP/1.1\r\n\r\n", 404),
    ];
    for (request, expected) in cases {
        let (code, _) = raw(port, request);
        assert_eq!(code, expected, "{}", String::from_utf8_lossy(request));
    }
    let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(5000));
    assert_eq!(raw(port, long_target.as_bytes()).0, 414);
    let huge_head = format!(
        "GET / HTTP/1.1\r\nX-Filler: {}\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    assert_eq!(raw(port, huge_head.as_bytes()).0, 431);
    let endless = vec![b'a'; 100 * 1024];
    assert_eq!(raw(port, &endless).0, 431);
    assert_eq!(
        raw(port, b"").0,
        0,
        "a connection closed at once gets nothing"
    );

    // Still serving, and the database was never written by the server.
    assert_eq!(raw(port, b"GET /state HTTP/1.1\r\n\r\n").0, 200);
    let journal_before: i64 = tb
        .reopen()
        .store
        .read(|c| {
            c.query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect("journal count");
    {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.write_all(b"GET /events?last=0 HTTP/1.0\r\n\r\n")
            .expect("write");
        let mut head = [0u8; 64];
        s.read_exact(&mut head).expect("stream head");
        assert!(head.starts_with(b"HTTP/1.1 200 OK"));
    }
    let journal_after: i64 = tb
        .reopen()
        .store
        .read(|c| {
            c.query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect("journal count");
    assert_eq!(journal_before, journal_after);
}

#[test]
fn hall_server_limits_requests_per_address() {
    let tb = TestBranch::new();
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let burst = loket::hall::server::BURST as usize;
    let mut refused = 0;
    for _ in 0..burst + 50 {
        let (code, text) = raw(server.port, b"GET /assets/hall.css HTTP/1.1\r\n\r\n");
        if code == 429 {
            assert!(text.contains("Retry-After"));
            refused += 1;
        } else {
            assert_eq!(code, 200);
        }
    }
    assert!(
        refused > 0,
        "a burst past the allowance is refused with 429"
    );
}
