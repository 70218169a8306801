//! Trust in signer certificates made by OpenSSL: chains through intermediates to configured roots (RSA and EC),
//! the reasons an untrusted signature gives, and timestamps with fractional seconds from `openssl ts`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

use clap::Parser;
use loket::pdf::cli::{VerifyArgs, run_verify};
use loket::pdf::intake::{IntakeOptions, intake};
use loket::pdf::io::RootsError;
use loket::pdf::stamp::{StampSpec, stamp};
use loket::pdf::tsa::TsaError;
use loket::pdf::{
    AppearanceOptions, Rect, SerialNumber, SignatureProfile, Signer, TimestampSource, TrustProblem,
    VerifyReport, load_roots, verify_pdf_with_roots,
};
use time::macros::datetime;

use super::support::{letter_text, run, scratch, text_pdf};

const OPENSSL: &str = "/usr/bin/openssl";

fn openssl(dir: &Path, args: &[&str]) -> String {
    assert!(
        Path::new(OPENSSL).exists(),
        "openssl is missing at {OPENSSL}: install it with `apt-get install -y openssl`"
    );
    let (rc, out) = run(Command::new(OPENSSL).current_dir(dir).args(args));
    assert_eq!(rc, 0, "openssl {args:?} failed ({rc}): {out}");
    out
}

/// A scratch `openssl ca` with explicit validity dates, so nothing here depends on today's date.
struct Ca {
    dir: PathBuf,
}

#[derive(Clone, Copy)]
enum Key {
    Rsa,
    P256,
    P384,
    P521,
}

/// How a certificate is made: its key, its extensions section, its validity (YYYYMMDDHHMMSSZ) and the digest the
/// issuer signs it with.
struct Make<'a> {
    name: &'a str,
    cn: &'a str,
    key: Key,
    extensions: &'a str,
    from: &'a str,
    to: &'a str,
    digest: &'a str,
}

const CA_CONFIG: &str = "\
[ca]
default_ca = test_ca
[test_ca]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[policy_any]
commonName = supplied
organizationName = optional
countryName = optional
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
[v3_tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
[tsa]
default_tsa = tsa1
[tsa1]
dir = .
serial = ./tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
clock_precision_digits = 6
ess_cert_id_alg = sha256
";

impl Ca {
    fn new(dir: PathBuf) -> Self {
        std::fs::create_dir_all(dir.join("newcerts")).expect("ca dir");
        std::fs::write(dir.join("index.txt"), "").expect("index");
        std::fs::write(dir.join("serial"), "1000\n").expect("serial");
        std::fs::write(dir.join("tsaserial"), "01\n").expect("tsa serial");
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).expect("config");
        Ca { dir }
    }

    /// Make `m.name.pem` and `m.name.key`, signed by `issuer` (a name made before) or by itself.
    fn make(&self, m: &Make, issuer: Option<&str>) -> PathBuf {
        let key = format!("{}.key", m.name);
        let csr = format!("{}.csr", m.name);
        let pem = format!("{}.pem", m.name);
        let key_opt = match m.key {
            Key::Rsa => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Key::P256 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Key::P384 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            Key::P521 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        };
        let mut args = vec!["genpkey", "-quiet"];
        args.extend(key_opt);
        args.extend(["-out", &key]);
        openssl(&self.dir, &args);
        let subject = format!("/CN={}/O=loket test/C=ID", m.cn);
        openssl(
            &self.dir,
            &["req", "-new", "-key", &key, "-subj", &subject, "-out", &csr],
        );
        let mut args = vec![
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-notext",
            "-in",
            &csr,
            "-out",
            &pem,
            "-startdate",
            m.from,
            "-enddate",
            m.to,
            "-md",
            m.digest,
            "-extensions",
            m.extensions,
        ];
        let (issuer_pem, issuer_key);
        match issuer {
            Some(i) => {
                issuer_pem = format!("{i}.pem");
                issuer_key = format!("{i}.key");
                args.extend(["-cert", &issuer_pem, "-keyfile", &issuer_key]);
            }
            None => args.extend(["-selfsign", "-keyfile", &key]),
        }
        openssl(&self.dir, &args);
        self.dir.join(pem)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn text(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    /// The signer `name` with the PEM certificates `chain` (its own first) for the CMS.
    fn signer(&self, name: &str, chain: &[&str]) -> Signer {
        let pem: String = chain
            .iter()
            .map(|c| self.text(&format!("{c}.pem")))
            .collect();
        Signer::from_pem(&self.text(&format!("{name}.key")), &pem).expect("signer")
    }
}

const WIDE_FROM: &str = "20200101000000Z";
const WIDE_TO: &str = "20400101000000Z";

/// Every certificate of these tests, made once per run.
fn ca() -> &'static Ca {
    static CA: OnceLock<Ca> = OnceLock::new();
    CA.get_or_init(|| {
        let ca = Ca::new(scratch("trust-openssl-ca"));
        let wide = |name, cn, key, extensions, digest| Make {
            name,
            cn,
            key,
            extensions,
            from: WIDE_FROM,
            to: WIDE_TO,
            digest,
        };
        // RSA root (SHA-384) → RSA intermediate (SHA-512) → P-256 signer (SHA-256 over RSA).
        ca.make(
            &wide("rsa-root", "RSA Root", Key::Rsa, "v3_ca", "sha384"),
            None,
        );
        ca.make(
            &wide("rsa-sub", "RSA Sub", Key::Rsa, "v3_ca", "sha512"),
            Some("rsa-root"),
        );
        ca.make(
            &wide(
                "rsa-signer",
                "Signer Under RSA",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("rsa-sub"),
        );
        // P-256 throughout, the intermediate signed with ECDSA-SHA-384.
        ca.make(
            &wide("ec-root", "EC Root", Key::P256, "v3_ca", "sha256"),
            None,
        );
        ca.make(
            &wide("ec-sub", "EC Sub", Key::P256, "v3_ca", "sha384"),
            Some("ec-root"),
        );
        ca.make(
            &wide(
                "ec-signer",
                "Signer Under EC",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("ec-sub"),
        );
        // An intermediate that expired at the start of 2023, under the RSA root.
        ca.make(
            &Make {
                name: "expired-sub",
                cn: "Expired Sub",
                key: Key::Rsa,
                extensions: "v3_ca",
                from: WIDE_FROM,
                to: "20230101000000Z",
                digest: "sha256",
            },
            Some("rsa-root"),
        );
        ca.make(
            &wide(
                "expired-signer",
                "Signer Under Expired",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("expired-sub"),
        );
        // A root nobody configured.
        ca.make(
            &wide("unknown-root", "Unknown Root", Key::P256, "v3_ca", "sha256"),
            None,
        );
        ca.make(
            &wide(
                "unknown-signer",
                "Signer Under Unknown",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("unknown-root"),
        );
        // A signer that is its own issuer.
        ca.make(
            &wide("selfie", "Self Signer", Key::P256, "v3_leaf", "sha256"),
            None,
        );
        // A P-384 root, which loket checks, and a P-521 root, which it cannot.
        ca.make(
            &wide("p384-root", "P384 Root", Key::P384, "v3_ca", "sha384"),
            None,
        );
        ca.make(
            &wide(
                "p384-signer",
                "Signer Under P384",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("p384-root"),
        );
        ca.make(
            &wide("p521-root", "P521 Root", Key::P521, "v3_ca", "sha512"),
            None,
        );
        ca.make(
            &wide(
                "p521-signer",
                "Signer Under P521",
                Key::P256,
                "v3_leaf",
                "sha256",
            ),
            Some("p521-root"),
        );
        // A TSA under the RSA root.
        ca.make(
            &wide("tsa", "OpenSSL TSA", Key::P256, "v3_tsa", "sha256"),
            Some("rsa-root"),
        );
        std::fs::write(
            ca.path("roots.pem"),
            format!(
                "# the roots of these tests\n{}{}",
                ca.text("rsa-root.pem"),
                ca.text("ec-root.pem")
            ),
        )
        .expect("roots");
        ca
    })
}

fn roots() -> Vec<x509_cert::Certificate> {
    load_roots(&ca().path("roots.pem")).expect("roots")
}

/// The letter stamped by `signer` as adbe.pkcs7.detached, whose signing-time attribute says 1 June 2026.
fn stamped(
    signer: &Signer,
    tsa: Option<&dyn TimestampSource>,
    profile: SignatureProfile,
) -> Vec<u8> {
    let prepared = intake(
        text_pdf(&[letter_text()], super::support::A4, true, "1.7"),
        &IntakeOptions::default(),
    )
    .expect("intake");
    let spec = StampSpec {
        page: 1,
        rect: Rect::from_origin_size(360.0, 320.0, 85.0, 85.0),
        serial: SerialNumber::training(),
        reason: "Surat Pernyataan".into(),
        location: "Jakarta".into(),
        signing_time: datetime!(2026-06-01 10:00 +7),
        appearance: AppearanceOptions::default(),
        profile,
    };
    stamp(prepared, &spec, signer, tsa)
        .unwrap_or_else(|e| panic!("stamp: {e} ({e:?})"))
        .to_vec()
}

fn verify(pdf: &[u8]) -> VerifyReport {
    verify_pdf_with_roots(pdf, None, &roots()).expect("verify")
}

#[test]
fn rsa_and_ec_chains_through_an_intermediate_are_trusted() {
    let ca = ca();
    for (signer, chain) in [
        ("rsa-signer", ["rsa-signer", "rsa-sub"]),
        ("ec-signer", ["ec-signer", "ec-sub"]),
    ] {
        let pdf = stamped(
            &ca.signer(signer, &chain),
            None,
            SignatureProfile::Pkcs7Detached,
        );
        let sig = &verify(&pdf).signatures[0];
        assert!(sig.valid, "{signer}: {sig:#?}");
        assert_eq!(
            (sig.trusted, &sig.trust_problem),
            (Some(true), &None),
            "{signer}: {sig:#?}"
        );
    }
    // Without the intermediate in the signature there is no chain.
    let pdf = stamped(
        &ca.signer("rsa-signer", &["rsa-signer"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let sig = &verify(&pdf).signatures[0];
    assert_eq!(sig.trusted, Some(false));
    assert!(
        matches!(&sig.trust_problem, Some(TrustProblem::NoChain { issuer }) if issuer.contains("CN=RSA Sub")),
        "{sig:#?}"
    );
}

#[test]
fn a_signer_under_an_unknown_root_is_untrusted_and_says_why() {
    let ca = ca();
    let pdf = stamped(
        &ca.signer("unknown-signer", &["unknown-signer"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let sig = &verify(&pdf).signatures[0];
    assert!(sig.valid, "the signature itself is fine: {sig:#?}");
    assert_eq!(sig.trusted, Some(false));
    let problem = sig.trust_problem.as_ref().expect("a reason");
    assert!(
        matches!(problem, TrustProblem::NoChain { issuer } if issuer.contains("CN=Unknown Root")),
        "{problem:?}"
    );
    assert!(
        problem
            .to_string()
            .starts_with("no chain to a configured root"),
        "{problem}"
    );

    // `loket verify --trust roots.pem` says it in Indonesian.
    let dir = scratch("trust-cli-unknown");
    let file = dir.join("signed.pdf");
    std::fs::write(&file, &pdf).expect("write");
    #[derive(Debug, Parser)]
    struct VerifyCli {
        #[command(flatten)]
        args: VerifyArgs,
    }
    let roots_file = ca.path("roots.pem");
    let args = VerifyCli::try_parse_from([
        "verify",
        file.to_str().expect("utf-8"),
        "--trust",
        roots_file.to_str().expect("utf-8"),
    ])
    .expect("args")
    .args;
    let mut out = Vec::new();
    let report = run_verify(&dir.join("data"), &args, &mut out).expect("verify");
    assert_eq!(report.signatures[0].trusted, Some(false));
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("Sertifikat: tidak dipercaya. Tidak ada rantai ke sertifikat akar yang dipercaya: penerbit ")
            && text.contains("CN=Unknown Root")
            && text.contains("tidak ditemukan."),
        "{text}"
    );

    // The same file through a chain that is configured reads as trusted.
    let good = dir.join("good.pdf");
    std::fs::write(
        &good,
        stamped(
            &ca.signer("ec-signer", &["ec-signer", "ec-sub"]),
            None,
            SignatureProfile::Pkcs7Detached,
        ),
    )
    .expect("write");
    let args = VerifyCli::try_parse_from([
        "verify",
        good.to_str().expect("utf-8"),
        "--trust",
        roots_file.to_str().expect("utf-8"),
    ])
    .expect("args")
    .args;
    let mut out = Vec::new();
    run_verify(&dir.join("data"), &args, &mut out).expect("verify");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("Sertifikat: dipercaya (berantai ke sertifikat akar yang dipercaya)"),
        "{text}"
    );
}

#[test]
fn an_intermediate_expired_at_signing_time_is_untrusted() {
    let ca = ca();
    let pdf = stamped(
        &ca.signer("expired-signer", &["expired-signer", "expired-sub"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let sig = &verify(&pdf).signatures[0];
    assert_eq!(sig.trusted, Some(false));
    let claimed = SystemTime::from(datetime!(2026-06-01 10:00 +7));
    match &sig.trust_problem {
        Some(TrustProblem::OutsideValidity {
            subject,
            not_after,
            at,
            ..
        }) => {
            assert!(subject.contains("CN=Expired Sub"), "{subject}");
            assert_eq!(*at, claimed);
            assert!(not_after < at);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        sig.trust_problem
            .as_ref()
            .is_some_and(|p| p.to_string().contains(
                "not valid at signing time 2026-06-01T03:00:00Z (valid 2020-01-01T00:00:00Z to 2023-01-01T00:00:00Z)"
            )),
        "{sig:#?}"
    );
}

#[test]
fn a_self_signed_signer_outside_the_roots_is_untrusted() {
    let ca = ca();
    let pdf = stamped(
        &ca.signer("selfie", &["selfie"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let sig = &verify(&pdf).signatures[0];
    assert_eq!(sig.trusted, Some(false));
    assert!(
        matches!(&sig.trust_problem, Some(TrustProblem::SelfSigned { subject }) if subject.contains("CN=Self Signer")),
        "{sig:#?}"
    );
    // Configured as a root itself, it is trusted.
    let mut with_selfie = roots();
    with_selfie.extend(load_roots(&ca.path("selfie.pem")).expect("selfie"));
    let report = verify_pdf_with_roots(&pdf, None, &with_selfie).expect("verify");
    assert_eq!(report.signatures[0].trusted, Some(true));
}

#[test]
fn a_p384_root_is_checked() {
    let ca = ca();
    let pdf = stamped(
        &ca.signer("p384-signer", &["p384-signer"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let p384 = load_roots(&ca.path("p384-root.pem")).expect("p384 root");
    let report = verify_pdf_with_roots(&pdf, None, &p384).expect("verify");
    let sig = &report.signatures[0];
    assert_eq!(
        (sig.trusted, &sig.trust_problem),
        (Some(true), &None),
        "{sig:#?}"
    );
}

#[test]
fn a_p521_root_is_reported_as_unsupported() {
    let ca = ca();
    let pdf = stamped(
        &ca.signer("p521-signer", &["p521-signer"]),
        None,
        SignatureProfile::Pkcs7Detached,
    );
    let p521 = load_roots(&ca.path("p521-root.pem")).expect("p521 root");
    let report = verify_pdf_with_roots(&pdf, None, &p521).expect("verify");
    let sig = &report.signatures[0];
    assert_eq!(sig.trusted, Some(false));
    assert!(
        matches!(&sig.trust_problem, Some(TrustProblem::UnsupportedAlgorithm { algorithm, .. }) if algorithm.to_string() == "1.3.132.0.35"),
        "{sig:#?}"
    );
}

/// `openssl ts -reply` as the TSA: a real RFC 3161 implementation writing microseconds into genTime.
struct OpensslTsa {
    dir: PathBuf,
}

impl TimestampSource for OpensslTsa {
    fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
        std::fs::write(self.dir.join("request.tsq"), request_der)
            .map_err(|e| TsaError::Unavailable(Box::new(e)))?;
        openssl(
            &self.dir,
            &[
                "ts",
                "-reply",
                "-config",
                "ca.cnf",
                "-queryfile",
                "request.tsq",
                "-signer",
                "tsa.pem",
                "-inkey",
                "tsa.key",
                "-chain",
                "rsa-root.pem",
                "-out",
                "reply.tsr",
            ],
        );
        std::fs::read(self.dir.join("reply.tsr")).map_err(|e| TsaError::Unavailable(Box::new(e)))
    }
}

#[test]
fn an_openssl_timestamp_with_microseconds_is_accepted_and_shown() {
    let ca = ca();
    // Its own folder: the reply file is read back below, and other tests may stamp at the same time.
    let dir = scratch("trust-openssl-tsa");
    for file in ["ca.cnf", "tsa.pem", "tsa.key", "rsa-root.pem", "tsaserial"] {
        std::fs::copy(ca.path(file), dir.join(file)).expect("copy");
    }
    let tsa = OpensslTsa { dir: dir.clone() };
    let pdf = stamped(
        &ca.signer("ec-signer", &["ec-signer", "ec-sub"]),
        Some(&tsa),
        SignatureProfile::CadesDetached,
    );
    let sig = &verify(&pdf).signatures[0];
    assert!(sig.valid, "{sig:#?}");
    assert_eq!(sig.timestamp_valid, Some(true));
    assert_eq!((sig.trusted, &sig.trust_problem), (Some(true), &None));
    // OpenSSL's own reading of the reply: "Time stamp: Dec  6 10:45:20.755123 2026 GMT".
    let text = openssl(&dir, &["ts", "-reply", "-in", "reply.tsr", "-text"]);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Time stamp: "))
        .expect("a time stamp line");
    let clock = line
        .split_whitespace()
        .find(|w| w.contains(':'))
        .expect("a clock time");
    let shown = sig.timestamp_time.as_deref().expect("shown");
    assert!(
        shown.contains(&format!("T{clock}Z")),
        "loket shows {shown}, openssl reads {line}"
    );
}

#[test]
fn root_files_that_cannot_be_used_are_named() {
    let dir = scratch("trust-roots-errors");
    let missing = dir.join("missing.pem");
    let err = load_roots(&missing).expect_err("missing");
    assert!(matches!(err, RootsError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").expect("write");
    let err = load_roots(&empty).expect_err("empty");
    assert!(matches!(err, RootsError::Empty { .. }), "{err:?}");
    assert!(err.to_string().contains("empty.pem"), "{err}");

    let broken = dir.join("broken.pem");
    let good = ca().text("rsa-root.pem");
    std::fs::write(&broken, good.replace("MII", "xxx")).expect("write");
    let err = load_roots(&broken).expect_err("broken");
    assert!(matches!(err, RootsError::Pem { .. }), "{err:?}");
    assert!(err.to_string().contains("broken.pem"), "{err}");
}
