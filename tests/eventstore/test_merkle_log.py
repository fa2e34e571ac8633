"""The Merkle log in PostgreSQL: stored subtrees, checkpoints and proofs for every size."""

from __future__ import annotations

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent
from spotcheck.eventstore.ledger import read_ledger
from spotcheck.eventstore.sealer import Sealer
from spotcheck.merkle.tree import Frontier, decompose
from spotcheck.transparency import log
from tests.merkle import rfc6962 as ref

KEY = Ed25519PrivateKey.from_private_bytes(b"k" * 32)
N = 70


async def sealed_leaves(store: EventStore, sealer: Sealer, n: int) -> list[bytes]:
    for i in range(n):
        await store.append(
            f"thing-{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, Metadata())]
        )
    await sealer.wait_sealed(n)
    events = await read_ledger(store.pool, 0, n)
    return [ref.leaf(e.content_hash) for e in events]


async def test_checkpoints_store_the_tree_and_prove_every_size(
    store: EventStore, sealer: Sealer
) -> None:
    leaves = await sealed_leaves(store, sealer, N)
    async with store.pool.acquire() as conn:
        # Checkpoints at 5, 13 and 40 leaves (batches), the rest of the ledger unsigned.
        made = [await log.checkpoint_once(conn, KEY, batch) for batch in (5, 8, 27)]
        assert [c.tree_size for c in made if c is not None] == [5, 13, 40]
        for c in made:
            assert c is not None and c.verify(KEY.public_key())
            assert c.root_hash == ref.mth(leaves[: c.tree_size])
        stored = await conn.fetchval("SELECT count(*) FROM merkle_nodes")
        assert stored == sum(40 >> lv for lv in range(1, 7))  # every complete subtree, no leaf
        assert (await log.latest_checkpoint(conn)) == made[-1]
        assert (await log.checkpoint_at(conn, 13)) == made[1]

        # Sizes inside the stored tree and past it (hashed from the ledger on the fly).
        for size in range(1, N + 1):
            assert await log.root_at(conn, size) == ref.mth(leaves[:size])
            for position in range(1, size + 1):
                p = await log.inclusion_proof(conn, position, size)
                assert p.leaf_hash == leaves[position - 1]
                assert ref.verify_inclusion(
                    p.leaf_index, size, leaves[position - 1], p.audit_path, ref.mth(leaves[:size])
                )
        for new in range(1, N + 1, 3):
            for old in range(1, new + 1):
                path = await log.consistency_proof(conn, old, new)
                assert ref.verify_consistency(
                    old, new, ref.mth(leaves[:old]), ref.mth(leaves[:new]), path
                )

        # The rest of the ledger in one checkpoint; nothing more to sign after it.
        last = await log.checkpoint_once(conn, KEY)
        assert last is not None and last.tree_size == N
        assert await log.checkpoint_once(conn, KEY) is None
        frontier = Frontier.of(N, await log.stored_nodes(conn, decompose(0, N)))
        assert frontier.root() == ref.mth(leaves)


@pytest.mark.parametrize(
    ("position", "size", "field"),
    [(1, 0, "treeSize"), (0, 3, "position"), (4, 3, "position"), (1, N + 1, "treeSize")],
)
async def test_bad_proof_arguments_name_the_field(
    store: EventStore, sealer: Sealer, position: int, size: int, field: str
) -> None:
    await sealed_leaves(store, sealer, N)
    with pytest.raises(log.LogError) as e:
        await log.inclusion_proof(store.pool, position, size)
    assert e.value.field == field and e.value.out_of_range


async def test_too_far_past_the_checkpoint(
    store: EventStore, sealer: Sealer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sealed_leaves(store, sealer, 10)
    monkeypatch.setattr(log, "MAX_PAST_CHECKPOINT", 4)
    with pytest.raises(log.LogError, match="more than 4 leaves past the latest checkpoint"):
        await log.inclusion_proof(store.pool, 1, 10)
    async with store.pool.acquire() as conn:
        await log.checkpoint_once(conn, KEY, 8)
    assert (await log.inclusion_proof(store.pool, 1, 10)).tree_size == 10


async def test_the_app_role_cannot_rewrite_the_tree(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    await sealed_leaves(store, sealer, 4)
    async with store.pool.acquire() as conn:
        await log.checkpoint_once(conn, KEY)
        for sql in (
            "UPDATE merkle_nodes SET hash = hash",
            "DELETE FROM log_checkpoints",
            "UPDATE log_checkpoints SET tree_size = 1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    # the owner is stopped by the triggers
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await owner_conn.execute("DELETE FROM log_checkpoints")
