-- 信用风险分类联动 credit-risk proposals (stream creditrisk-{inspection_id}): the read table of the
-- credit-risk aggregate (src/spotcheck/domain/credit_risk.py), one row per proposal raised by a
-- published result, with its decision; fed in the append transaction, rebuilt from the ledger.
-- id is the inspection id.  docs/credit-risk.md.

-- migrate:up
CREATE TABLE risk_class_proposals (
    id                     text        PRIMARY KEY,
    version                bigint      NOT NULL,
    state                  jsonb       NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    subject_key            text        GENERATED ALWAYS AS (state->>'subject') STORED,
    status                 text        GENERATED ALWAYS AS (state->>'status') STORED,
    maintaining_department text        GENERATED ALWAYS AS (state->>'maintaining_department') STORED,
    to_class               text        GENERATED ALWAYS AS (state->>'to_class') STORED
);
CREATE INDEX risk_class_proposals_subject ON risk_class_proposals (subject_key, id);
CREATE INDEX risk_class_proposals_status ON risk_class_proposals (status, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON risk_class_proposals TO spotcheck_app;

-- migrate:down
DROP TABLE risk_class_proposals;
