"""The commands on an inspection task."""

from __future__ import annotations

from datetime import date

import msgspec

from spotcheck.domain.aggregate import Command
from spotcheck.domain.task.model import (
    Exclusions,
    InspectorRules,
    PopulationFilter,
    SpecialTrigger,
    StratumSpec,
    TaskKind,
)


# Commands
class _TaskFields(Command, frozen=True, kw_only=True):
    title: str
    items: list[str]
    department: str | None = None
    """The lead department: for a new task, the plan's department when None; for a revision,
    unchanged when None."""
    stratify_by_risk_class: bool = False
    strata: list[StratumSpec]
    population: PopulationFilter = msgspec.field(default_factory=PopulationFilter)
    exclusions: Exclusions = msgspec.field(default_factory=Exclusions)
    inspector_rules: InspectorRules = msgspec.field(default_factory=InspectorRules)
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    batches: list[str] = msgspec.field(default_factory=list)
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None


class CreateTask(_TaskFields, frozen=True, kw_only=True):
    task_id: str
    plan_id: str


class ReviseTask(_TaskFields, frozen=True, kw_only=True):
    """Replace a draft task's whole definition."""

    task_id: str
    reason: str | None = None


class PublishTask(Command, frozen=True, kw_only=True):
    task_id: str


class CancelTask(Command, frozen=True, kw_only=True):
    task_id: str
    reason: str | None = None


TaskCommand = CreateTask | ReviseTask | PublishTask | CancelTask
