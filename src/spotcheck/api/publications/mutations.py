"""Mutations of publication: deciding on abnormal-operation proposals (经营异常名录)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.publications.types import AbnormalListingProposal, load_proposals
from spotcheck.domain import abnormal_listing as al
from spotcheck.services import publications as service
from spotcheck.services.runner import Caller, Outcome

_DECIDERS = (
    "SYSTEM_ADMIN or the DEPARTMENT_ADMIN of the district market regulation bureau (区市场监管局, "
    "SCJG), the registration authority that keeps the 经营异常名录; NOT_FOUND without a "
    "proposal, INVALID_TRANSITION once decided or withdrawn"
)


@strawberry.input(description="确认列入经营异常名录 Confirm a proposal.")
class ConfirmAbnormalListingInput:
    inspection_id: str = strawberry.field(description="The inspection that raised it.")
    note: str | None = strawberry.field(default=None, description="A note (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> al.ConfirmAbnormalListing:
        return command_from(
            self, al.ConfirmAbnormalListing, inspection_id=self.inspection_id.strip()
        )


@strawberry.input(description="不予列入 Reject a proposal, with a reason.")
class RejectAbnormalListingInput:
    inspection_id: str = strawberry.field(description="The inspection that raised it.")
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> al.RejectAbnormalListing:
        return command_from(
            self, al.RejectAbnormalListing, inspection_id=self.inspection_id.strip()
        )


@strawberry.input(
    description="移出经营异常名录 Remove a confirmed listing once the business proved it is "
    "reachable at its registered address again."
)
class RemoveAbnormalListingInput:
    inspection_id: str = strawberry.field(description="The inspection that raised it.")
    verified_on: dt.date = strawberry.field(
        description="核实日期 The day the business was verified reachable (not after today)."
    )
    reason: str = strawberry.field(
        description="How the business proved it is reachable again (required)."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> al.RemoveAbnormalListing:
        return command_from(
            self, al.RemoveAbnormalListing, inspection_id=self.inspection_id.strip()
        )


@strawberry.type
class AbnormalListingPayload:
    proposal: AbnormalListingProposal | None
    errors: list[UserError]


async def _decide(
    info: strawberry.Info[Context, None], key: str | None, command: al.AbnormalListingCommand
) -> AbnormalListingPayload:
    ctx = info.context
    found: dict[str, AbnormalListingProposal | None] = {}

    async def handler(caller: Caller) -> Outcome[al.AbnormalListing]:
        outcome = await service.decide_listing(ctx.runner, caller, command)
        found["row"] = (await load_proposals(info, [command.inspection_id]))[0]
        return outcome

    def node(_: Any) -> AbnormalListingProposal | None:
        return found.get("row")

    return await run_mutation(info, key, handler, AbnormalListingPayload, "proposal", node)


@strawberry.type
class PublicationMutations:
    @strawberry.mutation(
        description=f"确认列入经营异常名录 Confirm a proposal raised by a result coded 6 "
        f"({_DECIDERS}). Records who and when."
    )
    async def confirm_abnormal_listing(
        self, info: strawberry.Info[Context, None], input: ConfirmAbnormalListingInput
    ) -> AbnormalListingPayload:
        return await _decide(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"不予列入 Reject a proposal raised by a result coded 6, with a reason "
        f"({_DECIDERS}). Records who, when and why."
    )
    async def reject_abnormal_listing(
        self, info: strawberry.Info[Context, None], input: RejectAbnormalListingInput
    ) -> AbnormalListingPayload:
        return await _decide(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="移出经营异常名录 Remove a CONFIRMED listing after the business proved it is "
        "reachable again, with the day it was verified and how (SYSTEM_ADMIN or the SCJG "
        "DEPARTMENT_ADMIN; INVALID_TRANSITION unless CONFIRMED). Records who, when and why; "
        "the public credit record shows the removal date."
    )
    async def remove_abnormal_listing(
        self, info: strawberry.Info[Context, None], input: RemoveAbnormalListingInput
    ) -> AbnormalListingPayload:
        return await _decide(info, input.idempotency_key, input.command())
