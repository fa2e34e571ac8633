"""What every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from starlette.requests import Request

from spotcheck.eventstore.store import EventStore


@dataclass
class Context:
    request: Request
    pool: asyncpg.Pool
    store: EventStore
