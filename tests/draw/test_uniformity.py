"""Uniformity: over many draws with fixed distinct seeds each subject is selected about equally
often (chi-square), and the same check catches biased selectors, so it can fail."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from spotcheck.draw.rfc3797 import key_string, pick_digest, select_positions

N, K, DRAWS = 20, 5, 40_000
# The 0.999 quantile of chi-square with N - 1 = 19 degrees of freedom.
CHI2_19_999 = 43.82

Selector = Callable[[str], list[int]]


def _statistic(select: Selector) -> float:
    """Each draw selects exactly K of N, so count i has variance D·p·(1-p) (p = K/N) and the
    counts sum to D·K: (N-1)/N · Σ (O_i - E)² / (D·p·(1-p)) is about chi-square(N - 1)."""
    counts = [0] * N
    for d in range(DRAWS):
        for position in select(key_string([[d], "uniformity"])):
            counts[position] += 1
    p = K / N
    expected = DRAWS * p
    return (N - 1) / N * sum((o - expected) ** 2 for o in counts) / (DRAWS * p * (1 - p))


def rfc3797(key: str) -> list[int]:
    return select_positions(N, K, key)


def modulo_of_one_byte(key: str) -> list[int]:
    """The RFC loop, but the index is the digest's first byte modulo the remaining count."""
    remaining, data = list(range(N)), key.encode()
    return [remaining.pop(pick_digest(data, j)[0] % len(remaining)) for j in range(K)]


def sort_by_short_hash(key: str) -> list[int]:
    """A sort-based shuffle on a truncated hash (4 bits), ties kept in original order."""
    data = key.encode()
    return sorted(range(N), key=lambda i: hashlib.sha256(data + b"%d" % i).digest()[0] >> 4)[:K]


def test_rfc3797_selection_is_uniform() -> None:
    assert _statistic(rfc3797) < CHI2_19_999


def test_modulo_biased_selector_fails_the_same_check() -> None:
    assert _statistic(modulo_of_one_byte) > CHI2_19_999


def test_sort_based_shuffle_fails_the_same_check() -> None:
    assert _statistic(sort_by_short_hash) > CHI2_19_999
