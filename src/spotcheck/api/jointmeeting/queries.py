"""Queries of the joint meeting (联席会议): composition, meetings, action items and the office's
supervision of action items per department (督促指导, 第七条).  Staff only."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.pagination import Connection
from spotcheck.api.context import Context
from spotcheck.api.jointmeeting.types import (
    ActionItem,
    DepartmentActionItems,
    JointMeetingComposition,
    Meeting,
    action_item_page,
    load_action_items,
    load_composition,
    load_meetings,
    meeting_page,
)
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.services import jointmeeting as service


@strawberry.input(description="Filter for meetings (every given condition must hold).")
class MeetingFilter:
    kind: mt.MeetingKind | None = strawberry.field(default=None, description="会议类型 Kind.")
    year: int | None = strawberry.field(default=None, description="The year it was held in.")


@strawberry.input(description="Filter for action items (every given condition must hold).")
class ActionItemFilter:
    department: str | None = strawberry.field(
        default=None, description="责任单位 The responsible department's code."
    )
    meeting_id: str | None = strawberry.field(
        default=None, description="The meeting whose minutes decided them."
    )
    year: int | None = strawberry.field(default=None, description="The year of the due date.")
    status: ai.ActionItemStatus | None = strawberry.field(
        default=None, description="状态 OPEN or DONE."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="逾期未办结 true: only items open after their due date (as of today); "
        "false: only the others.",
    )


@strawberry.type
class JointMeetingQueries:
    @strawberry.field(
        description="联席会组成 The composition of the joint meeting; null for the public or "
        "before any seat is filled."
    )
    async def joint_meeting_composition(
        self, info: strawberry.Info[Context, None]
    ) -> JointMeetingComposition | None:
        return await load_composition(info)

    @strawberry.field(description="联席会议 Meetings by id (staff only; empty for the public).")
    async def meetings(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: MeetingFilter | None = None,
    ) -> Connection[Meeting]:
        f = filter or MeetingFilter()
        return await meeting_page(info, first, after, f.kind, f.year)

    @strawberry.field(description="One meeting by id; null if missing or not visible.")
    async def meeting(
        self, info: strawberry.Info[Context, None], meeting_id: str
    ) -> Meeting | None:
        found: Meeting | None = (await load_meetings(info, [meeting_id]))[0]
        return found

    @strawberry.field(description="议定事项 Action items by id (staff only; empty for the public).")
    async def action_items(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ActionItemFilter | None = None,
    ) -> Connection[ActionItem]:
        f = filter or ActionItemFilter()
        filters = {
            "department": f.department,
            "meeting_id": f.meeting_id,
            "year": f.year,
            "status": f.status,
            "overdue": f.overdue,
        }
        return await action_item_page(info, first, after, filters)

    @strawberry.field(description="One action item by id; null if missing or not visible.")
    async def action_item(
        self, info: strawberry.Info[Context, None], action_id: str
    ) -> ActionItem | None:
        found: ActionItem | None = (await load_action_items(info, [action_id]))[0]
        return found

    @strawberry.field(
        description="督促指导 The office's supervision (第七条): per responsible department, its "
        "action items open, overdue, done on time and late, as of today (Beijing date); those "
        "due in `year` when given. Staff only; empty for the public."
    )
    async def action_item_supervision(
        self,
        info: strawberry.Info[Context, None],
        year: int | None = None,
        department: str | None = None,
    ) -> list[DepartmentActionItems]:
        if not info.context.actor.is_staff:
            return []
        found = await service.action_items_by_department(
            info.context.pool, await info.context.today(), year, department
        )
        return [DepartmentActionItems.from_tally(t) for t in found]
