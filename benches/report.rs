//! Criterion benchmarks of the daily pack over a generated year of a busy branch (about 400 tickets,
//! 300 sales and 250 stampings a day): one day's pack, a month's range, and the day's PDF.

use criterion::{Criterion, criterion_group, criterion_main};
use loket::day::BusinessDay;
use std::time::Duration;

#[path = "../tests/report/generator.rs"]
#[allow(dead_code)]
mod generator;

fn bench(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let year = generator::year();
    eprintln!(
        "generated {} days in {:.1} s",
        year.days.len(),
        started.elapsed().as_secs_f64()
    );
    let mut branch = year.branch();
    let day = BusinessDay::parse("2025-07-15").expect("day");
    let (from, to) = (
        BusinessDay::parse("2025-07-01").expect("day"),
        BusinessDay::parse("2025-07-31").expect("day"),
    );
    let mut g = c.benchmark_group("daily_pack");
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("day_of_a_year", |b| {
        b.iter(|| branch.reports().daily(day).expect("pack"))
    });
    let p = branch.reports().daily(day).expect("pack");
    g.bench_function("day_pdf", |b| {
        b.iter(|| loket::report::pdf::render(&p, loket::day::TimeZone::Wib).expect("pdf"))
    });
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("month_range", |b| {
        b.iter(|| branch.reports().range(from, to).expect("range"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
