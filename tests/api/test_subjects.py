"""The registry of inspection subjects (检查对象名录库) through the API."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import item as i
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.uscc import check_character
from spotcheck.services import accounts, items, subjects
from tests.api.conftest import GQL, SEED, People

USCC = "91330100716105852F"

FIELDS = """
  id key kind uscc identifier name region { code name } industry address legalRepresentative
  status riskClass maintainingDepartment { code } tags items
"""
REGISTER = f"""
mutation($input: RegisterSubjectInput!) {{
  registerSubject(input: $input) {{ subject {{ {FIELDS} }} errors {{ code field message }} }}
}}"""
UPDATE = f"""
mutation($input: UpdateSubjectInput!) {{
  updateSubject(input: $input) {{ subject {{ {FIELDS} }} errors {{ code field message }} }}
}}"""
ONE = """
query($key: String!) { subject(key: $key) { key name legalRepresentative } }"""
LIST = """
query($first: Int, $after: String, $filter: SubjectFilter) {
  subjects(first: $first, after: $after, filter: $filter) {
    edges { cursor node { key } }
    nodes { key legalRepresentative }
    pageInfo { hasNextPage endCursor }
  }
}"""

FOOD = "SCJG-FOOD-01"
OLD = "SCJG-OLD-01"
DRAFT = "SCJG-DRAFT-01"


def uscc(n: int) -> str:
    """A valid USCC numbered n (organisation code digits), for seeding many businesses."""
    first17 = f"911101060000{n:05d}"
    return first17 + check_character(first17)


def enterprise_input(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "ENTERPRISE",
        "uscc": USCC.lower(),
        "name": "北京丰台某某食品有限公司",
        "region": "fangzhuang",
        "industry": "5211",
        "address": "北京市丰台区方庄路1号",
        "legalRepresentative": "张三",
        "riskClass": "B",
        "maintainingDepartment": "SCJG",
        "tags": ["食品", "超市"],
        "items": [FOOD],
    } | extra


def content(name: str) -> i.ItemContent:
    return i.ItemContent(
        name=name,
        legal_basis="《中华人民共和国食品安全法》",
        inspecting_body="区市场监管局",
        content="食品经营许可情况",
        methods=[i.ItemMethod.ON_SITE],
        target_kind=SubjectKind.ENTERPRISE,
        category=i.ItemCategory.KEY,
        checklist=[i.CheckPoint(code="1", text="查验食品经营许可证")],
    )


@pytest.fixture
async def world(app: Starlette, people: People) -> People:
    """The seeded people, an inspector of STHJ, and three SCJG items: published, retired, draft."""
    runner = app.state.runner
    await accounts.handle(
        runner,
        SEED,
        a.CreateAccount(
            user_id="sthj-inspector",
            display_name="sthj-inspector",
            department="STHJ",
            roles=[Role.INSPECTOR],
        ),
    )
    for code in (FOOD, OLD, DRAFT):
        await items.handle(
            runner, SEED, i.CreateItem(code=code, department="SCJG", content=content(code))
        )
    for code in (FOOD, OLD):
        await items.handle(runner, SEED, i.PublishItem(code=code))
    await items.handle(runner, SEED, i.RetireItem(code=OLD, reason="法规废止"))
    return people


async def seed(app: Starlette, command: s.RegisterSubject) -> None:
    outcome = await subjects.handle(app.state.runner, SEED, command, app.state.regions)
    assert outcome.events, command


def business(n: int, **extra: Any) -> s.RegisterSubject:
    fields: dict[str, Any] = {
        "kind": SubjectKind.ENTERPRISE,
        "uscc": uscc(n),
        "name": f"企业{n}",
        "region": "fangzhuang",
        "legal_representative": f"代表{n}",
        "maintaining_department": "SCJG",
    }
    return s.RegisterSubject(**(fields | extra))


async def keys(gql: GQL, as_user: str, **filter: Any) -> list[str]:
    r = await gql(LIST, as_user=as_user, first=100, filter=filter)
    assert "errors" not in r, r
    return [n["key"] for n in r["data"]["subjects"]["nodes"]]


async def count(app: Starlette, sql: str) -> int:
    return int(await app.state.pool.fetchval(sql))


# Registering
async def test_register_and_read_back(gql: GQL, world: People) -> None:
    r = await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())
    payload = r["data"]["registerSubject"]
    assert payload["errors"] == []
    subject = payload["subject"]
    assert {k: v for k, v in subject.items() if k != "id"} == {
        "key": USCC,
        "kind": "ENTERPRISE",
        "uscc": USCC,
        "identifier": None,
        "name": "北京丰台某某食品有限公司",
        "region": {"code": "fangzhuang", "name": "方庄街道"},
        "industry": "F5211",
        "address": "北京市丰台区方庄路1号",
        "legalRepresentative": "张三",
        "status": "ACTIVE",
        "riskClass": "B",
        "maintainingDepartment": {"code": "SCJG"},
        "tags": ["超市", "食品"],
        "items": [FOOD],
    }
    one = await gql(ONE, as_user=world.inspector, key=USCC.lower())
    assert one["data"]["subject"]["key"] == USCC
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Subject { key } } }",
        as_user=world.auditor,
        id=subject["id"],
    )
    assert node["data"]["node"] == {"key": USCC}
    product = await gql(
        REGISTER,
        as_user=world.admin,
        input={
            "kind": "PRODUCT",
            "identifier": "PRODUCT:STHJ:2026-000123",
            "name": "某品牌电动自行车",
            "region": "huaxiang",
            "maintainingDepartment": "STHJ",
        },
    )
    assert product["data"]["registerSubject"]["errors"] == []
    assert product["data"]["registerSubject"]["subject"]["key"] == "PRODUCT:STHJ:2026-000123"


async def test_bad_input_is_typed_and_writes_nothing(
    gql: GQL, world: People, app: Starlette
) -> None:
    bad = enterprise_input(
        uscc="91330100716105852E",
        region="atlantis",
        industry="Z9",
        items=[OLD, "NOPE"],
        tags=["x" * 31],
    )
    r = await gql(REGISTER, as_user=world.scjg_admin, input=bad)
    payload = r["data"]["registerSubject"]
    assert payload["subject"] is None
    assert {(e["code"], e["field"]) for e in payload["errors"]} == {
        ("USCC_CHECK_MISMATCH", "uscc"),
        ("UNKNOWN_REGION", "region"),
        ("INVALID_INDUSTRY", "industry"),
        ("UNKNOWN_ITEM", "items"),
        ("TOO_LONG", "tags.0"),
    }
    ok = await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input(items=[DRAFT]))
    assert ok["data"]["registerSubject"]["errors"] == []
    again = await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())
    assert again["data"]["registerSubject"]["errors"][0]["code"] == "ALREADY_EXISTS"
    assert await count(app, "SELECT count(*) FROM subjects") == 1
    assert await count(app, "SELECT count(*) FROM events WHERE stream_id LIKE 'subject-%'") == 1


async def test_who_may_register(gql: GQL, world: People, app: Starlette) -> None:
    cases = {
        world.sthj_admin: [("NOT_MAINTAINING_DEPARTMENT", "maintainingDepartment")],
        world.inspector: [("FORBIDDEN", None)],
        world.auditor: [("FORBIDDEN", None)],
        world.liaison: [("FORBIDDEN", None)],
        None: [("UNAUTHENTICATED", None)],
    }
    for user, expected in cases.items():
        r = await gql(REGISTER, as_user=user, input=enterprise_input())
        errors = r["data"]["registerSubject"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == expected, user
    assert await count(app, "SELECT count(*) FROM subjects") == 0
    idem = enterprise_input(idempotencyKey="reg-1")
    first = await gql(REGISTER, as_user=world.admin, input=idem)
    repeat = await gql(REGISTER, as_user=world.admin, input=idem)
    assert first["data"]["registerSubject"]["errors"] == []
    assert repeat["data"] == first["data"]
    assert await count(app, "SELECT count(*) FROM events WHERE stream_id LIKE 'subject-%'") == 1


# Correcting
async def test_update_records_the_changes_in_the_event(
    gql: GQL, world: People, app: Starlette
) -> None:
    await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())
    fix = {
        "key": USCC.lower(),
        "reason": "营业执照变更",
        "name": "北京丰台某某食品股份有限公司",
        "riskClass": "D",
        "status": "ACTIVE",
        "address": "",
        "tags": ["食品"],
    }
    r = await gql(UPDATE, as_user=world.scjg_admin, input=fix)
    payload = r["data"]["updateSubject"]
    assert payload["errors"] == []
    assert payload["subject"]["name"] == "北京丰台某某食品股份有限公司"
    assert payload["subject"]["address"] is None
    assert payload["subject"]["tags"] == ["食品"]
    rows = await app.state.pool.fetch(
        "SELECT event_type, data, metadata FROM events WHERE stream_id = $1"
        " ORDER BY stream_version",
        f"subject-{USCC}",
    )
    assert [row["event_type"] for row in rows] == ["SubjectRegistered", "SubjectChanged"]
    assert rows[1]["data"] == {
        "changes": {
            "name": {"old": "北京丰台某某食品有限公司", "new": "北京丰台某某食品股份有限公司"},
            "address": {"old": "北京市丰台区方庄路1号", "new": None},
            "riskClass": {"old": "B", "new": "D"},
            "tags": {"old": ["超市", "食品"], "new": ["食品"]},
        },
        "reason": "营业执照变更",
        "proposal": None,  # a correction by hand carries out no credit-risk proposal
    }
    assert rows[1]["metadata"]["reason"] == "营业执照变更"
    assert rows[1]["metadata"]["actor"] == world.scjg_admin
    # the same correction again changes nothing and writes nothing
    again = await gql(UPDATE, as_user=world.scjg_admin, input=fix)
    assert again["data"]["updateSubject"]["errors"] == []
    assert again["data"]["updateSubject"]["subject"]["riskClass"] == "D"
    assert await count(app, "SELECT count(*) FROM events WHERE stream_id LIKE 'subject-%'") == 2
    stored = await app.state.pool.fetchrow(
        "SELECT name, risk_class, version FROM subjects WHERE id = $1", USCC
    )
    assert tuple(stored) == ("北京丰台某某食品股份有限公司", "D", 2)


async def test_update_rules(gql: GQL, world: People) -> None:
    await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())

    async def errors(user: str, **fields: Any) -> list[tuple[str, str | None]]:
        r = await gql(UPDATE, as_user=user, input={"key": USCC} | fields)
        return [(e["code"], e["field"]) for e in r["data"]["updateSubject"]["errors"]]

    assert await errors(world.sthj_admin, reason="核对", name="x") == [
        ("NOT_MAINTAINING_DEPARTMENT", None)
    ]
    assert await errors(world.inspector, reason="核对", name="x") == [("FORBIDDEN", None)]
    assert await errors(world.scjg_admin, reason=" ", name="x") == [("REASON_REQUIRED", "reason")]
    assert await errors(world.scjg_admin, reason="调整", maintainingDepartment="STHJ") == [
        ("FORBIDDEN", "maintainingDepartment")
    ]
    assert await errors(world.admin, reason="调整", maintainingDepartment="STHJ") == []
    assert await errors(world.scjg_admin, reason="核对", name="x") == [
        ("NOT_MAINTAINING_DEPARTMENT", None)
    ]
    assert await errors(world.sthj_admin, reason="核对", name="x") == []
    missing = await errors(world.admin, key="PRODUCT:SCJG:none", reason="核对", name="x")
    assert missing == [("NOT_FOUND", "key")]


# Who sees what
async def test_public_sees_no_subjects(gql: GQL, world: People) -> None:
    r = await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())
    gid = r["data"]["registerSubject"]["subject"]["id"]
    listed = await gql(LIST)
    assert listed["data"]["subjects"] == {
        "edges": [],
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    assert (await gql(ONE, key=USCC))["data"]["subject"] is None
    node = await gql("query($id: ID!) { node(id: $id) { id } }", id=gid)
    assert node["data"]["node"] is None
    regions = await gql("{ regions { code name } }")
    assert len(regions["data"]["regions"]) == 26
    assert regions["data"]["regions"][0] == {"code": "youanmen", "name": "右安门街道"}


async def test_legal_representative_only_for_the_maintaining_department_and_readers(
    gql: GQL, world: People
) -> None:
    await gql(REGISTER, as_user=world.scjg_admin, input=enterprise_input())
    seen = {}
    for user in (
        world.admin,
        world.auditor,
        world.scjg_admin,
        world.inspector,
        world.liaison,
        world.sthj_admin,
        "sthj-inspector",
    ):
        r = await gql(ONE, as_user=user, key=USCC)
        seen[user] = r["data"]["subject"]["legalRepresentative"]
        listed = await gql(LIST, as_user=user)
        assert listed["data"]["subjects"]["nodes"][0]["legalRepresentative"] == seen[user]
    assert seen == {
        world.admin: "张三",
        world.auditor: "张三",
        world.scjg_admin: "张三",
        world.inspector: "张三",
        world.liaison: "张三",
        world.sthj_admin: None,
        "sthj-inspector": None,
    }
    public = await gql(ONE, key=USCC)
    assert public["data"]["subject"] is None


# Lists
async def test_filters(gql: GQL, world: People, app: Starlette) -> None:
    await seed(app, business(1, industry="F5211", tags=["食品"], items=[FOOD]))
    await seed(app, business(2, industry="F5261", region="huaxiang", risk_class=s.RiskClass.D))
    await seed(
        app,
        business(
            3,
            kind=SubjectKind.INDIVIDUAL_BUSINESS,
            name="丰台老王小吃店",
            industry="H6210",
            status=s.RegistrationStatus.DEREGISTERED,
            tags=["餐饮", "食品"],
        ),
    )
    await seed(
        app,
        s.RegisterSubject(
            kind=SubjectKind.PROJECT,
            identifier="PROJECT:STHJ:FT-2026-0012",
            name="丰台某住宅项目",
            region="huaxiang",
            legal_representative="赵六",
            industry="E4710",
            maintaining_department="STHJ",
            items=[FOOD],
        ),
    )
    b1, b2, b3 = uscc(1), uscc(2), uscc(3)
    project = "PROJECT:STHJ:FT-2026-0012"
    user = world.inspector
    assert await keys(gql, user) == sorted([b1, b2, b3, project])
    assert await keys(gql, user, kind="INDIVIDUAL_BUSINESS") == [b3]
    assert await keys(gql, user, region="huaxiang") == sorted([b2, project])
    assert await keys(gql, user, industry="F52") == [b1, b2]
    assert await keys(gql, user, industry="52") == [b1, b2]
    assert await keys(gql, user, industry="f5211") == [b1]
    assert await keys(gql, user, industry="H") == [b3]
    assert await keys(gql, user, status="DEREGISTERED") == [b3]
    assert await keys(gql, user, riskClass="D") == [b2]
    assert await keys(gql, user, maintainingDepartment="STHJ") == [project]
    assert await keys(gql, user, tag="食品") == [b1, b3]
    assert await keys(gql, user, item=FOOD) == sorted([b1, project])
    assert await keys(gql, user, nameContains="小吃") == [b3]
    assert await keys(gql, user, nameContains="%") == []
    assert await keys(gql, user, tag="食品", region="fangzhuang", kind="ENTERPRISE") == [b1]
    bad = await gql(LIST, as_user=user, filter={"industry": "F5%"})
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"] == {
        "code": "INVALID_INDUSTRY",
        "field": "filter.industry",
    }


async def test_walking_the_pages_sees_every_row_once_while_rows_are_added(
    gql: GQL, world: People, app: Starlette
) -> None:
    existing = [uscc(n) for n in range(100, 160, 2)]  # 30 rows, even numbers
    for n in range(100, 160, 2):
        await seed(app, business(n))
    seen: list[str] = []
    after: str | None = None
    added = 0
    while True:
        r = await gql(LIST, as_user=world.inspector, first=7, after=after)
        page = r["data"]["subjects"]
        assert len(page["nodes"]) <= 7
        assert [e["node"]["key"] for e in page["edges"]] == [n["key"] for n in page["nodes"]]
        seen.extend(n["key"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
        # rows inserted between pages: before the cursor, and after it
        await seed(app, business(99 - added))
        await seed(app, business(101 + 2 * added))
        added += 1
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert seen == sorted(seen)
    assert set(existing) <= set(seen)
    assert added >= 4
    assert not {uscc(99 - n) for n in range(added)} & set(seen)  # behind the cursor
    bad = await gql(LIST, as_user=world.inspector, first=101)
    assert bad["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"
