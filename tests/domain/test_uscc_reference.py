"""``uscc.problem`` gives what the plain reading of GB 32100-2015 gives, on random codes: the
first character outside the alphabet, or the check character's mismatch (it takes shortcuts
for speed: the importer checks a million codes)."""

from __future__ import annotations

import random

import pytest

from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.uscc import ALPHABET, WEIGHTS, check_character, problem


def reference(code: str) -> tuple[ErrorCode, str] | None:
    if len(code) != 18:
        return ErrorCode.INVALID_USCC, f"a USCC has 18 characters, this one has {len(code)}"
    for c in code:
        if c not in ALPHABET:
            return (
                ErrorCode.INVALID_USCC,
                f"{c!r} is not in the USCC alphabet (digits, capitals but I O S V Z)",
            )
    total = sum(ALPHABET.index(c) * w for c, w in zip(code, WEIGHTS, strict=False))
    expected = ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return (
            ErrorCode.USCC_CHECK_MISMATCH,
            f"the check character is {code[17]!r} but the first 17 characters give {expected!r}",
        )
    return None


def test_problem_matches_the_reference_on_random_codes() -> None:
    rng = random.Random(18)
    pool = ALPHABET + "IOSVZaz-\n é０"
    seen = set()
    for _ in range(20_000):
        code = "".join(rng.choice(ALPHABET) for _ in range(17))
        code += check_character(code) if rng.random() < 0.5 else rng.choice(ALPHABET)
        if rng.random() < 0.3:
            i = rng.randrange(18)
            code = code[:i] + rng.choice(pool) + code[i + 1 :]
        if rng.random() < 0.05:
            code = code[: rng.randrange(20)]
        p = problem(code)
        got = None if p is None else (p.code, p.message)
        assert got == reference(code), code
        seen.add(None if got is None else got[0])
    assert seen == {None, ErrorCode.INVALID_USCC, ErrorCode.USCC_CHECK_MISMATCH}


def test_check_character_needs_17_characters() -> None:
    with pytest.raises(ValueError):
        check_character("1234")
