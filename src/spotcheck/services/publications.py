"""一公开 Publication: the feed for the national systems, and abnormal-listing decisions.

The feed (国家企业信用信息公示系统 and similar platforms, docs/publication-feed.md) reads the
sealed ledger, never the live tables: the publication events (``InspectionResultsPublished``)
and the amendments of published results (``InspectionResultAmended`` with a record), in ledger
order.  A consumer keeps the position of the last entry it processed (or the page's
``next_after``) and asks for what comes after it: ledger positions are gapless and sealed in
order, and one page is read in one snapshot, so it sees each entry exactly once, in order.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import asyncpg
import orjson

from spotcheck.clock import beijing_today
from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as ins
from spotcheck.domain.aggregate import Event, from_data
from spotcheck.services.runner import Caller, CommandRunner, Outcome

FEED_MAX = 500
"""At most this many entries per page."""
SCAN_WINDOW = 100_000
"""At most this many ledger positions are scanned per page, so a page of a ledger with few
publications costs a bounded read; ``next_after`` then moves past the scanned positions."""


class FeedEventType(enum.Enum):
    """公示事件 What a feed entry records."""

    PUBLISHED = "PUBLISHED"
    """公示 Results published (InspectionResultsPublished)."""
    AMENDED = "AMENDED"
    """更正 A published result amended (InspectionResultAmended): the whole record again, with
    the amendment in ``amendments``."""


_TYPES = {
    ins.InspectionResultsPublished.__name__: FeedEventType.PUBLISHED,
    ins.InspectionResultAmended.__name__: FeedEventType.AMENDED,
}


@dataclass(frozen=True)
class FeedEntry:
    position: int
    event_type: FeedEventType
    event_id: str
    recorded_at: datetime
    record_data: dict[str, Any]
    """The record exactly as the sealed event holds it."""

    @cached_property
    def record(self) -> ins.PublishedRecord:
        return from_data(self.record_data, ins.PublishedRecord)  # type: ignore[no-any-return]

    def json_line(self) -> bytes:
        """One line of the JSON Lines export (docs/publication-feed.md), with its newline."""
        return orjson.dumps(
            {
                "position": self.position,
                "type": self.event_type.value,
                "event_id": self.event_id,
                "recorded_at": self.recorded_at,
                "record": self.record_data,
            },
            option=orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE,
        )


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    next_after: int
    """Pass as ``after`` for the next page: the last entry's position on a full page, else the
    last position scanned."""
    head: int
    """The ledger's head position when the page was read."""

    @property
    def has_more(self) -> bool:
        return self.next_after < self.head


# One statement, so one snapshot: the head and the entries agree.
_FEED = """
WITH head AS (SELECT coalesce(max(position), 0) AS position FROM ledger)
SELECT head.position AS head, x.position, x.event_type, x.event_id, x.recorded_at, x.record
  FROM head LEFT JOIN LATERAL (
    SELECT l.position, e.event_type, e.event_id, e.recorded_at, e.data->'record' AS record
      FROM ledger l JOIN events e ON e.seq = l.seq
     WHERE l.position > $1 AND l.position <= $1 + $3
       AND e.stream_id LIKE 'inspection-%'
       AND e.event_type = ANY($4::text[])
       AND jsonb_typeof(e.data->'record') = 'object'
     ORDER BY l.position
     LIMIT $2) x ON true
 ORDER BY x.position
"""


async def read_feed(
    conn: asyncpg.Connection | asyncpg.Pool,
    after: int,
    first: int,
    *,
    window: int = SCAN_WINDOW,
) -> FeedPage:
    """Publication entries at sealed ledger positions after ``after`` (at most ``first``)."""
    rows = await conn.fetch(_FEED, after, first, window, list(_TYPES))
    head = int(rows[0]["head"]) if rows else 0
    entries = [
        FeedEntry(
            position=r["position"],
            event_type=_TYPES[r["event_type"]],
            event_id=str(r["event_id"]),
            recorded_at=r["recorded_at"],
            record_data=r["record"],
        )
        for r in rows
        if r["position"] is not None
    ]
    if first > 0 and len(entries) == first:
        next_after = entries[-1].position
    else:
        next_after = max(after, min(head, after + window))
    return FeedPage(entries=entries, next_after=next_after, head=head)


async def feed_from(
    conn: asyncpg.Connection | asyncpg.Pool, since: int, page: int = FEED_MAX
) -> AsyncIterator[FeedEntry]:
    """Every entry after ``since`` up to the ledger head as it was at the first page."""
    got = await read_feed(conn, since, page)
    stop = got.head
    while True:
        for entry in got.entries:
            if entry.position > stop:
                return
            yield entry
        if got.next_after >= stop:
            return
        got = await read_feed(conn, got.next_after, page)


# 经营异常名录 decisions
_PROPOSAL = """
SELECT id, subject_key, subject_name, uscc, status FROM abnormal_operation_proposals WHERE id = $1
"""


async def proposal(conn: asyncpg.Connection | asyncpg.Pool, key: str) -> al.Proposal | None:
    r = await conn.fetchrow(_PROPOSAL, key)
    if r is None:
        return None
    return al.Proposal(
        inspection_id=r["id"],
        subject=r["subject_key"],
        subject_name=r["subject_name"],
        uscc=r["uscc"],
        status=al.ProposalStatus(r["status"]),
    )


async def decide_listing(
    runner: CommandRunner, caller: Caller, command: al.AbnormalListingCommand
) -> Outcome[al.AbnormalListing]:
    async def decide(conn: asyncpg.Connection, state: al.AbnormalListing | None) -> list[Event]:
        found = await proposal(conn, command.inspection_id)
        return al.decide(state, command, caller.actor, found, await beijing_today(conn))

    return await runner.run(caller, al.SPEC, command.inspection_id, command, decide)
