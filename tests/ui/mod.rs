//! The terminal screens: snapshots of every screen and dialog, pure key handling, and the real binary
//! in a pseudo-terminal.

mod console;
mod flow;
mod keys;
mod pty;
mod screens;
mod settle;
mod unfinished;

use crate::common::TestBranch;
use loket::Branch;
use loket::store::to_ms;
use loket::ui::state::{Action, Effect, State};
use loket::ui::update::update;
use loket::ui::{Lang, Mode, Options, app, view, worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A demo branch with its training users.
pub fn branch_with_users() -> TestBranch {
    let mut tb = TestBranch::new();
    assert!(loket::ui::seed_demo_users(&mut tb.branch).expect("seed users"));
    tb
}

pub fn state_for(tb: &TestBranch, mode: Mode, lang: Lang) -> State {
    app::initial_state(
        &tb.branch,
        Options {
            mode,
            lang,
            counter: 1,
            drive_dir: None,
        },
    )
}

/// Applies `action`, then carries out every effect on `branch` synchronously (as the worker does)
/// and applies the outcomes, until nothing is left to do. Returns every effect `update` asked for.
pub fn drive(state: &mut State, branch: &mut Branch, action: Action) -> Vec<Effect> {
    let mut all = Vec::new();
    let mut queue = update(state, action);
    while !queue.is_empty() {
        let mut next = Vec::new();
        for effect in queue {
            all.push(effect.clone());
            // Progress and device reports arrive before the effect's own outcome, as in the app.
            let mut reports = Vec::new();
            let outcome = worker::run_reporting(branch, effect, &mut |o| reports.push(o));
            for report in reports.into_iter().chain(outcome) {
                next.extend(update(state, Action::Worker(report)));
            }
        }
        queue = next;
    }
    all
}

/// The branch clock's now, as a tick.
pub fn tick(tb: &TestBranch) -> Action {
    Action::Tick(to_ms(tb.branch.store().now()))
}

pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn type_text(state: &mut State, branch: &mut Branch, text: &str) {
    for c in text.chars() {
        drive(state, branch, key(KeyCode::Char(c)));
    }
}

/// Starts the screens and signs in `id` with `pin`.
pub fn sign_in(state: &mut State, tb: &mut TestBranch, id: &str, pin: &str) {
    let now = tick(tb);
    drive(state, &mut tb.branch, now);
    drive(state, &mut tb.branch, Action::Start);
    type_text(state, &mut tb.branch, id);
    drive(state, &mut tb.branch, key(KeyCode::Tab));
    type_text(state, &mut tb.branch, pin);
    drive(state, &mut tb.branch, key(KeyCode::Enter));
}

/// The screen for `state` drawn on a `width`×`height` test terminal.
pub fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| view::draw(f, state))
        .expect("draw into test backend");
    terminal
}

/// The text of a drawn screen, rows joined by newlines.
pub fn screen_text(state: &State, width: u16, height: u16) -> String {
    let terminal = render(state, width, height);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// A one-page A4 application letter with "Hormat saya," and the signer's name near the bottom,
/// built with lopdf as a customer's word processor would.
pub fn letter_pdf() -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut lines = vec![
        (360, 780, "Bandung, 23 November 2026".to_string()),
        (72, 740, "Kepada Yth. Panitia Seleksi CASN".to_string()),
        (72, 690, "SURAT PERNYATAAN".to_string()),
    ];
    for i in 0..12 {
        lines.push((
            72,
            660 - 16 * i,
            format!("Baris isi surat nomor {i} tentang kesediaan."),
        ));
    }
    lines.push((360, 300, "Hormat saya,".to_string()));
    lines.push((360, 200, "Budi Santoso".to_string()));
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let content: String = lines
        .iter()
        .map(|(x, y, t)| format!("BT /F1 11 Tf {x} {y} Td ({t}) Tj ET\n"))
        .collect();
    let content = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), Object::Real(595.276), Object::Real(841.89)],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save the letter");
    out
}

/// `loket queue move-visit` from counter 1 to counter 3 with the demo supervisor's approval (counter
/// 1's PC has failed).
pub const MOVE_VISIT_1_TO_3: &[&str] = &[
    "queue",
    "move-visit",
    "--from",
    "1",
    "--to",
    "3",
    "--supervisor",
    "kepala",
    "--pin",
    "9999",
    "--reason",
    "PC loket 1 mati",
];
