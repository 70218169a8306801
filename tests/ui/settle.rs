//! The console's e-Meterai tab lists the paid jobs not yet stamped (one held for a supervisor, one
//! waiting for the provider), and a supervisor settles them through its dialogs: a new serial at no
//! charge, or a refund; a wrong PIN or a job settled elsewhere is refused and changes nothing.
//! The jobs come from the real service against the in-process fake Peruri: the adapter refuses one
//! document (code 82: held), and the quota runs out before the other gets a serial (waiting).

use super::*;
use crate::stamping::support::{letter, open_till};
use loket::config::PeruriMode;
use loket::money::Rupiah;
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::{ReceiveDocument, Settle, State as JobState, service};
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Fault, Route};
use loket::till::{Method, Tender};
use loket::ui::state::{DialogKind, FieldId};
use std::sync::Arc;

/// A Peruri branch with the demo users, one held job (ticket C-001) and one waiting job
/// (ticket C-002).
struct Fixture {
    tb: TestBranch,
    _fake: FakePeruri,
    held: i64,
    waiting: i64,
    /// The serial Peruri issued to the held job, spoiled when the adapter refused the document.
    spoiled_sn: String,
    _share: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        service::forget_provider(self.tb.path());
    }
}

/// Takes ticket `ticket`'s document, accepts the proposed place, charges and takes Rp10.000 cash at
/// counter 1: the job is `paid`.
fn paid_job_for(b: &mut Branch, n: u32, ticket: &str) -> i64 {
    open_till(b);
    b.queue()
        .issue_ticket("C", false, "dispenser")
        .expect("ticket");
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(n),
            name: format!("surat-lamaran-{n}.pdf"),
            ticket: Some(ticket.into()),
            counter: 1,
            clerk: "petugas".into(),
            password: None,
        })
        .expect("receive");
    let place = job.proposed.expect("proposed place");
    b.stamping()
        .place_job(job.id, "petugas", place)
        .expect("place");
    let sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(1), "petugas", None)
        .expect("quote");
    b.till()
        .pay_sale(
            loket::till::SaleId(sale),
            "petugas",
            &[Tender::Cash {
                tendered: Rupiah::new(10_000),
            }],
        )
        .expect("pay");
    (b.stamping().job_paid(job.id, "petugas").expect("paid").id).get()
}

fn fixture() -> Fixture {
    let share = tempfile::tempdir().expect("share");
    let fake = FakePeruri::start(FakeOptions {
        shared_folder: Some(share.path().to_path_buf()),
        quota: 100,
        ..FakeOptions::default()
    })
    .expect("fake peruri");
    let mut cfg = fake.config(PeruriMode::Onprem);
    cfg.breaker_cooldown_ms = 1;
    cfg.retries = 1;
    let mut tb = TestBranch::with_config(|text| {
        let mut text = text.replace("provider = \"local\"", "provider = \"peruri\"");
        text.push_str(&format!(
            "\n[stamping.peruri]\nuser = \"{}\"\npassword = \"x\"\nshared_folder = \"{}\"\n",
            cfg.user,
            share.path().display(),
        ));
        text
    });
    service::install_provider(
        tb.path(),
        Arc::new(PeruriProvider::isolated(cfg).expect("provider")),
    );
    assert!(loket::ui::seed_demo_users(&mut tb.branch).expect("seed users"));
    let b = &mut tb.branch;

    // The adapter refuses the first document once its serial is issued: held for a supervisor.
    let held = paid_job_for(b, 1, "C-001");
    fake.inject(Some(Route::AdapterSign), Fault::AdapterCode("82".into()), 1);
    let v = b
        .stamping()
        .run_job(loket::stamping::JobId(held), &mut |_| {})
        .expect("run");
    assert_eq!(v.state, JobState::Held, "{}", v.message);
    let spoiled_sn = v.sn.clone().expect("the held job's serial");

    // The quota is used up before the second gets a serial: it waits for the worker's next try.
    let waiting = paid_job_for(b, 2, "C-002");
    fake.set_quota(0);
    let v = b
        .stamping()
        .run_job(loket::stamping::JobId(waiting), &mut |_| {})
        .expect("run");
    assert_eq!(v.state, JobState::Paid, "{}", v.message);
    assert!(
        v.last_error.is_some() && v.next_attempt_ms.is_some(),
        "{v:?}"
    );
    Fixture {
        tb,
        _fake: fake,
        held,
        waiting,
        spoiled_sn,
        _share: share,
    }
}

/// The supervisor signed in on the e-Meterai tab.
fn on_emeterai_tab(f: &mut Fixture) -> State {
    let mut state = state_for(&f.tb, Mode::Supervisor, Lang::Id);
    sign_in(&mut state, &mut f.tb, "kepala", "9999");
    assert!(state.is_supervisor(), "{:?}", state.login.error);
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('3')));
    state
}

/// The state with Peruri's random serial number replaced by a fixed one, for stable snapshots.
fn redacted(state: &State, sn: &str) -> State {
    let fixed = "389UY343AP0GE9A40000A9";
    let mut s = state.clone();
    if let Some(p) = s.emeterai.as_mut() {
        for c in &mut p.claims {
            c.sn = c.sn.replace(sn, fixed);
        }
        for j in &mut p.open_jobs {
            j.reason = j.reason.as_ref().map(|r| r.replace(sn, fixed));
        }
        if let Ok(r) = p.reconcile.as_mut() {
            for d in &mut r.discrepancies {
                *d = d.replace(sn, fixed);
            }
        }
    }
    s
}

fn snap(name: &str, state: &State, sn: &str) {
    let state = redacted(state, sn);
    for (w, h) in [(80, 24), (120, 40)] {
        let terminal = render(&state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

fn job_state(b: &mut Branch, job: i64) -> JobState {
    b.stamping()
        .job(loket::stamping::JobId(job))
        .expect("job")
        .state
}

fn message(state: &State) -> (String, bool) {
    let m = state.message.clone().expect("a message");
    (m.text, m.error)
}

#[test]
fn the_emeterai_tab_lists_the_held_and_the_waiting_job() {
    let mut f = fixture();
    let state = on_emeterai_tab(&mut f);
    let panel = state.emeterai.clone().expect("the tab loaded its data");
    let jobs: Vec<(i64, Option<&str>, bool)> = panel
        .open_jobs
        .iter()
        .map(|j| (j.id, j.ticket.as_deref(), j.held))
        .collect();
    assert_eq!(
        jobs,
        [
            (f.held, Some("C-001"), true),
            (f.waiting, Some("C-002"), false)
        ]
    );
    assert!(
        panel
            .open_jobs
            .iter()
            .all(|j| j.counter == Some(1) && j.paid == Some(Rupiah::new(10_000))),
        "{:?}",
        panel.open_jobs
    );
    let wide = screen_text(&state, 120, 40);
    for want in [
        "Pekerjaan dibayar belum bermeterai (2)",
        &format!("#{}", f.held),
        "C-001",
        "ditahan: keputusan supervisor",
        "C-002",
        "menunggu, dicoba lagi 08.00",
        "Rp10.000",
        "surat-lamaran-1.pdf",
        "n Nomor seri baru",
        "u Kembalikan dana",
    ] {
        assert!(wide.contains(want), "{want:?} in\n{wide}");
    }
    // At 80×24 both jobs, their state and the start of their reason still show.
    let small = screen_text(&state, 80, 24);
    for want in [
        "Pekerjaan dibayar belum bermeterai",
        "ditahan: keputusan supervisor",
        "menunggu, dicoba lagi 08.00",
        "C-002",
    ] {
        assert!(small.contains(want), "{want:?} in\n{small}");
    }
    let reason = panel.open_jobs[0].reason.clone().expect("a reason");
    let start: String = reason.chars().take(12).collect();
    assert!(small.contains(&start), "{start:?} in\n{small}");
    snap("console_open_jobs", &state, &f.spoiled_sn);
}

#[test]
fn a_held_job_gets_a_new_serial_after_a_wrong_pin_is_refused() {
    let mut f = fixture();
    let mut state = on_emeterai_tab(&mut f);
    assert_eq!(state.cursor, 0, "the held job is selected first");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('n')));
    let dialog = state.dialog.clone().expect("the new-serial dialog");
    assert_eq!(
        dialog.kind,
        DialogKind::SettleJob {
            job: f.held,
            refund: false
        }
    );
    assert_eq!(
        dialog.fields.iter().map(|x| x.id).collect::<Vec<_>>(),
        [FieldId::Reason, FieldId::SupervisorPin]
    );
    type_text(&mut state, &mut f.tb.branch, "dokumen ditolak adapter");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    type_text(&mut state, &mut f.tb.branch, "1111");
    snap("console_settle_new_serial", &state, &f.spoiled_sn);

    // A wrong PIN: refused in words, the job still held, the PIN to be typed again.
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert!(
        text.starts_with(&format!("Pekerjaan #{} belum diselesaikan:", f.held)),
        "{text}"
    );
    assert!(text.to_lowercase().contains("pin"), "{text}");
    assert_eq!(job_state(&mut f.tb.branch, f.held), JobState::Held);
    let dialog = state.dialog.clone().expect("the dialog stays open");
    assert_eq!(dialog.error.as_deref(), Some(text.as_str()));
    assert_eq!(dialog.value(FieldId::SupervisorPin), "");
    assert_eq!(dialog.value(FieldId::Reason), "dokumen ditolak adapter");

    type_text(&mut state, &mut f.tb.branch, "9999");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Pekerjaan #{}: nomor seri baru tanpa biaya; dibubuhkan otomatis.",
            f.held
        )
    );
    assert!(state.dialog.is_none());
    // Paid again, for the stamping worker; the reloaded list shows it waiting, no longer held.
    assert_eq!(job_state(&mut f.tb.branch, f.held), JobState::Paid);
    let panel = state.emeterai.clone().expect("reloaded");
    let row = panel
        .open_jobs
        .iter()
        .find(|j| j.id == f.held)
        .expect("still open until stamped");
    assert!(!row.held, "{row:?}");
    // The old serial stays accounted for: spoiled, to be claimed.
    assert!(
        panel.claims.iter().any(|c| c.sn == f.spoiled_sn),
        "{:?}",
        panel.claims
    );
}

#[test]
fn a_waiting_job_is_refunded_in_cash_and_a_job_settled_elsewhere_is_refused() {
    let mut f = fixture();
    let mut state = on_emeterai_tab(&mut f);
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Down));
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('u')));
    let dialog = state.dialog.clone().expect("the refund dialog");
    assert_eq!(
        dialog.kind,
        DialogKind::SettleJob {
            job: f.waiting,
            refund: true
        }
    );
    // Cash, from the drawer of the counter that took the money, unless the supervisor changes it.
    assert_eq!(
        dialog.fields.iter().map(|x| x.id).collect::<Vec<_>>(),
        [
            FieldId::Method,
            FieldId::RefundCounter,
            FieldId::Reason,
            FieldId::SupervisorPin
        ]
    );
    assert_eq!(dialog.value(FieldId::RefundCounter), "1");
    let text = screen_text(&state, 80, 24);
    for want in ["[tunai]", "debit", "QRIS", "Rp10.000"] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    snap("console_settle_refund", &state, &f.spoiled_sn);
    let sale =
        f.tb.branch
            .stamping()
            .job(loket::stamping::JobId(f.waiting))
            .expect("job")
            .sale_id
            .expect("sale");

    for _ in 0..2 {
        drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    }
    type_text(&mut state, &mut f.tb.branch, "pelanggan tidak mau menunggu");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    type_text(&mut state, &mut f.tb.branch, "9999");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Pekerjaan #{}: dana Rp10.000 dikembalikan tunai dari laci loket 1 — serahkan kepada pelanggan.",
            f.waiting
        )
    );
    assert_eq!(job_state(&mut f.tb.branch, f.waiting), JobState::Refunded);
    assert_eq!(
        f.tb.branch.till().sale(sale).expect("sale").refunded,
        Rupiah::new(10_000)
    );
    let panel = state.emeterai.clone().expect("reloaded");
    assert_eq!(
        panel.open_jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        [f.held]
    );
    assert_eq!(state.cursor, 0, "the cursor stays inside the shorter list");

    // The held job's refund form is open when someone refunds it elsewhere (the CLI, another
    // console): the form's submission is refused and the customer is not paid twice.
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('u')));
    assert!(state.dialog.is_some());
    for _ in 0..2 {
        drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    }
    type_text(&mut state, &mut f.tb.branch, "dokumen ditolak");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    type_text(&mut state, &mut f.tb.branch, "9999");
    refund_elsewhere(&mut f.tb.branch, f.held);
    let refunds_before = refunds(&mut f);
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Enter));
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert!(
        text.starts_with(&format!("Pekerjaan #{} belum diselesaikan:", f.held)),
        "{text}"
    );
    assert!(text.contains("dana dikembalikan"), "{text}");
    assert_eq!(job_state(&mut f.tb.branch, f.held), JobState::Refunded);
    assert_eq!(refunds(&mut f), refunds_before, "no second refund");
    let panel = state.emeterai.clone().expect("reloaded");
    assert!(panel.open_jobs.is_empty(), "{:?}", panel.open_jobs);
}

/// What `loket job settle JOB --refund tunai` does: the supervisor's approval for the job's sale,
/// then the refund.
fn refund_elsewhere(b: &mut Branch, job: i64) {
    let sale = b
        .stamping()
        .job(loket::stamping::JobId(job))
        .expect("job")
        .sale_id
        .expect("sale");
    let lockout = b.lockout();
    let approval = loket::users::approve(
        b.store_mut(),
        lockout,
        "kepala",
        "9999",
        "kepala",
        loket::till::actions::REFUND,
        &loket::till::approval_subject_sale(sale),
        "dibatalkan dari baris perintah",
    )
    .expect("approve");
    let v = b
        .stamping()
        .settle_failed_job(
            loket::stamping::JobId(job),
            approval.id,
            Settle::Refund(Method::Cash),
            loket::queue::CounterNo(1),
            "kepala",
        )
        .expect("refund");
    assert_eq!(v.state, JobState::Refunded);
}

fn refunds(f: &mut Fixture) -> i64 {
    f.tb.branch
        .store_mut()
        .read(|c| {
            c.query_row("SELECT COUNT(*) FROM refunds", (), |r| r.get(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect("refunds")
}

#[test]
fn the_keys_of_the_tab_follow_its_list_and_english_words_it() {
    let mut f = fixture();
    let mut state = state_for(&f.tb, Mode::Supervisor, Lang::En);
    sign_in(&mut state, &mut f.tb, "kepala", "9999");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('3')));
    let text = screen_text(&state, 120, 40);
    for want in [
        "Paid jobs not yet stamped (2)",
        "held: supervisor decides",
        "waiting, retry at 08.00",
        "n New serial",
        "u Refund",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    // ↓ stops at the last job; `n` there opens the form for that job.
    for _ in 0..5 {
        drive(&mut state, &mut f.tb.branch, key(KeyCode::Down));
    }
    assert_eq!(state.cursor, 1);
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('n')));
    assert_eq!(
        state.dialog.as_ref().map(|d| d.kind),
        Some(DialogKind::SettleJob {
            job: f.waiting,
            refund: false
        })
    );
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Esc));

    // With nothing open, the keys leave the key bar and `n` says why nothing happens.
    for job in [f.held, f.waiting] {
        refund_elsewhere(&mut f.tb.branch, job);
    }
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('r')));
    let text = screen_text(&state, 120, 40);
    assert!(!text.contains("Paid jobs not yet stamped"), "{text}");
    assert!(!text.contains("n New serial"), "{text}");
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('n')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error && text.starts_with("No job selected"), "{text}");
}
