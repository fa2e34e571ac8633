"""GraphQL types for the registry of inspectors (执法检查人员名录库)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.common.pagination import Connection
from spotcheck.api.common.visibility import PERSONAL, personal
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department
from spotcheck.api.liaisons.trainings import Training, training_page
from spotcheck.domain import inspector as i
from spotcheck.domain.actor import Actor
from spotcheck.projections import state_tables

TABLE = state_tables.INSPECTORS


register_enum(
    i.InspectorKind,
    "InspectorKind",
    "人员类别 Kind of inspector.",
    {
        "ENFORCEMENT_OFFICER": "执法人员 Enforcement officer; holds an enforcement certificate "
        "(执法证).",
        "SUPERVISION_STAFF": "日常监管人员 Daily-supervision staff.",
        "EXPERT": "专家 Expert from a testing body, research institute or university; assists "
        "and never counts towards the minimum number of inspectors.",
    },
)
register_enum(
    i.InspectorStatus,
    "InspectorStatus",
    "在岗状态 Whether the inspector can be drawn.",
    {
        "ACTIVE": "在岗 On duty; may be drawn.",
        "ON_LEAVE": "休假 On leave.",
        "SUSPENDED": "暂停执法 Enforcement suspended.",
        "RETIRED": "退休/离岗 Retired or left the post.",
    },
)


def may_see_personal(actor: Actor, state: i.Inspector) -> bool:
    """An inspector's phone, e-mail, certificate number and conflict reasons: SYSTEM_ADMIN,
    AUDITOR, the administrator of the inspector's department, and the inspector themself."""
    return (
        actor.reads_everything
        or actor.maintains(state.department)
        or (actor.user_id is not None and actor.user_id == state.user_id)
    )


@strawberry.type(description="回避 A declared conflict of interest with an inspection subject.")
class ConflictOfInterest:
    subject_key: str = strawberry.field(
        description="The subject's key in the registry of inspection subjects (检查对象名录库)."
    )
    _reason: strawberry.Private[str]
    _visible: strawberry.Private[bool]

    @strawberry.field(
        directives=PERSONAL,
        description="Why (personal data: the inspector, their department's admin, "
        "SYSTEM_ADMIN and AUDITOR).",
    )
    def reason(self) -> str | None:
        return personal(self._visible, self._reason)


@strawberry.type(
    description="执法检查人员 An inspector in the registry of inspectors (执法检查人员名录库)."
)
class Inspector(relay.Node):
    staff_id: str = strawberry.field(description="工号 Staff id: the inspector's key.")
    name: str
    kind: i.InspectorKind
    certificate_valid_from: dt.date | None = strawberry.field(
        description="执法证有效期起 First day the enforcement certificate is valid."
    )
    certificate_valid_until: dt.date | None = strawberry.field(
        description="执法证有效期至 Last day the enforcement certificate is valid."
    )
    expertise: list[str] = strawberry.field(
        description="专业领域 Fields of expertise, e.g. FOOD, SPECIAL_EQUIPMENT."
    )
    status: i.InspectorStatus
    conflicts: list[ConflictOfInterest] = strawberry.field(
        description="回避 Declared conflicts of interest: never drawn for these subjects."
    )
    affiliation: str | None = strawberry.field(
        description="所在单位 For experts: testing body, research institute or university."
    )
    user_id: str | None = strawberry.field(description="The inspector's platform account.")
    _state: strawberry.Private[i.Inspector]
    _visible: strawberry.Private[bool]

    @classmethod
    def resolve_id(cls, root: Inspector, *, info: strawberry.Info) -> str:
        return root.staff_id

    @strawberry.field(description="所属部门 The department the inspector belongs to.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._state.department)

    @strawberry.field(directives=PERSONAL, description="执法证号 Enforcement certificate number.")
    def certificate_number(self) -> str | None:
        return personal(self._visible, self._state.certificate_number)

    @strawberry.field(directives=PERSONAL, description="联系电话 Telephone.")
    def phone(self) -> str | None:
        return personal(self._visible, self._state.phone)

    @strawberry.field(directives=PERSONAL, description="电子邮箱 E-mail.")
    def email(self) -> str | None:
        return personal(self._visible, self._state.email)

    @strawberry.field(
        description="宣传培训 The trainings the inspector attended (联络员制度 二(八)), by id. "
        "Staff only; empty for the public."
    )
    async def trainings(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Training]:
        return await training_page(info, first, after, attendee=self.staff_id)

    @strawberry.field(
        description="The enforcement certificate (执法证) is valid on this day (inclusive)."
    )
    def certificate_valid_on(self, date: dt.date) -> bool:
        return i.certificate_valid_on(self._state, date)

    @classmethod
    def from_state(cls, s: i.Inspector, actor: Actor) -> Inspector:
        visible = may_see_personal(actor, s)
        return cls(
            staff_id=s.staff_id,
            name=s.name,
            kind=s.kind,
            certificate_valid_from=s.certificate_valid_from,
            certificate_valid_until=s.certificate_valid_until,
            expertise=list(s.expertise),
            status=s.status,
            conflicts=[
                ConflictOfInterest(subject_key=c.subject_key, _reason=c.reason, _visible=visible)
                for c in s.conflicts
            ],
            affiliation=s.affiliation,
            user_id=s.user_id,
            _state=s,
            _visible=visible,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_inspectors(info, list(node_ids))


async def load_inspectors(
    info: strawberry.Info[Context, None], staff_ids: list[str]
) -> list[Inspector | None]:
    """Inspectors are visible to staff only; the public gets nulls."""
    actor = info.context.actor
    if not actor.is_staff:
        return [None] * len(staff_ids)
    states = await info.context.loaders.state(i.SPEC, TABLE).load_many(staff_ids)
    return [Inspector.from_state(s, actor) if s is not None else None for s in states]


async def load_inspector(info: strawberry.Info[Context, None], staff_id: str) -> Inspector | None:
    return (await load_inspectors(info, [staff_id]))[0]
