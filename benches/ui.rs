//! Drawing cost of the busiest screens into ratatui's TestBackend (the budget is 2 ms a frame), with
//! a plain full-buffer clear-and-fill as the reference measured in the same run.

#[path = "support/scanned.rs"]
mod scanned;

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
    let (dir, state, _) = busy_branch(mode);
    (dir, state)
}

/// As [`busy`], with the branch (on its manual clock) to go on with.
fn busy_branch(mode: Mode) -> (tempfile::TempDir, State, Branch) {
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
            .queue()
            .issue_ticket(svc, i % 7 == 0, "bench")
            .expect("issue");
        clock.advance(time::Duration::seconds(20));
    }
    branch
        .queue()
        .call_ticket(
            loket::queue::CounterNo(1),
            "petugas",
            &"C-003".parse().expect("ticket"),
        )
        .expect("call");
    branch
        .queue()
        .counter_step(
            loket::queue::CounterNo(1),
            "petugas",
            loket::queue::Step::Serve,
        )
        .expect("serve");
    branch
        .queue()
        .call_next(loket::queue::CounterNo(2), "budi")
        .expect("call");
    branch
        .queue()
        .call_next(loket::queue::CounterNo(3), "sari")
        .expect("call");
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
    (dir, state, branch)
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

/// A letter page (Helvetica, not embedded) and `scans` pages each a 600×800 grey image of noise,
/// as a scanned attachment would be.
fn letter_with_scans(scans: usize) -> Vec<u8> {
    let mut text = String::from("BT /F1 11 Tf 72 740 Td (Kepada Yth. Panitia Seleksi) Tj ET ");
    for line in 0..12 {
        text.push_str(&format!(
            "BT /F1 11 Tf 72 {} Td (Baris isi surat nomor {line} tentang kesediaan.) Tj ET ",
            660 - 16 * line
        ));
    }
    text.push_str(
        "BT /F1 11 Tf 360 300 Td (Hormat saya,) Tj ET BT /F1 11 Tf 360 200 Td (Budi Santoso) Tj ET",
    );
    scanned::letter_with_scans(&text, scans, 600, 800)
}

fn raster(c: &mut Criterion) {
    let mut group = c.benchmark_group("ui_raster");
    group.sample_size(20);
    for (name, scans) in [("letter_1_page", 0), ("letter_and_4_scans", 4)] {
        let bytes = letter_with_scans(scans);
        let shared = std::sync::Arc::new(bytes.clone());
        group.bench_function(format!("raster_{name}"), |b| {
            b.iter(|| loket::pdf::picture::pages(black_box(std::sync::Arc::clone(&shared))))
        });
        let opts = loket::pdf::intake::IntakeOptions::default();
        group.bench_function(format!("reference_intake_{name}"), |b| {
            b.iter(|| loket::pdf::intake::intake(black_box(bytes.clone()), &opts).expect("intake"))
        });
    }
    // Drawing the placement screen with the picture, against the same screen with the text preview.
    let (dir, mut state, mut branch) = busy_branch(Mode::Counter);
    let usb = dir.path().join("FLASHDISK");
    std::fs::create_dir_all(&usb).expect("drive folder");
    std::fs::write(usb.join("surat.pdf"), letter_with_scans(0)).expect("letter");
    state.setup.drive_dir = Some(usb);
    key(&mut state, &mut branch, KeyCode::Enter);
    key(&mut state, &mut branch, KeyCode::Enter);
    assert!(
        state
            .session
            .as_ref()
            .and_then(|s| s.flow.placement.as_ref())
            .and_then(|p| p.preview())
            .is_some_and(|p| p.raster.is_some()),
        "at the placement step with a picture"
    );
    let mut text_only = state.clone();
    if let Some(p) = text_only
        .session
        .as_mut()
        .and_then(|s| s.flow.placement.as_mut())
    {
        for page in &mut p.pages {
            page.raster = None;
        }
    }
    for (name, s) in [("picture", &state), ("reference_text_preview", &text_only)] {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        group.bench_function(format!("draw_placement_{name}_120x40"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| view::draw(f, black_box(s)))
                    .expect("draw");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, draw, raster);
criterion_main!(benches);
