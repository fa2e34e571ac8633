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
from dataclasses import dataclass

MAX_HINTS = 200_000
"""Hints kept at most (about 200 bytes each); the oldest transactions' go first."""

Key = tuple[int, int]
"""A hint's transaction id (``xid``, the rows' ``xmin``) and event id (as an integer)."""


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

    def get(self, xmin: int, event_id: int) -> bytes | None:
        """The hash hinted for the event ``event_id`` inserted by transaction ``xmin``."""
        tx = self._by_xid.get(xmin)
        return None if tx is None else tx.hashes.get(event_id)

    def forget(self, keys: list[Key | None]) -> int:
        """Forget the hints of events just sealed; returns how many ``keys`` were hints."""
        used = 0
        by_xid = self._by_xid
        for key in keys:
            if key is None:
                continue
            used += 1
            tx = by_xid.get(key[0])
            if tx is not None and tx.hashes.pop(key[1], None) is not None:
                self.count -= 1
                if not tx.hashes:
                    del by_xid[key[0]]
        return used

    def drop_stale(self, generation: int, met: list[Key | None]) -> None:
        """After a read that began at ``generation`` and was not a full batch: it could see
        every event hinted until then, so a hint from then that it did not meet is for an event
        sealed already (read before its hint came, or by the sealer's child) or for a row that
        will never match (inserted in a subtransaction).  Drop those."""
        keep: dict[int, set[int]] = {}
        for key in met:
            if key is not None:
                keep.setdefault(key[0], set()).add(key[1])
        by_xid = self._by_xid
        for xid in [x for x, tx in by_xid.items() if tx.generation <= generation]:
            tx = by_xid[xid]
            ids = keep.get(xid)
            before = len(tx.hashes)
            if ids is None:
                del by_xid[xid]
                self.count -= before
                continue
            tx.hashes = {eid: h for eid, h in tx.hashes.items() if eid in ids}
            self.count -= before - len(tx.hashes)

    def clear(self) -> None:
        self._by_xid.clear()
        self.count = 0
