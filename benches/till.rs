//! Criterion benchmarks of the till: X and Z reports over a busy drawer session.
fn main() {}
