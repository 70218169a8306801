//! The `[stamping.peruri]` section: the commented example parses, mistakes are named.

use loket::config::{Config, DEFAULT_TOML, PeruriMode};
use std::path::Path;

/// The default configuration with the commented Peruri example switched on.
fn with_peruri(edit: impl Fn(String) -> String) -> Result<Config, String> {
    let mut text = String::new();
    let mut in_example = false;
    for line in DEFAULT_TOML.lines() {
        if line.starts_with("# [stamping.peruri]") {
            in_example = true;
        }
        if in_example && line.starts_with("# ") && line.contains(" = ")
            || line == "# [stamping.peruri]"
        {
            text.push_str(&line[2..]);
        } else {
            if in_example && !line.starts_with('#') {
                in_example = false;
            }
            text.push_str(line);
        }
        text.push('\n');
    }
    let text = edit(text.replace("provider = \"local\"", "provider = \"peruri\""));
    Config::parse(&text, Path::new("loket.toml")).map_err(|e| e.to_string())
}

#[test]
fn the_commented_example_is_a_valid_configuration() {
    let config = with_peruri(|t| t).expect("example parses");
    let p = config.stamping.peruri.expect("section present");
    assert_eq!(p.mode, PeruriMode::Onprem);
    assert_eq!(p.password_env.as_deref(), Some("LOKET_PERURI_PASSWORD"));
    assert_eq!(p.adapter_url, "http://127.0.0.1:7777");
    assert_eq!(p.adapter_folder, "/sharefolder");
    assert_eq!((p.retries, p.breaker_failures), (3, 5));
}

#[test]
fn mistakes_in_the_section_are_named() {
    let check = |edit: &dyn Fn(String) -> String, says: &str| {
        let err = with_peruri(edit).expect_err("refused");
        assert!(err.contains(says), "{err} says {says:?}");
    };
    check(
        &|t| t.replace("mode = \"onprem\"", "mode = \"hybrid\""),
        "onprem",
    );
    check(&|t| t.replace("retries = 3", "retry = 3"), "tidak dikenal");
    check(
        &|t| t.replace("password_env = \"LOKET_PERURI_PASSWORD\"", ""),
        "password_env",
    );
    check(
        &|t| t.replace("shared_folder = \"/srv/signadapter/sharefolder\"", ""),
        "shared_folder",
    );
    let no_section = DEFAULT_TOML.replace("provider = \"local\"", "provider = \"peruri\"");
    let err = Config::parse(&no_section, Path::new("loket.toml")).expect_err("refused");
    assert!(err.to_string().contains("[stamping.peruri]"), "{err}");
}

#[test]
fn the_password_comes_from_the_named_environment_variable() {
    let mut cfg = loket::config::PeruriConfig::new("loket@pos.test", "http://127.0.0.1:9");
    cfg.shared_folder = Some(std::env::temp_dir());
    cfg.password_env = Some("LOKET_TEST_PERURI_PASSWORD_UNSET".into());
    let err = loket::stamping::peruri::PeruriProvider::isolated(cfg).expect_err("unset variable");
    assert!(
        err.to_string().contains("LOKET_TEST_PERURI_PASSWORD_UNSET"),
        "{err}"
    );
}
