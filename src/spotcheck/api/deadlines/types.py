"""GraphQL types for holiday schedules (法定节假日安排) and publication deadlines (公示时限)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.context import Context
from spotcheck.api.draws.types import Inspection, load_inspections
from spotcheck.api.plans.types import InspectionTask, load_task
from spotcheck.domain.calendar import YearSchedule
from spotcheck.domain.deadlines import Deadline, DeadlineKind, PublicationStatus
from spotcheck.domain.errors import ErrorCode
from spotcheck.services import deadlines as service

strawberry.enum(PublicationStatus, name="PublicationStatus")
strawberry.enum(
    DeadlineKind, name="DeadlineKind", description="公示时限的对象 What a deadline is for."
)


@strawberry.enum(description="Where a year's holiday schedule comes from.")
class ScheduleOrigin(enum.Enum):
    PACKAGE = "PACKAGE"
    """The chinese-calendar package (2004 to the last year it carries)."""
    PUBLISHED = "PUBLISHED"
    """Published by the system administrator (publishHolidaySchedule); wins over the package."""


@strawberry.type(
    description="法定节假日安排 A year's holiday schedule: days off (放假, as the official ranges "
    "give them, weekends included) and adjusted working weekends (调休上班). Public information."
)
class HolidaySchedule(relay.Node):
    year: int
    origin: ScheduleOrigin
    source: str = strawberry.field(
        description="The notice (国务院办公厅通知) or `chinese-calendar`."
    )
    holidays: list[dt.date] = strawberry.field(description="放假 Days off, sorted.")
    working_weekends: list[dt.date] = strawberry.field(
        description="调休上班 Saturdays and Sundays that are working days, sorted."
    )
    revision: int = strawberry.field(
        description="0 as first published, then 1, 2, … per revision (0 for the package's)."
    )

    @classmethod
    def resolve_id(cls, root: HolidaySchedule, *, info: strawberry.Info) -> str:
        return str(root.year)

    @classmethod
    def from_schedule(cls, s: YearSchedule, revision: int | None = None) -> HolidaySchedule:
        """``revision`` None: the package's schedule; else a published one."""
        return cls(
            year=s.year,
            origin=ScheduleOrigin.PACKAGE if revision is None else ScheduleOrigin.PUBLISHED,
            source=s.source,
            holidays=sorted(s.holidays),
            working_weekends=sorted(s.working_weekends),
            revision=revision or 0,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return [await load_schedule(info, k) for k in node_ids]


async def load_schedule(info: strawberry.Info[Context, None], key: str) -> HolidaySchedule | None:
    """Public: the schedule the calendar uses for the year (published wins over the package)."""
    if not key.isdigit():
        return None
    from spotcheck.services.holiday_schedules import published_schedules

    year = int(key)
    for s in await published_schedules(info.context.pool):
        if s.year == year:
            return HolidaySchedule.from_schedule(s.to_year_schedule(), s.revision)
    found = (await service.load_calendar(info.context.pool)).schedules.get(year)
    return None if found is None else HolidaySchedule.from_schedule(found)


@strawberry.type(
    description="A deadline that cannot be computed: the count runs into a year without a "
    "holiday schedule. Never a guess."
)
class DeadlineProblem:
    code: ErrorCode = strawberry.field(description="NO_HOLIDAY_SCHEDULE.")
    year: int = strawberry.field(description="The year whose schedule is missing.")
    message: str


@strawberry.type(
    description="公示时限 A task's (抽查任务) or case inspection's (个案) publication deadline, "
    "as of today (Beijing date). A task is complete (完成) when every inspection of its "
    "current draw has approved results; the deadline is the plan's publicationWorkingDays-th "
    "working day (工作日, 调休 counted) after the completion day. Staff only."
)
class PublicationDeadline(relay.Node):
    key: str = strawberry.field(description="The task id, or the case inspection's id.")
    kind: DeadlineKind
    department: str = strawberry.field(
        description="牵头部门 The lead department's code: it approves and publishes."
    )
    year: int = strawberry.field(description="The plan's year (a case: its start year).")
    end_date: dt.date = strawberry.field(description="结束日期 The task's (or case's) end date.")
    inspection_count: int = strawberry.field(description="Inspections of the current draw.")
    approved_count: int = strawberry.field(description="Of them with approved results.")
    published_count: int = strawberry.field(description="Of them published (已公示).")
    open_count: int = strawberry.field(description="Of them without approved results.")
    completed_on: dt.date | None = strawberry.field(
        description="完成日期 The latest approval date, once every inspection is approved."
    )
    working_days: int = strawberry.field(
        description="公示时限 Working days allowed (the plan's; 20 for a case)."
    )
    deadline: dt.date | None = strawberry.field(
        description="The last day to publish; null while not complete, or when not computable "
        "(see deadlineProblem)."
    )
    deadline_problem: DeadlineProblem | None
    published_on: dt.date | None = strawberry.field(
        description="The latest publication date among its inspections."
    )
    status: PublicationStatus
    _task_id: strawberry.Private[str | None]
    _inspection_id: strawberry.Private[str | None]

    @classmethod
    def resolve_id(cls, root: PublicationDeadline, *, info: strawberry.Info) -> str:
        return root.key

    @classmethod
    def from_deadline(cls, d: Deadline) -> PublicationDeadline:
        a = d.assessment
        problem = None
        if a.problem_year is not None:
            problem = DeadlineProblem(
                code=ErrorCode.NO_HOLIDAY_SCHEDULE,
                year=a.problem_year,
                message=f"no holiday schedule for {a.problem_year}: the deadline cannot be "
                "computed until the system administrator publishes it",
            )
        return cls(
            key=d.key,
            kind=d.kind,
            department=d.department,
            year=d.year,
            end_date=d.end_date,
            inspection_count=d.inspections,
            approved_count=d.approved,
            published_count=d.published,
            open_count=d.open,
            completed_on=d.completed_on,
            working_days=d.working_days,
            deadline=a.deadline,
            deadline_problem=problem,
            published_on=d.published_on,
            status=a.status,
            _task_id=d.task_id,
            _inspection_id=d.inspection_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        keys = list(node_ids)
        if not info.context.actor.is_staff:
            return [None] * len(keys)
        found = {
            d.key: cls.from_deadline(d)
            for d in await service.deadlines(
                info.context.pool,
                await service.load_calendar(info.context.pool),
                await today(info),
                after=None,
                limit=len(keys),
                keys=keys,
            )
        }
        return [found.get(k) for k in keys]

    @strawberry.field(description="抽查任务 The task (null for a case inspection).")
    async def task(self, info: strawberry.Info[Context, None]) -> InspectionTask | None:
        return None if self._task_id is None else await load_task(info, self._task_id)

    @strawberry.field(description="个案检查 The case inspection (null for a task).")
    async def inspection(self, info: strawberry.Info[Context, None]) -> Inspection | None:
        if self._inspection_id is None:
            return None
        return (await load_inspections(info, [self._inspection_id]))[0]


@strawberry.type(
    description="逾期未公示 An inspection not yet published whose task (or itself, a case) is "
    "past its publication deadline."
)
class OverdueInspection:
    inspection_id: str
    department: str = strawberry.field(description="牵头部门 The lead department's code.")
    lifecycle: str = strawberry.field(description="The inspection's lifecycle status.")
    deadline: PublicationDeadline

    @strawberry.field(description="检查 The inspection.")
    async def inspection(self, info: strawberry.Info[Context, None]) -> Inspection | None:
        return (await load_inspections(info, [self.inspection_id]))[0]


async def today(info: strawberry.Info[Context, None]) -> dt.date:
    """Today's Beijing date by the database clock (once per request: ``spotcheck.clock``)."""
    return await info.context.today()
