"""议定事项 An action item: a matter decided in signed minutes, assigned to a department with a
due date and tracked to done with evidence of completion (附件1 第五条, 第七条).

Stream ``action-item-{action_id}``.  The office (联席会办公室) assigns it, citing the meeting, the
signed minute and the decided matter's number in it; one responsible department (责任单位) per
item, so a matter for several departments is one item for each.  The department (its
DEPARTMENT_ADMIN or its liaison) reports it done (办结) with the evidence of completion (办结
材料: what was done, with document numbers); the office may report it too.  The office chases an
open item with a reminder (督办), each on record with its date.  Overdue (逾期) is read, never
stored: an item still open after its due date (Beijing calendar date); an item done after its due
date was done late.  ``status_on`` says which on a given day.
"""

from __future__ import annotations

import enum
from datetime import date

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.jointmeeting.composition import forbid_unless_office, is_office
from spotcheck.domain.jointmeeting.meeting import Meeting

MAX_TEXT = 2000


class ActionItemStatus(enum.Enum):
    """议定事项状态 Status of an action item."""

    OPEN = "OPEN"
    """办理中 Open."""
    DONE = "DONE"
    """已办结 Done, with evidence of completion."""


class Progress(enum.Enum):
    """办理进度 Where an action item stands on a given day."""

    OPEN = "OPEN"
    """办理中 Open, not yet due."""
    OVERDUE = "OVERDUE"
    """逾期未办结 Open after its due date."""
    DONE_ON_TIME = "DONE_ON_TIME"
    """按期办结 Done on or before its due date."""
    DONE_LATE = "DONE_LATE"
    """逾期办结 Done after its due date."""


class Reminder(msgspec.Struct, frozen=True, kw_only=True):
    """督办 The office chased the item."""

    reminded_on: date
    note: str
    by: str | None = None


class ActionItem(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an action item."""

    action_id: str
    meeting_id: str
    minutes_number: int
    matter: int
    """The decided matter's 1-based number in the minute."""
    title: str
    department: str
    """责任单位 The responsible department."""
    due_date: date
    assigned_on: date
    status: ActionItemStatus = ActionItemStatus.OPEN
    done_on: date | None = None
    evidence: str | None = None
    """办结材料 Evidence of completion."""
    completed_by: str | None = None
    reminders: list[Reminder] = msgspec.field(default_factory=list)

    def status_on(self, today: date) -> Progress:
        if self.done_on is not None:
            return Progress.DONE_ON_TIME if self.done_on <= self.due_date else Progress.DONE_LATE
        return Progress.OVERDUE if today > self.due_date else Progress.OPEN


class ActionItemRefs(msgspec.Struct, frozen=True, kw_only=True):
    departments: frozenset[str]
    meeting: Meeting | None
    """The cited meeting (for an assignment)."""
    today: date


# Commands
class AssignActionItem(Command, frozen=True, kw_only=True):
    action_id: str
    meeting_id: str
    minutes_number: int
    matter: int
    title: str
    department: str
    due_date: date


class CompleteActionItem(Command, frozen=True, kw_only=True):
    action_id: str
    evidence: str


class RemindActionItem(Command, frozen=True, kw_only=True):
    action_id: str
    note: str


ActionItemCommand = AssignActionItem | CompleteActionItem | RemindActionItem


# Events
class ActionItemAssigned(Event, frozen=True, kw_only=True):
    action_id: str
    meeting_id: str
    minutes_number: int
    matter: int
    title: str
    department: str
    due_date: date
    assigned_on: date


class ActionItemCompleted(Event, frozen=True, kw_only=True):
    done_on: date
    evidence: str
    by: str | None = None


class ActionItemReminded(Event, frozen=True, kw_only=True):
    reminded_on: date
    note: str
    by: str | None = None


def decide(
    state: ActionItem | None, command: ActionItemCommand, actor: Actor, refs: ActionItemRefs
) -> list[Event]:
    match command:
        case AssignActionItem():
            forbid_unless_office(actor, "assigns action items (议定事项)")
            return _assign(state, command, refs)
        case CompleteActionItem():
            return _complete(_existing(state, command.action_id), command, actor, refs)
        case RemindActionItem():
            forbid_unless_office(actor, "chases action items (督办)")
            return _remind(_existing(state, command.action_id), command, actor, refs)


def _existing(state: ActionItem | None, action_id: str) -> ActionItem:
    if state is None:
        raise rules.not_found("action item", action_id, "actionId")
    return state


def _assign(
    state: ActionItem | None, command: AssignActionItem, refs: ActionItemRefs
) -> list[Event]:
    p = Problems()
    rules.code(p, "actionId", command.action_id, max_len=60)
    rules.text(p, "title", command.title, max_len=500)
    department = command.department.strip()
    if department not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {department!r}")
    meeting = refs.meeting
    minute = meeting.minute(command.minutes_number) if meeting else None
    if meeting is None:
        p.add(ErrorCode.NOT_FOUND, "meetingId", f"no meeting {command.meeting_id!r}")
    elif minute is None:
        p.add(ErrorCode.NOT_FOUND, "minutesNumber", f"no minute {command.minutes_number}")
    elif not minute.signed:
        p.add(
            ErrorCode.INVALID_TRANSITION,
            "minutesNumber",
            f"minute {minute.number} is not signed (审签): only signed minutes decide matters",
        )
    elif not 1 <= command.matter <= len(minute.decisions):
        p.add(
            ErrorCode.NOT_FOUND,
            "matter",
            f"minute {minute.number} has {len(minute.decisions)} decided matters (议定事项)",
        )
    if meeting is not None and command.due_date < meeting.held_on:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "dueDate",
            f"the due date {command.due_date.isoformat()} is before the meeting "
            f"({meeting.held_on.isoformat()})",
        )
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "actionId", f"action item {command.action_id!r} exists"
        )
    return [
        ActionItemAssigned(
            action_id=command.action_id,
            meeting_id=command.meeting_id,
            minutes_number=command.minutes_number,
            matter=command.matter,
            title=command.title.strip(),
            department=department,
            due_date=command.due_date,
            assigned_on=refs.today,
        )
    ]


def _may_report(actor: Actor, department: str) -> bool:
    own_admin = Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department
    return is_office(actor) or own_admin or department in actor.liaison_of


def _complete(
    state: ActionItem, command: CompleteActionItem, actor: Actor, refs: ActionItemRefs
) -> list[Event]:
    if not _may_report(actor, state.department):
        raise rules.forbid(
            "the responsible department's DEPARTMENT_ADMIN or liaison (联络员), or the office, "
            "reports an action item done"
        )
    p = Problems()
    rules.text(p, "evidence", command.evidence, max_len=MAX_TEXT, multiline=True)
    p.raise_if_any()
    if state.status is ActionItemStatus.DONE:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            None,
            f"action item {state.action_id!r} is done since {state.done_on}",
        )
    return [
        ActionItemCompleted(done_on=refs.today, evidence=command.evidence.strip(), by=actor.user_id)
    ]


def _remind(
    state: ActionItem, command: RemindActionItem, actor: Actor, refs: ActionItemRefs
) -> list[Event]:
    p = Problems()
    rules.text(p, "note", command.note, max_len=MAX_TEXT, multiline=True)
    p.raise_if_any()
    if state.status is ActionItemStatus.DONE:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            None,
            f"action item {state.action_id!r} is done; there is nothing to chase",
        )
    return [ActionItemReminded(reminded_on=refs.today, note=command.note.strip(), by=actor.user_id)]


def evolve(state: ActionItem | None, event: Event) -> ActionItem:
    if isinstance(event, ActionItemAssigned):
        return ActionItem(
            action_id=event.action_id,
            meeting_id=event.meeting_id,
            minutes_number=event.minutes_number,
            matter=event.matter,
            title=event.title,
            department=event.department,
            due_date=event.due_date,
            assigned_on=event.assigned_on,
        )
    assert state is not None, f"{type(event).__name__} before ActionItemAssigned"
    if isinstance(event, ActionItemCompleted):
        return replace(
            state,
            status=ActionItemStatus.DONE,
            done_on=event.done_on,
            evidence=event.evidence,
            completed_by=event.by,
        )
    if isinstance(event, ActionItemReminded):
        reminder = Reminder(reminded_on=event.reminded_on, note=event.note, by=event.by)
        return replace(state, reminders=[*state.reminders, reminder])
    raise TypeError(f"not an action item event: {event!r}")


SPEC: AggregateSpec[ActionItem] = AggregateSpec(
    name="action_item",
    stream_prefix="action-item-",
    events=(ActionItemAssigned, ActionItemCompleted, ActionItemReminded),
    evolve=evolve,
    state_type=ActionItem,
)
