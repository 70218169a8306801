//! End-to-end tests of the e-Meterai stamping engine against pdfsig, qpdf and pyHanko.

mod cli;
mod fuzz;
mod intake;
mod more_realworld;
mod placement;
mod pure;
mod realworld;
mod signing;
mod support;
mod trust;
