"""经营异常名录 decisions, without a database: who decides, what is refused, what is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from msgspec.structs import replace

from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as ins
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode

SYSTEM_ADMIN = Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor(
    user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
STHJ_ADMIN = Actor(
    user_id="sthj-admin", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
INSPECTOR = Actor(user_id="inspector", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="auditor", department="SCJG", roles=frozenset({Role.AUDITOR}))

KEY = "T1/1/91110106MA01ABCD1X"
PROPOSAL = al.Proposal(
    inspection_id=KEY,
    subject="91110106MA01ABCD1X",
    subject_name="丰台某商贸有限公司",
    uscc="91110106MA01ABCD1X",
    status=al.ProposalStatus.PROPOSED,
)
CONFIRM = al.ConfirmAbnormalListing(inspection_id=KEY, note="两次实地核查均无法联系")
REJECT = al.RejectAbnormalListing(inspection_id=KEY, reason="已补充联系方式并核实住所")


def _code(exc: pytest.ExceptionInfo[DomainError]) -> tuple[ErrorCode, str | None]:
    return exc.value.code, exc.value.problems[0].field


@pytest.mark.parametrize("actor", [SYSTEM_ADMIN, SCJG_ADMIN], ids=["system", "scjg"])
def test_the_registration_authority_confirms(actor: Actor) -> None:
    events = al.decide(None, CONFIRM, actor, PROPOSAL)
    assert events == [
        al.AbnormalListingConfirmed(
            inspection_id=KEY,
            subject=PROPOSAL.subject,
            uscc=PROPOSAL.uscc,
            subject_name=PROPOSAL.subject_name,
            decided_by=actor.user_id or "",
            note="两次实地核查均无法联系",
        )
    ]
    state = al.SPEC.fold(events)
    assert state is not None
    assert (state.status, state.decided_by) == (al.ProposalStatus.CONFIRMED, actor.user_id)


def test_reject_records_who_and_why() -> None:
    events = al.decide(None, REJECT, SCJG_ADMIN, PROPOSAL)
    assert len(events) == 1
    state = al.SPEC.fold(events)
    assert state == al.AbnormalListing(
        inspection_id=KEY,
        subject=PROPOSAL.subject,
        status=al.ProposalStatus.REJECTED,
        decided_by="scjg-admin",
        reason="已补充联系方式并核实住所",
    )


@pytest.mark.parametrize("actor", [STHJ_ADMIN, INSPECTOR, AUDITOR], ids=["sthj", "insp", "aud"])
def test_others_are_forbidden(actor: Actor) -> None:
    for command in (CONFIRM, REJECT):
        with pytest.raises(DomainError) as exc:
            al.decide(None, command, actor, PROPOSAL)
        assert _code(exc) == (ErrorCode.FORBIDDEN, None)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(DomainError) as exc:
        al.decide(
            None, al.RejectAbnormalListing(inspection_id=KEY, reason=reason), SCJG_ADMIN, PROPOSAL
        )
    assert _code(exc) == (ErrorCode.REASON_REQUIRED, "reason")


def test_overlong_note_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        al.decide(
            None,
            al.ConfirmAbnormalListing(inspection_id=KEY, note="x" * 1001),
            SCJG_ADMIN,
            PROPOSAL,
        )
    assert _code(exc) == (ErrorCode.TOO_LONG, "note")


def test_no_proposal_is_not_found() -> None:
    with pytest.raises(DomainError) as exc:
        al.decide(None, CONFIRM, SCJG_ADMIN, None)
    assert _code(exc) == (ErrorCode.NOT_FOUND, "inspectionId")


def test_decided_or_withdrawn_is_an_invalid_transition() -> None:
    decided = al.SPEC.fold(al.decide(None, CONFIRM, SCJG_ADMIN, PROPOSAL))
    withdrawn = replace(PROPOSAL, status=al.ProposalStatus.WITHDRAWN)
    for state, proposal in ((decided, PROPOSAL), (None, withdrawn)):
        for command in (CONFIRM, REJECT):
            with pytest.raises(DomainError) as exc:
                al.decide(state, command, SYSTEM_ADMIN, proposal)
            assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "inspectionId")


def _record(*codes: ins.ResultCode) -> ins.PublishedRecord:
    day = dt.date(2026, 5, 6)
    return ins.PublishedRecord(
        inspection_id=KEY,
        origin=ins.InspectionOrigin.RANDOM,
        task_id="T1",
        task_title="2026年食品经营抽查",
        subject=PROPOSAL.subject,
        subject_name=PROPOSAL.subject_name,
        uscc=PROPOSAL.uscc,
        departments=["SCJG"],
        inspected_on=day,
        approved_on=day,
        published_on=day,
        items=[
            ins.PublishedItem(
                item=f"SCJG-{n}", item_name="事项", code=c, follow_up=ins.FollowUpKind.NONE
            )
            for n, c in enumerate(codes)
        ],
    )


def test_code_6_items_raise_the_proposal() -> None:
    assert al.unreachable_items(_record(ins.ResultCode.R1, ins.ResultCode.R7)) == []
    assert al.unreachable_items(
        _record(ins.ResultCode.R6, ins.ResultCode.A, ins.ResultCode.R6)
    ) == ["SCJG-0", "SCJG-2"]


# 移出经营异常名录
def _confirmed() -> al.AbnormalListing:
    state = al.SPEC.fold(al.decide(None, CONFIRM, SCJG_ADMIN, PROPOSAL))
    assert state is not None
    return state


def test_a_confirmed_listing_is_removed_after_proof() -> None:
    today = dt.date(2026, 11, 2)
    remove = al.RemoveAbnormalListing(
        inspection_id=KEY, verified_on=dt.date(2026, 11, 1), reason="现场核查，住所可以联系"
    )
    events = al.decide(_confirmed(), remove, SCJG_ADMIN, PROPOSAL, today)
    assert events == [
        al.AbnormalListingRemoved(
            inspection_id=KEY,
            subject=PROPOSAL.subject,
            uscc=PROPOSAL.uscc,
            subject_name=PROPOSAL.subject_name,
            removed_by="scjg-admin",
            reason="现场核查，住所可以联系",
            verified_on=dt.date(2026, 11, 1),
        )
    ]
    state = al.SPEC.fold(events, _confirmed())
    assert state is not None
    assert (state.status, state.removed_by, state.decided_by) == (
        al.ProposalStatus.REMOVED,
        "scjg-admin",
        "scjg-admin",
    )
    with pytest.raises(DomainError) as exc:
        al.decide(state, remove, SCJG_ADMIN, PROPOSAL, today)
    assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "inspectionId")


def test_removal_needs_a_listing_a_proof_and_a_past_verification() -> None:
    today = dt.date(2026, 11, 2)
    remove = al.RemoveAbnormalListing(inspection_id=KEY, verified_on=today, reason="已核实")
    with pytest.raises(DomainError) as exc:
        al.decide(None, remove, SCJG_ADMIN, PROPOSAL, today)
    assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "inspectionId")
    bad = al.RemoveAbnormalListing(inspection_id=KEY, verified_on=today + dt.timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        al.decide(_confirmed(), bad, SCJG_ADMIN, PROPOSAL, today)
    assert {(p.code, p.field) for p in exc.value.problems} == {
        (ErrorCode.REASON_REQUIRED, "reason"),
        (ErrorCode.OUT_OF_RANGE, "verifiedOn"),
    }
    with pytest.raises(DomainError) as exc:
        al.decide(_confirmed(), remove, STHJ_ADMIN, PROPOSAL, today)
    assert _code(exc) == (ErrorCode.FORBIDDEN, None)
