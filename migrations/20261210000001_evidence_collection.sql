-- 证据材料 collection and access (issue 12): which results reference which evidence file, and
-- whether a file was collected.
--
-- evidence_files.collected: the state's "collected" flag (EvidenceCollected: an upload left
--   unattached past SPOTCHECK_EVIDENCE_UNATTACHED_TTL, its bytes deleted).  updated_at is the
--   instant of the file's latest event: for a file not collected, its latest upload, from which
--   the unattached time counts.
-- evidence_attachments: a projection of the inspection streams, one row per (file, inspection)
--   for every evidence file a submitted or amended result has referenced, kept for ever (a file
--   once referenced is never collected).  It answers "is this file attached?" (collection and
--   quota) and "which departments' inspections reference it?" (who may read it: the
--   inspections' departments, lead and joint).  attached_at: recorded_at of the first event
--   that referenced it there.

-- migrate:up
ALTER TABLE evidence_files
    ADD COLUMN collected boolean
        GENERATED ALWAYS AS (coalesce((state->>'collected')::boolean, false)) STORED;
CREATE INDEX evidence_files_unattached ON evidence_files (updated_at) WHERE NOT collected;

CREATE TABLE evidence_attachments (
    sha256        text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    inspection_id text        NOT NULL,
    attached_at   timestamptz NOT NULL,
    PRIMARY KEY (sha256, inspection_id)
);
CREATE INDEX evidence_attachments_inspection ON evidence_attachments (inspection_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON evidence_attachments TO spotcheck_app;

-- migrate:down
DROP TABLE evidence_attachments;
DROP INDEX evidence_files_unattached;
ALTER TABLE evidence_files DROP COLUMN collected;
