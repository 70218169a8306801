//! Every sale and tender transition, allowed and refused, through one table and one `check` helper.

use super::{CLERK, approval, branch, journal_intact, rp};
use loket::till::{Method, RefundRequest, SaleStatus, Tender, actions, approval_subject_sale};
use time::Duration;

/// A tender, written so the table can be a constant.
#[derive(Debug, Clone, Copy)]
enum T {
    Cash(i64),
    Debit(i64, &'static str, &'static str),
    Qris(i64),
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// Open the drawer of counter 1 with this float.
    OpenDrawer(i64),
    /// Start a sale on counter 1 with these items (code, quantity).
    Sale(&'static [(&'static str, i64)]),
    Add(&'static str, i64),
    Pay(&'static [T]),
    /// Confirm the newest QRIS code of the sale.
    ConfirmQris,
    /// Let six minutes pass (QRIS codes expire after five).
    Wait6Min,
    Void,
    /// Void with an approval granted for a refund, not a void.
    VoidWithWrongApproval,
    /// Refund again with the approval the last refund consumed.
    RefundReusingApproval(&'static [(u32, i64)]),
    Refund(&'static [(u32, i64)], Method),
    RefundAll(Method),
    /// The customer leaves half-way: the clerk gives back what was taken (no approval).
    ReturnTenders,
}

#[derive(Debug, Clone, Copy)]
enum Then {
    /// The sale's status, what was paid toward it and what is still due.
    Is {
        status: SaleStatus,
        paid: i64,
        due: i64,
    },
    /// Like `Is`, and the newest QRIS code is in this state with this excess.
    Qris {
        status: SaleStatus,
        state: &'static str,
        excess: i64,
    },
    /// Refused with a message containing this text; nothing changed.
    Refused(&'static str),
}

struct Run {
    tb: crate::common::TestBranch,
    sale: Option<i64>,
    last_approval: Option<i64>,
}

impl Run {
    fn sale(&self) -> i64 {
        self.sale.expect("a sale was started")
    }

    fn step(&mut self, step: Step) -> Result<(), loket::LoketError> {
        let current = self.sale;
        let b = &mut self.tb.branch;
        match step {
            Step::OpenDrawer(float) => {
                b.till().open_till(
                    loket::queue::CounterNo(1),
                    CLERK,
                    &loket::till::CashCount::total_only(rp(float)),
                )?;
            }
            Step::Sale(items) => {
                let s = b.till().new_sale(
                    loket::queue::CounterNo(1),
                    CLERK,
                    Some(&crate::common::no("C-003")),
                )?;
                for (code, qty) in items {
                    b.till().add_to_sale(s.id, CLERK, code, *qty, None)?;
                }
                self.sale = Some(s.id.get());
            }
            Step::Add(code, qty) => {
                b.till().add_to_sale(
                    loket::till::SaleId(current.expect("a sale was started")),
                    CLERK,
                    code,
                    qty,
                    None,
                )?;
            }
            Step::Pay(tenders) => {
                let tenders: Vec<Tender> = tenders
                    .iter()
                    .map(|t| match *t {
                        T::Cash(v) => Tender::Cash { tendered: rp(v) },
                        T::Debit(v, code, last4) => Tender::Debit {
                            amount: rp(v),
                            approval_code: code.into(),
                            last4: last4.into(),
                        },
                        T::Qris(v) => Tender::Qris { amount: rp(v) },
                    })
                    .collect();
                let sale = current.expect("a sale was started");
                b.till()
                    .pay_sale(loket::till::SaleId(sale), CLERK, &tenders)?;
            }
            Step::ConfirmQris => {
                let sale = current.expect("a sale was started");
                let q = b
                    .till()
                    .sale(loket::till::SaleId(sale))?
                    .qris
                    .last()
                    .expect("a QRIS code")
                    .reference
                    .clone();
                b.till().confirm_qris(&q, CLERK, Some("RRN123"))?;
            }
            Step::Wait6Min => self.tb.clock.advance(Duration::minutes(6)),
            Step::Void => {
                let sale = current.expect("a sale was started");
                let id = approval(
                    b,
                    actions::VOID,
                    &approval_subject_sale(loket::till::SaleId(sale)),
                );
                self.last_approval = Some(id);
                b.till().void_sale(
                    loket::till::SaleId(sale),
                    loket::queue::CounterNo(1),
                    CLERK,
                    id,
                )?;
            }
            Step::VoidWithWrongApproval => {
                let sale = current.expect("a sale was started");
                let id = approval(
                    b,
                    actions::REFUND,
                    &approval_subject_sale(loket::till::SaleId(sale)),
                );
                b.till().void_sale(
                    loket::till::SaleId(sale),
                    loket::queue::CounterNo(1),
                    CLERK,
                    id,
                )?;
            }
            Step::RefundReusingApproval(lines) => {
                let sale = current.expect("a sale was started");
                let id = self.last_approval.expect("an earlier approval");
                b.till().refund_sale(
                    loket::till::SaleId(sale),
                    loket::queue::CounterNo(1),
                    CLERK,
                    &RefundRequest::Lines(lines.to_vec()),
                    Method::Cash,
                    id,
                )?;
            }
            Step::Refund(lines, method) => {
                let sale = current.expect("a sale was started");
                let id = approval(
                    b,
                    actions::REFUND,
                    &approval_subject_sale(loket::till::SaleId(sale)),
                );
                self.last_approval = Some(id);
                b.till().refund_sale(
                    loket::till::SaleId(sale),
                    loket::queue::CounterNo(1),
                    CLERK,
                    &RefundRequest::Lines(lines.to_vec()),
                    method,
                    id,
                )?;
            }
            Step::ReturnTenders => {
                b.till().return_tenders(
                    loket::till::SaleId(current.expect("a sale was started")),
                    loket::queue::CounterNo(1),
                    CLERK,
                )?;
            }
            Step::RefundAll(method) => {
                let sale = current.expect("a sale was started");
                let id = approval(
                    b,
                    actions::REFUND,
                    &approval_subject_sale(loket::till::SaleId(sale)),
                );
                b.till().refund_sale(
                    loket::till::SaleId(sale),
                    loket::queue::CounterNo(1),
                    CLERK,
                    &RefundRequest::All,
                    method,
                    id,
                )?;
            }
        }
        Ok(())
    }
}

/// Runs `given` (which must all succeed), then `when`, and checks `then`.
fn check(name: &str, given: &[Step], when: Step, then: Then) {
    let mut run = Run {
        tb: branch(),
        sale: None,
        last_approval: None,
    };
    for step in given {
        if let Err(e) = run.step(*step) {
            panic!("{name}: setup step {step:?} failed: {e}");
        }
    }
    let before = run.sale.map(|s| {
        serde_json::to_string(
            &run.tb
                .branch
                .till()
                .sale(loket::till::SaleId(s))
                .expect("sale"),
        )
        .expect("json")
    });
    let result = run.step(when);
    match then {
        Then::Refused(text) => {
            let err = result.expect_err(&format!("{name}: {when:?} is refused"));
            assert!(
                err.to_string().contains(text),
                "{name}: error {err:?} says {text:?}"
            );
            let after = run.sale.map(|s| {
                serde_json::to_string(
                    &run.tb
                        .branch
                        .till()
                        .sale(loket::till::SaleId(s))
                        .expect("sale"),
                )
                .expect("json")
            });
            // A refused QRIS step may have expired codes first; everything else is untouched.
            if !matches!(when, Step::ConfirmQris) {
                assert_eq!(before, after, "{name}: a refused step changes nothing");
            }
        }
        Then::Is { status, paid, due } => {
            if let Err(e) = result {
                panic!("{name}: {when:?} failed: {e}");
            }
            let sale = run.sale();
            let v = run
                .tb
                .branch
                .till()
                .sale(loket::till::SaleId(sale))
                .expect("sale");
            assert_eq!(
                (v.status, v.paid, v.due),
                (status, rp(paid), rp(due)),
                "{name}"
            );
        }
        Then::Qris {
            status,
            state,
            excess,
        } => {
            if let Err(e) = result {
                panic!("{name}: {when:?} failed: {e}");
            }
            let sale = run.sale();
            let v = run
                .tb
                .branch
                .till()
                .sale(loket::till::SaleId(sale))
                .expect("sale");
            let q = v.qris.last().expect("a QRIS code");
            assert_eq!(
                (v.status, q.state.as_str(), q.excess),
                (status, state, rp(excess)),
                "{name}"
            );
        }
    }
    journal_intact(&mut run.tb.branch);
}

const METERAI_2: &[(&str, i64)] = &[("meterai", 2)];
/// Rp37.000: three stamps and fourteen copies.
const MIXED: &[(&str, i64)] = &[("meterai", 3), ("fotokopi", 14)];
const OPEN: Step = Step::OpenDrawer(200_000);
const CARD: &str = "A1B2C3";

#[test]
fn sale_and_tender_transitions() {
    use Step::*;
    use Then::*;
    let cases: &[(&str, &[Step], Step, Then)] = &[
        (
            "cash exact",
            &[OPEN, Sale(MIXED)],
            Pay(&[T::Cash(37_000)]),
            Is {
                status: SaleStatus::Paid,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "cash with change",
            &[OPEN, Sale(MIXED)],
            Pay(&[T::Cash(50_000)]),
            Is {
                status: SaleStatus::Paid,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "cash short stays open",
            &[OPEN, Sale(MIXED)],
            Pay(&[T::Cash(20_000)]),
            Is {
                status: SaleStatus::Open,
                paid: 20_000,
                due: 17_000,
            },
        ),
        (
            "second cash settles the rest",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(20_000)])],
            Pay(&[T::Cash(20_000)]),
            Is {
                status: SaleStatus::Paid,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "debit exact",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(20_000, CARD, "1234")]),
            Is {
                status: SaleStatus::Paid,
                paid: 20_000,
                due: 0,
            },
        ),
        (
            "debit may be taken without a drawer",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(5_000, CARD, "1234")]),
            Is {
                status: SaleStatus::Open,
                paid: 5_000,
                due: 15_000,
            },
        ),
        (
            "overpaying by card is refused",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(25_000, CARD, "1234")]),
            Refused("melebihi sisa tagihan"),
        ),
        (
            "overpaying by QRIS is refused",
            &[Sale(METERAI_2)],
            Pay(&[T::Qris(20_001)]),
            Refused("melebihi sisa tagihan"),
        ),
        (
            "split card and QRIS over the total is refused",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(10_000, CARD, "1234"), T::Qris(15_000)]),
            Refused("melebihi sisa tagihan"),
        ),
        (
            "split card and cash with change",
            &[OPEN, Sale(MIXED)],
            Pay(&[T::Debit(30_000, CARD, "9876"), T::Cash(10_000)]),
            Is {
                status: SaleStatus::Paid,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "split card and QRIS waits for QRIS",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(5_000, CARD, "1234"), T::Qris(15_000)]),
            Is {
                status: SaleStatus::Open,
                paid: 5_000,
                due: 0,
            },
        ),
        (
            "confirmed QRIS settles the split",
            &[
                Sale(METERAI_2),
                Pay(&[T::Debit(5_000, CARD, "1234"), T::Qris(15_000)]),
            ],
            ConfirmQris,
            Is {
                status: SaleStatus::Paid,
                paid: 20_000,
                due: 0,
            },
        ),
        (
            "QRIS paid in time",
            &[Sale(METERAI_2), Pay(&[T::Qris(20_000)])],
            ConfirmQris,
            Qris {
                status: SaleStatus::Paid,
                state: "paid",
                excess: 0,
            },
        ),
        (
            "QRIS paid after expiry still settles, flagged",
            &[Sale(METERAI_2), Pay(&[T::Qris(20_000)]), Wait6Min],
            ConfirmQris,
            Qris {
                status: SaleStatus::Paid,
                state: "paid_late",
                excess: 0,
            },
        ),
        (
            "QRIS paid late after cash settled becomes money to give back",
            &[
                OPEN,
                Sale(METERAI_2),
                Pay(&[T::Qris(20_000)]),
                Wait6Min,
                Pay(&[T::Cash(20_000)]),
            ],
            ConfirmQris,
            Qris {
                status: SaleStatus::Paid,
                state: "paid_late",
                excess: 20_000,
            },
        ),
        (
            "QRIS paid late for a voided sale is all excess",
            &[Sale(METERAI_2), Pay(&[T::Qris(20_000)]), Void],
            ConfirmQris,
            Qris {
                status: SaleStatus::Voided,
                state: "paid_late",
                excess: 20_000,
            },
        ),
        (
            "an expired QRIS frees the amount for cash",
            &[OPEN, Sale(METERAI_2), Pay(&[T::Qris(20_000)]), Wait6Min],
            Pay(&[T::Cash(20_000)]),
            Is {
                status: SaleStatus::Paid,
                paid: 20_000,
                due: 0,
            },
        ),
        (
            "cash over a pending QRIS is change",
            &[OPEN, Sale(METERAI_2), Pay(&[T::Qris(15_000)])],
            Pay(&[T::Cash(10_000)]),
            Is {
                status: SaleStatus::Open,
                paid: 5_000,
                due: 0,
            },
        ),
        (
            "confirming twice is refused",
            &[Sale(METERAI_2), Pay(&[T::Qris(20_000)]), ConfirmQris],
            ConfirmQris,
            Refused("sudah dibayar"),
        ),
        (
            "cash without an open drawer session",
            &[Sale(METERAI_2)],
            Pay(&[T::Cash(20_000)]),
            Refused("belum dibuka"),
        ),
        (
            "paying an empty sale",
            &[Sale(&[])],
            Pay(&[T::Cash(20_000)]),
            Refused("belum berisi barang"),
        ),
        (
            "a bad EDC approval code",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(20_000, "12", "1234")]),
            Refused("kode persetujuan EDC"),
        ),
        (
            "a bad last-four",
            &[Sale(METERAI_2)],
            Pay(&[T::Debit(20_000, CARD, "12a4")]),
            Refused("empat angka terakhir"),
        ),
        (
            "a zero cash tender",
            &[OPEN, Sale(METERAI_2)],
            Pay(&[T::Cash(0)]),
            Refused("harus lebih dari Rp0"),
        ),
        (
            "paying a paid sale",
            &[OPEN, Sale(METERAI_2), Pay(&[T::Cash(20_000)])],
            Pay(&[T::Cash(1_000)]),
            Refused("sudah lunas"),
        ),
        (
            "adding to a paid sale",
            &[OPEN, Sale(METERAI_2), Pay(&[T::Cash(20_000)])],
            Add("amplop", 1),
            Refused("sudah lunas"),
        ),
        (
            "an unknown item",
            &[Sale(METERAI_2)],
            Add("pulsa", 1),
            Refused("tidak ada di daftar harga"),
        ),
        (
            "a quantity of zero",
            &[Sale(METERAI_2)],
            Add("amplop", 0),
            Refused("1 sampai 999"),
        ),
        (
            "paying a voided sale",
            &[Sale(METERAI_2), Void],
            Pay(&[T::Debit(20_000, CARD, "1234")]),
            Refused("dibatalkan"),
        ),
        (
            "giving back a half-paid split",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Debit(10_000, CARD, "1234"), T::Cash(5_000)]),
            ],
            ReturnTenders,
            Is {
                status: SaleStatus::Voided,
                paid: 15_000,
                due: 0,
            },
        ),
        (
            "giving back with a QRIS code still shown cancels the code",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(7_000), T::Qris(30_000)])],
            ReturnTenders,
            Qris {
                status: SaleStatus::Voided,
                state: "cancelled",
                excess: 0,
            },
        ),
        (
            "a paid sale is not given back at the counter",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(37_000)])],
            ReturnTenders,
            Refused("persetujuan supervisor"),
        ),
        (
            "void of an open sale",
            &[Sale(METERAI_2)],
            Void,
            Is {
                status: SaleStatus::Voided,
                paid: 0,
                due: 0,
            },
        ),
        (
            "void of a cash sale",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(50_000)])],
            Void,
            Is {
                status: SaleStatus::Voided,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "void of a split sale",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Debit(30_000, CARD, "1234"), T::Cash(10_000)]),
            ],
            Void,
            Is {
                status: SaleStatus::Voided,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "void without an approval for it",
            &[Sale(METERAI_2)],
            VoidWithWrongApproval,
            Refused("persetujuan"),
        ),
        (
            "reusing a consumed approval",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Cash(37_000)]),
                Refund(&[(2, 4)], Method::Cash),
            ],
            RefundReusingApproval(&[(2, 4)]),
            Refused("sudah dipakai"),
        ),
        (
            "voiding twice",
            &[Sale(METERAI_2), Void],
            Void,
            Refused("sudah dibatalkan"),
        ),
        (
            "void after a refund",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Cash(37_000)]),
                Refund(&[(2, 4)], Method::Cash),
            ],
            Void,
            Refused("pengembalian"),
        ),
        (
            "refund of part of a line",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(37_000)])],
            Refund(&[(1, 1)], Method::Cash),
            Is {
                status: SaleStatus::PartlyRefunded,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "refund of the rest",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Cash(37_000)]),
                Refund(&[(1, 1)], Method::Cash),
            ],
            RefundAll(Method::Cash),
            Is {
                status: SaleStatus::Refunded,
                paid: 37_000,
                due: 0,
            },
        ),
        (
            "refund above what was paid for a line",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(37_000)])],
            Refund(&[(1, 4)], Method::Cash),
            Refused("yang masih dapat dikembalikan 3"),
        ),
        (
            "refund above a line after an earlier refund",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Cash(37_000)]),
                Refund(&[(1, 2)], Method::Cash),
            ],
            Refund(&[(1, 2)], Method::Cash),
            Refused("yang masih dapat dikembalikan 1"),
        ),
        (
            "refund of an unknown line",
            &[OPEN, Sale(MIXED), Pay(&[T::Cash(37_000)])],
            Refund(&[(9, 1)], Method::Cash),
            Refused("baris 9 tidak ada"),
        ),
        (
            "refund to a card above what the card paid",
            &[
                OPEN,
                Sale(MIXED),
                Pay(&[T::Debit(10_000, CARD, "1234"), T::Cash(27_000)]),
            ],
            Refund(&[(1, 2)], Method::Debit),
            Refused("melebihi yang dibayar"),
        ),
        (
            "refund to the card that paid",
            &[Sale(METERAI_2), Pay(&[T::Debit(20_000, CARD, "1234")])],
            Refund(&[(1, 1)], Method::Debit),
            Is {
                status: SaleStatus::PartlyRefunded,
                paid: 20_000,
                due: 0,
            },
        ),
        (
            "cash refund without a drawer",
            &[Sale(METERAI_2), Pay(&[T::Debit(20_000, CARD, "1234")])],
            Refund(&[(1, 1)], Method::Cash),
            Refused("belum dibuka"),
        ),
        (
            "refund of an unpaid sale",
            &[Sale(METERAI_2)],
            RefundAll(Method::Cash),
            Refused("belum lunas"),
        ),
        (
            "refund of a voided sale",
            &[Sale(METERAI_2), Void],
            RefundAll(Method::Cash),
            Refused("dibatalkan"),
        ),
        (
            "refund twice in full",
            &[
                OPEN,
                Sale(METERAI_2),
                Pay(&[T::Cash(20_000)]),
                RefundAll(Method::Cash),
            ],
            RefundAll(Method::Cash),
            Refused("seluruhnya"),
        ),
    ];
    for (name, given, when, then) in cases {
        check(name, given, *when, *then);
    }
}

#[test]
fn a_service_fee_is_its_own_line() {
    let mut tb = super::branch_with(|t| t.replacen("service_fee = 0 ", "service_fee = 2000 ", 1));
    let b = &mut tb.branch;
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    let v = b
        .till()
        .add_to_sale(s.id, CLERK, "meterai", 3, Some(77))
        .expect("add");
    let lines: Vec<(String, i64, i64, Option<i64>)> = v
        .lines
        .iter()
        .map(|l| (l.name.clone(), l.quantity, l.unit_price.value(), l.job))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("e-Meterai".to_string(), 3, 10_000, Some(77)),
            ("Biaya layanan e-Meterai".to_string(), 3, 2_000, Some(77)),
        ]
    );
    assert_eq!(v.total, rp(36_000));
    let receipt = b.till().sale_receipt(s.id).expect("receipt");
    assert_eq!(receipt.lines[1].amount, rp(6_000));
    assert_eq!(receipt.total, rp(36_000));
}

#[test]
fn a_meterai_above_face_value_is_refused_by_the_configuration() {
    let text = loket::config::DEFAULT_TOML.replacen("price = 10000", "price = 12000", 1);
    let err = loket::config::Config::parse(&text, std::path::Path::new("loket.toml"))
        .expect_err("refused");
    assert!(
        err.to_string().contains("nilai nominalnya Rp10.000"),
        "{err}"
    );
}

#[test]
fn the_drawer_opens_for_cash_and_every_open_is_recorded() {
    let mut tb = branch();
    let b = &mut tb.branch;
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &loket::till::CashCount::total_only(rp(100_000)),
        )
        .expect("open");
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 1, None)
        .expect("add");
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
    assert_eq!(paid.change, rp(40_000));
    let s2 = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(loket::till::SaleId(s2.id.get()), CLERK, "amplop", 1, None)
        .expect("add");
    let card = b
        .till()
        .pay_sale(
            loket::till::SaleId(s2.id.get()),
            CLERK,
            &[Tender::Debit {
                amount: rp(2_000),
                approval_code: CARD.into(),
                last4: "4321".into(),
            }],
        )
        .expect("pay");
    assert!(!card.open_drawer, "a card payment leaves the drawer shut");
    let refused = b
        .till()
        .open_drawer_no_sale(loket::queue::CounterNo(1), CLERK, 999)
        .expect_err("no approval");
    assert!(refused.to_string().contains("persetujuan"), "{refused}");
    let id = approval(
        b,
        actions::NO_SALE,
        &loket::till::approval_subject_counter(loket::queue::CounterNo(1)),
    );
    assert!(
        b.till()
            .open_drawer_no_sale(loket::queue::CounterNo(1), CLERK, id)
            .expect("no-sale")
            .open_drawer
    );
    let opens: Vec<(String, Option<String>)> = b
        .store_mut()
        .read(|c| {
            let mut st = c.prepare("SELECT cause, supervisor FROM drawer_opens ORDER BY id")?;
            let rows = st
                .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, loket::store::StoreError>(rows)
        })
        .expect("read");
    assert_eq!(
        opens,
        vec![
            ("float".to_string(), None),
            ("sale".to_string(), None),
            ("no_sale".to_string(), Some(super::SUPERVISOR.to_string())),
        ]
    );
    let x = b.till().x_report(loket::queue::CounterNo(1)).expect("x");
    let drawer = x
        .sections
        .iter()
        .find(|s| s.title == "Laci")
        .expect("drawer section");
    assert_eq!(drawer.rows[0].count.as_deref(), Some("3"));
    assert_eq!(drawer.rows[1].count.as_deref(), Some("1"));
    journal_intact(b);
}
