//! The seam between the stamping service and whoever issues serial numbers and stamps PDFs (Peruri, local).

use std::path::PathBuf;
use std::time::Duration;

/// A boxed source error kept inside [`ProviderError`] so logs can show the transport cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One Peruri document type (`jenisdoc`): its `kode` goes into the SN request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocumentType {
    pub kode: String,
    pub nama: String,
}

/// What a serial number is asked for. `request_id` is the idempotency key of one SN request: stored
/// with the job before the first call, sent on every attempt, and used to find an SN whose reply was
/// lost. After [`ProviderError::SerialSpoiled`] the job asks for its next SN under a new request id
/// (e.g. job id plus attempt number): the same id would find the spoiled SN again.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// At least 12 characters of `[A-Za-z0-9_-]` (a UUID fits), unique per stamping job.
    pub request_id: String,
    /// `kode` of the document type, e.g. `"3"` (surat pernyataan).
    pub doc_type: String,
    /// The customer's file name; Peruri sees `<request_id>_<file name>`.
    pub file_name: String,
    pub doc_date: time::Date,
    /// Value stated in the document, in rupiah (0 when none).
    pub value: i64,
    /// SHA-256 of the document as received, lowercase hex.
    pub sha256: String,
    /// The document itself: needed in cloud mode, where it is uploaded before the SN is asked for.
    pub document: Option<Vec<u8>>,
    /// The caller attempted this request before (e.g. the process stopped mid-call): look it up first.
    pub attempted_before: bool,
}

/// A serial number issued for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// 22 characters `[A-Z0-9]`.
    pub sn: String,
    /// The stamp image (PNG) returned with the SN, on-prem mode.
    pub stamp_image: Option<Vec<u8>>,
    /// Provider data the stamping call needs back (cloud mode: uploaded file id and QR name); store it
    /// with the SN and pass it to [`StampRequest::handle`].
    pub handle: Option<String>,
    /// True when the SN was found in the provider's SN list after a lost reply, not freshly issued.
    pub reconciled: bool,
}

/// The document to stamp.
#[derive(Debug, Clone)]
pub enum Document {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

/// A rectangle on a page in PDF points, origin bottom left (`llx < urx`, `lly < ury`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub llx: f32,
    pub lly: f32,
    pub urx: f32,
    pub ury: f32,
}

impl Rect {
    /// The same rectangle with lower-left below and left of upper-right, whatever order it was given in.
    pub fn normalized(self) -> Rect {
        Rect {
            llx: self.llx.min(self.urx),
            lly: self.lly.min(self.ury),
            urx: self.llx.max(self.urx),
            ury: self.lly.max(self.ury),
        }
    }
}

/// What to stamp, where, with which serial number.
#[derive(Debug, Clone)]
pub struct StampRequest {
    pub request_id: String,
    pub sn: String,
    pub document: Document,
    /// 1-based page.
    pub page: u32,
    pub rect: Rect,
    /// Document type name, e.g. "Surat Pernyataan"; the signer prefixes it with `[SN]`.
    pub reason: String,
    pub location: String,
    /// Password of an encrypted PDF.
    pub password: Option<String>,
    /// The stamp image from [`Issued::stamp_image`], when kept.
    pub stamp_image: Option<Vec<u8>>,
    /// [`Issued::handle`], when the provider gave one.
    pub handle: Option<String>,
}

/// Remaining quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    pub remaining: u64,
    /// Serial numbers issued and not yet stamped.
    pub not_stamped: u64,
}

/// Where a serial number stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SerialState {
    /// Issued, not yet on a document (`NOTSTAMP`).
    NotStamped,
    /// On a document (`STAMP`).
    Stamped,
    /// Unknown to the provider, or a status loket does not know; the text says which.
    Unknown(String),
}

impl SerialState {
    pub fn parse(status: &str) -> SerialState {
        match status.trim().to_ascii_uppercase().as_str() {
            "NOTSTAMP" => SerialState::NotStamped,
            "STAMP" | "STAMPED" => SerialState::Stamped,
            other => SerialState::Unknown(other.to_string()),
        }
    }

    pub fn as_api(&self) -> &str {
        match self {
            SerialState::NotStamped => "NOTSTAMP",
            SerialState::Stamped => "STAMP",
            SerialState::Unknown(s) => s,
        }
    }
}

/// One serial number as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SerialEntry {
    pub sn: String,
    pub state: SerialState,
    /// File name the SN was issued for.
    pub file: Option<String>,
    /// When it was issued and last changed, as the provider writes them.
    pub issued: Option<String>,
    pub updated: Option<String>,
}

/// One page of the provider's SN list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SerialPage {
    pub total: u64,
    pub items: Vec<SerialEntry>,
}

/// Which page of the SN list to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub state: Option<SerialState>,
    pub start: u64,
    pub length: u32,
}

/// Upstream health as the counter screen shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Health {
    /// Calls go through.
    Up,
    /// Recent calls failed; calls answer `Unavailable` at once until the cool-down ends.
    Down { retry_in: Duration },
    /// The cool-down ended; the next call probes the service.
    Probing,
}

/// What a stamping job should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Keep the job and try again later (in the background).
    RetryLater,
    /// The serial number is spoiled: record it with the code and ask for a new one.
    NewSerial,
    /// Stop and wait for a person's decision (new serial at no charge, or refund): the document
    /// was refused, or the serial was used with no output to show for it.
    AskPerson,
}

/// What is missing or wrong in how the e-Meterai provider is set up, as values; worded in
/// `src/words`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderSetup {
    /// `[stamping] provider = "peruri"` without a `[stamping.peruri]` section.
    PeruriSectionMissing,
    /// The same, found when a job is run.
    PeruriSectionUnfilled,
    PasswordEnvUnset {
        var: String,
    },
    PasswordMissing,
    OnpremNeedsFolder,
    SharedFolderUnset,
    HttpClient(String),
    BadUrl {
        text: String,
        why: String,
    },
    CloudNeedsDocument,
    BadRequestId(String),
    BadSerial(String),
    /// A serial request id that no loket job made.
    ForeignRequest(String),
    TrainingCertificates(String),
    RootCertificates {
        file: String,
        why: String,
    },
    /// A lower part's own words (the TSA's address).
    Said(String),
}

/// A failure the stamping service can act on. `Display` is the Indonesian sentence for the clerk.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    Unavailable {
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
    RetryLater {
        after: Duration,
    },
    Rejected {
        code: String,
        message: String,
    },
    SerialUsed {
        sn: String,
        message: String,
    },
    SignerRefused {
        code: String,
        message: String,
    },
    Untrusted {
        sn: String,
        detail: String,
    },
    SerialSpoiled {
        sn: String,
        code: String,
    },
    QuotaExhausted {
        message: String,
    },
    AuthFailed {
        detail: String,
    },
    BadDocument {
        code: String,
        message: String,
    },
    Timeout {
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
    Protocol {
        detail: String,
    },
    Local {
        what: crate::error::IoWhat,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Config(ProviderSetup),
}

impl ProviderError {
    /// What the job should do next.
    pub fn next_step(&self) -> NextStep {
        match self {
            ProviderError::Unavailable { .. }
            | ProviderError::RetryLater { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Protocol { .. }
            | ProviderError::QuotaExhausted { .. }
            | ProviderError::AuthFailed { .. }
            | ProviderError::Local { .. }
            // An unknown refusal or a configuration a technician can fix never ends a paid job:
            // it waits, its reason shown, until it works or a person settles it.
            | ProviderError::Rejected { .. }
            | ProviderError::Untrusted { .. }
            | ProviderError::SignerRefused { .. }
            | ProviderError::Config(_) => NextStep::RetryLater,
            ProviderError::SerialSpoiled { .. } => NextStep::NewSerial,
            ProviderError::BadDocument { .. } | ProviderError::SerialUsed { .. } => {
                NextStep::AskPerson
            }
        }
    }

    /// A lowercase English fragment for logs and the journal.
    pub fn detail(&self) -> String {
        match self {
            ProviderError::Unavailable { detail, .. } => format!("unavailable: {detail}"),
            ProviderError::RetryLater { after } => format!("retry after {} ms", after.as_millis()),
            ProviderError::Rejected { code, message } => format!("rejected {code}: {message}"),
            ProviderError::SerialSpoiled { sn, code } => format!("serial {sn} spoiled by {code}"),
            ProviderError::SignerRefused { code, message } => {
                format!("remote signer refused {code}: {message}")
            }
            ProviderError::Untrusted { sn, detail } => {
                format!("output for serial {sn} not trusted: {detail}")
            }
            ProviderError::SerialUsed { sn, message } => {
                format!("serial {sn} already used, no output found: {message}")
            }
            ProviderError::QuotaExhausted { message } => format!("quota exhausted: {message}"),
            ProviderError::AuthFailed { detail } => format!("login refused: {detail}"),
            ProviderError::BadDocument { code, message } => {
                format!("document refused {code}: {message}")
            }
            ProviderError::Timeout { detail, .. } => format!("timeout: {detail}"),
            ProviderError::Protocol { detail } => format!("unreadable reply: {detail}"),
            ProviderError::Local { what, path, source } => {
                format!("{what} {}: {source}", path.display())
            }
            ProviderError::Config(m) => format!("configuration: {m:?}"),
        }
    }
}

/// A stamping provider: issues serial numbers and stamps documents with them.
///
/// Contract for the stamping service: store `request_id` with the job before the first
/// [`Provider::issue_serial_once`]; on restart call it again with `attempted_before = true`; it returns
/// the SN already issued for that request if there is one, and asks for a new SN only if there is none.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Document types (`jenisdoc`); a built-in list when the service cannot be asked.
    fn document_types(&self) -> Result<Vec<DocumentType>, ProviderError>;
    /// One serial number for the request, never two for the same `request_id`.
    fn issue_serial_once(&self, request: &IssueRequest) -> Result<Issued, ProviderError>;
    /// Stamps the document with the serial number; returns the stamped PDF.
    fn stamp(&self, request: &StampRequest) -> Result<Vec<u8>, ProviderError>;
    fn quota(&self) -> Result<Quota, ProviderError>;
    fn serial_status(&self, sn: &str) -> Result<SerialEntry, ProviderError>;
    /// One page of issued serial numbers, for reconciliation with the SN ledger.
    fn list_serials(&self, filter: &ListFilter) -> Result<SerialPage, ProviderError>;
    /// Upstream health, without a network call.
    fn health(&self) -> Health;
    /// Puts the document where the provider needs it before a serial is asked for (Peruri's cloud
    /// mode: the upload) and returns a handle for it, which the service stores with the job before
    /// the serial request. `None`: this provider needs no upload.
    fn upload_document(&self, request: &IssueRequest) -> Result<Option<String>, ProviderError> {
        let _ = request;
        Ok(None)
    }
    /// Hands back, after a restart, the upload handle the service stored for `request_id`, so the
    /// serial request and the stamping use that upload instead of uploading the document again.
    fn resume_upload(&self, request_id: &str, handle: &str) {
        let _ = (request_id, handle);
    }
    /// The service has stored (or refused) the output stamped with `sn`: whatever the provider kept
    /// for it until then (the adapter's shared-folder files) may go.
    fn release(&self, sn: &str) {
        let _ = sn;
    }
    /// The local provider, whose serials come from the branch's own ledger: the service then draws
    /// the serial in the same transaction that records the stamped output (see `service`).
    fn as_local(&self) -> Option<&super::local::LocalProvider> {
        None
    }
}

/// Whether `sn` looks like an e-Meterai serial number: 22 characters `[A-Z0-9]`.
pub fn is_serial_number(sn: &str) -> bool {
    sn.len() == 22
        && sn
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `id` can serve as a request id (it is matched as a substring of Peruri's file names).
pub fn is_request_id(id: &str) -> bool {
    id.len() >= 12
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_22_uppercase_alphanumerics() {
        for (sn, ok) in [
            ("389UY343AP0GE9A40000A9", true),
            ("2C5NV74I6D0HJ1EZ000DU9", true),
            ("389uy343AP0GE9A40000A9", false),
            ("389UY343AP0GE9A40000A", false),
            ("389UY343AP0GE9A40000A9X", false),
            ("389UY343AP0GE9A4000-A9", false),
        ] {
            assert_eq!(is_serial_number(sn), ok, "{sn}");
        }
    }

    #[test]
    fn errors_tell_the_job_what_to_do() {
        let check = |e: ProviderError, step: NextStep, says: &str| {
            assert_eq!(e.next_step(), step, "{e:?}");
            assert!(e.to_string().contains(says), "{e} says {says:?}");
        };
        check(
            ProviderError::Unavailable {
                detail: "breaker open".into(),
                source: None,
            },
            NextStep::RetryLater,
            "sedang gangguan",
        );
        check(
            ProviderError::RetryLater {
                after: Duration::from_secs(30),
            },
            NextStep::RetryLater,
            "30 detik",
        );
        check(
            ProviderError::SerialSpoiled {
                sn: "389UY343AP0GE9A40000A9".into(),
                code: "92".into(),
            },
            NextStep::NewSerial,
            "389UY343AP0GE9A40000A9",
        );
        check(
            ProviderError::BadDocument {
                code: "83".into(),
                message: "Document already Certified".into(),
            },
            NextStep::AskPerson,
            "Print to PDF",
        );
        check(
            ProviderError::QuotaExhausted {
                message: "saldo".into(),
            },
            NextStep::RetryLater,
            "Kuota",
        );
        check(
            ProviderError::Rejected {
                code: "77".into(),
                message: "tidak dikenal".into(),
            },
            NextStep::RetryLater,
            "menunggu",
        );
        check(
            ProviderError::SerialUsed {
                sn: "389UY343AP0GE9A40000A9".into(),
                message: "SN already used".into(),
            },
            NextStep::AskPerson,
            "keputusan supervisor",
        );
    }

    #[test]
    fn rectangles_normalize_peruris_sample_order() {
        let sample = Rect {
            llx: 237.0,
            lly: 559.0,
            urx: 337.0,
            ury: 459.0,
        };
        assert_eq!(
            sample.normalized(),
            Rect {
                llx: 237.0,
                lly: 459.0,
                urx: 337.0,
                ury: 559.0
            }
        );
    }
}
