"""Mutation: publish a year's holiday schedule (法定节假日安排, SYSTEM_ADMIN)."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.deadlines.types import HolidaySchedule
from spotcheck.domain import holiday_schedule as h
from spotcheck.services import holiday_schedules as service


@strawberry.input(
    description="发布法定节假日安排 A year's holiday schedule as the State Council published it."
)
class PublishHolidayScheduleInput:
    year: int = strawberry.field(description="The year (2000-2100).")
    holidays: list[dt.date] = strawberry.field(
        description="放假 Every day off of the official ranges, weekend days included."
    )
    working_weekends: list[dt.date] = strawberry.field(
        default_factory=list,
        description="调休上班 Saturdays and Sundays that are working days.",
    )
    source: str = strawberry.field(
        description="The notice (国务院办公厅通知) number, at most 200 characters."
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Required to revise a published year, or to override a year the "
        "chinese-calendar package covers.",
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> h.PublishHolidaySchedule:
        return command_from(self, h.PublishHolidaySchedule)


@strawberry.type
class HolidaySchedulePayload:
    holiday_schedule: HolidaySchedule | None
    errors: list[UserError]


@strawberry.type
class DeadlineMutations:
    @strawberry.mutation(
        description="发布法定节假日安排 Publish (or revise, with a reason) a year's holiday "
        "schedule so that working-day deadlines can be computed into it (SYSTEM_ADMIN)."
    )
    async def publish_holiday_schedule(
        self, info: strawberry.Info[Context, None], input: PublishHolidayScheduleInput
    ) -> HolidaySchedulePayload:
        ctx = info.context
        cmd = input.command()
        return await run_mutation(
            info,
            input.idempotency_key,
            lambda caller: service.publish(ctx.runner, caller, cmd),
            HolidaySchedulePayload,
            "holiday_schedule",
            lambda s: HolidaySchedule.from_schedule(s.to_year_schedule(), s.revision),
        )
