"""RFC 3797: the worked example (MD5), the key string, the pick counter, the Fenwick loop."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck.draw.rfc3797 import (
    HashMode,
    KeyStringError,
    Remaining,
    Shrinking,
    counter_bytes,
    extend_key,
    key_string,
    pick_digest,
    pick_index,
    select,
    select_naive,
    select_positions,
)

VECTOR = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "rfc3797-worked-example.json").read_text(
        encoding="utf-8"
    )
)


def _sources() -> list[list[int]]:
    return [[int(x) for x in s.split()] for s in VECTOR["sources"]]


def test_worked_example_key_string() -> None:
    assert key_string(_sources()) == VECTOR["key"]


def test_worked_example_first_digests() -> None:
    key = VECTOR["key"].encode("ascii")
    digests = [pick_digest(key, j, HashMode.MD5).hex().upper() for j in range(3)]
    assert digests == VECTOR["expected_first_digests_hex"]


def test_worked_example_picks() -> None:
    pool = VECTOR["pool"]
    positions = select_positions(len(pool), VECTOR["picks"], VECTOR["key"], HashMode.MD5)
    assert [p + 1 for p in positions] == VECTOR["expected_one_based_positions"]
    names = select(pool, len(VECTOR["expected_first_names"]), VECTOR["key"], HashMode.MD5)
    assert names == VECTOR["expected_first_names"]
    assert select_naive(pool, VECTOR["picks"], VECTOR["key"], HashMode.MD5) == [
        pool[p] for p in positions
    ]


def test_sha256_draw_is_pinned() -> None:
    """The same picks on every machine: a SHA-256 vector of our own."""
    key = key_string([[3, 11, 15, 22, 27, 31], [9], "00" * 32])
    assert key == "3.11.15.22.27.31./9./" + "0" * 64 + "./"
    assert (
        pick_digest(key.encode(), 0).hex()
        == hashlib.sha256(b"\x00\x00" + key.encode() + b"\x00\x00").hexdigest()
    )
    assert select_positions(1000, 8, key) == PINNED


PINNED = [83, 387, 560, 25, 374, 972, 806, 121]


def test_key_string_numbers_sorted_text_as_is() -> None:
    assert key_string([[10, 2, 2, 0], "ab:C-9", [7]]) == "0.2.2.10./ab:C-9./7./"
    assert extend_key("1./", "stratum:A", [0]) == "1./stratum:A./0./"
    assert key_string(["双色球"]) == "双色球./"


@pytest.mark.parametrize(
    "source",
    [[], [-1], [True], [1.5], "", "a/b", "a\nb", "tab\t", "\x85"],
)
def test_key_string_refuses(source: object) -> None:
    with pytest.raises(KeyStringError):
        key_string([source])  # type: ignore[list-item]


def test_counter_is_two_bytes_then_four() -> None:
    assert counter_bytes(0) == b"\x00\x00"
    assert counter_bytes(65535) == b"\xff\xff"
    assert counter_bytes(65536) == b"\x00\x01\x00\x00"
    assert counter_bytes(2**32 - 1) == b"\xff\xff\xff\xff"
    for bad in (-1, 2**32):
        with pytest.raises(ValueError):
            counter_bytes(bad)
    key = b"k./"
    assert (
        pick_digest(key, 65536)
        == hashlib.sha256(b"\x00\x01\x00\x00" + key + b"\x00\x01\x00\x00").digest()
    )


def test_picks_beyond_65536_use_the_wide_counter() -> None:
    n = 65_540
    key = "wide./"
    positions = select_positions(n, n, key)
    assert sorted(positions) == list(range(n))
    # Pick 65 536 by hand: remaining entries in original order, 4-byte counter.
    remaining = sorted(set(range(n)) - set(positions[:65_536]))
    c = (65_536).to_bytes(4, "big")
    digest = hashlib.sha256(c + key.encode() + c).digest()
    assert positions[65_536] == remaining[int.from_bytes(digest, "big") % len(remaining)]


def test_pick_index_refuses_empty() -> None:
    with pytest.raises(ValueError):
        pick_index(b"k", 0, 0)


def test_cannot_pick_more_than_the_pool() -> None:
    with pytest.raises(ValueError):
        select_positions(3, 4, "k./")
    with pytest.raises(ValueError):
        select_naive([1, 2, 3], 4, "k./")


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=300),
    data=st.data(),
    key=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")).filter(
            lambda c: c != "/"
        ),
        min_size=1,
        max_size=20,
    ),
    mode=st.sampled_from(list(HashMode)),
)
def test_fenwick_equals_list_removal(n: int, data: st.DataObject, key: str, mode: HashMode) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    pool = list(range(n))
    ks = key_string([key])
    assert select(pool, k, ks, mode) == select_naive(pool, k, ks, mode)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=200),
    ops=st.lists(st.tuples(st.sampled_from(["take", "remove", "restore"]), st.integers(0, 10**6))),
)
def test_remaining_matches_a_list_model(n: int, ops: list[tuple[str, int]]) -> None:
    tree = Remaining(n)
    present = [True] * n
    for op, x in ops:
        model = [i for i in range(n) if present[i]]
        if op == "take":
            if not model:
                continue
            assert tree.take(x % len(model)) == model[x % len(model)]
            present[model[x % len(model)]] = False
        elif op == "remove":
            assert tree.remove(x % n) == present[x % n]
            present[x % n] = False
        else:
            assert tree.restore(x % n) == (not present[x % n])
            present[x % n] = True
        assert len(tree) == sum(present)
        model = [i for i in range(n) if present[i]]
        assert [tree.find(i) for i in range(len(model))] == model
        assert all(tree.present(i) == present[i] for i in range(n))


def test_cost_is_k_log_n_not_k_n() -> None:
    """Counted tree steps per pick grow with log n; a list removal would grow with n."""
    k = 1000
    per_pick = {}
    for bits in (10, 14, 18, 22):
        n = 1 << bits
        entries = Shrinking(n)
        select_positions(n, k, "cost./", remaining=entries)
        per_pick[bits] = entries.steps / k
        # One step per level of the tree over the blocks.
        assert entries.steps <= k * (bits + 1)
    # From 16 384 to 4 194 304 entries (256× more, 8 more bits), a pick costs about 8 more
    # steps: logarithmic (a list removal would cost 256× more).
    assert per_pick[22] - per_pick[14] <= 8 + 1


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=400),
    block=st.integers(min_value=1, max_value=70),
    data=st.data(),
)
def test_shrinking_matches_a_list_model(n: int, block: int, data: st.DataObject) -> None:
    """Blocks of any size take the same entries as removing from a plain list."""
    entries = Shrinking(n, block)
    model = list(range(n))
    for _ in range(data.draw(st.integers(0, n))):
        index = data.draw(st.integers(0, len(model) - 1))
        assert entries.take(index) == model.pop(index)
        assert len(entries) == len(model)
    with pytest.raises(IndexError):
        entries.take(len(model))


@settings(max_examples=100, deadline=None)
@given(n=st.integers(min_value=0, max_value=3000), block=st.integers(1, 64), data=st.data())
def test_selection_does_not_depend_on_the_block_size(
    n: int, block: int, data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, n))
    assert select_positions(n, k, "blocks./", remaining=Shrinking(n, block)) == (
        select_positions(n, k, "blocks./")
    )
