"""What every aggregate module provides, gathered so services and projections stay generic.

An aggregate's events are ``msgspec`` structs (one class per event type; the class name is the
stored event type).  ``msgspec`` turns them into plain JSON values and back with validation:
it is the library for typed, fast (de)serialisation, so we do not write our own.

Stored events live for ever, so each event type has a schema version (``Event.schema_version``,
1 unless the struct says otherwise) and an aggregate carries upcasters that lift stored data one
version at a time: see "Changing an event" in docs/event-store.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

S = TypeVar("S")


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every domain event."""

    schema_version: ClassVar[int] = 1
    """The version new events of this type are written with.  Bump it (and add an upcaster
    from the previous version) when a stored event of the old shape would not decode, or would
    decode to something else: docs/event-store.md, "Changing an event"."""


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every command."""


def to_data(value: msgspec.Struct) -> dict[str, Any]:
    data = msgspec.to_builtins(value)
    assert isinstance(data, dict)
    return data


def from_data(data: Any, cls: type[Any]) -> Any:
    return msgspec.convert(data, cls)


Upcaster = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
"""Lifts the data of a stored event of one ``(type, schema_version)`` to the next version:
returns the event type at ``schema_version + 1`` (the same name, or a new one for a rename or
a split) and its data.  It must not change its argument."""


class UndecodableEvent(ValueError):
    """A stored event that today's code cannot read: an unknown type, a version newer than the
    code, or an older version without an upcaster."""

    def __init__(self, event_type: str, schema_version: int, why: str) -> None:
        super().__init__(f"{event_type} v{schema_version}: {why}")
        self.event_type = event_type
        self.schema_version = schema_version


@dataclass(frozen=True)
class AggregateSpec(Generic[S]):
    """One aggregate: its stream prefix, event types, fold and state (de)serialisation."""

    name: str
    stream_prefix: str
    events: tuple[type[Event], ...]
    evolve: Callable[[S | None, Any], S]
    state_type: type[S]
    upcasters: Mapping[tuple[str, int], Upcaster] = field(default_factory=dict)
    """By the stored ``(event type, schema version)`` they lift to the next version."""
    born_as: frozenset[str] = frozenset()
    """Event types whose data is the state they fold to from nothing (the state has exactly the
    event's fields, copied as they are): a stream of that one event needs no fold for its state.
    The bulk importer's workers take such a stream's state row from the event's JSON."""

    def __post_init__(self) -> None:
        for (event_type, version), _ in self.upcasters.items():
            current = self.event_types.get(event_type)
            if current is not None and version >= current.schema_version:
                raise ValueError(
                    f"{self.name}: an upcaster from {event_type} v{version}, which is not older"
                    f" than the current v{current.schema_version}"
                )

    def stream_id(self, key: str) -> str:
        return self.stream_prefix + key

    def key_of(self, stream_id: str) -> str:
        return stream_id.removeprefix(self.stream_prefix)

    def owns(self, stream_id: str) -> bool:
        return stream_id.startswith(self.stream_prefix)

    @cached_property
    def event_types(self) -> dict[str, type[Event]]:
        return {cls.__name__: cls for cls in self.events}

    def decode(self, event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
        """The event stored as ``event_type`` at ``schema_version`` with ``data``, lifted to
        today's struct by the upcasters.  The stored data is not changed (hashes are over it).

        Raises ``UndecodableEvent`` for a type or version this code cannot read, and msgspec's
        ``ValidationError`` for data that does not fit the struct."""
        types = self.event_types
        version = schema_version
        while True:
            cls = types.get(event_type)
            if cls is not None and version == cls.schema_version:
                return from_data(data, cls)  # type: ignore[no-any-return]
            if cls is not None and version > cls.schema_version:
                raise UndecodableEvent(
                    event_type, version, f"newer than this code (v{cls.schema_version})"
                )
            upcast = self.upcasters.get((event_type, version))
            if upcast is None:
                why = "no upcaster to the next version" if cls else "not an event of " + self.name
                raise UndecodableEvent(event_type, version, why)
            event_type, data = upcast(data)
            version += 1

    def fold(self, events: Iterable[Event], state: S | None = None) -> S | None:
        for e in events:
            state = self.evolve(state, e)
        return state

    def state_data(self, state: S) -> dict[str, Any]:
        return to_data(state)  # type: ignore[arg-type]

    def state_json(self, state: S) -> bytes:
        """The state as JSON text, in one step (the same values as ``state_data``)."""
        return msgspec.json.encode(state)

    def state_from_data(self, data: Any) -> S:
        return from_data(data, self.state_type)  # type: ignore[no-any-return]
