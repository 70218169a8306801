//! RFC 3161 timestamps: the transport-neutral client side and an in-process training TSA.
//!
//! The HTTP transport to a real TSA is deliberately left to the caller behind [`TimestampSource`]: the stamping
//! service already owns an HTTP client (reqwest, for Peruri), and the engine stays free of network code.

use std::path::Path;
use std::time::SystemTime;

use cmpv2::status::{PkiStatus, PkiStatusInfo};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData};
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Tag};
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use super::sign::{
    CmsBuildError, ID_CT_TST_INFO, SignerError, signed_data, signing_certificate_v2_attr,
};

/// Policy OID of the training TSA, under the enterprise number reserved for documentation (RFC 5612): not a
/// real policy.
const TRAINING_TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1");

/// A timestamp could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// The TSA could not be reached or answered with an HTTP error.
    #[error(
        "Layanan stempel waktu (TSA) tidak dapat dihubungi. Coba lagi nanti atau stempel tanpa stempel waktu."
    )]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The TSA refused the request (PKIStatus rejection/waiting/revocation).
    #[error("Layanan stempel waktu (TSA) menolak permintaan (status {status}). Hubungi teknisi.")]
    Rejected {
        /// PKIStatus value from the response.
        status: u8,
    },
    /// The answer is not a valid TimeStampResp for our request.
    #[error("Jawaban layanan stempel waktu (TSA) tidak sah. Hubungi teknisi.")]
    Invalid(#[source] der::Error),
    /// The in-process TSA failed to build its answer (a bug).
    #[error("Layanan stempel waktu latihan gagal membuat stempel waktu. Hubungi teknisi.")]
    Internal(#[source] CmsBuildError),
    /// The token does not match the request (imprint or nonce differs).
    #[error("Stempel waktu dari TSA tidak cocok dengan permintaan. Hubungi teknisi.")]
    Mismatch,
}

/// Where RFC 3161 timestamps come from: DER `TimeStampReq` in, DER `TimeStampResp` out.
///
/// An HTTP TSA is a POST of the request with `Content-Type: application/timestamp-query`, answered with
/// `application/timestamp-reply`; implement this trait over the service's HTTP client for that.
pub trait TimestampSource: Send + Sync {
    /// Send one request, return the raw response.
    fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError>;
}

/// Obtain a timestamp token over `data` (the signature value) and check it answers our request.
pub(crate) fn request_token(
    tsa: &dyn TimestampSource,
    data: &[u8],
) -> Result<ContentInfo, TsaError> {
    let imprint = Sha256::digest(data);
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    nonce[0] &= 0x7f;
    let nonce = Int::new(&nonce).map_err(TsaError::Invalid)?;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: const_oid::db::rfc5912::ID_SHA_256,
                parameters: None,
            },
            hashed_message: OctetString::new(imprint.to_vec()).map_err(TsaError::Invalid)?,
        },
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    let req_der = req.to_der().map_err(TsaError::Invalid)?;
    let resp_der = tsa.respond(&req_der)?;
    let resp = TimeStampResp::from_der(&resp_der).map_err(TsaError::Invalid)?;
    match resp.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            return Err(TsaError::Rejected {
                status: other as u8,
            });
        }
    }
    let token = resp.time_stamp_token.ok_or(TsaError::Mismatch)?;
    let tst = token_tst_info(&token).map_err(TsaError::Invalid)?;
    if tst.message_imprint.hashed_message.as_bytes() != imprint.as_slice()
        || tst.nonce.as_ref() != Some(&nonce)
    {
        return Err(TsaError::Mismatch);
    }
    Ok(token)
}

/// The TSTInfo inside a timestamp token.
pub(crate) fn token_tst_info(token: &ContentInfo) -> Result<TstInfo, der::Error> {
    let sd: SignedData = token.content.decode_as()?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(der::Error::from(der::ErrorKind::Failed));
    }
    let content = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
    let octets: OctetString = content.decode_as()?;
    TstInfo::from_der(octets.as_bytes())
}

/// The training TSA, run in-process: signs TSTInfo with the TSA key from the training PKI.
#[derive(Clone)]
pub struct LocalTsa {
    key: SigningKey,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa").finish_non_exhaustive()
    }
}

impl LocalTsa {
    /// From the TSA's PKCS#8 key and certificate chain (PEM).
    pub fn from_pem(key_pem: &str, chain_pem: &str) -> Result<Self, SignerError> {
        let key = SigningKey::from_pkcs8_pem(key_pem).map_err(SignerError::Key)?;
        let chain =
            Certificate::load_pem_chain(chain_pem.as_bytes()).map_err(SignerError::Chain)?;
        if chain.is_empty() {
            return Err(SignerError::EmptyChain);
        }
        Ok(LocalTsa { key, chain })
    }

    /// From PEM files (`DATA/pki/tsa.key`, `DATA/pki/tsa.pem`).
    pub fn from_files(key: &Path, chain: &Path) -> Result<Self, SignerError> {
        let (key, chain) = super::sign::read_pem_pair(key, chain)?;
        Self::from_pem(&key, &chain)
    }

    fn answer(&self, request_der: &[u8]) -> Result<Vec<u8>, CmsBuildError> {
        let req = TimeStampReq::from_der(request_der)?;
        let mut serial = [0u8; 16];
        OsRng.fill_bytes(&mut serial);
        serial[0] &= 0x7f;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: TRAINING_TSA_POLICY,
            message_imprint: req.message_imprint,
            serial_number: Int::new(&serial)?,
            gen_time: GeneralizedTime::from_system_time(SystemTime::now())?,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: req.nonce,
            tsa: None,
            extensions: None,
        };
        let encap = EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(Any::new(Tag::OctetString, tst.to_der()?)?),
        };
        let chain: &[Certificate] = if req.cert_req {
            &self.chain
        } else {
            &self.chain[..1]
        };
        let attrs = vec![signing_certificate_v2_attr(&self.chain[0])?];
        let token = signed_data(&self.key, chain, &encap, None, attrs)?;
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        };
        Ok(resp.to_der()?)
    }
}

impl TimestampSource for LocalTsa {
    fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
        self.answer(request_der).map_err(TsaError::Internal)
    }
}
