"""Every GraphQL input that builds a command does build it, whatever fields the command has.

The walk finds each ``@strawberry.input`` class under ``spotcheck.api`` with a ``command()`` (a
mutation's input) or a ``value()`` (a nested input), fills it with a sample value per field and
builds its struct.  A field added to a command but not to its input makes ``command_from`` raise
``MissingInputField`` naming ``Command.field``, and this test fails with that message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib
import pkgutil
import types
import typing
from decimal import Decimal
from typing import Any, Union, get_args, get_origin, get_type_hints

import msgspec
import pytest

import spotcheck.api
from spotcheck.api.common.commands import DEFAULT, MissingInputField, command_from
from spotcheck.api.subjects.mutations import RegisterSubjectInput
from spotcheck.api.subjects.types import Subject
from spotcheck.domain import subject as s


def _is_input(cls: object) -> bool:
    definition = getattr(cls, "__strawberry_definition__", None)
    return isinstance(cls, type) and getattr(definition, "is_input", False) is True


def _builders() -> list[tuple[type, str]]:
    """(input class, "command" or "value") for every input under spotcheck.api."""
    found: dict[str, tuple[type, str]] = {}
    for info in pkgutil.walk_packages(spotcheck.api.__path__, "spotcheck.api."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if not _is_input(cls) or cls.__module__ != module.__name__:
                continue
            for method in ("command", "value"):
                if callable(getattr(cls, method, None)):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = (cls, method)
                    break
    return [found[k] for k in sorted(found)]


BUILDERS = _builders()


def _sample(tp: Any, name: str) -> Any:
    """A value of type ``tp``: never null, lists of one, strings already normalised."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _sample(next(a for a in get_args(tp) if a is not type(None)), name)
    if origin is list:
        return [_sample(get_args(tp)[0], name)]
    if isinstance(tp, typing.NewType):
        return _sample(tp.__supertype__, name)
    if _is_input(tp):
        return _build(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return list(tp)[-1]
    samples: dict[Any, Any] = {
        str: name.upper(),
        bool: True,
        int: 3,
        Decimal: Decimal("12.5"),
        dt.date: dt.date(2026, 5, 4),
    }
    assert tp in samples, f"no sample for {name}: {tp!r}"
    return samples[tp]


def _build(cls: type) -> Any:
    hints = get_type_hints(cls)
    return cls(**{f.name: _sample(hints[f.name], f.name) for f in dataclasses.fields(cls)})


def test_the_walk_finds_the_mutation_inputs() -> None:
    names = {cls.__name__ for cls, _ in BUILDERS}
    assert {"RegisterSubjectInput", "UpdateSubjectInput", "CreateTaskInput"} <= names


@pytest.mark.parametrize(
    ("cls", "method"), BUILDERS, ids=[f"{c.__name__}.{m}" for c, m in BUILDERS]
)
def test_every_input_builds_its_command(cls: type, method: str) -> None:
    sample = _build(cls)
    made = getattr(sample, method)()
    expected = get_type_hints(getattr(cls, method))["return"]
    assert type(made) is expected
    # Every field has a value of its declared type (a string where a struct belongs fails).
    assert msgspec.json.decode(msgspec.json.encode(made), type=expected) == made
    # Same-named scalar fields carry the input's value (an override may reshape one: the
    # flat content of an item input becomes CreateItem.content).
    scalar = str | int | Decimal | dt.date | enum.Enum
    for f in msgspec.structs.fields(expected):
        given, got = getattr(sample, f.name, None), getattr(made, f.name)
        if isinstance(given, scalar) and isinstance(got, scalar):
            assert got == given, f"{expected.__name__}.{f.name}"


def test_every_subject_state_field_is_on_the_subject_type() -> None:
    """The output type shows the whole state (personal data behind its resolver)."""
    exposed = {f.python_name for f in Subject.__strawberry_definition__.fields}
    assert [f for f in s.Subject.__struct_fields__ if f not in exposed] == []


_INPUT = types.SimpleNamespace(is_input=True)  # what the helper looks for


class _Liaison(msgspec.Struct, kw_only=True):
    name: str
    phone: str | None = None


class _Register(msgspec.Struct, kw_only=True):
    code: str
    tags: list[str]
    liaison: _Liaison
    nickname: str | None = None


@dataclasses.dataclass
class _LiaisonInput:
    name: str
    phone: str | None = None
    __strawberry_definition__: typing.ClassVar[object] = _INPUT


@dataclasses.dataclass
class _RegisterInput:
    code: str
    tags: list[str]
    liaison: _LiaisonInput
    __strawberry_definition__: typing.ClassVar[object] = _INPUT


def test_a_command_field_missing_from_the_input_is_named() -> None:
    with pytest.raises(MissingInputField, match=r"_Register\.nickname: _RegisterInput"):
        command_from(_RegisterInput("X", ["a"], _LiaisonInput("n")), _Register)


def test_overrides_defaults_lists_and_nested_inputs() -> None:
    tags = ["a"]
    made = command_from(
        _RegisterInput(" X ", tags, _LiaisonInput("n")), _Register, code="X", nickname=DEFAULT
    )
    assert made == _Register(code="X", tags=["a"], liaison=_Liaison(name="n"), nickname=None)
    assert made.tags is not tags
    with pytest.raises(TypeError, match="no field nick"):
        command_from(_RegisterInput("X", [], _LiaisonInput("n")), _Register, nick="y")
    with pytest.raises(TypeError, match=r"_Register\.code has no default"):
        command_from(_RegisterInput("X", [], _LiaisonInput("n")), _Register, code=DEFAULT)


def test_a_real_input_builds_its_command() -> None:
    made = RegisterSubjectInput(
        kind=s.SubjectKind.ENTERPRISE,
        uscc="91310000MA1FL4A12X",
        name="某某公司",
        region="R",
        maintaining_department="SCJG",
        tags=["a"],
    ).command()
    assert made == s.RegisterSubject(
        kind=s.SubjectKind.ENTERPRISE,
        uscc="91310000MA1FL4A12X",
        name="某某公司",
        region="R",
        maintaining_department="SCJG",
        tags=["a"],
    )
