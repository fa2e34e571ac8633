"""Cursor connections with keyset pagination (no OFFSET): rows ordered by their unique key.

A cursor is the opaque base64 of the last row's key; the next page is ``WHERE id > $cursor
ORDER BY id LIMIT first + 1``.  Rows inserted while a client walks the pages never make it see
a row twice or miss one that existed when it started.  ``first`` is capped at ``MAX_PAGE``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.domain.errors import ErrorCode

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
_PREFIX = "k:"
_POSITION = re.compile(r"^[0-9]{1,10}$")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + key).encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith(_PREFIX):
        raise query_error(ErrorCode.INVALID_FORMAT, "after", "not a cursor from this API")
    return text[len(_PREFIX) :]


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 <= first <= MAX_PAGE:
        raise query_error(
            ErrorCode.OUT_OF_RANGE, "first", f"first must be between 0 and {MAX_PAGE}"
        )
    return first


def positions(length: int, first: int | None, after: str | None) -> tuple[range, int]:
    """A page of a list held in a fixed order (a draw's picks in pick order, …), whose cursors
    are 0-based positions: the positions of up to ``first + 1`` items after ``after``, and the
    page size.  The list never changes order once written, so walking it sees each item once."""
    n = page_size(first)
    key = decode_cursor(after)
    if key is None:
        start = 0
    elif _POSITION.match(key):
        start = int(key) + 1
    else:
        raise query_error(ErrorCode.INVALID_FORMAT, "after", "not a cursor of this list")
    return range(min(start, length), min(start + n + 1, length)), n


@strawberry.type(description="Where a page ends (分页信息).")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list; pass `pageInfo.endCursor` as `after` for the next.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo


def connection(items: Sequence[tuple[str, T]], first: int) -> Connection[T]:
    """Build a page from up to ``first + 1`` (key, node) rows: the extra row means a next page."""
    page = list(items[:first])
    edges = [Edge(cursor=encode_cursor(k), node=n) for k, n in page]
    return Connection(
        edges=edges,
        nodes=[n for _, n in page],
        page_info=PageInfo(
            has_next_page=len(items) > first,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


class KeysetQuery:
    """A keyset page's SQL with only the conditions a filter gives, each bound as a parameter
    (so each condition can use its index and no value is ever spliced into the text)."""

    def __init__(self, cursor: str | None) -> None:
        self.args: list[Any] = []
        self.conditions: list[str] = []
        if cursor is not None:
            self.where(f"id > {self.arg(cursor)}")

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, condition: str) -> None:
        self.conditions.append(condition)

    def sql(self, select_from: str, limit: int) -> tuple[str, list[Any]]:
        condition = " AND ".join(self.conditions) or "true"
        text = f"{select_from} WHERE {condition} ORDER BY id LIMIT {self.arg(limit)}"
        return text, self.args
