//! Money: `Rupiah` as whole rupiah in an `i64`, with checked arithmetic, clerk-input parsing and the `Rp10.000` format.
#![deny(clippy::float_arithmetic)]

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

/// An amount of money in whole rupiah. The rupiah has no coins below Rp100 in use and no cents in
/// practice, so an integer is exact; every operation that could overflow is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Rupiah(i64);

/// What money arithmetic or parsing can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    Overflow,
    Parse(String),
}

impl Rupiah {
    pub const ZERO: Rupiah = Rupiah(0);

    pub const fn new(rupiah: i64) -> Rupiah {
        Rupiah(rupiah)
    }

    /// The amount in whole rupiah.
    pub const fn value(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Rupiah) -> Result<Rupiah, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Rupiah)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Rupiah) -> Result<Rupiah, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Rupiah)
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times a quantity (a unit price times the number of items).
    pub fn checked_mul(self, quantity: i64) -> Result<Rupiah, MoneyError> {
        self.0
            .checked_mul(quantity)
            .map(Rupiah)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Rupiah, MoneyError> {
        self.0.checked_neg().map(Rupiah).ok_or(MoneyError::Overflow)
    }

    pub fn min(self, other: Rupiah) -> Rupiah {
        Rupiah(self.0.min(other.0))
    }

    pub fn max(self, other: Rupiah) -> Rupiah {
        Rupiah(self.0.max(other.0))
    }

    /// The sum of amounts, refusing overflow.
    pub fn sum<I: IntoIterator<Item = Rupiah>>(amounts: I) -> Result<Rupiah, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Rupiah::ZERO, Rupiah::checked_add)
    }

    /// Parses what a clerk types: `50000`, `50.000`, `Rp50.000`, `Rp 50.000`, `Rp50.000,-` or
    /// `Rp50.000,00`. Dots must group thousands exactly; a comma starts a (zero) sen part. A leading
    /// minus is kept, so corrections can be typed.
    pub fn parse(text: &str) -> Result<Rupiah, MoneyError> {
        let bad = || MoneyError::Parse(text.trim().to_string());
        let mut s = text.trim();
        let negative = s.starts_with('-');
        if negative {
            s = s[1..].trim_start();
        }
        if s.len() >= 2 && s[..2].eq_ignore_ascii_case("rp") {
            s = s[2..].trim_start();
            s = s.strip_prefix('.').unwrap_or(s).trim_start();
        }
        if let Some((whole, sen)) = s.split_once(',') {
            if !(sen == "-" || sen == "00" || sen == "0") {
                return Err(bad());
            }
            s = whole;
        }
        if s.is_empty() {
            return Err(bad());
        }
        let digits: String = if s.contains('.') {
            let mut groups = s.split('.');
            let first = groups.next().unwrap_or("");
            if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let mut out = first.to_string();
            for g in groups {
                if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                out.push_str(g);
            }
            out
        } else {
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.to_string()
        };
        let value: i64 = digits.parse().map_err(|_| bad())?;
        Ok(Rupiah(if negative { -value } else { value }))
    }
}

impl fmt::Display for Rupiah {
    /// `Rp10.000`, `-Rp5.000`, `Rp0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        f.pad(&format!("{sign}Rp{grouped}"))
    }
}

impl FromStr for Rupiah {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Rupiah, MoneyError> {
        Rupiah::parse(s)
    }
}

/// Configuration may write an amount as an integer (`10000`) or as text (`"Rp10.000"`).
impl<'de> Deserialize<'de> for Rupiah {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rupiah, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(v) => Ok(Rupiah(v)),
            Raw::Text(t) => Rupiah::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl crate::store::sql::ToSql for Rupiah {
    fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
        Ok(crate::store::sql::ToSqlOutput::from(self.0))
    }
}

impl crate::store::sql::FromSql for Rupiah {
    fn column_result(
        value: crate::store::sql::ValueRef<'_>,
    ) -> crate::store::sql::FromSqlResult<Self> {
        i64::column_result(value).map(Rupiah)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_dot_thousands() {
        for (value, text) in [
            (0, "Rp0"),
            (100, "Rp100"),
            (1_000, "Rp1.000"),
            (10_000, "Rp10.000"),
            (37_500, "Rp37.500"),
            (1_234_567, "Rp1.234.567"),
            (-5_000, "-Rp5.000"),
            (i64::MIN, "-Rp9.223.372.036.854.775.808"),
        ] {
            assert_eq!(Rupiah::new(value).to_string(), text);
        }
        assert_eq!(format!("{:>10}", Rupiah::new(5_000)), "   Rp5.000");
    }

    #[test]
    fn parses_clerk_input() {
        for (text, value) in [
            ("50000", 50_000),
            ("50.000", 50_000),
            ("Rp50.000", 50_000),
            ("rp 50.000", 50_000),
            ("Rp. 50.000", 50_000),
            ("Rp50.000,-", 50_000),
            ("Rp50.000,00", 50_000),
            (" 1.000.000 ", 1_000_000),
            ("-Rp5.000", -5_000),
            ("0", 0),
        ] {
            assert_eq!(Rupiah::parse(text), Ok(Rupiah::new(value)), "{text}");
        }
        for text in [
            "",
            "Rp",
            "50,5",
            "5.00",
            "50.0000",
            "1.5",
            "abc",
            "50 000",
            "1e5",
            ".000",
            "99999999999999999999",
        ] {
            assert!(Rupiah::parse(text).is_err(), "{text:?} is refused");
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Rupiah::new(i64::MAX);
        assert_eq!(max.checked_add(Rupiah::new(1)), Err(MoneyError::Overflow));
        assert_eq!(
            Rupiah::new(i64::MIN).checked_sub(Rupiah::new(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Rupiah::new(i64::MIN).checked_neg(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Rupiah::new(10_000).checked_mul(3), Ok(Rupiah::new(30_000)));
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(
            Rupiah::sum([Rupiah::new(1), Rupiah::new(2)]),
            Ok(Rupiah::new(3))
        );
        assert_eq!(
            Rupiah::sum([max, Rupiah::new(1)]),
            Err(MoneyError::Overflow)
        );
    }
}
