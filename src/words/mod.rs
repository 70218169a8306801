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
use crate::config::ConfigError;
use crate::delivery::DeliveryError;
use crate::delivery::copy::{CopyError, human_bytes};
use crate::delivery::drives::EjectError;
use crate::delivery::mail::MailError;
use crate::delivery::names::NameError;
use crate::delivery::wa_outbox::WebhookError;
use crate::delivery::whatsapp::WaError;
use crate::dispenser::DispenserError;
use crate::doctor::{NetError, SmtpFailure, SmtpStage};
use crate::hall::token::TokenError;
use crate::journal::anchor::AnchorError;
use crate::money::MoneyError;
use crate::pdf::appearance::AppearanceError;
use crate::pdf::cli::CliError;
use crate::pdf::intake::IntakeError;
use crate::pdf::io::{FileError, RootsError};
use crate::pdf::pki::PkiError;
use crate::pdf::placement::MIN_STAMP_MM;
use crate::pdf::serial::InvalidSerial;
use crate::pdf::sign::{CmsBuildError, SignError, SignerError};
use crate::pdf::stamp::StampError;
use crate::pdf::trust::TrustProblem;
use crate::pdf::tsa::{GenTimeError, TsaError};
use crate::pdf::verify::{StampCheckError, VerifyError};
use crate::printing::PrintingError;
use crate::qris::QrisError;
use crate::queue::domain::{NotTicketNo, QueueError};
use crate::report::ReportError;
use crate::stamping::StampingError;
use crate::stamping::documents::DocumentError;
use crate::stamping::job::JobError;
use crate::stamping::ledger::LedgerError;
use crate::stamping::provider::ProviderError;
use crate::stamping::tsa_http::{HttpTsaError, Reply};
use crate::store::StoreError;
use crate::till::TillError;
use crate::ui::UiError;
use crate::users::UserError;

/// The sentences of one language. Every error type and every command-line sentence has a method, so
/// a language that misses one does not compile.
pub(crate) trait Words: Sync {
    /// What the clerk can do when the stamp is larger than the page (`fits_mm`: the largest that fits).
    fn stamp_too_small_advice(&self, fits_mm: f64) -> String;
    /// The part of an SMTP conversation that failed, as a noun.
    fn smtp_stage(&self, stage: SmtpStage) -> &'static str;

    fn backup_error(&self, e: &BackupError) -> String;
    fn branch_error(&self, e: &BranchError) -> String;
    fn config_error(&self, e: &ConfigError) -> String;
    fn copy_error(&self, e: &CopyError) -> String;
    fn eject_error(&self, e: &EjectError) -> String;
    fn mail_error(&self, e: &MailError) -> String;
    fn delivery_error(&self, e: &DeliveryError) -> String;
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
    fn cli_error(&self, e: &CliError) -> String;
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
    fn http_tsa_error(&self, e: &HttpTsaError) -> String;
    fn reply(&self, e: &Reply) -> String;
    fn store_error(&self, e: &StoreError) -> String;
    fn till_error(&self, e: &TillError) -> String;
    fn ui_error(&self, e: &UiError) -> String;
    fn user_error(&self, e: &UserError) -> String;
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
    BackupError => backup_error,
    BranchError => branch_error,
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
    CliError => cli_error,
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
    UserError => user_error,
}
