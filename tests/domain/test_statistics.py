"""统计 The pure arithmetic of the statistics (services/statistics.aggregate) against
hand-computed figures: grouped counts in, figures out, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from spotcheck.domain import statistics as st
from spotcheck.domain.calendar import NoHolidaySchedule
from spotcheck.domain.inspection import InspectionOrigin, ResultCode

RANDOM, SPECIAL, CASE = InspectionOrigin.RANDOM, InspectionOrigin.SPECIAL, InspectionOrigin.CASE
TODAY = date(2026, 12, 31)


def deadline(completed_on: date, days: int) -> date:
    """A calendar simple enough to compute by hand: ``days`` calendar days after completion;
    no schedule beyond 2026."""
    last = completed_on + timedelta(days=days)
    if last.year > 2026:
        raise NoHolidaySchedule(last.year)
    return last


def g(
    dept: str,
    origin: InspectionOrigin,
    completed: date | None,
    *,
    days: int = 20,
    inspected: bool = True,
    approved: bool = True,
    published: date | None = None,
    n: int = 1,
) -> st.InspectionGroup:
    return st.InspectionGroup(dept, origin, completed, days, inspected, approved, published, n)


MAY1 = date(2026, 5, 1)  # + 20 days: deadline 2026-05-21
FACTS = st.Facts(
    departments=("SCJG", "STHJ"),
    registry={"SCJG": 500, "STHJ": 200},
    inspections=(
        # 1. published on 05-20, deadline 05-21: on time (3)
        g("SCJG", RANDOM, MAY1, published=date(2026, 5, 20), n=3),
        # 2. published on 05-25, after the deadline 05-21: late (1)
        g("SCJG", RANDOM, MAY1, published=date(2026, 5, 25)),
        # 3. approved, not published; today 12-31 is after 05-21: overdue (2)
        g("SCJG", RANDOM, MAY1, n=2),
        # 4. task not complete: inspected, not approved; no deadline yet (4)
        g("SCJG", RANDOM, None, approved=False, n=4),
        # 5. task not complete: drawn only (5)
        g("SCJG", RANDOM, None, inspected=False, approved=False, n=5),
        # 9. approved and published before its task is complete: on time (1)
        g("SCJG", RANDOM, None, published=date(2026, 4, 1)),
        # 6. special: completed 12-21, 10 days: deadline 12-31 = today, not overdue (1)
        g("SCJG", SPECIAL, date(2026, 12, 21), days=10),
        # 7. cases approved 12-20: 20 days run into 2027 (no schedule), so the deadline is on
        #    or after 2027-01-01.  Published 12-28, before that: on time (1); published
        #    2027-01-05: unknown, not guessed (1); unpublished, today 12-31 is before
        #    2027-01-01: certainly not overdue (1).
        g("SCJG", CASE, date(2026, 12, 20), published=date(2026, 12, 28)),
        g("SCJG", CASE, date(2026, 12, 20), published=date(2027, 1, 5)),
        g("SCJG", CASE, date(2026, 12, 20)),
        # 8. STHJ: completed 03-01, 30 days: deadline 03-31, published on 03-31: on time (2)
        g("STHJ", RANDOM, date(2026, 3, 1), days=30, published=date(2026, 3, 31), n=2),
    ),
    draws=(
        st.DrawPopulation("SCJG", RANDOM, ("I1",), 100),
        st.DrawPopulation("SCJG", RANDOM, ("I1", "I2"), 50),
        st.DrawPopulation("SCJG", SPECIAL, ("I2",), 10),
        st.DrawPopulation("STHJ", RANDOM, ("I3",), 40),
    ),
    items=(
        st.ItemGroup("SCJG", RANDOM, "I1", inspections=16, inspected=11, subjects=9),
        st.ItemGroup("SCJG", RANDOM, "I2", inspections=5, inspected=3, subjects=3),
        st.ItemGroup("SCJG", CASE, "I1", inspections=1, inspected=1, subjects=1),
    ),
    codes=(
        st.CodeCount("SCJG", RANDOM, ResultCode.R1, 6),
        st.CodeCount("SCJG", RANDOM, ResultCode.A, 2),
        st.CodeCount("SCJG", RANDOM, ResultCode.R6, 1),
        st.CodeCount("SCJG", RANDOM, ResultCode.F, 1),
        st.CodeCount("SCJG", RANDOM, ResultCode.R7, 1),
        st.CodeCount("SCJG", CASE, ResultCode.D, 1),
        st.CodeCount("STHJ", RANDOM, ResultCode.R1, 2),
    ),
    joint=(st.JointCount("STHJ", RANDOM, 3),),
    workload=(
        st.WorkloadRow("S1", "SCJG", RANDOM, assigned=10, done=7, as_lead=6),
        st.WorkloadRow("S1", "SCJG", CASE, assigned=1, done=1, as_lead=1),
        st.WorkloadRow("S2", "STHJ", RANDOM, assigned=3, done=2, as_lead=0),
        st.WorkloadRow("S3", None, RANDOM, assigned=1, done=0, as_lead=0),
    ),
    repeats=(
        st.RepeatRow("SCJG", subjects=9, repeated=2),
        st.RepeatRow("STHJ", subjects=2, repeated=0),
        st.RepeatRow(None, subjects=10, repeated=3),
    ),
)


def figures() -> st.YearFigures:
    return st.aggregate(FACTS, 2026, TODAY, deadline)


def counts(f: st.OriginFigures) -> tuple[int, ...]:
    return (
        f.drawn,
        f.inspected,
        f.approved,
        f.published,
        f.published_on_time,
        f.published_late,
        f.overdue,
        f.deadline_unknown,
    )


def test_publication_figures_per_department_and_origin() -> None:
    y = figures()
    scjg, sthj = y.departments
    assert (scjg.department, sthj.department) == ("SCJG", "STHJ")
    # SCJG RANDOM: drawn 3+1+2+4+5+1 = 16; inspected 3+1+2+4+1 = 11; approved 3+1+2+1 = 7;
    # published 3+1+1 = 5 (on time 3 + 1 before completion, late 1); overdue 2.
    assert counts(scjg.origins[RANDOM]) == (16, 11, 7, 5, 4, 1, 2, 0)
    # SPECIAL: deadline is today: not yet overdue.
    assert counts(scjg.origins[SPECIAL]) == (1, 1, 1, 0, 0, 0, 0, 0)
    # CASE: counted apart: 3 drawn (opened), 2 published: 1 on time, 1 unknown.
    assert counts(scjg.origins[CASE]) == (3, 3, 3, 2, 1, 0, 0, 1)
    assert counts(sthj.origins[RANDOM]) == (2, 2, 2, 2, 2, 0, 0, 0)
    assert counts(sthj.origins[CASE]) == (0,) * 8
    # District RANDOM: 16 + 2 drawn, 11 + 2 inspected, 7 + 2 approved, 5 + 2 published,
    # 4 + 2 on time, 1 late, 2 overdue; cases never mixed in.
    assert counts(y.district.origins[RANDOM]) == (18, 13, 9, 7, 6, 1, 2, 0)
    assert counts(y.district.origins[CASE]) == (3, 3, 3, 2, 1, 0, 0, 1)
    assert [o.origin for o in y.district.by_origin()] == [RANDOM, SPECIAL, CASE]


def test_population_and_registry() -> None:
    y = figures()
    scjg, sthj = y.departments
    assert (scjg.registry_subjects, sthj.registry_subjects, y.district.registry_subjects) == (
        500,
        200,
        700,
    )
    # SCJG RANDOM: two draws, 100 + 50; SPECIAL one of 10; cases have no population.
    assert (scjg.origins[RANDOM].draws, scjg.origins[RANDOM].population) == (2, 150)
    assert (scjg.origins[SPECIAL].draws, scjg.origins[SPECIAL].population) == (1, 10)
    assert scjg.origins[CASE].population is None
    assert sthj.origins[SPECIAL].population == 0
    assert (y.district.origins[RANDOM].draws, y.district.origins[RANDOM].population) == (3, 190)


def test_problem_rate_by_result_code() -> None:
    y = figures()
    r = y.departments[0].origins[RANDOM]
    # 11 results: 1×6, A×2, 6×1, F×1, 7×1; problems A and 6: 3 of 11.
    assert (r.results, r.problems) == (11, 3)
    assert r.problem_rate == pytest.approx(3 / 11)
    by = {c.code: (c.count, c.share) for c in r.by_code()}
    assert [c.code for c in r.by_code()] == list(ResultCode)
    assert by[ResultCode.R1] == (6, pytest.approx(6 / 11))
    assert by[ResultCode.A] == (2, pytest.approx(2 / 11))
    assert by[ResultCode.B] == (0, 0.0)
    case = y.departments[0].origins[CASE]
    assert (case.results, case.problems, case.problem_rate) == (1, 1, 1.0)
    assert y.departments[1].origins[RANDOM].problem_rate == 0.0
    assert y.departments[1].origins[SPECIAL].problem_rate is None  # no results: no rate
    # District RANDOM: 11 + 2 results, 3 problems.
    d = y.district.origins[RANDOM]
    assert (d.results, d.problems) == (13, 3)


def test_coverage_per_item() -> None:
    y = figures()
    cov = {c.item: c for c in y.departments[0].origins[RANDOM].coverage()}
    # I1: population 100 + 50 = 150, 11 inspected → 11/150; I2: population 50, 3 inspected.
    assert (cov["I1"].inspections, cov["I1"].inspected, cov["I1"].subjects) == (16, 11, 9)
    assert (cov["I1"].population, cov["I1"].coverage) == (150, pytest.approx(11 / 150))
    assert (cov["I2"].population, cov["I2"].coverage) == (50, pytest.approx(3 / 50))
    special = {c.item: c for c in y.departments[0].origins[SPECIAL].coverage()}
    assert (special["I2"].population, special["I2"].inspected, special["I2"].coverage) == (
        10,
        0,
        0.0,
    )
    case = {c.item: c for c in y.departments[0].origins[CASE].coverage()}
    assert (case["I1"].inspected, case["I1"].population, case["I1"].coverage) == (1, None, None)


def test_joint_participation_workload_and_repeats() -> None:
    y = figures()
    scjg, sthj = y.departments
    assert sthj.origins[RANDOM].joint_participation == 3
    assert scjg.origins[RANDOM].joint_participation == 0
    # Each department lists its own inspectors; the district lists every one (S3 has no
    # registry department).
    assert [(w.staff_id, w.origin, w.assigned, w.done, w.as_lead) for w in scjg.workloads()] == [
        ("S1", RANDOM, 10, 7, 6),
        ("S1", CASE, 1, 1, 1),
    ]
    assert [(w.staff_id, w.assigned) for w in sthj.workloads()] == [("S2", 3)]
    assert [(w.staff_id, w.origin) for w in y.district.workloads()] == [
        ("S1", RANDOM),
        ("S1", CASE),
        ("S2", RANDOM),
        ("S3", RANDOM),
    ]
    # Repeats: SCJG 2 of 9, STHJ 0 of 2, district 3 of 10.
    assert (scjg.repeat.subjects, scjg.repeat.repeated) == (9, 2)
    assert scjg.repeat.rate == pytest.approx(2 / 9)
    assert sthj.repeat.rate == 0.0
    assert y.district.repeat.rate == pytest.approx(0.3)


def test_one_department_only() -> None:
    y = st.aggregate(FACTS, 2026, TODAY, deadline, only="STHJ")
    assert [d.department for d in y.departments] == ["STHJ"]
    assert counts(y.departments[0].origins[RANDOM]) == (2, 2, 2, 2, 2, 0, 0, 0)
    # The district is still the whole district.
    assert counts(y.district.origins[RANDOM]) == (18, 13, 9, 7, 6, 1, 2, 0)


def test_publication_outcome() -> None:
    out = st.publication_outcome
    assert out(None, 20, None, TODAY, deadline) is None
    assert out(None, 20, date(2026, 1, 2), TODAY, deadline) == "on_time"
    assert out(MAY1, 20, date(2026, 5, 21), TODAY, deadline) == "on_time"
    assert out(MAY1, 20, date(2026, 5, 22), TODAY, deadline) == "late"
    assert out(MAY1, 20, None, date(2026, 5, 21), deadline) is None
    assert out(MAY1, 20, None, date(2026, 5, 22), deadline) == "overdue"
    # No schedule for 2027: the deadline is on or after 2027-01-01.
    dec20 = date(2026, 12, 20)
    assert out(dec20, 20, date(2026, 12, 31), TODAY, deadline) == "on_time"
    assert out(dec20, 20, date(2027, 1, 1), TODAY, deadline) == "unknown"
    assert out(dec20, 20, None, TODAY, deadline) is None
    assert out(dec20, 20, None, date(2027, 1, 1), deadline) == "unknown"


def test_risk_class_figures_sum_per_class_and_fill_a_to_d() -> None:
    """Two draws stratify A (6 + 4 subjects, 3 + 2 drawn, 1 + 2 inspected) and one D (5, 5,
    5); an ``ALL`` stratum is not a class; B and C have zeros and no ratios."""
    counts = [
        st.StratumCount("D", 1, 5, 5, 5),
        st.StratumCount("A", 1, 6, 3, 1),
        st.StratumCount("ALL", 1, 9, 9, 9),
        st.StratumCount("A", 1, 4, 2, 2),
    ]
    got = st.risk_class_figures(counts)
    assert [(f.risk_class.value, f.draws, f.population, f.drawn, f.inspected) for f in got] == [
        ("A", 2, 10, 5, 3),
        ("B", 0, 0, 0, 0),
        ("C", 0, 0, 0, 0),
        ("D", 1, 5, 5, 5),
    ]
    assert [(f.draw_ratio, f.inspection_rate) for f in got] == [
        (0.5, 0.3),
        (None, None),
        (None, None),
        (1.0, 1.0),
    ]
