"""统计 Statistics through GraphQL against a hand-computed scene made with the real services:
draws, a voided draw, results, approval, publication, a case counted apart, a repeat-inspected
subject.  (A late publication needs approval and publication on different days, which the
database clock does not allow here: the pure aggregation tests, tests/domain/test_statistics.py,
compute late, deadline-unknown and joint figures by hand.)

The scene, year Y = this Beijing year (every task starts on Y-01-01, so it is never in the
future):
- SCJG subjects S0..S5 (registry 6); tags: S0 S1 t1; S2 t1 t2; S3 t2; S4 S5 t3.
- Items FOOD (officers O1 O2 have FOOD) and SPEC (officers O3 O4 have SPEC): each team is
  fixed, whatever the draw picks.
- T1 ROUTINE, FOOD, population t1 (3), draws all 3: RANDOM inspections of S0 S1 S2.
- T2 SPECIAL, SPEC, population t2 (2), draws both: SPECIAL inspections of S2 S3.
- T3 ROUTINE, FOOD, population t3 (2), draws 1, then voided: counts nowhere.
- Case CASE/SCJG/TS-001 on S0 (FOOD, O1 lead, O2).
- Results: T1 S0 code A (problem), published; S1 code 1, published; S2 code 1, approved
  only.  T2 S2 code 6 (problem), submitted only; S3 nothing.  Case code D (problem), approved
  and published.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest
from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import draw as d
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import plan as pl
from spotcheck.domain import subject as s
from spotcheck.domain import task as tk
from spotcheck.domain.actor import Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
from spotcheck.services import (
    accounts,
    draws,
    inspections,
    inspectors,
    items,
    plans,
    subjects,
    tasks,
)
from spotcheck.services import statistics as st
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api.calendars import ensure_schedules
from tests.api.conftest import GQL, SEED, People, seed_people

pytestmark = pytest.mark.calendar  # figures are as of today

FOOD, SPEC = "SCJG-STAT-FOOD", "SCJG-STAT-SPEC"
T1, T2, T3 = "T-STAT-1", "T-STAT-2", "T-STAT-3"
TAGS = [["t1"], ["t1"], ["t1", "t2"], ["t2"], ["t3"], ["t3"]]
KEYS = [reg.uscc(7000 + n) for n in range(len(TAGS))]
S0, S1, S2, S3 = KEYS[:4]
CASE_ID = "CASE/SCJG/TS-001"
SOURCE = EntropySource(name="双色球 2026045 蓝球", kind=SourceKind.NUMBERS)

FIGURES = """
departments registrySubjects
byOrigin { origin draws population drawn jointParticipation inspected approved published
           publishedOnTime publishedLate overdue deadlineUnknown results problems problemRate
           byResultCode { code description count share }
           coverage { item inspections inspected subjects population coverage } }
repeatInspection { subjects repeated rate }
workload { staffId origin assigned done asLead }
"""
QUERY = (
    "query($year: Int!, $department: String) { statistics(year: $year, department: $department)"
    " { year asOf departments { department "
    + FIGURES.replace("departments ", "")
    + " } district { department "
    + FIGURES.replace("departments ", "")
    + " } } }"
)


async def caller(app: Starlette, user: str) -> Caller:
    return Caller(actor=await load_actor(app.state.pool, user), request_id="test-statistics")


async def beijing_today(app: Starlette) -> dt.date:
    return i.beijing_date(await app.state.pool.fetchval("SELECT now()"))


def result(item: str, code: i.ResultCode, today: dt.date) -> i.ItemResult:
    follow_up = (
        i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=today + dt.timedelta(days=30))
        if code is i.ResultCode.A
        else i.FollowUp(kind=i.FollowUpKind.NONE)
    )
    return i.ItemResult(
        item=item,
        check_points=[i.CheckPointResult(point="1", mark=i.CheckMark.DONE)],
        code=code,
        findings="" if code is i.ResultCode.R1 else "发现问题 " + code.value,
        follow_up=follow_up,
    )


async def run(app: Starlette, user: str, command: i.InspectionCommand) -> None:
    out = await inspections.handle(app.state.runner, await caller(app, user), command)
    assert out.events, command


async def draw(app: Starlette, task_id: str) -> None:
    runner = app.state.runner
    assert (
        await draws.commit(runner, SEED, d.CommitDraw(task_id=task_id, sources=[SOURCE]))
    ).events
    value = EntropyValue(name=SOURCE.name, value=[12])
    out = await draws.execute(runner, SEED, d.ExecuteDraw(task_id=task_id, entropy=[value]))
    assert out.state is not None and out.state.draws[-1].unmatched == 0


async def seed_scene(app: Starlette) -> tuple[int, dt.date]:
    runner, regions = app.state.runner, app.state.regions
    await seed_people(runner)
    today = await beijing_today(app)
    year = today.year
    await ensure_schedules(app, [year, year + 1])
    for item_code, expertise in ((FOOD, "FOOD"), (SPEC, "SPEC")):
        c = msgspec.structs.replace(reg.item_content("统计" + expertise), expertise=[expertise])
        create = it.CreateItem(code=item_code, department="SCJG", content=c)
        assert (await items.handle(runner, SEED, create)).events
        assert (await items.handle(runner, SEED, it.PublishItem(code=item_code))).events
    for key, tags in zip(KEYS, TAGS, strict=True):
        out = await subjects.handle(
            runner,
            SEED,
            s.RegisterSubject(
                kind=SubjectKind.ENTERPRISE,
                uscc=key,
                name="统计对象" + key[-4:],
                region="fangzhuang",
                legal_representative="李四",
                maintaining_department="SCJG",
                tags=tags,
            ),
            regions,
        )
        assert out.events
    for n, expertise in ((1, "FOOD"), (2, "FOOD"), (3, "SPEC"), (4, "SPEC")):
        user = f"o{n}"
        await accounts.handle(
            runner,
            SEED,
            a.CreateAccount(
                user_id=user, display_name=user, department="SCJG", roles=[Role.INSPECTOR]
            ),
        )
        registered = await inspectors.handle(
            runner,
            SEED,
            ins.RegisterInspector(
                staff_id=f"O{n}",
                name=f"检查员{n}",
                department="SCJG",
                kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
                certificate_number=f"ZF-STAT-{n}",
                certificate_valid_from=dt.date(year - 1, 1, 1),
                certificate_valid_until=dt.date(year + 2, 12, 31),
                expertise=[expertise],
                user_id=user,
            ),
        )
        assert registered.events
    plan_id = f"{year}-SCJG-STAT"
    plan = pl.CreatePlan(
        plan_id=plan_id, year=year, department="SCJG", title="统计", items=[FOOD, SPEC]
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=plan_id))).events
    trigger = tk.SpecialTrigger(kind=tk.TriggerKind.COMPLAINT_CLUSTER, description="投诉集中")
    for task_id, item, tag, count, kind in (
        (T1, FOOD, "t1", 3, tk.TaskKind.ROUTINE),
        (T2, SPEC, "t2", 2, tk.TaskKind.SPECIAL),
        (T3, FOOD, "t3", 1, tk.TaskKind.ROUTINE),
    ):
        for command in (
            tk.CreateTask(
                task_id=task_id,
                plan_id=plan_id,
                title="统计" + task_id,
                items=[item],
                strata=[tk.StratumSpec(id=tk.ALL, count=count)],
                population=tk.PopulationFilter(tags=[tag]),
                exclusions=tk.Exclusions(exclude_drawn_same_period=False),
                start_date=dt.date(year, 1, 1),
                end_date=dt.date(year, 12, 31),
                kind=kind,
                trigger=trigger if kind is tk.TaskKind.SPECIAL else None,
            ),
            tk.PublishTask(task_id=task_id),
        ):
            assert (await tasks.handle(runner, SEED, command, regions)).events
        await draw(app, task_id)
    void = d.VoidDraw(task_id=T3, reason="测试作废 voided for the test")
    assert (await draws.void(runner, SEED, void)).events

    await run(
        app,
        "scjg-admin",
        i.OpenCaseInspection(
            department="SCJG",
            reference="TS-001",
            source=i.CaseSource.COMPLAINT,
            subject=S0,
            items=[FOOD],
            officers=["O1", "O2"],
            reason="投诉举报 complaint",
            end_date=dt.date(year, 12, 31),
        ),
    )
    t1 = {k: d.inspection_id(T1, 1, k) for k in (S0, S1, S2)}
    t2 = {k: d.inspection_id(T2, 1, k) for k in (S2, S3)}
    for key, item, code, user, steps in (
        (t1[S0], FOOD, i.ResultCode.A, "o1", 2),
        (t1[S1], FOOD, i.ResultCode.R1, "o2", 2),
        (t1[S2], FOOD, i.ResultCode.R1, "o1", 1),
        (t2[S2], SPEC, i.ResultCode.R6, "o3", 0),
        (CASE_ID, FOOD, i.ResultCode.D, "o1", 2),
    ):
        submit = i.SubmitInspectionResults(
            inspection_id=key, inspected_on=today, results=[result(item, code, today)]
        )
        await run(app, user, submit)
        if steps >= 1:
            await run(app, "scjg-admin", i.ApproveInspectionResults(inspection_id=key))
        if steps >= 2:
            await run(app, "scjg-admin", i.PublishInspectionResults(inspection_id=key))
    return year, today


@pytest.fixture
async def scene(app: Starlette) -> tuple[int, dt.date]:
    return await seed_scene(app)


def origin(figures: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in figures["byOrigin"] if o["origin"] == name)
    return found


def counts(o: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        o[k]
        for k in (
            "draws",
            "population",
            "drawn",
            "jointParticipation",
            "inspected",
            "approved",
            "published",
            "publishedOnTime",
            "publishedLate",
            "overdue",
            "deadlineUnknown",
            "results",
            "problems",
        )
    )


def codes(o: dict[str, Any]) -> dict[str, tuple[int, float | None]]:
    return {c["code"]: (c["count"], c["share"]) for c in o["byResultCode"] if c["count"]}


async def test_statistics_of_the_scene(gql: GQL, scene: tuple[int, dt.date]) -> None:
    year, today = scene
    r = await gql(QUERY, as_user="inspector", year=year)  # any staff member
    assert "errors" not in r, r
    stats = r["data"]["statistics"]
    assert (stats["year"], stats["asOf"]) == (year, today.isoformat())
    assert [x["department"] for x in stats["departments"]] == ["SCJG", "STHJ"]
    scjg, sthj = stats["departments"]
    district = stats["district"]
    assert district["department"] is None
    assert (scjg["registrySubjects"], sthj["registrySubjects"], district["registrySubjects"]) == (
        6,
        0,
        6,
    )
    assert [o["origin"] for o in scjg["byOrigin"]] == ["RANDOM", "SPECIAL", "CASE"]
    for figures in (scjg, district):  # SCJG led everything: the district is the same
        rnd, spc, case = (origin(figures, o) for o in ("RANDOM", "SPECIAL", "CASE"))
        # RANDOM: T1 only (T3's draw is voided): population 3, drawn 3, inspected 3, approved
        # 3, published 2, both on time (published the day the task completed); results A, 1,
        # 1: one problem of 3.  The case is not in here.
        assert counts(rnd) == (1, 3, 3, 0, 3, 3, 2, 2, 0, 0, 0, 3, 1)
        assert rnd["problemRate"] == pytest.approx(1 / 3)
        assert codes(rnd) == {"R1": (2, pytest.approx(2 / 3)), "A": (1, pytest.approx(1 / 3))}
        assert rnd["coverage"] == [
            {
                "item": FOOD,
                "inspections": 3,
                "inspected": 3,
                "subjects": 3,
                "population": 3,
                "coverage": 1.0,
            }
        ]
        # SPECIAL: T2: population 2, drawn 2, one inspected (code 6, a problem), none approved.
        assert counts(spc) == (1, 2, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1)
        assert spc["problemRate"] == 1.0
        assert codes(spc) == {"R6": (1, 1.0)}
        assert spc["coverage"] == [
            {
                "item": SPEC,
                "inspections": 2,
                "inspected": 1,
                "subjects": 1,
                "population": 2,
                "coverage": 0.5,
            }
        ]
        # CASE, counted apart: no draw, no population; opened 1, inspected, approved,
        # published on time (from its own approval); code D.
        assert counts(case) == (0, None, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1)
        assert codes(case) == {"D": (1, 1.0)}
        assert case["coverage"][0]["population"] is None
        assert case["coverage"][0]["coverage"] is None
        # Subjects given RANDOM or SPECIAL inspections: S0 S1 S2 S3; S2 twice (T1 and T2).
        # S0's case does not make it a repeat.
        assert figures["repeatInspection"] == {"subjects": 4, "repeated": 1, "rate": 0.25}
        work = {(w["staffId"], w["origin"]): w for w in figures["workload"]}
        assert list(work) == [  # by staff id, then RANDOM, SPECIAL, CASE
            ("O1", "RANDOM"),
            ("O1", "CASE"),
            ("O2", "RANDOM"),
            ("O2", "CASE"),
            ("O3", "SPECIAL"),
            ("O4", "SPECIAL"),
        ]
        assert [(w["assigned"], w["done"]) for w in figures["workload"]] == [
            (3, 3),  # O1 RANDOM: every T1 team is O1 + O2; all submitted
            (1, 1),  # O1 CASE
            (3, 3),  # O2 RANDOM
            (1, 1),  # O2 CASE
            (2, 1),  # O3 SPECIAL: T2's teams are O3 + O4; one submitted
            (2, 1),  # O4 SPECIAL
        ]
        # One lead per inspection: 3 in T1, 2 in T2; the case's lead is O1, named first.
        assert work[("O1", "RANDOM")]["asLead"] + work[("O2", "RANDOM")]["asLead"] == 3
        assert work[("O3", "SPECIAL")]["asLead"] + work[("O4", "SPECIAL")]["asLead"] == 2
        assert (work[("O1", "CASE")]["asLead"], work[("O2", "CASE")]["asLead"]) == (1, 0)
    # STHJ has nothing but the figures' shape.
    assert all(counts(o)[2:] == (0,) * 11 for o in sthj["byOrigin"])
    assert sthj["repeatInspection"] == {"subjects": 0, "repeated": 0, "rate": None}


async def test_overdue_as_of_a_later_day(app: Starlette, scene: tuple[int, dt.date]) -> None:
    """T1 completed today; its deadline is 20 working days on.  A year later, T1's S2
    (approved, unpublished) is overdue; the published ones stay on time."""
    year, today = scene
    later = today + dt.timedelta(days=365)
    y = await st.year_statistics(app.state.pool, year, today=later)
    rnd = y.district.origins[i.InspectionOrigin.RANDOM]
    assert (rnd.published_on_time, rnd.published_late, rnd.overdue) == (2, 0, 1)
    case = y.district.origins[i.InspectionOrigin.CASE]
    assert (case.published_on_time, case.overdue) == (1, 0)
    # Today nothing is overdue yet.
    now = await st.year_statistics(app.state.pool, year, today=today)
    assert now.district.origins[i.InspectionOrigin.RANDOM].overdue == 0
    # Another year has none of it.
    empty = await st.year_statistics(app.state.pool, year - 1)
    assert all(o.drawn == 0 for o in empty.district.by_origin())


async def test_one_department_and_argument_errors(gql: GQL, scene: tuple[int, dt.date]) -> None:
    year, _ = scene
    r = await gql(QUERY, as_user="sthj-admin", year=year, department="STHJ")
    stats = r["data"]["statistics"]
    assert [x["department"] for x in stats["departments"]] == ["STHJ"]
    assert origin(stats["district"], "RANDOM")["drawn"] == 3  # the district stays whole
    for variables, code, field in (
        ({"year": year, "department": "NOPE"}, "UNKNOWN_DEPARTMENT", "department"),
        ({"year": 1999}, "OUT_OF_RANGE", "year"),
    ):
        r = await gql(QUERY, as_user="admin", **variables)
        assert r["data"]["statistics"] is None
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r["errors"]] == [
            (code, field)
        ]


async def test_public_and_users_without_a_role_get_null(app: Starlette, gql: GQL) -> None:
    people: People = await seed_people(app.state.runner)
    for user in (None, people.nobody):
        r = await gql(QUERY, as_user=user, year=2026)
        assert r == {"data": {"statistics": None}}
    r = await gql(QUERY, as_user=people.auditor, year=2026)
    assert r["data"]["statistics"]["year"] == 2026
