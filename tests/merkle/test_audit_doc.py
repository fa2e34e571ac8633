"""The example in docs/audit-format.md verifies, and a changed byte does not."""

from __future__ import annotations

import re
from pathlib import Path

from spotcheck.merkle.note import parse_public_key
from spotcheck.transparency.offline import verify_export
from tests.merkle import rfc6962 as ref

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-format.md"


def example() -> tuple[str, list[bytes]]:
    text = DOC.read_text(encoding="utf-8").split("## Example", 1)[1]
    pem = re.search(
        r"```text\n(-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----)\n```", text, re.S
    )
    lines = re.search(r"```jsonl\n(.*?)```", text, re.S)
    assert pem and lines
    return pem.group(1), [line.encode() for line in lines.group(1).splitlines()]


def test_the_example_verifies() -> None:
    pem, lines = example()
    report = verify_export(lines, parse_public_key(pem))
    assert report.ok, report.summary()
    assert (report.entries, report.tree_size, report.key_id) == (3, 3, "21b506e5")


def test_the_worked_hashes() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (.+?) \| `([0-9a-f]{64})` \|$", text, re.M))
    leaves = [
        bytes.fromhex(table[f"leaf({i})" if i > 1 else "leaf(1) = SHA-256(0x00 ‖ content(1))"])
        for i in (1, 2, 3)
    ]
    assert ref.leaf(bytes.fromhex(table["content(1) = SHA-256(canonical envelope 1)"])) == leaves[0]
    assert ref.node(leaves[0], leaves[1]).hex() == table["node(leaf(1), leaf(2))"]
    assert ref.mth(leaves).hex() == table["root = node(that, leaf(3))"]


def test_a_changed_byte_is_named() -> None:
    pem, lines = example()
    lines[3] = lines[3].replace(b'"user_id":"admin"', b'"user_id":"admim"')
    report = verify_export(lines, parse_public_key(pem))
    assert not report.ok and report.failure is not None
    assert report.failure.position == 2
    assert "content does not match" in str(report.failure)
