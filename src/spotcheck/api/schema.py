"""The GraphQL schema: one class per area, merged here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types

from spotcheck.api.ledger.queries import LedgerQueries

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000

Query = merge_types("Query", (LedgerQueries,))


def build_schema(*, production: bool = False) -> strawberry.Schema:
    extensions: list[SchemaExtension | type[SchemaExtension]] = [
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        ParserCache(maxsize=512),
        ValidationCache(maxsize=512),
    ]
    if production:
        extensions.append(DisableIntrospection())
    return strawberry.Schema(query=Query, extensions=extensions)


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
