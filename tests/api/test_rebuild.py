"""重建 ``projections rebuild`` and ``verify``: every read table of the catalog, rebuilt from the
ledger, equals the live one after the full demo data set and a scripted year of activity; the
swap keeps privileges, indexes and triggers; a tampered row is named; unsealed events count;
a rebuild under concurrent writes loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette

from spotcheck.db.pool import connect
from spotcheck.demo.load import load_demo
from spotcheck.domain import draw as dr
from spotcheck.domain import inspection as i
from spotcheck.domain import subject as s
from spotcheck.domain.regions import Regions
from spotcheck.eventstore import EventStore
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.projections import folded, rebuilder
from spotcheck.projections.base import Routed
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.projections.streams import StreamsProjection
from spotcheck.services import draws, inspections, subjects
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner
from tests.api import fixtures_registry as reg
from tests.api import inspection_fixtures as insp
from tests.api import publishing as pub
from tests.api.conftest import SEED, People
from tests.conftest import Db

CALENDAR = pytest.mark.calendar  # the demo's dates follow today

YEAR_TAG = "Y"
VOID_TAG = "Z"


async def scripted_year(app: Starlette) -> None:
    """A year of activity across aggregates: items and conflicts (matrix records), a plan and
    tasks, draws committed and executed, one voided after execution, an inspector replaced; a
    drawn inspection submitted, approved, published and amended; a case inspection published
    with code 6 (an abnormal-operation proposal); a subject corrected twice."""
    runner = app.state.runner
    await reg.seed_matrix(app, [YEAR_TAG])
    await insp.seed_inspections(app, "amendInspectionResult", [YEAR_TAG])
    key = insp.inspection_of(YEAR_TAG, "amendInspectionResult")
    publish = i.PublishInspectionResults(inspection_id=key)
    assert (await inspections.handle(runner, pub.SCJG_ADMIN, publish)).events
    amended = i.AmendInspectionResult(
        inspection_id=key, result=insp.result(i.ResultCode.E), reason="复核更正"
    )
    assert (await inspections.handle(runner, pub.SCJG_ADMIN, amended)).events
    await reg.seed_draws(app, "replaceInspector", [YEAR_TAG, VOID_TAG])
    task = reg.draw_task_id(YEAR_TAG, "replaceInspector")
    subject = reg.draw_subject_key(YEAR_TAG, "replaceInspector")
    team = await app.state.pool.fetchval(
        "SELECT staff FROM inspections WHERE id = $1", dr.inspection_id(task, 1, subject)
    )
    replaced = dr.ReplaceInspector(
        task_id=task, number=1, subject=subject, staff_id=team[0], reason="回避"
    )
    assert (await draws.replace(runner, SEED, replaced)).events
    void = dr.VoidDraw(task_id=reg.draw_task_id(VOID_TAG, "replaceInspector"), reason="重新抽取")
    assert (await draws.void(runner, SEED, void)).events
    await pub.seed_publishing(app)
    await pub.seeded_case(app, "TS-2026-0001", pub.uscc(1), [pub.item_result(i.ResultCode.R6)])
    for name in ("更名一", "更名二"):
        change = s.UpdateSubject(key=pub.uscc(2), name=name, reason="更名")
        assert (await subjects.handle(runner, SEED, change, app.state.regions)).events


async def sealed(pool: asyncpg.Pool) -> None:
    async with asyncio.timeout(60):
        while (await ledger_status(pool)).unsealed_count:
            await asyncio.sleep(0.02)


async def table_facts(conn: asyncpg.Connection, tables: list[str]) -> dict[str, Any]:
    """What the swap must keep: index and trigger definitions, privileges, columns."""
    return {
        "indexes": await conn.fetch(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename = ANY($1::text[]) ORDER BY 1, 2",
            tables,
        ),
        "triggers": await conn.fetch(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid::regclass::text = ANY($1::text[]) AND NOT tgisinternal ORDER BY 1, 2",
            tables,
        ),
        "grants": await conn.fetch(
            "SELECT table_name, grantee, privilege_type FROM information_schema.role_table_grants"
            " WHERE table_schema = 'public' AND table_name = ANY($1::text[]) ORDER BY 1, 2, 3",
            tables,
        ),
        "columns": await conn.fetch(
            "SELECT table_name, column_name, data_type, is_generated, generation_expression,"
            " column_default, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = ANY($1::text[])"
            " ORDER BY table_name, ordinal_position",
            tables,
        ),
        "constraints": await conn.fetch(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY($1::text[]) ORDER BY 1, 2",
            tables,
        ),
    }


@CALENDAR
async def test_rebuild_equals_live_after_the_demo_and_a_year(
    app: Starlette, people: People, owner_conn: asyncpg.Connection
) -> None:
    pool = app.state.pool
    # The year first: its fixtures expect their own officers to be the only ones eligible.
    await scripted_year(app)
    await load_demo(app.state.runner, app.state.regions)  # the full demo data set
    await sealed(pool)
    procs = projections()
    tables = rebuilder.tables_of(procs)
    for expected in ("streams", "subjects", "inspections", "inspection_records", "draws"):
        assert expected in tables
    events = await pool.fetchval("SELECT count(*) FROM events")
    report = await rebuilder.verify(owner_conn, procs)
    assert report.ok, report.lines()
    assert report.tables == tables and report.progress.events == events
    assert report.progress.unsealed == 0
    for table in ("inspections", "inspection_records", "subjects", "draws"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") > 0, table

    before = await table_facts(owner_conn, tables)
    counts = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
    rebuilt = await rebuilder.rebuild(owner_conn, projections())
    assert rebuilt.tables == tables
    assert rebuilt.progress.events + rebuilt.catch_up.events == events
    assert await table_facts(owner_conn, tables) == before
    assert {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables} == counts
    head = (await ledger_status(pool)).head_position
    row = await owner_conn.fetchrow("SELECT * FROM projection_rebuilds ORDER BY id DESC LIMIT 1")
    assert (row["position"], row["events"], row["tables"]) == (head, events, tables)
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'spotcheck_rebuild%'"
        )
        == 0
    )

    # The server keeps working on the swapped tables (as spotcheck_app: privileges kept).
    change = s.UpdateSubject(key=pub.uscc(2), name="更名三", reason="更名")
    assert (await subjects.handle(app.state.runner, SEED, change, app.state.regions)).events
    await sealed(pool)
    again = await rebuilder.verify(owner_conn, projections())
    assert again.ok, again.lines()
    assert again.progress.events == events + 1


@CALENDAR
async def test_verify_names_a_tampered_table(
    app: Starlette, people: People, owner_conn: asyncpg.Connection
) -> None:
    await load_demo(app.state.runner, app.state.regions, subjects=50, inspector_count=10)
    await sealed(app.state.pool)
    victim = await owner_conn.fetchval("SELECT id FROM subjects ORDER BY id LIMIT 1")
    await owner_conn.execute(
        "UPDATE subjects SET state = jsonb_set(state, '{name}', '\"篡改\"') WHERE id = $1", victim
    )
    await owner_conn.execute("DELETE FROM streams WHERE stream_id = 'department-SCJG'")
    report = await rebuilder.verify(owner_conn, projections())
    assert not report.ok
    by_table = {d.table: d for d in report.differences}
    assert set(by_table) == {"subjects", "streams"}
    assert (by_table["subjects"].only_live, by_table["subjects"].only_rebuilt) == (1, 1)
    assert by_table["subjects"].live_keys == [victim] == by_table["subjects"].rebuilt_keys
    assert (by_table["streams"].only_live, by_table["streams"].only_rebuilt) == (0, 1)
    assert by_table["streams"].rebuilt_keys == ["department-SCJG"]
    text = "\n".join(report.lines())
    assert text.startswith("DIFFERENT") and "subjects: 1 row(s) only in the live table" in text
    # a rebuild repairs them
    await rebuilder.rebuild(owner_conn, projections())
    assert (await rebuilder.verify(owner_conn, projections())).ok


@CALENDAR
async def test_unsealed_events_are_replayed_too(
    pool: asyncpg.Pool, owner_conn: asyncpg.Connection
) -> None:
    """No sealer runs here: every event is committed and projected but has no position."""
    runner = CommandRunner(EventStore(pool, event_registry()), projections())
    await load_demo(runner, Regions.load(), subjects=30, inspector_count=5)
    events = await pool.fetchval("SELECT count(*) FROM events")
    report = await rebuilder.verify(owner_conn, projections())
    assert report.ok, report.lines()
    assert (report.progress.events, report.progress.unsealed, report.progress.position) == (
        events,
        events,
        0,
    )
    rebuilt = await rebuilder.rebuild(owner_conn, projections())
    assert rebuilt.catch_up.unsealed + rebuilt.progress.unsealed == events
    row = await owner_conn.fetchrow("SELECT position, seq, unsealed FROM projection_rebuilds")
    assert row["position"] == 0 and row["unsealed"] == events
    assert row["seq"] == await pool.fetchval("SELECT max(seq) FROM events")


# Not at the faked instants: it needs PostgreSQL's lock_timeout (the rebuild gives way to
# writers), and under libfaketime with an offset into the future PostgreSQL's SIGALRM timeouts
# never fire (tests/clock.py): the rebuild and a writer then wait for each other for good.
async def test_rebuild_while_the_server_writes(
    app: Starlette, people: People, owner_conn: asyncpg.Connection
) -> None:
    """Writers keep committing during the replay and wait for the swap: none is lost, and the
    swapped tables equal a rebuild afterwards."""
    await load_demo(app.state.runner, app.state.regions, subjects=2000, inspector_count=20)
    await sealed(app.state.pool)
    keys = [
        r["id"]
        for r in await app.state.pool.fetch(
            "SELECT id FROM subjects WHERE maintaining_department = 'SCJG' ORDER BY id LIMIT 5"
        )
    ]
    stop = asyncio.Event()
    written = 0

    async def writer(key: str) -> None:
        nonlocal written
        n = 0
        while not stop.is_set():
            n += 1
            change = s.UpdateSubject(key=key, name=f"并发{n}", reason="并发写入")
            out = await subjects.handle(app.state.runner, SEED, change, app.state.regions)
            written += len(out.events)
            await asyncio.sleep(0.005)  # a busy server: a command every few ms per writer

    tasks = [asyncio.create_task(writer(k)) for k in keys]
    try:
        await asyncio.sleep(0.2)
        at_start = await app.state.pool.fetchval("SELECT count(*) FROM events")
        report = await rebuilder.rebuild(owner_conn, projections())
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    # events committed while the rebuild ran are in the swapped tables
    assert report.progress.events + report.catch_up.events > at_start
    await sealed(app.state.pool)
    verified = await rebuilder.verify(owner_conn, projections())
    assert verified.ok, verified.lines()
    for k in keys:
        name = await app.state.pool.fetchval("SELECT name FROM subjects WHERE id = $1", k)
        assert name.startswith("并发")


@pytest.mark.parametrize("batch", [1, 7])
@CALENDAR
async def test_batch_size_does_not_change_the_tables(
    app: Starlette, people: People, owner_conn: asyncpg.Connection, batch: int
) -> None:
    await reg.seed_matrix(app, [YEAR_TAG])
    await reg.seed_draws(app, "replaceInspector", [YEAR_TAG])
    await sealed(app.state.pool)
    report = await rebuilder.verify(owner_conn, projections(), batch=batch)
    assert report.ok, report.lines()


@pytest.mark.parametrize(
    ("batch", "fold_limit", "second", "fold"),
    [(7, 2, True, True), (7, 60, False, True), (500, 3, True, True), (7, 2, True, False)],
)
@CALENDAR
async def test_folded_rebuild_equals_the_applied_one(
    app: Starlette,
    people: People,
    owner_conn: asyncpg.Connection,
    db: Db,
    batch: int,
    fold_limit: int,
    second: bool,
    fold: bool,
) -> None:
    """The folded replay (state tables folded in memory across batches and written once by
    COPY as their stream ends, ``streams`` in one statement, the other projections applied
    per batch) gives the tables the per-batch ``apply`` path gives: ``verify`` replays through
    ``apply`` and compares both ways with EXCEPT ALL.  Tiny limits make the folds write and
    forget their rows between batches and load them back (60: with the last versions known,
    rows written as their stream ends; 2 and 3: too many streams with several events to
    know them all, rows written at the limit and at the end).  ``folded=False``: the rebuild
    through ``apply`` alone, as before."""
    await scripted_year(app)
    await load_demo(app.state.runner, app.state.regions, subjects=40, inspector_count=8)
    # quotes and a backslash in the JSON state: escaped in the COPY text
    change = s.UpdateSubject(key=pub.uscc(2), name='名称"引号"与\\反斜杠', reason="更名")
    assert (await subjects.handle(app.state.runner, SEED, change, app.state.regions)).events
    await sealed(app.state.pool)
    live = await rebuilder.verify(owner_conn, projections())  # the live tables = apply's
    assert live.ok, live.lines()
    reader = await connect(db.owner_url) if second else None
    try:
        report = await rebuilder.rebuild(
            owner_conn,
            projections(),
            batch=batch,
            fold_limit=fold_limit,
            reader=reader,
            folded=fold,
        )
    finally:
        if reader is not None:
            await reader.close()
    assert report.progress.events + report.catch_up.events == live.progress.events
    verified = await rebuilder.verify(owner_conn, projections(), batch=batch)
    assert verified.ok, verified.lines()
    name = await app.state.pool.fetchval("SELECT name FROM subjects WHERE id = $1", pub.uscc(2))
    assert name == '名称"引号"与\\反斜杠'


def test_the_catalog_is_folded_built_or_routed() -> None:
    """Every state table of the catalog is folded, ``streams`` is built by one statement, and
    each other projection says which streams and tables it reads (else it would get every
    event, and every folded table written before each batch it sees)."""
    procs = projections()
    plan = folded._Plan(procs, "scratch", folded.FOLD_LIMIT)
    assert {f.table for _, f in plan.folds} == {
        p.name for p in procs if isinstance(p, StateTableProjection)
    }
    assert [type(p) for p in plan.built] == [StreamsProjection]
    applied = [p for _, p, _ in plan.applied]
    assert applied and all(isinstance(p, Routed) for p in applied)
    firsts = {p.name: [f.table for f in first] for _, p, first in plan.applied}
    assert firsts["inspection_lifecycle"] == ["tasks"]  # it reads a task's kind
    assert all(not tables for name, tables in firsts.items() if name != "inspection_lifecycle")


async def test_copy_text_round_trips(owner_conn: asyncpg.Connection) -> None:
    values = ["plain", "tab\there", "new\nline", "back\\slash", "cr\rx", "\\.", "名称\\t"]
    await owner_conn.execute("CREATE TEMP TABLE copy_text (n int, v text)")

    async def lines() -> Any:
        yield b"".join(b"%d\t%s\n" % (i, folded._copy_text(v)) for i, v in enumerate(values))

    await owner_conn.copy_to_table("copy_text", source=lines(), format="text")
    rows = await owner_conn.fetch("SELECT v FROM copy_text ORDER BY n")
    assert [r["v"] for r in rows] == values
