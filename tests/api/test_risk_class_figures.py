"""差异化监管 ``riskClassFigures``: per credit risk class, the draw ratio and the inspection rate
of the year's class-stratified draws, against a hand-computed scene.

The scene (tests/api/test_draws.py's task T2026-DRAW, start 2026-05-06): twelve SCJG subjects,
class A (even) and D (odd), six each; strata A at 50% (k 3) and D a count of 2.  Draw 1 is
executed and voided (counts nowhere); draw 2 is executed.  Results are submitted for two of
draw 2's A picks and one of its D picks.  So, in 2026:

    class  population  drawn  ratio  inspected  rate
    A      6           3      1/2    2          2/6
    B, C   0           0      null   0          null
    D      6           2      1/3    1          1/6
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import draw as d
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain.actor import Role
from spotcheck.services import accounts, inspections, inspectors
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller
from tests.api import test_draws as dr
from tests.api.conftest import GQL, SEED, seed_people
from tests.clock import DbClock

pytestmark = pytest.mark.calendar

DAY = dt.date(2026, 11, 26)
FIGURES = """query($year: Int!, $department: String) {
  riskClassFigures(year: $year, department: $department) {
    riskClass draws population drawn drawRatio inspected inspectionRate } }"""


@pytest.fixture(autouse=True)
def on_the_day(db_clock: DbClock) -> None:
    db_clock.travel_to_day(DAY, hour=10)


async def link_officers(app: Starlette) -> dict[str, str]:
    """An INSPECTOR account per SCJG officer: staff id → user id."""
    users = {}
    for n, staff in enumerate(dr.OFFICERS, 1):
        user = f"risk-o{n}"
        account = a.CreateAccount(
            user_id=user, display_name=user, department="SCJG", roles=[Role.INSPECTOR]
        )
        assert (await accounts.handle(app.state.runner, SEED, account)).events
        link = ins.UpdateInspector(staff_id=staff, user_id=user, reason="绑定账号")
        assert (await inspectors.handle(app.state.runner, SEED, link)).events
        users[staff] = user
    return users


async def submit(app: Starlette, users: dict[str, str], subject: str) -> None:
    key = d.inspection_id(dr.TASK, 2, subject)
    lead = await app.state.pool.fetchval("SELECT lead FROM inspections WHERE id = $1", key)
    caller = Caller(actor=await load_actor(app.state.pool, users[lead]), request_id="risk")
    result = i.ItemResult(
        item=dr.FOOD,
        check_points=[i.CheckPointResult(point="1", mark=i.CheckMark.DONE)],
        code=i.ResultCode.R1,
        findings="",
        follow_up=i.FollowUp(kind=i.FollowUpKind.NONE),
    )
    command = i.SubmitInspectionResults(
        inspection_id=key, inspected_on=dt.date(2026, 5, 20), results=[result]
    )
    assert (await inspections.handle(app.state.runner, caller, command)).events


@pytest.fixture
async def scene(app: Starlette, gql: GQL) -> None:
    await seed_people(app.state.runner)
    await dr.seed_registry(app.state.runner, app.state.regions)
    await dr.publish_task(app.state.runner, app.state.regions)
    users = await link_officers(app)
    assert (await dr.commit(gql))["errors"] == []
    assert (await dr.execute(gql))["errors"] == []
    voided = await gql(dr.VOID, as_user="admin", input={"taskId": dr.TASK, "reason": "重抽"})
    assert voided["data"]["voidDraw"]["errors"] == []
    assert (await dr.commit(gql))["errors"] == []
    assert (await dr.execute(gql))["errors"] == []
    digest = await app.state.pool.fetchval(
        "SELECT state->'draws'->1->>'outcome_digest' FROM draws WHERE id = $1", dr.TASK
    )
    outcome = await app.state.pool.fetchval(
        "SELECT convert_from(content, 'UTF8')::jsonb FROM draw_blobs WHERE digest = $1", digest
    )
    picks = {x["stratum"]: x["picks"] for x in outcome["selection"]}
    assert {k: len(v) for k, v in picks.items()} == {"A": 3, "D": 2}
    for subject in (*picks["A"][:2], picks["D"][0]):
        await submit(app, users, subject)


def rows(r: dict[str, Any]) -> list[tuple[Any, ...]]:
    assert "errors" not in r, r
    return [tuple(x.values()) for x in r["data"]["riskClassFigures"]]


async def test_draw_ratio_and_inspection_rate_per_class(gql: GQL, scene: None) -> None:
    expected = [
        ("A", 1, 6, 3, 0.5, 2, 2 / 6),
        ("B", 0, 0, 0, None, 0, None),
        ("C", 0, 0, 0, None, 0, None),
        ("D", 1, 6, 2, 2 / 6, 1, 1 / 6),
    ]
    assert rows(await gql(FIGURES, as_user="inspector", year=2026)) == expected
    assert rows(await gql(FIGURES, as_user="admin", year=2026, department="SCJG")) == expected
    empty = [(c, 0, 0, 0, None, 0, None) for c in "ABCD"]
    assert rows(await gql(FIGURES, as_user="admin", year=2026, department="STHJ")) == empty
    assert rows(await gql(FIGURES, as_user="admin", year=2025)) == empty
    assert (await gql(FIGURES, year=2026))["data"]["riskClassFigures"] is None  # the public

    bad = await gql(FIGURES, as_user="admin", year=2026, department="NOPE")
    assert bad["errors"][0]["extensions"]["code"] == "UNKNOWN_DEPARTMENT"
