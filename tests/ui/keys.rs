//! Key handling through the pure `update`: which key asks for which effect, and what refusals say.

use super::*;
use loket::queue::{CounterState, Status, Step};
use loket::ui::state::{Effect, Outcome, QueueOp};
use time::Duration;

/// A signed-in counter 1 with no ticket, on a branch with two tickets waiting.
fn ready() -> (TestBranch, State) {
    let mut tb = branch_with_users();
    tb.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    tb.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    let mut state = state_for(&tb, Mode::Counter, Lang::Id);
    sign_in(&mut state, &mut tb, "petugas", "1234");
    assert!(state.user.is_some());
    (tb, state)
}

fn queue_effect(op: QueueOp) -> Vec<Effect> {
    vec![Effect::Queue {
        counter: 1,
        clerk: "petugas".into(),
        op,
    }]
}

/// Each F-key asks for its queue operation (and nothing runs yet: `update` is pure).
#[test]
fn f_keys_ask_for_their_queue_operations() {
    let check = |code: KeyCode, op: QueueOp| {
        let (_tb, mut state) = ready();
        assert_eq!(update(&mut state, key(code)), queue_effect(op), "{code:?}");
        assert!(state.pending);
    };
    check(KeyCode::F(2), QueueOp::CallNext);
    check(KeyCode::F(3), QueueOp::Step(Step::Recall));
    check(KeyCode::F(4), QueueOp::Step(Step::Serve));
    check(KeyCode::F(5), QueueOp::Step(Step::Done));
    check(KeyCode::F(6), QueueOp::Step(Step::NoShow));
    check(KeyCode::F(7), QueueOp::Step(Step::Park { minutes: None }));
}

#[test]
fn a_second_key_while_the_first_runs_is_refused_in_words() {
    let (_tb, mut state) = ready();
    assert_eq!(update(&mut state, key(KeyCode::F(2))).len(), 1);
    assert!(update(&mut state, key(KeyCode::F(2))).is_empty());
    let m = state.message.expect("message");
    assert!(m.error && m.text.contains("masih diproses"), "{m:?}");
}

#[test]
fn call_serve_done_cycle_updates_ticket_and_session() {
    let (mut tb, mut state) = ready();
    drive(&mut state, &mut tb.branch, key(KeyCode::F(2)));
    assert_eq!(
        state.current(),
        Some((&crate::common::no("A-001"), Status::Called))
    );
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("A-001 dipanggil ke loket 1.")
    );
    assert_eq!(
        state.session.as_ref().map(|s| s.ticket.as_str()),
        Some("A-001")
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::F(4)));
    assert_eq!(
        state.current(),
        Some((&crate::common::no("A-001"), Status::Serving))
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::F(5)));
    assert_eq!(state.current(), None);
    assert!(state.session.is_none());
    assert_eq!(
        tb.branch
            .queue()
            .ticket_info(&crate::common::no("A-001"))
            .expect("info")
            .status,
        Status::Done
    );
}

#[test]
fn engine_refusals_become_sentences_on_the_message_line() {
    let (mut tb, mut state) = ready();
    // Serving with nothing called.
    drive(&mut state, &mut tb.branch, key(KeyCode::F(4)));
    let m = state.message.clone().expect("message");
    assert!(m.error);
    assert_eq!(
        m.text,
        "Loket 1 tidak sedang memanggil atau melayani siapa pun."
    );
    // No-show before the minimum wait.
    drive(&mut state, &mut tb.branch, key(KeyCode::F(2)));
    drive(&mut state, &mut tb.branch, key(KeyCode::F(6)));
    let m = state.message.clone().expect("message");
    assert!(m.error && m.text.starts_with(char::is_uppercase), "{m:?}");
    assert_eq!(
        state.current(),
        Some((&crate::common::no("A-001"), Status::Called))
    );
}

#[test]
fn transfer_dialog_needs_a_ticket_and_a_service() {
    let (mut tb, mut state) = ready();
    drive(&mut state, &mut tb.branch, key(KeyCode::F(9)));
    assert!(state.dialog.is_none());
    assert!(state.message.as_ref().is_some_and(|m| m.error));

    drive(&mut state, &mut tb.branch, key(KeyCode::F(2)));
    drive(&mut state, &mut tb.branch, key(KeyCode::F(9)));
    assert!(state.dialog.is_some());
    // Enter on the service field moves on; Enter on the last submits and finds the service missing.
    drive(&mut state, &mut tb.branch, key(KeyCode::Enter));
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert_eq!(
        state
            .dialog
            .as_ref()
            .and_then(|d| d.error.clone())
            .as_deref(),
        Some("Layanan wajib diisi.")
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::BackTab));
    type_text(&mut state, &mut tb.branch, "c");
    drive(&mut state, &mut tb.branch, key(KeyCode::Tab));
    type_text(&mut state, &mut tb.branch, "x3");
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        effects,
        queue_effect(QueueOp::Transfer {
            to: "C".into(),
            to_counter: Some(3)
        })
    );
    let outcome = worker::run(&mut tb.branch, effects[0].clone()).expect("outcome");
    update(&mut state, Action::Worker(outcome));
    assert!(state.dialog.is_none());
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("A-001 dialihkan ke C (loket 3).")
    );
}

#[test]
fn counter_state_dialog_sets_a_break_with_its_reason() {
    let (mut tb, mut state) = ready();
    drive(&mut state, &mut tb.branch, key(KeyCode::F(12)));
    drive(&mut state, &mut tb.branch, key(KeyCode::Tab));
    type_text(&mut state, &mut tb.branch, "rapat");
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        effects,
        queue_effect(QueueOp::SetState {
            state: CounterState::Break,
            reason: Some("rapat".into())
        })
    );
}

#[test]
fn reactivating_a_no_show_takes_a_supervisor_pin() {
    let (mut tb, mut state) = ready();
    drive(&mut state, &mut tb.branch, key(KeyCode::F(2)));
    tb.clock.advance(Duration::minutes(2));
    drive(&mut state, &mut tb.branch, key(KeyCode::F(6)));
    assert_eq!(
        tb.branch
            .queue()
            .ticket_info(&crate::common::no("A-001"))
            .expect("info")
            .status,
        Status::NoShow
    );

    let fill = |state: &mut State, tb: &mut TestBranch, pin: &str| {
        drive(state, &mut tb.branch, ctrl('r'));
        for (i, text) in ["a1", "kepala", pin, "salah panggil"].iter().enumerate() {
            if i > 0 {
                drive(state, &mut tb.branch, key(KeyCode::Tab));
            }
            type_text(state, &mut tb.branch, text);
        }
        drive(state, &mut tb.branch, key(KeyCode::Enter))
    };
    let effects = fill(&mut state, &mut tb, "1111");
    assert!(
        matches!(&effects[0], Effect::Reactivate { ticket, supervisor, .. } if ticket == "A1" && supervisor == "kepala")
    );
    let error = state.dialog.as_ref().and_then(|d| d.error.clone());
    assert_eq!(
        error.as_deref(),
        Some("PIN salah; sisa 4 kali percobaan sebelum akun dikunci.")
    );
    drive(&mut state, &mut tb.branch, key(KeyCode::Esc));

    fill(&mut state, &mut tb, "9999");
    assert!(state.dialog.is_none());
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("A-001 diaktifkan kembali dan masuk antrean.")
    );
    assert_eq!(
        tb.branch
            .queue()
            .ticket_info(&crate::common::no("A-001"))
            .expect("info")
            .status,
        Status::Waiting
    );
}

#[test]
fn login_masks_the_pin_and_takes_digits_only() {
    let mut tb = branch_with_users();
    let mut state = state_for(&tb, Mode::Counter, Lang::Id);
    drive(&mut state, &mut tb.branch, Action::Start);
    type_text(&mut state, &mut tb.branch, "petugas");
    drive(&mut state, &mut tb.branch, key(KeyCode::Enter));
    assert_eq!(state.login.focus, 1, "Enter on the id moves to the PIN");
    type_text(&mut state, &mut tb.branch, "12a34");
    assert_eq!(state.login.pin, "1234");
    let text = screen_text(&state, 80, 24);
    let pin_row = text
        .lines()
        .find(|l| l.contains("▶ PIN"))
        .unwrap_or_default();
    assert!(
        pin_row.contains("••••") && !pin_row.contains("1234"),
        "{text}"
    );
    let effects = update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Authenticate {
            id: "petugas".into(),
            pin: "1234".into()
        }]
    );
    assert!(
        state.login.pin.is_empty(),
        "the PIN leaves the state once sent"
    );
}

#[test]
fn quitting_and_help() {
    let (_tb, mut state) = ready();
    assert!(update(&mut state, key(KeyCode::F(1))).is_empty());
    assert!(state.help);
    // Keys other than Esc/F1 do nothing while help is open.
    assert!(update(&mut state, key(KeyCode::F(2))).is_empty());
    update(&mut state, key(KeyCode::Esc));
    assert!(!state.help);
    assert_eq!(update(&mut state, ctrl('q')), vec![Effect::Quit]);
    assert!(state.quit);
    // A terminal that goes away ends the program the same way.
    let (_tb, mut state) = ready();
    assert_eq!(update(&mut state, Action::InputClosed), vec![Effect::Quit]);
    assert!(state.quit);
}

#[test]
fn ticks_reload_the_queue_at_the_refresh_rate() {
    let (tb, mut state) = ready();
    let now = state.now_ms;
    state.loading = false;
    state.last_load_ms = now;
    assert!(update(&mut state, Action::Tick(now + 100)).is_empty());
    assert_eq!(
        update(&mut state, Action::Tick(now + 500)),
        vec![Effect::LoadStatus]
    );
    // Not again while that reading is in flight.
    assert!(update(&mut state, Action::Tick(now + 1500)).is_empty());
    let _ = tb;
}

/// What the counter's waiting list shows for service A.
fn waiting_in_a(state: &State) -> Option<usize> {
    state
        .status
        .as_ref()?
        .services
        .iter()
        .find(|s| s.prefix == "A")
        .map(|s| s.waiting)
}

#[test]
fn a_change_from_the_watch_reloads_the_waiting_list_at_once_or_after_the_reading_in_flight() {
    let (mut tb, mut state) = ready();
    let mut watch = tb.branch.store().watch().expect("watch the branch");
    assert_eq!(waiting_in_a(&state), Some(2), "read at sign-in");

    // The kiosk, another process, issues a ticket; the clock stands still, so no periodic reload
    // is due and only the change notice makes the counter read again.
    let mut kiosk = tb.reopen();
    kiosk
        .queue()
        .issue_ticket("A", false, "kiosk")
        .expect("issue");
    assert!(
        watch.wait(std::time::Duration::from_secs(10)),
        "the kiosk's commit wakes the watch"
    );
    assert!(!update(&mut state, tick(&tb)).contains(&Effect::LoadStatus));
    let effects = drive(&mut state, &mut tb.branch, Action::Changed);
    assert!(effects.contains(&Effect::LoadStatus), "{effects:?}");
    assert_eq!(
        waiting_in_a(&state),
        Some(3),
        "the new ticket is in the list"
    );

    // A notice while a reading is in flight is kept for when it is back, once.
    state.loading = true;
    assert!(update(&mut state, Action::Changed).is_empty());
    assert!(update(&mut state, Action::Changed).is_empty());
    let status = tb.branch.queue().queue_status().expect("status");
    let back = update(
        &mut state,
        Action::Worker(Outcome::Status(Box::new(status))),
    );
    assert!(back.contains(&Effect::LoadStatus), "{back:?}");
    let status = tb.branch.queue().queue_status().expect("status");
    let again = update(
        &mut state,
        Action::Worker(Outcome::Status(Box::new(status))),
    );
    assert!(!again.contains(&Effect::LoadStatus), "{again:?}");
}

#[test]
fn display_rings_once_per_new_call_and_not_at_start() {
    let mut tb = branch_with_users();
    tb.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    tb.branch
        .queue()
        .issue_ticket("A", false, "d")
        .expect("issue");
    tb.branch
        .queue()
        .call_next(loket::queue::CounterNo(1), "petugas")
        .expect("call");
    let mut state = state_for(&tb, Mode::Display, Lang::Id);
    let bells = |effects: &[Effect]| effects.iter().filter(|e| **e == Effect::Bell).count();
    assert_eq!(bells(&drive(&mut state, &mut tb.branch, Action::Start)), 0);
    let status = tb.branch.queue().queue_status().expect("status");
    let same = update(
        &mut state,
        Action::Worker(Outcome::Status(Box::new(status))),
    );
    assert_eq!(bells(&same), 0, "nothing new");
    tb.clock.advance(Duration::seconds(30));
    tb.branch
        .queue()
        .counter_step(loket::queue::CounterNo(1), "petugas", Step::Recall)
        .expect("recall");
    let status = tb.branch.queue().queue_status().expect("status");
    let recall = update(
        &mut state,
        Action::Worker(Outcome::Status(Box::new(status))),
    );
    assert_eq!(bells(&recall), 1, "a recall is announced again");
    assert_eq!(
        update(&mut state, key(KeyCode::Char('q'))),
        vec![Effect::Quit]
    );
}

#[test]
fn supervisor_tabs_follow_tab_arrows_and_digits() {
    use loket::ui::state::Tab;
    let mut tb = branch_with_users();
    let mut state = state_for(&tb, Mode::Supervisor, Lang::Id);
    sign_in(&mut state, &mut tb, "kepala", "9999");
    assert!(state.is_supervisor());
    let check = |state: &mut State, action: Action, want: Tab| {
        let effects = update(state, action);
        assert_eq!(state.tab, want);
        // Arriving on a tab loads its data; the live branch is what the refresh already reads.
        let load = match want {
            Tab::Live => Vec::new(),
            Tab::Approvals => vec![Effect::LoadApprovals],
            Tab::Emeterai => vec![Effect::LoadEmeterai],
            Tab::Outbox => vec![Effect::LoadOutbox],
            Tab::Drawers => vec![Effect::LoadDrawers],
            Tab::Daily => vec![Effect::LoadDaily],
            Tab::Unfinished => vec![Effect::LoadUnfinished],
        };
        assert_eq!(effects, load, "{want:?}");
    };
    check(&mut state, key(KeyCode::Tab), Tab::Approvals);
    check(&mut state, key(KeyCode::Right), Tab::Emeterai);
    check(&mut state, key(KeyCode::Char('6')), Tab::Daily);
    check(&mut state, key(KeyCode::Tab), Tab::Unfinished);
    check(&mut state, key(KeyCode::Tab), Tab::Live);
    check(&mut state, key(KeyCode::Left), Tab::Unfinished);
    check(&mut state, key(KeyCode::BackTab), Tab::Daily);
    check(&mut state, key(KeyCode::Char('7')), Tab::Unfinished);
    // No eighth tab: 8 stays where it is.
    assert!(update(&mut state, key(KeyCode::Char('8'))).is_empty());
    assert_eq!(state.tab, Tab::Unfinished);
    check(&mut state, key(KeyCode::Char('5')), Tab::Drawers);
    check(&mut state, key(KeyCode::Char('1')), Tab::Live);
    // The counter's F-keys mean nothing here.
    assert!(update(&mut state, key(KeyCode::F(2))).is_empty());
    // Reactivation by the signed-in supervisor asks only for the ticket, PIN and reason.
    update(&mut state, ctrl('r'));
    let fields = state.dialog.as_ref().map(|d| d.fields.len());
    assert_eq!(fields, Some(3));
}

/// Each dialog, filled in and sent, asks for its operation with what was typed (tickets and
/// services upper-cased).
#[test]
fn dialogs_ask_for_their_operations() {
    let check = |open: Action, typed: &[&str], want: QueueOp| {
        let (mut tb, mut state) = ready();
        drive(&mut state, &mut tb.branch, open);
        assert!(state.dialog.is_some());
        for (i, text) in typed.iter().enumerate() {
            if i > 0 {
                drive(&mut state, &mut tb.branch, key(KeyCode::Tab));
            }
            // Clear what the dialog proposed before typing.
            for _ in 0..8 {
                drive(&mut state, &mut tb.branch, key(KeyCode::Backspace));
            }
            type_text(&mut state, &mut tb.branch, text);
        }
        assert_eq!(
            update(&mut state, key(KeyCode::Enter)),
            queue_effect(want.clone()),
            "{want:?}"
        );
    };
    check(
        key(KeyCode::F(10)),
        &["a-2"],
        QueueOp::CallTicket("A-2".into()),
    );
    check(key(KeyCode::F(11)), &["b"], QueueOp::WalkIn("B".into()));
    check(ctrl('u'), &["c-001"], QueueOp::Unpark("C-001".into()));

    // Closing needs no reason: → moves from "istirahat" to "tutup".
    let (mut tb, mut state) = ready();
    drive(&mut state, &mut tb.branch, key(KeyCode::F(12)));
    drive(&mut state, &mut tb.branch, key(KeyCode::Right));
    drive(&mut state, &mut tb.branch, key(KeyCode::Tab));
    assert_eq!(
        update(&mut state, key(KeyCode::Enter)),
        queue_effect(QueueOp::SetState {
            state: CounterState::Closed,
            reason: None,
        })
    );
}

/// The status bar's words for the e-Meterai service and the outbox, from what the worker read.
#[test]
fn service_and_outbox_states_in_words() {
    use loket::ui::state::{DeviceState, OutboxCounts, ServiceHealth};
    use loket::ui::update::{outbox_state, service_state};
    let s = Lang::Id.strings();
    let ready = |t: &str| DeviceState::Ready(t.to_string());
    let problem = |what: &str, next: &str| DeviceState::Problem {
        what: what.to_string(),
        next: next.to_string(),
    };
    let check = |h: ServiceHealth, want: DeviceState| {
        assert_eq!(service_state(s, &h), want, "{h:?}");
    };
    check(ServiceHealth::NotUsed, DeviceState::NotConfigured);
    check(ServiceHealth::Local, ready("lokal (latihan), siap"));
    check(ServiceHealth::Up, ready("Peruri tersambung"));
    check(ServiceHealth::Probing, ready("Peruri sedang dicoba lagi"));
    check(
        ServiceHealth::Down { retry_s: 42 },
        problem(
            "Layanan e-Meterai gangguan",
            "dicoba lagi dalam 42 detik; pelanggan boleh pulang dengan tanda terima klaim (k)",
        ),
    );
    check(
        ServiceHealth::Broken("Bagian [stamping.peruri] belum diisi.".into()),
        problem(
            "Bagian [stamping.peruri] belum diisi",
            "periksa bagian [stamping] di loket.toml",
        ),
    );
    {
        use loket::store::ServerHealth;
        use loket::ui::update::server_state;
        let server = |h: Option<ServerHealth>| server_state(s, h);
        assert_eq!(
            server(Some(ServerHealth::Unreachable)),
            problem(
                "tidak terjangkau",
                "menyambung ulang… perubahan ditolak sampai tersambung",
            )
        );
        assert_eq!(
            server(Some(ServerHealth::Refused(loket::store::Refusal::Login))),
            problem(
                "menolak masuk PC ini",
                "kata sandi peran berubah? salin baris [store] yang baru ke loket.toml lalu mulai ulang loket",
            )
        );
        assert_eq!(
            server(Some(ServerHealth::Refused(
                loket::store::Refusal::Certificate
            ))),
            problem(
                "sertifikatnya tidak dikenali CA cabang",
                "periksa [store] ca (branch-ca.pem dari server init) dan nama server di [store] url",
            )
        );
        assert_eq!(
            server(Some(ServerHealth::Reachable {
                skew: Duration::minutes(-5),
            })),
            problem(
                "jam PC ini selisih 5 menit dari server",
                "setel jam PC (timedatectl set-ntp true)",
            )
        );
        // A server that answers with the PC's time, or no server at all, is not shown.
        for quiet in [
            Some(ServerHealth::Reachable {
                skew: Duration::seconds(90),
            }),
            None,
        ] {
            assert_eq!(server(quiet), DeviceState::NotConfigured);
        }
    }
    {
        use loket::doctor::BackupCheck;
        use loket::ui::update::backup_state;
        let backup = |c: Option<BackupCheck>| backup_state(s, c.as_ref());
        assert_eq!(
            backup(Some(BackupCheck::TooOld {
                age_ms: 30 * 3_600_000 + 5,
                max_age_hours: 26,
                folder: None,
            })),
            problem(
                "cadangan terakhir 30 jam lalu",
                "periksa pekerja (loket-worker) atau jalankan `loket backup --to …`",
            )
        );
        assert_eq!(
            backup(Some(BackupCheck::Never {
                folder: "/media/cadangan".into(),
            })),
            problem(
                "belum pernah dicadangkan",
                "periksa pekerja (loket-worker) atau jalankan `loket backup --to …`",
            )
        );
        // A recent backup, or none expected, is not shown at all.
        for quiet in [
            Some(BackupCheck::Recent { age_ms: 3_600_000 }),
            Some(BackupCheck::NotConfigured),
            None,
        ] {
            assert_eq!(backup(quiet), DeviceState::NotConfigured);
        }
    }
    check(
        ServiceHealth::Waiting("12 dokumen menunggu e-Meterai — dicoba lagi 14.32 WIB".into()),
        problem(
            "12 dokumen menunggu e-Meterai — dicoba lagi 14.32 WIB",
            "pelanggan boleh pulang dengan tanda terima klaim (k)",
        ),
    );

    let check = |c: Result<OutboxCounts, String>, want: DeviceState| {
        assert_eq!(outbox_state(s, &c), want, "{c:?}");
    };
    let counts = |waiting, failed, sent| OutboxCounts {
        waiting,
        failed,
        sent,
    };
    check(Ok(counts(0, 0, 0)), ready("kosong"));
    check(Ok(counts(0, 0, 12)), ready("kosong"));
    check(Ok(counts(3, 0, 1)), ready("3 e-mail menunggu dikirim"));
    let next = "supervisor mengirim ulang di konsol, tab Kotak keluar";
    check(Ok(counts(0, 2, 0)), problem("2 e-mail gagal", next));
    check(
        Ok(counts(1, 2, 0)),
        problem("2 e-mail gagal, 1 menunggu", next),
    );
    check(
        Err("Basis data terkunci.".into()),
        problem(
            "Basis data terkunci",
            "jalankan `loket outbox` untuk melihat sebabnya",
        ),
    );
}

/// Ctrl+O opens the drawer-session form only when no session is open, and the form sends the
/// count as typed.
#[test]
fn ctrl_o_opens_the_drawer_form_only_without_a_session() {
    use loket::money::Rupiah;
    use loket::ui::state::{DialogKind, TillState};
    let (_tb, mut state) = ready();
    assert_eq!(state.till, TillState::Closed);
    assert!(update(&mut state, ctrl('o')).is_empty());
    assert_eq!(
        state.dialog.as_ref().map(|d| d.kind),
        Some(DialogKind::OpenTill)
    );
    // An empty count is refused in the form.
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert!(
        state
            .dialog
            .as_ref()
            .and_then(|d| d.error.clone())
            .is_some_and(|e| e.contains("Modal awal")),
        "{:?}",
        state.dialog
    );
    for c in "250000".chars() {
        update(&mut state, key(KeyCode::Char(c)));
    }
    assert_eq!(
        update(&mut state, key(KeyCode::Enter)),
        vec![Effect::OpenTill {
            counter: 1,
            clerk: "petugas".into(),
            count: "250000".into(),
        }]
    );
    // A refusal stays in the form; a session already open is only reported.
    update(
        &mut state,
        Action::Worker(Outcome::TillOpened(Err("Hitungan kosong.".into()))),
    );
    assert_eq!(
        state
            .dialog
            .as_ref()
            .and_then(|d| d.error.clone())
            .as_deref(),
        Some("Hitungan kosong.")
    );
    update(&mut state, key(KeyCode::Esc));
    state.till = TillState::Open {
        session: 7,
        float: Rupiah::new(250_000),
    };
    assert!(update(&mut state, ctrl('o')).is_empty());
    assert!(state.dialog.is_none());
    let message = state.message.clone().expect("message");
    assert_eq!(
        message.text,
        "Laci kas sudah dibuka (sesi 7, modal awal Rp250.000)."
    );
}

/// What a console action did is said in the screen's language, and a copy that did not print is
/// an error with the printer's reason.
#[test]
fn console_results_speak_the_screen_language() {
    use loket::ui::state::ConsoleDone;
    let tb = branch_with_users();
    for (lang, queued, printed, failed) in [
        (
            Lang::Id,
            "E-mail #7 masuk antrean lagi",
            "Salinan laporan Z 3 tercetak di printer loket1.",
            "Salinan laporan Z 3 tidak tercetak: Kertas habis.",
        ),
        (
            Lang::En,
            "E-mail #7 is queued again",
            "Copy of Z report 3 printed on printer loket1.",
            "Copy of Z report 3 did not print: Kertas habis.",
        ),
    ] {
        let mut state = state_for(&tb, Mode::Supervisor, lang);
        let said = |state: &mut State, done: ConsoleDone| {
            update(state, Action::Worker(Outcome::ConsoleDone(Ok(done))));
            let m = state.message.clone().expect("a message");
            (m.text, m.error)
        };
        let (text, error) = said(&mut state, ConsoleDone::MailRequeued(7));
        assert!(text.starts_with(queued) && !error, "{lang:?}: {text}");
        let copy = |printed: bool| ConsoleDone::ZCopy {
            number: 3,
            printer: "loket1".into(),
            printed,
            why: "Kertas habis.".into(),
        };
        assert_eq!(said(&mut state, copy(true)), (printed.to_string(), false));
        assert_eq!(said(&mut state, copy(false)), (failed.to_string(), true));
    }
}

#[test]
fn the_status_bar_sees_a_running_dispenser_and_its_end() {
    let (mut tb, mut state) = ready();
    let health = |tb: &mut TestBranch, state: &mut State| {
        let outcome = worker::run(&mut tb.branch, Effect::LoadHealth).expect("health");
        update(state, Action::Worker(outcome));
        screen_text(state, 120, 40)
    };
    let bar = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("Dispenser:"))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        bar(&health(&mut tb, &mut state)).contains("Dispenser: belum terhubung"),
        "no dispenser runs yet"
    );

    let held = loket::dispenser::hold_running(tb.path(), &loket::dispenser::Running::Keys)
        .expect("lock")
        .expect("no other dispenser");
    let screen = health(&mut tb, &mut state);
    assert!(
        bar(&screen).contains("Dispenser: berjalan (tombol keyboard)"),
        "{screen}"
    );
    assert!(
        loket::dispenser::hold_running(tb.path(), &loket::dispenser::Running::Keys)
            .expect("lock")
            .is_none(),
        "a second dispenser is refused while one runs"
    );

    drop(held);
    let box_running = loket::dispenser::hold_running(
        tb.path(),
        &loket::dispenser::Running::Serial("/dev/ttyUSB0".into()),
    )
    .expect("lock")
    .expect("free again");
    assert!(
        bar(&health(&mut tb, &mut state))
            .contains("Dispenser: berjalan (kotak tombol /dev/ttyUSB0)")
    );
    drop(box_running);
    assert!(bar(&health(&mut tb, &mut state)).contains("Dispenser: belum terhubung"));
}

/// The row of `ticket` in the waiting list on a drawn screen.
fn waiting_row(screen: &str, ticket: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(ticket) && l.contains(" mnt"))
        .map(str::to_string)
        .unwrap_or_default()
}

#[test]
fn a_transferred_ticket_shows_its_new_service_and_counter_on_both_counters() {
    let (mut tb, mut one) = ready();
    loket::users::add(
        tb.branch.store_mut(),
        "admin",
        "petugas3",
        "Petugas Loket 3",
        loket::users::Role::Clerk,
        "3456",
    )
    .expect("second clerk");
    let mut three = app::initial_state(
        &tb.branch,
        loket::ui::Options {
            mode: Mode::Counter,
            lang: Lang::Id,
            counter: 3,
            drive_dir: None,
        },
    );
    sign_in(&mut three, &mut tb, "petugas3", "3456");
    assert!(three.user.is_some());

    // Counter 1 calls A-001 (Surat dan Paket) and sends it to e-Meterai at counter 3.
    drive(&mut one, &mut tb.branch, key(KeyCode::F(2)));
    assert_eq!(
        one.current(),
        Some((&crate::common::no("A-001"), Status::Called))
    );
    drive(&mut one, &mut tb.branch, key(KeyCode::F(9)));
    type_text(&mut one, &mut tb.branch, "c");
    drive(&mut one, &mut tb.branch, key(KeyCode::Tab));
    type_text(&mut one, &mut tb.branch, "3");
    drive(&mut one, &mut tb.branch, key(KeyCode::Enter));
    assert_eq!(
        one.message.as_ref().map(|m| m.text.as_str()),
        Some("A-001 dialihkan ke C (loket 3).")
    );
    assert_eq!(one.current(), None);

    // Both counters' waiting lists say where A-001 waits now.
    for state in [&mut one, &mut three] {
        let status = worker::run(&mut tb.branch, Effect::LoadStatus).expect("status");
        drive(state, &mut tb.branch, Action::Worker(status));
        let screen = screen_text(state, 120, 40);
        let row = waiting_row(&screen, "A-001");
        assert!(
            row.contains("ke C, loket 3"),
            "counter {}: {row}\n{screen}",
            state.setup.counter
        );
        assert!(
            !waiting_row(&screen, "A-002").contains("ke "),
            "A-002 stays in A"
        );
    }

    // Counter 3 calls it: the ticket keeps its number and is served as e-Meterai, on the screen
    // and in the customer session.
    drive(&mut three, &mut tb.branch, key(KeyCode::F(2)));
    assert_eq!(
        three.current(),
        Some((&crate::common::no("A-001"), Status::Called))
    );
    assert_eq!(three.current_service(), Some("C"));
    let screen = screen_text(&three, 120, 40);
    let line = screen
        .lines()
        .find(|l| l.contains(" A-001 "))
        .unwrap_or_default();
    assert!(line.contains("e-Meterai"), "{line}\n{screen}");
    assert!(!line.contains("Surat dan Paket"), "{line}");
    assert_eq!(
        three
            .session
            .as_ref()
            .map(|s| (s.service.as_str(), s.stamping)),
        Some(("C", true)),
        "the e-Meterai session opens for the transferred ticket"
    );
    // Counter 1 no longer shows it anywhere as its own.
    let status = worker::run(&mut tb.branch, Effect::LoadStatus).expect("status");
    drive(&mut one, &mut tb.branch, Action::Worker(status));
    assert_eq!(one.current(), None);
    assert_eq!(
        waiting_row(&screen_text(&one, 120, 40), "A-001"),
        "",
        "no longer waiting"
    );
}
