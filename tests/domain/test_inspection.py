"""The inspection aggregate (检查), without a database: every lifecycle, result and role rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.errors import DomainError
from spotcheck.domain.item import ItemMethod

KEY = "T1/1/SUBJ"
NOW = dt.datetime(2026, 10, 8, 23, 30, tzinfo=dt.UTC)  # 9 October in Beijing
TODAY = dt.date(2026, 10, 9)
DIGEST = "ab" * 32
TEAM = Actor(user_id="u-team", department="SCJG", roles=frozenset({Role.INSPECTOR}))
OTHER = Actor(user_id="u-other", department="SCJG", roles=frozenset({Role.INSPECTOR}))
LEAD_ADMIN = Actor(user_id="u-scjg", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
OTHER_ADMIN = Actor(user_id="u-sthj", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
SYS = Actor(user_id="u-admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
ITEMS = {
    "FOOD": i.ItemRef(
        code="FOOD",
        name="食品经营",
        department="SCJG",
        checklist=["1", "2"],
        methods=[ItemMethod.ON_SITE],
    ),
    "LAB": i.ItemRef(
        code="LAB",
        name="抽样检验",
        department="SCJG",
        checklist=["1"],
        methods=[ItemMethod.DELEGATED],
    ),
}
DRAWN = i.DrawnInspection(
    task_id="T1",
    draw_no=1,
    subject="SUBJ",
    items=["FOOD"],
    departments=["SCJG", "STHJ"],
    start_date=dt.date(2026, 9, 1),
    end_date=dt.date(2026, 12, 31),
)


def refs(**changes: Any) -> i.InspectionRefs:
    base = i.InspectionRefs(
        now=NOW,
        team={"u-team": "S1"},
        drawn=DRAWN,
        items=ITEMS,
        departments=frozenset({"SCJG", "STHJ"}),
        known_evidence=frozenset({DIGEST}),
        publication=i.PublicationRefs(subject_name="某公司", uscc="X", task_title="任务"),
    )
    return msgspec.structs.replace(base, **changes)


def result(
    item: str = "FOOD", code: i.ResultCode = i.ResultCode.R1, **changes: Any
) -> i.ItemResult:
    base = i.ItemResult(
        item=item,
        check_points=[
            i.CheckPointResult(point=p, mark=i.CheckMark.DONE) for p in ITEMS[item].checklist
        ],
        code=code,
        findings="" if code is i.ResultCode.R1 else "发现问题",
        follow_up=i.FollowUp(kind=i.FollowUpKind.NONE),
    )
    return msgspec.structs.replace(base, **changes)


def submit(
    *results: i.ItemResult, day: dt.date = dt.date(2026, 10, 1)
) -> i.SubmitInspectionResults:
    return i.SubmitInspectionResults(
        inspection_id=KEY, inspected_on=day, results=list(results) or [result()]
    )


def run(state: i.Inspection | None, command: Any, actor: Actor, **r: Any) -> i.Inspection:
    events = i.decide(state, command, actor, refs(**r))
    assert events
    out = i.SPEC.fold(events, state)
    assert out is not None
    return out


def problems(
    state: i.Inspection | None, command: Any, actor: Actor, **r: Any
) -> set[tuple[str, str | None]]:
    with pytest.raises(DomainError) as err:
        i.decide(state, command, actor, refs(**r))
    return {(p.code.value, p.field) for p in err.value.problems}


def approved(*results: i.ItemResult) -> i.Inspection:
    s = run(None, submit(*results), TEAM)
    return run(s, i.ApproveInspectionResults(inspection_id=KEY), LEAD_ADMIN)


def test_the_first_command_opens_the_drawn_inspection() -> None:
    events = i.decide(None, submit(), TEAM, refs())
    assert [type(e).__name__ for e in events] == ["InspectionOpened", "InspectionResultsSubmitted"]
    opened = events[0]
    assert isinstance(opened, i.InspectionOpened)
    assert (opened.task_id, opened.origin, opened.departments) == (
        "T1",
        i.InspectionOrigin.RANDOM,
        ["SCJG", "STHJ"],
    )
    special = i.decide(
        None, submit(), TEAM, refs(drawn=msgspec.structs.replace(DRAWN, special=True))
    )
    assert special[0].origin is i.InspectionOrigin.SPECIAL  # type: ignore[attr-defined]
    assert problems(None, submit(), TEAM, drawn=None) == {("NOT_FOUND", "inspectionId")}


def test_schedule() -> None:
    cmd = i.ScheduleInspection(inspection_id=KEY, scheduled_on=dt.date(2026, 10, 20))
    assert problems(None, cmd, OTHER) == {("NOT_ASSIGNED_INSPECTOR", "inspectionId")}
    assert problems(None, cmd, SYS) == {("NOT_ASSIGNED_INSPECTOR", "inspectionId")}
    s = run(None, cmd, TEAM)
    assert (s.status, s.scheduled_on) == (i.LifecycleStatus.SCHEDULED, dt.date(2026, 10, 20))
    assert i.decide(s, cmd, TEAM, refs()) == []  # the same date again: nothing
    past = msgspec.structs.replace(cmd, scheduled_on=dt.date(2026, 10, 8))
    assert problems(s, past, TEAM) == {("OUT_OF_RANGE", "scheduledOn")}
    late = msgspec.structs.replace(cmd, scheduled_on=dt.date(2027, 1, 4))
    assert problems(s, late, TEAM) == {("OUT_OF_RANGE", "scheduledOn")}
    done = run(s, submit(), TEAM)
    assert problems(done, cmd, TEAM) == {("INVALID_TRANSITION", "inspectionId")}


def test_only_the_team_submits() -> None:
    for actor in (OTHER, LEAD_ADMIN, SYS, OTHER_ADMIN):
        assert problems(None, submit(), actor) == {("NOT_ASSIGNED_INSPECTOR", "inspectionId")}
    s = run(None, submit(), TEAM)
    assert (s.status, s.submitted_by, s.inspected_on) == (
        i.LifecycleStatus.RESULTS_SUBMITTED,
        "S1",
        dt.date(2026, 10, 1),
    )


def test_inspected_on_is_within_the_task_and_not_in_the_future_beijing() -> None:
    assert problems(None, submit(day=dt.date(2026, 8, 31)), TEAM) == {
        ("OUT_OF_RANGE", "inspectedOn")
    }
    assert problems(None, submit(day=dt.date(2026, 10, 10)), TEAM) == {
        ("OUT_OF_RANGE", "inspectedOn")
    }
    # 23:30 UTC on 8 October is 9 October in Beijing: the 9th is not in the future.
    assert run(None, submit(day=TODAY), TEAM).inspected_on == TODAY


def test_one_result_per_item() -> None:
    assert problems(None, submit(result(), result()), TEAM) == {
        ("ALREADY_EXISTS", "results.1.item")
    }
    assert problems(None, submit(result("LAB")), TEAM) == {
        ("UNKNOWN_ITEM", "results.0.item"),
        ("REQUIRED", "results"),
    }


def test_every_check_point_exactly_once() -> None:
    one = result(check_points=[i.CheckPointResult(point="1", mark=i.CheckMark.DONE)])
    assert problems(None, submit(one), TEAM) == {("REQUIRED", "results.0.checkPoints")}
    twice = result(
        check_points=[
            i.CheckPointResult(point="1", mark=i.CheckMark.DONE),
            i.CheckPointResult(point="1", mark=i.CheckMark.DONE),
            i.CheckPointResult(point="2", mark=i.CheckMark.DONE),
        ]
    )
    assert problems(None, submit(twice), TEAM) == {
        ("ALREADY_EXISTS", "results.0.checkPoints.1.point")
    }
    unknown = result(
        check_points=[
            i.CheckPointResult(point="1", mark=i.CheckMark.DONE),
            i.CheckPointResult(point="2", mark=i.CheckMark.DONE),
            i.CheckPointResult(point="9", mark=i.CheckMark.DONE),
        ]
    )
    assert problems(None, submit(unknown), TEAM) == {("NOT_FOUND", "results.0.checkPoints.2.point")}
    na = result(
        check_points=[
            i.CheckPointResult(point="1", mark=i.CheckMark.NOT_APPLICABLE, note=" "),
            i.CheckPointResult(point="2", mark=i.CheckMark.NOT_APPLICABLE, note="无此业务"),
        ]
    )
    assert problems(None, submit(na), TEAM) == {("REQUIRED", "results.0.checkPoints.0.note")}


def test_codes_findings_and_follow_up_per_kind() -> None:
    order = i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=dt.date(2026, 11, 1))
    assert problems(None, submit(result(follow_up=order)), TEAM) == {
        ("INVALID_FORMAT", "results.0.followUp.kind")
    }  # code 1 takes no follow-up
    silent = result(code=i.ResultCode.A, findings=" ")
    assert problems(None, submit(silent), TEAM) == {("REQUIRED", "results.0.findings")}
    f = "results.0.followUp"
    cases = [
        (i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT), {("REQUIRED", f"{f}.correctBy")}),
        (i.FollowUp(kind=i.FollowUpKind.CASE_TRANSFER), {("REQUIRED", f"{f}.receivingBody")}),
        (i.FollowUp(kind=i.FollowUpKind.JUDICIAL_TRANSFER), {("REQUIRED", f"{f}.receivingBody")}),
        (
            i.FollowUp(kind=i.FollowUpKind.NOTIFY_DEPARTMENT),
            {("REQUIRED", f"{f}.notifyDepartment")},
        ),
        (i.FollowUp(kind=i.FollowUpKind.OTHER), {("REQUIRED", f"{f}.description")}),
        (
            i.FollowUp(kind=i.FollowUpKind.NONE, receiving_body="公安"),
            {("INVALID_FORMAT", f"{f}.receivingBody")},
        ),
        (
            i.FollowUp(kind=i.FollowUpKind.NOTIFY_DEPARTMENT, notify_department="NOPE"),
            {("UNKNOWN_DEPARTMENT", f"{f}.notifyDepartment")},
        ),
        (
            i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=dt.date(2026, 9, 30)),
            {("INVALID_DATE_RANGE", f"{f}.correctBy")},
        ),
        (  # a year typed wrong: more than MAX_CORRECTION_DAYS after the inspection
            i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=dt.date(2062, 10, 5)),
            {("OUT_OF_RANGE", f"{f}.correctBy")},
        ),
        (  # a receiving body is a name: one line
            i.FollowUp(kind=i.FollowUpKind.CASE_TRANSFER, receiving_body="区执法队\n二科"),
            {("INVALID_CHARACTER", f"{f}.receivingBody")},
        ),
    ]
    for follow_up, expected in cases:
        r = result(code=i.ResultCode.A, follow_up=follow_up)
        assert problems(None, submit(r), TEAM) == expected, follow_up
    transfer = i.FollowUp(kind=i.FollowUpKind.CASE_TRANSFER, receiving_body=" 区执法队 ")
    s = run(None, submit(result(code=i.ResultCode.D, follow_up=transfer)), TEAM)
    assert s.results[0].follow_up.receiving_body == "区执法队"
    assert s.results[0].follow_up.transfer_status is i.TransferStatus.TRANSFERRED
    lines = result(code=i.ResultCode.A, findings="一、未公示证照；\n二、台账不全。")
    assert run(None, submit(lines), TEAM).results[0].findings == "一、未公示证照；\n二、台账不全。"


def test_evidence_must_exist_and_delegated_reports_name_their_body() -> None:
    e = "results.0.evidence"
    unknown = result(evidence=[i.EvidenceRef(sha256="cd" * 32, description="照片")])
    assert problems(None, submit(unknown), TEAM) == {("NOT_FOUND", f"{e}.0.sha256")}
    malformed = result(evidence=[i.EvidenceRef(sha256="xyz", description="照片")])
    assert problems(None, submit(malformed), TEAM) == {("INVALID_FORMAT", f"{e}.0.sha256")}
    body = result(
        evidence=[i.EvidenceRef(sha256=DIGEST, description="报告", delegated_body="某检测所")]
    )
    assert problems(None, submit(body), TEAM) == {("INVALID_FORMAT", f"{e}.0.delegatedBody")}
    lab = msgspec.structs.replace(DRAWN, items=["LAB"])
    report = result("LAB", evidence=[i.EvidenceRef(sha256=DIGEST.upper(), description="检测报告")])
    assert problems(None, submit(report), TEAM, drawn=lab) == {("REQUIRED", f"{e}.0.delegatedBody")}
    named = result(
        "LAB",
        evidence=[i.EvidenceRef(sha256=DIGEST, description="检测报告", delegated_body="某检测所")],
    )
    s = run(None, submit(named), TEAM, drawn=lab)
    assert s.results[0].evidence[0].delegated_body == "某检测所"
    # An item not inspected by delegated testing needs no body for its evidence.
    written = {"LAB": msgspec.structs.replace(ITEMS["LAB"], methods=[ItemMethod.WRITTEN])}
    s = run(None, submit(report), TEAM, drawn=lab, items=written)
    assert s.results[0].evidence[0].sha256 == DIGEST  # normalised to lower case


def test_return_and_resubmit() -> None:
    s = run(None, submit(), TEAM)
    ret = i.ReturnInspectionResults(inspection_id=KEY, reason="照片不清")
    for actor in (TEAM, OTHER_ADMIN, OTHER):
        assert problems(s, ret, actor) == {("NOT_LEAD_DEPARTMENT", "inspectionId")}
    assert problems(s, msgspec.structs.replace(ret, reason=""), LEAD_ADMIN) == {
        ("REASON_REQUIRED", "reason")
    }
    s = run(s, ret, LEAD_ADMIN)
    assert (s.status, s.return_reasons) == (i.LifecycleStatus.RETURNED, ["照片不清"])
    approve = i.ApproveInspectionResults(inspection_id=KEY)
    assert problems(s, approve, LEAD_ADMIN) == {("INVALID_TRANSITION", "inspectionId")}
    s = run(s, submit(result(code=i.ResultCode.F)), TEAM)
    assert [r.code for r in s.results] == [i.ResultCode.F]
    s = run(s, approve, SYS)
    assert (s.status, s.approved_on, s.approved_at, s.approved_by) == (
        i.LifecycleStatus.APPROVED,
        TODAY,
        NOW,
        "u-admin",
    )
    assert problems(s, submit(), TEAM) == {("INVALID_TRANSITION", "inspectionId")}
    assert problems(s, ret, LEAD_ADMIN) == {("INVALID_TRANSITION", "inspectionId")}


def test_publication_builds_the_public_record() -> None:
    s = run(None, submit(), TEAM)
    publish = i.PublishInspectionResults(inspection_id=KEY)
    assert problems(s, publish, LEAD_ADMIN) == {("INVALID_TRANSITION", "inspectionId")}
    s = run(s, i.ApproveInspectionResults(inspection_id=KEY), LEAD_ADMIN)
    assert problems(s, publish, OTHER_ADMIN) == {("NOT_LEAD_DEPARTMENT", "inspectionId")}
    s = run(s, publish, LEAD_ADMIN)
    assert s.status is i.LifecycleStatus.PUBLISHED and s.published_on == TODAY
    assert s.record == i.PublishedRecord(
        inspection_id=KEY,
        origin=i.InspectionOrigin.RANDOM,
        task_id="T1",
        task_title="任务",
        subject="SUBJ",
        subject_name="某公司",
        uscc="X",
        departments=["SCJG", "STHJ"],
        inspected_on=dt.date(2026, 10, 1),
        approved_on=TODAY,
        published_on=TODAY,
        items=[
            i.PublishedItem(
                item="FOOD",
                item_name="食品经营",
                code=i.ResultCode.R1,
                follow_up=i.FollowUpKind.NONE,
            )
        ],
    )
    assert problems(s, publish, LEAD_ADMIN) == {("INVALID_TRANSITION", "inspectionId")}


def test_amendments_after_approval_never_overwrite() -> None:
    amend = i.AmendInspectionResult(
        inspection_id=KEY, result=result(code=i.ResultCode.F), reason="误选代码"
    )
    s = run(None, submit(), TEAM)
    assert problems(s, amend, LEAD_ADMIN) == {("INVALID_TRANSITION", "inspectionId")}
    s = run(s, i.ApproveInspectionResults(inspection_id=KEY), LEAD_ADMIN)
    assert problems(s, amend, TEAM) == {("NOT_LEAD_DEPARTMENT", "inspectionId")}
    assert problems(s, msgspec.structs.replace(amend, reason=None), LEAD_ADMIN) == {
        ("REASON_REQUIRED", "reason")
    }
    assert i.decide(s, msgspec.structs.replace(amend, result=result()), LEAD_ADMIN, refs()) == []
    after = run(s, amend, LEAD_ADMIN)
    assert after.status is i.LifecycleStatus.APPROVED and after.record is None
    assert [r.code for r in after.results] == [i.ResultCode.F]
    (a,) = after.amendments
    assert (a.number, a.before.code, a.after.code, a.by, a.at) == (
        1,
        i.ResultCode.R1,
        i.ResultCode.F,
        "u-scjg",
        NOW,
    )
    published = run(after, i.PublishInspectionResults(inspection_id=KEY), LEAD_ADMIN)
    again = i.AmendInspectionResult(
        inspection_id=KEY, result=result(code=i.ResultCode.R1), reason="复核"
    )
    events = i.decide(published, again, SYS, refs())
    (event,) = events
    assert isinstance(event, i.InspectionResultAmended) and event.record is not None
    assert [x.code for x in event.record.items] == [i.ResultCode.R1]
    assert [
        (x.number, x.before_code, x.after_code, x.amended_on) for x in event.record.amendments
    ] == [
        (1, i.ResultCode.R1, i.ResultCode.F, TODAY),
        (2, i.ResultCode.F, i.ResultCode.R1, TODAY),
    ]
    final = i.SPEC.fold(events, published)
    assert final is not None and final.status is i.LifecycleStatus.PUBLISHED
    assert final.record == event.record and len(final.amendments) == 2


def test_recheck_of_an_order_to_correct() -> None:
    order = i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=dt.date(2026, 10, 5))
    s = approved(result(code=i.ResultCode.A, follow_up=order))
    cmd = i.RecordCorrectionRecheck(
        inspection_id=KEY, item="FOOD", rechecked_on=dt.date(2026, 10, 6), corrected=False
    )
    assert problems(s, cmd, OTHER) == {("NOT_ASSIGNED_INSPECTOR", "inspectionId")}
    assert problems(s, cmd, OTHER_ADMIN) == {("NOT_ASSIGNED_INSPECTOR", "inspectionId")}
    assert problems(s, cmd, TEAM) == {("REQUIRED", "note")}
    future = msgspec.structs.replace(cmd, rechecked_on=dt.date(2026, 10, 10), note="x")
    assert problems(s, future, TEAM) == {("OUT_OF_RANGE", "recheckedOn")}
    s = run(s, msgspec.structs.replace(cmd, note="未改正"), TEAM)
    assert s.results[0].follow_up.corrected is False
    s = run(s, msgspec.structs.replace(cmd, corrected=True), LEAD_ADMIN)
    assert (s.results[0].follow_up.corrected, s.results[0].follow_up.rechecked_on) == (
        True,
        dt.date(2026, 10, 6),
    )
    assert problems(s, msgspec.structs.replace(cmd, corrected=True), TEAM) == {
        ("INVALID_TRANSITION", "item")
    }
    plain = approved()
    assert problems(plain, cmd, TEAM) == {("INVALID_TRANSITION", "item")}
    assert problems(plain, msgspec.structs.replace(cmd, item="NOPE"), TEAM) == {
        ("UNKNOWN_ITEM", "item")
    }


def test_transfer_moves_forward_only() -> None:
    transfer = i.FollowUp(kind=i.FollowUpKind.JUDICIAL_TRANSFER, receiving_body="区公安分局")
    s = approved(result(code=i.ResultCode.D, follow_up=transfer))
    cmd = i.UpdateCaseTransfer(inspection_id=KEY, item="FOOD", status=i.TransferStatus.ACCEPTED)
    assert problems(s, cmd, TEAM) == {("NOT_LEAD_DEPARTMENT", "inspectionId")}
    s = run(s, cmd, LEAD_ADMIN)
    assert s.results[0].follow_up.transfer_status is i.TransferStatus.ACCEPTED
    assert i.decide(s, cmd, LEAD_ADMIN, refs()) == []
    back = msgspec.structs.replace(cmd, status=i.TransferStatus.TRANSFERRED)
    assert problems(s, back, LEAD_ADMIN) == {("INVALID_TRANSITION", "status")}
    s = run(s, msgspec.structs.replace(cmd, status=i.TransferStatus.CLOSED, note="已判决"), SYS)
    assert problems(s, msgspec.structs.replace(cmd, status=i.TransferStatus.CASE_FILED), SYS) == {
        ("INVALID_TRANSITION", "status")
    }


def officer(staff: str, **changes: Any) -> ins.Inspector:
    base = ins.Inspector(
        staff_id=staff,
        name=staff,
        department="SCJG",
        kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
        certificate_number="ZF",
        certificate_valid_from=dt.date(2024, 1, 1),
        certificate_valid_until=dt.date(2028, 1, 1),
    )
    return msgspec.structs.replace(base, **changes)


def open_case(**changes: Any) -> i.OpenCaseInspection:
    base = i.OpenCaseInspection(
        department="SCJG",
        reference="TS-1",
        source=i.CaseSource.REFERRAL,
        subject="SUBJ",
        items=["FOOD"],
        officers=["A", "B"],
        reason="上级交办",
        end_date=dt.date(2026, 10, 31),
    )
    return msgspec.structs.replace(base, **changes)


OFFICERS = {
    "A": officer("A"),
    "B": officer("B"),
    "EXPIRED": officer("EXPIRED", certificate_valid_until=dt.date(2026, 1, 1)),
    "LEAVE": officer("LEAVE", status=ins.InspectorStatus.ON_LEAVE),
    "EXPERT": officer("EXPERT", kind=ins.InspectorKind.EXPERT),
    "STHJ": officer("STHJ", department="STHJ"),
    "CONFLICT": officer("CONFLICT", conflicts=[ins.Conflict(subject_key="SUBJ", reason="亲属")]),
}


def test_case_inspection() -> None:
    r = {"officers": OFFICERS, "subject_exists": True, "drawn": None}
    for actor in (SYS, OTHER_ADMIN, TEAM):
        assert problems(None, open_case(), actor, **r) == {("FORBIDDEN", "department")}
    s = run(None, open_case(), LEAD_ADMIN, **r)
    assert (s.inspection_id, s.origin, s.task_id, s.departments, s.start_date) == (
        "CASE/SCJG/TS-1",
        i.InspectionOrigin.CASE,
        None,
        ["SCJG"],
        TODAY,
    )
    assert s.case is not None and (s.case.assigned_by, s.case.officers) == ("u-scjg", ["A", "B"])
    assert problems(s, open_case(), LEAD_ADMIN, **r) == {("ALREADY_EXISTS", "reference")}
    bad = open_case(
        reference="-bad",
        reason=" ",
        items=["NOPE"],
        officers=["A", "EXPIRED", "LEAVE", "EXPERT", "STHJ", "CONFLICT", "GHOST", "A"],
        end_date=dt.date(2026, 10, 8),
    )
    assert problems(None, bad, LEAD_ADMIN, **r) == {
        ("INVALID_FORMAT", "reference"),
        ("REASON_REQUIRED", "reason"),
        ("UNKNOWN_ITEM", "items.0"),
        ("INVALID_DATE_RANGE", "endDate"),
        ("INSPECTOR_NOT_ELIGIBLE", "officers.1"),
        ("INSPECTOR_NOT_ELIGIBLE", "officers.2"),
        ("INSPECTOR_NOT_ELIGIBLE", "officers.3"),
        ("DEPARTMENT_NOT_PARTICIPATING", "officers.4"),
        ("CONFLICT_OF_INTEREST", "officers.5"),
        ("NOT_FOUND", "officers.6"),
        ("ALREADY_EXISTS", "officers.7"),
    }
    assert problems(None, open_case(officers=["A"]), LEAD_ADMIN, **r) == {
        ("OUT_OF_RANGE", "officers")
    }
    far = TODAY + dt.timedelta(days=i.MAX_CASE_DAYS + 1)
    assert problems(None, open_case(end_date=far), LEAD_ADMIN, **r) == {("OUT_OF_RANGE", "endDate")}
    last = TODAY + dt.timedelta(days=i.MAX_CASE_DAYS)
    assert run(None, open_case(end_date=last), LEAD_ADMIN, **r).end_date == last
    assert problems(None, open_case(), LEAD_ADMIN, officers=OFFICERS, drawn=None) == {
        ("NOT_FOUND", "subject")
    }
    foreign = {"FOOD": msgspec.structs.replace(ITEMS["FOOD"], department="STHJ")}
    assert problems(None, open_case(), LEAD_ADMIN, items=foreign, **r) == {("FORBIDDEN", "items.0")}
    # Its team (by refs) enters results like any other; the lifecycle is the same.
    after = run(s, submit(day=TODAY), TEAM)
    assert after.status is i.LifecycleStatus.RESULTS_SUBMITTED
    missing = i.ScheduleInspection(inspection_id="CASE/SCJG/NONE", scheduled_on=TODAY)
    assert problems(None, missing, TEAM) == {("NOT_FOUND", "inspectionId")}


def test_result_codes_and_descriptions() -> None:
    assert set(i.RESULT_CODE_DESCRIPTIONS) == set(i.ResultCode)
    assert [c.value for c in i.ResultCode][:2] == ["1", "A"]
    assert i.PROBLEM_CODES == {i.ResultCode[n] for n in ("A", "B", "C", "D", "E", "G", "R6", "R8")}


def test_events_round_trip_through_json() -> None:
    s = approved(
        result(
            code=i.ResultCode.A,
            findings="x",
            evidence=[i.EvidenceRef(sha256=DIGEST, description="d")],
        )
    )
    s = run(s, i.PublishInspectionResults(inspection_id=KEY), LEAD_ADMIN)
    data = i.SPEC.state_data(s)
    assert i.SPEC.state_from_data(msgspec.json.decode(msgspec.json.encode(data))) == s
