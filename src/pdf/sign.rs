//! CMS detached signatures over a PDF byte range: CAdES (PAdES B-B/B-T) or adbe.pkcs7.detached, ECDSA P-256.

use std::path::Path;
use std::time::SystemTime;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Encode, Sequence};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

use super::tsa::{TimestampSource, TsaError, request_token};

/// id-aa-timeStampToken (RFC 3161 appendix A).
pub(crate) const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub(crate) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Which CMS flavour goes into the PDF signature dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureProfile {
    /// `/SubFilter /ETSI.CAdES.detached` with the ESS signing-certificate-v2 attribute and no signing-time
    /// attribute (PAdES baseline B-B; B-T with a timestamp).
    #[default]
    CadesDetached,
    /// `/SubFilter /adbe.pkcs7.detached` with a signing-time attribute: what Peruri's Sign Adapter produces.
    Pkcs7Detached,
}

impl SignatureProfile {
    /// The PDF `/SubFilter` name.
    pub fn sub_filter(self) -> &'static str {
        match self {
            SignatureProfile::CadesDetached => "ETSI.CAdES.detached",
            SignatureProfile::Pkcs7Detached => "adbe.pkcs7.detached",
        }
    }
}

/// A signing key and its certificate chain could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// A file could not be read.
    Io {
        /// Which file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key is not a PKCS#8 P-256 key.
    Key(#[source] p256::pkcs8::Error),
    /// The chain is not PEM certificates.
    Chain(#[source] der::Error),
    /// The chain is empty.
    EmptyChain,
    /// The first certificate does not belong to the key.
    KeyMismatch,
}

/// The CMS structure could not be encoded (a bug, never an operator error).
#[derive(Debug, thiserror::Error)]
pub enum CmsBuildError {
    /// DER encoding failed.
    Der(#[from] der::Error),
    /// The cms builder failed; its error type does not implement `std::error::Error`, so keep its text.
    Builder(String),
}

impl From<cms::builder::Error> for CmsBuildError {
    fn from(e: cms::builder::Error) -> Self {
        CmsBuildError::Builder(e.to_string())
    }
}

/// Building the CMS signature failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// DER encoding or the CMS builder failed (a bug).
    Cms(#[source] CmsBuildError),
    /// The timestamp authority did not deliver a usable token.
    Timestamp(#[from] TsaError),
}

impl From<der::Error> for SignError {
    fn from(e: der::Error) -> Self {
        SignError::Cms(CmsBuildError::Der(e))
    }
}
impl From<CmsBuildError> for SignError {
    fn from(e: CmsBuildError) -> Self {
        SignError::Cms(e)
    }
}

/// An ECDSA P-256 key with its certificate chain (signer first).
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &self.subject_name())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// From a PKCS#8 PEM key and a PEM chain whose first certificate belongs to the key.
    pub fn from_pem(key_pem: &str, chain_pem: &str) -> Result<Self, SignerError> {
        let key = SigningKey::from_pkcs8_pem(key_pem).map_err(SignerError::Key)?;
        let chain =
            Certificate::load_pem_chain(chain_pem.as_bytes()).map_err(SignerError::Chain)?;
        let first = chain.first().ok_or(SignerError::EmptyChain)?;
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
            .map_err(|_| SignerError::KeyMismatch)?;
        if spki != first.tbs_certificate.subject_public_key_info {
            return Err(SignerError::KeyMismatch);
        }
        Ok(Signer { key, chain })
    }

    /// From PEM files (the edge version of [`Signer::from_pem`]).
    pub fn from_files(key: &Path, chain: &Path) -> Result<Self, SignerError> {
        let (key, chain) = read_pem_pair(key, chain)?;
        Self::from_pem(&key, &chain)
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        // `from_pem` refuses an empty chain.
        &self.chain[0]
    }

    /// The whole chain, signer first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The signer's common name (for `/Name`), or the whole subject when it has none.
    pub fn subject_name(&self) -> String {
        common_name(&self.certificate().tbs_certificate.subject)
    }

    pub(crate) fn key(&self) -> &SigningKey {
        &self.key
    }
}

/// The CN of an X.509 name, or its RFC 4514 text when it has none.
pub fn common_name(name: &x509_cert::name::Name) -> String {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == const_oid::db::rfc4519::CN {
                if let Ok(s) = der::asn1::Utf8StringRef::try_from(&atv.value) {
                    return s.as_str().to_string();
                }
                if let Ok(s) = der::asn1::PrintableStringRef::try_from(&atv.value) {
                    return s.as_str().to_string();
                }
            }
        }
    }
    name.to_string()
}

/// ESSCertIDv2 (RFC 5035); hashAlgorithm is left out because SHA-256 is its DEFAULT.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// SigningCertificateV2 (RFC 5035), without policies.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

pub(crate) fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ID_SHA_256,
        parameters: None,
    }
}

pub(crate) fn signing_certificate_v2_attr(cert: &Certificate) -> Result<Attribute, der::Error> {
    let cert_hash = Sha256::digest(cert.to_der()?);
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(cert_hash.to_vec())?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate.issuer.clone(),
                )],
                serial_number: cert.tbs_certificate.serial_number.clone(),
            }),
        }],
    };
    Ok(Attribute {
        oid: const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2,
        values: SetOfVec::try_from(vec![Any::encode_from(&value)?])?,
    })
}

fn signing_time_attr(time: SystemTime) -> Result<Attribute, der::Error> {
    let t = x509_cert::time::Time::try_from(time)?;
    Ok(Attribute {
        oid: const_oid::db::rfc5911::ID_SIGNING_TIME,
        values: SetOfVec::try_from(vec![Any::encode_from(&t)?])?,
    })
}

pub(crate) fn sid_of(cert: &Certificate) -> SignerIdentifier {
    SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// Sign `econtent` (or, for a detached signature, the external `digest`) into a DER `ContentInfo`.
pub(crate) fn signed_data(
    key: &SigningKey,
    chain: &[Certificate],
    encap: &EncapsulatedContentInfo,
    external_digest: Option<&[u8]>,
    extra_signed: Vec<Attribute>,
) -> Result<ContentInfo, CmsBuildError> {
    let cert = chain
        .first()
        .ok_or_else(|| CmsBuildError::Builder("empty certificate chain".into()))?;
    let mut sib = SignerInfoBuilder::new(key, sid_of(cert), sha256_alg(), encap, external_digest)?;
    for attr in extra_signed {
        sib.add_signed_attribute(attr)?;
    }
    let mut builder = SignedDataBuilder::new(encap);
    builder.add_digest_algorithm(sha256_alg())?;
    for c in chain {
        builder.add_certificate(CertificateChoices::Certificate(c.clone()))?;
    }
    builder.add_signer_info::<SigningKey, DerSignature>(sib)?;
    Ok(builder.build()?)
}

/// Build the detached CMS for a PDF whose byte range hashes to `digest` (SHA-256).
///
/// With a timestamp source the signature value is timestamped (RFC 3161) and the token added as the unsigned
/// attribute id-aa-timeStampToken, which makes a CAdES signature PAdES B-T.
pub fn build_cms(
    signer: &Signer,
    digest: &[u8; 32],
    profile: SignatureProfile,
    signing_time: SystemTime,
    tsa: Option<&dyn TimestampSource>,
) -> Result<Vec<u8>, SignError> {
    let encap = EncapsulatedContentInfo {
        econtent_type: const_oid::db::rfc5911::ID_DATA,
        econtent: None,
    };
    let extra = match profile {
        SignatureProfile::CadesDetached => vec![signing_certificate_v2_attr(signer.certificate())?],
        SignatureProfile::Pkcs7Detached => vec![signing_time_attr(signing_time)?],
    };
    let ci = signed_data(signer.key(), signer.chain(), &encap, Some(digest), extra)?;
    let Some(tsa) = tsa else {
        return Ok(ci.to_der()?);
    };
    let mut sd: SignedData = ci.content.decode_as()?;
    let mut infos: Vec<SignerInfo> = sd.signer_infos.0.into_vec();
    let first = infos
        .first_mut()
        .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
    let token = request_token(tsa, first.signature.as_bytes())?;
    let attr = Attribute {
        oid: ID_AA_TIME_STAMP_TOKEN,
        values: SetOfVec::try_from(vec![Any::encode_from(&token)?])?,
    };
    let mut unsigned = first
        .unsigned_attrs
        .take()
        .map(|a| a.into_vec())
        .unwrap_or_default();
    unsigned.push(attr);
    first.unsigned_attrs = Some(SetOfVec::try_from(unsigned)?);
    sd.signer_infos = cms::signed_data::SignerInfos(SetOfVec::try_from(infos)?);
    let out = ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: Any::encode_from(&sd)?,
    };
    Ok(out.to_der()?)
}

/// Reads a PEM key file and a PEM certificate chain file (a signer's or a TSA's).
pub(crate) fn read_pem_pair(key: &Path, chain: &Path) -> Result<(String, String), SignerError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| SignerError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    Ok((read(key)?, read(chain)?))
}
