"""Per-request DataLoaders: one batched query per table and key set, whatever the query shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.projections.state_tables import by_keys


class Loaders:
    """``state(spec, table)`` loads aggregates' current states by key, batched per tick."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._loaders: dict[str, DataLoader[str, Any]] = {}

    def state(self, spec: AggregateSpec[Any], table: str) -> DataLoader[str, Any]:
        loader = self._loaders.get(table)
        if loader is None:
            sql = by_keys(table)

            async def load(keys: Sequence[str]) -> list[Any]:
                rows = await self.pool.fetch(sql, list(keys))
                found = {r["id"]: spec.state_from_data(r["state"]) for r in rows}
                return [found.get(k) for k in keys]

            loader = DataLoader(load_fn=load)
            self._loaders[table] = loader
        return loader
