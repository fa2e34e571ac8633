"""Queries over the transparency log: public, so that anyone may verify the ledger (一公开)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from spotcheck.api.common.errors import query_error
from spotcheck.api.context import Context
from spotcheck.api.scalars import SafeInt
from spotcheck.api.transparency.types import Checkpoint, ConsistencyProof, InclusionProof
from spotcheck.domain.errors import ErrorCode
from spotcheck.transparency import log


def _error(e: log.LogError) -> GraphQLError:
    code = ErrorCode.OUT_OF_RANGE if e.out_of_range else ErrorCode.NOT_FOUND
    return query_error(code, e.field, e.message)


@strawberry.type
class TransparencyQueries:
    @strawberry.field(
        description="签名检查点 The latest signed checkpoint, or the one of exactly `treeSize` "
        "entries; null if there is none. Public."
    )
    async def checkpoint(
        self, info: strawberry.Info[Context, None], tree_size: SafeInt | None = None
    ) -> Checkpoint | None:
        pool = info.context.pool
        if tree_size is None:
            found = await log.latest_checkpoint(pool)
        else:
            found = await log.checkpoint_at(pool, tree_size)
        return Checkpoint.from_data(found) if found is not None else None

    @strawberry.field(
        description="包含证明 The audit path of ledger `position` in the tree of its first "
        "`treeSize` entries (any size up to the sealed head). Public."
    )
    async def inclusion_proof(
        self, info: strawberry.Info[Context, None], position: SafeInt, tree_size: SafeInt
    ) -> InclusionProof:
        try:
            proof = await log.inclusion_proof(info.context.pool, position, tree_size)
        except log.LogError as e:
            raise _error(e) from None
        return InclusionProof.from_data(proof)

    @strawberry.field(
        description="一致性证明 Proof that the tree of `fromSize` entries is a prefix of the "
        "tree of `toSize` entries. Public."
    )
    async def consistency_proof(
        self, info: strawberry.Info[Context, None], from_size: SafeInt, to_size: SafeInt
    ) -> ConsistencyProof:
        try:
            path = await log.consistency_proof(info.context.pool, from_size, to_size)
        except log.LogError as e:
            raise _error(e) from None
        return ConsistencyProof(from_size=from_size, to_size=to_size, path=[h.hex() for h in path])
