//! The `loket` binary: parse arguments and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    loket::cli::run(loket::cli::Cli::parse())
}
