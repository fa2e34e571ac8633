"""Every HTTP request: an id, one JSON log line, and its metrics.

``RequestObserver`` is the outermost middleware, so that what the others refuse (413, 429) is
logged and counted too.  For each request it

- takes the caller's ``X-Request-Id`` when it is sane (up to 128 characters from
  ``A-Z a-z 0-9 . _ : ; = + / -``), else makes one (a UUID), keeps it on the request
  (``request.state.request_id``: the GraphQL context, the events' metadata and every
  ``INTERNAL`` error name the same one) and returns it as the ``X-Request-Id`` header;
- answers an exception no handler caught with a JSON ``INTERNAL`` error naming the request id
  (the traceback goes to the log, never to the client);
- logs one line (logger ``spotcheck.request``): request id, method, path, GraphQL operation
  name and type, user id and roles, HTTP status, duration, outcome and error codes.  Never the
  query, its variables, the body or a header: those carry personal data and tokens.  Probes
  (``/healthz``, ``/readyz``) that pass log at DEBUG, so that they do not drown the rest;
- counts it in the app's metrics (``spotcheck.observe.metrics``).

What only the GraphQL view knows (operation, user, codes inside a 200 response) it writes into
the ``RequestRecord`` kept on the request (``note_*`` below).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotcheck.api.http import error_body

if TYPE_CHECKING:
    from spotcheck.observe.metrics import AppMetrics

log = logging.getLogger("spotcheck.request")

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:;=+/-]{1,128}")
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
PROBES = ("/healthz", "/readyz")
_ERROR_BODY_LIMIT = 64 * 1024


@dataclass
class RequestRecord:
    """What the log line and the metrics say about one request."""

    request_id: str
    operation: str | None = None
    operation_type: str | None = None
    user_id: str | None = None
    roles: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)

    def add_codes(self, codes: list[str]) -> None:
        self.codes.extend(c for c in codes if c not in self.codes)


def given_request_id(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if SANE_REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return str(uuid.uuid4())


def record_of(request: Request) -> RequestRecord | None:
    found = getattr(request.state, "record", None)
    return found if isinstance(found, RequestRecord) else None


def note_operation(request: Request, name: str | None, kind: str | None) -> None:
    if (record := record_of(request)) is not None:
        if name and not (isinstance(name, str) and OPERATION_NAME.fullmatch(name)):
            name = "invalid"  # not a GraphQL name: never copied into the log
        record.operation, record.operation_type = name or None, kind


def note_actor(request: Request, user_id: str | None, roles: list[str]) -> None:
    if (record := record_of(request)) is not None:
        record.user_id, record.roles = user_id, sorted(roles)


def note_codes(request: Request, codes: list[str]) -> None:
    if (record := record_of(request)) is not None:
        record.add_codes(codes)


def codes_in(body: bytes) -> list[str]:
    """The error codes of a JSON error body: ``errors[].extensions.code`` (GraphQL) or
    ``errors[].code`` (``/evidence``)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    out: list[str] = []
    for e in errors if isinstance(errors, list) else []:
        if not isinstance(e, dict):
            continue
        ext = e.get("extensions")
        code = ext.get("code") if isinstance(ext, dict) else e.get("code")
        if isinstance(code, str):
            out.append(code)
    return out


def outcome_of(status: int | None, codes: list[str]) -> str:
    """``ok``, ``error`` (the caller's: refused, invalid, forbidden…), ``internal`` (ours) or
    ``cancelled`` (the client went away)."""
    if status is None:
        return "cancelled"
    if status >= 500 or "INTERNAL" in codes:
        return "internal"
    if status >= 400 or codes:
        return "error"
    return "ok"


class RequestObserver:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, metrics: AppMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        record = RequestRecord(given_request_id(given) or new_request_id())
        state = scope.setdefault("state", {})
        state["request_id"], state["record"] = record.request_id, record
        status: int | None = None
        capture = False
        captured: list[bytes] = []
        size = 0

        async def send_observed(message: Message) -> None:
            nonlocal status, capture, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                out = MutableHeaders(scope=message)
                out["X-Request-Id"] = record.request_id
                capture = status >= 400 and out.get("content-type", "").startswith("application/")
            elif message["type"] == "http.response.body" and capture:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= _ERROR_BODY_LIMIT:
                    captured.append(chunk)
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_observed)
        except Exception:
            log.exception(
                "unexpected error serving %s (request id %s)",
                scope["path"],
                record.request_id,
                extra={"request_id": record.request_id},
            )
            record.add_codes(["INTERNAL"])
            if status is not None:
                raise  # the answer has begun: nothing valid can be sent any more
            body = error_body(
                500,
                f"internal error (request id {record.request_id})",
                code="INTERNAL",
                requestId=record.request_id,
            )
            await send_observed(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"x-content-type-options", b"nosniff"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_observed({"type": "http.response.body", "body": body})
        finally:
            seconds = time.perf_counter() - started
            if captured and size <= _ERROR_BODY_LIMIT:
                record.add_codes(codes_in(b"".join(captured)))
            self._finish(scope, record, status, seconds)

    def _finish(
        self, scope: Scope, record: RequestRecord, status: int | None, seconds: float
    ) -> None:
        path: str = scope["path"]
        outcome = outcome_of(status, record.codes)
        fields: dict[str, Any] = {
            "request_id": record.request_id,
            "method": scope["method"],
            "path": path[:200],
            "operation": record.operation,
            "operation_type": record.operation_type,
            "user": record.user_id,
            "roles": record.roles,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "outcome": outcome,
            "codes": record.codes,
        }
        quiet = path in PROBES and outcome == "ok"
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %s %s %.1f ms",
            scope["method"],
            path[:200],
            status,
            record.operation or "-",
            seconds * 1000,
            extra=fields,
        )
        if self.metrics is not None:
            self.metrics.observe_request(path, record.operation, outcome, seconds, record.codes)
