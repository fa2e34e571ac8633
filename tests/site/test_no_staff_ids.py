"""The bar of issue 15, item 4: the public transcript holds no real staff id, and neither do
the public pages nor the public GraphQL answers about draws and inspection teams.  Staff still
see staff ids."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import TOKENS
from tests.site.conftest import Site
from tests.site.test_pages import pages

_DRAW = """query ($t: String!, $n: Int!) {
  draw(taskId: $t, number: $n) {
    transcriptDigest publicTranscript { digest size download }
    replacements(first: 100) { nodes { subjectKey replaced replacement reason } }
    unmatched(first: 100) { nodes { subject { key } reason department needed found } } }
  drawPublicTranscript(taskId: $t, number: $n)
  inspections(filter: {taskId: $t}, first: 100) {
    nodes { key lead officers experts members { staffId role inspector { staffId } }
            draw { number } } }
}"""


async def staff_ids(site: Site) -> set[str]:
    rows = await site.app.state.pool.fetch("SELECT id FROM inspectors")
    ids = {r["id"] for r in rows}
    assert len(ids) >= 20, ids  # the demo's inspectors: the checks below mean something
    return ids


def leaked(text: str, ids: set[str]) -> list[str]:
    """Staff ids that appear as a whole token (not inside a longer code such as a task id)."""
    return sorted(
        s for s in ids if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(s)}(?![A-Za-z0-9_-])", text)
    )


async def test_the_public_sees_no_staff_id(site: Site, client: httpx.AsyncClient) -> None:
    ids = await staff_ids(site)
    path = f"/draws/{site.task_id}/{site.draw_number}"
    # The public transcript.
    r = await client.get(f"{path}/public-transcript.json")
    assert r.status_code == 200
    assert not leaked(r.text, ids)
    # Every public page, the draw page with its teams included.
    for page in [*pages(site), f"{path}?teams_after="]:
        r = await client.get(page)
        assert r.status_code == 200, page
        assert not leaked(r.text, ids), (page, leaked(r.text, ids))
    # The public GraphQL answers about draws and inspection teams.
    r = await client.post(
        "/graphql", json={"query": _DRAW, "variables": {"t": site.task_id, "n": site.draw_number}}
    )
    body = r.json()
    assert "errors" not in body, body
    teams = body["data"]["inspections"]["nodes"]
    assert teams and all(t["lead"] for t in teams)  # there are teams, shown by pseudonym
    assert not leaked(r.text, ids), leaked(r.text, ids)
    # Nor may the public look an inspection up by a staff id.
    some = sorted(ids)[0]
    r = await client.post(
        "/graphql",
        json={"query": f'{{ inspections(filter: {{staffId: "{some}"}}) {{ nodes {{ key }} }} }}'},
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The full transcript is not the public's.
    r = await client.post(
        "/graphql",
        json={
            "query": "query ($t: String!, $n: Int!) { drawTranscript(taskId: $t, number: $n) }",
            "variables": {"t": site.task_id, "n": site.draw_number},
        },
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_pseudonyms_match_the_public_transcript(
    site: Site, client: httpx.AsyncClient
) -> None:
    """The teams GraphQL shows the public are the public transcript's, pseudonym for pseudonym."""
    import json

    r = await client.get(f"/draws/{site.task_id}/{site.draw_number}/public-transcript.json")
    public = json.loads(r.content)
    current = {t["subject"]: t for t in public["teams"]}
    for rep in public["replacements"]:
        team = current[rep["subject"]]
        if rep["replacement"] is not None:
            team["officers"] = [
                rep["replacement"] if x == rep["replaced"] else x for x in team["officers"]
            ]
    r = await client.post(
        "/graphql",
        json={
            "query": "query ($t: String!) { inspections(filter: {taskId: $t}, first: 100) "
            "{ nodes { subjectKey officers drawNumber } } }",
            "variables": {"t": site.task_id},
        },
    )
    nodes = [
        n for n in r.json()["data"]["inspections"]["nodes"] if n["drawNumber"] == site.draw_number
    ]
    assert nodes
    for n in nodes:
        assert sorted(n["officers"]) == sorted(current[n["subjectKey"]]["officers"])


async def test_staff_still_see_staff_ids(site: Site, client: httpx.AsyncClient) -> None:
    from spotcheck.auth.tokens import mint

    ids = await staff_ids(site)
    token = mint("scjg-admin", TOKENS)
    r = await client.post(
        "/graphql",
        headers={"authorization": f"Bearer {token}"},
        json={
            "query": "query ($t: String!) { inspections(filter: {taskId: $t}, first: 5) "
            "{ nodes { lead officers } } }",
            "variables": {"t": site.task_id},
        },
    )
    nodes = r.json()["data"]["inspections"]["nodes"]
    assert nodes and all(n["lead"] in ids for n in nodes), r.text
