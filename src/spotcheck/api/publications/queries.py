"""Queries of publication (一公开).

Public (no login): ``publishedResults`` (search by name, USCC, department, dates, origin),
``creditRecord`` (记于市场主体名下) and ``publicationFeed`` (for 国家企业信用信息公示系统; read from
the sealed ledger).  Staff only (empty for the public): ``abnormalListingProposals`` and
``followUps``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.context import Context
from spotcheck.api.publications.types import (
    AbnormalListingProposal,
    AbnormalOperationListing,
    FollowUpState,
    FollowUpTracking,
    PublicationFeedEntry,
    PublicationFeedPage,
    PublishedInspection,
)
from spotcheck.api.scalars import SafeInt
from spotcheck.api.subjects.queries import MAX_NAME_FILTER
from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as ins
from spotcheck.domain import uscc as uscc_rules
from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.subject import normalise_key
from spotcheck.projections.publications import (
    PROPOSAL_SELECT,
    PROPOSALS,
    PUBLISHED,
    PUBLISHED_COLUMNS,
    follow_up_select,
)
from spotcheck.services.publications import FEED_MAX, read_feed

DEFAULT_FEED_PAGE = 100
FEED_START = SafeInt(0)
"""Ledger position 0: the feed from the beginning."""


@strawberry.input(
    description="Filter for published results (every given condition must hold). Public."
)
class PublishedResultFilter:
    subject_name: str | None = strawberry.field(
        default=None,
        description="名称 The subject's name contains this text (a scan in key order that "
        "stops after a page; combine with other conditions on large result sets).",
    )
    uscc: str | None = strawberry.field(
        default=None, description="统一社会信用代码 The subject's USCC (any letter case)."
    )
    subject_key: str | None = strawberry.field(
        default=None, description="检查对象 The subject's key (a USCC or KIND:DEPT:local)."
    )
    department: str | None = strawberry.field(
        default=None, description="检查部门 Inspected by this department (lead or joint)."
    )
    from_: dt.date | None = strawberry.field(
        default=None, name="from", description="Published on or after this Beijing date."
    )
    to: dt.date | None = strawberry.field(
        default=None, description="Published on or before this Beijing date."
    )
    origin: ins.InspectionOrigin | None = strawberry.field(
        default=None, description="双随机 / 专项 / 个案: cases are told apart."
    )


def published_query(
    f: PublishedResultFilter, cursor: str | None, limit: int
) -> tuple[str, list[Any]]:
    q = KeysetQuery(cursor)
    if f.uscc is not None:
        code = uscc_rules.normalise(f.uscc)
        problem = uscc_rules.problem(code, "filter.uscc")
        if problem is not None:
            raise query_error(problem.code, problem.field, problem.message)
        q.where(f"uscc = {q.arg(code)}")
    if f.subject_key is not None:
        q.where(f"subject_key = {q.arg(normalise_key(f.subject_key))}")
    if f.department is not None:
        q.where(f"departments @> ARRAY[{q.arg(f.department)}::text]")
    if f.from_ is not None:
        q.where(f"published_on >= {q.arg(f.from_.isoformat())}")
    if f.to is not None:
        q.where(f"published_on <= {q.arg(f.to.isoformat())}")
    if f.origin is not None:
        q.where(f"origin = {q.arg(f.origin.value)}")
    if f.subject_name is not None and f.subject_name.strip():
        if len(f.subject_name) > MAX_NAME_FILTER:
            raise query_error(
                ErrorCode.TOO_LONG,
                "filter.subjectName",
                f"subjectName has at most {MAX_NAME_FILTER} characters",
            )
        q.where(f"strpos(lower(subject_name), lower({q.arg(f.subject_name.strip())})) > 0")
    return q.sql(f"SELECT {PUBLISHED_COLUMNS} FROM {PUBLISHED}", limit)


async def published_page(
    info: strawberry.Info[Context, None],
    f: PublishedResultFilter,
    first: int | None,
    after: str | None,
) -> Connection[PublishedInspection]:
    n = page_size(first)
    sql, args = published_query(f, decode_cursor(after), n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection([(r["id"], PublishedInspection.from_row(r)) for r in rows], n)


@strawberry.type(
    description="信用记录 A subject's credit record (记于市场主体名下): every published "
    "inspection of it with items, result codes, follow-ups, dates, inspecting departments and "
    "amendments, and its confirmed listings in the 经营异常名录. Public."
)
class CreditRecord:
    subject_key: str
    subject_name: str = strawberry.field(description="名称 As last published.")
    uscc: str | None
    inspection_count: int = strawberry.field(description="Published inspections.")
    abnormal_operation: list[AbnormalOperationListing] = strawberry.field(
        description="经营异常名录 Confirmed listings (from results coded 6), with the date of "
        "removal (移出) for those removed."
    )

    @strawberry.field(description="公示的检查结果 The published inspections, by key.")
    async def inspections(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PublishedInspection]:
        return await published_page(
            info, PublishedResultFilter(subject_key=self.subject_key), first, after
        )


_CREDIT = f"""
SELECT subject_key, max(uscc) AS uscc, count(*) AS n,
       (array_agg(subject_name ORDER BY published_at DESC, id DESC))[1] AS name
  FROM {PUBLISHED} WHERE subject_key = $1 GROUP BY subject_key
"""
_LISTED = f"""
SELECT id, decided_at, removed_at FROM {PROPOSALS}
 WHERE subject_key = $1 AND status IN ('CONFIRMED', 'REMOVED') ORDER BY decided_at, id
"""


@strawberry.input(description="Filter for abnormal-operation proposals (staff).")
class AbnormalListingProposalFilter:
    status: al.ProposalStatus | None = None
    department: str | None = strawberry.field(
        default=None, description="An inspecting department (lead or joint)."
    )


@strawberry.input(description="Filter for follow-ups (every given condition must hold).")
class FollowUpFilter:
    department: str | None = strawberry.field(
        default=None, description="An inspecting department (lead or joint)."
    )
    kind: ins.FollowUpKind | None = None
    state: FollowUpState | None = strawberry.field(
        default=None, description="On today's Beijing date."
    )
    subject_key: str | None = None
    inspection_id: str | None = None
    origin: ins.InspectionOrigin | None = None


def proposals_query(
    f: AbnormalListingProposalFilter, cursor: str | None, limit: int
) -> tuple[str, list[Any]]:
    q = KeysetQuery(None)
    if cursor is not None:
        q.where(f"a.id > {q.arg(cursor)}")
    if f.status is not None:
        q.where(f"a.status = {q.arg(f.status.value)}")
    if f.department is not None:
        q.where(f"a.departments @> ARRAY[{q.arg(f.department)}::text]")
    condition = " AND ".join(q.conditions) or "true"
    return (
        f"{PROPOSAL_SELECT} WHERE {condition} ORDER BY a.id LIMIT {q.arg(limit)}",
        q.args,
    )


def follow_ups_query(
    f: FollowUpFilter, cursor: str | None, limit: int, today: dt.date
) -> tuple[str, list[Any]]:
    q = KeysetQuery(cursor)
    select = follow_up_select(q.arg(today.isoformat()))
    if f.department is not None:
        q.where(f"departments @> ARRAY[{q.arg(f.department)}::text]")
    if f.kind is not None:
        q.where(f"kind = {q.arg(f.kind.value)}")
    if f.state is not None:
        q.where(f"state = {q.arg(f.state.value)}")
    if f.subject_key is not None:
        q.where(f"subject_key = {q.arg(normalise_key(f.subject_key))}")
    if f.inspection_id is not None:
        q.where(f"inspection_id = {q.arg(f.inspection_id)}")
    if f.origin is not None:
        q.where(f"origin = {q.arg(f.origin.value)}")
    return q.sql(select, limit)


@strawberry.type
class PublicationQueries:
    @strawberry.field(
        description="公示查询 Published inspection results, searched by subject name, USCC, "
        "department, publication date or origin. Public; every department sees every "
        "department's (结果互认)."
    )
    async def published_results(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: PublishedResultFilter | None = None,
    ) -> Connection[PublishedInspection]:
        return await published_page(info, filter or PublishedResultFilter(), first, after)

    @strawberry.field(
        description="信用记录 A subject's credit record by USCC (any letter case) or subject key; "
        "null when nothing of it has been published. Public."
    )
    async def credit_record(
        self, info: strawberry.Info[Context, None], subject: str
    ) -> CreditRecord | None:
        key = normalise_key(subject)
        pool = info.context.pool
        r = await pool.fetchrow(_CREDIT, key)
        if r is None:
            return None
        listed = await pool.fetch(_LISTED, key)
        return CreditRecord(
            subject_key=r["subject_key"],
            subject_name=r["name"],
            uscc=r["uscc"],
            inspection_count=r["n"],
            abnormal_operation=[
                AbnormalOperationListing(
                    inspection_id=x["id"], listed_at=x["decided_at"], removed_at=x["removed_at"]
                )
                for x in listed
            ],
        )

    @strawberry.field(
        description="公示数据推送 The feed for 国家企业信用信息公示系统 and similar platforms: "
        "publications and amendments of published results at sealed ledger positions after "
        f"`after`, in ledger order, at most `first` (≤ {FEED_MAX}). Resume from the last "
        "position processed (or `nextAfter`): no gap, no repeat. Public. See "
        "docs/publication-feed.md."
    )
    async def publication_feed(
        self,
        info: strawberry.Info[Context, None],
        after: SafeInt = FEED_START,
        first: int = DEFAULT_FEED_PAGE,
    ) -> PublicationFeedPage:
        if not 1 <= first <= FEED_MAX:
            raise query_error(
                ErrorCode.OUT_OF_RANGE, "first", f"first must be between 1 and {FEED_MAX}"
            )
        if after < 0:
            raise query_error(ErrorCode.OUT_OF_RANGE, "after", "after is a ledger position ≥ 0")
        page = await read_feed(info.context.pool, after, first)
        return PublicationFeedPage(
            entries=[PublicationFeedEntry.of(e) for e in page.entries],
            next_after=SafeInt(page.next_after),
            head_position=SafeInt(page.head),
            has_more=page.has_more,
        )

    @strawberry.field(
        description="提请列入经营异常名录 Proposals raised by published results coded 6. Staff "
        "only (empty for the public)."
    )
    async def abnormal_listing_proposals(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: AbnormalListingProposalFilter | None = None,
    ) -> Connection[AbnormalListingProposal]:
        n = page_size(first)
        cursor = decode_cursor(after)
        if not info.context.actor.is_staff:
            return connection([], n)
        sql, args = proposals_query(filter or AbnormalListingProposalFilter(), cursor, n + 1)
        rows = await info.context.pool.fetch(sql, *args)
        return connection([(r["id"], AbnormalListingProposal.from_row(r)) for r in rows], n)

    @strawberry.field(
        description="后续处置跟踪 Follow-ups of approved results: corrections due, re-checked or "
        "overdue (on today's Beijing date), transfers with their receiving body and status. "
        "Staff only (empty for the public)."
    )
    async def follow_ups(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: FollowUpFilter | None = None,
    ) -> Connection[FollowUpTracking]:
        n = page_size(first)
        cursor = decode_cursor(after)
        if not info.context.actor.is_staff:
            return connection([], n)
        sql, args = follow_ups_query(
            filter or FollowUpFilter(), cursor, n + 1, await info.context.today()
        )
        rows = await info.context.pool.fetch(sql, *args)
        return connection([(r["id"], FollowUpTracking.from_row(r)) for r in rows], n)
