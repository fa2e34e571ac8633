"""随机抽查事项 (inspection item): one entry of a department's list of inspection items.

Stream ``item-{code}``.  An item belongs to the department that owns it (谁审批、谁监管) and is
versioned as laws change (立改废释): version 1, 2, … each goes DRAFT (草稿) → PUBLISHED (现行) →
SUPERSEDED (已被替代) when a newer version is published.  At most one draft is open at a time.
Retiring the item (废止, with a reason) ends the version in force (RETIRED) and discards an open
draft (DISCARDED); a retired item takes no further versions.

The item's content says what is checked and how: legal basis (抽查依据), inspecting body (检查主体),
content (检查内容), methods (检查方式), the kind of subject (检查对象类型), the category — key items
(重点检查事项) have no cap on the sampling ratio, general items (一般检查事项) have one set by the
department — the expertise an inspector needs, and the checklist (检查要点) an inspector is judged
against (尽职照单免责、失职照单问责).  Items unsuitable for random inspection (不适宜随机抽查) are
listed with the reason.
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.kinds import SubjectKind

_EXPERTISE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class ItemMethod(enum.Enum):
    """检查方式 Inspection method."""

    WRITTEN = "WRITTEN"
    """书面检查 Written check of documents."""
    ON_SITE = "ON_SITE"
    """实地核查 On-site check."""
    ONLINE = "ONLINE"
    """网络监测 Online monitoring."""
    DELEGATED = "DELEGATED"
    """委托检测/审计 Testing or audit delegated to a qualified body."""


class ItemCategory(enum.Enum):
    """事项类别 Item category."""

    KEY = "KEY"
    """重点检查事项 Key item (safety, quality, public interest): no cap on the sampling ratio."""
    GENERAL = "GENERAL"
    """一般检查事项 General item: the sampling ratio has a cap set by the department."""


class ItemStatus(enum.Enum):
    """事项状态 Status of the item as a whole."""

    DRAFT = "DRAFT"
    """草稿 Never published."""
    PUBLISHED = "PUBLISHED"
    """已公布 A version is in force."""
    RETIRED = "RETIRED"
    """已废止 Retired: no version is in force and none can be added."""


class VersionStatus(enum.Enum):
    """版本状态 Status of one version of an item."""

    DRAFT = "DRAFT"
    """草稿 Open draft, not yet published."""
    PUBLISHED = "PUBLISHED"
    """现行 Published and in force."""
    SUPERSEDED = "SUPERSEDED"
    """已被替代 Replaced by a newer published version."""
    RETIRED = "RETIRED"
    """已废止 In force when the item was retired."""
    DISCARDED = "DISCARDED"
    """已作废 A draft still open when the item was retired; never published."""


PUBLISHED_ONCE = frozenset(
    {VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.RETIRED}
)
"""Version statuses that were published: the public may see these versions."""


class CheckPoint(msgspec.Struct, frozen=True, kw_only=True):
    """检查要点 Checkpoint: one line of the checklist an inspector follows and is judged against."""

    code: str
    text: str


class ItemContent(msgspec.Struct, frozen=True, kw_only=True):
    """What one version of an item says."""

    name: str
    legal_basis: str
    """抽查依据 Legal basis."""
    inspecting_body: str
    """检查主体 Inspecting body."""
    content: str
    """检查内容 What is checked."""
    methods: list[ItemMethod]
    target_kind: SubjectKind
    category: ItemCategory
    ratio_cap_percent: Decimal | None = None
    """抽查比例上限 (%) Cap on the sampling ratio: required for general items, none for key."""
    expertise: list[str] = msgspec.field(default_factory=list)
    """Fields of expertise an inspector needs, e.g. FOOD, SPECIAL_EQUIPMENT."""
    checklist: list[CheckPoint] = msgspec.field(default_factory=list)
    suitable: bool = True
    """适宜随机抽查 Suitable for random inspection."""
    unsuitable_reason: str | None = None


class ItemVersion(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    status: VersionStatus
    content: ItemContent


class InspectionItem(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an inspection item."""

    code: str
    department: str
    status: ItemStatus
    versions: list[ItemVersion]
    """Every version, numbered 1, 2, … (``versions[n - 1]`` is version n)."""
    published: int | None = None
    """The number of the last version published (in force unless the item is retired)."""
    retired_reason: str | None = None


# Commands
class CreateItem(Command, frozen=True, kw_only=True):
    code: str
    department: str
    content: ItemContent


class ReviseItem(Command, frozen=True, kw_only=True):
    code: str
    content: ItemContent


class PublishItem(Command, frozen=True, kw_only=True):
    code: str


class RetireItem(Command, frozen=True, kw_only=True):
    code: str
    reason: str | None = None


ItemCommand = CreateItem | ReviseItem | PublishItem | RetireItem


# Events
class InspectionItemCreated(Event, frozen=True, kw_only=True):
    """The item and its draft version 1."""

    code: str
    department: str
    content: ItemContent


class InspectionItemDraftOpened(Event, frozen=True, kw_only=True):
    """A new draft version after publication."""

    number: int
    content: ItemContent


class InspectionItemDraftEdited(Event, frozen=True, kw_only=True):
    """The open draft's content replaced."""

    number: int
    content: ItemContent


class InspectionItemPublished(Event, frozen=True, kw_only=True):
    number: int
    superseded: int | None = None


class InspectionItemRetired(Event, frozen=True, kw_only=True):
    reason: str
    ended: int | None = None
    """The version that was in force."""
    discarded: int | None = None
    """The open draft, if any."""


# Reading the state
def in_force(state: InspectionItem | None) -> ItemVersion | None:
    """The version in force (现行版本), if any."""
    if state is None or state.status is not ItemStatus.PUBLISHED or state.published is None:
        return None
    return state.versions[state.published - 1]


def open_draft(state: InspectionItem | None) -> ItemVersion | None:
    """The open draft (草稿), if any: always the last version."""
    if state is None or not state.versions:
        return None
    last = state.versions[-1]
    return last if last.status is VersionStatus.DRAFT else None


def shown_version(state: InspectionItem) -> ItemVersion:
    """The version that describes the item: in force; else the last published (retired item);
    else the latest (an item never published, seen only by those who may see drafts)."""
    if state.published is not None:
        return state.versions[state.published - 1]
    return state.versions[-1]


def ever_published(state: InspectionItem) -> bool:
    return state.published is not None


# Rules
def _ratio_cap(p: Problems, category: ItemCategory, cap: Decimal | None) -> None:
    field = "ratioCapPercent"
    if category is ItemCategory.KEY:
        if cap is not None:
            p.add(
                ErrorCode.RATIO_CAP_NOT_ALLOWED,
                field,
                "a key item (重点检查事项) has no cap on the sampling ratio; leave it empty",
            )
        return
    if cap is None:
        p.add(
            ErrorCode.REQUIRED,
            field,
            "a general item (一般检查事项) needs a cap on the sampling ratio (percent)",
        )
    elif not cap.is_finite() or not 0 < cap <= _HUNDRED:
        p.add(
            ErrorCode.RATIO_CAP_OUT_OF_RANGE,
            field,
            f"the ratio cap is a percentage above 0 and at most 100, not {cap}",
        )
    elif cap != cap.quantize(_CENT):
        p.add(ErrorCode.INVALID_FORMAT, field, "the ratio cap has at most 2 decimal places")


def check_content(p: Problems, c: ItemContent) -> ItemContent:
    """Check a version's content (adding problems to ``p``); return it normalised."""
    rules.text(p, "name", c.name, max_len=200)
    rules.text(p, "legalBasis", c.legal_basis, max_len=2000, multiline=True)
    rules.text(p, "inspectingBody", c.inspecting_body, max_len=200)
    rules.text(p, "content", c.content, max_len=2000, multiline=True)
    if not c.methods:
        p.add(ErrorCode.REQUIRED, "methods", "name at least one inspection method (检查方式)")
    _ratio_cap(p, c.category, c.ratio_cap_percent)
    for i, e in enumerate(c.expertise):
        if len(e) > 40:
            p.add(
                ErrorCode.TOO_LONG, f"expertise.{i}", "an expertise code has at most 40 characters"
            )
        elif not _EXPERTISE.match(e):
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"expertise.{i}",
                f"{e!r} is not an expertise code (upper-case letters, digits and _, "
                "e.g. SPECIAL_EQUIPMENT)",
            )
    seen: set[str] = set()
    for i, point in enumerate(c.checklist):
        rules.code(p, f"checklist.{i}.code", point.code, max_len=20)
        rules.text(p, f"checklist.{i}.text", point.text, max_len=500, multiline=True)
        if point.code in seen:
            p.add(
                ErrorCode.ALREADY_EXISTS,
                f"checklist.{i}.code",
                f"checkpoint code {point.code!r} appears twice in the checklist",
            )
        seen.add(point.code)
    if c.suitable and not c.checklist:
        p.add(
            ErrorCode.REQUIRED,
            "checklist",
            "an item suitable for random inspection needs at least one checkpoint (检查要点)",
        )
    if not c.suitable:
        rules.text(p, "unsuitableReason", c.unsuitable_reason, max_len=1000, multiline=True)
    return ItemContent(
        name=c.name.strip(),
        legal_basis=c.legal_basis.strip(),
        inspecting_body=c.inspecting_body.strip(),
        content=c.content.strip(),
        methods=list(dict.fromkeys(c.methods)),
        target_kind=c.target_kind,
        category=c.category,
        ratio_cap_percent=c.ratio_cap_percent,
        expertise=list(dict.fromkeys(c.expertise)),
        checklist=[CheckPoint(code=x.code, text=x.text.strip()) for x in c.checklist],
        suitable=c.suitable,
        unsuitable_reason=(
            None if c.suitable or c.unsuitable_reason is None else c.unsuitable_reason.strip()
        ),
    )


def _forbidden() -> DomainError:
    return rules.forbid(
        "only the system administrator or the owning department's administrator "
        "maintains its inspection items"
    )


def decide(
    state: InspectionItem | None,
    command: ItemCommand,
    actor: Actor,
    departments: frozenset[str],
) -> list[Event]:
    p = Problems()
    if isinstance(command, CreateItem):
        if not actor.maintains(command.department):
            raise rules.forbid(
                "only the system administrator or the department's administrator creates "
                "its inspection items",
                "department",
            )
        rules.code(p, "code", command.code, max_len=40)
        if command.department not in departments:
            p.add(
                ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {command.department!r}"
            )
        content = check_content(p, command.content)
        p.raise_if_any()
        if state is not None:
            raise DomainError.one(
                ErrorCode.ALREADY_EXISTS, "code", f"inspection item {command.code!r} exists"
            )
        return [
            InspectionItemCreated(code=command.code, department=command.department, content=content)
        ]
    if state is None:
        raise rules.not_found("inspection item", command.code, "code")
    if not actor.maintains(state.department):
        raise _forbidden()
    if isinstance(command, ReviseItem):
        if state.status is ItemStatus.RETIRED:
            raise DomainError.one(
                ErrorCode.INVALID_TRANSITION, None, "a retired item (已废止) cannot be revised"
            )
        content = check_content(p, command.content)
        p.raise_if_any()
        draft = open_draft(state)
        if draft is not None:
            if draft.content == content:
                return []
            return [InspectionItemDraftEdited(number=draft.number, content=content)]
        current = in_force(state)
        if current is not None and current.content == content:
            return []
        return [InspectionItemDraftOpened(number=len(state.versions) + 1, content=content)]
    if isinstance(command, PublishItem):
        draft = open_draft(state)
        if draft is None:
            raise DomainError.one(
                ErrorCode.INVALID_TRANSITION,
                None,
                "the item is retired"
                if state.status is ItemStatus.RETIRED
                else "there is no open draft to publish; revise the item first",
            )
        current = in_force(state)
        return [
            InspectionItemPublished(
                number=draft.number, superseded=current.number if current else None
            )
        ]
    rules.reason(p, command.reason, "retiring an inspection item")
    p.raise_if_any()
    if state.status is ItemStatus.RETIRED:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, None, "the item is already retired")
    current = in_force(state)
    draft = open_draft(state)
    return [
        InspectionItemRetired(
            reason=str(command.reason).strip(),
            ended=current.number if current else None,
            discarded=draft.number if draft else None,
        )
    ]


def _set_status(
    versions: list[ItemVersion], changes: dict[int, VersionStatus]
) -> list[ItemVersion]:
    return [replace(v, status=changes[v.number]) if v.number in changes else v for v in versions]


def evolve(state: InspectionItem | None, event: Event) -> InspectionItem:
    if isinstance(event, InspectionItemCreated):
        return InspectionItem(
            code=event.code,
            department=event.department,
            status=ItemStatus.DRAFT,
            versions=[ItemVersion(number=1, status=VersionStatus.DRAFT, content=event.content)],
        )
    assert state is not None, f"{type(event).__name__} before InspectionItemCreated"
    if isinstance(event, InspectionItemDraftOpened):
        draft = ItemVersion(number=event.number, status=VersionStatus.DRAFT, content=event.content)
        return replace(state, versions=[*state.versions, draft])
    if isinstance(event, InspectionItemDraftEdited):
        return replace(
            state,
            versions=[
                replace(v, content=event.content) if v.number == event.number else v
                for v in state.versions
            ],
        )
    if isinstance(event, InspectionItemPublished):
        changes = {event.number: VersionStatus.PUBLISHED}
        if event.superseded is not None:
            changes[event.superseded] = VersionStatus.SUPERSEDED
        return replace(
            state,
            status=ItemStatus.PUBLISHED,
            published=event.number,
            versions=_set_status(state.versions, changes),
        )
    if isinstance(event, InspectionItemRetired):
        changes = {}
        if event.ended is not None:
            changes[event.ended] = VersionStatus.RETIRED
        if event.discarded is not None:
            changes[event.discarded] = VersionStatus.DISCARDED
        return replace(
            state,
            status=ItemStatus.RETIRED,
            retired_reason=event.reason,
            versions=_set_status(state.versions, changes),
        )
    raise TypeError(f"not an inspection item event: {event!r}")


SPEC: AggregateSpec[InspectionItem] = AggregateSpec(
    name="inspection_item",
    stream_prefix="item-",
    events=(
        InspectionItemCreated,
        InspectionItemDraftOpened,
        InspectionItemDraftEdited,
        InspectionItemPublished,
        InspectionItemRetired,
    ),
    evolve=evolve,
    state_type=InspectionItem,
)
