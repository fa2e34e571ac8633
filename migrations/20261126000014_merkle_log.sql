-- 透明日志 The ledger's RFC 6962 Merkle tree and its signed checkpoints (docs/audit-format.md).
-- merkle_nodes: every complete subtree of level >= 1 (2^level leaves from leaf index * 2^level)
--   inside the latest checkpoint's tree; leaves (level 0) are SHA-256(0x00 || ledger.content_hash)
--   and are not stored.  Written with the checkpoint it belongs to, in one transaction, by the
--   checkpointer (src/spotcheck/transparency/checkpointer.py).  Append-only.
-- log_checkpoints: signed tree heads (tree size, root hash, time; Ed25519).  Append-only.

-- migrate:up
CREATE TABLE merkle_nodes (
    level   smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
    index   bigint   NOT NULL CHECK (index >= 0),
    hash    bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, index)
);

CREATE TABLE log_checkpoints (
    tree_size  bigint      PRIMARY KEY CHECK (tree_size >= 1),
    root_hash  bytea       NOT NULL CHECK (length(root_hash) = 32),
    signed_at  timestamptz NOT NULL,
    signature  bytea       NOT NULL CHECK (length(signature) = 64),
    key_id     text        NOT NULL CHECK (key_id ~ '^[0-9a-f]{8}$')
);

CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

REVOKE ALL ON merkle_nodes, log_checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON merkle_nodes, log_checkpoints TO spotcheck_app;

-- migrate:down
DROP TABLE log_checkpoints;
DROP TABLE merkle_nodes;
