//! Peruri's e-Meterai API over blocking HTTP: login, document types, serial numbers, on-prem and cloud stamping.
//!
//! What goes over the wire (request bodies, reply shapes, what a reply means) is [`wire`], pure and
//! tested on bytes; this module moves those bytes and decides what to do next. Every call goes through
//! [`PeruriProvider::send`], which owns the failure policy: retries only on connection errors,
//! timeouts, 429 and 502–504 (with full-jitter backoff and `Retry-After`), a process-wide circuit
//! breaker per upstream, the job's request id on every attempt, and one re-login when the token has
//! expired.

pub mod wire;

use super::provider::{
    Document, DocumentType, Health, IssueRequest, Issued, ListFilter, Provider, ProviderError,
    ProviderSetup, Quota, SerialEntry, SerialPage, SerialState, StampRequest, is_request_id,
    is_serial_number,
};
use super::resilience::{Breaker, BreakerState, RetryPolicy, parse_retry_after};
use crate::config::{PeruriConfig, PeruriMode};
use reqwest::blocking::{Client, multipart};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode, Url};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
pub use wire::{
    IDEMPOTENCY_HEADER, REQUEST_ID_HEADER, fallback_document_types, jwt_expiry, peruri_file_name,
};
use wire::{LoginReply, SerialReply, SigningReply, SigningRequest};

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
    /// A JSON body as [`wire`] encoded it.
    Json(Vec<u8>),
    /// A signing request: encoded at each attempt with the token the header carries, so a renewal
    /// reaches every place the token goes (the adapter's `jwToken`).
    Signing(Box<SigningRequest>),
    Upload {
        bytes: Vec<u8>,
        file_name: String,
    },
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
}

/// The outcome of a signing call: the adapter's reply, or the stamped file found after a lost reply.
enum Signed {
    /// Cloud mode names the output's address.
    Reply {
        url_file: Option<String>,
    },
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
            .ok_or_else(|| ProviderError::Config(ProviderSetup::PeruriSectionMissing))?;
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
                ProviderError::Config(ProviderSetup::PasswordEnvUnset { var: var.clone() })
            })?,
            (None, None) => {
                return Err(ProviderError::Config(ProviderSetup::PasswordMissing));
            }
        };
        if cfg.mode == PeruriMode::Onprem && cfg.shared_folder.is_none() {
            return Err(ProviderError::Config(ProviderSetup::OnpremNeedsFolder));
        }
        let http = Client::builder()
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .build()
            .map_err(|e| ProviderError::Config(ProviderSetup::HttpClient(e.to_string())))?;
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
        Url::parse(&text).map_err(|e| {
            ProviderError::Config(ProviderSetup::BadUrl {
                text: text.clone(),
                why: e.to_string(),
            })
        })
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
                        if call.auth && !relogged && wire::says_token_expired(&reply.body) {
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
        let json = |rb: reqwest::blocking::RequestBuilder, bytes: Vec<u8>| {
            rb.header(CONTENT_TYPE, "application/json").body(bytes)
        };
        rb = match &call.body {
            Body::Empty => rb,
            Body::Json(bytes) => json(rb, bytes.clone()),
            Body::Signing(req) => {
                let mut req = SigningRequest::clone(req);
                if let Some(token) = token {
                    req.token = token.to_string();
                }
                json(rb, req.encode())
            }
            Body::Upload { bytes, file_name } => {
                let part = multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.clone())
                    .mime_str("application/pdf")?;
                let form = multipart::Form::new()
                    .text(
                        wire::UPLOAD_TOKEN_FIELD,
                        token.unwrap_or_default().to_string(),
                    )
                    .part(wire::UPLOAD_FILE_PART, part);
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
            url: self.url(&cfg.backend_url, wire::LOGIN_PATH)?,
            body: Body::Json(
                wire::Login {
                    user: &cfg.user,
                    password: &self.inner.password,
                }
                .encode(),
            ),
            auth: false,
            request_id: None,
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: true,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        let LoginReply { token, user_id } = LoginReply::decode(reply.status, &reply.body)?;
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

    /// A GET with the token; the reply for [`wire`] to read.
    fn get(&self, base: &str, url: Url) -> Result<Reply, ProviderError> {
        let call = Call {
            base,
            method: Method::GET,
            url,
            body: Body::Empty,
            auth: true,
            request_id: None,
            timeout: Duration::from_millis(self.inner.cfg.timeout_ms),
            repeatable: true,
        };
        self.send(&call).map_err(|f| f.error)
    }

    /// Asks for a new SN: one call, retried only where the request cannot have been carried out.
    fn request_serial(
        &self,
        req: &IssueRequest,
        cloud: Option<&CloudHandle>,
    ) -> Result<Issued, Failure> {
        let cfg = &self.inner.cfg;
        let body = wire::SerialRequest::new(req, cloud.map(|c| c.doc_id.as_str())).encode();
        let call = Call {
            base: &cfg.stampv2_url,
            method: Method::POST,
            url: self.url(&cfg.stampv2_url, wire::SERIAL_PATH)?,
            body: Body::Json(body),
            auth: true,
            request_id: Some(&req.request_id),
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: false,
        };
        let reply = self.send(&call)?;
        let SerialReply { sn, image, qr } = SerialReply::decode(reply.status, &reply.body)
            .map_err(|f| Failure {
                error: f.error,
                maybe_processed: f.maybe_issued,
            })?;
        let handle = cloud.map(|c| CloudHandle {
            doc_id: c.doc_id.clone(),
            qr,
        });
        Ok(Issued {
            sn,
            stamp_image: image,
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
        let doc = req
            .document
            .as_ref()
            .ok_or_else(|| ProviderError::Config(ProviderSetup::CloudNeedsDocument))?;
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
            url: self.url(&cfg.fileupload_url, wire::UPLOAD_PATH)?,
            body: Body::Upload {
                bytes: bytes.to_vec(),
                file_name: file_name.to_string(),
            },
            auth: true,
            request_id: Some(request_id),
            timeout: Duration::from_millis(cfg.stamp_timeout_ms),
            // A repeated upload leaves an unused file at Peruri, nothing worse.
            repeatable: true,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        wire::decode_upload(reply.status, &reply.body)
    }

    /// The stamp image of an SN whose reply (with its image) was lost: `snqr/qrimage`. The reply shape
    /// (`result.image`, base64) is assumed to match SN generation.
    fn fetch_stamp_image(&self, sn: &str) -> Result<Vec<u8>, ProviderError> {
        let cfg = &self.inner.cfg;
        let call = Call {
            base: &cfg.stampv2_url,
            method: Method::POST,
            url: self.url(&cfg.stampv2_url, wire::QR_IMAGE_PATH)?,
            body: Body::Json(
                wire::QrImageRequest {
                    serialnumber: sn,
                    onprem: true,
                }
                .encode(),
            ),
            auth: true,
            request_id: None,
            timeout: Duration::from_millis(cfg.timeout_ms),
            repeatable: true,
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        wire::decode_qr_image(reply.status, &reply.body)
    }

    /// The signing request for `req`, carrying `token` until an attempt fills in its own.
    fn signing_request(
        &self,
        req: &StampRequest,
        token: String,
        src: String,
        dest: String,
        spesimen: Option<String>,
    ) -> SigningRequest {
        SigningRequest {
            token,
            ..SigningRequest::new(&self.inner.cfg.profile_name, req, src, dest, spesimen)
        }
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
        mut body: SigningRequest,
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
                body: Body::Signing(Box::new(body.clone())),
                auth: true,
                request_id: Some(&req.request_id),
                timeout: Duration::from_millis(cfg.stamp_timeout_ms),
                repeatable: false,
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
            let (code, message) = match SigningReply::decode(reply.status, &reply.body)? {
                SigningReply::Signed { url_file } => return Ok(Signed::Reply { url_file }),
                SigningReply::Failed { code, message } => (code, message),
            };
            match code.as_str() {
                "97" if !retried_97 => {
                    retried_97 = true;
                    body.retry = true;
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
            return Err(wire::adapter_error(&code, &message, &req.sn));
        }
    }

    fn stamp_onprem(&self, req: &StampRequest) -> Result<Vec<u8>, ProviderError> {
        let cfg = &self.inner.cfg;
        let shared = cfg
            .shared_folder
            .clone()
            .ok_or_else(|| ProviderError::Config(ProviderSetup::SharedFolderUnset))?;
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
            std::fs::create_dir_all(&d)
                .map_err(|e| local(crate::error::IoWhat::CreateFolder, &d, e))?;
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
        .map_err(|e| local(crate::error::IoWhat::WriteFile, &unsigned, e))?;
        std::fs::write(&image, &stamp_image)
            .map_err(|e| local(crate::error::IoWhat::WriteFile, &image, e))?;
        let token = self.token()?;
        let body = self.signing_request(
            req,
            token,
            format!("{prefix}/UNSIGNED/{name}"),
            format!("{prefix}/SIGNED/{name}"),
            Some(format!("{prefix}/STAMP/{}.png", req.sn)),
        );
        let outcome = self.sign(
            &cfg.adapter_url,
            wire::ADAPTER_SIGN_PATH,
            req,
            body,
            &finished,
        );
        // The output stays in the shared folder until the stamping service has stored it
        // (`release`): a crash before that finds it again instead of signing the SN twice.
        outcome.and_then(|signed_reply| match signed_reply {
            Signed::Recovered(bytes) => Ok(bytes),
            Signed::Reply { .. } => std::fs::read(&signed)
                .map_err(|e| local(crate::error::IoWhat::ReadSigned, &signed, e)),
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
        let body = self
            .signing_request(
                req,
                token,
                format!("/sharefolder/doc_{id}.pdf"),
                format!("/sharefolder/final_{id}.pdf"),
                spesimen,
            )
            .in_cloud(id);
        let final_url = self.url(&cfg.fileupload_url, &wire::download_path(id))?;
        let done = || {
            self.serial_status(&req.sn)
                .ok()
                .filter(|s| s.state == SerialState::Stamped)
                .and_then(|_| self.download(&cfg.fileupload_url, final_url.clone()).ok())
        };
        let url_file = match self.sign(
            &cfg.stampservice_url,
            wire::CLOUD_SIGN_PATH,
            req,
            body,
            &done,
        )? {
            Signed::Recovered(bytes) => return Ok(bytes),
            Signed::Reply { url_file } => url_file,
        };
        let url = match url_file {
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
        };
        let reply = self.send(&call).map_err(|f| f.error)?;
        wire::decode_download(reply.status, reply.body, call.url.path())
    }
}

/// Whether a file read from the shared folder is a whole PDF: its header, and an end-of-file
/// marker near its end (an adapter writing straight into `dest` leaves a cut-off file while it
/// works).
fn is_complete_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF") && memchr::memmem::rfind(tail, b"%%EOF").is_some()
}

fn read_document(doc: &Document) -> Result<Vec<u8>, ProviderError> {
    match doc {
        Document::Bytes(b) => Ok(b.clone()),
        Document::Path(p) => std::fs::read(p).map_err(|source| ProviderError::Local {
            what: crate::error::IoWhat::ReadDocument,
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
            .url(&cfg.stampv2_url, wire::DOCUMENT_TYPES_PATH)
            .and_then(|url| self.get(&cfg.stampv2_url, url))
            .and_then(|reply| wire::decode_document_types(reply.status, &reply.body));
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
            return Err(ProviderError::Config(ProviderSetup::BadRequestId(
                req.request_id.clone(),
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
            return Err(ProviderError::Config(ProviderSetup::BadRequestId(
                req.request_id.clone(),
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
            return Err(ProviderError::Config(ProviderSetup::BadSerial(
                req.sn.clone(),
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
        let reply = self.get(
            &cfg.backend_url,
            self.url(&cfg.backend_url, wire::QUOTA_PATH)?,
        )?;
        wire::decode_quota(reply.status, &reply.body)
    }

    fn serial_status(&self, sn: &str) -> Result<SerialEntry, ProviderError> {
        let cfg = &self.inner.cfg;
        let mut url = self.url(&cfg.backend_url, wire::SERIAL_STATUS_PATH)?;
        url.query_pairs_mut()
            .extend_pairs(wire::serial_status_query(sn));
        let reply = self.get(&cfg.backend_url, url)?;
        wire::decode_serial_status(sn, reply.status, &reply.body)
    }

    fn list_serials(&self, filter: &ListFilter) -> Result<SerialPage, ProviderError> {
        let cfg = &self.inner.cfg;
        let user_id = self
            .session()?
            .user_id
            .ok_or_else(|| ProviderError::Protocol {
                detail: "login reply without user id; cannot list serial numbers".into(),
            })?;
        let mut url = self.url(&cfg.stampv2_url, &wire::serial_list_path(&user_id))?;
        url.query_pairs_mut()
            .extend_pairs(wire::serial_list_query(filter));
        let reply = self.get(&cfg.stampv2_url, url)?;
        wire::decode_serial_page(reply.status, &reply.body)
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
