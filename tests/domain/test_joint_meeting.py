"""联席会议: composition, meetings, minutes (审签, 印发, 签收, corrections) and action items
(议定事项), pure decide/evolve without a database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt

TODAY = date(2026, 6, 10)
DEPARTMENTS = frozenset({"SCJG", "STHJ", "GAJ", "SWJ"})
OFFICE = Actor(user_id="office", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
ADMIN = Actor(user_id="admin", roles=frozenset({Role.SYSTEM_ADMIN}))
CONVENER = Actor(user_id="convener", department="QZF", roles=frozenset({Role.AUDITOR}))
VICE = Actor(user_id="vice", department="SCJG", roles=frozenset({Role.AUDITOR}))
STHJ_ADMIN = Actor(user_id="sthj", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_LIAISON = Actor(user_id="l-sthj", department="STHJ", liaison_of=frozenset({"STHJ"}))
INSPECTOR = Actor(user_id="i", department="SCJG", roles=frozenset({Role.INSPECTOR}))


def problems(call: Any) -> set[tuple[str, str | None]]:
    with pytest.raises(DomainError) as caught:
        call()
    return {(p.code.value, p.field) for p in caught.value.problems}


def composition() -> jc.Composition:
    refs = jc.CompositionRefs(
        departments=DEPARTMENTS, accounts=frozenset({"convener", "vice"}), today=TODAY
    )
    events: list[Event] = []
    state: jc.Composition | None = None
    for c in (
        jc.AppointJointMeetingSeat(
            position=jc.Position.CONVENER, name="区领导", user_id="convener"
        ),
        jc.AppointJointMeetingSeat(
            position=jc.Position.VICE_CONVENER, name="李广隆", department="SCJG", user_id="vice"
        ),
        jc.AppointJointMeetingSeat(
            position=jc.Position.OFFICE_DIRECTOR, name="陶洪", department="SCJG"
        ),
        jc.AppointJointMeetingSeat(position=jc.Position.MEMBER, name="王", department="STHJ"),
        jc.AppointJointMeetingSeat(position=jc.Position.MEMBER, name="张", department="GAJ"),
    ):
        new = jc.decide(state, c, OFFICE, refs)
        events += new
        state = jc.SPEC.fold(new, state)
    assert state is not None
    return state


def meeting_refs(today: date = TODAY) -> mt.MeetingRefs:
    return mt.MeetingRefs(departments=DEPARTMENTS, composition=composition(), today=today)


def run(state: mt.Meeting | None, command: mt.MeetingCommand, actor: Actor) -> mt.Meeting:
    out = mt.SPEC.fold(mt.decide(state, command, actor, meeting_refs()), state)
    assert out is not None
    return out


def held() -> mt.Meeting:
    return run(
        None,
        mt.ScheduleMeeting(
            meeting_id="2026-1",
            kind=mt.MeetingKind.PLENARY,
            title="2026年第一次全体会议",
            held_on=TODAY,
            agenda=["传达市联席会精神", "审议年度计划"],
            documents=["京双随机联席发〔2026〕1号"],
            attended=["SCJG", "STHJ"],
        ),
        OFFICE,
    )


def drafted(state: mt.Meeting | None = None) -> mt.Meeting:
    return run(
        state or held(),
        mt.DraftMinutes(
            meeting_id="2026-1",
            text="会议纪要正文",
            decisions=["各单位报送年度计划", "开展联合抽查"],
            recipients=["SWJ"],
        ),
        OFFICE,
    )


def test_composition_is_changed_by_the_office_only() -> None:
    state = composition()
    assert [s.position for s in state.seats][:3] == [
        jc.Position.CONVENER,
        jc.Position.VICE_CONVENER,
        jc.Position.OFFICE_DIRECTOR,
    ]
    assert state.member_departments == ["GAJ", "SCJG", "STHJ"]
    refs = jc.CompositionRefs(departments=DEPARTMENTS, accounts=frozenset(), today=TODAY)
    c = jc.AppointJointMeetingSeat(position=jc.Position.MEMBER, name="赵", department="SWJ")
    assert problems(lambda: jc.decide(state, c, STHJ_ADMIN, refs)) == {("FORBIDDEN", None)}
    assert jc.decide(state, c, ADMIN, refs)  # SYSTEM_ADMIN is the office too
    # A member seat names its department; the signing seats name an account.
    bad = jc.AppointJointMeetingSeat(position=jc.Position.MEMBER, name="赵")
    assert problems(lambda: jc.decide(state, bad, OFFICE, refs)) == {("REQUIRED", "department")}
    bad = jc.AppointJointMeetingSeat(position=jc.Position.CONVENER, name="赵", user_id="nobody")
    assert problems(lambda: jc.decide(state, bad, OFFICE, refs)) == {("NOT_FOUND", "userId")}
    # The same appointment again writes nothing; vacating needs a reason.
    again = jc.AppointJointMeetingSeat(position=jc.Position.MEMBER, name="王", department="STHJ")
    assert jc.decide(state, again, OFFICE, refs) == []
    vacate = jc.VacateJointMeetingSeat(position=jc.Position.MEMBER, department="STHJ", reason="")
    assert problems(lambda: jc.decide(state, vacate, OFFICE, refs)) == {
        ("REASON_REQUIRED", "reason")
    }
    vacate = jc.VacateJointMeetingSeat(
        position=jc.Position.MEMBER, department="STHJ", reason="调整"
    )
    after = jc.SPEC.fold(jc.decide(state, vacate, OFFICE, refs), state)
    assert after is not None and after.member_departments == ["GAJ", "SCJG"]


def test_only_the_convener_or_vice_convener_signs() -> None:
    state = drafted()
    sign = mt.SignMinutes(meeting_id="2026-1", number=1)
    for actor in (OFFICE, ADMIN, STHJ_ADMIN, INSPECTOR):
        assert problems(lambda a=actor: mt.decide(state, sign, a, meeting_refs())) == {
            ("FORBIDDEN", None)
        }
    by_vice = run(state, sign, VICE)
    m = by_vice.minutes[0]
    assert (m.status, m.signed_as, m.signed_by, m.signed_on) == (
        mt.MinutesStatus.SIGNED,
        jc.Position.VICE_CONVENER,
        "vice",
        TODAY,
    )
    assert run(state, sign, CONVENER).minutes[0].signed_as is jc.Position.CONVENER
    # No composition recorded: nobody signs.
    refs = mt.MeetingRefs(departments=DEPARTMENTS, composition=None, today=TODAY)
    assert problems(lambda: mt.decide(state, sign, VICE, refs)) == {("FORBIDDEN", None)}


def test_a_signed_minute_cannot_change() -> None:
    signed = run(drafted(), mt.SignMinutes(meeting_id="2026-1", number=1), VICE)
    revise = mt.ReviseMinutes(meeting_id="2026-1", number=1, text="改过的纪要")
    assert problems(lambda: mt.decide(signed, revise, OFFICE, meeting_refs())) == {
        ("INVALID_TRANSITION", "number")
    }
    sign_again = mt.SignMinutes(meeting_id="2026-1", number=1)
    assert problems(lambda: mt.decide(signed, sign_again, CONVENER, meeting_refs())) == {
        ("INVALID_TRANSITION", "number")
    }
    # A draft may be revised.
    revised = run(drafted(), revise, OFFICE)
    assert revised.minutes[0].text == "改过的纪要"


def test_a_correction_is_a_new_minute_citing_the_signed_one() -> None:
    signed = run(drafted(), mt.SignMinutes(meeting_id="2026-1", number=1), VICE)
    no_reason = mt.DraftMinutes(meeting_id="2026-1", text="更正", corrects=1)
    assert problems(lambda: mt.decide(signed, no_reason, OFFICE, meeting_refs())) == {
        ("REASON_REQUIRED", "reason")
    }
    draft = drafted()
    cite_draft = mt.DraftMinutes(meeting_id="2026-1", text="更正", corrects=1, reason="笔误")
    assert problems(lambda: mt.decide(draft, cite_draft, OFFICE, meeting_refs())) == {
        ("INVALID_TRANSITION", "corrects")
    }
    corrected = run(signed, cite_draft, OFFICE)
    assert [m.number for m in corrected.minutes] == [1, 2]
    assert corrected.minutes[1].corrects == 1
    assert corrected.minutes[0].corrected_by == []  # until the correction is signed
    done = run(corrected, mt.SignMinutes(meeting_id="2026-1", number=2), CONVENER)
    assert done.minutes[0].corrected_by == [2]
    assert done.minutes[0].text == "会议纪要正文"  # the cited minute itself is unchanged


def test_issued_minutes_show_who_acknowledged() -> None:
    draft = drafted()
    issue = mt.IssueMinutes(meeting_id="2026-1", number=1)
    assert problems(lambda: mt.decide(draft, issue, OFFICE, meeting_refs())) == {
        ("INVALID_TRANSITION", "number")
    }
    signed = run(draft, mt.SignMinutes(meeting_id="2026-1", number=1), VICE)
    assert problems(lambda: mt.decide(signed, issue, STHJ_ADMIN, meeting_refs())) == {
        ("FORBIDDEN", None)
    }
    issued = run(signed, issue, OFFICE)
    m = issued.minutes[0]
    assert m.status is mt.MinutesStatus.ISSUED
    assert m.issued_to == ["GAJ", "SCJG", "STHJ", "SWJ"]  # every seat's department + named
    ack = mt.AcknowledgeMinutes(meeting_id="2026-1", number=1, department="STHJ")
    assert problems(lambda: mt.decide(issued, ack, INSPECTOR, meeting_refs())) == {
        ("FORBIDDEN", "department")
    }
    assert problems(lambda: mt.decide(issued, ack, OFFICE, meeting_refs())) == {
        ("FORBIDDEN", "department")
    }
    by_admin = run(issued, ack, STHJ_ADMIN)
    assert [(a.department, a.acknowledged_on) for a in by_admin.minutes[0].acknowledgements] == [
        ("STHJ", TODAY)
    ]
    assert mt.decide(by_admin, ack, STHJ_LIAISON, meeting_refs()) == []  # once is enough
    swj = mt.AcknowledgeMinutes(meeting_id="2026-1", number=1, department="SWJ")
    swj_admin = Actor(user_id="s", department="SWJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
    assert run(by_admin, swj, swj_admin).minutes[0].acknowledgements[1].department == "SWJ"
    outside = Actor(user_id="x", department="SCJG", liaison_of=frozenset({"QT"}))
    not_sent = mt.AcknowledgeMinutes(meeting_id="2026-1", number=1, department="QT")
    assert problems(lambda: mt.decide(issued, not_sent, outside, meeting_refs())) == {
        ("NOT_FOUND", "department")
    }


def test_minutes_follow_the_meeting() -> None:
    state = held()
    early = mt.MeetingRefs(
        departments=DEPARTMENTS, composition=composition(), today=date(2026, 6, 9)
    )
    c = mt.DraftMinutes(meeting_id="2026-1", text="纪要")
    assert problems(lambda: mt.decide(state, c, OFFICE, early)) == {("INVALID_TRANSITION", None)}
    unknown = mt.ScheduleMeeting(
        meeting_id="bad id",
        kind=mt.MeetingKind.LIAISON_WORK,
        title="",
        held_on=TODAY,
        attended=["XX"],
    )
    assert problems(lambda: mt.decide(None, unknown, OFFICE, meeting_refs())) == {
        ("INVALID_FORMAT", "meetingId"),
        ("REQUIRED", "title"),
        ("UNKNOWN_DEPARTMENT", "attended.0"),
    }


def action_refs(meeting: mt.Meeting | None, today: date = TODAY) -> ai.ActionItemRefs:
    return ai.ActionItemRefs(departments=DEPARTMENTS, meeting=meeting, today=today)


def assign(**kw: Any) -> ai.AssignActionItem:
    base: dict[str, Any] = {
        "action_id": "2026-1-1-STHJ",
        "meeting_id": "2026-1",
        "minutes_number": 1,
        "matter": 1,
        "title": "报送年度计划",
        "department": "STHJ",
        "due_date": date(2026, 6, 30),
    }
    return ai.AssignActionItem(**(base | kw))


def test_action_items_come_from_signed_minutes_and_are_tracked_to_done() -> None:
    draft = drafted()
    assert problems(lambda: ai.decide(None, assign(), OFFICE, action_refs(draft))) == {
        ("INVALID_TRANSITION", "minutesNumber")
    }
    signed = run(draft, mt.SignMinutes(meeting_id="2026-1", number=1), VICE)
    assert problems(lambda: ai.decide(None, assign(), STHJ_ADMIN, action_refs(signed))) == {
        ("FORBIDDEN", None)
    }
    assert problems(
        lambda: ai.decide(
            None, assign(matter=3, due_date=date(2026, 6, 1)), OFFICE, action_refs(signed)
        )
    ) == {("NOT_FOUND", "matter"), ("OUT_OF_RANGE", "dueDate")}
    item = ai.SPEC.fold(ai.decide(None, assign(), OFFICE, action_refs(signed)))
    assert item is not None and item.status_on(TODAY) is ai.Progress.OPEN
    assert item.status_on(date(2026, 7, 1)) is ai.Progress.OVERDUE
    remind = ai.RemindActionItem(action_id=item.action_id, note="请抓紧办理")
    assert problems(lambda: ai.decide(item, remind, STHJ_ADMIN, action_refs(None))) == {
        ("FORBIDDEN", None)
    }
    later = action_refs(None, date(2026, 7, 2))
    item = ai.SPEC.fold(ai.decide(item, remind, OFFICE, later), item)
    assert item is not None and [r.reminded_on for r in item.reminders] == [date(2026, 7, 2)]
    done = ai.CompleteActionItem(action_id=item.action_id, evidence="")
    assert problems(lambda: ai.decide(item, done, STHJ_LIAISON, later)) == {
        ("REQUIRED", "evidence")
    }
    assert problems(lambda: ai.decide(item, done, INSPECTOR, later)) == {("FORBIDDEN", None)}
    done = ai.CompleteActionItem(action_id=item.action_id, evidence="丰环发〔2026〕3号")
    item = ai.SPEC.fold(ai.decide(item, done, STHJ_LIAISON, later), item)
    assert item is not None
    assert (item.status, item.done_on, item.evidence) == (
        ai.ActionItemStatus.DONE,
        date(2026, 7, 2),
        "丰环发〔2026〕3号",
    )
    assert item.status_on(date(2026, 12, 31)) is ai.Progress.DONE_LATE
    assert problems(lambda: ai.decide(item, done, STHJ_ADMIN, later)) == {
        ("INVALID_TRANSITION", None)
    }
    assert problems(lambda: ai.decide(item, remind, OFFICE, later)) == {
        ("INVALID_TRANSITION", None)
    }


def test_done_on_the_due_date_is_on_time() -> None:
    signed = run(drafted(), mt.SignMinutes(meeting_id="2026-1", number=1), VICE)
    item = ai.SPEC.fold(ai.decide(None, assign(due_date=TODAY), OFFICE, action_refs(signed)))
    done = ai.CompleteActionItem(action_id="2026-1-1-STHJ", evidence="已报送")
    item = ai.SPEC.fold(ai.decide(item, done, STHJ_ADMIN, action_refs(None)), item)
    assert item is not None and item.status_on(date(2027, 1, 1)) is ai.Progress.DONE_ON_TIME


def test_missing_records_are_not_found() -> None:
    sign = mt.SignMinutes(meeting_id="none", number=1)
    assert problems(lambda: mt.decide(None, sign, VICE, meeting_refs())) == {
        ("NOT_FOUND", "meetingId")
    }
    c = ai.CompleteActionItem(action_id="none", evidence="x")
    assert problems(lambda: ai.decide(None, c, OFFICE, action_refs(None))) == {
        ("NOT_FOUND", "actionId")
    }
    assert problems(lambda: ai.decide(None, assign(), OFFICE, action_refs(None))) == {
        ("NOT_FOUND", "meetingId")
    }
