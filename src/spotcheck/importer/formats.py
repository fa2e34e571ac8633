"""Reading import files: CSV (UTF-8, header row; a BOM is allowed) or JSON Lines.

Both give one ``Row`` per record with its 1-based line number, so a reject names the line.
In CSV every value is text; list columns hold ``|``-separated values and an empty cell is null.
In JSON Lines values keep their JSON types and lists are arrays.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson


class Row(msgspec.Struct, frozen=True):
    """One record (a msgspec struct: a million are made per import, eight times faster than
    a frozen dataclass)."""

    line: int
    values: dict[str, Any]
    error: str | None = None
    """Set when the record itself could not be read (bad JSON, wrong column count)."""


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def read_rows(path: Path, fmt: str | None = None) -> Iterator[Row]:
    if detect_format(path, fmt) == "jsonl":
        yield from _jsonl(path)
    else:
        yield from _csv(path)


def _jsonl(path: Path) -> Iterator[Row]:
    with path.open("rb") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Row(n, {}, f"not JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield Row(n, {}, "each line must be a JSON object")
                continue
            yield Row(n, value)


def _csv(path: Path) -> Iterator[Row]:
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        width = len(header)
        for record in reader:
            n = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != width:
                yield Row(n, {}, f"{len(record)} columns, the header has {width}")
                continue
            yield Row(n, {h: (v if v != "" else None) for h, v in zip(header, record, strict=True)})


def split_list(value: Any) -> list[str]:
    """A list column: a JSON array, or ``a|b|c`` text; null or empty gives []."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split("|") if part.strip()]


def write_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(
            {
                k: ("|".join(v) if isinstance(v, list) else ("" if v is None else v))
                for k, v in r.items()
            }
        )
    return out.getvalue()
