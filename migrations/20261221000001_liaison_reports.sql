-- 工作信息报送 liaison work information reports (stream liaison-report-{department}-{year}-Q{n};
-- 联络员制度 二(二), 附件1 第九条): the read table of the liaison report aggregate, fed in the
-- append transaction and rebuilt from the ledger.  A report's figures are stored in its state
-- as computed at submission (with the ledger position they were read at).

-- migrate:up
CREATE TABLE liaison_reports (
    id          text        PRIMARY KEY,  -- {department}-{year}-Q{quarter}
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    department  text        GENERATED ALWAYS AS (state->>'department') STORED,
    year        integer     GENERATED ALWAYS AS ((state->>'year')::integer) STORED
);
CREATE INDEX liaison_reports_department ON liaison_reports (department, id);
CREATE INDEX liaison_reports_year ON liaison_reports (year, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON liaison_reports TO spotcheck_app;

-- migrate:down
DROP TABLE liaison_reports;
