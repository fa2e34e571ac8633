-- 联络员制度 requests (附件2 一(五), 二(五)): the read tables of the liaison replacement
-- request aggregate (stream liaison-replacement-{id}) and the coordination request aggregate
-- (stream coordination-{id}), fed in the append transaction and rebuilt from the ledger.

-- migrate:up
CREATE TABLE liaison_replacement_requests (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED
);
CREATE INDEX liaison_replacement_requests_department
    ON liaison_replacement_requests (department, id);

CREATE TABLE coordination_requests (
    id          text        PRIMARY KEY,
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    status      text        GENERATED ALWAYS AS (state->>'status') STORED
);
CREATE INDEX coordination_requests_department ON coordination_requests (department, id);
CREATE INDEX coordination_requests_status ON coordination_requests (status, id);

GRANT SELECT, INSERT, UPDATE, DELETE
    ON liaison_replacement_requests, coordination_requests TO spotcheck_app;

-- migrate:down
DROP TABLE coordination_requests;
DROP TABLE liaison_replacement_requests;
