//! File names that FAT32 and exFAT accept and Windows opens: forbidden characters replaced, reserved
//! names avoided, length capped, `.pdf` kept, and the " (2)" numbering used for collisions.

/// Longest name in UTF-16 code units (FAT/exFAT) and in UTF-8 bytes (Linux NAME_MAX).
const MAX_UNITS: usize = 255;
const EXTENSION: &str = ".pdf";

/// A checked file name stem; [`SafeName::candidate`] gives the name to try for each attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeName {
    stem: String,
}

/// Why no usable name could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    Empty,
}

impl SafeName {
    /// Cleans a name given by the clerk or taken from the customer's document.
    pub fn new(input: &str) -> Result<SafeName, NameError> {
        let trimmed = input.trim();
        let stem = match trimmed.len().checked_sub(EXTENSION.len()) {
            Some(cut)
                if trimmed.is_char_boundary(cut)
                    && trimmed[cut..].eq_ignore_ascii_case(EXTENSION) =>
            {
                &trimmed[..cut]
            }
            _ => trimmed,
        };
        let cleaned: String = stem
            .chars()
            .map(|c| match c {
                '"' | '*' | '/' | ':' | '<' | '>' | '?' | '\\' | '|' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        // A leading dot hides the file on Linux and macOS; trailing dots and spaces are dropped by
        // Windows, which then cannot open the file.
        let mut stem = cleaned
            .trim_start_matches(['.', ' '])
            .trim_end_matches(['.', ' '])
            .to_string();
        if stem.chars().all(|c| c == '_') {
            return Err(NameError::Empty);
        }
        if is_reserved(&stem) {
            stem.insert(0, '_');
        }
        Ok(SafeName { stem })
    }

    /// The name for attempt `n` (1 = the plain name, 2 = "name (2).pdf", …), within the length limits.
    pub fn candidate(&self, n: u32) -> String {
        let suffix = if n <= 1 {
            String::new()
        } else {
            format!(" ({n})")
        };
        let room = MAX_UNITS - EXTENSION.len() - suffix.len();
        let mut stem = String::new();
        let (mut units, mut bytes) = (0, 0);
        for c in self.stem.chars() {
            units += c.len_utf16();
            bytes += c.len_utf8();
            if units > room || bytes > room {
                break;
            }
            stem.push(c);
        }
        let stem = stem.trim_end_matches(['.', ' ']);
        format!("{stem}{suffix}{EXTENSION}")
    }

    pub fn stem(&self) -> &str {
        &self.stem
    }
}

/// Windows device names, refused with any extension (`CON.pdf`, `com1.tar.pdf`).
fn is_reserved(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or(stem)
        .trim_end()
        .to_ascii_uppercase();
    match base.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            (base.starts_with("COM") || base.starts_with("LPT"))
                && base.len() == 4
                && base.as_bytes()[3].is_ascii_digit()
        }
    }
}

/// Whether two names are the same on a case-insensitive file system (FAT, exFAT, NTFS).
pub fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, NameError>) {
        let got = SafeName::new(input).map(|n| n.candidate(1));
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expected,
            "name for {input:?}"
        );
        if let Ok(name) = got {
            assert!(
                name.encode_utf16().count() <= 255 && name.len() <= 255,
                "{name} fits"
            );
            assert!(name.ends_with(".pdf"), "{name} keeps .pdf");
        }
    }

    #[test]
    fn names_follow_the_fat_rules() {
        check("Surat Lamaran.pdf", Ok("Surat Lamaran.pdf"));
        check("surat.PDF", Ok("surat.pdf"));
        check("  surat lamaran  ", Ok("surat lamaran.pdf"));
        check("a:b*c?d\"e<f>g|h\\i/j.pdf", Ok("a_b_c_d_e_f_g_h_i_j.pdf"));
        check("tab\there\u{7f}.pdf", Ok("tab_here_.pdf"));
        check("CON.pdf", Ok("_CON.pdf"));
        check("con", Ok("_con.pdf"));
        check("lpt1.pdf", Ok("_lpt1.pdf"));
        check("COM9.backup.pdf", Ok("_COM9.backup.pdf"));
        check("COM10.pdf", Ok("COM10.pdf"));
        check("Console.pdf", Ok("Console.pdf"));
        check("akhir titik...pdf", Ok("akhir titik.pdf"));
        check("akhir spasi . .pdf", Ok("akhir spasi.pdf"));
        check(".tersembunyi.pdf", Ok("tersembunyi.pdf"));
        check(
            "Surat Keterangan é 2026.pdf",
            Ok("Surat Keterangan é 2026.pdf"),
        );
        check("laporan.docx", Ok("laporan.docx.pdf"));
        check("", Err(NameError::Empty));
        check("???.pdf", Err(NameError::Empty));
        check(" . .pdf", Err(NameError::Empty));
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = "é".repeat(300);
        let name = SafeName::new(&long).expect("usable");
        let first = name.candidate(1);
        assert_eq!(
            first.len(),
            255 - 1,
            "cut at a whole character within 255 bytes"
        );
        let third = name.candidate(3);
        assert!(third.ends_with(" (3).pdf") && third.len() <= 255, "{third}");
        let emoji = "📄".repeat(100);
        let name = SafeName::new(&emoji).expect("usable").candidate(12);
        assert!(name.encode_utf16().count() <= 255 && name.len() <= 255);
        assert!(name.ends_with(" (12).pdf"));
    }

    #[test]
    fn collisions_are_numbered_before_the_extension() {
        let name = SafeName::new("Surat.pdf").expect("usable");
        assert_eq!(name.candidate(2), "Surat (2).pdf");
        assert_eq!(name.candidate(10), "Surat (10).pdf");
        assert!(same_name("SURAT.PDF", "surat.pdf"));
        assert!(!same_name("surat (2).pdf", "surat.pdf"));
    }

    proptest::proptest! {
        #[test]
        fn any_input_gives_a_fat_safe_name_or_a_clear_refusal(input in "\\PC{0,300}", n in 1u32..200) {
            if let Ok(name) = SafeName::new(&input) {
                let name = name.candidate(n);
                proptest::prop_assert!(name.len() <= 255 && name.encode_utf16().count() <= 255);
                proptest::prop_assert!(name.ends_with(".pdf"));
                let stem = &name[..name.len() - 4];
                proptest::prop_assert!(!stem.is_empty());
                proptest::prop_assert!(!stem.ends_with(['.', ' ']) && !stem.starts_with('.'));
                proptest::prop_assert!(!name.chars().any(|c| "\"*/:<>?\\|".contains(c) || c.is_control()));
                proptest::prop_assert!(!is_reserved(stem));
            }
        }
    }
}
