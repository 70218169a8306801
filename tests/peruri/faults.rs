//! Faults: what is retried and what is not, Retry-After, the circuit breaker, lost replies and adapter codes.

use super::{Env, issue_request, request_id, stamp_request};
use loket::config::PeruriMode;
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::provider::{Document, Health, NextStep, Provider, ProviderError, SerialState};
use loket::testing::fake_peruri::{Fault, Route};
use std::time::Duration;

/// The kind of an outcome, for table rows.
fn kind<T>(r: &Result<T, ProviderError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(ProviderError::Unavailable { .. }) => "unavailable",
        Err(ProviderError::RetryLater { .. }) => "retry-later",
        Err(ProviderError::Rejected { .. }) => "rejected",
        Err(ProviderError::SerialSpoiled { .. }) => "spoiled",
        Err(ProviderError::SerialUsed { .. }) => "used",
        Err(ProviderError::SignerRefused { .. }) => "signer",
        Err(ProviderError::Untrusted { .. }) => "untrusted",
        Err(ProviderError::QuotaExhausted { .. }) => "quota",
        Err(ProviderError::AuthFailed { .. }) => "auth",
        Err(ProviderError::BadDocument { .. }) => "document",
        Err(ProviderError::Timeout { .. }) => "timeout",
        Err(ProviderError::Protocol { .. }) => "protocol",
        Err(ProviderError::Local { .. }) => "local",
        Err(ProviderError::Config(_)) => "config",
    }
}

/// One fault on the quota call (a read, safe to repeat): the outcome and how many requests reached it.
fn check(fault: Fault, times: u32, expect: &str, requests: usize) {
    let env = Env::new(PeruriMode::Onprem);
    env.provider.quota().expect("warm-up: login and one call");
    env.fake.inject(Some(Route::Quota), fault.clone(), times);
    let r = env.provider.quota();
    assert_eq!(kind(&r), expect, "{fault:?} ×{times}: {r:?}");
    assert_eq!(
        env.count(Route::Quota) - 1,
        requests,
        "{fault:?} ×{times}: requests that reached the service"
    );
}

#[test]
fn only_connection_errors_timeouts_429_and_502_to_504_are_retried() {
    // Retries: 3 (four attempts at most).
    check(Fault::Status(503), 2, "ok", 3);
    check(Fault::Status(502), 1, "ok", 2);
    check(Fault::Status(504), 3, "ok", 4);
    check(Fault::Status(503), 4, "unavailable", 4);
    check(Fault::Status(500), 1, "unavailable", 1);
    check(Fault::Status(400), 1, "rejected", 1);
    check(Fault::Status(404), 1, "rejected", 1);
    check(Fault::Status(403), 1, "auth", 1);
    check(Fault::TooManyRequests { retry_after_s: 0 }, 2, "ok", 3);
    check(
        Fault::TooManyRequests { retry_after_s: 30 },
        1,
        "retry-later",
        1,
    );
    check(Fault::Hang(Duration::from_millis(1_500)), 1, "ok", 2);
    check(Fault::Hang(Duration::from_millis(1_500)), 4, "timeout", 4);
    check(Fault::Slow(Duration::from_millis(200)), 1, "ok", 1);
}

#[test]
fn retry_after_is_waited_out_before_the_retry() {
    let env = Env::new(PeruriMode::Onprem);
    env.provider.quota().expect("warm-up");
    env.fake.inject(
        Some(Route::Quota),
        Fault::TooManyRequests { retry_after_s: 1 },
        1,
    );
    env.provider.quota().expect("quota after the pause");
    let calls: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::Quota)
        .collect();
    assert_eq!(calls.len(), 3);
    let gap = calls[2].at - calls[1].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, before Retry-After"
    );
    // Too long a Retry-After is handed to the job instead of blocking the worker.
    env.fake.inject(
        Some(Route::Quota),
        Fault::TooManyRequests { retry_after_s: 30 },
        1,
    );
    match env.provider.quota() {
        Err(e @ ProviderError::RetryLater { .. }) => {
            assert!(e.to_string().contains("30 detik"), "{e}");
            assert_eq!(e.next_step(), NextStep::RetryLater);
        }
        other => panic!("expected RetryLater, got {other:?}"),
    }
}

#[test]
fn the_breaker_opens_answers_at_once_and_a_probe_closes_it() {
    let env = Env::with(PeruriMode::Onprem, |c| c.breaker_cooldown_ms = 300);
    env.provider.quota().expect("warm-up");
    env.fake.inject(None, Fault::Status(503), u32::MAX);
    // Four attempts fail in the first call, the fifth failure (second call) opens the breaker.
    let first = env.provider.quota();
    assert_eq!(kind(&first), "unavailable");
    let second = env.provider.quota();
    assert_eq!(kind(&second), "unavailable");
    let reached = env.fake.total_requests();
    assert!(matches!(env.provider.health(), Health::Down { .. }));
    for _ in 0..20 {
        let err = env.provider.quota().expect_err("breaker open");
        assert!(matches!(err, ProviderError::Unavailable { .. }), "{err:?}");
        assert!(err.to_string().contains("sedang gangguan"), "{err}");
        let err = env
            .provider
            .issue_serial_once(&issue_request(40))
            .expect_err("open");
        assert_eq!(err.next_step(), NextStep::RetryLater);
    }
    assert_eq!(
        env.fake.total_requests(),
        reached,
        "nothing reached the service while open"
    );

    // Cool-down over, still down: one probe, open again.
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(env.provider.health(), Health::Probing);
    assert_eq!(kind(&env.provider.quota()), "unavailable");
    assert_eq!(env.fake.total_requests(), reached + 1, "exactly one probe");
    assert!(matches!(env.provider.health(), Health::Down { .. }));

    // The service recovers: the next probe closes the breaker.
    env.fake.clear_faults();
    std::thread::sleep(Duration::from_millis(350));
    env.provider.quota().expect("probe succeeds");
    assert_eq!(env.provider.health(), Health::Up);
    env.provider.quota().expect("closed again");
}

#[test]
fn the_breaker_is_shared_by_every_provider_of_the_process() {
    let env = Env::new(PeruriMode::Onprem);
    let cfg = |env: &Env| {
        let mut c = env.fake.config(PeruriMode::Onprem);
        c.retries = 0;
        c.breaker_failures = 2;
        c
    };
    let a = PeruriProvider::new(cfg(&env)).expect("a");
    let b = PeruriProvider::new(cfg(&env)).expect("b");
    a.quota().expect("warm-up a");
    b.quota().expect("warm-up b");
    env.fake.inject(None, Fault::Status(502), u32::MAX);
    assert_eq!(kind(&a.quota()), "unavailable");
    assert_eq!(kind(&b.quota()), "unavailable");
    let reached = env.fake.total_requests();
    assert_eq!(kind(&a.quota()), "unavailable");
    assert_eq!(kind(&b.quota()), "unavailable");
    assert_eq!(
        env.fake.total_requests(),
        reached,
        "both see the open breaker"
    );
}

#[test]
fn a_dead_service_opens_the_breaker_without_waiting_on_it() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let addr = dead.local_addr().expect("addr");
    drop(dead);
    let mut cfg = loket::config::PeruriConfig::new("loket@pos.test", &format!("http://{addr}"));
    cfg.password = Some("x".into());
    cfg.shared_folder = Some(std::env::temp_dir());
    cfg.backoff_base_ms = 1;
    cfg.backoff_max_ms = 5;
    cfg.breaker_failures = 3;
    let provider = PeruriProvider::isolated(cfg).expect("provider");
    let first = provider.quota();
    assert_eq!(kind(&first), "unavailable", "{first:?}");
    assert!(matches!(provider.health(), Health::Down { .. }));
    let again = provider.quota();
    match again {
        Err(ProviderError::Unavailable { detail, .. }) => {
            assert!(detail.contains("circuit open"), "{detail}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn a_reply_lost_after_the_serial_was_issued_is_found_not_reissued() {
    let env = Env::new(PeruriMode::Onprem);
    for n in 50..55 {
        env.provider
            .issue_serial_once(&issue_request(n))
            .expect("sn");
    }
    env.fake
        .inject(Some(Route::IssueSerial), Fault::DropAfterIssue, 1);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(60))
        .expect("sn found again");
    let mine: Vec<_> = env
        .fake
        .serials()
        .into_iter()
        .filter(|s| s.nodoc == request_id(60))
        .collect();
    assert_eq!(mine.len(), 1, "one SN issued for the request");
    assert_eq!(issued.sn, mine[0].sn);
    assert!(issued.reconciled);
    assert_eq!(
        env.count(Route::IssueSerial),
        6,
        "five others and one for this job"
    );
    assert!(env.count(Route::SerialList) >= 1, "the list was consulted");

    // The reconciled SN stamps: its image is fetched again.
    env.provider
        .stamp(&stamp_request(60, &issued))
        .expect("stamped");
    assert_eq!(env.count(Route::QrImage), 1);
    assert_eq!(env.state_of(&issued.sn), SerialState::Stamped);
}

#[test]
fn after_a_restart_the_caller_says_it_tried_and_gets_the_same_serial() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake
        .inject(Some(Route::IssueSerial), Fault::DropAfterIssue, 1);
    // The process asking first loses the reply and makes no further attempt (no retries configured),
    // as if it had stopped right there.
    let mut cfg = env.fake.config(PeruriMode::Onprem);
    cfg.retries = 0;
    let first = PeruriProvider::isolated(cfg).expect("provider");
    let lost = first.issue_serial_once(&issue_request(70));
    assert_eq!(kind(&lost), "unavailable", "{lost:?}");
    assert_eq!(env.fake.serials().len(), 1, "the SN was issued and charged");

    let restarted = env.restarted(PeruriMode::Onprem);
    // Other counters issue meanwhile, so the lookup has to page (newest first, two per page).
    for n in 71..76 {
        restarted.issue_serial_once(&issue_request(n)).expect("sn");
    }
    let lost_sn = env.fake.serials()[0].sn.clone();
    let mut again = issue_request(70);
    again.attempted_before = true;
    let lists_before = env.count(Route::SerialList);
    let issued = restarted.issue_serial_once(&again).expect("found");
    assert_eq!(issued.sn, lost_sn);
    assert!(issued.reconciled);
    assert_eq!(
        env.count(Route::SerialList) - lists_before,
        3,
        "three pages read"
    );
    assert_eq!(env.fake.serials().len(), 6, "no second SN for the job");
    assert_eq!(env.count(Route::IssueSerial), 6);
    // Asking again (a second restart) still returns the same SN.
    assert_eq!(
        restarted.issue_serial_once(&again).expect("again").sn,
        issued.sn
    );
    assert_eq!(env.fake.serials().len(), 6);
}

#[test]
fn a_timed_out_serial_request_is_looked_up_before_it_is_repeated() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake.inject(
        Some(Route::IssueSerial),
        Fault::Hang(Duration::from_millis(1_500)),
        1,
    );
    let issued = env
        .provider
        .issue_serial_once(&issue_request(80))
        .expect("sn");
    assert!(!issued.reconciled, "nothing was issued by the hung call");
    assert_eq!(env.count(Route::IssueSerial), 2);
    assert!(
        env.count(Route::SerialList) >= 1,
        "looked up before asking again"
    );
    assert_eq!(env.fake.serials().len(), 1);
}

#[test]
fn a_serial_request_is_not_repeated_after_a_500_without_a_lookup() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake
        .inject(Some(Route::IssueSerial), Fault::Status(500), 1);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(81))
        .expect("sn");
    assert_eq!(env.count(Route::IssueSerial), 2);
    assert!(env.count(Route::SerialList) >= 1);
    assert_eq!(env.fake.serials().len(), 1);
    assert_eq!(env.fake.serials()[0].sn, issued.sn);
}

#[test]
fn quota_exhausted_is_not_retried() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake.set_quota(0);
    let r = env.provider.issue_serial_once(&issue_request(90));
    assert_eq!(kind(&r), "quota", "{r:?}");
    assert_eq!(env.count(Route::IssueSerial), 1);
    assert!(env.fake.serials().is_empty());
}

#[test]
fn adapter_97_is_retried_once_with_retry_flag_then_spoils_the_serial() {
    let env = Env::new(PeruriMode::Onprem);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(100))
        .expect("sn");
    env.fake
        .inject(Some(Route::AdapterSign), Fault::AdapterCode("97".into()), 1);
    env.provider
        .stamp(&stamp_request(100, &issued))
        .expect("stamped on the retry");
    let flags: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::AdapterSign)
        .map(|r| r.body["retryFlag"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(flags, ["0", "1"]);

    let issued = env
        .provider
        .issue_serial_once(&issue_request(101))
        .expect("sn");
    env.fake
        .inject(Some(Route::AdapterSign), Fault::AdapterCode("97".into()), 2);
    match env.provider.stamp(&stamp_request(101, &issued)) {
        Err(ProviderError::SerialSpoiled { sn, code }) => {
            assert_eq!((sn, code.as_str()), (issued.sn.clone(), "97"));
        }
        other => panic!("expected SerialSpoiled, got {other:?}"),
    }
    assert_eq!(env.count(Route::AdapterSign), 4);
}

#[test]
fn adapter_92_spoils_the_serial_at_once_and_80s_blame_the_document() {
    let env = Env::new(PeruriMode::Onprem);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(110))
        .expect("sn");
    env.fake
        .inject(Some(Route::AdapterSign), Fault::AdapterCode("92".into()), 1);
    let r = env.provider.stamp(&stamp_request(110, &issued));
    assert_eq!(kind(&r), "spoiled", "{r:?}");
    let e = r.expect_err("spoiled");
    assert_eq!(e.next_step(), NextStep::NewSerial);
    assert!(e.to_string().contains(&issued.sn), "{e}");
    assert_eq!(env.count(Route::AdapterSign), 1, "92 is not retried");

    let issued = env
        .provider
        .issue_serial_once(&issue_request(111))
        .expect("sn");
    let mut req = stamp_request(111, &issued);
    req.document = Document::Bytes(b"GIF89a not a pdf".to_vec());
    let r = env.provider.stamp(&req);
    assert_eq!(kind(&r), "document", "{r:?}");
    assert_eq!(r.expect_err("bad").next_step(), NextStep::AskPerson);
    assert_eq!(env.count(Route::AdapterSign), 2, "not retried");
}

#[test]
fn cloud_signing_errors_map_the_same_way() {
    let env = Env::new(PeruriMode::Cloud);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(120))
        .expect("sn");
    env.fake
        .inject(Some(Route::CloudSign), Fault::AdapterCode("92".into()), 1);
    assert_eq!(
        kind(&env.provider.stamp(&stamp_request(120, &issued))),
        "spoiled"
    );
    env.fake
        .inject(Some(Route::Download), Fault::Status(503), 1);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(121))
        .expect("sn");
    env.provider
        .stamp(&stamp_request(121, &issued))
        .expect("download retried");
    assert_eq!(env.count(Route::Download), 2);
}

#[test]
fn a_stamping_reply_lost_after_signing_returns_the_signed_file() {
    for mode in [PeruriMode::Onprem, PeruriMode::Cloud] {
        let env = Env::new(mode);
        let route = match mode {
            PeruriMode::Onprem => Route::AdapterSign,
            PeruriMode::Cloud => Route::CloudSign,
        };
        let issued = env
            .provider
            .issue_serial_once(&issue_request(130))
            .expect("sn");
        // The signing call is carried out, then its reply is lost: the signed file is picked up
        // instead of signing again with an SN that is already used.
        env.fake.inject(Some(route), Fault::DropReply, 1);
        let stamped = env
            .provider
            .stamp(&stamp_request(130, &issued))
            .expect("stamped");
        assert!(
            String::from_utf8_lossy(&stamped).contains(&issued.sn),
            "{mode:?}"
        );
        assert_eq!(env.count(route), 1, "{mode:?}: signed once");
    }
}
