"""信用风险分类联动 GraphQL types: a proposed change of a subject's credit risk class.

Staff only: the public gets null (and empty pages).  A proposal is read from the
``risk_class_proposals`` state table through the per-request DataLoader; its subject through
the subjects' DataLoader, its publication through the published results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

import spotcheck.api.subjects.types  # noqa: F401  (registers RiskClass)
from spotcheck.api.common.enums import register_enum
from spotcheck.api.context import Context
from spotcheck.api.publications.types import PublishedInspection, load_published
from spotcheck.api.subjects.types import Subject, load_subject
from spotcheck.domain import credit_risk as cr
from spotcheck.domain.subject import RiskClass
from spotcheck.projections.state_tables import RISK_CLASS_PROPOSALS

register_enum(
    cr.ProposalStatus,
    "RiskClassProposalStatus",
    "信用风险分类调整提请状态 Status of a proposed change of a subject's credit risk class.",
    {
        "PROPOSED": "待确认 Raised by a published result; awaiting the maintaining department.",
        "CONFIRMED": "已确认 Confirmed: the subject's class was changed (SubjectChanged citing "
        "the proposal).",
        "REJECTED": "不予调整 Rejected, with a reason.",
    },
)


@strawberry.type(description="提请依据 One item of the published result that meets the rule.")
class RiskClassBasis:
    item: str = strawberry.field(description="检查事项 The item's code.")
    trigger: str = strawberry.field(
        description="The rule's trigger it meets: a result code (e.g. 6) or a follow-up kind "
        "(e.g. CASE_TRANSFER)."
    )
    steps: int = strawberry.field(description="Classes up the trigger asks for.")


@strawberry.type(
    description="信用风险分类调整提请 A proposed change of a subject's credit risk class "
    "(差异化监管), raised by a published result under the configured rule; confirmed or "
    "rejected by the subject's maintaining department. Staff only."
)
class RiskClassProposal(relay.Node):
    key: str = strawberry.field(description="The inspection that raised it.")
    subject_key: str
    subject_name: str
    uscc: str | None
    departments: list[str] = strawberry.field(description="Inspecting departments, lead first.")
    maintaining_department: str = strawberry.field(
        description="维护部门 The subject's maintaining department when proposed: it decides."
    )
    from_class: RiskClass | None = strawberry.field(
        description="The subject's class when proposed (null: unclassified)."
    )
    to_class: RiskClass = strawberry.field(description="The class proposed.")
    basis: list[RiskClassBasis]
    rule: str = strawberry.field(
        description="The rule applied, as SPOTCHECK_CREDIT_RISK_RULE spells it "
        "(docs/credit-risk.md)."
    )
    proposed_on: dt.date = strawberry.field(description="The publication's Beijing date.")
    proposed_at: dt.datetime
    status: cr.ProposalStatus
    decided_by: str | None = strawberry.field(description="User id of who decided.")
    decided_at: dt.datetime | None
    reason: str | None = strawberry.field(
        description="Why it was rejected, or the note given with a confirmation."
    )

    @classmethod
    def resolve_id(cls, root: RiskClassProposal, *, info: strawberry.Info) -> str:
        return root.key

    @strawberry.field(description="检查对象 The subject, as the registry holds it now.")
    async def subject(self, info: strawberry.Info[Context, None]) -> Subject | None:
        return await load_subject(info, self.subject_key)

    @strawberry.field(description="The published inspection that raised it.")
    async def inspection(self, info: strawberry.Info[Context, None]) -> PublishedInspection | None:
        return (await load_published(info, [self.key]))[0]

    @classmethod
    def from_row(cls, state: cr.RiskClassProposal, created: Any, updated: Any) -> RiskClassProposal:
        decided = state.status is not cr.ProposalStatus.PROPOSED
        return cls(
            key=state.inspection_id,
            subject_key=state.subject,
            subject_name=state.subject_name,
            uscc=state.uscc,
            departments=list(state.departments),
            maintaining_department=state.maintaining_department,
            from_class=state.from_class,
            to_class=state.to_class,
            basis=[
                RiskClassBasis(item=b.item, trigger=b.trigger, steps=b.steps) for b in state.basis
            ],
            rule=state.rule,
            proposed_on=dt.date.fromisoformat(state.proposed_on),
            proposed_at=created,
            status=state.status,
            decided_by=state.decided_by,
            decided_at=updated if decided else None,
            reason=state.reason,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_proposals(info, list(node_ids))


PROPOSAL_COLUMNS = "id, state, created_at, updated_at"


def proposal_from_row(r: Any) -> RiskClassProposal:
    return RiskClassProposal.from_row(
        cr.SPEC.state_from_data(r["state"]), r["created_at"], r["updated_at"]
    )


async def load_proposals(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[RiskClassProposal | None]:
    """Proposals by inspection key: staff only (null for the public)."""
    if not info.context.actor.is_staff:
        return [None] * len(keys)
    rows = await info.context.pool.fetch(
        f"SELECT {PROPOSAL_COLUMNS} FROM {RISK_CLASS_PROPOSALS} WHERE id = ANY($1::text[])", keys
    )
    found = {r["id"]: proposal_from_row(r) for r in rows}
    return [found.get(k) for k in keys]
