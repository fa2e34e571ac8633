"""Mutations of the liaison system (联络员制度)."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.liaisons.trainings import Training
from spotcheck.api.liaisons.types import (
    CoordinationRequest,
    LiaisonReplacementRequest,
    LiaisonReport,
)
from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison import requests as q
from spotcheck.domain.liaison import training as t
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


@strawberry.input(description="联络员更换要求 The office asks a department to replace its liaison.")
class RequestLiaisonReplacementInput:
    request_id: str = strawberry.field(description="The request's id (letters, digits, _.:-).")
    department: str
    reason: str = strawberry.field(description="Why the liaison does not perform (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> q.RequestLiaisonReplacement:
        return command_from(self, q.RequestLiaisonReplacement)


@strawberry.input(description="The department's answer to a replacement request.")
class AnswerLiaisonReplacementInput:
    request_id: str
    outcome: q.ReplacementOutcome = strawberry.field(
        description="REPLACED once the duty was handed over to another person; or RETAINED."
    )
    response: str = strawberry.field(description="单位答复 The answer (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> q.AnswerLiaisonReplacement:
        return command_from(self, q.AnswerLiaisonReplacement)


@strawberry.input(description="协调事项 A matter that needs other member departments.")
class RaiseCoordinationRequestInput:
    request_id: str = strawberry.field(description="The request's id (letters, digits, _.:-).")
    department: str = strawberry.field(description="The raising department.")
    title: str
    matter: str = strawberry.field(description="事项 What needs coordinating.")
    departments: list[str] = strawberry.field(
        description="The other member departments whose cooperation is needed."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> q.RaiseCoordinationRequest:
        return command_from(self, q.RaiseCoordinationRequest)


@strawberry.input(description="The office's answer to a coordination request.")
class AnswerCoordinationRequestInput:
    request_id: str
    response: str = strawberry.field(description="办公室答复 The answer (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> q.AnswerCoordinationRequest:
        return command_from(self, q.AnswerCoordinationRequest)


@strawberry.input(description="宣传培训 A training session for inspectors, once held.")
class RecordTrainingInput:
    training_id: str = strawberry.field(description="The training's id (letters, digits, _.:-).")
    department: str = strawberry.field(description="The organising department.")
    title: str
    held_on: dt.date = strawberry.field(description="举办日期 Not after today (Beijing).")
    content: str = strawberry.field(description="培训内容 What was taught (required).")
    attendees: list[str] = strawberry.field(
        description="参训人员 Staff ids in the registry of inspectors; a department names its "
        "own inspectors, the office any."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.RecordTraining:
        return command_from(self, t.RecordTraining)


@strawberry.input(description="Further attendance of a recorded training.")
class RecordTrainingAttendanceInput:
    training_id: str
    attendees: list[str] = strawberry.field(description="Staff ids not yet recorded as attending.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.RecordTrainingAttendance:
        return command_from(self, t.RecordTrainingAttendance)


@strawberry.type
class TrainingPayload:
    training: Training | None
    errors: list[UserError]


@strawberry.type
class LiaisonReplacementRequestPayload:
    liaison_replacement_request: LiaisonReplacementRequest | None
    errors: list[UserError]


@strawberry.type
class CoordinationRequestPayload:
    coordination_request: CoordinationRequest | None
    errors: list[UserError]


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

    @strawberry.mutation(
        description="联络员更换要求 Ask a department to replace its liaison, with a reason (the "
        "office: SYSTEM_ADMIN or SCJG's admin)."
    )
    async def request_liaison_replacement(
        self, info: strawberry.Info[Context, None], input: RequestLiaisonReplacementInput
    ) -> LiaisonReplacementRequestPayload:
        return await _replacement(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="Answer a replacement request (the department's admin, or SYSTEM_ADMIN)."
    )
    async def answer_liaison_replacement(
        self, info: strawberry.Info[Context, None], input: AnswerLiaisonReplacementInput
    ) -> LiaisonReplacementRequestPayload:
        return await _replacement(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="协调事项 Raise a matter that needs other departments to the office (the "
        "department's liaison or admin)."
    )
    async def raise_coordination_request(
        self, info: strawberry.Info[Context, None], input: RaiseCoordinationRequestInput
    ) -> CoordinationRequestPayload:
        return await _coordination(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="Answer a coordination request (the office: SYSTEM_ADMIN or SCJG's admin)."
    )
    async def answer_coordination_request(
        self, info: strawberry.Info[Context, None], input: AnswerCoordinationRequestInput
    ) -> CoordinationRequestPayload:
        return await _coordination(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="宣传培训 Record a training session for inspectors with its attendees (the "
        "department's liaison or admin for its own inspectors; the office for any)."
    )
    async def record_training(
        self, info: strawberry.Info[Context, None], input: RecordTrainingInput
    ) -> TrainingPayload:
        return await _training(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="Record further attendance of a training (the same people as recordTraining)."
    )
    async def record_training_attendance(
        self, info: strawberry.Info[Context, None], input: RecordTrainingAttendanceInput
    ) -> TrainingPayload:
        return await _training(info, input.idempotency_key, input.command())


async def _training(
    info: strawberry.Info[Context, None], key: str | None, command: t.TrainingCommand
) -> TrainingPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.training(ctx.runner, caller, command),
        TrainingPayload,
        "training",
        Training.from_state,
    )


async def _replacement(
    info: strawberry.Info[Context, None], key: str | None, command: q.ReplacementCommand
) -> LiaisonReplacementRequestPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.replacement(ctx.runner, caller, command),
        LiaisonReplacementRequestPayload,
        "liaison_replacement_request",
        LiaisonReplacementRequest.from_state,
    )


async def _coordination(
    info: strawberry.Info[Context, None], key: str | None, command: q.CoordinationCommand
) -> CoordinationRequestPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.coordination(ctx.runner, caller, command),
        CoordinationRequestPayload,
        "coordination_request",
        CoordinationRequest.from_state,
    )
