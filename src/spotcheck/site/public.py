"""What the public pages read: the GraphQL schema, executed in process as the anonymous public.

The pages show exactly what an anonymous GraphQL client may read, because they ask the same
resolvers with the same actor (``spotcheck.domain.actor.PUBLIC``): every rule that keeps
personal data and staff-only records from the public (docs/api-conventions.md, the
``@personal`` fields, the empty staff-only connections) applies to the pages unchanged.  No
SQL of the API is repeated here; the one read the API has no query for (the ledger positions
of an inspection's publication events, for its inclusion proof) is in :func:`publication_positions`.
"""

from __future__ import annotations

import functools
from typing import Any

import asyncpg
import strawberry
from starlette.requests import Request

from spotcheck.api.context import Context
from spotcheck.api.schema import build_schema
from spotcheck.domain.actor import PUBLIC
from spotcheck.domain.errors import DomainError


class PublicQueryError(Exception):
    """A query of a page failed: a bug in the page, or input the API refused (``code``)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@functools.lru_cache(maxsize=2)
def _schema(production: bool) -> strawberry.Schema:
    return build_schema(production=production)


async def query(request: Request, document: str, **variables: Any) -> dict[str, Any]:
    """The data of ``document`` as the anonymous public sees it; PublicQueryError on errors."""
    state = request.app.state
    context = Context(
        request=request,
        pool=state.pool,
        store=state.store,
        runner=state.runner,
        actor=PUBLIC,
        regions=state.regions,
        request_id=getattr(request.state, "request_id", None),
    )
    result = await _schema(False).execute(
        document, variable_values=variables, context_value=context
    )
    if result.errors:
        first = result.errors[0]
        code = (first.extensions or {}).get("code")
        original = first.original_error
        if code is None and original is not None and not isinstance(original, DomainError):
            raise original  # a database error or a bug: the request fails as any other would
        raise PublicQueryError(code if isinstance(code, str) else None, first.message)
    assert result.data is not None
    return result.data


_PUBLICATION_POSITIONS = """
SELECT l.position, e.event_type
  FROM events e JOIN ledger l ON l.seq = e.seq
 WHERE e.stream_id = $1
   AND e.event_type IN ('InspectionResultsPublished', 'InspectionResultAmended')
   AND jsonb_typeof(e.data->'record') = 'object'
 ORDER BY l.position
"""


async def publication_positions(pool: asyncpg.Pool, inspection_id: str) -> list[tuple[int, str]]:
    """The sealed ledger positions of an inspection's public events (its publication and the
    amendments of its published record), as the publication feed lists them."""
    rows = await pool.fetch(_PUBLICATION_POSITIONS, "inspection-" + inspection_id)
    return [(int(r["position"]), str(r["event_type"])) for r in rows]
