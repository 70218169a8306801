//! The daily pack over a generated year: every section against a recount from the generator's own
//! records, CSV read back, and the PDF through qpdf and pdftotext.

use super::generator::{Day, SERVICES, percentile, year};
use loket::day::BusinessDay;
use loket::report::pack::{self, Pack};
use std::process::Command;

fn pack_of(from: &str, to: &str) -> Pack {
    let mut b = year().branch();
    let (f, t) = (
        BusinessDay::parse(from).expect("day"),
        BusinessDay::parse(to).expect("day"),
    );
    b.reports()
        .range(f, t)
        .unwrap_or_else(|e| panic!("pack {from}..{to}: {e} ({e:?})"))
}

/// Checks the pack of `days` (consecutive) against the recount of the generator's records.
fn check(p: &Pack, days: &[&Day]) {
    let tickets: Vec<_> = days.iter().flat_map(|d| d.tickets.iter()).collect();
    let served = tickets.iter().filter(|t| t.served.is_some()).count() as u64;
    let q = &p.queue;
    assert_eq!(q.totals.issued, tickets.len() as u64);
    assert_eq!(q.totals.served, served);
    assert_eq!(q.totals.no_show, tickets.len() as u64 - served);
    for (i, (prefix, sla)) in SERVICES.iter().enumerate() {
        let mine: Vec<_> = tickets.iter().filter(|t| t.service == i).collect();
        let waits: Vec<i64> = mine.iter().map(|t| t.called - t.arrived).collect();
        let times: Vec<i64> = mine
            .iter()
            .filter_map(|t| t.served.map(|(s, e)| e - s))
            .collect();
        let s = q
            .services
            .iter()
            .find(|s| s.prefix == *prefix)
            .expect("service");
        assert_eq!(s.outcomes.issued, mine.len() as u64, "{prefix} issued");
        assert_eq!(s.wait.count, waits.len() as u64);
        assert_eq!(s.wait.median_ms, percentile(&waits, 50), "{prefix} median");
        assert_eq!(s.wait.p90_ms, percentile(&waits, 90), "{prefix} p90");
        assert_eq!(s.wait.max_ms, *waits.iter().max().expect("waits"));
        assert_eq!(
            s.wait.mean_ms,
            waits.iter().sum::<i64>() / i64::try_from(waits.len()).expect("a count")
        );
        assert_eq!(s.service.p90_ms, percentile(&times, 90), "{prefix} service");
        assert_eq!(
            s.over_sla,
            waits.iter().filter(|&&w| w > sla * 60_000).count() as u64
        );
    }
    let served_by_counters: u64 = q.counters.iter().map(|c| c.served).sum();
    assert_eq!(served_by_counters, served);

    let sales: Vec<_> = days.iter().flat_map(|d| d.sales.iter()).collect();
    for method in ["cash", "debit", "qris"] {
        let mine: Vec<_> = sales.iter().filter(|s| s.method == method).collect();
        let t = p
            .till
            .tenders
            .iter()
            .find(|t| t.method == method)
            .expect("tender");
        assert_eq!(
            t.count,
            i64::try_from(mine.len()).expect("a count"),
            "{method} count"
        );
        assert_eq!(
            t.net,
            mine.iter()
                .filter(|s| !s.voided)
                .map(|s| s.amount)
                .sum::<i64>(),
            "{method} net"
        );
    }
    let voided: Vec<_> = sales.iter().filter(|s| s.voided).collect();
    assert_eq!(p.till.voids.len(), voided.len());
    assert!(
        p.till
            .voids
            .iter()
            .all(|v| v.approver == "kepala" && v.reason == "salah input")
    );
    assert_eq!(
        p.till.voids_total,
        voided.iter().map(|s| s.amount).sum::<i64>()
    );
    assert_eq!(p.till.sessions.len(), days.len() * 4);
    for s in &p.till.sessions {
        let day = days.iter().find(|d| d.day == s.day).expect("session day");
        let cash: i64 = day
            .sales
            .iter()
            .filter(|x| x.method == "cash" && !x.voided && x.counter == s.counter)
            .map(|x| x.amount)
            .sum();
        assert_eq!(s.expected, 500_000 + cash, "session {}", s.id);
        assert_eq!(s.variance, Some(if s.counter == 1 { -2_000 } else { 0 }));
    }

    let sold: i64 = sales.iter().filter(|s| !s.voided).map(|s| s.stamps).sum();
    assert_eq!(p.stamps.sold, u64::try_from(sold).expect("stamps sold"));
    assert_eq!(p.stamps.used, days.iter().map(|d| d.stamped).sum::<u64>());
    assert_eq!(p.stamps.failed, days.iter().map(|d| d.spoiled).sum::<u64>());
    assert_eq!(p.stamps.provider, pack::ProviderCheck::NotChecked);

    let d = &p.deliveries;
    assert_eq!(
        d.drive_copies,
        days.iter().map(|d| d.drive_copies).sum::<u64>()
    );
    assert_eq!(
        (d.mail_sent, d.mail_failed, d.mail_waiting),
        (
            days.iter().map(|d| d.mail[0]).sum::<u64>(),
            days.iter().map(|d| d.mail[1]).sum::<u64>(),
            days.iter().map(|d| d.mail[2]).sum::<u64>()
        )
    );
    let incidents: Vec<i64> = days
        .iter()
        .flat_map(|d| d.incidents.iter().copied())
        .collect();
    assert_eq!(
        p.devices.iter().map(|i| i.duration_ms).collect::<Vec<_>>(),
        incidents
    );

    assert_eq!(p.journal.len(), days.len());
    // One generator entry a day; the first day also holds the set-up of the branch and its users.
    for j in &p.journal {
        assert!(j.report.intact(), "{}: {:?}", j.day, j.report.tamper);
        if j.day == "2025-01-01" {
            assert!(j.report.entries > 1);
        } else {
            assert_eq!(j.report.entries, 1, "{}", j.day);
        }
    }
}

/// One test for the whole year, so that it is generated once per run whether the tests share a
/// process (`cargo test`) or not (`cargo nextest`, one process per test).
#[test]
fn a_generated_year_adds_up() {
    generated_days_match_the_recount();
    a_month_is_recomputed_over_all_its_tickets();
    the_csv_files_read_back();
    the_pdf_is_valid_and_carries_the_figures();
}

fn generated_days_match_the_recount() {
    let y = year();
    for day in ["2025-01-01", "2025-06-15", "2025-12-31"] {
        check(&pack_of(day, day), &[y.day(day)]);
    }
}

fn a_month_is_recomputed_over_all_its_tickets() {
    let y = year();
    let march: Vec<&Day> = y
        .days
        .iter()
        .filter(|d| d.day.starts_with("2025-03"))
        .collect();
    assert_eq!(march.len(), 31);
    let p = pack_of("2025-03-01", "2025-03-31");
    assert!(p.is_range());
    check(&p, &march);
}

fn the_csv_files_read_back() {
    let p = pack_of("2025-02-10", "2025-02-10");
    let day = year().day("2025-02-10");
    let dir = tempfile::tempdir().expect("dir");
    let files = loket::report::csv::write(&p, dir.path(), loket::day::TimeZone::Wib).expect("csv");
    assert_eq!(files.len(), 16);
    let read = |section: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let path = dir
            .path()
            .join(format!("laporan-harian-2025-02-10-{section}.csv"));
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_path(&path)
            .expect("open csv");
        let header = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = r
            .records()
            .map(|x| x.expect("row").iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let (header, rows) = read("antrean");
    assert_eq!(&header[..3], ["layanan", "nama", "diambil"]);
    assert_eq!(rows[0][0], "SEMUA");
    assert_eq!(rows[0][2], day.tickets.len().to_string());
    let per_service: u64 = rows[1..]
        .iter()
        .map(|r| r[2].parse::<u64>().expect("number"))
        .sum();
    assert_eq!(per_service, day.tickets.len() as u64);

    let (header, rows) = read("kas-tender");
    assert_eq!(
        header,
        [
            "tender",
            "transaksi",
            "penjualan",
            "pengembalian",
            "pembatalan",
            "bersih"
        ]
    );
    let total = rows.iter().find(|r| r[0] == "total").expect("total row");
    let net: i64 = day
        .sales
        .iter()
        .filter(|s| !s.voided)
        .map(|s| s.amount)
        .sum();
    assert_eq!(total[5], net.to_string());
    let by_tender: i64 = rows
        .iter()
        .filter(|r| r[0] != "total")
        .map(|r| r[5].parse::<i64>().expect("amount"))
        .sum();
    assert_eq!(by_tender, net);

    let (_, rows) = read("meterai");
    assert_eq!(rows[0][2], day.stamped.to_string());
    assert_eq!(rows[0][7], "tidak diperiksa");
    let (_, rows) = read("kas-sesi");
    assert_eq!(rows.len(), 4);
}

fn tool(name: &str) -> std::path::PathBuf {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .expect("sh");
    assert!(
        found.status.success(),
        "{name} is missing: install it with `apt-get install -y qpdf poppler-utils` (or run .ci/install.d/pdf.sh)"
    );
    String::from_utf8_lossy(&found.stdout).trim().into()
}

fn the_pdf_is_valid_and_carries_the_figures() {
    let p = pack_of("2025-04-02", "2025-04-02");
    let day = year().day("2025-04-02");
    let bytes = loket::report::pdf::render(&p, loket::day::TimeZone::Wib).expect("pdf");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("pack.pdf");
    std::fs::write(&path, &bytes).expect("write");
    let qpdf = Command::new(tool("qpdf"))
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf");
    assert!(
        qpdf.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&qpdf.stdout)
    );
    let text = Command::new(tool("pdftotext"))
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("Nomor diambil {}", day.tickets.len())),
        "tickets issued not in:\n{text}"
    );
    let net: i64 = day
        .sales
        .iter()
        .filter(|s| !s.voided)
        .map(|s| s.amount)
        .sum();
    let net = loket::money::Rupiah::new(net).to_string();
    assert!(
        text.contains(&format!("Total penerimaan bersih: {net}")),
        "{net} not in:\n{text}"
    );
    assert!(text.contains("Pelanggan menunggu per jam"));
    assert!(text.contains("Periode: 2 April 2025"), "{text}");
    // A4, at least one page.
    let doc = lopdf::Document::load_mem(&bytes).expect("lopdf reads it back");
    assert!(!doc.get_pages().is_empty());
}
