import json
from pathlib import Path

import pytest

from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.uscc import check_character, is_valid, normalise, problem

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "uscc.json").read_text("utf-8")
)


@pytest.mark.parametrize("code", VECTORS["valid"])
def test_valid_codes_validate(code: str) -> None:
    assert problem(code) is None
    assert is_valid(code.lower())  # normalised to upper case first


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["why"])
def test_invalid_codes_are_refused(case: dict[str, str]) -> None:
    p = problem(normalise(case["code"]))
    assert p is not None
    assert p.field == "uscc"
    if "check" in case["why"]:
        assert p.code is ErrorCode.USCC_CHECK_MISMATCH
        assert "check character" in p.message
    else:
        assert p.code is ErrorCode.INVALID_USCC


def test_check_character_matches_vectors() -> None:
    for code in VECTORS["valid"]:
        assert check_character(code[:17]) == code[17]
