//! The `[delivery]` configuration (e-mail templates, size limit, retry timing) and the checks of it
//! and of `[smtp]` that run when the configuration is loaded.

use crate::config::Config;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// Placeholders a subject or body template may use.
pub const PLACEHOLDERS: &[&str] = &["branch", "date", "document", "sns", "verify"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// Subject of the e-mail with the stamped document.
    pub mail_subject: Spanned<String>,
    /// Body of that e-mail.
    pub mail_body: Spanned<String>,
    /// Sender used while `[smtp]` is missing (messages then wait in the outbox or go to .eml files).
    pub mail_from: Option<Spanned<String>>,
    /// Largest e-mail accepted into the outbox, in megabytes, after base64 growth of attachments.
    pub max_mail_mb: u32,
    /// First wait before retrying a message the server could not take.
    pub retry_first_seconds: u64,
    /// Longest wait between retries.
    pub retry_max_minutes: u64,
    /// How often the background sender looks for due messages.
    pub send_interval_seconds: u64,
}

/// The e-mail's default subject: the branch's customer-facing words (configurable as
/// `[delivery] mail_subject`), not the process language.
pub const DEFAULT_SUBJECT: &str = "Dokumen bermeterai dari {branch}: {document}";
/// The e-mail's default body: the branch's customer-facing words (configurable as
/// `[delivery] mail_body`), not the process language.
pub const DEFAULT_BODY: &str = "Yth. Pelanggan,\n\n\
Terlampir dokumen Anda yang telah dibubuhi e-Meterai di {branch} pada {date}:\n\
{document}\n\n\
Nomor seri e-Meterai: {sns}\n\
Keabsahan e-Meterai dapat diperiksa di:\n{verify}\n\n\
Tanda tangan digital e-Meterai ada di dalam berkas PDF ini, bukan di kertas: simpan dan kirim berkasnya apa adanya; berkas yang diubah tidak lagi sah, dan hasil cetaknya tidak membawa tanda tangan digital.\n\n\
Hormat kami,\n{branch}\n";

impl Delivery {
    /// The outbox's retry waits, in ms: the first one, and the longest (every channel uses them).
    pub fn retry_bounds_ms(&self) -> (i64, i64) {
        let first =
            i64::try_from(self.retry_first_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        let max = i64::try_from(self.retry_max_minutes.saturating_mul(60_000)).unwrap_or(i64::MAX);
        (first, max)
    }
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            mail_subject: Spanned::new(0..0, DEFAULT_SUBJECT.to_string()),
            mail_body: Spanned::new(0..0, DEFAULT_BODY.to_string()),
            mail_from: None,
            max_mail_mb: 20,
            retry_first_seconds: 60,
            retry_max_minutes: 30,
            send_interval_seconds: 15,
        }
    }
}

/// Fills `{name}` placeholders from `values`; `{{` and `}}` stand for literal braces. An unknown
/// or unclosed placeholder is an error naming it.
pub fn render(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(crate::words::current().template_unpaired().into());
        }
        let Some(end) = tail.find('}') else {
            return Err(crate::words::current().template_unclosed().into());
        };
        let name = &tail[1..end];
        let Some((_, value)) = values.iter().find(|(k, _)| *k == name) else {
            let known = PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(crate::words::current().template_unknown(name, &known));
        };
        out.push_str(value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

type CheckError = (Option<Range<usize>>, &'static str, String);

fn spanned(s: &Spanned<String>) -> Option<Range<usize>> {
    Some(s.span()).filter(|r| !r.is_empty())
}

/// Checks `[smtp]` and `[delivery]` when the configuration is loaded.
pub fn check(config: &Config) -> Result<(), CheckError> {
    let d = &config.delivery;
    let dummy: Vec<(&str, &str)> = PLACEHOLDERS.iter().map(|p| (*p, "")).collect();
    for (key, template) in [
        ("mail_subject", &d.mail_subject),
        ("mail_body", &d.mail_body),
    ] {
        render(template.get_ref(), &dummy).map_err(|m| (spanned(template), key, m))?;
    }
    if d.max_mail_mb == 0 || d.max_mail_mb > 100 {
        return Err((
            None,
            "max_mail_mb",
            crate::words::current().max_mail_mb().into(),
        ));
    }
    if d.retry_first_seconds == 0 || d.retry_max_minutes == 0 || d.send_interval_seconds == 0 {
        return Err((
            None,
            "retry_first_seconds",
            crate::words::current().retry_wait_zero().into(),
        ));
    }
    if let Some(from) = &d.mail_from {
        super::mail::parse_mailbox(from.get_ref())
            .map_err(|e| (spanned(from), "mail_from", e.to_string()))?;
    }
    if let Some(smtp) = &config.smtp {
        if !matches!(
            smtp.security.get_ref().as_str(),
            "starttls" | "tls" | "none"
        ) {
            return Err((
                spanned(&smtp.security),
                "security",
                crate::words::current().smtp_security(smtp.security.get_ref()),
            ));
        }
        super::mail::parse_mailbox(smtp.from.get_ref())
            .map_err(|e| (spanned(&smtp.from), "from", e.to_string()))?;
        if smtp.username.is_some() != smtp.password.is_some() {
            return Err((
                None,
                "username",
                crate::words::current().smtp_user_and_password().into(),
            ));
        }
        if smtp.timeout_seconds == 0 {
            return Err((
                None,
                "timeout_seconds",
                crate::words::current().must_be_positive().into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_default_mail_says_the_signature_lives_in_the_file_not_on_paper() {
        assert!(DEFAULT_BODY.contains("bukan di kertas"));
        assert!(!DEFAULT_BODY.contains("mencetak ulang berkas membatalkan"));
    }

    use super::*;

    fn check(template: &str, expected: Result<&str, &str>) {
        let values = [
            ("branch", "KP Bandung"),
            ("document", "Surat.pdf"),
            ("sns", "SN1"),
        ];
        let got = render(template, &values);
        match expected {
            Ok(text) => assert_eq!(got.as_deref(), Ok(text), "{template}"),
            Err(says) => {
                let err = got.expect_err("refused");
                assert!(err.contains(says), "{err} says {says}");
            }
        }
    }

    #[test]
    fn templates_fill_placeholders() {
        check("Dokumen dari {branch}", Ok("Dokumen dari KP Bandung"));
        check("{document} ({sns})", Ok("Surat.pdf (SN1)"));
        check("kurung {{biasa}}", Ok("kurung {biasa}"));
        check("tanpa penanda", Ok("tanpa penanda"));
        check("{nama}", Err("{nama} tidak dikenal"));
        check("{branch", Err("tanpa penutup"));
        check("a } b", Err("tanpa pasangan"));
    }
}
