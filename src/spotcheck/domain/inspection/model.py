"""An inspection's values, its state and the reference data a decision reads."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

import msgspec

from spotcheck.domain.inspector import (
    Inspector,
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
    objection_id: str | None = None
    """The objection (异议) the correction answers, if any."""


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
    open_objections: frozenset[str] = frozenset()
    """amendInspectionResult: the objections to this result still awaiting an answer."""

    @property
    def today(self) -> date:
        return beijing_date(self.now)
