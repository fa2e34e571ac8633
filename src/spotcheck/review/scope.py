"""Does a subject fall within a task's scope (检查对象范围)?  The review's own re-derivation.

The draw selects its population with one SQL statement (``services.draws.population_query``);
an audit must not trust that statement, so this module states the same filter over a subject's
state as plain Python, and the review compares the two: a subject that matched the filter but is
missing from the committed population (and no exclusion explains it) is a breach.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from spotcheck.domain.subject import Subject, industry_prefix
from spotcheck.domain.task import Task


def mismatches(task: Task, subject: Subject) -> list[str]:
    """Why the subject is outside the task's population filter (empty: it is inside)."""
    f = task.population
    out: list[str] = []
    if task.stratify_by_risk_class and (
        subject.risk_class is None or subject.risk_class.value not in {s.id for s in task.strata}
    ):
        out.append("credit risk class not among the task's strata")
    if f.kinds and subject.kind not in f.kinds:
        out.append(f"kind {subject.kind.value} not in the filter")
    if f.regions and subject.region not in f.regions:
        out.append(f"region {subject.region} not in the filter")
    prefixes = [p for p in (industry_prefix(i) for i in f.industries) if p is not None]
    if prefixes and not (
        subject.industry and any(subject.industry.startswith(p) for p in prefixes)
    ):
        out.append("industry not in the filter")
    if f.risk_classes and subject.risk_class not in f.risk_classes:
        out.append("credit risk class not in the filter")
    if f.statuses and subject.status not in f.statuses:
        out.append(f"registration status {subject.status.value} not in the filter")
    if f.tags and not set(f.tags) & set(subject.tags):
        out.append("none of the filter's tags")
    if f.applicable_items_only and not set(task.items) & set(subject.items):
        out.append("none of the task's items applies to the subject")
    return out


class PriorInspection(msgspec.Struct, frozen=True, kw_only=True):
    """An inspection of the subject drawn by an earlier draw (what the exclusions look at)."""

    task_id: str
    draw: str
    items: list[str]
    start_date: date
    end_date: date


def exclusion(task: Task, prior: list[PriorInspection]) -> str | None:
    """The task's exclusion rule that removes the subject, naming the earlier draw, or None."""
    days = task.exclusions.recent_inspection_days
    if days:
        since = task.start_date - timedelta(days=days)
        for p in prior:
            if set(p.items) & set(task.items) and since <= p.start_date < task.start_date:
                return f"inspected for the same items within {days} days by draw {p.draw}"
    if task.exclusions.exclude_drawn_same_period:
        for p in prior:
            if (
                p.task_id != task.task_id
                and p.start_date <= task.end_date
                and p.end_date >= task.start_date
            ):
                return f"drawn for the same period by draw {p.draw}"
    return None
