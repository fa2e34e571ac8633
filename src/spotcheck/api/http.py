"""The HTTP edge: what is refused before GraphQL runs, and what every response carries.

- ``BodyLimit``: a ``/graphql`` body over the limit (``SPOTCHECK_MAX_BODY_BYTES``, 1 MB by
  default) is answered 413 before anything reads it into a parser: a declared Content-Length
  at once, a chunked body as soon as it passes the limit.
- ``SecurityHeaders``: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``frame-ancestors 'none'`` on every response (a page may set a fuller CSP of its own), and
  ``Cache-Control: no-store`` on every response to a request that carried credentials, since
  those are the only ones that can hold personal data.
- ``RateLimiter``: a token bucket per client (``SPOTCHECK_RATE_LIMIT``), 429 with
  ``Retry-After`` over it.
- ``negotiate``: ``application/graphql-response+json`` with GraphQL-over-HTTP status codes for
  the clients that ask for it, ``application/json`` for the others.
- ``error_response``: the one shape of an error answered before or around GraphQL, a GraphQL
  response with ``extensions.code``; 401 also says ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import orjson
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotcheck.db.availability import RETRY_AFTER_SECONDS

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
    429: "RATE_LIMITED",
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


def database_unavailable_response(request_id: str) -> Response:
    """503 ``DATABASE_UNAVAILABLE``: PostgreSQL is down or restarting; send it again later (a
    mutation with the same ``idempotencyKey``: it may have committed as the connection broke)."""
    return error_response(
        503,
        "the database is unavailable; try again shortly. A mutation cut off in its commit may "
        "have been recorded: send it again with the same idempotencyKey, which returns the "
        f"first result instead of writing twice (request id {request_id})",
        code="DATABASE_UNAVAILABLE",
        requestId=request_id,
    )


def error_response(status: int, message: str, **extensions: object) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="spotcheck"'} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response(
        error_body(status, message, **extensions),
        status_code=status,
        media_type="application/json",
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


# GraphQL over HTTP: the media type a client asks for -------------------------------------------

GRAPHQL_RESPONSE = "application/graphql-response+json"


def preferred_media_type(accept: str) -> str | None:
    """What a GraphQL result is sent as for this ``Accept``: ``GRAPHQL_RESPONSE`` when the
    client prefers it, ``application/json`` when it takes that (or gave no Accept, or any
    type), None when it takes neither (406)."""
    if not accept.strip():
        return "application/json"
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    graphql = weights.get(GRAPHQL_RESPONSE, 0.0)
    json = max(weights.get(m, 0.0) for m in ("application/json", "application/*", "*/*"))
    if graphql > 0 and graphql >= json:
        return GRAPHQL_RESPONSE
    return "application/json" if json > 0 else None


def negotiate(accept: str, response: Response) -> Response:
    """A GraphQL result (JSON) in the media type the client asked for.  As
    ``application/graphql-response+json`` a request that never reached execution (no data,
    errors without a path: parse or validation errors) is a 400, per GraphQL over HTTP; as
    ``application/json`` such results stay 200 for older clients."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response
    media = preferred_media_type(accept)
    if media is None:
        return error_response(406, f"this endpoint answers application/json or {GRAPHQL_RESPONSE}")
    if media == GRAPHQL_RESPONSE:
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        if response.status_code == 200:
            body = orjson.loads(bytes(response.body))
            errors = body.get("errors") if isinstance(body, dict) else None
            if errors and body.get("data") is None and all("path" not in e for e in errors):
                # Never executed: a request error, which has no data entry at all.
                del body["data"]
                fresh = Response(orjson.dumps(body), status_code=400)
                fresh.headers.update(
                    {
                        k: v
                        for k, v in response.headers.items()
                        if k.lower() not in ("content-length",)
                    }
                )
                return fresh
    return response


# Rate limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``seconds`` for each client, with bursts up to ``requests``."""

    requests: int
    seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RateLimit | None:
        """``SPOTCHECK_RATE_LIMIT``: ``N/S`` (N requests per S seconds), ``off``, or unset for
        the default of 600 per 60 seconds."""
        raw = env.get("SPOTCHECK_RATE_LIMIT", "").strip().lower()
        if raw == "off":
            return None
        if not raw:
            return cls(600, 60.0)
        n, _, s = raw.partition("/")
        if not (n.isdigit() and int(n) > 0):
            raise ValueError("SPOTCHECK_RATE_LIMIT must be N/S (e.g. 600/60) or off")
        try:
            seconds = float(s or "1")
        except ValueError:
            raise ValueError("SPOTCHECK_RATE_LIMIT must be N/S (e.g. 600/60) or off") from None
        if seconds <= 0:
            raise ValueError("SPOTCHECK_RATE_LIMIT: S must be positive")
        return cls(int(n), seconds)


class RateLimiter:
    """A token bucket per client (ASGI middleware on ``paths``): the client is the bearer
    token's text (one account's token, hashed) or else the remote address.  Over the limit: 429
    with ``Retry-After``.  The buckets live in this process (``MAX_CLIENTS`` most recent), so
    with several workers each keeps its own: the limit then holds per worker."""

    MAX_CLIENTS = 50_000

    def __init__(
        self,
        app: ASGIApp,
        limit: RateLimit,
        paths: tuple[str, ...] = ("/graphql", "/evidence", "/draws"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths
        self.clock = clock
        self.buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()

    def _client(self, scope: Scope) -> bytes:
        auth = dict(scope["headers"]).get(b"authorization")
        if auth:
            return b"t:" + hashlib.sha256(auth).digest()
        client = scope.get("client")
        return b"a:" + (client[0] if client else "unknown").encode()

    def take(self, client: bytes) -> float:
        """Take one request's token; 0 if allowed, else the seconds until one is available."""
        now = self.clock()
        rate = self.limit.requests / self.limit.seconds
        tokens, last = self.buckets.pop(client, (float(self.limit.requests), now))
        tokens = min(float(self.limit.requests), tokens + (now - last) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        self.buckets[client] = (tokens, now)
        while len(self.buckets) > self.MAX_CLIENTS:
            self.buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        wait = self.take(self._client(scope))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            response = error_response(
                429,
                f"too many requests: at most {self.limit.requests} per "
                f"{self.limit.seconds:g} s; retry in {retry} s",
                retryAfter=retry,
            )
            response.headers["Retry-After"] = str(retry)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
