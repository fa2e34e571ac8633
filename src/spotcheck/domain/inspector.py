# Over 500 lines: registration, changes, status and conflicts share the field rules.
"""执法检查人员名录库 registry of inspectors: who may be drawn to inspect, and who may assist.

Stream ``inspector-{staff_id}``.  An inspector belongs to one department, which maintains the
entry (谁主管、谁维护): the system administrator or that department's administrator registers,
changes and changes the status of an inspector.  Kinds:

- 执法人员 ENFORCEMENT_OFFICER: enforcement civil servants and staff with enforcement
  qualification; they hold an enforcement certificate (执法证), whose number and validity are
  required.
- 日常监管人员 SUPERVISION_STAFF: daily-supervision staff; a certificate is optional, but without
  a valid one they are not drawn.
- 专家 EXPERT: experts from testing bodies, research institutes and universities
  (检测机构、科研院所、高校) who assist; they never count towards the minimum number of
  inspectors per subject.

Declared conflicts of interest (回避) name a subject the inspector must not be drawn for; the
inspector may declare or withdraw one themself, as may whoever maintains the entry.

Updates take ``None`` for "unchanged"; an empty string clears an optional text field, and
clearing the certificate number clears the certificate's dates with it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event, from_data, to_data
from spotcheck.domain.errors import DomainError, ErrorCode, Problems

# The draw protocol defines the kinds and statuses it matches on (it depends on no domain module).
from spotcheck.draw.matching import InspectorCandidate
from spotcheck.draw.matching import InspectorKind as InspectorKind
from spotcheck.draw.matching import InspectorStatus as InspectorStatus


class Conflict(msgspec.Struct, frozen=True, kw_only=True):
    """回避 A declared conflict of interest with one inspection subject."""

    subject_key: str
    reason: str


class Inspector(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an inspector (执法检查人员)."""

    staff_id: str
    name: str
    department: str
    kind: InspectorKind
    certificate_number: str | None = None
    """执法证号 Enforcement certificate number (personal data)."""
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    expertise: list[str] = msgspec.field(default_factory=list)
    """专业领域 Field codes, e.g. FOOD, SPECIAL_EQUIPMENT."""
    status: InspectorStatus = InspectorStatus.ACTIVE
    conflicts: list[Conflict] = msgspec.field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    """The inspector's platform account, if any."""
    affiliation: str | None = None
    """所在单位 For experts: the testing body, research institute or university."""


# Commands
class RegisterInspector(Command, frozen=True, kw_only=True):
    staff_id: str
    name: str
    department: str
    kind: InspectorKind
    certificate_number: str | None = None
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    expertise: list[str] = msgspec.field(default_factory=list)
    status: InspectorStatus = InspectorStatus.ACTIVE
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    affiliation: str | None = None


class UpdateInspector(Command, frozen=True, kw_only=True):
    """Change an inspector's record.  ``None`` leaves a field unchanged; ``""`` clears an
    optional text field; clearing the certificate number clears its dates too."""

    staff_id: str
    reason: str | None = None
    name: str | None = None
    department: str | None = None
    kind: InspectorKind | None = None
    certificate_number: str | None = None
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    expertise: list[str] | None = None
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    affiliation: str | None = None


class ChangeInspectorStatus(Command, frozen=True, kw_only=True):
    staff_id: str
    status: InspectorStatus
    reason: str | None = None


class DeclareConflict(Command, frozen=True, kw_only=True):
    staff_id: str
    subject_key: str
    reason: str | None = None


class WithdrawConflict(Command, frozen=True, kw_only=True):
    staff_id: str
    subject_key: str
    reason: str | None = None


InspectorCommand = (
    RegisterInspector | UpdateInspector | ChangeInspectorStatus | DeclareConflict | WithdrawConflict
)


# Events
class InspectorRegistered(Event, frozen=True, kw_only=True):
    staff_id: str
    name: str
    department: str
    kind: InspectorKind
    certificate_number: str | None = None
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    expertise: list[str] = msgspec.field(default_factory=list)
    status: InspectorStatus = InspectorStatus.ACTIVE
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    affiliation: str | None = None


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One changed field, old and new value as stored JSON (dates as ISO strings)."""

    old: Any = None
    new: Any = None


class InspectorChanged(Event, frozen=True, kw_only=True):
    """What changed, by state field name (snake_case), and why."""

    changes: dict[str, FieldChange]
    reason: str


class InspectorStatusChanged(Event, frozen=True, kw_only=True):
    status: InspectorStatus
    previous: InspectorStatus
    reason: str


class ConflictDeclared(Event, frozen=True, kw_only=True):
    subject_key: str
    reason: str


class ConflictWithdrawn(Event, frozen=True, kw_only=True):
    subject_key: str
    reason: str


# The fields a record (register, update, import) sets; conflicts have their own commands.
CERTIFICATE_FIRST_DAY = date(1990, 1, 1)
CERTIFICATE_LAST_DAY = date(2100, 12, 31)
"""The days a certificate's dates may name: a year typed as 0001 or 9999 is a typing slip."""

RECORD_FIELDS = (
    "name",
    "department",
    "kind",
    "certificate_number",
    "certificate_valid_from",
    "certificate_valid_until",
    "expertise",
    "status",
    "phone",
    "email",
    "user_id",
    "affiliation",
)


# Pure helpers for the draw (第二个随机).
def certificate_valid_on(state: Inspector, day: date) -> bool:
    """The enforcement certificate (执法证) is valid on ``day`` (both ends inclusive)."""
    return (
        state.certificate_number is not None
        and state.certificate_valid_from is not None
        and state.certificate_valid_until is not None
        and state.certificate_valid_from <= day <= state.certificate_valid_until
    )


def counts_towards_minimum(state: Inspector) -> bool:
    """Counts towards the minimum inspectors per subject: experts (专家) only assist."""
    return state.kind is not InspectorKind.EXPERT


def eligible_on(state: Inspector, day: date) -> bool:
    """May be drawn for an inspection on ``day``: on duty (在岗) and, unless an expert, holding a
    certificate valid that day."""
    if state.status is not InspectorStatus.ACTIVE:
        return False
    return state.kind is InspectorKind.EXPERT or certificate_valid_on(state, day)


def has_conflict(state: Inspector, subject_key: str) -> bool:
    """A conflict of interest (回避) with the subject is declared."""
    return any(c.subject_key == subject_key for c in state.conflicts)


# Validation
def _clean(value: str | None) -> str | None:
    """Strip; an empty string is no value."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values))


def _check_expertise(p: Problems, values: list[str] | None) -> None:
    """Field codes as given (so that a problem's index is the input's)."""
    for i, code in enumerate(values or []):
        rules.code(p, f"expertise.{i}", code.strip())


def _check(p: Problems, s: Inspector, departments: frozenset[str]) -> None:
    """Every rule a complete record must keep; ``s`` is already normalised."""
    rules.text(p, "name", s.name, max_len=50)
    if s.department not in departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {s.department!r}")
    rules.phone(p, "phone", s.phone)
    rules.email(p, "email", s.email)
    rules.text(p, "userId", s.user_id, max_len=200, required=False)
    rules.text(p, "affiliation", s.affiliation, max_len=100, required=False)
    rules.text(p, "certificateNumber", s.certificate_number, max_len=50, required=False)
    if s.certificate_number is None:
        if s.kind is InspectorKind.ENFORCEMENT_OFFICER:
            p.add(
                ErrorCode.CERTIFICATE_REQUIRED,
                "certificateNumber",
                "an enforcement officer (执法人员) needs an enforcement certificate (执法证) "
                "number",
            )
        elif s.certificate_valid_from is not None or s.certificate_valid_until is not None:
            p.add(
                ErrorCode.REQUIRED,
                "certificateNumber",
                "certificate dates need the certificate number they belong to",
            )
        return
    if s.certificate_valid_from is None:
        p.add(ErrorCode.REQUIRED, "certificateValidFrom", "a certificate needs its first valid day")
    if s.certificate_valid_until is None:
        p.add(ErrorCode.REQUIRED, "certificateValidUntil", "a certificate needs its expiry day")
    for name, day in (
        ("certificateValidFrom", s.certificate_valid_from),
        ("certificateValidUntil", s.certificate_valid_until),
    ):
        if day is not None and not CERTIFICATE_FIRST_DAY <= day <= CERTIFICATE_LAST_DAY:
            p.add(
                ErrorCode.OUT_OF_RANGE,
                name,
                f"{name} {day.isoformat()} is not between {CERTIFICATE_FIRST_DAY.isoformat()} "
                f"and {CERTIFICATE_LAST_DAY.isoformat()}",
            )
    rules.date_range(
        p, "certificateValidUntil", s.certificate_valid_from, s.certificate_valid_until
    )


def _from_register(c: RegisterInspector) -> Inspector:
    return Inspector(
        staff_id=c.staff_id,
        name=c.name.strip(),
        department=c.department,
        kind=c.kind,
        certificate_number=_clean(c.certificate_number),
        certificate_valid_from=c.certificate_valid_from,
        certificate_valid_until=c.certificate_valid_until,
        expertise=_dedupe(c.expertise),
        status=c.status,
        phone=_clean(c.phone),
        email=_clean(c.email),
        user_id=_clean(c.user_id),
        affiliation=_clean(c.affiliation),
    )


def _date(new: date | None, old: date | None, cleared: bool) -> date | None:
    if new is not None:
        return new
    return None if cleared else old


def _merge(s: Inspector, c: UpdateInspector) -> Inspector:
    def text(new: str | None, old: str | None) -> str | None:
        return old if new is None else _clean(new)

    number = text(c.certificate_number, s.certificate_number)
    cleared = c.certificate_number is not None and number is None
    return replace(
        s,
        name=s.name if c.name is None else c.name.strip(),
        department=s.department if c.department is None else c.department,
        kind=s.kind if c.kind is None else c.kind,
        certificate_number=number,
        certificate_valid_from=_date(c.certificate_valid_from, s.certificate_valid_from, cleared),
        certificate_valid_until=_date(
            c.certificate_valid_until, s.certificate_valid_until, cleared
        ),
        expertise=s.expertise if c.expertise is None else _dedupe(c.expertise),
        phone=text(c.phone, s.phone),
        email=text(c.email, s.email),
        user_id=text(c.user_id, s.user_id),
        affiliation=text(c.affiliation, s.affiliation),
    )


def _changes(old: Inspector, new: Inspector) -> dict[str, FieldChange]:
    a, b = to_data(old), to_data(new)
    return {k: FieldChange(old=a[k], new=b[k]) for k in RECORD_FIELDS if a[k] != b[k]}


def _registered(s: Inspector) -> InspectorRegistered:
    data = to_data(s)
    del data["conflicts"]
    return from_data(data, InspectorRegistered)  # type: ignore[no-any-return]


def _may_maintain(actor: Actor, *departments: str) -> None:
    if not all(actor.maintains(d) for d in departments):
        raise rules.forbid(
            "only the system administrator or the department's administrator maintains its "
            "inspectors",
            "department",
        )


def _may_declare(actor: Actor, state: Inspector) -> None:
    own = actor.user_id is not None and actor.user_id == state.user_id
    if not (own or actor.maintains(state.department)):
        raise rules.forbid(
            "only the inspector themself, the system administrator or the department's "
            "administrator declares or withdraws a conflict of interest (回避)"
        )


def decide(
    state: Inspector | None,
    command: InspectorCommand,
    actor: Actor,
    departments: frozenset[str],
    subject_exists: bool | None = None,
) -> list[Event]:
    """``subject_exists``: whether the subject of a ``DeclareConflict`` is in the registry of
    inspection subjects (检查对象名录库); needed for that command only."""
    p = Problems()
    if isinstance(command, RegisterInspector):
        _may_maintain(actor, command.department)
        rules.code(p, "staffId", command.staff_id)
        _check_expertise(p, command.expertise)
        new = _from_register(command)
        _check(p, new, departments)
        p.raise_if_any()
        if state is not None:
            raise DomainError.one(
                ErrorCode.ALREADY_EXISTS, "staffId", f"inspector {command.staff_id!r} exists"
            )
        return [_registered(new)]
    if state is None:
        raise rules.not_found("inspector", command.staff_id, "staffId")
    if isinstance(command, UpdateInspector):
        _may_maintain(actor, state.department, command.department or state.department)
        rules.reason(p, command.reason, "changing an inspector's record")
        _check_expertise(p, command.expertise)
        new = _merge(state, command)
        _check(p, new, departments)
        p.raise_if_any()
        changes = _changes(state, new)
        if not changes:
            return []
        return [InspectorChanged(changes=changes, reason=str(command.reason).strip())]
    if isinstance(command, ChangeInspectorStatus):
        _may_maintain(actor, state.department)
        rules.reason(p, command.reason, "changing an inspector's status")
        p.raise_if_any()
        if command.status is state.status:
            return []
        return [
            InspectorStatusChanged(
                status=command.status, previous=state.status, reason=str(command.reason).strip()
            )
        ]
    _may_declare(actor, state)
    rules.code(p, "subjectKey", command.subject_key, max_len=100)
    if isinstance(command, DeclareConflict):
        rules.reason(p, command.reason, "declaring a conflict of interest")
        p.raise_if_any()
        if subject_exists is None:
            raise ValueError("DeclareConflict needs subject_exists looked up")
        if not subject_exists:
            raise rules.not_found("inspection subject", command.subject_key, "subjectKey")
        reason = str(command.reason).strip()
        if Conflict(subject_key=command.subject_key, reason=reason) in state.conflicts:
            return []
        return [ConflictDeclared(subject_key=command.subject_key, reason=reason)]
    rules.reason(p, command.reason, "withdrawing a conflict of interest")
    p.raise_if_any()
    if not has_conflict(state, command.subject_key):
        raise DomainError.one(
            ErrorCode.NOT_FOUND,
            "subjectKey",
            f"no conflict of interest with {command.subject_key!r} is declared",
        )
    return [ConflictWithdrawn(subject_key=command.subject_key, reason=str(command.reason).strip())]


def decide_upsert(
    state: Inspector | None,
    register: RegisterInspector,
    actor: Actor,
    departments: frozenset[str],
    reason: str | None,
) -> list[Event]:
    """For the bulk importer: a full record that registers a new inspector or brings an existing
    one up to date (status included; declared conflicts are kept).  Unchanged → no events."""
    if state is None:
        return decide(None, register, actor, departments)
    _may_maintain(actor, state.department, register.department)
    p = Problems()
    rules.reason(p, reason, "changing an inspector's record")
    _check_expertise(p, register.expertise)
    new = replace(_from_register(register), conflicts=state.conflicts)
    _check(p, new, departments)
    p.raise_if_any()
    changes = _changes(state, new)
    if not changes:
        return []
    return [InspectorChanged(changes=changes, reason=str(reason).strip())]


def evolve(state: Inspector | None, event: Event) -> Inspector:
    if isinstance(event, InspectorRegistered):
        return from_data(to_data(event), Inspector)  # type: ignore[no-any-return]
    assert state is not None, f"{type(event).__name__} before InspectorRegistered"
    if isinstance(event, InspectorChanged):
        data = to_data(state)
        data.update({k: c.new for k, c in event.changes.items()})
        return from_data(data, Inspector)  # type: ignore[no-any-return]
    if isinstance(event, InspectorStatusChanged):
        return replace(state, status=event.status)
    if isinstance(event, ConflictDeclared):
        kept = [c for c in state.conflicts if c.subject_key != event.subject_key]
        return replace(
            state, conflicts=[*kept, Conflict(subject_key=event.subject_key, reason=event.reason)]
        )
    if isinstance(event, ConflictWithdrawn):
        return replace(
            state, conflicts=[c for c in state.conflicts if c.subject_key != event.subject_key]
        )
    raise TypeError(f"not an inspector event: {event!r}")


SPEC: AggregateSpec[Inspector] = AggregateSpec(
    name="inspector",
    stream_prefix="inspector-",
    events=(
        InspectorRegistered,
        InspectorChanged,
        InspectorStatusChanged,
        ConflictDeclared,
        ConflictWithdrawn,
    ),
    evolve=evolve,
    state_type=Inspector,
)


def from_inspector(state: Inspector, load: int = 0) -> InspectorCandidate:
    """A candidate from the registry's state (certificate dates only with a certificate)."""
    certified = state.certificate_number is not None
    return InspectorCandidate(
        staff_id=state.staff_id,
        department=state.department,
        kind=state.kind,
        status=state.status,
        certificate_valid_from=state.certificate_valid_from if certified else None,
        certificate_valid_until=state.certificate_valid_until if certified else None,
        expertise=tuple(state.expertise),
        conflicts=tuple(c.subject_key for c in state.conflicts),
        load=load,
    )
