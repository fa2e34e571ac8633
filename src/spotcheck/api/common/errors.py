"""Typed mutation errors: every payload has ``errors: [UserError!]!`` (empty on success)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from spotcheck.domain.errors import DomainError
from spotcheck.domain.errors import ErrorCode as DomainErrorCode

strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description="What rule an input broke (错误代码). One enum for every mutation.",
)


@strawberry.type(description="A rule an input broke; nothing was written (输入错误).")
class UserError:
    code: DomainErrorCode
    field: str | None = strawberry.field(
        description="Dotted path of the input field, e.g. `liaison.phone`; null for the "
        "whole input."
    )
    message: str


def user_errors(exc: DomainError) -> list[UserError]:
    return [UserError(code=p.code, field=p.field, message=p.message) for p in exc.problems]


def query_error(
    code: DomainErrorCode, field: str | None, message: str, **extensions: Any
) -> GraphQLError:
    """A query argument broke a rule: a GraphQL error with ``extensions {code, field}`` (and
    any further ``extensions`` the code documents, e.g. a limit)."""
    return GraphQLError(message, extensions={"code": code.value, "field": field, **extensions})
