//! Single-byte code pages (PC858, WPC1252): encoding text for the printer and folding the rest to ASCII.
//!
//! loket encodes text itself instead of through the `escpos` crate: its PC858 table (0.20.1) maps
//! ASCII `-` to 0xF0 (the soft hyphen's slot), lists `Ô` twice instead of `Ò` and has `⌐` where `®`
//! belongs, so every hyphen in "A-007" would go out as the wrong byte.

use serde::{Deserialize, Serialize};

/// A printer character table for bytes 0x80..=0xFF; 0x20..=0x7E are ASCII in all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodePage {
    /// IBM PC858 (PC850 with the euro sign), Epson table 19.
    Pc858,
    /// Windows-1252, Epson table 16.
    Wpc1252,
}

/// PC858, bytes 0x80..=0xFF.
const PC858_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{AD}±‗¾¶§÷¸°¨·¹³²■\u{A0}";

/// Windows-1252, bytes 0x80..=0xFF; `\0` marks the five unassigned bytes.
const WPC1252_HIGH: &str = "€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ";

/// Pairs of (characters, their ASCII stand-ins) used when a character is not in the table.
/// Each character of the first string maps to the character at the same position of the second.
const LETTER_FALLBACKS: &[(&str, &str)] = &[
    ("ÀÁÂÃÄÅĀĂĄ", "AAAAAAAAA"),
    ("àáâãäåāăą", "aaaaaaaaa"),
    ("ÇĆĈĊČ", "CCCCC"),
    ("çćĉċč", "ccccc"),
    ("ĎĐÐ", "DDD"),
    ("ďđð", "ddd"),
    ("ÈÉÊËĒĔĖĘĚ", "EEEEEEEEE"),
    ("èéêëēĕėęě", "eeeeeeeee"),
    ("ĜĞĠĢ", "GGGG"),
    ("ĝğġģ", "gggg"),
    ("ĤĦ", "HH"),
    ("ĥħ", "hh"),
    ("ÌÍÎÏĨĪĬĮİ", "IIIIIIIII"),
    ("ìíîïĩīĭįı", "iiiiiiiii"),
    ("Ĵ", "J"),
    ("ĵ", "j"),
    ("Ķ", "K"),
    ("ķ", "k"),
    ("ĹĻĽĿŁ", "LLLLL"),
    ("ĺļľŀł", "lllll"),
    ("ÑŃŅŇ", "NNNN"),
    ("ñńņň", "nnnn"),
    ("ÒÓÔÕÖØŌŎŐ", "OOOOOOOOO"),
    ("òóôõöøōŏő", "ooooooooo"),
    ("ŔŖŘ", "RRR"),
    ("ŕŗř", "rrr"),
    ("ŚŜŞŠȘ", "SSSSS"),
    ("śŝşšș", "sssss"),
    ("ŢŤŦȚ", "TTTT"),
    ("ţťŧț", "tttt"),
    ("ÙÚÛÜŨŪŬŮŰŲ", "UUUUUUUUUU"),
    ("ùúûüũūŭůűų", "uuuuuuuuuu"),
    ("ŴẀẂ", "WWW"),
    ("ŵẁẃ", "www"),
    ("ÝŶŸ", "YYY"),
    ("ýÿŷ", "yyy"),
    ("ŹŻŽ", "ZZZ"),
    ("źżž", "zzz"),
    // Punctuation that word processors and phones put into names and addresses.
    ("‐‑‒–—―−", "-------"),
    ("‘’‚‛′`´", "'''''''"),
    ("“”„‟″«»", "\"\"\"\"\"\"\""),
    ("•·∙", "***"),
    ("×", "x"),
    ("÷", "/"),
    ("±", "+"),
    ("°", "o"),
    ("\u{A0}\u{2007}\u{202F}\u{2009}\u{200A}\t", "      "),
];

/// Multi-character stand-ins.
const WORD_FALLBACKS: &[(char, &str)] = &[
    ('…', "..."),
    ('€', "EUR"),
    ('→', "->"),
    ('←', "<-"),
    ('≤', "<="),
    ('≥', ">="),
    ('Æ', "AE"),
    ('æ', "ae"),
    ('Œ', "OE"),
    ('œ', "oe"),
    ('ß', "ss"),
    ('™', "TM"),
    ('©', "(c)"),
    ('®', "(R)"),
    ('½', "1/2"),
    ('¼', "1/4"),
    ('¾', "3/4"),
];

impl CodePage {
    /// The `n` of `ESC t n` for Epson-compatible printers.
    pub fn escpos_table(self) -> u8 {
        match self {
            CodePage::Pc858 => 19,
            CodePage::Wpc1252 => 16,
        }
    }

    fn high(self) -> &'static str {
        match self {
            CodePage::Pc858 => PC858_HIGH,
            CodePage::Wpc1252 => WPC1252_HIGH,
        }
    }

    /// The byte for `c`, or `None` when the table lacks it. Control characters have no byte:
    /// they must never reach the printer inside text, where they would start a command.
    ///
    /// ```
    /// use loket_receipts::CodePage;
    /// assert_eq!(CodePage::Pc858.byte(&'-'), Some(0x2D));
    /// assert_eq!(CodePage::Pc858.byte(&'é'), Some(0x82));
    /// assert_eq!(CodePage::Wpc1252.byte(&'é'), Some(0xE9));
    /// assert_eq!(CodePage::Pc858.byte(&'–'), None);
    /// ```
    pub fn byte(self, c: &char) -> Option<u8> {
        let c = *c;
        if (' '..='~').contains(&c) {
            return Some(c as u8);
        }
        if c.is_control() {
            return None;
        }
        self.high()
            .chars()
            .position(|t| t == c)
            .and_then(|i| u8::try_from(i).ok())
            .map(|i| 0x80 + i)
    }

    /// The character a byte stands for (`None` for control bytes and unassigned slots).
    pub fn char(self, byte: u8) -> Option<char> {
        match byte {
            0x20..=0x7E => Some(byte as char),
            0x80..=0xFF => self
                .high()
                .chars()
                .nth(usize::from(byte - 0x80))
                .filter(|c| *c != '\0'),
            _ => None,
        }
    }

    /// Rewrites `text` so that every character is in the table: characters it lacks become
    /// their nearest ASCII form (`–` → `-`, `ş` → `s`, `…` → `...`), anything else `?`.
    /// Line breaks are kept; other control characters become spaces.
    ///
    /// ```
    /// use loket_receipts::CodePage;
    /// assert_eq!(CodePage::Pc858.fold("± 10–20 menit"), "± 10-20 menit");
    /// assert_eq!(CodePage::Wpc1252.fold("± 10–20 menit"), "± 10–20 menit");
    /// assert_eq!(CodePage::Pc858.fold("Ağustus … 東"), "Agustus ... ?");
    /// ```
    pub fn fold(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c == '\n' || self.byte(&c).is_some() && c != '\u{A0}' && c != '\u{AD}' {
                out.push(c);
            } else if c == '\u{AD}' {
                // A soft hyphen is invisible unless a word breaks there; loket never breaks there.
            } else if let Some(s) = fallback(c) {
                for f in s.chars() {
                    // A stand-in may itself be missing (`±` → `+` is always ASCII, but `€` → `EUR`
                    // only when the table lacks `€`); stand-ins are ASCII, so this cannot loop.
                    out.push(if self.byte(&f).is_some() { f } else { '?' });
                }
            } else if c.is_control() {
                out.push(' ');
            } else {
                out.push('?');
            }
        }
        out
    }

    /// Encodes `text` for the printer: [`fold`](Self::fold) first, then one byte per character.
    /// Line breaks become LF.
    ///
    /// ```
    /// use loket_receipts::CodePage;
    /// assert_eq!(CodePage::Pc858.encode("A-007 é"), b"A-007 \x82");
    /// ```
    pub fn encode(self, text: &str) -> Vec<u8> {
        self.fold(text)
            .chars()
            .map(|c| {
                if c == '\n' {
                    b'\n'
                } else {
                    self.byte(&c).unwrap_or(b'?')
                }
            })
            .collect()
    }

    /// Decodes printer bytes back to text; unknown bytes become `?`.
    pub fn decode(self, bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| {
                if b == b'\n' {
                    '\n'
                } else {
                    self.char(b).unwrap_or('?')
                }
            })
            .collect()
    }
}

fn fallback(c: char) -> Option<&'static str> {
    if let Some((_, s)) = WORD_FALLBACKS.iter().find(|(w, _)| *w == c) {
        return Some(s);
    }
    for (from, to) in LETTER_FALLBACKS {
        if let Some(i) = from.chars().position(|f| f == c) {
            let start = to.char_indices().nth(i).map(|(b, _)| b)?;
            let len = to[start..].chars().next().map(char::len_utf8)?;
            return Some(&to[start..start + len]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_128_slots() {
        assert_eq!(PC858_HIGH.chars().count(), 128);
        assert_eq!(WPC1252_HIGH.chars().count(), 128);
        for (from, to) in LETTER_FALLBACKS {
            assert_eq!(from.chars().count(), to.chars().count(), "{from}");
        }
    }

    #[test]
    fn every_table_character_round_trips() {
        for cp in [CodePage::Pc858, CodePage::Wpc1252] {
            for b in 0x20u8..=0xFF {
                if let Some(c) = cp.char(b) {
                    assert_eq!(cp.byte(&c), Some(b), "{cp:?} {b:#04x} {c:?}");
                }
            }
        }
    }

    fn check(cp: CodePage, text: &str, bytes: &[u8]) {
        assert_eq!(cp.encode(text), bytes, "{cp:?} {text:?}");
    }

    #[test]
    fn encoding_table() {
        use CodePage::*;
        check(Pc858, "A-007", b"A-007");
        check(Pc858, "é ñ €", &[0x82, b' ', 0xA4, b' ', 0xD5]);
        check(Wpc1252, "é ñ €", &[0xE9, b' ', 0xF1, b' ', 0x80]);
        check(
            Pc858,
            "± 10–20",
            &[0xF1, b' ', b'1', b'0', b'-', b'2', b'0'],
        );
        check(
            Wpc1252,
            "± 10–20",
            &[0xB1, b' ', b'1', b'0', 0x96, b'2', b'0'],
        );
        check(Pc858, "Ò ¿ ®", &[0xE3, b' ', 0xA8, b' ', 0xA9]);
        check(Pc858, "“Hormat” saya…", b"\"Hormat\" saya...");
        check(
            Wpc1252,
            "“Hormat”",
            &[0x93, b'H', b'o', b'r', b'm', b'a', b't', 0x94],
        );
        check(Pc858, "Şahin Čapek", b"Sahin Capek");
        check(Pc858, "a\u{1B}b\u{7}c", b"a b c");
        check(Pc858, "Rp\u{A0}10.000", b"Rp 10.000");
        check(Pc858, "日本", b"??");
        check(Pc858, "ƒ Œ", &[0x9F, b' ', b'O', b'E']);
        check(Wpc1252, "ƒ Œ", &[0x83, b' ', 0x8C]);
    }

    #[test]
    fn decode_inverts_encode_for_folded_text() {
        for cp in [CodePage::Pc858, CodePage::Wpc1252] {
            let text = "Kantor Pos – Jl. Asia Afrika № 49, Bandung ±5′ ©";
            let folded = cp.fold(text);
            assert_eq!(cp.decode(&cp.encode(text)), folded);
        }
    }
}
