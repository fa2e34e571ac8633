"""The public pages in a real headless Chromium, over a real uvicorn serving the demo data.

Every page loads with no console error and no request to another host (every request is
intercepted; one to another host fails the test); axe-core finds no accessibility violation;
a screenshot of each page is written under the test's temporary folder.  The search finds a
demo subject by name and by USCC; the draw check shows 通过 for the demo draw and 未通过, with
the first difference, for a transcript with a changed pick, team, seed or entropy; the proof
check passes, and fails for an altered audit path, leaf or signature and for another key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.draw import transcript as tr
from spotcheck.merkle.note import public_key_pem
from tests.site import browser
from tests.site.conftest import Site, serving
from tests.site.test_pages import pages
from tests.site.test_verifier_js import tampered_public

try:
    from playwright.async_api import Browser, Page, Route, async_playwright
except ImportError:  # pragma: no cover
    pytest.fail("the browser tests need playwright (pip install -e '.[dev]')")


@dataclass
class Session:
    browser: Browser
    base: str
    axe: str
    screenshots: Path
    foreign: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
async def session(site: Site, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Session]:
    chromium = browser.ensure_chromium()
    axe = browser.ensure_axe()
    async with serving(site.app) as base:
        async with asyncio.timeout(180):  # the driver's start and the launch, bounded
            p = await async_playwright().start()
            b = await p.chromium.launch(
                executable_path=str(chromium), headless=True, args=["--lang=zh-CN"]
            )
        try:
            yield Session(b, base, axe, tmp_path_factory.mktemp("screenshots"))
        finally:
            async with asyncio.timeout(60):
                await b.close()
                await p.stop()


@dataclass
class Tab:
    page: Page
    errors: list[str]


@pytest.fixture
async def tab(session: Session) -> AsyncIterator[Tab]:
    context = await session.browser.new_context(
        locale="zh-CN", viewport={"width": 1000, "height": 900}
    )
    host = urlsplit(session.base).netloc

    async def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc != host:
            session.foreign.append(route.request.url)
            await route.abort()
        else:
            await route.continue_()

    await context.route("**/*", guard)
    # Every Playwright wait is bounded (30 s); page.evaluate has no timeout of its own, so the
    # evaluations below are bounded by asyncio.timeout.
    context.set_default_timeout(30_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield Tab(page, errors)
    finally:
        await context.close()
    assert not errors, errors
    assert not session.foreign, f"requests to another host: {session.foreign}"


async def axe_violations(session: Session, page: Page) -> list[dict[str, Any]]:
    async with asyncio.timeout(60):
        if not await page.evaluate("typeof window.axe === 'object'"):
            await page.evaluate(session.axe + "\n;0")
        result: dict[str, Any] = await page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})"
        )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


async def test_every_page(site: Site, session: Session, tab: Tab) -> None:
    for i, path in enumerate(pages(site)):
        response = await tab.page.goto(session.base + path)
        assert response is not None and response.status == 200, path
        assert await tab.page.locator("h1").count() == 1
        assert await tab.page.get_attribute("html", "lang") == "zh-CN"
        violations = await axe_violations(session, tab.page)
        assert not violations, (path, json.dumps(violations, ensure_ascii=False, indent=1))
        name = f"{i:02d}-{path.strip('/').split('?')[0].replace('/', '_') or 'home'}.png"
        await tab.page.screenshot(path=str(session.screenshots / name), full_page=True)
    # A phone.
    await tab.page.set_viewport_size({"width": 375, "height": 800})
    await tab.page.goto(session.base + "/")
    width = await tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the home page scrolls sideways on a phone ({width}px)"
    await tab.page.screenshot(path=str(session.screenshots / "phone-home.png"), full_page=True)
    print(f"\nscreenshots: {session.screenshots}")


async def test_search_by_name_and_uscc(site: Site, session: Session, tab: Tab) -> None:
    for text in (site.name[2:8], site.uscc.lower()):
        await tab.page.goto(session.base + "/results")
        await tab.page.fill("#q", text)
        await tab.page.click("form[role=search] button")
        await tab.page.wait_for_url("**/results?q=*")
        link = tab.page.get_by_role("link", name=site.name)
        assert await link.count() >= 1, text
    await link.first.click()
    await tab.page.wait_for_url(f"**/subjects/{quote(site.uscc)}")
    assert await tab.page.locator("h1").inner_text() == site.name


async def _verdict(page: Page) -> str:
    await page.wait_for_selector("#verdict", timeout=30_000)
    return await page.inner_text("#verdict")


async def test_draw_check(site: Site, session: Session, tab: Tab) -> None:
    page = tab.page
    await page.goto(f"{session.base}/draws/{site.task_id}/{site.draw_number}")
    await page.click("#verify-button")
    assert await _verdict(page) == "通过"
    assert "不一致" not in await page.inner_text("#verify-result")
    await page.screenshot(path=str(session.screenshots / "draw-verified.png"), full_page=False)
    async with asyncio.timeout(30):
        genuine = await page.evaluate(
            "fetch(document.getElementById('verify').dataset.transcript).then(r => r.text())"
        )
    assert tr.is_public(genuine)  # the page checks the public transcript
    forged = tampered_public(genuine.encode())
    for kind in ("pick", "team", "seed", "entropy"):
        await page.evaluate("document.getElementById('verify-result').replaceChildren()")
        await page.set_input_files(
            "#verify-file",
            files=[
                {"name": f"{kind}.json", "mimeType": "application/json", "buffer": forged[kind]}
            ],
        )
        assert await _verdict(page) == "未通过", kind
        first = await page.inner_text("#first-difference")
        expected = tr.verify_bytes(forged[kind]).problems[0].split(":", 1)[0]
        assert first.startswith(f"第一处不一致：{expected}:"), (kind, first, expected)
    # The genuine file chosen by hand passes too.
    await page.evaluate("document.getElementById('verify-result').replaceChildren()")
    await page.set_input_files(
        "#verify-file",
        files=[{"name": "t.json", "mimeType": "application/json", "buffer": genuine.encode()}],
    )
    assert await _verdict(page) == "通过"


async def _proof_verdict(page: Page) -> str:
    await page.wait_for_selector("#proof-verdict", timeout=30_000)
    return await page.inner_text("#proof-verdict")


async def _position(site: Site) -> int:
    position: int = await site.app.state.pool.fetchval(
        "SELECT l.position FROM ledger l JOIN events e ON e.seq = l.seq "
        "WHERE e.event_type = 'InspectionResultsPublished' ORDER BY l.position LIMIT 1"
    )
    return position


async def test_proof_check(site: Site, session: Session, tab: Tab) -> None:
    page = tab.page
    position = await _position(site)
    url = f"{session.base}/log?position={position}"
    await page.goto(url)
    await page.locator("#proof-button:not([disabled])").wait_for()
    assert "BEGIN PUBLIC KEY" in await page.input_value("#proof-key")
    await page.click("#proof-button")
    assert await _proof_verdict(page) == "通过"

    # A server that lies about the proof or the checkpoint: each is caught.
    async def tamper(what: str) -> str:
        async def lie(route: Route) -> None:
            response = await route.fetch()
            body = await response.json()
            data = body["data"]
            if what == "path" and "inclusionProof" in data:
                path = data["inclusionProof"]["auditPath"]
                path[0] = "00" * 32
            elif what == "leaf" and "inclusionProof" in data:
                data["inclusionProof"]["leafHash"] = "11" * 32
            elif what == "signature" and "checkpoint" in data:
                signature = data["checkpoint"]["signature"]
                data["checkpoint"]["signature"] = ("A" if signature[0] != "A" else "B") + signature[
                    1:
                ]
            await route.fulfill(response=response, json=body)

        await page.route("**/graphql", lie)
        await page.goto(url)
        await page.locator("#proof-button:not([disabled])").wait_for()
        await page.click("#proof-button")
        verdict = await _proof_verdict(page)
        await page.unroute("**/graphql")
        return verdict

    for what in ("path", "leaf", "signature"):
        assert await tamper(what) == "未通过", what
    # Another key than the log's, pasted by the visitor.
    await page.goto(url)
    await page.locator("#proof-button:not([disabled])").wait_for()
    await page.fill("#proof-key", public_key_pem(Ed25519PrivateKey.generate().public_key()))
    await page.click("#proof-button")
    assert await _proof_verdict(page) == "未通过"
