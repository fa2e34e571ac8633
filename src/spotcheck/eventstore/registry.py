"""The event types a store accepts, with their schema versions."""

from __future__ import annotations

import re

from spotcheck.eventstore.errors import InvalidEvent, UnknownEventType

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,99}$")


class EventTypeRegistry:
    """Event types by name; each accepts schema versions 1..current."""

    def __init__(self) -> None:
        self._current: dict[str, int] = {}

    def register(self, event_type: str, schema_version: int = 1) -> None:
        if not _NAME.match(event_type):
            raise InvalidEvent("event_type", "must be PascalCase ASCII, at most 100 characters")
        if schema_version < 1:
            raise InvalidEvent("schema_version", "must be at least 1")
        self._current[event_type] = max(schema_version, self._current.get(event_type, 0))

    def current_version(self, event_type: str) -> int:
        try:
            return self._current[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def check(self, event_type: str, schema_version: int) -> None:
        current = self.current_version(event_type)
        if not 1 <= schema_version <= current:
            raise UnknownEventType(event_type, schema_version)

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._current

    def names(self) -> list[str]:
        return sorted(self._current)
