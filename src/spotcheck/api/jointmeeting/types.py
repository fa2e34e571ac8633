"""GraphQL types of the joint meeting (联席会议): its composition, meetings with their minutes
(会议纪要), and action items (议定事项) with the office's supervision (督促指导).

Who sees what: staff only (any role or liaison duty); the public gets null and empty lists.
The names of the persons holding seats are personal data (``@personal``), for staff only too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.common.state_fields import state_fields
from spotcheck.api.common.visibility import PERSONAL, personal
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department, load_departments
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.projections import state_tables
from spotcheck.services import jointmeeting as service

MEETINGS = state_tables.MEETINGS
ACTION_ITEMS = state_tables.ACTION_ITEMS

register_enum(
    jc.Position,
    "JointMeetingPosition",
    "联席会职务 A seat in the joint meeting (附件1 第四条).",
    {
        "CONVENER": "召集人 Convener: the district leader in charge; signs minutes.",
        "VICE_CONVENER": "副召集人 Vice convener: the head of the district market regulation "
        "bureau; signs minutes.",
        "OFFICE_DIRECTOR": "联席会办公室主任 Director of the office of the joint meeting.",
        "MEMBER": "成员 A member department's leader in charge (分管负责人).",
    },
)
register_enum(
    mt.MeetingKind,
    "JointMeetingKind",
    "会议类型 Kind of meeting.",
    {
        "PLENARY": "联席会全体会议 Plenary meeting.",
        "LIAISON_WORK": "联络员工作会 Liaison work meeting.",
    },
)
register_enum(
    mt.MinutesStatus,
    "MinutesStatus",
    "会议纪要状态 Status of a minute.",
    {
        "DRAFT": "起草 Drafted by the office; may still be revised.",
        "SIGNED": "已审签 Signed by the convener or the vice convener; never edited again.",
        "ISSUED": "已印发 Issued to the members and the named units.",
    },
)
register_enum(
    ai.ActionItemStatus,
    "ActionItemStatus",
    "议定事项状态 Status of an action item.",
    {"OPEN": "办理中 Open.", "DONE": "已办结 Done, with evidence of completion."},
)
register_enum(
    ai.Progress,
    "ActionItemProgress",
    "办理进度 Where an action item stands today (Beijing date).",
    {
        "OPEN": "办理中 Open, not yet due.",
        "OVERDUE": "逾期未办结 Open after its due date.",
        "DONE_ON_TIME": "按期办结 Done on or before its due date.",
        "DONE_LATE": "逾期办结 Done after its due date.",
    },
)


def _staff(info: strawberry.Info[Context, None]) -> bool:
    return info.context.actor.is_staff


async def _departments(info: strawberry.Info[Context, None], codes: list[str]) -> list[Department]:
    return [d for d in await load_departments(info, codes) if d is not None]


@strawberry.type(description="联席会席位 A seat of the joint meeting and who holds it.")
class JointMeetingSeat:
    position: jc.Position = strawberry.field(description="职务 The seat.")
    since: dt.date = strawberry.field(description="任职日期 Appointed on (Beijing date).")
    user_id: str | None = strawberry.field(
        description="The platform account that signs for the seat (convener and vice convener); "
        "an internal id, not personal data."
    )
    _name: strawberry.Private[str]
    _department: strawberry.Private[str | None]

    @strawberry.field(directives=PERSONAL, description="姓名 The person (personal data).")
    def name(self, info: strawberry.Info[Context, None]) -> str | None:
        return personal(_staff(info), self._name)

    @strawberry.field(description="所在单位 The department the person leads or belongs to.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department) if self._department else None


@strawberry.type(
    description="联席会组成 The composition of the joint meeting: convener, vice convener, "
    "office director and one member per member department. Staff only."
)
class JointMeetingComposition:
    seats: list[JointMeetingSeat] = strawberry.field(
        description="Seats by position (convener first), members by department."
    )
    member_departments: list[str] = strawberry.field(
        description="Codes of the departments holding a seat: the recipients of issued minutes."
    )

    @classmethod
    def from_state(cls, s: jc.Composition) -> JointMeetingComposition:
        return cls(
            seats=[
                JointMeetingSeat(
                    position=seat.position,
                    since=seat.since,
                    user_id=seat.user_id,
                    _name=seat.name,
                    _department=seat.department,
                )
                for seat in s.seats
            ],
            member_departments=s.member_departments,
        )


@strawberry.type(description="签收 A recipient department acknowledged receipt.")
class MinutesAcknowledgement:
    acknowledged_on: dt.date = strawberry.field(description="签收日期 Date (Beijing).")
    _department: strawberry.Private[str]

    @strawberry.field(description="签收单位 The department.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)


@strawberry.type(
    description="会议纪要 A minute of a meeting: drafted by the office, signed (审签) by the "
    "convener or the vice convener, issued (印发) and acknowledged (签收). A signed minute is "
    "never edited; a correction is a new minute citing it."
)
class MeetingMinutes:
    number: int = strawberry.field(description="纪要序号 Number within the meeting, from 1.")
    text: str = strawberry.field(description="纪要正文 Text.")
    decisions: list[str] = strawberry.field(
        description="议定事项 Decided matters, in order (action items cite them by number)."
    )
    status: mt.MinutesStatus = strawberry.field(description="状态 DRAFT, SIGNED or ISSUED.")
    drafted_on: dt.date = strawberry.field(description="起草日期 Drafted on.")
    corrects: int | None = strawberry.field(
        description="更正 The number of the signed minute this one corrects."
    )
    corrected_by: list[int] = strawberry.field(
        description="被更正 Numbers of the signed minutes that correct this one."
    )
    signed_as: jc.Position | None = strawberry.field(
        description="审签人职务 Signed by the convener or the vice convener."
    )
    signed_on: dt.date | None = strawberry.field(description="审签日期 Signed on.")
    issued_on: dt.date | None = strawberry.field(description="印发日期 Issued on.")
    acknowledgements: list[MinutesAcknowledgement] = strawberry.field(
        description="签收 The recipients that acknowledged receipt, in order."
    )
    _state: strawberry.Private[mt.Minutes]

    @classmethod
    def from_state(cls, m: mt.Minutes) -> MeetingMinutes:
        acknowledgements = [
            MinutesAcknowledgement(acknowledged_on=a.acknowledged_on, _department=a.department)
            for a in m.acknowledgements
        ]
        return cls(**state_fields(cls, m) | {"acknowledgements": acknowledgements}, _state=m)

    @strawberry.field(description="相关单位 Named units besides the members.")
    async def recipients(self, info: strawberry.Info[Context, None]) -> list[Department]:
        return await _departments(info, list(self._state.recipients))

    @strawberry.field(description="印发范围 The departments the minute was issued to.")
    async def issued_to(self, info: strawberry.Info[Context, None]) -> list[Department]:
        return await _departments(info, list(self._state.issued_to))

    @strawberry.field(description="未签收 Departments it was issued to that have not acknowledged.")
    async def not_acknowledged(self, info: strawberry.Info[Context, None]) -> list[Department]:
        done = {a.department for a in self._state.acknowledgements}
        return await _departments(info, [d for d in self._state.issued_to if d not in done])


@strawberry.type(
    description="联席会议 A meeting of the joint meeting (plenary or liaison work meeting), "
    "with its minutes. Staff only."
)
class Meeting(relay.Node):
    meeting_id: str = strawberry.field(description="会议编号 Meeting id.")
    kind: mt.MeetingKind = strawberry.field(description="会议类型 Kind.")
    title: str = strawberry.field(description="会议名称 Title.")
    held_on: dt.date = strawberry.field(description="会议日期 Held on (Beijing date).")
    agenda: list[str] = strawberry.field(description="议程 Agenda.")
    documents: list[str] = strawberry.field(
        description="传达的文件 Documents conveyed (e.g. the city joint meeting's decisions)."
    )
    minutes: list[MeetingMinutes] = strawberry.field(description="会议纪要 Minutes, by number.")
    _state: strawberry.Private[mt.Meeting]

    @classmethod
    def resolve_id(cls, root: Meeting, *, info: strawberry.Info) -> str:
        return root.meeting_id

    @classmethod
    def from_state(cls, s: mt.Meeting) -> Meeting:
        return cls(
            **state_fields(cls, s) | {"minutes": [MeetingMinutes.from_state(m) for m in s.minutes]},
            _state=s,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_meetings(info, list(node_ids))

    @strawberry.field(description="出席单位 Departments that attended.")
    async def attended(self, info: strawberry.Info[Context, None]) -> list[Department]:
        return await _departments(info, list(self._state.attended))


@strawberry.type(description="督办 The office chased an action item.")
class ActionItemReminder:
    reminded_on: dt.date = strawberry.field(description="督办日期 Date (Beijing).")
    note: str = strawberry.field(description="督办内容 What the office asked.")


@strawberry.type(
    description="议定事项 An action item: a matter decided in signed minutes, assigned to a "
    "department with a due date and tracked to done with evidence. Staff only."
)
class ActionItem(relay.Node):
    action_id: str = strawberry.field(description="事项编号 Action item id.")
    meeting_id: str = strawberry.field(description="The meeting whose minutes decided it.")
    minutes_number: int = strawberry.field(description="The signed minute's number.")
    matter: int = strawberry.field(description="The decided matter's number in the minute.")
    title: str = strawberry.field(description="事项内容 What is to be done.")
    due_date: dt.date = strawberry.field(description="办结时限 Due date (Beijing).")
    assigned_on: dt.date = strawberry.field(description="交办日期 Assigned on.")
    status: ai.ActionItemStatus = strawberry.field(description="状态 OPEN or DONE.")
    done_on: dt.date | None = strawberry.field(description="办结日期 Done on.")
    evidence: str | None = strawberry.field(description="办结材料 Evidence of completion.")
    reminders: list[ActionItemReminder] = strawberry.field(description="督办 Reminders, in order.")
    _state: strawberry.Private[ai.ActionItem]

    @classmethod
    def resolve_id(cls, root: ActionItem, *, info: strawberry.Info) -> str:
        return root.action_id

    @classmethod
    def from_state(cls, s: ai.ActionItem) -> ActionItem:
        reminders = [
            ActionItemReminder(reminded_on=r.reminded_on, note=r.note) for r in s.reminders
        ]
        return cls(**state_fields(cls, s) | {"reminders": reminders}, _state=s)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_action_items(info, list(node_ids))

    @strawberry.field(description="办理进度 Open, overdue, done on time or done late, today.")
    async def progress(self, info: strawberry.Info[Context, None]) -> ai.Progress:
        return self._state.status_on(await info.context.today())

    @strawberry.field(description="责任单位 The responsible department.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._state.department)

    @strawberry.field(description="The meeting whose minutes decided it.")
    async def meeting(self, info: strawberry.Info[Context, None]) -> Meeting | None:
        found: Meeting | None = (await load_meetings(info, [self._state.meeting_id]))[0]
        return found


@strawberry.type(
    description="督促指导 One department's action items due in a year, as of today (Beijing)."
)
class DepartmentActionItems:
    total: int = strawberry.field(description="Action items due in the year.")
    open: int = strawberry.field(description="办理中 Open, not yet due.")
    overdue: int = strawberry.field(description="逾期未办结 Open after the due date.")
    done: int = strawberry.field(description="已办结 Done.")
    done_on_time: int = strawberry.field(description="按期办结 Done by the due date.")
    done_late: int = strawberry.field(description="逾期办结 Done after the due date.")
    reminders: int = strawberry.field(description="督办 Reminders the office sent.")
    _department: strawberry.Private[str]

    @classmethod
    def from_tally(cls, t: service.DepartmentActionItems) -> DepartmentActionItems:
        return cls(**state_fields(cls, t), _department=t.department)

    @strawberry.field(description="责任单位 The department.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)


async def load_composition(info: strawberry.Info[Context, None]) -> JointMeetingComposition | None:
    if not _staff(info):
        return None
    state = await service.composition_state(info.context.pool)
    return JointMeetingComposition.from_state(state) if state is not None else None


async def load_meetings(info: strawberry.Info[Context, None], keys: list[str]) -> list[Any]:
    if not _staff(info):
        return [None] * len(keys)
    states = await info.context.loaders.state(mt.SPEC, MEETINGS).load_many(keys)
    return [Meeting.from_state(s) if s is not None else None for s in states]


async def load_action_items(info: strawberry.Info[Context, None], keys: list[str]) -> list[Any]:
    if not _staff(info):
        return [None] * len(keys)
    states = await info.context.loaders.state(ai.SPEC, ACTION_ITEMS).load_many(keys)
    return [ActionItem.from_state(s) if s is not None else None for s in states]


async def meeting_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    kind: mt.MeetingKind | None,
    year: int | None,
) -> Connection[Meeting]:
    n = page_size(first)
    if not _staff(info):
        return connection([], n)
    q = KeysetQuery(decode_cursor(after))
    if kind is not None:
        q.where(f"kind = {q.arg(kind.value)}")
    if year is not None:
        q.where(f"held_on LIKE {q.arg(f'{year:04d}-%')}")
    sql, args = q.sql(f"SELECT id, state FROM {MEETINGS}", n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection(
        [(r["id"], Meeting.from_state(mt.SPEC.state_from_data(r["state"]))) for r in rows], n
    )


async def action_item_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    filters: dict[str, Any],
) -> Connection[ActionItem]:
    """``filters``: department, meeting_id, year (of the due date), status, overdue (as of
    today: open after the due date when true, anything else when false)."""
    n = page_size(first)
    if not _staff(info):
        return connection([], n)
    q = KeysetQuery(decode_cursor(after))
    for column in ("department", "meeting_id"):
        if filters.get(column) is not None:
            q.where(f"{column} = {q.arg(filters[column])}")
    if filters.get("year") is not None:
        q.where(f"due_year = {q.arg(filters['year'])}")
    if filters.get("status") is not None:
        q.where(f"status = {q.arg(filters['status'].value)}")
    if filters.get("overdue") is not None:
        today = (await info.context.today()).isoformat()
        condition = f"status = 'OPEN' AND due_date < {q.arg(today)}"
        q.where(condition if filters["overdue"] else f"NOT ({condition})")
    sql, args = q.sql(f"SELECT id, state FROM {ACTION_ITEMS}", n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection(
        [(r["id"], ActionItem.from_state(ai.SPEC.state_from_data(r["state"]))) for r in rows], n
    )
