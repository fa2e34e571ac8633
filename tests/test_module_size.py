"""No module over 500 lines without a one-line reason at its top (issue 14): a module too big to
hold in one's head is split, or says why it stays whole (``# Over 500 lines: …``)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "spotcheck"
LIMIT = 500
REASON = "# Over 500 lines: "


def test_long_modules_say_why() -> None:
    unexplained = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > LIMIT and not (lines and lines[0].startswith(REASON)):
            unexplained.append(f"{path.relative_to(SRC)} ({len(lines)} lines)")
    assert unexplained == [], "split these or give a reason on their first line: " + ", ".join(
        unexplained
    )
