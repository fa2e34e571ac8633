"""Build queries that select every field reachable from each root field of the schema.

Used to prove where personal data can reach: the walk asks for everything, and the test looks
for planted personal values in what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

# Sample literal per scalar, for nested required arguments.
SCALAR_SAMPLES = {
    "String": '"x"',
    "Int": "1",
    "SafeInt": "1",
    "Boolean": "true",
    "Date": '"2026-11-26"',
    "ID": '"x"',
    "Float": "1.0",
    "Decimal": '"1"',
    "DateTime": '"2026-11-26T00:00:00Z"',
}
MAX_DEPTH = 7


def _literal(t: Any) -> str | None:
    t = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(t, GraphQLList):
        inner = _literal(t.of_type)
        return f"[{inner}]" if inner else "[]"
    if isinstance(t, GraphQLScalarType):
        return SCALAR_SAMPLES.get(t.name, '"x"')
    if isinstance(t, GraphQLEnumType):
        return str(next(iter(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        return "{}"
    return None


def _args(field: GraphQLField, given: Mapping[str, str]) -> str:
    parts = []
    for name, arg in field.args.items():
        if name in given:
            parts.append(f"{name}: {given[name]}")
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            lit = _literal(arg.type)
            if lit is not None:
                parts.append(f"{name}: {lit}")
    return f"({', '.join(parts)})" if parts else ""


def _selection(
    schema: GraphQLSchema, t: GraphQLNamedType, depth: int, path: tuple[str, ...]
) -> str:
    if isinstance(t, GraphQLScalarType | GraphQLEnumType):
        return ""
    if depth >= MAX_DEPTH:
        return "{ __typename }"
    if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
        possible = schema.get_possible_types(t)
        inner = " ".join(
            f"... on {p.name} {_selection(schema, p, depth + 1, path)}"
            for p in possible
            if p.name not in path
        )
        return "{ __typename " + inner + " }"
    assert isinstance(t, GraphQLObjectType)
    fields = []
    for name, f in t.fields.items():
        named = get_named_type(f.type)
        if (
            isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            and named.name in path
        ):
            continue  # do not walk round a cycle
        sub = _selection(schema, named, depth + 1, (*path, t.name))
        fields.append(f"{name}{_args(f, {})} {sub}".strip())
    return "{ " + " ".join(fields) + " }"


def root_queries(
    schema: GraphQLSchema, root_args: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """One query per root field of Query: ``{ field(args) { everything } }``."""
    query_type = schema.query_type
    assert query_type is not None
    out = {}
    for name, f in query_type.fields.items():
        if name in ("node", "nodes") and name not in root_args:
            continue
        named = get_named_type(f.type)
        args = _args(f, root_args.get(name, {}))
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            # One query per possible type: same-named fields of different types cannot merge.
            for p in schema.get_possible_types(named):
                sel = _selection(schema, p, 2, ("Query",))
                out[f"{name}:{p.name}"] = (
                    f"{{ {name}{args} {{ __typename ... on {p.name} {sel} }} }}"
                )
            continue
        out[name] = f"{{ {name}{args} {_selection(schema, named, 1, ('Query',))} }}"
    return out


def strings(value: Any) -> set[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings(v) for v in value)) if value else set()
    return set()
