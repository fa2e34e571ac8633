"""第一个随机: population digest, ratio rounding, strata order and keys, batch order."""

from __future__ import annotations

import hashlib

import pytest

from spotcheck.draw.rfc3797 import select, select_naive
from spotcheck.draw.select import (
    Stratum,
    batch_order,
    draw_order,
    population_digest,
    population_problems,
    sample_size,
    select_strata,
    stratum_problems,
)

KEY = "5.17./" + "ab" * 32 + "./"


def test_population_digest_encoding() -> None:
    assert population_digest(["A1", "B2"]) == hashlib.sha256(b"A1\nB2\n").hexdigest()
    assert population_digest([]) == hashlib.sha256(b"").hexdigest()
    assert population_digest(["产品"]) == hashlib.sha256("产品\n".encode()).hexdigest()


@pytest.mark.parametrize(
    ("subjects", "fragment"),
    [
        (["B", "A"], "ascending"),
        (["A", "A"], "duplicate"),
        (["", "A"], "empty"),
        (["A", "B/C"], "'/'"),
        (["A", "B\nC"], "control"),
        (["A\x7f"], "control"),
    ],
)
def test_population_problems(subjects: list[str], fragment: str) -> None:
    problems = population_problems(subjects)
    assert problems and fragment in problems[0]


def test_population_ok() -> None:
    assert population_problems(["91110106MA01A2B3C4", "PRODUCT:SCJG:2026-000123"]) == []


@pytest.mark.parametrize(
    ("n", "count", "ratio", "k"),
    [
        (10, None, "0.3", 3),
        (11, None, "0.3", 4),  # ceil(3.3)
        (1, None, "0.01", 1),  # ceil(0.01)
        (100, None, "0.02", 2),
        (7, None, "1", 7),
        (7, None, "1.0", 7),
        (0, None, "0.5", 0),
        (5, 3, None, 3),
        (5, 9, None, 5),  # a count above n takes everyone
        (5, 0, None, 0),
        (1_000_000, None, "0.000001", 1),
        (3, None, "0.333333333333", 1),
    ],
)
def test_sample_size(n: int, count: int | None, ratio: str | None, k: int) -> None:
    assert sample_size(n, count=count, ratio=ratio) == k


@pytest.mark.parametrize("ratio", ["0", "1.5", "-0.1", ".5", "0.5e1", "1/3", "0.1234567890123"])
def test_bad_ratio(ratio: str) -> None:
    assert stratum_problems("A", None, ratio)
    with pytest.raises(ValueError):
        sample_size(10, ratio=ratio)


def test_stratum_needs_exactly_one_of_count_and_ratio() -> None:
    assert stratum_problems("A", None, None)
    assert stratum_problems("A", 1, "0.5")
    assert stratum_problems("bad id", 1, None)
    assert stratum_problems("RISK_D-2", 1, None) == []


def test_strata_in_id_order_each_with_its_key() -> None:
    a = Stratum(id="A", population=[f"A{i:02d}" for i in range(30)], ratio="0.1")
    d = Stratum(id="D", population=[f"D{i:02d}" for i in range(10)], count=4)
    out = select_strata(KEY, [d, a])
    assert [s.stratum for s in out] == ["A", "D"]
    assert [s.k for s in out] == [3, 4]
    assert out[0].picks == select_naive(list(a.population), 3, KEY + "stratum:A./")
    assert out[1].picks == select(list(d.population), 4, KEY + "stratum:D./")
    assert draw_order(out) == out[0].picks + out[1].picks


def test_batch_order_is_a_permutation_from_its_own_key() -> None:
    labels = ["丰台", "右安门", "太平桥", "西罗园"]
    order = batch_order(KEY, list(reversed(labels)))
    assert sorted(order) == sorted(labels)
    assert order == select_naive(sorted(labels), 4, KEY + "batches./")
    assert batch_order(KEY, []) == []
