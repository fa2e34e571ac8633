"""docs/import.md lists every column the importer reads (the registration commands' fields)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spotcheck.importer.registries import INSPECTOR_COLUMNS, SUBJECT_COLUMNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def _documented(heading: str) -> set[str]:
    """The backticked names in the first cell of each table row under ``## heading``."""
    section = DOC.read_text(encoding="utf-8").split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return names


@pytest.mark.parametrize(
    ("heading", "columns"),
    [("Subjects", SUBJECT_COLUMNS), ("Inspectors", INSPECTOR_COLUMNS)],
)
def test_every_import_column_is_documented(heading: str, columns: tuple[str, ...]) -> None:
    assert [c for c in columns if c not in _documented(heading)] == []
