//! Verifying the signatures in a PDF: byte ranges, digests, CMS signatures, SNs, later changes and trust.

use std::collections::HashMap;
use std::time::SystemTime;

use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Decode, Encode, SliceReader};
use lopdf::{Document, LoadOptions, ObjectId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::load::load_document;
use super::objects;
use super::serial::SerialNumber;
use super::sign::{ID_AA_TIME_STAMP_TOKEN, common_name};
use super::stamp::{EncryptedUpdate, StampedPdf};
use super::trust::{
    TrustProblem, check_chain, is_time_stamping, verify_signature, verify_signer_prehashed,
    verify_signer_signature,
};
use super::tsa::token_tst_info;

/// What is wrong with a signature's bytes, worded in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureFault {
    /// `/ByteRange` is not four numbers that add up.
    BadRange,
    /// `/ByteRange` does not fit the file.
    RangePastFile,
    /// The gap between the ranges holds no `/Contents`.
    NoContents,
    /// `/Contents` is not hexadecimal.
    NotHex,
    /// The signed bytes changed after signing.
    Modified,
    BadSignature,
    BadTimestamp,
    NotCms,
    NotSignedData,
    NoSigner,
}

fn fault(f: SignatureFault) -> String {
    crate::words::current().signature_fault(f).to_string()
}

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
    /// Generation time of an embedded RFC 3161 timestamp, with the fractional seconds the TSA sent
    /// (`2026-12-06T10:32:15.123Z`).
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
    /// The signer certificate chains to one of the configured roots at the signing time (`None` when no root was
    /// given). See [`super::trust::check_chain`].
    pub trusted: Option<bool>,
    /// Why it is not trusted, when `trusted` is `Some(false)`.
    pub trust_problem: Option<TrustProblem>,
    /// Byte range well-formed, digest and signature valid.
    pub valid: bool,
    /// The file continues after this signature's revision (later updates exist).
    pub modified_after: bool,
    /// Why it is not valid (in the process's language), when it is not.
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
    NotPdf,
    /// Locked with a password that was not given or is wrong.
    PasswordRequired,
    /// Locked to its recipients' certificates: no password opens it.
    CertificateProtected,
    /// Damaged beyond reading.
    Unreadable(#[source] lopdf::Error),
}

/// Why a freshly written stamp failed its read-back check.
#[derive(Debug, thiserror::Error)]
pub enum StampCheckError {
    /// The file on disk differs from what was written.
    BytesDiffer,
    /// The byte range does not cover the file except the signature hole.
    ByteRange,
    /// The signature does not verify.
    Signature,
    /// In an encrypted document, the new field, signature values or stamp picture do not decrypt
    /// to what was written.
    Encryption,
}

/// Check every signature in `bytes`, with at most one trusted root (e.g. the training CA) deciding `trusted`: the
/// one-root form of [`verify_pdf_with_roots`], kept for the callers that trust a single CA or none.
pub fn verify_pdf(
    bytes: &[u8],
    password: Option<&str>,
    trust_anchor: Option<&Certificate>,
) -> Result<VerifyReport, VerifyError> {
    let roots = trust_anchor.map(std::slice::from_ref).unwrap_or_default();
    verify_pdf_with_roots(bytes, password, roots)
}

/// Check every signature in `bytes`. With `roots` given, `trusted` says whether each signer certificate chains to
/// one of them through the certificates its signature carries, valid at the signing time: the timestamp's genTime
/// when a timestamp from a trusted TSA is present, else the signing-time attribute, else now. With no roots,
/// `trusted` is `None`.
pub fn verify_pdf_with_roots(
    bytes: &[u8],
    password: Option<&str>,
    roots: &[Certificate],
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
    let doc = super::load::load_document(bytes, options).map_err(|e| match e {
        lopdf::Error::InvalidPassword => VerifyError::PasswordRequired,
        lopdf::Error::UnsupportedSecurityHandler(name) if name == b"Adobe.PubSec" => {
            VerifyError::CertificateProtected
        }
        e => VerifyError::Unreadable(e),
    })?;
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        if super::load::security_handler(&doc).as_deref() == Some(b"Adobe.PubSec") {
            return Err(VerifyError::CertificateProtected);
        }
        return Err(VerifyError::PasswordRequired);
    }
    // Fields that share one signature dictionary share its check: the byte range is hashed once
    // per signature, not once per field, so the cost stays linear in the file.
    let mut checked: HashMap<ObjectId, SignatureCheck> = HashMap::new();
    let mut signatures: Vec<SignatureCheck> = objects::signatures(&doc)
        .into_iter()
        .map(|s| match s.sig_id.and_then(|id| checked.get(&id)) {
            Some(done) => SignatureCheck {
                field: s.field_name.clone(),
                ..done.clone()
            },
            None => {
                let check = check_one(&doc, bytes, &s, roots);
                if let Some(id) = s.sig_id {
                    checked.insert(id, check.clone());
                }
                check
            }
        })
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
    s: &objects::SigValue<'_>,
    roots: &[Certificate],
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
        trust_problem: None,
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
        out.problem = Some(fault(SignatureFault::BadRange));
        return out;
    };
    let (Some(end1), Some(end2)) = (a.checked_add(b), c.checked_add(d)) else {
        out.problem = Some(fault(SignatureFault::BadRange));
        return out;
    };
    if a != 0 || end1 >= c || end2 > len || c - end1 < 2 {
        out.problem = Some(fault(SignatureFault::RangePastFile));
        return out;
    }
    out.modified_after = end2 < len;
    // All three are at most the file's length, checked above.
    let (Ok(end1), Ok(c), Ok(end2)) = (
        usize::try_from(end1),
        usize::try_from(c),
        usize::try_from(end2),
    ) else {
        out.problem = Some(fault(SignatureFault::RangePastFile));
        return out;
    };
    let hole = &bytes[end1..c];
    if hole.first() != Some(&b'<') || hole.last() != Some(&b'>') {
        out.problem = Some(fault(SignatureFault::NoContents));
        return out;
    }
    let Ok(cms_bytes) = hex::decode(trim_hex(&hole[1..hole.len() - 1])) else {
        out.problem = Some(fault(SignatureFault::NotHex));
        return out;
    };
    // The byte range is hashed with the digest algorithm the signer names (SHA-256, -384, -512).
    let ranges = [&bytes[..end1], &bytes[c..end2]];
    match verify_cms(&cms_bytes, &|alg| hash_parts(alg, &ranges)) {
        Ok(cms) => {
            out.digest_matches = cms.digest_matches;
            out.signature_valid = cms.signature_valid;
            out.timestamp_valid = cms.timestamp_valid;
            out.timestamp_time = cms.timestamp_time.clone();
            if let Some(cert) = &cms.signer_cert {
                out.signer = Some(common_name(&cert.tbs_certificate.subject));
            }
            if !roots.is_empty() {
                let trust = chain_to_roots(&cms, roots);
                out.trusted = Some(trust.is_ok());
                out.trust_problem = trust.err();
            }
            out.valid =
                cms.digest_matches && cms.signature_valid && cms.timestamp_valid != Some(false);
            if !out.valid {
                out.problem = Some(if !cms.digest_matches {
                    fault(SignatureFault::Modified)
                } else if !cms.signature_valid {
                    fault(SignatureFault::BadSignature)
                } else {
                    fault(SignatureFault::BadTimestamp)
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
    /// Every certificate the SignedData carries, in file order.
    certificates: Vec<Certificate>,
    /// The signing-time signed attribute: the time the signer claims.
    claimed_time: Option<SystemTime>,
    /// The timestamp, when one is present and verifies.
    timestamp: Option<VerifiedTimestamp>,
}

/// An intact timestamp token covering the signature.
struct VerifiedTimestamp {
    gen_time: SystemTime,
    tsa_cert: Certificate,
    /// Every certificate the token carries.
    certificates: Vec<Certificate>,
}

/// Whether the signer of `cms` chains to `roots` at the signing time.
fn chain_to_roots(cms: &CmsCheck, roots: &[Certificate]) -> Result<(), TrustProblem> {
    let cert = cms
        .signer_cert
        .as_ref()
        .ok_or(TrustProblem::NoSignerCertificate)?;
    check_chain(cert, &cms.certificates, roots, signing_moment(cms, roots))
}

/// When the signature was made, as far as it can be known: a timestamp's genTime counts only when the TSA itself
/// chains to a root and may stamp times (otherwise anyone could backdate a signature past its certificate's expiry
/// with a home-made token); then the signing-time attribute the signer claims; then now.
fn signing_moment(cms: &CmsCheck, roots: &[Certificate]) -> SystemTime {
    cms.timestamp
        .as_ref()
        .filter(|ts| {
            is_time_stamping(&ts.tsa_cert)
                && check_chain(&ts.tsa_cert, &ts.certificates, roots, ts.gen_time).is_ok()
        })
        .map(|ts| ts.gen_time)
        .or(cms.claimed_time)
        .unwrap_or_else(SystemTime::now)
}

fn carried_certificates(sd: &SignedData) -> Vec<Certificate> {
    sd.certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            _ => None,
        })
        .collect()
}

fn signing_time_attr(si: &SignerInfo) -> Option<SystemTime> {
    let value = si
        .signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_SIGNING_TIME)?
        .values
        .iter()
        .next()?;
    // `Time` is a CHOICE (UTCTime or GeneralizedTime), which `Any::decode_as` cannot take.
    let time = x509_cert::time::Time::from_der(&value.to_der().ok()?).ok()?;
    Some(time.to_system_time())
}

/// Decode the first DER element of `bytes` (the rest is placeholder padding).
fn decode_content_info(bytes: &[u8]) -> Result<cms::content_info::ContentInfo, der::Error> {
    let mut reader = SliceReader::new(bytes)?;
    cms::content_info::ContentInfo::decode(&mut reader)
}

/// The digest of `parts` (concatenated) with the named algorithm; `None` for one not supported.
fn hash_parts(algorithm: &der::asn1::ObjectIdentifier, parts: &[&[u8]]) -> Option<Vec<u8>> {
    use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
    fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut h = D::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().to_vec()
    }
    match *algorithm {
        ID_SHA_256 => Some(run::<Sha256>(parts)),
        ID_SHA_384 => Some(run::<sha2::Sha384>(parts)),
        ID_SHA_512 => Some(run::<sha2::Sha512>(parts)),
        _ => None,
    }
}

/// The digest of the signed content for a digest algorithm, as the caller computes it.
type ContentDigest<'a> = dyn Fn(&der::asn1::ObjectIdentifier) -> Option<Vec<u8>> + 'a;

fn verify_cms(cms_bytes: &[u8], digest_of: &ContentDigest<'_>) -> Result<CmsCheck, String> {
    // DER first; a BER encoding (indefinite lengths, constructed strings), which some signers
    // write and readers accept, is brought to DER and read again.
    let ci = decode_content_info(cms_bytes)
        .or_else(|e| {
            super::ber::to_der(cms_bytes)
                .ok_or(e)
                .and_then(|der| decode_content_info(&der))
        })
        .map_err(|_| fault(SignatureFault::NotCms))?;
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|_| fault(SignatureFault::NotSignedData))?;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| fault(SignatureFault::NoSigner))?;
    let digest = digest_of(&si.digest_alg.oid).unwrap_or_default();
    let (digest_matches, signature_valid, cert) = verify_signer_info(&sd, si, &digest);
    let mut timestamp_valid = None;
    let mut timestamp_time = None;
    let mut timestamp = None;
    if let Some(attr) = si
        .unsigned_attrs
        .as_ref()
        .and_then(|a| a.iter().find(|a| a.oid == ID_AA_TIME_STAMP_TOKEN))
    {
        let token = attr
            .values
            .iter()
            .next()
            .and_then(|v| v.decode_as::<cms::content_info::ContentInfo>().ok());
        let (shown, verified) = match token {
            Some(token) => check_timestamp(&token, si.signature.as_bytes()),
            None => (None, None),
        };
        timestamp_time = shown;
        timestamp_valid = Some(verified.is_some());
        timestamp = verified;
    }
    Ok(CmsCheck {
        digest_matches,
        signature_valid,
        timestamp_valid,
        timestamp_time,
        signer_cert: cert,
        certificates: carried_certificates(&sd),
        claimed_time: signing_time_attr(si),
        timestamp,
    })
}

/// (genTime as shown, the token when it is intact and its imprint is the digest of `signature`).
fn check_timestamp(
    token: &cms::content_info::ContentInfo,
    signature: &[u8],
) -> (Option<String>, Option<VerifiedTimestamp>) {
    let Ok(tst) = token_tst_info(token) else {
        return (None, None);
    };
    let shown = Some(tst.gen_time.to_string());
    let verified = (|| {
        let imprint_ok = hash_parts(&tst.message_imprint.hash_algorithm.oid, &[signature])
            .is_some_and(|d| d.as_slice() == tst.message_imprint.hashed_message.as_bytes());
        let tsd: SignedData = token.content.decode_as().ok()?;
        let tsi = tsd.signer_infos.0.iter().next()?;
        let econtent = tsd
            .encap_content_info
            .econtent
            .as_ref()?
            .decode_as::<OctetString>()
            .ok()?;
        let content_digest =
            hash_parts(&tsi.digest_alg.oid, &[econtent.as_bytes()]).unwrap_or_default();
        let (d_ok, s_ok, tsa_cert) = verify_signer_info(&tsd, tsi, &content_digest);
        if !(imprint_ok && d_ok && s_ok) {
            return None;
        }
        Some(VerifiedTimestamp {
            gen_time: tst.gen_time.to_system_time(),
            tsa_cert: tsa_cert?,
            certificates: carried_certificates(&tsd),
        })
    })();
    (shown, verified)
}

/// (message digest attribute equals `digest`, signature over the signed attributes verifies, signer cert).
fn verify_signer_info(
    sd: &SignedData,
    si: &SignerInfo,
    digest: &[u8],
) -> (bool, bool, Option<Certificate>) {
    let cert = find_cert(sd, &si.sid);
    let Some(attrs) = &si.signed_attrs else {
        // Without signed attributes the signature is over the content digest itself (older
        // adbe.pkcs7.detached signers): the digest is bound by the signature alone.
        let valid = !digest.is_empty()
            && cert.as_ref().is_some_and(|cert| {
                verify_signer_prehashed(
                    &cert.tbs_certificate.subject_public_key_info,
                    &si.signature_algorithm,
                    &si.digest_alg.oid,
                    digest,
                    si.signature.as_bytes(),
                )
                .unwrap_or(false)
            });
        return (valid, valid, cert);
    };
    let md = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok());
    let digest_matches = !digest.is_empty() && md.is_some_and(|m| m.as_bytes() == digest);
    let signature_valid = match (&cert, attrs.to_der()) {
        (Some(cert), Ok(signed)) => verify_signer_signature(
            &cert.tbs_certificate.subject_public_key_info,
            &si.signature_algorithm,
            &si.digest_alg.oid,
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

/// Whether `cert` names `ca` as issuer and carries a valid signature from `ca`'s key (one link, no validity or CA
/// checks: [`super::trust::check_chain`] is the trust decision).
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
    verify_signature(
        &ca.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm.oid,
        &tbs,
        sig,
    )
    .unwrap_or(false)
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
    let [Ok(a), Ok(b), Ok(c), Ok(d)] = stamped.byte_range.map(usize::try_from) else {
        return Err(StampCheckError::ByteRange);
    };
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
    let own_digest = |alg: &der::asn1::ObjectIdentifier| {
        (*alg == const_oid::db::rfc5912::ID_SHA_256).then(|| stamped.digest.to_vec())
    };
    match verify_cms(&cms_bytes, &own_digest) {
        Ok(check)
            if check.digest_matches
                && check.signature_valid
                && check.timestamp_valid != Some(false) => {}
        _ => return Err(StampCheckError::Signature),
    }
    match &stamped.encrypted {
        Some(expected) => check_encrypted_update(stamped, expected),
        None => Ok(()),
    }
}

/// Decrypt the stamped file as a reader would and compare the new field's name, the signature's
/// strings and the stamp's appearance with what was written.
pub(crate) fn check_encrypted_update(
    stamped: &StampedPdf,
    expected: &EncryptedUpdate,
) -> Result<(), StampCheckError> {
    let bytes = stamped.to_vec();
    let options = LoadOptions {
        password: expected.password.clone(),
        max_decompressed_size: Some(64 * 1024 * 1024),
        ..LoadOptions::default()
    };
    let doc = load_document(&bytes, options).map_err(|_| StampCheckError::Encryption)?;
    let field = objects::fields(&doc)
        .into_iter()
        .find(|f| f.full_name == stamped.field_name)
        .ok_or(StampCheckError::Encryption)?;
    let sig = objects::get_dict(&doc, &field.dict, b"V").ok_or(StampCheckError::Encryption)?;
    for (key, want) in &expected.sig_strings {
        match sig.get(key) {
            Ok(lopdf::Object::String(got, _)) if got == want => {}
            _ => return Err(StampCheckError::Encryption),
        }
    }
    let appearance = objects::get_dict(&doc, &field.dict, b"AP")
        .and_then(|ap| objects::dict_get(&doc, ap, b"N"))
        .and_then(|n| n.as_stream().ok())
        .ok_or(StampCheckError::Encryption)?;
    if appearance.content != expected.appearance {
        return Err(StampCheckError::Encryption);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use der::DateTime;
    use time::OffsetDateTime;
    use x509_tsp::TimeStampResp;

    use super::*;
    use crate::pdf::intake::{IntakeOptions, intake};
    use crate::pdf::sign::{SignatureProfile, Signer};
    use crate::pdf::stamp::{StampSpec, stamp};
    use crate::pdf::test_pki::{
        Issued, chain_pem, intermediate, jan1, key_pem, leaf, root, tsa, years,
    };
    use crate::pdf::tsa::tests::OPENSSL_REPLY_MILLIS;
    use crate::pdf::tsa::{GenTime, LocalTsa, TimestampSource, TsaError};
    use crate::pdf::{AppearanceOptions, Rect, SerialNumber};

    /// The training TSA answering with a fixed genTime (fractional seconds included).
    struct TsaAt {
        tsa: LocalTsa,
        gen_time: &'static str,
    }

    impl TimestampSource for TsaAt {
        fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
            let gen_time = GenTime::parse(self.gen_time.as_bytes()).expect("test genTime");
            self.tsa
                .answer_at(request_der, gen_time)
                .map_err(TsaError::Internal)
        }
    }

    fn tsa_at(tsa: &Issued, chain: &[&Certificate], gen_time: &'static str) -> TsaAt {
        TsaAt {
            tsa: LocalTsa::from_pem(&key_pem(tsa), &chain_pem(chain)).expect("tsa"),
            gen_time,
        }
    }

    fn one_page_pdf() -> Vec<u8> {
        use lopdf::{Document, Object, Stream, dictionary};
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let content_id = doc.add_object(Stream::new(dictionary! {}, b"BT ET".to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
            ),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("save");
        out
    }

    /// A one-page PDF stamped by `signer` (its chain `chain` carried), adbe.pkcs7.detached so that the CMS has a
    /// signing-time attribute of `claimed`.
    fn stamped(
        signer: &Issued,
        chain: &[&Certificate],
        tsa: Option<&dyn TimestampSource>,
        claimed: SystemTime,
    ) -> Vec<u8> {
        let signer =
            Signer::from_pem(&key_pem(signer), &chain_pem(chain)).expect("signer and chain");
        let prepared = intake(one_page_pdf(), &IntakeOptions::default()).expect("intake");
        let spec = StampSpec {
            page: 1,
            rect: Rect::from_origin_size(400.0, 100.0, 85.0, 85.0),
            serial: SerialNumber::training(),
            reason: "Surat Pernyataan".into(),
            location: "Jakarta".into(),
            signing_time: OffsetDateTime::from(claimed),
            appearance: AppearanceOptions::default(),
            profile: SignatureProfile::Pkcs7Detached,
        };
        stamp(prepared, &spec, &signer, tsa)
            .expect("stamp")
            .to_vec()
    }

    fn at(y: u16, mo: u8, d: u8) -> SystemTime {
        DateTime::new(y, mo, d, 12, 0, 0)
            .expect("date")
            .to_system_time()
    }

    #[test]
    fn an_openssl_timestamp_with_milliseconds_verifies() {
        let der = hex::decode(OPENSSL_REPLY_MILLIS).expect("hex");
        let token = TimeStampResp::from_der(&der)
            .expect("response")
            .time_stamp_token
            .expect("token");
        // The token stamps the bytes `abc`, standing in for a signature value.
        let (shown, verified) = check_timestamp(&token, b"abc");
        assert_eq!(shown.as_deref(), Some("2026-12-06T10:45:20.755Z"));
        let verified = verified.expect("the token's signature verifies");
        let whole = DateTime::new(2026, 12, 6, 10, 45, 20)
            .expect("date")
            .to_system_time();
        assert_eq!(verified.gen_time, whole + Duration::from_millis(755));
        assert!(is_time_stamping(&verified.tsa_cert));
        // Over other bytes it is intact but does not cover them.
        assert!(check_timestamp(&token, b"abd").1.is_none());
    }

    #[test]
    fn a_gen_time_with_milliseconds_is_accepted_and_shown() {
        let ca = root("Root A", years(2020, 2040));
        let sub = intermediate("Sub A", &ca, years(2020, 2040), None);
        let signer = leaf("Signer A", &sub, years(2025, 2028));
        let stamp_tsa = tsa("TSA A", &ca, years(2020, 2040));
        let source = tsa_at(
            &stamp_tsa,
            &[&stamp_tsa.cert, &ca.cert],
            "20261206103215.123Z",
        );
        let pdf = stamped(
            &signer,
            &[&signer.cert, &sub.cert],
            Some(&source),
            at(2026, 12, 6),
        );
        let report =
            verify_pdf_with_roots(&pdf, None, std::slice::from_ref(&ca.cert)).expect("verify");
        let sig = &report.signatures[0];
        assert_eq!(
            sig.timestamp_time.as_deref(),
            Some("2026-12-06T10:32:15.123Z")
        );
        assert_eq!(sig.timestamp_valid, Some(true));
        assert!(sig.valid, "{sig:#?}");
        assert_eq!((sig.trusted, &sig.trust_problem), (Some(true), &None));
        // Without roots nothing is said about trust, as before.
        let report = verify_pdf(&pdf, None, None).expect("verify");
        assert_eq!(
            (
                report.signatures[0].trusted,
                &report.signatures[0].trust_problem
            ),
            (None, &None)
        );
    }

    #[test]
    fn the_chain_is_checked_at_a_trusted_timestamp_else_at_the_claimed_time() {
        let ca = root("Root A", years(2020, 2040));
        // The signer's certificate ran out at the start of 2024; the stamp claims 2030.
        let signer = leaf("Signer Old", &ca, years(2020, 2024));
        let claimed = jan1(2030);
        let trusted_tsa = tsa("TSA A", &ca, years(2020, 2040));
        let source = tsa_at(&trusted_tsa, &[&trusted_tsa.cert], "20230601120000.5Z");
        let pdf = stamped(&signer, &[&signer.cert], Some(&source), claimed);
        let report =
            verify_pdf_with_roots(&pdf, None, std::slice::from_ref(&ca.cert)).expect("verify");
        assert_eq!(report.signatures[0].trusted, Some(true), "{report:#?}");

        // A timestamp from a TSA outside the roots proves nothing: the claimed time counts, and the certificate
        // had expired by then.
        let other = root("Other Root", years(2020, 2040));
        let stranger_tsa = tsa("TSA B", &other, years(2020, 2040));
        let source = tsa_at(&stranger_tsa, &[&stranger_tsa.cert], "20230601120000.5Z");
        let pdf = stamped(&signer, &[&signer.cert], Some(&source), claimed);
        let report =
            verify_pdf_with_roots(&pdf, None, std::slice::from_ref(&ca.cert)).expect("verify");
        let sig = &report.signatures[0];
        assert_eq!(sig.timestamp_valid, Some(true));
        assert_eq!(sig.trusted, Some(false));
        assert!(
            matches!(&sig.trust_problem, Some(TrustProblem::OutsideValidity { at, .. }) if *at == claimed),
            "{sig:#?}"
        );
        // The reason is in the JSON as an English fragment.
        let json = serde_json::to_value(sig).expect("json");
        assert!(
            json["trust_problem"]
                .as_str()
                .is_some_and(|t| t.contains("not valid at signing time 2030-01-01T00:00:00Z")),
            "{json}"
        );
    }
}
