"""信用风险分类联动 queries: the proposals (staff only, empty for the public)."""

from __future__ import annotations

from typing import Any

import strawberry

from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.context import Context
from spotcheck.api.creditrisk.types import PROPOSAL_COLUMNS, RiskClassProposal, proposal_from_row
from spotcheck.domain import credit_risk as cr
from spotcheck.domain.subject import normalise_key
from spotcheck.projections.state_tables import RISK_CLASS_PROPOSALS


@strawberry.input(description="Filter for credit-risk proposals (every given condition holds).")
class RiskClassProposalFilter:
    status: cr.ProposalStatus | None = None
    subject_key: str | None = strawberry.field(
        default=None, description="A subject's key or USCC (any letter case)."
    )
    maintaining_department: str | None = strawberry.field(
        default=None, description="维护部门 The department that decides."
    )


def proposals_query(
    f: RiskClassProposalFilter, cursor: str | None, limit: int
) -> tuple[str, list[Any]]:
    q = KeysetQuery(cursor)
    if f.status is not None:
        q.where(f"status = {q.arg(f.status.value)}")
    if f.subject_key is not None:
        q.where(f"subject_key = {q.arg(normalise_key(f.subject_key))}")
    if f.maintaining_department is not None:
        q.where(f"maintaining_department = {q.arg(f.maintaining_department)}")
    return q.sql(f"SELECT {PROPOSAL_COLUMNS} FROM {RISK_CLASS_PROPOSALS}", limit)


@strawberry.type
class CreditRiskQueries:
    @strawberry.field(
        description="信用风险分类调整提请 Proposed changes of subjects' credit risk "
        "classes, raised by published results under the configured rule "
        "(docs/credit-risk.md). Staff only (empty for the public)."
    )
    async def risk_class_proposals(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: RiskClassProposalFilter | None = None,
    ) -> Connection[RiskClassProposal]:
        n = page_size(first)
        cursor = decode_cursor(after)
        if not info.context.actor.is_staff:
            return connection([], n)
        sql, args = proposals_query(filter or RiskClassProposalFilter(), cursor, n + 1)
        rows = await info.context.pool.fetch(sql, *args)
        return connection([(r["id"], proposal_from_row(r)) for r in rows], n)
