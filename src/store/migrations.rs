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
CREATE INDEX tickets_open ON tickets (status, service);
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
        version: 4,
        name: "delivery: e-mail outbox and flash drive copies",
        sql: r#"
-- One e-mail per row, stored exactly as it will be sent, so retries send the same bytes and
-- the same Message-ID.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    created_ms      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    env_from        TEXT    NOT NULL,
    env_to          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    documents       TEXT    NOT NULL,
    job             TEXT,
    message         BLOB    NOT NULL,
    bytes           INTEGER NOT NULL,
    status          TEXT    NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'retry', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_ms      INTEGER,
    last_error      TEXT,
    server_reply    TEXT,
    sent_ms         INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);

-- Every verified copy to a customer's drive, for the daily pack.
CREATE TABLE drive_copies (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    job         TEXT,
    source      TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    target      TEXT    NOT NULL,
    drive_label TEXT,
    already     INTEGER NOT NULL DEFAULT 0
);
"#,
    },
];

/// The schema version this build of loket writes.
pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;
