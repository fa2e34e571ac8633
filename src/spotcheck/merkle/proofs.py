"""Inclusion (audit path) and consistency proofs: which subtrees they hold, and checking them.

Pure: no I/O.  Generation is in two steps so that a store can fetch all it needs at once:
:func:`inclusion_ranges` / :func:`consistency_ranges` name the leaf ranges whose hashes make up
the proof (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF, deepest first); :func:`needed_nodes`
lists the complete subtrees those ranges fold from, and :func:`proof_hashes` folds them.
Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 to the letter.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence

from spotcheck.merkle.tree import NodeId, decompose, node_hash, range_hash, split

Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[0:size]): the leaf ranges of the audit path, from the leaf upwards."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """PROOF(old, D[0:new]) = SUBPROOF(old, D[0:new], true), deepest first; empty when equal."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} leaves")
    out: list[Range] = []
    start, end, m, complete = 0, new, old, True
    while m != end - start:
        n = end - start
        k = split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        out.append((start, end))
    out.reverse()
    return out


def needed_nodes(ranges: Iterable[Range]) -> set[NodeId]:
    """The complete subtrees whose hashes the ranges fold from."""
    return {node for r in ranges for node in decompose(*r)}


def proof_hashes(ranges: Sequence[Range], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    return [range_hash(s, e, nodes) for s, e in ranges]


def _lsb(x: int) -> bool:
    return bool(x & 1)


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove leaf hash ``leaf`` at ``index`` under ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``path`` prove the tree of ``old`` leaves a prefix of ``new``'s?"""
    if not 0 < old <= new:
        return False
    if old == new:
        return not path and hmac.compare_digest(old_root, new_root)
    if not path:
        return False
    proof = list(path)
    if old & (old - 1) == 0:  # an exact power of two
        proof.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root) and sn == 0
