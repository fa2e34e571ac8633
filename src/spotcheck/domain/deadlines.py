"""公示时限 Publication deadlines: results are published within N working days of completion.

A task (抽查任务) is complete (完成) when every inspection of its current draw (the rows of
table ``inspections``: an executed draw that was not voided) has approved results; its
completion date is the latest approval date (``approved_on``, a Beijing date).  A case
inspection (个案) is complete when it is approved.  Its results must be published within the
plan's ``publication_working_days`` (20 by default; case inspections always 20) working days
of that date (``add_working_days``: the completion day itself is not counted, the deadline day
is still in time).

The deadline is computed when asked, over the holiday schedules known then, so publishing a
later year's schedule makes a deadline computable that was not.  When it is not computable the
deadline is null and ``problem_year`` names the year without a schedule; the status is still
given when it is certain without the exact deadline (the deadline is at least 1 January of that
year), else UNDETERMINED.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from spotcheck.domain.calendar import NoHolidaySchedule, WorkingCalendar


def publication_deadline(calendar: WorkingCalendar, completed_on: date, days: int) -> date:
    """The last day to publish: the ``days``-th working day after ``completed_on``.  Raises
    ``NoHolidaySchedule`` (NO_HOLIDAY_SCHEDULE, naming the year) when a year is missing."""
    return calendar.add_working_days(completed_on, days)


class PublicationStatus(enum.Enum):
    """公示状态 Where a task's (or case inspection's) publication stands against its deadline."""

    NOT_COMPLETE = "NOT_COMPLETE"
    """未完成 Not every inspection has approved results yet: no deadline runs."""
    DUE = "DUE"
    """待公示 Complete, not all published, deadline not passed."""
    OVERDUE = "OVERDUE"
    """逾期未公示 Complete, not all published, deadline passed."""
    ON_TIME = "ON_TIME"
    """按时公示 Every inspection published by the deadline."""
    LATE = "LATE"
    """逾期公示 Every inspection published, the last after the deadline."""
    UNDETERMINED = "UNDETERMINED"
    """无法判定 The deadline runs into a year without a holiday schedule and the answer depends
    on it (see ``problem_year``)."""


@dataclass(frozen=True)
class Assessment:
    deadline: date | None
    problem_year: int | None
    status: PublicationStatus


def assess(
    calendar: WorkingCalendar,
    today: date,
    *,
    completed_on: date | None,
    days: int,
    all_published: bool,
    published_on: date | None,
) -> Assessment:
    """The deadline and status; ``completed_on`` None means not complete."""
    if completed_on is None:
        return Assessment(None, None, PublicationStatus.NOT_COMPLETE)
    try:
        deadline = publication_deadline(calendar, completed_on, days)
    except NoHolidaySchedule as missing:
        # Every day before that year was counted without reaching ``days``: the deadline is
        # on or after its 1 January.  Decide only what that settles.
        earliest = date(missing.year, 1, 1)
        if all_published and published_on is not None:
            status = (
                PublicationStatus.ON_TIME
                if published_on < earliest
                else PublicationStatus.UNDETERMINED
            )
        else:
            status = PublicationStatus.DUE if today < earliest else PublicationStatus.UNDETERMINED
        return Assessment(None, missing.year, status)
    if all_published and published_on is not None:
        late = published_on > deadline
        return Assessment(
            deadline, None, PublicationStatus.LATE if late else PublicationStatus.ON_TIME
        )
    overdue = today > deadline
    return Assessment(
        deadline, None, PublicationStatus.OVERDUE if overdue else PublicationStatus.DUE
    )


class DeadlineKind(enum.Enum):
    TASK = "TASK"
    """抽查任务 A task's inspections, published together."""
    CASE_INSPECTION = "CASE_INSPECTION"
    """个案检查 One case inspection."""


@dataclass(frozen=True)
class Deadline:
    """One task's (or case inspection's) publication deadline, as of ``today``."""

    key: str
    """The task id, or the case inspection's id."""
    kind: DeadlineKind
    department: str
    """牵头部门 The lead department, which approves and publishes."""
    year: int
    end_date: date
    inspections: int
    approved: int
    published: int
    open: int
    """Inspections without approved results."""
    completed_on: date | None
    working_days: int
    published_on: date | None
    """The latest publication date among its inspections (null if none is published)."""
    assessment: Assessment

    @property
    def task_id(self) -> str | None:
        return self.key if self.kind is DeadlineKind.TASK else None

    @property
    def inspection_id(self) -> str | None:
        return self.key if self.kind is DeadlineKind.CASE_INSPECTION else None


@dataclass(frozen=True)
class OverdueInspection:
    """An inspection not yet published whose task (or itself, for a case) is past its deadline."""

    inspection_id: str
    task_id: str | None
    department: str
    subject: str
    lifecycle: str
    deadline: Deadline
