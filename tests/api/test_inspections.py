"""The inspection lifecycle (检查) through GraphQL: from an executed draw to published results,
a return and resubmission, an amendment shown as an amendment, the role rules (the assigned
inspector, another inspector, the admins), a special task's origin and a case inspection."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.auth.tokens import mint
from spotcheck.domain import account as a
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain.actor import Role
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from spotcheck.projections.inspections import InspectionLifecycleProjection, InspectionsProjection
from spotcheck.projections.rebuilder import differences, replay_into_schema
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.services import accounts, inspectors
from tests.api import test_draws as td
from tests.api import test_evidence as evidence_tests
from tests.api.conftest import GQL, SEED, TOKENS, seed_people
from tests.clock import DbClock

DAY = dt.date(2026, 11, 26)
"""Today in these scenarios (after the task's May dates and the July re-check they script)."""

PDF = evidence_tests.PDF  # a real one: uploads are read whole by a parser
RECORD = """
id key origin status taskId drawNumber subjectKey items departments startDate endDate
scheduledOn inspectedOn submittedBy returnReasons approvedOn approvedBy publishedOn
case { source reference reason assignedBy }
team { staffId role }
subject { key name }
task { taskId kind }
results { item code codeDescription findings checkPoints { point mark note }
          followUp { kind correctBy rechecked corrected: corrected transferStatus }
          evidence { sha256 description delegatedBody } }
amendments { number item reason amendedBy amendedOn before { code } after { code } }
""".replace("rechecked corrected: corrected", "recheckedOn corrected")
ONE = f"query($k: String!) {{ inspectionRecord(key: $k) {{ {RECORD} }} }}"
LIST = """query($f: InspectionRecordFilter) {
  inspectionRecords(filter: $f) { nodes { key origin status } } }"""


def mutation(name: str) -> str:
    return td.mutation(name, "inspection", RECORD)


def payload(r: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in r, r
    out: dict[str, Any] = r["data"][name]
    return out


def codes(p: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in p["errors"]]


def today() -> dt.date:
    return DAY


@pytest.fixture(autouse=True)
def on_the_day(db_clock: DbClock) -> None:
    """The scenarios' dates are fixed: the database's today is ``DAY`` (10:00 Beijing)."""
    db_clock.travel_to_day(DAY, hour=10)


@pytest.fixture
def storage(app: Starlette, tmp_path: Path) -> FilesystemEvidenceStorage:
    store = FilesystemEvidenceStorage(tmp_path / "evidence")
    app.state.evidence = store
    return store


@pytest.fixture
async def drawn(app: Starlette, gql: GQL) -> dict[str, Any]:
    """An executed draw of td.TASK (2026-05-06 – 05-29); its first inspection's lead officer
    is linked to the ``inspector`` account; ``other-inspector`` is linked to an SCJG officer
    outside that team."""
    await seed_people(app.state.runner)
    await td.seed_registry(app.state.runner, app.state.regions)
    await td.publish_task(app.state.runner, app.state.regions)
    assert (await td.commit(gql))["errors"] == []
    assert (await td.execute(gql))["errors"] == []
    rows = await app.state.pool.fetch(
        "SELECT id, officers FROM inspections WHERE task_id = $1 ORDER BY id", td.TASK
    )
    key, team = rows[0]["id"], list(rows[0]["officers"])
    outsider = next(o for o in td.OFFICERS if o not in team)
    runner = app.state.runner
    await accounts.handle(
        runner,
        SEED,
        a.CreateAccount(
            user_id="other-inspector",
            display_name="其他检查员",
            department="SCJG",
            roles=[Role.INSPECTOR],
        ),
    )
    for staff, user in ((team[0], "inspector"), (outsider, "other-inspector")):
        out = await inspectors.handle(
            runner, SEED, ins.UpdateInspector(staff_id=staff, user_id=user, reason="绑定账号")
        )
        assert out.events
    return {"key": key, "team": team, "item": td.FOOD}


def result(item: str, code: str = "R1", **extra: Any) -> dict[str, Any]:
    return {
        "item": item,
        "checkPoints": [{"point": "1", "mark": "DONE"}],
        "code": code,
        "findings": "" if code == "R1" else "未公示许可证",
        "followUp": {"kind": "NONE"},
    } | extra


async def run(gql: GQL, name: str, user: str, **input: Any) -> dict[str, Any]:
    return payload(await gql(mutation(name), as_user=user, input=input), name)


async def upload(app: Starlette, user: str = "inspector") -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        r = await c.post(
            "/evidence",
            content=PDF,
            headers={
                "authorization": f"Bearer {mint(user, TOKENS)}",
                "content-type": "application/pdf",
            },
        )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["sha256"])


async def test_lifecycle_from_draw_to_publication(
    gql: GQL, app: Starlette, drawn: dict[str, Any], storage: FilesystemEvidenceStorage
) -> None:
    key, item = drawn["key"], drawn["item"]
    # Before any command: the drawn inspection, ASSIGNED, read from the draw's row.
    rec = (await gql(ONE, as_user="sthj-admin", k=key))["data"]["inspectionRecord"]
    assert (rec["status"], rec["origin"], rec["taskId"]) == ("ASSIGNED", "RANDOM", td.TASK)
    assert [m["staffId"] for m in rec["team"]][:2] == drawn["team"][:2]
    assert (await gql(ONE, k=key))["data"]["inspectionRecord"] is None  # the public: nothing

    # 谁检查、谁录入: nobody outside the team enters results, not even the admins.
    good = {"inspectionId": key, "inspectedOn": "2026-05-20", "results": [result(item)]}
    for user in ("other-inspector", "scjg-admin", "admin"):
        p = await run(gql, "submitInspectionResults", user, **good)
        assert codes(p) == [("NOT_ASSIGNED_INSPECTOR", "inspectionId")], user

    # Every rule at once, with the field of each; nothing written.
    bad = await run(
        gql,
        "submitInspectionResults",
        "inspector",
        inspectionId=key,
        inspectedOn=(today() + dt.timedelta(days=1)).isoformat(),
        results=[
            result(
                item,
                checkPoints=[{"point": "1", "mark": "NOT_APPLICABLE"}],
                followUp={"kind": "ORDER_TO_CORRECT", "correctBy": "2026-06-30"},
                evidence=[{"sha256": "0" * 64, "description": "照片"}],
            )
        ],
    )
    assert set(codes(bad)) == {
        ("OUT_OF_RANGE", "inspectedOn"),
        ("REQUIRED", "results.0.checkPoints.0.note"),
        ("INVALID_FORMAT", "results.0.followUp.kind"),
        ("NOT_FOUND", "results.0.evidence.0.sha256"),
        ("INVALID_DATE_RANGE", "results.0.followUp.correctBy"),  # before the inspection
    }
    early = await run(
        gql, "submitInspectionResults", "inspector", **good | {"inspectedOn": "2026-05-01"}
    )
    assert codes(early) == [("OUT_OF_RANGE", "inspectedOn")]
    assert (await gql(ONE, as_user="admin", k=key))["data"]["inspectionRecord"][
        "status"
    ] == "ASSIGNED"

    # The assigned inspector enters them, with uploaded evidence.
    digest = await upload(app)
    problem = result(
        item,
        "A",
        followUp={"kind": "ORDER_TO_CORRECT", "correctBy": "2026-06-30"},
        evidence=[{"sha256": digest.upper(), "description": "现场照片"}],
    )
    p = await run(gql, "submitInspectionResults", "inspector", **good | {"results": [problem]})
    assert p["errors"] == []
    rec = p["inspection"]
    assert (rec["status"], rec["inspectedOn"], rec["submittedBy"]) == (
        "RESULTS_SUBMITTED",
        "2026-05-20",
        drawn["team"][0],
    )
    assert rec["results"][0]["evidence"] == [
        {"sha256": digest, "description": "现场照片", "delegatedBody": None}
    ]
    # Unpublished results: the participating department (SCJG) sees them, STHJ does not.
    other = (await gql(ONE, as_user="sthj-admin", k=key))["data"]["inspectionRecord"]
    assert (other["status"], other["results"]) == ("RESULTS_SUBMITTED", [])
    own = (await gql(ONE, as_user="other-inspector", k=key))["data"]["inspectionRecord"]
    assert own["results"][0]["code"] == "A"

    # Review: the lead department's admin only (谁公开).
    for user in ("inspector", "sthj-admin", "auditor"):
        p = await run(gql, "approveInspectionResults", user, inspectionId=key)
        assert codes(p) == [("NOT_LEAD_DEPARTMENT", "inspectionId")], user
    p = await run(gql, "returnInspectionResults", "scjg-admin", inspectionId=key, reason=" ")
    assert codes(p) == [("REASON_REQUIRED", "reason")]
    p = await run(gql, "returnInspectionResults", "scjg-admin", inspectionId=key, reason="照片不清")
    assert (p["inspection"]["status"], p["inspection"]["returnReasons"]) == (
        "RETURNED",
        ["照片不清"],
    )
    p = await run(gql, "approveInspectionResults", "scjg-admin", inspectionId=key)
    assert codes(p) == [("INVALID_TRANSITION", "inspectionId")]

    # Resubmitted (the whole set is replaced), approved, published.
    p = await run(gql, "submitInspectionResults", "inspector", **good | {"results": [problem]})
    assert p["inspection"]["status"] == "RESULTS_SUBMITTED"
    p = await run(gql, "approveInspectionResults", "scjg-admin", inspectionId=key)
    assert (p["inspection"]["status"], p["inspection"]["approvedOn"]) == (
        "APPROVED",
        today().isoformat(),
    )
    assert p["inspection"]["approvedBy"] == "scjg-admin"
    p = await run(gql, "submitInspectionResults", "inspector", **good)
    assert codes(p) == [("INVALID_TRANSITION", "inspectionId")]  # no overwrite after approval
    p = await run(gql, "publishInspectionResults", "scjg-admin", inspectionId=key)
    assert (p["inspection"]["status"], p["inspection"]["publishedOn"]) == (
        "PUBLISHED",
        today().isoformat(),
    )
    # Published results: every staff member sees them (结果互认).
    other = (await gql(ONE, as_user="sthj-admin", k=key))["data"]["inspectionRecord"]
    assert [r["code"] for r in other["results"]] == ["A"]

    # A correction after publication is an amendment (before and after), never an overwrite.
    corrected = result(item, "E", findings="已责令改正并改正", followUp={"kind": "NONE"})
    p = await run(
        gql, "amendInspectionResult", "scjg-admin", inspectionId=key, result=corrected, reason=""
    )
    assert codes(p) == [("REASON_REQUIRED", "reason")]
    p = await run(
        gql, "amendInspectionResult", "inspector", inspectionId=key, result=corrected, reason="更正"
    )
    assert codes(p) == [("NOT_LEAD_DEPARTMENT", "inspectionId")]
    p = await run(
        gql,
        "amendInspectionResult",
        "scjg-admin",
        inspectionId=key,
        result=corrected,
        reason="录入时误选代码",
    )
    rec = p["inspection"]
    assert rec["status"] == "PUBLISHED"
    assert [r["code"] for r in rec["results"]] == ["E"]
    assert rec["amendments"] == [
        {
            "number": 1,
            "item": item,
            "reason": "录入时误选代码",
            "amendedBy": "scjg-admin",
            "amendedOn": today().isoformat(),
            "before": {"code": "A"},
            "after": {"code": "E"},
        }
    ]
    # The public record carries the amendment too; the read table is in step.
    state = await app.state.pool.fetchval("SELECT state FROM inspection_records WHERE id = $1", key)
    record = i.SPEC.state_from_data(state).record
    assert record is not None
    assert [x.code for x in record.items] == [i.ResultCode.E]
    assert [(x.before_code, x.after_code) for x in record.amendments] == [
        (i.ResultCode.A, i.ResultCode.E)
    ]
    row = await app.state.pool.fetchrow(
        "SELECT origin, lifecycle, inspected_on, approved_on, published_on, result_codes"
        " FROM inspections WHERE id = $1",
        key,
    )
    assert dict(row) == {
        "origin": "RANDOM",
        "lifecycle": "PUBLISHED",
        "inspected_on": "2026-05-20",
        "approved_on": today().isoformat(),
        "published_on": today().isoformat(),
        "result_codes": ["E"],
    }
    listed = (await gql(LIST, as_user="auditor", f={"status": "PUBLISHED"}))["data"]
    assert [n["key"] for n in listed["inspectionRecords"]["nodes"]] == [key]
    assert (await gql(LIST, f={}))["data"]["inspectionRecords"]["nodes"] == []  # public


async def test_recheck_and_transfer_tracking(
    gql: GQL, app: Starlette, drawn: dict[str, Any]
) -> None:
    key, item = drawn["key"], drawn["item"]
    order = result(item, "A", followUp={"kind": "ORDER_TO_CORRECT", "correctBy": "2026-06-30"})
    p = await run(
        gql,
        "submitInspectionResults",
        "inspector",
        inspectionId=key,
        inspectedOn="2026-05-20",
        results=[order],
    )
    assert p["errors"] == []
    recheck = {"inspectionId": key, "item": item, "recheckedOn": "2026-07-01", "corrected": False}
    p = await run(gql, "recordCorrectionRecheck", "inspector", **recheck)
    assert codes(p) == [("INVALID_TRANSITION", "inspectionId")]  # not approved yet
    assert (await run(gql, "approveInspectionResults", "admin", inspectionId=key))["errors"] == []
    p = await run(gql, "recordCorrectionRecheck", "other-inspector", **recheck)
    assert codes(p) == [("NOT_ASSIGNED_INSPECTOR", "inspectionId")]
    p = await run(gql, "recordCorrectionRecheck", "inspector", **recheck)
    assert codes(p) == [("REQUIRED", "note")]
    p = await run(gql, "recordCorrectionRecheck", "inspector", **recheck | {"note": "未整改"})
    assert p["inspection"]["results"][0]["followUp"]["corrected"] is False
    p = await run(gql, "recordCorrectionRecheck", "scjg-admin", **recheck | {"corrected": True})
    follow = p["inspection"]["results"][0]["followUp"]
    assert (follow["recheckedOn"], follow["corrected"]) == ("2026-07-01", True)
    p = await run(gql, "recordCorrectionRecheck", "inspector", **recheck | {"corrected": True})
    assert codes(p) == [("INVALID_TRANSITION", "item")]  # already corrected
    p = await run(
        gql, "updateCaseTransfer", "scjg-admin", inspectionId=key, item=item, status="ACCEPTED"
    )
    assert codes(p) == [("INVALID_TRANSITION", "item")]  # the follow-up is not a transfer


CREATE_TASK = td.mutation("createTask", "task", "taskId kind trigger { kind description }")
PUBLISH_TASK = td.mutation("publishTask", "task", "taskId")
CASE_FIELDS = (
    "key origin status departments case { source reference reason assignedBy }"
    " team { staffId role }"
)


async def test_a_special_task_gives_special_inspections(gql: GQL, app: Starlette) -> None:
    await seed_people(app.state.runner)
    await td.seed_registry(app.state.runner, app.state.regions)
    task: dict[str, Any] = {
        "taskId": "T2026-SPECIAL",
        "planId": "2026-SCJG-DRAW",
        "title": "专项检查",
        "items": [td.FOOD],
        "strata": [{"id": "ALL", "count": 2}],
        "startDate": "2026-07-01",
        "endDate": "2026-07-31",
        "kind": "SPECIAL",
    }
    p = payload(await gql(CREATE_TASK, as_user="scjg-admin", input=task), "createTask")
    assert codes(p) == [("REQUIRED", "trigger")]
    routine = task | {"kind": "ROUTINE", "trigger": {"kind": "OTHER", "description": "x"}}
    p = payload(await gql(CREATE_TASK, as_user="scjg-admin", input=routine), "createTask")
    assert codes(p) == [("INVALID_FORMAT", "trigger")]
    trigger = {"kind": "COMPLAINT_CLUSTER", "description": "近期食品投诉集中"}
    p = payload(
        await gql(CREATE_TASK, as_user="scjg-admin", input=task | {"trigger": trigger}),
        "createTask",
    )
    assert p["errors"] == [] and p["task"]["kind"] == "SPECIAL"
    assert p["task"]["trigger"] == trigger
    p = payload(
        await gql(PUBLISH_TASK, as_user="scjg-admin", input={"taskId": "T2026-SPECIAL"}),
        "publishTask",
    )
    assert p["errors"] == []
    assert (await td.commit(gql, task="T2026-SPECIAL"))["errors"] == []
    assert (await td.execute(gql, task="T2026-SPECIAL"))["errors"] == []
    nodes = (await gql(LIST, as_user="inspector", f={"taskId": "T2026-SPECIAL"}))["data"][
        "inspectionRecords"
    ]["nodes"]
    assert len(nodes) == 2 and {n["origin"] for n in nodes} == {"SPECIAL"}
    assert (await gql(LIST, as_user="inspector", f={"origin": "SPECIAL"}))["data"][
        "inspectionRecords"
    ]["nodes"] == nodes


async def test_a_case_inspection(gql: GQL, app: Starlette) -> None:
    await seed_people(app.state.runner)
    await td.seed_registry(app.state.runner, app.state.regions)
    subject = td.uscc_key(0)
    conflicted = td.OFFICERS[2]
    out = await inspectors.handle(
        app.state.runner,
        SEED,
        ins.DeclareConflict(staff_id=conflicted, subject_key=subject, reason="亲属任职"),
    )
    assert out.events
    case: dict[str, Any] = {
        "department": "SCJG",
        "reference": "TS-2026-0815",
        "source": "COMPLAINT",
        "subject": subject.lower(),
        "items": [td.FOOD],
        "officers": [td.OFFICERS[0], td.OFFICERS[1]],
        "reason": "12315投诉：无证经营",
        "endDate": (today() + dt.timedelta(days=30)).isoformat(),
    }
    open_case = td.mutation("openCaseInspection", "inspection", CASE_FIELDS)
    for user, code in (
        ("admin", "FORBIDDEN"),
        ("sthj-admin", "FORBIDDEN"),
        ("inspector", "FORBIDDEN"),
    ):
        p = payload(await gql(open_case, as_user=user, input=case), "openCaseInspection")
        assert codes(p) == [(code, "department")], user
    bad = case | {
        "reference": "TS 0815",
        "officers": [td.OFFICERS[0], conflicted, "NOBODY"],
        "reason": "",
        "items": ["SCJG-NONE"],
    }
    p = payload(await gql(open_case, as_user="scjg-admin", input=bad), "openCaseInspection")
    assert set(codes(p)) == {
        ("INVALID_FORMAT", "reference"),
        ("REASON_REQUIRED", "reason"),
        ("UNKNOWN_ITEM", "items.0"),
        ("CONFLICT_OF_INTEREST", "officers.1"),
        ("NOT_FOUND", "officers.2"),
    }
    p = payload(
        await gql(open_case, as_user="scjg-admin", input=case | {"officers": [td.OFFICERS[0]]}),
        "openCaseInspection",
    )
    assert codes(p) == [("OUT_OF_RANGE", "officers")]
    p = payload(await gql(open_case, as_user="scjg-admin", input=case), "openCaseInspection")
    assert p["errors"] == []
    rec = p["inspection"]
    key = "CASE/SCJG/TS-2026-0815"
    assert (rec["key"], rec["origin"], rec["status"], rec["departments"]) == (
        key,
        "CASE",
        "ASSIGNED",
        ["SCJG"],
    )
    assert rec["case"] == {
        "source": "COMPLAINT",
        "reference": "TS-2026-0815",
        "reason": "12315投诉：无证经营",
        "assignedBy": "scjg-admin",
    }
    assert [(m["staffId"], m["role"]) for m in rec["team"]] == [
        (td.OFFICERS[0], "LEAD"),
        (td.OFFICERS[1], "OFFICER"),
    ]
    p = payload(await gql(open_case, as_user="scjg-admin", input=case), "openCaseInspection")
    assert codes(p) == [("ALREADY_EXISTS", "reference")]
    # Counted apart: listed as CASE, never among the draws' public inspections.
    nodes = (await gql(LIST, as_user="auditor", f={"origin": "CASE"}))["data"]["inspectionRecords"]
    assert nodes["nodes"] == [{"key": key, "origin": "CASE", "status": "ASSIGNED"}]
    drawn = (await gql(td.INSPECTIONS, filter={"subjectKey": subject}))["data"]["inspections"]
    assert drawn["nodes"] == []
    # Its team enters the results like any other.
    out = await inspectors.handle(
        app.state.runner,
        SEED,
        ins.UpdateInspector(staff_id=td.OFFICERS[1], user_id="inspector", reason="绑定账号"),
    )
    assert out.events
    p = await run(
        gql,
        "submitInspectionResults",
        "inspector",
        inspectionId=key,
        inspectedOn=today().isoformat(),
        results=[result(td.FOOD)],
    )
    assert p["errors"] == [] and p["inspection"]["status"] == "RESULTS_SUBMITTED"


class _InspectionsTable:
    """The two projections that feed ``inspections``, in catalog order (draws', then ours)."""

    name = "inspections_rebuild"
    tables: tuple[str, ...] = ("inspections",)

    def __init__(self) -> None:
        self.parts = [InspectionsProjection(), InspectionLifecycleProjection()]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for p in self.parts:
            await p.apply(conn, events)


async def test_read_tables_rebuild_from_the_ledger(
    gql: GQL, app: Starlette, drawn: dict[str, Any], owner_conn: asyncpg.Connection
) -> None:
    key, item = drawn["key"], drawn["item"]
    for name, user, extra in (
        (
            "submitInspectionResults",
            "inspector",
            {"inspectedOn": "2026-05-20", "results": [result(item)]},
        ),
        ("approveInspectionResults", "scjg-admin", {}),
        ("publishInspectionResults", "scjg-admin", {}),
    ):
        assert (await run(gql, name, user, inspectionId=key, **extra))["errors"] == []
    case = {
        "department": "SCJG",
        "reference": "JB-1",
        "source": "MONITORING",
        "subject": td.uscc_key(1),
        "items": [td.FOOD],
        "officers": td.OFFICERS[:2],
        "reason": "数据监测异常",
        "endDate": (today() + dt.timedelta(days=30)).isoformat(),
    }
    assert (await run(gql, "openCaseInspection", "scjg-admin", **case))["errors"] == []
    pool = app.state.pool
    while (await ledger_status(pool)).unsealed_count:
        app.state.sealer.wake()
        await asyncio.sleep(0.05)
    for projection in (
        StateTableProjection(i.SPEC, "inspection_records"),
        _InspectionsTable(),
    ):
        await replay_into_schema(owner_conn, projection, "rebuild_inspections")
        assert await differences(owner_conn, projection, "rebuild_inspections") == 0
    assert (
        await owner_conn.fetchval(
            "SELECT count(*) FROM rebuild_inspections.inspections WHERE lifecycle = 'PUBLISHED'"
            " OR origin = 'CASE'"
        )
        == 2
    )
