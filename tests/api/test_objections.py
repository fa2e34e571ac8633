"""异议 Objections through GraphQL: the public files one, the lead department corrects the result
and answers, the public sees the correction; answers late or overdue across the 2026 National
Day holiday and its 调休 show as BREACHED in the review and OVERDUE in the deadline report; a
confirmed abnormal listing is removed after proof."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.api import publishing as pub
from tests.api.conftest import GQL, People
from tests.clock import DbClock

pytestmark = pytest.mark.calendar

FILED = dt.date(2026, 9, 24)  # Thursday; 25-27 Sep 中秋 and 1-7 Oct 国庆 off, 10 Oct 调休上班
DEADLINE = dt.date(2026, 10, 15)

FILE = """
mutation($input: FileObjectionInput!) { fileObjection(input: $input) {
  objection { key status filer filedOn workingDays deadline { deadline status } }
  errors { code field message } } }"""
ANSWER = """
mutation($input: AnswerObjectionInput!) { answerObjection(input: $input) {
  objection { key status outcome answeredOn amendments } errors { code field message } } }"""
AMEND = """
mutation($input: AmendInspectionResultInput!) { amendInspectionResult(input: $input) {
  inspection { key } errors { code field message } } }"""
CREDIT = """
query($s: String!) { creditRecord(subject: $s) { inspections { nodes { key amended record {
  items { item code } amendments { number beforeCode afterCode reason amendedOn } } } }
  abnormalOperation { inspectionId removedAt } } }"""
STATUS = """
query($k: String!, $u: String!) { objectionStatus(key: $k, uscc: $u) {
  key status outcome answeredOn } }"""
REPORT = """
{ deadlineReport(department: "SCJG") { asOf overdueObjections { nodes {
  objectionId deadline status objection { key } } } } }"""
REVIEW = """
query($s: String!) { accountabilityReview(subject: $s, from: "2026-01-01", to: "2026-12-31") {
  findings { duty verdict scope explanation proofs { eventType } } } }"""


async def _ok(gql: GQL, query: str, name: str, user: str | None, **input: Any) -> dict[str, Any]:
    r = await gql(query, as_user=user, input=input)
    assert "errors" not in r, r
    payload: dict[str, Any] = r["data"][name]
    assert payload["errors"] == [], payload
    return payload


async def _published(app: Starlette, gql: GQL, db_clock: DbClock, ref: str) -> str:
    db_clock.travel_to_day(FILED, hour=9)
    return await pub.published_case(gql, ref, pub.uscc(0), pub.result("D"), day=FILED)


async def _file(gql: GQL, key: str) -> str:
    filed = await _ok(
        gql,
        FILE,
        "fileObjection",
        None,
        inspectionId=key,
        uscc=pub.uscc(0).lower(),
        grounds="检查当日本店停业装修，未经营",
    )
    o = filed["objection"]
    assert (o["status"], o["filer"], o["filedOn"], o["workingDays"]) == (
        "FILED",
        "PUBLIC",
        FILED.isoformat(),
        10,
    )
    assert o["deadline"] == {"deadline": DEADLINE.isoformat(), "status": "DUE"}
    key_: str = o["key"]
    return key_


@pytest.fixture
async def published(app: Starlette, people: People) -> People:
    await pub.seed_publishing(app, subject_count=1)
    return people


async def test_a_correction_on_objection_is_visible_to_the_public(
    app: Starlette, gql: GQL, published: People, db_clock: DbClock
) -> None:
    key = await _published(app, gql, db_clock, "OB-1")
    # Not a published result, or another subject's USCC: the same NOT_FOUND.
    for target, uscc in ((pub.case_key("NOPE"), pub.uscc(0)), (key, pub.uscc(1))):
        r = await gql(FILE, input={"inspectionId": target, "uscc": uscc, "grounds": "x"})
        assert [e["code"] for e in r["data"]["fileObjection"]["errors"]] == ["NOT_FOUND"]
    objection = await _file(gql, key)
    db_clock.travel_to_day(dt.date(2026, 10, 9))
    await _ok(
        gql,
        AMEND,
        "amendInspectionResult",
        "scjg-admin",
        inspectionId=key,
        result=pub.result("F"),
        reason="异议成立：检查当日未开展经营活动",
        objectionId=objection,
    )
    answered = await _ok(
        gql,
        ANSWER,
        "answerObjection",
        "scjg-admin",
        objectionId=objection,
        outcome="CORRECTED",
        reason="经复核异议成立，已更正公示结果",
    )
    assert answered["objection"] == {
        "key": objection,
        "status": "ANSWERED",
        "outcome": "CORRECTED",
        "answeredOn": "2026-10-09",
        "amendments": [1],
    }
    credit = (await gql(CREDIT, s=pub.uscc(0)))["data"]["creditRecord"]
    (node,) = credit["inspections"]["nodes"]
    assert node["amended"] is True
    node = node["record"]
    assert node["items"] == [{"item": pub.ITEM, "code": "F"}]
    assert node["amendments"] == [
        {
            "number": 1,
            "beforeCode": "D",
            "afterCode": "F",
            "reason": "异议成立：检查当日未开展经营活动",
            "amendedOn": "2026-10-09",
        }
    ]
    status = (await gql(STATUS, k=objection, u=pub.uscc(0)))["data"]["objectionStatus"]
    assert status == {
        "key": objection,
        "status": "ANSWERED",
        "outcome": "CORRECTED",
        "answeredOn": "2026-10-09",
    }
    assert (await gql(STATUS, k=objection, u=pub.uscc(1)))["data"]["objectionStatus"] is None
    await pub.sealed(app)
    review = (await gql(REVIEW, as_user="auditor", s=pub.uscc(0)))["data"]["accountabilityReview"]
    (duty,) = [f for f in review["findings"] if f["duty"] == "OBJECTION_ANSWER"]
    assert duty["verdict"] == "FULFILLED"


async def test_late_and_overdue_answers(
    app: Starlette, gql: GQL, published: People, db_clock: DbClock
) -> None:
    late = await _file(gql, await _published(app, gql, db_clock, "OB-LATE"))
    overdue = await _file(gql, await _published(app, gql, db_clock, "OB-OPEN"))
    # On the deadline day both are still DUE; the day after, not answered is OVERDUE.
    db_clock.travel_to_day(DEADLINE)
    report = (await gql(REPORT, as_user="scjg-admin"))["data"]["deadlineReport"]
    assert report["overdueObjections"]["nodes"] == []
    db_clock.travel_to_day(DEADLINE + dt.timedelta(days=1))
    await _ok(
        gql,
        ANSWER,
        "answerObjection",
        "scjg-admin",
        objectionId=late,
        outcome="UPHELD",
        reason="经复核维持原结果",
    )
    report = (await gql(REPORT, as_user="scjg-admin"))["data"]["deadlineReport"]
    assert report["overdueObjections"]["nodes"] == [
        {
            "objectionId": overdue,
            "deadline": DEADLINE.isoformat(),
            "status": "OVERDUE",
            "objection": {"key": overdue},
        }
    ]
    assert (await gql(REPORT))["data"]["deadlineReport"] is None
    await pub.sealed(app)
    review = (await gql(REVIEW, as_user="auditor", s=pub.uscc(0)))["data"]["accountabilityReview"]
    verdicts = {
        f["scope"].split(" ")[-1]: (f["verdict"], f["explanation"])
        for f in review["findings"]
        if f["duty"] == "OBJECTION_ANSWER"
    }
    assert verdicts[late][0] == "BREACHED" and "逾期答复" in verdicts[late][1]
    assert verdicts[overdue][0] == "BREACHED" and "逾期未答复" in verdicts[overdue][1]
    assert str(DEADLINE) in verdicts[overdue][1]


REMOVE = """
mutation($input: RemoveAbnormalListingInput!) { removeAbnormalListing(input: $input) {
  proposal { key status removedBy removalProof } errors { code field message } } }"""
CONFIRM = """
mutation($input: ConfirmAbnormalListingInput!) { confirmAbnormalListing(input: $input) {
  proposal { key status } errors { code field message } } }"""


async def test_an_abnormal_listing_is_removed_after_proof(
    app: Starlette, gql: GQL, published: People, db_clock: DbClock
) -> None:
    db_clock.travel_to_day(FILED, hour=9)
    key = await pub.published_case(gql, "OB-R6", pub.uscc(0), pub.result("R6"), day=FILED)
    refused = await gql(
        REMOVE,
        as_user="scjg-admin",
        input={"inspectionId": key, "verifiedOn": "2026-09-24", "reason": "已核实"},
    )
    assert [e["code"] for e in refused["data"]["removeAbnormalListing"]["errors"]] == [
        "INVALID_TRANSITION"
    ]
    await _ok(gql, CONFIRM, "confirmAbnormalListing", "scjg-admin", inspectionId=key)
    db_clock.travel_to_day(dt.date(2026, 10, 12))
    removed = await _ok(
        gql,
        REMOVE,
        "removeAbnormalListing",
        "scjg-admin",
        inspectionId=key,
        verifiedOn="2026-10-12",
        reason="企业提交租赁合同，现场核查住所可以联系",
    )
    assert removed["proposal"] == {
        "key": key,
        "status": "REMOVED",
        "removedBy": "scjg-admin",
        "removalProof": "2026-10-12 核实：企业提交租赁合同，现场核查住所可以联系",
    }
    credit = (await gql(CREDIT, s=pub.uscc(0)))["data"]["creditRecord"]
    (listing,) = credit["abnormalOperation"]
    assert listing["inspectionId"] == key and listing["removedAt"] is not None
