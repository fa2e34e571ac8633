"""演练 The tamper drill: a database superuser alters one event, deletes one ledger row, swaps
two events' data, or rewrites the chain after an altered event.  ``spotcheck ledger verify``,
``spotcheck audit verify`` of a fresh export, and an inclusion proof against the checkpoint
signed before the attack each catch the first three; the rewrite passes ``ledger verify``
(the chain was recomputed) and only the signed Merkle root catches it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from spotcheck.cli.main import main
from spotcheck.eventstore.verify import row_content_hash
from tests.cli.audit_world import LEDGER_ROW, World, as_attacker, rewrite_chain, world
from tests.merkle import rfc6962 as ref

__all__ = ["world"]

INCLUSION = """query ($p: SafeInt!, $n: SafeInt!) {
  inclusionProof(position: $p, treeSize: $n) { leafIndex leafHash auditPath } }"""


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = await asyncio.to_thread(main, list(args))
    return code, capsys.readouterr().out


async def positions_of(w: World, event_type: str) -> list[tuple[int, int]]:
    rows = await w.app.state.pool.fetch(
        "SELECT l.position, e.seq FROM ledger l JOIN events e ON e.seq = l.seq"
        " WHERE e.event_type = $1 ORDER BY l.position",
        event_type,
    )
    return [(r["position"], r["seq"]) for r in rows]


async def leaf_now(w: World, position: int) -> bytes:
    """The leaf of the event at ``position`` as the database now holds it (what an auditor
    reading the event recomputes)."""
    row = await w.app.state.pool.fetchrow(LEDGER_ROW, position)
    assert row is not None
    return ref.leaf(row_content_hash(row))


async def proof(w: World, position: int) -> dict[str, Any]:
    r = await w.client.post(
        "/graphql",
        json={"query": INCLUSION, "variables": {"p": position, "n": w.checkpoint.tree_size}},
    )
    body: dict[str, Any] = r.json()
    return body


async def proof_fails(w: World, position: int) -> None:
    """The event now at ``position`` is not the leaf the signed tree holds there."""
    body = await proof(w, position)
    p = body["data"]["inclusionProof"]
    path = [bytes.fromhex(h) for h in p["auditPath"]]
    n, root = w.checkpoint.tree_size, w.checkpoint.root_hash
    assert not ref.verify_inclusion(position - 1, n, await leaf_now(w, position), path, root)


async def caught_by_export(w: World, capsys: pytest.CaptureFixture[str], expected: str) -> None:
    out = w.tmp / "fresh.jsonl"
    assert (await cli(capsys, "audit", "export", "--out", str(out)))[0] == 0
    code, text = await cli(capsys, "audit", "verify", str(out), "--public-key", str(w.key_file))
    assert code == 1 and expected in text, text


async def test_before_the_attack_everything_verifies(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = await cli(capsys, "ledger", "verify")
    assert code == 0, text
    out = world.tmp / "before.jsonl"
    assert (await cli(capsys, "audit", "export", "--out", str(out)))[0] == 0
    code, text = await cli(capsys, "audit", "verify", str(out), "--public-key", str(world.key_file))
    assert code == 0, text
    n, root = world.checkpoint.tree_size, world.checkpoint.root_hash
    for position in range(1, n + 1):
        p = (await proof(world, position))["data"]["inclusionProof"]
        path = [bytes.fromhex(h) for h in p["auditPath"]]
        assert ref.verify_inclusion(position - 1, n, await leaf_now(world, position), path, root)


async def test_alter_one_event(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    (p, seq), *_ = await positions_of(world, "AccountCreated")
    await as_attacker(
        world.db,
        "UPDATE events SET data = jsonb_set(data, '{display_name}', '\"篡改\"')"
        f" WHERE seq = {seq}",
    )
    code, text = await cli(capsys, "ledger", "verify")
    assert code == 1 and f"ledger BROKEN at position {p}: the event's content" in text, text
    await caught_by_export(
        world, capsys, f"position {p}: the event's content does not match its content hash"
    )
    await proof_fails(world, p)


async def test_delete_one_ledger_row(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    p = world.checkpoint.tree_size // 2
    await as_attacker(world.db, f"DELETE FROM ledger WHERE position = {p}")
    code, text = await cli(capsys, "ledger", "verify")
    assert code == 1 and f"ledger BROKEN at position {p}: position {p} is missing" in text, text
    await caught_by_export(world, capsys, f"position {p}: missing (the next entry is position")
    # No proof can be given for the position (nor for its sibling): the tree's leaf is gone.
    for position in (p, p + 1 if p % 2 else p - 1):
        body = await proof(world, position)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert f"ledger position {p} is missing" in error["message"]


async def test_swap_two_events(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    (p, a), (q, b), *_ = await positions_of(world, "AccountCreated")
    await as_attacker(
        world.db,
        f"""UPDATE events e SET data = o.data FROM events o
             WHERE (e.seq, o.seq) IN (({a}, {b}), ({b}, {a}))""",
    )
    code, text = await cli(capsys, "ledger", "verify")
    assert code == 1 and f"ledger BROKEN at position {p}: the event's content" in text, text
    await caught_by_export(
        world, capsys, f"position {p}: the event's content does not match its content hash"
    )
    await proof_fails(world, p)
    await proof_fails(world, q)


async def test_rewriting_the_chain_is_caught_by_the_signed_root(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    (p, seq), *_ = await positions_of(world, "AccountCreated")
    n = world.checkpoint.tree_size
    await rewrite_chain(world.db, seq, p, n)
    code, text = await cli(capsys, "ledger", "verify")
    assert code == 0, text  # the recomputed chain is self-consistent: only the signature tells
    await caught_by_export(
        world,
        capsys,
        f"position {n}: the Merkle root of the first {n} entries is not the signed checkpoint's",
    )
    # The server now serves the rewritten leaf, which the signed root does not contain.
    p_proof = (await proof(world, p))["data"]["inclusionProof"]
    assert p_proof["leafHash"] == (await leaf_now(world, p)).hex()
    await proof_fails(world, p)
