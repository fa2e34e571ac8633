"""The public transcript (docs/draw-protocol.md, "The public transcript"): no staff id, no
eligibility fact; it verifies alone; a tampered one fails; an auditor with the key ties it to
the full transcript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from spotcheck.draw import transcript as tr
from tests.draw import test_protocol_doc, test_transcript

KEY = bytes(range(32))


def _full() -> tr.Transcript:
    t = test_transcript.build()
    first = t.assignments[0]
    return tr.replace_inspector(t, first.subject, first.officers[-1], "病假")


def _public(t: tr.Transcript, key: bytes = KEY) -> tr.PublicTranscript:
    return tr.publish(t, key)


def test_public_transcript_verifies_and_names_no_staff() -> None:
    full = _full()
    assert full.unmatched or full.ineligible, "the test draw exercises eligibility"
    public = _public(full)
    data = tr.public_dumps(public)
    assert tr.verify_bytes(data).ok, tr.verify_bytes(data).problems
    text = data.decode()
    for c in full.candidates:
        assert f'"{c.staff_id}"' not in text  # not as any value (task ids may contain one)
    for word in ("conflicts", "ineligible", "previous_inspectors", 'candidates"', "eligible"):
        assert word not in text, word
    assert public.transcript_digest == tr.sha256_hex(tr.dumps(full))
    assert tr.derived_from(public, full, KEY) == []


def test_pseudonyms_are_per_draw_and_per_key() -> None:
    full = _full()
    a, b = _public(full), _public(full, bytes(32))
    assert a.teams[0].lead != b.teams[0].lead
    assert a.pseudonym_key_id != b.pseudonym_key_id
    # Another draw (another commit digest): the same person, another pseudonym.
    s = full.assignments[0].lead
    assert s is not None
    other = "0" * 64
    assert tr.pseudonym(KEY, full.commit_digest, s) != tr.pseudonym(KEY, other, s)
    assert tr.derived_from(b, full, KEY)  # the wrong key does not derive it


def _tamper(data: dict[str, Any], path: list[Any], value: Any) -> bytes:
    d = json.loads(json.dumps(data))
    target = d
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return json.dumps(d, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["selection", 0, "picks", 0], "X-NOT-DRAWN"),
        (["teams", 0, "picks", 0, "index"], 10_000),
        (["teams", 0, "picks", 1, "pool"], 1),
        (["teams", 0, "lead"], "0000000000000000"),
        (["teams", 0, "officers", 0], "0000000000000000"),
        (["server_seed"], "00" * 32),
        (["entropy", 1, "value"], [13]),
        (["replacements", 0, "pick", "index"], 999),
        (["replacements", 0, "counter"], 2),
        (["unmatched", 0, "reason"], "NOT_ENOUGH_OFFICERS"),
        (["unmatched", 0, "picks", 2, "j"], 3),
    ],
)
def test_tampered_public_transcripts_fail(path: list[Any], value: Any) -> None:
    data = json.loads(tr.public_dumps(_public(_full())))
    bad = _tamper(data, path, value)
    assert not tr.verify_bytes(bad).ok


def test_worked_example_public_form() -> None:
    t = test_protocol_doc.example()
    public = _public(tr.replace_inspector(t, "A05", "STHJ-02", "病假"))
    assert tr.verify_public(public).ok
    assert [s.pool for s in public.teams[0].picks] == [2, 2]
    assert public.replacements[0].pick is not None
    assert public.replacements[0].pick.pool == 1
    assert msgspec.json.decode(tr.public_dumps(public))["format"] == tr.PUBLIC_FORMAT


def test_spotcheck_draw_verify_reads_both_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spotcheck.cli.main import main

    full = _full()
    (tmp_path / "full.json").write_bytes(tr.dumps(full))
    (tmp_path / "public.json").write_bytes(tr.public_dumps(_public(full)))
    (tmp_path / "key").write_text(KEY.hex())
    (tmp_path / "other").write_text(bytes(32).hex())
    public, against = str(tmp_path / "public.json"), ["--full", str(tmp_path / "full.json")]
    assert main(["draw", "verify", str(tmp_path / "full.json")]) == 0
    assert main(["draw", "verify", public]) == 0
    assert main(["draw", "verify", public, *against, "--pseudonym-key", str(tmp_path / "key")]) == 0
    other = str(tmp_path / "other")
    assert main(["draw", "verify", public, *against, "--pseudonym-key", other]) == 1
    capsys.readouterr()


def test_the_pseudonym_key_is_kept_like_the_log_key(tmp_path: Path) -> None:
    from spotcheck.transparency import pseudonym_key as pk

    # Development: generated once under SPOTCHECK_HOME (mode 0600), then the same key.
    first = pk.pseudonym_key_from_env({}, tmp_path, production=False)
    assert len(first) == 32
    assert (tmp_path / pk.DEV_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert pk.pseudonym_key_from_env({}, tmp_path, production=False) == first
    # Production: a named file, or a startup error.
    with pytest.raises(ValueError, match=pk.ENV_KEY_FILE):
        pk.pseudonym_key_from_env({}, tmp_path / "other", production=True)
    (tmp_path / "hex").write_text(KEY.hex() + "\n")
    (tmp_path / "raw").write_bytes(KEY)
    (tmp_path / "short").write_bytes(b"too short")
    for name in ("hex", "raw"):
        env = {pk.ENV_KEY_FILE: str(tmp_path / name)}
        assert pk.pseudonym_key_from_env(env, tmp_path, production=True) == KEY
    with pytest.raises(ValueError, match="hex digits"):
        pk.pseudonym_key_from_env(
            {pk.ENV_KEY_FILE: str(tmp_path / "short")}, tmp_path, production=True
        )
