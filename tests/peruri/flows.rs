//! Happy paths: on-prem and cloud stamping end to end, token caching and renewal, the read-only calls.

use super::{Env, PDF, issue_request, request_id, stamp_request};
use loket::config::PeruriMode;
use loket::stamping::provider::{
    Health, ListFilter, Provider, ProviderError, SerialState, is_serial_number,
};
use loket::testing::fake_peruri::{Fault, Route};
use serde_json::Value;

#[test]
fn onprem_issues_a_serial_with_image_and_stamps_through_the_adapter() {
    let env = Env::new(PeruriMode::Onprem);
    let quota_before = env.provider.quota().expect("quota").remaining;
    let issued = env
        .provider
        .issue_serial_once(&issue_request(1))
        .expect("sn");
    assert!(is_serial_number(&issued.sn), "{}", issued.sn);
    assert!(!issued.reconciled);
    let image = issued
        .stamp_image
        .clone()
        .expect("on-prem reply carries the stamp image");
    assert!(image.starts_with(b"\x89PNG"), "stamp image is a PNG");
    assert_eq!(env.state_of(&issued.sn), SerialState::NotStamped);

    let stamped = env
        .provider
        .stamp(&stamp_request(1, &issued))
        .expect("stamped");
    assert!(stamped.starts_with(PDF), "the input is kept as is");
    let marker = String::from_utf8_lossy(&stamped[PDF.len()..]).to_string();
    assert!(marker.contains(&format!("SN={}", issued.sn)), "{marker}");
    assert!(
        marker.contains(&format!("reason=[{}] Surat Pernyataan", issued.sn)),
        "{marker}"
    );
    assert!(
        marker.contains("box=[400.0, 100.0, 485.0, 185.0]"),
        "{marker}"
    );

    // The adapter was given the shared-folder paths in its own style and the normalised box.
    let sign = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.route == Route::AdapterSign)
        .expect("adapter call");
    let name = format!("{}.pdf", issued.sn);
    assert_eq!(sign.body["src"], format!("/sharefolder/UNSIGNED/{name}"));
    assert_eq!(sign.body["dest"], format!("/sharefolder/SIGNED/{name}"));
    assert_eq!(
        sign.body["spesimenPath"],
        format!("/sharefolder/STAMP/{}.png", issued.sn)
    );
    assert_eq!(sign.body["refToken"], issued.sn.as_str());
    assert_eq!(sign.body["profileName"], "emeteraicertificateSigner");
    assert_eq!(sign.body["retryFlag"], "0");
    assert!(sign.body["visLLY"].as_f64() < sign.body["visURY"].as_f64());
    assert_eq!(sign.request_id.as_deref(), Some(request_id(1).as_str()));

    assert_eq!(env.state_of(&issued.sn), SerialState::Stamped);
    assert_eq!(
        env.provider.quota().expect("quota").remaining,
        quota_before - 1
    );
    // The shared folder is only a mailbox: the output stays there until the stamping service has
    // stored it (a crash before that finds it again), then nothing of this job stays behind.
    let signed = env
        .share
        .path()
        .join("SIGNED")
        .join(format!("{}.pdf", issued.sn));
    assert!(signed.exists(), "kept until released");
    env.provider.release(&issued.sn);
    for dir in ["UNSIGNED", "SIGNED", "STAMP"] {
        let left: Vec<_> = std::fs::read_dir(env.share.path().join(dir))
            .expect("folder exists")
            .collect();
        assert!(left.is_empty(), "{dir} left {left:?}");
    }
}

#[test]
fn the_adapter_path_style_is_configurable() {
    let env = Env::with(PeruriMode::Onprem, |c| {
        c.adapter_folder = "sharefolder".into()
    });
    let issued = env
        .provider
        .issue_serial_once(&issue_request(2))
        .expect("sn");
    env.provider
        .stamp(&stamp_request(2, &issued))
        .expect("stamped");
    let sign = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.route == Route::AdapterSign)
        .expect("adapter call");
    assert_eq!(
        sign.body["src"],
        format!("sharefolder/UNSIGNED/{}.pdf", issued.sn)
    );
}

#[test]
fn cloud_uploads_issues_against_the_file_stamps_and_downloads() {
    let env = Env::new(PeruriMode::Cloud);
    let issued = env
        .provider
        .issue_serial_once(&issue_request(3))
        .expect("sn");
    assert!(issued.stamp_image.is_none(), "cloud mode returns no image");
    assert!(issued.handle.is_some(), "cloud mode hands back the upload");
    let stamped = env
        .provider
        .stamp(&stamp_request(3, &issued))
        .expect("stamped");
    assert!(stamped.starts_with(PDF));
    assert!(String::from_utf8_lossy(&stamped).contains(&issued.sn));

    let log = env.fake.requests();
    let upload = log
        .iter()
        .find(|r| r.route == Route::Upload)
        .expect("upload");
    assert!(
        upload.body["fields"]["token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "token field"
    );
    assert_eq!(upload.body["files"]["file"]["size"], PDF.len());
    let sn_call = log
        .iter()
        .find(|r| r.route == Route::IssueSerial)
        .expect("sn call");
    assert_eq!(sn_call.body["isUpload"], true);
    let sign = log
        .iter()
        .find(|r| r.route == Route::CloudSign)
        .expect("keystamp");
    assert_eq!(sign.body["docId"], sn_call.body["idfile"]);
    assert_eq!(sign.body["onPrem"], false);
    assert_eq!(
        sign.body["spesimenPath"],
        format!("/sharefolder/{}.png", issued.sn)
    );
    assert_eq!(env.count(Route::Upload), 1);
    assert_eq!(env.count(Route::Download), 1);
    assert_eq!(env.state_of(&issued.sn), SerialState::Stamped);
}

#[test]
fn one_login_serves_many_calls_and_an_expired_token_is_renewed_once() {
    let env = Env::new(PeruriMode::Onprem);
    for _ in 0..5 {
        env.provider.quota().expect("quota");
    }
    for n in 10..13 {
        env.provider
            .issue_serial_once(&issue_request(n))
            .expect("sn");
    }
    assert_eq!(env.fake.logins(), 1, "the token is cached");

    env.fake.expire_tokens();
    env.provider.quota().expect("quota after expiry");
    assert_eq!(env.fake.logins(), 2, "renewed after the 401");
    env.provider.quota().expect("quota");
    assert_eq!(env.fake.logins(), 2);

    // "Token expired" in a reply is handled the same way, and a clone shares the token.
    env.fake.inject(Some(Route::Quota), Fault::TokenExpired, 1);
    env.provider.clone().quota().expect("quota");
    assert_eq!(env.fake.logins(), 3);
}

#[test]
fn the_token_lifetime_comes_from_the_jwt_exp_claim() {
    // The configured fallback lifetime is zero: were the JWT's `exp` ignored, every call would log in.
    let env = Env::with(PeruriMode::Onprem, |c| c.token_lifetime_s = 0);
    for _ in 0..3 {
        env.provider.quota().expect("quota");
    }
    assert_eq!(env.fake.logins(), 1);
    assert_eq!(env.count(Route::Quota), 3);
}

#[test]
fn wrong_credentials_fail_once_without_retries() {
    let env = Env::with(PeruriMode::Onprem, |c| c.password = Some("salah".into()));
    let err = env.provider.quota().expect_err("refused");
    assert!(matches!(err, ProviderError::AuthFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("akun Peruri"), "{err}");
    assert_eq!(env.count(Route::Login), 1);
    assert_eq!(env.count(Route::Quota), 0);
}

#[test]
fn document_types_come_from_the_service_or_the_builtin_list() {
    let env = Env::new(PeruriMode::Onprem);
    let types = env.provider.document_types().expect("types");
    assert!(
        types
            .iter()
            .any(|t| t.kode == "3" && t.nama.contains("Surat Pernyataan"))
    );
    env.provider.document_types().expect("cached");
    assert_eq!(
        env.count(Route::DocumentTypes),
        1,
        "cached after the first call"
    );

    let down = Env::new(PeruriMode::Onprem);
    down.fake
        .inject(Some(Route::DocumentTypes), Fault::Status(500), u32::MAX);
    let fallback = down.provider.document_types().expect("fallback");
    assert_eq!(
        fallback.iter().map(|t| t.kode.as_str()).collect::<Vec<_>>(),
        ["2", "3", "4a", "4b"]
    );
}

#[test]
fn quota_status_and_list_read_the_service_state() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake.set_quota(7);
    let a = env
        .provider
        .issue_serial_once(&issue_request(20))
        .expect("sn");
    let b = env
        .provider
        .issue_serial_once(&issue_request(21))
        .expect("sn");
    env.provider.stamp(&stamp_request(20, &a)).expect("stamp");
    let q = env.provider.quota().expect("quota");
    assert_eq!((q.remaining, q.not_stamped), (5, 1));
    let unknown = env
        .provider
        .serial_status("AAAAAAAAAAAAAAAAAAAAAA")
        .expect("status");
    assert!(matches!(unknown.state, SerialState::Unknown(_)));

    let page = env
        .provider
        .list_serials(&ListFilter {
            state: None,
            start: 0,
            length: 10,
        })
        .expect("list");
    assert_eq!(page.total, 2);
    let find = |sn: &str| {
        page.items
            .iter()
            .find(|e| e.sn == sn)
            .expect("listed")
            .clone()
    };
    assert_eq!(find(&a.sn).state, SerialState::Stamped);
    assert_eq!(find(&b.sn).state, SerialState::NotStamped);
    assert!(find(&b.sn).file.expect("file").contains(&request_id(21)));
    let notstamp = env
        .provider
        .list_serials(&ListFilter {
            state: Some(SerialState::NotStamped),
            start: 0,
            length: 10,
        })
        .expect("list");
    assert_eq!(
        notstamp
            .items
            .iter()
            .map(|e| e.sn.clone())
            .collect::<Vec<_>>(),
        [b.sn]
    );
    assert_eq!(env.provider.health(), Health::Up);
}

#[test]
fn every_serial_request_carries_the_request_id() {
    let env = Env::new(PeruriMode::Onprem);
    env.fake
        .inject(Some(Route::IssueSerial), Fault::Status(503), 2);
    env.provider
        .issue_serial_once(&issue_request(30))
        .expect("sn");
    let calls: Vec<_> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::IssueSerial)
        .collect();
    assert_eq!(calls.len(), 3);
    let rid = request_id(30);
    for c in &calls {
        assert_eq!(c.request_id.as_deref(), Some(rid.as_str()));
        assert_eq!(c.idempotency_key.as_deref(), Some(rid.as_str()));
        assert_eq!(c.body["nodoc"], Value::from(rid.as_str()));
        assert!(
            c.body["namafile"]
                .as_str()
                .is_some_and(|f| f.starts_with(&rid))
        );
    }
}

#[test]
fn the_fake_runs_as_a_command() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .args([
            "dev",
            "fake-peruri",
            "--listen",
            "127.0.0.1:0",
            "--quota",
            "3",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("loket runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("base url printed")
        .trim_end_matches('.')
        .to_string();
    let mut cfg = loket::config::PeruriConfig::new("loket@pos.test", &url);
    cfg.password = Some("rahasia-uji".into());
    cfg.shared_folder = Some(std::env::temp_dir());
    let provider = loket::stamping::peruri::PeruriProvider::isolated(cfg).expect("provider");
    let quota = provider.quota();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(quota.expect("quota from the command's fake").remaining, 3);
}

#[test]
fn many_threads_share_one_login() {
    let env = Env::new(PeruriMode::Onprem);
    std::thread::scope(|s| {
        for _ in 0..8 {
            let p = env.provider.clone();
            s.spawn(move || {
                for _ in 0..5 {
                    p.quota().expect("quota");
                }
            });
        }
    });
    assert_eq!(env.fake.logins(), 1);
    assert_eq!(env.count(Route::Quota), 40);
}

#[test]
fn a_cloud_serial_recovered_after_a_restart_is_stamped_on_a_fresh_upload() {
    let env = Env::new(PeruriMode::Cloud);
    env.fake
        .inject(Some(Route::IssueSerial), Fault::DropAfterIssue, 1);
    let mut cfg = env.fake.config(PeruriMode::Cloud);
    cfg.retries = 0;
    let first = loket::stamping::peruri::PeruriProvider::isolated(cfg).expect("provider");
    assert!(
        first.issue_serial_once(&issue_request(140)).is_err(),
        "reply lost"
    );

    let restarted = env.restarted(PeruriMode::Cloud);
    let mut again = issue_request(140);
    again.attempted_before = true;
    let issued = restarted.issue_serial_once(&again).expect("found");
    assert!(issued.reconciled);
    assert_eq!(
        issued.handle, None,
        "the upload id died with the first process"
    );
    let stamped = restarted
        .stamp(&stamp_request(140, &issued))
        .expect("stamped");
    assert!(String::from_utf8_lossy(&stamped).contains(&issued.sn));
    assert_eq!(
        env.count(Route::Upload),
        2,
        "uploaded again for the stamping call"
    );
    assert_eq!(env.fake.serials().len(), 1);
}

#[test]
fn a_cloud_upload_handed_back_after_a_restart_is_used_again() {
    let env = Env::new(PeruriMode::Cloud);
    env.fake
        .inject(Some(Route::IssueSerial), Fault::DropAfterIssue, 1);
    let mut cfg = env.fake.config(PeruriMode::Cloud);
    cfg.retries = 0;
    let first = loket::stamping::peruri::PeruriProvider::isolated(cfg).expect("provider");
    // The service stores this handle with the job before it asks for the SN.
    let handle = first
        .upload_document(&issue_request(141))
        .expect("upload")
        .expect("cloud mode hands back an upload handle");
    assert!(
        first.issue_serial_once(&issue_request(141)).is_err(),
        "reply lost"
    );
    assert_eq!(
        env.count(Route::Upload),
        1,
        "the SN request used the upload made first"
    );

    let restarted = env.restarted(PeruriMode::Cloud);
    restarted.resume_upload(&request_id(141), &handle);
    let mut again = issue_request(141);
    again.attempted_before = true;
    let issued = restarted.issue_serial_once(&again).expect("found");
    assert!(issued.reconciled);
    assert!(issued.handle.is_some(), "the handed-back upload goes on");
    let stamped = restarted
        .stamp(&stamp_request(141, &issued))
        .expect("stamped");
    assert!(String::from_utf8_lossy(&stamped).contains(&issued.sn));
    assert_eq!(env.count(Route::Upload), 1, "no second upload");
    assert_eq!(env.fake.serials().len(), 1);
}

#[test]
fn onprem_needs_no_upload_before_the_serial() {
    let env = Env::new(PeruriMode::Onprem);
    assert_eq!(
        env.provider
            .upload_document(&issue_request(142))
            .expect("no upload"),
        None
    );
    assert_eq!(env.count(Route::Upload), 0);
}

#[test]
fn the_provider_is_built_from_the_branch_configuration() {
    let mut stamping = loket::config::Stamping::default();
    assert!(
        loket::stamping::peruri::PeruriProvider::from_config(&stamping)
            .expect("local provider")
            .is_none()
    );
    let env = Env::new(PeruriMode::Onprem);
    stamping.provider = "peruri".into();
    stamping.peruri = Some(env.fake.config(PeruriMode::Onprem));
    let p = loket::stamping::peruri::PeruriProvider::from_config(&stamping)
        .expect("peruri provider")
        .expect("configured");
    assert_eq!(p.quota().expect("quota").remaining, 100);
}
