"""Property-based fuzzing of the whole schema (issue 12): hypothesis-graphql generates queries
and mutations from ``schema/schema.graphql`` (random fields, arguments and inputs, strings with
NUL and any Unicode; one refused for a forbidden character is sent again without it, so that
its arguments reach the resolvers), through the real ASGI app as the public, an inspector and
the system admin.  No answer may be a 5xx, carry PostgreSQL's or Python's own text, hold an
INTERNAL error (an exception nobody anticipated), or be larger than a budgeted query can make.
The number of cases is bounded (``EXAMPLES`` per role and kind) and printed."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from spotcheck.api.input_screen import FORBIDDEN
from spotcheck.auth.tokens import mint
from tests.api.conftest import TOKENS, People

SCHEMA = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text()
EXAMPLES = 40
MAX_RESPONSE = 1_000_000
"""No single answer is larger than this (a full 100-row page of the widest type is far below)."""

LEAKS = re.compile(
    r"asyncpg|psycopg|Traceback|invalid byte sequence|violates .* constraint|relation \"|"
    r"column \"|syntax error at or near|KeyError|AttributeError|TypeError|NoneType|"
    r"File \"/|line \d+, in ",
)
"""Text that only the database or the interpreter writes."""


ESCAPED_CONTROL = re.compile(r"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
"""A forbidden character as graphql.print_ast writes it in a string literal."""


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Date": st.one_of(
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2110, 12, 31)).map(
            lambda d: _string(d.isoformat())
        ),
        st.text(max_size=12).map(_string),
    ),
    "DateTime": st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2110, 1, 1),
        timezones=st.just(dt.UTC),
    ).map(lambda d: _string(d.isoformat())),
    "Decimal": st.one_of(
        st.decimals(min_value=Decimal(-1000), max_value=Decimal(1000), places=3).map(
            lambda d: _string(str(d))
        ),
        st.sampled_from(["1E+2", "NaN", "", "٥", "0.5"]).map(_string),
    ),
    "SafeInt": st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1).map(
        lambda n: graphql.IntValueNode(value=str(n))
    ),
    "JSON": st.just(graphql.ObjectValueNode(fields=())),
}

ROLES = [None, "inspector", "admin"]


async def _fuzz(
    client: httpx.AsyncClient, strategy: st.SearchStrategy[str], user: str | None
) -> int:
    loop = asyncio.get_running_loop()
    headers = {"authorization": f"Bearer {mint(user, TOKENS)}"} if user else {}
    seen = 0

    async def send(query: str) -> httpx.Response:
        return await client.post("/graphql", json={"query": query}, headers=headers)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def check(query: str) -> None:
        nonlocal seen
        seen += 1
        variants = [query]
        cleaned = FORBIDDEN.sub("", ESCAPED_CONTROL.sub("", query))
        if cleaned != query:  # refused as INVALID_CHARACTER: send it clean too, to reach resolvers
            variants.append(cleaned)
        for variant in variants:
            respond(
                asyncio.run_coroutine_threadsafe(send(variant), loop).result(timeout=60), variant
            )

    def respond(r: httpx.Response, query: str) -> None:
        assert r.status_code < 500, (query, r.text[:500])
        assert not LEAKS.search(r.text), (query, r.text[:500])
        assert len(r.content) <= MAX_RESPONSE, (query, len(r.content))
        body: Any = r.json()
        for error in body.get("errors") or []:
            # INTERNAL is an exception nobody anticipated: masked for the client, a bug here.
            assert (error.get("extensions") or {}).get("code") != "INTERNAL", (query, error)

    await asyncio.to_thread(check)
    return seen


@pytest.mark.parametrize("user", ROLES)
async def test_fuzzed_operations_never_fail_the_server(
    client: httpx.AsyncClient, people: People, user: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    query_cases = await _fuzz(client, queries(SCHEMA, custom_scalars=SCALARS, codec=None), user)
    mutation_cases = await _fuzz(
        client, mutations(SCHEMA, custom_scalars=SCALARS, codec=None), user
    )
    with capsys.disabled():
        print(f"\n[fuzz] {user or 'public'}: {query_cases} queries, {mutation_cases} mutations")
    assert query_cases == mutation_cases == EXAMPLES
