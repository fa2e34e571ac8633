"""HTTP routes for evidence files (证据材料): ``POST /evidence`` and ``GET /evidence/{sha256}``
(documented for clients in docs/evidence.md).

Files do not go through GraphQL: they are streamed.  ``POST /evidence`` takes the raw file as
the request body with its ``Content-Type``, a bearer token like ``/graphql``, and answers
``{"sha256", "size", "contentType"}`` (201 when recorded, 200 when the same bytes were uploaded
before for the uploader's department).  Results then reference the file by ``sha256``.  The body
goes to a temporary file, is read whole by a parser for its type
(``spotcheck.evidence.validate``) and is placed under its hash only in the transaction that
records it, after the quota; a refused upload stores nothing and records nothing.

``GET /evidence/{sha256}`` serves the bytes to the departments that uploaded them, the
departments of the inspections whose results reference them, auditors and the system
administrator (``spotcheck.services.evidence.may_read``).

Errors are JSON ``{"errors": [{"code", "field", "message"}]}`` with the ``ErrorCode`` names:
401 ``UNAUTHENTICATED`` (no or bad token), 403 ``FORBIDDEN`` (uploading: not INSPECTOR,
DEPARTMENT_ADMIN or SYSTEM_ADMIN; reading: not allowed to read this file), 404 ``NOT_FOUND``,
410 ``EVIDENCE_COLLECTED`` (left unattached past ``SPOTCHECK_EVIDENCE_UNATTACHED_TTL``, its bytes
deleted), 413 ``FILE_TOO_LARGE`` (naming the limit, ``SPOTCHECK_EVIDENCE_MAX_BYTES``, default
50 MB), 413 ``EVIDENCE_QUOTA_EXCEEDED`` (the account's unattached bytes would pass
``SPOTCHECK_EVIDENCE_QUOTA_BYTES``, default 500 MB), 415 ``UNSUPPORTED_CONTENT_TYPE`` (the declared
type is not allowed, the first bytes do not show it, or the parser refuses the file), and 500
``EVIDENCE_CORRUPT`` when a stored file no longer hashes to its name.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from spotcheck.api.auth import actor_for
from spotcheck.domain import evidence as e
from spotcheck.domain.actor import Actor
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.evidence.storage import EvidenceStorage, FilesystemEvidenceStorage, TooLarge
from spotcheck.evidence.validate import validate
from spotcheck.services import evidence as service
from spotcheck.services.runner import Caller

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_BYTES_ENV = "SPOTCHECK_EVIDENCE_MAX_BYTES"

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FILE_TOO_LARGE: 413,
    ErrorCode.EVIDENCE_QUOTA_EXCEEDED: 413,
    ErrorCode.UNSUPPORTED_CONTENT_TYPE: 415,
    ErrorCode.EVIDENCE_COLLECTED: 410,
}


def max_bytes_from_env() -> int:
    raw = os.environ.get(MAX_BYTES_ENV)
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{MAX_BYTES_ENV} must be a positive number of bytes, not {raw!r}")
    return value


def default_storage() -> FilesystemEvidenceStorage:
    """``SPOTCHECK_HOME/evidence``."""
    from spotcheck.config import Settings

    return FilesystemEvidenceStorage(Settings.from_env().home / "evidence")


def _json(status: int, content: Any) -> Response:
    import orjson

    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    return _json(status, {"errors": [{"code": code, "field": field, "message": message}]})


def _domain_error(exc: DomainError) -> Response:
    status = _STATUS.get(exc.code, 400)
    return _json(
        status,
        {
            "errors": [
                {"code": p.code.value, "field": p.field, "message": p.message} for p in exc.problems
            ]
        },
    )


def _too_large(limit: int) -> Response:
    return _error(
        413,
        ErrorCode.FILE_TOO_LARGE.value,
        f"an evidence file may have at most {limit} bytes ({MAX_BYTES_ENV})",
    )


async def _actor(request: Request) -> Actor:
    state = request.app.state
    try:
        return await actor_for(request, state.pool, state.tokens)
    except HTTPException as exc:
        raise DomainError.one(ErrorCode.UNAUTHENTICATED, None, exc.reason) from None


async def _checked(chunks: AsyncIterator[bytes], declared: str | None) -> AsyncIterator[bytes]:
    """The request body, refused (UNSUPPORTED_CONTENT_TYPE) unless its first bytes show the
    declared type.  Holds back at most ``SNIFF_BYTES`` bytes."""
    head = b""
    checked = False
    async for chunk in chunks:
        if checked:
            yield chunk
            continue
        head += chunk
        if len(head) >= e.SNIFF_BYTES:
            e.check_content_type(declared, head)
            checked = True
            yield head
    if not checked:
        e.check_content_type(declared, head)
        if head:
            yield head


async def upload(request: Request) -> Response:
    state = request.app.state
    storage: EvidenceStorage = state.evidence
    limit: int = state.evidence_max_bytes
    quota: int = state.evidence_quota_bytes
    declared = request.headers.get("content-type")
    try:
        actor = await _actor(request)
        e.check_uploader(actor)
        assert actor.user_id is not None
        length = request.headers.get("content-length")
        declared_length = int(length) if length is not None and length.isdigit() else None
        if declared_length is not None and declared_length > limit:
            return _too_large(limit)
        # Refuse a type outside the allow-list before reading anything.
        content_type = e.media_type(declared)
        if content_type not in e.ALLOWED_TYPES:
            e.check_content_type(declared, b"")
        assert content_type is not None
        try:
            async with storage.stage(
                _checked(request.stream(), declared), max_bytes=limit
            ) as staged:
                await validate(staged.path, content_type)
                caller = Caller(
                    actor=actor,
                    request_id=request.headers.get("x-request-id"),
                    correlation_id=request.headers.get("x-request-id"),
                )
                outcome = await service.record(
                    state.runner, caller, staged, content_type, quota_bytes=quota
                )
        except TooLarge:
            return _too_large(limit)
    except DomainError as exc:
        return _domain_error(exc)
    assert outcome.state is not None
    request.app.state.metrics.evidence_bytes.inc(outcome.state.size)
    return _json(
        201 if outcome.events else 200,
        {
            "sha256": outcome.state.sha256,
            "size": outcome.state.size,
            "contentType": outcome.state.content_type,
        },
    )


async def download(request: Request) -> Response:
    """The file's bytes, to whom may read it (``service.may_read``).

    A staff member who may not read an existing file gets 403 FORBIDDEN, not 404: the hash is
    the content's own fingerprint, so a caller who can name it either holds the bytes or read a
    result that references it, and is a signed-in, accountable member of staff; a 404 would
    hide nothing worth hiding from them and would make a real access problem look like a
    missing file.  Unknown and malformed hashes get 404; the public gets 401 before any lookup.
    """
    storage: EvidenceStorage = request.app.state.evidence
    pool = request.app.state.pool
    sha256 = str(request.path_params["sha256"])
    try:
        actor = await _actor(request)
        if actor.is_public:
            raise DomainError.one(ErrorCode.UNAUTHENTICATED, None, "sign in to read evidence")
        if not actor.is_staff:
            raise DomainError.one(ErrorCode.FORBIDDEN, None, "only staff read evidence files")
        found = None
        if e.SHA256.match(sha256):
            found = await service.evidence_file(pool, sha256)
        if found is None:
            raise DomainError.one(ErrorCode.NOT_FOUND, "sha256", f"no evidence file {sha256!r}")
        if not await service.may_read(pool, actor, found):
            raise DomainError.one(
                ErrorCode.FORBIDDEN,
                "sha256",
                "evidence is read by the departments that uploaded it, the departments of the "
                "inspections whose results reference it (lead and joint), auditors (AUDITOR) "
                "and the system administrator (SYSTEM_ADMIN)",
            )
        if found.collected:
            return _error(
                410,
                ErrorCode.EVIDENCE_COLLECTED.value,
                f"evidence {sha256} was collected and its file deleted: "
                f"{found.collected_reason or 'left unattached'}",
                "sha256",
            )
    except DomainError as exc:
        return _domain_error(exc)
    if not await storage.verify(sha256):
        return _error(
            500,
            ErrorCode.EVIDENCE_CORRUPT.value,
            f"the stored file {sha256} is missing or no longer has this SHA-256; "
            "it is not served (report it to the system administrator)",
        )
    return StreamingResponse(
        storage.open(sha256),
        media_type=found.content_type,
        headers={
            "content-length": str(found.size),
            "etag": f'"{sha256}"',
            "x-content-type-options": "nosniff",
            "cache-control": "private, max-age=31536000, immutable",
        },
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/evidence", upload, methods=["POST"]),
        Route("/evidence/{sha256}", download, methods=["GET"]),
    ]
