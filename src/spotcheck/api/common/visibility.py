"""Who may see what.  Personal data (个人信息: phones, e-mails, legal representatives,
certificate numbers) never reaches the public and reaches staff only where their work needs it.
Every personal field in the schema resolves through ``personal``; fields that carry it are marked
with the ``@personal`` directive so frontend teams can see which values may come back null.
"""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.schema_directive import Location

T = TypeVar("T")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="个人信息 Personal data: null unless the caller's role and department may see it.",
)
class Personal:
    pass


PERSONAL = [Personal()]


def personal(allowed: bool, value: T | None) -> T | None:
    return value if allowed else None
