"""The draw protocol (``spotcheck.draw``) runs offline, from a transcript alone: it must not
import the domain (``spotcheck.domain`` imports it, never the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

import spotcheck.draw

DRAW = Path(spotcheck.draw.__file__).resolve().parent


def _imported(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_draw_imports_nothing_of_the_domain() -> None:
    modules = sorted(DRAW.rglob("*.py"))
    assert modules, "no modules found under spotcheck/draw"
    offending = [
        f"{path.relative_to(DRAW.parent)}: {name}"
        for path in modules
        for name in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if name == "spotcheck.domain" or name.startswith("spotcheck.domain.")
    ]
    assert offending == []


def test_the_check_sees_a_domain_import() -> None:
    for source in (
        "from spotcheck.domain.inspector import Inspector",
        "import spotcheck.domain.inspector",
        "from spotcheck import domain",
    ):
        names = _imported(ast.parse(source))
        assert any(n == "spotcheck.domain" or n.startswith("spotcheck.domain.") for n in names)
