"""成员单位 (member department) of the joint meeting (联席会议), with its liaison (联络员).

Stream ``department-{code}``.  A new liaison is a handover event that keeps the previous one,
so who was liaison when is on record; leaving or rejoining the joint meeting needs a reason.

联络员制度 (附件2): a change of liaison is handed over in advance and reported to the office
(一(二)): handing the duty to another person (another name or account) needs a handover note
(交接说明).  The liaison keeps their telephone and e-mail current (一(四)):
``UpdateLiaisonContact`` changes only those, for the same person, and is reported as
``LiaisonContactUpdated`` with the previous values.
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
    note: str | None = None
    """交接说明 The handover note: required when the duty passes to another person."""


class UpdateLiaisonContact(Command, frozen=True, kw_only=True):
    """The liaison's new telephone and e-mail (一(四)); ``None`` leaves one unchanged, "" clears."""

    code: str
    phone: str | None = None
    email: str | None = None


class ChangeMembership(Command, frozen=True, kw_only=True):
    code: str
    member: bool
    reason: str | None = None


class RenameDepartment(Command, frozen=True, kw_only=True):
    code: str
    name: str
    reason: str | None = None


DepartmentCommand = (
    RegisterDepartment
    | HandOverLiaison
    | UpdateLiaisonContact
    | ChangeMembership
    | RenameDepartment
)
MAX_NOTE = 2000


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
    note: str | None = None
    """交接说明 The handover note (None in events recorded before it existed)."""


class LiaisonContactUpdated(Event, frozen=True, kw_only=True):
    """联络员信息报送 The same liaison's telephone or e-mail changed (reported to the office)."""

    previous: Liaison
    liaison: Liaison


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
        return _hand_over(state, command, actor)
    if isinstance(command, UpdateLiaisonContact):
        return _update_contact(state, command, actor)
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


def _liaison_keeper(state: Department, actor: Actor, what: str) -> None:
    if not actor.manages_accounts_of(state.code):
        raise rules.forbid(
            f"only the system administrator, the department's administrator or its liaison {what}"
        )


def _hand_over(state: Department, command: HandOverLiaison, actor: Actor) -> list[Event]:
    _liaison_keeper(state, actor, "hands over the liaison duty")
    p = Problems()
    check_liaison(p, "liaison", command.liaison)
    other_person = (command.liaison.name.strip(), command.liaison.user_id) != (
        state.liaison.name.strip(),
        state.liaison.user_id,
    )
    rules.text(p, "note", command.note, max_len=MAX_NOTE, required=False, multiline=True)
    if other_person and not (command.note and command.note.strip()):
        p.add(
            ErrorCode.REQUIRED,
            "note",
            "handing the liaison duty to another person needs a handover note (交接说明, "
            "联络员制度 一(二))",
        )
    p.raise_if_any()
    if command.liaison == state.liaison:
        return []
    note = command.note.strip() if command.note and command.note.strip() else None
    return [
        LiaisonHandedOver(
            previous=state.liaison, liaison=command.liaison, reason=command.reason, note=note
        )
    ]


def _update_contact(state: Department, command: UpdateLiaisonContact, actor: Actor) -> list[Event]:
    _liaison_keeper(state, actor, "reports the liaison's contact details")
    p = Problems()
    rules.phone(p, "phone", command.phone)
    rules.email(p, "email", command.email)
    p.raise_if_any()
    phone = state.liaison.phone if command.phone is None else (command.phone.strip() or None)
    email = state.liaison.email if command.email is None else (command.email.strip() or None)
    liaison = replace(state.liaison, phone=phone, email=email)
    if liaison == state.liaison:
        return []
    return [LiaisonContactUpdated(previous=state.liaison, liaison=liaison)]


def evolve(state: Department | None, event: Event) -> Department:
    if isinstance(event, DepartmentRegistered):
        return Department(
            code=event.code, name=event.name, liaison=event.liaison, member=event.member
        )
    assert state is not None, f"{type(event).__name__} before DepartmentRegistered"
    if isinstance(event, LiaisonHandedOver | LiaisonContactUpdated):
        return replace(state, liaison=event.liaison)
    if isinstance(event, MembershipChanged):
        return replace(state, member=event.member)
    if isinstance(event, DepartmentRenamed):
        return replace(state, name=event.name)
    raise TypeError(f"not a department event: {event!r}")


SPEC: AggregateSpec[Department] = AggregateSpec(
    name="department",
    stream_prefix="department-",
    events=(
        DepartmentRegistered,
        LiaisonHandedOver,
        MembershipChanged,
        DepartmentRenamed,
        LiaisonContactUpdated,
    ),
    evolve=evolve,
    state_type=Department,
)
