//! RFC 3161 timestamps: the transport-neutral client side and an in-process training TSA.
//!
//! The HTTP transport to a real TSA is deliberately left to the caller behind [`TimestampSource`]: the stamping
//! service already owns an HTTP client (reqwest, for Peruri), and the engine stays free of network code.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cmpv2::status::{PkiStatus, PkiStatusInfo};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{
    Any, DateTime, Decode, DecodeValue, Encode, EncodeValue, ErrorKind, FixedTag, Header, Length,
    Reader, Sequence, Tag, Writer,
};
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

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
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The TSA refused the request (PKIStatus rejection/waiting/revocation).
    Rejected {
        /// PKIStatus value from the response.
        status: u8,
    },
    /// The answer is not a valid TimeStampResp for our request.
    Invalid(#[source] der::Error),
    /// The in-process TSA failed to build its answer (a bug).
    Internal(#[source] CmsBuildError),
    /// The token does not match the request (imprint or nonce differs).
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
/// `N` random bytes that encode as a positive DER INTEGER of exactly `N` octets. Clearing only the
/// top bit left a first octet of zero once in 256 draws, and a leading zero octet before one below
/// 0x80 is not canonical DER: strict readers (loket's own among them) refuse such a nonce or serial.
fn positive_random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    bytes
}

pub(crate) fn request_token(
    tsa: &dyn TimestampSource,
    data: &[u8],
) -> Result<ContentInfo, TsaError> {
    let imprint = Sha256::digest(data);
    let nonce = Int::new(&positive_random::<8>()).map_err(TsaError::Invalid)?;
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

/// TSTInfo (RFC 3161 §2.4.2), field for field x509_tsp's `TstInfo` except `genTime`.
///
/// x509_tsp reads genTime as `der::asn1::GeneralizedTime`, which refuses fractional seconds; RFC 3161 allows them
/// and real TSAs send them (Peruri's adapter uses one that does), so tokens are read and written (by the training
/// TSA, with whole seconds) through this type.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TokenInfo {
    pub version: TspVersion,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: Int,
    pub gen_time: GenTime,
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// Longest genTime value accepted: 14 digits, a separator, nine fraction digits and `Z`.
const GEN_TIME_MAX_LEN: usize = 14 + 1 + 9 + 1;

/// A TSTInfo genTime: a UTC `GeneralizedTime` with optional fractional seconds, as the TSA wrote it.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct GenTime {
    /// The value octets as received, so that encoding gives back the same bytes.
    raw: Vec<u8>,
    /// The whole seconds.
    seconds: DateTime,
    /// The fraction in nanoseconds.
    nanos: u32,
    /// The fraction's digits as received (empty for whole seconds): shown as sent, trailing zeros included, so
    /// the displayed precision is the TSA's.
    fraction: String,
}

/// Why a genTime value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GenTimeError {
    /// Not `YYYYMMDDHHMMSS[.f…]Z`: wrong length (more than nine fraction digits included), a non-digit, no `Z`, a
    /// local time or an offset.
    Shape,
    /// A separator without digits.
    Fraction,
    /// The digits do not name a real moment (month 13, 31 February, before 1970, …).
    Range(#[source] der::Error),
}

impl GenTime {
    /// Parse the value octets of a genTime.
    ///
    /// DER (X.690 §11.7) wants `YYYYMMDDHHMMSS[.f…]Z` with no trailing zeros in the fraction; real TSAs are not all
    /// that strict, so trailing zeros and the comma separator that X.680 also allows are accepted. What is refused
    /// is anything that leaves the moment unclear: no seconds, no `Z` (a local time or an offset), an empty
    /// fraction, or a fraction finer than a nanosecond.
    pub(crate) fn parse(value: &[u8]) -> Result<Self, GenTimeError> {
        if value.len() < 15 || value.len() > GEN_TIME_MAX_LEN || value.last() != Some(&b'Z') {
            return Err(GenTimeError::Shape);
        }
        let (digits, rest) = value.split_at(14);
        let rest = &rest[..rest.len() - 1];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(GenTimeError::Shape);
        }
        let fraction = match rest {
            [] => &[][..],
            [b'.' | b',', fraction @ ..] => fraction,
            _ => return Err(GenTimeError::Shape),
        };
        if !fraction.iter().all(u8::is_ascii_digit) {
            return Err(GenTimeError::Shape);
        }
        // At most nine fraction digits: the length check above.
        if rest.len() == 1 {
            return Err(GenTimeError::Fraction);
        }
        let number = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
        };
        // fits: each part has at most two digits, so it fits in a u8; the year has four.
        #[allow(clippy::cast_possible_truncation)]
        let part = |at: usize| number(at..at + 2) as u8;
        let seconds = DateTime::new(number(0..4), part(4), part(6), part(8), part(10), part(12))
            .map_err(GenTimeError::Range)?;
        let nanos = fraction
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(9)
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        Ok(GenTime {
            raw: value.to_vec(),
            seconds,
            nanos,
            fraction: String::from_utf8_lossy(fraction).into_owned(),
        })
    }

    /// A whole-second genTime (what the training TSA writes).
    pub(crate) fn whole_seconds(t: SystemTime) -> Result<Self, der::Error> {
        let d = DateTime::from_system_time(t)?;
        let raw = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minutes(),
            d.seconds()
        );
        Ok(GenTime {
            raw: raw.into_bytes(),
            seconds: d,
            nanos: 0,
            fraction: String::new(),
        })
    }

    /// The moment, to the nanosecond.
    pub(crate) fn to_system_time(&self) -> SystemTime {
        self.seconds.to_system_time() + Duration::from_nanos(u64::from(self.nanos))
    }
}

/// `2026-12-06T10:32:15.123Z`: the format of [`DateTime`]'s `Display` with the fraction the TSA sent.
impl fmt::Display for GenTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.seconds;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        )?;
        if !self.fraction.is_empty() {
            write!(f, ".{}", self.fraction)?;
        }
        f.write_str("Z")
    }
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for GenTime {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        if usize::try_from(header.length)? > GEN_TIME_MAX_LEN {
            return Err(reader.error(ErrorKind::DateTime));
        }
        let value = reader.read_vec(header.length)?;
        GenTime::parse(&value).map_err(|_| reader.error(ErrorKind::DateTime))
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.raw.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.raw)
    }
}

/// The TSTInfo inside a timestamp token.
pub(crate) fn token_tst_info(token: &ContentInfo) -> Result<TokenInfo, der::Error> {
    let sd: SignedData = token.content.decode_as()?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(der::Error::from(der::ErrorKind::Failed));
    }
    let content = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
    let octets: OctetString = content.decode_as()?;
    TokenInfo::from_der(octets.as_bytes())
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
        self.answer_at(request_der, GenTime::whole_seconds(SystemTime::now())?)
    }

    /// The answer with a given genTime (the tests' way to get fractional seconds from a TSA they trust).
    pub(crate) fn answer_at(
        &self,
        request_der: &[u8],
        gen_time: GenTime,
    ) -> Result<Vec<u8>, CmsBuildError> {
        let req = TimeStampReq::from_der(request_der)?;
        let serial = positive_random::<16>();
        let tst = TokenInfo {
            version: TspVersion::V1,
            policy: TRAINING_TSA_POLICY,
            message_imprint: req.message_imprint,
            serial_number: Int::new(&serial)?,
            gen_time,
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn random_nonces_and_serials_are_canonical_positive_integers() {
        for _ in 0..4_096 {
            let bytes = positive_random::<8>();
            let der = Int::new(&bytes).and_then(|i| i.to_der()).expect("encode");
            // Tag, length 8, the eight bytes as drawn: no leading zero octet added or needed.
            assert_eq!(der.len(), 10, "{bytes:02x?}");
            assert_eq!(Int::from_der(&der).expect("canonical").as_bytes(), &bytes);
        }
    }

    /// An OpenSSL 3.0 `openssl ts -reply` answer with `clock_precision_digits = 3` (genTime
    /// `20261206104520.755Z`) over the data `abc`, nonce 0xA4434E53DE9D6BDE, carrying its self-signed
    /// P-256 TSA certificate ("CN=Test TSA").
    pub(crate) const OPENSSL_REPLY_MILLIS: &str = concat!(
        "3082038830030201003082037f06092a864886f70d010702a08203703082036c020103310f300d060960864801650304",
        "020105003077060b2a864886f70d0109100104a0680466306402010106042a0304013031300d06096086480165030402",
        "0105000420ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0201031813323032363132",
        "30363130343532302e3735355a3003020101020900a4434e53de9d6bdea08201983082019430820139a0030201020214",
        "325bea18f1091668964e784a258e8264c3a9e024300a06082a8648ce3d04030230133111300f06035504030c08546573",
        "7420545341301e170d3236313230363130343531345a170d3336313230333130343531345a30133111300f0603550403",
        "0c0854657374205453413059301306072a8648ce3d020106082a8648ce3d030107034200047cb22003815c32f1a0127a",
        "41bb0a19df94f7a46af183b65e37ada45ee38bdb99705e8af262c1c56ebf994f0f479a052a326224f61603bf1c04b4be",
        "0c62ab7553a36b3069301d0603551d0e041604145e058b8be9e874bf67b1a8ae5e05219504d8e3fa301f0603551d2304",
        "18301680145e058b8be9e874bf67b1a8ae5e05219504d8e3fa300f0603551d130101ff040530030101ff30160603551d",
        "250101ff040c300a06082b06010505070308300a06082a8648ce3d040302034900304602210084f9817f165e6022109b",
        "09188c8e1925887264585e16a7f9e1060d493d9f86a7022100d279c17ac11b4b88e309ce0b143e89f3c3dde2104d4032",
        "99c51144cbabb1a1283182013f3082013b020101302b30133111300f06035504030c0854657374205453410214325bea",
        "18f1091668964e784a258e8264c3a9e024300d06096086480165030402010500a081a4301a06092a864886f70d010903",
        "310d060b2a864886f70d0109100104301c06092a864886f70d010905310f170d3236313230363130343532305a302f06",
        "092a864886f70d01090431220420c48d379651147a844ce0d5dd2e2b6dcb13df30627bcff7a7fe552551bee9653d3037",
        "060b2a864886f70d010910022f312830263024302204203c8aaea71b84f4cd1883225196bfe69029d40bf68f1ddd240b",
        "8020694af7f812300a06082a8648ce3d040302044730450220246f49255da18ec038e7722c4ae21bf3eac716ecbd6c05",
        "a1309dd1b01b7c8f3702210095553783f09170d942ff52a96691eac7ec75f9b487f0ee75c7028f385d3ca10b",
    );

    /// Parse `value`; `Ok((shown, nanoseconds))` or `Err` for a refusal.
    fn check(value: &str, expect: Result<(&str, u32), GenTimeError>) {
        let got = GenTime::parse(value.as_bytes()).map(|t| (t.to_string(), t.nanos));
        let expect = expect.map(|(shown, nanos)| (shown.to_string(), nanos));
        match (&got, &expect) {
            (Err(GenTimeError::Range(_)), Err(GenTimeError::Range(_))) => {}
            _ => assert_eq!(got, expect, "{value}"),
        }
    }

    #[test]
    fn gen_time_with_and_without_fractions() {
        check("20261206103215Z", Ok(("2026-12-06T10:32:15Z", 0)));
        check(
            "20261206103215.1Z",
            Ok(("2026-12-06T10:32:15.1Z", 100_000_000)),
        );
        check(
            "20261206103215.123Z",
            Ok(("2026-12-06T10:32:15.123Z", 123_000_000)),
        );
        check(
            "20261206103215.123456Z",
            Ok(("2026-12-06T10:32:15.123456Z", 123_456_000)),
        );
        check(
            "20261206103215.123456789Z",
            Ok(("2026-12-06T10:32:15.123456789Z", 123_456_789)),
        );
        // Not DER, but sent by real TSAs: trailing zeros are kept as sent, the comma is shown as a point.
        check(
            "20261206103215.120Z",
            Ok(("2026-12-06T10:32:15.120Z", 120_000_000)),
        );
        check("20261206103215.000Z", Ok(("2026-12-06T10:32:15.000Z", 0)));
        check(
            "20261206103215,5Z",
            Ok(("2026-12-06T10:32:15.5Z", 500_000_000)),
        );
        check("20240229000000Z", Ok(("2024-02-29T00:00:00Z", 0)));
    }

    #[test]
    fn malformed_gen_times_are_refused() {
        let range = || Err(GenTimeError::Range(der::Error::from(ErrorKind::DateTime)));
        check("", Err(GenTimeError::Shape));
        check("20261206103215", Err(GenTimeError::Shape));
        check("202612061032Z", Err(GenTimeError::Shape));
        check("20261206103215+0700", Err(GenTimeError::Shape));
        check("20261206103215.123+0700", Err(GenTimeError::Shape));
        check("20261206103215.123", Err(GenTimeError::Shape));
        check("20261206103215z", Err(GenTimeError::Shape));
        check("2026120610321aZ", Err(GenTimeError::Shape));
        check("20261206103215.12aZ", Err(GenTimeError::Shape));
        check("20261206103215:123Z", Err(GenTimeError::Shape));
        check(" 0261206103215Z", Err(GenTimeError::Shape));
        check("20261206103215.Z", Err(GenTimeError::Fraction));
        check("20261206103215.1234567890Z", Err(GenTimeError::Shape));
        check("20261306103215Z", range());
        check("20250229103215Z", range());
        check("20261206243215Z", range());
        check("20261206103260Z", range());
        check("19691231235959Z", range());
    }

    #[test]
    fn gen_time_moment_and_encoding_round_trip() {
        let t = GenTime::parse(b"20261206103215.123Z").expect("parse");
        let whole = GenTime::parse(b"20261206103215Z").expect("parse");
        assert_eq!(
            t.to_system_time()
                .duration_since(whole.to_system_time())
                .ok(),
            Some(Duration::from_millis(123))
        );
        let der = t.to_der().expect("encode");
        assert_eq!(&der[..2], &[0x18, 19]);
        assert_eq!(&der[2..], b"20261206103215.123Z");
        assert_eq!(GenTime::from_der(&der), Ok(t));
        assert_eq!(
            GenTime::whole_seconds(whole.to_system_time()).expect("whole seconds"),
            whole
        );
        // A value that is not a time is a DER error, not a panic.
        assert!(GenTime::from_der(&[0x18, 3, b'a', b'b', b'c']).is_err());
        assert!(GenTime::from_der(&[0x18, 0]).is_err());
        let mut long = vec![0x18, 40];
        long.extend_from_slice(&[b'1'; 40]);
        assert!(GenTime::from_der(&long).is_err());
    }

    #[test]
    fn an_openssl_token_with_milliseconds_is_read() {
        let der = hex::decode(OPENSSL_REPLY_MILLIS).expect("hex");
        let resp = TimeStampResp::from_der(&der).expect("response");
        let token = resp.time_stamp_token.expect("token");
        let tst = token_tst_info(&token).expect("tstinfo");
        assert_eq!(tst.gen_time.to_string(), "2026-12-06T10:45:20.755Z");
        assert_eq!(
            tst.message_imprint.hashed_message.as_bytes(),
            Sha256::digest(b"abc").as_slice()
        );
        // The nonce's top bit is set, so DER puts a zero octet before it.
        assert_eq!(
            tst.nonce.as_ref().map(Int::as_bytes),
            Some(&[0x00, 0xa4, 0x43, 0x4e, 0x53, 0xde, 0x9d, 0x6b, 0xde][..])
        );
        assert_eq!(tst.accuracy.and_then(|a| a.seconds), Some(1));
    }
}
