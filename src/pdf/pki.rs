//! Training PKI in pure Rust: a branch CA, an e-Meterai signer certificate and a TSA certificate, as PEM files.
//!
//! `loket init` calls [`generate_training_pki`] once per data folder. The keys are ECDSA P-256: key generation is
//! instant (RSA-2048 takes ~100 ms and the `rsa` crate carries RUSTSEC-2023-0071), signatures are small (the CMS
//! blob is ~1.4 KB instead of ~1.8 KB) and every validator loket is tested against accepts them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::asn1::ObjectIdentifier;
use der::pem::LineEnding;
use der::{EncodePem, oid::AssociatedOid};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePrivateKey;
use rand_core::{OsRng, RngCore};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// File names inside the PKI folder (`DATA/pki/`).
pub const CA_CERT_FILE: &str = "ca.pem";
/// The signer's PKCS#8 private key.
pub const SIGNER_KEY_FILE: &str = "signer.key";
/// The signer's certificate followed by the CA certificate.
pub const SIGNER_CHAIN_FILE: &str = "signer.pem";
/// The training TSA's PKCS#8 private key.
pub const TSA_KEY_FILE: &str = "tsa.key";
/// The training TSA's certificate followed by the CA certificate.
pub const TSA_CHAIN_FILE: &str = "tsa.pem";

/// How long the training certificates stay valid.
const VALIDITY_DAYS: u64 = 3 * 365;

/// Failure to create the training PKI.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// The folder or one of its files could not be written.
    Io {
        /// The file or folder that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The certificate could not be built (a bug, not an operator error).
    Build(#[source] x509_cert::builder::Error),
    /// A name, key or certificate could not be DER/PEM encoded.
    Encoding(#[source] der::Error),
}

impl From<x509_cert::builder::Error> for PkiError {
    fn from(e: x509_cert::builder::Error) -> Self {
        PkiError::Build(e)
    }
}
impl From<der::Error> for PkiError {
    fn from(e: der::Error) -> Self {
        PkiError::Encoding(e)
    }
}
impl From<spki::Error> for PkiError {
    fn from(e: spki::Error) -> Self {
        PkiError::Build(x509_cert::builder::Error::PublicKey(e))
    }
}
impl From<p256::pkcs8::Error> for PkiError {
    fn from(_: p256::pkcs8::Error) -> Self {
        PkiError::Encoding(der::Error::from(der::ErrorKind::Failed))
    }
}

/// Paths of the files [`generate_training_pki`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingPkiPaths {
    /// Trust anchor for validators (`pyhanko --trust`, the verify command).
    pub ca_cert: PathBuf,
    /// Signer key (PKCS#8 PEM).
    pub signer_key: PathBuf,
    /// Signer certificate + CA (PEM).
    pub signer_chain: PathBuf,
    /// TSA key (PKCS#8 PEM).
    pub tsa_key: PathBuf,
    /// TSA certificate + CA (PEM).
    pub tsa_chain: PathBuf,
}

impl TrainingPkiPaths {
    /// The file names inside `dir`, whether or not they exist yet.
    pub fn in_dir(dir: &Path) -> Self {
        TrainingPkiPaths {
            ca_cert: dir.join(CA_CERT_FILE),
            signer_key: dir.join(SIGNER_KEY_FILE),
            signer_chain: dir.join(SIGNER_CHAIN_FILE),
            tsa_key: dir.join(TSA_KEY_FILE),
            tsa_chain: dir.join(TSA_CHAIN_FILE),
        }
    }

    /// Whether every file is present.
    pub fn exists(&self) -> bool {
        [
            &self.ca_cert,
            &self.signer_key,
            &self.signer_chain,
            &self.tsa_key,
            &self.tsa_chain,
        ]
        .iter()
        .all(|p| p.is_file())
    }
}

/// PEM text of a freshly generated training PKI (pure, no I/O).
#[derive(Clone)]
pub struct TrainingPki {
    /// CA certificate.
    pub ca_cert_pem: String,
    /// Signer private key, PKCS#8.
    pub signer_key_pem: String,
    /// Signer certificate followed by the CA certificate.
    pub signer_chain_pem: String,
    /// TSA private key, PKCS#8.
    pub tsa_key_pem: String,
    /// TSA certificate followed by the CA certificate.
    pub tsa_chain_pem: String,
}

impl std::fmt::Debug for TrainingPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("TrainingPki").finish_non_exhaustive()
    }
}

/// Extended key usage `timeStamping`, marked critical as RFC 3161 §2.3 requires of a TSA certificate
/// (x509-cert's own `ExtendedKeyUsage` is always non-critical).
struct CriticalEku(ExtendedKeyUsage);

impl AssociatedOid for CriticalEku {
    const OID: ObjectIdentifier = ExtendedKeyUsage::OID;
}
impl der::Encode for CriticalEku {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.0.encoded_len()
    }
    fn encode(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        self.0.encode(writer)
    }
}
impl AsExtension for CriticalEku {
    fn critical(&self, _subject: &Name, _extensions: &[x509_cert::ext::Extension]) -> bool {
        true
    }
}

/// A random certificate serial: 16 octets, positive and without a leading zero octet. Shared with
/// the branch server's certificates (`server::tls`).
pub(crate) fn random_serial() -> der::Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes)
}

/// A certificate's validity of `days` from a day before now, so a PC whose clock is slightly
/// behind still accepts it. Shared with the branch server's certificates.
pub(crate) fn validity_for(days: u64) -> der::Result<Validity> {
    let now = SystemTime::now();
    let start = now.checked_sub(Duration::from_secs(86_400)).unwrap_or(now);
    let end = now + Duration::from_secs(days * 86_400);
    Ok(Validity {
        not_before: Time::try_from(start)?,
        not_after: Time::try_from(end)?,
    })
}

fn validity() -> Result<Validity, PkiError> {
    Ok(validity_for(VALIDITY_DAYS)?)
}

fn spki_of(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    Ok(SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())?)
}

/// A P-256 key as PKCS#8 PEM. Shared with the branch server's certificates.
pub(crate) fn key_pem(key: &SigningKey) -> Result<String, p256::pkcs8::Error> {
    let secret = p256::SecretKey::from(key.as_nonzero_scalar());
    Ok(secret.to_pkcs8_pem(LineEnding::LF)?.to_string())
}

fn cert_pem(cert: &Certificate) -> Result<String, PkiError> {
    Ok(cert.to_pem(LineEnding::LF)?)
}

/// Generate a training CA, a signer and a TSA certificate for `branch` (pure: no files written).
///
/// The signer certificate carries KeyUsage digitalSignature + nonRepudiation (pyHanko's default requirement); the
/// TSA certificate a critical EKU id-kp-timeStamping.
pub fn generate_training_pki_pem(branch: &str) -> Result<TrainingPki, PkiError> {
    let cn = sanitize_rdn(branch);
    let ca_key = SigningKey::random(&mut OsRng);
    let ca_name = Name::from_str(&format!(
        "CN=loket Training CA {cn},O=Pos Indonesia (LATIHAN),C=ID"
    ))?;
    let ca_cert = CertificateBuilder::new(
        Profile::Root,
        random_serial()?,
        validity()?,
        ca_name.clone(),
        spki_of(&ca_key)?,
        &ca_key,
    )?
    .build::<DerSignature>()?;

    let signer_key = SigningKey::random(&mut OsRng);
    let signer_name = Name::from_str(&format!(
        "CN=e-Meterai SPESIMEN {cn},OU=Layanan e-Meterai,O=Pos Indonesia (LATIHAN),C=ID"
    ))?;
    let signer_cert = CertificateBuilder::new(
        Profile::Leaf {
            issuer: ca_name.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        random_serial()?,
        validity()?,
        signer_name,
        spki_of(&signer_key)?,
        &ca_key,
    )?
    .build::<DerSignature>()?;

    let tsa_key = SigningKey::random(&mut OsRng);
    let tsa_name = Name::from_str(&format!(
        "CN=loket Training TSA {cn},O=Pos Indonesia (LATIHAN),C=ID"
    ))?;
    let mut tsa_builder = CertificateBuilder::new(
        Profile::Leaf {
            issuer: ca_name,
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        random_serial()?,
        validity()?,
        tsa_name,
        spki_of(&tsa_key)?,
        &ca_key,
    )?;
    tsa_builder.add_extension(&CriticalEku(ExtendedKeyUsage(vec![
        const_oid::db::rfc5280::ID_KP_TIME_STAMPING,
    ])))?;
    let tsa_cert = tsa_builder.build::<DerSignature>()?;

    let ca_pem = cert_pem(&ca_cert)?;
    Ok(TrainingPki {
        signer_key_pem: key_pem(&signer_key)?,
        signer_chain_pem: format!("{}{}", cert_pem(&signer_cert)?, ca_pem),
        tsa_key_pem: key_pem(&tsa_key)?,
        tsa_chain_pem: format!("{}{}", cert_pem(&tsa_cert)?, ca_pem),
        ca_cert_pem: ca_pem,
    })
}

/// Keep a branch name usable inside an RFC 4514 string.
fn sanitize_rdn(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.'))
        .take(40)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "Cabang".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Generate the training PKI and write it into `dir` (created if missing). Existing files are overwritten, so
/// callers (`loket init`) check [`TrainingPkiPaths::exists`] first. Keys are written with mode 0600.
pub fn generate_training_pki(dir: &Path, branch: &str) -> Result<TrainingPkiPaths, PkiError> {
    let pki = generate_training_pki_pem(branch)?;
    fs::create_dir_all(dir).map_err(|source| PkiError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let paths = TrainingPkiPaths::in_dir(dir);
    write_file(&paths.ca_cert, &pki.ca_cert_pem, false)?;
    write_file(&paths.signer_key, &pki.signer_key_pem, true)?;
    write_file(&paths.signer_chain, &pki.signer_chain_pem, false)?;
    write_file(&paths.tsa_key, &pki.tsa_key_pem, true)?;
    write_file(&paths.tsa_chain, &pki.tsa_chain_pem, false)?;
    Ok(paths)
}

fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), PkiError> {
    let err = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Write to a temporary name and rename, so a crash never leaves half a key behind.
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(err)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).map_err(err)?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    fs::rename(&tmp, path).map_err(err)
}
