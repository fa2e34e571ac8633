"""Commands built from GraphQL inputs: the command struct names the fields, the input fills them.

A mutation input's ``command()`` is ``command_from(self, CommandStruct, **overrides)``: each
field of the struct is read from the input's attribute of the same name, unless an override
gives it (a renamed field, another shape, a key normalised on the way in).  A field that the
input lacks and no override gives raises ``MissingInputField`` naming it, so a field added to a
command but not to its input fails ``tests/api/test_command_inputs.py``, which builds every
input's command from a sample.  An override may be ``DEFAULT``: the struct's own default, for a
field the input deliberately leaves out.

Values follow the struct field's type: lists are copied element by element; a nested input
becomes the nested struct, through the input's own ``value()`` when it has one (for
hand-written conversions), else by the same rule, recursively.  Enums, dates, decimals and
plain scalars pass unchanged: the API uses the domain's enums.
"""

from __future__ import annotations

import enum
import functools
import types
from typing import Any, TypeVar, Union, get_args, get_origin

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


class _Default(enum.Enum):
    DEFAULT = "DEFAULT"


DEFAULT = _Default.DEFAULT
"""An override meaning "the struct's default": for a field the input deliberately leaves out."""


class MissingInputField(TypeError):
    """A command field with neither an input attribute of its name nor an override."""


@functools.cache
def _fields(struct: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(struct)


def _is_input(value: object) -> bool:
    definition = getattr(type(value), "__strawberry_definition__", None)
    return getattr(definition, "is_input", False) is True


def _convert(value: Any, target: Any, where: str) -> Any:
    if value is None:
        return None
    origin = get_origin(target)
    if origin is Union or origin is types.UnionType:
        arms = [a for a in get_args(target) if a is not type(None)]
        if len(arms) == 1:
            return _convert(value, arms[0], where)
    elif origin in (list, tuple, set, frozenset):
        (item, *_) = get_args(target) or (Any,)
        return origin(_convert(x, item, f"{where}[]") for x in value)
    elif isinstance(target, type) and issubclass(target, msgspec.Struct) and _is_input(value):
        own = getattr(type(value), "value", None)
        made = value.value() if callable(own) else command_from(value, target)
        if not isinstance(made, target):
            raise TypeError(f"{where}: {type(value).__name__}.value() is not a {target.__name__}")
        return made
    if _is_input(value):
        raise TypeError(f"{where}: {type(value).__name__} needs an override (no struct to build)")
    return value


def command_from(source: object, struct: type[S], /, **overrides: Any) -> S:
    """``struct(...)`` with each field from ``overrides`` or from ``source``'s same-named
    attribute (converted as the module docstring says)."""
    unknown = overrides.keys() - {f.name for f in _fields(struct)}
    if unknown:
        raise TypeError(f"{struct.__name__} has no field {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for f in _fields(struct):
        where = f"{struct.__name__}.{f.name}"
        if f.name in overrides:
            given = overrides[f.name]
            if given is DEFAULT:
                if f.required:
                    raise TypeError(f"{where} has no default")
                continue
            values[f.name] = given
        elif hasattr(source, f.name):
            values[f.name] = _convert(getattr(source, f.name), f.type, where)
        else:
            raise MissingInputField(
                f"{where}: {type(source).__name__} has no attribute {f.name!r} and no override "
                "gives it; add the field to the input (or pass it to command_from)"
            )
    return struct(**values)
