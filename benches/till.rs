//! Criterion benchmarks of the till: X and Z reports over a drawer session of 2,000 sales.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use loket::Branch;
use loket::clock::ManualClock;
use loket::money::Rupiah;
use loket::till::{CashCount, Tender, summarize};
use std::path::Path;
use std::sync::Arc;
use time::macros::datetime;

const SALES: usize = 2_000;

fn open(dir: &Path) -> Branch {
    let clock = ManualClock::new(datetime!(2026-11-23 08:00 +07:00));
    Branch::open_with_clock(dir, Arc::new(clock)).expect("open branch")
}

/// A branch whose counter 1 has an open session with 2,000 paid sales in cash (with change),
/// debit, QRIS and splits, a pay-out every 100 sales and a drop every 500.
fn busy_branch(dir: &Path) {
    std::fs::write(
        dir.join(loket::config::FILE_NAME),
        loket::config::DEFAULT_TOML,
    )
    .expect("config");
    let mut b = open(dir);
    // Setting up 10,000 transactions with a flush each would take minutes; durability is not
    // what is measured here.
    b.store()
        .conn()
        .execute_batch("PRAGMA synchronous = OFF")
        .expect("pragma");
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            "petugas",
            &CashCount::total_only(Rupiah::new(500_000)),
        )
        .expect("open till");
    for i in 0..SALES {
        let s = b
            .till()
            .new_sale(
                loket::queue::CounterNo(1),
                "petugas",
                Some(&"C-001".parse().expect("ticket")),
            )
            .expect("sale");
        b.till()
            .add_to_sale(
                loket::till::SaleId(s.id.get()),
                "petugas",
                "meterai",
                1 + i64::try_from(i % 3).expect("below 3"),
                None,
            )
            .expect("add");
        b.till()
            .add_to_sale(
                loket::till::SaleId(s.id.get()),
                "petugas",
                "fotokopi",
                1 + i64::try_from(i % 7).expect("below 7"),
                None,
            )
            .expect("add");
        let total = b
            .till()
            .sale(loket::till::SaleId(s.id.get()))
            .expect("sale")
            .total;
        let card = |amount: Rupiah| Tender::Debit {
            amount,
            approval_code: "A1B2C3".into(),
            last4: "1234".into(),
        };
        let tenders = match i % 4 {
            0 => vec![Tender::Cash {
                tendered: Rupiah::new(100_000),
            }],
            1 => vec![card(total)],
            2 => vec![Tender::Qris { amount: total }],
            _ => vec![
                card(Rupiah::new(5_000)),
                Tender::Cash {
                    tendered: Rupiah::new(50_000),
                },
            ],
        };
        let o = b
            .till()
            .pay_sale(loket::till::SaleId(s.id.get()), "petugas", &tenders)
            .expect("pay");
        if let Some(q) = o.qris.first() {
            b.till()
                .confirm_qris(&q.reference, "petugas", None)
                .expect("confirm");
        }
        if i % 100 == 99 {
            b.till()
                .pay_out(
                    loket::queue::CounterNo(1),
                    "petugas",
                    Rupiah::new(5_000),
                    "beli kertas",
                )
                .expect("pay-out");
        }
        if i % 500 == 499 {
            b.till()
                .cash_drop(
                    loket::queue::CounterNo(1),
                    "petugas",
                    Rupiah::new(100_000),
                    "setor brankas",
                )
                .expect("drop");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

fn reports(c: &mut Criterion) {
    let template = tempfile::tempdir().expect("temp dir");
    busy_branch(template.path());
    let mut b = open(template.path());
    let x = b
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect("x report");
    assert_eq!(
        x.summary.cash.count + x.summary.debit.count + x.summary.qris.count,
        2_500,
        "2,000 sales, 500 split"
    );

    let mut group = c.benchmark_group("till");
    group.bench_function("x_report_2000_sales", |bench| {
        bench.iter(|| {
            b.till()
                .x_report(loket::queue::CounterNo(1))
                .expect("x report")
        })
    });
    let movements: Vec<loket::till::Movement> = {
        let conn = b.store().conn();
        let mut st = conn
            .prepare("SELECT kind, method, amount, sale FROM till_movements ORDER BY id")
            .expect("prepare");
        st.query_map((), |r| {
            let kind: String = r.get(0)?;
            let method: String = r.get(1)?;
            Ok(loket::till::Movement {
                kind: loket::till::MoveKind::parse(&kind).expect("kind"),
                method: loket::till::Method::parse(&method).expect("method"),
                amount: r.get(2)?,
                sale: r.get(3)?,
            })
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    group.bench_function("ledger_fold_only", |bench| {
        bench.iter(|| summarize(&movements).expect("fold"))
    });
    // The Z report: count the drawer, close the session, build, number and store the frozen Z,
    // all in one transaction with its journal entry. Each run closes a fresh copy of the branch.
    let expected = x.summary.expected_cash;
    group.bench_function("z_close_2000_sales", |bench| {
        bench.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                copy_dir(template.path(), dir.path());
                let branch = open(dir.path());
                (dir, branch)
            },
            |(dir, mut branch)| {
                let z = branch
                    .till()
                    .count_till(
                        loket::queue::CounterNo(1),
                        "petugas",
                        &CashCount::total_only(expected),
                    )
                    .expect("close");
                assert!(z.z.is_some());
                (dir, branch)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("z_reprint", |bench| {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(template.path(), dir.path());
        let mut branch = open(dir.path());
        branch
            .till()
            .count_till(
                loket::queue::CounterNo(1),
                "petugas",
                &CashCount::total_only(expected),
            )
            .expect("close");
        bench.iter(|| {
            branch
                .till()
                .reprint_z(Some(1), None, "spv")
                .expect("reprint")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = reports
}
criterion_main!(benches);
