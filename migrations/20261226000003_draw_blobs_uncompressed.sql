-- draw_blobs (20261126000008_draws.sql): content is stored out of line uncompressed (STORAGE
-- EXTERNAL) from now on; rows already written stay as they are (both forms read the same).
-- Why: pglz (this server has no lz4) compressed a 26 MB transcript and a 17 MB population in
-- the executeDraw and commitDraw transactions at about 25-50 MB/s, a quarter to a third of the
-- draw's execute time (issue 18); uncompressed, the write is a copy.  And a slice of an
-- uncompressed value is read without decompressing from its start, so streaming a transcript
-- in slices (services/draws.py, blob_chunks) reads each byte once.  The cost: about 2.4x the
-- disk for these blobs (docs/scaling.md has the figures).

-- migrate:up
ALTER TABLE draw_blobs ALTER COLUMN content SET STORAGE EXTERNAL;

-- migrate:down
ALTER TABLE draw_blobs ALTER COLUMN content SET STORAGE EXTENDED;
