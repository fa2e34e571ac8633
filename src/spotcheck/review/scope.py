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
        out.append("信用风险分类不在任务的分层之中")
    if f.kinds and subject.kind not in f.kinds:
        out.append(f"对象类型 {subject.kind.value} 不在范围内")
    if f.regions and subject.region not in f.regions:
        out.append(f"所属街乡 {subject.region} 不在范围内")
    prefixes = [p for p in (industry_prefix(i) for i in f.industries) if p is not None]
    if prefixes and not (
        subject.industry and any(subject.industry.startswith(p) for p in prefixes)
    ):
        out.append("所属行业不在范围内")
    if f.risk_classes and subject.risk_class not in f.risk_classes:
        out.append("信用风险分类不在范围内")
    if f.statuses and subject.status not in f.statuses:
        out.append(f"登记状态 {subject.status.value} 不在范围内")
    if f.tags and not set(f.tags) & set(subject.tags):
        out.append("不具备范围要求的任一标签")
    if f.applicable_items_only and not set(task.items) & set(subject.items):
        out.append("任务的检查事项均不适用于该对象")
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
                return f"{days} 日内已因相同事项被抽取 {p.draw} 检查"
    if task.exclusions.exclude_drawn_same_period:
        for p in prior:
            if (
                p.task_id != task.task_id
                and p.start_date <= task.end_date
                and p.end_date >= task.start_date
            ):
                return f"同一期间已被抽取 {p.draw} 抽中"
    return None
