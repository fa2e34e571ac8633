"""Seeds for the joint meeting (联席会议): a composition whose vice convener is ``scjg-admin`` and
convener ``convener``, and per tag a meeting ``meeting_id(tag)`` with minute 1 signed, minute 2
issued, minute 3 a draft, and an open SCJG action item ``action_id(tag)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from starlette.applications import Starlette

from spotcheck.clock import beijing_today
from spotcheck.domain import account as a
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.services import accounts
from spotcheck.services import jointmeeting as service
from spotcheck.services.runner import Caller, CommandRunner
from tests.api import fixtures_registry as reg
from tests.api.conftest import SEED

MUTATIONS = frozenset(
    {
        "appointJointMeetingSeat",
        "vacateJointMeetingSeat",
        "scheduleMeeting",
        "recordMeetingAttendance",
        "draftMinutes",
        "reviseMinutes",
        "signMinutes",
        "issueMinutes",
        "acknowledgeMinutes",
        "assignActionItem",
        "completeActionItem",
        "remindActionItem",
    }
)
SEAT_NAME = "联席会成员甲"
"""The planted personal value: the name of the person in a seat."""
VICE = Caller(
    actor=Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
)


def meeting_id(tag: str) -> str:
    return f"JM-{tag}"


def action_id(tag: str) -> str:
    return f"AI-{tag}"


async def seed_joint_meeting(app: Starlette, tags: Iterable[str] = reg.TAGS) -> dt.date:
    """The composition and every tag's meeting, minutes and action item; returns today."""
    runner: CommandRunner = app.state.runner
    today = await beijing_today(app.state.pool)
    await accounts.handle(
        runner,
        SEED,
        a.CreateAccount(
            user_id="convener", display_name="convener", department="SCJG", roles=[Role.AUDITOR]
        ),
    )
    for position, name, dept, user in (
        (jc.Position.CONVENER, "区主管领导", None, "convener"),
        (jc.Position.VICE_CONVENER, "区市场监管局局长", "SCJG", "scjg-admin"),
        (jc.Position.MEMBER, SEAT_NAME, "STHJ", None),
        (jc.Position.MEMBER, "市场监管成员", "SCJG", None),
    ):
        await service.change_composition(
            runner,
            SEED,
            jc.AppointJointMeetingSeat(position=position, name=name, department=dept, user_id=user),
        )
    for tag in tags:
        await _seed_tag(runner, tag, today)
    return today


async def _seed_tag(runner: CommandRunner, tag: str, today: dt.date) -> None:
    key = meeting_id(tag)
    for command in (
        mt.ScheduleMeeting(
            meeting_id=key,
            kind=mt.MeetingKind.PLENARY,
            title="全体会议" + tag,
            held_on=today,
            agenda=["议程"],
            attended=["SCJG", "STHJ"],
        ),
        *(
            mt.DraftMinutes(meeting_id=key, text=f"纪要{n}", decisions=["议定事项一"])
            for n in (1, 2, 3)
        ),
    ):
        await service.handle_meeting(runner, SEED, command)
    for n in (1, 2):
        await service.handle_meeting(runner, VICE, mt.SignMinutes(meeting_id=key, number=n))
    await service.handle_meeting(runner, SEED, mt.IssueMinutes(meeting_id=key, number=2))
    await service.handle_action_item(
        runner,
        SEED,
        ai.AssignActionItem(
            action_id=action_id(tag),
            meeting_id=key,
            minutes_number=1,
            matter=1,
            title="议定事项一",
            department="SCJG",
            due_date=today + dt.timedelta(days=30),
        ),
    )
