-- 年度抽查工作计划 annual plans (stream plan-{plan_id}) and 抽查任务 inspection tasks
-- (stream task-{task_id}): the read tables of the two aggregates, fed in the append transaction
-- and rebuilt from the ledger.  Generated columns index the JSON state for the API's filters
-- and for the draws; every list is paged by keyset on id.

-- migrate:up
CREATE TABLE plans (
    id          text        PRIMARY KEY,  -- plan id, e.g. 2026-SCJG
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    year        integer     GENERATED ALWAYS AS ((state->>'year')::integer) STORED,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,  -- lead
    status      text        GENERATED ALWAYS AS (state->>'status') STORED
);
CREATE INDEX plans_year ON plans (year, id);
-- Containment and key existence (? and @>) on the participating departments.
CREATE INDEX plans_departments ON plans USING gin ((state->'departments'));

CREATE TABLE tasks (
    id          text        PRIMARY KEY,  -- task id
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    plan_id     text        GENERATED ALWAYS AS (state->>'plan_id') STORED,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,  -- lead
    status      text        GENERATED ALWAYS AS (state->>'status') STORED,
    -- Published once (一公开): public, also after a cancellation.
    public      boolean     GENERATED ALWAYS AS ((state->>'published_once')::boolean) STORED,
    -- ISO 8601 text (YYYY-MM-DD), not date: the text-to-date cast is only STABLE (it depends
    -- on DateStyle), and a generated column needs an IMMUTABLE expression.  ISO dates compare
    -- correctly as text: start_date <= '2026-12-01'.
    start_date  text        GENERATED ALWAYS AS (state->>'start_date') STORED,
    end_date    text        GENERATED ALWAYS AS (state->>'end_date') STORED
);
CREATE INDEX tasks_plan_id ON tasks (plan_id, id);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_departments ON tasks USING gin ((state->'departments'));
CREATE INDEX tasks_dates ON tasks (start_date, end_date);

GRANT SELECT, INSERT, UPDATE, DELETE ON plans, tasks TO spotcheck_app;

-- migrate:down
DROP TABLE tasks;
DROP TABLE plans;
