"""抽取记录 The streamed transcript download: ``GET /draws/{taskId}/{number}/transcript.json``.

A draw of a million subjects has a 26 MB transcript: too large for one GraphQL string (the
``drawTranscript`` field refuses transcripts over ``SPOTCHECK_TRANSCRIPT_INLINE_MAX_BYTES``,
1 MB by default, with ``TRANSCRIPT_TOO_LARGE``).  This route serves the exact canonical bytes,
read from the database a megabyte at a time, with

- ``ETag: "<sha256 hex>"``: the draw's ``transcriptDigest`` (``If-None-Match`` gives 304);
- ``Repr-Digest: sha-256=:<base64>:`` (RFC 9530) and ``Digest: SHA-256=<base64>`` (RFC 3230);
- ``Content-Length``; ``Cache-Control: no-cache`` (a replacement appends to the transcript, so
  the same path may later serve new bytes under a new ETag).

The bytes are checked against the digest as they are read: if the stored blob no longer hashes
to it, the response stops before its last chunk (shorter than its Content-Length) and the
server logs it.  The full transcript holds eligibility facts about people (conflicts of
interest, ineligibility, previous inspectors): AUDITOR and SYSTEM_ADMIN only (401
``UNAUTHENTICATED`` for the public, 403 ``FORBIDDEN`` for other staff), like ``drawTranscript``.
The public (一公开) fetches ``GET /draws/{taskId}/{number}/public-transcript.json``: the public
transcript derived from it (inspectors by per-draw pseudonyms; docs/draw-protocol.md), with
the same headers over its own bytes.  Errors are JSON ``{"errors": [{code, field,
message}]}``: 404 ``NOT_FOUND`` for no such draw or one not yet executed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from spotcheck.api.auth import actor_for
from spotcheck.api.draws import public
from spotcheck.domain.errors import ErrorCode
from spotcheck.services import draws as service

log = logging.getLogger(__name__)

DEFAULT_INLINE_MAX_BYTES = 1024 * 1024
INLINE_MAX_ENV = "SPOTCHECK_TRANSCRIPT_INLINE_MAX_BYTES"
_TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}$")
"""A task id as the task aggregate accepts it (rules.code, at most 40 characters)."""
_NUMBER = re.compile(r"^[1-9][0-9]{0,8}$")


def inline_max_from_env() -> int:
    """The largest transcript ``drawTranscript`` returns inline (``INLINE_MAX_ENV``)."""
    raw = os.environ.get(INLINE_MAX_ENV, "").strip()
    if not raw:
        return DEFAULT_INLINE_MAX_BYTES
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{INLINE_MAX_ENV} must be a positive number of bytes, not {raw!r}")
    return int(raw)


def _not_found(message: str) -> Response:
    body: dict[str, Any] = {
        "errors": [{"code": ErrorCode.NOT_FOUND.value, "field": None, "message": message}]
    }
    return Response(orjson.dumps(body), status_code=404, media_type="application/json")


async def _checked(pool: asyncpg.Pool, ref: service.TranscriptRef) -> AsyncIterator[bytes]:
    try:
        async for chunk in service.blob_chunks(pool, ref):
            yield chunk
    except LookupError:
        log.error("transcript %s not served whole: the stored blob is corrupt", ref.digest)
        raise


def _error(status: int, code: ErrorCode, message: str) -> Response:
    body: dict[str, Any] = {"errors": [{"code": code.value, "field": None, "message": message}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def _auditor_refusal(request: Request) -> Response | None:
    """The full transcript is for AUDITOR and SYSTEM_ADMIN: a refusal for anyone else."""
    state = request.app.state
    try:
        actor = await actor_for(request, state.pool, state.tokens)
    except HTTPException as exc:
        return _error(401, ErrorCode.UNAUTHENTICATED, exc.reason)
    if actor.is_public:
        return _error(
            401,
            ErrorCode.UNAUTHENTICATED,
            "the full transcript is for auditors: the public one is public-transcript.json",
        )
    if not actor.reads_everything:
        return _error(403, ErrorCode.FORBIDDEN, "only an AUDITOR or SYSTEM_ADMIN reads it")
    return None


def _digest_headers(digest: str, filename: str) -> dict[str, str]:
    sha = base64.b64encode(bytes.fromhex(digest)).decode()
    return {
        "etag": f'"{digest}"',
        "repr-digest": f"sha-256=:{sha}:",
        "digest": f"SHA-256={sha}",
        "cache-control": "no-cache",
        "content-disposition": f'attachment; filename="{filename}"',
    }


async def public_transcript(request: Request) -> Response:
    """The public transcript (一公开): derived from the full one, inspectors by pseudonym."""
    task_id = str(request.path_params["task_id"])
    raw_number = str(request.path_params["number"])
    data = None
    if _TASK_ID.match(task_id) and _NUMBER.match(raw_number):
        data = await public.public_transcript(
            request.app, request.app.state.pool, task_id, int(raw_number)
        )
    if data is None:
        return _not_found(f"no executed draw {raw_number!r} of task {task_id!r}")
    digest = hashlib.sha256(data).hexdigest()
    headers = _digest_headers(digest, f"{task_id}-{raw_number}-public-transcript.json")
    if headers["etag"] in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["content-length"] = str(len(data))
        return Response(headers=headers, media_type="application/json")
    return Response(data, headers=headers, media_type="application/json")


async def transcript(request: Request) -> Response:
    refused = await _auditor_refusal(request)
    if refused is not None:
        return refused
    task_id = str(request.path_params["task_id"])
    raw_number = str(request.path_params["number"])
    pool: asyncpg.Pool = request.app.state.pool
    ref = None
    if _TASK_ID.match(task_id) and _NUMBER.match(raw_number):
        ref = await service.transcript_ref(pool, task_id, int(raw_number))
    if ref is None:
        return _not_found(f"no executed draw {raw_number!r} of task {task_id!r}")
    number = int(raw_number)
    sha = base64.b64encode(bytes.fromhex(ref.digest)).decode()
    etag = f'"{ref.digest}"'
    headers = {
        "etag": etag,
        "repr-digest": f"sha-256=:{sha}:",
        "digest": f"SHA-256={sha}",
        "cache-control": "no-cache",
        "content-disposition": f'attachment; filename="{task_id}-{number}-transcript.json"',
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    headers["content-length"] = str(ref.size)
    if request.method == "HEAD":
        return Response(headers=headers, media_type="application/json")
    return StreamingResponse(_checked(pool, ref), headers=headers, media_type="application/json")


def routes() -> list[BaseRoute]:
    return [
        Route(
            "/draws/{task_id}/{number}/transcript.json",
            transcript,
            methods=["GET", "HEAD"],
        ),
        Route(
            "/draws/{task_id}/{number}/public-transcript.json",
            public_transcript,
            methods=["GET", "HEAD"],
        ),
    ]
