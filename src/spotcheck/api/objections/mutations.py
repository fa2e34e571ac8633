"""Mutations of objections (异议): filing (public, or registered by the lead department's
administrator) and answering (the lead department's administrator)."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.objections.types import Objection
from spotcheck.domain import objection as ob
from spotcheck.services import objections as service
from spotcheck.services.runner import Caller, Outcome


@strawberry.input(description="证据材料 An uploaded evidence file (POST /evidence) by SHA-256.")
class ObjectionAttachmentInput:
    sha256: str
    description: str | None = None


@strawberry.input(
    description="异议申请 File an objection to a published result. The public gives the "
    "result's key and the subject's USCC and grounds only (no attachments: the public does not "
    "upload evidence); the lead department's administrator may register one with attachments."
)
class FileObjectionInput:
    inspection_id: str = strawberry.field(description="The published result's key.")
    uscc: str | None = strawberry.field(
        default=None,
        description="统一社会信用代码 The subject's USCC (required from the public: standing).",
    )
    grounds: str = strawberry.field(description="异议理由 The grounds (at most 5000 characters).")
    items: list[str] = strawberry.field(
        default_factory=list, description="The items objected to (default: the whole result)."
    )
    attachments: list[ObjectionAttachmentInput] = strawberry.field(
        default_factory=list, description="Evidence (staff-registered objections only; ≤ 10)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="幂等键 Idempotency key (signed-in callers; the public has no identity to "
        "scope one to, so a public call with one is FORBIDDEN).",
    )

    def command(self) -> ob.FileObjection:
        return command_from(self, ob.FileObjection, inspection_id=self.inspection_id.strip())


@strawberry.input(description="异议答复 Answer an objection: upheld, corrected or rejected.")
class AnswerObjectionInput:
    objection_id: str = strawberry.field(description="受理编号 The reference number.")
    outcome: ob.AnswerOutcome
    reason: str = strawberry.field(description="答复理由 The reasons (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> ob.AnswerObjection:
        return command_from(self, ob.AnswerObjection, objection_id=self.objection_id.strip())


@strawberry.type
class ObjectionPayload:
    objection: Objection | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None],
    key: str | None,
    command: ob.ObjectionCommand,
    *,
    public: bool = False,
) -> ObjectionPayload:
    async def handler(caller: Caller) -> Outcome[ob.Objection]:
        return await service.handle(info.context.runner, caller, command)

    return await run_mutation(
        info, key, handler, ObjectionPayload, "objection", Objection.from_state, public=public
    )


@strawberry.type
class ObjectionMutations:
    @strawberry.mutation(
        description="异议申请 File an objection to a published result. Public (with the USCC; "
        "grounds only), or the lead department's DEPARTMENT_ADMIN or SYSTEM_ADMIN registering "
        "one (with attachments); other staff FORBIDDEN. A key that is not a published result of "
        "that USCC is NOT_FOUND. Returns the objection with its reference number (受理编号)."
    )
    async def file_objection(
        self, info: strawberry.Info[Context, None], input: FileObjectionInput
    ) -> ObjectionPayload:
        return await _run(info, input.idempotency_key, input.command(), public=True)

    @strawberry.mutation(
        description="异议答复 Answer an objection (the lead department's DEPARTMENT_ADMIN or "
        "SYSTEM_ADMIN, else NOT_LEAD_DEPARTMENT): UPHELD or REJECTED with reasons, or CORRECTED "
        "after amendInspectionResult(objectionId) amended the result. Answered once."
    )
    async def answer_objection(
        self, info: strawberry.Info[Context, None], input: AnswerObjectionInput
    ) -> ObjectionPayload:
        return await _run(info, input.idempotency_key, input.command())
