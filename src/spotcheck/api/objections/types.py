"""GraphQL types of objections (异议): the objection, its answer and its answer deadline.

Who sees an objection: SYSTEM_ADMIN and AUDITOR every one; staff of the lead department (which
answers) its own; the public only the objection it filed (the filing payload) and, later, by
``objectionStatus`` with the reference number and the subject's USCC.  Grounds may name people,
so no other caller sees them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.context import Context
from spotcheck.api.deadlines.types import DeadlineProblem
from spotcheck.api.publications.types import PublishedInspection, load_published
from spotcheck.domain import objection as ob
from spotcheck.domain.actor import Actor
from spotcheck.domain.errors import ErrorCode
from spotcheck.services import deadlines as deadline_service
from spotcheck.services import objections as service

register_enum(
    ob.FilerKind,
    "ObjectionFiler",
    "异议申请人 Who filed an objection.",
    {
        "PUBLIC": "公众 Filed through the public API with the result's key and the subject's "
        "USCC (grounds only).",
        "STAFF": "代为登记 Registered by the lead department's administrator, with attachments.",
    },
)
register_enum(
    ob.ObjectionStatus,
    "ObjectionStatus",
    "异议状态 Where an objection stands.",
    {
        "FILED": "已受理 Filed, awaiting the lead department's answer.",
        "ANSWERED": "已答复 Answered.",
    },
)
register_enum(
    ob.AnswerOutcome,
    "ObjectionOutcome",
    "答复结果 The answer to an objection.",
    {
        "UPHELD": "维持 The published result stands after re-examination, with the reasons.",
        "CORRECTED": "更正 The published result was amended on this objection; the public "
        "record shows the correction with its date and reason.",
        "REJECTED": "驳回 The objection is refused, with the reasons.",
    },
)
register_enum(
    service.AnswerStatus,
    "ObjectionAnswerStatus",
    "答复时限 Where an objection's answer stands against its deadline (as of today).",
    {
        "DUE": "待答复 Not answered, deadline not passed.",
        "OVERDUE": "逾期未答复 Not answered, deadline passed.",
        "ON_TIME": "按时答复 Answered by the deadline.",
        "LATE": "逾期答复 Answered after the deadline.",
        "UNDETERMINED": "无法判定 The deadline runs into a year without a holiday schedule "
        "(see deadlineProblem).",
    },
)


@strawberry.type(description="证据材料 An evidence file handed in with an objection.")
class ObjectionAttachment:
    sha256: str = strawberry.field(description="Download: GET /evidence/{sha256} (staff).")
    description: str | None


def may_see(actor: Actor, o: ob.Objection) -> bool:
    return actor.reads_everything or actor.belongs_to(o.department)


@strawberry.type(
    description="异议 An objection to a published result (异议申请) and its answer. The lead "
    "department answers within workingDays working days (工作日, 调休 counted) after filedOn."
)
class Objection(relay.Node):
    key: str = strawberry.field(description="受理编号 The reference number (OBJ-…).")
    inspection_id: str = strawberry.field(description="The published result objected to.")
    subject_key: str
    subject_name: str
    uscc: str | None
    department: str = strawberry.field(description="牵头部门 The lead department: it answers.")
    items: list[str] = strawberry.field(description="The items objected to (empty: all).")
    grounds: str = strawberry.field(description="异议理由 The grounds.")
    attachments: list[ObjectionAttachment]
    filer: ob.FilerKind
    filed_on: dt.date = strawberry.field(description="受理日期 Beijing date of filing.")
    working_days: int = strawberry.field(description="答复时限 Working days to answer.")
    status: ob.ObjectionStatus
    outcome: ob.AnswerOutcome | None
    answer_reason: str | None = strawberry.field(description="答复理由 The answer's reasons.")
    answered_on: dt.date | None
    amendments: list[int] = strawberry.field(
        description="CORRECTED: the numbers of the result's amendments made on this objection."
    )

    @classmethod
    def resolve_id(cls, root: Objection, *, info: strawberry.Info) -> str:
        return root.key

    @classmethod
    def from_state(cls, o: ob.Objection) -> Objection:
        return cls(
            key=o.objection_id,
            inspection_id=o.inspection_id,
            subject_key=o.subject,
            subject_name=o.subject_name,
            uscc=o.uscc,
            department=o.department,
            items=list(o.items),
            grounds=o.grounds,
            attachments=[
                ObjectionAttachment(sha256=a.sha256, description=a.description)
                for a in o.attachments
            ],
            filer=o.filer,
            filed_on=o.filed_on,
            working_days=o.working_days,
            status=o.status,
            outcome=o.outcome,
            answer_reason=o.answer_reason,
            answered_on=o.answered_on,
            amendments=list(o.amendments),
        )

    @strawberry.field(description="答复时限 The answer deadline and its status as of today.")
    async def deadline(self, info: strawberry.Info[Context, None]) -> ObjectionDeadline:
        found = await service.answer_deadlines(
            info.context.pool,
            await deadline_service.load_calendar(info.context.pool),
            await info.context.today(),
            keys=[self.key],
        )
        return ObjectionDeadline.from_deadline(found[0])

    @strawberry.field(description="The published result objected to.")
    async def published_result(
        self, info: strawberry.Info[Context, None]
    ) -> PublishedInspection | None:
        return (await load_published(info, [self.inspection_id]))[0]

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_objections(info, list(node_ids))


@strawberry.type(
    description="答复时限 An objection's answer deadline: the workingDays-th working day after "
    "the filing day; null when a year it needs has no holiday schedule (never a guess)."
)
class ObjectionDeadline:
    objection_id: str
    department: str = strawberry.field(description="牵头部门 The lead department.")
    filed_on: dt.date
    working_days: int
    deadline: dt.date | None
    deadline_problem: DeadlineProblem | None
    answered_on: dt.date | None
    status: service.AnswerStatus

    @classmethod
    def from_deadline(cls, d: service.AnswerDeadline) -> ObjectionDeadline:
        problem = None
        if d.problem_year is not None:
            problem = DeadlineProblem(
                code=ErrorCode.NO_HOLIDAY_SCHEDULE,
                year=d.problem_year,
                message=f"no holiday schedule for {d.problem_year}: the deadline cannot be "
                "computed until the system administrator publishes it",
            )
        o = d.objection
        return cls(
            objection_id=o.objection_id,
            department=o.department,
            filed_on=o.filed_on,
            working_days=o.working_days,
            deadline=d.deadline,
            deadline_problem=problem,
            answered_on=o.answered_on,
            status=d.status,
        )

    @strawberry.field(description="异议 The objection.")
    async def objection(self, info: strawberry.Info[Context, None]) -> Objection | None:
        return (await load_objections(info, [self.objection_id]))[0]


async def load_objections(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[Objection | None]:
    """Objections by reference number, each only for a caller who may see it (else null)."""
    actor = info.context.actor
    if not actor.is_staff:
        return [None] * len(keys)
    found = await service.load(info.context.pool, keys)
    return [Objection.from_state(o) if o is not None and may_see(actor, o) else None for o in found]
