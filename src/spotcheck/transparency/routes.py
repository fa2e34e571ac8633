"""``GET /.well-known/spotcheck-log-key``: the public key that verifies the log's checkpoints."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from spotcheck.merkle.note import key_id, public_key_pem
from spotcheck.transparency.keys import signing_key_from_env

LOG_KEY_PATH = "/.well-known/spotcheck-log-key"


def resolve_log_key(key: Ed25519PrivateKey | None, *, production: bool) -> Ed25519PrivateKey:
    """``key``, or the configured one (ValueError in production when none is configured)."""
    if key is not None:
        return key
    home = Path(os.environ.get("SPOTCHECK_HOME", ".spotcheck")).resolve()
    return signing_key_from_env(os.environ, home, production=production)


def log_key_route(key: Ed25519PrivateKey | None) -> Route:
    """The key as SubjectPublicKeyInfo PEM (text/plain), its key id in ``X-Log-Key-Id``.

    A server that does not sign (started without the sealer and without a key) answers 404.
    """
    public = key.public_key() if key is not None else None

    async def endpoint(request: Request) -> Response:
        if public is None:
            return PlainTextResponse("this server does not sign the log\n", status_code=404)
        return PlainTextResponse(
            public_key_pem(public),
            headers={"x-log-key-id": key_id(public), "cache-control": "public, max-age=300"},
        )

    return Route(LOG_KEY_PATH, endpoint, methods=["GET"])
