# Over 500 lines: one aggregate, read against docs/draw-protocol.md.
"""抽取 The draws of a task (双随机) and the inspections (检查) they give.

Stream ``draw-{task_id}`` holds every draw of one task, numbered 1, 2, …  Each draw goes

    COMMITTED (已承诺) → EXECUTED (已抽取)

and either may be VOIDED (已作废) with a reason.  At most one draw of a task is not voided at a
time: a re-draw needs ``voidDraw`` (SYSTEM_ADMIN only, with a reason) and then a new commit, and
both draws stay in the record (deployed platforms delete the previous draw, so staff can draw
until they like the outcome; here they cannot).

* ``CommitDraw`` (commitDraw) freezes the population at a ledger position, the parameters, the
  inspector candidates, the public entropy sources named in advance and the commitment
  ``SHA-256(server seed)``: the :class:`~spotcheck.draw.transcript.Commit`, public at once.  The
  populations and the candidates are stored content-addressed (their digests are in the
  commit); the server seed is kept apart and is in no event until execution.
* ``ExecuteDraw`` (executeDraw) takes the entropy values, reveals the seed and records the
  digest of the transcript (docs/draw-protocol.md) and of the outcome (picks, teams, unmatched
  subjects), which are stored content-addressed too.  Every drawn subject with a team becomes
  one inspection (检查, the ``inspections`` read table); a subject for whom no team could be
  drawn is counted here, by reason, and listed in the outcome: never dropped in silence.
* ``ReplaceInspector`` (replaceInspector) records who fell out of an inspection's team, why,
  and whom the draw put in (same key, next replacement counter): never chosen by hand.

Who: commit, execute and replace: SYSTEM_ADMIN or the task's lead department's (牵头部门)
DEPARTMENT_ADMIN; void: SYSTEM_ADMIN only.  The task must be PUBLISHED to commit, execute or
replace.

The decision is pure: the service freezes the population, runs the draw
(``spotcheck.draw.transcript``) and hands the results in; ``check`` is the same rules without
the results, so a service can refuse before doing the heavy work.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.task import Task, TaskStatus
from spotcheck.draw.matching import Assignment, TaskRules, Unmatched, UnmatchedReason
from spotcheck.draw.rfc3797 import KeyStringError, check_text
from spotcheck.draw.select import Stratum, StratumSelection
from spotcheck.draw.transcript import (
    MAX_SAFE_INTEGER,
    Commit,
    EntropySource,
    EntropyValue,
    SourceKind,
)

MAX_SOURCES = 20
MAX_NUMBERS = 100
MAX_SOURCE_NAME = 200
MAX_DESCRIPTION = 1000
MAX_TEXT_VALUE = 1000
SINGLE_STRATUM = "ALL"
"""The stratum id of a task that is not stratified by credit risk class."""


class DrawStatus(enum.Enum):
    """抽取状态 Status of one draw of a task."""

    COMMITTED = "COMMITTED"
    """已承诺 Population, parameters and commitment frozen and public; awaiting the entropy."""
    EXECUTED = "EXECUTED"
    """已抽取 Executed: subjects drawn and inspectors matched."""
    VOIDED = "VOIDED"
    """已作废 Voided with a reason (SYSTEM_ADMIN); kept in the record."""


class InspectionStatus(enum.Enum):
    """检查状态 Status of an inspection."""

    ASSIGNED = "ASSIGNED"
    """已派出 Drawn and assigned a team; not yet done."""


class Replacement(msgspec.Struct, frozen=True, kw_only=True):
    """One replaceInspector, as the draw records it."""

    subject: str
    counter: int
    replaced: str
    reason: str
    replacement: str | None
    """None: nobody could take the place (``unmatched_reason`` says why)."""
    unmatched_reason: UnmatchedReason | None = None


class Draw(msgspec.Struct, frozen=True, kw_only=True):
    """One draw of a task (抽取)."""

    number: int
    status: DrawStatus
    commit: Commit
    commit_digest: str
    items: list[str]
    """The task's inspection items when the draw was committed."""
    unsealed_events: int
    """Events committed but not yet sealed when the population was read (see the commit)."""
    entropy: list[EntropyValue] = msgspec.field(default_factory=list)
    server_seed: str | None = None
    """Revealed at execution (64 hex digits)."""
    transcript_digest: str | None = None
    """SHA-256 of the transcript as it stands (replacements append to it)."""
    outcome_digest: str | None = None
    """SHA-256 of the stored :class:`DrawOutcome`."""
    assigned: int = 0
    unmatched: int = 0
    unmatched_by_reason: dict[str, int] = msgspec.field(default_factory=dict)
    replacements: list[Replacement] = msgspec.field(default_factory=list)
    void_reason: str | None = None
    voided_from: DrawStatus | None = None
    """The status the draw had when it was voided."""


class TaskDraws(msgspec.Struct, frozen=True, kw_only=True):
    """Every draw of one task, in order (draw ``n`` is ``draws[n - 1]``)."""

    task_id: str
    draws: list[Draw] = msgspec.field(default_factory=list)

    def current(self) -> Draw | None:
        """The draw that is not voided, if any."""
        last = self.draws[-1] if self.draws else None
        return last if last is not None and last.status is not DrawStatus.VOIDED else None

    def get(self, number: int) -> Draw | None:
        return self.draws[number - 1] if 1 <= number <= len(self.draws) else None


class DrawOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What an executed draw gives, stored content-addressed (its digest is in DrawExecuted):
    everything the inspections read table and the public pages need without reading the whole
    transcript."""

    task: str
    number: int
    items: list[str]
    departments: list[str]
    start: str
    end: str
    selection: list[StratumSelection]
    batch_order: list[str]
    assignments: list[Assignment]
    unmatched: list[Unmatched]


# Commands
class CommitDraw(Command, frozen=True, kw_only=True):
    task_id: str
    sources: list[EntropySource]


class ExecuteDraw(Command, frozen=True, kw_only=True):
    task_id: str
    entropy: list[EntropyValue]


class VoidDraw(Command, frozen=True, kw_only=True):
    task_id: str
    reason: str | None = None


class ReplaceInspector(Command, frozen=True, kw_only=True):
    task_id: str
    number: int
    subject: str
    staff_id: str
    reason: str | None = None


DrawCommand = CommitDraw | ExecuteDraw | VoidDraw | ReplaceInspector


# What the service computed, handed to ``decide``
class Committed(msgspec.Struct, frozen=True, kw_only=True):
    commit: Commit
    commit_digest: str
    unsealed_events: int


class Executed(msgspec.Struct, frozen=True, kw_only=True):
    server_seed: str
    transcript_digest: str
    outcome_digest: str
    assigned: int
    unmatched_by_reason: dict[str, int]


class Replaced(msgspec.Struct, frozen=True, kw_only=True):
    counter: int
    replacement: str | None
    unmatched_reason: UnmatchedReason | None
    lead: str | None
    officers: list[str]
    experts: list[str]
    transcript_digest: str


Result = Committed | Executed | Replaced


# Events
class DrawCommitted(Event, frozen=True, kw_only=True):
    """The commit, public at once: the population digests are in ``commit.strata``, the
    candidates' in ``commit.candidates_digest``; the lists themselves are stored by digest."""

    number: int
    commit: Commit
    commit_digest: str
    items: list[str]
    unsealed_events: int


class DrawExecuted(Event, frozen=True, kw_only=True):
    number: int
    entropy: list[EntropyValue]
    server_seed: str
    transcript_digest: str
    outcome_digest: str
    assigned: int
    unmatched: int
    unmatched_by_reason: dict[str, int]


class DrawVoided(Event, frozen=True, kw_only=True):
    number: int
    reason: str
    status: DrawStatus
    """The status the draw had (COMMITTED or EXECUTED)."""


class InspectorReplaced(Event, frozen=True, kw_only=True):
    number: int
    subject: str
    staff_id: str
    reason: str
    counter: int
    replacement: str | None
    unmatched_reason: UnmatchedReason | None = None
    lead: str | None
    officers: list[str]
    experts: list[str]
    """The team after the replacement."""
    transcript_digest: str


# Rules
def _may_draw(actor: Actor, task: Task) -> None:
    if not actor.maintains(task.department):
        raise rules.forbid(
            "only the system administrator or the lead department's administrator "
            f"({task.department}) draws for this task"
        )


def _published(task: Task) -> None:
    if task.status is not TaskStatus.PUBLISHED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "taskId",
            f"task {task.task_id!r} is {task.status.value}; only a published task is drawn",
        )


def check_sources(p: Problems, sources: list[EntropySource]) -> None:
    if not sources:
        p.add(
            ErrorCode.REQUIRED,
            "sources",
            "name at least one public future entropy source (e.g. 双色球 by game and issue)",
        )
    elif len(sources) > MAX_SOURCES:
        p.add(ErrorCode.OUT_OF_RANGE, "sources", f"at most {MAX_SOURCES} sources")
    seen: set[str] = set()
    for i, s in enumerate(sources):
        rules.text(p, f"sources[{i}].name", s.name, max_len=MAX_SOURCE_NAME)
        rules.text(
            p,
            f"sources[{i}].description",
            s.description,
            max_len=MAX_DESCRIPTION,
            required=False,
            multiline=True,
        )
        if s.name.strip() and s.name in seen:
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"sources[{i}].name",
                f"source {s.name!r} is named twice; names must be distinct",
            )
        seen.add(s.name)


def check_entropy(p: Problems, sources: list[EntropySource], entropy: list[EntropyValue]) -> None:
    names = [s.name for s in sources]
    if [e.name for e in entropy] != names:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "entropy",
            f"give one value for each committed source, in the committed order: {names}",
        )
        return
    for i, (s, e) in enumerate(zip(sources, entropy, strict=True)):
        field = f"entropy[{i}].value"
        if s.kind is SourceKind.TEXT:
            if not isinstance(e.value, str):
                p.add(ErrorCode.INVALID_FORMAT, field, f"{s.name}: a TEXT source has one text")
                continue
            if len(e.value) > MAX_TEXT_VALUE:
                p.add(ErrorCode.TOO_LONG, field, f"at most {MAX_TEXT_VALUE} characters")
                continue
            try:
                check_text(e.value)
            except KeyStringError as err:
                p.add(ErrorCode.INVALID_FORMAT, field, f"{s.name}: {err}")
        elif isinstance(e.value, str):
            p.add(ErrorCode.INVALID_FORMAT, field, f"{s.name}: a NUMBERS source has numbers")
        elif not e.value:
            p.add(ErrorCode.REQUIRED, field, f"{s.name}: give the numbers the source published")
        elif len(e.value) > MAX_NUMBERS:
            p.add(ErrorCode.OUT_OF_RANGE, field, f"at most {MAX_NUMBERS} numbers per source")
        elif any(not 0 <= v <= MAX_SAFE_INTEGER for v in e.value):
            p.add(ErrorCode.OUT_OF_RANGE, field, "numbers are integers from 0 to 2^53 - 1")


def _invalid(message: str) -> DomainError:
    return DomainError.one(ErrorCode.INVALID_TRANSITION, "taskId", message)


def _executed_draw(state: TaskDraws | None, number: int) -> Draw:
    draw = state.get(number) if state is not None else None
    if draw is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, "inspectionId", f"no draw {number}")
    if draw.status is not DrawStatus.EXECUTED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "inspectionId",
            f"draw {number} is {draw.status.value}; only an executed draw's inspections change",
        )
    return draw


def check(state: TaskDraws | None, command: DrawCommand, actor: Actor, task: Task | None) -> None:
    """Every rule ``decide`` applies that does not need the service's results."""
    if task is None:
        field = "inspectionId" if isinstance(command, ReplaceInspector) else "taskId"
        raise rules.not_found("task", command.task_id, field)
    current = state.current() if state is not None else None
    p = Problems()
    if isinstance(command, CommitDraw):
        _may_draw(actor, task)
        _published(task)
        check_sources(p, command.sources)
        p.raise_if_any()
        if current is not None:
            raise _invalid(
                f"draw {current.number} is {current.status.value}; a new draw needs it voided "
                "first (voidDraw, by the system administrator, with a reason)"
            )
    elif isinstance(command, ExecuteDraw):
        _may_draw(actor, task)
        _published(task)
        if current is None or current.status is not DrawStatus.COMMITTED:
            what = (
                f"draw {current.number} is already executed"
                if current is not None
                else "no committed draw"
            )
            raise _invalid(f"{what}; executeDraw needs a committed draw")
        check_entropy(p, current.commit.sources, command.entropy)
        p.raise_if_any()
    elif isinstance(command, VoidDraw):
        if not actor.is_admin:
            raise rules.forbid("only the system administrator voids a draw")
        rules.reason(p, command.reason, "voiding a draw")
        p.raise_if_any()
        if current is None:
            raise _invalid("the task has no draw to void")
    else:
        _may_draw(actor, task)
        _published(task)
        _executed_draw(state, command.number)
        rules.reason(p, command.reason, "replacing an inspector")
        p.raise_if_any()


def decide(
    state: TaskDraws | None,
    command: DrawCommand,
    actor: Actor,
    task: Task | None,
    result: Result | None = None,
) -> list[Event]:
    """The events of ``command``; ``result`` is what the service computed for it (none for
    voidDraw)."""
    check(state, command, actor, task)
    if isinstance(command, VoidDraw):
        assert state is not None
        current = state.current()
        assert current is not None
        return [
            DrawVoided(
                number=current.number, reason=str(command.reason).strip(), status=current.status
            )
        ]
    if isinstance(command, CommitDraw):
        assert isinstance(result, Committed) and task is not None
        if result.commit.task != task.task_id:
            raise ValueError("the commit is for another task")
        return [
            DrawCommitted(
                number=len(state.draws) + 1 if state is not None else 1,
                commit=result.commit,
                commit_digest=result.commit_digest,
                items=list(task.items),
                unsealed_events=result.unsealed_events,
            )
        ]
    if isinstance(command, ExecuteDraw):
        assert isinstance(result, Executed) and state is not None
        current = state.current()
        assert current is not None
        return [
            DrawExecuted(
                number=current.number,
                entropy=list(command.entropy),
                server_seed=result.server_seed,
                transcript_digest=result.transcript_digest,
                outcome_digest=result.outcome_digest,
                assigned=result.assigned,
                unmatched=sum(result.unmatched_by_reason.values()),
                unmatched_by_reason=dict(sorted(result.unmatched_by_reason.items())),
            )
        ]
    assert isinstance(result, Replaced)
    return [
        InspectorReplaced(
            number=command.number,
            subject=command.subject,
            staff_id=command.staff_id,
            reason=str(command.reason).strip(),
            counter=result.counter,
            replacement=result.replacement,
            unmatched_reason=result.unmatched_reason,
            lead=result.lead,
            officers=list(result.officers),
            experts=list(result.experts),
            transcript_digest=result.transcript_digest,
        )
    ]


def _with_draw(state: TaskDraws, number: int, draw: Draw) -> TaskDraws:
    draws = list(state.draws)
    draws[number - 1] = draw
    return replace(state, draws=draws)


def evolve(state: TaskDraws | None, event: Event) -> TaskDraws:
    if isinstance(event, DrawCommitted):
        base = state if state is not None else TaskDraws(task_id=event.commit.task)
        draw = Draw(
            number=event.number,
            status=DrawStatus.COMMITTED,
            commit=event.commit,
            commit_digest=event.commit_digest,
            items=list(event.items),
            unsealed_events=event.unsealed_events,
        )
        return replace(base, draws=[*base.draws, draw])
    assert state is not None, f"{type(event).__name__} before DrawCommitted"
    if isinstance(event, DrawExecuted):
        d = state.draws[event.number - 1]
        return _with_draw(
            state,
            event.number,
            replace(
                d,
                status=DrawStatus.EXECUTED,
                entropy=list(event.entropy),
                server_seed=event.server_seed,
                transcript_digest=event.transcript_digest,
                outcome_digest=event.outcome_digest,
                assigned=event.assigned,
                unmatched=event.unmatched,
                unmatched_by_reason=dict(event.unmatched_by_reason),
            ),
        )
    if isinstance(event, DrawVoided):
        d = state.draws[event.number - 1]
        return _with_draw(
            state,
            event.number,
            replace(d, status=DrawStatus.VOIDED, void_reason=event.reason, voided_from=d.status),
        )
    if isinstance(event, InspectorReplaced):
        d = state.draws[event.number - 1]
        record = Replacement(
            subject=event.subject,
            counter=event.counter,
            replaced=event.staff_id,
            reason=event.reason,
            replacement=event.replacement,
            unmatched_reason=event.unmatched_reason,
        )
        return _with_draw(
            state,
            event.number,
            replace(
                d,
                transcript_digest=event.transcript_digest,
                replacements=[*d.replacements, record],
            ),
        )
    raise TypeError(f"not a draw event: {event!r}")


# From a task to the draw's parameters (pure; the service reads the registries)
class ItemForDraw(msgspec.Struct, frozen=True, kw_only=True):
    """What a draw needs of an inspection item's version in force."""

    code: str
    department: str
    general: bool
    """一般检查事项 (its ratio is capped) rather than 重点检查事项."""
    ratio_cap_percent: Decimal | None = None
    expertise: list[str] = msgspec.field(default_factory=list)


def ratio_string(percent: Decimal) -> str:
    """A percentage as the protocol's ratio: ``30`` → ``"0.3"``, ``100`` → ``"1"``."""
    q = (percent / 100).normalize()
    return format(q, "f")


def strata_of(task: Task, populations: Mapping[str, list[str]]) -> list[Stratum]:
    """The task's strata with their frozen populations (sorted keys), in ascending id."""
    return sorted(
        (
            Stratum(
                id=s.id,
                population=populations.get(s.id, []),
                count=s.count,
                ratio=ratio_string(s.ratio_percent) if s.ratio_percent is not None else None,
            )
            for s in task.strata
        ),
        key=lambda s: s.id,
    )


def cap_problems(task: Task, items: Mapping[str, ItemForDraw], sizes: Mapping[str, int]) -> None:
    """RATIO_CAP_EXCEEDED for every stratum that would draw more than a general item's cap,
    now that each stratum's size ``n`` is known (a count ``c`` draws ``min(c, n)``)."""
    p = Problems()
    caps = [
        (i.ratio_cap_percent, code)
        for code in task.items
        if (i := items.get(code)) is not None and i.general and i.ratio_cap_percent is not None
    ]
    for s in task.strata:
        n = sizes.get(s.id, 0)
        for cap, code in caps:
            if s.ratio_percent is not None:
                exceeded, what = s.ratio_percent > cap, f"{s.ratio_percent}%"
            elif s.count is not None and n > 0:
                k = min(s.count, n)
                exceeded = k * 100 > cap * n
                what = f"{k} of {n} subjects ({Decimal(k * 100) / n:.2f}%)"
            else:
                continue
            if exceeded:
                p.add(
                    ErrorCode.RATIO_CAP_EXCEEDED,
                    "taskId",
                    f"stratum {s.id} would draw {what}; general item (一般检查事项) {code} "
                    f"caps the sampling ratio at {cap}%",
                )
    p.raise_if_any()


def task_rules(task: Task, items: Mapping[str, ItemForDraw]) -> TaskRules:
    """The matching rules: the task's departments, dates and inspector rules; each officer must
    hold the expertise of their own department's items, each expert that of every item."""
    required: dict[str, set[str]] = {}
    every: set[str] = set()
    for code in task.items:
        item = items.get(code)
        if item is None:
            continue
        every.update(item.expertise)
        if item.department in task.departments:
            required.setdefault(item.department, set()).update(item.expertise)
    r = task.inspector_rules
    return TaskRules(
        departments=tuple(task.departments),
        start=task.start_date,
        end=task.end_date,
        officers_per_subject=r.officers_per_subject,
        experts_per_subject=r.experts_per_subject,
        required_expertise={d: tuple(sorted(v)) for d, v in required.items() if v},
        expert_expertise=tuple(sorted(every)) if r.experts_per_subject else (),
        workload_cap=r.workload_cap,
    )


def inspection_id(task_id: str, number: int, subject: str) -> str:
    """An inspection's key: ``{task}/{draw number}/{subject key}``."""
    return f"{task_id}/{number}/{subject}"


def parse_inspection_id(value: str) -> tuple[str, int, str] | None:
    """``(task, draw number, subject key)`` of an inspection key, or None if malformed."""
    task_id, sep, rest = value.partition("/")
    number, sep2, subject = rest.partition("/")
    if not (sep and sep2 and task_id and subject and number.isdigit()):
        return None
    return task_id, int(number), subject


SPEC: AggregateSpec[TaskDraws] = AggregateSpec(
    name="draw",
    stream_prefix="draw-",
    events=(DrawCommitted, DrawExecuted, DrawVoided, InspectorReplaced),
    evolve=evolve,
    state_type=TaskDraws,
)
