"""What the public sees of a draw's inspectors: per-draw pseudonyms, and the public transcript.

docs/draw-protocol.md ("The public transcript and the full transcript").  Staff see staff ids
as before; anyone else (the public, 一公开) sees each inspector as
``HMAC-SHA-256(pseudonym key, commit_digest ‖ staff id)`` (16 hex digits), the same name the
public transcript gives them.  The full transcript (eligibility facts) is for AUDITOR and
SYSTEM_ADMIN.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import asyncpg
from starlette.applications import Starlette

from spotcheck.domain.actor import Actor
from spotcheck.draw import transcript as tr
from spotcheck.services import draws as service
from spotcheck.transparency.pseudonym_key import resolve_pseudonym_key

_CACHED = 16
"""Public transcripts kept in memory, by the full transcript's digest."""


def pseudonym_key_of(app: Starlette) -> bytes:
    """The server's pseudonym key (create_app's, or the configured one on first use)."""
    key: bytes | None = getattr(app.state, "pseudonym_key", None)
    if key is None:
        production = bool(getattr(app.state, "production", False))
        key = resolve_pseudonym_key(None, production=production)
        app.state.pseudonym_key = key
    return key


def sees_staff_ids(actor: Actor) -> bool:
    return actor.is_staff


def namer(app: Starlette, actor: Actor, commit_digest: str) -> Callable[[str], str]:
    """Staff id → what ``actor`` is shown: the id for staff, the draw's pseudonym otherwise."""
    if sees_staff_ids(actor):
        return lambda staff_id: staff_id
    key = pseudonym_key_of(app)
    return lambda staff_id: tr.pseudonym(key, commit_digest, staff_id)


def public_transcript_path(task_id: str, number: int) -> str:
    return f"/draws/{task_id}/{number}/public-transcript.json"


async def public_transcript(
    app: Starlette, pool: asyncpg.Pool, task_id: str, number: int
) -> bytes | None:
    """The public transcript's canonical bytes, derived from the full transcript as it stands
    (None before execution or for no such draw)."""
    ref = await service.transcript_ref(pool, task_id, number)
    if ref is None:
        return None
    cache: OrderedDict[str, bytes] | None = getattr(app.state, "public_transcripts", None)
    if cache is None:
        cache = app.state.public_transcripts = OrderedDict()
    key = pseudonym_key_of(app)
    name = f"{ref.digest}/{tr.pseudonym_key_id(key)}"
    if name in cache:
        cache.move_to_end(name)
        return cache[name]
    full = tr.loads(await service.get_blob(pool, ref.digest))
    data = tr.public_dumps(tr.publish(full, key))
    cache[name] = data
    while len(cache) > _CACHED:
        cache.popitem(last=False)
    return data
