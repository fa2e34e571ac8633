"""Inspection tasks (抽查任务): the pure rules, one test per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from msgspec.structs import replace

from spotcheck.domain import plan as p
from spotcheck.domain import task as t
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event, from_data, to_data
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.item import ItemCategory
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Regions
from spotcheck.domain.subject import RegistrationStatus, RiskClass

ADMIN = Actor("admin", "SCJG", frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor("scjg-admin", "SCJG", frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor("sthj-admin", "STHJ", frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor("inspector", "SCJG", frozenset({Role.INSPECTOR}))
AUDITOR = Actor("auditor", "SCJG", frozenset({Role.AUDITOR}))


def item(code: str, department: str = "SCJG", cap: str | None = "5") -> p.ItemInForce:
    return p.ItemInForce(
        code=code,
        version=1,
        department=department,
        category=ItemCategory.GENERAL if cap is not None else ItemCategory.KEY,
        ratio_cap_percent=Decimal(cap) if cap is not None else None,
        target_kind=SubjectKind.ENTERPRISE,
    )


ITEMS = {
    i.code: i
    for i in (
        item("G5"),  # general, cap 5%
        item("G3", cap="3"),  # general, cap 3%
        item("K1", cap=None),  # key: no cap
        item("K2", cap=None),
        item("STHJ-K", "STHJ", cap=None),
        item("ZJW-K", "ZJW", cap=None),
        item("OUTSIDE", cap=None),  # in force but not in the plan
    )
}
PLAN = p.Plan(
    plan_id="2026-JOINT",
    year=2026,
    department="SCJG",
    departments=["SCJG", "STHJ", "ZJW"],
    title="2026年度联合抽查计划",
    items=["G5", "G3", "K1", "K2", "STHJ-K", "ZJW-K", "RETIRED"],
    status=p.PlanStatus.FILED,
)
REFS = t.TaskRefs(
    plan=PLAN,
    departments=frozenset({"SCJG", "STHJ", "ZJW", "WJW"}),
    regions=Regions.load(),
    items=ITEMS,
    statuses={c: "PUBLISHED" for c in ITEMS} | {"RETIRED": "RETIRED"},
)


def create(**changes: Any) -> t.CreateTask:
    base = t.CreateTask(
        task_id="T-2026-001",
        plan_id="2026-JOINT",
        title="食品经营者双随机抽查",
        items=["G5"],
        strata=[t.StratumSpec(id="ALL", ratio_percent=Decimal("5"))],
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 30),
    )
    return replace(base, **changes)


def revise(state: t.Task, **changes: Any) -> t.ReviseTask:
    c = create()
    base = t.ReviseTask(
        task_id=state.task_id,
        title=c.title,
        items=c.items,
        strata=c.strata,
        start_date=c.start_date,
        end_date=c.end_date,
    )
    return replace(base, **changes)


def run(
    state: t.Task | None,
    command: t.TaskCommand,
    actor: Actor = SCJG_ADMIN,
    refs: t.TaskRefs = REFS,
) -> tuple[t.Task | None, list[Event]]:
    events = t.decide(state, command, actor, refs)
    return t.SPEC.fold(events, state), events


def problems(
    state: t.Task | None,
    command: t.TaskCommand,
    actor: Actor = SCJG_ADMIN,
    refs: t.TaskRefs = REFS,
) -> set[tuple[ErrorCode, str | None]]:
    with pytest.raises(DomainError) as exc:
        t.decide(state, command, actor, refs)
    return {(x.code, x.field) for x in exc.value.problems}


def messages(command: t.TaskCommand) -> list[str]:
    with pytest.raises(DomainError) as exc:
        t.decide(None, command, SCJG_ADMIN, REFS)
    return [x.message for x in exc.value.problems]


def draft(**changes: Any) -> t.Task:
    state, _ = run(None, create(**changes))
    assert state is not None
    return state


def published() -> t.Task:
    state, _ = run(draft(), t.PublishTask(task_id="T-2026-001"))
    assert state is not None
    return state


def ratio(*values: str) -> list[t.StratumSpec]:
    ids = ["ALL"] if len(values) == 1 else ["A", "B", "C", "D"]
    return [
        t.StratumSpec(id=i, ratio_percent=Decimal(v)) for i, v in zip(ids, values, strict=False)
    ]


# Creating, and who may
def test_create_makes_a_draft_led_by_the_plans_department() -> None:
    state, events = run(None, create())
    assert [type(e).__name__ for e in events] == ["InspectionTaskCreated"]
    assert state is not None
    assert state.status is t.TaskStatus.DRAFT and not state.published_once
    assert (state.plan_id, state.department, state.departments) == ("2026-JOINT", "SCJG", ["SCJG"])
    assert state.population.statuses == [RegistrationStatus.ACTIVE]
    assert state.inspector_rules.officers_per_subject == 2


def test_state_round_trips_through_json() -> None:
    state = draft(
        stratify_by_risk_class=True,
        strata=[
            t.StratumSpec(id="D", ratio_percent=Decimal("2.5")),
            t.StratumSpec(id="A", count=10),
        ],
    )
    data = to_data(state)
    assert data["strata"][0]["ratio_percent"] == "2.5"
    assert data["start_date"] == "2026-03-01"
    assert from_data(data, t.Task) == state


def test_departments_are_the_lead_then_the_owners_of_the_items() -> None:
    command = create(
        items=["STHJ-K", "K1", "ZJW-K"],
        strata=ratio("20"),
        department="STHJ",
        inspector_rules=t.InspectorRules(officers_per_subject=3),
    )
    state, _ = run(None, command, STHJ_ADMIN)
    assert state is not None and state.department == "STHJ"
    assert state.departments == ["STHJ", "SCJG", "ZJW"] and state.joint
    assert draft(items=["STHJ-K"], strata=ratio("20")).departments == ["SCJG", "STHJ"]


def test_who_may_create() -> None:
    assert run(None, create(), ADMIN)[1]
    for actor in (STHJ_ADMIN, INSPECTOR, AUDITOR):
        assert problems(None, create(), actor) == {(ErrorCode.FORBIDDEN, "department")}
    # A participating department's administrator leads its own task in the joint plan.
    assert run(None, create(department="STHJ"), STHJ_ADMIN)[1]


def test_lead_must_take_part_in_the_plan() -> None:
    assert problems(None, create(department="WJW"), ADMIN) == {
        (ErrorCode.DEPARTMENT_NOT_PARTICIPATING, "department")
    }
    assert problems(None, create(department="NOPE"), ADMIN) == {
        (ErrorCode.UNKNOWN_DEPARTMENT, "department")
    }


def test_plan_must_exist() -> None:
    assert problems(None, create(), refs=replace(REFS, plan=None)) == {
        (ErrorCode.NOT_FOUND, "planId")
    }


def test_existing_task_is_not_created_twice() -> None:
    assert problems(draft(), create()) == {(ErrorCode.ALREADY_EXISTS, "taskId")}


def test_bad_id_and_title() -> None:
    assert problems(None, create(task_id="bad id", title="")) == {
        (ErrorCode.INVALID_FORMAT, "taskId"),
        (ErrorCode.REQUIRED, "title"),
    }


# Items
def test_items_required() -> None:
    assert problems(None, create(items=[])) == {(ErrorCode.REQUIRED, "items")}


def test_items_must_be_in_the_plan() -> None:
    assert problems(None, create(items=["G5", "OUTSIDE"])) == {
        (ErrorCode.ITEM_NOT_IN_PLAN, "items.1")
    }


def test_items_must_be_in_force() -> None:
    assert problems(None, create(items=["RETIRED", "NOPE"])) == {
        (ErrorCode.UNKNOWN_ITEM, "items.0"),
        (ErrorCode.UNKNOWN_ITEM, "items.1"),
    }


# Sampling ratio caps
def test_ratio_above_the_lowest_general_cap_is_refused_naming_item_and_cap() -> None:
    command = create(items=["G5", "G3", "K1"], strata=ratio("4"))
    assert problems(None, command) == {(ErrorCode.RATIO_CAP_EXCEEDED, "strata.0.ratioPercent")}
    (message,) = messages(command)
    assert "G3" in message and "3%" in message
    assert draft(items=["G5", "G3"], strata=ratio("3")).strata[0].ratio_percent == Decimal("3")


def test_each_stratum_is_checked_against_the_cap() -> None:
    command = create(stratify_by_risk_class=True, strata=ratio("1", "5", "5.01", "30"))
    assert problems(None, command) == {
        (ErrorCode.RATIO_CAP_EXCEEDED, "strata.2.ratioPercent"),
        (ErrorCode.RATIO_CAP_EXCEEDED, "strata.3.ratioPercent"),
    }


def test_counts_are_not_checked_against_caps_here() -> None:
    """A count's ratio depends on the population when drawn: the draws area checks it."""
    state = draft(strata=[t.StratumSpec(id="ALL", count=100_000)])
    assert state.strata[0].count == 100_000


def test_key_items_have_no_cap() -> None:
    assert draft(items=["K1", "K2"], strata=ratio("100")).strata[0].ratio_percent == 100


# Batch order (key items only)
def test_batch_order_only_when_every_item_is_key() -> None:
    command = create(items=["K1", "G5"], draw_batch_order=True, batches=["一", "二"])
    assert problems(None, command) == {(ErrorCode.INVALID_FORMAT, "drawBatchOrder")}


def test_batch_order_needs_2_to_50_unique_batches() -> None:
    key = {"items": ["K1"], "strata": ratio("50"), "draw_batch_order": True}
    assert problems(None, create(**key)) == {(ErrorCode.REQUIRED, "batches")}
    assert problems(None, create(**key, batches=["一"])) == {(ErrorCode.OUT_OF_RANGE, "batches")}
    many = [f"第{n}批" for n in range(51)]
    assert problems(None, create(**key, batches=many)) == {(ErrorCode.OUT_OF_RANGE, "batches")}
    assert problems(None, create(**key, batches=["一", " 一 "])) == {
        (ErrorCode.ALREADY_EXISTS, "batches.1")
    }
    assert draft(**key, batches=[" 一 ", "二"]).batches == ["一", "二"]


def test_batches_without_batch_order_are_refused() -> None:
    assert problems(None, create(batches=["一", "二"])) == {(ErrorCode.INVALID_FORMAT, "batches")}


# Inspector rules
def test_at_least_two_officers_per_subject() -> None:
    command = create(inspector_rules=t.InspectorRules(officers_per_subject=1))
    assert problems(None, command) == {
        (ErrorCode.OUT_OF_RANGE, "inspectorRules.officersPerSubject")
    }


def test_joint_task_needs_an_officer_of_each_department() -> None:
    joint = {"items": ["K1", "STHJ-K", "ZJW-K"], "strata": ratio("10")}
    assert problems(None, create(**joint)) == {
        (ErrorCode.OUT_OF_RANGE, "inspectorRules.officersPerSubject")
    }
    rules3 = t.InspectorRules(officers_per_subject=3)
    assert draft(**joint, inspector_rules=rules3).departments == ["SCJG", "STHJ", "ZJW"]


def test_workload_cap_at_least_one() -> None:
    command = create(inspector_rules=t.InspectorRules(workload_cap=0))
    assert problems(None, command) == {(ErrorCode.OUT_OF_RANGE, "inspectorRules.workloadCap")}


def test_experts_not_negative() -> None:
    command = create(inspector_rules=t.InspectorRules(experts_per_subject=-1))
    assert problems(None, command) == {(ErrorCode.OUT_OF_RANGE, "inspectorRules.expertsPerSubject")}


# Strata
def test_stratified_ids_are_risk_classes() -> None:
    command = create(
        stratify_by_risk_class=True,
        strata=[
            t.StratumSpec(id="A", ratio_percent=Decimal("1")),
            t.StratumSpec(id="E", ratio_percent=Decimal("1")),
        ],
    )
    assert problems(None, command) == {(ErrorCode.INVALID_FORMAT, "strata.1.id")}


def test_stratified_ids_are_unique() -> None:
    command = create(
        stratify_by_risk_class=True,
        strata=[t.StratumSpec(id="A", count=1), t.StratumSpec(id="a", count=2)],
    )
    assert problems(None, command) == {(ErrorCode.ALREADY_EXISTS, "strata.1.id")}


def test_stratified_ids_within_the_population_risk_classes() -> None:
    command = create(
        stratify_by_risk_class=True,
        strata=[t.StratumSpec(id="A", count=1), t.StratumSpec(id="D", count=2)],
        population=t.PopulationFilter(risk_classes=[RiskClass.D]),
    )
    assert problems(None, command) == {(ErrorCode.INVALID_FORMAT, "strata.0.id")}


def test_unstratified_task_has_exactly_one_stratum_all() -> None:
    assert problems(None, create(strata=[t.StratumSpec(id="A", count=1)])) == {
        (ErrorCode.INVALID_FORMAT, "strata.0.id")
    }
    two = [t.StratumSpec(id="ALL", count=1), t.StratumSpec(id="ALL", count=2)]
    assert problems(None, create(strata=two)) == {(ErrorCode.INVALID_FORMAT, "strata")}
    assert problems(None, create(strata=[])) == {(ErrorCode.REQUIRED, "strata")}


def test_stratum_has_exactly_one_of_ratio_and_count() -> None:
    both = t.StratumSpec(id="ALL", ratio_percent=Decimal("1"), count=1)
    neither = t.StratumSpec(id="ALL")
    assert problems(None, create(strata=[both])) == {(ErrorCode.INVALID_FORMAT, "strata.0")}
    assert problems(None, create(strata=[neither])) == {(ErrorCode.INVALID_FORMAT, "strata.0")}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", ErrorCode.OUT_OF_RANGE),
        ("-1", ErrorCode.OUT_OF_RANGE),
        ("100.01", ErrorCode.OUT_OF_RANGE),
        ("NaN", ErrorCode.OUT_OF_RANGE),
        ("1.234", ErrorCode.INVALID_FORMAT),
    ],
)
def test_ratio_range(value: str, code: ErrorCode) -> None:
    command = create(items=["K1"], strata=ratio(value))
    assert problems(None, command) == {(code, "strata.0.ratioPercent")}


def test_count_at_least_one() -> None:
    assert problems(None, create(strata=[t.StratumSpec(id="ALL", count=0)])) == {
        (ErrorCode.OUT_OF_RANGE, "strata.0.count")
    }


# Dates
def test_end_date_not_before_start_date() -> None:
    command = create(start_date=date(2026, 6, 1), end_date=date(2026, 5, 31))
    assert problems(None, command) == {(ErrorCode.INVALID_DATE_RANGE, "endDate")}


def test_dates_inside_the_plans_year() -> None:
    command = create(start_date=date(2025, 12, 31), end_date=date(2027, 1, 1))
    assert problems(None, command) == {
        (ErrorCode.OUT_OF_RANGE, "startDate"),
        (ErrorCode.OUT_OF_RANGE, "endDate"),
    }


# Population and exclusions
def test_regions_must_be_known() -> None:
    population = t.PopulationFilter(regions=["fangzhuang", "atlantis"])
    assert problems(None, create(population=population)) == {
        (ErrorCode.UNKNOWN_REGION, "population.regions.1")
    }


def test_industries_are_gbt4754_prefixes_normalised() -> None:
    bad = t.PopulationFilter(industries=["F52", "Z9"])
    assert problems(None, create(population=bad)) == {
        (ErrorCode.INVALID_INDUSTRY, "population.industries.1")
    }
    good = t.PopulationFilter(industries=["52", "f52", "C"])
    assert draft(population=good).population.industries == ["F52", "C"]


def test_tags_are_checked() -> None:
    bad = t.PopulationFilter(tags=["食品", "", "x" * 31])
    assert problems(None, create(population=bad)) == {
        (ErrorCode.REQUIRED, "population.tags.1"),
        (ErrorCode.TOO_LONG, "population.tags.2"),
    }


def test_kinds_statuses_and_risk_classes_lose_repeats() -> None:
    population = t.PopulationFilter(
        kinds=[SubjectKind.ENTERPRISE, SubjectKind.ENTERPRISE],
        statuses=[RegistrationStatus.ACTIVE, RegistrationStatus.ACTIVE],
        risk_classes=[RiskClass.C, RiskClass.C],
        regions=["fangzhuang", "fangzhuang"],
    )
    got = draft(population=population).population
    assert (got.kinds, got.statuses, got.risk_classes, got.regions) == (
        [SubjectKind.ENTERPRISE],
        [RegistrationStatus.ACTIVE],
        [RiskClass.C],
        ["fangzhuang"],
    )


@pytest.mark.parametrize("days", [0, 3651])
def test_recent_inspection_days_range(days: int) -> None:
    command = create(exclusions=t.Exclusions(recent_inspection_days=days))
    assert problems(None, command) == {(ErrorCode.OUT_OF_RANGE, "exclusions.recentInspectionDays")}


# Revising
def test_revise_replaces_the_definition_and_unchanged_writes_nothing() -> None:
    state = draft()
    assert run(state, revise(state))[1] == []
    after, events = run(state, revise(state, title="改后的标题", reason="调整"))
    assert after is not None and after.title == "改后的标题"
    assert [type(e).__name__ for e in events] == ["InspectionTaskRevised"]


def test_revise_checks_every_rule_again() -> None:
    state = draft()
    assert problems(state, revise(state, strata=ratio("6"))) == {
        (ErrorCode.RATIO_CAP_EXCEEDED, "strata.0.ratioPercent")
    }


def test_only_a_draft_is_revised() -> None:
    state = published()
    assert problems(state, revise(state, title="x")) == {(ErrorCode.INVALID_TRANSITION, None)}


def test_who_may_revise() -> None:
    state = draft()
    for actor in (STHJ_ADMIN, INSPECTOR, AUDITOR):
        assert problems(state, revise(state, title="x"), actor) == {(ErrorCode.FORBIDDEN, None)}
    # Handing the lead to another department needs its administrator too.
    assert problems(state, revise(state, department="STHJ")) == {
        (ErrorCode.FORBIDDEN, "department")
    }
    after, _ = run(state, revise(state, department="STHJ"), ADMIN)
    assert after is not None and after.departments == ["STHJ", "SCJG"]


# Publishing and cancelling
def test_publish_makes_it_ready_to_draw_and_public() -> None:
    state = published()
    assert state.status is t.TaskStatus.PUBLISHED and state.published_once
    assert problems(state, t.PublishTask(task_id="T-2026-001")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }


def test_publish_needs_a_filed_plan() -> None:
    unfiled = replace(REFS, plan=replace(PLAN, status=p.PlanStatus.DRAFT))
    assert problems(draft(), t.PublishTask(task_id="T-2026-001"), refs=unfiled) == {
        (ErrorCode.INVALID_TRANSITION, "planId")
    }


def test_publish_rechecks_items_and_caps() -> None:
    state = draft()
    retired = replace(REFS, items={k: v for k, v in ITEMS.items() if k != "G5"})
    assert problems(state, t.PublishTask(task_id="T-2026-001"), refs=retired) == {
        (ErrorCode.UNKNOWN_ITEM, "items.0")
    }
    lowered = replace(REFS, items=ITEMS | {"G5": item("G5", cap="4")})
    assert problems(state, t.PublishTask(task_id="T-2026-001"), refs=lowered) == {
        (ErrorCode.RATIO_CAP_EXCEEDED, "strata.0.ratioPercent")
    }


def test_who_may_publish() -> None:
    for actor in (STHJ_ADMIN, INSPECTOR, AUDITOR):
        assert problems(draft(), t.PublishTask(task_id="T-2026-001"), actor) == {
            (ErrorCode.FORBIDDEN, None)
        }


def test_cancel_needs_a_reason() -> None:
    assert problems(draft(), t.CancelTask(task_id="T-2026-001", reason=" ")) == {
        (ErrorCode.REASON_REQUIRED, "reason")
    }


def test_cancel_a_draft_or_a_published_task_once() -> None:
    state, _ = run(draft(), t.CancelTask(task_id="T-2026-001", reason="计划调整"))
    assert state is not None
    assert state.status is t.TaskStatus.CANCELLED and not state.published_once
    assert state.cancel_reason == "计划调整"
    state, events = run(published(), t.CancelTask(task_id="T-2026-001", reason="计划调整"))
    assert state is not None and state.published_once
    assert to_data(events[0])["previous"] == "PUBLISHED"
    assert problems(state, t.CancelTask(task_id="T-2026-001", reason="再次")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }


def test_missing_task() -> None:
    assert problems(None, t.PublishTask(task_id="NOPE")) == {(ErrorCode.NOT_FOUND, "taskId")}
