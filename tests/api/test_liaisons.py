"""联络员制度 through GraphQL: reports with figures from the statistics, contact details."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette

from spotcheck.domain import inspector as ins
from spotcheck.services import inspectors
from tests.api.conftest import GQL, SEED, People
from tests.api.test_statistics import QUERY as STATISTICS
from tests.api.test_statistics import counts, seed_scene

SUBMIT = """
mutation($input: SubmitLiaisonReportInput!) { submitLiaisonReport(input: $input) {
  errors { code field message }
  liaisonReport { id reportId year quarter progress problems experience submittedBy submittedOn
    department { code }
    figures { asOf ledgerPosition registrySubjects repeatSubjects repeatedSubjects
      byOrigin { origin draws population drawn jointParticipation inspected approved published
                 publishedOnTime publishedLate overdue deadlineUnknown results problems } } } } }
"""


def _report_input(year: int, **kw: Any) -> dict[str, Any]:
    return {
        "department": "SCJG",
        "year": year,
        "quarter": 1,
        "progress": "第一季度完成随机抽查任务",
        "problems": "部分对象无法联系",
        "experience": "联合检查减少入户次数",
    } | kw


async def test_a_report_carries_the_statistics_and_cannot_be_edited(
    app: Starlette, gql: GQL
) -> None:
    year, today = await seed_scene(app)
    r = await gql(SUBMIT, as_user="liaison-scjg", input=_report_input(year))
    payload = r["data"]["submitLiaisonReport"]
    assert payload["errors"] == [], payload
    report = payload["liaisonReport"]
    assert (report["reportId"], report["submittedBy"]) == (f"SCJG-{year}-Q1", "liaison-scjg")
    assert report["department"] == {"code": "SCJG"}
    figures = report["figures"]
    assert figures["asOf"] == today.isoformat() and figures["ledgerPosition"] >= 0

    stats = await gql(STATISTICS, as_user="liaison-scjg", year=year, department="SCJG")
    (scjg,) = stats["data"]["statistics"]["departments"]
    assert figures["registrySubjects"] == scjg["registrySubjects"] == 6
    assert (figures["repeatSubjects"], figures["repeatedSubjects"]) == (
        scjg["repeatInspection"]["subjects"],
        scjg["repeatInspection"]["repeated"],
    )
    assert [counts(o) for o in figures["byOrigin"]] == [counts(o) for o in scjg["byOrigin"]]
    assert counts(figures["byOrigin"][0]) != counts({k: 0 for k in figures["byOrigin"][0]})

    preview = await gql(
        'query($y: Int!) { liaisonReportFigures(department: "SCJG", year: $y) {'
        " registrySubjects byOrigin { drawn inspected published } } }",
        as_user="liaison-scjg",
        y=year,
    )
    got = preview["data"]["liaisonReportFigures"]
    assert got["registrySubjects"] == 6
    assert [o["drawn"] for o in got["byOrigin"]] == [o["drawn"] for o in figures["byOrigin"]]

    # Never edited: the same quarter again is refused, and no input names a figure.
    again = await gql(SUBMIT, as_user="liaison-scjg", input=_report_input(year, progress="改"))
    (error,) = again["data"]["submitLiaisonReport"]["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", "quarter")
    forged = await gql(
        SUBMIT, as_user="liaison-scjg", input=_report_input(year, quarter=2) | {"figures": {}}
    )
    assert forged["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    listed = await gql(
        'query { liaisonReports(filter: {department: "SCJG"}) { nodes { reportId progress } } }',
        as_user="auditor",
    )
    assert listed["data"]["liaisonReports"]["nodes"] == [
        {"reportId": f"SCJG-{year}-Q1", "progress": "第一季度完成随机抽查任务"}
    ]
    public = await gql("query { liaisonReports { nodes { reportId } } }")
    assert public["data"]["liaisonReports"]["nodes"] == []


async def test_contact_details_and_handover_note(gql: GQL, people: People) -> None:
    update = """mutation($input: UpdateLiaisonContactInput!) { updateLiaisonContact(input: $input)
      { errors { code field } department { liaison { name phone email userId } } } }"""
    r = await gql(update, as_user=people.liaison, input={"code": "SCJG", "phone": "010-66667777"})
    assert r["data"]["updateLiaisonContact"] == {
        "errors": [],
        "department": {
            "liaison": {
                "name": "联络员SCJG",
                "phone": "010-66667777",
                "email": "SCJG@example.gov.cn",
                "userId": "liaison-scjg",
            }
        },
    }
    hand_over = """mutation($input: HandOverLiaisonInput!) { handOverLiaison(input: $input)
      { errors { code field } department { liaison { name userId } } } }"""
    new = {"name": "新联络员", "phone": "010-12345678", "userId": "liaison-new"}
    r = await gql(hand_over, as_user=people.scjg_admin, input={"code": "SCJG", "liaison": new})
    assert r["data"]["handOverLiaison"]["errors"] == [{"code": "REQUIRED", "field": "note"}]
    r = await gql(
        hand_over,
        as_user=people.scjg_admin,
        input={"code": "SCJG", "liaison": new, "note": "台账与账号已交接"},
    )
    assert r["data"]["handOverLiaison"]["department"]["liaison"] == {
        "name": "新联络员",
        "userId": "liaison-new",
    }
    assert dataclasses.is_dataclass(people)


REPLACEMENT = """mutation($input: AnswerLiaisonReplacementInput!) {
  answerLiaisonReplacement(input: $input) { errors { code field }
    liaisonReplacementRequest { requestId status outcome response answeredBy liaisonName
      department { code } } } }"""


async def test_a_replacement_request_answered(gql: GQL, people: People) -> None:
    ask = """mutation($input: RequestLiaisonReplacementInput!) {
      requestLiaisonReplacement(input: $input) { errors { code field }
        liaisonReplacementRequest { requestId status liaisonName reason } } }"""
    r = await gql(
        ask,
        as_user=people.scjg_admin,  # the office: SCJG's admin
        input={"requestId": "RR-1", "department": "STHJ", "reason": "连续两季度未报送"},
    )
    assert r["data"]["requestLiaisonReplacement"] == {
        "errors": [],
        "liaisonReplacementRequest": {
            "requestId": "RR-1",
            "status": "OPEN",
            "liaisonName": "联络员STHJ",
            "reason": "连续两季度未报送",
        },
    }
    answer = {"requestId": "RR-1", "outcome": "REPLACED", "response": "已更换"}
    r = await gql(REPLACEMENT, as_user=people.sthj_admin, input=answer)
    assert r["data"]["answerLiaisonReplacement"]["errors"] == [
        {"code": "INVALID_TRANSITION", "field": "outcome"}
    ]
    hand_over = """mutation($input: HandOverLiaisonInput!) { handOverLiaison(input: $input)
      { errors { code } } }"""
    r = await gql(
        hand_over,
        as_user=people.sthj_admin,
        input={"code": "STHJ", "liaison": {"name": "王五"}, "note": "工作台账已移交"},
    )
    assert r["data"]["handOverLiaison"]["errors"] == []
    r = await gql(REPLACEMENT, as_user=people.sthj_admin, input=answer)
    assert r["data"]["answerLiaisonReplacement"] == {
        "errors": [],
        "liaisonReplacementRequest": {
            "requestId": "RR-1",
            "status": "ANSWERED",
            "outcome": "REPLACED",
            "response": "已更换",
            "answeredBy": "sthj-admin",
            "liaisonName": "联络员STHJ",
            "department": {"code": "STHJ"},
        },
    }
    r = await gql(REPLACEMENT, as_user=people.sthj_admin, input=answer | {"outcome": "RETAINED"})
    assert r["data"]["answerLiaisonReplacement"]["errors"] == [
        {"code": "INVALID_TRANSITION", "field": None}
    ]


async def test_a_coordination_request_answered(gql: GQL, people: People) -> None:
    raise_ = """mutation($input: RaiseCoordinationRequestInput!) {
      raiseCoordinationRequest(input: $input) { errors { code field }
        coordinationRequest { requestId status departments raisedBy } } }"""
    base = {"requestId": "CR-1", "department": "SCJG", "title": "联合抽查", "matter": "需配合"}
    r = await gql(raise_, as_user=people.liaison, input=base | {"departments": ["SCJG"]})
    assert r["data"]["raiseCoordinationRequest"]["errors"] == [
        {"code": "OUT_OF_RANGE", "field": "departments.0"}
    ]
    r = await gql(raise_, as_user=people.liaison, input=base | {"departments": ["STHJ"]})
    assert r["data"]["raiseCoordinationRequest"]["coordinationRequest"] == {
        "requestId": "CR-1",
        "status": "OPEN",
        "departments": ["STHJ"],
        "raisedBy": "liaison-scjg",
    }
    answer = """mutation($input: AnswerCoordinationRequestInput!) {
      answerCoordinationRequest(input: $input) { errors { code field }
        coordinationRequest { status response answeredBy } } }"""
    r = await gql(answer, as_user=people.admin, input={"requestId": "CR-1", "response": "已商定"})
    assert r["data"]["answerCoordinationRequest"]["coordinationRequest"] == {
        "status": "ANSWERED",
        "response": "已商定",
        "answeredBy": "admin",
    }
    listed = await gql(
        "query { coordinationRequests(filter: {status: ANSWERED}) { nodes { requestId } } }",
        as_user=people.sthj_admin,
    )
    assert listed["data"]["coordinationRequests"]["nodes"] == [{"requestId": "CR-1"}]


TRAINING = """mutation($input: RecordTrainingInput!) { recordTraining(input: $input) {
  errors { code field } training { id trainingId title heldOn attendees recordedBy
    department { code } } } }"""
ATTENDANCE = """mutation($input: RecordTrainingAttendanceInput!) {
  recordTrainingAttendance(input: $input) { errors { code field } training { attendees } } }"""
ON_RECORD = """query($staffId: String!) { inspector(staffId: $staffId) {
  trainings { nodes { trainingId title heldOn } } } }"""


async def _register_inspectors(app: Starlette) -> None:
    for staff, department in (("SCJG-T1", "SCJG"), ("SCJG-T2", "SCJG"), ("STHJ-T1", "STHJ")):
        command = ins.RegisterInspector(
            staff_id=staff,
            name="检查员" + staff,
            department=department,
            kind=ins.InspectorKind.SUPERVISION_STAFF,
        )
        assert (await inspectors.handle(app.state.runner, SEED, command)).events


async def test_a_training_shows_on_the_inspectors_record(
    app: Starlette, gql: GQL, people: People
) -> None:
    await _register_inspectors(app)
    held = {
        "trainingId": "TR-1",
        "department": "SCJG",
        "title": "双随机抽查业务培训",
        "heldOn": "2024-05-20",
        "content": "抽查事项清单、检查规范与结果公示",
        "attendees": ["SCJG-T1"],
    }
    # Not after today; only the inspectors of the registry, and a liaison only its own.
    r = await gql(TRAINING, as_user=people.liaison, input=held | {"heldOn": "2199-01-01"})
    assert r["data"]["recordTraining"]["errors"] == [{"code": "OUT_OF_RANGE", "field": "heldOn"}]
    r = await gql(
        TRAINING, as_user=people.liaison, input=held | {"attendees": ["STHJ-T1", "NOBODY"]}
    )
    assert r["data"]["recordTraining"]["errors"] == [
        {"code": "NOT_MAINTAINING_DEPARTMENT", "field": "attendees.0"},
        {"code": "NOT_FOUND", "field": "attendees.1"},
    ]
    r = await gql(TRAINING, as_user=people.sthj_admin, input=held)
    assert r["data"]["recordTraining"]["errors"] == [{"code": "FORBIDDEN", "field": "department"}]

    r = await gql(TRAINING, as_user=people.liaison, input=held)
    assert r["data"]["recordTraining"] == {
        "errors": [],
        "training": {
            "id": r["data"]["recordTraining"]["training"]["id"],
            "trainingId": "TR-1",
            "title": "双随机抽查业务培训",
            "heldOn": "2024-05-20",
            "attendees": ["SCJG-T1"],
            "recordedBy": "liaison-scjg",
            "department": {"code": "SCJG"},
        },
    }
    # Further attendance: the liaison adds its own; the office (SCJG's admin) any inspector.
    more = {"trainingId": "TR-1", "attendees": ["SCJG-T2"]}
    r = await gql(ATTENDANCE, as_user=people.liaison, input=more)
    assert r["data"]["recordTrainingAttendance"]["training"]["attendees"] == ["SCJG-T1", "SCJG-T2"]
    r = await gql(ATTENDANCE, as_user=people.liaison, input=more)
    assert r["data"]["recordTrainingAttendance"]["errors"] == [
        {"code": "ALREADY_EXISTS", "field": "attendees.0"}
    ]
    r = await gql(
        ATTENDANCE,
        as_user=people.scjg_admin,
        input={"trainingId": "TR-1", "attendees": ["STHJ-T1"]},
    )
    assert r["data"]["recordTrainingAttendance"]["errors"] == []

    expected = {"trainingId": "TR-1", "title": "双随机抽查业务培训", "heldOn": "2024-05-20"}
    for staff in ("SCJG-T1", "SCJG-T2", "STHJ-T1"):
        seen = await gql(ON_RECORD, as_user=people.auditor, staffId=staff)
        assert seen["data"]["inspector"]["trainings"]["nodes"] == [expected], staff
    unrelated = await gql(
        TRAINING,
        as_user=people.scjg_admin,
        input=held | {"trainingId": "TR-2", "attendees": ["SCJG-T2"]},
    )
    assert unrelated["data"]["recordTraining"]["errors"] == []
    seen = await gql(ON_RECORD, as_user=people.auditor, staffId="SCJG-T1")
    assert seen["data"]["inspector"]["trainings"]["nodes"] == [expected]
    public = await gql(ON_RECORD, staffId="SCJG-T1")
    assert public["data"]["inspector"] is None
    listed = await gql("query { trainings { nodes { trainingId } } }")
    assert listed["data"]["trainings"]["nodes"] == []
