"""A draw's large lists as pages (issue 12): a stratum's picks, the unmatched subjects and the
replacements walk page by page in order."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import inspector as ins
from spotcheck.domain import task as tk
from spotcheck.draw import transcript as tr
from spotcheck.services import inspectors
from tests.api.conftest import GQL, SEED, People, seed_people
from tests.api.test_draws import (
    ENTROPY,
    INSPECTIONS,
    OFFICERS,
    REPLACE,
    SOURCES,
    TRANSCRIPT,
    payload,
    publish_task,
    seed_registry,
    uscc_key,
)

LIMIT = 1000
"""The inline transcript limit of this module's server: the test draws' transcripts exceed it."""
TASK = "T2026-PAGE"
COMMIT = """mutation($input: CommitDrawInput!) { commitDraw(input: $input) {
  draw { key } errors { code field message } } }"""
EXECUTE = """mutation($input: ExecuteDrawInput!) { executeDraw(input: $input) {
  draw { key } errors { code field message } } }"""
PICKS = """query($t: String!, $first: Int, $after: String) { draw(taskId: $t, number: 1) {
  strata { id k picks(first: $first, after: $after) {
    edges { cursor node { key name } } nodes { key }
    pageInfo { hasNextPage endCursor } } } } }"""
UNMATCHED = """query($t: String!, $first: Int, $after: String) { draw(taskId: $t, number: 1) {
  unmatchedCount unmatched(first: $first, after: $after) {
    nodes { subject { key name } reason } pageInfo { hasNextPage endCursor } } } }"""
REPLACEMENTS = """query($t: String!, $first: Int, $after: String) { draw(taskId: $t, number: 1) {
  replacements(first: $first, after: $after) {
    nodes { subjectKey counter replaced replacement } pageInfo { hasNextPage endCursor } } } }"""
DIGEST = """query($t: String!) { draw(taskId: $t, number: 1) {
  transcriptDigest transcript { digest size download } } }"""


@pytest.fixture
async def drawn(app: Starlette, gql: GQL) -> People:
    """Stratum A drawn whole (6 subjects), D a count of 3: executed, public."""
    people = await seed_people(app.state.runner)
    await seed_registry(app.state.runner, app.state.regions)
    await publish_task(
        app.state.runner,
        app.state.regions,
        TASK,
        strata=[
            tk.StratumSpec(id="A", ratio_percent=Decimal(100)),
            tk.StratumSpec(id="D", count=3),
        ],
    )
    c = await gql(COMMIT, as_user="scjg-admin", input={"taskId": TASK, "sources": SOURCES})
    assert payload(c, "commitDraw")["errors"] == []
    e = await gql(EXECUTE, as_user="scjg-admin", input={"taskId": TASK, "entropy": ENTROPY})
    assert payload(e, "executeDraw")["errors"] == []
    return people


async def walk(
    gql: GQL, query: str, field: str, first: int, task: str = TASK
) -> list[dict[str, Any]]:
    """Every page of the draw's connection ``field``, ``first`` at a time, as the anonymous
    public."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        r = await gql(query, t=task, first=first, after=after)
        assert "errors" not in r, r
        page = r["data"]["draw"][field]
        pages.append(page)
        assert len(pages) < 50, "the pages never end"
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


async def transcript(gql: GQL) -> bytes:
    text = (await gql(TRANSCRIPT, t=TASK, n=1))["data"]["drawTranscript"]
    assert text is not None
    return str(text).encode()


async def test_picks_walk_page_by_page_in_pick_order(gql: GQL, drawn: People) -> None:
    selection = {s.stratum: s.picks for s in tr.loads(await transcript(gql)).selection}
    assert [len(v) for v in selection.values()] == [6, 3]
    for n, stratum in enumerate(["A", "D"]):
        seen: list[str] = []
        cursors: list[str] = []
        pages = []
        after = None
        while True:
            r = await gql(PICKS, t=TASK, first=2, after=after)
            assert "errors" not in r, r
            s = r["data"]["draw"]["strata"][n]
            assert s["id"] == stratum
            page = s["picks"]
            pages.append(page)
            assert len(page["nodes"]) <= 2 and len(pages) < 10
            assert [e["node"]["key"] for e in page["edges"]] == [x["key"] for x in page["nodes"]]
            assert all(e["node"]["name"].startswith("丰台食品") for e in page["edges"])
            seen += [x["key"] for x in page["nodes"]]
            cursors += [e["cursor"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
            assert after == page["edges"][-1]["cursor"]
        # Exactly the stratum's picks, in pick order, none twice; ceil(k / 2) pages.
        assert seen == selection[stratum]
        assert len(set(seen)) == len(seen) and len(set(cursors)) == len(cursors)
        assert len(pages) == (len(seen) + 1) // 2
    # Past the end: an empty page, not an error.
    r = await gql(PICKS, t=TASK, first=2, after=cursors[-1])
    assert r["data"]["draw"]["strata"][1]["picks"]["nodes"] == []
    # The default page is 20 and holds a whole small stratum.
    r = await gql(PICKS, t=TASK)
    assert [x["key"] for x in r["data"]["draw"]["strata"][0]["picks"]["nodes"]] == selection["A"]


async def test_page_arguments_are_checked(gql: GQL, drawn: People) -> None:
    r = await gql(PICKS, t=TASK, first=101)
    assert [s["picks"] for s in r["data"]["draw"]["strata"]] == [None, None]
    assert (r["errors"][0]["extensions"]["code"], r["errors"][0]["extensions"]["field"]) == (
        "OUT_OF_RANGE",
        "first",
    )
    for bad in ("nonsense", base64.urlsafe_b64encode(b"k:A01").decode()):
        r = await gql(PICKS, t=TASK, first=2, after=bad)
        assert r["errors"][0]["extensions"]["code"] == "INVALID_FORMAT", bad


async def test_unmatched_and_replacements_walk_page_by_page(
    gql: GQL, app: Starlette, drawn: People
) -> None:
    assert (await walk(gql, UNMATCHED, "unmatched", 1))[0]["nodes"] == []
    # Two replacements in one inspection, then its third leaves nobody: three records.
    node = (await gql(INSPECTIONS, filter={"taskId": TASK}, first=1))["data"]["inspections"][
        "nodes"
    ][0]
    made = []
    for _ in range(3):
        node = (await gql(INSPECTIONS, filter={"subjectKey": node["subject"]["key"]}))["data"][
            "inspections"
        ]["nodes"][0]
        inp = {"inspectionId": node["key"], "staffId": node["officers"][-1], "reason": "病假"}
        r = payload(await gql(REPLACE, as_user="admin", input=inp), "replaceInspector")
        assert r["errors"] == [], r
        made.append(node["officers"][-1])
    pages = await walk(gql, REPLACEMENTS, "replacements", 2)
    assert [len(p["nodes"]) for p in pages] == [2, 1]
    records = [x for p in pages for x in p["nodes"]]
    assert [(x["counter"], x["replaced"]) for x in records] == list(enumerate(made, start=1))

    # Unmatched subjects: every officer declares a conflict (回避) with two of stratum A, and a
    # new draw of the same task leaves both without a team.
    for subject in (uscc_key(0), uscc_key(2)):
        for staff in OFFICERS:
            out = await inspectors.handle(
                app.state.runner,
                SEED,
                ins.DeclareConflict(staff_id=staff, subject_key=subject, reason="亲属"),
            )
            assert out.events
    await publish_task(
        app.state.runner,
        app.state.regions,
        "T2026-PAGE2",
        strata=[tk.StratumSpec(id="A", ratio_percent=Decimal(100))],
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 7, 31),
    )
    for m, name in ((COMMIT, "commitDraw"), (EXECUTE, "executeDraw")):
        inp = {"taskId": "T2026-PAGE2", "sources": SOURCES, "entropy": ENTROPY}
        inp.pop("entropy" if name == "commitDraw" else "sources")
        assert payload(await gql(m, as_user="admin", input=inp), name)["errors"] == []
    pages = await walk(gql, UNMATCHED, "unmatched", 1, "T2026-PAGE2")
    assert [len(p["nodes"]) for p in pages] == [1, 1]
    keys = [x["subject"]["key"] for p in pages for x in p["nodes"]]
    assert sorted(keys) == sorted([uscc_key(0), uscc_key(2)])
    assert all(x["reason"] == "NO_OFFICER_FROM_DEPARTMENT" for p in pages for x in p["nodes"])
