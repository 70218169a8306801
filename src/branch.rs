//! The branch service API: configuration, store and clock behind one type whose methods are the only
//! way state changes. The CLI, the counter UI, the dispenser and the display all go through it.

use crate::clock::{self, Clock};
use crate::config::{self, Config, ConfigError};
use crate::store::{self, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Folder of the training PKI inside the data folder.
pub const PKI_FOLDER: &str = "pki";

/// An open branch: its data folder, configuration and database.
#[derive(Debug)]
pub struct Branch {
    data_dir: PathBuf,
    config: Config,
    store: Store,
    /// Passwords of locked documents given to this process (memory only).
    passwords: DocPasswords,
    /// The ticket each counter holds as this process last wrote it (memory only).
    held: crate::queue::HeldTickets,
}

/// Passwords of locked documents, by job, held in this process's memory only: never written to the
/// store, the journal, a log or `Debug` output. Lost with the process; the counter asks again.
#[derive(Default)]
pub struct DocPasswords(std::collections::HashMap<i64, crate::secret::Secret>);

impl DocPasswords {
    pub fn remember(&mut self, job: i64, password: String) {
        self.0.insert(job, crate::secret::Secret::new(password));
    }

    pub fn get(&self, job: i64) -> Option<String> {
        self.0.get(&job).map(|p| p.expose().to_string())
    }
}

impl std::fmt::Debug for DocPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocPasswords({} held)", self.0.len())
    }
}

/// What a service works with, borrowed from the open branch for one call: every service is built
/// from these, so a service reaches another only through them and never through a whole `Branch`.
#[derive(Debug)]
pub struct Parts<'b> {
    pub(crate) data_dir: &'b Path,
    pub(crate) config: &'b Config,
    pub(crate) store: &'b mut Store,
    pub(crate) passwords: &'b mut DocPasswords,
    pub(crate) held: &'b mut crate::queue::HeldTickets,
}

impl Parts<'_> {
    pub fn config(&self) -> &Config {
        self.config
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir
    }

    pub fn store(&self) -> &Store {
        self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        self.store
    }
}

/// Declares a domain service over [`Parts`]: the struct, `Branch::$accessor()` and
/// `Parts::$accessor()` that hand it out, and `parts()` to reach a neighbouring service.
macro_rules! service {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<'b> {
            #[allow(dead_code)]
            data_dir: &'b std::path::Path,
            config: &'b $crate::config::Config,
            store: &'b mut $crate::store::Store,
            #[allow(dead_code)]
            passwords: &'b mut $crate::branch::DocPasswords,
            #[allow(dead_code)]
            held: &'b mut $crate::queue::HeldTickets,
        }

        impl $crate::branch::Branch {
            pub fn $accessor(&mut self) -> $name<'_> {
                self.parts().$accessor()
            }
        }

        impl<'b> $crate::branch::Parts<'b> {
            pub fn $accessor(self) -> $name<'b> {
                $name {
                    data_dir: self.data_dir,
                    config: self.config,
                    store: self.store,
                    passwords: self.passwords,
                    held: self.held,
                }
            }
        }

        impl<'b> $name<'b> {
            /// The branch's parts, reborrowed to hand a neighbouring service.
            #[allow(dead_code)]
            pub(crate) fn parts(&mut self) -> $crate::branch::Parts<'_> {
                $crate::branch::Parts {
                    data_dir: self.data_dir,
                    config: self.config,
                    store: &mut *self.store,
                    passwords: &mut *self.passwords,
                    held: &mut *self.held,
                }
            }

            /// The branch's business day now.
            #[allow(dead_code)]
            pub fn today(&self) -> $crate::day::BusinessDay {
                self.store.today()
            }

            #[allow(dead_code)]
            pub fn clock(&self) -> &std::sync::Arc<dyn $crate::clock::Clock> {
                self.store.clock()
            }
        }
    };
}
pub(crate) use service;

/// Why a branch could not be opened or initialised.
#[derive(Debug, thiserror::Error)]
pub enum BranchError {
    Config(#[from] ConfigError),
    Store(#[from] StoreError),
    Clock(String),
    NotInitialised {
        path: PathBuf,
    },
    ConfigExists {
        path: PathBuf,
    },
    TrainingPki(String),
    Io {
        what: crate::io_what::IoWhat,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Branch {
    /// Opens the branch in `data_dir` with the process clock.
    pub fn open(data_dir: &Path) -> Result<Branch, BranchError> {
        let clock = clock::from_env().map_err(BranchError::Clock)?;
        Branch::open_with_clock(data_dir, clock)
    }

    pub fn open_with_clock(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Branch, BranchError> {
        let config = Branch::load_config(data_dir)?;
        let store = Store::open_at(
            &store::Location::of(data_dir, &config.store),
            clock,
            config.branch.timezone,
        )?;
        Ok(Branch {
            data_dir: data_dir.to_path_buf(),
            config,
            store,
            passwords: Default::default(),
            held: Default::default(),
        })
    }

    /// The data folder's configuration; a folder without one was never initialised.
    fn load_config(data_dir: &Path) -> Result<Config, BranchError> {
        let config_path = data_dir.join(config::FILE_NAME);
        if !config_path.exists() {
            return Err(BranchError::NotInitialised {
                path: data_dir.to_path_buf(),
            });
        }
        Ok(Config::load(&config_path)?)
    }

    /// Opens the branch with a read-only store (the hall display server): every write is refused by
    /// SQLite itself.
    pub fn open_read_only(data_dir: &Path) -> Result<Branch, BranchError> {
        let clock = clock::from_env().map_err(BranchError::Clock)?;
        let config = Branch::load_config(data_dir)?;
        // On the branch server the display's own role may change nothing.
        let store = match store::Location::of(data_dir, &config.store) {
            store::Location::File(path) => {
                Store::open_read_only(&path, clock, config.branch.timezone)?
            }
            server @ store::Location::Server(_) => {
                Store::open_at(&server, clock, config.branch.timezone)?
            }
        };
        Ok(Branch {
            data_dir: data_dir.to_path_buf(),
            config,
            store,
            passwords: Default::default(),
            held: Default::default(),
        })
    }

    /// Writes the default configuration into `data_dir` (refusing to overwrite one unless `force`)
    /// and creates the database.
    pub fn init(data_dir: &Path, force: bool) -> Result<Branch, BranchError> {
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| BranchError::Io { what, path, source }
        };
        std::fs::create_dir_all(data_dir)
            .map_err(io(crate::io_what::IoWhat::CreateFolder, data_dir))?;
        let config_path = data_dir.join(config::FILE_NAME);
        if config_path.exists() && !force {
            return Err(BranchError::ConfigExists { path: config_path });
        }
        // A PC set up against the branch server (`--store`, `LOKET_STORE`) keeps that server in
        // its configuration, so every later command and screen of this folder uses it.
        let text = match store::Location::of(data_dir, &config::StoreSettings::default()) {
            store::Location::Server(address) => format!(
                "{}\n[store]\nurl = {}\n{}",
                config::DEFAULT_TOML.trim_end(),
                toml::Value::String(address.url),
                address.ca.map_or_else(String::new, |ca| format!(
                    "ca = {}\n",
                    toml::Value::String(ca.display().to_string())
                ))
            ),
            store::Location::File(_) => config::DEFAULT_TOML.to_string(),
        };
        std::fs::write(&config_path, text)
            .map_err(io(crate::io_what::IoWhat::WriteFile, &config_path))?;
        let branch = Branch::open(data_dir)?;
        // The training CA, signer and TSA the local stamping provider signs with.
        let pki = data_dir.join(PKI_FOLDER);
        if force || !crate::pdf::pki::TrainingPkiPaths::in_dir(&pki).exists() {
            crate::pdf::pki::generate_training_pki(&pki, &branch.config.branch.name)
                .map_err(|e| BranchError::TrainingPki(e.to_string()))?;
        }
        Ok(branch)
    }

    /// Opens the branch, first creating the demo configuration when the folder has none: the
    /// embedded default that lets loket run anywhere.
    pub fn open_or_init(data_dir: &Path) -> Result<Branch, BranchError> {
        if data_dir.join(config::FILE_NAME).exists() {
            Branch::open(data_dir)
        } else {
            Branch::init(data_dir, false)
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The store, for reading across tables (reports, checks, tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for consistent snapshots (`Store::read`) and for tools that open it directly.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn passwords_mut(&mut self) -> &mut DocPasswords {
        &mut self.passwords
    }

    /// A branch over a store opened elsewhere (the doctor opens it before it knows the config).
    pub(crate) fn from_parts(data_dir: &Path, config: Config, store: Store) -> Branch {
        Branch {
            data_dir: data_dir.to_path_buf(),
            config,
            store,
            passwords: Default::default(),
            held: Default::default(),
        }
    }

    /// Closes the branch but keeps its store open.
    pub(crate) fn into_store(self) -> Store {
        self.store
    }

    /// The parts services are built from, borrowed for one call.
    pub fn parts(&mut self) -> Parts<'_> {
        Parts {
            data_dir: &self.data_dir,
            config: &self.config,
            store: &mut self.store,
            passwords: &mut self.passwords,
            held: &mut self.held,
        }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.store.clock()
    }

    /// The branch's business day now.
    pub fn today(&self) -> crate::day::BusinessDay {
        self.store.today()
    }
}
