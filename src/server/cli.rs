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
    /// hanya-tambah dan peran login tiap jenis PC dengan kata sandi baru; mencetak bagian [store]
    /// untuk tiap jenis PC. Dengan --tls-dir juga CA cabang dan sertifikat server untuk PC di LAN.
    Init {
        /// URL basis data, mis. postgresql://pemilik:sandi@127.0.0.1:5432/loket.
        url: String,
        /// Kode kantor cabang (nopend) untuk nama peran; bawaan dari [branch] code konfigurasi.
        #[arg(long)]
        branch: Option<String>,
        /// Buat CA cabang dan sertifikat server di folder ini (untuk PC di LAN: sambungan TLS).
        #[arg(long, value_name = "DIR", requires = "host")]
        tls_dir: Option<std::path::PathBuf>,
        /// Nama atau alamat server cabang di LAN, seperti PC menjangkaunya (boleh berulang); nama
        /// pertama dipakai di baris [store].
        #[arg(long, value_name = "NAME")]
        host: Vec<String>,
    },
    /// Bawa server cabang yang disiapkan dengan versi loket sebelumnya ke skema sekarang (indeks,
    /// fungsi), sebagai pemilik basis data seperti pada `server init`. Tiap revisi sekali; aman
    /// diulang. Data dan peran tidak diubah.
    Upgrade {
        /// URL basis data, mis. postgresql://pemilik:sandi@127.0.0.1:5432/loket.
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Salin seluruh cabang satu-PC (riwayat, kas, nomor seri, jurnal) dari berkas SQLite di folder
    /// data ke server cabang yang baru disiapkan; jumlah baris dan jurnal diperiksa di server.
    /// Hanya sekali: server yang sudah berisi data ditolak.
    Migrate {
        /// URL server tujuan, sebagai pemilik basis data (seperti pada `loket server init`).
        #[arg(long, value_name = "URL")]
        to: String,
        /// CA cabang untuk server yang bukan komputer ini (sambungan TLS).
        #[arg(long, value_name = "PEM")]
        ca: Option<std::path::PathBuf>,
    },
}

/// Runs `loket store …`.
pub fn store(data: &Path, actor: &str, command: StoreCommand) -> Result<ExitCode, LoketError> {
    match command {
        StoreCommand::Migrate { to, ca } => {
            let w = words::current();
            let address = crate::store::ServerAddress { url: to, ca };
            let moved =
                crate::store::migrate::migrate(data, &address, actor, &mut |table, rows| {
                    println!("{}", w.migrate_table(table, rows));
                })?;
            let rows = moved.tables.iter().map(|(_, n)| n).sum();
            for sha in &moved.documents_missing {
                println!("{}", w.migrate_document_missing(sha));
            }
            println!(
                "{}",
                w.migrate_done(
                    moved.tables.len(),
                    rows,
                    moved.journal_entries,
                    moved.documents
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `loket server …`.
pub fn run(data: &Path, command: ServerCommand) -> Result<ExitCode, LoketError> {
    match command {
        ServerCommand::Init {
            url,
            branch,
            tls_dir,
            host,
        } => init(data, &url, branch.as_deref(), tls_dir.as_deref(), &host),
        ServerCommand::Upgrade { url } => {
            let done = super::upgrade::upgrade(&url)?;
            println!(
                "{}",
                words::current().server_upgraded(
                    done.branch.as_str(),
                    &done.database,
                    &done.applied
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init(
    data: &Path,
    url: &str,
    branch: Option<&str>,
    tls_dir: Option<&Path>,
    hosts: &[String],
) -> Result<ExitCode, LoketError> {
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
    // The certificates first: a folder that already holds a CA stops everything before the
    // schema is made.
    let tls = match tls_dir {
        Some(dir) => Some(super::tls::write(
            dir,
            &super::tls::generate(code.as_str(), hosts)?,
        )?),
        None => None,
    };
    let made = super::init_for(url, &code, hosts.first().map(String::as_str))?;
    let w = words::current();
    println!(
        "{}",
        w.server_init_done(made.branch.as_str(), &made.database, &made.owner)
    );
    if let Some(files) = &tls {
        println!();
        println!("{}", w.server_tls_setup(files));
    }
    for login in &made.logins {
        println!();
        println!("# {}: {}", w.server_pc_kind(login.kind), login.role);
        println!("[store]");
        println!("url = {}", toml::Value::String(login.url.clone()));
        if tls.is_some() {
            println!(
                "ca = {}",
                toml::Value::String(super::tls::CA_CERT_FILE.into())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
