"""The OBJECTION_ANSWER duty (异议按期答复): each objection to a published result of the
subject, filed in the period, answered by the lead department within its answer period.

Folded from the objection's stream in the ledger alone, with the holiday schedules found in the
ledger (``Reviewer.calendar``), by the rule of ``domain.deadlines.assess`` that publication
deadlines use: answered by the deadline FULFILLED; answered later, or not answered when the
deadline has passed, BREACHED; not yet due, or no holiday schedule for a year the deadline
needs, NOT_APPLICABLE.
"""

from __future__ import annotations

from datetime import date

from spotcheck.domain import objection as ob
from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.deadlines import PublicationStatus, assess
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.review.model import DutyKind, Finding, Proof, Verdict
from spotcheck.review.source import decoded, fold


def proof(e: RecordedEvent, note: str) -> Proof:
    assert e.position is not None
    return Proof(
        position=e.position,
        stream_id=e.stream_id,
        event_type=e.event_type,
        recorded_at=e.recorded_at,
        actor=e.metadata.get("actor"),
        note=note,
    )


def objection_duty(
    events: list[RecordedEvent],
    calendar: WorkingCalendar,
    today: date,
) -> Finding | None:
    state = fold(ob.SPEC, events)
    if state is None:
        return None
    a = assess(
        calendar,
        today,
        completed_on=state.filed_on,
        days=state.working_days,
        all_published=state.answered_on is not None,
        published_on=state.answered_on,
    )
    proofs: list[Proof] = []
    for e, ev in decoded(ob.SPEC, events):
        if isinstance(ev, ob.ObjectionFiled):
            proofs.append(proof(e, f"{ev.filed_on} 受理异议"))
        elif isinstance(ev, ob.ObjectionAnswered):
            proofs.append(proof(e, f"{ev.answered_on} 答复（{ev.outcome.value}）：{ev.reason}"))
    deadline = (
        f"答复期限 {a.deadline}（{state.filed_on} 后第 {state.working_days} 个工作日）"
        if a.deadline
        else ""
    )
    verdict, why = {
        PublicationStatus.ON_TIME: (Verdict.FULFILLED, f"{state.answered_on} 答复，{deadline}"),
        PublicationStatus.LATE: (Verdict.BREACHED, f"{state.answered_on} 逾期答复，{deadline}"),
        PublicationStatus.OVERDUE: (Verdict.BREACHED, f"逾期未答复，{deadline}"),
        PublicationStatus.DUE: (Verdict.NOT_APPLICABLE, f"尚未到期，{deadline}"),
        PublicationStatus.NOT_COMPLETE: (Verdict.NOT_APPLICABLE, "尚未受理"),
        PublicationStatus.UNDETERMINED: (
            Verdict.NOT_APPLICABLE,
            f"缺少 {a.problem_year} 年节假日安排，无法计算答复期限",
        ),
    }[a.status]
    return Finding(
        DutyKind.OBJECTION_ANSWER,
        verdict,
        f"{state.inspection_id} 异议 {state.objection_id}",
        [state.department],
        why.rstrip("，"),
        proofs,
    )
