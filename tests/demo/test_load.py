"""The demo loads through the real services, completely, and a second load writes nothing."""

from __future__ import annotations

import asyncpg

from spotcheck.demo import catalogue
from spotcheck.demo.load import load_demo
from spotcheck.domain.regions import Regions
from spotcheck.eventstore import EventStore
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner


async def test_demo_loads_once(pool: asyncpg.Pool) -> None:
    runner = CommandRunner(EventStore(pool, event_registry()), projections())
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
    assert activity.case == "CASE/SCJG/12315-DEMO-0001"
    drawn = await pool.fetchval("SELECT count(*) FROM inspections WHERE origin = 'RANDOM'")
    assert drawn == activity.inspections
    published = await pool.fetchval("SELECT count(*) FROM published_results")
    assert published == activity.published + 1  # and the case
    assert activity.published == min(activity.inspections, 6) - 1
    lifecycles = await pool.fetch(
        "SELECT lifecycle, count(*) AS n FROM inspections GROUP BY 1 ORDER BY 1"
    )
    assert {r["lifecycle"]: r["n"] for r in lifecycles} == {
        k: v
        for k, v in {
            "APPROVED": 1,
            "ASSIGNED": activity.inspections - min(activity.inspections, 6),
            "PUBLISHED": activity.published + 1,
        }.items()
        if v
    }
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
    assert again.activity is not None and again.activity.inspections == 0
    assert await pool.fetchval("SELECT count(*) FROM events") == events
