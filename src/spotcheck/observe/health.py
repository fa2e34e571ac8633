"""Is this server fit to take traffic?  ``/readyz``'s checks, and the ledger figures that the
metrics share with them.

- **database**: a connection from the pool answers within ``database_timeout_s`` (a database
  that is gone or hangs is a failed check, never a hung probe);
- **migrations**: the versions recorded in ``schema_migrations`` are exactly the files in
  ``migrations/`` shipped with this code: a pending one means the schema is older than the code,
  an unknown one that a newer spotcheck migrated the database (``serve`` refuses to start then,
  see ``spotcheck.db.migrate``);
- **sealer**: the oldest committed event not yet sealed is younger than ``max_sealer_lag_s``;
- **checkpoint**: the oldest sealed entry not yet covered by a signed checkpoint was sealed
  less than ``max_checkpoint_lag_s`` ago.  Not the age of the latest checkpoint itself: on a
  quiet day nothing new is sealed, nothing needs signing, and an old checkpoint is correct.

The sealer and checkpoint figures are the database's, not this process's: every server on the
database sees the same ones, and one stalled sealer makes them all not ready.  Durations come
from PostgreSQL's clock (``clock_timestamp()``), like every other time in the product.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from spotcheck.db.migrate import shipped_versions

__all__ = [
    "Readiness",
    "ReadyThresholds",
    "compare",
    "ledger_health",
    "readiness",
    "shipped_versions",
]

DEFAULT_SEALER_LAG_S = 60.0
DEFAULT_CHECKPOINT_LAG_S = 60.0
DEFAULT_DATABASE_TIMEOUT_S = 2.0


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds") from None
    if not 0 < value < 1e9:
        raise ValueError(f"{name} must be a positive number of seconds")
    return value


@dataclass(frozen=True)
class ReadyThresholds:
    """What ``/readyz`` tolerates (``SPOTCHECK_READY_*``)."""

    max_sealer_lag_s: float = DEFAULT_SEALER_LAG_S
    max_checkpoint_lag_s: float = DEFAULT_CHECKPOINT_LAG_S
    database_timeout_s: float = DEFAULT_DATABASE_TIMEOUT_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ReadyThresholds:
        return cls(
            max_sealer_lag_s=_seconds(
                env, "SPOTCHECK_READY_MAX_SEALER_LAG_S", DEFAULT_SEALER_LAG_S
            ),
            max_checkpoint_lag_s=_seconds(
                env, "SPOTCHECK_READY_MAX_CHECKPOINT_LAG_S", DEFAULT_CHECKPOINT_LAG_S
            ),
            database_timeout_s=_seconds(
                env, "SPOTCHECK_READY_DB_TIMEOUT_S", DEFAULT_DATABASE_TIMEOUT_S
            ),
        )


# Migrations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationState:
    pending: tuple[str, ...]
    """Shipped with the code, not applied: the schema is older than the code."""
    unknown: tuple[str, ...]
    """Applied, with no file here: a newer spotcheck migrated this database."""

    @property
    def current(self) -> bool:
        return not self.pending and not self.unknown

    def problem(self) -> str | None:
        parts = []
        if self.unknown:
            parts.append(
                f"the database has migrations this code does not ship: {', '.join(self.unknown)} "
                "(it was migrated by a newer spotcheck)"
            )
        if self.pending:
            parts.append(f"migrations not applied yet: {', '.join(self.pending)}")
        return "; ".join(parts) or None


def compare(applied: Iterable[str], shipped: Iterable[str]) -> MigrationState:
    have, ours = set(applied), set(shipped)
    return MigrationState(pending=tuple(sorted(ours - have)), unknown=tuple(sorted(have - ours)))


async def applied_versions(conn: asyncpg.Connection) -> list[str] | None:
    """What dbmate recorded as applied; None when the database was never migrated."""
    if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        return None
    return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]


# The ledger ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerHealth:
    head_position: int
    unsealed: int
    sealer_lag_s: float
    """Age of the oldest committed event not yet sealed; 0 when every one is sealed."""
    checkpoint_size: int
    """Tree size of the latest signed checkpoint (0: none yet)."""
    checkpoint_age_s: float | None
    """Since the latest checkpoint was signed (None: none yet)."""
    checkpoint_lag_s: float
    """Since the oldest sealed entry that no signed checkpoint covers was sealed; 0 if none."""


_LEDGER_HEALTH = """
WITH head AS (SELECT position, seq FROM ledger ORDER BY position DESC LIMIT 1),
     cp AS (SELECT tree_size, signed_at FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1),
     waiting AS (SELECT count(*) AS n, min(recorded_at) AS oldest FROM events
                  WHERE seq > coalesce((SELECT seq FROM head), 0))
SELECT coalesce((SELECT position FROM head), 0) AS head_position,
       (SELECT n FROM waiting) AS unsealed,
       extract(epoch FROM clock_timestamp() - (SELECT oldest FROM waiting))::float8 AS sealer_lag,
       coalesce((SELECT tree_size FROM cp), 0) AS checkpoint_size,
       extract(epoch FROM clock_timestamp() - (SELECT signed_at FROM cp))::float8 AS cp_age,
       extract(epoch FROM clock_timestamp() - (
           SELECT sealed_at FROM ledger
            WHERE position = coalesce((SELECT tree_size FROM cp), 0) + 1))::float8 AS cp_lag
"""


async def ledger_health(conn: asyncpg.Connection | asyncpg.Pool) -> LedgerHealth:
    """Four index lookups and a count of the unsealed events (a handful, when all is well)."""
    row = await conn.fetchrow(_LEDGER_HEALTH)
    assert row is not None
    return LedgerHealth(
        head_position=int(row["head_position"]),
        unsealed=int(row["unsealed"]),
        sealer_lag_s=max(0.0, row["sealer_lag"] or 0.0),
        checkpoint_size=int(row["checkpoint_size"]),
        checkpoint_age_s=None if row["cp_age"] is None else max(0.0, row["cp_age"]),
        checkpoint_lag_s=max(0.0, row["cp_lag"] or 0.0),
    )


# Readiness -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    ready: bool
    failing: list[str]
    checks: dict[str, dict[str, Any]]

    def body(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "unavailable",
            "failing": self.failing,
            "checks": self.checks,
        }


def _failure(exc: BaseException) -> str:
    """What a failure is, without its text (which may name hosts, roles or databases)."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}"


async def readiness(
    pool: asyncpg.Pool,
    shipped: frozenset[str],
    thresholds: ReadyThresholds,
    *,
    sealer_role: str | None = None,
    checkpointer_role: str | None = None,
) -> Readiness:
    """Every check, each named in ``failing`` when it fails; never waits on the database for
    longer than ``thresholds.database_timeout_s``."""
    checks: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    applied: list[str] | BaseException | None
    ledger: LedgerHealth | BaseException
    try:
        async with asyncio.timeout(thresholds.database_timeout_s):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                checks["database"] = {
                    "ok": True,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
                try:
                    applied = await applied_versions(conn)
                except asyncpg.PostgresError as exc:
                    applied = exc
                try:
                    ledger = await ledger_health(conn)
                except asyncpg.PostgresError as exc:
                    ledger = exc
    except Exception as exc:  # a probe answers, whatever the database or driver raised
        # A timeout during the later queries still means the database is not answering.
        checks["database"] = {
            "ok": False,
            "reason": f"the database did not answer: {_failure(exc)} "
            f"(timeout {thresholds.database_timeout_s:g} s)",
        }
        skipped = {"ok": None, "reason": "not checked: the database did not answer"}
        for name in ("migrations", "sealer", "checkpoint"):
            checks[name] = dict(skipped)
        return Readiness(False, ["database"], checks)

    if isinstance(applied, BaseException):
        checks["migrations"] = {
            "ok": False,
            "reason": f"cannot read schema_migrations: {_failure(applied)}",
        }
    elif applied is None:
        checks["migrations"] = {"ok": False, "reason": "the database was never migrated"}
    else:
        state = compare(applied, shipped)
        checks["migrations"] = {
            "ok": state.current,
            "version": max(applied, default=None),
            **({"reason": state.problem()} if not state.current else {}),
            **({"pending": list(state.pending)} if state.pending else {}),
            **({"unknown": list(state.unknown)} if state.unknown else {}),
        }

    if isinstance(ledger, BaseException):
        reason = f"cannot read the ledger: {_failure(ledger)}"
        checks["sealer"] = {"ok": False, "reason": reason}
        checks["checkpoint"] = {"ok": False, "reason": reason}
    else:
        sealer_ok = ledger.sealer_lag_s <= thresholds.max_sealer_lag_s
        checks["sealer"] = {
            "ok": sealer_ok,
            "lagSeconds": round(ledger.sealer_lag_s, 3),
            "maxLagSeconds": thresholds.max_sealer_lag_s,
            "unsealed": ledger.unsealed,
            "headPosition": ledger.head_position,
            **({"role": sealer_role} if sealer_role else {}),
            **(
                {}
                if sealer_ok
                else {
                    "reason": f"the oldest unsealed event waits {ledger.sealer_lag_s:.1f} s, "
                    f"over {thresholds.max_sealer_lag_s:g} s"
                }
            ),
        }
        cp_ok = ledger.checkpoint_lag_s <= thresholds.max_checkpoint_lag_s
        checks["checkpoint"] = {
            "ok": cp_ok,
            "lagSeconds": round(ledger.checkpoint_lag_s, 3),
            "maxLagSeconds": thresholds.max_checkpoint_lag_s,
            "treeSize": ledger.checkpoint_size,
            **({"role": checkpointer_role} if checkpointer_role else {}),
            "ageSeconds": None
            if ledger.checkpoint_age_s is None
            else round(ledger.checkpoint_age_s, 3),
            **(
                {}
                if cp_ok
                else {
                    "reason": f"sealed entries wait {ledger.checkpoint_lag_s:.1f} s for a "
                    f"signed checkpoint, over {thresholds.max_checkpoint_lag_s:g} s"
                }
            ),
        }
    failing = [name for name, check in checks.items() if check["ok"] is False]
    return Readiness(not failing, failing, checks)
