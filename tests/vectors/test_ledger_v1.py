"""The frozen ledger ``ledger-v1.jsonl`` (written once by ``make_ledger_v1.py``; never rewritten)
must stay readable by every later version of the code: it verifies offline with its key, every
event decodes (through the upcasters, from its stored schema version) and every stream folds,
and loaded into a fresh database it seals to the same hashes, ``ledger verify`` passes and the
projections rebuild.  A failure here means a change broke events already stored: add an
upcaster (docs/event-store.md, "Changing an event"), never change the fixture."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from spotcheck.cli.main import main
from spotcheck.db.pool import connect
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.verify import verify_ledger
from spotcheck.merkle.note import parse_public_key
from spotcheck.projections import rebuilder
from spotcheck.services.auditlog import spec_for_stream
from spotcheck.services.catalog import AGGREGATES, PROJECTED, event_registry, projections
from spotcheck.transparency.offline import verify_export
from tests.conftest import Db

HERE = Path(__file__).parent
LEDGER = HERE / "ledger-v1.jsonl"
KEY = HERE / "ledger-v1.pub.pem"
SPECS: list[AggregateSpec[Any]] = list(
    {id(spec): spec for spec, _ in (*AGGREGATES, *PROJECTED)}.values()
)


def records(kind: str) -> list[dict[str, Any]]:
    with LEDGER.open("rb") as f:
        return [r for r in map(json.loads, f) if r["record"] == kind]


def envelopes() -> list[dict[str, Any]]:
    return [r["envelope"] for r in records("entry")]


def test_it_verifies_offline_with_its_key(capsys: pytest.CaptureFixture[str]) -> None:
    with LEDGER.open("rb") as f:
        report = verify_export(f, parse_public_key(KEY.read_text(encoding="ascii")))
    assert report.ok, report.summary()
    assert report.entries == len(envelopes())
    assert main(["audit", "verify", str(LEDGER), "--public-key", str(KEY)]) == 0
    assert "audit export OK" in capsys.readouterr().out


def test_it_holds_every_event_type_of_the_frozen_code() -> None:
    """Types registered later are not in it (freeze a newer ledger for them); none may go."""
    frozen = {e["event_type"] for e in envelopes()}
    assert len(frozen) == 47
    assert frozen <= set(event_registry().names()) | retired_types()


def retired_types() -> set[str]:
    """Stored types whose struct is gone: each must have an upcaster from its last version."""
    return {t for spec in SPECS for (t, _) in spec.upcasters if t not in spec.event_types}


def test_every_event_decodes_and_every_stream_folds() -> None:
    streams: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in envelopes():
        streams[e["stream_id"]].append(e)
    assert len(streams) > 40
    for stream_id, events in streams.items():
        spec = spec_for_stream(SPECS, stream_id)
        assert spec is not None, stream_id
        assert [e["stream_version"] for e in events] == list(range(1, len(events) + 1))
        decoded = [spec.decode(e["event_type"], e["schema_version"], e["data"]) for e in events]
        state = spec.fold(decoded)
        assert isinstance(state, spec.state_type), stream_id


async def test_it_loads_seals_verifies_and_rebuilds_in_a_fresh_database(db: Db) -> None:
    entries = records("entry")
    conn = await connect(db.owner_url)
    try:
        await conn.executemany(
            "INSERT INTO draw_blobs (digest, content) VALUES ($1, $2)",
            [(b["digest"], base64.b64decode(b["content"])) for b in records("blob")],
        )
        # The stored rows as they were (ids, versions, times); seq and the ledger are new.
        await conn.executemany(
            "INSERT INTO events (event_id, stream_id, stream_version, event_type,"
            " schema_version, data, metadata, recorded_at)"
            " VALUES ($1::uuid, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb,"
            " $8::text::timestamptz)",
            [
                (
                    e["event_id"],
                    e["stream_id"],
                    e["stream_version"],
                    e["event_type"],
                    e["schema_version"],
                    orjson.dumps(e["data"]).decode(),
                    orjson.dumps(e["metadata"]).decode(),
                    e["recorded_at"],
                )
                for e in (r["envelope"] for r in entries)
            ],
        )
        sealer = Sealer(db.app_url, poll_interval=0.02)
        task = asyncio.create_task(sealer.run())
        try:
            await sealer.wait_sealed(len(entries), timeout=30)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sealed = await conn.fetch("SELECT position, content_hash, chain_hash FROM ledger")
        assert [(r["position"], bytes(r["chain_hash"]).hex()) for r in sealed] == [
            (r["position"], r["chain_hash"]) for r in entries
        ]

        report = await verify_ledger(conn)
        assert report.ok and report.sealed == len(entries), report.summary()

        rebuilt = await rebuilder.rebuild(conn, projections())
        assert rebuilt.progress.events == len(entries)
        check = await rebuilder.verify(conn, projections())
        assert check.ok, check.lines()
        for table in ("subjects", "inspection_records", "draws", "published_results"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") > 0, table
    finally:
        await conn.close()
