//! QRIS payloads: built ones parse back field by field, their CRC matches an independent implementation, published examples verify.

use super::{CLERK, branch, rp};
use loket::qris::{self, Merchant, QrisError};
use loket::till::{QrisState, Tender};
use proptest::prelude::*;

/// CRC-16/CCITT-FALSE written bit by bit from its definition (poly 0x1021, init 0xFFFF, MSB first,
/// no reflection, no final xor), independent of loket's table-driven one.
fn crc_bitwise(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        for bit in (0..8).rev() {
            let input = (byte >> bit) & 1 == 1;
            let top = crc & 0x8000 != 0;
            crc <<= 1;
            if input != top {
                crc ^= 0x1021;
            }
        }
    }
    crc
}

fn merchant() -> Merchant {
    Merchant {
        global_id: "ID.CO.QRIS.WWW".into(),
        pan: "9360000000000000001".into(),
        merchant_id: "POSDEMO40000".into(),
        nmid: "ID1020000000001".into(),
        criteria: "UBE".into(),
        mcc: "9402".into(),
        name: "KANTOR POS DEMO".into(),
        city: "BANDUNG".into(),
        postal_code: "40000".into(),
    }
}

/// Reads TLV fields by hand, so the check does not lean on loket's parser.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let tag = rest[..2].to_string();
        let len: usize = rest[2..4].parse().expect("two-digit length");
        out.push((tag, rest[4..4 + len].to_string()));
        rest = &rest[4 + len..];
    }
    out
}

#[test]
fn a_built_payload_parses_back_field_by_field() {
    let payload = qris::build(&merchant(), rp(37_000), "40000-000012", "LOKET01").expect("build");
    let top = fields(&payload);
    let tags: Vec<&str> = top.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tags,
        [
            "00", "01", "26", "51", "52", "53", "54", "58", "59", "60", "61", "62", "63"
        ]
    );
    let value = |tag: &str| {
        top.iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.clone())
            .expect("tag present")
    };
    assert_eq!(value("00"), "01");
    assert_eq!(value("01"), "12", "dynamic");
    assert_eq!(
        fields(&value("26")),
        [
            ("00", "ID.CO.QRIS.WWW"),
            ("01", "9360000000000000001"),
            ("02", "POSDEMO40000"),
            ("03", "UBE")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        fields(&value("51")),
        [
            ("00", "ID.CO.QRIS.WWW"),
            ("02", "ID1020000000001"),
            ("03", "UBE")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(value("52"), "9402");
    assert_eq!(value("53"), "360");
    assert_eq!(value("54"), "37000", "integer rupiah, no decimals");
    assert_eq!(value("58"), "ID");
    assert_eq!(value("59"), "KANTOR POS DEMO");
    assert_eq!(value("60"), "BANDUNG");
    assert_eq!(value("61"), "40000");
    assert_eq!(
        fields(&value("62")),
        [("01", "40000-000012"), ("07", "LOKET01")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let crc = value("63");
    assert_eq!(
        crc,
        format!(
            "{:04X}",
            crc_bitwise(&payload.as_bytes()[..payload.len() - 4])
        )
    );
    assert_eq!(crc, crc.to_uppercase());
    assert!(payload[..payload.len() - 4].ends_with("6304"));

    let parsed = qris::parse(&payload).expect("loket parses its own payload");
    assert!(parsed.is_dynamic());
    assert_eq!(parsed.amount(), Some(rp(37_000)));
    assert_eq!(parsed.sub("62", "01"), Some("40000-000012"));
    assert_eq!(parsed.sub("26", "01"), Some("9360000000000000001"));
    assert_eq!(parsed.value("59"), Some("KANTOR POS DEMO"));
}

#[test]
fn published_payloads_verify() {
    // From the README of the Go library sunary/qris (its Decode example): a dynamic payload.
    let shopee = "00020101021226380016ID.CO.SHOPEE.WWW010201020815863724530336054061440005802ID5921PT. SHOPPEE INDONESIA6007JAKARTA62180814gen by go-qris63049635";
    // From the README of Rifaldo-dev/qrisdinamis: a static GoPay merchant payload as scanned.
    let gopay = "00020101021126610014COM.GO-JEK.WWW01189360091436271261480210G6271261480303UMI51440014ID.CO.QRIS.WWW0215ID10253896834060303UMI5204573253033605802ID5909aldo soft6013PASAMAN BARAT61052656662070703A0163042275";
    let p = qris::parse(shopee).expect("published dynamic payload verifies");
    assert!(p.is_dynamic());
    assert_eq!(p.amount(), Some(rp(144_000)));
    assert_eq!(p.sub("26", "00"), Some("ID.CO.SHOPEE.WWW"));
    assert_eq!(p.sub("62", "08"), Some("gen by go-qris"));
    assert_eq!(p.value("59"), Some("PT. SHOPPEE INDONESIA"));
    let p = qris::parse(gopay).expect("published static payload verifies");
    assert!(!p.is_dynamic());
    assert_eq!(p.amount(), None);
    assert_eq!(p.sub("51", "02"), Some("ID1025389683406"));
    assert_eq!(p.value("60"), Some("PASAMAN BARAT"));
    for text in [shopee, gopay] {
        let crc = u16::from_str_radix(&text[text.len() - 4..], 16).expect("hex");
        assert_eq!(
            crc,
            crc_bitwise(&text.as_bytes()[..text.len() - 4]),
            "independent CRC agrees"
        );
    }
    // One changed character anywhere breaks the CRC.
    let tampered = gopay.replacen("aldo soft", "aldo s0ft", 1);
    assert!(matches!(
        qris::parse(&tampered),
        Err(QrisError::CrcMismatch { .. })
    ));
}

#[test]
fn merchant_fields_are_checked() {
    let check = |edit: fn(&mut Merchant), field: &str| {
        let mut m = merchant();
        edit(&mut m);
        let err = qris::build(&m, rp(10_000), "R1", "LOKET01").expect_err("refused");
        assert!(
            matches!(&err, QrisError::Field { field: f, .. } if *f == field),
            "{err:?} names {field}"
        );
    };
    check(
        |m| m.name = "KANTOR POS DEMO YANG SANGAT PANJANG".into(),
        "merchant_name",
    );
    check(|m| m.city = "KOTA YANG TERLALU PANJANG".into(), "city");
    check(|m| m.mcc = "94".into(), "mcc");
    check(|m| m.pan = "93600A".into(), "merchant_pan");
    check(|m| m.criteria = "XYZ".into(), "criteria");
    assert!(
        qris::build(&merchant(), rp(0), "R1", "LOKET01").is_err(),
        "an amount must be positive"
    );
}

#[test]
fn the_code_renders_for_the_screen() {
    let payload = qris::build(&merchant(), rp(20_000), "40000-000001", "LOKET01").expect("build");
    let m = qris::matrix(&payload).expect("matrix");
    let n = m.len();
    assert!(
        n >= 21 && (n - 17).is_multiple_of(4),
        "a QR version size, got {n}"
    );
    assert!(m.iter().all(|row| row.len() == n));
    // The three finder patterns: dark 7×7 corners with a light ring inside.
    for (r, c) in [(0, 0), (0, n - 7), (n - 7, 0)] {
        assert!(
            m[r][c] && m[r + 6][c + 6] && !m[r + 1][c + 1] && m[r + 3][c + 3],
            "finder at {r},{c}"
        );
    }
    let text = qris::half_blocks(&payload).expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), (n + 4).div_ceil(2));
    assert!(lines.iter().all(|l| l.chars().count() == n + 4));
}

#[test]
fn a_sale_shows_a_dynamic_code_that_expires() {
    let mut tb = branch();
    let b = &mut tb.branch;
    let s = b
        .till()
        .new_sale(
            loket::queue::CounterNo(2),
            CLERK,
            Some(&crate::common::no("c-7")),
        )
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 2, None)
        .expect("add");
    let o = b
        .till()
        .pay_sale(s.id, CLERK, &[Tender::Qris { amount: rp(20_000) }])
        .expect("pay");
    let q = &o.qris[0];
    assert_eq!(q.state, QrisState::Created);
    let p = qris::parse(&q.payload).expect("valid payload");
    assert_eq!(p.amount(), Some(rp(20_000)));
    assert_eq!(p.sub("62", "01"), Some(q.reference.as_str()));
    assert_eq!(p.sub("62", "07"), Some("LOKET02"));
    assert_eq!(
        b.till()
            .qris_shown(&q.reference, CLERK)
            .expect("shown")
            .state,
        QrisState::Shown
    );
    tb.clock.advance(time::Duration::minutes(4));
    assert_eq!(
        tb.branch.till().sale(s.id).expect("sale").qris[0].state,
        QrisState::Shown,
        "still valid at 4 minutes"
    );
    tb.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        tb.branch.till().sale(s.id).expect("sale").qris[0].state,
        QrisState::Expired,
        "expired after 5 minutes"
    );
    assert_eq!(tb.branch.till().expire_qris().expect("sweep"), 1);
    let late = tb
        .branch
        .till()
        .confirm_qris(&q.reference, CLERK, None)
        .expect("late payment is recorded");
    assert!(late.late && late.qris.flagged);
    assert_eq!(late.qris.state, QrisState::PaidLate);
    let flagged = tb.branch.till().qris_flagged().expect("flagged");
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].reference, q.reference);
}

#[test]
fn late_excess_is_given_back_with_a_supervisor() {
    let mut tb = branch();
    let b = &mut tb.branch;
    b.till()
        .open_till(
            loket::queue::CounterNo(1),
            CLERK,
            &loket::till::CashCount::total_only(rp(50_000)),
        )
        .expect("open");
    let s = b
        .till()
        .new_sale(loket::queue::CounterNo(1), CLERK, None)
        .expect("sale");
    b.till()
        .add_to_sale(s.id, CLERK, "meterai", 1, None)
        .expect("add");
    let q = b
        .till()
        .pay_sale(s.id, CLERK, &[Tender::Qris { amount: rp(10_000) }])
        .expect("pay")
        .qris[0]
        .reference
        .clone();
    tb.clock.advance(time::Duration::minutes(6));
    let b = &mut tb.branch;
    b.till()
        .pay_sale(
            s.id,
            CLERK,
            &[Tender::Cash {
                tendered: rp(10_000),
            }],
        )
        .expect("customer pays cash instead");
    let late = b.till().confirm_qris(&q, CLERK, None).expect("late");
    assert_eq!(late.qris.excess, rp(10_000));
    assert_eq!(
        b.till()
            .x_report(loket::queue::CounterNo(1))
            .expect("x")
            .summary
            .qris_excess,
        rp(10_000)
    );
    let subject = loket::till::approval_subject_qris(&q);
    let id = super::approval(b, loket::till::actions::QRIS_EXCESS, &subject);
    let done = b
        .till()
        .resolve_qris(
            &q,
            loket::queue::CounterNo(1),
            CLERK,
            loket::till::Method::Cash,
            id,
        )
        .expect("resolved");
    assert!(done.resolved && !done.flagged);
    let x = b
        .till()
        .x_report(loket::queue::CounterNo(1))
        .expect("x")
        .summary;
    assert_eq!(x.qris_excess, rp(0));
    assert_eq!(
        x.expected_cash,
        rp(50_000),
        "float + Rp10.000 cash − Rp10.000 given back"
    );
    assert!(b.till().qris_flagged().expect("flagged").is_empty());
}

proptest! {
    #[test]
    fn any_amount_and_reference_round_trip(amount in 1i64..10_000_000_000, bill in "[A-Z0-9-]{1,25}") {
        let payload = qris::build(&merchant(), rp(amount), &bill, "LOKET03").expect("build");
        let p = qris::parse(&payload).expect("parse");
        prop_assert_eq!(p.amount(), Some(rp(amount)));
        prop_assert_eq!(p.sub("62", "01"), Some(bill.as_str()));
        let crc = u16::from_str_radix(&payload[payload.len() - 4..], 16).expect("hex");
        prop_assert_eq!(crc, crc_bitwise(&payload.as_bytes()[..payload.len() - 4]));
    }

    #[test]
    fn the_parser_never_panics(text in ".{0,120}") {
        // Whatever it reads, an accepted payload always ends in its CRC field.
        if let Ok(p) = qris::parse(&text) {
            prop_assert_eq!(p.fields.last().map(|f| f.tag.as_str()), Some("63"));
        }
    }
}
