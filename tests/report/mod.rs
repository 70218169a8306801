//! The daily pack against scripted days whose figures are known in advance.

pub mod generator;
mod queue;
mod scripted;
mod year;
