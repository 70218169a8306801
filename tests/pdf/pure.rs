//! Pure helpers: serial numbers, PDF dates, QR payloads.

use loket::pdf::appearance::verification_url;
use loket::pdf::serial::SerialNumber;
use loket::pdf::stamp::pdf_date;

#[test]
fn serial_numbers() {
    let check = |s: &str, ok: bool| assert_eq!(SerialNumber::parse(s).is_ok(), ok, "{s}");
    check("389UY343AP0GE9A40000A9", true);
    check("2C5NV74I6D0HJ1EZ000DU9", true);
    check(" ACCTL6L1230GUAPI0001T9 ", true);
    check("389uy343ap0ge9a40000a9", false);
    check("389UY343AP0GE9A40000A", false);
    check("389UY343AP0GE9A40000A99", false);
    check("389UY343AP0GE9A4000-A9", false);
    check("", false);
    for _ in 0..100 {
        let sn = SerialNumber::training();
        assert!(
            sn.is_training() && SerialNumber::parse(sn.as_str()).is_ok(),
            "{sn}"
        );
    }
    assert_eq!(
        SerialNumber::from_reason("[389UY343AP0GE9A40000A9] Surat Pernyataan")
            .map(|s| s.to_string())
            .as_deref(),
        Some("389UY343AP0GE9A40000A9")
    );
    assert_eq!(SerialNumber::from_reason("Surat Pernyataan"), None);
    assert_eq!(SerialNumber::from_reason("[bukan-sn] x"), None);
}

#[test]
fn pdf_dates_carry_the_branch_offset() {
    let t = time::macros::datetime!(2024-09-03 08:05:09 UTC);
    let check = |offset: time::UtcOffset, expected: &str| {
        assert_eq!(pdf_date(t.to_offset(offset)), expected)
    };
    check(time::macros::offset!(+7), "D:20240903150509+07'00'");
    check(time::macros::offset!(+8), "D:20240903160509+08'00'");
    check(time::macros::offset!(+9), "D:20240903170509+09'00'");
    check(time::macros::offset!(-3:30), "D:20240903043509-03'30'");
}

#[test]
fn verification_url_template() {
    assert_eq!(
        verification_url("https://v.example/?sn={sn}", "TRN1"),
        "https://v.example/?sn=TRN1"
    );
    assert_eq!(
        verification_url("https://v.example/{sn}/{sn}", "A"),
        "https://v.example/A/A"
    );
}
