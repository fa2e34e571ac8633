"""随机抽查事项清单 (the district's published list of inspection items).

Stream ``itemlist-district``.  The district market regulation bureau (区市场监管局) merges every
department's items in force into the district list and publishes it as numbered versions 1, 2, …
Each publication records which version of which item was on the list, so what the list said on
any day can be shown later.  Only the system administrator (联席会议办公室) publishes it.
"""

from __future__ import annotations

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems

KEY = "district"


class ListedItem(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a published list: an item version in force when the list was published."""

    code: str
    version: int
    department: str


class ItemListRegister(msgspec.Struct, frozen=True, kw_only=True):
    """The latest published list."""

    number: int
    items: list[ListedItem]
    note: str | None = None


class PublishItemList(Command, frozen=True, kw_only=True):
    note: str | None = None


class ItemListPublished(Event, frozen=True, kw_only=True):
    number: int
    items: list[ListedItem]
    note: str | None = None


def decide(
    state: ItemListRegister | None,
    command: PublishItemList,
    actor: Actor,
    in_force: list[ListedItem],
) -> list[Event]:
    """``in_force``: every item version in force now (from the item registry)."""
    if not actor.is_admin:
        raise rules.forbid("only the system administrator publishes the district item list")
    p = Problems()
    rules.text(p, "note", command.note, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if not in_force:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            None,
            "no inspection item is in force; publish items before the list",
        )
    items = sorted(in_force, key=lambda i: i.code)
    note = command.note.strip() if command.note and command.note.strip() else None
    if state is not None and state.items == items and state.note == note:
        return []
    number = 1 if state is None else state.number + 1
    return [ItemListPublished(number=number, items=items, note=note)]


def evolve(state: ItemListRegister | None, event: Event) -> ItemListRegister:
    if isinstance(event, ItemListPublished):
        return ItemListRegister(number=event.number, items=list(event.items), note=event.note)
    raise TypeError(f"not an item list event: {event!r}")


SPEC: AggregateSpec[ItemListRegister] = AggregateSpec(
    name="item_list",
    stream_prefix="itemlist-",
    events=(ItemListPublished,),
    evolve=evolve,
    state_type=ItemListRegister,
)
