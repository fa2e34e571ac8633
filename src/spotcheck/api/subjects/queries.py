"""Queries over the registry of inspection subjects (staff only)."""

from __future__ import annotations

from typing import Any

import asyncpg
import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.context import Context
from spotcheck.api.departments.types import TABLE as DEPARTMENTS
from spotcheck.api.subjects.types import TABLE, Subject, load_subject
from spotcheck.domain import department as d
from spotcheck.domain import subject as s
from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.kinds import SubjectKind

MAX_NAME_FILTER = 200


@strawberry.input(description="Filter for inspection subjects (every given condition must hold).")
class SubjectFilter:
    kind: SubjectKind | None = None
    region: str | None = strawberry.field(
        default=None, description="所在街道、乡镇 Region code, e.g. `fangzhuang`."
    )
    industry: str | None = strawberry.field(
        default=None,
        description="行业 GB/T 4754 code or prefix: `F` (批发和零售业), `F52` or `52`, `F5211`.",
    )
    status: s.RegistrationStatus | None = None
    risk_class: s.RiskClass | None = None
    maintaining_department: str | None = strawberry.field(
        default=None, description="维护部门 Department code."
    )
    tag: str | None = strawberry.field(default=None, description="标签 Carrying this tag.")
    item: str | None = strawberry.field(
        default=None, description="抽查事项 The inspection item with this code applies."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="名称 The name contains this text (case-insensitive)."
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_query(f: SubjectFilter, cursor: str | None, limit: int) -> tuple[str, list[Any]]:
    """The keyset page's SQL with only the given conditions, so each can use its index."""
    q = KeysetQuery(cursor)
    if f.kind is not None:
        q.where(f"kind = {q.arg(f.kind.value)}")
    if f.region is not None:
        q.where(f"region = {q.arg(f.region)}")
    if f.industry is not None:
        prefix = s.industry_prefix(f.industry)
        if prefix is None:
            raise query_error(
                ErrorCode.INVALID_INDUSTRY,
                "filter.industry",
                f"{f.industry!r} is not a GB/T 4754 code or prefix (e.g. F, F52, 52, F5211)",
            )
        # Codes are upper-case ASCII in byte order (COLLATE "C"): a prefix is a range.
        q.where(f"industry >= {q.arg(prefix)} AND industry < {q.arg(prefix + '~')}")
    if f.status is not None:
        q.where(f"status = {q.arg(f.status.value)}")
    if f.risk_class is not None:
        q.where(f"risk_class = {q.arg(f.risk_class.value)}")
    if f.maintaining_department is not None:
        q.where(f"maintaining_department = {q.arg(f.maintaining_department)}")
    if f.tag is not None:
        q.where(f"state->'tags' @> {q.arg([f.tag.strip()])}::jsonb")
    if f.item is not None:
        q.where(f"state->'items' @> {q.arg([f.item])}::jsonb")
    if f.name_contains is not None and f.name_contains.strip():
        if len(f.name_contains) > MAX_NAME_FILTER:
            raise query_error(
                ErrorCode.TOO_LONG,
                "filter.nameContains",
                f"nameContains has at most {MAX_NAME_FILTER} characters",
            )
        q.where(f"name ILIKE {q.arg(_like_pattern(f.name_contains.strip()))}")
    return q.sql(f"SELECT id, state FROM {TABLE}", limit)


def with_departments(page_sql: str) -> str:
    """The page and each subject's maintaining department, in one statement: the department
    loader, primed with them (``prime_departments``), then has nothing to fetch (issue 17: one
    round trip fewer per page)."""
    return (
        f"SELECT p.id, p.state, p.state->>'maintaining_department' AS department_code,"
        f" d.state AS department_state FROM ({page_sql}) p"
        f" LEFT JOIN {DEPARTMENTS} d ON d.id = p.state->>'maintaining_department' ORDER BY p.id"
    )


def prime_departments(context: Context, rows: list[asyncpg.Record]) -> None:
    found: dict[str, Any] = {}
    for r in rows:
        code = r["department_code"]
        if code is not None and code not in found:
            data = r["department_state"]
            found[code] = d.SPEC.state_from_data(data) if data is not None else None
    context.loaders.state(d.SPEC, DEPARTMENTS).prime_many(found)


@strawberry.type
class SubjectQueries:
    @strawberry.field(
        description="检查对象名录库 Inspection subjects by key (staff only; empty for the public)."
    )
    async def subjects(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: SubjectFilter | None = None,
    ) -> Connection[Subject]:
        n = page_size(first)
        cursor = decode_cursor(after)
        actor = info.context.actor
        if not actor.is_staff:
            return connection([], n)
        sql, args = list_query(filter or SubjectFilter(), cursor, n + 1)
        rows = await info.context.pool.fetch(with_departments(sql), *args)
        prime_departments(info.context, rows)
        return connection(
            [
                (r["id"], Subject.from_state(s.SPEC.state_from_data(r["state"]), actor))
                for r in rows
            ],
            n,
        )

    @strawberry.field(
        description="One inspection subject by key: a USCC (统一社会信用代码, any letter "
        "case) or an identifier KIND:DEPT:local; null if missing and for the public."
    )
    async def subject(self, info: strawberry.Info[Context, None], key: str) -> Subject | None:
        return await load_subject(info, s.normalise_key(key))
