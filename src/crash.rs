//! Crash points: the process aborts right after a named commit, in builds made for tests only.
//!
//! The crash tests start the real `loket` binary with `LOKET_CRASH_AT=<point>` and check that the
//! next run finishes what the killed one left. The switch exists only with the `testing` feature,
//! which cargo turns on for builds made for tests (see `Cargo.toml`); in a release build [`point`] is
//! an empty function and the variable's name is not in the binary.

/// Environment variable naming the point after whose commit the process aborts.
#[cfg(feature = "testing")]
pub const ENV: &str = "LOKET_CRASH_AT";

/// Aborts the process when `LOKET_CRASH_AT` names `name`. Called right AFTER the named transition
/// committed.
#[cfg(feature = "testing")]
pub fn point(name: &str) {
    use std::sync::OnceLock;
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var(ENV).ok());
    if at.as_deref() == Some(name) {
        std::process::abort();
    }
}

/// Does nothing: a release build has no crash switch.
#[cfg(not(feature = "testing"))]
#[inline(always)]
pub fn point(_name: &str) {}
