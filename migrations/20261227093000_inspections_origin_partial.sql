-- inspections_origin (20261126000009_inspection_lifecycle.sql) indexed every row, though only
-- the rare origins are ever looked up through it: a filter on origin RANDOM (双随机, nearly every
-- row) reads the table in id order and finds its rows at once.  Partial, it holds the SPECIAL
-- and CASE rows only, so the 50,000 rows of a draw no longer pass through it (issue 18: the
-- inspections INSERT is most of executeDraw's time, and each of its eight secondary indexes
-- about a sixteenth of it).  A query uses it only if its condition implies origin <> 'RANDOM':
-- records_query (api/inspections/queries.py) writes the origin as a literal for that reason,
-- and deadlines.py already says origin = 'CASE'.

-- migrate:up
DROP INDEX inspections_origin;
CREATE INDEX inspections_origin ON inspections (origin, id) WHERE origin <> 'RANDOM';

-- migrate:down
DROP INDEX inspections_origin;
CREATE INDEX inspections_origin ON inspections (origin, id);
