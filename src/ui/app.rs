//! The event loop: merges keys, ticks and worker results into one stream of actions, applies them
//! with `update`, hands effects to the worker, and redraws. The terminal is restored on every exit,
//! panics included.

use crate::branch::Branch;
use crate::clock::Clock;
use crate::clock::to_ms;
use crate::store::ChangeWatch;
use crate::ui::UiError;
use crate::ui::state::{Action, DeviceStatus, Effect, Mode, Setup, State};
use crate::ui::strings::Lang;
use crate::ui::update::update;
use crate::ui::view;
use crate::ui::worker::Worker;
use ratatui::crossterm::event::{self, Event};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub lang: Lang,
    pub counter: u32,
    /// A folder standing in for the customer's flash drive.
    pub drive_dir: Option<std::path::PathBuf>,
}

/// The screens' initial state for `branch`.
pub fn initial_state(branch: &Branch, options: Options) -> State {
    let mut setup = Setup::from_config(branch.config(), options.counter);
    setup.drive_dir = options.drive_dir;
    State::new(
        options.mode,
        options.lang,
        setup,
        DeviceStatus::from_config(branch.config(), options.counter),
    )
}

/// Restores the terminal when the loop ends, whichever way it ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

fn tick_every(mode: Mode) -> Duration {
    match mode {
        // The running text moves and new calls must show within a second.
        Mode::Display => Duration::from_millis(100),
        _ => Duration::from_millis(250),
    }
}

fn spawn_input(actions: Sender<Action>, stop: Arc<AtomicBool>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("loket-ui-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(50)) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(_) => {
                        let _ = actions.send(Action::InputClosed);
                        break;
                    }
                }
                let action = match event::read() {
                    Ok(Event::Key(key)) => Action::Key(key),
                    Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                    Ok(_) => continue,
                    Err(_) => Action::InputClosed,
                };
                let closed = matches!(action, Action::InputClosed);
                if actions.send(action).is_err() || closed {
                    break;
                }
            }
        })?;
    Ok(())
}

fn spawn_ticks(
    actions: Sender<Action>,
    stop: Arc<AtomicBool>,
    clock: Arc<dyn Clock>,
    every: Duration,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("loket-ui-tick".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                if actions.send(Action::Tick(to_ms(clock.now()))).is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}

/// Sends [`Action::Changed`] whenever `watch` reports a change, so the waiting list, the console's
/// live tab and the hall screen read the queue again at once instead of at their next reload.
fn spawn_watch(
    actions: Sender<Action>,
    stop: Arc<AtomicBool>,
    mut watch: ChangeWatch,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("loket-ui-watch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if watch.wait(WATCH_WAIT) && actions.send(Action::Changed).is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}

/// How long the watcher thread waits at a time before it looks whether the screens closed.
const WATCH_WAIT: Duration = Duration::from_millis(250);

/// Runs the screens of `options.mode` on `branch` until the user quits.
pub fn run(branch: Branch, options: Options) -> Result<(), UiError> {
    let mode = options.mode;
    let mut state = initial_state(&branch, options);
    let clock = branch.clock().clone();
    // The stamping worker runs wherever the branch runs with people at it (the counter, the
    // supervisor's console): paid jobs that wait for Peruri are retried on their schedule without
    // anyone typing `loket job run`. `loket worker` does the same as a service. Two processes never
    // run one job at once (the service's per-job lock).
    let _stamping = match mode {
        Mode::Counter | Mode::Supervisor => {
            crate::stamping::worker::start(branch.data_dir(), clock.clone()).ok()
        }
        _ => None,
    };
    let (tx, rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    // Every mode shows the queue. Without a watch (the server did not answer a second connection)
    // the screens still read it again at their periodic reload.
    let watch = match mode {
        Mode::Counter | Mode::Supervisor | Mode::Display => branch.store().watch().ok(),
    };
    let worker = Worker::spawn(branch, tx.clone()).map_err(UiError::Thread)?;

    // try_init enters raw mode and the alternate screen and installs a panic hook that restores
    // the terminal before the panic message prints.
    let mut terminal = ratatui::try_init().map_err(UiError::Terminal)?;
    // A panic the rasterizer's guard catches must not tear down the screen: skip the terminal
    // restore (and the message over the screen) for it; every other panic goes on as before.
    let restore_then_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !crate::pdf::picture::contained_panic() {
            restore_then_report(info);
        }
    }));
    let _restore = Restore;
    spawn_input(tx.clone(), stop.clone()).map_err(UiError::Thread)?;
    spawn_ticks(tx.clone(), stop.clone(), clock.clone(), tick_every(mode))
        .map_err(UiError::Thread)?;
    if let Some(watch) = watch {
        spawn_watch(tx.clone(), stop.clone(), watch).map_err(UiError::Thread)?;
    }
    drop(tx);

    let mut effects = update(&mut state, Action::Tick(to_ms(clock.now())));
    effects.extend(update(&mut state, Action::Start));
    let result = loop {
        let mut worker_gone = false;
        for effect in effects.drain(..) {
            match effect {
                Effect::Bell => {
                    let backend = terminal.backend_mut();
                    let _ = backend.write_all(b"\x07").and_then(|()| backend.flush());
                }
                Effect::Quit => {}
                other => {
                    worker_gone |= !worker.send(other);
                }
            }
        }
        if worker_gone {
            break Err(UiError::WorkerStopped);
        }
        if state.quit {
            break Ok(());
        }
        if let Err(e) = terminal.draw(|f| view::draw(f, &state)) {
            break Err(UiError::Terminal(e));
        }
        let Ok(first) = rx.recv() else {
            break Err(UiError::WorkerStopped);
        };
        effects = update(&mut state, first);
        // Apply everything already waiting before drawing again, so a burst of keys or results
        // costs one frame.
        while let Ok(more) = rx.try_recv() {
            effects.extend(update(&mut state, more));
        }
    };
    stop.store(true, Ordering::Relaxed);
    drop(worker);
    result
}
