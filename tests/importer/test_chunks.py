"""A file read in batches by ``importer.chunks`` gives the rows ``read_rows`` gives: the same
values, errors and line numbers, whatever the quoting, line endings or batch size."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from spotcheck.importer.chunks import chunks, read_chunk
from spotcheck.importer.formats import Row, read_rows


def in_chunks(path: Path, lines: int) -> list[Row]:
    planned = chunks(path, None, lines)
    if planned is None:
        return []
    layout, pieces = planned
    return [row for piece in pieces for row in read_chunk(layout, piece)]


CASES = [
    b"a,b\r\n1,2\r\n3,4\r\n",
    b"\xef\xbb\xbfa,b\n1,2\n\n  \n3,4\n5\n6,7,8\n9,10",  # BOM, blank lines, bad widths, no EOL
    b'a,"b\nc"\n1,"x\ny\nz"\n2,3\n"4",""""\n5,"6\n',  # quoted newlines, an unclosed quote
    b"a,b\r1,2\r3,4\r",  # old Mac line endings
    b'a,b\n1,x"y\n2,"q\n3,4\n',  # a quote inside an unquoted value
    b'a,b\n1,2\n3,"\n\n\n\n\n\n\n\n\n"\n4,5\n',  # one record longer than a batch
    b"",
    b"a,b",
    b'"a\n',
]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("lines", [1, 2, 3, 100])
def test_csv_cases(tmp_path: Path, data: bytes, lines: int) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert in_chunks(path, lines) == list(read_rows(path))


def test_random_csv(tmp_path: Path) -> None:
    rnd = random.Random(18)
    alphabet = ["a", ",", '"', "\n", "\r", "\r\n", " ", "é", "\\"]
    path = tmp_path / "f.csv"
    for _ in range(1500):
        body = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        path.write_bytes(("h1,h2\n" + body).encode())
        want = list(read_rows(path))
        for lines in (1, 2, 4):
            assert in_chunks(path, lines) == want, body


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a":1}\n\n{"b":2}\n[1]\nnot\n{"c":"\\n"}\r\n{"d":4}')
    for lines in (1, 2, 3, 100):
        assert in_chunks(path, lines) == list(read_rows(path))
