-- 联席会议 the joint meeting (issue 16, items 1 and 2): the read tables of its three aggregates,
-- fed in the append transaction and rebuilt from the ledger (state tables: each row the folded
-- state as JSON, generated columns for what is filtered on).
--
-- joint_meeting_compositions: the composition (stream joint-meeting-FENGTAI), one row.
-- meetings: a meeting with its minutes (stream meeting-{id}).
-- action_items: 议定事项 (stream action-item-{id}); dates are ISO text (Beijing dates), so a
--   comparison with today's ISO date is a date comparison; due_year is the year of the due
--   date, the year an item counts in (the office's supervision, the annual report).

-- migrate:up
CREATE TABLE joint_meeting_compositions (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE meetings (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    kind        text        GENERATED ALWAYS AS (state->>'kind') STORED,
    held_on     text        GENERATED ALWAYS AS (state->>'held_on') STORED
);
CREATE INDEX meetings_held_on ON meetings (held_on);

CREATE TABLE action_items (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    meeting_id  text        GENERATED ALWAYS AS (state->>'meeting_id') STORED,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED,
    due_date    text        GENERATED ALWAYS AS (state->>'due_date') STORED,
    done_on     text        GENERATED ALWAYS AS (state->>'done_on') STORED,
    due_year    integer     GENERATED ALWAYS AS (substr(state->>'due_date', 1, 4)::integer) STORED
);
CREATE INDEX action_items_department ON action_items (department, due_year);
CREATE INDEX action_items_meeting ON action_items (meeting_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON joint_meeting_compositions, meetings, action_items
    TO spotcheck_app;

-- migrate:down
DROP TABLE action_items;
DROP TABLE meetings;
DROP TABLE joint_meeting_compositions;
