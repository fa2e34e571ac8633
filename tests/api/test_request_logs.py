"""One JSON log line per request and per sealed batch; the request id everywhere; no personal
data and no tokens in the log of a full demo load and of authenticated requests."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from spotcheck.auth.tokens import mint
from spotcheck.demo import catalogue
from spotcheck.demo.load import load_demo
from spotcheck.domain.regions import Regions
from spotcheck.observe.logs import REDACTED, JsonFormatter, redact
from tests.api.conftest import TOKENS, People

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def bearer(user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {mint(user, TOKENS)}"}


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    out = []
    for record in caplog.records:
        if record.name == "spotcheck.request":
            line = formatter.format(record)
            assert "\n" not in line
            out.append(json.loads(line))
    return out


async def test_the_request_id_is_returned_and_named_in_internal_errors(
    app: Starlette, client: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    query = {"query": "{ ledgerStatus { headPosition } }"}
    r = await client.post("/graphql", json=query, headers={"x-request-id": "req-13.a:b"})
    assert r.headers["x-request-id"] == "req-13.a:b"
    for path in ("/healthz", "/no-such-page"):
        r = await client.get(path, headers={"x-request-id": "probe-1"})
        assert r.headers["x-request-id"] == "probe-1"
    for insane in ("has space", "x" * 129, 'quote"', "引号"):
        r = await client.get("/healthz", headers=[(b"x-request-id", insane.encode())])
        assert UUID.fullmatch(r.headers["x-request-id"]), insane
    assert UUID.fullmatch((await client.get("/healthz")).headers["x-request-id"])

    class Broken:
        def __getattr__(self, name: str) -> Any:
            async def fail(*args: Any, **kwargs: Any) -> Any:
                raise RuntimeError("boom for 13800001234 at 13800001234@example.com")

            return fail

    real, app.state.pool = app.state.pool, Broken()
    try:  # a route with no handler for the failure: the middleware answers INTERNAL
        r = await client.get(
            "/evidence/" + "0" * 64, headers={**bearer(people.admin), "x-request-id": "req-500"}
        )
    finally:
        app.state.pool = real
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-500"
    assert r.json()["errors"][0]["extensions"] == {"code": "INTERNAL", "requestId": "req-500"}
    assert "boom" not in r.text

    failure = next(
        rec for rec in caplog.records if rec.name == "spotcheck.request" and rec.exc_info
    )
    line = JsonFormatter().format(failure)
    assert "boom for" in line and "13800001234" not in line and REDACTED in line
    last = request_lines(caplog)[-1]
    assert (last["request_id"], last["status"], last["outcome"]) == ("req-500", 500, "internal")
    assert last["codes"] == ["INTERNAL"]


async def test_one_json_line_per_request(
    client: httpx.AsyncClient, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = await client.post(
        "/graphql",
        json={"query": "query Head { ledgerStatus { headPosition } }"},
        headers={**bearer(people.admin), "x-request-id": "req-1"},
    )
    assert r.status_code == 200
    r = await client.post(
        "/graphql",
        content=b"{" + b" " * 1_000_001 + b"}",
        headers={"content-type": "application/json", "x-request-id": "req-2"},
    )
    assert r.status_code == 413
    r = await client.post(
        "/graphql",
        json={"query": "mutation M($c: Int) { x: ledgerStatus { headPosition } }"},
        headers={"x-request-id": "req-3"},
    )
    await client.get("/healthz", headers={"x-request-id": "req-4"})
    lines = {line["request_id"]: line for line in request_lines(caplog)}
    head = lines["req-1"]
    assert head["operation"] == "Head" and head["operation_type"] == "query"
    assert head["user"] == "admin" and head["roles"] == ["SYSTEM_ADMIN"]
    assert (head["status"], head["outcome"], head["codes"]) == (200, "ok", [])
    assert head["method"] == "POST" and head["path"] == "/graphql"
    assert isinstance(head["duration_ms"], float) and head["duration_ms"] > 0
    assert head["level"] == "INFO" and head["logger"] == "spotcheck.request"
    refused = lines["req-2"]
    assert (refused["status"], refused["outcome"]) == (413, "error")
    assert refused["codes"] == ["PAYLOAD_TOO_LARGE"] and refused["user"] is None
    invalid = lines["req-3"]
    assert invalid["operation"] == "M" and invalid["codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert lines["req-4"]["level"] == "DEBUG"  # a passing probe does not drown the rest


async def test_no_personal_data_and_no_tokens_in_the_log(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = app.state.runner
    report = await load_demo(runner, Regions.load(), subjects=20_000, inspector_count=300)
    assert report.activity is not None  # the year's activity ran: a draw executed
    await app.state.sealer.wait_sealed(1)
    year = int(
        await app.state.pool.fetchval(
            "SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')"
        )
    )
    inspectors = list(catalogue.inspectors(300, year=year))
    subjects = list(catalogue.subjects(20_000))
    planted = {
        *(d["liaison"][k] for d in catalogue.DEPARTMENTS for k in ("name", "phone", "email")),
        *(r[k] for r in inspectors for k in ("name", "phone", "email", "certificate_number")),
        *(r["legal_representative"] for r in subjects),
    } - {None}
    first = inspectors[0]

    admin = bearer("admin")
    reads = [
        "query People { inspectors(first: 100) { nodes { name phone email certificateNumber } } }",
        "query Owners { subjects(first: 100) { nodes { name legalRepresentative } } }",
        "query Liaisons { departments(first: 20) { nodes { liaison { name phone email } } } }",
    ]
    for q in reads:
        r = await client.post("/graphql", json={"query": q}, headers=admin)
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert (
        first["phone"] in r.text
        or first["phone"]
        in (await client.post("/graphql", json={"query": reads[0]}, headers=admin)).text
    )
    # Personal data in inputs: refused by a rule (payload error), and refused by validation with
    # the value quoted in the error message the client gets back.
    r = await client.post(
        "/graphql",
        json={
            "query": "mutation Reg($input: RegisterDepartmentInput!) { registerDepartment("
            "input: $input) { errors { code message } } }",
            "variables": {
                "input": {
                    "code": "SCJG",
                    "name": "重复",
                    "liaison": {
                        "name": first["name"],
                        "phone": first["phone"],
                        "email": first["email"],
                    },
                }
            },
        },
        headers=admin,
    )
    assert r.json()["data"]["registerDepartment"]["errors"], r.text
    r = await client.post(
        "/graphql",
        json={
            "query": "query Bad($n: Int) { inspectors(first: $n) { nodes { name } } }",
            "variables": {"n": first["phone"]},
        },
        headers=admin,
    )
    assert first["phone"] in r.text  # the client is told; the log is not
    bad_token = {"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}
    assert (
        await client.post("/graphql", json={"query": reads[0]}, headers=bad_token)
    ).status_code == 401

    formatter = JsonFormatter()
    raw: list[str] = []  # what the code handed to logging, before any redaction
    formatted: list[str] = []
    for record in caplog.records:
        raw.append(record.getMessage())
        raw.extend(str(v) for k, v in record.__dict__.items() if k not in _STANDARD)
        if record.exc_info:
            raw.append(logging.Formatter().formatException(record.exc_info))
        formatted.append(formatter.format(record))
    text = "\n".join(raw + formatted)
    leaked = sorted(v for v in planted if v in text)
    assert leaked == [], f"personal data in the log: {leaked[:10]}"
    assert "Bearer" not in text and "eyJ" not in text
    assert first["phone"] not in text and first["email"] not in text

    # And the log is not empty: requests, sealed batches, the draw and the imports are there.
    names = {record.name for record in caplog.records}
    assert {
        "spotcheck.request",
        "spotcheck.eventstore.sealer",
        "spotcheck.services.runner",
    } <= names
    batches = [
        r for r in caplog.records if r.name == "spotcheck.eventstore.sealer" and hasattr(r, "count")
    ]
    assert batches and all(json.loads(formatter.format(b))["count"] >= 1 for b in batches)
    sealed = json.loads(formatter.format(batches[0]))
    assert sealed["first_position"] == 1 and sealed["last_position"] >= 1 and "ms" in sealed
    timed = {
        getattr(r, "operation", None)
        for r in caplog.records
        if r.name == "spotcheck.services.runner"
    }
    assert {"draw_execute", "import:subjects", "import:inspectors"} <= timed

    transport = httpx.ASGITransport(app=app.state.metrics_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as c:
        exposition = (await c.get("/metrics")).text
    counts = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(exposition)
        for s in f.samples
        if s.name.endswith("_count")
    }
    assert counts[("spotcheck_draw_execute_duration_seconds_count", (("outcome", "ok"),))] >= 1
    for registry in ("subjects", "inspectors"):
        key = (("outcome", "ok"), ("registry", registry))
        assert counts[("spotcheck_import_duration_seconds_count", key)] == 1


_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def test_redaction_catches_what_slips_through() -> None:
    for secret in (
        "Bearer abc.def-ghi",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "liaison-scjg@fengtai.example",
        "13800001234",
        "+86 13912345678",
        "010-63801010",
        "11010619900101123X",
        "京110106123456",
    ):
        assert redact(f"x {secret} y") == f"x {REDACTED} y", secret
    # Ids, hashes, positions and request ids stay readable.
    for kept in (
        "sealed positions 1..5000",
        "f" * 64,
        str(uuid.UUID(int=0x13800001234)),
        "req-42",
        "SCJG-0001",
        "91110106MA01ABCD2X",
    ):
        assert redact(kept) == kept, kept
