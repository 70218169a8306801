//! Percentiles and one printed line per measured series, shared by the whole-program benchmarks.

use std::time::Duration;

/// The `p` quantile (0.0–1.0) of samples sorted in ascending order, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let last = sorted.len() - 1;
    // fits: the rank is at most `last`, so it fits in usize; and a bench has far fewer than 2^52
    // samples, each count exact as f64.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let i = ((last as f64) * p).round() as usize;
    sorted[i.min(last)]
}

/// Prints `name` with the count, minimum, median, 99th percentile and maximum of `samples`.
pub fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<40} n={:<4} min {:>8.2} ms  p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
        samples.len(),
        ms(samples.first().copied().unwrap_or_default()),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
    );
}
