"""透明日志 The ledger's Merkle tree in PostgreSQL: stored subtrees, checkpoints, proofs.

Storage.  ``merkle_nodes(level, index, hash)`` holds every complete subtree of level 1 and up
(``2^level`` leaves starting at leaf ``index · 2^level``) inside the latest signed checkpoint's
tree; level 0 (the leaves) is not stored: a leaf is SHA-256(0x00 ‖ ``ledger.content_hash``),
read by position.  The checkpointer adds the nodes and the checkpoint in one transaction, from
ordered reads of the ledger only, so the stored tree is always exactly the latest checkpoint's.

Cost.  About one row per leaf (n/2 + n/4 + … < n), roughly 100 bytes each with the index.
Extending the tree by m leaves hashes m leaves and fewer than m nodes and reads O(log n) stored
nodes (the frontier).  A root, an audit path or a consistency proof for any size up to the
checkpoint folds at most about log2(n)^2 / 2 stored hashes, fetched in one query, never the
leaves.  A size past the latest checkpoint (at most :data:`MAX_PAST_CHECKPOINT` leaves past it;
normally a few seconds of events) reads those leaves from the ledger and hashes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.eventstore.canonical import format_instant
from spotcheck.merkle.note import Checkpoint, sign
from spotcheck.merkle.proofs import (
    Range,
    consistency_ranges,
    inclusion_ranges,
    needed_nodes,
    proof_hashes,
)
from spotcheck.merkle.tree import Frontier, NodeId, decompose, fold, leaf_hash, span

CHECKPOINT_LOCK_KEY = 0x73706F74636B + 1  # one checkpoint writer at a time
MAX_PAST_CHECKPOINT = 100_000
"""Proofs for sizes past the latest checkpoint hash at most this many leaves on the fly."""
CHECKPOINT_BATCH = 50_000
"""Leaves added per checkpoint transaction when catching up with a long ledger."""


class LogError(Exception):
    """A proof or checkpoint cannot be made; ``field`` names the argument it concerns."""

    def __init__(self, field: str | None, message: str, *, out_of_range: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.out_of_range = out_of_range


class LedgerGap(LogError):
    """A ledger position the tree needs is missing: the ledger was altered."""

    def __init__(self, position: int, field: str | None = None) -> None:
        super().__init__(
            field,
            f"ledger position {position} is missing: the ledger no longer matches its Merkle "
            "tree (run spotcheck ledger verify)",
        )
        self.position = position


_CHECKPOINT_COLUMNS = "tree_size, root_hash, signed_at, signature, key_id"


def _checkpoint(row: asyncpg.Record | None) -> Checkpoint | None:
    if row is None:
        return None
    return Checkpoint(
        tree_size=row["tree_size"],
        root_hash=bytes(row["root_hash"]),
        signed_at=format_instant(row["signed_at"]),
        signature=bytes(row["signature"]),
        key_id=row["key_id"],
    )


async def latest_checkpoint(conn: asyncpg.Connection | asyncpg.Pool) -> Checkpoint | None:
    return _checkpoint(
        await conn.fetchrow(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1"
        )
    )


async def checkpoint_at(conn: asyncpg.Connection | asyncpg.Pool, size: int) -> Checkpoint | None:
    return _checkpoint(
        await conn.fetchrow(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE tree_size = $1", size
        )
    )


async def ledger_head(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM ledger"))


async def read_leaves(
    conn: asyncpg.Connection | asyncpg.Pool, start: int, end: int, field: str | None = None
) -> list[bytes]:
    """Leaf hashes of leaves ``[start, end)`` (ledger positions start+1 … end), in order."""
    rows = await conn.fetch(
        "SELECT position, content_hash FROM ledger WHERE position > $1 AND position <= $2"
        " ORDER BY position",
        start,
        end,
    )
    out: list[bytes] = []
    for expected, r in enumerate(rows, start + 1):
        if r["position"] != expected:
            raise LedgerGap(expected, field)
        out.append(leaf_hash(bytes(r["content_hash"])))
    if len(out) != end - start:
        raise LedgerGap(start + len(out) + 1, field)
    return out


async def stored_nodes(
    conn: asyncpg.Connection | asyncpg.Pool, ids: Iterable[NodeId], field: str | None = None
) -> dict[NodeId, bytes]:
    """Hashes of complete subtrees inside the stored tree (leaves from the ledger)."""
    ids = set(ids)
    leaves = sorted(i for lv, i in ids if lv == 0)
    inner = [n for n in ids if n[0] > 0]
    out: dict[NodeId, bytes] = {}
    if leaves:
        rows = await conn.fetch(
            "SELECT position, content_hash FROM ledger WHERE position = ANY($1::bigint[])",
            [i + 1 for i in leaves],
        )
        for r in rows:
            out[(0, r["position"] - 1)] = leaf_hash(bytes(r["content_hash"]))
        for i in leaves:
            if (0, i) not in out:
                raise LedgerGap(i + 1, field)
    if inner:
        rows = await conn.fetch(
            "SELECT n.level, n.index, n.hash FROM merkle_nodes n"
            " JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, index)"
            " ON n.level = w.level AND n.index = w.index",
            [lv for lv, _ in inner],
            [i for _, i in inner],
        )
        for r in rows:
            out[(r["level"], r["index"])] = bytes(r["hash"])
        missing = [n for n in inner if n not in out]
        if missing:
            raise LogError(field, f"the Merkle node store lacks subtree {missing[0]}")
    return out


async def _nodes_for(
    conn: asyncpg.Connection | asyncpg.Pool, ids: set[NodeId], size: int, field: str
) -> dict[NodeId, bytes]:
    """The hashes of ``ids``, all inside a tree of ``size`` leaves: stored ones up to the latest
    checkpoint, the rest hashed from the ledger's leaves past it."""
    latest = await latest_checkpoint(conn)
    stored = latest.tree_size if latest is not None else 0
    out: dict[NodeId, bytes] = {}
    if size > stored:
        if size - stored > MAX_PAST_CHECKPOINT:
            raise LogError(
                field,
                f"{field} is more than {MAX_PAST_CHECKPOINT} leaves past the latest checkpoint "
                f"({stored}); ask again after the next checkpoint",
                out_of_range=True,
            )
        frontier = Frontier.of(stored, await stored_nodes(conn, decompose(0, stored), field))
        for i, leaf in enumerate(await read_leaves(conn, stored, size, field), stored):
            out[(0, i)] = leaf
            out.update(frontier.append(leaf))
    rest = {n for n in ids if n not in out}
    if any(span(n)[1] > stored for n in rest):
        raise LogError(field, "a subtree past the latest checkpoint could not be hashed")
    out.update(await stored_nodes(conn, rest, field))
    return out


async def _hashes(
    conn: asyncpg.Connection | asyncpg.Pool, ranges: list[Range], size: int, field: str
) -> list[bytes]:
    nodes = await _nodes_for(conn, needed_nodes(ranges), size, field)
    return proof_hashes(ranges, nodes)


async def _check_size(conn: asyncpg.Connection | asyncpg.Pool, size: int, field: str) -> None:
    if size < 1:
        raise LogError(field, f"{field} must be at least 1", out_of_range=True)
    head = await ledger_head(conn)
    if size > head:
        raise LogError(
            field, f"{field} {size} is past the sealed ledger's head ({head})", out_of_range=True
        )


async def root_at(conn: asyncpg.Connection | asyncpg.Pool, size: int) -> bytes:
    """The root of the tree of the first ``size`` leaves."""
    await _check_size(conn, size, "treeSize")
    ids = decompose(0, size)
    nodes = await _nodes_for(conn, set(ids), size, "treeSize")
    return fold([nodes[n] for n in ids])


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]


async def inclusion_proof(
    conn: asyncpg.Connection | asyncpg.Pool, position: int, tree_size: int
) -> InclusionProof:
    """The audit path of ledger ``position`` (leaf ``position - 1``) in the tree of
    ``tree_size`` leaves."""
    await _check_size(conn, tree_size, "treeSize")
    if not 1 <= position <= tree_size:
        raise LogError(
            "position", f"position must be from 1 to treeSize ({tree_size})", out_of_range=True
        )
    index = position - 1
    ranges = inclusion_ranges(index, tree_size)
    nodes = await _nodes_for(conn, needed_nodes(ranges) | {(0, index)}, tree_size, "position")
    return InclusionProof(index, tree_size, nodes[(0, index)], proof_hashes(ranges, nodes))


async def consistency_proof(
    conn: asyncpg.Connection | asyncpg.Pool, from_size: int, to_size: int
) -> list[bytes]:
    """The proof that the tree of ``from_size`` leaves is a prefix of that of ``to_size``."""
    await _check_size(conn, to_size, "toSize")
    if not 1 <= from_size <= to_size:
        raise LogError(
            "fromSize", f"fromSize must be from 1 to toSize ({to_size})", out_of_range=True
        )
    return await _hashes(conn, consistency_ranges(from_size, to_size), to_size, "toSize")


async def checkpoint_once(
    conn: asyncpg.Connection, key: Ed25519PrivateKey, batch: int = CHECKPOINT_BATCH
) -> Checkpoint | None:
    """Extend the stored tree by up to ``batch`` sealed leaves and sign its new root.

    One transaction: the new complete subtrees and the checkpoint commit together.  Returns
    None when the latest checkpoint already covers the ledger.  Raises :class:`LedgerGap` (and
    signs nothing) if a ledger position is missing.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", CHECKPOINT_LOCK_KEY)
        latest = await latest_checkpoint(conn)
        stored = latest.tree_size if latest is not None else 0
        head = await ledger_head(conn)
        if head <= stored:
            return None
        end = min(head, stored + batch)
        frontier = Frontier.of(stored, await stored_nodes(conn, decompose(0, stored)))
        made: list[tuple[NodeId, bytes]] = []
        for leaf in await read_leaves(conn, stored, end):
            made.extend(frontier.append(leaf))
        if made:
            await conn.execute(
                "INSERT INTO merkle_nodes (level, index, hash)"
                " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
                [n[0] for n, _ in made],
                [n[1] for n, _ in made],
                [h for _, h in made],
            )
        signed_at: datetime = await conn.fetchval("SELECT clock_timestamp()")
        checkpoint = sign(key, end, frontier.root(), signed_at)
        await conn.execute(
            f"INSERT INTO log_checkpoints ({_CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)",
            checkpoint.tree_size,
            checkpoint.root_hash,
            signed_at,
            checkpoint.signature,
            checkpoint.key_id,
        )
        return checkpoint
