//! E-mail delivery against a real Postfix on loopback: STARTTLS and implicit TLS with SASL AUTH,
//! 451 retried then delivered, 550 and a wrong password failed with their reasons, the server
//! stopped and back, a sender killed mid-send, two senders at once, and the outbox without SMTP.

use super::fixtures::{Postfix, SMTP_PASSWORD, pdf_bytes, sha256};
use crate::common::{TestBranch, loket_bin, loket_ok};
use loket::LoketError;
use loket::delivery::{Context, DeliveryError, MailError, Sender, Status};
use mail_parser::{MessageParser, MimeHeaders};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A token that keeps recipients and subjects of concurrent tests apart.
fn token() -> String {
    format!("{:08x}", fastrand::u32(..))
}

fn with_smtp(postfix: &Postfix, security: &str, password: &str) -> TestBranch {
    let smtp = postfix.smtp_toml(security, password);
    TestBranch::with_config(move |text| format!("{text}{smtp}"))
}

fn document(t: &TestBranch, name: &str, size: usize, seed: u64) -> (PathBuf, String) {
    let dir = t.path().join("documents");
    std::fs::create_dir_all(&dir).expect("documents");
    let path = dir.join(name);
    let bytes = pdf_bytes(size, seed);
    std::fs::write(&path, &bytes).expect("write");
    (path, sha256(&bytes))
}

fn stamped_context(sn: &str) -> Context {
    Context {
        actor: "petugas1".into(),
        job: Some(loket::stamping::JobId(1)),
        sns: vec![loket::stamping::Sn(sn.to_string())],
    }
}

fn entry(t: &mut TestBranch, id: i64) -> loket::delivery::OutboxEntry {
    t.branch
        .delivery()
        .outbox_entry(id)
        .expect("read outbox")
        .expect("row exists")
}

fn journal_kinds(t: &mut TestBranch, id: i64) -> Vec<String> {
    t.branch
        .store_mut()
        .read(|c| {
            let mut stmt = c.prepare("SELECT kind FROM journal WHERE subject = ?1 ORDER BY seq")?;
            let rows = stmt.query_map([format!("outbox/{id}")], |r| r.get(0))?;
            Ok::<_, LoketError>(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .expect("journal")
}

/// Sends over one TLS mode and checks what arrived in the Maildir.
fn check_delivery(security: &str) {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, security, SMTP_PASSWORD);
    let tok = token();
    let to = format!("siti.{tok}@contoh.test");
    let (doc, hash) = document(&t, "stamped.pdf", 300_000, 11);
    let sn = format!("SN{tok}");
    let id = t
        .branch
        .delivery()
        .queue_mail(
            &to,
            &[(doc.clone(), format!("Surat Lamaran CPNS {tok}.pdf"))],
            &stamped_context(&sn),
        )
        .expect("queued");
    let queued = entry(&mut t, id);
    assert_eq!(queued.status, Status::Queued);
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("send pass");
    assert_eq!(
        summary.sent,
        [id],
        "{security}: {:?}",
        entry(&mut t, id).last_error
    );
    let sent = entry(&mut t, id);
    assert_eq!(sent.status, Status::Sent);
    assert!(
        sent.server_reply
            .as_deref()
            .is_some_and(|r| r.starts_with("250")),
        "{:?}",
        sent.server_reply
    );
    assert_eq!(sent.attempts, 1);

    let raw = postfix.delivered(&queued.message_id);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.contains(&format!("X-Original-To: {to}")),
        "delivered to the recipient"
    );
    assert!(text.contains("with ESMTPSA"), "sent over TLS with AUTH");
    let message = MessageParser::default()
        .parse(&raw)
        .expect("parse delivered mail");
    assert_eq!(
        message.subject(),
        Some(
            format!("Dokumen bermeterai dari Kantor Pos Demo: Surat Lamaran CPNS {tok}.pdf")
                .as_str()
        )
    );
    assert_eq!(
        format!("<{}>", message.message_id().expect("message id")),
        queued.message_id
    );
    assert!(queued.message_id.ends_with("@kantorpos.test>"));
    let body = message.body_text(0).expect("body");
    assert!(
        body.contains("telah dibubuhi e-Meterai") && body.contains(&sn),
        "{body}"
    );
    assert!(
        body.contains(&format!("https://verification.peruri.co.id/?sn={sn}")),
        "{body}"
    );
    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 1);
    let pdf = attachments[0];
    assert_eq!(
        pdf.attachment_name(),
        Some(format!("Surat Lamaran CPNS {tok}.pdf").as_str())
    );
    let ct = pdf.content_type().expect("content type");
    assert_eq!((ct.ctype(), ct.subtype()), ("application", Some("pdf")));
    assert_eq!(
        sha256(pdf.contents()),
        hash,
        "the attachment is the stamped file"
    );
    assert_eq!(
        journal_kinds(&mut t, id),
        ["mail.queued", "mail.sending", "mail.sent"]
    );
    let verify = t.cli(&["journal", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn starttls_submission_with_auth_delivers_the_stamped_pdf() {
    check_delivery("starttls");
}

#[test]
fn implicit_tls_with_auth_delivers_the_stamped_pdf() {
    check_delivery("tls");
}

#[test]
fn a_tempfailed_recipient_is_retried_with_backoff_then_delivered() {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, "starttls", SMTP_PASSWORD);
    let to = format!("sibuk.{}@contoh.test", token());
    postfix.set_recipient_reply(&to, Some("451 4.3.0 kotak surat sibuk, coba lagi"));
    let (doc, _) = document(&t, "a.pdf", 20_000, 12);
    let id = t
        .branch
        .delivery()
        .queue_mail(&to, &[(doc, "a.pdf".into())], &Context::by("petugas1"))
        .expect("queued");
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert_eq!(summary.retry, [id]);
    let waiting = entry(&mut t, id);
    assert_eq!(waiting.status, Status::Retry);
    let reason = waiting.last_error.clone().expect("reason");
    assert!(
        reason.contains("451") && reason.contains("mengirim ulang otomatis"),
        "{reason}"
    );
    let wait = waiting.next_attempt_ms - loket::store::to_ms(now);
    assert!(
        (30_000..=60_000).contains(&wait),
        "first retry after 30–60 s, got {wait} ms"
    );
    // Not due yet: nothing happens.
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert!(summary.sent.is_empty() && summary.retry.is_empty());
    postfix.set_recipient_reply(&to, None);
    t.clock.advance(time::Duration::seconds(61));
    let now = t.branch.store().now();
    assert_eq!(
        t.branch.delivery().send_due_mail(now).expect("pass").sent,
        [id]
    );
    let sent = entry(&mut t, id);
    assert_eq!((sent.status, sent.attempts), (Status::Sent, 2));
    postfix.delivered(&sent.message_id);
    assert_eq!(
        journal_kinds(&mut t, id),
        [
            "mail.queued",
            "mail.sending",
            "mail.retry",
            "mail.sending",
            "mail.sent"
        ]
    );
}

#[test]
fn a_rejected_recipient_fails_with_its_reason_and_can_be_retried_by_hand() {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, "starttls", SMTP_PASSWORD);
    let to = format!("tidakada.{}@contoh.test", token());
    postfix.set_recipient_reply(&to, Some("550 5.1.1 penerima tidak dikenal"));
    let (doc, _) = document(&t, "b.pdf", 20_000, 13);
    let id = t
        .branch
        .delivery()
        .queue_mail(&to, &[(doc, "b.pdf".into())], &Context::by("petugas1"))
        .expect("queued");
    let now = t.branch.store().now();
    assert_eq!(
        t.branch.delivery().send_due_mail(now).expect("pass").failed,
        [id]
    );
    let failed = entry(&mut t, id);
    assert_eq!(failed.status, Status::Failed);
    let reason = failed.last_error.expect("reason");
    assert!(
        reason.contains("550")
            && reason.contains("menolak pesan")
            && reason.contains("alamat penerima"),
        "{reason}"
    );

    // The clerk corrects nothing and retries: it fails again; after the server relents it goes out.
    let listed = t.cli_ok(&["outbox", "list"]);
    assert!(
        listed.contains("gagal") && listed.contains("550"),
        "{listed}"
    );
    // The retry is asked on another clock than the sender's (here the machine's, days after the
    // test clock): "retry now" means due at once for every sender, not "due at that clock's now".
    loket_ok(t.path(), &["outbox", "retry", &id.to_string()]);
    assert_eq!(entry(&mut t, id).status, Status::Queued);
    postfix.set_recipient_reply(&to, None);
    let now = t.branch.store().now();
    assert_eq!(
        t.branch.delivery().send_due_mail(now).expect("pass").sent,
        [id]
    );
    let err = t.cli(&["outbox", "retry", &id.to_string()]);
    assert_eq!(err.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("terkirim"),
        "a sent mail is not re-sent"
    );
    assert!(journal_kinds(&mut t, id).contains(&"mail.retry_requested".to_string()));
}

#[test]
fn a_wrong_password_fails_and_says_to_fix_the_configuration() {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, "starttls", "kata-sandi-salah");
    let (doc, _) = document(&t, "c.pdf", 10_000, 14);
    let id = t
        .branch
        .delivery()
        .queue_mail(
            &format!("budi.{}@contoh.test", token()),
            &[(doc, "c.pdf".into())],
            &Context::by("petugas1"),
        )
        .expect("queued");
    let now = t.branch.store().now();
    assert_eq!(
        t.branch.delivery().send_due_mail(now).expect("pass").failed,
        [id]
    );
    let reason = entry(&mut t, id).last_error.expect("reason");
    assert!(
        reason.contains("535") && reason.contains("kata sandi") && reason.contains("[smtp]"),
        "{reason}"
    );
}

#[test]
fn with_the_server_stopped_mail_waits_and_goes_out_when_it_is_back() {
    let postfix = Postfix::exclusive();
    let mut t = with_smtp(&postfix, "starttls", SMTP_PASSWORD);
    let (doc, hash) = document(&t, "d.pdf", 50_000, 15);
    postfix.stop();
    let ids: Vec<i64> = (0..2)
        .map(|i| {
            t.branch
                .delivery()
                .queue_mail(
                    &format!("tunggu{i}.{}@contoh.test", token()),
                    &[(doc.clone(), "d.pdf".into())],
                    &Context::by("petugas1"),
                )
                .expect("queued")
        })
        .collect();
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now);
    postfix.start();
    let summary = summary.expect("pass");
    assert_eq!(summary.retry, [ids[0]], "the first refusal stops the pass");
    let first = entry(&mut t, ids[0]);
    assert_eq!(first.status, Status::Retry);
    assert!(
        first
            .last_error
            .as_deref()
            .is_some_and(|r| r.contains("tidak dapat dihubungi")),
        "{:?}",
        first.last_error
    );
    assert_eq!(
        entry(&mut t, ids[1]).status,
        Status::Queued,
        "the second did not try in vain"
    );
    t.clock.advance(time::Duration::minutes(2));
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert_eq!(summary.sent.len(), 2, "{summary:?}");
    for id in ids {
        let e = entry(&mut t, id);
        assert_eq!(e.status, Status::Sent);
        let raw = postfix.delivered(&e.message_id);
        let message = MessageParser::default().parse(&raw).expect("parse");
        assert_eq!(
            sha256(message.attachments().next().expect("pdf").contents()),
            hash
        );
    }
}

#[test]
fn a_sender_killed_while_sending_is_taken_back_and_the_message_keeps_its_id() {
    let postfix = Postfix::shared();
    // A server that accepts the connection and never says a word: the sender hangs in `sending`.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let hung_config = postfix.smtp_toml("starttls", SMTP_PASSWORD).replace(
        &format!("port = {}", postfix.submission),
        &format!("port = {silent_port}"),
    );
    let mut t = TestBranch::with_config(|text| format!("{text}{hung_config}"));
    let (doc, _) = document(&t, "e.pdf", 10_000, 16);
    let id = t
        .branch
        .delivery()
        .queue_mail(
            &format!("crash.{}@contoh.test", token()),
            &[(doc, "e.pdf".into())],
            &Context::by("petugas1"),
        )
        .expect("queued");
    let message_id = entry(&mut t, id).message_id;
    let mut child = Command::new(loket_bin())
        .arg("--data")
        .arg(t.path())
        .env(loket::clock::FAKE_NOW_VAR, t.fake_now())
        .args(["outbox", "send"])
        .spawn()
        .expect("spawn sender");
    let deadline = Instant::now() + Duration::from_secs(30);
    while entry(&mut t, id).status != Status::Sending {
        assert!(
            Instant::now() < deadline,
            "the sender never claimed the row"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill the sender");
    child.wait().expect("reap");
    drop(silent);

    let good_config = postfix.smtp_toml("starttls", SMTP_PASSWORD);
    let text = crate::common::engine::with_store(
        &format!("{}{good_config}", loket::config::DEFAULT_TOML),
        t.path(),
    );
    std::fs::write(t.path().join(loket::config::FILE_NAME), text).expect("fix config");
    t.branch = t.reopen();
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert_eq!(summary.recovered, 1);
    assert_eq!(summary.sent, [id]);
    let e = entry(&mut t, id);
    assert_eq!(
        (e.status, e.attempts, e.message_id.clone()),
        (Status::Sent, 2, message_id.clone())
    );
    postfix.delivered(&message_id);
    assert!(journal_kinds(&mut t, id).contains(&"mail.recovered".to_string()));
}

#[test]
fn two_sender_processes_never_send_the_same_message_twice() {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, "starttls", SMTP_PASSWORD);
    let (doc, _) = document(&t, "f.pdf", 5_000, 17);
    let tok = token();
    let ids: Vec<i64> = (0..8)
        .map(|i| {
            t.branch
                .delivery()
                .queue_mail(
                    &format!("ganda{i}.{tok}@contoh.test"),
                    &[(doc.clone(), "f.pdf".into())],
                    &Context::by("petugas1"),
                )
                .expect("queued")
        })
        .collect();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(loket_bin())
                .arg("--data")
                .arg(t.path())
                .env(loket::clock::FAKE_NOW_VAR, t.fake_now())
                .args(["outbox", "send", "--json"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("sender ends");
        assert!(out.status.success());
    }
    for id in ids {
        let e = entry(&mut t, id);
        assert_eq!((e.status, e.attempts), (Status::Sent, 1), "row {id}");
        postfix.delivered(&e.message_id);
        assert_eq!(
            postfix.find_all(&e.message_id).len(),
            1,
            "row {id} delivered once"
        );
    }
}

#[test]
fn the_background_sender_sends_when_woken() {
    let postfix = Postfix::shared();
    let mut t = with_smtp(&postfix, "tls", SMTP_PASSWORD);
    let (tx, rx) = std::sync::mpsc::channel();
    let sender = Sender::start(t.path(), std::sync::Arc::new(t.clock.clone()), move |r| {
        let _ = tx.send(r.map_err(|e| e.to_string()));
    })
    .expect("start sender");
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("first pass")
        .expect("pass ok");
    assert!(first.smtp_configured && first.sent.is_empty());
    let (doc, _) = document(&t, "g.pdf", 5_000, 18);
    let id = t
        .branch
        .delivery()
        .queue_mail(
            &format!("latar.{}@contoh.test", token()),
            &[(doc, "g.pdf".into())],
            &Context::by("petugas1"),
        )
        .expect("queued");
    sender.wake();
    let pass = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("woken pass")
        .expect("pass ok");
    assert_eq!(pass.sent, [id]);
    sender.stop();
    let e = entry(&mut t, id);
    postfix.delivered(&e.message_id);
}

#[test]
fn without_smtp_mail_waits_in_the_outbox_and_can_be_written_as_eml() {
    let mut t = TestBranch::new();
    let (doc, hash) = document(&t, "h.pdf", 40_000, 19);
    let id = t
        .branch
        .delivery()
        .queue_mail(
            "budi@contoh.test",
            &[(doc.clone(), "Surat Kuasa.pdf".into())],
            &stamped_context("SN123"),
        )
        .expect("queued");
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert!(!summary.smtp_configured && summary.sent.is_empty());
    assert_eq!(entry(&mut t, id).status, Status::Queued);
    let out = tempfile::tempdir().expect("eml dir");
    let said = t.cli_ok(&["outbox", "eml", &out.path().display().to_string()]);
    assert!(said.contains("1 e-mail disimpan"), "{said}");
    let eml = std::fs::read(out.path().join(format!("loket-{id:06}.eml"))).expect("eml written");
    let message = MessageParser::default().parse(&eml).expect("parse eml");
    assert_eq!(
        sha256(message.attachments().next().expect("pdf").contents()),
        hash
    );
    assert!(
        message
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .is_some_and(|a| a.ends_with("@kantorpos.invalid"))
    );
    assert_eq!(
        entry(&mut t, id).status,
        Status::Queued,
        "still waiting for a server"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&t.cli_ok(&["outbox", "list", "--json"])).expect("json");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["status"], "queued");
    assert_eq!(listed[0]["documents"][0]["sha256"], hash);
    let cli = t.cli_ok(&[
        "mail",
        "--file",
        &doc.display().to_string(),
        "--to",
        "siti@contoh.test",
    ]);
    assert!(
        cli.contains("menunggu dikirim") && cli.contains("[smtp]"),
        "{cli}"
    );
}

#[test]
fn bad_addresses_and_oversized_mail_are_refused_before_queueing() {
    let mut t = TestBranch::with_config(|text| text.replace("max_mail_mb = 20", "max_mail_mb = 1"));
    let (small, _) = document(&t, "kecil.pdf", 10_000, 20);
    let (big, _) = document(&t, "besar.pdf", 900_000, 21);
    let ctx = Context::by("petugas1");
    for (address, says) in [
        ("budi@contoh", "tanpa titik"),
        ("budi@@contoh.id", "lebih dari satu"),
        ("bü@contoh.id", "tanpa aksen"),
        ("", "kosong"),
    ] {
        match t
            .branch
            .delivery()
            .queue_mail(address, &[(small.clone(), "kecil.pdf".into())], &ctx)
        {
            Err(DeliveryError::Mail(e @ MailError::Address { .. })) => {
                assert!(e.to_string().contains(says), "{address}: {e}")
            }
            other => panic!("{address}: {other:?}"),
        }
    }
    match t
        .branch
        .delivery()
        .queue_mail("budi@contoh.id", &[(big, "besar.pdf".into())], &ctx)
    {
        Err(DeliveryError::Mail(e @ MailError::TooLarge { .. })) => {
            assert!(e.to_string().contains("flash disk"), "{e}")
        }
        other => panic!("oversized: {other:?}"),
    }
    assert!(
        t.branch.delivery().outbox_list().expect("list").is_empty(),
        "nothing queued"
    );
    let out = t.cli(&[
        "mail",
        "--file",
        &small.display().to_string(),
        "--to",
        "budi@contoh",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("galat: Alamat e-mail"));
}

#[test]
fn templates_and_smtp_settings_are_checked_when_the_configuration_loads() {
    let subject = "mail_subject = \"Dokumen bermeterai dari {branch}: {document}\"";
    for (from, to, says) in [
        (
            subject,
            "mail_subject = \"Dokumen {nama}\"",
            "{nama} tidak dikenal",
        ),
        (
            subject,
            "mail_subject = \"Dokumen {branch\"",
            "tanpa penutup",
        ),
        ("max_mail_mb = 20", "max_mail_mb = 0", "antara 1 dan 100"),
    ] {
        assert!(loket::config::DEFAULT_TOML.contains(from), "{from}");
        let text = loket::config::DEFAULT_TOML.replace(from, to);
        let err =
            loket::config::Config::parse(&text, std::path::Path::new("loket.toml")).expect_err(to);
        assert!(err.to_string().contains(says), "{to}: {err}");
    }
    let bad_security = format!(
        "{}\n[smtp]\nhost = \"x\"\nport = 25\nsecurity = \"ssl\"\nfrom = \"a@b.test\"\n",
        loket::config::DEFAULT_TOML
    );
    let err = loket::config::Config::parse(&bad_security, std::path::Path::new("loket.toml"))
        .expect_err("ssl");
    assert!(
        err.to_string().contains("kunci 'security'") && err.to_string().contains("starttls"),
        "{err}"
    );
}

/// Queues one message for a branch whose `[smtp]` is `smtp`, runs one pass and returns the row.
fn one_attempt(smtp: &str) -> loket::delivery::OutboxEntry {
    let smtp = smtp.to_string();
    let mut t = TestBranch::with_config(move |text| format!("{text}{smtp}"));
    let (doc, _) = document(&t, "x.pdf", 2_000, 22);
    let id = t
        .branch
        .delivery()
        .queue_mail(
            &format!("x.{}@contoh.test", token()),
            &[(doc, "x.pdf".into())],
            &Context::by("petugas1"),
        )
        .expect("queued");
    let now = t.branch.store().now();
    let summary = t.branch.delivery().send_due_mail(now).expect("pass");
    assert_eq!(summary.retry, [id], "{:?}", entry(&mut t, id).last_error);
    entry(&mut t, id)
}

#[test]
fn an_untrusted_certificate_or_a_silent_server_is_retried_later() {
    let postfix = Postfix::shared();
    // Without the private root certificate the server's certificate is not trusted.
    let untrusted = postfix
        .smtp_toml("starttls", SMTP_PASSWORD)
        .lines()
        .filter(|l| !l.starts_with("root_certificate"))
        .collect::<Vec<_>>()
        .join("\n");
    let e = one_attempt(&untrusted);
    assert_eq!(e.status, Status::Retry);
    let reason = e.last_error.expect("reason");
    assert!(reason.contains("Sambungan aman (TLS)"), "{reason}");

    // A server that takes the connection and never greets runs into the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let hung = postfix
        .smtp_toml("starttls", SMTP_PASSWORD)
        .replace(
            &format!("port = {}", postfix.submission),
            &format!("port = {port}"),
        )
        .replace("timeout_seconds = 20", "timeout_seconds = 1");
    let e = one_attempt(&hung);
    let reason = e.last_error.expect("reason");
    assert!(reason.contains("tidak menjawab tepat waktu"), "{reason}");
    drop(silent);

    // Nobody listening: connection refused.
    let closed = postfix.smtp_toml("starttls", SMTP_PASSWORD).replace(
        &format!("port = {}", postfix.submission),
        &format!("port = {port}"),
    );
    let e = one_attempt(&closed);
    let reason = e.last_error.expect("reason");
    assert!(reason.contains("tidak dapat dihubungi"), "{reason}");
}

#[test]
fn the_workers_of_two_pcs_share_the_branch_servers_outbox_and_send_each_mail_once() {
    // Two PCs, each with its own data folder and the worker's login to one branch server.
    let postfix = Postfix::shared();
    let db = crate::common::pg::TestDb::new();
    let code: loket::server::BranchCode = db.code.parse().expect("a branch code");
    let made = loket::server::init(&db.owner_url(), &code).expect("server init");
    let worker_url = made
        .logins
        .iter()
        .find(|l| l.kind == loket::server::PcKind::Worker)
        .map(|l| l.url.clone())
        .expect("the worker's login");
    let smtp = postfix.smtp_toml("starttls", SMTP_PASSWORD);
    let pc = |url: &str| crate::common::server_pc(url, &smtp, None);
    // The counter queues the mail (here through the database owner's login); each worker sends.
    let counter = pc(&db.owner_url());
    let (pc1, pc2) = (pc(&worker_url), pc(&worker_url));
    let clock = loket::clock::ManualClock::new(crate::common::MORNING);
    let mut branch = loket::Branch::open_with_clock(counter.path(), std::sync::Arc::new(clock))
        .expect("open the counter's branch");
    let doc = counter.path().join("surat.pdf");
    std::fs::write(&doc, pdf_bytes(4_000, 31)).expect("write the document");
    let tok = token();
    let ids: Vec<i64> = (0..200)
        .map(|i| {
            branch
                .delivery()
                .queue_mail(
                    &format!("dua-pc{i}.{tok}@contoh.test"),
                    &[(doc.clone(), "surat.pdf".into())],
                    &Context::by("petugas1"),
                )
                .expect("queued")
        })
        .collect();
    let now = crate::common::rfc3339(crate::common::MORNING);
    let workers: Vec<_> = [&pc1, &pc2]
        .iter()
        .map(|data| {
            Command::new(loket_bin())
                .arg("--data")
                .arg(data.path())
                .env(loket::clock::FAKE_NOW_VAR, &now)
                .env_remove(loket::store::STORE_VAR)
                .args(["outbox", "send", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a worker")
        })
        .collect();
    let mut sent_by = Vec::new();
    for w in workers {
        let out = w.wait_with_output().expect("a worker ends");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the worker's summary");
        sent_by.push(summary["sent"].as_array().map_or(0, Vec::len));
    }
    assert_eq!(sent_by.iter().sum::<usize>(), 200, "{sent_by:?}");
    let mut message_ids = Vec::new();
    for id in ids {
        let e = branch
            .delivery()
            .outbox_entry(id)
            .expect("read")
            .expect("row");
        assert_eq!((e.status, e.attempts), (Status::Sent, 1), "row {id}");
        message_ids.push(e.message_id);
    }
    let counts = postfix.delivered_counts(&message_ids);
    assert!(
        counts.iter().all(|&n| n == 1),
        "every mail delivered exactly once: {:?}",
        message_ids
            .iter()
            .zip(&counts)
            .filter(|(_, n)| **n != 1)
            .collect::<Vec<_>>()
    );
}
