"""``spotcheck projections verify`` and ``rebuild`` on the test database: identical tables exit 0;
a tampered read-table row exits 1 naming the table; a rebuild repairs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from spotcheck.cli.main import build_parser, main
from tests.cli.test_commands import env  # noqa: F401  (the fixture)
from tests.conftest import Db


async def _tamper(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        victim: str = await conn.fetchval("SELECT id FROM inspectors ORDER BY id LIMIT 1")
        await conn.execute("UPDATE inspectors SET version = version + 1 WHERE id = $1", victim)
        return victim
    finally:
        await conn.close()


@pytest.mark.calendar  # the demo's dates follow today
def test_verify_tamper_and_rebuild(
    env: Path,  # noqa: F811
    db: Db,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--subjects", "40", "--inspectors", "8"]) == 0
    capsys.readouterr()
    assert main(["projections", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")

    victim = asyncio.run(_tamper(db.owner_url))
    assert main(["projections", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("DIFFERENT")
    assert f"inspectors: 1 row(s) only in the live table (e.g. {victim})" in out

    assert main(["projections", "rebuild"]) == 0
    assert "rebuilt" in capsys.readouterr().out
    assert main(["projections", "verify"]) == 0


def test_parser() -> None:
    args = build_parser().parse_args(["bench", "rebuild"])
    assert (args.events, args.json) == (100_000, False)
    assert build_parser().parse_args(["projections", "verify"]).projections_command == "verify"
