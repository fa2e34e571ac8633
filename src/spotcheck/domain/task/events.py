"""A task's events, how they fold into its state, and the aggregate's ``SPEC``."""

from __future__ import annotations

from msgspec.structs import replace

from spotcheck.domain.aggregate import AggregateSpec, Event
from spotcheck.domain.task.model import Task, TaskDefinition, TaskStatus


# Events
class InspectionTaskCreated(Event, frozen=True, kw_only=True):
    task_id: str
    plan_id: str
    definition: TaskDefinition


class InspectionTaskRevised(Event, frozen=True, kw_only=True):
    definition: TaskDefinition
    reason: str | None = None


class InspectionTaskPublished(Event, frozen=True, kw_only=True):
    """发布 Ready to be drawn."""


class InspectionTaskCancelled(Event, frozen=True, kw_only=True):
    reason: str
    previous: TaskStatus


def _from_definition(task_id: str, plan_id: str, d: TaskDefinition) -> Task:
    return Task(
        task_id=task_id,
        plan_id=plan_id,
        title=d.title,
        department=d.department,
        departments=list(d.departments),
        items=list(d.items),
        stratify_by_risk_class=d.stratify_by_risk_class,
        strata=list(d.strata),
        population=d.population,
        exclusions=d.exclusions,
        inspector_rules=d.inspector_rules,
        start_date=d.start_date,
        end_date=d.end_date,
        draw_batch_order=d.draw_batch_order,
        batches=list(d.batches),
        kind=d.kind,
        trigger=d.trigger,
        status=TaskStatus.DRAFT,
    )


def evolve(state: Task | None, event: Event) -> Task:
    if isinstance(event, InspectionTaskCreated):
        return _from_definition(event.task_id, event.plan_id, event.definition)
    assert state is not None, f"{type(event).__name__} before InspectionTaskCreated"
    if isinstance(event, InspectionTaskRevised):
        return _from_definition(state.task_id, state.plan_id, event.definition)
    if isinstance(event, InspectionTaskPublished):
        return replace(state, status=TaskStatus.PUBLISHED, published_once=True)
    if isinstance(event, InspectionTaskCancelled):
        return replace(state, status=TaskStatus.CANCELLED, cancel_reason=event.reason)
    raise TypeError(f"not an inspection task event: {event!r}")


SPEC: AggregateSpec[Task] = AggregateSpec(
    name="inspection_task",
    stream_prefix="task-",
    events=(
        InspectionTaskCreated,
        InspectionTaskRevised,
        InspectionTaskPublished,
        InspectionTaskCancelled,
    ),
    evolve=evolve,
    state_type=Task,
)
