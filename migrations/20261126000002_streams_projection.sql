-- A read table fed in the append transaction: one row per stream with its current version.
-- Rebuilt from the ledger by replaying it (spotcheck.projections.streams).

-- migrate:up
CREATE TABLE streams (
    stream_id         text        PRIMARY KEY,
    version           bigint      NOT NULL,
    event_count       bigint      NOT NULL,
    last_event_type   text        NOT NULL,
    first_recorded_at timestamptz NOT NULL,
    last_recorded_at  timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON streams TO spotcheck_app;

-- migrate:down
DROP TABLE streams;
