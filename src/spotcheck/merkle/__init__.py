"""默克尔树 The ledger's RFC 6962 Merkle tree, its proofs and signed checkpoints (pure, no I/O)."""

from spotcheck.merkle.note import Checkpoint, checkpoint_body, key_id, parse_public_key, sign
from spotcheck.merkle.proofs import (
    consistency_ranges,
    inclusion_ranges,
    needed_nodes,
    proof_hashes,
    verify_consistency,
    verify_inclusion,
)
from spotcheck.merkle.tree import (
    EMPTY_ROOT,
    Frontier,
    NodeId,
    compact_range,
    decompose,
    leaf_hash,
    node_hash,
    range_hash,
    root_of,
)

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "Frontier",
    "NodeId",
    "checkpoint_body",
    "compact_range",
    "consistency_ranges",
    "decompose",
    "inclusion_ranges",
    "key_id",
    "leaf_hash",
    "needed_nodes",
    "node_hash",
    "parse_public_key",
    "proof_hashes",
    "range_hash",
    "root_of",
    "sign",
    "verify_consistency",
    "verify_inclusion",
]
