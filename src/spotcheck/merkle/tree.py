"""默克尔树 The RFC 6962 / RFC 9162 Merkle tree over the ledger: hashing and tree shape.

Pure: no I/O.  Leaves are the ledger's content hashes in position order; leaf ``i`` (0-based) is
ledger position ``i + 1``.

* leaf hash = SHA-256(0x00 ‖ content hash), the content hash being its 32 raw bytes;
* node hash = SHA-256(0x01 ‖ left ‖ right);
* the tree over ``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``;
  the empty tree's root is SHA-256 of nothing.

A **complete subtree** ``(level, index)`` is the perfect tree over leaves
``[index · 2^level, (index + 1) · 2^level)``.  Every tree of RFC 6962 shape is a right fold of
complete subtrees (:func:`decompose`), so any root, audit path or consistency proof is computed
from stored complete-subtree hashes without rehashing the leaves (see
:mod:`spotcheck.transparency.log`).  :class:`Frontier` grows a tree leaf by leaf and yields every
complete subtree as it is completed: that is how the checkpointer fills the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""A complete subtree: ``(level, index)``."""


def leaf_hash(content_hash: bytes) -> bytes:
    """SHA-256(0x00 ‖ content hash)."""
    return hashlib.sha256(b"\x00" + content_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def span(node: NodeId) -> tuple[int, int]:
    """The leaves ``[start, end)`` a complete subtree covers."""
    level, index = node
    return index << level, (index + 1) << level


def decompose(start: int, end: int) -> list[NodeId]:
    """The complete subtrees, left to right, whose right fold is the RFC 6962 hash of the
    leaves ``[start, end)``.

    Valid for the ranges the RFC's recursion produces from a tree ``[0, n)``: ``start`` is a
    multiple of the largest power of two not exceeding ``end - start`` (so each left part is
    a complete, aligned subtree).
    """
    out: list[NodeId] = []
    while end - start > 0:
        n = end - start
        size = 1 << (n.bit_length() - 1)  # n itself when a power of two, else split(n)
        level = size.bit_length() - 1
        assert start % size == 0, "not a range of RFC 6962 shape"
        out.append((level, start >> level))
        start += size
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The right fold ``node(h0, node(h1, … node(hk-1, hk)))``; the empty root for none."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(start: int, end: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """The RFC 6962 hash of leaves ``[start, end)`` from complete-subtree hashes."""
    return fold([nodes[n] for n in decompose(start, end)])


@dataclass
class Frontier:
    """The complete subtrees of a tree of ``size`` leaves (its :func:`decompose`), growable.

    ``nodes`` holds ``(level, hash)`` left to right, levels strictly decreasing.
    """

    size: int = 0
    nodes: list[tuple[int, bytes]] = field(default_factory=list)

    @classmethod
    def of(cls, size: int, hashes: Mapping[NodeId, bytes]) -> Frontier:
        """The frontier of a tree of ``size`` leaves from its complete subtrees' hashes."""
        return cls(size, [(lv, hashes[(lv, i)]) for lv, i in decompose(0, size)])

    def ids(self) -> list[NodeId]:
        return decompose(0, self.size)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add a leaf hash; return every complete subtree it completes, level 1 and up."""
        return self.append_node(0, leaf)

    def append_node(self, level: int, digest: bytes) -> list[tuple[NodeId, bytes]]:
        """Add the complete subtree of ``2^level`` leaves that starts at ``size``.

        Raises ValueError if it is not aligned there (``size`` must be a multiple of
        ``2^level``, and no larger subtree may still be open below it).
        """
        width = 1 << level
        if self.size % width or (self.nodes and self.nodes[-1][0] < level):
            raise ValueError(f"a subtree of level {level} cannot start at leaf {self.size}")
        made: list[tuple[NodeId, bytes]] = []
        index = self.size >> level
        self.size += width
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            digest = node_hash(left, digest)
            level += 1
            index >>= 1
            made.append(((level, index), digest))
        self.nodes.append((level, digest))
        return made

    def root(self) -> bytes:
        return fold([h for _, h in self.nodes])


def compact_range(start: int, end: int) -> list[NodeId]:
    """The fewest aligned complete subtrees covering ``[start, end)``, left to right.

    Appended to the :class:`Frontier` of ``start`` leaves, they give the frontier of ``end``.
    """
    out: list[NodeId] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The root over leaf hashes, in one pass (O(log n) memory)."""
    f = Frontier()
    for leaf in leaves:
        f.append(leaf)
    return f.root()
