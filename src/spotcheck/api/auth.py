"""From a request's bearer token to the Actor: the token names the user, the registry the rest.

Roles, department and liaison duties are read from the account registry on every request, so a
revoked role stops working on the next request.  No token means the anonymous public (公众); a
bad token is refused with HTTP 401 rather than silently treated as public.
"""

from __future__ import annotations

import asyncpg
from cross_web import HTTPException
from starlette.requests import Request

from spotcheck.auth.tokens import InvalidToken, TokenSettings, verify
from spotcheck.domain.actor import PUBLIC, Actor
from spotcheck.services.actors import load_actor


async def actor_for(request: Request, pool: asyncpg.Pool, tokens: TokenSettings) -> Actor:
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Authorization must be 'Bearer <token>'")
    try:
        claims = verify(token.strip(), tokens)
    except InvalidToken as exc:
        raise HTTPException(401, f"invalid token: {exc.reason}") from None
    return await load_actor(pool, claims.subject)
