//! `loket server`: the command line of the branch server.

use super::{BranchCode, ServerError};
use crate::error::LoketError;
use crate::words;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Siapkan server cabang PostgreSQL sekali, sebagai pemilik basis data: skema, pemicu
    /// hanya-tambah dan peran login tiap jenis PC dengan kata sandi baru; mencetak baris [store]
    /// untuk tiap jenis PC. Tanpa TLS hanya ke mesin ini (loopback atau soket Unix).
    Init {
        /// URL basis data, mis. postgresql://pemilik:sandi@127.0.0.1:5432/loket.
        url: String,
        /// Kode kantor cabang (nopend) untuk nama peran; bawaan dari [branch] code konfigurasi.
        #[arg(long)]
        branch: Option<String>,
    },
}

/// Runs `loket server …`.
pub fn run(data: &Path, command: ServerCommand) -> Result<ExitCode, LoketError> {
    match command {
        ServerCommand::Init { url, branch } => init(data, &url, branch.as_deref()),
    }
}

fn init(data: &Path, url: &str, branch: Option<&str>) -> Result<ExitCode, LoketError> {
    // The URL is judged first: a plaintext connection to another machine is refused whatever else
    // is wrong, and before anything is sent.
    super::check_plaintext(&super::parse_url(url)?)?;
    let code: BranchCode = match branch {
        Some(code) => code.parse::<BranchCode>()?,
        None => {
            let config = data.join(crate::config::FILE_NAME);
            crate::config::Config::load(&config)
                .map_err(|source| ServerError::NoBranchCode {
                    config: config.clone(),
                    source,
                })?
                .branch
                .code
                .parse::<BranchCode>()?
        }
    };
    let made = super::init(url, &code)?;
    let w = words::current();
    println!(
        "{}",
        w.server_init_done(made.branch.as_str(), &made.database, &made.owner)
    );
    for login in &made.logins {
        println!();
        println!("# {}: {}", w.server_pc_kind(login.kind), login.role);
        println!("[store] url = \"{}\"", login.url);
    }
    Ok(ExitCode::SUCCESS)
}
