"""Mutations on member departments: register, hand over the liaison, membership, rename."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department
from spotcheck.domain import department as d
from spotcheck.services import departments as service


@strawberry.input(description="联络员 Liaison details.")
class LiaisonInput:
    name: str
    phone: str | None = None
    email: str | None = None
    user_id: str | None = strawberry.field(
        default=None, description="The liaison's platform account."
    )


@strawberry.input
class RegisterDepartmentInput:
    code: str
    name: str
    liaison: LiaisonInput
    member: bool = True
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.RegisterDepartment:
        return command_from(self, d.RegisterDepartment)


@strawberry.input
class HandOverLiaisonInput:
    code: str
    liaison: LiaisonInput
    reason: str | None = None
    note: str | None = strawberry.field(
        default=None,
        description="交接说明 Handover note: required when the duty passes to another person "
        "(another name or account).",
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.HandOverLiaison:
        return command_from(self, d.HandOverLiaison)


@strawberry.input(
    description="联络员信息报送 The liaison's new telephone or e-mail; null leaves one unchanged, "
    "an empty string clears it."
)
class UpdateLiaisonContactInput:
    code: str
    phone: str | None = None
    email: str | None = None
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.UpdateLiaisonContact:
        return command_from(self, d.UpdateLiaisonContact)


@strawberry.input
class ChangeDepartmentMembershipInput:
    code: str
    member: bool
    reason: str = strawberry.field(description="Why the department joins or leaves (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.ChangeMembership:
        return command_from(self, d.ChangeMembership)


@strawberry.input
class RenameDepartmentInput:
    code: str
    name: str
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.RenameDepartment:
        return command_from(self, d.RenameDepartment)


@strawberry.type
class DepartmentPayload:
    department: Department | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: d.DepartmentCommand
) -> DepartmentPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command),
        DepartmentPayload,
        "department",
        Department.from_state,
    )


@strawberry.type
class DepartmentMutations:
    @strawberry.mutation(description="Register a member department (SYSTEM_ADMIN).")
    async def register_department(
        self, info: strawberry.Info[Context, None], input: RegisterDepartmentInput
    ) -> DepartmentPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="联络员交接 Hand the liaison duty to another person (SYSTEM_ADMIN, the "
        "department's admin or liaison)."
    )
    async def hand_over_liaison(
        self, info: strawberry.Info[Context, None], input: HandOverLiaisonInput
    ) -> DepartmentPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="联络员信息报送 Report the liaison's new telephone or e-mail to the office "
        "(SYSTEM_ADMIN, the department's admin or liaison)."
    )
    async def update_liaison_contact(
        self, info: strawberry.Info[Context, None], input: UpdateLiaisonContactInput
    ) -> DepartmentPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="Join or leave the joint meeting (SYSTEM_ADMIN; reason required)."
    )
    async def change_department_membership(
        self, info: strawberry.Info[Context, None], input: ChangeDepartmentMembershipInput
    ) -> DepartmentPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description="Rename a department (SYSTEM_ADMIN; reason required).")
    async def rename_department(
        self, info: strawberry.Info[Context, None], input: RenameDepartmentInput
    ) -> DepartmentPayload:
        return await _run(info, input.idempotency_key, input.command())
