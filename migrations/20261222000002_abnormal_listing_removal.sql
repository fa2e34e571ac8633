-- 移出经营异常名录: a confirmed listing (stream abnormal-{inspection id}) is removed once the
-- business proves it is reachable at its registered address again (AbnormalListingRemoved):
-- status REMOVED, who, when, and the proof as recorded.  The confirmation's decided_by,
-- decided_at and reason stay as they were.

-- migrate:up
ALTER TABLE abnormal_operation_proposals
    DROP CONSTRAINT abnormal_operation_proposals_status_check,
    ADD CONSTRAINT abnormal_operation_proposals_status_check
        CHECK (status IN ('PROPOSED', 'CONFIRMED', 'REJECTED', 'WITHDRAWN', 'REMOVED')),
    ADD COLUMN removed_by  text,
    ADD COLUMN removed_at  timestamptz,
    ADD COLUMN removal_proof text;

-- migrate:down
ALTER TABLE abnormal_operation_proposals
    DROP COLUMN removal_proof,
    DROP COLUMN removed_at,
    DROP COLUMN removed_by,
    DROP CONSTRAINT abnormal_operation_proposals_status_check,
    ADD CONSTRAINT abnormal_operation_proposals_status_check
        CHECK (status IN ('PROPOSED', 'CONFIRMED', 'REJECTED', 'WITHDRAWN'));
