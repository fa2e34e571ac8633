"""A validated operation's selections, merged the way GraphQL executes them.

``collect`` groups the fields of one or more selection sets on an object type by response
key (alias or name), in the order their keys first appear, following fragment spreads and
inline fragments on that same type, exactly as graphql-core's ``collect_fields`` does for an
object type without directives (a fragment on a type that does not match is skipped).  A
directive anywhere raises ``NotCovered``: the request then goes to the general executor, whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


class NotCovered(Exception):
    """The compiled path does not serve this operation; the general executor does."""


@dataclass(frozen=True)
class Field:
    """One response key of a selection set: its field name and every node asking for it."""

    key: str
    name: str
    nodes: tuple[FieldNode, ...]

    def sub_sets(self) -> list[SelectionSetNode]:
        return [n.selection_set for n in self.nodes if n.selection_set is not None]


@dataclass(frozen=True)
class Doc:
    """The document's fragments, and for each object type the type conditions that match it
    (itself and the interfaces and unions it belongs to)."""

    fragments: Mapping[str, FragmentDefinitionNode]
    supertypes: Mapping[str, frozenset[str]]

    def applies(self, condition: str | None, type_name: str) -> bool:
        return condition is None or condition in self.supertypes.get(type_name, {type_name})


def collect(sets: Sequence[SelectionSetNode], type_name: str, doc: Doc) -> list[Field]:
    """The merged fields of ``sets`` on the object type ``type_name``; a fragment whose type
    condition does not match it is skipped, as graphql-core does."""
    grouped: dict[str, list[FieldNode]] = {}

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> None:
        for sel in selection_set.selections:
            if sel.directives:
                raise NotCovered("directive")
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                grouped.setdefault(key, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                condition = sel.type_condition.name.value if sel.type_condition else None
                if doc.applies(condition, type_name):
                    walk(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in seen:  # a spread already applied here adds nothing (as graphql-core)
                    continue
                frag = doc.fragments.get(name)
                if frag is None or frag.directives:
                    raise NotCovered("fragment")
                if doc.applies(frag.type_condition.name.value, type_name):
                    walk(frag.selection_set, seen | {name})
            else:  # pragma: no cover - no other selection kind exists
                raise NotCovered("selection kind")

    for s in sets:
        walk(s, frozenset())
    return [Field(key, nodes[0].name.value, tuple(nodes)) for key, nodes in grouped.items()]
