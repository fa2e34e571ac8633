"""The public pages over HTTP (ASGI): each answers, shows only public data, pages, revalidates."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx

from tests.site.conftest import AMEND_REASON, Site


def pages(site: Site) -> list[str]:
    return [
        "/",
        "/items",
        "/items/SCJG-001",
        "/plans",
        f"/tasks/{site.task_id}",
        "/draws",
        f"/draws/{site.task_id}/{site.draw_number}",
        "/results",
        f"/results?q={quote(site.name)}",
        f"/subjects/{site.amended}",
        "/log",
    ]


async def test_every_page_answers(site: Site, client: httpx.AsyncClient) -> None:
    for path in pages(site):
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text[:2000])
        assert '<html lang="zh-CN">' in r.text
        assert "本页内容与核对方法" in r.text


async def personal_values(site: Site) -> set[str]:
    """Every personal value of the demo (test_personal_data.py's @personal fields): inspectors'
    names, phones, e-mails and certificate numbers, liaisons' contacts, legal representatives,
    conflict reasons, accounts' display names."""
    pool = site.app.state.pool
    values: set[str] = set()
    for sql in (
        "SELECT state->>'name', state->>'phone', state->>'email', state->>'certificate_number' "
        "FROM inspectors",
        "SELECT state->'liaison'->>'name', state->'liaison'->>'phone', "
        "state->'liaison'->>'email', NULL FROM departments",
        "SELECT state->>'legal_representative', NULL, NULL, NULL FROM subjects",
        "SELECT c->>'reason', NULL, NULL, NULL FROM inspectors, "
        "jsonb_array_elements(coalesce(state->'conflicts', '[]')) c",
        "SELECT state->>'display_name', NULL, NULL, NULL FROM accounts",
    ):
        for row in await pool.fetch(sql):
            values.update(v for v in row.values() if v and len(v) >= 3)
    return values


async def test_no_personal_data(site: Site, client: httpx.AsyncClient) -> None:
    personal = await personal_values(site)
    assert len(personal) > 100  # the query found them: the check below means something
    for path in pages(site):
        r = await client.get(path)
        shown = r.text
        leaked = sorted(v for v in personal if v in shown)
        assert not leaked, (path, leaked[:10])
    # The findings text entered by inspectors is never published either.
    r = await client.get(f"/subjects/{site.amended}")
    assert "复查发现问题" not in r.text


async def test_etag_follows_the_ledger(site: Site, client: httpx.AsyncClient) -> None:
    for path in pages(site):
        r = await client.get(path)
        etag = r.headers["etag"]
        head = await site.app.state.pool.fetchval("SELECT max(position) FROM ledger")
        assert re.fullmatch(rf'W/"{head}\.{head}\.[0-9a-f]{{16}}"', etag), (path, etag)
        assert r.headers["cache-control"] == "public, no-cache"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        again = await client.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b"", path
    # Another page has another ETag; the same page after the ledger moved has a new one.
    home = (await client.get("/")).headers["etag"]
    assert home != (await client.get("/log")).headers["etag"]
    assert home != (await client.get("/?x=1")).headers["etag"]


async def test_amendments_and_listings_on_the_credit_record(
    site: Site, client: httpx.AsyncClient
) -> None:
    page = (await client.get(f"/subjects/{site.amended}")).text
    assert AMEND_REASON in page
    assert "第 1 次更正" in page and "更正为" in page
    assert "核对包含证明" in page
    if site.listed is not None:
        listed = (await client.get(f"/subjects/{site.listed}")).text
        assert "列入经营异常名录" in listed
        assert "未被列入经营异常名录" not in listed


async def test_search_and_paging(site: Site, client: httpx.AsyncClient) -> None:
    by_name = (await client.get("/results", params={"q": site.name[2:8]})).text
    assert site.name in by_name
    by_uscc = (await client.get("/results", params={"q": site.uscc.lower()})).text
    assert site.name in by_uscc
    nothing = (await client.get("/results", params={"q": "不存在的名称"})).text
    assert "没有找到公示结果" in nothing
    # The draw's picks page by cursor; the next page follows the first without overlap.
    base = f"/draws/{site.task_id}/{site.draw_number}"
    first = (await client.get(base)).text
    picks = re.findall(r'<li><span class="uscc">([^<]+)</span>', first)
    assert picks
    nxt = re.search(r'href="([^"]*after=[^"]*)" rel="next"', first)
    if nxt is not None:
        second = (await client.get(nxt.group(1).replace("&amp;", "&"))).text
        more = re.findall(r'<li><span class="uscc">([^<]+)</span>', second)
        assert more and not set(more) & set(picks)
    # The item list pages by number.
    items = (await client.get("/items")).text
    assert "第 1 版清单" in items
    assert (await client.get("/items", params={"page": "999"})).status_code == 404
    assert (await client.get("/items", params={"page": "x"})).status_code == 400
    # The transparency log pages by ledger position.
    log = (await client.get("/log")).text
    assert "核对第" in log


async def test_missing_and_hostile_input(client: httpx.AsyncClient) -> None:
    for path in ("/subjects/NOPE", "/tasks/NOPE", "/draws/NOPE/1", "/items/NOPE"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "未找到" in r.text
    script = "<script>alert(1)</script>"
    r = await client.get("/results", params={"q": script})
    assert r.status_code == 200
    assert script not in r.text and "&lt;script&gt;" in r.text
    long = await client.get("/results", params={"q": "x" * 101})
    assert long.status_code == 400
    # GraphQL stays where it was; GraphiQL still answers a browser in development.
    ide = await client.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()
