"""The one way every mutation runs: check the caller, run the service, shape the payload.

Every mutation takes one ``input`` with an optional ``idempotencyKey`` and returns a payload with
the changed object and ``errors: [UserError!]!``.  A rule violation yields errors and writes
nothing; success yields the object as it is after the command (or, for a repeated idempotency
key, as it is now, with nothing written).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from spotcheck.api.common.errors import user_errors
from spotcheck.api.context import Context
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.observe.requests import note_codes
from spotcheck.services.runner import Caller, Outcome

P = TypeVar("P")

IDEMPOTENCY_DESCRIPTION = (
    "幂等键 Idempotency key: repeating a mutation with the same key returns the first result "
    "and writes nothing new. At most 200 characters."
)


def idempotency_field() -> Any:
    return strawberry.field(default=None, description=IDEMPOTENCY_DESCRIPTION)


async def run_mutation(
    info: strawberry.Info[Context, None],
    idempotency_key: str | None,
    handler: Callable[[Caller], Awaitable[Outcome[Any]]],
    payload: Callable[..., P],
    field: str,
    to_node: Callable[[Any], Any],
    *,
    public: bool = False,
) -> P:
    """``payload(**{field: object, "errors": errors})`` after running ``handler``.  ``public``:
    the anonymous public may run it too (the decision checks its standing), without an
    idempotency key: the public has no identity to scope one to."""
    ctx = info.context
    try:
        if ctx.actor.is_public and not public:
            raise DomainError.one(ErrorCode.UNAUTHENTICATED, None, "sign in to change anything")
        if ctx.actor.is_public and idempotency_key is not None:
            raise DomainError.one(
                ErrorCode.FORBIDDEN,
                "idempotencyKey",
                "the public has no identity to scope an idempotency key to: send none",
            )
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise DomainError.one(
                ErrorCode.OUT_OF_RANGE, "idempotencyKey", "idempotencyKey has 1 to 200 characters"
            )
        outcome = await handler(ctx.caller(idempotency_key))
    except DomainError as exc:
        note_codes(ctx.request, [p.code.value for p in exc.problems])
        return payload(**{field: None, "errors": user_errors(exc)})
    node = to_node(outcome.state) if outcome.state is not None else None
    return payload(**{field: node, "errors": []})
