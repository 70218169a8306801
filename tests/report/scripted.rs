//! A small day run through the real branch services (queue, till, serial ledger); every figure of
//! its pack is known in advance.

use crate::common::{TestBranch, loket_ok};
use crate::till::{CLERK, SUPERVISOR, approval, branch, rp};
use loket::day::BusinessDay;
use loket::journal::Entry;
use loket::queue::Step;
use loket::report::pack;
use loket::stamping::ledger::{self, LedgerError};
use loket::till::{CashCount, Tender, actions, approval_subject_counter, approval_subject_sale};
use time::Duration;

/// The scripted day; returns the branch with its clock at 09:00.
fn scripted_day() -> TestBranch {
    let mut t = branch();
    let b = &mut t.branch;
    // Queue: three A tickets at 08:00; two served by counter 1, the third does not come.
    for _ in 0..3 {
        b.queue().issue_ticket("A", false, "d").expect("issue");
    }
    t.clock.advance(Duration::minutes(10));
    let b = &mut t.branch;
    b.queue()
        .call_next(loket::queue::CounterNo(1), CLERK)
        .expect("call A-001");
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Serve)
        .expect("serve");
    t.clock.advance(Duration::minutes(5));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Done)
        .expect("done");
    b.queue()
        .call_next(loket::queue::CounterNo(1), CLERK)
        .expect("call A-002");
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Serve)
        .expect("serve");
    t.clock.advance(Duration::minutes(5));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::Done)
        .expect("done");
    b.queue()
        .call_next(loket::queue::CounterNo(1), CLERK)
        .expect("call A-003");
    t.clock.advance(Duration::minutes(2));
    let b = &mut t.branch;
    b.queue()
        .counter_step(loket::queue::CounterNo(1), CLERK, Step::NoShow)
        .expect("noshow");

    // Till: float Rp200.000; 2 stamps cash (Rp50.000 tendered), 1 stamp by debit, 1 stamp cash
    // then voided; a no-sale drawer open; blind count exactly right.
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2").expect("count"),
        )
        .expect("open till");
    let s1 = b
        .till()
        .new_sale(
            loket::queue::CounterNo(1),
            CLERK,
            Some(&crate::common::no("A-001")),
        )
        .expect("sale");
    b.till()
        .add_to_sale(loket::till::SaleId(s1.id.get()), CLERK, "meterai", 2, None)
        .expect("add");
    b.till()
        .pay_sale(
            loket::till::SaleId(s1.id.get()),
            CLERK,
            &[Tender::Cash {
                tendered: rp(50_000),
            }],
        )
        .expect("cash");
    let s2 = b
        .till()
        .new_sale(
            loket::queue::CounterNo(1),
            CLERK,
            Some(&crate::common::no("A-002")),
        )
        .expect("sale");
    b.till()
        .add_to_sale(loket::till::SaleId(s2.id.get()), CLERK, "meterai", 1, None)
        .expect("add");
    b.till()
        .pay_sale(
            loket::till::SaleId(s2.id.get()),
            CLERK,
            &[Tender::Debit {
                amount: rp(10_000),
                approval_code: "123ABC".into(),
                last4: "4242".into(),
            }],
        )
        .expect("debit");
    let s3 = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(loket::till::SaleId(s3.id.get()), CLERK, "meterai", 1, None)
        .expect("add");
    b.till()
        .pay_sale(
            loket::till::SaleId(s3.id.get()),
            CLERK,
            &[Tender::Cash {
                tendered: rp(10_000),
            }],
        )
        .expect("cash");
    let a = approval(
        b,
        actions::VOID,
        &approval_subject_sale(loket::till::SaleId(s3.id.get())),
    );
    b.till()
        .void_sale(
            loket::till::SaleId(s3.id.get()),
            loket::queue::CounterNo(1),
            CLERK,
            a,
        )
        .expect("void");
    let a = approval(
        b,
        actions::NO_SALE,
        &approval_subject_counter(loket::queue::CounterNo(1)),
    );
    b.till()
        .open_drawer_no_sale(loket::queue::CounterNo(1), CLERK, a)
        .expect("no sale");
    b.till()
        .count_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x2,20000x1").expect("count"),
        )
        .expect("count");

    // Serial ledger: a lot of 5; one serial stamped, one spoiled.
    b.store_mut()
        .write(|tx| -> Result<(), LedgerError> {
            ledger::load_lot(tx, "kepala", "INV-001", 5, 50_000)?;
            tx.execute(
                "INSERT INTO documents (sha256, bytes, stored_ms) VALUES ('aa', 1, 0)",
                (),
            )?;
            for id in [1, 2] {
                tx.execute(
                    "INSERT INTO stamp_jobs (id, state, clerk, document_sha256, document_name, created_ms, updated_ms)
                     VALUES (?1, 'paid', 'petugas', 'aa', 'a.pdf', 0, 0)",
                    [id],
                )?;
            }
            let sn = ledger::draw_local(tx, loket::stamping::JobId(1), "aa")?.expect("serial");
            ledger::mark_stamped(tx, &sn)?;
            let sn = ledger::draw_local(tx, loket::stamping::JobId(2), "aa")?.expect("serial");
            ledger::mark_spoiled(tx, &sn, "dokumen terkunci")?;
            tx.journal(Entry::new("petugas", "test.stamps", "INV-001", serde_json::json!({})))?;
            Ok(())
        })
        .expect("ledger");
    t.clock.advance(Duration::minutes(38));
    t
}

#[test]
fn a_scripted_day_gives_exact_figures() {
    let mut t = scripted_day();
    let day = BusinessDay::parse("2026-11-23").expect("day");
    let p = t.branch.reports().daily(day).expect("pack");

    let q = &p.queue;
    assert_eq!(
        (q.totals.issued, q.totals.served, q.totals.no_show),
        (3, 2, 1)
    );
    let a = &q.services[0];
    // Waits 10, 15 and 20 minutes; service 5 minutes each.
    assert_eq!(a.wait.median_ms, 15 * 60_000);
    assert_eq!(a.wait.max_ms, 20 * 60_000);
    assert_eq!(a.service.mean_ms, 5 * 60_000);
    assert_eq!(a.over_sla, 1);

    let tl = &p.till;
    let cash = &tl.tenders[0];
    assert_eq!(cash.method, "cash");
    assert_eq!((cash.count, cash.net, cash.voids), (2, 20_000, 10_000));
    let debit = &tl.tenders[1];
    assert_eq!((debit.count, debit.net), (1, 10_000));
    assert_eq!(tl.tenders[2].count, 0);
    assert_eq!(tl.net_sales, 30_000);
    assert_eq!(tl.voids.len(), 1);
    assert_eq!(
        (
            tl.voids[0].sale,
            tl.voids[0].amount,
            tl.voids[0].approver.as_str()
        ),
        (3, 10_000, SUPERVISOR)
    );
    assert_eq!(tl.no_sale_opens.len(), 1);
    assert_eq!(tl.no_sale_opens[0].approver, SUPERVISOR);
    assert_eq!(tl.sessions.len(), 1);
    let s = &tl.sessions[0];
    assert_eq!(
        (s.expected, s.counted, s.variance),
        (220_000, Some(220_000), Some(0))
    );
    assert_eq!(s.state, "closed");
    assert_eq!(s.z_number, Some(1));

    let st = &p.stamps;
    assert_eq!((st.sold, st.used, st.failed), (3, 1, 1));
    assert_eq!(st.awaiting_claim.len(), 1);
    assert_eq!(st.awaiting_claim[0].reason, "dokumen terkunci");
    assert_eq!(st.inventory.available, 3);
    assert_eq!(st.provider.describe(), "tidak diperiksa");
    assert_eq!(p.deliveries, pack::DeliverySection::default());
    assert!(p.devices.is_empty());
    assert_eq!(p.journal.len(), 1);
    assert!(p.journal[0].report.intact());
    assert!(p.journal[0].report.entries > 10);

    let text = loket::report::text::render(&p, loket::day::TimeZone::Wib);
    assert!(text.contains("Diambil 3"), "{text}");
    assert!(text.contains("bersih Rp30.000"), "{text}");
    assert!(text.contains("Kuota penyedia: tidak diperiksa"), "{text}");
}

#[test]
fn the_command_line_writes_the_pack_and_its_slip() {
    let t = scripted_day();
    let dir = t.path().to_path_buf();
    let out = dir.join("out");
    let json = loket_ok(
        &dir,
        &[
            "report",
            "daily",
            "--date",
            "2026-11-23",
            "--json",
            "--csv",
            out.to_str().expect("utf-8"),
            "--pdf",
            out.join("pack.pdf").to_str().expect("utf-8"),
            "--print",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["queue"]["totals"]["issued"], 3);
    assert_eq!(v["till"]["net_sales"], 30_000);
    assert_eq!(v["stamps"]["provider"]["status"], "not_checked");
    assert!(out.join("pack.pdf").is_file());
    assert!(
        out.join("laporan-harian-2026-11-23-kas-tender.csv")
            .is_file()
    );
    // The summary went to counter 1's (virtual) printer, recorded as a print job.
    let printed: Vec<String> = std::fs::read_dir(dir.join("printer/loket1"))
        .expect("printer output")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| std::fs::read_to_string(e.path()).expect("slip text"))
        .collect();
    assert!(
        printed.iter().any(|t| t.contains("Rp30.000")),
        "a printed slip shows the takings: {printed:?}"
    );
    let branch = loket::Branch::open(&dir).expect("open the branch");
    let status: String = branch
        .store()
        .conn()
        .query_row(
            "SELECT status FROM print_jobs WHERE kind = 'daily'",
            (),
            |r| r.get(0),
        )
        .expect("daily print job");
    assert_eq!(status, "printed");

    // The pack to a drive (a folder stands in for its mount point) and into the e-mail outbox.
    let drive = tempfile::tempdir().expect("drive");
    let text = loket_ok(
        &dir,
        &[
            "report",
            "daily",
            "--date",
            "2026-11-23",
            "--to-drive",
            drive.path().to_str().expect("utf-8"),
            "--mail",
            "kepala@example.co.id",
        ],
    );
    assert!(text.contains("masuk kotak keluar"), "{text}");
    let copied = std::fs::read(drive.path().join("laporan-harian-2026-11-23.pdf")).expect("copy");
    assert!(copied.starts_with(b"%PDF-"));
    let mut b = t.reopen();
    assert_eq!(b.delivery().outbox_list().expect("outbox").len(), 1);

    let text = loket_ok(
        &dir,
        &[
            "report",
            "range",
            "--from",
            "2026-11-22",
            "--to",
            "2026-11-23",
        ],
    );
    assert!(
        text.contains("22 November 2026 s.d. 23 November 2026"),
        "{text}"
    );
    assert!(text.contains("Diambil 3"), "{text}");
}

/// The text of each page of a PDF, as lopdf reads it.
fn page_texts(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("lopdf reads the pack");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    pages
        .iter()
        .map(|n| doc.extract_text(&[*n]).expect("page text"))
        .collect()
}

#[test]
fn in_the_pdf_a_section_heading_stays_on_the_page_of_its_table() {
    let mut t = scripted_day();
    let day = BusinessDay::parse("2026-11-23").expect("day");
    let p = t.branch.reports().daily(day).expect("pack");
    let void = p.till.voids[0].clone();
    // Each void line moves what follows by one line, so one of these counts puts the e-Meterai
    // heading on the last lines of a page.
    let mut pages_seen = std::collections::BTreeSet::new();
    for extra in 0..80 {
        let mut p = p.clone();
        p.till
            .voids
            .extend(std::iter::repeat_n(void.clone(), extra));
        let bytes = loket::report::pdf::render(&p, loket::day::TimeZone::Wib).expect("pdf");
        let pages = page_texts(&bytes);
        let on = |what: &str| {
            pages
                .iter()
                .position(|text| text.lines().any(|l| l.trim() == what))
                .unwrap_or_else(|| panic!("{what:?} on no page with {extra} voids: {pages:#?}"))
        };
        let heading = on("e-Meterai");
        let table = pages
            .iter()
            .position(|text| text.contains("Dibubuhkan"))
            .expect("the e-Meterai table");
        assert_eq!(
            heading,
            table,
            "with {extra} more voids the e-Meterai heading is on page {} and its table on page {}:\n{pages:#?}",
            heading + 1,
            table + 1
        );
        pages_seen.insert(heading);
    }
    assert!(
        pages_seen.len() > 1,
        "the heading moved to the next page within the range tried"
    );
}

#[test]
fn with_lang_en_the_daily_pack_and_its_outbox_entry_are_in_english() {
    let t = scripted_day();
    let dir = t.path().to_path_buf();
    let day = ["report", "daily", "--date", "2026-11-23"];
    let en = loket_ok(&dir, &[&["--lang", "en"][..], &day[..]].concat());
    for words in [
        "DAILY PACK ",
        "\nQUEUE\n",
        "Taken 3  (priority 0, walk-in 0)  Served 2",
        "Code Service",
        "Per counter:",
        "  Counter 1   served ",
        "\nTILL\n",
        "Gross sales Rp40.000  refunds Rp0  voids Rp10.000  net Rp30.000  (3 sales paid)",
        "Drawer sessions:",
        "\nE-METERAI\n",
        "Provider quota: not checked",
        "\nDELIVERIES\n",
        "\nDEVICES: 0 incidents\n",
        "\nUNFINISHED\n",
        "\nJOURNAL\n",
        " intact (",
        "Journal anchor: #",
    ] {
        assert!(en.contains(words), "{words:?} in\n{en}");
    }
    for indonesian in ["Diambil", "Penjualan kotor", "Jangkar", "utuh", "Per loket"] {
        assert!(!en.contains(indonesian), "{indonesian:?} in\n{en}");
    }
    let id = loket_ok(&dir, &day);
    assert!(id.starts_with("PAKET HARIAN "), "{id}");
    assert!(
        id.contains("Diambil 3  (prioritas 0, langsung 0)  Dilayani 2"),
        "{id}"
    );
    assert!(id.contains("Kuota penyedia: tidak diperiksa"), "{id}");

    // The pack mailed from an English process; its outbox entry's state in both languages.
    loket_ok(
        &dir,
        &[&day[..], &["--mail", "kepala@example.co.id"][..]].concat(),
    );
    let en = loket_ok(&dir, &["--lang", "en", "outbox", "list"]);
    assert!(en.contains("waiting to be sent"), "{en}");
    let id = loket_ok(&dir, &["outbox", "list"]);
    assert!(id.contains("menunggu dikirim"), "{id}");
}
