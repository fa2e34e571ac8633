"""统一社会信用代码 (unified social credit code, GB 32100-2015): validation and normalisation.

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z): registration
authority (1), entity type (1), administrative division (6), organisation code (9) and a check
character computed from the first 17 with the weights below, modulo 31.
"""

from __future__ import annotations

import re
from operator import getitem

from spotcheck.domain.errors import ErrorCode, Problem

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Per position, each character's weighted value: one lookup per character (the importer checks
# a million codes).
_WEIGHTED = [{c: v * w for c, v in _VALUE.items()} for w in WEIGHTS]
_IN_ALPHABET = re.compile(f"[{ALPHABET}]*")


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (already upper case and in the alphabet)."""
    if len(first17) != len(_WEIGHTED):
        raise ValueError(f"the check character needs 17 characters, not {first17!r}")
    total = sum(map(getitem, _WEIGHTED, first17))  # in C: the importer checks a million codes
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper case, surrounding spaces removed: the form every USCC is stored and compared in."""
    return code.strip().upper()


def problem(code: str, field: str = "uscc") -> Problem | None:
    """What is wrong with a normalised code, or None when it is valid."""
    if len(code) != 18:
        return Problem(
            ErrorCode.INVALID_USCC, field, f"a USCC has 18 characters, this one has {len(code)}"
        )
    if not _IN_ALPHABET.fullmatch(code):
        bad = [c for c in code if c not in _VALUE]
        return Problem(
            ErrorCode.INVALID_USCC,
            field,
            f"{bad[0]!r} is not in the USCC alphabet (digits, capitals but I O S V Z)",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return Problem(
            ErrorCode.USCC_CHECK_MISMATCH,
            field,
            f"the check character is {code[17]!r} but the first 17 characters give {expected!r}",
        )
    return None


def is_valid(code: str) -> bool:
    return problem(normalise(code)) is None
