"""Mutations on inspection items (create, revise, publish, retire) and the district list."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.items.types import InspectionItem, ItemList
from spotcheck.domain import item as i
from spotcheck.domain import item_list as il
from spotcheck.domain.kinds import SubjectKind
from spotcheck.projections import item_lists
from spotcheck.services import items as service


@strawberry.input(description="检查要点 Checkpoint.")
class CheckPointInput:
    code: str = strawberry.field(description="Unique within the item's checklist, e.g. 1, 2.1.")
    text: str


@strawberry.input(description="The content of an item version (all fields of a version).")
class InspectionItemContentInput:
    name: str = strawberry.field(description="事项名称 Item name.")
    legal_basis: str = strawberry.field(description="抽查依据 Legal basis.")
    inspecting_body: str = strawberry.field(description="检查主体 Inspecting body.")
    content: str = strawberry.field(description="检查内容 What is checked.")
    methods: list[i.ItemMethod] = strawberry.field(description="检查方式 At least one method.")
    target_kind: SubjectKind = strawberry.field(description="检查对象类型 Kind of subject.")
    category: i.ItemCategory = strawberry.field(description="事项类别 Key or general item.")
    ratio_cap_percent: Decimal | None = strawberry.field(
        default=None,
        description="抽查比例上限 Cap on the sampling ratio in percent: required for general items "
        "(0 < cap ≤ 100, at most 2 decimals), empty for key items.",
    )
    expertise: list[str] = strawberry.field(
        default_factory=list, description="Expertise codes, e.g. FOOD, SPECIAL_EQUIPMENT."
    )
    checklist: list[CheckPointInput] = strawberry.field(
        default_factory=list,
        description="检查要点 At least one checkpoint when the item is suitable for random "
        "inspection.",
    )
    suitable: bool = strawberry.field(
        default=True, description="适宜随机抽查 Suitable for random inspection."
    )
    unsuitable_reason: str | None = strawberry.field(
        default=None, description="Required when the item is not suitable for random inspection."
    )

    def value(self) -> i.ItemContent:
        return command_from(self, i.ItemContent)


@strawberry.input(description="A new inspection item; its content becomes draft version 1.")
class CreateInspectionItemInput(InspectionItemContentInput):
    code: str = strawberry.field(description="事项编码 Item code, e.g. SCJG-001.")
    department: str = strawberry.field(description="Owning department's code.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.CreateItem:
        # The command nests the content the input holds flat (and ``content`` is also a field
        # of the content: 检查内容).
        return command_from(self, i.CreateItem, content=self.value())


@strawberry.input(
    description="New content: edits the open draft, or opens a new draft version after publication."
)
class ReviseInspectionItemInput(InspectionItemContentInput):
    code: str
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.ReviseItem:
        return command_from(self, i.ReviseItem, content=self.value())


@strawberry.input
class PublishInspectionItemInput:
    code: str
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.PublishItem:
        return command_from(self, i.PublishItem)


@strawberry.input
class RetireInspectionItemInput:
    code: str
    reason: str = strawberry.field(description="Why the item is retired, e.g. 法律废止 (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> i.RetireItem:
        return command_from(self, i.RetireItem)


@strawberry.input
class PublishItemListInput:
    note: str | None = strawberry.field(default=None, description="Publication note (说明).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> il.PublishItemList:
        return command_from(self, il.PublishItemList)


@strawberry.type
class InspectionItemPayload:
    inspection_item: InspectionItem | None
    errors: list[UserError]


@strawberry.type
class ItemListPayload:
    item_list: ItemList | None
    errors: list[UserError]


@dataclass
class _Published:
    register: il.ItemListRegister | None
    errors: list[UserError]


async def _run(
    info: strawberry.Info[Context, None], key: str | None, command: i.ItemCommand
) -> InspectionItemPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: service.handle(ctx.runner, caller, command),
        InspectionItemPayload,
        "inspection_item",
        InspectionItem.from_state,
    )


def _identity(value: Any) -> Any:
    return value


@strawberry.type
class ItemMutations:
    @strawberry.mutation(
        description="新增抽查事项 Create an inspection item as a draft (SYSTEM_ADMIN, or the "
        "department's DEPARTMENT_ADMIN)."
    )
    async def create_inspection_item(
        self, info: strawberry.Info[Context, None], input: CreateInspectionItemInput
    ) -> InspectionItemPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="修订抽查事项 Revise an item: edit its open draft or open a new draft version "
        "(SYSTEM_ADMIN, or the owning department's DEPARTMENT_ADMIN)."
    )
    async def revise_inspection_item(
        self, info: strawberry.Info[Context, None], input: ReviseInspectionItemInput
    ) -> InspectionItemPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="公布 Publish the item's open draft; the version in force becomes "
        "SUPERSEDED (SYSTEM_ADMIN, or the owning department's DEPARTMENT_ADMIN)."
    )
    async def publish_inspection_item(
        self, info: strawberry.Info[Context, None], input: PublishInspectionItemInput
    ) -> InspectionItemPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="废止 Retire an item (reason required); ends the version in force "
        "(SYSTEM_ADMIN, or the owning department's DEPARTMENT_ADMIN)."
    )
    async def retire_inspection_item(
        self, info: strawberry.Info[Context, None], input: RetireInspectionItemInput
    ) -> InspectionItemPayload:
        return await _run(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description="发布随机抽查事项清单 Publish the district list: every item version in force, "
        "as the next numbered list (SYSTEM_ADMIN)."
    )
    async def publish_item_list(
        self, info: strawberry.Info[Context, None], input: PublishItemListInput
    ) -> ItemListPayload:
        ctx = info.context
        cmd = input.command()
        done = await run_mutation(
            info,
            input.idempotency_key,
            lambda caller: service.publish_list(ctx.runner, caller, cmd),
            _Published,
            "register",
            _identity,
        )
        if done.register is None:
            return ItemListPayload(item_list=None, errors=done.errors)
        row = await ctx.pool.fetchrow(
            f"{item_lists.SELECT} WHERE number = $1",
            done.register.number,
        )
        return ItemListPayload(item_list=ItemList.from_row(row) if row else None, errors=[])
