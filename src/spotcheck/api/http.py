"""The HTTP edge: what is refused before GraphQL runs, and what every response carries.

- ``BodyLimit``: a ``/graphql`` body over the limit (``SPOTCHECK_MAX_BODY_BYTES``, 1 MB by
  default) is answered 413 before anything reads it into a parser: a declared Content-Length
  at once, a chunked body as soon as it passes the limit.
- ``SecurityHeaders``: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``frame-ancestors 'none'`` on every response (a page may set a fuller CSP of its own), and
  ``Cache-Control: no-store`` on every response to a request that carried credentials, since
  those are the only ones that can hold personal data.
- ``error_response``: the one shape of an error answered before or around GraphQL, a GraphQL
  response with ``extensions.code``; 401 also says ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import orjson
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1_000_000

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL",
}


def max_body_from_env(env: Mapping[str, str] = os.environ) -> int:
    raw = env.get("SPOTCHECK_MAX_BODY_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    if not raw.isdigit() or int(raw) < 1024:
        raise ValueError("SPOTCHECK_MAX_BODY_BYTES must be a whole number of bytes, at least 1024")
    return int(raw)


def cors_origins_from_env(env: Mapping[str, str] = os.environ) -> list[str]:
    """``SPOTCHECK_CORS_ORIGINS``: exact origins (``https://screens.example.gov.cn``), comma-
    separated; unset or empty: no CORS headers, so browsers allow same-origin calls only."""
    origins = [o.strip().rstrip("/") for o in env.get("SPOTCHECK_CORS_ORIGINS", "").split(",")]
    for o in origins:
        if o and (o == "*" or not o.startswith(("https://", "http://"))):
            raise ValueError(f"SPOTCHECK_CORS_ORIGINS: {o!r} is not an origin like https://host")
    return [o for o in origins if o]


def error_body(status: int, message: str, **extensions: object) -> bytes:
    code = extensions.pop("code", None) or HTTP_CODES.get(status, "BAD_REQUEST")
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    )


def error_response(
    status: int, message: str, *, media_type: str = "application/json", **extensions: object
) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="spotcheck"'} if status == 401 else None
    return Response(
        error_body(status, message, **extensions),
        status_code=status,
        media_type=media_type,
        headers=headers,
    )


class BodyLimit:
    """413 for a body over ``max_bytes`` on ``paths``, before the application reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int, paths: tuple[str, ...] = ("/graphql",)):
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, "Content-Length is not a number")(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            f"the request body is larger than {self.max_bytes} bytes",
            limit=self.max_bytes,
        )
        await response(scope, receive, send)


class SecurityHeaders:
    """Headers every response carries (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentials = any(k in (b"authorization", b"cookie") for k, _ in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
                headers.setdefault("X-Frame-Options", "DENY")
                if credentials:
                    headers["Cache-Control"] = "no-store"
                    headers.append("Vary", "Authorization")
            await send(message)

        await self.app(scope, receive, send_with_headers)
