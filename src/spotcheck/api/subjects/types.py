"""GraphQL types for the registry of inspection subjects (检查对象名录库)."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.common.state_fields import state_fields
from spotcheck.api.common.visibility import PERSONAL, personal
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, department_at_once
from spotcheck.api.regions import RegionType, region_of
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Actor
from spotcheck.domain.kinds import SubjectKind
from spotcheck.projections import state_tables

TABLE = state_tables.SUBJECTS


register_enum(
    s.RegistrationStatus,
    "RegistrationStatus",
    "登记状态 Registration status of a subject.",
    {
        "ACTIVE": "存续 Active.",
        "DEREGISTERED": "注销 Deregistered.",
        "REVOKED": "吊销 Licence revoked.",
        "CANCELLED": "撤销 Registration cancelled.",
        "MOVED_OUT": "迁出 Moved out of the jurisdiction.",
    },
)
register_enum(
    s.RiskClass,
    "RiskClass",
    "信用风险分类 Credit risk class; higher classes are drawn at higher ratios.",
    {
        "A": "低风险 Low risk.",
        "B": "一般风险 Ordinary risk.",
        "C": "较高风险 Elevated risk.",
        "D": "高风险 High risk.",
    },
)


def may_see_legal_representative(actor: Actor, state: s.Subject) -> bool:
    """SYSTEM_ADMIN and AUDITOR, and staff of the subject's maintaining department."""
    return actor.reads_everything or (
        actor.is_staff and actor.department == state.maintaining_department
    )


@strawberry.type(
    description="检查对象 An inspection subject in the registry of inspection subjects "
    "(检查对象名录库): a business, individual business, product, project or behaviour."
)
class Subject(relay.Node):
    key: str = strawberry.field(
        description="The subject's key: the USCC (统一社会信用代码) of a business, else its "
        "identifier KIND:DEPT:local (e.g. PRODUCT:SCJG:2026-000123)."
    )
    kind: SubjectKind
    uscc: str | None = strawberry.field(
        description="统一社会信用代码 Unified social credit code (businesses only)."
    )
    identifier: str | None = strawberry.field(
        description="标识 Identifier KIND:DEPT:local of a product, project or behaviour."
    )
    name: str = strawberry.field(description="名称 Name.")
    industry: str | None = strawberry.field(
        description="行业 GB/T 4754 industry code with its section letter, e.g. F5211."
    )
    address: str | None = strawberry.field(description="住所（经营场所） Registered address.")
    status: s.RegistrationStatus
    risk_class: s.RiskClass | None = strawberry.field(
        description="信用风险分类 Credit risk class; null when not yet classified."
    )
    tags: list[str] = strawberry.field(description="标签 Tags, in sorted order.")
    items: list[str] = strawberry.field(
        description="适用抽查事项 Codes of the inspection items that apply to the subject."
    )
    _state: strawberry.Private[s.Subject]
    _visible: strawberry.Private[bool]

    @classmethod
    def resolve_id(cls, root: Subject, *, info: strawberry.Info) -> str:
        return root.key

    @strawberry.field(description="所在街道、乡镇 The street or town the subject is in.")
    def region(self, info: strawberry.Info[Context, None]) -> RegionType:
        return region_of(info, self._state.region)

    @strawberry.field(
        directives=PERSONAL,
        description="法定代表人/经营者 Legal representative or operator (personal data: the "
        "maintaining department's staff, SYSTEM_ADMIN and AUDITOR).",
    )
    def legal_representative(self) -> str | None:
        return personal(self._visible, self._state.legal_representative)

    @strawberry.field(
        graphql_type=Department | None,
        description="维护部门 The department that keeps this record "
        "(谁审批、谁监管，谁生成、谁维护).",
    )
    def maintaining_department(
        self, info: strawberry.Info[Context, None]
    ) -> Department | Awaitable[Department | None] | None:
        return department_at_once(info, self._state.maintaining_department)

    @classmethod
    def from_state(cls, st: s.Subject, actor: Actor) -> Subject:
        return cls(
            **state_fields(cls, st), _state=st, _visible=may_see_legal_representative(actor, st)
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_subjects(info, list(node_ids))


async def load_subjects(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[Subject | None]:
    """Subjects are visible to staff only; the public gets nulls."""
    actor = info.context.actor
    if not actor.is_staff:
        return [None] * len(keys)
    states = await info.context.loaders.state(s.SPEC, TABLE).load_many(keys)
    return [Subject.from_state(st, actor) if st is not None else None for st in states]


async def load_subject(info: strawberry.Info[Context, None], key: str) -> Subject | None:
    return (await load_subjects(info, [key]))[0]
