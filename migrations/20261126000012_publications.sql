-- 一公开 the publication read side: what the public searches, the credit record (记于市场主体名下),
-- proposals to list a subject as an abnormal operation (经营异常名录) and follow-up tracking.
-- All three tables are projections, fed in the append transaction and rebuilt from the ledger
-- (src/spotcheck/projections/publications.py).  The feed for the national systems
-- (国家企业信用信息公示系统) does not read them: it reads the sealed ledger by position.
--
-- published_results: one row per published inspection (id = inspection id), from
--   InspectionResultsPublished, replaced by each InspectionResultAmended that carries a record.
--   Search: by USCC (index), by subject key (index), by department (GIN), by publication date
--   (index); by name with a "contains" scan (strpos) in key order that stops after a page: no
--   trigram index, because pg_trgm drops CJK characters under the C and POSIX locales.
-- abnormal_operation_proposals: one row per published inspection with an item coded 6
--   (通过登记的住所（经营场所）无法联系), id = inspection id; PROPOSED until an admin confirms
--   or rejects it (stream abnormal-{inspection id}); WITHDRAWN when an amendment removes code 6
--   before the decision.
-- follow_ups: one row per (inspection, item) whose approved result has a follow-up (后续处置)
--   other than NONE, id = {inspection id}#{item}; the tracking (re-check, transfer status) as
--   the inspection's events leave it.

-- migrate:up
CREATE TABLE published_results (
    id              text        PRIMARY KEY,
    subject_key     text        NOT NULL,
    uscc            text,
    subject_name    text        NOT NULL,
    departments     text[]      NOT NULL,   -- inspecting departments, the lead first
    origin          text        NOT NULL,   -- RANDOM, SPECIAL or CASE
    task_id         text,
    -- ISO 8601 dates as text (see 20261126000006_inspectors.sql): they compare correctly.
    published_on    text        NOT NULL,
    amendment_count integer     NOT NULL,
    last_amended_on text,
    record          jsonb       NOT NULL,   -- the PublishedRecord, with its amendments
    published_at    timestamptz NOT NULL,   -- recorded_at of the publication event
    updated_at      timestamptz NOT NULL
);
CREATE INDEX published_results_uscc ON published_results (uscc, id) WHERE uscc IS NOT NULL;
CREATE INDEX published_results_subject ON published_results (subject_key, id);
CREATE INDEX published_results_departments ON published_results USING gin (departments);
CREATE INDEX published_results_published_on ON published_results (published_on, id);

CREATE TABLE abnormal_operation_proposals (
    id              text        PRIMARY KEY,   -- the inspection id
    subject_key     text        NOT NULL,
    uscc            text,
    subject_name    text        NOT NULL,
    departments     text[]      NOT NULL,      -- inspecting departments, the lead first
    items           text[]      NOT NULL,      -- the items coded 6
    proposed_on     text        NOT NULL,      -- Beijing date of the publication or amendment
    proposed_at     timestamptz NOT NULL,
    status          text        NOT NULL
        CHECK (status IN ('PROPOSED', 'CONFIRMED', 'REJECTED', 'WITHDRAWN')),
    decided_by      text,
    decided_at      timestamptz,
    reason          text,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX abnormal_operation_proposals_status ON abnormal_operation_proposals (status, id);
CREATE INDEX abnormal_operation_proposals_subject ON abnormal_operation_proposals (subject_key);
CREATE INDEX abnormal_operation_proposals_departments
    ON abnormal_operation_proposals USING gin (departments);

CREATE TABLE follow_ups (
    id                text        PRIMARY KEY,   -- {inspection id}#{item}
    inspection_id     text        NOT NULL,
    item              text        NOT NULL,
    subject_key       text        NOT NULL,
    origin            text        NOT NULL,
    task_id           text,
    departments       text[]      NOT NULL,      -- the lead first
    kind              text        NOT NULL,      -- FollowUpKind, never NONE
    code              text        NOT NULL,      -- the item's result code
    correct_by        text,
    receiving_body    text,
    notify_department text,
    description       text,
    rechecked_on      text,
    corrected         boolean,
    recheck_note      text,
    transfer_status   text,
    transfer_note     text,
    approved_on       text        NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX follow_ups_inspection ON follow_ups (inspection_id);
CREATE INDEX follow_ups_departments ON follow_ups USING gin (departments);
CREATE INDEX follow_ups_correct_by ON follow_ups (correct_by) WHERE kind = 'ORDER_TO_CORRECT';

GRANT SELECT, INSERT, UPDATE, DELETE
    ON published_results, abnormal_operation_proposals, follow_ups TO spotcheck_app;

-- migrate:down
DROP TABLE follow_ups;
DROP TABLE abnormal_operation_proposals;
DROP TABLE published_results;
