//! Every sentence loket says outside the screens, once per language: errors and command-line output
//! in `id.rs` (Indonesian, the default) and `en.rs` (English).
//!
//! Each error enum keeps its type and sources where it is defined; its `Display` is written here, in the
//! process's language (`crate::lang`), so a refusal is worded only at the edge. Sentences that carry
//! values are methods so each language orders the words its own way.

mod en;
mod id;

use crate::lang::{self, Lang};
use std::fmt;

use crate::backup::BackupError;
use crate::branch::BranchError;
use crate::cli::CliError;
use crate::config::ConfigError;
use crate::delivery::DeliveryError;
use crate::delivery::copy::{CopyError, human_bytes};
use crate::delivery::drives::EjectError;
use crate::delivery::mail::MailError;
use crate::delivery::names::NameError;
use crate::delivery::outbox::Status as OutboxStatus;
use crate::delivery::wa_outbox::WebhookError;
use crate::delivery::whatsapp::WaError;
use crate::dispenser::DispenserError;
use crate::doctor::{
    BackupCheck, ConfigCheck, DatabaseCheck, DispenserCheck, DrivesCheck, JournalCheck,
    LocalDiskCheck, NetError, NoPrinters, NotChecked, PeruriCheck, PrinterCheck, RootsCheck,
    SmtpCheck, SmtpFailure, SmtpStage, SpaceCheck, TimeZoneCheck, TsaCheck, WhatsappCheck,
    WritableCheck,
};
use crate::error::{IoWhat, LoketError};
use crate::hall::token::TokenError;
use crate::journal::anchor::{AnchorError, SHORT_HEX};
use crate::journal::anchor::{AnchorProblem, TokenProblem};
use crate::money::MoneyError;
use crate::pdf::appearance::AppearanceError;
use crate::pdf::cli::CliError as PdfCliError;
use crate::pdf::intake::IntakeError;
use crate::pdf::io::{FileError, RootsError};
use crate::pdf::pki::PkiError;
use crate::pdf::placement::MIN_STAMP_MM;
use crate::pdf::placement::PlacementBasis;
use crate::pdf::serial::InvalidSerial;
use crate::pdf::sign::{CmsBuildError, SignError, SignerError};
use crate::pdf::stamp::StampError;
use crate::pdf::trust::TrustProblem;
use crate::pdf::tsa::{GenTimeError, TsaError};
use crate::pdf::verify::{StampCheckError, VerifyError};
use crate::printing::Condition;
use crate::printing::PrintingError;
use crate::qris::QrisError;
use crate::queue::domain::Status as TicketStatus;
use crate::queue::domain::{NotTicketNo, QueueError};
use crate::queue::domain::{OpenDocument, TicketAct};
use crate::report::ReportError;
use crate::report::pack::ProviderCheck;
use crate::report::pack::Stands;
use crate::report::term::Term;
use crate::server::{PcKind, ServerError};
use crate::stamping::StampingError;
use crate::stamping::documents::DocumentError;
use crate::stamping::job::JobError;
use crate::stamping::job::State as JobState;
use crate::stamping::ledger::LedgerError;
use crate::stamping::provider::ProviderError;
use crate::stamping::provider::ProviderSetup;
use crate::stamping::service::JobNote;
use crate::stamping::tsa_http::{HttpTsaError, Reply};
use crate::stamping::worker::Round;
use crate::store::StoreError;
use crate::store::migrate::MigrateError;
use crate::till::TillError;
use crate::till::report::{EventWhat, ReportKind, TillWord};
use crate::till::{Method, QrisState, SaleStatus};
use crate::ui::UiError;
use crate::unfinished::UnfinishedError;
use crate::users::UserError;

/// The sentences of one language. Every error type and every command-line sentence has a method, so
/// a language that misses one does not compile.
pub(crate) trait Words: Sync {
    // The command line (`src/cli.rs`).
    /// The English text of a command's or option's description, by its path (`queue ticket`,
    /// `queue ticket json`); `None` keeps the Indonesian doc comment, which is the Indonesian text.
    fn help(&self, key: &str) -> Option<&'static str>;
    /// The word before an error on standard error (`galat: …`).
    fn error_prefix(&self) -> &'static str;
    fn cli_error(&self, e: &CliError) -> String;
    fn init_done(&self, branch: &str, folder: &str, services: usize, counters: usize) -> String;
    fn journal_broken(&self, problem: &str) -> String;
    fn journal_intact(&self, entries: u64, day: Option<String>) -> String;
    fn journal_anchored(
        &self,
        anchors: u64,
        stamped: u64,
        pending: u64,
        from: i64,
        to: i64,
    ) -> String;
    fn journal_not_anchored(&self) -> &'static str;
    fn journal_note(&self, note: &str) -> String;
    fn journal_claims_match(&self, claims: u64) -> String;
    fn needs_terminal(&self) -> &'static str;
    fn visit_moved(&self, visit: &str, to: u32) -> String;
    fn ticket_position(
        &self,
        ticket: &str,
        service: &str,
        status: &str,
        ahead: usize,
        low_min: u32,
        high_min: u32,
    ) -> String;
    fn user_added(&self, id: &str, name: &str, role: &str) -> String;
    fn user_active(&self, active: bool) -> &'static str;
    fn status_head(&self, branch: &str, day: &str, time: &str) -> String;
    /// Column titles of the queue status table: service, waiting, priority, longest wait.
    fn status_columns(&self) -> [&'static str; 4];
    fn minutes_short(&self) -> &'static str;
    fn counter_line(&self, number: u32, state: &str, ticket: &str) -> String;
    fn counter_open(&self) -> &'static str;
    fn counter_break(&self, reason: &str) -> String;
    fn counter_closed(&self) -> &'static str;

    // Sales and the drawer (`src/till/cli.rs`).
    fn drawer_opened(&self) -> &'static str;
    fn sale_head(
        &self,
        sale: &dyn fmt::Display,
        counter: u32,
        ticket: Option<&str>,
        status: &str,
    ) -> String;
    fn sale_line_refunded(&self, quantity: i64) -> String;
    fn sale_totals(
        &self,
        total: &dyn fmt::Display,
        paid: &dyn fmt::Display,
        due: &dyn fmt::Display,
    ) -> String;
    fn sale_refunded(&self, amount: &dyn fmt::Display) -> String;
    fn sale_pending_qris(&self, amount: &dyn fmt::Display) -> String;
    fn sale_exact(&self, due: &dyn fmt::Display, quick: &str) -> String;
    fn sale_void_reason(&self, reason: &str) -> String;
    fn close_counted(
        &self,
        counted: &dyn fmt::Display,
        expected: &dyn fmt::Display,
        variance: &dyn fmt::Display,
    ) -> String;
    fn close_needs_approval(&self, tolerance: &dyn fmt::Display, counter: u32) -> String;
    fn close_unfinished(&self, counter: u32) -> String;
    fn till_opened(
        &self,
        session: &dyn fmt::Display,
        counter: u32,
        float: &dyn fmt::Display,
    ) -> String;
    fn payout_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String;
    fn drop_recorded(&self, amount: &dyn fmt::Display, expected: &dyn fmt::Display) -> String;
    fn price_fee(&self, fee: &dyn fmt::Display) -> String;
    fn change_due(&self, change: &dyn fmt::Display) -> String;
    fn qris_shown(
        &self,
        reference: &str,
        amount: &dyn fmt::Display,
        until: &dyn fmt::Display,
    ) -> String;
    fn qris_late(&self, reference: &str) -> String;
    fn qris_excess(&self, excess: &dyn fmt::Display) -> String;
    fn qris_none_flagged(&self) -> &'static str;
    fn qris_flagged_line(
        &self,
        reference: &str,
        sale: &dyn fmt::Display,
        amount: &dyn fmt::Display,
        state: &dyn fmt::Display,
        excess: &dyn fmt::Display,
    ) -> String;
    fn qris_resolved(
        &self,
        reference: &str,
        excess: &dyn fmt::Display,
        method: &dyn fmt::Display,
    ) -> String;
    fn sale_voided(&self, sale: &dyn fmt::Display, supervisor: &str) -> String;
    fn void_returned(&self, amount: &dyn fmt::Display, method: &dyn fmt::Display) -> String;
    fn refund_done(
        &self,
        amount: &dyn fmt::Display,
        method: &dyn fmt::Display,
        sale: &dyn fmt::Display,
        supervisor: &str,
    ) -> String;

    // Stamping jobs and serial numbers (`src/stamping/cli.rs`).
    fn job_head(
        &self,
        job: &dyn fmt::Display,
        ticket: Option<&str>,
        document: &str,
        pages: u32,
        state: &str,
    ) -> String;
    fn job_serial(&self, sn: &str) -> String;
    fn job_warning(&self, warning: &str) -> String;
    fn stamps_inventory(
        &self,
        available: &dyn fmt::Display,
        issued: &dyn fmt::Display,
        stamped: &dyn fmt::Display,
        spoiled: &dyn fmt::Display,
    ) -> String;
    fn stamps_lot(
        &self,
        lot: &str,
        count: &dyn fmt::Display,
        price: &dyn fmt::Display,
        available: &dyn fmt::Display,
        used: &dyn fmt::Display,
        spoiled: &dyn fmt::Display,
    ) -> String;
    fn stamps_no_claims(&self) -> &'static str;
    fn stamps_reconciled(
        &self,
        loket_issued: &dyn fmt::Display,
        loket_available: &dyn fmt::Display,
        provider_unstamped: &dyn fmt::Display,
        provider_remaining: Option<u64>,
    ) -> String;
    fn stamps_match(&self) -> &'static str;
    fn stamps_discrepancy(&self, discrepancy: &str) -> String;
    fn lot_loaded(&self, lot: &str, count: &dyn fmt::Display, price: &dyn fmt::Display) -> String;
    fn job_change(&self, change: &dyn fmt::Display) -> String;
    fn claim_printed(&self, claim: &str, printer: &str) -> String;
    fn no_jobs(&self) -> &'static str;

    // Printers and slips (`src/printing/cli.rs`).
    fn slip_test(&self) -> &'static str;
    fn slip_ticket(&self, ticket: &str) -> String;
    fn slip_sale(&self, sale: &dyn fmt::Display) -> String;
    fn slip_z_copy(&self, number: &dyn fmt::Display) -> String;
    fn slip_printed(&self, what: &str, printer: &str, job: &dyn fmt::Display) -> String;
    fn slip_not_printed(&self, what: &str, printer: &str, why: &str) -> String;
    fn printer_state(&self, name: &str, state: &str) -> String;
    fn usb_none(&self) -> &'static str;
    fn usb_class(&self, interface: &dyn fmt::Display, class: u8) -> String;
    fn usb_device(&self, bus: u8, address: u8, id: &str, classes: &str) -> String;
    fn usb_absent(&self) -> &'static str;
    fn usb_unreadable(&self, e: &dyn fmt::Display) -> String;
    fn serial_none(&self) -> &'static str;
    fn serial_unreadable(&self, e: &dyn fmt::Display) -> String;
    fn virtual_tcp(&self, address: &dyn fmt::Display, state: &dyn fmt::Display) -> String;
    fn virtual_serial(&self, path: &dyn fmt::Display, state: &dyn fmt::Display) -> String;
    fn virtual_job(&self, number: u32, lines: usize, complete: bool) -> String;

    // Flash drives, e-mail, WhatsApp and the outbox (`src/delivery/cli.rs`).
    fn drive_mounted(&self, label: &str, mount_point: &dyn fmt::Display) -> String;
    fn no_drives(&self) -> &'static str;
    fn drive_not_mounted(&self, device: &dyn fmt::Display) -> String;
    fn drive_line(
        &self,
        mount_point: &str,
        label: &str,
        free: &str,
        size: &str,
        read_only: bool,
        device: &str,
    ) -> String;
    fn copying_job(&self, name: &str, sns: &str) -> String;
    fn copy_already_there(&self, path: &dyn fmt::Display) -> String;
    fn copy_done(&self, path: &dyn fmt::Display, size: &str, sha256: &str) -> String;
    fn copy_phase(&self, verifying: bool) -> &'static str;
    fn mail_entry(&self, id: &dyn fmt::Display, to: &str, status: &str) -> String;
    fn mail_no_smtp_waiting(&self) -> &'static str;
    fn mail_queued(&self, id: &dyn fmt::Display) -> String;
    fn wa_entry(&self, id: &dyn fmt::Display, to: &str, state: &str) -> String;
    fn webhook_listening(&self, address: &dyn fmt::Display) -> String;
    fn outbox_empty(&self) -> &'static str;
    fn outbox_attempts(&self) -> &'static str;
    fn mail_retry(&self, id: &dyn fmt::Display) -> String;
    fn eml_written(&self, count: usize, dir: &dyn fmt::Display) -> String;
    fn mail_no_smtp(&self) -> &'static str;
    fn mail_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String;
    fn wa_sent_summary(&self, sent: usize, retry: usize, failed: usize) -> String;

    // Backup and restore (`src/backup.rs`); counts and seconds are written in each language's way.
    fn backup_done(
        &self,
        files: u64,
        documents: u64,
        size: &str,
        folder: &dyn fmt::Display,
        seconds: f64,
    ) -> String;
    fn backup_damaged(&self, path: &str) -> String;
    fn backup_missing(&self, sha256: &str) -> String;
    fn restore_done(&self, r: &RestoreSummary<'_>) -> String;

    // The daily pack's notes (`src/report/cli.rs`).
    fn csv_written(&self, count: usize, dir: &dyn fmt::Display) -> String;
    fn pdf_written(&self, path: &dyn fmt::Display) -> String;
    fn copied_to(&self, path: &dyn fmt::Display) -> String;
    fn pack_mailed(&self, to: &str, id: &dyn fmt::Display) -> String;

    // `loket stamp` and `loket verify` (`src/pdf/cli.rs`).
    fn training_ca_made(&self, folder: &dyn fmt::Display) -> String;
    fn pdf_summary(
        &self,
        pages: u32,
        kb: u64,
        version: &str,
        encrypted: bool,
        signatures: usize,
    ) -> String;
    fn pdf_warning(&self, warning: &str) -> String;
    fn place_requested(&self) -> &'static str;
    fn place_lower_right(&self) -> &'static str;
    fn stamp_overlaps(&self, what: &str) -> String;
    fn overlap_field(&self, name: &str) -> String;
    fn overlap_annotation(&self, name: &str) -> String;
    fn overlap_text(&self, text: &str) -> String;
    fn overlap_rule(&self) -> &'static str;
    fn overlap_outside(&self) -> &'static str;
    fn stamped(
        &self,
        serial: &str,
        page: u32,
        basis: &str,
        width_mm: f64,
        height_mm: f64,
        output: &dyn fmt::Display,
    ) -> String;
    fn no_signatures(&self) -> &'static str;
    fn signature_head(&self, number: usize, field: &str, valid: bool) -> String;
    fn signature_serial(&self, sn: &str) -> String;
    fn signature_signer(&self, signer: &str) -> String;
    fn signature_time(&self, time: &str) -> String;
    fn signature_timestamp(&self, time: &str, valid: bool) -> String;
    fn signature_trusted(&self) -> &'static str;
    fn signature_untrusted(&self, why: Option<&str>) -> String;
    fn signature_document(&self, modified_after: bool) -> String;
    fn signature_problem(&self, problem: &str) -> String;

    // `loket doctor` (`src/doctor.rs`): what each check found, and what to do when it failed.
    fn doctor_not_checked(&self, c: &NotChecked) -> String;
    fn doctor_not_checked_fix(&self, c: &NotChecked) -> Option<String>;
    fn doctor_config_check(&self, c: &ConfigCheck) -> String;
    fn doctor_config_check_fix(&self, c: &ConfigCheck) -> Option<String>;
    fn doctor_writable_check(&self, c: &WritableCheck) -> String;
    fn doctor_writable_check_fix(&self, c: &WritableCheck) -> Option<String>;
    fn doctor_space_check(&self, c: &SpaceCheck) -> String;
    fn doctor_space_check_fix(&self, c: &SpaceCheck) -> Option<String>;
    fn doctor_local_disk_check(&self, c: &LocalDiskCheck) -> String;
    fn doctor_local_disk_check_fix(&self, c: &LocalDiskCheck) -> Option<String>;
    fn doctor_database_check(&self, c: &DatabaseCheck) -> String;
    fn doctor_database_check_fix(&self, c: &DatabaseCheck) -> Option<String>;
    fn doctor_journal_check(&self, c: &JournalCheck) -> String;
    fn doctor_journal_check_fix(&self, c: &JournalCheck) -> Option<String>;
    fn doctor_printer_check(&self, c: &PrinterCheck) -> String;
    fn doctor_printer_check_fix(&self, c: &PrinterCheck) -> Option<String>;
    fn doctor_no_printers(&self, c: &NoPrinters) -> String;
    fn doctor_no_printers_fix(&self, c: &NoPrinters) -> Option<String>;
    fn doctor_dispenser_check(&self, c: &DispenserCheck) -> String;
    fn doctor_dispenser_check_fix(&self, c: &DispenserCheck) -> Option<String>;
    fn doctor_drives_check(&self, c: &DrivesCheck) -> String;
    fn doctor_drives_check_fix(&self, c: &DrivesCheck) -> Option<String>;
    fn doctor_smtp_check(&self, c: &SmtpCheck) -> String;
    fn doctor_smtp_check_fix(&self, c: &SmtpCheck) -> Option<String>;
    fn doctor_whatsapp_check(&self, c: &WhatsappCheck) -> String;
    fn doctor_whatsapp_check_fix(&self, c: &WhatsappCheck) -> Option<String>;
    fn doctor_peruri_check(&self, c: &PeruriCheck) -> String;
    fn doctor_peruri_check_fix(&self, c: &PeruriCheck) -> Option<String>;
    fn doctor_tsa_check(&self, c: &TsaCheck) -> String;
    fn doctor_tsa_check_fix(&self, c: &TsaCheck) -> Option<String>;
    fn doctor_roots_check(&self, c: &RootsCheck) -> String;
    fn doctor_roots_check_fix(&self, c: &RootsCheck) -> Option<String>;
    fn doctor_time_zone_check(&self, c: &TimeZoneCheck) -> String;
    fn doctor_time_zone_check_fix(&self, c: &TimeZoneCheck) -> Option<String>;
    fn doctor_backup_check(&self, c: &BackupCheck) -> String;
    fn doctor_backup_check_fix(&self, c: &BackupCheck) -> Option<String>;

    // `loket doctor`'s closing line.
    fn doctor_all_passed(&self, total: usize) -> String;
    fn doctor_failed(&self, failed: usize, total: usize) -> String;

    /// What the clerk can do when the stamp is larger than the page (`fits_mm`: the largest that fits).
    fn stamp_too_small_advice(&self, fits_mm: f64) -> String;
    /// The part of an SMTP conversation that failed, as a noun.
    fn smtp_stage(&self, stage: SmtpStage) -> &'static str;

    fn backup_error(&self, e: &BackupError) -> String;
    fn branch_error(&self, e: &BranchError) -> String;
    fn loket_error(&self, e: &LoketError) -> String;
    fn config_error(&self, e: &ConfigError) -> String;
    fn copy_error(&self, e: &CopyError) -> String;
    fn eject_error(&self, e: &EjectError) -> String;
    fn mail_error(&self, e: &MailError) -> String;
    fn delivery_error(&self, e: &DeliveryError) -> String;

    // Delivery, dispenser, configuration, PDF and doctor sentences.
    /// `kunci 'timezone'`: the key a configuration error is about.
    fn config_key(&self, key: &str) -> String;
    fn config_prefix_shape(&self, prefix: &str) -> String;
    fn config_prefix_twice(&self, prefix: &str) -> String;
    fn config_range(&self, first: u32, last: u32) -> String;
    fn config_no_service(&self) -> String;
    fn config_counter_number(&self, number: u32) -> String;
    fn config_counter_service(&self, number: u32, service: &str) -> String;
    fn config_printer_unknown(&self, printer: &str) -> String;
    fn config_volume(&self, volume: u8) -> String;
    fn config_spoken_name(&self, name: &str, word: &str) -> String;
    fn config_public_url(&self, url: &str) -> String;
    fn config_qr_needs_url(&self) -> String;
    fn config_mail_to(&self, address: &str, reason: &str) -> String;
    fn config_code_shape(&self, code: &str) -> String;
    fn config_code_twice(&self, code: &str) -> String;
    fn config_price_positive(&self, code: &str) -> String;
    fn config_meterai_price(&self, face: &dyn fmt::Display) -> String;
    fn config_fee_negative(&self) -> String;
    fn config_tolerance_negative(&self) -> String;
    fn config_qris_expiry(&self) -> String;
    fn config_peruri_needed(&self) -> String;
    fn config_peruri_password(&self) -> String;
    fn config_onprem_folder(&self) -> String;
    fn config_at_least_one(&self) -> String;
    /// Serde's messages about the file's shape, in this language.
    fn config_unknown_key(&self, field: &str, expected: &str) -> String;
    fn config_missing_key(&self, key: &str) -> String;
    fn config_unknown_value(&self, value: &str, expected: &str) -> String;
    fn config_wrong_type(&self, detail: &str) -> String;
    fn dispenser_unknown_service(&self, service: &str) -> String;
    /// A ticket issued but not printed; `why` ends with its own full stop.
    fn dispenser_not_printed(&self, ticket: &str, why: &str) -> String;
    fn dispenser_not_issued(&self, why: &dyn fmt::Display) -> String;
    fn dispenser_busy(&self, e: &dyn fmt::Display) -> String;

    /// A press while the branch server does not answer: no number was given.
    fn dispenser_wait(&self, e: &dyn fmt::Display) -> String;
    fn dispenser_legend_unknown(&self) -> &'static str;
    fn dispenser_printed(&self, ticket: &str, service: &str) -> String;
    /// A key that issues nothing; `keys` are the service keys as `1 = A`.
    fn dispenser_unknown_key(&self, key: &str, keys: &[String]) -> String;
    fn dispenser_ready_serial(&self, path: &str) -> String;
    fn dispenser_ready_keys(&self) -> &'static str;
    fn hall_voice_missing(&self, names: &str, folder: &dyn fmt::Display) -> String;
    fn hall_listening(&self, address: &str) -> String;
    fn day_unknown(&self, text: &str) -> String;
    fn qris_field_length(&self, max: usize, written: usize) -> String;
    fn qris_field_char(&self, c: char) -> String;
    fn qris_criteria(&self) -> &'static str;
    fn qris_mcc(&self) -> &'static str;
    fn qris_amount_out_of_range(&self, amount: &dyn fmt::Display) -> String;
    fn qris_too_long(&self, e: &dyn fmt::Display) -> String;
    fn count_empty(&self) -> String;
    fn count_denomination(&self, denomination: &dyn fmt::Display) -> String;
    fn count_pieces(&self, pieces: &str) -> String;
    fn count_negative(&self) -> String;
    fn printer_needs_port(&self) -> &'static str;
    fn printer_parity(&self) -> &'static str;
    fn printer_flow_control(&self) -> &'static str;
    fn printer_needs_address(&self) -> &'static str;
    fn printer_address_port(&self) -> &'static str;
    fn printer_needs_path(&self) -> &'static str;
    fn printer_none(&self) -> &'static str;
    fn printer_ready(&self, detail: &str) -> String;
    /// Why a signature's certificate is not trusted, as a full sentence for `loket verify`.
    fn trust_problem_sentence(&self, p: &TrustProblem) -> String;
    fn signature_fault(&self, f: crate::pdf::verify::SignatureFault) -> &'static str;
    fn intake_warning(&self, w: &crate::pdf::intake::IntakeWarning) -> String;
    fn mm_pair_format(&self) -> &'static str;
    fn mm_pair_negative(&self) -> &'static str;
    fn offset_unknown(&self, offset: &str) -> String;
    /// Why the stamp is where it is, on a page shown rotated by `degrees`.
    fn basis_rotated(&self, basis: &str, degrees: u16) -> String;
    /// What a `loket doctor` check is about, by its id (`smtp`, `printer.kasir`).
    fn doctor_label(&self, id: &str) -> String;
    fn doctor_check_stopped(&self) -> &'static str;
    fn smtp_too_many_lines(&self) -> &'static str;
    fn date_not_run(&self, e: &dyn fmt::Display) -> String;
    fn date_answered(&self, text: &str) -> String;
    fn backup_mismatch(&self, m: &crate::backup::Mismatch) -> String;
    fn backup_format_newer(&self, found: u32, known: u32) -> String;
    fn backup_bad_path(&self, path: &str) -> String;
    fn backup_listed_twice(&self, path: &str) -> String;
    fn backup_not_listed(&self, name: &str) -> String;
    fn backup_target_is_file(&self) -> &'static str;
    fn address_fault(&self, f: crate::delivery::mail::AddressFault) -> &'static str;
    fn address_parser_refused(&self, e: &dyn fmt::Display) -> String;
    fn mail_login_refused(&self, detail: &str) -> String;
    fn mail_message_refused(&self, detail: &str) -> String;
    fn mail_try_later(&self, detail: &str) -> String;
    fn mail_settings_mismatch(&self, detail: &str) -> String;
    /// The server could not be used this time; loket retries by itself.
    fn mail_trouble(&self, t: crate::delivery::mail::Trouble, detail: &str) -> String;
    fn outbox_bad_address(&self, address: &str, e: &dyn fmt::Display) -> String;
    fn outbox_bad_envelope(&self, e: &dyn fmt::Display) -> String;
    fn outbox_store_failed(&self, e: &dyn fmt::Display) -> String;
    fn template_unpaired(&self) -> &'static str;
    fn template_unclosed(&self) -> &'static str;
    fn template_unknown(&self, name: &str, known: &str) -> String;
    fn max_mail_mb(&self) -> &'static str;
    fn retry_wait_zero(&self) -> &'static str;
    fn smtp_security(&self, security: &str) -> String;
    fn smtp_user_and_password(&self) -> &'static str;
    fn must_be_positive(&self) -> &'static str;
    /// What the clerk is told once a flash drive is handed back.
    fn ejected(&self, e: &crate::delivery::drives::Ejected) -> &'static str;
    fn wa_phone_number_id(&self, id: &str) -> String;
    fn wa_template_name(&self, template: &str) -> String;
    fn wa_template_language(&self, language: &str) -> String;
    fn wa_api_url(&self, url: &str) -> String;
    fn wa_api_version(&self, version: &str) -> String;
    fn wa_webhook_listen(&self, listen: &str) -> String;
    fn wa_needs_token(&self) -> String;
    fn wa_token_label(&self) -> &'static str;
    fn wa_secret_missing(&self, what: &str) -> String;
    fn wa_env_missing(&self, var: &str, what: &str) -> String;
    /// `kode 131026:`, before the Graph API's own words.
    fn wa_code(&self, code: i64) -> String;
    /// A Graph API error in words, with what the API said.
    fn wa_graph(&self, trouble: crate::delivery::whatsapp::GraphTrouble, said: &str) -> String;
    fn wa_http_client(&self, e: &dyn fmt::Display) -> String;
    fn wa_file_unprepared(&self, e: &dyn fmt::Display) -> String;
    fn wa_upload_no_id(&self) -> &'static str;
    fn wa_send_no_id(&self) -> &'static str;
    /// WhatsApp did not answer; `may_have_sent`: the message may have gone, so it is not repeated.
    fn wa_no_answer(&self, how: crate::delivery::whatsapp::Lost, may_have_sent: bool) -> String;
    fn wa_unreadable(&self, may_have_sent: bool) -> String;
    fn wa_awaiting_status(&self, reason: &str) -> String;
    /// A send's answer was lost and nothing settled it.
    fn wa_unsure(&self) -> &'static str;
    fn wa_previous_unanswered(&self) -> &'static str;
    fn wa_refused_twice(&self) -> &'static str;
    fn wa_no_app_secret(&self) -> &'static str;
    fn wa_reported_failed(&self) -> &'static str;

    fn name_error(&self, e: &NameError) -> String;
    fn webhook_error(&self, e: &WebhookError) -> String;
    fn wa_error(&self, e: &WaError) -> String;
    fn dispenser_error(&self, e: &DispenserError) -> String;
    fn net_error(&self, e: &NetError) -> String;
    fn smtp_failure(&self, e: &SmtpFailure) -> String;
    fn token_error(&self, e: &TokenError) -> String;
    fn anchor_error(&self, e: &AnchorError) -> String;
    fn money_error(&self, e: &MoneyError) -> String;
    fn appearance_error(&self, e: &AppearanceError) -> String;
    fn pdf_cli_error(&self, e: &PdfCliError) -> String;
    fn intake_error(&self, e: &IntakeError) -> String;
    fn file_error(&self, e: &FileError) -> String;
    fn roots_error(&self, e: &RootsError) -> String;
    fn pki_error(&self, e: &PkiError) -> String;
    fn invalid_serial(&self, e: &InvalidSerial) -> String;
    fn signer_error(&self, e: &SignerError) -> String;
    fn cms_build_error(&self, e: &CmsBuildError) -> String;
    fn sign_error(&self, e: &SignError) -> String;
    fn stamp_error(&self, e: &StampError) -> String;
    fn trust_problem(&self, e: &TrustProblem) -> String;
    fn tsa_error(&self, e: &TsaError) -> String;
    fn gen_time_error(&self, e: &GenTimeError) -> String;
    fn verify_error(&self, e: &VerifyError) -> String;
    fn stamp_check_error(&self, e: &StampCheckError) -> String;
    fn printing_error(&self, e: &PrintingError) -> String;
    fn qris_error(&self, e: &QrisError) -> String;
    fn not_ticket_no(&self, e: &NotTicketNo) -> String;
    fn queue_error(&self, e: &QueueError) -> String;
    fn report_error(&self, e: &ReportError) -> String;
    fn document_error(&self, e: &DocumentError) -> String;
    fn job_error(&self, e: &JobError) -> String;
    fn ledger_error(&self, e: &LedgerError) -> String;
    fn provider_error(&self, e: &ProviderError) -> String;
    fn stamping_error(&self, e: &StampingError) -> String;
    // Stamping, the serial ledger, the worker, open visits, the half-done list, journal anchors.
    fn provider_setup(&self, s: &ProviderSetup) -> String;
    fn job_note(&self, n: &JobNote<'_>) -> String;
    fn local_stock_empty(&self) -> &'static str;
    fn serial_list_unreadable(&self, start: u64, why: &str) -> String;
    fn serial_status_mismatch(&self, sn: &str, status: &str) -> String;
    fn serial_unknown_here(&self, sn: &str) -> String;
    fn serial_orphan_recorded(&self, sn: &str) -> String;
    fn serial_count_mismatch(
        &self,
        provider: u64,
        listed: u64,
        issued: u64,
        spoiled: u64,
    ) -> String;
    fn serial_issued_mismatch(&self, provider: u64, issued: u64) -> String;
    fn already_stamped(&self, found: &str) -> String;
    fn already_paid(
        &self,
        when: &str,
        counter: i64,
        job: i64,
        sn: Option<&str>,
        delivered: bool,
    ) -> String;
    fn waiting_retry_at(&self, at: &str) -> String;
    fn waiting_retrying(&self) -> &'static str;
    fn waiting_docs(&self, n: usize, when: &str) -> String;
    fn waiting_held(&self, n: usize) -> String;
    fn worker_round(&self, r: &Round) -> String;
    fn worker_nothing_waiting(&self) -> &'static str;
    fn ticket_act(&self, a: TicketAct) -> &'static str;
    fn open_document(&self, d: &OpenDocument) -> String;
    fn unfinished_what(&self, s: &Stands) -> String;
    fn unfinished_next(&self, s: &Stands) -> &'static str;
    fn anchor_carrier(&self, code: &str) -> String;
    fn anchor_claim_bad(&self, text: &str) -> String;
    fn anchor_delay(&self, carrier: &str, head: &str, waited: &str, stamped: bool) -> String;
    fn duration_words(&self, days: i64, hours: i64, minutes: i64) -> String;
    fn token_problem(&self, p: &TokenProblem) -> String;
    fn anchor_problem(&self, p: &AnchorProblem) -> String;
    fn http_tsa_error(&self, e: &HttpTsaError) -> String;
    fn reply(&self, e: &Reply) -> String;
    fn store_error(&self, e: &StoreError) -> String;
    fn till_error(&self, e: &TillError) -> String;
    fn ui_error(&self, e: &UiError) -> String;
    fn unfinished_error(&self, e: &UnfinishedError) -> String;

    // X and Z reports (`src/till/report.rs`), worded when the report is built.
    fn till_word(&self, w: TillWord) -> &'static str;
    /// A tender method's net line: `Tunai (bersih)`.
    fn till_net(&self, method: &str) -> String;
    /// What a listed void, refund, pay-out, drop or no-sale opening is.
    fn till_event_what(&self, what: &EventWhat) -> String;
    /// A listed event: `Penjualan 12 — salah input (oleh budi, disetujui kepala)`.
    fn till_event(&self, what: &str, reason: &str, actor: &str, approver: Option<&str>) -> String;
    /// A drawer opened without a sale, under the drawer's count.
    fn till_no_sale(&self, reason: &str, actor: &str, approver: Option<&str>) -> String;
    fn till_reason(&self, reason: &str) -> String;
    fn till_approved(&self, supervisor: &str) -> String;
    fn till_closed_by(&self, clerk: &str) -> String;
    /// `LAPORAN X (SEMENTARA)`, `LAPORAN Z No. 12`.
    fn till_title(&self, kind: ReportKind, number: i64) -> String;
    /// The first line of a reprinted Z in text, with its line break.
    fn till_reprint(&self, mark: &str, reprint: u32) -> String;
    /// The head of an X or Z in text (counter, session, clerk, business day, opened), each line
    /// ending in a line break.
    fn till_head(&self, counter: u32, session: i64, clerk: &str, day: &str, opened: &str)
    -> String;
    fn till_closed_at(&self, at: &str) -> String;
    fn till_printed_at(&self, at: &str) -> String;
    fn user_error(&self, e: &UserError) -> String;

    // The daily pack (`src/report/model.rs`): its titles, headings and sentences.
    /// A word or sentence of the report; `{0}`, `{1}`, … stand for its values (`src/report/term.rs`).
    fn report_term(&self, t: Term) -> &'static str;
    /// `2026-11-01 s.d. 2026-11-30`: a report's period of several days, each already written.
    fn period_range(&self, from: &str, to: &str) -> String;
    /// What the stamping provider's own count says against the ledger.
    fn provider_check(&self, p: &ProviderCheck) -> String;

    // States and kinds, for screens, lists, slips and reports.
    fn ticket_status(&self, s: TicketStatus) -> &'static str;
    fn job_state(&self, s: JobState) -> &'static str;
    fn outbox_status(&self, s: OutboxStatus) -> &'static str;
    /// A WhatsApp message the API accepted, by what its webhooks said since (`read`, `delivered`).
    fn whatsapp_sent(&self, webhook_status: Option<&str>) -> &'static str;
    fn method(&self, m: Method) -> &'static str;
    fn sale_status(&self, s: SaleStatus) -> &'static str;
    fn qris_state(&self, s: QrisState) -> &'static str;

    // Printing (`src/printing`).
    /// What is wrong with a printer, for the clerk.
    fn printer_condition(&self, c: Condition) -> &'static str;
    /// What the clerk does about it.
    fn printer_next_step(&self, c: Condition) -> &'static str;
    /// How a slip's printing ended; `detail` is what the printer said when it could not be used.
    fn print_outcome(&self, printed: bool, c: Option<Condition>, detail: Option<&str>) -> String;
    /// How a drawer pulse ended.
    fn drawer_outcome(&self, opened: bool, c: Option<Condition>) -> String;

    /// Why the stamp is where it is (`src/pdf/placement.rs`).
    fn placement_basis(&self, b: &PlacementBasis) -> String;
    /// What could not be done with a file or folder, inside an I/O error.
    fn io_what(&self, w: IoWhat) -> &'static str;

    // The branch server.
    /// A `loket server` refusal or failure.
    fn server_error(&self, e: &ServerError) -> String;

    fn migrate_error(&self, e: &MigrateError) -> String;

    /// `loket store migrate`: one table copied.
    fn migrate_table(&self, table: &str, rows: i64) -> String;

    /// `loket store migrate`: done, with what was checked (`documents` copied and read back).
    fn migrate_done(
        &self,
        tables: usize,
        rows: i64,
        journal_entries: u64,
        documents: usize,
    ) -> String;
    /// `loket store migrate`: a document the rows name was not in the data folder (or damaged).
    fn migrate_document_missing(&self, sha256: &str) -> String;
    /// `server init` made the schema of branch `branch` in `database`, owned by `owner`; the
    /// `[store]` lines of each PC kind follow.
    fn server_init_done(&self, branch: &str, database: &str, owner: &str) -> String;
    /// `server upgrade` found the server of `branch` in `database` up to date.
    fn server_up_to_date(&self, branch: &str, database: &str) -> String;
    /// `server upgrade` applied `count` revisions to the server of `branch` in `database`; the
    /// revisions' lines follow.
    fn server_upgraded_head(&self, branch: &str, database: &str, count: usize) -> String;
    /// One applied revision, as a line of the list.
    fn server_revision(&self, revision: &crate::server::upgrade::Revision) -> String;
    /// What `server upgrade` did: applied `applied` to the server of `branch` in `database`, or
    /// nothing when it was up to date.
    fn server_upgraded(
        &self,
        branch: &str,
        database: &str,
        applied: &[&crate::server::upgrade::Revision],
    ) -> String {
        if applied.is_empty() {
            return self.server_up_to_date(branch, database);
        }
        let mut out = self.server_upgraded_head(branch, database, applied.len());
        for revision in applied {
            out.push('\n');
            out.push_str(&self.server_revision(revision));
        }
        out
    }
    /// Which PC a `[store]` line is for.
    fn server_pc_kind(&self, kind: PcKind) -> &'static str;

    /// What to set on the PostgreSQL server for TLS, after `server init --tls-dir`.
    fn server_tls_setup(&self, files: &crate::server::tls::TlsFiles) -> String;
}

/// What a finished restore says, as values (`loket restore`).
pub(crate) struct RestoreSummary<'a> {
    pub branch: &'a str,
    /// When the backup was made, already written for people.
    pub created: &'a str,
    pub folder: &'a dyn fmt::Display,
    pub tickets: u64,
    pub sales: u64,
    pub stamp_jobs: u64,
    pub documents: u64,
    pub entries: u64,
    pub files: u64,
    /// The size, already written for people.
    pub size: &'a str,
    pub seconds: f64,
}

/// The words of the process's language.
pub(crate) fn current() -> &'static dyn Words {
    of(lang::current())
}

/// The words of `lang`, whatever the process speaks (tests compare the languages side by side).
pub(crate) fn of(lang: Lang) -> &'static dyn Words {
    match lang {
        Lang::Id => &id::Id,
        Lang::En => &en::En,
    }
}

/// The command paths the English descriptions name, so a test can find ones no command has.
#[cfg(test)]
pub(crate) fn english_help_keys() -> impl Iterator<Item = &'static str> {
    en::HELP.iter().map(|(key, _)| *key)
}

/// `Display` for each error type: its sentence in the process's language.
macro_rules! worded {
    ($($ty:ty => $method:ident,)*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&current().$method(self))
            }
        }
    )*};
}

worded! {
    CliError => cli_error,
    BackupError => backup_error,
    BranchError => branch_error,
    LoketError => loket_error,
    ConfigError => config_error,
    CopyError => copy_error,
    EjectError => eject_error,
    MailError => mail_error,
    DeliveryError => delivery_error,
    NameError => name_error,
    WebhookError => webhook_error,
    WaError => wa_error,
    DispenserError => dispenser_error,
    NetError => net_error,
    SmtpFailure => smtp_failure,
    TokenError => token_error,
    AnchorError => anchor_error,
    MoneyError => money_error,
    AppearanceError => appearance_error,
    PdfCliError => pdf_cli_error,
    IntakeError => intake_error,
    FileError => file_error,
    RootsError => roots_error,
    PkiError => pki_error,
    InvalidSerial => invalid_serial,
    SignerError => signer_error,
    CmsBuildError => cms_build_error,
    SignError => sign_error,
    StampError => stamp_error,
    TrustProblem => trust_problem,
    TsaError => tsa_error,
    GenTimeError => gen_time_error,
    VerifyError => verify_error,
    StampCheckError => stamp_check_error,
    PrintingError => printing_error,
    QrisError => qris_error,
    NotTicketNo => not_ticket_no,
    QueueError => queue_error,
    ReportError => report_error,
    DocumentError => document_error,
    JobError => job_error,
    LedgerError => ledger_error,
    ProviderError => provider_error,
    StampingError => stamping_error,
    HttpTsaError => http_tsa_error,
    Reply => reply,
    StoreError => store_error,
    TillError => till_error,
    UiError => ui_error,
    UnfinishedError => unfinished_error,
    TokenProblem => token_problem,
    AnchorProblem => anchor_problem,
    UserError => user_error,
    ServerError => server_error,
    MigrateError => migrate_error,
}

impl std::fmt::Display for IoWhat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(current().io_what(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of an X or Z report has an Indonesian and an English form, and they differ.
    #[test]
    fn every_till_report_word_is_worded_in_both_languages() {
        for &w in crate::till::report::TillWord::ALL {
            let (id, en) = (of(Lang::Id).till_word(w), of(Lang::En).till_word(w));
            assert!(!id.is_empty() && !en.is_empty(), "{w:?}");
            assert_ne!(id, en, "{w:?}: the English is the Indonesian");
        }
    }
    use crate::cli::CliError;

    /// One error's name, its sentence in a given language, and values both languages must name.
    type Case<'a> = (&'a str, &'a dyn Fn(&dyn Words) -> String, &'a [&'a str]);

    /// Each error in both languages: the English differs from the Indonesian and names the same
    /// values, so the English really is a translation, not the Indonesian passed through.
    fn check(errors: &[Case<'_>]) {
        for (name, say, values) in errors {
            let (id, en) = (say(of(Lang::Id)), say(of(Lang::En)));
            assert_ne!(id, en, "{name}: the English is the Indonesian");
            for v in *values {
                assert!(
                    id.contains(v) && en.contains(v),
                    "{name}: '{v}' in {id:?} / {en:?}"
                );
            }
        }
    }

    /// The stamping, queue, half-done and anchor sentences are translated, naming the same values.
    #[test]
    fn stamping_queue_and_anchor_sentences_are_translated() {
        use crate::journal::anchor::{Claim, Head};
        let held = JobNote::Held {
            reason: Some("SN 389UY343AP0GE9A40000A9 rusak."),
            job: crate::stamping::JobId(42),
        };
        let stamped = JobNote::Stamped {
            sn: "389UY343AP0GE9A40000A9",
        };
        let open = OpenDocument::Stamped {
            sn: "389UY343AP0GE9A40000A9".into(),
        };
        let part_paid = Stands::SalePartPaid {
            paid: crate::money::Rupiah::new(5_000),
            total: crate::money::Rupiah::new(10_000),
        };
        let undelivered = Stands::JobUndelivered {
            name: "ijazah.pdf".into(),
            sn: Some("389UY343AP0GE9A40000A9".into()),
        };
        let contradicted = AnchorProblem::Contradicted {
            reason: "z:12".into(),
            anchored: Head {
                seq: 812,
                hash: "9f86d081884c7d659a2feaa0c55ad015".into(),
            },
            found: Some("0123456789abcdef0123".into()),
        };
        let claim = AnchorProblem::Claim {
            claim: Claim {
                seq: 9,
                hash: "aaaabbbbccccdddd".into(),
            },
            found: None,
        };
        let setup = ProviderSetup::PasswordEnvUnset {
            var: "PERURI_PASSWORD".into(),
        };
        check(&[
            ("JobNote::Held", &|w| w.job_note(&held), &["42"]),
            (
                "JobNote::Stamped",
                &|w| w.job_note(&stamped),
                &["389UY343AP0GE9A40000A9"],
            ),
            (
                "JobNote::Received",
                &|w| w.job_note(&JobNote::Received),
                &[],
            ),
            (
                "open_document",
                &|w| w.open_document(&open),
                &["389UY343AP0GE9A40000A9"],
            ),
            (
                "ticket_act",
                &|w| w.ticket_act(TicketAct::Transfer).to_string(),
                &[],
            ),
            (
                "unfinished_what",
                &|w| w.unfinished_what(&part_paid),
                &["Rp5.000", "Rp10.000"],
            ),
            (
                "unfinished_next",
                &|w| w.unfinished_next(&undelivered).to_string(),
                &[],
            ),
            (
                "AnchorProblem::Contradicted",
                &|w| w.anchor_problem(&contradicted),
                &["12", "#812", "0123456789abcdef"],
            ),
            (
                "AnchorProblem::Claim",
                &|w| w.anchor_problem(&claim),
                &["#9", "aaaabbbbccccdddd"],
            ),
            (
                "anchor_delay",
                &|w| w.anchor_delay("Z 3", "#812 9f86", &w.duration_words(0, 2, 5), true),
                &["#812 9f86", "2"],
            ),
            (
                "ProviderSetup::PasswordEnvUnset",
                &|w| w.provider_setup(&setup),
                &["PERURI_PASSWORD"],
            ),
            (
                "serial_count_mismatch",
                &|w| w.serial_count_mismatch(7, 9, 5, 2),
                &["7", "9", "5", "2"],
            ),
            (
                "worker_nothing_waiting",
                &|w| w.worker_nothing_waiting().to_string(),
                &[],
            ),
        ]);
    }

    #[test]
    fn english_errors_are_english() {
        let unknown_service = QueueError::UnknownService {
            service: "Z".into(),
        };
        let closed = QueueError::CounterClosed { counter: 3 };
        let not_ticket = NotTicketNo("zz".into());
        let no_tender = TillError::NoTender;
        let money = MoneyError::Parse("dua".into());
        let backup = BackupError::AlreadyRunning;
        let store = StoreError::Busy;
        let profile = PrintingError::UnknownProfile("99mm".into());
        let intake = IntakeError::NotPdf;
        let quota = ProviderError::QuotaExhausted {
            message: "q".into(),
        };
        let udisks = EjectError::NoUdisks;
        let webhook = DeliveryError::WebhookNotIp;
        let role = CliError::UnknownRole("kasir".into());
        let not_supervisor = UserError::NotSupervisor("budi".into());
        let not_a_day = CliError::NotADay("21-11-2026".into());
        let holding = UnfinishedError::CounterHolding {
            counter: crate::queue::CounterNo(2),
            ticket: "A-007".into(),
        };
        check(&[
            (
                "CliError::NotADay",
                &|w| w.cli_error(&not_a_day),
                &["'21-11-2026'", "2026-11-21"],
            ),
            (
                "UnfinishedError::CounterHolding",
                &|w| w.unfinished_error(&holding),
                &["2", "A-007"],
            ),
            (
                "till_opened",
                &|w| w.till_opened(&7, 1, &"Rp100.000"),
                &["7", "1", "Rp100.000"],
            ),
            (
                "qris_shown",
                &|w| w.qris_shown("QR-1", &"Rp5.000", &"10.30 WIB"),
                &[
                    "QR-1",
                    "Rp5.000",
                    "10.30 WIB",
                    "loket sale qris-confirm --ref QR-1",
                ],
            ),
            (
                "doctor_failed",
                &|w| w.doctor_failed(2, 16),
                &["2", "16", "✗"],
            ),
            (
                "QueueError::UnknownService",
                &|w| w.queue_error(&unknown_service),
                &["'Z'"],
            ),
            (
                "QueueError::CounterClosed",
                &|w| w.queue_error(&closed),
                &["3"],
            ),
            (
                "NotTicketNo",
                &|w| w.not_ticket_no(&not_ticket),
                &["'zz'", "A-007"],
            ),
            (
                "TillError::NoTender",
                &|w| w.till_error(&no_tender),
                &["QRIS"],
            ),
            (
                "MoneyError::Parse",
                &|w| w.money_error(&money),
                &["'dua'", "Rp50.000"],
            ),
            (
                "BackupError::AlreadyRunning",
                &|w| w.backup_error(&backup),
                &[],
            ),
            ("StoreError::Busy", &|w| w.store_error(&store), &[]),
            (
                "PrintingError::UnknownProfile",
                &|w| w.printing_error(&profile),
                &["'99mm'", "80mm-42"],
            ),
            (
                "IntakeError::NotPdf",
                &|w| w.intake_error(&intake),
                &["PDF"],
            ),
            (
                "ProviderError::QuotaExhausted",
                &|w| w.provider_error(&quota),
                &[],
            ),
            (
                "EjectError::NoUdisks",
                &|w| w.eject_error(&udisks),
                &["udisks2"],
            ),
            (
                "DeliveryError::WebhookNotIp",
                &|w| w.delivery_error(&webhook),
                &["IP"],
            ),
            (
                "CliError::UnknownRole",
                &|w| w.cli_error(&role),
                &["'kasir'"],
            ),
            (
                "UserError::NotSupervisor",
                &|w| w.user_error(&not_supervisor),
                &["'budi'"],
            ),
        ]);
    }

    #[test]
    fn every_io_what_is_worded_in_both_languages() {
        for &what in IoWhat::ALL {
            let (id, en) = (of(Lang::Id).io_what(what), of(Lang::En).io_what(what));
            assert!(!id.is_empty() && !en.is_empty(), "{what:?}");
            assert_ne!(id, en, "{what:?}: the English is the Indonesian");
        }
    }

    #[test]
    fn display_follows_the_process_language_default_indonesian() {
        // Only reads the language: tests in this process never switch it.
        assert_eq!(lang::current(), Lang::Id);
        let e = QueueError::UnknownService {
            service: "Z".into(),
        };
        assert_eq!(e.to_string(), of(Lang::Id).queue_error(&e));
    }
}
