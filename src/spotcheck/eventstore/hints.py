"""Content-hash hints: the content hashes of committed events, handed to the sealer in-process.

A process that appends events holds their canonical JSON already; when a sealer runs in the
same process, the store computes each bulk-appended event's content hash from those pieces and,
once the transaction has committed, hands it to the sealer (``EventStore.on_hints``).  The
sealer then reads only the next events' ``seq``, ``event_id`` and ``xmin`` and takes a hint's
hash for a row whose event id *and* inserting transaction match it; every other row is read in
full and hashed as before.  docs/event-store.md says why a hint cannot be wrong for a row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_HINTS = 200_000
"""Hints kept at most (about 200 bytes each); the oldest transactions' go first."""


@dataclass
class _Transaction:
    generation: int
    """When a hint was last added (the count of :meth:`HintBook.add` calls then)."""
    hashes: dict[int, bytes]
    """Event id (as an integer) -> content hash."""


class HintBook:
    """The hints a sealer holds, by transaction, oldest first, at most ``limit`` of them."""

    def __init__(self, limit: int = MAX_HINTS) -> None:
        self.limit = limit
        self.count = 0
        self.generation = 0
        """How many times hints were added: a read that began at generation ``g`` can see
        every event hinted up to ``g`` (hints come after their commit)."""
        self._by_xid: OrderedDict[int, _Transaction] = OrderedDict()

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, xid: int, event_ids: list[int], hashes: list[bytes]) -> None:
        if len(event_ids) > self.limit:
            return
        self.generation += 1
        tx = self._by_xid.get(xid)
        if tx is None:
            tx = self._by_xid[xid] = _Transaction(self.generation, {})
        tx.generation = self.generation
        before = len(tx.hashes)
        tx.hashes.update(zip(event_ids, hashes, strict=True))
        self.count += len(tx.hashes) - before
        while self.count > self.limit:
            _, dropped = self._by_xid.popitem(last=False)
            self.count -= len(dropped.hashes)

    def take(self, rows: Sequence[Sequence[Any]]) -> tuple[list[bytes | None], int]:
        """For rows ``(seq, event_id, xmin)``: the hash hinted for each (None where there is
        none), taking those hints out; and how many there were.  A hint taken for an event that
        is then not sealed (a gap cuts the batch) is lost: the event is read in full later."""
        by_xid = self._by_xid
        out: list[bytes | None] = []
        hits = 0
        last: int | None = None
        hashes: dict[int, bytes] | None = None
        emptied = []
        for _, event_id, xmin in rows:
            if xmin != last:
                if hashes is not None and not hashes:
                    emptied.append(last)
                last = xmin
                tx = by_xid.get(xmin)
                hashes = None if tx is None else tx.hashes
            content = None if hashes is None else hashes.pop(event_id.int, None)
            if content is not None:
                hits += 1
            out.append(content)
        if hashes is not None and not hashes:
            emptied.append(last)
        for xid in emptied:
            tx = by_xid.get(xid)  # type: ignore[arg-type]
            if tx is not None and not tx.hashes:
                del by_xid[xid]  # type: ignore[arg-type]
        self.count -= hits
        return out, hits

    def give_back(self, rows: Sequence[Sequence[Any]], hashes: Sequence[bytes | None]) -> None:
        """Put back the hints :meth:`take` gave for ``rows`` that were not sealed after all."""
        by_xid = self._by_xid
        for (_, event_id, xmin), content in zip(rows, hashes, strict=True):
            if content is None:
                continue
            tx = by_xid.get(xmin)
            if tx is None:
                tx = by_xid[xmin] = _Transaction(self.generation, {})
            if tx.hashes.setdefault(event_id.int, content) is content:
                self.count += 1
        while self.count > self.limit:
            _, dropped = by_xid.popitem(last=False)
            self.count -= len(dropped.hashes)

    def drop_stale(self, generation: int) -> None:
        """After a read that began at ``generation`` and was not a full batch, hints taken: it
        could see every event hinted until then, so a hint from then that it did not take is
        for an event sealed already (read before its hint came, or by the sealer's child) or
        for a row that never matches (inserted in a subtransaction).  Drop those."""
        by_xid = self._by_xid
        for xid in [x for x, tx in by_xid.items() if tx.generation <= generation]:
            self.count -= len(by_xid.pop(xid).hashes)

    def clear(self) -> None:
        self._by_xid.clear()
        self.count = 0
