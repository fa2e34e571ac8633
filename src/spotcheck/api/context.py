"""What every resolver receives: the caller, the store and command runner, per-request loaders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import asyncpg
from starlette.requests import Request

from spotcheck.api.loaders import Loaders
from spotcheck.clock import beijing_today
from spotcheck.domain.actor import Actor
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.store import EventStore
from spotcheck.services.runner import Caller, CommandRunner


@dataclass
class Context:
    request: Request
    pool: asyncpg.Pool
    store: EventStore
    runner: CommandRunner
    actor: Actor
    regions: Regions
    request_id: str | None = None
    loaders: Loaders = field(init=False)
    _today: dt.date | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.pool)

    async def today(self) -> dt.date:
        """Today's Beijing date by the database clock, read once per request."""
        if self._today is None:
            self._today = await beijing_today(self.pool)
        return self._today

    def caller(self, idempotency_key: str | None = None) -> Caller:
        return Caller(
            actor=self.actor,
            request_id=self.request_id,
            correlation_id=self.request_id,
            idempotency_key=idempotency_key,
        )
