"""The one clock: "now" and "today (Beijing)" come from PostgreSQL.

A command's instant is its transaction's ``now()``, which PostgreSQL also stores as the
``recorded_at`` of every event the command writes, so a decision, the event that records it and
any date derived from it (approved on, published on, inspected "today") can never disagree.
Reads that depend on the date (deadlines as of today, a correction past its due date, the
duty-list review, statistics) ask the same database clock.  The Python process's own clock
decides nothing in the record: it is used only where a protocol needs it (a JWT's ``exp``/``iat``).

Nothing lets a caller set this clock.  Tests move it by running PostgreSQL under libfaketime
(``tests/clock.py``); ``tests/run.py`` runs the date-sensitive tests at chosen instants.

Dates are Beijing dates: China Standard Time is UTC+8 with no daylight saving since 1991, so an
inspection finished at 23:30 UTC on 8 October was finished on 9 October.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from spotcheck.domain.inspection import beijing_date

__all__ = ["beijing_date", "beijing_today", "db_now"]


async def db_now(conn: asyncpg.Connection | asyncpg.Pool) -> datetime:
    """The database's ``now()``: inside a transaction, its start (the events' ``recorded_at``)."""
    instant: datetime = await conn.fetchval("SELECT now()")
    return instant


async def beijing_today(conn: asyncpg.Connection | asyncpg.Pool) -> date:
    """Today's Beijing date by the database clock."""
    return beijing_date(await db_now(conn))
