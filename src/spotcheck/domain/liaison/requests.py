"""Requests between the office and the departments (联络员制度 一(五), 二(五)).

``replacement``: stream ``liaison-replacement-{request_id}``.  The office (``office.is_office``)
asks a department to replace a liaison who does not perform (缺乏积极性、主动性，不能履行工作职责),
with a reason; the department (its administrator) answers: REPLACED once the duty has been
handed over to another person since the request (``INVALID_TRANSITION`` before), or RETAINED
with its explanation.  One answer; an answered request is closed.

``coordination``: stream ``coordination-{request_id}``.  A department (its liaison or
administrator, ``office.speaks_for``) raises a matter of joint inspection that needs other
member departments (需要协调其他成员单位配合的事项) to the office; the office answers it.
"""

from __future__ import annotations

import enum
from datetime import date

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.liaison.office import is_office, speaks_for
from spotcheck.domain.values import Liaison

MAX_TEXT = 2000
MAX_DEPARTMENTS = 50


class RequestStatus(enum.Enum):
    OPEN = "OPEN"
    """待答复 Waiting for the answer."""
    ANSWERED = "ANSWERED"
    """已答复 Answered; closed."""


class ReplacementOutcome(enum.Enum):
    REPLACED = "REPLACED"
    """已更换 The liaison duty was handed over to another person."""
    RETAINED = "RETAINED"
    """未更换 The department keeps the liaison and explains why."""


def _open(state: object, what: str) -> None:
    if getattr(state, "status", None) is not RequestStatus.OPEN:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, None, f"the {what} is answered already")


def _id(p: Problems, request_id: str) -> None:
    rules.code(p, "requestId", request_id, max_len=40)


# 一(五) Replacement of a liaison
class ReplacementRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    department: str
    liaison_name: str
    """The liaison the request is about (their name only; contact details stay on the
    department)."""
    liaison_user_id: str | None = None
    reason: str
    requested_by: str
    requested_on: date
    status: RequestStatus = RequestStatus.OPEN
    outcome: ReplacementOutcome | None = None
    response: str | None = None
    answered_by: str | None = None
    answered_on: date | None = None


class RequestLiaisonReplacement(Command, frozen=True, kw_only=True):
    request_id: str
    department: str
    reason: str


class AnswerLiaisonReplacement(Command, frozen=True, kw_only=True):
    request_id: str
    outcome: ReplacementOutcome
    response: str


ReplacementCommand = RequestLiaisonReplacement | AnswerLiaisonReplacement


class LiaisonReplacementRequested(Event, frozen=True, kw_only=True):
    request_id: str
    department: str
    liaison_name: str
    liaison_user_id: str | None
    reason: str
    requested_by: str
    requested_on: date


class LiaisonReplacementAnswered(Event, frozen=True, kw_only=True):
    outcome: ReplacementOutcome
    response: str
    answered_by: str
    answered_on: date


def decide_replacement(
    state: ReplacementRequest | None,
    command: ReplacementCommand,
    actor: Actor,
    liaison: Liaison | None,
    today: date,
) -> list[Event]:
    """``liaison``: the department's liaison now (None: no such department)."""
    match command:
        case RequestLiaisonReplacement():
            return _request_replacement(state, command, actor, liaison, today)
        case AnswerLiaisonReplacement():
            return _answer_replacement(state, command, actor, liaison, today)


def _request_replacement(
    state: ReplacementRequest | None,
    command: RequestLiaisonReplacement,
    actor: Actor,
    liaison: Liaison | None,
    today: date,
) -> list[Event]:
    if not is_office(actor):
        raise rules.forbid("only the office of the joint meeting (联席会议办公室) requests it")
    p = Problems()
    _id(p, command.request_id)
    if liaison is None:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {command.department!r}")
    rules.reason(p, command.reason, "requesting a liaison's replacement")
    p.raise_if_any()
    assert liaison is not None
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "requestId", f"request {command.request_id!r} exists"
        )
    return [
        LiaisonReplacementRequested(
            request_id=command.request_id,
            department=command.department,
            liaison_name=liaison.name,
            liaison_user_id=liaison.user_id,
            reason=command.reason.strip(),
            requested_by=actor.user_id or "public",
            requested_on=today,
        )
    ]


def _answer_replacement(
    state: ReplacementRequest | None,
    command: AnswerLiaisonReplacement,
    actor: Actor,
    liaison: Liaison | None,
    today: date,
) -> list[Event]:
    if state is None:
        raise rules.not_found("replacement request", command.request_id, "requestId")
    if not actor.maintains(state.department):
        raise rules.forbid("only the department's administrator answers for the department")
    _open(state, "replacement request")
    p = Problems()
    rules.text(p, "response", command.response, max_len=MAX_TEXT, multiline=True)
    same = liaison is not None and (liaison.name, liaison.user_id) == (
        state.liaison_name,
        state.liaison_user_id,
    )
    if command.outcome is ReplacementOutcome.REPLACED and same:
        p.add(
            ErrorCode.INVALID_TRANSITION,
            "outcome",
            "the liaison has not been handed over yet: hand the duty over (handOverLiaison) "
            "first, then answer REPLACED",
        )
    p.raise_if_any()
    return [
        LiaisonReplacementAnswered(
            outcome=command.outcome,
            response=command.response.strip(),
            answered_by=actor.user_id or "public",
            answered_on=today,
        )
    ]


def evolve_replacement(state: ReplacementRequest | None, event: Event) -> ReplacementRequest:
    if isinstance(event, LiaisonReplacementRequested):
        return ReplacementRequest(
            request_id=event.request_id,
            department=event.department,
            liaison_name=event.liaison_name,
            liaison_user_id=event.liaison_user_id,
            reason=event.reason,
            requested_by=event.requested_by,
            requested_on=event.requested_on,
        )
    assert state is not None, f"{type(event).__name__} before LiaisonReplacementRequested"
    if isinstance(event, LiaisonReplacementAnswered):
        return replace(
            state,
            status=RequestStatus.ANSWERED,
            outcome=event.outcome,
            response=event.response,
            answered_by=event.answered_by,
            answered_on=event.answered_on,
        )
    raise TypeError(f"not a replacement request event: {event!r}")


# 二(五) Coordination requests
class CoordinationRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    department: str
    title: str
    matter: str
    departments: list[str]
    """The other member departments whose cooperation is needed."""
    raised_by: str
    raised_on: date
    status: RequestStatus = RequestStatus.OPEN
    response: str | None = None
    answered_by: str | None = None
    answered_on: date | None = None


class RaiseCoordinationRequest(Command, frozen=True, kw_only=True):
    request_id: str
    department: str
    title: str
    matter: str
    departments: list[str]


class AnswerCoordinationRequest(Command, frozen=True, kw_only=True):
    request_id: str
    response: str


CoordinationCommand = RaiseCoordinationRequest | AnswerCoordinationRequest


class CoordinationRequested(Event, frozen=True, kw_only=True):
    request_id: str
    department: str
    title: str
    matter: str
    departments: list[str]
    raised_by: str
    raised_on: date


class CoordinationAnswered(Event, frozen=True, kw_only=True):
    response: str
    answered_by: str
    answered_on: date


def decide_coordination(
    state: CoordinationRequest | None,
    command: CoordinationCommand,
    actor: Actor,
    known: frozenset[str],
    today: date,
) -> list[Event]:
    """``known``: the member departments' codes."""
    match command:
        case RaiseCoordinationRequest():
            return _raise(state, command, actor, known, today)
        case AnswerCoordinationRequest():
            return _answer_coordination(state, command, actor, today)


def _others(p: Problems, own: str, given: list[str], known: frozenset[str]) -> list[str]:
    out: list[str] = []
    for n, raw in enumerate(given):
        code = raw.strip()
        if code not in known:
            p.add(ErrorCode.UNKNOWN_DEPARTMENT, f"departments.{n}", f"no department {code!r}")
        elif code == own:
            p.add(
                ErrorCode.OUT_OF_RANGE,
                f"departments.{n}",
                "name the other departments whose cooperation is needed, not your own",
            )
        elif code not in out:
            out.append(code)
    if not given:
        p.add(ErrorCode.REQUIRED, "departments", "name at least one other department")
    if len(out) > MAX_DEPARTMENTS:
        p.add(ErrorCode.OUT_OF_RANGE, "departments", f"at most {MAX_DEPARTMENTS} departments")
    return out


def _raise(
    state: CoordinationRequest | None,
    command: RaiseCoordinationRequest,
    actor: Actor,
    known: frozenset[str],
    today: date,
) -> list[Event]:
    if not speaks_for(actor, command.department):
        raise rules.forbid(
            "only the department's liaison (联络员) or its administrator raises a coordination "
            "request",
            "department",
        )
    p = Problems()
    _id(p, command.request_id)
    rules.text(p, "title", command.title, max_len=200)
    rules.text(p, "matter", command.matter, max_len=MAX_TEXT, multiline=True)
    departments = _others(p, command.department, command.departments, known)
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "requestId", f"request {command.request_id!r} exists"
        )
    return [
        CoordinationRequested(
            request_id=command.request_id,
            department=command.department,
            title=command.title.strip(),
            matter=command.matter.strip(),
            departments=departments,
            raised_by=actor.user_id or "public",
            raised_on=today,
        )
    ]


def _answer_coordination(
    state: CoordinationRequest | None,
    command: AnswerCoordinationRequest,
    actor: Actor,
    today: date,
) -> list[Event]:
    if state is None:
        raise rules.not_found("coordination request", command.request_id, "requestId")
    if not is_office(actor):
        raise rules.forbid("only the office of the joint meeting (联席会议办公室) answers it")
    _open(state, "coordination request")
    p = Problems()
    rules.text(p, "response", command.response, max_len=MAX_TEXT, multiline=True)
    p.raise_if_any()
    return [
        CoordinationAnswered(
            response=command.response.strip(),
            answered_by=actor.user_id or "public",
            answered_on=today,
        )
    ]


def evolve_coordination(state: CoordinationRequest | None, event: Event) -> CoordinationRequest:
    if isinstance(event, CoordinationRequested):
        return CoordinationRequest(
            request_id=event.request_id,
            department=event.department,
            title=event.title,
            matter=event.matter,
            departments=list(event.departments),
            raised_by=event.raised_by,
            raised_on=event.raised_on,
        )
    assert state is not None, f"{type(event).__name__} before CoordinationRequested"
    if isinstance(event, CoordinationAnswered):
        return replace(
            state,
            status=RequestStatus.ANSWERED,
            response=event.response,
            answered_by=event.answered_by,
            answered_on=event.answered_on,
        )
    raise TypeError(f"not a coordination request event: {event!r}")


REPLACEMENT: AggregateSpec[ReplacementRequest] = AggregateSpec(
    name="liaison_replacement_request",
    stream_prefix="liaison-replacement-",
    events=(LiaisonReplacementRequested, LiaisonReplacementAnswered),
    evolve=evolve_replacement,
    state_type=ReplacementRequest,
)
COORDINATION: AggregateSpec[CoordinationRequest] = AggregateSpec(
    name="coordination_request",
    stream_prefix="coordination-",
    events=(CoordinationRequested, CoordinationAnswered),
    evolve=evolve_coordination,
    state_type=CoordinationRequest,
)
