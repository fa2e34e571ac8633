# Over 500 lines: a draw's GraphQL types and pages, one reading of one transcript.
"""GraphQL types for draws (抽取) and the inspections (检查) they give.

Public (一公开): a draw's commit from the moment it is committed (the commitment, never the
seed before execution); once executed, the entropy, the revealed seed, the picks with the
subjects' names, the unmatched subjects and the transcript.  Inspections name their team by
staff id, as the public transcript does; the Inspector records behind them are staff-only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.common.pagination import Connection, connection, positions
from spotcheck.api.context import Context
from spotcheck.api.draws import public
from spotcheck.api.inspectors.types import Inspector, load_inspector
from spotcheck.api.plans.types import InspectionTask, load_task
from spotcheck.api.scalars import SafeInt
from spotcheck.domain import draw as d
from spotcheck.domain import subject as s
from spotcheck.draw import matching as m
from spotcheck.draw import transcript as tr
from spotcheck.projections import state_tables
from spotcheck.projections.inspections import SELECT_DRAWN
from spotcheck.services import draws as service

TABLE = state_tables.DRAWS
SUBJECTS = state_tables.SUBJECTS

register_enum(
    d.DrawStatus,
    "DrawStatus",
    "抽取状态 Status of one draw of a task.",
    {
        "COMMITTED": "已承诺 Committed: population, parameters and the commitment to the server "
        "seed are frozen and public; awaiting the named public entropy.",
        "EXECUTED": "已抽取 Executed: subjects drawn and inspectors matched; the transcript can "
        "be downloaded and verified.",
        "VOIDED": "已作废 Voided by the system administrator with a reason; kept in the record.",
    },
)
register_enum(
    d.InspectionStatus,
    "InspectionStatus",
    "检查状态 Status of an inspection.",
    {"ASSIGNED": "已派出 Drawn and assigned a team; not yet done."},
)
register_enum(
    tr.SourceKind,
    "EntropySourceKind",
    "随机源类型 How a public entropy source's value enters the key string (RFC 3797).",
    {
        "NUMBERS": "数字 A list of non-negative integers, sorted ascending (e.g. a lottery's "
        "winning numbers).",
        "TEXT": "文本 One text value, written as is (no `/` or control characters).",
    },
)
register_enum(
    m.UnmatchedReason,
    "UnmatchedReason",
    "未匹配原因 Why a drawn subject got no team (or a replacement found nobody).",
    {
        "NO_OFFICER_FROM_DEPARTMENT": "No eligible officer of a participating department is "
        "left (联合抽查 needs one from each).",
        "NOT_ENOUGH_OFFICERS": "Fewer eligible officers (执法人员) than the task needs per "
        "subject.",
        "NOT_ENOUGH_EXPERTS": "Fewer eligible experts (专家) than the task needs per subject.",
    },
)


class TeamRole(enum.Enum):
    """检查组角色 A team member's role."""

    LEAD = "LEAD"
    OFFICER = "OFFICER"
    EXPERT = "EXPERT"


register_enum(
    TeamRole,
    "TeamRole",
    "检查组角色 A team member's role in an inspection.",
    {
        "LEAD": "主检 The lead inspector (an officer).",
        "OFFICER": "执法人员 An officer of the team.",
        "EXPERT": "专家 An expert who assists; not counted among the officers.",
    },
)


async def subject_names(pool: asyncpg.Pool, keys: list[str]) -> dict[str, str]:
    """Subject key → its public name (名称), for the keys still in the registry."""
    rows = await pool.fetch(f"SELECT id, name FROM {SUBJECTS} WHERE id = ANY($1::text[])", keys)
    return {r["id"]: r["name"] for r in rows}


@strawberry.type(description="被抽中的检查对象 A drawn subject: its key and public name.")
class DrawnSubject:
    key: str = strawberry.field(description="The subject's key (USCC or KIND:DEPT:local).")
    name: str | None = strawberry.field(description="名称 Name (null if no longer registered).")


@strawberry.type(
    name="EntropySource",
    description="公开随机源 A public future entropy source, named at commit before its value "
    "exists (e.g. 中国福利彩票双色球 by game and issue number).",
)
class EntropySourceType:
    name: str
    kind: tr.SourceKind
    description: str


@strawberry.type(name="EntropyValue", description="随机源取值 The value a named source published.")
class EntropyValueType:
    name: str
    numbers: list[SafeInt] | None = strawberry.field(description="A NUMBERS source's numbers.")
    text: str | None = strawberry.field(description="A TEXT source's value.")

    @classmethod
    def of(cls, e: tr.EntropyValue) -> EntropyValueType:
        if isinstance(e.value, str):
            return cls(name=e.name, numbers=None, text=e.value)
        return cls(name=e.name, numbers=[SafeInt(v) for v in e.value], text=None)


@strawberry.type(description="Candidates of one exclusion rule (回避、轮换、工作量), counted.")
class ExclusionCount:
    code: str = strawberry.field(
        description="IN_TEAM, REPLACED, CONFLICT (回避), ROTATION (轮换) or WORKLOAD_CAP."
    )
    count: int


@strawberry.type(
    description="未匹配 A drawn subject for whom no eligible team remained, with the reason: "
    "recorded for the lead department to resolve, never dropped."
)
class UnmatchedSubject:
    subject: DrawnSubject
    reason: m.UnmatchedReason
    department: str | None = strawberry.field(
        description="The department without an eligible officer (NO_OFFICER_FROM_DEPARTMENT)."
    )
    needed: int
    found: int
    eligible: int = strawberry.field(description="Candidates of that pool eligible for the task.")
    excluded: list[ExclusionCount]


def unmatched_of(u: m.Unmatched, names: dict[str, str]) -> UnmatchedSubject:
    return UnmatchedSubject(
        subject=DrawnSubject(key=u.subject, name=names.get(u.subject)),
        reason=u.reason,
        department=u.department,
        needed=u.needed,
        found=u.found,
        eligible=u.eligible,
        excluded=[ExclusionCount(code=k, count=v) for k, v in sorted(u.excluded.items()) if v],
    )


@strawberry.type(
    description="更换检查人员 One replaceInspector: who fell out, why, and whom the draw put in "
    "(same key, next counter; never chosen by hand)."
)
class DrawReplacement:
    subject_key: str
    counter: int
    replaced: str = strawberry.field(
        description="The member who fell out: staff id for staff, pseudonym for the public."
    )
    replacement: str | None = strawberry.field(
        description="Drawn in their place (staff id for staff, pseudonym for the public); null "
        "when nobody was eligible."
    )
    reason: str
    unmatched_reason: m.UnmatchedReason | None


@strawberry.type(description="A participating department and the expertise its officers need.")
class DepartmentExpertise:
    department: str
    expertise: list[str]


@strawberry.type(description="匹配规则 The inspector rules frozen in the commit.")
class DrawRules:
    departments: list[str] = strawberry.field(
        description="Participating departments, the lead (牵头部门) first."
    )
    start: dt.date
    end: dt.date
    officers_per_subject: int
    experts_per_subject: int
    required_expertise: list[DepartmentExpertise]
    expert_expertise: list[str]
    workload_cap: int | None


def transcript_path(task_id: str, number: int) -> str:
    """The path of the streamed transcript download (spotcheck.api.draws.download)."""
    return f"/draws/{task_id}/{number}/transcript.json"


@strawberry.type(
    description="抽取记录 An executed draw's transcript: fetch its exact bytes from `download` "
    "(streamed, any size) and check their SHA-256 against `digest` (docs/draw-protocol.md, "
    '"Fetching a large transcript").'
)
class DrawTranscript:
    digest: str = strawberry.field(
        description="SHA-256 of the canonical JSON bytes, in hex: the draw's transcriptDigest "
        "and the download's ETag."
    )
    size: SafeInt = strawberry.field(description="Its length in bytes.")
    download: str = strawberry.field(
        description="Path of the download on this server, e.g. "
        "`/draws/T2026-001/1/transcript.json` (the full transcript: AUDITOR and SYSTEM_ADMIN) "
        "or `/draws/T2026-001/1/public-transcript.json` (public, no sign-in)."
    )


@strawberry.type(
    description="分层 One stratum of a draw: its frozen population and picks. A draw has at "
    "most 4 strata (信用风险分类 A-D, or the one stratum ALL)."
)
class DrawStratum:
    id: str = strawberry.field(description="A credit risk class (信用风险分类) A-D, or ALL.")
    size: SafeInt = strawberry.field(description="Subjects in the frozen population.")
    population_digest: str = strawberry.field(
        description="SHA-256 of the sorted population (docs/draw-protocol.md)."
    )
    k: SafeInt = strawberry.field(description="How many are drawn, fixed before the entropy.")
    ratio: str | None = strawberry.field(description="抽查比例 as a decimal fraction, e.g. 0.3.")
    count: SafeInt | None = strawberry.field(description="抽查数量 The count asked for.")
    _draw: strawberry.Private[Draw]

    @strawberry.field(
        description="被抽中的检查对象 The subjects drawn, in pick order, a page at a time "
        "(`first` at most 100; a stratum may hold thousands); null before execution."
    )
    async def picks(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DrawnSubject] | None:
        outcome = await self._draw.outcome(info)
        if outcome is None:
            return None
        keys = next((x.picks for x in outcome.selection if x.stratum == self.id), [])
        window, n = positions(len(keys), first, after)
        page = [keys[i] for i in window]
        names = await subject_names(info.context.pool, page)
        return connection(
            [(str(i), DrawnSubject(key=keys[i], name=names.get(keys[i]))) for i in window], n
        )


@strawberry.type(
    description="抽取 One draw of an inspection task (双随机: subjects, then inspectors), "
    "numbered 1, 2, … per task; a re-draw voids the previous one and both stay on record."
)
class Draw(relay.Node):
    key: str = strawberry.field(description="`{taskId}/{number}`.")
    task_id: str
    number: int
    status: d.DrawStatus
    ledger_position: SafeInt = strawberry.field(
        description="The sealed ledger position the population was frozen at."
    )
    unsealed_events: int = strawberry.field(
        description="Events committed but not yet sealed when the population was read: the "
        "population is the registry at ledgerPosition plus these (0: exactly at it)."
    )
    items: list[str] = strawberry.field(description="抽查事项 The task's item codes.")
    sources: list[EntropySourceType]
    batches: list[str] = strawberry.field(description="批次 Batch labels whose order is drawn.")
    commitment: str = strawberry.field(description="SHA-256 of the server seed, in hex.")
    commit_digest: str = strawberry.field(
        description="SHA-256 of the commit's canonical JSON: the transcript must carry it."
    )
    candidates_digest: str = strawberry.field(
        description="SHA-256 of the inspector candidates frozen at commit."
    )
    rules: DrawRules | None
    entropy: list[EntropyValueType] | None = strawberry.field(
        description="The published entropy values (null before execution)."
    )
    server_seed: str | None = strawberry.field(
        description="The server seed, revealed at execution (null before)."
    )
    transcript_digest: str | None = strawberry.field(
        description="SHA-256 of the transcript as it stands (replacements append to it)."
    )
    assigned: int = strawberry.field(description="Drawn subjects given a team.")
    unmatched_count: int = strawberry.field(description="Drawn subjects left without a team.")
    void_reason: str | None
    voided_from: d.DrawStatus | None = strawberry.field(
        description="The status the draw had when it was voided."
    )
    _state: strawberry.Private[d.Draw]
    _cache: strawberry.Private[dict[str, Any]]
    _replacements: strawberry.Private[list[DrawReplacement]]

    @classmethod
    def resolve_id(cls, root: Draw, *, info: strawberry.Info) -> str:
        return root.key

    async def outcome(self, info: strawberry.Info[Context, None]) -> d.DrawOutcome | None:
        digest = self._state.outcome_digest
        if digest is None:
            return None
        if digest not in self._cache:
            self._cache[digest] = await service.outcome_of(info.context.pool, digest)
        outcome: d.DrawOutcome = self._cache[digest]
        return outcome

    @strawberry.field(
        description="分层 The strata in drawing order (ascending id): at most 4, so not paged."
    )
    def strata(self) -> list[DrawStratum]:
        return [
            DrawStratum(
                id=c.id,
                size=SafeInt(c.size),
                population_digest=c.digest,
                k=SafeInt(c.k),
                ratio=c.ratio,
                count=SafeInt(c.count) if c.count is not None else None,
                _draw=self,
            )
            for c in self._state.commit.strata
        ]

    @strawberry.field(
        description="未匹配 Drawn subjects without a team, with the reason, in draw order, a "
        "page at a time (`first` at most 100); null before execution."
    )
    async def unmatched(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[UnmatchedSubject] | None:
        outcome = await self.outcome(info)
        if outcome is None:
            return None
        window, n = positions(len(outcome.unmatched), first, after)
        page = [outcome.unmatched[i] for i in window]
        names = await subject_names(info.context.pool, [u.subject for u in page])
        return connection(
            [(str(i), unmatched_of(u, names)) for i, u in zip(window, page, strict=True)], n
        )

    @strawberry.field(
        description="更换检查人员 The replaceInspector records in the order made, a page at a "
        "time (`first` at most 100): every replacement appends one, without limit."
    )
    def replacements(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DrawReplacement]:
        window, n = positions(len(self._replacements), first, after)
        name = public.namer(info.context.request.app, info.context.actor, self.commit_digest)
        page = [self._replacements[i] for i in window]
        shown = [
            dataclasses.replace(
                r,
                replaced=name(r.replaced),
                replacement=None if r.replacement is None else name(r.replacement),
            )
            for r in page
        ]
        return connection([(str(i), r) for i, r in zip(window, shown, strict=True)], n)

    @strawberry.field(
        description="公开抽取记录 The public transcript (一公开): fetch it from `download`, "
        "check its SHA-256 against `digest`. Derived from the full transcript (whose SHA-256 is "
        "transcriptDigest and which it names), inspectors by per-draw pseudonyms "
        "(docs/draw-protocol.md). Null before execution."
    )
    async def public_transcript(
        self, info: strawberry.Info[Context, None]
    ) -> DrawTranscript | None:
        data = await public.public_transcript(
            info.context.request.app, info.context.pool, self.task_id, self.number
        )
        if data is None:
            return None
        return DrawTranscript(
            digest=hashlib.sha256(data).hexdigest(),
            size=SafeInt(len(data)),
            download=public.public_transcript_path(self.task_id, self.number),
        )

    @strawberry.field(
        description="抽取记录 Where to fetch the transcript and how to check it: its SHA-256 "
        "(= transcriptDigest), size and download path (null before execution)."
    )
    async def transcript(self, info: strawberry.Info[Context, None]) -> DrawTranscript | None:
        if self._state.transcript_digest is None:
            return None
        ref = await service.blob_ref(info.context.pool, self._state.transcript_digest)
        return DrawTranscript(
            digest=ref.digest,
            size=SafeInt(ref.size),
            download=transcript_path(self.task_id, self.number),
        )

    @strawberry.field(
        description="批次顺序 The drawn working order of the batches (at most 50, bounded by the "
        "task)."
    )
    async def batch_order(self, info: strawberry.Info[Context, None]) -> list[str] | None:
        outcome = await self.outcome(info)
        return None if outcome is None else list(outcome.batch_order)

    @strawberry.field(description="抽查任务 The task drawn for.")
    async def task(self, info: strawberry.Info[Context, None]) -> InspectionTask | None:
        return await load_task(info, self.task_id)

    @classmethod
    def from_state(cls, task_id: str, x: d.Draw) -> Draw:
        c = x.commit
        rules = c.rules
        executed = x.server_seed is not None
        return cls(
            key=f"{task_id}/{x.number}",
            task_id=task_id,
            number=x.number,
            status=x.status,
            ledger_position=SafeInt(c.ledger_position),
            unsealed_events=x.unsealed_events,
            items=list(x.items),
            sources=[
                EntropySourceType(name=e.name, kind=e.kind, description=e.description)
                for e in c.sources
            ],
            batches=list(c.batches),
            commitment=c.commitment,
            commit_digest=x.commit_digest,
            candidates_digest=c.candidates_digest,
            rules=DrawRules(
                departments=list(rules.departments),
                start=rules.start,
                end=rules.end,
                officers_per_subject=rules.officers_per_subject,
                experts_per_subject=rules.experts_per_subject,
                required_expertise=[
                    DepartmentExpertise(department=k, expertise=list(v))
                    for k, v in rules.required_expertise.items()
                ],
                expert_expertise=list(rules.expert_expertise),
                workload_cap=rules.workload_cap,
            )
            if rules is not None
            else None,
            entropy=[EntropyValueType.of(e) for e in x.entropy] if executed else None,
            server_seed=x.server_seed,
            transcript_digest=x.transcript_digest,
            assigned=x.assigned,
            unmatched_count=x.unmatched,
            _replacements=[
                DrawReplacement(
                    subject_key=r.subject,
                    counter=r.counter,
                    replaced=r.replaced,
                    replacement=r.replacement,
                    reason=r.reason,
                    unmatched_reason=r.unmatched_reason,
                )
                for r in x.replacements
            ],
            void_reason=x.void_reason,
            voided_from=x.voided_from,
            _state=x,
            _cache={},
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        out: list[Draw | None] = []
        for key in node_ids:
            task_id, _, number = key.rpartition("/")
            out.append(await load_draw(info, task_id, int(number)) if number.isdigit() else None)
        return out


async def load_task_draws(info: strawberry.Info[Context, None], task_id: str) -> d.TaskDraws | None:
    state: d.TaskDraws | None = await info.context.loaders.state(d.SPEC, TABLE).load(task_id)
    return state


async def load_draw(info: strawberry.Info[Context, None], task_id: str, number: int) -> Draw | None:
    """A draw of a task: public (一公开)."""
    state = await load_task_draws(info, task_id)
    x = state.get(number) if state is not None else None
    return Draw.from_state(task_id, x) if x is not None else None


@strawberry.type(description="A member of an inspection's team (检查组成员).")
class InspectionMember:
    staff_id: str = strawberry.field(
        description="工号 Staff id for staff; for the public the draw's pseudonym (16 hex digits, "
        "as in the public transcript)."
    )
    role: TeamRole

    @strawberry.field(description="The inspector's record (staff only; null for the public).")
    async def inspector(self, info: strawberry.Info[Context, None]) -> Inspector | None:
        return await load_inspector(info, self.staff_id)


@strawberry.type(
    description="检查 One inspection: a drawn subject and its team, covering every participating "
    "department's items in one visit (进一次门、查多项事)."
)
class Inspection(relay.Node):
    key: str = strawberry.field(description="`{taskId}/{drawNumber}/{subjectKey}`.")
    task_id: str
    draw_number: int
    subject_key: str
    items: list[str] = strawberry.field(description="抽查事项 Item codes checked.")
    departments: list[str] = strawberry.field(
        description="Participating departments, the lead (牵头部门) first."
    )
    start_date: dt.date
    end_date: dt.date
    status: d.InspectionStatus
    _lead: strawberry.Private[str | None]
    _officers: strawberry.Private[list[str]]
    _experts: strawberry.Private[list[str]]

    @classmethod
    def resolve_id(cls, root: Inspection, *, info: strawberry.Info) -> str:
        return root.key

    async def _namer(self, info: strawberry.Info[Context, None]) -> Callable[[str], str]:
        """Staff see staff ids; the public the draw's pseudonyms (docs/draw-protocol.md)."""
        if public.sees_staff_ids(info.context.actor):
            return lambda staff_id: staff_id
        state = await load_task_draws(info, self.task_id)
        x = state.get(self.draw_number) if state is not None else None
        if x is None:  # an inspection always has its draw; name nobody rather than guess
            return lambda staff_id: "?"
        return public.namer(info.context.request.app, info.context.actor, x.commit_digest)

    @strawberry.field(
        description="主检 The lead inspector: a staff id for staff, the draw's pseudonym (as in "
        "the public transcript) for the public."
    )
    async def lead(self, info: strawberry.Info[Context, None]) -> str | None:
        name = await self._namer(info)
        return None if self._lead is None else name(self._lead)

    @strawberry.field(
        description="执法人员 The officers, the lead first: staff ids for staff, pseudonyms for "
        "the public."
    )
    async def officers(self, info: strawberry.Info[Context, None]) -> list[str]:
        name = await self._namer(info)
        return [name(x) for x in self._officers]

    @strawberry.field(
        description="专家 The experts: staff ids for staff, pseudonyms for the public."
    )
    async def experts(self, info: strawberry.Info[Context, None]) -> list[str]:
        name = await self._namer(info)
        return [name(x) for x in self._experts]

    @strawberry.field(description="检查对象 The subject: key and public name.")
    async def subject(self, info: strawberry.Info[Context, None]) -> DrawnSubject:
        state = await info.context.loaders.state(s.SPEC, SUBJECTS).load(self.subject_key)
        return DrawnSubject(key=self.subject_key, name=state.name if state is not None else None)

    @strawberry.field(
        description="检查组 The team: the lead first, then officers, then experts (staff ids "
        "for staff, pseudonyms for the public)."
    )
    async def members(self, info: strawberry.Info[Context, None]) -> list[InspectionMember]:
        name = await self._namer(info)
        out = [
            InspectionMember(
                staff_id=name(x), role=TeamRole.LEAD if x == self._lead else TeamRole.OFFICER
            )
            for x in self._officers
        ]
        return out + [
            InspectionMember(staff_id=name(x), role=TeamRole.EXPERT) for x in self._experts
        ]

    @strawberry.field(description="抽取 The draw that gave this inspection.")
    async def draw(self, info: strawberry.Info[Context, None]) -> Draw | None:
        return await load_draw(info, self.task_id, self.draw_number)

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> Inspection:
        return cls(
            key=r["id"],
            task_id=r["task_id"],
            draw_number=r["draw_no"],
            subject_key=r["subject_key"],
            items=list(r["items"]),
            departments=list(r["departments"]),
            _lead=r["lead"],
            _officers=list(r["officers"]),
            _experts=list(r["experts"]),
            start_date=dt.date.fromisoformat(r["start_date"]),
            end_date=dt.date.fromisoformat(r["end_date"]),
            status=d.InspectionStatus(r["status"]),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_inspections(info, list(node_ids))


async def load_inspections(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[Inspection | None]:
    """Inspections by key: public, like the transcript that lists their teams."""
    rows = await info.context.pool.fetch(f"{SELECT_DRAWN} WHERE id = ANY($1::text[])", keys)
    found = {r["id"]: Inspection.from_row(r) for r in rows}
    return [found.get(k) for k in keys]


@strawberry.type(description="验证结果 The server's recomputation of a draw's transcript.")
class DrawVerification:
    ok: bool = strawberry.field(description="True only if every pick and assignment matches.")
    problems: list[str]
