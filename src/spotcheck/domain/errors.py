"""Typed rule violations.  Every one names a code, the field it concerns and a readable message.

The API shows them as ``UserError`` (code, field, message) in each mutation's payload; the
importer writes them to its rejects file.  ``field`` is a dotted path in the command's input,
in the API's spelling (camelCase), e.g. ``liaison.phone``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class ErrorCode(enum.Enum):
    """What rule an input broke.  One enum for the whole API, so clients switch on one type."""

    REQUIRED = "REQUIRED"
    INVALID_FORMAT = "INVALID_FORMAT"
    TOO_LONG = "TOO_LONG"
    INVALID_CHARACTER = "INVALID_CHARACTER"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_USCC = "INVALID_USCC"
    USCC_CHECK_MISMATCH = "USCC_CHECK_MISMATCH"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_DEPARTMENT = "UNKNOWN_DEPARTMENT"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    INVALID_INDUSTRY = "INVALID_INDUSTRY"
    RATIO_CAP_OUT_OF_RANGE = "RATIO_CAP_OUT_OF_RANGE"
    RATIO_CAP_NOT_ALLOWED = "RATIO_CAP_NOT_ALLOWED"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    REASON_REQUIRED = "REASON_REQUIRED"
    CERTIFICATE_REQUIRED = "CERTIFICATE_REQUIRED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_MAINTAINING_DEPARTMENT = "NOT_MAINTAINING_DEPARTMENT"
    CONCURRENT_MODIFICATION = "CONCURRENT_MODIFICATION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATIO_CAP_EXCEEDED = "RATIO_CAP_EXCEEDED"
    ITEM_NOT_IN_PLAN = "ITEM_NOT_IN_PLAN"
    ITEM_NOT_SUITABLE = "ITEM_NOT_SUITABLE"
    DEPARTMENT_NOT_PARTICIPATING = "DEPARTMENT_NOT_PARTICIPATING"
    NO_HOLIDAY_SCHEDULE = "NO_HOLIDAY_SCHEDULE"
    NOT_A_WEEKEND = "NOT_A_WEEKEND"
    DATE_IN_BOTH_LISTS = "DATE_IN_BOTH_LISTS"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_CONTENT_TYPE = "UNSUPPORTED_CONTENT_TYPE"
    EVIDENCE_CORRUPT = "EVIDENCE_CORRUPT"
    EVIDENCE_COLLECTED = "EVIDENCE_COLLECTED"
    EVIDENCE_QUOTA_EXCEEDED = "EVIDENCE_QUOTA_EXCEEDED"
    NOT_ASSIGNED_INSPECTOR = "NOT_ASSIGNED_INSPECTOR"
    NOT_LEAD_DEPARTMENT = "NOT_LEAD_DEPARTMENT"
    INSPECTOR_NOT_ELIGIBLE = "INSPECTOR_NOT_ELIGIBLE"
    CONFLICT_OF_INTEREST = "CONFLICT_OF_INTEREST"
    TRANSCRIPT_TOO_LARGE = "TRANSCRIPT_TOO_LARGE"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    field: str | None
    message: str


class DomainError(Exception):
    """One or more problems with a command; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        assert self.problems, "a DomainError needs at least one problem"
        super().__init__(
            "; ".join(f"{p.field or '-'}: {p.code.value}: {p.message}" for p in self.problems)
        )

    @classmethod
    def one(cls, code: ErrorCode, field: str | None, message: str) -> DomainError:
        return cls([Problem(code, field, message)])

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code


class Problems:
    """Collects every problem with an input before failing, so a form can show them all."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: ErrorCode, field: str | None, message: str) -> None:
        self.items.append(Problem(code, field, message))

    def extend(self, other: Iterable[Problem]) -> None:
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise DomainError(self.items)
