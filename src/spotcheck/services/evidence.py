"""Evidence files (证据材料): recording an upload, who may read a file, and collecting uploads
left unattached.

Serialisation.  Every write about one file holds a transaction-scoped advisory lock on its hash
(``_lock``): an upload (exclusive), a collection (exclusive, and again while it deletes the
bytes) and a result that attaches it (shared, in ``attachable``, held until the result's
transaction commits).  So a collection either sees the attaching result committed (and keeps
the file) or commits first (and the result is refused with ``EVIDENCE_COLLECTED``); an upload
of the same bytes either comes before the collection (which then finds it recent and keeps it)
or after it (and places the bytes anew after they were deleted).  Uploads by one account also
take a lock on the account, so two uploads at once cannot both pass its quota.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from spotcheck.domain import evidence as e
from spotcheck.domain import inspection as i
from spotcheck.domain import rules
from spotcheck.domain.actor import SYSTEM, Actor
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.evidence.storage import EvidenceStorage, Staged, StoredFile
from spotcheck.services.runner import Caller, CommandRunner, Outcome

TABLE = "evidence_files"
DEFAULT_TTL = timedelta(days=7)
DEFAULT_QUOTA_BYTES = 500 * 1024 * 1024
COLLECT_BATCH = 500

log = logging.getLogger(__name__)


# Settings ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


TTL_SETTING = e.TTL_SETTING


def ttl_from_env(environ: Mapping[str, str] | None = None) -> timedelta:
    """``SPOTCHECK_EVIDENCE_UNATTACHED_TTL``: seconds, or a number with s, m, h or d (``7d``)."""
    raw = (os.environ if environ is None else environ).get(e.TTL_SETTING)
    if not raw:
        return DEFAULT_TTL
    m = _DURATION.match(raw)
    seconds = int(m.group(1)) * _UNIT[m.group(2)] if m else 0
    if seconds < 1:
        raise ValueError(
            f"{e.TTL_SETTING} must be a positive duration such as 604800, 36h or 7d, not {raw!r}"
        )
    return timedelta(seconds=seconds)


def quota_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``SPOTCHECK_EVIDENCE_QUOTA_BYTES``: a positive number of bytes."""
    raw = (os.environ if environ is None else environ).get(e.QUOTA_SETTING)
    if not raw:
        return DEFAULT_QUOTA_BYTES
    value = int(raw) if raw.strip().isdigit() else 0
    if value < 1:
        raise ValueError(f"{e.QUOTA_SETTING} must be a positive number of bytes, not {raw!r}")
    return value


# Locks ------------------------------------------------------------------------------------


async def _lock(conn: asyncpg.Connection, sha256: str, *, shared: bool = False) -> None:
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await conn.execute(f"SELECT {fn}(hashtextextended('evidence:' || $1, 0))", sha256)


async def _lock_account(conn: asyncpg.Connection, user_id: str) -> None:
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('evidence-quota:' || $1, 0))", user_id
    )


_UNATTACHED_BYTES = """
SELECT coalesce(sum(f.size), 0)::bigint FROM evidence_files f
 WHERE f.uploaded_by = $1 AND NOT f.collected
   AND NOT EXISTS (SELECT 1 FROM evidence_attachments a WHERE a.sha256 = f.id)
"""


async def unattached_bytes(conn: asyncpg.Connection | asyncpg.Pool, user_id: str) -> int:
    """The bytes of ``user_id``'s uploads not attached to a result and not collected."""
    return int(await conn.fetchval(_UNATTACHED_BYTES, user_id))


# Upload -----------------------------------------------------------------------------------


async def record(
    runner: CommandRunner,
    caller: Caller,
    staged: Staged | StoredFile,
    content_type: str,
    *,
    quota_bytes: int | None = None,
) -> Outcome[e.EvidenceFile]:
    """One transaction: ``EvidenceUploaded`` on stream ``evidence-{sha256}`` and its state row
    (nothing when the same bytes were recorded before for the uploader's department).

    ``staged`` is the validated upload in the temporary folder: it is placed under its hash
    inside the transaction, after every check passed (quota, role), so a refused upload stores
    nothing.  Should the commit then fail, the placed bytes are harmless: no row names them,
    and a later upload of the same bytes places them again.  (A ``StoredFile`` is already in
    place.)"""
    command = e.RecordEvidence(sha256=staged.sha256, size=staged.size, content_type=content_type)
    actor = caller.actor

    async def decide(conn: asyncpg.Connection, state: e.EvidenceFile | None) -> list[Event]:
        e.check_uploader(actor)
        assert actor.user_id is not None
        quota = None
        if quota_bytes is not None:
            await _lock_account(conn, actor.user_id)
            quota = e.Quota(
                unattached_bytes=await unattached_bytes(conn, actor.user_id), limit=quota_bytes
            )
        await _lock(conn, staged.sha256)
        # The state as it is now, under the lock (a collection may have committed since the
        # runner read the stream: the append then fails on the version and the runner retries).
        fresh = await evidence_file(conn, staged.sha256)
        events = e.decide(fresh, command, actor, quota)
        if isinstance(staged, Staged):
            await staged.place()
        return events

    return await runner.run(caller, e.SPEC, staged.sha256, command, decide)


async def evidence_file(
    conn: asyncpg.Connection | asyncpg.Pool, sha256: str
) -> e.EvidenceFile | None:
    data = await conn.fetchval(f"SELECT state FROM {TABLE} WHERE id = $1", sha256)
    return None if data is None else e.SPEC.state_from_data(data)


# Reading ----------------------------------------------------------------------------------

_READ_BY_INSPECTION = """
SELECT EXISTS (
    SELECT 1 FROM evidence_attachments a JOIN inspections i ON i.id = a.inspection_id
     WHERE a.sha256 = $1 AND $2 = ANY(i.departments))
"""


async def may_read(
    conn: asyncpg.Connection | asyncpg.Pool, actor: Actor, found: e.EvidenceFile
) -> bool:
    """Auditors and the system administrator read every file; a department's staff read the
    files its members uploaded and those referenced by results of inspections it takes part in
    (lead or joint)."""
    if actor.reads_everything:
        return True
    if not actor.is_staff or actor.department is None:
        return False
    if actor.department in found.departments:
        return True
    return bool(await conn.fetchval(_READ_BY_INSPECTION, found.sha256, actor.department))


# Attaching (read by the inspections service on the result's transaction) -------------------


@dataclass(frozen=True)
class Attachable:
    known: frozenset[str] = frozenset()
    """Uploaded and not collected."""
    collected: frozenset[str] = frozenset()
    unreadable: frozenset[str] = frozenset()
    """Known, but the actor may not read them, so may not attach them either."""


async def attachable(conn: asyncpg.Connection, digests: Sequence[str], actor: Actor) -> Attachable:
    """The state of each of ``digests`` for attaching to a result by ``actor``.  Takes a shared
    lock on each (sorted, so two results never wait for each other in a circle), held until the
    transaction ends: a collection of one of them waits for the result and then sees it."""
    wanted = sorted({d for d in digests if e.SHA256.match(d)})
    for digest in wanted:
        await _lock(conn, digest, shared=True)
    rows = await conn.fetch(f"SELECT state FROM {TABLE} WHERE id = ANY($1::text[])", wanted)
    known: set[str] = set()
    collected: set[str] = set()
    unreadable: set[str] = set()
    for r in rows:
        state = e.SPEC.state_from_data(r["state"])
        if state.collected:
            collected.add(state.sha256)
            continue
        known.add(state.sha256)
        if not await may_read(conn, actor, state):
            unreadable.add(state.sha256)
    return Attachable(frozenset(known), frozenset(collected), frozenset(unreadable))


class EvidenceAttachmentsProjection:
    """``evidence_attachments``: one row per (file, inspection) for every evidence file that a
    submitted or amended result references; never removed (what an event referenced stays
    referenced)."""

    name = "evidence_attachments"
    tables: tuple[str, ...] = ("evidence_attachments",)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        rows: list[tuple[str, str, object]] = []
        for ev in events:
            if not i.SPEC.owns(ev.stream_id):
                continue
            if ev.event_type == i.InspectionResultsSubmitted.__name__:
                results = list(i.SPEC.decode(ev.event_type, ev.schema_version, ev.data).results)  # type: ignore[attr-defined]
            elif ev.event_type == i.InspectionResultAmended.__name__:
                results = [i.SPEC.decode(ev.event_type, ev.schema_version, ev.data).after]  # type: ignore[attr-defined]
            else:
                continue
            key = i.SPEC.key_of(ev.stream_id)
            rows.extend((x.sha256, key, ev.recorded_at) for r in results for x in r.evidence)
        if rows:
            await conn.executemany(
                "INSERT INTO evidence_attachments (sha256, inspection_id, attached_at)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                rows,
            )


# Collection -------------------------------------------------------------------------------


@dataclass
class CollectionReport:
    collected: list[str] = field(default_factory=list)
    bytes: int = 0
    deleted: int = 0
    """Files whose bytes were deleted (this run's and earlier collections' left on disk)."""

    def summary(self) -> str:
        return (
            f"collected {len(self.collected)} unattached evidence files ({self.bytes} bytes); "
            f"deleted {self.deleted} stored files"
        )


_CANDIDATES = """
SELECT f.id FROM evidence_files f
 WHERE NOT f.collected AND f.updated_at <= now() - $1::interval
   AND NOT EXISTS (SELECT 1 FROM evidence_attachments a WHERE a.sha256 = f.id)
 ORDER BY f.updated_at, f.id LIMIT $2
"""

_FRESH = """
SELECT f.updated_at, now() AS now,
       EXISTS (SELECT 1 FROM evidence_attachments a WHERE a.sha256 = f.id) AS attached
  FROM evidence_files f WHERE f.id = $1
"""

COLLECTOR = Caller(actor=SYSTEM, request_id="evidence-collection")


async def collect_one(
    runner: CommandRunner, sha256: str, ttl: timedelta
) -> Outcome[e.EvidenceFile] | None:
    """Collect one file if it is still unattached past ``ttl`` (None when it is kept), in one
    transaction that re-checks everything under the file's lock.  Its bytes are deleted
    afterwards (``delete_collected``)."""
    command = e.CollectEvidence(sha256=sha256)

    async def decide(conn: asyncpg.Connection, state: e.EvidenceFile | None) -> list[Event]:
        await _lock(conn, sha256)
        fresh = await evidence_file(conn, sha256)
        row = await conn.fetchrow(_FRESH, sha256)
        if fresh is None or row is None:
            raise rules.not_found("evidence file", sha256, "sha256")
        refs = e.Unattached(
            now=row["now"], uploaded_at=row["updated_at"], attached=row["attached"], ttl=ttl
        )
        return e.decide_collect(fresh, command, COLLECTOR.actor, refs)

    try:
        return await runner.run(COLLECTOR, e.SPEC, sha256, command, decide)
    except DomainError as exc:
        log.info("evidence %s kept: %s", sha256, exc)
        return None


async def delete_collected(runner: CommandRunner, storage: EvidenceStorage, sha256: str) -> bool:
    """Delete the bytes of a collected file, under its lock, if it is still collected (an
    upload of the same bytes after the collection keeps them)."""
    async with runner.store.pool.acquire() as conn, conn.transaction():
        await _lock(conn, sha256)
        state = await evidence_file(conn, sha256)
        if state is None or not state.collected:
            return False
        return await storage.delete(sha256)


async def collect_unattached(
    runner: CommandRunner,
    storage: EvidenceStorage,
    ttl: timedelta,
    *,
    batch: int = COLLECT_BATCH,
) -> CollectionReport:
    """Collect every upload left unattached longer than ``ttl`` by the database clock, then
    delete the bytes of collected files still on disk (a collection interrupted between its
    commit and the deletion)."""
    report = CollectionReport()
    pool = runner.store.pool
    seen: set[str] = set()
    while True:
        ids = [r["id"] for r in await pool.fetch(_CANDIDATES, ttl, batch) if r["id"] not in seen]
        if not ids:
            break
        for sha256 in ids:
            seen.add(sha256)
            outcome = await collect_one(runner, sha256, ttl)
            if outcome is not None and outcome.events:
                report.collected.append(sha256)
                report.bytes += outcome.state.size if outcome.state is not None else 0
                if await delete_collected(runner, storage, sha256):
                    report.deleted += 1
    for r in await pool.fetch(f"SELECT id FROM {TABLE} WHERE collected ORDER BY id"):
        if await storage.exists(r["id"]) and await delete_collected(runner, storage, r["id"]):
            report.deleted += 1
    return report


COLLECT_INTERVAL = 3600.0
"""Seconds between the server's collections of unattached evidence."""
FIRST_COLLECTION_DELAY = 60.0
"""Seconds after start before the server's first collection."""


async def collect_periodically(
    runner: CommandRunner,
    storage: EvidenceStorage,
    ttl: timedelta,
    *,
    interval: float = COLLECT_INTERVAL,
    first_delay: float = FIRST_COLLECTION_DELAY,
) -> None:
    """Run ``collect_unattached`` every ``interval`` seconds, for ever (a server task).  A
    failure is logged and retried at the next turn.  Several servers may run it at once: the
    per-file locks make them take turns, and a file already collected is skipped."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            report = await collect_unattached(runner, storage, ttl)
            if report.collected or report.deleted:
                log.info("evidence collection: %s", report.summary())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("evidence collection failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
