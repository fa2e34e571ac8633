"""Inspections (检查) in every lifecycle state the inspection mutations start from, per tag, for
the authorization matrix: one executed draw per tag (its own task and subject) whose team is
``MATRIX_OFFICERS`` (the first linked to the ``inspector`` account)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette

from spotcheck.domain import draw as dr
from spotcheck.domain import inspection as i
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.subject import RegisterSubject
from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
from spotcheck.services import draws, inspections, inspectors, plans, subjects, tasks
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api.conftest import SEED

MATRIX_PLAN = "2026-SCJG-MATRIX-INSPECTIONS"
MATRIX_OFFICERS = ("SCJG-INS-1", "SCJG-INS-2")
TEAM_CALLER = Caller(
    actor=Actor(user_id="inspector", department="SCJG", roles=frozenset({Role.INSPECTOR}))
)
YEAR = i.beijing_date(dt.datetime.now(dt.UTC)).year
"""The plan year of the matrix's tasks: this year, so that scheduling (today or later, inside
the task's dates) and entering results work whatever the date the suite runs on."""
INSPECTED_ON = dt.date(YEAR, 1, 1)
BEFORE: dict[str, i.LifecycleStatus] = {
    "scheduleInspection": i.LifecycleStatus.ASSIGNED,
    "submitInspectionResults": i.LifecycleStatus.ASSIGNED,
    "returnInspectionResults": i.LifecycleStatus.RESULTS_SUBMITTED,
    "approveInspectionResults": i.LifecycleStatus.RESULTS_SUBMITTED,
    "publishInspectionResults": i.LifecycleStatus.APPROVED,
    "amendInspectionResult": i.LifecycleStatus.APPROVED,
    "recordCorrectionRecheck": i.LifecycleStatus.APPROVED,
    "updateCaseTransfer": i.LifecycleStatus.APPROVED,
}
"""The state each mutation's inspections are brought to."""


def task_of(tag: str, mutation: str) -> str:
    return f"TI-{mutation}-{tag}"


def subject_of(tag: str, mutation: str) -> str:
    return f"PRODUCT:SCJG:I-{mutation}-{tag}"


def inspection_of(tag: str, mutation: str) -> str:
    return dr.inspection_id(task_of(tag, mutation), 1, subject_of(tag, mutation))


def result(
    code: i.ResultCode = i.ResultCode.R1, follow_up: i.FollowUp | None = None
) -> i.ItemResult:
    return i.ItemResult(
        item=reg.LIVE_ITEM,
        check_points=[i.CheckPointResult(point="1", mark=i.CheckMark.DONE)],
        code=code,
        findings="" if code is i.ResultCode.R1 else "发现问题",
        follow_up=follow_up or i.FollowUp(kind=i.FollowUpKind.NONE),
    )


def result_input(code: str = "R1", follow_up: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "item": reg.LIVE_ITEM,
        "checkPoints": [{"point": "1", "mark": "DONE"}],
        "code": code,
        "findings": "" if code == "R1" else "发现问题",
        "followUp": follow_up or {"kind": "NONE"},
    }


def today() -> dt.date:
    return i.beijing_date(dt.datetime.now(dt.UTC))


async def seed_inspections(app: Starlette, mutation: str, tags: Iterable[str] = reg.TAGS) -> None:
    """Per tag: a task, a subject and an executed draw giving one inspection, brought to the
    state ``BEFORE[mutation]`` (``ORDER_TO_CORRECT`` for a re-check, ``CASE_TRANSFER`` for a
    transfer update).  Needs ``seed_matrix`` first (``LIVE_ITEM``)."""
    runner = app.state.runner
    for n, staff in enumerate(MATRIX_OFFICERS):
        out = await inspectors.handle(
            runner,
            SEED,
            reg.officer(
                staff,
                valid_until=dt.date(2030, 12, 31),
                user_id="inspector" if n == 0 else None,
            ),
        )
        assert out.events
    plan = pl.CreatePlan(
        plan_id=MATRIX_PLAN, year=YEAR, department="SCJG", title="检查", items=[reg.LIVE_ITEM]
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=MATRIX_PLAN))).events
    if mutation == "openCaseInspection":
        return
    for tag in tags:
        task, subject = task_of(tag, mutation), subject_of(tag, mutation)
        label = f"I{tag}"
        out = await subjects.handle(
            runner,
            SEED,
            RegisterSubject(
                kind=SubjectKind.PRODUCT,
                identifier=subject,
                name="产品" + subject,
                region="fangzhuang",
                maintaining_department="SCJG",
                tags=[label],
            ),
            app.state.regions,
        )
        assert out.events
        for command in (
            tk.CreateTask(
                task_id=task,
                plan_id=MATRIX_PLAN,
                title="检查" + tag,
                items=[reg.LIVE_ITEM],
                strata=[tk.StratumSpec(id=tk.ALL, ratio_percent=Decimal(100))],
                population=tk.PopulationFilter(tags=[label]),
                start_date=dt.date(YEAR, 1, 1),
                end_date=dt.date(YEAR, 12, 31),
            ),
            tk.PublishTask(task_id=task),
        ):
            assert (await tasks.handle(runner, SEED, command, app.state.regions)).events
        source = EntropySource(name="双色球 2026045 红球", kind=SourceKind.NUMBERS)
        assert (
            await draws.commit(runner, SEED, dr.CommitDraw(task_id=task, sources=[source]))
        ).events
        value = EntropyValue(name=source.name, value=[3, 6, 9, 14, 21, 30])
        out = await draws.execute(runner, SEED, dr.ExecuteDraw(task_id=task, entropy=[value]))
        assert out.state is not None and out.state.draws[0].assigned == 1
        target = BEFORE[mutation]
        if target is i.LifecycleStatus.ASSIGNED:
            continue
        key = inspection_of(tag, mutation)
        if mutation == "recordCorrectionRecheck":
            r = result(
                i.ResultCode.A,
                i.FollowUp(
                    kind=i.FollowUpKind.ORDER_TO_CORRECT,
                    correct_by=INSPECTED_ON + dt.timedelta(days=30),
                ),
            )
        elif mutation == "updateCaseTransfer":
            r = result(
                i.ResultCode.D,
                i.FollowUp(kind=i.FollowUpKind.CASE_TRANSFER, receiving_body="区市场监管局执法队"),
            )
        else:
            r = result()
        submit = i.SubmitInspectionResults(
            inspection_id=key, inspected_on=INSPECTED_ON, results=[r]
        )
        assert (await inspections.handle(runner, TEAM_CALLER, submit)).events
        if target is i.LifecycleStatus.APPROVED:
            approve = i.ApproveInspectionResults(inspection_id=key)
            assert (await inspections.handle(runner, SEED, approve)).events
