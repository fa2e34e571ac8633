"""Recompute every content hash and the whole chain; check every event is sealed exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import orjson

from spotcheck.eventstore.canonical import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    content_hash,
    envelope,
)

BATCH = 10_000

_WALK = """
SELECT l.position, l.seq AS l_seq, l.content_hash AS l_content, l.chain_hash,
       e.seq AS e_seq, e.event_id, e.stream_id, e.stream_version, e.event_type,
       e.schema_version, e.data::text AS data, e.metadata::text AS metadata, e.recorded_at
  FROM ledger l LEFT JOIN events e ON e.seq = l.seq
 WHERE l.position > $1
 ORDER BY l.position
 LIMIT $2
"""


def row_content_hash(r: asyncpg.Record) -> bytes:
    """The content hash of an ``events`` row selected with ``data::text`` and ``metadata::text``.

    The JSON is parsed here, not by the connection's codec, so the result never depends on how
    a connection was set up.
    """
    return content_hash(
        canonical_json(
            envelope(
                event_id=str(r["event_id"]),
                stream_id=r["stream_id"],
                stream_version=r["stream_version"],
                event_type=r["event_type"],
                schema_version=r["schema_version"],
                data=orjson.loads(r["data"]),
                metadata=orjson.loads(r["metadata"]),
                recorded_at=r["recorded_at"],
            )
        )
    )


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    sealed: int
    unsealed: int
    head_position: int
    head_hash: bytes
    first_bad_position: int | None = None
    problem: str | None = None

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger OK: {self.sealed} events sealed, chain head {self.head_hash.hex()} at "
                f"position {self.head_position}, {self.unsealed} committed but not yet sealed"
            )
        return (
            f"ledger BROKEN at position {self.first_bad_position}: {self.problem} "
            f"({self.sealed} positions checked before it)"
        )


async def verify_ledger(
    conn: asyncpg.Connection, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Walk the ledger from position 1; stop at the first fault."""
    prev = GENESIS_HASH
    position = 0
    last_seq = 0

    def bad(pos: int, problem: str) -> VerifyReport:
        return VerifyReport(False, position, 0, position, prev, pos, problem)

    while True:
        rows = await conn.fetch(_WALK, position, BATCH)
        if not rows:
            break
        for r in rows:
            pos = r["position"]
            if pos != position + 1:
                return bad(position + 1, f"position {position + 1} is missing (next is {pos})")
            if r["e_seq"] is None:
                return bad(pos, f"the sealed event (seq {r['l_seq']}) is missing from events")
            if r["l_seq"] <= last_seq:
                return bad(pos, "events are out of insert order (sealed twice or swapped)")
            expected = row_content_hash(r)
            if bytes(r["l_content"]) != expected:
                return bad(pos, "the event's content does not match its sealed content hash")
            prev = chain_hash(prev, expected)
            if bytes(r["chain_hash"]) != prev:
                return bad(pos, "the chain hash does not follow from the previous one")
            position = pos
            last_seq = r["l_seq"]
        if progress is not None:
            progress(position)
    skipped = await conn.fetchrow(
        """SELECT e.seq, (SELECT min(position) FROM ledger WHERE seq > e.seq) AS at
             FROM events e LEFT JOIN ledger l ON l.seq = e.seq
            WHERE l.seq IS NULL AND e.seq < $1 ORDER BY e.seq LIMIT 1""",
        last_seq,
    )
    if skipped is not None:
        return bad(skipped["at"], f"event seq {skipped['seq']} was committed but never sealed")
    unsealed = await conn.fetchval("SELECT count(*) FROM events WHERE seq > $1", last_seq)
    return VerifyReport(True, position, unsealed, position, prev)
