//! The console's unfinished tab (belum selesai): everything left half-done — a stamped document not
//! handed over, a half-paid sale, a document taken and billed but not paid, a paid job waiting for
//! its stamp — with its counter, clerk, ticket and age, and the supervisor's actions on it: resume
//! at another counter (`p`), cancel what is unpaid (`b`), refund what is paid (`u`), each with the
//! signed-in supervisor's approval and each recorded in the store.

use super::*;
use crate::stamping::support::{CLERK, letter, open_till, paid_job_for, rp};
use loket::queue::Step;
use loket::stamping::{ReceiveDocument, State as JobState};
use loket::till::Tender;
use loket::ui::state::{
    DialogKind, FieldId, Subject, Tab, UnfinishedActKind, UnfinishedKind, UnfinishedRow,
};

/// A branch with the demo users and four half-done things, made ten minutes apart.
struct Fixture {
    tb: TestBranch,
    /// Ticket C-001 at counter 1: paid and stamped, not handed over.
    stamped: i64,
    ticket: String,
    /// A sale at counter 1 with Rp5.000 cash taken of Rp10.000.
    half_paid: i64,
    /// Ticket C-002 at counter 2: the document placed and billed, nothing paid.
    unpaid_job: i64,
    unpaid_sale: i64,
    /// A paid job waiting for its stamp, no ticket.
    waiting: i64,
}

fn fixture() -> Fixture {
    let mut tb = branch_with_users();
    let minutes = |tb: &mut TestBranch, m| tb.clock.advance(time::Duration::minutes(m));
    let b = &mut tb.branch;
    open_till(b);
    b.queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let call = b
        .queue()
        .call_next(loket::queue::CounterNo(1), CLERK)
        .expect("call")
        .expect("a ticket");
    let ticket = call.ticket.to_string();
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Serve)
        .expect("serve");
    let stamped = paid_job_for(b, letter(1), "surat-1.pdf", Some(&ticket)).id;
    let v = b.stamping().run_job(stamped, &mut |_| {}).expect("stamp");
    assert_eq!(v.state, JobState::Stamped, "{}", v.message);

    minutes(&mut tb, 10);
    let b = &mut tb.branch;
    let half_paid = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale")
        .id;
    b.till()
        .add_to_sale(half_paid, CLERK, "meterai", 1, None)
        .expect("line");
    b.till()
        .pay_sale(
            half_paid,
            CLERK,
            &[Tender::Cash {
                tendered: rp(5_000),
            }],
        )
        .expect("first tender of a split");
    assert_eq!(b.till().sale(half_paid).expect("sale").paid, rp(5_000));

    minutes(&mut tb, 10);
    let b = &mut tb.branch;
    b.queue()
        .issue_ticket("C", false, "dispenser")
        .expect("issue");
    let second = b
        .queue()
        .call_next(loket::queue::CounterNo(2), "kasir")
        .expect("call")
        .expect("a ticket");
    assert_eq!(second.ticket.to_string(), "C-002");
    let job = b
        .stamping()
        .receive_document(ReceiveDocument {
            bytes: letter(2),
            name: "surat-2.pdf".into(),
            ticket: Some(second.ticket.to_string()),
            counter: 2,
            clerk: "kasir".into(),
            password: None,
        })
        .expect("receive");
    let place = job.proposed.expect("proposed place");
    b.stamping()
        .place_job(job.id, "kasir", place)
        .expect("place");
    let unpaid_sale = b
        .stamping()
        .quote_job(job.id, loket::queue::CounterNo(2), "kasir", None)
        .expect("quote");

    minutes(&mut tb, 10);
    let waiting = paid_job_for(&mut tb.branch, letter(3), "surat-3.pdf", None).id;
    minutes(&mut tb, 15);
    Fixture {
        tb,
        stamped: stamped.get(),
        ticket,
        half_paid: half_paid.get(),
        unpaid_job: job.id.get(),
        unpaid_sale,
        waiting: waiting.get(),
    }
}

/// The supervisor signed in, on the unfinished tab (key 7).
fn on_tab(f: &mut Fixture, lang: Lang) -> State {
    let mut state = state_for(&f.tb, Mode::Supervisor, lang);
    sign_in(&mut state, &mut f.tb, "kepala", "9999");
    assert!(state.is_supervisor(), "{:?}", state.login.error);
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('7')));
    assert_eq!(state.tab, Tab::Unfinished);
    state
}

fn rows(state: &State) -> Vec<UnfinishedRow> {
    state.unfinished.clone().expect("the tab loaded its rows")
}

/// Moves the cursor to the row of `subject`.
fn select(state: &mut State, b: &mut Branch, subject: Subject) {
    let at = rows(state)
        .iter()
        .position(|r| r.subject == subject)
        .unwrap_or_else(|| panic!("{subject:?} is listed"));
    for _ in 0..10 {
        drive(state, b, key(KeyCode::Up));
    }
    for _ in 0..at {
        drive(state, b, key(KeyCode::Down));
    }
    assert_eq!(state.cursor, at);
}

fn message(state: &State) -> (String, bool) {
    let m = state.message.clone().expect("a message");
    (m.text, m.error)
}

/// Fills the open dialog's remaining fields in order (each followed by Enter) and sends it.
fn fill(state: &mut State, b: &mut Branch, values: &[&str]) {
    for v in values {
        type_text(state, b, v);
        drive(state, b, key(KeyCode::Enter));
    }
}

fn count(b: &mut Branch, sql: &str, params: &[&dyn loket::store::sql::ToSql]) -> i64 {
    b.store_mut()
        .read(|c| {
            c.query_row(sql, params, |r| r.get(0))
                .map_err(loket::store::StoreError::from)
        })
        .expect(sql)
}

fn approval_id(b: &mut Branch, action: &str, subject: &str) -> i64 {
    count(
        b,
        "SELECT id FROM approvals WHERE action = ?1 AND subject = ?2 AND used_ms IS NOT NULL",
        &[&action, &subject],
    )
}

fn journal(b: &mut Branch, kind: &str, subject: &str) -> String {
    b.store_mut()
        .read(|c| {
            c.query_row(
                "SELECT detail FROM journal WHERE kind = ?1 AND subject = ?2 ORDER BY seq DESC LIMIT 1",
                [kind, subject],
                |r| r.get(0),
            )
            .map_err(loket::store::StoreError::from)
        })
        .unwrap_or_else(|e| panic!("journal {kind} {subject}: {e}"))
}

#[test]
fn the_tab_lists_every_half_done_thing_with_its_owner_and_age() {
    let mut f = fixture();
    let state = on_tab(&mut f, Lang::Id);
    let listed: Vec<(Subject, Option<u32>, String, Option<String>)> = rows(&state)
        .into_iter()
        .map(|r| (r.subject, r.item.counter, r.item.clerk, r.item.ticket))
        .collect();
    assert_eq!(
        listed,
        [
            (
                Subject::Job(loket::stamping::JobId(f.stamped)),
                Some(1),
                CLERK.to_string(),
                Some(f.ticket.clone())
            ),
            (
                Subject::Sale(loket::till::SaleId(f.half_paid)),
                Some(1),
                CLERK.to_string(),
                None
            ),
            (
                Subject::Sale(loket::till::SaleId(f.unpaid_sale)),
                Some(2),
                "kasir".to_string(),
                Some("C-002".to_string())
            ),
            (
                Subject::Job(loket::stamping::JobId(f.unpaid_job)),
                Some(2),
                "kasir".to_string(),
                Some("C-002".to_string())
            ),
            (
                Subject::Job(loket::stamping::JobId(f.waiting)),
                Some(1),
                CLERK.to_string(),
                None
            ),
        ]
    );
    let kinds: Vec<UnfinishedKind> = rows(&state).iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            UnfinishedKind::Job(JobState::Stamped),
            UnfinishedKind::Sale {
                total: rp(10_000),
                paid: rp(5_000)
            },
            UnfinishedKind::Sale {
                total: rp(10_000),
                paid: rp(0)
            },
            UnfinishedKind::Job(JobState::Placed),
            UnfinishedKind::Job(JobState::Paid),
        ]
    );
    let wide = screen_text(&state, 120, 40);
    for want in [
        "7 Belum selesai",
        "Belum selesai (5)",
        "Loket",
        "Petugas",
        "Tiket",
        "Umur",
        "Apa",
        "Selanjutnya",
        "45 mnt",
        "35 mnt",
        "15 mnt",
        "dokumen surat-1.pdf bermeterai",
        "dibayar sebagian Rp5.000 dari Rp10.000",
        "penjualan Rp10.000 belum dibayar",
        "dokumen surat-2.pdf diterima, belum dibayar",
        "dokumen surat-3.pdf dibayar, belum bermeterai",
        "p serahkan di loket",
        "u kembalikan dana",
        "p lanjutkan · b batalkan",
        "p Lanjutkan di loket",
        "b Batalkan",
        "u Kembalikan dana",
        "Tab/1-7",
    ] {
        assert!(wide.contains(want), "{want:?} in\n{wide}");
    }
    // At 80×24 every row, its owner and age still show; the tabs by number, this one by name.
    let small = screen_text(&state, 80, 24);
    for want in [
        "7 Belum selesai",
        "Belum selesai (5)",
        "45 mnt",
        "C-002",
        "kasir",
        "dibayar sebagian",
        "p serahkan di loket",
    ] {
        assert!(small.contains(want), "{want:?} in\n{small}");
    }
    // The serial number is the provider's random one: a fixed one stands in for the snapshots.
    let mut fixed = state.clone();
    for r in fixed.unfinished.iter_mut().flatten() {
        if r.sn.is_some() {
            r.sn = Some("389UY343AP0GE9A40000A9".into());
        }
    }
    for w in [(120, 40), (80, 24)] {
        let terminal = render(&fixed, w.0, w.1);
        insta::assert_snapshot!(format!("unfinished_{}x{}", w.0, w.1), terminal.backend());
    }

    // In English the rows say the same in English.
    let state = on_tab(&mut f, Lang::En);
    let text = screen_text(&state, 120, 40);
    for want in [
        "7 Unfinished",
        "Unfinished (5)",
        "Age",
        "45 min",
        "part-paid Rp5.000 of Rp10.000",
        "sale of Rp10.000 not paid",
        "document surat-1.pdf stamped",
        "p hand over at a counter",
        "p Resume at a counter",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let mut state = state;
    select(
        &mut state,
        &mut f.tb.branch,
        Subject::Sale(loket::till::SaleId(f.half_paid)),
    );
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('b')));
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert_eq!(
        text,
        format!(
            "Sale #{} cannot be cancelled: Rp5.000 has been taken. Refund it with u, or resume it at a counter with p.",
            f.half_paid
        )
    );
    drive(&mut state, &mut f.tb.branch, key(KeyCode::Char('u')));
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("Give back what was paid"), "{text}");
}

#[test]
fn cancel_takes_back_what_is_unpaid_and_refuses_a_row_with_money() {
    let mut f = fixture();
    let mut state = on_tab(&mut f, Lang::Id);
    let b = &mut f.tb.branch;

    // The half-paid sale has money on it: no form, a refusal that says what to do instead.
    select(
        &mut state,
        b,
        Subject::Sale(loket::till::SaleId(f.half_paid)),
    );
    drive(&mut state, b, key(KeyCode::Char('b')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert_eq!(
        text,
        format!(
            "Penjualan #{} tidak dapat dibatalkan: sudah ada uang Rp5.000 yang diterima. Kembalikan dananya dengan u, atau lanjutkan di loket dengan p.",
            f.half_paid
        )
    );
    // A paid job cannot be cancelled either.
    select(
        &mut state,
        b,
        Subject::Job(loket::stamping::JobId(f.waiting)),
    );
    drive(&mut state, b, key(KeyCode::Char('b')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error && text.contains("sudah dibayar"), "{text}");

    // The placed job: reason and the supervisor's PIN, then cancelled with the approval.
    select(
        &mut state,
        b,
        Subject::Job(loket::stamping::JobId(f.unpaid_job)),
    );
    drive(&mut state, b, key(KeyCode::Char('b')));
    let dialog = state.dialog.clone().expect("the cancel form");
    assert_eq!(
        dialog.kind,
        DialogKind::Unfinished {
            subject: Subject::Job(loket::stamping::JobId(f.unpaid_job)),
            act: UnfinishedActKind::Cancel
        }
    );
    assert_eq!(
        dialog.fields.iter().map(|x| x.id).collect::<Vec<_>>(),
        [FieldId::Reason, FieldId::SupervisorPin]
    );
    let text = screen_text(&state, 80, 24);
    assert!(
        text.contains("Batalkan yang belum dibayar"),
        "the form's title in\n{text}"
    );
    fill(&mut state, b, &["pelanggan pergi", "9999"]);
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Pekerjaan #{} dibatalkan; belum ada uang yang diterima.",
            f.unpaid_job
        )
    );
    assert!(state.dialog.is_none());
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(f.unpaid_job))
            .expect("job")
            .state,
        JobState::Cancelled
    );
    let subject = format!("job/{}", f.unpaid_job);
    let approval = approval_id(b, "stamping.cancel", &subject);
    let detail = journal(b, "job.cancelled", &subject);
    assert!(
        detail.contains(&format!("\"approval\":{approval}"))
            && detail.contains("\"supervisor\":\"kepala\"")
            && detail.contains("pelanggan pergi"),
        "{detail}"
    );
    // The list was read again: the job is gone, its unpaid sale is still there.
    assert!(
        !rows(&state)
            .iter()
            .any(|r| r.subject == Subject::Job(loket::stamping::JobId(f.unpaid_job)))
    );

    // The unpaid sale: voided with a `sale.void` approval, nothing given back.
    select(
        &mut state,
        b,
        Subject::Sale(loket::till::SaleId(f.unpaid_sale)),
    );
    drive(&mut state, b, key(KeyCode::Char('b')));
    fill(&mut state, b, &["pelanggan pergi", "9999"]);
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Penjualan #{} dibatalkan; belum ada uang yang diterima.",
            f.unpaid_sale
        )
    );
    let sale_subject = format!("sale/{}", f.unpaid_sale);
    let approval = approval_id(b, "sale.void", &sale_subject);
    assert_eq!(
        count(
            b,
            "SELECT void_approval FROM sales WHERE id = ?1 AND status = 'voided'",
            &[&f.unpaid_sale]
        ),
        approval
    );
    let detail = journal(b, "sale.voided", &sale_subject);
    assert!(
        detail.contains(&format!("\"approval\":{approval}")),
        "{detail}"
    );
    assert_eq!(rows(&state).len(), 3, "{:?}", rows(&state));
}

#[test]
fn refund_gives_back_a_half_paid_sale_and_a_paid_job_but_not_a_stamped_one() {
    let mut f = fixture();
    let mut state = on_tab(&mut f, Lang::Id);
    let b = &mut f.tb.branch;

    // A stamped document is not refunded here: it is resumed at a counter and handed over.
    select(
        &mut state,
        b,
        Subject::Job(loket::stamping::JobId(f.stamped)),
    );
    drive(&mut state, b, key(KeyCode::Char('u')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert_eq!(
        text,
        format!(
            "Pekerjaan #{} sudah bermeterai dan belum diserahkan: dananya tidak dapat dikembalikan di sini. Lanjutkan di loket dengan p untuk menyerahkannya.",
            f.stamped
        )
    );
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(f.stamped))
            .expect("job")
            .state,
        JobState::Stamped
    );
    // Nothing paid on the unpaid sale: nothing to refund.
    select(
        &mut state,
        b,
        Subject::Sale(loket::till::SaleId(f.unpaid_sale)),
    );
    drive(&mut state, b, key(KeyCode::Char('u')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error && text.contains("Batalkan dengan b"), "{text}");

    // The half-paid sale: a wrong PIN is refused and changes nothing; the right one voids it and
    // the screen says what to hand back.
    select(
        &mut state,
        b,
        Subject::Sale(loket::till::SaleId(f.half_paid)),
    );
    drive(&mut state, b, key(KeyCode::Char('u')));
    let dialog = state.dialog.clone().expect("the refund form");
    assert_eq!(
        dialog.kind,
        DialogKind::Unfinished {
            subject: Subject::Sale(loket::till::SaleId(f.half_paid)),
            act: UnfinishedActKind::Refund
        }
    );
    let text = screen_text(&state, 120, 40);
    assert!(text.contains("Rp5.000 yang sudah diterima"), "{text}");
    fill(&mut state, b, &["pelanggan batal membayar", "1111"]);
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert!(
        text.starts_with(&format!("Penjualan #{} tidak diubah:", f.half_paid))
            && text.to_lowercase().contains("pin"),
        "{text}"
    );
    let dialog = state.dialog.clone().expect("the form stays open");
    assert_eq!(dialog.value(FieldId::SupervisorPin), "");
    assert_eq!(dialog.value(FieldId::Reason), "pelanggan batal membayar");
    assert_eq!(
        b.till()
            .sale(loket::till::SaleId(f.half_paid))
            .expect("sale")
            .status,
        loket::till::SaleStatus::Open
    );
    fill(&mut state, b, &["9999"]);
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Penjualan #{} dibatalkan: kembalikan Rp5.000 tunai kepada pelanggan — uang tunai dari laci loket 1.",
            f.half_paid
        )
    );
    let sale_subject = format!("sale/{}", f.half_paid);
    let approval = approval_id(b, "sale.void", &sale_subject);
    assert_eq!(
        count(
            b,
            "SELECT void_approval FROM sales WHERE id = ?1 AND status = 'voided'",
            &[&f.half_paid]
        ),
        approval
    );
    assert_eq!(
        count(
            b,
            "SELECT SUM(amount) FROM payments WHERE sale = ?1 AND kind = 'void' AND method = 'cash'",
            &[&f.half_paid]
        ),
        5_000
    );
    let detail = journal(b, "sale.voided", &sale_subject);
    assert!(
        detail.contains(&format!("\"approval\":{approval}"))
            && detail.contains("\"supervisor\":\"kepala\""),
        "{detail}"
    );

    // The paid job waiting for its stamp: the settlement form, refunded in cash from counter 1.
    select(
        &mut state,
        b,
        Subject::Job(loket::stamping::JobId(f.waiting)),
    );
    drive(&mut state, b, key(KeyCode::Char('u')));
    let dialog = state.dialog.clone().expect("the settlement form");
    assert_eq!(
        dialog.kind,
        DialogKind::SettleJob {
            job: f.waiting,
            refund: true
        }
    );
    assert_eq!(dialog.value(FieldId::RefundCounter), "1");
    fill(
        &mut state,
        b,
        &["", "", "pelanggan tidak mau menunggu", "9999"],
    );
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Pekerjaan #{}: dana Rp10.000 dikembalikan tunai dari laci loket 1 — serahkan kepada pelanggan.",
            f.waiting
        )
    );
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(f.waiting))
            .expect("job")
            .state,
        JobState::Refunded
    );
    let left: Vec<Subject> = rows(&state).iter().map(|r| r.subject).collect();
    assert_eq!(
        left,
        [
            Subject::Job(loket::stamping::JobId(f.stamped)),
            Subject::Sale(loket::till::SaleId(f.unpaid_sale)),
            Subject::Job(loket::stamping::JobId(f.unpaid_job))
        ]
    );
}

#[test]
fn resume_moves_the_visit_to_another_counter_with_approval() {
    let mut f = fixture();
    let mut state = on_tab(&mut f, Lang::Id);
    let b = &mut f.tb.branch;

    // A sale with no ticket has no visit to move.
    select(
        &mut state,
        b,
        Subject::Sale(loket::till::SaleId(f.half_paid)),
    );
    drive(&mut state, b, key(KeyCode::Char('p')));
    assert!(state.dialog.is_none());
    let (text, error) = message(&state);
    assert!(error && text.contains("tidak ada kunjungan"), "{text}");

    // Counter 2 still holds C-002: the stamped visit cannot go there.
    select(
        &mut state,
        b,
        Subject::Job(loket::stamping::JobId(f.stamped)),
    );
    drive(&mut state, b, key(KeyCode::Char('p')));
    let dialog = state.dialog.clone().expect("the resume form");
    assert_eq!(
        dialog.kind,
        DialogKind::Unfinished {
            subject: Subject::Job(loket::stamping::JobId(f.stamped)),
            act: UnfinishedActKind::Resume
        }
    );
    assert_eq!(
        dialog.fields.iter().map(|x| x.id).collect::<Vec<_>>(),
        [
            FieldId::TargetCounter,
            FieldId::Reason,
            FieldId::SupervisorPin
        ]
    );
    let text = screen_text(&state, 120, 40);
    for want in ["Lanjutkan di loket lain", "Pindahkan ke loket", "C-001"] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    fill(&mut state, b, &["2", "loket 1 printer rusak", "9999"]);
    let (text, error) = message(&state);
    assert!(error, "{text}");
    assert!(text.contains("C-002"), "{text}");
    assert_eq!(
        count(
            b,
            "SELECT COUNT(*) FROM journal WHERE kind = 'visit.moved'",
            &[]
        ),
        0
    );
    // Refused before the approval: no approval left unused.
    assert_eq!(
        count(
            b,
            "SELECT COUNT(*) FROM approvals WHERE action = 'visit.move'",
            &[]
        ),
        0
    );

    // Counter 3 is free: the visit moves there, with its stamped job.
    let dialog = state.dialog.as_mut().expect("the form stays open");
    dialog.focus = 0;
    drive(&mut state, b, key(KeyCode::Backspace));
    fill(&mut state, b, &["3", "", "9999"]);
    let (text, error) = message(&state);
    assert!(!error, "{text}");
    assert_eq!(
        text,
        format!(
            "Kunjungan {} dipindahkan dari loket 1 ke loket 3; petugas loket 3 melanjutkannya saat masuk.",
            f.ticket
        )
    );
    assert_eq!(
        count(
            b,
            "SELECT counter FROM stamp_jobs WHERE id = ?1",
            &[&f.stamped]
        ),
        3
    );
    let approval = approval_id(b, "visit.move", &f.ticket);
    let detail = journal(b, "visit.moved", &f.ticket);
    assert!(
        detail.contains(&format!("\"approval\":{approval}"))
            && detail.contains("\"from\":1")
            && detail.contains("\"to\":3"),
        "{detail}"
    );
    let status = b.queue().queue_status().expect("status");
    let at3 = status
        .counters
        .iter()
        .find(|c| c.number == 3)
        .and_then(|c| c.ticket.as_ref().map(ToString::to_string));
    assert_eq!(at3.as_deref(), Some(f.ticket.as_str()));
    let row = rows(&state)
        .into_iter()
        .find(|r| r.subject == Subject::Job(loket::stamping::JobId(f.stamped)))
        .expect("still unfinished until handed over");
    assert_eq!(row.item.counter, Some(3));
}

#[test]
fn a_paid_job_is_not_cancelled_even_with_an_approval() {
    let mut f = fixture();
    let b = &mut f.tb.branch;
    let subject = format!("job/{}", f.waiting);
    let lockout = b.lockout();
    let approval = loket::users::approve(
        b.store_mut(),
        lockout,
        "kepala",
        "9999",
        "kepala",
        loket::stamping::service::ACTION_CANCEL,
        &subject,
        "salah pilih",
    )
    .expect("approve");
    b.stamping()
        .cancel_job_approved(loket::stamping::JobId(f.waiting), approval.id, "kepala")
        .expect_err("a paid job is settled, not cancelled");
    assert_eq!(
        b.stamping()
            .job(loket::stamping::JobId(f.waiting))
            .expect("job")
            .state,
        JobState::Paid
    );
    // The approval was not spent on it.
    assert_eq!(
        count(
            b,
            "SELECT COUNT(*) FROM approvals WHERE id = ?1 AND used_ms IS NULL",
            &[&approval.id]
        ),
        1
    );
}

/// The approvals tab names every approval the console and the counters ask for, in both languages.
#[test]
fn every_approval_kind_has_a_name_on_the_approvals_tab() {
    for action in [
        "ticket.reactivate",
        "visit.move",
        loket::till::actions::VOID,
        loket::till::actions::REFUND,
        loket::till::actions::NO_SALE,
        loket::till::actions::CLOSE_VARIANCE,
        loket::till::actions::QRIS_EXCESS,
        loket::stamping::service::ACTION_REISSUE,
        loket::stamping::service::ACTION_CANCEL,
    ] {
        for lang in [Lang::Id, Lang::En] {
            let name = (lang.strings().action_name)(action);
            assert_ne!(name, action, "{lang:?} names {action}");
            assert!(!name.contains('.'), "{lang:?}: {name}");
        }
    }
}
