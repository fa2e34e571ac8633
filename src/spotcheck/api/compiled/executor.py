"""Compile a validated query once into one SQL statement; run it with the caller's values.

``CompiledOperations.plan`` validates the document with the general path's rules and compiles
the chosen operation, or answers None when any part is not covered; both answers are cached
by (document text, operation name) in a bounded LRU.  ``execute`` coerces the variables and
the root fields' arguments with graphql-core (as the general executor does), checks them with
the same functions the resolvers use (``page_size``, ``decode_cursor``, ``list_query``), and
runs one statement whose ``json_build_object`` is the whole ``data``.  Any error there (a bad
argument, a variable that does not coerce) returns None: the general executor then answers,
errors and all.  The statement's first four parameters are the caller (``v.staff``,
``v.reads_all``, ``v.dept``) and the configured regions (``v.regions``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    specified_rules,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.relay.types import GlobalID, GlobalIDValueError
from strawberry.utils.str_converters import to_camel_case

from spotcheck.api.common.nodes import MAX_NODES
from spotcheck.api.common.pagination import decode_cursor, page_size
from spotcheck.api.compiled import inspections as insp
from spotcheck.api.compiled import items, shapes
from spotcheck.api.compiled import publications as pub
from spotcheck.api.compiled.selection import Doc, NotCovered, collect
from spotcheck.api.context import Context
from spotcheck.api.draws.queries import InspectionFilter, inspections_query
from spotcheck.api.inspectors.queries import LIST as INSPECTOR_LIST
from spotcheck.api.items.queries import ITEMS
from spotcheck.api.items.types import may_see_drafts
from spotcheck.api.publications.queries import PublishedResultFilter, published_query
from spotcheck.api.schema import LIMIT_RULES
from spotcheck.api.subjects.queries import SubjectFilter, list_query
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Role
from spotcheck.projections.publications import PUBLISHED

DEFAULT_MAX_PLANS = 256
_PARAM = re.compile(r"\$(\d+)")
_EMPTY_PAGE = "SELECT NULL::text AS id, NULL::jsonb AS state WHERE false"
_KEY = "@@KEY@@"
_VALUES = (
    "(SELECT $1::boolean AS staff, $2::boolean AS reads_all, $3::text AS dept, "
    "$4::jsonb AS regions, $5::text AS user_id, $6::boolean AS is_admin, "
    "$7::text AS admin_dept) v"
)


class Fallback(Exception):
    """This request's values need the general executor (it reports the error)."""


Args = dict[str, Any]
T = TypeVar("T")
Templates = Mapping[str, str]
Fill = Callable[[Templates, Args, Context, list[Any]], str]


@dataclass(frozen=True)
class Root:
    """A root field: its response key, its SQL with placeholders (one per node type for
    ``node`` and ``nodes``, else one under ``""``), and how to fill them."""

    key: str
    node: FieldNode
    field: GraphQLField | None
    templates: Templates
    fill: Fill
    needs_staff: bool = False


@dataclass(frozen=True)
class Plan:
    operation: OperationDefinitionNode
    roots: tuple[Root, ...]


def _renumber(sql: str, offset: int) -> str:
    return _PARAM.sub(lambda m: f"${int(m.group(1)) + offset}", sql)


def _input(cls: type[T], given: Mapping[str, Any] | None) -> T:
    """A strawberry input object from graphql-core's coerced value (keyed by GraphQL names)."""
    if given is None:
        return cls()
    names = {
        f.graphql_name or to_camel_case(f.python_name): f.python_name
        for f in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }
    return cls(**{names[k]: v for k, v in given.items()})


def _fill_subjects(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``SubjectQueries.subjects``: the same checks in the same order, then the same page."""
    n, after = _paging(args)
    page = _EMPTY_PAGE
    if context.actor.is_staff:
        try:
            sql, page_args = list_query(_input(SubjectFilter, args.get("filter")), after, n + 1)
        except GraphQLError:
            raise Fallback from None
        page = _renumber(sql, len(params))
        params.extend(page_args)
    return _page(templates[""], page, n, params)


def _paging(args: Args) -> tuple[int, str | None]:
    """``first`` and the key ``after`` names, checked as every list resolver checks them."""
    try:
        return page_size(args.get("first")), decode_cursor(args.get("after"))
    except GraphQLError:
        raise Fallback from None


def _page(template: str, page: str, n: int, params: list[Any]) -> str:
    params.append(n)
    return template.replace(shapes.PAGE, page).replace(shapes.LIMIT, f"${len(params)}::integer")


def _fill_published(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``PublicationQueries.published_results`` (``published_page``): public."""
    n, after = _paging(args)
    try:
        sql, page_args = published_query(
            _input(PublishedResultFilter, args.get("filter")), after, n + 1
        )
    except GraphQLError:
        raise Fallback from None
    page = _renumber(sql, len(params))
    params.extend(page_args)
    return _page(templates[""], page, n, params)


def _fill_inspection_items(
    templates: Templates, args: Args, context: Context, params: list[Any]
) -> str:
    """``ItemQueries.inspection_items``: the resolver's statement and visibility arguments."""
    n, after = _paging(args)
    actor = context.actor
    f = args.get("filter") or {}
    category, target_kind, status = f.get("category"), f.get("targetKind"), f.get("status")
    own = [actor.department] if actor.department and may_see_drafts(actor, actor.department) else []
    page = _renumber(ITEMS, len(params))
    params.extend(
        [
            after,
            f.get("department"),
            category.value if category else None,
            target_kind.value if target_kind else None,
            status.value if status else None,
            actor.reads_everything,
            own,
            n + 1,
        ]
    )
    return _page(templates[""], page, n, params)


def _fill_inspection_item(
    templates: Templates, args: Args, context: Context, params: list[Any]
) -> str:
    return _by_key(templates[""], args["code"], params)


def _fill_inspections(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``DrawQueries.inspections``: a staffId filter is for staff only (else the general
    executor reports it)."""
    n, after = _paging(args)
    f = _input(InspectionFilter, args.get("filter"))
    if f.staff_id is not None and not context.actor.is_staff:
        raise Fallback
    sql, page_args = inspections_query(f, after, n + 1)
    page = _renumber(sql, len(params))
    params.extend(page_args)
    return _page(templates[""], page, n, params)


def _fill_inspection(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    return _by_key(templates[""], args["key"], params)


def _fill_credit_record(
    templates: Templates, args: Args, context: Context, params: list[Any]
) -> str:
    return _by_key(templates[""], s.normalise_key(args["subject"]), params)


def _fill_departments(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``DepartmentQueries.departments``: every department, by code, optionally by membership."""
    n, after = _paging(args)
    member = (args.get("filter") or {}).get("member")
    params.extend([after, member, n + 1])
    k = len(params)
    page = (
        f"SELECT id, state FROM departments WHERE (${k - 2}::text IS NULL OR id > ${k - 2})"
        f" AND (${k - 1}::boolean IS NULL OR member = ${k - 1}) ORDER BY id LIMIT ${k}"
    )
    return _page(templates[""], page, n, params)


def _fill_inspectors(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``InspectorQueries.inspectors``: staff only, the resolver's own statement."""
    n, after = _paging(args)
    if not context.actor.is_staff:
        return _page(templates[""], _EMPTY_PAGE, n, params)
    f = args.get("filter") or {}
    kind, status, expertise = f.get("kind"), f.get("status"), f.get("expertise")
    valid_on = f.get("certificateValidOn")
    page = _renumber(INSPECTOR_LIST, len(params))
    params.extend(
        [
            after,
            f.get("department"),
            kind.value if kind else None,
            status.value if status else None,
            [expertise] if expertise is not None else None,
            valid_on.isoformat() if valid_on else None,
            n + 1,
        ]
    )
    return _page(templates[""], page, n, params)


def _by_key(template: str, key: str, params: list[Any]) -> str:
    params.append(key)
    return template.replace(_KEY, f"${len(params)}::text")


def _fill_subject(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    """``SubjectQueries.subject``: staff only, by the normalised key."""
    return _by_key(templates[""], s.normalise_key(args["key"]), params)


def _fill_department(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    return _by_key(templates[""], args["code"], params)


def _fill_inspector(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    return _by_key(templates[""], args["staffId"], params)


def _fill_constant(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    return templates[""]


def _one_node(templates: Templates, given: object, params: list[Any]) -> str:
    """``NodeQueries``: a node of a covered type by its key (``resolve_nodes``, which takes the
    key as given); an id that does not parse or names another type: the general executor."""
    try:
        gid = GlobalID.from_id(str(given))
    except GlobalIDValueError:
        raise Fallback from None
    template = templates.get(gid.type_name)
    if template is None:
        raise Fallback
    return _by_key(template, gid.node_id, params)


_NODE_TYPES = {
    "Subject": "subject",
    "Department": "department",
    "Inspector": "inspector",
    "InspectionItem": "inspectionItem",
    "Inspection": "inspection",
}


def _by_key_sql(root: str, sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> str:
    table, visible, emit, _ = _BY_KEY[root]
    return f"(SELECT {emit('r', sets, doc, aliases)} FROM {table} r WHERE r.id = {_KEY}{visible})"


def _node_templates(sets: list[SelectionSetNode], doc: Doc, aliases: shapes.Aliases) -> Templates:
    """The covered node types' subqueries, one template per type (``resolve_nodes``: the same
    visibility as the typed root field)."""
    out: dict[str, str] = {}
    for type_name, root in _NODE_TYPES.items():
        out[type_name] = _by_key_sql(root, sets, doc, aliases)
    out["PublishedInspection"] = (
        f"(SELECT {pub.published('r', sets, doc, aliases)} FROM {PUBLISHED} r WHERE r.id = {_KEY})"
    )
    return out


def _fill_node(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    return _one_node(templates, args["id"], params)


def _fill_nodes(templates: Templates, args: Args, context: Context, params: list[Any]) -> str:
    ids = args["ids"]
    if len(ids) > MAX_NODES:
        raise Fallback
    items = [_one_node(templates, i, params) for i in ids]
    if not items:
        return "'[]'::json"
    return "json_build_array(" + ", ".join(items) + ")"


Node = Callable[[str, list[SelectionSetNode], Doc, shapes.Aliases], str]


def _department(row: str, sets: list[SelectionSetNode], doc: Doc, _: shapes.Aliases) -> str:
    return shapes.department(row, sets, doc)


# Connections: (node type, node's SQL, fill); by key: (table, staff only, node's SQL, fill).
_LISTS: dict[str, tuple[str, Node, Fill]] = {
    "subjects": ("Subject", shapes.subject, _fill_subjects),
    "departments": ("Department", _department, _fill_departments),
    "inspectors": ("Inspector", shapes.inspector, _fill_inspectors),
    "publishedResults": ("PublishedInspection", pub.published, _fill_published),
    "inspectionItems": ("InspectionItem", items.item, _fill_inspection_items),
    "inspections": ("Inspection", insp.inspection, _fill_inspections),
}
_STAFF = " AND v.staff"
_BY_KEY: dict[str, tuple[str, str, Node, Fill]] = {
    "subject": ("subjects", _STAFF, shapes.subject, _fill_subject),
    "department": ("departments", "", _department, _fill_department),
    "inspector": ("inspectors", _STAFF, shapes.inspector, _fill_inspector),
    "inspectionItem": (
        "inspection_items",
        f" AND {items.item_visible('r')}",
        items.item,
        _fill_inspection_item,
    ),
    "inspection": (insp.DRAWN, "", insp.inspection, _fill_inspection),
}


def _root(
    schema: GraphQLSchema, key: str, node: FieldNode, sets: list[SelectionSetNode], doc: Doc
) -> Root:
    name = node.name.value
    if name == "__typename":
        return Root(key, node, None, {"": "'Query'"}, _fill_constant)
    query_type = schema.query_type
    assert query_type is not None
    field = query_type.fields.get(name)
    if field is None:
        raise NotCovered(f"Query.{name}")
    aliases = shapes.Aliases()
    if name in _LISTS:
        type_name, emit, fill = _LISTS[name]

        def each(row: str, sub: list[SelectionSetNode]) -> str:
            return emit(row, sub, doc, aliases)

        sql = shapes.connection(type_name, each, sets, doc)
        return Root(key, node, field, {"": sql}, fill, aliases.needs_staff)
    if name in _BY_KEY:
        sql = _by_key_sql(name, sets, doc, aliases)
        return Root(key, node, field, {"": sql}, _BY_KEY[name][3], aliases.needs_staff)
    if name == "creditRecord":
        sql = pub.credit_record(_KEY, sets, doc, aliases)
        return Root(key, node, field, {"": sql}, _fill_credit_record)
    if name in ("node", "nodes"):
        fill = _fill_node if name == "node" else _fill_nodes
        templates = _node_templates(sets, doc, aliases)
        return Root(key, node, field, templates, fill, aliases.needs_staff)
    raise NotCovered(f"Query.{name}")


def supertypes(schema: GraphQLSchema) -> dict[str, frozenset[str]]:
    """For each object type, the type conditions that match it: itself, its interfaces and
    the unions it is a member of."""
    out: dict[str, frozenset[str]] = {}
    for name, t in schema.type_map.items():
        if isinstance(t, GraphQLObjectType):
            unions = [
                u.name
                for u in schema.type_map.values()
                if isinstance(u, GraphQLUnionType) and t in u.types
            ]
            out[name] = frozenset([name, *(i.name for i in t.interfaces), *unions])
    return out


def compile_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    conditions: Mapping[str, frozenset[str]] | None = None,
) -> Plan | None:
    """The operation's plan, or None when the general executor must run it (not valid, not a
    query, or any part not covered)."""
    if validate(schema, document, [*specified_rules, *LIMIT_RULES]):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    doc = Doc(fragments, supertypes(schema) if conditions is None else conditions)
    try:
        roots = tuple(
            _root(schema, f.key, f.nodes[0], f.sub_sets(), doc)
            for f in collect([operation.selection_set], "Query", doc)
        )
        shapes.build([(r.key, "") for r in roots])  # the root object's key limit
    except NotCovered:
        return None
    return Plan(operation, roots)


class CompiledOperations:
    """Plans by (document text, operation name), at most ``maxsize``, least recently used
    dropped first; None cached too, so an uncovered document is validated once."""

    def __init__(self, schema: GraphQLSchema, maxsize: int = DEFAULT_MAX_PLANS) -> None:
        self.schema = schema
        self.maxsize = maxsize
        self.conditions = supertypes(schema)
        self.plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def plan(self, query: str, operation_name: str | None, document: DocumentNode) -> Plan | None:
        key = (query, operation_name)
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        found = compile_operation(self.schema, document, operation_name, self.conditions)
        self.plans[key] = found
        while len(self.plans) > self.maxsize:
            self.plans.popitem(last=False)
        return found

    def statement(
        self, plan: Plan, variables: Mapping[str, Any] | None, context: Context
    ) -> tuple[str, list[Any]] | None:
        """The SQL and its parameters for this request, or None to fall back."""
        values = get_variable_values(
            self.schema, plan.operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(values, list):
            return None
        actor = context.actor
        params: list[Any] = [
            actor.is_staff,
            actor.reads_everything,
            actor.department,
            {code: r.name for code, r in context.regions.items()},
            actor.user_id,
            actor.is_admin,
            actor.department if Role.DEPARTMENT_ADMIN in actor.roles else None,
        ]
        pairs: list[tuple[str, str]] = []
        try:
            for root in plan.roots:
                if root.needs_staff and not actor.is_staff:
                    return None
                args = get_argument_values(root.field, root.node, values) if root.field else {}
                pairs.append((root.key, root.fill(root.templates, args, context, params)))
        except (Fallback, GraphQLError):
            return None
        return f"SELECT {shapes.build(pairs)}::text FROM {_VALUES}", params

    async def execute(
        self, plan: Plan, variables: Mapping[str, Any] | None, context: Context
    ) -> dict[str, Any] | None:
        """The response's ``data``, or None to fall back to the general executor."""
        statement = self.statement(plan, variables, context)
        if statement is None:
            return None
        sql, params = statement
        text = await context.pool.fetchval(sql, *params)
        data: dict[str, Any] = orjson.loads(text)
        return data
