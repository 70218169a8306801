//! End-to-end tests of the e-Meterai stamping engine against pdfsig, qpdf and pyHanko.

mod signing;
mod support;
