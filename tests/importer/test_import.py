"""Bulk import: every row validated, rejects named, batches atomic, re-runs idempotent."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from spotcheck.demo import catalogue
from spotcheck.domain.actor import SYSTEM, Actor, Role
from spotcheck.domain.regions import Regions
from spotcheck.eventstore import EventStore
from spotcheck.importer.formats import Row, read_rows, write_csv
from spotcheck.importer.registries import SUBJECT_COLUMNS, inspectors_spec, subjects_spec
from spotcheck.importer.run import import_rows
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import Caller, CommandRunner
from tests.api.conftest import seed_people

SYSTEM_CALLER = Caller(actor=SYSTEM, request_id="test-import")


@pytest.fixture
async def runner(pool: asyncpg.Pool) -> AsyncIterator[CommandRunner]:
    r = CommandRunner(EventStore(pool, event_registry()), projections())
    await seed_people(r)  # departments SCJG and STHJ
    yield r


def subject_rows(n: int) -> list[dict[str, object]]:
    rows = []
    for row in catalogue.subjects(n * 3):
        if row["maintaining_department"] == "SCJG" and row["kind"] == "ENTERPRISE":
            rows.append(row | {"items": []})
        if len(rows) == n:
            return rows
    raise AssertionError("not enough rows")


async def count(pool: asyncpg.Pool, sql: str) -> int:
    return int(await pool.fetchval(sql))


async def run(
    runner: CommandRunner, path: Path, caller: Caller = SYSTEM_CALLER, **kw: object
) -> tuple[object, str]:
    out = io.StringIO()
    report = await import_rows(
        runner,
        subjects_spec(Regions.load()),
        read_rows(path),
        caller,
        reason="test",
        rejects_out=out,
        **kw,  # type: ignore[arg-type]
    )
    return report, out.getvalue()


async def test_csv_import_rejects_bad_rows_and_reruns_write_nothing(
    runner: CommandRunner, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rows = subject_rows(40)
    bad = [
        rows[0] | {"uscc": rows[0]["uscc"][:-1] + ("0" if rows[0]["uscc"][-1] != "0" else "1")},  # type: ignore[index]
        rows[1] | {"uscc": "91110106MA01X2Y3ZI"},
        rows[2] | {"uscc": None, "region": "atlantis"},
        rows[3] | {"risk_class": "Z"},
        rows[4] | {"name": None},
    ]
    bad[2]["uscc"] = rows[2]["uscc"]
    good = rows[5:]
    path = tmp_path / "subjects.csv"
    path.write_text(write_csv(good[:20] + bad + good[20:], list(SUBJECT_COLUMNS)), "utf-8")
    report, rejects = await run(runner, path, batch_size=7)
    assert (report.registered, report.rejected, report.unchanged) == (35, 5, 0)  # type: ignore[attr-defined]
    lines = list(csv.DictReader(io.StringIO(rejects)))
    assert [(r["line"], r["field"], r["code"]) for r in lines] == [
        ("22", "uscc", "USCC_CHECK_MISMATCH"),
        ("23", "uscc", "INVALID_USCC"),
        ("24", "region", "UNKNOWN_REGION"),
        ("25", "risk_class", "INVALID_FORMAT"),
        ("26", "name", "REQUIRED"),
    ]
    assert await count(pool, "SELECT count(*) FROM subjects") == 35
    events = await count(pool, "SELECT count(*) FROM events")

    report, _ = await run(runner, path, batch_size=7)
    assert (report.registered, report.unchanged, report.events) == (0, 35, 0)  # type: ignore[attr-defined]
    assert await count(pool, "SELECT count(*) FROM events") == events

    changed = [dict(r) for r in good]
    changed[0]["risk_class"] = "D" if changed[0]["risk_class"] != "D" else "A"
    changed[1]["address"] = "北京市丰台区新地址1号"
    path.write_text(write_csv(changed, list(SUBJECT_COLUMNS)), "utf-8")
    report, _ = await run(runner, path)
    assert (report.changed, report.unchanged, report.events) == (2, 33, 2)  # type: ignore[attr-defined]
    data = await pool.fetchval(
        "SELECT data FROM events WHERE event_type = 'SubjectChanged' AND stream_id = $1",
        "subject-" + str(changed[1]["uscc"]),
    )
    assert data["changes"] == {
        "address": {"old": good[1]["address"], "new": "北京市丰台区新地址1号"}
    }
    assert data["reason"] == "test"


async def test_only_the_maintaining_department_imports(
    runner: CommandRunner, tmp_path: Path
) -> None:
    path = tmp_path / "subjects.jsonl"
    import orjson

    path.write_bytes(b"\n".join(orjson.dumps(r) for r in subject_rows(3)))
    other = Caller(
        actor=Actor(
            user_id="sthj-admin", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN})
        )
    )
    report, rejects = await run(runner, path, caller=other)
    assert report.rejected == 3  # type: ignore[attr-defined]
    assert "NOT_MAINTAINING_DEPARTMENT" in rejects


async def test_inspectors_import(runner: CommandRunner, pool: asyncpg.Pool) -> None:
    rows = [r for r in catalogue.inspectors(60) if r["department"] in ("SCJG", "STHJ")]
    report = await import_rows(
        runner,
        inspectors_spec(),
        [Row(n, r) for n, r in enumerate(rows, 1)],
        SYSTEM_CALLER,
        reason="test",
    )
    assert report.registered == len(rows) and report.rejected == 0
    again = await import_rows(
        runner,
        inspectors_spec(),
        [Row(n, r) for n, r in enumerate(rows, 1)],
        SYSTEM_CALLER,
        reason="test",
    )
    assert again.unchanged == len(rows) and again.events == 0
