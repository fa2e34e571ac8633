"""宣传培训 Training sessions for inspectors (联络员制度 二(八)): staff only, null for the public.

Kept apart from ``types.py`` so that the inspector's record (``api/inspectors/types.py``) can
list an inspector's trainings without importing the rest of the liaison area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.common.state_fields import state_fields
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department
from spotcheck.domain.liaison import training as t
from spotcheck.projections import state_tables

TRAININGS = state_tables.TRAININGS


@strawberry.type(
    description="宣传培训 A training session for inspectors (联络员制度 二(八)), recorded once "
    "held, with the inspectors who attended. Attendees are only ever added."
)
class Training(relay.Node):
    training_id: str
    title: str
    held_on: dt.date = strawberry.field(description="举办日期 The day it was held.")
    content: str = strawberry.field(description="培训内容 What was taught.")
    attendees: list[str] = strawberry.field(
        description="参训人员 The attending inspectors' staff ids, in the order recorded."
    )
    recorded_by: str = strawberry.field(description="The recording account (an internal id).")
    recorded_on: dt.date = strawberry.field(description="Beijing date of the first record.")
    _department: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: Training, *, info: strawberry.Info) -> str:
        return root.training_id

    @strawberry.field(description="The organising department.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @classmethod
    def from_state(cls, s: t.Training) -> Training:
        return cls(**state_fields(cls, s), _department=s.department)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        if not info.context.actor.is_staff:
            return [None] * len(list(node_ids))
        states = await info.context.loaders.state(t.SPEC, TRAININGS).load_many(list(node_ids))
        return [cls.from_state(s) if s is not None else None for s in states]


async def training_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    *,
    department: str | None = None,
    attendee: str | None = None,
) -> Connection[Training]:
    """A keyset page of trainings by id (staff only; empty for the public); ``attendee``: the
    trainings a staff id attended (the GIN index on the attendees)."""
    n = page_size(first)
    query = KeysetQuery(decode_cursor(after))
    if not info.context.actor.is_staff:
        return connection([], n)
    if department is not None:
        query.where(f"department = {query.arg(department)}")
    if attendee is not None:
        query.where(f"state->'attendees' @> jsonb_build_array({query.arg(attendee)}::text)")
    sql, args = query.sql(f"SELECT id, state FROM {TRAININGS}", n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection(
        [(row["id"], Training.from_state(t.SPEC.state_from_data(row["state"]))) for row in rows],
        n,
    )
