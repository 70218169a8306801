//! Peruri's e-Meterai wire format, pure: the requests loket sends and the replies it reads, as bytes.
//!
//! No sockets here (the HTTP client is the parent module), so every request body and every reply shape
//! is tested with byte literals, the way mini-redis tests `frame.rs`. The API is reconstructed from
//! integrators' public code (`shared/reference/emeterai.md`); field names and codes follow it, and the
//! section numbers below are that file's. Replies vary in shape, so they are read by what they say
//! ([`outcome`]) and by the fields the call needs, never by one fixed schema.

use crate::stamping::provider::{
    DocumentType, IssueRequest, ListFilter, ProviderError, Quota, Rect, SerialEntry, SerialPage,
    SerialState, StampRequest, is_serial_number,
};
use base64::Engine;
use reqwest::StatusCode;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Header carrying the job's request id on every attempt.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// The same id under the name idempotency-aware gateways look for.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Login, on the backend host (§4).
pub const LOGIN_PATH: &str = "api/users/login";
/// Document types, on the stamp v2 host (§5).
pub const DOCUMENT_TYPES_PATH: &str = "jenisdoc";
/// One serial number, on the stamp v2 host (§6).
pub const SERIAL_PATH: &str = "chanel/stampv2";
/// A serial number's stamp image, on the stamp v2 host (§7).
pub const QR_IMAGE_PATH: &str = "snqr/qrimage";
/// Cloud mode: the document's upload, on the file host (§8).
pub const UPLOAD_PATH: &str = "uploaddoc2";
/// Stamping through the on-prem adapter (§8).
pub const ADAPTER_SIGN_PATH: &str = "adapter/pdfsigning/rest/docSigningZ";
/// Stamping in cloud mode, on the stamp service host (§8).
pub const CLOUD_SIGN_PATH: &str = "keystamp/adapter/docSigningZ";
/// Quota, on the backend host (§9).
pub const QUOTA_PATH: &str = "function/saldopos";
/// One serial number's status, on the backend host (§9).
pub const SERIAL_STATUS_PATH: &str = "api/chanel/stamp/ext";
/// Multipart part of the upload that carries the PDF.
pub const UPLOAD_FILE_PART: &str = "file";
/// Form field of the upload that carries the token (besides the `Authorization` header).
pub const UPLOAD_TOKEN_FIELD: &str = "token";

/// The SN list of a user, on the stamp v2 host (§9).
pub fn serial_list_path(user_id: &str) -> String {
    format!("chanel/sale/stamp/ext/{user_id}")
}

/// Cloud mode: where the stamped output of an upload is fetched, on the file host (§8).
pub fn download_path(doc_id: &str) -> String {
    format!("getfile3/final_{doc_id}.pdf")
}

/// The query of an SN status call.
pub fn serial_status_query(sn: &str) -> Vec<(&'static str, String)> {
    vec![("filter", sn.to_string())]
}

/// The query of an SN list call.
pub fn serial_list_query(filter: &ListFilter) -> Vec<(&'static str, String)> {
    let mut q = vec![
        ("start", filter.start.to_string()),
        ("length", filter.length.to_string()),
    ];
    if let Some(s) = &filter.state {
        q.push(("status", s.as_api().to_string()));
    }
    q.push(("notEncrypt", "true".to_string()));
    q
}

/// A request body as JSON bytes. The types here hold strings, numbers and booleans only, which
/// serde_json always writes.
fn encode(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).expect("a body of strings, numbers and booleans serialises")
}

/// `POST {backend}/api/users/login` (§4).
#[derive(Serialize)]
pub struct Login<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

impl std::fmt::Debug for Login<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("Login")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Login<'_> {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }
}

/// `POST {stampv2}/chanel/stampv2`: one SN for one document (§6), fields in the reference's order.
#[derive(Debug, Serialize)]
pub struct SerialRequest<'a> {
    #[serde(rename = "isUpload")]
    pub is_upload: bool,
    /// `kode` of the document type.
    pub namadoc: &'a str,
    /// [`peruri_file_name`]: the request id is in it, which is how a lost reply is found again.
    pub namafile: String,
    pub nilaidoc: String,
    #[serde(rename = "snOnly")]
    pub sn_only: bool,
    /// The request id.
    pub nodoc: &'a str,
    /// `YYYY-MM-DD`.
    pub tgldoc: String,
    /// Cloud mode: the upload's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idfile: Option<&'a str>,
}

impl<'a> SerialRequest<'a> {
    /// The SN request for `req`; `uploaded` is the cloud upload's id (cloud mode only).
    pub fn new(req: &'a IssueRequest, uploaded: Option<&'a str>) -> SerialRequest<'a> {
        let d = req.doc_date;
        SerialRequest {
            is_upload: uploaded.is_some(),
            namadoc: &req.doc_type,
            namafile: peruri_file_name(&req.request_id, &req.file_name),
            nilaidoc: req.value.to_string(),
            sn_only: false,
            nodoc: &req.request_id,
            tgldoc: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            idfile: uploaded,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }
}

/// `POST {stampv2}/snqr/qrimage`: the stamp image of an SN whose reply (with its image) was lost (§7).
#[derive(Debug, Serialize)]
pub struct QrImageRequest<'a> {
    pub serialnumber: &'a str,
    pub onprem: bool,
}

impl QrImageRequest<'_> {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }
}

/// `POST …/docSigningZ`: the adapter's signing request (§8), Peruri's field names, box in PDF points.
#[derive(Clone, Serialize)]
pub struct SigningRequest {
    #[serde(rename = "profileName")]
    pub profile_name: String,
    pub src: String,
    pub dest: String,
    pub reason: String,
    pub location: String,
    pub certificatelevel: &'static str,
    pub docpass: String,
    /// The token, also in the `Authorization` header: the client fills in the one each attempt sends.
    #[serde(rename = "jwToken")]
    pub token: String,
    /// The SN.
    #[serde(rename = "refToken")]
    pub sn: String,
    #[serde(rename = "visSignaturePage")]
    pub page: u32,
    #[serde(rename = "visLLX")]
    pub llx: f64,
    #[serde(rename = "visLLY")]
    pub lly: f64,
    #[serde(rename = "visURX")]
    pub urx: f64,
    #[serde(rename = "visURY")]
    pub ury: f64,
    /// `retryFlag`: `"1"` retries a failed signing with the same SN (after adapter error 97).
    #[serde(rename = "retryFlag", serialize_with = "flag")]
    pub retry: bool,
    /// Path of the stamp image in the shared folder.
    #[serde(rename = "spesimenPath", skip_serializing_if = "Option::is_none")]
    pub spesimen_path: Option<String>,
    /// Cloud mode: the upload's id.
    #[serde(rename = "docId", skip_serializing_if = "Option::is_none")]
    pub doc_id: Option<String>,
    /// Cloud mode: `false`.
    #[serde(rename = "onPrem", skip_serializing_if = "Option::is_none")]
    pub on_prem: Option<bool>,
}

fn flag<S: Serializer>(on: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *on { "1" } else { "0" })
}

impl std::fmt::Debug for SigningRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The document's password and the token stay out of logs.
        f.debug_struct("SigningRequest")
            .field("src", &self.src)
            .field("dest", &self.dest)
            .field("sn", &self.sn)
            .field("page", &self.page)
            .field("retry", &self.retry)
            .field("doc_id", &self.doc_id)
            .finish_non_exhaustive()
    }
}

impl SigningRequest {
    /// The request for `req`: `src` and `dest` are paths as the adapter sees them, `spesimen` the
    /// stamp image's.
    ///
    /// Peruri's sample sends `visLLY` above `visURY`; the adapter hands the four numbers to iText,
    /// which normalises the rectangle, so either order stamps the same box. loket sends the
    /// normalised PDF rectangle (lower-left below upper-right), the unambiguous form, rounded to
    /// hundredths of a point.
    pub fn new(
        profile_name: &str,
        req: &StampRequest,
        src: String,
        dest: String,
        spesimen: Option<String>,
    ) -> SigningRequest {
        let r: Rect = req.rect.normalized();
        let round = |x: f32| (f64::from(x) * 100.0).round() / 100.0;
        SigningRequest {
            profile_name: profile_name.to_string(),
            src,
            dest,
            reason: req.reason.clone(),
            location: req.location.clone(),
            certificatelevel: "NOT_CERTIFIED",
            docpass: req.password.clone().unwrap_or_default(),
            token: String::new(),
            sn: req.sn.clone(),
            page: req.page.max(1),
            llx: round(r.llx),
            lly: round(r.lly),
            urx: round(r.urx),
            ury: round(r.ury),
            retry: false,
            spesimen_path: spesimen,
            doc_id: None,
            on_prem: None,
        }
    }

    /// The cloud form: the upload's id and `onPrem: false`.
    pub fn in_cloud(self, doc_id: &str) -> SigningRequest {
        SigningRequest {
            doc_id: Some(doc_id.to_string()),
            on_prem: Some(false),
            ..self
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }
}

/// A string or number field as text.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The message of a reply: `message`, `result.err`, `errorMessage`, whichever is there.
fn message_of(v: &Value) -> String {
    [
        "/message",
        "/result/err",
        "/errorMessage",
        "/result/message",
    ]
    .iter()
    .find_map(|p| v.pointer(p).and_then(text))
    .unwrap_or_default()
}

/// When a JWT expires (`exp`), read without verifying the signature (only used to renew in time).
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(exp))
}

/// What a reply says of its own outcome. Peruri's replies vary (§4–§9): most carry `statusCode`
/// "00"; the SN list and status are documented as `{"message":"success","result":{…}}` without one;
/// a refusal puts its reason in `result.err`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Refused {
        code: String,
        message: String,
    },
    /// Neither a status code nor a word of success or refusal: the caller decides by the fields
    /// it needs.
    Unstated,
}

pub fn outcome(v: &Value) -> Outcome {
    if let Some(code) = v.get("statusCode").and_then(text) {
        let code = code.trim().to_string();
        return if code.chars().all(|c| c == '0') && !code.is_empty() {
            Outcome::Success
        } else {
            Outcome::Refused {
                code,
                message: message_of(v),
            }
        };
    }
    if let Some(err) = v
        .pointer("/result/err")
        .and_then(text)
        .filter(|e| !e.is_empty())
    {
        return Outcome::Refused {
            code: String::new(),
            message: err,
        };
    }
    let word = v
        .get("message")
        .and_then(text)
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if ["success", "sukses", "berhasil", "ok"].contains(&word.as_str()) {
        Outcome::Success
    } else {
        Outcome::Unstated
    }
}

/// A reply's body cut to a length the journal and the supervisor's screen can hold, kept with an
/// unreadable reply so that someone can see what Peruri actually said.
fn excerpt(v: &Value) -> String {
    let text = v.to_string();
    if text.len() <= 300 {
        text
    } else {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    }
}

/// Whether a reply body says the token is no longer accepted (whatever its HTTP status).
pub fn says_token_expired(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let code = v.get("statusCode").and_then(text).unwrap_or_default();
    let message = message_of(&v).to_lowercase();
    code == "01"
        || (message.contains("token")
            && ["expired", "expire", "kadaluarsa", "kedaluwarsa", "invalid"]
                .iter()
                .any(|w| message.contains(w)))
}

/// Whether a non-"00" reply to an SN request means the quota is used up. Peruri's code for it is not
/// public: one design document says 93; integrators match on the word.
fn says_quota_exhausted(code: &str, message: &str) -> bool {
    let m = message.to_lowercase();
    code == "93" || ["saldo", "kuota", "quota"].iter().any(|w| m.contains(w))
}

/// The file name Peruri records for a request: `<request id>_<customer's name>.pdf`. The SN list returns
/// it, which is how a lost reply is found again.
pub fn peruri_file_name(request_id: &str, file_name: &str) -> String {
    let stem = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".pdf")
        .trim_end_matches(".PDF");
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    format!("{request_id}_{clean}.pdf")
}

/// Document types from a real `jenisdoc` response (§5), used when the service cannot be asked.
pub fn fallback_document_types() -> Vec<DocumentType> {
    [
        (
            "2",
            "Dokumen Transaksi; Surat Berharga; Akta Pejabat; Dokumen lain-lain; Akta Notaris; Dokumen Lelang",
        ),
        (
            "3",
            "Surat Keterangan; Surat Lainnya; Surat Pernyataan; Surat Perjanjian",
        ),
        (
            "4a",
            "Dokumen penerimaan uang (lebih dari 5 juta); Dokumen pernyataan jumlah uang lebih dari 5jt",
        ),
        ("4b", "Dokumen pelunasan utang (lebih dari 5 juta)"),
    ]
    .into_iter()
    .map(|(kode, nama)| DocumentType {
        kode: kode.into(),
        nama: nama.into(),
    })
    .collect()
}

/// Adapter error codes (§8) and what they mean for the job.
pub fn adapter_error(code: &str, message: &str, sn: &str) -> ProviderError {
    match code {
        "92" | "97" => ProviderError::SerialSpoiled {
            sn: sn.to_string(),
            code: code.to_string(),
        },
        "80" | "81" | "82" | "83" => ProviderError::BadDocument {
            code: code.to_string(),
            message: message.to_string(),
        },
        // The remote signer refused even after a fresh login: Peruri's signing side is failing.
        "95" => ProviderError::SignerRefused {
            code: code.to_string(),
            message: message.to_string(),
        },
        // The SN was used and no output for it can be found: only a person can settle it.
        "96" => ProviderError::SerialUsed {
            sn: sn.to_string(),
            message: message.to_string(),
        },
        _ => ProviderError::Rejected {
            code: code.to_string(),
            message: message.to_string(),
        },
    }
}

/// A stamp image as sent: base64, possibly as a `data:` URL.
fn decode_image(b64: &str) -> Result<Vec<u8>, ProviderError> {
    let clean = b64
        .split_once("base64,")
        .map_or(b64, |(_, rest)| rest)
        .trim();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| ProviderError::Protocol {
            detail: format!("image is not base64: {e}"),
        })
}

/// A call's JSON body when the HTTP status is a success; otherwise the refusal it is.
pub fn json_reply(status: StatusCode, body: &[u8]) -> Result<Value, ProviderError> {
    let v: Result<Value, _> = serde_json::from_slice(body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(ProviderError::AuthFailed {
            detail: format!(
                "http {status}: {}",
                v.as_ref().map(message_of).unwrap_or_default()
            ),
        });
    }
    if !status.is_success() {
        return Err(ProviderError::Rejected {
            code: status.as_u16().to_string(),
            message: v
                .as_ref()
                .map(message_of)
                .unwrap_or_else(|_| String::from_utf8_lossy(body).chars().take(200).collect()),
        });
    }
    v.map_err(|e| ProviderError::Protocol {
        detail: format!("reply is not json: {e}"),
    })
}

/// A reply is good when it says so, or says nothing of its outcome but carries the fields the
/// call needs (`has_fields`). A refusal is `Rejected`; a reply that is neither is kept, cut
/// short, in a `Protocol` error (the job waits; the supervisor can read it).
fn check_reply(v: &Value, what: &str, has_fields: bool) -> Result<(), ProviderError> {
    match outcome(v) {
        Outcome::Success => Ok(()),
        Outcome::Unstated if has_fields => Ok(()),
        Outcome::Refused { code, message } => Err(ProviderError::Rejected { code, message }),
        Outcome::Unstated => Err(ProviderError::Protocol {
            detail: format!(
                "{what} reply says neither success nor refusal: {}",
                excerpt(v)
            ),
        }),
    }
}

/// The login reply (§4): the token at the root or under `result.data.login`, and the user id the
/// SN list is asked by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginReply {
    pub token: String,
    pub user_id: Option<String>,
}

impl LoginReply {
    pub fn decode(status: StatusCode, body: &[u8]) -> Result<LoginReply, ProviderError> {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let has_token = v.get("token").is_some() || v.pointer("/result/data/login/token").is_some();
        match outcome(&v) {
            _ if !status.is_success() => {
                return Err(ProviderError::AuthFailed {
                    detail: format!("http {status}: {}", message_of(&v)),
                });
            }
            Outcome::Refused { code, message } => {
                return Err(ProviderError::AuthFailed {
                    detail: format!("code {code:?}: {message}"),
                });
            }
            Outcome::Success | Outcome::Unstated => {}
        }
        if !has_token && v.is_null() {
            return Err(ProviderError::Protocol {
                detail: format!("login reply is not json (http {status})"),
            });
        }
        let token = v
            .get("token")
            .and_then(text)
            .or_else(|| v.pointer("/result/data/login/token").and_then(text))
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ProviderError::Protocol {
                detail: "login reply without token".into(),
            })?;
        Ok(LoginReply {
            token,
            user_id: v.pointer("/result/data/login/user/id").and_then(text),
        })
    }
}

/// The reply to an SN request (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialReply {
    pub sn: String,
    /// On-prem: the stamp image (PNG).
    pub image: Option<Vec<u8>>,
    /// Cloud: the QR image's name in Peruri's shared folder (`filenameQR`).
    pub qr: Option<String>,
}

/// An SN request that did not give an SN, and whether an SN may have been issued all the same (an
/// unreadable answer may hide one: look it up before asking again).
#[derive(Debug)]
pub struct SerialFailure {
    pub error: ProviderError,
    pub maybe_issued: bool,
}

impl From<ProviderError> for SerialFailure {
    fn from(error: ProviderError) -> SerialFailure {
        SerialFailure {
            error,
            maybe_issued: false,
        }
    }
}

impl SerialReply {
    pub fn decode(status: StatusCode, body: &[u8]) -> Result<SerialReply, SerialFailure> {
        let v = match json_reply(status, body) {
            Ok(v) => v,
            Err(e @ ProviderError::Protocol { .. }) => {
                return Err(SerialFailure {
                    error: e,
                    maybe_issued: true,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let has_sn = v
            .pointer("/result/sn")
            .and_then(text)
            .is_some_and(|sn| is_serial_number(&sn));
        match check_reply(&v, "sn", has_sn) {
            Ok(()) => {}
            Err(ProviderError::Rejected { code, message }) => {
                return Err(if says_quota_exhausted(&code, &message) {
                    ProviderError::QuotaExhausted { message }
                } else {
                    ProviderError::Rejected { code, message }
                }
                .into());
            }
            Err(e) => {
                return Err(SerialFailure {
                    error: e,
                    maybe_issued: true,
                });
            }
        }
        let sn = v
            .pointer("/result/sn")
            .and_then(text)
            .filter(|sn| is_serial_number(sn))
            .ok_or_else(|| ProviderError::Protocol {
                detail: format!("sn reply without a valid serial number: {v}"),
            })?;
        let image = match v.pointer("/result/image").and_then(text) {
            Some(b64) if !b64.is_empty() => Some(decode_image(&b64)?),
            _ => None,
        };
        Ok(SerialReply {
            sn,
            image,
            qr: v.pointer("/result/filenameQR").and_then(text),
        })
    }
}

/// The upload's id (§8: `id` at the root; some replies put it under `result`).
pub fn decode_upload(status: StatusCode, body: &[u8]) -> Result<String, ProviderError> {
    let v = json_reply(status, body)?;
    let has_id = v.get("id").or_else(|| v.pointer("/result/id")).is_some();
    check_reply(&v, "upload", has_id)?;
    v.get("id")
        .or_else(|| v.pointer("/result/id"))
        .and_then(text)
        .ok_or_else(|| ProviderError::Protocol {
            detail: format!("upload reply without id: {v}"),
        })
}

/// The stamp image of `snqr/qrimage`. The reply shape (`result.image`, base64) is assumed to match
/// SN generation.
pub fn decode_qr_image(status: StatusCode, body: &[u8]) -> Result<Vec<u8>, ProviderError> {
    let v = json_reply(status, body)?;
    let has_image = v
        .pointer("/result/image")
        .or_else(|| v.get("image"))
        .is_some();
    check_reply(&v, "qr image", has_image)?;
    let b64 = v
        .pointer("/result/image")
        .or_else(|| v.get("image"))
        .and_then(text)
        .ok_or_else(|| ProviderError::Protocol {
            detail: "qr image reply without image".into(),
        })?;
    decode_image(&b64)
}

/// The adapter's answer to a signing request (§8): `status` "True" with `errorCode` "00" (or none),
/// else the error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningReply {
    /// Cloud mode names the output's address (`urlFile`).
    Signed {
        url_file: Option<String>,
    },
    Failed {
        code: String,
        message: String,
    },
}

impl SigningReply {
    pub fn decode(status: StatusCode, body: &[u8]) -> Result<SigningReply, ProviderError> {
        let v = json_reply(status, body)?;
        let said = v.get("status").and_then(text).unwrap_or_default();
        let code = v
            .get("errorCode")
            .and_then(text)
            .unwrap_or_default()
            .trim()
            .to_string();
        Ok(
            if said.eq_ignore_ascii_case("true") && (code == "00" || code.is_empty()) {
                SigningReply::Signed {
                    url_file: v.get("urlFile").and_then(text).filter(|u| !u.is_empty()),
                }
            } else {
                SigningReply::Failed {
                    code,
                    message: message_of(&v),
                }
            },
        )
    }
}

/// A downloaded output (cloud mode): a PDF, or the refusal the status says. `path` names the call
/// in the error.
pub fn decode_download(
    status: StatusCode,
    body: Vec<u8>,
    path: &str,
) -> Result<Vec<u8>, ProviderError> {
    if !status.is_success() {
        return json_reply(status, &body).map(|_| Vec::new());
    }
    if !body.starts_with(b"%PDF") {
        return Err(ProviderError::Protocol {
            detail: format!("download of {path} is not a pdf"),
        });
    }
    Ok(body)
}

/// The document types of `jenisdoc` (§5).
pub fn decode_document_types(
    status: StatusCode,
    body: &[u8],
) -> Result<Vec<DocumentType>, ProviderError> {
    let v = json_reply(status, body)?;
    check_reply(&v, "jenisdoc", v.get("result").is_some_and(Value::is_array))?;
    let list: Vec<DocumentType> = v
        .get("result")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    Some(DocumentType {
                        kode: i.get("kode").and_then(text)?,
                        nama: i.get("nama").and_then(text).unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        return Err(ProviderError::Protocol {
            detail: "jenisdoc reply without types".into(),
        });
    }
    Ok(list)
}

/// The quota of `saldopos` (§9).
pub fn decode_quota(status: StatusCode, body: &[u8]) -> Result<Quota, ProviderError> {
    let v = json_reply(status, body)?;
    // saldopos states its outcome inside `result` (`result.status`), sometimes beside a
    // top-level `statusCode`; either "00" is success.
    let inner = v.pointer("/result/status").and_then(text);
    let inner_ok = inner.as_deref().is_some_and(|c| c.trim() == "00");
    if !inner_ok {
        let has_saldo = v.pointer("/result/saldo").is_some();
        match (inner, check_reply(&v, "saldopos", has_saldo)) {
            (Some(code), _) if !code.trim().is_empty() && outcome(&v) != Outcome::Success => {
                return Err(ProviderError::Rejected {
                    code,
                    message: message_of(&v),
                });
            }
            (_, Err(e)) => return Err(e),
            _ => {}
        }
    }
    let field = |name: &str| v.pointer(&format!("/result/{name}")).and_then(count);
    Ok(Quota {
        remaining: field("saldo").ok_or_else(|| ProviderError::Protocol {
            detail: format!("saldopos reply without saldo: {v}"),
        })?,
        not_stamped: field("notstamp").unwrap_or(0),
    })
}

/// One SN's status (§9): the first entry of `result.data`, or "not found" when there is none.
pub fn decode_serial_status(
    sn: &str,
    status: StatusCode,
    body: &[u8],
) -> Result<SerialEntry, ProviderError> {
    let v = json_reply(status, body)?;
    let has_data = v.pointer("/result/data").is_some_and(Value::is_array);
    check_reply(&v, "sn status", has_data)?;
    let first = v
        .pointer("/result/data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .cloned();
    Ok(match first {
        Some(d) => SerialEntry {
            sn: sn.to_string(),
            state: SerialState::parse(&d.get("status").and_then(text).unwrap_or_default()),
            file: d.get("file").and_then(text),
            issued: d.get("tgl").and_then(text),
            updated: d.get("tglupdate").and_then(text),
        },
        // Peruri has no row for the serial: a machine word like its own statuses, as the local
        // provider says `UNKNOWN`.
        None => SerialEntry {
            sn: sn.to_string(),
            state: SerialState::Unknown("NOTFOUND".into()),
            file: None,
            issued: None,
            updated: None,
        },
    })
}

/// A page of the SN list (§9).
pub fn decode_serial_page(status: StatusCode, body: &[u8]) -> Result<SerialPage, ProviderError> {
    let v = json_reply(status, body)?;
    let has_data = v.pointer("/result/data").is_some_and(Value::is_array);
    check_reply(&v, "sn list", has_data)?;
    let items = v
        .pointer("/result/data")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(|e| {
                    Some(SerialEntry {
                        sn: e.get("serialnumber").and_then(text)?,
                        state: SerialState::parse(
                            &e.get("status").and_then(text).unwrap_or_default(),
                        ),
                        file: e.get("file").and_then(text),
                        issued: e.get("tgl").and_then(text),
                        updated: e.get("tglupdate").and_then(text),
                    })
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let total = v
        .pointer("/result/total")
        .and_then(count)
        .unwrap_or(items.len() as u64);
    Ok(SerialPage { total, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamping::provider::Document;

    const SN: &str = "389UY343AP0GE9A40000A9";
    const RID: &str = "J-0001-abcdefgh";

    fn ok() -> StatusCode {
        StatusCode::OK
    }

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).expect("a valid status")
    }

    /// Compares what was sent, byte for byte, showing both as text when they differ.
    fn check_bytes(got: Vec<u8>, expect: &[u8]) {
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expect)
        );
    }

    /// A decoded result as `Debug` text: the variant and every field, so a table row states all of it.
    fn shown<T: std::fmt::Debug, E: std::fmt::Debug>(r: Result<T, E>) -> String {
        match r {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("Err({e:?})"),
        }
    }

    fn issue_request() -> IssueRequest {
        IssueRequest {
            request_id: RID.into(),
            doc_type: "3".into(),
            file_name: "surat lamaran.pdf".into(),
            doc_date: time::macros::date!(2026 - 11 - 23),
            value: 10_000,
            sha256: String::new(),
            document: None,
            attempted_before: false,
        }
    }

    fn stamp_request() -> StampRequest {
        StampRequest {
            request_id: RID.into(),
            sn: SN.into(),
            document: Document::Bytes(Vec::new()),
            page: 0,
            // Peruri's sample box, upper and lower edge the other way round, one edge off the grid.
            rect: Rect {
                llx: 237.0,
                lly: 559.0,
                urx: 337.456,
                ury: 459.0,
            },
            reason: "Surat Pernyataan".into(),
            location: "JAKARTA".into(),
            password: None,
            stamp_image: None,
            handle: None,
        }
    }

    #[test]
    fn login_request() {
        check_bytes(
            Login {
                user: "loket@pos.test",
                password: "rahasia",
            }
            .encode(),
            br#"{"user":"loket@pos.test","password":"rahasia"}"#,
        );
    }

    #[test]
    fn serial_requests_on_prem_and_in_cloud() {
        let req = issue_request();
        check_bytes(
            SerialRequest::new(&req, None).encode(),
            br#"{"isUpload":false,"namadoc":"3","namafile":"J-0001-abcdefgh_surat_lamaran.pdf","nilaidoc":"10000","snOnly":false,"nodoc":"J-0001-abcdefgh","tgldoc":"2026-11-23"}"#,
        );
        check_bytes(
            SerialRequest::new(&req, Some("f-77")).encode(),
            br#"{"isUpload":true,"namadoc":"3","namafile":"J-0001-abcdefgh_surat_lamaran.pdf","nilaidoc":"10000","snOnly":false,"nodoc":"J-0001-abcdefgh","tgldoc":"2026-11-23","idfile":"f-77"}"#,
        );
    }

    #[test]
    fn qr_image_request() {
        check_bytes(
            QrImageRequest {
                serialnumber: SN,
                onprem: true,
            }
            .encode(),
            br#"{"serialnumber":"389UY343AP0GE9A40000A9","onprem":true}"#,
        );
    }

    #[test]
    fn signing_requests_on_prem_and_in_cloud() {
        let req = stamp_request();
        let onprem = SigningRequest::new(
            PROFILE,
            &req,
            format!("/sharefolder/UNSIGNED/{SN}.pdf"),
            format!("/sharefolder/SIGNED/{SN}.pdf"),
            Some(format!("/sharefolder/STAMP/{SN}.png")),
        );
        check_bytes(
            onprem.encode(),
            br#"{"profileName":"emeteraicertificateSigner","src":"/sharefolder/UNSIGNED/389UY343AP0GE9A40000A9.pdf","dest":"/sharefolder/SIGNED/389UY343AP0GE9A40000A9.pdf","reason":"Surat Pernyataan","location":"JAKARTA","certificatelevel":"NOT_CERTIFIED","docpass":"","jwToken":"","refToken":"389UY343AP0GE9A40000A9","visSignaturePage":1,"visLLX":237.0,"visLLY":459.0,"visURX":337.46,"visURY":559.0,"retryFlag":"0","spesimenPath":"/sharefolder/STAMP/389UY343AP0GE9A40000A9.png"}"#,
        );
        let cloud = SigningRequest {
            token: "eyJ.x.y".into(),
            retry: true,
            docpass: "rahasia".into(),
            ..SigningRequest::new(
                PROFILE,
                &req,
                "/sharefolder/doc_77.pdf".into(),
                "/sharefolder/final_77.pdf".into(),
                None,
            )
        }
        .in_cloud("77");
        check_bytes(
            cloud.encode(),
            br#"{"profileName":"emeteraicertificateSigner","src":"/sharefolder/doc_77.pdf","dest":"/sharefolder/final_77.pdf","reason":"Surat Pernyataan","location":"JAKARTA","certificatelevel":"NOT_CERTIFIED","docpass":"rahasia","jwToken":"eyJ.x.y","refToken":"389UY343AP0GE9A40000A9","visSignaturePage":1,"visLLX":237.0,"visLLY":459.0,"visURX":337.46,"visURY":559.0,"retryFlag":"1","docId":"77","onPrem":false}"#,
        );
        // Logs never see the document's password or the token.
        let debug = format!("{cloud:?}");
        assert!(
            !debug.contains("rahasia") && !debug.contains("eyJ"),
            "{debug}"
        );
    }

    const PROFILE: &str = "emeteraicertificateSigner";

    #[test]
    fn paths_and_queries() {
        assert_eq!(serial_list_path("u-1"), "chanel/sale/stamp/ext/u-1");
        assert_eq!(download_path("77"), "getfile3/final_77.pdf");
        assert_eq!(serial_status_query(SN), [("filter", SN.to_string())]);
        let check = |state: Option<SerialState>, expect: &[(&str, &str)]| {
            let got = serial_list_query(&ListFilter {
                state,
                start: 100,
                length: 50,
            });
            let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(got, expect);
        };
        check(
            Some(SerialState::NotStamped),
            &[
                ("start", "100"),
                ("length", "50"),
                ("status", "NOTSTAMP"),
                ("notEncrypt", "true"),
            ],
        );
        check(
            None,
            &[("start", "100"), ("length", "50"), ("notEncrypt", "true")],
        );
    }

    #[test]
    fn login_replies() {
        let check = |code: u16, body: &[u8], expect: &str| {
            assert_eq!(
                shown(LoginReply::decode(status(code), body)),
                expect,
                "{}",
                String::from_utf8_lossy(body)
            );
        };
        check(
            200,
            br#"{"statusCode":"00","message":"success","token":"abc","result":{"data":{"login":{"token":"abc","user":{"id":"u-1","email":"a@b"}}}}}"#,
            r#"LoginReply { token: "abc", user_id: Some("u-1") }"#,
        );
        check(
            200,
            br#"{"result":{"data":{"login":{"token":"nested","user":{"id":42}}}}}"#,
            r#"LoginReply { token: "nested", user_id: Some("42") }"#,
        );
        check(
            401,
            br#"{"message":"Unauthorized user"}"#,
            r#"Err(AuthFailed { detail: "http 401 Unauthorized: Unauthorized user" })"#,
        );
        check(
            200,
            br#"{"statusCode":"99","message":"Password salah"}"#,
            r#"Err(AuthFailed { detail: "code \"99\": Password salah" })"#,
        );
        check(
            200,
            b"<html>maintenance</html>",
            r#"Err(Protocol { detail: "login reply is not json (http 200 OK)" })"#,
        );
        check(
            200,
            br#"{"statusCode":"00","token":""}"#,
            r#"Err(Protocol { detail: "login reply without token" })"#,
        );
    }

    #[test]
    fn serial_replies() {
        let check = |code: u16, body: &[u8], expect: &str, maybe_issued: bool| {
            let got = SerialReply::decode(status(code), body);
            let issued = got.as_ref().err().is_some_and(|f| f.maybe_issued);
            let got = shown(got.map_err(|f| f.error));
            let what = String::from_utf8_lossy(body);
            assert_eq!(got, expect, "{what}");
            assert_eq!(issued, maybe_issued, "maybe issued: {what}");
        };
        check(
            200,
            br#"{"statusCode":"00","message":"success","result":{"sn":"389UY343AP0GE9A40000A9","image":"data:image/png;base64,AAEC"}}"#,
            r#"SerialReply { sn: "389UY343AP0GE9A40000A9", image: Some([0, 1, 2]), qr: None }"#,
            false,
        );
        check(
            200,
            br#"{"statusCode":"00","result":{"sn":"389UY343AP0GE9A40000A9","image":"","filenameQR":"qr_77.png"}}"#,
            r#"SerialReply { sn: "389UY343AP0GE9A40000A9", image: None, qr: Some("qr_77.png") }"#,
            false,
        );
        // No word of the outcome, but the serial number it was asked for.
        check(
            200,
            br#"{"result":{"sn":"389UY343AP0GE9A40000A9"}}"#,
            r#"SerialReply { sn: "389UY343AP0GE9A40000A9", image: None, qr: None }"#,
            false,
        );
        check(
            200,
            br#"{"statusCode":"93","message":"x"}"#,
            r#"Err(QuotaExhausted { message: "x" })"#,
            false,
        );
        check(
            200,
            br#"{"statusCode":"99","result":{"err":"Saldo tidak mencukupi"}}"#,
            r#"Err(QuotaExhausted { message: "Saldo tidak mencukupi" })"#,
            false,
        );
        check(
            200,
            br#"{"statusCode":"99","message":"namadoc wajib diisi"}"#,
            r#"Err(Rejected { code: "99", message: "namadoc wajib diisi" })"#,
            false,
        );
        check(
            400,
            br#"{"message":"bad request"}"#,
            r#"Err(Rejected { code: "400", message: "bad request" })"#,
            false,
        );
        // An answer that cannot be read, or says nothing, may hide an issued serial number.
        check(
            200,
            b"<html>",
            r#"Err(Protocol { detail: "reply is not json: expected value at line 1 column 1" })"#,
            true,
        );
        check(
            200,
            br#"{"result":{}}"#,
            r#"Err(Protocol { detail: "sn reply says neither success nor refusal: {\"result\":{}}" })"#,
            true,
        );
        check(
            200,
            br#"{"statusCode":"00","result":{"sn":"short"}}"#,
            r#"Err(Protocol { detail: "sn reply without a valid serial number: {\"result\":{\"sn\":\"short\"},\"statusCode\":\"00\"}" })"#,
            false,
        );
        check(
            200,
            br#"{"statusCode":"00","result":{"sn":"389UY343AP0GE9A40000A9","image":"!!"}}"#,
            r#"Err(Protocol { detail: "image is not base64: Invalid symbol 33, offset 0." })"#,
            false,
        );
    }

    #[test]
    fn signing_replies() {
        let check = |body: &[u8], expect: &str| {
            assert_eq!(
                shown(SigningReply::decode(ok(), body)),
                expect,
                "{}",
                String::from_utf8_lossy(body)
            );
        };
        check(
            br#"{"status":"True","errorCode":"00","errorMessage":"-"}"#,
            "Signed { url_file: None }",
        );
        check(
            br#"{"status":"true","errorCode":"00","urlFile":"https://f.test/getfile3/final_77.pdf"}"#,
            r#"Signed { url_file: Some("https://f.test/getfile3/final_77.pdf") }"#,
        );
        check(
            br#"{"status":"True","urlFile":""}"#,
            "Signed { url_file: None }",
        );
        check(
            br#"{"status":"False","errorCode":"97","errorMessage":"abnormal error"}"#,
            r#"Failed { code: "97", message: "abnormal error" }"#,
        );
        check(
            br#"{"status":"True","errorCode":" 92 "}"#,
            r#"Failed { code: "92", message: "" }"#,
        );
        assert_eq!(
            shown(SigningReply::decode(status(403), b"forbidden")),
            r#"Err(AuthFailed { detail: "http 403 Forbidden: " })"#
        );
    }

    #[test]
    fn adapter_codes() {
        let check = |code: &str, expect: &str| {
            let got = match adapter_error(code, "m", SN) {
                ProviderError::SerialSpoiled { .. } => "spoiled",
                ProviderError::BadDocument { .. } => "document",
                ProviderError::Unavailable { .. } => "unavailable",
                ProviderError::Rejected { .. } => "rejected",
                ProviderError::SerialUsed { .. } => "used",
                ProviderError::SignerRefused { .. } => "signer",
                _ => "other",
            };
            assert_eq!(got, expect, "code {code}");
        };
        for (code, expect) in [
            ("92", "spoiled"),
            ("97", "spoiled"),
            ("80", "document"),
            ("81", "document"),
            ("82", "document"),
            ("83", "document"),
            ("90", "rejected"),
            ("91", "rejected"),
            ("93", "rejected"),
            ("95", "signer"),
            ("96", "used"),
        ] {
            check(code, expect);
        }
    }

    #[test]
    fn upload_image_and_download_replies() {
        assert_eq!(
            shown(decode_upload(
                ok(),
                br#"{"statusCode":"00","message":"success","id":"f-77","name":"a.pdf"}"#
            )),
            r#""f-77""#
        );
        assert_eq!(
            shown(decode_upload(ok(), br#"{"result":{"id":12}}"#)),
            r#""12""#
        );
        assert_eq!(
            shown(decode_upload(ok(), br#"{"statusCode":"00"}"#)),
            r#"Err(Protocol { detail: "upload reply without id: {\"statusCode\":\"00\"}" })"#
        );
        assert_eq!(
            shown(decode_qr_image(
                ok(),
                br#"{"statusCode":"00","result":{"image":"AAEC"}}"#
            )),
            "[0, 1, 2]"
        );
        assert_eq!(
            shown(decode_qr_image(ok(), br#"{"image":"AAEC"}"#)),
            "[0, 1, 2]"
        );
        let pdf = b"%PDF-1.7\n%%EOF\n".to_vec();
        assert_eq!(
            shown(decode_download(ok(), pdf.clone(), "/getfile3/final_77.pdf")),
            shown::<_, ProviderError>(Ok(pdf))
        );
        assert_eq!(
            shown(decode_download(
                ok(),
                b"<html>".to_vec(),
                "/getfile3/final_77.pdf"
            )),
            r#"Err(Protocol { detail: "download of /getfile3/final_77.pdf is not a pdf" })"#
        );
        assert_eq!(
            shown(decode_download(
                status(404),
                br#"{"message":"file tidak ada"}"#.to_vec(),
                "/getfile3/final_77.pdf"
            )),
            r#"Err(Rejected { code: "404", message: "file tidak ada" })"#
        );
    }

    #[test]
    fn document_type_replies() {
        assert_eq!(
            decode_document_types(
                ok(),
                br#"{"statusCode":"00","result":[{"id":"9b1d","kode":"3","nama":"Surat Pernyataan"},{"id":"x"},{"kode":4}]}"#
            )
            .expect("types"),
            [
                DocumentType {
                    kode: "3".into(),
                    nama: "Surat Pernyataan".into()
                },
                DocumentType {
                    kode: "4".into(),
                    nama: String::new()
                },
            ]
        );
        assert_eq!(
            shown(decode_document_types(
                ok(),
                br#"{"statusCode":"00","result":[]}"#
            )),
            r#"Err(Protocol { detail: "jenisdoc reply without types" })"#
        );
    }

    #[test]
    fn quota_replies() {
        let check = |body: &[u8], expect: &str| {
            assert_eq!(
                shown(decode_quota(ok(), body)),
                expect,
                "{}",
                String::from_utf8_lossy(body)
            );
        };
        check(
            br#"{"result":{"status":"00","saldo":"120","notstamp":3}}"#,
            "Quota { remaining: 120, not_stamped: 3 }",
        );
        check(
            br#"{"statusCode":"00","result":{"saldo":5}}"#,
            "Quota { remaining: 5, not_stamped: 0 }",
        );
        check(
            br#"{"result":{"status":"01","message":"gagal"}}"#,
            r#"Err(Rejected { code: "01", message: "gagal" })"#,
        );
        check(
            br#"{"statusCode":"00","result":{}}"#,
            r#"Err(Protocol { detail: "saldopos reply without saldo: {\"result\":{},\"statusCode\":\"00\"}" })"#,
        );
    }

    #[test]
    fn serial_status_and_list_replies() {
        assert_eq!(
            decode_serial_status(
                SN,
                ok(),
                br#"{"message":"success","result":{"total":1,"data":[{"status":"STAMP","file":"J-1_x.pdf","tglupdate":"2026-11-23 10:00:00"}]}}"#
            )
            .expect("status"),
            SerialEntry {
                sn: SN.into(),
                state: SerialState::Stamped,
                file: Some("J-1_x.pdf".into()),
                issued: None,
                updated: Some("2026-11-23 10:00:00".into()),
            }
        );
        assert_eq!(
            decode_serial_status(SN, ok(), br#"{"statusCode":"00","result":{"data":[]}}"#)
                .expect("status")
                .state,
            SerialState::Unknown("NOTFOUND".into())
        );
        let page = decode_serial_page(
            ok(),
            br#"{"message":"success","result":{"total":"2","data":[{"serialnumber":"389UY343AP0GE9A40000A9","status":"NOTSTAMP","file":"J-1_x.pdf","tgl":"2026-11-23"},{"status":"STAMP"}]}}"#,
        )
        .expect("page");
        assert_eq!(page.total, 2);
        assert_eq!(
            page.items,
            [SerialEntry {
                sn: SN.into(),
                state: SerialState::NotStamped,
                file: Some("J-1_x.pdf".into()),
                issued: Some("2026-11-23".into()),
                updated: None,
            }]
        );
        assert_eq!(
            shown(decode_serial_page(ok(), br#"{"result":{"total":3}}"#)),
            r#"Err(Protocol { detail: "sn list reply says neither success nor refusal: {\"result\":{\"total\":3}}" })"#
        );
    }

    #[test]
    fn json_replies_by_status() {
        assert_eq!(
            shown(json_reply(
                status(403),
                br#"{"errorMessage":"akses ditolak"}"#
            )),
            r#"Err(AuthFailed { detail: "http 403 Forbidden: akses ditolak" })"#
        );
        assert_eq!(
            shown(json_reply(status(404), b"<html>not found</html>")),
            r#"Err(Rejected { code: "404", message: "<html>not found</html>" })"#
        );
        assert_eq!(
            shown(json_reply(ok(), br#"{"a":1}"#)),
            r#"Object {"a": Number(1)}"#
        );
    }

    #[test]
    fn jwt_expiry_is_read_without_verifying() {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"HS256","typ":"JWT"}"#),
            enc(r#"{"iss":"emeterai","iat":1700000000,"exp":1700086400}"#)
        );
        assert_eq!(
            jwt_expiry(&token),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_086_400))
        );
        assert_eq!(jwt_expiry("not-a-jwt"), None);
        assert_eq!(jwt_expiry(&format!("a.{}.c", enc(r#"{"iat":1}"#))), None);
    }

    #[test]
    fn file_names_carry_the_request_id() {
        let check = |rid: &str, name: &str, expect: &str| {
            assert_eq!(peruri_file_name(rid, name), expect);
        };
        check(
            RID,
            "surat lamaran.pdf",
            "J-0001-abcdefgh_surat_lamaran.pdf",
        );
        check(
            RID,
            "C:\\Users\\x\\CV (1).PDF",
            "J-0001-abcdefgh_CV__1_.pdf",
        );
        check(
            RID,
            "/media/usb/pernyataan",
            "J-0001-abcdefgh_pernyataan.pdf",
        );
    }

    #[test]
    fn replies_are_classified() {
        assert!(says_token_expired(
            br#"{"statusCode": "01", "message": "x"}"#
        ));
        assert!(says_token_expired(
            br#"{"statusCode": "99", "message": "Token Expired"}"#
        ));
        assert!(!says_token_expired(
            br#"{"statusCode": "00", "message": "success"}"#
        ));
        assert!(!says_token_expired(b"token expired, but not json"));
        assert!(says_quota_exhausted("93", ""));
        assert!(says_quota_exhausted("99", "Saldo tidak mencukupi"));
        assert!(!says_quota_exhausted("99", "namadoc wajib diisi"));
    }
}
