//! The language loket speaks to people: Indonesian by default, English on request (`--lang`, `LOKET_LANG`).

use std::sync::atomic::{AtomicU8, Ordering};

/// The language of the screens, the command line and the error messages, chosen with `--lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Bahasa Indonesia.
    #[default]
    Id,
    /// English.
    En,
}

// One language per process: set once from the command line before anything is said, read by every
// error's `Display`, which has no other way to learn it.
static CURRENT: AtomicU8 = AtomicU8::new(0);

/// Makes `lang` the language of everything this process says from now on.
pub fn set(lang: Lang) {
    CURRENT.store(lang as u8, Ordering::Relaxed);
}

/// The language chosen for this process; Indonesian until `set` says otherwise.
pub fn current() -> Lang {
    match CURRENT.load(Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Id,
    }
}

impl Lang {
    /// The language named by `LOKET_LANG` or a `--lang` on the command line, read before clap parses it
    /// so the help text itself can be in that language. Anything unknown leaves Indonesian.
    pub fn from_args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> Lang {
        let mut lang = std::env::var("LOKET_LANG")
            .ok()
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg.as_ref().to_string_lossy();
            if arg == "--" {
                break;
            }
            let value = match arg.strip_prefix("--lang") {
                Some("") => args
                    .next()
                    .map(|v| v.as_ref().to_string_lossy().into_owned()),
                Some(rest) => rest.strip_prefix('=').map(str::to_string),
                None => None,
            };
            if let Some(l) = value.as_deref().and_then(Lang::parse) {
                lang = l;
            }
        }
        lang
    }

    fn parse(text: &str) -> Option<Lang> {
        match text.trim() {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}
