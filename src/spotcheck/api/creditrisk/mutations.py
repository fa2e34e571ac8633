"""信用风险分类联动 mutations: the maintaining department confirms or rejects a proposal."""

from __future__ import annotations

from typing import Any

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.creditrisk.types import RiskClassProposal, load_proposals
from spotcheck.domain import credit_risk as cr
from spotcheck.services import creditrisk as service
from spotcheck.services.runner import Caller, Outcome

_DECIDERS = (
    "SYSTEM_ADMIN or the DEPARTMENT_ADMIN of the subject's maintaining department (维护部门); "
    "NOT_FOUND without a proposal, INVALID_TRANSITION once decided or when the subject's class "
    "is no longer the one proposed from"
)


@strawberry.input(description="确认调整信用风险分类 Confirm a proposal.")
class ConfirmRiskClassChangeInput:
    inspection_id: str = strawberry.field(description="The inspection that raised it.")
    note: str | None = strawberry.field(default=None, description="A note (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> cr.ConfirmRiskClassChange:
        return command_from(
            self, cr.ConfirmRiskClassChange, inspection_id=self.inspection_id.strip()
        )


@strawberry.input(description="不予调整 Reject a proposal, with a reason.")
class RejectRiskClassChangeInput:
    inspection_id: str = strawberry.field(description="The inspection that raised it.")
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> cr.RejectRiskClassChange:
        return command_from(
            self, cr.RejectRiskClassChange, inspection_id=self.inspection_id.strip()
        )


@strawberry.type
class RiskClassProposalPayload:
    proposal: RiskClassProposal | None
    errors: list[UserError]


async def _decide(
    info: strawberry.Info[Context, None], key: str | None, command: cr.RiskClassCommand
) -> RiskClassProposalPayload:
    ctx = info.context
    found: dict[str, RiskClassProposal | None] = {}

    async def handler(caller: Caller) -> Outcome[cr.RiskClassProposal]:
        outcome = await service.decide_change(ctx.runner, caller, command, ctx.regions)
        found["row"] = (await load_proposals(info, [command.inspection_id]))[0]
        return outcome

    def node(_: Any) -> RiskClassProposal | None:
        return found.get("row")

    return await run_mutation(info, key, handler, RiskClassProposalPayload, "proposal", node)


@strawberry.type
class CreditRiskMutations:
    @strawberry.mutation(
        description=f"确认调整信用风险分类 Confirm a proposed class change ({_DECIDERS}). The "
        "subject's class changes in the same transaction (SubjectChanged citing the proposal); "
        "the next draw commit stratifies it by the new class."
    )
    async def confirm_risk_class_change(
        self, info: strawberry.Info[Context, None], input: ConfirmRiskClassChangeInput
    ) -> RiskClassProposalPayload:
        return await _decide(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"不予调整 Reject a proposed class change, with a reason ({_DECIDERS})."
    )
    async def reject_risk_class_change(
        self, info: strawberry.Info[Context, None], input: RejectRiskClassChangeInput
    ) -> RiskClassProposalPayload:
        return await _decide(info, input.idempotency_key, input.command())
