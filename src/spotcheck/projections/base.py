"""The projection contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class Routed(Protocol):
    """A projection that says which events its ``apply`` reads, so that a rebuild can feed it
    those only (``spotcheck.projections.folded``)."""

    stream_prefixes: tuple[str, ...]
    """``apply`` reads the events of the streams whose id starts with one of these and ignores
    every other event."""
    reads: tuple[str, ...]
    """The tables of other projections that ``apply`` reads (a rebuild writes them first)."""


@runtime_checkable
class FromLedger(Protocol):
    """A projection whose tables one SQL statement can build from the ledger, for a rebuild
    into empty tables (``spotcheck.projections.folded``).  The statement must give the rows
    ``apply`` gives for the events at ledger positions ``$1 < position <= $2``, with
    unqualified table names like ``apply``."""

    def from_ledger_sql(self) -> str: ...
