//! The HTTP timestamp authority client against a loopback HTTP server that answers with the
//! in-process training TSA's tokens; a TSA outage makes the job wait, not fail.

use super::support::paid_job;
use crate::common::TestBranch;
use loket::pdf::{LocalTsa, TimestampSource};
use loket::stamping::State;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A minimal HTTP/1.1 TSA: reads one POST per connection, answers with `tsa`'s response (or 503
/// while `down`). Returns its URL.
fn serve(tsa: LocalTsa, down: Arc<AtomicBool>) -> String {
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

#[test]
fn stamps_carry_a_timestamp_from_the_http_tsa_and_wait_while_it_is_down() {
    let pki_dir = tempfile::tempdir().expect("pki");
    let paths = loket::pdf::pki::generate_training_pki(pki_dir.path(), "TSA Uji").expect("pki");
    let tsa = LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain).expect("tsa");
    let down = Arc::new(AtomicBool::new(true));
    let url = serve(tsa, down.clone());
    let mut t = TestBranch::with_config(|text| {
        text.replace(
            "keep_days = 3",
            &format!("keep_days = 3\ntsa_url = \"{url}\""),
        )
    });
    let b = &mut t.branch;
    let job = paid_job(b, 9);
    let waiting = b.run_job(job.id, &mut |_| {}).expect("run");
    assert_eq!(waiting.state, State::SerialIssued, "{}", waiting.message);
    assert!(waiting.message.contains("gangguan"), "{}", waiting.message);
    down.store(false, Ordering::SeqCst);
    let done = b.run_job(job.id, &mut |_| {}).expect("run");
    assert_eq!(done.state, State::Stamped, "{}", done.message);
    let out = b.job_output(job.id).expect("output");
    let report = loket::pdf::verify_pdf(&std::fs::read(out.path).expect("file"), None, None)
        .expect("verify");
    assert!(report.all_valid());
    assert_eq!(report.signatures[0].timestamp_valid, Some(true));
    assert!(report.signatures[0].timestamp_time.is_some());
    loket::stamping::service::forget_provider(t.path());
}
