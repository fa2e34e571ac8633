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
from dataclasses import dataclass, field

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


@dataclass
class _Walk:
    """One pass over the ledger's leaves: the tree at the checkpoint's size and at the head, the
    proof's nodes, and the first stored subtree (within the signed tree) that differs."""

    n: int
    head: int
    wanted: set[NodeId]
    frontier: Frontier = field(default_factory=Frontier)
    kept: dict[NodeId, bytes] = field(default_factory=dict)
    pending: list[tuple[NodeId, bytes]] = field(default_factory=list)
    first_difference: tuple[NodeId, str] | None = None
    checked: int = 0
    root_n: bytes | None = None
    position: int = 0

    def add(self, content_hash: bytes) -> None:
        self.position += 1
        leaf = leaf_hash(content_hash)
        if (0, self.position - 1) in self.wanted:
            self.kept[(0, self.position - 1)] = leaf
        for node, digest in self.frontier.append(leaf):
            if node in self.wanted:
                self.kept[node] = digest
            if span(node)[1] <= self.n:
                self.pending.append((node, digest))
        if self.position == self.n:
            self.root_n = self.frontier.root()

    async def compare_stored(self, conn: asyncpg.Connection) -> None:
        """The subtrees completed since the last call against the node store."""
        if not self.pending:
            return
        rows = await conn.fetch(
            "SELECT n.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY"
            " AS w(level, index, ord) LEFT JOIN merkle_nodes n"
            " ON n.level = w.level AND n.index = w.index ORDER BY w.ord",
            [node[0] for node, _ in self.pending],
            [node[1] for node, _ in self.pending],
        )
        for (node, digest), row in zip(self.pending, rows, strict=True):
            if self.first_difference is None and (
                row["hash"] is None or not hmac.compare_digest(bytes(row["hash"]), digest)
            ):
                what = "missing from" if row["hash"] is None else "different in"
                self.first_difference = (node, what)
        self.checked += len(self.pending)
        self.pending.clear()

    async def run(
        self, conn: asyncpg.Connection, batch: int, progress: Callable[[int], None] | None
    ) -> int | None:
        """Walk positions 1..head; the first missing position, or None."""
        while self.position < self.head:
            rows = await conn.fetch(
                "SELECT position, content_hash FROM ledger WHERE position > $1"
                " AND position <= $2 ORDER BY position LIMIT $3",
                self.position,
                self.head,
                batch,
            )
            for r in rows:
                if r["position"] != self.position + 1:
                    return self.position + 1
                self.add(bytes(r["content_hash"]))
            await self.compare_stored(conn)
            if progress is not None:
                progress(self.position)
            if not rows:
                return self.position + 1
        return None


def _signed_tree_problem(walk: _Walk, checkpoint: Checkpoint) -> tuple[int, str] | None:
    """Where the first ``n`` entries differ from the signed tree, if they do."""
    n = walk.n
    assert walk.root_n is not None
    if hmac.compare_digest(walk.root_n, checkpoint.root_hash):
        return None
    if walk.first_difference is not None:
        node, _ = walk.first_difference
        return (
            span(node)[0] + 1,
            f"the first {n} entries are not the signed tree: the first difference is in "
            f"positions {_positions(node)} (Merkle subtree level {node[0]} index "
            f"{node[1]} does not hash as stored when the checkpoint was signed)",
        )
    return (
        n,
        f"the Merkle root of the first {n} entries is not the signed checkpoint's (the "
        "stored subtrees match the ledger, so the stored tree was rewritten too; the "
        f"difference is within the first {n} positions)",
    )


def _node_store_problem(walk: _Walk, stored: int) -> tuple[int, str] | None:
    """The ledger matches the signed tree; does the stored node store match them both?"""
    if walk.first_difference is not None:
        node, what = walk.first_difference
        return (
            span(node)[0] + 1,
            f"the ledger matches the signed checkpoint, but the stored Merkle subtree covering "
            f"positions {_positions(node)} is {what} the node store: proofs served from it "
            "would be wrong",
        )
    if stored != walk.checked:
        return (
            walk.n + 1,
            f"the Merkle node store holds {stored - walk.checked} subtree(s) past the signed "
            f"tree of {walk.n} entries, as if later checkpoints had been removed",
        )
    return None


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
    walk = _Walk(n, head, needed_nodes(ranges))
    missing = await walk.run(conn, batch, progress)
    if missing is not None:
        return ExtendsReport(False, n, head, missing, f"position {missing} is missing")
    stored = int(await conn.fetchval("SELECT count(*) FROM merkle_nodes"))
    problem: tuple[int | None, str] | None = _signed_tree_problem(
        walk, checkpoint
    ) or _node_store_problem(walk, stored)
    if problem is not None:
        return ExtendsReport(False, n, head, problem[0], problem[1], walk.checked)
    proof = proof_hashes(ranges, walk.kept) if n < head else []
    if not verify_consistency(n, head, checkpoint.root_hash, walk.frontier.root(), proof):
        problem = (n, f"the consistency proof from {n} to {head} entries does not verify")
    else:
        problem = await _served_proof_problem(conn, checkpoint, head, proof)
    if problem is not None:
        return ExtendsReport(False, n, head, problem[0], problem[1], walk.checked)
    return ExtendsReport(True, n, head, subtrees_checked=walk.checked)


async def _served_proof_problem(
    conn: asyncpg.Connection, checkpoint: Checkpoint, head: int, proof: list[bytes]
) -> tuple[int | None, str] | None:
    """The server's path (stored subtrees, then leaves past the checkpoint, up to a limit) must
    give the same root and proof."""
    n = checkpoint.tree_size
    try:
        served_root = await root_at(conn, n)
        served = (
            await consistency_proof(conn, n, head) if n < head <= n + MAX_PAST_CHECKPOINT else proof
        )
    except LogError as e:
        return (getattr(e, "position", None), f"the server cannot build the proof: {e}")
    if served_root != checkpoint.root_hash or served != proof:
        return (n, "the proof the server builds from its stored subtrees is not this one")
    return None
