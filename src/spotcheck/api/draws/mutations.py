"""Mutations of draws (抽取): commit, execute, void, replace an inspector."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.relay.types import GlobalID, GlobalIDValueError

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.draws.types import Draw, Inspection, load_inspections
from spotcheck.api.scalars import SafeInt
from spotcheck.domain import draw as d
from spotcheck.draw import transcript as tr
from spotcheck.services import draws as service
from spotcheck.services.runner import Caller, Outcome

_DRAWERS = "SYSTEM_ADMIN or the DEPARTMENT_ADMIN of the task's lead department (牵头部门)"


@strawberry.input(description="公开随机源 A public future entropy source, named in advance.")
class EntropySourceInput:
    name: str = strawberry.field(
        description="Names the source exactly, e.g. `双色球 2026045 红球` (game, issue, part)."
    )
    kind: tr.SourceKind
    description: str = strawberry.field(
        default="", description="Where and when its value is published."
    )


@strawberry.input(
    description="承诺抽取 Freeze a draw: the population now, the parameters, the inspector "
    "candidates, the entropy sources named in advance and the commitment to a server seed."
)
class CommitDrawInput:
    task_id: str
    sources: list[EntropySourceInput] = strawberry.field(
        description="Public future entropy sources, in the order they enter the key string."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.CommitDraw:
        return command_from(self, d.CommitDraw)


@strawberry.input(
    description="随机源取值 The value a committed source published: `numbers` for a NUMBERS "
    "source, `text` for a TEXT source."
)
class EntropyValueInput:
    name: str
    numbers: list[SafeInt] | None = None
    text: str | None = None


@strawberry.input(
    description="执行抽取 Execute the committed draw with the published entropy values, in the "
    "committed order."
)
class ExecuteDrawInput:
    task_id: str
    entropy: list[EntropyValueInput]
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.ExecuteDraw:
        return command_from(self, d.ExecuteDraw, entropy=_entropy(self.entropy))


@strawberry.input(description="作废抽取 Void the task's current draw (it stays on record).")
class VoidDrawInput:
    task_id: str
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> d.VoidDraw:
        return command_from(self, d.VoidDraw)


@strawberry.input(
    description="更换检查人员 Replace a team member who fell out; the draw names the "
    "replacement (same key, next counter)."
)
class ReplaceInspectorInput:
    inspection_id: str = strawberry.field(
        description="The inspection's key `{taskId}/{drawNumber}/{subjectKey}` or its global id."
    )
    staff_id: str = strawberry.field(description="工号 The member who falls out.")
    reason: str = strawberry.field(description="Why (required), e.g. 病假, 回避.")
    idempotency_key: str | None = idempotency_field()


@strawberry.type
class DrawPayload:
    draw: Draw | None
    errors: list[UserError]


@strawberry.type
class InspectionPayload:
    inspection: Inspection | None
    errors: list[UserError]


def _entropy(values: list[EntropyValueInput]) -> list[tr.EntropyValue]:
    """Exactly one of numbers and text: a value with both or neither is refused by the check
    against the committed kind (neither is REQUIRED for a NUMBERS source)."""
    out = []
    for v in values:
        value: list[int] | str
        if v.text is not None and v.numbers is not None:
            value = ""  # both: refused whatever the committed kind
        elif v.text is not None:
            value = v.text
        else:
            value = [int(n) for n in v.numbers or []]
        out.append(tr.EntropyValue(name=v.name, value=value))
    return out


async def _draw_mutation(
    info: strawberry.Info[Context, None],
    key: str | None,
    handler: Any,
    number: Any,
) -> DrawPayload:
    """Run ``handler(caller)``; the payload shows draw ``number(state)`` of the task."""

    def node(state: d.TaskDraws) -> Draw | None:
        x = number(state)
        return Draw.from_state(state.task_id, x) if x is not None else None

    return await run_mutation(info, key, handler, DrawPayload, "draw", node)


def _inspection_key(value: str) -> str:
    try:
        gid = GlobalID.from_id(value)
    except GlobalIDValueError:
        return value
    return gid.node_id if gid.type_name == "Inspection" else value


@strawberry.type
class DrawMutations:
    @strawberry.mutation(
        description=f"承诺抽取 Commit a draw of a published task ({_DRAWERS}). Public at once; "
        "refused while another draw of the task is not voided."
    )
    async def commit_draw(
        self, info: strawberry.Info[Context, None], input: CommitDrawInput
    ) -> DrawPayload:
        ctx = info.context
        cmd = input.command()

        def handler(caller: Caller) -> Any:
            return service.commit(ctx.runner, caller, cmd)

        return await _draw_mutation(
            info, input.idempotency_key, handler, lambda s: s.draws[-1] if s.draws else None
        )

    @strawberry.mutation(
        description=f"执行抽取 Execute the committed draw ({_DRAWERS}): reveal the seed, draw the "
        "subjects per stratum and match inspectors. Of two simultaneous calls one executes "
        "and the other gets INVALID_TRANSITION."
    )
    async def execute_draw(
        self, info: strawberry.Info[Context, None], input: ExecuteDrawInput
    ) -> DrawPayload:
        ctx = info.context
        cmd = input.command()

        def handler(caller: Caller) -> Any:
            return service.execute(ctx.runner, caller, cmd)

        return await _draw_mutation(
            info, input.idempotency_key, handler, lambda s: s.draws[-1] if s.draws else None
        )

    @strawberry.mutation(
        description="作废抽取 Void the task's current draw (SYSTEM_ADMIN only; reason required). "
        "It stays on record; a re-draw needs a new commit."
    )
    async def void_draw(
        self, info: strawberry.Info[Context, None], input: VoidDrawInput
    ) -> DrawPayload:
        ctx = info.context
        cmd = input.command()

        def handler(caller: Caller) -> Any:
            return service.void(ctx.runner, caller, cmd)

        return await _draw_mutation(
            info, input.idempotency_key, handler, lambda s: s.draws[-1] if s.draws else None
        )

    @strawberry.mutation(
        description=f"更换检查人员 Replace a member of an inspection's team ({_DRAWERS}; reason "
        "required). The replacement is drawn, never chosen by hand, and appended to the "
        "transcript."
    )
    async def replace_inspector(
        self, info: strawberry.Info[Context, None], input: ReplaceInspectorInput
    ) -> InspectionPayload:
        ctx = info.context
        key = _inspection_key(input.inspection_id.strip())
        found: dict[str, Inspection | None] = {}

        async def handler(caller: Caller) -> Outcome[d.TaskDraws]:
            cmd = service.replace_command(key, input.staff_id, input.reason)
            outcome = await service.replace(ctx.runner, caller, cmd)
            found["row"] = (await load_inspections(info, [key]))[0]
            return outcome

        return await run_mutation(
            info,
            input.idempotency_key,
            handler,
            InspectionPayload,
            "inspection",
            lambda _: found.get("row"),
        )
