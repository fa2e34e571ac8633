"""Types of the transparency log (透明日志): checkpoints and proofs, for anyone to verify."""

from __future__ import annotations

import base64

import strawberry

from spotcheck.api.scalars import SafeInt
from spotcheck.merkle.note import Checkpoint as CheckpointData
from spotcheck.merkle.note import checkpoint_body
from spotcheck.transparency.log import InclusionProof as InclusionProofData


@strawberry.type(
    description=(
        "签名检查点 A signed checkpoint of the ledger's RFC 6962 Merkle tree: the signer vouches "
        "that the first treeSize ledger entries have this root. The signature is Ed25519 over "
        "`body` (docs/audit-format.md); the key is at /.well-known/spotcheck-log-key."
    )
)
class Checkpoint:
    tree_size: SafeInt = strawberry.field(description="How many ledger entries the tree holds.")
    root_hash: str = strawberry.field(description="Merkle root, lower-case hex.")
    signed_at: str = strawberry.field(
        description="签名时间 When it was signed: RFC 3339 UTC, six fractional digits, as signed."
    )
    signature: str = strawberry.field(description="Ed25519 signature over `body`, base64.")
    key_id: str = strawberry.field(
        description="Signing key id: first 4 bytes of SHA-256(origin ‖ LF ‖ 0x01 ‖ key), hex."
    )
    body: str = strawberry.field(
        description="The exact signed text (origin, tree size, base64 root, time line)."
    )

    @classmethod
    def from_data(cls, c: CheckpointData) -> Checkpoint:
        return cls(
            tree_size=SafeInt(c.tree_size),
            root_hash=c.root_hash.hex(),
            signed_at=c.signed_at,
            signature=base64.b64encode(c.signature).decode("ascii"),
            key_id=c.key_id,
            body=checkpoint_body(c.tree_size, c.root_hash, c.signed_at).decode(),
        )


@strawberry.type(
    description=(
        "包含证明 RFC 9162 inclusion proof (audit path) of one ledger entry in the tree of "
        "treeSize entries: leaf hash = SHA-256(0x00 ‖ content hash)."
    )
)
class InclusionProof:
    leaf_index: SafeInt = strawberry.field(description="0-based leaf index: position − 1.")
    tree_size: SafeInt
    leaf_hash: str = strawberry.field(description="The leaf hash the ledger holds, hex.")
    audit_path: list[str] = strawberry.field(description="Sibling hashes, leaf upwards, hex.")

    @classmethod
    def from_data(cls, p: InclusionProofData) -> InclusionProof:
        return cls(
            leaf_index=SafeInt(p.leaf_index),
            tree_size=SafeInt(p.tree_size),
            leaf_hash=p.leaf_hash.hex(),
            audit_path=[h.hex() for h in p.audit_path],
        )


@strawberry.type(
    description=(
        "一致性证明 RFC 9162 consistency proof: the tree of fromSize entries is a prefix of the "
        "tree of toSize entries (nothing signed was rewritten)."
    )
)
class ConsistencyProof:
    from_size: SafeInt
    to_size: SafeInt
    path: list[str] = strawberry.field(description="The proof's hashes, hex, in RFC order.")
