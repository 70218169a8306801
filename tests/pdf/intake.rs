//! Intake refuses what cannot be stamped with a typed error, and reports what the clerk should know.

use loket::pdf::intake::{IntakeError, IntakeOptions, IntakeWarning, TargetProfile, intake};

use super::support::*;

fn check(name: &str, opts: &IntakeOptions) -> Result<loket::pdf::IntakeReport, IntakeError> {
    intake(corpus().bytes(name), opts).map(|p| p.report)
}

#[test]
fn refusals_are_typed_errors_with_indonesian_reasons() {
    let default = IntakeOptions::default();
    type Expect = fn(&IntakeError) -> bool;
    let cases: Vec<(&str, IntakeOptions, Expect)> = vec![
        ("empty.pdf", default.clone(), |e| {
            matches!(e, IntakeError::Empty)
        }),
        ("not-a-pdf.pdf", default.clone(), |e| {
            matches!(e, IntakeError::NotPdf)
        }),
        ("letter-truncated.pdf", default.clone(), |e| {
            matches!(e, IntakeError::Unreadable(_) | IntakeError::NoPages)
        }),
        ("letter-enc-user.pdf", default.clone(), |e| {
            matches!(e, IntakeError::PasswordRequired)
        }),
        (
            "letter-enc-user.pdf",
            IntakeOptions {
                password: Some("salah".into()),
                ..default.clone()
            },
            |e| matches!(e, IntakeError::WrongPassword),
        ),
        ("letter-certified-p1.pdf", default.clone(), |e| {
            matches!(e, IntakeError::CertifiedNoChanges)
        }),
        (
            "letter.pdf",
            IntakeOptions {
                max_bytes: 100,
                ..default.clone()
            },
            |e| matches!(e, IntakeError::TooLarge { limit: 100, .. }),
        ),
        (
            "hundred.pdf",
            IntakeOptions {
                max_pages: 50,
                ..default.clone()
            },
            |e| {
                matches!(
                    e,
                    IntakeError::TooManyPages {
                        pages: 100,
                        limit: 50
                    }
                )
            },
        ),
    ];
    for (name, opts, expected) in cases {
        let err = check(name, &opts).expect_err(name);
        assert!(expected(&err), "{name}: unexpected error {err:?}");
        let msg = err.to_string();
        assert!(
            msg.ends_with('.') && msg.chars().next().is_some_and(char::is_uppercase),
            "{name}: {msg}"
        );
    }
}

#[test]
fn report_counts_pages_signatures_and_encryption() {
    let r = check("hundred.pdf", &IntakeOptions::default()).expect("hundred");
    assert_eq!(
        (r.pages, r.encrypted, r.signatures.len(), r.repaired),
        (100, false, 0, false)
    );
    assert_eq!(r.version, "1.7");

    let r = check("letter-signed.pdf", &IntakeOptions::default()).expect("signed");
    assert_eq!(r.signatures.len(), 1);
    assert_eq!(r.signatures[0].field, "TTD_Pelamar");
    assert_eq!(r.signatures[0].reason.as_deref(), Some("Disetujui"));

    let r = check("letter-certified-p2.pdf", &IntakeOptions::default()).expect("certified p2");
    assert_eq!(r.certification_level, Some(2));

    let r = check(
        "letter-enc-user.pdf",
        &IntakeOptions {
            password: Some(USER_PASSWORD.into()),
            ..Default::default()
        },
    )
    .expect("encrypted");
    assert!(r.encrypted);
    assert_eq!(r.pages, 1);

    let r = check("letter-enc-empty.pdf", &IntakeOptions::default())
        .expect("encrypted, empty password");
    assert!(r.encrypted);
}

#[test]
fn damaged_xref_is_reported_as_repaired() {
    for name in ["letter-shifted.pdf", "letter-badstartxref.pdf"] {
        let prepared = intake(corpus().bytes(name), &IntakeOptions::default()).expect(name);
        assert!(prepared.report.repaired, "{name}: {:#?}", prepared.report);
        assert!(prepared.report.warnings.contains(&IntakeWarning::Repaired));
        assert_ne!(
            prepared.bytes(),
            &corpus().bytes(name)[..],
            "{name}: a repaired file is rewritten"
        );
    }
}

#[test]
fn casn_profile_warns_but_does_not_refuse() {
    let casn = IntakeOptions {
        profile: Some(TargetProfile::casn_2024()),
        ..Default::default()
    };
    let r = check("letter.pdf", &casn).expect("letter");
    assert!(
        r.warnings.is_empty(),
        "an A4 PDF 1.7 letter meets the CASN rules: {:?}",
        r.warnings
    );

    let r = check("letter-us-1.4.pdf", &casn).expect("US letter 1.4");
    assert!(
        r.warnings
            .iter()
            .any(|w| matches!(w, IntakeWarning::PageSize { page: 1, .. })),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| matches!(w, IntakeWarning::VersionTooLow { .. })),
        "{:?}",
        r.warnings
    );

    let scan = std::fs::read(scanned_25mb()).expect("scan");
    let r = intake(scan, &casn).expect("scan").report;
    assert!(r.warnings.iter().any(|w| matches!(
        w,
        IntakeWarning::TooLargeForProfile {
            limit_bytes: 819_200,
            ..
        }
    )));
    for w in &r.warnings {
        assert!(w.message().ends_with('.'), "{}", w.message());
    }
}
