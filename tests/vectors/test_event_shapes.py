"""Shape guard: an event struct that changes shape without a version bump and an upcaster fails
here (tests/vectors/event_shapes.py says how it compares; docs/event-store.md why)."""

from __future__ import annotations

from typing import Any

import msgspec

from spotcheck.domain.aggregate import AggregateSpec, Event, Upcaster
from tests.vectors.event_shapes import catalog_specs, problems, recorded, shape


def test_every_event_struct_has_its_recorded_shape() -> None:
    found = problems(recorded(), catalog_specs())
    assert not found, "\n".join(found)


def test_every_event_type_is_recorded_and_nothing_else() -> None:
    names = {cls.__name__ for spec in catalog_specs() for cls in spec.events}
    retired = {t for spec in catalog_specs() for (t, _) in spec.upcasters} - names
    assert set(recorded()) == names | retired


# The guard on a toy aggregate (not a real one): each kind of change, and what it says.


class Ticket(msgspec.Struct, frozen=True, kw_only=True):
    seat: str


def sold(*fields: Any, version: int = 1) -> type[Event]:
    """The struct named Sold as it is at one moment (each variant is a separate class)."""
    return msgspec.defstruct(  # type: ignore[return-value]
        "Sold",
        [("seat", str), *fields],
        bases=(Event,),
        namespace={"schema_version": version},
        frozen=True,
        kw_only=True,
    )


Sold = sold(("price", int))
SoldWithNote = sold(("price", int), ("note", str, ""))
SoldWithRow = sold(("price", int), ("row", int))
SoldRetyped = sold(("price", str))
SoldV2 = sold(("price_cents", int), version=2)


def _evolve(state: Ticket | None, event: Any) -> Ticket:
    return Ticket(seat=event.seat)


def spec(cls: type[Event], upcasters: dict[tuple[str, int], Upcaster] | None = None) -> Any:
    return AggregateSpec[Ticket](
        name="ticket",
        stream_prefix="ticket-",
        events=(cls,),
        evolve=_evolve,
        state_type=Ticket,
        upcasters=upcasters or {},
    )


SOLD_V1 = {"Sold": {"1": shape(Sold)}}


def test_an_unchanged_struct_passes() -> None:
    assert problems(SOLD_V1, [spec(Sold)]) == []


def test_a_new_field_with_a_default_must_be_recorded() -> None:
    [found] = problems(SOLD_V1, [spec(SoldWithNote)], write="WRITE")
    assert "Sold v1 changed compatibly (Sold.note added with a default)" in found
    assert "must be recorded: run `WRITE`" in found


def test_a_new_field_without_a_default_needs_a_version_bump() -> None:
    [found] = problems(SOLD_V1, [spec(SoldWithRow)])
    assert "Sold.row added WITHOUT a default" in found
    assert "without a version bump" in found and "schema_version = 2" in found
    assert "add an upcaster for ('Sold', 1) to ticket's SPEC.upcasters" in found


def test_a_changed_type_needs_a_version_bump() -> None:
    [found] = problems(SOLD_V1, [spec(SoldRetyped)])
    assert "Sold.price changed type" in found and "without a version bump" in found


def test_a_version_bump_needs_its_upcaster_and_its_shape() -> None:
    found = problems(SOLD_V1, [spec(SoldV2)], write="WRITE")
    assert found == [
        "Sold v2 has no recorded shape: record it with `WRITE`",
        "Sold v1 is recorded but has no upcaster to v2",
    ]

    def sold_1(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "Sold", {"seat": data["seat"], "price_cents": data["price"] * 100}

    both = {"Sold": {"1": shape(Sold), "2": shape(SoldV2)}}
    assert problems(both, [spec(SoldV2, {("Sold", 1): sold_1})]) == []


def test_a_retired_type_needs_an_upcaster() -> None:
    shapes = {"Sold": {"1": shape(Sold)}, "Reserved": {"1": shape(Sold)}}
    assert problems(shapes, [spec(Sold)]) == [
        "Reserved v1 has no struct any more and no upcaster to v2"
    ]
