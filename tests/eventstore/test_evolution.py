"""Changing an event (docs/event-store.md): a toy aggregate (not a real one) stores a v1 event;
its struct then moves to v2 with an upcaster, and replay of the stored stream decodes the old
event as v2 while its stored bytes, and so its content hash, stay as written."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec
import pytest

from spotcheck.domain.aggregate import AggregateSpec, Event, UndecodableEvent, to_data
from spotcheck.eventstore import NO_STREAM, EventStore, EventTypeRegistry, NewEvent
from spotcheck.eventstore.envelope import RecordedEvent


class Lamp(msgspec.Struct, frozen=True, kw_only=True):
    room: str
    watts: int


# --- year one: the lamp is installed in a room ---------------------------------------------


class LampInstalledV1(Event, frozen=True, kw_only=True):
    room: str


def evolve_v1(state: Lamp | None, event: Any) -> Lamp:
    assert isinstance(event, LampInstalledV1)
    return Lamp(room=event.room, watts=0)


LampInstalledV1.__name__ = "LampInstalled"  # the stored type name, as a class name would be
SPEC_V1 = AggregateSpec[Lamp](
    name="lamp",
    stream_prefix="lamp-",
    events=(LampInstalledV1,),
    evolve=evolve_v1,
    state_type=Lamp,
)


# --- year two: "room" becomes "location" and the watts are recorded -----------------------


class LampInstalled(Event, frozen=True, kw_only=True):
    schema_version = 2

    location: str
    watts: int


def lamp_installed_v1_to_v2(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """v1 said ``room``; it is the location.  Lamps of v1 were all 40 W."""
    return "LampInstalled", {"location": data["room"], "watts": 40}


def evolve_v2(state: Lamp | None, event: Any) -> Lamp:
    assert isinstance(event, LampInstalled)
    return Lamp(room=event.location, watts=event.watts)


SPEC_V2 = AggregateSpec[Lamp](
    name="lamp",
    stream_prefix="lamp-",
    events=(LampInstalled,),
    evolve=evolve_v2,
    state_type=Lamp,
    upcasters={("LampInstalled", 1): lamp_installed_v1_to_v2},
)


def registry(spec: AggregateSpec[Any]) -> EventTypeRegistry:
    reg = EventTypeRegistry()
    for cls in spec.events:
        reg.register(cls.__name__, cls.schema_version)
    return reg


def replay(spec: AggregateSpec[Lamp], events: list[RecordedEvent]) -> Lamp | None:
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


async def test_a_v1_event_replays_through_its_upcaster_after_the_struct_moved_to_v2(
    pool: asyncpg.Pool,
) -> None:
    # Year one writes with the v1 code.
    old = EventStore(pool, registry(SPEC_V1))
    first = LampInstalledV1(room="hall")
    [stored] = await old.append(
        "lamp-1", NO_STREAM, [NewEvent(type(first).__name__, to_data(first))]
    )
    assert (stored.event_type, stored.schema_version) == ("LampInstalled", 1)
    assert replay(SPEC_V1, await old.read_stream("lamp-1")) == Lamp(room="hall", watts=0)

    # Year two: the same rows, read by the v2 code.
    new = EventStore(pool, registry(SPEC_V2))
    [read] = await new.read_stream("lamp-1")
    assert (read.schema_version, read.data) == (1, {"room": "hall"})  # never rewritten
    assert read.content_hash == stored.content_hash
    assert SPEC_V2.decode(read.event_type, 1, read.data) == LampInstalled(location="hall", watts=40)
    assert replay(SPEC_V2, [read]) == Lamp(room="hall", watts=40)

    # New events are written at v2 and decode without an upcaster.
    second = LampInstalled(location="attic", watts=60)
    [written] = await new.append("lamp-2", NO_STREAM, [NewEvent("LampInstalled", to_data(second))])
    assert written.schema_version == 2
    assert replay(SPEC_V2, await new.read_stream("lamp-2")) == Lamp(room="attic", watts=60)

    # The v1 code cannot read a v2 event: it says so instead of guessing.
    with pytest.raises(UndecodableEvent, match="newer than this code"):
        SPEC_V1.decode(written.event_type, written.schema_version, written.data)


def test_upcasters_chain_one_version_at_a_time_and_may_rename() -> None:
    class Switched(Event, frozen=True, kw_only=True):
        schema_version = 3
        on: bool
        by: str

    seen: list[int] = []

    def toggled_1(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:  # renamed at v2
        seen.append(1)
        return "Switched", {"on": data["state"] == "on"}

    def switched_2(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        seen.append(2)
        return "Switched", {**data, "by": "unknown"}

    spec = AggregateSpec[Lamp](
        name="switch",
        stream_prefix="switch-",
        events=(Switched,),
        evolve=evolve_v2,
        state_type=Lamp,
        upcasters={("Toggled", 1): toggled_1, ("Switched", 2): switched_2},
    )
    stored = {"state": "on"}
    assert spec.decode("Toggled", 1, stored) == Switched(on=True, by="unknown")
    assert seen == [1, 2] and stored == {"state": "on"}
    assert spec.decode("Switched", 2, {"on": False}) == Switched(on=False, by="unknown")
    assert spec.decode("Switched", 3, {"on": True, "by": "x"}) == Switched(on=True, by="x")


def test_what_cannot_be_read_is_refused() -> None:
    with pytest.raises(UndecodableEvent, match="no upcaster"):
        AggregateSpec[Lamp](
            name="lamp",
            stream_prefix="lamp-",
            events=(LampInstalled,),
            evolve=evolve_v2,
            state_type=Lamp,
        ).decode("LampInstalled", 1, {"room": "hall"})
    with pytest.raises(UndecodableEvent, match="not an event of lamp"):
        SPEC_V2.decode("LampRemoved", 1, {})
    with pytest.raises(msgspec.ValidationError):
        SPEC_V2.decode("LampInstalled", 2, {"location": "hall"})
    with pytest.raises(ValueError, match="not older than the current"):
        AggregateSpec[Lamp](
            name="lamp",
            stream_prefix="lamp-",
            events=(LampInstalled,),
            evolve=evolve_v2,
            state_type=Lamp,
            upcasters={("LampInstalled", 2): lamp_installed_v1_to_v2},
        )
