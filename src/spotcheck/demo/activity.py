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
  its registered address (code 6: an abnormal-operation proposal and a credit risk class
  proposal once published);
- the lead department's administrator (``scjg-admin``) approves them and publishes all but the
  last, which stays approved and due;
- a case inspection (个案) from a complaint, assigned by ``scjg-admin`` to the demo inspector
  (account ``inspector``) and a colleague, published;
- the credit risk class proposal (信用风险分类) that code 6 raised is confirmed by the
  subject's maintaining department's administrator (``scjg-admin`` or ``sthj-admin``; for
  another department the system administrator ``admin``), so the subject's class changes;
- an objection (异议, reference ``OBJ-0000000000DE0001``) by the business to that published
  result, filed through the public path with its USCC; ``scjg-admin`` amends the result citing
  the objection and answers it CORRECTED, so the credit record shows the correction;
- SCJG's liaison report of the current quarter and a training of SCJG's inspectors
  (``demo/liaison.py``).

Every date is derived from today (Beijing, by the database clock) and stays inside the plan's
year: the task runs from 45 days before today (at the earliest 1 January) to 30 days after (at
the latest 31 December), so the demo loads on any day of the year, 1 January and 31 December
included.  Each step looks at what the record already holds and does only what is missing, so
a run that was interrupted (a crash, Ctrl-C, a refused step) is completed by the next one and a
complete demo writes nothing.  Results approved late in December have a publication deadline in
a year whose holiday schedule may not be known yet: the report names such deadlines as
undetermined (``spotcheck`` never guesses a schedule) instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from spotcheck.clock import beijing_today
from spotcheck.demo.liaison import load_liaison
from spotcheck.demo.meeting import load_meeting
from spotcheck.domain import account as a
from spotcheck.domain import credit_risk as cr
from spotcheck.domain import draw as dr
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain import objection as ob
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.actor import PUBLIC, Actor, Role
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Regions
from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
from spotcheck.services import accounts, creditrisk, draws, inspections, objections, plans, tasks
from spotcheck.services.deadlines import deadlines, load_calendar
from spotcheck.services.runner import Caller, CommandRunner

S = TypeVar("S")

DEPARTMENT = "SCJG"
ITEMS = ("SCJG-001",)
"""企业公示信息的检查: every SCJG officer with LICENSING expertise may be matched."""
RESULTS_ENTERED = 6
"""How many of the draw's inspections get results (the rest stay assigned)."""
CASE_REFERENCE = "12315-DEMO-0001"
OBJECTION = "OBJ-0000000000DE0001"
LOTTERY = EntropySource(name="中国福利彩票双色球第2026120期红球", kind=SourceKind.NUMBERS)
LOTTERY_NUMBERS = [2, 7, 11, 19, 26, 33]


@dataclass
class ActivityReport:
    """What one run of the demo activity wrote (a complete demo run again writes nothing)."""

    inspections: int = 0
    """Inspections assigned by the draw executed in this run (0 if it ran before)."""
    results: int = 0
    approved: int = 0
    published: int = 0
    case: str | None = None
    """The case inspection (个案) if this run opened or advanced it."""
    objection: str | None = None
    """The objection (异议) if this run filed or answered it."""
    risk_class: str | None = None
    """The inspection whose credit risk class proposal this run confirmed."""
    meeting: str = "-"
    """What this run did of the joint meeting's demo (``demo/meeting.py``)."""
    liaison: str = "-"
    """The liaison report and training the demo holds (``demo/liaison.py``)."""
    undetermined: list[str] = field(default_factory=list)
    """Publication deadlines that run into a year without a holiday schedule (their status is
    UNDETERMINED unless it is settled without the date, e.g. published before that year)."""

    def summary(self) -> str:
        text = (
            f"demo activity: a draw with {self.inspections} inspections, {self.results} results "
            f"entered, {self.approved} approved, {self.published} published, case "
            f"{self.case or '-'}, objection {self.objection or '-'}, risk class change "
            f"{self.risk_class or '-'}; {self.meeting}; {self.liaison}"
        )
        for note in self.undetermined:
            text += f"; {note}"
        return text


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


def task_dates(today: dt.date, year: int) -> tuple[dt.date, dt.date]:
    """The demo task's dates: around today, inside the plan's ``year`` (a run that began on
    31 December and reaches the task after midnight still plans it in the old year)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    day = min(max(today, first), last)
    return max(first, day - dt.timedelta(days=45)), min(last, day + dt.timedelta(days=30))


async def _state(runner: CommandRunner, spec: AggregateSpec[S], key: str) -> S | None:
    """An aggregate's state as the record holds it now (None if it has no events)."""
    events = await runner.store.read_stream(spec.stream_id(key))
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


async def _today(runner: CommandRunner) -> dt.date:
    """Read again before each dated step: a run may cross midnight (or the year's end)."""
    return await beijing_today(runner.store.pool)


async def load_activity(
    runner: CommandRunner, regions: Regions, checklists: dict[str, int]
) -> ActivityReport:
    """``checklists``: check points per item of ``ITEMS`` (from the demo catalogue)."""
    report = ActivityReport()
    admin = _admin()
    today = await _today(runner)
    year = today.year
    plan_id, task_id = f"{year}-SCJG-DEMO", f"{year}-SCJG-DEMO-01"
    plan = await _state(runner, pl.SPEC, plan_id)
    if plan is None:
        plan = (
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
        ).state
    assert plan is not None
    if plan.status is pl.PlanStatus.DRAFT:
        await plans.handle(runner, admin, pl.FilePlan(plan_id=plan_id))
    task = await _state(runner, tk.SPEC, task_id)
    if task is None:
        start, end = task_dates(await _today(runner), year)
        task = (
            await tasks.handle(
                runner,
                admin,
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
                    end_date=end,
                ),
                regions,
            )
        ).state
    assert task is not None
    if task.status is tk.TaskStatus.DRAFT:
        await tasks.handle(runner, admin, tk.PublishTask(task_id=task_id), regions)
    draw = await _current_draw(runner, admin, task_id, report)
    assert draw.outcome_digest is not None
    outcome = await draws.outcome_of(runner.store.pool, draw.outcome_digest)
    teams = sorted(outcome.assignments, key=lambda x: x.subject)[:RESULTS_ENTERED]
    for n, team in enumerate(teams):
        assert team.lead is not None
        key = dr.inspection_id(task_id, draw.number, team.subject)
        await _take_through(
            runner,
            key,
            lambda day, n=n: _results(n, day, checklists),  # type: ignore[misc]
            lead=team.lead,
            end_date=task.end_date,
            publish=n < len(teams) - 1,
            report=report,
        )
    keys = [dr.inspection_id(task_id, draw.number, team.subject) for team in teams]
    report.risk_class = await _confirm_risk_class(runner, regions, keys)
    report.case = await _case(runner, admin, checklists, report)
    report.objection = await _objection(runner, admin, checklists)
    case_key = i.case_inspection_id(DEPARTMENT, CASE_REFERENCE)
    report.undetermined = await _undetermined(runner, [task_id, case_key])
    report.meeting = await load_meeting(runner)
    report.liaison = await load_liaison(runner)
    return report


DEPARTMENT_ADMINS = {"SCJG": "scjg-admin", "STHJ": "sthj-admin"}
"""The demo's department administrators (``demo/lists.py``, ``ACCOUNTS``)."""


async def _confirm_risk_class(
    runner: CommandRunner, regions: Regions, keys: list[str]
) -> str | None:
    """The first proposal still PROPOSED among the inspections ``keys`` (the published code 6
    raises one under the default rule) is confirmed by its maintaining department's
    administrator, or the system administrator for a department without one in the demo."""
    for key in keys:
        proposal = await _state(runner, cr.SPEC, key)
        if proposal is None or proposal.status is not cr.ProposalStatus.PROPOSED:
            continue
        department = proposal.maintaining_department
        user = DEPARTMENT_ADMINS.get(department)
        actor = (
            Actor(user_id=user, department=department, roles=frozenset({Role.DEPARTMENT_ADMIN}))
            if user is not None
            else Actor(user_id="admin", department=DEPARTMENT, roles=frozenset({Role.SYSTEM_ADMIN}))
        )
        confirm = cr.ConfirmRiskClassChange(
            inspection_id=key, note="演示：经营场所无法联系，提高风险分类"
        )
        out = await creditrisk.decide_change(
            runner, Caller(actor=actor, request_id="demo"), confirm, regions
        )
        return key if out.events else None
    return None


async def _current_draw(
    runner: CommandRunner, admin: Caller, task_id: str, report: ActivityReport
) -> dr.Draw:
    """The task's draw, committed to the named lottery and executed (whatever is missing)."""
    current = await _state(runner, dr.SPEC, task_id)
    draw = current.current() if current is not None else None
    if draw is None:
        await draws.commit(runner, admin, dr.CommitDraw(task_id=task_id, sources=[LOTTERY]))
    if draw is None or draw.status is dr.DrawStatus.COMMITTED:
        value = EntropyValue(name=LOTTERY.name, value=LOTTERY_NUMBERS)
        executed = await draws.execute(
            runner, admin, dr.ExecuteDraw(task_id=task_id, entropy=[value])
        )
        assert executed.state is not None
        draw = executed.state.draws[-1]
        report.inspections = draw.assigned
    return draw


async def _take_through(
    runner: CommandRunner,
    key: str,
    results: Callable[[dt.date], list[i.ItemResult]],
    *,
    lead: str,
    end_date: dt.date | None,
    publish: bool,
    report: ActivityReport,
) -> None:
    """Enter results as the lead officer, approve and (if ``publish``) publish: what is missing."""
    admin = _admin()
    state = await _state(runner, i.SPEC, key)
    status = state.status if state is not None else i.LifecycleStatus.ASSIGNED
    if status in (i.LifecycleStatus.ASSIGNED, i.LifecycleStatus.SCHEDULED):
        user = await _link_account(runner, lead)
        day = await _today(runner)
        if end_date is not None:
            day = min(day, end_date)  # the year turned during the run: done on 31 December
        submit = i.SubmitInspectionResults(
            inspection_id=key, inspected_on=day, results=results(day)
        )
        await inspections.handle(runner, _inspector(user), submit)
        report.results += 1
        status = i.LifecycleStatus.RESULTS_SUBMITTED
    if status is i.LifecycleStatus.RESULTS_SUBMITTED:
        await inspections.handle(runner, admin, i.ApproveInspectionResults(inspection_id=key))
        report.approved += 1
        status = i.LifecycleStatus.APPROVED
    if publish and status is i.LifecycleStatus.APPROVED:
        await inspections.handle(runner, admin, i.PublishInspectionResults(inspection_id=key))
        report.published += 1


async def _undetermined(runner: CommandRunner, keys: list[str]) -> list[str]:
    """The demo's publication deadlines that the known holiday schedules cannot compute."""
    pool = runner.store.pool
    async with pool.acquire() as conn:
        calendar = await load_calendar(conn)
        today = await beijing_today(conn)
        found = await deadlines(conn, calendar, today, after=None, limit=len(keys), keys=keys)
    return [
        f"the publication deadline of {d.key} (completed {d.completed_on}) runs into "
        f"{d.assessment.problem_year}, which has no holiday schedule yet: its date is not "
        f"computed (status {d.assessment.status.value}; publishHolidaySchedule settles it)"
        for d in found
        if d.assessment.problem_year is not None
    ]


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
    runner: CommandRunner, admin: Caller, checklists: dict[str, int], report: ActivityReport
) -> str | None:
    """A complaint (投诉举报) about a drawn-for subject, inspected at once by the demo inspector."""
    key = i.case_inspection_id(DEPARTMENT, CASE_REFERENCE)
    state = await _state(runner, i.SPEC, key)
    if state is None:
        state = await _open_case(runner, admin)
        if state is None:
            return None
    elif state.status is i.LifecycleStatus.PUBLISHED:
        return None
    before = (report.results, report.approved, report.published)
    await _take_through(
        runner,
        key,
        lambda _day: [_result(ITEMS[0], checklists[ITEMS[0]], i.ResultCode.E, NONE)],
        lead=state.case.officers[0] if state.case is not None else "",
        end_date=state.end_date,
        publish=True,
        report=report,
    )
    return key if (report.results, report.approved, report.published) != before else None


async def _open_case(runner: CommandRunner, admin: Caller) -> i.Inspection | None:
    """Open the case with the demo inspector (account ``inspector``) as lead and a colleague;
    None when no such pair is eligible today (on duty, valid certificate, no conflict: 回避)."""
    today = await _today(runner)
    async with runner.store.pool.acquire() as conn:
        subject = await conn.fetchval(
            "SELECT id FROM subjects WHERE kind = 'ENTERPRISE' AND status = 'ACTIVE'"
            " AND state->'items' @> ($1::text)::jsonb ORDER BY id DESC LIMIT 1",
            f'["{ITEMS[0]}"]',
        )
        rows = await conn.fetch(
            "SELECT state FROM inspectors WHERE department = $1 ORDER BY id", DEPARTMENT
        )
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
    return opened.state


async def _objection(
    runner: CommandRunner, admin: Caller, checklists: dict[str, int]
) -> str | None:
    """The business objects to the published case result (public path, with its USCC); the
    lead department amends the result citing the objection and answers CORRECTED."""
    key = i.case_inspection_id(DEPARTMENT, CASE_REFERENCE)
    case = await _state(runner, i.SPEC, key)
    if case is None or case.record is None or case.record.uscc is None:
        return None
    state = await _state(runner, ob.SPEC, OBJECTION)
    if state is not None and state.status is ob.ObjectionStatus.ANSWERED:
        return None
    if state is None:
        filing = ob.FileObjection(
            inspection_id=key,
            uscc=case.record.uscc,
            grounds="检查时公示的经营场所已变更登记，检查当日问题已当场改正，请求更正检查结果",
        )
        public = Caller(actor=PUBLIC, request_id="demo")
        await objections.handle(runner, public, filing, key=OBJECTION)
    if not any(a.objection_id == OBJECTION for a in case.amendments):
        amend = i.AmendInspectionResult(
            inspection_id=key,
            result=_result(ITEMS[0], checklists[ITEMS[0]], i.ResultCode.R1, NONE),
            reason="异议成立：经营场所已依法变更登记，更正为未发现问题",
            objection_id=OBJECTION,
        )
        await inspections.handle(runner, admin, amend)
    answer = ob.AnswerObjection(
        objection_id=OBJECTION,
        outcome=ob.AnswerOutcome.CORRECTED,
        reason="经复核异议成立，已更正公示的检查结果",
    )
    await objections.handle(runner, admin, answer)
    return OBJECTION
