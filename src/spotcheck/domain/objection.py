"""异议 Objections to a published result (异议申请) and their answers.

Stream ``objection-{objection_id}``; the id (受理编号) is made by the service when the objection
is filed (``OBJ-`` and 16 random hexadecimal digits) and is the filer's reference number.

Who files (:class:`FilerKind`):

* PUBLIC (公众, no login): anyone holding the published result's key and the subject's USCC
  (统一社会信用代码) files grounds only.  The public cannot upload evidence (``POST /evidence``
  is staff only), so a public objection takes no attachments (FORBIDDEN on ``attachments``).
  A key that is not a published result, a subject without a USCC, and a USCC that is not the
  subject's all get the same NOT_FOUND: the mutation reveals nothing that is not public.
* STAFF: the lead department's (牵头部门) DEPARTMENT_ADMIN or SYSTEM_ADMIN registers an
  objection received on paper or at the counter, and may attach the evidence the business
  handed in (uploaded first, referenced by SHA-256 as results do, docs/evidence.md).

The lead department answers within the number of working days recorded with the objection
(``working_days``: ``SPOTCHECK_OBJECTION_WORKING_DAYS`` when filed, default 10), counted on the
working-day calendar from the filing date (the filing day itself is not counted, the deadline
day is still in time; a year without a holiday schedule leaves the deadline undetermined, never
guessed: ``spotcheck.domain.deadlines.assess``).  The answer (:class:`AnswerOutcome`):

* UPHELD 维持: after re-examination the published result stands, with the reasons;
* CORRECTED 更正: the result was amended with ``amendInspectionResult`` citing this objection
  (``objectionId``): the public record shows the amendment as a correction (更正) with its date
  and reason; the answer needs such an amendment first;
* REJECTED 驳回: the objection is refused (no standing, not about this result, unfounded), with
  the reasons.

Every answer needs a reason.  Once answered an objection is closed (INVALID_TRANSITION).
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import assert_never

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection import PublishedRecord

DEFAULT_ANSWER_WORKING_DAYS = 10
MAX_ANSWER_WORKING_DAYS = 60
MAX_GROUNDS = 5000
MAX_ATTACHMENTS = 10
MAX_DESCRIPTION = 200
MAX_ITEMS = 50
KEY = re.compile(r"^OBJ-[0-9A-F]{16}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FilerKind(enum.Enum):
    """异议申请人 Who filed an objection."""

    PUBLIC = "PUBLIC"
    """公众 Filed through the public API with the result's key and the subject's USCC."""
    STAFF = "STAFF"
    """代为登记 Registered by the lead department's administrator (a paper application)."""


class ObjectionStatus(enum.Enum):
    """异议状态 Where an objection stands."""

    FILED = "FILED"
    """已受理 Filed, awaiting the lead department's answer."""
    ANSWERED = "ANSWERED"
    """已答复 Answered (upheld, corrected or rejected)."""


class AnswerOutcome(enum.Enum):
    """答复结果 The lead department's answer to an objection."""

    UPHELD = "UPHELD"
    """维持 The published result stands after re-examination (with the reasons)."""
    CORRECTED = "CORRECTED"
    """更正 The published result was amended on this objection (a correction, shown publicly)."""
    REJECTED = "REJECTED"
    """驳回 The objection is refused (with the reasons)."""


class Attachment(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    description: str | None = None


class Objection(msgspec.Struct, frozen=True, kw_only=True):
    objection_id: str
    inspection_id: str
    subject: str
    subject_name: str
    uscc: str | None
    department: str
    """牵头部门 The lead department of the result: it answers."""
    items: list[str]
    """The items objected to (empty: the whole result)."""
    grounds: str
    attachments: list[Attachment]
    filer: FilerKind
    filed_by: str
    filed_on: date
    working_days: int
    status: ObjectionStatus = ObjectionStatus.FILED
    outcome: AnswerOutcome | None = None
    answer_reason: str | None = None
    answered_on: date | None = None
    answered_by: str | None = None
    amendments: list[int] = msgspec.field(default_factory=list)
    """The amendment numbers of the inspection that cite this objection (CORRECTED)."""


# Commands
class FileObjection(Command, frozen=True, kw_only=True):
    inspection_id: str
    uscc: str | None = None
    grounds: str | None = None
    items: list[str] = msgspec.field(default_factory=list)
    attachments: list[Attachment] = msgspec.field(default_factory=list)


class AnswerObjection(Command, frozen=True, kw_only=True):
    objection_id: str
    outcome: AnswerOutcome
    reason: str | None = None


ObjectionCommand = FileObjection | AnswerObjection


# Events
class ObjectionFiled(Event, frozen=True, kw_only=True):
    """异议申请 Everything a reader of the ledger alone needs, the answer period included."""

    objection_id: str
    inspection_id: str
    subject: str
    subject_name: str
    uscc: str | None
    department: str
    items: list[str]
    grounds: str
    attachments: list[Attachment]
    filer: FilerKind
    filed_by: str
    filed_on: date
    working_days: int


class ObjectionAnswered(Event, frozen=True, kw_only=True):
    """异议答复 The outcome, the reasons, who and when (and the amendments it rests on)."""

    outcome: AnswerOutcome
    reason: str
    answered_on: date
    answered_by: str
    amendments: list[int] = msgspec.field(default_factory=list)


class ObjectionRefs(msgspec.Struct, frozen=True, kw_only=True):
    """What a decision reads from elsewhere, loaded by the service."""

    today: date
    working_days: int = DEFAULT_ANSWER_WORKING_DAYS
    record: PublishedRecord | None = None
    """The published result objected to (None: not published, or no such key)."""
    known_evidence: frozenset[str] = frozenset()
    collected_evidence: frozenset[str] = frozenset()
    unreadable_evidence: frozenset[str] = frozenset()
    amendments: list[int] = msgspec.field(default_factory=list)
    """Answer: the inspection's amendment numbers that cite this objection."""


def normalise_uscc(value: str | None) -> str:
    return (value or "").strip().upper()


def answers(actor: Actor, department: str) -> bool:
    """The lead department's administrator or the system administrator."""
    return actor.is_admin or (
        Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department
    )


def _no_result(c: FileObjection) -> DomainError:
    # One message whatever is missing: no such key, not published, no USCC, another USCC.
    return DomainError.one(
        ErrorCode.NOT_FOUND,
        "inspectionId",
        f"no published result {c.inspection_id.strip()!r} of the subject with USCC "
        f"{normalise_uscc(c.uscc)!r}",
    )


def _check_attachments(p: Problems, c: FileObjection, refs: ObjectionRefs) -> list[Attachment]:
    if len(c.attachments) > MAX_ATTACHMENTS:
        p.add(ErrorCode.OUT_OF_RANGE, "attachments", f"at most {MAX_ATTACHMENTS} attachments")
    out: list[Attachment] = []
    seen: set[str] = set()
    for n, a in enumerate(c.attachments[:MAX_ATTACHMENTS]):
        field = f"attachments.{n}.sha256"
        digest = a.sha256.strip().lower()
        rules.text(p, f"attachments.{n}.description", a.description, required=False)
        if not _SHA256.match(digest):
            p.add(ErrorCode.INVALID_FORMAT, field, "a SHA-256 is 64 hexadecimal digits")
        elif digest in seen:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"evidence {digest} is given twice")
        elif digest in refs.collected_evidence:
            p.add(
                ErrorCode.EVIDENCE_COLLECTED,
                field,
                f"evidence {digest} was collected; upload it again with POST /evidence",
            )
        elif digest not in refs.known_evidence:
            p.add(ErrorCode.NOT_FOUND, field, f"no uploaded evidence {digest}")
        elif digest in refs.unreadable_evidence:
            p.add(ErrorCode.FORBIDDEN, field, f"evidence {digest} is not yours to attach")
        seen.add(digest)
        description = a.description.strip() if a.description and a.description.strip() else None
        out.append(Attachment(sha256=digest, description=description))
    return out


def _check_items(p: Problems, items: list[str], record: PublishedRecord) -> list[str]:
    known = {i.item for i in record.items}
    if len(items) > MAX_ITEMS:
        p.add(ErrorCode.OUT_OF_RANGE, "items", f"at most {MAX_ITEMS} items")
    out: list[str] = []
    for n, raw in enumerate(items[:MAX_ITEMS]):
        code = raw.strip()
        if code not in known:
            p.add(ErrorCode.UNKNOWN_ITEM, f"items.{n}", f"{code!r} is not an item of this result")
        elif code not in out:
            out.append(code)
    return out


def _file(
    state: Objection | None, c: FileObjection, actor: Actor, refs: ObjectionRefs, key: str
) -> list[Event]:
    if state is not None:
        raise DomainError.one(ErrorCode.ALREADY_EXISTS, None, f"objection {key!r} exists")
    record = refs.record
    given = normalise_uscc(c.uscc)
    if record is None or (actor.is_public and (not record.uscc or given != record.uscc)):
        raise _no_result(c)
    if given and given != record.uscc:
        raise _no_result(c)
    lead = record.departments[0]
    if not actor.is_public and not answers(actor, lead):
        raise rules.forbid(
            "an objection is filed by the business itself (public, with the USCC) or registered "
            f"by the lead department's ({lead}) administrator"
        )
    p = Problems()
    if actor.is_public and c.attachments:
        p.add(
            ErrorCode.FORBIDDEN,
            "attachments",
            "the public files grounds only: evidence is uploaded by staff, so hand it to the lead "
            "department, which registers it with the objection",
        )
    rules.text(p, "grounds", c.grounds, max_len=MAX_GROUNDS, multiline=True)
    items = _check_items(p, c.items, record)
    attachments = [] if actor.is_public else _check_attachments(p, c, refs)
    if not 1 <= refs.working_days <= MAX_ANSWER_WORKING_DAYS:
        p.add(ErrorCode.OUT_OF_RANGE, None, "the answer period is 1 to 60 working days")
    p.raise_if_any()
    return [
        ObjectionFiled(
            objection_id=key,
            inspection_id=record.inspection_id,
            subject=record.subject,
            subject_name=record.subject_name,
            uscc=record.uscc,
            department=lead,
            items=items,
            grounds=str(c.grounds).strip(),
            attachments=attachments,
            filer=FilerKind.PUBLIC if actor.is_public else FilerKind.STAFF,
            filed_by=actor.user_id or "public",
            filed_on=refs.today,
            working_days=refs.working_days,
        )
    ]


def _answer(
    state: Objection | None, c: AnswerObjection, actor: Actor, refs: ObjectionRefs
) -> list[Event]:
    if state is None:
        raise rules.not_found("objection", c.objection_id, "objectionId")
    if not answers(actor, state.department):
        raise DomainError.one(
            ErrorCode.NOT_LEAD_DEPARTMENT,
            "objectionId",
            f"only the lead department's (牵头部门 {state.department}) administrator answers",
        )
    if state.status is not ObjectionStatus.FILED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "objectionId",
            f"objection {state.objection_id!r} is {state.status.value}; it is answered once",
        )
    p = Problems()
    rules.reason(p, c.reason, "answering an objection")
    if c.outcome is AnswerOutcome.CORRECTED and not refs.amendments:
        p.add(
            ErrorCode.INVALID_TRANSITION,
            "outcome",
            "CORRECTED needs an amendment of the result citing this objection first "
            "(amendInspectionResult with objectionId)",
        )
    if c.outcome is not AnswerOutcome.CORRECTED and refs.amendments:
        p.add(
            ErrorCode.INVALID_TRANSITION,
            "outcome",
            f"the result was amended on this objection (amendment {refs.amendments}): the "
            "answer is CORRECTED",
        )
    p.raise_if_any()
    return [
        ObjectionAnswered(
            outcome=c.outcome,
            reason=str(c.reason).strip(),
            answered_on=refs.today,
            answered_by=str(actor.user_id),
            amendments=list(refs.amendments),
        )
    ]


def decide(
    state: Objection | None,
    command: ObjectionCommand,
    actor: Actor,
    refs: ObjectionRefs,
    key: str,
) -> list[Event]:
    match command:
        case FileObjection():
            return _file(state, command, actor, refs, key)
        case AnswerObjection():
            return _answer(state, command, actor, refs)
        case _:
            assert_never(command)


def evolve(state: Objection | None, event: Event) -> Objection:
    if isinstance(event, ObjectionFiled):
        assert state is None, "ObjectionFiled on an existing objection"
        return Objection(
            objection_id=event.objection_id,
            inspection_id=event.inspection_id,
            subject=event.subject,
            subject_name=event.subject_name,
            uscc=event.uscc,
            department=event.department,
            items=list(event.items),
            grounds=event.grounds,
            attachments=list(event.attachments),
            filer=event.filer,
            filed_by=event.filed_by,
            filed_on=event.filed_on,
            working_days=event.working_days,
        )
    assert state is not None, f"{type(event).__name__} before the objection was filed"
    if isinstance(event, ObjectionAnswered):
        return msgspec.structs.replace(
            state,
            status=ObjectionStatus.ANSWERED,
            outcome=event.outcome,
            answer_reason=event.reason,
            answered_on=event.answered_on,
            answered_by=event.answered_by,
            amendments=list(event.amendments),
        )
    raise TypeError(f"not an objection event: {event!r}")


SPEC: AggregateSpec[Objection] = AggregateSpec(
    name="objection",
    stream_prefix="objection-",
    events=(ObjectionFiled, ObjectionAnswered),
    evolve=evolve,
    state_type=Objection,
)
