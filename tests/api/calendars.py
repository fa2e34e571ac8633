"""Holiday schedules for the years a test's deadlines reach, beyond what chinese-calendar
covers (2004-2026): published through the real service, as the SYSTEM_ADMIN would."""

from __future__ import annotations

import datetime as dt

from starlette.applications import Starlette

from spotcheck.domain import holiday_schedule as h
from spotcheck.domain.calendar import package_years
from spotcheck.services import holiday_schedules
from tests.api.conftest import SEED


async def ensure_schedules(app: Starlette, years: list[int]) -> None:
    """A published holiday schedule for each of ``years`` the package does not cover, so the
    deadlines are computable in any year the test runs."""
    for year in years:
        if year in package_years():
            continue
        out = await holiday_schedules.publish(
            app.state.runner,
            SEED,
            h.PublishHolidaySchedule(
                year=year, holidays=[dt.date(year, 1, 1)], source="测试 test schedule"
            ),
        )
        assert out.events
