"""The JavaScript verifier agrees with ``spotcheck draw verify`` (src/spotcheck/draw/transcript.py):
on the worked example of docs/draw-protocol.md, on the test transcript with experts, workload,
rotation and batches, with replacements (one that finds nobody), on the demo draw, and on every
tampered case: the same verdict, and the same field named first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import orjson

from spotcheck.draw import transcript as tr
from spotcheck.services import draws
from tests.draw import test_protocol_doc, test_transcript
from tests.site import jsverify
from tests.site.conftest import Site


def _doc_with_replacements() -> tr.Transcript:
    t = test_protocol_doc.example()
    once = tr.replace_inspector(t, "A05", "STHJ-02", "病假")
    return tr.replace_inspector(once, "A05", "STHJ-01", "回避")  # nobody from STHJ is left


def _built_with_replacements() -> tr.Transcript:
    t = test_transcript.build()
    a = t.assignments[0]
    once = tr.replace_inspector(t, a.subject, a.officers[1], "病假")
    return tr.replace_inspector(once, a.subject, a.experts[0], "回避")


def _edit(t: tr.Transcript, change: Callable[[dict[str, Any]], None]) -> bytes:
    data = orjson.loads(tr.dumps(t))
    change(data)
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        at = data
        for step in path[:-1]:
            at = at[step]
        at[path[-1]] = value

    return change


def tampered(t: tr.Transcript) -> dict[str, bytes]:
    """One transcript per kind of forgery."""
    sel = t.selection[0]
    population = t.populations[0].subjects
    other = next(s for s in population if s not in sel.picks)
    team = t.assignments[0]
    outsider = next(
        c.staff_id for c in t.candidates if c.staff_id not in (*team.officers, *team.experts)
    )
    seed = "0" * 63 + ("1" if t.server_seed[-1] != "1" else "2")
    first = t.entropy[0].value
    entropy = first + "x" if isinstance(first, str) else [*first[:-1], first[-1] + 1]
    cases = {
        "pick": _set(["selection", 0, "picks", 0], other),
        "team": _set(["assignments", 0, "officers", len(team.officers) - 1], outsider),
        "seed": _set(["server_seed"], seed),
        "entropy": _set(["entropy", 0, "value"], entropy),
        "commit": _set(["commit", "ledger_position"], t.commit.ledger_position + 1),
        "population": _set(["populations", 0, "subjects"], [*population[:-1]]),
        "candidates": _set(["candidates", 0, "load"], t.candidates[0].load + 1),
        "key": _set(["key"], t.key + "0./"),
    }
    out = {name: _edit(t, change) for name, change in cases.items()}
    if t.replacements:
        r = t.replacements[0]
        forged = next(
            c.staff_id
            for c in t.candidates
            if c.staff_id not in (r.replaced, r.replacement, *team.officers)
        )
        out["replacement"] = _edit(t, _set(["replacements", 0, "replacement"], forged))
    return out


def tampered_public(data: bytes) -> dict[str, bytes]:
    """One public transcript per kind of forgery (canonical JSON, as served)."""
    t = orjson.loads(data)
    sel = t["selection"][0]
    other = next(s for s in t["populations"][0]["subjects"] if s not in sel["picks"])
    team = t["teams"][0]
    seed = "0" * 63 + ("1" if t["server_seed"][-1] != "1" else "2")
    first = t["entropy"][0]["value"]
    entropy = first + "x" if isinstance(first, str) else [*first[:-1], first[-1] + 1]
    step = team["picks"][-1]
    index = (step["index"] + 1) % step["pool"] if step["pool"] > 1 else step["index"] + 1
    cases: dict[str, tuple[list[Any], Any]] = {
        "pick": (["selection", 0, "picks", 0], other),
        "team": (["teams", 0, "picks", len(team["picks"]) - 1, "index"], index),
        "seed": (["server_seed"], seed),
        "entropy": (["entropy", 0, "value"], entropy),
    }
    out = {}
    for name, (path, value) in cases.items():
        d = orjson.loads(data)
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        out[name] = orjson.dumps(d, option=orjson.OPT_SORT_KEYS)
    return out


def _where(problem: str) -> str:
    return problem.split(":", 1)[0]


def _check(tmp: Path, named: dict[str, bytes]) -> None:
    results = jsverify.run(tmp, [jsverify.transcript_job(b) for b in named.values()])
    for (name, data), js in zip(named.items(), results, strict=True):
        py = tr.verify_bytes(data)
        assert js["ok"] == py.ok, (name, js["problems"], py.problems)
        if not py.ok:
            assert _where(js["problems"][0]) == _where(py.problems[0]), (
                name,
                js["problems"],
                py.problems,
            )


def test_genuine_transcripts_pass_and_forgeries_fail(tmp_path: Path) -> None:
    named: dict[str, bytes] = {}
    for label, t in (
        ("doc", test_protocol_doc.example()),
        ("doc+replacements", _doc_with_replacements()),
        ("test", test_transcript.build()),
        ("test+replacements", _built_with_replacements()),
    ):
        assert tr.verify(t).ok
        named[label] = tr.dumps(t)
        for kind, data in tampered(t).items():
            named[f"{label}: {kind}"] = data
    _check(tmp_path, named)
    # The replacement that found nobody is recomputed, not just accepted.
    replaced = _doc_with_replacements().replacements[1]
    assert replaced.replacement is None and replaced.unmatched is not None


def test_the_worked_example_states_what_the_js_computes(tmp_path: Path) -> None:
    """The doc's example transcript passes, with its commit digest (docs/draw-protocol.md)."""
    t = test_protocol_doc.example()
    [js] = jsverify.run(tmp_path, [jsverify.transcript_job(tr.dumps(t))])
    assert js == {"ok": True, "problems": []}
    assert t.commit_digest == "380ae55e39e7962029ec31b4762ed28eb9e24ec8e347252f47129450f0d0616c"


async def test_the_demo_draw(site: Site, client: httpx.AsyncClient, tmp_path: Path) -> None:
    # The full transcript is for auditors: the public is refused it (the JS still checks it).
    path = f"/draws/{site.task_id}/{site.draw_number}"
    assert (await client.get(f"{path}/transcript.json")).status_code == 401
    content = await draws.transcript_bytes(site.app.state.pool, site.task_id, site.draw_number)
    assert content is not None
    t = tr.loads(content)
    named = {"demo": content, **{f"demo: {k}": v for k, v in tampered(t).items()}}
    _check(tmp_path, named)
    # The public transcript, as the page fetches it, with the values the site published.
    r = await client.get(f"{path}/public-transcript.json")
    assert r.status_code == 200
    assert tr.verify_bytes(r.content).ok
    published = {
        "transcriptDigest": tr.sha256_hex(content),
        "publicTranscriptDigest": r.headers["etag"].strip('"'),
        "commitDigest": t.commit_digest,
        "commitment": t.commit.commitment,
        "entropy": msgspec.to_builtins(t.entropy),
        "serverSeed": t.server_seed,
    }
    genuine, forged = jsverify.run(
        tmp_path,
        [
            jsverify.transcript_job(r.content, published),
            jsverify.transcript_job(_forged_public(r.content), published),
        ],
    )
    assert genuine == {"ok": True, "problems": []}
    assert not forged["ok"]
    assert any(p.startswith("published publicTranscript") for p in forged["problems"])


def _forged_public(data: bytes) -> bytes:
    d = orjson.loads(data)
    d["selection"][0]["picks"][0] = "X-NOT-DRAWN"
    return orjson.dumps(d, option=orjson.OPT_SORT_KEYS)


def test_public_transcripts_agree_with_the_python_verifier(tmp_path: Path) -> None:
    """The public form (pseudonyms, picks by pool size): genuine ones pass and every forgery
    fails, in JavaScript as in Python."""
    import json

    key = bytes(range(32))
    full = test_transcript.build()
    first = full.assignments[0]
    replaced = tr.replace_inspector(full, first.subject, first.officers[-1], "病假")
    example = test_protocol_doc.example()
    genuine = {
        "example": tr.public_dumps(tr.publish(example, key)),
        "test": tr.public_dumps(tr.publish(full, key)),
        "replaced": tr.public_dumps(tr.publish(replaced, key)),
    }
    base = json.loads(genuine["replaced"])

    def forged(path: list[Any], value: Any) -> bytes:
        d = json.loads(json.dumps(base))
        target = d
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value
        return json.dumps(d, ensure_ascii=False).encode()

    forgeries = {
        "pick": forged(["selection", 0, "picks", 0], "X-NOT-DRAWN"),
        "team index": forged(["teams", 0, "picks", 0, "index"], 10_000),
        "team pool": forged(["teams", 0, "picks", 1, "pool"], 1),
        "lead": forged(["teams", 0, "lead"], "0000000000000000"),
        "seed": forged(["server_seed"], "00" * 32),
        "entropy": forged(["entropy", 1, "value"], [13]),
        "replacement": forged(["replacements", 0, "pick", "index"], 999),
        "unmatched": forged(["unmatched", 0, "reason"], "NOT_ENOUGH_OFFICERS"),
    }
    named = {**genuine, **forgeries}
    results = jsverify.run(tmp_path, [jsverify.transcript_job(b) for b in named.values()])
    for (name, data), js in zip(named.items(), results, strict=True):
        python = tr.verify_bytes(data)
        assert js["ok"] == python.ok == (name in genuine), (name, js, python.problems)
    # Checked against the page's published values: the public file names the full digest.
    published = {"transcriptDigest": tr.sha256_hex(tr.dumps(replaced))}
    ok, wrong = jsverify.run(
        tmp_path,
        [
            jsverify.transcript_job(genuine["replaced"], published),
            jsverify.transcript_job(genuine["test"], published),
        ],
    )
    assert ok["ok"], ok
    assert not wrong["ok"]
