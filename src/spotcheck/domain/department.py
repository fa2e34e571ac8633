"""成员单位 (member department) of the joint meeting (联席会议), with its liaison (联络员).

Stream ``department-{code}``.  A new liaison is a handover event that keeps the previous one,
so who was liaison when is on record; leaving or rejoining the joint meeting needs a reason.
"""

from __future__ import annotations

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.values import Liaison, check_liaison


class Department(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of a member department."""

    code: str
    name: str
    liaison: Liaison
    member: bool = True


# Commands
class RegisterDepartment(Command, frozen=True, kw_only=True):
    code: str
    name: str
    liaison: Liaison
    member: bool = True


class HandOverLiaison(Command, frozen=True, kw_only=True):
    code: str
    liaison: Liaison
    reason: str | None = None


class ChangeMembership(Command, frozen=True, kw_only=True):
    code: str
    member: bool
    reason: str | None = None


class RenameDepartment(Command, frozen=True, kw_only=True):
    code: str
    name: str
    reason: str | None = None


DepartmentCommand = RegisterDepartment | HandOverLiaison | ChangeMembership | RenameDepartment


# Events
class DepartmentRegistered(Event, frozen=True, kw_only=True):
    code: str
    name: str
    liaison: Liaison
    member: bool


class LiaisonHandedOver(Event, frozen=True, kw_only=True):
    previous: Liaison
    liaison: Liaison
    reason: str | None = None


class MembershipChanged(Event, frozen=True, kw_only=True):
    member: bool
    reason: str


class DepartmentRenamed(Event, frozen=True, kw_only=True):
    previous: str
    name: str
    reason: str


def decide(state: Department | None, command: DepartmentCommand, actor: Actor) -> list[Event]:
    p = Problems()
    if isinstance(command, RegisterDepartment):
        if not actor.is_admin:
            raise rules.forbid("only the system administrator registers member departments")
        rules.code(p, "code", command.code, max_len=20)
        rules.text(p, "name", command.name)
        check_liaison(p, "liaison", command.liaison)
        p.raise_if_any()
        if state is not None:
            raise DomainError.one(
                ErrorCode.ALREADY_EXISTS, "code", f"department {command.code!r} exists"
            )
        return [
            DepartmentRegistered(
                code=command.code,
                name=command.name.strip(),
                liaison=command.liaison,
                member=command.member,
            )
        ]
    if state is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, "code", f"no department {command.code!r}")
    if isinstance(command, HandOverLiaison):
        if not actor.manages_accounts_of(state.code):
            raise rules.forbid(
                "only the system administrator, the department's administrator "
                "or its liaison hands over the liaison duty"
            )
        check_liaison(p, "liaison", command.liaison)
        p.raise_if_any()
        if command.liaison == state.liaison:
            return []
        return [
            LiaisonHandedOver(
                previous=state.liaison, liaison=command.liaison, reason=command.reason
            )
        ]
    if isinstance(command, ChangeMembership):
        if not actor.is_admin:
            raise rules.forbid("only the system administrator changes joint-meeting membership")
        rules.reason(p, command.reason, "changing membership")
        p.raise_if_any()
        if command.member == state.member:
            return []
        return [MembershipChanged(member=command.member, reason=str(command.reason))]
    if not actor.is_admin:
        raise rules.forbid("only the system administrator renames a department")
    rules.text(p, "name", command.name)
    rules.reason(p, command.reason, "renaming a department")
    p.raise_if_any()
    if command.name.strip() == state.name:
        return []
    return [
        DepartmentRenamed(
            previous=state.name, name=command.name.strip(), reason=str(command.reason)
        )
    ]


def evolve(state: Department | None, event: Event) -> Department:
    if isinstance(event, DepartmentRegistered):
        return Department(
            code=event.code, name=event.name, liaison=event.liaison, member=event.member
        )
    assert state is not None, f"{type(event).__name__} before DepartmentRegistered"
    if isinstance(event, LiaisonHandedOver):
        return replace(state, liaison=event.liaison)
    if isinstance(event, MembershipChanged):
        return replace(state, member=event.member)
    if isinstance(event, DepartmentRenamed):
        return replace(state, name=event.name)
    raise TypeError(f"not a department event: {event!r}")


SPEC: AggregateSpec[Department] = AggregateSpec(
    name="department",
    stream_prefix="department-",
    events=(DepartmentRegistered, LiaisonHandedOver, MembershipChanged, DepartmentRenamed),
    evolve=evolve,
    state_type=Department,
)
