//! Whether a signer certificate chains to a configured root: path building through the certificates a signature
//! carries, each link's signature and validity checked.
//!
//! Deliberately absent: revocation (CRL, OCSP), name constraints, certificate policies and unknown critical
//! extensions. Names are compared as encoded, not after RFC 5280 §7.1 normalisation.

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::{DateTime, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

/// Most certificates in a chain, signer and root included.
pub const MAX_CHAIN_LEN: usize = 8;

/// Most certificate signatures checked while looking for a chain. A real chain needs a handful; the bound stops a
/// signature stuffed with look-alike certificates from making the search exponential.
const MAX_SIGNATURE_CHECKS: usize = 64;

/// Largest RSA modulus accepted, in bits (the `rsa` crate's default stops at 4096; some roots are larger).
const MAX_RSA_BITS: usize = 8192;

/// Why a signer certificate is not trusted. `Display` is a lowercase English fragment (logs, JSON); the command
/// line words it in Indonesian.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustProblem {
    /// The CMS does not carry the certificate its signer info names.
    NoSignerCertificate,
    /// The chain stops at a certificate whose issuer is neither a configured root nor carried by the signature.
    NoChain {
        /// The issuer name that could not be found.
        issuer: String,
    },
    /// The chain ends in a self-signed certificate that is not one of the configured roots.
    SelfSigned {
        /// The self-signed certificate's subject.
        subject: String,
    },
    /// A certificate of the chain is not valid at the signing time.
    OutsideValidity {
        /// Its subject.
        subject: String,
        /// Start of its validity.
        not_before: SystemTime,
        /// End of its validity.
        not_after: SystemTime,
        /// The moment checked.
        at: SystemTime,
    },
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature {
        /// The certificate whose signature failed.
        subject: String,
    },
    /// A certificate is signed with an algorithm loket does not check.
    UnsupportedAlgorithm {
        /// The certificate.
        subject: String,
        /// The signature algorithm, or the issuer key's algorithm or curve when that is the unknown part.
        algorithm: ObjectIdentifier,
    },
    /// A certificate that issued another is not a CA (basic constraints) or may not sign certificates (key usage).
    NotIssuer {
        /// The issuing certificate.
        subject: String,
    },
    /// More intermediates below a CA than its path length constraint allows.
    PathLenExceeded {
        /// The constraining certificate.
        subject: String,
    },
    /// Reaching a root would take more than [`MAX_CHAIN_LEN`] certificates.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The only way on leads back to a certificate already in the chain.
    Loop {
        /// The certificate met twice.
        subject: String,
    },
    /// The search gave up after [`MAX_SIGNATURE_CHECKS`] signature checks.
    TooManyCandidates,
}

impl serde::Serialize for TrustProblem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `2026-12-06T10:32:15Z`, or the debug form of a moment X.509 cannot express (before 1970).
pub fn show(t: SystemTime) -> String {
    match DateTime::from_system_time(t) {
        Ok(d) => d.to_string(),
        Err(_) => format!("{t:?}"),
    }
}

const PEM_BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
const PEM_END: &[u8] = b"-----END CERTIFICATE-----";

/// Every `CERTIFICATE` block of a PEM text, in order. Text between blocks (comments, `openssl x509 -text` output,
/// bundle headers) is skipped, which `Certificate::load_pem_chain` does not do.
pub fn certificates_from_pem(text: &[u8]) -> Result<Vec<Certificate>, der::Error> {
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut certs = Vec::new();
    let mut rest = text;
    while let Some(begin) = find(rest, PEM_BEGIN) {
        let block = &rest[begin..];
        let end = find(block, PEM_END).ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?
            + PEM_END.len();
        certs.push(<Certificate as der::DecodePem>::from_pem(&block[..end])?);
        rest = &block[end..];
    }
    Ok(certs)
}

/// Whether `signer` chains to one of `roots` at `at`, through `carried` (the certificates the signature carries, in
/// any order, extra ones ignored).
///
/// Every certificate of the chain is within its validity at `at`, every signature verifies with the issuer's key,
/// every issuer is a CA allowed to sign certificates (a root without basic constraints is accepted: old v1 roots
/// have none), path length constraints hold, the chain is at most [`MAX_CHAIN_LEN`] certificates and passes no
/// certificate twice. A signer that is itself one of the roots is trusted.
pub fn check_chain(
    signer: &Certificate,
    carried: &[Certificate],
    roots: &[Certificate],
    at: SystemTime,
) -> Result<(), TrustProblem> {
    within_validity(signer, at).map_err(|(_, p)| p)?;
    let mut search = Search {
        carried,
        roots,
        at,
        checks: 0,
    };
    search.extend(&mut vec![signer])
}

/// Whether `cert` may stamp times: it carries the extended key usage id-kp-timeStamping (RFC 3161 §2.3).
pub fn is_time_stamping(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate.get::<ExtendedKeyUsage>(),
        Ok(Some((_, eku))) if eku.0.contains(&const_oid::db::rfc5280::ID_KP_TIME_STAMPING)
    )
}

/// How much a failure says: when several candidates fail, the one that got furthest is reported.
type Rank = u8;
/// A candidate that only closes a loop.
const RANK_LOOP: Rank = 1;
/// A candidate whose signature does not check.
const RANK_SIGNATURE: Rank = 2;
/// A candidate that signed the certificate but cannot be used, or failed further up.
const RANK_ISSUER: Rank = 3;

struct Search<'a> {
    carried: &'a [Certificate],
    roots: &'a [Certificate],
    at: SystemTime,
    checks: usize,
}

impl<'a> Search<'a> {
    /// Depth-first search from the last certificate of `path` (signer first) to a root.
    fn extend(&mut self, path: &mut Vec<&'a Certificate>) -> Result<(), TrustProblem> {
        let Some(&cert) = path.last() else {
            return Err(TrustProblem::NoSignerCertificate);
        };
        if self.roots.contains(cert) {
            return Ok(());
        }
        let issuer = &cert.tbs_certificate.issuer;
        // Intermediates between a new issuer and the signer: everything in the path but the signer.
        let below = path.len() - 1;
        let mut best: Option<(Rank, TrustProblem)> = None;
        let mut note = |rank: Rank, problem: TrustProblem| {
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, problem));
            }
        };
        let roots = self.roots;
        for root in roots
            .iter()
            .filter(|r| r.tbs_certificate.subject == *issuer)
        {
            match self.link(cert, root, below, true) {
                Ok(()) => return Ok(()),
                Err((_, TrustProblem::TooManyCandidates)) => {
                    return Err(TrustProblem::TooManyCandidates);
                }
                Err((rank, problem)) => note(rank, problem),
            }
        }
        let carried = self.carried;
        // Carried roots were tried above; a self-signed certificate is not its own issuer.
        for next in carried
            .iter()
            .filter(|c| c.tbs_certificate.subject == *issuer && *c != cert && !roots.contains(c))
        {
            if path.contains(&next) {
                note(
                    RANK_LOOP,
                    TrustProblem::Loop {
                        subject: subject_of(next),
                    },
                );
                continue;
            }
            // The path, this intermediate and at least a root.
            if path.len() + 2 > MAX_CHAIN_LEN {
                note(RANK_ISSUER, TrustProblem::TooLong { max: MAX_CHAIN_LEN });
                continue;
            }
            match self.link(cert, next, below, false) {
                Ok(()) => {}
                Err((_, TrustProblem::TooManyCandidates)) => {
                    return Err(TrustProblem::TooManyCandidates);
                }
                Err((rank, problem)) => {
                    note(rank, problem);
                    continue;
                }
            }
            path.push(next);
            let found = self.extend(path);
            path.pop();
            match found {
                Ok(()) => return Ok(()),
                Err(TrustProblem::TooManyCandidates) => {
                    return Err(TrustProblem::TooManyCandidates);
                }
                Err(problem) => note(RANK_ISSUER, problem),
            }
        }
        Err(match best {
            Some((_, problem)) => problem,
            None if cert.tbs_certificate.subject == *issuer => TrustProblem::SelfSigned {
                subject: issuer.to_string(),
            },
            None => TrustProblem::NoChain {
                issuer: issuer.to_string(),
            },
        })
    }

    /// Whether `issuer` signed `cert` and may have: signature, validity, CA flag, key usage, path length.
    fn link(
        &mut self,
        cert: &Certificate,
        issuer: &Certificate,
        below: usize,
        is_root: bool,
    ) -> Result<(), (Rank, TrustProblem)> {
        self.checks += 1;
        if self.checks > MAX_SIGNATURE_CHECKS {
            return Err((Rank::MAX, TrustProblem::TooManyCandidates));
        }
        let subject = || subject_of(cert);
        let tbs = cert.tbs_certificate.to_der().map_err(|_| {
            (
                RANK_SIGNATURE,
                TrustProblem::BadSignature { subject: subject() },
            )
        })?;
        let signature = cert.signature.as_bytes().unwrap_or_default();
        match verify_signature(
            &issuer.tbs_certificate.subject_public_key_info,
            &cert.signature_algorithm.oid,
            &tbs,
            signature,
        ) {
            Ok(true) => {}
            Ok(false) => {
                return Err((
                    RANK_SIGNATURE,
                    TrustProblem::BadSignature { subject: subject() },
                ));
            }
            Err(Unsupported(algorithm)) => {
                return Err((
                    RANK_SIGNATURE,
                    TrustProblem::UnsupportedAlgorithm {
                        subject: subject(),
                        algorithm,
                    },
                ));
            }
        }
        within_validity(issuer, self.at)?;
        let issuer_name = || subject_of(issuer);
        let not_issuer = || {
            (
                RANK_ISSUER,
                TrustProblem::NotIssuer {
                    subject: issuer_name(),
                },
            )
        };
        match issuer.tbs_certificate.get::<BasicConstraints>() {
            Ok(Some((_, bc))) if bc.ca => {
                if bc
                    .path_len_constraint
                    .is_some_and(|max| below > usize::from(max))
                {
                    return Err((
                        RANK_ISSUER,
                        TrustProblem::PathLenExceeded {
                            subject: issuer_name(),
                        },
                    ));
                }
            }
            // A configured root without basic constraints is trusted as configured (v1 roots have no extensions).
            Ok(None) if is_root => {}
            _ => return Err(not_issuer()),
        }
        match issuer.tbs_certificate.get::<KeyUsage>() {
            Ok(None) => Ok(()),
            Ok(Some((_, ku))) if ku.key_cert_sign() => Ok(()),
            _ => Err(not_issuer()),
        }
    }
}

fn within_validity(cert: &Certificate, at: SystemTime) -> Result<(), (Rank, TrustProblem)> {
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_system_time();
    let not_after = validity.not_after.to_system_time();
    if at < not_before || at > not_after {
        return Err((
            RANK_ISSUER,
            TrustProblem::OutsideValidity {
                subject: subject_of(cert),
                not_before,
                not_after,
                at,
            },
        ));
    }
    Ok(())
}

fn subject_of(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// A key type and signature algorithm pair loket does not check; carries the OID that is not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported(pub ObjectIdentifier);

/// Verify `signature` over `message` with `key` under `algorithm`.
///
/// Checked: RSA PKCS#1 v1.5 with SHA-256/384/512 and ECDSA P-256 with SHA-256/384/512. The bare key OIDs
/// (`rsaEncryption`, `id-ecPublicKey`) that some CMS signers put in a SignerInfo mean SHA-256, the only digest
/// loket's CMS check computes. A malformed key or signature is `Ok(false)`, an unknown pair `Err`.
pub(crate) fn verify_signature(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, Unsupported> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY,
        RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1, SHA_256_WITH_RSA_ENCRYPTION,
        SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    use const_oid::db::rfc8410::ID_ED_25519;
    let key_alg = key.algorithm.oid;
    if key_alg == ID_EC_PUBLIC_KEY {
        let curve = key
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let digest = match *algorithm {
            ECDSA_WITH_SHA_256 | ID_EC_PUBLIC_KEY => Sha256::digest(message).to_vec(),
            ECDSA_WITH_SHA_384 => Sha384::digest(message).to_vec(),
            ECDSA_WITH_SHA_512 => Sha512::digest(message).to_vec(),
            other => return Err(Unsupported(other)),
        };
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let point = key.subject_public_key.raw_bytes();
        return match curve {
            Some(SECP_256_R_1) => {
                let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
                    return Ok(false);
                };
                let Ok(signature) = p256::ecdsa::Signature::from_der(signature) else {
                    return Ok(false);
                };
                Ok(key.verify_prehash(&digest, &signature).is_ok())
            }
            Some(SECP_384_R_1) => {
                let Ok(key) = p384::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
                    return Ok(false);
                };
                let Ok(signature) = p384::ecdsa::Signature::from_der(signature) else {
                    return Ok(false);
                };
                Ok(key.verify_prehash(&digest, &signature).is_ok())
            }
            other => Err(Unsupported(other.unwrap_or(key_alg))),
        };
    }
    if key_alg == ID_ED_25519 {
        // Ed25519 signs the message itself (RFC 8419: the DER signed attributes in CMS).
        if *algorithm != ID_ED_25519 {
            return Err(Unsupported(*algorithm));
        }
        let Ok(point) = <[u8; 32]>::try_from(key.subject_public_key.raw_bytes()) else {
            return Ok(false);
        };
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&point) else {
            return Ok(false);
        };
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return Ok(false);
        };
        return Ok(key.verify_strict(message, &signature).is_ok());
    }
    if key_alg == RSA_ENCRYPTION {
        use p256::ecdsa::signature::Verifier;
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        let Some(key) = rsa_key(key) else {
            return Ok(false);
        };
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        let ok = match *algorithm {
            SHA_256_WITH_RSA_ENCRYPTION | RSA_ENCRYPTION => VerifyingKey::<Sha256>::new(key)
                .verify(message, &signature)
                .is_ok(),
            SHA_384_WITH_RSA_ENCRYPTION => VerifyingKey::<Sha384>::new(key)
                .verify(message, &signature)
                .is_ok(),
            SHA_512_WITH_RSA_ENCRYPTION => VerifyingKey::<Sha512>::new(key)
                .verify(message, &signature)
                .is_ok(),
            other => return Err(Unsupported(other)),
        };
        return Ok(ok);
    }
    Err(Unsupported(key_alg))
}

/// Verify a CMS signer's signature. Its `signature_algorithm` often names only the key type
/// (`rsaEncryption`, `id-ecPublicKey`), the hash then being the signer's `digest_algorithm`; an
/// RSASSA-PSS signature takes its hash and salt length from its parameters.
pub(crate) fn verify_signer_signature(
    key: &SubjectPublicKeyInfoOwned,
    signature_algorithm: &spki::AlgorithmIdentifierOwned,
    digest_algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, Unsupported> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY,
        ID_RSASSA_PSS, ID_SHA_256, ID_SHA_384, ID_SHA_512, RSA_ENCRYPTION,
        SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    let specific = match (signature_algorithm.oid, *digest_algorithm) {
        (RSA_ENCRYPTION, ID_SHA_256) => SHA_256_WITH_RSA_ENCRYPTION,
        (RSA_ENCRYPTION, ID_SHA_384) => SHA_384_WITH_RSA_ENCRYPTION,
        (RSA_ENCRYPTION, ID_SHA_512) => SHA_512_WITH_RSA_ENCRYPTION,
        (ID_EC_PUBLIC_KEY, ID_SHA_256) => ECDSA_WITH_SHA_256,
        (ID_EC_PUBLIC_KEY, ID_SHA_384) => ECDSA_WITH_SHA_384,
        (ID_EC_PUBLIC_KEY, ID_SHA_512) => ECDSA_WITH_SHA_512,
        (ID_RSASSA_PSS, _) => return verify_pss(key, signature_algorithm, message, signature),
        (other, _) => other,
    };
    verify_signature(key, &specific, message, signature)
}

/// Verify a CMS signer's signature made without signed attributes: it signs the content's digest
/// itself (RSA PKCS #1 v1.5 over the DigestInfo, ECDSA over the digest). Ed25519 and PSS signers
/// always sign attributes in PDF signatures and are not taken here.
pub(crate) fn verify_signer_prehashed(
    key: &SubjectPublicKeyInfoOwned,
    signature_algorithm: &spki::AlgorithmIdentifierOwned,
    digest_algorithm: &ObjectIdentifier,
    digest: &[u8],
    signature: &[u8],
) -> Result<bool, Unsupported> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, ID_SHA_256,
        ID_SHA_384, ID_SHA_512, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1,
        SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    use rsa::signature::hazmat::PrehashVerifier;
    let key_alg = key.algorithm.oid;
    let sig_alg = signature_algorithm.oid;
    if key_alg == RSA_ENCRYPTION
        && matches!(
            sig_alg,
            RSA_ENCRYPTION
                | SHA_256_WITH_RSA_ENCRYPTION
                | SHA_384_WITH_RSA_ENCRYPTION
                | SHA_512_WITH_RSA_ENCRYPTION
        )
    {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        let Some(key) = rsa_key(key) else {
            return Ok(false);
        };
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        return Ok(match *digest_algorithm {
            ID_SHA_256 => VerifyingKey::<Sha256>::new(key).verify_prehash(digest, &signature),
            ID_SHA_384 => VerifyingKey::<Sha384>::new(key).verify_prehash(digest, &signature),
            ID_SHA_512 => VerifyingKey::<Sha512>::new(key).verify_prehash(digest, &signature),
            other => return Err(Unsupported(other)),
        }
        .is_ok());
    }
    if key_alg == ID_EC_PUBLIC_KEY
        && matches!(
            sig_alg,
            ID_EC_PUBLIC_KEY | ECDSA_WITH_SHA_256 | ECDSA_WITH_SHA_384 | ECDSA_WITH_SHA_512
        )
    {
        let curve = key
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        let point = key.subject_public_key.raw_bytes();
        return Ok(match curve {
            Some(SECP_256_R_1) => {
                match (
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(point),
                    p256::ecdsa::Signature::from_der(signature),
                ) {
                    (Ok(k), Ok(s)) => k.verify_prehash(digest, &s).is_ok(),
                    _ => false,
                }
            }
            Some(SECP_384_R_1) => {
                match (
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(point),
                    p384::ecdsa::Signature::from_der(signature),
                ) {
                    (Ok(k), Ok(s)) => k.verify_prehash(digest, &s).is_ok(),
                    _ => false,
                }
            }
            other => return Err(Unsupported(other.unwrap_or(key_alg))),
        });
    }
    Err(Unsupported(sig_alg))
}

/// RSASSA-PSS with the hash and salt length its parameters name (MGF1 over the same hash, which
/// is what PAdES signers use).
fn verify_pss(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &spki::AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, Unsupported> {
    use const_oid::db::rfc5912::{ID_RSASSA_PSS, ID_SHA_256, ID_SHA_384, ID_SHA_512};
    use rsa::pss::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let Some(params) = algorithm.parameters.as_ref().and_then(|p| p.to_der().ok()) else {
        return Err(Unsupported(ID_RSASSA_PSS));
    };
    let Ok(params) = <rsa::pkcs1::RsaPssParams as der::Decode>::from_der(&params) else {
        return Err(Unsupported(ID_RSASSA_PSS));
    };
    let Some(key) = rsa_key(key) else {
        return Ok(false);
    };
    let Ok(signature) = Signature::try_from(signature) else {
        return Ok(false);
    };
    let salt = usize::from(params.salt_len);
    Ok(match params.hash.oid {
        ID_SHA_256 => VerifyingKey::<Sha256>::new_with_salt_len(key, salt)
            .verify(message, &signature)
            .is_ok(),
        ID_SHA_384 => VerifyingKey::<Sha384>::new_with_salt_len(key, salt)
            .verify(message, &signature)
            .is_ok(),
        ID_SHA_512 => VerifyingKey::<Sha512>::new_with_salt_len(key, salt)
            .verify(message, &signature)
            .is_ok(),
        other => return Err(Unsupported(other)),
    })
}

fn rsa_key(key: &SubjectPublicKeyInfoOwned) -> Option<rsa::RsaPublicKey> {
    let bytes = key.subject_public_key.as_bytes()?;
    let parsed = rsa::pkcs1::RsaPublicKey::try_from(bytes).ok()?;
    let n = rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    rsa::RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_pki::{
        Issued, ca_signed_by, intermediate, leaf, root, self_signed_leaf, signing_day, years,
    };

    fn subject(i: &Issued) -> String {
        i.cert.tbs_certificate.subject.to_string()
    }

    fn check(signer: &Issued, carried: &[&Issued], roots: &[&Issued]) -> Result<(), TrustProblem> {
        let carried: Vec<Certificate> = carried.iter().map(|i| i.cert.clone()).collect();
        let roots: Vec<Certificate> = roots.iter().map(|i| i.cert.clone()).collect();
        check_chain(&signer.cert, &carried, &roots, signing_day())
    }

    #[test]
    fn a_chain_through_an_intermediate_is_trusted_in_any_order() {
        let ca = root("Root A", years(2020, 2040));
        let sub = intermediate("Sub A", &ca, years(2020, 2040), Some(0));
        let signer = leaf("Signer A", &sub, years(2025, 2028));
        let stranger = root("Stranger", years(2020, 2040));
        assert_eq!(check(&signer, &[&signer, &sub], &[&ca]), Ok(()));
        assert_eq!(
            check(&signer, &[&sub, &stranger, &signer], &[&stranger, &ca]),
            Ok(())
        );
        // The root may be carried too; it is trusted because it is configured, not because it is carried.
        assert_eq!(check(&signer, &[&ca, &signer, &sub], &[&ca]), Ok(()));
        // A signer directly under the root needs nothing carried.
        let direct = leaf("Signer B", &ca, years(2025, 2028));
        assert_eq!(check(&direct, &[], &[&ca]), Ok(()));
    }

    #[test]
    fn an_unknown_root_is_named() {
        let unknown = root("Unknown Root", years(2020, 2040));
        let signer = leaf("Signer", &unknown, years(2025, 2028));
        let ca = root("Root A", years(2020, 2040));
        assert_eq!(
            check(&signer, &[&signer], &[&ca]),
            Err(TrustProblem::NoChain {
                issuer: subject(&unknown)
            })
        );
        // Carrying the unknown root does not make it trusted.
        assert_eq!(
            check(&signer, &[&signer, &unknown], &[&ca]),
            Err(TrustProblem::SelfSigned {
                subject: subject(&unknown)
            })
        );
        assert_eq!(
            TrustProblem::NoChain {
                issuer: "CN=X".into()
            }
            .to_string(),
            "no chain to a configured root: issuer CN=X not found"
        );
    }

    #[test]
    fn a_self_signed_signer_is_trusted_only_when_it_is_a_root() {
        let selfie = self_signed_leaf("Self Signer", years(2025, 2028));
        let ca = root("Root A", years(2020, 2040));
        assert_eq!(
            check(&selfie, &[&selfie], &[&ca]),
            Err(TrustProblem::SelfSigned {
                subject: subject(&selfie)
            })
        );
        assert_eq!(check(&selfie, &[&selfie], &[&ca, &selfie]), Ok(()));
    }

    #[test]
    fn every_certificate_must_be_valid_at_the_signing_time() {
        let ca = root("Root A", years(2020, 2040));
        let expired_sub = intermediate("Sub Expired", &ca, years(2020, 2022), None);
        let signer = leaf("Signer", &expired_sub, years(2025, 2028));
        let sub_validity = &expired_sub.cert.tbs_certificate.validity;
        assert_eq!(
            check(&signer, &[&expired_sub], &[&ca]),
            Err(TrustProblem::OutsideValidity {
                subject: subject(&expired_sub),
                not_before: sub_validity.not_before.to_system_time(),
                not_after: sub_validity.not_after.to_system_time(),
                at: signing_day(),
            })
        );
        let future_signer = leaf("Future Signer", &ca, years(2027, 2030));
        assert!(matches!(
            check(&future_signer, &[], &[&ca]),
            Err(TrustProblem::OutsideValidity { subject, .. }) if subject == future_signer.cert.tbs_certificate.subject.to_string()
        ));
        let old_root = root("Old Root", years(2015, 2025));
        let signer = leaf("Signer", &old_root, years(2025, 2028));
        assert!(matches!(
            check(&signer, &[], &[&old_root]),
            Err(TrustProblem::OutsideValidity { subject, .. }) if subject == old_root.cert.tbs_certificate.subject.to_string()
        ));
        let text = check(&signer, &[], &[&old_root])
            .expect_err("expired root")
            .to_string();
        assert!(
            text.contains("not valid at signing time 2026-12-06T10:32:15Z (valid 2015-01-01T00:00:00Z to 2025-01-01T00:00:00Z)"),
            "{text}"
        );
    }

    #[test]
    fn a_look_alike_issuer_fails_its_signature_check() {
        let ca = root("Root A", years(2020, 2040));
        let sub = intermediate("Sub A", &ca, years(2020, 2040), None);
        let signer = leaf("Signer", &sub, years(2025, 2028));
        // Same name as "Sub A", issued by the real root, but another key.
        let fake = intermediate("Sub A", &ca, years(2020, 2040), None);
        assert_eq!(
            check(&signer, &[&fake], &[&ca]),
            Err(TrustProblem::BadSignature {
                subject: subject(&signer)
            })
        );
        assert_eq!(check(&signer, &[&fake, &sub], &[&ca]), Ok(()));
        assert_eq!(check(&signer, &[&sub, &fake], &[&ca]), Ok(()));
    }

    #[test]
    fn only_cas_issue_and_path_lengths_hold() {
        let ca = root("Root A", years(2020, 2040));
        let first = leaf("Plain Signer", &ca, years(2025, 2028));
        let second = leaf("Signer Under A Signer", &first, years(2025, 2028));
        assert_eq!(
            check(&second, &[&first], &[&ca]),
            Err(TrustProblem::NotIssuer {
                subject: subject(&first)
            })
        );
        let top = intermediate("Sub Top", &ca, years(2020, 2040), Some(0));
        let below = intermediate("Sub Below", &top, years(2020, 2040), None);
        let signer = leaf("Signer", &below, years(2025, 2028));
        assert_eq!(
            check(&signer, &[&top, &below], &[&ca]),
            Err(TrustProblem::PathLenExceeded {
                subject: subject(&top)
            })
        );
    }

    #[test]
    fn loops_are_refused() {
        let ca = root("Root A", years(2020, 2040));
        let key_a = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let key_b = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        // A and B issued each other; neither reaches the root.
        let a = Issued {
            cert: ca_signed_by("Loop A", &key_a, "Loop B", &key_b),
            key: key_a,
        };
        let b = Issued {
            cert: ca_signed_by("Loop B", &key_b, "Loop A", &a.key),
            key: key_b,
        };
        let signer = leaf("Signer", &a, years(2025, 2028));
        assert_eq!(
            check(&signer, &[&a, &b], &[&ca]),
            Err(TrustProblem::Loop {
                subject: subject(&a)
            })
        );
    }

    #[test]
    fn chains_are_at_most_eight_certificates() {
        let ca = root("Root A", years(2020, 2040));
        let mut subs: Vec<Issued> = Vec::new();
        for i in 0..7 {
            let sub = intermediate(
                &format!("Sub {i}"),
                subs.last().unwrap_or(&ca),
                years(2020, 2040),
                None,
            );
            subs.push(sub);
        }
        // Signer, six intermediates and the root: eight.
        let six = leaf("Signer Six", &subs[5], years(2025, 2028));
        let carried: Vec<&Issued> = subs.iter().collect();
        assert_eq!(check(&six, &carried, &[&ca]), Ok(()));
        let seven = leaf("Signer Seven", &subs[6], years(2025, 2028));
        assert_eq!(
            check(&seven, &carried, &[&ca]),
            Err(TrustProblem::TooLong { max: MAX_CHAIN_LEN })
        );
    }

    #[test]
    fn the_search_is_bounded() {
        let ca = root("Root A", years(2020, 2040));
        let sub = intermediate("Sub A", &ca, years(2020, 2040), None);
        let signer = leaf("Signer", &sub, years(2025, 2028));
        let wrong = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let look_alikes: Vec<Issued> = (0..MAX_SIGNATURE_CHECKS + 1)
            .map(|_| Issued {
                cert: ca_signed_by("Sub A", &wrong, "Root A", &wrong),
                key: wrong.clone(),
            })
            .collect();
        let mut carried: Vec<&Issued> = look_alikes.iter().collect();
        carried.push(&sub);
        assert_eq!(
            check(&signer, &carried, &[&ca]),
            Err(TrustProblem::TooManyCandidates)
        );
    }

    #[test]
    fn pem_text_between_certificates_is_skipped() {
        use crate::pdf::test_pki::chain_pem;
        let a = root("Root A", years(2020, 2040));
        let b = root("Root B", years(2020, 2040));
        let text = format!(
            "# bundle header\n{}subject=CN=Root B\n{}\n",
            chain_pem(&[&a.cert]),
            chain_pem(&[&b.cert])
        );
        let certs = certificates_from_pem(text.as_bytes()).expect("pem");
        assert_eq!(certs, vec![a.cert.clone(), b.cert.clone()]);
        assert_eq!(certificates_from_pem(b"").expect("empty"), Vec::new());
        let cut = &chain_pem(&[&a.cert])[..100];
        assert!(certificates_from_pem(cut.as_bytes()).is_err());
    }
}
