"""GraphQL types of publication (一公开): published results, credit records, the feed for the
national systems, abnormal-operation proposals and follow-up tracking.

Published results are public (no login) and every department sees every department's (结果互认):
they carry no findings text, no evidence and no names of people.  Proposals and follow-ups are
for staff; the public gets nothing of them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import asyncpg
import strawberry
from strawberry import relay

import spotcheck.api.inspections.types  # noqa: F401  (registers the inspection enums)
from spotcheck.api.common.enums import register_enum
from spotcheck.api.context import Context
from spotcheck.api.scalars import SafeInt
from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as ins
from spotcheck.domain.aggregate import from_data
from spotcheck.projections.publications import (
    PROPOSAL_SELECT,
    PUBLISHED,
    PUBLISHED_COLUMNS,
    follow_up_select,
)
from spotcheck.services.publications import FeedEntry, FeedEventType

register_enum(
    FeedEventType,
    "PublicationEventType",
    "公示事件 What a publication feed entry records.",
    {
        "PUBLISHED": "公示 Results published.",
        "AMENDED": "更正 A published result amended: the whole record again, the amendment "
        "listed in `amendments`.",
    },
)
register_enum(
    al.ProposalStatus,
    "AbnormalListingStatus",
    "提请列入经营异常名录的状态 Status of a proposal to list a subject as an abnormal operation.",
    {
        "PROPOSED": "待确认 Raised by a published result coded 6; awaiting a decision.",
        "CONFIRMED": "已列入 Confirmed: listed in the 经营异常名录.",
        "REJECTED": "不予列入 Rejected, with a reason.",
        "WITHDRAWN": "已撤回 An amendment removed code 6 before the decision.",
        "REMOVED": "已移出 Listed, then removed after the business proved it is reachable "
        "again (removeAbnormalListing).",
    },
)


class FollowUpState(enum.Enum):
    """跟踪状态 Where a follow-up stands on the Beijing date of the query."""

    DUE = "DUE"
    OVERDUE = "OVERDUE"
    DONE = "DONE"


register_enum(
    FollowUpState,
    "FollowUpState",
    "跟踪状态 Where a follow-up (后续处置) stands on today's Beijing date.",
    {
        "DUE": "待办 Open: a correction not yet found corrected before its deadline, or a "
        "transfer not yet closed or declined.",
        "OVERDUE": "逾期 A correction (责令改正) past its deadline (correctBy before today) and "
        "not found corrected by a re-check.",
        "DONE": "已完成 A correction found corrected on re-check (复查), a transfer CLOSED or "
        "DECLINED, or a follow-up with nothing to track (抄告相关部门, 其他).",
    },
)


@strawberry.type(description="公示的检查事项结果 One item's published result.")
class PublishedItemResult:
    item: str = strawberry.field(description="检查事项 The inspection item's code.")
    item_name: str = strawberry.field(description="事项名称 The item's name.")
    code: ins.ResultCode
    code_description: str = strawberry.field(
        description="检查结果 The result code's meaning, in Chinese and English."
    )
    follow_up: ins.FollowUpKind
    correct_by: dt.date | None = strawberry.field(
        description="整改期限 The deadline of an order to correct."
    )
    receiving_body: str | None = strawberry.field(
        description="接收机关 Who received a transferred case lead (a body, not a person)."
    )

    @classmethod
    def of(cls, i: ins.PublishedItem) -> PublishedItemResult:
        return cls(
            item=i.item,
            item_name=i.item_name,
            code=i.code,
            code_description=ins.RESULT_CODE_DESCRIPTIONS[i.code],
            follow_up=i.follow_up,
            correct_by=i.correct_by,
            receiving_body=i.receiving_body,
        )


@strawberry.type(
    name="PublishedAmendment",
    description="更正 A correction of a published result after approval, shown as a "
    "correction: the code before and after, why, and when (never an overwrite).",
)
class PublishedAmendmentType:
    number: int
    item: str
    before_code: ins.ResultCode
    after_code: ins.ResultCode
    reason: str
    amended_on: dt.date

    @classmethod
    def of(cls, a: ins.PublishedAmendment) -> PublishedAmendmentType:
        return cls(
            number=a.number,
            item=a.item,
            before_code=a.before_code,
            after_code=a.after_code,
            reason=a.reason,
            amended_on=a.amended_on,
        )


@strawberry.type(
    name="PublishedRecord",
    description="公示记录 What is published of an inspection: subject, inspecting departments, "
    "dates, each item's result code and follow-up, and the amendments. No findings text, no "
    "evidence, no names of people.",
)
class PublishedRecordType:
    inspection_id: str
    origin: ins.InspectionOrigin
    task_id: str | None = strawberry.field(description="抽查任务 Null for a case (个案).")
    task_title: str | None
    subject_key: str = strawberry.field(description="检查对象 The subject's key.")
    subject_name: str = strawberry.field(description="名称 The subject's name when published.")
    uscc: str | None = strawberry.field(description="统一社会信用代码 USCC of a business.")
    departments: list[str] = strawberry.field(
        description="检查部门 Inspecting departments, the lead (牵头部门) first."
    )
    inspected_on: dt.date
    approved_on: dt.date
    published_on: dt.date
    items: list[PublishedItemResult]
    amendments: list[PublishedAmendmentType]

    @classmethod
    def of(cls, r: ins.PublishedRecord) -> PublishedRecordType:
        return cls(
            inspection_id=r.inspection_id,
            origin=r.origin,
            task_id=r.task_id,
            task_title=r.task_title,
            subject_key=r.subject,
            subject_name=r.subject_name,
            uscc=r.uscc,
            departments=list(r.departments),
            inspected_on=r.inspected_on,
            approved_on=r.approved_on,
            published_on=r.published_on,
            items=[PublishedItemResult.of(i) for i in r.items],
            amendments=[PublishedAmendmentType.of(a) for a in r.amendments],
        )


@strawberry.type(
    description="公示的检查结果 A published inspection as it stands (with its amendments). "
    "Public; every department sees every department's (结果互认)."
)
class PublishedInspection(relay.Node):
    key: str = strawberry.field(description="The inspection's key.")
    record: PublishedRecordType
    published_at: dt.datetime = strawberry.field(description="When it was published (UTC).")
    amended: bool = strawberry.field(description="True if amended after publication.")

    @classmethod
    def resolve_id(cls, root: PublishedInspection, *, info: strawberry.Info) -> str:
        return root.key

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> PublishedInspection:
        return cls(
            key=r["id"],
            record=PublishedRecordType.of(from_data(r["record"], ins.PublishedRecord)),
            published_at=r["published_at"],
            amended=r["amendment_count"] > 0,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_published(info, list(node_ids))


async def load_published(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[PublishedInspection | None]:
    rows = await info.context.pool.fetch(
        f"SELECT {PUBLISHED_COLUMNS} FROM {PUBLISHED} WHERE id = ANY($1::text[])", keys
    )
    found = {r["id"]: PublishedInspection.from_row(r) for r in rows}
    return [found.get(k) for k in keys]


@strawberry.type(
    description="公示数据推送 One entry of the publication feed: an event at a sealed ledger "
    "position."
)
class PublicationFeedEntry:
    position: SafeInt = strawberry.field(description="账本位置 The event's sealed ledger position.")
    event_type: FeedEventType
    event_id: str = strawberry.field(description="The event's id (UUID).")
    recorded_at: dt.datetime
    record: PublishedRecordType = strawberry.field(
        description="The whole public record as this event left it."
    )

    @classmethod
    def of(cls, e: FeedEntry) -> PublicationFeedEntry:
        return cls(
            position=SafeInt(e.position),
            event_type=e.event_type,
            event_id=e.event_id,
            recorded_at=e.recorded_at,
            record=PublishedRecordType.of(e.record),
        )


@strawberry.type(
    description="公示数据推送 A page of the feed. Resume with `after: nextAfter` (or the "
    "position of the last entry processed): no gap, no repeat."
)
class PublicationFeedPage:
    entries: list[PublicationFeedEntry]
    next_after: SafeInt = strawberry.field(
        description="Pass as `after` for the next page: the last entry's position on a full "
        "page, else the last ledger position scanned."
    )
    head_position: SafeInt = strawberry.field(description="The ledger head when read.")
    has_more: bool = strawberry.field(description="nextAfter is below the head: ask again now.")


@strawberry.type(
    description="经营异常名录 A subject's confirmed listing as an abnormal operation (public)."
)
class AbnormalOperationListing:
    inspection_id: str = strawberry.field(description="The inspection that found code 6.")
    listed_at: dt.datetime = strawberry.field(description="When it was confirmed (UTC).")
    removed_at: dt.datetime | None = strawberry.field(
        default=None,
        description="移出经营异常名录 When it was removed after the business proved it is "
        "reachable again (UTC); null while listed.",
    )


@strawberry.type(
    description="提请列入经营异常名录 A proposal, raised by a published result coded 6 "
    "(通过登记的住所（经营场所）无法联系), for the district market regulation bureau to confirm "
    "or reject. Staff only."
)
class AbnormalListingProposal(relay.Node):
    key: str = strawberry.field(description="The inspection's key.")
    subject_key: str
    subject_name: str
    uscc: str | None
    departments: list[str] = strawberry.field(description="Inspecting departments, lead first.")
    items: list[str] = strawberry.field(description="The items coded 6.")
    proposed_on: dt.date
    status: al.ProposalStatus
    decided_by: str | None = strawberry.field(description="User id of who decided.")
    decided_at: dt.datetime | None
    reason: str | None = strawberry.field(
        description="Why it was rejected, or the note given with a confirmation."
    )
    maintaining_department: str | None = strawberry.field(
        description="维护部门 The subject's maintaining department in the registry now."
    )
    removed_by: str | None = strawberry.field(
        default=None, description="移出 User id of who removed the listing."
    )
    removed_at: dt.datetime | None = strawberry.field(
        default=None, description="移出 When the listing was removed (UTC)."
    )
    removal_proof: str | None = strawberry.field(
        default=None,
        description="移出 The day the business was verified reachable again and how it proved it.",
    )

    @classmethod
    def resolve_id(cls, root: AbnormalListingProposal, *, info: strawberry.Info) -> str:
        return root.key

    @strawberry.field(description="The published inspection that raised it.")
    async def inspection(self, info: strawberry.Info[Context, None]) -> PublishedInspection | None:
        return (await load_published(info, [self.key]))[0]

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> AbnormalListingProposal:
        return cls(
            key=r["id"],
            subject_key=r["subject_key"],
            subject_name=r["subject_name"],
            uscc=r["uscc"],
            departments=list(r["departments"]),
            items=list(r["items"]),
            proposed_on=dt.date.fromisoformat(r["proposed_on"]),
            status=al.ProposalStatus(r["status"]),
            decided_by=r["decided_by"],
            decided_at=r["decided_at"],
            reason=r["reason"],
            maintaining_department=r["maintaining_department"],
            removed_by=r["removed_by"],
            removed_at=r["removed_at"],
            removal_proof=r["removal_proof"],
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_proposals(info, list(node_ids))


async def load_proposals(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[AbnormalListingProposal | None]:
    """Proposals by inspection key: staff only (null for the public)."""
    if not info.context.actor.is_staff:
        return [None] * len(keys)
    rows = await info.context.pool.fetch(f"{PROPOSAL_SELECT} WHERE a.id = ANY($1::text[])", keys)
    found = {r["id"]: AbnormalListingProposal.from_row(r) for r in rows}
    return [found.get(k) for k in keys]


@strawberry.type(
    description="后续处置跟踪 The follow-up of one item of an approved inspection: a "
    "correction with its deadline and re-check, a transfer with its receiving body and status, "
    "a notified department. Staff only."
)
class FollowUpTracking(relay.Node):
    key: str = strawberry.field(description="`{inspectionId}#{item}`.")
    inspection_id: str
    item: str
    subject_key: str
    origin: ins.InspectionOrigin
    task_id: str | None
    departments: list[str] = strawberry.field(description="Inspecting departments, lead first.")
    kind: ins.FollowUpKind
    code: ins.ResultCode
    state: FollowUpState
    approved_on: dt.date
    correct_by: dt.date | None = strawberry.field(description="整改期限 Correction deadline.")
    rechecked_on: dt.date | None = strawberry.field(description="复查日期 Last re-check.")
    corrected: bool | None = strawberry.field(description="复查结果 Found corrected.")
    recheck_note: str | None
    receiving_body: str | None = strawberry.field(description="接收机关 Receiving body.")
    transfer_status: ins.TransferStatus | None
    transfer_note: str | None
    notify_department: str | None = strawberry.field(description="抄告部门 Department code.")
    description: str | None = strawberry.field(description="其他 What the follow-up is.")

    @classmethod
    def resolve_id(cls, root: FollowUpTracking, *, info: strawberry.Info) -> str:
        return root.key

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> FollowUpTracking:
        def day(name: str) -> dt.date | None:
            value = r[name]
            return dt.date.fromisoformat(value) if value is not None else None

        return cls(
            key=r["id"],
            inspection_id=r["inspection_id"],
            item=r["item"],
            subject_key=r["subject_key"],
            origin=ins.InspectionOrigin(r["origin"]),
            task_id=r["task_id"],
            departments=list(r["departments"]),
            kind=ins.FollowUpKind(r["kind"]),
            code=ins.ResultCode(r["code"]),
            state=FollowUpState(r["state"]),
            approved_on=dt.date.fromisoformat(r["approved_on"]),
            correct_by=day("correct_by"),
            rechecked_on=day("rechecked_on"),
            corrected=r["corrected"],
            recheck_note=r["recheck_note"],
            receiving_body=r["receiving_body"],
            transfer_status=ins.TransferStatus(r["transfer_status"])
            if r["transfer_status"] is not None
            else None,
            transfer_note=r["transfer_note"],
            notify_department=r["notify_department"],
            description=r["description"],
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_follow_ups(info, list(node_ids))


async def load_follow_ups(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[FollowUpTracking | None]:
    """Follow-ups by key: staff only (null for the public)."""
    if not info.context.actor.is_staff:
        return [None] * len(keys)
    rows = await info.context.pool.fetch(
        f"{follow_up_select('$2')} WHERE id = ANY($1::text[])",
        keys,
        (await info.context.today()).isoformat(),
    )
    found = {r["id"]: FollowUpTracking.from_row(r) for r in rows}
    return [found.get(k) for k in keys]
