"""The recorded shape of every event type at every schema version (``event-shapes.json``), and
the guard that compares today's structs with it (``test_event_shapes.py``).

A shape is the struct's JSON schema (``msgspec.json.schema``, nested structs and enums
included, titles and descriptions left out).  At an event type's current version:

- the same shape: fine;
- only new fields with defaults (or new enum values, or a required field made optional): old
  events still decode; allowed, but record the new shape;
- anything else (a field removed, renamed, retyped, or added without a default): stored events
  would no longer decode, or decode to something else.  Bump the struct's ``schema_version``
  and add an upcaster from the old version (docs/event-store.md, "Changing an event").

Every recorded version older than the current one must have an upcaster in its aggregate's
``SPEC.upcasters``.  Record today's shapes (refused for a change that needs a version bump):

    PYTHONPATH=src python -m tests.vectors.event_shapes --write
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from spotcheck.domain.aggregate import AggregateSpec, Event
from spotcheck.services.catalog import AGGREGATES, PROJECTED

SHAPES = Path(__file__).with_name("event-shapes.json")
WRITE = "PYTHONPATH=src python -m tests.vectors.event_shapes --write"
Shapes = dict[str, dict[str, Any]]
"""By event type, by schema version (as text): the shape."""


def catalog_specs() -> list[AggregateSpec[Any]]:
    return list({id(spec): spec for spec, _ in (*AGGREGATES, *PROJECTED)}.values())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("title", "description")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def shape(cls: type[Event]) -> dict[str, Any]:
    """As JSON values (a tuple default reads as a list, as it does from the file)."""
    return _plain(json.loads(msgspec.json.encode(msgspec.json.schema(cls))))  # type: ignore[no-any-return]


def recorded() -> Shapes:
    return json.loads(SHAPES.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _change(old: dict[str, Any], new: dict[str, Any]) -> tuple[bool, list[str]]:
    """(additive, what changed) between two shapes."""
    if old["$ref"] != new["$ref"]:
        return False, ["the struct's schema name"]
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    additive, notes = True, []
    for name, o in old_defs.items():
        n = new_defs.get(name)
        if n == o:
            continue
        if n is None:
            additive = False
            notes.append(f"{name} is gone")
        elif "enum" in o and "enum" in n and set(o["enum"]) <= set(n["enum"]):
            notes.append(f"{name} gained values {sorted(set(n['enum']) - set(o['enum']))}")
        elif "properties" in o and "properties" in n:
            op, np_ = o["properties"], n["properties"]
            gone = [f for f in op if f not in np_]
            changed = [f for f in op if f in np_ and op[f] != np_[f]]
            added = [f for f in np_ if f not in op]
            required_new = [f for f in n.get("required", []) if f not in o.get("required", [])]
            rest = {k: v for k, v in o.items() if k not in ("properties", "required")}
            same_rest = rest == {k: v for k, v in n.items() if k not in ("properties", "required")}
            if gone or changed or required_new or not same_rest:
                additive = False
            notes.extend(f"{name}.{f} removed" for f in gone)
            notes.extend(f"{name}.{f} changed type" for f in changed)
            notes.extend(
                f"{name}.{f} added "
                + ("WITHOUT a default" if f in required_new else "with a default")
                for f in added
            )
            notes.extend(f"{name}.{f} now required" for f in required_new if f not in added)
            if not same_rest:
                notes.append(f"{name} changed otherwise")
        else:
            additive = False
            notes.append(f"{name} changed")
    return additive, notes


def problems(shapes: Shapes, specs: Iterable[AggregateSpec[Any]], write: str = WRITE) -> list[str]:
    """What is wrong between today's event structs and the recorded shapes (empty: nothing)."""
    out: list[str] = []
    current: dict[str, tuple[AggregateSpec[Any], type[Event]]] = {}
    upcasters: dict[tuple[str, int], AggregateSpec[Any]] = {}
    for spec in specs:
        for cls in spec.events:
            current[cls.__name__] = (spec, cls)
        upcasters.update(dict.fromkeys(spec.upcasters, spec))
    for name, (spec, cls) in sorted(current.items()):
        version = cls.schema_version
        versions = shapes.get(name, {})
        now = shape(cls)
        was = versions.get(str(version))
        if was is None:
            out.append(f"{name} v{version} has no recorded shape: record it with `{write}`")
        elif was != now:
            additive, notes = _change(was, now)
            if additive:
                out.append(
                    f"{name} v{version} changed compatibly ({'; '.join(notes)}): additive"
                    f" changes are allowed but must be recorded: run `{write}`"
                )
            else:
                out.append(
                    f"{name} v{version} changed shape ({'; '.join(notes)}) without a version"
                    f" bump: stored v{version} events would not decode. Set `schema_version ="
                    f" {version + 1}` on {cls.__qualname__}, add an upcaster for ({name!r},"
                    f" {version}) to {spec.name}'s SPEC.upcasters (docs/event-store.md,"
                    f' "Changing an event"), then run `{write}`'
                )
        for v in range(1, version):
            if (name, v) not in upcasters and str(v) in versions:
                out.append(f"{name} v{v} is recorded but has no upcaster to v{v + 1}")
    for name, versions in sorted(shapes.items()):
        if name in current:
            continue
        for v in map(int, versions):  # a retired (renamed, split) type: its events are stored
            if (name, v) not in upcasters:
                out.append(f"{name} v{v} has no struct any more and no upcaster to v{v + 1}")
    return out


def _merged(shapes: Shapes, specs: Iterable[AggregateSpec[Any]]) -> tuple[Shapes, list[str]]:
    """Today's shapes added to ``shapes``; the changes refused (they need a version bump)."""
    out = {name: dict(versions) for name, versions in shapes.items()}
    refused = []
    for spec in specs:
        for cls in spec.events:
            key, now = str(cls.schema_version), shape(cls)
            was = out.get(cls.__name__, {}).get(key)
            if was is not None and was != now and not _change(was, now)[0]:
                refused.append(f"{cls.__name__} v{key}: {'; '.join(_change(was, now)[1])}")
                continue
            out.setdefault(cls.__name__, {})[key] = now
    return {
        n: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for n, v in sorted(out.items())
    }, refused


def main() -> int:
    parser = argparse.ArgumentParser(description="record or check the event shapes")
    parser.add_argument("--write", action="store_true", help=f"record today's shapes in {SHAPES}")
    args = parser.parse_args()
    specs = catalog_specs()
    shapes = recorded() if SHAPES.exists() else {}
    if not args.write:
        found = problems(shapes, specs)
        print("\n".join(found) or "event shapes: as recorded")
        return 1 if found else 0
    merged, refused = _merged(shapes, specs)
    if refused:
        print(
            "not recorded: these changed shape at the same version; bump the version and add"
            " an upcaster first:\n" + "\n".join(refused),
            file=sys.stderr,
        )
        return 1
    SHAPES.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {sum(len(v) for v in merged.values())} shapes of {len(merged)} event types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
