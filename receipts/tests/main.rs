//! Snapshot tests of every receipt kind on every printer profile: ESC/POS bytes and text previews.

use loket_receipts::{
    Kind, Line, Profile, encode, layout, preview, sample, sample_forty_line_sale,
};

/// A byte-exact, reviewable dump: offset, 16 hex bytes, printable ASCII.
fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{:06x}  {:<47}  |{ascii}|\n",
            i * 16,
            hex.join(" ")
        ));
    }
    out
}

#[test]
fn escpos_bytes_of_every_kind_on_every_profile() {
    for profile in Profile::builtin() {
        for kind in Kind::ALL {
            let bytes = encode(&sample(kind), &profile).expect("samples encode on every profile");
            insta::assert_snapshot!(format!("bytes-{}-{}", kind, profile.name), hexdump(&bytes));
        }
    }
}

#[test]
fn text_preview_of_every_kind_on_every_profile() {
    for profile in Profile::builtin() {
        for kind in Kind::ALL {
            let text = preview(&sample(kind), &profile).expect("samples lay out on every profile");
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(profile.columns),
                    "{kind} on {}: line wider than the paper: {line:?}",
                    profile.name
                );
            }
            insta::assert_snapshot!(format!("preview-{}-{}", kind, profile.name), text);
        }
    }
}

#[test]
fn the_benchmark_sale_prints_forty_text_lines() {
    let lines = layout(&sample_forty_line_sale(), &Profile::mm80_48()).expect("lays out");
    let text_lines = lines
        .iter()
        .filter(|l| matches!(l, Line::Text { .. }))
        .count();
    assert_eq!(text_lines, 40);
}

#[test]
fn jobs_start_with_init_and_code_page_and_end_with_the_profile_cut() {
    for profile in Profile::builtin() {
        for kind in Kind::ALL {
            let bytes = encode(&sample(kind), &profile).expect("encodes");
            let table = profile.code_page.escpos_table();
            assert!(
                bytes.starts_with(&[0x1B, b'@', 0x1B, b't', table]),
                "{kind} {}",
                profile.name
            );
            let cut = match profile.cut {
                loket_receipts::CutMode::Full => 65,
                loket_receipts::CutMode::Partial => 66,
                loket_receipts::CutMode::None => unreachable!("built-in profiles all cut"),
            };
            assert!(
                bytes.ends_with(&[0x1D, b'V', cut, 0]),
                "{kind} {}",
                profile.name
            );
        }
    }
}

/// ESC/POS fixtures for the virtual printer's round-trip test in `loket-drivers` (which may not
/// depend on this crate): every kind on every profile, bytes and preview. Regenerate with
/// `LOKET_UPDATE_FIXTURES=1`; otherwise this fails when they no longer match the encoder.
#[test]
fn virtual_printer_fixtures_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../drivers/tests/fixtures");
    let update = std::env::var_os("LOKET_UPDATE_FIXTURES").is_some();
    if update {
        std::fs::create_dir_all(&dir).expect("create fixture folder");
    }
    for profile in Profile::builtin() {
        for kind in Kind::ALL {
            let doc = sample(kind);
            let bytes = encode(&doc, &profile).expect("encodes");
            let text = preview(&doc, &profile).expect("lays out");
            let base = dir.join(format!("{kind}-{}", profile.name));
            let (bin, txt) = (base.with_extension("escpos"), base.with_extension("txt"));
            if update {
                std::fs::write(&bin, &bytes).expect("write fixture");
                std::fs::write(&txt, &text).expect("write fixture");
            }
            let stale = "stale fixture: run LOKET_UPDATE_FIXTURES=1 cargo test -p loket-receipts";
            assert_eq!(
                std::fs::read(&bin).expect(stale),
                bytes,
                "{}: {stale}",
                bin.display()
            );
            assert_eq!(
                std::fs::read_to_string(&txt).expect(stale),
                text,
                "{}: {stale}",
                txt.display()
            );
        }
    }
}
