"""Custom GraphQL scalars, registered through ``StrawberryConfig.scalar_map``.

``Date`` and ``Decimal`` replace strawberry's, which take more than their names promise: Python's
``date.fromisoformat`` reads ``20260101`` (ISO basic form) and years 0001 to 9999, and
``Decimal`` reads ``1E+2``, ``NaN`` and digits of any script (``٥`` as 5), all of which would be
stored as given.  Here a Date is ``YYYY-MM-DD`` in ASCII digits within ``MIN_DATE``..``MAX_DATE``,
a Decimal is plain ``-123.45``, and a Decimal is sent back in that plain form.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import NewType

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from spotcheck.eventstore.canonical import MAX_SAFE_INTEGER

SafeInt = NewType("SafeInt", int)


def _parse_safe_int(value: object) -> int:
    if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValueError("SafeInt must be an integer within ±(2^53 - 1)")
    return value


MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
"""Any date this API takes lies between these (a field's own rules may narrow it)."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?")


def _parse_date(value: object) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise StrawberryInputCoercionError(f"Date must be YYYY-MM-DD, not {value!r}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(f"Date {value!r} is not a day of the calendar") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise StrawberryInputCoercionError(
            f"Date {value!r} is outside {MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}"
        )
    return day


def _parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a JSON number: 2 or 2.5 (1e-05 is refused below)
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise StrawberryInputCoercionError(
            f"Decimal must be a plain number such as 12.5 (ASCII digits, no exponent), "
            f"not {value!r}"
        )
    return decimal.Decimal(value)


def _serialize_decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


SCALARS: dict[object, ScalarDefinition] = {
    dt.date: strawberry.scalar(
        name="Date",
        serialize=dt.date.isoformat,
        parse_value=_parse_date,
        description="Date (isoformat)",
    ),
    decimal.Decimal: strawberry.scalar(
        name="Decimal",
        serialize=_serialize_decimal,
        parse_value=_parse_decimal,
        description="Decimal (fixed-point)",
    ),
    SafeInt: strawberry.scalar(
        name="SafeInt",
        serialize=_parse_safe_int,
        parse_value=_parse_safe_int,
        description=(
            "An integer within ±(2^53 − 1), sent as a JSON number: ledger positions and counts "
            "that may outgrow GraphQL's 32-bit Int."
        ),
    ),
}
