"""A task's values, its state, its checked definition and the reference data for checking."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import msgspec

from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.plan import ItemInForce, Plan
from spotcheck.domain.regions import Regions
from spotcheck.domain.subject import (
    RegistrationStatus,
    RiskClass,
)

ALL = "ALL"
"""The one stratum's id when the task is not stratified by risk class."""
RISK_STRATA = tuple(r.value for r in RiskClass)
MIN_OFFICERS = 2
MAX_OFFICERS = 10
MAX_EXPERTS = 10
MAX_TASK_ITEMS = 50
MIN_BATCHES = 2
MAX_BATCHES = 50
MAX_BATCH_LABEL = 50
MAX_INDUSTRIES = 100
MAX_RECENT_DAYS = 3650
MAX_WORKLOAD = 100_000
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class StratumSpec(msgspec.Struct, frozen=True, kw_only=True):
    """抽查层 One stratum of the draw and how much of it is drawn."""

    id: str
    """"A".."D" when stratified by credit risk class, else "ALL"."""
    ratio_percent: Decimal | None = None
    """抽查比例 (%) 0 < r ≤ 100 (percent, like item caps)."""
    count: int | None = None
    """抽查数量 ≥ 1.  Exactly one of ratio_percent / count."""


class PopulationFilter(msgspec.Struct, frozen=True, kw_only=True):
    """检查对象范围 Which subjects of the registry may be drawn.  An empty list means any."""

    kinds: list[SubjectKind] = msgspec.field(default_factory=list)
    regions: list[str] = msgspec.field(default_factory=list)
    industries: list[str] = msgspec.field(default_factory=list)
    """GB/T 4754 prefixes with their section letter (``subject.industry_prefix``), e.g. F52."""
    risk_classes: list[RiskClass] = msgspec.field(default_factory=list)
    statuses: list[RegistrationStatus] = msgspec.field(
        default_factory=lambda: [RegistrationStatus.ACTIVE]
    )
    tags: list[str] = msgspec.field(default_factory=list)
    """A subject qualifies if it has any of them."""
    applicable_items_only: bool = False
    """Only subjects whose ``items`` include one of the task's items."""


class Exclusions(msgspec.Struct, frozen=True, kw_only=True):
    """排除规则 Subjects left out of the draw."""

    recent_inspection_days: int | None = None
    """Drop subjects inspected at random for any of the same items within N days before
    start_date (1-3650)."""
    exclude_drawn_same_period: bool = True
    """Drop subjects drawn by another task whose dates overlap."""


class InspectorRules(msgspec.Struct, frozen=True, kw_only=True):
    """执法检查人员匹配规则 How inspectors are matched with each drawn subject."""

    officers_per_subject: int = 2
    """At least 2 (one of them the lead, 主检); in a joint task at least one per department."""
    experts_per_subject: int = 0
    workload_cap: int | None = None
    """Max subjects per inspector in this draw."""


class TaskKind(enum.Enum):
    """任务类型 Kind of inspection task."""

    ROUTINE = "ROUTINE"
    """日常抽查 A routine random inspection task."""
    SPECIAL = "SPECIAL"
    """专项检查 A special inspection for a stated trigger; still double-random."""


class TriggerKind(enum.Enum):
    """专项检查的起因 Why a special inspection is made."""

    COMPLAINT_CLUSTER = "COMPLAINT_CLUSTER"
    """投诉举报集中 A cluster of complaints."""
    RISK_MONITORING = "RISK_MONITORING"
    """风险监测 Risk monitoring."""
    OTHER = "OTHER"
    """其他 Other."""


class SpecialTrigger(msgspec.Struct, frozen=True, kw_only=True):
    """专项检查的起因 The stated trigger of a SPECIAL task."""

    kind: TriggerKind
    description: str


MAX_TRIGGER_DESCRIPTION = 1000


class TaskStatus(enum.Enum):
    """任务状态 Status of an inspection task (the draw lifecycle lives in the draw aggregate)."""

    DRAFT = "DRAFT"
    """草稿 Draft: revisable, not yet drawn."""
    PUBLISHED = "PUBLISHED"
    """已发布 Published: ready to be drawn."""
    CANCELLED = "CANCELLED"
    """已撤销 Cancelled (with a reason)."""


class Task(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an inspection task."""

    task_id: str
    plan_id: str
    title: str
    department: str
    """牵头部门 The lead department."""
    departments: list[str]
    """Participating departments, lead first; joint when more than one."""
    items: list[str]
    """Item codes (each in force; each owned by a participating department)."""
    stratify_by_risk_class: bool
    strata: list[StratumSpec]
    population: PopulationFilter
    exclusions: Exclusions
    inspector_rules: InspectorRules
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    """Only for tasks whose items are all KEY."""
    batches: list[str] = msgspec.field(default_factory=list)
    """Batch labels when draw_batch_order."""
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None
    """Required for SPECIAL, none for ROUTINE."""
    status: TaskStatus
    published_once: bool = False
    """Was published (一公开): it stays public after a cancellation."""
    cancel_reason: str | None = None

    @property
    def joint(self) -> bool:
        return len(self.departments) > 1


class TaskDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a task fixes, validated and normalised (what creating and revising record)."""

    title: str
    department: str
    departments: list[str]
    items: list[str]
    stratify_by_risk_class: bool
    strata: list[StratumSpec]
    population: PopulationFilter
    exclusions: Exclusions
    inspector_rules: InspectorRules
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    batches: list[str] = msgspec.field(default_factory=list)
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None


class TaskRefs(msgspec.Struct, frozen=True, kw_only=True):
    """Reference data a task decision checks against."""

    plan: Plan | None
    """The task's annual plan (the command's plan for a new task)."""
    departments: frozenset[str]
    regions: Regions
    items: Mapping[str, ItemInForce]
    """Items in force, by code (at least those the command names)."""
    statuses: Mapping[str, str]
    """Every inspection item's status by code, for messages."""
