"""抽查任务 inspection task of an annual plan: what is drawn, from which population, by whom, when.

Stream ``task-{task_id}``.  A task belongs to an annual plan (年度抽查工作计划, ``domain/plan.py``)
and fixes the inspection items, the population filter (检查对象范围: kind, region, industry,
risk class, registration status, tags), the sampling (抽查比例或数量, per stratum), exclusions,
the inspector rules (at least 2 inspectors per subject, experts, workload cap) and the dates.
The draw itself (第一个随机、第二个随机) lives in the draw aggregate (``draw-{task_id}``), which
reads this task.

Lifecycle: DRAFT (草稿, revisable) → PUBLISHED (已发布: ready to be drawn; the plan must be filed
first) → CANCELLED (已撤销, with a reason).  A draft may also be cancelled.  Publishing checks
the whole definition again against the registries as they are then (items still in force, caps
unchanged, regions known).

Departments: the lead department (牵头部门) is the plan's department unless another participating
department of the plan is named; the task's departments are the lead followed by the owners of
its items.  A task with more than one department is joint (联合抽查, 进一次门、查多项事): each
department sends at least one inspector, so ``officers_per_subject`` is at least the number of
departments.

Sampling rules:
- 一般检查事项 general items cap the sampling ratio: no stratum's ``ratio_percent`` may exceed the
  lowest cap among the task's general items (RATIO_CAP_EXCEEDED).  A stratum given as a
  ``count`` is checked against the caps when a draw is committed, by the draws area, because
  the ratio a count makes depends on the population size at that moment.
- 重点检查事项 key items have no cap; when every item is key, the order of batches may itself be
  drawn (``draw_batch_order`` with 2-50 batch labels).
- Strata: stratified by credit risk class (信用风险分类), ids are a subset of A, B, C, D; else one
  stratum ``ALL``.  Each stratum has either a ratio (0 < r ≤ 100 percent) or a count (≥ 1).

Kind: ROUTINE (日常抽查, the default) or SPECIAL (专项检查: made for a stated trigger, a cluster of
complaints or risk monitoring, with a description; still double-random).  A SPECIAL task needs
its trigger; a ROUTINE task takes none.  Inspections drawn by a SPECIAL task have origin SPECIAL
(``domain/inspection/``).

Who: the system administrator or the lead department's administrator.

The package's parts: ``model`` (values, state, reference data), ``commands``, ``events``
(with ``evolve`` and ``SPEC``), ``definition`` (checking a definition) and ``decisions`` (one
function per command).  Every public name is re-exported here, so
``from spotcheck.domain import task as t`` and ``t.decide`` keep working.
"""

from __future__ import annotations

from spotcheck.domain.task.commands import (
    CancelTask,
    CreateTask,
    PublishTask,
    ReviseTask,
    TaskCommand,
)
from spotcheck.domain.task.decisions import decide
from spotcheck.domain.task.definition import check_definition, definition_of
from spotcheck.domain.task.events import (
    SPEC,
    InspectionTaskCancelled,
    InspectionTaskCreated,
    InspectionTaskPublished,
    InspectionTaskRevised,
    evolve,
)
from spotcheck.domain.task.model import (
    ALL,
    MAX_BATCH_LABEL,
    MAX_BATCHES,
    MAX_EXPERTS,
    MAX_INDUSTRIES,
    MAX_OFFICERS,
    MAX_RECENT_DAYS,
    MAX_TASK_ITEMS,
    MAX_TRIGGER_DESCRIPTION,
    MAX_WORKLOAD,
    MIN_BATCHES,
    MIN_OFFICERS,
    RISK_STRATA,
    Exclusions,
    InspectorRules,
    PopulationFilter,
    SpecialTrigger,
    StratumSpec,
    Task,
    TaskDefinition,
    TaskKind,
    TaskRefs,
    TaskStatus,
    TriggerKind,
)

__all__ = [
    "ALL",
    "MAX_BATCHES",
    "MAX_BATCH_LABEL",
    "MAX_EXPERTS",
    "MAX_INDUSTRIES",
    "MAX_OFFICERS",
    "MAX_RECENT_DAYS",
    "MAX_TASK_ITEMS",
    "MAX_TRIGGER_DESCRIPTION",
    "MAX_WORKLOAD",
    "MIN_BATCHES",
    "MIN_OFFICERS",
    "RISK_STRATA",
    "SPEC",
    "CancelTask",
    "CreateTask",
    "Exclusions",
    "InspectionTaskCancelled",
    "InspectionTaskCreated",
    "InspectionTaskPublished",
    "InspectionTaskRevised",
    "InspectorRules",
    "PopulationFilter",
    "PublishTask",
    "ReviseTask",
    "SpecialTrigger",
    "StratumSpec",
    "Task",
    "TaskCommand",
    "TaskDefinition",
    "TaskKind",
    "TaskRefs",
    "TaskStatus",
    "TriggerKind",
    "check_definition",
    "decide",
    "definition_of",
    "evolve",
]
