//! WhatsApp delivery against the reference Cloud API fake (tests/whatsapp_ref/fake_whatsapp.py,
//! written from Meta's documentation, not from loket's client): a delivery from the counter and
//! one from the worker after the customer left, every fault (nothing sent twice, nothing lost, the
//! right words), status webhooks, kill -9 between upload and send, and the number rules.

use crate::common::{TestBranch, loket_bin};
use crate::stamping::support::{CLERK, paid_job};
use loket::delivery::Status;
use loket::delivery::wa_outbox::{self, UNSURE};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const TOKEN: &str = "EAAtestTOKENloket0123456789";
const PHONE_ID: &str = "109876543210987";
const SECRET: &str = "rahasia-aplikasi-uji";
const VERIFY: &str = "token-verifikasi-uji";
const NUMBER: &str = "0812-3456-7890";
const E164: &str = "+6281234567890";

/// The reference fake on loopback, with its own state folder (kept across restarts).
struct Fake {
    child: Child,
    port: u16,
    state: tempfile::TempDir,
    seed: u64,
}

impl Fake {
    fn start(seed: u64) -> Fake {
        let state = tempfile::tempdir().expect("fake state");
        let (child, port) = Fake::spawn(state.path(), seed);
        Fake {
            child,
            port,
            state,
            seed,
        }
    }

    fn spawn(state: &Path, seed: u64) -> (Child, u16) {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/whatsapp_ref/fake_whatsapp.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--state"])
            .arg(state)
            .args(["--token", TOKEN, "--phone-number-id", PHONE_ID])
            .args(["--app-secret", SECRET, "--seed", &seed.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the WhatsApp fake");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the fake's port line");
        let port = serde_json::from_str::<Value>(&line).expect("port json")["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .expect("port");
        (child, port)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn control(&self, body: Value) {
        let reply = reqwest::blocking::Client::new()
            .post(format!("{}/_control", self.url()))
            .json(&body)
            .send()
            .expect("control");
        assert!(
            reply.status().is_success(),
            "control {body}: {:?}",
            reply.text()
        );
    }

    fn ledger(&self) -> Value {
        reqwest::blocking::get(format!("{}/_ledger", self.url()))
            .expect("ledger")
            .json()
            .expect("ledger json")
    }

    /// Messages the fake accepted (whatever became of them later).
    fn messages(&self) -> Vec<Value> {
        self.ledger()["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn uploads(&self) -> Vec<Value> {
        self.ledger()["uploads"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = (&self.state, self.seed);
    }
}

/// A branch whose `[whatsapp]` points at `fake` (webhooks on when `webhooks`), with a stamped job.
fn branch_with(fake: &Fake, webhooks: bool) -> (TestBranch, i64) {
    let mut section = format!(
        "\n[whatsapp]\nphone_number_id = \"{PHONE_ID}\"\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\n\
         api_version = \"v21.0\"\ntimeout_seconds = 2\napp_secret = \"{SECRET}\"\nverify_token = \"{VERIFY}\"\n",
        fake.url()
    );
    if webhooks {
        section.push_str("webhook_listen = \"127.0.0.1:0\"\n");
    }
    let mut t = TestBranch::with_config(|text| format!("{text}{section}"));
    let job = stamped_job(&mut t, 1);
    (t, job)
}

fn stamped_job(t: &mut TestBranch, n: u32) -> i64 {
    let job = paid_job(&mut t.branch, n).id;
    t.branch
        .stamping()
        .run_job(job, &mut |_| {})
        .expect("stamp");
    job.get()
}

/// The webhook receiver on its own thread (as `loket wa-webhook` runs it); the fake posts to it.
struct Receiver {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: String,
}

impl Receiver {
    fn start(t: &TestBranch, fake: &Fake) -> Receiver {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let dir = t.path().to_path_buf();
        let clock: Arc<dyn loket::clock::Clock> = Arc::new(t.clock.clone());
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            wa_outbox::serve_webhook(&dir, clock, "127.0.0.1:0", s, |addr| {
                let _ = tx.send(addr);
            })
            .expect("serve webhook");
        });
        let addr = rx.recv_timeout(Duration::from_secs(10)).expect("listening");
        let url = format!("http://{addr}/webhook");
        fake.control(json!({"webhook_url": url, "app_secret": SECRET, "webhook_delay_ms": 50}));
        Receiver {
            stop,
            thread: Some(thread),
            url,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn row(t: &mut TestBranch, id: i64) -> loket::delivery::OutboxEntry {
    t.branch
        .delivery()
        .outbox_entry(id)
        .expect("read")
        .expect("row")
}

/// Waits (up to 10 s) until `done` holds for the row, the fake's webhooks being asynchronous.
fn wait_for(t: &mut TestBranch, id: i64, done: impl Fn(&loket::delivery::OutboxEntry) -> bool) {
    for _ in 0..200 {
        if done(&row(t, id)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("row {id} never got there: {:?}", row(t, id));
}

fn pass(t: &mut TestBranch) -> wa_outbox::WaSummary {
    let now = t.clock_now();
    t.branch.delivery().send_due_whatsapp(now).expect("pass")
}

/// No journal entry, outbox row of a finished delivery or report names the whole number.
fn number_kept_nowhere(t: &mut TestBranch) {
    let digits = "81234567890";
    let in_journal: i64 = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE detail LIKE '%' || ?1 || '%'",
            [digits],
            |r| r.get(0),
        )
        .expect("journal");
    assert_eq!(in_journal, 0, "the journal keeps only the masked number");
    let token_anywhere: i64 = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT (SELECT COUNT(*) FROM journal WHERE detail LIKE '%' || ?1 || '%')
                  + (SELECT COUNT(*) FROM outbox WHERE COALESCE(last_error, '') || COALESCE(server_reply, '') LIKE '%' || ?1 || '%')",
            [TOKEN],
            |r| r.get(0),
        )
        .expect("token");
    assert_eq!(token_anywhere, 0, "the token is never stored");
}

#[test]
fn a_counter_delivery_goes_out_as_the_approved_template_with_the_document() {
    let fake = Fake::start(1);
    fake.control(json!({"shape": "documented"}));
    let (mut t, job) = branch_with(&fake, false);
    let out = t
        .branch
        .stamping()
        .job_output(loket::stamping::JobId(job))
        .expect("output");
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    assert_eq!(row(&mut t, id).to, E164);
    let summary = pass(&mut t);
    assert_eq!(summary.sent, vec![id], "{summary:?}");

    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0]["sha256"].as_str(), Some(out.sha256.as_str()));
    let messages = fake.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["type"], "template");
    assert_eq!(
        m["to"].as_str().map(|s| s.trim_start_matches('+')),
        Some("6281234567890")
    );
    assert_eq!(m["media_id"], uploads[0]["id"]);
    assert_eq!(m["template"]["name"], "loket_dokumen_bermeterai");
    let params = m["template"]["params"].to_string();
    assert!(
        params.contains("Kantor Pos Demo") && params.contains(out.sns[0].as_str()),
        "{m}"
    );

    // No webhooks here: "terkirim ke WhatsApp" is the last word, and the number is masked.
    let done = row(&mut t, id);
    assert_eq!(done.status, Status::Sent);
    assert_eq!(done.state_label(), "terkirim ke WhatsApp");
    assert_eq!(done.to, "+62812****890");
    assert_eq!(
        t.branch
            .stamping()
            .job(loket::stamping::JobId(job))
            .expect("job")
            .state,
        loket::stamping::State::Delivered
    );
    number_kept_nowhere(&mut t);
    // The same job and number again is not a second message.
    assert_eq!(
        t.branch
            .delivery()
            .whatsapp_job(job, "+62 812 3456 7890", CLERK)
            .expect("again"),
        id
    );
    pass(&mut t);
    assert_eq!(fake.messages().len(), 1);

    // The daily pack counts it; its CSV carries the count, not the number.
    let pack = t.cli_ok(&["report", "daily", "--date", "2026-11-23"]);
    assert!(pack.contains("WhatsApp terkirim 1"), "{pack}");
    assert!(!pack.contains("81234567890"), "{pack}");
}

#[test]
fn inside_the_customers_window_a_document_message_with_a_caption_goes_and_webhooks_report_it() {
    let fake = Fake::start(2);
    let (mut t, job) = branch_with(&fake, true);
    let receiver = Receiver::start(&t, &fake);
    // The customer scanned the wa.me code and wrote to the branch first.
    fake.control(json!({"inbound": [{"from": "6281234567890", "text": "Halo, saya mau dokumen saya", "name": "Budi"}], "statuses": "read"}));
    for _ in 0..100 {
        let opened: i64 = t
            .branch
            .store()
            .conn()
            .query_row("SELECT COUNT(*) FROM wa_inbound", (), |r| r.get(0))
            .expect("windows");
        if opened == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    assert_eq!(pass(&mut t).sent, vec![id]);
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["type"], "document", "{}", messages[0]);
    let caption = messages[0]["caption"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(caption.contains("Kantor Pos Demo"), "{caption}");
    wait_for(&mut t, id, |r| r.wa_status.as_deref() == Some("read"));
    let done = row(&mut t, id);
    assert_eq!(done.state_label(), "sudah dibaca");
    assert_eq!(done.to, "+62812****890");
    number_kept_nowhere(&mut t);

    // A forged webhook (wrong signature) is refused; Meta's subscription check is answered.
    let client = reqwest::blocking::Client::new();
    let forged = client
        .post(&receiver.url)
        .header("X-Hub-Signature-256", "sha256=00")
        .body(r#"{"object":"whatsapp_business_account","entry":[]}"#)
        .send()
        .expect("post");
    assert_eq!(forged.status().as_u16(), 401);
    let challenge = client
        .get(format!(
            "{}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=4242",
            receiver.url
        ))
        .send()
        .expect("get");
    assert_eq!(challenge.status().as_u16(), 200);
    assert_eq!(challenge.text().expect("body"), "4242");
    let wrong = client
        .get(format!(
            "{}?hub.mode=subscribe&hub.verify_token=salah&hub.challenge=4242",
            receiver.url
        ))
        .send()
        .expect("get");
    assert_eq!(wrong.status().as_u16(), 403);
}

#[test]
fn rate_limits_outages_and_hangs_wait_and_retry_and_send_once() {
    let fake = Fake::start(3);
    let (mut t, job) = branch_with(&fake, false);
    fake.control(json!({"faults": {
        "media": ["503", "hang"],
        "messages": ["429:retry_after=7", "500"],
    }}));
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    let mut sent = false;
    let mut waits = Vec::new();
    for _ in 0..8 {
        let before = loket::store::to_ms(t.clock_now());
        let s = pass(&mut t);
        if s.sent == vec![id] {
            sent = true;
            break;
        }
        assert_eq!(s.retry, vec![id], "{s:?}: {:?}", row(&mut t, id));
        let r = row(&mut t, id);
        assert!(r.last_error.is_some(), "{r:?}");
        waits.push((
            r.next_attempt_ms - before,
            r.last_error.clone().unwrap_or_default(),
        ));
        t.clock.set(loket::store::from_ms(r.next_attempt_ms));
    }
    assert!(sent, "{waits:?}");
    // The 429's own retry time was honoured.
    assert!(
        waits
            .iter()
            .any(|(w, why)| *w == 7_000 && why.contains("membatasi kecepatan")),
        "{waits:?}"
    );
    assert!(
        waits.iter().any(|(_, why)| why.contains("gangguan")),
        "{waits:?}"
    );
    assert!(
        waits.iter().any(|(_, why)| why.contains("tidak menjawab")),
        "{waits:?}"
    );
    assert_eq!(fake.messages().len(), 1, "one message, however many tries");
    assert_eq!(row(&mut t, id).attempts, 5);
}

#[test]
fn a_lost_reply_is_never_sent_again_by_itself() {
    let fake = Fake::start(4);
    let (mut t, job) = branch_with(&fake, false);
    fake.control(json!({"faults": {"messages": ["drop_after_accept"]}}));
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    let s = pass(&mut t);
    assert_eq!(s.failed, vec![id], "{s:?}");
    let r = row(&mut t, id);
    assert_eq!(r.last_error.as_deref(), Some(UNSURE));
    assert_eq!(r.to, E164, "kept: the clerk may send it again");
    assert_eq!(fake.messages().len(), 1, "the API did take it");
    pass(&mut t);
    assert_eq!(fake.messages().len(), 1, "not sent again by itself");
    // The customer did not get it: the clerk sends it again, on purpose.
    t.branch.delivery().outbox_retry(CLERK, id).expect("retry");
    assert_eq!(pass(&mut t).sent, vec![id]);
    assert_eq!(fake.messages().len(), 2);
}

#[test]
fn with_webhooks_a_lost_reply_is_settled_by_the_status_that_carries_its_key() {
    let fake = Fake::start(5);
    let (mut t, job) = branch_with(&fake, true);
    let _receiver = Receiver::start(&t, &fake);
    fake.control(json!({"faults": {"messages": ["drop_after_accept"]}}));
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    let s = pass(&mut t);
    assert_eq!(s.retry, vec![id], "waits for the webhook: {s:?}");
    wait_for(&mut t, id, |r| r.status == Status::Sent);
    wait_for(&mut t, id, |r| r.wa_status.as_deref() == Some("delivered"));
    let r = row(&mut t, id);
    assert_eq!(r.state_label(), "sampai di ponsel");
    let wamid = fake.messages()[0]["wamid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(r.server_reply.as_deref(), Some(wamid.as_str()));
    // Later passes leave it alone.
    t.clock.advance(time::Duration::minutes(15));
    pass(&mut t);
    assert_eq!(fake.messages().len(), 1);
}

#[test]
fn permanent_refusals_fail_with_the_reason_and_what_to_do() {
    let fake = Fake::start(6);
    let (mut t, _job) = branch_with(&fake, true);
    let _receiver = Receiver::start(&t, &fake);
    let job = |t: &mut TestBranch, n: u32, to: &str| {
        let j = stamped_job(t, n);
        t.branch
            .delivery()
            .whatsapp_job(j, to, CLERK)
            .expect("queue")
    };

    // An expired token: refused for good, the technician renews it, then it is sent again by hand.
    fake.control(json!({"token_expired": true}));
    let expired = job(&mut t, 2, NUMBER);
    assert_eq!(pass(&mut t).failed, vec![expired]);
    let why = row(&mut t, expired).last_error.unwrap_or_default();
    assert!(
        why.contains("Token akses WhatsApp") && why.contains("kirim ulang"),
        "{why}"
    );
    assert!(!why.contains(TOKEN));
    fake.control(json!({"token_expired": false}));

    // A number not on WhatsApp: accepted, then a failed status webhook.
    fake.control(json!({"not_on_whatsapp": ["6281399990000"]}));
    let absent = job(&mut t, 3, "0813-9999-0000");
    assert_eq!(pass(&mut t).sent, vec![absent]);
    wait_for(&mut t, absent, |r| r.status == Status::Failed);
    let why = row(&mut t, absent).last_error.unwrap_or_default();
    assert!(why.contains("tidak terdaftar di WhatsApp"), "{why}");

    // The template not (yet) approved.
    fake.control(
        json!({"templates": [{"name": "loket_dokumen_bermeterai", "language": "id",
        "category": "UTILITY", "status": "PENDING", "header": "DOCUMENT", "body_params": 2}]}),
    );
    let pending = job(&mut t, 4, "081234567891");
    assert_eq!(pass(&mut t).failed, vec![pending]);
    let why = row(&mut t, pending).last_error.unwrap_or_default();
    assert!(
        why.contains("Templat WhatsApp") && why.contains("disetujui"),
        "{why}"
    );

    // Only the not-on-WhatsApp message reached the API.
    assert_eq!(fake.messages().len(), 1);
    number_kept_nowhere(&mut t);
}

#[test]
fn an_expired_media_id_is_uploaded_again_and_sent_once() {
    let fake = Fake::start(7);
    let (mut t, job) = branch_with(&fake, false);
    fake.control(json!({"faults": {"messages": ["500"]}}));
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    assert_eq!(pass(&mut t).retry, vec![id]);
    let first = fake.uploads()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    fake.control(json!({"expire_media": [first]}));
    let due = row(&mut t, id).next_attempt_ms;
    t.clock.set(loket::store::from_ms(due));
    assert_eq!(pass(&mut t).sent, vec![id]);
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 2, "uploaded again once");
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["media_id"], uploads[1]["id"]);
}

/// `loket outbox send` for `t`'s branch, killed (abort) at the crash point `at`.
fn killed_sender(t: &TestBranch, at: &str) {
    let out = Command::new(loket_bin())
        .arg("--data")
        .arg(t.path())
        .args(["outbox", "send"])
        .env(loket::clock::FAKE_NOW_VAR, t.fake_now())
        .env(loket::crash::ENV, at)
        .output()
        .expect("run sender");
    assert!(!out.status.success(), "the sender died at {at}");
}

#[test]
fn a_sender_killed_between_upload_and_send_sends_once_after_restart() {
    let fake = Fake::start(8);
    let (mut t, job) = branch_with(&fake, false);
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    killed_sender(&t, "whatsapp.uploaded");
    assert_eq!(fake.uploads().len(), 1);
    assert!(fake.messages().is_empty());
    // The next pass takes the row back from the dead process, keeps the media, sends once.
    assert_eq!(pass(&mut t).sent, vec![id]);
    assert_eq!(fake.uploads().len(), 1, "the upload is reused");
    assert_eq!(fake.messages().len(), 1);

    // Killed after the API took the message but before loket recorded it: never sent twice; the
    // clerk is told to ask the customer.
    let job2 = stamped_job(&mut t, 2);
    let id2 = t
        .branch
        .delivery()
        .whatsapp_job(job2, NUMBER, CLERK)
        .expect("queue");
    killed_sender(&t, "whatsapp.sent_unrecorded");
    assert_eq!(fake.messages().len(), 2);
    assert_eq!(pass(&mut t).failed, vec![id2]);
    assert_eq!(row(&mut t, id2).last_error.as_deref(), Some(UNSURE));
    assert_eq!(fake.messages().len(), 2);

    // A fake restarted on its own state still knows what it took.
    drop(fake);
}

#[test]
fn the_worker_sends_to_a_customer_who_left_before_the_stamp() {
    let fake = Fake::start(9);
    let (mut t, _) = branch_with(&fake, false);
    // The e-Meterai service is down when this customer pays; they leave their WhatsApp number.
    let held = paid_job(&mut t.branch, 5).id;
    t.branch
        .stamping()
        .set_job_whatsapp(held, "+62 812-3456-7890", CLERK)
        .expect("number");
    let round = loket::stamping::worker::round(&mut t.branch, true).expect("round");
    assert!(round.errors.is_empty(), "{:?}", round.errors);
    assert_eq!(round.stamped, 1);
    assert_eq!(round.mailed, 1);
    assert_eq!(round.sent, 1);
    let messages = fake.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        t.branch.stamping().job(held).expect("job").state,
        loket::stamping::State::Delivered
    );
    let again = loket::stamping::worker::round(&mut t.branch, false).expect("round");
    assert_eq!((again.mailed, again.sent), (0, 0));
    assert_eq!(fake.messages().len(), 1);
    number_kept_nowhere(&mut t);
}

#[test]
fn without_configuration_the_message_waits_and_says_why() {
    let mut t = TestBranch::new();
    let job = stamped_job(&mut t, 1);
    let out = t.cli(&["wa", &job.to_string(), "--to", NUMBER]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("WhatsApp belum diatur ([whatsapp])"),
        "{said}"
    );
    assert!(said.contains("+62812****890"), "{said}");
    let list = t.cli_ok(&["outbox", "list"]);
    assert!(
        list.contains("WhatsApp") && list.contains("menunggu dikirim"),
        "{list}"
    );
    assert!(!list.contains("81234567890"), "{list}");
    let entry = &t.branch.delivery().outbox_list().expect("outbox")[0];
    assert_eq!(entry.status, Status::Queued);

    // A number no one can use is refused before anything is queued, with the form that works.
    let bad = t.cli(&["wa", &job.to_string(), "--to", "12345"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("0812-3456-7890"), "{err}");
    assert_eq!(t.branch.delivery().outbox_list().expect("outbox").len(), 1);
}

#[test]
fn doctor_checks_the_token_and_the_api_without_sending() {
    let fake = Fake::start(10);
    let (t, _) = branch_with(&fake, false);
    let out = t.cli(&["doctor", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let wa = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["check"] == "whatsapp"))
        .cloned()
        .expect("whatsapp check");
    assert_eq!(wa["ok"], true, "{wa}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    assert!(
        fake.messages().is_empty(),
        "no message sent by a health check"
    );
    fake.control(json!({"token_expired": true}));
    let out = t.cli(&["doctor", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let wa = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["check"] == "whatsapp"))
        .cloned()
        .expect("whatsapp check");
    assert_eq!(wa["ok"], false, "{wa}");
    assert!(
        wa["detail"].as_str().unwrap_or_default().contains("Token"),
        "{wa}"
    );
}

#[test]
fn a_typo_in_the_whatsapp_section_names_its_line() {
    let text = format!(
        "{}\n[whatsapp]\nphone_number_id = \"12ab\"\ntoken_env = \"LOKET_WA_TOKEN\"\n",
        loket::config::DEFAULT_TOML
    );
    let err = loket::config::Config::parse(&text, Path::new("loket.toml")).expect_err("typo");
    let line = text.lines().count() - 1;
    assert!(
        err.to_string().contains(&format!("loket.toml:{line}"))
            && err.to_string().contains("phone_number_id"),
        "{err}"
    );
}

#[test]
fn the_claim_slip_names_the_masked_number_and_carries_the_branchs_wa_me_code() {
    let fake = Fake::start(11);
    let mut t = TestBranch::with_config(|text| {
        format!(
            "{text}\n[whatsapp]\nphone_number_id = \"{PHONE_ID}\"\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\n\
             business_number = \"0811-2222-3333\"\n",
            fake.url()
        )
    });
    let job = paid_job(&mut t.branch, 1).id;
    t.branch
        .stamping()
        .set_job_whatsapp(job, NUMBER, CLERK)
        .expect("number");
    let claim = t
        .branch
        .stamping()
        .job_claim(job, loket::queue::CounterNo(1), CLERK)
        .expect("claim");
    let printed = t
        .branch
        .printing()
        .print_claim_receipt(&claim)
        .expect("print");
    assert!(printed.printed, "{printed:?}");
    let dir = t.path().join("printer/loket1");
    let mut text = String::new();
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("printer output").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read");
        if entry.path().extension().is_some_and(|x| x == "txt") {
            text.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            raw.extend(bytes);
        }
    }
    assert!(text.contains("Hasil dikirim ke WhatsApp:"), "{text}");
    assert!(text.contains("+62812****890"), "{text}");
    assert!(!text.contains("81234567890"), "{text}");
    assert!(
        text.contains("Pindai dan kirim pesan ke WhatsApp kantor pos"),
        "{text}"
    );
    assert!(!raw.is_empty() || !text.is_empty());
    // The QR code is printed as a picture; what it encodes is the slip's link.
    let slip = loket::printing::data::claim(t.branch.config(), &claim, 0);
    assert_eq!(
        slip.whatsapp_link.as_deref(),
        Some(
            format!(
                "https://wa.me/6281122223333?text=Klaim%20{}",
                claim.claim_code
            )
            .as_str()
        )
    );
}

#[test]
fn a_document_message_refused_outside_the_window_goes_again_as_the_template() {
    let fake = Fake::start(12);
    let (mut t, job) = branch_with(&fake, true);
    let _receiver = Receiver::start(&t, &fake);
    // loket believes the customer wrote (a window it recorded), but WhatsApp's window has closed.
    t.branch
        .store()
        .conn()
        .execute(
            "INSERT INTO wa_inbound (number_sha256, last_ms) VALUES (?1, ?2)",
            loket::params![
                loket::delivery::whatsapp::number_key(E164),
                loket::store::to_ms(t.clock_now())
            ],
        )
        .expect("window");
    let id = t
        .branch
        .delivery()
        .whatsapp_job(job, NUMBER, CLERK)
        .expect("queue");
    let first = pass(&mut t);
    assert!(
        !first.sent.is_empty() && first.sent.iter().all(|s| *s == id),
        "{first:?}"
    );
    assert_eq!(fake.messages()[0]["type"], "document");
    // The failed status (131047) puts the row back in the queue as the template; the next pass
    // sends it (or this one already did, when the report came before the API's own answer).
    for _ in 0..200 {
        if fake.messages().len() >= 2 {
            break;
        }
        if row(&mut t, id).status == Status::Queued {
            pass(&mut t);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let messages = fake.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1]["type"], "template");
    wait_for(&mut t, id, |r| r.status == Status::Sent);
    assert_eq!(
        row(&mut t, id).server_reply.as_deref(),
        messages[1]["wamid"].as_str(),
        "the row carries the template's message id"
    );
    wait_for(&mut t, id, |r| r.wa_status.as_deref() == Some("delivered"));
    let refused: i64 = t
        .branch
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM journal WHERE kind = 'whatsapp.failed' AND detail LIKE '%jendela 24 jam%'",
            (),
            |r| r.get(0),
        )
        .expect("journal");
    assert!(refused >= 1);
}
