# Over 500 lines: one aggregate, a meeting and its minutes, seven commands on one lifecycle.
"""联席会议 A meeting of the joint meeting, with its minutes (会议纪要, 附件1 第五条).

Stream ``meeting-{meeting_id}``.  A meeting is a plenary meeting (全体会议) or a liaison work
meeting (联络员工作会), held on a date, with its agenda (议程), the departments that attended, and
the documents it conveyed (传达的文件, e.g. the city joint meeting's decisions, 第二条(一)).

Minutes, numbered 1, 2, … within the meeting: the office (联席会办公室) drafts them (起草) after
the meeting, listing the decided matters (议定事项) and the named units (相关单位) besides the
members; the convener or the vice convener signs them (审签) — only the accounts the composition
records in those seats; the office then issues them (印发) to every department holding a seat
and the named units, and each of those acknowledges receipt (签收) by its DEPARTMENT_ADMIN or its
liaison (联络员).  A signed minute is never edited: a correction is a new minute that cites it
(``corrects``), drafted, signed and issued in its turn; the cited minute then shows which minute
corrects it.  Dates are Beijing dates by the database clock (``MeetingRefs.today``).
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
from spotcheck.domain.jointmeeting.composition import Composition, Position, forbid_unless_office

MAX_AGENDA = 30
MAX_DECISIONS = 50
MAX_RECIPIENTS = 50
MAX_DOCUMENTS = 30
MAX_TEXT = 20000


class MeetingKind(enum.Enum):
    """会议类型 Kind of meeting."""

    PLENARY = "PLENARY"
    """联席会全体会议 Plenary meeting of the members."""
    LIAISON_WORK = "LIAISON_WORK"
    """联络员工作会 Liaison work meeting."""


class MinutesStatus(enum.Enum):
    """会议纪要状态 Status of a minute."""

    DRAFT = "DRAFT"
    """起草 Drafted by the office; may still be revised."""
    SIGNED = "SIGNED"
    """已审签 Signed by the convener or the vice convener; never edited again."""
    ISSUED = "ISSUED"
    """已印发 Issued to the members and the named units."""


class Acknowledgement(msgspec.Struct, frozen=True, kw_only=True):
    """签收 A recipient department acknowledged receipt of an issued minute."""

    department: str
    acknowledged_on: date
    by: str | None = None
    """The account that acknowledged."""


class Minutes(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    text: str
    decisions: list[str]
    """议定事项 The decided matters, in order (action items cite them by 1-based number)."""
    recipients: list[str]
    """相关单位 Named units (department codes) besides the members."""
    drafted_on: date
    corrects: int | None = None
    """The number of the signed minute this one corrects."""
    status: MinutesStatus = MinutesStatus.DRAFT
    signed_by: str | None = None
    signed_as: Position | None = None
    signed_on: date | None = None
    issued_on: date | None = None
    issued_to: list[str] = msgspec.field(default_factory=list)
    acknowledgements: list[Acknowledgement] = msgspec.field(default_factory=list)
    corrected_by: list[int] = msgspec.field(default_factory=list)
    """The minutes that cite this one as corrected."""

    @property
    def signed(self) -> bool:
        return self.status is not MinutesStatus.DRAFT


class Meeting(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of a meeting and its minutes."""

    meeting_id: str
    kind: MeetingKind
    title: str
    held_on: date
    agenda: list[str]
    documents: list[str]
    """传达的文件 Documents conveyed (e.g. the city joint meeting's decisions)."""
    attended: list[str]
    """出席单位 Departments that attended, sorted."""
    minutes: list[Minutes] = msgspec.field(default_factory=list)

    def minute(self, number: int) -> Minutes | None:
        return self.minutes[number - 1] if 1 <= number <= len(self.minutes) else None


class MeetingRefs(msgspec.Struct, frozen=True, kw_only=True):
    departments: frozenset[str]
    composition: Composition | None
    today: date


# Commands
class ScheduleMeeting(Command, frozen=True, kw_only=True):
    meeting_id: str
    kind: MeetingKind
    title: str
    held_on: date
    agenda: list[str] = msgspec.field(default_factory=list)
    documents: list[str] = msgspec.field(default_factory=list)
    attended: list[str] = msgspec.field(default_factory=list)


class RecordMeetingAttendance(Command, frozen=True, kw_only=True):
    meeting_id: str
    attended: list[str]
    reason: str | None = None


class DraftMinutes(Command, frozen=True, kw_only=True):
    meeting_id: str
    text: str
    decisions: list[str] = msgspec.field(default_factory=list)
    recipients: list[str] = msgspec.field(default_factory=list)
    corrects: int | None = None
    reason: str | None = None
    """Why, required for a correction."""


class ReviseMinutes(Command, frozen=True, kw_only=True):
    meeting_id: str
    number: int
    text: str
    decisions: list[str] = msgspec.field(default_factory=list)
    recipients: list[str] = msgspec.field(default_factory=list)
    reason: str | None = None


class SignMinutes(Command, frozen=True, kw_only=True):
    meeting_id: str
    number: int


class IssueMinutes(Command, frozen=True, kw_only=True):
    meeting_id: str
    number: int


class AcknowledgeMinutes(Command, frozen=True, kw_only=True):
    meeting_id: str
    number: int
    department: str


MeetingCommand = (
    ScheduleMeeting
    | RecordMeetingAttendance
    | DraftMinutes
    | ReviseMinutes
    | SignMinutes
    | IssueMinutes
    | AcknowledgeMinutes
)


# Events
class MeetingScheduled(Event, frozen=True, kw_only=True):
    meeting_id: str
    kind: MeetingKind
    title: str
    held_on: date
    agenda: list[str]
    documents: list[str]
    attended: list[str]


class MeetingAttendanceRecorded(Event, frozen=True, kw_only=True):
    attended: list[str]
    reason: str | None = None


class MinutesDrafted(Event, frozen=True, kw_only=True):
    number: int
    text: str
    decisions: list[str]
    recipients: list[str]
    drafted_on: date
    corrects: int | None = None
    reason: str | None = None


class MinutesRevised(Event, frozen=True, kw_only=True):
    number: int
    text: str
    decisions: list[str]
    recipients: list[str]
    reason: str | None = None


class MinutesSigned(Event, frozen=True, kw_only=True):
    number: int
    signed_by: str
    signed_as: Position
    signed_on: date


class MinutesIssued(Event, frozen=True, kw_only=True):
    number: int
    issued_to: list[str]
    issued_on: date


class MinutesAcknowledged(Event, frozen=True, kw_only=True):
    number: int
    department: str
    acknowledged_on: date
    by: str | None = None


def decide(
    state: Meeting | None, command: MeetingCommand, actor: Actor, refs: MeetingRefs
) -> list[Event]:
    if isinstance(command, ScheduleMeeting):
        return _schedule(state, command, actor, refs)
    if isinstance(command, SignMinutes):
        _forbid_unless_signer(actor, refs.composition)
    elif isinstance(command, AcknowledgeMinutes):
        _forbid_unless_recipient_staff(actor, command.department)
    else:
        forbid_unless_office(actor, "keeps meetings and drafts and issues minutes")
    if state is None:
        raise rules.not_found("meeting", command.meeting_id, "meetingId")
    match command:
        case RecordMeetingAttendance():
            return _attendance(state, command, refs)
        case DraftMinutes():
            return _draft(state, command, refs)
        case ReviseMinutes():
            return _revise(state, command, refs)
        case SignMinutes():
            return _sign(state, command, actor, refs)
        case IssueMinutes():
            return _issue(state, command, refs)
        case AcknowledgeMinutes():
            return _acknowledge(state, command, actor, refs)


def _forbid_unless_signer(actor: Actor, composition: Composition | None) -> None:
    if composition is None or composition.signing_position(actor.user_id) is None:
        raise rules.forbid(
            "only the convener (召集人) or the vice convener (副召集人) recorded in the joint "
            "meeting's composition signs minutes (审签)"
        )


def _forbid_unless_recipient_staff(actor: Actor, department: str) -> None:
    admin = Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department
    if not (admin or department in actor.liaison_of):
        raise rules.forbid(
            "a department's receipt (签收) is acknowledged by its DEPARTMENT_ADMIN or its "
            "liaison (联络员)",
            "department",
        )


def _departments(
    p: Problems, field: str, given: list[str], known: frozenset[str], limit: int
) -> list[str]:
    out: set[str] = set()
    for n, raw in enumerate(given):
        code = raw.strip()
        if code not in known:
            p.add(ErrorCode.UNKNOWN_DEPARTMENT, f"{field}.{n}", f"no department {code!r}")
        out.add(code)
    if len(out) > limit:
        p.add(ErrorCode.OUT_OF_RANGE, field, f"{len(out)} departments; at most {limit}")
    return sorted(out)


def _lines(p: Problems, field: str, given: list[str], limit: int, max_len: int) -> list[str]:
    if len(given) > limit:
        p.add(ErrorCode.OUT_OF_RANGE, field, f"{len(given)} entries; at most {limit}")
    for n, line in enumerate(given):
        rules.text(p, f"{field}.{n}", line, max_len=max_len, multiline=True)
    return [line.strip() for line in given]


def _schedule(
    state: Meeting | None, command: ScheduleMeeting, actor: Actor, refs: MeetingRefs
) -> list[Event]:
    forbid_unless_office(actor, "keeps meetings and drafts and issues minutes")
    p = Problems()
    rules.code(p, "meetingId", command.meeting_id, max_len=40)
    rules.text(p, "title", command.title, max_len=200)
    agenda = _lines(p, "agenda", command.agenda, MAX_AGENDA, 500)
    documents = _lines(p, "documents", command.documents, MAX_DOCUMENTS, 500)
    attended = _departments(p, "attended", command.attended, refs.departments, MAX_RECIPIENTS)
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "meetingId", f"meeting {command.meeting_id!r} exists"
        )
    return [
        MeetingScheduled(
            meeting_id=command.meeting_id,
            kind=command.kind,
            title=command.title.strip(),
            held_on=command.held_on,
            agenda=agenda,
            documents=documents,
            attended=attended,
        )
    ]


def _attendance(state: Meeting, command: RecordMeetingAttendance, refs: MeetingRefs) -> list[Event]:
    p = Problems()
    attended = _departments(p, "attended", command.attended, refs.departments, MAX_RECIPIENTS)
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if attended == state.attended:
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [MeetingAttendanceRecorded(attended=attended, reason=reason)]


def _content(
    p: Problems, text: str, decisions: list[str], recipients: list[str], refs: MeetingRefs
) -> tuple[list[str], list[str]]:
    rules.text(p, "text", text, max_len=MAX_TEXT, multiline=True)
    found = _lines(p, "decisions", decisions, MAX_DECISIONS, 2000)
    units = _departments(p, "recipients", recipients, refs.departments, MAX_RECIPIENTS)
    return found, units


def _draft(state: Meeting, command: DraftMinutes, refs: MeetingRefs) -> list[Event]:
    if refs.today < state.held_on:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            None,
            f"the meeting is held on {state.held_on.isoformat()}; its minutes follow it",
        )
    p = Problems()
    decisions, recipients = _content(p, command.text, command.decisions, command.recipients, refs)
    if command.corrects is not None:
        cited = state.minute(command.corrects)
        if cited is None:
            p.add(ErrorCode.NOT_FOUND, "corrects", f"no minute {command.corrects} of the meeting")
        elif not cited.signed:
            p.add(
                ErrorCode.INVALID_TRANSITION,
                "corrects",
                f"minute {cited.number} is a draft: revise it instead of correcting it",
            )
        rules.reason(p, command.reason, "a correcting minute")
    else:
        rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [
        MinutesDrafted(
            number=len(state.minutes) + 1,
            text=command.text.strip(),
            decisions=decisions,
            recipients=recipients,
            drafted_on=refs.today,
            corrects=command.corrects,
            reason=reason,
        )
    ]


def _minute(state: Meeting, number: int) -> Minutes:
    found = state.minute(number)
    if found is None:
        raise rules.not_found("minute of the meeting", str(number), "number")
    return found


def _unsigned(m: Minutes) -> None:
    if m.signed:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "number",
            f"minute {m.number} is signed (已审签) and never edited: draft a new minute that "
            "corrects it",
        )


def _revise(state: Meeting, command: ReviseMinutes, refs: MeetingRefs) -> list[Event]:
    m = _minute(state, command.number)
    _unsigned(m)
    p = Problems()
    decisions, recipients = _content(p, command.text, command.decisions, command.recipients, refs)
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    text = command.text.strip()
    if (text, decisions, recipients) == (m.text, m.decisions, m.recipients):
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [
        MinutesRevised(
            number=m.number, text=text, decisions=decisions, recipients=recipients, reason=reason
        )
    ]


def _sign(state: Meeting, command: SignMinutes, actor: Actor, refs: MeetingRefs) -> list[Event]:
    m = _minute(state, command.number)
    _unsigned(m)
    assert refs.composition is not None and actor.user_id is not None
    position = refs.composition.signing_position(actor.user_id)
    assert position is not None
    return [
        MinutesSigned(
            number=m.number, signed_by=actor.user_id, signed_as=position, signed_on=refs.today
        )
    ]


def _issue(state: Meeting, command: IssueMinutes, refs: MeetingRefs) -> list[Event]:
    m = _minute(state, command.number)
    if m.status is MinutesStatus.DRAFT:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "number",
            f"minute {m.number} is not signed: the convener or the vice convener signs (审签) "
            "before it is issued (印发)",
        )
    if m.status is MinutesStatus.ISSUED:
        return []
    members = refs.composition.member_departments if refs.composition else []
    issued_to = sorted({*members, *m.recipients})
    return [MinutesIssued(number=m.number, issued_to=issued_to, issued_on=refs.today)]


def _acknowledge(
    state: Meeting, command: AcknowledgeMinutes, actor: Actor, refs: MeetingRefs
) -> list[Event]:
    m = _minute(state, command.number)
    if m.status is not MinutesStatus.ISSUED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, "number", f"minute {m.number} is not issued (印发)"
        )
    department = command.department.strip()
    if department not in m.issued_to:
        raise DomainError.one(
            ErrorCode.NOT_FOUND,
            "department",
            f"minute {m.number} was not issued to {department!r}",
        )
    if any(a.department == department for a in m.acknowledgements):
        return []
    return [
        MinutesAcknowledged(
            number=m.number, department=department, acknowledged_on=refs.today, by=actor.user_id
        )
    ]


def _set(state: Meeting, number: int, **changes: object) -> Meeting:
    minutes = list(state.minutes)
    minutes[number - 1] = replace(minutes[number - 1], **changes)
    return replace(state, minutes=minutes)


def evolve(state: Meeting | None, event: Event) -> Meeting:
    if isinstance(event, MeetingScheduled):
        return Meeting(
            meeting_id=event.meeting_id,
            kind=event.kind,
            title=event.title,
            held_on=event.held_on,
            agenda=list(event.agenda),
            documents=list(event.documents),
            attended=list(event.attended),
        )
    assert state is not None, f"{type(event).__name__} before MeetingScheduled"
    match event:
        case MeetingAttendanceRecorded():
            return replace(state, attended=list(event.attended))
        case MinutesDrafted():
            m = Minutes(
                number=event.number,
                text=event.text,
                decisions=list(event.decisions),
                recipients=list(event.recipients),
                drafted_on=event.drafted_on,
                corrects=event.corrects,
            )
            return replace(state, minutes=[*state.minutes, m])
        case MinutesRevised():
            return _set(
                state,
                event.number,
                text=event.text,
                decisions=list(event.decisions),
                recipients=list(event.recipients),
            )
        case MinutesSigned():
            return _signed(state, event)
        case MinutesIssued():
            return _set(
                state,
                event.number,
                status=MinutesStatus.ISSUED,
                issued_on=event.issued_on,
                issued_to=list(event.issued_to),
            )
        case MinutesAcknowledged():
            m = state.minutes[event.number - 1]
            ack = Acknowledgement(
                department=event.department, acknowledged_on=event.acknowledged_on, by=event.by
            )
            return _set(state, event.number, acknowledgements=[*m.acknowledgements, ack])
    raise TypeError(f"not a meeting event: {event!r}")


def _signed(state: Meeting, event: MinutesSigned) -> Meeting:
    state = _set(
        state,
        event.number,
        status=MinutesStatus.SIGNED,
        signed_by=event.signed_by,
        signed_as=event.signed_as,
        signed_on=event.signed_on,
    )
    cited = state.minutes[event.number - 1].corrects
    if cited is not None:
        earlier = state.minutes[cited - 1]
        state = _set(state, cited, corrected_by=[*earlier.corrected_by, event.number])
    return state


SPEC: AggregateSpec[Meeting] = AggregateSpec(
    name="joint_meeting",
    stream_prefix="meeting-",
    events=(
        MeetingScheduled,
        MeetingAttendanceRecorded,
        MinutesDrafted,
        MinutesRevised,
        MinutesSigned,
        MinutesIssued,
        MinutesAcknowledged,
    ),
    evolve=evolve,
    state_type=Meeting,
)
