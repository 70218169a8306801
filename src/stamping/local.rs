//! The local stamping provider: serial numbers from the branch's own SN inventory (lots loaded by a
//! supervisor), stamps signed with the branch's training certificate and marked SPESIMEN.

use super::ledger;
use super::provider::{
    Document, DocumentType, Health, IssueRequest, Issued, ListFilter, Provider, ProviderError,
    ProviderSetup, Quota, SerialEntry, SerialPage, SerialState, StampRequest,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::journal::Entry;
use crate::pdf::{self, AppearanceOptions, IntakeOptions, SignatureProfile, Signer};
use crate::store::sql::{OptionalExtension, params};
use crate::store::{self, Store, StoreError};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// The lot loaded on first use so the embedded demo can stamp: training serials, bought for Rp0.
pub const TRAINING_LOT: &str = "LATIHAN-1";
pub const TRAINING_LOT_COUNT: u32 = 100;

/// The job a request id belongs to: request ids are `J<job>-<n>-<random>` (see `service`).
pub fn job_of_request(request_id: &str) -> Option<i64> {
    request_id
        .strip_prefix('J')?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Loads the training lot when no lot was ever loaded (first run of a local-provider branch).
/// Returns whether it loaded it.
pub fn ensure_training_lot(tx: &mut store::Tx<'_>) -> Result<bool, ledger::LedgerError> {
    let lots: i64 = tx.query_row("SELECT COUNT(*) FROM serial_lots", (), |r| r.get(0))?;
    if lots > 0 {
        return Ok(false);
    }
    ledger::load_lot(tx, "system", TRAINING_LOT, TRAINING_LOT_COUNT, 0)?;
    Ok(true)
}

/// The local provider. Holds its own connection to the branch database (the ledger is its SN source).
pub struct LocalProvider {
    store: Mutex<Store>,
    signer: Signer,
    tsa: Option<Box<dyn pdf::TimestampSource>>,
    verify_url: String,
    location: String,
    /// Serials this process is stamping right now and will draw when the output is stored: two
    /// jobs running side by side never put the same serial on two documents.
    reserved: Mutex<HashSet<String>>,
}

/// A serial held for one stamping in this process, given back when dropped. Holding it does not
/// draw it: the service draws it (checking it is still available) in the transaction that records
/// the stamped output.
#[derive(Debug)]
pub struct Reservation<'a> {
    sn: String,
    held: &'a Mutex<HashSet<String>>,
}

impl Reservation<'_> {
    pub fn sn(&self) -> &str {
        &self.sn
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.sn);
    }
}

impl std::fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProvider")
            .field("location", &self.location)
            .field("tsa", &self.tsa.is_some())
            .finish_non_exhaustive()
    }
}

fn sql(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Protocol {
        detail: format!("local ledger: {e}"),
    }
}

impl LocalProvider {
    /// Opens the provider for the branch in `data_dir`, creating the training PKI in `DATA/pki/` when
    /// it is missing.
    pub fn open(
        data_dir: &Path,
        config: &Config,
        clock: Arc<dyn Clock>,
    ) -> Result<LocalProvider, ProviderError> {
        let pki_dir = data_dir.join(crate::branch::PKI_FOLDER);
        let mut paths = pdf::pki::TrainingPkiPaths::in_dir(&pki_dir);
        if !paths.exists() {
            paths =
                pdf::pki::generate_training_pki(&pki_dir, &config.branch.name).map_err(|e| {
                    ProviderError::Config(ProviderSetup::TrainingCertificates(e.to_string()))
                })?;
        }
        let signer = Signer::from_files(&paths.signer_key, &paths.signer_chain).map_err(|e| {
            ProviderError::Config(ProviderSetup::TrainingCertificates(e.to_string()))
        })?;
        let tsa: Option<Box<dyn pdf::TimestampSource>> = match &config.stamping.tsa_url {
            Some(url) => Some(Box::new(
                super::tsa_http::HttpTsa::new(url)
                    .map_err(|e| ProviderError::Config(ProviderSetup::Said(e.to_string())))?,
            )),
            None => None,
        };
        let store = Store::open_at(
            &store::Location::of(data_dir, &config.store),
            clock,
            config.branch.timezone,
        )
        .map_err(sql)?;
        Ok(LocalProvider {
            store: Mutex::new(store),
            signer,
            tsa,
            verify_url: config.stamping.verify_url.clone(),
            location: config.stamping.location.clone(),
            reserved: Mutex::new(HashSet::new()),
        })
    }

    /// Holds the first of `candidates` (next available serials, in draw order) that no other
    /// stamping of this process holds; `None` when all are held.
    pub fn reserve(&self, candidates: &[String]) -> Option<Reservation<'_>> {
        let mut held = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        let sn = candidates.iter().find(|sn| !held.contains(*sn))?.clone();
        held.insert(sn.clone());
        Some(Reservation {
            sn,
            held: &self.reserved,
        })
    }

    /// How many serials are held now (a bound for how far down the inventory to look).
    pub fn held(&self) -> usize {
        self.reserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn empty_inventory() -> ProviderError {
    ProviderError::QuotaExhausted {
        message: "local serial inventory empty".into(),
    }
}

impl Provider for LocalProvider {
    fn document_types(&self) -> Result<Vec<DocumentType>, ProviderError> {
        Ok(super::peruri::fallback_document_types())
    }

    fn issue_serial_once(&self, request: &IssueRequest) -> Result<Issued, ProviderError> {
        let job = job_of_request(&request.request_id).ok_or_else(|| {
            ProviderError::Config(ProviderSetup::ForeignRequest(request.request_id.clone()))
        })?;
        let mut store = self.store();
        let result: Result<Issued, ledger::LedgerError> = store.write(|tx| {
            // Always look the request up first: a draw whose reply was lost (crash between the
            // draw and the job's own transaction) is found again here, never drawn twice.
            let found: Option<String> = tx
                .query_row(
                    "SELECT sn FROM serials WHERE request_id = ?1 AND status IN ('issued', 'stamped')",
                    [&request.request_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sn) = found {
                tx.unchanged();
                return Ok(Issued {
                    sn,
                    stamp_image: None,
                    handle: None,
                    reconciled: true,
                });
            }
            let loaded = ensure_training_lot(tx)?;
            let sn = ledger::draw_local(tx, crate::stamping::JobId(job), &request.sha256)?;
            let Some(sn) = sn else {
                if !loaded {
                    tx.unchanged();
                }
                return Ok(Issued {
                    sn: String::new(),
                    stamp_image: None,
                    handle: None,
                    reconciled: false,
                });
            };
            tx.execute(
                "UPDATE serials SET request_id = ?2 WHERE sn = ?1",
                params![sn, request.request_id],
            )?;
            tx.journal(Entry::new(
                "system",
                "serial.drawn",
                &sn,
                json!({"job": job, "request_id": request.request_id, "document": request.sha256}),
            ))?;
            Ok(Issued {
                sn,
                stamp_image: None,
                handle: None,
                reconciled: false,
            })
        });
        let issued = result.map_err(sql)?;
        if issued.sn.is_empty() {
            return Err(empty_inventory());
        }
        Ok(issued)
    }

    fn stamp(&self, request: &StampRequest) -> Result<Vec<u8>, ProviderError> {
        let bytes = match &request.document {
            Document::Bytes(b) => b.clone(),
            Document::Path(p) => std::fs::read(p).map_err(|source| ProviderError::Local {
                what: crate::error::IoWhat::Document,
                path: p.clone(),
                source,
            })?,
        };
        let bad = |m: String| ProviderError::BadDocument {
            code: "local".into(),
            message: m,
        };
        let prepared = pdf::intake(
            bytes,
            &IntakeOptions {
                password: request.password.clone(),
                ..IntakeOptions::default()
            },
        )
        .map_err(|e| bad(e.to_string()))?;
        let serial = pdf::SerialNumber::parse(&request.sn).map_err(|e| bad(e.to_string()))?;
        let r = request.rect.normalized();
        let (tz, now) = {
            let store = self.store();
            (store.timezone(), store.now())
        };
        let spec = pdf::StampSpec {
            page: request.page,
            rect: pdf::Rect::new(
                f64::from(r.llx),
                f64::from(r.lly),
                f64::from(r.urx),
                f64::from(r.ury),
            ),
            serial,
            reason: request.reason.clone(),
            location: if request.location.is_empty() {
                self.location.clone()
            } else {
                request.location.clone()
            },
            signing_time: now.to_offset(tz.offset()),
            appearance: AppearanceOptions {
                verify_url_template: self.verify_url.clone(),
                specimen: true,
            },
            profile: SignatureProfile::CadesDetached,
        };
        let stamped = pdf::stamp(prepared, &spec, &self.signer, self.tsa.as_deref()).map_err(
            |e| match e {
                // The timestamp authority is an outside service: its outage is waited out.
                pdf::StampError::Sign(pdf::sign::SignError::Timestamp(t)) => {
                    ProviderError::Unavailable {
                        detail: format!("timestamp authority: {t}"),
                        source: Some(Box::new(t)),
                    }
                }
                other => bad(other.to_string()),
            },
        )?;
        Ok(stamped.to_vec())
    }

    fn quota(&self) -> Result<Quota, ProviderError> {
        let mut store = self.store();
        let inv = store
            .read(|c| ledger::inventory(c).map_err(StoreError::from))
            .map_err(sql)?;
        Ok(Quota {
            remaining: inv.available,
            not_stamped: inv.issued,
        })
    }

    fn serial_status(&self, sn: &str) -> Result<SerialEntry, ProviderError> {
        let mut store = self.store();
        let row: Option<(String, Option<i64>, Option<i64>)> = store
            .read(|c| {
                c.query_row(
                    "SELECT status, issued_ms, COALESCE(stamped_ms, spoiled_ms) FROM serials WHERE sn = ?1",
                    [sn],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(StoreError::from)
            })
            .map_err(sql)?;
        Ok(match row {
            Some((status, issued, updated)) => SerialEntry {
                sn: sn.to_string(),
                state: match status.as_str() {
                    "issued" => SerialState::NotStamped,
                    "stamped" => SerialState::Stamped,
                    other => SerialState::Unknown(other.to_ascii_uppercase()),
                },
                file: None,
                issued: issued.map(|m| store::from_ms(m).to_string()),
                updated: updated.map(|m| store::from_ms(m).to_string()),
            },
            None => SerialEntry {
                sn: sn.to_string(),
                state: SerialState::Unknown("UNKNOWN".into()),
                file: None,
                issued: None,
                updated: None,
            },
        })
    }

    fn list_serials(&self, filter: &ListFilter) -> Result<SerialPage, ProviderError> {
        let status = match &filter.state {
            None => None,
            Some(SerialState::NotStamped) => Some("issued"),
            Some(SerialState::Stamped) => Some("stamped"),
            Some(SerialState::Unknown(_)) => Some("spoiled"),
        };
        let mut store = self.store();
        store
            .read(|c| {
                let total: i64 = c.query_row(
                    "SELECT COUNT(*) FROM serials WHERE status != 'available' AND (CAST(?1 AS TEXT) IS NULL OR status = ?1)",
                    [status],
                    |r| r.get(0),
                )?;
                let mut stmt = c.prepare(
                    "SELECT sn, status, request_id FROM serials WHERE status != 'available' AND (CAST(?1 AS TEXT) IS NULL OR status = ?1)
                     ORDER BY issued_ms, sn LIMIT ?2 OFFSET ?3",
                )?;
                let items = stmt
                    .query_map(
                        params![
                            status,
                            i64::from(filter.length),
                            i64::try_from(filter.start).unwrap_or(i64::MAX)
                        ],
                        |r| {
                            let status: String = r.get(1)?;
                            Ok(SerialEntry {
                                sn: r.get(0)?,
                                state: match status.as_str() {
                                    "issued" => SerialState::NotStamped,
                                    "stamped" => SerialState::Stamped,
                                    other => SerialState::Unknown(other.to_ascii_uppercase()),
                                },
                                file: r.get(2)?,
                                issued: None,
                                updated: None,
                            })
                        },
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(SerialPage {
                    total: u64::try_from(total).unwrap_or(0),
                    items,
                })
            })
            .map_err(|e: StoreError| sql(e))
    }

    fn health(&self) -> Health {
        Health::Up
    }

    fn as_local(&self) -> Option<&LocalProvider> {
        Some(self)
    }
}
