//! Forward-only schema migrations, applied in order and recorded in SQLite's `user_version`.
//!
//! A migration, once released, is never edited: a change to the schema is a new entry at the end.

/// One step of the schema.
#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "journal, users and approvals",
        sql: r#"
CREATE TABLE journal (
    seq          INTEGER PRIMARY KEY,
    at_ms        INTEGER NOT NULL,
    business_day TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL
);
CREATE INDEX journal_by_day ON journal (business_day, seq);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
-- The newest entry, kept apart so a removed tail is noticed.
CREATE TABLE journal_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('clerk', 'supervisor')),
    pin_hash        TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    created_ms      INTEGER NOT NULL
);

CREATE TABLE approvals (
    id           INTEGER PRIMARY KEY,
    at_ms        INTEGER NOT NULL,
    supervisor   TEXT    NOT NULL REFERENCES users (id),
    requested_by TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    used_ms      INTEGER
);
"#,
    },
    Migration {
        version: 2,
        name: "queue: tickets, numbering, events, counters",
        sql: r#"
CREATE TABLE tickets (
    id             INTEGER PRIMARY KEY,
    business_day   TEXT    NOT NULL,
    issued_service TEXT    NOT NULL,
    number         INTEGER NOT NULL,
    service        TEXT    NOT NULL,
    priority       INTEGER NOT NULL DEFAULT 0,
    walk_in        INTEGER NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL,
    arrived_ms     INTEGER NOT NULL,
    queued_ms      INTEGER NOT NULL,
    target_counter INTEGER,
    counter        INTEGER,
    clerk          TEXT,
    first_called_ms INTEGER,
    called_ms      INTEGER,
    serve_ms       INTEGER,
    done_ms        INTEGER,
    calls          INTEGER NOT NULL DEFAULT 0,
    park_until_ms  INTEGER,
    out_of_order   INTEGER NOT NULL DEFAULT 0,
    print_status   TEXT    NOT NULL DEFAULT 'none',
    UNIQUE (business_day, issued_service, number)
);
-- Tickets still open, by day: the new day's rollover reads only yesterday's leftovers.
CREATE INDEX tickets_open ON tickets (business_day)
    WHERE status IN ('waiting', 'called', 'serving', 'parked');
-- The latest services of a line, for wait estimates.
CREATE INDEX tickets_done ON tickets (service, done_ms) WHERE status = 'done';
-- The line of one service in arrival order, holding only tickets in line, so "call next" reads the
-- head of each line however many were served before.
CREATE INDEX tickets_line ON tickets (business_day, service, priority, arrived_ms, id)
    WHERE status IN ('waiting', 'parked');
CREATE INDEX tickets_by_counter ON tickets (counter, status);

-- Last number issued per service per business day; bumped in the same transaction as the insert,
-- so numbers have no gaps and no duplicates however many processes issue at once.
CREATE TABLE ticket_numbers (
    business_day TEXT    NOT NULL,
    service      TEXT    NOT NULL,
    last_number  INTEGER NOT NULL,
    PRIMARY KEY (business_day, service)
);

CREATE TABLE ticket_events (
    id      INTEGER PRIMARY KEY,
    ticket  INTEGER NOT NULL REFERENCES tickets (id),
    at_ms   INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    counter INTEGER,
    clerk   TEXT,
    detail  TEXT
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket);
CREATE INDEX ticket_events_by_time ON ticket_events (at_ms);

-- Normal calls since the last priority call, per service per day: the fairness policy's memory.
CREATE TABLE fairness (
    business_day  TEXT    NOT NULL,
    service       TEXT    NOT NULL,
    normal_streak INTEGER NOT NULL,
    PRIMARY KEY (business_day, service)
);

CREATE TABLE counters (
    number   INTEGER PRIMARY KEY,
    state    TEXT    NOT NULL CHECK (state IN ('open', 'break', 'closed')),
    reason   TEXT,
    clerk    TEXT,
    since_ms INTEGER NOT NULL
);
CREATE TABLE counter_events (
    id      INTEGER PRIMARY KEY,
    counter INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    state   TEXT    NOT NULL,
    reason  TEXT,
    clerk   TEXT
);
"#,
    },
    Migration {
        version: 3,
        name: "stamping: documents, jobs, serial ledger and lots",
        sql: r#"
-- Customer documents and stamped outputs, stored by SHA-256 in the data folder.
CREATE TABLE documents (
    sha256          TEXT PRIMARY KEY,
    bytes           INTEGER NOT NULL,
    stored_ms       INTEGER NOT NULL,
    purge_after_ms  INTEGER,
    purged_ms       INTEGER
);

CREATE TABLE stamp_jobs (
    id              INTEGER PRIMARY KEY,
    state           TEXT    NOT NULL,
    ticket          TEXT,
    counter         INTEGER,
    clerk           TEXT    NOT NULL,
    document_sha256 TEXT    NOT NULL REFERENCES documents (sha256),
    document_name   TEXT    NOT NULL,
    password        TEXT,
    page            INTEGER,
    x REAL, y REAL, width REAL, height REAL,
    sale_id         INTEGER,
    request_id      TEXT UNIQUE,
    sn              TEXT,
    stamped_sha256  TEXT REFERENCES documents (sha256),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER,
    last_error      TEXT,
    email           TEXT,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
CREATE INDEX stamp_jobs_unfinished ON stamp_jobs (next_attempt_ms)
    WHERE state IN ('paid', 'serial_issued');

-- Lots of serial numbers bought by the branch (local inventory).
CREATE TABLE serial_lots (
    lot_id     TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    price_paid INTEGER NOT NULL,
    loaded_ms  INTEGER NOT NULL,
    loaded_by  TEXT    NOT NULL
);

-- Every serial number loket ever held: available (local inventory), issued to a job, stamped on a
-- document, or spoiled with the reason (the list claims are made from).
CREATE TABLE serials (
    sn              TEXT PRIMARY KEY,
    provider        TEXT    NOT NULL,
    lot_id          TEXT REFERENCES serial_lots (lot_id),
    status          TEXT    NOT NULL CHECK (status IN ('available', 'issued', 'stamped', 'spoiled')),
    job_id          INTEGER REFERENCES stamp_jobs (id),
    document_sha256 TEXT,
    reason          TEXT,
    issued_ms       INTEGER,
    stamped_ms      INTEGER,
    spoiled_ms      INTEGER,
    claimed_ms      INTEGER
);
CREATE INDEX serials_available ON serials (lot_id, sn) WHERE status = 'available';
CREATE INDEX serials_by_job ON serials (job_id);
"#,
    },
];

/// The schema version this build of loket writes.
pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;
