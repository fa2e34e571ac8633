"""accountabilityReview and inspectorReview (AUDITOR and SYSTEM_ADMIN)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from spotcheck.api.audit.queries import require_auditor
from spotcheck.api.common.errors import query_error
from spotcheck.api.context import Context
from spotcheck.api.review.types import DutyReview
from spotcheck.clock import beijing_today
from spotcheck.domain.errors import ErrorCode
from spotcheck.review.model import ReviewKind
from spotcheck.review.reviewer import review
from spotcheck.review.source import LedgerSource

MAX_DAYS = 3 * 366
"""The longest period one review covers (three years)."""


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise query_error(ErrorCode.INVALID_DATE_RANGE, "to", "`to` is before `from`")
    if (end - start).days > MAX_DAYS:
        raise query_error(ErrorCode.OUT_OF_RANGE, "to", f"a review covers at most {MAX_DAYS} days")


async def _review(
    info: Info[Context, None], kind: ReviewKind, key: str, start: dt.date, end: dt.date
) -> DutyReview:
    require_auditor(info)
    check_period(start, end)
    async with info.context.pool.acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            source = await LedgerSource.at_head(conn)
            result = await review(source, kind, key.strip(), start, end, await beijing_today(conn))
    return DutyReview.of(result)


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        description="履职清单审查 Every duty about one subject in a period (the draws whose "
        "task overlaps it, and its case inspections), each FULFILLED, BREACHED or "
        "NOT_APPLICABLE with the ledger entries that prove it. AUDITOR and SYSTEM_ADMIN."
    )
    async def accountability_review(
        self,
        info: Info[Context, None],
        subject: str,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> DutyReview | None:
        return await _review(info, ReviewKind.SUBJECT, subject, from_, to)

    @strawberry.field(
        description="检查人员履职审查 Every duty of one inspector's inspections in a period, "
        "with verdicts and proofs. AUDITOR and SYSTEM_ADMIN."
    )
    async def inspector_review(
        self,
        info: Info[Context, None],
        inspector: str,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> DutyReview | None:
        return await _review(info, ReviewKind.INSPECTOR, inspector, from_, to)
