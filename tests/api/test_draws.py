"""Draws (抽取) and inspections (检查) through the API: commit → execute → the public reads and
verifies the transcript; void keeps both draws; concurrent execution; deterministic replacement;
the cap refusal; unmatched subjects; exclusions and rotation; the read tables rebuild."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.auth.tokens import mint
from spotcheck.domain import draw as d
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import plan as pl
from spotcheck.domain import subject as s
from spotcheck.domain import task as tk
from spotcheck.domain.kinds import SubjectKind
from spotcheck.draw import transcript as tr
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.projections.inspections import InspectionsProjection
from spotcheck.projections.rebuilder import differences, replay_into_schema
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.services import draws, inspectors, items, plans, subjects, tasks
from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, SEED, TOKENS, People, seed_people
from tests.conftest import Db
from tests.dbutil import Cluster, drop_database, fresh_database

FOOD = "SCJG-FOOD"
"""A published key item (重点检查事项) of SCJG needing FOOD expertise."""
CAPPED = "SCJG-CAP"
"""A published general item (一般检查事项) of SCJG with a 10% cap."""
TASK = "T2026-DRAW"
OFFICERS = [f"SCJG-O{i}" for i in range(1, 5)]
SEED_BYTES = bytes(range(32))
SOURCES = [
    {"name": "双色球 2026045 红球", "kind": "NUMBERS", "description": "福彩中心 2026-04-21"},
    {"name": "双色球 2026045 蓝球", "kind": "NUMBERS"},
]
ENTROPY = [
    {"name": "双色球 2026045 红球", "numbers": [21, 3, 9, 14, 30, 6]},
    {"name": "双色球 2026045 蓝球", "numbers": [12]},
]

DRAW = """
id key taskId number status ledgerPosition unsealedEvents items commitment commitDigest
candidatesDigest sources { name kind description } serverSeed transcriptDigest
entropy { name numbers text } assigned unmatchedCount voidReason voidedFrom
strata { id size populationDigest k ratio count
         picks(first: 100) { nodes { key name } pageInfo { hasNextPage } } }
unmatched(first: 100) { nodes { subject { key name } reason department needed found eligible
                                excluded { code count } } }
replacements { nodes { subjectKey counter replaced replacement reason unmatchedReason } }
transcript { digest size download }
rules { departments officersPerSubject requiredExpertise { department expertise } }
task { taskId }
"""


def mutation(name: str, payload: str, fields: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ "
        f"{payload} {{ {fields} }} errors {{ code field message }} }} }}"
    )


COMMIT = mutation("commitDraw", "draw", DRAW)
EXECUTE = mutation("executeDraw", "draw", DRAW)
VOID = mutation("voidDraw", "draw", DRAW)
REPLACE = mutation(
    "replaceInspector",
    "inspection",
    "key lead officers experts members { staffId role inspector { staffId } }",
)
ONE_DRAW = f"query($t: String!, $n: Int!) {{ draw(taskId: $t, number: $n) {{ {DRAW} }} }}"
DRAWS = """query($t: String!) { draws(taskId: $t) {
  nodes { number status voidReason voidedFrom } pageInfo { hasNextPage } } }"""
TRANSCRIPT = "query($t: String!, $n: Int!) { drawTranscript(taskId: $t, number: $n) }"
VERIFY = "query($t: String!, $n: Int!) { verifyDraw(taskId: $t, number: $n) { ok problems } }"
INSPECTIONS = """
query($filter: InspectionFilter, $first: Int, $after: String) {
  inspections(filter: $filter, first: $first, after: $after) {
    nodes { id key taskId drawNumber subject { key name } items departments lead officers
            experts startDate endDate status
            members { staffId role inspector { staffId name } } draw { number } }
    pageInfo { hasNextPage endCursor } } }"""


def uscc_key(n: int) -> str:
    return reg.uscc(5000 + n)


def content(name: str, **changes: Any) -> it.ItemContent:
    return msgspec.structs.replace(reg.item_content(name), expertise=["FOOD"], **changes)


async def seed_registry(runner: Any, regions: Any, subjects_count: int = 12) -> None:
    """Two published SCJG items (FOOD, key; CAPPED, general 10%); subjects 0..n-1, enterprises
    of SCJG with risk class A (even) or D (odd); four SCJG officers with FOOD expertise and
    certificates valid over 2026; and the filed plan 2026-SCJG-DRAW holding both items."""
    for code, c in (
        (FOOD, content("食品经营")),
        (
            CAPPED,
            content("广告发布", category=it.ItemCategory.GENERAL, ratio_cap_percent=Decimal("10")),
        ),
    ):
        assert (
            await items.handle(runner, SEED, it.CreateItem(code=code, department="SCJG", content=c))
        ).events
        assert (await items.handle(runner, SEED, it.PublishItem(code=code))).events
    for n in range(subjects_count):
        out = await subjects.handle(
            runner,
            SEED,
            s.RegisterSubject(
                kind=SubjectKind.ENTERPRISE,
                uscc=uscc_key(n),
                name=f"丰台食品{n}号有限公司",
                region="fangzhuang",
                legal_representative="张三",
                risk_class=s.RiskClass.A if n % 2 == 0 else s.RiskClass.D,
                maintaining_department="SCJG",
            ),
            regions,
        )
        assert out.events
    for staff in OFFICERS:
        out = await inspectors.handle(
            runner,
            SEED,
            reg.officer(staff, valid_until=dt.date(2028, 12, 31), expertise=["FOOD"]),
        )
        assert out.events
    plan = pl.CreatePlan(
        plan_id="2026-SCJG-DRAW",
        year=2026,
        department="SCJG",
        title="抽查计划",
        items=[FOOD, CAPPED],
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id="2026-SCJG-DRAW"))).events


async def publish_task(
    runner: Any,
    regions: Any,
    task_id: str = TASK,
    *,
    item: str = FOOD,
    strata: list[tk.StratumSpec] | None = None,
    start: dt.date = dt.date(2026, 5, 6),
    end: dt.date = dt.date(2026, 5, 29),
    exclusions: tk.Exclusions | None = None,
) -> None:
    """A published SCJG task, stratified by risk class: A at 50%, D a count of 2 (by default)."""
    out = await tasks.handle(
        runner,
        SEED,
        tk.CreateTask(
            task_id=task_id,
            plan_id="2026-SCJG-DRAW",
            title="食品经营抽查" + task_id,
            items=[item],
            stratify_by_risk_class=True,
            strata=strata
            or [tk.StratumSpec(id="A", ratio_percent=Decimal(50)), tk.StratumSpec(id="D", count=2)],
            exclusions=exclusions or tk.Exclusions(),
            start_date=start,
            end_date=end,
        ),
        regions,
    )
    assert out.events, out
    assert (await tasks.handle(runner, SEED, tk.PublishTask(task_id=task_id), regions)).events


@pytest.fixture
async def scene(app: Starlette) -> People:
    people = await seed_people(app.state.runner)
    await seed_registry(app.state.runner, app.state.regions)
    await publish_task(app.state.runner, app.state.regions)
    return people


def payload(r: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in r, r
    result: dict[str, Any] = r["data"][name]
    return result


async def commit(
    gql: GQL, user: str = "scjg-admin", task: str = TASK, **extra: Any
) -> dict[str, Any]:
    return payload(
        await gql(COMMIT, as_user=user, input={"taskId": task, "sources": SOURCES} | extra),
        "commitDraw",
    )


async def execute(gql: GQL, user: str = "scjg-admin", task: str = TASK) -> dict[str, Any]:
    return payload(
        await gql(EXECUTE, as_user=user, input={"taskId": task, "entropy": ENTROPY}), "executeDraw"
    )


PUBLIC_TRANSCRIPT = """query ($t: String!, $n: Int!) {
  drawPublicTranscript(taskId: $t, number: $n) }"""


async def transcript_of(gql: GQL, task: str = TASK, number: int = 1) -> bytes:
    """The full transcript (AUDITOR and SYSTEM_ADMIN only); the public one, derived from it and
    read without signing in, verifies too and names its digest."""
    refused = await gql(TRANSCRIPT, t=task, n=number)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await gql(TRANSCRIPT, as_user="auditor", t=task, n=number)
    text = r["data"]["drawTranscript"]
    assert text is not None
    full = str(text).encode("utf-8")
    public = (await gql(PUBLIC_TRANSCRIPT, t=task, n=number))["data"]["drawPublicTranscript"]
    assert public is not None
    assert tr.verify_bytes(public).ok
    assert tr.public_loads(public).transcript_digest == tr.sha256_hex(full)
    return full


async def test_commit_execute_and_the_public_verifies(gql: GQL, scene: People) -> None:
    c = await commit(gql)
    assert c["errors"] == []
    draw = c["draw"]
    assert (draw["number"], draw["status"], draw["serverSeed"]) == (1, "COMMITTED", None)
    assert [x["id"] for x in draw["strata"]] == ["A", "D"]
    a, dd = draw["strata"]
    assert (a["size"], a["ratio"], a["k"], a["picks"]) == (6, "0.5", 3, None)
    assert (dd["size"], dd["count"], dd["k"]) == (6, 2, 2)
    assert draw["rules"]["requiredExpertise"] == [{"department": "SCJG", "expertise": ["FOOD"]}]
    # The commit is public at once, without the seed.
    public = (await gql(ONE_DRAW, t=TASK, n=1))["data"]["draw"]
    assert public["commitment"] == draw["commitment"] and public["serverSeed"] is None
    assert (await gql(TRANSCRIPT, t=TASK, n=1))["data"]["drawTranscript"] is None

    e = await execute(gql)
    assert e["errors"] == []
    draw = e["draw"]
    assert draw["status"] == "EXECUTED"
    assert len(draw["serverSeed"]) == 64
    assert draw["entropy"][0] == {
        "name": "双色球 2026045 红球",
        "numbers": [21, 3, 9, 14, 30, 6],
        "text": None,
    }
    assert (draw["assigned"], draw["unmatchedCount"], draw["unmatched"]["nodes"]) == (5, 0, [])

    public = (await gql(ONE_DRAW, t=TASK, n=1))["data"]["draw"]
    assert not any(x["picks"]["pageInfo"]["hasNextPage"] for x in public["strata"])
    picks = [p for x in public["strata"] for p in x["picks"]["nodes"]]
    assert len(picks) == 5
    assert all(p["name"].startswith("丰台食品") for p in picks)  # names are public once drawn
    content = await transcript_of(gql)
    assert "张三" not in content.decode() and "ZF-SCJG" not in content.decode()  # no personal data
    result = tr.verify_bytes(content)
    assert result.ok, result.problems
    t = tr.loads(content)
    assert t.commit_digest == draw["commitDigest"]
    assert [p["key"] for p in picks] == [x for sel in t.selection for x in sel.picks]
    verified = (await gql(VERIFY, t=TASK, n=1))["data"]["verifyDraw"]
    assert verified == {"ok": True, "problems": []}

    # One pick altered: the transcript no longer verifies.
    data = json.loads(content)
    first = data["selection"][0]["picks"][0]
    data["selection"][0]["picks"][0] = next(
        x for x in data["populations"][0]["subjects"] if x not in data["selection"][0]["picks"]
    )
    altered = tr.verify_bytes(json.dumps(data).encode())
    assert not altered.ok
    assert any("selection (A).picks[0]" in p and first in p for p in altered.problems)

    # One inspection per assigned subject; staff see staff ids (the public: pseudonyms, below).
    r = await gql(INSPECTIONS, as_user=scene.scjg_admin, filter={"taskId": TASK}, first=100)
    nodes = r["data"]["inspections"]["nodes"]
    assert sorted(n["subject"]["key"] for n in nodes) == sorted(p["key"] for p in picks)
    teams = {a.subject: a for a in t.assignments}
    for n in nodes:
        team = teams[n["subject"]["key"]]
        assert (n["lead"], n["officers"]) == (team.lead, list(team.officers))
        assert n["key"] == f"{TASK}/1/{n['subject']['key']}"
        assert (n["startDate"], n["endDate"], n["status"]) == (
            "2026-05-06",
            "2026-05-29",
            "ASSIGNED",
        )
        assert n["items"] == [FOOD] and n["departments"] == ["SCJG"]
        assert [m["role"] for m in n["members"]] == ["LEAD", "OFFICER"]
        assert n["draw"] == {"number": 1}
    # The public sees the same teams under the draw's pseudonyms (those of the public
    # transcript), and no inspector record.
    r = await gql(INSPECTIONS, filter={"taskId": TASK}, first=100)
    published = (await gql(PUBLIC_TRANSCRIPT, t=TASK, n=1))["data"]["drawPublicTranscript"]
    shown = {x.subject: (x.lead, x.officers) for x in tr.public_loads(published).teams}
    staff_ids = {c.staff_id for c in t.candidates}
    for n in r["data"]["inspections"]["nodes"]:
        assert (n["lead"], n["officers"]) == shown[n["subject"]["key"]]
        assert all(m["inspector"] is None for m in n["members"])
        assert not staff_ids & {n["lead"], *n["officers"], *(m["staffId"] for m in n["members"])}
    someone = nodes[0]["lead"]
    staff = await gql(INSPECTIONS, as_user=scene.inspector, filter={"staffId": someone})
    mine = staff["data"]["inspections"]["nodes"]
    assert [n["key"] for n in mine] == [n["key"] for n in nodes if someone in n["officers"]]
    assert all(m["inspector"]["staffId"] == m["staffId"] for n in mine for m in n["members"])
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Inspection { key } } }", id=nodes[0]["id"]
    )
    assert node["data"]["node"] == {"key": nodes[0]["key"]}
    node = await gql("query($id: ID!) { node(id: $id) { ... on Draw { number } } }", id=draw["id"])
    assert node["data"]["node"] == {"number": 1}


async def test_void_and_redraw_keep_both(gql: GQL, scene: People, app: Starlette) -> None:
    assert (await commit(gql))["errors"] == []
    again = await commit(gql)
    assert again["errors"][0]["code"] == "INVALID_TRANSITION" and again["draw"] is None
    assert (await execute(gql))["errors"] == []
    pool = app.state.pool
    assert await pool.fetchval("SELECT count(*) FROM inspections") == 5
    refused = payload(
        await gql(VOID, as_user="scjg-admin", input={"taskId": TASK, "reason": "重抽"}), "voidDraw"
    )
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    no_reason = payload(
        await gql(VOID, as_user="admin", input={"taskId": TASK, "reason": " "}), "voidDraw"
    )
    assert no_reason["errors"] == [
        {"code": "REASON_REQUIRED", "field": "reason", "message": "voiding a draw needs a reason"}
    ]
    voided = payload(
        await gql(VOID, as_user="admin", input={"taskId": TASK, "reason": "抽取参数有误"}),
        "voidDraw",
    )
    assert voided["errors"] == []
    assert (voided["draw"]["status"], voided["draw"]["voidedFrom"]) == ("VOIDED", "EXECUTED")
    assert await pool.fetchval("SELECT count(*) FROM inspections") == 0
    second = await commit(gql)
    assert second["errors"] == [] and second["draw"]["number"] == 2
    listed = (await gql(DRAWS, t=TASK))["data"]["draws"]["nodes"]
    assert listed == [
        {"number": 1, "status": "VOIDED", "voidReason": "抽取参数有误", "voidedFrom": "EXECUTED"},
        {"number": 2, "status": "COMMITTED", "voidReason": None, "voidedFrom": None},
    ]
    # The voided draw's transcript stays public and verifiable.
    assert tr.verify_bytes(await transcript_of(gql, number=1)).ok
    assert await pool.fetchval("SELECT count(*) FROM draw_seeds") == 2


async def test_concurrent_execute_gives_one_draw(gql: GQL, scene: People, app: Starlette) -> None:
    assert (await commit(gql))["errors"] == []
    results = await asyncio.gather(execute(gql), execute(gql, user="admin"))
    codes = [r["errors"][0]["code"] if r["errors"] else "OK" for r in results]
    assert codes.count("OK") == 1, codes
    (error,) = (c for c in codes if c != "OK")
    assert error in ("INVALID_TRANSITION", "CONCURRENT_MODIFICATION")
    pool = app.state.pool
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_type = 'DrawExecuted'") == 1
    assert await pool.fetchval("SELECT count(*) FROM inspections") == 5


async def test_cap_refused_at_commit_and_nothing_written(
    gql: GQL, scene: People, app: Starlette
) -> None:
    # 2 of the 6 subjects of stratum D is 33%: above the general item's 10% cap.
    await publish_task(
        app.state.runner,
        app.state.regions,
        "T2026-CAP",
        item=CAPPED,
        strata=[tk.StratumSpec(id="A", ratio_percent=Decimal(10)), tk.StratumSpec(id="D", count=2)],
    )
    r = await commit(gql, task="T2026-CAP")
    assert r["draw"] is None
    (error,) = r["errors"]
    assert (error["code"], error["field"]) == ("RATIO_CAP_EXCEEDED", "taskId")
    assert CAPPED in error["message"] and "10%" in error["message"] and "2 of 6" in error["message"]
    pool = app.state.pool
    for table in ("draws", "draw_blobs", "draw_seeds"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_unmatched_subject_is_recorded_with_the_reason(
    gql: GQL, scene: People, app: Starlette
) -> None:
    # Every officer declared a conflict (回避) with subject 0, and the whole stratum A is drawn.
    conflicted = uscc_key(0)
    for staff in OFFICERS:
        out = await inspectors.handle(
            app.state.runner,
            SEED,
            ins.DeclareConflict(staff_id=staff, subject_key=conflicted, reason="亲属"),
        )
        assert out.events
    await publish_task(
        app.state.runner,
        app.state.regions,
        "T2026-ALL",
        strata=[tk.StratumSpec(id="A", ratio_percent=Decimal(100))],
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 7, 31),
    )
    assert (await commit(gql, task="T2026-ALL"))["errors"] == []
    draw = (await execute(gql, task="T2026-ALL"))["draw"]
    assert (draw["assigned"], draw["unmatchedCount"]) == (5, 1)
    assert draw["unmatched"]["nodes"] == [
        {
            "subject": {"key": conflicted, "name": "丰台食品0号有限公司"},
            "reason": "NO_OFFICER_FROM_DEPARTMENT",
            "department": "SCJG",
            "needed": 1,
            "found": 0,
            "eligible": 4,
            "excluded": [{"code": "CONFLICT", "count": 4}],
        }
    ]
    r = await gql(INSPECTIONS, filter={"subjectKey": conflicted.lower()})
    assert r["data"]["inspections"]["nodes"] == []
    missing = payload(
        await gql(
            REPLACE,
            as_user="admin",
            input={
                "inspectionId": f"T2026-ALL/1/{conflicted}",
                "staffId": OFFICERS[0],
                "reason": "病假",
            },
        ),
        "replaceInspector",
    )
    assert (missing["errors"][0]["code"], missing["errors"][0]["field"]) == (
        "NOT_FOUND",
        "inspectionId",
    )
    assert tr.verify_bytes(await transcript_of(gql, "T2026-ALL")).ok


async def test_exclusions_and_rotation(gql: GQL, scene: People, app: Starlette) -> None:
    runner, regions = app.state.runner, app.state.regions
    everything = [
        tk.StratumSpec(id="A", ratio_percent=Decimal(100)),
        tk.StratumSpec(id="D", ratio_percent=Decimal(100)),
    ]
    await publish_task(
        runner,
        regions,
        "T-FIRST",
        strata=everything,
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 3, 31),
    )
    assert (await commit(gql, task="T-FIRST"))["errors"] == []
    assert (await execute(gql, task="T-FIRST"))["draw"]["assigned"] == 12
    # Overlapping dates: everything drawn by T-FIRST is excluded (exclude_drawn_same_period).
    await publish_task(
        runner,
        regions,
        "T-SAME",
        strata=everything,
        start=dt.date(2026, 3, 15),
        end=dt.date(2026, 4, 15),
    )
    same = (await commit(gql, task="T-SAME"))["draw"]
    assert [x["size"] for x in same["strata"]] == [0, 0]
    # Inspected within 60 days before the start for the same item: excluded.
    await publish_task(
        runner,
        regions,
        "T-RECENT",
        strata=everything,
        start=dt.date(2026, 5, 1),
        end=dt.date(2026, 5, 31),
        exclusions=tk.Exclusions(recent_inspection_days=60),
    )
    recent = (await commit(gql, task="T-RECENT"))["draw"]
    assert [x["size"] for x in recent["strata"]] == [0, 0]
    # A later task without those exclusions draws them all again, and rotates the teams (轮换).
    await publish_task(
        runner,
        regions,
        "T-LATER",
        strata=everything,
        start=dt.date(2026, 9, 1),
        end=dt.date(2026, 9, 30),
        exclusions=tk.Exclusions(exclude_drawn_same_period=False),
    )
    assert (await commit(gql, task="T-LATER"))["draw"]["strata"][0]["size"] == 6
    assert (await execute(gql, task="T-LATER"))["errors"] == []
    first = tr.loads(await transcript_of(gql, "T-FIRST"))
    later = tr.loads(await transcript_of(gql, "T-LATER"))
    before = {a.subject: set(a.officers) for a in first.assignments}
    assert later.previous_inspectors == {k: sorted(v) for k, v in before.items()}
    for a in later.assignments:
        assert not set(a.officers) & before[a.subject]
        assert set(a.officers) == set(OFFICERS) - before[a.subject]


async def test_idempotent_commit(gql: GQL, scene: People, app: Starlette) -> None:
    first = await commit(gql, idempotencyKey="commit-1")
    again = await commit(gql, idempotencyKey="commit-1")
    assert first["errors"] == [] and again == first
    assert await app.state.pool.fetchval("SELECT count(*) FROM draw_seeds") == 1


async def test_bad_inputs_are_typed(gql: GQL, scene: People) -> None:
    r = payload(
        await gql(COMMIT, as_user="scjg-admin", input={"taskId": "NOPE", "sources": SOURCES}),
        "commitDraw",
    )
    assert (r["errors"][0]["code"], r["errors"][0]["field"]) == ("NOT_FOUND", "taskId")
    r = payload(
        await gql(COMMIT, as_user="scjg-admin", input={"taskId": TASK, "sources": []}), "commitDraw"
    )
    assert (r["errors"][0]["code"], r["errors"][0]["field"]) == ("REQUIRED", "sources")
    assert (await commit(gql))["errors"] == []
    wrong = [{"name": ENTROPY[0]["name"], "text": "3.6"}, {"name": ENTROPY[1]["name"]}]
    r = payload(
        await gql(EXECUTE, as_user="scjg-admin", input={"taskId": TASK, "entropy": wrong}),
        "executeDraw",
    )
    assert {(e["code"], e["field"]) for e in r["errors"]} == {
        ("INVALID_FORMAT", "entropy[0].value"),
        ("REQUIRED", "entropy[1].value"),
    }
    r = payload(
        await gql(EXECUTE, as_user="scjg-admin", input={"taskId": TASK, "entropy": ENTROPY[:1]}),
        "executeDraw",
    )
    assert (r["errors"][0]["code"], r["errors"][0]["field"]) == ("INVALID_FORMAT", "entropy")
    r = payload(await gql(EXECUTE, input={"taskId": TASK, "entropy": ENTROPY}), "executeDraw")
    assert r["errors"][0]["code"] == "UNAUTHENTICATED"
    r = payload(
        await gql(
            REPLACE,
            as_user="admin",
            input={"inspectionId": "garbage", "staffId": "x", "reason": "病假"},
        ),
        "replaceInspector",
    )
    assert (r["errors"][0]["code"], r["errors"][0]["field"]) == ("INVALID_ID", "inspectionId")


# Replacement: deterministic, the same on two databases with the same inputs.
async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        yield c


async def _draw_and_replace(app: Starlette) -> tuple[bytes, dict[str, Any]]:
    """Seed, commit, execute, replace the lead of the first inspection; return the transcript
    and the replaceInspector payload."""
    await seed_people(app.state.runner)
    await seed_registry(app.state.runner, app.state.regions)
    await publish_task(app.state.runner, app.state.regions)
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": f"Bearer {mint('scjg-admin', TOKENS)}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:

        async def gql(query: str, **variables: Any) -> dict[str, Any]:
            r = await c.post("/graphql", json={"query": query, "variables": variables})
            body: dict[str, Any] = r.json()
            assert "errors" not in body, body
            return body["data"]

        assert (await gql(COMMIT, input={"taskId": TASK, "sources": SOURCES}))["commitDraw"][
            "errors"
        ] == []
        assert (await gql(EXECUTE, input={"taskId": TASK, "entropy": ENTROPY}))["executeDraw"][
            "errors"
        ] == []
        first = (await gql(INSPECTIONS, filter={"taskId": TASK}, first=1))["inspections"]["nodes"][
            0
        ]
        replaced = (
            await gql(
                REPLACE,
                input={"inspectionId": first["id"], "staffId": first["lead"], "reason": "病假"},
            )
        )["replaceInspector"]
    headers = {"authorization": f"Bearer {mint('admin', TOKENS)}"}  # the full one: SYSTEM_ADMIN
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        r = await c.post("/graphql", json={"query": TRANSCRIPT, "variables": {"t": TASK, "n": 1}})
        text = r.json()["data"]["drawTranscript"]
    return str(text).encode(), replaced


async def test_replacement_is_deterministic(
    cluster: Cluster, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draws, "new_seed", lambda: SEED_BYTES)
    other = await fresh_database(cluster)
    results = []
    try:
        for url in (db.app_url, cluster.app(other)):
            application = create_app(url, tokens=TOKENS)
            async with application.router.lifespan_context(application):
                results.append(await _draw_and_replace(application))
    finally:
        await drop_database(cluster, other)
    (t1, r1), (t2, r2) = results
    assert r1["errors"] == [] and r1 == r2
    inspection = r1["inspection"]
    a, b = tr.loads(t1), tr.loads(t2)
    assert (a.selection, a.assignments, a.replacements) == (
        b.selection,
        b.assignments,
        b.replacements,
    )
    (record,) = a.replacements
    assert record.replacement is not None and record.reason == "病假"
    assert inspection["lead"] == record.replacement  # the replacement takes the lead's role
    assert record.replaced not in inspection["officers"]
    # Anyone recomputes the same replacement from the transcript before it.
    before = msgspec.structs.replace(a, replacements=[])
    redo = tr.replace_inspector(before, record.subject, record.replaced, record.reason)
    assert redo.replacements == a.replacements
    assert tr.verify(a).ok


async def test_replace_through_the_api(gql: GQL, scene: People, app: Starlette) -> None:
    assert (await commit(gql))["errors"] == []
    assert (await execute(gql))["errors"] == []
    node = (await gql(INSPECTIONS, as_user="scjg-admin", filter={"taskId": TASK}, first=1))["data"][
        "inspections"
    ]["nodes"][0]
    officer = node["officers"][1]
    inp = {"inspectionId": node["key"], "staffId": officer, "reason": "回避：发现亲属关系"}
    r = payload(await gql(REPLACE, as_user="sthj-admin", input=inp), "replaceInspector")
    assert r["errors"][0]["code"] == "FORBIDDEN"
    r = payload(
        await gql(REPLACE, as_user="scjg-admin", input=inp | {"staffId": "NOBODY"}),
        "replaceInspector",
    )
    assert (r["errors"][0]["code"], r["errors"][0]["field"]) == ("NOT_FOUND", "staffId")
    r = payload(await gql(REPLACE, as_user="scjg-admin", input=inp), "replaceInspector")
    assert r["errors"] == []
    new = r["inspection"]["officers"]
    assert officer not in new and new[0] == node["lead"] and len(new) == 2
    draw = (await gql(ONE_DRAW, as_user="scjg-admin", t=TASK, n=1))["data"]["draw"]
    (rep,) = draw["replacements"]["nodes"]
    assert (rep["replaced"], rep["counter"], rep["replacement"]) == (officer, 1, new[1])
    content = await transcript_of(gql)
    assert draw["transcriptDigest"] == draws.digest_of(content)
    # The download's description follows the transcript as it stands, replacement appended.
    assert draw["transcript"] == {
        "digest": draw["transcriptDigest"],
        "size": len(content),
        "download": f"/draws/{TASK}/1/transcript.json",
    }
    assert tr.verify_bytes(content).ok
    assert (await gql(VERIFY, t=TASK, n=1))["data"]["verifyDraw"]["ok"] is True


async def test_read_tables_rebuild_from_the_ledger(
    gql: GQL, scene: People, app: Starlette, owner_conn: asyncpg.Connection
) -> None:
    assert (await commit(gql))["errors"] == []
    assert (await execute(gql))["errors"] == []
    node = (await gql(INSPECTIONS, as_user="admin", filter={"taskId": TASK}, first=1))["data"][
        "inspections"
    ]["nodes"][0]
    inp = {"inspectionId": node["key"], "staffId": node["lead"], "reason": "病假"}
    assert (
        payload(await gql(REPLACE, as_user="admin", input=inp), "replaceInspector")["errors"] == []
    )
    assert (
        payload(
            await gql(VOID, as_user="admin", input={"taskId": TASK, "reason": "重抽"}), "voidDraw"
        )["errors"]
        == []
    )
    assert (await commit(gql))["errors"] == []
    assert (await execute(gql))["errors"] == []
    pool = app.state.pool
    while (await ledger_status(pool)).unsealed_count:
        app.state.sealer.wake()
        await asyncio.sleep(0.05)
    for projection in (StateTableProjection(d.SPEC, "draws"), InspectionsProjection()):
        await replay_into_schema(owner_conn, projection, "rebuild_draws")
        assert await differences(owner_conn, projection, "rebuild_draws") == 0
    assert await owner_conn.fetchval("SELECT count(*) FROM rebuild_draws.inspections") == 5
