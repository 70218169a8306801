//! loket's one integration test binary; each module tests one area end to end.

mod common;
mod delivery;
mod foundation;
mod hall;
mod pdf;
mod peruri;
mod printing;
mod report;
mod stamping;
mod till;
mod ui;
