//! Under `--lang en` the configuration's errors, `loket doctor`'s lines and `loket stamp`'s
//! argument errors are English, with no Indonesian left; by default they stay Indonesian.

use crate::common::{loket, loket_ok};
use std::path::Path;

/// A demo branch whose second service's prefix is `b1`; the line that holds it.
fn branch_with_bad_prefix(d: &Path) -> usize {
    loket_ok(d, &["init"]);
    let path = d.join("loket.toml");
    let text = std::fs::read_to_string(&path).expect("read loket.toml");
    let at = text.find("prefix = \"B\"").expect("prefix B in the demo");
    let line = text[..at].matches('\n').count() + 1;
    std::fs::write(&path, text.replacen("prefix = \"B\"", "prefix = \"b1\"", 1))
        .expect("write loket.toml");
    line
}

fn no_indonesian(text: &str, words: &[&str]) {
    for word in words {
        assert!(!text.contains(word), "{word:?} left in: {text}");
    }
}

#[test]
fn lang_en_words_a_configuration_error_with_its_line_and_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let line = branch_with_bad_prefix(d);

    let en = loket(d, &["--lang", "en", "queue", "status"]);
    assert_eq!(en.status.code(), Some(1));
    let en = String::from_utf8_lossy(&en.stderr);
    assert!(
        en.contains(&format!(
            "loket.toml:{line}: key 'prefix': prefix 'b1' must be 1–3 capital letters, for example \"A\""
        )),
        "{en}"
    );
    no_indonesian(&en, &["kunci", "awalan", "harus", "huruf", "misalnya"]);

    let id = loket(d, &["queue", "status"]);
    let id = String::from_utf8_lossy(&id.stderr);
    assert!(
        id.contains(&format!(
            "loket.toml:{line}: kunci 'prefix': awalan 'b1' harus 1–3 huruf kapital, misalnya \"A\""
        )),
        "{id}"
    );

    // A key serde does not know is worded too.
    let path = d.join("loket.toml");
    let text = std::fs::read_to_string(&path).expect("read loket.toml");
    let text = text
        .replacen("prefix = \"b1\"", "prefix = \"B\"", 1)
        .replacen("timezone = ", "timezon = ", 1);
    std::fs::write(&path, text).expect("write loket.toml");
    let en = loket(d, &["--lang", "en", "queue", "status"]);
    let en = String::from_utf8_lossy(&en.stderr);
    assert!(
        en.contains("key 'timezon': unknown key") && en.contains("(typo?); known keys:"),
        "{en}"
    );
    no_indonesian(&en, &["kunci", "tidak dikenal", "salah ketik"]);
}

#[test]
fn lang_en_doctor_names_what_it_could_not_check_in_english() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    branch_with_bad_prefix(d);

    let en = loket(d, &["--lang", "en", "doctor"]);
    assert_eq!(en.status.code(), Some(1));
    let en = String::from_utf8_lossy(&en.stdout);
    for line in [
        "key 'prefix': prefix 'b1' must be 1–3 capital letters",
        "e-mail server not checked: the configuration is not valid yet",
        "time zone not checked: the configuration is not valid yet",
        "Peruri root certificates not checked",
    ] {
        assert!(en.contains(line), "{line:?} missing from: {en}");
    }
    no_indonesian(
        &en,
        &[
            "server e-mail",
            "zona waktu",
            "sertifikat akar",
            "kunci",
            "awalan",
            "tidak",
        ],
    );

    let id = loket(d, &["doctor"]);
    let id = String::from_utf8_lossy(&id.stdout);
    assert!(id.contains("server e-mail"), "{id}");
    assert!(id.contains("zona waktu"), "{id}");
}

#[test]
fn lang_en_words_stamp_argument_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let at = loket(
        d,
        &["--lang", "en", "stamp", "in.pdf", "out.pdf", "--at", "140"],
    );
    assert_eq!(at.status.code(), Some(2));
    let at = String::from_utf8_lossy(&at.stderr);
    assert!(
        at.contains("format: X,Y in millimetres, for example 140,230"),
        "{at}"
    );
    no_indonesian(&at, &["dalam milimeter", "misalnya"]);

    let negative = loket(
        d,
        &["--lang", "en", "stamp", "in.pdf", "out.pdf", "--at=-1,5"],
    );
    let negative = String::from_utf8_lossy(&negative.stderr);
    assert!(
        negative.contains("X and Y must be non-negative numbers of millimetres"),
        "{negative}"
    );

    let offset = loket(
        d,
        &[
            "--lang",
            "en",
            "stamp",
            "in.pdf",
            "out.pdf",
            "--utc-offset",
            "WIB",
        ],
    );
    let offset = String::from_utf8_lossy(&offset.stderr);
    assert!(
        offset.contains("unknown time zone \"WIB\"; use for example +07:00"),
        "{offset}"
    );
    no_indonesian(&offset, &["zona waktu", "tidak dikenal"]);

    let id = loket(d, &["stamp", "in.pdf", "out.pdf", "--at", "140"]);
    let id = String::from_utf8_lossy(&id.stderr);
    assert!(
        id.contains("format: X,Y dalam milimeter, misalnya 140,230"),
        "{id}"
    );
}
