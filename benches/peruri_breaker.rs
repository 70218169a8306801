//! How fast a stamping call fails while Peruri is down: breaker open versus the first failures that open it.
//!
//! `cargo bench --bench peruri_breaker` (release). Three measurements in one run, all through the real
//! client over loopback with the production defaults of `[stamping.peruri]` (3 retries, 250 ms backoff
//! base, 3 s connect and 15 s request timeouts):
//! 1. breaker open: time from the call to `Unavailable`, p50/p99 over many calls;
//! 2. breaker closed, nothing listening (connection refused): the first failing call;
//! 3. breaker closed, a server that accepts and never answers: the first failing call.

use loket::config::PeruriConfig;
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::provider::{IssueRequest, Provider, ProviderError};
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Fault};
use std::time::{Duration, Instant};

fn config(base: &str) -> PeruriConfig {
    let mut c = PeruriConfig::new("loket@pos.test", base);
    c.password = Some("rahasia-uji".into());
    c.shared_folder = Some(std::env::temp_dir());
    c
}

// fits: a bench has a few thousand samples (exact as f64), and the rank is between 0 and len - 1.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what}: n={} p50={:?} p99={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

fn unavailable<T: std::fmt::Debug>(r: Result<T, ProviderError>) {
    match r {
        Err(e @ ProviderError::Unavailable { .. }) => {
            assert!(e.to_string().contains("sedang gangguan"), "{e}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn request(n: u32) -> IssueRequest {
    IssueRequest {
        request_id: format!("bench-{n:08}-request"),
        doc_type: "3".into(),
        file_name: "surat.pdf".into(),
        doc_date: time::macros::date!(2026 - 11 - 23),
        value: 0,
        sha256: "00".repeat(32),
        document: None,
        attempted_before: false,
    }
}

fn main() {
    // 1. Breaker open.
    let fake = FakePeruri::start(FakeOptions::default()).expect("fake");
    let provider = PeruriProvider::isolated(config(&fake.base_url())).expect("provider");
    provider.quota().expect("warm-up");
    fake.inject(None, Fault::Status(503), u32::MAX);
    let opened = Instant::now();
    while !matches!(
        provider.health(),
        loket::stamping::provider::Health::Down { .. }
    ) {
        let _ = provider.quota();
    }
    println!(
        "breaker opened after {:?} of failing calls",
        opened.elapsed()
    );
    let reached = fake.total_requests();
    let calls = 20_000;
    let mut quota = Vec::with_capacity(calls);
    let mut issue = Vec::with_capacity(calls);
    for n in 0..calls {
        let t = Instant::now();
        unavailable(provider.quota());
        quota.push(t.elapsed());
        let t = Instant::now();
        unavailable(
            provider.issue_serial_once(&request(u32::try_from(n).expect("a few hundred requests"))),
        );
        issue.push(t.elapsed());
    }
    assert_eq!(
        fake.total_requests(),
        reached,
        "no request reached the service"
    );
    report("breaker open, quota -> Unavailable", quota);
    report("breaker open, issue_serial_once -> Unavailable", issue);

    // 2. Nothing listening: connection refused, retried with backoff, breaker still closed.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let dead_url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let mut refused = Vec::new();
    for _ in 0..20 {
        let p = PeruriProvider::isolated(config(&dead_url)).expect("provider");
        let t = Instant::now();
        unavailable(p.quota());
        refused.push(t.elapsed());
    }
    report("breaker closed, connection refused, first call", refused);

    // 3. A server that accepts and never answers: each attempt waits out the 15 s request timeout.
    let hanging = FakePeruri::start(FakeOptions::default()).expect("fake");
    let p = PeruriProvider::isolated(config(&hanging.base_url())).expect("provider");
    p.quota().expect("warm-up");
    hanging.inject(None, Fault::Hang(Duration::from_secs(120)), u32::MAX);
    let t = Instant::now();
    let r = p.quota();
    let took = t.elapsed();
    assert!(matches!(r, Err(ProviderError::Timeout { .. })), "{r:?}");
    report("breaker closed, hanging server, first call", vec![took]);
}
