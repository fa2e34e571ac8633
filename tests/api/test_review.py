"""The duty-list review (履职清单审查) over scripted scenarios, through GraphQL.

Three tasks of SCJG, each with one live item, drawn for real and taken through the lifecycle
by the real services:

- ``T-ONTIME``: one subject, results approved and published the same day: every duty FULFILLED.
- ``T-LATE``: one subject, approved on Monday 1 June 2026 and published on 1 July 2026.  By hand:
  the 20 working days after 1 June run 2–5, 8–12, 15–18 June (13; 19 June is the Dragon Boat
  Festival), 22–26 (18), 29 and 30 June (20): the deadline is 30 June, so 1 July is one working
  day late.  The approval and publication run through the real services on those days (the
  database's clock, which the service reads as the transaction's ``now()``, moved to each).
- ``T-PICK``: two subjects, one drawn: the other was in the population and not selected, so its
  inspection duties are NOT_APPLICABLE, with the verified draw as the proof.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette

from spotcheck.domain import draw as dr
from spotcheck.domain import inspection as i
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.subject import RegisterSubject
from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
from spotcheck.review.model import Review
from spotcheck.review.render import to_html
from spotcheck.services import draws, inspections, plans, subjects, tasks
from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, SEED, People, seed_people
from tests.api.inspection_fixtures import MATRIX_OFFICERS, TEAM_CALLER, result
from tests.api.publishing import sealed
from tests.clock import DbClock
from tests.conftest import Db

PLAN = "2026-SCJG-REVIEW"
BEIJING = dt.timezone(dt.timedelta(hours=8))
START, END = dt.date(2026, 3, 1), dt.date(2026, 12, 31)
ON_TIME, LATE, PICKED = (
    "PRODUCT:SCJG:REVIEW-ONTIME",
    "PRODUCT:SCJG:REVIEW-LATE",
    "PRODUCT:SCJG:REVIEW-PICK",
)
OUTSIDE = "PRODUCT:SCJG:REVIEW-OUTSIDE"

QUERY = """
query($subject: String!, $from: Date!, $to: Date!) {
  accountabilityReview(subject: $subject, from: $from, to: $to) {
    key ledgerPosition fulfilled breached notApplicable
    findings { duty verdict scope responsible explanation
               proofs { position streamId eventType actor note } }
  }
}"""

INSPECTOR_QUERY = """
query($inspector: String!, $from: Date!, $to: Date!) {
  inspectorReview(inspector: $inspector, from: $from, to: $to) {
    key findings { duty verdict scope }
  }
}"""


async def _subject(app: Starlette, key: str, tag: str) -> None:
    command = RegisterSubject(
        kind=SubjectKind.PRODUCT,
        identifier=key,
        name="产品" + key,
        region="fangzhuang",
        maintaining_department="SCJG",
        tags=[tag],
    )
    assert (await subjects.handle(app.state.runner, SEED, command, app.state.regions)).events


async def _drawn_task(app: Starlette, task: str, tag: str, count: int) -> None:
    runner = app.state.runner
    strata = [tk.StratumSpec(id=tk.ALL, count=count)]
    for command in (
        tk.CreateTask(
            task_id=task,
            plan_id=PLAN,
            title="审查" + task,
            items=[reg.LIVE_ITEM],
            strata=strata,
            population=tk.PopulationFilter(tags=[tag]),
            start_date=START,
            end_date=END,
        ),
        tk.PublishTask(task_id=task),
    ):
        assert (await tasks.handle(runner, SEED, command, app.state.regions)).events
    source = EntropySource(name="双色球 2026045 红球", kind=SourceKind.NUMBERS)
    assert (await draws.commit(runner, SEED, dr.CommitDraw(task_id=task, sources=[source]))).events
    value = EntropyValue(name=source.name, value=[3, 6, 9, 14, 21, 30])
    out = await draws.execute(runner, SEED, dr.ExecuteDraw(task_id=task, entropy=[value]))
    assert out.state is not None and out.state.draws[0].assigned == count


def _key(task: str, subject: str) -> str:
    return dr.inspection_id(task, 1, subject)


@pytest.fixture
async def scripted(app: Starlette, db_clock: DbClock) -> People:
    """The scenario on its own days (the database's clock moved to each): set up in May, the
    late inspection approved on 1 June and published on 1 July; reviewed from then on."""
    db_clock.travel_to(dt.datetime(2026, 5, 29, 10, tzinfo=BEIJING))
    people = await seed_people(app.state.runner)
    await reg.seed_matrix(app, tags=())
    from tests.api.inspection_fixtures import seed_inspections

    await seed_inspections(app, "openCaseInspection", tags=())  # officers (and their plan)
    runner = app.state.runner
    plan = pl.CreatePlan(
        plan_id=PLAN, year=2026, department="SCJG", title="审查", items=[reg.LIVE_ITEM]
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=PLAN))).events
    for key, tag in ((ON_TIME, "RV-ON"), (LATE, "RV-LATE"), (PICKED, "RV-PICK"), (OUTSIDE, "RV-X")):
        await _subject(app, key, tag)
    await _subject(app, PICKED + "-2", "RV-PICK")
    await _drawn_task(app, "T-ONTIME", "RV-ON", 1)
    await _drawn_task(app, "T-LATE", "RV-LATE", 1)
    await _drawn_task(app, "T-PICK", "RV-PICK", 1)

    on_time = _key("T-ONTIME", ON_TIME)
    submit = i.SubmitInspectionResults(
        inspection_id=on_time, inspected_on=dt.date(2026, 5, 29), results=[result()]
    )
    assert (await inspections.handle(runner, TEAM_CALLER, submit)).events
    for command in (
        i.ApproveInspectionResults(inspection_id=on_time),
        i.PublishInspectionResults(inspection_id=on_time),
    ):
        assert (await inspections.handle(runner, SEED, command)).events

    late = _key("T-LATE", LATE)
    submit = i.SubmitInspectionResults(
        inspection_id=late, inspected_on=dt.date(2026, 5, 29), results=[result()]
    )
    db_clock.travel_to(dt.datetime(2026, 5, 29, 16, tzinfo=BEIJING))
    assert (await inspections.handle(runner, TEAM_CALLER, submit)).events
    db_clock.travel_to(dt.datetime(2026, 6, 1, 10, tzinfo=BEIJING))
    approve = i.ApproveInspectionResults(inspection_id=late)
    assert (await inspections.handle(runner, SEED, approve)).events
    db_clock.travel_to(dt.datetime(2026, 7, 1, 10, tzinfo=BEIJING))
    publish = i.PublishInspectionResults(inspection_id=late)
    assert (await inspections.handle(runner, SEED, publish)).events
    await sealed(app)
    return people


async def _review(gql: GQL, subject: str, user: str = "auditor") -> dict[str, Any]:
    body = await gql(
        QUERY, as_user=user, subject=subject, **{"from": "2026-01-01", "to": "2026-12-31"}
    )
    assert "errors" not in body, body
    review: dict[str, Any] = body["data"]["accountabilityReview"]
    return review


def _by_duty(review: dict[str, Any], scope: str | None = None) -> dict[str, dict[str, Any]]:
    return {
        f["duty"]: f for f in review["findings"] if scope is None or f["scope"].startswith(scope)
    }


async def test_a_complete_on_time_inspection_fulfils_every_duty(gql: GQL, scripted: People) -> None:
    review = await _review(gql, ON_TIME)
    duties = _by_duty(review, "抽取 T-ONTIME") | _by_duty(review, "T-ONTIME/")
    assert {k: v["verdict"] for k, v in duties.items()} == {
        "IN_POPULATION": "FULFILLED",
        "SELECTION": "FULFILLED",
        "ASSIGNMENT": "FULFILLED",
        "CHECKLIST": "FULFILLED",
        "RESULTS_ENTRY": "FULFILLED",
        "PUBLICATION": "FULFILLED",
        "FOLLOW_UP": "NOT_APPLICABLE",
    }
    publication = duties["PUBLICATION"]
    assert {p["eventType"] for p in publication["proofs"]} == {
        "InspectionResultsApproved",
        "InspectionResultsPublished",
    }
    assert duties["RESULTS_ENTRY"]["proofs"][0]["actor"] == "inspector"
    assert review["breached"] == 0


async def test_publication_one_working_day_late_is_breached_citing_the_event(
    gql: GQL, scripted: People
) -> None:
    review = await _review(gql, LATE)
    duties = _by_duty(review, "T-LATE/")
    publication = duties["PUBLICATION"]
    assert publication["verdict"] == "BREACHED"
    assert "2026-07-01 逾期公示" in publication["explanation"]
    assert "公示期限 2026-06-30（2026-06-01 后第 20 个工作日）" in publication["explanation"]
    assert publication["responsible"] == ["SCJG"]
    published = [p for p in publication["proofs"] if p["eventType"] == "InspectionResultsPublished"]
    assert len(published) == 1 and published[0]["streamId"] == "inspection-" + _key("T-LATE", LATE)
    approved = [p for p in publication["proofs"] if p["eventType"] == "InspectionResultsApproved"]
    assert "2026-06-01" in approved[0]["note"]
    # The other duties of the same inspection were done.
    assert duties["CHECKLIST"]["verdict"] == "FULFILLED"
    assert duties["RESULTS_ENTRY"]["verdict"] == "FULFILLED"
    assert review["breached"] == 1


async def test_a_subject_never_drawn_gets_not_applicable_with_the_verified_draw(
    gql: GQL, scripted: People
) -> None:
    drawn = _key("T-PICK", PICKED)
    other = PICKED + "-2"
    selected = await _review(gql, PICKED)
    left = await _review(gql, other)
    # Exactly one of the two was drawn; review the other one.
    picked_first = any(f["scope"] == drawn for f in selected["findings"])
    review = left if picked_first else selected
    duties = _by_duty(review, "抽取 T-PICK")
    assert duties["IN_POPULATION"]["verdict"] == "FULFILLED"
    assert duties["SELECTION"]["verdict"] == "FULFILLED"
    assert "未被随机抽中" in duties["SELECTION"]["explanation"]
    for duty in ("ASSIGNMENT", "CHECKLIST", "RESULTS_ENTRY", "PUBLICATION", "FOLLOW_UP"):
        finding = duties[duty]
        assert finding["verdict"] == "NOT_APPLICABLE", finding
        assert [p["eventType"] for p in finding["proofs"]] == ["DrawExecuted"]
        assert finding["proofs"][0]["note"] == "抽取记录验证通过"
    assert review["breached"] == 0


async def test_a_subject_outside_every_scope_is_not_applicable(gql: GQL, scripted: People) -> None:
    review = await _review(gql, OUTSIDE)
    assert review["findings"], review
    for f in review["findings"]:
        assert (f["duty"], f["verdict"]) == ("IN_POPULATION", "NOT_APPLICABLE")
        assert "不在任务的检查对象范围内" in f["explanation"]


async def test_inspector_review_covers_the_inspectors_inspections(
    gql: GQL, scripted: People
) -> None:
    body = await gql(
        INSPECTOR_QUERY,
        as_user="admin",
        inspector=MATRIX_OFFICERS[0],
        **{"from": "2026-01-01", "to": "2026-12-31"},
    )
    assert "errors" not in body, body
    findings = body["data"]["inspectorReview"]["findings"]
    scopes = {f["scope"].split(" ")[0] for f in findings}
    # Each task drew one subject; the officer is on every team (the registry has two officers).
    assert {s.split("/")[0] for s in scopes} == {"T-ONTIME", "T-LATE", "T-PICK"}
    late = {f["duty"]: f["verdict"] for f in findings if f["scope"] == _key("T-LATE", LATE)}
    assert late["PUBLICATION"] == "BREACHED"


@pytest.mark.parametrize(
    ("user", "code"),
    [(None, "UNAUTHENTICATED"), ("inspector", "FORBIDDEN"), ("scjg-admin", "FORBIDDEN")],
)
async def test_only_auditors_and_the_system_admin_review(
    gql: GQL, scripted: People, user: str | None, code: str
) -> None:
    body = await gql(
        QUERY, as_user=user, subject=ON_TIME, **{"from": "2026-01-01", "to": "2026-12-31"}
    )
    assert body["data"] == {"accountabilityReview": None}
    assert body["errors"][0]["extensions"]["code"] == code


async def test_a_period_ending_before_it_starts_is_refused(gql: GQL, scripted: People) -> None:
    body = await gql(
        QUERY, as_user="auditor", subject=ON_TIME, **{"from": "2026-12-31", "to": "2026-01-01"}
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID_DATE_RANGE", "field": "to"}


async def test_the_printable_report_is_in_chinese_and_escaped(
    app: Starlette, scripted: People
) -> None:
    from spotcheck.review.model import ReviewKind
    from spotcheck.review.reviewer import review
    from spotcheck.review.source import LedgerSource

    async with app.state.pool.acquire() as conn:
        source = await LedgerSource.at_head(conn)
        result: Review = await review(
            source, ReviewKind.SUBJECT, LATE, START, END, dt.date(2026, 11, 26)
        )
    html = to_html(result)
    assert "市场主体履职清单审查报告" in html
    assert "按期公示检查结果" in html and "未履职" in html
    assert "<script" not in html
    assert f"#{result.findings[0].proofs[0].position} " in html


async def test_a_draw_whose_transcript_was_altered_is_breached(
    gql: GQL, scripted: People, db: Db
) -> None:
    """The superuser rewrites the stored transcript of T-ONTIME's draw (bypassing the
    append-only trigger): the review no longer trusts the selection or the team."""
    owner = await asyncpg.connect(db.owner_url)
    try:
        digest = await owner.fetchval(
            "SELECT state->'draws'->0->>'transcript_digest' FROM draws WHERE id = 'T-ONTIME'"
        )
        await owner.execute("ALTER TABLE draw_blobs DISABLE TRIGGER draw_blobs_append_only")
        await owner.execute(
            "UPDATE draw_blobs SET content = content || '\\x20'::bytea WHERE digest = $1", digest
        )
        await owner.execute("ALTER TABLE draw_blobs ENABLE TRIGGER draw_blobs_append_only")
    finally:
        await owner.close()
    review = await _review(gql, ON_TIME)
    duties = _by_duty(review, "抽取 T-ONTIME") | _by_duty(review, "T-ONTIME/")
    for duty in ("IN_POPULATION", "SELECTION", "ASSIGNMENT"):
        assert duties[duty]["verdict"] == "BREACHED", duties[duty]
    assert "抽取记录验证未通过" in duties["IN_POPULATION"]["explanation"]
    # What the draw did not decide stays as it was.
    assert duties["CHECKLIST"]["verdict"] == "FULFILLED"
