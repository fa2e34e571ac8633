"""查询成本 Query cost: priced before execution, refused over the caller's budget (issue 12)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import parse

from spotcheck.api import cost
from spotcheck.api.schema import build_schema
from spotcheck.auth.tokens import mint
from tests.api.conftest import TOKENS, People

SCHEMA = build_schema()._schema

ATTACK = (
    "{ "
    + " ".join(
        f"a{n}: inspections(first:100){{nodes{{key draw{{strata{{picks{{nodes{{key name}}}}}} "
        "task{items{versions{name legalBasis checklist{code text}}}}}}}"
        for n in range(30)
    )
    + " }"
)
"""The probe's 4.7 kB anonymous query: 30 aliases of a 100-row page with nested lists (the
stratum's picks, a list then, now the page they have become)."""

SCREEN = """
query($after: String) {
  subjects(first: 100, after: $after) {
    nodes { key name uscc kind status industry address riskClass
            region { code name } maintainingDepartment { code name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
"""The largest list screen the README describes: a 100-row page with its relations."""


def price(query: str, **variables: Any) -> int:
    return cost.operation_cost(SCHEMA, parse(query), None, variables)


def test_fields_cost_one_and_pages_multiply() -> None:
    assert price("{ __typename }") == 1
    # 1 for the connection, 100 × (1 + 2) for its nodes, 1 + 2 for pageInfo.
    page = "{ subjects(first: 100) { nodes { key name } pageInfo { hasNextPage endCursor } } }"
    assert price(page) == 1 + 100 * 3 + 3
    # The default page (20) when first is not given; a variable's value when it is one.
    assert price("{ subjects { nodes { key } } }") == 1 + cost.DEFAULT_PAGE * 2
    query = "query($n: Int) { subjects(first: $n) { nodes { key } } }"
    assert price(query, n=7) == 1 + 7 * 2
    # Beyond MAX_PAGE the resolver refuses; the price is capped like the page.
    assert price(query, n=10_000) == 1 + cost.MAX_PAGE * 2


def test_a_draws_large_lists_are_priced_by_their_page() -> None:
    # The probe's draw, its picks now a page: 100 inspections × 4 strata (a draw has at most
    # 4, their declared bound) × 1 + first × (1 + 2) for the picks' page.
    query = """query($n: Int) { inspections(first: 100) { nodes { draw {
      strata { picks(first: $n) { nodes { key name } } } } } } }"""
    assert price(query, n=50) - price(query, n=10) == 100 * 4 * 40 * 3
    assert price(query) == price(query, n=cost.DEFAULT_PAGE)
    assert price(query, n=0) == 1 + 100 * (1 + 1 + 4 * (1 + 1))
    # The unmatched subjects and the replacements likewise.
    for field in (
        "unmatched(first: $n) { nodes { reason } }",
        "replacements(first: $n) { nodes { reason } }",
    ):
        page = f'query($n: Int) {{ draw(taskId: "T", number: 1) {{ {field} }} }}'
        assert price(page, n=100) == 1 + 1 + 100 * 2
    # The probe's draw at the largest page of picks is still over the public budget; the draw
    # screen with a page of 20 picks per stratum is well within it.
    assert price(query, n=100) > cost.DEFAULT_BUDGET_PUBLIC
    assert price(query.replace("inspections(first: 100)", "inspections(first: 1)")) < 1_000


def test_fragments_are_priced_where_spread() -> None:
    spread = """
    query { subjects(first: 10) { nodes { ...S } } }
    fragment S on Subject { key region { code name } }"""
    assert price(spread) == price("{ subjects(first: 10) { nodes { key region { code name } } } }")


def test_the_probe_is_over_any_budget_and_a_screen_within_the_public_one() -> None:
    assert price(ATTACK) > cost.DEFAULT_BUDGET_STAFF
    assert price(SCREEN) < cost.DEFAULT_BUDGET_PUBLIC


async def test_the_probe_is_refused_for_the_public(client: httpx.AsyncClient) -> None:
    r = await client.post("/graphql", json={"query": ATTACK})
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["budget"] == cost.DEFAULT_BUDGET_PUBLIC
    assert error["extensions"]["cost"] == price(ATTACK)
    assert len(r.content) < 2_000


async def test_the_largest_screen_runs_for_staff(client: httpx.AsyncClient, people: People) -> None:
    headers = {"authorization": f"Bearer {mint('scjg-admin', TOKENS)}"}
    r = await client.post("/graphql", json={"query": SCREEN}, headers=headers)
    assert r.status_code == 200 and "errors" not in r.json(), r.text


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, cost.Budgets()), ({"SPOTCHECK_COST_BUDGET_PUBLIC": "800"}, cost.Budgets(public=800))],
)
def test_budgets_from_the_environment(env: dict[str, str], expected: cost.Budgets) -> None:
    assert cost.Budgets.from_env(env) == expected
    with pytest.raises(ValueError, match="SPOTCHECK_COST_BUDGET_STAFF"):
        cost.Budgets.from_env({"SPOTCHECK_COST_BUDGET_STAFF": "lots"})
