"""Who may keep a task, and one function per command behind an exhaustive ``match``."""

from __future__ import annotations

from typing import assert_never

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.plan import Plan, PlanStatus
from spotcheck.domain.task.commands import (
    CancelTask,
    CreateTask,
    PublishTask,
    ReviseTask,
    TaskCommand,
)
from spotcheck.domain.task.definition import _as_fields, check_definition, definition_of
from spotcheck.domain.task.events import (
    InspectionTaskCancelled,
    InspectionTaskCreated,
    InspectionTaskPublished,
    InspectionTaskRevised,
)
from spotcheck.domain.task.model import Task, TaskRefs, TaskStatus


def _authorize(actor: Actor, lead: str | None, field: str | None = None) -> None:
    if lead is None:
        allowed = actor.is_admin or Role.DEPARTMENT_ADMIN in actor.roles
    else:
        allowed = actor.maintains(lead)
    if not allowed:
        raise rules.forbid(
            "only the system administrator or the lead department's administrator keeps an "
            "inspection task (抽查任务)",
            field,
        )


def _plan(refs: TaskRefs, plan_id: str) -> Plan:
    if refs.plan is None:
        raise rules.not_found("annual plan", plan_id, "planId")
    return refs.plan


def _not_draft(state: Task, what: str) -> DomainError:
    return DomainError.one(
        ErrorCode.INVALID_TRANSITION,
        None,
        f"only a draft task can be {what}; this one is {state.status.value}",
    )


def _existing(state: Task | None, task_id: str, actor: Actor) -> Task:
    """The task a command other than creating one is about; kept by its lead department."""
    if state is None:
        raise rules.not_found("inspection task", task_id, "taskId")
    _authorize(actor, state.department)
    return state


def _create(state: Task | None, command: CreateTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    lead = command.department or (refs.plan.department if refs.plan else None)
    _authorize(actor, lead, "department")
    rules.code(p, "taskId", command.task_id, max_len=40)
    plan = _plan(refs, command.plan_id)
    definition = check_definition(p, command, lead or plan.department, plan, refs)
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "taskId", f"inspection task {command.task_id!r} exists"
        )
    return [
        InspectionTaskCreated(
            task_id=command.task_id, plan_id=command.plan_id, definition=definition
        )
    ]


def _revise(state: Task, command: ReviseTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    lead = command.department or state.department
    _authorize(actor, lead, "department")
    if state.status is not TaskStatus.DRAFT:
        raise _not_draft(state, "revised")
    definition = check_definition(p, command, lead, _plan(refs, state.plan_id), refs)
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if definition == definition_of(state):
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [InspectionTaskRevised(definition=definition, reason=reason)]


def _publish(state: Task, command: PublishTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    if state.status is not TaskStatus.DRAFT:
        raise _not_draft(state, "published")
    plan = _plan(refs, state.plan_id)
    if plan.status is not PlanStatus.FILED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "planId",
            f"plan {plan.plan_id!r} is not filed (备案) yet; file it before publishing its tasks",
        )
    # The registries may have changed since the draft was written: check it all again.
    p = Problems()
    check_definition(p, _as_fields(state), state.department, plan, refs)
    p.raise_if_any()
    return [InspectionTaskPublished()]


def _cancel(state: Task, command: CancelTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    rules.reason(p, command.reason, "cancelling a task")
    p.raise_if_any()
    if state.status is TaskStatus.CANCELLED:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, None, "the task is already cancelled")
    return [InspectionTaskCancelled(reason=str(command.reason).strip(), previous=state.status)]


def decide(state: Task | None, command: TaskCommand, actor: Actor, refs: TaskRefs) -> list[Event]:
    """One function per command."""
    match command:
        case CreateTask():
            return _create(state, command, actor, refs)
        case ReviseTask():
            return _revise(_existing(state, command.task_id, actor), command, actor, refs)
        case PublishTask():
            return _publish(_existing(state, command.task_id, actor), command, actor, refs)
        case CancelTask():
            return _cancel(_existing(state, command.task_id, actor), command, actor, refs)
        case _:
            assert_never(command)
