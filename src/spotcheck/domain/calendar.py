"""工作日 Working-day arithmetic over the State Council's holiday schedules (法定节假日安排).

A day is a working day (工作日) when it is a Monday to Friday that is not a day off (放假) of the
year's schedule, or a Saturday or Sunday that the schedule makes a working day (调休上班).  Each
year needs its schedule: the State Council publishes year N+1's around November of year N.

Where the schedules come from (``WorkingCalendar.build``):
- the years the ``chinese-calendar`` package covers (1.11.0: 2004-2026) from the package;
- any year an administrator published (``domain/holiday_schedule.py``, ``publishHolidaySchedule``).
  A published schedule wins over the package for the same year; publishing one for a year the
  package covers is a correction and needs a reason (see ``holiday_schedule.decide``).

A computation that reaches a year without a schedule raises ``NoHolidaySchedule``
(``NO_HOLIDAY_SCHEDULE``) naming the year: it never guesses from weekdays alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from chinese_calendar import constants as _package

from spotcheck.domain.errors import DomainError, ErrorCode, Problem

MAX_WORKING_DAYS = 366
"""The most working days one computation may count (a year's worth is far beyond any deadline)."""


class NoHolidaySchedule(DomainError):
    """A working-day computation needs a year for which no holiday schedule is known."""

    def __init__(self, year: int, field: str | None = None) -> None:
        self.year = year
        super().__init__(
            [
                Problem(
                    ErrorCode.NO_HOLIDAY_SCHEDULE,
                    field,
                    f"no holiday schedule (法定节假日安排) for {year}: working days in {year} "
                    "cannot be counted until the system administrator publishes it",
                )
            ]
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year's schedule: days off (放假, as the official ranges give them, weekends included)
    and the Saturdays and Sundays that are working days (调休上班)."""

    year: int
    holidays: frozenset[date]
    working_weekends: frozenset[date]
    source: str
    """Where it comes from: ``chinese-calendar`` or the notice (国务院办公厅通知) number."""

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@cache
def package_schedules() -> Mapping[int, YearSchedule]:
    """The schedules the ``chinese-calendar`` package carries, by year (every year between its
    first and last, as the package itself supports them)."""
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for d in _package.holidays:
        holidays.setdefault(d.year, set()).add(d)
    for d in _package.workdays:
        workdays.setdefault(d.year, set()).add(d)
    first, last = min(holidays), max(holidays)
    return {
        y: YearSchedule(
            year=y,
            holidays=frozenset(holidays.get(y, ())),
            working_weekends=frozenset(workdays.get(y, ())),
            source="chinese-calendar",
        )
        for y in range(first, last + 1)
    }


def package_years() -> range:
    """The years the ``chinese-calendar`` package covers."""
    years = package_schedules()
    return range(min(years), max(years) + 1)


class WorkingCalendar:
    """Working days over the schedules it holds; any other year is refused, never guessed."""

    def __init__(self, schedules: Mapping[int, YearSchedule]) -> None:
        self.schedules = dict(schedules)

    @classmethod
    def build(cls, published: Iterable[YearSchedule] = ()) -> WorkingCalendar:
        """The package's years, with published schedules taking precedence year by year."""
        schedules = dict(package_schedules())
        for s in published:
            schedules[s.year] = s
        return cls(schedules)

    @property
    def years(self) -> list[int]:
        return sorted(self.schedules)

    def schedule(self, year: int) -> YearSchedule:
        found = self.schedules.get(year)
        if found is None:
            raise NoHolidaySchedule(year)
        return found

    def is_working_day(self, day: date) -> bool:
        return self.schedule(day.year).is_working_day(day)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day``; ``day`` itself is not counted, whether or not
        it is a working day (so 20 working days from a Friday completion end on the 20th
        working day from the next Monday).  ``n`` = 0 gives ``day``.

        Raises ``NoHolidaySchedule`` naming the first year without a schedule that the count
        reaches."""
        if not 0 <= n <= MAX_WORKING_DAYS:
            raise DomainError.one(
                ErrorCode.OUT_OF_RANGE,
                None,
                f"working days must be between 0 and {MAX_WORKING_DAYS}, not {n}",
            )
        current = day
        left = n
        schedule: YearSchedule | None = None
        while left:
            current += timedelta(days=1)
            if schedule is None or schedule.year != current.year:
                schedule = self.schedule(current.year)
            if schedule.is_working_day(current):
                left -= 1
        return current
