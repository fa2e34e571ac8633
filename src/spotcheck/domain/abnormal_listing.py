"""经营异常名录 Proposals to list a subject as an abnormal operation, and their decision.

A published result coded 6 (通过登记的住所（经营场所）无法联系, unreachable at the registered
address) raises a proposal (提请列入经营异常名录) at once: a row of the
``abnormal_operation_proposals`` read table, id = the inspection id, fed from the publication
event (and from an amendment that adds or removes code 6 before the decision).  The decision is
an aggregate of its own, stream ``abnormal-{inspection_id}``:

    (proposal PROPOSED) → CONFIRMED (确认列入) or REJECTED (不予列入, with a reason)
    CONFIRMED → REMOVED (移出经营异常名录, once the business proved it is reachable again)

移出 (企业经营异常名录管理暂行办法 第十一条): the business applies and shows it can be contacted
at its registered address (or registers a new one); the registration authority verifies it
(``verified_on``, the day of the check, not after today) and records how it was proven
(``reason``, required).  Only a CONFIRMED listing is removed (INVALID_TRANSITION otherwise).

Who decides: SYSTEM_ADMIN, or the DEPARTMENT_ADMIN of the district market regulation bureau
(区市场监管局, department code ``SCJG``).  Listing in the 经营异常名录 is the registration
authority's act (企业经营异常名录管理暂行办法 第四条: 县级以上工商行政管理部门, now
市场监督管理部门, 负责企业经营异常名录的管理), whichever department found the subject
unreachable; every other signed-in caller gets FORBIDDEN.  Both decisions record who
(``decided_by`` and the event's metadata) and when (the event's ``recorded_at``).

Refusals: no proposal for the inspection → NOT_FOUND; decided already, or withdrawn by an
amendment → INVALID_TRANSITION; a rejection without a reason → REASON_REQUIRED.
"""

from __future__ import annotations

import enum
from datetime import date

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection import PublishedRecord, ResultCode

REGISTRATION_AUTHORITY = "SCJG"
"""区市场监管局 The district market regulation bureau: it keeps the 经营异常名录."""
MAX_NOTE = 1000


class ProposalStatus(enum.Enum):
    """提请状态 Status of a proposal to list a subject as an abnormal operation."""

    PROPOSED = "PROPOSED"
    """待确认 Raised by a published result coded 6; awaiting an admin's decision."""
    CONFIRMED = "CONFIRMED"
    """已列入 Confirmed: the subject is listed in the 经营异常名录."""
    REJECTED = "REJECTED"
    """不予列入 Rejected, with a reason."""
    WITHDRAWN = "WITHDRAWN"
    """已撤回 An amendment removed code 6 before the decision."""
    REMOVED = "REMOVED"
    """已移出 Listed, then removed after the business proved it is reachable again."""


def unreachable_items(record: PublishedRecord) -> list[str]:
    """The items of a published record coded 6 (unreachable at the registered address)."""
    return [i.item for i in record.items if i.code is ResultCode.R6]


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """A proposal as the read table holds it: what a decision checks against."""

    inspection_id: str
    subject: str
    subject_name: str
    uscc: str | None
    status: ProposalStatus


class AbnormalListing(msgspec.Struct, frozen=True, kw_only=True):
    """The decision on one proposal."""

    inspection_id: str
    subject: str
    status: ProposalStatus
    decided_by: str
    reason: str | None = None
    removed_by: str | None = None
    removal_reason: str | None = None
    verified_on: date | None = None


# Commands
class ConfirmAbnormalListing(Command, frozen=True, kw_only=True):
    inspection_id: str
    note: str | None = None


class RejectAbnormalListing(Command, frozen=True, kw_only=True):
    inspection_id: str
    reason: str | None = None


class RemoveAbnormalListing(Command, frozen=True, kw_only=True):
    inspection_id: str
    verified_on: date
    """The day the registration authority verified the business is reachable again."""
    reason: str | None = None
    """How it was proven (e.g. 现场核查住所可联系, 变更登记新住所)."""


AbnormalListingCommand = ConfirmAbnormalListing | RejectAbnormalListing | RemoveAbnormalListing


# Events
class AbnormalListingConfirmed(Event, frozen=True, kw_only=True):
    """确认列入经营异常名录 Everything a reader of the ledger alone needs."""

    inspection_id: str
    subject: str
    uscc: str | None
    subject_name: str
    decided_by: str
    note: str | None = None


class AbnormalListingRejected(Event, frozen=True, kw_only=True):
    """不予列入 With the reason."""

    inspection_id: str
    subject: str
    uscc: str | None
    subject_name: str
    decided_by: str
    reason: str


class AbnormalListingRemoved(Event, frozen=True, kw_only=True):
    """移出经营异常名录 The business proved it is reachable again: how, when verified, by whom."""

    inspection_id: str
    subject: str
    uscc: str | None
    subject_name: str
    removed_by: str
    reason: str
    verified_on: date


def may_decide(actor: Actor) -> bool:
    """SYSTEM_ADMIN or the registration authority's (SCJG) DEPARTMENT_ADMIN."""
    return actor.maintains(REGISTRATION_AUTHORITY)


def _remove(
    state: AbnormalListing | None,
    command: RemoveAbnormalListing,
    actor: Actor,
    today: date,
    proposal: Proposal | None,
) -> list[Event]:
    p = Problems()
    rules.reason(p, command.reason, "removing a listing (how the business proved it is reachable)")
    if command.verified_on > today:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "verifiedOn",
            f"verifiedOn ({command.verified_on}) is after today ({today})",
        )
    p.raise_if_any()
    if state is None or state.status is not ProposalStatus.CONFIRMED:
        status = state.status.value if state is not None else "not listed"
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "inspectionId",
            f"the listing for inspection {command.inspection_id!r} is {status}; only a "
            "CONFIRMED listing is removed",
        )
    return [
        AbnormalListingRemoved(
            inspection_id=state.inspection_id,
            subject=state.subject,
            uscc=proposal.uscc if proposal is not None else None,
            subject_name=proposal.subject_name if proposal is not None else "",
            removed_by=str(actor.user_id),
            reason=str(command.reason).strip(),
            verified_on=command.verified_on,
        )
    ]


def decide(
    state: AbnormalListing | None,
    command: AbnormalListingCommand,
    actor: Actor,
    proposal: Proposal | None,
    today: date | None = None,
) -> list[Event]:
    if not may_decide(actor):
        raise rules.forbid(
            "only the system administrator or the district market regulation bureau's "
            f"({REGISTRATION_AUTHORITY}) administrator decides on the 经营异常名录"
        )
    if isinstance(command, RemoveAbnormalListing):
        assert today is not None, "removing a listing needs today's date"
        return _remove(state, command, actor, today, proposal)
    p = Problems()
    if isinstance(command, RejectAbnormalListing):
        rules.reason(p, command.reason, "rejecting a proposal")
    else:
        rules.text(p, "note", command.note, max_len=MAX_NOTE, required=False, multiline=True)
    p.raise_if_any()
    if proposal is None:
        raise rules.not_found(
            "abnormal-operation proposal for inspection", command.inspection_id, "inspectionId"
        )
    if state is not None or proposal.status is not ProposalStatus.PROPOSED:
        status = state.status if state is not None else proposal.status
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "inspectionId",
            f"the proposal for inspection {command.inspection_id!r} is {status.value}; "
            "only a PROPOSED one is confirmed or rejected",
        )
    who = str(actor.user_id)
    if isinstance(command, RejectAbnormalListing):
        return [
            AbnormalListingRejected(
                inspection_id=proposal.inspection_id,
                subject=proposal.subject,
                uscc=proposal.uscc,
                subject_name=proposal.subject_name,
                decided_by=who,
                reason=str(command.reason).strip(),
            )
        ]
    note = command.note.strip() if command.note and command.note.strip() else None
    return [
        AbnormalListingConfirmed(
            inspection_id=proposal.inspection_id,
            subject=proposal.subject,
            uscc=proposal.uscc,
            subject_name=proposal.subject_name,
            decided_by=who,
            note=note,
        )
    ]


def evolve(state: AbnormalListing | None, event: Event) -> AbnormalListing:
    if isinstance(event, AbnormalListingRemoved):
        assert state is not None, "AbnormalListingRemoved before the decision"
        return msgspec.structs.replace(
            state,
            status=ProposalStatus.REMOVED,
            removed_by=event.removed_by,
            removal_reason=event.reason,
            verified_on=event.verified_on,
        )
    assert state is None, f"{type(event).__name__} after the decision"
    if isinstance(event, AbnormalListingConfirmed):
        return AbnormalListing(
            inspection_id=event.inspection_id,
            subject=event.subject,
            status=ProposalStatus.CONFIRMED,
            decided_by=event.decided_by,
            reason=event.note,
        )
    if isinstance(event, AbnormalListingRejected):
        return AbnormalListing(
            inspection_id=event.inspection_id,
            subject=event.subject,
            status=ProposalStatus.REJECTED,
            decided_by=event.decided_by,
            reason=event.reason,
        )
    raise TypeError(f"not an abnormal-listing event: {event!r}")


SPEC: AggregateSpec[AbnormalListing] = AggregateSpec(
    name="abnormal_listing",
    stream_prefix="abnormal-",
    events=(AbnormalListingConfirmed, AbnormalListingRejected, AbnormalListingRemoved),
    evolve=evolve,
    state_type=AbnormalListing,
)
