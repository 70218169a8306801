//! The voice segments: the set is complete for every service letter, every number of each range
//! and every configured counter name; a branch's own recording wins over the default, and a missing
//! one falls back to it.

use super::support::{DisplayServer, free_port};
use crate::common::TestBranch;
use loket::hall::voice;

#[test]
fn hall_voice_segments_cover_every_letter_number_and_counter_name() {
    let tb = TestBranch::new();
    let config = &tb.branch.config();
    assert_eq!(voice::missing(config, tb.path()), Vec::<String>::new());
    let needed = voice::needed(config);
    for name in ["huruf-a", "huruf-b", "huruf-c", "0", "9", "loket", "4"] {
        assert!(needed.iter().any(|n| n == name), "{name}");
    }

    // Numbers read as numbers over the widest range, letters of three-letter prefixes, and named
    // counters.
    let tb = TestBranch::with_config(|text| {
        text.replace("voice_numbers = \"digits\"", "voice_numbers = \"number\"")
            .replace(
                "# spoken_name = \"meja e-Meterai\"",
                "spoken_name = \"meja e-Meterai\"",
            )
            .replace("prefix = \"A\"", "prefix = \"XYZ\"")
            .replace(
                "services = [\"A\", \"B\", \"C\"]",
                "services = [\"XYZ\", \"B\", \"C\"]",
            )
            .replace("\"1\" = \"A\"", "\"1\" = \"XYZ\"")
    });
    let config = &tb.branch.config();
    assert!(config.services.iter().any(|s| s.prefix() == "XYZ"));
    for svc in &config.services {
        let [first, last] = *svc.range.get_ref();
        for n in first..=last {
            for name in voice::ticket_number_words(n, config.display.voice_numbers) {
                assert!(voice::find(tb.path(), &name).is_some(), "{n}: {name}");
            }
        }
    }
    assert_eq!(voice::missing(config, tb.path()), Vec::<String>::new());
    assert_eq!(
        voice::call_segments(config, "XYZ", 215, 4),
        [
            "chime",
            "nomor-antrian",
            "huruf-x",
            "huruf-y",
            "huruf-z",
            "2",
            "ratus",
            "5",
            "belas",
            "silakan-ke",
            "meja",
            "e-meterai"
        ]
    );

    // A name with a word no recording has is reported, and a recording of it completes the set.
    let tb = TestBranch::with_config(|text| {
        text.replace(
            "# spoken_name = \"meja e-Meterai\"",
            "spoken_name = \"meja umum\"",
        )
    });
    assert_eq!(voice::missing(tb.branch.config(), tb.path()), ["umum"]);
    std::fs::create_dir_all(tb.path().join("voice")).expect("voice folder");
    std::fs::write(tb.path().join("voice/umum.ogg"), b"OggS recorded").expect("recording");
    assert_eq!(
        voice::missing(tb.branch.config(), tb.path()),
        Vec::<String>::new()
    );
}

#[test]
fn hall_custom_recordings_win_and_missing_ones_fall_back_to_the_default() {
    let tb = TestBranch::new();
    let folder = tb.path().join(voice::CUSTOM_FOLDER);
    std::fs::create_dir_all(&folder).expect("voice folder");
    std::fs::write(folder.join("huruf-a.ogg"), b"OggS the branch's own A").expect("recording");
    std::fs::write(folder.join("loket.mp3"), b"ID3 the branch's own loket").expect("recording");
    let server = DisplayServer::start(tb.path(), &tb.fake_now(), free_port());
    let http = reqwest::blocking::Client::new();
    let get = |name: &str| {
        let r = http
            .get(server.url(&format!("/voice/{name}")))
            .send()
            .expect("request");
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, kind, r.bytes().expect("body").to_vec())
    };
    assert_eq!(
        get("huruf-a"),
        (200, "audio/ogg".into(), b"OggS the branch's own A".to_vec())
    );
    assert_eq!(
        get("loket"),
        (
            200,
            "audio/mpeg".into(),
            b"ID3 the branch's own loket".to_vec()
        )
    );
    let default_b = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("voice/segments/huruf-b.ogg"),
    )
    .expect("default segment");
    assert_eq!(get("huruf-b"), (200, "audio/ogg".into(), default_b));
    // A recording taken away: the default again, at once.
    std::fs::remove_file(folder.join("huruf-a.ogg")).expect("remove");
    let (status, _, body) = get("huruf-a");
    assert_eq!(status, 200);
    assert!(
        body.starts_with(b"OggS") && body.len() > 1000,
        "the default A"
    );
    assert_eq!(get("tidak-ada").0, 404);
    assert_eq!(get("Huruf-A").0, 404);
}
