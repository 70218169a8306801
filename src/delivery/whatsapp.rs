//! WhatsApp delivery through Meta's WhatsApp Business Cloud API: numbers as people type them,
//! the `[whatsapp]` settings, and the API client (media upload, template and document messages,
//! the phone-number check `doctor` uses), with every error sorted into what the outbox does next.
//!
//! The outbox (src/delivery/outbox.rs) carries WhatsApp rows beside e-mail; the pass that sends
//! them and the webhook that reports their fate are in `wa_outbox.rs`.

use serde::Deserialize;
use serde_json::{Value, json};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

pub use crate::secret::Secret;

/// `[whatsapp]`: the branch's WhatsApp Business number on the Cloud API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The phone-number id Meta shows for the branch's business number (digits).
    pub phone_number_id: Spanned<String>,
    /// The access token written here, or (better) `token_env`: the variable holding it.
    #[serde(default)]
    pub token: Option<Secret>,
    #[serde(default)]
    pub token_env: Option<String>,
    /// The approved utility template with a DOCUMENT header and two body parameters (branch, SN).
    #[serde(default = "default_template")]
    pub template: Spanned<String>,
    #[serde(default = "default_language")]
    pub template_language: Spanned<String>,
    /// The document message's caption inside the 24-hour window; markers as in `[delivery]`.
    #[serde(default = "default_caption")]
    pub caption: String,
    #[serde(default = "default_api_url")]
    pub api_url: Spanned<String>,
    #[serde(default = "default_api_version")]
    pub api_version: Spanned<String>,
    /// Longest wait for one API call.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Where `loket wa-webhook` (and the worker) listen for Meta's status webhooks; without it the
    /// last state is "terkirim ke WhatsApp", with no claim of delivery.
    #[serde(default)]
    pub webhook_listen: Option<Spanned<String>>,
    /// The verify token typed into Meta's webhook settings, or the variable holding it.
    #[serde(default)]
    pub verify_token: Option<Secret>,
    #[serde(default)]
    pub verify_token_env: Option<String>,
    /// The app secret that signs webhooks (`X-Hub-Signature-256`), or the variable holding it.
    #[serde(default)]
    pub app_secret: Option<Secret>,
    #[serde(default)]
    pub app_secret_env: Option<String>,
    /// The branch's WhatsApp number, printed as a `wa.me` link on claim slips so the customer can
    /// write first (which opens the 24-hour window).
    #[serde(default)]
    pub business_number: Option<Spanned<String>>,
}

fn default_template() -> Spanned<String> {
    Spanned::new(0..0, "loket_dokumen_bermeterai".into())
}
fn default_language() -> Spanned<String> {
    Spanned::new(0..0, "id".into())
}
/// The caption sent with the document: the branch's customer-facing words (configurable as
/// `[whatsapp] caption`), not the process language.
fn default_caption() -> String {
    "Dokumen bermeterai dari {branch}: {document} (SN {sns}). Periksa keabsahannya di {verify}"
        .into()
}
fn default_api_url() -> Spanned<String> {
    Spanned::new(0..0, "https://graph.facebook.com".into())
}
fn default_api_version() -> Spanned<String> {
    Spanned::new(0..0, "v21.0".into())
}
fn default_timeout() -> u64 {
    30
}

type ConfigProblem = (Option<Range<usize>>, &'static str, String);

impl Settings {
    /// Checks what can be checked when the configuration loads (each problem names its key).
    pub(crate) fn check(&self) -> Result<(), ConfigProblem> {
        let at = |s: &Spanned<String>| Some(s.span()).filter(|r| !r.is_empty());
        let w = crate::words::current();
        let id = self.phone_number_id.get_ref();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err((
                at(&self.phone_number_id),
                "phone_number_id",
                w.wa_phone_number_id(id),
            ));
        }
        let template = self.template.get_ref();
        if template.is_empty()
            || !template
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err((at(&self.template), "template", w.wa_template_name(template)));
        }
        let language = self.template_language.get_ref();
        if language.is_empty()
            || language.len() > 8
            || !language
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            return Err((
                at(&self.template_language),
                "template_language",
                w.wa_template_language(language),
            ));
        }
        let url = self.api_url.get_ref();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err((at(&self.api_url), "api_url", w.wa_api_url(url)));
        }
        let version = self.api_version.get_ref();
        let ok_version = version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
            });
        if !ok_version {
            return Err((
                at(&self.api_version),
                "api_version",
                w.wa_api_version(version),
            ));
        }
        if let Some(listen) = &self.webhook_listen
            && listen.get_ref().parse::<std::net::SocketAddr>().is_err()
        {
            return Err((
                at(listen),
                "webhook_listen",
                w.wa_webhook_listen(listen.get_ref()),
            ));
        }
        if let Some(number) = &self.business_number
            && let Err(e) = normalize_number(number.get_ref())
        {
            return Err((at(number), "business_number", e.to_string()));
        }
        if self.token.is_none() && self.token_env.is_none() {
            return Err((None, "token_env", w.wa_needs_token()));
        }
        Ok(())
    }

    /// The access token, from the file or its variable.
    pub fn token(&self) -> Result<Secret, WaError> {
        secret(
            &self.token,
            &self.token_env,
            crate::words::current().wa_token_label(),
        )
    }

    /// The webhook verify token, when one is configured.
    pub fn verify_token(&self) -> Result<Option<Secret>, WaError> {
        optional_secret(&self.verify_token, &self.verify_token_env, "verify token")
    }

    /// The app secret that signs webhooks, when one is configured.
    pub fn app_secret(&self) -> Result<Option<Secret>, WaError> {
        optional_secret(&self.app_secret, &self.app_secret_env, "app secret")
    }
}

fn secret(value: &Option<Secret>, var: &Option<String>, what: &str) -> Result<Secret, WaError> {
    optional_secret(value, var, what)?
        .ok_or_else(|| WaError::Config(crate::words::current().wa_secret_missing(what)))
}

fn optional_secret(
    value: &Option<Secret>,
    var: &Option<String>,
    what: &str,
) -> Result<Option<Secret>, WaError> {
    match (value, var) {
        (Some(v), _) => Ok(Some(v.clone())),
        (None, Some(var)) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim().to_string()))),
            _ => Err(WaError::Config(
                crate::words::current().wa_env_missing(var, what),
            )),
        },
        (None, None) => Ok(None),
    }
}

/// What went wrong on the WhatsApp side, in the process's language, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaError {
    Number { input: String },
    Config(String),
    NotConfigured,
}

/// The E.164 form (`+6281234567890`) of a number as a clerk types it: `0812-3456-7890`,
/// `62812…`, `+62 812 …`, with spaces, dashes, dots or brackets. Indonesian numbers must be mobile
/// numbers (`8…` after the country code, 9–12 digits); another country's `+` number is taken as
/// E.164 (8–15 digits).
pub fn normalize_number(input: &str) -> Result<String, WaError> {
    let bad = || WaError::Number {
        input: input.trim().to_string(),
    };
    let trimmed = input.trim();
    let mut digits = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(bad()),
        }
    }
    let plus = trimmed.starts_with('+');
    let national = if let Some(rest) = digits.strip_prefix("62") {
        rest.to_string()
    } else if !plus && let Some(rest) = digits.strip_prefix('0') {
        rest.to_string()
    } else if plus {
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(bad());
        }
        return Ok(format!("+{digits}"));
    } else {
        return Err(bad());
    };
    if !national.starts_with('8') || !(9..=12).contains(&national.len()) {
        return Err(bad());
    }
    Ok(format!("+62{national}"))
}

/// `+62812****890`: what the journal and reports keep of a number once its delivery is over.
pub fn mask_number(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() <= 9 {
        return "****".into();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}****{tail}")
}

/// The SHA-256 of a number (hex): how the 24-hour windows are kept without the number.
pub fn number_key(e164: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(e164.as_bytes()))
}

/// How the outbox should treat a failed API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused for good (invalid number, not on WhatsApp, template not approved, token expired):
    /// the reason, in the process's language with what to do.
    Permanent(String),
    /// Nothing was done; try again later (`after`: the server's own retry time).
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The media id is unknown or expired: upload again, then send.
    MediaGone(String),
    /// A free-form message outside the customer's 24-hour window: send the template instead.
    OutsideWindow(String),
    /// The request may have reached the API but no answer came back: the message may have gone.
    Unsure(String),
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Permanent(r)
            | Failure::MediaGone(r)
            | Failure::OutsideWindow(r)
            | Failure::Unsure(r) => r,
            Failure::Retry { reason, .. } => reason,
        }
    }
}

/// Sorts a Graph API error reply (`{"error": {code, error_subcode, message, error_data}}`) by
/// what the outbox does next.
pub fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> Failure {
    let w = crate::words::current();
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let error = &parsed["error"];
    let code = error["code"].as_i64();
    let details = error["error_data"]["details"]
        .as_str()
        .or_else(|| error["message"].as_str())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect::<String>();
    let said = if details.is_empty() {
        format!("HTTP {status}")
    } else {
        format!(
            "{} {details}",
            code.map_or(format!("HTTP {status}"), |c| w.wa_code(c))
        )
    };
    let lower = format!(
        "{} {}",
        error["message"].as_str().unwrap_or(""),
        error["error_data"]["details"].as_str().unwrap_or("")
    )
    .to_ascii_lowercase();
    match code {
        Some(190) => Failure::Permanent(w.wa_graph(GraphTrouble::TokenExpired, &said)),
        _ if status == 401 => Failure::Permanent(w.wa_graph(GraphTrouble::TokenRefused, &said)),
        Some(4 | 80007 | 130429 | 131048 | 131056) => Failure::Retry {
            reason: w.wa_graph(GraphTrouble::RateLimited, &said),
            after: retry_after,
        },
        _ if status == 429 => Failure::Retry {
            reason: w.wa_graph(GraphTrouble::RateLimited, &said),
            after: retry_after,
        },
        Some(131047) => Failure::OutsideWindow(w.wa_graph(GraphTrouble::OutsideWindow, &said)),
        Some(131026) => Failure::Permanent(w.wa_graph(GraphTrouble::NotOnWhatsapp, &said)),
        Some(131030) => Failure::Permanent(w.wa_graph(GraphTrouble::NotTestRecipient, &said)),
        Some(
            132000 | 132001 | 132005 | 132007 | 132012 | 132015 | 132016 | 132018 | 132068 | 132069,
        ) => Failure::Permanent(w.wa_graph(GraphTrouble::TemplateUnusable, &said)),
        Some(131053 | 131052) => Failure::MediaGone(w.wa_graph(GraphTrouble::MediaTrouble, &said)),
        Some(100 | 131008 | 131009) if lower.contains("media") => {
            Failure::MediaGone(w.wa_graph(GraphTrouble::MediaUnknown, &said))
        }
        Some(1 | 2 | 131000 | 131016 | 133004) => Failure::Retry {
            reason: w.wa_graph(GraphTrouble::ServiceDown, &said),
            after: retry_after,
        },
        _ if status >= 500 => Failure::Retry {
            reason: w.wa_graph(GraphTrouble::ServiceDown, &said),
            after: retry_after,
        },
        _ => Failure::Permanent(w.wa_graph(GraphTrouble::Refused, &said)),
    }
}

/// What the Graph API's error says is wrong, by its code and status; worded with what the Graph
/// API said in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphTrouble {
    TokenExpired,
    TokenRefused,
    RateLimited,
    OutsideWindow,
    NotOnWhatsapp,
    NotTestRecipient,
    TemplateUnusable,
    MediaTrouble,
    MediaUnknown,
    ServiceDown,
    Refused,
}

/// What a successful send returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The message id (`wamid.…`) status webhooks refer to.
    pub message_id: String,
}

/// One message to send: the recipient, the uploaded media and what the customer reads.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub to: &'a str,
    pub media_id: &'a str,
    pub filename: &'a str,
    /// Template body parameters (branch, SN).
    pub params: &'a [String],
    /// The caption of a document message inside the 24-hour window.
    pub caption: &'a str,
    /// The idempotency key, sent as `biz_opaque_callback_data` and echoed by status webhooks.
    pub key: &'a str,
}

/// The Cloud API, blocking, one phone-number id.
#[derive(Debug)]
pub struct Api {
    http: reqwest::blocking::Client,
    base: String,
    token: Secret,
    template: String,
    language: String,
}

impl Api {
    pub fn new(settings: &Settings) -> Result<Api, WaError> {
        let token = settings.token()?;
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(settings.timeout_seconds.clamp(1, 30)))
            .timeout(Duration::from_secs(settings.timeout_seconds.max(1)))
            .build()
            .map_err(|e| WaError::Config(crate::words::current().wa_http_client(&e)))?;
        Ok(Api {
            http,
            base: format!(
                "{}/{}/{}",
                settings.api_url.get_ref().trim_end_matches('/'),
                settings.api_version.get_ref(),
                settings.phone_number_id.get_ref()
            ),
            token,
            template: settings.template.get_ref().clone(),
            language: settings.template_language.get_ref().clone(),
        })
    }

    /// Uploads a PDF; returns its media id. Safe to repeat: an unused media id only expires.
    pub fn upload(&self, pdf: Vec<u8>, filename: &str) -> Result<String, Failure> {
        let part = reqwest::blocking::multipart::Part::bytes(pdf)
            .file_name(filename.to_string())
            .mime_str("application/pdf")
            .map_err(|e| Failure::Permanent(crate::words::current().wa_file_unprepared(&e)))?;
        let form = reqwest::blocking::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", "application/pdf")
            .part("file", part);
        let reply = self
            .http
            .post(format!("{}/media", self.base))
            .bearer_auth(self.token.expose())
            .multipart(form)
            .send();
        // An upload that may have gone is repeated: nothing reaches the customer until the send.
        let body = answer(reply, false)?;
        body["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Failure::Retry {
                reason: crate::words::current().wa_upload_no_id().into(),
                after: None,
            })
    }

    /// Sends the approved template with the document header (outside the 24-hour window).
    pub fn send_template(&self, m: &Message<'_>) -> Result<Sent, Failure> {
        let body: Vec<Value> = m
            .params
            .iter()
            .map(|p| json!({"type": "text", "text": p}))
            .collect();
        self.send(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": m.to,
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": self.language},
                "components": [
                    {"type": "header", "parameters": [
                        {"type": "document", "document": {"id": m.media_id, "filename": m.filename}}
                    ]},
                    {"type": "body", "parameters": body},
                ],
            },
            "biz_opaque_callback_data": m.key,
        }))
    }

    /// Sends a plain document message with a caption (inside the 24-hour window).
    pub fn send_document(&self, m: &Message<'_>) -> Result<Sent, Failure> {
        self.send(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": m.to,
            "type": "document",
            "document": {"id": m.media_id, "filename": m.filename, "caption": m.caption},
            "biz_opaque_callback_data": m.key,
        }))
    }

    fn send(&self, payload: Value) -> Result<Sent, Failure> {
        let reply = self
            .http
            .post(format!("{}/messages", self.base))
            .bearer_auth(self.token.expose())
            .json(&payload)
            .send();
        let body = answer(reply, true)?;
        body["messages"][0]["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(|id| Sent {
                message_id: id.to_string(),
            })
            .ok_or_else(|| Failure::Unsure(crate::words::current().wa_send_no_id().into()))
    }

    /// Reads the phone number's record (`GET /{phone-number-id}`): proves the token and the id
    /// without sending anything. Returns the display number and verified name.
    pub fn check(&self) -> Result<(String, String), Failure> {
        let reply = self
            .http
            .get(format!(
                "{}?fields=display_phone_number,verified_name,quality_rating",
                self.base
            ))
            .bearer_auth(self.token.expose())
            .send();
        let body = answer(reply, false)?;
        Ok((
            body["display_phone_number"]
                .as_str()
                .unwrap_or("?")
                .to_string(),
            body["verified_name"].as_str().unwrap_or("?").to_string(),
        ))
    }
}

/// The JSON body of a 2xx answer, or the failure it means. `sends`: the call may deliver a
/// message, so a request that went out without an answer is [`Failure::Unsure`].
fn answer(
    reply: reqwest::Result<reqwest::blocking::Response>,
    sends: bool,
) -> Result<Value, Failure> {
    let lost = |e: &reqwest::Error| {
        let w = crate::words::current();
        if sends && !e.is_connect() {
            Failure::Unsure(w.wa_no_answer(plain(e), true))
        } else {
            Failure::Retry {
                reason: w.wa_no_answer(plain(e), false),
                after: None,
            }
        }
    };
    let response = reply.map_err(|e| lost(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers();
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .or_else(|| {
            headers
                .get("x-business-use-case-usage")
                .and_then(|v| v.to_str().ok())
                .and_then(regain_after)
        });
    let text = response.text().map_err(|e| lost(&e))?;
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|_| {
            if sends {
                Failure::Unsure(crate::words::current().wa_unreadable(true))
            } else {
                Failure::Retry {
                    reason: crate::words::current().wa_unreadable(false),
                    after: None,
                }
            }
        });
    }
    Err(classify(status, &text, retry_after))
}

/// The longest `estimated_time_to_regain_access` (minutes) in Graph's
/// `X-Business-Use-Case-Usage` header: `{"<id>": [{"type": …, "estimated_time_to_regain_access": N}]}`.
pub fn regain_after(header: &str) -> Option<Duration> {
    let usage: Value = serde_json::from_str(header).ok()?;
    usage
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|u| u["estimated_time_to_regain_access"].as_u64())
        .filter(|m| *m > 0)
        .max()
        .map(|m| Duration::from_secs(m * 60))
}

/// A transport error in a few words, without the URL (which names the phone-number id).
fn plain(e: &reqwest::Error) -> Lost {
    if e.is_timeout() {
        Lost::Timeout
    } else if e.is_connect() {
        Lost::Connect
    } else if e.is_body() || e.is_decode() {
        Lost::AnswerCut
    } else {
        Lost::ConnectionCut
    }
}

/// How a request to WhatsApp went without an answer, worded in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lost {
    Timeout,
    Connect,
    AnswerCut,
    ConnectionCut,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them_become_e164() {
        for (input, want) in [
            ("0812-3456-7890", "+6281234567890"),
            ("081234567890", "+6281234567890"),
            ("62812 3456 7890", "+6281234567890"),
            ("+62 812 3456 7890", "+6281234567890"),
            ("+62 (812) 3456.7890", "+6281234567890"),
            ("0811234567", "+62811234567"),
            ("+61 412 345 678", "+61412345678"),
        ] {
            assert_eq!(normalize_number(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "",
            "12345",
            "0212345678",
            "+62 21 1234 5678",
            "0812-3456-7890-1234",
            "0812abc",
            "++6281234567890",
            "6281",
            "+0812345678",
            "812 3456 7890",
        ] {
            let e = normalize_number(bad).expect_err(bad);
            assert!(e.to_string().contains("0812-3456-7890"), "{bad}: {e}");
        }
    }

    #[test]
    fn masks_keep_the_country_prefix_and_last_three_digits() {
        assert_eq!(mask_number("+6281234567890"), "+62812****890");
        assert_eq!(mask_number("+628"), "****");
    }

    #[test]
    fn graph_errors_are_sorted_by_what_to_do() {
        let e = |code: i64, status: u16| {
            classify(
                status,
                &json!({"error": {"message": "m", "type": "OAuthException", "code": code,
                    "error_data": {"messaging_product": "whatsapp", "details": "d"}, "fbtrace_id": "x"}})
                .to_string(),
                Some(Duration::from_secs(7)),
            )
        };
        assert!(matches!(e(190, 401), Failure::Permanent(r) if r.contains("Token")));
        assert!(
            matches!(e(130429, 429), Failure::Retry { after: Some(d), .. } if d == Duration::from_secs(7))
        );
        assert!(matches!(e(131026, 400), Failure::Permanent(r) if r.contains("tidak terdaftar")));
        assert!(matches!(e(132001, 404), Failure::Permanent(r) if r.contains("Templat")));
        assert!(matches!(e(131047, 400), Failure::OutsideWindow(_)));
        assert!(matches!(e(131053, 400), Failure::MediaGone(_)));
        assert!(matches!(e(131000, 500), Failure::Retry { .. }));
        assert!(matches!(
            classify(502, "<html>", None),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(400, "not json", None),
            Failure::Permanent(_)
        ));
    }

    #[test]
    fn the_business_use_case_header_gives_the_wait() {
        let h = r#"{"102290129340398": [{"type": "whatsapp_business_management", "call_count": 100,
            "total_cputime": 1, "total_time": 1, "estimated_time_to_regain_access": 3}]}"#;
        assert_eq!(regain_after(h), Some(Duration::from_secs(180)));
        assert_eq!(
            regain_after(r#"{"1": [{"estimated_time_to_regain_access": 0}]}"#),
            None
        );
        assert_eq!(regain_after("nonsense"), None);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s = Secret::new("EAAGm0PX4ZCpsBA".into());
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }
}
