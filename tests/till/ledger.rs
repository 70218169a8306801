//! Property tests of the drawer ledger over random shifts: expected cash, voids and takings by tender, checked against a model kept by the test.

use super::{CLERK, approval, branch, journal_intact, rp};
use loket::money::Rupiah;
use loket::till::{
    CashCount, Method, RefundRequest, SaleStatus, Tender, actions, approval_subject_sale,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const ITEMS: [(&str, i64); 4] = [
    ("meterai", 10_000),
    ("fotokopi", 500),
    ("amplop", 2_000),
    ("map", 3_000),
];

#[derive(Debug, Clone)]
enum Pay {
    /// Cash: the total plus this many extra Rp1.000 (change).
    Cash(i64),
    Debit,
    /// Card for this share (in percent, at least 1 rupiah less than the total), cash for the rest plus extra.
    Split(u8, i64),
    Qris,
}

#[derive(Debug, Clone)]
enum Op {
    Sale(Vec<(usize, i64)>, Pay),
    /// Void the n-th sale made so far (modulo their number).
    Void(usize),
    /// Refund one piece of the first line of the n-th sale, in cash.
    Refund(usize),
    PayOut(i64),
    Drop(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let pay = prop_oneof![
        (0i64..60).prop_map(Pay::Cash),
        Just(Pay::Debit),
        (1u8..100, 0i64..20).prop_map(|(p, e)| Pay::Split(p, e)),
        Just(Pay::Qris),
    ];
    prop_oneof![
        4 => (prop::collection::vec((0usize..ITEMS.len(), 1i64..6), 1..4), pay).prop_map(|(l, p)| Op::Sale(l, p)),
        1 => any::<usize>().prop_map(Op::Void),
        1 => any::<usize>().prop_map(Op::Refund),
        1 => (1i64..80).prop_map(|k| Op::PayOut(k * 1_000)),
        1 => (1i64..80).prop_map(|k| Op::Drop(k * 1_000)),
    ]
}

/// A sale as the model sees it: id, status, paid per method, refunded per method, first line's
/// quantity left to refund.
type SaleModel = (
    i64,
    SaleStatus,
    BTreeMap<Method, i64>,
    BTreeMap<Method, i64>,
    i64,
);

/// What the test itself believes the drawer and the takings are.
#[derive(Debug, Default)]
struct Model {
    float: i64,
    cash_received: i64,
    change: i64,
    cash_refunds: i64,
    payouts: i64,
    drops: i64,
    sales: Vec<SaleModel>,
}

impl Model {
    fn expected(&self) -> i64 {
        self.float + self.cash_received
            - self.change
            - self.cash_refunds
            - self.payouts
            - self.drops
    }
}

fn run_shift(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut tb = branch();
    let b = &mut tb.branch;
    let mut m = Model {
        float: 150_000,
        ..Model::default()
    };
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &CashCount::parse("100000x1,20000x2,5000x2").expect("count"),
        )
        .expect("open");
    for op in ops {
        match op {
            Op::Sale(lines, pay) => {
                let s = b
                    .till()
                    .new_sale(loket::queue::CounterNo(1), CLERK, None)
                    .expect("sale");
                let mut total = 0;
                for (i, q) in &lines {
                    b.till()
                        .add_to_sale(s.id, CLERK, ITEMS[*i].0, *q, None)
                        .expect("add");
                    total += ITEMS[*i].1 * q;
                }
                let mut paid = BTreeMap::new();
                let tenders = match pay {
                    Pay::Cash(extra) => {
                        let tendered = total + extra * 1_000;
                        m.cash_received += tendered;
                        m.change += tendered - total;
                        paid.insert(Method::Cash, total);
                        vec![Tender::Cash {
                            tendered: rp(tendered),
                        }]
                    }
                    Pay::Debit => {
                        paid.insert(Method::Debit, total);
                        vec![Tender::Debit {
                            amount: rp(total),
                            approval_code: "XY12Z9".into(),
                            last4: "0001".into(),
                        }]
                    }
                    Pay::Split(pct, extra) => {
                        let card = (total * i64::from(pct) / 100).clamp(1, total - 1);
                        let cash = total - card + extra * 1_000;
                        m.cash_received += cash;
                        m.change += extra * 1_000;
                        paid.insert(Method::Debit, card);
                        paid.insert(Method::Cash, total - card);
                        vec![
                            Tender::Debit {
                                amount: rp(card),
                                approval_code: "XY12Z9".into(),
                                last4: "0001".into(),
                            },
                            Tender::Cash { tendered: rp(cash) },
                        ]
                    }
                    Pay::Qris => {
                        paid.insert(Method::Qris, total);
                        vec![Tender::Qris { amount: rp(total) }]
                    }
                };
                let o = b.till().pay_sale(s.id, CLERK, &tenders).expect("pay");
                if let Some(q) = o.qris.first() {
                    b.till()
                        .confirm_qris(&q.reference, CLERK, None)
                        .expect("confirm");
                }
                prop_assert_eq!(b.till().sale(s.id).expect("sale").status, SaleStatus::Paid);
                m.sales.push((
                    s.id.get(),
                    SaleStatus::Paid,
                    paid,
                    BTreeMap::new(),
                    lines[0].1,
                ));
            }
            Op::Void(n) => {
                if m.sales.is_empty() {
                    continue;
                }
                let k = n % m.sales.len();
                let (id, status, paid, _, _) = m.sales[k].clone();
                let before = b
                    .till()
                    .x_report(loket::queue::CounterNo(1))
                    .expect("x")
                    .summary;
                let a = approval(
                    b,
                    actions::VOID,
                    &approval_subject_sale(loket::till::SaleId(id)),
                );
                let result = b.till().void_sale(
                    loket::till::SaleId(id),
                    loket::queue::CounterNo(1),
                    CLERK,
                    a,
                );
                if status != SaleStatus::Paid {
                    prop_assert!(result.is_err(), "only a paid, unrefunded sale voids");
                    continue;
                }
                let cash = paid.get(&Method::Cash).copied().unwrap_or(0);
                if cash > m.expected() {
                    prop_assert!(
                        result.is_err(),
                        "cash cannot be given back when the drawer lacks it"
                    );
                    continue;
                }
                result.expect("void");
                m.cash_refunds += cash;
                m.sales[k].1 = SaleStatus::Voided;
                // A void reverses exactly: the drawer is back by what the sale brought in, and
                // every method the sale was paid with nets to zero.
                let after = b
                    .till()
                    .x_report(loket::queue::CounterNo(1))
                    .expect("x")
                    .summary;
                prop_assert_eq!(
                    after.expected_cash.value(),
                    before.expected_cash.value() - cash
                );
                let per_method: Vec<(String, i64)> = b
                    .store_mut()
                    .read(|c| {
                        let mut st = c.prepare("SELECT method, SUM(amount) FROM till_movements WHERE sale = ?1 GROUP BY method")?;
                        let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
                        Ok::<_, loket::store::StoreError>(rows)
                    })
                    .expect("read");
                prop_assert!(!per_method.is_empty());
                for (method, net) in per_method {
                    prop_assert_eq!(net, 0, "sale {} nets to zero by {}", id, method);
                }
            }
            Op::Refund(n) => {
                if m.sales.is_empty() {
                    continue;
                }
                let k = n % m.sales.len();
                let (id, status, _, _, left) = m.sales[k].clone();
                let a = approval(
                    b,
                    actions::REFUND,
                    &approval_subject_sale(loket::till::SaleId(id)),
                );
                let result = b.till().refund_sale(
                    loket::till::SaleId(id),
                    loket::queue::CounterNo(1),
                    CLERK,
                    &RefundRequest::Lines(vec![(1, 1)]),
                    Method::Cash,
                    a,
                );
                let line_price = {
                    let v = b.till().sale(loket::till::SaleId(id)).expect("sale");
                    v.lines[0].unit_price.value()
                };
                if status == SaleStatus::Voided || left == 0 || line_price > m.expected() {
                    prop_assert!(
                        result.is_err(),
                        "refund of a voided or used-up line, or beyond the drawer, is refused"
                    );
                    continue;
                }
                let o = result.expect("refund");
                prop_assert_eq!(o.amount.value(), line_price);
                m.cash_refunds += line_price;
                m.sales[k].4 -= 1;
                *m.sales[k].3.entry(Method::Cash).or_insert(0) += line_price;
                m.sales[k].1 = b.till().sale(loket::till::SaleId(id)).expect("sale").status;
            }
            Op::PayOut(amount) | Op::Drop(amount) => {
                let is_drop = matches!(op, Op::Drop(_));
                let result = if is_drop {
                    b.till().cash_drop(
                        loket::queue::CounterNo(1),
                        CLERK,
                        rp(amount),
                        "setor ke brankas",
                    )
                } else {
                    b.till().pay_out(
                        loket::queue::CounterNo(1),
                        CLERK,
                        rp(amount),
                        "beli kertas struk",
                    )
                };
                if amount > m.expected() {
                    prop_assert!(
                        result.is_err(),
                        "cannot take out more than the drawer holds"
                    );
                    continue;
                }
                result.expect("cash out");
                if is_drop {
                    m.drops += amount;
                } else {
                    m.payouts += amount;
                }
            }
        }
        // After every step: expected cash is float + received − change − refunds − pay-outs − drops.
        let s = b
            .till()
            .x_report(loket::queue::CounterNo(1))
            .expect("x")
            .summary;
        prop_assert_eq!(s.expected_cash.value(), m.expected());
    }
    let s = b
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect("x")
        .summary;
    prop_assert_eq!(s.float.value(), m.float);
    prop_assert_eq!(s.cash_received.value(), m.cash_received);
    prop_assert_eq!(s.change_given.value(), m.change);
    prop_assert_eq!(
        s.cash_refunds.value() + s.cash_voids.value(),
        m.cash_refunds
    );
    prop_assert_eq!(s.payouts.value(), m.payouts);
    prop_assert_eq!(s.drops.value(), m.drops);
    // Totals by tender add up to the sales (paid − refunded − voided), method by method.
    let mut net_by_method: BTreeMap<Method, i64> = BTreeMap::new();
    for (_, status, paid, refunded, _) in &m.sales {
        for (method, amount) in paid {
            if *status != SaleStatus::Voided {
                *net_by_method.entry(*method).or_insert(0) += amount;
            }
        }
        for (method, amount) in refunded {
            *net_by_method.entry(*method).or_insert(0) -= amount;
        }
    }
    let mut sum = Rupiah::ZERO;
    for method in Method::ALL {
        let t = s.tender(method);
        prop_assert_eq!(
            t.net.value(),
            net_by_method.get(&method).copied().unwrap_or(0),
            "{}",
            method
        );
        sum = sum.checked_add(t.net).expect("small");
    }
    prop_assert_eq!(sum, s.net_sales);
    journal_intact(b);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_balances_over_random_shifts(ops in prop::collection::vec(op(), 1..14)) {
        run_shift(ops)?;
    }
}
