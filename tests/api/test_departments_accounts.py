"""Departments and accounts through the API: payload errors, idempotency, revocation, paging."""

from __future__ import annotations

from tests.api.conftest import GQL, People

REGISTER = """
mutation($input: RegisterDepartmentInput!) {
  registerDepartment(input: $input) {
    department { id code name member liaison { name phone email } }
    errors { code field message }
  }
}"""

DEPARTMENTS = """
query($after: String, $first: Int) {
  departments(first: $first, after: $after) {
    nodes { code liaison { name phone } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def dept_input(code: str, **extra: object) -> dict[str, object]:
    return {
        "code": code,
        "name": f"部门{code}",
        "liaison": {"name": "王芳", "phone": "13800000000"},
    } | extra


async def test_register_department_and_read_it_back(gql: GQL, people: People) -> None:
    r = await gql(REGISTER, as_user=people.admin, input=dept_input("JW"))
    payload = r["data"]["registerDepartment"]
    assert payload["errors"] == []
    assert payload["department"]["code"] == "JW"
    assert payload["department"]["liaison"]["phone"] == "13800000000"
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Department { code } } }",
        id=payload["department"]["id"],
    )
    assert node["data"]["node"] == {"code": "JW"}


async def test_public_sees_departments_without_liaison_contacts(gql: GQL, people: People) -> None:
    r = await gql(DEPARTMENTS)
    nodes = r["data"]["departments"]["nodes"]
    assert [n["code"] for n in nodes] == ["SCJG", "STHJ"]
    assert all(n["liaison"]["phone"] is None for n in nodes)
    staff = await gql(DEPARTMENTS, as_user=people.inspector)
    assert staff["data"]["departments"]["nodes"][0]["liaison"]["phone"] == "010-63800000"


async def test_bad_input_is_typed_and_writes_nothing(gql: GQL, people: People) -> None:
    bad = dept_input("ZJW", liaison={"name": "", "phone": "call me", "email": "nope"})
    r = await gql(REGISTER, as_user=people.admin, input=bad)
    errors = r["data"]["registerDepartment"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {
        ("REQUIRED", "liaison.name"),
        ("INVALID_FORMAT", "liaison.phone"),
        ("INVALID_FORMAT", "liaison.email"),
    }
    assert r["data"]["registerDepartment"]["department"] is None
    r = await gql(REGISTER, as_user=people.admin, input=dept_input("SCJG"))
    assert r["data"]["registerDepartment"]["errors"][0]["code"] == "ALREADY_EXISTS"
    listed = await gql(DEPARTMENTS)
    assert [n["code"] for n in listed["data"]["departments"]["nodes"]] == ["SCJG", "STHJ"]


async def test_idempotency_key_returns_first_result_and_writes_nothing(
    gql: GQL, people: People, app
) -> None:  # type: ignore[no-untyped-def]
    before = await app.state.pool.fetchval("SELECT count(*) FROM events")
    first = await gql(REGISTER, as_user=people.admin, input=dept_input("JT", idempotencyKey="k-1"))
    again = await gql(REGISTER, as_user=people.admin, input=dept_input("JT", idempotencyKey="k-1"))
    assert first["data"]["registerDepartment"]["errors"] == []
    assert again["data"] == first["data"]
    assert await app.state.pool.fetchval("SELECT count(*) FROM events") == before + 1
    other = await gql(REGISTER, as_user=people.admin, input=dept_input("HG", idempotencyKey="k-1"))
    assert other["data"]["registerDepartment"]["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


REVOKE = """
mutation($input: RevokeRoleInput!) {
  revokeRole(input: $input) { account { roles } errors { code field } } }"""
GRANT = """
mutation($input: GrantRoleInput!) {
  grantRole(input: $input) { account { roles } errors { code field } } }"""


async def test_revocation_takes_effect_on_the_next_request(gql: GQL, people: People) -> None:
    ok = await gql(REGISTER, as_user=people.admin, input=dept_input("NYNC"))
    assert ok["data"]["registerDepartment"]["errors"] == []
    await gql(GRANT, as_user=people.admin, input={"userId": "scjg-admin", "role": "SYSTEM_ADMIN"})
    allowed = await gql(REGISTER, as_user=people.scjg_admin, input=dept_input("SW"))
    assert allowed["data"]["registerDepartment"]["errors"] == []
    r = await gql(
        REVOKE,
        as_user=people.admin,
        input={"userId": "scjg-admin", "role": "SYSTEM_ADMIN", "reason": "调岗"},
    )
    assert r["data"]["revokeRole"]["account"]["roles"] == ["DEPARTMENT_ADMIN"]
    refused = await gql(REGISTER, as_user=people.scjg_admin, input=dept_input("WL"))
    assert refused["data"]["registerDepartment"]["errors"][0]["code"] == "FORBIDDEN"


async def test_liaison_manages_own_department_accounts_only(gql: GQL, people: People) -> None:
    own = await gql(
        GRANT, as_user=people.liaison, input={"userId": "inspector", "role": "DEPARTMENT_ADMIN"}
    )
    assert own["data"]["grantRole"]["errors"] == []
    other = await gql(
        GRANT, as_user=people.liaison, input={"userId": "sthj-admin", "role": "INSPECTOR"}
    )
    assert other["data"]["grantRole"]["errors"] == [{"code": "FORBIDDEN", "field": "role"}]
    district = await gql(
        GRANT, as_user=people.liaison, input={"userId": "inspector", "role": "AUDITOR"}
    )
    assert district["data"]["grantRole"]["errors"][0]["code"] == "FORBIDDEN"
    reason = await gql(
        REVOKE,
        as_user=people.liaison,
        input={"userId": "inspector", "role": "INSPECTOR", "reason": " "},
    )
    assert reason["data"]["revokeRole"]["errors"] == [
        {"code": "REASON_REQUIRED", "field": "reason"}
    ]


async def test_bad_token_is_refused_not_treated_as_public(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.post(
        "/graphql",
        json={"query": "{ viewer { userId } }"},
        headers={"authorization": "Bearer x.y.z"},
    )
    assert r.status_code == 401
    assert "invalid token" in r.text


async def test_viewer_reads_roles_from_the_registry(gql: GQL, people: People) -> None:
    r = await gql(
        "{ viewer { userId roles liaisonOf department { code } } }", as_user=people.liaison
    )
    assert r["data"]["viewer"] == {
        "userId": "liaison-scjg",
        "roles": [],
        "liaisonOf": ["SCJG"],
        "department": {"code": "SCJG"},
    }
    r = await gql("{ viewer { userId roles } }")
    assert r["data"]["viewer"] == {"userId": None, "roles": []}


async def test_accounts_visible_by_role(gql: GQL, people: People) -> None:
    q = "{ accounts(first: 100) { nodes { userId } } }"
    assert len((await gql(q, as_user=people.auditor))["data"]["accounts"]["nodes"]) == 6
    sthj = await gql(q, as_user=people.sthj_admin)
    assert [n["userId"] for n in sthj["data"]["accounts"]["nodes"]] == ["sthj-admin"]
    assert (await gql(q, as_user=people.inspector))["data"]["accounts"]["nodes"] == []
    assert (await gql(q))["data"]["accounts"]["nodes"] == []


async def test_page_size_is_capped(gql: GQL, people: People) -> None:
    r = await gql(DEPARTMENTS, first=101)
    assert r["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}
    r = await gql(DEPARTMENTS, first=1, after="garbage")
    assert r["errors"][0]["extensions"]["code"] == "INVALID_FORMAT"


async def test_repeated_key_returns_the_object_as_the_first_call_left_it(
    gql: GQL, people: People
) -> None:
    first = await gql(REGISTER, as_user=people.admin, input=dept_input("TJ", idempotencyKey="k-2"))
    rename = """mutation($input: RenameDepartmentInput!) {
      renameDepartment(input: $input) { department { name } errors { code } } }"""
    r = await gql(
        rename, as_user=people.admin, input={"code": "TJ", "name": "统计局", "reason": "更名"}
    )
    assert r["data"]["renameDepartment"]["department"]["name"] == "统计局"
    again = await gql(REGISTER, as_user=people.admin, input=dept_input("TJ", idempotencyKey="k-2"))
    assert again["data"] == first["data"]
    assert again["data"]["registerDepartment"]["department"]["name"] == "部门TJ"
