"""Checking a task's definition (items, population, strata, batches, inspector rules, dates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from spotcheck.domain import rules
from spotcheck.domain.errors import ErrorCode, Problems
from spotcheck.domain.item import ItemCategory
from spotcheck.domain.plan import ItemInForce, Plan, check_item
from spotcheck.domain.regions import Regions
from spotcheck.domain.subject import (
    MAX_TAG,
    MAX_TAGS,
    RiskClass,
    industry_prefix,
)
from spotcheck.domain.task.commands import ReviseTask, _TaskFields
from spotcheck.domain.task.model import (
    _CENT,
    _HUNDRED,
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
    InspectorRules,
    PopulationFilter,
    SpecialTrigger,
    StratumSpec,
    Task,
    TaskDefinition,
    TaskKind,
    TaskRefs,
)


# Rules
def _lead(p: Problems, lead: str, plan: Plan, refs: TaskRefs) -> None:
    if lead not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {lead!r}")
    elif lead not in plan.departments:
        p.add(
            ErrorCode.DEPARTMENT_NOT_PARTICIPATING,
            "department",
            f"department {lead!r} does not take part in plan {plan.plan_id!r}",
        )


def _items(p: Problems, codes: list[str], plan: Plan, refs: TaskRefs) -> list[ItemInForce]:
    """The task's items in force, in order without repeats; problems for the others."""
    found: list[ItemInForce] = []
    seen: set[str] = set()
    if not codes:
        p.add(ErrorCode.REQUIRED, "items", "a task checks at least one inspection item")
    for n, raw in enumerate(codes):
        code = raw.strip()
        if code in seen:
            continue
        seen.add(code)
        field = f"items.{n}"
        item = check_item(p, field, code, refs.items, refs.statuses)
        if item is None:
            continue
        if code not in plan.items:
            p.add(
                ErrorCode.ITEM_NOT_IN_PLAN,
                field,
                f"inspection item {code!r} is not in plan {plan.plan_id!r}",
            )
            continue
        found.append(item)
    if len(seen) > MAX_TASK_ITEMS:
        p.add(ErrorCode.OUT_OF_RANGE, "items", f"{len(seen)} items; at most {MAX_TASK_ITEMS}")
    return found


def _ratio(p: Problems, field: str, r: Decimal) -> bool:
    if not r.is_finite() or not 0 < r <= _HUNDRED:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            field,
            f"the ratio is a percentage above 0 and at most 100, not {r}",
        )
        return False
    if r != r.quantize(_CENT):
        p.add(ErrorCode.INVALID_FORMAT, field, "the ratio has at most 2 decimal places")
        return False
    return True


def _sampling(p: Problems, field: str, s: StratumSpec, cap: tuple[Decimal, str] | None) -> None:
    """A stratum's ratio or count; a ratio at most the lowest cap of the general items."""
    if (s.ratio_percent is None) == (s.count is None):
        p.add(
            ErrorCode.INVALID_FORMAT,
            field,
            "give exactly one of ratioPercent (抽查比例) and count (抽查数量)",
        )
    elif s.ratio_percent is not None:
        rf = f"{field}.ratioPercent"
        if _ratio(p, rf, s.ratio_percent) and cap is not None and s.ratio_percent > cap[0]:
            p.add(
                ErrorCode.RATIO_CAP_EXCEEDED,
                rf,
                f"{s.ratio_percent}% is above the cap of general item (一般检查事项) "
                f"{cap[1]}: {cap[0]}%",
            )
    elif s.count is not None and s.count < 1:
        p.add(ErrorCode.OUT_OF_RANGE, f"{field}.count", f"count is at least 1, not {s.count}")


def _strata(
    p: Problems,
    stratified: bool,
    strata: list[StratumSpec],
    risk_classes: list[RiskClass],
    items: list[ItemInForce],
) -> list[StratumSpec]:
    if not strata:
        p.add(ErrorCode.REQUIRED, "strata", "give the sampling: at least one stratum")
        return []
    if not stratified and len(strata) != 1:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "strata",
            f"a task not stratified by risk class has exactly one stratum {ALL!r}",
        )
    general = [
        (i.ratio_cap_percent, i.code)
        for i in items
        if i.category is ItemCategory.GENERAL and i.ratio_cap_percent is not None
    ]
    cap = min(general) if general else None
    filtered = {r.value for r in risk_classes}
    seen: set[str] = set()
    out: list[StratumSpec] = []
    for n, s in enumerate(strata):
        field = f"strata.{n}"
        sid = s.id.strip().upper()
        if stratified:
            if sid not in RISK_STRATA:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{field}.id",
                    f"{s.id!r} is not a credit risk class (信用风险分类) A, B, C or D",
                )
            elif sid in seen:
                p.add(ErrorCode.ALREADY_EXISTS, f"{field}.id", f"stratum {sid!r} appears twice")
            elif filtered and sid not in filtered:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{field}.id",
                    f"stratum {sid!r} is outside the population's risk classes",
                )
        elif sid != ALL:
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"{field}.id",
                f"a task not stratified by risk class has the one stratum {ALL!r}, not {s.id!r}",
            )
        seen.add(sid)
        _sampling(p, field, s, cap)
        out.append(StratumSpec(id=sid, ratio_percent=s.ratio_percent, count=s.count))
    return out


def _batches(
    p: Problems, order: bool, batches: list[str], items: list[ItemInForce], complete: bool
) -> list[str]:
    if not order:
        if batches:
            p.add(
                ErrorCode.INVALID_FORMAT,
                "batches",
                "batches are given only when the batch order is drawn (drawBatchOrder)",
            )
        return []
    if complete and any(i.category is not ItemCategory.KEY for i in items):
        general = next(i.code for i in items if i.category is not ItemCategory.KEY)
        p.add(
            ErrorCode.INVALID_FORMAT,
            "drawBatchOrder",
            "the batch order is drawn only when every item is a key item (重点检查事项); "
            f"{general!r} is a general item",
        )
    if not batches:
        p.add(ErrorCode.REQUIRED, "batches", "name the batches (批次) whose order is drawn")
        return []
    if not MIN_BATCHES <= len(batches) <= MAX_BATCHES:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "batches",
            f"{len(batches)} batches; between {MIN_BATCHES} and {MAX_BATCHES}",
        )
    out: list[str] = []
    for n, raw in enumerate(batches):
        label = raw.strip()
        field = f"batches.{n}"
        if not label:
            p.add(ErrorCode.REQUIRED, field, "a batch label may not be empty")
        elif len(label) > MAX_BATCH_LABEL:
            p.add(
                ErrorCode.TOO_LONG, field, f"a batch label has at most {MAX_BATCH_LABEL} characters"
            )
        elif label in out:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"batch {label!r} appears twice")
        out.append(label)
    return out


def _inspector_rules(p: Problems, r: InspectorRules, departments: list[str]) -> None:
    f = "inspectorRules"
    if not MIN_OFFICERS <= r.officers_per_subject <= MAX_OFFICERS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.officersPerSubject",
            f"at least {MIN_OFFICERS} inspectors per subject (one of them the lead, 主检) and "
            f"at most {MAX_OFFICERS}, not {r.officers_per_subject}",
        )
    elif r.officers_per_subject < len(departments):
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.officersPerSubject",
            f"a joint task of {len(departments)} departments needs at least one inspector of "
            f"each: officersPerSubject ≥ {len(departments)}",
        )
    if not 0 <= r.experts_per_subject <= MAX_EXPERTS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.expertsPerSubject",
            f"between 0 and {MAX_EXPERTS} experts per subject",
        )
    if r.workload_cap is not None and not 1 <= r.workload_cap <= MAX_WORKLOAD:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.workloadCap",
            f"the workload cap is between 1 and {MAX_WORKLOAD} subjects per inspector",
        )


def _population(p: Problems, f: PopulationFilter, regions: Regions) -> PopulationFilter:
    out_regions: list[str] = []
    for n, code in enumerate(f.regions):
        code = code.strip()
        regions.check(p, f"population.regions.{n}", code)
        if code not in out_regions:
            out_regions.append(code)
    industries: list[str] = []
    for n, raw in enumerate(f.industries):
        prefix = industry_prefix(raw)
        if prefix is None:
            p.add(
                ErrorCode.INVALID_INDUSTRY,
                f"population.industries.{n}",
                f"{raw!r} is not a GB/T 4754 code or prefix (e.g. F, F52, 52, F5211)",
            )
        elif prefix not in industries:
            industries.append(prefix)
    if len(industries) > MAX_INDUSTRIES:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "population.industries",
            f"{len(industries)} industries; at most {MAX_INDUSTRIES}",
        )
    tags: list[str] = []
    for n, raw in enumerate(f.tags):
        tag = raw.strip()
        if not tag:
            p.add(ErrorCode.REQUIRED, f"population.tags.{n}", "a tag may not be empty")
        elif len(tag) > MAX_TAG:
            p.add(
                ErrorCode.TOO_LONG,
                f"population.tags.{n}",
                f"a tag has at most {MAX_TAG} characters",
            )
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        p.add(ErrorCode.OUT_OF_RANGE, "population.tags", f"{len(tags)} tags; at most {MAX_TAGS}")
    return PopulationFilter(
        kinds=list(dict.fromkeys(f.kinds)),
        regions=out_regions,
        industries=industries,
        risk_classes=list(dict.fromkeys(f.risk_classes)),
        statuses=list(dict.fromkeys(f.statuses)),
        tags=tags,
        applicable_items_only=f.applicable_items_only,
    )


def _dates(p: Problems, start: date, end: date, plan: Plan) -> None:
    rules.date_range(p, "endDate", start, end)
    for field, d in (("startDate", start), ("endDate", end)):
        if d.year != plan.year:
            p.add(
                ErrorCode.OUT_OF_RANGE,
                field,
                f"{d.isoformat()} is outside the plan's year {plan.year}",
            )


def _trigger(p: Problems, kind: TaskKind, trigger: SpecialTrigger | None) -> SpecialTrigger | None:
    """专项检查 needs its stated trigger; a routine task has none."""
    if kind is TaskKind.ROUTINE:
        if trigger is not None:
            p.add(
                ErrorCode.INVALID_FORMAT,
                "trigger",
                "only a special task (专项检查, kind SPECIAL) states a trigger",
            )
        return None
    if trigger is None:
        p.add(
            ErrorCode.REQUIRED,
            "trigger",
            "a special task (专项检查) states its trigger (a cluster of complaints, risk "
            "monitoring, other) with a description",
        )
        return None
    rules.text(
        p,
        "trigger.description",
        trigger.description,
        max_len=MAX_TRIGGER_DESCRIPTION,
        multiline=True,
    )
    return SpecialTrigger(kind=trigger.kind, description=trigger.description.strip())


def check_definition(
    p: Problems, fields: _TaskFields, lead: str, plan: Plan, refs: TaskRefs
) -> TaskDefinition:
    """Check every field of a task (adding problems to ``p``); return it normalised."""
    rules.text(p, "title", fields.title, max_len=200)
    _lead(p, lead, plan, refs)
    items = _items(p, fields.items, plan, refs)
    complete = len(items) == len(dict.fromkeys(c.strip() for c in fields.items))
    departments = list(dict.fromkeys([lead, *(i.department for i in items)]))
    population = _population(p, fields.population, refs.regions)
    strata = _strata(
        p, fields.stratify_by_risk_class, fields.strata, population.risk_classes, items
    )
    batches = _batches(p, fields.draw_batch_order, fields.batches, items, complete and bool(items))
    _inspector_rules(p, fields.inspector_rules, departments)
    days = fields.exclusions.recent_inspection_days
    if days is not None and not 1 <= days <= MAX_RECENT_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "exclusions.recentInspectionDays",
            f"between 1 and {MAX_RECENT_DAYS} days, not {days}",
        )
    _dates(p, fields.start_date, fields.end_date, plan)
    trigger = _trigger(p, fields.kind, fields.trigger)
    return TaskDefinition(
        title=fields.title.strip(),
        department=lead,
        departments=departments,
        items=[i.code for i in items],
        stratify_by_risk_class=fields.stratify_by_risk_class,
        strata=strata,
        population=population,
        exclusions=fields.exclusions,
        inspector_rules=fields.inspector_rules,
        start_date=fields.start_date,
        end_date=fields.end_date,
        draw_batch_order=fields.draw_batch_order,
        batches=batches,
        kind=fields.kind,
        trigger=trigger,
    )


def definition_of(state: Task) -> TaskDefinition:
    return TaskDefinition(
        title=state.title,
        department=state.department,
        departments=list(state.departments),
        items=list(state.items),
        stratify_by_risk_class=state.stratify_by_risk_class,
        strata=list(state.strata),
        population=state.population,
        exclusions=state.exclusions,
        inspector_rules=state.inspector_rules,
        start_date=state.start_date,
        end_date=state.end_date,
        draw_batch_order=state.draw_batch_order,
        batches=list(state.batches),
        kind=state.kind,
        trigger=state.trigger,
    )


def _as_fields(state: Task) -> ReviseTask:
    return ReviseTask(
        task_id=state.task_id,
        title=state.title,
        items=list(state.items),
        department=state.department,
        stratify_by_risk_class=state.stratify_by_risk_class,
        strata=list(state.strata),
        population=state.population,
        exclusions=state.exclusions,
        inspector_rules=state.inspector_rules,
        start_date=state.start_date,
        end_date=state.end_date,
        draw_batch_order=state.draw_batch_order,
        batches=list(state.batches),
        kind=state.kind,
        trigger=state.trigger,
    )
