"""``spotcheck audit export``: the ledger, its events, draw blobs and a signed checkpoint as
JSON Lines for verifying with no database (docs/audit-format.md).

Entries are read with ``data::text`` and ``metadata::text`` and parsed here, exactly as the
sealer hashes them, so each written envelope is the one whose content hash the ledger holds
(or, if someone altered the row, the altered one: the verifier then names it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import asyncpg
import orjson

from spotcheck.eventstore.canonical import GENESIS_HASH, envelope
from spotcheck.merkle.note import Checkpoint
from spotcheck.merkle.tree import compact_range, decompose
from spotcheck.transparency import audit_format as fmt
from spotcheck.transparency.log import LogError, latest_checkpoint, ledger_head, stored_nodes

BATCH = 5000

_ENTRIES = """
SELECT l.position, l.content_hash, l.chain_hash, e.event_id, e.stream_id, e.stream_version,
       e.event_type, e.schema_version, e.data::text AS data, e.metadata::text AS metadata,
       e.recorded_at
  FROM ledger l JOIN events e ON e.seq = l.seq
 WHERE l.position > $1 AND l.position <= $2
 ORDER BY l.position
 LIMIT $3
"""


class ExportError(Exception):
    """The range cannot be exported (the message says why)."""


@dataclass(frozen=True)
class ExportReport:
    first: int
    last: int
    entries: int
    blobs: int
    checkpoint: Checkpoint

    def summary(self) -> str:
        return (
            f"exported positions {self.first}..{self.last}: {self.entries} entries, "
            f"{self.blobs} draw blobs, checkpoint at tree size {self.checkpoint.tree_size} "
            f"(key {self.checkpoint.key_id})"
        )


async def export(
    conn: asyncpg.Connection, out: BinaryIO, first: int = 1, last: int | None = None
) -> ExportReport:
    """Write positions ``first``..``last`` (default: up to the latest checkpoint) to ``out``.

    Runs in one REPEATABLE READ, READ ONLY transaction: one consistent snapshot.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        checkpoint = await latest_checkpoint(conn)
        if checkpoint is None:
            raise ExportError(
                "no signed checkpoint yet: the server signs one within seconds of new events"
            )
        head = await ledger_head(conn)
        last = checkpoint.tree_size if last is None else last
        if first < 1 or last < first or last > head:
            raise ExportError(f"--from and --to must satisfy 1 <= from <= to <= {head}")
        if checkpoint.tree_size < first - 1:
            raise ExportError(
                f"the latest checkpoint (tree size {checkpoint.tree_size}) ends before --from"
            )
        previous = GENESIS_HASH
        if first > 1:
            row = await conn.fetchval(
                "SELECT chain_hash FROM ledger WHERE position = $1", first - 1
            )
            if row is None:
                raise ExportError(f"ledger position {first - 1} is missing")
            previous = bytes(row)
        prefix_ids = decompose(0, first - 1)
        suffix_ids = compact_range(last, checkpoint.tree_size)
        try:
            prefix = await stored_nodes(conn, prefix_ids)
            suffix = await stored_nodes(conn, suffix_ids)
        except LogError as e:
            raise ExportError(e.message) from e
        out.write(fmt.line(fmt.header(first, last, previous, [(n, prefix[n]) for n in prefix_ids])))
        out.write(fmt.line(fmt.checkpoint_json(checkpoint, [(n, suffix[n]) for n in suffix_ids])))
        entries, digests = await _entries(conn, out, first, last)
        blobs = await _blobs(conn, out, digests)
        out.write(fmt.line(fmt.end(entries, blobs)))
    return ExportReport(first, last, entries, blobs, checkpoint)


async def _entries(
    conn: asyncpg.Connection, out: BinaryIO, first: int, last: int
) -> tuple[int, list[str]]:
    after, count = first - 1, 0
    digests: dict[str, None] = {}
    while after < last:
        rows = await conn.fetch(_ENTRIES, after, last, BATCH)
        if not rows:
            break
        for r in rows:
            data = orjson.loads(r["data"])
            env = envelope(
                event_id=str(r["event_id"]),
                stream_id=r["stream_id"],
                stream_version=r["stream_version"],
                event_type=r["event_type"],
                schema_version=r["schema_version"],
                data=data,
                metadata=orjson.loads(r["metadata"]),
                recorded_at=r["recorded_at"],
            )
            out.write(
                fmt.line(
                    fmt.entry(r["position"], bytes(r["content_hash"]), bytes(r["chain_hash"]), env)
                )
            )
            try:
                event = fmt.draw_event(r["stream_id"], r["event_type"], r["schema_version"], data)
            except ValueError:
                continue  # an altered draw event: the verifier names its content hash first
            digests.update(dict.fromkeys(fmt.named_blobs(event)))
            count += 1
        after = rows[-1]["position"]
    return count, list(digests)


async def _blobs(conn: asyncpg.Connection, out: BinaryIO, digests: list[str]) -> int:
    written = 0
    for i in range(0, len(digests), 100):
        rows = await conn.fetch(
            "SELECT digest, content FROM draw_blobs WHERE digest = ANY($1::text[]) ORDER BY digest",
            digests[i : i + 100],
        )
        for r in rows:
            out.write(fmt.line(fmt.blob(r["digest"], bytes(r["content"]))))
            written += 1
    return written
