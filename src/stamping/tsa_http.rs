//! An RFC 3161 timestamp authority reached over HTTP (`[stamping] tsa_url`), as the engine's
//! `TimestampSource`: one POST of the DER request as `application/timestamp-query`.

use crate::pdf::tsa::{TimestampSource, TsaError};
use std::time::Duration;

const QUERY_TYPE: &str = "application/timestamp-query";
const REPLY_TYPE: &str = "application/timestamp-reply";
/// A timestamp reply is a few kilobytes; anything far larger is not one.
const MAX_REPLY: usize = 256 * 1024;

/// A TSA at an HTTP(S) address.
#[derive(Debug, Clone)]
pub struct HttpTsa {
    url: reqwest::Url,
    client: reqwest::blocking::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpTsaError {
    BadUrl {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    Client(#[source] reqwest::Error),
}

#[derive(Debug, thiserror::Error)]
pub(crate) struct Reply(pub(crate) String);

impl HttpTsa {
    pub fn new(url: &str) -> Result<HttpTsa, HttpTsaError> {
        let parsed = reqwest::Url::parse(url).map_err(|source| HttpTsaError::BadUrl {
            url: url.to_string(),
            source: Box::new(source),
        })?;
        // One request per stamp: a pooled keep-alive connection gains nothing and can be found
        // closed by the server when the next stamp comes, which a POST may not retry.
        let client = reqwest::blocking::Client::builder()
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(HttpTsaError::Client)?;
        Ok(HttpTsa {
            url: parsed,
            client,
        })
    }
}

impl TimestampSource for HttpTsa {
    fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, TsaError> {
        let unavailable = |e: Box<dyn std::error::Error + Send + Sync>| TsaError::Unavailable(e);
        let resp = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, QUERY_TYPE)
            .header(reqwest::header::ACCEPT, REPLY_TYPE)
            .body(request_der.to_vec())
            .send()
            .map_err(|e| unavailable(Box::new(e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(unavailable(Box::new(Reply(format!(
                "tsa answered http {status}"
            )))));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !content_type.starts_with(REPLY_TYPE) {
            return Err(unavailable(Box::new(Reply(format!(
                "tsa answered with content type {content_type:?}"
            )))));
        }
        let body = resp.bytes().map_err(|e| unavailable(Box::new(e)))?;
        if body.len() > MAX_REPLY {
            return Err(unavailable(Box::new(Reply(format!(
                "tsa reply of {} bytes is too large",
                body.len()
            )))));
        }
        Ok(body.to_vec())
    }
}
