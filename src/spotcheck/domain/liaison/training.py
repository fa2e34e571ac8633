"""宣传培训 Training sessions for inspectors (联络员制度 二(八)).

Stream ``training-{training_id}``.  A training is recorded after it was held (``held_on`` not
after today, Beijing) with its department, title, content and the inspectors who attended
(staff ids of the registry of inspectors, 执法检查人员名录库); further attendance is recorded
later by the same people (one who signed in late, a list completed).  An attendee is never
removed: the record says who was there.

Who records: the department's liaison or its administrator (``office.speaks_for``) for its own
inspectors only, and the office of the joint meeting (``office.is_office``) for any inspector
(a district-wide training).  Each attendee must be in the registry (``NOT_FOUND``) and, for a
department, one of its own inspectors (``NOT_MAINTAINING_DEPARTMENT``); an attendee already
recorded is ``ALREADY_EXISTS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.liaison.office import is_office, speaks_for

MAX_TEXT = 5000
MAX_ATTENDEES = 500


class Training(msgspec.Struct, frozen=True, kw_only=True):
    training_id: str
    department: str
    """The organising department (the office's own trainings: SCJG)."""
    title: str
    held_on: date
    content: str
    attendees: list[str]
    """Staff ids, in the order recorded."""
    recorded_by: str
    recorded_on: date


class RecordTraining(Command, frozen=True, kw_only=True):
    training_id: str
    department: str
    title: str
    held_on: date
    content: str
    attendees: list[str]


class RecordTrainingAttendance(Command, frozen=True, kw_only=True):
    training_id: str
    attendees: list[str]


TrainingCommand = RecordTraining | RecordTrainingAttendance


class TrainingRecorded(Event, frozen=True, kw_only=True):
    training_id: str
    department: str
    title: str
    held_on: date
    content: str
    attendees: list[str]
    recorded_by: str
    recorded_on: date


class TrainingAttendanceRecorded(Event, frozen=True, kw_only=True):
    attendees: list[str]
    recorded_by: str
    recorded_on: date


def decide(
    state: Training | None,
    command: TrainingCommand,
    actor: Actor,
    departments: frozenset[str],
    inspectors: Mapping[str, str],
    today: date,
) -> list[Event]:
    """``departments``: the member departments' codes; ``inspectors``: the department of each
    named staff id found in the registry (absent: not registered)."""
    match command:
        case RecordTraining():
            return _record(state, command, actor, departments, inspectors, today)
        case RecordTrainingAttendance():
            return _attendance(state, command, actor, inspectors, today)


def _may_record(actor: Actor, department: str) -> None:
    if not (is_office(actor) or speaks_for(actor, department)):
        raise rules.forbid(
            "only the department's liaison (联络员) or administrator, or the office of the joint "
            "meeting (联席会议办公室), records its trainings",
            "department",
        )


def _attendees(
    p: Problems,
    given: list[str],
    department: str,
    actor: Actor,
    inspectors: Mapping[str, str],
    recorded: list[str],
) -> list[str]:
    out: list[str] = []
    office = is_office(actor)
    for n, raw in enumerate(given):
        staff = raw.strip()
        field = f"attendees.{n}"
        if staff not in inspectors:
            p.add(ErrorCode.NOT_FOUND, field, f"no inspector {staff!r} in the registry")
        elif not office and inspectors[staff] != department:
            p.add(
                ErrorCode.NOT_MAINTAINING_DEPARTMENT,
                field,
                f"inspector {staff!r} belongs to {inspectors[staff]}: a department records "
                "the attendance of its own inspectors",
            )
        elif staff in recorded:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"{staff!r} is recorded as attending already")
        elif staff not in out:
            out.append(staff)
    if not given:
        p.add(ErrorCode.REQUIRED, "attendees", "name at least one attending inspector")
    if len(recorded) + len(out) > MAX_ATTENDEES:
        p.add(ErrorCode.OUT_OF_RANGE, "attendees", f"at most {MAX_ATTENDEES} attendees")
    return out


def _record(
    state: Training | None,
    command: RecordTraining,
    actor: Actor,
    departments: frozenset[str],
    inspectors: Mapping[str, str],
    today: date,
) -> list[Event]:
    _may_record(actor, command.department)
    p = Problems()
    rules.code(p, "trainingId", command.training_id)
    if command.department not in departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {command.department!r}")
    rules.text(p, "title", command.title, max_len=200)
    rules.text(p, "content", command.content, max_len=MAX_TEXT, multiline=True)
    if command.held_on > today:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "heldOn",
            f"heldOn ({command.held_on}) is after today ({today}): record a training once held",
        )
    attendees = _attendees(p, command.attendees, command.department, actor, inspectors, [])
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "trainingId", f"training {command.training_id!r} exists"
        )
    return [
        TrainingRecorded(
            training_id=command.training_id,
            department=command.department,
            title=command.title.strip(),
            held_on=command.held_on,
            content=command.content.strip(),
            attendees=attendees,
            recorded_by=actor.user_id or "public",
            recorded_on=today,
        )
    ]


def _attendance(
    state: Training | None,
    command: RecordTrainingAttendance,
    actor: Actor,
    inspectors: Mapping[str, str],
    today: date,
) -> list[Event]:
    if state is None:
        raise rules.not_found("training", command.training_id, "trainingId")
    _may_record(actor, state.department)
    p = Problems()
    attendees = _attendees(
        p, command.attendees, state.department, actor, inspectors, state.attendees
    )
    p.raise_if_any()
    return [
        TrainingAttendanceRecorded(
            attendees=attendees, recorded_by=actor.user_id or "public", recorded_on=today
        )
    ]


def evolve(state: Training | None, event: Event) -> Training:
    if isinstance(event, TrainingRecorded):
        return Training(
            training_id=event.training_id,
            department=event.department,
            title=event.title,
            held_on=event.held_on,
            content=event.content,
            attendees=list(event.attendees),
            recorded_by=event.recorded_by,
            recorded_on=event.recorded_on,
        )
    assert state is not None, f"{type(event).__name__} before TrainingRecorded"
    if isinstance(event, TrainingAttendanceRecorded):
        return replace(state, attendees=[*state.attendees, *event.attendees])
    raise TypeError(f"not a training event: {event!r}")


SPEC: AggregateSpec[Training] = AggregateSpec(
    name="training",
    stream_prefix="training-",
    events=(TrainingRecorded, TrainingAttendanceRecorded),
    evolve=evolve,
    state_type=Training,
)
