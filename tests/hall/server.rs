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
        .store_mut()
        .read(|c| {
            c.query_row("SELECT count(*) FROM journal", (), |r| r.get(0))
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
        .store_mut()
        .read(|c| {
            c.query_row("SELECT count(*) FROM journal", (), |r| r.get(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect("journal count");
    assert_eq!(journal_before, journal_after);
}

#[test]
fn hall_server_limits_requests_per_address() {
    let tb = TestBranch::new();
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    // fits: BURST is 300 requests.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
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

/// The events a fresh stream sends before its first state: the calls it catches up on.
fn caught_up(port: u16, request: &str) -> Vec<String> {
    use std::io::BufRead;
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    s.write_all(request.as_bytes()).expect("request");
    let mut calls = Vec::new();
    for line in std::io::BufReader::new(s).lines() {
        let line = line.expect("line");
        if line == "event: state" {
            break;
        }
        if let Some(data) = line.strip_prefix("data: ") {
            let call: serde_json::Value = serde_json::from_str(data).expect("call json");
            calls.push(call["ticket"].as_str().unwrap_or_default().to_string());
        }
    }
    calls
}

#[test]
fn hall_stream_catches_a_returning_page_up_on_its_last_missed_calls_only() {
    let tb = TestBranch::new();
    for _ in 0..8 {
        tb.clock.advance(time::Duration::seconds(10));
        tb.cli_ok(&["queue", "issue", "A"]);
    }
    for n in 0..8u32 {
        let counter = (n % 4 + 1).to_string();
        if n >= 4 {
            tb.cli_ok(&["queue", "serve", "--counter", &counter]);
            tb.cli_ok(&["queue", "done", "--counter", &counter]);
        }
        tb.cli_ok(&["queue", "call", "--counter", &counter]);
    }
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    // A new page: nothing to read out, only the state.
    assert_eq!(
        caught_up(server.port, "GET /events HTTP/1.1\r\n\r\n"),
        Vec::<String>::new()
    );
    // A page that saw nothing of today: the five newest calls, oldest first.
    assert_eq!(
        caught_up(
            server.port,
            "GET /events HTTP/1.1\r\nLast-Event-ID: 0\r\n\r\n"
        ),
        ["A-004", "A-005", "A-006", "A-007", "A-008"]
    );
    // A page that missed the last two (its id from the state it last had).
    let state: serde_json::Value = reqwest::blocking::get(server.url("/state"))
        .and_then(|r| r.json())
        .expect("state");
    let last = state["last_call_id"].as_i64().expect("last call id");
    let ids: Vec<i64> = tb
        .reopen()
        .store_mut()
        .read(|c| {
            let mut stmt = c
                .prepare("SELECT id FROM ticket_events WHERE kind = 'call' ORDER BY id")
                .map_err(loket::store::StoreError::from)?;
            let ids = stmt
                .query_map((), |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
                .map_err(loket::store::StoreError::from)?;
            Ok::<_, loket::store::StoreError>(ids)
        })
        .expect("call ids");
    assert_eq!(ids.last(), Some(&last));
    assert_eq!(
        caught_up(
            server.port,
            &format!("GET /events?last={} HTTP/1.1\r\n\r\n", ids[5])
        ),
        ["A-007", "A-008"]
    );
}
