//! The hall page in headless Chromium: calls pushed within a second, recovery after a restart, calls
//! spoken in order without cutting each other off, and a screenshot at 1920×1080 kept as an artefact.

use super::support::{Browser, DisplayServer, artefact_dir, free_port, png_size};
use crate::common::TestBranch;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(20);

/// Issues a ticket of `service` a minute after the previous one, so the order of arrival is the
/// order of issue (each `loket` process starts its clock at the test clock).
fn issue(tb: &TestBranch, service: &str) -> String {
    tb.clock.advance(time::Duration::minutes(1));
    tb.cli_ok(&["queue", "issue", service])
}

/// The page has its first state from the server.
fn wait_live(browser: &Browser) {
    browser.wait_for("the hall page's first state", PATIENCE, |b| {
        b.eval("return document.body.dataset.connection === 'live' && document.getElementById('branch').textContent !== 'Kantor Pos';")
            == serde_json::json!(true)
    });
}

#[test]
fn hall_page_shows_a_call_within_one_second_and_is_captured_at_1920x1080() {
    let tb = TestBranch::new();
    for _ in 0..3 {
        issue(&tb, "A");
    }
    issue(&tb, "B");
    tb.cli_ok(&["queue", "call", "--counter", "1"]);
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let browser = Browser::start(1920, 1080);
    browser.open(&server.url("/"));
    wait_live(&browser);
    assert_eq!(browser.text("newest-ticket"), "A-001");

    let called = tb.cli_ok(&["queue", "call", "--counter", "2"]);
    assert_eq!(called, "A-002");
    let committed = Instant::now();
    browser.wait_for("A-002 on the hall page", PATIENCE, |b| {
        b.text("newest-ticket") == "A-002"
    });
    let shown_after = committed.elapsed();
    assert!(
        shown_after < Duration::from_secs(1),
        "the call reached the page after {shown_after:?}"
    );
    assert_eq!(browser.text("newest-counter"), "loket 2");
    let recent = browser.text("recent-list");
    assert!(recent.contains("A-001"), "{recent}");
    let waiting = browser.text("waiting-list");
    assert!(waiting.contains("1 orang"), "{waiting}");
    assert!(browser.text("running-text").contains("Selamat datang"));

    // The embedded font, not whatever the TV has installed.
    browser.wait_for("the embedded font", PATIENCE, |b| {
        b.eval(
            "return Array.from(document.fonts).some(function (f) {
                 return f.family.indexOf('Loket Sans') >= 0 && f.weight.indexOf('700') === 0 && f.status === 'loaded';
             });",
        ) == serde_json::json!(true)
    });

    // The caption blinks for a while after a call; the screenshot is of the settled screen layout.
    let png = browser.screenshot();
    assert_eq!(png_size(&png), (1920, 1080));
    let path = artefact_dir().join("hall-1920x1080.png");
    std::fs::write(&path, &png).expect("keep the screenshot");
    eprintln!("hall page screenshot: {}", path.display());

    // The same page at 1280×720: the newest call stays whole on screen.
    let small = Browser::start(1280, 720);
    small.open(&server.url("/"));
    wait_live(&small);
    let fits = small.eval(
        "var r = document.getElementById('newest-ticket').getBoundingClientRect();
         var c = document.getElementById('newest-counter').getBoundingClientRect();
         return r.left >= 0 && r.right <= innerWidth && c.bottom <= innerHeight && r.height > 100;",
    );
    assert_eq!(fits, serde_json::json!(true));
    let png = small.screenshot();
    assert_eq!(png_size(&png), (1280, 720));
    std::fs::write(artefact_dir().join("hall-1280x720.png"), &png).expect("keep the screenshot");
}

#[test]
fn hall_page_reconnects_after_a_server_restart_and_shows_the_next_call() {
    let tb = TestBranch::new();
    issue(&tb, "A");
    issue(&tb, "A");
    let port = free_port();
    let mut server = DisplayServer::start(tb.path(), &tb.fake_now(), port);
    let browser = Browser::start(1280, 720);
    browser.open(&server.url("/"));
    wait_live(&browser);
    assert_eq!(browser.text("newest-ticket"), "—");

    server.stop();
    browser.wait_for("the reconnecting notice", PATIENCE, |b| {
        b.eval("return !document.getElementById('reconnect').hidden;") == serde_json::json!(true)
    });
    assert_eq!(browser.text("reconnect"), "menyambung ulang…");

    // A call while the server is down is caught up when it is back.
    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "3"]), "A-001");
    let _server = DisplayServer::start(tb.path(), &tb.fake_now(), port);
    browser.wait_for("A-001 after the restart", PATIENCE, |b| {
        b.text("newest-ticket") == "A-001"
    });
    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "2"]), "A-002");
    browser.wait_for("the next call, A-002", PATIENCE, |b| {
        b.text("newest-ticket") == "A-002"
    });
    assert_eq!(
        browser.eval("return document.getElementById('reconnect').hidden;"),
        serde_json::json!(true)
    );
    let calls = browser.eval("return window.loketCalls.map(function (c) { return c.ticket; });");
    assert_eq!(calls, serde_json::json!(["A-001", "A-002"]));
}

#[test]
fn hall_page_speaks_quick_calls_one_after_another_and_repeats_a_recall() {
    let tb = TestBranch::new();
    issue(&tb, "A");
    issue(&tb, "B");
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let browser = Browser::start(1280, 720);
    browser.open(&server.url("/"));
    wait_live(&browser);

    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "1"]), "A-001");
    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "2"]), "B-001");
    tb.cli_ok(&["queue", "recall", "--counter", "1"]);
    browser.wait_for("three calls spoken", Duration::from_secs(60), |b| {
        b.eval("return window.loketSpoken.length;") == serde_json::json!(3)
    });

    let config = &tb.branch.config();
    let first = loket::hall::voice::call_segments(config, "A", 1, 1);
    let second = loket::hall::voice::call_segments(config, "B", 1, 2);
    assert_eq!(
        first,
        [
            "chime",
            "nomor-antrian",
            "huruf-a",
            "0",
            "0",
            "1",
            "silakan-ke",
            "loket",
            "1"
        ]
    );
    let expected: Vec<String> = [first.clone(), second, first].concat();
    let played: Vec<String> =
        serde_json::from_value(browser.eval("return window.loketPlayed;")).expect("segments");
    assert_eq!(played, expected, "every segment of each call, in order");
    assert_eq!(
        browser.eval("return window.loketSpoken;"),
        serde_json::json!(["A-001", "B-001", "A-001"])
    );
}
