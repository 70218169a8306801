//! The stamping service on `Branch`: a customer's document from intake to a verified stamped file,
//! each transition one store transaction with its journal entry and SN-ledger change.

use super::documents::{DocumentError, Documents};
use super::job::{self, JobError, JobId, Place, Sn, State, Step};
use super::ledger::{self, LedgerError};
use super::provider::{self, IssueRequest, NextStep, Provider, ProviderError, StampRequest};
use crate::branch::{Branch, BranchError};
use crate::crash;
use crate::delivery::Context;
use crate::journal::Entry;
use crate::pdf::placement::PlacementOptions;
use crate::pdf::{self, IntakeError, IntakeOptions};
use crate::store::{self, StoreError, Tx};
use crate::till::TillError;
use crate::till::domain::{Method, RefundRequest};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Approval action for settling a failed job with a new serial at no charge (subject `job/<id>`).
pub const ACTION_REISSUE: &str = "stamping.reissue";
/// A supervisor's approval to cancel a job left before payment, on `job/<id>`.
pub const ACTION_CANCEL: &str = "stamping.cancel";

/// Most spoiled serials replaced within one `run_job` before the job waits for the worker.
const MAX_SPOILED_PER_RUN: u32 = 3;

/// Serials the local path tries before it leaves the job to the two-step path (another process
/// drawing the same serial at the same moment is the only reason to try again).
const LOCAL_DRAW_TRIES: u32 = 4;

/// How the local provider's one-commit path ended.
enum Local {
    Stamped,
    /// The job stays `paid`; what failed decides between waiting and failing for good.
    Failed(ProviderError),
    /// Not this way (no serial to hold): the two-step path takes the job.
    TwoStep,
}

/// The approval subject of a job.
pub fn job_subject(id: i64) -> String {
    format!("job/{id}")
}

/// A document handed over at the counter.
#[derive(Debug, Clone)]
pub struct ReceiveDocument {
    pub bytes: Vec<u8>,
    pub name: String,
    pub ticket: Option<String>,
    pub counter: u32,
    pub clerk: String,
    pub password: Option<String>,
}

/// A job as screens, receipts and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: i64,
    pub state: State,
    pub state_label: &'static str,
    pub ticket: Option<String>,
    pub document_name: String,
    pub pages: u32,
    pub warnings: Vec<String>,
    pub place: Option<Place>,
    pub proposed: Option<Place>,
    pub sale_id: Option<i64>,
    pub sn: Option<String>,
    pub stamped_sha256: Option<String>,
    /// Indonesian: what happens next.
    pub message: String,
    pub attempts: u32,
    pub next_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    pub email: Option<String>,
    pub created_ms: i64,
    /// The document is locked with a password (which is never stored).
    pub locked: bool,
}

/// Progress of `run_job`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStage {
    IssuingSerial,
    Stamping,
    Verifying,
    Stored,
}

/// The verified stamped file of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobOutput {
    /// In the document store.
    pub path: PathBuf,
    pub sha256: String,
    /// The name the customer gets.
    pub file_name: String,
    pub sns: Vec<Sn>,
}

/// Which jobs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFilter {
    /// Paid and not yet stamped, waiting for the provider (what the worker retries).
    Unfinished,
    /// Every paid job not yet stamped: those the worker retries and those held for a person.
    OpenPaid,
    /// Created on this business day (`YYYY-MM-DD`).
    Day(String),
    Ticket(String),
    /// The most recent `n`.
    Recent(u32),
}

/// How a supervisor settles a job that failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Stamp again under a new serial, at no charge.
    NewSerial,
    /// Refund the job's sale line (approval for `sale.refund` on `sale/<id>`).
    Refund(Method),
}

#[derive(Debug, thiserror::Error)]
pub enum StampingError {
    #[error(transparent)]
    Intake(#[from] IntakeError),
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    User(#[from] crate::users::UserError),
    #[error("Pekerjaan meterai #{0} tidak ada. Periksa nomornya.")]
    UnknownJob(i64),
    #[error(
        "Pekerjaan meterai #{0} belum ditagih. Tambahkan e-Meterai ke penjualan dan terima pembayarannya dulu."
    )]
    NotQuoted(i64),
    #[error(
        "Dokumen pekerjaan meterai #{0} terkunci dan kata sandinya tidak disimpan. Panggil pelanggan ke loket dan ketik lagi kata sandinya (pekerjaan dilanjutkan di loket)."
    )]
    PasswordNeeded(i64),
    #[error(
        "Pekerjaan meterai #{job} masih terbuka di loket {counter}. Minta supervisor memindahkan kunjungan itu (loket queue move-visit) alih-alih menagih lagi."
    )]
    OpenElsewhere { job: i64, counter: u32 },
    #[error(
        "Penjualan #{sale} untuk pekerjaan meterai #{job} belum lunas. Terima pembayarannya dulu."
    )]
    NotPaid { job: i64, sale: i64 },
    #[error("Dokumen pekerjaan #{0} belum bermeterai; hasilnya belum bisa diserahkan.")]
    NoOutput(i64),
    #[error(
        "Halaman {page} tidak ada; dokumen hanya memiliki {pages} halaman. Pilih halaman lain."
    )]
    PageOutOfRange { page: u32, pages: u32 },
    #[error(
        "Hasil pembubuhan nomor seri {sn} tidak lolos pemeriksaan ({why}); dokumen tidak diserahkan dan pembubuhan diulang."
    )]
    BadOutput { sn: String, why: String },
    #[error("Nama berkas dokumen kosong. Beri nama berkas, misalnya surat.pdf.")]
    NoName,
}

impl From<rusqlite::Error> for StampingError {
    fn from(e: rusqlite::Error) -> Self {
        StampingError::Store(StoreError::Sql(e))
    }
}

impl From<StampingError> for BranchError {
    fn from(e: StampingError) -> Self {
        match e {
            StampingError::Store(s) => BranchError::Store(s),
            other => BranchError::Stamping(other),
        }
    }
}

type ProviderCache = Mutex<Vec<(PathBuf, Arc<dyn Provider>)>>;

fn providers() -> &'static ProviderCache {
    static CACHE: OnceLock<ProviderCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Vec::new()))
}

fn cache_key(data_dir: &Path) -> PathBuf {
    data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf())
}

/// Makes every `Branch` of `data_dir` in this process stamp through `provider` (tests, and a
/// process that keeps one provider's circuit breaker across branches).
pub fn install_provider(data_dir: &Path, provider: Arc<dyn Provider>) {
    let key = cache_key(data_dir);
    let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(k, _)| *k != key);
    cache.push((key, provider));
}

/// Forgets the provider of `data_dir` (the next call builds one from the configuration).
pub fn forget_provider(data_dir: &Path) {
    let key = cache_key(data_dir);
    let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(k, _)| *k != key);
}

/// Passwords of locked documents, by job, held in this process's memory only: never written to the
/// store, the journal, a log or `Debug` output. Lost with the process; the counter asks again.
#[derive(Default)]
pub struct DocPasswords(std::collections::HashMap<i64, crate::secret::Secret>);

impl DocPasswords {
    pub fn remember(&mut self, job: i64, password: String) {
        self.0.insert(job, crate::secret::Secret::new(password));
    }

    pub fn get(&self, job: i64) -> Option<String> {
        self.0.get(&job).map(|p| p.expose().to_string())
    }
}

impl std::fmt::Debug for DocPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocPasswords({} held)", self.0.len())
    }
}

/// One job row with the columns the domain type does not carry.
#[derive(Debug, Clone)]
struct Row {
    job: job::Job,
    /// The document needs its password (kept only in memory: [`DocPasswords`]).
    locked: bool,
    pages: u32,
    warnings: Vec<String>,
    proposed: Option<Place>,
    sn_requested_ms: Option<i64>,
    stamp_image: Option<Vec<u8>>,
    handle: Option<String>,
    email: Option<String>,
    whatsapp: Option<String>,
    created_ms: i64,
}

const ROW_COLUMNS: &str = "id, state, ticket, document_sha256, document_name, page, x, y, width, height, sale_id,
     request_id, sn, stamped_sha256, attempts, next_attempt_ms, last_error, locked, pages, warnings, proposed,
     sn_requested_ms, stamp_image, handle, email, created_ms, whatsapp";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let state: String = r.get(1)?;
    let page: Option<u32> = r.get(5)?;
    let place = match page {
        Some(page) => Some(Place {
            page,
            x: r.get(6)?,
            y: r.get(7)?,
            width: r.get(8)?,
            height: r.get(9)?,
        }),
        None => None,
    };
    let warnings: Option<String> = r.get(19)?;
    let proposed: Option<String> = r.get(20)?;
    Ok(Row {
        job: job::Job {
            id: r.get(0)?,
            state: State::parse(&state).unwrap_or(State::Held),
            ticket: r.get(2)?,
            document_sha256: r.get(3)?,
            document_name: r.get(4)?,
            place,
            sale_id: r.get(10)?,
            request_id: r.get(11)?,
            sn: r.get(12)?,
            stamped_sha256: r.get(13)?,
            attempts: r.get(14)?,
            next_attempt: r.get(15)?,
            last_error: r.get(16)?,
        },
        locked: r.get(17)?,
        pages: r.get::<_, Option<u32>>(18)?.unwrap_or(0),
        warnings: warnings
            .and_then(|w| serde_json::from_str(&w).ok())
            .unwrap_or_default(),
        proposed: proposed.and_then(|p| place_from_json(&p)),
        sn_requested_ms: r.get(21)?,
        stamp_image: r.get(22)?,
        handle: r.get(23)?,
        email: r.get(24)?,
        created_ms: r.get(25)?,
        whatsapp: r.get(26)?,
    })
}

fn place_json(p: &Place) -> String {
    json!({"page": p.page, "x": p.x, "y": p.y, "width": p.width, "height": p.height}).to_string()
}

fn place_from_json(text: &str) -> Option<Place> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(Place {
        page: u32::try_from(v.get("page")?.as_u64()?).ok()?,
        x: v.get("x")?.as_f64()?,
        y: v.get("y")?.as_f64()?,
        width: v.get("width")?.as_f64()?,
        height: v.get("height")?.as_f64()?,
    })
}

fn load(c: &Connection, id: i64) -> Result<Row, StampingError> {
    c.query_row(
        &format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE id = ?1"),
        [id],
        read_row,
    )
    .optional()?
    .ok_or(StampingError::UnknownJob(id))
}

fn verb(step: &Step) -> &'static str {
    match step {
        Step::Place(_) => "placed",
        Step::Paid { .. } => "paid",
        Step::SerialIssued { .. } => "serial_issued",
        Step::Stamped { .. } => "stamped",
        Step::Delivered => "delivered",
        Step::Wait { .. } => "waiting",
        Step::SerialSpoiled { .. } => "serial_spoiled",
        Step::Hold { .. } => "held",
        Step::Cancel => "cancelled",
        Step::Refund => "refunded",
        Step::Reissue { .. } => "reissued",
    }
}

/// Records a stored, checked output in `tx`: its document row, the serial as stamped in the
/// ledger, and the job's `stamped` step.
fn record_stamped(
    tx: &mut Tx<'_>,
    id: i64,
    sn: &str,
    sha: &str,
    bytes: usize,
) -> Result<(), StampingError> {
    tx.execute(
        "INSERT OR IGNORE INTO documents (sha256, bytes, stored_ms) VALUES (?1, ?2, ?3)",
        params![sha, bytes as i64, tx.now_ms()],
    )?;
    ledger::mark_stamped(tx, sn)?;
    apply_step(
        tx,
        "system",
        id,
        &Step::Stamped {
            sha256: sha.to_string(),
        },
        json!({"sn": sn, "output": sha, "bytes": bytes}),
    )?;
    Ok(())
}

/// Applies `step` to the job inside `tx`: the pure rule decides, the row is written, the journal
/// gets `job.<verb>` with `detail`.
fn apply_step(
    tx: &mut Tx<'_>,
    actor: &str,
    id: i64,
    step: &Step,
    detail: serde_json::Value,
) -> Result<job::Job, StampingError> {
    let row = load(tx, id)?;
    let next = job::apply(&row.job, step)?;
    let (page, x, y, w, h) = match next.place {
        Some(p) => (
            Some(p.page),
            Some(p.x),
            Some(p.y),
            Some(p.width),
            Some(p.height),
        ),
        None => (None, None, None, None, None),
    };
    tx.execute(
        "UPDATE stamp_jobs SET state = ?2, page = ?3, x = ?4, y = ?5, width = ?6, height = ?7, sale_id = ?8,
             request_id = ?9, sn = ?10, stamped_sha256 = ?11, attempts = ?12, next_attempt_ms = ?13,
             last_error = ?14, updated_ms = ?15 WHERE id = ?1",
        params![
            id,
            next.state.as_str(),
            page,
            x,
            y,
            w,
            h,
            next.sale_id,
            next.request_id,
            next.sn,
            next.stamped_sha256,
            next.attempts,
            next.next_attempt,
            next.last_error,
            tx.now_ms()
        ],
    )?;
    let mut detail = detail;
    if let Some(map) = detail.as_object_mut() {
        map.insert("from".into(), json!(row.job.state.as_str()));
        map.insert("to".into(), json!(next.state.as_str()));
    }
    tx.journal(Entry::new(
        actor,
        format!("job.{}", verb(step)),
        job_subject(id),
        detail,
    ))?;
    Ok(next)
}

fn new_request_id(job: i64, n: u32) -> String {
    let mut rng = fastrand::Rng::new();
    let tail: String = (0..10)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.usize(..36)]))
        .collect();
    format!("J{job}-{n}-{tail}")
}

/// The request number of a request id (`J<job>-<n>-…`), to number its successor.
fn request_number(request_id: Option<&str>) -> u32 {
    request_id
        .and_then(|r| r.split('-').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn output_name(document_name: &str) -> String {
    let stem = document_name
        .strip_suffix(".pdf")
        .or_else(|| document_name.strip_suffix(".PDF"))
        .unwrap_or(document_name);
    format!("{stem}-emeterai.pdf")
}

fn message(row: &Row) -> String {
    let j = &row.job;
    match j.state {
        State::Received => {
            "Dokumen diterima. Periksa letak e-Meterai yang diusulkan, lalu tetapkan letaknya."
                .into()
        }
        State::Placed => {
            "Letak e-Meterai ditetapkan. Tagih e-Meterai di kasir, lalu terima pembayarannya."
                .into()
        }
        State::Paid | State::SerialIssued => match (&j.last_error, j.attempts) {
            (Some(err), n) if n > 0 => format!(
                "{err} Pelanggan boleh pulang dengan tanda terima klaim; dokumen dikirim lewat e-mail atau diambil begitu selesai."
            ),
            _ if row.locked => "Pembayaran diterima. Dokumen terkunci: e-Meterai dibubuhkan di loket yang memegang kata sandinya; bila loket itu sudah ditutup, pelanggan mengetik lagi kata sandinya di loket (kata sandi tidak disimpan).".into(),
            _ => "Pembayaran diterima. e-Meterai sedang dibubuhkan; tunggu sebentar.".into(),
        },
        State::Stamped => format!(
            "e-Meterai {} dibubuhkan dan diperiksa: sah. Serahkan dokumen ke flash disk atau kirim lewat e-mail.",
            j.sn.as_deref().unwrap_or("")
        ),
        State::Delivered => "Dokumen bermeterai sudah diserahkan kepada pelanggan.".into(),
        State::Held => format!(
            "Menunggu keputusan supervisor: {} Supervisor memilih nomor seri baru tanpa biaya (`loket job settle {} --new-serial`) atau pengembalian dana (`--refund`).",
            j.last_error.as_deref().unwrap_or("alasan tidak tercatat."),
            j.id
        ),
        State::Cancelled => "Pekerjaan dibatalkan sebelum pembayaran.".into(),
        State::Refunded => "Dana e-Meterai sudah dikembalikan kepada pelanggan.".into(),
    }
}

fn view(row: &Row) -> JobView {
    let j = &row.job;
    JobView {
        id: j.id,
        state: j.state,
        state_label: j.state.label(),
        ticket: j.ticket.clone(),
        document_name: j.document_name.clone(),
        pages: row.pages,
        warnings: row.warnings.clone(),
        place: j.place,
        proposed: row.proposed,
        sale_id: j.sale_id,
        sn: j.sn.clone(),
        stamped_sha256: j.stamped_sha256.clone(),
        message: message(row),
        attempts: j.attempts,
        next_attempt_ms: j.next_attempt,
        last_error: j.last_error.clone(),
        email: row.email.clone(),
        created_ms: row.created_ms,
        locked: row.locked,
    }
}

/// The sale line paying for a job: (sale, line number, sale status), newest first; voided sales
/// and refunded lines do not count.
fn paying_line(c: &Connection, job: i64) -> rusqlite::Result<Option<(i64, u32, String)>> {
    c.query_row(
        "SELECT s.id, l.line_no, s.status FROM sale_lines l JOIN sales s ON s.id = l.sale
         WHERE l.job = ?1 AND l.kind = 'item' AND s.status != 'voided' AND l.refunded_qty < l.quantity
         ORDER BY s.id DESC, l.line_no DESC LIMIT 1",
        [job],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// The sentence for a document that already carries an e-Meterai (a signature field named like
/// loket's `eMeterai_<SN>`, or one whose reason or signer names a meterai), with its serial when
/// the field name carries one.
fn earlier_emeterai(signatures: &[crate::pdf::intake::ExistingSignature]) -> Option<String> {
    let found: Vec<String> = signatures
        .iter()
        .filter(|s| {
            let named = |t: &Option<String>| {
                t.as_deref()
                    .is_some_and(|t| t.to_ascii_lowercase().contains("meterai"))
            };
            s.field.to_ascii_lowercase().contains("meterai") || named(&s.reason) || named(&s.signer)
        })
        .map(|s| {
            s.field
                .rsplit(['.', '_'])
                .next()
                .filter(|sn| sn.len() >= 10 && sn.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map_or_else(|| s.field.clone(), |sn| format!("SN {sn}"))
        })
        .collect();
    (!found.is_empty()).then(|| {
        format!(
            "Dokumen ini sudah memuat e-Meterai ({}). Tanyakan pelanggan apakah memang perlu e-Meterai lagi sebelum menagih; meterai baru tidak boleh menimpa yang lama.",
            found.join(", ")
        )
    })
}

fn retry_message(e: &ProviderError, local: bool) -> String {
    match e {
        ProviderError::QuotaExhausted { .. } if local => "Stok nomor seri e-Meterai lokal habis; minta supervisor memuat lot baru (`loket stamps load-lot --lot ID --count N --price RP`). Dokumen disimpan dan dibubuhi otomatis begitu stok tersedia.".into(),
        other => other.to_string(),
    }
}

impl Branch {
    /// The serial ledger's counts, by status and by lot.
    pub fn serial_inventory(&mut self) -> Result<ledger::Inventory, BranchError> {
        self.store
            .read(|c| ledger::inventory(c).map_err(BranchError::from))
    }

    /// The spoiled serials to claim back from the provider.
    pub fn serial_claims(&mut self) -> Result<Vec<ledger::Claim>, BranchError> {
        self.store
            .read(|c| ledger::claims(c).map_err(BranchError::from))
    }

    /// The counter whose visit holds job `id` (`None`: no counter holds it).
    pub fn job_counter(&mut self, id: i64) -> Result<Option<u32>, BranchError> {
        self.store.read(|c| {
            c.query_row("SELECT counter FROM stamp_jobs WHERE id = ?1", [id], |r| {
                r.get::<_, Option<u32>>(0)
            })
            .map_err(BranchError::from)
        })
    }

    fn documents(&self) -> Documents {
        Documents::new(&self.data_dir)
    }

    /// What the provider is asked to stamp: `original` with `sn` in the job's box, the branch's
    /// reason and location; no stamp image or upload handle (the Peruri path adds its own).
    fn stamp_request(
        &self,
        row: &Row,
        place: Place,
        request_id: String,
        sn: &str,
        original: &[u8],
    ) -> StampRequest {
        StampRequest {
            request_id,
            sn: sn.to_string(),
            document: provider::Document::Bytes(original.to_vec()),
            page: place.page,
            rect: provider::Rect {
                llx: place.x as f32,
                lly: place.y as f32,
                urx: (place.x + place.width) as f32,
                ury: (place.y + place.height) as f32,
            },
            reason: self.config.stamping.doc_type_name.clone(),
            location: self.config.stamping.location.clone(),
            password: self.passwords.get(row.job.id),
            stamp_image: None,
            handle: None,
        }
    }

    fn is_local_provider(&self) -> bool {
        self.config.stamping.provider != "peruri"
    }

    /// The roots a stamped output must chain to: the branch's training CA for the local provider,
    /// `[stamping.peruri] root_certs` for Peruri (none configured: nothing is trusted, and the
    /// jobs wait saying so).
    fn trust_roots(&self) -> Result<Vec<x509_cert::Certificate>, ProviderError> {
        let files: Vec<PathBuf> = if self.is_local_provider() {
            vec![
                pdf::pki::TrainingPkiPaths::in_dir(&self.data_dir.join(crate::branch::PKI_FOLDER))
                    .ca_cert,
            ]
        } else {
            self.config
                .stamping
                .peruri
                .as_ref()
                .map(|p| p.root_certs.iter().map(|f| self.data_dir.join(f)).collect())
                .unwrap_or_default()
        };
        let mut roots = Vec::new();
        for file in files {
            roots.extend(pdf::load_roots(&file).map_err(|e| {
                ProviderError::Config(format!("sertifikat akar {}: {e}", file.display()))
            })?);
        }
        Ok(roots)
    }

    /// Compares loket's ledger with the provider: counts of issued-but-unstamped serials and the
    /// remaining quota, and every serial the provider lists as issued-not-stamped that loket does
    /// not know, read page by page. A provider that cannot be asked is an error; a list that
    /// breaks off halfway is a discrepancy saying so (the counts still stand).
    pub fn reconcile_serials(&mut self) -> Result<ledger::Reconciliation, BranchError> {
        // Enough pages for any branch's unstamped serials; a list that never ends is not followed.
        const MAX_PAGES: u64 = 1_000;
        let page_size = self
            .config
            .stamping
            .peruri
            .as_ref()
            .map_or(500, |p| p.list_page_size.max(1));
        let provider = self.stamping_provider()?;
        let inventory = self.serial_inventory()?;
        let quota = provider.quota().map_err(StampingError::from)?;
        let mut rec = ledger::reconcile(&inventory, quota.not_stamped, Some(quota.remaining));
        // The provider's count of issued-unused serials includes those loket recorded as spoiled
        // (refused by the adapter, settled by a supervisor) that Peruri still shows unused: they
        // are expected, and claimable. So the count is compared after the list is read.
        rec.discrepancies.clear();
        let mut spoiled_listed = 0u64;
        let mut listed = 0u64;
        let mut complete = false;
        for n in 0..MAX_PAGES {
            let filter = provider::ListFilter {
                state: Some(provider::SerialState::NotStamped),
                start: n * u64::from(page_size),
                length: page_size,
            };
            let page = match provider.list_serials(&filter) {
                Ok(page) => page,
                Err(e) => {
                    rec.discrepancies.push(format!(
                        "daftar nomor seri penyedia tidak terbaca mulai urutan {}: {e} Ulangi pemeriksaan nanti",
                        filter.start
                    ));
                    break;
                }
            };
            listed += page.items.len() as u64;
            // What loket knows of each listed serial; one it does not know was issued for a
            // request whose reply came too late: it is recorded as spoiled, to be claimed.
            let notes: Vec<String> = self.store.write(|tx| {
                let mut notes = Vec::new();
                let mut recorded = false;
                for entry in &page.items {
                    let status: Option<String> = tx
                        .query_row(
                            "SELECT status FROM serials WHERE sn = ?1",
                            [&entry.sn],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match status.as_deref() {
                        Some("issued") => {}
                        Some("spoiled") => spoiled_listed += 1,
                        Some(other) => notes.push(format!(
                            "nomor seri {} berstatus '{other}' di loket tetapi belum dibubuhkan menurut penyedia",
                            entry.sn
                        )),
                        None if !is_own_request(tx, entry.file.as_deref())? => {
                            // Another system on the same account, or a request loket never made.
                            notes.push(format!(
                                "nomor seri {} tercatat di penyedia tetapi tidak di loket",
                                entry.sn
                            ));
                        }
                        None => {
                            spoiled_listed += 1;
                            if ledger::record_orphan(tx, &entry.sn, "peruri", ORPHAN_REASON)
                                .map_err(StampingError::from)?
                            {
                                recorded = true;
                                tx.journal(Entry::new(
                                    "system",
                                    "serial.orphan_recorded",
                                    &entry.sn,
                                    json!({"file": entry.file, "issued": entry.issued}),
                                ))?;
                            }
                            notes.push(format!(
                                "nomor seri {} tercatat di penyedia tetapi tidak di pekerjaan mana pun; dicatat rusak untuk klaim",
                                entry.sn
                            ));
                        }
                    }
                }
                if !recorded {
                    tx.unchanged();
                }
                Ok::<_, BranchError>(notes)
            })?;
            rec.discrepancies.extend(notes);
            let read = filter.start + page.items.len() as u64;
            if page.items.len() < page_size as usize || read >= page.total {
                complete = true;
                break;
            }
        }
        // Only a list read to its end says what the provider's count should be.
        let expected = inventory.issued + spoiled_listed;
        if complete && quota.not_stamped != expected {
            rec.discrepancies.push(format!(
                "penyedia mencatat {} nomor seri terbit belum dibubuhkan (daftarnya {listed}), loket mencatat {} terbit dan {spoiled_listed} rusak yang belum dipakai",
                quota.not_stamped, inventory.issued
            ));
        }
        Ok(rec)
    }

    /// The provider this branch stamps with; built once per data folder and process so that the
    /// circuit breaker and token cache survive between calls.
    pub fn stamping_provider(&self) -> Result<Arc<dyn Provider>, BranchError> {
        let key = cache_key(&self.data_dir);
        let mut cache = providers().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, p)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(p.clone());
        }
        let provider: Arc<dyn Provider> = if self.is_local_provider() {
            Arc::new(
                super::local::LocalProvider::open(
                    &self.data_dir,
                    &self.config,
                    self.clock().clone(),
                )
                .map_err(StampingError::from)?,
            )
        } else {
            Arc::new(
                super::peruri::PeruriProvider::from_config(&self.config.stamping)
                    .map_err(StampingError::from)?
                    .ok_or_else(|| {
                        StampingError::Provider(ProviderError::Config(
                            "bagian [stamping.peruri] belum diisi".into(),
                        ))
                    })?,
            )
        };
        cache.push((key, provider.clone()));
        Ok(provider)
    }

    fn job_row(&mut self, id: i64) -> Result<Row, BranchError> {
        Ok(self.store.read(|c| load(c, id))?)
    }

    /// Intake checks, stores the document by SHA-256 and creates the job (`received`) with the
    /// proposed place. A refused document creates no job.
    pub fn receive_document(&mut self, req: ReceiveDocument) -> Result<JobView, BranchError> {
        let name = req.name.trim().to_string();
        if name.is_empty() {
            return Err(StampingError::NoName.into());
        }
        let opts = IntakeOptions {
            max_bytes: u64::from(self.config.stamping.max_pdf_mb) * 1024 * 1024,
            password: req.password.clone(),
            ..IntakeOptions::default()
        };
        let locked = req.password.as_deref().is_some_and(|p| !p.is_empty());
        let size = req.bytes.len() as u64;
        let prepared = pdf::intake(req.bytes, &opts).map_err(StampingError::from)?;
        let report = prepared.report.clone();
        let placement = pdf::propose(
            &prepared,
            &PlacementOptions {
                size_pt: pdf::mm_to_pt(f64::from(self.config.stamping.stamp_size_mm)),
                ..PlacementOptions::default()
            },
        );
        let proposed = Place {
            page: placement.page,
            x: placement.rect.x0,
            y: placement.rect.y0,
            width: placement.rect.width(),
            height: placement.rect.height(),
        };
        let sha = self
            .documents()
            .put(prepared.bytes())
            .map_err(StampingError::from)?;
        let mut warnings: Vec<String> = report.warnings.iter().map(|w| w.message()).collect();
        if let Some(earlier) = self.paid_before(&sha)? {
            warnings.insert(0, earlier);
        }
        if let Some(stamped) = earlier_emeterai(&report.signatures) {
            warnings.insert(0, stamped);
        }
        let ticket = req
            .ticket
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let id = self.store.write(|tx| {
            let now = tx.now_ms();
            tx.execute(
                "INSERT OR IGNORE INTO documents (sha256, bytes, stored_ms) VALUES (?1, ?2, ?3)",
                params![sha, size as i64, now],
            )?;
            // A document stored again is kept again (its purge is cancelled).
            tx.execute(
                "UPDATE documents SET purge_after_ms = NULL, purged_ms = NULL WHERE sha256 = ?1",
                [&sha],
            )?;
            tx.execute(
                "INSERT INTO stamp_jobs (state, ticket, counter, clerk, document_sha256, document_name, locked,
                     pages, warnings, proposed, created_ms, updated_ms)
                 VALUES ('received', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    ticket,
                    req.counter,
                    req.clerk,
                    sha,
                    name,
                    locked,
                    report.pages,
                    serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into()),
                    place_json(&proposed),
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.journal(Entry::new(
                &req.clerk,
                "job.received",
                job_subject(id),
                json!({"document": sha, "name": name, "bytes": size, "pages": report.pages,
                       "ticket": ticket, "counter": req.counter, "warnings": warnings, "proposed": proposed}),
            ))?;
            Ok::<_, StampingError>(id)
        })?;
        if let Some(p) = req.password.filter(|p| !p.is_empty()) {
            self.passwords.remember(id, p);
        }
        self.job(id)
    }

    /// Gives a locked job's password again (the customer typed it at the counter after a restart or
    /// a move): it is checked against the stored document and kept in this process's memory only.
    pub fn unlock_job(&mut self, job: i64, password: &str) -> Result<(), BranchError> {
        let row = self.job_row(job)?;
        let bytes = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        pdf::intake(
            bytes,
            &IntakeOptions {
                password: Some(password.to_string()),
                max_bytes: u64::from(self.config.stamping.max_pdf_mb) * 1024 * 1024,
                ..IntakeOptions::default()
            },
        )
        .map_err(StampingError::from)?;
        self.passwords.remember(job, password.to_string());
        Ok(())
    }

    /// Whether another runner (the background worker, another process) is stamping the job right
    /// now: its per-job lock is held.
    pub fn job_running_elsewhere(&self, job: i64) -> Result<bool, BranchError> {
        Ok(lock_job(&self.data_dir, job)?.is_none())
    }

    /// Whether the job's document is locked and this process does not hold its password.
    pub fn job_needs_password(&mut self, job: i64) -> Result<bool, BranchError> {
        let row = self.job_row(job)?;
        Ok(row.locked && self.passwords.get(job).is_none())
    }

    /// When the same document (by SHA-256) was paid for in the last `keep_days`: the sentence the
    /// clerk reads before billing it again.
    fn paid_before(&mut self, sha: &str) -> Result<Option<String>, BranchError> {
        let since = crate::store::to_ms(self.store.now())
            - i64::from(self.config.stamping.keep_days.max(1)) * 86_400_000;
        let found: Option<(i64, i64, Option<String>, i64, String)> = self.store.read(|c| {
            c.query_row(
                "SELECT j.id, j.counter, j.sn, s.paid_ms, j.state FROM stamp_jobs j
                 JOIN sale_lines l ON l.job = j.id JOIN sales s ON s.id = l.sale
                 WHERE j.document_sha256 = ?1 AND s.status IN ('paid', 'partly_refunded')
                   AND s.paid_ms >= ?2 AND j.state NOT IN ('cancelled', 'refunded')
                 ORDER BY s.paid_ms DESC LIMIT 1",
                params![sha, since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(StoreError::Sql)
        })?;
        let tz = self.config.branch.timezone;
        Ok(found.map(|(job, counter, sn, paid_ms, state)| {
            let when = crate::when::When::ms(paid_ms, tz).full();
            let sn = sn.map(|sn| format!(", SN {sn}")).unwrap_or_default();
            let next = if state == "delivered" {
                "sudah diserahkan; tanyakan pelanggan sebelum menagih lagi"
            } else {
                "belum diserahkan; lanjutkan pekerjaan itu, jangan menagih lagi"
            };
            format!(
                "Dokumen ini sudah dibayar pada {when} di loket {counter} (pekerjaan #{job}{sn}) dan {next}."
            )
        }))
    }

    /// A paid job for the same document as `job` (by SHA-256) in the last `keep_days` that was not
    /// handed over yet: the visit can take it up instead of billing again.
    pub fn earlier_paid_job(&mut self, job: i64) -> Result<Option<i64>, BranchError> {
        let since = crate::store::to_ms(self.store.now())
            - i64::from(self.config.stamping.keep_days.max(1)) * 86_400_000;
        Ok(self.store.read(|c| {
            c.query_row(
                "SELECT j.id FROM stamp_jobs j
                 JOIN stamp_jobs me ON me.id = ?1 AND me.document_sha256 = j.document_sha256
                 JOIN sale_lines l ON l.job = j.id JOIN sales s ON s.id = l.sale
                 WHERE j.id != ?1 AND s.status IN ('paid', 'partly_refunded') AND s.paid_ms >= ?2
                   AND j.state IN ('paid', 'serial_issued', 'held', 'stamped')
                 ORDER BY s.paid_ms DESC LIMIT 1",
                params![job, since],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::Sql)
        })?)
    }

    /// The visit of `ticket` at `counter` takes up `earlier`, a paid job for the same document not
    /// handed over yet, instead of `received` (the copy just brought, cancelled: nothing was paid
    /// for it). Refused when `earlier`'s own visit is still open at another counter (a supervisor
    /// moves that visit instead).
    pub fn take_up_earlier_job(
        &mut self,
        received: i64,
        earlier: i64,
        ticket: &str,
        counter: u32,
        clerk: &str,
    ) -> Result<JobView, BranchError> {
        self.store.write(|tx| {
            let row = load(tx, earlier)?;
            if !matches!(
                row.job.state,
                State::Paid | State::SerialIssued | State::Held | State::Stamped
            ) {
                return Err(StampingError::Job(JobError::WrongState {
                    id: earlier,
                    state: row.job.state,
                }));
            }
            let open_elsewhere: Option<u32> = tx
                .query_row(
                    "SELECT t.counter FROM stamp_jobs j
                     JOIN tickets t ON t.counter = j.counter AND t.status IN ('called', 'serving')
                       AND t.issued_service || '-' || printf('%03d', t.number) = j.ticket
                     WHERE j.id = ?1 AND t.counter != ?2
                     ORDER BY t.id DESC LIMIT 1",
                    params![earlier, counter],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = open_elsewhere {
                return Err(StampingError::OpenElsewhere {
                    job: earlier,
                    counter: other,
                });
            }
            let now = tx.now_ms();
            tx.execute(
                "UPDATE stamp_jobs SET ticket = ?2, counter = ?3, adopted_ms = ?4, updated_ms = ?4 WHERE id = ?1",
                params![earlier, ticket, counter, now],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.taken_up",
                job_subject(earlier),
                json!({"ticket": ticket, "counter": counter, "from_ticket": row.job.ticket, "instead_of": received}),
            ))?;
            Ok(())
        })?;
        // The copy just brought was never billed: it goes (a failure leaves it for the purge).
        let _ = self.cancel_job(received, clerk);
        self.job(earlier)
    }

    /// Sets where the stamp goes (`placed`).
    pub fn place_job(
        &mut self,
        job: i64,
        clerk: &str,
        place: Place,
    ) -> Result<JobView, BranchError> {
        self.store.write(|tx| {
            let row = load(tx, job)?;
            if place.page > row.pages && row.pages > 0 {
                return Err(StampingError::PageOutOfRange {
                    page: place.page,
                    pages: row.pages,
                });
            }
            apply_step(tx, clerk, job, &Step::Place(place), json!({"place": place}))
        })?;
        crash::point("placed");
        self.job(job)
    }

    /// Adds one `meterai` line linked to the job to `sale` (or a new sale for the job's ticket at
    /// `counter`) and returns the sale id. A job already on a live sale line is not charged again.
    pub fn quote_job(
        &mut self,
        job: i64,
        counter: u32,
        clerk: &str,
        sale: Option<i64>,
    ) -> Result<i64, BranchError> {
        let row = self.job_row(job)?;
        if !matches!(row.job.state, State::Received | State::Placed) {
            return Err(StampingError::Job(JobError::WrongState {
                id: job,
                state: row.job.state,
            })
            .into());
        }
        if let Some((existing, _, _)) = self
            .store
            .read(|c| paying_line(c, job).map_err(StoreError::Sql))?
        {
            return Ok(existing);
        }
        let sale = match sale {
            Some(s) => s,
            None => {
                // The job's ticket as stored (it came from the counter or `--ticket`).
                let ticket = row
                    .job
                    .ticket
                    .as_deref()
                    .map(|t| t.parse().map_err(|_| TillError::BadTicket(t.to_string())))
                    .transpose()?;
                self.new_sale(counter, clerk, ticket.as_ref())?.id
            }
        };
        self.add_to_sale(sale, clerk, "meterai", 1, Some(job))?;
        Ok(sale)
    }

    /// After the sale is paid: checks it and moves the job to `paid`, storing the serial request's
    /// idempotency key before any provider call.
    pub fn job_paid(&mut self, job: i64, clerk: &str) -> Result<JobView, BranchError> {
        self.store.write(|tx| {
            let row = load(tx, job)?;
            let (sale, line, status) =
                paying_line(tx, job)?.ok_or(StampingError::NotQuoted(job))?;
            if row.job.state != State::Placed && row.job.sale_id == Some(sale) {
                // Paid already (a repeated call): nothing to do.
                tx.unchanged();
                return Ok(());
            }
            if status != "paid" {
                return Err(StampingError::NotPaid { job, sale });
            }
            let request_id = new_request_id(job, 1);
            apply_step(
                tx,
                clerk,
                job,
                &Step::Paid {
                    sale_id: sale,
                    request_id: request_id.clone(),
                },
                json!({"sale": sale, "line": line, "request_id": request_id}),
            )?;
            Ok(())
        })?;
        crash::point("paid");
        self.job(job)
    }

    /// Issues the serial (once per job) and stamps, verifies and stores the output: `stamped`. A
    /// provider that is down or busy leaves the job `paid`/`serial_issued` with its next attempt
    /// scheduled; the returned view's `message` says the customer can leave with a claim receipt.
    pub fn run_job(
        &mut self,
        job: i64,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<JobView, BranchError> {
        let provider = self.stamping_provider()?;
        self.run_job_with(job, provider.as_ref(), progress)
    }

    /// [`Branch::run_job`] with a given provider. A job another process is running right now (a
    /// counter, the supervisor console, `loket worker`) is left to it: its view is returned as it
    /// stands.
    pub fn run_job_with(
        &mut self,
        job: i64,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<JobView, BranchError> {
        let Some(_running) = lock_job(&self.data_dir, job)? else {
            return self.job(job);
        };
        let mut spoiled = 0;
        loop {
            let row = self.job_row(job)?;
            // A locked document is stamped only by a process that was given its password (it is
            // never stored): before any serial is asked for, not half-way.
            if row.locked
                && matches!(row.job.state, State::Paid | State::SerialIssued)
                && self.passwords.get(job).is_none()
            {
                return Err(StampingError::PasswordNeeded(job).into());
            }
            match row.job.state {
                State::Paid => {
                    // A job whose serial was asked for before (an earlier run went the two-step
                    // way) goes on that way: the request is looked up, never drawn twice.
                    if let Some(local) = provider.as_local()
                        && row.sn_requested_ms.is_none()
                    {
                        match self.run_local(&row, local, progress)? {
                            Local::Stamped => return self.job(job),
                            Local::Failed(e) => return self.provider_failed(&row, e),
                            Local::TwoStep => {}
                        }
                    }
                    if let Err(e) = self.issue_serial(&row, provider, progress)? {
                        return self.provider_failed(&row, e);
                    }
                }
                State::SerialIssued => match self.stamp_job(&row, provider, progress)? {
                    Ok(()) => return self.job(job),
                    Err(e) if e.next_step() == NextStep::NewSerial => {
                        self.serial_spoiled(&row, &e)?;
                        spoiled += 1;
                        if spoiled >= MAX_SPOILED_PER_RUN {
                            let row = self.job_row(job)?;
                            return self.provider_failed(&row, e);
                        }
                    }
                    Err(e) => return self.provider_failed(&row, e),
                },
                _ => return self.job(job),
            }
        }
    }

    /// The local provider's path from `paid` to `stamped` with one commit. The next available
    /// serial is held in memory (not drawn), the document is stamped with it, checked and stored
    /// (file and folder synced), and then ONE transaction draws the serial, if it is still
    /// available, and records `job.serial_requested`, `serial.drawn`, `job.serial_issued` and
    /// `job.stamped`. Before that commit nothing is drawn: a crash leaves the job `paid` and the
    /// inventory whole (at most an output file no job points at). A serial another process drew
    /// meanwhile is let go with its output, and the next one is tried.
    fn run_local(
        &mut self,
        row: &Row,
        local: &super::local::LocalProvider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Local, BranchError> {
        let id = row.job.id;
        let request_id = row
            .job
            .request_id
            .clone()
            .ok_or(StampingError::NotQuoted(id))?;
        let place = row
            .job
            .place
            .ok_or(StampingError::Job(JobError::NotPlaced))?;
        let original = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        for attempt in 0..LOCAL_DRAW_TRIES {
            let look = local.held() + 1;
            let candidates = self
                .store
                .read(|c| ledger::next_available(c, look).map_err(StampingError::from))?;
            // An empty inventory (or a first run that still has to load the training lot) is the
            // two-step path's to handle: it loads the lot or reports the empty inventory.
            let Some(held) = local.reserve(&candidates) else {
                return Ok(Local::TwoStep);
            };
            let sn = held.sn().to_string();
            if attempt == 0 {
                progress(JobStage::IssuingSerial);
            }
            crash::point("serial_received");
            progress(JobStage::Stamping);
            let request = self.stamp_request(row, place, request_id.clone(), &sn, &original);
            let stamped = match local.stamp(&request) {
                Ok(b) => b,
                Err(e) => return Ok(Local::Failed(e)),
            };
            progress(JobStage::Verifying);
            let roots = self.trust_roots().map_err(StampingError::from)?;
            let password = self.passwords.get(id);
            if let Err(why) = check_output(&original, &stamped, &sn, password.as_deref(), &roots) {
                return Ok(Local::Failed(ProviderError::Protocol {
                    detail: format!("stamped output failed its check: {why}"),
                }));
            }
            let docs = self.documents();
            let sha = docs.put(&stamped).map_err(StampingError::from)?;
            progress(JobStage::Stored);
            crash::point("stamp_written");
            let drawn = self.store.write(|tx| {
                if !ledger::draw(tx, &sn, id, &row.job.document_sha256)? {
                    tx.unchanged();
                    return Ok::<_, StampingError>(false);
                }
                tx.execute(
                    "UPDATE serials SET request_id = ?2 WHERE sn = ?1",
                    params![sn, request_id],
                )?;
                tx.execute(
                    "UPDATE stamp_jobs SET sn_requested_ms = ?2 WHERE id = ?1",
                    params![id, tx.now_ms()],
                )?;
                tx.journal(Entry::new(
                    "system",
                    "job.serial_requested",
                    job_subject(id),
                    json!({"request_id": request_id}),
                ))?;
                tx.journal(Entry::new(
                    "system",
                    "serial.drawn",
                    &sn,
                    json!({"job": id, "request_id": request_id, "document": row.job.document_sha256}),
                ))?;
                apply_step(
                    tx,
                    "system",
                    id,
                    &Step::SerialIssued { sn: sn.clone() },
                    json!({"sn": sn, "request_id": request_id, "reconciled": false, "provider": "local"}),
                )?;
                record_stamped(tx, id, &sn, &sha, stamped.len())?;
                Ok(true)
            })?;
            drop(held);
            if drawn {
                // One commit holds all three transitions; a crash test naming any of them stops here.
                for point in ["serial_requested", "serial_issued", "stamped"] {
                    crash::point(point);
                }
                return Ok(Local::Stamped);
            }
            // The output carries a serial that is not ours: it must never be delivered.
            docs.remove(&sha).map_err(StampingError::from)?;
        }
        Ok(Local::TwoStep)
    }

    fn issue_serial(
        &mut self,
        row: &Row,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Result<(), ProviderError>, BranchError> {
        let id = row.job.id;
        let request_id = row
            .job
            .request_id
            .clone()
            .ok_or(StampingError::NotQuoted(id))?;
        let attempted_before = row.sn_requested_ms.is_some();
        let document = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        let request = IssueRequest {
            request_id: request_id.clone(),
            doc_type: self.config.stamping.doc_type.clone(),
            file_name: row.job.document_name.clone(),
            doc_date: self
                .store
                .now()
                .to_offset(self.store.timezone().offset())
                .date(),
            value: 0,
            sha256: row.job.document_sha256.clone(),
            document: Some(document),
            attempted_before,
        };
        if !attempted_before {
            // An upload the provider needs first (Peruri's cloud mode) is stored with the request
            // id, so that after a restart the serial is recovered and stamped on that upload.
            let upload = match provider.upload_document(&request) {
                Ok(u) => u,
                Err(e) => return Ok(Err(e)),
            };
            self.store.write(|tx| {
                tx.execute(
                    "UPDATE stamp_jobs SET sn_requested_ms = ?2, handle = COALESCE(?3, handle) WHERE id = ?1",
                    params![id, tx.now_ms(), upload],
                )?;
                tx.journal(Entry::new(
                    "system",
                    "job.serial_requested",
                    job_subject(id),
                    json!({"request_id": request_id, "upload": upload}),
                ))?;
                Ok::<_, StoreError>(())
            })?;
            crash::point("serial_requested");
        } else if let Some(handle) = &row.handle {
            provider.resume_upload(&request_id, handle);
        }
        progress(JobStage::IssuingSerial);
        let issued = match provider.issue_serial_once(&request) {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        crash::point("serial_received");
        let provider_name = if self.is_local_provider() {
            "local"
        } else {
            "peruri"
        };
        self.store.write(|tx| {
            ledger::record_issued(tx, &issued.sn, provider_name, id, &row.job.document_sha256)?;
            tx.execute(
                "UPDATE serials SET job_id = ?2, document_sha256 = ?3, request_id = ?4 WHERE sn = ?1",
                params![issued.sn, id, row.job.document_sha256, request_id],
            )?;
            tx.execute(
                "UPDATE stamp_jobs SET stamp_image = ?2, handle = ?3 WHERE id = ?1",
                params![id, issued.stamp_image, issued.handle],
            )?;
            apply_step(
                tx,
                "system",
                id,
                &Step::SerialIssued {
                    sn: issued.sn.clone(),
                },
                json!({"sn": issued.sn, "request_id": request_id, "reconciled": issued.reconciled, "provider": provider_name}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("serial_issued");
        Ok(Ok(()))
    }

    fn stamp_job(
        &mut self,
        row: &Row,
        provider: &dyn Provider,
        progress: &mut dyn FnMut(JobStage),
    ) -> Result<Result<(), ProviderError>, BranchError> {
        let id = row.job.id;
        let sn = row.job.sn.clone().unwrap_or_default();
        let place = row
            .job
            .place
            .ok_or(StampingError::Job(JobError::NotPlaced))?;
        progress(JobStage::Stamping);
        let original = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        // Peruri's adapter re-copies an unsigned PDF older than 1.6 into a new 1.7 file before it
        // signs, and that output no longer contains the customer's file. loket sends such a file
        // as 1.7 itself (the header rewritten in place, nothing moved), and the upgraded file is
        // the revision the output must contain.
        let original = if self.is_local_provider() {
            original
        } else {
            pdf::upgraded_to_1_7(&original).unwrap_or(original)
        };
        let request = StampRequest {
            stamp_image: row.stamp_image.clone(),
            handle: row.handle.clone(),
            ..self.stamp_request(
                row,
                place,
                row.job.request_id.clone().unwrap_or_default(),
                &sn,
                &original,
            )
        };
        let roots = match self.trust_roots() {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let password = self.passwords.get(id);
        // A run that crashed after the provider stamped but before the output was recorded left
        // it under the job's id: use it rather than stamp again with the same serial (Peruri
        // refuses a serial that already stamped, and the serial would be spoiled).
        let docs = self.documents();
        let left_over = docs.pending(id).filter(|bytes| {
            let usable = check_output(&original, bytes, &sn, password.as_deref(), &roots).is_ok();
            if !usable {
                docs.clear_pending(id);
            }
            usable
        });
        let resumed = left_over.is_some();
        let stamped = match left_over {
            Some(bytes) => bytes,
            None => match provider.stamp(&request) {
                Ok(b) => b,
                Err(e) => return Ok(Err(e)),
            },
        };
        progress(JobStage::Verifying);
        if !resumed
            && let Err(why) = check_output(&original, &stamped, &sn, password.as_deref(), &roots)
        {
            // Not delivered, not recorded. An untrusted output stays with the provider (the right
            // root may still be configured) and the job waits, the supervisor told why. A wrong
            // one is let go: the next attempt stamps again with the same serial, and if Peruri
            // counts that serial as used, the job is held for a person, never retried forever.
            let e = StampingError::BadOutput {
                sn: sn.clone(),
                why: why.to_string(),
            };
            return Ok(Err(match why {
                OutputProblem::Untrusted(detail) => ProviderError::Untrusted {
                    sn: sn.clone(),
                    detail,
                },
                OutputProblem::Bad(why) => {
                    provider.release(&sn);
                    ProviderError::Protocol {
                        detail: format!("stamped output failed its check: {why} ({e})"),
                    }
                }
            }));
        }
        if !resumed {
            docs.put_pending(id, &stamped)
                .map_err(StampingError::from)?;
            crash::point("stamp_received");
        }
        provider.release(&sn);
        let sha = docs.put(&stamped).map_err(StampingError::from)?;
        // No read-back: `put` hashed exactly the checked bytes, and every later read (delivery,
        // e-mail) checks the file against that hash.
        progress(JobStage::Stored);
        crash::point("stamp_written");
        self.store
            .write(|tx| record_stamped(tx, id, &sn, &sha, stamped.len()))?;
        docs.clear_pending(id);
        crash::point("stamped");
        Ok(Ok(()))
    }

    fn serial_spoiled(&mut self, row: &Row, e: &ProviderError) -> Result<(), BranchError> {
        let id = row.job.id;
        let sn = row.job.sn.clone().unwrap_or_default();
        let new_request_id = new_request_id(id, request_number(row.job.request_id.as_deref()) + 1);
        self.store.write(|tx| {
            ledger::mark_spoiled(tx, &sn, &e.detail())?;
            tx.execute(
                "UPDATE stamp_jobs SET sn_requested_ms = NULL, stamp_image = NULL, handle = NULL WHERE id = ?1",
                [id],
            )?;
            apply_step(
                tx,
                "system",
                id,
                &Step::SerialSpoiled {
                    new_request_id: new_request_id.clone(),
                },
                json!({"sn": sn, "reason": e.detail(), "new_request_id": new_request_id}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("serial_spoiled");
        Ok(())
    }

    /// A provider call failed: wait and retry later, or hold the job for a person's decision (a
    /// serial already issued is then recorded as spoiled, so it stays accounted for). Never a
    /// machine's "failed".
    fn provider_failed(&mut self, row: &Row, e: ProviderError) -> Result<JobView, BranchError> {
        let id = row.job.id;
        let local = self.is_local_provider();
        match e.next_step() {
            NextStep::RetryLater | NextStep::NewSerial => {
                let after = match &e {
                    ProviderError::RetryLater { after } => {
                        i64::try_from(after.as_millis()).unwrap_or(i64::MAX)
                    }
                    _ => 0,
                };
                let delay = job::backoff_ms(row.job.attempts, fastrand::u32(..1000)).max(after);
                let text = retry_message(&e, local);
                self.store.write(|tx| {
                    let next_attempt = tx.now_ms().saturating_add(delay);
                    apply_step(
                        tx,
                        "system",
                        id,
                        &Step::Wait {
                            error: text.clone(),
                            next_attempt,
                        },
                        json!({"error": e.detail(), "next_attempt_ms": next_attempt}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
            }
            NextStep::AskPerson => {
                let text = e.to_string();
                self.store.write(|tx| {
                    // A serial Peruri counts as used is accounted for: spoiled, to be claimed.
                    if row.job.state == State::SerialIssued
                        && let Some(sn) = &row.job.sn
                    {
                        ledger::mark_spoiled(tx, sn, &e.detail())?;
                    }
                    apply_step(
                        tx,
                        "system",
                        id,
                        &Step::Hold {
                            reason: text.clone(),
                        },
                        json!({"error": e.detail(), "sn": row.job.sn}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
                crash::point("held");
            }
        }
        self.job(id)
    }

    /// A page of the job's document as the reader shows it (its box and turn), for a place the
    /// clerk gives in millimetres from the shown top-left corner.
    pub fn job_page_frame(&mut self, job: i64, page: u32) -> Result<pdf::PageFrame, BranchError> {
        let row = self.job_row(job)?;
        let bytes = self
            .documents()
            .get(&row.job.document_sha256)
            .map_err(StampingError::from)?;
        let prepared = pdf::intake(
            bytes,
            &IntakeOptions {
                password: self.passwords.get(job),
                ..IntakeOptions::default()
            },
        )
        .map_err(StampingError::from)?;
        let frame = prepared
            .page_frame(page)
            .ok_or(StampingError::PageOutOfRange {
                page,
                pages: row.pages,
            })?;
        Ok(frame)
    }

    pub fn job(&mut self, job: i64) -> Result<JobView, BranchError> {
        Ok(view(&self.job_row(job)?))
    }

    pub fn jobs(&mut self, filter: &JobFilter) -> Result<Vec<JobView>, BranchError> {
        let tz = self.store.timezone();
        let rows: Vec<Row> = self.store.read(|c| {
            let (sql, arg): (String, rusqlite::types::Value) = match filter {
                JobFilter::Unfinished => (
                    format!(
                        "SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE state IN ('paid', 'serial_issued') ORDER BY COALESCE(next_attempt_ms, 0), id LIMIT ?1"
                    ),
                    i64::MAX.into(),
                ),
                JobFilter::OpenPaid => (
                    format!(
                        "SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE state IN ('paid', 'serial_issued', 'held', 'failed') ORDER BY id LIMIT ?1"
                    ),
                    i64::MAX.into(),
                ),
                JobFilter::Ticket(t) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE ticket = ?1 ORDER BY id"),
                    t.clone().into(),
                ),
                JobFilter::Recent(n) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs ORDER BY id DESC LIMIT ?1"),
                    i64::from(*n).into(),
                ),
                JobFilter::Day(_) => (
                    format!("SELECT {ROW_COLUMNS} FROM stamp_jobs WHERE ?1 ORDER BY id"),
                    1i64.into(),
                ),
            };
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map([arg], read_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, StampingError>(rows)
        })?;
        Ok(rows
            .iter()
            .filter(|r| match filter {
                JobFilter::Day(day) => {
                    crate::day::BusinessDay::of(store::from_ms(r.created_ms), tz).to_string()
                        == *day
                }
                _ => true,
            })
            .map(view)
            .collect())
    }

    /// The verified stamped file of a stamped or delivered job.
    pub fn job_output(&mut self, job: i64) -> Result<JobOutput, BranchError> {
        let row = self.job_row(job)?;
        let (Some(sha), true) = (
            row.job.stamped_sha256.clone(),
            matches!(row.job.state, State::Stamped | State::Delivered),
        ) else {
            return Err(StampingError::NoOutput(job).into());
        };
        let path = self.documents().path_of(&sha);
        Ok(JobOutput {
            path,
            sha256: sha,
            file_name: output_name(&row.job.document_name),
            sns: row.job.sn.into_iter().map(Sn).collect(),
        })
    }

    pub(crate) fn mark_delivered(
        &mut self,
        job: i64,
        clerk: &str,
        how: &str,
        detail: serde_json::Value,
        outbox: Option<i64>,
    ) -> Result<(), BranchError> {
        let keep_ms = i64::from(self.config.stamping.keep_days) * 86_400_000;
        self.store.write(|tx| {
            let row = load(tx, job)?;
            let now = tx.now_ms();
            tx.execute(
                "UPDATE stamp_jobs SET delivered_ms = ?2, delivery = CASE WHEN delivery IS NULL THEN ?3
                     WHEN instr(delivery, ?3) > 0 THEN delivery ELSE delivery || ',' || ?3 END,
                     outbox_id = COALESCE(?4, outbox_id) WHERE id = ?1",
                params![job, now, how, outbox],
            )?;
            tx.execute(
                "UPDATE documents SET purge_after_ms = ?3 WHERE sha256 IN (?1, ?2) AND purged_ms IS NULL",
                params![row.job.document_sha256, row.job.stamped_sha256, now + keep_ms],
            )?;
            apply_step(tx, clerk, job, &Step::Delivered, detail)?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("delivered");
        Ok(())
    }

    /// Copies the stamped file to the customer's drive (read back and checked), then `delivered`.
    pub fn deliver_job_to_drive(
        &mut self,
        job: i64,
        mount: &Path,
        clerk: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<crate::delivery::Delivered, BranchError> {
        let out = self.job_output(job)?;
        let context = Context {
            actor: clerk.to_string(),
            job: Some(JobId(job)),
            sns: out.sns.clone(),
        };
        let delivered = self.copy_to_drive(
            &out.path,
            &out.sha256,
            &out.file_name,
            mount,
            &context,
            &mut |p| progress(p.done, p.total),
        )?;
        // On the drive, not yet recorded: a copy started again finds it there (same SHA-256).
        crash::point("copied");
        self.mark_delivered(
            job,
            clerk,
            "drive",
            json!({"drive": delivered.path, "sha256": delivered.sha256, "already_there": delivered.already_there}),
            None,
        )?;
        Ok(delivered)
    }

    /// Queues the stamped file for e-mail and marks the job `delivered`: the outbox stores the
    /// message and keeps trying, so the job is done from the counter's side once it is queued.
    /// Returns the outbox id; a job already queued to the same address is not queued twice.
    pub fn mail_job(&mut self, job: i64, to: &str, clerk: &str) -> Result<i64, BranchError> {
        let out = self.job_output(job)?;
        let existing: Option<i64> = self.store.read(|c| {
            c.query_row(
                "SELECT id FROM outbox WHERE job = ?1 AND lower(env_to) = lower(?2) ORDER BY id DESC LIMIT 1",
                params![JobId(job), to.trim()],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::Sql)
        })?;
        let id = match existing {
            Some(id) => id,
            None => self.queue_mail(
                to,
                &[(out.path.clone(), out.file_name.clone())],
                &Context {
                    actor: clerk.to_string(),
                    job: Some(JobId(job)),
                    sns: out.sns.clone(),
                },
            )?,
        };
        let state = self.job_row(job)?.job.state;
        self.mark_delivered(
            job,
            clerk,
            "email",
            json!({"outbox": id, "to": to.trim(), "was_delivered": state == State::Delivered}),
            Some(id),
        )?;
        Ok(id)
    }

    /// Records the address a job's document goes to when it is finished after the customer left.
    pub fn set_job_email(
        &mut self,
        job: i64,
        to: &str,
        clerk: &str,
    ) -> Result<JobView, BranchError> {
        let to = crate::delivery::mail::check_address(to)
            .map_err(|e| BranchError::from(crate::delivery::DeliveryError::from(e)))?;
        let to = to.to_string();
        self.store.write(|tx| {
            load(tx, job)?;
            tx.execute(
                "UPDATE stamp_jobs SET email = ?2, updated_ms = ?3 WHERE id = ?1",
                params![job, to, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.email_set",
                job_subject(job),
                json!({"email": to}),
            ))?;
            Ok::<_, StampingError>(())
        })?;
        self.job(job)
    }

    /// The stamping job of the visit counter `counter` holds now: the newest job of its ticket made
    /// since the customer arrived and not cancelled. What a counter reopens after a crash.
    pub fn visit_job(
        &mut self,
        counter: u32,
        ticket: &str,
    ) -> Result<Option<JobView>, BranchError> {
        let id: Option<i64> = self.store.read(|c| {
            c.query_row(
                "SELECT j.id FROM stamp_jobs j
                 JOIN tickets t ON t.counter = ?1 AND t.status IN ('called', 'serving')
                 WHERE j.ticket = ?2 AND (j.created_ms >= t.arrived_ms OR j.adopted_ms >= t.arrived_ms)
                   AND j.state NOT IN ('cancelled', 'refunded')
                 ORDER BY j.id DESC LIMIT 1",
                params![counter, ticket],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::Sql)
        })?;
        id.map(|id| self.job(id)).transpose()
    }

    /// The sale that bills a job (quoted, paid or partly paid), if any.
    pub fn job_sale(&mut self, job: i64) -> Result<Option<i64>, BranchError> {
        let found = self
            .store
            .read(|c| paying_line(c, job).map_err(StoreError::Sql))?;
        Ok(found.map(|(sale, _, _)| sale))
    }

    /// Where a job's received document is kept (for a visit reopened after a crash).
    pub fn job_document_path(&mut self, job: i64) -> Result<PathBuf, BranchError> {
        let row = self.job_row(job)?;
        Ok(self.documents().path_of(&row.job.document_sha256))
    }

    /// The WhatsApp number a job's document goes to when it is finished, if one was left.
    pub fn job_whatsapp(&mut self, job: i64) -> Option<String> {
        self.job_row(job).ok().and_then(|r| r.whatsapp)
    }

    /// Records the WhatsApp number a job's document goes to when it is finished after the
    /// customer left (normalised to E.164; the journal keeps it masked).
    pub fn set_job_whatsapp(
        &mut self,
        job: i64,
        to: &str,
        clerk: &str,
    ) -> Result<JobView, BranchError> {
        let number = crate::delivery::whatsapp::normalize_number(to)
            .map_err(|e| BranchError::from(crate::delivery::DeliveryError::from(e)))?;
        self.store.write(|tx| {
            load(tx, job)?;
            tx.execute(
                "UPDATE stamp_jobs SET whatsapp = ?2, updated_ms = ?3 WHERE id = ?1",
                params![job, number, tx.now_ms()],
            )?;
            tx.journal(Entry::new(
                clerk,
                "job.whatsapp_set",
                job_subject(job),
                json!({"whatsapp": crate::delivery::whatsapp::mask_number(&number)}),
            ))?;
            Ok::<_, StampingError>(())
        })?;
        self.job(job)
    }

    /// What the claim receipt of a paid job that must wait says: the code the customer shows to
    /// collect (`<ticket>-J<job>`), the document's name and SHA-256, and what was paid for it.
    pub fn job_claim(
        &mut self,
        job: i64,
        counter: u32,
        clerk: &str,
    ) -> Result<crate::printing::ClaimData, BranchError> {
        let row = self.job_row(job)?;
        let paid: i64 = self.store.read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM sale_lines l
                 JOIN sales s ON s.id = l.sale WHERE l.job = ?1 AND s.status != 'voided'",
                [job],
                |r| r.get(0),
            )
            .map_err(StoreError::Sql)
        })?;
        Ok(crate::printing::ClaimData {
            counter,
            clerk: clerk.to_string(),
            ticket: row.job.ticket.clone(),
            claim_code: format!("{}-J{job}", row.job.ticket.as_deref().unwrap_or("TANPA")),
            document_name: row.job.document_name.clone(),
            sha256: row.job.document_sha256.clone(),
            stamps: 1,
            paid: crate::money::Rupiah::new(paid).to_string(),
            email: row.email.clone(),
            whatsapp: row.whatsapp.clone(),
            status_url: None,
        })
    }

    /// Cancels a job before payment.
    pub fn cancel_job(&mut self, job: i64, clerk: &str) -> Result<JobView, BranchError> {
        self.store.write(|tx| {
            apply_step(tx, clerk, job, &Step::Cancel, json!({}))?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("cancelled");
        self.job(job)
    }

    /// A supervisor cancels a job left before payment (received or placed) with an approval for
    /// `stamping.cancel` on `job/<id>`: the approval is consumed and the job cancelled in one
    /// transaction, the journal entry naming who approved and why. A paid job is refused; its
    /// money comes back only by a settlement.
    pub fn cancel_job_approved(
        &mut self,
        job: i64,
        approval: i64,
        clerk: &str,
    ) -> Result<JobView, BranchError> {
        self.store.write(|tx| {
            let ok =
                crate::users::consume_approval(tx, approval, ACTION_CANCEL, &job_subject(job))?;
            apply_step(
                tx,
                clerk,
                job,
                &Step::Cancel,
                json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason}),
            )?;
            Ok::<_, StampingError>(())
        })?;
        crash::point("cancelled");
        self.job(job)
    }

    /// [`Branch::settle_failed_job`] with the supervisor's approval taken here, from their ID and
    /// PIN: for `stamping.reissue` on the job (a new serial) or `sale.refund` on its sale (a
    /// refund). A job that can no longer be settled is refused before any approval is recorded.
    /// The one path for the command line and the supervisor's console.
    #[allow(clippy::too_many_arguments)]
    pub fn settle_job_approved(
        &mut self,
        job: i64,
        choice: Settle,
        counter: u32,
        requested_by: &str,
        supervisor: &str,
        pin: &str,
        reason: &str,
    ) -> Result<JobView, BranchError> {
        let before = self.job(job)?;
        if !before.state.can_settle() {
            return Err(StampingError::Job(JobError::WrongState {
                id: job,
                state: before.state,
            })
            .into());
        }
        let sale = before.sale_id.ok_or(StampingError::NotQuoted(job))?;
        let (action, subject) = match choice {
            Settle::NewSerial => (ACTION_REISSUE, job_subject(job)),
            Settle::Refund(_) => (
                crate::till::actions::REFUND,
                crate::till::approval_subject_sale(sale),
            ),
        };
        let approval = self.approve(supervisor, pin, requested_by, action, &subject, reason)?;
        self.settle_failed_job(job, approval.id, choice, counter, requested_by)
    }

    /// A paid job a person settles, held or still waiting: a new serial at no charge (approval for
    /// `stamping.reissue` on `job/<id>`), or a refund of its sale line (approval for `sale.refund`
    /// on `sale/<id>`, the cashier's rule). A serial already issued to the job and not yet spoiled
    /// is recorded as spoiled (claimable) in the same transaction as the job's move.
    pub fn settle_failed_job(
        &mut self,
        job: i64,
        approval: i64,
        choice: Settle,
        counter: u32,
        clerk: &str,
    ) -> Result<JobView, BranchError> {
        let row = self.job_row(job)?;
        if !row.job.state.can_settle() {
            return Err(StampingError::Job(JobError::WrongState {
                id: job,
                state: row.job.state,
            })
            .into());
        }
        let issued_sn = match (row.job.state, &row.job.sn) {
            (State::SerialIssued, Some(sn)) => Some(sn.clone()),
            _ => None,
        };
        let spoil = |tx: &mut Tx<'_>, by: &str| -> Result<(), StampingError> {
            if let Some(sn) = &issued_sn {
                // Only this job's own serial; the documents kept in the shared folder no longer
                // matter once the job is settled.
                ledger::mark_spoiled(tx, sn, &format!("settled by {by} before stamping"))?;
            }
            Ok(())
        };
        match choice {
            Settle::NewSerial => {
                let request_id =
                    new_request_id(job, request_number(row.job.request_id.as_deref()) + 1);
                self.store.write(|tx| {
                    let ok = crate::users::consume_approval(
                        tx,
                        approval,
                        ACTION_REISSUE,
                        &job_subject(job),
                    )?;
                    spoil(tx, &ok.supervisor)?;
                    tx.execute(
                        "UPDATE stamp_jobs SET sn_requested_ms = NULL, stamp_image = NULL, handle = NULL WHERE id = ?1",
                        [job],
                    )?;
                    apply_step(
                        tx,
                        clerk,
                        job,
                        &Step::Reissue {
                            new_request_id: request_id.clone(),
                        },
                        json!({"approval": ok.id, "supervisor": ok.supervisor, "reason": ok.reason, "request_id": request_id}),
                    )?;
                    Ok::<_, StampingError>(())
                })?;
            }
            Settle::Refund(method) => {
                self.check_counter(counter).map_err(BranchError::from)?;
                self.store.write(|tx| {
                    let row = load(tx, job)?;
                    let sale = row.job.sale_id.ok_or(StampingError::NotQuoted(job))?;
                    spoil(tx, clerk)?;
                    // The refund and the job's move to `refunded` commit together: neither is ever
                    // on disk without the other. A line already refunded (by a version that did
                    // this in two steps) is not refunded again; the job just moves.
                    let refund = match paying_line(tx, job)? {
                        Some((s, no, _)) => Some(
                            crate::till::refund_in(
                                tx,
                                s,
                                counter,
                                clerk,
                                &RefundRequest::Lines(vec![(no, 1)]),
                                method,
                                approval,
                            )?
                            .refund,
                        ),
                        None => None,
                    };
                    apply_step(
                        tx,
                        clerk,
                        job,
                        &Step::Refund,
                        json!({"sale": sale, "approval": approval, "method": method.as_str(), "refund": refund}),
                    )?;
                    Ok::<_, BranchError>(())
                })?;
                crash::point("refunded");
            }
        }
        self.job(job)
    }
}

/// Whether a file name from Peruri's SN list is one of this branch's requests: `J<job>-<n>-<tail>_…`
/// (see [`new_request_id`] and `peruri_file_name`) for a job this branch has.
fn is_own_request(c: &Connection, file: Option<&str>) -> rusqlite::Result<bool> {
    let Some(job) = file.and_then(|f| {
        let rest = f.strip_prefix('J')?;
        let (request, _) = rest.split_once('_')?;
        let mut parts = request.splitn(3, '-');
        let job: i64 = parts.next()?.parse().ok()?;
        parts.next()?.parse::<u32>().ok()?;
        let tail = parts.next()?;
        (tail.len() == 10 && tail.chars().all(|ch| ch.is_ascii_alphanumeric())).then_some(job)
    }) else {
        return Ok(false);
    };
    c.query_row("SELECT 1 FROM stamp_jobs WHERE id = ?1", [job], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Why an SN Peruri issued that no job holds is in the claims list.
const ORPHAN_REASON: &str = "terbit di Peruri tanpa pekerjaan (balasan terlambat); tidak terpakai";

/// Folder of the per-job run locks in the data folder.
pub const LOCK_FOLDER: &str = "locks";

/// Takes the run lock of job `id`: an exclusive `flock` on `DATA/locks/job-<id>.lock`, so two
/// processes never run one job at once (never ask for its serial twice, never sign it twice).
/// `None` when another process holds it. The kernel releases it when the file is dropped or the
/// process dies, so a killed worker never leaves a job locked.
fn lock_job(data_dir: &Path, id: i64) -> Result<Option<std::fs::File>, BranchError> {
    let dir = data_dir.join(LOCK_FOLDER);
    let path = dir.join(format!("job-{id}.lock"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BranchError::Io {
            what: "kunci pekerjaan e-Meterai tidak dapat dibuat",
            path,
            source,
        }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// Why a stamped output is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OutputProblem {
    /// A valid signature with the job's serial that does not chain to a configured root: kept
    /// where it is (it may be fine once the right root is configured) and the job waits.
    Untrusted(String),
    /// Not the customer's document stamped with the job's serial.
    Bad(String),
}

impl std::fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputProblem::Untrusted(why) => write!(f, "not trusted: {why}"),
            OutputProblem::Bad(why) => f.write_str(why),
        }
    }
}

/// Checks a stamped output before it is stored: the original revision unchanged at its start, and
/// a valid signature carrying the job's serial number that chains to one of `roots`.
fn check_output(
    original: &[u8],
    stamped: &[u8],
    sn: &str,
    password: Option<&str>,
    roots: &[x509_cert::Certificate],
) -> Result<(), OutputProblem> {
    if !stamped.starts_with(original) {
        return Err(OutputProblem::Bad(
            "the original revision was changed".into(),
        ));
    }
    let report = pdf::verify_pdf_with_roots(stamped, password, roots)
        .map_err(|e| OutputProblem::Bad(e.to_string()))?;
    let last = report
        .signatures
        .last()
        .ok_or_else(|| OutputProblem::Bad("no signature".to_string()))?;
    if !last.valid {
        return Err(OutputProblem::Bad(
            last.problem
                .clone()
                .unwrap_or_else(|| "signature not valid".into()),
        ));
    }
    if last.serial.as_deref() != Some(sn) {
        return Err(OutputProblem::Bad(format!(
            "signature carries serial {:?}, expected {sn}",
            last.serial
        )));
    }
    if last.trusted != Some(true) {
        return Err(OutputProblem::Untrusted(
            match (&last.trust_problem, roots.is_empty()) {
                (_, true) => "no root certificate configured".to_string(),
                (Some(p), false) => p.to_string(),
                (None, false) => "no chain to a configured root".to_string(),
            },
        ));
    }
    Ok(())
}
