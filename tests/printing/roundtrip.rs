//! Every receipt kind and profile: encoded, printed by the virtual printer, read back as the preview.

use loket_drivers::{Printer, VirtualConfig, VirtualPrinter};
use loket_receipts::{Kind, Profile, encode, preview, sample};

use super::{cash_sale, preview_of_job};
use crate::common::TestBranch;

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
            b.print_sale_receipt(sale, false).expect("sale"),
            b.print_x_report(1).expect("x"),
            b.print_sale_receipt(sale, true).expect("copy"),
        ];
        let vp = b
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
