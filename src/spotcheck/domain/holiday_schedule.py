"""法定节假日安排 A year's holiday schedule as the State Council published it.

Stream ``holidays-{year}``.  The system administrator (SYSTEM_ADMIN) publishes the schedule of a
year the ``chinese-calendar`` package does not cover yet (the State Council announces year N+1
around November of year N), so that working-day deadlines can be computed into that year
(``domain/calendar.py``).

What is stored, as given:
- ``holidays``: every day off (放假) of the official ranges, weekend days included (the notice
  says e.g. "2月15日至23日放假调休，共9天"); the order and duplicates of the input do not matter.
- ``working_weekends``: the Saturdays and Sundays that are working days (调休上班); each must be a
  Saturday or Sunday (``NOT_A_WEEKEND``).
- ``source``: the notice (国务院办公厅通知) number.
Every date must lie in the year (``OUT_OF_RANGE``); no date may be both a day off and a
working weekend (``DATE_IN_BOTH_LISTS``); at least one day off (``REQUIRED``).

A schedule for a year the package covers overrides the package: allowed only with a reason (a
correction, e.g. a holiday extended by a later notice).  Publishing again for a year already
published is a revision (``HolidayScheduleRevised``) and needs a reason; publishing the same
schedule again writes nothing.
"""

from __future__ import annotations

from datetime import date

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.calendar import YearSchedule
from spotcheck.domain.errors import ErrorCode, Problems

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_DATES = 120


class HolidaySchedule(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of a year's published schedule."""

    year: int
    holidays: list[date]
    """放假 Days off, sorted."""
    working_weekends: list[date]
    """调休上班 Saturdays and Sundays that are working days, sorted."""
    source: str
    """The notice (国务院办公厅通知) the schedule comes from."""
    revision: int = 0
    """0 as first published; 1, 2, … after each revision."""
    reason: str | None = None
    """The reason given for the latest revision (or for overriding the package's year)."""

    def to_year_schedule(self) -> YearSchedule:
        return YearSchedule(
            year=self.year,
            holidays=frozenset(self.holidays),
            working_weekends=frozenset(self.working_weekends),
            source=self.source,
        )


# Commands
class PublishHolidaySchedule(Command, frozen=True, kw_only=True):
    year: int
    holidays: list[date]
    working_weekends: list[date] = msgspec.field(default_factory=list)
    source: str
    reason: str | None = None


# Events
class HolidaySchedulePublished(Event, frozen=True, kw_only=True):
    year: int
    holidays: list[date]
    working_weekends: list[date]
    source: str
    reason: str | None = None
    """Set when the year is one the chinese-calendar package covers (an override)."""


class HolidayScheduleRevised(Event, frozen=True, kw_only=True):
    """The whole schedule after the revision."""

    holidays: list[date]
    working_weekends: list[date]
    source: str
    reason: str


def _dates(p: Problems, field: str, year: int, given: list[date]) -> list[date]:
    if len(given) > MAX_DATES:
        p.add(ErrorCode.OUT_OF_RANGE, field, f"{len(given)} dates; at most {MAX_DATES}")
    for n, d in enumerate(given):
        if d.year != year:
            p.add(ErrorCode.OUT_OF_RANGE, f"{field}.{n}", f"{d.isoformat()} is not in {year}")
    return sorted(set(given))


def decide(
    state: HolidaySchedule | None,
    command: PublishHolidaySchedule,
    actor: Actor,
    package_years: range,
) -> list[Event]:
    """``package_years``: the years the chinese-calendar package covers."""
    if not actor.is_admin:
        raise rules.forbid("only the system administrator publishes holiday schedules")
    p = Problems()
    year = command.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        p.add(
            ErrorCode.OUT_OF_RANGE, "year", f"year {year} is not between {MIN_YEAR} and {MAX_YEAR}"
        )
        p.raise_if_any()
    holidays = _dates(p, "holidays", year, command.holidays)
    working = _dates(p, "workingWeekends", year, command.working_weekends)
    if not holidays:
        p.add(ErrorCode.REQUIRED, "holidays", "a holiday schedule has at least one day off (放假)")
    for n, d in enumerate(command.working_weekends):
        if d.weekday() < 5:
            p.add(
                ErrorCode.NOT_A_WEEKEND,
                f"workingWeekends.{n}",
                f"{d.isoformat()} is a {d.strftime('%A')}; an adjusted working day (调休上班) is "
                "a Saturday or Sunday",
            )
    both = set(holidays) & set(working)
    for n, d in enumerate(command.working_weekends):
        if d in both:
            p.add(
                ErrorCode.DATE_IN_BOTH_LISTS,
                f"workingWeekends.{n}",
                f"{d.isoformat()} is both a day off and a working weekend",
            )
    rules.text(p, "source", command.source, max_len=200)
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    source = command.source.strip()
    if state is not None:
        if not p and (holidays, working, source) == (
            state.holidays,
            state.working_weekends,
            state.source,
        ):
            return []
        rules.reason(p, command.reason, "revising a published holiday schedule")
    elif year in package_years:
        rules.reason(
            p,
            command.reason,
            f"overriding the chinese-calendar package's schedule for {year}",
        )
    else:
        rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if state is None:
        return [
            HolidaySchedulePublished(
                year=year,
                holidays=holidays,
                working_weekends=working,
                source=source,
                reason=reason,
            )
        ]
    assert reason is not None
    return [
        HolidayScheduleRevised(
            holidays=holidays, working_weekends=working, source=source, reason=reason
        )
    ]


def evolve(state: HolidaySchedule | None, event: Event) -> HolidaySchedule:
    if isinstance(event, HolidaySchedulePublished):
        return HolidaySchedule(
            year=event.year,
            holidays=list(event.holidays),
            working_weekends=list(event.working_weekends),
            source=event.source,
            reason=event.reason,
        )
    assert state is not None, f"{type(event).__name__} before HolidaySchedulePublished"
    if isinstance(event, HolidayScheduleRevised):
        return msgspec.structs.replace(
            state,
            holidays=list(event.holidays),
            working_weekends=list(event.working_weekends),
            source=event.source,
            revision=state.revision + 1,
            reason=event.reason,
        )
    raise TypeError(f"not a holiday schedule event: {event!r}")


SPEC: AggregateSpec[HolidaySchedule] = AggregateSpec(
    name="holiday_schedule",
    stream_prefix="holidays-",
    events=(HolidaySchedulePublished, HolidayScheduleRevised),
    evolve=evolve,
    state_type=HolidaySchedule,
)
