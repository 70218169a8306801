//! The Debian package on this machine, as a branch technician installs it: build it with
//! `packaging/build-deb.sh` around the test binary, install with dpkg, run the program and
//! `loket doctor` as the `loket` user, verify every systemd unit, upgrade over it with branch data
//! in place, remove (data kept), purge with debconf's default answer (data kept) and with "yes"
//! (data gone). Needs root (dpkg): CI runs as root.

use crate::common::loket_bin;
use std::path::Path;
use std::process::{Command, Output};

const DATA: &str = "/var/lib/loket";
/// Written into the data folder by this test, so that a run cut short is cleaned up by the next.
const MARKER: &str = "/var/lib/loket/.package-test";

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `loket --data /var/lib/loket ARGS` as the `loket` system user, as the units run it.
fn as_loket(args: &[&str]) -> Output {
    let mut full = vec!["-u", "loket", "--", "/usr/bin/loket", "--data", DATA];
    full.extend_from_slice(args);
    run("runuser", &full)
}

fn build(version: &str, out: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/build-deb.sh");
    let bin = loket_bin();
    let deb = ok(
        "bash",
        &[
            script.to_str().expect("path"),
            "--binary",
            bin.to_str().expect("path"),
            "--version",
            version,
            "--out",
            out.to_str().expect("path"),
            "--compress",
            "none",
        ],
    );
    deb.trim().to_string()
}

fn purge_everything() {
    ok(
        "bash",
        &[
            "-c",
            "echo 'loket loket/purge_data boolean true' | debconf-set-selections",
        ],
    );
    let _ = run("dpkg", &["--purge", "loket"]);
}

#[test]
fn the_package_installs_upgrades_and_removes_without_losing_branch_data() {
    assert!(
        rustix::process::geteuid().is_root(),
        "the package test installs with dpkg: run the tests as root (CI does)"
    );
    if Path::new(DATA).exists() {
        assert!(
            Path::new(MARKER).exists(),
            "{DATA} exists and was not made by this test: purge that installation first \
             (apt purge loket), the test installs and removes the package"
        );
        purge_everything();
    }
    let dir = tempfile::tempdir().expect("dir");
    let first = build("0.1.0", dir.path());
    let second = build("0.1.1", dir.path());
    assert!(first.ends_with("loket_0.1.0_amd64.deb"), "{first}");

    // Install: the program, the user, the configuration linked into the data folder.
    ok("dpkg", &["-i", &first]);
    std::fs::write(MARKER, b"").expect("marker");
    let version = ok("/usr/bin/loket", &["--version"]);
    assert!(version.starts_with("loket "), "{version}");
    ok("getent", &["passwd", "loket"]);
    assert!(Path::new("/etc/loket/loket.toml").exists());
    let link = std::fs::read_link(format!("{DATA}/loket.toml")).expect("config link");
    assert_eq!(link, Path::new("/etc/loket/loket.toml"));
    for page in ["loket.1.gz", "loket.en.1.gz", "loket-worker.1.gz"] {
        assert!(
            Path::new("/usr/share/man/man1").join(page).exists(),
            "{page}"
        );
    }
    let units = [
        "/lib/systemd/system/loket-worker.service",
        "/lib/systemd/system/loket-dispenser.service",
        "/lib/systemd/system/loket-display.service",
        "/lib/systemd/system/loket-display-web.service",
    ];
    let mut verify = vec!["verify", "--man=no"];
    verify.extend_from_slice(&units);
    let checked = run("systemd-analyze", &verify);
    assert!(
        checked.status.success(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let doctor = as_loket(&["doctor"]);
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        said.contains('✓') && said.lines().count() >= 5,
        "doctor ran as loket: {said}{}",
        String::from_utf8_lossy(&doctor.stderr)
    );

    // Branch data, then an upgrade over it.
    let issued = as_loket(&["queue", "issue", "A"]);
    assert!(issued.status.success(), "{issued:?}");
    let ticket = String::from_utf8_lossy(&issued.stdout).trim().to_string();
    let before = String::from_utf8_lossy(&as_loket(&["queue", "ticket", &ticket, "--json"]).stdout)
        .into_owned();
    ok("dpkg", &["-i", &second]);
    let after = String::from_utf8_lossy(&as_loket(&["queue", "ticket", &ticket, "--json"]).stdout)
        .into_owned();
    assert_eq!(before, after, "the ticket survives the upgrade");
    assert!(as_loket(&["journal", "verify"]).status.success());
    assert!(ok("dpkg-query", &["-W", "-f=${Version}", "loket"]).contains("0.1.1"));

    // Remove keeps the data; purge with the default answer keeps it too.
    ok("dpkg", &["-r", "loket"]);
    assert!(
        Path::new(DATA).join("loket.db").exists(),
        "remove keeps the data"
    );
    ok("dpkg", &["-i", &second]);
    ok(
        "bash",
        &[
            "-c",
            "echo 'loket loket/purge_data boolean false' | debconf-set-selections",
        ],
    );
    ok("dpkg", &["--purge", "loket"]);
    assert!(
        Path::new(DATA).join("loket.db").exists(),
        "purge keeps the data unless the technician says yes"
    );
    // Saying yes removes it.
    ok("dpkg", &["-i", &second]);
    purge_everything();
    assert!(!Path::new(DATA).exists(), "purge with yes removes the data");
    assert!(!Path::new("/usr/bin/loket").exists());
}
