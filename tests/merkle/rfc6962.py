"""A tiny independent RFC 6962 implementation for the tests: it imports nothing of spotcheck.

The tree and proofs are computed the textbook way (recursion over lists of leaves), and proofs
are checked with the decomposition algorithm of transparency-dev/merkle (inner and border
parts), not with RFC 9162's loop that the server uses, so the two cannot share a mistake.
"""

from __future__ import annotations

import hashlib


def leaf(content_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + content_hash).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    return _subproof(m, leaves, True)


def _decomp(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: list[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node(seed, h) if (index >> i) & 1 == 0 else node(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: list[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: list[bytes]) -> bytes:
    for h in proof:
        seed = node(h, seed)
    return seed


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> bool:
    if not 0 <= index < size:
        return False
    inner, border = _decomp(index, size)
    if len(proof) != inner + border:
        return False
    res = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(res, proof[inner:]) == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    if not 0 < size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    inner, border = _decomp(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        return False
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    h1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    h2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    return h1 == root1 and h2 == root2
