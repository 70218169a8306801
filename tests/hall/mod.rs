//! The hall display in the browser (`loket display --web`): headless Chromium through WebDriver
//! against the real binary, the server's answers to hostile requests, and the voice segments.

mod browser;
mod config;
mod phone;
mod server;
mod support;
mod voice;
