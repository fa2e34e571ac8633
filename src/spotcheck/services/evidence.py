"""Evidence files (证据材料): recording an upload as an event after its bytes are stored."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import evidence as e
from spotcheck.domain.aggregate import Event
from spotcheck.evidence.storage import StoredFile
from spotcheck.services.runner import Caller, CommandRunner, Outcome

TABLE = "evidence_files"


async def record(
    runner: CommandRunner, caller: Caller, stored: StoredFile, content_type: str
) -> Outcome[e.EvidenceFile]:
    """One transaction: ``EvidenceUploaded`` on stream ``evidence-{sha256}`` and its state row;
    nothing when the same bytes were recorded before.

    The bytes are stored first (content-addressed, so a file whose event failed to commit is
    harmless: it is unknown to ``known_evidence`` until an upload records it)."""
    command = e.RecordEvidence(sha256=stored.sha256, size=stored.size, content_type=content_type)

    async def decide(conn: asyncpg.Connection, state: e.EvidenceFile | None) -> list[Event]:
        return e.decide(state, command, caller.actor)

    return await runner.run(caller, e.SPEC, stored.sha256, command, decide)


async def evidence_file(
    conn: asyncpg.Connection | asyncpg.Pool, sha256: str
) -> e.EvidenceFile | None:
    data = await conn.fetchval(f"SELECT state FROM {TABLE} WHERE id = $1", sha256)
    return None if data is None else e.SPEC.state_from_data(data)
