//! Printing end to end: receipts on the virtual printer in process, over TCP loopback and over a pty, failures, incidents and reprints.

mod cli;
mod dispenser;
mod roundtrip;

use crate::common::TestBranch;
use loket::Branch;
use loket::printing::{Condition, DeviceState, PrintOutcome};
use loket::till::{CashCount, Tender};
use loket_drivers::{VirtualConfig, VirtualPrinter, VirtualState, serve_pty, serve_tcp};
use loket_receipts as rc;

pub const CLERK: &str = "petugas";

pub fn rp(v: i64) -> loket::money::Rupiah {
    loket::money::Rupiah::new(v)
}

/// Opens counter 1's till and sells two e-Meterai for cash; returns the sale id.
pub fn cash_sale(b: &mut Branch) -> i64 {
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(100_000)),
        )
        .expect("open till");
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("new sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 2, None)
        .expect("add meterai");
    let paid = b
        .till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(50_000),
            }],
        )
        .expect("pay");
    assert!(paid.open_drawer, "cash opens the drawer");
    s.id.get()
}

/// The rows of `print_jobs` as (kind, subject, status, copy, error).
pub fn jobs(b: &mut Branch) -> Vec<(String, String, String, bool, Option<String>)> {
    b.store_mut()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT kind, subject, status, copy, error FROM print_jobs ORDER BY id")?;
            let rows = stmt
                .query_map((), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, loket::LoketError>(rows)
        })
        .expect("read print jobs")
}

/// The incidents of `device` as (kind, still open).
pub fn incidents(b: &mut Branch, device: &str) -> Vec<(String, bool)> {
    b.store_mut()
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT kind, ended_ms IS NULL FROM device_incidents WHERE device = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([device], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, loket::LoketError>(rows)
        })
        .expect("read incidents")
}

pub fn journal_kinds(b: &mut Branch) -> Vec<String> {
    b.store_mut()
        .read(|c| {
            let mut stmt = c.prepare("SELECT kind FROM journal ORDER BY seq")?;
            let rows = stmt
                .query_map((), |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok::<_, loket::LoketError>(rows)
        })
        .expect("read journal")
}

pub fn journal_intact(b: &mut Branch) {
    let report = b
        .store_mut()
        .read(|c| loket::journal::verify(c, None))
        .expect("journal verifies");
    assert!(report.intact(), "journal intact: {:?}", report.tamper);
}

/// The preview of what `job` printed, on its printer's profile.
pub fn preview_of_job(b: &mut Branch, job: i64) -> String {
    let (printer, _, payload) = b.printing().print_job(job).expect("job and its data");
    let profile = b.printing().printer(&printer).expect("printer").profile();
    rc::preview(&payload.document(), &profile).expect("preview")
}

fn printed(o: &PrintOutcome) {
    assert!(o.printed, "printed: {o:?}");
}

#[test]
fn a_sale_receipt_prints_on_the_embedded_virtual_printer_and_writes_its_file() {
    let mut tb = TestBranch::new();
    let b = &mut tb.branch;
    let sale = cash_sale(b);
    let o = b.printing().print_sale_receipt(sale, false).expect("print");
    printed(&o);
    assert_eq!(o.printer, "loket1");
    let file = tb.dir.path().join("printer/loket1/0001.txt");
    let text = std::fs::read_to_string(&file).expect("job file written");
    assert_eq!(
        text,
        preview_of_job(b, o.job),
        "the printer printed the preview"
    );
    assert!(text.contains("Rp20.000"), "{text}");
    assert!(!text.contains("S A L I N A N"), "an original is no copy");
    assert_eq!(
        jobs(b),
        vec![(
            "sale".into(),
            format!("sale/{sale}"),
            "printed".into(),
            false,
            None
        )]
    );
    // The drawer opens on its own call, with the five-byte kick.
    let d = b
        .printing()
        .open_drawer(loket::queue::CounterNo(1), CLERK)
        .expect("drawer");
    assert!(d.printed, "{d:?}");
    let vp = b
        .printing()
        .printer("loket1")
        .expect("printer")
        .virtual_printer();
    let kicks = vp.expect("virtual").kicks();
    assert_eq!(kicks.len(), 1, "one drawer kick");
    let log = std::fs::read_to_string(tb.dir.path().join("printer/loket1/drawer.log"))
        .expect("drawer log");
    assert!(!log.trim().is_empty());
    let kinds = journal_kinds(b);
    for k in ["print.queued", "print.printed", "drawer.pulsed"] {
        assert!(kinds.iter().any(|j| j == k), "journal has {k}: {kinds:?}");
    }
    journal_intact(b);
}

#[test]
fn paper_out_in_the_middle_of_a_job_fails_it_and_a_reprint_after_loading_paper_prints_a_copy() {
    let mut tb = TestBranch::new();
    let b = &mut tb.branch;
    let sale = cash_sale(b);
    let vp = b
        .printing()
        .printer("loket1")
        .expect("printer")
        .virtual_printer()
        .expect("virtual");
    vp.run_out_of_paper_after(60);
    let o = b
        .printing()
        .print_sale_receipt(sale, false)
        .expect("print call");
    assert!(!o.printed, "{o:?}");
    assert_eq!(o.condition, Some(Condition::PaperOut));
    assert!(
        o.message
            .starts_with("Kertas printer habis — ganti gulungan"),
        "{}",
        o.message
    );
    let rows = jobs(b);
    assert_eq!(rows[0].2, "failed");
    assert!(
        rows[0].4.as_deref().is_some_and(|e| e.contains("paper")),
        "{rows:?}"
    );
    assert_eq!(incidents(b, "loket1"), vec![("paper_out".into(), true)]);
    assert!(matches!(
        b.printing()
            .printer_status(loket::queue::CounterNo(1))
            .expect("status"),
        DeviceState::Problem { .. }
    ));
    // A second failure does not open a second incident.
    let again = b
        .printing()
        .reprint(o.job, CLERK)
        .expect("reprint while out");
    assert!(!again.printed);
    assert_eq!(incidents(b, "loket1"), vec![("paper_out".into(), true)]);

    vp.set_state(VirtualState::Ok);
    let r = b.printing().reprint(o.job, CLERK).expect("reprint");
    printed(&r);
    assert_eq!(incidents(b, "loket1"), vec![("paper_out".into(), false)]);
    let last = vp.jobs().last().cloned().expect("a job printed");
    assert!(last.complete);
    assert!(last.text.contains("S A L I N A N"), "{}", last.text);
    assert_eq!(last.text, preview_of_job(b, r.job));
    let rows = jobs(b);
    assert_eq!(
        rows.last().map(|r| (r.2.as_str(), r.3)),
        Some(("printed", true))
    );
    assert!(journal_kinds(b).iter().any(|k| k == "device.recovered"));
    journal_intact(b);
}

#[test]
fn paper_near_end_prints_with_a_warning_incident_that_closes_when_paper_is_loaded() {
    let mut tb = TestBranch::new();
    let b = &mut tb.branch;
    let sale = cash_sale(b);
    let vp = b
        .printing()
        .printer("loket1")
        .expect("printer")
        .virtual_printer()
        .expect("virtual");
    vp.set_state(VirtualState::PaperNearEnd);
    let o = b.printing().print_sale_receipt(sale, false).expect("print");
    printed(&o);
    assert_eq!(o.condition, Some(Condition::PaperNearEnd));
    assert!(matches!(
        b.printing()
            .printer_status(loket::queue::CounterNo(1))
            .expect("status"),
        DeviceState::Warning { .. }
    ));
    assert_eq!(
        incidents(b, "loket1"),
        vec![("paper_near_end".into(), true)]
    );
    vp.set_state(VirtualState::Ok);
    let o = b.printing().print_sale_receipt(sale, true).expect("copy");
    printed(&o);
    assert_eq!(o.condition, None);
    assert_eq!(
        incidents(b, "loket1"),
        vec![("paper_near_end".into(), false)]
    );
}

#[test]
fn printer_status_reads_the_printer_and_records_a_cover_opened_between_jobs() {
    let mut tb = TestBranch::new();
    let b = &mut tb.branch;
    assert!(matches!(
        b.printing()
            .printer_status(loket::queue::CounterNo(2))
            .expect("status"),
        DeviceState::Ok { .. }
    ));
    // Another counter's printer is a different device.
    let vp = b
        .printing()
        .printer("loket3")
        .expect("printer")
        .virtual_printer()
        .expect("virtual");
    vp.set_state(VirtualState::CoverOpen);
    let s = b
        .printing()
        .printer_status(loket::queue::CounterNo(3))
        .expect("status");
    assert_eq!(
        s,
        DeviceState::Problem {
            what: "Penutup printer terbuka".into(),
            next: "tutup penutup sampai terkunci lalu tekan F8 untuk cetak ulang".into()
        }
    );
    assert_eq!(incidents(b, "loket3"), vec![("cover_open".into(), true)]);
    assert!(incidents(b, "loket2").is_empty());
}

fn with_printer(connection: &str) -> impl FnOnce(&str) -> String {
    let connection = connection.to_string();
    move |t: &str| {
        t.replace(
            "[printers.loket1]\nconnection = \"virtual\"\nprofile = \"80mm\"\noutput = \"printer/loket1\"",
            &format!("[printers.loket1]\n{connection}\nprofile = \"80mm\""),
        )
    }
}

/// Sale receipt, X report and Z report on a counter printer reached through `tb`'s configuration;
/// `vp` is the virtual printer at the other end of the link.
fn sale_x_and_z(tb: &mut TestBranch, vp: &VirtualPrinter) {
    let b = &mut tb.branch;
    let sale = cash_sale(b);
    let o = b
        .printing()
        .print_sale_receipt(sale, false)
        .expect("sale receipt");
    printed(&o);
    let x = b
        .printing()
        .print_x_report(loket::queue::CounterNo(1))
        .expect("x report");
    printed(&x);
    let z = b
        .till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(120_000)),
        )
        .expect("close")
        .z
        .expect("z");
    let number = z.number.expect("z number");
    let zo = b.printing().print_z_report(number, false).expect("z print");
    printed(&zo);
    let jobs_seen = vp.wait_for_jobs(3, std::time::Duration::from_secs(10));
    assert_eq!(jobs_seen.len(), 3, "three slips arrived");
    for (job, outcome) in jobs_seen.iter().zip([&o, &x, &zo]) {
        assert!(job.complete);
        assert_eq!(job.text, preview_of_job(b, outcome.job));
    }
    assert!(
        jobs_seen[1].text.contains("L A P O R A N   X"),
        "{}",
        jobs_seen[1].text
    );
    assert!(
        jobs_seen[2].text.contains("L A P O R A N   Z"),
        "{}",
        jobs_seen[2].text
    );
    // The Z reprint is a counted copy.
    let copy = b.printing().reprint(zo.job, CLERK).expect("reprint z");
    printed(&copy);
    let again = vp.wait_for_jobs(4, std::time::Duration::from_secs(10));
    assert!(again[3].text.contains("S A L I N A N"), "{}", again[3].text);
    journal_intact(b);
}

#[test]
fn sale_x_and_z_print_on_a_network_printer_over_tcp_loopback() {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(576)).expect("virtual printer");
    let server = serve_tcp(vp.clone(), "127.0.0.1:0".parse().expect("addr")).expect("serve tcp");
    let mut tb = TestBranch::with_config(with_printer(&format!(
        "connection = \"tcp\"\naddress = \"{}\"",
        server.addr()
    )));
    sale_x_and_z(&mut tb, &vp);
    // The network printer goes away: the next job fails as a device incident, not an error.
    server.stop();
    let b = &mut tb.branch;
    let o = b
        .printing()
        .print_x_report(loket::queue::CounterNo(2))
        .map(|o| o.printed);
    assert!(o.is_err(), "counter 2 has no session");
    let sale = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(sale.id, CLERK, "meterai", 1, None)
        .expect("add");
    let failed = b
        .printing()
        .print_sale_receipt(sale.id.get(), false)
        .expect("print call");
    assert!(!failed.printed, "{failed:?}");
    assert!(!incidents(b, "loket1").is_empty());
}

#[test]
fn sale_x_and_z_print_on_a_serial_printer_over_a_pty() {
    let vp = VirtualPrinter::new(VirtualConfig::in_memory(576)).expect("virtual printer");
    let pty = serve_pty(vp.clone()).expect("serve pty");
    let mut tb = TestBranch::with_config(with_printer(&format!(
        "connection = \"serial\"\nport = \"{}\"\nbaud = 19200",
        pty.path().display()
    )));
    sale_x_and_z(&mut tb, &vp);
}
