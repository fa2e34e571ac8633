"""The annual report's figures (domain.annual), by hand: late and overdue cases the database
clock cannot make in the API tests."""

from __future__ import annotations

import datetime as dt

import pytest

from spotcheck.domain import annual as an

D = dt.date
TODAY = D(2026, 6, 30)


def test_filing_deadline_setting() -> None:
    assert an.parse_filing_deadline(None) == (1, 1)
    assert an.parse_filing_deadline(" 03-31 ") == (3, 31)
    assert an.filing_deadline(2026, (2, 29)) == D(2026, 2, 28)
    for bad in ("13-01", "march", "02-30"):
        with pytest.raises(ValueError, match=an.PLAN_FILING_SETTING):
            an.parse_filing_deadline(bad)


def test_plans_and_coverage() -> None:
    plans = [
        an.PlanRow("P1", "A", D(2025, 12, 20), ("X", "Y"), {"X": "I1"}),
        an.PlanRow("P2", "B", D(2026, 2, 1), ("Z",), {"Z": "I2"}),
        an.PlanRow("P3", "B", None, ("Z",), {}),
    ]
    f = an.plan_filing(plans, D(2026, 1, 1), None)
    assert (f.numerator, f.denominator) == (1, 3)
    assert f.details == {"filedOnTime": 1, "filedLate": 1, "notFiled": 1}
    assert [p.stream_id for p in f.proofs] == ["plan-P1", "plan-P2"]
    c = an.item_coverage(plans, None)
    assert (c.numerator, c.denominator, c.rate) == (2, 3, 2 / 3)
    assert an.item_coverage(plans, "A").details == {"notCovered": 1}


def test_follow_ups_action_items_objections() -> None:
    fu = [
        an.FollowUpRow(
            "I1", "X", "A", "ORDER_TO_CORRECT", D(2026, 5, 1), D(2026, 5, 1), True, None
        ),
        an.FollowUpRow(
            "I2", "X", "A", "ORDER_TO_CORRECT", D(2026, 5, 1), D(2026, 5, 2), True, None
        ),
        an.FollowUpRow("I3", "X", "A", "ORDER_TO_CORRECT", D(2026, 5, 1), None, None, None),
        an.FollowUpRow("I4", "X", "A", "ORDER_TO_CORRECT", D(2026, 7, 1), None, None, None),
        an.FollowUpRow("I5", "X", "B", "CASE_TRANSFER", None, None, None, "CLOSED"),
    ]
    f = an.follow_ups(fu, TODAY, None)
    assert (f.numerator, f.denominator) == (1, 3)
    assert f.details == {
        "onTime": 1,
        "late": 1,
        "overdue": 1,
        "notDue": 1,
        "transfers": 1,
        "transfersDone": 1,
    }
    acts = [
        an.ActionRow("a1", "A", D(2026, 3, 1), D(2026, 3, 1)),
        an.ActionRow("a2", "A", D(2026, 3, 1), D(2026, 3, 2)),
        an.ActionRow("a3", "B", D(2026, 3, 1), None),
        an.ActionRow("a4", "B", D(2026, 9, 1), None),
    ]
    a = an.action_items(acts, TODAY, None)
    assert (a.numerator, a.denominator) == (1, 3) and a.details["open"] == 1
    assert an.action_items(acts, TODAY, "B").details == {"overdue": 1, "open": 1}
    answers = [
        an.AnswerRow("o1", "A", "ON_TIME"),
        an.AnswerRow("o2", "A", "LATE"),
        an.AnswerRow("o3", "A", "OVERDUE"),
        an.AnswerRow("o4", "A", "DUE"),
    ]
    o = an.objection_answers(answers, "A")
    assert (o.numerator, o.denominator) == (1, 3) and o.details["notDue"] == 1
    assert o.proofs[2].event_types == ("ObjectionFiled",)


def test_publication_and_repeats() -> None:
    def deadline(completed_on: dt.date, days: int) -> dt.date:
        return completed_on + dt.timedelta(days=days)

    rows = [
        an.PublicationRow("i1", "A", D(2026, 6, 1), 20, D(2026, 6, 10)),
        an.PublicationRow("i2", "A", D(2026, 5, 1), 20, D(2026, 5, 30)),
        an.PublicationRow("i3", "A", D(2026, 5, 1), 20, None),
        an.PublicationRow("i4", "A", D(2026, 6, 20), 20, None),
        an.PublicationRow("i5", "A", None, 20, None),
    ]
    p = an.publication(rows, TODAY, deadline, None)
    assert (p.numerator, p.denominator) == (1, 3)
    assert p.details == {"onTime": 1, "late": 1, "overdue": 1, "notDue": 2}
    reps = [
        an.RepeatRow("A", "s1", "T1"),
        an.RepeatRow("A", "s1", "T2"),
        an.RepeatRow("B", "s1", "T3"),
        an.RepeatRow("B", "s2", "T3"),
    ]
    assert (an.repeats(reps, "A").numerator, an.repeats(reps, "A").denominator) == (1, 1)
    district = an.repeats(reps, None)
    assert (district.numerator, district.denominator) == (1, 2)
    assert [r.stream_id for r in district.proofs] == ["draw-T1", "draw-T2", "draw-T3"]
