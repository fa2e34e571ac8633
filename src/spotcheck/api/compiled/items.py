"""Inspection items (随机抽查事项) for the compiled path: ``InspectionItem`` and its versions.

The resolvers are ``api/items/types.py``: an item's name, category, target kind, ratio cap and
suitability are those of ``shown_version`` (in force, else the last published, else the
latest); ``versions`` lists the published-once versions to everyone and drafts only to
``may_see_drafts`` (district readers, the department's admin and staff), as ``draft`` does;
an item never published is visible only to those.  A ``Decimal`` is ``format(value, "f")``,
which PostgreSQL's ``numeric`` text matches for the plain decimals msgspec stores.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import SelectionSetNode

from spotcheck.api.compiled import shapes
from spotcheck.api.compiled.selection import Doc, Field
from spotcheck.domain import item as it

lit, obj = shapes.lit, shapes.obj
_CONTENT_DEFAULTS = shapes.defaults(it.ItemContent)
_PUBLISHED_ONCE = ", ".join(lit(s.value) for s in sorted(it.PUBLISHED_ONCE, key=str))
_CONTENT = {
    "name": "name",
    "legalBasis": "legal_basis",
    "inspectingBody": "inspecting_body",
    "content": "content",
    "methods": "methods",
    "targetKind": "target_kind",
    "category": "category",
    "expertise": "expertise",
    "suitable": "suitable",
    "unsuitableReason": "unsuitable_reason",
}


def drafts_visible(department: str) -> str:
    """``may_see_drafts(actor, department)``."""
    return (
        f"(v.reads_all OR v.is_admin OR v.admin_dept = {department}"
        f" OR (v.staff AND v.dept = {department}))"
    )


def item_visible(row: str) -> str:
    """``may_see_item``: ever published, or its drafts are visible to the caller."""
    return f"({row}.state->>'published' IS NOT NULL OR {drafts_visible(_dept(row))})"


def _dept(row: str) -> str:
    return f"({row}.state->>'department')"


def _content(content: str, name: str) -> str:
    value = f"({content})->{lit(name)}"
    default = _CONTENT_DEFAULTS.get(name)
    return f"COALESCE({value}, {default})" if default else value


def _decimal(value: str) -> str:
    return f"((({value})#>>'{{}}')::numeric)::text"


def _content_field(content: str, f: Field, doc: Doc) -> str | None:
    if f.name in _CONTENT:
        return _content(content, _CONTENT[f.name])
    if f.name == "ratioCapPercent":
        return _decimal(f"({content})->'ratio_cap_percent'")
    if f.name == "checklist":
        names = {"code": "p.j->'code'", "text": "p.j->'text'"}
        each = obj("CheckPoint", f.sub_sets(), doc, lambda g: names.get(g.name))
        return (
            f"(SELECT COALESCE(json_agg({each} ORDER BY p.n), '[]') FROM "
            f"jsonb_array_elements({_content(content, 'checklist')}) WITH ORDINALITY AS p(j, n))"
        )
    return None


def version(value: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    """``InspectionItemVersion.from_version`` of the jsonb version ``value``."""

    def field(f: Field) -> str | None:
        if f.name in ("number", "status"):
            return f"({value})->{lit(f.name)}"
        return _content_field(f"({value})->'content'", f, doc)

    return obj("InspectionItemVersion", sets, doc, field)


def item(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    st = f"{row}.state"
    versions = f"{st}->'versions'"
    published = f"(({st}->>'published')::int - 1)"
    shown = (
        f"(CASE WHEN {st}->>'published' IS NOT NULL THEN {versions}->{published} "
        f"ELSE {versions}->-1 END)"
    )
    drafts = drafts_visible(_dept(row))

    def one(cond: Callable[[str], str], value: str, f: Field) -> str:
        x = aliases.next("x")
        each = version(f"{x}.j", f.sub_sets(), doc)
        return f"(SELECT {each} FROM (SELECT {value} AS j) {x} WHERE {cond(x)})"

    def field(f: Field) -> str | None:
        if f.name in ("code", "status"):
            return f"{st}->{lit(f.name)}"
        if f.name == "retiredReason":
            return f"{st}->'retired_reason'"
        if f.name == "id":
            return shapes.global_id("InspectionItem", f"({st}->>'code')")
        if f.name == "department":
            a = aliases.next("d")
            return (
                f"(SELECT {shapes.department(a, f.sub_sets(), doc)} FROM departments {a} "
                f"WHERE {a}.id = {_dept(row)})"
            )
        if f.name in ("name", "category", "targetKind", "ratioCapPercent", "suitable"):
            return _content_field(f"{shown}->'content'", f, doc)
        if f.name == "versions":
            x = aliases.next("x")
            each = version(f"{x}.j", f.sub_sets(), doc)
            return (
                f"(SELECT COALESCE(json_agg({each} ORDER BY {x}.n), '[]') FROM "
                f"jsonb_array_elements({versions}) WITH ORDINALITY AS {x}(j, n) "
                f"WHERE {x}.j->>'status' IN ({_PUBLISHED_ONCE}) OR {drafts})"
            )
        if f.name == "inForce":
            cond = f"{st}->>'status' = 'PUBLISHED' AND {st}->>'published' IS NOT NULL"
            return one(lambda x: cond, f"{versions}->{published}", f)
        if f.name == "draft":
            return one(lambda x: f"{x}.j->>'status' = 'DRAFT' AND {drafts}", f"{versions}->-1", f)
        return None

    return obj("InspectionItem", sets, doc, field)
