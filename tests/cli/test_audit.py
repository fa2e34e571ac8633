"""spotcheck audit export and verify: a round trip, partial ranges, and a forged file."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import orjson
import pytest

from spotcheck.cli.main import main
from spotcheck.merkle.note import parse_public_key, public_key_pem, raw_public_key
from spotcheck.transparency.audit_format import FORMAT
from tests.cli.audit_world import World, world

__all__ = ["world"]


async def cli(*args: str) -> int:
    """The command, in a thread: it runs its own event loop."""
    return await asyncio.to_thread(main, list(args))


async def export(w: World, name: str, *extra: str) -> Path:
    out = w.tmp / name
    assert await cli("audit", "export", "--out", str(out), *extra) == 0
    return out


async def verify(w: World, path: Path, key: Path | None = None) -> int:
    return await cli("audit", "verify", str(path), "--public-key", str(key or w.key_file))


def records(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


async def test_whole_ledger_round_trip(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    n = world.checkpoint.tree_size
    path = await export(world, "all.jsonl")
    assert f"exported positions 1..{n}" in capsys.readouterr().out
    lines = records(path)
    assert lines[0]["record"] == "header" and lines[0]["format"] == FORMAT
    assert lines[1]["record"] == "checkpoint" and lines[-1]["record"] == "end"
    assert sum(1 for r in lines if r["record"] == "entry") == n
    assert any(r["record"] == "blob" for r in lines)
    assert await verify(world, path) == 0
    out = capsys.readouterr().out
    assert f"audit export OK: positions 1..{n}" in out
    assert "3 draw events re-verified" in out  # committed, executed, inspector replaced
    # The key as base64 of its 32 raw bytes, given inline, works too.
    raw = raw_public_key(parse_public_key(world.key_file.read_text()))
    assert (
        await cli("audit", "verify", str(path), "--public-key", base64.b64encode(raw).decode()) == 0
    )


@pytest.mark.parametrize(("first", "last"), [(1, 5), (6, 11), (7, None), (3, 3)])
async def test_partial_ranges_verify(
    world: World, capsys: pytest.CaptureFixture[str], first: int, last: int | None
) -> None:
    extra = ["--from", str(first)] + (["--to", str(last)] if last else [])
    path = await export(world, "part.jsonl", *extra)
    assert await verify(world, path) == 0, capsys.readouterr()


async def test_past_the_checkpoint_is_noted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from spotcheck.domain import account as a
    from spotcheck.services import accounts
    from tests.api.conftest import SEED

    await accounts.handle(
        world.app.state.runner,
        SEED,
        a.CreateAccount(user_id="late", display_name="late", department="SCJG", roles=[]),
    )
    n = world.checkpoint.tree_size
    await world.app.state.sealer.wait_sealed(n + 1)
    path = await export(world, "late.jsonl", "--from", "2", "--to", str(n + 1))
    assert await verify(world, path) == 0
    assert f"positions {n + 1}..{n + 1} are chained but not yet covered" in capsys.readouterr().out


def edit(path: Path, change: object) -> Path:
    lines = records(path)
    change(lines)  # type: ignore[operator]
    out = path.with_name("edited-" + path.name)
    out.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in lines))
    return out


async def test_forged_files_fail_naming_the_problem(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await export(world, "all.jsonl")
    capsys.readouterr()

    def blob(lines: list[dict[str, object]]) -> None:
        b = next(r for r in lines if r["record"] == "blob")
        b["content"] = base64.b64encode(b"forged").decode()

    def drop_entry(lines: list[dict[str, object]]) -> None:
        del lines[5]

    def data(lines: list[dict[str, object]]) -> None:
        env = lines[4]["envelope"]
        assert isinstance(env, dict)
        env["data"] = {**env["data"], "forged": True}

    def root(lines: list[dict[str, object]]) -> None:
        lines[1]["root_hash"] = "00" * 32

    def truncate(lines: list[dict[str, object]]) -> None:
        del lines[-1]

    for change, expected in (
        (blob, "SHA-256 of its content differs"),
        (drop_entry, "position 4: missing (the next entry is position 5)"),
        (data, "position 3: the event's content does not match its content hash"),
        (root, "checkpoint: body is not the text its fields give"),
        (truncate, "the file ends before the end record"),
    ):
        assert await verify(world, edit(path, change)) == 1
        out = capsys.readouterr().out
        assert "does NOT verify" in out and expected in out, (expected, out)

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = world.tmp / "other.pem"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    assert await verify(world, path, other) == 1
    assert "not by the given key" in capsys.readouterr().out
    bad_key = world.tmp / "bad.pem"
    bad_key.write_text("nonsense")
    assert await verify(world, path, bad_key) == 2


async def test_export_refuses_bad_ranges(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    n = world.checkpoint.tree_size
    for extra in (["--from", "0"], ["--from", "5", "--to", "4"], ["--to", str(n + 5)]):
        assert await cli("audit", "export", "--out", str(world.tmp / "x"), *extra) == 2
        assert "cannot export" in capsys.readouterr().err
    assert not (world.tmp / "x").exists()
