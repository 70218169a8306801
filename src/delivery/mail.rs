//! E-mail: address checks stricter than lettre's, the Indonesian message with the stamped PDFs
//! attached, the SMTP transport over rustls from `[smtp]`, and what a server's answer means for
//! the outbox (sent, retry later, or failed for good).

use crate::config::Smtp;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, SmtpTransport};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Why an e-mail could not be put in the outbox or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    Address {
        address: String,
        reason: String,
    },
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    Attachment {
        path: String,
        #[source]
        source: std::io::Error,
    },
    AttachmentName {
        name: String,
        reason: String,
    },
    Template(String),
    Build(#[from] lettre::error::Error),
    RootCertificate {
        path: String,
        reason: String,
    },
    Tls(#[source] lettre::transport::smtp::Error),
}

/// What is wrong with a typed e-mail address, worded in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressFault {
    Empty,
    /// More than 254 characters.
    TooLong,
    NoAt,
    TwoAts,
    /// Nothing before the `@`.
    NoLocal,
    /// More than 64 characters before the `@`.
    LocalTooLong,
    /// Accented letters, spaces or other characters before the `@`.
    LocalChars,
    /// A dot first, last or doubled before the `@`.
    LocalDots,
    NoDomain,
    DomainNoDot,
    DomainDots,
    /// A domain label that starts or ends with a hyphen, or is too long.
    DomainLabel,
    DomainChars,
}

/// Why the server could not be used this time, worded in `src/words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trouble {
    Tls,
    Timeout,
    Garbled,
    Unreachable,
}

/// Checks an address the way a clerk's typo is best caught: trimmed, one `@`, an ASCII local part
/// of at most 64 characters, a domain with a dot and no empty labels, at most 254 in all.
pub fn check_address(input: &str) -> Result<Address, MailError> {
    let address = input.trim();
    let refuse = |reason: &str| MailError::Address {
        address: address.to_string(),
        reason: reason.to_string(),
    };
    let fault = |f: AddressFault| refuse(crate::words::current().address_fault(f));
    if address.is_empty() {
        return Err(fault(AddressFault::Empty));
    }
    if address.chars().count() > 254 {
        return Err(fault(AddressFault::TooLong));
    }
    let (local, domain) = match address.split('@').collect::<Vec<_>>()[..] {
        [local, domain] => (local, domain),
        [_] => return Err(fault(AddressFault::NoAt)),
        _ => return Err(fault(AddressFault::TwoAts)),
    };
    if local.is_empty() {
        return Err(fault(AddressFault::NoLocal));
    }
    if local.len() > 64 {
        return Err(fault(AddressFault::LocalTooLong));
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(atext) {
        return Err(fault(AddressFault::LocalChars));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(fault(AddressFault::LocalDots));
    }
    if domain.is_empty() {
        return Err(fault(AddressFault::NoDomain));
    }
    if !domain.contains('.') {
        return Err(fault(AddressFault::DomainNoDot));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(fault(AddressFault::DomainDots));
        }
        if label.starts_with('-') || label.ends_with('-') || label.chars().count() > 63 {
            return Err(fault(AddressFault::DomainLabel));
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(fault(AddressFault::DomainChars));
        }
    }
    address
        .parse::<Address>()
        .map_err(|e| refuse(&crate::words::current().address_parser_refused(&e)))
}

/// `Nama <alamat>` or a bare address, the address checked by [`check_address`].
pub fn parse_mailbox(input: &str) -> Result<Mailbox, MailError> {
    let input = input.trim();
    match input.rsplit_once('<') {
        Some((name, rest)) if rest.ends_with('>') => {
            let address = check_address(&rest[..rest.len() - 1])?;
            let name = name.trim().trim_matches('"').trim();
            Ok(Mailbox::new(
                (!name.is_empty()).then(|| name.to_string()),
                address,
            ))
        }
        _ => Ok(Mailbox::new(None, check_address(input)?)),
    }
}

/// A document to attach.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Builds the formatted message (RFC 5322 bytes) that the outbox stores and sends unchanged.
pub fn compose(
    from: &Mailbox,
    to: &Address,
    subject: &str,
    body: &str,
    documents: &[Document],
    message_id: &str,
    date: SystemTime,
) -> Result<Vec<u8>, MailError> {
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body.to_string()));
    for doc in documents {
        parts = parts.singlepart(Attachment::new(doc.name.clone()).body(
            doc.bytes.clone(),
            ContentType::parse("application/pdf").expect("a valid mime type"),
        ));
    }
    let message = lettre::Message::builder()
        .message_id(Some(message_id.to_string()))
        .date(date)
        .from(from.clone())
        .to(Mailbox::new(None, to.clone()))
        .subject(subject)
        .multipart(parts)?;
    Ok(message.formatted())
}

/// A new Message-ID under the sender's domain; it stays the same across retries so that a
/// message delivered twice (at-least-once after a crash) can be recognised.
pub fn new_message_id(domain: &str) -> String {
    format!(
        "<{:016x}{:016x}@{domain}>",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

/// The SMTP transport described by `[smtp]`; a relative root certificate path is taken from the
/// data folder.
pub fn transport(smtp: &Smtp, data_dir: &Path) -> Result<SmtpTransport, MailError> {
    let tls_name = smtp.tls_name.clone().unwrap_or_else(|| smtp.host.clone());
    let mut params = TlsParameters::builder(tls_name);
    if let Some(path) = &smtp.root_certificate {
        let path = data_dir.join(path);
        let pem = std::fs::read(&path).map_err(|e| MailError::RootCertificate {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| MailError::RootCertificate {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        params = params.add_root_certificate(cert);
    }
    let params = params.build_rustls().map_err(MailError::Tls)?;
    let tls = match smtp.security.get_ref().as_str() {
        "tls" => Tls::Wrapper(params),
        "none" => Tls::None,
        _ => Tls::Required(params),
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(smtp.timeout_seconds)));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// What one sending attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered 250; its reply is kept.
    Sent(String),
    /// Try again later. `connection` is true when the server could not be reached at all, so other
    /// messages need not try in this pass.
    Retry { reason: String, connection: bool },
    /// The server refused for good (5xx, wrong password) or loket's settings are wrong.
    Failed(String),
}

/// Sorts a lettre error into retry or failed, with the reason in the process's language.
pub fn classify(e: &lettre::transport::smtp::Error) -> Outcome {
    let detail = e.to_string();
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    if e.is_permanent() {
        if code.starts_with("535")
            || code.starts_with("534")
            || code == "530" && detail.contains("uth")
        {
            return Outcome::Failed(crate::words::current().mail_login_refused(&detail));
        }
        return Outcome::Failed(crate::words::current().mail_message_refused(&detail));
    }
    if e.is_transient() {
        return Outcome::Retry {
            reason: crate::words::current().mail_try_later(&detail),
            connection: false,
        };
    }
    if e.is_client() {
        return Outcome::Failed(crate::words::current().mail_settings_mismatch(&detail));
    }
    let (what, connection) = if e.is_tls() || tls_failure(e) {
        (Trouble::Tls, true)
    } else if e.is_timeout() || timed_out(e) {
        (Trouble::Timeout, true)
    } else if e.is_response() {
        (Trouble::Garbled, false)
    } else {
        (Trouble::Unreachable, true)
    };
    Outcome::Retry {
        reason: crate::words::current().mail_trouble(what, &detail),
        connection,
    }
}

/// The I/O error somewhere in a lettre error's sources.
fn io_source(e: &lettre::transport::smtp::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = err.source();
    }
    None
}

/// A blocking socket read that ran into its timeout surfaces as `WouldBlock` (lettre's own
/// `is_timeout` only looks for `TimedOut`).
fn timed_out(e: &lettre::transport::smtp::Error) -> bool {
    io_source(e).is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    })
}

/// A handshake failure (untrusted certificate, wrong name) that lettre reports as a network error.
fn tls_failure(e: &lettre::transport::smtp::Error) -> bool {
    io_source(e)
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, &str>) {
        match (check_address(input), expected) {
            (Ok(a), Ok(want)) => assert_eq!(a.to_string(), want, "{input:?}"),
            (Err(e), Err(says)) => {
                assert!(e.to_string().contains(says), "{input:?}: {e} says {says:?}")
            }
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn addresses_are_checked_strictly() {
        check(" budi@contoh.co.id ", Ok("budi@contoh.co.id"));
        check("siti.nur+casn@gmail.com", Ok("siti.nur+casn@gmail.com"));
        check("budi@pos-indonesia.test", Ok("budi@pos-indonesia.test"));
        check("budi@exämple.test", Ok("budi@exämple.test"));
        check("", Err("kosong"));
        check("budi", Err("tidak ada tanda @"));
        check("budi@@contoh.id", Err("lebih dari satu"));
        check("budi@a@contoh.id", Err("lebih dari satu"));
        check("@contoh.id", Err("sebelum @"));
        check("budi@", Err("tidak ada nama domain"));
        check("budi@contoh", Err("tanpa titik"));
        check("budi@contoh..id", Err("berurutan"));
        check("budi@.contoh.id", Err("berurutan"));
        check("budi@contoh.id.", Err("berurutan"));
        check("bü@contoh.id", Err("tanpa aksen"));
        check("budi santoso@contoh.id", Err("tanpa aksen"));
        check(".budi@contoh.id", Err("titik"));
        check("bu..di@contoh.id", Err("titik"));
        check(&format!("{}@contoh.id", "a".repeat(65)), Err("64"));
        check(&format!("a@{}.id", "b".repeat(260)), Err("254"));
        check("budi@-contoh.id", Err("tidak sah"));
        check("budi@contoh_x.id", Err("tanda hubung"));
    }

    #[test]
    fn mailboxes_take_a_display_name() {
        let m = parse_mailbox("Kantor Pos Bandung <loket@pos.test>").expect("valid");
        assert_eq!(m.name.as_deref(), Some("Kantor Pos Bandung"));
        assert_eq!(m.email.to_string(), "loket@pos.test");
        let m = parse_mailbox("loket@pos.test").expect("valid");
        assert_eq!(m.name, None);
        assert!(parse_mailbox("Loket <loket@pos>").is_err());
    }
}
