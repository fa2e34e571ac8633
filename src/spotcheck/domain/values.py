"""Value objects shared by several aggregates."""

from __future__ import annotations

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.errors import Problems


class Liaison(msgspec.Struct, frozen=True, kw_only=True):
    """联络员: a department's contact for the joint meeting.  Phone and e-mail are personal data."""

    name: str
    phone: str | None = None
    email: str | None = None
    user_id: str | None = None
    """The liaison's platform account, if any: the liaison co-manages the department's accounts."""


def check_liaison(p: Problems, field: str, liaison: Liaison) -> None:
    rules.text(p, f"{field}.name", liaison.name, max_len=50)
    rules.phone(p, f"{field}.phone", liaison.phone)
    rules.email(p, f"{field}.email", liaison.email)
    if liaison.user_id is not None:
        rules.text(p, f"{field}.userId", liaison.user_id, max_len=200)
