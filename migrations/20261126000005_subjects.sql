-- 检查对象名录库 registry of inspection subjects: the read table of the subject aggregate.
-- One row per subject (id = its key: the USCC of a business, else its identifier
-- KIND:DEPT:local), fed in the append transaction and rebuilt from the ledger.
-- Generated columns index the JSON state for the API's filters and the draw's population;
-- every list is paged by keyset on id.

-- migrate:up
CREATE TABLE subjects (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    kind        text        GENERATED ALWAYS AS (state->>'kind') STORED,
    name        text        GENERATED ALWAYS AS (state->>'name') STORED,
    uscc        text        GENERATED ALWAYS AS (state->>'uscc') STORED,
    region      text        GENERATED ALWAYS AS (state->>'region') STORED,
    -- GB/T 4754 code with its section letter (F5211); byte order, so that a prefix is a range.
    industry    text COLLATE "C" GENERATED ALWAYS AS (state->>'industry') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED,
    risk_class  text        GENERATED ALWAYS AS (state->>'risk_class') STORED,
    maintaining_department text GENERATED ALWAYS AS (state->>'maintaining_department') STORED
);
-- Few indexes, because each one costs every imported row.  Filters on low-cardinality columns
-- (kind, region, status, risk class, maintaining department) walk the primary key in keyset
-- order and stop after a page, so they need none.  An industry prefix is a range.
CREATE INDEX subjects_industry ON subjects (industry, id);
CREATE INDEX subjects_tags ON subjects USING gin ((state->'tags') jsonb_path_ops);
CREATE INDEX subjects_items ON subjects USING gin ((state->'items') jsonb_path_ops);

GRANT SELECT, INSERT, UPDATE, DELETE ON subjects TO spotcheck_app;

-- migrate:down
DROP TABLE subjects;
