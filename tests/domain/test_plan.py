"""Annual plans (年度抽查工作计划): the pure rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from msgspec.structs import replace

from spotcheck.domain import plan as p
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event, from_data, to_data
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.item import ItemCategory
from spotcheck.domain.kinds import SubjectKind

ADMIN = Actor("admin", "SCJG", frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor("scjg-admin", "SCJG", frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor("sthj-admin", "STHJ", frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor("inspector", "SCJG", frozenset({Role.INSPECTOR}))
AUDITOR = Actor("auditor", "SCJG", frozenset({Role.AUDITOR}))


def item(code: str, department: str = "SCJG", **changes: object) -> p.ItemInForce:
    base = p.ItemInForce(
        code=code,
        version=1,
        department=department,
        category=ItemCategory.GENERAL,
        ratio_cap_percent=Decimal("5"),
        target_kind=SubjectKind.ENTERPRISE,
    )
    return replace(base, **changes)


ITEMS = {
    i.code: i
    for i in (
        item("SCJG-001"),
        item("SCJG-002", category=ItemCategory.KEY, ratio_cap_percent=None, version=3),
        item("SCJG-NO", suitable=False),
        item("STHJ-001", "STHJ"),
    )
}
REFS = p.PlanRefs(
    departments=frozenset({"SCJG", "STHJ", "ZJW"}),
    items=ITEMS,
    statuses={c: "PUBLISHED" for c in ITEMS} | {"SCJG-DRAFT": "DRAFT", "SCJG-OLD": "RETIRED"},
)


def create(**changes: object) -> p.CreatePlan:
    base = p.CreatePlan(
        plan_id="2026-SCJG",
        year=2026,
        department="SCJG",
        title="2026年度区市场监管局双随机抽查工作计划",
        items=["SCJG-001", "SCJG-002"],
    )
    return replace(base, **changes)


def run(
    state: p.Plan | None,
    command: p.PlanCommand,
    actor: Actor = SCJG_ADMIN,
    refs: p.PlanRefs = REFS,
) -> tuple[p.Plan | None, list[Event]]:
    events = p.decide(state, command, actor, refs)
    return p.SPEC.fold(events, state), events


def problems(
    state: p.Plan | None,
    command: p.PlanCommand,
    actor: Actor = SCJG_ADMIN,
    refs: p.PlanRefs = REFS,
) -> set[tuple[ErrorCode, str | None]]:
    with pytest.raises(DomainError) as exc:
        p.decide(state, command, actor, refs)
    return {(x.code, x.field) for x in exc.value.problems}


def draft(**changes: object) -> p.Plan:
    state, _ = run(None, create(**changes))
    assert state is not None
    return state


def filed() -> p.Plan:
    state, _ = run(draft(), p.FilePlan(plan_id="2026-SCJG"))
    assert state is not None
    return state


def test_create_makes_a_draft_led_by_its_department() -> None:
    state, events = run(None, create(items=["SCJG-001", "SCJG-001", "SCJG-002"]))
    assert [type(e).__name__ for e in events] == ["AnnualPlanCreated"]
    assert state is not None
    assert state.status is p.PlanStatus.DRAFT
    assert state.departments == ["SCJG"] and not state.joint
    assert state.items == ["SCJG-001", "SCJG-002"]


def test_state_round_trips_through_json() -> None:
    state = filed()
    assert from_data(to_data(state), p.Plan) == state


def test_a_joint_plan_lists_the_lead_first() -> None:
    state = draft(departments=["STHJ", "SCJG", "STHJ"], items=["SCJG-001", "STHJ-001"])
    assert state.departments == ["SCJG", "STHJ"] and state.joint


def test_who_may_create() -> None:
    assert run(None, create(), ADMIN)[1]
    for actor in (STHJ_ADMIN, INSPECTOR, AUDITOR):
        assert problems(None, create(), actor) == {(ErrorCode.FORBIDDEN, "department")}


def test_a_joint_plan_is_kept_by_the_lead_department_only() -> None:
    state = draft(departments=["STHJ"], items=["SCJG-001", "STHJ-001"])
    revise = p.RevisePlan(plan_id="2026-SCJG", title="联合抽查计划")
    assert problems(state, revise, STHJ_ADMIN) == {(ErrorCode.FORBIDDEN, None)}
    assert run(state, revise, SCJG_ADMIN)[1]
    assert run(state, revise, ADMIN)[1]


def test_year_out_of_range() -> None:
    assert problems(None, create(year=1999)) == {(ErrorCode.OUT_OF_RANGE, "year")}


def test_unknown_departments() -> None:
    assert problems(None, create(department="NOPE", items=[]), ADMIN) == {
        (ErrorCode.UNKNOWN_DEPARTMENT, "department")
    }
    assert problems(None, create(departments=["STHJ", "NOPE"])) == {
        (ErrorCode.UNKNOWN_DEPARTMENT, "departments.1")
    }


def test_bad_id_and_title() -> None:
    assert problems(None, create(plan_id="", title=" ")) == {
        (ErrorCode.REQUIRED, "planId"),
        (ErrorCode.REQUIRED, "title"),
    }


def test_items_must_be_in_force() -> None:
    assert problems(None, create(items=["SCJG-001", "SCJG-DRAFT", "SCJG-OLD", "NOPE"])) == {
        (ErrorCode.UNKNOWN_ITEM, "items.1"),
        (ErrorCode.UNKNOWN_ITEM, "items.2"),
        (ErrorCode.UNKNOWN_ITEM, "items.3"),
    }


def test_items_must_be_suitable_for_random_inspection() -> None:
    assert problems(None, create(items=["SCJG-NO"])) == {(ErrorCode.ITEM_NOT_SUITABLE, "items.0")}


def test_items_belong_to_participating_departments() -> None:
    assert problems(None, create(items=["SCJG-001", "STHJ-001"])) == {
        (ErrorCode.DEPARTMENT_NOT_PARTICIPATING, "items.1")
    }
    state = draft(departments=["STHJ"], items=["SCJG-001", "STHJ-001"])
    dropping = p.RevisePlan(plan_id="2026-SCJG", departments=[])
    assert problems(state, dropping) == {(ErrorCode.DEPARTMENT_NOT_PARTICIPATING, "items.1")}


def test_existing_plan_is_not_created_twice() -> None:
    assert problems(draft(), create()) == {(ErrorCode.ALREADY_EXISTS, "planId")}


def test_revise_replaces_given_fields_and_unchanged_writes_nothing() -> None:
    state = draft()
    state, events = run(state, p.RevisePlan(plan_id="2026-SCJG", items=["SCJG-002"], reason="调整"))
    assert state is not None and state.items == ["SCJG-002"]
    assert state.title == "2026年度区市场监管局双随机抽查工作计划"
    assert to_data(events[0])["reason"] == "调整"
    assert run(state, p.RevisePlan(plan_id="2026-SCJG", items=["SCJG-002"]))[1] == []


def test_revise_of_a_missing_plan() -> None:
    assert problems(None, p.RevisePlan(plan_id="2026-X", title="x")) == {
        (ErrorCode.NOT_FOUND, "planId")
    }


def test_filing_records_the_versions_in_force() -> None:
    state = filed()
    assert state.status is p.PlanStatus.FILED
    assert state.filed_item_versions == {"SCJG-001": 1, "SCJG-002": 3}


def test_a_filed_plan_is_read_only() -> None:
    state = filed()
    assert problems(state, p.RevisePlan(plan_id="2026-SCJG", title="改")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }
    assert problems(state, p.FilePlan(plan_id="2026-SCJG")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }


def test_filing_needs_items() -> None:
    state = draft(items=[])
    assert problems(state, p.FilePlan(plan_id="2026-SCJG")) == {(ErrorCode.REQUIRED, "items")}


def test_filing_rechecks_that_items_are_in_force() -> None:
    state = draft()
    retired = replace(
        REFS,
        items={"SCJG-002": ITEMS["SCJG-002"]},
        statuses=REFS.statuses | {"SCJG-001": "RETIRED"},
    )
    assert problems(state, p.FilePlan(plan_id="2026-SCJG"), refs=retired) == {
        (ErrorCode.UNKNOWN_ITEM, "items.0")
    }


def test_who_may_file() -> None:
    for actor in (STHJ_ADMIN, INSPECTOR, AUDITOR):
        assert problems(draft(), p.FilePlan(plan_id="2026-SCJG"), actor) == {
            (ErrorCode.FORBIDDEN, None)
        }
