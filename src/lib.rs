//! loket: the counter terminal of a Pos Indonesia branch — queue, till, e-Meterai stamping and delivery.
pub mod pdf;
