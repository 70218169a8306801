//! The journal: an append-only, hash-chained record of every state change, and its verification.
//!
//! Each entry carries the hash of the entry before it and its own hash over its fields, so an entry
//! that was edited, removed or moved breaks the chain at a place `verify` can name.

pub mod anchor;

use crate::day::BusinessDay;
use crate::store::sql::{Connection, OptionalExtension, params};
use crate::store::{StoreError, to_ms};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use time::OffsetDateTime;

/// The hash the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A state change to record: who did what to which thing, with details as JSON.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(
        actor: impl Into<String>,
        kind: impl Into<String>,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> Entry {
        Entry {
            actor: actor.into(),
            kind: kind.into(),
            subject: subject.into(),
            detail,
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored {
    pub seq: i64,
    pub at_ms: i64,
    pub business_day: String,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Stored {
    /// The hash this entry's fields should have.
    pub fn computed_hash(&self) -> String {
        hash_fields(
            &self.prev_hash,
            self.seq,
            self.at_ms,
            &self.business_day,
            &self.actor,
            &self.kind,
            &self.subject,
            &self.detail,
        )
    }
}

/// SHA-256 over the fields, each length-prefixed so no two different entries share an input.
#[allow(clippy::too_many_arguments)]
fn hash_fields(
    prev: &str,
    seq: i64,
    at_ms: i64,
    day: &str,
    actor: &str,
    kind: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let at = at_ms.to_string();
    for field in [prev, &seq, &at, day, actor, kind, subject, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The journal's head as one transaction knows it: read once (or with the transaction's start),
/// then carried from append to append. Only the transaction's own appends move it: every state
/// change holds the branch's write lock.
#[derive(Debug, Default)]
pub(crate) struct KnownHead {
    /// `None` until read; then the newest entry's sequence number and hash (`None` before the
    /// first entry).
    head: Option<Option<(i64, String)>>,
}

impl KnownHead {
    /// A head already read, e.g. with the transaction's `BEGIN`.
    pub(crate) fn read(head: Option<(i64, String)>) -> KnownHead {
        KnownHead { head: Some(head) }
    }

    /// Whether the head was read (and not used up by an append since).
    pub(crate) fn is_known(&self) -> bool {
        self.head.is_some()
    }
}

/// Appends an entry inside the caller's transaction and returns its sequence number, which a
/// change that reads before the branch's lock learns only when `numbered`.
///
/// Such a change does not know the head its entry follows: the server chains the entry
/// (`journal_append`, the same hash in SQL) at the end of the message that commits, after the
/// change's other writes: the append takes the lock that orders the journal, so the entry follows
/// whichever change committed last, and that lock is held for the append and the commit alone.
pub(crate) fn append(
    conn: &Connection,
    at: OffsetDateTime,
    day: BusinessDay,
    entry: &Entry,
    known: &mut KnownHead,
    numbered: bool,
) -> Result<Option<i64>, StoreError> {
    if conn.is_late() {
        const APPEND: &str = "SELECT journal_append(?1, ?2, ?3, ?4, ?5, ?6)";
        let values = params![
            to_ms(at),
            day.to_string(),
            entry.actor,
            entry.kind,
            entry.subject,
            entry.detail.to_string()
        ];
        if numbered {
            conn.release_at_commit();
            return Ok(Some(conn.query_row(APPEND, values, |r| r.get(0))?));
        }
        conn.execute_at_commit(APPEND, values)?;
        return Ok(None);
    }
    let head = match known.head.take() {
        Some(head) => head,
        None => conn
            .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", (), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?,
    };
    let existed = head.is_some();
    let (prev_seq, prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
    let seq = prev_seq + 1;
    let at_ms = to_ms(at);
    let day = day.to_string();
    let detail = entry.detail.to_string();
    let hash = hash_fields(
        &prev_hash,
        seq,
        at_ms,
        &day,
        &entry.actor,
        &entry.kind,
        &entry.subject,
        &detail,
    );
    let values = params![
        seq,
        at_ms,
        day,
        entry.actor,
        entry.kind,
        entry.subject,
        detail,
        prev_hash,
        hash
    ];
    // The head row exists after the first entry. An update, then an insert when there was none,
    // reads the same on both engines (the server's key also holds the branch code). On the server
    // the entry and the head's update go in one statement: one round trip fewer while the
    // branch's write lock is held.
    // It travels with the transaction's COMMIT (or its next statement): the head row exists and
    // this transaction holds the branch's write lock, so the update finds it.
    let moved = if conn.is_server() && existed {
        let values: Vec<crate::store::sql::Value> = vec![
            seq.into(),
            at_ms.into(),
            day.as_str().into(),
            entry.actor.as_str().into(),
            entry.kind.as_str().into(),
            entry.subject.as_str().into(),
            detail.as_str().into(),
            prev_hash.as_str().into(),
            hash.as_str().into(),
        ];
        conn.execute_held(
            "WITH entry AS (INSERT INTO journal (seq, at_ms, business_day, actor, kind, subject,
                 detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING seq)
             UPDATE journal_head SET seq = (SELECT seq FROM entry), hash = ?9 WHERE id = 1",
            values.as_slice(),
        )?;
        1
    } else {
        conn.execute(
            "INSERT INTO journal (seq, at_ms, business_day, actor, kind, subject, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            values,
        )?;
        conn.execute(
            "UPDATE journal_head SET seq = ?1, hash = ?2 WHERE id = 1",
            params![seq, hash],
        )?
    };
    if moved == 0 {
        conn.execute(
            "INSERT INTO journal_head (id, seq, hash) VALUES (1, ?1, ?2)",
            params![seq, hash],
        )?;
    }
    known.head = Some(Some((seq, hash)));
    Ok(Some(seq))
}

/// What is wrong with a chain, naming the first entry concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Tamper {
    /// The entry's content no longer matches its hash, or its hash was recomputed after an edit.
    Edited { seq: i64 },
    /// The entry is missing from the chain.
    Removed { seq: i64 },
    /// The entry stands after an entry that is not its predecessor.
    Reordered { seq: i64 },
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tamper::Edited { seq } => write!(f, "entri #{seq} telah diubah"),
            Tamper::Removed { seq } => write!(f, "entri #{seq} telah dihapus"),
            Tamper::Reordered { seq } => write!(f, "entri #{seq} telah dipindah urutannya"),
        }
    }
}

/// The result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Entries checked.
    pub entries: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The first problem found, if any.
    pub tamper: Option<Tamper>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.tamper.is_none()
    }
}

fn load(
    conn: &Connection,
    sql: &str,
    args: impl crate::store::sql::Params,
) -> crate::store::sql::Result<Vec<Stored>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(args, |r| {
        Ok(Stored {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            business_day: r.get(2)?,
            actor: r.get(3)?,
            kind: r.get(4)?,
            subject: r.get(5)?,
            detail: r.get(6)?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })?;
    rows.collect()
}

const COLUMNS: &str = "seq, at_ms, business_day, actor, kind, subject, detail, prev_hash, hash";

/// Checks the whole chain, or with `day` only that business day's entries (anchored on the last
/// entry before it).
pub fn verify(conn: &Connection, day: Option<BusinessDay>) -> Result<Report, StoreError> {
    let (anchor, rows) = match day {
        None => (
            (0, GENESIS.to_string()),
            load(
                conn,
                &format!("SELECT {COLUMNS} FROM journal ORDER BY seq"),
                (),
            )?,
        ),
        Some(day) => {
            let day = day.to_string();
            let anchor = conn
                .query_row(
                    "SELECT seq, hash FROM journal WHERE business_day < ?1 ORDER BY seq DESC LIMIT 1",
                    [&day],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, GENESIS.to_string()));
            let rows = load(
                conn,
                &format!("SELECT {COLUMNS} FROM journal WHERE business_day = ?1 ORDER BY seq"),
                [&day],
            )?;
            (anchor, rows)
        }
    };
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", (), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let is_tail = match (day, rows.last()) {
        (None, _) => true,
        (Some(_), Some(last)) => {
            let later: i64 = conn.query_row(
                "SELECT COUNT(*) FROM journal WHERE seq > ?1",
                [last.seq],
                |r| r.get(0),
            )?;
            later == 0
        }
        (Some(_), None) => false,
    };
    Ok(check_chain(
        anchor,
        &rows,
        is_tail.then_some(head).flatten(),
    ))
}

/// Walks `rows` (in stored order) from `anchor` and names the first problem. `head` is the recorded
/// newest entry when `rows` runs to the end of the journal.
pub fn check_chain(anchor: (i64, String), rows: &[Stored], head: Option<(i64, String)>) -> Report {
    let by_hash: HashMap<&str, i64> = rows.iter().map(|r| (r.hash.as_str(), r.seq)).collect();
    let (mut expected_seq, mut expected_prev) = (anchor.0 + 1, anchor.1);
    let mut tamper = None;
    for row in rows {
        let self_consistent = row.computed_hash() == row.hash;
        if row.prev_hash != expected_prev {
            tamper = Some(if by_hash.contains_key(row.prev_hash.as_str()) {
                // Its real predecessor is elsewhere in the chain: the entries were moved.
                Tamper::Reordered { seq: row.seq }
            } else if row.seq > expected_seq {
                Tamper::Removed { seq: expected_seq }
            } else if !self_consistent {
                // Renumbered after an entry before it was taken out.
                Tamper::Removed { seq: expected_seq }
            } else {
                // This entry is sound, so the one before it was edited and re-hashed.
                Tamper::Edited {
                    seq: expected_seq - 1,
                }
            });
            break;
        }
        if !self_consistent || row.seq != expected_seq {
            tamper = Some(Tamper::Edited { seq: row.seq });
            break;
        }
        expected_prev = row.hash.clone();
        expected_seq = row.seq + 1;
    }
    if tamper.is_none()
        && let Some((head_seq, head_hash)) = head
    {
        if head_seq >= expected_seq {
            tamper = Some(Tamper::Removed { seq: expected_seq });
        } else if head_seq == expected_seq - 1 && head_hash != expected_prev {
            tamper = Some(Tamper::Edited { seq: head_seq });
        }
    }
    Report {
        entries: rows.len() as u64,
        first_seq: rows.first().map(|r| r.seq),
        last_seq: rows.last().map(|r| r.seq),
        tamper,
    }
}

/// The entries of one business day, oldest first.
pub fn entries_of_day(conn: &Connection, day: BusinessDay) -> Result<Vec<Stored>, StoreError> {
    Ok(load(
        conn,
        &format!("SELECT {COLUMNS} FROM journal WHERE business_day = ?1 ORDER BY seq"),
        [day.to_string()],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Stored> {
        let mut rows: Vec<Stored> = Vec::new();
        let mut prev = GENESIS.to_string();
        for seq in 1..=n {
            let mut row = Stored {
                seq,
                at_ms: 1_000 * seq,
                business_day: "2026-11-21".into(),
                actor: "petugas1".into(),
                kind: "ticket.issued".into(),
                subject: format!("A-{seq:03}"),
                detail: "{}".into(),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.computed_hash();
            prev = row.hash.clone();
            rows.push(row);
        }
        rows
    }

    fn head(rows: &[Stored]) -> Option<(i64, String)> {
        rows.last().map(|r| (r.seq, r.hash.clone()))
    }

    fn check(rows: Vec<Stored>, head: Option<(i64, String)>, expect: Option<Tamper>) {
        let report = check_chain((0, GENESIS.into()), &rows, head);
        assert_eq!(report.tamper, expect);
    }

    #[test]
    fn names_the_first_broken_entry() {
        let good = chain(6);
        check(good.clone(), head(&good), None);

        let mut edited = good.clone();
        edited[2].subject = "A-999".into();
        check(edited, head(&good), Some(Tamper::Edited { seq: 3 }));

        let mut rehashed = good.clone();
        rehashed[2].detail = "{\"total\":1}".into();
        rehashed[2].hash = rehashed[2].computed_hash();
        check(rehashed, head(&good), Some(Tamper::Edited { seq: 3 }));

        let mut removed = good.clone();
        removed.remove(3);
        check(removed, head(&good), Some(Tamper::Removed { seq: 4 }));

        let mut tail = good.clone();
        tail.pop();
        check(tail, head(&good), Some(Tamper::Removed { seq: 6 }));

        // Two entries swap places: their sequence numbers are exchanged.
        let mut swapped = good.clone();
        swapped.swap(1, 4);
        swapped[1].seq = 2;
        swapped[4].seq = 5;
        check(swapped, head(&good), Some(Tamper::Reordered { seq: 2 }));

        let mut renumbered = good.clone();
        renumbered.remove(2);
        for row in renumbered.iter_mut().skip(2) {
            row.seq -= 1;
        }
        check(renumbered, None, Some(Tamper::Removed { seq: 3 }));
    }
}
