"""Output types filled from the domain's state struct by field name.

``Type(**state_fields(Type, state), ...)`` reads every plain field of the GraphQL type (one
without a resolver, not private: not starting with ``_``) from the state's attribute of the
same name, copying lists.  Fields with a resolver (personal data, references loaded on demand)
and private fields are the caller's.  A plain field the state lacks raises ``AttributeError``
naming it the first time the type is built.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _plain(node: type) -> tuple[str, ...]:
    fields = node.__strawberry_definition__.fields  # type: ignore[attr-defined]
    return tuple(
        f.python_name
        for f in fields
        if f.base_resolver is None and not f.python_name.startswith("_")
    )


def state_fields(node: type, state: object) -> dict[str, Any]:
    """The plain fields of GraphQL type ``node``, read from ``state``."""
    out: dict[str, Any] = {}
    for name in _plain(node):
        value = getattr(state, name)
        out[name] = list(value) if isinstance(value, list) else value
    return out
