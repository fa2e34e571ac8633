"""What every aggregate module provides, gathered so services and projections stay generic.

An aggregate's events are ``msgspec`` structs (one class per event type; the class name is the
stored event type).  ``msgspec`` turns them into plain JSON values and back with validation:
it is the library for typed, fast (de)serialisation, so we do not write our own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

S = TypeVar("S")


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every domain event."""


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every command."""


def to_data(value: msgspec.Struct) -> dict[str, Any]:
    data = msgspec.to_builtins(value)
    assert isinstance(data, dict)
    return data


def from_data(data: Any, cls: type[Any]) -> Any:
    return msgspec.convert(data, cls)


@dataclass(frozen=True)
class AggregateSpec(Generic[S]):
    """One aggregate: its stream prefix, event types, fold and state (de)serialisation."""

    name: str
    stream_prefix: str
    events: tuple[type[Event], ...]
    evolve: Callable[[S | None, Any], S]
    state_type: type[S]

    def stream_id(self, key: str) -> str:
        return self.stream_prefix + key

    def key_of(self, stream_id: str) -> str:
        return stream_id.removeprefix(self.stream_prefix)

    def owns(self, stream_id: str) -> bool:
        return stream_id.startswith(self.stream_prefix)

    @property
    def event_types(self) -> dict[str, type[Event]]:
        return {cls.__name__: cls for cls in self.events}

    def decode(self, event_type: str, data: dict[str, Any]) -> Event:
        return from_data(data, self.event_types[event_type])  # type: ignore[no-any-return]

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
