//! The `[display]` settings of the web hall display: refused with the file, line and key named.

use loket::config::{Config, DEFAULT_TOML};
use std::path::Path;

fn refusal(edit: impl Fn(&str) -> String) -> String {
    let text = edit(DEFAULT_TOML);
    match Config::parse(&text, Path::new("loket.toml")) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("line")
}

#[test]
fn hall_display_settings_are_checked_with_their_line() {
    let cfg = Config::parse(DEFAULT_TOML, Path::new("loket.toml")).expect("demo");
    assert!(cfg.display.voice);
    assert!(!cfg.display.ticket_qr, "off by default");
    assert_eq!(*cfg.display.voice_volume.get_ref(), 80);

    let text = DEFAULT_TOML.replace("voice_volume = 80", "voice_volume = 120");
    let line = line_of(&text, "voice_volume = 120");
    let e = refusal(|t| t.replace("voice_volume = 80", "voice_volume = 120"));
    assert!(
        e.starts_with(&format!("loket.toml:{line}: kunci 'voice_volume'")),
        "{e}"
    );

    let e = refusal(|t| t.replace("voice_numbers = \"digits\"", "voice_numbers = \"roman\""));
    assert!(e.contains("loket.toml:"), "{e}");

    let e = refusal(|t| t.replace("ticket_qr = false", "ticket_qr = true"));
    assert!(
        e.contains("kunci 'public_url'") && e.contains("ticket_qr"),
        "{e}"
    );

    let edit = |t: &str| {
        t.replace(
            "# public_url = \"http://192.168.1.10:8080\"",
            "public_url = \"192.168.1.10:8080\"",
        )
    };
    let line = line_of(&edit(DEFAULT_TOML), "public_url = \"192");
    let e = refusal(edit);
    assert!(
        e.starts_with(&format!("loket.toml:{line}: kunci 'public_url'")),
        "{e}"
    );

    let edit = |t: &str| {
        t.replace(
            "# spoken_name = \"meja e-Meterai\"",
            "spoken_name = \"meja/1\"",
        )
    };
    let line = line_of(&edit(DEFAULT_TOML), "spoken_name = \"meja/1\"");
    let e = refusal(edit);
    assert!(
        e.starts_with(&format!("loket.toml:{line}: kunci 'spoken_name'")),
        "{e}"
    );
}
