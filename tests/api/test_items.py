"""Inspection items (随机抽查事项) and the district list through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette

from spotcheck.domain import item
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.projections.item_lists import ItemListsProjection
from spotcheck.projections.rebuilder import differences, replay_into_schema
from spotcheck.projections.state_table import StateTableProjection
from tests.api.conftest import GQL, People

VERSION = """
number status name legalBasis inspectingBody content methods targetKind category
ratioCapPercent expertise checklist { code text } suitable unsuitableReason
"""
ITEM = f"""
id code status name category targetKind ratioCapPercent retiredReason department {{ code }}
versions {{ {VERSION} }} inForce {{ number status }} draft {{ number status name }}
"""

CREATE = f"""
mutation($input: CreateInspectionItemInput!) {{
  createInspectionItem(input: $input) {{
    inspectionItem {{ {ITEM} }} errors {{ code field message }} }} }}"""
REVISE = f"""
mutation($input: ReviseInspectionItemInput!) {{
  reviseInspectionItem(input: $input) {{
    inspectionItem {{ {ITEM} }} errors {{ code field message }} }} }}"""
PUBLISH = f"""
mutation($input: PublishInspectionItemInput!) {{
  publishInspectionItem(input: $input) {{
    inspectionItem {{ {ITEM} }} errors {{ code field message }} }} }}"""
RETIRE = f"""
mutation($input: RetireInspectionItemInput!) {{
  retireInspectionItem(input: $input) {{
    inspectionItem {{ {ITEM} }} errors {{ code field message }} }} }}"""
PUBLISH_LIST = """
mutation($input: PublishItemListInput!) {
  publishItemList(input: $input) {
    itemList { id number note publishedAt
      items { code version department { code } inspectionItem { code }
              itemVersion { number name } } }
    errors { code field message } } }"""

ONE = f"query($code: String!) {{ inspectionItem(code: $code) {{ {ITEM} }} }}"
LIST = """
query($first: Int, $after: String, $filter: InspectionItemFilter) {
  inspectionItems(first: $first, after: $after, filter: $filter) {
    nodes { code status category }
    pageInfo { hasNextPage endCursor } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on InspectionItem { code } } }"


def item_input(code: str = "SCJG-001", department: str = "SCJG", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "department": department,
        "name": "食品经营者落实食品安全主体责任情况的检查",
        "legalBasis": "《中华人民共和国食品安全法》第一百一十条",
        "inspectingBody": "区市场监管局",
        "content": "检查食品经营许可、进货查验记录",
        "methods": ["ON_SITE", "WRITTEN"],
        "targetKind": "ENTERPRISE",
        "category": "GENERAL",
        "ratioCapPercent": "5",
        "expertise": ["FOOD"],
        "checklist": [{"code": "1", "text": "是否持有有效的食品经营许可证"}],
    } | extra


def revise_input(code: str = "SCJG-001", **extra: Any) -> dict[str, Any]:
    data = item_input(code, **extra)
    del data["department"]
    return data


def ok(result: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in result, result
    payload = result["data"][field]
    assert payload["errors"] == [], payload["errors"]
    obj: dict[str, Any] = payload["inspectionItem" if field != "publishItemList" else "itemList"]
    return obj


async def events(app: Starlette) -> int:
    return int(await app.state.pool.fetchval("SELECT count(*) FROM events"))


async def published_item(gql: GQL, people: People, code: str = "SCJG-001", **extra: Any) -> None:
    ok(
        await gql(CREATE, as_user=people.scjg_admin, input=item_input(code, **extra)),
        "createInspectionItem",
    )
    ok(await gql(PUBLISH, as_user=people.scjg_admin, input={"code": code}), "publishInspectionItem")


async def test_versions_supersede(gql: GQL, people: People) -> None:
    item = ok(
        await gql(CREATE, as_user=people.scjg_admin, input=item_input()), "createInspectionItem"
    )
    assert item["status"] == "DRAFT"
    assert item["ratioCapPercent"] == "5"
    assert item["versions"][0]["methods"] == ["ON_SITE", "WRITTEN"]
    assert item["draft"]["number"] == 1 and item["inForce"] is None
    item = ok(
        await gql(PUBLISH, as_user=people.scjg_admin, input={"code": "SCJG-001"}),
        "publishInspectionItem",
    )
    assert item["status"] == "PUBLISHED"
    assert item["inForce"] == {"number": 1, "status": "PUBLISHED"}
    item = ok(
        await gql(REVISE, as_user=people.scjg_admin, input=revise_input(name="修订后的名称")),
        "reviseInspectionItem",
    )
    assert item["draft"] == {"number": 2, "status": "DRAFT", "name": "修订后的名称"}
    assert item["name"] != "修订后的名称"  # the summary is the version in force
    item = ok(
        await gql(PUBLISH, as_user=people.admin, input={"code": "SCJG-001"}),
        "publishInspectionItem",
    )
    assert [(v["number"], v["status"]) for v in item["versions"]] == [
        (1, "SUPERSEDED"),
        (2, "PUBLISHED"),
    ]
    assert item["name"] == "修订后的名称" and item["draft"] is None
    again = await gql(PUBLISH, as_user=people.scjg_admin, input={"code": "SCJG-001"})
    assert again["data"]["publishInspectionItem"]["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_public_sees_no_drafts(gql: GQL, people: People) -> None:
    await published_item(gql, people, "SCJG-001")
    ok(
        await gql(REVISE, as_user=people.scjg_admin, input=revise_input(name="草稿名称")),
        "reviseInspectionItem",
    )
    ok(
        await gql(CREATE, as_user=people.scjg_admin, input=item_input("SCJG-002")),
        "createInspectionItem",
    )
    public = await gql(LIST)
    assert [n["code"] for n in public["data"]["inspectionItems"]["nodes"]] == ["SCJG-001"]
    one = (await gql(ONE, code="SCJG-001"))["data"]["inspectionItem"]
    assert [v["number"] for v in one["versions"]] == [1]
    assert one["draft"] is None
    assert (await gql(ONE, code="SCJG-002"))["data"]["inspectionItem"] is None
    # The filter reads the published version, so a draft's content does not leak through it.
    drafted_key = await gql(
        REVISE,
        as_user=people.scjg_admin,
        input=revise_input(name="草稿名称", category="KEY", ratioCapPercent=None),
    )
    assert drafted_key["data"]["reviseInspectionItem"]["errors"] == []
    key = await gql(LIST, filter={"category": "KEY"})
    assert key["data"]["inspectionItems"]["nodes"] == []
    # The department's staff and district readers see drafts; another department does not.
    for user, expected in (
        (people.inspector, ["SCJG-001", "SCJG-002"]),
        (people.liaison, ["SCJG-001", "SCJG-002"]),
        (people.auditor, ["SCJG-001", "SCJG-002"]),
        (people.sthj_admin, ["SCJG-001"]),
    ):
        r = await gql(LIST, as_user=user)
        assert [n["code"] for n in r["data"]["inspectionItems"]["nodes"]] == expected, user
    staff = (await gql(ONE, as_user=people.inspector, code="SCJG-001"))["data"]["inspectionItem"]
    assert [v["number"] for v in staff["versions"]] == [1, 2]
    assert staff["draft"]["name"] == "草稿名称"
    other = (await gql(ONE, as_user=people.sthj_admin, code="SCJG-001"))["data"]["inspectionItem"]
    assert other["draft"] is None and len(other["versions"]) == 1
    drafts = await gql(LIST, as_user=people.inspector, filter={"status": "DRAFT"})
    assert [n["code"] for n in drafts["data"]["inspectionItems"]["nodes"]] == ["SCJG-002"]
    assert (await gql(LIST, filter={"status": "DRAFT"}))["data"]["inspectionItems"]["nodes"] == []


async def test_node_hides_drafts_from_the_public(gql: GQL, people: People) -> None:
    draft = ok(
        await gql(CREATE, as_user=people.scjg_admin, input=item_input("SCJG-009")),
        "createInspectionItem",
    )
    assert (await gql(NODE, id=draft["id"]))["data"]["node"] is None
    assert (await gql(NODE, as_user=people.sthj_admin, id=draft["id"]))["data"]["node"] is None
    seen = await gql(NODE, as_user=people.inspector, id=draft["id"])
    assert seen["data"]["node"]["code"] == "SCJG-009"
    ok(
        await gql(PUBLISH, as_user=people.scjg_admin, input={"code": "SCJG-009"}),
        "publishInspectionItem",
    )
    assert (await gql(NODE, id=draft["id"]))["data"]["node"]["code"] == "SCJG-009"


async def test_bad_input_writes_no_event(gql: GQL, people: People, app: Starlette) -> None:
    before = await events(app)
    for bad, expected in (
        ({"ratioCapPercent": "150"}, {("RATIO_CAP_OUT_OF_RANGE", "ratioCapPercent")}),
        ({"ratioCapPercent": "0"}, {("RATIO_CAP_OUT_OF_RANGE", "ratioCapPercent")}),
        ({"category": "KEY"}, {("RATIO_CAP_NOT_ALLOWED", "ratioCapPercent")}),
        ({"suitable": False, "checklist": []}, {("REQUIRED", "unsuitableReason")}),
        (
            {"methods": [], "expertise": ["bad code"], "checklist": []},
            {("REQUIRED", "methods"), ("INVALID_FORMAT", "expertise.0"), ("REQUIRED", "checklist")},
        ),
        ({"department": "NOPE"}, {("UNKNOWN_DEPARTMENT", "department")}),
    ):
        r = await gql(CREATE, as_user=people.admin, input=item_input(**bad))
        payload = r["data"]["createInspectionItem"]
        assert {(e["code"], e["field"]) for e in payload["errors"]} == expected, bad
        assert payload["inspectionItem"] is None
    assert await events(app) == before
    await published_item(gql, people)
    before = await events(app)
    dup = await gql(CREATE, as_user=people.scjg_admin, input=item_input())
    assert [(e["code"], e["field"]) for e in dup["data"]["createInspectionItem"]["errors"]] == [
        ("ALREADY_EXISTS", "code")
    ]
    reason = await gql(RETIRE, as_user=people.scjg_admin, input={"code": "SCJG-001", "reason": ""})
    assert reason["data"]["retireInspectionItem"]["errors"][0]["code"] == "REASON_REQUIRED"
    same = await gql(REVISE, as_user=people.scjg_admin, input=revise_input())
    assert same["data"]["reviseInspectionItem"]["errors"] == []  # nothing changes: no event
    assert await events(app) == before


async def test_retire_ends_version_in_force(gql: GQL, people: People) -> None:
    await published_item(gql, people)
    item = ok(
        await gql(
            RETIRE, as_user=people.scjg_admin, input={"code": "SCJG-001", "reason": "法律废止"}
        ),
        "retireInspectionItem",
    )
    assert item["status"] == "RETIRED" and item["retiredReason"] == "法律废止"
    assert item["inForce"] is None
    public = (await gql(ONE, code="SCJG-001"))["data"]["inspectionItem"]
    assert [(v["number"], v["status"]) for v in public["versions"]] == [(1, "RETIRED")]
    revise = await gql(REVISE, as_user=people.scjg_admin, input=revise_input(name="x"))
    assert revise["data"]["reviseInspectionItem"]["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_item_lists_are_numbered(gql: GQL, people: People) -> None:
    empty = await gql(PUBLISH_LIST, as_user=people.admin, input={})
    assert empty["data"]["publishItemList"]["errors"][0]["code"] == "INVALID_TRANSITION"
    await published_item(gql, people, "SCJG-001")
    ok(
        await gql(CREATE, as_user=people.sthj_admin, input=item_input("STHJ-001", "STHJ")),
        "createInspectionItem",
    )
    first = ok(
        await gql(PUBLISH_LIST, as_user=people.admin, input={"note": "2026年度清单"}),
        "publishItemList",
    )
    assert first["number"] == 1 and first["note"] == "2026年度清单"
    assert first["items"] == [
        {
            "code": "SCJG-001",
            "version": 1,
            "department": {"code": "SCJG"},
            "inspectionItem": {"code": "SCJG-001"},
            "itemVersion": {"number": 1, "name": item_input()["name"]},
        }
    ]
    ok(
        await gql(PUBLISH, as_user=people.sthj_admin, input={"code": "STHJ-001"}),
        "publishInspectionItem",
    )
    second = ok(
        await gql(PUBLISH_LIST, as_user=people.admin, input={"note": "调整"}), "publishItemList"
    )
    assert second["number"] == 2
    assert [(e["code"], e["version"]) for e in second["items"]] == [
        ("SCJG-001", 1),
        ("STHJ-001", 1),
    ]
    latest = await gql("{ itemList { number } }")
    assert latest["data"]["itemList"] == {"number": 2}
    old = await gql("{ itemList(number: 1) { number items { code } } }")
    assert old["data"]["itemList"] == {"number": 1, "items": [{"code": "SCJG-001"}]}
    page = await gql(
        "{ itemLists(first: 1) { nodes { number } pageInfo { hasNextPage endCursor } } }"
    )
    lists = page["data"]["itemLists"]
    assert lists["nodes"] == [{"number": 1}] and lists["pageInfo"]["hasNextPage"]
    rest = await gql(
        "query($after: String) { itemLists(after: $after) { nodes { number } } }",
        after=lists["pageInfo"]["endCursor"],
    )
    assert rest["data"]["itemLists"]["nodes"] == [{"number": 2}]
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on ItemList { number } } }", id=first["id"]
    )
    assert node["data"]["node"] == {"number": 1}


async def test_items_page_by_code(gql: GQL, people: People) -> None:
    for n in range(1, 4):
        await published_item(gql, people, f"SCJG-00{n}")
    await published_item(
        gql, people, "SCJG-004", category="KEY", ratioCapPercent=None, targetKind="PRODUCT"
    )
    page = await gql(LIST, first=2)
    data = page["data"]["inspectionItems"]
    assert [n["code"] for n in data["nodes"]] == ["SCJG-001", "SCJG-002"]
    rest = await gql(LIST, first=10, after=data["pageInfo"]["endCursor"])
    assert [n["code"] for n in rest["data"]["inspectionItems"]["nodes"]] == ["SCJG-003", "SCJG-004"]
    key = await gql(LIST, filter={"category": "KEY", "targetKind": "PRODUCT", "department": "SCJG"})
    assert [n["code"] for n in key["data"]["inspectionItems"]["nodes"]] == ["SCJG-004"]
    none = await gql(LIST, filter={"department": "STHJ"})
    assert none["data"]["inspectionItems"]["nodes"] == []


async def test_idempotent_create(gql: GQL, people: People, app: Starlette) -> None:
    before = await events(app)
    data = item_input(idempotencyKey="item-1")
    first = await gql(CREATE, as_user=people.scjg_admin, input=data)
    again = await gql(CREATE, as_user=people.scjg_admin, input=data)
    assert first["data"]["createInspectionItem"]["errors"] == []
    assert again["data"] == first["data"]
    assert await events(app) == before + 1


OK = "OK"
ROLES = ("admin", "scjg-admin", "sthj-admin", "inspector", "auditor", "liaison-scjg", None)
F, U = "FORBIDDEN", "UNAUTHENTICATED"
ITEM_MATRIX = (OK, OK, F, F, F, F, U)


@pytest.mark.parametrize("user, expected", list(zip(ROLES, ITEM_MATRIX, strict=True)))
async def test_who_maintains_items(
    gql: GQL, people: People, user: str | None, expected: str
) -> None:
    await published_item(gql, people, "SCJG-100")
    results = [
        await gql(CREATE, as_user=user, input=item_input("SCJG-101")),
        await gql(REVISE, as_user=user, input=revise_input("SCJG-100", name="改")),
        await gql(PUBLISH, as_user=user, input={"code": "SCJG-100"}),
        await gql(RETIRE, as_user=user, input={"code": "SCJG-100", "reason": "废止"}),
    ]
    codes = [next(iter(r["data"].values()))["errors"] for r in results]
    assert [e[0]["code"] if e else OK for e in codes] == [expected] * 4


@pytest.mark.parametrize("user, expected", list(zip(ROLES, (OK, F, F, F, F, F, U), strict=True)))
async def test_who_publishes_the_list(
    gql: GQL, people: People, user: str | None, expected: str
) -> None:
    await published_item(gql, people)
    r = await gql(PUBLISH_LIST, as_user=user, input={"note": "x"})
    errors = r["data"]["publishItemList"]["errors"]
    assert (errors[0]["code"] if errors else OK) == expected


async def test_read_tables_rebuild_from_the_ledger(
    gql: GQL, people: People, app: Starlette, owner_conn: asyncpg.Connection
) -> None:
    await published_item(gql, people, "SCJG-001")
    ok(
        await gql(REVISE, as_user=people.scjg_admin, input=revise_input(name="新")),
        "reviseInspectionItem",
    )
    await published_item(gql, people, "SCJG-002")
    ok(await gql(PUBLISH_LIST, as_user=people.admin, input={}), "publishItemList")
    ok(
        await gql(RETIRE, as_user=people.admin, input={"code": "SCJG-002", "reason": "合并"}),
        "retireInspectionItem",
    )
    ok(await gql(PUBLISH_LIST, as_user=people.admin, input={"note": "n"}), "publishItemList")
    async with asyncio.timeout(20):
        while (await ledger_status(app.state.pool)).unsealed_count:
            await asyncio.sleep(0.02)
    for projection, table in (
        (StateTableProjection(item.SPEC, "inspection_items"), "inspection_items"),
        (ItemListsProjection(), "item_lists"),
    ):
        await replay_into_schema(owner_conn, projection, "rebuild_items")
        assert await owner_conn.fetchval(f"SELECT count(*) FROM rebuild_items.{table}") == 2
        assert await differences(owner_conn, projection, "rebuild_items") == 0
