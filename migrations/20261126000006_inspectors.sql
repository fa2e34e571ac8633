-- 执法检查人员名录库 Registry of inspectors: the read table of the inspector aggregate
-- (stream inspector-{staff_id}), fed in the append transaction and rebuilt from the ledger.
-- Generated columns index the JSON state for the filters of the API and the inspector draw.

-- migrate:up
CREATE TABLE inspectors (
    id          text        PRIMARY KEY,  -- staff id (工号)
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    kind        text        GENERATED ALWAYS AS (state->>'kind') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED,
    -- Certificate (执法证) validity as ISO 8601 text (YYYY-MM-DD), not date: a generated column
    -- needs an IMMUTABLE expression, and the text-to-date cast (and to_date) are only STABLE
    -- because they depend on DateStyle.  ISO dates sort and compare correctly as text, so
    -- compare them with a date's ISO text: certificate_valid_from <= '2026-12-01'.
    certificate_valid_from  text GENERATED ALWAYS AS (state->>'certificate_valid_from') STORED,
    certificate_valid_until text GENERATED ALWAYS AS (state->>'certificate_valid_until') STORED,
    user_id     text        GENERATED ALWAYS AS (state->>'user_id') STORED
);
CREATE INDEX inspectors_department ON inspectors (department, id);
CREATE INDEX inspectors_status ON inspectors (status, id);
CREATE INDEX inspectors_certificate_valid_until ON inspectors (certificate_valid_until);
CREATE INDEX inspectors_user_id ON inspectors (user_id) WHERE user_id IS NOT NULL;
-- Containment (@>) on expertise (专业领域) and declared conflicts (回避).
CREATE INDEX inspectors_expertise ON inspectors USING gin ((state->'expertise') jsonb_path_ops);
CREATE INDEX inspectors_conflicts ON inspectors USING gin ((state->'conflicts') jsonb_path_ops);

GRANT SELECT, INSERT, UPDATE, DELETE ON inspectors TO spotcheck_app;

-- migrate:down
DROP TABLE inspectors;
