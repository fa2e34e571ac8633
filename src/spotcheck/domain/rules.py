"""Small input rules shared by every aggregate; each adds a typed Problem naming the field."""

from __future__ import annotations

import re
from datetime import date

from spotcheck.domain.errors import DomainError, ErrorCode, Problems

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
# GB/T 4754-2017: a section letter, optionally followed by a 2-digit division, a 3-digit group
# or a 4-digit class (the letter may be omitted for a numeric code).
_INDUSTRY = re.compile(r"^(?:[A-T](?:\d{2}|\d{3}|\d{4})?|\d{2}|\d{3}|\d{4})$")


# Tab and the line breaks (LF, CR, NEL, LINE and PARAGRAPH SEPARATOR).  The API's input screen
# refuses every other control, zero-width and bidi character in every field already.
_LINE_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]")


def text(
    p: Problems,
    field: str,
    value: str | None,
    *,
    max_len: int = 200,
    required: bool = True,
    multiline: bool = False,
) -> None:
    """A text field: required unless told, at most ``max_len`` characters, and on one line
    (no tab or line break) unless ``multiline``: names, titles and codes are one line; long
    texts (findings, notes, reasons, descriptions, legal bases) keep their lines."""
    if value is None or not value.strip():
        if required:
            p.add(ErrorCode.REQUIRED, field, f"{field} is required")
        return
    if len(value) > max_len:
        p.add(ErrorCode.TOO_LONG, field, f"{field} has {len(value)} characters; at most {max_len}")
    if not multiline and (found := _LINE_BREAKS.search(value)):
        p.add(
            ErrorCode.INVALID_CHARACTER,
            field,
            f"{field} is one line: it may not hold a tab or line break "
            f"(U+{ord(found.group()):04X} at character {found.start() + 1})",
        )


def code(p: Problems, field: str, value: str, *, max_len: int = 40) -> None:
    if not value:
        p.add(ErrorCode.REQUIRED, field, f"{field} is required")
    elif len(value) > max_len:
        p.add(ErrorCode.TOO_LONG, field, f"{field} has {len(value)} characters; at most {max_len}")
    elif not _CODE.match(value):
        p.add(
            ErrorCode.INVALID_FORMAT,
            field,
            f"{field} may hold ASCII letters, digits and _ . : -, starting with a letter or digit",
        )


def email(p: Problems, field: str, value: str | None) -> None:
    if value and not _EMAIL.match(value):
        p.add(ErrorCode.INVALID_FORMAT, field, f"{field} is not an e-mail address")


def phone(p: Problems, field: str, value: str | None) -> None:
    if value and not _PHONE.match(value):
        p.add(ErrorCode.INVALID_FORMAT, field, f"{field} is not a telephone number")


def industry(p: Problems, field: str, value: str | None) -> None:
    if value and not _INDUSTRY.match(value):
        p.add(
            ErrorCode.INVALID_INDUSTRY,
            field,
            f"{value!r} is not a GB/T 4754 code (a letter A-T and up to 4 digits, e.g. F5211)",
        )


def reason(p: Problems, value: str | None, what: str) -> None:
    """A reason is long text: it may run over several lines."""
    if value is None or not value.strip():
        p.add(ErrorCode.REASON_REQUIRED, "reason", f"{what} needs a reason")
    elif len(value) > 1000:
        p.add(ErrorCode.TOO_LONG, "reason", "reason has more than 1000 characters")


def date_range(p: Problems, field: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        p.add(
            ErrorCode.INVALID_DATE_RANGE,
            field,
            f"{field} ({end.isoformat()}) is before the start date ({start.isoformat()})",
        )


def forbid(message: str, field: str | None = None) -> DomainError:
    return DomainError.one(ErrorCode.FORBIDDEN, field, message)


def not_found(what: str, key: str, field: str | None = None) -> DomainError:
    return DomainError.one(ErrorCode.NOT_FOUND, field, f"no {what} {key!r}")
