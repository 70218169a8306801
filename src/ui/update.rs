//! The one place the screens' state changes: `update(state, action) -> effects`, pure and testable.

use crate::queue::{CallView, CounterState, Step, TicketNo};
use crate::stamping::Settle;
use crate::till::Method;
use crate::ui::flow;
use crate::ui::state::{
    Action, Choice, ConsoleDone, DeviceState, Dialog, DialogKind, Effect, Field, FieldId,
    FieldKind, Message, Mode, OutboxCounts, Outcome, QueueOp, ServiceHealth, Session, Settled,
    State, Subject, Tab, TillState, UnfinishedAct, UnfinishedActKind, UnfinishedDone,
    UnfinishedKind,
};
use crate::ui::strings::Strings;
use crate::users::Role;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How often each mode rereads the queue, so other processes' changes show promptly.
pub fn refresh_ms(mode: Mode) -> i64 {
    match mode {
        Mode::Counter => 500,
        Mode::Display => 300,
        Mode::Supervisor => 1000,
    }
}

/// How often the status bar's e-Meterai service and outbox states are read again.
pub const HEALTH_MS: i64 = 5_000;

/// How long an information message stays on the message line; refusals stay until the next one.
const INFO_MESSAGE_MS: i64 = 15_000;

/// Applies one action to the state and returns the work it asks for.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Start => {
            let mut effects = vec![Effect::Startup];
            if state.mode == Mode::Display {
                effects.extend(load(state));
            }
            effects
        }
        Action::Resize(..) => Vec::new(),
        Action::InputClosed => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Tick(now) => tick(state, now),
        Action::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return Vec::new();
            }
            on_key(state, key)
        }
        Action::Worker(outcome) => on_outcome(state, outcome),
        Action::Changed => changed(state),
    }
}

/// A change notice: the queue is read again at once, or right after the reading in flight (which
/// may have started before the change). The periodic reload in `tick` stays as the fallback.
fn changed(state: &mut State) -> Vec<Effect> {
    if !state.signed_in() {
        return Vec::new();
    }
    if state.loading {
        state.load_due = true;
        return Vec::new();
    }
    load(state).into_iter().collect()
}

/// After a reading came back: the one a change notice asked for meanwhile.
fn due_load(state: &mut State) -> Option<Effect> {
    if !std::mem::take(&mut state.load_due) || !state.signed_in() {
        return None;
    }
    load(state)
}

fn tick(state: &mut State, now: i64) -> Vec<Effect> {
    state.now_ms = now;
    if state
        .message
        .as_ref()
        .is_some_and(|m| !m.error && now - m.at_ms > INFO_MESSAGE_MS)
    {
        state.message = None;
    }
    let mut effects = Vec::new();
    if state.user.is_some() && !state.health_loading && now - state.last_health_ms >= HEALTH_MS {
        effects.push(health(state));
    }
    if state.signed_in() && !state.loading && now - state.last_load_ms >= refresh_ms(state.mode) {
        effects.extend(load(state));
        if state.mode == Mode::Supervisor {
            // The e-Meterai tab asks the provider; it reloads on entry and on `r` only.
            match state.tab {
                Tab::Approvals => effects.push(Effect::LoadApprovals),
                Tab::Daily => effects.push(Effect::LoadDaily),
                Tab::Outbox => effects.push(Effect::LoadOutbox),
                Tab::Drawers => effects.push(Effect::LoadDrawers),
                Tab::Unfinished => effects.push(Effect::LoadUnfinished),
                Tab::Live | Tab::Emeterai => {}
            }
        }
    }
    effects
}

fn health(state: &mut State) -> Effect {
    state.health_loading = true;
    state.last_health_ms = state.now_ms;
    Effect::LoadHealth
}

/// The loader of a console tab's data, if it has any of its own.
fn tab_load(tab: Tab) -> Option<Effect> {
    match tab {
        Tab::Live => None,
        Tab::Approvals => Some(Effect::LoadApprovals),
        Tab::Emeterai => Some(Effect::LoadEmeterai),
        Tab::Outbox => Some(Effect::LoadOutbox),
        Tab::Drawers => Some(Effect::LoadDrawers),
        Tab::Daily => Some(Effect::LoadDaily),
        Tab::Unfinished => Some(Effect::LoadUnfinished),
    }
}

/// The status bar's words for the e-Meterai service.
pub fn service_state(s: &Strings, h: &ServiceHealth) -> DeviceState {
    match h {
        ServiceHealth::NotUsed => DeviceState::NotConfigured,
        ServiceHealth::Local => DeviceState::Ready(s.svc_local.to_string()),
        ServiceHealth::Up => DeviceState::Ready(s.svc_up.to_string()),
        ServiceHealth::Probing => DeviceState::Ready(s.svc_probing.to_string()),
        ServiceHealth::Down { retry_s } => DeviceState::Problem {
            what: s.svc_down.to_string(),
            next: (s.svc_down_next)(*retry_s),
        },
        ServiceHealth::Broken(why) => DeviceState::Problem {
            what: why.trim_end_matches('.').to_string(),
            next: s.svc_broken_next.to_string(),
        },
        ServiceHealth::Waiting(line) => DeviceState::Problem {
            what: line.clone(),
            next: s.svc_waiting_next.to_string(),
        },
    }
}

/// The status bar's words for the branch's backup: a problem only when the last good backup is
/// older than `[backup] max_age_hours`, or missing though a folder is configured.
pub fn backup_state(s: &Strings, check: Option<&crate::doctor::BackupCheck>) -> DeviceState {
    use crate::doctor::BackupCheck;
    match check {
        Some(BackupCheck::TooOld { age_ms, .. }) => DeviceState::Problem {
            what: (s.backup_too_old)(age_ms / 3_600_000),
            next: s.backup_next.to_string(),
        },
        Some(BackupCheck::Never { .. }) => DeviceState::Problem {
            what: s.backup_never.to_string(),
            next: s.backup_next.to_string(),
        },
        _ => DeviceState::NotConfigured,
    }
}

/// The status bar's words for the branch server: a problem when it does not answer, or when this
/// PC's clock is more than two minutes off the server's.
pub fn server_state(s: &Strings, health: Option<crate::store::ServerHealth>) -> DeviceState {
    use crate::store::ServerHealth;
    match health {
        Some(ServerHealth::Unreachable) => DeviceState::Problem {
            what: s.server_unreachable.to_string(),
            next: s.server_reconnecting.to_string(),
        },
        Some(ServerHealth::Refused(crate::store::Refusal::Login)) => DeviceState::Problem {
            what: s.server_login_refused.to_string(),
            next: s.server_login_next.to_string(),
        },
        Some(ServerHealth::Refused(crate::store::Refusal::Certificate)) => DeviceState::Problem {
            what: s.server_certificate_refused.to_string(),
            next: s.server_certificate_next.to_string(),
        },
        Some(ServerHealth::Reachable { skew }) if skew.abs() > crate::store::CLOCK_SKEW_WARN => {
            DeviceState::Problem {
                what: (s.server_clock_off)(skew.whole_minutes().abs()),
                next: s.server_clock_next.to_string(),
            }
        }
        _ => DeviceState::NotConfigured,
    }
}

/// The status bar's words for the outbox.
pub fn outbox_state(s: &Strings, counts: &Result<OutboxCounts, String>) -> DeviceState {
    match counts {
        Err(why) => DeviceState::Problem {
            what: why.trim_end_matches('.').to_string(),
            next: s.outbox_unreadable_next.to_string(),
        },
        Ok(c) if c.failed > 0 => DeviceState::Problem {
            what: (s.outbox_failed)(c.failed, c.waiting),
            next: s.outbox_failed_next.to_string(),
        },
        Ok(c) if c.waiting > 0 => DeviceState::Ready((s.outbox_waiting)(c.waiting)),
        Ok(_) => DeviceState::Ready(s.outbox_empty.to_string()),
    }
}

fn load(state: &mut State) -> Option<Effect> {
    state.loading = true;
    state.last_load_ms = state.now_ms;
    Some(Effect::LoadStatus)
}

fn say(state: &mut State, text: impl Into<String>, error: bool) {
    state.message = Some(Message {
        text: text.into(),
        error,
        at_ms: state.now_ms,
    });
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if ctrl(&key, 'q') || ctrl(&key, 'c') {
        // A visit with money taken asks once: nothing is lost by quitting (the visit reopens at
        // the next sign-in), but the clerk should know the customer is still at the counter.
        let committed = state
            .session
            .as_ref()
            .filter(|s| s.flow.committed())
            .map(|s| s.ticket.clone());
        if let (Some(ticket), false) = (committed, state.quit_armed) {
            state.quit_armed = true;
            let s = state.lang.strings();
            say(state, (s.quit_mid_visit)(&ticket), true);
            return Vec::new();
        }
        state.quit = true;
        return vec![Effect::Quit];
    }
    state.quit_armed = false;
    if state.help {
        if matches!(key.code, KeyCode::Esc | KeyCode::F(1)) {
            state.help = false;
        }
        return Vec::new();
    }
    if key.code == KeyCode::F(1) {
        state.help = true;
        return Vec::new();
    }
    match state.mode {
        Mode::Display => {
            // Only a deliberate key ends the hall screen; a stray Esc on its keyboard does not.
            if key.code == KeyCode::Char('q') {
                state.quit = true;
                return vec![Effect::Quit];
            }
            Vec::new()
        }
        _ if state.user.is_none() => login_key(state, key),
        _ if state.dialog.is_some() => dialog_key(state, key),
        Mode::Counter => counter_key(state, key),
        Mode::Supervisor => supervisor_key(state, key),
    }
}

fn login_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let s = state.lang.strings();
    let form = &mut state.login;
    if form.checking {
        return Vec::new();
    }
    match key.code {
        KeyCode::Tab | KeyCode::Down | KeyCode::BackTab | KeyCode::Up => {
            form.focus = 1 - form.focus
        }
        KeyCode::Esc => {
            form.id.clear();
            form.pin.clear();
            form.focus = 0;
        }
        KeyCode::Backspace => {
            if form.focus == 0 {
                form.id.pop();
            } else {
                form.pin.pop();
            }
        }
        KeyCode::Enter => {
            let id = form.id.trim().to_ascii_lowercase();
            if form.focus == 0 && !id.is_empty() && form.pin.is_empty() {
                form.focus = 1;
            } else if id.is_empty() || form.pin.is_empty() {
                form.error = Some(s.need_id_and_pin.to_string());
            } else {
                form.checking = true;
                form.error = None;
                let pin = std::mem::take(&mut form.pin);
                return vec![Effect::Authenticate { id, pin }];
            }
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if form.focus == 0 {
                if form.id.len() < 32 && !c.is_whitespace() {
                    form.id.push(c);
                }
            } else if c.is_ascii_digit() && form.pin.len() < 12 {
                form.pin.push(c);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn queue(state: &mut State, op: QueueOp) -> Vec<Effect> {
    if state.pending {
        let s = state.lang.strings();
        say(state, s.busy, true);
        return Vec::new();
    }
    state.pending = true;
    vec![Effect::Queue {
        counter: state.setup.counter,
        clerk: state.clerk().to_string(),
        op,
    }]
}

fn open_dialog(state: &mut State, kind: DialogKind) {
    let fields = match kind {
        DialogKind::Transfer => vec![
            Field::text(FieldId::Service, true),
            Field::text(FieldId::Counter, false).with_kind(FieldKind::Number),
        ],
        DialogKind::CallNumber | DialogKind::Unpark => vec![Field::text(FieldId::Ticket, true)],
        DialogKind::WalkIn => {
            let first = state
                .setup
                .services
                .first()
                .map(|s| s.prefix.clone())
                .unwrap_or_default();
            vec![Field::text(FieldId::Service, true).with_value(first)]
        }
        DialogKind::CounterState => {
            let now = state.counter_state().0;
            let options = [
                CounterState::Open,
                CounterState::Break,
                CounterState::Closed,
            ]
            .map(Choice::CounterState)
            .to_vec();
            // Offer the change the clerk most likely wants: a break when open, open otherwise.
            let choice = if now == CounterState::Open { 1 } else { 0 };
            vec![
                Field {
                    choice,
                    ..Field::text(FieldId::State, true).with_kind(FieldKind::Choice(options))
                },
                Field::text(FieldId::Reason, false),
            ]
        }
        DialogKind::Reactivate => {
            let mut f = vec![Field::text(FieldId::Ticket, true)];
            if state.mode == Mode::Counter {
                f.push(Field::text(FieldId::Supervisor, true));
            }
            f.push(Field::text(FieldId::SupervisorPin, true).with_kind(FieldKind::Pin));
            f.push(Field::text(FieldId::Reason, true));
            f
        }
        DialogKind::OpenTill => vec![Field::text(FieldId::Float, true)],
        DialogKind::SettleJob { job, refund } => {
            let mut f = Vec::new();
            if refund {
                // Cash first: most customers paid cash, and it goes back the same way.
                let methods = Method::ALL.map(Choice::Method).to_vec();
                let counter = state
                    .emeterai
                    .as_ref()
                    .and_then(|p| p.open_jobs.iter().find(|j| j.id == job))
                    .and_then(|j| j.counter)
                    .or_else(|| {
                        state
                            .unfinished
                            .as_ref()?
                            .iter()
                            .find(|r| r.subject == Subject::Job(crate::stamping::JobId(job)))?
                            .item
                            .counter
                    })
                    .unwrap_or(state.setup.counter);
                f.push(Field::text(FieldId::Method, true).with_kind(FieldKind::Choice(methods)));
                f.push(
                    Field::text(FieldId::RefundCounter, true)
                        .with_kind(FieldKind::Number)
                        .with_value(counter.to_string()),
                );
            }
            f.push(Field::text(FieldId::Reason, true));
            f.push(Field::text(FieldId::SupervisorPin, true).with_kind(FieldKind::Pin));
            f
        }
        DialogKind::Unfinished { act, .. } => {
            let mut f = Vec::new();
            if act == UnfinishedActKind::Resume {
                f.push(Field::text(FieldId::TargetCounter, true).with_kind(FieldKind::Number));
            }
            f.push(Field::text(FieldId::Reason, true));
            f.push(Field::text(FieldId::SupervisorPin, true).with_kind(FieldKind::Pin));
            f
        }
    };
    state.dialog = Some(Dialog {
        kind,
        fields,
        focus: 0,
        error: None,
    });
}

fn counter_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let s = state.lang.strings();
    if flow::wants(state, &key) {
        return flow::key(state, key);
    }
    // After payment the customer's stamp, document and money are in the flow: the ticket may not
    // leave the counter until the flow is finished.
    if flow::flow(state).is_some_and(|f| f.committed() || f.busy)
        && matches!(
            key.code,
            KeyCode::F(2)
                | KeyCode::F(5)
                | KeyCode::F(6)
                | KeyCode::F(7)
                | KeyCode::F(9)
                | KeyCode::F(10)
                | KeyCode::F(11)
        )
    {
        say(state, s.flow.finish_first, true);
        return Vec::new();
    }
    if ctrl(&key, 'r') {
        open_dialog(state, DialogKind::Reactivate);
        return Vec::new();
    }
    if ctrl(&key, 'u') {
        open_dialog(state, DialogKind::Unpark);
        return Vec::new();
    }
    if ctrl(&key, 'o') {
        match state.till {
            TillState::Open { session, float } => {
                say(
                    state,
                    (s.till_already_open)(session, &float.to_string()),
                    false,
                );
            }
            TillState::Counting => say(state, s.till_counting, true),
            TillState::Closed | TillState::Unknown => open_dialog(state, DialogKind::OpenTill),
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::F(2) => queue(state, QueueOp::CallNext),
        KeyCode::F(3) => queue(state, QueueOp::Step(Step::Recall)),
        KeyCode::F(4) => queue(state, QueueOp::Step(Step::Serve)),
        KeyCode::F(5) => queue(state, QueueOp::Step(Step::Done)),
        KeyCode::F(6) => queue(state, QueueOp::Step(Step::NoShow)),
        KeyCode::F(7) => queue(state, QueueOp::Step(Step::Park { minutes: None })),
        KeyCode::F(8) => match flow::reprint(state) {
            Some(effects) => effects,
            None => {
                say(state, s.reprint_unavailable, true);
                Vec::new()
            }
        },
        KeyCode::F(9) => {
            if state.current().is_none() {
                say(state, s.no_ticket_held, true);
            } else {
                open_dialog(state, DialogKind::Transfer);
            }
            Vec::new()
        }
        KeyCode::F(10) => {
            open_dialog(state, DialogKind::CallNumber);
            Vec::new()
        }
        KeyCode::F(11) => {
            open_dialog(state, DialogKind::WalkIn);
            Vec::new()
        }
        KeyCode::F(12) => {
            open_dialog(state, DialogKind::CounterState);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn supervisor_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let at = Tab::ALL.iter().position(|t| *t == state.tab).unwrap_or(0);
    if ctrl(&key, 'r') {
        open_dialog(state, DialogKind::Reactivate);
        return Vec::new();
    }
    match key.code {
        KeyCode::Tab | KeyCode::Right => state.tab = Tab::ALL[(at + 1) % Tab::ALL.len()],
        KeyCode::BackTab | KeyCode::Left => {
            state.tab = Tab::ALL[(at + Tab::ALL.len() - 1) % Tab::ALL.len()];
        }
        KeyCode::Char(c @ '1'..='9') => {
            if let Some(&tab) = Tab::ALL.get(c as usize - '1' as usize) {
                state.tab = tab;
            }
        }
        KeyCode::Up => state.cursor = state.cursor.saturating_sub(1),
        KeyCode::Down => state.cursor = (state.cursor + 1).min(list_len(state).saturating_sub(1)),
        KeyCode::PageDown => {
            let last = text_lines(state).saturating_sub(1);
            state.scroll = state.scroll.saturating_add(SCROLL_PAGE).min(last);
        }
        KeyCode::PageUp => state.scroll = state.scroll.saturating_sub(SCROLL_PAGE),
        KeyCode::Home => state.scroll = 0,
        KeyCode::Char('r') => return tab_load(state.tab).into_iter().collect(),
        KeyCode::Char(c @ ('n' | 'u')) if state.tab == Tab::Emeterai => {
            settle_dialog(state, c == 'u');
        }
        KeyCode::Char(c @ ('p' | 'b' | 'u')) if state.tab == Tab::Unfinished => {
            unfinished_key(state, c);
        }
        KeyCode::Enter => return console_action(state),
        _ => {}
    }
    if state.tab != Tab::ALL[at] {
        state.cursor = 0;
        state.scroll = 0;
        return tab_load(state.tab).into_iter().collect();
    }
    Vec::new()
}

/// Lines PgUp/PgDn move the console's long text by.
const SCROLL_PAGE: u16 = 10;

/// How many lines the console tab's long text has (the scroll stays inside it).
fn text_lines(state: &State) -> u16 {
    let n = match state.tab {
        // Counted wrapped at the narrowest console (the screen clamps to its own width).
        Tab::Daily => state
            .daily
            .as_deref()
            .map_or(0, |t| crate::ui::view::daily::wrapped_lines(t, 60)),
        Tab::Drawers => state
            .drawers
            .as_ref()
            .map_or(0, crate::ui::view::console::x_report_lines),
        _ => 0,
    };
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// `n` / `u` on the e-Meterai tab: the settlement form for the selected paid job.
fn settle_dialog(state: &mut State, refund: bool) {
    let s = state.lang.strings();
    if state.pending {
        say(state, s.busy, true);
        return;
    }
    let job = state
        .emeterai
        .as_ref()
        .and_then(|p| p.open_jobs.get(state.cursor))
        .map(|j| j.id);
    match job {
        Some(job) => open_dialog(state, DialogKind::SettleJob { job, refund }),
        None => say(state, s.console.settle_nothing, true),
    }
}

/// `p` / `b` / `u` on the unfinished tab: the form to resume, cancel or refund the selected row,
/// or why that cannot be done to it (money on a row to cancel, a stamped document to refund).
fn unfinished_key(state: &mut State, key: char) {
    use crate::stamping::State as Job;
    let s = state.lang.strings();
    let c = s.console;
    if state.pending {
        say(state, s.busy, true);
        return;
    }
    let Some(row) = state
        .unfinished
        .as_ref()
        .and_then(|r| r.get(state.cursor))
        .cloned()
    else {
        say(state, c.uf_nothing, true);
        return;
    };
    let what = (c.uf_subject)(row.subject);
    let dialog = |act| {
        Ok(DialogKind::Unfinished {
            subject: row.subject,
            act,
        })
    };
    let next = match (key, row.subject, row.kind) {
        ('p', ..) if row.item.ticket.is_none() || row.item.counter.is_none() => {
            Err((c.uf_no_visit)(&what))
        }
        ('p', ..) => dialog(UnfinishedActKind::Resume),
        ('b', _, UnfinishedKind::Sale { paid, .. }) if paid.is_positive() => {
            Err((c.uf_cancel_has_money)(&what, &paid.to_string()))
        }
        (
            'b',
            _,
            UnfinishedKind::Job(Job::Received | Job::Placed) | UnfinishedKind::Sale { .. },
        ) => dialog(UnfinishedActKind::Cancel),
        ('b', _, UnfinishedKind::Job(Job::Stamped)) => Err((c.uf_stamped)(&what)),
        ('b', ..) => Err((c.uf_cancel_paid_job)(&what)),
        ('u', _, UnfinishedKind::Sale { paid, .. }) if !paid.is_positive() => {
            Err((c.uf_refund_nothing_paid)(&what))
        }
        ('u', _, UnfinishedKind::Sale { .. }) => dialog(UnfinishedActKind::Refund),
        ('u', Subject::Job(_), UnfinishedKind::Job(Job::Stamped)) => Err((c.uf_stamped)(&what)),
        ('u', Subject::Job(job), UnfinishedKind::Job(st)) if st.can_settle() => {
            Ok(DialogKind::SettleJob {
                job: job.get(),
                refund: true,
            })
        }
        _ => Err((c.uf_refund_nothing_paid)(&what)),
    };
    match next {
        Ok(kind) => open_dialog(state, kind),
        Err(why) => say(state, why, true),
    }
}

/// How many rows the console tab's list has (the cursor stays inside it).
fn list_len(state: &State) -> usize {
    match state.tab {
        Tab::Unfinished => state.unfinished.as_ref().map_or(0, Vec::len),
        Tab::Emeterai => state.emeterai.as_ref().map_or(0, |p| p.open_jobs.len()),
        Tab::Outbox => state.outbox.as_ref().map_or(0, Vec::len),
        Tab::Drawers => state.drawers.as_ref().map_or(0, |d| d.z_reports.len()),
        _ => 0,
    }
}

/// Enter on a console tab: send the selected e-mail again, or print a copy of the selected Z.
fn console_action(state: &mut State) -> Vec<Effect> {
    let s = state.lang.strings();
    if state.pending {
        say(state, s.busy, true);
        return Vec::new();
    }
    let actor = state.clerk().to_string();
    let effect = match state.tab {
        Tab::Outbox => state
            .outbox
            .as_ref()
            .and_then(|o| o.get(state.cursor))
            .map(|m| Effect::RetryMail { id: m.id, actor }),
        Tab::Drawers => state
            .drawers
            .as_ref()
            .and_then(|d| d.z_reports.get(state.cursor))
            .map(|z| Effect::ReprintZ {
                number: z.number,
                actor,
            }),
        _ => None,
    };
    match effect {
        Some(e) => {
            state.pending = true;
            vec![e]
        }
        None => Vec::new(),
    }
}

fn dialog_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(dialog) = state.dialog.as_mut() else {
        return Vec::new();
    };
    if state.pending {
        // The dialog's own request is running; only waiting makes sense.
        return Vec::new();
    }
    let last = dialog.fields.len().saturating_sub(1);
    match key.code {
        KeyCode::Esc => state.dialog = None,
        KeyCode::Tab | KeyCode::Down => dialog.focus = (dialog.focus + 1).min(last),
        KeyCode::BackTab | KeyCode::Up => dialog.focus = dialog.focus.saturating_sub(1),
        KeyCode::Left | KeyCode::Right => {
            let field = &mut dialog.fields[dialog.focus];
            if let FieldKind::Choice(options) = &field.kind {
                let n = options.len();
                field.choice = if key.code == KeyCode::Right {
                    (field.choice + 1) % n
                } else {
                    (field.choice + n - 1) % n
                };
            }
        }
        KeyCode::Backspace => {
            dialog.fields[dialog.focus].value.pop();
        }
        KeyCode::Enter
            if !matches!(
                dialog.kind,
                DialogKind::CounterState | DialogKind::Reactivate
            ) =>
        {
            if dialog.focus < last {
                dialog.focus += 1;
            } else {
                return submit(state);
            }
        }
        KeyCode::Enter => {
            // The short forms (F12, Ctrl+R): Enter sends the form, as its key hint says; while a
            // required field after this one is still empty it goes there first.
            let empty_required = dialog
                .fields
                .iter()
                .enumerate()
                .skip(dialog.focus + 1)
                .find(|(_, f)| {
                    f.required
                        && f.value.trim().is_empty()
                        && !matches!(f.kind, FieldKind::Choice(_))
                })
                .map(|(i, _)| i);
            match empty_required {
                Some(i) => dialog.focus = i,
                None => return submit(state),
            }
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            let field = &mut dialog.fields[dialog.focus];
            match field.kind {
                FieldKind::Pin | FieldKind::Number if !c.is_ascii_digit() => {}
                FieldKind::Choice(_) => {}
                _ if field.value.chars().count() >= 60 => {}
                _ => field.value.push(c),
            }
        }
        _ => {}
    }
    Vec::new()
}

fn field_label(s: &Strings, id: FieldId) -> &'static str {
    match id {
        FieldId::Service => s.f_service,
        FieldId::Counter => s.f_counter_optional,
        FieldId::Ticket => s.f_ticket,
        FieldId::State => s.f_state,
        FieldId::Reason => s.f_reason,
        FieldId::Supervisor => s.f_supervisor,
        FieldId::SupervisorPin => s.f_supervisor_pin,
        FieldId::Float => s.f_float,
        FieldId::Method => s.f_refund_method,
        FieldId::RefundCounter => s.f_refund_counter,
        FieldId::TargetCounter => s.f_target_counter,
    }
}

/// The label of a form field in the screen's language.
pub fn label_of(s: &Strings, id: FieldId) -> &'static str {
    field_label(s, id)
}

fn submit(state: &mut State) -> Vec<Effect> {
    let s = state.lang.strings();
    let me = state.clerk().to_string();
    let mode = state.mode;
    let Some(dialog) = state.dialog.as_mut() else {
        return Vec::new();
    };
    if let Some(missing) = dialog.fields.iter().find(|f| {
        f.required && f.value.trim().is_empty() && !matches!(f.kind, FieldKind::Choice(_))
    }) {
        dialog.error = Some((s.field_required)(field_label(s, missing.id)));
        return Vec::new();
    }
    let upper = |id| dialog.value(id).to_ascii_uppercase();
    let op = match dialog.kind {
        DialogKind::Transfer => {
            let to_counter = dialog.value(FieldId::Counter);
            QueueOp::Transfer {
                to: upper(FieldId::Service),
                to_counter: if to_counter.is_empty() {
                    None
                } else {
                    to_counter.parse().ok()
                },
            }
        }
        DialogKind::CallNumber => QueueOp::CallTicket(upper(FieldId::Ticket)),
        DialogKind::Unpark => QueueOp::Unpark(upper(FieldId::Ticket)),
        DialogKind::WalkIn => QueueOp::WalkIn(upper(FieldId::Service)),
        DialogKind::CounterState => {
            let chosen = match dialog.chosen(FieldId::State) {
                Some(Choice::CounterState(c)) => c,
                _ => CounterState::Open,
            };
            let reason = dialog.value(FieldId::Reason);
            if chosen == CounterState::Break && reason.is_empty() {
                dialog.error = Some((s.field_required)(s.f_reason));
                if let Some(i) = dialog.fields.iter().position(|f| f.id == FieldId::Reason) {
                    dialog.focus = i;
                }
                return Vec::new();
            }
            QueueOp::SetState {
                state: chosen,
                reason: (!reason.is_empty()).then_some(reason),
            }
        }
        DialogKind::OpenTill => {
            let effect = Effect::OpenTill {
                counter: state.setup.counter,
                clerk: me,
                count: dialog.value(FieldId::Float),
            };
            dialog.error = None;
            state.pending = true;
            return vec![effect];
        }
        DialogKind::SettleJob { job, refund } => {
            let choice = if refund {
                match dialog.chosen(FieldId::Method) {
                    Some(Choice::Method(m)) => Settle::Refund(m),
                    _ => Settle::Refund(Method::Cash),
                }
            } else {
                Settle::NewSerial
            };
            let counter = if refund {
                match dialog.value(FieldId::RefundCounter).parse::<u32>() {
                    Ok(c) if c > 0 => c,
                    _ => {
                        dialog.error = Some((s.field_required)(s.f_refund_counter));
                        return Vec::new();
                    }
                }
            } else {
                state.setup.counter
            };
            let effect = Effect::SettleJob {
                job,
                choice,
                counter,
                supervisor: me,
                pin: dialog.value(FieldId::SupervisorPin),
                reason: dialog.value(FieldId::Reason),
            };
            dialog.error = None;
            state.pending = true;
            return vec![effect];
        }
        DialogKind::Unfinished { subject, act } => {
            let act = match act {
                UnfinishedActKind::Resume => {
                    match dialog.value(FieldId::TargetCounter).parse::<u32>() {
                        Ok(to) if to > 0 => UnfinishedAct::Resume {
                            to: crate::queue::CounterNo(to),
                        },
                        _ => {
                            dialog.error = Some((s.field_required)(s.f_target_counter));
                            dialog.focus = 0;
                            return Vec::new();
                        }
                    }
                }
                UnfinishedActKind::Cancel => UnfinishedAct::Cancel,
                UnfinishedActKind::Refund => UnfinishedAct::Refund,
            };
            let effect = Effect::Unfinished {
                subject,
                act,
                supervisor: me,
                pin: dialog.value(FieldId::SupervisorPin),
                reason: dialog.value(FieldId::Reason),
            };
            dialog.error = None;
            state.pending = true;
            return vec![effect];
        }
        DialogKind::Reactivate => {
            let supervisor = if mode == Mode::Counter {
                dialog.value(FieldId::Supervisor).to_ascii_lowercase()
            } else {
                me.clone()
            };
            let effect = Effect::Reactivate {
                ticket: upper(FieldId::Ticket),
                supervisor,
                pin: dialog.value(FieldId::SupervisorPin),
                reason: dialog.value(FieldId::Reason),
                requested_by: me,
            };
            dialog.error = None;
            state.pending = true;
            return vec![effect];
        }
    };
    dialog.error = None;
    queue(state, op)
}

fn on_outcome(state: &mut State, outcome: Outcome) -> Vec<Effect> {
    let s = state.lang.strings();
    match outcome {
        Outcome::Started { users, demo } => {
            state.users_exist = Some(users > 0);
            state.demo = demo;
            Vec::new()
        }
        Outcome::LoggedIn(user) => {
            state.login.checking = false;
            if state.mode == Mode::Supervisor && user.role != Role::Supervisor {
                state.login.error = Some((s.not_a_supervisor)(&user.id));
                return Vec::new();
            }
            state.login = Default::default();
            let welcome = if state.mode == Mode::Supervisor {
                (s.welcome_supervisor)(&user.name)
            } else {
                (s.welcome)(&user.name)
            };
            // A visit reopened while signing in keeps its note (what to do next matters more).
            let resumed = state
                .session
                .as_ref()
                .is_some_and(|x| x.flow.stage != flow::Stage::Idle);
            if !resumed {
                say(state, welcome, false);
            }
            state.user = Some(user);
            let mut effects: Vec<Effect> = load(state).into_iter().collect();
            effects.push(health(state));
            if state.mode == Mode::Counter {
                effects.push(Effect::Flow(flow::FlowEffect::PrinterStatus {
                    counter: state.setup.counter,
                }));
                effects.push(Effect::LoadTill {
                    counter: state.setup.counter,
                });
            }
            effects
        }
        Outcome::LoginRefused(why) => {
            state.login.checking = false;
            state.login.pin.clear();
            state.login.focus = 1;
            state.login.error = Some(why);
            Vec::new()
        }
        Outcome::Status(status) => {
            state.loading = false;
            state.status_error = None;
            state.status = Some(*status);
            let resume = sync_session(state);
            let mut effects = if state.mode == Mode::Display {
                announce(state)
            } else {
                resume.into_iter().collect()
            };
            effects.extend(due_load(state));
            effects
        }
        Outcome::StatusFailed(why) => {
            state.loading = false;
            state.status_error = Some((s.status_failed)(&why));
            due_load(state).into_iter().collect()
        }
        Outcome::Queue { op, result } => {
            state.pending = false;
            match result {
                Ok(view) => {
                    state.dialog = None;
                    let text = done_message(s, &op, view.as_ref(), state.setup.counter);
                    if let Some(v) = &view
                        && matches!(
                            op,
                            QueueOp::CallNext | QueueOp::CallTicket(_) | QueueOp::WalkIn(_)
                        )
                        && let Some(svc) = state.setup.service(&v.service)
                    {
                        let mut session = Session::open(&v.ticket.to_string(), svc);
                        session.just_called =
                            matches!(op, QueueOp::CallNext | QueueOp::CallTicket(_));
                        state.session = Some(session);
                    }
                    if matches!(op, QueueOp::Step(crate::queue::Step::Serve))
                        && let Some(session) = state.session.as_mut()
                    {
                        session.just_called = false;
                    }
                    say(state, text, false);
                }
                Err(why) => refuse(state, why),
            }
            load(state).into_iter().collect()
        }
        Outcome::Approvals(Ok(rows)) => {
            state.approvals = Some(rows);
            Vec::new()
        }
        Outcome::Approvals(Err(why)) => {
            say(state, why, true);
            Vec::new()
        }
        Outcome::Daily(Ok(text)) => {
            state.daily = Some(text);
            Vec::new()
        }
        Outcome::Daily(Err(why)) => {
            say(state, why, true);
            Vec::new()
        }
        Outcome::Flow(f) => {
            // Stamping and mailing change what the status bar says about the e-Meterai service
            // and the outbox: read them again now rather than at the next interval.
            let recheck = matches!(
                f,
                flow::FlowOutcome::Stamped(_) | flow::FlowOutcome::Delivered(_)
            );
            // A refused payment may be a drawer session closed elsewhere: read it again.
            let till = matches!(f, flow::FlowOutcome::Payment(Err(_)));
            let mut effects = flow::outcome(state, f);
            if recheck && !state.health_loading {
                effects.push(health(state));
            }
            if till {
                effects.push(Effect::LoadTill {
                    counter: state.setup.counter,
                });
            }
            match flow::flow(state).and_then(|f| f.error.clone()) {
                Some(why) => say(state, why, true),
                // A step went through: an earlier refusal no longer applies.
                None if state.message.as_ref().is_some_and(|m| m.error) => state.message = None,
                None => {}
            }
            effects
        }
        Outcome::Emeterai(result) => {
            match result {
                Ok(panel) => {
                    state.devices.emeterai = service_state(s, &panel.service);
                    if state.tab == Tab::Emeterai {
                        state.cursor = state.cursor.min(panel.open_jobs.len().saturating_sub(1));
                    }
                    state.emeterai = Some(*panel);
                }
                Err(why) => say(state, why, true),
            }
            Vec::new()
        }
        Outcome::Outbox(result) => {
            match result {
                Ok(list) => {
                    state.cursor = state.cursor.min(list.len().saturating_sub(1));
                    state.outbox = Some(list);
                }
                Err(why) => say(state, why, true),
            }
            Vec::new()
        }
        Outcome::Drawers(result) => {
            match result {
                Ok(panel) => {
                    state.cursor = state.cursor.min(panel.z_reports.len().saturating_sub(1));
                    state.drawers = Some(*panel);
                }
                Err(why) => say(state, why, true),
            }
            Vec::new()
        }
        Outcome::ConsoleDone(result) => {
            state.pending = false;
            let c = s.console;
            match result {
                Ok(ConsoleDone::MailRequeued(id)) => say(state, (c.mail_requeued)(id), false),
                Ok(ConsoleDone::ZCopy {
                    number,
                    printer,
                    printed: true,
                    ..
                }) => say(state, (c.z_copy_printed)(number, &printer), false),
                Ok(ConsoleDone::ZCopy { number, why, .. }) => {
                    say(state, (c.z_copy_failed)(number, &why), true);
                }
                Err(why) => say(state, why, true),
            }
            tab_load(state.tab).into_iter().collect()
        }
        Outcome::Settled { job, result } => {
            state.pending = false;
            let c = s.console;
            match result {
                Ok(done) => {
                    state.dialog = None;
                    let text = match done {
                        Settled::NewSerial => (c.settled_new_serial)(job),
                        Settled::Refunded {
                            amount,
                            method,
                            counter,
                        } => (c.settled_refund)(job, &amount.to_string(), method, counter.get()),
                    };
                    say(state, text, false);
                }
                Err(why) => {
                    retype_pin(state);
                    refuse(state, (c.settle_refused)(job, &why));
                }
            }
            // The list and the status bar's waiting line both change with the job.
            let mut effects = vec![if state.tab == Tab::Unfinished {
                Effect::LoadUnfinished
            } else {
                Effect::LoadEmeterai
            }];
            if !state.health_loading {
                effects.push(health(state));
            }
            effects
        }
        Outcome::Unfinished(result) => {
            match result {
                Ok(rows) => {
                    if state.tab == Tab::Unfinished {
                        state.cursor = state.cursor.min(rows.len().saturating_sub(1));
                    }
                    state.unfinished = Some(rows);
                }
                Err(why) => say(state, why, true),
            }
            Vec::new()
        }
        Outcome::UnfinishedDone { subject, result } => {
            state.pending = false;
            let c = s.console;
            match result {
                Ok(done) => {
                    state.dialog = None;
                    let text = match done {
                        UnfinishedDone::Moved { ticket, from, to } => {
                            (c.uf_moved)(&ticket, from.get(), to.get())
                        }
                        UnfinishedDone::JobCancelled(job) => (c.uf_job_cancelled)(job.get()),
                        UnfinishedDone::SaleVoided { sale, returned, .. }
                            if returned.is_empty() =>
                        {
                            (c.uf_sale_cancelled)(sale.get())
                        }
                        UnfinishedDone::SaleVoided {
                            sale,
                            returned,
                            counter,
                        } => {
                            let money = returned
                                .iter()
                                .map(|(m, r)| format!("{r} {}", (c.method_word)(*m)))
                                .collect::<Vec<_>>()
                                .join(c.uf_and);
                            let cash = returned
                                .iter()
                                .any(|(m, _)| *m == Method::Cash)
                                .then_some(counter.get());
                            (c.uf_sale_refunded)(sale.get(), &money, cash)
                        }
                    };
                    say(state, text, false);
                }
                Err(why) => {
                    retype_pin(state);
                    refuse(state, (c.uf_refused)(&(c.uf_subject)(subject), &why));
                }
            }
            let mut effects = vec![Effect::LoadUnfinished];
            effects.extend(load(state));
            if !state.health_loading {
                effects.push(health(state));
            }
            effects
        }
        Outcome::Health {
            server,
            emeterai,
            outbox,
            backup,
            dispenser,
        } => {
            state.health_loading = false;
            state.devices.server = server_state(s, server);
            state.devices.emeterai = service_state(s, &emeterai);
            state.devices.outbox = outbox_state(s, &outbox);
            state.devices.backup = backup_state(s, backup.as_ref());
            if state.devices.dispenser != DeviceState::NotConfigured {
                state.devices.dispenser = match dispenser {
                    Some(crate::dispenser::Running::Keys) => {
                        DeviceState::Ready(s.dev_dispenser_keys.to_string())
                    }
                    Some(crate::dispenser::Running::Serial(port)) => {
                        DeviceState::Ready((s.dev_dispenser_serial)(&port))
                    }
                    None => DeviceState::NotConnected,
                };
            }
            Vec::new()
        }
        Outcome::Till(result) => {
            match result {
                Ok(till) => state.till = till,
                Err(why) => say(state, why, true),
            }
            Vec::new()
        }
        Outcome::TillOpened(result) => {
            state.pending = false;
            match result {
                Ok((till, drawer)) => {
                    state.dialog = None;
                    state.till = till;
                    let float = match till {
                        TillState::Open { float, .. } => float.to_string(),
                        _ => String::new(),
                    };
                    say(state, (s.till_opened)(&float, &drawer), false);
                }
                Err(why) => refuse(state, why),
            }
            Vec::new()
        }
        Outcome::Device(device, now) => {
            *state.devices.get_mut(device) = now;
            Vec::new()
        }
        Outcome::SessionStep {
            ticket,
            step,
            progress,
        } => {
            if let Some(session) = state.session.as_mut().filter(|s| s.ticket == ticket)
                && let Some(slot) = session.steps.iter_mut().find(|(s, _)| *s == step)
            {
                slot.1 = progress;
            }
            Vec::new()
        }
        Outcome::Reactivated(result) => {
            state.pending = false;
            match result {
                Ok(ticket) => {
                    state.dialog = None;
                    say(state, (s.reactivated)(&ticket), false);
                }
                Err(why) => refuse(state, why),
            }
            load(state).into_iter().collect()
        }
    }
}

/// After a refused approval the PIN is typed again; the other fields stay as they were.
fn retype_pin(state: &mut State) {
    if let Some(d) = state.dialog.as_mut() {
        for f in d.fields.iter_mut().filter(|f| f.kind == FieldKind::Pin) {
            f.value.clear();
        }
        if let Some(at) = d.fields.iter().position(|f| f.kind == FieldKind::Pin) {
            d.focus = at;
        }
    }
}

fn refuse(state: &mut State, why: String) {
    if let Some(d) = state.dialog.as_mut() {
        d.error = Some(why.clone());
    }
    say(state, why, true);
}

fn done_message(s: &Strings, op: &QueueOp, view: Option<&CallView>, counter: u32) -> String {
    let ticket = view.map_or(String::new(), |v| v.ticket.to_string());
    let ticket = ticket.as_str();
    match op {
        QueueOp::CallNext if view.is_none() => s.nobody_to_call.to_string(),
        QueueOp::CallNext | QueueOp::CallTicket(_) => (s.called)(ticket, counter),
        QueueOp::Step(Step::Recall) => (s.recalled)(ticket),
        QueueOp::Step(Step::Serve) => (s.serving)(ticket),
        QueueOp::Step(Step::Done) => (s.done)(ticket),
        QueueOp::Step(Step::NoShow) => (s.noshow)(ticket),
        QueueOp::Step(Step::Park { .. }) => (s.parked)(ticket),
        QueueOp::Transfer { to, to_counter } => {
            let to = match to_counter {
                Some(c) => format!("{to} ({} {c})", s.counter.to_lowercase()),
                None => to.clone(),
            };
            (s.transferred)(ticket, &to)
        }
        QueueOp::WalkIn(_) => (s.walked_in)(ticket),
        QueueOp::Unpark(t) => (s.unparked)(t),
        QueueOp::SetState { state, .. } => (s.state_set)(state_word(s, *state)),
    }
}

/// A counter state in the screen's language.
pub fn state_word(s: &Strings, state: CounterState) -> &'static str {
    match state {
        CounterState::Open => s.state_open,
        CounterState::Break => s.state_break,
        CounterState::Closed => s.state_closed,
    }
}

/// Keeps the customer session on the ticket the counter holds: a new ticket opens one, no ticket
/// closes it.
/// Keeps the session in step with the ticket the counter holds. A session opened here for a ticket
/// the counter already held (after a restart, a closed terminal, a sign-in) asks for its visit to be
/// read back from the database, so a paid document is never forgotten.
fn sync_session(state: &mut State) -> Option<Effect> {
    if state.mode != Mode::Counter {
        return None;
    }
    let called = matches!(state.current(), Some((_, crate::queue::Status::Called)));
    let current = state.current().map(|(t, _)| t.clone());
    match current {
        None => state.session = None,
        Some(no)
            if state
                .session
                .as_ref()
                .is_none_or(|s| s.ticket != no.to_string()) =>
        {
            let ticket = no.to_string();
            // The ticket's service now: a ticket transferred here is served as its new service.
            let prefix = state.current_service().map_or(no.service, str::to_string);
            state.session = state.setup.service(&prefix).map(|svc| {
                let mut session = Session::open(&ticket, svc);
                session.just_called = called;
                session
            });
            if state.session.as_ref().is_some_and(|s| s.stamping) {
                return Some(Effect::Flow(flow::FlowEffect::Resume {
                    ticket,
                    counter: state.setup.counter,
                    clerk: state.clerk().to_string(),
                    dir: state.setup.drive_dir.clone(),
                }));
            }
        }
        Some(_) => {}
    }
    None
}

/// The hall display rings once for each new call it sees (not for the calls already on screen
/// when it starts).
fn announce(state: &mut State) -> Vec<Effect> {
    let Some(status) = &state.status else {
        return Vec::new();
    };
    let calls: Vec<(TicketNo, u32, i64)> = status
        .recent_calls
        .iter()
        .map(|c| (c.ticket.clone(), c.counter, c.waited_ms))
        .collect();
    let before = state.announced.calls.replace(calls.clone());
    match before {
        Some(before) if !calls.is_empty() && calls.first() != before.first() => {
            state.announced.newest_at_ms = state.now_ms;
            vec![Effect::Bell]
        }
        _ => Vec::new(),
    }
}

/// Every key of the screen now showing, with what it does: the key bar and the help overlay.
pub fn keys(state: &State) -> Vec<(&'static str, &'static str)> {
    let s = state.lang.strings();
    if state.dialog.is_some() {
        let mut k = vec![
            ("Tab", s.key_next_field),
            ("Enter", s.key_submit),
            ("Esc", s.key_cancel),
        ];
        if state.dialog.as_ref().is_some_and(|d| {
            d.fields
                .iter()
                .any(|f| matches!(f.kind, FieldKind::Choice(_)))
        }) {
            k.push(("←/→", s.key_choice));
        }
        return k;
    }
    match state.mode {
        Mode::Display => vec![("F1", s.key_help), ("q", s.key_quit)],
        _ if state.user.is_none() => vec![
            ("Tab", s.key_next_field),
            ("Enter", s.key_submit),
            ("Esc", s.key_cancel),
            ("F1", s.key_help),
            ("Ctrl+Q", s.key_quit),
        ],
        Mode::Counter if flow::flow(state).is_some_and(|f| f.stage != flow::Stage::Idle) => {
            let mut k = flow_keys(state);
            k.extend([
                ("F1", s.key_help),
                ("F5", s.key_done),
                ("F8", s.key_reprint),
                ("Ctrl+Q", s.key_quit),
            ]);
            k
        }
        Mode::Counter => {
            let mut k = flow_keys(state);
            k.extend(counter_keys(s));
            k
        }
        Mode::Supervisor => {
            let mut k = vec![("F1", s.key_help), ("Tab/1-7", s.key_tabs)];
            match state.tab {
                Tab::Emeterai => {
                    if state
                        .emeterai
                        .as_ref()
                        .is_some_and(|p| !p.open_jobs.is_empty())
                    {
                        k.extend([
                            ("↑/↓", s.key_select),
                            ("n", s.key_new_serial),
                            ("u", s.key_refund),
                        ]);
                    }
                    k.push(("r", s.key_reload_check));
                }
                Tab::Outbox => k.extend([
                    ("↑/↓", s.key_select),
                    ("Enter", s.key_retry_mail),
                    ("r", s.key_reload),
                ]),
                Tab::Drawers => k.extend([
                    ("↑/↓", s.key_select),
                    ("Enter", s.key_reprint_z),
                    ("PgUp/PgDn", s.key_scroll),
                    ("r", s.key_reload),
                ]),
                Tab::Daily => k.push(("PgUp/PgDn", s.key_scroll)),
                Tab::Unfinished => {
                    if state.unfinished.as_ref().is_some_and(|r| !r.is_empty()) {
                        k.extend([
                            ("↑/↓", s.key_select),
                            ("p", s.key_resume),
                            ("b", s.key_cancel_unpaid),
                            ("u", s.key_refund),
                        ]);
                    }
                    k.push(("r", s.key_reload));
                }
                _ => {}
            }
            k.extend([("Ctrl+R", s.key_reactivate), ("Ctrl+Q", s.key_quit)]);
            k
        }
    }
}

fn counter_keys(s: &Strings) -> Vec<(&'static str, &'static str)> {
    vec![
        ("F1", s.key_help),
        ("F2", s.key_call),
        ("F3", s.key_recall),
        ("F4", s.key_serve),
        ("F5", s.key_done),
        ("F6", s.key_noshow),
        ("F7", s.key_park),
        ("F8", s.key_reprint),
        ("F9", s.key_transfer),
        ("F10", s.key_call_number),
        ("F11", s.key_walk_in),
        ("F12", s.key_counter_state),
        ("Ctrl+R", s.key_reactivate),
        ("Ctrl+U", s.key_unpark),
        ("Ctrl+O", s.key_open_till),
        ("Ctrl+Q", s.key_quit),
    ]
}

/// The keys of the flow's current stage.
fn flow_keys(state: &State) -> Vec<(&'static str, &'static str)> {
    use flow::Stage;
    let s = state.lang.strings().flow;
    let Some(f) = flow::flow(state) else {
        return Vec::new();
    };
    match f.stage {
        Stage::Idle => vec![("Enter", s.k_take_document)],
        Stage::Choose => vec![
            ("↑/↓", s.k_select),
            ("Enter", s.k_check),
            ("r", s.k_reload),
            ("Esc", s.k_back),
        ],
        Stage::Place => {
            let mut k = vec![
                ("←↑↓→", s.k_move),
                ("Shift", s.k_move_fast),
                ("PgUp/PgDn", s.k_page),
                ("Enter", s.k_accept),
            ];
            if f.check.as_ref().is_some_and(|c| c.earlier_job.is_some()) {
                k.push(("l", s.k_take_up));
            }
            k.push(("Esc", s.k_back));
            k
        }
        Stage::Password if f.locked_path.is_some() => {
            vec![("Enter", s.k_open_locked), ("Esc", s.k_back)]
        }
        Stage::Password => vec![("Enter", s.k_open_locked)],
        Stage::Quote => vec![("Enter", s.k_pay), ("Esc", s.k_back)],
        Stage::Pay => {
            let mut k = vec![("←/→", s.k_tender), ("0-9", s.k_amount)];
            if f.pay.kind == flow::TenderKind::Cash {
                k.push(("↑/↓", s.k_quick));
                if matches!(state.till, TillState::Closed | TillState::Counting) {
                    k.push(("Ctrl+O", state.lang.strings().key_open_till));
                }
            } else if f.pay.kind == flow::TenderKind::Debit {
                k.push(("Tab", s.k_next_field));
            }
            k.push(("Enter", s.k_take_payment));
            k.push(("Esc", s.k_back));
            k
        }
        Stage::Qris => vec![("Enter", s.k_qris_paid), ("Esc", s.k_qris_cancel)],
        Stage::Stamping if f.progress.is_none() && f.stamped.is_none() => {
            vec![("Enter", s.k_retry), ("k", s.k_claim)]
        }
        Stage::Stamping => Vec::new(),
        Stage::Deliver => vec![("Enter", s.k_copy)],
        Stage::Done => vec![("Enter", s.k_print_again)],
    }
}
