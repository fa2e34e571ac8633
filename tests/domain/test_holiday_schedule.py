"""法定节假日安排: publishing and revising a year's holiday schedule (pure decide/evolve)."""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck.domain import holiday_schedule as h
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.calendar import package_years
from spotcheck.domain.errors import DomainError, ErrorCode

ADMIN = Actor(user_id="admin", roles=frozenset({Role.SYSTEM_ADMIN}))
DEPT_ADMIN = Actor(user_id="d", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
YEARS = package_years()


def cmd(**kw: object) -> h.PublishHolidaySchedule:
    base: dict[str, object] = {
        "year": 2027,
        "holidays": [date(2027, 1, 2), date(2027, 1, 1), date(2027, 1, 1)],
        "working_weekends": [date(2027, 1, 3)],
        "source": "国务院办公厅通知",
    }
    return h.PublishHolidaySchedule(**(base | kw))  # type: ignore[arg-type]


def problems(
    state: h.HolidaySchedule | None, c: h.PublishHolidaySchedule
) -> set[tuple[str, str | None]]:
    with pytest.raises(DomainError) as caught:
        h.decide(state, c, ADMIN, YEARS)
    return {(p.code.value, p.field) for p in caught.value.problems}


def published() -> h.HolidaySchedule:
    state = h.SPEC.fold(h.decide(None, cmd(), ADMIN, YEARS))
    assert state is not None
    return state


def test_publish_a_later_year() -> None:
    events = h.decide(None, cmd(), ADMIN, YEARS)
    assert events == [
        h.HolidaySchedulePublished(
            year=2027,
            holidays=[date(2027, 1, 1), date(2027, 1, 2)],
            working_weekends=[date(2027, 1, 3)],
            source="国务院办公厅通知",
        )
    ]
    state = published()
    assert state.revision == 0
    assert state.to_year_schedule().is_working_day(date(2027, 1, 3))


def test_only_the_system_administrator() -> None:
    with pytest.raises(DomainError) as caught:
        h.decide(None, cmd(), DEPT_ADMIN, YEARS)
    assert caught.value.code is ErrorCode.FORBIDDEN


def test_input_rules_name_the_field() -> None:
    bad = cmd(
        holidays=[date(2027, 1, 1), date(2026, 12, 31), date(2027, 1, 4)],
        working_weekends=[date(2027, 1, 4), date(2027, 1, 5)],
        source=" ",
    )
    assert problems(None, bad) == {
        ("OUT_OF_RANGE", "holidays.1"),
        ("NOT_A_WEEKEND", "workingWeekends.0"),
        ("NOT_A_WEEKEND", "workingWeekends.1"),
        ("DATE_IN_BOTH_LISTS", "workingWeekends.0"),
        ("REQUIRED", "source"),
    }
    assert problems(None, cmd(holidays=[])) == {("REQUIRED", "holidays")}
    assert problems(None, cmd(year=1999)) == {("OUT_OF_RANGE", "year")}


def test_holidays_on_weekends_are_stored_as_given() -> None:
    # The official ranges include weekend days (2 January 2027 is a Saturday).
    assert date(2027, 1, 2) in published().holidays


def test_a_package_year_needs_a_reason() -> None:
    c = cmd(year=2026, holidays=[date(2026, 1, 1)], working_weekends=[])
    assert problems(None, c) == {("REASON_REQUIRED", "reason")}
    events = h.decide(
        None,
        cmd(year=2026, holidays=[date(2026, 1, 1)], working_weekends=[], reason="延长假期通知"),
        ADMIN,
        YEARS,
    )
    assert isinstance(events[0], h.HolidaySchedulePublished)
    assert events[0].reason == "延长假期通知"


def test_revision_needs_a_reason_and_same_schedule_writes_nothing() -> None:
    state = published()
    assert h.decide(state, cmd(), ADMIN, YEARS) == []
    revised = cmd(holidays=[date(2027, 1, 1)], working_weekends=[])
    assert problems(state, revised) == {("REASON_REQUIRED", "reason")}
    events = h.decide(
        state, cmd(holidays=[date(2027, 1, 1)], working_weekends=[], reason="更正"), ADMIN, YEARS
    )
    assert events == [
        h.HolidayScheduleRevised(
            holidays=[date(2027, 1, 1)],
            working_weekends=[],
            source="国务院办公厅通知",
            reason="更正",
        )
    ]
    after = h.SPEC.fold(events, state)
    assert after is not None and after.revision == 1 and after.working_weekends == []
