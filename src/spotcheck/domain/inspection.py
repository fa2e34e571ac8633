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
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import assert_never

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspector import (
    Inspector,
    counts_towards_minimum,
    eligible_on,
    has_conflict,
)
from spotcheck.domain.item import ItemMethod

BEIJING = timezone(timedelta(hours=8))
CASE_PREFIX = "CASE/"
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MIN_CASE_OFFICERS = 2
MAX_CASE_OFFICERS = 10
MAX_FINDINGS = 4000
MAX_NOTE = 1000
MAX_BODY = 200
MAX_EVIDENCE = 50
MAX_CORRECTION_DAYS = 366
"""A correction deadline (责令整改期限) falls at most this many days after the inspection."""
MAX_CASE_DAYS = 366
"""A case inspection (个案检查) ends at most this many days after the day it is opened."""


def beijing_date(instant: datetime) -> date:
    """The Beijing date (UTC+8) of an instant: 23:30 UTC on 8 October is 9 October."""
    return instant.astimezone(BEIJING).date()


class InspectionOrigin(enum.Enum):
    """检查来源 Where an inspection comes from."""

    RANDOM = "RANDOM"
    """双随机 A routine random inspection (drawn by a routine task)."""
    SPECIAL = "SPECIAL"
    """专项检查 Drawn by a special task (still double-random)."""
    CASE = "CASE"
    """个案检查 A case from a complaint, referral or monitoring record, assigned directly."""


class CaseSource(enum.Enum):
    """个案来源 The record a case inspection starts from."""

    COMPLAINT = "COMPLAINT"
    """投诉举报 A complaint or report."""
    REFERRAL = "REFERRAL"
    """转办交办 Referred or assigned by another authority."""
    MONITORING = "MONITORING"
    """数据监测 Data monitoring."""


class LifecycleStatus(enum.Enum):
    """检查进度 Where an inspection is in its lifecycle."""

    ASSIGNED = "ASSIGNED"
    """已派出 Assigned a team; not yet scheduled."""
    SCHEDULED = "SCHEDULED"
    """已排期 Scheduled for a date."""
    RESULTS_SUBMITTED = "RESULTS_SUBMITTED"
    """结果已录入 Results entered, awaiting review."""
    RETURNED = "RETURNED"
    """已退回 Returned to the inspectors with a reason."""
    APPROVED = "APPROVED"
    """已审核 Results approved by the lead department."""
    PUBLISHED = "PUBLISHED"
    """已公示 Results published (一公开)."""


class ResultCode(enum.Enum):
    """检查结果 The standard result categories."""

    R1 = "1"
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    R6 = "6"
    R7 = "7"
    R8 = "8"
    R9 = "9"
    R10 = "10"
    R11 = "11"
    R12 = "12"


RESULT_CODE_DESCRIPTIONS: dict[ResultCode, str] = {
    ResultCode.R1: "未发现问题 no problem found",
    ResultCode.A: "发现问题待后续处理 problem found, pending follow-up",
    ResultCode.B: "未按规定公示应当公示的信息 required information not published",
    ResultCode.C: "公示信息隐瞒真实情况、弄虚作假 published information false",
    ResultCode.D: "违反其他市场监管规定 other violation of market regulation",
    ResultCode.E: "发现问题经责令已改正 problem found and already corrected on order",
    ResultCode.F: "未发现开展本次抽查涉及的经营活动 no activity relevant to this check",
    ResultCode.G: "违反其他部门规定 violation of another department's rules",
    ResultCode.R6: "通过登记的住所（经营场所）无法联系 unreachable at the registered address",
    ResultCode.R7: "已关闭停业或正在组织清算 closed or liquidating",
    ResultCode.R8: "不配合检查情节严重 seriously refused to cooperate",
    ResultCode.R9: "已注销 deregistered",
    ResultCode.R10: "已吊销 licence revoked",
    ResultCode.R11: "已撤销 registration cancelled",
    ResultCode.R12: "已迁出 moved out of the jurisdiction",
}

PROBLEM_CODES: frozenset[ResultCode] = frozenset(
    {
        ResultCode.A,
        ResultCode.B,
        ResultCode.C,
        ResultCode.D,
        ResultCode.E,
        ResultCode.G,
        ResultCode.R6,
        ResultCode.R8,
    }
)
"""Codes that count as "a problem found" (发现问题): A B C D E G 6 8.  1 and F found none; 7, 9,
10, 11, 12 describe the subject's registration, not a violation."""


class CheckMark(enum.Enum):
    """检查要点的完成情况 How a check point was handled."""

    DONE = "DONE"
    """已检查 Checked."""
    NOT_APPLICABLE = "NOT_APPLICABLE"
    """不适用 Not applicable (with a note saying why)."""


class CheckPointResult(msgspec.Struct, frozen=True, kw_only=True):
    """One check point (检查要点) of the item's checklist, marked."""

    point: str
    """The check point's code in the item version's checklist."""
    mark: CheckMark
    note: str | None = None
    """Required for NOT_APPLICABLE."""


class FollowUpKind(enum.Enum):
    """后续处置 Follow-up."""

    NONE = "NONE"
    """无需后续处置 None needed."""
    ORDER_TO_CORRECT = "ORDER_TO_CORRECT"
    """责令改正 Order to correct, with a deadline and a re-check."""
    CASE_TRANSFER = "CASE_TRANSFER"
    """移送办案机构 Case lead transferred for investigation (立案/行政处罚)."""
    JUDICIAL_TRANSFER = "JUDICIAL_TRANSFER"
    """移送司法机关 Transferred to judicial authorities (a crime is suspected)."""
    NOTIFY_DEPARTMENT = "NOTIFY_DEPARTMENT"
    """抄告相关部门 Another department notified."""
    OTHER = "OTHER"
    """其他 Other."""


TRANSFER_KINDS = frozenset({FollowUpKind.CASE_TRANSFER, FollowUpKind.JUDICIAL_TRANSFER})


class TransferStatus(enum.Enum):
    """移送办理情况 Status of a transferred case lead."""

    TRANSFERRED = "TRANSFERRED"
    """已移送 Transferred."""
    ACCEPTED = "ACCEPTED"
    """已接收 Accepted by the receiving body."""
    CASE_FILED = "CASE_FILED"
    """已立案 A case was filed."""
    DECLINED = "DECLINED"
    """不予受理/不予立案 Declined (final)."""
    CLOSED = "CLOSED"
    """已办结 Closed (final)."""


_TRANSFER_NEXT: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.TRANSFERRED: frozenset(
        {
            TransferStatus.ACCEPTED,
            TransferStatus.CASE_FILED,
            TransferStatus.DECLINED,
            TransferStatus.CLOSED,
        }
    ),
    TransferStatus.ACCEPTED: frozenset(
        {TransferStatus.CASE_FILED, TransferStatus.DECLINED, TransferStatus.CLOSED}
    ),
    TransferStatus.CASE_FILED: frozenset({TransferStatus.CLOSED}),
    TransferStatus.DECLINED: frozenset(),
    TransferStatus.CLOSED: frozenset(),
}


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    """后续处置 The follow-up of one item's result, and its tracking."""

    kind: FollowUpKind
    correct_by: date | None = None
    """ORDER_TO_CORRECT: required, the deadline (整改期限)."""
    receiving_body: str | None = None
    """CASE_TRANSFER / JUDICIAL_TRANSFER: required, who receives it."""
    notify_department: str | None = None
    """NOTIFY_DEPARTMENT: required, a department code."""
    description: str | None = None
    """OTHER: required."""
    rechecked_on: date | None = None
    corrected: bool | None = None
    recheck_note: str | None = None
    transfer_status: TransferStatus | None = None
    """TRANSFERRED when the results recording the transfer are submitted."""
    transfer_note: str | None = None


class EvidenceRef(msgspec.Struct, frozen=True, kw_only=True):
    """证据 An uploaded evidence file, by its SHA-256."""

    sha256: str
    description: str
    delegated_body: str | None = None
    """委托检测/审计 The testing or audit body whose report this is."""


class ItemResult(msgspec.Struct, frozen=True, kw_only=True):
    """The result of one inspection item."""

    item: str
    check_points: list[CheckPointResult]
    code: ResultCode
    findings: str
    follow_up: FollowUp
    evidence: list[EvidenceRef] = msgspec.field(default_factory=list)


class Amendment(msgspec.Struct, frozen=True, kw_only=True):
    """更正 A correction after approval: never an overwrite."""

    number: int
    item: str
    before: ItemResult
    after: ItemResult
    reason: str
    by: str
    at: datetime


class CaseDetails(msgspec.Struct, frozen=True, kw_only=True):
    """个案 What a case inspection starts from and who assigned it."""

    source: CaseSource
    reference: str
    """The complaint/referral/monitoring record number."""
    reason: str
    assigned_by: str
    """The user id of the department administrator who assigned it."""
    officers: list[str]
    """Staff ids, the lead (主检) first."""
    start_date: date
    end_date: date


class PublishedItem(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    item_name: str
    code: ResultCode
    follow_up: FollowUpKind
    correct_by: date | None = None
    receiving_body: str | None = None


class PublishedAmendment(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    item: str
    before_code: ResultCode
    after_code: ResultCode
    reason: str
    amended_on: date


class PublishedRecord(msgspec.Struct, frozen=True, kw_only=True):
    """公示 What the public sees of an inspection: no findings text, no evidence, no names of
    people."""

    inspection_id: str
    origin: InspectionOrigin
    task_id: str | None
    task_title: str | None
    subject: str
    subject_name: str
    uscc: str | None
    departments: list[str]
    inspected_on: date
    approved_on: date
    published_on: date
    items: list[PublishedItem]
    amendments: list[PublishedAmendment] = msgspec.field(default_factory=list)


class Inspection(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an inspection (检查)."""

    inspection_id: str
    origin: InspectionOrigin
    status: LifecycleStatus
    task_id: str | None
    subject: str
    items: list[str]
    departments: list[str]
    """Participating departments, the lead (牵头部门) first."""
    scheduled_on: date | None = None
    inspected_on: date | None = None
    results: list[ItemResult] = msgspec.field(default_factory=list)
    submitted_by: str | None = None
    """Staff id of the team member who entered the results."""
    return_reasons: list[str] = msgspec.field(default_factory=list)
    approved_at: datetime | None = None
    approved_on: date | None = None
    approved_by: str | None = None
    published_at: datetime | None = None
    published_on: date | None = None
    amendments: list[Amendment] = msgspec.field(default_factory=list)
    case: CaseDetails | None = None
    draw_no: int | None = None
    start_date: date | None = None
    """The task's (or the case's) start date: nothing is inspected before it."""
    end_date: date | None = None
    record: PublishedRecord | None = None
    """The public record as last published (with its amendments)."""

    @property
    def lead_department(self) -> str:
        return self.departments[0]

    def result_of(self, item: str) -> ItemResult | None:
        return next((r for r in self.results if r.item == item), None)


# Reference data the decision needs
class DrawnInspection(msgspec.Struct, frozen=True, kw_only=True):
    """An inspection as the draw made it (the ``inspections`` read table)."""

    task_id: str
    draw_no: int
    subject: str
    items: list[str]
    departments: list[str]
    start_date: date
    end_date: date
    special: bool = False
    """The task is of kind SPECIAL (专项)."""


class ItemRef(msgspec.Struct, frozen=True, kw_only=True):
    """What results are checked against: an item's version in force."""

    code: str
    name: str
    department: str
    checklist: list[str]
    """Check point codes, in order."""
    methods: list[ItemMethod]


class PublicationRefs(msgspec.Struct, frozen=True, kw_only=True):
    """What a published record names besides the inspection."""

    subject_name: str
    uscc: str | None
    task_title: str | None


class InspectionRefs(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a decision reads from elsewhere, loaded by the service."""

    now: datetime
    """The command's instant (UTC); ``today`` is its Beijing date."""
    team: Mapping[str, str] = msgspec.field(default_factory=dict)
    """user id → staff id of each team member with a platform account."""
    drawn: DrawnInspection | None = None
    items: Mapping[str, ItemRef] = msgspec.field(default_factory=dict)
    departments: frozenset[str] = frozenset()
    known_evidence: frozenset[str] = frozenset()
    """Evidence files uploaded and not collected."""
    collected_evidence: frozenset[str] = frozenset()
    """Evidence files collected (left unattached too long): refused, EVIDENCE_COLLECTED."""
    unreadable_evidence: frozenset[str] = frozenset()
    """Known evidence files the caller may not read, and so may not attach (FORBIDDEN)."""
    publication: PublicationRefs | None = None
    officers: Mapping[str, Inspector] = msgspec.field(default_factory=dict)
    """openCaseInspection: the named officers' registry entries (missing: unknown)."""
    subject_exists: bool = False

    @property
    def today(self) -> date:
        return beijing_date(self.now)


# Commands
class OpenCaseInspection(Command, frozen=True, kw_only=True):
    department: str
    reference: str
    source: CaseSource
    subject: str
    items: list[str]
    officers: list[str]
    """Staff ids, the lead first."""
    reason: str | None = None
    end_date: date


class ScheduleInspection(Command, frozen=True, kw_only=True):
    inspection_id: str
    scheduled_on: date


class SubmitInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str
    inspected_on: date
    results: list[ItemResult]


class ReturnInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str
    reason: str | None = None


class ApproveInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str


class PublishInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str


class AmendInspectionResult(Command, frozen=True, kw_only=True):
    inspection_id: str
    result: ItemResult
    reason: str | None = None


class RecordCorrectionRecheck(Command, frozen=True, kw_only=True):
    inspection_id: str
    item: str
    rechecked_on: date
    corrected: bool
    note: str | None = None


class UpdateCaseTransfer(Command, frozen=True, kw_only=True):
    inspection_id: str
    item: str
    status: TransferStatus
    note: str | None = None


InspectionCommand = (
    OpenCaseInspection
    | ScheduleInspection
    | SubmitInspectionResults
    | ReturnInspectionResults
    | ApproveInspectionResults
    | PublishInspectionResults
    | AmendInspectionResult
    | RecordCorrectionRecheck
    | UpdateCaseTransfer
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


class CorrectionRechecked(Event, frozen=True, kw_only=True):
    item: str
    rechecked_on: date
    corrected: bool
    note: str | None = None


class CaseTransferUpdated(Event, frozen=True, kw_only=True):
    item: str
    status: TransferStatus
    note: str | None = None


# Keys
def case_inspection_id(department: str, reference: str) -> str:
    return f"{CASE_PREFIX}{department}/{reference}"


def command_key(command: InspectionCommand) -> str:
    if isinstance(command, OpenCaseInspection):
        return case_inspection_id(command.department.strip(), command.reference.strip())
    return command.inspection_id


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


# Rules: results
def _check_follow_up(
    p: Problems, field: str, f: FollowUp, inspected_on: date, refs: InspectionRefs
) -> FollowUp:
    needs = {
        FollowUpKind.ORDER_TO_CORRECT: "correct_by",
        FollowUpKind.CASE_TRANSFER: "receiving_body",
        FollowUpKind.JUDICIAL_TRANSFER: "receiving_body",
        FollowUpKind.NOTIFY_DEPARTMENT: "notify_department",
        FollowUpKind.OTHER: "description",
    }
    api = {
        "correct_by": "correctBy",
        "receiving_body": "receivingBody",
        "notify_department": "notifyDepartment",
        "description": "description",
    }
    wanted = needs.get(f.kind)
    for attr, name in api.items():
        value = getattr(f, attr)
        if isinstance(value, str) and not value.strip():
            value = None
        if attr == wanted and value is None:
            p.add(ErrorCode.REQUIRED, f"{field}.{name}", f"{f.kind.value} needs {name}")
        elif attr != wanted and value is not None:
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"{field}.{name}",
                f"{name} is given only for "
                + ", ".join(k.value for k, a in needs.items() if a == attr),
            )
    if f.correct_by is not None and f.correct_by < inspected_on:
        p.add(
            ErrorCode.INVALID_DATE_RANGE,
            f"{field}.correctBy",
            f"the deadline {f.correct_by.isoformat()} is before the inspection "
            f"({inspected_on.isoformat()})",
        )
    elif f.correct_by is not None and (f.correct_by - inspected_on).days > MAX_CORRECTION_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{field}.correctBy",
            f"the deadline {f.correct_by.isoformat()} is more than {MAX_CORRECTION_DAYS} days "
            f"after the inspection ({inspected_on.isoformat()})",
        )
    for attr in ("receiving_body", "description"):
        value = getattr(f, attr)
        if value is not None and value.strip():
            rules.text(
                p,
                f"{field}.{api[attr]}",
                value,
                max_len=MAX_BODY if attr != "description" else MAX_NOTE,
                multiline=attr == "description",
            )
    dept = f.notify_department.strip() if f.notify_department else None
    if dept and dept not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, f"{field}.notifyDepartment", f"no department {dept!r}")
    return FollowUp(
        kind=f.kind,
        correct_by=f.correct_by if wanted == "correct_by" else None,
        receiving_body=f.receiving_body.strip()
        if wanted == "receiving_body" and f.receiving_body
        else None,
        notify_department=dept if wanted == "notify_department" else None,
        description=f.description.strip() if wanted == "description" and f.description else None,
        transfer_status=TransferStatus.TRANSFERRED if f.kind in TRANSFER_KINDS else None,
    )


def _check_evidence(
    p: Problems, field: str, evidence: list[EvidenceRef], item: ItemRef | None, refs: InspectionRefs
) -> list[EvidenceRef]:
    out: list[EvidenceRef] = []
    if len(evidence) > MAX_EVIDENCE:
        p.add(ErrorCode.OUT_OF_RANGE, field, f"at most {MAX_EVIDENCE} evidence files per item")
    seen: set[str] = set()
    for n, e in enumerate(evidence):
        ef = f"{field}.{n}"
        digest = e.sha256.strip().lower()
        if not SHA256.match(digest):
            p.add(ErrorCode.INVALID_FORMAT, f"{ef}.sha256", "a SHA-256 is 64 hexadecimal digits")
        elif digest in seen:
            p.add(ErrorCode.ALREADY_EXISTS, f"{ef}.sha256", f"evidence {digest} is given twice")
        elif digest in refs.collected_evidence:
            p.add(
                ErrorCode.EVIDENCE_COLLECTED,
                f"{ef}.sha256",
                f"evidence {digest} was collected: no result referenced it within the "
                "unattached time (SPOTCHECK_EVIDENCE_UNATTACHED_TTL) and its file is deleted; "
                "upload it again with POST /evidence",
            )
        elif digest not in refs.known_evidence:
            p.add(
                ErrorCode.NOT_FOUND,
                f"{ef}.sha256",
                f"no uploaded evidence {digest} (upload it with POST /evidence first)",
            )
        elif digest in refs.unreadable_evidence:
            p.add(
                ErrorCode.FORBIDDEN,
                f"{ef}.sha256",
                f"evidence {digest} was uploaded by another department and is not referenced "
                "by an inspection of yours: a result references only evidence its author may "
                "read (upload your own copy)",
            )
        seen.add(digest)
        rules.text(p, f"{ef}.description", e.description, max_len=MAX_NOTE, multiline=True)
        body = e.delegated_body.strip() if e.delegated_body and e.delegated_body.strip() else None
        if body is not None:
            rules.text(p, f"{ef}.delegatedBody", body, max_len=MAX_BODY)
            if item is not None and ItemMethod.DELEGATED not in item.methods:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{ef}.delegatedBody",
                    f"item {item.code!r} is not inspected by delegated testing or audit "
                    "(委托检测/审计); delegatedBody is not given",
                )
        out.append(
            EvidenceRef(sha256=digest, description=e.description.strip(), delegated_body=body)
        )
    if (
        item is not None
        and ItemMethod.DELEGATED in item.methods
        and out
        and all(e.delegated_body is None for e in out)
    ):
        p.add(
            ErrorCode.REQUIRED,
            f"{field}.0.delegatedBody",
            f"item {item.code!r} is inspected by delegated testing or audit (委托检测/审计): "
            "name the body whose report is given",
        )
    return out


def check_result(
    p: Problems, field: str, r: ItemResult, inspected_on: date, refs: InspectionRefs
) -> ItemResult:
    """One item's result, checked against its item version in force; returned normalised."""
    item = refs.items.get(r.item)
    if item is None:
        p.add(ErrorCode.UNKNOWN_ITEM, f"{field}.item", f"item {r.item!r} has no version in force")
    points: list[CheckPointResult] = []
    marked: set[str] = set()
    for n, cp in enumerate(r.check_points):
        cf = f"{field}.checkPoints.{n}"
        if item is not None and cp.point not in item.checklist:
            p.add(
                ErrorCode.NOT_FOUND,
                f"{cf}.point",
                f"{cp.point!r} is not a check point of item {r.item!r}",
            )
        elif cp.point in marked:
            p.add(
                ErrorCode.ALREADY_EXISTS, f"{cf}.point", f"check point {cp.point!r} is marked twice"
            )
        marked.add(cp.point)
        note = cp.note.strip() if cp.note and cp.note.strip() else None
        if cp.mark is CheckMark.NOT_APPLICABLE and note is None:
            p.add(ErrorCode.REQUIRED, f"{cf}.note", "a check point not applicable needs a note why")
        rules.text(p, f"{cf}.note", note, max_len=MAX_NOTE, required=False, multiline=True)
        points.append(CheckPointResult(point=cp.point, mark=cp.mark, note=note))
    if item is not None:
        missing = [c for c in item.checklist if c not in marked]
        if missing:
            p.add(
                ErrorCode.REQUIRED,
                f"{field}.checkPoints",
                f"mark every check point of item {r.item!r}; missing: {', '.join(missing)}",
            )
    findings = r.findings.strip()
    rules.text(
        p,
        f"{field}.findings",
        findings,
        max_len=MAX_FINDINGS,
        required=r.code in PROBLEM_CODES,
        multiline=True,
    )
    if r.code is ResultCode.R1 and r.follow_up.kind is not FollowUpKind.NONE:
        p.add(
            ErrorCode.INVALID_FORMAT,
            f"{field}.followUp.kind",
            "code 1 (未发现问题 no problem found) takes no follow-up",
        )
    follow_up = _check_follow_up(p, f"{field}.followUp", r.follow_up, inspected_on, refs)
    evidence = _check_evidence(p, f"{field}.evidence", r.evidence, item, refs)
    return ItemResult(
        item=r.item,
        check_points=points,
        code=r.code,
        findings=findings,
        follow_up=follow_up,
        evidence=evidence,
    )


def check_results(
    p: Problems,
    items: list[str],
    results: list[ItemResult],
    inspected_on: date,
    refs: InspectionRefs,
) -> list[ItemResult]:
    """Exactly one result per item of the inspection, each checked; in the inspection's item
    order."""
    out: dict[str, ItemResult] = {}
    for n, r in enumerate(results):
        field = f"results.{n}"
        if r.item not in items:
            p.add(
                ErrorCode.UNKNOWN_ITEM,
                f"{field}.item",
                f"item {r.item!r} is not an item of this inspection",
            )
            continue
        if r.item in out:
            p.add(ErrorCode.ALREADY_EXISTS, f"{field}.item", f"item {r.item!r} has two results")
            continue
        out[r.item] = check_result(p, field, r, inspected_on, refs)
    missing = [i for i in items if i not in out and i not in {r.item for r in results}]
    if missing:
        p.add(
            ErrorCode.REQUIRED,
            "results",
            f"give one result per item of the inspection; missing: {', '.join(missing)}",
        )
    return [out[i] for i in items if i in out]


def _check_inspected_on(p: Problems, state: Inspection, day: date, refs: InspectionRefs) -> None:
    if state.start_date is not None and day < state.start_date:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "inspectedOn",
            f"{day.isoformat()} is before the start date {state.start_date.isoformat()}",
        )
    if day > refs.today:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "inspectedOn",
            f"{day.isoformat()} is in the future (today is {refs.today.isoformat()}, Beijing)",
        )


# Publication
def published_item(r: ItemResult, name: str) -> PublishedItem:
    return PublishedItem(
        item=r.item,
        item_name=name,
        code=r.code,
        follow_up=r.follow_up.kind,
        correct_by=r.follow_up.correct_by,
        receiving_body=r.follow_up.receiving_body,
    )


def published_amendment(a: Amendment) -> PublishedAmendment:
    return PublishedAmendment(
        number=a.number,
        item=a.item,
        before_code=a.before.code,
        after_code=a.after.code,
        reason=a.reason,
        amended_on=beijing_date(a.at),
    )


def build_record(
    state: Inspection, published_on: date, item_names: Mapping[str, str], pub: PublicationRefs
) -> PublishedRecord:
    assert state.inspected_on is not None and state.approved_on is not None
    return PublishedRecord(
        inspection_id=state.inspection_id,
        origin=state.origin,
        task_id=state.task_id,
        task_title=pub.task_title,
        subject=state.subject,
        subject_name=pub.subject_name,
        uscc=pub.uscc,
        departments=list(state.departments),
        inspected_on=state.inspected_on,
        approved_on=state.approved_on,
        published_on=published_on,
        items=[published_item(r, item_names.get(r.item, r.item)) for r in state.results],
        amendments=[published_amendment(a) for a in state.amendments],
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


def _case_reference(p: Problems, raw: str) -> str:
    reference = raw.strip()
    if not REFERENCE.match(reference):
        p.add(
            ErrorCode.INVALID_FORMAT,
            "reference",
            "the record number has 1-64 ASCII letters, digits and . _ -, starting with a letter "
            "or digit",
        )
    return reference


def _case_items(p: Problems, codes: list[str], department: str, refs: InspectionRefs) -> list[str]:
    """A case's items: each in force and the department's own, in order without repeats."""
    items: list[str] = []
    if not codes:
        p.add(ErrorCode.REQUIRED, "items", "a case inspection checks at least one item")
    for n, raw in enumerate(codes):
        code = raw.strip()
        item = refs.items.get(code)
        if item is None:
            p.add(ErrorCode.UNKNOWN_ITEM, f"items.{n}", f"item {code!r} has no version in force")
        elif item.department != department:
            p.add(
                ErrorCode.FORBIDDEN,
                f"items.{n}",
                f"item {code!r} belongs to {item.department}; a case inspection checks its own "
                "department's items",
            )
        elif code not in items:
            items.append(code)
    return items


def _case_end_date(p: Problems, end_date: date, today: date) -> None:
    if end_date < today:
        p.add(
            ErrorCode.INVALID_DATE_RANGE,
            "endDate",
            f"the end date {end_date.isoformat()} is before today ({today.isoformat()})",
        )
    elif (end_date - today).days > MAX_CASE_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "endDate",
            f"the end date {end_date.isoformat()} is more than {MAX_CASE_DAYS} days after "
            f"today ({today.isoformat()})",
        )


def _case_officers(
    p: Problems,
    named: list[str],
    department: str,
    subject: str,
    today: date,
    refs: InspectionRefs,
) -> list[str]:
    """The named officers: each on duty in the department, without a conflict; 2 to 10."""
    officers: list[str] = []
    for n, raw in enumerate(named):
        staff = raw.strip()
        field = f"officers.{n}"
        ins = refs.officers.get(staff)
        if staff in officers:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"{staff!r} is named twice")
            continue
        if ins is None:
            p.add(ErrorCode.NOT_FOUND, field, f"no inspector {staff!r}")
        elif ins.department != department:
            p.add(
                ErrorCode.DEPARTMENT_NOT_PARTICIPATING,
                field,
                f"{staff!r} is an inspector of {ins.department}, not of {department}",
            )
        elif not counts_towards_minimum(ins):
            p.add(
                ErrorCode.INSPECTOR_NOT_ELIGIBLE,
                field,
                f"{staff!r} is an expert (专家): experts assist and are not named as officers",
            )
        elif not eligible_on(ins, today):
            p.add(
                ErrorCode.INSPECTOR_NOT_ELIGIBLE,
                field,
                f"{staff!r} is not on duty (在岗) with an enforcement certificate valid today",
            )
        elif has_conflict(ins, subject):
            p.add(
                ErrorCode.CONFLICT_OF_INTEREST,
                field,
                f"{staff!r} declared a conflict of interest (回避) with {subject!r}",
            )
        officers.append(staff)
    if not MIN_CASE_OFFICERS <= len(officers) <= MAX_CASE_OFFICERS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "officers",
            f"name {MIN_CASE_OFFICERS} to {MAX_CASE_OFFICERS} officers (the first is the lead, "
            f"主检), not {len(officers)}",
        )
    return officers


def _open_case(
    state: Inspection | None, c: OpenCaseInspection, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    department = c.department.strip()
    if not (Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department):
        raise rules.forbid(
            "a case inspection (个案) is assigned by the administrator of its department "
            f"({department}), a named person",
            "department",
        )
    p = Problems()
    reference = _case_reference(p, c.reference)
    rules.reason(p, c.reason, "assigning a case inspection")
    subject = c.subject.strip()
    if not refs.subject_exists:
        p.add(ErrorCode.NOT_FOUND, "subject", f"no inspection subject {subject!r}")
    items = _case_items(p, c.items, department, refs)
    today = refs.today
    _case_end_date(p, c.end_date, today)
    officers = _case_officers(p, c.officers, department, subject, today, refs)
    p.raise_if_any()
    key = case_inspection_id(department, reference)
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS,
            "reference",
            f"a case inspection of {department} for record {reference!r} exists",
        )
    return [
        CaseInspectionOpened(
            inspection_id=key,
            department=department,
            reference=reference,
            source=c.source,
            subject=subject,
            items=items,
            departments=[department],
            officers=officers,
            reason=str(c.reason).strip(),
            assigned_by=str(actor.user_id),
            start_date=today,
            end_date=c.end_date,
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
