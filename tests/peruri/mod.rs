//! The Peruri e-Meterai client against the fake Peruri on loopback: real HTTP over real sockets.

mod config;
mod faults;
mod flows;
mod reference;

use loket::config::{PeruriConfig, PeruriMode};
use loket::stamping::peruri::PeruriProvider;
use loket::stamping::provider::{
    Document, IssueRequest, Issued, Provider, Rect, SerialState, StampRequest,
};
use loket::testing::fake_peruri::{FakeOptions, FakePeruri, Route};
use tempfile::TempDir;

/// A minimal PDF the fake's signer accepts.
pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A fake Peruri with its shared folder, and a provider (own breakers) pointed at it.
pub struct Env {
    pub fake: FakePeruri,
    pub share: TempDir,
    pub provider: PeruriProvider,
}

impl Env {
    pub fn new(mode: PeruriMode) -> Env {
        Env::with(mode, |_| {})
    }

    pub fn with(mode: PeruriMode, edit: impl FnOnce(&mut PeruriConfig)) -> Env {
        let share = tempfile::tempdir().expect("shared folder");
        let fake = FakePeruri::start(FakeOptions {
            shared_folder: Some(share.path().to_path_buf()),
            ..FakeOptions::default()
        })
        .expect("fake peruri starts");
        let mut cfg = fake.config(mode);
        edit(&mut cfg);
        let provider = PeruriProvider::isolated(cfg).expect("provider");
        Env {
            fake,
            share,
            provider,
        }
    }

    /// Another provider on the same fake, as a restarted process would build it.
    pub fn restarted(&self, mode: PeruriMode) -> PeruriProvider {
        PeruriProvider::isolated(self.fake.config(mode)).expect("provider")
    }

    pub fn count(&self, route: Route) -> usize {
        self.fake.count(route)
    }

    /// The serial's state as the provider reports it.
    pub fn state_of(&self, sn: &str) -> SerialState {
        self.provider.serial_status(sn).expect("status").state
    }
}

/// A request id as the stamping job would store it.
pub fn request_id(n: u32) -> String {
    format!("job-{n:04}-7f3a9c2e")
}

pub fn issue_request(n: u32) -> IssueRequest {
    IssueRequest {
        request_id: request_id(n),
        doc_type: "3".into(),
        file_name: "surat pernyataan.pdf".into(),
        doc_date: time::macros::date!(2026 - 11 - 23),
        value: 0,
        sha256: "00".repeat(32),
        document: Some(PDF.to_vec()),
        attempted_before: false,
    }
}

pub fn stamp_request(n: u32, issued: &Issued) -> StampRequest {
    StampRequest {
        request_id: request_id(n),
        sn: issued.sn.clone(),
        document: Document::Bytes(PDF.to_vec()),
        page: 1,
        rect: Rect {
            llx: 400.0,
            lly: 100.0,
            urx: 485.0,
            ury: 185.0,
        },
        reason: "Surat Pernyataan".into(),
        location: "BANDUNG".into(),
        password: None,
        stamp_image: issued.stamp_image.clone(),
        handle: issued.handle.clone(),
    }
}
