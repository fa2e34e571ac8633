"""The first system administrator (``spotcheck admin create``): the one account made without one.

Recorded like any other change, with the actor ``system`` and the reason ``bootstrap``.  Refused
once any account holds SYSTEM_ADMIN: after that, administrators grant the role to each other.
"""

from __future__ import annotations

from spotcheck.domain import account as a
from spotcheck.domain import department as d
from spotcheck.domain.actor import SYSTEM, Role
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.values import Liaison
from spotcheck.services import accounts, departments
from spotcheck.services.runner import Caller, CommandRunner, Outcome

BOOTSTRAP = Caller(actor=SYSTEM, request_id="bootstrap")


async def create_first_admin(
    runner: CommandRunner,
    *,
    user_id: str,
    display_name: str,
    department: str,
    department_name: str | None = None,
) -> Outcome[a.Account]:
    async with runner.store.pool.acquire() as conn:
        exists = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE state->'roles' ? 'SYSTEM_ADMIN')"
        )
        known = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM departments WHERE id = $1)", department
        )
    if exists:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS,
            "userId",
            "a system administrator exists; ask them to grant the role instead",
        )
    if not known:
        if not department_name:
            raise DomainError.one(
                ErrorCode.UNKNOWN_DEPARTMENT,
                "department",
                f"no department {department!r}: give its name to register it",
            )
        await departments.handle(
            runner,
            BOOTSTRAP,
            d.RegisterDepartment(
                code=department, name=department_name, liaison=Liaison(name=display_name)
            ),
        )
    return await accounts.handle(
        runner,
        BOOTSTRAP,
        a.CreateAccount(
            user_id=user_id,
            display_name=display_name,
            department=department,
            roles=[Role.SYSTEM_ADMIN],
        ),
    )
