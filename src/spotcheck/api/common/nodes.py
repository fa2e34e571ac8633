"""``node(id)`` and ``nodes(ids)``: fetch any object by global id, with the same authorization
as the typed fields (an object the caller may not see comes back null, as a missing one does).

A global id is strawberry's Relay id: base64 of ``TypeName:key``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalID, GlobalIDValueError

from spotcheck.api.common.errors import query_error
from spotcheck.api.context import Context
from spotcheck.domain.errors import ErrorCode

MAX_NODES = 100


def _parse(value: strawberry.ID) -> GlobalID | None:
    try:
        return GlobalID.from_id(str(value))
    except GlobalIDValueError:
        return None


async def _resolve(info: strawberry.Info[Context, None], ids: list[GlobalID | None]) -> list[Any]:
    by_type: dict[str, list[int]] = {}
    for i, gid in enumerate(ids):
        if gid is not None:
            by_type.setdefault(gid.type_name, []).append(i)
    out: list[Any] = [None] * len(ids)
    for type_name, positions in by_type.items():
        type_def = info.schema.get_type_by_name(type_name)
        origin = getattr(type_def, "origin", None)
        if origin is None or not isinstance(origin, type) or not issubclass(origin, relay.Node):
            continue
        keys = [ids[i].node_id for i in positions]  # type: ignore[union-attr]
        found = await origin.resolve_nodes(info=info, node_ids=keys, required=False)  # type: ignore[misc]
        for i, obj in zip(positions, found, strict=True):
            out[i] = obj
    return out


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null if missing or not visible.")
    async def node(
        self, info: strawberry.Info[Context, None], id: strawberry.ID
    ) -> relay.Node | None:
        return (await _resolve(info, [_parse(id)]))[0]  # type: ignore[no-any-return]

    @strawberry.field(description=f"Objects by global id (at most {MAX_NODES}), in order.")
    async def nodes(
        self, info: strawberry.Info[Context, None], ids: list[strawberry.ID]
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise query_error(ErrorCode.OUT_OF_RANGE, "ids", f"at most {MAX_NODES} ids")
        return await _resolve(info, [_parse(i) for i in ids])
