"""The reference for ``spotcheck bench api``: a bare strawberry schema (no database, no auth, no
extensions) over rows held in memory, answering the benchmark's query in the same shape and with
the same cursors as our API."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.asgi import GraphQL

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.websockets import WebSocket


Row = dict[str, Any]


@strawberry.type(name="Region")
class RefRegion:
    code: str
    name: str


@strawberry.type(name="Department")
class RefDepartment:
    code: str
    name: str


@strawberry.type(name="Subject")
class RefSubject:
    key: str
    name: str
    kind: str
    region: RefRegion | None
    industry: str | None
    status: str
    risk_class: str | None
    address: str | None
    maintaining_department: RefDepartment | None


@strawberry.type(name="PageInfo")
class RefPageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type(name="SubjectConnection")
class RefConnection:
    nodes: list[RefSubject]
    page_info: RefPageInfo


def encode_cursor(key: str) -> str:
    """The same opaque cursor our API gives (``spotcheck.api.common.pagination``)."""
    return base64.urlsafe_b64encode(("k:" + key).encode()).decode()


def decode_cursor(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("k:")


def _ref_subject(row: Row) -> RefSubject:
    region, dept = row.get("region"), row.get("maintainingDepartment")
    return RefSubject(
        key=row["key"],
        name=row["name"],
        kind=row["kind"],
        region=RefRegion(code=region["code"], name=region["name"]) if region else None,
        industry=row.get("industry"),
        status=row["status"],
        risk_class=row.get("riskClass"),
        address=row.get("address"),
        maintaining_department=RefDepartment(code=dept["code"], name=dept["name"])
        if dept
        else None,
    )


@strawberry.type(name="Query")
class RefQuery:
    """The root value is an instance holding the rows: ``self`` in the resolver."""

    _keys: strawberry.Private[list[str]]
    _subjects: strawberry.Private[list[RefSubject]]

    @classmethod
    def from_rows(cls, rows: Sequence[Row]) -> RefQuery:
        subjects = sorted((_ref_subject(r) for r in rows), key=lambda s: s.key)
        return cls(_keys=[s.key for s in subjects], _subjects=subjects)

    @strawberry.field
    def subjects(self, first: int = 20, after: str | None = None) -> RefConnection:
        start = 0 if after is None else bisect.bisect_right(self._keys, decode_cursor(after))
        page = self._subjects[start : start + first]
        return RefConnection(
            nodes=page,
            page_info=RefPageInfo(
                end_cursor=encode_cursor(page[-1].key) if page else None,
                has_next_page=start + first < len(self._subjects),
            ),
        )


REFERENCE_SCHEMA = strawberry.Schema(query=RefQuery)


class ReferenceGraphQL(GraphQL[None, RefQuery]):
    """strawberry's ASGI app as it comes, but for the root value that holds the rows."""

    def __init__(self, root: RefQuery) -> None:
        super().__init__(REFERENCE_SCHEMA, graphql_ide=None)
        self.root = root

    async def get_root_value(self, request: Request | WebSocket) -> RefQuery:
        return self.root


def reference_app(rows: Sequence[Row]) -> ReferenceGraphQL:
    return ReferenceGraphQL(RefQuery.from_rows(rows))
