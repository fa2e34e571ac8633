"""Verifying a transcript from itself alone, one checker per section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from spotcheck.draw.matching import (
    Assignment,
    Matcher,
    MatchResult,
    SubjectRecord,
    candidates_problems,
    canonical_candidates,
    rules_problems,
)
from spotcheck.draw.select import (
    Stratum,
    StratumSelection,
    batch_order,
    batch_problems,
    draw_order,
    population_digest,
    population_problems,
    sample_size,
    select_stratum,
    stratum_problems,
)
from spotcheck.draw.transcript.execute import _subject_records
from spotcheck.draw.transcript.model import (
    _HEX64,
    FORMAT,
    HASH,
    VERSION,
    Population,
    StratumCommit,
    Transcript,
    _entropy_problems,
    _sources_problems,
    _strata_set_problems,
    candidates_digest,
    canonical,
    commit_digest,
    commitment_of,
    draw_key,
    loads,
)
from spotcheck.draw.transcript.public import (
    PUBLIC_FORMAT,
    PublicTranscript,
    check_matching,
    is_public,
    public_loads,
    stand_in,
)


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    problems: list[str]

    @property
    def exit_code(self) -> int:
        """0 only if every pick and assignment matches."""
        return 0 if self.ok else 1

    def report(self) -> str:
        if self.ok:
            return "transcript verified: every pick and assignment matches"
        return "transcript does NOT verify:\n" + "\n".join(f"- {p}" for p in self.problems)


def _compare_list(
    p: list[str], where: str, expected: Sequence[Any], actual: Sequence[Any], limit: int = 5
) -> None:
    if len(expected) != len(actual):
        p.append(f"{where}: {len(actual)} entries; the recomputation gives {len(expected)}")
    shown = 0
    for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
        if e != a:
            if shown < limit:
                p.append(f"{where}[{i}]: transcript has {_show(a)}; recomputed {_show(e)}")
            shown += 1
    if shown > limit:
        p.append(f"{where}: {shown - limit} more differences")


def _show(value: Any) -> str:
    if isinstance(value, msgspec.Struct):
        return canonical(value).decode()
    return repr(value)


# Verification: one checker per section of the transcript.  A checker adds its problems to ``p``;
# one whose section the rest depends on returns None when verification cannot go on.
def _check_format(t: Transcript) -> list[str]:
    """Format, version and hash: a transcript this verifier cannot read is not read further."""
    c = t.commit
    if (t.format, t.version, c.format, c.version) != (FORMAT, VERSION, FORMAT, VERSION):
        return [f"format: this verifier reads {FORMAT} version {VERSION}"]
    if c.hash != HASH:
        return [f"commit.hash: draws use {HASH}, not {c.hash!r}"]
    return []


def _committed_population_problems(sc: StratumCommit, pop: Population) -> list[str]:
    """One population against its committed parameters, size, digest and ``k``."""
    where = f"populations ({sc.id})"
    sp = stratum_problems(sc.id, sc.count, sc.ratio, f"commit.strata ({sc.id})")
    sp += population_problems(pop.subjects, where)
    if not sp:
        if len(pop.subjects) != sc.size:
            sp.append(f"{where}: {len(pop.subjects)} subjects; the commit says {sc.size}")
        if population_digest(pop.subjects) != sc.digest:
            sp.append(f"{where}: digest differs from the committed one")
        k = sample_size(len(pop.subjects), count=sc.count, ratio=sc.ratio)
        if k != sc.k:
            sp.append(f"commit.strata ({sc.id}).k: {sc.k}; the rule gives {k}")
    return sp


def _check_populations(p: list[str], t: Transcript) -> list[Stratum] | None:
    """Populations against the commit; the strata they make, or None if one is wrong."""
    c = t.commit
    if [x.stratum for x in t.populations] != [s.id for s in c.strata]:
        p.append("populations: must list the committed strata in the committed order")
        return None
    strata: list[Stratum] = []
    good_strata = True
    for sc, pop in zip(c.strata, t.populations, strict=True):
        s = Stratum(id=sc.id, population=pop.subjects, count=sc.count, ratio=sc.ratio)
        strata.append(s)
        sp = _committed_population_problems(sc, pop)
        good_strata = good_strata and not sp
        p += sp
    return strata if good_strata else None


def _check_parameters(p: list[str], t: Transcript, strata: Sequence[Stratum]) -> bool:
    """Strata, sources, batches, rules and candidates; True if the assignments can be
    recomputed (rules given and sound, candidates sound)."""
    c = t.commit
    p += _strata_set_problems(strata)
    p += _sources_problems(c.sources) + batch_problems(c.batches, "commit.batches")
    matchable = c.rules is not None and not rules_problems(c.rules)
    if c.rules is not None:
        p += rules_problems(c.rules, "commit.rules")
    if candidates_problems(t.candidates):
        matchable = False
    p += candidates_problems(t.candidates)
    if t.candidates != canonical_candidates(t.candidates):
        p.append("candidates: must be listed by ascending staff id")
    if candidates_digest(t.candidates) != c.candidates_digest:
        p.append("candidates: digest differs from the committed one")
    return matchable


def _check_key(p: list[str], t: Transcript) -> str | None:
    """Seed against the commitment, entropy against the sources; the key they give, or None."""
    c = t.commit
    if not _HEX64.match(t.server_seed):
        p.append("server_seed: 64 lower-case hex digits")
        return None
    if commitment_of(bytes.fromhex(t.server_seed)) != c.commitment:
        p.append("server_seed: SHA-256 of the seed is not the commitment")
    ep = _entropy_problems(c.sources, t.entropy)
    if ep:
        p += ep
        return None
    key = draw_key(t.entropy, t.server_seed)
    if key != t.key:
        p.append(f"key: transcript has {t.key!r}; the entropy and seed give {key!r}")
    return key


def _check_picks(
    p: list[str], t: Transcript, key: str, strata: Sequence[Stratum]
) -> list[StratumSelection]:
    """Each stratum's picks and the batch order; the recomputed selection."""
    c = t.commit
    selection = [select_stratum(key, s, sc.k) for s, sc in zip(strata, c.strata, strict=True)]
    if [s.stratum for s in t.selection] != [s.id for s in c.strata]:
        p.append("selection: must list the committed strata in the committed order")
    else:
        for e, a in zip(selection, t.selection, strict=True):
            if a.k != e.k:
                p.append(f"selection ({e.stratum}).k: {a.k}; the commit says {e.k}")
            _compare_list(p, f"selection ({e.stratum}).picks", e.picks, a.picks)
    _compare_list(p, "batch_order", batch_order(key, c.batches), t.batch_order)
    return selection


def _check_previous_inspectors(p: list[str], t: Transcript, order: Sequence[str]) -> None:
    drawn = set(order)
    for x, staff in t.previous_inspectors.items():
        if x not in drawn:
            p.append(f"previous_inspectors: {x!r} was not drawn")
        elif not staff or staff != sorted(set(staff)):
            p.append(f"previous_inspectors ({x}): staff ids sorted, unique, non-empty")


def _check_assignments(p: list[str], t: Transcript, result: MatchResult) -> None:
    if result.ineligible != t.ineligible:
        p.append("ineligible: differs from the recomputation")
    _compare_list(p, "assignments", result.assignments, t.assignments)
    _compare_list(p, "unmatched", result.unmatched, t.unmatched)


def _check_replacements(
    p: list[str],
    t: Transcript,
    matcher: Matcher,
    assignments: Sequence[Assignment],
    subjects: Sequence[SubjectRecord],
) -> None:
    """Replacements, in order, each from the team as the earlier ones left it."""
    teams = {a.subject: a for a in assignments}
    records = {s.key: s for s in subjects}
    done: dict[str, list[str]] = {}
    for i, r in enumerate(t.replacements):
        where = f"replacements[{i}]"
        team = teams.get(r.subject)
        if team is None:
            p.append(f"{where}: subject {r.subject!r} has no team")
            return
        earlier = done.setdefault(r.subject, [])
        try:
            expected, new_team = matcher.replace(
                records[r.subject],
                team,
                r.replaced,
                r.reason,
                counter=len(earlier) + 1,
                replaced_before=earlier,
            )
        except ValueError as err:
            p.append(f"{where}: {err}")
            return
        if expected != r:
            p.append(f"{where}: transcript has {_show(r)}; recomputed {_show(expected)}")
            return
        earlier.append(r.replaced)
        teams[r.subject] = new_team


def _verify(t: Transcript) -> list[str]:
    header = _check_format(t)
    if header:
        return header
    p: list[str] = []
    if commit_digest(t.commit) != t.commit_digest:
        p.append("commit_digest: not the SHA-256 of the commit (the commit was altered)")
    strata = _check_populations(p, t)
    if strata is None:
        return p
    matchable = _check_parameters(p, t, strata)
    key = _check_key(p, t)
    if key is None:
        return p
    order = draw_order(_check_picks(p, t, key, strata))
    _check_previous_inspectors(p, t, order)
    rules = t.commit.rules
    if rules is None:
        if t.assignments or t.unmatched or t.replacements or t.ineligible:
            p.append("assignments: the commit has no matching rules, so no assignments")
        return p
    if not matchable:
        return p
    subjects = _subject_records(order, t.previous_inspectors)
    matcher = Matcher(key, t.candidates, rules)
    result = matcher.match_all(subjects)
    _check_assignments(p, t, result)
    if not p:
        _check_replacements(p, t, matcher, result.assignments, subjects)
    return p


def verify(transcript: Transcript) -> VerifyResult:
    """Recompute the draw from the transcript alone: ok only if every pick and assignment
    matches."""
    try:
        problems = _verify(transcript)
    except (ValueError, KeyError, TypeError) as err:  # a malformed transcript, not a crash
        problems = [f"transcript cannot be recomputed: {err}"]
    return VerifyResult(ok=not problems, problems=problems)


def _verify_public(t: PublicTranscript) -> list[str]:
    if (t.format, t.version) != (PUBLIC_FORMAT, VERSION):
        return [f"format: this verifier reads {PUBLIC_FORMAT} version {VERSION}"]
    if not _HEX64.match(t.transcript_digest):
        return ["transcript_digest: 64 lower-case hex digits"]
    s = stand_in(t)
    header = _check_format(s)
    if header:
        return header
    p: list[str] = []
    if commit_digest(t.commit) != t.commit_digest:
        p.append("commit_digest: not the SHA-256 of the commit (the commit was altered)")
    strata = _check_populations(p, s)
    if strata is None:
        return p
    p += _strata_set_problems(strata)
    if t.commit.rules is not None:
        p += rules_problems(t.commit.rules, "commit.rules")
    key = _check_key(p, s)
    if key is None or p:
        return p
    order = draw_order(_check_picks(p, s, key, strata))
    check_matching(p, t, order)
    return p


def verify_public(transcript: PublicTranscript) -> VerifyResult:
    """Recompute a public transcript: the key, every pick, and every pick of the matching
    from its pool's size (the pools themselves are checked by auditors, :func:`derived_from`)."""
    try:
        problems = _verify_public(transcript)
    except (ValueError, KeyError, TypeError) as err:
        problems = [f"transcript cannot be recomputed: {err}"]
    return VerifyResult(ok=not problems, problems=problems)


def verify_bytes(data: bytes | str) -> VerifyResult:
    """``spotcheck draw verify TRANSCRIPT``: decode and verify, the full or the public form
    (told apart by ``format``)."""
    if is_public(data):
        try:
            public = public_loads(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            return VerifyResult(ok=False, problems=[f"not a {PUBLIC_FORMAT} transcript: {err}"])
        return verify_public(public)
    try:
        transcript = loads(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        return VerifyResult(ok=False, problems=[f"not a {FORMAT} transcript: {err}"])
    return verify(transcript)
