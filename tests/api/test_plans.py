"""Annual plans (年度抽查工作计划) and inspection tasks (抽查任务) through the API."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from msgspec.structs import replace
from starlette.applications import Starlette

from spotcheck.domain import item as it
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.projections.rebuilder import differences, replay_into_schema
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.services import items
from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, SEED, People

PLAN = """
id planId year title status joint itemCodes filedItems { code version }
department { code } departments { code } items { code category }
"""
TASK = """
id taskId title status joint itemCodes stratifyByRiskClass
strata { id ratioPercent count }
population { kinds regions { code name } industries riskClasses statuses tags
             applicableItemsOnly }
exclusions { recentInspectionDays excludeDrawnSamePeriod }
inspectorRules { officersPerSubject expertsPerSubject workloadCap }
startDate endDate drawBatchOrder batches cancelReason
plan { planId } department { code } departments { code } items { code }
"""


def mutation(name: str, payload: str, fields: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ "
        f"{payload} {{ {fields} }} errors {{ code field message }} }} }}"
    )


CREATE_PLAN = mutation("createPlan", "plan", PLAN)
REVISE_PLAN = mutation("revisePlan", "plan", PLAN)
FILE_PLAN = mutation("filePlan", "plan", PLAN)
CREATE_TASK = mutation("createTask", "task", TASK)
REVISE_TASK = mutation("reviseTask", "task", TASK)
PUBLISH_TASK = mutation("publishTask", "task", TASK)
CANCEL_TASK = mutation("cancelTask", "task", TASK)

ONE_PLAN = f"""query($id: String!) {{ plan(planId: $id) {{ {PLAN}
  tasks {{ nodes {{ taskId status }} }} }} }}"""
ONE_TASK = f"query($id: String!) {{ task(taskId: $id) {{ {TASK} }} }}"
PLANS = """
query($first: Int, $after: String, $filter: AnnualPlanFilter) {
  plans(first: $first, after: $after, filter: $filter) {
    nodes { planId } pageInfo { hasNextPage endCursor } } }"""
TASKS = """
query($first: Int, $after: String, $filter: InspectionTaskFilter) {
  tasks(first: $first, after: $after, filter: $filter) {
    nodes { taskId } pageInfo { hasNextPage endCursor } } }"""
NODE = """query($id: ID!) { node(id: $id) { id
  ... on AnnualPlan { planId } ... on InspectionTask { taskId } } }"""

GENERAL = "SCJG-G5"
"""A published general item (一般检查事项) of SCJG with a 5% cap."""
KEY = "SCJG-K"
"""A published key item (重点检查事项) of SCJG."""
STHJ_KEY = "STHJ-K"
"""A published key item of STHJ."""
DRAFT_ITEM = "SCJG-D"
"""An SCJG item never published."""


@pytest.fixture
async def world(app: Starlette, people: People) -> People:
    key = reg.item_content("重点事项")
    general = replace(key, category=it.ItemCategory.GENERAL, ratio_cap_percent=Decimal(5))
    for code, dept, content, publish in (
        (GENERAL, "SCJG", general, True),
        (KEY, "SCJG", key, True),
        (STHJ_KEY, "STHJ", key, True),
        (DRAFT_ITEM, "SCJG", key, False),
    ):
        runner = app.state.runner
        await items.handle(runner, SEED, it.CreateItem(code=code, department=dept, content=content))
        if publish:
            await items.handle(runner, SEED, it.PublishItem(code=code))
    return people


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result
    (payload,) = result["data"].values()
    assert payload["errors"] == [], payload["errors"]
    obj = payload.get("plan", payload.get("task"))
    assert obj is not None
    return obj  # type: ignore[no-any-return]


def errors(result: dict[str, Any]) -> set[tuple[str, str | None]]:
    assert "errors" not in result, result
    (payload,) = result["data"].values()
    assert (payload.get("plan") or payload.get("task")) is None
    return {(e["code"], e["field"]) for e in payload["errors"]}


def plan_input(plan_id: str = "2026-SCJG", **extra: Any) -> dict[str, Any]:
    return {
        "planId": plan_id,
        "year": 2026,
        "department": "SCJG",
        "title": "2026年度区市场监管局双随机抽查工作计划",
        "items": [GENERAL, KEY],
    } | extra


def task_input(task_id: str = "T-001", plan_id: str = "2026-SCJG", **extra: Any) -> dict[str, Any]:
    return {
        "taskId": task_id,
        "planId": plan_id,
        "title": "食品经营者双随机抽查",
        "items": [GENERAL],
        "strata": [{"id": "ALL", "ratioPercent": "3"}],
        "startDate": "2026-03-01",
        "endDate": "2026-06-30",
    } | extra


async def events(app: Starlette) -> int:
    return int(await app.state.pool.fetchval("SELECT count(*) FROM events"))


async def filed_plan(gql: GQL, people: People, plan_id: str = "2026-SCJG", **extra: Any) -> None:
    ok(await gql(CREATE_PLAN, as_user=people.scjg_admin, input=plan_input(plan_id, **extra)))
    ok(await gql(FILE_PLAN, as_user=people.scjg_admin, input={"planId": plan_id}))


async def published_task(gql: GQL, people: People, task_id: str, **extra: Any) -> None:
    ok(await gql(CREATE_TASK, as_user=people.scjg_admin, input=task_input(task_id, **extra)))
    ok(await gql(PUBLISH_TASK, as_user=people.scjg_admin, input={"taskId": task_id}))


async def test_create_file_then_create_and_publish_a_task(gql: GQL, world: People) -> None:
    admin = world.scjg_admin
    plan = ok(await gql(CREATE_PLAN, as_user=admin, input=plan_input()))
    assert plan["status"] == "DRAFT" and not plan["joint"]
    assert plan["department"] == {"code": "SCJG"} and plan["departments"] == [{"code": "SCJG"}]
    assert plan["items"] == [
        {"code": GENERAL, "category": "GENERAL"},
        {"code": KEY, "category": "KEY"},
    ]
    plan = ok(await gql(FILE_PLAN, as_user=admin, input={"planId": "2026-SCJG"}))
    assert plan["status"] == "FILED"
    assert plan["filedItems"] == [{"code": GENERAL, "version": 1}, {"code": KEY, "version": 1}]

    extra = {
        "stratifyByRiskClass": True,
        "strata": [{"id": "D", "ratioPercent": "5"}, {"id": "a", "count": 20}],
        "population": {"regions": ["fangzhuang"], "industries": ["52"], "tags": ["食品"]},
        "exclusions": {"recentInspectionDays": 180},
        "inspectorRules": {"officersPerSubject": 3, "workloadCap": 10},
    }
    task = ok(await gql(CREATE_TASK, as_user=admin, input=task_input(**extra)))
    assert task["status"] == "DRAFT"
    assert task["strata"] == [
        {"id": "D", "ratioPercent": "5", "count": None},
        {"id": "A", "ratioPercent": None, "count": 20},
    ]
    assert task["population"] == {
        "kinds": [],
        "regions": [{"code": "fangzhuang", "name": "方庄街道"}],
        "industries": ["F52"],
        "riskClasses": [],
        "statuses": ["ACTIVE"],
        "tags": ["食品"],
        "applicableItemsOnly": False,
    }
    assert task["exclusions"] == {"recentInspectionDays": 180, "excludeDrawnSamePeriod": True}
    assert task["inspectorRules"] == {
        "officersPerSubject": 3,
        "expertsPerSubject": 0,
        "workloadCap": 10,
    }
    assert (task["startDate"], task["endDate"]) == ("2026-03-01", "2026-06-30")
    assert task["plan"] == {"planId": "2026-SCJG"} and task["items"] == [{"code": GENERAL}]
    assert task["departments"] == [{"code": "SCJG"}] and not task["joint"]

    task = ok(await gql(PUBLISH_TASK, as_user=admin, input={"taskId": "T-001"}))
    assert task["status"] == "PUBLISHED"
    got = await gql(ONE_PLAN, id="2026-SCJG")  # the public
    assert got["data"]["plan"]["tasks"]["nodes"] == [{"taskId": "T-001", "status": "PUBLISHED"}]
    r = await gql(NODE, id=task["id"])
    assert r["data"]["node"] == {"id": task["id"], "taskId": "T-001"}

    task = ok(await gql(CANCEL_TASK, as_user=admin, input={"taskId": "T-001", "reason": "调整"}))
    assert (task["status"], task["cancelReason"]) == ("CANCELLED", "调整")


async def test_a_joint_plan_and_task(gql: GQL, world: People) -> None:
    admin = world.scjg_admin
    plan_extra = {"items": [KEY, STHJ_KEY], "departments": ["STHJ"]}
    await filed_plan(gql, world, **plan_extra)
    r = await gql(ONE_PLAN, id="2026-SCJG")
    plan = r["data"]["plan"]
    assert plan["joint"] and plan["departments"] == [{"code": "SCJG"}, {"code": "STHJ"}]
    two = {"items": [KEY, STHJ_KEY], "strata": [{"id": "ALL", "ratioPercent": "30"}]}
    task = ok(await gql(CREATE_TASK, as_user=admin, input=task_input(**two)))
    assert task["joint"] and task["departments"] == [{"code": "SCJG"}, {"code": "STHJ"}]
    # Three departments would need three officers: STHJ leading adds nobody new here.
    led = two | {"department": "STHJ", "taskId": "T-002"}
    task = ok(await gql(CREATE_TASK, as_user=world.sthj_admin, input=task_input(**led)))
    assert task["department"] == {"code": "STHJ"}
    # The STHJ administrator does not keep SCJG's plan, joint or not.
    r = await gql(
        REVISE_PLAN, as_user=world.sthj_admin, input={"planId": "2026-SCJG", "title": "x"}
    )
    assert errors(r) == {("FORBIDDEN", None)}


async def test_the_public_sees_filed_plans_and_published_tasks_only(
    gql: GQL, world: People
) -> None:
    admin = world.scjg_admin
    await filed_plan(gql, world)
    ok(await gql(CREATE_PLAN, as_user=admin, input=plan_input("2026-SCJG-DRAFT")))
    await published_task(gql, world, "T-PUB")
    ok(await gql(CREATE_TASK, as_user=admin, input=task_input("T-DRAFT")))
    await published_task(gql, world, "T-GONE")
    ok(await gql(CANCEL_TASK, as_user=admin, input={"taskId": "T-GONE", "reason": "撤销"}))
    ok(await gql(CREATE_TASK, as_user=admin, input=task_input("T-NEVER")))
    ok(await gql(CANCEL_TASK, as_user=admin, input={"taskId": "T-NEVER", "reason": "撤销"}))
    draft = (await gql(ONE_PLAN, as_user=admin, id="2026-SCJG-DRAFT"))["data"]["plan"]
    draft_task = (await gql(ONE_TASK, as_user=admin, id="T-DRAFT"))["data"]["task"]

    async def seen(user: str | None) -> tuple[list[str], list[str], bool, bool, bool]:
        plans = (await gql(PLANS, as_user=user))["data"]["plans"]["nodes"]
        tasks = (await gql(TASKS, as_user=user))["data"]["tasks"]["nodes"]
        one = (await gql(ONE_PLAN, as_user=user, id="2026-SCJG-DRAFT"))["data"]["plan"]
        node = (await gql(NODE, as_user=user, id=draft["id"]))["data"]["node"]
        task_node = (await gql(NODE, as_user=user, id=draft_task["id"]))["data"]["node"]
        return (
            [p["planId"] for p in plans],
            [t["taskId"] for t in tasks],
            one is not None,
            node is not None,
            task_node is not None,
        )

    public = (["2026-SCJG"], ["T-GONE", "T-PUB"], False, False, False)
    everything = (
        ["2026-SCJG", "2026-SCJG-DRAFT"],
        ["T-DRAFT", "T-GONE", "T-NEVER", "T-PUB"],
        True,
        True,
        True,
    )
    assert await seen(None) == public
    assert await seen(world.sthj_admin) == public  # not a participating department
    assert await seen(world.nobody) == public  # signed in without an account
    for user in (world.inspector, world.auditor, world.admin, world.liaison):
        assert await seen(user) == everything, user
    r = await gql(ONE_PLAN, id="2026-SCJG")
    assert [t["taskId"] for t in r["data"]["plan"]["tasks"]["nodes"]] == ["T-GONE", "T-PUB"]


async def test_ratio_above_a_general_items_cap_names_it_and_writes_nothing(
    gql: GQL, world: People, app: Starlette
) -> None:
    await filed_plan(gql, world)
    before = await events(app)
    bad = {"items": [KEY, GENERAL], "strata": [{"id": "ALL", "ratioPercent": "6"}]}
    r = await gql(CREATE_TASK, as_user=world.scjg_admin, input=task_input(**bad))
    assert errors(r) == {("RATIO_CAP_EXCEEDED", "strata.0.ratioPercent")}
    (message,) = [e["message"] for e in r["data"]["createTask"]["errors"]]
    assert GENERAL in message and "5%" in message
    assert await events(app) == before
    assert (await gql(ONE_TASK, as_user=world.admin, id="T-001"))["data"]["task"] is None


async def test_bad_task_input_is_typed_by_field_and_writes_nothing(
    gql: GQL, world: People, app: Starlette
) -> None:
    await filed_plan(gql, world)
    before = await events(app)
    bad = {
        "items": [KEY, DRAFT_ITEM, "NOPE", STHJ_KEY],
        "strata": [{"id": "ALL", "ratioPercent": "10", "count": 5}],
        "population": {"regions": ["atlantis"], "industries": ["Z9"]},
        "exclusions": {"recentInspectionDays": 0},
        "inspectorRules": {"officersPerSubject": 1, "workloadCap": 0},
        "startDate": "2026-07-01",
        "endDate": "2027-01-01",
        "drawBatchOrder": False,
        "batches": ["一", "二"],
    }
    r = await gql(CREATE_TASK, as_user=world.scjg_admin, input=task_input(**bad))
    assert errors(r) == {
        ("UNKNOWN_ITEM", "items.1"),
        ("UNKNOWN_ITEM", "items.2"),
        ("ITEM_NOT_IN_PLAN", "items.3"),
        ("INVALID_FORMAT", "strata.0"),
        ("UNKNOWN_REGION", "population.regions.0"),
        ("INVALID_INDUSTRY", "population.industries.0"),
        ("OUT_OF_RANGE", "exclusions.recentInspectionDays"),
        ("OUT_OF_RANGE", "inspectorRules.officersPerSubject"),
        ("OUT_OF_RANGE", "inspectorRules.workloadCap"),
        ("OUT_OF_RANGE", "endDate"),
        ("INVALID_FORMAT", "batches"),
    }
    r = await gql(
        CREATE_TASK,
        as_user=world.scjg_admin,
        input=task_input(startDate="2026-07-01", endDate="2026-06-30"),
    )
    assert errors(r) == {("INVALID_DATE_RANGE", "endDate")}
    r = await gql(
        CREATE_PLAN,
        as_user=world.scjg_admin,
        input=plan_input("2026-X", year=1999, items=[STHJ_KEY, DRAFT_ITEM]),
    )
    assert errors(r) == {
        ("OUT_OF_RANGE", "year"),
        ("DEPARTMENT_NOT_PARTICIPATING", "items.0"),
        ("UNKNOWN_ITEM", "items.1"),
    }
    assert await events(app) == before


async def test_filed_plans_are_read_only_and_tasks_wait_for_filing(gql: GQL, world: People) -> None:
    admin = world.scjg_admin
    ok(await gql(CREATE_PLAN, as_user=admin, input=plan_input()))
    ok(await gql(CREATE_TASK, as_user=admin, input=task_input()))
    r = await gql(PUBLISH_TASK, as_user=admin, input={"taskId": "T-001"})
    assert errors(r) == {("INVALID_TRANSITION", "planId")}
    plan = ok(await gql(REVISE_PLAN, as_user=admin, input={"planId": "2026-SCJG", "title": "新"}))
    assert plan["title"] == "新"
    ok(await gql(FILE_PLAN, as_user=admin, input={"planId": "2026-SCJG"}))
    r = await gql(REVISE_PLAN, as_user=admin, input={"planId": "2026-SCJG", "title": "再改"})
    assert errors(r) == {("INVALID_TRANSITION", None)}
    ok(await gql(PUBLISH_TASK, as_user=admin, input={"taskId": "T-001"}))
    revise = task_input() | {"title": "改"}
    del revise["planId"]
    r = await gql(REVISE_TASK, as_user=admin, input=revise)
    assert errors(r) == {("INVALID_TRANSITION", None)}


async def test_revise_task_replaces_the_definition(gql: GQL, world: People) -> None:
    admin = world.scjg_admin
    await filed_plan(gql, world)
    ok(await gql(CREATE_TASK, as_user=admin, input=task_input()))
    revise = task_input(items=[KEY], strata=[{"id": "ALL", "count": 40}]) | {
        "drawBatchOrder": True,
        "batches": ["第一批", "第二批"],
        "reason": "改为重点事项",
    }
    del revise["planId"]
    task = ok(await gql(REVISE_TASK, as_user=admin, input=revise))
    assert task["itemCodes"] == [KEY] and task["strata"][0]["count"] == 40
    assert task["drawBatchOrder"] and task["batches"] == ["第一批", "第二批"]


async def test_idempotency_key(gql: GQL, world: People, app: Starlette) -> None:
    first = await gql(CREATE_PLAN, as_user=world.scjg_admin, input=plan_input(idempotencyKey="k1"))
    before = await events(app)
    again = await gql(CREATE_PLAN, as_user=world.scjg_admin, input=plan_input(idempotencyKey="k1"))
    assert again == first and await events(app) == before
    other = plan_input("2026-OTHER", idempotencyKey="k1")
    r = await gql(CREATE_PLAN, as_user=world.scjg_admin, input=other)
    assert errors(r) == {("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")}


async def test_filters_and_pages(gql: GQL, world: People) -> None:
    await filed_plan(gql, world, "2026-SCJG", items=[KEY, STHJ_KEY], departments=["STHJ"])
    ok(
        await gql(
            CREATE_PLAN,
            as_user=world.sthj_admin,
            input=plan_input("2025-STHJ", year=2025, department="STHJ", items=[STHJ_KEY]),
        )
    )
    for n in range(3):
        await published_task(gql, world, f"T-{n}", items=[KEY])
    ok(await gql(CREATE_TASK, as_user=world.admin, input=task_input("T-J", items=[STHJ_KEY])))

    async def plan_ids(**f: Any) -> list[str]:
        r = await gql(PLANS, as_user=world.admin, filter=f)
        return [p["planId"] for p in r["data"]["plans"]["nodes"]]

    async def task_ids(**f: Any) -> list[str]:
        r = await gql(TASKS, as_user=world.admin, filter=f)
        return [t["taskId"] for t in r["data"]["tasks"]["nodes"]]

    assert await plan_ids(year=2025) == ["2025-STHJ"]
    assert await plan_ids(department="STHJ") == ["2025-STHJ", "2026-SCJG"]
    assert await plan_ids(status="DRAFT") == ["2025-STHJ"]
    assert await task_ids(department="STHJ") == ["T-J"]
    assert await task_ids(status="PUBLISHED", planId="2026-SCJG") == ["T-0", "T-1", "T-2"]
    assert await task_ids(planId="2025-STHJ") == []
    seen: list[str] = []
    after = None
    while True:
        r = await gql(TASKS, first=2, after=after)
        page = r["data"]["tasks"]
        seen += [t["taskId"] for t in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["T-0", "T-1", "T-2"]


async def test_read_tables_rebuild_from_the_ledger(
    gql: GQL, world: People, app: Starlette, owner_conn: asyncpg.Connection
) -> None:
    await filed_plan(gql, world)
    ok(await gql(CREATE_PLAN, as_user=world.scjg_admin, input=plan_input("2026-B")))
    await published_task(gql, world, "T-1")
    ok(await gql(CREATE_TASK, as_user=world.scjg_admin, input=task_input("T-2")))
    async with asyncio.timeout(20):
        while (await ledger_status(app.state.pool)).unsealed_count:
            await asyncio.sleep(0.02)
    for projection, table in (
        (StateTableProjection(pl.SPEC, "plans"), "plans"),
        (StateTableProjection(tk.SPEC, "tasks"), "tasks"),
    ):
        await replay_into_schema(owner_conn, projection, "rebuild_plans")
        assert await owner_conn.fetchval(f"SELECT count(*) FROM rebuild_plans.{table}") == 2
        assert await differences(owner_conn, projection, "rebuild_plans") == 0
