"""The projection contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import asyncpg

from spotcheck.eventstore.envelope import RecordedEvent


class Projection(Protocol):
    """Keeps read tables in step with events.

    ``apply`` runs on the appending transaction's connection and must use unqualified table
    names, so that a rebuild can replay the ledger into a scratch schema via ``search_path``.
    Applying events one batch at a time or all at once must give the same tables.
    """

    name: str
    tables: tuple[str, ...]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None: ...
