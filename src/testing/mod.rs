//! Test doubles, compiled only into builds made for tests (feature `testing`, see `Cargo.toml`).
//!
//! The release binary carries none of this: `cargo build --release` leaves the module out, and with
//! it the `loket dev fake-peruri` command.

pub mod fake_peruri;
