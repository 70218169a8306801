-- Revision 2: a state change's journal entry chained on the server, and the check of what it read.
--
-- A state change that reads before it takes the branch's lock (Store::write_late) sends its checks,
-- its writes and its journal entries in one message that takes the lock first. A check calls
-- `guard`: a row the change read has changed since, so it is rolled back and run again (SQLSTATE
-- LK001, which loket runs again at once, without the pause a deadlock gets).
CREATE OR REPLACE FUNCTION guard(ok boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'loket: a row this change read has changed since' USING ERRCODE = 'LK001';
    END IF;
END
$$;

-- Appends a journal entry after the head it finds, under the branch's lock (taken here when the
-- change has not taken it yet), and returns its sequence number: the chain is extended on the
-- server, in the message that commits the change, so no PC waits a round trip for the head.
CREATE OR REPLACE FUNCTION journal_append(p_at_ms bigint, p_day text, p_actor text, p_kind text,
        p_subject text, p_detail text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    prev_seq  bigint;
    prev      text;
    next_seq  bigint;
    next_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(7305218655);
    SELECT seq, hash INTO prev_seq, prev FROM journal_head WHERE id = 1;
    IF NOT FOUND THEN
        prev_seq := 0;
        prev := repeat('0', 64);
    END IF;
    next_seq := prev_seq + 1;
    -- The hash src/journal.rs computes: SHA-256 over each field's UTF-8 bytes, each after its
    -- length as eight big-endian bytes (written out here: a function per field costs more than
    -- the rest of the append).
    next_hash := encode(sha256(
        int8send(octet_length(convert_to(prev, 'UTF8'))) || convert_to(prev, 'UTF8')
        || int8send(octet_length(next_seq::text)) || convert_to(next_seq::text, 'UTF8')
        || int8send(octet_length(p_at_ms::text)) || convert_to(p_at_ms::text, 'UTF8')
        || int8send(octet_length(convert_to(p_day, 'UTF8'))) || convert_to(p_day, 'UTF8')
        || int8send(octet_length(convert_to(p_actor, 'UTF8'))) || convert_to(p_actor, 'UTF8')
        || int8send(octet_length(convert_to(p_kind, 'UTF8'))) || convert_to(p_kind, 'UTF8')
        || int8send(octet_length(convert_to(p_subject, 'UTF8'))) || convert_to(p_subject, 'UTF8')
        || int8send(octet_length(convert_to(p_detail, 'UTF8'))) || convert_to(p_detail, 'UTF8')
    ), 'hex');
    INSERT INTO journal (seq, at_ms, business_day, actor, kind, subject, detail, prev_hash, hash)
        VALUES (next_seq, p_at_ms, p_day, p_actor, p_kind, p_subject, p_detail, prev, next_hash);
    UPDATE journal_head SET seq = next_seq, hash = next_hash WHERE id = 1;
    IF NOT FOUND THEN
        INSERT INTO journal_head (id, seq, hash) VALUES (1, next_seq, next_hash);
    END IF;
    RETURN next_seq;
END
$$;

REVOKE ALL ON FUNCTION guard(boolean), journal_append(bigint, text, text, text, text, text)
    FROM PUBLIC;
-- The display writes nothing; every other kind of PC makes state changes.
GRANT EXECUTE ON FUNCTION guard(boolean), journal_append(bigint, text, text, text, text, text)
    TO "@counter@", "@dispenser@", "@supervisor@", "@worker@";
