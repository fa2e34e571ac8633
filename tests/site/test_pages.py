"""The public pages over HTTP (ASGI): each answers, shows only public data, pages, revalidates."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.site.conftest import Site


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
