//! The till: sales and tenders, QRIS lifecycle, drawer sessions with one cash ledger, X and Z reports.
//!
//! `domain` holds the pure rules, `report` turns figures into documents for the receipt printer,
//! `service` persists every step as one transaction with its journal entry (as `impl Branch`
//! methods), and `cli` is the `loket till` / `loket sale` command line.
#![deny(clippy::float_arithmetic)]

pub mod cli;
pub mod domain;
pub mod report;
mod service;

pub use domain::{
    CashCount, DENOMINATIONS, Line, LineKind, Method, MoveKind, Movement, PaymentPreview,
    QrisState, RefundRequest, Sale, SaleId, SaleStatus, Summary, Tender, TenderDraft,
    TenderRefusal, TenderTotal, quick_amounts, summarize,
};
pub use report::{ReportKind, ReportRow, ReportSection, SaleReceipt, TillReport};
pub use service::ZListing;
pub(crate) use service::refund_in;
pub use service::{
    CloseOutcome, DrawerOutcome, LineView, PaymentOutcome, PaymentView, QrisOutcome, QrisView,
    RETURNED_BEFORE_PAID, RefundOutcome, SaleView, SessionView, VoidOutcome,
    approval_subject_counter, approval_subject_qris, approval_subject_sale,
    approval_subject_session,
};

use crate::money::{MoneyError, Rupiah};
use crate::qris::QrisError;

/// Approval actions a supervisor grants for the till.
pub mod actions {
    pub const VOID: &str = "sale.void";
    pub const REFUND: &str = "sale.refund";
    pub const NO_SALE: &str = "drawer.no_sale";
    pub const CLOSE_VARIANCE: &str = "till.close";
    pub const QRIS_EXCESS: &str = "qris.refund";
}

/// What the till refuses, in sentences for the clerk.
#[derive(Debug, thiserror::Error)]
pub enum TillError {
    Store(#[from] crate::store::StoreError),
    User(#[from] crate::users::UserError),
    Money(#[from] MoneyError),
    Qris(#[from] QrisError),
    BadCount(String),
    UnknownSale(i64),
    StoredZDamaged {
        number: i64,
        reason: String,
    },
    Encode(String),
    SaleVoided(i64),
    SaleAlreadyPaid(i64),
    ReturnAfterPaid(i64),
    EmptySale(i64),
    NoTender,
    ZeroAmount(Method),
    Overpay {
        method: Method,
        amount: Rupiah,
        due: Rupiah,
    },
    TwoCashTenders,
    NothingDue(i64),
    BadApprovalCode(String),
    BadLast4(String),
    VoidAfterRefund(i64),
    RefundUnpaid(i64),
    AlreadyRefunded(i64),
    UnknownLine(u32),
    RefundAboveLine {
        line: u32,
        asked: i64,
        left: i64,
    },
    RefundAboveMethod {
        method: Method,
        asked: Rupiah,
        available: Rupiah,
    },
    BadQuantity(i64),
    UnknownItem(String),
    UnknownCounter(u32),
    BadTicket(String),
    NoSession(u32),
    SessionOpen(u32),
    SessionCounting(u32),
    NotCounted(u32),
    VarianceNeedsApproval {
        variance: Rupiah,
        tolerance: Rupiah,
    },
    ReasonRequired,
    NotPositive,
    NotEnoughCash {
        asked: Rupiah,
        in_drawer: Rupiah,
    },
    QrisNotConfigured,
    QrisUnknown(String),
    QrisEnded {
        reference: String,
        state: String,
    },
    QrisNoExcess(String),
    UnknownZ(i64),
    NoZ,
}

impl From<crate::store::sql::Error> for TillError {
    fn from(e: crate::store::sql::Error) -> Self {
        TillError::Store(crate::store::StoreError::from(e))
    }
}
