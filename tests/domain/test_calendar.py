"""Working days (工作日) against the State Council's 2026 schedule and a published later year."""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck.domain.calendar import (
    NoHolidaySchedule,
    WorkingCalendar,
    YearSchedule,
    package_years,
)
from spotcheck.domain.errors import DomainError, ErrorCode

CAL = WorkingCalendar.build()

# A made-up 2027 schedule (not the real one, which is not in the package): 1-2 January off,
# Sunday 3 January a working day.
SCHEDULE_2027 = YearSchedule(
    year=2027,
    holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2)}),
    working_weekends=frozenset({date(2027, 1, 3)}),
    source="test",
)


def test_package_covers_2004_to_2026() -> None:
    years = package_years()
    assert years.start == 2004 and 2026 in years and 2027 not in years


def test_2026_spring_festival_schedule_as_published() -> None:
    # As the chinese-calendar package carries it: 2月15日至23日放假调休，共9天;
    # 2月14日（周六）、2月28日（周六）上班.
    for day in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday, 调休上班
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday, 调休上班
    assert not CAL.is_working_day(date(2026, 3, 1))  # an ordinary Sunday


def test_across_the_2026_spring_festival() -> None:
    done = date(2026, 2, 13)  # Friday before the holiday
    assert CAL.add_working_days(done, 1) == date(2026, 2, 14)  # the working Saturday
    assert CAL.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    # 14 Feb (1), 24-27 Feb (2-5), 28 Feb (6), 2-6 Mar (7-11), 9-13 (12-16), 16-19 (17-20).
    assert CAL.add_working_days(done, 20) == date(2026, 3, 19)


def test_across_mid_autumn_and_national_day_2026() -> None:
    # 中秋 25-27 Sep off; 国庆 1-7 Oct off; Sunday 20 Sep and Saturday 10 Oct are working days.
    assert CAL.add_working_days(date(2026, 9, 19), 1) == date(2026, 9, 20)
    done = date(2026, 9, 23)  # Wednesday
    # 24 Sep (1), 28-30 Sep (2-4), 8-9 Oct (5-6), 10 Oct Saturday (7), 12-16 (8-12),
    # 19-23 (13-17), 26-28 (18-20).
    assert CAL.add_working_days(done, 20) == date(2026, 10, 28)
    assert CAL.add_working_days(done, 7) == date(2026, 10, 10)


def test_the_day_itself_is_not_counted() -> None:
    assert CAL.add_working_days(date(2026, 3, 2), 0) == date(2026, 3, 2)
    assert CAL.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)  # Monday → Tuesday
    assert CAL.add_working_days(date(2026, 2, 16), 1) == date(2026, 2, 24)  # from a holiday


def test_into_a_year_without_schedule_is_refused() -> None:
    done = date(2026, 12, 10)
    # 11 Dec … 31 Dec are 15 working days; the 16th would be in 2027.
    assert CAL.add_working_days(done, 15) == date(2026, 12, 31)
    with pytest.raises(NoHolidaySchedule) as caught:
        CAL.add_working_days(done, 16)
    assert caught.value.year == 2027
    assert caught.value.code is ErrorCode.NO_HOLIDAY_SCHEDULE
    assert "2027" in caught.value.problems[0].message
    with pytest.raises(NoHolidaySchedule):
        CAL.is_working_day(date(2003, 12, 31))


def test_after_publishing_the_year_it_is_computed() -> None:
    cal = WorkingCalendar.build([SCHEDULE_2027])
    # 15 by 31 Dec; 1-2 Jan off; 3 Jan Sunday working (16); 4-7 Jan (17-20).
    assert cal.add_working_days(date(2026, 12, 10), 20) == date(2027, 1, 7)
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 3)
    with pytest.raises(NoHolidaySchedule) as caught:
        cal.add_working_days(date(2027, 12, 20), 20)
    assert caught.value.year == 2028


def test_a_published_schedule_overrides_the_package_year() -> None:
    extended = YearSchedule(
        year=2026,
        holidays=frozenset(package_2026_holidays() | {date(2026, 2, 24)}),
        working_weekends=frozenset({date(2026, 2, 14), date(2026, 2, 28)}),
        source="correction",
    )
    cal = WorkingCalendar.build([extended])
    assert cal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 25)
    assert CAL.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def package_2026_holidays() -> frozenset[date]:
    return CAL.schedule(2026).holidays


def test_working_day_count_is_bounded() -> None:
    with pytest.raises(DomainError) as caught:
        CAL.add_working_days(date(2026, 1, 5), -1)
    assert caught.value.code is ErrorCode.OUT_OF_RANGE


def test_status_when_the_deadline_runs_into_a_year_without_schedule() -> None:
    from spotcheck.domain.deadlines import PublicationStatus, assess

    def status(today: date, published_on: date | None) -> PublicationStatus:
        a = assess(
            CAL,
            today,
            completed_on=date(2026, 12, 10),
            days=20,
            all_published=published_on is not None,
            published_on=published_on,
        )
        assert a.deadline is None and a.problem_year == 2027
        return a.status

    # The deadline is 1 January 2027 at the earliest: what that settles is given, nothing more.
    assert status(date(2026, 12, 31), None) is PublicationStatus.DUE
    assert status(date(2027, 1, 1), None) is PublicationStatus.UNDETERMINED
    assert status(date(2027, 3, 1), date(2026, 12, 31)) is PublicationStatus.ON_TIME
    assert status(date(2027, 3, 1), date(2027, 1, 4)) is PublicationStatus.UNDETERMINED
