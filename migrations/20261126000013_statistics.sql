-- 统计 statistics (services/statistics.py): the figures of a year read the inspections whose
-- start date (ISO 8601 text, see 20261126000008_draws.sql) falls in that year; this index finds
-- them without walking the whole table.  The year's draws are found through tasks_dates.

-- migrate:up
CREATE INDEX inspections_start_date ON inspections (start_date);

-- migrate:down
DROP INDEX inspections_start_date;
