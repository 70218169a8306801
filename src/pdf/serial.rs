//! e-Meterai serial numbers (SN): the 22-character format and training serials for the local provider.

use std::fmt;

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

/// Length of an SN ("22 digit kode unik", in practice 22 uppercase alphanumerics).
pub const SN_LEN: usize = 22;
/// Prefix of serials made up by the training provider; Peruri's real serials come from the SN inventory.
pub const TRAINING_PREFIX: &str = "TRN";

const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A validated serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SerialNumber(String);

/// The text is not an SN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidSerial(pub String);

impl SerialNumber {
    /// Parse and validate.
    pub fn parse(s: &str) -> Result<SerialNumber, InvalidSerial> {
        let t = s.trim();
        if t.len() == SN_LEN
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(SerialNumber(t.to_string()))
        } else {
            Err(InvalidSerial(s.to_string()))
        }
    }

    /// A fresh training serial: `TRN` + 19 random characters. Only for the local (training) provider.
    pub fn training() -> SerialNumber {
        let mut s = String::with_capacity(SN_LEN);
        s.push_str(TRAINING_PREFIX);
        let mut buf = [0u8; SN_LEN];
        OsRng.fill_bytes(&mut buf);
        for b in &buf[..SN_LEN - TRAINING_PREFIX.len()] {
            // 252 = 7 × 36: the modulo is uniform for bytes below it; the rare rest maps onto the first letters,
            // which does not matter for a training serial.
            s.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
        SerialNumber(s)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a training serial.
    pub fn is_training(&self) -> bool {
        self.0.starts_with(TRAINING_PREFIX)
    }

    /// Find an SN in a signature reason written as `"[SN] reason"` (Peruri's adapter convention).
    pub fn from_reason(reason: &str) -> Option<SerialNumber> {
        let rest = reason.trim_start().strip_prefix('[')?;
        let (sn, _) = rest.split_once(']')?;
        SerialNumber::parse(sn).ok()
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SerialNumber {
    type Error = InvalidSerial;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SerialNumber::parse(&s)
    }
}

impl From<SerialNumber> for String {
    fn from(s: SerialNumber) -> String {
        s.0
    }
}
