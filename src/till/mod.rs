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
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    User(#[from] crate::users::UserError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Qris(#[from] QrisError),
    #[error("hitungan uang tidak sah ({0}); tulis misalnya 100000x1,50000x2 atau jumlahnya saja")]
    BadCount(String),
    #[error("penjualan {0} tidak ada")]
    UnknownSale(i64),
    #[error("laporan Z {number} tersimpan rusak: {reason}")]
    StoredZDamaged { number: i64, reason: String },
    #[error("data kas tidak dapat ditulis: {0}")]
    Encode(String),
    #[error("penjualan {0} sudah dibatalkan; buat penjualan baru")]
    SaleVoided(i64),
    #[error("penjualan {0} sudah lunas; tidak dapat diubah atau dibayar lagi")]
    SaleAlreadyPaid(i64),
    #[error(
        "penjualan {0} sudah lunas atau dibatalkan; uangnya hanya kembali lewat pembatalan atau refund dengan persetujuan supervisor"
    )]
    ReturnAfterPaid(i64),
    #[error("penjualan {0} belum berisi barang; tambahkan barang dulu")]
    EmptySale(i64),
    #[error("belum ada pembayaran yang dimasukkan; pilih tunai, debit atau QRIS")]
    NoTender,
    #[error("jumlah pembayaran {0} harus lebih dari Rp0")]
    ZeroAmount(Method),
    #[error(
        "pembayaran {method} {amount} melebihi sisa tagihan {due}; hanya tunai yang boleh lebih (ada kembalian)"
    )]
    Overpay {
        method: Method,
        amount: Rupiah,
        due: Rupiah,
    },
    #[error("masukkan pembayaran tunai sekali saja")]
    TwoCashTenders,
    #[error("penjualan {0} tidak punya sisa tagihan lagi; uang tunai tidak perlu diterima")]
    NothingDue(i64),
    #[error(
        "kode persetujuan EDC '{0}' tidak sah: tulis 6 huruf atau angka seperti tercetak di struk EDC"
    )]
    BadApprovalCode(String),
    #[error("empat angka terakhir kartu '{0}' tidak sah: tulis tepat 4 angka")]
    BadLast4(String),
    #[error(
        "penjualan {0} sudah pernah dikembalikan; sisanya dikembalikan lewat pengembalian, bukan pembatalan"
    )]
    VoidAfterRefund(i64),
    #[error(
        "penjualan {0} belum lunas, jadi tidak dapat dikembalikan; batalkan (void) bila tidak jadi"
    )]
    RefundUnpaid(i64),
    #[error("penjualan {0} sudah dikembalikan seluruhnya")]
    AlreadyRefunded(i64),
    #[error("baris {0} tidak ada pada penjualan ini")]
    UnknownLine(u32),
    #[error("baris {line}: diminta {asked}, yang masih dapat dikembalikan {left}")]
    RefundAboveLine { line: u32, asked: i64, left: i64 },
    #[error("pengembalian {asked} lewat {method} melebihi yang dibayar ({available})")]
    RefundAboveMethod {
        method: Method,
        asked: Rupiah,
        available: Rupiah,
    },
    #[error("jumlah {0} tidak sah; tulis 1 sampai 999")]
    BadQuantity(i64),
    #[error("barang '{0}' tidak ada di daftar harga; lihat `loket till prices`")]
    UnknownItem(String),
    #[error("loket {0} tidak ada di konfigurasi")]
    UnknownCounter(u32),
    #[error("nomor tiket '{0}' tidak dikenali; tulis misalnya C-003")]
    BadTicket(String),
    #[error(
        "laci loket {0} belum dibuka; buka sesi kas dengan `loket till open --counter {0}` sebelum menerima atau mengeluarkan tunai"
    )]
    NoSession(u32),
    #[error("sesi kas loket {0} masih terbuka; tutup dulu sebelum membuka yang baru")]
    SessionOpen(u32),
    #[error("kas loket {0} sedang ditutup (sudah dihitung); selesaikan penutupan dulu")]
    SessionCounting(u32),
    #[error("kas loket {0} belum dihitung; masukkan hitungan uang (--count) dulu")]
    NotCounted(u32),
    #[error(
        "selisih kas {variance} melebihi toleransi {tolerance}; minta supervisor menyetujui dengan alasan"
    )]
    VarianceNeedsApproval { variance: Rupiah, tolerance: Rupiah },
    #[error("alasan wajib diisi (paling sedikit 3 huruf)")]
    ReasonRequired,
    #[error("jumlah harus lebih dari Rp0")]
    NotPositive,
    #[error("di laci seharusnya hanya ada {in_drawer}; tidak dapat mengeluarkan {asked}")]
    NotEnoughCash { asked: Rupiah, in_drawer: Rupiah },
    #[error("QRIS belum diatur untuk cabang ini; isi bagian [qris] di loket.toml")]
    QrisNotConfigured,
    #[error("QRIS dengan referensi '{0}' tidak ditemukan; periksa nomor referensinya")]
    QrisUnknown(String),
    #[error("QRIS {reference} sudah {state}; tidak ada yang perlu dikonfirmasi")]
    QrisEnded { reference: String, state: String },
    #[error("QRIS {0} tidak punya kelebihan bayar yang perlu dikembalikan")]
    QrisNoExcess(String),
    #[error("laporan Z nomor {0} tidak ada")]
    UnknownZ(i64),
    #[error("belum ada laporan Z")]
    NoZ,
}

impl From<rusqlite::Error> for TillError {
    fn from(e: rusqlite::Error) -> Self {
        TillError::Store(crate::store::StoreError::Sql(e))
    }
}
