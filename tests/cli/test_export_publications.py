"""``spotcheck export publications --since N``: JSON Lines from the sealed ledger, resumable."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.cli.main import main
from tests.api import publishing as pub
from tests.api.conftest import GQL, People, app, client, gql, people  # noqa: F401
from tests.conftest import Db


@pytest.fixture
def env(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    monkeypatch.setenv("SPOTCHECK_APP_DATABASE_URL", db.app_url)
    monkeypatch.setenv("SPOTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SPOTCHECK_ENV", raising=False)
    return tmp_path


async def export(out: Path, since: int) -> list[dict[str, Any]]:
    def run() -> list[dict[str, Any]]:
        assert main(["export", "publications", "--since", str(since), "--out", str(out)]) == 0
        return [json.loads(line) for line in out.read_text("utf-8").splitlines()]

    return await asyncio.to_thread(run)


async def test_export_and_resume(
    env: Path,
    app: Starlette,  # noqa: F811
    gql: GQL,  # noqa: F811
    people: People,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    await pub.seed_publishing(app)
    keys = [
        await pub.published_case(gql, f"EX-{n}", pub.uscc(n), pub.result("R1")) for n in range(3)
    ]
    await pub.amend(gql, keys[1], pub.result("R6"), "复核后更正：住所无法联系")
    await pub.approved_case(gql, "EX-X", pub.uscc(0))  # approved only: not published
    await pub.sealed(app)

    lines = await export(env / "all.jsonl", 0)
    assert [(x["type"], x["record"]["inspection_id"]) for x in lines] == [
        ("PUBLISHED", keys[0]),
        ("PUBLISHED", keys[1]),
        ("PUBLISHED", keys[2]),
        ("AMENDED", keys[1]),
    ]
    positions = [x["position"] for x in lines]
    assert positions == sorted(set(positions))
    first = lines[0]
    assert set(first) == {"position", "type", "event_id", "recorded_at", "record"}
    assert first["recorded_at"].endswith("Z")
    record = first["record"]
    assert (record["subject"], record["uscc"], record["subject_name"]) == (
        pub.uscc(0),
        pub.uscc(0),
        pub.name(0),
    )
    assert record["items"][0]["code"] == "1"  # the standard code, as stored
    assert lines[3]["record"]["amendments"][0]["after_code"] == "6"
    text = await asyncio.to_thread((env / "all.jsonl").read_text, "utf-8")
    assert pub.FINDINGS not in text and pub.OFFICERS[0] not in text
    assert f"4 entries; resume with --since {positions[-1]}" in capsys.readouterr().err

    # Resume from the position of the second line processed: the rest, nothing twice.
    rest = await export(env / "rest.jsonl", positions[1])
    assert rest == lines[2:]
    assert await export(env / "none.jsonl", positions[-1]) == []
    more = await pub.published_case(gql, "EX-3", pub.uscc(1), pub.result("R1"))
    await pub.sealed(app)
    (new,) = await export(env / "new.jsonl", positions[-1])
    assert (new["type"], new["record"]["inspection_id"]) == ("PUBLISHED", more)
    assert new["position"] > positions[-1]


def test_since_must_not_be_negative(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "publications", "--since", "-1"]) == 2
    assert "--since" in capsys.readouterr().err
