//! Anchors of the journal outside the database: the chain's head at each Z report and daily pack, time-stamped by a TSA, and their check.
//!
//! A hash chain alone does not stop whoever can write the database: they edit an entry and recompute
//! every later hash. What they cannot recompute is a head that already left the database — printed
//! on a Z slip, mailed in a daily pack, or signed with a time by a TSA whose key is not on this disk.
//! `verify` holds the chain to those heads.

use crate::branch::Parts;
use crate::day::BusinessDay;
use crate::journal::Entry;
use crate::pdf::trust::{self, TrustProblem};
use crate::pdf::tsa::{TimestampSource, TsaError, request_token, token_tst_info};
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::store::{StoreError, Tx};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::{Duration, SystemTime};
use x509_cert::Certificate;

/// How many hex digits of a hash the short form shows (on paper and in mail).
pub const SHORT_HEX: usize = 16;

/// An anchor could not be made or stamped.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    Store(#[from] StoreError),
    Tsa(#[from] TsaError),
    Encode(#[source] der::Error),
    TrainingTsa { folder: String, detail: String },
    TsaUrl(#[source] crate::stamping::tsa_http::HttpTsaError),
}

impl From<crate::store::sql::Error> for AnchorError {
    fn from(e: crate::store::sql::Error) -> AnchorError {
        AnchorError::Store(StoreError::from(e))
    }
}

/// The chain's head at one moment: an entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl Head {
    /// `#1234 9f86d081884c7d65`: what a person copies off paper.
    pub fn short(&self) -> String {
        format!("#{} {}", self.seq, self.short_hash())
    }

    /// The hash's first hex digits, as `short` writes them.
    pub fn short_hash(&self) -> &str {
        &self.hash[..SHORT_HEX.min(self.hash.len())]
    }

    /// `"<seq>:<hash>"`: the text whose SHA-256 the TSA signs.
    pub fn stamped_text(&self) -> String {
        format!("{}:{}", self.seq, self.hash)
    }

    /// What the TSA signs: SHA-256 of `"<seq>:<hash>"`.
    pub fn imprint(&self) -> [u8; 32] {
        Sha256::digest(self.stamped_text().as_bytes()).into()
    }
}

/// The journal's newest entry, as `journal_head` records it.
pub fn head(conn: &Connection) -> Result<Option<Head>, StoreError> {
    Ok(conn
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", (), |r| {
            Ok(Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .optional()?)
}

/// What an anchor was made for: `z:<n>` or `daily:<date>` in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Z(i64),
    Daily(BusinessDay),
}

impl Reason {
    pub fn code(&self) -> String {
        match self {
            Reason::Z(n) => format!("z:{n}"),
            Reason::Daily(d) => format!("daily:{d}"),
        }
    }
}

/// What carries an anchor, in the words a supervisor looks for: "Z nomor 12", "paket harian
/// 2026-11-23".
pub fn carrier(code: &str) -> String {
    crate::words::current().anchor_carrier(code)
}

/// Records the current head as an anchor for `reason` inside the caller's transaction (which
/// journals the change it belongs to). `None` on an empty journal.
pub(crate) fn record(tx: &Tx<'_>, reason: Reason) -> Result<Option<Head>, StoreError> {
    let Some(head) = head(tx)? else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO journal_anchors (seq, hash, made_ms, reason) VALUES (?1, ?2, ?3, ?4)",
        params![head.seq, head.hash, tx.now_ms(), reason.code()],
    )?;
    Ok(Some(head))
}

/// Anchors the journal for the daily pack of `day` and stamps it (or leaves it for the worker when
/// the TSA does not answer). The anchor covers its own `journal.anchored` entry.
pub fn anchor_daily(
    branch: &mut Parts<'_>,
    actor: &str,
    day: BusinessDay,
) -> Result<Head, AnchorError> {
    let head = branch.store_mut().write(|tx| {
        let seq = tx.journal_seq(Entry::new(
            actor,
            "journal.anchored",
            Reason::Daily(day).code(),
            serde_json::json!({ "reason": Reason::Daily(day).code() }),
        ))?;
        let head = record(tx, Reason::Daily(day))?;
        head.filter(|h| h.seq == seq)
            .ok_or_else(|| StoreError::Journal("the anchored head is not the new entry".into()))
    })?;
    // A TSA that is down must not cost the supervisor the pack: the worker stamps it later.
    let _ = stamp_pending_anchors(branch);
    Ok(head)
}

/// The TSA anchors are stamped by: `[stamping] tsa_url`, else the branch's training TSA in
/// `DATA/pki` (created when missing, as the local provider does), so an anchor is never left
/// unstamped for want of a configured TSA.
fn timestamp_source(branch: &Parts<'_>) -> Result<Box<dyn TimestampSource>, AnchorError> {
    if let Some(url) = &branch.config().stamping.tsa_url {
        return Ok(Box::new(
            crate::stamping::tsa_http::HttpTsa::new(url).map_err(AnchorError::TsaUrl)?,
        ));
    }
    let dir = branch.data_dir().join(crate::branch::PKI_FOLDER);
    let training = |detail: String| AnchorError::TrainingTsa {
        folder: dir.display().to_string(),
        detail,
    };
    let mut paths = crate::pdf::pki::TrainingPkiPaths::in_dir(&dir);
    if !paths.exists() {
        paths = crate::pdf::pki::generate_training_pki(&dir, &branch.config().branch.name)
            .map_err(|e| training(e.to_string()))?;
    }
    let tsa = crate::pdf::LocalTsa::from_files(&paths.tsa_key, &paths.tsa_chain)
        .map_err(|e| training(e.to_string()))?;
    Ok(Box::new(tsa))
}

/// A DER timestamp token from `tsa` over `head` (SHA-256 of `"<seq>:<hash>"`), checked to answer
/// this request.
pub fn token_for(tsa: &dyn TimestampSource, head: &Head) -> Result<Vec<u8>, AnchorError> {
    let token = request_token(tsa, head.stamped_text().as_bytes())?;
    token.to_der().map_err(AnchorError::Encode)
}

/// Asks the TSA for a token for every anchor that has none, oldest first; returns how many were
/// stamped. Stops at the first TSA failure (the rest wait for the next round).
pub fn stamp_pending_anchors(branch: &mut Parts<'_>) -> Result<usize, AnchorError> {
    let pending: Vec<(i64, Head)> = branch.store_mut().read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, seq, hash FROM journal_anchors WHERE tsa_token IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map((), |r| {
            Ok((
                r.get(0)?,
                Head {
                    seq: r.get(1)?,
                    hash: r.get(2)?,
                },
            ))
        })?;
        rows.collect::<crate::store::sql::Result<Vec<_>>>()
            .map_err(StoreError::from)
    })?;
    if pending.is_empty() {
        return Ok(0);
    }
    let tsa = timestamp_source(branch)?;
    let mut stamped = 0;
    for (id, head) in pending {
        // Outside any transaction: a slow TSA must not hold the writers' lock.
        let der = token_for(tsa.as_ref(), &head)?;
        branch.store_mut().write(|tx| {
            tx.execute(
                "UPDATE journal_anchors SET tsa_token = ?2, stamped_ms = ?3
                 WHERE id = ?1 AND tsa_token IS NULL",
                params![id, der, tx.now_ms()],
            )?;
            // The token is evidence about an entry already in the chain, checked on its own by
            // `verify`; journalling it would move the head past every anchor it stamps.
            tx.unchanged();
            Ok::<_, StoreError>(())
        })?;
        stamped += 1;
    }
    Ok(stamped)
}

/// A head read off paper or mail: `N:HASH`, the hash whole or its first 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for Claim {
    type Err = String;

    fn from_str(s: &str) -> Result<Claim, String> {
        let bad = || crate::words::current().anchor_claim_bad(s);
        let (seq, hash) = s
            .trim()
            .trim_start_matches('#')
            .split_once([':', ' '])
            .ok_or_else(bad)?;
        let seq: i64 = seq.trim().parse().map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() < SHORT_HEX || hash.len() > 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(bad());
        }
        Ok(Claim { seq, hash })
    }
}

/// Why an anchor's timestamp token does not vouch for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "token", rename_all = "snake_case")]
pub enum TokenProblem {
    /// Not a readable RFC 3161 token.
    Unreadable,
    /// The token is over another head.
    WrongImprint,
    /// The TSA's signature does not verify over the token.
    BadSignature,
    /// The TSA's certificate does not chain to a trusted root, or may not stamp times.
    Untrusted { detail: String },
    /// The token says it was made before the anchored entry existed.
    TooEarly,
}

/// The first anchor the journal contradicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AnchorProblem {
    /// The entry at the anchored number is gone or carries another hash.
    Contradicted {
        reason: String,
        anchored: Head,
        found: Option<String>,
    },
    /// The anchor's token does not vouch for the anchored head.
    Token {
        reason: String,
        anchored: Head,
        why: TokenProblem,
    },
    /// A Z report made after anchoring began, or a daily pack's `journal.anchored` entry, has no
    /// anchor (its row was removed).
    Missing { reason: String },
    /// A head given with `--anchor` does not match the journal.
    Claim { claim: Claim, found: Option<String> },
}

/// An anchor whose timestamp came late (the TSA was unreachable when it was made), or that still
/// waits for one: the evidence for the entries it covers left the branch only when it was stamped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delay {
    pub reason: String,
    pub anchored: Head,
    pub made_ms: i64,
    /// When the token was stored; `None` while it still waits.
    pub stamped_ms: Option<i64>,
}

impl Delay {
    /// How long the anchor waited (until `now_ms` while it still waits).
    pub fn waited_ms(&self, now_ms: i64) -> i64 {
        self.stamped_ms.unwrap_or(now_ms) - self.made_ms
    }

    /// `jangkar Z nomor 3 (#812 9f86…) dicap 2 jam 5 menit setelah dibuat` or `… menunggu TSA
    /// sejak 2 jam 5 menit`.
    pub fn sentence(&self, now_ms: i64) -> String {
        crate::words::current().anchor_delay(
            &carrier(&self.reason),
            &self.anchored.short(),
            &duration_words(self.waited_ms(now_ms)),
            self.stamped_ms.is_some(),
        )
    }
}

/// A stamp later than this after its anchor was made is reported as late.
pub const LATE_AFTER_MS: i64 = 60_000;

/// `3 hari 2 jam`, `2 jam 5 menit`, `4 menit`, `kurang dari 1 menit`.
pub fn duration_words(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    crate::words::current().duration_words(minutes / 1440, minutes / 60 % 24, minutes % 60)
}

/// Every anchor stamped late or still waiting for its timestamp, oldest first (what the pack
/// shows; `verify` lists the same for the anchors it checked).
pub fn delays(conn: &Connection) -> Result<Vec<Delay>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT reason, seq, hash, made_ms, stamped_ms FROM journal_anchors
         WHERE stamped_ms IS NULL OR stamped_ms - made_ms > ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([LATE_AFTER_MS], |r| {
        Ok(Delay {
            reason: r.get(0)?,
            anchored: Head {
                seq: r.get(1)?,
                hash: r.get(2)?,
            },
            made_ms: r.get(3)?,
            stamped_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<crate::store::sql::Result<_>>()?)
}

/// What the anchors say about the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorReport {
    /// Anchors stored in the database.
    pub anchors: u64,
    /// Of those, how many carry a token that verified.
    pub stamped: u64,
    /// Of those, how many still wait for a token.
    pub pending: u64,
    /// Heads given on the command line that were checked.
    pub claims: u64,
    /// The entry the first anchor holds: entries up to it were rewritable before anchoring began.
    pub anchored_from: Option<i64>,
    /// The newest anchored entry: entries after it are held only by the chain until the next anchor.
    pub anchored_to: Option<i64>,
    /// Anchors stamped late or still waiting for their timestamp, oldest first.
    pub delays: Vec<Delay>,
    pub problem: Option<AnchorProblem>,
}

impl AnchorReport {
    pub fn intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// The trust roots for anchor tokens: the branch's training CA and Peruri's configured roots.
pub fn roots(config: &crate::config::Config, data_dir: &Path) -> Vec<Certificate> {
    let mut roots = Vec::new();
    let ca = crate::pdf::pki::TrainingPkiPaths::in_dir(&data_dir.join(crate::branch::PKI_FOLDER))
        .ca_cert;
    let mut files: Vec<&Path> = vec![ca.as_path()];
    if let Some(p) = &config.stamping.peruri {
        files.extend(p.root_certs.iter().map(|p| p.as_path()));
    }
    for file in files {
        // An unreadable root only makes tokens from that TSA untrusted, which verify then says.
        if let Ok(mut found) = crate::pdf::load_roots(file) {
            roots.append(&mut found);
        }
    }
    roots
}

struct Row {
    reason: String,
    anchored: Head,
    token: Option<Vec<u8>>,
    made_ms: i64,
    stamped_ms: Option<i64>,
}

/// Checks every stored anchor and every `claims` head against the journal as it is now.
pub fn verify(
    conn: &Connection,
    roots: &[Certificate],
    claims: &[Claim],
) -> Result<AnchorReport, StoreError> {
    let rows: Vec<Row> = {
        let mut stmt = conn.prepare(
            "SELECT reason, seq, hash, tsa_token, made_ms, stamped_ms FROM journal_anchors
             ORDER BY seq, id",
        )?;
        let rows = stmt.query_map((), |r| {
            Ok(Row {
                reason: r.get(0)?,
                anchored: Head {
                    seq: r.get(1)?,
                    hash: r.get(2)?,
                },
                token: r.get(3)?,
                made_ms: r.get(4)?,
                stamped_ms: r.get(5)?,
            })
        })?;
        rows.collect::<crate::store::sql::Result<_>>()?
    };
    let entry = |seq: i64| -> Result<Option<(String, i64)>, StoreError> {
        Ok(conn
            .query_row(
                "SELECT hash, at_ms FROM journal WHERE seq = ?1",
                [seq],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    };
    let mut report = AnchorReport {
        anchors: rows.len() as u64,
        stamped: 0,
        pending: 0,
        claims: claims.len() as u64,
        anchored_from: rows.first().map(|r| r.anchored.seq),
        anchored_to: rows.last().map(|r| r.anchored.seq),
        delays: Vec::new(),
        problem: None,
    };
    for row in &rows {
        let Row {
            reason,
            anchored,
            token,
            made_ms,
            stamped_ms,
        } = row;
        if stamped_ms.is_none_or(|t| t - made_ms > LATE_AFTER_MS) {
            report.delays.push(Delay {
                reason: reason.clone(),
                anchored: anchored.clone(),
                made_ms: *made_ms,
                stamped_ms: *stamped_ms,
            });
        }
        let found = entry(anchored.seq)?;
        let Some((hash, at_ms)) = found.clone().filter(|(h, _)| *h == anchored.hash) else {
            report.problem = Some(AnchorProblem::Contradicted {
                reason: reason.clone(),
                anchored: anchored.clone(),
                found: found.map(|f| f.0),
            });
            return Ok(report);
        };
        debug_assert_eq!(hash, anchored.hash);
        match token {
            None => report.pending += 1,
            Some(der) => match check_token(der, anchored, at_ms, roots) {
                Ok(()) => report.stamped += 1,
                Err(why) => {
                    report.problem = Some(AnchorProblem::Token {
                        reason: reason.clone(),
                        anchored: anchored.clone(),
                        why,
                    });
                    return Ok(report);
                }
            },
        }
    }
    // Z numbers are gapless: once anchoring began, a Z without its anchor lost it to someone.
    let missing: Option<i64> = conn
        .query_row(
            "SELECT MIN(z.number) FROM z_reports z
             WHERE z.number > (SELECT MIN(CAST(substr(reason, 3) AS INTEGER)) FROM journal_anchors WHERE reason LIKE 'z:%')
               AND NOT EXISTS (SELECT 1 FROM journal_anchors a WHERE a.reason = 'z:' || z.number)",
            (),
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(n) = missing {
        report.problem = Some(AnchorProblem::Missing {
            reason: Reason::Z(n).code(),
        });
        return Ok(report);
    }
    // A daily pack's anchor sits on its own `journal.anchored` entry: such an entry without its
    // anchor row lost it to someone.
    let lost_daily: Option<String> = conn
        .query_row(
            "SELECT j.detail FROM journal j
             WHERE j.kind = 'journal.anchored'
               AND NOT EXISTS (SELECT 1 FROM journal_anchors a WHERE a.seq = j.seq)
             ORDER BY j.seq LIMIT 1",
            (),
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .map(|detail| {
            serde_json::from_str::<serde_json::Value>(&detail)
                .ok()
                .and_then(|d| d.get("reason")?.as_str().map(str::to_string))
                .unwrap_or_default()
        });
    if let Some(reason) = lost_daily {
        report.problem = Some(AnchorProblem::Missing { reason });
        return Ok(report);
    }
    for claim in claims {
        let found = entry(claim.seq)?.map(|f| f.0);
        if !found.as_deref().is_some_and(|h| h.starts_with(&claim.hash)) {
            report.problem = Some(AnchorProblem::Claim {
                claim: claim.clone(),
                found,
            });
            return Ok(report);
        }
    }
    Ok(report)
}

/// Whether `der` is a token from a trusted TSA over `anchored`, made after the entry (at `at_ms`).
pub fn check_token(
    der: &[u8],
    anchored: &Head,
    at_ms: i64,
    roots: &[Certificate],
) -> Result<(), TokenProblem> {
    let token = ContentInfo::from_der(der).map_err(|_| TokenProblem::Unreadable)?;
    let tst = token_tst_info(&token).map_err(|_| TokenProblem::Unreadable)?;
    if tst.message_imprint.hashed_message.as_bytes() != anchored.imprint().as_slice() {
        return Err(TokenProblem::WrongImprint);
    }
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|_| TokenProblem::Unreadable)?;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or(TokenProblem::Unreadable)?;
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|e| e.decode_as::<OctetString>().ok())
        .ok_or(TokenProblem::Unreadable)?;
    let carried: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            _ => None,
        })
        .collect();
    let cert = carried
        .iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                ias.issuer == c.tbs_certificate.issuer
                    && ias.serial_number == c.tbs_certificate.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(_) => false,
        })
        .ok_or(TokenProblem::BadSignature)?;
    let attrs = si.signed_attrs.as_ref().ok_or(TokenProblem::BadSignature)?;
    let digest_ok = attrs
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .is_some_and(|m| m.as_bytes() == Sha256::digest(econtent.as_bytes()).as_slice());
    let signed = attrs.to_der().map_err(|_| TokenProblem::BadSignature)?;
    let signature_ok = trust::verify_signature(
        &cert.tbs_certificate.subject_public_key_info,
        &si.signature_algorithm.oid,
        &signed,
        si.signature.as_bytes(),
    )
    .unwrap_or(false);
    if !(digest_ok && signature_ok) {
        return Err(TokenProblem::BadSignature);
    }
    let gen_time = tst.gen_time.to_system_time();
    if !trust::is_time_stamping(cert) {
        return Err(TokenProblem::Untrusted {
            detail: "certificate lacks id-kp-timeStamping".into(),
        });
    }
    trust::check_chain(cert, &carried, roots, gen_time).map_err(|p: TrustProblem| {
        TokenProblem::Untrusted {
            detail: p.to_string(),
        }
    })?;
    // The training TSA writes whole seconds, so its genTime may read up to a second before the
    // entry it follows.
    let entry_time =
        SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
    if gen_time + Duration::from_secs(1) < entry_time {
        return Err(TokenProblem::TooEarly);
    }
    Ok(())
}
