"""GraphQL types of the inspection lifecycle (检查记录): status, results, amendments, team, case.

Who sees what: inspection records are staff-only (the public reads published results through
the publication queries).  Every staff member sees every inspection's lifecycle (who, what,
when: 全程留痕).  The results and amendments of an inspection not yet published are seen by the
staff of its participating departments and by SYSTEM_ADMIN and AUDITOR; once published, by
all staff (结果互认).

The type is ``InspectionRecord`` (the draw area's public ``Inspection`` is the drawn subject
and its team as the draw made them); its global id is over the same key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import asyncpg
import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.context import Context
from spotcheck.api.draws.types import InspectionMember, TeamRole
from spotcheck.api.plans.types import InspectionTask, load_task
from spotcheck.api.subjects.types import Subject, load_subject
from spotcheck.domain import inspection as i
from spotcheck.domain.actor import Actor
from spotcheck.projections.inspections import RECORDS, SELECT_RECORDS, TEAM

register_enum(
    i.InspectionOrigin,
    "InspectionOrigin",
    "检查来源 Where an inspection comes from; counted apart in every statistic.",
    {
        "RANDOM": "双随机 Drawn by a routine task.",
        "SPECIAL": "专项检查 Drawn by a special task (still double-random).",
        "CASE": "个案检查 From a complaint, referral or monitoring record, assigned directly.",
    },
)
register_enum(
    i.CaseSource,
    "CaseSource",
    "个案来源 The record a case inspection starts from.",
    {
        "COMPLAINT": "投诉举报 A complaint or report.",
        "REFERRAL": "转办交办 Referred or assigned by another authority.",
        "MONITORING": "数据监测 Data monitoring.",
    },
)
register_enum(
    i.LifecycleStatus,
    "InspectionLifecycleStatus",
    "检查进度 Where an inspection is in its lifecycle.",
    {
        "ASSIGNED": "已派出 Assigned a team; not yet scheduled.",
        "SCHEDULED": "已排期 Scheduled for a date.",
        "RESULTS_SUBMITTED": "结果已录入 Results entered, awaiting review.",
        "RETURNED": "已退回 Returned to the inspectors with a reason.",
        "APPROVED": "已审核 Approved by the lead department.",
        "PUBLISHED": "已公示 Published (一公开).",
    },
)
register_enum(
    i.ResultCode,
    "ResultCode",
    "检查结果 The standard result categories (code: meaning). R1 is code 1, R6…R12 codes 6…12.",
    {c.name: f"{c.value}: {d}" for c, d in i.RESULT_CODE_DESCRIPTIONS.items()},
)
register_enum(
    i.CheckMark,
    "CheckMark",
    "检查要点的完成情况 How a check point was handled.",
    {"DONE": "已检查 Checked.", "NOT_APPLICABLE": "不适用 Not applicable (with a note why)."},
)
register_enum(
    i.FollowUpKind,
    "FollowUpKind",
    "后续处置 Follow-up of an item's result.",
    {
        "NONE": "无需后续处置 None needed.",
        "ORDER_TO_CORRECT": "责令改正 Order to correct, with a deadline (correctBy) and a "
        "re-check.",
        "CASE_TRANSFER": "移送办案机构 Case lead transferred for investigation (receivingBody).",
        "JUDICIAL_TRANSFER": "移送司法机关 Transferred to judicial authorities (receivingBody).",
        "NOTIFY_DEPARTMENT": "抄告相关部门 Another department notified (notifyDepartment).",
        "OTHER": "其他 Other (description).",
    },
)
register_enum(
    i.TransferStatus,
    "TransferStatus",
    "移送办理情况 Status of a transferred case lead.",
    {
        "TRANSFERRED": "已移送 Transferred.",
        "ACCEPTED": "已接收 Accepted by the receiving body.",
        "CASE_FILED": "已立案 A case was filed.",
        "DECLINED": "不予受理/不予立案 Declined (final).",
        "CLOSED": "已办结 Closed (final).",
    },
)


@strawberry.type(description="检查要点 One check point of the item's checklist, marked.")
class CheckPointMark:
    point: str = strawberry.field(description="The check point's code in the item's checklist.")
    mark: i.CheckMark
    note: str | None = strawberry.field(description="Why not applicable (or a remark).")


@strawberry.type(description="后续处置 The follow-up of one item's result and its tracking.")
class InspectionFollowUp:
    kind: i.FollowUpKind
    correct_by: dt.date | None = strawberry.field(description="整改期限 Correction deadline.")
    receiving_body: str | None = strawberry.field(description="接收机关 Who receives a transfer.")
    notify_department: str | None = strawberry.field(description="抄告部门 Department notified.")
    description: str | None = strawberry.field(description="其他处置 What, for OTHER.")
    rechecked_on: dt.date | None = strawberry.field(description="复查日期 Re-check date.")
    corrected: bool | None = strawberry.field(description="复查结论 Found corrected at re-check.")
    recheck_note: str | None = strawberry.field(description="复查说明 Re-check note.")
    transfer_status: i.TransferStatus | None = strawberry.field(
        description="移送办理情况 Status of a transfer."
    )
    transfer_note: str | None = strawberry.field(description="办理说明 Note on the transfer.")

    @classmethod
    def of(cls, f: i.FollowUp) -> InspectionFollowUp:
        return cls(
            kind=f.kind,
            correct_by=f.correct_by,
            receiving_body=f.receiving_body,
            notify_department=f.notify_department,
            description=f.description,
            rechecked_on=f.rechecked_on,
            corrected=f.corrected,
            recheck_note=f.recheck_note,
            transfer_status=f.transfer_status,
            transfer_note=f.transfer_note,
        )


@strawberry.type(description="证据 An uploaded evidence file, by its SHA-256.")
class InspectionEvidence:
    sha256: str
    description: str
    delegated_body: str | None = strawberry.field(
        description="委托检测/审计 The testing or audit body whose report this is."
    )


@strawberry.type(description="检查结果 The result of one inspection item.")
class InspectionItemResult:
    item: str = strawberry.field(description="抽查事项 The item's code.")
    check_points: list[CheckPointMark]
    code: i.ResultCode
    code_description: str = strawberry.field(description="The result code's meaning.")
    findings: str = strawberry.field(description="检查情况 Findings.")
    follow_up: InspectionFollowUp
    evidence: list[InspectionEvidence]

    @classmethod
    def of(cls, r: i.ItemResult) -> InspectionItemResult:
        return cls(
            item=r.item,
            check_points=[
                CheckPointMark(point=c.point, mark=c.mark, note=c.note) for c in r.check_points
            ],
            code=r.code,
            code_description=i.RESULT_CODE_DESCRIPTIONS[r.code],
            findings=r.findings,
            follow_up=InspectionFollowUp.of(r.follow_up),
            evidence=[
                InspectionEvidence(
                    sha256=e.sha256, description=e.description, delegated_body=e.delegated_body
                )
                for e in r.evidence
            ],
        )


@strawberry.type(
    description="更正 A correction of an approved result: before and after, never an overwrite."
)
class InspectionAmendment:
    number: int = strawberry.field(description="1, 2, … per inspection.")
    item: str
    before: InspectionItemResult
    after: InspectionItemResult
    reason: str = strawberry.field(description="更正理由 Why.")
    amended_by: str = strawberry.field(description="The administrator's user id.")
    amended_at: dt.datetime = strawberry.field(description="When (UTC).")
    amended_on: dt.date = strawberry.field(description="The Beijing date of amendedAt.")


@strawberry.type(description="个案 What a case inspection starts from and who assigned it.")
class CaseInspectionDetails:
    source: i.CaseSource
    reference: str = strawberry.field(description="The complaint/referral/monitoring record no.")
    reason: str = strawberry.field(description="指派理由 Why it was assigned.")
    assigned_by: str = strawberry.field(description="The assigning administrator's user id.")


def may_see_results(actor: Actor, status: i.LifecycleStatus, departments: list[str]) -> bool:
    """Results of an unpublished inspection: its departments' staff, SYSTEM_ADMIN, AUDITOR;
    published results: every staff member (结果互认)."""
    if not actor.is_staff:
        return False
    return (
        status is i.LifecycleStatus.PUBLISHED
        or actor.reads_everything
        or (actor.department is not None and actor.department in departments)
    )


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@strawberry.type(
    description="检查记录 One inspection's lifecycle and results (谁检查、谁录入、谁公开): random "
    "(双随机), special (专项) or case (个案). Staff only."
)
class InspectionRecord(relay.Node):
    key: str = strawberry.field(
        description="`{taskId}/{drawNumber}/{subjectKey}`, or `CASE/{department}/{reference}`."
    )
    origin: i.InspectionOrigin
    status: i.LifecycleStatus
    task_id: str | None
    draw_number: int | None
    subject_key: str
    items: list[str] = strawberry.field(description="抽查事项 Item codes checked.")
    departments: list[str] = strawberry.field(
        description="Participating departments, the lead (牵头部门) first."
    )
    start_date: dt.date | None
    end_date: dt.date | None
    scheduled_on: dt.date | None = strawberry.field(description="排期 Scheduled date.")
    inspected_on: dt.date | None = strawberry.field(description="检查日期 Inspection date.")
    submitted_by: str | None = strawberry.field(
        description="录入人 Staff id of the team member who entered the results."
    )
    return_reasons: list[str] = strawberry.field(description="退回理由 Each return's reason.")
    approved_on: dt.date | None = strawberry.field(description="审核日期 Beijing date.")
    approved_at: dt.datetime | None
    approved_by: str | None = strawberry.field(description="审核人 The admin's user id.")
    published_on: dt.date | None = strawberry.field(description="公示日期 Beijing date.")
    published_at: dt.datetime | None
    case: CaseInspectionDetails | None = strawberry.field(
        description="个案 Case details (CASE only)."
    )
    _state: strawberry.Private[i.Inspection | None]
    _team: strawberry.Private[tuple[str | None, list[str], list[str]] | None]

    @classmethod
    def resolve_id(cls, root: InspectionRecord, *, info: strawberry.Info) -> str:
        return root.key

    @classmethod
    def from_state(
        cls, s: i.Inspection, team: tuple[str | None, list[str], list[str]] | None = None
    ) -> InspectionRecord:
        c = s.case
        return cls(
            key=s.inspection_id,
            origin=s.origin,
            status=s.status,
            task_id=s.task_id,
            draw_number=s.draw_no,
            subject_key=s.subject,
            items=list(s.items),
            departments=list(s.departments),
            start_date=s.start_date,
            end_date=s.end_date,
            scheduled_on=s.scheduled_on,
            inspected_on=s.inspected_on,
            submitted_by=s.submitted_by,
            return_reasons=list(s.return_reasons),
            approved_on=s.approved_on,
            approved_at=s.approved_at,
            approved_by=s.approved_by,
            published_on=s.published_on,
            published_at=s.published_at,
            case=CaseInspectionDetails(
                source=c.source, reference=c.reference, reason=c.reason, assigned_by=c.assigned_by
            )
            if c is not None
            else None,
            _state=s,
            _team=team,
        )

    @classmethod
    def from_row(cls, r: asyncpg.Record, s: i.Inspection | None) -> InspectionRecord:
        team = (r["lead"], list(r["officers"]), list(r["experts"]))
        if s is not None:
            return cls.from_state(s, team)
        return cls(
            key=r["id"],
            origin=i.InspectionOrigin(r["origin"]),
            status=i.LifecycleStatus(r["lifecycle"]),
            task_id=r["task_id"],
            draw_number=r["draw_no"],
            subject_key=r["subject_key"],
            items=list(r["items"]),
            departments=list(r["departments"]),
            start_date=_date(r["start_date"]),
            end_date=_date(r["end_date"]),
            scheduled_on=_date(r["scheduled_on"]),
            inspected_on=_date(r["inspected_on"]),
            submitted_by=None,
            return_reasons=[],
            approved_on=_date(r["approved_on"]),
            approved_at=None,
            approved_by=None,
            published_on=_date(r["published_on"]),
            published_at=None,
            case=None,
            _state=None,
            _team=team,
        )

    def _results_visible(self, info: strawberry.Info[Context, None]) -> bool:
        return may_see_results(info.context.actor, self.status, self.departments)

    @strawberry.field(
        description="检查结果 One result per item (its departments' staff, SYSTEM_ADMIN and "
        "AUDITOR before publication; all staff after). Empty before submission."
    )
    def results(self, info: strawberry.Info[Context, None]) -> list[InspectionItemResult]:
        if self._state is None or not self._results_visible(info):
            return []
        return [InspectionItemResult.of(r) for r in self._state.results]

    @strawberry.field(
        description="更正记录 Amendments after approval, in order (same visibility as results)."
    )
    def amendments(self, info: strawberry.Info[Context, None]) -> list[InspectionAmendment]:
        if self._state is None or not self._results_visible(info):
            return []
        return [
            InspectionAmendment(
                number=a.number,
                item=a.item,
                before=InspectionItemResult.of(a.before),
                after=InspectionItemResult.of(a.after),
                reason=a.reason,
                amended_by=a.by,
                amended_at=a.at,
                amended_on=i.beijing_date(a.at),
            )
            for a in self._state.amendments
        ]

    @strawberry.field(description="检查对象 The subject.")
    async def subject(self, info: strawberry.Info[Context, None]) -> Subject | None:
        return await load_subject(info, self.subject_key)

    @strawberry.field(description="抽查任务 The task (null for a case inspection).")
    async def task(self, info: strawberry.Info[Context, None]) -> InspectionTask | None:
        return await load_task(info, self.task_id) if self.task_id is not None else None

    @strawberry.field(description="检查组 The team: the lead (主检) first, then officers, experts.")
    async def team(self, info: strawberry.Info[Context, None]) -> list[InspectionMember]:
        team = self._team
        if team is None:
            r = await info.context.pool.fetchrow(TEAM, self.key)
            team = (r["lead"], list(r["officers"]), list(r["experts"])) if r else (None, [], [])
        lead, officers, experts = team
        out = [
            InspectionMember(staff_id=x, role=TeamRole.LEAD if x == lead else TeamRole.OFFICER)
            for x in officers
        ]
        return out + [InspectionMember(staff_id=x, role=TeamRole.EXPERT) for x in experts]

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_records(info, list(node_ids))


async def load_records(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[InspectionRecord | None]:
    """Inspection records by key: staff only (the public gets nulls)."""
    if not info.context.actor.is_staff or not keys:
        return [None] * len(keys)
    rows = await info.context.pool.fetch(f"{SELECT_RECORDS} WHERE id = ANY($1::text[])", keys)
    states = await info.context.loaders.state(i.SPEC, RECORDS).load_many([r["id"] for r in rows])
    found = {r["id"]: InspectionRecord.from_row(r, st) for r, st in zip(rows, states, strict=True)}
    return [found.get(k) for k in keys]
