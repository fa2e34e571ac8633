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
