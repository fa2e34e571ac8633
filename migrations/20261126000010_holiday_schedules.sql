-- 法定节假日安排 holiday schedules (stream holidays-{year}): the read table of the holiday
-- schedule aggregate, fed in the append transaction and rebuilt from the ledger.  A year's
-- schedule as published by the State Council (国务院办公厅通知): the days off (放假) and the
-- adjusted working weekends (调休上班).  Years the chinese-calendar package covers need no row;
-- later years are published by the system administrator (publishHolidaySchedule).

-- migrate:up
CREATE TABLE holiday_schedules (
    id          text        PRIMARY KEY,  -- the year, e.g. 2027
    version     bigint      NOT NULL,
    state       jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    year        integer     GENERATED ALWAYS AS ((state->>'year')::integer) STORED
);
CREATE UNIQUE INDEX holiday_schedules_year ON holiday_schedules (year);

GRANT SELECT, INSERT, UPDATE, DELETE ON holiday_schedules TO spotcheck_app;

-- migrate:down
DROP TABLE holiday_schedules;
