"""Mutations of the liaison system (联络员制度)."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.liaisons.types import LiaisonReport
from spotcheck.domain.liaison import report as r
from spotcheck.services import liaisons as service


@strawberry.input(
    description="工作信息报送 A work information report. The figures are not an input: the "
    "platform computes them at submission."
)
class SubmitLiaisonReportInput:
    department: str
    year: int
    quarter: int = strawberry.field(description="季度 1 to 4; from the quarter's first day on.")
    progress: str = strawberry.field(description="工作推进情况 Progress (required).")
    problems: str | None = strawberry.field(default=None, description="存在问题 Problems.")
    experience: str | None = strawberry.field(default=None, description="工作经验 Experience.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> r.SubmitLiaisonReport:
        return command_from(self, r.SubmitLiaisonReport)


@strawberry.type
class LiaisonReportPayload:
    liaison_report: LiaisonReport | None
    errors: list[UserError]


@strawberry.type
class LiaisonMutations:
    @strawberry.mutation(
        description="工作信息报送 Submit the department's quarterly work information report "
        "(its liaison or administrator); the figures are computed from the statistics."
    )
    async def submit_liaison_report(
        self, info: strawberry.Info[Context, None], input: SubmitLiaisonReportInput
    ) -> LiaisonReportPayload:
        ctx = info.context
        command = input.command()
        return await run_mutation(
            info,
            input.idempotency_key,
            lambda caller: service.submit_report(ctx.runner, caller, command),
            LiaisonReportPayload,
            "liaison_report",
            LiaisonReport.from_state,
        )
