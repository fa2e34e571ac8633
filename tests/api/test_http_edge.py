"""The HTTP edge of the API, probed as an outside attacker and a frontend team would (issue 12):
body limits, bodies that are not objects, ambiguous documents, characters no input may hold,
errors that must never carry internal text, validation codes, headers and CORS.

Each test sends the request the probe sent, through the real ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from strawberry.exceptions import StrawberryInputCoercionError

from spotcheck.api import scalars
from spotcheck.api.app import create_app
from spotcheck.api.http import GRAPHQL_RESPONSE, RateLimit, RateLimiter, preferred_media_type
from spotcheck.api.input_screen import MAX_STRING
from spotcheck.api.publications import queries as publication_queries
from spotcheck.auth.tokens import mint
from tests.api.conftest import GQL, TOKENS, People
from tests.conftest import Db


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def test_a_body_over_the_limit_is_refused_before_parsing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    big = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 1_100_000 + b'"}}'
    r = await client.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "limit": 1_000_000}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 100_000

    r = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    # Just under the limit still runs.
    many = b",".join([b'"' + b"a" * 1000 + b'"'] * 880)  # strings within their own limit
    ok = b'{"query": "{ __typename }", "variables": {"x": [' + many + b"]}}"
    r = await client.post("/graphql", content=ok, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", [b"123", b"true", b"null", b'"x"', b"[]", b"{"])
async def test_a_body_that_is_not_one_json_object_is_a_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    r = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert _codes(r.json()) == ["BAD_REQUEST"]


async def test_several_operations_need_an_operation_name(client: httpx.AsyncClient) -> None:
    query = "query A { __typename } query B { __typename }"
    r = await client.post("/graphql", json={"query": query})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"] == {
        "code": "OPERATION_NAME_REQUIRED",
        "field": "operationName",
    }
    r = await client.post("/graphql", json={"query": query, "operationName": "B"})
    assert r.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ('{ creditRecord(subject: "9111\\u0000") { subjectKey } }', {}, "subject"),
        ("query($s: String!) { creditRecord(subject: $s) { subjectKey } }", {"s": "9111\x00"}, "s"),
        ('{ task(taskId: "T\\u001b[31m") { taskId } }', {}, "taskId"),
        ('{ plan(planId: "P\\u202eFDP.exe") { planId } }', {}, "planId"),
        (
            "mutation($i: FilePlanInput!) { filePlan(input: $i) { errors { code } } }",
            {"i": {"planId": "2026-\x00", "idempotencyKey": "k"}},
            "i.planId",
        ),
        (
            "mutation($i: FilePlanInput!) { filePlan(input: $i) { errors { code } } }",
            {"i": {"planId": "2026-X", "idempotencyKey": "k\u200b"}},
            "i.idempotencyKey",
        ),
    ],
)
async def test_forbidden_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, people: People, query: str, variables: dict[str, Any], field: str
) -> None:
    headers = {"authorization": f"Bearer {mint('admin', TOKENS)}"}
    r = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_CHARACTER", "field": field}
    assert "UTF8" not in r.text and "0x00" not in r.text


async def test_line_breaks_and_tabs_stay_allowed(gql: GQL) -> None:
    r = await gql('{ creditRecord(subject: "a\\n\\tb") { subjectKey } }')
    assert r == {"data": {"creditRecord": None}}


async def test_an_unexpected_failure_is_internal_with_a_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError('relation "secret_table" does not exist')

    monkeypatch.setattr(publication_queries, "read_feed", broken)
    query = "{ publicationFeed { entries { position } } }"
    r = await client.post("/graphql", json={"query": query}, headers={"x-request-id": "req-42"})
    assert r.status_code == 200
    (error,) = r.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-42"}
    assert "secret_table" not in r.text
    assert any("req-42" in rec.getMessage() for rec in caplog.records)


async def test_401_is_json_and_names_the_scheme(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"authorization": "Bearer not-a-token"},
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/json"
    assert _codes(r.json()) == ["UNAUTHENTICATED"]


async def test_validation_errors_carry_codes(client: httpx.AsyncClient) -> None:
    aliases = "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
    deep = "{ viewer { " + "account { department { " * 6 + "code" + " } }" * 6 + " } }"
    cases = {
        aliases: "TOO_MANY_ALIASES",
        "{ " + "__typename " * 5001 + "}": "TOO_MANY_TOKENS",
        "{ __typename ": "GRAPHQL_PARSE_FAILED",
        "{ noSuchField }": "GRAPHQL_VALIDATION_FAILED",
        deep: "QUERY_TOO_DEEP",
    }
    for query, code in cases.items():
        r = await client.post("/graphql", json={"query": query})
        assert code in _codes(r.json()), (code, r.text[:300])


@pytest.fixture
async def production(db: Db) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(db.app_url, tokens=TOKENS, production=True, run_sealer=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as c:
            yield c


async def test_no_field_suggestions_in_production(
    client: httpx.AsyncClient, production: httpx.AsyncClient
) -> None:
    query = '{ creditRecrd(subject: "x") { subjectKey } }'
    dev = (await client.post("/graphql", json={"query": query})).json()
    assert "Did you mean" in dev["errors"][0]["message"]
    prod = (await production.post("/graphql", json={"query": query})).json()
    assert "Did you mean" not in prod["errors"][0]["message"]
    assert "creditRecord" not in prod["errors"][0]["message"]
    assert _codes(prod) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_security_headers(client: httpx.AsyncClient, people: People) -> None:
    r = await client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "cache-control" not in r.headers  # public, nothing personal
    signed = {"authorization": f"Bearer {mint('admin', TOKENS)}"}
    r = await client.post("/graphql", json={"query": "{ __typename }"}, headers=signed)
    assert r.headers["cache-control"] == "no-store"
    page = await client.get("/graphql", headers={"accept": "text/html"})
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "http" not in csp


async def test_cors_only_for_configured_origins(client: httpx.AsyncClient, db: Db) -> None:
    preflight = {
        "origin": "https://screens.example.gov.cn",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    r = await client.options("/graphql", headers=preflight)
    assert "access-control-allow-origin" not in r.headers  # off by default
    application = create_app(
        db.app_url,
        tokens=TOKENS,
        run_sealer=False,
        cors_origins=["https://screens.example.gov.cn"],
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as c:
            r = await c.options("/graphql", headers=preflight)
            assert r.status_code == 200
            assert r.headers["access-control-allow-origin"] == "https://screens.example.gov.cn"
            assert "authorization" in r.headers["access-control-allow-headers"].lower()
            other = preflight | {"origin": "https://evil.example"}
            r = await c.options("/graphql", headers=other)
            assert r.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_a_string_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    """A 50 MB variable executed; now any string over MAX_STRING is refused by name."""
    query = "query($s: String!) { creditRecord(subject: $s) { subjectKey } }"
    long = "9" * (MAX_STRING + 1)
    r = await client.post("/graphql", json={"query": query, "variables": {"s": long}})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"] == {"code": "INPUT_TOO_LONG", "field": "s"}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0.5", "application/json"),
        ("text/html", None),
    ],
)
def test_the_media_type_follows_accept(accept: str, media: str | None) -> None:
    assert preferred_media_type(accept) == media


async def test_graphql_response_json_uses_the_spec_status_codes(
    client: httpx.AsyncClient,
) -> None:
    gr = {"accept": GRAPHQL_RESPONSE}
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=gr)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    for query in ("{ noSuchField }", "{ __typename "):  # validation and parse errors
        bad = await client.post("/graphql", json={"query": query}, headers=gr)
        assert bad.status_code == 400, query
        assert bad.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        legacy = await client.post("/graphql", json={"query": query})
        assert legacy.status_code == 200  # application/json clients keep 200
    refused = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/html"}
    )
    assert refused.status_code == 406


def test_the_rate_limiter_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    limiter = RateLimiter(app=None, limit=RateLimit(3, 1.0), clock=lambda: now[0])  # type: ignore[arg-type]
    assert [limiter.take(b"a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take(b"a") == pytest.approx(1 / 3)
    assert limiter.take(b"b") == 0.0  # another client has its own bucket
    now[0] = 0.4
    assert limiter.take(b"a") == 0.0


async def test_over_the_rate_limit_is_429_with_retry_after(db: Db) -> None:
    application = create_app(
        db.app_url, tokens=TOKENS, run_sealer=False, rate_limit=RateLimit(5, 60.0)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as c:
            codes = [
                (await c.post("/graphql", json={"query": "{ __typename }"})).status_code
                for _ in range(6)
            ]
            assert codes == [200] * 5 + [429]
            r = await c.post("/graphql", json={"query": "{ __typename }"})
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
            assert (await c.get("/healthz")).status_code == 200  # probes are never limited


@pytest.mark.parametrize(
    ("env", "limit"),
    [
        ({}, RateLimit(600, 60.0)),
        ({"SPOTCHECK_RATE_LIMIT": "off"}, None),
        ({"SPOTCHECK_RATE_LIMIT": "100/10"}, RateLimit(100, 10.0)),
    ],
)
def test_rate_limit_setting(env: dict[str, str], limit: RateLimit | None) -> None:
    assert RateLimit.from_env(env) == limit
    with pytest.raises(ValueError, match="SPOTCHECK_RATE_LIMIT"):
        RateLimit.from_env({"SPOTCHECK_RATE_LIMIT": "lots"})


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-01-01", True),
        ("20260101", False),  # ISO basic form, read as a date by Python
        ("0001-01-01", False),
        ("9999-12-31", False),
        ("2026-02-30", False),
        ("２０２６-01-01", False),  # full-width digits
        (20260101, False),
    ],
)
def test_dates_are_iso_and_in_range(value: object, ok: bool) -> None:
    if ok:
        assert scalars._parse_date(value).isoformat() == value
    else:
        with pytest.raises(StrawberryInputCoercionError):
            scalars._parse_date(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("12.5", True),
        ("-2", True),
        (2, True),
        (2.5, True),
        ("1E+2", False),
        ("NaN", False),
        ("٥", False),
        ("Infinity", False),
        (" 1", False),
        (True, False),
    ],
)
def test_decimals_are_plain(value: object, ok: bool) -> None:
    if ok:
        assert scalars._parse_decimal(value) == Decimal(str(value))
    else:
        with pytest.raises(StrawberryInputCoercionError):
            scalars._parse_decimal(value)
    assert scalars._serialize_decimal(Decimal("1E+2")) == "100"


async def test_a_basic_form_date_is_refused_through_the_api(gql: GQL, people: People) -> None:
    query = """query($from: Date!) { accountabilityReview(subject: "X", from: $from,
               to: "2026-12-31") { key } }"""
    r = await gql(query, as_user="auditor", **{"from": "20260101"})
    assert "Date must be YYYY-MM-DD" in r["errors"][0]["message"]
    assert r["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    literal = '{ accountabilityReview(subject: "X", from: "20260101", to: "2026-12-31") { key } }'
    r = await gql(literal, as_user="auditor")
    assert "Date must be YYYY-MM-DD" in r["errors"][0]["message"]
    assert r["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize("as_literal", [False, True])
async def test_strings_are_stored_in_nfc(gql: GQL, people: People, as_literal: bool) -> None:
    """A decomposed é (e + U+0301) is stored composed (U+00E9), from a variable or a literal."""
    decomposed = "丰台区市场监管局Cafe\u0301"
    fields = "department { name } errors { code field message }"
    if as_literal:
        query = (
            'mutation { renameDepartment(input: {code: "SCJG", name: "'
            + decomposed
            + '", reason: "更名"}) { '
            + fields
            + " } }"
        )
        r = await gql(query, as_user="admin")
    else:
        query = (
            "mutation($i: RenameDepartmentInput!) { renameDepartment(input: $i) { "
            + fields
            + " } }"
        )
        r = await gql(
            query, as_user="admin", i={"code": "SCJG", "name": decomposed, "reason": "更名"}
        )
    payload = r["data"]["renameDepartment"]
    assert payload["errors"] == [], payload
    assert payload["department"]["name"] == "丰台区市场监管局Caf\u00e9"


RENAME = """mutation($i: RenameDepartmentInput!) { renameDepartment(input: $i) {
  department { name } errors { code field message } } }"""


@pytest.mark.parametrize(
    "name", ["丰台区\n市场监管局", "丰台区\t市场监管局", "丰台区\u2028市场监管局"]
)
async def test_a_name_is_one_line(gql: GQL, people: People, name: str) -> None:
    """Names and titles hold no tab or line break (issue 12: "\\n\\t" accepted in names)."""
    r = await gql(RENAME, as_user="admin", i={"code": "SCJG", "name": name, "reason": "更名"})
    payload = r["data"]["renameDepartment"]
    assert payload["department"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID_CHARACTER", "name")
    assert "one line" in error["message"]


async def test_a_reason_keeps_its_lines(gql: GQL, people: People) -> None:
    reason = "机构改革：\n一、更名\r\n二、职责不变"
    r = await gql(RENAME, as_user="admin", i={"code": "SCJG", "name": "新名称", "reason": reason})
    assert r["data"]["renameDepartment"]["errors"] == []


def test_database_unavailable_is_told_from_other_failures() -> None:
    """What ``/graphql`` answers 503 DATABASE_UNAVAILABLE (the crash drill kills a real
    PostgreSQL: tests/cli/test_crash_drills.py) and what stays a 500."""
    import asyncpg

    from spotcheck.db.availability import database_unavailable

    assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert database_unavailable(asyncpg.ConnectionDoesNotExistError("closed mid-operation"))
    assert database_unavailable(asyncpg.CannotConnectNowError("the database system is starting"))
    wrapped = RuntimeError("while loading")
    wrapped.__cause__ = asyncpg.AdminShutdownError("terminating connection")
    assert database_unavailable(wrapped)
    assert not database_unavailable(asyncpg.QueryCanceledError("statement timeout"))
    assert not database_unavailable(OSError(28, "No space left on device"))  # not from asyncpg
    assert not database_unavailable(ValueError("a bug"))
    assert not database_unavailable(None)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SPOTCHECK_CREDIT_RISK_RULE", "6=lots"),
        ("SPOTCHECK_OBJECTION_WORKING_DAYS", "ten"),
        ("SPOTCHECK_OBJECTION_WORKING_DAYS", "0"),
    ],
)
def test_a_bad_setting_stops_the_start(
    db: Db, monkeypatch: pytest.MonkeyPatch, setting: str, value: str
) -> None:
    """Read again when a result is published or an objection filed, these settings are checked
    when the app is built: serve names them ("cannot start: …") rather than answering INTERNAL."""
    monkeypatch.setenv(setting, value)
    with pytest.raises(ValueError, match=setting):
        create_app(db.app_url, tokens=TOKENS, run_sealer=False)
