//! Certificates for the unit tests: roots, intermediates, signers and TSAs with chosen names and validity
//! (ECDSA P-256, built with x509-cert's builder as the training PKI is).

use std::str::FromStr;
use std::time::SystemTime;

use der::DateTime;
use der::EncodePem;
use der::pem::LineEnding;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePrivateKey;
use rand_core::OsRng;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// A key and the certificate issued for it.
pub(crate) struct Issued {
    pub key: SigningKey,
    pub cert: Certificate,
}

/// Midnight UTC on 1 January of `year`.
pub(crate) fn jan1(year: u16) -> SystemTime {
    DateTime::new(year, 1, 1, 0, 0, 0)
        .expect("date")
        .to_system_time()
}

/// 6 December 2026, 10:32:15 UTC: the signing moment of the tests.
pub(crate) fn signing_day() -> SystemTime {
    DateTime::new(2026, 12, 6, 10, 32, 15)
        .expect("date")
        .to_system_time()
}

/// Valid from 1 January `from` to 1 January `to`.
pub(crate) fn years(from: u16, to: u16) -> Validity {
    Validity {
        not_before: Time::try_from(jan1(from)).expect("time"),
        not_after: Time::try_from(jan1(to)).expect("time"),
    }
}

fn serial() -> SerialNumber {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    SerialNumber::new(&n.to_be_bytes()[..]).expect("serial")
}

fn name(cn: &str) -> Name {
    Name::from_str(&format!("CN={cn},O=loket test,C=ID")).expect("name")
}

fn build(
    profile: Profile,
    cn: &str,
    validity: Validity,
    key: &SigningKey,
    by: &SigningKey,
) -> Certificate {
    build_with(profile, cn, validity, key, by, false)
}

fn build_with(
    profile: Profile,
    cn: &str,
    validity: Validity,
    key: &SigningKey,
    by: &SigningKey,
    time_stamping: bool,
) -> Certificate {
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).expect("spki");
    let mut builder =
        CertificateBuilder::new(profile, serial(), validity, name(cn), spki, by).expect("builder");
    if time_stamping {
        builder
            .add_extension(&ExtendedKeyUsage(vec![
                const_oid::db::rfc5280::ID_KP_TIME_STAMPING,
            ]))
            .expect("eku");
    }
    builder.build::<DerSignature>().expect("certificate")
}

/// A self-signed CA.
pub(crate) fn root(cn: &str, validity: Validity) -> Issued {
    let key = SigningKey::random(&mut OsRng);
    let cert = build(Profile::Root, cn, validity, &key, &key);
    Issued { key, cert }
}

/// A CA issued by `issuer`.
pub(crate) fn intermediate(
    cn: &str,
    issuer: &Issued,
    validity: Validity,
    path_len: Option<u8>,
) -> Issued {
    let key = SigningKey::random(&mut OsRng);
    let profile = Profile::SubCA {
        issuer: issuer.cert.tbs_certificate.subject.clone(),
        path_len_constraint: path_len,
    };
    let cert = build(profile, cn, validity, &key, &issuer.key);
    Issued { key, cert }
}

fn leaf_profile(issuer: Name) -> Profile {
    Profile::Leaf {
        issuer,
        enable_key_agreement: false,
        enable_key_encipherment: false,
    }
}

/// A signer (not a CA) issued by `issuer`.
pub(crate) fn leaf(cn: &str, issuer: &Issued, validity: Validity) -> Issued {
    let key = SigningKey::random(&mut OsRng);
    let profile = leaf_profile(issuer.cert.tbs_certificate.subject.clone());
    let cert = build(profile, cn, validity, &key, &issuer.key);
    Issued { key, cert }
}

/// A TSA certificate (extended key usage timeStamping) issued by `issuer`.
pub(crate) fn tsa(cn: &str, issuer: &Issued, validity: Validity) -> Issued {
    let key = SigningKey::random(&mut OsRng);
    let profile = leaf_profile(issuer.cert.tbs_certificate.subject.clone());
    let cert = build_with(profile, cn, validity, &key, &issuer.key, true);
    Issued { key, cert }
}

/// A signer certificate that is its own issuer.
pub(crate) fn self_signed_leaf(cn: &str, validity: Validity) -> Issued {
    let key = SigningKey::random(&mut OsRng);
    let cert = build(leaf_profile(name(cn)), cn, validity, &key, &key);
    Issued { key, cert }
}

/// A certificate for `key` named `cn`, issued under `issuer_cn` and signed with `by` (for loops and look-alikes).
pub(crate) fn ca_signed_by(
    cn: &str,
    key: &SigningKey,
    issuer_cn: &str,
    by: &SigningKey,
) -> Certificate {
    let profile = Profile::SubCA {
        issuer: name(issuer_cn),
        path_len_constraint: None,
    };
    build(profile, cn, years(2020, 2040), key, by)
}

/// PKCS#8 PEM of the key.
pub(crate) fn key_pem(issued: &Issued) -> String {
    let secret = p256::SecretKey::from(issued.key.as_nonzero_scalar());
    secret
        .to_pkcs8_pem(LineEnding::LF)
        .expect("pkcs8")
        .to_string()
}

/// The certificates as one PEM text.
pub(crate) fn chain_pem(certs: &[&Certificate]) -> String {
    certs
        .iter()
        .map(|c| c.to_pem(LineEnding::LF).expect("pem"))
        .collect()
}
