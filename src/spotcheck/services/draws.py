# Over 500 lines: the draw's commands share one transaction's snapshot and blobs.
"""抽取 draws: commit, execute, void, replace an inspector, verify.

Each command runs through the :class:`CommandRunner` in one PostgreSQL transaction: what the
draw stores besides its events (the content-addressed blobs, the server seed) is written in the
same transaction as the events, so a draw commits whole or not at all.

The population snapshot (commitDraw).  The runner's transaction is READ COMMITTED and has
already read the draw's stream when the decision runs, so its isolation can no longer change.
The registry is therefore read in a separate REPEATABLE READ, READ ONLY transaction on its own
connection, before the command's transaction starts (the decision then checks that the task is
unchanged, else CONCURRENT_MODIFICATION): the ledger position, the subjects, the inspections that
exclude subjects, the inspectors and their workloads all come from that one snapshot.  The
commit's ``ledger_position`` is the sealed head in the snapshot; ``unsealed_events`` (in
DrawCommitted) counts the events committed but not yet sealed in it.  So the population is
exactly the registry folded from the ledger up to ``ledger_position`` plus those
``unsealed_events`` events (the sealer seals them next, at the following positions); when it
is 0, exactly the ledger up to ``ledger_position``.

Content-addressed storage (``draw_blobs``): digest = SHA-256(content).  A stratum's population
is its keys each followed by LF (so the digest is the protocol's population digest); the
candidates and the transcript are canonical JSON (the protocol's digests), the outcome (our own
read model of an executed draw) plain JSON.  The server seed goes to
``draw_seeds`` (never read by the API) and into an event only at execution.

Rotation (轮换): a drawn subject's previous inspection is its latest inspection of another task
starting on or before this task's start date (by start date, then id).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from spotcheck import collector
from spotcheck.domain import draw as d
from spotcheck.domain import inspector as inspector_aggregate
from spotcheck.domain import item as item_aggregate
from spotcheck.domain import task as task_aggregate
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.subject import industry_prefix
from spotcheck.draw import transcript as tr
from spotcheck.draw.matching import InspectorCandidate, canonical_candidates
from spotcheck.draw.select import Stratum
from spotcheck.eventstore.errors import ConcurrencyError
from spotcheck.projections import inspections
from spotcheck.projections.inspections import OPEN
from spotcheck.services.runner import Caller, CommandRunner, Outcome


def new_seed() -> bytes:
    """A fresh server seed: 32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(tr.SEED_BYTES)


# Content-addressed storage
def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def put_blob(conn: asyncpg.Connection, content: bytes, digest: str | None = None) -> str:
    """Store ``content``; ``digest`` if the caller already hashed it (else it is hashed)."""
    digest = digest or digest_of(content)
    await conn.execute(
        "INSERT INTO draw_blobs (digest, content) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
        digest,
        content,
    )
    return digest


async def get_blob(conn: asyncpg.Connection | asyncpg.Pool, digest: str) -> bytes:
    content = await conn.fetchval("SELECT content FROM draw_blobs WHERE digest = $1", digest)
    if content is None:
        raise LookupError(f"draw blob {digest} is missing")
    data = bytes(content)
    if digest_of(data) != digest:
        raise LookupError(f"draw blob {digest} does not hash to its digest")
    return data


def population_bytes(keys: Sequence[str]) -> bytes:
    """The stored form of a population: each key followed by LF (its digest is the
    protocol's population digest)."""
    return "".join(k + "\n" for k in keys).encode("utf-8")


def population_keys(content: bytes) -> list[str]:
    return content.decode("utf-8").split("\n")[:-1] if content else []


def candidates_bytes(candidates: Sequence[InspectorCandidate]) -> bytes:
    return tr.canonical(canonical_candidates(candidates))


async def outcome_of(conn: asyncpg.Connection | asyncpg.Pool, digest: str) -> d.DrawOutcome:
    return msgspec.json.decode(await get_blob(conn, digest), type=d.DrawOutcome)


# Reference reads
async def task_for_draw(conn: asyncpg.Connection, task_id: str) -> task_aggregate.Task | None:
    """The inspection task (抽查任务) as its read table holds it, or None."""
    data = await conn.fetchval("SELECT state FROM tasks WHERE id = $1", task_id)
    return None if data is None else task_aggregate.SPEC.state_from_data(data)


async def items_for_draw(conn: asyncpg.Connection, codes: list[str]) -> dict[str, d.ItemForDraw]:
    """Each of ``codes`` in force (现行): department, category and cap, expertise."""
    rows = await conn.fetch("SELECT state FROM inspection_items WHERE id = ANY($1::text[])", codes)
    out: dict[str, d.ItemForDraw] = {}
    for r in rows:
        state = item_aggregate.SPEC.state_from_data(r["state"])
        version = item_aggregate.in_force(state)
        if version is None:
            continue
        c = version.content
        out[state.code] = d.ItemForDraw(
            code=state.code,
            department=state.department,
            general=c.category is item_aggregate.ItemCategory.GENERAL,
            ratio_cap_percent=c.ratio_cap_percent,
            expertise=list(c.expertise),
        )
    return out


def population_query(task: task_aggregate.Task) -> tuple[str, list[Any]]:
    """One statement: per stratum, its subjects' keys joined by LF, and their number."""
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    f = task.population
    where: list[str] = []
    if task.stratify_by_risk_class:
        stratum = "s.risk_class"
        where.append(f"s.risk_class = ANY({arg([s.id for s in task.strata])}::text[])")
    else:
        stratum = f"{arg(d.SINGLE_STRATUM)}::text"
    if f.kinds:
        where.append(f"s.kind = ANY({arg([k.value for k in f.kinds])}::text[])")
    if f.regions:
        where.append(f"s.region = ANY({arg(list(f.regions))}::text[])")
    prefixes = [p for p in (industry_prefix(i) for i in f.industries) if p is not None]
    if prefixes:
        # Codes are upper-case ASCII in byte order (COLLATE "C"): a prefix is a range.
        ranges = [f"(s.industry >= {arg(p)} AND s.industry < {arg(p + '~')})" for p in prefixes]
        where.append("(" + " OR ".join(ranges) + ")")
    if f.risk_classes:
        where.append(f"s.risk_class = ANY({arg([r.value for r in f.risk_classes])}::text[])")
    if f.statuses:
        where.append(f"s.status = ANY({arg([x.value for x in f.statuses])}::text[])")
    if f.tags:
        tags = [f"s.state->'tags' @> {arg([t])}::jsonb" for t in f.tags]
        where.append("(" + " OR ".join(tags) + ")")
    if f.applicable_items_only:
        items = [f"s.state->'items' @> {arg([c])}::jsonb" for c in task.items]
        where.append("(" + " OR ".join(items) + ")" if items else "false")
    start, end = task.start_date.isoformat(), task.end_date.isoformat()
    days = task.exclusions.recent_inspection_days
    if days:
        since = (task.start_date - timedelta(days=days)).isoformat()
        where.append(
            "NOT EXISTS (SELECT 1 FROM inspections i WHERE i.subject_key = s.id"
            " AND i.task_id IS NOT NULL"  # inspected at random: not a case (个案)
            f" AND i.items && {arg(list(task.items))}::text[]"
            f" AND i.start_date >= {arg(since)} AND i.start_date < {arg(start)})"
        )
    if task.exclusions.exclude_drawn_same_period:
        where.append(
            "NOT EXISTS (SELECT 1 FROM inspections i WHERE i.subject_key = s.id"
            f" AND i.task_id <> {arg(task.task_id)}"
            f" AND i.start_date <= {arg(end)} AND i.end_date >= {arg(start)})"
        )
    condition = " AND ".join(where) or "true"
    sql = (
        f"SELECT {stratum} AS stratum, string_agg(s.id, E'\\n') AS keys FROM subjects s"
        f" WHERE {condition} GROUP BY 1"
    )
    return sql, args


_LEDGER_HEAD = "SELECT position, seq FROM ledger ORDER BY position DESC LIMIT 1"
_UNSEALED = "SELECT count(*) FROM events WHERE seq > $1"
_LOADS = """
SELECT u.staff_id, count(*) AS n
  FROM inspections i CROSS JOIN LATERAL unnest(i.staff) AS u(staff_id)
 WHERE i.status = $1
 GROUP BY u.staff_id
"""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The registry as one REPEATABLE READ snapshot saw it."""

    ledger_position: int
    unsealed_events: int
    populations: dict[str, list[str]]
    candidates: list[InspectorCandidate]


async def read_snapshot(pool: asyncpg.Pool, task: task_aggregate.Task) -> Snapshot:
    sql, args = population_query(task)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchrow(_LEDGER_HEAD)
        position, seq = (head["position"], head["seq"]) if head is not None else (0, 0)
        unsealed = await conn.fetchval(_UNSEALED, seq)
        populations: dict[str, list[str]] = {}
        for r in await conn.fetch(sql, *args):
            keys = r["keys"].split("\n")
            keys.sort()  # code point order, whatever the database's collation
            populations[r["stratum"]] = keys
        loads = {r["staff_id"]: r["n"] for r in await conn.fetch(_LOADS, OPEN)}
        rows = await conn.fetch(
            "SELECT state FROM inspectors WHERE department = ANY($1::text[])",
            list(task.departments),
        )
    candidates = []
    for r in rows:
        state = inspector_aggregate.SPEC.state_from_data(r["state"])
        candidates.append(inspector_aggregate.from_inspector(state, loads.get(state.staff_id, 0)))
    return Snapshot(
        ledger_position=position,
        unsealed_events=unsealed,
        populations=populations,
        candidates=canonical_candidates(candidates),
    )


def _raced(key: str) -> ConcurrencyError:
    """Another call wrote the same draw first: the runner retries on fresh state."""
    return ConcurrencyError(d.SPEC.stream_id(key), "the draw's current version", None)


async def _task(conn: asyncpg.Connection, task_id: str) -> task_aggregate.Task | None:
    return await task_for_draw(conn, task_id)


# commitDraw
async def commit(
    runner: CommandRunner, caller: Caller, command: d.CommitDraw
) -> Outcome[d.TaskDraws]:
    # The snapshot is read before the command's transaction takes its connection: a command
    # holding one connection while it waits for a second could exhaust the pool and deadlock.
    pool = runner.store.pool
    async with pool.acquire() as first:
        read_task = await _task(first, command.task_id)
    snap = await read_snapshot(pool, read_task) if read_task is not None else None

    async def decide(conn: asyncpg.Connection, state: d.TaskDraws | None) -> list[Event]:
        task = await _task(conn, command.task_id)
        d.check(state, command, caller.actor, task)
        assert task is not None
        if snap is None or task != read_task:
            raise DomainError.one(
                ErrorCode.CONCURRENT_MODIFICATION,
                "taskId",
                "the task changed while its population was read; commit again",
            )
        items = await items_for_draw(conn, list(task.items))
        gone = [c for c in task.items if c not in items]
        if gone:
            raise DomainError.one(
                ErrorCode.UNKNOWN_ITEM,
                "taskId",
                f"inspection items no longer in force (现行): {', '.join(gone)}",
            )
        d.cap_problems(task, items, {k: len(v) for k, v in snap.populations.items()})
        strata = d.strata_of(task, snap.populations)
        seed = new_seed()
        try:
            frozen = tr.commit_draw(
                task=task.task_id,
                ledger_position=snap.ledger_position,
                strata=strata,
                sources=command.sources,
                commitment=tr.commitment_of(seed),
                rules=d.task_rules(task, items),
                candidates=snap.candidates,
                batches=task.batches if task.draw_batch_order else (),
            )
        except tr.DrawError as err:
            raise DomainError.one(
                ErrorCode.INVALID_FORMAT, "taskId", "the task cannot be drawn: " + str(err)
            ) from None
        for s, c in zip(strata, frozen.strata, strict=True):
            assert await put_blob(conn, population_bytes(s.population)) == c.digest
        assert await put_blob(conn, candidates_bytes(snap.candidates)) == frozen.candidates_digest
        number = len(state.draws) + 1 if state is not None else 1
        stored = await conn.fetchval(
            "INSERT INTO draw_seeds (task_id, number, seed) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING number",
            task.task_id,
            number,
            seed,
        )
        if stored is None:
            raise _raced(task.task_id)
        result = d.Committed(
            commit=frozen,
            commit_digest=tr.commit_digest(frozen),
            unsealed_events=snap.unsealed_events,
        )
        return d.decide(state, command, caller.actor, task, result)

    return await runner.run(caller, d.SPEC, command.task_id, command, decide)


# executeDraw
async def previous_inspectors(
    conn: asyncpg.Connection, task: task_aggregate.Task, subjects: Sequence[str]
) -> dict[str, list[str]]:
    """Subject → the team of its latest inspection of another task starting on or before this
    task's start (轮换: none of them again), for ``subjects`` (the drawn ones): index lookups
    on (subject_key, start_date), whatever the number of inspections held."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (subject_key) subject_key, staff FROM inspections"
        " WHERE subject_key = ANY($3::text[]) AND task_id <> $1 AND start_date <= $2"
        " ORDER BY subject_key, start_date DESC, id DESC",
        task.task_id,
        task.start_date.isoformat(),
        list(subjects),
    )
    return {r["subject_key"]: list(r["staff"]) for r in rows if r["staff"]}


async def execute(
    runner: CommandRunner, caller: Caller, command: d.ExecuteDraw
) -> Outcome[d.TaskDraws]:
    async def decide(conn: asyncpg.Connection, state: d.TaskDraws | None) -> list[Event]:
        written.clear()  # an earlier attempt's transaction was rolled back
        task = await _task(conn, command.task_id)
        d.check(state, command, caller.actor, task)
        assert task is not None and state is not None
        current = state.current()
        assert current is not None
        frozen = current.commit
        seed = await conn.fetchval(
            "SELECT seed FROM draw_seeds WHERE task_id = $1 AND number = $2",
            task.task_id,
            current.number,
        )
        if seed is None:
            raise LookupError(f"the server seed of draw {current.number} is missing")
        strata = [
            Stratum(
                id=c.id,
                population=population_keys(await get_blob(conn, c.digest)),
                count=c.count,
                ratio=c.ratio,
            )
            for c in frozen.strata
        ]
        candidates = msgspec.json.decode(
            await get_blob(conn, frozen.candidates_digest), type=list[InspectorCandidate]
        )
        # Selection and matching make ~200,000 objects that live until the transcript is
        # stored: collections meanwhile free nothing (50-100 ms a draw in the bench's).
        try:
            with collector.paused():
                selected = tr.select_draw(
                    frozen,
                    strata=strata,
                    candidates=candidates,
                    entropy=command.entropy,
                    server_seed=bytes(seed),
                    populations_checked=True,  # get_blob hashed each population's bytes
                )
        except tr.DrawError as err:
            raise DomainError.one(ErrorCode.INVALID_FORMAT, "entropy", str(err)) from None
        previous = await previous_inspectors(conn, task, selected.order)
        with collector.paused():
            transcript = tr.match_draw(selected, previous)
        rules = frozen.rules
        outcome = d.DrawOutcome(
            task=task.task_id,
            number=current.number,
            items=list(current.items),
            departments=list(rules.departments) if rules else list(task.departments),
            start=(rules.start if rules else task.start_date).isoformat(),
            end=(rules.end if rules else task.end_date).isoformat(),
            selection=transcript.selection,
            batch_order=transcript.batch_order,
            assignments=transcript.assignments,
            unmatched=transcript.unmatched,
        )
        outcome_digest = await put_blob(conn, msgspec.json.encode(outcome))
        # The inspections' rows (InspectionsProjection's statement) go in now: the server
        # inserts them and keeps their indexes while Python writes the transcript's canonical
        # JSON and hashes it (issue 18); the projection then leaves DrawExecuted alone.
        ahead = asyncio.ensure_future(inspections.write_rows_ahead(conn, outcome_digest))
        await asyncio.sleep(0)  # the task sends its statement
        try:
            content = tr.dumps(transcript)
            transcript_digest = digest_of(content)
        finally:
            try:
                await ahead
            except asyncpg.UniqueViolationError:
                # A concurrent executeDraw of this draw committed its rows first (it waited
                # for that transaction): run again on fresh state, as its events would have.
                raise _raced(task.task_id) from None
        written.add(outcome_digest)
        await put_blob(conn, content, transcript_digest)
        result = d.Executed(
            server_seed=transcript.server_seed,
            transcript_digest=transcript_digest,
            outcome_digest=outcome_digest,
            assigned=len(transcript.assignments),
            unmatched_by_reason=dict(Counter(u.reason.value for u in transcript.unmatched)),
        )
        return d.decide(state, command, caller.actor, task, result)

    with runner.timed("draw_execute"), inspections.rows_written_ahead() as written:
        return await runner.run(caller, d.SPEC, command.task_id, command, decide)


# voidDraw
async def void(runner: CommandRunner, caller: Caller, command: d.VoidDraw) -> Outcome[d.TaskDraws]:
    async def decide(conn: asyncpg.Connection, state: d.TaskDraws | None) -> list[Event]:
        task = await _task(conn, command.task_id)
        return d.decide(state, command, caller.actor, task)

    return await runner.run(caller, d.SPEC, command.task_id, command, decide)


# replaceInspector
def replace_command(inspection_id: str, staff_id: str, reason: str | None) -> d.ReplaceInspector:
    """The command for an inspection key ``{task}/{draw number}/{subject}``."""
    parsed = d.parse_inspection_id(inspection_id)
    if parsed is None:
        raise DomainError.one(
            ErrorCode.INVALID_ID,
            "inspectionId",
            f"{inspection_id!r} is not an inspection key (task/draw number/subject key)",
        )
    task_id, number, subject = parsed
    return d.ReplaceInspector(
        task_id=task_id, number=number, subject=subject, staff_id=staff_id, reason=reason
    )


async def replace(
    runner: CommandRunner, caller: Caller, command: d.ReplaceInspector
) -> Outcome[d.TaskDraws]:
    key = d.inspection_id(command.task_id, command.number, command.subject)

    async def decide(conn: asyncpg.Connection, state: d.TaskDraws | None) -> list[Event]:
        task = await _task(conn, command.task_id)
        d.check(state, command, caller.actor, task)
        assert state is not None
        staff = await conn.fetchval("SELECT staff FROM inspections WHERE id = $1", key)
        if staff is None:
            raise DomainError.one(
                ErrorCode.NOT_FOUND,
                "inspectionId",
                f"no inspection {key!r} (an unmatched subject has none)",
            )
        if command.staff_id not in staff:
            raise DomainError.one(
                ErrorCode.NOT_FOUND,
                "staffId",
                f"{command.staff_id!r} is not in the team of inspection {key!r}",
            )
        draw = state.get(command.number)
        assert draw is not None and draw.transcript_digest is not None
        transcript = tr.loads(await get_blob(conn, draw.transcript_digest))
        reason = str(command.reason).strip()
        try:
            after = tr.replace_inspector(transcript, command.subject, command.staff_id, reason)
        except ValueError as err:
            raise DomainError.one(ErrorCode.NOT_FOUND, "staffId", str(err)) from None
        record = after.replacements[-1]
        team = tr.current_teams(after)[command.subject]
        result = d.Replaced(
            counter=record.counter,
            replacement=record.replacement,
            unmatched_reason=record.unmatched.reason if record.unmatched else None,
            lead=team.lead,
            officers=list(team.officers),
            experts=list(team.experts),
            transcript_digest=await put_blob(conn, tr.dumps(after)),
        )
        return d.decide(state, command, caller.actor, task, result)

    return await runner.run(caller, d.SPEC, command.task_id, command, decide)


# Reading
async def draws_of(conn: asyncpg.Connection | asyncpg.Pool, task_id: str) -> d.TaskDraws | None:
    data = await conn.fetchval("SELECT state FROM draws WHERE id = $1", task_id)
    return None if data is None else d.SPEC.state_from_data(data)


async def transcript_bytes(pool: asyncpg.Pool, task_id: str, number: int) -> bytes | None:
    """The canonical JSON transcript of an executed draw (as it stands, replacements
    appended), or None."""
    state = await draws_of(pool, task_id)
    draw = state.get(number) if state is not None else None
    if draw is None or draw.transcript_digest is None:
        return None
    return await get_blob(pool, draw.transcript_digest)


class TranscriptRef(msgspec.Struct, frozen=True):
    """Where an executed draw's transcript is: its SHA-256 (the draw's transcriptDigest, the
    name of its blob) and its size in bytes."""

    digest: str
    size: int


async def transcript_ref(pool: asyncpg.Pool, task_id: str, number: int) -> TranscriptRef | None:
    """The transcript of an executed draw, as it stands, without reading its bytes; None
    before execution or for no such draw."""
    state = await draws_of(pool, task_id)
    draw = state.get(number) if state is not None else None
    if draw is None or draw.transcript_digest is None:
        return None
    return await blob_ref(pool, draw.transcript_digest)


async def blob_ref(pool: asyncpg.Pool, digest: str) -> TranscriptRef:
    """A stored blob's digest and size, without reading its bytes."""
    size = await pool.fetchval(
        "SELECT octet_length(content) FROM draw_blobs WHERE digest = $1", digest
    )
    if size is None:
        raise LookupError(f"draw blob {digest} is missing")
    return TranscriptRef(digest=digest, size=int(size))


BLOB_CHUNK = 1 << 20
"""The fewest bytes read from the database per statement when a blob is streamed."""
BLOB_CHUNKS = 8
"""The most statements a blob is streamed in.  Blobs written before migration
20261226000003 are kept compressed, and PostgreSQL decompresses from the start up to the end
of each slice asked for, so reading n slices cost about n/2 whole decompressions: a 21 MB
population took 0.45 s in 1 MB slices, 0.15 s in 4 MB ones and 0.08 s whole.  At most 8 slices
bound that at about four decompressions whatever the size, holding at most an eighth of it (a
26 MB transcript: 3.3 MB) in memory at a time.  Blobs written since are uncompressed (STORAGE
EXTERNAL): a slice reads only its own bytes."""


async def blob_chunks(
    pool: asyncpg.Pool, ref: TranscriptRef, chunk: int | None = None
) -> AsyncIterator[bytes]:
    """A stored blob's bytes in at most ``BLOB_CHUNKS`` slices of at least ``BLOB_CHUNK`` (or
    ``chunk``) bytes, one statement each, so a 26 MB transcript is never held whole; checked
    on the way: the last slice is only given once the whole hashes to ``ref.digest``;
    otherwise LookupError, and whoever streams it stops short."""
    chunk = chunk or max(BLOB_CHUNK, -(-ref.size // BLOB_CHUNKS))
    h = hashlib.sha256()
    for offset in range(0, ref.size, chunk):
        part = await pool.fetchval(
            "SELECT substring(content FROM $2 FOR $3) FROM draw_blobs WHERE digest = $1",
            ref.digest,
            offset + 1,
            chunk,
        )
        data = b"" if part is None else bytes(part)
        if len(data) != min(chunk, ref.size - offset):
            raise LookupError(f"draw blob {ref.digest} is missing or changed size")
        h.update(data)
        if offset + chunk >= ref.size and h.hexdigest() != ref.digest:
            raise LookupError(f"draw blob {ref.digest} does not hash to its digest")
        yield data


async def verify(pool: asyncpg.Pool, task_id: str, number: int) -> tr.VerifyResult | None:
    """``spotcheck draw verify`` on the server: recompute the stored transcript, and check it
    against what was published (the commit digest at commitDraw, the entropy and seed at
    executeDraw).  None if there is no such draw."""
    state = await draws_of(pool, task_id)
    return None if state is None else await verify_draw(pool, state, number)


async def verify_draw(
    conn: asyncpg.Connection | asyncpg.Pool, state: d.TaskDraws, number: int
) -> tr.VerifyResult | None:
    """Verify draw ``number`` of ``state`` (the read table's, or one folded from the ledger by
    an audit): the stored transcript recomputes, and matches what the events published."""
    draw = state.get(number)
    if draw is None:
        return None
    if draw.transcript_digest is None:
        return tr.VerifyResult(ok=False, problems=[f"draw {number} has not been executed"])
    try:
        content = await get_blob(conn, draw.transcript_digest)
    except LookupError as err:
        return tr.VerifyResult(ok=False, problems=[str(err)])
    result = tr.verify_bytes(content)
    problems = list(result.problems)
    try:
        t = tr.loads(content)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return result
    if t.commit_digest != draw.commit_digest:
        problems.append("commit_digest: not the commit published by commitDraw")
    if t.entropy != draw.entropy or t.server_seed != draw.server_seed:
        problems.append("entropy, server_seed: not the values recorded by executeDraw")
    if len(t.replacements) != len(draw.replacements):
        problems.append("replacements: not the replacements recorded by replaceInspector")
    return tr.VerifyResult(ok=not problems, problems=problems)
