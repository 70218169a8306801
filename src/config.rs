//! The branch configuration: one TOML file in the data folder, checked with file, line and key named on every error.

use crate::day::TimeZone;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// File name of the configuration inside the data folder.
pub const FILE_NAME: &str = "loket.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub branch: Branch,
    #[serde(default)]
    pub queue: QueueRules,
    #[serde(rename = "service")]
    pub services: Vec<Service>,
    #[serde(rename = "counter")]
    pub counters: Vec<Counter>,
    #[serde(default)]
    pub printers: BTreeMap<String, Printer>,
    #[serde(default)]
    pub dispenser: Option<Dispenser>,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub stamping: Stamping,
    #[serde(default)]
    pub backup: BackupSettings,
    #[serde(default)]
    pub report: ReportSettings,
    #[serde(default)]
    pub smtp: Option<Smtp>,
    #[serde(default)]
    pub whatsapp: Option<crate::delivery::whatsapp::Settings>,
    #[serde(default)]
    pub prices: Prices,
    #[serde(default)]
    pub till: TillRules,
    #[serde(default)]
    pub qris: Option<Qris>,
    #[serde(default)]
    pub delivery: crate::delivery::settings::Delivery,
    pub display: HallDisplay,
    #[serde(default)]
    pub store: StoreSettings,
}

/// Where the branch's shared state lives (`[store]`): absent, the SQLite file in the data folder
/// (a one-PC branch); `url`, the branch's PostgreSQL server, shared by every PC of the branch.
/// `--store URL` and `LOKET_STORE` take precedence over this line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `postgresql://role:password@host:port/database`, as `loket server init` printed it.
    pub url: Option<String>,
    /// The branch's CA certificate (PEM; relative to the data folder), which the server's
    /// certificate must chain to. Needed for any server that is not this machine: such a
    /// connection is always TLS.
    pub ca: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub timezone: TimeZone,
}

/// The fairness policy between priority and normal tickets, and other queue rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueRules {
    /// At most this many normal calls in a row in a service while a priority ticket waits there.
    pub normal_calls_per_priority: u32,
    /// A normal ticket that has waited this long goes ahead of priority tickets.
    pub normal_max_wait_minutes: u32,
    /// A called ticket may be marked as not present only after this many seconds.
    pub noshow_min_wait_seconds: u32,
    /// Service time assumed for wait estimates until enough tickets have been served.
    pub default_service_minutes: u32,
}

impl Default for QueueRules {
    fn default() -> Self {
        QueueRules {
            normal_calls_per_priority: 2,
            normal_max_wait_minutes: 45,
            noshow_min_wait_seconds: 60,
            default_service_minutes: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// One to three capital letters printed before the number, e.g. `A` for `A-007`.
    pub prefix: Spanned<String>,
    pub name: String,
    /// First and last ticket number of a business day.
    #[serde(default = "default_range")]
    pub range: Spanned<[u32; 2]>,
    /// Service-level target: the longest a customer should wait, in minutes.
    #[serde(default = "default_sla")]
    pub sla_minutes: u32,
    /// Whether priority tickets (elderly, disabled, pregnant) can be issued for this service.
    #[serde(default)]
    pub priority: bool,
    /// Whether this service is the e-Meterai stamping service.
    #[serde(default)]
    pub emeterai: bool,
}

fn default_range() -> Spanned<[u32; 2]> {
    Spanned::new(0..0, [1, 999])
}

fn default_sla() -> u32 {
    15
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    pub number: Spanned<u32>,
    /// Prefixes of the services this counter serves.
    pub services: Vec<Spanned<String>>,
    /// Name of the receipt printer in `[printers]`.
    #[serde(default)]
    pub printer: Option<Spanned<String>>,
    /// How the hall display's voice names this counter ("meja e-Meterai"); "loket N" when absent.
    #[serde(default)]
    pub spoken_name: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connection {
    /// loket's own virtual printer, writing each job to a folder.
    Virtual,
    Usb,
    Serial,
    Tcp,
    File,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Printer {
    pub connection: Connection,
    /// `58mm`, `80mm` (48 columns) or `80mm-42`.
    #[serde(default = "default_profile")]
    pub profile: String,
    #[serde(default)]
    pub vendor_id: Option<u16>,
    #[serde(default)]
    pub product_id: Option<u16>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub baud: Option<u32>,
    #[serde(default)]
    pub parity: Option<String>,
    #[serde(default)]
    pub flow_control: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Folder for the virtual printer's output, relative to the data folder.
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// How long to wait for each status reply (milliseconds; 1000 when absent).
    #[serde(default)]
    pub status_timeout_ms: Option<u64>,
}

fn default_profile() -> String {
    "80mm".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dispenser {
    /// `serial` for a button box on a serial line, `keys` for keyboard-wedge buttons.
    pub input: String,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub baud: Option<u32>,
    #[serde(default)]
    pub printer: Option<Spanned<String>>,
    /// Key → service prefix for keyboard-wedge buttons.
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// Wrong PINs in a row before a user is locked out.
    pub max_pin_attempts: u32,
    pub lockout_minutes: u32,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            max_pin_attempts: 5,
            lockout_minutes: 15,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stamping {
    /// `local` (training certificate and a local SN inventory) or `peruri`.
    pub provider: String,
    /// Side of the square stamp in millimetres.
    pub stamp_size_mm: u32,
    /// Verification address; `{sn}` is replaced by the serial number.
    pub verify_url: String,
    pub location: String,
    /// Largest PDF accepted, in megabytes.
    pub max_pdf_mb: u32,
    /// Peruri's e-Meterai API; required when `provider = "peruri"`.
    #[serde(default)]
    pub peruri: Option<PeruriConfig>,
    /// Days a delivered job's documents stay in the data folder before they are purged.
    pub keep_days: u32,
    /// An RFC 3161 timestamp authority for the local provider's signatures (none: no timestamp).
    pub tsa_url: Option<String>,
    /// Peruri document type code (`jenisdoc` kode) and its name, written as the signature reason.
    pub doc_type: String,
    /// The default name is Peruri's own document type name and goes into the signed document, so it
    /// is the stamp's word (configurable), not the process language.
    pub doc_type_name: String,
}

/// Where the daily pack goes by itself (`[report]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Addresses the worker mails each closed day's pack (PDF and CSV) to, once, through the
    /// outbox: a copy of the day, and of the journal's anchored head, that lives outside the branch.
    pub mail_to: Vec<Spanned<String>>,
}

/// The daily backup (`[backup]`), made by the worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSettings {
    /// Folder (or mounted drive) the worker writes a daily backup to; none: no daily backup.
    pub folder: Option<std::path::PathBuf>,
    /// Daily backups kept in that folder; older ones are removed after a good new one.
    pub keep: u32,
    /// A last good backup older than this many hours is shown on every status bar and by
    /// `loket doctor`.
    pub max_age_hours: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            folder: None,
            keep: 14,
            max_age_hours: 26,
        }
    }
}

/// How loket reaches Peruri's e-Meterai API (`[stamping.peruri]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeruriConfig {
    /// `onprem` (Sign Adapter at the branch; the document stays here) or `cloud`.
    #[serde(default)]
    pub mode: PeruriMode,
    /// Login e-mail of the API account.
    pub user: String,
    /// The password written here, or (better) `password_env`: the name of an environment variable holding it.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    /// Base URLs per Peruri service (staging hosts by default; production must be named explicitly).
    #[serde(default = "default_backend_url")]
    pub backend_url: String,
    #[serde(default = "default_stampv2_url")]
    pub stampv2_url: String,
    #[serde(default = "default_fileupload_url")]
    pub fileupload_url: String,
    #[serde(default = "default_stampservice_url")]
    pub stampservice_url: String,
    /// The on-premise Sign Adapter (Docker `signadapter:2.0`, port 7777).
    #[serde(default = "default_adapter_url")]
    pub adapter_url: String,
    /// The adapter's shared folder as loket sees it (on-prem mode writes documents and stamp images here).
    #[serde(default)]
    pub shared_folder: Option<std::path::PathBuf>,
    /// The same folder as the adapter names it in `src`/`dest`: `/sharefolder` or `sharefolder`,
    /// depending on the adapter version.
    #[serde(default = "default_adapter_folder")]
    pub adapter_folder: String,
    /// Signing profile of the adapter.
    #[serde(default = "default_profile_name")]
    pub profile_name: String,
    /// Peruri's root certificate(s), PEM files (relative to the data folder unless absolute). A
    /// stamped output whose signature does not chain to one of them is not delivered: the job
    /// waits and the supervisor is told. None configured: no Peruri output is trusted.
    #[serde(default)]
    pub root_certs: Vec<std::path::PathBuf>,
    /// Longest wait for a connection, in milliseconds.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest wait for a whole reply of an ordinary call.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Longest wait for a stamping call (the adapter signs and timestamps).
    #[serde(default = "default_stamp_timeout_ms")]
    pub stamp_timeout_ms: u64,
    /// Further attempts after a failure that may be retried (connection errors, timeouts, 429, 502–504).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Backoff before the first retry; doubles each retry up to `backoff_max_ms`, with full jitter.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// A `Retry-After` longer than this is not waited out; the job is told to come back later instead.
    #[serde(default = "default_retry_after_max_ms")]
    pub retry_after_max_ms: u64,
    /// Consecutive failures that open the circuit breaker.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long the breaker stays open before one probe call is let through.
    #[serde(default = "default_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// Token lifetime assumed when the JWT carries no readable `exp` (Peruri: 24 hours).
    #[serde(default = "default_token_lifetime_s")]
    pub token_lifetime_s: u64,
    /// Serial-number list page size and the most pages read when reconciling a lost reply.
    #[serde(default = "default_list_page_size")]
    pub list_page_size: u32,
    #[serde(default = "default_reconcile_pages")]
    pub reconcile_pages: u32,
}

/// Where the PDF is stamped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeruriMode {
    #[default]
    Onprem,
    Cloud,
}

fn default_backend_url() -> String {
    "https://backendservicestg.e-meterai.co.id".into()
}
fn default_stampv2_url() -> String {
    "https://stampv2stg.e-meterai.co.id".into()
}
fn default_fileupload_url() -> String {
    "https://fileuploadstg.e-meterai.co.id".into()
}
fn default_stampservice_url() -> String {
    "https://stampservicestg.e-meterai.co.id".into()
}
fn default_adapter_url() -> String {
    "http://127.0.0.1:7777".into()
}
fn default_adapter_folder() -> String {
    "/sharefolder".into()
}
fn default_profile_name() -> String {
    "emeteraicertificateSigner".into()
}
fn default_connect_timeout_ms() -> u64 {
    3_000
}
fn default_timeout_ms() -> u64 {
    15_000
}
fn default_stamp_timeout_ms() -> u64 {
    60_000
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_base_ms() -> u64 {
    250
}
fn default_backoff_max_ms() -> u64 {
    4_000
}
fn default_retry_after_max_ms() -> u64 {
    10_000
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_cooldown_ms() -> u64 {
    30_000
}
fn default_token_lifetime_s() -> u64 {
    86_400
}
fn default_list_page_size() -> u32 {
    100
}
fn default_reconcile_pages() -> u32 {
    20
}

impl PeruriConfig {
    /// A configuration with every default, for `user` against the given base URL for all services.
    pub fn new(user: &str, base_url: &str) -> PeruriConfig {
        let base = base_url.trim_end_matches('/').to_string();
        PeruriConfig {
            mode: PeruriMode::Onprem,
            user: user.to_string(),
            password: None,
            password_env: None,
            backend_url: base.clone(),
            stampv2_url: base.clone(),
            fileupload_url: base.clone(),
            stampservice_url: base.clone(),
            adapter_url: base,
            shared_folder: None,
            adapter_folder: default_adapter_folder(),
            profile_name: default_profile_name(),
            root_certs: Vec::new(),
            connect_timeout_ms: default_connect_timeout_ms(),
            timeout_ms: default_timeout_ms(),
            stamp_timeout_ms: default_stamp_timeout_ms(),
            retries: default_retries(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            retry_after_max_ms: default_retry_after_max_ms(),
            breaker_failures: default_breaker_failures(),
            breaker_cooldown_ms: default_breaker_cooldown_ms(),
            token_lifetime_s: default_token_lifetime_s(),
            list_page_size: default_list_page_size(),
            reconcile_pages: default_reconcile_pages(),
        }
    }
}

impl Default for Stamping {
    fn default() -> Self {
        Stamping {
            provider: "local".to_string(),
            stamp_size_mm: 30,
            verify_url: "https://verification.peruri.co.id/?sn={sn}".to_string(),
            location: "INDONESIA".to_string(),
            max_pdf_mb: 50,
            peruri: None,
            keep_days: 3,
            tsa_url: None,
            doc_type: "2".to_string(),
            doc_type_name: "Dokumen lain-lain".to_string(),
        }
    }
}

/// The hall display (`loket display`, `loket display --web`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HallDisplay {
    /// Text scrolling along the bottom of the hall screen. Its default is the branch's
    /// customer-facing words (configurable in `loket.toml`), not the process language.
    pub running_text: String,
    /// Whether the web hall page speaks each call.
    pub voice: bool,
    /// Loudness of the spoken calls, 0–100.
    pub voice_volume: Spanned<u8>,
    /// How the ticket number is read aloud.
    pub voice_numbers: VoiceNumbers,
    /// Whether each printed ticket carries a QR code to the customer's live place in the queue.
    pub ticket_qr: bool,
    /// The display server as customers' phones reach it on the hall's guest Wi-Fi, e.g.
    /// `http://192.168.1.10:8080`; needed when `ticket_qr` is on.
    pub public_url: Option<Spanned<String>>,
}

/// How a ticket number is read aloud: `A-007` as "nol nol tujuh" or as "tujuh".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VoiceNumbers {
    Digits,
    Number,
}

impl Default for HallDisplay {
    fn default() -> Self {
        HallDisplay {
            running_text:
                "Selamat datang di Kantor Pos. Ambil nomor antrean dan tunggu nomor Anda dipanggil."
                    .to_string(),
            voice: true,
            voice_volume: Spanned::new(0..0, 80),
            voice_numbers: VoiceNumbers::Digits,
            ticket_qr: false,
            public_url: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` (implicit) or `none`.
    #[serde(default = "default_security")]
    pub security: Spanned<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub from: Spanned<String>,
    /// Extra trusted root certificate (PEM) for a private server, beside the system's roots.
    #[serde(default)]
    pub root_certificate: Option<PathBuf>,
    /// Name expected in the server's certificate when it differs from `host` (e.g. an IP address).
    #[serde(default)]
    pub tls_name: Option<String>,
    /// Longest wait for the connection and for each server reply.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_seconds: u64,
}

fn default_smtp_timeout() -> u64 {
    30
}

fn default_security() -> Spanned<String> {
    Spanned::new(0..0, "starttls".to_string())
}

/// The counter price list. e-Meterai is sold at its face value; a service fee, when the branch
/// charges one, is a separate receipt line so the stamp itself is never sold above face value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    #[serde(rename = "item")]
    pub items: Vec<PriceItem>,
}

/// The statutory face value of one e-Meterai (UU 10/2020): Rp10.000.
pub const METERAI_FACE_VALUE: crate::money::Rupiah = crate::money::Rupiah::new(10_000);

/// Item code of the e-Meterai in the price list.
pub const METERAI_CODE: &str = "meterai";

impl Default for Prices {
    fn default() -> Self {
        Prices {
            items: vec![PriceItem {
                code: Spanned::new(0..0, METERAI_CODE.to_string()),
                name: "e-Meterai".to_string(),
                price: Spanned::new(0..0, METERAI_FACE_VALUE),
                service_fee: Spanned::new(0..0, crate::money::Rupiah::ZERO),
            }],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceItem {
    /// Short code the clerk types, lowercase (e.g. `meterai`, `fotokopi`).
    pub code: Spanned<String>,
    pub name: String,
    pub price: Spanned<crate::money::Rupiah>,
    /// Fee charged per unit on top of the price, shown as its own receipt line; zero means none.
    #[serde(default = "zero_fee")]
    pub service_fee: Spanned<crate::money::Rupiah>,
}

fn zero_fee() -> Spanned<crate::money::Rupiah> {
    Spanned::new(0..0, crate::money::Rupiah::ZERO)
}

impl PriceItem {
    pub fn code(&self) -> &str {
        self.code.get_ref()
    }

    pub fn price(&self) -> crate::money::Rupiah {
        *self.price.get_ref()
    }

    pub fn service_fee(&self) -> crate::money::Rupiah {
        *self.service_fee.get_ref()
    }
}

impl Prices {
    pub fn item(&self, code: &str) -> Option<&PriceItem> {
        self.items
            .iter()
            .find(|i| i.code.get_ref().eq_ignore_ascii_case(code.trim()))
    }
}

/// Drawer rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TillRules {
    /// A difference between counted and expected cash larger than this needs a reason and a
    /// supervisor's approval at close (it is recorded either way).
    pub variance_tolerance: crate::money::Rupiah,
    /// Name of the branch's EDC terminal, recorded with each debit payment.
    pub edc_terminal: String,
}

impl Default for TillRules {
    fn default() -> Self {
        TillRules {
            variance_tolerance: crate::money::Rupiah::ZERO,
            edc_terminal: "EDC".to_string(),
        }
    }
}

/// The merchant identity for dynamic QRIS, as issued by the branch's acquirer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qris {
    #[serde(default = "default_qris_gui")]
    pub global_id: String,
    pub merchant_pan: String,
    pub merchant_id: String,
    pub nmid: String,
    #[serde(default = "default_criteria")]
    pub criteria: String,
    #[serde(default = "default_mcc")]
    pub mcc: String,
    pub merchant_name: String,
    pub city: String,
    pub postal_code: String,
    /// Minutes a shown code may be paid; the code itself carries no expiry, loket enforces it.
    #[serde(default = "default_qris_expiry")]
    pub expiry_minutes: u32,
}

fn default_qris_gui() -> String {
    crate::qris::QRIS_GUI.to_string()
}

fn default_criteria() -> String {
    "UBE".to_string()
}

/// 9402: postal services.
fn default_mcc() -> String {
    "9402".to_string()
}

fn default_qris_expiry() -> u32 {
    5
}

impl Qris {
    pub fn merchant(&self) -> crate::qris::Merchant {
        crate::qris::Merchant {
            global_id: self.global_id.clone(),
            pan: self.merchant_pan.clone(),
            merchant_id: self.merchant_id.clone(),
            nmid: self.nmid.clone(),
            criteria: self.criteria.clone(),
            mcc: self.mcc.clone(),
            name: self.merchant_name.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
        }
    }
}

/// A configuration that could not be used, with the place to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    Invalid(Box<Invalid>),
}

/// Where a configuration is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {}", crate::words::current().config_key(key))?;
        }
        write!(f, ": {}", self.message)
    }
}

impl Config {
    /// Reads and checks the configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and checks configuration text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |span: Option<Range<usize>>, key: Option<String>, message: String| {
            let line = span.as_ref().map(|s| line_of(text, s.start));
            let key = key.or_else(|| span.and_then(|s| key_at(text, s.start)));
            ConfigError::Invalid(Box::new(Invalid {
                path: path.to_path_buf(),
                line,
                key,
                message,
            }))
        };
        let config: Config =
            toml::from_str(text).map_err(|e| invalid(e.span(), None, translate(e.message())))?;
        config
            .check()
            .map_err(|(span, key, message)| invalid(span, Some(key.to_string()), message))?;
        Ok(config)
    }

    fn check(&self) -> Result<(), (Option<Range<usize>>, &'static str, String)> {
        let w = crate::words::current();
        let mut prefixes = BTreeSet::new();
        for service in &self.services {
            let prefix = service.prefix.get_ref();
            let span = Some(service.prefix.span());
            if prefix.is_empty()
                || prefix.len() > 3
                || !prefix.chars().all(|c| c.is_ascii_uppercase())
            {
                return Err((span, "prefix", w.config_prefix_shape(prefix)));
            }
            if !prefixes.insert(prefix.clone()) {
                return Err((span, "prefix", w.config_prefix_twice(prefix)));
            }
            let [first, last] = *service.range.get_ref();
            if first == 0 || first > last || last > 9999 {
                return Err((
                    Some(service.range.span()).filter(|s| !s.is_empty()),
                    "range",
                    w.config_range(first, last),
                ));
            }
        }
        if self.services.is_empty() {
            return Err((None, "service", w.config_no_service()));
        }
        let mut numbers = BTreeSet::new();
        for counter in &self.counters {
            let number = *counter.number.get_ref();
            if number == 0 || !numbers.insert(number) {
                return Err((
                    Some(counter.number.span()),
                    "number",
                    w.config_counter_number(number),
                ));
            }
            for service in &counter.services {
                if !prefixes.contains(service.get_ref()) {
                    return Err((
                        Some(service.span()),
                        "services",
                        w.config_counter_service(number, service.get_ref()),
                    ));
                }
            }
            if let Some(printer) = &counter.printer
                && !self.printers.contains_key(printer.get_ref())
            {
                return Err((
                    Some(printer.span()),
                    "printer",
                    w.config_printer_unknown(printer.get_ref()),
                ));
            }
        }
        if *self.display.voice_volume.get_ref() > 100 {
            return Err((
                Some(self.display.voice_volume.span()),
                "voice_volume",
                w.config_volume(*self.display.voice_volume.get_ref()),
            ));
        }
        for counter in &self.counters {
            if let Some(name) = &counter.spoken_name
                && let Err(word) = crate::hall::voice::spoken_words(name.get_ref())
            {
                return Err((
                    Some(name.span()),
                    "spoken_name",
                    w.config_spoken_name(name.get_ref(), &word),
                ));
            }
        }
        match &self.display.public_url {
            Some(url)
                if !(url.get_ref().starts_with("http://")
                    || url.get_ref().starts_with("https://")) =>
            {
                return Err((
                    Some(url.span()),
                    "public_url",
                    w.config_public_url(url.get_ref()),
                ));
            }
            None if self.display.ticket_qr => {
                return Err((None, "public_url", w.config_qr_needs_url()));
            }
            _ => {}
        }
        if let Some(printer) = self.dispenser.as_ref().and_then(|d| d.printer.as_ref())
            && !self.printers.contains_key(printer.get_ref())
        {
            return Err((
                Some(printer.span()),
                "printer",
                w.config_printer_unknown(printer.get_ref()),
            ));
        }
        if let Some(wa) = &self.whatsapp {
            wa.check()?;
        }
        for to in &self.report.mail_to {
            if let Err(e) = crate::delivery::mail::check_address(to.get_ref()) {
                let message = match e {
                    crate::delivery::mail::MailError::Address { address, reason } => {
                        w.config_mail_to(&address, &reason)
                    }
                    other => other.to_string(),
                };
                return Err((Some(to.span()), "mail_to", message));
            }
        }
        let mut codes = BTreeSet::new();
        for item in &self.prices.items {
            let code = item.code.get_ref();
            if code.is_empty()
                || code.len() > 16
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err((Some(item.code.span()), "code", w.config_code_shape(code)));
            }
            if !codes.insert(code.clone()) {
                return Err((Some(item.code.span()), "code", w.config_code_twice(code)));
            }
            if !item.price().is_positive() {
                return Err((
                    Some(item.price.span()),
                    "price",
                    w.config_price_positive(code),
                ));
            }
            if code == METERAI_CODE && item.price() != METERAI_FACE_VALUE {
                return Err((
                    Some(item.price.span()),
                    "price",
                    w.config_meterai_price(&METERAI_FACE_VALUE),
                ));
            }
            if item.service_fee().is_negative() {
                return Err((
                    Some(item.service_fee.span()),
                    "service_fee",
                    w.config_fee_negative(),
                ));
            }
        }
        if self.till.variance_tolerance.is_negative() {
            return Err((None, "variance_tolerance", w.config_tolerance_negative()));
        }
        if let Some(q) = &self.qris {
            if let Err(e) = q.merchant().validate() {
                return Err((None, "qris", e.to_string()));
            }
            if q.expiry_minutes == 0 || q.expiry_minutes > 60 {
                return Err((None, "expiry_minutes", w.config_qris_expiry()));
            }
        }
        crate::delivery::settings::check(self)?;
        if self.stamping.provider == "peruri" && self.stamping.peruri.is_none() {
            return Err((None, "provider", w.config_peruri_needed()));
        }
        if let Some(p) = &self.stamping.peruri {
            if p.password.is_none() && p.password_env.is_none() {
                return Err((None, "password_env", w.config_peruri_password()));
            }
            if p.mode == PeruriMode::Onprem && p.shared_folder.is_none() {
                return Err((None, "shared_folder", w.config_onprem_folder()));
            }
        }
        if self.queue.normal_calls_per_priority == 0 {
            return Err((None, "normal_calls_per_priority", w.config_at_least_one()));
        }
        Ok(())
    }

    /// The service with this prefix, ignoring case.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.prefix.get_ref().eq_ignore_ascii_case(prefix.trim()))
    }

    pub fn counter(&self, number: u32) -> Option<&Counter> {
        self.counters.iter().find(|c| *c.number.get_ref() == number)
    }

    /// Prefixes of the services a counter serves.
    pub fn counter_services(&self, number: u32) -> Vec<String> {
        self.counter(number)
            .map(|c| c.services.iter().map(|s| s.get_ref().clone()).collect())
            .unwrap_or_default()
    }
}

impl Service {
    pub fn prefix(&self) -> &str {
        self.prefix.get_ref()
    }

    pub fn first_number(&self) -> u32 {
        self.range.get_ref()[0]
    }

    pub fn last_number(&self) -> u32 {
        self.range.get_ref()[1]
    }
}

impl Counter {
    pub fn number(&self) -> u32 {
        *self.number.get_ref()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The key written on the line that holds `offset`, for errors whose span points at a value.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('#')).then(|| key.trim_matches('"').to_string())
}

/// Serde's English messages, in the process's language where the shape is known.
fn translate(message: &str) -> String {
    let w = crate::words::current();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches(" one of").trim();
        return w.config_unknown_key(field, expected);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return w.config_missing_key(rest);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches(" one of").trim();
        return w.config_unknown_value(value, expected);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return w.config_wrong_type(rest);
    }
    message.trim().to_string()
}

/// The commented default written by `loket init`: a demo branch with four counters and three services.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Invalid> {
        Config::parse(text, Path::new("loket.toml")).map_err(|e| match e {
            ConfigError::Invalid(i) => *i,
            ConfigError::Read { .. } => unreachable!("parse does not read files"),
        })
    }

    #[test]
    fn the_default_configuration_loads() {
        let config = parse(DEFAULT_TOML).expect("default config is valid");
        assert_eq!(config.counters.len(), 4);
        assert_eq!(config.services.len(), 3);
        assert_eq!(config.services.iter().filter(|s| s.emeterai).count(), 1);
        for counter in &config.counters {
            assert_eq!(
                counter.services.len(),
                3,
                "every counter serves every service"
            );
        }
        assert_eq!(config.branch.timezone, TimeZone::Wib);
    }

    fn check(from: &str, to: &str, line: usize, key: &str, says: &str) {
        assert!(
            DEFAULT_TOML.contains(from),
            "default config contains {from:?}"
        );
        let text = DEFAULT_TOML.replacen(from, to, 1);
        let err = parse(&text).expect_err("a broken configuration is refused");
        assert_eq!(err.line, Some(line), "line of {err}");
        assert_eq!(err.key.as_deref(), Some(key), "key of {err}");
        assert!(err.message.contains(says), "{err} says {says:?}");
        assert!(
            err.to_string()
                .starts_with(&format!("loket.toml:{line}: kunci '{key}'")),
            "{err}"
        );
    }

    fn line_of_text(needle: &str) -> usize {
        line_of(
            DEFAULT_TOML,
            DEFAULT_TOML.find(needle).expect("needle in default"),
        )
    }

    #[test]
    fn mistakes_name_file_line_and_key() {
        let tz = line_of_text("timezone = \"WIB\"");
        check(
            "timezone = \"WIB\"",
            "timezone = \"CET\"",
            tz,
            "timezone",
            "WITA",
        );
        check(
            "timezone = \"WIB\"",
            "timezon = \"WIB\"",
            tz,
            "timezon",
            "tidak dikenal",
        );
        let sla = line_of_text("sla_minutes = 15");
        check(
            "sla_minutes = 15",
            "sla_minutes = \"lima belas\"",
            sla,
            "sla_minutes",
            "jenis nilai salah",
        );
        let prefix = line_of_text("prefix = \"B\"");
        check(
            "prefix = \"B\"",
            "prefix = \"A\"",
            prefix,
            "prefix",
            "dua kali",
        );
        check(
            "prefix = \"B\"",
            "prefix = \"b1\"",
            prefix,
            "prefix",
            "huruf kapital",
        );
        let counter = line_of_text("services = [\"A\", \"B\", \"C\"]");
        check(
            "services = [\"A\", \"B\", \"C\"]",
            "services = [\"A\", \"X\", \"C\"]",
            counter,
            "services",
            "tidak ada",
        );
    }
}
