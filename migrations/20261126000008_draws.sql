-- 抽取 draws (stream draw-{task_id}) and the 检查 inspections they give.
-- draws: the read table of the draw aggregate, one row per task (id = task id) holding every
--   draw of the task; fed in the append transaction and rebuilt from the ledger.
-- inspections: one row per drawn subject with a team, of an executed draw not voided; fed from
--   the draw events (and the outcome they name in draw_blobs), rebuilt from the ledger.
-- draw_blobs: content-addressed storage of what a draw's events name by digest (populations,
--   inspector candidates, transcripts, outcomes): digest = SHA-256(content).  Append-only.
-- draw_seeds: each draw's server seed, committed to by SHA-256 at commitDraw and revealed in
--   DrawExecuted; the API never reads this table.  Append-only.

-- migrate:up
CREATE TABLE draws (
    id          text        PRIMARY KEY,  -- task id
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    draw_count  integer     GENERATED ALWAYS AS (jsonb_array_length(state->'draws')) STORED,
    last_status text        GENERATED ALWAYS AS (state->'draws'->-1->>'status') STORED
);

CREATE TABLE inspections (
    id          text        PRIMARY KEY,  -- {task_id}/{draw_no}/{subject_key}
    task_id     text        NOT NULL,
    draw_no     integer     NOT NULL CHECK (draw_no >= 1),
    subject_key text        NOT NULL,
    items       text[]      NOT NULL,
    departments text[]      NOT NULL,     -- participating departments, the lead (牵头部门) first
    lead        text,                     -- staff id of the lead inspector (主检)
    officers    text[]      NOT NULL,     -- staff ids, lead first
    experts     text[]      NOT NULL,
    staff       text[]      GENERATED ALWAYS AS (officers || experts) STORED,
    -- ISO 8601 dates as text (see 20261126000006_inspectors.sql): they compare correctly.
    start_date  text        NOT NULL,
    end_date    text        NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
-- Exclusions (recent inspections, same period) and rotation look subjects up by key.
CREATE INDEX inspections_subject_key ON inspections (subject_key, start_date);
CREATE INDEX inspections_task ON inspections (task_id, draw_no);
-- An inspector's inspections (workload, the staffId filter).
CREATE INDEX inspections_staff ON inspections USING gin (staff);

CREATE TABLE draw_blobs (
    digest      text        PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    content     bytea       NOT NULL
);

CREATE TABLE draw_seeds (
    task_id     text        NOT NULL,
    number      integer     NOT NULL CHECK (number >= 1),
    seed        bytea       NOT NULL CHECK (length(seed) = 32),
    PRIMARY KEY (task_id, number)
);

CREATE TRIGGER draw_blobs_append_only BEFORE UPDATE OR DELETE ON draw_blobs
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER draw_seeds_append_only BEFORE UPDATE OR DELETE ON draw_seeds
    FOR EACH ROW EXECUTE FUNCTION reject_change();

GRANT SELECT, INSERT, UPDATE, DELETE ON draws, inspections TO spotcheck_app;
GRANT SELECT, INSERT ON draw_blobs, draw_seeds TO spotcheck_app;

-- migrate:down
DROP TABLE draw_seeds;
DROP TABLE draw_blobs;
DROP TABLE inspections;
DROP TABLE draws;
