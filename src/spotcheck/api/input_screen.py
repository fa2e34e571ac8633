"""Characters no input may carry, refused before any resolver runs.

NUL ends a C string and PostgreSQL refuses it (``invalid byte sequence for encoding "UTF8":
0x00``, a database message that must never reach a client); the other C0 controls and DEL
(BEL, ESC: terminal escapes in a log or an export), zero-width characters (U+200B–U+200D,
U+2060, U+FEFF: two names that look the same) and bidi overrides and isolates (U+202A–U+202E,
U+2066–U+2069: text that reads backwards, "Trojan Source") have no place in any field of this
API.  Tab, line feed and carriage return stay allowed: long-text fields (findings, reasons)
keep their lines; which fields may hold them is the domain's rule.

No string may be longer than ``MAX_STRING`` characters (``INPUT_TOO_LONG``).

Every string is also brought to Unicode NFC (``nfc_variables``, ``nfc_document``).

Every string is checked: the variables (any depth) and the literals written in the document.
The error names the input by its path, ``input.planId`` for a variable ``$input`` or an
argument ``input``, ``subject`` for ``creditRecord(subject: …)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    print_ast,
    visit,
)

MAX_STRING = 20_000
"""The longest string any input may be (characters): the longest text fields (findings, reasons)
allow a few thousand; a 50 MB variable is refused here instead of reaching a resolver."""

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)


@dataclass
class BadInput(Exception):
    code: str
    field: str
    message: str


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str):
                yield path + "." + k, k  # a key is input too
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _strings(v, f"{path}.{n}")


def _literal_strings(node: ValueNode, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, StringValueNode):
        yield path, node.value
    elif isinstance(node, ObjectValueNode):
        for f in node.fields:
            yield from _literal_strings(f.value, f"{path}.{f.name.value}")
    elif isinstance(node, ListValueNode):
        for n, v in enumerate(node.values):
            yield from _literal_strings(v, f"{path}.{n}")


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        """Strings written as argument values, by path (screened)."""
        self.defaults: list[str] = []
        """Strings written as variables' default values (only normalised)."""

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.found.extend(_literal_strings(node.value, node.name.value))

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        if node.default_value is not None:
            self.defaults.extend(t for _, t in _literal_strings(node.default_value, ""))


def describe(char: str) -> str:
    return f"U+{ord(char):04X}"


@dataclass(frozen=True)
class DocumentLiterals:
    """What ``screen`` needs of a document, found in one walk (cache it per document text)."""

    found: tuple[tuple[str, str], ...]
    """Strings written as argument values, by path."""
    not_nfc: bool
    """Some string literal (an argument or a variable's default) is not in NFC."""


def document_literals(document: DocumentNode) -> DocumentLiterals:
    literals = _Literals()
    visit(document, literals)
    texts = [t for _, t in literals.found] + literals.defaults
    not_nfc = any(not unicodedata.is_normalized("NFC", t) for t in texts)
    return DocumentLiterals(tuple(literals.found), not_nfc)


def screen(document: DocumentNode | DocumentLiterals, variables: Mapping[str, Any]) -> bool:
    """Raise ``BadInput`` naming the first input that holds a forbidden character; else whether
    a string literal of the document is not in NFC (then ``nfc_document`` rewrites it), so that
    a request's document is walked once, not twice (not at all with its ``DocumentLiterals``)."""
    literals = document if isinstance(document, DocumentLiterals) else document_literals(document)
    for path, text in literals.found:
        _check(path, text)
    for name, value in variables.items():
        for path, text in _strings(value, name):
            _check(path, text)
    return literals.not_nfc


def _check(path: str, text: str) -> None:
    if len(text) > MAX_STRING:
        raise BadInput(
            "INPUT_TOO_LONG",
            path.lstrip("."),
            f"{path.lstrip('.')}: at most {MAX_STRING} characters, not {len(text)}",
        )
    bad = FORBIDDEN.search(text)
    if bad is not None:
        raise BadInput(
            "INVALID_CHARACTER",
            path.lstrip("."),
            f"{path.lstrip('.')}: the character {describe(bad.group())} is not allowed "
            "(control, zero-width and bidi-override characters are refused)",
        )


# NFC --------------------------------------------------------------------------------------------
# The same text can arrive composed (é, U+00E9) or decomposed (e + U+0301): two names that look
# the same and compare different.  Every string input is brought to Unicode normal form C (the
# canonical composition; not NFKC, which would also fold full-width letters and the like).


def nfc_variables(value: Any) -> Any:
    """``value`` with every string (and object key) in NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {nfc_variables(k): nfc_variables(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_variables(v) for v in value]
    return value


class _Compose(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.changed = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> StringValueNode | None:
        composed = unicodedata.normalize("NFC", node.value)
        if composed == node.value:
            return None
        self.changed = True
        return StringValueNode(value=composed, block=node.block)


def nfc_document(document: DocumentNode, query: str) -> str:
    """The query text with every string literal in NFC (the text itself when none changes)."""
    compose = _Compose()
    composed = visit(document, compose)
    return print_ast(composed) if compose.changed else query
