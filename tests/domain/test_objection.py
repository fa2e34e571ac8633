"""异议 Objections without a database: standing, what the public may send, the answers, and the
answer deadline on the working-day calendar (调休 and a year without a schedule)."""

from __future__ import annotations

import datetime as dt

import pytest

from spotcheck.domain import inspection as ins
from spotcheck.domain import objection as ob
from spotcheck.domain.actor import PUBLIC, Actor, Role
from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.services.objections import AnswerStatus, assess_answer

SYSTEM_ADMIN = Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor(
    user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
STHJ_ADMIN = Actor(
    user_id="sthj-admin", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN})
)
INSPECTOR = Actor(user_id="inspector", department="SCJG", roles=frozenset({Role.INSPECTOR}))
USCC = "91110106MA01ABCD1X"
KEY = "OBJ-0123456789ABCDEF"
DAY = dt.date(2026, 9, 24)
SHA = "ab" * 32
RECORD = ins.PublishedRecord(
    inspection_id="CASE/SCJG/1",
    origin=ins.InspectionOrigin.CASE,
    task_id=None,
    task_title=None,
    subject=USCC,
    subject_name="丰台某商贸有限公司",
    uscc=USCC,
    departments=["SCJG"],
    inspected_on=DAY,
    approved_on=DAY,
    published_on=DAY,
    items=[
        ins.PublishedItem(
            item="SCJG-PUB",
            item_name="食品经营许可检查",
            code=ins.ResultCode.D,
            follow_up=ins.FollowUpKind.NONE,
        )
    ],
)
REFS = ob.ObjectionRefs(today=DAY, record=RECORD, known_evidence=frozenset({SHA}))
FILE = ob.FileObjection(
    inspection_id="CASE/SCJG/1", uscc=USCC.lower(), grounds="检查当日已停业装修"
)


def _code(exc: pytest.ExceptionInfo[DomainError]) -> tuple[ErrorCode, str | None]:
    return exc.value.code, exc.value.problems[0].field


def _filed(actor: Actor = PUBLIC, command: ob.FileObjection = FILE) -> ob.Objection:
    state = ob.SPEC.fold(ob.decide(None, command, actor, REFS, KEY))
    assert state is not None
    return state


def test_the_public_files_with_the_uscc() -> None:
    state = _filed()
    assert (state.filer, state.filed_by, state.filed_on) == (ob.FilerKind.PUBLIC, "public", DAY)
    assert (state.department, state.working_days, state.status) == (
        "SCJG",
        ob.DEFAULT_ANSWER_WORKING_DAYS,
        ob.ObjectionStatus.FILED,
    )


@pytest.mark.parametrize(
    "refs,uscc",
    [
        (ob.ObjectionRefs(today=DAY), USCC),  # no published result of that key
        (REFS, "91110106MA01ABCD2Y"),  # another subject's USCC
        (REFS, None),  # no USCC at all
    ],
    ids=["unpublished", "other-uscc", "no-uscc"],
)
def test_the_public_learns_nothing_but_not_found(refs: ob.ObjectionRefs, uscc: str | None) -> None:
    command = ob.FileObjection(inspection_id="CASE/SCJG/1", uscc=uscc, grounds="理由")
    with pytest.raises(DomainError) as exc:
        ob.decide(None, command, PUBLIC, refs, KEY)
    assert _code(exc) == (ErrorCode.NOT_FOUND, "inspectionId")
    assert "CASE/SCJG/1" in exc.value.problems[0].message


def test_the_public_sends_grounds_only() -> None:
    command = ob.FileObjection(
        inspection_id="CASE/SCJG/1",
        uscc=USCC,
        grounds="理由",
        attachments=[ob.Attachment(sha256=SHA)],
    )
    with pytest.raises(DomainError) as exc:
        ob.decide(None, command, PUBLIC, REFS, KEY)
    assert _code(exc) == (ErrorCode.FORBIDDEN, "attachments")


def test_staff_register_with_attachments_and_checked_items() -> None:
    command = ob.FileObjection(
        inspection_id="CASE/SCJG/1",
        grounds="企业提交的书面异议",
        items=["SCJG-PUB"],
        attachments=[ob.Attachment(sha256=SHA.upper(), description="营业执照")],
    )
    state = _filed(SCJG_ADMIN, command)
    assert state.filer is ob.FilerKind.STAFF
    assert state.attachments == [ob.Attachment(sha256=SHA, description="营业执照")]
    bad = ob.FileObjection(
        inspection_id="CASE/SCJG/1",
        grounds="x",
        items=["NOPE"],
        attachments=[ob.Attachment(sha256="cd" * 32)],
    )
    with pytest.raises(DomainError) as exc:
        ob.decide(None, bad, SCJG_ADMIN, REFS, KEY)
    assert {(p.code, p.field) for p in exc.value.problems} == {
        (ErrorCode.UNKNOWN_ITEM, "items.0"),
        (ErrorCode.NOT_FOUND, "attachments.0.sha256"),
    }


@pytest.mark.parametrize("actor", [STHJ_ADMIN, INSPECTOR], ids=["sthj", "inspector"])
def test_other_staff_do_not_file(actor: Actor) -> None:
    with pytest.raises(DomainError) as exc:
        ob.decide(None, FILE, actor, REFS, KEY)
    assert _code(exc) == (ErrorCode.FORBIDDEN, None)


def test_grounds_are_required_and_bounded() -> None:
    for grounds, code in ((" ", ErrorCode.REQUIRED), ("x" * 5001, ErrorCode.TOO_LONG)):
        command = ob.FileObjection(inspection_id="CASE/SCJG/1", uscc=USCC, grounds=grounds)
        with pytest.raises(DomainError) as exc:
            ob.decide(None, command, PUBLIC, REFS, KEY)
        assert _code(exc) == (code, "grounds")


@pytest.mark.parametrize("outcome", [ob.AnswerOutcome.UPHELD, ob.AnswerOutcome.REJECTED])
def test_upheld_or_rejected_with_reasons(outcome: ob.AnswerOutcome) -> None:
    state = _filed()
    answer = ob.AnswerObjection(objection_id=KEY, outcome=outcome, reason="经复核，原结果无误")
    later = ob.ObjectionRefs(today=DAY + dt.timedelta(days=3))
    answered = ob.SPEC.fold(ob.decide(state, answer, SCJG_ADMIN, later, KEY), state)
    assert answered is not None
    assert (answered.status, answered.outcome, answered.answered_on) == (
        ob.ObjectionStatus.ANSWERED,
        outcome,
        DAY + dt.timedelta(days=3),
    )
    with pytest.raises(DomainError) as exc:
        ob.decide(answered, answer, SCJG_ADMIN, later, KEY)
    assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "objectionId")


def test_an_answer_needs_a_reason_and_the_lead_department() -> None:
    state = _filed()
    answer = ob.AnswerObjection(objection_id=KEY, outcome=ob.AnswerOutcome.REJECTED)
    with pytest.raises(DomainError) as exc:
        ob.decide(state, answer, SCJG_ADMIN, REFS, KEY)
    assert _code(exc) == (ErrorCode.REASON_REQUIRED, "reason")
    with pytest.raises(DomainError) as exc:
        ob.decide(state, answer, STHJ_ADMIN, REFS, KEY)
    assert _code(exc) == (ErrorCode.NOT_LEAD_DEPARTMENT, "objectionId")
    with pytest.raises(DomainError) as exc:
        ob.decide(None, answer, SCJG_ADMIN, REFS, KEY)
    assert _code(exc) == (ErrorCode.NOT_FOUND, "objectionId")


def test_corrected_needs_an_amendment_citing_the_objection() -> None:
    state = _filed()
    corrected = ob.AnswerObjection(
        objection_id=KEY, outcome=ob.AnswerOutcome.CORRECTED, reason="已更正"
    )
    with pytest.raises(DomainError) as exc:
        ob.decide(state, corrected, SCJG_ADMIN, REFS, KEY)
    assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "outcome")
    amended = ob.ObjectionRefs(today=DAY, amendments=[1])
    (event,) = ob.decide(state, corrected, SYSTEM_ADMIN, amended, KEY)
    assert isinstance(event, ob.ObjectionAnswered) and event.amendments == [1]
    upheld = ob.AnswerObjection(objection_id=KEY, outcome=ob.AnswerOutcome.UPHELD, reason="维持")
    with pytest.raises(DomainError) as exc:
        ob.decide(state, upheld, SCJG_ADMIN, amended, KEY)
    assert _code(exc) == (ErrorCode.INVALID_TRANSITION, "outcome")


def test_an_amendment_cites_only_an_open_objection_to_its_result() -> None:
    state = ins.Inspection(
        inspection_id="CASE/SCJG/1",
        origin=ins.InspectionOrigin.CASE,
        status=ins.LifecycleStatus.PUBLISHED,
        task_id=None,
        subject=USCC,
        items=["SCJG-PUB"],
        departments=["SCJG"],
        inspected_on=DAY,
        results=[
            ins.ItemResult(
                item="SCJG-PUB",
                check_points=[ins.CheckPointResult(point="1", mark=ins.CheckMark.DONE)],
                code=ins.ResultCode.D,
                findings="发现问题",
                follow_up=ins.FollowUp(kind=ins.FollowUpKind.NONE),
            )
        ],
        approved_on=DAY,
    )
    new = ins.ItemResult(
        item="SCJG-PUB",
        check_points=[ins.CheckPointResult(point="1", mark=ins.CheckMark.DONE)],
        code=ins.ResultCode.F,
        findings="",
        follow_up=ins.FollowUp(kind=ins.FollowUpKind.NONE),
    )
    refs = ins.InspectionRefs(
        now=dt.datetime(2026, 9, 25, 2, tzinfo=dt.UTC),
        items={
            "SCJG-PUB": ins.ItemRef(
                code="SCJG-PUB", name="n", department="SCJG", checklist=["1"], methods=[]
            )
        },
        open_objections=frozenset({KEY}),
    )
    amend = ins.AmendInspectionResult(
        inspection_id="CASE/SCJG/1", result=new, reason="异议成立", objection_id=KEY
    )
    (event,) = ins.decide(state, amend, SCJG_ADMIN, refs)
    assert isinstance(event, ins.InspectionResultAmended) and event.objection_id == KEY
    other = ins.AmendInspectionResult(
        inspection_id="CASE/SCJG/1", result=new, reason="x", objection_id="OBJ-FFFFFFFFFFFFFFFF"
    )
    with pytest.raises(DomainError) as exc:
        ins.decide(state, other, SCJG_ADMIN, refs)
    assert _code(exc) == (ErrorCode.NOT_FOUND, "objectionId")


# The answer deadline on the working-day calendar.
CALENDAR = WorkingCalendar.build([])


def _objection(filed_on: dt.date, answered_on: dt.date | None = None) -> ob.Objection:
    state = _filed()
    return ob.Objection(
        **{
            **{f: getattr(state, f) for f in state.__struct_fields__},
            "filed_on": filed_on,
            "answered_on": answered_on,
        }
    )


def test_deadline_skips_the_national_day_holiday_and_counts_the_adjusted_saturday() -> None:
    # 2026: 9月25日-27日 中秋 and 10月1日-7日 国庆 放假; 10月10日 (Sat) 调休上班.
    filed = dt.date(2026, 9, 24)  # Thursday
    d = assess_answer(CALENDAR, filed, _objection(filed))
    # 28, 29, 30 Sep, 8, 9, 10 (Sat, 调休), 12, 13, 14, 15 Oct → the 10th: 15 October.
    assert (d.deadline, d.status) == (dt.date(2026, 10, 15), AnswerStatus.DUE)
    on_time = assess_answer(CALENDAR, filed, _objection(filed, dt.date(2026, 10, 15)))
    late = assess_answer(CALENDAR, filed, _objection(filed, dt.date(2026, 10, 16)))
    overdue = assess_answer(CALENDAR, dt.date(2026, 10, 16), _objection(filed))
    assert (on_time.status, late.status, overdue.status) == (
        AnswerStatus.ON_TIME,
        AnswerStatus.LATE,
        AnswerStatus.OVERDUE,
    )


def test_a_year_without_a_schedule_leaves_the_deadline_undetermined() -> None:
    filed = dt.date(2026, 12, 28)
    d = assess_answer(CALENDAR, dt.date(2027, 1, 20), _objection(filed))
    assert (d.deadline, d.problem_year, d.status) == (None, 2027, AnswerStatus.UNDETERMINED)
    before = assess_answer(CALENDAR, dt.date(2026, 12, 30), _objection(filed))
    assert before.status is AnswerStatus.DUE
