"""信用风险分类联动 Credit-risk linkage (差异化监管): published results propose a class change.

A published result that meets the rule (``RiskRule``, ``propose``) raises a proposal to move
the subject's credit risk class (信用风险分类, A low … D high) up, in the very transaction that
publishes it (``services/creditrisk.py``): stream ``creditrisk-{inspection_id}``, event
``RiskClassChangeProposed``, which records the rule it applied.  The subject's maintaining
department decides:

    PROPOSED → CONFIRMED (the subject's class changes through its own ``SubjectChanged``,
               citing the proposal, in the same transaction) or REJECTED (with a reason)

Who decides: SYSTEM_ADMIN, or the DEPARTMENT_ADMIN of the subject's maintaining department (维护
部门, 谁审批、谁监管); every other signed-in caller gets FORBIDDEN / NOT_MAINTAINING_DEPARTMENT.

Refusals: no proposal for the inspection → NOT_FOUND; decided already → INVALID_TRANSITION; the
subject's class is no longer the one the proposal started from (changed since by a correction
or another confirmed proposal) → INVALID_TRANSITION on ``inspectionId`` (reject it; the next
result proposes again); a rejection without a reason → REASON_REQUIRED.

The rule (docs/credit-risk.md): ``SPOTCHECK_CREDIT_RISK_RULE``, comma-separated
``TRIGGER=STEPS``, a trigger being a result code (``6``, ``8``, ``C``…) or a follow-up kind
(``CASE_TRANSFER``…); the proposal raises the class by the largest step of the triggers the
record meets, capped at D.  An unclassified subject starts from ``UNCLASSIFIED_AS`` (B).
"""

from __future__ import annotations

import enum

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection import FollowUpKind, PublishedRecord, ResultCode
from spotcheck.domain.subject import RiskClass

RULE_SETTING = "SPOTCHECK_CREDIT_RISK_RULE"
DEFAULT_RULE = "6=1,8=1,CASE_TRANSFER=1,JUDICIAL_TRANSFER=2"
"""通过登记的住所无法联系 (6) or 不配合检查情节严重 (8) or a case transfer: one class up; a
transfer to the judicial authorities: two."""
UNCLASSIFIED_AS = RiskClass.B
"""An unclassified subject is raised from 一般风险 (B)."""
ORDER = (RiskClass.A, RiskClass.B, RiskClass.C, RiskClass.D)
MAX_STEPS = 3
MAX_NOTE = 1000

_CODES = {c.value: c for c in ResultCode}
_KINDS = {k.value: k for k in FollowUpKind if k is not FollowUpKind.NONE}


class RiskRule(msgspec.Struct, frozen=True, kw_only=True):
    """The rule: trigger (a result code's value or a follow-up kind's name) → steps up."""

    triggers: dict[str, int]

    def text(self) -> str:
        """The rule as the setting spells it (sorted by trigger): recorded with each proposal."""
        return ",".join(f"{t}={n}" for t, n in sorted(self.triggers.items()))


def parse_rule(text: str) -> RiskRule:
    """``6=1,CASE_TRANSFER=1`` → a rule; ValueError naming the setting and the bad part."""
    triggers: dict[str, int] = {}
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        trigger, sep, steps = part.partition("=")
        trigger = trigger.strip().upper()
        if not sep or not steps.strip().isdigit() or not 1 <= int(steps) <= MAX_STEPS:
            raise ValueError(
                f"{RULE_SETTING}: {part!r} is not TRIGGER=STEPS with STEPS from 1 to {MAX_STEPS}"
            )
        if trigger not in _CODES and trigger not in _KINDS:
            raise ValueError(
                f"{RULE_SETTING}: {trigger!r} is neither a result code ({', '.join(_CODES)}) "
                f"nor a follow-up kind ({', '.join(_KINDS)})"
            )
        if trigger in triggers:
            raise ValueError(f"{RULE_SETTING}: trigger {trigger!r} is given twice")
        triggers[trigger] = int(steps)
    return RiskRule(triggers=triggers)


def raised(current: RiskClass | None, steps: int) -> RiskClass:
    """The class ``steps`` above ``current`` (an unclassified subject from B), capped at D."""
    base = ORDER.index(current if current is not None else UNCLASSIFIED_AS)
    return ORDER[min(base + steps, len(ORDER) - 1)]


class Basis(msgspec.Struct, frozen=True, kw_only=True):
    """One reason a record meets the rule: an item and the trigger it meets."""

    item: str
    trigger: str
    steps: int


def basis(rule: RiskRule, record: PublishedRecord) -> list[Basis]:
    """Every (item, trigger) of the record the rule names, in item order."""
    out: list[Basis] = []
    for i in record.items:
        for trigger in (i.code.value, i.follow_up.value):
            steps = rule.triggers.get(trigger)
            if steps is not None:
                out.append(Basis(item=i.item, trigger=trigger, steps=steps))
    return out


class ProposalStatus(enum.Enum):
    """信用风险分类调整提请状态 Status of a proposed change of a subject's credit risk class."""

    PROPOSED = "PROPOSED"
    """待确认 Raised by a published result; awaiting the maintaining department."""
    CONFIRMED = "CONFIRMED"
    """已确认 Confirmed: the subject's class was changed."""
    REJECTED = "REJECTED"
    """不予调整 Rejected, with a reason."""


class RiskClassProposal(msgspec.Struct, frozen=True, kw_only=True):
    """A proposal and its decision (the state of stream ``creditrisk-{inspection_id}``)."""

    inspection_id: str
    subject: str
    subject_name: str
    uscc: str | None
    departments: list[str]
    maintaining_department: str
    from_class: RiskClass | None
    to_class: RiskClass
    basis: list[Basis]
    rule: str
    proposed_on: str
    status: ProposalStatus = ProposalStatus.PROPOSED
    decided_by: str | None = None
    reason: str | None = None


# Commands
class ConfirmRiskClassChange(Command, frozen=True, kw_only=True):
    inspection_id: str
    note: str | None = None


class RejectRiskClassChange(Command, frozen=True, kw_only=True):
    inspection_id: str
    reason: str | None = None


RiskClassCommand = ConfirmRiskClassChange | RejectRiskClassChange


# Events
class RiskClassChangeProposed(Event, frozen=True, kw_only=True):
    """提请调整信用风险分类 Raised with the publication; names the rule applied and its basis."""

    inspection_id: str
    subject: str
    subject_name: str
    uscc: str | None
    departments: list[str]
    maintaining_department: str
    from_class: RiskClass | None
    to_class: RiskClass
    basis: list[Basis]
    rule: str
    proposed_on: str
    """The Beijing date of the publication (ISO 8601)."""


class RiskClassChangeConfirmed(Event, frozen=True, kw_only=True):
    """确认调整 The subject's ``SubjectChanged`` (citing this proposal) is in the same
    transaction."""

    inspection_id: str
    subject: str
    from_class: RiskClass | None
    to_class: RiskClass
    decided_by: str
    note: str | None = None


class RiskClassChangeRejected(Event, frozen=True, kw_only=True):
    """不予调整 With the reason."""

    inspection_id: str
    subject: str
    decided_by: str
    reason: str


def propose(
    rule: RiskRule,
    record: PublishedRecord,
    current: RiskClass | None,
    maintaining_department: str,
) -> RiskClassChangeProposed | None:
    """The proposal a published record raises, or None (no trigger, or the class would not
    change: already D)."""
    found = basis(rule, record)
    if not found:
        return None
    target = raised(current, max(b.steps for b in found))
    if target is current:
        return None
    return RiskClassChangeProposed(
        inspection_id=record.inspection_id,
        subject=record.subject,
        subject_name=record.subject_name,
        uscc=record.uscc,
        departments=list(record.departments),
        maintaining_department=maintaining_department,
        from_class=current,
        to_class=target,
        basis=found,
        rule=rule.text(),
        proposed_on=record.published_on.isoformat(),
    )


def subject_reason(state: RiskClassProposal, note: str | None) -> str:
    """The reason on the subject's ``SubjectChanged``: the proposal it carries out."""
    triggers = ", ".join(f"{b.item}: {b.trigger}" for b in state.basis)
    text = f"信用风险分类调整 credit risk class per proposal {state.inspection_id} ({triggers})"
    return f"{text}: {note}" if note else text


def _found(
    state: RiskClassProposal | None, command: RiskClassCommand, actor: Actor, p: Problems
) -> RiskClassProposal:
    """The PROPOSED proposal the caller may decide on; input problems raised after who."""
    if state is None:
        p.raise_if_any()
        raise rules.not_found(
            "credit-risk proposal for inspection", command.inspection_id, "inspectionId"
        )
    if not actor.maintains(state.maintaining_department):
        raise DomainError.one(
            ErrorCode.NOT_MAINTAINING_DEPARTMENT
            if Role.DEPARTMENT_ADMIN in actor.roles
            else ErrorCode.FORBIDDEN,
            None,
            f"subject {state.subject!r} is kept by {state.maintaining_department!r}: only its "
            "administrator (or the system administrator) decides on its credit risk class",
        )
    p.raise_if_any()
    if state.status is not ProposalStatus.PROPOSED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "inspectionId",
            f"the proposal for inspection {command.inspection_id!r} is {state.status.value}; "
            "only a PROPOSED one is confirmed or rejected",
        )
    return state


def _confirm(
    state: RiskClassProposal | None,
    command: ConfirmRiskClassChange,
    actor: Actor,
    current: RiskClass | None,
) -> list[Event]:
    p = Problems()
    rules.text(p, "note", command.note, max_len=MAX_NOTE, required=False, multiline=True)
    proposal = _found(state, command, actor, p)
    if current is not proposal.from_class:
        was = proposal.from_class.value if proposal.from_class else "unclassified"
        now = current.value if current else "unclassified"
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "inspectionId",
            f"the proposal moves {proposal.subject!r} from {was}, but its class is {now} now; "
            "reject it (the next result proposes again)",
        )
    note = command.note.strip() if command.note and command.note.strip() else None
    return [
        RiskClassChangeConfirmed(
            inspection_id=proposal.inspection_id,
            subject=proposal.subject,
            from_class=proposal.from_class,
            to_class=proposal.to_class,
            decided_by=str(actor.user_id),
            note=note,
        )
    ]


def _reject(
    state: RiskClassProposal | None, command: RejectRiskClassChange, actor: Actor
) -> list[Event]:
    p = Problems()
    rules.reason(p, command.reason, "rejecting a proposal")
    proposal = _found(state, command, actor, p)
    return [
        RiskClassChangeRejected(
            inspection_id=proposal.inspection_id,
            subject=proposal.subject,
            decided_by=str(actor.user_id),
            reason=str(command.reason).strip(),
        )
    ]


def decide(
    state: RiskClassProposal | None,
    command: RiskClassCommand,
    actor: Actor,
    current: RiskClass | None,
) -> list[Event]:
    """``current``: the subject's class in the registry now."""
    match command:
        case ConfirmRiskClassChange():
            return _confirm(state, command, actor, current)
        case RejectRiskClassChange():
            return _reject(state, command, actor)
    raise TypeError(f"not a credit-risk command: {command!r}")


def evolve(state: RiskClassProposal | None, event: Event) -> RiskClassProposal:
    match event:
        case RiskClassChangeProposed():
            assert state is None, "a second proposal on one stream"
            return RiskClassProposal(
                inspection_id=event.inspection_id,
                subject=event.subject,
                subject_name=event.subject_name,
                uscc=event.uscc,
                departments=list(event.departments),
                maintaining_department=event.maintaining_department,
                from_class=event.from_class,
                to_class=event.to_class,
                basis=list(event.basis),
                rule=event.rule,
                proposed_on=event.proposed_on,
            )
        case RiskClassChangeConfirmed():
            assert state is not None, "a decision before the proposal"
            return msgspec.structs.replace(
                state,
                status=ProposalStatus.CONFIRMED,
                decided_by=event.decided_by,
                reason=event.note,
            )
        case RiskClassChangeRejected():
            assert state is not None, "a decision before the proposal"
            return msgspec.structs.replace(
                state,
                status=ProposalStatus.REJECTED,
                decided_by=event.decided_by,
                reason=event.reason,
            )
    raise TypeError(f"not a credit-risk event: {event!r}")


SPEC: AggregateSpec[RiskClassProposal] = AggregateSpec(
    name="credit_risk",
    stream_prefix="creditrisk-",
    events=(RiskClassChangeProposed, RiskClassChangeConfirmed, RiskClassChangeRejected),
    evolve=evolve,
    state_type=RiskClassProposal,
)
