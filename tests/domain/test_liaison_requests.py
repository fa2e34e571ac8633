"""联络员更换要求 and 协调事项: pure decisions."""

from __future__ import annotations

from datetime import date

import pytest

from spotcheck.domain.actor import SYSTEM, Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.liaison import requests as q
from spotcheck.domain.values import Liaison

TODAY = date(2026, 9, 1)
OLD = Liaison(name="张三", user_id="zs")
STHJ_ADMIN = Actor(user_id="b", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
LIAISON = Actor(user_id="l", liaison_of=frozenset({"STHJ"}))


def _requested() -> q.ReplacementRequest:
    ask = q.RequestLiaisonReplacement(request_id="R1", department="STHJ", reason="不履职")
    state = q.REPLACEMENT.fold(q.decide_replacement(None, ask, SYSTEM, OLD, TODAY))
    assert state is not None
    return state


def test_replacement_is_answered_once_after_the_handover() -> None:
    state = _requested()
    assert (state.request_id, state.liaison_name, state.status) == (
        "R1",
        "张三",
        q.RequestStatus.OPEN,
    )
    done = q.AnswerLiaisonReplacement(
        request_id="R1", outcome=q.ReplacementOutcome.REPLACED, response="已更换"
    )
    with pytest.raises(DomainError) as exc:
        q.decide_replacement(state, done, STHJ_ADMIN, OLD, TODAY)
    assert (exc.value.code, exc.value.problems[0].field) == (
        ErrorCode.INVALID_TRANSITION,
        "outcome",
    )
    events = q.decide_replacement(state, done, STHJ_ADMIN, Liaison(name="李四"), TODAY)
    answered = q.REPLACEMENT.fold(events, state)
    assert answered is not None and answered.outcome is q.ReplacementOutcome.REPLACED
    with pytest.raises(DomainError) as exc:
        q.decide_replacement(answered, done, STHJ_ADMIN, Liaison(name="李四"), TODAY)
    assert exc.value.code is ErrorCode.INVALID_TRANSITION


def test_only_the_office_asks_and_only_the_department_answers() -> None:
    ask = q.RequestLiaisonReplacement(request_id="R1", department="STHJ", reason="不履职")
    with pytest.raises(DomainError) as exc:
        q.decide_replacement(None, ask, STHJ_ADMIN, OLD, TODAY)
    assert exc.value.code is ErrorCode.FORBIDDEN
    keep = q.AnswerLiaisonReplacement(
        request_id="R1", outcome=q.ReplacementOutcome.RETAINED, response="已整改"
    )
    with pytest.raises(DomainError) as exc:
        q.decide_replacement(_requested(), keep, LIAISON, OLD, TODAY)
    assert exc.value.code is ErrorCode.FORBIDDEN
    no_reason = q.RequestLiaisonReplacement(request_id="R1", department="STHJ", reason=" ")
    with pytest.raises(DomainError) as exc:
        q.decide_replacement(None, no_reason, SYSTEM, OLD, TODAY)
    assert exc.value.code is ErrorCode.REASON_REQUIRED


def test_coordination_names_other_known_departments() -> None:
    known = frozenset({"SCJG", "STHJ"})
    raise_ = q.RaiseCoordinationRequest(
        request_id="C1", department="STHJ", title="协调", matter="需配合", departments=["XX"]
    )
    with pytest.raises(DomainError) as exc:
        q.decide_coordination(None, raise_, LIAISON, known, TODAY)
    assert (exc.value.code, exc.value.problems[0].field) == (
        ErrorCode.UNKNOWN_DEPARTMENT,
        "departments.0",
    )
    ok = q.RaiseCoordinationRequest(
        request_id="C1", department="STHJ", title="协调", matter="需配合", departments=["SCJG"]
    )
    state = q.COORDINATION.fold(q.decide_coordination(None, ok, LIAISON, known, TODAY))
    assert state is not None and state.departments == ["SCJG"]
    answer = q.AnswerCoordinationRequest(request_id="C1", response="已协调")
    with pytest.raises(DomainError) as exc:
        q.decide_coordination(state, answer, STHJ_ADMIN, known, TODAY)
    assert exc.value.code is ErrorCode.FORBIDDEN
    done = q.COORDINATION.fold(q.decide_coordination(state, answer, SYSTEM, known, TODAY), state)
    assert done is not None and done.status is q.RequestStatus.ANSWERED
