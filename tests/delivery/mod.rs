//! Delivery end to end: verified copies to real file systems and e-mail through a real Postfix.

mod drives;
mod fixtures;
mod mail;
mod whatsapp;
