"""docs/draw-protocol.md: its worked example is what the code computes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest

from spotcheck.domain.inspector import InspectorKind, InspectorStatus
from spotcheck.draw import transcript as tr
from spotcheck.draw.matching import InspectorCandidate, TaskRules, matching_key
from spotcheck.draw.rfc3797 import pick_digest
from spotcheck.draw.select import Stratum, population_digest, stratum_key

DOC = Path(__file__).resolve().parents[2] / "docs" / "draw-protocol.md"

SEED = bytes(range(32))
STRATA = [
    Stratum(id="A", population=[f"A0{i}" for i in range(1, 9)], ratio="0.25"),
    Stratum(id="D", population=["D01", "D02", "D03"], count=1),
]
SOURCES = [
    tr.EntropySource(name="双色球 2026045 红球", kind=tr.SourceKind.NUMBERS),
    tr.EntropySource(name="双色球 2026045 蓝球", kind=tr.SourceKind.NUMBERS),
]
ENTROPY = [
    tr.EntropyValue(name="双色球 2026045 红球", value=[21, 3, 9, 14, 30, 6]),
    tr.EntropyValue(name="双色球 2026045 蓝球", value=[12]),
]
RULES = TaskRules(departments=("SCJG", "STHJ"), start=date(2026, 5, 6), end=date(2026, 5, 29))


def _officer(staff_id: str, department: str, conflicts: tuple[str, ...] = ()) -> InspectorCandidate:
    return InspectorCandidate(
        staff_id=staff_id,
        department=department,
        kind=InspectorKind.ENFORCEMENT_OFFICER,
        status=InspectorStatus.ACTIVE,
        certificate_valid_from=date(2024, 1, 1),
        certificate_valid_until=date(2027, 12, 31),
        conflicts=conflicts,
    )


CANDIDATES = [
    _officer("SCJG-01", "SCJG", conflicts=("A05",)),
    _officer("SCJG-02", "SCJG"),
    _officer("SCJG-03", "SCJG"),
    _officer("STHJ-01", "STHJ"),
    _officer("STHJ-02", "STHJ"),
]


def example() -> tr.Transcript:
    commit = tr.commit_draw(
        task="2026-FT-JOINT-001",
        ledger_position=1024,
        strata=STRATA,
        sources=SOURCES,
        commitment=tr.commitment_of(SEED),
        rules=RULES,
        candidates=CANDIDATES,
    )
    return tr.draw(commit, strata=STRATA, candidates=CANDIDATES, entropy=ENTROPY, server_seed=SEED)


def facts() -> list[str]:
    """Every value the document's worked example states."""
    t = example()
    k = t.key
    ka = stratum_key(k, "A")
    first = t.assignments[0]
    kx = matching_key(k, first.subject, 0)
    replaced = tr.replace_inspector(t, first.subject, first.officers[1], "病假").replacements[0]
    values = [
        k,
        tr.commitment_of(SEED),
        population_digest(STRATA[0].population),
        population_digest(STRATA[1].population),
        ka,
        pick_digest(ka.encode(), 0).hex(),
        pick_digest(ka.encode(), 1).hex(),
        kx,
        pick_digest(kx.encode(), 0).hex(),
        pick_digest(kx.encode(), 1).hex(),
        pick_digest(matching_key(k, first.subject, 1).encode(), 0).hex(),
        str(replaced.replacement),
        t.commit_digest,
    ]
    values += [x for s in t.selection for x in s.picks]
    values += [s for a in t.assignments for s in a.officers]
    return values


def test_the_by_hand_program_verifies_the_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    program = text.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, object] = {"transcript_bytes": tr.dumps(example())}
    exec(program, scope)
    # And it catches an altered pick.
    t = example()
    sel = t.selection[0]
    altered = msgspec.structs.replace(sel, picks=["A01", *sel.picks[1:]])
    scope = {
        "transcript_bytes": tr.dumps(
            msgspec.structs.replace(t, selection=[altered, t.selection[1]])
        )
    }
    with pytest.raises(AssertionError):
        exec(program, scope)


def test_the_document_states_what_the_code_computes() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [v for v in facts() if v not in text]
    assert not missing, missing
    assert tr.verify(example()).ok


def _worked_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("## Worked example", 1)[1].split("\n## ", 1)[0]


def test_every_digest_of_the_worked_example_follows_from_the_page() -> None:
    """Only the page's text: its JSON blocks, key strings and seed give every hex digest it
    states, byte for byte."""
    import hashlib
    import json
    import re

    section = _worked_example()
    blocks = re.findall(r"```json\n(.*?)\n```", section, re.S)
    whole = next(b for b in blocks if b.startswith('{"assignments"'))
    record = next(b for b in blocks if b.startswith('{"counter"'))
    t = json.loads(whole)

    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    def canon(v: object) -> bytes:
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    assert canon(t) == whole.encode(), "the transcript block is not canonical JSON"
    assert canon(json.loads(record)) == record.encode()
    recomputed = {
        sha(whole.encode()),
        sha(canon(t["commit"])),
        sha(canon(t["candidates"])),
        sha(bytes.fromhex(t["server_seed"])),
        *(sha("".join(k + "\n" for k in p["subjects"]).encode()) for p in t["populations"]),
        sha(canon({**t, "replacements": [json.loads(record)]})),
    }
    assert t["commit_digest"] == sha(canon(t["commit"]))
    assert t["commit"]["candidates_digest"] == sha(canon(t["candidates"]))
    for key in re.findall(r"`(3\.6\.9[^`]*/)`", section):
        kb = key.encode()
        for j in range(4):
            c = j.to_bytes(2, "big")
            recomputed.add(hashlib.sha256(c + kb + c).hexdigest())
    for s in ("A", "D"):
        kb = (t["key"] + f"stratum:{s}./").encode()
        for j in range(2):
            c = j.to_bytes(2, "big")
            recomputed.add(hashlib.sha256(c + kb + c).hexdigest())
    for x, counter in (("A05", 1),):
        kb = (t["key"] + f"match:{x}./{counter}./").encode()
        recomputed.add(hashlib.sha256(b"\0\0" + kb + b"\0\0").hexdigest())
    stated = set(re.findall(r"\b[0-9a-f]{64}\b", section))
    stated -= {t["server_seed"]}
    assert stated, "no digest found"
    assert not stated - recomputed, sorted(stated - recomputed)
    # And the page's transcript is the code's, byte for byte.
    assert whole.encode() == tr.dumps(example())


def test_the_public_worked_example_follows_from_the_page() -> None:
    """The public form's example: the key, every pseudonym and the bytes, from the page's text;
    and they are what the code derives."""
    import hashlib
    import hmac
    import json
    import re

    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Worked example, public form", 1)[1].split("\n## ", 1)[0]
    key_hex = re.search(r"0x3f \(`([0-9a-f]{64})`", section)
    assert key_hex is not None
    key = bytes.fromhex(key_hex.group(1))
    assert key == bytes(range(32, 64))
    block = re.findall(r"```json\n(.*?)\n```", section, re.S)[0]
    public = json.loads(block)
    commit = public["commit_digest"]
    table = dict(re.findall(r"\| `([A-Z]+-\d+)` \| `([0-9a-f]{16})` \|", section))
    assert len(table) == 5
    for staff_id, shown in table.items():
        mac = hmac.new(key, (commit + staff_id).encode(), hashlib.sha256).hexdigest()[:16]
        assert mac == shown, staff_id
        assert staff_id not in block
    assert hashlib.sha256(block.encode()).hexdigest() in section
    stated = re.findall(r"key id `([0-9a-f]{8})`", section)
    assert stated == [hashlib.sha256(b"spotcheck/pseudonym\n" + key).hexdigest()[:8]]
    full = tr.replace_inspector(example(), "A05", "STHJ-02", "病假")
    assert public["transcript_digest"] == tr.sha256_hex(tr.dumps(full))
    assert block.encode() == tr.public_dumps(tr.publish(full, key))
    assert tr.verify_bytes(block).ok
