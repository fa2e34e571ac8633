"""The demo loads through the real services, completely, on any date; a second load writes
nothing, and a load that was interrupted is completed by the next one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest

from spotcheck.clock import beijing_today
from spotcheck.demo import activity as act
from spotcheck.demo import catalogue
from spotcheck.demo.load import load_demo
from spotcheck.domain import inspection as i
from spotcheck.domain.calendar import NoHolidaySchedule
from spotcheck.domain.regions import Regions
from spotcheck.eventstore import EventStore
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.deadlines import load_calendar
from spotcheck.services.runner import CommandRunner

pytestmark = pytest.mark.calendar

CASE = "CASE/SCJG/12315-DEMO-0001"


def _runner(pool: asyncpg.Pool) -> CommandRunner:
    return CommandRunner(EventStore(pool, event_registry()), projections())


async def _lifecycles(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT lifecycle, count(*) AS n FROM inspections GROUP BY 1")
    return {r["lifecycle"]: r["n"] for r in rows}


async def _check_complete(pool: asyncpg.Pool, drawn: int) -> None:
    """What a complete demo activity leaves: 6 inspections through to approval, 5 of them
    published; the case published; every date inside the plan's year."""
    assert await pool.fetchval("SELECT count(*) FROM inspections WHERE origin = 'RANDOM'") == drawn
    entered = min(drawn, act.RESULTS_ENTERED)
    assert await pool.fetchval("SELECT count(*) FROM published_results") == entered - 1 + 1
    assert await _lifecycles(pool) == {
        k: v
        for k, v in {
            "APPROVED": 1,
            "ASSIGNED": drawn - entered,
            "PUBLISHED": entered - 1 + 1,
        }.items()
        if v
    }
    # The business's objection to the case result, answered with a correction (更正).
    objection = await pool.fetchrow(
        "SELECT status, outcome, inspection_id FROM objections WHERE id = $1", act.OBJECTION
    )
    assert dict(objection) == {"status": "ANSWERED", "outcome": "CORRECTED", "inspection_id": CASE}
    assert (
        await pool.fetchval("SELECT amendment_count FROM published_results WHERE id = $1", CASE)
        == 1
    )
    # The code 6 (the third inspection, published when a fourth follows) raised a credit risk
    # class proposal, confirmed by the maintaining department: the subject has the new class.
    proposals = await pool.fetch(
        "SELECT p.status, p.to_class, s.state->>'risk_class' AS now"
        " FROM risk_class_proposals p JOIN subjects s ON s.id = p.subject_key"
    )
    expected = [("CONFIRMED", True)] if entered > 3 else []
    assert [(r["status"], r["to_class"] == r["now"]) for r in proposals] == expected
    task = await pool.fetchrow(
        "SELECT t.start_date, t.end_date, p.year FROM tasks t JOIN plans p ON p.id = t.plan_id"
    )
    assert task["start_date"][:4] == task["end_date"][:4] == str(task["year"])
    today = await pool.fetchval("SELECT (now() AT TIME ZONE 'UTC' + interval '8 hours')::date")
    assert task["year"] in (today.year, today.year - 1)  # the year may turn during the run


async def test_demo_loads_once(pool: asyncpg.Pool) -> None:
    runner = _runner(pool)
    report = await load_demo(runner, Regions.load(), subjects=400, inspector_count=60)
    assert report.departments == 16
    assert report.accounts == len(catalogue.ACCOUNTS)
    assert report.items == len(catalogue.ITEMS)
    assert report.item_list == 1
    assert (report.subjects, report.inspectors) == (400, 60)
    assert report.conflicts > 0
    assert await pool.fetchval("SELECT count(*) FROM subjects") == 400
    published = await pool.fetchval(
        "SELECT count(*) FROM inspection_items WHERE status = 'PUBLISHED'"
    )
    assert published == sum(1 for i in catalogue.ITEMS)
    # The demo activity: a draw, results entered by assigned inspectors, approvals,
    # publications on the public record, and a case inspection.
    activity = report.activity
    assert activity is not None and activity.inspections > 0
    assert activity.case == CASE
    entered = min(activity.inspections, act.RESULTS_ENTERED)
    assert (activity.results, activity.approved) == (entered + 1, entered + 1)
    assert activity.published == entered - 1 + 1  # the last stays approved; and the case
    assert (activity.risk_class is not None) == (entered > 3)  # the code 6 was published
    await _check_complete(pool, activity.inspections)
    # The joint meeting: signed and issued minutes, acknowledged by STHJ; two action items,
    # one done on time, one overdue (unless today is 1 January: the meeting and the due date
    # are clamped to the year).
    minute = await pool.fetchval("SELECT state->'minutes'->0 FROM meetings")
    assert (minute["status"], minute["signed_as"]) == ("ISSUED", "VICE_CONVENER")
    assert [a["department"] for a in minute["acknowledgements"]] == ["STHJ"]
    today = await beijing_today(pool)
    items = await pool.fetch("SELECT department, status, due_date FROM action_items ORDER BY id")
    assert [(r["department"], r["status"]) for r in items] == [("STHJ", "DONE"), ("SCJG", "OPEN")]
    overdue = dt.date.fromisoformat(items[1]["due_date"]) < today
    assert overdue == (today != dt.date(today.year, 1, 1))
    # 联络员制度: SCJG's liaison reported the quarter and recorded a training of its inspectors.
    reports = await pool.fetch("SELECT id, state->>'submitted_by' AS by FROM liaison_reports")
    quarter = (today.month - 1) // 3 + 1
    assert [(r["id"], r["by"]) for r in reports] == [
        (f"SCJG-{today.year}-Q{quarter}", "liaison-scjg")
    ]
    training = await pool.fetchval("SELECT state FROM trainings")
    assert (training["department"], len(training["attendees"])) == ("SCJG", 3)
    # The case, approved today: its 20 working days reach next year when today is late in
    # the year, and the report names that year instead of failing.
    async with pool.acquire() as conn:
        calendar = await load_calendar(conn)
        approved = await conn.fetchval("SELECT approved_on FROM inspections WHERE id = $1", CASE)
    try:
        calendar.add_working_days(dt.date.fromisoformat(approved), 20)
        assert activity.undetermined == []
    except NoHolidaySchedule as missing:
        assert any(
            CASE in note and f"runs into {missing.year}" in note for note in activity.undetermined
        ), activity.undetermined
    events = await pool.fetchval("SELECT count(*) FROM events")
    again = await load_demo(runner, Regions.load(), subjects=400, inspector_count=60)
    assert (again.departments, again.accounts, again.items, again.subjects, again.conflicts) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert again.item_list is None
    assert again.activity is not None
    assert (again.activity.inspections, again.activity.results, again.activity.published) == (
        0,
        0,
        0,
    )
    assert again.activity.case is None and again.activity.risk_class is None
    assert await pool.fetchval("SELECT count(*) FROM events") == events


class Interrupted(Exception):
    """Stands for a crash or Ctrl-C in the middle of the demo activity."""


def _stop_at(where: str, n: int, command: Any) -> bool:
    """Where the run is interrupted: the first lifecycle command, the third, or at the case."""
    key = i.command_key(command)
    if where == "case-open":
        return isinstance(command, i.OpenCaseInspection)
    if where == "case-publish":
        return key.startswith(i.CASE_PREFIX) and isinstance(command, i.PublishInspectionResults)
    return n == {"first": 0, "third": 2}[where]


@pytest.mark.parametrize("where", ["first", "third", "case-open", "case-publish"])
async def test_an_interrupted_demo_is_completed_by_the_next_run(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The activity stops before one of its commands; a second run does the rest."""
    runner = _runner(pool)
    real = act.inspections.handle
    calls = 0

    async def flaky(runner: CommandRunner, caller: Any, command: Any) -> Any:
        nonlocal calls
        if _stop_at(where, calls, command):
            raise Interrupted
        calls += 1
        return await real(runner, caller, command)

    monkeypatch.setattr(act.inspections, "handle", flaky)
    with pytest.raises(Interrupted):
        await load_demo(runner, Regions.load(), subjects=400, inspector_count=60)
    monkeypatch.setattr(act.inspections, "handle", real)
    report = await load_demo(runner, Regions.load(), subjects=400, inspector_count=60)
    assert report.activity is not None
    assert report.activity.case == CASE  # opened or finished by the second run
    drawn = await pool.fetchval("SELECT count(*) FROM inspections WHERE origin = 'RANDOM'")
    await _check_complete(pool, drawn)
    events = await pool.fetchval("SELECT count(*) FROM events")
    await load_demo(runner, Regions.load(), subjects=400, inspector_count=60)
    assert await pool.fetchval("SELECT count(*) FROM events") == events
