"""联席会议 through GraphQL: composition → meeting → signed minutes (审签, only the convener or
vice convener) → issued and acknowledged (签收) → action items (议定事项) → done with evidence,
and the office's supervision of open and overdue items per department (督促指导)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.applications import Starlette

from tests.api.conftest import GQL, People
from tests.api.test_rebuild import sealed
from tests.clock import DbClock

DAY = dt.date(2026, 6, 10)

APPOINT = """mutation($input: AppointJointMeetingSeatInput!) {
  r: appointJointMeetingSeat(input: $input) {
    composition { seats { position name userId department { code } } }
    errors { code field message } } }"""
MEETING_FIELDS = """meeting { meetingId kind heldOn attended { code } minutes {
  number status decisions signedAs signedOn corrects correctedBy
  issuedTo { code } acknowledgements { department { code } acknowledgedOn }
  notAcknowledged { code } } }"""
ACTION_FIELDS = "actionItem { actionId status progress doneOn evidence dueDate reminders { note } }"


def meeting_mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ r: {name}(input: $input) {{ {MEETING_FIELDS} "
        "errors { code field message } } }"
    )


def action_mutation(name: str, input_type: str) -> str:
    return (
        f"mutation($input: {input_type}!) {{ r: {name}(input: $input) {{ {ACTION_FIELDS} "
        "errors { code field message } } }"
    )


async def ok(gql: GQL, query: str, user: str, **input: Any) -> dict[str, Any]:
    r = await gql(query, as_user=user, input=input)
    assert "errors" not in r, r
    assert r["data"]["r"]["errors"] == [], r
    return r["data"]["r"]  # type: ignore[no-any-return]


async def error(gql: GQL, query: str, user: str, **input: Any) -> tuple[str, str | None]:
    r = await gql(query, as_user=user, input=input)
    assert "errors" not in r, r
    e = r["data"]["r"]["errors"][0]
    return e["code"], e["field"]


async def seat_the_meeting(gql: GQL) -> None:
    for user in ("convener", "vice"):
        await gql(
            "mutation($input: CreateAccountInput!) { createAccount(input: $input) { errors {"
            " code } } }",
            as_user="admin",
            input={"userId": user, "displayName": user, "department": "SCJG", "roles": ["AUDITOR"]},
        )
    await ok(gql, APPOINT, "scjg-admin", position="CONVENER", name="区领导", userId="convener")
    await ok(
        gql,
        APPOINT,
        "scjg-admin",
        position="VICE_CONVENER",
        name="李广隆",
        department="SCJG",
        userId="vice",
    )
    for dept, name in (("SCJG", "陶洪"), ("STHJ", "王成员")):
        await ok(gql, APPOINT, "scjg-admin", position="MEMBER", name=name, department=dept)


async def test_meeting_to_signed_minutes_to_action_items_done(
    gql: GQL, people: People, db_clock: DbClock
) -> None:
    db_clock.travel_to_day(DAY)
    # Only the office changes the composition.
    assert await error(
        gql, APPOINT, "sthj-admin", position="MEMBER", name="某", department="STHJ"
    ) == ("FORBIDDEN", None)
    await seat_the_meeting(gql)
    composition = await gql(
        "{ jointMeetingComposition { seats { position name } memberDepartments } }",
        as_user="inspector",
    )
    seats = composition["data"]["jointMeetingComposition"]["seats"]
    assert [s["position"] for s in seats] == ["CONVENER", "VICE_CONVENER", "MEMBER", "MEMBER"]
    assert seats[1]["name"] == "李广隆"
    public = await gql("{ jointMeetingComposition { seats { name } } }")
    assert public["data"]["jointMeetingComposition"] is None

    await ok(
        gql,
        meeting_mutation("scheduleMeeting", "ScheduleMeetingInput"),
        "scjg-admin",
        meetingId="2026-01",
        kind="PLENARY",
        title="2026年第一次全体会议",
        heldOn=DAY.isoformat(),
        agenda=["传达市联席会会议精神"],
        documents=["市联席会2026年工作要点"],
        attended=["SCJG", "STHJ"],
    )
    draft = meeting_mutation("draftMinutes", "DraftMinutesInput")
    m = await ok(
        gql,
        draft,
        "scjg-admin",
        meetingId="2026-01",
        text="会议纪要",
        decisions=["报送年度抽查计划", "开展联合抽查"],
    )
    assert m["meeting"]["minutes"][0]["status"] == "DRAFT"

    sign = meeting_mutation("signMinutes", "SignMinutesInput")
    for user in ("scjg-admin", "admin", "sthj-admin", "auditor"):
        assert await error(gql, sign, user, meetingId="2026-01", number=1) == ("FORBIDDEN", None)
    signed = await ok(gql, sign, "vice", meetingId="2026-01", number=1)
    minute = signed["meeting"]["minutes"][0]
    assert (minute["status"], minute["signedAs"], minute["signedOn"]) == (
        "SIGNED",
        "VICE_CONVENER",
        DAY.isoformat(),
    )
    # A signed minute never changes; a correction is a new minute citing it.
    revise = meeting_mutation("reviseMinutes", "ReviseMinutesInput")
    assert await error(gql, revise, "scjg-admin", meetingId="2026-01", number=1, text="改") == (
        "INVALID_TRANSITION",
        "number",
    )
    corrected = await ok(
        gql, draft, "scjg-admin", meetingId="2026-01", text="更正", corrects=1, reason="笔误"
    )
    assert corrected["meeting"]["minutes"][1]["corrects"] == 1
    await ok(gql, sign, "convener", meetingId="2026-01", number=2)

    issued = await ok(
        gql,
        meeting_mutation("issueMinutes", "IssueMinutesInput"),
        "scjg-admin",
        meetingId="2026-01",
        number=1,
    )
    assert [d["code"] for d in issued["meeting"]["minutes"][0]["issuedTo"]] == ["SCJG", "STHJ"]
    ack = meeting_mutation("acknowledgeMinutes", "AcknowledgeMinutesInput")
    assert await error(gql, ack, "inspector", meetingId="2026-01", number=1, department="SCJG") == (
        "FORBIDDEN",
        "department",
    )
    acked = await ok(gql, ack, "sthj-admin", meetingId="2026-01", number=1, department="STHJ")
    minute = acked["meeting"]["minutes"][0]
    assert minute["acknowledgements"] == [
        {"department": {"code": "STHJ"}, "acknowledgedOn": DAY.isoformat()}
    ]
    assert minute["notAcknowledged"] == [{"code": "SCJG"}]
    assert minute["correctedBy"] == [2]

    assign = action_mutation("assignActionItem", "AssignActionItemInput")
    base = {"meetingId": "2026-01", "minutesNumber": 1}
    a1 = await ok(
        gql,
        assign,
        "scjg-admin",
        **base,
        actionId="2026-01-1-STHJ",
        matter=1,
        title="报送年度抽查计划",
        department="STHJ",
        dueDate=(DAY + dt.timedelta(days=5)).isoformat(),
    )
    assert a1["actionItem"]["progress"] == "OPEN"
    await ok(
        gql,
        assign,
        "scjg-admin",
        **base,
        actionId="2026-01-2-SCJG",
        matter=2,
        title="开展联合抽查",
        department="SCJG",
        dueDate=(DAY + dt.timedelta(days=1)).isoformat(),
    )
    complete = action_mutation("completeActionItem", "CompleteActionItemInput")
    assert await error(gql, complete, "liaison-scjg", actionId="2026-01-1-STHJ", evidence="x") == (
        "FORBIDDEN",
        None,
    )
    done = await ok(
        gql, complete, "sthj-admin", actionId="2026-01-1-STHJ", evidence="丰环发〔2026〕3号已报送"
    )
    assert done["actionItem"]["status"] == "DONE"
    assert done["actionItem"]["progress"] == "DONE_ON_TIME"
    assert done["actionItem"]["evidence"] == "丰环发〔2026〕3号已报送"

    # Three days on, SCJG's item is overdue; the office chases it.
    db_clock.travel_to_day(DAY + dt.timedelta(days=3))
    reminded = await ok(
        gql,
        action_mutation("remindActionItem", "RemindActionItemInput"),
        "scjg-admin",
        actionId="2026-01-2-SCJG",
        note="请抓紧办理",
    )
    assert reminded["actionItem"]["progress"] == "OVERDUE"
    assert reminded["actionItem"]["reminders"] == [{"note": "请抓紧办理"}]
    r = await gql(
        "{ actionItemSupervision(year: 2026) { department { code } total open overdue done"
        " doneOnTime doneLate reminders }"
        " overdue: actionItems(filter: {overdue: true}) { nodes { actionId } } }",
        as_user="auditor",
    )
    assert r["data"]["actionItemSupervision"] == [
        {
            "department": {"code": "SCJG"},
            "total": 1,
            "open": 0,
            "overdue": 1,
            "done": 0,
            "doneOnTime": 0,
            "doneLate": 0,
            "reminders": 1,
        },
        {
            "department": {"code": "STHJ"},
            "total": 1,
            "open": 0,
            "overdue": 0,
            "done": 1,
            "doneOnTime": 1,
            "doneLate": 0,
            "reminders": 0,
        },
    ]
    assert r["data"]["overdue"]["nodes"] == [{"actionId": "2026-01-2-SCJG"}]
    # The public sees none of it.
    r = await gql(
        '{ meeting(meetingId: "2026-01") { title } actionItems { nodes { actionId } }'
        " actionItemSupervision { total } }"
    )
    assert r["data"] == {"meeting": None, "actionItems": {"nodes": []}, "actionItemSupervision": []}


async def test_the_joint_meeting_is_in_the_audit_log(
    gql: GQL, app: Starlette, people: People, db_clock: DbClock
) -> None:
    db_clock.travel_to_day(DAY)
    await seat_the_meeting(gql)
    await ok(
        gql,
        meeting_mutation("scheduleMeeting", "ScheduleMeetingInput"),
        "scjg-admin",
        meetingId="2026-02",
        kind="LIAISON_WORK",
        title="联络员工作会",
        heldOn=DAY.isoformat(),
    )
    await sealed(app.state.pool)  # the log shows sealed events
    r = await gql(
        '{ a: auditLog(filter: {stream: "joint-meeting-FENGTAI"}) { nodes { eventType } }'
        ' b: history(id: "meeting-2026-02") { nodes { eventType metadata } } }',
        as_user="auditor",
    )
    assert {n["eventType"] for n in r["data"]["a"]["nodes"]} == {"JointMeetingSeatFilled"}
    assert [n["eventType"] for n in r["data"]["b"]["nodes"]] == ["MeetingScheduled"]
    assert r["data"]["b"]["nodes"][0]["metadata"]["actor"] == "scjg-admin"
