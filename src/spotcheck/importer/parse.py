"""Row values → registration commands, with msgspec doing the type conversion and checks."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from spotcheck.domain.errors import DomainError, ErrorCode, Problem
from spotcheck.importer.formats import split_list

T = TypeVar("T")
_PATH = re.compile(r"`\$\.([a-z_]+)")
_MISSING = re.compile(r"missing required field `([a-z_]+)`")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def convert(values: dict[str, Any], cls: type[T], list_columns: tuple[str, ...]) -> T:
    """Build ``cls`` from a row: nulls dropped (defaults apply), list columns split."""
    data = {k: v for k, v in values.items() if v is not None}
    for column in list_columns:
        if column in values:
            data[column] = split_list(values[column])
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as exc:
        message = str(exc)
        missing = _MISSING.search(message)
        if missing:
            column = missing.group(1)
            raise DomainError(
                [Problem(ErrorCode.REQUIRED, camel(column), f"{column} is required")]
            ) from None
        path = _PATH.search(message)
        raise DomainError(
            [Problem(ErrorCode.INVALID_FORMAT, camel(path.group(1)) if path else None, message)]
        ) from None


def check_columns(header: set[str], known: tuple[str, ...]) -> list[str]:
    """Columns the file has that the import does not know (a typo would silently drop data)."""
    return sorted(header - set(known))
