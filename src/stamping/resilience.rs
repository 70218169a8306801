//! Failure handling for upstream calls: retry with full-jitter backoff, Retry-After, and a circuit breaker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// How often and how long to retry a call that may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Further attempts after the first.
    pub retries: u32,
    pub base: Duration,
    pub max: Duration,
    /// A server asking for a longer pause than this is not waited out inside the call.
    pub retry_after_max: Duration,
}

impl RetryPolicy {
    /// The pause before retry number `attempt` (0 for the first retry): full jitter, uniformly random in
    /// `[0, min(max, base · 2^attempt)]`, so many counters retrying together spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=ms))
    }
}

/// Reads a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::format_description::well_known::Rfc2822;
    let at = time::OffsetDateTime::parse(value, &format).ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What the breaker says about the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed { failures: u32 },
    Open { retry_in: Duration },
    HalfOpen,
}

/// Leave to make a call. A probe is the one call let through after the cool-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Normal,
    Probe,
}

/// The breaker refused the call; the upstream is considered down for `retry_in` more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub retry_in: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// A circuit breaker: closed → open after `threshold` consecutive failures → after `cooldown` one probe
/// call (half-open) → closed when it succeeds, open again when it fails.
///
/// Only upstream trouble counts as a failure (no connection, timeouts, 429, 5xx); a refusal such as a
/// 4xx or a business error code proves the service is up and counts as success.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// The process-wide breaker for an upstream named by `key` (e.g. its base URL), so every provider
    /// instance and worker thread of the process sees the same state. The first caller's settings win.
    pub fn shared(key: &str, threshold: u32, cooldown: Duration) -> Arc<Breaker> {
        static ALL: OnceLock<Mutex<HashMap<String, Arc<Breaker>>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        all.entry(key.to_string())
            .or_insert_with(|| Arc::new(Breaker::new(threshold, cooldown)))
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a valid state; keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn acquire(&self) -> Result<Permit, Rejected> {
        self.acquire_at(Instant::now())
    }

    /// [`Breaker::acquire`] at a given instant (for tests of the state machine).
    pub fn acquire_at(&self, now: Instant) -> Result<Permit, Rejected> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(Permit::Normal),
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { probing: true };
                Ok(Permit::Probe)
            }
            State::Open { until } => Err(Rejected {
                retry_in: until - now,
            }),
            State::HalfOpen { probing: true } => Err(Rejected {
                retry_in: Duration::ZERO,
            }),
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(Permit::Probe)
            }
        }
    }

    pub fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    pub fn failure(&self) {
        self.failure_at(Instant::now());
    }

    pub fn failure_at(&self, now: Instant) {
        let mut state = self.lock();
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            State::Closed { .. } | State::HalfOpen { .. } => State::Open {
                until: now + self.cooldown,
            },
            // A call that started before the breaker opened failed late; keep the cool-down as is.
            open @ State::Open { .. } => open,
        };
    }

    /// A probe that ended without telling whether the service is up (e.g. a local error) frees the slot.
    pub fn release_probe(&self, permit: Permit) {
        if permit == Permit::Probe {
            let mut state = self.lock();
            if *state == (State::HalfOpen { probing: true }) {
                *state = State::HalfOpen { probing: false };
            }
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state_at(Instant::now())
    }

    pub fn state_at(&self, now: Instant) -> BreakerState {
        match *self.lock() {
            State::Closed { failures } => BreakerState::Closed { failures },
            State::Open { until } if now < until => BreakerState::Open {
                retry_in: until - now,
            },
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_the_doubling_ceiling() {
        let policy = RetryPolicy {
            retries: 5,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1_000),
            retry_after_max: Duration::from_secs(5),
        };
        for attempt in 0..40 {
            let ceiling = (100u64 << attempt.min(20)).min(1_000);
            for _ in 0..50 {
                let d = policy.backoff(attempt);
                assert!(d <= Duration::from_millis(ceiling), "{attempt}: {d:?}");
            }
        }
        // Full jitter: the pauses differ (50 draws in [0, 1000] ms are not all equal).
        let draws: std::collections::BTreeSet<_> = (0..50).map(|_| policy.backoff(5)).collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let check = |value: &str, expect: Option<Duration>| {
            assert_eq!(parse_retry_after(value, now), expect, "{value}");
        };
        check("2", Some(Duration::from_secs(2)));
        check(" 120 ", Some(Duration::from_secs(120)));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        check(
            "Wed, 21 Oct 2015 07:28:10 GMT",
            Some(Duration::from_secs(10)),
        );
        check("Wed, 21 Oct 2015 07:27:00 GMT", Some(Duration::ZERO));
        check("soon", None);
    }

    #[test]
    fn breaker_opens_probes_and_closes() {
        let b = Breaker::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        for _ in 0..2 {
            assert_eq!(b.acquire_at(t0), Ok(Permit::Normal));
            b.failure_at(t0);
        }
        assert_eq!(b.state_at(t0), BreakerState::Closed { failures: 2 });
        b.success();
        assert_eq!(b.state_at(t0), BreakerState::Closed { failures: 0 });
        for _ in 0..3 {
            b.failure_at(t0);
        }
        let later = t0 + Duration::from_secs(4);
        assert_eq!(
            b.acquire_at(later),
            Err(Rejected {
                retry_in: Duration::from_secs(6)
            })
        );
        let after = t0 + Duration::from_secs(10);
        assert_eq!(b.acquire_at(after), Ok(Permit::Probe));
        // Only one probe at a time.
        assert_eq!(
            b.acquire_at(after),
            Err(Rejected {
                retry_in: Duration::ZERO
            })
        );
        b.failure_at(after);
        assert!(matches!(b.state_at(after), BreakerState::Open { .. }));
        let again = after + Duration::from_secs(10);
        assert_eq!(b.acquire_at(again), Ok(Permit::Probe));
        b.release_probe(Permit::Probe);
        assert_eq!(b.acquire_at(again), Ok(Permit::Probe));
        b.success();
        assert_eq!(b.acquire_at(again), Ok(Permit::Normal));
    }
}
