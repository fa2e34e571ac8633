-- 重建 Projection rebuilds: each `spotcheck projections rebuild` that swapped fresh read tables
-- in records how far into the record it replayed (src/spotcheck/projections/rebuilder.py).
-- position: the last ledger position replayed; seq: the last event (events.seq) replayed, which
-- may be past the ledger head when committed events were not sealed yet (unsealed counts them).
-- Written by the owner (the rebuild runs as the owner, which creates and drops tables); the
-- server may read it.

-- migrate:up
CREATE TABLE projection_rebuilds (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position   bigint      NOT NULL CHECK (position >= 0),
    seq        bigint      NOT NULL CHECK (seq >= 0),
    events     bigint      NOT NULL CHECK (events >= 0),
    unsealed   bigint      NOT NULL CHECK (unsealed >= 0),
    tables     text[]      NOT NULL,
    swapped_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON projection_rebuilds TO spotcheck_app;

-- migrate:down
DROP TABLE projection_rebuilds;
