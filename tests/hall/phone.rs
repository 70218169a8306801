//! The ticket on the customer's phone: the printed ticket's QR link, the page turning to "Giliran
//! Anda" when the ticket is called, and nothing at all without the ticket's token.

use super::support::{Browser, DisplayServer, free_port};
use crate::common::TestBranch;
use std::time::Duration;

#[test]
fn hall_phone_page_follows_the_ticket_and_turns_when_called() {
    let port = free_port();
    let tb = TestBranch::with_config(|text| {
        text.replace("ticket_qr = false", "ticket_qr = true")
            .replace(
                "# public_url = \"http://192.168.1.10:8080\"",
                &format!("public_url = \"http://127.0.0.1:{port}\""),
            )
    });
    let mut branch = tb.reopen();
    tb.cli_ok(&["queue", "issue", "A"]);
    tb.clock.advance(time::Duration::minutes(1));
    let (view, _) = branch
        .printing()
        .issue_and_print_ticket("A", "dispenser")
        .expect("issue and print");
    assert_eq!(view.ticket.to_string(), "A-002");
    let links = branch
        .hall()
        .ticket_links()
        .expect("links")
        .expect("ticket_qr is on");
    let url = links.url(&view.business_day, &view.ticket);
    assert!(url.starts_with(&format!("http://127.0.0.1:{port}/t/A-002?k=")));

    // The link went to the printer as the ticket's QR code (the print job's journalled payload),
    // and the printed ticket shows the code with its caption.
    let queued: String = branch
        .store_mut()
        .read(|c| {
            c.query_row(
                "SELECT detail FROM journal WHERE kind = 'print.queued' ORDER BY seq DESC LIMIT 1",
                (),
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .expect("print job");
    assert!(
        queued.contains(&format!("\"status_url\":\"{url}\"")),
        "{queued}"
    );
    let printed: String = std::fs::read_dir(tb.path().join("printer/dispenser"))
        .expect("dispenser output")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    // The dispenser's 58 mm profile prints the code as a picture.
    assert!(
        (printed.contains("[QR]") || printed.contains("[gambar")) && printed.contains("Pindai"),
        "{printed}"
    );

    tb.clock.advance(time::Duration::minutes(1));
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), port);
    let phone = Browser::start(412, 915);
    phone.open(&url);
    phone.wait_for("the ticket on the phone", Duration::from_secs(20), |b| {
        b.text("ticket") == "A-002"
    });
    assert_eq!(phone.text("ahead"), "1 orang");
    assert!(
        phone.text("wait").ends_with("menit"),
        "{}",
        phone.text("wait")
    );

    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "1"]), "A-001");
    phone.wait_for("one fewer ahead", Duration::from_secs(20), |b| {
        b.text("ahead") == "Anda berikutnya"
    });
    assert_eq!(tb.cli_ok(&["queue", "call", "--counter", "2"]), "A-002");
    phone.wait_for("Giliran Anda", Duration::from_secs(20), |b| {
        b.text("turn-text") == "Giliran Anda — silakan ke loket 2"
    });
    assert_eq!(
        phone.eval("return document.getElementById('turn').hidden;"),
        serde_json::json!(false)
    );
    drop(server);
}

#[test]
fn hall_phone_page_without_its_token_is_not_found() {
    let tb = TestBranch::new();
    tb.cli_ok(&["queue", "issue", "A"]);
    tb.cli_ok(&["queue", "issue", "A"]);
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let secret = loket::hall::token::Secret::load_or_create(tb.path()).expect("secret");
    let day = tb.branch.store().today().to_string();
    let code = tb.branch.config().branch.code.clone();
    let good = secret.token(&code, &day, "A-001");
    let other_day = secret.token(&code, "2020-01-01", "A-001");
    let http = reqwest::blocking::Client::new();
    let status = |path: &str| {
        http.get(server.url(path))
            .send()
            .expect("request")
            .status()
            .as_u16()
    };
    assert_eq!(status(&format!("/t/A-001?k={good}")), 200);
    assert_eq!(status(&format!("/t/A-001/events?k={good}")), 200);
    assert_eq!(status("/t/A-001"), 404);
    assert_eq!(status("/t/A-001?k=00000000000000000000000000000000"), 404);
    assert_eq!(status(&format!("/t/A-002?k={good}")), 404, "another number");
    assert_eq!(
        status(&format!("/t/A-001?k={other_day}")),
        404,
        "another day"
    );
    assert_eq!(status(&format!("/t/A-001/events?k={other_day}")), 404);
    // A valid token for a ticket never issued today shows nothing either.
    let unissued = secret.token(&code, &day, "A-009");
    assert_eq!(status(&format!("/t/A-009?k={unissued}")), 404);
    let body = http
        .get(server.url("/t/A-001?k=wrong"))
        .send()
        .and_then(|r| r.text())
        .expect("body");
    assert!(
        !body.contains("A-001"),
        "a 404 says nothing about the ticket"
    );
}
