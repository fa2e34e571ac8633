"""A draw's large lists as pages, and its transcript bounded inline and streamed whole (issue 12):
a stratum's picks, the unmatched subjects and the replacements walk page by page in order;
``drawTranscript`` refuses a transcript over the limit with TRANSCRIPT_TOO_LARGE; the streamed
``GET /draws/{taskId}/{number}/transcript.json`` serves the bytes whose SHA-256 is the draw's
transcriptDigest, and they verify."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.auth.tokens import mint
from spotcheck.cli.main import main as cli
from spotcheck.domain import inspector as ins
from spotcheck.domain import task as tk
from spotcheck.draw import transcript as tr
from spotcheck.services import draws, inspectors
from tests.api.conftest import GQL, SEED, TOKENS, People, seed_people
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
from tests.conftest import Db

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
async def app(db: Db) -> AsyncIterator[Starlette]:
    application = create_app(db.app_url, tokens=TOKENS, transcript_inline_max_bytes=LIMIT)
    async with application.router.lifespan_context(application):
        yield application


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
    gql: GQL, query: str, field: str, first: int, task: str = TASK, as_user: str | None = None
) -> list[dict[str, Any]]:
    """Every page of the draw's connection ``field``, ``first`` at a time, as the anonymous
    public (or ``as_user``)."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        r = await gql(query, as_user=as_user, t=task, first=first, after=after)
        assert "errors" not in r, r
        page = r["data"]["draw"][field]
        pages.append(page)
        assert len(pages) < 50, "the pages never end"
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def auditor() -> dict[str, str]:
    """The full transcript is for AUDITOR and SYSTEM_ADMIN (the public: public-transcript.json)."""
    return {"authorization": f"Bearer {mint('auditor', TOKENS)}"}


async def transcript(client: httpx.AsyncClient) -> bytes:
    r = await client.get(f"/draws/{TASK}/1/transcript.json", headers=auditor())
    assert r.status_code == 200, r.text
    return r.content


async def test_picks_walk_page_by_page_in_pick_order(
    gql: GQL, drawn: People, client: httpx.AsyncClient
) -> None:
    selection = {s.stratum: s.picks for s in tr.loads(await transcript(client)).selection}
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
    # Staff see staff ids (the public: the draw's pseudonyms).
    node = (await gql(INSPECTIONS, as_user="admin", filter={"taskId": TASK}, first=1))["data"][
        "inspections"
    ]["nodes"][0]
    made = []
    for _ in range(3):
        key = node["subject"]["key"]
        node = (await gql(INSPECTIONS, as_user="admin", filter={"subjectKey": key}))["data"][
            "inspections"
        ]["nodes"][0]
        inp = {"inspectionId": node["key"], "staffId": node["officers"][-1], "reason": "病假"}
        r = payload(await gql(REPLACE, as_user="admin", input=inp), "replaceInspector")
        assert r["errors"] == [], r
        made.append(node["officers"][-1])
    pages = await walk(gql, REPLACEMENTS, "replacements", 2, as_user="admin")
    assert [len(p["nodes"]) for p in pages] == [2, 1]
    records = [x for p in pages for x in p["nodes"]]
    assert [(x["counter"], x["replaced"]) for x in records] == list(enumerate(made, start=1))
    public = [x for p in await walk(gql, REPLACEMENTS, "replacements", 2) for x in p["nodes"]]
    assert [x["counter"] for x in public] == [1, 2, 3]
    assert not {x["replaced"] for x in public} & set(made)

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


async def test_a_transcript_over_the_limit_is_refused_and_streamed_whole(
    gql: GQL, drawn: People, client: httpx.AsyncClient, app: Starlette, tmp_path: Path
) -> None:
    draw = (await gql(DIGEST, t=TASK))["data"]["draw"]
    digest, info = draw["transcriptDigest"], draw["transcript"]
    assert info["digest"] == digest and info["size"] > LIMIT
    assert info["download"] == f"/draws/{TASK}/1/transcript.json"

    r = await gql(TRANSCRIPT, as_user="auditor", t=TASK, n=1)
    assert r["data"] == {"drawTranscript": None}
    (error,) = r["errors"]
    assert error["extensions"] | {"field": None} == {
        "code": "TRANSCRIPT_TOO_LARGE",
        "field": None,
        "size": info["size"],
        "limit": LIMIT,
        "digest": digest,
        "download": info["download"],
    }
    assert info["download"] in error["message"]

    assert (await client.get(info["download"])).status_code == 401  # not the public's
    got = await client.get(info["download"], headers=auditor())
    assert got.status_code == 200
    body = got.content
    assert hashlib.sha256(body).hexdigest() == digest
    assert len(body) == info["size"] == int(got.headers["content-length"])
    assert got.headers["etag"] == f'"{digest}"'
    sha = base64.b64encode(bytes.fromhex(digest)).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{sha}:"
    assert got.headers["content-type"].startswith("application/json")
    assert tr.verify_bytes(body).ok
    path = tmp_path / "transcript.json"
    path.write_bytes(body)
    assert cli(["draw", "verify", str(path)]) == 0

    # At the limit the field returns the same bytes.
    app.state.transcript_inline_max_bytes = info["size"]
    r = await gql(TRANSCRIPT, as_user="auditor", t=TASK, n=1)
    assert r["data"]["drawTranscript"].encode() == body
    app.state.transcript_inline_max_bytes = info["size"] - 1
    r = await gql(TRANSCRIPT, as_user="auditor", t=TASK, n=1)
    assert r["errors"][0]["extensions"]["code"] == "TRANSCRIPT_TOO_LARGE"

    # HEAD and a revalidation carry the digest without the bytes.
    head = await client.head(info["download"], headers=auditor())
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", f'"{digest}"')
    assert head.headers["content-length"] == str(info["size"])
    again = await client.get(
        info["download"], headers={"if-none-match": f'"{digest}"', **auditor()}
    )
    assert (again.status_code, again.content) == (304, b"")


async def test_the_stream_is_read_in_chunks_and_stops_short_of_a_corrupt_blob(
    drawn: People,
    client: httpx.AsyncClient,
    gql: GQL,
    owner_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digest = (await gql(DIGEST, t=TASK))["data"]["draw"]["transcriptDigest"]
    monkeypatch.setattr(draws, "BLOB_CHUNK", 100)
    monkeypatch.setattr(draws, "BLOB_CHUNKS", 1000)
    reads: list[int] = []
    real = draws.blob_chunks

    async def counted(*args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        async for chunk in real(*args, **kwargs):
            reads.append(len(chunk))
            yield chunk

    monkeypatch.setattr(draws, "blob_chunks", counted)
    body = await transcript(client)
    assert hashlib.sha256(body).hexdigest() == digest
    assert len(reads) == -(-len(body) // 100) and max(reads) == 100

    # One byte changed in storage: the stream never completes (the last chunk is held back).
    await owner_conn.execute("ALTER TABLE draw_blobs DISABLE TRIGGER draw_blobs_append_only")
    try:
        await owner_conn.execute(
            "UPDATE draw_blobs SET content = overlay(content PLACING '\\x20'::bytea FROM 2) "
            "WHERE digest = $1",
            digest,
        )
    finally:
        await owner_conn.execute("ALTER TABLE draw_blobs ENABLE TRIGGER draw_blobs_append_only")
    reads.clear()
    with pytest.raises(LookupError, match="does not hash"):
        await client.get(f"/draws/{TASK}/1/transcript.json", headers=auditor())
    assert sum(reads) < len(body)


@pytest.mark.parametrize(
    "path",
    [
        f"/draws/{TASK}/2/transcript.json",  # no such draw
        "/draws/NO-SUCH-TASK/1/transcript.json",
        f"/draws/{TASK}/0/transcript.json",
        f"/draws/{TASK}/{'9' * 5000}/transcript.json",
        "/draws/T%00X/1/transcript.json",  # never reaches PostgreSQL
        f"/draws/{'T' * 41}/1/transcript.json",
    ],
)
async def test_no_transcript_is_a_typed_404(
    client: httpx.AsyncClient, drawn: People, path: str
) -> None:
    public = path.replace("/transcript.json", "/public-transcript.json")
    for r in (await client.get(path, headers=auditor()), await client.get(public)):
        assert r.status_code == 404
        assert r.json()["errors"][0]["code"] == "NOT_FOUND"


async def test_not_yet_executed_has_no_transcript(
    gql: GQL, app: Starlette, client: httpx.AsyncClient
) -> None:
    await seed_people(app.state.runner)
    await seed_registry(app.state.runner, app.state.regions)
    await publish_task(app.state.runner, app.state.regions, TASK)
    c = await gql(COMMIT, as_user="scjg-admin", input={"taskId": TASK, "sources": SOURCES})
    assert payload(c, "commitDraw")["errors"] == []
    draw = (await gql(DIGEST, t=TASK))["data"]["draw"]
    assert draw == {"transcriptDigest": None, "transcript": None}
    assert (await gql(TRANSCRIPT, as_user="auditor", t=TASK, n=1))["data"]["drawTranscript"] is None
    assert (
        await client.get(f"/draws/{TASK}/1/transcript.json", headers=auditor())
    ).status_code == 404
    assert (await client.get(f"/draws/{TASK}/1/public-transcript.json")).status_code == 404
    r = await gql(PICKS, t=TASK, first=2)
    assert [s["picks"] for s in r["data"]["draw"]["strata"]] == [None, None]
