"""GraphQL types for platform accounts (用户账号) and the signed-in viewer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department
from spotcheck.domain import account as a
from spotcheck.domain.actor import Actor, Role
from spotcheck.projections import state_tables

TABLE = state_tables.ACCOUNTS

strawberry.enum(Role, name="Role", description="角色 Platform role.")


def may_see_account(actor: Actor, state: a.Account) -> bool:
    return (
        actor.reads_everything
        or actor.manages_accounts_of(state.department)
        or (actor.user_id is not None and actor.user_id == state.user_id)
    )


@strawberry.type(description="用户账号 A platform account: who may do what, for which department.")
class Account(relay.Node):
    user_id: str = strawberry.field(
        description="The identity provider's subject (the token's sub)."
    )
    display_name: str
    roles: list[Role]
    _department: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: Account, *, info: strawberry.Info) -> str:
        return root.user_id

    @strawberry.field
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @classmethod
    def from_state(cls, s: a.Account) -> Account:
        return cls(
            user_id=s.user_id,
            display_name=s.display_name,
            roles=list(s.roles),
            _department=s.department,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_accounts(info, list(node_ids))


async def load_accounts(
    info: strawberry.Info[Context, None], user_ids: list[str]
) -> list[Account | None]:
    actor = info.context.actor
    if actor.is_public:
        return [None] * len(user_ids)
    states = await info.context.loaders.state(a.SPEC, TABLE).load_many(user_ids)
    return [
        Account.from_state(s) if s is not None and may_see_account(actor, s) else None
        for s in states
    ]


@strawberry.type(
    description="The caller as the server sees them: roles come from the account registry."
)
class Viewer:
    user_id: str | None = strawberry.field(description="Null for the anonymous public (公众).")
    roles: list[Role]
    liaison_of: list[str] = strawberry.field(
        description="Departments whose liaison (联络员) the caller is."
    )
    _department: strawberry.Private[str | None]

    @strawberry.field
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department) if self._department else None

    @strawberry.field
    async def account(self, info: strawberry.Info[Context, None]) -> Account | None:
        return (await load_accounts(info, [self.user_id]))[0] if self.user_id else None
