"""GraphQL types for member departments (成员单位)."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.visibility import PERSONAL, personal
from spotcheck.api.context import Context
from spotcheck.domain import department as d
from spotcheck.projections import state_tables

TABLE = state_tables.DEPARTMENTS


@strawberry.type(
    name="Liaison", description="联络员 Liaison: the department's contact for the joint meeting."
)
class LiaisonType:
    name: str
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str | None]
    _user_id: strawberry.Private[str | None]

    @strawberry.field(directives=PERSONAL, description="Telephone (personal data; staff only).")
    def phone(self, info: strawberry.Info[Context, None]) -> str | None:
        return personal(info.context.actor.is_staff, self._phone)

    @strawberry.field(directives=PERSONAL, description="E-mail (personal data; staff only).")
    def email(self, info: strawberry.Info[Context, None]) -> str | None:
        return personal(info.context.actor.is_staff, self._email)

    @strawberry.field(
        description="The liaison's platform account: an internal id, not personal data; "
        "null for the public."
    )
    def user_id(self, info: strawberry.Info[Context, None]) -> str | None:
        return self._user_id if info.context.actor.is_staff else None


@strawberry.type(description="成员单位 Member department of the joint meeting (联席会议).")
class Department(relay.Node):
    code: str = strawberry.field(description="Short code, e.g. SCJG (区市场监管局).")
    name: str
    member: bool = strawberry.field(
        description="Currently a member of the joint meeting (联席会议)."
    )
    liaison: LiaisonType

    @classmethod
    def resolve_id(cls, root: Department, *, info: strawberry.Info) -> str:
        return root.code

    @classmethod
    def from_state(cls, s: d.Department) -> Department:
        return cls(
            code=s.code,
            name=s.name,
            member=s.member,
            liaison=LiaisonType(
                name=s.liaison.name,
                _phone=s.liaison.phone,
                _email=s.liaison.email,
                _user_id=s.liaison.user_id,
            ),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_departments(info, list(node_ids))


async def load_departments(
    info: strawberry.Info[Context, None], codes: list[str]
) -> list[Department | None]:
    """Departments are public (their names and membership are published)."""
    states = await info.context.loaders.state(d.SPEC, TABLE).load_many(codes)
    return [Department.from_state(s) if s is not None else None for s in states]


async def load_department(info: strawberry.Info[Context, None], code: str) -> Department | None:
    return (await load_departments(info, [code]))[0]


def department_at_once(
    info: strawberry.Info[Context, None], code: str
) -> Department | Awaitable[Department | None] | None:
    """The department, at once when this request has already read it (a page that joined its
    subjects' departments primed the loader), else an awaitable.  A field resolved at once lets
    graphql-core complete a list of 50 subjects without an await per item (issue 17)."""
    cached = info.context.loaders.state(d.SPEC, TABLE).cache_map.get(code)
    if cached is not None and cached.done() and not cached.cancelled():
        if cached.exception() is None:
            state = cached.result()
            return Department.from_state(state) if state is not None else None
    return load_department(info, code)
