"""Platform account (用户账号): a user id (the token's subject), display name, department, roles.

Stream ``account-{user_id}``.  The system administrator grants and revokes any role; a
department's administrator or its liaison (联络员) grants and revokes department roles
(DEPARTMENT_ADMIN, INSPECTOR) for their own department's users.  A revocation takes effect on
the caller's next request, because every request reads roles from the account registry.
"""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import DISTRICT_ROLES, Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems


class Account(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    display_name: str
    department: str
    roles: list[Role] = msgspec.field(default_factory=list)


class CreateAccount(Command, frozen=True, kw_only=True):
    user_id: str
    display_name: str
    department: str
    roles: list[Role] = msgspec.field(default_factory=list)


class GrantRole(Command, frozen=True, kw_only=True):
    user_id: str
    role: Role


class RevokeRole(Command, frozen=True, kw_only=True):
    user_id: str
    role: Role
    reason: str | None = None


AccountCommand = CreateAccount | GrantRole | RevokeRole


class AccountCreated(Event, frozen=True, kw_only=True):
    user_id: str
    display_name: str
    department: str
    roles: list[Role]


class RoleGranted(Event, frozen=True, kw_only=True):
    role: Role


class RoleRevoked(Event, frozen=True, kw_only=True):
    role: Role
    reason: str


def _may_grant(actor: Actor, department: str, role: Role) -> bool:
    if role in DISTRICT_ROLES:
        return actor.is_admin
    return actor.manages_accounts_of(department)


def _forbidden(role: Role) -> DomainError:
    if role in DISTRICT_ROLES:
        return rules.forbid(f"only the system administrator grants or revokes {role.value}", "role")
    return rules.forbid(
        "only the system administrator, or the department's administrator or liaison, "
        "grants or revokes roles for the department's users",
        "role",
    )


def decide(
    state: Account | None,
    command: AccountCommand,
    actor: Actor,
    departments: frozenset[str],
) -> list[Event]:
    p = Problems()
    if isinstance(command, CreateAccount):
        if not actor.manages_accounts_of(command.department):
            raise rules.forbid(
                "only the system administrator, or the department's administrator or liaison, "
                "creates accounts for a department",
                "department",
            )
        for role in command.roles:
            if not _may_grant(actor, command.department, role):
                raise _forbidden(role)
        rules.text(p, "userId", command.user_id, max_len=200)
        rules.text(p, "displayName", command.display_name, max_len=100)
        if command.department not in departments:
            p.add(
                ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {command.department!r}"
            )
        p.raise_if_any()
        if state is not None:
            raise DomainError.one(
                ErrorCode.ALREADY_EXISTS, "userId", f"account {command.user_id!r} exists"
            )
        return [
            AccountCreated(
                user_id=command.user_id,
                display_name=command.display_name.strip(),
                department=command.department,
                roles=sorted(set(command.roles), key=lambda r: r.value),
            )
        ]
    if state is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, "userId", f"no account {command.user_id!r}")
    if not _may_grant(actor, state.department, command.role):
        raise _forbidden(command.role)
    if isinstance(command, GrantRole):
        return [] if command.role in state.roles else [RoleGranted(role=command.role)]
    rules.reason(p, command.reason, "revoking a role")
    p.raise_if_any()
    if command.role not in state.roles:
        return []
    if command.role is Role.SYSTEM_ADMIN and actor.user_id == state.user_id:
        raise DomainError.one(
            ErrorCode.FORBIDDEN,
            "role",
            "a system administrator cannot revoke their own SYSTEM_ADMIN role",
        )
    return [RoleRevoked(role=command.role, reason=str(command.reason))]


def evolve(state: Account | None, event: Event) -> Account:
    if isinstance(event, AccountCreated):
        return Account(
            user_id=event.user_id,
            display_name=event.display_name,
            department=event.department,
            roles=list(event.roles),
        )
    assert state is not None, f"{type(event).__name__} before AccountCreated"
    if isinstance(event, RoleGranted):
        return replace(state, roles=sorted({*state.roles, event.role}, key=lambda r: r.value))
    if isinstance(event, RoleRevoked):
        return replace(state, roles=[r for r in state.roles if r is not event.role])
    raise TypeError(f"not an account event: {event!r}")


SPEC: AggregateSpec[Account] = AggregateSpec(
    name="account",
    stream_prefix="account-",
    events=(AccountCreated, RoleGranted, RoleRevoked),
    evolve=evolve,
    state_type=Account,
)
