-- 检查 the inspection lifecycle and results (stream inspection-{inspection_id}).
-- inspections (made by the draws, 20261126000008_draws.sql) gains the lifecycle columns, kept in
--   step by the inspections lifecycle projection (services/inspections.py); case inspections
--   (个案, origin CASE, id CASE/{department}/{reference}) get rows of their own, without a task
--   or a draw.  Column status stays the draw side's (ASSIGNED).
-- inspection_records: the read table of the inspection aggregate (the whole state: results,
--   amendments, case details, the published record), fed in the append transaction and rebuilt
--   from the ledger.  A drawn inspection has a row here only once a command ran on it.

-- migrate:up
ALTER TABLE inspections
    ALTER COLUMN task_id DROP NOT NULL,
    ALTER COLUMN draw_no DROP NOT NULL,
    -- RANDOM (双随机), SPECIAL (专项, drawn by a task of kind SPECIAL) or CASE (个案).
    ADD COLUMN origin         text   NOT NULL DEFAULT 'RANDOM'
        CHECK (origin IN ('RANDOM', 'SPECIAL', 'CASE')),
    -- LifecycleStatus: ASSIGNED SCHEDULED RESULTS_SUBMITTED RETURNED APPROVED PUBLISHED.
    ADD COLUMN lifecycle      text   NOT NULL DEFAULT 'ASSIGNED',
    -- Beijing dates as ISO 8601 text (YYYY-MM-DD), like start_date: they compare as text.
    ADD COLUMN scheduled_on   text,
    ADD COLUMN inspected_on   text,
    ADD COLUMN approved_on    text,  -- Beijing date of the approval (set once)
    ADD COLUMN published_on   text,  -- Beijing date of the publication (set once)
    -- The submitted result codes in item order, by their standard code ('1', 'A', … '12').
    ADD COLUMN result_codes   text[],
    ADD COLUMN case_source    text,  -- COMPLAINT, REFERRAL or MONITORING (CASE only)
    ADD COLUMN case_reference text,  -- the record number (CASE only)
    ADD CONSTRAINT inspections_origin_task
        CHECK ((origin = 'CASE') = (task_id IS NULL) AND (task_id IS NULL) = (draw_no IS NULL));
CREATE INDEX inspections_lifecycle ON inspections (lifecycle, id);
CREATE INDEX inspections_origin ON inspections (origin, id);
CREATE INDEX inspections_departments ON inspections USING gin (departments);
CREATE INDEX inspections_approved_on ON inspections (approved_on) WHERE approved_on IS NOT NULL;

CREATE TABLE inspection_records (
    id              text        PRIMARY KEY,  -- the inspection id
    version         bigint      NOT NULL,
    state           jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    origin          text        GENERATED ALWAYS AS (state->>'origin') STORED,
    status          text        GENERATED ALWAYS AS (state->>'status') STORED,
    task_id         text        GENERATED ALWAYS AS (state->>'task_id') STORED,
    subject_key     text        GENERATED ALWAYS AS (state->>'subject') STORED,
    lead_department text        GENERATED ALWAYS AS (state->'departments'->>0) STORED,
    approved_on     text        GENERATED ALWAYS AS (state->>'approved_on') STORED,
    published_on    text        GENERATED ALWAYS AS (state->>'published_on') STORED
);
CREATE INDEX inspection_records_subject ON inspection_records (subject_key, id);
CREATE INDEX inspection_records_status ON inspection_records (status, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON inspection_records TO spotcheck_app;

-- migrate:down
DROP TABLE inspection_records;
DELETE FROM inspections WHERE origin = 'CASE';
ALTER TABLE inspections
    DROP CONSTRAINT inspections_origin_task,
    DROP COLUMN case_reference,
    DROP COLUMN case_source,
    DROP COLUMN result_codes,
    DROP COLUMN published_on,
    DROP COLUMN approved_on,
    DROP COLUMN inspected_on,
    DROP COLUMN scheduled_on,
    DROP COLUMN lifecycle,
    DROP COLUMN origin,
    ALTER COLUMN task_id SET NOT NULL,
    ALTER COLUMN draw_no SET NOT NULL;
