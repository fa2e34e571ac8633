"""一公开 through the API: public search by name and USCC, the credit record with amendments shown
as amendments, abnormal-operation proposals from code 6 (roles, refusals), follow-up tracking,
the feed for the national systems (resume with no gap and no repeat), and the rebuild."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import asyncpg
import pytest
from starlette.applications import Starlette

from spotcheck.projections.publications import (
    AbnormalProposalsProjection,
    FollowUpsProjection,
    PublicationsProjection,
)
from spotcheck.projections.rebuilder import differences, replay_into_schema
from tests.api import publishing as pub
from tests.api.conftest import GQL, People
from tests.api.schema_walk import strings
from tests.clock import DbClock

pytestmark = pytest.mark.calendar  # cases open, and follow-ups fall due, relative to today

RECORD = """
inspectionId origin taskId taskTitle subjectKey subjectName uscc departments
inspectedOn approvedOn publishedOn
items { item itemName code codeDescription followUp correctBy receivingBody }
amendments { number item beforeCode afterCode reason amendedOn }
"""
SEARCH = f"""
query($filter: PublishedResultFilter, $first: Int, $after: String) {{
  publishedResults(filter: $filter, first: $first, after: $after) {{
    nodes {{ id key publishedAt amended record {{ {RECORD} }} }}
    pageInfo {{ hasNextPage endCursor }} }} }}"""
CREDIT = f"""
query($s: String!) {{ creditRecord(subject: $s) {{
  subjectKey subjectName uscc inspectionCount abnormalOperation {{ inspectionId listedAt }}
  inspections {{ nodes {{ key amended record {{ {RECORD} }} }} }} }} }}"""
PROPOSALS = """
query($filter: AbnormalListingProposalFilter) {
  abnormalListingProposals(filter: $filter) {
    nodes { id key subjectKey subjectName uscc departments items proposedOn status decidedBy
            decidedAt reason maintainingDepartment inspection { key } } } }"""
PROPOSAL_FIELDS = "key status decidedBy decidedAt reason"
CONFIRM = (
    "mutation($input: ConfirmAbnormalListingInput!) { r: confirmAbnormalListing(input: $input) "
    f"{{ proposal {{ {PROPOSAL_FIELDS} }} errors {{ code field message }} }} }}"
)
REJECT = (
    "mutation($input: RejectAbnormalListingInput!) { r: rejectAbnormalListing(input: $input) "
    f"{{ proposal {{ {PROPOSAL_FIELDS} }} errors {{ code field message }} }} }}"
)
FOLLOW_UPS = """
query($filter: FollowUpFilter) { followUps(filter: $filter) {
  nodes { id key inspectionId item subjectKey origin departments kind code state approvedOn
          correctBy recheckedOn corrected receivingBody transferStatus
          notifyDepartment } } }"""
FEED = """
query($after: SafeInt!, $first: Int!) { publicationFeed(after: $after, first: $first) {
  entries { position eventType eventId recordedAt
            record { inspectionId items { code } amendments { number afterCode } } }
  nextAfter headPosition hasMore } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename
  ... on PublishedInspection { key } ... on AbnormalListingProposal { key }
  ... on FollowUpTracking { key } } }"""


@pytest.fixture
async def scene(app: Starlette, people: People) -> People:
    await pub.seed_publishing(app)
    return people


def search_nodes(r: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in r, r
    nodes: list[dict[str, Any]] = r["data"]["publishedResults"]["nodes"]
    return nodes


async def test_public_search_by_name_uscc_department_and_dates(gql: GQL, scene: People) -> None:
    a = await pub.published_case(gql, "TS-1", pub.uscc(0), pub.result("R1"))
    b = await pub.published_case(
        gql,
        "TS-2",
        pub.uscc(0),
        pub.result("A", {"kind": "ORDER_TO_CORRECT", "correctBy": pub.today().isoformat()}),
    )
    c = await pub.published_case(gql, "TS-3", pub.uscc(1), pub.result("R1"))
    await pub.approved_case(gql, "TS-4", pub.uscc(2))  # approved, not published: not public

    everything = search_nodes(await gql(SEARCH))
    assert [n["key"] for n in everything] == sorted([a, b, c])
    by_name = search_nodes(await gql(SEARCH, filter={"subjectName": "鑫源0号"}))
    assert [n["key"] for n in by_name] == sorted([a, b])
    by_uscc = search_nodes(await gql(SEARCH, filter={"uscc": pub.uscc(1).lower()}))
    assert [n["key"] for n in by_uscc] == [c]
    # 结果互认: another department's admin and the public see the same.
    as_sthj = search_nodes(await gql(SEARCH, as_user="sthj-admin", filter={"department": "SCJG"}))
    assert [n["key"] for n in as_sthj] == sorted([a, b, c])
    assert search_nodes(await gql(SEARCH, filter={"department": "STHJ"})) == []
    assert len(search_nodes(await gql(SEARCH, filter={"origin": "CASE"}))) == 3
    assert search_nodes(await gql(SEARCH, filter={"origin": "RANDOM"})) == []
    day = pub.today()
    assert len(search_nodes(await gql(SEARCH, filter={"from": day.isoformat()}))) == 3
    tomorrow = (day + dt.timedelta(days=1)).isoformat()
    assert search_nodes(await gql(SEARCH, filter={"from": tomorrow})) == []
    yesterday = (day - dt.timedelta(days=1)).isoformat()
    assert search_nodes(await gql(SEARCH, filter={"to": yesterday})) == []
    # keyset pages
    first = (await gql(SEARCH, first=2))["data"]["publishedResults"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = search_nodes(await gql(SEARCH, first=2, after=first["pageInfo"]["endCursor"]))
    assert [n["key"] for n in first["nodes"] + rest] == sorted([a, b, c])

    good = pub.uscc(1)
    wrong = good[:17] + ("1" if good[17] != "1" else "2")
    bad = await gql(SEARCH, filter={"uscc": wrong})
    assert bad["errors"][0]["extensions"] == {"code": "USCC_CHECK_MISMATCH", "field": "filter.uscc"}


async def test_credit_record_shows_results_follow_ups_and_amendments(
    gql: GQL, scene: People
) -> None:
    key = await pub.published_case(
        gql,
        "CR-1",
        pub.uscc(0),
        pub.result("A", {"kind": "ORDER_TO_CORRECT", "correctBy": pub.today().isoformat()}),
    )
    other = await pub.published_case(
        gql,
        "CR-2",
        pub.uscc(0),
        pub.result("D", {"kind": "CASE_TRANSFER", "receivingBody": "丰台区市场监管局执法队"}),
    )
    await pub.amend(gql, key, pub.result("E"), "复查确认已改正，更正结果代码")

    r = await gql(CREDIT, s=pub.uscc(0).lower())  # the public, any letter case
    assert "errors" not in r, r
    record = r["data"]["creditRecord"]
    assert (record["subjectKey"], record["uscc"], record["subjectName"]) == (
        pub.uscc(0),
        pub.uscc(0),
        pub.name(0),
    )
    assert record["inspectionCount"] == 2
    assert record["abnormalOperation"] == []
    nodes = {n["key"]: n for n in record["inspections"]["nodes"]}
    assert set(nodes) == {key, other}
    amended = nodes[key]
    assert amended["amended"] is True
    day = pub.today().isoformat()
    rec = amended["record"]
    assert rec["departments"] == ["SCJG"]
    assert (rec["origin"], rec["taskId"]) == ("CASE", None)
    assert rec["inspectedOn"] == rec["approvedOn"] == rec["publishedOn"] == day
    (item,) = rec["items"]
    assert (item["item"], item["itemName"], item["code"]) == (pub.ITEM, pub.ITEM_NAME, "E")
    assert item["codeDescription"].startswith("发现问题经责令已改正")
    (amendment,) = rec["amendments"]
    assert amendment == {
        "number": 1,
        "item": pub.ITEM,
        "beforeCode": "A",
        "afterCode": "E",
        "reason": "复查确认已改正，更正结果代码",
        "amendedOn": day,
    }
    transfer = nodes[other]["record"]["items"][0]
    assert (transfer["code"], transfer["followUp"], transfer["receivingBody"]) == (
        "D",
        "CASE_TRANSFER",
        "丰台区市场监管局执法队",
    )
    assert transfer["codeDescription"].startswith("违反其他市场监管规定")
    # No personal data, no findings, no inspector: not even the staff ids.
    seen = strings(r["data"])
    assert not {pub.FINDINGS, *pub.OFFICERS, *pub.OFFICER_USERS, "张0"} & seen
    assert (await gql(CREDIT, s=pub.uscc(2)))["data"]["creditRecord"] is None
    # a node by global id, for anyone
    (found,) = search_nodes(await gql(SEARCH, filter={"subjectName": pub.name(0), "to": day}))[:1]
    node = (await gql(NODE, id=found["id"]))["data"]["node"]
    assert node == {"__typename": "PublishedInspection", "key": found["key"]}


async def proposals(gql: GQL, user: str | None = "admin", **filter: Any) -> list[dict[str, Any]]:
    r = await gql(PROPOSALS, as_user=user, filter=filter or None)
    assert "errors" not in r, r
    nodes: list[dict[str, Any]] = r["data"]["abnormalListingProposals"]["nodes"]
    return nodes


async def decision(gql: GQL, query: str, user: str | None, **input: Any) -> dict[str, Any]:
    r = await gql(query, as_user=user, input=input)
    assert "errors" not in r, r
    payload: dict[str, Any] = r["data"]["r"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_code_6_raises_a_proposal_for_the_registration_authority(
    gql: GQL, scene: People
) -> None:
    plain = await pub.published_case(gql, "AB-0", pub.uscc(1), pub.result("R1"))
    key = await pub.published_case(gql, "AB-1", pub.uscc(0), pub.result("R6"))
    assert plain
    (p,) = await proposals(gql)
    assert (p["key"], p["status"], p["items"], p["subjectName"], p["uscc"]) == (
        key,
        "PROPOSED",
        [pub.ITEM],
        pub.name(0),
        pub.uscc(0),
    )
    assert (p["maintainingDepartment"], p["departments"], p["inspection"]["key"]) == (
        "SCJG",
        ["SCJG"],
        key,
    )
    assert p["proposedOn"] == pub.today().isoformat()
    assert await proposals(gql, None) == []  # staff only
    assert await proposals(gql, "sthj-admin", department="STHJ") == []
    assert [x["key"] for x in await proposals(gql, "inspector", status="PROPOSED")] == [key]

    # Who: the public, another department's admin, an inspector, an auditor may not.
    refused = {
        None: "UNAUTHENTICATED",
        "sthj-admin": "FORBIDDEN",
        "inspector": "FORBIDDEN",
        "auditor": "FORBIDDEN",
    }
    for user, code in refused.items():
        payload = await decision(gql, CONFIRM, user, inspectionId=key)
        assert (payload["proposal"], codes(payload)[0][0]) == (None, code), user
    payload = await decision(gql, REJECT, "scjg-admin", inspectionId=key, reason="  ")
    assert codes(payload) == [("REASON_REQUIRED", "reason")]
    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId="CASE/SCJG/NOPE")
    assert codes(payload) == [("NOT_FOUND", "inspectionId")]
    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId=plain)
    assert codes(payload) == [("NOT_FOUND", "inspectionId")]

    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId=key, note="两次实地核查")
    assert payload["errors"] == []
    got = payload["proposal"]
    assert (got["status"], got["decidedBy"], got["reason"]) == (
        "CONFIRMED",
        "scjg-admin",
        "两次实地核查",
    )
    assert got["decidedAt"] is not None
    for query, extra in ((CONFIRM, {}), (REJECT, {"reason": "重复"})):
        payload = await decision(gql, query, "admin", inspectionId=key, **extra)
        assert codes(payload) == [("INVALID_TRANSITION", "inspectionId")]

    record = (await gql(CREDIT, s=pub.uscc(0)))["data"]["creditRecord"]
    assert [x["inspectionId"] for x in record["abnormalOperation"]] == [key]
    assert record["abnormalOperation"][0]["listedAt"] == got["decidedAt"]

    # SYSTEM_ADMIN rejects another, with a reason; a third is withdrawn by an amendment.
    second = await pub.published_case(gql, "AB-2", pub.uscc(1), pub.result("R6"))
    payload = await decision(gql, REJECT, "admin", inspectionId=second, reason="住所已核实")
    assert payload["errors"] == []
    assert (payload["proposal"]["status"], payload["proposal"]["decidedBy"]) == (
        "REJECTED",
        "admin",
    )
    third = await pub.published_case(gql, "AB-3", pub.uscc(2), pub.result("R6"))
    await pub.amend(gql, third, pub.result("R7"), "经核实企业正在组织清算")
    (withdrawn,) = await proposals(gql, status="WITHDRAWN")
    assert withdrawn["key"] == third
    payload = await decision(gql, CONFIRM, "scjg-admin", inspectionId=third)
    assert codes(payload) == [("INVALID_TRANSITION", "inspectionId")]
    await pub.amend(gql, third, pub.result("R6"), "再次核查确认无法联系")
    assert [x["key"] for x in await proposals(gql, status="PROPOSED")] == [third]
    assert {x["key"]: x["status"] for x in await proposals(gql)} == {
        key: "CONFIRMED",
        second: "REJECTED",
        third: "PROPOSED",
    }


async def follow_ups(gql: GQL, user: str | None = "scjg-admin", **f: Any) -> list[dict[str, Any]]:
    r = await gql(FOLLOW_UPS, as_user=user, filter=f or None)
    assert "errors" not in r, r
    nodes: list[dict[str, Any]] = r["data"]["followUps"]["nodes"]
    return nodes


async def test_follow_ups_due_overdue_done(gql: GQL, scene: People, db_clock: DbClock) -> None:
    day = pub.today()
    correct = await pub.approved_case(
        gql,
        "FU-1",
        pub.uscc(0),
        pub.result("A", {"kind": "ORDER_TO_CORRECT", "correctBy": day.isoformat()}),
    )
    transfer = await pub.published_case(
        gql,
        "FU-2",
        pub.uscc(1),
        pub.result("D", {"kind": "CASE_TRANSFER", "receivingBody": "区市场监管局执法大队"}),
    )
    await pub.published_case(gql, "FU-3", pub.uscc(2), pub.result("R1"))  # no follow-up
    await pub.run(
        gql,
        "openCaseInspection",
        "scjg-admin",
        department="SCJG",
        reference="FU-4",
        source="REFERRAL",
        subject=pub.uscc(2),
        items=[pub.ITEM],
        officers=list(pub.OFFICERS),
        reason="转办",
        endDate=day.isoformat(),
    )
    await pub.run(
        gql,
        "submitInspectionResults",
        pub.OFFICER_USERS[0],
        inspectionId=pub.case_key("FU-4"),
        inspectedOn=day.isoformat(),
        results=[pub.result("A", {"kind": "ORDER_TO_CORRECT", "correctBy": day.isoformat()})],
    )  # submitted, not approved: not tracked yet

    rows = {r["inspectionId"]: r for r in await follow_ups(gql)}
    assert set(rows) == {correct, transfer}
    assert (rows[correct]["kind"], rows[correct]["state"], rows[correct]["correctBy"]) == (
        "ORDER_TO_CORRECT",
        "DUE",
        day.isoformat(),
    )
    assert (rows[transfer]["state"], rows[transfer]["receivingBody"]) == (
        "DUE",
        "区市场监管局执法大队",
    )
    assert rows[transfer]["transferStatus"] == "TRANSFERRED"
    assert await follow_ups(gql, None) == []  # staff only
    assert [r["inspectionId"] for r in await follow_ups(gql, kind="CASE_TRANSFER")] == [transfer]
    assert await follow_ups(gql, department="STHJ") == []

    # Tomorrow (Beijing) the correction is overdue.
    later = day + dt.timedelta(days=1)
    db_clock.travel_to_day(later)
    assert [r["inspectionId"] for r in await follow_ups(gql, state="OVERDUE")] == [correct]
    # A re-check that found no correction leaves it overdue; one that found it corrected: done.
    await pub.run(
        gql,
        "recordCorrectionRecheck",
        pub.OFFICER_USERS[1],
        inspectionId=correct,
        item=pub.ITEM,
        recheckedOn=day.isoformat(),
        corrected=False,
        note="未整改",
    )
    (row,) = await follow_ups(gql, state="OVERDUE")
    assert (row["recheckedOn"], row["corrected"]) == (day.isoformat(), False)
    await pub.run(
        gql,
        "recordCorrectionRecheck",
        "scjg-admin",
        inspectionId=correct,
        item=pub.ITEM,
        recheckedOn=day.isoformat(),
        corrected=True,
    )
    assert [r["inspectionId"] for r in await follow_ups(gql, state="DONE")] == [correct]
    for status in ("ACCEPTED", "CLOSED"):
        await pub.run(
            gql,
            "updateCaseTransfer",
            "scjg-admin",
            inspectionId=transfer,
            item=pub.ITEM,
            status=status,
        )
    (row,) = await follow_ups(gql, kind="CASE_TRANSFER", state="DONE")
    assert row["transferStatus"] == "CLOSED"
    assert await follow_ups(gql, state="DUE") == []
    node = (await gql(NODE, as_user="auditor", id=row["id"]))["data"]["node"]
    assert node == {"__typename": "FollowUpTracking", "key": row["key"]}
    assert (await gql(NODE, id=row["id"]))["data"]["node"] is None  # not for the public


async def read_feed(gql: GQL, after: int, first: int) -> dict[str, Any]:
    r = await gql(FEED, after=after, first=first)
    assert "errors" not in r, r
    page: dict[str, Any] = r["data"]["publicationFeed"]
    return page


async def test_feed_resumes_without_gaps_or_repeats(
    gql: GQL, scene: People, app: Starlette
) -> None:
    """A consumer reads pages of 2 while publications are appended; it gets every publication
    and published amendment once, in ledger order, and resumes from a saved position."""
    expected: list[tuple[str, str]] = []
    first = await pub.published_case(gql, "FD-0", pub.uscc(0), pub.result("R1"))
    expected.append(("PUBLISHED", first))
    unpublished = await pub.approved_case(gql, "FD-X", pub.uscc(1), pub.result("R1"))
    # an amendment before publication is not public: not in the feed
    await pub.amend(gql, unpublished, pub.result("F"), "更正")

    async def producer() -> None:
        for n in range(1, 5):
            key = await pub.published_case(gql, f"FD-{n}", pub.uscc(n % 3), pub.result("R1"))
            expected.append(("PUBLISHED", key))
            if n % 2 == 0:
                await pub.amend(gql, key, pub.result("F"), f"更正{n}")
                expected.append(("AMENDED", key))

    got: list[tuple[int, str, str]] = []
    saved: int | None = None
    after = 0
    task = asyncio.create_task(producer())
    while True:
        page = await read_feed(gql, after, 2)
        assert len(page["entries"]) <= 2
        for e in page["entries"]:
            got.append((e["position"], e["eventType"], e["record"]["inspectionId"]))
        assert page["nextAfter"] >= after
        after = page["nextAfter"]
        if len(got) >= 3 and saved is None:
            saved = got[2][0]  # the consumer's checkpoint after its third entry
        if task.done() and not page["hasMore"]:
            await pub.sealed(app)
            page = await read_feed(gql, after, 2)
            if not page["entries"] and not page["hasMore"]:
                break
            continue
        await asyncio.sleep(0)
    await task
    positions = [p for p, _, _ in got]
    assert positions == sorted(set(positions))  # in order, no repeat
    assert [(t, k) for _, t, k in got] == expected  # no gap
    amended = [e for e in got if e[1] == "AMENDED"]
    assert len(amended) == 2

    assert saved is not None
    resumed: list[int] = []
    after = saved
    while True:
        page = await read_feed(gql, after, 3)
        resumed += [e["position"] for e in page["entries"]]
        after = page["nextAfter"]
        if not page["hasMore"]:
            break
    assert resumed == positions[3:]

    page = await read_feed(gql, positions[-1], 10)
    assert page["entries"] == [] and page["nextAfter"] == page["headPosition"]
    bad = await gql(FEED, after=0, first=501)
    assert bad["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_read_tables_rebuild_from_the_ledger(
    gql: GQL, scene: People, app: Starlette, owner_conn: asyncpg.Connection
) -> None:
    day = pub.today().isoformat()
    a = await pub.published_case(
        gql, "RB-1", pub.uscc(0), pub.result("R6", {"kind": "OTHER", "description": "提请"})
    )
    b = await pub.published_case(
        gql, "RB-2", pub.uscc(1), pub.result("A", {"kind": "ORDER_TO_CORRECT", "correctBy": day})
    )
    await pub.amend(gql, b, pub.result("R6"), "复核")
    payload = await decision(gql, CONFIRM, "admin", inspectionId=a)
    assert payload["errors"] == []
    await pub.sealed(app)
    for projection in (
        PublicationsProjection(),
        AbnormalProposalsProjection(),
        FollowUpsProjection(),
    ):
        await replay_into_schema(owner_conn, projection, "rebuild_publications")
        assert await differences(owner_conn, projection, "rebuild_publications") == 0
    assert await owner_conn.fetchval("SELECT count(*) FROM rebuild_publications.follow_ups") == 1
