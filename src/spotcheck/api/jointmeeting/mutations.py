"""Mutations of the joint meeting (联席会议): its composition (the office), meetings and minutes
(drafted and issued by the office, signed by the convener or the vice convener, acknowledged by
the recipients), and action items (assigned and chased by the office, reported done by the
department)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.jointmeeting.types import ActionItem, JointMeetingComposition, Meeting
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.services import jointmeeting as service

OFFICE = "the office of the joint meeting: SYSTEM_ADMIN, or SCJG's DEPARTMENT_ADMIN"
RECIPIENT = "the department's DEPARTMENT_ADMIN or its liaison"


# Composition
@strawberry.input(description="任命 Fill a seat of the joint meeting (replacing its holder).")
class AppointJointMeetingSeatInput:
    position: jc.Position = strawberry.field(description="职务 The seat.")
    name: str = strawberry.field(description="姓名 The person (personal data).")
    department: str | None = strawberry.field(
        default=None, description="所在单位 Required for a member: the member department."
    )
    user_id: str | None = strawberry.field(
        default=None,
        description="The person's platform account; required for the convener and the vice "
        "convener, who sign minutes.",
    )
    reason: str | None = strawberry.field(default=None, description="Why (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> jc.AppointJointMeetingSeat:
        return command_from(self, jc.AppointJointMeetingSeat)


@strawberry.input(description="免去 Vacate a seat of the joint meeting.")
class VacateJointMeetingSeatInput:
    position: jc.Position = strawberry.field(description="职务 The seat.")
    department: str | None = strawberry.field(
        default=None, description="The member's department (a member seat only)."
    )
    reason: str = strawberry.field(description="Why (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> jc.VacateJointMeetingSeat:
        return command_from(self, jc.VacateJointMeetingSeat)


@strawberry.type
class JointMeetingCompositionPayload:
    composition: JointMeetingComposition | None
    errors: list[UserError]


# Meetings and minutes
@strawberry.input(description="召开会议 Record a meeting of the joint meeting.")
class ScheduleMeetingInput:
    meeting_id: str = strawberry.field(description="会议编号 Meeting id, e.g. 2026-01.")
    kind: mt.MeetingKind = strawberry.field(description="会议类型 Kind.")
    title: str = strawberry.field(description="会议名称 Title (at most 200 characters).")
    held_on: dt.date = strawberry.field(description="会议日期 Date (Beijing).")
    agenda: list[str] = strawberry.field(default_factory=list, description="议程 Agenda.")
    documents: list[str] = strawberry.field(
        default_factory=list, description="传达的文件 Documents conveyed."
    )
    attended: list[str] = strawberry.field(
        default_factory=list, description="出席单位 Codes of the departments that attended."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.ScheduleMeeting:
        return command_from(self, mt.ScheduleMeeting)


@strawberry.input(description="出席情况 Replace the list of departments that attended.")
class RecordMeetingAttendanceInput:
    meeting_id: str
    attended: list[str] = strawberry.field(description="出席单位 Department codes.")
    reason: str | None = strawberry.field(default=None, description="Why (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.RecordMeetingAttendance:
        return command_from(self, mt.RecordMeetingAttendance)


@strawberry.input(
    description="起草会议纪要 Draft a minute of a held meeting; with `corrects`, a correction "
    "of a signed minute (reason required)."
)
class DraftMinutesInput:
    meeting_id: str
    text: str = strawberry.field(description="纪要正文 Text.")
    decisions: list[str] = strawberry.field(
        default_factory=list, description="议定事项 Decided matters, in order."
    )
    recipients: list[str] = strawberry.field(
        default_factory=list, description="相关单位 Named units besides the members (codes)."
    )
    corrects: int | None = strawberry.field(
        default=None, description="更正 The number of the signed minute this one corrects."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why; required for a correction."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.DraftMinutes:
        return command_from(self, mt.DraftMinutes)


@strawberry.input(description="修改纪要草稿 Revise a draft minute (a signed one never changes).")
class ReviseMinutesInput:
    meeting_id: str
    number: int
    text: str
    decisions: list[str] = strawberry.field(default_factory=list)
    recipients: list[str] = strawberry.field(default_factory=list)
    reason: str | None = strawberry.field(default=None, description="Why (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.ReviseMinutes:
        return command_from(self, mt.ReviseMinutes)


@strawberry.input(description="审签 Sign a draft minute.")
class SignMinutesInput:
    meeting_id: str
    number: int
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.SignMinutes:
        return command_from(self, mt.SignMinutes)


@strawberry.input(description="印发 Issue a signed minute to the members and the named units.")
class IssueMinutesInput:
    meeting_id: str
    number: int
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.IssueMinutes:
        return command_from(self, mt.IssueMinutes)


@strawberry.input(description="签收 Acknowledge receipt of an issued minute for a department.")
class AcknowledgeMinutesInput:
    meeting_id: str
    number: int
    department: str = strawberry.field(description="签收单位 The recipient department's code.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> mt.AcknowledgeMinutes:
        return command_from(self, mt.AcknowledgeMinutes)


@strawberry.type
class MeetingPayload:
    meeting: Meeting | None
    errors: list[UserError]


# Action items
@strawberry.input(description="交办议定事项 Assign a decided matter of a signed minute.")
class AssignActionItemInput:
    action_id: str = strawberry.field(description="事项编号 Action item id.")
    meeting_id: str
    minutes_number: int = strawberry.field(description="The signed minute's number.")
    matter: int = strawberry.field(description="The decided matter's number in the minute.")
    title: str = strawberry.field(description="事项内容 What is to be done.")
    department: str = strawberry.field(description="责任单位 The responsible department.")
    due_date: dt.date = strawberry.field(description="办结时限 Due date, not before the meeting.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> ai.AssignActionItem:
        return command_from(self, ai.AssignActionItem)


@strawberry.input(description="办结 Report an action item done, with evidence of completion.")
class CompleteActionItemInput:
    action_id: str
    evidence: str = strawberry.field(
        description="办结材料 What was done, with document numbers (at most 2000 characters)."
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> ai.CompleteActionItem:
        return command_from(self, ai.CompleteActionItem)


@strawberry.input(description="督办 Record a reminder chasing an open action item.")
class RemindActionItemInput:
    action_id: str
    note: str = strawberry.field(description="督办内容 What the office asked.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> ai.RemindActionItem:
        return command_from(self, ai.RemindActionItem)


@strawberry.type
class ActionItemPayload:
    action_item: ActionItem | None
    errors: list[UserError]


def _composition(
    info: strawberry.Info[Context, None], key: str | None, command: jc.CompositionCommand
) -> Awaitable[JointMeetingCompositionPayload]:
    ctx = info.context
    return run_mutation(
        info,
        key,
        lambda caller: service.change_composition(ctx.runner, caller, command),
        JointMeetingCompositionPayload,
        "composition",
        JointMeetingComposition.from_state,
    )


def _meeting(
    info: strawberry.Info[Context, None], key: str | None, command: mt.MeetingCommand
) -> Awaitable[MeetingPayload]:
    ctx = info.context
    return run_mutation(
        info,
        key,
        lambda caller: service.handle_meeting(ctx.runner, caller, command),
        MeetingPayload,
        "meeting",
        Meeting.from_state,
    )


def _action_item(
    info: strawberry.Info[Context, None], key: str | None, command: ai.ActionItemCommand
) -> Awaitable[ActionItemPayload]:
    ctx = info.context
    return run_mutation(
        info,
        key,
        lambda caller: service.handle_action_item(ctx.runner, caller, command),
        ActionItemPayload,
        "action_item",
        ActionItem.from_state,
    )


@strawberry.type
class JointMeetingMutations:
    @strawberry.mutation(description=f"任命 Fill a seat of the joint meeting ({OFFICE}).")
    async def appoint_joint_meeting_seat(
        self, info: strawberry.Info[Context, None], input: AppointJointMeetingSeatInput
    ) -> JointMeetingCompositionPayload:
        return await _composition(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"免去 Vacate a seat of the joint meeting ({OFFICE}).")
    async def vacate_joint_meeting_seat(
        self, info: strawberry.Info[Context, None], input: VacateJointMeetingSeatInput
    ) -> JointMeetingCompositionPayload:
        return await _composition(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"召开会议 Record a meeting ({OFFICE}).")
    async def schedule_meeting(
        self, info: strawberry.Info[Context, None], input: ScheduleMeetingInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"出席情况 Record who attended ({OFFICE}).")
    async def record_meeting_attendance(
        self, info: strawberry.Info[Context, None], input: RecordMeetingAttendanceInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"起草会议纪要 Draft a minute ({OFFICE}).")
    async def draft_minutes(
        self, info: strawberry.Info[Context, None], input: DraftMinutesInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"修改纪要草稿 Revise a draft minute ({OFFICE}).")
    async def revise_minutes(
        self, info: strawberry.Info[Context, None], input: ReviseMinutesInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="审签 Sign a draft minute: only the accounts the composition records as "
        "convener (召集人) or vice convener (副召集人)."
    )
    async def sign_minutes(
        self, info: strawberry.Info[Context, None], input: SignMinutesInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"印发 Issue a signed minute ({OFFICE}).")
    async def issue_minutes(
        self, info: strawberry.Info[Context, None], input: IssueMinutesInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"签收 Acknowledge receipt of an issued minute ({RECIPIENT}).")
    async def acknowledge_minutes(
        self, info: strawberry.Info[Context, None], input: AcknowledgeMinutesInput
    ) -> MeetingPayload:
        return await _meeting(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"交办议定事项 Assign an action item ({OFFICE}).")
    async def assign_action_item(
        self, info: strawberry.Info[Context, None], input: AssignActionItemInput
    ) -> ActionItemPayload:
        return await _action_item(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"办结 Report an action item done, with evidence ({RECIPIENT} of the "
        "responsible department, or the office)."
    )
    async def complete_action_item(
        self, info: strawberry.Info[Context, None], input: CompleteActionItemInput
    ) -> ActionItemPayload:
        return await _action_item(info, input.idempotency_key, input.command())

    @strawberry.mutation(description=f"督办 Chase an open action item ({OFFICE}).")
    async def remind_action_item(
        self, info: strawberry.Info[Context, None], input: RemindActionItemInput
    ) -> ActionItemPayload:
        return await _action_item(info, input.idempotency_key, input.command())
