"""工作信息报送 and the liaison's contact details: pure decisions."""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck.domain import department as d
from spotcheck.domain.actor import SYSTEM, Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison.office import is_office, speaks_for
from spotcheck.domain.statistics import DepartmentFigures
from spotcheck.domain.values import Liaison

LIAISON = Actor(user_id="liaison-scjg", liaison_of=frozenset({"SCJG"}))
SCJG_ADMIN = Actor(user_id="a", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor(user_id="b", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor(user_id="i", department="SCJG", roles=frozenset({Role.INSPECTOR}))
DEPARTMENTS = frozenset({"SCJG", "STHJ"})
TODAY = date(2026, 8, 3)
FIGURES = r.figures_of(DepartmentFigures(department="SCJG", registry_subjects=7), TODAY, 42)


def _dept() -> d.Department:
    return d.Department(
        code="SCJG",
        name="市场监管局",
        liaison=Liaison(name="张三", phone="010-1234567", email="a@b.cn", user_id="liaison-scjg"),
    )


def _submit(**kw: object) -> r.SubmitLiaisonReport:
    args: dict[str, object] = {
        "department": "SCJG",
        "year": 2026,
        "quarter": 2,
        "progress": "推进情况\n第二行",
    }
    return r.SubmitLiaisonReport(**(args | kw))  # type: ignore[arg-type]


def test_the_office_and_who_speaks_for_a_department() -> None:
    assert is_office(SYSTEM) and is_office(SCJG_ADMIN)
    assert not is_office(STHJ_ADMIN) and not is_office(LIAISON) and not is_office(INSPECTOR)
    assert speaks_for(LIAISON, "SCJG") and speaks_for(SCJG_ADMIN, "SCJG")
    assert not speaks_for(SYSTEM, "SCJG") and not speaks_for(STHJ_ADMIN, "SCJG")


def test_a_report_stores_the_figures_it_was_given() -> None:
    (e,) = r.decide(None, _submit(problems=" "), LIAISON, DEPARTMENTS, FIGURES)
    assert isinstance(e, r.LiaisonReportSubmitted)
    assert e.figures == FIGURES and e.figures.ledger_position == 42
    assert (e.submitted_by, e.submitted_on, e.problems) == ("liaison-scjg", TODAY, None)
    state = r.SPEC.fold([e])
    assert state is not None and state.report_id == "SCJG-2026-Q2"
    assert [o.origin.value for o in state.figures.origins] == ["RANDOM", "SPECIAL", "CASE"]
    assert state.figures.registry_subjects == 7


def test_a_submitted_report_is_never_changed() -> None:
    state = r.SPEC.fold(r.decide(None, _submit(), LIAISON, DEPARTMENTS, FIGURES))
    with pytest.raises(DomainError) as exc:
        r.decide(state, _submit(progress="改"), LIAISON, DEPARTMENTS, FIGURES)
    assert (exc.value.code, exc.value.problems[0].field) == (ErrorCode.ALREADY_EXISTS, "quarter")


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (_submit(quarter=4), ErrorCode.OUT_OF_RANGE, "quarter"),  # begins 2026-10-01
        (_submit(quarter=5), ErrorCode.OUT_OF_RANGE, "quarter"),
        (_submit(year=1999), ErrorCode.OUT_OF_RANGE, "year"),
        (_submit(progress=" "), ErrorCode.REQUIRED, "progress"),
        (_submit(department="XX"), ErrorCode.FORBIDDEN, "department"),
    ],
)
def test_report_rules(command: r.SubmitLiaisonReport, code: ErrorCode, field: str) -> None:
    with pytest.raises(DomainError) as exc:
        r.decide(None, command, LIAISON, DEPARTMENTS, FIGURES)
    assert (exc.value.code, exc.value.problems[0].field) == (code, field)


@pytest.mark.parametrize("actor", [SYSTEM, STHJ_ADMIN, INSPECTOR])
def test_only_the_department_reports(actor: Actor) -> None:
    with pytest.raises(DomainError) as exc:
        r.decide(None, _submit(), actor, DEPARTMENTS, FIGURES)
    assert exc.value.code is ErrorCode.FORBIDDEN


def test_handing_over_to_another_person_needs_a_note() -> None:
    new = Liaison(name="李四", phone="010-7654321", user_id="lisi")
    command = d.HandOverLiaison(code="SCJG", liaison=new)
    with pytest.raises(DomainError) as exc:
        d.decide(_dept(), command, LIAISON)
    assert (exc.value.code, exc.value.problems[0].field) == (ErrorCode.REQUIRED, "note")
    (e,) = d.decide(
        _dept(), d.HandOverLiaison(code="SCJG", liaison=new, note="已交接台账"), LIAISON
    )
    assert isinstance(e, d.LiaisonHandedOver) and e.note == "已交接台账"
    assert e.previous == _dept().liaison
    # The same person with new details needs no note (as before).
    same = Liaison(name="张三", phone="010-9999999", user_id="liaison-scjg")
    assert d.decide(_dept(), d.HandOverLiaison(code="SCJG", liaison=same), LIAISON)


def test_the_liaison_reports_new_contact_details() -> None:
    command = d.UpdateLiaisonContact(code="SCJG", phone="010-5555555", email="")
    (e,) = d.decide(_dept(), command, LIAISON)
    assert isinstance(e, d.LiaisonContactUpdated)
    assert (e.liaison.name, e.liaison.phone, e.liaison.email) == ("张三", "010-5555555", None)
    assert e.previous.phone == "010-1234567"
    state = d.evolve(_dept(), e)
    assert state.liaison.phone == "010-5555555" and state.liaison.user_id == "liaison-scjg"
    assert d.decide(state, command, LIAISON) == []
    with pytest.raises(DomainError) as exc:
        d.decide(_dept(), d.UpdateLiaisonContact(code="SCJG", email="bad"), LIAISON)
    assert (exc.value.code, exc.value.problems[0].field) == (ErrorCode.INVALID_FORMAT, "email")
    with pytest.raises(DomainError) as exc:
        d.decide(_dept(), command, STHJ_ADMIN)
    assert exc.value.code is ErrorCode.FORBIDDEN
