"""Queries over accounts and the viewer."""

from __future__ import annotations

import strawberry

from spotcheck.api.accounts.types import TABLE, Account, Viewer, load_accounts
from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.domain import account as a


@strawberry.input(description="Filter for accounts.")
class AccountFilter:
    department: str | None = None


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The caller: user id, roles and department as the registry has them."
    )
    def viewer(self, info: strawberry.Info[Context, None]) -> Viewer:
        actor = info.context.actor
        return Viewer(
            user_id=actor.user_id,
            roles=sorted(actor.roles, key=lambda r: r.value),
            liaison_of=sorted(actor.liaison_of),
            _department=actor.department,
        )

    @strawberry.field(
        description="用户账号 Accounts the caller may manage or read: all for SYSTEM_ADMIN and "
        "AUDITOR, the own department's for its admin and liaison, else none."
    )
    async def accounts(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: AccountFilter | None = None,
    ) -> Connection[Account]:
        n = page_size(first)
        actor = info.context.actor
        if actor.reads_everything:
            departments: list[str] | None = None
        else:
            departments = sorted(
                {actor.department}
                if actor.department and actor.manages_accounts_of(actor.department)
                else set()
            ) + sorted(actor.liaison_of)
        rows = await info.context.pool.fetch(
            f"SELECT id, state FROM {TABLE} WHERE ($1::text IS NULL OR id > $1)"
            " AND ($2::text IS NULL OR department = $2)"
            " AND ($3::text[] IS NULL OR department = ANY($3)) ORDER BY id LIMIT $4",
            decode_cursor(after),
            filter.department if filter else None,
            departments,
            n + 1,
        )
        return connection(
            [(r["id"], Account.from_state(a.SPEC.state_from_data(r["state"]))) for r in rows], n
        )

    @strawberry.field(description="One account by user id, if the caller may see it.")
    async def account(self, info: strawberry.Info[Context, None], user_id: str) -> Account | None:
        return (await load_accounts(info, [user_id]))[0]
