"""Deadlines across the year's end, through the API and the real lifecycle.

The database's clock is moved (``db_clock``: PostgreSQL under libfaketime) so that results are
entered, approved and published on the days a scenario needs; every date in the record comes
from that clock, exactly as in production.  The 20 working days of a completion late in
December run into the next year, whose holiday schedule (调休 included) the State Council
publishes around November: until an administrator publishes it, the deadline is not computed
but reported as undetermined (never guessed); once it is published, the same question gets an
answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain.calendar import package_schedules
from tests.api import fixtures_registry as reg
from tests.api import publishing as pub
from tests.api.conftest import GQL, People
from tests.api.test_deadlines import DEADLINES, PUBLISH, SCHEDULE_2027
from tests.clock import DbClock

D = dt.date
INSPECTION = reg.PLANTED_DRAW_INSPECTION

REVIEW = """
query($subject: String!, $from: Date!, $to: Date!) {
  accountabilityReview(subject: $subject, from: $from, to: $to) {
    findings { duty verdict scope explanation }
  }
}"""

STATISTICS = """
query($year: Int!) {
  statistics(year: $year) {
    asOf
    district { byOrigin { origin published publishedOnTime publishedLate overdue deadlineUnknown } }
  }
}"""


@pytest.fixture(autouse=True)
def no_2027_in_the_package() -> None:
    """The premise: chinese-calendar does not know 2027 (1.11.0 carries 2004-2026)."""
    assert 2027 not in dict(package_schedules()), (
        "chinese-calendar now carries 2027: move these scenarios to its first unknown year"
    )


async def _deadline(gql: GQL, key: str) -> dict[str, Any]:
    r = await gql(DEADLINES, as_user="auditor", filter={"department": "SCJG"})
    assert "errors" not in r, r
    (node,) = [n for n in r["data"]["publicationDeadlines"]["nodes"] if n["key"] == key]
    return node


async def _publication_verdict(gql: GQL, app: Starlette) -> dict[str, Any]:
    await pub.sealed(app)  # the review reads the sealed ledger; under load the sealer lags
    r = await gql(
        REVIEW,
        as_user="auditor",
        subject=reg.PLANTED_DRAW_SUBJECT,
        **{"from": "2026-01-01", "to": "2027-12-31"},
    )
    assert "errors" not in r, r
    (finding,) = [
        f
        for f in r["data"]["accountabilityReview"]["findings"]
        if f["duty"] == "PUBLICATION" and f["scope"].startswith(INSPECTION)
    ]
    return finding


async def _publish_2027(gql: GQL) -> None:
    r = await gql(PUBLISH, as_user="admin", input=SCHEDULE_2027)
    assert r["data"]["publishHolidaySchedule"]["errors"] == [], r


async def test_a_task_completed_on_20_december(
    gql: GQL, app: Starlette, people: People, db_clock: DbClock
) -> None:
    db_clock.travel_to_day(D(2026, 6, 1))
    await reg.seed_planted(app)
    await reg.seed_planted_draw(app)  # task TD-PLANTED, 1 March to 30 June 2026
    db_clock.travel_to_day(D(2026, 6, 10))
    await pub.run(
        gql,
        "submitInspectionResults",
        reg.PLANTED_ACCOUNT,
        inspectionId=INSPECTION,
        inspectedOn="2026-06-10",
        results=[pub.result(item=reg.PLANTED_ITEM)],
    )
    db_clock.travel_to_day(D(2026, 12, 20))  # a Sunday: approved, so the task is complete
    await pub.run(gql, "approveInspectionResults", "scjg-admin", inspectionId=INSPECTION)

    d = await _deadline(gql, reg.PLANTED_DRAW_TASK)
    assert (d["completedOn"], d["deadline"]) == ("2026-12-20", None)
    assert d["deadlineProblem"]["code"] == "NO_HOLIDAY_SCHEDULE"
    assert d["deadlineProblem"]["year"] == 2027
    # Nine working days are left in 2026: the deadline is in 2027, so not yet overdue.
    assert d["status"] == "DUE"
    assert (await _publication_verdict(gql, app))["verdict"] == "NOT_APPLICABLE"

    db_clock.travel_to_day(D(2027, 1, 5))
    d = await _deadline(gql, reg.PLANTED_DRAW_TASK)
    assert (d["deadline"], d["status"]) == (None, "UNDETERMINED")
    verdict = await _publication_verdict(gql, app)
    assert verdict["verdict"] == "NOT_APPLICABLE"
    assert "缺少 2027 年节假日安排" in verdict["explanation"]

    await _publish_2027(gql)
    d = await _deadline(gql, reg.PLANTED_DRAW_TASK)
    # 21-25 and 28-31 December (9), Sunday 3 January (a working weekend), 4-8 and 11-15
    # January: the 20th working day is Friday 15 January 2027.
    assert (d["deadline"], d["status"], d["deadlineProblem"]) == ("2027-01-15", "DUE", None)

    await pub.run(gql, "publishInspectionResults", "scjg-admin", inspectionId=INSPECTION)
    d = await _deadline(gql, reg.PLANTED_DRAW_TASK)
    assert (d["publishedOn"], d["status"]) == ("2027-01-05", "ON_TIME")
    verdict = await _publication_verdict(gql, app)
    assert verdict["verdict"] == "FULFILLED"
    assert "2027-01-15" in verdict["explanation"]


async def test_statistics_of_a_year_on_time_late_and_undetermined(
    gql: GQL, app: Starlette, people: People, db_clock: DbClock
) -> None:
    await pub.seed_publishing(app, subject_count=3)
    late, on_time, unknown = (pub.uscc(n) for n in range(3))

    db_clock.travel_to_day(D(2026, 9, 1))
    await pub.approved_case(gql, "LATE-1", late, day=D(2026, 9, 1))
    db_clock.travel_to_day(D(2026, 11, 2))
    await pub.published_case(gql, "ONTIME-1", on_time, day=D(2026, 11, 2))
    await pub.run(
        gql, "publishInspectionResults", "scjg-admin", inspectionId=pub.case_key("LATE-1")
    )
    db_clock.travel_to_day(D(2026, 12, 20))
    await pub.approved_case(gql, "UNKNOWN-1", unknown, day=D(2026, 12, 20))
    db_clock.travel_to_day(D(2027, 1, 20))
    key = pub.case_key("UNKNOWN-1")
    await pub.run(gql, "publishInspectionResults", "scjg-admin", inspectionId=key)

    async def case_figures() -> dict[str, Any]:
        r = await gql(STATISTICS, as_user="auditor", year=2026)
        assert "errors" not in r, r
        assert r["data"]["statistics"]["asOf"] == "2027-01-20"
        (case,) = [
            o for o in r["data"]["statistics"]["district"]["byOrigin"] if o["origin"] == "CASE"
        ]
        return case

    assert await case_figures() == {
        "origin": "CASE",
        "published": 3,
        "publishedOnTime": 1,
        "publishedLate": 1,  # approved 1 September, published 2 November
        "overdue": 0,
        "deadlineUnknown": 1,  # approved 20 December, published 20 January: 2027 unknown
    }
    assert (await _deadline(gql, key))["status"] == "UNDETERMINED"

    await _publish_2027(gql)
    # Now the deadline is 15 January 2027 (see above): published on the 20th, late.
    assert (await _deadline(gql, key))["deadline"] == "2027-01-15"
    figures = await case_figures()
    assert (figures["publishedOnTime"], figures["publishedLate"], figures["deadlineUnknown"]) == (
        1,
        2,
        0,
    )
