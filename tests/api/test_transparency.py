"""The transparency queries and the public key route, checked by an independent verifier."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.merkle.note import parse_public_key
from spotcheck.transparency.log import latest_checkpoint
from tests.api.conftest import GQL, People
from tests.merkle import rfc6962 as ref

CHECKPOINT = """{ checkpoint { treeSize rootHash signedAt signature keyId body } }"""
INCLUSION = """query ($p: SafeInt!, $n: SafeInt!) {
  inclusionProof(position: $p, treeSize: $n) { leafIndex treeSize leafHash auditPath } }"""
CONSISTENCY = """query ($a: SafeInt!, $b: SafeInt!) {
  consistencyProof(fromSize: $a, toSize: $b) { fromSize toSize path } }"""


async def signed(app: Starlette) -> list[bytes]:
    """Wait for every event to be sealed, sign a checkpoint now; the ledger's leaves."""
    pool = app.state.pool
    head = (await ledger_status(pool)).head_position
    await app.state.sealer.wait_sealed(head + (await ledger_status(pool)).unsealed_count)
    async with pool.acquire() as conn:
        await app.state.checkpointer.checkpoint_now(conn)
    return [ref.leaf(e.content_hash) for e in await read_ledger(pool, 0, 10_000)]


async def test_checkpoint_verifies_with_the_served_key(
    app: Starlette, client: httpx.AsyncClient, gql: GQL, people: People
) -> None:
    leaves = await signed(app)
    r = await client.get("/.well-known/spotcheck-log-key")
    assert r.status_code == 200 and r.text.startswith("-----BEGIN PUBLIC KEY-----")
    key = parse_public_key(r.text)
    cp = (await gql(CHECKPOINT))["data"]["checkpoint"]  # public: no token
    assert cp["treeSize"] == len(leaves)
    assert cp["rootHash"] == ref.mth(leaves).hex()
    assert r.headers["x-log-key-id"] == cp["keyId"]
    body = (
        f"spotcheck/ledger\n{cp['treeSize']}\n"
        f"{base64.b64encode(bytes.fromhex(cp['rootHash'])).decode()}\ntime {cp['signedAt']}\n"
    )
    assert cp["body"] == body
    key.verify(base64.b64decode(cp["signature"]), body.encode())  # raises if it does not verify
    again = await gql(
        "query ($n: SafeInt) { checkpoint(treeSize: $n) { rootHash } }", n=cp["treeSize"]
    )
    assert again["data"]["checkpoint"]["rootHash"] == cp["rootHash"]
    none = await gql("{ checkpoint(treeSize: 999999) { rootHash } }")
    assert none["data"]["checkpoint"] is None


async def test_proofs_verify_independently(app: Starlette, gql: GQL, people: People) -> None:
    leaves = await signed(app)
    n = len(leaves)
    root = ref.mth(leaves)
    for position in range(1, n + 1):
        p = (await gql(INCLUSION, p=position, n=n))["data"]["inclusionProof"]
        path = [bytes.fromhex(h) for h in p["auditPath"]]
        assert p["leafIndex"] == position - 1 and p["leafHash"] == leaves[position - 1].hex()
        assert ref.verify_inclusion(position - 1, n, leaves[position - 1], path, root)
        assert not ref.verify_inclusion(
            position - 1, n, leaves[position - 1], path, ref.mth(leaves[:-1])
        )
    for old in range(1, n + 1):
        c = (await gql(CONSISTENCY, a=old, b=n))["data"]["consistencyProof"]
        path = [bytes.fromhex(h) for h in c["path"]]
        assert ref.verify_consistency(old, n, ref.mth(leaves[:old]), root, path)


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (INCLUSION, {"p": 0, "n": 1}, "position"),
        (INCLUSION, {"p": 3, "n": 2}, "position"),
        (INCLUSION, {"p": 1, "n": 0}, "treeSize"),
        (INCLUSION, {"p": 1, "n": 10_000}, "treeSize"),
        (CONSISTENCY, {"a": 3, "b": 2}, "fromSize"),
        (CONSISTENCY, {"a": 0, "b": 2}, "fromSize"),
        (CONSISTENCY, {"a": 1, "b": 10_000}, "toSize"),
    ],
)
async def test_bad_arguments_are_errors_naming_the_field(
    app: Starlette, gql: GQL, people: People, query: str, variables: dict[str, int], field: str
) -> None:
    await signed(app)
    r = await gql(query, **variables)
    assert r["data"] is None
    (error,) = r["errors"]
    assert error["extensions"] == {"code": "OUT_OF_RANGE", "field": field}


async def test_the_server_signs_new_events_by_itself(app: Starlette, people: People) -> None:
    pool = app.state.pool
    async with asyncio.timeout(20):
        while True:
            status = await ledger_status(pool)
            latest = await latest_checkpoint(pool)
            if status.unsealed_count == 0 and latest and latest.tree_size == status.head_position:
                break
            await asyncio.sleep(0.05)
    assert latest.verify(app.state.checkpointer.key.public_key())
