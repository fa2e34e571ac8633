"""Inspection items (随机抽查事项) and the district list: the pure rules."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from spotcheck.domain import item as i
from spotcheck.domain import item_list as il
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.kinds import SubjectKind

DEPTS = frozenset({"SCJG", "STHJ"})
ADMIN = Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor(user_id="a1", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor(user_id="a2", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor(user_id="i1", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="au", department="SCJG", roles=frozenset({Role.AUDITOR}))


def content(**changes: object) -> i.ItemContent:
    base = i.ItemContent(
        name="食品经营者落实食品安全主体责任情况的检查",
        legal_basis="《中华人民共和国食品安全法》第一百一十条",
        inspecting_body="区市场监管局",
        content="检查食品经营许可、进货查验记录",
        methods=[i.ItemMethod.ON_SITE],
        target_kind=SubjectKind.ENTERPRISE,
        category=i.ItemCategory.GENERAL,
        ratio_cap_percent=Decimal("5"),
        expertise=["FOOD"],
        checklist=[i.CheckPoint(code="1", text="是否持有有效的食品经营许可证")],
    )
    return msgspec.structs.replace(base, **changes)


def create(code: str = "SCJG-001", department: str = "SCJG", **changes: object) -> i.CreateItem:
    return i.CreateItem(code=code, department=department, content=content(**changes))


def run(
    state: i.InspectionItem | None, command: i.ItemCommand, actor: Actor = SCJG_ADMIN
) -> tuple[i.InspectionItem | None, list[Event]]:
    events = i.decide(state, command, actor, DEPTS)
    return i.SPEC.fold(events, state), events


def problems(
    state: i.InspectionItem | None, command: i.ItemCommand, actor: Actor = SCJG_ADMIN
) -> set[tuple[ErrorCode, str | None]]:
    with pytest.raises(DomainError) as exc:
        i.decide(state, command, actor, DEPTS)
    return {(p.code, p.field) for p in exc.value.problems}


def published() -> i.InspectionItem:
    state, _ = run(None, create())
    state, _ = run(state, i.PublishItem(code="SCJG-001"))
    assert state is not None
    return state


def test_create_makes_draft_version_1() -> None:
    state, events = run(None, create())
    assert [type(e).__name__ for e in events] == ["InspectionItemCreated"]
    assert state is not None
    assert state.status is i.ItemStatus.DRAFT
    assert [(v.number, v.status) for v in state.versions] == [(1, i.VersionStatus.DRAFT)]
    assert i.in_force(state) is None
    assert i.open_draft(state) == state.versions[0]


def test_duplicate_code_is_refused() -> None:
    state, _ = run(None, create())
    assert problems(state, create()) == {(ErrorCode.ALREADY_EXISTS, "code")}


def test_code_and_department_are_checked() -> None:
    assert problems(None, create(code="bad code")) == {(ErrorCode.INVALID_FORMAT, "code")}
    assert problems(None, create(department="NOPE"), ADMIN) == {
        (ErrorCode.UNKNOWN_DEPARTMENT, "department")
    }


@pytest.mark.parametrize("cap", ["100.01", "0", "-5", "Infinity", "NaN"])
def test_ratio_cap_out_of_range(cap: str) -> None:
    assert problems(None, create(ratio_cap_percent=Decimal(cap))) == {
        (ErrorCode.RATIO_CAP_OUT_OF_RANGE, "ratioCapPercent")
    }


def test_ratio_cap_bounds_and_precision() -> None:
    for cap in ("100", "0.01", "33.5"):
        state, _ = run(None, create(ratio_cap_percent=Decimal(cap)))
        assert state is not None
    assert problems(None, create(ratio_cap_percent=Decimal("1.005"))) == {
        (ErrorCode.INVALID_FORMAT, "ratioCapPercent")
    }
    assert problems(None, create(ratio_cap_percent=None)) == {
        (ErrorCode.REQUIRED, "ratioCapPercent")
    }


def test_key_item_takes_no_ratio_cap() -> None:
    key = i.ItemCategory.KEY
    assert problems(None, create(category=key)) == {
        (ErrorCode.RATIO_CAP_NOT_ALLOWED, "ratioCapPercent")
    }
    state, _ = run(None, create(category=key, ratio_cap_percent=None))
    assert state is not None and state.versions[0].content.ratio_cap_percent is None


def test_unsuitable_item_needs_reason() -> None:
    assert problems(None, create(suitable=False, unsuitable_reason=" ")) == {
        (ErrorCode.REQUIRED, "unsuitableReason")
    }
    state, _ = run(None, create(suitable=False, checklist=[], unsuitable_reason="涉及国家秘密"))
    assert state is not None
    assert state.versions[0].content.unsuitable_reason == "涉及国家秘密"


def test_all_content_problems_are_reported_together() -> None:
    bad = create(
        name="",
        legal_basis=" ",
        methods=[],
        expertise=["food"],
        checklist=[i.CheckPoint(code="1", text="a"), i.CheckPoint(code="1", text="")],
    )
    assert problems(None, bad) == {
        (ErrorCode.REQUIRED, "name"),
        (ErrorCode.REQUIRED, "legalBasis"),
        (ErrorCode.REQUIRED, "methods"),
        (ErrorCode.INVALID_FORMAT, "expertise.0"),
        (ErrorCode.REQUIRED, "checklist.1.text"),
        (ErrorCode.ALREADY_EXISTS, "checklist.1.code"),
    }
    assert problems(None, create(checklist=[])) == {(ErrorCode.REQUIRED, "checklist")}


def test_version_lifecycle() -> None:
    state = published()
    assert state.status is i.ItemStatus.PUBLISHED
    v1 = i.in_force(state)
    assert v1 is not None and v1.number == 1 and v1.status is i.VersionStatus.PUBLISHED
    # Revising a published item opens draft 2; revising again edits the same draft.
    state2, events = run(state, i.ReviseItem(code="SCJG-001", content=content(name="新名称")))
    assert [type(e).__name__ for e in events] == ["InspectionItemDraftOpened"]
    state3, events = run(state2, i.ReviseItem(code="SCJG-001", content=content(name="再改")))
    assert [type(e).__name__ for e in events] == ["InspectionItemDraftEdited"]
    assert state3 is not None
    assert [v.number for v in state3.versions] == [1, 2]
    assert i.in_force(state3) == v1
    draft = i.open_draft(state3)
    assert draft is not None and draft.content.name == "再改"
    # Publishing draft 2 supersedes version 1.
    state4, _ = run(state3, i.PublishItem(code="SCJG-001"))
    assert state4 is not None
    assert [(v.number, v.status) for v in state4.versions] == [
        (1, i.VersionStatus.SUPERSEDED),
        (2, i.VersionStatus.PUBLISHED),
    ]
    assert state4.published == 2 and i.open_draft(state4) is None
    # Nothing to publish now.
    assert problems(state4, i.PublishItem(code="SCJG-001")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }


def test_unchanged_revision_writes_nothing() -> None:
    state = published()
    assert (
        i.decide(state, i.ReviseItem(code="SCJG-001", content=content()), SCJG_ADMIN, DEPTS) == []
    )
    state2, _ = run(state, i.ReviseItem(code="SCJG-001", content=content(name="x")))
    same = i.ReviseItem(code="SCJG-001", content=content(name=" x "))
    assert i.decide(state2, same, SCJG_ADMIN, DEPTS) == []


def test_retire_needs_reason_and_ends_version_in_force() -> None:
    state = published()
    assert problems(state, i.RetireItem(code="SCJG-001", reason=" ")) == {
        (ErrorCode.REASON_REQUIRED, "reason")
    }
    drafted, _ = run(state, i.ReviseItem(code="SCJG-001", content=content(name="草稿")))
    retired, events = run(drafted, i.RetireItem(code="SCJG-001", reason="法律废止"))
    assert retired is not None
    assert events == [i.InspectionItemRetired(reason="法律废止", ended=1, discarded=2)]
    assert retired.status is i.ItemStatus.RETIRED
    assert [v.status for v in retired.versions] == [
        i.VersionStatus.RETIRED,
        i.VersionStatus.DISCARDED,
    ]
    assert i.in_force(retired) is None and i.open_draft(retired) is None
    assert i.shown_version(retired).number == 1
    again = i.RetireItem(code="SCJG-001", reason="再次")
    assert problems(retired, again) == {(ErrorCode.INVALID_TRANSITION, None)}
    revise = i.ReviseItem(code="SCJG-001", content=content(name="复活"))
    assert problems(retired, revise) == {(ErrorCode.INVALID_TRANSITION, None)}
    assert problems(retired, i.PublishItem(code="SCJG-001")) == {
        (ErrorCode.INVALID_TRANSITION, None)
    }


@pytest.mark.parametrize("actor", [STHJ_ADMIN, INSPECTOR, AUDITOR, Actor(user_id=None)])
def test_only_the_owning_department_maintains(actor: Actor) -> None:
    assert problems(None, create(), actor) == {(ErrorCode.FORBIDDEN, "department")}
    state = published()
    for command in (
        i.ReviseItem(code="SCJG-001", content=content(name="x")),
        i.PublishItem(code="SCJG-001"),
        i.RetireItem(code="SCJG-001", reason="r"),
    ):
        assert problems(state, command, actor) == {(ErrorCode.FORBIDDEN, None)}


def test_system_admin_maintains_every_department() -> None:
    state, _ = run(None, create(code="STHJ-001", department="STHJ"), ADMIN)
    state, _ = run(state, i.PublishItem(code="STHJ-001"), ADMIN)
    assert state is not None and state.status is i.ItemStatus.PUBLISHED


def test_missing_item_is_not_found() -> None:
    assert problems(None, i.PublishItem(code="X")) == {(ErrorCode.NOT_FOUND, "code")}


def test_state_round_trips_through_json() -> None:
    state = published()
    data = i.SPEC.state_data(state)
    assert data["versions"][0]["content"]["ratio_cap_percent"] == "5"
    assert i.SPEC.state_from_data(data) == state


# The district list
LISTED = [
    il.ListedItem(code="STHJ-001", version=1, department="STHJ"),
    il.ListedItem(code="SCJG-001", version=2, department="SCJG"),
]


def test_item_list_versions_are_numbered() -> None:
    events = il.decide(None, il.PublishItemList(note="2026年度"), ADMIN, LISTED)
    assert events == [
        il.ItemListPublished(number=1, items=sorted(LISTED, key=lambda x: x.code), note="2026年度")
    ]
    state = il.SPEC.fold(events)
    assert il.decide(state, il.PublishItemList(note="2026年度"), ADMIN, LISTED) == []
    more = [*LISTED, il.ListedItem(code="SCJG-002", version=1, department="SCJG")]
    second = il.decide(state, il.PublishItemList(note="调整"), ADMIN, more)
    assert isinstance(second[0], il.ItemListPublished) and second[0].number == 2


@pytest.mark.parametrize("actor", [SCJG_ADMIN, INSPECTOR, AUDITOR, Actor(user_id=None)])
def test_only_system_admin_publishes_the_list(actor: Actor) -> None:
    with pytest.raises(DomainError) as exc:
        il.decide(None, il.PublishItemList(), actor, LISTED)
    assert exc.value.code is ErrorCode.FORBIDDEN


def test_empty_list_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        il.decide(None, il.PublishItemList(), ADMIN, [])
    assert exc.value.code is ErrorCode.INVALID_TRANSITION
