"""What every resolver receives: the caller, the store and command runner, per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from starlette.requests import Request

from spotcheck.api.loaders import Loaders
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

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.pool)

    def caller(self, idempotency_key: str | None = None) -> Caller:
        return Caller(
            actor=self.actor,
            request_id=self.request_id,
            correlation_id=self.request_id,
            idempotency_key=idempotency_key,
        )
