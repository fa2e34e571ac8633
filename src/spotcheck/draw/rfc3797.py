"""RFC 3797 verifiable random selection: the key string, the per-pick hash, the selection loop.

docs/draw-protocol.md is the contract; this module is its reference implementation.

* Key string.  A source is either *numeric* (a non-empty list of non-negative integers: sorted
  ascending, each written in decimal without leading zeros and followed by ``.``) or *text*
  (one string, written as is and followed by ``.``); every source ends with ``/``; the sources
  are concatenated in their fixed order.  A text value is non-empty and holds no ``/`` and no
  control character (U+0000-U+001F, U+007F-U+009F), so ``/`` always ends a source.  The key
  string is hashed as UTF-8 (plain ASCII when every value is ASCII, as in the RFC).
* Pick ``j`` (0, 1, 2, …) hashes ``C(j) ‖ key ‖ C(j)``.  ``C(j)`` is ``j`` as 2 bytes
  big-endian for ``j < 2**16`` (exactly the RFC), and as 4 bytes big-endian for
  ``2**16 <= j < 2**32`` (our extension: the RFC stops at 65 536 picks; the different input
  length keeps every input distinct).  More picks than ``2**32`` are refused.
* The digest, read as an unsigned big-endian integer, modulo the number ``r`` of entries still
  remaining, is the 0-based index of the entry removed, counting the remaining entries in their
  original order.  (Modulo bias: at most ``r / 2**256`` for SHA-256, negligible.)

:class:`Shrinking` is the selection loop's list: blocks of original positions, each made on
its first take (so at most min(n, k · block) positions are ever held), under a Fenwick
(binary indexed) tree of the blocks' sizes, so k picks from n
cost O(k log n) Python steps (plus C-speed copies of at most a block per pick) rather than the
O(k·n) of removing from a Python list
(:func:`select_naive`, kept as the plain reference an outsider would write).
:class:`Remaining` keeps presence bits in a Fenwick tree and can also put an entry back: the
matching's pools, where inspectors leave at the workload cap and come back on a replacement.

MD5 mode exists only to reproduce the RFC's own worked example (section 6); draws use SHA-256.
"""

from __future__ import annotations

import enum
import hashlib
import re
from array import array
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_PICKS = 1 << 32
"""Pick counters run from 0 to ``MAX_PICKS - 1``."""


class HashMode(enum.Enum):
    """The hash of the pick loop."""

    SHA256 = "SHA-256"
    """Every draw."""
    MD5 = "MD5"
    """Only to reproduce RFC 3797's worked example."""


Source = Sequence[int] | str
"""A numeric source (a list of non-negative integers) or a text source (one string)."""


class KeyStringError(ValueError):
    """A source that cannot be written into a key string."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SLASH_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f/]")


def _text_problem(value: str) -> str | None:
    if not value:
        return "a text value may not be empty"
    if "/" in value:
        return f"a text value may not contain '/': {value!r}"
    if _CONTROL.search(value):
        return f"a text value may not contain control characters: {value!r}"
    return None


def is_text(value: str) -> bool:
    """Whether ``value`` can be a text source (:func:`check_text` without the message)."""
    return bool(value) and _SLASH_OR_CONTROL.search(value) is None


def check_text(value: str) -> None:
    """Raise :class:`KeyStringError` if ``value`` cannot be a text source."""
    problem = _text_problem(value)
    if problem is not None:
        raise KeyStringError(problem)


def encode_source(source: Source) -> str:
    """One source in the key string, ending with ``/``."""
    if isinstance(source, str):
        check_text(source)
        return source + "./"
    values = list(source)
    if not values:
        raise KeyStringError("a numeric source needs at least one number")
    for v in values:
        if type(v) is not int or v < 0:
            raise KeyStringError(f"a numeric source holds non-negative integers, not {v!r}")
    return "".join(f"{v}." for v in sorted(values)) + "/"


def key_string(sources: Iterable[Source]) -> str:
    """The RFC 3797 key string of ``sources``, in the order given."""
    return "".join(encode_source(s) for s in sources)


def extend_key(key: str, *sources: Source) -> str:
    """``key`` followed by more sources: how strata, batches and teams derive their keys."""
    return key + "".join(encode_source(s) for s in sources)


def counter_bytes(j: int) -> bytes:
    """``C(j)``: 2 bytes big-endian below 65 536 (the RFC), else 4 bytes big-endian."""
    if 0 <= j < 1 << 16:
        return j.to_bytes(2, "big")
    if 1 << 16 <= j < MAX_PICKS:
        return j.to_bytes(4, "big")
    raise ValueError(f"pick counter {j} is outside 0 … 2**32 - 1")


def pick_digest(key: bytes, j: int, mode: HashMode = HashMode.SHA256) -> bytes:
    """``H(C(j) ‖ key ‖ C(j))``."""
    c = counter_bytes(j)
    if mode is HashMode.SHA256:
        return hashlib.sha256(c + key + c).digest()
    return hashlib.md5(c + key + c).digest()


def pick_index(key: bytes, j: int, remaining: int, mode: HashMode = HashMode.SHA256) -> int:
    """The 0-based index pick ``j`` takes among ``remaining`` entries."""
    if remaining <= 0:
        raise ValueError("no entries remain to pick from")
    return int.from_bytes(pick_digest(key, j, mode), "big") % remaining


class Remaining:
    """Entries ``0 … n-1`` of a list, each present or removed, in their original order.

    A Fenwick tree over presence bits: ``find(i)`` (the i-th present entry, by binary lifting)
    and ``remove``/``restore`` cost O(log n); building costs O(n).  ``steps`` counts the
    tree's inner loop iterations, so tests can check the cost without timing.
    """

    __slots__ = ("_n", "_present", "_top", "_tree", "count", "steps")

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError("a list has at least 0 entries")
        self._n = n
        # All present: node i covers (i - lowbit(i), i], so it holds lowbit(i).
        self._tree = [i & -i for i in range(n + 1)]
        self._present = bytearray(b"\x01") * n
        self._top = 1 << (n.bit_length() - 1) if n else 0
        self.count = n
        self.steps = 0

    def __len__(self) -> int:
        return self.count

    def present(self, position: int) -> bool:
        return bool(self._present[position])

    def find(self, index: int) -> int:
        """The original position of the ``index``-th (0-based) present entry."""
        if not 0 <= index < self.count:
            raise IndexError(f"index {index} outside 0 … {self.count - 1}")
        tree, n = self._tree, self._n
        pos, rest, step, steps = 0, index, self._top, 0
        while step:
            steps += 1
            nxt = pos + step
            if nxt <= n and tree[nxt] <= rest:
                pos = nxt
                rest -= tree[nxt]
            step >>= 1
        self.steps += steps
        return pos  # the 1-based node pos + 1 is the entry, i.e. 0-based position pos

    def _add(self, position: int, delta: int) -> None:
        tree, n = self._tree, self._n
        i, steps = position + 1, 0
        while i <= n:
            steps += 1
            tree[i] += delta
            i += i & -i
        self.steps += steps

    def remove(self, position: int) -> bool:
        """Remove the entry at original ``position``; False if it was already removed."""
        if not self._present[position]:
            return False
        self._present[position] = 0
        self.count -= 1
        self._add(position, -1)
        return True

    def restore(self, position: int) -> bool:
        """Put the entry at original ``position`` back; False if it was present."""
        if self._present[position]:
            return False
        self._present[position] = 1
        self.count += 1
        self._add(position, 1)
        return True

    def take(self, index: int) -> int:
        """Remove the ``index``-th present entry; return its original position."""
        position = self.find(index)
        self.remove(position)
        return position


BLOCK = 1024
"""Entries per block of :class:`Shrinking` when picks are dense (k >= n / 100)."""
SPARSE_BLOCK = 64
"""Entries per block when picks are sparse: each pick then usually opens a block of its own,
so small blocks keep what is made to about 64 k positions (at 10M subjects and 50,000 picks
the selection took half the time of 1024-entry blocks)."""


class Shrinking:
    """Entries ``0 … n-1`` of a list in their original order, taken one at a time by their
    index among the entries still there: the selection loop's list.

    The entries are cut into blocks of ``block``; a block is an array of the original positions
    still in it (8 bytes each), made on its first take (an untouched block costs nothing), and a
    Fenwick tree over the blocks' sizes finds the block holding the i-th entry by binary
    lifting, lowering the size of every node that covers it on the way down, so one pass both
    finds and removes.  A take costs O(log(n / block)) steps plus one ``array.pop`` (a memmove
    of at most ``block`` entries, done in C; a block's array is made in C too): k picks from n
    cost O(n / block + k log n) Python steps.  ``steps`` counts the tree's inner loop
    iterations.
    """

    __slots__ = ("_block", "_blocks", "_levels", "_n", "_top", "_tree", "count", "steps")

    def __init__(self, n: int, block: int = BLOCK) -> None:
        if n < 0:
            raise ValueError("a list has at least 0 entries")
        if block < 1:
            raise ValueError("a block holds at least 1 entry")
        self._n, self._block = n, block
        nb = -(-n // block)
        self._blocks: list[array[int] | None] = [None] * nb
        tree = [0] * (nb + 1)
        for i in range(1, nb + 1):
            tree[i] += min(block, n - (i - 1) * block)
            parent = i + (i & -i)
            if parent <= nb:
                tree[parent] += tree[i]
        self._tree = tree
        self._top = 1 << (nb.bit_length() - 1) if nb else 0
        self._levels = nb.bit_length()
        self.count = n
        self.steps = 0

    def __len__(self) -> int:
        return self.count

    def take(self, index: int) -> int:
        """Remove the ``index``-th (0-based) entry still there; return its original position."""
        if not 0 <= index < self.count:
            raise IndexError(f"index {index} outside 0 … {self.count - 1}")
        tree, nb = self._tree, len(self._blocks)
        pos, rest, step = 0, index, self._top
        while step:
            nxt = pos + step
            if nxt <= nb:
                size = tree[nxt]
                if size <= rest:
                    pos = nxt
                    rest -= size
                else:
                    tree[nxt] = size - 1  # the node covers the entry taken
            step >>= 1
        self.steps += self._levels
        self.count -= 1
        entries = self._blocks[pos]
        if entries is None:
            start = pos * self._block
            end = min(self._n, start + self._block)
            entries = self._blocks[pos] = array("q", range(start, end))
        return entries.pop(rest)


def select_positions(
    n: int,
    k: int,
    key: str,
    mode: HashMode = HashMode.SHA256,
    *,
    remaining: Shrinking | None = None,
) -> list[int]:
    """The original 0-based positions of ``k`` picks from a list of ``n``, in pick order.

    ``remaining`` (a fresh ``Shrinking(n)``, of any block size) may be passed to read its
    ``steps`` afterwards.
    """
    if not 0 <= k <= n:
        raise ValueError(f"cannot pick {k} of {n}")
    if k > MAX_PICKS:
        raise ValueError(f"at most {MAX_PICKS} picks")
    if remaining is None:
        entries = Shrinking(n, SPARSE_BLOCK if n > 100 * k else BLOCK)
    else:
        entries = remaining
    if len(entries) != n:
        raise ValueError("remaining must be a fresh Shrinking(n)")
    data = key.encode("utf-8")
    hasher = hashlib.sha256 if mode is HashMode.SHA256 else hashlib.md5
    from_bytes, take = int.from_bytes, entries.take
    out: list[int] = []
    append = out.append
    for j in range(k):
        c = j.to_bytes(2, "big") if j < 65536 else counter_bytes(j)
        append(take(from_bytes(hasher(c + data + c).digest(), "big") % (n - j)))
    return out


def select(pool: Sequence[T], k: int, key: str, mode: HashMode = HashMode.SHA256) -> list[T]:
    """``k`` entries of ``pool`` in pick order."""
    return [pool[p] for p in select_positions(len(pool), k, key, mode)]


def select_naive(pool: Sequence[T], k: int, key: str, mode: HashMode = HashMode.SHA256) -> list[T]:
    """The same picks by removing from a list: O(k·n), the plain reading of the RFC."""
    if not 0 <= k <= len(pool):
        raise ValueError(f"cannot pick {k} of {len(pool)}")
    remaining = list(pool)
    data = key.encode("utf-8")
    return [remaining.pop(pick_index(data, j, len(remaining), mode)) for j in range(k)]
