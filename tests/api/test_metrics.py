"""``/metrics`` (Prometheus text, the app's own registry) after real requests over httpx."""

from __future__ import annotations

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from spotcheck.auth.tokens import mint
from spotcheck.observe.metrics import MAX_OPERATIONS, AppMetrics, ByPort
from tests.api.conftest import GQL, TOKENS, People
from tests.api.test_evidence import PDF

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(app: Starlette) -> Samples:
    """Every sample of ``GET /metrics`` on the app's metrics listener."""
    transport = httpx.ASGITransport(app=app.state.metrics_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as c:
        r = await c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def test_metrics_expose_the_listed_series(
    app: Starlette, client: httpx.AsyncClient, gql: GQL, people: People
) -> None:
    await app.state.sealer.wait_sealed(8)  # seed_people: 8 events
    assert (await gql("query Status { ledgerStatus { headPosition } }"))["data"]
    await gql("{ ledgerStatus { headPosition } }")
    await gql("query Broken { noSuchField }")
    # A mutation refused by a rule: its payload's code is counted, as the public's refusal.
    r = await gql(
        'mutation Grant { registerDepartment(input: {code: "X", name: "x", liaison: '
        '{name: "x"}}) { errors { code } } }'
    )
    assert r["data"]["registerDepartment"]["errors"][0]["code"] == "UNAUTHENTICATED"
    up = await client.post(
        "/evidence",
        content=PDF,
        headers={
            "authorization": f"Bearer {mint(people.inspector, TOKENS)}",
            "content-type": "application/pdf",
        },
    )
    assert up.status_code == 201, up.text
    assert (await client.get("/metrics")).status_code == 404  # never on the API's port

    s = await scrape(app)
    graphql = {"route": "/graphql"}
    assert sample(s, "spotcheck_requests_total", **graphql, operation="Status", outcome="ok") == 1
    assert (
        sample(s, "spotcheck_requests_total", **graphql, operation="anonymous", outcome="ok") == 1
    )
    assert (
        sample(s, "spotcheck_requests_total", **graphql, operation="Broken", outcome="error") == 1
    )
    assert sample(s, "spotcheck_requests_total", **graphql, operation="Grant", outcome="error") == 1
    assert (
        sample(
            s,
            "spotcheck_request_duration_seconds_count",
            **graphql,
            operation="Status",
            outcome="ok",
        )
        == 1
    )
    assert sample(s, "spotcheck_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert sample(s, "spotcheck_errors_total", code="UNAUTHENTICATED") == 1
    assert (
        sample(s, "spotcheck_requests_total", route="/evidence", operation="none", outcome="ok")
        == 1
    )
    assert sample(s, "spotcheck_evidence_uploaded_bytes_total") == len(PDF)
    assert sample(s, "spotcheck_database_up") == 1
    assert sample(s, "spotcheck_ledger_head_position") >= 8
    assert sample(s, "spotcheck_ledger_unsealed_events") >= 0
    assert sample(s, "spotcheck_sealer_lag_seconds") >= 0
    assert sample(s, "spotcheck_sealer_leader") == 1
    assert sample(s, "spotcheck_checkpoint_lag_seconds") >= 0
    assert ("spotcheck_checkpoint_age_seconds", ()) in s
    assert ("spotcheck_checkpoint_tree_size", ()) in s
    assert sample(s, "spotcheck_db_pool_max") == 20
    assert 1 <= sample(s, "spotcheck_db_pool_connections") <= 20
    assert sample(s, "spotcheck_db_pool_in_use") >= 0
    # Observed where a draw executes and an import runs (tests/api/test_request_logs.py runs
    # the demo, which does both through the app's runner); the sink is wired here.
    with app.state.runner.timed("draw_execute"):
        pass
    with app.state.runner.timed("import:subjects"):
        pass
    s = await scrape(app)
    assert sample(s, "spotcheck_draw_execute_duration_seconds_count", outcome="ok") == 1
    assert (
        sample(s, "spotcheck_import_duration_seconds_count", registry="subjects", outcome="ok") == 1
    )


async def test_a_database_that_is_gone_reads_as_down_not_stale(app: Starlette) -> None:
    real = app.state.pool
    app.state.pool = await asyncpg.create_pool(
        "postgresql://nobody@127.0.0.1:1/nothing", min_size=0
    )
    try:
        s = await scrape(app)
    finally:
        await app.state.pool.close()
        app.state.pool = real
    assert sample(s, "spotcheck_database_up") == 0
    head = sample(s, "spotcheck_ledger_head_position")
    assert head != head  # NaN: no stale figure


def test_operation_names_and_codes_are_bounded() -> None:
    m = AppMetrics()
    assert m.operation_label("/graphql", None) == "anonymous"
    assert m.operation_label("/graphql", "not a name; DROP") == "invalid"
    assert m.operation_label("/evidence", "Anything") == "none"
    names = [m.operation_label("/graphql", f"Op{i}") for i in range(MAX_OPERATIONS + 5)]
    assert names[:MAX_OPERATIONS] == [f"Op{i}" for i in range(MAX_OPERATIONS)]
    assert set(names[MAX_OPERATIONS:]) == {"other"}
    assert m.operation_label("/graphql", "Op3") == "Op3"  # names seen first keep their label
    assert m.code_label("FORBIDDEN") == "FORBIDDEN"
    assert m.code_label("lower-case or <script>") == "OTHER"


async def test_by_port_sends_only_the_metrics_port_to_metrics(app: Starlette) -> None:
    seen: list[str] = []

    async def main(scope: object, receive: object, send: object) -> None:
        seen.append("main")

    async def metrics(scope: object, receive: object, send: object) -> None:
        seen.append("metrics")

    router = ByPort(main, metrics, 9100)

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(message: object) -> None:
        return None

    for port in (9100, 8000):
        await router({"type": "http", "server": ("127.0.0.1", port)}, nothing, ignore)
    await router({"type": "lifespan"}, nothing, ignore)
    assert seen == ["metrics", "main", "main"]
