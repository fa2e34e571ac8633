"""第一个随机: per-stratum selection of inspection subjects from the draw's key string.

* A stratum (分层, e.g. a credit risk class) has an id of 1-64 characters ``A-Z a-z 0-9 _ -``
  and a population: the subject keys that passed the task's filter and exclusions at the
  committed ledger position, sorted ascending by code point (= by UTF-8 bytes), no duplicates,
  no key empty or holding a control character or ``/``.
* Population digest: ``SHA-256(key_1 ‖ LF ‖ key_2 ‖ LF ‖ … ‖ key_n ‖ LF)`` over the UTF-8
  bytes, LF being the byte 0x0A; the empty population hashes the empty string.
* Sample size: a count ``c`` gives ``min(c, n)``; a ratio ``q`` (a decimal string, 0 < q <= 1,
  e.g. ``"0.3"``) gives ``ceil(q × n)`` computed exactly (no floating point).
* Strata are drawn in ascending order of their ids.  Stratum ``s`` uses the key string
  ``K ‖ "stratum:" s "./"`` (the draw key ``K`` extended by one text source), and picks ``k_s``
  subjects with the RFC 3797 loop.
* Batch order (重点检查事项: when the ratio is high, the order of the batches may itself be
  drawn): the batch labels sorted ascending, all of them picked with the loop on
  ``K ‖ "batches./"``; the pick order is the order in which the batches are worked.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise

import msgspec

from spotcheck.draw.rfc3797 import (
    HashMode,
    KeyStringError,
    check_text,
    extend_key,
    select_positions,
)

STRATUM_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_BAD_CHARACTER = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f/]")
_RATIO = re.compile(r"^(0|1)(\.[0-9]{1,12})?$")


class Stratum(msgspec.Struct, frozen=True, kw_only=True):
    """One stratum to draw from: exactly one of ``count`` and ``ratio``."""

    id: str
    population: Sequence[str]
    """Sorted ascending, unique subject keys."""
    count: int | None = None
    ratio: str | None = None
    """A decimal string, 0 < ratio <= 1."""


class StratumSelection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The picks of one stratum, in pick order."""

    stratum: str
    k: int
    picks: list[str]


def population_digest(subjects: Sequence[str]) -> str:
    """Lower-case hex SHA-256 of the population's byte encoding (see the module docs)."""
    if not subjects:
        return hashlib.sha256(b"").hexdigest()
    return hashlib.sha256(("\n".join(subjects) + "\n").encode("utf-8")).hexdigest()


def population_problems(subjects: Sequence[str], where: str = "population") -> list[str]:
    """Why ``subjects`` is not a valid population (empty list: it is)."""
    problems: list[str] = []
    for i, key in enumerate(subjects):
        if type(key) is not str:
            problems.append(f"{where}[{i}]: not a string")
            return problems
    for i, (a, b) in enumerate(pairwise(subjects)):
        if not a < b:
            problems.append(
                f"{where}[{i + 1}]: {b!r} does not follow {a!r} in ascending order"
                + (" (duplicate)" if a == b else "")
            )
            return problems
    # One scan of the joined list is cheap; look at single keys only when it finds something.
    joined = "\n".join(subjects)
    if (
        (subjects and subjects[0] == "")
        or _BAD_CHARACTER.search(joined)
        or joined.count("\n") != max(len(subjects) - 1, 0)
    ):
        for i, key in enumerate(subjects):
            try:
                check_text(key)
            except KeyStringError as e:
                problems.append(f"{where}[{i}]: {e}")
                return problems
    return problems


def stratum_problems(
    stratum_id: str, count: int | None, ratio: str | None, where: str = "stratum"
) -> list[str]:
    problems: list[str] = []
    if not STRATUM_ID.match(stratum_id):
        problems.append(f"{where}.id: {stratum_id!r} is not 1-64 characters of A-Z a-z 0-9 _ -")
    if (count is None) == (ratio is None):
        problems.append(f"{where}: give exactly one of count and ratio")
    elif count is not None and (type(count) is not int or count < 0):
        problems.append(f"{where}.count: {count!r} is not a non-negative integer")
    elif ratio is not None and parse_ratio(ratio) is None:
        problems.append(
            f"{where}.ratio: {ratio!r} is not a decimal 0 < ratio <= 1 with at most 12 decimals"
        )
    return problems


def parse_ratio(ratio: str) -> Fraction | None:
    """The exact value of a ratio string, or None if it is not a decimal 0 < q <= 1."""
    if not _RATIO.match(ratio):
        return None
    try:
        value = Fraction(Decimal(ratio))
    except (InvalidOperation, ValueError):
        return None
    return value if 0 < value <= 1 else None


def sample_size(n: int, *, count: int | None = None, ratio: str | None = None) -> int:
    """How many of ``n`` subjects a stratum draws: ``min(count, n)`` or ``ceil(ratio × n)``."""
    if (count is None) == (ratio is None):
        raise ValueError("give exactly one of count and ratio")
    if count is not None:
        if count < 0:
            raise ValueError("count must be >= 0")
        return min(count, n)
    assert ratio is not None
    q = parse_ratio(ratio)
    if q is None:
        raise ValueError(f"ratio {ratio!r} is not a decimal 0 < ratio <= 1")
    return min(n, math.ceil(q * n))


def stratum_key(key: str, stratum_id: str) -> str:
    """``K ‖ "stratum:" id "./"``."""
    return extend_key(key, f"stratum:{stratum_id}")


def batch_key(key: str) -> str:
    """``K ‖ "batches./"``."""
    return extend_key(key, "batches")


def strata_order(strata: Sequence[Stratum]) -> list[Stratum]:
    """Strata in drawing order: ascending id."""
    return sorted(strata, key=lambda s: s.id)


def select_stratum(
    key: str, stratum: Stratum, k: int, mode: HashMode = HashMode.SHA256
) -> StratumSelection:
    pop = stratum.population
    positions = select_positions(len(pop), k, stratum_key(key, stratum.id), mode)
    return StratumSelection(stratum=stratum.id, k=k, picks=[pop[p] for p in positions])


def select_strata(
    key: str, strata: Sequence[Stratum], mode: HashMode = HashMode.SHA256
) -> list[StratumSelection]:
    """Every stratum's picks, strata in ascending id order."""
    out = []
    for s in strata_order(strata):
        k = sample_size(len(s.population), count=s.count, ratio=s.ratio)
        out.append(select_stratum(key, s, k, mode))
    return out


def draw_order(selections: Sequence[StratumSelection]) -> list[str]:
    """Selected subjects in draw order: strata in ascending id, each in pick order."""
    return [x for s in sorted(selections, key=lambda s: s.stratum) for x in s.picks]


def batch_problems(batches: Sequence[str], where: str = "batches") -> list[str]:
    problems: list[str] = []
    for i, b in enumerate(batches):
        try:
            check_text(b)
        except KeyStringError as e:
            problems.append(f"{where}[{i}]: {e}")
    if len(set(batches)) != len(batches):
        problems.append(f"{where}: batch labels must be distinct")
    return problems


def batch_order(key: str, batches: Sequence[str], mode: HashMode = HashMode.SHA256) -> list[str]:
    """The order in which the batches are worked: every label, picked from the sorted list."""
    labels = sorted(batches)
    positions = select_positions(len(labels), len(labels), batch_key(key), mode)
    return [labels[p] for p in positions]
