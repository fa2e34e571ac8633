"""信用风险分类联动: the rule (pure) and the proposal's decisions."""

from __future__ import annotations

import datetime as dt

import pytest

from spotcheck.domain import credit_risk as cr
from spotcheck.domain import inspection as ins
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.errors import DomainError
from spotcheck.domain.subject import RiskClass

RULE = cr.parse_rule(cr.DEFAULT_RULE)
ADMIN = Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
OTHER = Actor(user_id="sthj-admin", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor(user_id="i", department="SCJG", roles=frozenset({Role.INSPECTOR}))


def record(*items: tuple[str, ins.FollowUpKind]) -> ins.PublishedRecord:
    day = dt.date(2026, 5, 6)
    return ins.PublishedRecord(
        inspection_id="CASE/SCJG/1",
        origin=ins.InspectionOrigin.CASE,
        task_id=None,
        task_title=None,
        subject="S1",
        subject_name="甲公司",
        uscc=None,
        departments=["SCJG"],
        inspected_on=day,
        approved_on=day,
        published_on=day,
        items=[
            ins.PublishedItem(item=f"I{n}", item_name="x", code=ins.ResultCode(c), follow_up=k)
            for n, (c, k) in enumerate(items)
        ],
    )


NONE = ins.FollowUpKind.NONE


def test_rule_parses_and_refuses_naming_the_setting() -> None:
    assert RULE.triggers == {"6": 1, "8": 1, "CASE_TRANSFER": 1, "JUDICIAL_TRANSFER": 2}
    assert cr.parse_rule(" c = 2 , 6=1 ,").text() == "6=1,C=2"
    for bad in ("6", "6=0", "6=4", "X=1", "6=1,6=2", "NONE=1"):
        with pytest.raises(ValueError, match=cr.RULE_SETTING):
            cr.parse_rule(bad)


def test_raised_caps_at_d_and_starts_unclassified_at_b() -> None:
    assert cr.raised(RiskClass.A, 1) is RiskClass.B
    assert cr.raised(RiskClass.C, 2) is RiskClass.D
    assert cr.raised(None, 1) is RiskClass.C


def test_code_6_or_a_transfer_raises_by_the_largest_step() -> None:
    p = cr.propose(RULE, record(("6", NONE)), RiskClass.A, "SCJG")
    assert p is not None and (p.from_class, p.to_class) == (RiskClass.A, RiskClass.B)
    assert [(b.item, b.trigger, b.steps) for b in p.basis] == [("I0", "6", 1)]
    assert p.rule == RULE.text() and p.proposed_on == "2026-05-06"
    both = record(("D", ins.FollowUpKind.CASE_TRANSFER), ("G", ins.FollowUpKind.JUDICIAL_TRANSFER))
    p = cr.propose(RULE, both, RiskClass.A, "SCJG")
    assert p is not None and p.to_class is RiskClass.C
    assert len(p.basis) == 2


def test_no_trigger_or_no_change_proposes_nothing() -> None:
    assert cr.propose(RULE, record(("1", NONE), ("D", NONE)), RiskClass.A, "SCJG") is None
    assert cr.propose(RULE, record(("6", NONE)), RiskClass.D, "SCJG") is None
    only_c = cr.parse_rule("C=1")
    assert cr.propose(only_c, record(("6", NONE)), RiskClass.A, "SCJG") is None


def proposed() -> cr.RiskClassProposal:
    event = cr.propose(RULE, record(("6", NONE)), RiskClass.A, "SCJG")
    assert event is not None
    return cr.evolve(None, event)


def codes(exc: pytest.ExceptionInfo[DomainError]) -> list[tuple[str, str | None]]:
    return [(p.code.value, p.field) for p in exc.value.problems]


def test_confirm_and_reject() -> None:
    state = proposed()
    confirm = cr.ConfirmRiskClassChange(inspection_id=state.inspection_id, note=" 核实 ")
    (event,) = cr.decide(state, confirm, ADMIN, RiskClass.A)
    assert isinstance(event, cr.RiskClassChangeConfirmed)
    assert (event.to_class, event.note, event.decided_by) == (RiskClass.B, "核实", "scjg-admin")
    done = cr.evolve(state, event)
    assert done.status is cr.ProposalStatus.CONFIRMED
    with pytest.raises(DomainError) as exc:
        cr.decide(done, confirm, ADMIN, RiskClass.B)
    assert codes(exc) == [("INVALID_TRANSITION", "inspectionId")]
    reject = cr.RejectRiskClassChange(inspection_id=state.inspection_id, reason="已核实住所")
    (event,) = cr.decide(state, reject, ADMIN, RiskClass.A)
    assert cr.evolve(state, event).reason == "已核实住所"


def test_refusals() -> None:
    state = proposed()
    key = state.inspection_id
    cases = [
        (
            None,
            cr.ConfirmRiskClassChange(inspection_id="X"),
            ADMIN,
            [("NOT_FOUND", "inspectionId")],
        ),
        (
            state,
            cr.ConfirmRiskClassChange(inspection_id=key),
            OTHER,
            [("NOT_MAINTAINING_DEPARTMENT", None)],
        ),
        (state, cr.ConfirmRiskClassChange(inspection_id=key), INSPECTOR, [("FORBIDDEN", None)]),
        (
            state,
            cr.RejectRiskClassChange(inspection_id=key, reason=" "),
            ADMIN,
            [("REASON_REQUIRED", "reason")],
        ),
    ]
    for st, command, actor, expected in cases:
        with pytest.raises(DomainError) as exc:
            cr.decide(st, command, actor, RiskClass.A)
        assert codes(exc) == expected, command
    # The class moved since the proposal: confirming would skip a step; reject instead.
    with pytest.raises(DomainError) as exc:
        cr.decide(state, cr.ConfirmRiskClassChange(inspection_id=key), ADMIN, RiskClass.C)
    assert codes(exc) == [("INVALID_TRANSITION", "inspectionId")]
