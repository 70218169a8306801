//! The phone page's token: an HMAC-SHA256 over (branch code, business day, ticket number) with a
//! random branch secret kept in the data folder, so a ticket's link works for that ticket on that
//! day only and cannot be guessed from its number.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The secret's file inside the data folder (created once, mode 0600).
pub const SECRET_FILE: &str = "hall-secret";

/// Length of the token in hex characters (128 bits).
const TOKEN_HEX: usize = 32;

/// The branch's secret for ticket links.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why the secret could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Damaged {
        path: PathBuf,
    },
}

impl Secret {
    /// Reads `DATA/hall-secret`, making it (32 random bytes, mode 0600) the first time.
    pub fn load_or_create(data_dir: &Path) -> Result<Secret, TokenError> {
        let path = data_dir.join(SECRET_FILE);
        let io = |source| TokenError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => return Secret::parse(text.trim()).ok_or(TokenError::Damaged { path }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let mut bytes = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
        // Made under a temporary name and linked into place: two processes starting together
        // agree on one secret (the loser reads the winner's).
        let tmp = data_dir.join(format!("{SECRET_FILE}.{}.tmp", std::process::id()));
        {
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(hex::encode(bytes).as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(Secret(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path).map_err(io)?;
                Secret::parse(text.trim()).ok_or(TokenError::Damaged { path })
            }
            Err(e) => Err(io(e)),
        }
    }

    fn parse(text: &str) -> Option<Secret> {
        let bytes = hex::decode(text).ok()?;
        Some(Secret(bytes.try_into().ok()?))
    }

    /// A secret from fixed bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// The token of ticket `label` (`A-007`) of `day` (`2026-11-23`) at branch `code`.
    pub fn token(&self, code: &str, day: &str, label: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm is never taken.
            Err(_) => return String::new(),
        };
        for part in ["loket-ticket-v1", code, day, label] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        let tag = mac.finalize().into_bytes();
        hex::encode(&tag[..TOKEN_HEX / 2])
    }

    /// Whether `given` is the token of that ticket, compared in constant time.
    pub fn check(&self, code: &str, day: &str, label: &str, given: &str) -> bool {
        let expected = self.token(code, day, label);
        if given.len() != expected.len() {
            return false;
        }
        given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The phone page's link printed on ticket `label` of `day`: `<public_url>/t/A-007?k=<token>`.
pub fn ticket_url(public_url: &str, secret: &Secret, code: &str, day: &str, label: &str) -> String {
    format!(
        "{}/t/{label}?k={}",
        public_url.trim_end_matches('/'),
        secret.token(code, day, label)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_branch_day_and_ticket() {
        let s = Secret::from_bytes([7; 32]);
        let t = s.token("40111", "2026-11-23", "A-007");
        assert_eq!(t.len(), 32);
        assert!(s.check("40111", "2026-11-23", "A-007", &t));
        assert!(!s.check("40111", "2026-11-24", "A-007", &t));
        assert!(!s.check("40111", "2026-11-23", "A-008", &t));
        assert!(!s.check("40112", "2026-11-23", "A-007", &t));
        assert!(!s.check("40111", "2026-11-23", "A-007", &t[..31]));
        let other = Secret::from_bytes([8; 32]);
        assert!(!other.check("40111", "2026-11-23", "A-007", &t));
    }

    #[test]
    fn the_secret_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let a = Secret::load_or_create(dir.path()).expect("made");
        let b = Secret::load_or_create(dir.path()).expect("read");
        assert_eq!(a.token("x", "d", "A-001"), b.token("x", "d", "A-001"));
        let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(dir.path().join(SECRET_FILE), "nonsense").expect("write");
        assert!(matches!(
            Secret::load_or_create(dir.path()),
            Err(TokenError::Damaged { .. })
        ));
    }
}
