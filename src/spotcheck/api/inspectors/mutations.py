"""Mutations on the registry of inspectors: register, update, status, conflicts of interest."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.inspectors.types import Inspector
from spotcheck.domain import inspector as i
from spotcheck.services import inspectors as service

_MAINTAINERS = "SYSTEM_ADMIN or the department's DEPARTMENT_ADMIN"


@strawberry.input(description="登记执法检查人员 A new inspector.")
class RegisterInspectorInput:
    staff_id: str = strawberry.field(description="工号 Staff id (letters, digits, _ . : -).")
    name: str
    department: str = strawberry.field(description="所属部门 Department code.")
    kind: i.InspectorKind
    certificate_number: str | None = strawberry.field(
        default=None, description="执法证号 Required for ENFORCEMENT_OFFICER."
    )
    certificate_valid_from: dt.date | None = strawberry.field(
        default=None, description="Required with a certificate."
    )
    certificate_valid_until: dt.date | None = strawberry.field(
        default=None, description="Required with a certificate; not before the first day."
    )
    expertise: list[str] = strawberry.field(
        default_factory=list, description="专业领域 Field codes, e.g. FOOD."
    )
    status: i.InspectorStatus = i.InspectorStatus.ACTIVE
    phone: str | None = None
    email: str | None = None
    user_id: str | None = strawberry.field(
        default=None, description="The inspector's platform account."
    )
    affiliation: str | None = strawberry.field(
        default=None, description="所在单位 For experts: testing body, institute, university."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.RegisterInspector:
        return command_from(self, i.RegisterInspector)


@strawberry.input(
    description="Change an inspector's record: a null or omitted field stays unchanged; an empty "
    "string clears an optional text field; clearing certificateNumber clears its dates."
)
class UpdateInspectorInput:
    staff_id: str
    reason: str = strawberry.field(description="Why (required).")
    name: str | None = None
    department: str | None = strawberry.field(
        default=None, description="Move to another department (SYSTEM_ADMIN)."
    )
    kind: i.InspectorKind | None = None
    certificate_number: str | None = None
    certificate_valid_from: dt.date | None = None
    certificate_valid_until: dt.date | None = None
    expertise: list[str] | None = strawberry.field(
        default=None, description="Replaces the whole list; [] clears it."
    )
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    affiliation: str | None = None
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.UpdateInspector:
        return command_from(self, i.UpdateInspector)


@strawberry.input
class ChangeInspectorStatusInput:
    staff_id: str
    status: i.InspectorStatus
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.ChangeInspectorStatus:
        return command_from(self, i.ChangeInspectorStatus)


@strawberry.input(description="声明回避 Declare a conflict of interest with a subject.")
class DeclareConflictInput:
    staff_id: str
    subject_key: str = strawberry.field(
        description="The subject's key in the registry of inspection subjects (检查对象名录库)."
    )
    reason: str = strawberry.field(description="Why the inspector must stand aside (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.DeclareConflict:
        return command_from(self, i.DeclareConflict)


@strawberry.input(description="撤销回避 Withdraw a declared conflict of interest.")
class WithdrawConflictInput:
    staff_id: str
    subject_key: str
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.WithdrawConflict:
        return command_from(self, i.WithdrawConflict)


@strawberry.type
class InspectorPayload:
    inspector: Inspector | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: i.InspectorCommand
) -> InspectorPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command),
        InspectorPayload,
        "inspector",
        lambda s: Inspector.from_state(s, ctx.actor),
    )


@strawberry.type
class InspectorMutations:
    @strawberry.mutation(description=f"登记执法检查人员 Register an inspector ({_MAINTAINERS}).")
    async def register_inspector(
        self, info: strawberry.Info[Context, None], input: RegisterInspectorInput
    ) -> InspectorPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"Change an inspector's record ({_MAINTAINERS}; reason required). "
        "Moving to another department needs the right over both."
    )
    async def update_inspector(
        self, info: strawberry.Info[Context, None], input: UpdateInspectorInput
    ) -> InspectorPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"在岗状态 Change an inspector's status ({_MAINTAINERS}; reason required)."
    )
    async def change_inspector_status(
        self, info: strawberry.Info[Context, None], input: ChangeInspectorStatusInput
    ) -> InspectorPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"声明回避 Declare a conflict of interest (the inspector themself or "
        f"{_MAINTAINERS}). The subject must be in the registry of inspection subjects."
    )
    async def declare_conflict(
        self, info: strawberry.Info[Context, None], input: DeclareConflictInput
    ) -> InspectorPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"撤销回避 Withdraw a declared conflict of interest (the inspector themself "
        f"or {_MAINTAINERS}; reason required)."
    )
    async def withdraw_conflict(
        self, info: strawberry.Info[Context, None], input: WithdrawConflictInput
    ) -> InspectorPayload:
        return await _run(info, input.idempotency_key, input.command())
