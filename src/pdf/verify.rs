//! Verifying the signatures in a PDF: byte ranges, digests, CMS signatures, SNs and later changes.

use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Decode, Encode, SliceReader};
use lopdf::{Document, LoadOptions};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::objects;
use super::serial::SerialNumber;
use super::sign::{ID_AA_TIME_STAMP_TOKEN, common_name};
use super::stamp::StampedPdf;
use super::tsa::token_tst_info;

/// The result for one signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureCheck {
    /// Field name.
    pub field: String,
    /// SN parsed from a `[SN] …` reason.
    pub serial: Option<String>,
    /// Signer's common name from the certificate (or `/Name`).
    pub signer: Option<String>,
    /// `/M` as written.
    pub signing_time: Option<String>,
    /// Generation time of an embedded RFC 3161 timestamp.
    pub timestamp_time: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// `/SubFilter`.
    pub sub_filter: Option<String>,
    /// `/ByteRange`.
    pub byte_range: Vec<u64>,
    /// The signed byte range hashes to the CMS message digest.
    pub digest_matches: bool,
    /// The CMS signature verifies with the signer certificate's key.
    pub signature_valid: bool,
    /// The embedded timestamp token (if any) is intact and covers this signature.
    pub timestamp_valid: Option<bool>,
    /// The signer certificate was issued by the given trust anchor (`None` when no anchor was given).
    pub trusted: Option<bool>,
    /// Byte range well-formed, digest and signature valid.
    pub valid: bool,
    /// The file continues after this signature's revision (later updates exist).
    pub modified_after: bool,
    /// Why it is not valid (Indonesian), when it is not.
    pub problem: Option<String>,
}

/// All signatures of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// File size.
    pub size_bytes: u64,
    /// One entry per signed signature field, in the order of the file's byte ranges.
    pub signatures: Vec<SignatureCheck>,
}

impl VerifyReport {
    /// Whether there is at least one signature and every one is valid.
    pub fn all_valid(&self) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(|s| s.valid)
    }
}

/// The file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a PDF.
    #[error("Berkas ini bukan PDF sehingga tidak dapat diperiksa.")]
    NotPdf,
    /// Locked with a password that was not given or is wrong.
    #[error(
        "Berkas ini dikunci dengan kata sandi. Berikan kata sandinya untuk memeriksa tanda tangan."
    )]
    PasswordRequired,
    /// Damaged beyond reading.
    #[error("Berkas PDF rusak dan tidak dapat dibaca untuk diperiksa.")]
    Unreadable(#[source] lopdf::Error),
}

/// Why a freshly written stamp failed its read-back check.
#[derive(Debug, thiserror::Error)]
pub enum StampCheckError {
    /// The file on disk differs from what was written.
    #[error(
        "Berkas hasil di disk berbeda dari yang ditulis. Ulangi pembubuhan; nomor seri belum terpakai di berkas ini."
    )]
    BytesDiffer,
    /// The byte range does not cover the file except the signature hole.
    #[error("Rentang tanda tangan tidak mencakup seluruh berkas. Hubungi teknisi.")]
    ByteRange,
    /// The signature does not verify.
    #[error("Tanda tangan digital pada berkas hasil tidak sah. Hubungi teknisi.")]
    Signature,
}

/// Check every signature in `bytes`. `trust_anchor` (e.g. the training CA) decides `trusted`.
pub fn verify_pdf(
    bytes: &[u8],
    password: Option<&str>,
    trust_anchor: Option<&Certificate>,
) -> Result<VerifyReport, VerifyError> {
    if !bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Err(VerifyError::NotPdf);
    }
    let options = LoadOptions {
        password: password.map(str::to_string),
        filter: Some(objects::skip_images),
        max_decompressed_size: Some(64 * 1024 * 1024),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::InvalidPassword => VerifyError::PasswordRequired,
        e => VerifyError::Unreadable(e),
    })?;
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(VerifyError::PasswordRequired);
    }
    let mut signatures: Vec<SignatureCheck> = objects::signatures(&doc)
        .into_iter()
        .map(|s| check_one(&doc, bytes, &s, trust_anchor))
        .collect();
    signatures.sort_by_key(|s| {
        s.byte_range.get(2).copied().unwrap_or(0) + s.byte_range.get(3).copied().unwrap_or(0)
    });
    Ok(VerifyReport {
        size_bytes: bytes.len() as u64,
        signatures,
    })
}

fn check_one(
    doc: &Document,
    bytes: &[u8],
    s: &objects::SigValue,
    anchor: Option<&Certificate>,
) -> SignatureCheck {
    let reason = objects::get_text(doc, &s.sig, b"Reason");
    let mut out = SignatureCheck {
        field: s.field_name.clone(),
        serial: reason
            .as_deref()
            .and_then(SerialNumber::from_reason)
            .map(|sn| sn.to_string()),
        signer: objects::get_text(doc, &s.sig, b"Name"),
        signing_time: objects::get_text(doc, &s.sig, b"M"),
        timestamp_time: None,
        reason,
        location: objects::get_text(doc, &s.sig, b"Location"),
        sub_filter: objects::get_name(doc, &s.sig, b"SubFilter")
            .map(|n| String::from_utf8_lossy(n).into_owned()),
        byte_range: Vec::new(),
        digest_matches: false,
        signature_valid: false,
        timestamp_valid: None,
        trusted: None,
        valid: false,
        modified_after: false,
        problem: None,
    };
    let range: Vec<u64> = objects::dict_get(doc, &s.sig, b"ByteRange")
        .and_then(|o| o.as_array().ok())
        .map(|a| {
            a.iter()
                .filter_map(|o| o.as_i64().ok())
                .filter_map(|v| u64::try_from(v).ok())
                .collect()
        })
        .unwrap_or_default();
    out.byte_range = range.clone();
    let len = bytes.len() as u64;
    let [a, b, c, d] = range[..] else {
        out.problem = Some("Rentang tanda tangan (/ByteRange) tidak sah.".to_string());
        return out;
    };
    let (Some(end1), Some(end2)) = (a.checked_add(b), c.checked_add(d)) else {
        out.problem = Some("Rentang tanda tangan (/ByteRange) tidak sah.".to_string());
        return out;
    };
    if a != 0 || end1 >= c || end2 > len || c - end1 < 2 {
        out.problem =
            Some("Rentang tanda tangan (/ByteRange) tidak sah atau melampaui berkas.".to_string());
        return out;
    }
    out.modified_after = end2 < len;
    let (end1, c, end2) = (end1 as usize, c as usize, end2 as usize);
    let hole = &bytes[end1..c];
    if hole.first() != Some(&b'<') || hole.last() != Some(&b'>') {
        out.problem = Some("Celah tanda tangan tidak berisi /Contents.".to_string());
        return out;
    }
    let Ok(cms_bytes) = hex::decode(trim_hex(&hole[1..hole.len() - 1])) else {
        out.problem = Some("Isi tanda tangan (/Contents) bukan heksadesimal yang sah.".to_string());
        return out;
    };
    let mut hasher = Sha256::new();
    hasher.update(&bytes[..end1]);
    hasher.update(&bytes[c..end2]);
    let digest: [u8; 32] = hasher.finalize().into();
    match verify_cms(&cms_bytes, &digest) {
        Ok(cms) => {
            out.digest_matches = cms.digest_matches;
            out.signature_valid = cms.signature_valid;
            out.timestamp_valid = cms.timestamp_valid;
            out.timestamp_time = cms.timestamp_time;
            if let Some(cert) = &cms.signer_cert {
                out.signer = Some(common_name(&cert.tbs_certificate.subject));
                out.trusted = anchor.map(|ca| issued_by(cert, ca));
            }
            out.valid =
                cms.digest_matches && cms.signature_valid && cms.timestamp_valid != Some(false);
            if !out.valid {
                out.problem = Some(if !cms.digest_matches {
                    "Isi dokumen berubah setelah ditandatangani (digest tidak cocok).".to_string()
                } else if !cms.signature_valid {
                    "Tanda tangan kriptografis tidak sah.".to_string()
                } else {
                    "Stempel waktu (timestamp) tidak sah.".to_string()
                });
            }
        }
        Err(problem) => out.problem = Some(problem),
    }
    out
}

/// Drop the zero padding after the DER blob and any whitespace.
fn trim_hex(hex: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = hex
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if v.len() % 2 == 1 {
        v.push(b'0');
    }
    v
}

struct CmsCheck {
    digest_matches: bool,
    signature_valid: bool,
    timestamp_valid: Option<bool>,
    timestamp_time: Option<String>,
    signer_cert: Option<Certificate>,
}

/// Decode the first DER element of `bytes` (the rest is placeholder padding).
fn decode_content_info(bytes: &[u8]) -> Result<cms::content_info::ContentInfo, der::Error> {
    let mut reader = SliceReader::new(bytes)?;
    cms::content_info::ContentInfo::decode(&mut reader)
}

fn verify_cms(cms_bytes: &[u8], digest: &[u8; 32]) -> Result<CmsCheck, String> {
    let ci = decode_content_info(cms_bytes)
        .map_err(|_| "Isi tanda tangan bukan CMS yang sah.".to_string())?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|_| "Isi tanda tangan bukan CMS SignedData.".to_string())?;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| "CMS tidak berisi penanda tangan.".to_string())?;
    let (digest_matches, signature_valid, cert) = verify_signer_info(&sd, si, digest);
    let mut timestamp_valid = None;
    let mut timestamp_time = None;
    if let Some(attr) = si
        .unsigned_attrs
        .as_ref()
        .and_then(|a| a.iter().find(|a| a.oid == ID_AA_TIME_STAMP_TOKEN))
    {
        let ok = attr
            .values
            .iter()
            .next()
            .and_then(|v| v.decode_as::<cms::content_info::ContentInfo>().ok())
            .and_then(|token| {
                let tst = token_tst_info(&token).ok()?;
                timestamp_time = Some(tst.gen_time.to_date_time().to_string());
                let imprint_ok = tst.message_imprint.hashed_message.as_bytes()
                    == Sha256::digest(si.signature.as_bytes()).as_slice();
                let tsd: SignedData = token.content.decode_as().ok()?;
                let tsi = tsd.signer_infos.0.iter().next()?;
                let econtent = tsd
                    .encap_content_info
                    .econtent
                    .as_ref()?
                    .decode_as::<OctetString>()
                    .ok()?;
                let content_digest: [u8; 32] = Sha256::digest(econtent.as_bytes()).into();
                let (d_ok, s_ok, _) = verify_signer_info(&tsd, tsi, &content_digest);
                Some(imprint_ok && d_ok && s_ok)
            });
        timestamp_valid = Some(ok.unwrap_or(false));
    }
    Ok(CmsCheck {
        digest_matches,
        signature_valid,
        timestamp_valid,
        timestamp_time,
        signer_cert: cert,
    })
}

/// (message digest attribute equals `digest`, signature over the signed attributes verifies, signer cert).
fn verify_signer_info(
    sd: &SignedData,
    si: &SignerInfo,
    digest: &[u8; 32],
) -> (bool, bool, Option<Certificate>) {
    let cert = find_cert(sd, &si.sid);
    let Some(attrs) = &si.signed_attrs else {
        // Without signed attributes the signature is over the content digest directly; PAdES never does this.
        return (false, false, cert);
    };
    let md = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok());
    let digest_matches = md.is_some_and(|m| m.as_bytes() == digest);
    let signature_valid = match (&cert, attrs.to_der()) {
        (Some(cert), Ok(signed)) => verify_raw(
            cert,
            &si.signature_algorithm.oid,
            &signed,
            si.signature.as_bytes(),
        )
        .unwrap_or(false),
        _ => false,
    };
    (digest_matches, signature_valid, cert)
}

fn find_cert(sd: &SignedData, sid: &SignerIdentifier) -> Option<Certificate> {
    let certs = sd.certificates.as_ref()?;
    certs.0.iter().find_map(|c| match c {
        CertificateChoices::Certificate(cert) => {
            let matches = match sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    ias.issuer == cert.tbs_certificate.issuer
                        && ias.serial_number == cert.tbs_certificate.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(skid) => cert
                    .tbs_certificate
                    .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
                    .ok()
                    .flatten()
                    .is_some_and(|(_, k)| k.0 == skid.0),
            };
            matches.then(|| cert.clone())
        }
        _ => None,
    })
}

/// Verify `sig` over `msg` with the public key in `cert`. `None` for algorithms loket does not check.
fn verify_raw(
    cert: &Certificate,
    alg: &der::asn1::ObjectIdentifier,
    msg: &[u8],
    sig: &[u8],
) -> Option<bool> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION,
    };
    use p256::ecdsa::signature::Verifier;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid == ID_EC_PUBLIC_KEY
        && (*alg == ECDSA_WITH_SHA_256 || *alg == ID_EC_PUBLIC_KEY)
    {
        let key =
            p256::ecdsa::VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes()).ok()?;
        let sig = p256::ecdsa::DerSignature::try_from(sig).ok()?;
        return Some(key.verify(msg, &sig).is_ok());
    }
    if spki.algorithm.oid == RSA_ENCRYPTION
        && (*alg == SHA_256_WITH_RSA_ENCRYPTION || *alg == RSA_ENCRYPTION)
    {
        use rsa::pkcs1::DecodeRsaPublicKey;
        let key = rsa::RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes()).ok()?;
        let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
        let sig = rsa::pkcs1v15::Signature::try_from(sig).ok()?;
        return Some(key.verify(msg, &sig).is_ok());
    }
    None
}

/// Whether `cert` names `ca` as issuer and carries a valid signature from `ca`'s key.
pub fn issued_by(cert: &Certificate, ca: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify_raw(ca, &cert.signature_algorithm.oid, &tbs, sig).unwrap_or(false)
}

/// Read-back check of a file just written from `stamped`: the same bytes (so the original revision is unchanged
/// and the digest computed while signing is the digest of this file), then [`check_stamp`].
pub fn check_written(file: &[u8], stamped: &StampedPdf) -> Result<(), StampCheckError> {
    let prefix = stamped.prefix();
    if file.len() != stamped.len()
        || &file[..prefix.len()] != prefix
        || &file[prefix.len()..] != stamped.tail()
    {
        return Err(StampCheckError::BytesDiffer);
    }
    check_stamp(stamped)
}

/// Structural and cryptographic check of a stamp: a byte range covering everything but the `/Contents` hole, the
/// hole inside the appended update, the written `/ByteRange` equal to it, and a CMS whose message digest equals
/// the digest of the byte range and whose signature verifies.
pub fn check_stamp(stamped: &StampedPdf) -> Result<(), StampCheckError> {
    let prefix_len = stamped.prefix().len();
    let tail = stamped.tail();
    let len = stamped.len();
    let [a, b, c, d] = stamped.byte_range.map(|v| v as usize);
    if a != 0 || b < prefix_len || c <= b + 1 || c + d != len {
        return Err(StampCheckError::ByteRange);
    }
    let (hb, hc) = (b - prefix_len, c - prefix_len);
    if tail[hb] != b'<' || tail[hc - 1] != b'>' {
        return Err(StampCheckError::ByteRange);
    }
    let written = format!("/ByteRange[{a} {b} {c} {d}");
    if !tail.windows(written.len()).any(|w| w == written.as_bytes()) {
        return Err(StampCheckError::ByteRange);
    }
    let cms_bytes =
        hex::decode(trim_hex(&tail[hb + 1..hc - 1])).map_err(|_| StampCheckError::Signature)?;
    match verify_cms(&cms_bytes, &stamped.digest) {
        Ok(check)
            if check.digest_matches
                && check.signature_valid
                && check.timestamp_valid != Some(false) =>
        {
            Ok(())
        }
        _ => Err(StampCheckError::Signature),
    }
}
