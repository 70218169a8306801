//! End-to-end tests of the e-Meterai stamping engine against pdfsig, qpdf and pyHanko.

mod bounded;
mod cli;
mod fuzz;
pub(crate) mod hostile_files;
mod intake;
mod more_realworld;
mod placement;
mod pure;
mod realworld;
mod signing;
mod support;
mod trust;
