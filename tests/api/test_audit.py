"""审计 auditLog, history and asOf: roles, every filter, hashes, paging, time travel."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import draw as dr
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.services import draws, subjects
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, SEED, People
from tests.api.test_rebuild import sealed

TAG = "A1"
TASK = reg.draw_task_id(TAG, "replaceInspector")
DRAWN = reg.draw_subject_key(TAG, "replaceInspector")
SUBJECT = reg.uscc(777)
SCJG_ADMIN = Caller(
    actor=Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
)

ENTRY = """position eventId streamId streamVersion eventType schemaVersion data metadata
  recordedAt sealedAt contentHash chainHash"""
LOG = f"""query($filter: AuditLogFilter, $first: Int, $after: String) {{
  auditLog(filter: $filter, first: $first, after: $after) {{
    nodes {{ {ENTRY} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
HISTORY = f"""query($id: ID!, $first: Int, $after: String) {{
  history(id: $id, first: $first, after: $after) {{
    nodes {{ {ENTRY} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
AS_OF = """query($id: ID!, $position: SafeInt!) {
  asOf(id: $id, position: $position) { streamId aggregate state version position recordedAt } }"""


def global_id(type_name: str, key: str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@dataclass
class World:
    people: People
    app: Starlette


@pytest.fixture
async def world(app: Starlette, people: People) -> World:
    """The matrix records of one tag, an executed draw with a replaced inspector, and an
    enterprise registered by SYSTEM and corrected twice by SCJG's admin."""
    runner = app.state.runner
    await reg.seed_matrix(app, [TAG])
    await reg.seed_draws(app, "replaceInspector", [TAG])
    out = await draws.replace(
        runner,
        SEED,
        dr.ReplaceInspector(
            task_id=TASK, number=1, subject=DRAWN, staff_id=reg.DRAW_OFFICERS[1], reason="生病"
        ),
    )
    assert out.events
    register = s.RegisterSubject(
        kind=SubjectKind.ENTERPRISE,
        uscc=SUBJECT,
        name="丰台甲公司",
        region="fangzhuang",
        legal_representative="王一",
        maintaining_department="SCJG",
    )
    assert (await subjects.handle(runner, SEED, register, app.state.regions)).events
    for name in ("丰台乙公司", "丰台丙公司"):
        change = s.UpdateSubject(key=SUBJECT, name=name, reason="更名")
        assert (await subjects.handle(runner, SCJG_ADMIN, change, app.state.regions)).events
    await sealed(app.state.pool)
    return World(people, app)


async def log(gql: GQL, user: str = "auditor", **flt: Any) -> list[dict[str, Any]]:
    """Every entry matching the filter, through all pages."""
    out: list[dict[str, Any]] = []
    after = None
    while True:
        r = await gql(LOG, as_user=user, filter=flt, first=100, after=after)
        assert "errors" not in r, r
        page = r["data"]["auditLog"]
        out += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def error_code(r: dict[str, Any]) -> str:
    return str(r["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize(
    ("user", "code"),
    [
        (None, "UNAUTHENTICATED"),
        ("no-account", "FORBIDDEN"),
        ("inspector", "FORBIDDEN"),
        ("scjg-admin", "FORBIDDEN"),
        ("liaison-scjg", "FORBIDDEN"),
        ("auditor", None),
        ("admin", None),
    ],
)
async def test_only_auditors_and_admins_read_the_log(
    gql: GQL, world: World, user: str | None, code: str | None
) -> None:
    stream = "subject-" + SUBJECT
    for query, variables, root in (
        (LOG, {}, "auditLog"),
        (HISTORY, {"id": stream}, "history"),
        (AS_OF, {"id": stream, "position": 10**6}, "asOf"),
    ):
        r = await gql(query, as_user=user, **variables)
        if code is None:
            assert "errors" not in r, r
            assert r["data"][root] is not None
        else:
            assert error_code(r) == code, (root, r)
            assert r["data"] == {root: None}


async def test_entries_carry_the_ledger_hashes(gql: GQL, world: World) -> None:
    entries = await log(gql)
    rows = await world.app.state.pool.fetch(
        "SELECT l.position, l.content_hash, l.chain_hash, e.event_id, e.stream_id"
        " FROM ledger l JOIN events e ON e.seq = l.seq ORDER BY l.position"
    )
    assert [e["position"] for e in entries] == [r["position"] for r in rows]
    previous = bytes(32)
    for e, r in zip(entries, rows, strict=True):
        assert e["contentHash"] == bytes(r["content_hash"]).hex()
        assert e["chainHash"] == bytes(r["chain_hash"]).hex()
        assert e["eventId"] == str(r["event_id"]) and e["streamId"] == r["stream_id"]
        chained = hashlib.sha256(previous + bytes.fromhex(e["contentHash"])).hexdigest()
        assert e["chainHash"] == chained
        previous = bytes.fromhex(e["chainHash"])
    first = entries[0]
    assert isinstance(first["data"], dict) and first["metadata"]["actor"] == "system"
    assert first["recordedAt"] <= first["sealedAt"]


async def test_pages_follow_the_ledger(gql: GQL, world: World) -> None:
    everything = await log(gql)
    seen: list[int] = []
    after = None
    while True:
        r = await gql(LOG, as_user="admin", first=7, after=after)
        page = r["data"]["auditLog"]
        seen += [n["position"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [e["position"] for e in everything] == sorted(seen)


async def test_stream_prefix_event_type_actor_and_department(gql: GQL, world: World) -> None:
    stream = "subject-" + SUBJECT
    own = await log(gql, stream=stream)
    assert [e["eventType"] for e in own] == [
        "SubjectRegistered",
        "SubjectChanged",
        "SubjectChanged",
    ]
    assert [e["streamVersion"] for e in own] == [1, 2, 3]
    subjects_all = await log(gql, streamPrefix="subject-")
    assert {e["streamId"] for e in subjects_all} >= {stream, "subject-" + DRAWN}
    assert all(e["streamId"].startswith("subject-") for e in subjects_all)
    changed = await log(gql, eventType="SubjectChanged")
    assert [e["position"] for e in changed] == [e["position"] for e in own[1:]]
    by_admin = await log(gql, actor="scjg-admin")
    assert [e["position"] for e in by_admin] == [e["position"] for e in own[1:]]
    assert await log(gql, department="SCJG", actor="scjg-admin") == by_admin
    assert await log(gql, department="STHJ", actor="scjg-admin") == []


async def test_subject_filter(gql: GQL, world: World) -> None:
    drawn = await log(gql, subject=DRAWN)
    kinds = {(e["streamId"], e["eventType"]) for e in drawn}
    # its own stream, the draw that selected it, the replacement on its inspection
    assert ("subject-" + DRAWN, "SubjectRegistered") in kinds
    assert ("draw-" + TASK, "DrawExecuted") in kinds
    assert ("draw-" + TASK, "InspectorReplaced") in kinds
    # not the commit (a population holds it, it names no subject), not the task
    assert ("draw-" + TASK, "DrawCommitted") not in kinds
    assert not any(e["streamId"].startswith("task-") for e in drawn)
    # a conflict of interest declared for a subject is an event of the inspector's stream
    conflicted = await log(gql, subject=reg.conflict_subject_key(TAG))
    declared = [e for e in conflicted if e["streamId"].startswith("inspector-")]
    assert {e["streamId"] for e in declared} == {
        "inspector-" + reg.SELF_INSPECTOR,
        "inspector-" + reg.staff_id(TAG),
    }
    assert all(e["data"]["subject_key"] == reg.conflict_subject_key(TAG) for e in declared)
    assert await log(gql, subject="PRODUCT:SCJG:NOBODY") == []


async def test_task_and_inspector_filters(gql: GQL, world: World) -> None:
    of_task = await log(gql, task=TASK)
    assert {e["streamId"] for e in of_task} == {"task-" + TASK, "draw-" + TASK}
    assert [e["eventType"] for e in of_task if e["streamId"] == "draw-" + TASK] == [
        "DrawCommitted",
        "DrawExecuted",
        "InspectorReplaced",
    ]
    officer = reg.DRAW_OFFICERS[1]
    named = await log(gql, inspector=officer)
    kinds = [(e["streamId"], e["eventType"]) for e in named]
    assert kinds[0] == ("inspector-" + officer, "InspectorRegistered")
    assert ("draw-" + TASK, "DrawExecuted") in kinds  # the outcome assigned them
    assert ("draw-" + TASK, "InspectorReplaced") in kinds  # names them as the one replaced
    assert ("draw-" + TASK, "DrawCommitted") not in kinds
    lone = await log(gql, inspector=reg.staff_id(TAG))
    assert {e["streamId"] for e in lone} == {"inspector-" + reg.staff_id(TAG)}


async def test_time_and_position_ranges(gql: GQL, world: World) -> None:
    everything = await log(gql)
    middle = everything[len(everything) // 2]
    from_mid = await log(gql, fromPosition=middle["position"])
    assert from_mid == everything[len(everything) // 2 :]
    window = await log(gql, fromPosition=3, toPosition=5)
    assert [e["position"] for e in window] == [3, 4, 5]
    last = everything[-1]
    assert await log(gql, recordedFrom=last["recordedAt"]) == [
        e for e in everything if e["recordedAt"] >= last["recordedAt"]
    ]
    assert await log(gql, sealedBefore=everything[0]["sealedAt"]) == []
    assert await log(gql, sealedFrom=everything[0]["sealedAt"]) == everything


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"filter": {"fromPosition": 5, "toPosition": 4}}, "OUT_OF_RANGE", "filter.toPosition"),
        ({"filter": {"fromPosition": 0}}, "OUT_OF_RANGE", "filter.fromPosition"),
        ({"filter": {"stream": " "}}, "OUT_OF_RANGE", "filter.stream"),
        (
            {
                "filter": {
                    "recordedFrom": "2026-11-26T00:00:00Z",
                    "recordedBefore": "2026-11-25T00:00:00Z",
                }
            },
            "INVALID_DATE_RANGE",
            "filter.recordedBefore",
        ),
        ({"first": 101}, "OUT_OF_RANGE", "first"),
        ({"after": "bm90LWEtY3Vyc29y"}, "INVALID_FORMAT", "after"),
    ],
)
async def test_bad_arguments_are_typed_errors(
    gql: GQL, people: People, variables: dict[str, Any], code: str, field: str
) -> None:
    r = await gql(LOG, as_user="auditor", **variables)
    assert r["errors"][0]["extensions"] == {"code": code, "field": field}


async def test_history_by_global_id_or_stream(gql: GQL, world: World) -> None:
    stream = "subject-" + SUBJECT
    by_stream = await gql(HISTORY, as_user="auditor", id=stream)
    by_node = await gql(HISTORY, as_user="auditor", id=global_id("Subject", SUBJECT))
    assert by_stream == by_node
    nodes = by_stream["data"]["history"]["nodes"]
    assert [n["streamVersion"] for n in nodes] == [1, 2, 3]
    assert nodes == await log(gql, stream=stream)
    # a Draw node names the draws of its task: the task's draw stream
    draw = await gql(HISTORY, as_user="admin", id=global_id("Draw", f"{TASK}/1"))
    assert {n["streamId"] for n in draw["data"]["history"]["nodes"]} == {"draw-" + TASK}
    page = await gql(HISTORY, as_user="auditor", id=stream, first=2)
    assert page["data"]["history"]["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        HISTORY,
        as_user="auditor",
        id=stream,
        after=page["data"]["history"]["pageInfo"]["endCursor"],
    )
    assert [n["streamVersion"] for n in rest["data"]["history"]["nodes"]] == [3]
    for bad in ("nothing-like-a-stream", global_id("PageInfo", "x")):
        r = await gql(HISTORY, as_user="auditor", id=bad)
        assert r["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": "id"}


async def test_as_of_gives_the_state_at_each_position(gql: GQL, world: World) -> None:
    stream = "subject-" + SUBJECT
    own = await log(gql, stream=stream)
    positions = [e["position"] for e in own]
    names = ["丰台甲公司", "丰台乙公司", "丰台丙公司"]
    for position, name, version in zip(positions, names, [1, 2, 3], strict=True):
        for p in (position, position + 1 if position + 1 not in positions else position):
            r = await gql(AS_OF, as_user="auditor", id=global_id("Subject", SUBJECT), position=p)
            got = r["data"]["asOf"]
            assert got["state"]["name"] == name
            assert (got["version"], got["position"]) == (version, position)
            assert got["aggregate"] == "subject" and got["streamId"] == stream
    before = await gql(AS_OF, as_user="admin", id=stream, position=positions[0] - 1)
    assert before["data"]["asOf"] == {
        "streamId": stream,
        "aggregate": "subject",
        "state": None,
        "version": 0,
        "position": None,
        "recordedAt": None,
    }
    # the live read table holds the last state, which asOf the head gives too
    live = await world.app.state.pool.fetchval("SELECT state FROM subjects WHERE id = $1", SUBJECT)
    head = await gql(AS_OF, as_user="admin", id=stream, position=positions[-1])
    assert head["data"]["asOf"]["state"] == live
    # a draw's state as of before the replacement: its team is the drawn one
    draw_log = await log(gql, stream="draw-" + TASK)
    executed = next(e for e in draw_log if e["eventType"] == "DrawExecuted")
    r = await gql(AS_OF, as_user="auditor", id="draw-" + TASK, position=executed["position"])
    state = r["data"]["asOf"]["state"]
    assert r["data"]["asOf"]["version"] == 2 and state["draws"][0]["replacements"] == []
