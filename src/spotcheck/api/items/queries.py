"""Queries over inspection items (随机抽查事项) and the published district lists."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.items.types import (
    TABLE,
    InspectionItem,
    ItemList,
    list_number,
    load_item,
    load_item_lists,
    may_see_drafts,
)
from spotcheck.domain import item as i
from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.kinds import SubjectKind
from spotcheck.projections import item_lists


@strawberry.input(description="Filter for inspection items.")
class InspectionItemFilter:
    department: str | None = strawberry.field(default=None, description="Owning department's code.")
    category: i.ItemCategory | None = strawberry.field(
        default=None, description="事项类别 of the version in force (else of the draft)."
    )
    target_kind: SubjectKind | None = strawberry.field(
        default=None, description="检查对象类型 of the version in force (else of the draft)."
    )
    status: i.ItemStatus | None = strawberry.field(default=None, description="事项状态 Status.")


ITEMS = f"""
SELECT id, state FROM {TABLE}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::text IS NULL OR department = $2)
   AND ($3::text IS NULL OR category = $3)
   AND ($4::text IS NULL OR target_kind = $4)
   AND ($5::text IS NULL OR status = $5)
   AND ($6::boolean OR published OR department = ANY($7::text[]))
 ORDER BY id LIMIT $8
"""


@strawberry.type
class ItemQueries:
    @strawberry.field(
        description="随机抽查事项 Inspection items by code. Everyone sees items that were "
        "published; items never published only their department and district readers."
    )
    async def inspection_items(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: InspectionItemFilter | None = None,
    ) -> Connection[InspectionItem]:
        n = page_size(first)
        actor = info.context.actor
        f = filter or InspectionItemFilter()
        own = (
            [actor.department]
            if actor.department and may_see_drafts(actor, actor.department)
            else []
        )
        rows = await info.context.pool.fetch(
            ITEMS,
            decode_cursor(after),
            f.department,
            f.category.value if f.category else None,
            f.target_kind.value if f.target_kind else None,
            f.status.value if f.status else None,
            actor.reads_everything,
            own,
            n + 1,
        )
        return connection(
            [
                (r["id"], InspectionItem.from_state(i.SPEC.state_from_data(r["state"])))
                for r in rows
            ],
            n,
        )

    @strawberry.field(description="One inspection item by code; null if missing or not visible.")
    async def inspection_item(
        self, info: strawberry.Info[Context, None], code: str
    ) -> InspectionItem | None:
        return await load_item(info, code)

    @strawberry.field(description="随机抽查事项清单 The published district lists, oldest first.")
    async def item_lists(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ItemList]:
        n = page_size(first)
        cursor = decode_cursor(after)
        number = list_number(cursor) if cursor is not None else None
        if cursor is not None and number is None:
            raise query_error(ErrorCode.INVALID_FORMAT, "after", "not a cursor from this API")
        rows = await info.context.pool.fetch(
            f"{item_lists.SELECT} WHERE ($1::int IS NULL OR number > $1) ORDER BY number LIMIT $2",
            number,
            n + 1,
        )
        return connection([(str(r["number"]), ItemList.from_row(r)) for r in rows], n)

    @strawberry.field(
        description="One published district list by number; the latest when number is null."
    )
    async def item_list(
        self, info: strawberry.Info[Context, None], number: int | None = None
    ) -> ItemList | None:
        if number is None:
            latest = await info.context.pool.fetchval(item_lists.LATEST_NUMBER)
            if latest is None:
                return None
            number = int(latest)
        return (await load_item_lists(info, [str(number)]))[0]
