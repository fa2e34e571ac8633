"""An inspection's events, how they fold into its state, and the aggregate's ``SPEC``."""

from __future__ import annotations

from datetime import date, datetime

from msgspec.structs import replace

from spotcheck.domain.aggregate import AggregateSpec, Event
from spotcheck.domain.inspection.model import (
    Amendment,
    CaseDetails,
    CaseSource,
    Inspection,
    InspectionOrigin,
    ItemResult,
    LifecycleStatus,
    PublishedRecord,
    TransferStatus,
)


# Events
class InspectionOpened(Event, frozen=True, kw_only=True):
    """A drawn inspection's stream starts: what the draw made (RANDOM or SPECIAL)."""

    inspection_id: str
    origin: InspectionOrigin
    task_id: str
    draw_no: int
    subject: str
    items: list[str]
    departments: list[str]
    start_date: date
    end_date: date


class CaseInspectionOpened(Event, frozen=True, kw_only=True):
    inspection_id: str
    department: str
    reference: str
    source: CaseSource
    subject: str
    items: list[str]
    departments: list[str]
    officers: list[str]
    reason: str
    assigned_by: str
    start_date: date
    end_date: date


class InspectionScheduled(Event, frozen=True, kw_only=True):
    scheduled_on: date


class InspectionResultsSubmitted(Event, frozen=True, kw_only=True):
    inspected_on: date
    results: list[ItemResult]
    submitted_by: str


class InspectionResultsReturned(Event, frozen=True, kw_only=True):
    reason: str


class InspectionResultsApproved(Event, frozen=True, kw_only=True):
    approved_on: date
    approved_at: datetime
    approved_by: str
    task_id: str | None
    subject: str
    departments: list[str]


class InspectionResultsPublished(Event, frozen=True, kw_only=True):
    published_on: date
    published_at: datetime
    record: PublishedRecord


class InspectionResultAmended(Event, frozen=True, kw_only=True):
    number: int
    item: str
    before: ItemResult
    after: ItemResult
    reason: str
    by: str
    at: datetime
    record: PublishedRecord | None = None
    """The amended public record, when the inspection was already published."""
    objection_id: str | None = None
    """The objection (异议) this correction answers, if any."""


class CorrectionRechecked(Event, frozen=True, kw_only=True):
    item: str
    rechecked_on: date
    corrected: bool
    note: str | None = None


class CaseTransferUpdated(Event, frozen=True, kw_only=True):
    item: str
    status: TransferStatus
    note: str | None = None


def _with_follow_up(state: Inspection, item: str, **changes: object) -> Inspection:
    return replace(
        state,
        results=[
            replace(r, follow_up=replace(r.follow_up, **changes)) if r.item == item else r
            for r in state.results
        ],
    )


def evolve(state: Inspection | None, event: Event) -> Inspection:
    if isinstance(event, InspectionOpened):
        return Inspection(
            inspection_id=event.inspection_id,
            origin=event.origin,
            status=LifecycleStatus.ASSIGNED,
            task_id=event.task_id,
            subject=event.subject,
            items=list(event.items),
            departments=list(event.departments),
            draw_no=event.draw_no,
            start_date=event.start_date,
            end_date=event.end_date,
        )
    if isinstance(event, CaseInspectionOpened):
        return Inspection(
            inspection_id=event.inspection_id,
            origin=InspectionOrigin.CASE,
            status=LifecycleStatus.ASSIGNED,
            task_id=None,
            subject=event.subject,
            items=list(event.items),
            departments=list(event.departments),
            start_date=event.start_date,
            end_date=event.end_date,
            case=CaseDetails(
                source=event.source,
                reference=event.reference,
                reason=event.reason,
                assigned_by=event.assigned_by,
                officers=list(event.officers),
                start_date=event.start_date,
                end_date=event.end_date,
            ),
        )
    assert state is not None, f"{type(event).__name__} before the inspection was opened"
    if isinstance(event, InspectionScheduled):
        return replace(state, status=LifecycleStatus.SCHEDULED, scheduled_on=event.scheduled_on)
    if isinstance(event, InspectionResultsSubmitted):
        return replace(
            state,
            status=LifecycleStatus.RESULTS_SUBMITTED,
            inspected_on=event.inspected_on,
            results=list(event.results),
            submitted_by=event.submitted_by,
        )
    if isinstance(event, InspectionResultsReturned):
        return replace(
            state,
            status=LifecycleStatus.RETURNED,
            return_reasons=[*state.return_reasons, event.reason],
        )
    if isinstance(event, InspectionResultsApproved):
        return replace(
            state,
            status=LifecycleStatus.APPROVED,
            approved_at=event.approved_at,
            approved_on=event.approved_on,
            approved_by=event.approved_by,
        )
    if isinstance(event, InspectionResultsPublished):
        return replace(
            state,
            status=LifecycleStatus.PUBLISHED,
            published_at=event.published_at,
            published_on=event.published_on,
            record=event.record,
        )
    if isinstance(event, InspectionResultAmended):
        amendment = Amendment(
            number=event.number,
            item=event.item,
            before=event.before,
            after=event.after,
            reason=event.reason,
            by=event.by,
            at=event.at,
            objection_id=event.objection_id,
        )
        return replace(
            state,
            results=[event.after if r.item == event.item else r for r in state.results],
            amendments=[*state.amendments, amendment],
            record=event.record if event.record is not None else state.record,
        )
    if isinstance(event, CorrectionRechecked):
        return _with_follow_up(
            state,
            event.item,
            rechecked_on=event.rechecked_on,
            corrected=event.corrected,
            recheck_note=event.note,
        )
    if isinstance(event, CaseTransferUpdated):
        return _with_follow_up(
            state, event.item, transfer_status=event.status, transfer_note=event.note
        )
    raise TypeError(f"not an inspection event: {event!r}")


SPEC: AggregateSpec[Inspection] = AggregateSpec(
    name="inspection",
    stream_prefix="inspection-",
    events=(
        InspectionOpened,
        CaseInspectionOpened,
        InspectionScheduled,
        InspectionResultsSubmitted,
        InspectionResultsReturned,
        InspectionResultsApproved,
        InspectionResultsPublished,
        InspectionResultAmended,
        CorrectionRechecked,
        CaseTransferUpdated,
    ),
    evolve=evolve,
    state_type=Inspection,
)
