"""Mutations on the registry of inspection subjects: register and correct a subject."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.subjects.types import Subject
from spotcheck.domain import subject as s
from spotcheck.domain.kinds import SubjectKind
from spotcheck.services import subjects as service


@strawberry.input(description="登记检查对象 A new inspection subject.")
class RegisterSubjectInput:
    kind: SubjectKind
    uscc: str | None = strawberry.field(
        default=None,
        description="统一社会信用代码 for ENTERPRISE and INDIVIDUAL_BUSINESS (lower case is "
        "accepted); null for the other kinds.",
    )
    identifier: str | None = strawberry.field(
        default=None,
        description="For PRODUCT, PROJECT, BEHAVIOUR: KIND:DEPT:local, DEPT being the maintaining "
        "department, local 1-64 characters of A-Z a-z 0-9 . _ - (e.g. PRODUCT:SCJG:2026-000123).",
    )
    name: str = strawberry.field(description="名称 Name (at most 200 characters).")
    region: str = strawberry.field(description="所在街道、乡镇 Region code (see `regions`).")
    industry: str | None = strawberry.field(
        default=None, description="行业 GB/T 4754 code, e.g. F5211 or 5211."
    )
    address: str | None = strawberry.field(default=None, description="住所（经营场所） Address.")
    legal_representative: str | None = strawberry.field(
        default=None,
        description="法定代表人/经营者 Legal representative or operator; required except for "
        "PRODUCT and BEHAVIOUR.",
    )
    status: s.RegistrationStatus = s.RegistrationStatus.ACTIVE
    risk_class: s.RiskClass | None = None
    maintaining_department: str = strawberry.field(
        description="维护部门 Department code; a department administrator registers for their own "
        "department only."
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="标签 At most 20 tags of at most 30 characters."
    )
    items: list[str] = strawberry.field(
        default_factory=list,
        description="适用抽查事项 Codes of inspection items that apply (not retired ones).",
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> s.RegisterSubject:
        return command_from(self, s.RegisterSubject)


@strawberry.input(
    description="更正检查对象 A correction: null leaves a field unchanged; an empty string clears "
    "an optional text field, an empty list clears tags or items."
)
class UpdateSubjectInput:
    key: str = strawberry.field(description="The subject's USCC or identifier.")
    reason: str = strawberry.field(description="Why the record is corrected (required).")
    name: str | None = None
    region: str | None = None
    industry: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    status: s.RegistrationStatus | None = None
    risk_class: s.RiskClass | None = None
    maintaining_department: str | None = strawberry.field(
        default=None, description="Move the subject to another department (SYSTEM_ADMIN only)."
    )
    tags: list[str] | None = None
    items: list[str] | None = None
    idempotency_key: str | None = idempotency_field()

    def command(self) -> s.UpdateSubject:
        return command_from(self, s.UpdateSubject)


@strawberry.type
class SubjectPayload:
    subject: Subject | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: s.SubjectCommand
) -> SubjectPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command, ctx.regions),
        SubjectPayload,
        "subject",
        lambda state: Subject.from_state(state, ctx.actor),
    )


@strawberry.type
class SubjectMutations:
    @strawberry.mutation(
        description="登记检查对象 Register an inspection subject (SYSTEM_ADMIN; a department "
        "administrator for their own department)."
    )
    async def register_subject(
        self, info: strawberry.Info[Context, None], input: RegisterSubjectInput
    ) -> SubjectPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="更正检查对象 Correct an inspection subject (the maintaining department's "
        "administrator or SYSTEM_ADMIN; reason required; the changes are recorded)."
    )
    async def update_subject(
        self, info: strawberry.Info[Context, None], input: UpdateSubjectInput
    ) -> SubjectPayload:
        return await _run(info, input.idempotency_key, input.command())
