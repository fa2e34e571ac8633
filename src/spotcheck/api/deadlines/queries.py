"""Queries: the working-day calendar (public) and publication deadlines (staff only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.deadlines.types import (
    HolidaySchedule,
    OverdueInspection,
    PublicationDeadline,
    load_schedule,
    today,
)
from spotcheck.api.objections.types import ObjectionDeadline
from spotcheck.domain.deadlines import DeadlineKind, PublicationStatus
from spotcheck.services import deadlines as service
from spotcheck.services import objections as objection_service
from spotcheck.services.holiday_schedules import published_schedules


@strawberry.input(description="Filter for publication deadlines.")
class PublicationDeadlineFilter:
    department: str | None = strawberry.field(
        default=None, description="牵头部门 The lead department's code."
    )
    year: int | None = strawberry.field(
        default=None, description="The plan's year (a case inspection: its start year)."
    )
    state: PublicationStatus | None = strawberry.field(
        default=None, description="Only deadlines in this status (as of today)."
    )


async def deadline_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    as_of: dt.date,
    **filters: Any,
) -> Connection[PublicationDeadline]:
    """A page of deadlines by key as of ``as_of``, filtered as ``service.deadlines`` filters."""
    n = page_size(first)
    found = await service.deadlines(
        info.context.pool,
        await service.load_calendar(info.context.pool),
        as_of,
        after=decode_cursor(after),
        limit=n + 1,
        **filters,
    )
    return connection([(d.key, PublicationDeadline.from_deadline(d)) for d in found], n)


@strawberry.type(
    description="公示时限报告 Deadlines of one department (or all) as of today (Beijing date). "
    "Staff only."
)
class DeadlineReport:
    department: str | None = strawberry.field(description="The department asked for, or null.")
    as_of: dt.date = strawberry.field(description="The Beijing date the report is computed for.")

    @strawberry.field(
        description="逾期未公示的任务 Tasks and case inspections past their publication deadline "
        "with inspections not yet published (OVERDUE), by key."
    )
    async def overdue_tasks(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PublicationDeadline]:
        return await deadline_page(
            info,
            first,
            after,
            self.as_of,
            department=self.department,
            statuses=frozenset({PublicationStatus.OVERDUE}),
            complete=True,
        )

    @strawberry.field(
        description="逾期未公示的检查 Inspections not yet published whose task (or which, a case) "
        "is past its publication deadline, by inspection id."
    )
    async def overdue_inspections(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OverdueInspection]:
        n = page_size(first)
        cursor = decode_cursor(after)
        rows = await service.overdue_inspections(
            info.context.pool,
            await service.load_calendar(info.context.pool),
            self.as_of,
            department=self.department,
        )
        items = [
            (
                r.inspection_id,
                OverdueInspection(
                    inspection_id=r.inspection_id,
                    department=r.department,
                    lifecycle=r.lifecycle,
                    deadline=PublicationDeadline.from_deadline(r.deadline),
                ),
            )
            for r in rows
            if cursor is None or r.inspection_id > cursor
        ]
        return connection(items[: n + 1], n)

    @strawberry.field(
        description="逾期未答复的异议 Objections (异议) not answered by their answer deadline "
        "(OVERDUE), of the department as lead department, by reference number."
    )
    async def overdue_objections(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ObjectionDeadline]:
        n = page_size(first)
        found = await objection_service.answer_deadlines(
            info.context.pool,
            await service.load_calendar(info.context.pool),
            self.as_of,
            after=decode_cursor(after),
            limit=n + 1,
            department=self.department,
            open_only=True,
            statuses=frozenset({objection_service.AnswerStatus.OVERDUE}),
        )
        return connection(
            [(d.objection.objection_id, ObjectionDeadline.from_deadline(d)) for d in found], n
        )

    @strawberry.field(
        description="超期未完成的任务 Tasks whose end date (结束日期) has passed with inspections "
        "still without approved results, by task id."
    )
    async def tasks_past_end_date(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PublicationDeadline]:
        return await deadline_page(
            info,
            first,
            after,
            self.as_of,
            department=self.department,
            complete=False,
            ended_before=self.as_of,
            kind=DeadlineKind.TASK,
        )


@strawberry.type
class DeadlineQueries:
    @strawberry.field(
        description="法定节假日安排 Every year's holiday schedule the working-day calendar knows: "
        "the chinese-calendar package's years and the published ones (which win), by year. "
        "Public."
    )
    async def holiday_schedules(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[HolidaySchedule]:
        n = page_size(first)
        cursor = decode_cursor(after)
        calendar = await service.load_calendar(info.context.pool)
        revisions = {s.year: s.revision for s in await published_schedules(info.context.pool)}
        # Keys are 4-digit years: they sort as text as they do as numbers.
        items = [
            (str(y), HolidaySchedule.from_schedule(calendar.schedules[y], revisions.get(y)))
            for y in calendar.years
            if cursor is None or str(y) > cursor
        ]
        return connection(items[: n + 1], n)

    @strawberry.field(
        description="工作日历 One year's holiday schedule as the calendar uses it; null when the "
        "year has no schedule (deadlines into it are not computed). Public."
    )
    async def working_calendar(
        self, info: strawberry.Info[Context, None], year: int
    ) -> HolidaySchedule | None:
        return await load_schedule(info, str(year))

    @strawberry.field(
        description="公示时限 Publication deadlines of tasks and case inspections, by key, as of "
        "today (Beijing date). Staff only: empty for the public."
    )
    async def publication_deadlines(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: PublicationDeadlineFilter | None = None,
    ) -> Connection[PublicationDeadline]:
        if not info.context.actor.is_staff:
            return connection([], page_size(first))
        f = filter or PublicationDeadlineFilter()
        return await deadline_page(
            info,
            first,
            after,
            await today(info),
            department=f.department,
            year=f.year,
            statuses=frozenset({f.state}) if f.state else None,
        )

    @strawberry.field(
        description="公示时限报告 Overdue tasks and inspections and tasks past their end date, "
        "of one department (its lead tasks and cases) or of all, as of today. Staff only: null "
        "for the public."
    )
    async def deadline_report(
        self, info: strawberry.Info[Context, None], department: str | None = None
    ) -> DeadlineReport | None:
        if not info.context.actor.is_staff:
            return None
        return DeadlineReport(department=department, as_of=await today(info))
