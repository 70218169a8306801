//! The spoken call: which audio segments say "nomor antrian, A, nol nol tujuh, silakan ke, loket,
//! dua", the default segments embedded in the binary, and a branch's own recordings that replace them.

use crate::config::{Config, VoiceNumbers};
use std::path::{Path, PathBuf};

/// Folder of a branch's own recordings inside the data folder: `DATA/voice/<name>.ogg`.
pub const CUSTOM_FOLDER: &str = "voice";

/// Extensions a branch's own recording may have, in the order they are looked for, with the
/// content type the browser gets.
const CUSTOM_KINDS: [(&str, &str); 4] = [
    ("ogg", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
];

macro_rules! segments {
    ($($name:literal),* $(,)?) => {
        /// The default segments made by `voice/make-segments.sh` (espeak-ng, Indonesian voice).
        const DEFAULTS: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!("../../voice/segments/", $name, ".ogg")))),*
        ];
    };
}

segments![
    "chime",
    "nomor-antrian",
    "silakan-ke",
    "huruf-a",
    "huruf-b",
    "huruf-c",
    "huruf-d",
    "huruf-e",
    "huruf-f",
    "huruf-g",
    "huruf-h",
    "huruf-i",
    "huruf-j",
    "huruf-k",
    "huruf-l",
    "huruf-m",
    "huruf-n",
    "huruf-o",
    "huruf-p",
    "huruf-q",
    "huruf-r",
    "huruf-s",
    "huruf-t",
    "huruf-u",
    "huruf-v",
    "huruf-w",
    "huruf-x",
    "huruf-y",
    "huruf-z",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "sepuluh",
    "sebelas",
    "belas",
    "puluh",
    "seratus",
    "ratus",
    "seribu",
    "ribu",
    "loket",
    "meja",
    "kasir",
    "e-meterai",
    "layanan",
    "informasi",
    "prioritas",
    "pengiriman",
];

/// Names of every default segment.
pub fn default_names() -> impl Iterator<Item = &'static str> {
    DEFAULTS.iter().map(|(name, _)| *name)
}

/// A segment's audio as served to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audio {
    /// A branch's own recording.
    Custom {
        path: PathBuf,
        content_type: &'static str,
    },
    /// The embedded default.
    Default(&'static [u8]),
}

/// Whether `name` can be a segment name (and so a file name): lowercase letters, digits, `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The audio for segment `name`: the branch's own recording in `DATA/voice` when there is one,
/// else the default, else `None`.
pub fn find(data_dir: &Path, name: &str) -> Option<Audio> {
    if !valid_name(name) {
        return None;
    }
    let folder = data_dir.join(CUSTOM_FOLDER);
    for (ext, content_type) in CUSTOM_KINDS {
        let path = folder.join(format!("{name}.{ext}"));
        if path.is_file() {
            return Some(Audio::Custom { path, content_type });
        }
    }
    DEFAULTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| Audio::Default(bytes))
}

/// The segments of a number read as a number in Indonesian: 7 "tujuh", 12 "dua belas", 110
/// "seratus sepuluh", 1500 "seribu lima ratus".
pub fn number_words(n: u32) -> Vec<String> {
    fn below_thousand(n: u32, out: &mut Vec<String>) {
        let hundreds = n / 100;
        let rest = n % 100;
        match hundreds {
            0 => {}
            1 => out.push("seratus".into()),
            h => {
                out.push(h.to_string());
                out.push("ratus".into());
            }
        }
        match rest {
            0 => {}
            1..=9 => out.push(rest.to_string()),
            10 => out.push("sepuluh".into()),
            11 => out.push("sebelas".into()),
            12..=19 => {
                out.push((rest - 10).to_string());
                out.push("belas".into());
            }
            _ => {
                out.push((rest / 10).to_string());
                out.push("puluh".into());
                if !rest.is_multiple_of(10) {
                    out.push((rest % 10).to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    if n == 0 {
        out.push("0".into());
        return out;
    }
    if n >= 1_000_000 {
        // Past what a queue range allows (9999): read digit by digit.
        return n.to_string().chars().map(String::from).collect();
    }
    let thousands = n / 1000;
    match thousands {
        0 => {}
        1 => out.push("seribu".into()),
        t => {
            below_thousand(t, &mut out);
            out.push("ribu".into());
        }
    }
    below_thousand(n % 1000, &mut out);
    out
}

/// The segments of the ticket number as the ticket prints it (`007`), read as configured.
pub fn ticket_number_words(number: u32, style: VoiceNumbers) -> Vec<String> {
    match style {
        VoiceNumbers::Digits => format!("{number:03}").chars().map(String::from).collect(),
        VoiceNumbers::Number => number_words(number),
    }
}

/// The segments of a counter's spoken name: "meja e-Meterai" → `meja`, `e-meterai`; a number in it
/// is read as a number ("loket 12" → `loket`, `1`, `belas`... as "dua belas"). `Err` names a word
/// that cannot be a segment.
pub fn spoken_words(name: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for word in name.split_whitespace() {
        if let Ok(n) = word.parse::<u32>() {
            out.extend(number_words(n));
            continue;
        }
        let lower = word.to_lowercase();
        if !valid_name(&lower) {
            return Err(word.to_string());
        }
        out.push(lower);
    }
    if out.is_empty() {
        return Err(name.to_string());
    }
    Ok(out)
}

/// The spoken name of counter `number`: its `spoken_name`, or "loket N".
pub fn counter_name(config: &Config, number: u32) -> String {
    config
        .counter(number)
        .and_then(|c| c.spoken_name.as_ref())
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| format!("loket {number}"))
}

/// Every segment of one call, in the order the page plays them: the chime, "nomor antrian", the
/// service letters, the number, "silakan ke", the counter's spoken name.
pub fn call_segments(config: &Config, prefix: &str, number: u32, counter: u32) -> Vec<String> {
    let mut out = vec!["chime".to_string(), "nomor-antrian".to_string()];
    out.extend(
        prefix
            .chars()
            .map(|c| format!("huruf-{}", c.to_ascii_lowercase())),
    );
    out.extend(ticket_number_words(number, config.display.voice_numbers));
    out.push("silakan-ke".into());
    // The configuration check refuses names that give no words; "loket N" is the fallback.
    out.extend(
        spoken_words(&counter_name(config, counter))
            .unwrap_or_else(|_| spoken_words(&format!("loket {counter}")).unwrap_or_default()),
    );
    out
}

/// Every segment the configuration can ask for: each service's letters and every number of its
/// range, each counter's spoken name, and the fixed words. Sorted, without repeats.
pub fn needed(config: &Config) -> Vec<String> {
    let mut all = std::collections::BTreeSet::new();
    for fixed in ["chime", "nomor-antrian", "silakan-ke"] {
        all.insert(fixed.to_string());
    }
    for svc in &config.services {
        for c in svc.prefix().chars() {
            all.insert(format!("huruf-{}", c.to_ascii_lowercase()));
        }
        let [first, last] = *svc.range.get_ref();
        for n in first..=last {
            all.extend(ticket_number_words(n, config.display.voice_numbers));
        }
    }
    for counter in &config.counters {
        let n = *counter.number.get_ref();
        let words = spoken_words(&counter_name(config, n)).unwrap_or_default();
        all.extend(words);
    }
    all.into_iter().collect()
}

/// The segments the configuration needs that neither `DATA/voice` nor the defaults have.
pub fn missing(config: &Config, data_dir: &Path) -> Vec<String> {
    needed(config)
        .into_iter()
        .filter(|name| find(data_dir, name).is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(n: u32, expected: &str) {
        assert_eq!(number_words(n).join(" "), expected, "{n}");
    }

    #[test]
    fn numbers_read_in_indonesian() {
        check(0, "0");
        check(7, "7");
        check(10, "sepuluh");
        check(11, "sebelas");
        check(12, "2 belas");
        check(20, "2 puluh");
        check(47, "4 puluh 7");
        check(100, "seratus");
        check(110, "seratus sepuluh");
        check(215, "2 ratus 5 belas");
        check(999, "9 ratus 9 puluh 9");
        check(1000, "seribu");
        check(1500, "seribu 5 ratus");
        check(2019, "2 ribu 9 belas");
        check(9999, "9 ribu 9 ratus 9 puluh 9");
        check(12_345, "2 belas ribu 3 ratus 4 puluh 5");
    }

    #[test]
    fn digits_keep_the_printed_zeros() {
        assert_eq!(
            ticket_number_words(7, VoiceNumbers::Digits),
            ["0", "0", "7"]
        );
        assert_eq!(ticket_number_words(7, VoiceNumbers::Number), ["7"]);
        assert_eq!(
            ticket_number_words(1234, VoiceNumbers::Digits),
            ["1", "2", "3", "4"]
        );
    }

    #[test]
    fn spoken_names_become_segment_names() {
        assert_eq!(
            spoken_words("meja e-Meterai").as_deref(),
            Ok(&["meja".to_string(), "e-meterai".to_string()][..])
        );
        assert_eq!(
            spoken_words("loket 12").map(|w| w.join(" ")),
            Ok("loket 2 belas".to_string())
        );
        assert!(spoken_words("meja/1").is_err());
        assert!(spoken_words("   ").is_err());
    }

    #[test]
    fn every_default_segment_file_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("voice/segments");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("voice/segments")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".ogg"))
                    .map(str::to_string)
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = default_names().map(str::to_string).collect();
        listed.sort();
        assert_eq!(files, listed);
        assert!(default_names().all(valid_name));
    }
}
