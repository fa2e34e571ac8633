-- The server's /readyz compares the applied migrations with the files shipped with its code
-- (src/spotcheck/observe/health.py), as the server's role: it may read dbmate's table, never
-- change it.  (Numbered apart from the 2026112600000N series so that migrations written at the
-- same time on other branches do not take the same version.)

-- migrate:up
GRANT SELECT ON schema_migrations TO spotcheck_app;

-- migrate:down
REVOKE SELECT ON schema_migrations FROM spotcheck_app;
