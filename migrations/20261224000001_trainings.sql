-- 宣传培训 training sessions for inspectors (联络员制度 二(八); stream training-{id}): the read
-- table of the training aggregate, fed in the append transaction and rebuilt from the ledger.
-- The attendees (staff ids) are the JSON array state->'attendees'; the GIN index answers an
-- inspector's trainings (state->'attendees' @> '["<staff id>"]', the Inspector's `trainings`).

-- migrate:up
CREATE TABLE trainings (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    held_on     text        GENERATED ALWAYS AS (state->>'held_on') STORED  -- ISO date
);
CREATE INDEX trainings_department ON trainings (department, id);
CREATE INDEX trainings_attendees ON trainings USING gin ((state->'attendees') jsonb_path_ops);

GRANT SELECT, INSERT, UPDATE, DELETE ON trainings TO spotcheck_app;

-- migrate:down
DROP TABLE trainings;
