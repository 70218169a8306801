//! e-Meterai PDF stamping engine: intake checks, placement, stamp appearance, CMS signing as an incremental
//! update, read-back and verification. Pure functions over bytes; file I/O only in [`io`].
//!
//! The flow the stamping service follows:
//! 1. [`intake::intake`] the customer's bytes → [`intake::PreparedDocument`] with an [`intake::IntakeReport`];
//! 2. [`placement::propose`] a place (or take the clerk's page and rectangle);
//! 3. [`stamp::stamp`] with a [`serial::SerialNumber`], a [`sign::Signer`] and optionally a
//!    [`tsa::TimestampSource`] → [`stamp::StampedPdf`];
//! 4. [`io::write_stamped`] writes it and reads it back through [`verify::check_written`];
//! 5. [`verify::verify_pdf_with_roots`] lists every signature of any PDF (`loket verify`), and whether each signer
//!    chains to a configured root ([`trust::check_chain`]).
//!
//! [`pki::generate_training_pki`] creates the branch's training CA, signer and TSA (`loket init`).

pub mod appearance;
pub(crate) mod ber;
pub mod cli;
pub mod geometry;
pub mod intake;
pub mod io;
pub(crate) mod load;
pub(crate) mod objects;
pub mod picture;
pub mod pki;
pub mod placement;
pub(crate) mod reach;
pub mod serial;
pub mod sign;
pub(crate) mod splice;
pub mod stamp;
#[cfg(test)]
mod test_pki;
pub mod trust;
pub mod tsa;
pub mod verify;

pub use appearance::AppearanceOptions;
pub use geometry::{DEFAULT_STAMP_MM, PageFrame, Rect, mm_to_pt, pt_to_mm};
pub use intake::{
    IntakeError, IntakeOptions, IntakeReport, IntakeWarning, PreparedDocument, TargetProfile,
    intake, upgraded_to_1_7,
};
pub use io::load_roots;
pub use placement::{Placement, PlacementBasis, propose};
pub use serial::SerialNumber;
pub use sign::{SignatureProfile, Signer};
pub use stamp::{StampError, StampSpec, StampedPdf, stamp};
pub use trust::TrustProblem;
pub use tsa::{LocalTsa, TimestampSource};
pub use verify::{SignatureCheck, VerifyReport, verify_pdf, verify_pdf_with_roots};
