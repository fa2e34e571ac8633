"""查询成本 What a query may cost, computed before anything runs.

Depth, alias and token limits do not bound a query's work: nested lists multiply (30 aliases of
``inspections(first: 100) { … draw { strata { picks … } } }`` returned 5.5 MB).  So every
operation is priced from its document and variables before execution:

- each field costs 1, plus the cost of its selection;
- a list of scalars or enums costs 1 (it comes as one value); a list of objects costs the
  above times the number of items it may return: for a page field (one with
  a ``first`` argument) its ``first`` (the argument's value, its default, or ``DEFAULT_PAGE``,
  at most ``MAX_PAGE``) multiplies the lists directly inside its result (``nodes``, ``edges``,
  ``entries``), or the field itself when it returns a list; any other list of objects counts
  its declared bound (``LIST_BOUNDS``, for lists small by construction) or ``DEFAULT_LIST``;
- fragments are priced where they are spread; a field the schema does not have costs nothing
  here (validation refuses it).

An operation over the caller's budget is refused with ``QUERY_TOO_COSTLY`` naming the cost and
the budget.  Budgets per kind of caller, configurable: ``SPOTCHECK_COST_BUDGET_PUBLIC`` (the
public, lowest) and ``SPOTCHECK_COST_BUDGET_STAFF``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
)

from spotcheck.api.common.pagination import DEFAULT_PAGE, MAX_PAGE

DEFAULT_LIST = 10
"""Objects assumed in a list without a page argument or a declared bound."""
LIST_BOUNDS: dict[tuple[str, str], int] = {
    # Lists inside a type that are small by construction, priced at their bound.  A draw's
    # large lists (a stratum's picks, its unmatched subjects and replacements) are pages,
    # priced by their ``first`` like any other.
    ("Draw", "strata"): 4,  # 信用风险分类 A-D, or the one stratum ALL
    ("Draw", "sources"): 20,  # domain.draw.MAX_SOURCES
    ("Draw", "entropy"): 20,  # one value per source
}
PAGE_LISTS = frozenset({"nodes", "edges", "entries"})

DEFAULT_BUDGET_PUBLIC = 100_000
DEFAULT_BUDGET_STAFF = 1_000_000


@dataclass(frozen=True)
class Budgets:
    public: int = DEFAULT_BUDGET_PUBLIC
    staff: int = DEFAULT_BUDGET_STAFF

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Budgets:
        def read(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) < 100:
                raise ValueError(f"{name} must be a whole number, at least 100")
            return int(raw)

        return cls(
            public=read("SPOTCHECK_COST_BUDGET_PUBLIC", DEFAULT_BUDGET_PUBLIC),
            staff=read("SPOTCHECK_COST_BUDGET_STAFF", DEFAULT_BUDGET_STAFF),
        )


class _Pricer:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def selection(
        self,
        node: SelectionSetNode,
        parent: GraphQLNamedType,
        page: int | None,
        spreading: frozenset[str],
    ) -> int:
        total = 0
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                total += self.field(sel, parent, page, spreading)
            elif isinstance(sel, InlineFragmentNode):
                inner = parent
                if sel.type_condition is not None:
                    inner = self.schema.get_type(sel.type_condition.name.value) or parent
                total += self.selection(sel.selection_set, inner, page, spreading)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreading:
                    continue  # unknown or cyclic: validation refuses the document
                inner = self.schema.get_type(fragment.type_condition.name.value) or parent
                total += self.selection(fragment.selection_set, inner, page, spreading | {name})
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, page: int | None, spreading: frozenset[str]
    ) -> int:
        name = node.name.value
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1 if name.startswith("__") else 0
        output = definition.type
        if isinstance(output, GraphQLNonNull):
            output = output.of_type
        is_list = isinstance(output, GraphQLList)
        named = output
        while isinstance(named, GraphQLList | GraphQLNonNull):
            named = named.of_type
        first = self.first(node, definition.args) if "first" in definition.args else None
        if is_list and is_leaf_type(named):
            return 1  # a list of codes or numbers comes as one value: no fan-out below it
        if is_list:
            if first is not None:
                count = first
            elif page is not None and name in PAGE_LISTS:
                count = page
            else:
                count = LIST_BOUNDS.get((parent.name, name), DEFAULT_LIST)
        else:
            count = 1
        child_page = first if first is not None and not is_list else None
        inner = 0
        if node.selection_set is not None:
            assert isinstance(named, GraphQLNamedType)
            inner = self.selection(node.selection_set, named, child_page, spreading)
        return count * (1 + inner)

    def first(self, node: FieldNode, args: Mapping[str, Any]) -> int:
        value: Any = None
        given = next((a for a in node.arguments or () if a.name.value == "first"), None)
        if given is None:
            default = args["first"].default_value
            value = default if isinstance(default, int) else None
        elif isinstance(given.value, IntValueNode):
            value = int(given.value.value)
        elif isinstance(given.value, VariableNode):
            value = self.variables.get(given.value.name.value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_PAGE
        return max(0, min(value, MAX_PAGE))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    """The cost of the operation the request runs (0 if there is none to run)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    op = operations[0]
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[op.operation]
    if root is None:
        return 0
    return _Pricer(schema, document, variables).selection(op.selection_set, root, None, frozenset())
