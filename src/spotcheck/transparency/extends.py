"""Proving that a ledger (a restored one, or one recovered to a point in time) extends a signed
checkpoint: the proof a restore must pass before the data is trusted again.

In order, stopping at the first failure, which names a ledger position where there is one:

1. the checkpoint's Ed25519 signature verifies with the log's public key, given out of band
   (the key id in the database is not trusted);
2. the ledger reaches the checkpoint's tree size (a shorter one lost its tail);
3. every leaf is hashed from ``ledger.content_hash`` in position order, positions 1 … head
   without a gap; every complete subtree inside the checkpoint's tree is compared with the
   stored one (``merkle_nodes``, from which the server serves proofs), and no stored subtree
   may lie past that tree (that would be the trace of removed checkpoints);
4. the root of the first ``tree_size`` leaves equals the signed root;
5. the RFC 9162 §2.1.4 consistency proof from ``tree_size`` to the head, computed from those
   leaves, verifies (§2.1.4.2) between the signed root and the head's root; and the proof and
   root the server's own code (:mod:`spotcheck.transparency.log`) builds from the stored
   subtrees are the same.

Step 3 locates a difference: the first subtree that differs covers the first altered leaf, so
the report names its positions (a level-1 subtree covers two: a leaf hash alone cannot tell
which of the two changed).  Content hashes are only as good as ``spotcheck ledger verify``
says: run it first (it recomputes each from its event).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from spotcheck.merkle.note import Checkpoint, key_id
from spotcheck.merkle.proofs import (
    consistency_ranges,
    needed_nodes,
    proof_hashes,
    verify_consistency,
)
from spotcheck.merkle.tree import Frontier, NodeId, leaf_hash, span
from spotcheck.transparency.log import (
    MAX_PAST_CHECKPOINT,
    LogError,
    consistency_proof,
    ledger_head,
    root_at,
)

BATCH = 50_000


@dataclass(frozen=True)
class ExtendsReport:
    ok: bool
    tree_size: int
    """The checkpoint's."""
    head: int
    """The ledger's head position (0 when it could not be read)."""
    position: int | None = None
    """The first ledger position found wrong, when the failure has one."""
    problem: str | None = None
    subtrees_checked: int = 0

    def summary(self) -> str:
        if self.ok:
            past = self.head - self.tree_size
            tail = (
                f"; positions {self.tree_size + 1}…{self.head} are chained but not signed yet"
                if past
                else ""
            )
            return (
                f"checkpoint proof OK: the signed tree of {self.tree_size} entries is a prefix "
                f"of the ledger's {self.head} (consistency proof verified, "
                f"{self.subtrees_checked} stored subtrees match){tail}"
            )
        where = f"at position {self.position}: " if self.position is not None else ""
        return f"checkpoint proof FAILED {where}{self.problem}"


def _positions(node: NodeId) -> str:
    start, end = span(node)
    return f"{start + 1}" if end - start == 1 else f"{start + 1}…{end}"


async def prove_extends(
    conn: asyncpg.Connection,
    checkpoint: Checkpoint,
    key: Ed25519PublicKey,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> ExtendsReport:
    """Check that the ledger on ``conn`` extends ``checkpoint`` (see the module docstring)."""
    n = checkpoint.tree_size
    if not checkpoint.verify(key):
        return ExtendsReport(
            False,
            n,
            0,
            problem=(
                f"the checkpoint of tree size {n} is not signed by the given key (it names key "
                f"id {checkpoint.key_id}; the given key's id is {key_id(key)})"
            ),
        )
    head = await ledger_head(conn)
    if head < n:
        return ExtendsReport(
            False,
            n,
            head,
            head + 1,
            f"the ledger ends at position {head} but the signed checkpoint covers {n} entries: "
            f"positions {head + 1}…{n} are missing (the record lost its tail)",
        )
    ranges = consistency_ranges(n, head)
    wanted = needed_nodes(ranges)
    kept: dict[NodeId, bytes] = {}
    frontier = Frontier()
    pending: list[tuple[NodeId, bytes]] = []
    first_difference: tuple[NodeId, str] | None = None
    checked = 0
    root_n: bytes | None = None

    async def compare_stored() -> None:
        nonlocal first_difference, checked
        if not pending:
            return
        rows = await conn.fetch(
            "SELECT n.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY"
            " AS w(level, index, ord) LEFT JOIN merkle_nodes n"
            " ON n.level = w.level AND n.index = w.index ORDER BY w.ord",
            [node[0] for node, _ in pending],
            [node[1] for node, _ in pending],
        )
        for (node, digest), row in zip(pending, rows, strict=True):
            if first_difference is None and (
                row["hash"] is None or not hmac.compare_digest(bytes(row["hash"]), digest)
            ):
                what = "missing from" if row["hash"] is None else "different in"
                first_difference = (node, what)
        checked += len(pending)
        pending.clear()

    position = 0
    while position < head:
        rows = await conn.fetch(
            "SELECT position, content_hash FROM ledger WHERE position > $1 AND position <= $2"
            " ORDER BY position LIMIT $3",
            position,
            head,
            batch,
        )
        for r in rows:
            if r["position"] != position + 1:
                return ExtendsReport(
                    False, n, head, position + 1, f"position {position + 1} is missing"
                )
            position += 1
            leaf = leaf_hash(bytes(r["content_hash"]))
            index = position - 1
            if (0, index) in wanted:
                kept[(0, index)] = leaf
            for node, digest in frontier.append(leaf):
                if node in wanted:
                    kept[node] = digest
                if span(node)[1] <= n:
                    pending.append((node, digest))
            if position == n:
                root_n = frontier.root()
        await compare_stored()
        if progress is not None:
            progress(position)
    if position != head:
        return ExtendsReport(False, n, head, position + 1, f"position {position + 1} is missing")
    assert root_n is not None
    stored = int(await conn.fetchval("SELECT count(*) FROM merkle_nodes"))
    signed_tree_ok = hmac.compare_digest(root_n, checkpoint.root_hash)

    def fail(at: int | None, problem: str) -> ExtendsReport:
        return ExtendsReport(False, n, head, at, problem, checked)

    if not signed_tree_ok:
        if first_difference is not None:
            node, _ = first_difference
            return fail(
                span(node)[0] + 1,
                f"the first {n} entries are not the signed tree: the first difference is in "
                f"positions {_positions(node)} (Merkle subtree level {node[0]} index "
                f"{node[1]} does not hash as stored when the checkpoint was signed)",
            )
        return fail(
            n,
            f"the Merkle root of the first {n} entries is not the signed checkpoint's (the "
            "stored subtrees match the ledger, so the stored tree was rewritten too; the "
            "difference is within the first "
            f"{n} positions)",
        )
    if first_difference is not None:
        node, what = first_difference
        return fail(
            span(node)[0] + 1,
            f"the ledger matches the signed checkpoint, but the stored Merkle subtree covering "
            f"positions {_positions(node)} is {what} the node store: proofs served from it "
            "would be wrong",
        )
    if stored != checked:
        return fail(
            n + 1,
            f"the Merkle node store holds {stored - checked} subtree(s) past the signed tree of "
            f"{n} entries, as if later checkpoints had been removed",
        )
    head_root = frontier.root()
    proof = proof_hashes(ranges, kept) if n < head else []
    if not verify_consistency(n, head, checkpoint.root_hash, head_root, proof):
        return fail(n, f"the consistency proof from {n} to {head} entries does not verify")
    # The server's path (stored subtrees, then leaves past the checkpoint, up to a limit).
    try:
        served_root = await root_at(conn, n)
        served = (
            await consistency_proof(conn, n, head) if n < head <= n + MAX_PAST_CHECKPOINT else proof
        )
    except LogError as e:
        return fail(getattr(e, "position", None), f"the server cannot build the proof: {e}")
    if served_root != checkpoint.root_hash or served != proof:
        return fail(n, "the proof the server builds from its stored subtrees is not this one")
    return ExtendsReport(True, n, head, subtrees_checked=checked)
