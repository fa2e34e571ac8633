-- The event store: an append-only event table, and the ledger that the sealer alone writes.
-- Applied by dbmate (`spotcheck migrate`); a DBA may also apply the "up" part by hand with psql.
-- The owner (the role that runs this) owns every table; the server connects as spotcheck_app,
-- which holds only SELECT and INSERT on the event tables.

-- migrate:up
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spotcheck_app') THEN
        CREATE ROLE spotcheck_app LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO spotcheck_app;

-- Insert-time order.  CACHE 1 (the default) keeps numbers in the order they were drawn across
-- sessions; a number may go missing (rolled back), never come out of order.
CREATE SEQUENCE event_seq AS bigint CACHE 1;

-- Every appending transaction takes its transaction id before it draws a sequence number.  The
-- sealer relies on this to tell a rolled-back number from one still in flight: see
-- src/spotcheck/eventstore/sealer.py.  The store also does it explicitly; this default makes it
-- hold for any writer.
CREATE FUNCTION next_event_seq() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_current_xact_id();
    RETURN nextval('event_seq');
END
$$;

CREATE TABLE events (
    seq             bigint      PRIMARY KEY DEFAULT next_event_seq(),
    event_id        uuid        NOT NULL,
    stream_id       text        NOT NULL CHECK (length(stream_id) BETWEEN 1 AND 200),
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    event_type      text        NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    data            jsonb       NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    metadata        jsonb       NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);
COMMENT ON TABLE events IS 'Append-only events, in insert-time order (seq). The ledger gives the sealed order.';

-- position: gapless, from 1.  content_hash = SHA-256 of the RFC 8785 JSON of the event's
-- envelope, computed by the sealer from the stored row (docs/event-store.md).
-- chain_hash = SHA-256(previous chain_hash || content_hash), with 32
-- zero bytes before position 1.
CREATE TABLE ledger (
    position     bigint      PRIMARY KEY CHECK (position >= 1),
    seq          bigint      NOT NULL,
    content_hash bytea       NOT NULL CHECK (length(content_hash) = 32),
    chain_hash   bytea       NOT NULL CHECK (length(chain_hash) = 32),
    sealed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ledger_seq_key UNIQUE (seq)
);
COMMENT ON TABLE ledger IS 'Sealed, hash-chained order of events; written only by the single sealer.';

CREATE FUNCTION reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

REVOKE ALL ON events, ledger FROM PUBLIC;
GRANT SELECT, INSERT ON events, ledger TO spotcheck_app;
GRANT USAGE ON SEQUENCE event_seq TO spotcheck_app;

-- Where a catch-up subscription keeps its place; updated in the same transaction as its work.
CREATE TABLE subscription_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON subscription_checkpoints TO spotcheck_app;

-- migrate:down
DROP TABLE subscription_checkpoints;
DROP TABLE ledger;
DROP TABLE events;
DROP FUNCTION reject_change();
DROP FUNCTION next_event_seq();
DROP SEQUENCE event_seq;
