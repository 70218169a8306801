//! Every receipt kind and profile: encoded, printed by the virtual printer, read back as the preview.

use loket_drivers::{Printer, VirtualConfig, VirtualPrinter};
use loket_receipts::{Kind, Profile, encode, preview, sample};

use super::{CLERK, cash_sale, preview_of_job, rp};
use crate::common::TestBranch;
use loket::till::{CashCount, Tender};

#[test]
fn every_kind_and_profile_prints_exactly_its_preview() {
    let mut checked = 0;
    for kind in Kind::ALL {
        for profile in Profile::builtin() {
            let doc = sample(kind);
            let bytes = encode(&doc, &profile).expect("encode");
            let vp = VirtualPrinter::new(VirtualConfig::in_memory(profile.dots)).expect("vp");
            let mut printer = Printer::virtual_in_process(vp.clone());
            printer.print(&bytes).expect("prints");
            let jobs = vp.jobs();
            assert_eq!(
                jobs.len(),
                1,
                "{} on {}: one job",
                kind.name(),
                profile.name
            );
            assert_eq!(
                jobs[0].text,
                preview(&doc, &profile).expect("preview"),
                "{} on {}",
                kind.name(),
                profile.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, Kind::ALL.len() * Profile::builtin().len());
}

#[test]
fn the_app_prints_the_preview_of_its_own_data_on_each_profile() {
    for profile in ["58mm", "80mm", "80mm-42"] {
        let mut tb = TestBranch::with_config(|t| {
            t.replace(
                "[printers.loket1]\nconnection = \"virtual\"\nprofile = \"80mm\"",
                &format!("[printers.loket1]\nconnection = \"virtual\"\nprofile = \"{profile}\""),
            )
        });
        let b = &mut tb.branch;
        let sale = cash_sale(b);
        let outcomes = [
            b.printing().print_sale_receipt(sale, false).expect("sale"),
            b.printing()
                .print_x_report(loket::queue::CounterNo(1))
                .expect("x"),
            b.printing().print_sale_receipt(sale, true).expect("copy"),
        ];
        let vp = b
            .printing()
            .printer("loket1")
            .expect("printer")
            .virtual_printer()
            .expect("virtual");
        let jobs = vp.jobs();
        assert_eq!(jobs.len(), outcomes.len(), "{profile}");
        for (job, o) in jobs.iter().zip(&outcomes) {
            assert!(o.printed, "{o:?}");
            assert_eq!(job.text, preview_of_job(b, o.job), "{profile}");
        }
    }
}

/// The printed text's row for `label` (its amount), e.g. `Tunai ... Rp20.000`.
fn row_amounts(text: &str, label: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.trim_start().starts_with(label))
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .collect()
}

#[test]
fn the_receipt_shows_each_tender_as_taken_and_the_change() {
    let mut tb = TestBranch::new();
    let b = &mut tb.branch;
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::total_only(rp(100_000)),
        )
        .expect("open till");
    // Rp20.000 cash on a Rp10.000 bill.
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 1, None)
        .expect("add");
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(20_000),
            }],
        )
        .expect("pay");
    let o = b
        .printing()
        .print_sale_receipt(s.id.get(), false)
        .expect("print");
    assert!(o.printed, "{o:?}");
    // A split: Rp4.000 by debit, then Rp10.000 cash for the Rp6.000 left.
    let split = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(split.id, CLERK, "meterai", 1, None)
        .expect("add");
    b.till()
        .pay_sale(
            split.id,
            CLERK,
            &[
                Tender::Debit {
                    amount: rp(4_000),
                    approval_code: "A1B2C3".into(),
                    last4: "4321".into(),
                },
                Tender::Cash {
                    tendered: rp(10_000),
                },
            ],
        )
        .expect("pay split");
    let o2 = b
        .printing()
        .print_sale_receipt(split.id.get(), false)
        .expect("print");
    assert!(o2.printed, "{o2:?}");
    let vp = b
        .printing()
        .printer("loket1")
        .expect("printer")
        .virtual_printer()
        .expect("virtual");
    let jobs = vp.jobs();
    assert_eq!(jobs.len(), 2);
    let cash = &jobs[0].text;
    assert_eq!(row_amounts(cash, "Tunai"), ["Rp20.000"], "{cash}");
    assert_eq!(row_amounts(cash, "Kembali"), ["Rp10.000"], "{cash}");
    let both = &jobs[1].text;
    assert_eq!(row_amounts(both, "Debit"), ["Rp4.000"], "{both}");
    assert_eq!(row_amounts(both, "Tunai"), ["Rp10.000"], "{both}");
    assert_eq!(row_amounts(both, "Kembali"), ["Rp4.000"], "{both}");
    assert!(both.contains("A1B2C3"), "{both}");
}
