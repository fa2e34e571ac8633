"""The transcript: draw, replace, serialise, and verify with no database; tampering fails."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotcheck.domain.inspector import (
    Conflict,
    Inspector,
    InspectorKind,
    InspectorStatus,
    from_inspector,
)
from spotcheck.draw import transcript as tr
from spotcheck.draw.matching import (
    Assignment,
    Ineligible,
    TaskRules,
    UnmatchedReason,
)
from spotcheck.draw.select import Stratum, draw_order

ROOT = Path(__file__).resolve().parents[2]
SEED = hashlib.sha256(b"spotcheck test seed").digest()
SOURCES = [
    tr.EntropySource(
        name="中国福利彩票双色球 第2026045期 红球",
        kind=tr.SourceKind.NUMBERS,
        description="开奖号码",
    ),
    tr.EntropySource(name="中国福利彩票双色球 第2026045期 蓝球", kind=tr.SourceKind.NUMBERS),
    tr.EntropySource(name="上证综合指数 2026-04-21 收盘", kind=tr.SourceKind.TEXT),
]
ENTROPY = [
    tr.EntropyValue(name=SOURCES[0].name, value=[21, 3, 9, 14, 30, 6]),
    tr.EntropyValue(name=SOURCES[1].name, value=[12]),
    tr.EntropyValue(name=SOURCES[2].name, value="3287.46"),
]
RULES = TaskRules(
    departments=("SCJG", "STHJ"),
    start=date(2026, 5, 6),
    end=date(2026, 5, 29),
    officers_per_subject=3,
    experts_per_subject=1,
    required_expertise={"SCJG": ("FOOD",)},
    workload_cap=4,
)


def _inspectors() -> list[Inspector]:
    people = []
    for i in range(14):
        dept = "SCJG" if i < 9 else "STHJ"
        people.append(
            Inspector(
                staff_id=f"{dept}-{i:03d}",
                name=f"检查员{i}号",
                department=dept,
                kind=InspectorKind.EXPERT if i in (7, 8) else InspectorKind.ENFORCEMENT_OFFICER,
                certificate_number=None if i in (7, 8) else f"1101060{i:04d}",
                certificate_valid_from=None if i in (7, 8) else date(2024, 1, 1),
                certificate_valid_until=None if i in (7, 8) else date(2027, 12, 31),
                expertise=["FOOD"] if dept == "SCJG" and i != 5 else [],
                status=InspectorStatus.ON_LEAVE if i == 6 else InspectorStatus.ACTIVE,
                conflicts=[Conflict(subject_key="S-A-004", reason="亲属经营")] if i == 1 else [],
                phone=f"1380000{i:04d}",
            )
        )
    return people


def inputs() -> dict[str, Any]:
    strata = [
        Stratum(id="D", population=[f"S-D-{i:03d}" for i in range(6)], ratio="0.3"),
        Stratum(id="A", population=[f"S-A-{i:03d}" for i in range(40)], count=5),
    ]
    return {
        "strata": strata,
        "candidates": [
            from_inspector(p, load={2: 1, 8: 3}.get(i, 0)) for i, p in enumerate(_inspectors())
        ],
    }


def build() -> tr.Transcript:
    given = inputs()
    commit = tr.commit_draw(
        task="2026-FT-SCJG-007",
        ledger_position=48_213,
        strata=given["strata"],
        sources=SOURCES,
        commitment=tr.commitment_of(SEED),
        rules=RULES,
        candidates=given["candidates"],
        batches=["第一批", "第二批", "第三批"],
    )
    return tr.draw(
        commit,
        strata=given["strata"],
        candidates=given["candidates"],
        entropy=ENTROPY,
        server_seed=SEED,
        previous_inspectors={
            "S-A-001": ["SCJG-000", "STHJ-009"],
            "S-D-003": ["SCJG-003"],
            "S-X": ["P"],
        },
    )


@pytest.fixture(scope="module")
def transcript() -> tr.Transcript:
    return build()


def test_draw_verifies(transcript: tr.Transcript) -> None:
    result = tr.verify(transcript)
    assert result.ok, result.problems
    assert result.exit_code == 0
    assert [s.stratum for s in transcript.selection] == ["A", "D"]
    assert [s.k for s in transcript.selection] == [5, 2]  # ceil(0.3 × 6) = 2
    assert sorted(transcript.batch_order) == ["第一批", "第三批", "第二批"]
    assert len(transcript.assignments) + len(transcript.unmatched) == 7
    # The experts' capacity (4 + 1 under the cap of 4) runs out for the last two subjects.
    assert [u.reason for u in transcript.unmatched] == [UnmatchedReason.NOT_ENOUGH_EXPERTS] * 2
    assert [u.subject for u in transcript.unmatched] == draw_order(transcript.selection)[5:]
    assert set(transcript.previous_inspectors) <= {x for s in transcript.selection for x in s.picks}
    for a in transcript.assignments:
        assert len(a.officers) == 3 and len(a.experts) == 1
        assert {s.split("-")[0] for s in a.officers} == {"SCJG", "STHJ"}
    assert transcript.ineligible == {
        "SCJG-005": Ineligible.EXPERTISE,
        "SCJG-006": Ineligible.INACTIVE,
    }


def test_serialisation_is_canonical_and_round_trips(transcript: tr.Transcript) -> None:
    data = tr.dumps(transcript)
    assert tr.loads(data) == transcript
    assert tr.dumps(tr.loads(data)) == data
    assert tr.verify_bytes(data).ok


def test_no_persona_data_in_the_transcript(transcript: tr.Transcript) -> None:
    text = tr.dumps(transcript).decode()
    for p in _inspectors():
        assert p.name not in text
        assert p.phone is not None and p.phone not in text
        assert p.certificate_number is None or p.certificate_number not in text
    assert "亲属经营" not in text


def test_identical_across_processes(transcript: tr.Transcript) -> None:
    """Another interpreter with another hash seed (set and dict order) draws the same bytes."""
    here = hashlib.sha256(tr.dumps(transcript)).hexdigest()
    code = (
        "import hashlib; from tests.draw.test_transcript import build; "
        "from spotcheck.draw.transcript import dumps; "
        "print(hashlib.sha256(dumps(build())).hexdigest())"
    )
    for hash_seed in ("0", "12345", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == here


def _problems(t: tr.Transcript) -> list[str]:
    result = tr.verify_bytes(tr.dumps(t))
    assert not result.ok and result.exit_code == 1
    return result.problems


def test_one_altered_pick_fails(transcript: tr.Transcript) -> None:
    sel = transcript.selection[0]
    outsider = next(x for x in transcript.populations[0].subjects if x not in sel.picks)
    altered = msgspec.structs.replace(sel, picks=[outsider, *sel.picks[1:]])
    t = msgspec.structs.replace(transcript, selection=[altered, *transcript.selection[1:]])
    problems = _problems(t)
    assert any(p.startswith("selection (A).picks[0]") for p in problems), problems


def test_swapped_pick_order_fails(transcript: tr.Transcript) -> None:
    sel = transcript.selection[0]
    altered = msgspec.structs.replace(sel, picks=[sel.picks[1], sel.picks[0], *sel.picks[2:]])
    t = msgspec.structs.replace(transcript, selection=[altered, *transcript.selection[1:]])
    assert _problems(t)


def test_altered_assignment_fails(transcript: tr.Transcript) -> None:
    a = transcript.assignments[0]
    other = next(
        c.staff_id
        for c in transcript.candidates
        if c.staff_id not in a.officers
        and c.department == "SCJG"
        and c.staff_id not in transcript.ineligible
    )
    forged = Assignment(
        subject=a.subject, lead=other, officers=(other, *a.officers[1:]), experts=a.experts
    )
    t = msgspec.structs.replace(transcript, assignments=[forged, *transcript.assignments[1:]])
    assert any(p.startswith("assignments[0]") for p in _problems(t))


def test_dropped_subject_fails(transcript: tr.Transcript) -> None:
    t = msgspec.structs.replace(transcript, assignments=transcript.assignments[1:])
    assert _problems(t)
    t = msgspec.structs.replace(transcript, unmatched=transcript.unmatched[1:])
    assert any(p.startswith("unmatched") for p in _problems(t))


def test_wrong_seed_fails(transcript: tr.Transcript) -> None:
    t = msgspec.structs.replace(transcript, server_seed="00" * 32)
    assert any("commitment" in p for p in _problems(t))


def test_altered_entropy_fails(transcript: tr.Transcript) -> None:
    changed = msgspec.structs.replace(transcript.entropy[1], value=[13])
    t = msgspec.structs.replace(
        transcript, entropy=[transcript.entropy[0], changed, transcript.entropy[2]]
    )
    assert any(p.startswith("key:") for p in _problems(t))


def test_altered_population_fails(transcript: tr.Transcript) -> None:
    pop = transcript.populations[0]
    shrunk = msgspec.structs.replace(pop, subjects=pop.subjects[1:])
    t = msgspec.structs.replace(transcript, populations=[shrunk, *transcript.populations[1:]])
    assert any("digest" in p for p in _problems(t))


def test_altered_commit_fails(transcript: tr.Transcript) -> None:
    rules = msgspec.structs.replace(RULES, workload_cap=99)
    t = msgspec.structs.replace(
        transcript, commit=msgspec.structs.replace(transcript.commit, rules=rules)
    )
    assert any(p.startswith("commit_digest") for p in _problems(t))


def test_altered_candidates_fail(transcript: tr.Transcript) -> None:
    c = transcript.candidates
    assert c[1].conflicts == ("S-A-004",)
    dropped = msgspec.structs.replace(c[1], conflicts=())
    t = msgspec.structs.replace(transcript, candidates=[c[0], dropped, *c[2:]])
    assert any(p.startswith("candidates") for p in _problems(t))


def test_garbage_fails() -> None:
    for data in (b"", b"{}", b"[1,2]", b'{"format": "spotcheck-draw-transcript"}'):
        result = tr.verify_bytes(data)
        assert not result.ok and result.exit_code == 1
        assert "transcript does NOT verify" in result.report()


def test_unknown_field_fails(transcript: tr.Transcript) -> None:
    data = tr.dumps(transcript)
    assert not tr.verify_bytes(data[:-1] + b',"note":"x"}').ok


def test_replacement_is_recorded_and_verifies(transcript: tr.Transcript) -> None:
    a = transcript.assignments[0]
    once = tr.replace_inspector(transcript, a.subject, a.officers[1], "病假")
    again = tr.replace_inspector(transcript, a.subject, a.officers[1], "病假")
    assert once == again  # deterministic
    [r] = once.replacements
    assert (r.subject, r.counter, r.replaced) == (a.subject, 1, a.officers[1])
    assert r.replacement is not None and r.replacement not in a.officers
    assert tr.verify(once).ok
    twice = tr.replace_inspector(once, a.subject, a.experts[0], "回避")
    assert twice.replacements[1].counter == 2
    assert tr.verify(twice).ok, tr.verify(twice).problems
    team = tr.current_teams(twice)[a.subject]
    assert r.replacement in team.officers and a.officers[1] not in team.officers
    # A hand-picked replacement does not verify.
    other = next(
        c.staff_id for c in transcript.candidates if c.staff_id not in (*a.officers, r.replacement)
    )
    forged = msgspec.structs.replace(r, replacement=other)
    t = msgspec.structs.replace(once, replacements=[forged])
    assert any(p.startswith("replacements[0]") for p in _problems(t))


def test_replacement_refuses_unknown_subject_or_person(transcript: tr.Transcript) -> None:
    with pytest.raises(ValueError):
        tr.replace_inspector(transcript, "S-NOPE", "SCJG-000", "病假")
    a = transcript.assignments[0]
    outsider = next(
        c.staff_id for c in transcript.candidates if c.staff_id not in (*a.officers, *a.experts)
    )
    with pytest.raises(ValueError):
        tr.replace_inspector(transcript, a.subject, outsider, "病假")


def plain_commit(given: dict[str, Any]) -> tr.Commit:
    """A commit of ``inputs()`` without batches, for the tests of what a draw refuses."""
    return tr.commit_draw(
        task="T",
        ledger_position=1,
        strata=given["strata"],
        sources=SOURCES,
        commitment=tr.commitment_of(SEED),
        rules=RULES,
        candidates=given["candidates"],
    )


def test_draw_refuses_what_was_not_committed() -> None:
    given = inputs()
    commit = plain_commit(given)
    ok: dict[str, Any] = {**given, "entropy": ENTROPY, "server_seed": SEED}
    tr.draw(commit, **ok)
    bad_seed = {**ok, "server_seed": bytes(32)}
    with pytest.raises(tr.DrawError, match="commitment"):
        tr.draw(commit, **bad_seed)
    a, d = given["strata"][1], given["strata"][0]
    shrunk = msgspec.structs.replace(a, population=[*a.population[:-1], "S-A-999"])
    with pytest.raises(tr.DrawError, match="digest"):
        tr.draw(commit, **{**ok, "strata": [d, shrunk]})
    with pytest.raises(tr.DrawError, match="candidates"):
        tr.draw(commit, **{**ok, "candidates": given["candidates"][1:]})
    with pytest.raises(tr.DrawError, match="committed sources"):
        tr.draw(commit, **{**ok, "entropy": ENTROPY[::-1]})
    wrong_kind = [*ENTROPY[:2], tr.EntropyValue(name=SOURCES[2].name, value=[1])]
    with pytest.raises(tr.DrawError, match="TEXT"):
        tr.draw(commit, **{**ok, "entropy": wrong_kind})


def test_checked_populations_skip_only_the_digest() -> None:
    """``populations_checked`` (executeDraw, whose populations come from bytes it hashed)
    leaves out the digest pass and nothing else: the same selection as the checked call, and a
    population of the wrong size is still refused."""
    given = inputs()
    commit = plain_commit(given)
    args: dict[str, Any] = {
        "strata": given["strata"],
        "candidates": given["candidates"],
        "entropy": ENTROPY,
        "server_seed": SEED,
    }
    checked = tr.select_draw(commit, **args, populations_checked=True)
    assert checked == tr.select_draw(commit, **args)
    a, d = given["strata"][1], given["strata"][0]
    altered = msgspec.structs.replace(a, population=[*a.population[:-1], "S-A-999"])
    with pytest.raises(tr.DrawError, match="digest"):
        tr.select_draw(commit, **{**args, "strata": [d, altered]})
    tr.select_draw(commit, **{**args, "strata": [d, altered]}, populations_checked=True)
    shrunk = msgspec.structs.replace(a, population=a.population[:-1])
    with pytest.raises(tr.DrawError, match="size"):
        tr.select_draw(commit, **{**args, "strata": [d, shrunk]}, populations_checked=True)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"commitment": "xyz"}, "commitment"),
        (
            {
                "strata": [
                    Stratum(id="A", population=["X1"], count=1),
                    Stratum(id="B", population=["X1"], count=1),
                ]
            },
            "more than one stratum",
        ),
        ({"strata": [Stratum(id="A", population=["X2", "X1"], count=1)]}, "ascending"),
        ({"rules": msgspec.structs.replace(RULES, officers_per_subject=1)}, "floor"),
        ({"sources": []}, "entropy source"),
        ({"batches": ["a/b"]}, "'/'"),
    ],
)
def test_commit_refuses(change: dict[str, Any], fragment: str) -> None:
    args: dict[str, Any] = {
        "task": "T",
        "ledger_position": 1,
        "strata": [Stratum(id="A", population=["X1"], count=1)],
        "sources": SOURCES,
        "commitment": tr.commitment_of(SEED),
        **change,
    }
    with pytest.raises(tr.DrawError, match=fragment):
        tr.commit_draw(**args)


def test_a_draw_without_matching() -> None:
    strata = [Stratum(id="ALL", population=[f"X{i}" for i in range(9)], count=3)]
    commit = tr.commit_draw(
        task="T",
        ledger_position=1,
        strata=strata,
        sources=SOURCES,
        commitment=tr.commitment_of(SEED),
    )
    t = tr.draw(commit, strata=strata, candidates=[], entropy=ENTROPY, server_seed=SEED)
    assert t.assignments == [] and tr.verify(t).ok
    with pytest.raises(ValueError):
        tr.replace_inspector(t, "X1", "P", "病假")


def test_spotcheck_draw_verify_exit_codes(
    transcript: tr.Transcript, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spotcheck.cli.main import main

    good = tmp_path / "draw.json"
    good.write_bytes(tr.dumps(transcript))
    assert main(["draw", "verify", str(good)]) == 0
    picks = transcript.selection[0].picks
    swapped = msgspec.structs.replace(
        transcript.selection[0], picks=[picks[1], picks[0], *picks[2:]]
    )
    altered = msgspec.structs.replace(transcript, selection=[swapped, *transcript.selection[1:]])
    bad = tmp_path / "altered.json"
    bad.write_bytes(tr.dumps(altered))
    assert main(["draw", "verify", str(bad)]) != 0
    capsys.readouterr()


# The canonical encoding: msgspec (sorted keys) gives the bytes every transcript so far was
# made with (orjson over msgspec.to_builtins, sorted keys), and RFC 8785's.  Both sort object
# keys by code point, RFC 8785 by UTF-16 code unit: they differ only for keys that mix
# characters above U+FFFF with U+E000-U+FFFF, so the RFC 8785 comparison keeps keys in the BMP.
_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
_bmp_texts = st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), max_size=8)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-tr.MAX_SAFE_INTEGER, tr.MAX_SAFE_INTEGER), _texts
)


def _values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)
        ),
        max_leaves=30,
    )


def _orjson_canonical(value: Any) -> bytes:
    return orjson.dumps(msgspec.to_builtins(value), option=orjson.OPT_SORT_KEYS)


@settings(max_examples=500, deadline=None)
@given(_values(_texts))
def test_canonical_equals_the_orjson_encoding(value: Any) -> None:
    assert tr.canonical(value) == _orjson_canonical(value)


@settings(max_examples=300, deadline=None)
@given(_values(_bmp_texts))
def test_canonical_equals_rfc8785(value: Any) -> None:
    assert tr.canonical(value) == rfc8785.dumps(value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subjects=st.lists(_texts.filter(bool), max_size=6, unique=True),
    staff=st.lists(_texts.filter(bool), max_size=4, unique=True),
    data=st.data(),
)
def test_canonical_transcript_equals_the_orjson_encoding(
    transcript: tr.Transcript, subjects: list[str], staff: list[str], data: st.DataObject
) -> None:
    """The structs of a transcript with any text in its strings and map keys."""
    t = msgspec.structs.replace(
        transcript,
        previous_inspectors={x: sorted(staff) for x in subjects},
        ineligible={s: data.draw(st.sampled_from(list(Ineligible))) for s in staff},
        populations=[tr.Population(stratum=x, subjects=sorted(subjects)) for x in staff],
        key=data.draw(_texts),
    )
    assert tr.dumps(t) == _orjson_canonical(t)
