"""Who may do what, and one function per command behind an exhaustive ``match``."""

from __future__ import annotations

from typing import assert_never

from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection.case import _open_case
from spotcheck.domain.inspection.commands import (
    AmendInspectionResult,
    ApproveInspectionResults,
    InspectionCommand,
    OpenCaseInspection,
    PublishInspectionResults,
    RecordCorrectionRecheck,
    ReturnInspectionResults,
    ScheduleInspection,
    SubmitInspectionResults,
    UpdateCaseTransfer,
)
from spotcheck.domain.inspection.events import (
    CaseTransferUpdated,
    CorrectionRechecked,
    InspectionOpened,
    InspectionResultAmended,
    InspectionResultsApproved,
    InspectionResultsPublished,
    InspectionResultsReturned,
    InspectionResultsSubmitted,
    InspectionScheduled,
    evolve,
)
from spotcheck.domain.inspection.model import (
    _TRANSFER_NEXT,
    CASE_PREFIX,
    MAX_NOTE,
    TRANSFER_KINDS,
    Amendment,
    FollowUpKind,
    Inspection,
    InspectionOrigin,
    InspectionRefs,
    ItemResult,
    LifecycleStatus,
    TransferStatus,
)
from spotcheck.domain.inspection.publication import (
    build_record,
    published_amendment,
    published_item,
)
from spotcheck.domain.inspection.results import _check_inspected_on, check_result, check_results


# Rules: who
def _not_team(message: str) -> DomainError:
    return DomainError.one(ErrorCode.NOT_ASSIGNED_INSPECTOR, "inspectionId", message)


def _team_member(actor: Actor, refs: InspectionRefs) -> str:
    staff = refs.team.get(actor.user_id) if actor.user_id is not None else None
    if staff is None:
        raise _not_team(
            "only an inspector assigned to this inspection enters its results (谁检查、谁录入)"
        )
    return staff


def leads(actor: Actor, state: Inspection) -> bool:
    """The lead department's administrator or the system administrator."""
    return actor.is_admin or (
        Role.DEPARTMENT_ADMIN in actor.roles and actor.department == state.lead_department
    )


def _lead_admin(actor: Actor, state: Inspection) -> str:
    if not leads(actor, state):
        raise DomainError.one(
            ErrorCode.NOT_LEAD_DEPARTMENT,
            "inspectionId",
            "only the lead department's (牵头部门 "
            f"{state.lead_department}) administrator reviews and publishes these results",
        )
    return str(actor.user_id)


def _invalid(state: Inspection, what: str) -> DomainError:
    return DomainError.one(
        ErrorCode.INVALID_TRANSITION,
        "inspectionId",
        f"inspection {state.inspection_id!r} is {state.status.value}; {what}",
    )


# Decisions
def _open_drawn(state: Inspection | None, refs: InspectionRefs, key: str) -> list[Event]:
    """The opening event when a drawn inspection's stream is empty."""
    if state is not None:
        return []
    drawn = refs.drawn
    if drawn is None:
        raise rules.not_found("inspection", key, "inspectionId")
    return [
        InspectionOpened(
            inspection_id=key,
            origin=InspectionOrigin.SPECIAL if drawn.special else InspectionOrigin.RANDOM,
            task_id=drawn.task_id,
            draw_no=drawn.draw_no,
            subject=drawn.subject,
            items=list(drawn.items),
            departments=list(drawn.departments),
            start_date=drawn.start_date,
            end_date=drawn.end_date,
        )
    ]


def _amend(
    state: Inspection, c: AmendInspectionResult, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    by = _lead_admin(actor, state)
    if state.status not in (LifecycleStatus.APPROVED, LifecycleStatus.PUBLISHED):
        raise _invalid(state, "only approved results are amended (before that, return them)")
    p = Problems()
    rules.reason(p, c.reason, "amending an approved result")
    if c.objection_id is not None and c.objection_id.strip() not in refs.open_objections:
        p.add(
            ErrorCode.NOT_FOUND,
            "objectionId",
            f"no objection {c.objection_id.strip()!r} to this result awaiting an answer",
        )
    before = state.result_of(c.result.item)
    if before is None:
        p.add(
            ErrorCode.UNKNOWN_ITEM,
            "result.item",
            f"item {c.result.item!r} is not an item of this inspection",
        )
        p.raise_if_any()
    assert before is not None and state.inspected_on is not None
    after = check_result(p, "result", c.result, state.inspected_on, refs)
    p.raise_if_any()
    if after.follow_up.kind is before.follow_up.kind:
        # The tracking so far carries over when the follow-up kind is the same.
        f = before.follow_up
        after = replace(
            after,
            follow_up=replace(
                after.follow_up,
                rechecked_on=f.rechecked_on,
                corrected=f.corrected,
                recheck_note=f.recheck_note,
                transfer_status=f.transfer_status,
                transfer_note=f.transfer_note,
            ),
        )
    objection_id = c.objection_id.strip() if c.objection_id is not None else None
    if after == before:
        return []
    amendment = Amendment(
        number=len(state.amendments) + 1,
        item=before.item,
        before=before,
        after=after,
        reason=str(c.reason).strip(),
        by=by,
        at=refs.now,
        objection_id=objection_id,
    )
    record = None
    if state.record is not None:
        old = state.record
        names = {i.item: i.item_name for i in old.items}
        record = replace(
            old,
            items=[
                published_item(after, names[i.item]) if i.item == after.item else i
                for i in old.items
            ],
            amendments=[*old.amendments, published_amendment(amendment)],
        )
    return [
        InspectionResultAmended(
            number=amendment.number,
            item=amendment.item,
            before=before,
            after=after,
            reason=amendment.reason,
            by=by,
            at=refs.now,
            record=record,
            objection_id=objection_id,
        )
    ]


def _follow_up_target(state: Inspection, item: str, kinds: frozenset[FollowUpKind]) -> ItemResult:
    if state.status not in (LifecycleStatus.APPROVED, LifecycleStatus.PUBLISHED):
        raise _invalid(state, "follow-up is tracked once the results are approved")
    result = state.result_of(item)
    if result is None:
        raise DomainError.one(
            ErrorCode.UNKNOWN_ITEM, "item", f"item {item!r} is not an item of this inspection"
        )
    if result.follow_up.kind not in kinds:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "item",
            f"the follow-up of item {item!r} is {result.follow_up.kind.value}, not "
            + " or ".join(sorted(k.value for k in kinds)),
        )
    return result


def _opened(
    state: Inspection | None, refs: InspectionRefs, key: str
) -> tuple[list[Event], Inspection]:
    """The events that open the stream first (none once it is open) and the state they make."""
    if key.startswith(CASE_PREFIX):
        if state is None:
            raise rules.not_found("inspection", key, "inspectionId")
        return [], state
    opened = _open_drawn(state, refs, key)
    return opened, state if state is not None else evolve(None, opened[0])


def _schedule(
    state: Inspection, command: ScheduleInspection, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    _team_member(actor, refs)
    if state.status not in (LifecycleStatus.ASSIGNED, LifecycleStatus.SCHEDULED):
        raise _invalid(state, "only an inspection not yet done is scheduled")
    p = Problems()
    day = command.scheduled_on
    if day < refs.today:
        p.add(ErrorCode.OUT_OF_RANGE, "scheduledOn", f"{day.isoformat()} is in the past")
    if state.start_date is not None and state.end_date is not None:
        if not state.start_date <= day <= state.end_date:
            p.add(
                ErrorCode.OUT_OF_RANGE,
                "scheduledOn",
                f"{day.isoformat()} is outside {state.start_date.isoformat()} – "
                f"{state.end_date.isoformat()}",
            )
    p.raise_if_any()
    if state.scheduled_on == day and state.status is LifecycleStatus.SCHEDULED:
        return []
    return [InspectionScheduled(scheduled_on=day)]


def _submit(
    state: Inspection, command: SubmitInspectionResults, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    staff = _team_member(actor, refs)
    if state.status not in (
        LifecycleStatus.ASSIGNED,
        LifecycleStatus.SCHEDULED,
        LifecycleStatus.RETURNED,
    ):
        raise _invalid(state, "results are entered once, and again only after they were returned")
    p = Problems()
    _check_inspected_on(p, state, command.inspected_on, refs)
    results = check_results(p, state.items, command.results, command.inspected_on, refs)
    p.raise_if_any()
    return [
        InspectionResultsSubmitted(
            inspected_on=command.inspected_on, results=results, submitted_by=staff
        )
    ]


def _recheck(
    state: Inspection, command: RecordCorrectionRecheck, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    if not leads(actor, state) and actor.user_id not in refs.team:
        raise _not_team(
            "only the inspection's team or the lead department's administrator records a "
            "re-check (复查)"
        )
    result = _follow_up_target(state, command.item, frozenset({FollowUpKind.ORDER_TO_CORRECT}))
    if result.follow_up.corrected:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "item",
            f"item {command.item!r} was already found corrected on {result.follow_up.rechecked_on}",
        )
    assert state.inspected_on is not None
    p = Problems()
    if command.rechecked_on < state.inspected_on or command.rechecked_on > refs.today:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "recheckedOn",
            f"{command.rechecked_on.isoformat()} is not between the inspection "
            f"({state.inspected_on.isoformat()}) and today ({refs.today.isoformat()})",
        )
    note = command.note.strip() if command.note and command.note.strip() else None
    if not command.corrected and note is None:
        p.add(ErrorCode.REQUIRED, "note", "a re-check that found no correction needs a note")
    rules.text(p, "note", note, max_len=MAX_NOTE, required=False, multiline=True)
    p.raise_if_any()
    return [
        CorrectionRechecked(
            item=command.item,
            rechecked_on=command.rechecked_on,
            corrected=command.corrected,
            note=note,
        )
    ]


def _return(
    state: Inspection, command: ReturnInspectionResults, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    _lead_admin(actor, state)
    if state.status is not LifecycleStatus.RESULTS_SUBMITTED:
        raise _invalid(state, "only submitted results are returned")
    p = Problems()
    rules.reason(p, command.reason, "returning results")
    p.raise_if_any()
    return [InspectionResultsReturned(reason=str(command.reason).strip())]


def _approve(
    state: Inspection, command: ApproveInspectionResults, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    _lead_admin(actor, state)
    if state.status is not LifecycleStatus.RESULTS_SUBMITTED:
        raise _invalid(state, "only submitted results are approved")
    return [
        InspectionResultsApproved(
            approved_on=refs.today,
            approved_at=refs.now,
            approved_by=str(actor.user_id),
            task_id=state.task_id,
            subject=state.subject,
            departments=list(state.departments),
        )
    ]


def _publish(
    state: Inspection, command: PublishInspectionResults, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    _lead_admin(actor, state)
    if state.status is not LifecycleStatus.APPROVED:
        raise _invalid(state, "only approved results are published")
    pub = refs.publication
    if pub is None:
        raise rules.not_found("inspection subject", state.subject, "inspectionId")
    names = {code: ref.name for code, ref in refs.items.items()}
    record = build_record(state, refs.today, names, pub)
    return [
        InspectionResultsPublished(published_on=refs.today, published_at=refs.now, record=record)
    ]


def _update_transfer(
    state: Inspection, command: UpdateCaseTransfer, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    _lead_admin(actor, state)
    result = _follow_up_target(state, command.item, TRANSFER_KINDS)
    current = result.follow_up.transfer_status or TransferStatus.TRANSFERRED
    note = command.note.strip() if command.note and command.note.strip() else None
    p = Problems()
    rules.text(p, "note", note, max_len=MAX_NOTE, required=False, multiline=True)
    p.raise_if_any()
    if command.status is current and note == result.follow_up.transfer_note:
        return []
    if command.status is not current and command.status not in _TRANSFER_NEXT[current]:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "status",
            f"the transfer is {current.value}; it may move on to "
            + (", ".join(sorted(s.value for s in _TRANSFER_NEXT[current])) or "nothing (final)"),
        )
    return [CaseTransferUpdated(item=command.item, status=command.status, note=note)]


_OnInspection = (
    ScheduleInspection
    | SubmitInspectionResults
    | ReturnInspectionResults
    | ApproveInspectionResults
    | PublishInspectionResults
    | AmendInspectionResult
    | RecordCorrectionRecheck
    | UpdateCaseTransfer
)
"""The commands on an inspection that exists (every command but opening a case)."""


def _decide_on(
    state: Inspection, command: _OnInspection, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    match command:
        case ScheduleInspection():
            return _schedule(state, command, actor, refs)
        case SubmitInspectionResults():
            return _submit(state, command, actor, refs)
        case RecordCorrectionRecheck():
            return _recheck(state, command, actor, refs)
        case ReturnInspectionResults():
            return _return(state, command, actor, refs)
        case ApproveInspectionResults():
            return _approve(state, command, actor, refs)
        case PublishInspectionResults():
            return _publish(state, command, actor, refs)
        case AmendInspectionResult():
            return _amend(state, command, actor, refs)
        case UpdateCaseTransfer():
            return _update_transfer(state, command, actor, refs)
        case _:
            assert_never(command)


def decide(
    state: Inspection | None, command: InspectionCommand, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    """One function per command; a drawn inspection's first command also opens its stream."""
    if isinstance(command, OpenCaseInspection):
        return _open_case(state, command, actor, refs)
    opened, current = _opened(state, refs, command.inspection_id)
    return [*opened, *_decide_on(current, command, actor, refs)]
