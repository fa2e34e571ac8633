"""Drawn inspections (检查) for the compiled path: ``Inspection`` (``api/draws/types.py``).

An inspection is public, but its team is shown to the public as the draw's pseudonyms, which
only the server can compute (``draws.public.namer``): a plan that selects ``lead``,
``officers``, ``experts`` or ``members`` is marked ``needs_staff`` and falls back for a caller
who does not see staff ids.  ``draw`` is not covered.
"""

from __future__ import annotations

from graphql import SelectionSetNode

from spotcheck.api.compiled import shapes
from spotcheck.api.compiled.selection import Doc, Field

lit, obj = shapes.lit, shapes.obj
DRAWN = "(SELECT * FROM inspections WHERE task_id IS NOT NULL)"
"""``projections.inspections.DRAWN`` as a subquery to alias."""

_COLUMNS = {
    "key": "id",
    "taskId": "task_id",
    "drawNumber": "draw_no",
    "subjectKey": "subject_key",
    "startDate": "start_date",
    "endDate": "end_date",
    "status": "status",
    "lead": "lead",
}
_ARRAYS = {"items": "items", "departments": "departments", "officers": "officers"}
_TEAM = frozenset({"lead", "officers", "experts", "members"})


def inspection(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    def field(f: Field) -> str | None:
        if f.name in _TEAM:
            aliases.needs_staff = True
        if f.name in _COLUMNS:
            return f"{row}.{_COLUMNS[f.name]}"
        if f.name in _ARRAYS or f.name == "experts":
            return f"to_json({row}.{f.name})"
        if f.name == "id":
            return shapes.global_id("Inspection", f"{row}.id")
        if f.name == "subject":
            names = {
                "key": f"{row}.subject_key",
                "name": f"(SELECT s.state->'name' FROM subjects s WHERE s.id = {row}.subject_key)",
            }
            return obj("DrawnSubject", f.sub_sets(), doc, lambda g: names.get(g.name))
        if f.name == "members":
            return _members(row, f, doc, aliases)
        return None

    return obj("Inspection", sets, doc, field)


def _members(row: str, f: Field, doc: Doc, aliases: shapes.Aliases) -> str:
    """The lead first among the officers, then the experts; staff ids (staff callers only)."""
    m = aliases.next("m")
    a = aliases.next("a")
    names = {
        "staffId": f"{m}.x",
        "role": (
            f"CASE WHEN {m}.grp = 1 THEN 'EXPERT' WHEN {m}.x = {row}.lead THEN 'LEAD' "
            "ELSE 'OFFICER' END"
        ),
        "inspector": "",
    }

    def member(g: Field) -> str | None:
        if g.name == "inspector":
            each = shapes.inspector(a, g.sub_sets(), doc, aliases)
            return f"(SELECT {each} FROM inspectors {a} WHERE {a}.id = {m}.x AND v.staff)"
        return names.get(g.name)

    each = obj("InspectionMember", f.sub_sets(), doc, member)
    return (
        f"(SELECT COALESCE(json_agg({each} ORDER BY {m}.grp, {m}.n), '[]') FROM ("
        f"SELECT 0 AS grp, o.x, o.n FROM unnest({row}.officers) WITH ORDINALITY AS o(x, n) "
        f"UNION ALL SELECT 1, e.x, e.n FROM unnest({row}.experts) WITH ORDINALITY AS e(x, n)"
        f") {m})"
    )
