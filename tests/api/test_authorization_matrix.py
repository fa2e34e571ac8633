"""Every mutation × every role → allowed, or the exact error code.  One table drives it all.

Roles: SYSTEM_ADMIN; DEPARTMENT_ADMIN of the department that owns the record (SCJG) and of
another one (STHJ); INSPECTOR; AUDITOR; the department's liaison (no role); the public.
Each cell runs on its own keys (``tag``, one per role column; ``seed_matrix`` seeds records under
the same tags), so an allowed cell succeeds rather than colliding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import pytest
from starlette.applications import Starlette

from tests.api import fixtures_registry as reg
from tests.api import inspection_fixtures as insp
from tests.api import jointmeeting_fixtures as jm
from tests.api import liaison_fixtures as lia
from tests.api import publishing as pub
from tests.api.conftest import GQL, People

OK = "OK"
ROLES = ("admin", "scjg-admin", "sthj-admin", "inspector", "auditor", "liaison-scjg", None)
HEADER = (
    "SYSTEM_ADMIN",
    "DEPT_ADMIN_OWN",
    "DEPT_ADMIN_OTHER",
    "INSPECTOR",
    "AUDITOR",
    "LIAISON",
    "PUBLIC",
)
SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

F, U, NMD = "FORBIDDEN", "UNAUTHENTICATED", "NOT_MAINTAINING_DEPARTMENT"
ADMINS_OF_OWN = (OK, OK, F, F, F, F, U)
"""SYSTEM_ADMIN and the owning department's admin; every other signed-in caller FORBIDDEN."""
SYSTEM_ADMIN_ONLY = (OK, F, F, F, F, F, U)
SUBJECT_KEEPERS = (OK, OK, NMD, F, F, F, U)
"""Subjects: SYSTEM_ADMIN and the maintaining department's admin; another department's admin
is told it does not maintain the subject."""


@dataclass(frozen=True)
class Row:
    mutation: str
    input: Callable[[str], dict[str, Any]]
    expect: tuple[str, str, str, str, str, str, str]  # in HEADER order
    case: str = ""
    """Tells apart rows of the same mutation (the test id)."""


def liaison(tag: str) -> dict[str, Any]:
    return {"name": "联络员" + tag, "phone": "010-63800001"}


TABLE: list[Row] = [
    # Departments and accounts.
    Row(
        "registerDepartment",
        lambda t: {"code": f"D{t}", "name": "部门" + t, "liaison": liaison(t)},
        SYSTEM_ADMIN_ONLY,
    ),
    # New contact details for the same liaison account, so the liaison stays liaison.
    Row(
        "handOverLiaison",
        lambda t: {
            "code": "SCJG",
            "liaison": liaison(t) | {"userId": "liaison-scjg"},
            "note": "交接" + t,
        },
        (OK, OK, F, F, F, OK, U),
    ),
    Row(
        "updateLiaisonContact",
        lambda t: {"code": "SCJG", "phone": "010-6380010" + t[1:]},
        (OK, OK, F, F, F, OK, U),
    ),
    Row(
        "changeDepartmentMembership",
        lambda t: {"code": "STHJ", "member": True, "reason": "复核"},
        SYSTEM_ADMIN_ONLY,
    ),
    Row(
        "renameDepartment",
        lambda t: {"code": "STHJ", "name": "生态环境局" + t, "reason": "更名"},
        SYSTEM_ADMIN_ONLY,
    ),
    Row(
        "createAccount",
        lambda t: {
            "userId": f"u-{t}",
            "displayName": t,
            "department": "SCJG",
            "roles": ["INSPECTOR"],
        },
        (OK, OK, F, F, F, OK, U),
    ),
    Row(
        "grantRole",
        lambda t: {"userId": "inspector", "role": "INSPECTOR"},
        (OK, OK, F, F, F, OK, U),
        "department-role",
    ),
    Row(
        "grantRole",
        lambda t: {"userId": "inspector", "role": "AUDITOR"},
        SYSTEM_ADMIN_ONLY,
        "district-role",
    ),
    Row(
        "revokeRole",
        lambda t: {"userId": "inspector", "role": "DEPARTMENT_ADMIN", "reason": "调岗"},
        (OK, OK, F, F, F, OK, U),
    ),
    # Inspection items (SCJG's) and the district list.
    Row(
        "createInspectionItem",
        lambda t: (
            reg.item_content_input("新事项" + t) | {"code": f"SCJG-NEW-{t}", "department": "SCJG"}
        ),
        ADMINS_OF_OWN,
    ),
    Row(
        "reviseInspectionItem",
        lambda t: reg.item_content_input("修订" + t) | {"code": reg.item_code(t)},
        ADMINS_OF_OWN,
    ),
    Row("publishInspectionItem", lambda t: {"code": reg.item_code(t)}, ADMINS_OF_OWN),
    Row(
        "retireInspectionItem",
        lambda t: {"code": reg.item_code(t), "reason": "法规废止"},
        ADMINS_OF_OWN,
    ),
    Row("publishItemList", lambda t: {"note": "第" + t + "版"}, SYSTEM_ADMIN_ONLY),
    # The registry of inspectors (SCJG's).
    Row(
        "registerInspector",
        lambda t: {
            "staffId": f"SCJG-NEW-{t}",
            "name": "新检查员",
            "department": "SCJG",
            "kind": "SUPERVISION_STAFF",
        },
        ADMINS_OF_OWN,
    ),
    Row(
        "updateInspector",
        lambda t: {"staffId": reg.staff_id(t), "reason": "更正", "name": "改名" + t},
        ADMINS_OF_OWN,
    ),
    # An inspector's own record is kept by the department too: only conflicts are theirs.
    Row(
        "updateInspector",
        lambda t: {"staffId": reg.SELF_INSPECTOR, "reason": "更正", "name": "改名" + t},
        ADMINS_OF_OWN,
        "own",
    ),
    Row(
        "changeInspectorStatus",
        lambda t: {"staffId": reg.staff_id(t), "status": "ON_LEAVE", "reason": "休假"},
        ADMINS_OF_OWN,
    ),
    Row(
        "changeInspectorStatus",
        lambda t: {"staffId": reg.SELF_INSPECTOR, "status": "ON_LEAVE", "reason": "休假"},
        ADMINS_OF_OWN,
        "own",
    ),
    Row(
        "declareConflict",
        lambda t: {
            "staffId": reg.SELF_INSPECTOR,
            "subjectKey": reg.subject_key(t),
            "reason": "亲属" + t,
        },
        (OK, OK, F, OK, F, F, U),
        "own",
    ),
    Row(
        "declareConflict",
        lambda t: {"staffId": reg.staff_id(t), "subjectKey": reg.subject_key(t), "reason": "亲属"},
        ADMINS_OF_OWN,
        "colleague",
    ),
    Row(
        "withdrawConflict",
        lambda t: {
            "staffId": reg.SELF_INSPECTOR,
            "subjectKey": reg.conflict_subject_key(t),
            "reason": "已离职",
        },
        (OK, OK, F, OK, F, F, U),
        "own",
    ),
    Row(
        "withdrawConflict",
        lambda t: {
            "staffId": reg.staff_id(t),
            "subjectKey": reg.conflict_subject_key(t),
            "reason": "已离职",
        },
        ADMINS_OF_OWN,
        "colleague",
    ),
    # The registry of inspection subjects (SCJG maintains them).
    Row(
        "registerSubject",
        lambda t: {
            "kind": "PRODUCT",
            "identifier": f"PRODUCT:SCJG:NEW-{t}",
            "name": "新产品" + t,
            "region": "fangzhuang",
            "maintainingDepartment": "SCJG",
        },
        SUBJECT_KEEPERS,
    ),
    Row(
        "updateSubject",
        lambda t: {"key": reg.subject_key(t), "reason": "更正", "address": "方庄路" + t},
        SUBJECT_KEEPERS,
    ),
    # Annual plans and inspection tasks (SCJG's): the lead department's admin or SYSTEM_ADMIN.
    Row(
        "createPlan",
        lambda t: {
            "planId": f"2026-NEW-{t}",
            "year": 2026,
            "department": "SCJG",
            "title": "新计划" + t,
            "items": [reg.LIVE_ITEM],
        },
        ADMINS_OF_OWN,
    ),
    Row("revisePlan", lambda t: {"planId": reg.plan_id(t), "title": "修订" + t}, ADMINS_OF_OWN),
    Row("filePlan", lambda t: {"planId": reg.plan_id(t)}, ADMINS_OF_OWN),
    Row(
        "createTask",
        lambda t: (
            reg.task_input("新任务" + t) | {"taskId": f"T-NEW-{t}", "planId": reg.filed_plan_id(t)}
        ),
        ADMINS_OF_OWN,
    ),
    Row(
        "reviseTask",
        lambda t: reg.task_input("修订" + t) | {"taskId": reg.task_id(t)},
        ADMINS_OF_OWN,
    ),
    Row("publishTask", lambda t: {"taskId": reg.task_id(t)}, ADMINS_OF_OWN),
    Row("cancelTask", lambda t: {"taskId": reg.task_id(t), "reason": "计划调整"}, ADMINS_OF_OWN),
    # Draws (抽取) of SCJG tasks: the lead department's admin or SYSTEM_ADMIN; voiding is
    # SYSTEM_ADMIN's alone.  ``reg.seed_draws`` seeds each row's own tasks.
    Row(
        "commitDraw",
        lambda t: {
            "taskId": reg.draw_task_id(t, "commitDraw"),
            "sources": [{"name": reg.DRAW_ENTROPY[0]["name"], "kind": "NUMBERS"}],
        },
        ADMINS_OF_OWN,
    ),
    Row(
        "executeDraw",
        lambda t: {"taskId": reg.draw_task_id(t, "executeDraw"), "entropy": reg.DRAW_ENTROPY},
        ADMINS_OF_OWN,
    ),
    Row(
        "voidDraw",
        lambda t: {"taskId": reg.draw_task_id(t, "voidDraw"), "reason": "抽取参数有误"},
        SYSTEM_ADMIN_ONLY,
    ),
    Row(
        "replaceInspector",
        lambda t: {
            "inspectionId": reg.draw_inspection_id(t, "replaceInspector"),
            "staffId": reg.DRAW_OFFICERS[0],
            "reason": "病假",
        },
        ADMINS_OF_OWN,
    ),
]
# The inspection lifecycle (检查): the team enters results (谁检查、谁录入); the lead department's
# admin or SYSTEM_ADMIN reviews and publishes; a case is opened by the department's admin only.
# ``insp.seed_inspections`` brings each row's own inspections to the state the mutation needs.
NAI, NLD = "NOT_ASSIGNED_INSPECTOR", "NOT_LEAD_DEPARTMENT"
TEAM_ONLY = (NAI, NAI, NAI, OK, NAI, NAI, U)
LEAD_ADMINS = (OK, OK, NLD, NLD, NLD, NLD, U)
TABLE += [
    Row(
        "scheduleInspection",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "scheduleInspection"),
            "scheduledOn": insp.today().isoformat(),
        },
        TEAM_ONLY,
    ),
    Row(
        "submitInspectionResults",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "submitInspectionResults"),
            "inspectedOn": insp.INSPECTED_ON.isoformat(),
            "results": [insp.result_input()],
        },
        TEAM_ONLY,
    ),
    Row(
        "returnInspectionResults",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "returnInspectionResults"),
            "reason": "照片不清",
        },
        LEAD_ADMINS,
    ),
    Row(
        "approveInspectionResults",
        lambda t: {"inspectionId": insp.inspection_of(t, "approveInspectionResults")},
        LEAD_ADMINS,
    ),
    Row(
        "publishInspectionResults",
        lambda t: {"inspectionId": insp.inspection_of(t, "publishInspectionResults")},
        LEAD_ADMINS,
    ),
    Row(
        "amendInspectionResult",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "amendInspectionResult"),
            "result": insp.result_input("F"),
            "reason": "录入有误",
        },
        LEAD_ADMINS,
    ),
    Row(
        "recordCorrectionRecheck",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "recordCorrectionRecheck"),
            "item": reg.LIVE_ITEM,
            "recheckedOn": insp.INSPECTED_ON.isoformat(),
            "corrected": True,
        },
        (OK, OK, NAI, OK, NAI, NAI, U),
    ),
    Row(
        "updateCaseTransfer",
        lambda t: {
            "inspectionId": insp.inspection_of(t, "updateCaseTransfer"),
            "item": reg.LIVE_ITEM,
            "status": "ACCEPTED",
        },
        LEAD_ADMINS,
    ),
    Row(
        "openCaseInspection",
        lambda t: {
            "department": "SCJG",
            "reference": f"TS-{t}",
            "source": "COMPLAINT",
            "subject": reg.subject_key(t),
            "items": [reg.LIVE_ITEM],
            "officers": list(insp.MATRIX_OFFICERS),
            "reason": "投诉举报线索",
            "endDate": (insp.today() + dt.timedelta(days=30)).isoformat(),
        },
        (F, OK, F, F, F, F, U),
    ),
]
INSPECTION_MUTATIONS = frozenset({*insp.BEFORE, "openCaseInspection"})
# 法定节假日安排: SYSTEM_ADMIN publishes a later year's schedule (one year per role column).
TABLE += [
    Row(
        "publishHolidaySchedule",
        lambda t: {
            "year": 2030 + int(t[1:]),
            "holidays": [f"{2030 + int(t[1:])}-01-01"],
            "source": "国务院办公厅通知",
        },
        SYSTEM_ADMIN_ONLY,
    ),
]
# 经营异常名录: SYSTEM_ADMIN or the district market regulation bureau's (SCJG) admin decides on
# a proposal raised by a result coded 6; ``pub.seed_proposals`` publishes one per role column.
TABLE += [
    Row(
        "confirmAbnormalListing",
        lambda t: {"inspectionId": pub.proposal_of(t, "confirmAbnormalListing")},
        ADMINS_OF_OWN,
    ),
    Row(
        "rejectAbnormalListing",
        lambda t: {
            "inspectionId": pub.proposal_of(t, "rejectAbnormalListing"),
            "reason": "住所已核实",
        },
        ADMINS_OF_OWN,
    ),
]
# 信用风险分类联动: SYSTEM_ADMIN or the subject's maintaining department's (SCJG) admin decides on
# a class change proposed by a result coded 6; ``pub.seed_risk_proposals`` publishes one per
# role column, each on its own subject.
TABLE += [
    Row(
        "confirmRiskClassChange",
        lambda t: {"inspectionId": pub.risk_proposal_of(t, "confirmRiskClassChange")},
        SUBJECT_KEEPERS,
    ),
    Row(
        "rejectRiskClassChange",
        lambda t: {
            "inspectionId": pub.risk_proposal_of(t, "rejectRiskClassChange"),
            "reason": "住所已核实",
        },
        SUBJECT_KEEPERS,
    ),
]
# 移出经营异常名录: a confirmed listing per role column (``pub.seed_removals``).
TABLE += [
    Row(
        "removeAbnormalListing",
        lambda t: {
            "inspectionId": pub.proposal_of(t, "removeAbnormalListing"),
            "verifiedOn": (pub.today() - dt.timedelta(days=1)).isoformat(),
            "reason": "现场核查，住所可以联系",
        },
        ADMINS_OF_OWN,
    ),
]
# 异议: the public files with the USCC (grounds only), the lead department's (SCJG) admin
# registers one; only the lead department's admin answers (``pub.seed_objections``).
NLD = "NOT_LEAD_DEPARTMENT"
TABLE += [
    Row(
        "fileObjection",
        lambda t: {"inspectionId": pub.objection_target(t), "uscc": pub.uscc(0), "grounds": "异议"},
        (OK, OK, F, F, F, F, OK),
    ),
    Row(
        "answerObjection",
        lambda t: {"objectionId": pub.objection_of(t), "outcome": "UPHELD", "reason": "经复核维持"},
        (OK, OK, NLD, NLD, NLD, NLD, U),
    ),
]
# 联络员制度 (附件2): the department (its liaison or admin) reports; the office (SYSTEM_ADMIN or
# SCJG's admin, domain/liaison/office.py) receives.  One report year per role column.
TABLE += [
    Row(
        "submitLiaisonReport",
        lambda t: {
            "department": "SCJG",
            "year": 2020 + int(t[1:]),
            "quarter": 1,
            "progress": "推进情况" + t,
        },
        (F, OK, F, F, F, OK, U),
    ),
    Row(
        "requestLiaisonReplacement",
        lambda t: {"requestId": f"RR-NEW-{t}", "department": "STHJ", "reason": "不履行职责"},
        ADMINS_OF_OWN,
    ),
    Row(
        "answerLiaisonReplacement",
        lambda t: {
            "requestId": lia.replacement_id(t),
            "outcome": "RETAINED",
            "response": "已谈话提醒",
        },
        ADMINS_OF_OWN,
    ),
    Row(
        "raiseCoordinationRequest",
        lambda t: {
            "requestId": f"CR-NEW-{t}",
            "department": "SCJG",
            "title": "协调" + t,
            "matter": "需要配合",
            "departments": ["STHJ"],
        },
        (F, OK, F, F, F, OK, U),
    ),
    Row(
        "answerCoordinationRequest",
        lambda t: {"requestId": lia.coordination_id(t), "response": "已协调"},
        ADMINS_OF_OWN,
    ),
]
# 联席会议: the office (SYSTEM_ADMIN or SCJG's admin) keeps the composition, meetings, minutes
# and action items; only the seat the composition records signs (``jm.seed_joint_meeting`` makes
# ``scjg-admin`` the vice convener); a recipient's admin or liaison acknowledges receipt; the
# responsible department's admin or liaison, or the office, reports an action item done.
RECIPIENTS = (F, OK, F, F, F, OK, U)
TABLE += [
    Row(
        "appointJointMeetingSeat",
        lambda t: {"position": "MEMBER", "name": "成员" + t, "department": "STHJ"},
        ADMINS_OF_OWN,
    ),
    Row(
        "vacateJointMeetingSeat",
        lambda t: {"position": "MEMBER", "department": "STHJ", "reason": "人事调整"},
        ADMINS_OF_OWN,
    ),
    Row(
        "scheduleMeeting",
        lambda t: {
            "meetingId": f"JM-NEW-{t}",
            "kind": "LIAISON_WORK",
            "title": "联络员工作会" + t,
            "heldOn": insp.today().isoformat(),
        },
        ADMINS_OF_OWN,
    ),
    Row(
        "recordMeetingAttendance",
        lambda t: {"meetingId": jm.meeting_id(t), "attended": ["SCJG"]},
        ADMINS_OF_OWN,
    ),
    Row("draftMinutes", lambda t: {"meetingId": jm.meeting_id(t), "text": "纪要"}, ADMINS_OF_OWN),
    Row(
        "reviseMinutes",
        lambda t: {"meetingId": jm.meeting_id(t), "number": 3, "text": "修订" + t},
        ADMINS_OF_OWN,
    ),
    Row(
        "signMinutes",
        lambda t: {"meetingId": jm.meeting_id(t), "number": 3},
        (F, OK, F, F, F, F, U),
    ),
    Row("issueMinutes", lambda t: {"meetingId": jm.meeting_id(t), "number": 1}, ADMINS_OF_OWN),
    Row(
        "acknowledgeMinutes",
        lambda t: {"meetingId": jm.meeting_id(t), "number": 2, "department": "SCJG"},
        RECIPIENTS,
    ),
    Row(
        "assignActionItem",
        lambda t: {
            "actionId": f"AI-NEW-{t}",
            "meetingId": jm.meeting_id(t),
            "minutesNumber": 1,
            "matter": 1,
            "title": "议定事项" + t,
            "department": "SCJG",
            "dueDate": (insp.today() + dt.timedelta(days=30)).isoformat(),
        },
        ADMINS_OF_OWN,
    ),
    Row(
        "completeActionItem",
        lambda t: {"actionId": jm.action_id(t), "evidence": "已办结" + t},
        (OK, OK, F, F, F, OK, U),
    ),
    Row(
        "remindActionItem",
        lambda t: {"actionId": jm.action_id(t), "note": "请抓紧办理"},
        ADMINS_OF_OWN,
    ),
]
# 宣传培训 (二(八)): the department (its liaison or admin) for its own inspectors, and the office.
TABLE += [
    Row(
        "recordTraining",
        lambda t: {
            "trainingId": f"TR-NEW-{t}",
            "department": "SCJG",
            "title": "培训" + t,
            "heldOn": "2024-05-20",
            "content": "抽查规范",
            "attendees": [reg.staff_id(t)],
        },
        (OK, OK, F, F, F, OK, U),
    ),
    Row(
        "recordTrainingAttendance",
        lambda t: {"trainingId": lia.training_id(t), "attendees": [reg.staff_id(t)]},
        (OK, OK, F, F, F, OK, U),
    ),
]
DRAW_MUTATIONS = frozenset({"commitDraw", "executeDraw", "voidDraw", "replaceInspector"})


def _input_type(mutation: str) -> str:
    return mutation[0].upper() + mutation[1:] + "Input"


def _id(row: Row) -> str:
    return f"{row.mutation}[{row.case}]" if row.case else row.mutation


def test_table_covers_every_mutation() -> None:
    """A new mutation without a row fails here (and a row for a removed one)."""
    schema = graphql.build_schema(SCHEMA.read_text(encoding="utf-8"))
    assert schema.mutation_type is not None
    assert {r.mutation for r in TABLE} == set(schema.mutation_type.fields)


@pytest.fixture
async def registry(app: Starlette, people: People, request: pytest.FixtureRequest) -> People:
    await reg.seed_matrix(app)
    await reg.seed_plans(app)
    row = getattr(request.node, "callspec", None) and request.node.callspec.params.get("row")
    if isinstance(row, Row) and row.mutation in DRAW_MUTATIONS:
        await reg.seed_draws(app, row.mutation)
    if isinstance(row, Row) and row.mutation in INSPECTION_MUTATIONS:
        await insp.seed_inspections(app, row.mutation)
    if isinstance(row, Row) and row.mutation in lia.REQUEST_MUTATIONS:
        await lia.seed_matrix_requests(app)
    if isinstance(row, Row) and row.mutation in lia.TRAINING_MUTATIONS:
        await lia.seed_matrix_trainings(app)
    if isinstance(row, Row) and row.mutation in pub.PROPOSAL_MUTATIONS:
        await pub.seed_proposals(app, row.mutation, reg.TAGS)
    if isinstance(row, Row) and row.mutation in jm.MUTATIONS:
        await jm.seed_joint_meeting(app)
    if isinstance(row, Row) and row.mutation in pub.RISK_MUTATIONS:
        await pub.seed_risk_proposals(app, row.mutation, reg.TAGS)
    if isinstance(row, Row) and row.mutation in pub.OBJECTION_MUTATIONS:
        await pub.seed_objections(app, reg.TAGS)
    if isinstance(row, Row) and row.mutation in pub.REMOVAL_MUTATIONS:
        await pub.seed_removals(app, reg.TAGS)
    return people


@pytest.mark.parametrize("row", TABLE, ids=_id)
async def test_authorization_matrix(gql: GQL, registry: People, row: Row) -> None:
    query = (
        f"mutation($input: {_input_type(row.mutation)}!) "
        f"{{ r: {row.mutation}(input: $input) {{ errors {{ code field message }} }} }}"
    )
    got = []
    for tag, user in zip(reg.TAGS, ROLES, strict=True):
        r = await gql(query, as_user=user, input=row.input(tag))
        assert "errors" not in r, r
        errors = r["data"]["r"]["errors"]
        got.append(errors[0]["code"] if errors else OK)
    assert dict(zip(HEADER, got, strict=True)) == dict(zip(HEADER, row.expect, strict=True))
