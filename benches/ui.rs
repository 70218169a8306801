//! Drawing cost of the busiest screens into ratatui's TestBackend (the budget is 2 ms a frame), with
//! a plain full-buffer clear-and-fill as the reference measured in the same run.

use criterion::{Criterion, criterion_group, criterion_main};
use loket::Branch;
use loket::clock::{Clock, ManualClock};
use loket::store::to_ms;
use loket::ui::state::{Action, State};
use loket::ui::update::update;
use loket::ui::{Lang, Mode, Options, app, view, worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::widgets::Paragraph;
use std::hint::black_box;
use std::sync::Arc;
use time::macros::datetime;

fn drive(state: &mut State, branch: &mut Branch, action: Action) {
    let mut queue = update(state, action);
    while !queue.is_empty() {
        let mut next = Vec::new();
        for effect in queue {
            if let Some(outcome) = worker::run(branch, effect) {
                next.extend(update(state, Action::Worker(outcome)));
            }
        }
        queue = next;
    }
}

fn key(state: &mut State, branch: &mut Branch, code: KeyCode) {
    drive(
        state,
        branch,
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    );
}

/// A branch with 120 tickets waiting, counter 1 serving an e-Meterai customer, others busy.
fn busy(mode: Mode) -> (tempfile::TempDir, State) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(loket::config::FILE_NAME),
        loket::config::DEFAULT_TOML,
    )
    .expect("write config");
    let clock = ManualClock::new(datetime!(2026-11-23 08:00 +07:00));
    let mut branch =
        Branch::open_with_clock(dir.path(), Arc::new(clock.clone())).expect("open branch");
    loket::ui::seed_demo_users(&mut branch).expect("users");
    for i in 0..120 {
        let svc = ["A", "B", "C"][i % 3];
        branch
            .issue_ticket(svc, i % 7 == 0, "bench")
            .expect("issue");
        clock.advance(time::Duration::seconds(20));
    }
    branch.call_ticket(1, "petugas", "C-003").expect("call");
    branch
        .counter_step(1, "petugas", loket::queue::Step::Serve)
        .expect("serve");
    branch.call_next(2, "budi").expect("call");
    branch.call_next(3, "sari").expect("call");
    let mut state = app::initial_state(
        &branch,
        Options {
            mode,
            lang: Lang::Id,
            counter: 1,
            drive_dir: None,
        },
    );
    drive(&mut state, &mut branch, Action::Tick(to_ms(clock.now())));
    drive(&mut state, &mut branch, Action::Start);
    if mode != Mode::Display {
        let (id, pin) = if mode == Mode::Supervisor {
            ("kepala", "9999")
        } else {
            ("petugas", "1234")
        };
        for c in id.chars() {
            key(&mut state, &mut branch, KeyCode::Char(c));
        }
        key(&mut state, &mut branch, KeyCode::Tab);
        for c in pin.chars() {
            key(&mut state, &mut branch, KeyCode::Char(c));
        }
        key(&mut state, &mut branch, KeyCode::Enter);
        assert!(state.user.is_some(), "signed in");
    } else {
        drive(&mut state, &mut branch, Action::Start);
    }
    (dir, state)
}

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("ui_draw");
    for (name, mode) in [
        ("counter", Mode::Counter),
        ("supervisor", Mode::Supervisor),
        ("display", Mode::Display),
    ] {
        let (_dir, state) = busy(mode);
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            group.bench_function(format!("{name}_{w}x{h}"), |b| {
                b.iter(|| {
                    terminal
                        .draw(|f| view::draw(f, black_box(&state)))
                        .expect("draw");
                })
            });
        }
    }
    // Reference: the same terminal filled with one paragraph of text, no layout of loket's own.
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let text = "x".repeat(120 * 40);
    group.bench_function("reference_fill_120x40", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    f.render_widget(
                        Paragraph::new(black_box(text.as_str()))
                            .wrap(ratatui::widgets::Wrap { trim: false }),
                        f.area(),
                    )
                })
                .expect("draw");
        })
    });
    group.finish();
}

criterion_group!(benches, draw);
criterion_main!(benches);
