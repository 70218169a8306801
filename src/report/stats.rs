//! Summary statistics over durations: count, mean, median, 90th percentile and maximum.

use serde::Serialize;

/// Durations in milliseconds, summarised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean_ms: i64,
    pub median_ms: i64,
    pub p90_ms: i64,
    pub max_ms: i64,
}

/// Summarises `values` (sorted in place). Percentiles use the nearest-rank method: the p-th
/// percentile is the smallest value with at least p % of the values at or below it.
pub fn summarise(values: &mut [i64]) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    values.sort_unstable();
    let n = values.len();
    let rank = |p: usize| values[(p * n).div_ceil(100).max(1) - 1];
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    Summary {
        count: n as u64,
        mean_ms: i64::try_from(sum / n as i128).unwrap_or(i64::MAX),
        median_ms: rank(50),
        p90_ms: rank(90),
        max_ms: values[n - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(
            summarise(&mut v),
            Summary {
                count: 10,
                mean_ms: 5,
                median_ms: 5,
                p90_ms: 9,
                max_ms: 10
            }
        );
        assert_eq!(summarise(&mut [7]).p90_ms, 7);
        assert_eq!(summarise(&mut []), Summary::default());
    }
}
