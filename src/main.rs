//! The `loket` binary: parse arguments, load configuration, hand over to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Minimal wiring of the stamping engine's commands; the full CLI replaces it.
#[derive(Debug, Parser)]
#[command(name = "loket", about = "Terminal loket Pos Indonesia")]
struct Cli {
    /// Data folder (the training PKI lives in DATA/pki/).
    #[arg(long, env = "LOKET_DATA", default_value = "loket-data", global = true)]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bubuhkan e-Meterai pada PDF (tingkat mesin, untuk teknisi).
    Stamp(loket::pdf::cli::StampArgs),
    /// Periksa semua tanda tangan pada PDF.
    Verify(loket::pdf::cli::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match &cli.command {
        Command::Stamp(args) => {
            loket::pdf::cli::run_stamp(&cli.data, args, &mut out).map(|()| true)
        }
        Command::Verify(args) => {
            loket::pdf::cli::run_verify(&cli.data, args, &mut out).map(|r| r.all_valid())
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
