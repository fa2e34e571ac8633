"""年度工作总结 The annual report against the hand-computed statistics scene
(``tests/api/test_statistics.py``), plus two action items: one done on its due date, one open
past it (assigned with a due date in the past is refused, so the overdue one is computed as of a
later day).

Year Y, SCJG (the only department with anything), as of today:
- plan ``Y-SCJG-STAT`` filed today: on time when the filing deadline is today, late when it is
  the day before.
- coverage: FOOD (T1's inspections have results) and SPEC (T2 S2 has results): 2 / 2.
- publication: T1 is complete today (S0 S1 S2 approved); S0 and S1 published today, on time;
  S2 not published and not yet due; T2 not complete (2 not due); the case published on its
  approval day, on time: 3 / 3, 3 not due.
- follow-ups: T1 S0's order to correct by today + 30, not rechecked: not due, 0 / 0.
- repeats: RANDOM/SPECIAL subjects S0 S1 S2 S3, S2 twice (T1 and T2): 1 / 4, proved by the
  two draws.
- action items due in Y: AI-done done on its due date (today): 1 / 1.
- objections: none, 0 / 0.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette

from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.report.annual import AnnualReport, ReportFigure, annual_report
from spotcheck.report.render import to_html
from spotcheck.services import jointmeeting as jm
from tests.api.conftest import GQL, SEED
from tests.api.jointmeeting_fixtures import meeting_id, seed_joint_meeting
from tests.api.publishing import sealed
from tests.api.test_statistics import seed_scene
from tests.conftest import Db

pytestmark = pytest.mark.calendar  # figures are as of today
SRC = str(Path(__file__).resolve().parents[2] / "src")


async def _scene(app: Starlette) -> tuple[int, dt.date]:
    year, today = await seed_scene(app)
    await seed_joint_meeting(app, ["annual"])
    done = ai.AssignActionItem(
        action_id="AI-done",
        meeting_id=meeting_id("annual"),
        minutes_number=1,
        matter=1,
        title="按期办结事项",
        department="SCJG",
        due_date=today,
    )
    runner = app.state.runner
    assert (await jm.handle_action_item(runner, SEED, done)).events
    complete = ai.CompleteActionItem(action_id="AI-done", evidence="办结材料")
    assert (await jm.handle_action_item(runner, SEED, complete)).events
    await sealed(app)
    return year, today


def _by_key(figures: list[ReportFigure]) -> dict[str, ReportFigure]:
    return {f.key: f for f in figures}


async def _report(
    app: Starlette, year: int, today: dt.date, due: dt.date, department: str | None = None
) -> AnnualReport:
    async with app.state.pool.acquire() as conn:
        return await annual_report(conn, year, department, today, (due.month, due.day))


async def test_the_figures_of_the_scene(app: Starlette) -> None:
    year, today = await _scene(app)
    report = await _report(app, year, today, today)
    assert report.district is not None
    scjg = next(d for d in report.departments if d.department == "SCJG")
    for section in (scjg, report.district):
        f = _by_key(section.figures)
        got = {k: (v.numerator, v.denominator, v.details) for k, v in f.items()}
        assert got["planFiledOnTime"] == (1, 1, {"filedOnTime": 1})
        assert got["itemCoverage"] == (2, 2, {})
        assert got["publishedOnTime"] == (3, 3, {"onTime": 3, "notDue": 3})
        assert got["followUpsOnTime"] == (0, 0, {"notDue": 1})
        assert got["repeatInspection"] == (1, 4, {})
        assert f["repeatInspection"].rate == 0.25
        assert got["actionItemsOnTime"][:2] == (1, 1)
        assert got["objectionAnswersOnTime"] == (0, 0, {})
        # Every figure with a numerator or a settled outcome cites sealed ledger events.
        for fig in f.values():
            assert fig.unproved == [], fig.key
            assert all(p.position <= report.ledger_position for p in fig.proofs)
        assert {p.event_type for p in f["publishedOnTime"].proofs} == {"InspectionResultsPublished"}
        assert {p.stream_id for p in f["repeatInspection"].proofs} == {
            "draw-T-STAT-1",
            "draw-T-STAT-2",
        }
        assert [p.event_type for p in f["planFiledOnTime"].proofs] == ["AnnualPlanFiled"]
        assert [p.stream_id for p in f["actionItemsOnTime"].proofs] == ["action-item-AI-done"]
    # Another department has nothing to count.
    other = next(d for d in report.departments if d.department != "SCJG")
    assert all(f.denominator == 0 and f.rate is None for f in other.figures)


async def test_late_filing_and_later_overdue(app: Starlette) -> None:
    year, today = await _scene(app)
    later = today + dt.timedelta(days=60)
    report = await _report(app, year, later, today - dt.timedelta(days=1), "SCJG")
    assert report.district is None and [d.department for d in report.departments] == ["SCJG"]
    f = _by_key(report.departments[0].figures)
    assert (f["planFiledOnTime"].numerator, f["planFiledOnTime"].denominator) == (0, 1)
    assert f["planFiledOnTime"].details == {"filedLate": 1}
    # 60 days on, T1 S0's correction (by today + 30) is overdue, as is T1 S2's publication.
    assert f["followUpsOnTime"].details == {"overdue": 1}
    assert f["publishedOnTime"].details["overdue"] == 1
    # AI-done stays done on time; the fixture's own item (due today + 30) is overdue by then
    # when its due date falls in Y, which depends on the day: only the done one is asserted.
    actions = f["actionItemsOnTime"]
    assert actions.numerator == 1 and actions.details.get("onTime") == 1


async def test_the_cli_prints_the_report_in_chinese(app: Starlette, db: Db, tmp_path: Path) -> None:
    year, today = await _scene(app)
    out = tmp_path / "annual.html"
    env = {
        **os.environ,
        "DATABASE_URL": db.owner_url,
        "PYTHONPATH": SRC,
        "SPOTCHECK_PLAN_FILING_DEADLINE": f"{today:%m-%d}",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "spotcheck.cli.main",
        "report",
        "annual",
        "--year",
        str(year),
        "--format",
        "html",
        "--out",
        str(out),
        "--today",
        today.isoformat(),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    html = await asyncio.to_thread(out.read_text, "utf-8")
    assert f"{year} 年度“双随机、一公开”监管工作总结" in html
    assert "全区汇总" in html and "部门：SCJG" in html
    assert "年度抽查计划按时备案" in html and "重复检查率" in html and "25.0%" in html
    assert " AnnualPlanFiled（" in html and "<script" not in html
    # The same figures as the library call.
    report = await _report(app, year, today, today)
    positions = [p.position for d in report.departments for f in d.figures for p in f.proofs]
    assert positions and all(f"#{n} " in html for n in positions)


def test_the_printable_report_escapes_text() -> None:
    from spotcheck.report.annual import DepartmentReport

    fig = ReportFigure(
        key="k",
        title="<script>x</script>",
        numerator=1,
        denominator=2,
        rate=0.5,
        details={},
        proofs=[],
        unproved=["<b>note</b>"],
    )
    report = AnnualReport(
        year=2026,
        today=dt.date(2026, 12, 4),
        plan_filing_deadline=dt.date(2026, 1, 1),
        ledger_position=0,
        departments=[DepartmentReport(department="SCJG", figures=[fig])],
        district=None,
    )
    html = to_html(report)
    assert "<script>x" not in html and "&lt;script&gt;" in html and "50.0%" in html


QUERY = """
query($year: Int!, $department: String) {
  annualReport(year: $year, department: $department) {
    year asOf planFilingDeadline ledgerPosition
    departments { department figures { key numerator denominator rate
      details { name count } proofs { position streamId eventType note } unproved } }
    district { department figures { key numerator denominator } }
  }
}
"""


async def test_the_graphql_query_and_who_may_read_it(app: Starlette, gql: GQL) -> None:
    year, _ = await _scene(app)
    body = await gql(QUERY, as_user="auditor", year=year)
    report = body["data"]["annualReport"]
    assert report["year"] == year and report["district"] is not None
    scjg = next(d for d in report["departments"] if d["department"] == "SCJG")
    repeat = next(f for f in scjg["figures"] if f["key"] == "repeatInspection")
    assert (repeat["numerator"], repeat["denominator"], repeat["rate"]) == (1, 4, 0.25)
    assert {p["eventType"] for p in repeat["proofs"]} == {"DrawExecuted"}
    # A department's admin: its own department only (the default), never the district.
    own = (await gql(QUERY, as_user="scjg-admin", year=year))["data"]["annualReport"]
    assert [d["department"] for d in own["departments"]] == ["SCJG"] and own["district"] is None
    for user, department, code in (
        ("sthj-admin", "SCJG", "FORBIDDEN"),
        ("o1", None, "FORBIDDEN"),
        (None, None, "UNAUTHENTICATED"),
    ):
        denied = await gql(QUERY, as_user=user, year=year, department=department)
        assert denied["data"]["annualReport"] is None
        assert denied["errors"][0]["extensions"]["code"] == code, (user, denied)
    wrong = await gql(QUERY, as_user="admin", year=1999)
    assert wrong["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "year"}
    unknown = await gql(QUERY, as_user="admin", year=year, department="NOPE")
    assert unknown["errors"][0]["extensions"]["code"] == "UNKNOWN_DEPARTMENT"
