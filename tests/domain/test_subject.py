"""The subject aggregate (检查对象): keys, validation, who may keep it, recorded corrections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from spotcheck.domain import subject as s
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event, to_data
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Regions

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "uscc.json").read_text("utf-8")
)
USCC = VECTORS["valid"][0]

REFS = s.SubjectRefs(
    departments=frozenset({"SCJG", "STHJ", "ZJW"}),
    regions=Regions.load(),
    items={"SCJG-001": "PUBLISHED", "SCJG-002": "DRAFT", "SCJG-OLD": "RETIRED"},
)
ADMIN = Actor("admin", "SCJG", frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor("scjg-admin", "SCJG", frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor("sthj-admin", "STHJ", frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor("inspector", "SCJG", frozenset({Role.INSPECTOR}))
AUDITOR = Actor("auditor", "SCJG", frozenset({Role.AUDITOR}))
LIAISON = Actor("liaison", "SCJG", liaison_of=frozenset({"SCJG"}))


def enterprise(**changes: object) -> s.RegisterSubject:
    base = s.RegisterSubject(
        kind=SubjectKind.ENTERPRISE,
        uscc=USCC,
        name="北京丰台某某食品有限公司",
        region="fangzhuang",
        industry="F5211",
        address="北京市丰台区方庄路1号",
        legal_representative="张三",
        risk_class=s.RiskClass.B,
        maintaining_department="SCJG",
        tags=["食品", "超市"],
        items=["SCJG-001"],
    )
    return replace(base, **changes)


def product(**changes: object) -> s.RegisterSubject:
    base = s.RegisterSubject(
        kind=SubjectKind.PRODUCT,
        identifier="PRODUCT:SCJG:2026-000123",
        name="某品牌电动自行车",
        region="huaxiang",
        maintaining_department="SCJG",
    )
    return replace(base, **changes)


def problems(exc: pytest.ExceptionInfo[DomainError]) -> set[tuple[ErrorCode, str | None]]:
    return {(p.code, p.field) for p in exc.value.problems}


def register(command: s.RegisterSubject, actor: Actor = SCJG_ADMIN) -> s.Subject:
    events = s.decide(None, command, actor, REFS)
    state = s.SPEC.fold(events)
    assert state is not None
    return state


def roundtrip(events: list[Event]) -> list[Event]:
    """The events as the ledger hands them back."""
    return [s.SPEC.decode(type(e).__name__, e.schema_version, to_data(e)) for e in events]


# Keys
@pytest.mark.parametrize("code", VECTORS["valid"])
def test_valid_uscc_keys_a_business_in_upper_case(code: str) -> None:
    state = register(enterprise(uscc=code.lower()))
    assert state.key == state.uscc == code
    assert state.identifier is None
    assert s.command_key(enterprise(uscc=f"  {code.lower()} ")) == code


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_uscc_is_refused(case: dict[str, str]) -> None:
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(uscc=case["code"]), SCJG_ADMIN, REFS)
    ((code, field),) = problems(exc)
    assert field == "uscc"
    if not case["code"]:
        assert code is ErrorCode.REQUIRED
    elif "check" in case["why"]:
        assert code is ErrorCode.USCC_CHECK_MISMATCH
    else:
        assert code is ErrorCode.INVALID_USCC


def test_a_business_has_no_identifier_and_others_no_uscc() -> None:
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(identifier="PRODUCT:SCJG:1"), SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.INVALID_FORMAT, "identifier")}
    with pytest.raises(DomainError) as exc:
        s.decide(None, product(uscc=USCC), SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.INVALID_FORMAT, "uscc")}


@pytest.mark.parametrize(
    ("kind", "identifier", "department"),
    [
        (SubjectKind.PRODUCT, "PRODUCT:SCJG:2026-000123", "SCJG"),
        (SubjectKind.PROJECT, "PROJECT:ZJW:FT-2026-0012", "ZJW"),
        (SubjectKind.BEHAVIOUR, "BEHAVIOUR:STHJ:night_noise.2026", "STHJ"),
        (SubjectKind.PRODUCT, "PRODUCT:SCJG:" + "x" * 64, "SCJG"),
    ],
)
def test_identifier_scheme_accepts(kind: SubjectKind, identifier: str, department: str) -> None:
    command = product(
        kind=kind,
        identifier=identifier,
        maintaining_department=department,
        legal_representative="李四",
    )
    state = register(command, ADMIN)
    assert state.key == state.identifier == identifier
    assert state.uscc is None


@pytest.mark.parametrize(
    ("identifier", "code"),
    [
        (None, ErrorCode.REQUIRED),
        ("  ", ErrorCode.REQUIRED),
        ("2026-000123", ErrorCode.INVALID_FORMAT),
        ("PRODUCT:SCJG:", ErrorCode.INVALID_FORMAT),
        ("PRODUCT:SCJG:" + "x" * 65, ErrorCode.INVALID_FORMAT),
        ("PRODUCT:SCJG:有中文", ErrorCode.INVALID_FORMAT),
        ("PRODUCT:SCJG:a/b", ErrorCode.INVALID_FORMAT),
        ("PROJECT:SCJG:2026-000123", ErrorCode.INVALID_FORMAT),  # not the subject's kind
        ("PRODUCT:STHJ:2026-000123", ErrorCode.INVALID_FORMAT),  # not the maintaining dept
        ("product:SCJG:2026-000123", ErrorCode.INVALID_FORMAT),
    ],
)
def test_identifier_scheme_refuses(identifier: str | None, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as exc:
        s.decide(None, product(identifier=identifier), SCJG_ADMIN, REFS)
    assert problems(exc) == {(code, "identifier")}


def test_keys_as_looked_up() -> None:
    assert s.normalise_key(USCC.lower()) == USCC
    assert s.normalise_key(" PRODUCT:SCJG:a-1 ") == "PRODUCT:SCJG:a-1"


# Fields
def test_registration_normalises_fields() -> None:
    state = register(
        enterprise(
            name="  北京丰台某某食品有限公司 ",
            industry="5211",
            address="",
            tags=[" 食品", "超市", "食品"],
            items=["SCJG-002", "SCJG-001", "SCJG-001"],
        )
    )
    assert state.name == "北京丰台某某食品有限公司"
    assert state.industry == "F5211"
    assert state.address is None
    assert state.tags == ["超市", "食品"]
    assert state.items == ["SCJG-001", "SCJG-002"]
    assert state.status is s.RegistrationStatus.ACTIVE


def test_unknown_region_and_department() -> None:
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(region="atlantis"), ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.UNKNOWN_REGION, "region")}
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(maintaining_department="NOPE"), ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.UNKNOWN_DEPARTMENT, "maintainingDepartment")}


@pytest.mark.parametrize(("given", "stored"), [("F", "F"), ("f52", "F52"), ("5211", "F5211")])
def test_industry_is_stored_with_its_section(given: str, stored: str) -> None:
    assert register(enterprise(industry=given)).industry == stored


@pytest.mark.parametrize("industry", ["Z12", "F52x", "F52111", "A5211", "99", "F00", "1"])
def test_bad_industry(industry: str) -> None:
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(industry=industry), SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.INVALID_INDUSTRY, "industry")}


def test_industry_prefix_for_filters() -> None:
    assert s.industry_prefix("52") == "F52"
    assert s.industry_prefix("f5") == "F5"
    assert s.industry_prefix("F") == "F"
    assert s.industry_prefix("99") is None
    assert s.industry_prefix("F52%") is None


def test_every_problem_is_reported_at_once() -> None:
    bad = enterprise(
        uscc="91330100716105852E",
        name=" ",
        region="atlantis",
        legal_representative=None,
        tags=["x" * 31, ""],
        items=["NOPE", "SCJG-OLD"],
    )
    with pytest.raises(DomainError) as exc:
        s.decide(None, bad, SCJG_ADMIN, REFS)
    assert problems(exc) == {
        (ErrorCode.USCC_CHECK_MISMATCH, "uscc"),
        (ErrorCode.REQUIRED, "name"),
        (ErrorCode.UNKNOWN_REGION, "region"),
        (ErrorCode.REQUIRED, "legalRepresentative"),
        (ErrorCode.TOO_LONG, "tags.0"),
        (ErrorCode.REQUIRED, "tags.1"),
        (ErrorCode.UNKNOWN_ITEM, "items"),
    }
    assert len(exc.value.problems) == 8  # both items are named


def test_legal_representative_is_optional_for_products_and_behaviours_only() -> None:
    assert register(product()).legal_representative is None
    with pytest.raises(DomainError) as exc:
        s.decide(
            None,
            product(kind=SubjectKind.PROJECT, identifier="PROJECT:SCJG:P-1"),
            SCJG_ADMIN,
            REFS,
        )
    assert problems(exc) == {(ErrorCode.REQUIRED, "legalRepresentative")}


def test_at_most_twenty_tags() -> None:
    assert len(register(enterprise(tags=[f"t{i}" for i in range(20)] * 2)).tags) == 20
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(tags=[f"t{i}" for i in range(21)]), SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.OUT_OF_RANGE, "tags")}


def test_already_registered() -> None:
    state = register(enterprise())
    with pytest.raises(DomainError) as exc:
        s.decide(state, enterprise(uscc=USCC.lower()), SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.ALREADY_EXISTS, "uscc")}


# Who
def test_registration_by_role() -> None:
    assert register(enterprise(), ADMIN).maintaining_department == "SCJG"
    with pytest.raises(DomainError) as exc:
        s.decide(None, enterprise(), STHJ_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.NOT_MAINTAINING_DEPARTMENT, "maintainingDepartment")}
    for actor in (INSPECTOR, AUDITOR, LIAISON):
        with pytest.raises(DomainError) as exc:
            s.decide(None, enterprise(), actor, REFS)
        assert exc.value.code is ErrorCode.FORBIDDEN


def test_update_by_another_department_or_a_reader_is_refused() -> None:
    state = register(enterprise())
    fix = s.UpdateSubject(key=USCC, reason="核对营业执照", name="新名称")
    with pytest.raises(DomainError) as exc:
        s.decide(state, fix, STHJ_ADMIN, REFS)
    assert exc.value.code is ErrorCode.NOT_MAINTAINING_DEPARTMENT
    for actor in (INSPECTOR, AUDITOR):
        with pytest.raises(DomainError) as exc:
            s.decide(state, fix, actor, REFS)
        assert exc.value.code is ErrorCode.FORBIDDEN
    assert s.decide(state, fix, ADMIN, REFS)
    with pytest.raises(DomainError) as exc:
        s.decide(None, fix, ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.NOT_FOUND, "key")}


def test_only_the_system_admin_moves_a_subject() -> None:
    state = register(enterprise())
    move = s.UpdateSubject(key=USCC, reason="职责调整", maintaining_department="STHJ")
    with pytest.raises(DomainError) as exc:
        s.decide(state, move, SCJG_ADMIN, REFS)
    assert problems(exc) == {(ErrorCode.FORBIDDEN, "maintainingDepartment")}
    # naming the current department is no move
    same = s.UpdateSubject(key=USCC, reason="核对", maintaining_department="SCJG")
    assert s.decide(state, same, SCJG_ADMIN, REFS) == []
    moved = s.SPEC.fold(roundtrip(s.decide(state, move, ADMIN, REFS)), state)
    assert moved is not None and moved.maintaining_department == "STHJ"
    with pytest.raises(DomainError) as exc:
        s.decide(moved, s.UpdateSubject(key=USCC, reason="x", name="y"), SCJG_ADMIN, REFS)
    assert exc.value.code is ErrorCode.NOT_MAINTAINING_DEPARTMENT


# Corrections
def test_reason_is_required() -> None:
    state = register(enterprise())
    for reason in (None, "", "   "):
        with pytest.raises(DomainError) as exc:
            s.decide(state, s.UpdateSubject(key=USCC, reason=reason, name="x"), SCJG_ADMIN, REFS)
        assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}


def test_update_that_changes_nothing_writes_nothing() -> None:
    state = register(enterprise())
    same = s.UpdateSubject(
        key=USCC,
        reason="核对",
        name=" 北京丰台某某食品有限公司",
        industry="5211",
        tags=["超市", "食品", "食品"],
        risk_class=s.RiskClass.B,
    )
    assert s.decide(state, same, SCJG_ADMIN, REFS) == []
    assert s.decide(state, s.UpdateSubject(key=USCC, reason="核对"), SCJG_ADMIN, REFS) == []


def test_update_records_old_and_new_values() -> None:
    state = register(enterprise())
    fix = s.UpdateSubject(
        key=USCC,
        reason="营业执照变更",
        name="北京丰台某某食品股份有限公司",
        address="",
        legal_representative="王五",
        status=s.RegistrationStatus.MOVED_OUT,
        risk_class=s.RiskClass.D,
        tags=[],
        items=["SCJG-001", "SCJG-002"],
    )
    events = s.decide(state, fix, SCJG_ADMIN, REFS)
    assert to_data(events[0]) == {
        "changes": {
            "name": {"old": "北京丰台某某食品有限公司", "new": "北京丰台某某食品股份有限公司"},
            "address": {"old": "北京市丰台区方庄路1号", "new": None},
            "legalRepresentative": {"old": "张三", "new": "王五"},
            "status": {"old": "ACTIVE", "new": "MOVED_OUT"},
            "riskClass": {"old": "B", "new": "D"},
            "tags": {"old": ["超市", "食品"], "new": []},
            "items": {"old": ["SCJG-001"], "new": ["SCJG-001", "SCJG-002"]},
        },
        "reason": "营业执照变更",
        "proposal": None,  # a correction by hand carries out no credit-risk proposal
    }
    after = s.SPEC.fold(events, state)
    assert after == s.SPEC.fold(roundtrip(events), state)
    assert after is not None
    assert (after.name, after.address, after.status, after.risk_class, after.tags) == (
        "北京丰台某某食品股份有限公司",
        None,
        s.RegistrationStatus.MOVED_OUT,
        s.RiskClass.D,
        [],
    )


def test_update_validates_only_given_fields() -> None:
    state = register(enterprise())
    bad = s.UpdateSubject(
        key=USCC, reason="x", name="", region="atlantis", industry="Z9", legal_representative=""
    )
    with pytest.raises(DomainError) as exc:
        s.decide(state, bad, SCJG_ADMIN, REFS)
    assert problems(exc) == {
        (ErrorCode.REQUIRED, "name"),
        (ErrorCode.UNKNOWN_REGION, "region"),
        (ErrorCode.INVALID_INDUSTRY, "industry"),
        (ErrorCode.REQUIRED, "legalRepresentative"),
    }


def test_retired_items_may_stay_but_not_be_added() -> None:
    refs = replace(REFS, items={**REFS.items, "SCJG-001": "RETIRED"})
    state = register(enterprise())
    keep = s.UpdateSubject(key=USCC, reason="x", items=["SCJG-001", "SCJG-002"])
    assert len(s.decide(state, keep, SCJG_ADMIN, refs)) == 1
    with pytest.raises(DomainError) as exc:
        s.decide(state, s.UpdateSubject(key=USCC, reason="x", items=["SCJG-OLD"]), ADMIN, refs)
    assert problems(exc) == {(ErrorCode.UNKNOWN_ITEM, "items")}


# Upsert for the importer
def test_decide_upsert_registers_changes_or_does_nothing() -> None:
    row = enterprise(uscc=USCC.lower())
    registered = s.decide_upsert(None, row, SCJG_ADMIN, REFS, "2026年第一批导入")
    assert [type(e) for e in registered] == [s.SubjectRegistered]
    state = s.SPEC.fold(registered)
    assert state is not None
    assert s.decide_upsert(state, row, SCJG_ADMIN, REFS, "2026年第二批导入") == []
    changed = s.decide_upsert(
        state,
        replace(row, risk_class=s.RiskClass.C, address=None),
        SCJG_ADMIN,
        REFS,
        "2026年第二批导入",
    )
    assert to_data(changed[0]) == {
        "changes": {
            "address": {"old": "北京市丰台区方庄路1号", "new": None},
            "riskClass": {"old": "B", "new": "C"},
        },
        "reason": "2026年第二批导入",
        "proposal": None,
    }


def test_decide_upsert_has_the_rules_of_a_correction() -> None:
    state = register(enterprise())
    with pytest.raises(DomainError) as exc:
        s.decide_upsert(state, enterprise(name="x"), STHJ_ADMIN, REFS, "导入")
    assert exc.value.code is ErrorCode.NOT_MAINTAINING_DEPARTMENT
    with pytest.raises(DomainError) as exc:
        s.decide_upsert(state, enterprise(maintaining_department="STHJ"), SCJG_ADMIN, REFS, "导入")
    assert problems(exc) == {(ErrorCode.FORBIDDEN, "maintainingDepartment")}
    with pytest.raises(DomainError) as exc:
        s.decide_upsert(
            state, enterprise(kind=SubjectKind.INDIVIDUAL_BUSINESS, region="x"), ADMIN, REFS, ""
        )
    assert problems(exc) == {
        (ErrorCode.INVALID_TRANSITION, "kind"),
        (ErrorCode.UNKNOWN_REGION, "region"),
        (ErrorCode.REASON_REQUIRED, "reason"),
    }
