"""Publication (一公开) for the compiled path: ``PublishedInspection`` and ``CreditRecord``.

Both are public.  A published result's row is ``published_results`` (``id``, ``record`` jsonb:
the ``PublishedRecord`` as msgspec wrote it, ``published_at``, ``amendment_count``); the
resolvers are ``PublishedInspection.from_row`` and ``PublicationQueries.credit_record``.
A ``DateTime`` is Python's ``isoformat`` of a UTC datetime (``+00:00``; the fraction only when
there are microseconds); an enum whose GraphQL names differ from its stored values
(``ResultCode``: ``R1`` is stored as ``1``) is mapped value by value.
"""

from __future__ import annotations

import enum

from graphql import GraphQLError, IntValueNode, NullValueNode, SelectionSetNode

from spotcheck.api.common.pagination import page_size
from spotcheck.api.compiled import shapes
from spotcheck.api.compiled.selection import Doc, Field, NotCovered
from spotcheck.domain import inspection as ins
from spotcheck.projections.publications import PROPOSALS, PUBLISHED, PUBLISHED_COLUMNS

lit, obj, state_value = shapes.lit, shapes.obj, shapes.state_value


def timestamp(x: str) -> str:
    """``datetime.isoformat()`` of a timestamptz, in UTC."""
    utc = f"({x} AT TIME ZONE 'UTC')"
    fraction = (
        f"CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END"
    )
    return f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || '+00:00')"


def enum_name(value: str, cls: type[enum.Enum]) -> str:
    """The GraphQL name of a stored enum value (jsonb ``value``)."""
    if all(m.name == m.value for m in cls):
        return value
    whens = " ".join(f"WHEN {lit(str(m.value))} THEN {lit(m.name)}" for m in cls)
    return f"(CASE ({value})#>>'{{}}' {whens} END)"


def _description(value: str) -> str:
    whens = " ".join(
        f"WHEN {lit(str(code.value))} THEN {lit(text)}"
        for code, text in ins.RESULT_CODE_DESCRIPTIONS.items()
    )
    return f"(CASE ({value})#>>'{{}}' {whens} END)"


_RECORD_DEFAULTS = shapes.defaults(ins.PublishedRecord)
_RECORD_PLAIN = {
    "inspectionId": "inspection_id",
    "taskId": "task_id",
    "taskTitle": "task_title",
    "subjectKey": "subject",
    "subjectName": "subject_name",
    "uscc": "uscc",
    "departments": "departments",
    "inspectedOn": "inspected_on",
    "approvedOn": "approved_on",
    "publishedOn": "published_on",
}


def _list(value: str, alias: str, each: str) -> str:
    """A JSON list of ``each`` over the jsonb array ``value``, in order (``alias.j``)."""
    return (
        f"(SELECT COALESCE(json_agg({each} ORDER BY {alias}.n), '[]') FROM "
        f"jsonb_array_elements({value}) WITH ORDINALITY AS {alias}(j, n))"
    )


def _item(v: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    names = {
        "item": f"{v}->'item'",
        "itemName": f"{v}->'item_name'",
        "code": enum_name(f"{v}->'code'", ins.ResultCode),
        "codeDescription": _description(f"{v}->'code'"),
        "followUp": enum_name(f"{v}->'follow_up'", ins.FollowUpKind),
        "correctBy": f"{v}->'correct_by'",
        "receivingBody": f"{v}->'receiving_body'",
    }
    return obj("PublishedItemResult", sets, doc, lambda f: names.get(f.name))


def _amendment(v: str, sets: list[SelectionSetNode], doc: Doc) -> str:
    names = {
        "number": f"{v}->'number'",
        "item": f"{v}->'item'",
        "beforeCode": enum_name(f"{v}->'before_code'", ins.ResultCode),
        "afterCode": enum_name(f"{v}->'after_code'", ins.ResultCode),
        "reason": f"{v}->'reason'",
        "amendedOn": f"{v}->'amended_on'",
    }
    return obj("PublishedAmendment", sets, doc, lambda f: names.get(f.name))


def record(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    """``PublishedRecordType.of`` over ``row.record``."""
    rec = f"{row}.record"

    def field(f: Field) -> str | None:
        if f.name in _RECORD_PLAIN:
            return f"{rec}->{lit(_RECORD_PLAIN[f.name])}"
        if f.name == "origin":
            return enum_name(f"{rec}->'origin'", ins.InspectionOrigin)
        if f.name == "items":
            a = aliases.next("i")
            return _list(f"{rec}->'items'", a, _item(f"{a}.j", f.sub_sets(), doc))
        if f.name == "amendments":
            a = aliases.next("m")
            value = f"COALESCE({rec}->'amendments', {_RECORD_DEFAULTS['amendments']})"
            return _list(value, a, _amendment(f"{a}.j", f.sub_sets(), doc))
        return None

    return obj("PublishedRecord", sets, doc, field)


def published(row: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    """``PublishedInspection.from_row``."""

    def field(f: Field) -> str | None:
        if f.name == "id":
            return shapes.global_id("PublishedInspection", f"{row}.id")
        if f.name == "key":
            return f"{row}.id"
        if f.name == "record":
            return record(row, f.sub_sets(), doc, aliases)
        if f.name == "publishedAt":
            return timestamp(f"{row}.published_at")
        if f.name == "amended":
            return f"({row}.amendment_count > 0)"
        return None

    return obj("PublishedInspection", sets, doc, field)


def credit_record(key: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    """``credit_record``: null when nothing of the subject is published; its ``inspections``
    only with literal arguments and no ``after`` (else not covered)."""
    c = aliases.next("c")

    def field(f: Field) -> str | None:
        names = {
            "subjectKey": f"{c}.subject_key",
            "subjectName": f"{c}.name",
            "uscc": f"{c}.uscc",
            "inspectionCount": f"{c}.n",
        }
        if f.name in names:
            return names[f.name]
        if f.name == "abnormalOperation":
            x = aliases.next("x")
            listing = {
                "inspectionId": f"{x}.id",
                "listedAt": timestamp(f"{x}.decided_at"),
                "removedAt": timestamp(f"{x}.removed_at"),
            }
            each = obj("AbnormalOperationListing", f.sub_sets(), doc, lambda g: listing.get(g.name))
            return (
                f"(SELECT COALESCE(json_agg({each} ORDER BY {x}.decided_at, {x}.id), '[]') "
                f"FROM {PROPOSALS} {x} WHERE {x}.subject_key = {c}.subject_key "
                f"AND {x}.status IN ('CONFIRMED', 'REMOVED'))"
            )
        if f.name == "inspections":
            return _inspections(f, c, doc, aliases)
        return None

    fields = obj("CreditRecord", sets, doc, field)
    return (
        f"(SELECT {fields} FROM (SELECT subject_key, max(uscc) AS uscc, count(*) AS n, "
        f"(array_agg(subject_name ORDER BY published_at DESC, id DESC))[1] AS name "
        f"FROM {PUBLISHED} WHERE subject_key = {key} GROUP BY subject_key) {c})"
    )


def _inspections(f: Field, c: str, doc: Doc, aliases: shapes.Aliases) -> str:
    first: int | None = None
    for arg in f.nodes[0].arguments or ():
        name, value = arg.name.value, arg.value
        if name == "first" and isinstance(value, IntValueNode):
            first = int(value.value)
        elif not isinstance(value, NullValueNode):
            raise NotCovered("creditRecord.inspections(after or a variable)")
    try:
        n = page_size(first)
    except GraphQLError:
        raise NotCovered("first out of range") from None
    r = aliases.next("q")
    page = (
        f"SELECT {PUBLISHED_COLUMNS} FROM {PUBLISHED} WHERE subject_key = {c}.subject_key "
        f"ORDER BY id LIMIT {n + 1}"
    )

    def node(row: str, sub: list[SelectionSetNode]) -> str:
        return published(row, sub, doc, aliases)

    return shapes.connection("PublishedInspection", node, f.sub_sets(), doc, page, str(n), r)
