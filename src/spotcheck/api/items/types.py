"""GraphQL types for inspection items (随机抽查事项) and the district list (随机抽查事项清单).

Who sees what: everyone, the public included, sees items that were ever published, with their
published, superseded and retired versions.  Drafts — items never published and open draft
versions — are seen only by SYSTEM_ADMIN and AUDITOR, the owning department's administrator and
the owning department's staff.  ``node(id)`` applies the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department
from spotcheck.domain import item as i
from spotcheck.domain.actor import Actor
from spotcheck.domain.kinds import SubjectKind
from spotcheck.projections import item_lists, state_tables

TABLE = state_tables.INSPECTION_ITEMS


register_enum(
    i.ItemMethod,
    "ItemMethod",
    "检查方式 Inspection method.",
    {
        "WRITTEN": "书面检查 Written check of documents.",
        "ON_SITE": "实地核查 On-site check.",
        "ONLINE": "网络监测 Online monitoring.",
        "DELEGATED": "委托检测/审计 Testing or audit delegated to a qualified body.",
    },
)
register_enum(
    i.ItemCategory,
    "ItemCategory",
    "事项类别 Item category.",
    {
        "KEY": "重点检查事项 Key item (safety, quality, public interest): no cap on the "
        "sampling ratio.",
        "GENERAL": "一般检查事项 General item: the sampling ratio has a cap set by the department.",
    },
)
register_enum(
    i.ItemStatus,
    "InspectionItemStatus",
    "事项状态 Status of an inspection item as a whole.",
    {
        "DRAFT": "草稿 Never published.",
        "PUBLISHED": "已公布 A version is in force.",
        "RETIRED": "已废止 Retired: no version is in force.",
    },
)
register_enum(
    i.VersionStatus,
    "ItemVersionStatus",
    "版本状态 Status of one version of an inspection item.",
    {
        "DRAFT": "草稿 Open draft, not yet published.",
        "PUBLISHED": "现行 Published and in force.",
        "SUPERSEDED": "已被替代 Replaced by a newer published version.",
        "RETIRED": "已废止 In force when the item was retired.",
        "DISCARDED": "已作废 A draft still open when the item was retired; never published.",
    },
)


def may_see_drafts(actor: Actor, department: str) -> bool:
    """Drafts of a department's items: district readers, its administrator and its staff."""
    return actor.reads_everything or actor.maintains(department) or actor.belongs_to(department)


def may_see_item(actor: Actor, state: i.InspectionItem) -> bool:
    return i.ever_published(state) or may_see_drafts(actor, state.department)


def may_see_version(actor: Actor, state: i.InspectionItem, version: i.ItemVersion) -> bool:
    return version.status in i.PUBLISHED_ONCE or may_see_drafts(actor, state.department)


@strawberry.type(description="检查要点 Checkpoint: one line of the checklist an inspector follows.")
class CheckPoint:
    code: str
    text: str


@strawberry.type(
    description="抽查事项版本 One version of an inspection item: what is checked, how, and on "
    "what legal basis."
)
class InspectionItemVersion:
    number: int = strawberry.field(description="Version number: 1, 2, …")
    status: i.VersionStatus = strawberry.field(description="版本状态 Status of this version.")
    name: str = strawberry.field(description="事项名称 Item name.")
    legal_basis: str = strawberry.field(description="抽查依据 Legal basis.")
    inspecting_body: str = strawberry.field(description="检查主体 Inspecting body.")
    content: str = strawberry.field(description="检查内容 What is checked.")
    methods: list[i.ItemMethod] = strawberry.field(description="检查方式 Inspection methods.")
    target_kind: SubjectKind = strawberry.field(description="检查对象类型 Kind of subject.")
    category: i.ItemCategory = strawberry.field(description="事项类别 Key or general item.")
    ratio_cap_percent: Decimal | None = strawberry.field(
        description="抽查比例上限 Cap on the sampling ratio in percent (general items only)."
    )
    expertise: list[str] = strawberry.field(
        description="Fields of expertise an inspector needs, e.g. FOOD, SPECIAL_EQUIPMENT."
    )
    checklist: list[CheckPoint] = strawberry.field(
        description="检查要点 The checklist an inspector is judged against (尽职照单免责)."
    )
    suitable: bool = strawberry.field(description="适宜随机抽查 Suitable for random inspection.")
    unsuitable_reason: str | None = strawberry.field(
        description="Why the item is not suitable for random inspection (不适宜随机抽查的理由)."
    )

    @classmethod
    def from_version(cls, v: i.ItemVersion) -> InspectionItemVersion:
        c = v.content
        return cls(
            number=v.number,
            status=v.status,
            name=c.name,
            legal_basis=c.legal_basis,
            inspecting_body=c.inspecting_body,
            content=c.content,
            methods=list(c.methods),
            target_kind=c.target_kind,
            category=c.category,
            ratio_cap_percent=c.ratio_cap_percent,
            expertise=list(c.expertise),
            checklist=[CheckPoint(code=p.code, text=p.text) for p in c.checklist],
            suitable=c.suitable,
            unsuitable_reason=c.unsuitable_reason,
        )


@strawberry.type(
    description="随机抽查事项 Inspection item of a department's list. The summary fields (name, "
    "category, …) are those of the version in force; for a retired item, of the last version "
    "published; for an item never published (seen only by its department and district "
    "readers), of its draft."
)
class InspectionItem(relay.Node):
    code: str = strawberry.field(description="事项编码 Item code, e.g. SCJG-001.")
    status: i.ItemStatus = strawberry.field(
        description="事项状态 DRAFT (never published), PUBLISHED or RETIRED."
    )
    retired_reason: str | None = strawberry.field(description="Why the item was retired (废止).")
    _state: strawberry.Private[i.InspectionItem]

    @classmethod
    def resolve_id(cls, root: InspectionItem, *, info: strawberry.Info) -> str:
        return root.code

    @classmethod
    def from_state(cls, s: i.InspectionItem) -> InspectionItem:
        return cls(code=s.code, status=s.status, retired_reason=s.retired_reason, _state=s)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_items(info, list(node_ids))

    def _shown(self) -> i.ItemContent:
        return i.shown_version(self._state).content

    @strawberry.field(description="Owning department (主管部门), which maintains the item.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._state.department)

    @strawberry.field(description="事项名称 Item name.")
    def name(self) -> str:
        return self._shown().name

    @strawberry.field(description="事项类别 Key or general item.")
    def category(self) -> i.ItemCategory:
        return self._shown().category

    @strawberry.field(description="检查对象类型 Kind of subject checked.")
    def target_kind(self) -> SubjectKind:
        return self._shown().target_kind

    @strawberry.field(description="抽查比例上限 Cap on the sampling ratio in percent.")
    def ratio_cap_percent(self) -> Decimal | None:
        return self._shown().ratio_cap_percent

    @strawberry.field(description="适宜随机抽查 Suitable for random inspection.")
    def suitable(self) -> bool:
        return self._shown().suitable

    @strawberry.field(
        description="Every version the caller may see, oldest first: the public sees published, "
        "superseded and retired versions; drafts only the department and district readers."
    )
    def versions(self, info: strawberry.Info[Context, None]) -> list[InspectionItemVersion]:
        actor = info.context.actor
        return [
            InspectionItemVersion.from_version(v)
            for v in self._state.versions
            if may_see_version(actor, self._state, v)
        ]

    @strawberry.field(description="现行版本 The version in force; null if none.")
    def in_force(self) -> InspectionItemVersion | None:
        v = i.in_force(self._state)
        return InspectionItemVersion.from_version(v) if v else None

    @strawberry.field(
        description="草稿 The open draft version; null if none or the caller may not see drafts."
    )
    def draft(self, info: strawberry.Info[Context, None]) -> InspectionItemVersion | None:
        v = i.open_draft(self._state)
        if v is None or not may_see_drafts(info.context.actor, self._state.department):
            return None
        return InspectionItemVersion.from_version(v)

    @strawberry.field(description="One version by number; null if missing or not visible.")
    def version(
        self, info: strawberry.Info[Context, None], number: int
    ) -> InspectionItemVersion | None:
        if not 1 <= number <= len(self._state.versions):
            return None
        v = self._state.versions[number - 1]
        if not may_see_version(info.context.actor, self._state, v):
            return None
        return InspectionItemVersion.from_version(v)


async def load_items(
    info: strawberry.Info[Context, None], codes: list[str]
) -> list[InspectionItem | None]:
    actor = info.context.actor
    states = await info.context.loaders.state(i.SPEC, TABLE).load_many(codes)
    return [
        InspectionItem.from_state(s) if s is not None and may_see_item(actor, s) else None
        for s in states
    ]


async def load_item(info: strawberry.Info[Context, None], code: str) -> InspectionItem | None:
    return (await load_items(info, [code]))[0]


@strawberry.type(description="清单条目 One entry of a published list: an item version in force.")
class ItemListEntry:
    code: str = strawberry.field(description="事项编码 Item code.")
    version: int = strawberry.field(description="The item's version number on the list.")
    _department: strawberry.Private[str]

    @strawberry.field(description="Owning department (主管部门).")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @strawberry.field(description="The inspection item as it is now.")
    async def inspection_item(self, info: strawberry.Info[Context, None]) -> InspectionItem | None:
        return await load_item(info, self.code)

    @strawberry.field(description="The item's version as it was listed.")
    async def item_version(
        self, info: strawberry.Info[Context, None]
    ) -> InspectionItemVersion | None:
        states = info.context.loaders.state(i.SPEC, TABLE)
        state: i.InspectionItem | None = await states.load(self.code)
        if state is None or not 1 <= self.version <= len(state.versions):
            return None
        return InspectionItemVersion.from_version(state.versions[self.version - 1])


@strawberry.type(
    description="随机抽查事项清单 The district's published list of inspection items, merged from "
    "every department's items in force (区市场监管局汇总); numbered 1, 2, …"
)
class ItemList(relay.Node):
    number: int = strawberry.field(description="清单版本号 List number.")
    note: str | None = strawberry.field(description="Publication note (说明).")
    published_at: datetime = strawberry.field(description="发布时间 When it was published.")
    items: list[ItemListEntry]

    @classmethod
    def resolve_id(cls, root: ItemList, *, info: strawberry.Info) -> str:
        return str(root.number)

    @classmethod
    def from_row(cls, row: Any) -> ItemList:
        return cls(
            number=row["number"],
            note=row["note"],
            published_at=row["published_at"],
            items=[
                ItemListEntry(code=e["code"], version=e["version"], _department=e["department"])
                for e in row["items"]
            ],
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_item_lists(info, list(node_ids))


def list_number(key: str) -> int | None:
    """A list's key as its number; None for anything that is not one."""
    return int(key) if key.isascii() and key.isdigit() and len(key) <= 9 else None


async def load_item_lists(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[ItemList | None]:
    """Published lists are public."""
    numbers = [list_number(k) for k in keys]
    rows = await info.context.pool.fetch(
        f"{item_lists.SELECT} WHERE number = ANY($1::int[])",
        [n for n in numbers if n is not None],
    )
    found = {r["number"]: ItemList.from_row(r) for r in rows}
    return [found.get(n) if n is not None else None for n in numbers]
