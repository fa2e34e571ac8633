"""信用风险分类联动 through GraphQL: a published code-6 result proposes a class change; the
maintaining department confirms it (the subject's class changes, with the reason on its
history) or rejects it with a reason (the class stays)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import credit_risk as cr
from spotcheck.domain import inspection as ins
from spotcheck.domain import subject as s
from spotcheck.domain import task as tk
from spotcheck.services import draws as dr_services
from spotcheck.services import subjects
from tests.api import publishing as pub
from tests.api import test_draws as dr
from tests.api.conftest import GQL, SEED, People, seed_people

pytestmark = pytest.mark.calendar  # cases open relative to today

PROPOSALS = """
query($filter: RiskClassProposalFilter) { riskClassProposals(filter: $filter) {
  nodes { id key subjectKey maintainingDepartment fromClass toClass rule status decidedBy
          decidedAt reason proposedOn basis { item trigger steps }
          subject { key riskClass } inspection { key } } } }"""
FIELDS = "key status fromClass toClass decidedBy decidedAt reason subject { riskClass }"
CONFIRM = (
    "mutation($input: ConfirmRiskClassChangeInput!) { r: confirmRiskClassChange(input: $input) "
    f"{{ proposal {{ {FIELDS} }} errors {{ code field message }} }} }}"
)
REJECT = (
    "mutation($input: RejectRiskClassChangeInput!) { r: rejectRiskClassChange(input: $input) "
    f"{{ proposal {{ {FIELDS} }} errors {{ code field message }} }} }}"
)
SUBJECT = "query($key: String!) { subject(key: $key) { riskClass } }"
HISTORY = """query($id: ID!) { history(id: $id, first: 50) {
  nodes { eventType data metadata } } }"""


async def set_class(app: Starlette, n: int, risk: s.RiskClass) -> None:
    command = s.UpdateSubject(key=pub.uscc(n), reason="初始分类", risk_class=risk)
    assert (await subjects.handle(app.state.runner, SEED, command, app.state.regions)).events


@pytest.fixture
async def scene(app: Starlette, people: People) -> People:
    await pub.seed_publishing(app)
    for n in range(3):
        await set_class(app, n, s.RiskClass.A)
    return people


async def proposals(gql: GQL, user: str | None = "admin", **f: Any) -> list[dict[str, Any]]:
    r = await gql(PROPOSALS, as_user=user, filter=f or None)
    assert "errors" not in r, r
    nodes: list[dict[str, Any]] = r["data"]["riskClassProposals"]["nodes"]
    return nodes


async def decision(gql: GQL, query: str, user: str | None, **input: Any) -> dict[str, Any]:
    r = await gql(query, as_user=user, input=input)
    assert "errors" not in r, r
    payload: dict[str, Any] = r["data"]["r"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def risk_class(gql: GQL, n: int) -> str | None:
    r = await gql(SUBJECT, as_user="admin", key=pub.uscc(n))
    value: str | None = r["data"]["subject"]["riskClass"]
    return value


async def test_code_6_proposal_confirmed_changes_the_class(
    app: Starlette, gql: GQL, scene: People
) -> None:
    await pub.published_case(gql, "CR-0", pub.uscc(1), pub.result("R1"))
    key = await pub.published_case(gql, "CR-1", pub.uscc(0), pub.result("R6"))
    (p,) = await proposals(gql)
    assert (p["key"], p["subjectKey"], p["fromClass"], p["toClass"], p["status"]) == (
        key,
        pub.uscc(0),
        "A",
        "B",
        "PROPOSED",
    )
    assert p["basis"] == [{"item": pub.ITEM, "trigger": "6", "steps": 1}]
    assert (p["maintainingDepartment"], p["inspection"]["key"]) == ("SCJG", key)
    assert p["proposedOn"] == pub.today().isoformat()
    assert await proposals(gql, None) == []  # staff only

    refused = {
        None: "UNAUTHENTICATED",
        "sthj-admin": "NOT_MAINTAINING_DEPARTMENT",
        "inspector": "FORBIDDEN",
        "auditor": "FORBIDDEN",
    }
    for user, code in refused.items():
        payload = await decision(gql, CONFIRM, user, inspectionId=key)
        assert (payload["proposal"], codes(payload)[0][0]) == (None, code), user
    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId="CASE/SCJG/NOPE")
    assert codes(payload) == [("NOT_FOUND", "inspectionId")]
    assert await risk_class(gql, 0) == "A"

    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId=key, note="两次实地核查")
    assert payload["errors"] == []
    got = payload["proposal"]
    assert (got["status"], got["decidedBy"], got["reason"], got["subject"]) == (
        "CONFIRMED",
        "scjg-admin",
        "两次实地核查",
        {"riskClass": "B"},
    )
    assert got["decidedAt"] is not None
    assert await risk_class(gql, 0) == "B"
    payload = await decision(gql, REJECT, "admin", inspectionId=key, reason="重复")
    assert codes(payload) == [("INVALID_TRANSITION", "inspectionId")]

    # The change is the subject's own SubjectChanged, citing the proposal, reason on its history.
    await pub.sealed(app)
    r = await gql(HISTORY, as_user="auditor", id=f"subject-{pub.uscc(0)}")
    assert "errors" not in r, r
    changed = [n for n in r["data"]["history"]["nodes"] if n["eventType"] == "SubjectChanged"]
    last = changed[-1]
    assert last["data"]["changes"] == {"riskClass": {"old": "A", "new": "B"}}
    assert last["data"]["proposal"] == key
    assert key in last["data"]["reason"] and "两次实地核查" in last["data"]["reason"]
    assert last["metadata"]["actor"] == "scjg-admin"


async def test_rejected_with_a_reason_leaves_the_class(gql: GQL, scene: People) -> None:
    key = await pub.published_case(gql, "CR-2", pub.uscc(2), pub.result("R6"))
    payload = await decision(gql, REJECT, "scjg-admin", inspectionId=key, reason=" ")
    assert codes(payload) == [("REASON_REQUIRED", "reason")]
    payload = await decision(gql, REJECT, "scjg-admin", inspectionId=key, reason="住所已核实")
    assert payload["errors"] == []
    assert (payload["proposal"]["status"], payload["proposal"]["reason"]) == (
        "REJECTED",
        "住所已核实",
    )
    assert await risk_class(gql, 2) == "A"
    assert [x["key"] for x in await proposals(gql, status="REJECTED")] == [key]
    assert await proposals(gql, status="PROPOSED") == []


async def test_a_confirmed_change_moves_the_subject_at_the_next_commit(
    app: Starlette, gql: GQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strata A (50%) and D (2) over twelve subjects, A and D alternately.  With the rule
    ``6=3`` a code 6 on an A subject proposes D; confirmed, the next commit of the same task
    (after voiding the first) has it in stratum D."""
    monkeypatch.setenv(cr.RULE_SETTING, "6=3")
    await seed_people(app.state.runner)
    await dr.seed_registry(app.state.runner, app.state.regions)
    await dr.publish_task(app.state.runner, app.state.regions)
    first = await dr.commit(gql)
    assert [(x["id"], x["size"]) for x in first["draw"]["strata"]] == [("A", 6), ("D", 6)]

    await pub.seed_publishing(app, subject_count=0)
    moved = dr.uscc_key(0)
    key = await pub.seeded_case(app, "CR-DRAW", moved, [pub.item_result(ins.ResultCode.R6)])
    (p,) = await proposals(gql)
    assert (p["fromClass"], p["toClass"], p["rule"]) == ("A", "D", "6=3")
    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId=key)
    assert payload["errors"] == [] and payload["proposal"]["subject"] == {"riskClass": "D"}

    voided = await gql(dr.VOID, as_user="admin", input={"taskId": dr.TASK, "reason": "重抽"})
    assert voided["data"]["voidDraw"]["errors"] == []
    second = await dr.commit(gql)
    assert second["errors"] == []
    assert [(x["id"], x["size"]) for x in second["draw"]["strata"]] == [("A", 5), ("D", 7)]
    # The population frozen at the second commit has the subject in D.
    sql, args = dr_services.population_query(await task_state(app))
    rows = await app.state.pool.fetch(sql, *args)
    strata = {r["stratum"]: r["keys"].split("\n") for r in rows}
    assert moved in strata["D"] and moved not in strata["A"]


async def task_state(app: Starlette) -> tk.Task:
    state = await app.state.pool.fetchval("SELECT state FROM tasks WHERE id = $1", dr.TASK)
    task: tk.Task = tk.SPEC.state_from_data(state)
    return task
