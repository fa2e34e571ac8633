-- 异议 objections to published results (stream objection-{id}): the read table of the objection
-- aggregate (spotcheck.domain.objection), fed in the append transaction and rebuilt from the
-- ledger.  One row per objection, id = its reference number (OBJ-…); state holds the folded
-- Objection.  The generated columns are what the objection lists, the deadline report and the
-- annual report read: the answer is due working_days working days after filed_on (computed on
-- the holiday schedules when asked, never stored, so a later year's schedule makes an
-- undetermined deadline computable).
--
-- For the annual report ("objection answers on time"): one row per objection with filed_on,
-- answered_on (null while FILED), working_days and department (the lead department, which
-- answers); spotcheck.services.objections.answer_deadlines assesses each against the calendar.

-- migrate:up
CREATE TABLE objections (
    id            text        PRIMARY KEY,
    version       bigint      NOT NULL,
    state         jsonb       NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    inspection_id text        GENERATED ALWAYS AS (state->>'inspection_id') STORED,
    subject_key   text        GENERATED ALWAYS AS (state->>'subject') STORED,
    department    text        GENERATED ALWAYS AS (state->>'department') STORED,
    status        text        GENERATED ALWAYS AS (state->>'status') STORED,
    outcome       text        GENERATED ALWAYS AS (state->>'outcome') STORED,
    -- ISO 8601 dates as text (see 20261126000006_inspectors.sql): they compare correctly.
    filed_on      text        GENERATED ALWAYS AS (state->>'filed_on') STORED,
    answered_on   text        GENERATED ALWAYS AS (state->>'answered_on') STORED,
    working_days  integer     GENERATED ALWAYS AS ((state->>'working_days')::integer) STORED
);
CREATE INDEX objections_inspection ON objections (inspection_id);
CREATE INDEX objections_department ON objections (department, id);
CREATE INDEX objections_open ON objections (filed_on) WHERE status = 'FILED';

GRANT SELECT, INSERT, UPDATE, DELETE ON objections TO spotcheck_app;

-- migrate:down
DROP TABLE objections;
