"""检查 An inspection's lifecycle and results (谁检查、谁录入、谁公开).

Stream ``inspection-{inspection_id}``.  Three origins (:class:`InspectionOrigin`):

* 双随机 RANDOM and 专项 SPECIAL (a task of kind SPECIAL, still double-random): the inspection
  was made by an executed draw; its key is ``{task}/{draw no}/{subject key}`` and its row in
  the ``inspections`` read table already exists.  The first command on the stream records
  :class:`InspectionOpened` (task, draw, subject, items, departments, dates as the draw made
  them) before its own event, so a reader of the ledger alone knows what the inspection is.
* 个案 CASE: opened by ``openCaseInspection`` from a complaint, referral or monitoring record
  (投诉举报、转办交办、数据监测) by the department's administrator, a named person with a reason,
  with the officers named directly; key ``CASE/{department}/{reference}``.

Lifecycle (:class:`LifecycleStatus`)::

    ASSIGNED → SCHEDULED (optional, with a date; may be rescheduled)
             → RESULTS_SUBMITTED → RETURNED (with a reason) → RESULTS_SUBMITTED …
                                 → APPROVED → PUBLISHED

Results (检查结果) are one :class:`ItemResult` per item of the inspection: each check point of the
item's checklist (检查要点, of the item version in force at submission) marked exactly once, DONE
or NOT_APPLICABLE with a note; a standard result code (:class:`ResultCode`); findings (required
when the code is a problem, :data:`PROBLEM_CODES`); the follow-up (后续处置) with the fields its
kind needs; evidence by SHA-256 (uploaded through ``POST /evidence``).  Evidence rule for 委托检测
/审计: when the item's methods include DELEGATED and evidence is given, at least one evidence
entry names the delegated testing or audit body (``delegated_body``: its report); an item whose
methods do not include DELEGATED takes no ``delegated_body``.

After approval results are never overwritten: ``amendInspectionResult`` records an
:class:`Amendment` (before, after, reason, who, when); when the inspection is already published
the amended :class:`PublishedRecord` is in the same event, public at once.

Follow-up tracking after approval: ``recordCorrectionRecheck`` (责令改正的复查) for an item whose
follow-up is ORDER_TO_CORRECT (a second recheck only while not yet corrected);
``updateCaseTransfer`` (移送的办理情况) for CASE_TRANSFER / JUDICIAL_TRANSFER, moving forward
TRANSFERRED → ACCEPTED → CASE_FILED → CLOSED, or to DECLINED; CLOSED and DECLINED are final.

Who (roles, :func:`decide`):
* schedule, submit: a member of the team (an officer or expert whose registry entry's
  ``user_id`` is the caller), else NOT_ASSIGNED_INSPECTOR;
* return, approve, publish, amend, update a transfer: the lead department's (``departments[0]``)
  DEPARTMENT_ADMIN or SYSTEM_ADMIN, else NOT_LEAD_DEPARTMENT;
* recheck: the team or the lead department's admin (or SYSTEM_ADMIN), else NOT_ASSIGNED_INSPECTOR;
* open a case: the DEPARTMENT_ADMIN of that department only (a named person of the department
  assigns a case), else FORBIDDEN.

Dates are Beijing dates (UTC+8): the service passes ``today`` and the instant of the command
(``now``, UTC, the transaction's time, which is the events' ``recorded_at``).

The package's parts: ``model`` (values, state, reference data), ``commands`` (and their
stream keys), ``events`` (with ``evolve`` and ``SPEC``), ``results`` (checking results),
``publication`` (the public record), ``case`` (opening a case inspection) and ``decisions`` (one
function per command).  Every public name is re-exported here, so
``from spotcheck.domain import inspection as i`` and ``i.decide`` keep working.
"""

from __future__ import annotations

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
    case_inspection_id,
    command_key,
)
from spotcheck.domain.inspection.decisions import decide, leads
from spotcheck.domain.inspection.events import (
    SPEC,
    CaseInspectionOpened,
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
    BEIJING,
    CASE_PREFIX,
    MAX_BODY,
    MAX_CASE_DAYS,
    MAX_CASE_OFFICERS,
    MAX_CORRECTION_DAYS,
    MAX_EVIDENCE,
    MAX_FINDINGS,
    MAX_NOTE,
    MIN_CASE_OFFICERS,
    PROBLEM_CODES,
    REFERENCE,
    RESULT_CODE_DESCRIPTIONS,
    SHA256,
    TRANSFER_KINDS,
    Amendment,
    CaseDetails,
    CaseSource,
    CheckMark,
    CheckPointResult,
    DrawnInspection,
    EvidenceRef,
    FollowUp,
    FollowUpKind,
    Inspection,
    InspectionOrigin,
    InspectionRefs,
    ItemRef,
    ItemResult,
    LifecycleStatus,
    PublicationRefs,
    PublishedAmendment,
    PublishedItem,
    PublishedRecord,
    ResultCode,
    TransferStatus,
    beijing_date,
)
from spotcheck.domain.inspection.publication import (
    build_record,
    published_amendment,
    published_item,
)
from spotcheck.domain.inspection.results import check_result, check_results

__all__ = [
    "BEIJING",
    "CASE_PREFIX",
    "MAX_BODY",
    "MAX_CASE_DAYS",
    "MAX_CASE_OFFICERS",
    "MAX_CORRECTION_DAYS",
    "MAX_EVIDENCE",
    "MAX_FINDINGS",
    "MAX_NOTE",
    "MIN_CASE_OFFICERS",
    "PROBLEM_CODES",
    "REFERENCE",
    "RESULT_CODE_DESCRIPTIONS",
    "SHA256",
    "SPEC",
    "TRANSFER_KINDS",
    "AmendInspectionResult",
    "Amendment",
    "ApproveInspectionResults",
    "CaseDetails",
    "CaseInspectionOpened",
    "CaseSource",
    "CaseTransferUpdated",
    "CheckMark",
    "CheckPointResult",
    "CorrectionRechecked",
    "DrawnInspection",
    "EvidenceRef",
    "FollowUp",
    "FollowUpKind",
    "Inspection",
    "InspectionCommand",
    "InspectionOpened",
    "InspectionOrigin",
    "InspectionRefs",
    "InspectionResultAmended",
    "InspectionResultsApproved",
    "InspectionResultsPublished",
    "InspectionResultsReturned",
    "InspectionResultsSubmitted",
    "InspectionScheduled",
    "ItemRef",
    "ItemResult",
    "LifecycleStatus",
    "OpenCaseInspection",
    "PublicationRefs",
    "PublishInspectionResults",
    "PublishedAmendment",
    "PublishedItem",
    "PublishedRecord",
    "RecordCorrectionRecheck",
    "ResultCode",
    "ReturnInspectionResults",
    "ScheduleInspection",
    "SubmitInspectionResults",
    "TransferStatus",
    "UpdateCaseTransfer",
    "beijing_date",
    "build_record",
    "case_inspection_id",
    "check_result",
    "check_results",
    "command_key",
    "decide",
    "evolve",
    "leads",
    "published_amendment",
    "published_item",
]
