"""Demo of the joint meeting (联席会议): its composition, a plenary meeting with signed, issued
and acknowledged minutes, and two action items (议定事项), one done on time and one overdue.

Accounts ``demo-convener`` and ``demo-vice-convener`` (AUDITOR: they read everything and change
nothing but sign minutes, which their seats allow) hold the signing seats.  Dates come from today
(Beijing, by the database clock), clamped to the year like the rest of the demo: the meeting 40
days before today (at the earliest 1 January), the overdue item due 10 days before today (not
before the meeting; on 1 January it is therefore due today and not yet overdue), the other 20
days after today (at the latest 31 December).  Each step does only what the record lacks, so an
interrupted run is completed by the next and a complete demo writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from spotcheck.clock import beijing_today
from spotcheck.domain import account as a
from spotcheck.domain.actor import SYSTEM, Actor, Role
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.services import accounts
from spotcheck.services import jointmeeting as service
from spotcheck.services.runner import Caller, CommandRunner

S = TypeVar("S")
CONVENER, VICE = "demo-convener", "demo-vice-convener"
SEATS: tuple[tuple[jc.Position, str, str | None, str | None], ...] = (
    (jc.Position.CONVENER, "演示召集人", None, CONVENER),
    (jc.Position.VICE_CONVENER, "演示副召集人", "SCJG", VICE),
    (jc.Position.OFFICE_DIRECTOR, "演示办公室主任", "SCJG", None),
    *((jc.Position.MEMBER, f"演示成员{d}", d, None) for d in ("SCJG", "STHJ", "GA", "SWJ")),
)
DECISIONS = ["各成员单位于期限内报送年度抽查计划执行情况", "市场监管局牵头开展联合抽查"]


def _caller(user_id: str, department: str, role: Role) -> Caller:
    return Caller(
        actor=Actor(user_id=user_id, department=department, roles=frozenset({role})),
        request_id="demo",
    )


OFFICE = _caller("scjg-admin", "SCJG", Role.DEPARTMENT_ADMIN)


async def _state(runner: CommandRunner, spec: AggregateSpec[S], key: str) -> S | None:
    events = await runner.store.read_stream(spec.stream_id(key))
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


async def _seat(runner: CommandRunner) -> None:
    for user in (CONVENER, VICE):
        if await _state(runner, a.SPEC, user) is None:
            await accounts.handle(
                runner,
                Caller(actor=SYSTEM, request_id="demo"),
                a.CreateAccount(
                    user_id=user, display_name=user, department="SCJG", roles=[Role.AUDITOR]
                ),
            )
    for position, name, department, holder in SEATS:
        await service.change_composition(
            runner,
            OFFICE,
            jc.AppointJointMeetingSeat(
                position=position, name=name, department=department, user_id=holder
            ),
        )


async def _minutes(runner: CommandRunner, meeting_id: str, held_on: dt.date) -> mt.Meeting:
    meeting = await _state(runner, mt.SPEC, meeting_id)
    if meeting is None:
        await service.handle_meeting(
            runner,
            OFFICE,
            mt.ScheduleMeeting(
                meeting_id=meeting_id,
                kind=mt.MeetingKind.PLENARY,
                title=f"{held_on.year}年度双随机、一公开监管工作联席会全体会议（演示）",
                held_on=held_on,
                agenda=["传达市联席会会议精神", "研究确定年度工作计划和重点任务"],
                documents=["北京市双随机、一公开监管工作联席会年度工作要点（演示）"],
                attended=["SCJG", "STHJ", "GA", "SWJ"],
            ),
        )
        meeting = await _state(runner, mt.SPEC, meeting_id)
    assert meeting is not None
    steps: list[tuple[Caller, mt.MeetingCommand]] = []
    if not meeting.minutes:
        steps.append(
            (
                OFFICE,
                mt.DraftMinutes(
                    meeting_id=meeting_id, text="会议纪要（演示）", decisions=DECISIONS
                ),
            )
        )
    status = meeting.minutes[0].status if meeting.minutes else mt.MinutesStatus.DRAFT
    vice = _caller(VICE, "SCJG", Role.AUDITOR)
    if status is mt.MinutesStatus.DRAFT:
        steps.append((vice, mt.SignMinutes(meeting_id=meeting_id, number=1)))
    if status is not mt.MinutesStatus.ISSUED:
        steps.append((OFFICE, mt.IssueMinutes(meeting_id=meeting_id, number=1)))
    sthj = _caller("sthj-admin", "STHJ", Role.DEPARTMENT_ADMIN)
    steps.append((sthj, mt.AcknowledgeMinutes(meeting_id=meeting_id, number=1, department="STHJ")))
    for caller, command in steps:
        outcome = await service.handle_meeting(runner, caller, command)
        assert outcome.state is not None
        meeting = outcome.state
    return meeting


async def load_meeting(runner: CommandRunner) -> str:
    """The joint meeting's demo; returns what it holds, as one line."""
    today = await beijing_today(runner.store.pool)
    first, last = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    held_on = max(first, today - dt.timedelta(days=40))
    meeting_id = f"{today.year}-DEMO-01"
    await _seat(runner)
    await _minutes(runner, meeting_id, held_on)
    items = (
        (f"{meeting_id}-1-STHJ", 1, "STHJ", min(last, today + dt.timedelta(days=20))),
        (f"{meeting_id}-2-SCJG", 2, "SCJG", max(held_on, today - dt.timedelta(days=10))),
    )
    for action_id, matter, department, due in items:
        if await _state(runner, ai.SPEC, action_id) is None:
            await service.handle_action_item(
                runner,
                OFFICE,
                ai.AssignActionItem(
                    action_id=action_id,
                    meeting_id=meeting_id,
                    minutes_number=1,
                    matter=matter,
                    title=DECISIONS[matter - 1],
                    department=department,
                    due_date=due,
                ),
            )
    done = await _state(runner, ai.SPEC, items[0][0])
    assert done is not None
    if done.status is ai.ActionItemStatus.OPEN:
        await service.handle_action_item(
            runner,
            _caller("sthj-admin", "STHJ", Role.DEPARTMENT_ADMIN),
            ai.CompleteActionItem(action_id=done.action_id, evidence="已报送执行情况（演示）"),
        )
    return f"joint meeting {meeting_id}: minute 1 signed and issued, 2 action items"
