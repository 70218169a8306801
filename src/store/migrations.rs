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
        name: "till: drawer sessions, cash ledger, sales, payments, QRIS, drawer opens, Z reports",
        sql: r#"
-- One drawer session (shift) per counter at a time; 'counted' holds the blind count until a large
-- variance is explained and approved.
CREATE TABLE till_sessions (
    id              INTEGER PRIMARY KEY,
    counter         INTEGER NOT NULL,
    clerk           TEXT    NOT NULL,
    business_day    TEXT    NOT NULL,
    opened_ms       INTEGER NOT NULL,
    float_count     TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('open', 'counted', 'closed')),
    counted         TEXT,
    counted_total   INTEGER,
    counted_ms      INTEGER,
    counted_by      TEXT,
    expected_total  INTEGER,
    variance        INTEGER,
    variance_reason TEXT,
    approval        INTEGER REFERENCES approvals (id),
    closed_ms       INTEGER,
    closed_by       TEXT,
    z_number        INTEGER
);
CREATE UNIQUE INDEX till_one_session_per_counter ON till_sessions (counter) WHERE state != 'closed';

CREATE TABLE sales (
    id           INTEGER PRIMARY KEY,
    business_day TEXT    NOT NULL,
    counter      INTEGER NOT NULL,
    clerk        TEXT    NOT NULL,
    session      INTEGER REFERENCES till_sessions (id),
    ticket       TEXT,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'partly_refunded', 'refunded', 'voided')),
    created_ms   INTEGER NOT NULL,
    paid_ms      INTEGER,
    voided_ms    INTEGER,
    void_reason  TEXT,
    void_approval INTEGER REFERENCES approvals (id)
);
CREATE INDEX sales_by_day ON sales (business_day, counter);

CREATE TABLE sale_lines (
    id           INTEGER PRIMARY KEY,
    sale         INTEGER NOT NULL REFERENCES sales (id),
    line_no      INTEGER NOT NULL,
    item         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('item', 'fee')),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    unit_price   INTEGER NOT NULL,
    refunded_qty INTEGER NOT NULL DEFAULT 0,
    -- The stamping job this line pays for, set by the stamping service.
    job          INTEGER,
    UNIQUE (sale, line_no),
    CHECK (refunded_qty BETWEEN 0 AND quantity)
);

-- Every tender taken, and every reversal or refund given, per sale.
CREATE TABLE payments (
    id            INTEGER PRIMARY KEY,
    sale          INTEGER NOT NULL REFERENCES sales (id),
    session       INTEGER REFERENCES till_sessions (id),
    at_ms         INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('payment', 'void', 'refund')),
    method        TEXT    NOT NULL CHECK (method IN ('cash', 'debit', 'qris')),
    amount        INTEGER NOT NULL,
    tendered      INTEGER,
    change        INTEGER,
    edc_terminal  TEXT,
    approval_code TEXT,
    last4         TEXT,
    qris          INTEGER,
    refund        INTEGER,
    clerk         TEXT    NOT NULL
);
CREATE INDEX payments_by_sale ON payments (sale);

CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY,
    sale       INTEGER NOT NULL REFERENCES sales (id),
    session    INTEGER REFERENCES till_sessions (id),
    at_ms      INTEGER NOT NULL,
    method     TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    reason     TEXT    NOT NULL,
    approval   INTEGER NOT NULL REFERENCES approvals (id),
    supervisor TEXT    NOT NULL,
    clerk      TEXT    NOT NULL
);
CREATE TABLE refund_lines (
    refund   INTEGER NOT NULL REFERENCES refunds (id),
    line     INTEGER NOT NULL REFERENCES sale_lines (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    amount   INTEGER NOT NULL
);

CREATE TABLE qris_payments (
    id          INTEGER PRIMARY KEY,
    sale        INTEGER NOT NULL REFERENCES sales (id),
    counter     INTEGER NOT NULL,
    reference   TEXT    NOT NULL UNIQUE,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('created', 'shown', 'paid', 'paid_late', 'expired', 'cancelled')),
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    shown_ms    INTEGER,
    ended_ms    INTEGER,
    payer_ref   TEXT,
    applied     INTEGER NOT NULL DEFAULT 0,
    -- Paid after the sale was settled another way: money to give back, with the supervisor.
    excess      INTEGER NOT NULL DEFAULT 0,
    resolved_ms INTEGER,
    resolved_approval INTEGER REFERENCES approvals (id)
);
CREATE INDEX qris_by_sale ON qris_payments (sale);

-- The drawer ledger: every signed movement of money in a session, one row each, never changed.
-- Cash rows are what the drawer should hold; debit and QRIS rows give takings by tender.
CREATE TABLE till_movements (
    id         INTEGER PRIMARY KEY,
    session    INTEGER REFERENCES till_sessions (id),
    counter    INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('float', 'sale', 'change', 'refund', 'void', 'payout', 'drop', 'qris_excess')),
    method     TEXT    NOT NULL CHECK (method IN ('cash', 'debit', 'qris')),
    amount     INTEGER NOT NULL,
    sale       INTEGER REFERENCES sales (id),
    reason     TEXT,
    actor      TEXT    NOT NULL,
    supervisor TEXT,
    approval   INTEGER REFERENCES approvals (id),
    -- Cash always moves through a drawer session; a card or QRIS payment may be taken without one.
    CHECK (method != 'cash' OR session IS NOT NULL)
);
CREATE INDEX till_movements_by_session ON till_movements (session, id);
CREATE TRIGGER till_movements_no_update BEFORE UPDATE ON till_movements
    BEGIN SELECT RAISE(ABORT, 'the till ledger is append-only'); END;
CREATE TRIGGER till_movements_no_delete BEFORE DELETE ON till_movements
    BEGIN SELECT RAISE(ABORT, 'the till ledger is append-only'); END;

CREATE TABLE drawer_opens (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    counter  INTEGER NOT NULL,
    session  INTEGER REFERENCES till_sessions (id),
    clerk    TEXT    NOT NULL,
    cause    TEXT    NOT NULL CHECK (cause IN ('float', 'sale', 'refund', 'void', 'payout', 'drop', 'no_sale', 'close')),
    sale     INTEGER REFERENCES sales (id),
    reason   TEXT,
    approval INTEGER REFERENCES approvals (id),
    supervisor TEXT
);
CREATE INDEX drawer_opens_by_session ON drawer_opens (session);

-- Z reports: numbered per branch, stored as the frozen document that was printed.
CREATE TABLE z_reports (
    number       INTEGER PRIMARY KEY,
    session      INTEGER NOT NULL UNIQUE REFERENCES till_sessions (id),
    counter      INTEGER NOT NULL,
    business_day TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    sha256       TEXT    NOT NULL
);
CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report is immutable'); END;
CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report is immutable'); END;
CREATE TABLE z_reprints (
    id     INTEGER PRIMARY KEY,
    number INTEGER NOT NULL REFERENCES z_reports (number),
    at_ms  INTEGER NOT NULL,
    actor  TEXT    NOT NULL
);
"#,
    },
    Migration {
        version: 4,
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
    Migration {
        version: 5,
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
    Migration {
        version: 6,
        name: "devices: print jobs and device incidents",
        sql: r#"
-- Every slip loket sends to a printer, and whether the printer confirmed it. A failed one can be
-- printed again; a reprint of a receipt or report is marked as a copy.
CREATE TABLE print_jobs (
    id         INTEGER PRIMARY KEY,
    printer    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'printed', 'failed')),
    copy       INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    created_ms INTEGER NOT NULL,
    printed_ms INTEGER
);
CREATE INDEX print_jobs_by_subject ON print_jobs (kind, subject);

-- Problems with a device (paper out, cover open, offline, …) from when they were first seen until
-- they cleared; the daily pack reports them with how long they lasted.
CREATE TABLE device_incidents (
    id         INTEGER PRIMARY KEY,
    device     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms   INTEGER,
    detail     TEXT
);
CREATE INDEX device_incidents_open ON device_incidents (device) WHERE ended_ms IS NULL;
CREATE INDEX device_incidents_by_time ON device_incidents (started_ms);
"#,
    },
    Migration {
        version: 7,
        name: "stamping service: job details, serial request ids, delivery and purge",
        sql: r#"
-- What intake found and proposed, so a job can be shown again without reading the PDF.
ALTER TABLE stamp_jobs ADD COLUMN pages INTEGER;
ALTER TABLE stamp_jobs ADD COLUMN warnings TEXT;          -- JSON list of Indonesian sentences
ALTER TABLE stamp_jobs ADD COLUMN proposed TEXT;          -- JSON {page, x, y, width, height}
-- Set (in its own transaction) just before a serial is asked for under request_id: a job resumed
-- after a crash then asks the provider to look the request up first.
ALTER TABLE stamp_jobs ADD COLUMN sn_requested_ms INTEGER;
-- What the provider returned with the SN and needs back for stamping.
ALTER TABLE stamp_jobs ADD COLUMN stamp_image BLOB;
ALTER TABLE stamp_jobs ADD COLUMN handle TEXT;
-- Delivery: how and when; e-mail queued by the worker for a customer who left.
ALTER TABLE stamp_jobs ADD COLUMN delivered_ms INTEGER;
ALTER TABLE stamp_jobs ADD COLUMN delivery TEXT;
ALTER TABLE stamp_jobs ADD COLUMN outbox_id INTEGER;
-- The request id each serial was issued under (lost replies are found by it).
ALTER TABLE serials ADD COLUMN request_id TEXT;
CREATE INDEX serials_by_request ON serials (request_id);
CREATE INDEX stamp_jobs_by_state ON stamp_jobs (state, created_ms);
CREATE INDEX stamp_jobs_by_ticket ON stamp_jobs (ticket);
"#,
    },
    Migration {
        version: 8,
        name: "serial ledger: serials by lot",
        sql: r#"
-- Per-lot inventory figures join lots with their serials.
CREATE INDEX serials_by_lot ON serials (lot_id, status);
"#,
    },
    Migration {
        version: 9,
        name: "journal anchors: the chain's head at each Z report and daily pack, time-stamped",
        sql: r#"
-- The head (seq, hash) as it left the database on a Z slip or in a daily pack; reason is
-- 'z:<n>' or 'daily:<date>'. The token is an RFC 3161 token over SHA-256 of "<seq>:<hash>",
-- added when the TSA answers (NULL until then).
CREATE TABLE journal_anchors (
    id         INTEGER PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    made_ms    INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    tsa_token  BLOB,
    stamped_ms INTEGER
);
CREATE INDEX journal_anchors_pending ON journal_anchors (id) WHERE tsa_token IS NULL;
-- Guards against mistakes, not against the database's owner (verify is what catches that):
-- an anchor is never removed, and only its missing token may be filled in.
CREATE TRIGGER journal_anchors_no_delete BEFORE DELETE ON journal_anchors
    BEGIN SELECT RAISE(ABORT, 'journal anchors are append-only'); END;
CREATE TRIGGER journal_anchors_stamp_only BEFORE UPDATE ON journal_anchors
    WHEN OLD.tsa_token IS NOT NULL OR NEW.seq IS NOT OLD.seq OR NEW.hash IS NOT OLD.hash
      OR NEW.made_ms IS NOT OLD.made_ms OR NEW.reason IS NOT OLD.reason
    BEGIN SELECT RAISE(ABORT, 'journal anchors are append-only'); END;
"#,
    },
    Migration {
        version: 10,
        name: "daily packs mailed by the worker",
        sql: r#"
-- One row per business day whose pack the worker mailed to [report] mail_to (outbox: JSON ids).
CREATE TABLE pack_mailings (
    day     TEXT PRIMARY KEY,
    made_ms INTEGER NOT NULL,
    outbox  TEXT    NOT NULL
);
"#,
    },
    Migration {
        version: 11,
        name: "delivery: WhatsApp through the same outbox",
        sql: r#"
-- The outbox carries e-mail ('mail': message is the RFC 5322 bytes) and WhatsApp ('whatsapp':
-- message is the PDF, env_to the E.164 number, env_from the phone-number id, message_id the
-- idempotency key also sent as biz_opaque_callback_data).
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'mail'
    CHECK (channel IN ('mail', 'whatsapp'));
-- JSON: file name, caption, template body parameters.
ALTER TABLE outbox ADD COLUMN wa_params TEXT;
-- The uploaded media and when (re-uploaded when the API says it expired).
ALTER TABLE outbox ADD COLUMN wa_media_id TEXT;
ALTER TABLE outbox ADD COLUMN wa_media_ms INTEGER;
-- Set in its own transaction just before the send call; with no message id after it, the reply
-- was lost and the message may have gone: never sent again by itself.
ALTER TABLE outbox ADD COLUMN wa_send_started_ms INTEGER;
-- The API's message id (wamid) and the latest status a webhook reported (delivered, read, failed).
ALTER TABLE outbox ADD COLUMN wa_message_id TEXT;
ALTER TABLE outbox ADD COLUMN wa_status TEXT;
ALTER TABLE outbox ADD COLUMN wa_status_ms INTEGER;
CREATE UNIQUE INDEX outbox_by_wamid ON outbox (wa_message_id) WHERE wa_message_id IS NOT NULL;
-- Customers who wrote to the branch's WhatsApp number (their 24-hour window), by the SHA-256 of
-- the E.164 number: the number itself is not kept.
CREATE TABLE wa_inbound (
    number_sha256 TEXT PRIMARY KEY,
    last_ms       INTEGER NOT NULL
);
-- A job whose customer left with a WhatsApp number: its document goes there once stamped.
ALTER TABLE stamp_jobs ADD COLUMN whatsapp TEXT;
"#,
    },
    Migration {
        version: 12,
        name: "stamping: a locked PDF's password is never stored",
        sql: r#"
-- Whether the document needs its password to be stamped. The password itself lives only in the
-- memory of the process that was given it; a job whose password is gone waits for the counter to
-- ask the customer again.
ALTER TABLE stamp_jobs ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1));
UPDATE stamp_jobs SET locked = 1 WHERE password IS NOT NULL AND password != '';
ALTER TABLE stamp_jobs DROP COLUMN password;
-- When a paid job was taken up again by a later visit (the same document brought again): that
-- visit reopens it.
ALTER TABLE stamp_jobs ADD COLUMN adopted_ms INTEGER;
"#,
    },
    Migration {
        version: 13,
        name: "delivery: the job of an outbox row or drive copy is a number",
        sql: r#"
-- outbox.job and drive_copies.job were TEXT holding the job's number as digits; they become
-- INTEGER like stamp_jobs.id, with their rows kept. SQLite cannot change a column's type, so
-- each table is made again and its rows copied, indexes included (neither has triggers). loket
-- only ever wrote digits or NULL there; text that is not a number names no job and becomes NULL.
CREATE TABLE outbox_typed (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    created_ms      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    env_from        TEXT    NOT NULL,
    env_to          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    documents       TEXT    NOT NULL,
    job             INTEGER,
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
    sent_ms         INTEGER,
    channel         TEXT    NOT NULL DEFAULT 'mail' CHECK (channel IN ('mail', 'whatsapp')),
    wa_params       TEXT,
    wa_media_id     TEXT,
    wa_media_ms     INTEGER,
    wa_send_started_ms INTEGER,
    wa_message_id   TEXT,
    wa_status       TEXT,
    wa_status_ms    INTEGER
);
INSERT INTO outbox_typed (id, message_id, created_ms, created_by, env_from, env_to, subject,
        documents, job, message, bytes, status, attempts, next_attempt_ms, claimed_by, claimed_ms,
        last_error, server_reply, sent_ms, channel, wa_params, wa_media_id, wa_media_ms,
        wa_send_started_ms, wa_message_id, wa_status, wa_status_ms)
    SELECT id, message_id, created_ms, created_by, env_from, env_to, subject,
        documents,
        CASE WHEN trim(job) != '' AND trim(job) NOT GLOB '*[^0-9]*' THEN CAST(trim(job) AS INTEGER) END,
        message, bytes, status, attempts, next_attempt_ms, claimed_by, claimed_ms,
        last_error, server_reply, sent_ms, channel, wa_params, wa_media_id, wa_media_ms,
        wa_send_started_ms, wa_message_id, wa_status, wa_status_ms
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_typed RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE UNIQUE INDEX outbox_by_wamid ON outbox (wa_message_id) WHERE wa_message_id IS NOT NULL;

CREATE TABLE drive_copies_typed (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    job         INTEGER,
    source      TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    target      TEXT    NOT NULL,
    drive_label TEXT,
    already     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO drive_copies_typed (id, at_ms, actor, job, source, sha256, bytes, target, drive_label, already)
    SELECT id, at_ms, actor,
        CASE WHEN trim(job) != '' AND trim(job) NOT GLOB '*[^0-9]*' THEN CAST(trim(job) AS INTEGER) END,
        source, sha256, bytes, target, drive_label, already
    FROM drive_copies;
DROP TABLE drive_copies;
ALTER TABLE drive_copies_typed RENAME TO drive_copies;
"#,
    },
];

/// The schema version this build of loket writes.
pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;
