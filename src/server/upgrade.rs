//! `loket server upgrade`: brings a branch server made with an older `schema.sql` up to the
//! present one, revision by revision, each once.

use super::{BranchCode, SCHEMA, ServerError};

/// A change to the branch schema made after servers were set up with it. `schema.sql` already holds
/// every revision (a server made now has them all, and `server init` records them as applied);
/// `sql` brings an older server to the same place. `@branch@` stands for the branch's code.
#[derive(Debug)]
pub struct Revision {
    pub id: i64,
    /// What it changes, in English (also the record kept on the server).
    pub what: &'static str,
    /// What it changes, in Indonesian.
    pub what_id: &'static str,
    pub sql: &'static str,
}

/// The newest revision `schema.sql` itself holds; each later one is kept in a file of its own
/// (`revisions/N.sql`), which `server init` runs after the schema file and `upgrade` runs alone.
pub const IN_SCHEMA_FILE: i64 = 1;

/// Every revision, oldest first.
pub const REVISIONS: &[Revision] = &[
    Revision {
        id: 1,
        what: "the counter's held ticket by a partial index; open tickets indexed by state and day; \
           the branch code a constant",
        what_id: "tiket yang dipegang loket lewat indeks parsial; tiket terbuka diindeks menurut \
              status dan hari; kode cabang sebagai konstanta",
        sql: "CREATE INDEX IF NOT EXISTS tickets_held ON tickets (counter)
              WHERE status IN ('called', 'serving');
          DROP INDEX IF EXISTS tickets_open;
          CREATE INDEX tickets_open ON tickets (status, business_day);
          CREATE OR REPLACE FUNCTION branch_code() RETURNS text
              LANGUAGE sql IMMUTABLE
              AS $$ SELECT '@branch@'::text $$;",
    },
    Revision {
        id: 2,
        what: "a state change's journal entry chained on the server in the message that commits it, \
           and the check that what the change read has not moved",
        what_id: "entri jurnal suatu perubahan dirangkai di server dalam pesan yang meng-commit-nya, \
              dan pemeriksaan bahwa yang dibaca perubahan itu belum berubah",
        sql: include_str!("revisions/2.sql"),
    },
];

/// The table that records which revisions a server has.
const RECORD: &str = "CREATE TABLE IF NOT EXISTS server_revisions (
    id         bigint      PRIMARY KEY,
    what       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// What `server upgrade` did.
#[derive(Debug)]
pub struct Upgraded {
    pub database: String,
    pub branch: BranchCode,
    /// The revisions applied now, oldest first; empty when the server had them all.
    pub applied: Vec<&'static Revision>,
}

/// Records every revision as applied, in `server init`'s transaction (the schema it made has them).
pub(super) fn record_all(tx: &mut postgres::Transaction<'_>) -> Result<(), ServerError> {
    tx.batch_execute(RECORD)?;
    for revision in REVISIONS {
        tx.execute(
            "INSERT INTO server_revisions (id, what) VALUES ($1, $2)",
            &[&revision.id, &revision.what],
        )?;
    }
    Ok(())
}

/// Applies the revisions the server at `url` lacks, as the schema's owner, in one transaction:
/// all of them or, when one fails, none. Two upgrades at once wait for each other. Run as the role
/// that ran `server init` (a member of the owner role) or a superuser.
pub fn upgrade(url: &str) -> Result<Upgraded, ServerError> {
    let super::OwnerSession {
        mut client,
        database,
        has_schema,
        ..
    } = super::OwnerSession::connect(url)?;
    if !has_schema {
        return Err(ServerError::NotInitialised { database });
    }
    let code: String = client
        .query_one("SELECT code FROM loket.branch_server WHERE id = 1", &[])
        .map_err(ServerError::Upgrade)?
        .get(0);
    let branch: BranchCode = code.parse()?;
    let applied = apply(&mut client, &branch).map_err(ServerError::Upgrade)?;
    Ok(Upgraded {
        database,
        branch,
        applied,
    })
}

/// The revisions the server lacks, applied and recorded in one transaction.
fn apply(
    client: &mut postgres::Client,
    branch: &BranchCode,
) -> Result<Vec<&'static Revision>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!(
        "SET LOCAL ROLE {}; SET LOCAL search_path = {SCHEMA}",
        super::ident(&branch.owner_role())
    ))?;
    tx.batch_execute(RECORD)?;
    tx.batch_execute("LOCK TABLE server_revisions IN EXCLUSIVE MODE")?;
    let done: Vec<i64> = tx
        .query("SELECT id FROM server_revisions", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut applied = Vec::new();
    for revision in REVISIONS.iter().filter(|r| !done.contains(&r.id)) {
        tx.batch_execute(&branch.filled_in(revision.sql))?;
        tx.execute(
            "INSERT INTO server_revisions (id, what) VALUES ($1, $2)",
            &[&revision.id, &revision.what],
        )?;
        applied.push(revision);
    }
    tx.commit()?;
    Ok(applied)
}
