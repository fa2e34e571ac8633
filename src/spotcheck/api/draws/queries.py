"""Queries over draws (抽取) and inspections (检查): public (一公开)."""

from __future__ import annotations

import hashlib
from typing import Any

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
from spotcheck.api.draws import public
from spotcheck.api.draws.types import (
    Draw,
    DrawVerification,
    Inspection,
    load_draw,
    load_inspections,
    load_task_draws,
    transcript_path,
)
from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.subject import normalise_key
from spotcheck.projections.inspections import SELECT_DRAWN
from spotcheck.services import draws as service


@strawberry.input(description="Filter for inspections (every given condition must hold).")
class InspectionFilter:
    task_id: str | None = strawberry.field(default=None, description="抽查任务 Task id.")
    subject_key: str | None = strawberry.field(
        default=None, description="检查对象 The subject's key (a USCC in any letter case)."
    )
    staff_id: str | None = strawberry.field(
        default=None,
        description="工号 Inspections whose team includes this inspector. Staff only: the "
        "public sees inspectors by per-draw pseudonyms and may not look a staff id up.",
    )


def inspections_query(f: InspectionFilter, cursor: str | None, limit: int) -> tuple[str, list[Any]]:
    q = KeysetQuery(cursor)
    if f.task_id is not None:
        q.where(f"task_id = {q.arg(f.task_id)}")
    if f.subject_key is not None:
        q.where(f"subject_key = {q.arg(normalise_key(f.subject_key))}")
    if f.staff_id is not None:
        q.where(f"staff @> ARRAY[{q.arg(f.staff_id)}::text]")
    return q.sql(SELECT_DRAWN, limit)


def _number(after: str | None) -> int:
    key = decode_cursor(after)
    if key is None:
        return 0
    if not key.isdigit():
        raise query_error(ErrorCode.INVALID_FORMAT, "after", "not a cursor of this list")
    return int(key)


@strawberry.type
class DrawQueries:
    @strawberry.field(
        description="抽取记录 A task's draws in order, voided ones included (a re-draw keeps "
        "the previous draw on record). Public."
    )
    async def draws(
        self,
        info: strawberry.Info[Context, None],
        task_id: str,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Draw]:
        n = page_size(first)
        start = _number(after)
        state = await load_task_draws(info, task_id)
        draws = state.draws[start : start + n + 1] if state is not None else []
        return connection([(str(x.number), Draw.from_state(task_id, x)) for x in draws], n)

    @strawberry.field(description="One draw of a task by its number (1, 2, …); public.")
    async def draw(
        self, info: strawberry.Info[Context, None], task_id: str, number: int
    ) -> Draw | None:
        return await load_draw(info, task_id, number)

    @strawberry.field(
        description="抽取记录 The full transcript of an executed draw as one string: canonical "
        "JSON (docs/draw-protocol.md), staff ids and eligibility facts (conflicts of interest, "
        "ineligibility, previous inspectors), no persona data. Check it with `spotcheck draw "
        "verify FILE`. Null before execution. AUDITOR and SYSTEM_ADMIN only (the public: "
        "drawPublicTranscript). Only for a transcript "
        "up to the server's limit (1 MB by default); a larger one is refused with "
        "TRANSCRIPT_TOO_LARGE: fetch it from `Draw.transcript.download` (streamed)."
    )
    async def draw_transcript(
        self, info: strawberry.Info[Context, None], task_id: str, number: int
    ) -> str | None:
        actor = info.context.actor
        if not actor.reads_everything:
            raise query_error(
                ErrorCode.UNAUTHENTICATED if actor.is_public else ErrorCode.FORBIDDEN,
                None,
                "the full transcript (eligibility facts about inspectors) is for AUDITOR and "
                "SYSTEM_ADMIN: the public reads drawPublicTranscript",
            )
        pool = info.context.pool
        ref = await service.transcript_ref(pool, task_id, number)
        if ref is None:
            return None
        limit: int = info.context.request.app.state.transcript_inline_max_bytes
        if ref.size > limit:
            path = transcript_path(task_id, number)
            raise query_error(
                ErrorCode.TRANSCRIPT_TOO_LARGE,
                None,
                f"the transcript has {ref.size} bytes, over the {limit} this field returns: "
                f"download it from {path} (streamed; its SHA-256 is the draw's "
                "transcriptDigest)",
                size=ref.size,
                limit=limit,
                digest=ref.digest,
                download=path,
            )
        content = await service.get_blob(pool, ref.digest)
        return content.decode("utf-8")

    @strawberry.field(
        description="公开抽取记录 The public transcript of an executed draw as one string "
        "(canonical JSON, format spotcheck-draw-transcript-public, docs/draw-protocol.md): "
        "inspectors by per-draw pseudonyms, no eligibility facts, the full transcript's digest "
        "inside. Check it with `spotcheck draw verify FILE`. Null before execution. Public. "
        "Refused with TRANSCRIPT_TOO_LARGE over the server's limit: fetch "
        "`Draw.publicTranscript.download`."
    )
    async def draw_public_transcript(
        self, info: strawberry.Info[Context, None], task_id: str, number: int
    ) -> str | None:
        app = info.context.request.app
        data = await public.public_transcript(app, info.context.pool, task_id, number)
        if data is None:
            return None
        limit: int = app.state.transcript_inline_max_bytes
        if len(data) > limit:
            path = public.public_transcript_path(task_id, number)
            raise query_error(
                ErrorCode.TRANSCRIPT_TOO_LARGE,
                None,
                f"the public transcript has {len(data)} bytes, over the {limit} this field "
                f"returns: download it from {path}",
                size=len(data),
                limit=limit,
                digest=hashlib.sha256(data).hexdigest(),
                download=path,
            )
        return data.decode("utf-8")

    @strawberry.field(
        description="验证 Recompute a draw from its stored transcript, as `spotcheck draw "
        "verify` does, and check it against the published commit and entropy. Null if there "
        "is no such draw."
    )
    async def verify_draw(
        self, info: strawberry.Info[Context, None], task_id: str, number: int
    ) -> DrawVerification | None:
        result = await service.verify(info.context.pool, task_id, number)
        if result is None:
            return None
        return DrawVerification(ok=result.ok, problems=list(result.problems))

    @strawberry.field(
        description="检查 Inspections (one per drawn subject with a team) by key. Public; the "
        "inspectors' records are staff-only."
    )
    async def inspections(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: InspectionFilter | None = None,
    ) -> Connection[Inspection]:
        n = page_size(first)
        if filter is not None and filter.staff_id is not None and not info.context.actor.is_staff:
            raise query_error(
                ErrorCode.FORBIDDEN, "filter.staffId", "only staff look inspections up by staff id"
            )
        sql, args = inspections_query(filter or InspectionFilter(), decode_cursor(after), n + 1)
        rows = await info.context.pool.fetch(sql, *args)
        return connection([(r["id"], Inspection.from_row(r)) for r in rows], n)

    @strawberry.field(description="One inspection by key `{taskId}/{drawNumber}/{subjectKey}`.")
    async def inspection(self, info: strawberry.Info[Context, None], key: str) -> Inspection | None:
        return (await load_inspections(info, [key]))[0]
