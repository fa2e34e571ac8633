"""The inspector aggregate (执法检查人员): every rule of decide, evolve, and the draw helpers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from spotcheck.domain import inspector as i
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event, to_data
from spotcheck.domain.errors import DomainError, ErrorCode

DEPTS = frozenset({"SCJG", "STHJ"})
ADMIN = Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor(
    user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
STHJ_ADMIN = Actor(
    user_id="sthj-admin", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
SELF = Actor(user_id="zhang", department="SCJG", roles=frozenset({Role.INSPECTOR}))
OTHER_INSPECTOR = Actor(user_id="li", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="auditor", department="SCJG", roles=frozenset({Role.AUDITOR}))


def register(**extra: Any) -> i.RegisterInspector:
    fields: dict[str, Any] = {
        "staff_id": "SCJG-001",
        "name": "张伟",
        "department": "SCJG",
        "kind": i.InspectorKind.ENFORCEMENT_OFFICER,
        "certificate_number": "11010600001",
        "certificate_valid_from": date(2024, 1, 1),
        "certificate_valid_until": date(2026, 12, 31),
        "expertise": ["FOOD", "SPECIAL_EQUIPMENT", "FOOD"],
        "phone": "13800000001",
        "email": "zhang@example.gov.cn",
        "user_id": "zhang",
    }
    return i.RegisterInspector(**(fields | extra))


def fold(events: list[Event], state: i.Inspector | None = None) -> i.Inspector:
    out = i.SPEC.fold(events, state)
    assert out is not None
    return out


def registered(**extra: Any) -> i.Inspector:
    return fold(i.decide(None, register(**extra), ADMIN, DEPTS))


def problems(exc: pytest.ExceptionInfo[DomainError]) -> set[tuple[ErrorCode, str | None]]:
    return {(p.code, p.field) for p in exc.value.problems}


def test_register_normalises_and_deduplicates_expertise() -> None:
    events = i.decide(None, register(name=" 张伟 ", phone=" "), SCJG_ADMIN, DEPTS)
    assert [type(e) for e in events] == [i.InspectorRegistered]
    state = fold(events)
    assert state.name == "张伟"
    assert state.phone is None
    assert state.expertise == ["FOOD", "SPECIAL_EQUIPMENT"]
    assert state.status is i.InspectorStatus.ACTIVE
    assert state.conflicts == []
    # Dates round-trip through the stored JSON as ISO strings.
    data = to_data(events[0])
    assert data["certificate_valid_until"] == "2026-12-31"
    assert i.SPEC.decode("InspectorRegistered", 1, data) == events[0]


def test_register_twice_is_already_exists() -> None:
    state = registered()
    with pytest.raises(DomainError) as exc:
        i.decide(state, register(), ADMIN, DEPTS)
    assert problems(exc) == {(ErrorCode.ALREADY_EXISTS, "staffId")}


def test_officer_needs_a_certificate() -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(
            None,
            register(
                certificate_number=None, certificate_valid_from=None, certificate_valid_until=None
            ),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {(ErrorCode.CERTIFICATE_REQUIRED, "certificateNumber")}


def test_certificate_needs_both_dates_in_order() -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(None, register(certificate_valid_from=None), ADMIN, DEPTS)
    assert problems(exc) == {(ErrorCode.REQUIRED, "certificateValidFrom")}
    with pytest.raises(DomainError) as exc:
        i.decide(
            None,
            register(
                certificate_valid_from=date(2026, 6, 1), certificate_valid_until=date(2026, 5, 31)
            ),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {(ErrorCode.INVALID_DATE_RANGE, "certificateValidUntil")}
    # A one-day certificate is a valid range.
    same_day = registered(
        certificate_valid_from=date(2026, 6, 1), certificate_valid_until=date(2026, 6, 1)
    )
    assert i.certificate_valid_on(same_day, date(2026, 6, 1))


def test_certificate_dates_without_a_number_are_refused() -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(
            None,
            register(kind=i.InspectorKind.SUPERVISION_STAFF, certificate_number=" "),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {(ErrorCode.REQUIRED, "certificateNumber")}


def test_expert_without_certificate_is_fine() -> None:
    state = registered(
        staff_id="EXP-01",
        kind=i.InspectorKind.EXPERT,
        certificate_number=None,
        certificate_valid_from=None,
        certificate_valid_until=None,
        affiliation="北京市食品安全监控和风险评估中心",
    )
    assert state.certificate_number is None
    assert state.affiliation == "北京市食品安全监控和风险评估中心"


def test_every_input_problem_is_reported_at_once() -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(
            None,
            register(
                staff_id="bad id",
                name="",
                department="NOPE",
                expertise=["FOOD", "食品"],
                phone="call me",
                email="nope",
                certificate_number=None,
            ),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {
        (ErrorCode.INVALID_FORMAT, "staffId"),
        (ErrorCode.REQUIRED, "name"),
        (ErrorCode.UNKNOWN_DEPARTMENT, "department"),
        (ErrorCode.INVALID_FORMAT, "expertise.1"),
        (ErrorCode.INVALID_FORMAT, "phone"),
        (ErrorCode.INVALID_FORMAT, "email"),
        (ErrorCode.CERTIFICATE_REQUIRED, "certificateNumber"),
    }


@pytest.mark.parametrize("actor", [STHJ_ADMIN, SELF, AUDITOR])
def test_only_maintainers_register(actor: Actor) -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(None, register(), actor, DEPTS)
    assert problems(exc) == {(ErrorCode.FORBIDDEN, "department")}


def test_update_needs_a_reason_and_records_what_changed() -> None:
    state = registered()
    with pytest.raises(DomainError) as exc:
        i.decide(state, i.UpdateInspector(staff_id="SCJG-001", name="张三"), SCJG_ADMIN, DEPTS)
    assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}
    events = i.decide(
        state,
        i.UpdateInspector(
            staff_id="SCJG-001",
            reason="换证",
            certificate_number="11010600009",
            certificate_valid_until=date(2029, 12, 31),
            phone="",
            expertise=["DRUG"],
        ),
        SCJG_ADMIN,
        DEPTS,
    )
    assert len(events) == 1
    ev = events[0]
    assert isinstance(ev, i.InspectorChanged)
    assert ev.reason == "换证"
    assert ev.changes == {
        "certificate_number": i.FieldChange(old="11010600001", new="11010600009"),
        "certificate_valid_until": i.FieldChange(old="2026-12-31", new="2029-12-31"),
        "expertise": i.FieldChange(old=["FOOD", "SPECIAL_EQUIPMENT"], new=["DRUG"]),
        "phone": i.FieldChange(old="13800000001", new=None),
    }
    after = fold(events, state)
    assert after.certificate_valid_until == date(2029, 12, 31)
    assert after.certificate_valid_from == date(2024, 1, 1)  # unchanged
    assert after.phone is None
    assert after.email == "zhang@example.gov.cn"
    # Decoding the stored event gives the same state.
    stored = i.SPEC.decode("InspectorChanged", 1, to_data(ev))
    assert fold([stored], state) == after


def test_no_op_update_writes_nothing() -> None:
    state = registered()
    same = i.UpdateInspector(
        staff_id="SCJG-001", reason="核对", name="张伟 ", expertise=["FOOD", "SPECIAL_EQUIPMENT"]
    )
    assert i.decide(state, same, SCJG_ADMIN, DEPTS) == []
    assert i.decide(state, i.UpdateInspector(staff_id="SCJG-001", reason="x"), ADMIN, DEPTS) == []


def test_update_rechecks_kind_and_certificate_on_the_merged_record() -> None:
    state = registered()
    # Clearing an officer's certificate is refused ...
    with pytest.raises(DomainError) as exc:
        i.decide(
            state,
            i.UpdateInspector(staff_id="SCJG-001", reason="r", certificate_number=""),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {(ErrorCode.CERTIFICATE_REQUIRED, "certificateNumber")}
    # ... but an expert may drop it, and its dates go with it.
    expert = fold(
        i.decide(
            state,
            i.UpdateInspector(
                staff_id="SCJG-001",
                reason="转为专家",
                kind=i.InspectorKind.EXPERT,
                certificate_number="",
            ),
            ADMIN,
            DEPTS,
        ),
        state,
    )
    assert (
        expert.certificate_number,
        expert.certificate_valid_from,
        expert.certificate_valid_until,
    ) == (None, None, None)
    # Moving the expiry before the existing start date is a bad range on the merged record.
    with pytest.raises(DomainError) as exc:
        i.decide(
            state,
            i.UpdateInspector(
                staff_id="SCJG-001", reason="r", certificate_valid_until=date(2023, 12, 31)
            ),
            ADMIN,
            DEPTS,
        )
    assert problems(exc) == {(ErrorCode.INVALID_DATE_RANGE, "certificateValidUntil")}


def test_update_by_another_department_is_forbidden() -> None:
    state = registered()
    cmd = i.UpdateInspector(staff_id="SCJG-001", reason="r", name="王五")
    for actor in (STHJ_ADMIN, SELF, AUDITOR):
        with pytest.raises(DomainError) as exc:
            i.decide(state, cmd, actor, DEPTS)
        assert exc.value.code is ErrorCode.FORBIDDEN
    # Moving to another department needs the right over both departments.
    move = i.UpdateInspector(staff_id="SCJG-001", reason="调动", department="STHJ")
    with pytest.raises(DomainError) as exc:
        i.decide(state, move, SCJG_ADMIN, DEPTS)
    assert exc.value.code is ErrorCode.FORBIDDEN
    assert fold(i.decide(state, move, ADMIN, DEPTS), state).department == "STHJ"
    with pytest.raises(DomainError) as exc:
        i.decide(state, i.UpdateInspector(staff_id="SCJG-001", reason="r"), STHJ_ADMIN, DEPTS)
    assert exc.value.code is ErrorCode.FORBIDDEN


def test_unknown_inspector_is_not_found() -> None:
    with pytest.raises(DomainError) as exc:
        i.decide(None, i.UpdateInspector(staff_id="X", reason="r"), ADMIN, DEPTS)
    assert problems(exc) == {(ErrorCode.NOT_FOUND, "staffId")}


def test_status_change_needs_reason_and_records_previous() -> None:
    state = registered()
    cmd = i.ChangeInspectorStatus(staff_id="SCJG-001", status=i.InspectorStatus.ON_LEAVE)
    with pytest.raises(DomainError) as exc:
        i.decide(state, cmd, SCJG_ADMIN, DEPTS)
    assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}
    cmd = i.ChangeInspectorStatus(
        staff_id="SCJG-001", status=i.InspectorStatus.ON_LEAVE, reason="产假"
    )
    for actor in (SELF, STHJ_ADMIN, AUDITOR):
        with pytest.raises(DomainError) as exc:
            i.decide(state, cmd, actor, DEPTS)
        assert exc.value.code is ErrorCode.FORBIDDEN
    events = i.decide(state, cmd, SCJG_ADMIN, DEPTS)
    assert events == [
        i.InspectorStatusChanged(
            status=i.InspectorStatus.ON_LEAVE, previous=i.InspectorStatus.ACTIVE, reason="产假"
        )
    ]
    after = fold(events, state)
    assert after.status is i.InspectorStatus.ON_LEAVE
    assert i.decide(after, cmd, SCJG_ADMIN, DEPTS) == []


def test_inspector_declares_own_conflict_and_withdraws_it() -> None:
    state = registered()
    declare = i.DeclareConflict(
        staff_id="SCJG-001", subject_key="91110106MA01ABCD1X", reason="配偶在该企业任职"
    )
    events = i.decide(state, declare, SELF, DEPTS, subject_exists=True)
    assert events == [
        i.ConflictDeclared(subject_key="91110106MA01ABCD1X", reason="配偶在该企业任职")
    ]
    after = fold(events, state)
    assert i.has_conflict(after, "91110106MA01ABCD1X")
    assert not i.has_conflict(after, "PRODUCT:SCJG:2026-000123")
    # Declaring the same again changes nothing; a new reason replaces the old one.
    assert i.decide(after, declare, SELF, DEPTS, subject_exists=True) == []
    again = i.DeclareConflict(staff_id="SCJG-001", subject_key="91110106MA01ABCD1X", reason="亲属")
    replaced = fold(i.decide(after, again, SCJG_ADMIN, DEPTS, subject_exists=True), after)
    assert replaced.conflicts == [i.Conflict(subject_key="91110106MA01ABCD1X", reason="亲属")]
    withdraw = i.WithdrawConflict(
        staff_id="SCJG-001", subject_key="91110106MA01ABCD1X", reason="已离婚"
    )
    gone = fold(i.decide(replaced, withdraw, SELF, DEPTS), replaced)
    assert gone.conflicts == []
    with pytest.raises(DomainError) as exc:
        i.decide(gone, withdraw, SELF, DEPTS)
    assert problems(exc) == {(ErrorCode.NOT_FOUND, "subjectKey")}


def test_conflict_rules() -> None:
    state = registered()
    key = "PRODUCT:SCJG:2026-000123"
    with pytest.raises(DomainError) as exc:
        i.decide(state, i.DeclareConflict(staff_id="SCJG-001", subject_key=key), SELF, DEPTS, True)
    assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}
    declare = i.DeclareConflict(staff_id="SCJG-001", subject_key=key, reason="曾任职")
    with pytest.raises(DomainError) as exc:
        i.decide(state, declare, SELF, DEPTS, subject_exists=False)
    assert problems(exc) == {(ErrorCode.NOT_FOUND, "subjectKey")}
    for actor in (OTHER_INSPECTOR, STHJ_ADMIN, AUDITOR):
        with pytest.raises(DomainError) as exc:
            i.decide(state, declare, actor, DEPTS, subject_exists=True)
        assert exc.value.code is ErrorCode.FORBIDDEN
    bad = i.DeclareConflict(staff_id="SCJG-001", subject_key="has space", reason="r")
    with pytest.raises(DomainError) as exc:
        i.decide(state, bad, SELF, DEPTS, subject_exists=True)
    assert problems(exc) == {(ErrorCode.INVALID_FORMAT, "subjectKey")}
    # An inspector without an account cannot be "themself": only maintainers act.
    anonymous = registered(user_id=None)
    with pytest.raises(DomainError) as exc:
        i.decide(
            anonymous,
            declare,
            Actor(user_id="x", roles=frozenset({Role.INSPECTOR})),
            DEPTS,
            subject_exists=True,
        )
    assert exc.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as exc:
        i.decide(state, i.WithdrawConflict(staff_id="SCJG-001", subject_key=key), SELF, DEPTS)
    assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}


def test_certificate_validity_and_eligibility_on_dates() -> None:
    officer = registered()
    assert not i.certificate_valid_on(officer, date(2023, 12, 31))
    assert i.certificate_valid_on(officer, date(2024, 1, 1))
    assert i.certificate_valid_on(officer, date(2026, 12, 31))
    assert not i.certificate_valid_on(officer, date(2027, 1, 1))
    assert i.eligible_on(officer, date(2026, 12, 31))
    assert not i.eligible_on(officer, date(2027, 1, 1))
    assert i.counts_towards_minimum(officer)
    on_leave = registered(status=i.InspectorStatus.ON_LEAVE)
    assert not i.eligible_on(on_leave, date(2026, 6, 1))
    staff = registered(
        kind=i.InspectorKind.SUPERVISION_STAFF,
        certificate_number=None,
        certificate_valid_from=None,
        certificate_valid_until=None,
    )
    assert not i.eligible_on(staff, date(2026, 6, 1))  # no certificate, not drawn
    assert i.counts_towards_minimum(staff)
    expert = registered(
        kind=i.InspectorKind.EXPERT,
        certificate_number=None,
        certificate_valid_from=None,
        certificate_valid_until=None,
    )
    assert i.eligible_on(expert, date(2030, 1, 1))
    assert not i.counts_towards_minimum(expert)
    retired = registered(kind=i.InspectorKind.EXPERT, status=i.InspectorStatus.RETIRED)
    assert not i.eligible_on(retired, date(2026, 6, 1))


def test_upsert_for_the_importer() -> None:
    first = i.decide_upsert(None, register(), SCJG_ADMIN, DEPTS, "导入")
    assert [type(e) for e in first] == [i.InspectorRegistered]
    state = fold(first)
    state = fold(
        i.decide(
            state,
            i.DeclareConflict(staff_id="SCJG-001", subject_key="K1", reason="亲属"),
            SELF,
            DEPTS,
            subject_exists=True,
        ),
        state,
    )
    assert i.decide_upsert(state, register(), SCJG_ADMIN, DEPTS, "导入") == []
    changed = i.decide_upsert(
        state,
        register(status=i.InspectorStatus.RETIRED, email=None),
        SCJG_ADMIN,
        DEPTS,
        "2026年名录导入",
    )
    assert len(changed) == 1
    ev = changed[0]
    assert isinstance(ev, i.InspectorChanged)
    assert set(ev.changes) == {"status", "email"}
    after = fold(changed, state)
    assert after.status is i.InspectorStatus.RETIRED
    assert after.email is None
    assert after.conflicts == state.conflicts  # declared conflicts survive an import
    with pytest.raises(DomainError) as exc:
        i.decide_upsert(state, register(name="新名"), SCJG_ADMIN, DEPTS, None)
    assert problems(exc) == {(ErrorCode.REASON_REQUIRED, "reason")}
    with pytest.raises(DomainError) as exc:
        i.decide_upsert(state, register(name="新名"), STHJ_ADMIN, DEPTS, "r")
    assert exc.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as exc:
        i.decide_upsert(state, register(certificate_number=None), ADMIN, DEPTS, "r")
    assert problems(exc) == {(ErrorCode.CERTIFICATE_REQUIRED, "certificateNumber")}


def test_evolve_refuses_foreign_events() -> None:
    with pytest.raises(TypeError):
        i.evolve(registered(), i.FieldChange())  # type: ignore[arg-type]
