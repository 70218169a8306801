//! The supervisor's daily pack: figures for one business day (or a range), read from the store.
//! Reports only read; they never change state.

pub mod queue;
pub mod stats;
