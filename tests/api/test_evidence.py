"""证据材料 Evidence upload and download: hash integrity, size limit, content types read whole by
a parser, roles, who reads a file, collection of unattached uploads and the quota."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pypdf
import pytest
from PIL import Image
from starlette.applications import Starlette

from spotcheck.auth.tokens import mint
from spotcheck.backup.snapshot import EVIDENCE_KEPT
from spotcheck.cli.main import main
from spotcheck.domain import inspection as i
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.errors import DomainError
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from spotcheck.projections import rebuilder
from spotcheck.services import evidence as service
from spotcheck.services import inspections
from spotcheck.services.catalog import projections
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api import inspection_fixtures as insp
from tests.api.conftest import TOKENS, People
from tests.clock import DbClock
from tests.conftest import Db

LIMIT = 4096


def image(fmt: str, colour: tuple[int, int, int] = (200, 30, 30), size: int = 16) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, fmt)
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def box(name: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), name) + payload


def mp4() -> bytes:
    """The smallest well-formed MP4: ftyp, a moov holding a version-0 mvhd, an empty mdat."""
    mvhd = box(
        b"mvhd",
        b"\x00" * 4  # version 0, flags
        + b"\x00" * 8  # creation and modification times
        + struct.pack(">II", 1000, 0)  # time scale, duration
        + b"\x00\x01\x00\x00\x01\x00"  # rate 1.0, volume 1.0
        + b"\x00" * 10
        + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)  # matrix
        + b"\x00" * 24
        + struct.pack(">I", 2),  # next track id
    )
    return box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + box(b"moov", mvhd) + box(b"mdat", b"")


PNG = image("PNG")
JPEG = image("JPEG")
WEBP = image("WEBP")
PDF = pdf()
MP4 = mp4()


@pytest.fixture
def storage(app: Starlette, tmp_path: Path) -> FilesystemEvidenceStorage:
    store = FilesystemEvidenceStorage(tmp_path / "evidence")
    app.state.evidence = store
    app.state.evidence_max_bytes = LIMIT
    return store


def headers(user: str | None, content_type: str | None = None) -> dict[str, str]:
    out = {"authorization": f"Bearer {mint(user, TOKENS)}"} if user else {}
    if content_type:
        out["content-type"] = content_type
    return out


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for n in range(0, len(data), size):
        yield data[n : n + size]


async def events(app: Starlette, event_type: str | None = None) -> int:
    return int(
        await app.state.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_id LIKE 'evidence-%'"
            " AND ($1::text IS NULL OR event_type = $1)",
            event_type,
        )
    )


def stored_files(store: FilesystemEvidenceStorage) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


async def upload(
    client: httpx.AsyncClient, data: bytes, user: str = "inspector", kind: str = "image/png"
) -> str:
    r = await client.post("/evidence", content=data, headers=headers(user, kind))
    assert r.status_code in (200, 201), r.text
    return str(r.json()["sha256"])


async def test_upload_stores_by_sha256_and_records_once(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    r = await client.post(
        "/evidence", content=chunks(PNG, 20), headers=headers("inspector", "image/png")
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"sha256": digest, "size": len(PNG), "contentType": "image/png"}
    path = storage.root / digest[:2] / digest[2:4] / digest
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert stored_files(storage) == [path]  # no temporary file left
    row = await app.state.pool.fetchrow(
        "SELECT size, content_type, uploaded_by, state->'departments' AS departments"
        " FROM evidence_files WHERE id = $1",
        digest,
    )
    assert dict(row) == {
        "size": len(PNG),
        "content_type": "image/png",
        "uploaded_by": "inspector",
        "departments": ["SCJG"],
    }
    event = await app.state.pool.fetchrow(
        "SELECT event_type, data FROM events WHERE stream_id = $1", f"evidence-{digest}"
    )
    assert event["event_type"] == "EvidenceUploaded"

    # The same bytes again by someone of the same department: same answer, no new event.
    r = await client.post("/evidence", content=PNG, headers=headers("scjg-admin", "image/png"))
    assert r.status_code == 200 and r.json()["sha256"] == digest
    assert await events(app) == 1
    # By another department: it holds the bytes too, and may read them from now on.
    r = await client.post("/evidence", content=PNG, headers=headers("sthj-admin", "image/png"))
    assert r.status_code == 201 and await events(app) == 2
    r = await client.get(f"/evidence/{digest}", headers=headers("sthj-admin"))
    assert r.status_code == 200

    from spotcheck.services.refs import known_evidence

    async with app.state.pool.acquire() as conn:
        assert await known_evidence(conn, [digest, "0" * 64]) == {digest}

    r = await client.get(f"/evidence/{digest}", headers=headers("auditor"))
    assert r.status_code == 200
    assert r.content == PNG and r.headers["content-type"] == "image/png"


async def test_a_tampered_file_is_detected_on_read(
    client: httpx.AsyncClient, people: People, storage: FilesystemEvidenceStorage
) -> None:
    r = await client.post("/evidence", content=PDF, headers=headers("admin", "application/pdf"))
    assert r.status_code == 201, r.text
    digest = r.json()["sha256"]
    assert await storage.verify(digest)
    path = storage.path(digest)
    path.write_bytes(PDF.replace(b"endobj", b"ENDOBJ", 1))
    assert not await storage.verify(digest)
    r = await client.get(f"/evidence/{digest}", headers=headers("inspector"))
    assert r.status_code == 500
    assert r.json()["errors"][0]["code"] == "EVIDENCE_CORRUPT"


async def test_size_limit(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    big = PDF + b"\n" * LIMIT
    # Streamed without a length: refused while reading.
    r = await client.post(
        "/evidence", content=chunks(big), headers=headers("inspector", "application/pdf")
    )
    assert r.status_code == 413
    error = r.json()["errors"][0]
    assert error["code"] == "FILE_TOO_LARGE" and str(LIMIT) in error["message"]
    # With a declared length: refused before reading.
    r = await client.post("/evidence", content=big, headers=headers("inspector", "application/pdf"))
    assert r.status_code == 413
    assert stored_files(storage) == [] and await events(app) == 0
    # Exactly at the limit is accepted (white space after %%EOF is allowed).
    r = await client.post(
        "/evidence", content=chunks(big[:LIMIT]), headers=headers("inspector", "application/pdf")
    )
    assert r.status_code == 201, r.text
    assert r.json()["size"] == LIMIT


REFUSED: list[tuple[str, str | None, bytes, str]] = [
    # (case, declared type, body, what the message says)
    ("not on the allow-list", "text/html", b"<html></html>", "not accepted"),
    ("undeclared", None, PNG, "not accepted"),
    ("declared JPEG, content PNG", "image/jpeg", PNG, "its content is PNG"),
    ("an executable called a PDF", "application/pdf", b"MZ\x90\x00" + b"\x00" * 100, "none"),
    ("empty", "image/png", b"", "none of the accepted"),
    ("the PNG signature alone", "image/png", b"\x89PNG\r\n\x1a\n", "before its IEND"),
    ("PNG then HTML", "image/png", PNG + b"<html><script>alert(1)</script></html>", "IEND"),
    ("PNG with a broken CRC", "image/png", PNG[:40] + bytes([PNG[40] ^ 1]) + PNG[41:], "Pillow"),
    ("truncated JPEG", "image/jpeg", JPEG[: len(JPEG) // 2], "JPEG"),
    ("JPEG then HTML", "image/jpeg", JPEG + b"<html></html>", "follow its EOI"),
    ("WebP then HTML", "image/webp", WEBP + b"<html>", "RIFF header says"),
    ("truncated PDF", "application/pdf", PDF[: len(PDF) // 2], "%%EOF"),
    ("garbage PDF", "application/pdf", b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 50, "%%EOF"),
    ("HTML called a PDF", "application/pdf", b"%PDF-1.7\n<html></html>\n%%EOF\n", "pypdf"),
    ("PDF then HTML", "application/pdf", PDF + b"<html></html>", "follow its last %%EOF"),
    ("MP4 without moov", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "moov"),
    ("MP4 then HTML", "video/mp4", MP4 + b"<html>", "not a box"),
    ("truncated MP4", "video/mp4", MP4[: len(MP4) // 2], "does not fit"),
]


async def test_content_is_read_whole_by_a_parser(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    """Each refused with 415 and a message naming the rule; nothing stored, nothing recorded.
    (One database for all the cases: a fresh one per case would triple the time.)"""
    for case, content_type, body, says in REFUSED:
        r = await client.post("/evidence", content=body, headers=headers("inspector", content_type))
        assert r.status_code == 415, (case, r.text)
        error = r.json()["errors"][0]
        assert error["code"] == "UNSUPPORTED_CONTENT_TYPE" and says in error["message"], case
        assert stored_files(storage) == [] and await events(app) == 0, case


async def test_valid_files_of_each_type(
    client: httpx.AsyncClient, people: People, storage: FilesystemEvidenceStorage
) -> None:
    stored = []
    for content_type, body in (
        ("image/png", PNG),
        ("image/jpeg; charset=binary", JPEG),
        ("image/webp", WEBP),
        ("application/pdf", PDF),
        ("video/mp4", MP4),
    ):
        r = await client.post("/evidence", content=body, headers=headers("inspector", content_type))
        assert r.status_code == 201, (content_type, r.text)
        assert r.json()["contentType"] == content_type.split(";")[0]
        stored.append(storage.path(r.json()["sha256"]))
    assert sorted(stored_files(storage)) == sorted(stored)


@pytest.mark.parametrize(
    ("user", "upload", "download"),
    [
        ("admin", 201, 200),
        ("scjg-admin", 201, 200),
        ("inspector", 201, 200),
        ("auditor", 403, 200),
        ("liaison-scjg", 403, 200),
        ("no-account", 403, 403),
        (None, 401, 401),
    ],
)
async def test_roles(
    client: httpx.AsyncClient,
    app: Starlette,
    people: People,
    storage: FilesystemEvidenceStorage,
    user: str | None,
    upload: int,
    download: int,
) -> None:
    r = await client.post("/evidence", content=PNG, headers=headers(user, "image/png"))
    assert r.status_code == upload, r.text
    if upload != 201:
        assert stored_files(storage) == [] and await events(app) == 0
        r = await client.post("/evidence", content=PNG, headers=headers("admin", "image/png"))
    digest = r.json()["sha256"]
    r = await client.get(f"/evidence/{digest}", headers=headers(user))
    assert r.status_code == download


async def test_bad_token_and_unknown_file(
    client: httpx.AsyncClient, people: People, storage: FilesystemEvidenceStorage
) -> None:
    r = await client.post(
        "/evidence",
        content=PNG,
        headers={"authorization": "Bearer nonsense", "content-type": "image/png"},
    )
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    for key in ("0" * 64, "not-a-hash"):
        r = await client.get(f"/evidence/{key}", headers=headers("inspector"))
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NOT_FOUND"


ADMIN = Caller(
    actor=Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
)
SCJG_ADMIN = Caller(
    actor=Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
)


def with_evidence(*digests: str) -> i.ItemResult:
    evidence = [i.EvidenceRef(sha256=d, description="现场照片") for d in digests]
    return msgspec.structs.replace(insp.result(), evidence=evidence)


async def test_who_reads_a_file(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    """The uploading department, the departments of an inspection whose result references the
    file, auditors and the system administrator; nobody else."""
    scjg = await upload(client, PNG, "inspector")  # SCJG
    sthj = await upload(client, JPEG, "sthj-admin", "image/jpeg")  # STHJ
    other = await upload(client, WEBP, "sthj-admin", "image/webp")  # STHJ

    async def status(user: str | None, digest: str) -> int:
        return (await client.get(f"/evidence/{digest}", headers=headers(user))).status_code

    assert [await status(u, scjg) for u in ("inspector", "scjg-admin", "liaison-scjg")] == [200] * 3
    assert await status("sthj-admin", scjg) == 403
    r = await client.get(f"/evidence/{scjg}", headers=headers("sthj-admin"))
    assert r.json()["errors"][0]["code"] == "FORBIDDEN"
    assert "AUDITOR" in r.json()["errors"][0]["message"]
    assert [await status(u, sthj) for u in ("inspector", "scjg-admin")] == [403, 403]
    assert [await status(u, sthj) for u in ("auditor", "admin", "sthj-admin")] == [200] * 3
    assert [await status(None, d) for d in (scjg, sthj)] == [401, 401]

    # An approved SCJG inspection; the system administrator amends its result with the STHJ
    # file: SCJG (the inspection's department) now reads it.
    await reg.seed_matrix(app, tags=())
    await insp.seed_inspections(app, "amendInspectionResult", tags=("E",))
    key = insp.inspection_of("E", "amendInspectionResult")
    runner = app.state.runner
    amend = i.AmendInspectionResult(
        inspection_id=key, result=with_evidence(sthj), reason="补充生态环境局检测报告"
    )
    assert (await inspections.handle(runner, ADMIN, amend)).events
    assert [await status(u, sthj) for u in ("inspector", "scjg-admin")] == [200, 200]
    assert await status("inspector", other) == 403
    # A department's admin attaches only what it may read.
    amend = i.AmendInspectionResult(
        inspection_id=key, result=with_evidence(sthj, other), reason="再补充"
    )
    with pytest.raises(DomainError) as caught:
        await inspections.handle(runner, SCJG_ADMIN, amend)
    assert [(p.code.value, p.field) for p in caught.value.problems] == [
        ("FORBIDDEN", "result.evidence.1.sha256")
    ]


async def test_unattached_uploads_are_collected(
    client: httpx.AsyncClient,
    app: Starlette,
    people: People,
    storage: FilesystemEvidenceStorage,
    db_clock: DbClock,
    owner_conn: asyncpg.Connection,
) -> None:
    await reg.seed_matrix(app, tags=())
    await insp.seed_inspections(app, "submitInspectionResults", tags=("G",))
    key = insp.inspection_of("G", "submitInspectionResults")
    runner = app.state.runner

    # Eight days ago: two uploads; one of them then attached to a submitted result.
    db_clock.travel_to(dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    old = await upload(client, PNG)
    kept = await upload(client, JPEG, kind="image/jpeg")
    db_clock.reset()
    submit = i.SubmitInspectionResults(
        inspection_id=key, inspected_on=insp.INSPECTED_ON, results=[with_evidence(kept)]
    )
    assert (await inspections.handle(runner, insp.TEAM_CALLER, submit)).events
    recent = await upload(client, PDF, kind="application/pdf")

    report = await service.collect_unattached(runner, storage, dt.timedelta(days=7))
    assert (report.collected, report.bytes, report.deleted) == ([old], len(PNG), 1)
    assert not storage.path(old).exists()
    assert storage.path(kept).exists() and storage.path(recent).exists()
    row = await app.state.pool.fetchrow(
        "SELECT data, metadata FROM events WHERE stream_id = $1 AND event_type = $2",
        f"evidence-{old}",
        "EvidenceCollected",
    )
    assert row["metadata"]["actor"] == "system"
    assert "not attached to any result within 7 days" in row["data"]["reason"]
    # Again: nothing more to collect.
    again = await service.collect_unattached(runner, storage, dt.timedelta(days=7))
    assert (again.collected, again.deleted) == ([], 0)

    r = await client.get(f"/evidence/{old}", headers=headers("inspector"))
    assert r.status_code == 410 and r.json()["errors"][0]["code"] == "EVIDENCE_COLLECTED"
    # A backup copies the files that exist: not the collected one.
    kept_files = {r["sha256"] for r in await owner_conn.fetch(EVIDENCE_KEPT)}
    assert kept_files == {kept, recent}

    # A collected file is not attached: the result is refused, naming the rule.
    resubmit = i.SubmitInspectionResults(
        inspection_id=key, inspected_on=insp.INSPECTED_ON, results=[with_evidence(kept, old)]
    )
    ret = i.ReturnInspectionResults(inspection_id=key, reason="补充证据")
    assert (await inspections.handle(runner, SCJG_ADMIN, ret)).events
    with pytest.raises(DomainError) as caught:
        await inspections.handle(runner, insp.TEAM_CALLER, resubmit)
    problem = caught.value.problems[0]
    assert (problem.code.value, problem.field) == (
        "EVIDENCE_COLLECTED",
        "results.0.evidence.1.sha256",
    )
    assert "SPOTCHECK_EVIDENCE_UNATTACHED_TTL" in problem.message

    # Uploaded again, it lives anew and can be attached.
    r = await client.post("/evidence", content=PNG, headers=headers("inspector", "image/png"))
    assert r.status_code == 201 and storage.path(old).exists()
    assert (await inspections.handle(runner, insp.TEAM_CALLER, resubmit)).events
    assert await events(app, "EvidenceCollected") == 1
    assert {r["sha256"] for r in await owner_conn.fetch(EVIDENCE_KEPT)} == {old, kept, recent}
    # The read tables (collected flags, attachments) are what a replay of the events gives.
    result = await rebuilder.verify(owner_conn, projections())
    assert result.ok, result.lines()


async def test_collection_waits_for_an_attaching_result(
    app: Starlette, client: httpx.AsyncClient, people: People, storage: FilesystemEvidenceStorage
) -> None:
    """A result being attached holds the file's lock: the collection waits, then keeps it."""
    digest = await upload(client, PNG)
    pool = app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        files = await service.attachable(conn, [digest], insp.TEAM_CALLER.actor)
        assert files.known == {digest}
        collecting = asyncio.create_task(
            service.collect_one(app.state.runner, digest, dt.timedelta(seconds=0))
        )
        await asyncio.sleep(0.3)
        assert not collecting.done()
        await conn.execute("INSERT INTO evidence_attachments VALUES ($1, 'T/1/X', now())", digest)
    assert await collecting is None
    assert storage.path(digest).exists()


async def test_quota_of_unattached_bytes(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    app.state.evidence_quota_bytes = len(PNG) + len(JPEG)
    await upload(client, PNG)
    await upload(client, JPEG, kind="image/jpeg")
    before = stored_files(storage)
    # With a declared length or streamed: refused when recorded, nothing kept.
    for body in (WEBP, chunks(WEBP, 10)):
        r = await client.post("/evidence", content=body, headers=headers("inspector", "image/webp"))
        assert r.status_code == 413, r.text
        error = r.json()["errors"][0]
        assert error["code"] == "EVIDENCE_QUOTA_EXCEEDED" and error["field"] == "file"
        assert "SPOTCHECK_EVIDENCE_QUOTA_BYTES" in error["message"]
    assert stored_files(storage) == before and await events(app) == 2
    # The same bytes again cost nothing; another account has its own quota.
    r = await client.post("/evidence", content=PNG, headers=headers("inspector", "image/png"))
    assert r.status_code == 200
    await upload(client, WEBP, "scjg-admin", "image/webp")
    assert await service.unattached_bytes(app.state.pool, "inspector") == len(PNG) + len(JPEG)


async def test_the_gc_command(
    client: httpx.AsyncClient,
    app: Starlette,
    people: People,
    db: Db,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``spotcheck evidence gc`` collects from the store under SPOTCHECK_HOME, by the settings."""
    home = tmp_path / "home"
    store = FilesystemEvidenceStorage(home / "evidence")
    app.state.evidence = store
    digest = await upload(client, PNG)
    for name, value in (
        ("DATABASE_URL", db.owner_url),
        ("SPOTCHECK_APP_DATABASE_URL", db.app_url),
        ("SPOTCHECK_HOME", str(home)),
    ):
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(main, ["evidence", "gc"]) == 0  # 7 days by default: kept
    assert "collected 0 " in capsys.readouterr().out and store.path(digest).exists()
    assert await asyncio.to_thread(main, ["evidence", "gc", "--ttl", "nonsense"]) == 2
    monkeypatch.setenv("SPOTCHECK_EVIDENCE_UNATTACHED_TTL", "1")
    await asyncio.sleep(1.1)
    assert await asyncio.to_thread(main, ["evidence", "gc"]) == 0
    assert f"collected 1 unattached evidence files ({len(PNG)} bytes)" in capsys.readouterr().out
    assert not store.path(digest).exists()
