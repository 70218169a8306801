//! Intake checks: is the customer's file a PDF that can be stamped, and what the clerk should know about it.

use lopdf::xref::XrefRecovery;
use lopdf::{Document, LoadOptions, ObjectId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::geometry::{PageFrame, Rect, pt_to_mm};
use super::objects;

/// Bytes an e-Meterai adds to a file (appearance, signature placeholder, cross-reference section), used to
/// estimate the stamped size for profile warnings.
pub const STAMP_OVERHEAD_BYTES: u64 = 24 * 1024;

/// Limits and expectations for intake.
#[derive(Debug, Clone)]
pub struct IntakeOptions {
    /// Largest accepted file.
    pub max_bytes: u64,
    /// Most pages accepted.
    pub max_pages: u32,
    /// Password for an encrypted file.
    pub password: Option<String>,
    /// Bound on any single stream's decompressed size while reading (decompression bombs).
    pub max_decompressed_size: usize,
    /// Target channel rules that produce warnings, not refusals.
    pub profile: Option<TargetProfile>,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        IntakeOptions {
            max_bytes: 100 * 1024 * 1024,
            max_pages: 2_000,
            password: None,
            max_decompressed_size: 64 * 1024 * 1024,
            profile: None,
        }
    }
}

/// Rules a receiving channel imposes on the stamped file (checked before stamping, as warnings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetProfile {
    /// Short name shown to the clerk.
    pub name: String,
    /// Largest stamped file the channel accepts.
    pub max_bytes: Option<u64>,
    /// Page size every page must have (portrait or landscape), in millimetres.
    pub page_size_mm: Option<(f64, f64)>,
    /// Lowest PDF version, e.g. (1, 6).
    pub min_version: Option<(u8, u8)>,
}

impl TargetProfile {
    /// CASN 2024 (BKN): at most 800 KB, A4, PDF 1.6 or newer.
    pub fn casn_2024() -> TargetProfile {
        TargetProfile {
            name: "CASN 2024".to_string(),
            // BKN's upload form counts 800 × 1024 bytes.
            max_bytes: Some(800 * 1024),
            page_size_mm: Some((210.0, 297.0)),
            min_version: Some((1, 6)),
        }
    }
}

/// Something the clerk should tell the customer before stamping; stamping is still possible.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntakeWarning {
    /// The stamped file will likely exceed the channel's size limit.
    TooLargeForProfile {
        /// Profile name.
        profile: String,
        /// Estimated size after stamping.
        estimated_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// A page is not the channel's page size.
    PageSize {
        /// Profile name.
        profile: String,
        /// 1-based page number.
        page: u32,
        /// Width in mm.
        width_mm: f64,
        /// Height in mm.
        height_mm: f64,
    },
    /// The PDF version is below what the channel wants.
    VersionTooLow {
        /// Profile name.
        profile: String,
        /// The file's version.
        version: String,
        /// Required minimum.
        minimum: String,
    },
    /// The cross-reference data was damaged and the file was rewritten before stamping.
    Repaired,
    /// The cross-reference offsets were slightly off and were corrected while reading.
    OffsetsCorrected,
    /// A hybrid-reference file (a classic table plus `/XRefStm`) was rewritten with one kind of
    /// cross-reference before stamping: readers disagree on such files, and strict validators
    /// refuse signatures in them.
    HybridRewritten,
    /// A hybrid-reference file that is signed or encrypted, so it could not be rewritten; the
    /// stamp is added as usual, but strict validators may refuse signatures in it.
    HybridKept,
}

impl IntakeWarning {
    /// The sentence for the clerk, in the process's language.
    pub fn message(&self) -> String {
        crate::words::current().intake_warning(self)
    }
}

/// An existing signature in the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExistingSignature {
    /// Fully qualified field name.
    pub field: String,
    /// `/Name` of the signature, when present.
    pub signer: Option<String>,
    /// `/Reason`, when present.
    pub reason: Option<String>,
    /// `/SubFilter`.
    pub sub_filter: Option<String>,
}

/// What intake found, for the clerk's screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntakeReport {
    /// File size in bytes (as received).
    pub size_bytes: u64,
    /// Number of pages.
    pub pages: u32,
    /// PDF version (the higher of header and catalog `/Version`).
    pub version: String,
    /// Whether the file is encrypted (it stays encrypted after stamping).
    pub encrypted: bool,
    /// Signatures already in the file; they stay valid after stamping.
    pub signatures: Vec<ExistingSignature>,
    /// DocMDP level when the document is certified (2 or 3 here; 1 is refused).
    pub certification_level: Option<i64>,
    /// Whether the file had to be rewritten because its cross-reference data was damaged.
    pub repaired: bool,
    /// Size of each page in points (width, height), in page order.
    pub page_sizes: Vec<(f64, f64)>,
    /// Warnings for the clerk.
    pub warnings: Vec<IntakeWarning>,
}

/// Why a file cannot be stamped. The `Display` text is the sentence, in the process's language, for the clerk.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Zero bytes.
    Empty,
    /// No `%PDF-` header.
    NotPdf,
    /// Larger than the configured limit.
    TooLarge {
        /// File size.
        size: u64,
        /// Limit.
        limit: u64,
    },
    /// More pages than the configured limit.
    TooManyPages {
        /// Pages found.
        pages: u32,
        /// Limit.
        limit: u32,
    },
    /// Encrypted with a user password and none was given.
    PasswordRequired,
    /// The given password is wrong.
    WrongPassword,
    /// Locked to the certificates of its recipients (public-key security handler), not with a
    /// password: only a recipient's private key opens it.
    CertificateProtected,
    /// Encryption the reader does not support.
    UnsupportedEncryption(#[source] lopdf::Error),
    /// Certified with DocMDP P=1: no changes allowed.
    CertifiedNoChanges,
    /// Damaged beyond reading.
    Unreadable(#[source] lopdf::Error),
    /// Readable but without pages.
    NoPages,
    /// The repaired file could not be serialised.
    Rewrite(#[source] std::io::Error),
    /// Damaged cross-reference data in a signed or encrypted file: repairing would break signatures or the lock.
    DamagedProtected,
}

/// A document that passed intake, ready for placement and stamping.
pub struct PreparedDocument {
    /// Shared with the page renderer, which reads the file without a copy of it.
    pub(crate) bytes: std::sync::Arc<Vec<u8>>,
    pub(crate) doc: Document,
    /// SHA-256 state over all of `bytes`, computed while parsing.
    pub(crate) prefix_hash: Sha256,
    /// The password the document was opened with (an encrypted update is checked by decrypting it).
    pub(crate) password: Option<String>,
    /// What intake found.
    pub report: IntakeReport,
}

impl std::fmt::Debug for PreparedDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes can be tens of megabytes; the report says what matters.
        f.debug_struct("PreparedDocument")
            .field("len", &self.bytes.len())
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl PreparedDocument {
    /// The bytes that will form the first part of the stamped file (the input, or its rewrite when repaired).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The same bytes, shared rather than copied (for the page renderer).
    pub fn shared_bytes(&self) -> std::sync::Arc<Vec<u8>> {
        std::sync::Arc::clone(&self.bytes)
    }

    /// The parsed document (images are not loaded: they are not needed for an incremental update).
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// Page object id for a 1-based page number.
    pub fn page_id(&self, page: u32) -> Option<ObjectId> {
        objects::pages(&self.doc).get(&page).copied()
    }

    /// A 1-based page as the reader shows it (visible area and rotation).
    pub fn page_frame(&self, page: u32) -> Option<PageFrame> {
        self.page_id(page)
            .map(|id| objects::page_frame(&self.doc, id))
    }

    /// Visible area of a 1-based page.
    pub fn page_box(&self, page: u32) -> Option<Rect> {
        self.page_id(page)
            .map(|id| objects::page_box(&self.doc, id))
    }
}

fn load(bytes: &[u8], opts: &IntakeOptions, skip: bool) -> Result<Document, IntakeError> {
    let load_options = LoadOptions {
        password: opts.password.clone(),
        filter: if skip {
            Some(objects::skip_images)
        } else {
            None
        },
        strict: false,
        max_decompressed_size: Some(opts.max_decompressed_size),
        force_reconstruct: false,
    };
    super::load::load_document(bytes, load_options).map_err(|e| match e {
        lopdf::Error::InvalidPassword
        | lopdf::Error::Decryption(lopdf::encryption::DecryptionError::IncorrectPassword) => {
            if opts.password.is_some() {
                IntakeError::WrongPassword
            } else {
                IntakeError::PasswordRequired
            }
        }
        lopdf::Error::UnsupportedSecurityHandler(name) if name == b"Adobe.PubSec" => {
            IntakeError::CertificateProtected
        }
        e @ (lopdf::Error::UnsupportedSecurityHandler(_) | lopdf::Error::Decryption(_)) => {
            IntakeError::UnsupportedEncryption(e)
        }
        e => IntakeError::Unreadable(e),
    })
}

/// Whether the encryption dictionary is still in force (no password, or password not accepted).
fn still_locked(doc: &Document) -> bool {
    doc.is_encrypted() && doc.encryption_state.is_none()
}

fn parse_version(v: &str) -> Option<(u8, u8)> {
    let (a, b) = v.trim().split_once('.')?;
    Some((
        a.parse().ok()?,
        b.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()?,
    ))
}

/// Check `bytes` and prepare them for stamping.
///
/// Hashes the input on a second thread while parsing (the stamp's digest starts from this state), rewrites the
/// file when its cross-reference data had to be rebuilt, and refuses what cannot be stamped with a typed error.
pub fn intake(bytes: Vec<u8>, opts: &IntakeOptions) -> Result<PreparedDocument, IntakeError> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(IntakeError::Empty);
    }
    if size > opts.max_bytes {
        return Err(IntakeError::TooLarge {
            size,
            limit: opts.max_bytes,
        });
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(IntakeError::NotPdf);
    }

    let (hash, loaded) = std::thread::scope(|s| {
        let hasher = s.spawn(|| Sha256::new().chain_update(&bytes));
        let loaded = load(&bytes, opts, true);
        // The hashing thread cannot panic; fall back to hashing here if it somehow did.
        let hash = hasher
            .join()
            .unwrap_or_else(|_| Sha256::new().chain_update(&bytes));
        (hash, loaded)
    });
    let mut doc = loaded?;
    if still_locked(&doc) {
        if let Some(handler) = super::load::security_handler(&doc)
            && handler != b"Standard"
        {
            return Err(if handler == b"Adobe.PubSec" {
                IntakeError::CertificateProtected
            } else {
                IntakeError::UnsupportedEncryption(lopdf::Error::UnsupportedSecurityHandler(
                    handler,
                ))
            });
        }
        return Err(if opts.password.is_some() {
            IntakeError::WrongPassword
        } else {
            IntakeError::PasswordRequired
        });
    }
    if objects::pages(&doc).is_empty() {
        // The image filter also turns off lopdf's rebuild of an unreadable page tree; read once more without it.
        doc = load(&bytes, opts, false)?;
    }
    let encrypted = doc.encryption_state.is_some();

    let mut warnings = Vec::new();
    let mut bytes = bytes;
    let mut prefix_hash = hash;
    let damaged = doc.xref_recovery == Some(XrefRecovery::Reconstructed) || doc.xref_start == 0;
    let hybrid =
        !damaged && is_hybrid(&bytes[super::load::header_offset(&bytes)..], doc.xref_start);
    if hybrid && (encrypted || !objects::signatures(&doc).is_empty()) {
        warnings.push(IntakeWarning::HybridKept);
    } else if damaged || hybrid {
        // An incremental update needs a correct /Prev chain; a rebuilt table has none. A hybrid file
        // has one, but strict validators refuse any signature added to it. Rewrite the whole file
        // (all objects, images included) and stamp the rewrite.
        let full = load(&bytes, opts, false)?;
        if encrypted || !objects::signatures(&full).is_empty() {
            return Err(IntakeError::DamagedProtected);
        }
        let mut full = full;
        // The rewrite holds only the objects in use: object and cross-reference streams are not
        // written again, so /Size counts from the highest object kept, not from the old table.
        full.objects.retain(|_, o| {
            !o.as_stream()
                .is_ok_and(|s| s.dict.has_type(b"XRef") || s.dict.has_type(b"ObjStm"))
        });
        full.max_id = full.objects.keys().next_back().map_or(0, |id| id.0);
        let mut rewritten = Vec::with_capacity(bytes.len() + 1024);
        full.save_to(&mut rewritten).map_err(IntakeError::Rewrite)?;
        drop(full);
        bytes = rewritten;
        doc = load(&bytes, opts, true)?;
        prefix_hash = Sha256::new().chain_update(&bytes);
        warnings.push(if damaged {
            IntakeWarning::Repaired
        } else {
            IntakeWarning::HybridRewritten
        });
    } else if doc.xref_recovery == Some(XrefRecovery::OffsetCorrected) {
        warnings.push(IntakeWarning::OffsetsCorrected);
    }

    let pages_map = objects::pages(&doc);
    let pages = u32::try_from(pages_map.len()).unwrap_or(u32::MAX);
    if pages == 0 {
        return Err(IntakeError::NoPages);
    }
    if pages > opts.max_pages {
        return Err(IntakeError::TooManyPages {
            pages,
            limit: opts.max_pages,
        });
    }

    let certification_level = objects::docmdp_level(&doc);
    if certification_level == Some(1) {
        return Err(IntakeError::CertifiedNoChanges);
    }

    let signatures: Vec<ExistingSignature> = objects::signatures(&doc)
        .into_iter()
        .map(|s| ExistingSignature {
            field: s.field_name,
            signer: objects::get_text(&doc, &s.sig, b"Name"),
            reason: objects::get_text(&doc, &s.sig, b"Reason"),
            sub_filter: objects::get_name(&doc, &s.sig, b"SubFilter")
                .map(|n| String::from_utf8_lossy(n).into_owned()),
        })
        .collect();

    let mut version = doc.version.clone();
    if let Some(cat_version) = doc
        .catalog()
        .ok()
        .and_then(|c| objects::get_name(&doc, c, b"Version"))
        .map(|n| String::from_utf8_lossy(n).into_owned())
        && parse_version(&cat_version) > parse_version(&version)
    {
        version = cat_version;
    }

    let page_sizes: Vec<(f64, f64)> = pages_map
        .values()
        .map(|&id| {
            let b = objects::page_box(&doc, id);
            (b.width(), b.height())
        })
        .collect();

    if let Some(profile) = &opts.profile {
        profile_warnings(
            profile,
            bytes.len() as u64,
            &version,
            &page_sizes,
            &mut warnings,
        );
    }

    let report = IntakeReport {
        size_bytes: size,
        pages,
        version,
        encrypted,
        signatures,
        certification_level,
        repaired: damaged,
        page_sizes,
        warnings,
    };
    Ok(PreparedDocument {
        bytes: std::sync::Arc::new(bytes),
        doc,
        prefix_hash,
        password: opts.password.clone(),
        report,
    })
}

/// Whether any cross-reference section on the `/Prev` chain from `xref_start` is a hybrid one: a
/// classic table whose trailer names an `/XRefStm`. Reads only the sections themselves (a table
/// and its trailer, up to the next `startxref`), never the whole file.
fn is_hybrid(bytes: &[u8], xref_start: usize) -> bool {
    // A section is its table plus trailer; a table of a million objects is 20 MB. Anything larger
    // is not a section this check needs to understand.
    const MAX_SECTION: usize = 32 << 20;
    let mut seen = std::collections::HashSet::new();
    let mut at = xref_start;
    while at < bytes.len() && seen.insert(at) {
        let window = &bytes[at..bytes.len().min(at.saturating_add(MAX_SECTION))];
        let end = find(window, b"startxref").unwrap_or(window.len());
        let section = &window[..end];
        if find(section, b"/XRefStm").is_some() {
            return true;
        }
        let Some(prev) = find(section, b"/Prev").and_then(|i| leading_number(&section[i + 5..]))
        else {
            return false;
        };
        at = prev;
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The unsigned integer after optional white space at the start of `b`.
fn leading_number(b: &[u8]) -> Option<usize> {
    let digits: Vec<u8> = b
        .iter()
        .skip_while(|c| c.is_ascii_whitespace())
        .take_while(|c| c.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn profile_warnings(
    p: &TargetProfile,
    size: u64,
    version: &str,
    pages: &[(f64, f64)],
    out: &mut Vec<IntakeWarning>,
) {
    if let Some(limit) = p.max_bytes {
        let estimated = size + STAMP_OVERHEAD_BYTES;
        if estimated > limit {
            out.push(IntakeWarning::TooLargeForProfile {
                profile: p.name.clone(),
                estimated_bytes: estimated,
                limit_bytes: limit,
            });
        }
    }
    if let Some((want_w, want_h)) = p.page_size_mm {
        // 2 mm tolerance: scanners and "Print to PDF" round A4 differently.
        const TOL: f64 = 2.0;
        for (i, &(w, h)) in pages.iter().enumerate() {
            let (wm, hm) = (pt_to_mm(w), pt_to_mm(h));
            let fits = |a: f64, b: f64| (a - want_w).abs() <= TOL && (b - want_h).abs() <= TOL;
            if !fits(wm, hm) && !fits(hm, wm) {
                out.push(IntakeWarning::PageSize {
                    profile: p.name.clone(),
                    page: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    width_mm: wm,
                    height_mm: hm,
                });
            }
        }
    }
    if let Some(min) = p.min_version
        && parse_version(version).is_none_or(|v| v < min)
    {
        out.push(IntakeWarning::VersionTooLow {
            profile: p.name.clone(),
            version: version.to_string(),
            minimum: format!("{}.{}", min.0, min.1),
        });
    }
}

/// An unsigned PDF older than 1.6 with its header rewritten to 1.7 in place (same length: no byte
/// offset moves, every object stays as it was); `None` when the file is 1.6 or later, has no
/// header in its first kilobyte, or is signed (a signature covers the header's bytes). Peruri's
/// adapter otherwise re-copies such a file into a new one before signing, and the output would no
/// longer contain the customer's file. Every PDF 1.x file is a valid 1.7 file.
pub fn upgraded_to_1_7(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(1024)];
    let at = memchr::memmem::find(head, b"%PDF-1.")?;
    let minor = *bytes.get(at + 7)?;
    let after = bytes.get(at + 8).copied().unwrap_or(b'\n');
    if !(b'0'..b'6').contains(&minor) || after.is_ascii_digit() {
        return None;
    }
    if memchr::memmem::find(bytes, b"/ByteRange").is_some() {
        return None;
    }
    let mut out = bytes.to_vec();
    out[at + 7] = b'7';
    Some(out)
}

#[cfg(test)]
mod upgrade_tests {
    use super::upgraded_to_1_7;

    #[test]
    fn old_headers_become_1_7_and_nothing_else_moves() {
        let check = |input: &[u8], want: Option<&[u8]>| {
            assert_eq!(upgraded_to_1_7(input).as_deref(), want, "{input:?}");
        };
        check(b"%PDF-1.4\n1 0 obj\n", Some(b"%PDF-1.7\n1 0 obj\n"));
        check(b"%PDF-1.0\r\n", Some(b"%PDF-1.7\r\n"));
        check(b"junk\n%PDF-1.5\n", Some(b"junk\n%PDF-1.7\n"));
        check(b"%PDF-1.6\n", None);
        check(b"%PDF-1.7\n", None);
        check(b"%PDF-2.0\n", None);
        check(b"%PDF-1.50\n", None);
        check(b"no header", None);
        check(b"%PDF-1.3\n<</ByteRange [0 10 20 30]>>", None);
    }
}
