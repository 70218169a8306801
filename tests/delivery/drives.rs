//! Flash drive delivery on real file systems: exFAT over FUSE on a loop device, size-capped and
//! read-only tmpfs, a FUSE daemon killed mid-copy, and detection from a fabricated sysfs tree.

use super::fixtures::{Medium, pdf_bytes, run, sha256};
use crate::common::TestBranch;
use loket::LoketError;
use loket::delivery::{Context, CopyError, DeliveryError, Phase, Progress, drives};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A stored "stamped" document in the branch's data folder, with its hash.
fn stored(t: &TestBranch, name: &str, size: usize, seed: u64) -> (PathBuf, String) {
    let dir = t.path().join("documents");
    std::fs::create_dir_all(&dir).expect("documents folder");
    let path = dir.join(name);
    let bytes = pdf_bytes(size, seed);
    std::fs::write(&path, &bytes).expect("write stored document");
    (path, sha256(&bytes))
}

fn copy_error(e: DeliveryError) -> CopyError {
    match e {
        DeliveryError::Copy(c) => c,
        other => panic!("expected a copy error, got {other:?}"),
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_copy_to_exfat_is_verified_named_safely_and_recorded() {
    let mut t = TestBranch::new();
    let mut drive = Medium::exfat(64, "POSUSB");
    let (source, hash) = stored(&t, "job-1.pdf", 3 * 1024 * 1024 + 17, 1);
    // Left by a copy whose drive was pulled, in a process long gone.
    let orphan = drive.mount.join(".loket-4194000-0badf00d.part");
    std::fs::write(&orphan, b"half a document").expect("orphan");
    let mut seen: Vec<Progress> = Vec::new();
    let done = t
        .branch
        .delivery()
        .copy_to_drive(
            &source,
            &hash,
            "Surat: Lamaran/CPNS? é 2026.pdf",
            &drive.mount,
            &Context::by("petugas1"),
            &mut |p| seen.push(p),
        )
        .expect("copy succeeds");
    assert_eq!(
        done.path,
        drive.mount.join("Surat_ Lamaran_CPNS_ é 2026.pdf")
    );
    assert_eq!(done.sha256, hash);
    assert_eq!(done.bytes, 3 * 1024 * 1024 + 17);
    assert!(!done.already_there);
    for phase in [Phase::Writing, Phase::Verifying] {
        let steps: Vec<u64> = seen
            .iter()
            .filter(|p| p.phase == phase)
            .map(|p| p.done)
            .collect();
        assert!(
            steps.windows(2).all(|w| w[0] <= w[1]),
            "{phase:?} progress only grows: {steps:?}"
        );
        assert_eq!(
            steps.last(),
            Some(&done.bytes),
            "{phase:?} progress ends at the total"
        );
    }
    assert!(
        leftovers(&drive.mount).is_empty(),
        "no temporary file left, the orphan removed"
    );
    drive.remount();
    let on_drive = std::fs::read(&done.path).expect("file is on the drive after remount");
    assert_eq!(sha256(&on_drive), hash);
    let (copies, journal): (i64, i64) = t.branch.store_mut().read(|c| {
        Ok::<_, LoketError>((
            c.query_row("SELECT COUNT(*) FROM drive_copies WHERE sha256 = ?1", [&hash], |r| r.get(0))?,
            c.query_row("SELECT COUNT(*) FROM journal WHERE kind = 'delivery.copied' AND actor = 'petugas1'", (), |r| r.get(0))?,
        ))
    }).expect("read");
    assert_eq!((copies, journal), (1, 1));
}

#[test]
fn collisions_get_a_number_and_an_identical_file_counts_as_delivered() {
    let mut t = TestBranch::new();
    let drive = Medium::exfat(16, "KOLISI");
    std::fs::write(
        drive.mount.join("SURAT.PDF"),
        b"%PDF-1.4 a different document",
    )
    .expect("pre-existing file");
    let (source, hash) = stored(&t, "job-2.pdf", 200_000, 2);
    let ctx = Context::by("petugas1");
    let first = t
        .branch
        .delivery()
        .copy_to_drive(&source, &hash, "surat.pdf", &drive.mount, &ctx, &mut |_| {})
        .expect("copy");
    assert_eq!(first.path, drive.mount.join("surat (2).pdf"));
    assert!(!first.already_there);
    assert_eq!(
        std::fs::read(drive.mount.join("SURAT.PDF")).expect("kept"),
        b"%PDF-1.4 a different document"
    );
    let again = t
        .branch
        .delivery()
        .copy_to_drive(&source, &hash, "surat.pdf", &drive.mount, &ctx, &mut |_| {})
        .expect("copy again");
    assert_eq!(again.path, first.path, "the identical copy is recognised");
    assert!(again.already_there);
    let (other, other_hash) = stored(&t, "job-3.pdf", 1000, 3);
    let third = t
        .branch
        .delivery()
        .copy_to_drive(
            &other,
            &other_hash,
            "Surat.pdf",
            &drive.mount,
            &ctx,
            &mut |_| {},
        )
        .expect("copy third");
    assert_eq!(third.path, drive.mount.join("Surat (3).pdf"));
    let mut names: Vec<String> = std::fs::read_dir(&drive.mount)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["SURAT.PDF", "Surat (3).pdf", "surat (2).pdf"]);
}

#[test]
fn a_full_drive_is_refused_up_front_and_when_it_fills_mid_copy() {
    let mut t = TestBranch::new();
    let drive = Medium::tmpfs("1m", false);
    let ctx = Context::by("petugas1");
    let (big, big_hash) = stored(&t, "besar.pdf", 2 * 1024 * 1024, 4);
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(
                &big,
                &big_hash,
                "besar.pdf",
                &drive.mount,
                &ctx,
                &mut |_| {},
            )
            .expect_err("too big"),
    );
    assert!(
        matches!(e, CopyError::DriveFull { source: None, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("penuh") && e.to_string().contains("flash disk lain"),
        "{e}"
    );
    assert!(
        std::fs::read_dir(&drive.mount)
            .expect("list")
            .next()
            .is_none(),
        "nothing written"
    );

    let (doc, hash) = stored(&t, "sedang.pdf", 700 * 1024, 5);
    let filler = drive.mount.join("filler.bin");
    let mut filled = false;
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(&doc, &hash, "sedang.pdf", &drive.mount, &ctx, &mut |p| {
                if !filled && p.phase == Phase::Writing {
                    // Another writer takes the space after the up-front check passed.
                    std::fs::write(&filler, vec![0u8; 600 * 1024]).expect("fill the drive");
                    filled = true;
                }
            })
            .expect_err("runs out of space"),
    );
    assert!(
        matches!(
            e,
            CopyError::DriveFull {
                source: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(leftovers(&drive.mount).is_empty(), "temporary file removed");
    assert!(!drive.mount.join("sedang.pdf").exists());
    assert_eq!(
        sha256(&std::fs::read(&doc).expect("source")),
        hash,
        "stored file untouched"
    );
}

#[test]
fn a_write_protected_drive_is_reported_as_read_only() {
    let mut t = TestBranch::new();
    let drive = Medium::tmpfs("1m", true);
    let (doc, hash) = stored(&t, "ro.pdf", 10_000, 6);
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(
                &doc,
                &hash,
                "ro.pdf",
                &drive.mount,
                &Context::by("petugas1"),
                &mut |_| {},
            )
            .expect_err("read-only"),
    );
    assert!(matches!(e, CopyError::ReadOnly { .. }), "{e:?}");
    assert!(e.to_string().contains("tidak dapat ditulisi"), "{e}");
}

#[test]
fn pulling_the_drive_mid_copy_fails_as_removed_and_leaves_the_stored_file_intact() {
    let mut t = TestBranch::new();
    let drive = Medium::exfat(64, "DICABUT");
    let (doc, hash) = stored(&t, "cabut.pdf", 24 * 1024 * 1024, 7);
    let pid = drive.fuse_pid();
    let mut pulled = false;
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(
                &doc,
                &hash,
                "cabut.pdf",
                &drive.mount,
                &Context::by("petugas1"),
                &mut |p| {
                    if !pulled && p.phase == Phase::Writing && p.done > 0 {
                        run(Command::new("kill").arg("-9").arg(pid.to_string()));
                        while Path::new(&format!("/proc/{pid}/status"))
                            .exists()
                            .then(|| {
                                std::fs::read_to_string(format!("/proc/{pid}/status"))
                                    .unwrap_or_default()
                            })
                            .is_some_and(|s| !s.contains("State:\tZ"))
                        {
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        pulled = true;
                    }
                },
            )
            .expect_err("the drive went away"),
    );
    assert!(pulled, "the copy was interrupted");
    assert!(matches!(e, CopyError::DriveRemoved { .. }), "{e:?}");
    assert!(e.to_string().contains("terlepas"), "{e}");
    assert_eq!(
        sha256(&std::fs::read(&doc).expect("source still there")),
        hash,
        "stored file untouched"
    );
    let copies: i64 = t
        .branch
        .store_mut()
        .read(|c| {
            Ok::<_, LoketError>(c.query_row("SELECT COUNT(*) FROM drive_copies", (), |r| r.get(0))?)
        })
        .expect("read");
    assert_eq!(copies, 0, "a failed copy is not recorded as delivered");
    // The clerk retries on another drive.
    let other = Medium::exfat(64, "LAIN");
    let done = t
        .branch
        .delivery()
        .copy_to_drive(
            &doc,
            &hash,
            "cabut.pdf",
            &other.mount,
            &Context::by("petugas1"),
            &mut |_| {},
        )
        .expect("retry on another drive");
    assert_eq!(done.sha256, hash);
}

#[test]
fn a_bad_name_or_a_changed_source_is_refused() {
    let mut t = TestBranch::new();
    let target = tempfile::tempdir().expect("folder");
    let (doc, hash) = stored(&t, "nama.pdf", 5000, 8);
    let ctx = Context::by("petugas1");
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(&doc, &hash, "???.pdf", target.path(), &ctx, &mut |_| {})
            .expect_err("empty name"),
    );
    assert!(matches!(e, CopyError::NameInvalid { .. }), "{e:?}");
    let wrong = "0".repeat(64);
    let e = copy_error(
        t.branch
            .delivery()
            .copy_to_drive(&doc, &wrong, "nama.pdf", target.path(), &ctx, &mut |_| {})
            .expect_err("hash differs"),
    );
    assert!(matches!(e, CopyError::SourceChanged { .. }), "{e:?}");
    assert!(
        std::fs::read_dir(target.path())
            .expect("list")
            .next()
            .is_none(),
        "nothing left behind"
    );
}

/// A sysfs device folder with `size` (in 512-byte sectors) and optional `removable`.
fn device_dir(path: &Path, sectors: u64, removable: Option<&str>, partition: bool) {
    std::fs::create_dir_all(path).expect("device dir");
    // Kernel names map to numbers as on a real system: sdX partitions 8:(16*disk + n), loop 7:0.
    let name = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let number = match name.as_bytes() {
        [b's', b'd', disk, rest @ ..] => {
            let part: u32 = std::str::from_utf8(rest)
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(0);
            format!("8:{}", u32::from(disk - b'a') * 16 + part)
        }
        _ => "7:0".to_string(),
    };
    std::fs::write(path.join("dev"), format!("{number}\n")).expect("dev");
    std::fs::write(path.join("size"), format!("{sectors}\n")).expect("size");
    if let Some(r) = removable {
        std::fs::write(path.join("removable"), format!("{r}\n")).expect("removable");
    }
    if partition {
        std::fs::write(path.join("partition"), "1\n").expect("partition");
    }
}

/// A fabricated system: a USB stick partition (labelled, with a space), a USB stick without a
/// partition table mounted read-only, an internal SATA disk, a USB hard disk (not removable),
/// a loop device and a tmpfs.
fn fabricated_system(root: &Path) {
    let usb = root.join(
        "sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/host6/target6:0:0/6:0:0:0/block",
    );
    device_dir(&usb.join("sdb"), 15_728_640, Some("1"), false);
    device_dir(&usb.join("sdb/sdb1"), 15_726_592, None, true);
    let usb2 = root.join(
        "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host7/target7:0:0/7:0:0:0/block",
    );
    device_dir(&usb2.join("sdc"), 2_000_000, Some("1"), false);
    let usb_hdd = root.join(
        "sys/devices/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host8/target8:0:0/8:0:0:0/block",
    );
    device_dir(&usb_hdd.join("sdd"), 1_953_525_168, Some("0"), false);
    device_dir(&usb_hdd.join("sdd/sdd1"), 1_953_523_120, None, true);
    let sata =
        root.join("sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block");
    device_dir(&sata.join("sda"), 500_118_192, Some("0"), false);
    device_dir(&sata.join("sda/sda2"), 400_000_000, None, true);
    device_dir(
        &root.join("sys/devices/virtual/block/loop0"),
        131_072,
        Some("0"),
        false,
    );
    // Inserted but not mounted: a stick with one partition.
    let usb3 = root.join(
        "sys/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host9/target9:0:0/9:0:0:0/block",
    );
    device_dir(&usb3.join("sde"), 8_000_000, Some("1"), false);
    device_dir(&usb3.join("sde/sde1"), 7_999_000, None, true);
    let block = root.join("sys/block");
    std::fs::create_dir_all(&block).expect("sys/block");
    for (name, dir) in [
        ("sda", sata.join("sda")),
        ("sdb", usb.join("sdb")),
        ("sdc", usb2.join("sdc")),
        ("sdd", usb_hdd.join("sdd")),
        ("sde", usb3.join("sde")),
        ("loop0", root.join("sys/devices/virtual/block/loop0")),
    ] {
        let target =
            PathBuf::from("..").join(dir.strip_prefix(root.join("sys")).expect("under sys"));
        symlink(target, block.join(name)).expect("block link");
    }
    let links = root.join("sys/dev/block");
    std::fs::create_dir_all(&links).expect("dev/block");
    let rel = |p: PathBuf| {
        PathBuf::from("../..").join(p.strip_prefix(root.join("sys")).expect("under sys"))
    };
    symlink(rel(usb.join("sdb/sdb1")), links.join("8:17")).expect("link");
    symlink(rel(usb2.join("sdc")), links.join("8:32")).expect("link");
    symlink(rel(usb_hdd.join("sdd/sdd1")), links.join("8:49")).expect("link");
    symlink(rel(sata.join("sda/sda2")), links.join("8:2")).expect("link");
    symlink(
        rel(root.join("sys/devices/virtual/block/loop0")),
        links.join("7:0"),
    )
    .expect("link");
    symlink(rel(usb3.join("sde/sde1")), links.join("8:65")).expect("link");
    let labels = root.join("dev/disk/by-label");
    std::fs::create_dir_all(&labels).expect("by-label");
    symlink("../../sdb1", labels.join("POS\\x20USB")).expect("label link");
    symlink("../../sda2", labels.join("SYSTEM")).expect("label link");
    let media = root.join("media");
    for m in ["POS USB", "sdc", "hdd", "loop"] {
        std::fs::create_dir_all(media.join(m)).expect("mount point");
    }
    let m = |name: &str| media.join(name).display().to_string().replace(' ', "\\040");
    let mountinfo = format!(
        "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n\
         60 22 8:17 / {} rw,nosuid,nodev shared:5 - exfat /dev/sdb1 rw,iocharset=utf8\n\
         61 22 8:32 / {} ro,nosuid shared:6 - vfat /dev/sdc ro\n\
         62 22 8:49 / {} rw shared:7 - ntfs3 /dev/sdd1 rw\n\
         63 22 7:0 / {} rw shared:8 - ext4 /dev/loop0 rw\n\
         64 22 0:50 / /run/user/0 rw - tmpfs tmpfs rw,size=1m\n\
         65 22 8:17 / {} rw shared:9 - exfat /dev/sdb1 rw\n",
        m("POS USB"),
        m("sdc"),
        m("hdd"),
        m("loop"),
        m("POS USB"),
    );
    std::fs::create_dir_all(root.join("proc/self")).expect("proc");
    std::fs::write(root.join("proc/self/mountinfo"), mountinfo).expect("mountinfo");
}

#[test]
fn only_removable_usb_drives_are_detected_from_sysfs_and_mountinfo() {
    let root = tempfile::tempdir().expect("root");
    fabricated_system(root.path());
    let roots = drives::DriveRoots {
        mountinfo: root.path().join("proc/self/mountinfo"),
        sys: root.path().join("sys"),
        dev: root.path().join("dev"),
    };
    let found = drives::detect(&roots).expect("detect");
    let summary: Vec<(String, String, String, u64, bool)> = found
        .iter()
        .map(|d| {
            (
                d.label.clone(),
                d.kernel_name.clone(),
                d.disk.clone(),
                d.size_bytes,
                d.read_only,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "POS USB".to_string(),
                "sdb1".to_string(),
                "sdb".to_string(),
                15_726_592 * 512,
                false
            ),
            (
                "sdc".to_string(),
                "sdc".to_string(),
                "sdc".to_string(),
                2_000_000 * 512,
                true
            ),
        ]
    );
    assert_eq!(found[0].mount_point, root.path().join("media/POS USB"));
    assert_eq!(drives::unmounted(&roots).expect("unmounted"), ["/dev/sde1"]);
    assert_eq!(found[0].device, "/dev/sdb1");
    assert!(
        found.iter().all(|d| d.free_bytes.is_some()),
        "free space from statvfs"
    );

    std::fs::write(root.path().join("media/POS USB/Lamaran.pdf"), b"%PDF-1.7").expect("pdf");
    let out = Command::new(crate::common::loket_bin())
        .args(["drives", "--json", "--pdfs", "--data"])
        .arg(TestBranch::new().path())
        .env(loket::delivery::DRIVE_ROOT_VAR, root.path())
        .output()
        .expect("run loket drives");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json[0]["label"], "POS USB");
    assert_eq!(json[0]["pdfs"][0]["relative"], "Lamaran.pdf");
    assert_eq!(json[1]["read_only"], true);
}

#[test]
fn pdfs_are_listed_sorted_with_sizes_skipping_hidden_and_deep_folders() {
    let root = tempfile::tempdir().expect("drive");
    let r = root.path();
    for (path, size) in [
        ("b.pdf", 10),
        ("A.PDF", 20),
        ("catatan.txt", 5),
        ("Dokumen/CASN/surat.pdf", 30),
        ("Dokumen/lamaran.pdf", 40),
        ("Dokumen/CASN/terlalu/dalam.pdf", 50),
        (".Trash-1000/buang.pdf", 60),
        ("System Volume Information/x.pdf", 70),
        ("._b.pdf", 80),
    ] {
        let p = r.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(&p, vec![b'x'; size]).expect("write");
    }
    let list = drives::list_pdfs(r).expect("list");
    let got: Vec<(&str, u64)> = list
        .iter()
        .map(|p| (p.relative.as_str(), p.bytes))
        .collect();
    assert_eq!(
        got,
        [
            ("A.PDF", 20),
            ("b.pdf", 10),
            ("Dokumen/CASN/surat.pdf", 30),
            ("Dokumen/lamaran.pdf", 40)
        ]
    );
}

#[test]
fn ejecting_without_udisks_flushes_the_drive() {
    let mut t = TestBranch::new();
    let drive = Medium::exfat(16, "LEPAS");
    std::fs::write(drive.mount.join("a.pdf"), b"%PDF").expect("write");
    assert!(
        drives::udisksctl().is_none(),
        "this machine has no udisksctl; the flush path is what runs here"
    );
    let d = drives::Drive {
        mount_point: drive.mount.clone(),
        device: drive.loop_device.clone().expect("loop"),
        kernel_name: "loop".into(),
        disk: "loop".into(),
        fs_type: "fuseblk".into(),
        label: "LEPAS".into(),
        size_bytes: 0,
        free_bytes: None,
        read_only: false,
    };
    let done = t.branch.delivery().eject(&d).expect("eject");
    assert_eq!(done, drives::Ejected::Synced);
    assert!(done.message().contains("aman"));
}

#[test]
fn the_export_command_copies_and_reports_in_indonesian() {
    let t = TestBranch::new();
    let drive = Medium::tmpfs("1m", false);
    let (doc, hash) = stored(&t, "cli.pdf", 50_000, 9);
    let mount = drive.mount.display().to_string();
    let out = t.cli(&[
        "export",
        "--file",
        &doc.display().to_string(),
        "--to-drive",
        &mount,
        "--name",
        "Surat Kuasa",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Tersalin dan terverifikasi")
            && text.contains("Surat Kuasa.pdf")
            && text.contains(&hash),
        "{text}"
    );
    let (big, _) = stored(&t, "cli-besar.pdf", 2 * 1024 * 1024, 10);
    let out = t.cli(&[
        "export",
        "--file",
        &big.display().to_string(),
        "--to-drive",
        &mount,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("galat: Flash disk") && err.contains("penuh"),
        "{err}"
    );
}

#[test]
fn ejecting_with_udisks_unmounts_then_powers_off_the_whole_disk() {
    // udisks needs D-Bus, udevd and a real USB disk, none of which run here; a scripted udisksctl
    // that answers like the real one (exit status, stderr) records what loket asks of it.
    let root = tempfile::tempdir().expect("root");
    fabricated_system(root.path());
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let log = root.path().join("udisksctl.log");
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\n\
         case \"$1\" in\n  unmount) echo \"Unmounted $3.\" ;;\n  power-off) if [ -n \"$FAIL_POWER_OFF\" ]; then echo 'Error powering off drive: not supported' >&2; exit 1; fi ;;\nesac\n",
        log.display()
    );
    std::fs::write(bin.join("udisksctl"), script).expect("script");
    run(Command::new("chmod").arg("+x").arg(bin.join("udisksctl")));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = TestBranch::new();
    let mount = root.path().join("media/POS USB");
    let eject = |fail: bool| {
        let mut cmd = Command::new(crate::common::loket_bin());
        cmd.arg("--data")
            .arg(t.path())
            .arg("drives")
            .arg("--eject")
            .arg(&mount);
        cmd.env(loket::delivery::DRIVE_ROOT_VAR, root.path())
            .env("PATH", &path);
        if fail {
            cmd.env("FAIL_POWER_OFF", "1");
        }
        cmd.output().expect("run loket drives --eject")
    };
    let out = eject(false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("dilepas dengan aman"));
    let out = eject(true);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("tidak dapat dimatikan"));
    let calls = std::fs::read_to_string(&log).expect("udisksctl was called");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            "unmount -b /dev/sdb1",
            "power-off -b /dev/sdb",
            "unmount -b /dev/sdb1",
            "power-off -b /dev/sdb"
        ]
    );
    let out = Command::new(crate::common::loket_bin())
        .arg("--data")
        .arg(t.path())
        .args(["drives", "--eject", "/tidak/ada"])
        .env(loket::delivery::DRIVE_ROOT_VAR, root.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tidak ditemukan"));
}

#[test]
fn an_inserted_drive_is_mounted_through_udisks() {
    // The scripted udisksctl mounts as udisks does: it adds the mount to the (fabricated) table.
    let root = tempfile::tempdir().expect("root");
    fabricated_system(root.path());
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let media = root.path().join("media/BARU");
    std::fs::create_dir_all(&media).expect("media");
    let mountinfo = root.path().join("proc/self/mountinfo");
    let script = format!(
        "#!/bin/sh\n[ \"$1 $2 $3\" = \"mount -b /dev/sde1\" ] || {{ echo \"unexpected: $*\" >&2; exit 1; }}\n\
         echo '70 22 8:65 / {} rw shared:10 - exfat /dev/sde1 rw' >> '{}'\n\
         echo 'Mounted /dev/sde1 at {}'\n",
        media.display(),
        mountinfo.display(),
        media.display()
    );
    std::fs::write(bin.join("udisksctl"), script).expect("script");
    run(Command::new("chmod").arg("+x").arg(bin.join("udisksctl")));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = TestBranch::new();
    let loket_drives = |args: &[&str], path: &str| {
        Command::new(crate::common::loket_bin())
            .arg("--data")
            .arg(t.path())
            .arg("drives")
            .args(args)
            .env(loket::delivery::DRIVE_ROOT_VAR, root.path())
            .env("PATH", path)
            .output()
            .expect("run loket drives")
    };
    let listing = loket_drives(&[], &path);
    let listed = String::from_utf8_lossy(&listing.stdout);
    assert!(listed.contains("/dev/sde1  belum terpasang"), "{listed}");
    let out = loket_drives(&["--mount", "/dev/sde1"], &path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("BARU terpasang di") && said.contains("media/BARU"),
        "{said}"
    );
    let roots = drives::DriveRoots {
        mountinfo,
        sys: root.path().join("sys"),
        dev: root.path().join("dev"),
    };
    assert!(drives::unmounted(&roots).expect("unmounted").is_empty());
    // Without udisks the clerk is told what is missing.
    let out = loket_drives(&["--mount", "/dev/sde1"], "/usr/bin:/bin");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("udisks"));
}
