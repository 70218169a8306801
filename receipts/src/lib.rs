//! What a ticket or receipt says and how it is laid out: a printer-neutral document, a text preview and ESC/POS bytes.
//!
//! The crate is pure: no I/O, and no arithmetic on money (amounts arrive formatted, such as
//! `Rp10.000`). The flow is
//!
//! 1. plain data ([`QueueTicket`], [`SaleSlip`], …) → a layout function ([`queue_ticket`], …)
//!    → a [`Document`];
//! 2. [`Document`] + [`Profile`] → [`preview`] (fixed-width text) or [`encode`] (ESC/POS bytes, one
//!    buffer per job, ready for `loket-drivers`).
//!
//! Both outputs come from the same layout ([`layout`]), so the preview shows exactly the lines
//! the printer prints, after folding text into the profile's code page.
//!
//! ```
//! use loket_receipts::{encode, preview, sample, Kind, Profile};
//! let doc = sample(Kind::Sale);
//! let profile = Profile::mm80_48();
//! let text = preview(&doc, &profile).unwrap();
//! assert!(text.contains("BUKTI PEMBAYARAN"));
//! let bytes = encode(&doc, &profile).unwrap();
//! assert!(bytes.starts_with(b"\x1b@"));
//! ```

mod codepage;
mod encode;
mod layouts;
mod lines;
mod model;
mod preview;
mod profile;
mod qr;
mod samples;
pub mod strings;

pub use codepage::CodePage;
pub use encode::{EncodeError, encode, strips as raster_strips};
pub use layouts::{
    Amount, Branch, ClaimReceipt, DailySummary, QrisSlip, QueueTicket, SaleItem, SaleSlip,
    ServiceCount, StampingProof, Tender, TenderTotal, TillSlip, TillSlipKind, claim_receipt,
    daily_summary, qris_slip, queue_ticket, sale_receipt, stamping_proof, till_report,
};
pub use lines::{Line, RenderError, Run, layout, row, run_columns, wrap};
pub use model::{Align, Block, Document, Raster, Style};
pub use preview::preview;
pub use profile::{CutMode, DrawerKick, FONT_A_DOTS, Profile, QrMode};
pub use qr::{EC_LEVEL as QR_EC_LEVEL, MAX_MODULE as QR_MAX_MODULE, Symbol as QrSymbol};
pub use samples::{
    Kind, SAMPLE_QRIS_PAYLOAD, SampleData, UnknownKind, sample, sample_data,
    sample_forty_line_sale, sample_logo,
};
