"""证据材料 Evidence upload and download: hash integrity, size limit, content types, roles."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.auth.tokens import mint
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from tests.api.conftest import TOKENS, People

LIMIT = 4096
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 50


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
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def events(app: Starlette) -> int:
    return int(
        await app.state.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_id LIKE 'evidence-%'"
        )
    )


def stored_files(store: FilesystemEvidenceStorage) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


async def test_upload_stores_by_sha256_and_records_once(
    client: httpx.AsyncClient, app: Starlette, people: People, storage: FilesystemEvidenceStorage
) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    r = await client.post(
        "/evidence", content=chunks(PNG), headers=headers("inspector", "image/png")
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"sha256": digest, "size": len(PNG), "contentType": "image/png"}
    path = storage.root / digest[:2] / digest[2:4] / digest
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert stored_files(storage) == [path]  # no temporary file left
    row = await app.state.pool.fetchrow(
        "SELECT size, content_type, uploaded_by FROM evidence_files WHERE id = $1", digest
    )
    assert dict(row) == {"size": len(PNG), "content_type": "image/png", "uploaded_by": "inspector"}
    event = await app.state.pool.fetchrow(
        "SELECT event_type, data FROM events WHERE stream_id = $1", f"evidence-{digest}"
    )
    assert event["event_type"] == "EvidenceUploaded"

    # The same bytes again (by another uploader): same answer, no new event.
    r = await client.post("/evidence", content=PNG, headers=headers("scjg-admin", "image/png"))
    assert r.status_code == 200 and r.json()["sha256"] == digest
    assert await events(app) == 1

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
    big = b"%PDF-" + b"x" * LIMIT
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
    # Exactly at the limit is accepted.
    r = await client.post(
        "/evidence", content=chunks(big[:LIMIT]), headers=headers("inspector", "application/pdf")
    )
    assert r.status_code == 201 and r.json()["size"] == LIMIT


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html></html>"),  # not on the allow-list
        (None, PNG),  # undeclared
        ("image/jpeg", PNG),  # declared JPEG, content PNG
        ("application/pdf", b"MZ\x90\x00" + b"\x00" * 100),  # an executable called a PDF
        ("image/png", b""),  # empty
    ],
)
async def test_content_type_is_checked(
    client: httpx.AsyncClient,
    app: Starlette,
    people: People,
    storage: FilesystemEvidenceStorage,
    content_type: str | None,
    body: bytes,
) -> None:
    r = await client.post("/evidence", content=body, headers=headers("inspector", content_type))
    assert r.status_code == 415, r.text
    assert r.json()["errors"][0]["code"] == "UNSUPPORTED_CONTENT_TYPE"
    assert stored_files(storage) == [] and await events(app) == 0


async def test_other_types_and_parameters(
    client: httpx.AsyncClient, people: People, storage: FilesystemEvidenceStorage
) -> None:
    for content_type, body in (
        ("image/jpeg; charset=binary", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
        ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64),
        ("video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64),
    ):
        r = await client.post("/evidence", content=body, headers=headers("inspector", content_type))
        assert r.status_code == 201, (content_type, r.text)
        assert r.json()["contentType"] == content_type.split(";")[0]


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
