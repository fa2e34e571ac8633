"""Custom GraphQL scalars, registered through ``StrawberryConfig.scalar_map``."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from spotcheck.eventstore.canonical import MAX_SAFE_INTEGER

SafeInt = NewType("SafeInt", int)


def _parse_safe_int(value: object) -> int:
    if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValueError("SafeInt must be an integer within ±(2^53 - 1)")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    SafeInt: strawberry.scalar(
        name="SafeInt",
        serialize=_parse_safe_int,
        parse_value=_parse_safe_int,
        description=(
            "An integer within ±(2^53 − 1), sent as a JSON number: ledger positions and counts "
            "that may outgrow GraphQL's 32-bit Int."
        ),
    )
}
