"""Demo activity: a year's plan, a task, a verifiable draw, and inspections taken through the
lifecycle to the public credit record — through the same services every user goes through.

What it leaves behind (``serve --demo`` shows all of it):

- plan ``{year}-SCJG-DEMO`` (filed) with task ``{year}-SCJG-DEMO-01``: enterprises' public
  information (item SCJG-001, applicable subjects only), 2% drawn, committed to a named
  lottery draw and executed;
- for the first inspections of the draw (in key order) the lead officer's platform account
  (``demo-{staff id}``, INSPECTOR, named in the registry by the catalogue) is opened, and the
  officer enters results: most find no
  problem, one orders a correction with a re-check due, one finds the business unreachable at
  its registered address (code 6: an abnormal-operation proposal once published);
- the lead department's administrator (``scjg-admin``) approves them and publishes all but the
  last, which stays approved and due;
- a case inspection (个案) from a complaint, assigned by ``scjg-admin`` to the demo inspector
  (account ``inspector``) and a colleague, published.

Every date is derived from today (Beijing), so the demo stays valid in any year.  A second run
finds the plan and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from spotcheck.domain import account as a
from spotcheck.domain import draw as dr
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Regions
from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
from spotcheck.services import accounts, draws, inspections, plans, tasks
from spotcheck.services.runner import Caller, CommandRunner

DEPARTMENT = "SCJG"
ITEMS = ("SCJG-001",)
"""企业公示信息的检查: every SCJG officer with LICENSING expertise may be matched."""
RESULTS_ENTERED = 6
"""How many of the draw's inspections get results (the rest stay assigned)."""
CASE_REFERENCE = "12315-DEMO-0001"
LOTTERY = EntropySource(name="中国福利彩票双色球第2026120期红球", kind=SourceKind.NUMBERS)
LOTTERY_NUMBERS = [2, 7, 11, 19, 26, 33]


@dataclass
class ActivityReport:
    inspections: int = 0
    published: int = 0
    case: str | None = None

    def summary(self) -> str:
        return (
            f"demo activity: a draw with {self.inspections} inspections, {self.published} "
            f"published, case {self.case or '-'}"
        )


def _admin() -> Caller:
    return Caller(
        actor=Actor(
            user_id="scjg-admin", department=DEPARTMENT, roles=frozenset({Role.DEPARTMENT_ADMIN})
        ),
        request_id="demo",
    )


def _inspector(user_id: str) -> Caller:
    return Caller(
        actor=Actor(user_id=user_id, department=DEPARTMENT, roles=frozenset({Role.INSPECTOR})),
        request_id="demo",
    )


def _result(item: str, points: int, code: i.ResultCode, follow: i.FollowUp) -> i.ItemResult:
    return i.ItemResult(
        item=item,
        check_points=[
            i.CheckPointResult(point=str(n), mark=i.CheckMark.DONE) for n in range(1, points + 1)
        ],
        code=code,
        findings="" if code is i.ResultCode.R1 else "见检查记录",
        follow_up=follow,
    )


NONE = i.FollowUp(kind=i.FollowUpKind.NONE)


def _results(n: int, today: dt.date, checklists: dict[str, int]) -> list[i.ItemResult]:
    """The results of the n-th inspection: no problem, except a correction and an address."""
    code, follow = i.ResultCode.R1, NONE
    if n == 1:
        code = i.ResultCode.A
        follow = i.FollowUp(
            kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=today + dt.timedelta(days=30)
        )
    elif n == 2:
        code = i.ResultCode.R6
    return [
        _result(
            item,
            checklists[item],
            code if item == ITEMS[0] else i.ResultCode.R1,
            follow if item == ITEMS[0] else NONE,
        )
        for item in sorted(checklists)
    ]


async def load_activity(
    runner: CommandRunner, regions: Regions, checklists: dict[str, int], today: dt.date
) -> ActivityReport:
    """``checklists``: check points per item of ``ITEMS`` (from the demo catalogue)."""
    report = ActivityReport()
    year = today.year
    plan_id, task_id = f"{year}-SCJG-DEMO", f"{year}-SCJG-DEMO-01"
    admin = _admin()
    try:
        await plans.handle(
            runner,
            admin,
            pl.CreatePlan(
                plan_id=plan_id,
                year=year,
                department=DEPARTMENT,
                title=f"{year}年度区市场监管局双随机抽查工作计划（演示）",
                items=list(ITEMS),
            ),
        )
    except DomainError as exc:
        if exc.code is ErrorCode.ALREADY_EXISTS:
            return report  # loaded before
        raise
    await plans.handle(runner, admin, pl.FilePlan(plan_id=plan_id))
    start = max(dt.date(year, 1, 1), today - dt.timedelta(days=45))
    for command in (
        tk.CreateTask(
            task_id=task_id,
            plan_id=plan_id,
            title="企业公示信息双随机抽查（演示）",
            items=list(ITEMS),
            strata=[tk.StratumSpec(id=tk.ALL, ratio_percent=Decimal(2))],
            population=tk.PopulationFilter(
                kinds=[SubjectKind.ENTERPRISE], applicable_items_only=True
            ),
            start_date=start,
            end_date=today + dt.timedelta(days=30),
        ),
        tk.PublishTask(task_id=task_id),
    ):
        await tasks.handle(runner, admin, command, regions)
    await draws.commit(runner, admin, dr.CommitDraw(task_id=task_id, sources=[LOTTERY]))
    value = EntropyValue(name=LOTTERY.name, value=LOTTERY_NUMBERS)
    executed = await draws.execute(runner, admin, dr.ExecuteDraw(task_id=task_id, entropy=[value]))
    assert executed.state is not None
    draw = executed.state.draws[-1]
    report.inspections = draw.assigned
    assert draw.outcome_digest is not None
    outcome = await draws.outcome_of(runner.store.pool, draw.outcome_digest)
    teams = sorted(outcome.assignments, key=lambda x: x.subject)[:RESULTS_ENTERED]
    for n, team in enumerate(teams):
        assert team.lead is not None
        user = await _link_account(runner, team.lead)
        key = dr.inspection_id(task_id, draw.number, team.subject)
        submit = i.SubmitInspectionResults(
            inspection_id=key, inspected_on=today, results=_results(n, today, checklists)
        )
        await inspections.handle(runner, _inspector(user), submit)
        await inspections.handle(runner, admin, i.ApproveInspectionResults(inspection_id=key))
        if n < len(teams) - 1:
            await inspections.handle(runner, admin, i.PublishInspectionResults(inspection_id=key))
            report.published += 1
    report.case = await _case(runner, admin, checklists, today)
    return report


async def _link_account(runner: CommandRunner, staff_id: str) -> str:
    """The platform account of an officer (its registry entry names it): created if missing."""
    async with runner.store.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state->>'user_id' AS user_id, state->>'name' AS name FROM inspectors"
            " WHERE id = $1",
            staff_id,
        )
    if row is None or row["user_id"] is None:
        raise RuntimeError(f"the demo officer {staff_id} has no platform account to link")
    user = str(row["user_id"])
    try:
        await accounts.handle(
            runner,
            _admin(),
            a.CreateAccount(
                user_id=user,
                display_name=row["name"] or staff_id,
                department=DEPARTMENT,
                roles=[Role.INSPECTOR],
            ),
        )
    except DomainError as exc:
        if exc.code is not ErrorCode.ALREADY_EXISTS:
            raise
    return user


async def _case(
    runner: CommandRunner,
    admin: Caller,
    checklists: dict[str, int],
    today: dt.date,
) -> str | None:
    """A complaint (投诉举报) about a drawn-for subject, inspected at once by the demo inspector."""
    async with runner.store.pool.acquire() as conn:
        subject = await conn.fetchval(
            "SELECT id FROM subjects WHERE kind = 'ENTERPRISE' AND status = 'ACTIVE'"
            " AND state->'items' @> ($1::text)::jsonb ORDER BY id DESC LIMIT 1",
            f'["{ITEMS[0]}"]',
        )
        rows = await conn.fetch(
            "SELECT state FROM inspectors WHERE department = $1 ORDER BY id", DEPARTMENT
        )
    # The demo inspector (account ``inspector``) leads; a colleague joins.  Both must be on
    # duty with a valid certificate and free of a conflict with the subject (回避).
    able = [
        state
        for state in (ins.SPEC.state_from_data(r["state"]) for r in rows)
        if subject is not None
        and state.kind is not ins.InspectorKind.EXPERT
        and ins.eligible_on(state, today)
        and not ins.has_conflict(state, subject)
    ]
    me = next((x.staff_id for x in able if x.user_id == "inspector"), None)
    partner = next((x.staff_id for x in able if x.user_id != "inspector"), None)
    if me is None or partner is None or subject is None:
        return None
    opened = await inspections.handle(
        runner,
        admin,
        i.OpenCaseInspection(
            department=DEPARTMENT,
            reference=CASE_REFERENCE,
            source=i.CaseSource.COMPLAINT,
            subject=subject,
            items=[ITEMS[0]],
            officers=[me, partner],
            reason="12315热线投诉：公示的经营场所与实际不符，依法立即核查",
            end_date=today + dt.timedelta(days=10),
        ),
    )
    assert opened.state is not None
    key = opened.state.inspection_id
    results = [_result(ITEMS[0], checklists[ITEMS[0]], i.ResultCode.E, NONE)]
    submit = i.SubmitInspectionResults(inspection_id=key, inspected_on=today, results=results)
    await inspections.handle(runner, _inspector("inspector"), submit)
    await inspections.handle(runner, admin, i.ApproveInspectionResults(inspection_id=key))
    await inspections.handle(runner, admin, i.PublishInspectionResults(inspection_id=key))
    return key
