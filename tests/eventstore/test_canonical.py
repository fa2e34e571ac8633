"""The fast canonical JSON equals RFC 8785 (the rfc8785 package) over the store's value domain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck.eventstore.canonical import (
    MAX_SAFE_INTEGER,
    canonical_json,
    check_json_value,
    checked_canonical_json,
    envelope,
    format_instant,
)
from spotcheck.eventstore.errors import InvalidEvent

ascii_keys = st.text(st.characters(min_codepoint=1, max_codepoint=127), min_size=1, max_size=12)
strings = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    strings,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(ascii_keys, inner, max_size=5)
    ),
    max_leaves=30,
)
objects = st.dictionaries(ascii_keys, values, max_size=8)


@settings(max_examples=500, deadline=None)
@given(objects)
def test_fast_path_equals_rfc8785(value: dict[str, Any]) -> None:
    check_json_value(value, "data")
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=150, deadline=None)
@given(objects, objects, st.integers(1, MAX_SAFE_INTEGER), st.datetimes(timezones=st.just(UTC)))
def test_envelopes_equal_rfc8785(
    data: dict[str, Any], meta: dict[str, Any], version: int, at: datetime
) -> None:
    env = envelope(
        event_id=str(uuid.uuid4()),
        stream_id="丰台/subject-1",
        stream_version=version,
        event_type="ThingHappened",
        schema_version=1,
        data=data,
        metadata=meta,
        recorded_at=at,
    )
    assert canonical_json(env) == rfc8785.dumps(env)


def test_control_characters_and_unicode() -> None:
    v = {"s": '\x01\x1f\b\t\n\f\r"\\/\x7f\u2028\u2029丰台😀', "z": 1, "A": [True, None]}
    assert canonical_json(v) == rfc8785.dumps(v)


@pytest.mark.parametrize(
    "bad",
    [
        {"f": 1.0},
        {"i": MAX_SAFE_INTEGER + 1},
        {"s": "a\x00"},
        {"名": 1},
        {"": 1},
        {1: 2},
        {"o": object()},
    ],
)
def test_values_outside_the_domain_are_refused(bad: dict[Any, Any]) -> None:
    with pytest.raises(InvalidEvent):
        check_json_value(bad, "data")


def test_instants_are_utc_with_microseconds() -> None:
    beijing = timezone(timedelta(hours=8))
    t = datetime(2026, 10, 9, 7, 30, 0, 5, tzinfo=beijing)
    assert format_instant(t) == "2026-10-08T23:30:00.000005Z"


wild_keys = st.one_of(st.text(max_size=4), st.integers(-2, 2))
wild_scalars = st.one_of(
    scalars,
    st.floats(allow_nan=False),
    st.integers(-(2**64), 2**64),
    st.text(st.characters(codec=None), max_size=6),  # may hold NUL and lone surrogates
)
wild = st.recursive(
    wild_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(wild_keys, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(wild_keys, wild, max_size=5))
def test_fast_check_accepts_exactly_what_the_full_check_accepts(value: dict[Any, Any]) -> None:
    try:
        check_json_value(value, "data")
        accepted = True
    except InvalidEvent:
        accepted = False
    if accepted:
        assert checked_canonical_json(value, "data") == rfc8785.dumps(value)
    else:
        with pytest.raises(InvalidEvent):
            checked_canonical_json(value, "data")


def test_deep_nesting_is_refused_by_both() -> None:
    v: dict[str, Any] = {"a": 1}
    for _ in range(40):
        v = {"a": v}
    with pytest.raises(InvalidEvent):
        checked_canonical_json(v, "data")
