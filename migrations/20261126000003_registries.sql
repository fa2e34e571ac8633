-- Read tables for the registries (两库一单) and the write-side idempotency record.
-- Each state table holds one row per aggregate: its current state as JSON (the fold of its
-- events), the stream version it reflects, and generated columns for filtering and sorting.
-- They are projections, fed in the append transaction and rebuilt from the ledger.

-- migrate:up
CREATE TABLE departments (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    name        text        GENERATED ALWAYS AS (state->>'name') STORED,
    member      boolean     GENERATED ALWAYS AS ((state->>'member')::boolean) STORED,
    liaison_user_id text    GENERATED ALWAYS AS (state->'liaison'->>'user_id') STORED
);
CREATE INDEX departments_liaison_user_id ON departments (liaison_user_id);

CREATE TABLE accounts (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED
);
CREATE INDEX accounts_department ON accounts (department, id);

-- A mutation's idempotency key: repeating it returns the first result and writes nothing.
-- Written in the same transaction as the mutation's events.
CREATE TABLE idempotency_keys (
    actor       text        NOT NULL,
    key         text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation   text        NOT NULL,
    input_hash  bytea       NOT NULL,
    result      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON departments, accounts TO spotcheck_app;
GRANT SELECT, INSERT ON idempotency_keys TO spotcheck_app;

-- migrate:down
DROP TABLE idempotency_keys;
DROP TABLE accounts;
DROP TABLE departments;
