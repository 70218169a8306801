//! loket's one integration test binary; each module tests one area end to end.

mod common;
mod foundation;
mod ui;
