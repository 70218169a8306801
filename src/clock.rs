//! The clock: every timestamp loket records comes from here, so tests and training runs can move time.

use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

/// Moments as Unix milliseconds, the way the store keeps them and the screens tick.
pub use crate::store::{from_ms, to_ms};

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;

    /// Whether this clock is the machine's own. On the branch server such a clock gives way to the
    /// server's, so every PC of a branch agrees on the time; a placed clock (a test's, a training
    /// run's `LOKET_FAKE_NOW`) keeps its own moment.
    fn follows_system(&self) -> bool {
        false
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn follows_system(&self) -> bool {
        true
    }
}

/// A clock that only moves when told to; shared between clones.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A clock offset from the system clock by a fixed amount, so a whole program run can be placed on
/// another day while time still passes normally.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }
}

/// Name of the environment variable that places a program run at another moment (RFC 3339),
/// used by whole-program tests and training sessions.
pub const FAKE_NOW_VAR: &str = "LOKET_FAKE_NOW";

/// The clock for this process: the system clock, or shifted to `LOKET_FAKE_NOW` when that is set.
pub fn from_env() -> Result<Arc<dyn Clock>, String> {
    match std::env::var(FAKE_NOW_VAR) {
        Ok(text) => {
            let at = OffsetDateTime::parse(text.trim(), &Rfc3339)
                .map_err(|e| format!("{FAKE_NOW_VAR}={text}: bukan waktu RFC 3339 ({e})"))?;
            Ok(Arc::new(ShiftedClock {
                offset: at - OffsetDateTime::now_utc(),
            }))
        }
        Err(_) => Ok(Arc::new(SystemClock)),
    }
}
