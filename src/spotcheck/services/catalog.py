"""Every aggregate the server knows, its read table, and the event-type registry built from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spotcheck.domain import account, department
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.projections.base import Projection
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.projections.streams import StreamsProjection

# (aggregate, its state table)
AGGREGATES: Sequence[tuple[AggregateSpec[Any], str]] = (
    (department.SPEC, "departments"),
    (account.SPEC, "accounts"),
)


def event_registry() -> EventTypeRegistry:
    reg = EventTypeRegistry()
    for spec, _ in AGGREGATES:
        for cls in spec.events:
            reg.register(cls.__name__)
    return reg


def projections() -> list[Projection]:
    out: list[Projection] = [StreamsProjection()]
    out.extend(StateTableProjection(spec, table) for spec, table in AGGREGATES)
    return out
