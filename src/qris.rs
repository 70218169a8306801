//! QRIS dynamic payloads (EMVCo merchant-presented QR): building, parsing field by field, the CRC, and the QR matrix for the screen.
//!
//! Pure functions on strings; the lifecycle (created → shown → paid / expired / cancelled) lives in
//! the till, because a QRIS payload carries no expiry and loket must enforce it itself.
#![deny(clippy::float_arithmetic)]

use crate::money::Rupiah;
use std::fmt;

/// The globally unique identifier of the national QRIS scheme.
pub const QRIS_GUI: &str = "ID.CO.QRIS.WWW";

/// Who is paid: the merchant identity a QRIS acquirer issued for the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    /// Reverse domain of the acquirer in tag 26, sub-tag 00 (e.g. `ID.CO.QRIS.WWW` or the bank's).
    pub global_id: String,
    /// Merchant PAN (tag 26, sub-tag 01), up to 19 digits.
    pub pan: String,
    /// Merchant id at the acquirer (tag 26, sub-tag 02).
    pub merchant_id: String,
    /// National Merchant ID (tag 51, sub-tag 02), e.g. `ID1020000000001`.
    pub nmid: String,
    /// Merchant criteria: UMI, UKE, UME, UBE or URE (tags 26/51, sub-tag 03).
    pub criteria: String,
    /// Merchant category code, four digits (tag 52).
    pub mcc: String,
    /// Up to 25 characters (tag 59).
    pub name: String,
    /// Up to 15 characters (tag 60).
    pub city: String,
    /// Postal code (tag 61).
    pub postal_code: String,
}

/// What is wrong with a payload or the data for one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrisError {
    Truncated { at: usize },
    BadTag { tag: String, at: usize },
    NoCrc,
    CrcMismatch { found: String, expected: String },
    Field { field: &'static str, why: String },
}

/// One tag–length–value field; templates (26–51, 62, 64, 80–99) also hold their sub-fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub tag: String,
    pub value: String,
    pub children: Vec<Field>,
}

/// A parsed payload: its top-level fields in order, with the CRC checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub fields: Vec<Field>,
}

impl Payload {
    /// The top-level field with this tag.
    pub fn get(&self, tag: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.tag == tag)
    }

    /// A sub-field of a template, e.g. `sub("62", "01")` for the bill number.
    pub fn sub(&self, tag: &str, sub: &str) -> Option<&str> {
        self.get(tag)?
            .children
            .iter()
            .find(|f| f.tag == sub)
            .map(|f| f.value.as_str())
    }

    pub fn value(&self, tag: &str) -> Option<&str> {
        self.get(tag).map(|f| f.value.as_str())
    }

    /// The amount in tag 54, when present and a whole rupiah number (a decimal ".00" is accepted).
    pub fn amount(&self) -> Option<Rupiah> {
        let text = self.value("54")?;
        let whole = text
            .strip_suffix(".00")
            .or_else(|| text.strip_suffix(".0"))
            .unwrap_or(text);
        whole.parse::<i64>().ok().map(Rupiah::new)
    }

    /// Whether the point of initiation says dynamic ("12").
    pub fn is_dynamic(&self) -> bool {
        self.value("01") == Some("12")
    }
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor), table-driven.
pub fn crc16(data: &[u8]) -> u16 {
    const TABLE: [u16; 256] = {
        let mut table = [0u16; 256];
        let mut i = 0;
        while i < 256 {
            // fits: i < 256.
            #[allow(clippy::cast_possible_truncation)]
            let mut crc = (i as u16) << 8;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    data.iter().fold(0xFFFF, |crc, &b| {
        (crc << 8) ^ TABLE[usize::from(((crc >> 8) as u8) ^ b)]
    })
}

fn is_template(tag: &str) -> bool {
    match tag.parse::<u8>() {
        Ok(n) => (26..=51).contains(&n) || n == 62 || n == 64 || (80..=99).contains(&n),
        Err(_) => false,
    }
}

/// Reads a run of TLV fields. Lengths count characters, as EMVCo defines them.
fn parse_fields(text: &str, offset: usize, nested: bool) -> Result<Vec<Field>, QrisError> {
    let chars: Vec<char> = text.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 4 > chars.len() {
            return Err(QrisError::Truncated { at: offset + i });
        }
        let tag: String = chars[i..i + 2].iter().collect();
        if !tag.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QrisError::BadTag {
                tag,
                at: offset + i,
            });
        }
        let len_text: String = chars[i + 2..i + 4].iter().collect();
        let len: usize = len_text
            .parse()
            .ok()
            .filter(|_| len_text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(QrisError::Truncated { at: offset + i + 2 })?;
        let start = i + 4;
        if start + len > chars.len() {
            return Err(QrisError::Truncated { at: offset + start });
        }
        let value: String = chars[start..start + len].iter().collect();
        let children = if !nested && is_template(&tag) {
            parse_fields(&value, offset + start, true)?
        } else {
            Vec::new()
        };
        fields.push(Field {
            tag,
            value,
            children,
        });
        i = start + len;
    }
    Ok(fields)
}

/// Parses any merchant-presented payload field by field and checks its CRC (the last field must be
/// tag 63 of length 4, computed over everything up to and including "6304").
pub fn parse(payload: &str) -> Result<Payload, QrisError> {
    let payload = payload.trim();
    let fields = parse_fields(payload, 0, false)?;
    let last = fields.last().ok_or(QrisError::NoCrc)?;
    if last.tag != "63" || last.value.chars().count() != 4 {
        return Err(QrisError::NoCrc);
    }
    let cut = payload.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
    let covered = &payload[..cut];
    let expected = format!("{:04X}", crc16(covered.as_bytes()));
    if !last.value.eq_ignore_ascii_case(&expected) {
        return Err(QrisError::CrcMismatch {
            found: last.value.clone(),
            expected,
        });
    }
    Ok(Payload { fields })
}

fn tlv(out: &mut String, tag: &str, value: &str) {
    use fmt::Write;
    let _ = write!(out, "{tag}{:02}{value}", value.chars().count());
}

fn check(
    field: &'static str,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), QrisError> {
    if value.is_empty() || value.chars().count() > max {
        return Err(QrisError::Field {
            field,
            why: crate::words::current().qris_field_length(max, value.chars().count()),
        });
    }
    if let Some(c) = value.chars().find(|&c| !allowed(c)) {
        return Err(QrisError::Field {
            field,
            why: crate::words::current().qris_field_char(c),
        });
    }
    Ok(())
}

fn printable(c: char) -> bool {
    c.is_ascii_graphic() || c == ' '
}

impl Merchant {
    /// Checks every field against the lengths and characters the QRIS standard allows.
    pub fn validate(&self) -> Result<(), QrisError> {
        check("global_id", &self.global_id, 32, printable)?;
        check("merchant_pan", &self.pan, 19, |c| c.is_ascii_digit())?;
        check("merchant_id", &self.merchant_id, 15, printable)?;
        check("nmid", &self.nmid, 15, |c| c.is_ascii_alphanumeric())?;
        if !["UMI", "UKE", "UME", "UBE", "URE"].contains(&self.criteria.as_str()) {
            return Err(QrisError::Field {
                field: "criteria",
                why: crate::words::current().qris_criteria().into(),
            });
        }
        if self.mcc.len() != 4 || !self.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QrisError::Field {
                field: "mcc",
                why: crate::words::current().qris_mcc().into(),
            });
        }
        check("merchant_name", &self.name, 25, printable)?;
        check("city", &self.city, 15, printable)?;
        check("postal_code", &self.postal_code, 10, |c| {
            c.is_ascii_alphanumeric()
        })?;
        Ok(())
    }
}

/// Builds a dynamic payload for `amount` with `bill` (the reference the clerk confirms with) in
/// tag 62, and `terminal` (the counter) as terminal label.
pub fn build(
    merchant: &Merchant,
    amount: Rupiah,
    bill: &str,
    terminal: &str,
) -> Result<String, QrisError> {
    merchant.validate()?;
    if !amount.is_positive() || amount.value() > 9_999_999_999_999 {
        return Err(QrisError::Field {
            field: "amount",
            why: crate::words::current().qris_amount_out_of_range(&amount),
        });
    }
    check("bill", bill, 25, |c| c.is_ascii_alphanumeric() || c == '-')?;
    check("terminal", terminal, 25, |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })?;
    let mut account = String::new();
    tlv(&mut account, "00", &merchant.global_id);
    tlv(&mut account, "01", &merchant.pan);
    tlv(&mut account, "02", &merchant.merchant_id);
    tlv(&mut account, "03", &merchant.criteria);
    let mut national = String::new();
    tlv(&mut national, "00", QRIS_GUI);
    tlv(&mut national, "02", &merchant.nmid);
    tlv(&mut national, "03", &merchant.criteria);
    let mut additional = String::new();
    tlv(&mut additional, "01", bill);
    tlv(&mut additional, "07", terminal);

    let mut out = String::with_capacity(256);
    tlv(&mut out, "00", "01");
    tlv(&mut out, "01", "12");
    tlv(&mut out, "26", &account);
    tlv(&mut out, "51", &national);
    tlv(&mut out, "52", &merchant.mcc);
    tlv(&mut out, "53", "360");
    tlv(&mut out, "54", &amount.value().to_string());
    tlv(&mut out, "58", "ID");
    tlv(&mut out, "59", &merchant.name);
    tlv(&mut out, "60", &merchant.city);
    tlv(&mut out, "61", &merchant.postal_code);
    tlv(&mut out, "62", &additional);
    out.push_str("6304");
    let crc = crc16(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    Ok(out)
}

/// The QR symbol as rows of modules (`true` = dark), without the quiet zone.
pub fn matrix(payload: &str) -> Result<Vec<Vec<bool>>, QrisError> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| QrisError::Field {
            field: "payload",
            why: crate::words::current().qris_too_long(&e),
        })?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect())
}

/// The QR symbol as text for a terminal: two module rows per line with half blocks, dark modules
/// drawn as spaces on a light background so phones read it on dark terminals, with a quiet zone.
pub fn half_blocks(payload: &str) -> Result<String, QrisError> {
    const QUIET: usize = 2;
    let m = matrix(payload)?;
    let n = m.len();
    let size = n + 2 * QUIET;
    let dark = |r: usize, c: usize| -> bool {
        r >= QUIET && c >= QUIET && r - QUIET < n && c - QUIET < n && m[r - QUIET][c - QUIET]
    };
    let mut out = String::new();
    for r in (0..size).step_by(2) {
        for c in 0..size {
            // Light is drawn as ink here: a full block is two light modules.
            let top = !dark(r, c);
            let bottom = r + 1 < size && !dark(r + 1, c);
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        // The catalogued check value of CRC-16/CCITT-FALSE over "123456789".
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn truncated_and_odd_payloads_are_refused() {
        assert_eq!(parse(""), Err(QrisError::NoCrc));
        assert!(matches!(
            parse("000201010"),
            Err(QrisError::Truncated { .. })
        ));
        assert!(matches!(
            parse("0002019901"),
            Err(QrisError::Truncated { .. })
        ));
        assert!(matches!(parse("AB020101"), Err(QrisError::BadTag { .. })));
        assert_eq!(parse("000201"), Err(QrisError::NoCrc));
    }
}
