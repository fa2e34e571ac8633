-- 证据材料 evidence files (stream evidence-{sha256}): the read table of the evidence aggregate,
-- fed in the append transaction and rebuilt from the ledger.  The file content itself is not in
-- the database: it is stored content-addressed by SHA-256 under the data directory
-- (SPOTCHECK_HOME/evidence/ab/cd/<sha256>, see src/spotcheck/evidence/).  id is the file's
-- SHA-256 (lower-case hex); results reference evidence by that hash.

-- migrate:up
CREATE TABLE evidence_files (
    id           text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),  -- SHA-256 of the content
    version      bigint      NOT NULL,
    state        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    size         bigint      GENERATED ALWAYS AS ((state->>'size')::bigint) STORED,
    content_type text        GENERATED ALWAYS AS (state->>'content_type') STORED,
    uploaded_by  text        GENERATED ALWAYS AS (state->>'uploaded_by') STORED
);
CREATE INDEX evidence_files_uploaded_by ON evidence_files (uploaded_by, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON evidence_files TO spotcheck_app;

-- migrate:down
DROP TABLE evidence_files;
