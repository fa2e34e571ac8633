"""Every aggregate the server knows, its read table, and the event-type registry built from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spotcheck.domain import abnormal_listing as abnormal_listings_aggregate
from spotcheck.domain import account, department, inspector, item, item_list
from spotcheck.domain import draw as draws_aggregate
from spotcheck.domain import evidence as evidence_aggregate
from spotcheck.domain import holiday_schedule as holiday_schedules_aggregate
from spotcheck.domain import inspection as inspections_aggregate
from spotcheck.domain import plan as plans_aggregate
from spotcheck.domain import subject as subjects_aggregate
from spotcheck.domain import task as tasks_aggregate
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.projections.base import Projection
from spotcheck.projections.item_lists import ItemListsProjection
from spotcheck.projections.publications import (
    AbnormalProposalsProjection,
    FollowUpsProjection,
    PublicationsProjection,
)
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.projections.streams import StreamsProjection
from spotcheck.services.draws import InspectionsProjection
from spotcheck.services.evidence import EvidenceAttachmentsProjection
from spotcheck.services.inspections import InspectionLifecycleProjection

# (aggregate, its state table)
AGGREGATES: Sequence[tuple[AggregateSpec[Any], str]] = (
    (department.SPEC, "departments"),
    (account.SPEC, "accounts"),
    (item.SPEC, "inspection_items"),
    (inspector.SPEC, "inspectors"),
    (subjects_aggregate.SPEC, "subjects"),
    (plans_aggregate.SPEC, "plans"),
    (tasks_aggregate.SPEC, "tasks"),
    (draws_aggregate.SPEC, "draws"),
    (holiday_schedules_aggregate.SPEC, "holiday_schedules"),
    (evidence_aggregate.SPEC, "evidence_files"),
    (inspections_aggregate.SPEC, "inspection_records"),
)

# (aggregate, its own projection): aggregates read through a custom table, not a state table
PROJECTED: Sequence[tuple[AggregateSpec[Any], Callable[[], Projection]]] = (
    (item_list.SPEC, ItemListsProjection),
    (draws_aggregate.SPEC, InspectionsProjection),
    (inspections_aggregate.SPEC, InspectionLifecycleProjection),
    (inspections_aggregate.SPEC, PublicationsProjection),
    (inspections_aggregate.SPEC, FollowUpsProjection),
    (abnormal_listings_aggregate.SPEC, AbnormalProposalsProjection),
    (inspections_aggregate.SPEC, EvidenceAttachmentsProjection),
)


def event_registry() -> EventTypeRegistry:
    reg = EventTypeRegistry()
    for spec, _ in (*AGGREGATES, *PROJECTED):
        for cls in spec.events:
            reg.register(cls.__name__, cls.schema_version)  # new events are written at it
    return reg


def projections() -> list[Projection]:
    out: list[Projection] = [StreamsProjection()]
    out.extend(StateTableProjection(spec, table) for spec, table in AGGREGATES)
    out.extend(make() for _, make in PROJECTED)
    return out
