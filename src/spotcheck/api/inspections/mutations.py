"""Mutations of the inspection lifecycle (检查): schedule, enter results, return, approve,
publish, amend, record a re-check, update a transfer, open a case inspection."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.relay.types import GlobalID, GlobalIDValueError

from spotcheck.api.common.commands import DEFAULT, command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.inspections.types import InspectionRecord
from spotcheck.domain import inspection as i
from spotcheck.domain.subject import normalise_key
from spotcheck.services import inspections as service

_TEAM = "an assigned officer or expert of the team (谁检查、谁录入); else NOT_ASSIGNED_INSPECTOR"
_LEAD = (
    "the DEPARTMENT_ADMIN of the lead department (牵头部门) or SYSTEM_ADMIN; else "
    "NOT_LEAD_DEPARTMENT"
)
_ID = "The inspection's key or its global id."


def inspection_key(value: str) -> str:
    """A key, or the global id of an InspectionRecord or a drawn Inspection."""
    try:
        gid = GlobalID.from_id(value)
    except GlobalIDValueError:
        return value
    return gid.node_id if gid.type_name in ("InspectionRecord", "Inspection") else value


@strawberry.input(description="检查要点 One check point of the item's checklist, marked.")
class CheckPointMarkInput:
    point: str = strawberry.field(description="The check point's code in the item's checklist.")
    mark: i.CheckMark
    note: str | None = strawberry.field(default=None, description="Required for NOT_APPLICABLE.")

    def value(self) -> i.CheckPointResult:
        return command_from(self, i.CheckPointResult, point=self.point.strip())


@strawberry.input(
    description="后续处置 Follow-up: give exactly the field its kind needs (ORDER_TO_CORRECT: "
    "correctBy; CASE_TRANSFER, JUDICIAL_TRANSFER: receivingBody; NOTIFY_DEPARTMENT: "
    "notifyDepartment; OTHER: description; NONE: nothing)."
)
class InspectionFollowUpInput:
    kind: i.FollowUpKind
    correct_by: dt.date | None = strawberry.field(
        default=None, description="整改期限 Not before the inspection date."
    )
    receiving_body: str | None = strawberry.field(default=None, description="接收机关")
    notify_department: str | None = strawberry.field(
        default=None, description="抄告部门 A department code."
    )
    description: str | None = strawberry.field(default=None, description="其他处置")

    def value(self) -> i.FollowUp:
        # The re-check and the transfer's progress are recorded later, by their own commands.
        return command_from(
            self,
            i.FollowUp,
            rechecked_on=DEFAULT,
            corrected=DEFAULT,
            recheck_note=DEFAULT,
            transfer_status=DEFAULT,
            transfer_note=DEFAULT,
        )


@strawberry.input(description="证据 An evidence file uploaded with POST /evidence, by SHA-256.")
class InspectionEvidenceInput:
    sha256: str = strawberry.field(description="64 hexadecimal digits (the upload's answer).")
    description: str = strawberry.field(description="What it shows.")
    delegated_body: str | None = strawberry.field(
        default=None,
        description="委托检测/审计 The testing or audit body whose report this is: for an item "
        "inspected by DELEGATED method at least one evidence file names it; other items take "
        "none.",
    )


@strawberry.input(description="检查结果 The result of one inspection item.")
class InspectionItemResultInput:
    item: str = strawberry.field(description="The item's code.")
    check_points: list[CheckPointMarkInput] = strawberry.field(
        description="Every check point of the item's checklist, each exactly once."
    )
    code: i.ResultCode
    findings: str = strawberry.field(
        default="", description="检查情况 Findings (required for a problem code)."
    )
    follow_up: InspectionFollowUpInput
    evidence: list[InspectionEvidenceInput] = strawberry.field(default_factory=list)

    def value(self) -> i.ItemResult:
        return command_from(self, i.ItemResult, item=self.item.strip())


@strawberry.input(description="排期 Schedule (or reschedule) an inspection.")
class ScheduleInspectionInput:
    inspection_id: str = strawberry.field(description=_ID)
    scheduled_on: dt.date = strawberry.field(
        description="Not in the past; within the task's dates."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.ScheduleInspection:
        return command_from(
            self, i.ScheduleInspection, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="录入检查结果 Enter the results: one per item of the inspection.")
class SubmitInspectionResultsInput:
    inspection_id: str = strawberry.field(description=_ID)
    inspected_on: dt.date = strawberry.field(
        description="检查日期 Not before the task's start, not in the future (Beijing date)."
    )
    results: list[InspectionItemResultInput]
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.SubmitInspectionResults:
        return command_from(
            self, i.SubmitInspectionResults, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="退回 Return submitted results to the inspectors.")
class ReturnInspectionResultsInput:
    inspection_id: str = strawberry.field(description=_ID)
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.ReturnInspectionResults:
        return command_from(
            self, i.ReturnInspectionResults, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="审核通过 Approve submitted results.")
class ApproveInspectionResultsInput:
    inspection_id: str = strawberry.field(description=_ID)
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.ApproveInspectionResults:
        return command_from(
            self, i.ApproveInspectionResults, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="公示 Publish approved results (一公开).")
class PublishInspectionResultsInput:
    inspection_id: str = strawberry.field(description=_ID)
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.PublishInspectionResults:
        return command_from(
            self, i.PublishInspectionResults, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="更正 Amend one approved item result (recorded as an amendment).")
class AmendInspectionResultInput:
    inspection_id: str = strawberry.field(description=_ID)
    result: InspectionItemResultInput
    reason: str = strawberry.field(description="更正理由 Why (required).")
    objection_id: str | None = strawberry.field(
        default=None,
        description="异议 The objection to this published result that the correction answers "
        "(it must await an answer); then answer it with answerObjection(outcome: CORRECTED).",
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.AmendInspectionResult:
        return command_from(
            self, i.AmendInspectionResult, inspection_id=inspection_key(self.inspection_id)
        )


@strawberry.input(description="复查 Record the re-check of an order to correct.")
class RecordCorrectionRecheckInput:
    inspection_id: str = strawberry.field(description=_ID)
    item: str = strawberry.field(description="The item whose follow-up is ORDER_TO_CORRECT.")
    rechecked_on: dt.date = strawberry.field(
        description="Not before the inspection, not in the future."
    )
    corrected: bool = strawberry.field(description="已改正 Found corrected.")
    note: str | None = strawberry.field(default=None, description="Required when not corrected.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.RecordCorrectionRecheck:
        return command_from(
            self,
            i.RecordCorrectionRecheck,
            inspection_id=inspection_key(self.inspection_id),
            item=self.item.strip(),
        )


@strawberry.input(description="移送办理情况 Update the status of a transferred case lead.")
class UpdateCaseTransferInput:
    inspection_id: str = strawberry.field(description=_ID)
    item: str = strawberry.field(description="The item whose follow-up is a transfer.")
    status: i.TransferStatus = strawberry.field(
        description="Forward only: TRANSFERRED → ACCEPTED → CASE_FILED → CLOSED, or DECLINED."
    )
    note: str | None = None
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.UpdateCaseTransfer:
        return command_from(
            self,
            i.UpdateCaseTransfer,
            inspection_id=inspection_key(self.inspection_id),
            item=self.item.strip(),
        )


@strawberry.input(
    description="个案检查 Open a case inspection from a complaint, referral or monitoring record, "
    "assigning its officers directly."
)
class OpenCaseInspectionInput:
    department: str = strawberry.field(description="The assigning department (your own).")
    reference: str = strawberry.field(
        description="The record number: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter/digit."
    )
    source: i.CaseSource
    subject: str = strawberry.field(description="检查对象 The subject's key.")
    items: list[str] = strawberry.field(description="The department's items in force.")
    officers: list[str] = strawberry.field(
        description="2-10 staff ids, the lead (主检) first: active enforcement staff of the "
        "department with a certificate valid today and no declared conflict (回避) with the "
        "subject."
    )
    reason: str = strawberry.field(description="指派理由 Why (required).")
    end_date: dt.date = strawberry.field(description="结束日期 Not before today.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.OpenCaseInspection:
        return command_from(
            self,
            i.OpenCaseInspection,
            department=self.department.strip(),
            reference=self.reference.strip(),
            subject=normalise_key(self.subject),
            items=[x.strip() for x in self.items],
            officers=[x.strip() for x in self.officers],
        )


@strawberry.type
class InspectionRecordPayload:
    inspection: InspectionRecord | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: i.InspectionCommand
) -> InspectionRecordPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command),
        InspectionRecordPayload,
        "inspection",
        InspectionRecord.from_state,
    )


@strawberry.type
class InspectionRecordMutations:
    @strawberry.mutation(description=f"排期 Schedule an inspection ({_TEAM}).")
    async def schedule_inspection(
        self, info: strawberry.Info[Context, None], input: ScheduleInspectionInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"录入检查结果 Enter an inspection's results ({_TEAM}); again after a return."
    )
    async def submit_inspection_results(
        self, info: strawberry.Info[Context, None], input: SubmitInspectionResultsInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"退回 Return submitted results with a reason ({_LEAD}).")
    async def return_inspection_results(
        self, info: strawberry.Info[Context, None], input: ReturnInspectionResultsInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"审核通过 Approve submitted results ({_LEAD}).")
    async def approve_inspection_results(
        self, info: strawberry.Info[Context, None], input: ApproveInspectionResultsInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"公示 Publish approved results ({_LEAD}).")
    async def publish_inspection_results(
        self, info: strawberry.Info[Context, None], input: PublishInspectionResultsInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"更正 Amend an approved item result with a reason ({_LEAD}): recorded as "
        "an amendment with before and after, public at once when already published."
    )
    async def amend_inspection_result(
        self, info: strawberry.Info[Context, None], input: AmendInspectionResultInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="复查 Record the re-check of an order to correct (the team, or the lead "
        "department's DEPARTMENT_ADMIN or SYSTEM_ADMIN; else NOT_ASSIGNED_INSPECTOR)."
    )
    async def record_correction_recheck(
        self, info: strawberry.Info[Context, None], input: RecordCorrectionRecheckInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"移送办理情况 Update a transfer's status ({_LEAD}).")
    async def update_case_transfer(
        self, info: strawberry.Info[Context, None], input: UpdateCaseTransferInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="个案检查 Open a case inspection (the DEPARTMENT_ADMIN of `department` only, "
        "a named person with a reason; else FORBIDDEN)."
    )
    async def open_case_inspection(
        self, info: strawberry.Info[Context, None], input: OpenCaseInspectionInput
    ) -> InspectionRecordPayload:
        return await _run(info, input.idempotency_key, input.command())
