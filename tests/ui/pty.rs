//! End to end: the real `loket` binary in a pseudo-terminal, a ticket issued by a separate process,
//! the clerk serving it with F-keys, checked on the screen and in the database; and the hall display.

#[path = "harness.rs"]
mod harness;

use crate::common::{TestBranch, loket_bin};
use harness::{Pty, f_key};
use loket::queue::Status;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Every process in these tests runs on the same business day, whatever the machine's date.
const FAKE_NOW: &str = "2026-11-23T08:00:00+07:00";

fn loket_run(data: &Path, args: &[&str]) -> String {
    let out = Command::new(loket_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .env("LOKET_FAKE_NOW", FAKE_NOW)
        .env_remove("LOKET_DATA")
        .env_remove("LOKET_PIN")
        .output()
        .expect("run loket");
    assert!(
        out.status.success(),
        "loket {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn with_users() -> TestBranch {
    let mut tb = TestBranch::new();
    assert!(loket::ui::seed_demo_users(&mut tb.branch).expect("seed users"));
    tb
}

fn spawn(data: &Path, args: &[&str], cols: u16, rows: u16) -> Pty {
    let mut full = vec!["--data", data.to_str().expect("utf-8 temp path")];
    full.extend_from_slice(args);
    Pty::spawn(
        &loket_bin(),
        &full,
        &[("LOKET_FAKE_NOW", FAKE_NOW)],
        cols,
        rows,
    )
}

#[test]
fn a_clerk_serves_a_ticket_issued_by_the_dispenser() {
    let tb = with_users();
    let data = tb.path().to_path_buf();
    let mut pty = spawn(&data, &["counter", "--counter", "1"], 100, 30);
    pty.wait_for("Masuk petugas loket");
    pty.wait_for("Kantor Pos Demo");

    pty.send("petugas\t1234\r");
    pty.wait_for("Selamat bekerja");
    pty.wait_for("Tidak ada yang menunggu");

    // The dispenser side: a separate process issues a ticket; the counter sees it by itself.
    assert_eq!(loket_run(&data, &["queue", "issue", "A"]), "A-001");
    let a_waiting_one = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("A Surat"))
            .and_then(|row| row.split_whitespace().nth(3))
            == Some("1")
    };
    if pty.poll(Duration::from_secs(20), a_waiting_one).is_none() {
        panic!("A-001 never showed as waiting:\n{}", pty.contents());
    }

    pty.send(f_key(2));
    pty.wait_for("A-001 dipanggil ke loket 1.");
    pty.wait_for("dipanggil — menunggu pelanggan datang");
    pty.send(f_key(4));
    pty.wait_for("Mulai melayani A-001.");
    pty.wait_for("sedang dilayani");
    pty.send(f_key(5));
    pty.wait_for("A-001 selesai dilayani.");
    pty.wait_for("Tidak ada tiket di loket ini.");

    pty.send("\x11");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(
        status.as_ref().is_some_and(|s| s.success()),
        "Ctrl+Q ends the program cleanly: {status:?}"
    );

    // The test's own connection, on the same business day as the processes above.
    let mut branch = tb.reopen();
    assert_eq!(
        branch
            .queue()
            .ticket_info(&crate::common::no("A-001"))
            .expect("ticket")
            .status,
        Status::Done
    );
    let kinds: Vec<(String, String)> = branch
        .store_mut()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT actor, kind FROM journal WHERE subject = 'A-001' ORDER BY seq")?;
            let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok::<_, loket::LoketError>(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .expect("journal rows");
    let kinds: Vec<(&str, &str)> = kinds
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("admin", "ticket.issued"),
            ("petugas", "ticket.called"),
            ("petugas", "ticket.serve"),
            ("petugas", "ticket.done"),
        ]
    );
    let verify = Command::new(loket_bin())
        .arg("--data")
        .arg(&data)
        .args(["journal", "verify"])
        .output()
        .expect("journal verify");
    assert!(
        verify.status.success(),
        "journal intact: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn the_hall_display_shows_a_new_call_and_chimes() {
    let tb = with_users();
    let data = tb.path().to_path_buf();
    let pty = spawn(&data, &["display"], 100, 30);
    pty.wait_for("Belum ada panggilan hari ini.");
    pty.wait_for("Selamat datang di Kantor Pos Demo");
    assert_eq!(pty.bells(), 0);

    loket_run(&data, &["queue", "issue", "B"]);
    assert_eq!(
        loket_run(
            &data,
            &["queue", "call", "--counter", "3", "--clerk", "sari"]
        ),
        "B-001"
    );
    let big = loket::ui::view::display::big_text("B-001");
    pty.wait_for(big[0].trim_end());
    pty.wait_for("SILAKAN KE LOKET");
    let screen = pty.contents();
    for row in &big {
        assert!(
            screen.contains(row.trim_end()),
            "big B-001 row {row:?}:\n{screen}"
        );
    }
    if pty
        .poll(Duration::from_secs(10), |_| pty.bells() >= 1)
        .is_none()
    {
        panic!("no chime for the new call");
    }
    assert_eq!(pty.bells(), 1);
}

#[test]
fn a_small_terminal_is_asked_to_grow_and_resizing_redraws() {
    let tb = with_users();
    let mut pty = spawn(tb.path(), &["counter"], 60, 20);
    pty.wait_for("Perbesar jendela");
    pty.resize(80, 24);
    pty.wait_for("Masuk petugas loket");
    pty.resize(70, 24);
    pty.wait_for("Layar terlalu kecil (70×24)");
    pty.resize(120, 40);
    pty.wait_for("Masuk petugas loket");
}

#[test]
fn without_a_terminal_the_queue_is_printed_instead() {
    let tb = with_users();
    let out = Command::new(loket_bin())
        .arg("--data")
        .arg(tb.path())
        .arg("counter")
        .output()
        .expect("run loket");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Surat dan Paket") && text.contains("perlu terminal"),
        "{text}"
    );
}

#[test]
fn the_supervisor_sees_the_branch_and_reactivates_a_no_show() {
    let tb = with_users();
    let data = tb.path().to_path_buf();
    loket_run(&data, &["queue", "issue", "A"]);
    loket_run(
        &data,
        &["queue", "call", "--counter", "2", "--clerk", "budi"],
    );
    // Two minutes later (past the minimum wait) the clerk marks the customer absent.
    let out = Command::new(loket_bin())
        .arg("--data")
        .arg(&data)
        .args(["queue", "noshow", "--counter", "2", "--clerk", "budi"])
        .env("LOKET_FAKE_NOW", "2026-11-23T08:02:00+07:00")
        .output()
        .expect("noshow");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    loket_run(&data, &["queue", "issue", "B"]);
    loket_run(
        &data,
        &["queue", "call", "--counter", "3", "--clerk", "sari"],
    );

    let mut pty = spawn(&data, &["supervisor"], 100, 30);
    pty.wait_for("Masuk supervisor");
    pty.send("kepala\t9999\r");
    pty.wait_for("Supervisor: kepala");
    pty.wait_for("B-001 dipanggil");
    assert!(pty.contents().contains("sari"), "{}", pty.contents());

    pty.send("\x12");
    pty.wait_for("Aktifkan kembali tiket tidak hadir");
    pty.send("a-001\t9999\tsalah dengar nomor\r");
    pty.wait_for("A-001 diaktifkan kembali dan masuk antrean.");
    pty.wait_for("A-001");
    pty.send("\x11");
    assert!(
        pty.wait_exit(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );

    let mut branch = tb.reopen();
    assert_eq!(
        branch
            .queue()
            .ticket_info(&crate::common::no("A-001"))
            .expect("ticket")
            .status,
        Status::Waiting
    );
    let approvals: Vec<(String, String, String)> = branch
        .store_mut()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT supervisor, action, reason FROM approvals WHERE used_ms IS NOT NULL",
            )?;
            let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok::<_, loket::LoketError>(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .expect("approvals");
    assert_eq!(
        approvals,
        [(
            "kepala".to_string(),
            "ticket.reactivate".to_string(),
            "salah dengar nomor".to_string()
        )]
    );
}

#[test]
fn english_screens_with_lang_en() {
    let tb = with_users();
    let pty = spawn(tb.path(), &["--lang", "en", "counter"], 100, 30);
    pty.wait_for("Counter clerk sign-in");
    pty.wait_for("Demo branch: training clerk 'petugas' PIN 1234");
}

/// The whole e-Meterai flow in the real binary: a ticket from a separate `loket queue issue C`
/// process, called and served, the letter taken from the customer's drive (a folder the counter is
/// told to use), placed, paid in cash, stamped, copied back, and the ticket finished.
#[test]
fn a_customer_gets_a_stamped_letter_back_on_the_drive() {
    let mut tb = with_users();
    let (data, mut pty) = at_payment(&mut tb, true);
    pty.send("20000\r");
    pty.wait_for("Kembalian Rp10.000");
    pty.wait_for("Nomor seri e-Meterai: ");
    pty.wait_for("tanda tangan sah");
    pty.send("\r");
    pty.wait_for("Tersalin ke FLASHDISK/surat-lamaran-emeterai.pdf");
    pty.wait_for("Struk dan bukti pembubuhan tercetak.");
    pty.send(f_key(5));
    pty.wait_for("C-001 selesai dilayani.");
    pty.send("\x11");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(status.as_ref().is_some_and(|s| s.success()), "{status:?}");

    let mut branch = tb.reopen();
    assert_eq!(
        branch
            .queue()
            .ticket_info(&crate::common::no("C-001"))
            .expect("ticket")
            .status,
        Status::Done
    );
    let (sale_status, paid): (String, i64) = branch
        .store_mut()
        .read(|c| {
            Ok::<_, loket::LoketError>(c.query_row(
                "SELECT status, (SELECT SUM(amount) FROM payments WHERE sale = sales.id)
                 FROM sales WHERE ticket = 'C-001'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .expect("sale of the ticket");
    assert_eq!((sale_status.as_str(), paid), ("paid", 10_000));
    let copied: String = branch
        .store_mut()
        .read(|c| {
            Ok::<_, loket::LoketError>(c.query_row(
                "SELECT target FROM drive_copies WHERE actor = 'petugas'",
                (),
                |r| r.get(0),
            )?)
        })
        .expect("the copy is recorded");
    assert!(
        copied.ends_with("FLASHDISK/surat-lamaran-emeterai.pdf"),
        "{copied}"
    );

    let verify = loket_run(&data, &["verify", &copied]);
    assert!(
        verify.contains("SAH") && !verify.contains("TIDAK SAH"),
        "{verify}"
    );
    // The virtual printer's output: the sale receipt and the stamping proof, as text.
    let mut slips: Vec<String> = std::fs::read_dir(data.join("printer/loket1"))
        .expect("printer output folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).expect("slip text"))
        .collect();
    slips.sort();
    assert_eq!(slips.len(), 2, "{slips:#?}");
    assert!(slips.iter().any(|s| s.contains("Rp10.000")), "{slips:#?}");
    assert!(
        slips
            .iter()
            .any(|s| s.contains("surat-lamaran-emeterai.pdf")),
        "{slips:#?}"
    );
    let (state, sn): (String, String) = branch
        .store_mut()
        .read(|c| {
            Ok::<_, loket::LoketError>(c.query_row(
                "SELECT state, sn FROM stamp_jobs WHERE ticket = 'C-001'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .expect("the job");
    assert_eq!(state, "delivered");
    assert!(verify.contains(&sn), "{verify}");
    let journal = loket_run(&data, &["journal", "verify"]);
    assert!(journal.starts_with("Jurnal utuh"), "{journal}");
}

/// The e-Meterai flow again in the real binary, with the counter's printer a virtual printer on
/// loopback TCP whose state this test sets: the cash payment opens its drawer, the paper runs out
/// before the receipts, the screen says what to do, and after a new roll F8 brings the receipt and
/// the stamping proof out exactly once each.
#[test]
fn the_printer_runs_out_of_paper_mid_flow_and_f8_recovers_the_slips() {
    use loket_drivers::{VirtualConfig, VirtualPrinter, VirtualState, serve_tcp};
    let out = tempfile::tempdir().expect("printer output folder");
    let vp = VirtualPrinter::new(VirtualConfig::writing_to(576, out.path())).expect("printer");
    let server = serve_tcp(vp.clone(), "127.0.0.1:0".parse().expect("address")).expect("serve");
    let address = server.addr().to_string();
    let mut tb = TestBranch::with_config(|text| {
        let virtual_printer = "[printers.loket1]\nconnection = \"virtual\"\nprofile = \"80mm\"\noutput = \"printer/loket1\"\n";
        assert!(text.contains(virtual_printer), "the demo's counter printer");
        text.replace(
            virtual_printer,
            &format!("[printers.loket1]\nconnection = \"tcp\"\nprofile = \"80mm\"\naddress = \"{address}\"\n"),
        )
    });
    assert!(loket::ui::seed_demo_users(&mut tb.branch).expect("seed users"));
    let (_data, mut pty) = at_payment(&mut tb, false);
    pty.send("20000\r");
    pty.wait_for("Kembalian Rp10.000");
    pty.wait_for("tanda tangan sah");
    assert_eq!(vp.kicks().len(), 1, "the cash payment opened the drawer");

    // The roll ends before the receipts.
    vp.set_state(VirtualState::PaperOut);
    pty.send("\r");
    pty.wait_for("Tersalin ke FLASHDISK/surat-lamaran-emeterai.pdf");
    pty.wait_for("Kertas printer habis — ganti gulungan lalu tekan F8 untuk cetak ulang");
    assert_eq!(vp.jobs_printed(), 0, "nothing printed without paper");

    // A new roll, F8: both slips come out.
    vp.set_state(VirtualState::Ok);
    pty.send(f_key(8));
    pty.wait_for("Struk dan bukti pembubuhan tercetak.");
    if pty
        .poll(Duration::from_secs(20), |s| {
            !s.contains("Kertas printer habis")
        })
        .is_none()
    {
        panic!("the paper-out notice stayed:\n{}", pty.contents());
    }
    pty.send(f_key(5));
    pty.wait_for("C-001 selesai dilayani.");
    pty.send("\x11");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(status.as_ref().is_some_and(|s| s.success()), "{status:?}");

    let jobs = vp.jobs();
    assert_eq!(jobs.len(), 2, "{jobs:#?}");
    assert!(
        jobs[0].text.contains("Rp10.000") && !jobs[0].text.contains("salinan (cetak ulang)"),
        "the receipt, as the original:\n{}",
        jobs[0].text
    );
    assert!(
        jobs[1].text.contains("surat-lamaran-emeterai.pdf"),
        "the stamping proof:\n{}",
        jobs[1].text
    );
    let files = std::fs::read_dir(out.path())
        .expect("printer output")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .count();
    assert_eq!(files, 2);
    let mut branch = tb.reopen();
    let kinds: Vec<(String, String)> = branch
        .store_mut()
        .read(|c| {
            let mut stmt = c.prepare("SELECT kind, status FROM print_jobs ORDER BY id")?;
            let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok::<_, loket::LoketError>(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .expect("print jobs");
    let kinds: Vec<(&str, &str)> = kinds
        .iter()
        .map(|(k, s)| (k.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sale", "failed"),
            ("sale", "printed"),
            ("stamp-proof", "printed")
        ]
    );
    server.stop();
}

/// The counter in a pty on `tb`'s branch with a drawer session open and the letter on the
/// customer's drive (`usb`): signed in, ticket C-001 from a separate `loket queue issue C` process
/// called and served, the letter checked and placed (`nudge` moves the box 1 mm left first), and the
/// payment step on screen. Returns the data folder (the drive is its `FLASHDISK`) and the pty.
fn at_payment(tb: &mut TestBranch, nudge: bool) -> (PathBuf, Pty) {
    at_payment_with(tb, nudge, &[])
}

/// [`at_payment`] with more environment for the counter (a crash point).
fn at_payment_with(tb: &mut TestBranch, nudge: bool, env: &[(&str, &str)]) -> (PathBuf, Pty) {
    let (data, mut pty) = at_placement(tb, env);
    if nudge {
        pty.send("\x1b[D");
        pty.wait_for("X 156 mm");
    }
    // Enter accepts the place; the bill is on the payment screen.
    pty.send("\r");
    pty.wait_for("Uang diterima");
    pty.wait_for("1 ×     Rp10.000");
    (data, pty)
}

/// As [`at_payment`], stopped at the proposed place (the document taken and received).
fn at_placement(tb: &mut TestBranch, env: &[(&str, &str)]) -> (PathBuf, Pty) {
    tb.branch
        .till()
        .open_till(
            loket::queue::CounterNo(1),
            "petugas",
            &loket::till::CashCount::total_only(loket::money::Rupiah::new(200_000)),
        )
        .expect("open the till");
    let data = tb.path().to_path_buf();
    let usb = data.join("FLASHDISK");
    std::fs::create_dir_all(&usb).expect("drive folder");
    std::fs::write(usb.join("surat-lamaran.pdf"), super::letter_pdf()).expect("letter");
    let usb_text = usb.to_str().expect("utf-8 temp path").to_string();
    let mut all_env = vec![
        ("LOKET_FAKE_NOW", FAKE_NOW),
        ("LOKET_DRIVE_DIR", usb_text.as_str()),
    ];
    all_env.extend_from_slice(env);
    let mut pty = Pty::spawn(
        &loket_bin(),
        &[
            "--data",
            data.to_str().expect("utf-8 temp path"),
            "counter",
            "--counter",
            "1",
        ],
        &all_env,
        120,
        40,
    );
    pty.wait_for("Masuk petugas loket");
    pty.send("petugas\t1234\r");
    pty.wait_for("Selamat bekerja");
    assert_eq!(loket_run(&data, &["queue", "issue", "C"]), "C-001");
    pty.wait_for("C-001");
    pty.send(f_key(2));
    pty.wait_for("C-001 dipanggil ke loket 1.");
    // Enter takes the customer's document: the ticket is served and the only PDF is checked.
    pty.send("\r");
    pty.wait_for("Usulan: di dekat \"Hormat saya,\"");
    assert_eq!(
        count_within(
            &data,
            "SELECT COUNT(*) FROM tickets WHERE status = 'serving'",
            1
        ),
        1,
        "taking the document started serving C-001"
    );
    (data, pty)
}

/// A counter started on `data` with the customer's drive at `usb`, signed in.
fn counter_again(data: &Path, usb: &Path) -> Pty {
    counter_again_at(data, usb, 1)
}

/// [`counter_again`] as counter `counter`.
fn counter_again_at(data: &Path, usb: &Path, counter: u32) -> Pty {
    let number = counter.to_string();
    let mut pty = Pty::spawn(
        &loket_bin(),
        &[
            "--data",
            data.to_str().expect("utf-8 temp path"),
            "counter",
            "--counter",
            &number,
        ],
        &[
            ("LOKET_FAKE_NOW", FAKE_NOW),
            ("LOKET_DRIVE_DIR", usb.to_str().expect("utf-8 temp path")),
        ],
        120,
        40,
    );
    pty.wait_for("Masuk petugas loket");
    pty.send("petugas\t1234\r");
    pty.wait_for("Petugas: petugas");
    pty
}

/// `sql`'s count once it reaches `wanted` (another process writes it), or as it is after 5 s.
fn count_within(data: &Path, sql: &str, wanted: i64) -> i64 {
    for _ in 0..100 {
        if count(data, sql) == wanted {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    count(data, sql)
}

fn count(data: &Path, sql: &str) -> i64 {
    let branch = loket::Branch::open(data).expect("open the branch");
    branch
        .store()
        .conn()
        .query_row(sql, (), |r| r.get(0))
        .expect("count")
}

#[test]
fn a_counter_killed_after_the_stamp_reopens_the_visit_at_hand_over() {
    let mut tb = with_users();
    let (data, mut pty) = at_payment(&mut tb, false);
    pty.send("20000\r");
    pty.wait_for("tanda tangan sah");
    pty.kill9();
    drop(pty);

    let usb = data.join("FLASHDISK");
    let mut pty = counter_again(&data, &usb);
    pty.wait_for("Kunjungan C-001 dilanjutkan");
    pty.wait_for("belum diserahkan");
    // F5 cannot end the visit before the document is handed over.
    pty.send(f_key(5));
    pty.wait_for("Selesaikan dulu layanan e-Meterai");
    pty.send("\x1b");
    pty.send("\r");
    pty.wait_for("Tersalin ke FLASHDISK/surat-lamaran-emeterai.pdf");
    pty.wait_for("Struk dan bukti pembubuhan tercetak.");
    pty.send(f_key(5));
    pty.wait_for("C-001 selesai dilayani.");
    pty.send("\x11");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(status.as_ref().is_some_and(|s| s.success()), "{status:?}");
    assert_eq!(
        count(&data, "SELECT COUNT(*) FROM sales"),
        1,
        "charged once"
    );
    assert_eq!(count(&data, "SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(
        count(
            &data,
            "SELECT COUNT(*) FROM serials WHERE status <> 'available'"
        ),
        1
    );
    assert_eq!(
        count(
            &data,
            "SELECT COUNT(*) FROM stamp_jobs WHERE state = 'delivered'"
        ),
        1
    );
    let journal = loket_run(&data, &["journal", "verify"]);
    assert!(journal.starts_with("Jurnal utuh"), "{journal}");
}

#[test]
fn a_counter_killed_after_part_of_a_split_reopens_at_the_payment() {
    let mut tb = with_users();
    let (data, mut pty) = at_payment(&mut tb, false);
    pty.send("5000\r");
    pty.wait_for("Sisa tagihan        Rp5.000");
    // The tender is on the sale before anything else happens.
    assert_eq!(count_within(&data, "SELECT COUNT(*) FROM payments", 1), 1);
    pty.kill9();
    drop(pty);

    let usb = data.join("FLASHDISK");
    let mut pty = counter_again(&data, &usb);
    pty.wait_for("Sisa tagihan        Rp5.000");
    pty.send("5000\r");
    pty.wait_for("tanda tangan sah");
    pty.send("\r");
    pty.wait_for("Tersalin ke FLASHDISK/surat-lamaran-emeterai.pdf");
    assert_eq!(count(&data, "SELECT COUNT(*) FROM sales"), 1);
    assert_eq!(
        count(&data, "SELECT COALESCE(SUM(amount), 0) FROM payments"),
        10_000
    );
    assert_eq!(
        count(&data, "SELECT COUNT(*) FROM stamp_jobs"),
        1,
        "no second job"
    );
}

/// Where the counter is killed in [`a_counter_killed_at_every_step_reopens_the_visit_once`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// The document taken and received, the place proposed.
    AfterTheDocument,
    /// The bill on the payment screen, nothing paid.
    AtTheBill,
    /// Rp4.000 by card taken of a split, Rp6.000 still due.
    AfterTheCardPart,
    /// The payment recorded on the job, nothing stamped (the process dies at `paid`).
    AfterThePayment,
    /// The stamped file written, not yet recorded (the process dies at `stamp_written`).
    WhileStamping,
    /// Stamped and verified, not handed over.
    AfterTheStamp,
    /// The copy on the drive, not yet recorded (the process dies at `copied`).
    DuringTheCopy,
    /// Copied and both slips printed.
    AfterTheSlips,
}

impl Kill {
    /// The crash point the counter dies at, for the kills in the middle of a step.
    fn crash_at(self) -> Option<&'static str> {
        match self {
            Kill::AfterThePayment => Some("paid"),
            Kill::WhileStamping => Some("stamp_written"),
            Kill::DuringTheCopy => Some("copied"),
            _ => None,
        }
    }
}

/// Runs one visit to `kill`, kills the counter there (SIGKILL, or the process dying at a crash
/// point), optionally moves the visit to counter 3 with the supervisor's approval, starts a counter
/// again and finishes the visit; then checks that nothing was lost or doubled.
fn kill_and_resume(kill: Kill, moved: bool) {
    let mut tb = with_users();
    let crash: Vec<(&str, &str)> = kill
        .crash_at()
        .map(|at| vec![(loket::crash::ENV, at)])
        .unwrap_or_default();
    let (data, mut pty) = if kill == Kill::AfterTheDocument {
        at_placement(&mut tb, &crash)
    } else {
        at_payment_with(&mut tb, false, &crash)
    };
    let dies = |pty: &mut Pty| {
        let status = pty.wait_exit(Duration::from_secs(30));
        assert!(
            status.as_ref().is_some_and(|s| !s.success()),
            "{kill:?}: the counter dies at its crash point: {status:?}\n{}",
            pty.contents()
        );
    };
    match kill {
        Kill::AfterTheDocument | Kill::AtTheBill => pty.kill9(),
        Kill::AfterTheCardPart => {
            pty.send("\x1b[C");
            pty.send("4000\tA1B2C3\t4321\r");
            pty.wait_for("Sisa tagihan        Rp6.000");
            assert_eq!(count_within(&data, "SELECT COUNT(*) FROM payments", 1), 1);
            pty.kill9();
        }
        Kill::AfterThePayment | Kill::WhileStamping => {
            pty.send("\r");
            dies(&mut pty);
        }
        Kill::AfterTheStamp => {
            pty.send("\r");
            pty.wait_for("tanda tangan sah");
            pty.kill9();
        }
        Kill::DuringTheCopy => {
            pty.send("\r");
            pty.wait_for("tanda tangan sah");
            pty.send("\r");
            dies(&mut pty);
        }
        Kill::AfterTheSlips => {
            pty.send("\r");
            pty.wait_for("tanda tangan sah");
            pty.send("\r");
            pty.wait_for("Struk dan bukti pembubuhan tercetak.");
            pty.kill9();
        }
    }
    drop(pty);

    let counter = if moved {
        let out = loket_run(&data, super::MOVE_VISIT_1_TO_3);
        assert!(out.contains("dipindahkan ke loket 3"), "{kill:?}: {out}");
        // Counter 3 takes cash into its own drawer.
        tb.branch
            .till()
            .open_till(
                loket::queue::CounterNo(3),
                "petugas",
                &loket::till::CashCount::total_only(loket::money::Rupiah::new(100_000)),
            )
            .expect("open counter 3's till");
        3
    } else {
        1
    };
    let usb = data.join("FLASHDISK");
    let mut pty = counter_again_at(&data, &usb, counter);
    let copied = "Tersalin ke FLASHDISK/surat-lamaran-emeterai.pdf";
    match kill {
        Kill::AfterTheDocument => {
            // Nothing was billed: the document is taken again, the first job let go.
            pty.wait_for("C-001");
            pty.send("\r");
            pty.wait_for("Usulan: di dekat");
            pty.send("\r");
            pty.wait_for("Uang diterima");
            pty.send("\r");
        }
        Kill::AtTheBill => {
            pty.wait_for("dilanjutkan di pembayaran: tagihan Rp10.000");
            pty.send("\r");
        }
        Kill::AfterTheCardPart => {
            pty.wait_for("Sisa tagihan        Rp6.000");
            pty.send("\r");
        }
        Kill::AfterThePayment | Kill::WhileStamping => {
            // The counter's background worker may stamp the paid job before the visit is read
            // back: the visit then reopens at hand-over; otherwise Enter stamps it.
            let seen = pty
                .poll(Duration::from_secs(30), |t| {
                    t.contains("e-Meterai belum dibubuhkan") || t.contains("Nomor seri e-Meterai")
                })
                .map(|_| pty.contents())
                .unwrap_or_default();
            if !seen.contains("Nomor seri e-Meterai") {
                pty.send("\r");
            }
        }
        Kill::AfterTheStamp | Kill::DuringTheCopy | Kill::AfterTheSlips => {}
    }
    if kill != Kill::AfterTheSlips {
        if matches!(kill, Kill::AfterTheStamp | Kill::DuringTheCopy) {
            pty.wait_for("belum diserahkan");
        } else {
            pty.wait_for("tanda tangan sah");
        }
        pty.wait_for("Enter: salin ke flash disk pelanggan");
        // The ticket cannot end before the document is handed over.
        pty.send(f_key(5));
        pty.wait_for("Selesaikan dulu layanan e-Meterai");
        pty.send("\x1b");
        pty.send("\r");
        pty.wait_for(copied);
        pty.wait_for("Struk dan bukti pembubuhan tercetak.");
    } else {
        pty.wait_for("sudah diserahkan");
    }
    pty.send(f_key(5));
    pty.wait_for("C-001 selesai dilayani.");
    pty.send("\x11");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(
        status.as_ref().is_some_and(|s| s.success()),
        "{kill:?}: {status:?}"
    );

    // Money taken = money recorded; one bill; one serial, on the document; one job delivered.
    let n = |sql: &str| count(&data, sql);
    assert_eq!(
        n("SELECT COUNT(*) FROM sales WHERE status = 'paid'"),
        1,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM sales WHERE status = 'open'"),
        0,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COALESCE(SUM(amount), 0) FROM payments WHERE kind = 'payment'"),
        10_000,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM serials WHERE status <> 'available'"),
        1,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM serials WHERE status = 'stamped'"),
        1,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM stamp_jobs WHERE state = 'delivered'"),
        1,
        "{kill:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM stamp_jobs WHERE state NOT IN ('delivered', 'cancelled')"),
        0,
        "{kill:?}: nothing left half-done"
    );
    let mut on_drive: Vec<String> = std::fs::read_dir(&usb)
        .expect("drive")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    on_drive.sort();
    assert_eq!(
        on_drive,
        ["surat-lamaran-emeterai.pdf", "surat-lamaran.pdf"],
        "{kill:?}: one stamped copy, no leftovers"
    );
    let stamped = std::fs::read(usb.join("surat-lamaran-emeterai.pdf")).expect("stamped copy");
    let report = loket::pdf::verify_pdf(&stamped, None, None).expect("verify");
    assert_eq!(report.signatures.len(), 1, "{kill:?}");
    assert!(report.signatures[0].valid, "{kill:?}: {report:?}");
    let journal = loket_run(&data, &["journal", "verify"]);
    assert!(journal.starts_with("Jurnal utuh"), "{kill:?}: {journal}");
}

/// The counter killed at every step of the e-Meterai visit and started again: the visit reopens at
/// the right step, nothing is lost or doubled, the journal verifies, and the ticket ends only after
/// hand-over.
#[test]
fn a_counter_killed_at_every_step_reopens_the_visit_once() {
    for kill in [
        Kill::AfterTheDocument,
        Kill::AtTheBill,
        Kill::AfterTheCardPart,
        Kill::AfterThePayment,
        Kill::WhileStamping,
        Kill::AfterTheStamp,
        Kill::DuringTheCopy,
        Kill::AfterTheSlips,
    ] {
        kill_and_resume(kill, false);
    }
}

/// The same, with the visit moved by a supervisor to counter 3 before it is started again there.
#[test]
fn a_counter_killed_and_its_visit_moved_reopens_at_the_new_counter_once() {
    for kill in [
        Kill::AtTheBill,
        Kill::AfterTheCardPart,
        Kill::AfterThePayment,
        Kill::AfterTheStamp,
        Kill::DuringTheCopy,
    ] {
        kill_and_resume(kill, true);
    }
}

#[test]
fn the_dispenser_screen_shows_its_keys_the_number_issued_and_an_unknown_key() {
    let tb = with_users();
    let data = tb.path().to_path_buf();
    assert_eq!(loket::dispenser::running(&data), None);
    let mut pty = spawn(&data, &["dispenser", "--input", "keys"], 100, 30);
    pty.wait_for("Dispenser siap");
    // Which key issues which service, from `[dispenser] keys` and the services' names.
    pty.wait_for("1  →  A  Surat dan Paket");
    pty.wait_for("2  →  B  Pembayaran dan Keuangan");
    pty.wait_for("3  →  C  e-Meterai");
    // A running dispenser is seen from another process (a counter's status bar asks the same).
    assert_eq!(
        loket::dispenser::running(&data),
        Some(loket::dispenser::Running::Keys)
    );

    pty.send("2");
    pty.wait_for("Nomor B-001 — Pembayaran dan Keuangan: tiket tercetak.");
    pty.send("9");
    pty.wait_for("Tombol 9 tidak dipakai. Tombol layanan: 1 = A, 2 = B, 3 = C.");
    pty.send("1");
    pty.wait_for("Nomor A-001 — Surat dan Paket: tiket tercetak.");

    pty.send("\x1b");
    let status = pty.wait_exit(Duration::from_secs(10));
    assert!(
        status.as_ref().is_some_and(|s| s.success()),
        "Esc ends the dispenser: {status:?}\n{}",
        pty.contents()
    );
    assert_eq!(
        loket::dispenser::running(&data),
        None,
        "stopped is not running"
    );
    let mut branch = tb.reopen();
    assert_eq!(
        branch
            .queue()
            .ticket_info(&crate::common::no("B-001"))
            .expect("ticket")
            .status,
        Status::Waiting
    );
    assert!(
        branch
            .queue()
            .ticket_info(&crate::common::no("A-002"))
            .is_err(),
        "the unknown key issued nothing"
    );
}
