"""An import file cut into batches of lines, for worker processes to read and parse themselves.

The importing process only finds where each batch begins and ends (a byte range on a record
boundary) and how many lines come before it; a worker reads that range and gives the same
``Row`` values, line numbers and errors as :func:`spotcheck.importer.formats.read_rows`.

A batch holds up to ``lines`` lines of the file, cut after a newline.  In JSON Lines every
newline ends a record.  In CSV a newline ends a record unless it is inside a quoted field,
which needs a quote: a range without any ``"`` is cut at its last newline as it is; a range
with quotes is cut after its last whole record, which the ``csv`` module itself finds (a
sentinel line after the range shows whether the range ended inside a quoted field).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from spotcheck.importer.formats import Row, detect_format

_BOM = b"\xef\xbb\xbf"
_READ = 1 << 20
_SENTINEL = "\ue000spotcheck: end of range\ue000"


@dataclass(frozen=True)
class Chunk:
    """Whole records of a file: bytes ``start`` to ``end``, after ``line`` lines."""

    start: int
    end: int
    line: int


@dataclass(frozen=True)
class Layout:
    """What a worker needs besides the chunk: the file, its format and the CSV header."""

    path: Path
    fmt: str
    header: tuple[str, ...]


def _line_breaks(data: bytes) -> int:
    """Lines ended in ``data`` as the ``csv`` reader counts them (``\\n``, ``\\r\\n``, ``\\r``)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _whole_lines(text: str) -> int:
    """How many leading lines of ``text`` hold only whole CSV records."""
    reader = csv.reader(io.StringIO(text + _SENTINEL + "\n", newline=""))
    ends = [0, 0]
    for _ in reader:
        ends.append(reader.line_num)
    # The last record is the sentinel alone when ``text`` ended between records; otherwise
    # it began inside ``text``, where the record before it ended.
    return ends[-2]


class _Reader:
    """A binary file read forward in pieces of whole lines."""

    def __init__(self, f: BinaryIO, offset: int) -> None:
        self.f = f
        self.buf = b""
        self.offset = offset  # of buf[0] in the file
        self.eof = False

    def peek_lines(self, n: int) -> bytes:
        """Up to ``n`` lines ending in a newline from here (fewer, or the rest, at the end)."""
        i, found = 0, 0
        while found < n:
            j = self.buf.find(b"\n", i)
            if j < 0:
                if self.eof:
                    return self.buf
                more = self.f.read(_READ)
                if not more:
                    self.eof = True
                self.buf += more
                continue
            i, found = j + 1, found + 1
        return self.buf[:i]

    def take(self, size: int) -> None:
        self.buf = self.buf[size:]
        self.offset += size


def chunks(path: Path, fmt: str | None, lines: int) -> tuple[Layout, Iterator[Chunk]] | None:
    """The file's layout and its batches of at most ``lines`` lines (more when one CSV record
    spans more); None for a CSV file without a header."""
    fmt = detect_format(path, fmt)
    f = path.open("rb")
    if fmt == "jsonl":
        return Layout(path, fmt, ()), _chunks(f, _Reader(f, 0), 0, lines, csv_quotes=False)
    start = 3 if f.read(3) == _BOM else 0  # read_rows decodes CSV as utf-8-sig
    f.seek(start)
    reader = _Reader(f, start)
    n = 1
    while True:  # the header is the first record, which may span lines (quoted newlines)
        data = reader.peek_lines(n)
        if not data:
            f.close()
            return None
        text = data.decode("utf-8")
        at_end = reader.eof and len(data) == len(reader.buf)
        record, used = _first_record(text, whole=at_end)
        if record is not None:
            break
        if at_end:
            f.close()
            return None
        n *= 2
    header_bytes = _prefix_bytes(text, used)
    reader.take(len(header_bytes))
    header = tuple(h.strip() for h in record)
    return Layout(path, fmt, header), _chunks(
        f, reader, _line_breaks(header_bytes), lines, csv_quotes=True
    )


def _first_record(text: str, *, whole: bool) -> tuple[list[str] | None, int]:
    """The first CSV record of ``text`` and the lines it takes; None if it may go on after
    ``text`` (unless ``whole``: ``text`` is the rest of the file)."""
    reader = csv.reader(io.StringIO(text if whole else text + _SENTINEL + "\n", newline=""))
    first = next(reader, None)
    if first is None:
        return None, 0
    used = reader.line_num
    if not whole and next(reader, None) is None:  # the sentinel is in it
        return None, 0
    return first, used


def _prefix_bytes(text: str, lines: int) -> bytes:
    return "".join(io.StringIO(text, newline="").readlines()[:lines]).encode()


def _chunks(
    f: BinaryIO, reader: _Reader, line: int, lines: int, *, csv_quotes: bool
) -> Iterator[Chunk]:
    with f:
        while True:
            n = lines
            while True:
                data = reader.peek_lines(n)
                at_end = reader.eof and len(data) == len(reader.buf)
                if not data:
                    return
                if not (csv_quotes and b'"' in data) or at_end:
                    break
                whole = _whole_lines(data.decode("utf-8"))
                if whole:
                    data = _prefix_bytes(data.decode("utf-8"), whole)
                    break
                n *= 2  # one record longer than the batch: take more lines
            yield Chunk(reader.offset, reader.offset + len(data), line)
            line += _line_breaks(data)
            reader.take(len(data))


def read_chunk(layout: Layout, chunk: Chunk) -> list[Row]:
    """The rows of ``chunk``, as ``read_rows`` gives them."""
    with layout.path.open("rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    if layout.fmt == "jsonl":
        return _jsonl_rows(data, chunk.line)
    return _csv_rows(data.decode("utf-8"), layout.header, chunk.line)


def _jsonl_rows(data: bytes, before: int) -> list[Row]:
    out: list[Row] = []
    parts = data.split(b"\n")
    if parts and not parts[-1]:
        parts.pop()
    for n, line in enumerate(parts, start=before + 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            out.append(Row(n, {}, f"not JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            out.append(Row(n, {}, "each line must be a JSON object"))
            continue
        out.append(Row(n, value))
    return out


def _csv_rows(text: str, header: tuple[str, ...], before: int) -> list[Row]:
    out: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    width = len(header)
    for record in reader:
        n = before + reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != width:
            out.append(Row(n, {}, f"{len(record)} columns, the header has {width}"))
            continue
        out.append(
            Row(n, {h: (v if v != "" else None) for h, v in zip(header, record, strict=True)})
        )
    return out
