//! The serial-number ledger: every SN loket ever held, and where it went — on a document, or spoiled
//! with the reason. Claims to Peruri and the quota reconciliation are read from here.

use crate::journal::Entry;
use crate::stamping::job::JobId;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::store::{StoreError, Tx};
use serde::Serialize;
use serde_json::json;

/// Characters of a serial number: 22 of `[A-Z0-9]`, like Peruri's.
const SN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const SN_LEN: usize = 22;

/// Whether `sn` has the shape of an e-Meterai serial number.
pub fn is_serial(sn: &str) -> bool {
    sn.len() == SN_LEN
        && sn
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn random_serial(rng: &mut fastrand::Rng) -> String {
    (0..SN_LEN)
        .map(|_| char::from(SN_ALPHABET[rng.usize(..SN_ALPHABET.len())]))
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    LotExists(String),
    BadCount,
    Unknown(String),
    WrongStatus {
        sn: String,
        status: String,
        wanted: &'static str,
    },
    Store(#[from] StoreError),
}

impl From<crate::store::sql::Error> for LedgerError {
    fn from(e: crate::store::sql::Error) -> Self {
        LedgerError::Store(StoreError::from(e))
    }
}

/// Loads a lot of `count` serial numbers bought for `price_paid` rupiah into the local inventory.
pub fn load_lot(
    tx: &mut Tx<'_>,
    actor: &str,
    lot_id: &str,
    count: u32,
    price_paid: i64,
) -> Result<(), LedgerError> {
    if !(1..=100_000).contains(&count) {
        return Err(LedgerError::BadCount);
    }
    let exists: i64 = tx.query_row(
        "SELECT COUNT(*) FROM serial_lots WHERE lot_id = ?1",
        [lot_id],
        |r| r.get(0),
    )?;
    if exists > 0 {
        return Err(LedgerError::LotExists(lot_id.to_string()));
    }
    let now = tx.now_ms();
    tx.execute(
        "INSERT INTO serial_lots (lot_id, count, price_paid, loaded_ms, loaded_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![lot_id, count, price_paid, now, actor],
    )?;
    let mut rng = fastrand::Rng::new();
    let mut insert = tx.prepare_cached(
        "INSERT INTO serials (sn, provider, lot_id, status) VALUES (?1, 'local', ?2, 'available')
         ON CONFLICT DO NOTHING",
    )?;
    let mut added = 0;
    while added < count {
        // One row or none: none when the serial drawn is already in the ledger.
        added += u32::from(insert.execute(params![random_serial(&mut rng), lot_id])? == 1);
    }
    drop(insert);
    tx.journal(Entry::new(
        actor,
        "serial.lot_loaded",
        lot_id,
        json!({"count": count, "price_paid": price_paid}),
    ))?;
    Ok(())
}

/// The next `n` available serials of the local inventory in draw order: oldest lot first, then
/// by serial. Each lot is read through the `serials_available` index, so the cost does not grow
/// with the size of the inventory.
pub fn next_available(c: &Connection, n: usize) -> Result<Vec<String>, LedgerError> {
    let mut lots = c.prepare_cached("SELECT lot_id FROM serial_lots ORDER BY loaded_ms, lot_id")?;
    let lots = lots
        .query_map((), |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(n);
    // SQLite is told to use the partial index of available serials (its planner may otherwise
    // scan a lot's spent ones); PostgreSQL's planner finds it by itself.
    let mut stmt = c.prepare_cached(if c.is_server() {
        "SELECT sn FROM serials WHERE lot_id = ?1 AND status = 'available' ORDER BY sn LIMIT ?2"
    } else {
        "SELECT sn FROM serials INDEXED BY serials_available
         WHERE lot_id = ?1 AND status = 'available' ORDER BY sn LIMIT ?2"
    })?;
    for lot in lots {
        if out.len() >= n {
            break;
        }
        let want = i64::try_from(n - out.len()).unwrap_or(i64::MAX);
        for sn in stmt.query_map(params![lot, want], |r| r.get::<_, String>(0))? {
            out.push(sn?);
        }
    }
    Ok(out)
}

/// Takes the next available serial from the local inventory (oldest lot first) for a job, binding it
/// to the document it will stamp. `None` when the inventory is empty.
pub fn draw_local(
    tx: &Tx<'_>,
    job_id: JobId,
    document_sha256: &str,
) -> Result<Option<String>, LedgerError> {
    let sn = next_available(tx, 1)?.into_iter().next();
    if let Some(sn) = &sn {
        draw(tx, sn, job_id, document_sha256)?;
    }
    Ok(sn)
}

/// Takes the serial `sn` from the local inventory for a job, if it is still available; `false`
/// when another job (or process) took it first.
pub fn draw(
    tx: &Tx<'_>,
    sn: &str,
    job_id: JobId,
    document_sha256: &str,
) -> Result<bool, LedgerError> {
    let n = tx.execute(
        "UPDATE serials SET status = 'issued', job_id = ?2, document_sha256 = ?3, issued_ms = ?4
         WHERE sn = ?1 AND status = 'available'",
        params![sn, job_id, document_sha256, tx.now_ms()],
    )?;
    Ok(n == 1)
}

/// Records a serial issued by an outside provider for a job.
pub fn record_issued(
    tx: &Tx<'_>,
    sn: &str,
    provider: &str,
    job_id: JobId,
    document_sha256: &str,
) -> Result<(), LedgerError> {
    let status: Option<String> = tx
        .query_row("SELECT status FROM serials WHERE sn = ?1", [sn], |r| {
            r.get(0)
        })
        .optional()?;
    match status.as_deref() {
        None => {
            tx.execute(
                "INSERT INTO serials (sn, provider, status, job_id, document_sha256, issued_ms) VALUES (?1, ?2, 'issued', ?3, ?4, ?5)",
                params![sn, provider, job_id, document_sha256, tx.now_ms()],
            )?;
            Ok(())
        }
        // The same serial reported again for the same job (a reconciled retry) is fine.
        Some("issued") => Ok(()),
        Some(other) => Err(LedgerError::WrongStatus {
            sn: sn.to_string(),
            status: other.to_string(),
            wanted: "diterbitkan lagi",
        }),
    }
}

/// An SN the provider lists as issued and unused that no job of loket's holds (its reply came
/// after loket had looked for it and asked again): recorded as spoiled with `reason`, so that it is
/// in the claims list like every other serial that was paid for and not used. `false` when loket
/// already knew it.
pub fn record_orphan(
    tx: &Tx<'_>,
    sn: &str,
    provider: &str,
    reason: &str,
) -> Result<bool, LedgerError> {
    let now = tx.now_ms();
    let added = tx.execute(
        "INSERT INTO serials (sn, provider, status, reason, issued_ms, spoiled_ms)
         SELECT ?1, ?2, 'spoiled', ?3, CAST(?4 AS BIGINT), CAST(?4 AS BIGINT)
         WHERE NOT EXISTS (SELECT 1 FROM serials WHERE sn = ?1)",
        params![sn, provider, reason, now],
    )?;
    Ok(added == 1)
}

fn set_status(
    tx: &Tx<'_>,
    sn: &str,
    from: &str,
    to: &str,
    wanted: &'static str,
    extra: &str,
    args: impl crate::store::sql::Params,
) -> Result<(), LedgerError> {
    let status: Option<String> = tx
        .query_row("SELECT status FROM serials WHERE sn = ?1", [sn], |r| {
            r.get(0)
        })
        .optional()?;
    match status.as_deref() {
        None => Err(LedgerError::Unknown(sn.to_string())),
        Some(s) if s == from => {
            tx.execute(
                &format!("UPDATE serials SET status = '{to}', {extra} WHERE sn = ?1"),
                args,
            )?;
            Ok(())
        }
        Some(s) => Err(LedgerError::WrongStatus {
            sn: sn.to_string(),
            status: s.to_string(),
            wanted,
        }),
    }
}

/// The serial now stands on a stamped document.
pub fn mark_stamped(tx: &Tx<'_>, sn: &str) -> Result<(), LedgerError> {
    set_status(
        tx,
        sn,
        "issued",
        "stamped",
        "dibubuhkan",
        "stamped_ms = ?2",
        params![sn, tx.now_ms()],
    )
}

/// The serial cannot be used; it goes on the claims list with the reason.
pub fn mark_spoiled(tx: &Tx<'_>, sn: &str, reason: &str) -> Result<(), LedgerError> {
    set_status(
        tx,
        sn,
        "issued",
        "spoiled",
        "dinyatakan rusak",
        "spoiled_ms = ?2, reason = ?3",
        params![sn, tx.now_ms(), reason],
    )
}

/// Counts of the ledger, by status and by lot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub available: u64,
    pub issued: u64,
    pub stamped: u64,
    pub spoiled: u64,
    pub lots: Vec<LotCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotCount {
    pub lot_id: String,
    pub count: u64,
    pub price_paid: i64,
    pub available: u64,
    pub used: u64,
    pub spoiled: u64,
}

/// A COUNT or SUM column, never negative.
fn count(r: &crate::store::sql::Row<'_>, i: usize) -> crate::store::sql::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

pub fn inventory(c: &Connection) -> crate::store::sql::Result<Inventory> {
    let mut inv = Inventory::default();
    let mut stmt = c.prepare("SELECT status, COUNT(*) FROM serials GROUP BY status")?;
    for row in stmt.query_map((), |r| Ok((r.get::<_, String>(0)?, count(r, 1)?)))? {
        let (status, n) = row?;
        match status.as_str() {
            "available" => inv.available = n,
            "issued" => inv.issued = n,
            "stamped" => inv.stamped = n,
            _ => inv.spoiled = n,
        }
    }
    let mut stmt = c.prepare(
        "SELECT l.lot_id, l.count, l.price_paid,
                COALESCE(SUM(CASE WHEN s.status = 'available' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN s.status IN ('issued', 'stamped') THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN s.status = 'spoiled' THEN 1 ELSE 0 END), 0)
         FROM serial_lots l LEFT JOIN serials s ON s.lot_id = l.lot_id
         GROUP BY l.lot_id, l.count, l.price_paid, l.loaded_ms ORDER BY l.loaded_ms, l.lot_id",
    )?;
    inv.lots = stmt
        .query_map((), |r| {
            Ok(LotCount {
                lot_id: r.get(0)?,
                count: count(r, 1)?,
                price_paid: r.get(2)?,
                available: count(r, 3)?,
                used: count(r, 4)?,
                spoiled: count(r, 5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(inv)
}

/// A spoiled serial to claim from Peruri.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub sn: String,
    pub spoiled_ms: i64,
    pub provider: String,
    /// The lot (invoice) it was bought in, for local inventory.
    pub lot_id: Option<String>,
    pub job_id: Option<i64>,
    pub ticket: Option<String>,
    pub reason: String,
}

pub fn claims(c: &Connection) -> crate::store::sql::Result<Vec<Claim>> {
    let mut stmt = c.prepare(
        "SELECT s.sn, s.spoiled_ms, s.provider, s.lot_id, s.job_id, j.ticket, COALESCE(s.reason, '')
         FROM serials s LEFT JOIN stamp_jobs j ON j.id = s.job_id
         WHERE s.status = 'spoiled' AND s.claimed_ms IS NULL ORDER BY s.spoiled_ms, s.sn",
    )?;
    let rows = stmt.query_map((), |r| {
        Ok(Claim {
            sn: r.get(0)?,
            spoiled_ms: r.get(1)?,
            provider: r.get(2)?,
            lot_id: r.get(3)?,
            job_id: r.get(4)?,
            ticket: r.get(5)?,
            reason: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// loket's count of serials issued but not on a document, against what the provider reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub loket_issued_unstamped: u64,
    pub provider_unstamped: u64,
    pub loket_available: u64,
    pub provider_remaining: Option<u64>,
    /// Human-readable discrepancies; empty when the two agree.
    pub discrepancies: Vec<String>,
}

/// Compares the ledger with a provider's quota report.
pub fn reconcile(
    inv: &Inventory,
    provider_unstamped: u64,
    provider_remaining: Option<u64>,
) -> Reconciliation {
    let mut discrepancies = Vec::new();
    if inv.issued != provider_unstamped {
        discrepancies
            .push(crate::words::current().serial_issued_mismatch(provider_unstamped, inv.issued));
    }
    Reconciliation {
        loket_issued_unstamped: inv.issued,
        provider_unstamped,
        loket_available: inv.available,
        provider_remaining,
        discrepancies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_shape() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..100 {
            assert!(is_serial(&random_serial(&mut rng)));
        }
        assert!(is_serial("389UY343AP0GE9A40000A9"));
        assert!(!is_serial("389uy343ap0ge9a40000a9"));
        assert!(!is_serial("389UY343AP0GE9A40000A"));
    }

    #[test]
    fn reconciliation_flags_a_difference() {
        let inv = Inventory {
            issued: 2,
            available: 10,
            ..Inventory::default()
        };
        assert!(reconcile(&inv, 2, Some(40)).discrepancies.is_empty());
        let off = reconcile(&inv, 3, None);
        assert_eq!(off.discrepancies.len(), 1);
        assert!(off.discrepancies[0].contains("penyedia mencatat 3"));
    }
}
