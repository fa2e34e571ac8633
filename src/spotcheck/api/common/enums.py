"""GraphQL enums: registered once, each value described in Chinese and English."""

from __future__ import annotations

import enum

import strawberry

from spotcheck.domain.kinds import SubjectKind


def register_enum(
    cls: type[enum.Enum], name: str, description: str, values: dict[str, str]
) -> None:
    """``strawberry.enum`` on a domain enum (which stays free of strawberry), with a description
    for each value."""
    strawberry.enum(cls, name=name, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]


# Shared by inspection items (their target kind) and subjects.
register_enum(
    SubjectKind,
    "SubjectKind",
    "检查对象类型 Kind of inspection subject.",
    {
        "ENTERPRISE": "企业 Enterprise; keyed by its USCC (统一社会信用代码).",
        "INDIVIDUAL_BUSINESS": "个体工商户 Individual business; keyed by its USCC.",
        "PRODUCT": "产品 Product; keyed by an identifier PRODUCT:{DEPT}:{local}.",
        "PROJECT": "项目 Project; keyed by an identifier PROJECT:{DEPT}:{local}.",
        "BEHAVIOUR": "行为 Behaviour (an activity under supervision); keyed by an identifier "
        "BEHAVIOUR:{DEPT}:{local}.",
    },
)
