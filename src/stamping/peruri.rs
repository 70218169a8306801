//! Peruri's e-Meterai API over blocking HTTP: login, document types, serial numbers, on-prem and cloud stamping.
//!
//! The API is reconstructed from integrators' public code (see `shared/reference/emeterai.md`); field names
//! and codes follow it. Every call goes through [`PeruriProvider::send`], which owns the failure policy:
//! retries only on connection errors, timeouts, 429 and 502–504 (with full-jitter backoff and
//! `Retry-After`), a process-wide circuit breaker per upstream, the job's request id on every attempt,
//! and one re-login when the token has expired.

use super::provider::{
    Document, DocumentType, Health, IssueRequest, Issued, ListFilter, Provider, ProviderError,
    Quota, Rect, SerialEntry, SerialPage, SerialState, StampRequest, is_request_id,
    is_serial_number,
};
use super::resilience::{Breaker, BreakerState, RetryPolicy, parse_retry_after};
use crate::config::{PeruriConfig, PeruriMode};
use base64::Engine;
use reqwest::blocking::{Client, multipart};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Header carrying the job's request id on every attempt.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// The same id under the name idempotency-aware gateways look for.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Document types from a real `jenisdoc` response, used when the service cannot be asked.
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

/// The Peruri provider. Cheap to clone; clones share the token, caches and breakers.
#[derive(Clone)]
pub struct PeruriProvider {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: PeruriConfig,
    password: String,
    http: Client,
    policy: RetryPolicy,
    /// One breaker per upstream base URL.
    breakers: HashMap<String, Arc<Breaker>>,
    session: Mutex<Option<Session>>,
    doc_types: Mutex<Option<Vec<DocumentType>>>,
    /// Request ids this process has sent an SN request for, with the cloud upload made for it.
    attempts: Mutex<HashMap<String, Option<CloudHandle>>>,
    /// Cloud uploads made or handed back (`resume_upload`) per request id, not yet used for an SN
    /// request in this process.
    uploads: Mutex<HashMap<String, CloudHandle>>,
}

impl std::fmt::Debug for PeruriProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of logs.
        f.debug_struct("PeruriProvider")
            .field("user", &self.inner.cfg.user)
            .field("mode", &self.inner.cfg.mode)
            .field("backend", &self.inner.cfg.backend_url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct Session {
    token: String,
    user_id: Option<String>,
    renew_at: Instant,
}

/// Cloud mode: the uploaded document's id and the QR image name from SN generation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct CloudHandle {
    doc_id: String,
    #[serde(default)]
    qr: Option<String>,
}

enum Body {
    Empty,
    Json(Value),
    Upload { bytes: Vec<u8>, file_name: String },
}

struct Call<'a> {
    base: &'a str,
    method: Method,
    url: Url,
    body: Body,
    auth: bool,
    request_id: Option<&'a str>,
    timeout: Duration,
    /// Repeating the call after it may have reached the server does no harm.
    repeatable: bool,
    /// The JSON body field that carries the token too (the adapter's `jwToken`): filled at each
    /// attempt with the token the header carries, so a renewal reaches every place the token goes.
    token_field: Option<&'static str>,
}

/// The outcome of a signing call: the adapter's reply, or the stamped file found after a lost reply.
enum Signed {
    Reply(Value),
    Recovered(Vec<u8>),
}

struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

/// A failed call, and whether the server may have acted on it (the reply, not the request, was lost).
struct Failure {
    error: ProviderError,
    maybe_processed: bool,
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Failure {
        Failure {
            error,
            maybe_processed: false,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(|p| p.into_inner())
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

/// Seconds until a JWT's `exp`, read without verifying the signature (only used to renew in time).
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(exp))
}

/// What a reply says of its own outcome. Peruri's replies vary (reference §4–§9): most carry
/// `statusCode` "00"; the SN list and status are documented as `{"message":"success","result":{…}}`
/// without one; a refusal puts its reason in `result.err`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Success,
    Refused {
        code: String,
        message: String,
    },
    /// Neither a status code nor a word of success or refusal: the caller decides by the fields
    /// it needs.
    Unstated,
}

fn outcome(v: &Value) -> Outcome {
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

/// Whether a reply says the token is no longer accepted.
fn says_token_expired(v: &Value) -> bool {
    let code = v.get("statusCode").and_then(text).unwrap_or_default();
    let message = message_of(v).to_lowercase();
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

/// Adapter error codes and what they mean for the job.
fn adapter_error(code: &str, message: &str, sn: &str) -> ProviderError {
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

impl PeruriProvider {
    /// A provider whose breakers are shared with every other provider of the process for the same URLs.
    pub fn new(cfg: PeruriConfig) -> Result<PeruriProvider, ProviderError> {
        PeruriProvider::build(cfg, true)
    }

    /// The branch's Peruri provider when `[stamping] provider = "peruri"`, else `None`.
    pub fn from_config(
        stamping: &crate::config::Stamping,
    ) -> Result<Option<PeruriProvider>, ProviderError> {
        if stamping.provider != "peruri" {
            return Ok(None);
        }
        let cfg = stamping
            .peruri
            .clone()
            .ok_or_else(|| ProviderError::Config("bagian [stamping.peruri] belum ada.".into()))?;
        PeruriProvider::new(cfg).map(Some)
    }

    /// A provider with breakers of its own (tests and benchmarks that must not see each other's state).
    pub fn isolated(cfg: PeruriConfig) -> Result<PeruriProvider, ProviderError> {
        PeruriProvider::build(cfg, false)
    }

    fn build(cfg: PeruriConfig, shared: bool) -> Result<PeruriProvider, ProviderError> {
        let password = match (&cfg.password, &cfg.password_env) {
            (Some(p), _) => p.clone(),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                ProviderError::Config(format!(
                    "variabel lingkungan {var} (kata sandi Peruri) belum diisi."
                ))
            })?,
            (None, None) => {
                return Err(ProviderError::Config(
                    "isi password_env atau password di [stamping.peruri].".into(),
                ));
            }
        };
        if cfg.mode == PeruriMode::Onprem && cfg.shared_folder.is_none() {
            return Err(ProviderError::Config(
                "mode onprem memerlukan shared_folder di [stamping.peruri].".into(),
            ));
        }
        let http = Client::builder()
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .build()
            .map_err(|e| ProviderError::Config(format!("klien HTTP tidak dapat dibuat: {e}.")))?;
        let policy = RetryPolicy {
            retries: cfg.retries,
            base: Duration::from_millis(cfg.backoff_base_ms),
            max: Duration::from_millis(cfg.backoff_max_ms),
            retry_after_max: Duration::from_millis(cfg.retry_after_max_ms),
        };
        let cooldown = Duration::from_millis(cfg.breaker_cooldown_ms);
        let mut breakers = HashMap::new();
        for url in [
            &cfg.backend_url,
            &cfg.stampv2_url,
            &cfg.fileupload_url,
            &cfg.stampservice_url,
            &cfg.adapter_url,
        ] {
            let key = url.trim_end_matches('/').to_string();
            let breaker = if shared {
                Breaker::shared(&key, cfg.breaker_failures, cooldown)
            } else {
                breakers
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Breaker::new(cfg.breaker_failures, cooldown)))
            };
            breakers.insert(key, breaker);
        }
        Ok(PeruriProvider {
            inner: Arc::new(Inner {
                cfg,
                password,
                http,
                policy,
                breakers,
                session: Mutex::new(None),
                doc_types: Mutex::new(None),
                attempts: Mutex::new(HashMap::new()),
                uploads: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &PeruriConfig {
        &self.inner.cfg
    }

    fn url(&self, base: &str, path: &str) -> Result<Url, ProviderError> {
        let text = format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        Url::parse(&text)
            .map_err(|e| ProviderError::Config(format!("alamat {text} tidak sah ({e}).")))
    }

    fn breaker(&self, base: &str) -> Arc<Breaker> {
        let key = base.trim_end_matches('/');
        self.inner.breakers.get(key).cloned().unwrap_or_else(|| {
            Breaker::shared(key, self.inner.cfg.breaker_failures, Duration::ZERO)
        })
    }

    fn unavailable(detail: String, source: Option<reqwest::Error>) -> ProviderError {
        ProviderError::Unavailable {
            detail,
            source: source.map(|e| Box::new(e) as _),
        }
    }

    /// One call with the whole failure policy; see the module comment.
    fn send(&self, call: &Call<'_>) -> Result<Reply, Failure> {
        let breaker = self.breaker(call.base);
        let policy = self.inner.policy;
        let mut attempt = 0u32;
        let mut relogged = false;
        let mut maybe_processed = false;
        loop {
            let token = if call.auth { Some(self.token()?) } else { None };
            // Tokens are fetched before the permit, so a probe slot is never held across a login.
            breaker.acquire().map_err(|r| {
                Failure::from(Self::unavailable(
                    format!(
                        "circuit open for {}, next probe in {} ms",
                        call.base,
                        r.retry_in.as_millis()
                    ),
                    None,
                ))
            })?;
            let (error, pause, processed) = match self.attempt(call, token.as_deref()) {
                Err(e) => {
                    breaker.failure();
                    let processed = !e.is_connect();
                    let detail = format!("{} {}: {e}", call.method, call.url.path());
                    let error = if e.is_timeout() {
                        ProviderError::Timeout {
                            detail,
                            source: Some(Box::new(e)),
                        }
                    } else {
                        Self::unavailable(detail, Some(e))
                    };
                    (error, None, processed)
                }
                Ok((reply, retry_after)) => match reply.status.as_u16() {
                    401 if call.auth && !relogged => {
                        breaker.success();
                        self.forget_token();
                        relogged = true;
                        continue;
                    }
                    429 | 502..=504 => {
                        breaker.failure();
                        if let Some(after) = retry_after
                            && after > policy.retry_after_max
                        {
                            return Err(Failure {
                                error: ProviderError::RetryLater { after },
                                maybe_processed,
                            });
                        }
                        // 429 and 503 say the request was turned away; a gateway's 502/504 may hide
                        // a request the service did carry out.
                        let processed = matches!(reply.status.as_u16(), 502 | 504);
                        let detail =
                            format!("{} {}: http {}", call.method, call.url.path(), reply.status);
                        let error = if reply.status == StatusCode::TOO_MANY_REQUESTS {
                            ProviderError::RetryLater {
                                after: retry_after.unwrap_or(policy.max),
                            }
                        } else {
                            Self::unavailable(detail, None)
                        };
                        (error, retry_after, processed)
                    }
                    500..=599 => {
                        breaker.failure();
                        return Err(Failure {
                            error: Self::unavailable(
                                format!(
                                    "{} {}: http {}",
                                    call.method,
                                    call.url.path(),
                                    reply.status
                                ),
                                None,
                            ),
                            maybe_processed: true,
                        });
                    }
                    _ => {
                        breaker.success();
                        if call.auth
                            && !relogged
                            && serde_json::from_slice::<Value>(&reply.body)
                                .is_ok_and(|v| says_token_expired(&v))
                        {
                            self.forget_token();
                            relogged = true;
                            continue;
                        }
                        return Ok(reply);
                    }
                },
            };
            maybe_processed |= processed;
            let may_repeat = call.repeatable || !processed;
            if attempt >= policy.retries || !may_repeat {
                return Err(Failure {
                    error,
                    maybe_processed,
                });
            }
            if let BreakerState::Open { retry_in } = breaker.state() {
                return Err(Failure {
                    error: Self::unavailable(
                        format!(
                            "circuit opened after {}; next probe in {} ms",
                            error.detail(),
                            retry_in.as_millis()
                        ),
                        None,
                    ),
                    maybe_processed,
                });
            }
            std::thread::sleep(pause.unwrap_or_else(|| policy.backoff(attempt)));
            attempt += 1;
        }
    }

    /// One HTTP exchange: the reply with its `Retry-After`, or the transport error.
    fn attempt(
        &self,
        call: &Call<'_>,
        token: Option<&str>,
    ) -> Result<(Reply, Option<Duration>), reqwest::Error> {
        let mut rb = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(call.timeout);
        if let Some(token) = token {
            rb = rb.bearer_auth(token);
        }
        if let Some(id) = call.request_id {
            rb = rb
                .header(REQUEST_ID_HEADER, id)
                .header(IDEMPOTENCY_HEADER, id);
        }
        rb = match &call.body {
            Body::Empty => rb,
            Body::Json(v) => match (call.token_field, token) {
                (Some(field), Some(token)) => {
                    let mut v = v.clone();
                    v[field] = json!(token);
                    rb.json(&v)
                }
                _ => rb.json(v),
            },
            Body::Upload { bytes, file_name } => {
                let part = multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.clone())
                    .mime_str("application/pdf")?;
                let form = multipart::Form::new()
                    .text("token", token.unwrap_or_default().to_string())
                    .part("file", part);
                rb.multipart(form)
            }
        };
        let resp = rb.send()?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = resp.bytes()?.to_vec();
        Ok((Reply { status, body }, retry_after))
    }

    fn forget_token(&self) {
        *lock(&self.inner.session) = None;
    }

    /// The cached token, logging in when there is none or it is about to expire. The lock is held
    /// across the login so that many threads waiting for a token cause one login.
    fn token(&self) -> Result<String, ProviderError> {
        self.session().map(|s| s.token)
    }

    fn session(&self) -> Result<Session, ProviderError> {
        let mut session = lock(&self.inner.session);
        if let Some(s) = session.as_ref()
            && Instant::now() < s.renew_at
        {
            return Ok(s.clone());
        }
        let fresh = self.login()?;
        *session = Some(fresh.clone());
        Ok(fresh)
    }

    fn login(&self) -> Result<Session, ProviderError> {
        let cfg = &self.inner.cfg;
        let call = Call {
            base: &cfg.backend_url,
            method: Method::POST,
            url: self.url(&cfg.backend_url, "api/users/login")?,
            body: Body::Json(json!({"user": cfg.user, "password": self.inner.password})),
            auth: false,
            request_id: None,
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: true,
            token_field: None,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        let v: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let has_token = v.get("token").is_some() || v.pointer("/result/data/login/token").is_some();
        match outcome(&v) {
            _ if !reply.status.is_success() => {
                return Err(ProviderError::AuthFailed {
                    detail: format!("http {}: {}", reply.status, message_of(&v)),
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
                detail: format!("login reply is not json (http {})", reply.status),
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
        let user_id = v.pointer("/result/data/login/user/id").and_then(text);
        let lifetime = jwt_expiry(&token)
            .and_then(|exp| exp.duration_since(SystemTime::now()).ok())
            .unwrap_or(Duration::from_secs(cfg.token_lifetime_s));
        // Renew a little early so a call does not start with a token that expires in flight.
        let margin = (lifetime / 10).min(Duration::from_secs(300));
        Ok(Session {
            token,
            user_id,
            renew_at: Instant::now() + lifetime - margin,
        })
    }

    /// A call's JSON body when the HTTP status is a success; otherwise the refusal.
    fn json(reply: &Reply) -> Result<Value, ProviderError> {
        let v: Result<Value, _> = serde_json::from_slice(&reply.body);
        if reply.status == StatusCode::UNAUTHORIZED || reply.status == StatusCode::FORBIDDEN {
            return Err(ProviderError::AuthFailed {
                detail: format!(
                    "http {}: {}",
                    reply.status,
                    v.as_ref().map(message_of).unwrap_or_default()
                ),
            });
        }
        if !reply.status.is_success() {
            return Err(ProviderError::Rejected {
                code: reply.status.as_u16().to_string(),
                message: v.as_ref().map(message_of).unwrap_or_else(|_| {
                    String::from_utf8_lossy(&reply.body)
                        .chars()
                        .take(200)
                        .collect()
                }),
            });
        }
        v.map_err(|e| ProviderError::Protocol {
            detail: format!("reply is not json: {e}"),
        })
    }

    fn get(&self, base: &str, url: Url) -> Result<Value, ProviderError> {
        let call = Call {
            base,
            method: Method::GET,
            url,
            body: Body::Empty,
            auth: true,
            request_id: None,
            timeout: Duration::from_millis(self.inner.cfg.timeout_ms),
            repeatable: true,
            token_field: None,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        Self::json(&reply)
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

    /// Asks for a new SN: one call, retried only where the request cannot have been carried out.
    fn request_serial(
        &self,
        req: &IssueRequest,
        cloud: Option<&CloudHandle>,
    ) -> Result<Issued, Failure> {
        let cfg = &self.inner.cfg;
        let mut body = json!({
            "isUpload": cloud.is_some(),
            "namadoc": req.doc_type,
            "namafile": peruri_file_name(&req.request_id, &req.file_name),
            "nilaidoc": req.value.to_string(),
            "snOnly": false,
            "nodoc": req.request_id,
            "tgldoc": format!("{:04}-{:02}-{:02}", req.doc_date.year(), u8::from(req.doc_date.month()), req.doc_date.day()),
        });
        if let Some(c) = cloud {
            body["idfile"] = json!(c.doc_id);
        }
        let call = Call {
            base: &cfg.stampv2_url,
            method: Method::POST,
            url: self.url(&cfg.stampv2_url, "chanel/stampv2")?,
            body: Body::Json(body),
            auth: true,
            request_id: Some(&req.request_id),
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: false,
            token_field: None,
        };
        let reply = self.send(&call)?;
        let v = match Self::json(&reply) {
            Ok(v) => v,
            // An unreadable answer to an SN request may hide an SN that was issued: look it up
            // before asking again.
            Err(e @ ProviderError::Protocol { .. }) => {
                return Err(Failure {
                    error: e,
                    maybe_processed: true,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let has_sn = v
            .pointer("/result/sn")
            .and_then(text)
            .is_some_and(|sn| is_serial_number(&sn));
        match Self::check_reply(&v, "sn", has_sn) {
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
                return Err(Failure {
                    error: e,
                    maybe_processed: true,
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
        let stamp_image = match v.pointer("/result/image").and_then(text) {
            Some(b64) if !b64.is_empty() => Some(decode_image(&b64)?),
            _ => None,
        };
        let handle = cloud.map(|c| CloudHandle {
            doc_id: c.doc_id.clone(),
            qr: v.pointer("/result/filenameQR").and_then(text),
        });
        Ok(Issued {
            sn,
            stamp_image,
            handle: handle.map(|h| serde_json::to_string(&h).unwrap_or_default()),
            reconciled: false,
        })
    }

    /// Looks for an SN already issued for this request id in the SN list (file name contains the id).
    pub fn find_issued(&self, request_id: &str) -> Result<Option<SerialEntry>, ProviderError> {
        let cfg = &self.inner.cfg;
        for state in [SerialState::NotStamped, SerialState::Stamped] {
            let mut start = 0u64;
            for _ in 0..cfg.reconcile_pages.max(1) {
                let page = self.list_serials(&ListFilter {
                    state: Some(state.clone()),
                    start,
                    length: cfg.list_page_size.max(1),
                })?;
                if let Some(found) = page
                    .items
                    .iter()
                    .find(|e| e.file.as_deref().is_some_and(|f| f.contains(request_id)))
                {
                    return Ok(Some(found.clone()));
                }
                start += page.items.len() as u64;
                if page.items.is_empty() || start >= page.total {
                    break;
                }
            }
        }
        Ok(None)
    }

    /// Cloud mode: uploads the request's document under its request id; the handle the SN request
    /// and the stamp refer to.
    fn upload_for(&self, req: &IssueRequest) -> Result<CloudHandle, ProviderError> {
        let doc = req.document.as_ref().ok_or_else(|| {
            ProviderError::Config("mode cloud memerlukan isi dokumen saat meminta SN.".into())
        })?;
        let doc_id = self.upload(
            doc,
            &peruri_file_name(&req.request_id, &req.file_name),
            &req.request_id,
        )?;
        Ok(CloudHandle { doc_id, qr: None })
    }

    /// Cloud mode: uploads the document (`uploaddoc2`, multipart `file` plus form field `token`).
    fn upload(
        &self,
        bytes: &[u8],
        file_name: &str,
        request_id: &str,
    ) -> Result<String, ProviderError> {
        let cfg = &self.inner.cfg;
        let call = Call {
            base: &cfg.fileupload_url,
            method: Method::POST,
            url: self.url(&cfg.fileupload_url, "uploaddoc2")?,
            body: Body::Upload {
                bytes: bytes.to_vec(),
                file_name: file_name.to_string(),
            },
            auth: true,
            request_id: Some(request_id),
            timeout: Duration::from_millis(cfg.stamp_timeout_ms),
            // A repeated upload leaves an unused file at Peruri, nothing worse.
            repeatable: true,
            token_field: None,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        let v = Self::json(&reply)?;
        let has_id = v.get("id").or_else(|| v.pointer("/result/id")).is_some();
        Self::check_reply(&v, "upload", has_id)?;
        v.get("id")
            .or_else(|| v.pointer("/result/id"))
            .and_then(text)
            .ok_or_else(|| ProviderError::Protocol {
                detail: format!("upload reply without id: {v}"),
            })
    }

    /// The stamp image of an SN whose reply (with its image) was lost: `snqr/qrimage`. The reply shape
    /// (`result.image`, base64) is assumed to match SN generation.
    fn fetch_stamp_image(&self, sn: &str) -> Result<Vec<u8>, ProviderError> {
        let cfg = &self.inner.cfg;
        let call = Call {
            base: &cfg.stampv2_url,
            method: Method::POST,
            url: self.url(&cfg.stampv2_url, "snqr/qrimage")?,
            body: Body::Json(json!({"serialnumber": sn, "onprem": true})),
            auth: true,
            request_id: None,
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: true,
            token_field: None,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        let v = Self::json(&reply)?;
        let has_image = v
            .pointer("/result/image")
            .or_else(|| v.get("image"))
            .is_some();
        Self::check_reply(&v, "qr image", has_image)?;
        let b64 = v
            .pointer("/result/image")
            .or_else(|| v.get("image"))
            .and_then(text)
            .ok_or_else(|| ProviderError::Protocol {
                detail: "qr image reply without image".into(),
            })?;
        decode_image(&b64)
    }

    /// The adapter's signing request body: Peruri's field names, box in PDF points.
    ///
    /// Peruri's sample sends `visLLY` above `visURY`; the adapter hands the four numbers to iText,
    /// which normalises the rectangle, so either order stamps the same box. loket sends the
    /// normalised PDF rectangle (lower-left below upper-right), the unambiguous form.
    fn signing_body(
        &self,
        req: &StampRequest,
        token: &str,
        src: &str,
        dest: &str,
        spesimen: Option<&str>,
    ) -> Value {
        let r: Rect = req.rect.normalized();
        let round = |x: f32| (f64::from(x) * 100.0).round() / 100.0;
        let mut body = json!({
            "profileName": self.inner.cfg.profile_name,
            "src": src,
            "dest": dest,
            "reason": req.reason,
            "location": req.location,
            "certificatelevel": "NOT_CERTIFIED",
            "docpass": req.password.clone().unwrap_or_default(),
            "jwToken": token,
            "refToken": req.sn,
            "visSignaturePage": req.page.max(1),
            "visLLX": round(r.llx),
            "visLLY": round(r.lly),
            "visURX": round(r.urx),
            "visURY": round(r.ury),
            "retryFlag": "0",
        });
        if let Some(s) = spesimen {
            body["spesimenPath"] = json!(s);
        }
        body
    }

    /// Sends a signing request. 97 is retried once with `retryFlag:"1"`; 95 (the remote signer
    /// refused, typically an expired token) once after a fresh login, the new token going in the
    /// header and in `jwToken` alike. `done` is asked, after a lost reply or a 96 (the SN is
    /// already used), whether the signing happened anyway; it returns the stamped bytes if so.
    fn sign(
        &self,
        base: &str,
        path: &str,
        req: &StampRequest,
        mut body: Value,
        done: &dyn Fn() -> Option<Vec<u8>>,
    ) -> Result<Signed, ProviderError> {
        let cfg = &self.inner.cfg;
        let mut retried_97 = false;
        let mut renewed_95 = false;
        let mut lost = 0u32;
        loop {
            let call = Call {
                base,
                method: Method::POST,
                url: self.url(base, path)?,
                body: Body::Json(body.clone()),
                auth: true,
                request_id: Some(&req.request_id),
                timeout: Duration::from_millis(cfg.stamp_timeout_ms),
                repeatable: false,
                token_field: Some("jwToken"),
            };
            let reply = match self.send(&call) {
                Ok(r) => r,
                Err(f) if f.maybe_processed && lost < cfg.retries => {
                    if let Some(bytes) = done() {
                        return Ok(Signed::Recovered(bytes));
                    }
                    lost += 1;
                    continue;
                }
                Err(f) => return Err(f.error),
            };
            let v = Self::json(&reply)?;
            let status = v.get("status").and_then(text).unwrap_or_default();
            let code = v
                .get("errorCode")
                .and_then(text)
                .unwrap_or_default()
                .trim()
                .to_string();
            if status.eq_ignore_ascii_case("true") && (code == "00" || code.is_empty()) {
                return Ok(Signed::Reply(v));
            }
            match code.as_str() {
                "97" if !retried_97 => {
                    retried_97 = true;
                    body["retryFlag"] = json!("1");
                    continue;
                }
                "95" if !renewed_95 => {
                    renewed_95 = true;
                    self.forget_token();
                    continue;
                }
                "96" => {
                    // The SN has been used: by an earlier signing whose reply or output this
                    // process lost? Its output is the customer's stamp.
                    if let Some(bytes) = done() {
                        return Ok(Signed::Recovered(bytes));
                    }
                }
                _ => {}
            }
            return Err(adapter_error(&code, &message_of(&v), &req.sn));
        }
    }

    fn stamp_onprem(&self, req: &StampRequest) -> Result<Vec<u8>, ProviderError> {
        let cfg = &self.inner.cfg;
        let shared = cfg
            .shared_folder
            .clone()
            .ok_or_else(|| ProviderError::Config("shared_folder belum diisi.".into()))?;
        let prefix = cfg.adapter_folder.trim_end_matches('/');
        let name = format!("{}.pdf", req.sn);
        let unsigned = shared.join("UNSIGNED").join(&name);
        let signed = shared.join("SIGNED").join(&name);
        let image = shared.join("STAMP").join(format!("{}.png", req.sn));
        let local = |what, path: &Path, source| ProviderError::Local {
            what,
            path: path.to_path_buf(),
            source,
        };
        for dir in ["UNSIGNED", "SIGNED", "STAMP"] {
            let d = shared.join(dir);
            std::fs::create_dir_all(&d).map_err(|e| local("cannot create", &d, e))?;
        }
        let stamp_image = match &req.stamp_image {
            Some(img) => img.clone(),
            None => self.fetch_stamp_image(&req.sn)?,
        };
        // The adapter may have finished this SN for an earlier run that was cut off (a counter
        // killed while the adapter signed): that output is the customer's stamp, not a stale file.
        // The stamping service checks it and calls `release` once it is stored or refused.
        let finished = || std::fs::read(&signed).ok().filter(|b| is_complete_pdf(b));
        if let Some(bytes) = finished() {
            return Ok(bytes);
        }
        match &req.document {
            Document::Bytes(b) => std::fs::write(&unsigned, b),
            Document::Path(p) => std::fs::copy(p, &unsigned).map(|_| ()),
        }
        .map_err(|e| local("cannot write", &unsigned, e))?;
        std::fs::write(&image, &stamp_image).map_err(|e| local("cannot write", &image, e))?;
        let token = self.token()?;
        let body = self.signing_body(
            req,
            &token,
            &format!("{prefix}/UNSIGNED/{name}"),
            &format!("{prefix}/SIGNED/{name}"),
            Some(&format!("{prefix}/STAMP/{}.png", req.sn)),
        );
        let outcome = self.sign(
            &cfg.adapter_url,
            "adapter/pdfsigning/rest/docSigningZ",
            req,
            body,
            &finished,
        );
        // The output stays in the shared folder until the stamping service has stored it
        // (`release`): a crash before that finds it again instead of signing the SN twice.
        outcome.and_then(|signed_reply| match signed_reply {
            Signed::Recovered(bytes) => Ok(bytes),
            Signed::Reply(_) => {
                std::fs::read(&signed).map_err(|e| local("cannot read signed", &signed, e))
            }
        })
    }

    /// The shared folder's files for an SN (input, stamp image, output), removed once the
    /// stamping service has stored or refused the output: the folder is only a mailbox.
    fn clear_mailbox(&self, sn: &str) {
        let Some(shared) = self.inner.cfg.shared_folder.as_ref() else {
            return;
        };
        let name = format!("{sn}.pdf");
        for p in [
            shared.join("UNSIGNED").join(&name),
            shared.join("SIGNED").join(&name),
            shared.join("STAMP").join(format!("{sn}.png")),
        ] {
            let _ = std::fs::remove_file(p);
        }
    }

    fn stamp_cloud(&self, req: &StampRequest) -> Result<Vec<u8>, ProviderError> {
        let cfg = &self.inner.cfg;
        let handle = match req
            .handle
            .as_deref()
            .and_then(|h| serde_json::from_str::<CloudHandle>(h).ok())
        {
            Some(h) => h,
            None => {
                // An SN recovered from the list after a restart: the upload id is not known any more,
                // so the document is uploaded again.
                let bytes = read_document(&req.document)?;
                let doc_id =
                    self.upload(&bytes, &format!("{}.pdf", req.request_id), &req.request_id)?;
                CloudHandle { doc_id, qr: None }
            }
        };
        let token = self.token()?;
        let id = &handle.doc_id;
        let spesimen = handle.qr.as_ref().map(|q| format!("/sharefolder/{q}"));
        let mut body = self.signing_body(
            req,
            &token,
            &format!("/sharefolder/doc_{id}.pdf"),
            &format!("/sharefolder/final_{id}.pdf"),
            spesimen.as_deref(),
        );
        body["docId"] = json!(id);
        body["onPrem"] = json!(false);
        let final_url = self.url(&cfg.fileupload_url, &format!("getfile3/final_{id}.pdf"))?;
        let done = || {
            self.serial_status(&req.sn)
                .ok()
                .filter(|s| s.state == SerialState::Stamped)
                .and_then(|_| self.download(&cfg.fileupload_url, final_url.clone()).ok())
        };
        let v = match self.sign(
            &cfg.stampservice_url,
            "keystamp/adapter/docSigningZ",
            req,
            body,
            &done,
        )? {
            Signed::Recovered(bytes) => return Ok(bytes),
            Signed::Reply(v) => v,
        };
        let url = match v.get("urlFile").and_then(text).filter(|u| !u.is_empty()) {
            Some(u) => Url::parse(&u).map_err(|e| ProviderError::Protocol {
                detail: format!("urlFile {u:?}: {e}"),
            })?,
            None => final_url,
        };
        self.download(&cfg.fileupload_url, url)
    }

    fn download(&self, base: &str, url: Url) -> Result<Vec<u8>, ProviderError> {
        let call = Call {
            base,
            method: Method::GET,
            url,
            body: Body::Empty,
            auth: true,
            request_id: None,
            timeout: Duration::from_millis(self.inner.cfg.stamp_timeout_ms),
            repeatable: true,
            token_field: None,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        if !reply.status.is_success() {
            return Self::json(&reply).map(|_| Vec::new());
        }
        if !reply.body.starts_with(b"%PDF") {
            return Err(ProviderError::Protocol {
                detail: format!("download of {} is not a pdf", call.url.path()),
            });
        }
        Ok(reply.body)
    }
}

/// Whether a file read from the shared folder is a whole PDF: its header, and an end-of-file
/// marker near its end (an adapter writing straight into `dest` leaves a cut-off file while it
/// works).
fn is_complete_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF") && memchr::memmem::rfind(tail, b"%%EOF").is_some()
}

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

fn read_document(doc: &Document) -> Result<Vec<u8>, ProviderError> {
    match doc {
        Document::Bytes(b) => Ok(b.clone()),
        Document::Path(p) => std::fs::read(p).map_err(|source| ProviderError::Local {
            what: "cannot read",
            path: PathBuf::from(p),
            source,
        }),
    }
}

impl Provider for PeruriProvider {
    fn document_types(&self) -> Result<Vec<DocumentType>, ProviderError> {
        if let Some(types) = lock(&self.inner.doc_types).clone() {
            return Ok(types);
        }
        let cfg = &self.inner.cfg;
        let fetched = self
            .url(&cfg.stampv2_url, "jenisdoc")
            .and_then(|url| self.get(&cfg.stampv2_url, url))
            .and_then(|v| {
                Self::check_reply(&v, "jenisdoc", v.get("result").is_some_and(Value::is_array))?;
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
            });
        match fetched {
            Ok(list) => {
                *lock(&self.inner.doc_types) = Some(list.clone());
                Ok(list)
            }
            // The list changes rarely; the built-in copy keeps the counter working meanwhile.
            Err(_) => Ok(fallback_document_types()),
        }
    }

    /// One SN per request id. The request id is remembered (in this process) before the call; when a
    /// previous attempt may have reached Peruri — the caller says so, this process tried it, or an
    /// attempt just timed out / lost its reply — the SN list is searched for a file name containing the
    /// request id before a new SN is asked for. Only if it is not there is the request sent again.
    fn issue_serial_once(&self, req: &IssueRequest) -> Result<Issued, ProviderError> {
        if !is_request_id(&req.request_id) {
            return Err(ProviderError::Config(format!(
                "request id {:?} harus 12–64 huruf, angka, '-' atau '_'.",
                req.request_id
            )));
        }
        let cloud_mode = self.inner.cfg.mode == PeruriMode::Cloud;
        let remembered = lock(&self.inner.attempts).get(&req.request_id).cloned();
        let mut look_first = req.attempted_before || remembered.is_some();
        let mut cloud = remembered
            .flatten()
            .or_else(|| lock(&self.inner.uploads).get(&req.request_id).cloned());
        let mut last = None;
        for _ in 0..=self.inner.cfg.retries {
            if look_first && let Some(entry) = self.find_issued(&req.request_id)? {
                return Ok(Issued {
                    sn: entry.sn,
                    stamp_image: None,
                    handle: cloud
                        .as_ref()
                        .map(|h| serde_json::to_string(h).unwrap_or_default()),
                    reconciled: true,
                });
            }
            if cloud_mode && cloud.is_none() {
                cloud = Some(self.upload_for(req)?);
            }
            lock(&self.inner.attempts).insert(req.request_id.clone(), cloud.clone());
            lock(&self.inner.uploads).remove(&req.request_id);
            match self.request_serial(req, cloud.as_ref()) {
                Ok(issued) => return Ok(issued),
                Err(f) if f.maybe_processed => {
                    look_first = true;
                    last = Some(f.error);
                }
                Err(f) => return Err(f.error),
            }
        }
        Err(last.unwrap_or_else(|| Self::unavailable("sn request failed".into(), None)))
    }

    fn upload_document(&self, req: &IssueRequest) -> Result<Option<String>, ProviderError> {
        if self.inner.cfg.mode != PeruriMode::Cloud {
            return Ok(None);
        }
        if !is_request_id(&req.request_id) {
            return Err(ProviderError::Config(format!(
                "request id {:?} harus 12–64 huruf, angka, '-' atau '_'.",
                req.request_id
            )));
        }
        let known = lock(&self.inner.uploads).get(&req.request_id).cloned();
        let handle = match known {
            Some(h) => h,
            None => {
                let h = self.upload_for(req)?;
                lock(&self.inner.uploads).insert(req.request_id.clone(), h.clone());
                h
            }
        };
        Ok(Some(serde_json::to_string(&handle).unwrap_or_default()))
    }

    fn resume_upload(&self, request_id: &str, handle: &str) {
        if let Ok(h) = serde_json::from_str::<CloudHandle>(handle) {
            lock(&self.inner.uploads).insert(request_id.to_string(), h);
        }
    }

    fn stamp(&self, req: &StampRequest) -> Result<Vec<u8>, ProviderError> {
        if !is_serial_number(&req.sn) {
            return Err(ProviderError::Config(format!(
                "nomor seri {:?} tidak sah.",
                req.sn
            )));
        }
        match self.inner.cfg.mode {
            PeruriMode::Onprem => self.stamp_onprem(req),
            PeruriMode::Cloud => self.stamp_cloud(req),
        }
    }

    fn release(&self, sn: &str) {
        if self.inner.cfg.mode == PeruriMode::Onprem {
            self.clear_mailbox(sn);
        }
    }

    fn quota(&self) -> Result<Quota, ProviderError> {
        let cfg = &self.inner.cfg;
        let v = self.get(
            &cfg.backend_url,
            self.url(&cfg.backend_url, "function/saldopos")?,
        )?;
        // saldopos states its outcome inside `result` (`result.status`), sometimes beside a
        // top-level `statusCode`; either "00" is success.
        let inner = v.pointer("/result/status").and_then(text);
        let inner_ok = inner.as_deref().is_some_and(|c| c.trim() == "00");
        if !inner_ok {
            let has_saldo = v.pointer("/result/saldo").is_some();
            match (inner, Self::check_reply(&v, "saldopos", has_saldo)) {
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

    fn serial_status(&self, sn: &str) -> Result<SerialEntry, ProviderError> {
        let cfg = &self.inner.cfg;
        let mut url = self.url(&cfg.backend_url, "api/chanel/stamp/ext")?;
        url.query_pairs_mut().append_pair("filter", sn);
        let v = self.get(&cfg.backend_url, url)?;
        let has_data = v.pointer("/result/data").is_some_and(Value::is_array);
        Self::check_reply(&v, "sn status", has_data)?;
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
            None => SerialEntry {
                sn: sn.to_string(),
                state: SerialState::Unknown("tidak ditemukan".into()),
                file: None,
                issued: None,
                updated: None,
            },
        })
    }

    fn list_serials(&self, filter: &ListFilter) -> Result<SerialPage, ProviderError> {
        let cfg = &self.inner.cfg;
        let user_id = self
            .session()?
            .user_id
            .ok_or_else(|| ProviderError::Protocol {
                detail: "login reply without user id; cannot list serial numbers".into(),
            })?;
        let mut url = self.url(
            &cfg.stampv2_url,
            &format!("chanel/sale/stamp/ext/{user_id}"),
        )?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("start", &filter.start.to_string());
            q.append_pair("length", &filter.length.to_string());
            if let Some(s) = &filter.state {
                q.append_pair("status", s.as_api());
            }
            q.append_pair("notEncrypt", "true");
        }
        let v = self.get(&cfg.stampv2_url, url)?;
        let has_data = v.pointer("/result/data").is_some_and(Value::is_array);
        Self::check_reply(&v, "sn list", has_data)?;
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

    fn health(&self) -> Health {
        let mut health = Health::Up;
        for b in self.inner.breakers.values() {
            match b.state() {
                BreakerState::Open { retry_in } => return Health::Down { retry_in },
                BreakerState::HalfOpen => health = Health::Probing,
                BreakerState::Closed { .. } => {}
            }
        }
        health
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "J-0001-abcdefgh",
            "surat lamaran.pdf",
            "J-0001-abcdefgh_surat_lamaran.pdf",
        );
        check(
            "J-0001-abcdefgh",
            "C:\\Users\\x\\CV (1).PDF",
            "J-0001-abcdefgh_CV__1_.pdf",
        );
        check(
            "J-0001-abcdefgh",
            "/media/usb/pernyataan",
            "J-0001-abcdefgh_pernyataan.pdf",
        );
    }

    #[test]
    fn replies_are_classified() {
        assert!(says_token_expired(
            &json!({"statusCode": "01", "message": "x"})
        ));
        assert!(says_token_expired(
            &json!({"statusCode": "99", "message": "Token Expired"})
        ));
        assert!(!says_token_expired(
            &json!({"statusCode": "00", "message": "success"})
        ));
        assert!(says_quota_exhausted("93", ""));
        assert!(says_quota_exhausted("99", "Saldo tidak mencukupi"));
        assert!(!says_quota_exhausted("99", "namadoc wajib diisi"));
        let sn = "389UY343AP0GE9A40000A9";
        let check = |code: &str, expect: &str| {
            let e = adapter_error(code, "m", sn);
            let got = match e {
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
}
