"""Every aggregate the server knows, its read table, and the event-type registry built from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spotcheck.domain import abnormal_listing as abnormal_listings_aggregate
from spotcheck.domain import account, credit_risk, department, inspector, item, item_list
from spotcheck.domain import draw as draws_aggregate
from spotcheck.domain import evidence as evidence_aggregate
from spotcheck.domain import holiday_schedule as holiday_schedules_aggregate
from spotcheck.domain import inspection as inspections_aggregate
from spotcheck.domain import objection as objections_aggregate
from spotcheck.domain import plan as plans_aggregate
from spotcheck.domain import subject as subjects_aggregate
from spotcheck.domain import task as tasks_aggregate
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.jointmeeting import action_item as action_items_aggregate
from spotcheck.domain.jointmeeting import composition as composition_aggregate
from spotcheck.domain.jointmeeting import meeting as meetings_aggregate
from spotcheck.domain.liaison import report as liaison_reports_aggregate
from spotcheck.domain.liaison import requests as liaison_requests
from spotcheck.domain.liaison import training as trainings_aggregate
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.projections import inspections as inspection_tables
from spotcheck.projections import state_tables
from spotcheck.projections.base import Projection
from spotcheck.projections.evidence_attachments import EvidenceAttachmentsProjection
from spotcheck.projections.inspections import InspectionLifecycleProjection, InspectionsProjection
from spotcheck.projections.item_lists import ItemListsProjection
from spotcheck.projections.publications import (
    AbnormalProposalsProjection,
    FollowUpsProjection,
    PublicationsProjection,
)
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.projections.streams import StreamsProjection

# (aggregate, its state table)
AGGREGATES: Sequence[tuple[AggregateSpec[Any], str]] = (
    (department.SPEC, state_tables.DEPARTMENTS),
    (account.SPEC, state_tables.ACCOUNTS),
    (item.SPEC, state_tables.INSPECTION_ITEMS),
    (inspector.SPEC, state_tables.INSPECTORS),
    (subjects_aggregate.SPEC, state_tables.SUBJECTS),
    (plans_aggregate.SPEC, state_tables.PLANS),
    (tasks_aggregate.SPEC, state_tables.TASKS),
    (draws_aggregate.SPEC, state_tables.DRAWS),
    (holiday_schedules_aggregate.SPEC, state_tables.HOLIDAY_SCHEDULES),
    (evidence_aggregate.SPEC, state_tables.EVIDENCE_FILES),
    (inspections_aggregate.SPEC, inspection_tables.RECORDS),
    (credit_risk.SPEC, state_tables.RISK_CLASS_PROPOSALS),
    (objections_aggregate.SPEC, state_tables.OBJECTIONS),
    (liaison_reports_aggregate.SPEC, state_tables.LIAISON_REPORTS),
    (liaison_requests.REPLACEMENT, state_tables.LIAISON_REPLACEMENT_REQUESTS),
    (liaison_requests.COORDINATION, state_tables.COORDINATION_REQUESTS),
    (trainings_aggregate.SPEC, state_tables.TRAININGS),
    (composition_aggregate.SPEC, state_tables.JOINT_MEETING_COMPOSITIONS),
    (meetings_aggregate.SPEC, state_tables.MEETINGS),
    (action_items_aggregate.SPEC, state_tables.ACTION_ITEMS),
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
