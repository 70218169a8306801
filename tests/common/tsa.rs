//! An RFC 3161 timestamp authority over HTTP on loopback, answering with an in-process training
//! TSA's tokens, and switchable down (503) like a TSA in an outage.

use loket::pdf::{LocalTsa, TimestampSource};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A minimal HTTP/1.1 TSA: reads one POST per connection, answers with `tsa`'s response (or 503
/// while `down`). Returns its URL.
pub fn serve(tsa: LocalTsa, down: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/tsr", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            let mut content_type = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = lower.strip_prefix("content-type:") {
                    content_type = v.trim().to_string();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let (status, reply) = if down.load(Ordering::SeqCst) {
                ("503 Service Unavailable", Vec::new())
            } else if content_type != "application/timestamp-query" {
                ("415 Unsupported Media Type", Vec::new())
            } else {
                match tsa.respond(&body) {
                    Ok(r) => ("200 OK", r),
                    Err(_) => ("500 Internal Server Error", Vec::new()),
                }
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reply.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply);
            // Close as a server should: our side first, then let the client close. Dropping a
            // socket with unread bytes sends a reset, which can reach the client before it has
            // read the answer (seen on a loaded machine as a TSA "outage" right after it is back).
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        }
    });
    url
}
