"""联席会组成 The composition of the joint meeting (附件1 第四条), as records.

Stream ``joint-meeting-FENGTAI`` (one joint meeting per deployment).  Seats:
- 召集人 convener: the district leader in charge (区主管领导), one;
- 副召集人 vice convener: the head of the district market regulation bureau (SCJG), one;
- 联席会办公室主任 office director: a deputy head of SCJG, one;
- 成员 members: one per member department, its leader in charge (分管负责人).

Each seat holds a person's name (personal data) and, for the convener and the vice convener, the
platform account (``user_id``) that signs minutes (审签, 第五条): who may sign is decided by this
record, never by a role.

Who changes it: the office of the joint meeting (联席会办公室), which 第四条 places at SCJG.  On the
platform "the office" is SYSTEM_ADMIN (the role described as the office that runs the platform)
or the DEPARTMENT_ADMIN of ``OFFICE_DEPARTMENT`` (市场一科 does the office's daily work there):
``is_office``.  Every change is an event with a reason; appointing the same person to the same
seat again, or vacating an empty seat, writes nothing.
"""

from __future__ import annotations

import enum
from datetime import date

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import ErrorCode, Problems

OFFICE_DEPARTMENT = "SCJG"
"""联席会办公室设在区市场监管局 (第四条)."""
JOINT_MEETING = "FENGTAI"
"""The key of the one composition stream."""
MAX_NAME = 50


def is_office(actor: Actor) -> bool:
    """The caller acts for the office of the joint meeting (联席会办公室)."""
    return actor.maintains(OFFICE_DEPARTMENT)


def forbid_unless_office(actor: Actor, what: str) -> None:
    if not is_office(actor):
        raise rules.forbid(
            f"only the office of the joint meeting (联席会办公室: SYSTEM_ADMIN or "
            f"{OFFICE_DEPARTMENT}'s DEPARTMENT_ADMIN) {what}"
        )


class Position(enum.Enum):
    """联席会职务 A seat in the joint meeting."""

    CONVENER = "CONVENER"
    """召集人 The district leader in charge."""
    VICE_CONVENER = "VICE_CONVENER"
    """副召集人 The head of the district market regulation bureau."""
    OFFICE_DIRECTOR = "OFFICE_DIRECTOR"
    """联席会办公室主任 The director of the office."""
    MEMBER = "MEMBER"
    """成员 A member department's leader in charge (分管负责人)."""


SIGNING = frozenset({Position.CONVENER, Position.VICE_CONVENER})
"""The seats that sign minutes (审签, 第五条)."""


class Seat(msgspec.Struct, frozen=True, kw_only=True):
    position: Position
    name: str
    """The person (personal data)."""
    department: str | None = None
    """The department the person leads or belongs to; required for a member."""
    user_id: str | None = None
    """The platform account; required for the convener and the vice convener (they sign)."""
    since: date
    """The date of the appointment (Beijing)."""


class Composition(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of the joint meeting's composition."""

    key: str
    seats: list[Seat] = msgspec.field(default_factory=list)
    """Sorted by position, then department."""

    def seat(self, position: Position, department: str | None = None) -> Seat | None:
        for s in self.seats:
            if s.position is position and (
                position is not Position.MEMBER or s.department == department
            ):
                return s
        return None

    def signing_position(self, user_id: str | None) -> Position | None:
        """The seat (convener first) in which ``user_id`` may sign minutes, if any."""
        if user_id is None:
            return None
        for position in (Position.CONVENER, Position.VICE_CONVENER):
            s = self.seat(position)
            if s is not None and s.user_id == user_id:
                return position
        return None

    @property
    def member_departments(self) -> list[str]:
        """Every department holding a seat, sorted: the recipients of issued minutes."""
        return sorted({s.department for s in self.seats if s.department is not None})


# Commands
class AppointJointMeetingSeat(Command, frozen=True, kw_only=True):
    position: Position
    name: str
    department: str | None = None
    user_id: str | None = None
    reason: str | None = None


class VacateJointMeetingSeat(Command, frozen=True, kw_only=True):
    position: Position
    department: str | None = None
    """The member's department; not given for the other seats."""
    reason: str


CompositionCommand = AppointJointMeetingSeat | VacateJointMeetingSeat


class CompositionRefs(msgspec.Struct, frozen=True, kw_only=True):
    departments: frozenset[str]
    accounts: frozenset[str]
    """Platform accounts that exist (at least the one named)."""
    today: date
    """Beijing, by the database clock."""


# Events
class JointMeetingSeatFilled(Event, frozen=True, kw_only=True):
    position: Position
    name: str
    department: str | None = None
    user_id: str | None = None
    since: date
    reason: str | None = None


class JointMeetingSeatVacated(Event, frozen=True, kw_only=True):
    position: Position
    department: str | None = None
    reason: str


def decide(
    state: Composition | None, command: CompositionCommand, actor: Actor, refs: CompositionRefs
) -> list[Event]:
    forbid_unless_office(actor, "changes the composition of the joint meeting")
    match command:
        case AppointJointMeetingSeat():
            return _appoint(state, command, refs)
        case VacateJointMeetingSeat():
            return _vacate(state, command)


def _appoint(
    state: Composition | None, command: AppointJointMeetingSeat, refs: CompositionRefs
) -> list[Event]:
    p = Problems()
    rules.text(p, "name", command.name, max_len=MAX_NAME)
    department = command.department.strip() if command.department else None
    if command.position is Position.MEMBER and department is None:
        p.add(ErrorCode.REQUIRED, "department", "a member seat is held for a department")
    if department is not None and department not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {department!r}")
    user_id = command.user_id.strip() if command.user_id else None
    if command.position in SIGNING and user_id is None:
        p.add(
            ErrorCode.REQUIRED,
            "userId",
            "the convener and the vice convener sign minutes (审签): name their platform account",
        )
    if user_id is not None and user_id not in refs.accounts:
        p.add(ErrorCode.NOT_FOUND, "userId", f"no account {user_id!r}")
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    current = state.seat(command.position, department) if state else None
    name = command.name.strip()
    if current is not None and (current.name, current.department, current.user_id) == (
        name,
        department,
        user_id,
    ):
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [
        JointMeetingSeatFilled(
            position=command.position,
            name=name,
            department=department,
            user_id=user_id,
            since=refs.today,
            reason=reason,
        )
    ]


def _vacate(state: Composition | None, command: VacateJointMeetingSeat) -> list[Event]:
    p = Problems()
    rules.reason(p, command.reason, "vacating a seat of the joint meeting")
    department = command.department.strip() if command.department else None
    if command.position is Position.MEMBER and department is None:
        p.add(ErrorCode.REQUIRED, "department", "name the member's department")
    p.raise_if_any()
    if state is None or state.seat(command.position, department) is None:
        return []
    return [
        JointMeetingSeatVacated(
            position=command.position, department=department, reason=command.reason.strip()
        )
    ]


def _sorted(seats: list[Seat]) -> list[Seat]:
    order = list(Position)
    return sorted(seats, key=lambda s: (order.index(s.position), s.department or ""))


def _same_seat(s: Seat, position: Position, department: str | None) -> bool:
    return s.position is position and (
        position is not Position.MEMBER or s.department == department
    )


def evolve(state: Composition | None, event: Event) -> Composition:
    state = state or Composition(key=JOINT_MEETING)
    if isinstance(event, JointMeetingSeatFilled):
        seat = Seat(
            position=event.position,
            name=event.name,
            department=event.department,
            user_id=event.user_id,
            since=event.since,
        )
        kept = [s for s in state.seats if not _same_seat(s, event.position, event.department)]
        return replace(state, seats=_sorted([*kept, seat]))
    if isinstance(event, JointMeetingSeatVacated):
        kept = [s for s in state.seats if not _same_seat(s, event.position, event.department)]
        return replace(state, seats=kept)
    raise TypeError(f"not a joint meeting composition event: {event!r}")


SPEC: AggregateSpec[Composition] = AggregateSpec(
    name="joint_meeting_composition",
    stream_prefix="joint-meeting-",
    events=(JointMeetingSeatFilled, JointMeetingSeatVacated),
    evolve=evolve,
    state_type=Composition,
)
