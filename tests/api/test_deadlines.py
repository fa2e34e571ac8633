"""公示时限 Publication deadlines, holiday schedules and the plan's working days, over GraphQL.

The task is the planted draw's (one SCJG inspection).  Its approval and publication dates are
set on the inspections read table (the columns the lifecycle projection keeps), so that the
deadline arithmetic meets fixed, known calendars whatever day the tests run; "today" is the
database's, moved with ``db_clock`` (PostgreSQL under libfaketime).  test_calendar_years.py
takes an inspection through the lifecycle itself across the year's end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, People
from tests.clock import DbClock

TASK = reg.PLANTED_DRAW_TASK
INSPECTION = reg.PLANTED_DRAW_INSPECTION

DEADLINES = """
query($filter: PublicationDeadlineFilter) {
  publicationDeadlines(filter: $filter) {
    nodes {
      key kind department year endDate inspectionCount approvedCount publishedCount openCount
      completedOn workingDays deadline publishedOn status
      deadlineProblem { code year message }
      task { taskId }
    }
  }
}
"""

REPORT = """
query($department: String) {
  deadlineReport(department: $department) {
    asOf
    overdueTasks { nodes { key status deadline } }
    overdueInspections { nodes { inspectionId department lifecycle deadline { key deadline } } }
    tasksPastEndDate { nodes { key openCount endDate } }
  }
}
"""

PUBLISH = """
mutation($input: PublishHolidayScheduleInput!) {
  publishHolidaySchedule(input: $input) {
    holidaySchedule { year origin source holidays workingWeekends revision }
    errors { code field message }
  }
}
"""

# A made-up 2027 schedule (the real one is not known to the package): 1-2 January off, Sunday
# 3 January a working day.
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-01-02"],
    "workingWeekends": ["2027-01-03"],
    "source": "国办发明电（测试）",
}


@pytest.fixture
async def drawn(app: Starlette, people: People) -> People:
    await reg.seed_planted(app)
    await reg.seed_planted_draw(app)
    return people


async def results(app: Starlette, approved: str | None, published: str | None = None) -> None:
    await app.state.pool.execute(
        "UPDATE inspections SET approved_on = $2, published_on = $3 WHERE id = $1",
        INSPECTION,
        approved,
        published,
    )


async def deadline(gql: GQL, user: str | None = "auditor") -> dict[str, Any]:
    r = await gql(DEADLINES, as_user=user, filter={"department": "SCJG"})
    assert "errors" not in r, r
    nodes = [n for n in r["data"]["publicationDeadlines"]["nodes"] if n["key"] == TASK]
    assert len(nodes) == 1, r
    return nodes[0]


async def test_not_complete_until_every_inspection_is_approved(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    db_clock.travel_to_day(dt.date(2026, 5, 1))
    d = await deadline(gql)
    assert d["status"] == "NOT_COMPLETE"
    assert (d["inspectionCount"], d["approvedCount"], d["openCount"]) == (1, 0, 1)
    assert d["completedOn"] is None and d["deadline"] is None and d["deadlineProblem"] is None
    assert d["workingDays"] == 20 and d["kind"] == "TASK" and d["task"] == {"taskId": TASK}
    # Staff only: the public sees nothing.
    r = await gql(DEADLINES, filter={"department": "SCJG"})
    assert r["data"]["publicationDeadlines"]["nodes"] == []
    assert (await gql(REPORT))["data"]["deadlineReport"] is None


async def test_across_the_spring_festival(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    await results(app, "2026-02-13")
    db_clock.travel_to_day(dt.date(2026, 3, 19))
    d = await deadline(gql, "inspector")
    # 14 Feb (a working Saturday), 24-28 Feb, 2-19 Mar: the 20th working day is 19 March.
    assert (d["completedOn"], d["deadline"], d["status"]) == ("2026-02-13", "2026-03-19", "DUE")
    db_clock.travel_to_day(dt.date(2026, 3, 20))
    assert (await deadline(gql))["status"] == "OVERDUE"


async def test_across_national_day_and_the_report(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    await results(app, "2026-09-23")
    db_clock.travel_to_day(dt.date(2026, 10, 28))
    d = await deadline(gql)
    assert (d["deadline"], d["status"]) == ("2026-10-28", "DUE")
    r = await gql(REPORT, as_user="scjg-admin", department="SCJG")
    assert r["data"]["deadlineReport"]["overdueTasks"]["nodes"] == []

    db_clock.travel_to_day(dt.date(2026, 10, 29))
    r = await gql(REPORT, as_user="scjg-admin", department="SCJG")
    report = r["data"]["deadlineReport"]
    assert report["asOf"] == "2026-10-29"
    assert report["overdueTasks"]["nodes"] == [
        {"key": TASK, "status": "OVERDUE", "deadline": "2026-10-28"}
    ]
    assert report["overdueInspections"]["nodes"] == [
        {
            "inspectionId": INSPECTION,
            "department": "SCJG",
            "lifecycle": "ASSIGNED",
            "deadline": {"key": TASK, "deadline": "2026-10-28"},
        }
    ]
    other = (await gql(REPORT, as_user="sthj-admin", department="STHJ"))["data"]
    assert other["deadlineReport"]["overdueTasks"]["nodes"] == []
    assert other["deadlineReport"]["overdueInspections"]["nodes"] == []
    overdue = await gql(DEADLINES, as_user="auditor", filter={"state": "OVERDUE"})
    assert [n["key"] for n in overdue["data"]["publicationDeadlines"]["nodes"]] == [TASK]

    await results(app, "2026-09-23", "2026-10-28")
    d = await deadline(gql)
    assert (d["publishedOn"], d["status"]) == ("2026-10-28", "ON_TIME")
    await results(app, "2026-09-23", "2026-10-29")
    assert (await deadline(gql))["status"] == "LATE"
    r = await gql(REPORT, as_user="scjg-admin", department="SCJG")
    assert r["data"]["deadlineReport"]["overdueInspections"]["nodes"] == []


async def test_tasks_past_end_date_with_open_inspections(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    db_clock.travel_to_day(dt.date(2026, 6, 30))  # the task's end date
    r = await gql(REPORT, as_user="auditor")
    assert r["data"]["deadlineReport"]["tasksPastEndDate"]["nodes"] == []
    db_clock.travel_to_day(dt.date(2026, 7, 1))
    r = await gql(REPORT, as_user="auditor", department="SCJG")
    assert r["data"]["deadlineReport"]["tasksPastEndDate"]["nodes"] == [
        {"key": TASK, "openCount": 1, "endDate": "2026-06-30"}
    ]
    await results(app, "2026-07-01")
    r = await gql(REPORT, as_user="auditor", department="SCJG")
    assert r["data"]["deadlineReport"]["tasksPastEndDate"]["nodes"] == []


async def test_into_a_year_without_schedule_then_published(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    await results(app, "2026-12-10")
    db_clock.travel_to_day(dt.date(2026, 12, 31))
    d = await deadline(gql)
    # 15 working days remain in 2026; the 16th to 20th would be in 2027: not computed.
    assert d["deadline"] is None
    assert d["deadlineProblem"]["code"] == "NO_HOLIDAY_SCHEDULE"
    assert d["deadlineProblem"]["year"] == 2027
    assert d["status"] == "DUE"  # certain: the deadline is in 2027 at the earliest
    db_clock.travel_to_day(dt.date(2027, 1, 5))
    assert (await deadline(gql))["status"] == "UNDETERMINED"
    assert (await gql("{ workingCalendar(year: 2027) { year } }"))["data"] == {
        "workingCalendar": None
    }

    r = await gql(PUBLISH, as_user="admin", input=SCHEDULE_2027)
    assert r["data"]["publishHolidaySchedule"] == {
        "holidaySchedule": {
            "year": 2027,
            "origin": "PUBLISHED",
            "source": "国办发明电（测试）",
            "holidays": ["2027-01-01", "2027-01-02"],
            "workingWeekends": ["2027-01-03"],
            "revision": 0,
        },
        "errors": [],
    }
    d = await deadline(gql)
    # 3 January (a working Sunday) is the 16th; 4-7 January the 17th to 20th.
    assert (d["deadline"], d["deadlineProblem"], d["status"]) == ("2027-01-07", None, "DUE")
    db_clock.travel_to_day(dt.date(2027, 1, 8))
    assert (await deadline(gql))["status"] == "OVERDUE"


async def test_holiday_schedules_are_public(gql: GQL, app: Starlette, people: People) -> None:
    r = await gql("{ workingCalendar(year: 2026) { year origin holidays workingWeekends } }")
    cal = r["data"]["workingCalendar"]
    assert cal["origin"] == "PACKAGE"
    assert "2026-02-14" in cal["workingWeekends"] and "2026-02-28" in cal["workingWeekends"]
    assert {f"2026-02-{d}" for d in range(15, 24)} <= set(cal["holidays"])
    assert "2026-10-10" in cal["workingWeekends"] and "2026-10-07" in cal["holidays"]
    await gql(PUBLISH, as_user="admin", input=SCHEDULE_2027)
    r = await gql("{ holidaySchedules(first: 100) { nodes { year origin } } }")
    years = {n["year"]: n["origin"] for n in r["data"]["holidaySchedules"]["nodes"]}
    assert years[2004] == "PACKAGE" and years[2026] == "PACKAGE" and years[2027] == "PUBLISHED"


async def test_publish_rules(gql: GQL, app: Starlette, people: People) -> None:
    r = await gql(PUBLISH, as_user="scjg-admin", input=SCHEDULE_2027)
    assert r["data"]["publishHolidaySchedule"]["errors"][0]["code"] == "FORBIDDEN"
    r = await gql(PUBLISH, input=SCHEDULE_2027)
    assert r["data"]["publishHolidaySchedule"]["errors"][0]["code"] == "UNAUTHENTICATED"
    bad = SCHEDULE_2027 | {"workingWeekends": ["2027-01-04", "2027-01-02"]}
    r = await gql(PUBLISH, as_user="admin", input=bad)
    errors = {(e["code"], e["field"]) for e in r["data"]["publishHolidaySchedule"]["errors"]}
    assert errors == {
        ("NOT_A_WEEKEND", "workingWeekends.0"),
        ("DATE_IN_BOTH_LISTS", "workingWeekends.1"),
    }
    # A year the package covers: only as a correction, with a reason.
    y2026 = {"year": 2026, "holidays": ["2026-01-01"], "source": "更正通知"}
    r = await gql(PUBLISH, as_user="admin", input=y2026)
    assert r["data"]["publishHolidaySchedule"]["errors"][0]["code"] == "REASON_REQUIRED"
    assert (await gql("{ workingCalendar(year: 2026) { origin } }"))["data"]["workingCalendar"][
        "origin"
    ] == "PACKAGE"
    # Revising needs a reason; the same schedule again writes nothing.
    assert not (await gql(PUBLISH, as_user="admin", input=SCHEDULE_2027))["data"][
        "publishHolidaySchedule"
    ]["errors"]
    count = "SELECT count(*) FROM events WHERE stream_id = 'holidays-2027'"
    assert not (await gql(PUBLISH, as_user="admin", input=SCHEDULE_2027))["data"][
        "publishHolidaySchedule"
    ]["errors"]
    assert await app.state.pool.fetchval(count) == 1
    revised = SCHEDULE_2027 | {"workingWeekends": []}
    r = await gql(PUBLISH, as_user="admin", input=revised)
    assert r["data"]["publishHolidaySchedule"]["errors"][0]["code"] == "REASON_REQUIRED"
    r = await gql(PUBLISH, as_user="admin", input=revised | {"reason": "更正调休"})
    assert r["data"]["publishHolidaySchedule"]["holidaySchedule"]["revision"] == 1
    assert await app.state.pool.fetchval(count) == 2


async def test_plan_publication_working_days(
    db_clock: DbClock, gql: GQL, app: Starlette, drawn: People
) -> None:
    create = """
    mutation($input: CreatePlanInput!) {
      createPlan(input: $input) { plan { publicationWorkingDays } errors { code field } }
    }"""
    base = {"planId": "2026-DAYS", "year": 2026, "department": "SCJG", "title": "时限"}
    r = await gql(create, as_user="scjg-admin", input=base | {"publicationWorkingDays": 61})
    assert r["data"]["createPlan"]["errors"] == [
        {"code": "OUT_OF_RANGE", "field": "publicationWorkingDays"}
    ]
    r = await gql(create, as_user="scjg-admin", input=base | {"publicationWorkingDays": 10})
    assert r["data"]["createPlan"]["plan"] == {"publicationWorkingDays": 10}
    revise = """
    mutation($input: RevisePlanInput!) {
      revisePlan(input: $input) { plan { publicationWorkingDays } errors { code field } }
    }"""
    r = await gql(
        revise, as_user="scjg-admin", input={"planId": "2026-DAYS", "publicationWorkingDays": 15}
    )
    assert r["data"]["revisePlan"]["plan"] == {"publicationWorkingDays": 15}
    # The planted draw's plan keeps the default; a plan's own value drives its tasks' deadlines.
    await app.state.pool.execute(
        "UPDATE plans SET state = jsonb_set(state, '{publication_working_days}', '5')"
        " WHERE id = '2026-PLANTED-DRAW'"
    )
    await results(app, "2026-09-23")
    db_clock.travel_to_day(dt.date(2026, 9, 24))
    d = await deadline(gql)
    # 24 Sep (1), 28-30 Sep (2-4), 8 Oct (5).
    assert (d["workingDays"], d["deadline"]) == (5, "2026-10-08")
