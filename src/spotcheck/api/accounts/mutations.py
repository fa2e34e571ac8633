"""Mutations on accounts: create, grant a role, revoke a role."""

from __future__ import annotations

import strawberry

from spotcheck.api.accounts.types import Account
from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.domain import account as a
from spotcheck.domain.actor import Role
from spotcheck.services import accounts as service


@strawberry.input
class CreateAccountInput:
    user_id: str = strawberry.field(description="The identity provider's subject for this person.")
    display_name: str
    department: str
    roles: list[Role] = strawberry.field(default_factory=list)
    idempotency_key: str | None = idempotency_field()

    def command(self) -> a.CreateAccount:
        return command_from(self, a.CreateAccount)


@strawberry.input
class GrantRoleInput:
    user_id: str
    role: Role
    idempotency_key: str | None = idempotency_field()

    def command(self) -> a.GrantRole:
        return command_from(self, a.GrantRole)


@strawberry.input
class RevokeRoleInput:
    user_id: str
    role: Role
    reason: str = strawberry.field(
        description="Why (required). Takes effect on the user's next request."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> a.RevokeRole:
        return command_from(self, a.RevokeRole)


@strawberry.type
class AccountPayload:
    account: Account | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: a.AccountCommand
) -> AccountPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command),
        AccountPayload,
        "account",
        Account.from_state,
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create an account (SYSTEM_ADMIN; a department's admin or liaison for its "
        "users)."
    )
    async def create_account(
        self, info: strawberry.Info[Context, None], input: CreateAccountInput
    ) -> AccountPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description="Grant a role. SYSTEM_ADMIN and AUDITOR only by SYSTEM_ADMIN.")
    async def grant_role(
        self, info: strawberry.Info[Context, None], input: GrantRoleInput
    ) -> AccountPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="Revoke a role (reason required); effective on the next request."
    )
    async def revoke_role(
        self, info: strawberry.Info[Context, None], input: RevokeRoleInput
    ) -> AccountPayload:
        return await _run(info, input.idempotency_key, input.command())
