"""The covered object types, each as the SQL expression that builds its JSON.

Every expression reads a state table's row (``id``, ``state`` jsonb) under an alias and the
request's values under ``v`` (``v.staff``, ``v.reads_all``, ``v.dept``, ``v.regions``: see
``executor``), and reproduces its resolver in ``spotcheck.api`` field by field:

- plain fields are the state's attribute of the same name (``state_fields``), its msgspec
  default when the stored state lacks it; the enums here serialise to their value (checked by
  ``tests/api/test_compiled_identity.py``);
- ``id`` is strawberry's global id, base64 of ``Type:key``; a cursor is ``encode_cursor``'s
  URL-safe base64 of ``k:id``;
- visibility and ``@personal`` masking are the resolvers' rules, written as SQL conditions on
  the caller (``may_see_legal_representative``; a liaison's phone, e-mail and account for
  staff only);
- a region's name comes from the configured list (``region_of``), the code when not listed.

A field, type or argument not written here raises ``NotCovered``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec
from graphql import SelectionSetNode

from spotcheck.api.compiled.selection import Doc, Field, NotCovered, collect
from spotcheck.domain import department as d
from spotcheck.domain import inspector as ins
from spotcheck.domain import subject as s
from spotcheck.domain.values import Liaison

# json_build_object takes at most 100 arguments: 50 keys.
MAX_KEYS = 50


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build(pairs: Sequence[tuple[str, str]]) -> str:
    if len(pairs) > MAX_KEYS:
        raise NotCovered("too many keys for json_build_object")
    return "json_build_object(" + ", ".join(f"{lit(k)}, {v}" for k, v in pairs) + ")"


def defaults(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Each field's default as a jsonb literal (for a stored state that lacks the field)."""
    out: dict[str, str] = {}
    for f in msgspec.structs.fields(struct):
        default = f.default
        if default is msgspec.NODEFAULT and f.default_factory is not msgspec.NODEFAULT:
            default = f.default_factory()
        if default is not msgspec.NODEFAULT and default is not None:
            out[f.name] = lit(msgspec.json.encode(default).decode()) + "::jsonb"
    return out


_SUBJECT_DEFAULTS = defaults(s.Subject)
_DEPARTMENT_DEFAULTS = defaults(d.Department)
_LIAISON_DEFAULTS = defaults(Liaison)
_INSPECTOR_DEFAULTS = defaults(ins.Inspector)


def state_value(row: str, attr: str, defaults: dict[str, str]) -> str:
    value = f"{row}.state->{lit(attr)}"
    default = defaults.get(attr)
    return f"COALESCE({value}, {default})" if default else value


def global_id(type_name: str, key_sql: str) -> str:
    """strawberry's ``to_base64(type_name, key)``: standard base64, without PostgreSQL's line
    breaks."""
    text = f"convert_to({lit(type_name + ':')} || {key_sql}, 'UTF8')"
    return f"translate(encode({text}, 'base64'), E'\\n', '')"


def cursor(id_sql: str) -> str:
    """``encode_cursor``: URL-safe base64 of ``k:`` + the row's key."""
    return f"translate(encode(convert_to('k:' || {id_sql}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


def obj(
    type_name: str,
    sets: list[SelectionSetNode],
    doc: Doc,
    field_sql: Callable[[Field], str | None],
) -> str:
    """The JSON object of ``type_name`` for the merged selection ``sets``: each field's SQL
    from ``field_sql`` (None: not covered, unless it is ``__typename``)."""
    pairs: list[tuple[str, str]] = []
    for f in collect(sets, type_name, doc):
        expr = field_sql(f)
        if expr is None:
            if f.name != "__typename":
                raise NotCovered(f"{type_name}.{f.name}")
            expr = lit(type_name)
        pairs.append((f.key, expr))
    return build(pairs)


_SUBJECT_PLAIN = {
    "key": "key",
    "kind": "kind",
    "uscc": "uscc",
    "identifier": "identifier",
    "name": "name",
    "industry": "industry",
    "address": "address",
    "status": "status",
    "riskClass": "risk_class",
    "tags": "tags",
    "items": "items",
}


class Aliases:
    """Fresh table aliases for nested subqueries."""

    def __init__(self) -> None:
        self.n = 0
        self.needs_staff = False
        """Set by a field the compiled path serves only to staff (falls back for others)."""

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def subject(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: Aliases) -> str:
    def field(f: Field) -> str | None:
        if f.name in _SUBJECT_PLAIN:
            return state_value(row, _SUBJECT_PLAIN[f.name], _SUBJECT_DEFAULTS)
        if f.name == "id":
            return global_id("Subject", f"({row}.state->>'key')")
        if f.name == "legalRepresentative":
            return (
                f"CASE WHEN v.reads_all OR (v.staff AND v.dept = {row}.state->>"
                f"'maintaining_department') THEN {row}.state->'legal_representative' END"
            )
        if f.name == "region":
            return region(f"({row}.state->>'region')", f.sub_sets(), doc)
        if f.name == "maintainingDepartment":
            a = aliases.next("d")
            return (
                f"(SELECT {department(a, f.sub_sets(), doc)} FROM departments {a} "
                f"WHERE {a}.id = {row}.state->>'maintaining_department')"
            )
        return None

    return obj("Subject", sets, doc, field)


def region(code: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    names = {"code": code, "name": f"COALESCE(v.regions->>{code}, {code})"}
    return obj("Region", sets, doc, lambda f: names.get(f.name))


def department(row: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    def field(f: Field) -> str | None:
        if f.name in ("code", "name", "member"):
            return state_value(row, f.name, _DEPARTMENT_DEFAULTS)
        if f.name == "id":
            return global_id("Department", f"({row}.state->>'code')")
        if f.name == "liaison":
            return liaison(f"{row}.state->'liaison'", f.sub_sets(), doc)
        return None

    return obj("Department", sets, doc, field)


_LIAISON_ATTRS = {"name": "name", "phone": "phone", "email": "email", "userId": "user_id"}


def liaison(value: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    """A department's liaison: name for everyone; phone, e-mail and account for staff."""

    def field(f: Field) -> str | None:
        attr = _LIAISON_ATTRS.get(f.name)
        if attr is None:
            return None
        default = _LIAISON_DEFAULTS.get(attr)
        expr = f"({value})->{lit(attr)}"
        if default:
            expr = f"COALESCE({expr}, {default})"
        return expr if attr == "name" else f"CASE WHEN v.staff THEN {expr} END"

    return obj("Liaison", sets, doc, field)


_INSPECTOR_PLAIN = {
    "staffId": "staff_id",
    "name": "name",
    "kind": "kind",
    "certificateValidFrom": "certificate_valid_from",
    "certificateValidUntil": "certificate_valid_until",
    "expertise": "expertise",
    "status": "status",
    "affiliation": "affiliation",
    "userId": "user_id",
}
_INSPECTOR_PERSONAL = {
    "certificateNumber": "certificate_number",
    "phone": "phone",
    "email": "email",
}


def inspector(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: Aliases) -> str:
    """``Inspector``: personal fields for ``may_see_personal`` (SYSTEM_ADMIN, AUDITOR, the
    admin of the inspector's department, the inspector themself)."""
    visible = (
        f"(v.reads_all OR v.is_admin OR v.admin_dept = {row}.state->>'department'"
        f" OR v.user_id = {row}.state->>'user_id')"
    )

    def field(f: Field) -> str | None:
        if f.name in _INSPECTOR_PLAIN:
            return state_value(row, _INSPECTOR_PLAIN[f.name], _INSPECTOR_DEFAULTS)
        if f.name in _INSPECTOR_PERSONAL:
            value = state_value(row, _INSPECTOR_PERSONAL[f.name], _INSPECTOR_DEFAULTS)
            return f"CASE WHEN {visible} THEN {value} END"
        if f.name == "id":
            return global_id("Inspector", f"({row}.state->>'staff_id')")
        if f.name == "department":
            a = aliases.next("d")
            return (
                f"(SELECT {department(a, f.sub_sets(), doc)} FROM departments {a} "
                f"WHERE {a}.id = {row}.state->>'department')"
            )
        if f.name == "conflicts":
            c = aliases.next("c")
            names = {
                "subjectKey": f"{c}.value->'subject_key'",
                "reason": f"CASE WHEN {visible} THEN {c}.value->'reason' END",
            }
            each = obj("ConflictOfInterest", f.sub_sets(), doc, lambda g: names.get(g.name))
            conflicts = state_value(row, "conflicts", _INSPECTOR_DEFAULTS)
            return (
                f"(SELECT COALESCE(json_agg({each} ORDER BY {c}.n), '[]') FROM "
                f"jsonb_array_elements({conflicts}) WITH ORDINALITY AS {c}(value, n))"
            )
        return None

    return obj("Inspector", sets, doc, field)


PAGE = "@@PAGE@@"
LIMIT = "@@N@@"


def connection(
    type_name: str,
    node: Callable[[str, list[SelectionSetNode]], str],
    sets: list[SelectionSetNode],
    doc: Doc,
    page: str = PAGE,
    limit: str = LIMIT,
    row: str = "r",
) -> str:
    """A keyset page as ``Connection``: ``page`` is the page's SQL (rows with ``id`` and the
    node's columns, at most ``first + 1``), ``limit`` is ``first``; at the root they are the
    markers ``PAGE`` and ``LIMIT``, filled per request.  One extra row means a next page, as in
    ``pagination.connection``."""
    r = row
    within = f"FILTER (WHERE {r}.ord <= {limit})"
    row_cursor = cursor(f"{r}.id")
    edge_fields = {"cursor": lambda e: row_cursor, "node": lambda e: node(r, e.sub_sets())}
    info_fields = {
        "hasNextPage": f"count({r}.ord) > {limit}",
        "endCursor": f"(array_agg({row_cursor} ORDER BY {r}.ord DESC) {within})[1]",
    }

    def field(f: Field) -> str | None:
        if f.name == "nodes":
            return f"COALESCE(json_agg({node(r, f.sub_sets())} ORDER BY {r}.ord) {within}, '[]')"
        if f.name == "edges":
            edge_type = f"{type_name}Edge"
            edge = obj(edge_type, f.sub_sets(), doc, lambda e: _opt(edge_fields, e))
            return f"COALESCE(json_agg({edge} ORDER BY {r}.ord) {within}, '[]')"
        if f.name == "pageInfo":
            return obj("PageInfo", f.sub_sets(), doc, lambda p: info_fields.get(p.name))
        return None

    fields = obj(f"{type_name}Connection", sets, doc, field)
    return (
        f"(SELECT {fields} FROM (SELECT p.*, row_number() OVER "
        f"(ORDER BY p.id) AS ord FROM ({page}) p) {r})"
    )


def _opt(fields: Mapping[str, Callable[[Field], str]], f: Field) -> str | None:
    make = fields.get(f.name)
    return make(f) if make else None
